# shellcheck shell=bash
# bench/matrix.sh: the benchmark's matrix, read from the BENCH_* environment
# and checked before anything is built or booted. Sourced by bench/bench.sh
# (`make bench`) and by the bench kit's run.sh, which finds it beside itself
# (bench/bench-pack.sh copies it into the kit). Defines functions only;
# they set the variables below in the caller's shell, or exit 1 saying why.
#
# bench_matrix_read [NAME=DEFAULT ...]: set each variable of the matrix from
#   its BENCH_* variable (an unset or empty one takes the default):
#     patterns     BENCH_PATTERNS      hotcold,hotscan,loop,phase,private
#     vcpus        BENCH_VCPUS         1,2,4,8,16
#     quotas       BENCH_QUOTAS        96,160
#     regions      BENCH_REGIONS       512 (or xK: K times each cell's quota)
#     density      BENCH_DENSITY       1 (4 KiB pages mapped and touched per
#                                      region: present SPTEs per shadow page)
#     steps        BENCH_STEPS         20000
#     warmup       BENCH_WARMUP        10000
#     reps         BENCH_REPS          3
#     seed         BENCH_SEEDS         1,2,3 (BENCH_SEED when BENCH_SEEDS is unset)
#     policies     BENCH_POLICIES      fifo,clock,sharded
#     hot_pct      BENCH_HOT_PCT       10
#     hot_hit_pct  BENCH_HOT_HIT_PCT   90
#     ls_patterns  BENCH_LS_PATTERNS   hotcold,hotscan   (the lockstat boot)
#     ls_vcpus     BENCH_LS_VCPUS      1,4,16
#     ls_quotas    BENCH_LS_QUOTAS     96
#     ls_reps      BENCH_LS_REPS       3
#   NAME=DEFAULT replaces NAME's default (a caller with its own matrix).
# bench_matrix_check: refuse a matrix that cannot run, naming the BENCH_*
#   variable and what it wants.
# bench_matrix_warn: warn about a matrix that runs but makes a weak report.
# bench_matrix_count LIST: the number of items of a comma-separated list.

BENCH_MATRIX_VARS="patterns vcpus quotas regions density steps warmup reps seed policies hot_pct hot_hit_pct ls_patterns ls_vcpus ls_quotas ls_reps"

bench_matrix_fail() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }

# bench_matrix_env NAME: env = the BENCH_* variable that sets NAME (the
# caller's local; no subshell, so the checks stay cheap).
bench_matrix_env() {
	env=BENCH_${1^^}
	[ "$1" != seed ] || env=BENCH_SEEDS
}

bench_matrix_read() {
	local patterns_d=hotcold,hotscan,loop,phase,private vcpus_d=1,2,4,8,16 quotas_d=96,160
	local regions_d=512 density_d=1 steps_d=20000 warmup_d=10000 reps_d=3 seed_d=1,2,3
	local policies_d=fifo,clock,sharded hot_pct_d=10 hot_hit_pct_d=90
	local ls_patterns_d=hotcold,hotscan ls_vcpus_d=1,4,16 ls_quotas_d=96 ls_reps_d=3
	local kv v v_d env
	for kv in "$@"; do
		case " $BENCH_MATRIX_VARS " in
		*" ${kv%%=*} "*) [[ $kv == *=* ]] || bench_matrix_fail "bench_matrix_read: '$kv' wants NAME=DEFAULT" ;;
		*) bench_matrix_fail "bench_matrix_read: '$kv' names no variable of the matrix ($BENCH_MATRIX_VARS)" ;;
		esac
		printf -v "${kv%%=*}_d" %s "${kv#*=}"
	done
	for v in $BENCH_MATRIX_VARS; do
		bench_matrix_env "$v"
		env=${!env:-}
		[ "$v" != seed ] || env=${env:-${BENCH_SEED:-}}
		v_d=${v}_d
		printf -v "$v" %s "${env:-${!v_d}}"
	done
}

bench_matrix_count() {
	local -a items
	IFS=, read -ra items <<<"$1"
	echo ${#items[@]}
}

bench_matrix_check() {
	local v x env
	for v in patterns vcpus quotas policies seed ls_patterns ls_vcpus ls_quotas; do
		bench_matrix_env $v
		[[ ${!v} =~ ^[a-z0-9]+(,[a-z0-9]+)*$ ]] || bench_matrix_fail "$env='${!v}': want a comma-separated list"
	done
	for v in density steps warmup reps hot_pct hot_hit_pct ls_reps; do
		bench_matrix_env $v
		[[ ${!v} =~ ^[0-9]+$ ]] || bench_matrix_fail "$env='${!v}': want a non-negative integer"
	done
	for v in patterns ls_patterns; do
		bench_matrix_env $v
		for x in ${!v//,/ }; do
			case $x in hotcold | hotscan | loop | phase | private) ;;
			*) bench_matrix_fail "$env: unknown pattern '$x' (hotcold hotscan loop phase private)" ;;
			esac
		done
	done
	for x in ${policies//,/ }; do
		case $x in fifo | clock | sharded) ;;
		*) bench_matrix_fail "BENCH_POLICIES: unknown policy '$x' (fifo clock sharded)" ;;
		esac
	done
	for v in vcpus ls_vcpus; do
		bench_matrix_env $v
		for x in ${!v//,/ }; do
			[[ $x =~ ^[0-9]+$ ]] && [ "$x" -ge 1 ] && [ "$x" -le 64 ] || bench_matrix_fail "$env: '$x' is not in 1..64"
			[ "$steps" -ge "$x" ] || bench_matrix_fail "BENCH_STEPS=$steps is less than one step per vCPU at $x vCPUs ($env)"
		done
	done
	for v in quotas ls_quotas; do
		bench_matrix_env $v
		for x in ${!v//,/ }; do
			[[ $x =~ ^[0-9]+$ ]] || bench_matrix_fail "$env: '$x' is not a number"
			[ "$x" -ge 64 ] ||
				bench_matrix_fail "$env: $x is below KVM's minimum of 64 shadow pages (KVM_SET_NR_MMU_PAGES refuses it)"
		done
	done
	for x in ${seed//,/ }; do
		[[ $x =~ ^[0-9]+$ ]] || bench_matrix_fail "BENCH_SEEDS: '$x' is not a non-negative integer"
	done
	if [[ $regions =~ ^x[0-9]+$ ]]; then
		[ "${regions#x}" -ge 1 ] || bench_matrix_fail "BENCH_REGIONS=$regions: xK wants K >= 1"
		for x in ${quotas//,/ } ${ls_quotas//,/ }; do
			[ $((${regions#x} * x)) -le 65536 ] ||
				bench_matrix_fail "BENCH_REGIONS=$regions: quota $x x ${regions#x} = $((${regions#x} * x)) regions, above 65536"
		done
	else
		[[ $regions =~ ^[0-9]+$ ]] || bench_matrix_fail "BENCH_REGIONS='$regions': want a number of regions or xK (K times the quota)"
		[ "$regions" -ge 1 ] && [ "$regions" -le 65536 ] || bench_matrix_fail "BENCH_REGIONS wants 1..65536, got $regions"
	fi
	[ "$density" -ge 1 ] && [ "$density" -le 512 ] || bench_matrix_fail "BENCH_DENSITY wants 1..512 (pages of a 2 MiB region), got $density"
	[ "$reps" -ge 1 ] || bench_matrix_fail "BENCH_REPS wants >= 1, got $reps"
	[ "$ls_reps" -ge 1 ] || bench_matrix_fail "BENCH_LS_REPS wants >= 1, got $ls_reps"
	[ "$hot_pct" -ge 1 ] && [ "$hot_pct" -le 100 ] || bench_matrix_fail "BENCH_HOT_PCT wants 1..100, got $hot_pct"
	[ "$hot_hit_pct" -le 100 ] || bench_matrix_fail "BENCH_HOT_HIT_PCT wants 0..100, got $hot_hit_pct"
}

bench_matrix_warn() {
	local q w=${0##*/}
	[ "$reps" -ge 3 ] || printf '%s: warning: BENCH_REPS=%s: the report wants >= 3 for median, min and max\n' "$w" "$reps" >&2
	[ "$(bench_matrix_count "$seed")" -ge 3 ] ||
		printf "%s: warning: BENCH_SEEDS=%s: the report's intervals want >= 3 seeds x 3 reps\n" "$w" "$seed" >&2
	[ "$warmup" -lt "$steps" ] ||
		printf "%s: warning: BENCH_WARMUP >= BENCH_STEPS: the phase pattern's hot set moves during warm-up\n" "$w" >&2
	if [[ $regions == x* ]]; then
		[ "${regions#x}" -ge 2 ] ||
			printf "%s: warning: BENCH_REGIONS=%s: a ring as large as the set fits it (nothing to evict)\n" "$w" "$regions" >&2
	else
		for q in ${quotas//,/ }; do
			[ "$q" -lt "$regions" ] || printf "%s: warning: quota %s >= %s regions: that cell's working set fits\n" "$w" "$q" "$regions" >&2
		done
	fi
	return 0
}
