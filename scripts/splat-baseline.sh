#!/usr/bin/env bash
# splat-baseline.sh FLAVOR [SUITE] [RUNS]: run SUITE (default smoke) RUNS times
# (default 2) on the *unpatched* kernel of FLAVOR and record the signatures of
# the reports it prints in kernel/splat-baseline/FLAVOR. Reports that touch KVM
# are never recorded. The unpatched kernel is the 'pristine' commit of the
# tree, checked out in build/src/linux-pristine and built in
# build/FLAVOR-pristine; while kernel/ changes nothing that is built (no
# patches), the regular build is the unpatched kernel and is used as is.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

flavor=${1:-}
suite=${2:-smoke}
runs=${3:-2}
[ -n "$flavor" ] || die "usage: splat-baseline.sh FLAVOR [SUITE] [RUNS]"
check_flavor "$flavor"
"$TOP/scripts/ktree.sh" prepare
"$TOP/scripts/guest.sh"

if [ -z "$(series=$(grep -v '^#' "$TOP/kernel/patches/series" | tr -d '[:space:]'); echo "$series")" ]; then
	info "no patches in kernel/patches: the $flavor build is the unpatched kernel"
	"$TOP/scripts/kbuild.sh" "$flavor"
	kdir=$BUILD/$flavor
else
	wt=$BUILD/src/linux-pristine
	[ -d "$wt" ] || git -C "$KSRC" worktree add -q --detach "$wt" pristine
	KSRC=$wt BUILD_SUFFIX=-pristine "$TOP/scripts/kbuild.sh" "$flavor"
	kdir=$BUILD/$flavor-pristine
fi
for i in $(seq 1 "$runs"); do
	info "baseline run $i/$runs"
	RECORD_BASELINE=1 KERNEL_DIR=$kdir "$TOP/scripts/run-guest.sh" --flavor "$flavor" --suite "$suite" \
		--out "$BUILD/runs/baseline-$flavor-$i" ||
		info "WARNING: baseline run $i did not pass (see above); its reports were recorded all the same"
done
f=$TOP/kernel/splat-baseline/$flavor
{ grep '^#' "$f" || true; grep -v '^#' "$f" | sort -u; } >"$f.tmp" && mv "$f.tmp" "$f"
info "kernel/splat-baseline/$flavor now lists $(grep -vc '^#' "$TOP/kernel/splat-baseline/$flavor") signature(s); review and commit it"
