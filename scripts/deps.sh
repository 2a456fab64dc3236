#!/usr/bin/env bash
# deps.sh: install everything `make test` and `make run` need (idempotent).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
need_build_deps
need_run_deps
need_pkgs python3:python3 /usr/include/urcu.h:liburcu-dev sparse:sparse \
	/usr/lib/python3/dist-packages/matplotlib:python3-matplotlib
info "dependencies present"
