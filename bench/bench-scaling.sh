#!/usr/bin/env bash
# bench-scaling.sh: (re)write bench/results/SCALING.md and
# bench/results/scaling.png from this machine's run (bench/results) and
# every imported host (bench/results/hosts/*). make bench and make
# bench-import call it; bench/report/scaling.py says what it shows.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

res=$TOP/bench/results
[ -f "$res/runs.csv" ] || die "no $res/runs.csv: run make bench first"
/usr/bin/python3 "$TOP/bench/report/scaling.py" --results "$res" ||
	die "bench/report/scaling.py failed"
info "hosts side by side: $res/SCALING.md"
