#!/usr/bin/env bash
# run.sh: the runner of the bench kit that `make bench-pack` builds.
#
# Runs the benchmark matrix on any x86-64 Linux host with bash, coreutils,
# tar, gzip, base64 (plus grep, sed, awk): no QEMU, python, apt or network.
# Everything else is in this folder: QEMU (binary, libraries, its own
# loader, the TCG module, firmware), the bench and lockstat kernels and the
# guest image. Two boots, each with a deadline:
#   1. the bench kernel: the matrix (throughput, refaults, mmu_lock hold);
#   2. the lockstat kernel: a smaller matrix for mmu_lock waits.
# Output: one tarball, shadow-evict-results-<host-tag>.tar.gz, holding
# host.txt (CPU, cores, memory, kernel, accel), kit.txt, and per boot
# runs.csv, the guest's log and the console log. Feed it to
# `make bench-import FROM=...` in a checkout of the project.
#
# Usage: ./run.sh [--out DIR] [--time SECONDS] [--smp N] [--mem SIZE]
#                 [--accel auto|tcg|kvm] [--tag TAG] [--no-lockstat]
#   --out      where the results tarball goes (default: the current dir)
#   --time     wall-clock budget for both boots (default 3600); the bench
#              boot gets 55 % of it, the lockstat boot the rest; a boot's
#              driver starts no run within 90 s of its share's end, so
#              what ran comes back (QEMU is killed at the share's end)
#   --smp      L1 vCPUs (default: the host's CPUs, at most 64)
#   --mem      L1 memory (default: 16G, or half the host's RAM if less)
#   --accel    auto: KVM with -cpu host only where /dev/kvm is writable,
#              vmx/svm is visible and nesting is on; TCG otherwise
# The matrix comes from the environment, as in `make bench` (lists
# comma-separated): BENCH_PATTERNS (hotcold,hotscan), BENCH_VCPUS
# (1,2,4,8,16), BENCH_QUOTAS (96,160), BENCH_REPS (3), BENCH_POLICIES
# (fifo,clock,sharded), BENCH_REGIONS (512), BENCH_STEPS (20000),
# BENCH_WARMUP (10000), BENCH_SEEDS (1,2,3), BENCH_HOT_PCT (10),
# BENCH_HOT_HIT_PCT (90); the lockstat boot: BENCH_LS_PATTERNS
# (hotcold,hotscan), BENCH_LS_VCPUS (1,4,16), BENCH_LS_QUOTAS (96,160),
# BENCH_LS_REPS (3).
set -euo pipefail

die() { printf 'run.sh: error: %s\n' "$*" >&2; exit 1; }
info() { printf 'run.sh: %s\n' "$*" >&2; }

HERE=$(cd "$(dirname "$0")" && pwd)
invocation="$0 $*"
out=$PWD budget=3600 smp="" mem="" accel=auto tag="" lockstat=1
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=${2:?--out wants a directory}; shift ;;
	--time) budget=${2:?--time wants seconds}; shift ;;
	--smp) smp=${2:?--smp wants a count}; shift ;;
	--mem) mem=${2:?--mem wants a size}; shift ;;
	--accel) accel=${2:?--accel wants auto, tcg or kvm}; shift ;;
	--tag) tag=${2:?--tag wants a name}; shift ;;
	--no-lockstat) lockstat=0 ;;
	-h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (see --help)" ;;
	esac
	shift
done

# ---- refuse bad input before booting anything ----
uint() { [[ $1 =~ ^[0-9]+$ ]]; }
# The matrix and its checks, shared with `make bench` (bench/matrix.sh there).
# The kit's own defaults: two patterns, and the lockstat boot at both quotas.
[ -f "$HERE/matrix.sh" ] || die "the kit is incomplete: matrix.sh is missing (rebuild it with make bench-pack)"
. "$HERE/matrix.sh"
bench_matrix_read patterns=hotcold,hotscan ls_quotas=96,160
bench_matrix_check
uint "$budget" || die "--time '$budget': want a non-negative integer"
[ "$budget" -ge 400 ] || die "--time $budget: want at least 400 seconds (two L1 boots)"
host_cpus=$(nproc)
if [ -z "$smp" ]; then
	smp=$((host_cpus > 64 ? 64 : host_cpus))
fi
uint "$smp" && [ "$smp" -ge 1 ] && [ "$smp" -le 64 ] || die "--smp wants 1..64, got '$smp'"
host_mem_mib=$(awk '/^MemTotal/ { print int($2 / 1024) }' /proc/meminfo)
if [ -z "$mem" ]; then
	m=$((host_mem_mib / 2))
	mem=$(( m > 16384 ? 16384 : m ))M
fi
[[ $mem =~ ^[0-9]+[MG]$ ]] || die "--mem wants e.g. 16G or 4096M, got '$mem'"
mkdir -p "$out" || die "cannot create --out $out"
out=$(cd "$out" && pwd)

for f in qemu/bin/qemu-system-x86_64 qemu/lib/ld-linux-x86-64.so.2 qemu/modules/accel-tcg-x86_64.so \
	kernels/bench.bzImage guest/initramfs.gz; do
	[ -f "$HERE/$f" ] || die "the kit is incomplete: $f is missing (rebuild it with make bench-pack)"
done
[ "$lockstat" = 0 ] || [ -f "$HERE/kernels/lockstat.bzImage" ] || die "the kit has no lockstat kernel"

# ---- accelerator ----
nested_on() {
	local p
	for p in /sys/module/kvm_intel/parameters/nested /sys/module/kvm_amd/parameters/nested; do
		[ -r "$p" ] && grep -qE '^(Y|1)$' "$p" && return 0
	done
	return 1
}
can_kvm() { [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo && nested_on; }
case "$accel" in
auto) if can_kvm; then accel=kvm; else accel=tcg; fi ;;
kvm) can_kvm || die "--accel kvm needs a writable /dev/kvm, vmx or svm in /proc/cpuinfo and nesting on" ;;
tcg) ;;
*) die "--accel wants auto, tcg or kvm, got '$accel'" ;;
esac
if [ "$accel" = kvm ]; then
	qaccel=(-accel kvm -cpu host)
else
	# -cpu max under TCG offers SVM, so the L1 kernel's kvm_amd comes up.
	qaccel=(-accel tcg,thread=multi -cpu max)
fi

# QEMU runs under its own loader and libraries; Debian builds TCG as a
# module, found through QEMU_MODULE_DIR; firmware comes from -L.
export QEMU_MODULE_DIR=$HERE/qemu/modules
qemu=("$HERE/qemu/lib/ld-linux-x86-64.so.2" --library-path "$HERE/qemu/lib"
	"$HERE/qemu/bin/qemu-system-x86_64" -L "$HERE/qemu/share")
"${qemu[@]}" --version >/dev/null 2>&1 || die "the kit's QEMU does not start here: $("${qemu[@]}" --version 2>&1 | head -2)"

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
[ -n "$tag" ] || tag=${host_cpus}cpu-$accel-$(date +%Y%m%d-%H%M%S)
[[ $tag =~ ^[A-Za-z0-9._-]+$ ]] || die "--tag '$tag': letters, digits, '.', '_' and '-' only"
name=shadow-evict-results-$tag
work=$out/$name
rm -rf "$work" && mkdir -p "$work"
{
	echo "tag=$tag"
	echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "cpu_model=${cpu_model:-unknown}"
	echo "cpus=$host_cpus"
	echo "mem_mib=$host_mem_mib"
	echo "kernel=$(uname -sr)"
	echo "accel=$accel"
	echo "l1_vcpus=$smp"
	echo "l1_mem=$mem"
	echo "budget_s=$budget"
	echo "command=$(env | sed -n 's/^\(BENCH_[A-Z_0-9]*=[^ ]*\)$/\1/p' | sort | tr '\n' ' ')$invocation"
} >"$work/host.txt"
cp "$HERE/kit.txt" "$work/kit.txt" 2>/dev/null || true
info "host: $host_cpus CPUs ($cpu_model), $((host_mem_mib / 1024)) GiB; L1: $accel, -smp $smp, $mem"

# boot FLAVOR DEADLINE PATTERNS VCPUS QUOTAS REPS: one L1 boot whose driver
# runs the matrix and stops starting runs at DEADLINE seconds; QEMU itself
# is killed $margin s later (L1 boot, the last run, handing results back).
margin=90
boot() {
	local flavor=$1 deadline=$2 d=$work/$1 cmdline qrc t0 rc
	mkdir -p "$d/results"
	cmdline="console=ttyS0 panic=-1 oops=panic kvm_amd.npt=0 kvm_intel.ept=0 kvm.tdp_mmu=0 suite=bench"
	cmdline+=" bench_patterns=$3 bench_vcpus=$4 bench_quotas=$5 bench_regions=$regions bench_density=$density"
	cmdline+=" bench_steps=$steps bench_warmup=$warmup bench_reps=$6 bench_seed=$seed"
	cmdline+=" bench_policies=$policies bench_hot_pct=$hot_pct bench_hot_hit_pct=$hot_hit_pct"
	cmdline+=" bench_deadline=$deadline"
	echo "$cmdline" >"$d/cmdline.txt"
	info "$flavor boot: $3 x vcpus $4 x quotas $5 x seeds $seed x $6 reps x $policies; runs start until ${deadline}s"
	t0=$(date +%s)
	set +e
	timeout --signal=KILL $((deadline + margin)) "${qemu[@]}" "${qaccel[@]}" -smp "$smp" -m "$mem" \
		-display none -monitor none -no-reboot \
		-serial stdio -serial "file:$d/results.txt" \
		-kernel "$HERE/kernels/$flavor.bzImage" -initrd "$HERE/guest/initramfs.gz" \
		-append "$cmdline" </dev/null >"$d/console.log" 2>&1
	qrc=$?
	set -e
	echo "qemu_status=$qrc seconds=$(($(date +%s) - t0))" >"$d/boot.txt"
	rc=$(sed -n 's/^=== RC \([0-9]*\) ===\r\?$/\1/p' "$d/results.txt" | tail -1)
	if [ -n "$rc" ]; then
		sed -n '/^=== RESULTS BEGIN ===/,/^=== RESULTS END ===/p' "$d/results.txt" | sed '1d;$d' |
			tr -d '\r' | base64 -d | tar -xzf - -C "$d/results" ||
			info "$flavor: the guest's result archive is corrupt"
	fi
	echo "guest_status=${rc:-none}" >>"$d/boot.txt"
	rm -f "$d/results.txt"
	if [ -f "$d/results/runs.csv" ]; then
		info "$flavor boot: $(($(date +%s) - t0)) s, $(($(wc -l <"$d/results/runs.csv") - 1)) runs (QEMU status $qrc, guest status ${rc:-none})"
	else
		info "$flavor boot: no runs came back (QEMU status $qrc, guest status ${rc:-none}); console: $d/console.log"
	fi
}

t_start=$(date +%s)
if [ "$lockstat" = 1 ]; then
	boot bench $((budget * 55 / 100 - margin)) "$patterns" "$vcpus" "$quotas" "$reps"
	left=$((budget - ($(date +%s) - t_start)))
	if [ "$left" -gt $((margin + 60)) ]; then
		boot lockstat $((left - margin)) "$ls_patterns" "$ls_vcpus" "$ls_quotas" "$ls_reps"
	else
		info "lockstat boot skipped: only ${left}s of the budget left"
	fi
else
	boot bench $((budget - margin)) "$patterns" "$vcpus" "$quotas" "$reps"
fi
tar -C "$out" -czf "$out/$name.tar.gz" "$name"
rm -rf "$work"
info "results: $out/$name.tar.gz ($(($(date +%s) - t_start)) s)"
[ -f "$out/$name.tar.gz" ] || die "no results tarball"
