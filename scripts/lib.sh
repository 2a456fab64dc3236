# Shared helpers for the project's scripts. Sourced, never run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
KSRC=${KSRC:-$BUILD/src/linux}
FLAVORS="debug kasan bench lockstat"

die() { printf '%s: error: %s\n' "${0##*/}" "$*" >&2; exit 1; }
info() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Jobs for make: one more than the cores, as the field notes measured.
jobs() { echo $(( $(nproc) + 1 )); }

check_flavor() {
	case " $FLAVORS " in
	*" $1 "*) ;;
	*) die "unknown flavor '$1' (known: $FLAVORS)" ;;
	esac
}

# kget KEY: a value from kernel/BASE.
kget() { sed -n "s/^$1=//p" "$TOP/kernel/BASE"; }

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
		xz:xz-utils git:git perl:perl "$(kget TARBALL):$(kget PACKAGE)" \
		/bin/busybox:busybox-static
}

need_run_deps() {
	mkdir -p "$BUILD"
	need_pkgs qemu-system-x86_64:qemu-system-x86 timeout:coreutils
}

# Seconds since the epoch, for the timing summary.
now() { date +%s; }

# Append "STEP SECONDS" to the timing log that make test prints at the end.
record_time() { echo "$1 $2" >>"$BUILD/timings.txt"; }
