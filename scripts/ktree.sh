#!/usr/bin/env bash
# The patched kernel tree under build/src/linux, as a git repository:
#   commit "pristine" : Debian's linux-source-6.12, untouched (tag pristine)
#   one commit per patch in kernel/patches/series                (branch work)
# The patches carry the new files too (mmu/shadow_evict.c enters with its
# first user and grows with each policy).  kernel/src holds those files as
# the series leaves them, for the userspace build (concurrency-tests/);
# prepare checks that it matches the series exactly.
#
# ktree.sh prepare     create or update the tree (idempotent, fast when current)
# ktree.sh export      write the tree's commits back to kernel/patches and the
#                      new files' final versions back to kernel/src
# ktree.sh series DIR  write the standalone series (new files included) to DIR:
#                      one folder per kernel/patches/covers/*.cover, each with
#                      its cover letter, checked to rebuild the tree exactly
# ktree.sh status      say what the tree holds
set -euo pipefail
. "$(dirname "$0")/lib.sh"

STAMP=$KSRC/.git/project-stamp
# Commits the scripts make carry the project identity; a developer who sets
# their own (git config in the tree) signs their own patches.
G() { git -C "$KSRC" -c user.name="${GIT_AUTHOR_NAME:-Shadow Evict Project}" -c user.email="${GIT_AUTHOR_EMAIL:-shadow-evict@localhost}" "$@"; }

# What kernel/ asks for: the stamp changes when any patch or source changes.
want_stamp() {
	(cd "$TOP/kernel" && find patches src -type f -print0 | sort -z | xargs -0 -r sha1sum) | sha1sum | cut -d' ' -f1
}

series_patches() {
	local p
	while read -r p; do
		p=${p%%#*}
		p=${p//[[:space:]]/}
		[ -n "$p" ] || continue
		[ -f "$TOP/kernel/patches/$p" ] || die "kernel/patches/series names '$p', which does not exist"
		echo "$p"
	done <"$TOP/kernel/patches/series"
}

src_files() { (cd "$TOP/kernel/src" && find . -type f ! -name .gitkeep | sed 's|^\./||' | sort); }

check_version() {
	local v want
	want=$(kget VERSION)
	# Not inheriting MAKEFLAGS: under a parent make, -w would add
	# "Entering directory" lines to the output.
	v=$(env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory -C "$1" kernelversion 2>/dev/null) ||
		die "$1 is not a kernel tree"
	[ "$v" = "$want" ] || die "kernel base is $v, this project is built against $want only (kernel/BASE)"
}

unpack() {
	local tarball tmp
	tarball=$(kget TARBALL)
	need_build_deps
	[ -f "$tarball" ] || die "$tarball is missing although $(kget PACKAGE) is installed"
	info "unpacking $tarball"
	tmp=$BUILD/src/.unpack
	rm -rf "$tmp" && mkdir -p "$tmp"
	tar -xf "$tarball" -C "$tmp"
	[ "$(find "$tmp" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ] || die "unexpected layout in $tarball"
	check_version "$tmp"/*
	mv "$tmp"/* "$KSRC"
	rmdir "$tmp"
	info "committing the pristine tree (about a minute)"
	G init -q -b work
	G config core.autocrlf false
	G config gc.auto 0
	# -f: Debian's top-level .gitignore ignores everything ("/*").
	G add -A -f
	G commit -q -m "Linux $(kget VERSION) as shipped in Debian's $(kget PACKAGE)"
	G tag pristine
}

dirty() { [ -n "$(G status --porcelain --untracked-files=no)" ]; }

prepare() {
	local want have_head recorded p
	mkdir -p "$BUILD/src"
	[ -d "$KSRC/.git" ] || unpack
	check_version "$KSRC"
	G rev-parse -q --verify pristine >/dev/null || die "$KSRC has no 'pristine' tag; remove it and run again"
	want=$(want_stamp)
	if [ -f "$STAMP" ]; then
		read -r recorded have_head <"$STAMP"
		local_work=0
		if [ "$(G rev-parse HEAD)" != "$have_head" ] || dirty; then
			local_work=1
		fi
		# kernel/ unchanged since the tree was made: build what is there,
		# the developer's unexported work included.
		if [ "$recorded" = "$want" ]; then
			[ $local_work = 0 ] || info "note: $KSRC has work not exported to kernel/ yet ('make export')"
			return 0
		fi
		if [ $local_work = 1 ]; then
			[ "${FORCE:-0}" = 1 ] || die "kernel/ changed, but $KSRC has work that is not in kernel/ (new commits or uncommitted edits). Run 'make export' to keep it, or FORCE=1 to throw it away."
		fi
	fi
	info "applying kernel/patches"
	G checkout -q -f -B work pristine
	G clean -q -fd
	G tag -d sources >/dev/null 2>&1 || true	# trees made before the series carried the new files
	for p in $(series_patches); do
		G am -q --keep-cr "$TOP/kernel/patches/$p" || {
			G am --abort || true
			die "kernel/patches/$p does not apply on $(kget VERSION)"
		}
	done
	check_src
	echo "$want $(G rev-parse HEAD)" >"$STAMP"
}

# kernel/src must be exactly the new files as the series leaves them: the
# userspace tests build kernel/src, the kernel builds the series.
check_src() {
	local f added
	added=$(G diff --name-only --diff-filter=A pristine HEAD | sort)
	[ "$added" = "$(src_files)" ] ||
		die "kernel/src does not list the files the series adds (series: $(echo $added); kernel/src: $(echo $(src_files))); run 'make export' from the tree"
	for f in $added; do
		G show "HEAD:$f" | cmp -s - "$TOP/kernel/src/$f" ||
			die "kernel/src/$f differs from the series' final version; edit the tree and 'make export' (kernel/src is generated)"
	done
}

export_tree() {
	local f n p
	[ -d "$KSRC/.git" ] || die "no kernel tree yet; run 'make kernel-tree'"
	dirty && die "$KSRC has uncommitted edits; commit them in the tree first (git -C $KSRC commit)"
	G merge-base --is-ancestor pristine HEAD || die "HEAD no longer builds on the 'pristine' tag"
	# New files: their final versions, for the userspace build.
	for f in $(G diff --name-only --diff-filter=A pristine HEAD); do
		mkdir -p "$TOP/kernel/src/$(dirname "$f")"
		G show "HEAD:$f" >"$TOP/kernel/src/$f"
	done
	for f in $(src_files); do
		G cat-file -e "HEAD:$f" 2>/dev/null || rm -f "$TOP/kernel/src/$f"
	done
	# Patches: every commit after 'pristine', new files included.
	rm -f "$TOP"/kernel/patches/*.patch
	n=0
	printf '# Patches applied, in order, on the pristine tree (see README.md).\n' >"$TOP/kernel/patches/series"
	for c in $(G rev-list --reverse pristine..HEAD); do
		G diff --quiet "$c^" "$c" && die "commit $(G log -1 --format='%h %s' "$c") changes nothing"
		n=$((n + 1))
		p=$(G format-patch -1 --no-signature --zero-commit --start-number $n -o "$TOP/kernel/patches" "$c")
		# Blank context lines become empty lines, which git am/apply read
		# as empty context: checkpatch run on a git-tracked *.patch checks
		# it as a source file and flags the lone space as trailing
		# whitespace.
		perl -i -pe '$d = 1 if /^diff --git /; s/^ $// if $d' "$p"
		echo "${p##*/}" >>"$TOP/kernel/patches/series"
	done
	echo "$(want_stamp) $(G rev-parse HEAD)" >"$STAMP"
	info "exported $n patch(es) and $(src_files | wc -l) new file(s) to kernel/"
}

# The patch files a cover's "Patches:" line names: NNNN or NNNN-MMMM.
cover_patches() {
	local spec=$1 w a b p
	for w in $spec; do
		case $w in
		*-*) a=${w%-*} b=${w#*-}
			for p in $(series_patches); do
				[ "${p%%-*}" -ge "$((10#$a))" ] 2>/dev/null && [ "$((10#${p%%-*}))" -le "$((10#$b))" ] && echo "$p"
			done ;;
		*) for p in $(series_patches); do [ "${p%%-*}" = "$w" ] && echo "$p"; done ;;
		esac
	done
	return 0	# the last test above may have been false: not an error
}

# Standalone series for git am, one folder per kernel/patches/covers/*.cover,
# in name order, each with a cover letter (0000) and [PATCH n/N] subjects;
# then checked: applied in that order onto a pristine tree, they give
# exactly the tree that kernel/ describes.
standalone_series() {
	local out=$1 cover name spec list n total i p dst chk
	prepare
	mkdir -p "$out"
	out=$(cd "$out" && pwd)	# git runs in the tree: make it absolute
	rm -rf "$out"/*/ "$out"/*.patch
	ls "$TOP"/kernel/patches/covers/*.cover >/dev/null 2>&1 || die "no kernel/patches/covers/*.cover"
	for cover in "$TOP"/kernel/patches/covers/*.cover; do
		name=$(basename "$cover" .cover)
		spec=$(sed -n 's/^Patches: *//p' "$cover")
		[ -n "$spec" ] || die "$cover has no 'Patches:' line"
		list=$(cover_patches "$spec")
		total=$(wc -w <<<"$list")
		[ "$total" -gt 0 ] || die "$cover names no patch of kernel/patches/series"
		mkdir -p "$out/$name"
		{
			printf 'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001\n'
			printf 'From: %s\n' "$(G log -1 --format='%an <%ae>' HEAD)"
			printf 'Subject: [PATCH 0/%d] %s\n' "$total" "$(sed -n 's/^Subject: *//p' "$cover")"
			sed '1,/^Subject:/d' "$cover"
			printf '\n'
		} >"$out/$name/0000-cover-letter.patch"
		i=0
		for p in $list; do
			i=$((i + 1))
			dst=$(printf '%s/%04d-%s' "$out/$name" "$i" "${p#*-}")
			cp "$TOP/kernel/patches/$p" "$dst"
			sed -i "0,/^Subject: \[PATCH\]/s//Subject: [PATCH $i\/$total]/" "$dst"
		done
		n=$(find "$out/$name" -name '[0-9]*.patch' ! -name '0000-*' | wc -l)
		info "wrote $name: cover letter + $n patch(es)"
	done
	# Every patch of kernel/patches/series is in exactly one series.
	for p in $(series_patches); do
		[ "$(for c in "$TOP"/kernel/patches/covers/*.cover; do cover_patches "$(sed -n 's/^Patches: *//p' "$c")"; done | grep -cx "$p")" = 1 ] ||
			die "kernel/patches/$p is not in exactly one cover's Patches: line"
	done
	chk=$BUILD/src/linux-series-check
	G worktree remove --force "$chk" >/dev/null 2>&1 || rm -rf "$chk"
	G worktree prune
	G worktree add -q --detach "$chk" pristine
	for d in "$out"/*/; do
		git -C "$chk" -c user.name=check -c user.email=check@localhost am -q --keep-cr \
			$(find "$d" -name '[0-9]*.patch' ! -name '0000-*' | sort) ||
			die "the series in $d does not apply (git am in $chk)"
	done
	git -C "$chk" diff --quiet HEAD "$(G rev-parse HEAD)" -- . ||
		die "the standalone series do not rebuild the tree: git -C $chk diff HEAD $(G rev-parse --short HEAD)"
	G worktree remove --force "$chk"
	info "checked: applied in order onto $(kget VERSION), they give the tree exactly (git am each folder's patches but 0000, the cover letter, folder by folder)"
}

case "${1:-}" in
prepare) prepare ;;
export) export_tree ;;
series) [ -n "${2:-}" ] || die "usage: ktree.sh series DIR"; standalone_series "$2" ;;
status)
	[ -d "$KSRC/.git" ] || { echo "no tree"; exit 0; }
	G log --oneline -1 pristine
	G log --oneline pristine..HEAD
	dirty && echo "(uncommitted edits)" || true
	;;
*) die "usage: ktree.sh prepare|export|series DIR|status" ;;
esac
