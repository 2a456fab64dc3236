#!/usr/bin/env bash
# Self-test of report.py on synthetic CSVs with known values: summary
# medians/min/max, target verdicts (met, missed, not run), refusal of a CSV
# that lacks a column.  Usage: selftest.sh [PYTHON]
set -u
cd "$(dirname "$0")"
PY=${1:-/usr/bin/python3}
"$PY" -c 'import matplotlib' 2>/dev/null || {
	echo "selftest: $PY lacks matplotlib (apt-get install python3-matplotlib)"; exit 1; }
T=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $T" || rm -rf "$T"' EXIT
fail=0 n=0
ok()  { n=$((n + 1)); }
bad() { n=$((n + 1)); fail=$((fail + 1)); echo "FAIL: $*"; }
eq()  { if [ "$2" == "$3" ]; then ok; else bad "$1: got '$2', want '$3'"; fi; }

# Cells (pattern vcpus quota; regions 256, warmup 100, steps 1000, seed 1,
# overhead 20, so capacity = quota - 20):
#  A hotcold 8 100: clock -68 % pf (met), sharded -45 % (missed); sharded
#    refaults +7.5 % of clock (met); lock 6000 vs 1100 (5.5x, met);
#    throughput 215 >= 210 (met); vs MIN 200: clock 400 (met), sharded 430 (missed)
#  B hotscan 16 100: clock -61 % (met), sharded -60.5 % (met); refaults +20 %
#    (missed); lock 2.5x (missed); throughput 90 < 100 (missed); MIN 300
#  C loop 2 50: fifo and clock only, no sim row: no targets
#  D hotcold 1 400: capacity 380 >= 256 regions: no targets
# (the sharded targets S1-S4 are checked further down, on extra columns)
"$PY" - "$T" <<'PYEOF'
import sys
cols = ("rep,policy,pattern,vcpus,quota,regions,warmup,steps,seed,overhead,pf_taken,"
        "mmu_cache_miss,mmu_recycled,mmu_shadow_zapped,evict_scanned,evict_ref_skips,"
        "evict_young_skips,evict_wakeups,evict_batches,evict_direct,evict_lock_ns,"
        "evict_lock_max_ns,measure_ns,touches_per_sec_per_vcpu").split(",")
# (pattern, vcpus, quota, policy): per rep (pf_taken, mmu_cache_miss, evict_lock_ns, tput)
cells = {
    ("hotcold", 8, 100, "fifo"):    [(1000, 900, 3000, 100), (1200, 950, 3000, 110), (1100, 1000, 3000, 120)],
    ("hotcold", 8, 100, "clock"):   [(300, 380, 5000, 200), (400, 400, 6000, 210), (350, 420, 7000, 220)],
    ("hotcold", 8, 100, "sharded"): [(500, 430, 1000, 230), (700, 420, 1200, 205), (600, 440, 1100, 215.5)],
    ("hotscan", 16, 100, "fifo"):   [(1000, 800, 1, 50)] * 3,
    ("hotscan", 16, 100, "clock"):  [(390, 500, 5000, 100)] * 3,
    ("hotscan", 16, 100, "sharded"): [(395, 600, 2000, 90)] * 3,
    ("loop", 2, 50, "fifo"):        [(900, 800, 10, 10)] * 3,
    ("loop", 2, 50, "clock"):       [(900, 800, 10, 10)] * 3,
    ("hotcold", 1, 400, "fifo"):    [(10, 5, 0, 1)] * 3,
    ("hotcold", 1, 400, "clock"):   [(10, 5, 0, 1)] * 3,
    ("hotcold", 1, 400, "sharded"): [(10, 5, 0, 1)] * 3,
}
out = sys.argv[1]
with open(f"{out}/runs.csv", "w") as f:
    f.write(",".join(cols + ["host_note"]) + "\n")
    for rep in range(3):          # interleaved, as in the real run
        for (pat, v, q, pol), reps in cells.items():
            pf, mcm, lock, tput = reps[rep]
            row = dict.fromkeys(cols, 0)
            row.update(rep=rep, policy=pol, pattern=pat, vcpus=v, quota=q, regions=256,
                       warmup=100, steps=1000, seed=1, overhead=20, pf_taken=pf,
                       mmu_cache_miss=mcm, evict_lock_ns=lock, evict_lock_max_ns=lock // 2,
                       measure_ns=10**9 + rep, touches_per_sec_per_vcpu=tput)
            f.write(",".join(str(row[c]) for c in cols) + ",extra\n")
with open(f"{out}/sim.csv", "w") as f:
    f.write("pattern,vcpus,regions,warmup,steps,seed,capacity,accesses,fifo_misses,clock_misses,min_misses\n")
    f.write("hotcold,8,256,100,1000,1,80,8000,900,500,200\n")
    f.write("hotcold,8,256,100,1000,1,81,8000,1,1,1\n")      # another capacity: unused
    f.write("hotscan,16,256,100,1000,1,80,16000,700,450,300\n")
    f.write("hotcold,1,256,100,1000,1,380,1000,5,5,5\n")
PYEOF

R=(--runs "$T/runs.csv" --sim "$T/sim.csv" --machine "test box" --accel TCG
   --kernel "6.12.117-test" --command "make bench" --date 2026-01-01)
"$PY" report.py "${R[@]}" --out "$T/out" >"$T/stdout" 2>"$T/stderr" && ok || {
	bad "report.py failed: $(cat "$T/stderr")"; }

# summary.csv: column by name, row by (pattern, vcpus, quota, policy).
get() {  # get PATTERN VCPUS QUOTA POLICY COLUMN
	"$PY" - "$T/out/summary.csv" "$@" <<'PYEOF'
import csv, sys
f, pat, v, q, pol, col = sys.argv[1:]
rows = [r for r in csv.DictReader(open(f))
        if (r["pattern"], r["vcpus"], r["quota"], r["policy"]) == (pat, v, q, pol)]
print(rows[0][col] if len(rows) == 1 else f"<{len(rows)} rows>")
PYEOF
}
eq "A fifo pf median" "$(get hotcold 8 100 fifo pf_taken_median)" 1100
eq "A fifo pf min"    "$(get hotcold 8 100 fifo pf_taken_min)" 1000
eq "A fifo pf max"    "$(get hotcold 8 100 fifo pf_taken_max)" 1200
eq "A clock mcm median" "$(get hotcold 8 100 clock mmu_cache_miss_median)" 400
eq "A sharded lock median" "$(get hotcold 8 100 sharded evict_lock_ns_median)" 1100
eq "A sharded lock max" "$(get hotcold 8 100 sharded evict_lock_ns_max)" 1200
eq "A sharded tput median" "$(get hotcold 8 100 sharded touches_per_sec_per_vcpu_median)" 215.5
eq "A sharded tput min" "$(get hotcold 8 100 sharded touches_per_sec_per_vcpu_min)" 205
eq "A reps"            "$(get hotcold 8 100 clock reps)" 3
eq "A sim capacity"    "$(get hotcold 8 100 clock sim_capacity)" 80
eq "A sim min"         "$(get hotcold 8 100 sharded sim_min_misses)" 200
eq "A sim fifo"        "$(get hotcold 8 100 fifo sim_fifo_misses)" 900
eq "A fifo pf lo95"   "$(get hotcold 8 100 fifo pf_taken_lo95)" 1000
eq "A fifo pf hi95"   "$(get hotcold 8 100 fifo pf_taken_hi95)" 1200
eq "B clock pf lo95"  "$(get hotscan 16 100 clock pf_taken_lo95)" 390
eq "C no sim"          "$(get loop 2 50 fifo sim_min_misses)" ""
eq "C no sharded row"  "$(get loop 2 50 sharded reps)" "<0 rows>"
head -1 "$T/out/summary.csv" | grep -q host_note && bad "extra column leaked into summary" || ok

# targets.csv verdicts.
verdict() {  # verdict TARGET PATTERN VCPUS POLICY
	awk -F, -v t="$1" -v p="$2" -v v="$3" -v pol="$4" \
		'$1 == t && $2 == p && $3 == v && $5 == pol { print $6 }' "$T/out/targets.csv" | paste -sd' '
}
# T1 A clock: 68 % fewer, interval 60-75 %: wholly on the met side.
eq "T1 A clock"   "$(verdict T1 hotcold 8 clock)" MET
grep -qF "fewer [95 % CI" "$T/out/targets.csv" && ok || bad "targets.csv shows no interval"
# REPORT.md is written whole: nothing of an earlier one survives.
mkdir -p "$T/out-again"
printf '%s\n' "# old" "old text" >"$T/out-again/REPORT.md"
"$PY" report.py "${R[@]}" --out "$T/out-again" --no-charts >/dev/null 2>&1
cmp -s "$T/out/targets.csv" "$T/out-again/targets.csv" && ok ||
	bad "the bootstrap is not reproducible: targets.csv differs between two runs"
grep -qF "old text" "$T/out-again/REPORT.md" && bad "text of the earlier REPORT.md was kept" || ok
grep -qF "## Headline" "$T/out-again/REPORT.md" && ok || bad "regenerated REPORT.md lacks its tables"
eq "T1 A sharded" "$(verdict T1 hotcold 8 sharded)" MISSED
eq "T1 B clock"   "$(verdict T1 hotscan 16 clock)" MET
eq "T1 B sharded" "$(verdict T1 hotscan 16 sharded)" MET
# Cell A's reps vary, so its 95 % intervals (3 runs: about min to max) can
# straddle a threshold: then the verdict is WITHIN NOISE, not MET or MISSED.
# T2 A: sharded/clock refaults 430/400 = 1.075, interval 1.00-1.16 vs 1.10.
eq "T2 A"         "$(verdict T2 hotcold 8 sharded)" "WITHIN NOISE"
eq "T2 B"         "$(verdict T2 hotscan 16 sharded)" MISSED
# T3 A: clock/sharded lock 6000/1100 = 5.5x, interval 4.2x-7x vs 5x.
eq "T3 A"         "$(verdict T3 hotcold 8 sharded)" "WITHIN NOISE"
eq "T3 B"         "$(verdict T3 hotscan 16 sharded)" MISSED
# T4 A: throughput 215.5/210, interval 0.93-1.15 vs 1.
eq "T4 A"         "$(verdict T4 hotcold 8 sharded)" "WITHIN NOISE"
eq "T4 B"         "$(verdict T4 hotscan 16 sharded)" MISSED
# T5 A clock: 400 vs 2 x MIN = 400, interval 380-420.
eq "T5 A clock"   "$(verdict T5 hotcold 8 clock)" "WITHIN NOISE"
eq "T5 A sharded" "$(verdict T5 hotcold 8 sharded)" MISSED
eq "T5 B clock"   "$(verdict T5 hotscan 16 clock)" MET
eq "no targets on loop"  "$(awk -F, '$2 == "loop"' "$T/out/targets.csv")" ""
eq "no targets above the working set" "$(awk -F, '$2 == "hotcold" && $3 == 1' "$T/out/targets.csv")" ""

# REPORT.md and charts.
M="$T/out/REPORT.md"
for s in "Machine: test box" "Accelerator: TCG" "Kernel: 6.12.117-test" "make bench" \
	 "relative only" "round-robin" "## Targets" "### T3" "MISSED in 1 of 2" \
	 "| hotcold | 8 | 100 | 80 | 900 | 950 | +5.6 % |" \
	 "| hotcold | 8 | 100 | 80 | 1100 [1000–1200] | 350 [300–400] | 600 [500–700] | 200 |"; do
	grep -qF -- "$s" "$M" && ok || bad "REPORT.md lacks '$s'"
done
grep -qF "| hotcold | 8 | 100 | 80 | 1100 [1000–1200]" "$T/stdout" && ok || bad "headline not on stdout"
for p in refaults pf_taken lock_hold throughput; do
	[ "$(head -c 4 "$T/out/$p.png" 2>/dev/null | tail -c 3)" = PNG ] && ok || bad "$p.png missing"
	grep -qF "($p.png)" "$M" && ok || bad "REPORT.md does not show $p.png"
done

# No 8/16 vCPU cells: T3 NOT RUN.
grep -v ',hotscan,16,' "$T/runs.csv" | sed 's/,hotcold,8,/,hotcold,4,/' >"$T/runs4.csv"
sed 's/^hotcold,8,/hotcold,4,/' "$T/sim.csv" >"$T/sim4.csv"
"$PY" report.py "${R[@]}" --runs "$T/runs4.csv" --sim "$T/sim4.csv" --out "$T/out4" \
	--no-charts >/dev/null 2>&1 && ok || bad "report.py failed on runs4"
eq "T3 not run" "$(awk -F, '$1 == "T3" { print $6 }' "$T/out4/targets.csv")" "NOT RUN"
eq "T1 still met at 4" "$(awk -F, '$1 == "T1" && $3 == 4 && $5 == "clock" { print $6 }' "$T/out4/targets.csv")" MET

# bench/bench.sh's sim CSV: quota and overhead columns first; match on quota.
{ echo "quota,overhead,$(head -1 "$T/sim.csv")"
  echo "100,22,hotcold,8,256,100,1000,1,78,8000,910,510,210"
  echo "100,20,hotscan,16,256,100,1000,1,80,16000,700,450,300"; } >"$T/simq.csv"
"$PY" report.py "${R[@]}" --sim "$T/simq.csv" --out "$T/outq" --no-charts >/dev/null 2>&1 &&
	ok || bad "report.py failed on a sim CSV with a quota column"
T2=$T/outq
eq "quota match: capacity" "$(awk -F, 'NR > 1 && $1 == "hotcold" && $2 == 8 && $7 == "clock" { print $10 }' "$T2/summary.csv")" 78
eq "quota match: MIN" "$(awk -F, 'NR > 1 && $1 == "hotcold" && $2 == 8 && $7 == "clock" { print $NF }' "$T2/summary.csv")" 210

# The lockstat boot's CSV: a contention table, medians over reps; wait in ms.
{ echo "rep,policy,pattern,vcpus,quota,evict_lock_ns,mmu_lock_contentions,mmu_lock_wait_ns"
  for rep in 0 1 2; do
	echo "$rep,fifo,hotcold,16,96,$((4000000 + rep * 1000000)),$((100 + rep * 10)),$((2000000 * (rep + 1)))"
	echo "$rep,clock,hotcold,16,96,3000000,50,1000000"
	echo "$rep,sharded,hotcold,16,96,1500000,$((7 - rep)),500000"
  done; } >"$T/lockstat.csv"
"$PY" report.py "${R[@]}" --lockstat "$T/lockstat.csv" --lockstat-kernel "ls-kernel" \
	--see ANALYSIS.md --see SCALING.md --out "$T/outl" --no-charts >/dev/null 2>&1 && ok ||
	bad "report.py failed with --lockstat"
grep -qxF -- "- See also: [ANALYSIS.md](ANALYSIS.md), [SCALING.md](SCALING.md)" "$T/outl/REPORT.md" &&
	ok || bad "REPORT.md does not link the --see files"
# --again makes the same report from the folder's CSVs and the old header.
cp "$T/runs.csv" "$T/sim.csv" "$T/outl/"
cp "$T/lockstat.csv" "$T/outl/runs-lockstat.csv"
"$PY" report.py --again "$T/outl" --out "$T/outl-again" --no-charts >/dev/null 2>&1 &&
	cmp -s "$T/outl/REPORT.md" "$T/outl-again/REPORT.md" && ok ||
	bad "report.py --again did not remake REPORT.md: $(diff "$T/outl/REPORT.md" "$T/outl-again/REPORT.md" 2>&1 | head -5)"
for s in "## mmu_lock contention" "ls-kernel" \
	 "| hotcold | 96 | 16 | 3 | 110 [100–120] | 50 | 6 [5–7] | 4 [2–6] | 1 | 0.5 | 5 [4–6] | 3 | 1.5 |"; do
	grep -qF -- "$s" "$T/outl/REPORT.md" && ok || bad "lockstat REPORT.md lacks '$s'"
done
grep -qF "mmu_lock contention" "$T/out/REPORT.md" && bad "contention section without --lockstat" || ok
sed 's/,mmu_lock_wait_ns$//; s/,[0-9]*$//' "$T/lockstat.csv" >"$T/lockstat-bad.csv"
"$PY" report.py "${R[@]}" --lockstat "$T/lockstat-bad.csv" --out "$T/outlb" --no-charts \
	>/dev/null 2>"$T/lserr" && bad "lockstat CSV without mmu_lock_wait_ns accepted" ||
	{ grep -qF "mmu_lock_wait_ns" "$T/lserr" && ok || bad "lockstat refusal does not name the column"; }

# Newer runs carry the lock-hold split, the ready list and touch latency:
# a hold-split table and the sharded targets S1-S4.  Every run gets
# mmu_recycled 100, fault_lock_ns 9e6, evict_direct_lock_ns 2e6; sharded's
# evict_direct_zapped is 5 in A (5 %: met at the bound) and 6 in B (missed).
"$PY" - "$T/runs.csv" "$T/runsx.csv" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
extra = ["evict_direct_lock_ns", "evict_direct_zapped", "fault_lock_ns", "evict_readied",
         "evict_ready_stale", "touch_p50_cyc", "touch_p99_cyc", "exit_touches",
         "exit_p50_cyc", "exit_p99_cyc"]
with open(sys.argv[2], "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]) + extra, lineterminator="\n")
    w.writeheader()
    for r in rows:
        direct = 0
        if r["policy"] == "sharded":
            direct = 5 if r["pattern"] == "hotcold" else 6
        r.update(mmu_recycled=100, evict_direct_lock_ns=2000000, evict_direct_zapped=direct,
                 fault_lock_ns=9000000, evict_readied=50, evict_ready_stale=1,
                 touch_p50_cyc=100, touch_p99_cyc=5000, exit_touches=10,
                 exit_p50_cyc=4000, exit_p99_cyc=9000)
        w.writerow(r)
    # hotscan at 4 vCPUs (steps per vCPU differ from the 16-vCPU cell):
    # sharded 350/vCPU = 1400 in all, against 1440 at 16 vCPUs.
    for rep in range(3):
        for pol, tput in (("clock", 300), ("sharded", 350)):
            r = dict(rows[0])
            r.update(rep=rep, policy=pol, pattern="hotscan", vcpus=4, quota=100,
                     warmup=400, steps=4000, touches_per_sec_per_vcpu=tput,
                     mmu_recycled=100, evict_direct_lock_ns=2000000,
                     evict_direct_zapped=0, fault_lock_ns=9000000, evict_readied=50,
                     evict_ready_stale=1, touch_p50_cyc=100, touch_p99_cyc=5000,
                     exit_touches=10, exit_p50_cyc=4000, exit_p99_cyc=9000)
            w.writerow(r)
PYEOF
"$PY" report.py "${R[@]}" --runs "$T/runsx.csv" --lockstat "$T/lockstat.csv" --out "$T/outx" \
	--no-charts >/dev/null 2>"$T/xerr" && ok || bad "report.py failed on the extra columns: $(cat "$T/xerr")"
X=$T/outx/targets.csv
xv() { awk -F, -v t="$1" -v p="$2" -v v="$3" '$1 == t && $2 == p && $3 == v { print $6 }' "$X" | paste -sd' '; }
eq "S1 A (5 %)"  "$(xv S1 hotcold 8)" MET
eq "S1 B (6 %)"  "$(xv S1 hotscan 16)" MISSED
# +7.5 % against 5 %, but the interval reaches 0 %.
eq "S2 A (+7.5 %)" "$(xv S2 hotcold 8)" "WITHIN NOISE"
eq "S3 B (0.90x clock)" "$(xv S3 hotscan 16)" MISSED
grep -qF "total touches/s sharded 1440 vs clock 1600 (0.90x, need >= 1.3x); vs sharded at 4 vCPUs 1400 (1.03x" "$X" &&
	ok || bad "S3 numbers: $(grep '^S3' "$X")"
eq "S3 not run without a 4-vCPU cell" "$(awk -F, '$1 == "S3" { print $6 }' "$T/out/targets.csv")" "NOT RUN"
eq "S4 (0.5x)" "$(xv S4 hotcold 16)" MET
eq "S1 not run on old runs" "$(awk -F, '$1 == "S1" { print $6 }' "$T/out/targets.csv" | sort -u)" "NOT RUN"
for s in "## Where mmu_lock is held" \
	 "| hotcold | 100 | 8 | sharded | 7.0 | 2.0 | 0.0 | 5.0 % | 100 / 5000 | 10 | 4000 / 9000 |"; do
	grep -qF -- "$s" "$T/outx/REPORT.md" && ok || bad "REPORT.md with extra columns lacks '$s'"
done
grep -qF "Where mmu_lock is held" "$T/out/REPORT.md" && bad "hold split without its columns" || ok
eq "summary carries the extra medians" "$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "exit_p99_cyc_median") print "yes" }' "$T/outx/summary.csv")" yes

# Whatever python3 is first in PATH (a pyenv or venv one may lack
# matplotlib: report.py then runs itself under /usr/bin/python3).
python3 report.py "${R[@]}" --out "$T/outp" >/dev/null 2>&1 && [ -s "$T/outp/refaults.png" ] &&
	ok || bad "report.py under $(command -v python3) failed"

# Refusals.
refuse() {  # refuse WHAT EXPECTED-IN-STDERR ARGS...
	local what=$1 want=$2 err rc; shift 2
	err=$("$PY" report.py "$@" --out "$T/bad" 2>&1 >/dev/null); rc=$?
	if [ $rc -ne 0 ] && grep -qF -- "$want" <<<"$err"; then ok; else
		bad "not refused: $what (rc $rc, stderr: $err)"; fi
}
"$PY" - "$T/runs.csv" "$T/nolock.csv" <<'PYEOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
i = rows[0].index("evict_lock_ns")
csv.writer(open(sys.argv[2], "w")).writerows([r[:i] + r[i + 1:] for r in rows])
PYEOF
refuse "runs without evict_lock_ns" "lacks required column(s): evict_lock_ns" \
	--runs "$T/nolock.csv" --sim "$T/sim.csv" --machine m --accel KVM
cut -d, -f1-10 "$T/sim.csv" >"$T/simcut.csv"
refuse "sim without min_misses" "min_misses" \
	--runs "$T/runs.csv" --sim "$T/simcut.csv" --machine m --accel KVM
sed '2s/,20,1000,/,20,1x00,/' "$T/runs.csv" >"$T/nan.csv"
refuse "non-numeric value" "is not a number" \
	--runs "$T/nan.csv" --sim "$T/sim.csv" --machine m --accel KVM
refuse "bad accelerator" "invalid choice" \
	--runs "$T/runs.csv" --sim "$T/sim.csv" --machine m --accel HVF
refuse "missing file" "cannot read" \
	--runs "$T/none.csv" --sim "$T/sim.csv" --machine m --accel KVM
refuse "no machine" "missing --machine" --runs "$T/runs.csv" --sim "$T/sim.csv" --accel KVM
refuse "--again without a report" "cannot read" --again "$T/none"
[ -e "$T/bad/summary.csv" ] && bad "wrote a summary for refused input" || ok

# compare_runs.py: one cell unchanged (OK), one doubled (WORSE), one that
# straddles +5 % (WITHIN NOISE), one pattern it was not asked about.
"$PY" - "$T" <<'PYEOF'
import sys
hdr = "rep,policy,pattern,vcpus,quota,seed,pf_taken,mmu_cache_miss\n"
old = {("loop", 2, 96, "clock"): [100, 100, 100], ("loop", 2, 96, "sharded"): [100, 100, 100],
       ("phase", 4, 160, "clock"): [100, 100, 100], ("hotcold", 1, 96, "clock"): [100, 100, 100]}
new = {("loop", 2, 96, "clock"): [100, 100, 100], ("loop", 2, 96, "sharded"): [200, 200, 200],
       ("phase", 4, 160, "clock"): [90, 104, 120], ("hotcold", 1, 96, "clock"): [900, 900, 900]}
for name, cells in (("old", old), ("new", new)):
    with open(f"{sys.argv[1]}/{name}.csv", "w") as f:
        f.write(hdr)
        for (p, v, q, pol), vals in cells.items():
            for rep, x in enumerate(vals):
                f.write(f"{rep},{pol},{p},{v},{q},1,{x},{x}\n")
PYEOF
out=$("$PY" compare_runs.py "$T/old.csv" "$T/new.csv"); rc=$?
eq "compare_runs exit status with a worse cell" "$rc" 1
eq "compare_runs unchanged cell" "$(grep -c '^| loop 2v q96 | clock | .* | OK |$' <<<"$out")" 2
eq "compare_runs doubled cell" "$(grep -c '^| loop 2v q96 | sharded | .* | 2.00 .* | WORSE |$' <<<"$out")" 2
eq "compare_runs straddling cell" "$(grep -c '^| phase 4v q160 | clock | .* | WITHIN NOISE |$' <<<"$out")" 2
eq "compare_runs ignores other patterns" "$(grep -c hotcold <<<"$out")" 0
eq "compare_runs tally" "$(tail -1 <<<"$out")" "2 OK, 2 within noise, 2 worse"
"$PY" compare_runs.py "$T/old.csv" "$T/old.csv" >/dev/null; eq "compare_runs exit status, nothing worse" "$?" 0
# Derived metrics: hold per victim 100000/100 = 1000 ns -> 50000/100 = 500
# (0.50); the faults' own hold per fault (3000 - 1000)/10 = 200 -> (2600 -
# 600)/10 = 200 (1.00); a run that evicted nothing has no hold per victim
# and is left out.
{
	echo "rep,policy,pattern,vcpus,quota,seed,pf_taken,mmu_recycled,evict_lock_ns,fault_lock_ns,evict_direct_lock_ns"
	for r in 1 2 3; do echo "$r,clock,loop,16,96,1,10,100,100000,3000,1000"; done
} >"$T/dold.csv"
{
	echo "rep,policy,pattern,vcpus,quota,seed,pf_taken,mmu_recycled,evict_lock_ns,fault_lock_ns,evict_direct_lock_ns"
	for r in 1 2 3; do echo "$r,clock,loop,16,96,1,10,100,50000,2600,600"; done
	echo "4,clock,loop,16,96,1,10,0,0,2600,600"
} >"$T/dnew.csv"
out=$("$PY" compare_runs.py "$T/dold.csv" "$T/dnew.csv" --metrics hold_per_victim,fault_proper_per_fault)
eq "compare_runs hold per victim" "$(grep -c '^| loop 16v q96 | clock | hold_per_victim | 1000 | 500 | 0.50 .* | OK |$' <<<"$out")" 1
eq "compare_runs fault proper per fault" "$(grep -c '^| loop 16v q96 | clock | fault_proper_per_fault | 200 | 200 | 1.00 .* | OK |$' <<<"$out")" 1
out=$("$PY" compare_runs.py "$T/dold.csv" "$T/dnew.csv" --metrics touches_per_sec_per_vcpu 2>&1)
eq "compare_runs refuses a metric where higher is better" "$(grep -c 'unknown metric(s) touches_per_sec_per_vcpu (lower must be better' <<<"$out")" 1

# signal_check.py: its ideal CLOCK is the simulator's, with KVM's refill,
# at the cell's capacity, median over the cell's seeds.
SIM=../../build/bench-sim/sim
if [ -x "$SIM" ]; then
	mkdir -p "$T/sig"
	{
		echo "pattern,vcpus,quota,regions,warmup,steps,policy,reps,seeds,sim_capacity,pf_taken_median,mmu_cache_miss_median"
		for pol in fifo clock sharded; do
			echo "hotcold,1,40,64,100,1000,$pol,3,1;2;3,30,400,200"
		done
	} >"$T/sig/summary.csv"
	want=$(for s in 1 2 3; do "$SIM" --pattern hotcold --regions 64 --vcpus 1 --warmup 100 \
		--steps 1000 --seed $s --capacity 30 --refill 5,25 --csv | cut -d, -f10; done | sort -n | sed -n 2p)
	out=$("$PY" signal_check.py "$T/sig")
	eq "signal_check ideal CLOCK" "$(grep '^| hotcold | 40 | 1 | 30 |' <<<"$out" | cut -d'|' -f6 | tr -d ' ')" "$want"
	eq "signal_check pf_taken below fifo" "$(grep '^| hotcold | 40 | 1 |' <<<"$out" | cut -d'|' -f9 | cut -d/ -f1 | tr -d ' ')" "0%"
else
	bad "signal_check: $SIM is missing (make -C bench sim)"
fi

# evict_costs.py: two runs of one sharded cell with known holds.  Run 1:
# 10 direct reclaims zapping 10 pages in 1.5 ms, 20 worker batches zapping
# 80 pages in 2 ms more (evict_lock_ns 3.5 ms), 40 waits of 1 ms, faults
# holding 6 ms over a 10 ms phase: busy (6 + 2) / 10 = 80 %.  Run 2 the
# same but 30 waits of 2 ms: the medians are 35 waits and 1.5 ms a wait.
# A clock run in another cell: 2 reclaims of 42 pages in 0.84 ms, faults
# holding 0.9 ms of a 1 ms phase (90 %), no worker.
mkdir -p "$T/costs"
{
	echo "rep,policy,pattern,vcpus,quota,mmu_recycled,evict_batches,evict_direct,evict_direct_zapped,evict_lock_ns,evict_direct_lock_ns,fault_lock_ns,evict_waits,evict_wait_ns,measure_ns"
	echo "1,sharded,hotcold,16,96,90,20,10,10,3500000,1500000,6000000,40,40000000,10000000"
	echo "2,sharded,hotcold,16,96,90,20,10,10,3500000,1500000,6000000,30,60000000,10000000"
	echo "1,clock,hotscan,4,96,42,0,2,42,840000,840000,900000,0,0,1000000"
} >"$T/costs/runs.csv"
out=$("$PY" evict_costs.py "$T/costs/runs.csv" --patterns hotcold)
eq "evict_costs sharded row" "$(grep '| sharded |' <<<"$out" | tr -d ' ')" \
	"|hotcold|96|16|sharded|2|10|1.0|150|20|4.0|100|35|1.50|8|80|"
eq "evict_costs filters patterns" "$(grep -c '| clock |' <<<"$out")" "0"
out=$("$PY" evict_costs.py "$T/costs/runs.csv" --vcpus 4)
eq "evict_costs clock row" "$(grep '| clock |' <<<"$out" | tr -d ' ')" \
	"|hotscan|96|4|clock|1|2|21.0|420|0|||0||1|90|"
if "$PY" evict_costs.py "$T/costs/runs.csv" --vcpus 2 >/dev/null 2>&1; then
	bad "evict_costs accepted a filter that matches no run"
else
	ok
fi

# zap_profile.py: a clock run of 10 zapped pages, 640 leaves, children
# 300 us, parents 10, unsync 0, rest 20, flush 40, free 30 (10 pages in
# 2 commits), evicting 8 pages in 800 us: per page 64 leaves, 30/1/0/2/4/3
# us, zap 40 us, hold 100 us, 5 pages a commit.  A second, slower run
# (everything doubled but counts) makes the median the mean of the two.
# A run without the variant (zap_pages 0) is skipped.
mkdir -p "$T/zap"
{
	echo "rep,policy,pattern,vcpus,quota,density,mmu_recycled,evict_lock_ns,zap_pages,zap_leaves,zap_unsync_ns,zap_children_ns,zap_parents_ns,zap_rest_ns,zap_flushes,zap_flush_ns,zap_free_ns"
	echo "1,clock,hotcold,16,96,64,8,800000,10,640,0,300000,10000,20000,2,40000,30000"
	echo "2,clock,hotcold,16,96,64,8,1600000,10,640,0,600000,20000,40000,2,80000,60000"
	echo "3,clock,hotcold,16,96,64,8,1600000,0,0,0,0,0,0,0,0,0"
} >"$T/zap/runs.csv"
out=$("$PY" zap_profile.py "k=$T/zap/runs.csv")
eq "zap_profile row" "$(grep '| clock |' <<<"$out" | tr -d ' ')" \
	"|k|hotcold|64|16|96|clock|2|64|45.0|1.5|0.0|3.0|6.0|4.5|60.0|150.0|5.0|"
# The leaf split: 640 leaves; per leaf tick 20 ns, clear 120, host 70,
# lookup 50, unlink 90 (each holds a tick): net 100/50/30/70, and of the
# 468.75 ns of children per leaf, 468.75 - 350 = 118.75 elsewhere.
{
	echo "rep,policy,pattern,vcpus,quota,density,mmu_recycled,evict_lock_ns,zap_pages,zap_leaves,zap_unsync_ns,zap_children_ns,zap_parents_ns,zap_rest_ns,zap_flushes,zap_flush_ns,zap_free_ns,zap_leaf_tick_ns,zap_leaf_clear_ns,zap_leaf_host_ns,zap_leaf_lookup_ns,zap_leaf_unlink_ns"
	echo "1,fifo,hotcold,1,96,64,8,800000,10,640,0,300000,10000,20000,2,40000,30000,12800,76800,44800,32000,57600"
} >"$T/zap/leaf.csv"
out=$("$PY" zap_profile.py "k=$T/zap/runs.csv" "l=$T/zap/leaf.csv")
eq "zap_profile leaf row" "$(grep '| l |' <<<"$out" | tail -1 | tr -d ' ')" \
	"|l|hotcold|64|1|96|fifo|1|64|20|100|50|30|70|119|"
eq "zap_profile leaf table only for runs with the split" "$(grep -c '| k |' <<<"$out")" 1
echo "rep,policy,pattern,vcpus,quota,mmu_recycled,evict_lock_ns,zap_pages" >"$T/zap/none.csv"
echo "1,clock,hotcold,16,96,8,800000,0" >>"$T/zap/none.csv"
if out=$("$PY" zap_profile.py "k=$T/zap/none.csv" 2>&1); then
	bad "zap_profile accepted a CSV without zap columns"
else
	eq "zap_profile refuses a CSV without zap columns" "${out%%(*}" "zap_profile.py: $T/zap/none.csv has no row with zap_* columns "
fi

# size_report.py: hotcold, 16 vCPUs, density 1, quotas 96 and 4096.
# sharded at 96: holds 10, 12, 11 us (100 victims each), longest 50, 60,
# 55 us, scans 2, 3, 2.5; at 4096: holds 12, 13, 14, longest 66, 70, 80,
# scans 2: hold grows 13/11 = 1.18 [12/12 = 1.00 - 14/10 = 1.40], longest
# 70/55 = 1.27: not within 1.2x; scans 2/2.5 = 0.80.  clock: hold 20 then
# 40 in every run (2.00).  A fifo run that evicted nothing has no hold and
# no scans per evicted page.
mkdir -p "$T/size"
{
	echo "rep,policy,pattern,vcpus,quota,regions,density,mmu_recycled,evict_lock_ns,evict_lock_max_ns,evict_scanned,touch_p99_cyc,touches_per_sec_per_vcpu"
	echo "1,sharded,hotcold,16,96,288,1,100,1000000,50000,200,1000,500"
	echo "2,sharded,hotcold,16,96,288,1,100,1200000,60000,300,1100,510"
	echo "3,sharded,hotcold,16,96,288,1,100,1100000,55000,250,1200,520"
	echo "1,sharded,hotcold,16,4096,12288,1,100,1200000,66000,200,1000,500"
	echo "2,sharded,hotcold,16,4096,12288,1,100,1300000,70000,200,1000,500"
	echo "3,sharded,hotcold,16,4096,12288,1,100,1400000,80000,200,1000,500"
	for r in 1 2 3; do
		echo "$r,clock,hotcold,16,96,288,1,50,1000000,30000,100,900,600"
		echo "$r,clock,hotcold,16,4096,12288,1,50,2000000,90000,400,900,600"
	done
	echo "1,fifo,hotcold,16,96,288,1,0,0,0,0,800,700"
} >"$T/size/runs.csv"
if "$PY" size_report.py --runs "$T/size/runs.csv" --out "$T/size" --machine m --accel TCG \
	--kernel k --command "make bench SIZE=1" --date d >/dev/null; then
	md=$T/size/SIZE.md
	eq "size: hold row" "$(grep -A4 '^## Eviction hold per evicted page' "$md" | grep '| 96 |' | tr -d ' ')" \
		"|hotcold|1|96|288|-|20.0[20.0-20.0]|11.0[10.0-12.0]|"
	eq "size: longest row" "$(grep -A5 '^## Longest single' "$md" | grep '| 4096 |' | tr -d ' ')" \
		"|hotcold|1|4096|12288||90[90-90]|70[66-80]|"
	eq "size: scans row" "$(grep -A4 '^## Pages examined' "$md" | grep '| 96 |' | tr -d ' ')" \
		"|hotcold|1|96|288|-|2.00[2.00-2.00]|2.50[2.00-3.00]|"
	eq "size: sharded growth" "$(grep '| sharded |' "$md" | tr -d ' ')" \
		"|hotcold|16|1|96->4096|sharded|1.18[1.00-1.40]|1.27[1.10-1.60]|0.80[0.67-1.00]|0.91[0.83-1.00]|no|"
	eq "size: clock growth" "$(grep '| clock |' "$md" | grep -- '->' | tr -d ' ')" \
		"|hotcold|16|1|96->4096|clock|2.00[2.00-2.00]|3.00[3.00-3.00]|4.00[4.00-4.00]|1.00[1.00-1.00]||"
	eq "size: csv row" "$(grep '^hotcold,16,1,4096,12288,sharded' "$T/size/size.csv" | cut -d, -f7-10)" "3,13.000,12.000,14.000"
	[ -s "$T/size/size.png" ] && ok || bad "size: no size.png"
	cp "$md" "$T/size/first.md"
	"$PY" size_report.py --again "$T/size" >/dev/null
	eq "size: --again makes the same SIZE.md" "$(cmp "$T/size/first.md" "$md" && echo same)" same
else
	bad "size_report.py failed on a good CSV"
fi
cut -d, -f1-6,8- "$T/size/runs.csv" >"$T/size/nodensity.csv"
if out=$("$PY" size_report.py --runs "$T/size/nodensity.csv" --out "$T/size2" --machine m --accel TCG \
	--kernel k --command c 2>&1); then
	bad "size_report accepted a CSV without density"
else
	eq "size_report refuses a CSV without density" "$out" "size_report.py: error: $T/size/nodensity.csv lacks column(s) density"
fi

echo "$([ $fail = 0 ] && echo PASS || echo FAIL): report self-test, $n checks, $fail failed"
[ $fail = 0 ]
