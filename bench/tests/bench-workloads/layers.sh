#!/usr/bin/env bash
# A failure at each layer of `make bench-workloads` stops it with a message
# naming that layer and keeps the logs: L1 boot (no init), L2 boot (no
# init in L2), a workload (an unknown one asked of L2), perf (an unknown
# event); and a dead or hung L1 mid-matrix is survived (the runs it sent
# are kept, L1 boots again for the rest), also when it hung before sending
# anything. Each case is the smoke run with WL_BREAK set (a test hook of
# bench/bench-workloads.sh and bench/workloads/l1-driver); it needs the
# smoke run's kernel and guest image (make test-workloads runs it after
# the smoke run). About 20-40 s a case under TCG.
set -u
cd "$(dirname "$0")/../../.."
# Where the runs go: the build folder (BUILD, as the scripts take it).
B=${BUILD:-build}
fail=0 n=0
# kept_log RUN LOGFILE: print the folder, RUN or one of its resumes (a
# genuine L1 stall before the hook fired moves the failure into the next L1
# boot), where LOGFILE exists and is not empty; fail if there is none.
kept_log() {
	local d f
	for d in "$1" "$1"-resume*; do
		f=$(compgen -G "$d/$2" | head -1)
		[ -n "$f" ] && [ -s "$f" ] && { echo "$d"; return 0; }
	done
	return 1
}
# expect LAYER LOGFILE ARGS...: the run fails, names LAYER, and LOGFILE
# (relative to the run's folder, or to a resume's after a genuine L1
# restart) exists and is not empty.
expect() {
	local layer=$1 log=$2 out rc run kept
	shift 2
	n=$((n + 1))
	out=$(WL_BREAK=$layer BENCH_NO_BUILD=1 bench/bench-workloads.sh --smoke --out "$B/workloads/break-$layer" "$@" 2>&1)
	rc=$?
	run=$B/workloads/run-break-$layer
	if [ $rc = 0 ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$layer: the run passed"
	elif ! grep -q "error: layer $layer" <<<"$out"; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$layer: no 'layer $layer' in the message: $(tail -n 3 <<<"$out")"
	elif ! kept=$(kept_log "$run" "$log"); then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$layer: the logs were not kept ($run/$log)"
	else
		echo "ok: WL_BREAK=$layer -> $(grep "error: layer" <<<"$out" | head -1)"
		[ "$kept" = "$run" ] ||
			echo "note: WL_BREAK=$layer: a genuine L1 restart before the injected failure: $(cat "$run/restarts.txt" 2>/dev/null)"
	fi
}
expect l1-boot console.log
expect l2-boot 'results/runs/1/l2-console.txt'
expect workload 'results/runs/1/l2/l2.log'
# perf has an L1 boot of its own, tried again only when L1 stalls or dies
# in it: the log of the try that failed at the perf layer (the first,
# unless L1 stalled or died in it by itself, which is tolerated and
# reported); that failure ends the tries.
expect perf '../run-break-perf-perf[123]/results/runs/1/perf.log' --perf 1
tries=$B/workloads/run-break-perf/results/perf/tries-failed.txt
if grep -q '^perf_boot_try_[12]=failed: layer l1' "$tries" 2>/dev/null; then
	echo "note: WL_BREAK=perf: genuine L1 failure(s) before the injected one: $(grep '^perf_boot_try_[12]=failed: layer l1' "$tries" | tr '\n' ' ')"
fi
n=$((n + 1))
if [ "$(grep -c '=failed: layer perf' "$tries" 2>/dev/null)" = 1 ] && tail -n 1 "$tries" | grep -q '=failed: layer perf'; then
	echo "ok: WL_BREAK=perf: the failure at the perf layer ended the tries"
else
	fail=$((fail + 1))
	echo "FAIL: WL_BREAK=perf: the tries did not end at the failure at the perf layer: $(tr '\n' ' ' <"$tries" 2>/dev/null)"
fi
# survive HOOK WANT ARGS...: L1 dies or hangs after its first run (the
# driver's hook); the run fails over with a message containing WANT, the
# run L1 sent is kept, a later L1 boot runs the other, and the results
# hold both (with their L2 results) and the restart in meta.txt. A
# genuine extra restart (L1 under TCG stalls now and then by itself, and
# a loaded host can make an L2 boot outlast the smoke's 60 s) is
# tolerated and reported, before or after the injected one. The resume
# path must print no shell error (a glob that matched nothing once made
# `[` complain); bash's "Killed" notice for the QEMU the watchdog killed
# is expected.
survive() {
	local hook=$1 want=$2 out rc res r
	shift 2
	n=$((n + 1))
	out=$(WL_BREAK=$hook BENCH_NO_BUILD=1 bench/bench-workloads.sh --smoke --reps 2 \
		--out "$B/workloads/break-$hook" "$@" 2>&1)
	rc=$?
	res=$B/workloads/run-break-$hook/results
	r=$(sed -n 's/^l1_restarts=\([0-9]*\).*/\1/p' "$res/meta.txt" 2>/dev/null)
	if [ $rc != 0 ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$hook: the run failed: $(tail -n 3 <<<"$out")"
	elif ! grep -q "$want.*L1 boots again for the rest ([1-4] of 4)" <<<"$out"; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$hook: no '$want' and restart: $(grep -m1 'layer l1' <<<"$out")"
	elif grep -E 'integer expression expected|unary operator expected|binary operator expected|too many arguments|command not found|unbound variable|syntax error|No such file or directory' <<<"$out"; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$hook: the run printed shell errors (above)"
	elif [ "$(awk 'NR > 1 { printf "%s:%s ", $1, $7 }' "$res/runs.tsv")" != "1:ok 2:ok " ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$hook: runs.tsv is not runs 1 and 2, ok: $(cat "$res/runs.tsv")"
	elif [ ! -s "$res/runs/1/l2/summary.tsv" ] || [ ! -s "$res/runs/2/l2/summary.tsv" ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$hook: a run's L2 results are missing in $res/runs"
	elif ! grep -q "^l1_restarts=$r (.*after 1 runs: $want" "$res/meta.txt" || [ "${r:-0}" -lt 1 ]; then
		fail=$((fail + 1)); echo "FAIL: WL_BREAK=$hook: meta.txt lacks the restart: $(grep l1_restarts "$res/meta.txt")"
	else
		echo "ok: WL_BREAK=$hook -> $(grep -m1 'L1 boots again' <<<"$out")"
		[ "$r" = 1 ] || echo "note: WL_BREAK=$hook: $((r - 1)) genuine L1 restart(s) beside the injected one: $(grep l1_restarts "$res/meta.txt")"
	fi
}
survive l1-crash 'layer l1: L1 died during the matrix after 1 L2 boots'
# The watchdog (--stall auto, the default) kills the hung L1 once three
# times the longest L2 boot so far, at least 60 s under --smoke, has passed
# without another L2 boot ending: with the smoke's L2 boot of about 16 s,
# a stall costs it about a minute (the limit is checked, not the time).
survive l1-stall 'layer l1: L1 stalled during the matrix after 1 L2 boots (no L2 boot ended for [0-9]* s'
# The limit is checked in the L1 boot where the hook hung L1 (the first,
# unless a genuine stall before any run moved the hook into a resume), or,
# if a genuine stall after run 1 came first, in the boot that stalled after
# 1 L2 boot; the longest L2 boot counts from every boot up to that one.
n=$((n + 1))
hung= longest=0
for r in $B/workloads/run-break-l1-stall $B/workloads/run-break-l1-stall-resume*; do
	[ -d "$r" ] || continue
	d=$(grep -aoE '^guest: wl: \[.*\(([0-9]+)s\)' "$r/console.log" 2>/dev/null | sed -E 's/.*\(([0-9]+)s\)$/\1/' | sort -n | tail -1)
	[ "${d:-0}" -gt "$longest" ] && longest=$d
	if grep -aq 'test hook: L1 hangs here' "$r/console.log" 2>/dev/null ||
		grep -q '(after 1)' "$r.stalled" 2>/dev/null; then
		hung=$r
		break
	fi
done
want=$((3 * longest)); [ "$want" -ge 60 ] || want=60
if [ -z "$hung" ] || [ "$longest" = 0 ] || ! grep -q "no L2 boot ended for $want s (after 1)" "$hung.stalled"; then
	fail=$((fail + 1)); echo "FAIL: --stall auto: longest L2 boot ${longest} s, want a $want s limit, got: $(cat "${hung:-$B/workloads/run-break-l1-stall}.stalled" 2>&1)"
else
	echo "ok: --stall auto: longest L2 boot $longest s -> limit $want s (${hung##*/})"
fi
# L1 hangs before its first run: the smoke's watchdog fires after its
# first-boot limit (60 s), nothing was sent, and the resume, with nothing
# to keep, runs the matrix quietly.
n=$((n + 1))
out=$(WL_BREAK=l1-stall-early BENCH_NO_BUILD=1 bench/bench-workloads.sh --smoke \
	--out $B/workloads/break-l1-stall-early 2>&1)
rc=$?
res=$B/workloads/run-break-l1-stall-early/results
if [ $rc != 0 ]; then
	fail=$((fail + 1)); echo "FAIL: WL_BREAK=l1-stall-early: the run failed: $(tail -n 3 <<<"$out")"
elif ! grep -q 'layer l1: L1 stalled during the matrix after 0 L2 boots (no L2 boot ended for 60 s (after 0).*0 runs kept; L1 boots again for the rest (1 of 4)' <<<"$out" ||
	! grep -q 'test hook: L1 hangs before its first run' "$B/workloads/run-break-l1-stall-early/console.log"; then
	fail=$((fail + 1)); echo "FAIL: WL_BREAK=l1-stall-early: no 60 s stall after 0 L2 boots and restart: $(grep -m1 'layer l1' <<<"$out")"
elif grep -E 'integer expression expected|unary operator expected|binary operator expected|too many arguments|command not found|unbound variable|syntax error|No such file or directory' <<<"$out"; then
	fail=$((fail + 1)); echo "FAIL: WL_BREAK=l1-stall-early: the resume with nothing salvaged printed shell errors (above)"
elif [ "$(awk 'NR > 1 { printf "%s:%s ", $1, $7 }' "$res/runs.tsv")" != "1:ok " ]; then
	fail=$((fail + 1)); echo "FAIL: WL_BREAK=l1-stall-early: runs.tsv is not run 1, ok: $(cat "$res/runs.tsv")"
else
	echo "ok: WL_BREAK=l1-stall-early -> $(grep -m1 'L1 boots again' <<<"$out")"
fi
echo "bench-workloads layers: $((n - fail))/$n checks passed"
[ $fail = 0 ]
