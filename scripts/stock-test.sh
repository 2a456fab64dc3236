#!/usr/bin/env bash
# stock-test.sh (`make test-stock`, and part of `make test`): the DKMS
# package on Debian's own kernel. Debian's linux-image-KVER-unsigned of the
# pinned base (kernel/BASE), never installed here: its packages are
# downloaded and unpacked under build/stock. The package (make deb, the
# pinned base's tree only) builds kvm.ko, kvm-intel.ko and kvm-amd.ko with
# its own dkms.mk against that kernel's headers packages, as dkms would;
# the stock kernel then boots under QEMU with irqbypass and ccp from its
# own image and the package's kvm and kvm-amd (TCG offers SVM only), and
# runs a suite (default smoke) once per policy.
#
#   STOCK_POLICIES (fifo clock sharded)   STOCK_SUITE (smoke)
#   STOCK_TIMEOUT (1200 s a boot)   STOCK_VCPUS (1: L1 vCPUs)
#   STOCK_BOOT=0: build the modules and the boot image, boot nothing
#   STOCK_JOBS (host CPUs / STOCK_VCPUS: boots at once, one policy each)
# One L1 vCPU by default: with two, Debian's kernel under multi-threaded TCG
# took an int3 Oops once in six boots, in __schedule at a static-key site
# while a VM's creation patched kernel text (KVM's preempt notifiers), with
# no KVM frame (design/evidence/stock-6.12.117-smp2-int3-console.log.gz);
# one vCPU leaves no other CPU to run the text being patched.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

policies=${STOCK_POLICIES:-fifo clock sharded}
suite=${STOCK_SUITE:-smoke}
limit=${STOCK_TIMEOUT:-1200}
vcpus=${STOCK_VCPUS:-1}
deb=$(base_pin)
up=${deb%%-*}
abi=$up+deb12
kver=$abi-amd64
dir=$BUILD/stock/$deb
root=$dir/root
t_all=$(now)
[[ "$vcpus" =~ ^[1-9][0-9]*$ ]] || die "STOCK_VCPUS wants a number of vCPUs (1 or more), got '$vcpus'"
need_pkgs x86_64-linux-gnu-gcc-12:gcc-12 pahole:dwarves xz:xz-utils cpio:cpio strip:binutils /sbin/modinfo:kmod
# The boots run side by side: QEMU is installed here, once, not by each.
need_run_deps

# Debian's packages of that kernel, unpacked (dpkg-deb -x), not installed.
pkgs=("linux-image-$kver-unsigned" "linux-headers-$kver" "linux-headers-$abi-common" "linux-kbuild-$abi")
if [ ! -f "$dir/unpacked" ]; then
	rm -rf "$dir" && mkdir -p "$dir/debs" "$root"
	for p in "${pkgs[@]}"; do
		if ! (cd "$dir/debs" && apt-get -q -o APT::Sandbox::User=root download "$p=$deb") >>"$BUILD/apt.log" 2>&1; then
			apt_get update || true
			(cd "$dir/debs" && apt-get -q -o APT::Sandbox::User=root download "$p=$deb") >>"$BUILD/apt.log" 2>&1 ||
				die "apt cannot get $p=$deb, the stock kernel of the pinned base (log: $BUILD/apt.log)"
		fi
	done
	for f in "$dir"/debs/*.deb; do dpkg-deb -x "$f" "$root"; done
	rm -rf "$dir/debs"
	touch "$dir/unpacked"
fi
kdir=$root/usr/src/linux-headers-$kver
image=$root/boot/vmlinuz-$kver
[ -f "$image" ] && [ -f "$kdir/Makefile" ] || die "the unpacked packages lack $image or $kdir (remove $dir and run again)"
# The headers' Makefile includes the -common package's by its installed
# path: point it at the unpacked one.
sed -i "s|^include /usr/src/|include $root/usr/src/|" "$kdir/Makefile"
record_time stock-packages $(($(now) - t_all))

# The package, as make deb makes it, for this kernel only; its payload is
# what dkms copies to /var/lib/dkms/.../build and builds with MAKE[0].
t0=$(now)
DEB_KERNELS=$deb DEB_OUT=$dir/deb "$TOP/scripts/deb.sh"
f=$(ls "$dir"/deb/shadow-evict-kvm-dkms_*_all.deb)
rm -rf "$dir/pkg" "$dir/build" && mkdir -p "$dir/pkg"
dpkg-deb -x "$f" "$dir/pkg"
cp -a "$dir"/pkg/usr/src/shadow-evict-kvm-* "$dir/build"
info "building the package's modules for $kver (log: $dir/build/make.log)"
(cd "$dir/build" && make -f dkms.mk -j"$(jobs)" KVER="$kver" KDIR="$kdir") >"$dir/build/make.log" 2>&1 ||
	die "the package's build for $kver failed: $(grep -m1 'shadow-evict-kvm: error' "$dir/build/make.log" || tail -n 3 "$dir/build/make.log")"
grep 'shadow-evict-kvm: ' "$dir/build/make.log" >&2
version=$(/sbin/modinfo -F version "$dir/build/out/kvm.ko")
[ -n "$version" ] || die "the package's kvm.ko has no version for modinfo"
for m in kvm kvm-intel kvm-amd; do
	[ "$(/sbin/modinfo -F vermagic "$dir/build/out/$m.ko" | cut -d' ' -f1)" = "$kver" ] ||
		die "$m.ko was not built for $kver"
done
# The layout probe must refuse a tree whose struct kvm_vcpu differs: the
# package's tree with a field added at the head of struct kvm_vcpu_arch.
neg=$dir/neg
rm -rf "$neg" && cp -a "$dir/build" "$neg"
sed -i '0,/^struct kvm_vcpu_arch {$/s//&\n\tu64 se_layout_test;/' "$neg/trees/$up/arch/x86/include/asm/kvm_host.h"
grep -q se_layout_test "$neg/trees/$up/arch/x86/include/asm/kvm_host.h" || die "could not doctor the tree for the layout check"
if out=$(sh "$neg/check.sh" "$kver" "$kdir" "$neg" 2>&1); then
	die "check.sh accepted a struct kvm_vcpu_arch 8 bytes larger than $kver's"
fi
grep -q "struct kvm_vcpu differs between $kver" <<<"$out" || die "check.sh refused the doctored tree, but not for its layout: $out"
rm -rf "$neg"
record_time stock-modules $(($(now) - t0))

# The boot: the project's guest image plus /modules (later cpio archives
# replace earlier files, and the kernel unpacks them in order).
boot=$dir/boot
rm -rf "$boot" && mkdir -p "$boot/img/modules"
for m in virt/lib/irqbypass drivers/crypto/ccp/ccp; do
	xz -dc "$root/lib/modules/$kver/kernel/$m.ko.xz" >"$boot/img/modules/${m##*/}.ko"
done
for m in kvm kvm-amd; do
	strip --strip-debug -o "$boot/img/modules/$m.ko" "$dir/build/out/$m.ko"
done
printf '%s\n' "irqbypass.ko irqbypass" "ccp.ko ccp" "kvm.ko kvm" "kvm-amd.ko kvm_amd" >"$boot/img/modules/order"
(cd "$boot/img" && find . | cpio -o -H newc --quiet | gzip -1) >"$boot/modules.cpio.gz"
[ -f "$BUILD/guest/initramfs.gz" ] || die "no guest image: run 'make guest' first"
cat "$BUILD/guest/initramfs.gz" "$boot/modules.cpio.gz" >"$boot/initramfs.gz"
cp "$image" "$boot/bzImage"
echo "base=Debian linux-image-$kver-unsigned $deb (stock), shadow-evict-kvm-dkms $version" >"$boot/base.txt"
nm --defined-only "$dir"/build/out/kvm*.ko | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$boot/kvm-symbols.txt"

if [ "${STOCK_BOOT:-1}" = 0 ]; then
	info "STOCK_BOOT=0: modules in $dir/build/out, kernel and image in $boot; nothing booted"
	exit 0
fi
# The boots are independent (one policy each) and a one-vCPU guest keeps
# one host CPU busy under TCG: as many run at once as the CPUs hold, each
# into its own folder and log; each log is printed, in policy order, when
# its boot is collected. Boots left running when this script ends early
# (interrupted, or a failure) are stopped: their QEMU is found by its
# kernel image, which is this build's own.
par=${STOCK_JOBS:-$(($(nproc) / vcpus))}
[[ "$par" =~ ^[0-9]+$ ]] && [ "$par" -ge 1 ] || par=1
np=$(wc -w <<<"$policies")
[ "$par" -le "$np" ] || par=$np
stamp=$(date +%Y%m%d-%H%M%S)
rc=0 running=() pids=() i=0
# pkill takes a regular expression: the path's own . + and such escaped.
boot_re=$(sed 's/[][\.*^$+?(){}|]/\\&/g' <<<"-kernel $boot/bzImage ")
stop_boots() { pkill -f -- "$boot_re" 2>/dev/null || true; }
trap stop_boots EXIT
trap 'stop_boots; exit 130' INT
trap 'stop_boots; exit 143' TERM
boot_one() {
	TIMING_NESTED=1 INITRD=$boot/initramfs.gz "$TOP/scripts/run-guest.sh" --kernel "$boot/bzImage" --flavor stock \
		--suite "$suite" --vcpus "$vcpus" --mem 2G --timeout "$limit" --append "kvm.shadow_evict=$2" \
		--out "$BUILD/runs/stock-$suite-$1-$2-$stamp" >"$boot/$1-$2.out" 2>&1
}
finish() {
	wait "${pids[0]}" || rc=1
	cat "$boot/${running[0]}.out"
	running=("${running[@]:1}") pids=("${pids[@]:1}")
}
info "booting $kver once per policy ($policies), $par at a time"
t0=$(now)
for p in $policies; do
	[ ${#pids[@]} -lt "$par" ] || finish
	i=$((i + 1))
	boot_one "$i" "$p" &
	running+=("$i-$p") pids+=($!)
done
while [ ${#pids[@]} -gt 0 ]; do finish; done
record_time stock-boots $(($(now) - t0))
TIMING_NESTED=1 record_time stock-total $(($(now) - t_all))
[ $rc = 0 ] || die "Debian's $kver with shadow-evict-kvm-dkms $version failed (above)"
info "Debian's $kver with shadow-evict-kvm-dkms $version: $suite passed under $policies"
