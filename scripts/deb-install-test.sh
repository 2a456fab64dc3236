#!/usr/bin/env bash
# deb-install-test.sh (`make test-deb-install`): the package installed and
# removed the way an operator would, in a Debian 12 chroot (debootstrap,
# build/deb-chroot) that has two of Debian's 6.12 kernels with their
# headers: apt installs the .deb (make deb), dkms builds for both kernels,
# modprobe resolves kvm to the package's modules; apt removes it and
# modprobe resolves kvm to the stock modules again. A chroot cannot load
# modules: what a reload would load is modprobe's own answer
# (--show-depends against each kernel's modules.dep). The transcript goes
# to stdout and to build/deb-install/transcript.txt.
#
#   DEB_INSTALL_KERNELS (6.12.117 6.12.118: Debian package versions -1~deb12u1)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, mounts)"
kernels=${DEB_INSTALL_KERNELS:-6.12.117 6.12.118}
root=$BUILD/deb-chroot
out=$BUILD/deb-install
mkdir -p "$out"
need_pkgs debootstrap:debootstrap
deb=$(ls -t "$BUILD"/deb/shadow-evict-kvm-dkms_*_all.deb 2>/dev/null | head -n 1 || true)
[ -n "$deb" ] || die "no package in build/deb: run 'make deb' first"

mounted=()
cleanup() {
	local m
	for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
if [ ! -f "$root/.made" ]; then
	rm -rf "$root"
	info "debootstrap bookworm into $root (log: $out/debootstrap.log)"
	debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >"$out/debootstrap.log" 2>&1 ||
		die "debootstrap failed (log: $out/debootstrap.log)"
	cat >"$root/etc/apt/sources.list" <<-SRC
		deb http://deb.debian.org/debian bookworm main
		deb http://deb.debian.org/debian bookworm-updates main
		deb http://deb.debian.org/debian-security bookworm-security main
	SRC
	# No initramfs for kernels that never boot here (kept over the package's
	# own file: --force-confold below).
	mkdir -p "$root/etc/initramfs-tools"
	echo "update_initramfs=no" >"$root/etc/initramfs-tools/update-initramfs.conf"
	touch "$root/.made"
fi
for m in proc sys dev dev/pts; do
	mount --bind "/$m" "$root/$m"
	mounted=("$root/$m" "${mounted[@]}")
done
cp "$deb" "$root/tmp/"
C() { chroot "$root" env DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }

t=$out/transcript.txt
: >"$t"
# run CMD...: the command and its output, in the transcript.
run() {
	echo "# $*" | tee -a "$t"
	C bash -c "$*" 2>&1 | tee -a "$t"
	return "${PIPESTATUS[0]}"
}
abis=() pkgs=()
for k in $kernels; do
	abis+=("$k+deb12-amd64")
	pkgs+=("linux-headers-$k+deb12-amd64=$k-1~deb12u1" "linux-image-$k+deb12-amd64-unsigned=$k-1~deb12u1")
done
info "installing dkms and the kernels' headers in the chroot (log: $out/apt.log)"
C apt-get update -q >"$out/apt.log" 2>&1
C apt-get install -y -q -o Dpkg::Options::=--force-confold --no-install-recommends dkms kmod "${pkgs[@]}" >>"$out/apt.log" 2>&1 ||
	die "apt-get install in the chroot failed (log: $out/apt.log)"

echo "## $(date -u '+%F %T') UTC, $(basename "$deb") in a bookworm chroot with ${abis[*]}" | tee -a "$t"
run "ls /lib/modules"
run "apt-get install -y -q --no-install-recommends /tmp/$(basename "$deb") 2>&1 | grep -E 'shadow-evict|Building|Installing|Setting up|error|Skipped|Running'"
run "dkms status shadow-evict-kvm"
rc=0
for k in "${abis[@]}"; do
	run "modinfo -k $k -F version kvm; modinfo -k $k -F filename kvm kvm_amd kvm_intel"
	run "modprobe -S $k --show-depends kvm_amd" || true
	C modprobe -S "$k" --show-depends kvm_amd | grep -q "/updates/dkms/kvm.ko" ||
		{ echo "FAIL: modprobe on $k would not load the package's kvm" | tee -a "$t"; rc=1; }
done
run "apt-get remove -y -q shadow-evict-kvm-dkms 2>&1 | grep -E 'shadow-evict|Removing|Deleting|depmod|error'"
run "dkms status shadow-evict-kvm; ls /lib/modules/*/updates/dkms 2>&1 | head -n 4"
for k in "${abis[@]}"; do
	run "modprobe -S $k --show-depends kvm_amd" || true
	C modprobe -S "$k" --show-depends kvm_amd | grep -q "/kernel/arch/x86/kvm/kvm.ko" ||
		{ echo "FAIL: after removal, modprobe on $k would not load the stock kvm" | tee -a "$t"; rc=1; }
done
[ $rc = 0 ] || die "see $t"
echo "PASS: installed, built for ${abis[*]}, resolved to the package's modules; removed, resolved to the stock ones" | tee -a "$t"
