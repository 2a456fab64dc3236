#!/usr/bin/env python3
"""Per-cell lock statistics from a lockstat boot run with bench_lockdump=1.

usage: lockdump.py LOCK_STAT_TXT[.gz] [--csv OUT]

LOCK_STAT_TXT is the results/lock_stat.txt that bench/run/bench-driver.sh
appends to after every run: a "=== rep R seed S PATTERN v=V q=Q POLICY" line,
then the /proc/lock_stat blocks (class lines, contention points) of
mmu_lock, &s->lock, ready_lock and shards_lock.  Several classes are named
&s->lock (the eviction core's shard lock, the PIC's in i8259.c): a block
counts as the shard lock when one of its contention points is in the
eviction core (se_* functions); a class that was never contended lists no
points, so the uncontended shard lock is reported as "&s->lock (any)",
which sums every class of that name.

Prints, per pattern, vCPUs, quota and policy, the median over the cell's
runs (and min-max) of: contentions, total wait (us) and, for the eviction
core's locks, acquisitions and total hold (us).  Times are lock_stat's,
on a kernel whose lock tracking slows every lock: compare policies within
the boot, never with other boots.
"""
import argparse
import csv
import gzip
import re
import statistics
import sys
from collections import defaultdict

# lock_stat's columns after the class name.
COLS = ["con_bounces", "contentions", "wait_min", "wait_max", "wait_total",
        "wait_avg", "acq_bounces", "acquisitions", "hold_min", "hold_max",
        "hold_total", "hold_avg"]
HEAD = re.compile(r"^=== rep (\d+) seed (\d+) (\S+) v=(\d+) q=(\d+) (\S+)$")
CLASS = re.compile(r"^\s*(\S+):\s+(.*)$")
POINT = re.compile(r"^\s*(\S+)\s+(\d+)\s+\[<[0-9a-f]+>\]\s+(\S+)")
# The classes the driver means to keep (it may keep a neighbour or two).
WANT = re.compile(r"mmu_lock|^&s->lock|ready_lock|shards_lock")


def parse(path):
    """Yield (cell, {lock: {column: value}}) per run."""
    cell, locks, block, points = None, {}, None, []

    def close_block():
        nonlocal block, points
        if block is None:
            return
        name, vals = block
        if not WANT.search(name):
            block, points = None, []
            return
        if name.startswith("&s->lock"):
            kind = "shard" if any(p.startswith("se_") for p in points) else None
            acc = locks.setdefault("&s->lock (any)", defaultdict(float))
            for k, v in vals.items():
                acc[k] += v
            if kind:
                acc = locks.setdefault("shard_lock", defaultdict(float))
                for k, v in vals.items():
                    acc[k] += v
        else:
            key = ("mmu_lock" + name.split("mmu_lock", 1)[1]) if "mmu_lock" in name else name
            acc = locks.setdefault(key, defaultdict(float))
            for k, v in vals.items():
                acc[k] += v
        block, points = None, []

    with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
        for line in f:
            line = line.rstrip("\n")
            m = HEAD.match(line)
            if m:
                close_block()
                if cell is not None:
                    yield cell, locks
                rep, seed, pat, v, q, pol = m.groups()
                cell, locks = (pat, int(v), int(q), pol, int(seed), int(rep)), {}
                continue
            if line.startswith("...."):
                close_block()
                continue
            m = CLASS.match(line)
            if m and not line.lstrip().startswith("-"):
                nums = m.group(2).split()
                if len(nums) == len(COLS):
                    close_block()
                    block = (m.group(1), {k: float(x) for k, x in zip(COLS, nums)})
                    continue
            m = POINT.match(line)
            if m and block is not None:
                points.append(m.group(3))
        close_block()
        if cell is not None:
            yield cell, locks


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("path")
    ap.add_argument("--csv", help="also write one row per run and lock here")
    a = ap.parse_args()
    runs = list(parse(a.path))
    if not runs:
        sys.exit(f"{a.path}: no '=== rep ...' run headers (was bench_lockdump=1 set?)")
    rows = []
    for cell, locks in runs:
        for lock, vals in locks.items():
            rows.append(dict(zip(("pattern", "vcpus", "quota", "policy", "seed", "rep"), cell),
                             lock=lock, **{k: vals.get(k, 0.0) for k in COLS}))
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    groups = defaultdict(list)
    for r in rows:
        groups[(r["pattern"], r["vcpus"], r["quota"], r["lock"], r["policy"])].append(r)

    def stat(rs, k):
        xs = [r[k] for r in rs]
        return f"{statistics.median(xs):.0f} [{min(xs):.0f}-{max(xs):.0f}]"

    print("| pattern | vCPUs | quota | lock | policy | runs | contentions | wait total us | acquisitions | hold total us |")
    print("|---|---:|---:|---|---|---:|---|---|---|---|")
    for key in sorted(groups):
        rs = groups[key]
        pat, v, q, lock, pol = key
        if lock.endswith("-R") and all(r["acquisitions"] == 0 for r in rs):
            continue
        print(f"| {pat} | {v} | {q} | {lock} | {pol} | {len(rs)} | {stat(rs, 'contentions')} | "
              f"{stat(rs, 'wait_total')} | {stat(rs, 'acquisitions')} | {stat(rs, 'hold_total')} |")


if __name__ == "__main__":
    main()
