#!/usr/bin/env python3
"""Sharded against CLOCK in the simulator, by how long each vCPU runs in a turn.

For the cells where the kernel's sharded policy refaults more than its
clock (bench/results/runs.csv: private at 16 vCPUs, loop at 4-16), replay
the benchmark's own access sequence (seeds 1-3) through aged CLOCK (the
kernel's clock: kvm.shadow_evict_age=2, probation on, KVM's refill 5/25)
and through the sharded policy's choice of victims with the same aging,
with the kernel's quanta and with exact ones, at slices of 1 to 625 steps
(how many steps a vCPU runs before the next one's turn).  The simulator
models neither the worker running ahead of need nor the ready list: what
it shows is what the rings and the sweep cost by themselves.

usage: sim_sharded.py [--csv OUT.csv]   (needs make -C bench/sim)
Prints a markdown table of medians over the seeds.
"""
import argparse
import csv
import statistics
import sys

from simrun import need_sim, run_sim

# The benchmark's cells (bench/matrix.sh defaults: 512 regions, 20000
# measured touches in all), capacity = quota - 7 (the median overhead).
CELLS = [
    {"pattern": "private", "vcpus": 16, "regions": 512, "warmup": 625, "steps": 1250},
    {"pattern": "loop", "vcpus": 8, "regions": 512, "warmup": 1250, "steps": 2500},
    {"pattern": "hotcold", "vcpus": 16, "regions": 512, "warmup": 625, "steps": 1250},
]
CAPS = {96: 89, 160: 153}
SLICES = [1, 10, 30, 100, 300, 625]
SEEDS = [1, 2, 3]
COLS = ["aged_clock_misses", "sharded_misses", "sharded_fair_misses"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--csv", help="also write every run to this CSV")
    args = ap.parse_args()
    need_sim()
    rows = []
    for cell in CELLS:
        for quota, cap in CAPS.items():
            for sl in SLICES:
                for seed in SEEDS:
                    m = run_sim(cell, seed, cap, ["--refill", "5,25", "--age", "2",
                                                  "--sharded", "--slice", str(sl)])
                    rows.append(dict(cell, quota=quota, capacity=cap, slice=sl, seed=seed,
                                     **{c: m[c] for c in COLS}))
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            w.writeheader()
            w.writerows(rows)
    print("| pattern | vCPUs | quota | slice | clock (aged) | sharded | ratio | sharded, exact quanta | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for cell in CELLS:
        for quota in CAPS:
            for sl in SLICES:
                g = [r for r in rows if r["pattern"] == cell["pattern"] and r["quota"] == quota
                     and r["slice"] == sl]
                med = {c: statistics.median(r[c] for r in g) for c in COLS}
                ck = med["aged_clock_misses"]
                print(f"| {cell['pattern']} | {cell['vcpus']} | {quota} | {sl} | {ck:.0f} "
                      f"| {med['sharded_misses']:.0f} | {med['sharded_misses'] / ck:.2f} "
                      f"| {med['sharded_fair_misses']:.0f} | {med['sharded_fair_misses'] / ck:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
