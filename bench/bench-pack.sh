#!/usr/bin/env bash
# bench-pack.sh (`make bench-pack`): one self-contained tarball that runs the
# benchmark matrix on an x86-64 Linux host without QEMU, python, a package
# manager or network: build/pack/shadow-evict-bench.tar.gz. Unpack it there
# and run shadow-evict-bench/run.sh (its --help says how); bring the results
# tarball back and `make bench-import FROM=...`.
#
# The kit holds Debian's QEMU (the binary, every library ldd lists and the
# loader, so it runs as `ld-linux --library-path lib qemu`, the TCG module
# for QEMU_MODULE_DIR, the firmware the pc machine loads, for -L), the bench
# and lockstat kernels, the guest image, bench/pack/run.sh and the matrix it
# reads (bench/matrix.sh, shared with make bench).
#   BENCH_NO_BUILD=1   pack the kernels and guest image as they are
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

limit_mib=60
if [ "${BENCH_NO_BUILD:-0}" = 1 ]; then
	for f in bench/arch/x86/boot/bzImage lockstat/arch/x86/boot/bzImage guest/initramfs.gz; do
		[ -f "$BUILD/$f" ] || die "BENCH_NO_BUILD=1 but $BUILD/$f is missing"
	done
else
	"$TOP/scripts/kbuild.sh" bench
	"$TOP/scripts/kbuild.sh" lockstat
	"$TOP/scripts/guest.sh"
fi
need_run_deps
need_pkgs /usr/share/seabios/bios-256k.bin:seabios /usr/lib/ipxe/qemu/efi-e1000.rom:ipxe-qemu

kit=$BUILD/pack/shadow-evict-bench
rm -rf "$kit"
mkdir -p "$kit"/{qemu/bin,qemu/lib,qemu/modules,qemu/share,kernels,guest}
qbin=$(command -v qemu-system-x86_64)
cp -L "$qbin" "$kit/qemu/bin/qemu-system-x86_64"

# copy_libs FILE: every shared library FILE needs, and the loader.
copy_libs() {
	local lib
	ldd "$1" >/dev/null 2>&1 || die "ldd cannot read $1"
	while read -r lib; do
		[ -f "$lib" ] || die "ldd names $lib for $1, but it is not there"
		cp -L -n "$lib" "$kit/qemu/lib/"
	done < <(elf_deps "$1")
}
copy_libs "$qbin"
# Debian builds TCG as a module: without it QEMU cannot load 'tcg-accel-ops'.
mod=/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so
[ -f "$mod" ] || die "no TCG module at $mod (Debian's qemu-system-x86 ships it)"
cp -L "$mod" "$kit/qemu/modules/"
copy_libs "$mod"
[ -f "$kit/qemu/lib/ld-linux-x86-64.so.2" ] || die "ldd named no ld-linux-x86-64.so.2 loader"
# What the pc machine loads: BIOS, VGA BIOS, the kvmvapic and linuxboot
# option ROMs and the default NIC's ROM.
for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/vgabios-stdvga.bin \
	/usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot_dma.bin /usr/lib/ipxe/qemu/efi-e1000.rom; do
	[ -f "$f" ] || die "firmware $f is missing"
	cp -L "$f" "$kit/qemu/share/"
done

cp "$BUILD/bench/arch/x86/boot/bzImage" "$kit/kernels/bench.bzImage"
cp "$BUILD/lockstat/arch/x86/boot/bzImage" "$kit/kernels/lockstat.bzImage"
cp "$BUILD/guest/initramfs.gz" "$kit/guest/initramfs.gz"
cp "$TOP/bench/pack/run.sh" "$kit/run.sh"
cp "$TOP/bench/matrix.sh" "$kit/matrix.sh"	# run.sh sources it from beside itself
chmod +x "$kit/run.sh"
{
	echo "made=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "project=$(git -C "$TOP" log -1 --format='%h %s' 2>/dev/null || echo unknown)"
	echo "kernel_tree=$(git -C "$KSRC" log -1 --format='%h %s' 2>/dev/null || echo unknown)"
	echo "qemu=$("$qbin" --version | head -1)"
} >"$kit/kit.txt"

# The kit must run without the host's QEMU: try it with an empty PATH.
(
	export QEMU_MODULE_DIR=$kit/qemu/modules
	PATH=/nonexistent "$kit/qemu/lib/ld-linux-x86-64.so.2" --library-path "$kit/qemu/lib" \
		"$kit/qemu/bin/qemu-system-x86_64" -L "$kit/qemu/share" --version >/dev/null
) || die "the kit's QEMU does not start"

tarball=$BUILD/pack/shadow-evict-bench.tar.gz
tar -C "$BUILD/pack" -czf "$tarball" shadow-evict-bench
mib=$(( ($(stat -c %s "$tarball") + 1048575) / 1048576 ))
[ "$mib" -le "$limit_mib" ] || die "$tarball is $mib MiB, over the $limit_mib MiB limit"
info "kit: $tarball ($mib MiB); on the target: tar -xzf ${tarball##*/} && shadow-evict-bench/run.sh --help"
