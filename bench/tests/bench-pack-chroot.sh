#!/usr/bin/env bash
# bench-pack-chroot.sh: run the bench kit where nothing of QEMU (nor python,
# nor apt) exists: a chroot holding only bash, coreutils, tar, gzip,
# base64, grep, sed, awk and the libraries they need, plus /dev/kvm-less
# /dev, /proc and /sys. The kit's runner must complete a small matrix
# there; then make bench-import renders its results here. Root only.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ "$(id -u)" = 0 ] || die "needs root (chroot, mount)"
kit=$BUILD/pack/shadow-evict-bench.tar.gz
[ -f "$kit" ] || die "no $kit: run make bench-pack first"
root=$BUILD/pack-chroot
cleanup() {
	for m in proc sys dev; do mountpoint -q "$root/$m" && umount -l "$root/$m"; done
	return 0
}
trap cleanup EXIT
cleanup
rm -rf "$root"
mkdir -p "$root"/{bin,lib,lib64,tmp,proc,sys,dev,work,usr}
ln -s ../bin "$root/usr/bin"	# /usr/bin/env for the #! line
tools="bash sh env cat cp mv rm mkdir ls date sort head tail wc tr cut uname nproc id stat timeout tee sleep
	dirname basename mktemp tar gzip base64 grep sed awk seq printf true false test"
for t in $tools; do
	p=$(command -v "$t" 2>/dev/null) || continue
	case $p in /*) ;; *) continue ;; esac	# a shell builtin only
	cp -L "$p" "$root/bin/$t"
	ldd "$p" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' |
		while read -r l; do
			mkdir -p "$root$(dirname "$l")"
			cp -L -n "$l" "$root$l"
		done
done
[ -x "$root/bin/bash" ] && [ -x "$root/bin/tar" ] || die "could not assemble the chroot"
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --rbind /dev "$root/dev"
cp "$kit" "$root/work/"
# Nothing of QEMU, python or apt inside: say so, then run.
for t in qemu-system-x86_64 python3 apt-get; do
	chroot "$root" /bin/bash -c "PATH=/bin command -v $t" >/dev/null 2>&1 && die "$t is visible in the chroot"
done
chroot "$root" /bin/env -i PATH=/bin HOME=/tmp /bin/bash -c '
	set -e
	cd /work && tar -xzf shadow-evict-bench.tar.gz
	BENCH_PATTERNS=hotcold BENCH_VCPUS=1,2 BENCH_QUOTAS=96 BENCH_REPS=1 BENCH_SEEDS=1 \
	BENCH_LS_PATTERNS=hotcold BENCH_LS_VCPUS=2 BENCH_LS_QUOTAS=96 BENCH_LS_REPS=1 \
		shadow-evict-bench/run.sh --out /work/out --time 600 --smp 2 --mem 2G --tag chroot-test'
res=$root/work/out/shadow-evict-results-chroot-test.tar.gz
[ -f "$res" ] || die "the kit's runner left no results tarball in the chroot"
n=$(tar -xzOf "$res" shadow-evict-results-chroot-test/bench/results/runs.csv | grep -c '^1,')
[ "$n" = 6 ] || die "the bench boot in the chroot gave $n runs, the matrix has 6"
n=$(tar -xzOf "$res" shadow-evict-results-chroot-test/lockstat/results/runs.csv | grep -c '^1,')
[ "$n" = 3 ] || die "the lockstat boot in the chroot gave $n runs, the matrix has 3"
cp "$res" "$BUILD/pack/"
# ... and make bench-import renders it here (into build/, not bench/results).
rm -rf "$BUILD/pack/import"
BENCH_IMPORT_DEST=$BUILD/pack/import FROM=$BUILD/pack/${res##*/} "$TOP/bench/bench-import.sh" >"$BUILD/pack/import.log" 2>&1 ||
	die "make bench-import failed on the chroot's results (log $BUILD/pack/import.log)"
rep=$BUILD/pack/import/chroot-test/REPORT.md
[ -f "$rep" ] && grep -q '^- Runs: 6 ' "$rep" || die "bench-import made no REPORT.md of 6 runs ($rep)"
info "PASS: the kit ran a 9-run matrix in a chroot without QEMU, python or apt, and bench-import rendered it: $rep"
