#!/bin/sh
# sixgate container entrypoint.
#
#   (no arguments)           sixgate run
#   run|check|status|...     sixgate <that subcommand> [args]
#   --prefix ... (a flag)    sixgate run --prefix ...
#   anything else            executed as is (e.g. `sh` for a shell)
#
# `exec` keeps sixgate as the container's main process, so `docker stop`'s
# SIGTERM reaches it directly and it removes its TUN device and routes.
set -eu

SIXGATE_JS="${SIXGATE_JS:-/app/packages/daemon/bin/sixgate.js}"

if [ "$#" -eq 0 ]; then
  set -- run
fi

case "$1" in
  run|check|status|sessions|bib|prefix|help|--help|-h|--version|-V)
    exec node "$SIXGATE_JS" "$@"
    ;;
  -*)
    exec node "$SIXGATE_JS" run "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
