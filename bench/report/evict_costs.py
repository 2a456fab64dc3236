#!/usr/bin/env python3
"""What one mmu_lock hold for eviction costs, and how long faults wait.

Usage: evict_costs.py RUNS_CSV [--patterns hotcold,hotscan] [--vcpus 4,16]

Per cell (pattern, quota, vCPUs) and policy, medians over the runs of
bench/results runs.csv columns (a median of ratios, run by run):
  holds      the eviction holds of mmu_lock: fault-path reclaims
             (evict_direct) plus, for sharded, the worker's zap-lock
             sections (evict_batches)
  pg/hold    pages zapped per hold, fault path and worker apart
  us/hold    microseconds of mmu_lock per hold, likewise
  waits      faults that waited for the sharded worker (evict_waits)
  ms/wait    evict_wait_ns / evict_waits
  lock ms    mmu_lock held by faults (fault_lock_ns, their reclaim
             included) plus the worker (evict_lock_ns - evict_direct_lock_ns)
  busy %     lock ms over the measured phase's wall time (measure_ns): near
             100 %, mmu_lock bounds throughput whatever the policy
Each hold ends with one remote TLB flush where it zapped anything, so
us/hold against pg/hold shows what a bigger batch would save.
"""
import argparse
import csv
import statistics
import sys
from collections import defaultdict


def ratio(a, b):
    return a / b if b else None


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(v, digits=1):
    return "" if v is None else f"{v:.{digits}f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("runs")
    ap.add_argument("--patterns", default="hotcold,hotscan")
    ap.add_argument("--vcpus", default="")
    args = ap.parse_args()
    pats = set(args.patterns.split(","))
    vcpus = {int(v) for v in args.vcpus.split(",") if v}
    cells = defaultdict(list)
    with open(args.runs, newline="") as f:
        for r in csv.DictReader(f):
            if r["pattern"] not in pats:
                continue
            if vcpus and int(r["vcpus"]) not in vcpus:
                continue
            key = (r["pattern"], int(r["quota"]), int(r["vcpus"]), r["policy"])
            cells[key].append({k: float(v) if v not in ("", None) else 0.0
                               for k, v in r.items()
                               if k not in ("policy", "pattern")})
    if not cells:
        sys.exit(f"evict_costs.py: no runs in {args.runs} match")
    order = {"fifo": 0, "clock": 1, "sharded": 2}
    print("| pattern | quota | vCPUs | policy | runs | fault-path holds | "
          "pg/hold | us/hold | worker holds | pg/hold | us/hold | "
          "waits | ms/wait | lock ms | busy % |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:"
          "|---:|---:|")
    for key in sorted(cells, key=lambda k: (k[0], k[1], k[2], order[k[3]])):
        rs = cells[key]
        worker_pg = [r["mmu_recycled"] - r["evict_direct_zapped"] for r in rs]
        worker_ns = [r["evict_lock_ns"] - r["evict_direct_lock_ns"] for r in rs]
        lock_ns = [r["fault_lock_ns"] + n for n, r in zip(worker_ns, rs)]
        row = [
            med(r["evict_direct"] for r in rs),
            med(ratio(r["evict_direct_zapped"], r["evict_direct"]) for r in rs),
            med(ratio(r["evict_direct_lock_ns"] / 1e3, r["evict_direct"])
                for r in rs),
            med(r["evict_batches"] for r in rs),
            med(ratio(p, r["evict_batches"]) for p, r in zip(worker_pg, rs)),
            med(ratio(n / 1e3, r["evict_batches"])
                for n, r in zip(worker_ns, rs)),
            med(r.get("evict_waits", 0.0) for r in rs),
            med(ratio(r.get("evict_wait_ns", 0.0) / 1e6, r.get("evict_waits"))
                for r in rs),
            med(n / 1e6 for n in lock_ns),
            med(ratio(100.0 * n, r["measure_ns"]) for n, r in zip(lock_ns, rs)),
        ]
        digits = [0, 1, 0, 0, 1, 0, 0, 2, 0, 0]
        print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {len(rs)} | "
              + " | ".join(fmt(v, d) for v, d in zip(row, digits)) + " |")


if __name__ == "__main__":
    main()
