#!/usr/bin/env bash
# Tests of scripts/splat-check.py on sample console logs with known
# verdicts (run by `make unit`): a two-stack KCSAN report in KVM, a lockdep
# splat, a WARNING in KVM (seen twice), a report whose KVM frames lie below
# an interrupt entry (baseline), the same report with KVM in the task's own
# stack (fails), a plain baseline hit, a clean log, bad input, and a race
# in the core mm under a guest fault's get_user_pages(): KVM's frames below
# handle_mm_fault() do not make it KVM's (baseline or "not in the
# baseline"), KVM frames above it do; and a later instance of a baselined
# signature that touches KVM fails the run, printed with its KVM stack.
# The handle_mm_fault() cut is for KCSAN's exact stacks only: a WARNING
# raised under it still touches KVM, and so does one whose trace holds a
# stale "? handle_mm_fault" frame. A stale "? asm_sysvec_*" frame is no
# interrupt cut either.
set -u
cd "$(dirname "$0")"
SC=../../splat-check.py
fail=0 n=0
# check NAME WANT-RC LOG [BASELINE] -- then substrings the output must hold
check() {
	local name=$1 want=$2 log=$3 base=${4:-baseline.txt} out rc s
	shift 4
	out=$(python3 "$SC" "$log" --kvm-symbols kvm-symbols.txt --baseline "$base" 2>&1); rc=$?
	n=$((n + 1))
	if [ "$rc" != "$want" ]; then
		fail=$((fail + 1)); echo "FAIL $name: exit $rc, want $want"; echo "$out" | sed 's/^/    /'
		return
	fi
	for s in "$@"; do
		n=$((n + 1))
		grep -qF -- "$s" <<<"$out" || { fail=$((fail + 1)); echo "FAIL $name: output lacks '$s'"; echo "$out" | sed 's/^/    /'; }
	done
}
cat warning-kvm.log warning-kvm.log >"${TMPDIR:-/tmp}/splat-twice.$$.log"
cat gup-fault-via-kvm.log gup-fault-notifier-kvm.log >"${TMPDIR:-/tmp}/splat-gup-both.$$.log"
cat irq-cut-baseline.log hrtimer-kvm-task.log >"${TMPDIR:-/tmp}/splat-base-then-kvm.$$.log"
trap 'rm -f "${TMPDIR:-/tmp}"/splat-{twice,gup-both,base-then-kvm}.$$.log' EXIT

check clean 0 clean.log baseline.txt \
	"PASS: no new reports (0 report(s) in all, 0 baseline)"
check kcsan-kvm 1 kcsan-kvm-two-stacks.log baseline.txt \
	"FAIL: 1 new report(s)" \
	"KCSAN: data-race in kvm_se_test_and_clear_young / paging64_page_fault" \
	"touches KVM: " "kvm_se_test_and_clear_young" "paging64_page_fault" \
	"| read to 0xff11000003367000 of 8 bytes by task 113 on cpu 1:"
check lockdep 1 lockdep-inversion.log baseline.txt \
	"lockdep x1 (not in the baseline)" \
	"lockdep: possible circular locking dependency detected @ foo_second < foo_first"
check warning-kvm-twice 1 "${TMPDIR:-/tmp}/splat-twice.$$.log" baseline.txt \
	"FAIL: 1 new report(s)" "WARNING x2 (touches KVM: " \
	"WARNING at arch/x86/kvm/mmu/mmu.c:N kvm_mmu_free_shadow_page"
check irq-cut-and-baseline 0 irq-cut-baseline.log baseline.txt \
	"[baseline x1] KCSAN: data-race in __hrtimer_run_queues / hrtimer_active" \
	"[baseline x1] KCSAN: data-race in lapic_cal_handler / setup_boot_APIC_clock" \
	"PASS: no new reports (2 report(s) in all, 2 baseline)"
check hrtimer-kvm-task 1 hrtimer-kvm-task.log baseline.txt \
	"KCSAN x1 (touches KVM: kvm_vcpu_ioctl)"
check gup-fault-not-baselined 1 gup-fault-via-kvm.log baseline.txt \
	"FAIL: 1 new report(s)" \
	"KCSAN x1 (not in the baseline)" \
	"KCSAN: data-race in smp_call_function_many_cond"
check gup-fault-baselined 0 gup-fault-via-kvm.log baseline-gup.txt \
	"[baseline x1] KCSAN: data-race in smp_call_function_many_cond" \
	"PASS: no new reports (1 report(s) in all, 1 baseline)"
check gup-fault-notifier-kvm 1 gup-fault-notifier-kvm.log baseline-gup.txt \
	"KCSAN x1 (touches KVM: kvm_flush_remote_tlbs, kvm_make_all_cpus_request, kvm_mmu_notifier_invalidate_range_start)"
check gup-fault-second-instance-kvm 1 "${TMPDIR:-/tmp}/splat-gup-both.$$.log" baseline-gup.txt \
	"FAIL: 1 new report(s)" \
	"KCSAN x2 (touches KVM: kvm_flush_remote_tlbs" \
	"|  kvm_mmu_notifier_invalidate_range_start+0x2c7/0x3f0"
check warning-under-gup 1 warning-under-gup.log baseline.txt \
	"WARNING x1 (touches KVM: hva_to_pfn, kvm_faultin_pfn, kvm_vcpu_ioctl, paging64_page_fault)"
check warning-stale-mm-fault 1 warning-stale-mm-fault.log baseline.txt \
	"WARNING x1 (touches KVM: kvm_mmu_free_shadow_page, kvm_mmu_page_fault, kvm_vcpu_ioctl, vcpu_enter_guest)"
check warning-stale-irq-entry 1 warning-stale-irq-entry.log baseline.txt \
	"WARNING x1 (touches KVM: kvm_mmu_free_shadow_page, kvm_vcpu_ioctl)"
check baseline-then-kvm-instance 1 "${TMPDIR:-/tmp}/splat-base-then-kvm.$$.log" baseline.txt \
	"FAIL: 1 new report(s)" \
	"KCSAN x2 (touches KVM: kvm_vcpu_ioctl)" \
	"[baseline x1] KCSAN: data-race in lapic_cal_handler / setup_boot_APIC_clock"
check no-baseline-file 1 irq-cut-baseline.log /nonexistent/baseline \
	"FAIL: 2 new report(s)"
: >"${TMPDIR:-/tmp}/splat-empty.$$"
n=$((n + 1))
python3 "$SC" clean.log --kvm-symbols "${TMPDIR:-/tmp}/splat-empty.$$" --baseline baseline.txt >/dev/null 2>&1
[ $? = 2 ] || { fail=$((fail + 1)); echo "FAIL: an empty KVM symbol list was accepted"; }
rm -f "${TMPDIR:-/tmp}/splat-empty.$$"
n=$((n + 1))
python3 "$SC" /nonexistent.log --kvm-symbols kvm-symbols.txt --baseline baseline.txt >/dev/null 2>&1
[ $? = 2 ] || { fail=$((fail + 1)); echo "FAIL: a missing console log was not refused"; }

echo "$([ $fail = 0 ] && echo PASS || echo FAIL): splat-check tests, $n checks, $fail failed"
[ $fail = 0 ]
