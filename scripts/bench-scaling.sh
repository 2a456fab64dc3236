#!/usr/bin/env bash
# bench-scaling.sh: (re)write the scaling section of bench/results/REPORT.md
# and bench/results/scaling.png from this machine's run (bench/results) and
# every imported host (bench/results/hosts/*). make bench and make
# bench-import call it; bench/report/scaling.py says what it shows.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

res=$TOP/bench/results
[ -f "$res/runs.csv" ] || die "no $res/runs.csv: run make bench first"
[ -f "$res/REPORT.md" ] || die "no $res/REPORT.md: run make bench first"
args=(--host "this-machine=$res")
for d in "$res"/hosts/*/; do
	[ -f "$d/runs.csv" ] && args+=(--host "$(basename "$d")=$d")
done
/usr/bin/python3 "$TOP/bench/report/scaling.py" "${args[@]}" --report "$res/REPORT.md" --png "$res/scaling.png" ||
	die "bench/report/scaling.py failed"
info "scaling section: $res/REPORT.md ($(( ${#args[@]} / 2 )) hosts)"
