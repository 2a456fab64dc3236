#!/bin/sh
# bench-driver.sh: the benchmark's matrix, run inside the L1 guest (busybox
# sh) by the "bench" suite; installed as /kvm/bench-driver by
# scripts/guest.sh. bench/bench.sh passes the matrix on the kernel command
# line (words bench_KEY=VALUE, lists comma-separated):
#
#   bench_patterns  hotcold,hotscan,loop,phase,private
#   bench_vcpus     1,4,16          vCPUs of the benchmark VM
#   bench_quotas    96,160          KVM_SET_NR_MMU_PAGES, >= 64
#   bench_regions   256             2 MiB regions in the VM; xK: K times
#                                   each cell's quota (rings of every size
#                                   with the same share of the set fitting)
#   bench_density   1               4 KiB pages mapped and touched per region
#   bench_steps     24000           measured steps per run, all vCPUs
#                                   together (each vCPU: steps / vcpus)
#   bench_warmup    12000           warm-up steps per run, likewise split
#   bench_reps      3
#   bench_seed      1,2,3           trace seeds: each seed's trace is the same
#                                   for every rep and policy
#   bench_policies  fifo,clock,sharded
#   bench_hot_pct   10              bench_hot_hit_pct 90
#   bench_deadline  SECONDS         start no run after this long: fail
#   bench_hog       0               busy loops run beside every run, for
#                                   experiments on what a busy CPU next to
#                                   the benchmark VM costs it (BENCH_APPEND)
#   bench_lockdump  0               1: after each run, append the lock_stat
#                                   blocks of mmu_lock and of the eviction
#                                   core's spinlocks (shard, ready, shards
#                                   locks) to /results/lock_stat.txt, headed
#                                   by the run's cell; lockstat flavor only
#                                   (BENCH_APPEND)
#
# Loop: for rep in 1..reps, for each seed, for each cell (pattern x vcpus x
# quota), for each policy in an order rotated by rep (interleaved, so noise hits the
# policies alike): write the policy to kvm.shadow_evict, run shadow_bench
# (one VM), append its row to /results/runs.csv. A failing run is logged
# with its stderr (/results/bench-fail-*.txt) and the matrix goes on; the
# driver exits non-zero if any run failed or the deadline cut it short.
# Progress goes to the console as "guest: bench ..." lines.

PARAM=/sys/module/kvm/parameters/shadow_evict
OUT=/results/runs.csv

say() { echo "guest: bench: $*" >/dev/console; echo "$*"; }
die() { say "ERROR: $*"; exit 2; }

patterns= vcpus= quotas= regions= steps= warmup= reps= seed= policies=
density=1 hot_pct=10 hot_hit_pct=90 deadline=86400 hog=0 lockdump=0
for w in $(cat /proc/cmdline); do
	case "$w" in
	bench_patterns=*) patterns=${w#*=} ;;
	bench_vcpus=*) vcpus=${w#*=} ;;
	bench_quotas=*) quotas=${w#*=} ;;
	bench_regions=*) regions=${w#*=} ;;
	bench_density=*) density=${w#*=} ;;
	bench_steps=*) steps=${w#*=} ;;
	bench_warmup=*) warmup=${w#*=} ;;
	bench_reps=*) reps=${w#*=} ;;
	bench_seed=*) seed=${w#*=} ;;
	bench_policies=*) policies=${w#*=} ;;
	bench_hot_pct=*) hot_pct=${w#*=} ;;
	bench_hot_hit_pct=*) hot_hit_pct=${w#*=} ;;
	bench_deadline=*) deadline=${w#*=} ;;
	bench_hog=*) hog=${w#*=} ;;
	bench_lockdump=*) lockdump=${w#*=} ;;
	esac
done
for k in patterns vcpus quotas regions steps warmup reps seed policies; do
	eval "v=\$$k"
	[ -n "$v" ] || die "no bench_$k= on the kernel command line (bench/bench.sh sets them)"
done
case $regions in x[1-9]*) k=${regions#x} ;; [1-9]*) k=$regions ;; *) k=- ;; esac
case $k in *[!0-9]*) die "bench_regions=$regions: want a number of regions or xK (K times the quota)" ;; esac
[ -w "$PARAM" ] || die "$PARAM is missing or not writable: the kernel lacks kvm.shadow_evict"
command -v shadow_bench >/dev/null || die "shadow_bench is not in the image"

list() { echo "$1" | tr ',' ' '; }
npol=$(list "$policies" | wc -w)
ncells=$(( $(list "$patterns" | wc -w) * $(list "$vcpus" | wc -w) * $(list "$quotas" | wc -w) * $(list "$seed" | wc -w) ))
total=$((reps * ncells * npol))
say "matrix: patterns=$patterns vcpus=$vcpus quotas=$quotas regions=$regions steps=$steps warmup=$warmup reps=$reps seed=$seed policies=$policies: $total runs"

case $hog in '' | *[!0-9]*) die "bench_hog=$hog: want a number of busy loops" ;; esac
case $lockdump in 0 | 1) ;; *) die "bench_lockdump=$lockdump: want 0 or 1" ;; esac
[ "$lockdump" = 0 ] || [ -r /proc/lock_stat ] ||
	die "bench_lockdump=1 needs /proc/lock_stat (CONFIG_LOCK_STAT: the lockstat flavor)"
# A VM's memslot spans regions x 2 MiB, of which only the mapped pages are
# ever touched: thousands of regions reserve more than the L1's memory, which
# the default heuristic overcommit refuses at mmap().
echo 1 >/proc/sys/vm/overcommit_memory || die "cannot set vm.overcommit_memory=1"
shadow_bench --header-only >"$OUT" || die "shadow_bench --header-only failed"
hogs=
i=0
while [ "$i" -lt "$hog" ]; do
	(while :; do :; done) &
	hogs="$hogs $!"
	i=$((i + 1))
done
# shellcheck disable=SC2086 # a list of pids
trap '[ -z "$hogs" ] || kill $hogs' EXIT
[ -z "$hogs" ] || say "$hog busy loop(s) beside the runs:$hogs"
t0=$(date +%s)
n=0 fails=0
rep=1
while [ "$rep" -le "$reps" ]; do
	# Rotate the policy order by rep, (rep - 1) mod npol times:
	# fifo clock sharded, clock sharded fifo, sharded fifo clock, ...
	set -- $(list "$policies")
	i=0
	while [ "$i" -lt $(( (rep - 1) % npol )) ]; do
		first=$1; shift; set -- "$@" "$first"
		i=$((i + 1))
	done
	order="$*"
	for sd in $(list "$seed"); do
	for pat in $(list "$patterns"); do
		for nv in $(list "$vcpus"); do
			s=$((steps / nv)); [ "$s" -ge 1 ] || s=1
			w=$((warmup / nv))
			for q in $(list "$quotas"); do
				rg=$regions
				case $rg in x*) rg=$((${rg#x} * q)) ;; esac
				for pol in $order; do
					n=$((n + 1))
					el=$(($(date +%s) - t0))
					if [ "$el" -gt "$deadline" ]; then
						say "ERROR: deadline of ${deadline}s passed after $((n - 1)) of $total runs"
						exit 3
					fi
					echo "$pol" >"$PARAM" || die "cannot set kvm.shadow_evict=$pol"
					got=$(cat "$PARAM")
					[ "$got" = "$pol" ] || die "kvm.shadow_evict reads '$got' after writing '$pol'"
					args="--rep $rep --pattern $pat --vcpus $nv --regions $rg --density $density --quota $q --warmup $w --steps $s --seed $sd --hot-pct $hot_pct --hot-hit-pct $hot_hit_pct"
					r0=$(date +%s)
					row=$(timeout 900 shadow_bench $args 2>/tmp/err)
					rc=$?
					dt=$(($(date +%s) - r0))
					nl=$(printf '%s' "$row" | grep -c '')
					if [ $rc = 0 ] && [ "$nl" = 1 ]; then
						echo "$row" >>"$OUT"
						# shadow_bench cleared the statistics when its
						# run began. Several classes are named &s->lock
						# (the PIC's too): a block's contention points
						# say whose it is.
						[ "$lockdump" = 0 ] || {
							echo "=== rep $rep seed $sd $pat v=$nv q=$q $pol"
							awk '/^ *[^ ]+: / { b = ($1 ~ /mmu_lock|^&s->lock|ready_lock|shards_lock/) }
								b { print } /^\.\.\.\./ { b = 0 }' /proc/lock_stat
						} >>/results/lock_stat.txt
						grep '^shadow_bench:' /tmp/err
						# pf_taken is the 11th column.
						say "[$n/$total ${el}s] rep $rep seed $sd $pat v=$nv q=$q $pol: pf_taken=$(echo "$row" | cut -d, -f11) (${dt}s)"
					else
						fails=$((fails + 1))
						f=/results/bench-fail-$n.txt
						{ echo "shadow_bench $args"; echo "policy $pol rc $rc rows $nl"; echo "--- stdout"; echo "$row"; echo "--- stderr"; cat /tmp/err; } >"$f"
						say "[$n/$total] FAIL rc=$rc: rep $rep seed $sd $pat v=$nv q=$q $pol (${dt}s): $(grep -E 'error|Assertion|failed' /tmp/err | head -2 | tr '\n' ' ')"
						cat "$f"
					fi
				done
			done
		done
	done
	done
	rep=$((rep + 1))
done
say "done: $n runs, $fails failed, $(($(date +%s) - t0))s"
[ "$fails" = 0 ]
