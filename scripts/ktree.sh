#!/usr/bin/env bash
# The patched kernel tree under build/src/linux, as a git repository:
#   commit "pristine" : Debian's linux-source-6.12, untouched (tag pristine)
#   one commit per patch of kernel/patches/*/series, posting by posting (branch work)
# The patches carry the new files too (mmu/shadow_evict.c enters with its
# first user and grows with each policy).  kernel/src holds those files as
# the series leaves them, for the userspace build (concurrency-tests/);
# prepare checks that it matches the series exactly.
#
# ktree.sh prepare     create or update the tree (idempotent, fast when current)
# ktree.sh export      write the tree's commits back to kernel/patches and the
#                      new files' final versions back to kernel/src
# ktree.sh series DIR  write the standalone series (new files included) to DIR:
#                      one folder per posting, each with its cover letter and
#                      [PATCH n/N] subjects, checked to rebuild the tree exactly
# ktree.sh status      say what the tree holds and its base
# ktree.sh rebase [DEB] move kernel/BASE's pin (make rebase; see rebase())
#
# kernel/patches holds one folder per posting (a series sent on its own),
# applied in name order: its cover letter ("cover", whose "Patches:" line
# names the patch numbers that belong to it), its "series" file and its
# patches, numbered across the postings (0001, 0002, ...).
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

src_files() { (cd "$TOP/kernel/src" && find . -type f ! -name .gitkeep | sed 's|^\./||' | sort); }

# check_version TREE DEB: TREE's kernel version is the one of package
# version DEB (6.12.117 for 6.12.117-1~deb12u1).
check_version() {
	local v want=${2%%-*}
	# Not inheriting MAKEFLAGS: under a parent make, -w would add
	# "Entering directory" lines to the output.
	v=$(env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory -C "$1" kernelversion 2>/dev/null) ||
		die "$1 is not a kernel tree"
	[ "$v" = "$want" ] || die "$1 is Linux $v, but $(kget PACKAGE) $2 should hold $want"
}

# unpack_base TARBALL DEB: the tree at $KSRC, committed as 'pristine'.
unpack_base() {
	local tarball=$1 deb=$2 tmp
	info "unpacking $tarball ($(kget PACKAGE) $deb)"
	tmp=$BUILD/src/.unpack
	rm -rf "$tmp" "$KSRC" && mkdir -p "$tmp"
	# -m: files dated now, so that builds made from an earlier base are
	# rebuilt (the archive's dates are older than their objects).
	tar -xmf "$tarball" -C "$tmp"
	[ "$(find "$tmp" -mindepth 1 -maxdepth 1 | wc -l)" -eq 1 ] || die "unexpected layout in $tarball"
	check_version "$tmp"/* "$deb"
	mv "$tmp"/* "$KSRC"
	rmdir "$tmp"
	info "committing the pristine tree (about a minute)"
	G init -q -b work
	G config core.autocrlf false
	G config gc.auto 0
	# -f: Debian's top-level .gitignore ignores everything ("/*").
	G add -A -f
	G commit -q -m "Linux ${deb%%-*} as shipped in Debian's $(kget PACKAGE) $deb"
	G tag pristine
}

# apply_series: branch 'work' = pristine + every posting's series, or fail
# (status 1, the tree left at pristine) naming the patch that does not apply.
apply_series() {
	local p list
	list=$(series_patches) || exit 1
	G checkout -q -f -B work pristine
	G clean -q -fd
	for p in $list; do
		G am -q --keep-cr "$TOP/kernel/patches/$p" >/dev/null 2>&1 || {
			G am --abort >/dev/null 2>&1 || true
			G checkout -q -f -B work pristine
			info "kernel/patches/$p does not apply on $(base_used_deb)"
			return 1
		}
	done
}

base_used_deb() { sed -n 's/^used=//p' "$KSRC/.git/project-base" 2>/dev/null; }

# The loud line of a fallback base, printed wherever the tree is used.
warn_fallback() {
	local pin used
	pin=$(sed -n 's/^pin=//p' "$KSRC/.git/project-base")
	used=$(base_used_deb)
	[ "$pin" = "$used" ] ||
		info "WARNING: BUILDING ON $(kget PACKAGE) $used, NOT THE PINNED $pin (kernel/BASE): apt no longer serves $pin; $used is the newest 6.12.y the series applies to. Results record this base; 'make rebase' moves the pin."
}

# unpack: make the tree from the pinned base, or, where apt no longer has
# it, from the newest 6.12.y that the whole series applies to.
unpack() {
	local pin v tarball
	pin=$(base_pin)
	need_build_deps
	if tarball=$(fetch_base "$pin"); then
		unpack_base "$tarball" "$pin"
		printf 'pin=%s\nused=%s\n' "$pin" "$pin" >"$KSRC/.git/project-base"
		return 0
	fi
	# Only a version apt no longer lists is replaced; one it lists but could
	# not fetch (the network, the disk) is an error, not a reason to move.
	! base_candidates | grep -qxF -- "$pin" ||
		die "apt lists $(kget PACKAGE)=$pin but could not fetch or unpack it (log: $BUILD/apt.log)"
	info "apt no longer has $(kget PACKAGE)=$pin (log: $BUILD/apt.log); trying the newest 6.12.y it has"
	for v in $(base_candidates); do
		[ "$v" != "$pin" ] || continue
		tarball=$(fetch_base "$v") || { info "apt lists $v but cannot get it"; continue; }
		unpack_base "$tarball" "$v"
		printf 'pin=%s\nused=%s\n' "$pin" "$v" >"$KSRC/.git/project-base"
		if apply_series; then
			warn_fallback
			return 0
		fi
	done
	rm -rf "$KSRC"
	die "apt has neither the pinned $(kget PACKAGE) $pin nor any 6.12.y the series applies to (versions listed: $(base_candidates | tr '\n' ' '))"
}

dirty() { [ -n "$(G status --porcelain --untracked-files=no)" ]; }

# remove_tree: $KSRC and the worktrees made from it. Only a tree with its
# own .git folder: git must never look further up (the project's own
# repository) for the worktrees to remove.
remove_tree() {
	local w
	[ -e "$KSRC" ] || return 0
	[ -d "$KSRC/.git" ] || die "$KSRC is not a kernel tree made by this script (no .git folder); remove it by hand"
	while IFS= read -r w; do
		[ -n "$w" ] && ! [ "$w" -ef "$KSRC" ] && rm -rf -- "$w"
	done < <(git --git-dir="$KSRC/.git" worktree list --porcelain 2>/dev/null | sed -n 's/^worktree //p')
	rm -rf -- "$KSRC"
}

# set_aside: move the tree out of the way, whole (branches, stash and
# untracked files included), to build/src/linux.old-N; its worktrees are
# removed (they are rebuilt from the tree where needed).
set_aside() {
	local n=1 w
	[ -d "$KSRC/.git" ] || return 0
	while [ -e "$KSRC.old-$n" ]; do n=$((n + 1)); done
	while IFS= read -r w; do
		[ -n "$w" ] && ! [ "$w" -ef "$KSRC" ] && rm -rf -- "$w"
	done < <(git --git-dir="$KSRC/.git" worktree list --porcelain 2>/dev/null | sed -n 's/^worktree //p')
	git --git-dir="$KSRC/.git" worktree prune
	mv "$KSRC" "$KSRC.old-$n"
	info "the previous tree is kept in $KSRC.old-$n (remove it when done with it)"
}

# local_work: the tree has commits or edits that kernel/ does not hold.
local_work() {
	local have_head
	[ -f "$STAMP" ] || return 1
	read -r _ have_head <"$STAMP"
	[ "$(G rev-parse HEAD)" != "$have_head" ] || dirty
}

prepare() {
	local want recorded v
	mkdir -p "$BUILD/src"
	[ -d "$KSRC/.git" ] || unpack
	# A tree made before bases were recorded: the pin it was made for, if
	# its version is the pin's.
	if [ ! -f "$KSRC/.git/project-base" ]; then
		v=$(env -u MAKEFLAGS -u MAKELEVEL make -s --no-print-directory -C "$KSRC" kernelversion 2>/dev/null) ||
			die "$KSRC is not a kernel tree"
		if [ "$v" = "$(base_pin | sed 's/-.*//')" ]; then
			printf 'pin=%s\nused=%s\n' "$(base_pin)" "$(base_pin)" >"$KSRC/.git/project-base"
		else
			# Another base: the pin-moved path below makes it again.
			printf 'pin=unrecorded-%s\nused=unrecorded-%s\n' "$v" "$v" >"$KSRC/.git/project-base"
		fi
	fi
	# The pin moved (make rebase, a pull): a new tree, on the new base.
	if [ "$(sed -n 's/^pin=//p' "$KSRC/.git/project-base")" != "$(base_pin)" ]; then
		[ "${FORCE:-0}" = 1 ] || ! local_work ||
			die "kernel/BASE pins $(base_pin), $KSRC was made for $(sed -n 's/^pin=//p' "$KSRC/.git/project-base") and has work not in kernel/ ('make export' to keep it, FORCE=1 to set it aside and go on)"
		info "kernel/BASE pins $(base_pin): making the tree again"
		set_aside
		unpack
	fi
	check_version "$KSRC" "$(base_used_deb)"
	warn_fallback
	[ "$(base_used_deb)" = "$(base_pin)" ] || info "(a tree made on the fallback stays so until the pin moves; to retry the pin, remove $KSRC)"
	G rev-parse -q --verify pristine >/dev/null || die "$KSRC has no 'pristine' tag; remove it and run again"
	want=$(want_stamp)
	if [ -f "$STAMP" ]; then
		read -r recorded _ <"$STAMP"
		# kernel/ unchanged since the tree was made: build what is there,
		# the developer's unexported work included.
		if [ "$recorded" = "$want" ]; then
			! local_work || info "note: $KSRC has work not exported to kernel/ yet ('make export')"
			return 0
		fi
		if local_work; then
			[ "${FORCE:-0}" = 1 ] || die "kernel/ changed, but $KSRC has work that is not in kernel/ (new commits or uncommitted edits). Run 'make export' to keep it, or FORCE=1 to throw it away."
		fi
	fi
	info "applying kernel/patches"
	G tag -d sources >/dev/null 2>&1 || true	# trees made before the series carried the new files
	apply_series || die "the series does not apply on $(base_used_deb) (see above)"
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
	local f n p d prev=0 first last
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
	# Patches: every commit after 'pristine', new files included, each
	# into the posting whose cover names its number.  Every number must
	# have its posting before any file is removed.
	n=$(G rev-list --count pristine..HEAD)
	for ((f = 1; f <= n; f++)); do
		posting_of "$f" >/dev/null
	done
	for d in $(postings); do
		rm -f "$TOP/kernel/patches/$d"/*.patch
		printf '# Patches of this posting, applied in order after those of the postings before it.\n' >"$TOP/kernel/patches/$d/series"
	done
	n=0
	for c in $(G rev-list --reverse pristine..HEAD); do
		G diff --quiet "$c^" "$c" && die "commit $(G log -1 --format='%h %s' "$c") changes nothing"
		n=$((n + 1))
		d=$(posting_of "$n")
		p=$(G format-patch -1 --no-signature --zero-commit --start-number $n -o "$TOP/kernel/patches/$d" "$c")
		# Blank context lines become empty lines, which git am/apply read
		# as empty context: checkpatch run on a git-tracked *.patch checks
		# it as a source file and flags the lone space as trailing
		# whitespace.
		perl -i -pe '$d = 1 if /^diff --git /; s/^ $// if $d' "$p"
		echo "${p##*/}" >>"$TOP/kernel/patches/$d/series"
	done
	# Postings must stay contiguous: each applies after the ones before it.
	for d in $(postings); do
		first=$(series_patches "$d" | head -1) last=$(series_patches "$d" | tail -1)
		[ -n "$first" ] || die "posting $d has no patch (its cover's Patches: line names none of the tree's commits)"
		first=${first#*/} last=${last#*/}
		[ "$((10#${first%%-*}))" = $((prev + 1)) ] ||
			die "posting $d starts at ${first%%-*}, not at $((prev + 1)): postings apply in name order, so their numbers must follow on"
		prev=$((10#${last%%-*}))
	done
	echo "$(want_stamp) $(G rev-parse HEAD)" >"$STAMP"
	info "exported $n patch(es) and $(src_files | wc -l) new file(s) to kernel/"
}

# Does the "Patches:" spec SPEC (NNNN or NNNN-MMMM words) name patch N?
spec_has() {
	local spec=$1 n=$2 w
	for w in $spec; do
		case $w in
		*-*) [ "$n" -ge "$((10#${w%-*}))" ] && [ "$n" -le "$((10#${w#*-}))" ] && return 0 ;;
		*) [ "$n" = "$((10#$w))" ] && return 0 ;;
		esac
	done
	return 1
}

# The posting whose cover names patch number N; exactly one must.
posting_of() {
	local n=$1 d spec found=
	for d in $(postings); do
		spec=$(sed -n 's/^Patches: *//p' "$TOP/kernel/patches/$d/cover")
		[ -n "$spec" ] || die "kernel/patches/$d/cover has no 'Patches:' line"
		if spec_has "$spec" "$n"; then
			[ -z "$found" ] || die "patch $n is named by the covers of both $found and $d"
			found=$d
		fi
	done
	[ -n "$found" ] || die "no posting's cover names patch $n (add it to a 'Patches:' line in kernel/patches/*/cover)"
	echo "$found"
}

# Standalone series for git am, one folder per posting, in name order, each
# with a cover letter (0000) and [PATCH n/N] subjects; then checked: applied
# in that order onto a pristine tree, they give exactly the tree that
# kernel/ describes.
standalone_series() {
	local out=$1 cover name spec list n total i p dst chk
	prepare
	mkdir -p "$out"
	out=$(cd "$out" && pwd)	# git runs in the tree: make it absolute
	rm -rf "$out"/*/ "$out"/*.patch
	for name in $(postings); do
		cover=$TOP/kernel/patches/$name/cover
		spec=$(sed -n 's/^Patches: *//p' "$cover")
		[ -n "$spec" ] || die "$cover has no 'Patches:' line"
		list=$(series_patches "$name")
		total=$(wc -w <<<"$list")
		[ "$total" -gt 0 ] || die "kernel/patches/$name/series names no patch"
		# The cover's Patches: line and the series file agree.
		for p in $list; do
			p=${p#*/}
			spec_has "$spec" "$((10#${p%%-*}))" || die "kernel/patches/$name/series has $p, which its cover's 'Patches: $spec' does not name"
		done
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
			dst=$(printf '%s/%04d-%s' "$out/$name" "$i" "${p#*/*-}")
			cp "$TOP/kernel/patches/$p" "$dst"
			sed -i "0,/^Subject: \[PATCH\]/s//Subject: [PATCH $i\/$total]/" "$dst"
		done
		n=$(find "$out/$name" -name '[0-9]*.patch' ! -name '0000-*' | wc -l)
		info "wrote $name: cover letter + $n patch(es)"
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
	info "checked: applied in order onto $(base_desc), they give the tree exactly (git am each folder's patches but 0000, the cover letter, folder by folder)"
}

# rebase [DEB]: move the pin to package version DEB (default: the newest
# 6.12.y apt offers). The series is applied on a tree of DEB made in
# build/src/linux-rebase and checked there (kernel/src, checkpatch, the
# bisect build); only then does kernel/BASE name DEB, and that tree
# becomes build/src/linux. Nothing changes when a step fails.
rebase() {
	local to=${1:-} rt=$BUILD/src/linux-rebase main=$KSRC w
	need_build_deps
	# The main tree is replaced at the end: refuse now, not after the checks.
	if [ -d "$main/.git" ] && [ "${FORCE:-0}" != 1 ] && local_work; then
		die "$main has work not in kernel/ ('make export' to keep it, FORCE=1 to set it aside)"
	fi
	[ -n "$to" ] || to=$(base_candidates | head -1 || true)
	[ -n "$to" ] || die "apt lists no 6.12.y of $(kget PACKAGE) (apt-get update?)"
	[[ $to =~ ^6\.12\.[0-9]+- ]] || die "rebase wants a 6.12.y package version such as 6.12.118-1~deb12u1, got '$to'"
	[ "$to" != "$(kget DEB_VERSION)" ] || { info "kernel/BASE already pins $to"; return 0; }
	fetch_base "$to" >/dev/null || die "apt cannot get $(kget PACKAGE)=$to (log: $BUILD/apt.log)"
	# The bisect worktree belongs to the main tree; the checks make their own.
	if [ -d "$main/.git" ]; then
		git -C "$main" worktree remove --force "$BUILD/src/linux-bisect" >/dev/null 2>&1 || true
		git -C "$main" worktree prune
	fi
	export KERNEL_BASE_DEB=$to KSRC=$rt
	STAMP=$KSRC/.git/project-stamp
	[ ! -d "$rt" ] || remove_tree
	info "rebase: the series on $to, in $rt"
	prepare
	[ "$(base_used_deb)" = "$to" ] || die "the tree in $rt is not $to"
	info "rebase: checkpatch"
	make -s -C "$TOP" checkpatch KSRC="$rt" >"$BUILD/rebase-checkpatch.log" 2>&1 ||
		die "checkpatch fails on $to (log: $BUILD/rebase-checkpatch.log)"
	info "rebase: the bisect build (every commit, W=1)"
	"$TOP/scripts/bisect-build.sh" || die "the bisect build fails on $to (log: $BUILD/bisect/bisect.log)"
	git -C "$rt" worktree remove --force "$BUILD/src/linux-bisect" >/dev/null 2>&1 || true
	for w in $(G worktree list --porcelain | sed -n 's/^worktree //p'); do
		[ "$w" -ef "$rt" ] || rm -rf "$w"
	done
	G worktree prune
	sed -i "s/^VERSION=.*/VERSION=${to%%-*}/; s/^DEB_VERSION=.*/DEB_VERSION=$to/" "$TOP/kernel/BASE"
	KSRC=$main
	set_aside
	mv "$rt" "$main"
	info "kernel/BASE now pins $to: the series applies, kernel/src matches, checkpatch is clean and every commit builds; commit kernel/BASE and run make test"
}

case "${1:-}" in
prepare) prepare ;;
rebase) rebase "${2:-}" ;;
export) export_tree ;;
series) [ -n "${2:-}" ] || die "usage: ktree.sh series DIR"; standalone_series "$2" ;;
status)
	[ -d "$KSRC/.git" ] || { echo "no tree"; exit 0; }
	echo "base: $(base_desc)"
	G log --oneline -1 pristine
	G log --oneline pristine..HEAD
	dirty && echo "(uncommitted edits)" || true
	;;
*) die "usage: ktree.sh prepare|export|series DIR|status|rebase [DEB]" ;;
esac
