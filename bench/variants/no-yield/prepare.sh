#!/usr/bin/env bash
# prepare.sh: two bench kits that differ only in the worker's yield: kit A
# is the series (kernel/patches) plus bench/variants/batch-end/variant.diff
# (counters of why each worker batch ends), kit B the same plus this
# folder's variant.diff (no yield while faults wait for room). Both carry
# the same QEMU and guest image; B travels as its two kernels only, so that
# both fit in one device call (64 MiB). Output: build/pack-next/
# kitA.tar.gz and B/{bench,lockstat}.bzImage. The kernel tree is put back
# as it was, and the bench and lockstat kernels rebuilt from it, at the end.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../../.." && pwd)
HERE=$TOP/bench/variants/no-yield
KSRC=$TOP/build/src/linux
OUT=$TOP/build/pack-next
die() { echo "prepare.sh: error: $*" >&2; exit 1; }

[ -d "$KSRC/.git" ] || die "no kernel tree at $KSRC (make kernel-tree)"
[ -z "$(git -C "$KSRC" status --porcelain --untracked-files=no)" ] ||
	die "the kernel tree has changes: commit or drop them first"
restore() {
	git -C "$KSRC" checkout -- arch/x86/kvm
	"$TOP/scripts/kbuild.sh" bench >/dev/null && "$TOP/scripts/kbuild.sh" lockstat >/dev/null
}
trap restore EXIT

rm -rf "$OUT" && mkdir -p "$OUT/B"
git -C "$KSRC" apply "$TOP/bench/variants/batch-end/variant.diff"
make -C "$TOP" bench-pack
cp "$TOP/build/pack/shadow-evict-bench.tar.gz" "$OUT/kitA.tar.gz"
git -C "$KSRC" apply "$HERE/variant.diff"
"$TOP/scripts/kbuild.sh" bench
"$TOP/scripts/kbuild.sh" lockstat
cp "$TOP/build/bench/arch/x86/boot/bzImage" "$OUT/B/bench.bzImage"
cp "$TOP/build/lockstat/arch/x86/boot/bzImage" "$OUT/B/lockstat.bzImage"
echo "prepare.sh: $OUT/kitA.tar.gz ($(du -m "$OUT/kitA.tar.gz" | cut -f1) MiB), $OUT/B/*.bzImage; restoring the tree"
