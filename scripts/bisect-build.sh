#!/usr/bin/env bash
# bisect-build.sh: prove the series is bisectable. Checks out every commit
# after the 'pristine' tag up to HEAD of build/src/linux in a separate worktree
# (build/src/linux-bisect, so the main tree is left alone) and builds
# arch/x86/kvm/ and virt/kvm/ with W=1 under the debug configuration.
# A commit that fails to build, or that makes W=1 warn in a file the series
# touches, fails the script. SPARSE=1 adds sparse (C=1): slower. FROM=REV
# starts at REV instead (e.g. FROM=HEAD~1 after a new patch).
#
# usage: scripts/bisect-build.sh          (log: build/bisect/bisect.log)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

t0=$(now)
"$TOP/scripts/ktree.sh" prepare
[ -f "$BUILD/debug/.config" ] || "$TOP/scripts/kbuild.sh" --config-only debug

wt=$BUILD/src/linux-bisect
out=$BUILD/bisect
log=$out/bisect.log
mkdir -p "$out"
: >"$log"
if [ ! -d "$wt" ]; then
	git -C "$KSRC" worktree prune
	git -C "$KSRC" worktree add -q --detach "$wt" pristine
fi
cp "$BUILD/debug/.config" "$out/.config"
make -s -C "$wt" O="$out" olddefconfig >/dev/null

cflags=(W=1)
[ "${SPARSE:-0}" = 1 ] && { need_pkgs sparse; cflags+=(C=1); }

# Files the series touches (new files included): warnings there count.
touched=$(git -C "$KSRC" diff --name-only pristine HEAD -- '*.c' '*.h')
fails=0

# A warning as "file: message", without line and column, which patches move.
norm() { sed -E 's|^.*/linux-bisect/||; s|^([^:]+):[0-9]+:[0-9]+: |\1: |' | sort -u; }

# Upstream's own warnings in the touched files (sparse reports a few in
# mmu.c, e.g. "context imbalance" for its lockless-walk helpers): built once
# from the pristine tree with the same flags; only warnings beyond these
# count.  Everything is rebuilt first so that none is missed.
git -C "$wt" checkout -q --detach pristine
info "building pristine for upstream's own warnings (${cflags[*]})"
touch_objs() { find "$out/arch/x86/kvm" "$out/virt/kvm" -name '*.o' -delete 2>/dev/null || true; }
touch_objs
make -C "$wt" O="$out" -j"$(jobs)" "${cflags[@]}" arch/x86/kvm/ virt/kvm/ >"$out/pristine.log" 2>&1 ||
	die "the pristine tree does not build (log: $out/pristine.log)"
baseline=$(grep -E "warning:" "$out/pristine.log" | norm || true)
touch_objs
range=pristine..HEAD
if [ -n "${FROM:-}" ]; then
	git -C "$KSRC" rev-parse -q --verify "$FROM^{commit}" >/dev/null || die "FROM=$FROM is not a commit of $KSRC"
	range="$FROM^..HEAD"
fi
for c in $(git -C "$KSRC" rev-list --reverse "$range"); do
	subj=$(git -C "$KSRC" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	info "building $(git -C "$KSRC" log -1 --format=%h "$c") $subj"
	if ! make -C "$wt" O="$out" -j"$(jobs)" "${cflags[@]}" arch/x86/kvm/ virt/kvm/ \
		>"$out/$c.log" 2>&1; then
		echo "FAIL build $c $subj" | tee -a "$log"
		grep -E "error|Error" "$out/$c.log" | head -n 10 >&2 || true
		fails=$((fails + 1))
		continue
	fi
	# make re-reports nothing for objects it did not rebuild, so every
	# warning seen here belongs to a file this commit (or its headers)
	# made rebuild.
	warn=$(grep -E "warning:" "$out/$c.log" | norm || true)
	new=$(comm -23 <(printf '%s\n' "$warn") <(printf '%s\n' "$baseline"))
	bad=""
	for f in $touched; do
		hit=$(printf '%s\n' "$new" | grep -F "$f:" || true)
		[ -z "$hit" ] || bad+="$hit"$'\n'
	done
	if [ -n "$bad" ]; then
		echo "FAIL warnings $c $subj" | tee -a "$log"
		printf '%s' "$bad" | head -n 20 >&2
		fails=$((fails + 1))
	else
		echo "ok $c $subj ($(printf '%s\n' "$warn" | grep -c "warning:" || true) distinct warnings, none new in a touched file)" | tee -a "$log"
	fi
done
record_time bisect-build $(($(now) - t0))
[ $fails = 0 ] || die "$fails commit(s) of the series failed (log: $log)"
info "every commit of $range builds with ${cflags[*]}, no warnings in touched files ($(($(now) - t0)) s)"
