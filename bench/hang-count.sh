#!/usr/bin/env bash
# hang-count.sh (`make hang-count`): how often L1 hangs or dies under QEMU
# TCG, per L2 boot, on the pristine kernel and on the series. Both run the
# workload smoke's L2 boots (bench/bench-workloads.sh --smoke: quota 96,
# one L2 vCPU, stress-ng --vm and redis; L1 with this host's CPUs, at most
# 16): the series with its smoke policy (clock), the pristine kernel with
# its own eviction (stock). Blocks of BLOCK L2 boots, one L1 boot each,
# alternate between the two kernels, so that both see the same machine,
# until each side has BOOTS L2 boots or HANG_DEADLINE seconds have passed.
# Run it alone on the machine: CPU contention changes TCG's timing.
#
# The comparison, fixed before the first run:
#   event     an L1 stall (the watchdog found no L2 boot ending for
#             --stall auto's limit), an L1 death, or a failed L2 boot
#   rate      events / L2 boots attempted (completed + cut by an event)
#   verdict   the series causes hangs when its rate is higher than the
#             pristine kernel's with a one-sided Fisher exact p < 0.05;
#             where the pristine kernel has events too and the test does
#             not reject, they are the emulator's (with the series
#             unable to be told apart at this count).
# Each block is also recorded as it ends, so a run cut short keeps its
# counts: HANG_OUT/counts.tsv (default bench/results/hangs), one row per
# L1 block, and HANG_OUT/summary.txt (rates, 95 % Wilson intervals, p);
# logs/ holds each block's log, consoles/ the console of every L1 boot
# that stalled or died.
#
# usage: bench/hang-count.sh [BOOTS (100)] [BLOCK (10)]
#        HANG_DEADLINE=S   start no block after S seconds (default: none)
#        HANG_SIDES="series pristine"  (either alone, to add to one side)
#        HANG_SUMMARY=1    only recompute summary.txt from counts.tsv
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

boots=${1:-100}
block=${2:-10}
[[ $boots =~ ^[0-9]+$ ]] && [ "$boots" -ge 1 ] || die "BOOTS wants a count, got '$boots'"
[[ $block =~ ^[0-9]+$ ]] && [ "$block" -ge 1 ] && [ "$block" -le 100 ] || die "BLOCK wants 1..100, got '$block'"
deadline=${HANG_DEADLINE:-0}
[[ $deadline =~ ^[0-9]+$ ]] || die "HANG_DEADLINE wants seconds, got '$deadline'"
sides=${HANG_SIDES:-series pristine}
for s in $sides; do case $s in series | pristine) ;; *) die "HANG_SIDES: unknown side '$s' (series, pristine)" ;; esac; done
hout=${HANG_OUT:-$TOP/bench/results/hangs}
mkdir -p "$hout"
counts=$hout/counts.tsv
[ -s "$counts" ] || printf 'side\tkernel\tpolicy\tblock\tl1_boots\tl2_ok\tstalls\tdeaths\tl2_fails\tboot_hangs\tseconds\tdate\tbase\n' >"$counts"

summary() {
	python3 - "$counts" >"$hout/summary.txt" <<'PY'
import csv, math, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
def wilson(k, n, z=1.96):
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))
def fisher_greater(a, n1, c, n2):
    """P(X >= a) for X the series' events, margins fixed (hypergeometric)."""
    k, n = a + c, n1 + n2
    tot = math.comb(n, k)
    return sum(math.comb(n1, x) * math.comb(n2, k - x) for x in range(a, min(k, n1) + 1)) / tot
out, agg = [], {}
for r in rows:
    s = agg.setdefault(r['side'], dict(blocks=0, l1=0, ok=0, st=0, de=0, l2=0, bh=0, sec=0))
    s['blocks'] += 1; s['l1'] += int(r['l1_boots']); s['ok'] += int(r['l2_ok'])
    s['st'] += int(r['stalls']); s['de'] += int(r['deaths']); s['l2'] += int(r['l2_fails'])
    s['bh'] += int(r['boot_hangs']); s['sec'] += int(r['seconds'])
out.append('side      blocks  L1 boots  L2 boots  stalls  deaths  L2 fails  L1-boot hangs  events/L2 boot  95% interval   seconds')
ev = {}
for side in ('series', 'pristine'):
    s = agg.get(side)
    if not s:
        continue
    e = s['st'] + s['de'] + s['l2']
    n = s['ok'] + e
    ev[side] = (e, n)
    lo, hi = wilson(e, n)
    rate = f'{e}/{n} = {e / n:.3f}' if n else '-'
    out.append(f"{side:9} {s['blocks']:6} {s['l1']:9} {n:9} {s['st']:7} {s['de']:7} {s['l2']:9} {s['bh']:14}"
               f"  {rate:>14}  {lo:.3f}-{hi:.3f}  {s['sec']:8}")
if 'series' in ev and 'pristine' in ev and ev['series'][1] and ev['pristine'][1]:
    (a, n1), (c, n2) = ev['series'], ev['pristine']
    p = fisher_greater(a, n1, c, n2)
    out.append(f'one-sided Fisher exact, series rate > pristine rate: p = {p:.3f}')
    if p < 0.05:
        out.append('verdict: the series hangs or dies more often than the pristine kernel (p < 0.05)')
    elif c > 0:
        out.append('verdict: the pristine kernel hangs too and the series is not worse at this count: the emulator')
    else:
        out.append('verdict: no evidence against the series at this count, but the pristine kernel showed no event')
print('\n'.join(out))
PY
	cat "$hout/summary.txt"
}
if [ "${HANG_SUMMARY:-0}" = 1 ]; then
	summary
	exit 0
fi

t0=$(now)
# The two kernels: the series' workload build, and the pristine tree's
# (a worktree at the 'pristine' tag) built with the same configuration.
"$TOP/scripts/kbuild.sh" workload
"$TOP/scripts/guest.sh"
wt=$BUILD/src/linux-pristine
[ -d "$wt" ] || { git -C "$KSRC" worktree prune; git -C "$KSRC" worktree add -q --detach "$wt" pristine; }
[ "$(git -C "$wt" rev-parse HEAD)" = "$(git -C "$KSRC" rev-parse pristine)" ] ||
	die "$wt is not at the tree's 'pristine' tag; remove it and run again"
KSRC=$wt BUILD_SUFFIX=-pristine "$TOP/scripts/kbuild.sh" workload
base=$(base_desc)

# count NAME: the counts of one block from its consoles and restarts.
count_block() {
	local run=$BUILD/workloads/run-$1 c ok=0 l2f=0 st=0 de=0 bh=0 l1=0
	for c in "$run" "$run"-resume*; do
		[ -f "$c/console.log" ] || continue
		l1=$((l1 + 1))
		ok=$((ok + $(grep -acE '^guest: wl: \[[0-9]+/[0-9]+ [0-9]+s\] .*: ok \(' "$c/console.log" || true)))
		l2f=$((l2f + $(grep -acE '^guest: wl: \[[0-9]+/[0-9]+\] FAIL \(' "$c/console.log" || true)))
	done
	if [ -f "$run/restarts.txt" ]; then
		st=$(grep -c 'no L2 boot ended' "$run/restarts.txt" || true)
		bh=$(grep -c 'hung before the driver started' "$run/restarts.txt" || true)
		de=$(grep -c 'L1 died during the matrix' "$run/restarts.txt" || true)
	fi
	# The last L1 boot's own end, when the block failed there.
	case "$(sed -n 's/.*error: \(layer l1[^:]*\): \(L1 [a-z]*\).*/\1 \2/p' "$hout/logs/$1.log" | tail -1)" in
	"layer l1 L1 stalled") st=$((st + 1)) ;;
	"layer l1 L1 died") de=$((de + 1)) ;;
	"layer l1-boot L1 hung") bh=$((bh + 1)) ;;
	esac
	echo "$l1 $ok $st $de $l2f $bh"
}

mkdir -p "$hout/logs"
declare -A done_boots=([series]=0 [pristine]=0) empty=([series]=0 [pristine]=0)
while read -r side _ _ _ _ ok st de l2 _; do
	[ "$side" = side ] && continue
	done_boots[$side]=$((done_boots[$side] + ok + st + de + l2))
done <"$counts"
b=0
while :; do
	more=0
	for side in $sides; do
		[ "${done_boots[$side]}" -lt "$boots" ] || continue
		more=1
		if [ "$deadline" -gt 0 ] && [ $(($(now) - t0)) -ge "$deadline" ]; then
			info "HANG_DEADLINE ($deadline s) passed: no new block"
			more=0
			break 2
		fi
		b=$((b + 1))
		name=hang-$side-$(date +%Y%m%d-%H%M%S)
		if [ "$side" = series ]; then k=$BUILD/workload pol=clock; else k=$BUILD/workload-pristine pol=stock; fi
		info "block $b: $side ($pol), $block L2 boots; so far ${done_boots[series]} series, ${done_boots[pristine]} pristine"
		tb=$(now)
		BENCH_NO_BUILD=1 "$TOP/bench/bench-workloads.sh" --smoke --reps "$block" --policies "$pol" \
			--kernel "$k" --restarts 1000 --out "$BUILD/workloads/$name" >"$hout/logs/$name.log" 2>&1 || true
		read -r l1 ok st de l2f bh <<<"$(count_block "$name")"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$side" "${k##*/}" "$pol" "$name" \
			"$l1" "$ok" "$st" "$de" "$l2f" "$bh" $(($(now) - tb)) "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$base" >>"$counts"
		done_boots[$side]=$((done_boots[$side] + ok + st + de + l2f))
		# A block that got no L2 boot going (L1 did not boot, a setup
		# error): twice in a row on one side, and the count stops.
		if [ $((ok + st + de + l2f)) = 0 ]; then
			empty[$side]=$((empty[$side] + 1))
			[ "${empty[$side]}" -lt 2 ] ||
				die "two blocks in a row on the $side kernel ran no L2 boot: see $hout/logs/$name.log.gz"
		else
			empty[$side]=0
		fi
		info "block $b: $ok L2 boots ok, $st stalls, $de deaths, $l2f failed L2 boots, $bh L1-boot hangs ($(($(now) - tb)) s)"
		gzip -f "$hout/logs/$name.log"
		# The consoles of the L1 boots that stalled or died, as evidence.
		r=$BUILD/workloads/run-$name
		i=0
		while [ -f "$r/restarts.txt" ] && [ "$i" -lt "$(grep -c . "$r/restarts.txt")" ]; do
			c=$r
			[ "$i" = 0 ] || c=$r-resume$i
			mkdir -p "$hout/consoles"
			gzip -9 -c "$c/console.log" >"$hout/consoles/$name-boot$((i + 1)).log.gz"
			i=$((i + 1))
		done
	done
	[ $more = 1 ] || break
done
summary
info "done in $(($(now) - t0)) s: $hout/counts.tsv, $hout/summary.txt"
