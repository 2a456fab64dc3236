#!/usr/bin/env bash
# validate.sh (`make validate`): the whole validation matrix, one boot per
# suite x policy x kernel flavor, then one table.
#
#   suites    evict     the project's checks (shadow_mmu_check: data,
#                       stats, exact quota; 16 vCPUs on a hot/cold set at
#                       the minimum quota), three upstream tests and a
#                       40 s run of the stress test
#             upstream  upstream KVM selftests that exercise the MMU, each
#                       at the default quota and at 64 shadow pages
#             stress    the series' selftest shadow_stress: 16 vCPUs at the
#                       minimum quota churning guest page tables while host
#                       threads move memslots, change the quota, drop
#                       caches, flip the policy, fail KVM_CREATE_VCPU and
#                       destroy VMs under eviction
#   policies  fifo clock sharded   (kvm.shadow_evict= on the command line)
#   flavors   debug (KCSAN strict + lockdep)  kasan (KASAN + lockdep)
#
# A cell fails on any failed test (a failed KVM_RUN, a data mismatch and a
# leak are test failures), a skipped test, a missing result, or a kernel
# report that can be the series' fault (scripts/splat-check.py: any with a
# KVM frame, every KASAN, lockdep, WARNING and BUG). Core-kernel KCSAN
# reports with no KVM frame are counted in the table as upstream.
# Knobs (space- or comma-separated):
#   VALIDATE_SUITES (evict upstream stress)  VALIDATE_POLICIES (fifo clock
#   sharded)  VALIDATE_FLAVORS (debug kasan)  VALIDATE_VCPUS (2: L1 vCPUs)
#   VALIDATE_MEM (3G)  VALIDATE_OUT (build/validate/STAMP)
#   VALIDATE_APPEND   extra kernel parameters for every boot, e.g.
#                     "kcsan.skip_watch=100" to watch 40x more accesses than
#                     the default 4000 (a planted SPTE race was caught so,
#                     and missed at the default; boots run ~4x longer)
# The table goes to stdout and to OUT/table.md.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

suites=${VALIDATE_SUITES:-evict upstream stress}
policies=${VALIDATE_POLICIES:-fifo clock sharded}
flavors=${VALIDATE_FLAVORS:-debug kasan}
vcpus=${VALIDATE_VCPUS:-2}
mem=${VALIDATE_MEM:-3G}
extra=${VALIDATE_APPEND:-}
suites=${suites//,/ } policies=${policies//,/ } flavors=${flavors//,/ }
for s in $suites; do
	[ -f "$TOP/scripts/guest/suites/$s" ] || die "VALIDATE_SUITES: no suite '$s' in scripts/guest/suites"
done
for p in $policies; do
	case $p in fifo | clock | sharded) ;; *) die "VALIDATE_POLICIES: unknown policy '$p' (fifo clock sharded)" ;; esac
done
for f in $flavors; do
	case $f in debug | kasan) ;; *) die "VALIDATE_FLAVORS: '$f' is not a validation flavor (debug kasan)" ;; esac
done
[[ $vcpus =~ ^[0-9]+$ ]] && [ "$vcpus" -ge 1 ] || die "VALIDATE_VCPUS wants a count, got '$vcpus'"
out=${VALIDATE_OUT:-$BUILD/validate/$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"

t_all=$(now)
for f in $flavors; do
	"$TOP/scripts/kbuild.sh" "$f"
done
"$TOP/scripts/guest.sh"
# The tree the kernels were built from, not the one at the end: a
# developer may commit in the tree while the suites run.
built_from=$(git -C "$KSRC" log -1 --format='%h %s')
base=$(base_desc)

rows=()
nfail=0
for f in $flavors; do
	for p in $policies; do
		for s in $suites; do
			d=$out/$f-$p-$s
			t0=$(now)
			set +e
			"$TOP/scripts/run-guest.sh" --flavor "$f" --suite "$s" --vcpus "$vcpus" --mem "$mem" \
				--timeout 3000 --append "kvm.shadow_evict=$p${extra:+ $extra}" --out "$d" >"$out/$f-$p-$s.log" 2>&1
			rc=$?
			set -e
			secs=$(($(now) - t0))
			ntests=0 npass=0
			if [ -f "$d/results/summary.tsv" ]; then
				ntests=$(grep -c . "$d/results/summary.tsv" || true)
				npass=$(awk '$2 == 0' "$d/results/summary.tsv" | wc -l)
			fi
			# "F failing (U upstream)" from splat-check's verdict line.
			reports=$(sed -n 's/^splat-check: FAIL: \([0-9]*\) report(s) fail the run ([0-9]* report(s) in all, \([0-9]*\) upstream).*/\1 failing (\2 upstream)/p; s/^splat-check: PASS: no report fails the run ([0-9]* report(s) in all, \([0-9]*\) upstream)/0 failing (\1 upstream)/p' "$d/splats.txt" 2>/dev/null | head -1)
			verdict=PASS
			if [ "$rc" != 0 ]; then
				verdict=FAIL
				nfail=$((nfail + 1))
			fi
			rows+=("| $s | $p | $f | $verdict | $npass / $ntests | $secs | ${reports:-no console check} |")
			info "$s / $p / $f: $verdict ($npass of $ntests tests, ${secs}s, reports: ${reports:-none checked}); log $out/$f-$p-$s.log"
			[ "$verdict" = PASS ] || grep -E '^(FAIL|  [a-z_0-9]+ +(FAIL|SKIP))' "$out/$f-$p-$s.log" | head -5 >&2 || true
		done
	done
done

{
	echo "make validate, $(date -u +%Y-%m-%d), $base, kernel tree HEAD $built_from, $(($(now) - t_all)) s in all${extra:+, extra kernel parameters: $extra}"
	echo
	echo "| suite | policy | flavor | result | tests passed | time s | kernel reports |"
	echo "|---|---|---|---|---:|---:|---|"
	printf '%s\n' "${rows[@]}"
} | tee "$out/table.md"
record_time validate $(($(now) - t_all))
[ "$nfail" = 0 ] || die "$nfail of ${#rows[@]} cells failed; logs in $out"
info "all ${#rows[@]} cells passed; table in $out/table.md"
