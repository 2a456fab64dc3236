#!/usr/bin/env bash
# Tests of scripts/splat-check.py on sample console logs with known
# verdicts (run by `make unit`). The rule under test: KASAN, lockdep,
# WARNING, BUG reports fail the run wherever they are; a KCSAN report
# fails it only with a KVM frame (title or stacks), never for core code
# alone (it is printed and listed with --upstream-out); an RCU stall or
# hung task fails it with a KVM frame or when the tests failed. In KCSAN
# stacks, KVM frames below an interrupt entry or below handle_mm_fault()
# do not count, a stale "? fn" frame is no boundary, and KVM code called
# back above handle_mm_fault() (an MMU notifier) counts. A stall's
# interrupted frames do count. Every instance of a signature is judged.
set -u
cd "$(dirname "$0")"
SC=../../splat-check.py
T=${TMPDIR:-/tmp}/splat-tests.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
fail=0 n=0
# check NAME WANT-RC LOG "EXTRA ARGS" SUBSTRING...: the exit status and
# the substrings the output must hold.
check() {
	local name=$1 want=$2 log=$3 args=$4 out rc s
	shift 4
	# shellcheck disable=SC2086 # ARGS is a list of options
	out=$(python3 "$SC" "$log" --kvm-symbols kvm-symbols.txt $args 2>&1); rc=$?
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
# listed NAME FILE LINE: --upstream-out wrote FILE, and it holds exactly LINE
# (a count, a tab, a signature).
listed() {
	n=$((n + 1))
	[ -f "$2" ] && [ "$(cat "$2")" = "$3" ] ||
		{ fail=$((fail + 1)); echo "FAIL $1: --upstream-out holds '$(cat "$2" 2>&1)', want '$3'"; }
}
cat warning-kvm.log warning-kvm.log >"$T/twice.log"
cat gup-fault-via-kvm.log gup-fault-notifier-kvm.log >"$T/gup-both.log"
cat irq-cut-baseline.log hrtimer-kvm-task.log >"$T/core-then-kvm.log"

check clean 0 clean.log "" \
	"PASS: no report fails the run (0 report(s) in all, 0 upstream)"
# The report that failed a fresh-clone make test: the whole console.
check wq-worker-tick 0 wq-worker-tick-console.log "--upstream-out $T/wq.txt" \
	"[upstream x1] KCSAN: data-race in wq_worker_tick" \
	"|  process_srcu+0xfe/0xaf0" \
	"PASS: no report fails the run (1 report(s) in all, 1 upstream)"
listed wq-worker-tick "$T/wq.txt" "$(printf '1\tKCSAN: data-race in wq_worker_tick')"
check kcsan-kvm 1 kcsan-kvm-two-stacks.log "--upstream-out $T/kvm.txt" \
	"FAIL: 1 report(s) fail the run (1 report(s) in all, 0 upstream)" \
	"KCSAN: data-race in kvm_se_test_and_clear_young / paging64_page_fault" \
	"touches KVM: " "kvm_se_test_and_clear_young" "paging64_page_fault" \
	"| read to 0xff11000003367000 of 8 bytes by task 113 on cpu 1:"
listed kcsan-kvm "$T/kvm.txt" ""
check lockdep-core 1 lockdep-inversion.log "" \
	"lockdep x1 (a lockdep report fails the run wherever it is)" \
	"lockdep: possible circular locking dependency detected @ foo_second < foo_first"
check warning-core 1 warning-core.log "" \
	"WARNING x1 (a WARNING report fails the run wherever it is)" \
	"WARNING at kernel/workqueue.c:N __queue_work"
check kasan-core 1 kasan-core.log "" \
	"KASAN x1 (a KASAN report fails the run wherever it is)"
check warning-kvm-twice 1 "$T/twice.log" "" \
	"FAIL: 2 report(s) fail the run" "WARNING x2 (touches KVM: " \
	"WARNING at arch/x86/kvm/mmu/mmu.c:N kvm_mmu_free_shadow_page"
check irq-cut 0 irq-cut-baseline.log "" \
	"[upstream x1] KCSAN: data-race in __hrtimer_run_queues / hrtimer_active" \
	"[upstream x1] KCSAN: data-race in lapic_cal_handler / setup_boot_APIC_clock" \
	"PASS: no report fails the run (2 report(s) in all, 2 upstream)"
check hrtimer-kvm-task 1 hrtimer-kvm-task.log "" \
	"KCSAN x1 (touches KVM: kvm_vcpu_ioctl)"
check kcsan-stale-irq-entry 1 kcsan-stale-irq-entry.log "" \
	"KCSAN x1 (touches KVM: kvm_vcpu_ioctl)"
check gup-fault 0 gup-fault-via-kvm.log "" \
	"[upstream x1] KCSAN: data-race in smp_call_function_many_cond" \
	"PASS: no report fails the run (1 report(s) in all, 1 upstream)"
check gup-fault-notifier-kvm 1 gup-fault-notifier-kvm.log "" \
	"KCSAN x1 (touches KVM: kvm_flush_remote_tlbs, kvm_make_all_cpus_request, kvm_mmu_notifier_invalidate_range_start)"
# One signature, two instances: the core one is upstream, the one with
# KVM code above handle_mm_fault() fails; each is counted on its side.
check gup-fault-second-instance-kvm 1 "$T/gup-both.log" "--upstream-out $T/gup.txt" \
	"FAIL: 1 report(s) fail the run (2 report(s) in all, 1 upstream)" \
	"KCSAN x1 (touches KVM: kvm_flush_remote_tlbs" \
	"|  kvm_mmu_notifier_invalidate_range_start+0x2c7/0x3f0" \
	"[upstream x1] KCSAN: data-race in smp_call_function_many_cond"
listed gup-fault-second-instance-kvm "$T/gup.txt" "$(printf '1\tKCSAN: data-race in smp_call_function_many_cond')"
check core-then-kvm-instance 1 "$T/core-then-kvm.log" "" \
	"FAIL: 1 report(s) fail the run (3 report(s) in all, 2 upstream)" \
	"KCSAN x1 (touches KVM: kvm_vcpu_ioctl)" \
	"[upstream x1] KCSAN: data-race in __hrtimer_run_queues / hrtimer_active" \
	"[upstream x1] KCSAN: data-race in lapic_cal_handler / setup_boot_APIC_clock"
# A guest's line printed between the frames of a KCSAN stack does not end
# the interrupt cut: the KVM frames below it still do not count.
sed '/asm_sysvec_apic_timer_interrupt/a guest: <<< dirty_log_perf: PASS (19s)' irq-cut-baseline.log >"$T/irq-cut-guest-line.log"
check irq-cut-guest-line 0 "$T/irq-cut-guest-line.log" "" \
	"PASS: no report fails the run (2 report(s) in all, 2 upstream)"
# Failed tests make stalls fatal, never a core KCSAN report.
check core-kcsan-tests-failed 0 wq-worker-tick-console.log "--tests-failed" \
	"[upstream x1] KCSAN: data-race in wq_worker_tick"
check warning-under-gup 1 warning-under-gup.log "" \
	"WARNING x1 (touches KVM: hva_to_pfn, kvm_faultin_pfn, kvm_vcpu_ioctl, paging64_page_fault)"
check warning-stale-mm-fault 1 warning-stale-mm-fault.log "" \
	"WARNING x1 (touches KVM: kvm_mmu_free_shadow_page, kvm_mmu_page_fault, kvm_vcpu_ioctl, vcpu_enter_guest)"
check warning-stale-irq-entry 1 warning-stale-irq-entry.log "" \
	"WARNING x1 (touches KVM: kvm_mmu_free_shadow_page, kvm_vcpu_ioctl)"
# The L1 stall of a workload run: a CPU that stopped taking interrupts.
check rcu-stall-idle 0 rcu-stall-idle.log "" \
	"[upstream x1] RCU stall: rcu_sched detected stalls on CPUs/tasks:" \
	"PASS: no report fails the run (1 report(s) in all, 1 upstream)"
check rcu-stall-idle-tests-failed 1 rcu-stall-idle.log "--tests-failed" \
	"RCU stall x1 (RCU stall in a run whose tests failed)"
check rcu-stall-kvm 1 rcu-stall-kvm.log "" \
	"RCU stall x1 (touches KVM: kvm_arch_vcpu_ioctl_run, kvm_mmu_page_fault, kvm_mmu_zap_oldest_mmu_pages, kvm_vcpu_ioctl, vcpu_enter_guest)"
check hung-task-kvm 1 hung-task-kvm.log "" \
	"hung task x1 (touches KVM: kvm_vm_ioctl, kvm_vm_ioctl_set_memory_region)"
grep -v 'kvm_vm_ioctl' hung-task-kvm.log >"$T/hung-core.log"
check hung-task-core 0 "$T/hung-core.log" "" \
	"[upstream x1] hung task: shadow_stress"
check hung-task-core-tests-failed 1 "$T/hung-core.log" "--tests-failed" \
	"hung task x1 (hung task in a run whose tests failed)"
# The soft-lockup watchdog says "BUG" but is judged as a stall.
check soft-lockup-idle 0 soft-lockup-idle.log "" \
	"[upstream x1] lockup: soft lockup"
check soft-lockup-idle-tests-failed 1 soft-lockup-idle.log "--tests-failed" \
	"lockup x1 (lockup in a run whose tests failed)"
: >"$T/empty"
n=$((n + 1))
python3 "$SC" clean.log --kvm-symbols "$T/empty" >/dev/null 2>&1
[ $? = 2 ] || { fail=$((fail + 1)); echo "FAIL: an empty KVM symbol list was accepted"; }
n=$((n + 1))
python3 "$SC" /nonexistent.log --kvm-symbols kvm-symbols.txt >/dev/null 2>&1
[ $? = 2 ] || { fail=$((fail + 1)); echo "FAIL: a missing console log was not refused"; }
n=$((n + 1))
python3 "$SC" clean.log --kvm-symbols kvm-symbols.txt --upstream-out /nonexistent/dir/x >/dev/null 2>&1
[ $? = 2 ] || { fail=$((fail + 1)); echo "FAIL: an unwritable --upstream-out was not refused"; }

echo "$([ $fail = 0 ] && echo PASS || echo FAIL): splat-check tests, $n checks, $fail failed"
[ $fail = 0 ]
