#!/usr/bin/env bash
# CLI tests of the simulator: output format, hand-computed --trace values,
# determinism, refusal of bad input, speed.  Usage: test.sh PATH/TO/sim
set -u
SIM=${1:?usage: test.sh PATH/TO/sim}
fail=0 n=0
ok()  { n=$((n + 1)); }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL: $*"; }
eq()  { if [ "$2" == "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }

# Hand-computed: Belady's anomaly trace at 3 pages, FIFO 9, CLOCK 10, MIN 7.
T=1,2,3,4,1,2,5,1,2,3,4,5
eq "trace csv" "$("$SIM" --trace $T --capacity 3 --csv)" "trace,1,6,0,12,0,3,12,9,10,7"
eq "trace csv cap4" "$("$SIM" --trace $T --capacity 4 --csv | cut -d, -f9-)" "10,8,6"
eq "trace measured from 6" "$("$SIM" --trace $T --measure-from 6 --capacity 3 --csv | cut -d, -f8-)" "6,3,4,3"

# Sharded: one vCPU is one ring, so a trace replays as CLOCK; two columns.
eq "sharded trace" "$("$SIM" --trace $T --capacity 3 --sharded --csv | cut -d, -f9-)" "9,10,7,10,10"
eq "sharded header" "$("$SIM" --trace 1,2 --capacity 2 --sharded --csv --header | head -1 | cut -d, -f11-)" "min_misses,sharded_misses,sharded_fair_misses"
"$SIM" --trace 1,2 --capacity 2 --slice 2 >/dev/null 2>&1 && bad "--slice with --trace accepted" || ok
"$SIM" --pattern private --regions 64 --vcpus 4 --warmup 10 --steps 20 --seed 1 --capacity 9 --slice 0 >/dev/null 2>&1 &&
	bad "--slice 0 accepted" || ok
# Slices change the interleaving, hence the misses, but not the accesses.
s1=$("$SIM" --pattern private --regions 256 --vcpus 8 --warmup 500 --steps 1000 --seed 1 --capacity 60 --sharded --csv)
s100=$("$SIM" --pattern private --regions 256 --vcpus 8 --warmup 500 --steps 1000 --seed 1 --capacity 60 --sharded --slice 100 --csv)
eq "sliced accesses" "$(cut -d, -f8 <<<"$s100")" "$(cut -d, -f8 <<<"$s1")"
[ "$(cut -d, -f10 <<<"$s100")" != "$(cut -d, -f10 <<<"$s1")" ] && ok || bad "--slice 100 left clock's misses unchanged"

# Aged CLOCK (design candidate): worked by hand in test_sim.c; extra column.
eq "aged trace" "$("$SIM" --trace 1,1,2,3,4,1 --capacity 2 --age 1 --csv | cut -d, -f9-)" "5,5,4,4"
eq "aged header" "$("$SIM" --trace 1,2 --capacity 2 --age 2 --csv --header | head -1 | cut -d, -f11-)" "min_misses,aged_clock_misses"
"$SIM" --trace 1,2 --capacity 2 --age 0 >/dev/null 2>&1 && bad "--age 0 accepted" || ok
"$SIM" --trace 1,2 --capacity 2 --age 8 >/dev/null 2>&1 && bad "--age 8 accepted" || ok

# Schema and one line per capacity.
H=pattern,vcpus,regions,warmup,steps,seed,capacity,accesses,fifo_misses,clock_misses,min_misses
ARGS=(--pattern hotcold --regions 256 --vcpus 4 --warmup 2000 --steps 8000 --seed 1
      --hot-pct 10 --hot-hit-pct 90)
out=$("$SIM" "${ARGS[@]}" --capacity 50 --capacity 100 --capacity 300 --csv --header)
eq "header" "$(head -1 <<<"$out")" "$H"
eq "lines" "$(wc -l <<<"$out")" 4
eq "key columns" "$(sed -n 2p <<<"$out" | cut -d, -f1-8)" "hotcold,4,256,2000,8000,1,50,32000"
eq "no header without --header" "$("$SIM" "${ARGS[@]}" --capacity 50 --csv | head -c 8)" "hotcold,"
# min <= clock, min <= fifo on every line.
while IFS=, read -r p v r w s sd c a f k m; do
	[ "$p" = pattern ] && continue
	if [ "$m" -le "$f" ] && [ "$m" -le "$k" ]; then ok; else bad "min>fifo/clock: $p cap $c"; fi
done <<<"$out"
# cap 300 >= 256 regions: only compulsory misses (regions first seen when measured).
cold=$("$SIM" "${ARGS[@]}" --capacity 300 | sed -n 's/.* \([0-9]*\) first seen in the measured phase$/\1/p')
[ -n "$cold" ] && [ "$cold" -gt 0 ] && ok || bad "no compulsory count in the table ('$cold')"
eq "cap >= regions" "$(sed -n 4p <<<"$out" | cut -d, -f9-)" "$cold,$cold,$cold"

# Determinism.
a=$("$SIM" "${ARGS[@]}" --capacity 40 --capacity 90)
b=$("$SIM" "${ARGS[@]}" --capacity 40 --capacity 90)
eq "deterministic" "$a" "$b"
c=$("$SIM" "${ARGS[@]}" --seed 2 --capacity 40 --capacity 90)
[ "$a" != "$c" ] && ok || bad "another seed gives the same output"

# Every pattern runs; the table mentions the interleaving approximation.
for p in hotcold hotscan loop phase private; do
	"$SIM" --pattern $p --regions 64 --vcpus 2 --warmup 10 --steps 100 --seed 3 \
		--capacity 8 --csv >/dev/null && ok || bad "pattern $p"
done
"$SIM" --help | grep -q "APPROXIMATION" && ok || bad "--help lacks the interleaving note"

# Refusals: non-zero exit and a message on stderr.
refuse() {
	local what=$1; shift
	local err rc
	err=$("$SIM" "$@" 2>&1 >/dev/null); rc=$?
	if [ $rc -ne 0 ] && [ -n "$err" ]; then ok; else bad "accepted: $what (rc $rc)"; fi
}
B=(--regions 64 --vcpus 2 --warmup 10 --steps 100 --seed 3 --capacity 8)
refuse "unknown pattern"  --pattern zipf "${B[@]}"
refuse "capacity 0"       --pattern loop "${B[@]}" --capacity 0
refuse "regions 0"        --pattern loop "${B[@]}" --regions 0
refuse "vcpus 0"          --pattern loop "${B[@]}" --vcpus 0
refuse "vcpus 65"         --pattern loop "${B[@]}" --vcpus 65
refuse "negative steps"   --pattern loop "${B[@]}" --steps -5
refuse "garbage number"   --pattern loop "${B[@]}" --seed 12x
refuse "no capacity"      --pattern loop --regions 64 --vcpus 2 --warmup 10 --steps 100 --seed 3
refuse "no pattern"       "${B[@]}"
refuse "unknown option"   --pattern loop "${B[@]}" --frobnicate 1
refuse "missing value"    --pattern loop "${B[@]}" --seed
refuse "bad trace"        --trace 1,x,2 --capacity 2
refuse "trace + pattern"  --trace 1,2 --pattern loop --capacity 2
eq "vcpus 64 accepted" "$("$SIM" --pattern loop --regions 64 --vcpus 64 --warmup 1 --steps 2 --seed 3 --capacity 8 --csv | cut -d, -f2)" 64

# Speed: 16 vCPUs x 20000 steps = 320k accesses, 3 capacities.
t0=$(date +%s%N)
"$SIM" --pattern hotscan --regions 1024 --vcpus 16 --warmup 5000 --steps 15000 --seed 1 \
	--capacity 64 --capacity 256 --capacity 512 --csv >/dev/null && ok || bad "large run"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $ms -lt 3000 ] && ok || bad "320k accesses took ${ms} ms"

echo "$([ $fail = 0 ] && echo PASS || echo FAIL): sim CLI, $n checks, $fail failed (large run ${ms} ms)"
[ $fail = 0 ]
