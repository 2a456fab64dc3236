#!/usr/bin/env bash
# kbuild.sh [--config-only] FLAVOR: configure and build build/FLAVOR/arch/x86/boot/bzImage out
# of tree from build/src/linux (prepared first). Incremental: the config is
# regenerated only when kernel/configs changes, and make does the rest.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

config_only=0
if [ "${1:-}" = --config-only ]; then
	config_only=1
	shift
fi
flavor=${1:-}
[ -n "$flavor" ] || die "usage: kbuild.sh [--config-only] FLAVOR ($FLAVORS)"
check_flavor "$flavor"
frags=("$TOP/kernel/configs/base" "$TOP/kernel/configs/$flavor")
out=$BUILD/$flavor${BUILD_SUFFIX:-}
t0=$(now)

need_build_deps
[ -n "${BUILD_SUFFIX:-}" ] || "$TOP/scripts/ktree.sh" prepare
mkdir -p "$out"

K() { make -s -C "$KSRC" O="$out" "$@"; }

stamp=$(cat "${frags[@]}" | sha1sum | cut -d' ' -f1)
if [ ! -f "$out/.config" ] || [ "$(cat "$out/.config-stamp" 2>/dev/null)" != "$stamp" ]; then
	info "configuring $flavor (tinyconfig + ${frags[*]##*/})"
	K tinyconfig >/dev/null
	(cd "$out" && "$KSRC/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${frags[@]}" >/dev/null)
	K olddefconfig >/dev/null
	# Every line of the fragments must hold in the result: Kconfig drops an
	# option silently when a dependency is missing.
	bad=0
	while read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qxF "$line" "$out/.config" || { info "config: wanted $line, got: $(grep -E "^(# )?${line%%=*}[= ]" "$out/.config" || echo unset)"; bad=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			grep -q "^$opt=" "$out/.config" && { info "config: wanted $opt off, got: $(grep "^$opt=" "$out/.config")"; bad=1; } ;;
		esac
	done < <(cat "${frags[@]}")
	[ $bad = 0 ] || die "kernel/configs/{base,$flavor} do not survive olddefconfig (see above)"
	echo "$stamp" >"$out/.config-stamp"
fi

if [ $config_only = 1 ]; then
	info "$flavor: kernel/configs/{base,$flavor} hold in $out/.config"
	exit 0
fi
info "building $flavor kernel in $out (make -j$(jobs))"
K -j"$(jobs)" bzImage
# Functions defined under arch/x86/kvm: a splat whose stack names one of them
# is KVM's and always fails the run (scripts/splat-check.py).
find "$out/arch/x86/kvm" "$out/virt/kvm" -name '*.o' ! -name '*.mod.o' -print0 |
	xargs -0 nm --defined-only 2>/dev/null | awk '$2 ~ /^[tTwW]$/ {print $3}' | sort -u >"$out/kvm-symbols.txt"
[ -s "$out/kvm-symbols.txt" ] || die "no KVM symbols found in $out/arch/x86/kvm: is KVM built in?"
# The base and the tree commit it was built from, for every result that
# boots it (run-guest.sh copies it next to the console).
{
	echo "base=$(base_desc)"
	echo "tree=$(git -C "$KSRC" log -1 --format='%h %s' 2>/dev/null)"
} >"$out/base.txt"
record_time "kernel-$flavor" $(($(now) - t0))
info "built $out/arch/x86/boot/bzImage in $(($(now) - t0)) s"
