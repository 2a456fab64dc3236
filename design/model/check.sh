#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Verify the SPIN model of the sharded eviction protocol
# (design/model/shadow_evict.pml); what it shows: design/model/README.md.
# For the model:
#  1. the model as the code is: exhaustive search, must report 0 errors
#     and must not hit the depth bound (an incomplete search proves nothing);
#  2. each deliberately broken variant: must report at least one error and
#     leave a trail; the trail is replayed (spin -t -p) and its narration
#     printed.  Breadth-first search, so each trail is a shortest one.
#
# Exits non-zero if a correct model fails, a search is incomplete, or a
# broken variant passes.  Everything is written under build/model/ (full
# replays: build/model/<run>/replay.txt); design/model/ stays clean.
#
# Usage: design/model/check.sh        (also run by `make unit`)
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$top/build/model

die() { echo "model check: $*" >&2; exit 1; }

# ---- tools ---------------------------------------------------------------
need=
command -v spin >/dev/null 2>&1 || need="$need spin"
command -v gcc >/dev/null 2>&1 || need="$need gcc"
if [ -n "$need" ]; then
	echo "model check: installing$need (apt-get)"
	if [ "$(id -u)" = 0 ]; then
		sudo=
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo="sudo -n"
	else
		die "need$need, not root and no password-less sudo to apt-get install them"
	fi
	command -v apt-get >/dev/null 2>&1 ||
		die "need$need and there is no apt-get here; install them by hand"
	mkdir -p "$work"
	if ! $sudo apt-get install -y $need >"$work/apt.log" 2>&1; then
		tail -5 "$work/apt.log" >&2
		die "apt-get install -y$need failed (log: $work/apt.log)"
	fi
	for t in $need; do
		command -v "$t" >/dev/null 2>&1 || die "$t still missing after apt-get"
	done
fi

t0=$(date +%s)
mkdir -p "$work" || die "cannot create $work"

# build NAME "SPIN_DEFINES" "CC_DEFINES": $model -> pan in $work/NAME
build() {
	local dir=$work/$1
	rm -rf "$dir" && mkdir -p "$dir" || die "cannot create $dir"
	cp "$here/$model" "$dir/" || die "cannot copy the model"
	(cd "$dir" && spin $2 -a $model >spin.log 2>&1) || {
		cat "$dir/spin.log" >&2
		die "$1: spin -a $2 failed"
	}
	(cd "$dir" && gcc -O2 $3 -o pan pan.c >gcc.log 2>&1) || {
		tail -20 "$dir/gcc.log" >&2
		die "$1: gcc $3 pan.c failed"
	}
}

# narrate DIR: the replayed trail's "@@" printfs, each with its step and process
narrate() {
	awk '/^ +@@ /{ sub(/^ +@@ /, ""); msg = $0; next }
	     msg != "" && /^ *[0-9]+:/ {
		p = $0; sub(/^[^(]*\(/, "", p); sub(/:.*/, "", p)
		printf "   %5s %-6s %s\n", $1, p, msg; msg = "" }
	     /Error: assertion violated/ { print "         " $0 }' "$1/replay.txt"
}

rc=0

# check MODEL CORRECT_DIR VARIANT_DIR_PREFIX "PROPS" "VARIANT:PROP ...":
# the correct model and each broken variant (macro -> the property it must
# violate), each built in $work/<dir>
check() {
	local model=$1 correct=$2 prefix=$3 props=$4 variants=$5 v name prop dir out
	# ---- the model as the code is
	echo "== $model: correct model, exhaustive search ($props)"
	build $correct "" "-DSAFETY"
	# -m: DFS stack bound; the search must stay below it (checked below)
	(cd "$work/$correct" && ./pan -m2000000 >pan.out 2>&1)
	out=$work/$correct/pan.out
	grep -E "State-vector|states, stored|transitions|pan: elapsed" "$out" | sed 's/^/   /'
	if grep -q "max search depth too small" "$out"; then
		echo "   FAIL: the search hit its depth bound: incomplete" >&2
		rc=1
	elif grep -q "errors: 0" "$out" && ! grep -q "assertion violated" "$out"; then
		echo "   PASS: 0 errors"
	else
		grep -m1 "assertion violated" "$out" >&2
		echo "   FAIL: the correct model has a counterexample; its last steps:" >&2
		(cd "$work/$correct" && spin -t -p $model >replay.txt 2>&1)
		narrate "$work/$correct" | tail -25 >&2
		echo "   (full replay: build/model/$correct/replay.txt)" >&2
		rc=1
	fi

	# ---- the broken variants
	for v in $variants; do
		name=${v%%:*}
		prop=${v##*:}
		dir=$prefix$name
		echo "== $model -D$name: must violate $prop"
		build "$dir" "-D$name" "-DSAFETY -DBFS"
		(cd "$work/$dir" && ./pan >pan.out 2>&1)
		out=$work/$dir/pan.out
		grep -E "states, stored|pan: elapsed" "$out" | sed 's/^/   /'
		if ! grep -qE "errors: [1-9]" "$out" || [ ! -s "$work/$dir/$model.trail" ]; then
			echo "   FAIL: SPIN accepted the broken variant -D$name" >&2
			rc=1
			continue
		fi
		grep -m1 "assertion violated" "$out" | sed 's/^pan:1: /   error: /'
		(cd "$work/$dir" && spin "-D$name" -t -p $model >replay.txt 2>&1)
		echo "   shortest trail ($(grep -m1 -o "at depth [0-9]*" "$out")), narrated:"
		narrate "$work/$dir"
		# the assertions are tagged with their property (see the models)
		if ! grep -m1 "assertion violated" "$out" | grep -q "($prop&&"; then
			echo "   FAIL: -D$name violates something other than $prop" >&2
			rc=1
			continue
		fi
		echo "   PASS: rejected, $prop violated (full replay: build/model/$dir/replay.txt)"
	done
}

check shadow_evict.pml correct "" "P1, P2, P3" \
	"BROKEN_HAND_SHARING:P3 BROKEN_NO_GRACE:P1 BROKEN_PUSH_UNCHECKED:P2"

echo "== model check: $(( $(date +%s) - t0 )) s, $([ $rc = 0 ] && echo ok || echo FAILED)"
exit $rc
