#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Instruction counts per operation for the three policies (single thread,
# deterministic workload: `bench cg POLICY`).  Two valgrind runs per policy:
#  1. the whole measured phase: inclusive Ir of each operation's function;
#  2. collection only while the zap lock is held for eviction.
# "core" figures subtract the model's own zap/commit/lock callbacks (the KVM
# integration's work, identical for all policies).
set -e
BIN=${1:-../../build/bench-micro/bench-cg}
OUT=../../build/bench-micro/cg
mkdir -p $OUT
ir() {	# ir FILE FUNCTION -> inclusive Ir (0 if absent)
	callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null |
	awk -v f="$2" '{ for (i = 1; i <= NF; i++) if ($i ~ ":" f "$" || $i ~ ":" f " ") { gsub(",", "", $1); print $1; exit } }' |
	head -1 | grep . || echo 0
}
total() {
	callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }'
}
kv() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1"; }

printf "%-8s | %9s | %9s | %9s | %15s | %15s | %14s | %s\n" policy "mark Ir" "insert Ir" \
	"remove Ir" "evict Ir/page" "core evict/page" "locked Ir/page" "core locked/page"
for p in fifo clock sharded; do
	nice -n 10 valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=$OUT/$p.all \
		$BIN cg $p > $OUT/$p.counts 2>$OUT/$p.vg.log
	nice -n 10 valgrind --tool=callgrind --collect-atstart=no --callgrind-out-file=$OUT/$p.locked \
		$BIN cg $p locked > /dev/null 2>>$OUT/$p.vg.log
	marks=$(kv $OUT/$p.counts marks); faults=$(kv $OUT/$p.counts faults)
	ev=$(kv $OUT/$p.counts evicted)
	f=$OUT/$p.all
	mark=$(ir $f bench_mark); ins=$(ir $f se_insert); rem=$(ir $f se_remove)
	evict=$(( $(ir $f bench_direct_reclaim) + $(ir $f bench_rebalance) ))
	integ=$(( $(ir $f ops_zap) + $(ir $f ops_commit) + $(ir $f b_zap_lock) + $(ir $f b_zap_unlock) ))
	l=$OUT/$p.locked
	locked=$(total $l)
	linteg=$(( $(ir $l ops_zap) + $(ir $l ops_commit) ))
	awk -v p=$p -v marks=$marks -v faults=$faults -v ev=$ev -v mark=$mark -v ins=$ins \
	    -v rem=$rem -v evict=$evict -v integ=$integ -v locked=$locked -v linteg=$linteg 'BEGIN {
		printf "%-8s | %9.1f | %9.1f | %9.1f | %15.1f | %15.1f | %14.1f | %.1f\n", p,
			mark / marks, ins / faults, rem / ev, evict / ev, (evict - integ) / ev,
			locked / ev, (locked - linteg) / ev }'
	echo "         ($(cat $OUT/$p.counts))"
done
echo "evict = direct reclaim + rebalancer, incl. the model's zap callbacks; core = without them."
echo "locked = instructions executed while the zap lock is held for eviction."
