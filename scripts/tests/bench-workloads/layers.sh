#!/usr/bin/env bash
# A failure at each layer of `make bench-workloads` stops it with a message
# naming that layer and keeps the logs: L1 boot (no init), L2 boot (no
# init in L2), a workload (an unknown one asked of L2), perf (an unknown
# event). Each case is the smoke run with WL_BREAK set (a test hook of
# scripts/bench-workloads.sh and bench/workloads/l1-driver); it needs the
# smoke run's kernel and guest image (make test runs it after the smoke
# run). About 20-40 s a case under TCG.
set -u
cd "$(dirname "$0")/../../.."
fail=0 n=0
# expect LAYER LOGFILE ARGS...: the run fails, names LAYER, and LOGFILE
# (relative to the run's folder) exists and is not empty.
expect() {
	local layer=$1 log=$2 out rc run
	shift 2
	n=$((n + 1))
	out=$(WL_BREAK=$layer BENCH_NO_BUILD=1 scripts/bench-workloads.sh --smoke --out "build/workloads/break-$layer" "$@" 2>&1)
	rc=$?
	run=build/workloads/run-break-$layer
	if [ $rc = 0 ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$layer: the run passed"
	elif ! grep -q "error: layer $layer" <<<"$out"; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$layer: no 'layer $layer' in the message: $(tail -n 3 <<<"$out")"
	elif ! compgen -G "$run/$log" >/dev/null || [ ! -s "$(compgen -G "$run/$log" | head -1)" ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$layer: the logs were not kept ($run/$log)"
	else
		echo "ok: WL_BREAK=$layer -> $(grep "error: layer" <<<"$out" | head -1)"
	fi
}
expect l1-boot console.log
expect l2-boot 'results/runs/1/l2-console.txt'
expect workload 'results/runs/1/l2/l2.log'
# perf has an L1 boot of its own, tried twice: the first try's log.
expect perf '../run-break-perf-perf1/results/runs/1/perf.log' --perf 1
echo "bench-workloads layers: $((n - fail))/$n checks passed"
[ $fail = 0 ]
