#!/usr/bin/env bash
# Bad options of bench/bench-workloads.sh are refused, with the reason,
# before anything is built or installed: each case must exit non-zero in
# well under a second and name the option. Run by `make unit`.
set -u
cd "$(dirname "$0")/../../.."
fail=0 n=0
# refuse WANT ARGS...: the script fails and its message contains WANT.
refuse() {
	local want=$1 out rc t0
	shift
	n=$((n + 1))
	t0=$(date +%s%N)
	out=$(BUILD=/nonexistent/wl-options-test bench/bench-workloads.sh "$@" 2>&1)
	rc=$?
	if [ $rc = 0 ] || [[ $out != *"$want"* ]]; then
		fail=$((fail + 1))
		echo "FAIL: bench-workloads.sh $*: rc $rc, want a message with '$want', got: $out"
	elif [ $(( ($(date +%s%N) - t0) / 1000000 )) -gt 5000 ]; then
		fail=$((fail + 1))
		echo "FAIL: bench-workloads.sh $*: refused, but only after $(( ($(date +%s%N) - t0) / 1000000 )) ms (built something?)"
	fi
}
refuse "unknown policy 'lru'" --policies fifo,lru
refuse "--quotas wants an integer in 64..1000000, got '32'" --quotas 2048,32
refuse "--quotas wants a comma-separated list" --quotas 2048,,64
refuse "more than the L1's 2" --l1-vcpus 2 --vcpus 1,4
refuse "--vcpus wants an integer in 1..16, got '0'" --l1-vcpus 16 --vcpus 0
refuse "--l1-vcpus wants an integer in 1..16" --l1-vcpus 32
refuse "--stall (auto or seconds) wants an integer in 60..86400, got '30'" --stall 30
refuse "--stall (auto or seconds) wants an integer in 60..86400, got 'soon'" --stall soon
refuse "unknown workload 'memcached'" --workloads redis,memcached
refuse "--ops wants NAME:N" --ops exec:5
refuse "--ops fork wants an integer" --ops fork:x
refuse "--mem wants an integer in 128..8192" --mem 64
refuse "--reps wants an integer in 1..100" --reps 0
refuse "--perf wants an integer in 0..1" --perf 2
refuse "--l1-mem wants e.g. 4G" --l1-mem lots
refuse "leaves under 1 GiB beside the L2's" --l1-mem 1G --mem 512
refuse "--accel wants auto, tcg or kvm" --accel hvf
refuse "unknown option '--bogus'" --bogus
refuse "option --reps needs a value" --reps
# The build directory must not have been created by any of the above.
n=$((n + 1))
[ ! -e /nonexistent/wl-options-test ] || { fail=$((fail + 1)); echo "FAIL: a refused run created its build directory"; }
echo "bench-workloads options: $((n - fail))/$n checks passed"
[ $fail = 0 ]
