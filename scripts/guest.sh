#!/usr/bin/env bash
# guest.sh: build the L1 guest image build/guest/initramfs.gz from the
# prepared tree: busybox-static, the KVM selftests the suites name (built
# statically from the same tree, out of tree; the series adds its own
# among them), the benchmark VM (kernel/guest/*.c, linked against the
# selftests library), the suites and init (scripts/guest/), and the
# benchmark's in-guest driver (bench/run/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(now)
need_build_deps
"$TOP/scripts/ktree.sh" prepare

st=$BUILD/selftests
hdr=$st/obj/usr/include
mkdir -p "$st"

info "installing UAPI headers"
make -s -C "$KSRC" O="$st/obj" headers >/dev/null

info "building the KVM selftests (static)"
# INSTALL_HDR_PATH and KHDR_INCLUDES point the selftests at the headers
# installed above, so nothing is written into the source tree.
SELFTEST_VARS=(ARCH=x86 OUTPUT="$st/kvm" INSTALL_HDR_PATH="$st/obj/usr"
	KHDR_INCLUDES="-isystem $hdr" EXTRA_CFLAGS=-static)
make -s -C "$KSRC/tools/testing/selftests/kvm" -j"$(jobs)" "${SELFTEST_VARS[@]}" >"$st/build.log" 2>&1 ||
	{ tail -n 30 "$st/build.log" >&2; die "KVM selftests failed to build (log: $st/build.log)"; }
# 6.12 links the library objects into each test; archive them for ours.
libobjs=$(find "$st/kvm/lib" -name '*.o')
[ -n "$libobjs" ] || die "the selftests build left no library objects in $st/kvm/lib"
rm -f "$st/libkvm.a"
# shellcheck disable=SC2086
ar rcs "$st/libkvm.a" $libobjs

info "building the project's guest programs"
sk=$KSRC/tools/testing/selftests/kvm
rm -rf "$st/project"
mkdir -p "$st/project"
# shadow_bench.c shares bench/common/bench_pattern.h with the simulator.
for c in "$TOP"/kernel/guest/*.c; do
	[ -e "$c" ] || continue
	gcc -O2 -g -static -std=gnu99 -D_GNU_SOURCE -DCONFIG_64BIT -Wall -Werror \
		-fno-stack-protector -fno-PIE -fno-strict-aliasing \
		-I"$KSRC/tools/include" -I"$KSRC/tools/arch/x86/include" -isystem "$hdr" \
		-I"$sk/include" -I"$sk/include/x86_64" -I"$KSRC/tools/testing/selftests" \
		-I"$TOP/bench/common" \
		-o "$st/project/$(basename "$c" .c)" "$c" "$st/libkvm.a" -pthread -ldl ||
		die "$c failed to build"
done

# The selftests must not have touched the pristine source.
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=all -- tools | head -1)" ] ||
	die "building the selftests wrote into $KSRC/tools: $(git -C "$KSRC" status --porcelain --untracked-files=all -- tools | head -3)"

info "assembling the initramfs"
root=$BUILD/guest/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,kvm,suites,proc,sys,dev,tmp,results,etc}
cp /bin/busybox "$root/bin/busybox"
install -m 755 "$TOP/scripts/guest/init" "$root/init"
cp "$TOP"/scripts/guest/suites/* "$root/suites/"
cp "$st"/project/* "$root/kvm/" 2>/dev/null || true
# The benchmark's in-guest driver (the bench suite runs it; bench/bench.sh).
install -m 755 "$TOP/bench/run/bench-driver.sh" "$root/kvm/bench-driver"
# The real-guest benchmark's driver (the workloads suite; its QEMU, perf
# and L2 come in a second archive: bench/bench-workloads.sh).
install -m 755 "$TOP/bench/workloads/l1-driver" "$root/kvm/wl-driver"
# Only the selftests some suite names, to keep the image small. A command
# may start with "env VAR=VALUE ...": the program is the first other word.
for prog in $(awk '!/^#/ && NF >= 3 {
		for (i = 3; i <= NF && ($i == "env" || $i ~ /=/); i++) ;
		print $i }' "$TOP"/scripts/guest/suites/* | sort -u); do
	if [ -x "$root/kvm/$prog" ]; then continue; fi
	src=$(find "$st/kvm" -maxdepth 2 -type f -name "$prog" -perm -u+x | head -1)
	[ -n "$src" ] || die "a suite names '$prog', which is neither a KVM selftest nor in kernel/guest/"
	cp "$src" "$root/kvm/"
done
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1 >"$BUILD/guest/initramfs.gz.tmp")
mv "$BUILD/guest/initramfs.gz.tmp" "$BUILD/guest/initramfs.gz"
record_time guest-image $(($(now) - t0))
info "built $BUILD/guest/initramfs.gz ($(du -h "$BUILD/guest/initramfs.gz" | cut -f1)) in $(($(now) - t0)) s"
