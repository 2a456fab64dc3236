# Shared helpers for the project's scripts. Sourced, never run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=${KSRC:-$BUILD/src/linux}
FLAVORS="debug kasan bench lockstat workload"

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
info() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Jobs for make: one more than the cores, so a job waiting on the disk
# leaves no core idle.
jobs() { echo $(( $(nproc) + 1 )); }

check_flavor() {
	case " $FLAVORS " in
	*" $1 "*) ;;
	*) die "unknown flavor '$1' (known: $FLAVORS)" ;;
	esac
}

# kget KEY: a value from kernel/BASE.
kget() { sed -n "s/^$1=//p" "$TOP/kernel/BASE"; }

# base_pin: the package version of linux-source-6.12 the tree must be made
# from. KERNEL_BASE_DEB overrides kernel/BASE (to test the fallback with a
# version the archive does not have, and for `make rebase`).
base_pin() { echo "${KERNEL_BASE_DEB:-$(kget DEB_VERSION)}"; }

# base_desc [KSRC]: the base a tree was made from, in words, for results:
# "linux-source-6.12 6.12.117-1~deb12u1" or, after a fallback, the version
# used and the pin it stands in for. Empty for a tree made before bases
# were recorded.
base_desc() {
	local f pin used
	# A worktree's .git is a file: the record sits in the common git dir.
	f=$(git -C "${1:-$KSRC}" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)/project-base
	[ -f "$f" ] || return 0
	pin=$(sed -n 's/^pin=//p' "$f")
	used=$(sed -n 's/^used=//p' "$f")
	if [ "$pin" = "$used" ]; then
		echo "$(kget PACKAGE) $used"
	else
		echo "$(kget PACKAGE) $used (FALLBACK: the pinned $pin is not in the archive)"
	fi
}

# The postings (folders of kernel/patches), in the order they apply.
postings() {
	local d
	for d in "$TOP"/kernel/patches/*/; do
		[ -f "$d/cover" ] || die "kernel/patches/$(basename "$d") has no cover letter ('cover')"
		basename "$d"
	done
}

# The series, as POSTING/PATCH paths under kernel/patches, in order; with
# POSTING, that posting's only.
series_patches() {
	local d p
	for d in ${1:-$(postings)}; do
		[ -f "$TOP/kernel/patches/$d/series" ] || die "kernel/patches/$d has no series file"
		while read -r p; do
			p=${p%%#*}
			p=${p//[[:space:]]/}
			[ -n "$p" ] || continue
			[ -f "$TOP/kernel/patches/$d/$p" ] || die "kernel/patches/$d/series names '$p', which does not exist"
			echo "$d/$p"
		done <"$TOP/kernel/patches/$d/series"
	done
}

# apt_get ARGS...: apt-get as root (sudo where needed), output to apt.log.
apt_get() {
	local sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get -q "$@" >>"$BUILD/apt.log" 2>&1
}

# fetch_base DEB: print the path of linux-source-6.12's tarball at package
# version DEB, or fail (status 1) when apt cannot get that version. The
# package is downloaded and unpacked under build/debs, never installed:
# only one version can be installed at a time, and a developer's own
# installation is left alone (it is used when it is exactly DEB).
fetch_base() {
	local deb=$1 pkg dir tar file
	pkg=$(kget PACKAGE)
	tar=usr/src/$pkg.tar.xz
	dir=$BUILD/debs/$deb
	[ -f "$dir/$tar" ] && { echo "$dir/$tar"; return 0; }
	if [ "$(dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null)" = "$deb" ] && [ -f "/$tar" ]; then
		echo "/$tar"
		return 0
	fi
	mkdir -p "$BUILD/debs"
	# The sandbox user _apt may not write to build/: download as the caller.
	if ! (cd "$BUILD/debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$deb") >>"$BUILD/apt.log" 2>&1; then
		apt_get update || true
		(cd "$BUILD/debs" && apt-get -q -o APT::Sandbox::User=root download "$pkg=$deb") >>"$BUILD/apt.log" 2>&1 ||
			return 1
	fi
	file=$BUILD/debs/${pkg}_${deb//:/%3a}_all.deb
	[ -f "$file" ] || die "apt-get download $pkg=$deb left no $file"
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	dpkg-deb --fsys-tarfile "$file" | tar -x -C "$dir.tmp" "./$tar" ||
		die "$file holds no $tar"
	rm -rf "$dir" && mv "$dir.tmp" "$dir"
	rm -f "$file"
	echo "$dir/$tar"
}

# base_candidates: every 6.12.y version of the package that apt offers,
# newest first.
base_candidates() {
	apt-cache madison "$(kget PACKAGE)" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' |
		grep -E '^6\.12\.[0-9]+-' | sort -u | sort -rV
}

# boot_kernel CONSOLE_LOG: the kernel that booted, as its "Linux version"
# banner introduced it: the release and the build tag ("6.12.117 #1 SMP
# PREEMPT_DYNAMIC ..."). Empty when the log has no banner.
boot_kernel() {
	tr -d '\r' <"$1" | sed -n 's/.*Linux version \([^ ]*\) .*\(#[0-9][0-9]* .*\)$/\1 \2/p' | head -1
}

# need_pkgs CMD:PKG ...: install the Debian packages whose command or file is
# missing. Idempotent; fails loudly when apt-get cannot help.
need_pkgs() {
	local want=() pair what pkg
	for pair in "$@"; do
		what=${pair%%:*}
		pkg=${pair#*:}
		if [[ $what == /* ]]; then
			[ -e "$what" ] && continue
		else
			command -v "$what" >/dev/null 2>&1 && continue
		fi
		want+=("$pkg")
	done
	[ ${#want[@]} -eq 0 ] && return 0
	info "installing: ${want[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || die "need root (or sudo) to apt-get install ${want[*]}"
		SUDO=sudo
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! ${SUDO:-} apt-get install -y -q --no-install-recommends "${want[@]}" >"$BUILD/apt.log" 2>&1; then
		${SUDO:-} apt-get update -q >>"$BUILD/apt.log" 2>&1 || true
		${SUDO:-} apt-get install -y -q --no-install-recommends "${want[@]}" >>"$BUILD/apt.log" 2>&1 ||
			die "apt-get could not install ${want[*]}; see $BUILD/apt.log"
	fi
}

# Everything the kernel and guest builds need.
need_build_deps() {
	mkdir -p "$BUILD"
	need_pkgs gcc:gcc make:make flex:flex bison:bison bc:bc cpio:cpio \
		/usr/include/libelf.h:libelf-dev /usr/include/openssl/ssl.h:libssl-dev \
		xz:xz-utils git:git perl:perl /bin/busybox:busybox-static
}

need_run_deps() {
	mkdir -p "$BUILD"
	need_pkgs qemu-system-x86_64:qemu-system-x86 timeout:coreutils
}

# elf_deps FILE: the shared libraries FILE needs, as ldd resolves them
# here, and the loader.
# Callers check that ldd can read FILE first: die cannot leave a <( ).
elf_deps() {
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\/.*ld-linux/ { print $1 }'
}

# install_elf ROOT FILE...: each FILE and every library it needs, at the
# same paths under ROOT, so the programs run there as they do here.
install_elf() {
	local root=$1 f lib
	shift
	for f in "$@"; do
		[ -f "$f" ] || die "$f is missing"
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		# A static program needs nothing more.
		ldd "$f" 2>&1 | grep -q 'not a dynamic executable' && continue
		ldd "$f" >/dev/null 2>&1 || die "ldd cannot read $f"
		while read -r lib; do
			[ -f "$lib" ] || die "ldd names $lib for $f, but it is not there"
			[ -f "$root$lib" ] && continue
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done < <(elf_deps "$f")
	done
}

# Seconds since the epoch, for the timing summary.
now() { date +%s; }

# Append "STEP SECONDS" to the timing log that make test prints at the end;
# "STEP SECONDS nested" when TIMING_NESTED is set: a step that ran inside
# another one's time or beside others (make timings leaves it out of the
# total).
record_time() { echo "$1 $2${TIMING_NESTED:+ nested}" >>"$BUILD/timings.txt"; }
