#!/usr/bin/env bash
# The DKMS package's refusals, without a compiler: check.sh's on a fake
# package with one tree and fake headers, and make deb's (scripts/deb.sh)
# on a fake linux-source; each bad input must stop the build with its own
# reason. The layout probe is exercised on real headers by
# scripts/stock-test.sh.
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

# make deb on a 6.12 source the series does not apply to: a fake
# linux-source tarball where fetch_base looks first (BUILD/debs/VERSION),
# holding every file the series changes, each with other contents. The
# packaging tools deb.sh wants are stand-ins that fail if ever run: both
# refusals come before any build, and nothing gets installed.
command -v xz >/dev/null || { echo "FAIL: dkms-check needs xz (apt-get install xz-utils)"; exit 1; }
mkdir -p "$T/stub"
for c in dpkg-buildpackage dh dh_dkms; do
	printf '#!/bin/sh\necho "%s: a stand-in; deb.sh went past its refusals" >&2\nexit 99\n' "$c" >"$T/stub/$c"
	chmod +x "$T/stub/$c"
done
deb=6.12.117-1~deb12u1
src=$T/build/debs/$deb/usr/src
mkdir -p "$T/fake/linux-source-6.12" "$src"
(
	cd "$T/fake/linux-source-6.12"
	for f in $(sed -n 's|^--- a/||p' "$TOP"/kernel/patches/*/0*.patch | sort -u) \
		arch/x86/kvm/x86.c include/linux/kvm_host.h arch/x86/include/asm/kvm_host.h \
		include/linux/kvm_types.h include/kvm/iodev.h include/uapi/linux/kvm.h \
		include/trace/events/kvm.h arch/x86/include/asm/kvm_para.h \
		arch/x86/include/uapi/asm/kvm.h arch/x86/include/asm/svm.h \
		arch/x86/include/asm/vmx.h arch/x86/include/asm/vmxfeatures.h \
		arch/x86/include/asm/cpufeatures.h arch/x86/include/asm/msr-index.h \
		arch/x86/include/asm/hyperv-tlfs.h virt/kvm/Kconfig; do
		mkdir -p "$(dirname "$f")" && echo "/* not the source the series was made on */" >"$f"
	done
)
tar -cJf "$src/linux-source-6.12.tar.xz" -C "$T/fake" linux-source-6.12
expect_deb_refusal() {
	local out
	if out=$(PATH=$T/stub:$PATH BUILD=$T/build DEB_KERNELS=$2 DEB_OUT=$T/deb "$TOP/scripts/deb.sh" 2>&1); then
		bad "make deb, $1: deb.sh accepted it"
	elif grep -qE -- "$3" <<<"$out"; then
		ok
	else
		bad "make deb, $1: got '$(tail -n 2 <<<"$out")', want '$3'"
	fi
}
expect_deb_refusal "a source the series does not apply to" "$deb" \
	"error: kernel/patches/[^ ]+\.patch does not apply on linux-source-6\.12 $deb\$"
expect_deb_refusal "not a 6.12 version" 6.1.129-1 "error: '6.1.129-1' is not a linux-source-6.12 package version"

# The package's postinst under Secure Boot: with a mokutil that reports it
# on and dkms's key missing or not enrolled, the enrolment command is
# printed; with the key enrolled or Secure Boot off, nothing. (mokutil's
# own words: "SecureBoot enabled", "FILE is not enrolled", "FILE is
# already enrolled".) Only the postinst's Secure Boot part runs, with the
# key's path moved here: the rest would build modules through the kernel
# hook on a host where the package is installed.
sed -n '/^# Under Secure Boot/,/^exit 0$/p' "$TOP/kernel/dkms/debian/postinst" |
	sed "s|/var/lib/dkms/mok.pub|$T/mok.pub|g" >"$T/postinst-sb"
grep -q "mokutil --import $T/mok.pub" "$T/postinst-sb" || bad "no Secure Boot part in kernel/dkms/debian/postinst"
mkdir -p "$T/bin"
printf '#!/bin/sh\ncase "$1" in\n--sb-state) echo "SecureBoot $SB" ;;\n--test-key) [ -f "$2" ] || { echo "Failed to read $2" >&2; exit 1; }; echo "$2 is $KEY" ;;\nesac\n' >"$T/bin/mokutil"
chmod +x "$T/bin/mokutil"
# secure_boot NAME SB KEYFILE KEY WANT: WANT is "message" or "nothing".
secure_boot() {
	local out got=nothing
	rm -f "$T/mok.pub"
	[ "$3" = no ] || : >"$T/mok.pub"
	out=$(SB=$2 KEY=$4 PATH=$T/bin:$PATH sh "$T/postinst-sb" configure 2>&1) || { bad "postinst, $1: failed: $out"; return; }
	if grep -qF "Secure Boot is on and dkms's signing key is not enrolled: the kernel will refuse these modules. Enroll it and reboot: mokutil --import $T/mok.pub" <<<"$out"; then
		got=message
	elif [ -n "$out" ]; then
		got="'$out'"
	fi
	[ "$got" = "$5" ] && ok || bad "postinst, $1: got $got, want $5"
}
secure_boot "Secure Boot, key not enrolled" enabled yes "not enrolled" message
secure_boot "Secure Boot, no key yet" enabled no "not enrolled" message
secure_boot "Secure Boot, key enrolled" enabled yes "already enrolled" nothing
secure_boot "no Secure Boot" disabled no "not enrolled" nothing

echo "dkms-check: $((pass + fail)) checks, $fail failed"
[ "$fail" = 0 ]
