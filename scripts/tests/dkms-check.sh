#!/usr/bin/env bash
# The DKMS package's refusals (kernel/dkms/check.sh), without a compiler:
# a fake package with one tree and fake headers, and each bad input must
# stop the build with its own reason. The layout probe is exercised on
# real headers by scripts/stock-test.sh.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# The package: check.sh and one tree, for 6.12.117, whose stock headers
# are those of the fake headers below.
pkg=$T/pkg
mkdir -p "$pkg/trees/6.12.117"
cp "$TOP/kernel/dkms/check.sh" "$TOP/kernel/dkms/layout.c" "$pkg/"
echo "linux-source-6.12 6.12.117-1~deb12u1" >"$pkg/trees/6.12.117/BASE"
# Headers as Debian lays them out: KDIR's Makefile includes the -common one.
common=$T/headers-common
kdir=$T/headers-amd64
mkdir -p "$common/include/linux" "$kdir"
echo "struct kvm_vcpu { int stock; };" >"$common/include/linux/kvm_host.h"
printf 'kernelversion:\n\t@echo 6.12.117\n' >"$common/Makefile"
echo "include $common/Makefile" >"$kdir/Makefile"
(cd "$common" && sha256sum include/linux/kvm_host.h) >"$pkg/trees/6.12.117/stock.sha256"

# expect_refusal NAME KVER KDIR WANT: check.sh fails and says WANT.
expect_refusal() {
	local out
	local cmd=(sh "$pkg/check.sh" "$2" "$3" "$pkg")
	if [ -n "${under_make:-}" ]; then
		# As dkms.mk runs it under make test: a parent make with -w and -j.
		printf 'all:\n\t@%s\n' "${cmd[*]}" >"$T/parent.mk"
		cmd=(make -w -j2 -f "$T/parent.mk")
	fi
	if out=$("${cmd[@]}" 2>&1); then
		bad "$1: check.sh accepted it"
	elif grep -qF -- "$4" <<<"$out"; then
		ok
	else
		bad "$1: got '$out', want '$4'"
	fi
}
expect_refusal "non-6.12 kernel" 6.1.0-28-amd64 "$kdir" "6.1.0-28-amd64 is not a 6.12 kernel"
expect_refusal "no tree" 6.12.119+deb12-amd64 "$kdir" "no KVM tree for Linux 6.12.119 in this package (it has 6.12.117)"
expect_refusal "no headers" 6.12.117+deb12-amd64 "$T/nowhere" "no kernel headers for 6.12.117+deb12-amd64 at $T/nowhere"
printf 'kernelversion:\n\t@echo 6.12.118\n' >"$common/Makefile"
expect_refusal "headers of another version" 6.12.117+deb12-amd64 "$kdir" "the headers at $kdir are Linux 6.12.118, not 6.12.117"
printf 'kernelversion:\n\t@echo 6.12.117\n' >"$common/Makefile"
# Under a parent make (make test, dkms.mk) the version must still read
# clean: past that check, the next refusal is the layout probe's.
under_make=1
expect_refusal "version under a parent make's -w" 6.12.117+deb12-amd64 "$kdir" "the layout probe does not compile"
under_make=""
echo "struct kvm_vcpu { int respun; };" >"$common/include/linux/kvm_host.h"
expect_refusal "changed KVM header" 6.12.117+deb12-amd64 "$kdir" "the KVM headers in $common differ from those of linux-source-6.12 6.12.117-1~deb12u1"

echo "dkms-check: $((pass + fail)) checks, $fail failed"
[ "$fail" = 0 ]
