#!/usr/bin/env bash
# bench.sh (`make bench`): FIFO vs single-hand CLOCK vs sharded CLOCK across
# vCPU counts, beside Belady's MIN, in one command.
#
#  1. builds the bench kernel (scripts/kbuild.sh bench, incremental), the
#     guest image (scripts/guest.sh) and the simulator (make -C bench sim);
#  2. boots ONE L1 guest (scripts/run-guest.sh --flavor bench --suite bench)
#     whose driver (bench/run/bench-driver.sh) runs the matrix: for
#     each rep, each cell, each policy in an order rotated per rep, one VM
#     (kernel/guest/shadow_bench.c) -> one row of runs.csv;
#  3. replays every cell's trace through the simulator (FIFO, CLOCK, MIN) at
#     capacity = quota - overhead (the cell's median overhead) -> sim.csv;
#  4. boots a second, smaller matrix on the lockstat flavor (CONFIG_LOCK_STAT)
#     for mmu_lock contention from /proc/lock_stat: its lock tracking slows
#     every lock, so these runs are kept apart (runs-lockstat.csv);
#  5. bench/report/report.py -> bench/results/ (summary.csv, REPORT.md, PNGs).
#
# Raw results and the boot log stay in build/bench-runs/STAMP/; runs.csv and
# sim.csv are also copied into bench/results/.
#
# The default matrix is the quick one: 5 patterns x vCPUs 1,2,4,8,16 x
# quotas 96,160 x 3 policies x 3 trace seeds x 3 reps = 1350 runs: 17 min
# of boot on 2 cores under TCG (~0.75 s a run).
# FULL=1 adds quota 256 (2025 runs).
# SIZE=1 runs the size axis instead: rings from KVM's minimum towards a
# production VM's, at 1, 64 and 512 present SPTEs per shadow page, one boot
# per density, regions 3x each quota (so the same share of the set fits at
# every size), hotcold at 1 and 16 vCPUs, one seed x 3 reps, no lockstat
# boot and no simulator; bench/report/size_report.py writes SIZE.md and
# size.png into bench/results/size/. BENCH_SIZES sets the boots, one
# DENSITY:QUOTA,QUOTA,...[:STEPS[:WARMUP]] group each (default
# "1:96,512,2048,4096 64:96,512,2048:4000:2000 512:96:1000:500"; it
# replaces BENCH_QUOTAS and BENCH_DENSITY, and a group's steps and warm-up
# replace BENCH_STEPS and BENCH_WARMUP); the other knobs below apply.
# Every knob can be overridden from the
# environment (lists comma-separated; bench/matrix.sh reads and checks the
# matrix's, from BENCH_PATTERNS to BENCH_HOT_HIT_PCT and BENCH_LS_*):
#   BENCH_PATTERNS  patterns (hotcold,hotscan,loop,phase,private)
#   BENCH_VCPUS     vCPU counts of the benchmark VM
#   BENCH_QUOTAS    shadow-page quotas (KVM_SET_NR_MMU_PAGES), >= 64
#   BENCH_REGIONS   2 MiB regions per VM (one last-level shadow page each)
#   BENCH_DENSITY   4 KiB pages mapped and touched per region at each step,
#                   i.e. present SPTEs per shadow page (1; at most 512)
#   BENCH_STEPS     measured steps per run, all vCPUs together
#   BENCH_WARMUP    warm-up steps per run, all vCPUs together
#   BENCH_REPS      repetitions (>= 3 for a median with min and max)
#   BENCH_SEEDS     trace seeds, comma-separated (1,2,3); each seed's trace is
#                   the same for every rep and policy. BENCH_SEED: the same
#   BENCH_POLICIES  fifo,clock,sharded
#   BENCH_HOT_PCT BENCH_HOT_HIT_PCT   hot set (10 % of regions, 90 % of touches)
#   BENCH_DEADLINE  seconds after which the guest starts no new run (fails)
#   BENCH_MEM       L1 memory (default 2G); BENCH_L1_VCPUS (default 2)
#   BENCH_ACCEL     auto | tcg | kvm (as run-guest.sh --accel)
#   BENCH_APPEND    extra kernel parameters for the bench boots, e.g.
#                   "kvm.shadow_evict_wait_us=0", or "bench_hog=1" for a
#                   busy loop beside every run (experiments)
#   BENCH_LS_APPEND extra kernel parameters for the lockstat boot only, e.g.
#                   "bench_lockdump=1" for the lock_stat blocks of mmu_lock
#                   and the eviction core's spinlocks after every run
#                   (results/lock_stat.txt in the lockstat boot's folder)
#   BENCH_NO_BUILD=1  use the kernel and guest image as they are (no rebuild)
#   BENCH_NO_SIM=1    skip the simulator and the report (development only)
#   BENCH_OUT       where the report goes (default bench/results)
#   BENCH_LOCKSTAT=0  skip the lockstat boot; its matrix: BENCH_LS_PATTERNS
#                   (hotcold,hotscan), BENCH_LS_VCPUS (1,4,16), BENCH_LS_QUOTAS
#                   (96), BENCH_LS_REPS (3), the rest as above
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

t_all=$(now)
FULL=${FULL:-0}
SIZE=${SIZE:-0}
case $SIZE in 0 | 1) ;; *) die "SIZE wants 0 or 1, got '$SIZE'" ;; esac
# 512 regions with a 10 % hot set (51 regions): at quota 96 (capacity ~89
# after ~7 pages of overhead) the hot set barely fits, at 160 it fits with
# room, at 256 half the regions fit; the whole set never does.
if [ "$FULL" = 1 ]; then
	d_quotas=96,160,256 d_deadline=$((4 * 3600))
else
	d_quotas=96,160 d_deadline=2400
fi
# The matrix (patterns ... ls_reps) and its checks: bench/matrix.sh, shared
# with the bench kit.
. "$TOP/bench/matrix.sh"
mem=${BENCH_MEM:-2G}
l1_vcpus=${BENCH_L1_VCPUS:-2}
accel=${BENCH_ACCEL:-auto}
if [ "$SIZE" = 1 ]; then
	[ -z "${BENCH_QUOTAS:-}${BENCH_DENSITY:-}" ] ||
		die "SIZE=1 takes its quotas and densities from BENCH_SIZES (DENSITY:QUOTA,QUOTA,... groups), not BENCH_QUOTAS or BENCH_DENSITY"
	[ "$FULL" = 0 ] || die "SIZE=1 and FULL=1 are two different matrices: pick one"
	bench_matrix_read patterns=hotcold vcpus=1,16 regions=x3 seed=1
	# A step at density D touches D pages: dense groups take fewer steps.
	sizes=${BENCH_SIZES:-1:96,512,2048,4096 64:96,512,2048:4000:2000 512:96:1000:500}
	results=${BENCH_OUT:-$TOP/bench/results/size}
	lockstat=${BENCH_LOCKSTAT:-0}
	[ "$lockstat" = 0 ] || die "SIZE=1 has no lockstat boot: BENCH_LOCKSTAT wants 0 (or unset) there"
else
	bench_matrix_read quotas=$d_quotas
	sizes="$density:$quotas:$steps:$warmup"
	results=${BENCH_OUT:-$TOP/bench/results}
	lockstat=${BENCH_LOCKSTAT:-1}
fi

# ---- validate the matrix before spending minutes on builds ----
is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
case $lockstat in 0 | 1) ;; *) die "BENCH_LOCKSTAT wants 0 or 1, got '$lockstat'" ;; esac
count() { bench_matrix_count "$1"; }
# One boot per DENSITY:QUOTAS group; each group's matrix is checked whole.
total=0 boots=()
# size_group G: set density, quotas, steps and warmup from a
# DENSITY:QUOTA,QUOTA,...[:STEPS[:WARMUP]] group (steps and warm-up default
# to the matrix's).
steps_all=$steps warmup_all=$warmup
size_group() {
	local -a f
	IFS=: read -ra f <<<"$1"
	density=${f[0]} quotas=${f[1]} steps=${f[2]:-$steps_all} warmup=${f[3]:-$warmup_all}
}
for g in $sizes; do
	[[ $g =~ ^[0-9]+:[0-9]+(,[0-9]+)*(:[0-9]+(:[0-9]+)?)?$ ]] ||
		die "BENCH_SIZES: '$g' is not a DENSITY:QUOTA,QUOTA,...[:STEPS[:WARMUP]] group (e.g. 64:96,512 or 512:96:1000:500)"
	size_group "$g"
	if [ "$SIZE" = 1 ]; then
		(bench_matrix_check) || die "that is BENCH_SIZES group '$g'"
	else
		bench_matrix_check
	fi
	boots+=("$g")
	total=$((total + reps * $(count "$seed") * $(count "$policies") * $(count "$patterns") * $(count "$vcpus") * $(count "$quotas")))
done
[ ${#boots[@]} -gt 0 ] || die "BENCH_SIZES is empty: want DENSITY:QUOTA,... groups"
is_uint "$l1_vcpus" || die "BENCH_L1_VCPUS='$l1_vcpus': want a non-negative integer"
bench_matrix_warn
nseeds=$(count "$seed") npol=$(count "$policies")
ls_total=$((ls_reps * nseeds * npol * $(count "$ls_patterns") * $(count "$ls_vcpus") * $(count "$ls_quotas")))
# The deadline stops the guest before the host kills it, so what ran still
# comes back (and the run fails, saying so).
deadline=${BENCH_DEADLINE:-$d_deadline}
is_uint "$deadline" || die "BENCH_DEADLINE wants seconds"
qemu_timeout=$((deadline + 1200))

case "$accel" in
auto) if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi ;;
tcg | kvm) ;;
*) die "BENCH_ACCEL wants auto, tcg or kvm" ;;
esac

if [ "$SIZE" = 1 ]; then
	info "size axis: boots (density:quotas[:steps:warmup]) ${boots[*]}, each $patterns x vcpus $vcpus x seeds $seed x $reps reps x $policies = $total runs (regions $regions, steps $steps_all, warmup $warmup_all per run unless the group says; $accel)"
else
	info "matrix: $patterns x vcpus $vcpus x quotas $quotas x seeds $seed x $reps reps x $policies = $total runs (regions $regions, steps $steps, warmup $warmup per run; $accel)"
fi
[ "$lockstat" = 0 ] || info "lockstat boot: $ls_patterns x vcpus $ls_vcpus x quotas $ls_quotas x seeds $seed x $ls_reps reps x $policies = $ls_total runs"

# ---- build ----
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
	[ -f "$BUILD/bench/arch/x86/boot/bzImage" ] || die "BENCH_NO_BUILD=1 but no bench kernel in $BUILD/bench"
	[ -f "$BUILD/guest/initramfs.gz" ] || die "BENCH_NO_BUILD=1 but no guest image"
	[ "$lockstat" = 0 ] || [ -f "$BUILD/lockstat/arch/x86/boot/bzImage" ] ||
		die "BENCH_NO_BUILD=1 but no lockstat kernel in $BUILD/lockstat (or BENCH_LOCKSTAT=0)"
	info "BENCH_NO_BUILD=1: using the kernels and guest image as they are"
else
	"$TOP/scripts/kbuild.sh" bench
	[ "$lockstat" = 0 ] || "$TOP/scripts/kbuild.sh" lockstat
	"$TOP/scripts/guest.sh"
fi
sim=$BUILD/bench-sim/sim
if [ "${BENCH_NO_SIM:-0}" = 1 ]; then
	info "BENCH_NO_SIM=1: no simulator, no report (development only)"
elif [ "$SIZE" = 1 ]; then
	[ -f "$TOP/bench/report/size_report.py" ] || die "bench/report/size_report.py is missing"
	need_pkgs python3:python3 /usr/lib/python3/dist-packages/matplotlib:python3-matplotlib
else
	[ -f "$TOP/bench/Makefile" ] || die "bench/Makefile is missing: the simulator (make -C bench sim) is needed"
	make -s -C "$TOP/bench" sim || die "the simulator failed to build (make -C bench sim)"
	[ -x "$sim" ] || die "make -C bench sim did not produce $sim"
	[ -f "$TOP/bench/report/report.py" ] || die "bench/report/report.py is missing"
	need_pkgs python3:python3
	# report.py runs itself again under /usr/bin/python3 for Debian's matplotlib.
	need_pkgs /usr/lib/python3/dist-packages/matplotlib:python3-matplotlib
fi

# The host and L1 guest the runs had, in words, for the report.
machine_desc() {
	local cpu memg
	cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
	memg=$(awk '/^MemTotal/ {printf "%.0f", $2 / 1048576}' /proc/meminfo)
	echo "$(nproc) CPUs, ${cpu:-unknown CPU}, ${memg} GiB RAM; L1 guest: $l1_vcpus vCPUs, $mem"
}

# The bench kernel that booted in DIR, as it introduced itself, and its tree.
kernel_desc() {
	local k
	k=$(boot_kernel "$1/console.log")
	echo "${k:-unknown}, bench flavor, $(base_desc), tree HEAD $(git -C "$KSRC" log -1 --format='%h %s' 2>/dev/null || echo unknown)"
}
# The command that made the runs: PREFIX and every BENCH_* it was given.
run_command() {
	local c=$1 v
	for v in $(env | sed -n 's/^\(BENCH_[A-Z_0-9]*\)=.*/\1/p' | sort); do
		c+=" $v=${!v}"
	done
	echo "$c"
}
accel_name=$([ "$accel" = kvm ] && echo KVM || echo TCG)

# ---- run ----
# boot_matrix FLAVOR OUT PATTERNS VCPUS QUOTAS REPS TOTAL: one boot runs the
# matrix; fails loudly unless OUT/results/runs.csv has exactly TOTAL rows.
boot_matrix() {
	local flavor=$1 out=$2 pats=$3 vcs=$4 qs=$5 nreps=$6 ntotal=$7 append grc runs nrows bad f t0
	append="bench_patterns=$pats bench_vcpus=$vcs bench_quotas=$qs bench_regions=$regions bench_density=$density"
	append+=" bench_steps=$steps bench_warmup=$warmup bench_reps=$nreps bench_seed=$seed"
	append+=" bench_policies=$policies bench_hot_pct=$hot_pct bench_hot_hit_pct=$hot_hit_pct"
	append+=" bench_deadline=$deadline ${BENCH_APPEND:-}"
	[ "$flavor" != lockstat ] || append+=" ${BENCH_LS_APPEND:-}"
	t0=$(now)
	set +e
	"$TOP/scripts/run-guest.sh" --flavor "$flavor" --suite bench --vcpus "$l1_vcpus" --mem "$mem" \
		--timeout "$qemu_timeout" --accel "$accel" --append "$append" --out "$out"
	grc=$?
	set -e
	runs=$out/results/runs.csv
	fails=()
	[ "$grc" = 0 ] || fails+=("the $flavor boot failed (run-guest.sh status $grc; console log $out/console.log, guest log $out/results/bench.log)")
	if [ ! -f "$runs" ]; then
		fails+=("no runs.csv came back from the $flavor guest")
	else
		nrows=$(($(wc -l <"$runs") - 1))
		[ "$nrows" = "$ntotal" ] || fails+=("$flavor runs.csv has $nrows rows, the matrix has $ntotal runs")
		# The fields shadow_bench's header names; the last two are lock_stat's.
		nf=$(head -n 1 "$runs" | awk -F, '{ print NF }')
		bad=$(awk -F, -v nf="$nf" 'NR > 1 && NF != nf' "$runs" | wc -l)
		[ "$bad" = 0 ] || fails+=("$bad row(s) of the $flavor runs.csv do not have the header's $nf fields")
		if [ "$flavor" = lockstat ]; then
			bad=$(awk -F, 'NR > 1 && ($(NF - 1) == "" || $NF == "")' "$runs" | wc -l)
			[ "$bad" = 0 ] || fails+=("$bad lockstat row(s) lack the mmu_lock columns (no /proc/lock_stat?)")
		fi
	fi
	for f in "$out"/results/bench-fail-*.txt; do
		[ -e "$f" ] || continue
		echo "--- $f"; head -n 30 "$f"
	done
	info "$flavor boot: $(($(now) - t0)) s for a matrix of $ntotal runs; raw results in $out"
	if [ ${#fails[@]} -gt 0 ]; then
		for f in "${fails[@]}"; do echo "FAIL: $f"; done
		exit 1
	fi
}

stamp=$(date +%Y%m%d-%H%M%S)
out=$BUILD/bench-runs/$stamp
runs=$out/results/runs.csv
t_run=$(now)
if [ "$SIZE" = 1 ]; then
	# One boot per density; their rows (one header) make one runs.csv.
	mkdir -p "$out/results"
	: >"$runs.all"
	i=0
	for g in "${boots[@]}"; do
		i=$((i + 1))
		size_group "$g"
		n=$((reps * nseeds * npol * $(count "$patterns") * $(count "$vcpus") * $(count "$quotas")))
		boot_matrix bench "$out/$i-d$density" "$patterns" "$vcpus" "$quotas" "$reps" "$n"
		f=$out/$i-d$density/results/runs.csv
		if [ -s "$runs.all" ]; then tail -n +2 "$f"; else cat "$f"; fi >>"$runs.all"
	done
	mv "$runs.all" "$runs"
	record_time bench-size-runs $(($(now) - t_run))
	if [ "${BENCH_NO_SIM:-0}" = 1 ]; then
		info "done (no report): $runs"
		exit 0
	fi
	mkdir -p "$results"
	cp "$runs" "$results/runs.csv"
	python3 "$TOP/bench/report/size_report.py" --runs "$results/runs.csv" --out "$results" \
		--machine "$(machine_desc)" --accel "$accel_name" --kernel "$(kernel_desc "$out/1-d${boots[0]%%:*}")" \
		--command "$(run_command "make bench SIZE=1")" ||
		die "bench/report/size_report.py failed"
	record_time bench-size-total $(($(now) - t_all))
	info "done in $(($(now) - t_all)) s: report in $results (raw: $out)"
	exit 0
fi
boot_matrix bench "$out" "$patterns" "$vcpus" "$quotas" "$reps" "$total"
record_time bench-runs $(($(now) - t_run))
if [ "$lockstat" = 1 ]; then
	out_ls=$BUILD/bench-runs/$stamp-lockstat
	t_run=$(now)
	boot_matrix lockstat "$out_ls" "$ls_patterns" "$ls_vcpus" "$ls_quotas" "$ls_reps" "$ls_total"
	record_time bench-lockstat-runs $(($(now) - t_run))
fi
if [ "${BENCH_NO_SIM:-0}" = 1 ]; then
	info "done (no simulator, no report): $runs"
	exit 0
fi
mkdir -p "$results"
cp "$runs" "$results/runs.csv"
rm -f "$results/runs-lockstat.csv"
[ "$lockstat" = 0 ] || cp "$out_ls/results/runs.csv" "$results/runs-lockstat.csv"

# ---- simulate every cell at capacity = quota - median overhead ----
simcsv=$out/sim.csv
"$TOP/bench/bench-sim.sh" "$runs" "$simcsv" "$hot_pct" "$hot_hit_pct"
cp "$simcsv" "$results/sim.csv"

# ---- report ----
machine=$(machine_desc)
kernel=$(kernel_desc "$out")
ls_args=()
if [ "$lockstat" = 1 ]; then
	ls_kernel=$(boot_kernel "$out_ls/console.log")
	ls_args=(--lockstat "$results/runs-lockstat.csv" --lockstat-kernel "${ls_kernel:-unknown}, lockstat flavor")
fi
command=$(run_command "make bench$([ "$FULL" = 1 ] && echo " FULL=1")")
# Only the committed results (a BENCH_OUT elsewhere is an experiment) have
# a hand-written reading beside them and SCALING.md, which sets this run
# beside the imported hosts.
see_args=()
[ "$results" -ef "$TOP/bench/results" ] && see_args=(--see ANALYSIS.md --see SCALING.md)
python3 "$TOP/bench/report/report.py" --runs "$results/runs.csv" --sim "$results/sim.csv" \
	--out "$results" --machine "$machine" --accel "$accel_name" --kernel "$kernel" \
	--command "$command" "${ls_args[@]}" "${see_args[@]}" ||
	die "bench/report/report.py failed"
if [ ${#see_args[@]} -gt 0 ]; then
	"$TOP/bench/bench-scaling.sh"
fi
record_time bench-total $(($(now) - t_all))
info "done in $(($(now) - t_all)) s: report in $results (raw: $out)"
