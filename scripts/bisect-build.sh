#!/usr/bin/env bash
# bisect-build.sh: prove the series is bisectable. Checks out every commit
# from the 'sources' tag to HEAD of build/src/linux in a separate worktree
# (build/src/linux-bisect, so the main tree is left alone) and builds
# arch/x86/kvm/ and virt/kvm/ with W=1 under the debug configuration.
# A commit that fails to build, or that makes W=1 warn in a file the series
# touches, fails the script. SPARSE=1 adds sparse (C=1): slower. FROM=REV
# starts at REV instead of 'sources' (e.g. FROM=HEAD~1 after a new patch).
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
from=${FROM:-sources}
git -C "$KSRC" rev-parse -q --verify "$from^{commit}" >/dev/null || die "FROM=$from is not a commit of $KSRC"
for c in $(git -C "$KSRC" rev-list --reverse "$from^..HEAD"); do
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
	warn=$(grep -E "warning:" "$out/$c.log" | sort -u || true)
	bad=""
	for f in $touched; do
		hit=$(printf '%s\n' "$warn" | grep -F "$f:" || true)
		[ -z "$hit" ] || bad+="$hit"$'\n'
	done
	if [ -n "$bad" ]; then
		echo "FAIL warnings $c $subj" | tee -a "$log"
		printf '%s' "$bad" | head -n 20 >&2
		fails=$((fails + 1))
	else
		echo "ok $c $subj ($(printf '%s\n' "$warn" | grep -c "warning:" || true) warnings elsewhere)" | tee -a "$log"
	fi
done
record_time bisect-build $(($(now) - t0))
[ $fails = 0 ] || die "$fails commit(s) of the series failed (log: $log)"
info "every commit from $from to HEAD builds with ${cflags[*]}, no warnings in touched files ($(($(now) - t0)) s)"
