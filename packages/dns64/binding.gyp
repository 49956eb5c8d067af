{
  "targets": [
    {
      "target_name": "dns64_udp",
      "sources": ["native/udp.c"],
      "include_dirs": ["../../native"],
      "cflags": [
        "-O2", "-Wall", "-Wextra", "-Werror", "-Wno-unused-parameter",
        "-U_FORTIFY_SOURCE", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"
      ],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
