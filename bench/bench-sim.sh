#!/usr/bin/env bash
# bench-sim.sh RUNS SIMCSV HOT_PCT HOT_HIT_PCT: replay every cell of a
# benchmark's runs.csv through the simulator (FIFO, CLOCK, MIN) at capacity
# = quota - the cell's median overhead, into SIMCSV. Used by `make bench`
# and `make bench-import`, so both simulate a cell the same way.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

[ $# = 4 ] || die "usage: $0 RUNS SIMCSV HOT_PCT HOT_HIT_PCT"
runs=$1 simcsv=$2 hot_pct=$3 hot_hit_pct=$4
[ -f "$runs" ] || die "no runs file $runs"
[[ $hot_pct =~ ^[0-9]+$ && $hot_hit_pct =~ ^[0-9]+$ ]] || die "HOT_PCT and HOT_HIT_PCT want integers"
sim=$BUILD/bench-sim/sim
make -s -C "$TOP/bench" sim || die "the simulator failed to build (make -C bench sim)"
[ -x "$sim" ] || die "make -C bench sim did not produce $sim"

echo "quota,overhead,pattern,vcpus,regions,warmup,steps,seed,capacity,accesses,fifo_misses,clock_misses,min_misses" >"$simcsv"
# runs.csv: rep,policy,pattern,vcpus,quota,regions,warmup,steps,seed,overhead,...
while IFS=, read -r pattern nv quota rg w s sd ovs; do
	# The cell's median overhead (lower median for an even count).
	ov=$(tr ' ' '\n' <<<"$ovs" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
	cap=$((quota - ov))
	[ "$cap" -ge 1 ] || die "cell $pattern v=$nv q=$quota: overhead $ov leaves no capacity"
	row=$("$sim" --pattern "$pattern" --regions "$rg" --vcpus "$nv" --warmup "$w" --steps "$s" \
		--seed "$sd" --hot-pct "$hot_pct" --hot-hit-pct "$hot_hit_pct" --capacity "$cap" --csv) ||
		die "the simulator failed on cell $pattern v=$nv q=$quota"
	[ "$(grep -c '' <<<"$row")" = 1 ] || die "the simulator printed $(grep -c '' <<<"$row") lines for one capacity"
	# sim: pattern,vcpus,regions,warmup,steps,seed,capacity,accesses,fifo,clock,min
	echo "$quota,$ov,$row" >>"$simcsv"
done < <(awk -F, 'NR > 1 {
		k = $3 "," $4 "," $5 "," $6 "," $7 "," $8 "," $9
		if (k in ov) ov[k] = ov[k] " " $10
		else { order[++n] = k; ov[k] = $10 }
	} END { for (i = 1; i <= n; i++) print order[i] "," ov[order[i]] }' "$runs")
