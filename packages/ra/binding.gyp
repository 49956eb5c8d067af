{
  "targets": [
    {
      "target_name": "ra",
      "sources": ["native/ra.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Werror", "-D_FORTIFY_SOURCE=2", "-fstack-protector-strong"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
