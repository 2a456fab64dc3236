#!/usr/bin/env python3
"""Did a change make any cell worse?  Two make bench runs, side by side.

    python3 bench/report/compare_runs.py OLD_RUNS_CSV NEW_RUNS_CSV \
        [--patterns loop,phase,private] [--policies clock,sharded] [--limit 5]
        [--metrics pf_taken,mmu_cache_miss]

e.g. the committed run before the probation and laps-of-credit patches
(0025-0026) against the one after:

    python3 bench/report/compare_runs.py <(git show bf2bac2:bench/results/runs.csv) \
        bench/results/runs.csv

For every cell (pattern, vCPUs, quota) and policy it prints the ratio of
the new median to the old one for each metric (lower is better in every
one it takes; default pf_taken and mmu_cache_miss), with the
95 % bootstrap interval report.py uses (resampling runs within each trace
seed, seeded), and a verdict against "no worse by more than LIMIT %":
OK when the whole interval is at or below 1 + LIMIT, WORSE when it is all
above, WITHIN NOISE otherwise.  Exit status 1 if any cell is WORSE.  Metrics: the columns in COLUMNS, and
the derived
  hold_per_victim   eviction mmu_lock hold per evicted page, ns
                    (evict_lock_ns / mmu_recycled)
  fault_proper_per_fault   the faults' own mmu_lock hold, their direct
                    reclaim left out, per fault, ns
                    ((fault_lock_ns - evict_direct_lock_ns) / pf_taken)
"""
import argparse
import csv
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

COLUMNS = ["pf_taken", "mmu_cache_miss", "evict_lock_ns", "evict_lock_max_ns",
           "fault_lock_ns", "touch_p99_cyc"]
DERIVED = {
    "hold_per_victim": lambda r: (float(r["evict_lock_ns"]) / float(r["mmu_recycled"])
                                  if float(r["mmu_recycled"]) else None),
    "fault_proper_per_fault": lambda r: ((float(r["fault_lock_ns"]) - float(r["evict_direct_lock_ns"]))
                                         / float(r["pf_taken"]) if float(r["pf_taken"]) else None),
}


def load(path, metrics):
    cells = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            row = {"seed": r.get("seed", "0")}
            for m in metrics:
                row[m] = DERIVED[m](r) if m in DERIVED else float(r[m])
            if any(row[m] is None for m in metrics):
                continue
            key = (r["pattern"], int(r["vcpus"]), int(r["quota"]), r["policy"])
            cells.setdefault(key, []).append(row)
    return cells


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--patterns", default="loop,phase,private")
    ap.add_argument("--policies", default="clock,sharded")
    ap.add_argument("--limit", type=float, default=5.0, help="percent")
    ap.add_argument("--metrics", default="pf_taken,mmu_cache_miss",
                    help="comma-separated: " + ", ".join(COLUMNS + list(DERIVED)))
    a = ap.parse_args()
    metrics = a.metrics.split(",")
    bad = [m for m in metrics if m not in COLUMNS and m not in DERIVED]
    if bad:
        ap.error(f"unknown metric(s) {', '.join(bad)} (lower must be better: "
                 + ", ".join(COLUMNS + list(DERIVED)) + ")")
    old, new = load(a.old, metrics), load(a.new, metrics)
    pats, pols = a.patterns.split(","), a.policies.split(",")
    limit = 1 + a.limit / 100
    counts = {"OK": 0, "WORSE": 0, "WITHIN NOISE": 0}
    print(f"| cell | policy | metric | old | new | new/old [95 % CI] | verdict (no worse than +{a.limit:g} %) |")
    print("|---|---|---|---:|---:|---|---|")
    for key in sorted(new):
        if key[0] not in pats or key[3] not in pols or key not in old:
            continue
        for m in metrics:
            o, n = old[key], new[key]
            om, nm = statistics.median(r[m] for r in o), statistics.median(r[m] for r in n)
            point = nm / om if om else 1.0
            lo, hi = report.bootstrap([n, o], report.ratio_of(m, "new", "old")) if om else (None, None)
            v = report.judge(point, lo, hi, lambda x: x <= limit + 1e-12)
            v = {"MET": "OK", "MISSED": "WORSE"}.get(v, v)
            counts[v] += 1
            ci = f" [{lo:.2f}-{hi:.2f}]" if lo is not None else ""
            label = f"{key[0]} {key[1]}v q{key[2]}"
            print(f"| {label} | {key[3]} | {m} | {om:.0f} | {nm:.0f} | {point:.2f}{ci} | {v} |")
    print(f"\n{counts['OK']} OK, {counts['WITHIN NOISE']} within noise, {counts['WORSE']} worse")
    return 1 if counts["WORSE"] else 0


if __name__ == "__main__":
    sys.exit(main())
