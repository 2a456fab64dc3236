#!/usr/bin/env python3
"""Where a zapped shadow page's mmu_lock time goes, per component.

Usage: zap_profile.py LABEL=RUNS_CSV [LABEL=RUNS_CSV ...] [--markdown]

Reads the zap_* columns that kernel/guest/shadow_bench.c writes from a
kernel built with the bench variant zap-profile (bench/variants/
zap-profile): rows without them (zap_pages 0) are skipped, and a file
with none is an error.  Per file, cell (pattern, density, vCPUs, quota)
and policy, medians over the runs of, per zapped page (zap_pages, every
page prepared for zapping in the measured phase):
  leaves     present leaf SPTEs dropped
  children   us in kvm_mmu_page_unlink_children(): the walk over the
             SPTEs plus each present one's teardown (clear, Accessed and
             Dirty to the host page, rmap removal)
  parents    us in kvm_mmu_unlink_parents()
  unsync     us in mmu_zap_unsync_children()
  rest       us in the rest of the prepare (write tracking, lists,
             accounting, the eviction core's remove)
  flush      us in the remote TLB flush, over the pages of its commit
  free       us freeing (or queueing for RCU), likewise
  zap        the sum of the above
  hold       eviction mmu_lock hold per evicted page (evict_lock_ns /
             mmu_recycled): the zap plus choosing the victims
and pages per commit (zap_pages / zap_flushes), with the runs counted.
Where the runs have the zap_leaf_* columns (the variant's later form), a
second table splits a present leaf SPTE's teardown, in ns per leaf:
  tick       an empty interval: two clock reads back to back
  clear      the SPTE's clear and the page-stats update
  host       the host page: refcount check, Accessed and Dirty
  lookup     the rmap head: shadow page, gfn, memslot, head
  unlink     pte_list_remove()
each but tick less one tick (the clock's own cost it contains), and
  other      the rest of the walk per leaf: children / leaves less the
             five intervals as measured (ticks included)
Times are the L1 guest's clock: under TCG, relative only.
"""
import argparse
import csv
import statistics
import sys
from collections import defaultdict

COMPONENTS = ["children", "parents", "unsync", "rest", "flush", "free"]
LEAF_PARTS = ["clear", "host", "lookup", "unlink"]
LEAF_COLS = ["tick"] + LEAF_PARTS + ["other"]


def per_page(row):
    pages = int(row["zap_pages"])
    out = {"leaves": int(row["zap_leaves"]) / pages}
    for c in COMPONENTS:
        out[c] = int(row[f"zap_{c}_ns"]) / pages / 1000
    out["zap"] = sum(out[c] for c in COMPONENTS)
    rec = int(row["mmu_recycled"])
    out["hold"] = int(row["evict_lock_ns"]) / rec / 1000 if rec else None
    flushes = int(row["zap_flushes"])
    out["pg/commit"] = pages / flushes if flushes else None
    leaves = int(row["zap_leaves"])
    if leaves and int(row.get("zap_leaf_tick_ns") or 0):
        raw = {c: int(row[f"zap_leaf_{c}_ns"]) / leaves for c in ["tick"] + LEAF_PARTS}
        out["tick"] = raw["tick"]
        for c in LEAF_PARTS:
            out[c] = raw[c] - raw["tick"]
        out["other"] = int(row["zap_children_ns"]) / leaves - sum(raw.values())
    return out


def load(path):
    cells = defaultdict(list)
    try:
        f = open(path, newline="")
    except OSError as e:
        sys.exit(f"zap_profile.py: cannot read {path}: {e.strerror}")
    with f:
        for row in csv.DictReader(f):
            if not row.get("zap_pages") or int(row["zap_pages"]) == 0:
                continue
            key = (row["pattern"], int(row.get("density") or 1), int(row["vcpus"]),
                   int(row["quota"]), row["policy"])
            cells[key].append(per_page(row))
    if not cells:
        sys.exit(f"zap_profile.py: {path} has no row with zap_* columns "
                 "(a kernel without the zap-profile variant?)")
    return cells


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


COLS = ["leaves"] + COMPONENTS + ["zap", "hold", "pg/commit"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="+", metavar="LABEL=RUNS_CSV")
    args = ap.parse_args()
    loaded = []
    for spec in args.files:
        if "=" not in spec:
            sys.exit(f"zap_profile.py: '{spec}': want LABEL=RUNS_CSV")
        label, path = spec.split("=", 1)
        loaded.append((label, load(path)))
    print("| kernel | pattern | density | vCPUs | quota | policy | runs | "
          + " | ".join(c if c in ("leaves", "pg/commit") else c + " us" for c in COLS) + " |")
    print("|---|---|---:|---:|---:|---|---:|" + "---:|" * len(COLS))
    for label, cells in loaded:
        for key in sorted(cells):
            rows = cells[key]
            vals = []
            for c in COLS:
                m = med(r[c] for r in rows)
                vals.append("" if m is None else f"{m:.1f}" if c != "leaves" else f"{m:.0f}")
            print(f"| {label} | {key[0]} | {key[1]} | {key[2]} | {key[3]} | {key[4]} | {len(rows)} | "
                  + " | ".join(vals) + " |")
    leaf = [(label, key, [r for r in rows if "tick" in r])
            for label, cells in loaded for key, rows in sorted(cells.items())]
    leaf = [x for x in leaf if x[2]]
    if leaf:
        print()
        print("| kernel | pattern | density | vCPUs | quota | policy | runs | leaves | "
              + " | ".join(c + " ns" for c in LEAF_COLS) + " |")
        print("|---|---|---:|---:|---:|---|---:|---:|" + "---:|" * len(LEAF_COLS))
        for label, key, rows in leaf:
            vals = [f"{med(r['leaves'] for r in rows):.0f}"]
            vals += [f"{med(r[c] for r in rows):.0f}" for c in LEAF_COLS]
            print(f"| {label} | {key[0]} | {key[1]} | {key[2]} | {key[3]} | {key[4]} | {len(rows)} | "
                  + " | ".join(vals) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
