#!/usr/bin/env bash
# deb.sh (`make deb`): the Debian package shadow-evict-kvm-dkms, which
# builds the patched kvm.ko, kvm-intel.ko and kvm-amd.ko with DKMS for each
# installed Debian 6.12 kernel it carries a tree for.
#
# For each linux-source-6.12 version in kernel/dkms/KERNELS (DEB_KERNELS
# overrides, space-separated) the package carries that version's
# arch/x86/kvm, virt/kvm and the two kvm_host.h with the whole series
# applied, the checksums of the stock KVM headers (a kernel's headers must
# match them), and kernel/dkms's build glue. Built with Debian's own
# tooling (dpkg-buildpackage, debhelper, dh-dkms), installed as
# /usr/src/shadow-evict-kvm-VERSION.
#
#   make deb                  -> build/deb/shadow-evict-kvm-dkms_VERSION_all.deb
#   DEB_OUT=DIR               where the .deb and its staging go (build/deb)
#
# VERSION is 0.PATCHES.DATE: the series' patch count and the date of the
# last commit that changed kernel/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

D=$TOP/kernel/dkms
out=${DEB_OUT:-$BUILD/deb}
kernels=${DEB_KERNELS:-$(sed 's/#.*//' "$D/KERNELS" | xargs)}
[ -n "$kernels" ] || die "no kernel versions (kernel/dkms/KERNELS, DEB_KERNELS)"
need_pkgs dpkg-buildpackage:dpkg-dev dh:debhelper dh_dkms:dh-dkms xz:xz-utils

patches=$(series_patches) || exit 1
npatch=$(wc -w <<<"$patches")
date=$(git -C "$TOP" log -1 --format=%cd --date=format:%Y%m%d -- kernel 2>/dev/null || true)
[ -n "$date" ] || date=$(date +%Y%m%d)
version=0.$npatch.$date
name=shadow-evict-kvm
stage=$out/stage
pay=$stage/payload
rm -rf "$stage"
mkdir -p "$pay/trees"

# What the stock headers must match: every KVM header a headers package
# ships, and the x86 ones KVM's structures are made of.
stock_globs=(
	'include/linux/kvm*.h' 'include/kvm/*.h' 'include/uapi/linux/kvm*.h'
	'include/trace/events/kvm.h' 'arch/x86/include/asm/kvm*.h'
	'arch/x86/include/uapi/asm/kvm*.h' 'arch/x86/include/asm/svm.h'
	'arch/x86/include/asm/vmx.h' 'arch/x86/include/asm/vmxfeatures.h'
	'arch/x86/include/asm/cpufeatures.h' 'arch/x86/include/asm/msr-index.h'
	'arch/x86/include/asm/hyperv-tlfs.h'
)
# What the series may change, and all a tree carries of it.
tree_paths=(arch/x86/kvm virt/kvm include/linux/kvm_host.h arch/x86/include/asm/kvm_host.h)

for deb in $kernels; do
	[[ $deb =~ ^6\.12\.[0-9]+- ]] || die "'$deb' is not a linux-source-6.12 package version (6.12.N-REV)"
	up=${deb%%-*}
	[ ! -d "$pay/trees/$up" ] || die "two package versions of Linux $up: one tree per kernel version"
	tarball=$(fetch_base "$deb") ||
		die "apt cannot get $(kget PACKAGE)=$deb, whose source the tree for $up is made from (log: $BUILD/apt.log)"
	info "$up: the series on $(kget PACKAGE) $deb"
	src=$stage/src-$up
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1 --wildcards \
		"${tree_paths[@]/#/*/}" "${stock_globs[@]/#/*/}" 2>/dev/null ||
		die "$tarball lacks the KVM sources"
	t=$pay/trees/$up
	mkdir -p "$t"
	(cd "$src" && find "${tree_paths[@]}" -type f | cpio -pdm --quiet "$t")
	(cd "$src" && for g in "${stock_globs[@]}"; do ls $g; done | sort -u | xargs sha256sum) >"$t/stock.sha256"
	echo "$(kget PACKAGE) $deb" >"$t/BASE"
	# The series, limited to the tree's paths (a patch that touches only
	# Documentation or selftests changes nothing here). Outside any git
	# repository, so that git apply takes paths from the tree's top.
	for p in $patches; do
		(cd "$t" && GIT_CEILING_DIRECTORIES=$(dirname "$t") git apply --include='arch/x86/kvm/*' \
			--include='virt/kvm/*' --include=include/linux/kvm_host.h \
			--include=arch/x86/include/asm/kvm_host.h "$TOP/kernel/patches/$p") ||
			die "kernel/patches/$p does not apply on $(kget PACKAGE) $deb"
	done
	# The tree of the version build/src/linux was made from must be
	# exactly that tree's (branch work).
	if [ "$deb" = "$(sed -n 's/^used=//p' "$KSRC/.git/project-base" 2>/dev/null)" ] &&
		git -C "$KSRC" rev-parse -q --verify work >/dev/null 2>&1; then
		for f in $(cd "$t" && find "${tree_paths[@]}" -type f); do
			git -C "$KSRC" show "work:$f" | cmp -s - "$t/$f" ||
				die "$f of the package's $up tree differs from work:$f in $KSRC"
		done
	fi
	cp "$D/Kbuild" "$t/arch/x86/kvm/Kbuild"
	for m in kvm intel amd; do
		printf '%s\n' '// SPDX-License-Identifier: GPL-2.0' \
			"/* The $name package's version, for modinfo and dkms. */" \
			'#include <linux/module.h>' "MODULE_VERSION(\"$version\");" >"$t/arch/x86/kvm/se_version_$m.c"
	done
	rm -rf "$src"
done
cp "$D/dkms.mk" "$D/check.sh" "$D/layout.c" "$pay/"
chmod +x "$pay/check.sh"

# The Debian source package: debian/ from kernel/dkms/debian, with the
# version, the trees' kernels and the date filled in.
pkgdir=$stage/$name-$version
mkdir -p "$pkgdir"
mv "$pay" "$pkgdir/payload"
cp -a "$D/debian" "$pkgdir/"
ups=$(cd "$pkgdir/payload/trees" && echo * | sed 's/ /|/g; s/\./\\./g')
sed -i "s/@UPSTREAMS@/${ups//\\/\\\\}/" "$pkgdir/debian/$name-dkms.dkms"
{
	echo "$name ($version) unstable; urgency=medium"
	echo
	echo "  * The shadow-page eviction series ($npatch patches) for Linux $(cd "$pkgdir/payload/trees" && echo * | sed 's/ /, /g')."
	echo
	echo " -- Shadow Evict Project <shadow-evict@localhost>  $(date -R)"
} >"$pkgdir/debian/changelog"
info "dpkg-buildpackage (log: $out/build.log)"
(cd "$pkgdir" && dpkg-buildpackage -b -us -uc -tc) >"$out/build.log" 2>&1 ||
	die "dpkg-buildpackage failed (log: $out/build.log)"
f=$stage/${name}-dkms_${version}_all.deb
[ -f "$f" ] || die "dpkg-buildpackage made no $f (log: $out/build.log)"
mv "$f" "$out/"
info "built $out/${name}-dkms_${version}_all.deb"
