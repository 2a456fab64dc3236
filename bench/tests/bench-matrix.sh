#!/usr/bin/env bash
# The benchmark's matrix (bench/matrix.sh), shared by bench/bench.sh and
# the bench kit's run.sh: its defaults as each of them sees them, and its
# refusal of bad values, each with the reason. Nothing is built or booted:
# bench.sh runs with BENCH_NO_BUILD=1 and no build directory (it stops at
# the missing kernel, after printing its matrix), the kit with a stand-in
# for its QEMU that exits at once. Run by `make unit`; a second or two.
set -u
cd "$(dirname "$0")/../.."
for v in $(compgen -e | grep -E '^(BENCH_.*|FULL)$'); do unset "$v"; done
fail=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nobuild=$tmp/no-build	# never created: bench.sh stops at its missing kernel

# check WHAT GOT WANT: GOT contains WANT.
check() {
	n=$((n + 1))
	[[ $2 == *"$3"* ]] && return
	fail=$((fail + 1))
	echo "FAIL: $1: want '$3', got: $2"
}
# matrix [VAR=VALUE...] -- ARGS...: read and check the matrix in a fresh
# shell, the environment given, ARGS to bench_matrix_read; prints what it
# set, or the refusal.
matrix() {
	local -a vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	env "${vars[@]}" bash -c '. bench/matrix.sh && bench_matrix_read "$@" && bench_matrix_check && bench_matrix_warn &&
		for v in $BENCH_MATRIX_VARS; do printf "%s=%s " "$v" "${!v}"; done; echo' matrix "$@" 2>&1
}
# refuse WANT VAR=VALUE...: the matrix is refused, the message says WANT.
refuse() {
	local want=$1 out rc
	shift
	out=$(matrix "$@" --)
	rc=$?
	n=$((n + 1))
	[ $rc != 0 ] && [[ $out == "matrix: error: $want"* ]] && return
	fail=$((fail + 1))
	echo "FAIL: $* was not refused with '$want' (rc $rc): $out"
}

# ---- sourcing sets no variable but the list of the matrix's ----
got=$(comm -13 <(compgen -v | sort) <(. bench/matrix.sh; compgen -v | sort) | tr '\n' ' ')
check "variables that sourcing sets" "[$got]" "[BENCH_MATRIX_VARS ]"

# ---- defaults ----
quick="patterns=hotcold,hotscan,loop,phase,private vcpus=1,2,4,8,16 quotas=96,160 regions=512 density=1 steps=20000 warmup=10000 reps=3 seed=1,2,3 policies=fifo,clock,sharded hot_pct=10 hot_hit_pct=90 ls_patterns=hotcold,hotscan ls_vcpus=1,4,16 ls_quotas=96 ls_reps=3 "
check "defaults" "$(matrix --)" "$quick"
check "defaults, a caller's own" "$(matrix -- patterns=loop ls_quotas=96,160)" \
	"patterns=loop vcpus=1,2,4,8,16 quotas=96,160 regions=512 density=1 steps=20000 warmup=10000 reps=3 seed=1,2,3 policies=fifo,clock,sharded hot_pct=10 hot_hit_pct=90 ls_patterns=hotcold,hotscan ls_vcpus=1,4,16 ls_quotas=96,160 ls_reps=3 "
check "BENCH_* beat a caller's default" "$(matrix BENCH_PATTERNS=phase BENCH_LS_QUOTAS=200 -- patterns=loop ls_quotas=96,160)" \
	"patterns=phase vcpus=1,2,4,8,16 quotas=96,160 regions=512 density=1 steps=20000 warmup=10000 reps=3 seed=1,2,3 policies=fifo,clock,sharded hot_pct=10 hot_hit_pct=90 ls_patterns=hotcold,hotscan ls_vcpus=1,4,16 ls_quotas=200 ls_reps=3 "
check "BENCH_SEED stands in for BENCH_SEEDS" "$(matrix BENCH_SEED=7 --)" " seed=7 "
check "BENCH_SEEDS before BENCH_SEED" "$(matrix BENCH_SEEDS=4,5,6 BENCH_SEED=7 --)" " seed=4,5,6 "
check "an empty BENCH_* takes the default" "$(matrix BENCH_VCPUS= --)" " vcpus=1,2,4,8,16 "
check "a default of no variable" "$(matrix -- bogus=1)" "matrix: error: bench_matrix_read: 'bogus=1' names no variable of the matrix"
check "a default without a value" "$(matrix -- patterns)" "matrix: error: bench_matrix_read: 'patterns' wants NAME=DEFAULT"

# ---- refusals ----
refuse "BENCH_PATTERNS='hotcold,,loop': want a comma-separated list" BENCH_PATTERNS=hotcold,,loop
refuse "BENCH_SEEDS='1,2,': want a comma-separated list" BENCH_SEEDS=1,2,
refuse "BENCH_LS_QUOTAS='96 160': want a comma-separated list" "BENCH_LS_QUOTAS=96 160"
refuse "BENCH_PATTERNS: unknown pattern 'lru' (hotcold hotscan loop phase private)" BENCH_PATTERNS=hotcold,lru
refuse "BENCH_LS_PATTERNS: unknown pattern 'scan' (hotcold hotscan loop phase private)" BENCH_LS_PATTERNS=scan
refuse "BENCH_POLICIES: unknown policy 'lru' (fifo clock sharded)" BENCH_POLICIES=fifo,lru
refuse "BENCH_VCPUS: '0' is not in 1..64" BENCH_VCPUS=1,0
refuse "BENCH_VCPUS: '65' is not in 1..64" BENCH_VCPUS=65
refuse "BENCH_LS_VCPUS: 'four' is not in 1..64" BENCH_LS_VCPUS=four
refuse "BENCH_STEPS=8 is less than one step per vCPU at 16 vCPUs (BENCH_VCPUS)" BENCH_STEPS=8
refuse "BENCH_STEPS=8 is less than one step per vCPU at 16 vCPUs (BENCH_LS_VCPUS)" BENCH_STEPS=8 BENCH_VCPUS=1
refuse "BENCH_QUOTAS: 'many' is not a number" BENCH_QUOTAS=96,many
refuse "BENCH_QUOTAS: 32 is below KVM's minimum of 64 shadow pages" BENCH_QUOTAS=32
refuse "BENCH_LS_QUOTAS: 63 is below KVM's minimum of 64 shadow pages" BENCH_LS_QUOTAS=63
refuse "BENCH_SEEDS: 'x' is not a non-negative integer" BENCH_SEEDS=1,x
refuse "BENCH_SEEDS: 'y' is not a non-negative integer" BENCH_SEED=y
refuse "BENCH_REGIONS='-1': want a number of regions or xK (K times the quota)" BENCH_REGIONS=-1
refuse "BENCH_REGIONS='x': want a number of regions or xK (K times the quota)" BENCH_REGIONS=x
refuse "BENCH_REGIONS='3x': want a number of regions or xK (K times the quota)" BENCH_REGIONS=3x
refuse "BENCH_REGIONS=x0: xK wants K >= 1" BENCH_REGIONS=x0
refuse "BENCH_REGIONS=x1000: quota 96 x 1000 = 96000 regions, above 65536" BENCH_REGIONS=x1000
refuse "BENCH_REGIONS=x300: quota 256 x 300 = 76800 regions, above 65536" BENCH_REGIONS=x300 BENCH_LS_QUOTAS=256
refuse "BENCH_WARMUP='1k': want a non-negative integer" BENCH_WARMUP=1k
refuse "BENCH_REGIONS wants 1..65536, got 0" BENCH_REGIONS=0
refuse "BENCH_REGIONS wants 1..65536, got 65537" BENCH_REGIONS=65537
refuse "BENCH_DENSITY wants 1..512 (pages of a 2 MiB region), got 0" BENCH_DENSITY=0
refuse "BENCH_DENSITY wants 1..512 (pages of a 2 MiB region), got 513" BENCH_DENSITY=513
refuse "BENCH_DENSITY='x': want a non-negative integer" BENCH_DENSITY=x
refuse "BENCH_REPS wants >= 1, got 0" BENCH_REPS=0
refuse "BENCH_LS_REPS wants >= 1, got 0" BENCH_LS_REPS=0
refuse "BENCH_LS_REPS='three': want a non-negative integer" BENCH_LS_REPS=three
refuse "BENCH_HOT_PCT wants 1..100, got 0" BENCH_HOT_PCT=0
refuse "BENCH_HOT_HIT_PCT wants 0..100, got 101" BENCH_HOT_HIT_PCT=101

# ---- warnings: the matrix runs, the report will be weak ----
out=$(matrix BENCH_REPS=1 BENCH_SEEDS=5 BENCH_WARMUP=20000 BENCH_QUOTAS=96,600 --)
check "warning, reps" "$out" "matrix: warning: BENCH_REPS=1: the report wants >= 3 for median, min and max"
check "warning, seeds" "$out" "matrix: warning: BENCH_SEEDS=5: the report's intervals want >= 3 seeds x 3 reps"
check "warning, warm-up" "$out" "matrix: warning: BENCH_WARMUP >= BENCH_STEPS"
check "warning, quota" "$out" "matrix: warning: quota 600 >= 512 regions: that cell's working set fits"
check "warnings, no others" "$(grep -c warning <<<"$out")" 4
check "a matrix with warnings runs" "$out" " reps=1 "
out=$(matrix BENCH_REGIONS=x1 --)
check "warning, xK" "$out" "matrix: warning: BENCH_REGIONS=x1: a ring as large as the set fits it (nothing to evict)"
check "xK, no quota warning" "$(grep -c warning <<<"$out")" 1
check "xK is read as given" "$(matrix BENCH_REGIONS=x3 --)" " regions=x3 "

# ---- make bench: bench/bench.sh's matrix ----
bench() { env BUILD="$nobuild" BENCH_NO_BUILD=1 BENCH_LOCKSTAT=1 "$@" bench/bench.sh 2>&1; }
out=$(bench)
check "bench.sh, quick matrix" "$out" "matrix: hotcold,hotscan,loop,phase,private x vcpus 1,2,4,8,16 x quotas 96,160 x seeds 1,2,3 x 3 reps x fifo,clock,sharded = 1350 runs (regions 512, steps 20000, warmup 10000 per run;"
check "bench.sh, lockstat matrix" "$out" "lockstat boot: hotcold,hotscan x vcpus 1,4,16 x quotas 96 x seeds 1,2,3 x 3 reps x fifo,clock,sharded = 162 runs"
check "bench.sh stops before building" "$out" "bench.sh: error: BENCH_NO_BUILD=1 but no bench kernel in $nobuild/bench"
check "bench.sh, FULL=1" "$(bench FULL=1)" "x quotas 96,160,256 x seeds 1,2,3 x 3 reps x fifo,clock,sharded = 2025 runs"
check "bench.sh, BENCH_QUOTAS over FULL=1" "$(bench FULL=1 BENCH_QUOTAS=128 BENCH_SEEDS=1)" "x quotas 128 x seeds 1 x 3 reps x fifo,clock,sharded = 225 runs"
check "bench.sh refuses" "$(bench BENCH_POLICIES=lru)" "bench.sh: error: BENCH_POLICIES: unknown policy 'lru' (fifo clock sharded)"
check "bench.sh refuses, its own knobs" "$(bench BENCH_L1_VCPUS=two)" "bench.sh: error: BENCH_L1_VCPUS='two': want a non-negative integer"
check "bench.sh warns" "$(bench BENCH_REPS=2)" "bench.sh: warning: BENCH_REPS=2: the report wants >= 3"
# SIZE=1: the size axis, one boot per DENSITY:QUOTAS group.
size() { env BUILD="$nobuild" BENCH_NO_BUILD=1 SIZE=1 "$@" bench/bench.sh 2>&1; }
out=$(size)
check "bench.sh, SIZE=1" "$out" "size axis: boots (density:quotas[:steps:warmup]) 1:96,512,2048,4096 64:96,512,2048:4000:2000 512:96:1000:500, each hotcold x vcpus 1,16 x seeds 1 x 3 reps x fifo,clock,sharded = 144 runs (regions x3, steps 20000, warmup 10000 per run unless the group says;"
check "bench.sh, SIZE=1 has no lockstat boot" "$(grep -c 'lockstat boot' <<<"$out")" 0
check "bench.sh, SIZE=1 stops before building" "$out" "bench.sh: error: BENCH_NO_BUILD=1 but no bench kernel in $nobuild/bench"
check "bench.sh, BENCH_SIZES" "$(size BENCH_SIZES='64:128:400 1:96,4096' BENCH_VCPUS=16)" "boots (density:quotas[:steps:warmup]) 64:128:400 1:96,4096, each hotcold x vcpus 16 x seeds 1 x 3 reps x fifo,clock,sharded = 27 runs"
check "bench.sh refuses, a group's steps" "$(size BENCH_SIZES='1:96 512:96:8')" "bench.sh: error: BENCH_STEPS=8 is less than one step per vCPU at 16 vCPUs (BENCH_VCPUS)"
check "bench.sh refuses, a group's steps are numbers" "$(size BENCH_SIZES='512:96:many')" "bench.sh: error: BENCH_SIZES: '512:96:many' is not a DENSITY:QUOTA,QUOTA,...[:STEPS[:WARMUP]] group"
check "bench.sh refuses, SIZE" "$(size SIZE=2)" "bench.sh: error: SIZE wants 0 or 1, got '2'"
check "bench.sh refuses, SIZE=1 with BENCH_QUOTAS" "$(size BENCH_QUOTAS=96)" "bench.sh: error: SIZE=1 takes its quotas and densities from BENCH_SIZES"
check "bench.sh refuses, SIZE=1 with BENCH_DENSITY" "$(size BENCH_DENSITY=64)" "bench.sh: error: SIZE=1 takes its quotas and densities from BENCH_SIZES"
check "bench.sh refuses, SIZE=1 with FULL=1" "$(size FULL=1)" "bench.sh: error: SIZE=1 and FULL=1 are two different matrices"
check "bench.sh refuses, SIZE=1 with lockstat" "$(size BENCH_LOCKSTAT=1)" "bench.sh: error: SIZE=1 has no lockstat boot"
check "bench.sh refuses, a bad group" "$(size BENCH_SIZES='1:96 64')" "bench.sh: error: BENCH_SIZES: '64' is not a DENSITY:QUOTA,QUOTA,...[:STEPS[:WARMUP]] group"
check "bench.sh refuses, no group" "$(size BENCH_SIZES=' ')" "bench.sh: error: BENCH_SIZES is empty"
check "bench.sh refuses, a group's density" "$(size BENCH_SIZES='1:96 513:96')" "bench.sh: error: BENCH_DENSITY wants 1..512 (pages of a 2 MiB region), got 513"
out=$(size BENCH_SIZES='1:32')
check "bench.sh refuses, a group's quota" "$out" "bench.sh: error: BENCH_QUOTAS: 32 is below KVM's minimum of 64 shadow pages"
check "bench.sh refuses, names the group" "$out" "bench.sh: error: that is BENCH_SIZES group '1:32'"
check "bench.sh refuses, a group's regions" "$(size BENCH_SIZES='1:96,40000')" "bench.sh: error: BENCH_REGIONS=x3: quota 40000 x 3 = 120000 regions, above 65536"
n=$((n + 1))
[ ! -e "$nobuild" ] || { fail=$((fail + 1)); echo "FAIL: bench.sh created $nobuild"; }

# ---- the bench kit: run.sh beside matrix.sh, as bench/bench-pack.sh lays them out ----
check "bench-pack.sh puts matrix.sh in the kit" "$(grep -F 'bench/matrix.sh' bench/bench-pack.sh)" 'cp "$TOP/bench/matrix.sh" "$kit/matrix.sh"'
kit=$tmp/kit
mkdir -p "$kit"/{qemu/bin,qemu/lib,qemu/modules,kernels,guest}
cp bench/pack/run.sh "$kit/run.sh"
cp bench/matrix.sh "$kit/matrix.sh"
touch "$kit"/qemu/bin/qemu-system-x86_64 "$kit"/qemu/modules/accel-tcg-x86_64.so \
	"$kit"/kernels/{bench,lockstat}.bzImage "$kit"/guest/initramfs.gz
# QEMU's stand-in: leaves an empty results port and exits, as if L1 died at once.
printf '#!/bin/sh\nfor a; do case $a in file:*) : >"${a#file:}" ;; esac; done\n' >"$kit/qemu/lib/ld-linux-x86-64.so.2"
chmod +x "$kit/qemu/lib/ld-linux-x86-64.so.2"
runkit() { env "$@" "$kit/run.sh" --out "$tmp/out" --smp 2 --mem 2G --accel tcg --tag t 2>&1; }
out=$(runkit)
check "kit, bench matrix" "$out" "bench boot: hotcold,hotscan x vcpus 1,2,4,8,16 x quotas 96,160 x seeds 1,2,3 x 3 reps x fifo,clock,sharded;"
check "kit, lockstat matrix" "$out" "lockstat boot: hotcold,hotscan x vcpus 1,4,16 x quotas 96,160 x seeds 1,2,3 x 3 reps x fifo,clock,sharded;"
check "kit, the cmdline" "$(tar -xzOf "$tmp/out/shadow-evict-results-t.tar.gz" shadow-evict-results-t/bench/cmdline.txt 2>&1)" \
	"bench_patterns=hotcold,hotscan bench_vcpus=1,2,4,8,16 bench_quotas=96,160 bench_regions=512 bench_density=1 bench_steps=20000 bench_warmup=10000 bench_reps=3 bench_seed=1,2,3 bench_policies=fifo,clock,sharded bench_hot_pct=10 bench_hot_hit_pct=90"
check "kit, BENCH_*" "$(runkit BENCH_PATTERNS=loop BENCH_LS_QUOTAS=128 BENCH_SEED=9)" "lockstat boot: hotcold,hotscan x vcpus 1,4,16 x quotas 128 x seeds 9 x 3 reps"
check "kit refuses" "$(runkit BENCH_LS_REPS=0)" "run.sh: error: BENCH_LS_REPS wants >= 1, got 0"
check "kit refuses, its own options" "$(env "$kit/run.sh" --time soon 2>&1)" "run.sh: error: --time 'soon': want a non-negative integer"
rm "$kit/matrix.sh"
check "kit without matrix.sh" "$(runkit)" "run.sh: error: the kit is incomplete: matrix.sh is missing"

echo "bench matrix: $((n - fail))/$n checks passed"
[ $fail = 0 ]
