#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check.sh KVER KDIR PKGDIR: may this package build KVM for kernel KVER,
# whose headers are at KDIR?  Exits non-zero with the reason when the
# package has no tree for the kernel's version, when the headers are
# missing or are not the ones that tree was made from (one kernel's KVM is
# never built against another's headers), and when struct kvm_vcpu as the
# patched headers lay it out differs from the kernel's own: vmlinux
# updates vcpu->stat itself (kernel/entry/kvm.c), at the stock offset.
set -eu
kver=$1 kdir=$2 pkg=$3
fail() {
	echo "shadow-evict-kvm: error: $*" >&2
	exit 1
}
trees=$(cd "$pkg/trees" && echo *)

case $kver in
6.12.*) ;;
*) fail "$kver is not a 6.12 kernel: this package carries KVM for Debian's Linux 6.12 kernels only ($trees)" ;;
esac
up=${kver%%[-+]*}
tree=$pkg/trees/$up
[ -d "$tree" ] ||
	fail "no KVM tree for Linux $up in this package (it has $trees): $kver keeps its stock KVM until a shadow-evict-kvm-dkms with that tree is installed"
[ -f "$kdir/Makefile" ] ||
	fail "no kernel headers for $kver at $kdir (install linux-headers-$kver)"

# Debian's linux-headers-KVER Makefile includes the -common package's.
src=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$kdir/Makefile" | head -n 1)
[ -n "$src" ] || src=$kdir
[ -d "$src/include/linux" ] || fail "the headers at $kdir have no source directory ($src has no include/linux)"
# Not inheriting a parent make's flags: its -w would add "Entering
# directory" lines to the output.
v=$(env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory -C "$kdir" kernelversion 2>/dev/null) ||
	fail "'make kernelversion' fails in $kdir"
[ "$v" = "$up" ] || fail "the headers at $kdir are Linux $v, not $up as $kver says"
(cd "$src" && sha256sum --quiet -c "$tree/stock.sha256") >&2 ||
	fail "the KVM headers in $src differ from those of $(cat "$tree/BASE"), which the tree for $up was made from: refusing to build KVM against them"

# layout.c compiled with the kernel's headers, then with the tree's patched
# kvm_host.h first; the offsets it prints must agree.
probe() {
	rm -rf "$1"
	mkdir -p "$1"
	cp "$pkg/layout.c" "$1/"
	printf 'NOSTDINC_FLAGS += %s\nobj-m := layout.o\n' "$2" >"$1/Kbuild"
	make -s -C "$kdir" M="$1" layout.s >"$1/make.log" 2>&1 ||
		fail "the layout probe does not compile against $kdir (log: $1/make.log)"
	sed -n 's/.*"->\([A-Z_]*\) \$\([0-9]*\) .*/\1=\2/p' "$1/layout.s" | tr '\n' ' '
}
stock=$(probe "$pkg/probe/stock" "")
patched=$(probe "$pkg/probe/patched" "-I$tree/arch/x86/include -I$tree/include")
[ -n "$stock" ] || fail "the layout probe printed nothing (see $pkg/probe/stock)"
[ "$stock" = "$patched" ] ||
	fail "struct kvm_vcpu differs between $kver ($stock) and the patched headers ($patched): the kernel itself would write the wrong fields"
echo "shadow-evict-kvm: $kver: headers match $(cat "$tree/BASE"), struct kvm_vcpu as the kernel's ($stock)"
