#!/usr/bin/env bash
# bench-workloads.sh (`make bench-workloads`): real guests on the shadow MMU.
# L1 is the workload kernel under QEMU (TCG here, KVM where the host offers
# it) with QEMU, perf and an L2 guest in its image; L2 is the same kernel
# started by QEMU inside L1 with -accel kvm, so L1's shadow MMU shadows the
# L2 kernel's own page tables while stress-ng and redis run in it. Every
# policy runs in the same L1 boot, interleaved (bench/workloads/l1-driver).
# Results: bench/results/workloads/ (REPORT.md, flame graphs, the raw data).
#
#   --policies LIST   fifo,clock,sharded; or stock alone: the kernel's own
#                     eviction, kvm.shadow_evict untouched (a pristine kernel)
#   --quotas LIST     L2 shadow-page quotas in pages, >= 64 (default 2048,96:
#                     the L2's page tables fit (nothing recycled), and
#                     eviction all the time (hundreds to thousands of pages
#                     recycled per workload); KVM's default for 384 MiB is 1966)
#   --vcpus LIST      L2 vCPUs, 1..16 each, at most the L1's (default 1,L1's)
#   --l1-vcpus N      L1 vCPUs (default: this host's CPUs, at most 16)
#   --l1-mem M        L1 memory, QEMU syntax (default 4G)
#   --mem MIB         L2 memory in MiB, 128..8192 (default 384)
#   --reps N          repetitions, each policy once per cell per rep (3)
#   --workloads LIST  vm,mmap,fork,redis,redis_p16 (stress-ng --vm, --mmap,
#                     --fork; redis-benchmark plain and with -P 16)
#   --ops LIST        stress-ng operations per instance, NAME:N for vm, mmap
#                     and fork (default vm:50,mmap:2,fork:50)
#   --requests N      redis-benchmark requests per test (default 500)
#   --perf 0|1        perf record -g of L1, one run per policy (default 1)
#   --smoke           make test's version: one policy (clock), one rep, quota
#                     96, 1 vCPU, stress-ng --vm and redis only, small
#                     counts, no perf (later options override these)
#   --out DIR         results (default bench/results/workloads; the smoke
#                     run: build/workloads/smoke)
#   --timeout S       kill L1 after S seconds (default 3000)
#   --stall S|auto    kill L1 when S seconds pass without a new L2 boot
#                     ending (at least 60) and resume as if it died; auto
#                     (the default): 300 s for L1 to boot and start the
#                     driver, then 400 s until one L2 boot has ended, then
#                     3x the longest so far, at least 120 s (an L2 boot
#                     takes 32-53 s at the default size; up to 800 s at
#                     quota 64: give such sizes a fixed S above that).
#                     Under --smoke, whose one small L2 boot takes about
#                     16 s: 60 s for the first L2 boot, at least 60 s.
#   --accel A         auto | tcg | kvm (run-guest.sh)
#   --kernel DIR      a built workload kernel (O= folder) to boot as L1 and
#                     L2 instead of build/workload, e.g. the pristine one;
#                     it is used as it is
#   --restarts N      L1 boots again at most N times after dying or
#                     stalling mid-matrix (default 4)
#   BENCH_NO_BUILD=1  use the built kernel and images as they are
#   WL_BREAK=LAYER    test hook: fail on purpose at l1-boot, l2-boot,
#                     workload or perf; stop L1 dead after its first run
#                     (l1-crash), or hang it there (l1-stall) or before
#                     its first run (l1-stall-early)
#                     (bench/tests/bench-workloads/layers.sh)
# Exit status 0 when every run passed. A failure names its layer: l1-boot,
# l1 (L1 died or hung mid-matrix in five boots in a row), l2-boot, workload, perf, report; the
# logs stay in build/workloads/run-NAME*. L1 sends each run to the host as
# it ends; if L1 dies or stalls mid-matrix (under TCG it sometimes does,
# more often under perf) the runs it finished are kept and L1 is booted
# again to run the rest, at most 4 times (--restarts; run-NAME-resumeN; meta.txt counts
# the restarts and REPORT.md shows them).
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

cmdline="$*"
policies=fifo,clock,sharded quotas=2048,96 vcpus="" l1v="" l1mem=4G mem=384 reps=3
workloads=vm,mmap,fork,redis,redis_p16 ops=vm:50,mmap:2,fork:50 requests=500 perf=1 out="" limit=3000 accel=auto
restarts_max=4 kdir=""
stall=auto stall_first=400 stall_min=120 stall_boot=300
# --smoke sets defaults that the other options may override.
for a in "$@"; do
	[ "$a" = --smoke ] || continue
	policies=clock quotas=96 vcpus=1 reps=1 workloads=vm,redis ops=vm:10 requests=200 perf=0
	out=$BUILD/workloads/smoke smoke_tag=-smoke stall_first=60 stall_min=60
done
while [ $# -gt 0 ]; do
	case "$1" in
	--policies | --quotas | --vcpus | --l1-vcpus | --l1-mem | --mem | --reps | --workloads | --ops | \
		--requests | --perf | --out | --timeout | --stall | --accel | --kernel | --restarts) [ $# -ge 2 ] || die "option $1 needs a value" ;;
	esac
	case "$1" in
	--policies) policies=$2; shift ;;
	--quotas) quotas=$2; shift ;;
	--vcpus) vcpus=$2; shift ;;
	--l1-vcpus) l1v=$2; shift ;;
	--l1-mem) l1mem=$2; shift ;;
	--mem) mem=$2; shift ;;
	--reps) reps=$2; shift ;;
	--workloads) workloads=$2; shift ;;
	--ops) ops=$2; shift ;;
	--requests) requests=$2; shift ;;
	--perf) perf=$2; shift ;;
	--smoke) ;;
	--out) out=$2; shift ;;
	--timeout) limit=$2; shift ;;
	--stall) stall=$2; shift ;;
	--accel) accel=$2; shift ;;
	--kernel) kdir=$2; shift ;;
	--restarts) restarts_max=$2; shift ;;
	*) die "unknown option '$1' (see the top of $0)" ;;
	esac
	shift
done
out=${out:-$TOP/bench/results/workloads}
[ -n "$l1v" ] || l1v=$(( $(nproc) < 16 ? $(nproc) : 16 ))
[ -n "$vcpus" ] || vcpus=$( [ "$l1v" = 1 ] && echo 1 || echo "1,$l1v")

# Every option is checked before anything is built.
int() { [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] || die "$1 wants an integer in $3..$4, got '$2'"; }
# each NAME LIST CHECK: run CHECK on every comma-separated element.
each() {
	local x
	[[ $2 =~ ^[^,]+(,[^,]+)*$ ]] || die "$1 wants a comma-separated list, got '$2'"
	for x in ${2//,/ }; do "$3" "$1" "$x"; done
}
is_policy() { case "$2" in fifo | clock | sharded) ;; *) die "$1: unknown policy '$2' (fifo, clock, sharded; or stock alone)" ;; esac; }
is_quota() { int "$1" "$2" 64 1000000; }
is_vcpus() { int "$1" "$2" 1 16; [ "$2" -le "$l1v" ] || die "$1: $2 L2 vCPUs is more than the L1's $l1v (--l1-vcpus)"; }
is_ops() {
	case "$2" in vm:* | mmap:* | fork:*) int "$1 ${2%%:*}" "${2#*:}" 1 100000000 ;;
	*) die "$1 wants NAME:N with NAME vm, mmap or fork, got '$2'" ;; esac
}
is_workload() { case "$2" in vm | mmap | fork | redis | redis_p16) ;; *) die "$1: unknown workload '$2' (vm, mmap, fork, redis, redis_p16)" ;; esac; }
int --l1-vcpus "$l1v" 1 16
[ "$policies" = stock ] || each --policies "$policies" is_policy
int --restarts "$restarts_max" 0 1000
if [ -n "$kdir" ]; then
	kdir=$(cd "$kdir" 2>/dev/null && pwd) || die "--kernel: no folder $kdir"
	[ -f "$kdir/arch/x86/boot/bzImage" ] || die "--kernel: no built kernel in $kdir (arch/x86/boot/bzImage)"
fi
each --quotas "$quotas" is_quota
each --vcpus "$vcpus" is_vcpus
each --workloads "$workloads" is_workload
int --mem "$mem" 128 8192
int --reps "$reps" 1 100
each --ops "$ops" is_ops
int --requests "$requests" 1 100000000
int --perf "$perf" 0 1
int --timeout "$limit" 60 86400
[ "$stall" = auto ] || int "--stall (auto or seconds)" "$stall" 60 86400
[[ $l1mem =~ ^[0-9]+[MG]$ ]] || die "--l1-mem wants e.g. 4G or 4096M, got '$l1mem'"
l1mib=${l1mem%[MG]}
[[ $l1mem == *G ]] && l1mib=$((l1mib * 1024))
[ "$l1mib" -ge $((mem + 1024)) ] || die "--l1-mem $l1mem leaves under 1 GiB beside the L2's ${mem} MiB"
case "$accel" in auto | tcg | kvm) ;; *) die "--accel wants auto, tcg or kvm, got '$accel'" ;; esac
case "${WL_BREAK:-}" in
"") brk= ;;
l1-boot) brk=" rdinit=/nonexistent" ;;
l2-boot | workload | perf | l1-crash | l1-stall | l1-stall-early) brk=" wl_break=$WL_BREAK" ;;
*) die "WL_BREAK wants l1-boot, l2-boot, workload, perf, l1-crash, l1-stall or l1-stall-early, got '$WL_BREAK'" ;;
esac

t0=$(now)
wb=$BUILD/workloads
mkdir -p "$wb"
need_pkgs stress-ng:stress-ng redis-server:redis-server redis-benchmark:redis-tools
[ "$perf" = 0 ] || need_pkgs /usr/bin/perf:linux-perf python3:python3
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
	for f in "${kdir:-$BUILD/workload}/arch/x86/boot/bzImage" "$BUILD/guest/initramfs.gz"; do
		[ -f "$f" ] || die "BENCH_NO_BUILD=1 but $f is missing"
	done
else
	[ -n "$kdir" ] || "$TOP/scripts/kbuild.sh" workload
	"$TOP/scripts/guest.sh"
fi
kdir=${kdir:-$BUILD/workload}
kernel=$kdir/arch/x86/boot/bzImage
t1=$(now)

# The L2 image: busybox, the workloads and their libraries, l2-init.
info "assembling the L2 image"
r2=$wb/l2-root
rm -rf "$r2"
mkdir -p "$r2"/{bin,proc,sys,dev,tmp,results}
cp /bin/busybox "$r2/bin/busybox"
install -m 755 "$TOP/bench/workloads/l2-init" "$r2/init"
install_elf "$r2" "$(command -v stress-ng)" "$(command -v redis-server)" \
	"$(command -v redis-benchmark)" "$(command -v redis-cli)"
(cd "$r2" && find . | cpio -o -H newc --quiet | gzip -1) >"$wb/l2-initramfs.gz"

# The L1 image: the guest image (init, suites, the driver) and, as a
# second archive the kernel unpacks over it, QEMU with the firmware the pc
# machine loads, perf, and the L2 kernel and image.
info "assembling the L1 image"
r1=$wb/l1-root
rm -rf "$r1"
mkdir -p "$r1"/{l2,usr/share/qemu}
install_elf "$r1" "$(command -v qemu-system-x86_64)"
[ "$perf" = 0 ] || install_elf "$r1" /usr/bin/perf
need_pkgs /usr/share/seabios/bios-256k.bin:seabios
for f in /usr/share/seabios/bios-256k.bin /usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot_dma.bin; do
	[ -f "$f" ] || die "firmware $f is missing"
	cp -L "$f" "$r1/usr/share/qemu/"
done
cp "$kernel" "$r1/l2/bzImage"
cp "$wb/l2-initramfs.gz" "$r1/l2/initramfs.gz"
(cd "$r1" && find . | cpio -o -H newc --quiet | gzip -1) >"$wb/l1-extra.gz"
cat "$BUILD/guest/initramfs.gz" "$wb/l1-extra.gz" >"$wb/l1-initramfs.gz"
info "images: L2 $(du -h "$wb/l2-initramfs.gz" | cut -f1), L1 $(du -h "$wb/l1-initramfs.gz" | cut -f1)"

# The watchdog's limit under --stall auto (l1_boot), once the driver has
# started: $stall_first while no L2 boot has ended (LONGEST 0), then three
# times the longest, at least $stall_min.
stall_limit() {
	local l=$((3 * ${1:-0}))
	[ "${1:-0}" -gt 0 ] || l=$stall_first
	[ "$l" -ge "$stall_min" ] || l=$stall_min
	echo "$l"
}

# longest_l2 CONSOLE PREV: the longest L2 boot in seconds in the driver's
# progress lines of CONSOLE ("... ok (37s)"), or PREV if longer.
longest_l2() {
	{ echo "${2:-0}"; grep -aoE '^guest: wl: \[.*\(([0-9]+)s\)' "$1" 2>/dev/null | sed -E 's/.*\(([0-9]+)s\)$/\1/'; } |
		sort -n | tail -1
}
wl_longest=0

# l1_boot RUN POLICIES QUOTAS VCPUS REPS PERF [SKIP]: one L1 boot of the
# driver into folder RUN, starting after run SKIP; on failure, sets $why to
# a message that names the layer, and $died to 1 if L1 died mid-matrix.
l1_boot() {
	local run=$1 res=$1/results append rc t
	append="wl_policies=$2 wl_quotas=$3 wl_vcpus=$4 wl_mem=$mem wl_reps=$5"
	append+=" wl_list=$workloads wl_ops=$ops wl_req=$requests wl_perf=$6 wl_l2_limit=$((limit / 2))"
	# wl_resume: how many L1 boots of this matrix came before (a test hook
	# that must fire once, before any run, looks at it).
	append+=" wl_skip=${7:-0} wl_resume=${restarts:-0}$brk"
	info "L1: $l1v vCPUs, $l1mem; L2: vCPUs $4, ${mem} MiB, quotas $3; policies $2; $5 reps; $workloads; perf $6"
	t=$(now)
	set +e
	# The watchdog: L1 also hangs now and then under TCG (a CPU stops
	# taking interrupts: RCU stall warnings), or L2 stops early in its
	# boot while L1 runs on; either way no L2 boot ends. Kill its
	# QEMU (the one that writes this run's results port) when no L2 boot
	# ended within the limit (--stall S, counted from L1's start; under
	# auto, $stall_boot for L1 to start the driver, then stall_limit());
	# the caller resumes as for a dead L1.
	(
		last=-1 since=$(now) lim=$stall started=0
		[ "$stall" = auto ] && lim=$stall_boot
		while sleep 5; do
			n=$(grep -ac '^guest: wl: \[' "$run/console.log" 2>/dev/null || true)
			if [ "$stall" = auto ] && [ $started = 0 ] && grep -aq '^guest: wl: matrix' "$run/console.log" 2>/dev/null; then
				started=1 since=$(now) last=${n:-0}
				lim=$(stall_limit "$wl_longest")
			elif [ "${n:-0}" != "$last" ]; then
				last=${n:-0} since=$(now)
				if [ "$stall" = auto ] && [ $started = 1 ]; then
					lim=$(stall_limit "$(longest_l2 "$run/console.log" "$wl_longest")")
				fi
			elif [ $(($(now) - since)) -ge "$lim" ]; then
				if [ $started = 1 ] || [ "$stall" != auto ]; then
					echo "no L2 boot ended for ${lim} s (after $last)" >"$run.stalled"
				else
					echo "the driver did not start within ${lim} s of L1's start" >"$run.stalled"
				fi
				pkill -KILL -f -- "file:$run/results.txt" || true
				exit 0
			fi
		done
	) &
	local dog=$!
	rm -f "$run.stalled"
	KERNEL_DIR=$kdir INITRD=$wb/l1-initramfs.gz "$TOP/scripts/run-guest.sh" --flavor workload \
		--suite workloads --vcpus "$l1v" --mem "$l1mem" --timeout "$limit" --accel "$accel" \
		--append "$append" --out "$run"
	rc=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	set -e
	wl_longest=$(longest_l2 "$run/console.log" "$wl_longest")
	# run-guest.sh records the L1 boot's time itself.
	tboot=$((tboot + $(now) - t))
	why= died=0
	[ $rc = 0 ] && return 0
	if [ ! -f "$res/summary.tsv" ]; then
		# The driver's progress lines tell a crash mid-matrix from a boot
		# that never reached it.
		done_runs=$(grep -c '^guest: wl: \[' "$run/console.log" 2>/dev/null || true)
		if [ -f "$run.stalled" ] && grep -q 'the driver did not start' "$run.stalled"; then
			why="layer l1-boot: L1 hung before the driver started ($(cat "$run.stalled"); $(grep -m1 -aoE 'rcu: INFO: .*|BUG: .*' "$run/console.log" | tr -d '\r' || echo 'no kernel warning')) (console: $run/console.log)"
			died=1
		elif [ -f "$run.stalled" ]; then
			why="layer l1: L1 stalled during the matrix after ${done_runs:-0} L2 boots ($(cat "$run.stalled"); $(grep -m1 -aoE 'rcu: INFO: .*|BUG: .*' "$run/console.log" | tr -d '\r' || echo 'no kernel warning')) (console: $run/console.log)"
			died=1
		elif [ "${done_runs:-0}" -gt 0 ] || grep -q '^guest: wl: matrix' "$run/console.log" 2>/dev/null; then
			why="layer l1: L1 died during the matrix after ${done_runs:-0} L2 boots ($(grep -m1 -aoE 'Kernel panic.*|BUG: .*' "$run/console.log" | tr -d '\r' || echo 'no panic message')) (console: $run/console.log)"
			died=1
		else
			why="layer l1-boot: L1 did not run the driver (console: $run/console.log)"
		fi
		return 1
	fi
	if [ -f "$res/runs.tsv" ]; then
		awk 'NR > 1 && $7 != "ok" { printf "  run %s (rep %s, quota %s, %s vCPUs, %s): layer %s\n", $1, $2, $3, $4, $5, $7 }' "$res/runs.tsv" >&2
		set -- $(awk 'NR > 1 && $7 != "ok" { print $7, $1; exit }' "$res/runs.tsv")
		if [ $# = 2 ]; then
			why="layer $1: see $res/runs/$2/ (l2-console.txt, qemu.log, l2/, perf.log) and $run/console.log"
			return 1
		fi
	fi
	why="layer l1: the driver failed before or between L2 boots: $(grep -h 'ERROR' "$res"/*.log 2>/dev/null | head -2) (logs in $run)"
	return 1
}

# salvage RUN: keep the runs that L1 sent as they ended (=== RUN N ===
# blocks on its results port) in $run/salvage; sets $skip to the last run
# N such that runs 1..N are all kept.
salvage() {
	local n
	mkdir -p "$run/salvage"
	for n in $(sed -n 's/^=== RUN \([0-9]*\) END ===\r\?$/\1/p' "$1/results.txt" 2>/dev/null); do
		sed -n "/^=== RUN $n BEGIN ===/,/^=== RUN $n END ===/p" "$1/results.txt" | sed '1d;$d' | tr -d '\r' |
			base64 -d | tar -xzf - -C "$run/salvage" 2>/dev/null || info "run $n's transfer is corrupt: run again"
	done
	while [ -s "$run/salvage/runs/$((skip + 1))/row.tsv" ]; do skip=$((skip + 1)); done
}

# The matrix, without perf. perf gets its own L1 boot afterwards (one run
# per policy at the last quota and vCPU count): under TCG, L1 died or
# stalled in about 1 in 10 perf-recorded L2 boots. L1 also died, more
# rarely, without perf: then the runs it sent are kept and a new L1 boot
# runs the rest, at most 4 times (one fresh-clone run needed 2).
tboot=0
run=$wb/run-${out##*/}
res=$run/results
rm -rf "$run" "$run"-resume[0-9]* "$run"-perf[123]
skip=0 restarts=0 last=$run
until l1_boot "$last" "$policies" "$quotas" "$vcpus" "$reps" 0 $skip; do
	[ "$died" = 1 ] && [ $restarts -lt "$restarts_max" ] || die "$why"
	salvage "$last"
	restarts=$((restarts + 1))
	echo "l1_restart_$restarts=after $skip runs: ${why%% (console:*}" >>"$run/restarts.txt"
	info "$why; $skip runs kept; L1 boots again for the rest ($restarts of $restarts_max)"
	last=$run-resume$restarts
done
if [ $restarts -gt 0 ]; then
	# The last boot's results, with the runs kept from the boots that died.
	rm -rf "$res" && cp -a "$last/results" "$res"
	for d in "$run"/salvage/runs/*; do
		[ -d "$d" ] || continue	# nothing was salvaged: the glob stays as is
		n=${d##*/}
		[ "$n" -le "$skip" ] || continue
		rm -rf "${res:?}/runs/$n" && cp -a "$d" "$res/runs/$n"
		cat "$d/row.tsv" >>"$res/runs.tsv"
	done
	{ head -n 1 "$res/runs.tsv"; tail -n +2 "$res/runs.tsv" | sort -n -k1,1; } >"$res/runs.tsv.new"
	mv "$res/runs.tsv.new" "$res/runs.tsv"
	cp "$last/accel.txt" "$run/accel.txt" 2>/dev/null || true
fi
if [ "$perf" = 1 ]; then
	lastq=${quotas##*,} lastv=${vcpus##*,}
	mkdir -p "$res/perf"
	# Two retries, for the TCG failure above (an L1 stalls now and then in
	# its first L2 boot, which is all a perf boot makes); every try is
	# reported. Only L1's own failures are retried: a failure at a layer
	# inside L1 (L2 boot, workload, perf) would fail again the same way.
	for try in 1 2 3; do
		if l1_boot "$run-perf$try" "$policies" "$lastq" "$lastv" 1 1; then
			cp "$run-perf$try"/results/perf/* "$res/perf/"
			echo "perf_boot=try $try of 3 passed" >"$res/perf/tries.txt"
			break
		fi
		info "perf boot $try failed: $why"
		echo "perf_boot_try_$try=failed: $why" >>"$res/perf/tries-failed.txt"
		[ "$died" = 1 ] || die "$why"
		[ $try = 3 ] && die "$why (all three tries)"
	done
fi

# Flame graphs: perf's own flamegraph script with the d3-flame-graph
# template from npm (pinned version and checksum).
if [ "$perf" = 1 ]; then
	tmpl=$wb/d3-flamegraph-base.html
	if [ ! -f "$tmpl" ]; then
		need_pkgs npm:npm
		info "fetching d3-flame-graph 4.1.3 (npm) for its HTML template"
		rm -rf "$wb/npm" && mkdir -p "$wb/npm"
		(cd "$wb/npm" && npm pack --silent d3-flame-graph@4.1.3 >/dev/null 2>"$wb/npm/log") ||
			die "layer report: npm pack d3-flame-graph@4.1.3 failed: $(tail -3 "$wb/npm/log")"
		echo "5b9fd58798daad7515db6e1a2224c1d939c11584f79da108706dbde3942363c4  $wb/npm/d3-flame-graph-4.1.3.tgz" |
			sha256sum -c --quiet || die "layer report: d3-flame-graph-4.1.3.tgz has the wrong checksum"
		tar -xzf "$wb/npm/d3-flame-graph-4.1.3.tgz" -C "$wb/npm" package/dist/templates/d3-flamegraph-base.html
		cp "$wb/npm/package/dist/templates/d3-flamegraph-base.html" "$tmpl"
	fi
	fg=$(perf --exec-path)/scripts/python/flamegraph.py
	[ -f "$fg" ] || die "layer report: perf has no flamegraph script at $fg"
	for g in "$res"/perf/*.data.gz; do
		[ -e "$g" ] || die "layer perf: L1 recorded no profile ($res/perf is empty)"
		pol=$(basename "$g" .data.gz)
		# flamegraph.py reads the header of ./perf.data: one folder each.
		p=$wb/perf-$pol
		rm -rf "$p" && mkdir -p "$p"
		gunzip -c "$g" >"$p/perf.data"
		# L1's kernel symbols come from its vmlinux (same build).
		(cd "$p" && perf script -k "$kdir/vmlinux" -F comm,tid,period,ip,sym >script.txt 2>script.err) ||
			die "layer perf: perf script failed on $g: $(tail -2 "$p/script.err")"
		# What `perf script report flamegraph` runs.
		(cd "$p" && perf script -k "$kdir/vmlinux" -s "$fg" -- --template "$tmpl" -o flame.html) \
			>"$p/flame.log" 2>&1 && [ -s "$p/flame.html" ] ||
			die "layer report: perf's flamegraph.py failed: $(tail -2 "$p/flame.log")"
		gzip -9 -c "$p/script.txt" >"$res/perf/$pol.script.gz"
		cp "$p/flame.html" "$res/perf/flame-$pol.html"
	done
fi

# The report and its data.
mkdir -p "$out"
{
	echo "command: bench/bench-workloads.sh $cmdline"
	echo "policies=$policies quotas=$quotas vcpus=$vcpus l1_vcpus=$l1v l1_mem=$l1mem mem=$mem reps=$reps"
	echo "workloads=$workloads ops=$ops requests=$requests perf=$perf"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "host=$(nproc) CPUs, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
	echo "accel=$(cat "$run/accel.txt") (L1), kvm (L2 in L1); L1 $l1v vCPUs, $l1mem"
	echo "project=$(git -C "$TOP" log -1 --format='%h %s' 2>/dev/null || echo unknown)"
	echo "kernel_tree=$(sed -n 's/^tree=//p' "$kdir/base.txt" 2>/dev/null | grep . || echo unknown)"
	echo "base=$(sed -n 's/^base=//p' "$kdir/base.txt" 2>/dev/null || echo unknown)"
	echo "kernel=$kdir"
	echo "qemu=$(qemu-system-x86_64 --version | head -1)"
	echo "stress-ng=$(stress-ng --version | head -1)"
	echo "redis=$(redis-server --version | head -1)"
	echo "seconds=$(($(now) - t0))"
	echo "l1_restarts=$restarts$([ $restarts = 0 ] || echo " ($(cut -d= -f2- "$run/restarts.txt" | paste -sd';'))")"
} >"$res/meta.txt"
rm -rf "$out/data" && mkdir -p "$out/data"
tar -C "$res" -czf "$out/data/results.tar.gz" --exclude='perf/*.data.gz' --exclude='perf/flame-*' .
# The consoles' progress lines (what REPORT.md calls data/run.log).
for c in "$run" $(for i in $(seq 1 "$restarts"); do echo "$run-resume$i"; done) "$run"-perf1 "$run"-perf2; do
	[ -f "$c/console.log" ] && { echo "== ${c##*/}"; grep -a '^guest:' "$c/console.log" | tr -d '\r'; }
done >"$out/data/run.log"
[ "$perf" = 0 ] || { mkdir -p "$out/flame" && cp "$res"/perf/flame-*.html "$out/flame/"; }
python3 "$TOP/bench/report/workloads_report.py" "$res" --out "$out" ||
	die "layer report: bench/report/workloads_report.py failed on $res"
# The kernel build, the guest image and the L1 boot record their own times.
record_time "bench-workloads${smoke_tag:-}-images-report" $(($(now) - t1 - tboot))
info "done in $(($(now) - t0)) s: $out/REPORT.md"
