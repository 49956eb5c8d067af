{
  "targets": [
    {
      "target_name": "ra",
      "sources": ["native/ra.c"],
      "include_dirs": ["../../native"],
      "cflags": [
        "-O2", "-Wall", "-Wextra", "-Werror",
        "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"
      ],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
