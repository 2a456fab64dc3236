#!/usr/bin/env bash
# run-guest.sh: boot a built flavor under QEMU and run a guest suite in it.
# Every KVM guest the suite creates inside runs on the shadow MMU.
#
#   --flavor F       debug | kasan | bench            (default debug)
#   --kernel IMAGE   boot IMAGE (a bzImage), not build/FLAVOR's; --flavor
#                    then only names the run, and IMAGE's folder may hold
#                    base.txt (e.g. Debian's own kernel: scripts/stock-test.sh)
#   --suite S        a file in scripts/guest/suites   (default smoke)
#   --vcpus N        L1 vCPUs                         (default 2)
#   --mem M          L1 memory, QEMU syntax           (default 2G)
#   --timeout S      kill the guest after S seconds   (default 1500)
#   --append "..."   extra kernel parameters
#   --accel A        auto | tcg | kvm                 (default auto: kvm where
#                    /proc/cpuinfo shows vmx or svm and /dev/kvm is usable)
#   --qemu-cpu C     override QEMU's -cpu (e.g. qemu64,-svm to see the
#                    no-/dev/kvm error)
#   --out DIR        where console.log and results/ go
#                    (default build/runs/FLAVOR-SUITE-TIMESTAMP)
#   --verbose        print the whole console, not only the guest's lines
# Exit status: 0 when every test passed and no kernel report fails the run
# (scripts/splat-check.py has the rule).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavor=debug suite=smoke vcpus=2 mem=2G limit=1500 append="" accel=auto cpu="" out="" verbose=0 image=""
while [ $# -gt 0 ]; do
	case "$1" in
	--flavor) flavor=$2; shift ;;
	--kernel) image=$2; shift ;;
	--suite) suite=$2; shift ;;
	--vcpus) vcpus=$2; shift ;;
	--mem) mem=$2; shift ;;
	--timeout) limit=$2; shift ;;
	--append) append=$2; shift ;;
	--accel) accel=$2; shift ;;
	--qemu-cpu) cpu=$2; shift ;;
	--out) out=$2; shift ;;
	--verbose) verbose=1 ;;
	*) die "unknown option '$1' (see the top of $0)" ;;
	esac
	shift || die "option needs a value"
done
[ -n "$image" ] || check_flavor "$flavor"
[[ $flavor =~ ^[a-z0-9-]+$ ]] || die "--flavor wants a name of lowercase letters, digits and dashes, got '$flavor'"
[ -f "$TOP/scripts/guest/suites/$suite" ] ||
	die "unknown suite '$suite' (known: $(ls "$TOP/scripts/guest/suites" | tr '\n' ' '))"
[[ $vcpus =~ ^[0-9]+$ ]] && [ "$vcpus" -ge 1 ] && [ "$vcpus" -le 64 ] || die "--vcpus wants 1..64, got '$vcpus'"
[[ $limit =~ ^[0-9]+$ ]] && [ "$limit" -ge 10 ] || die "--timeout wants seconds >= 10, got '$limit'"
[[ $mem =~ ^[0-9]+[MG]?$ ]] || die "--mem wants e.g. 2G or 2048M, got '$mem'"

kdir=${KERNEL_DIR:-$BUILD/$flavor}
kernel=$kdir/arch/x86/boot/bzImage
if [ -n "$image" ]; then
	[ -f "$image" ] || die "--kernel: no kernel image at $image"
	kernel=$image
	kdir=$(dirname "$image")
fi
initrd=${INITRD:-$BUILD/guest/initramfs.gz}
[ -f "$kernel" ] || die "no $flavor kernel at $kernel: run 'make kernel FLAVOR=$flavor' first"
[ -f "$initrd" ] || die "no guest image at $initrd: run 'make guest' first"
need_run_deps

case "$accel" in
auto)
	if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ]; then accel=kvm; else accel=tcg; fi ;;
tcg | kvm) ;;
*) die "--accel wants auto, tcg or kvm, got '$accel'" ;;
esac
if [ "$accel" = kvm ]; then
	grep -qwE 'vmx|svm' /proc/cpuinfo || die "--accel kvm needs vmx or svm in /proc/cpuinfo (nested virtualization on the host)"
	qaccel=(-accel kvm -cpu "${cpu:-host}")
else
	# -cpu max under TCG offers SVM, so the L1 kernel's kvm_amd comes up.
	qaccel=(-accel tcg,thread=multi -cpu "${cpu:-max}")
fi

out=${out:-$BUILD/runs/$flavor-$suite-$(date +%Y%m%d-%H%M%S)}
rm -rf "$out" && mkdir -p "$out/results"
# npt/ept off and the TDP MMU off: every L2 guest uses the shadow MMU.
cmdline="console=ttyS0 panic=-1 oops=panic kvm_amd.npt=0 kvm_intel.ept=0 kvm.tdp_mmu=0 suite=$suite $append"
echo "$cmdline" >"$out/cmdline.txt"
echo "$accel" >"$out/accel.txt"
cp "$kdir/base.txt" "$out/base.txt" 2>/dev/null || echo "base=unknown (a kernel built before bases were recorded)" >"$out/base.txt"
info "booting $flavor with suite '$suite' ($accel, $vcpus vCPUs, $mem, timeout ${limit}s); logs in $out"

t0=$(now)
set +e
timeout --signal=KILL "$limit" qemu-system-x86_64 "${qaccel[@]}" -smp "$vcpus" -m "$mem" \
	-display none -monitor none -no-reboot \
	-serial stdio -serial "file:$out/results.txt" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" </dev/null |
	tee "$out/console.log" |
	if [ $verbose = 1 ]; then cat; else grep --line-buffered -E '^guest:|BUG:|WARNING:|Kernel panic'; fi
qrc=${PIPESTATUS[0]}
set -e
secs=$(($(now) - t0))
policy=$(sed -n 's/.*kvm\.shadow_evict=\([a-z]*\).*/-\1/p' <<<"$append")
record_time "boot-$flavor-$suite$policy" "$secs"

fail=()
if [ "$qrc" = 137 ] && [ "$secs" -ge "$limit" ]; then
	fail+=("TIMEOUT: the guest was killed after ${limit}s")
elif [ "$qrc" = 137 ]; then
	# SIGKILL from outside (bench-workloads.sh's watchdog), not timeout(1).
	fail+=("QEMU was killed (SIGKILL) after ${secs}s, before the ${limit}s timeout")
elif [ "$qrc" != 0 ]; then
	fail+=("QEMU exited with status $qrc")
fi

# The results channel: a base64 tar between markers, then the suite's status.
rc=$(sed -n 's/^=== RC \([0-9]*\) ===\r\?$/\1/p' "$out/results.txt" | tail -1)
if [ -z "$rc" ]; then
	fail+=("no result from the guest (crashed, hung or killed before handing results back)")
else
	sed -n '/^=== RESULTS BEGIN ===/,/^=== RESULTS END ===/p' "$out/results.txt" | sed '1d;$d' | tr -d '\r' |
		base64 -d | tar -xzf - -C "$out/results" || fail+=("the guest's result archive is corrupt")
fi

echo
echo "=== $flavor / $suite: $accel, $vcpus vCPUs, ${secs}s; $(sed -n 's/^base=//p' "$out/base.txt") ==="
if [ -f "$out/results/summary.tsv" ]; then
	while read -r name trc t; do
		if [ "$trc" = 0 ]; then r=PASS; elif [ "$trc" = 4 ]; then r="SKIP (counts as failure)"; else r="FAIL (rc $trc)"; fi
		printf '  %-24s %-26s %5ss\n' "$name" "$r" "$t"
		grep -h '^stats:' "$out/results/$name.log" 2>/dev/null | sed 's/^/      /' || true
	done <"$out/results/summary.tsv"
	nfail=$(awk '$2 != 0' "$out/results/summary.tsv" | wc -l)
	[ "$nfail" = 0 ] || fail+=("$nfail test(s) failed; logs in $out/results")
fi
if [ -n "$rc" ] && [ "$rc" != 0 ] && [ ! -f "$out/results/summary.tsv" ]; then
	fail+=("the guest could not run the suite (status $rc): $(grep -h ERROR "$out/results/guest.log" 2>/dev/null | head -1)")
fi

# The splat check: a report that can be the series' fault fails the run;
# core-kernel KCSAN reports with no KVM frame are printed, listed in
# upstream-reports.txt here and in build/upstream-reports.txt (make test
# prints that list at its end), never fatal. Stalls fail the run too when
# its tests failed.
tf=()
[ ${#fail[@]} = 0 ] || tf=(--tests-failed)
if ! python3 "$TOP/scripts/splat-check.py" "$out/console.log" --kvm-symbols "$kdir/kvm-symbols.txt" \
	"${tf[@]}" --upstream-out "$out/upstream-reports.txt" >"$out/splats.txt"; then
	fail+=("splat check: kernel reports that fail the run (listed above; full log $out/console.log)")
fi
[ -f "$out/splats.txt" ] && cat "$out/splats.txt"
[ ! -s "$out/upstream-reports.txt" ] || sed "s|^|$out\t|" "$out/upstream-reports.txt" >>"$BUILD/upstream-reports.txt"

if [ ${#fail[@]} -gt 0 ]; then
	for f in "${fail[@]}"; do echo "FAIL: $f"; done
	echo "logs kept in $out"
	exit 1
fi
echo "PASS: $flavor / $suite (logs in $out)"
