#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the per-cell results table of docs/benchmark.md from a summary.csv (medians over a cell's runs).

  readme_table.py [SUMMARY_CSV] [QUOTA]   (default bench/results/summary.csv, 96)

One row per hotcold/hotscan cell at QUOTA: pf_taken of the three policies
(change against fifo), mmu_cache_miss of clock and sharded (change against
clock), sharded's direct share (evict_direct_zapped / mmu_recycled, of the
medians), the mmu_lock hold split in ms (fault handling proper = fault_lock_ns
- evict_direct_lock_ns / fault-path eviction = evict_direct_lock_ns / worker
= evict_lock_ns - evict_direct_lock_ns), total touches/s (per-vCPU rate x
vCPUs) and sharded's waits for its worker (count, total ms).
"""
import csv
import sys


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "bench/results/summary.csv"
    quota = sys.argv[2] if len(sys.argv) > 2 else "96"
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            if r["quota"] == quota and r["pattern"] in ("hotcold", "hotscan"):
                rows[(r["pattern"], int(r["vcpus"]), r["policy"])] = r
    g = lambda r, m: float(r[m + "_median"])
    print("| pattern | vCPUs | pf_taken fifo | clock | sharded | mmu_cache_miss clock | sharded "
          "| sharded direct share | lock ms: fault proper / fault-path evict / worker, clock "
          "| sharded | total touches/s clock | sharded | sharded waits (ms) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for pat, v in sorted({k[:2] for k in rows}):
        f, c, s = (rows.get((pat, v, p)) for p in ("fifo", "clock", "sharded"))
        if not (f and c and s):
            continue
        pf = lambda r: f"{g(r, 'pf_taken'):.0f} ({100 * (g(r, 'pf_taken') / g(f, 'pf_taken') - 1):+.0f} %)"
        mcm_s = g(s, "mmu_cache_miss")
        split = lambda r: (f"{(g(r, 'fault_lock_ns') - g(r, 'evict_direct_lock_ns')) / 1e6:.0f} / "
                           f"{g(r, 'evict_direct_lock_ns') / 1e6:.0f} / "
                           f"{max(g(r, 'evict_lock_ns') - g(r, 'evict_direct_lock_ns'), 0) / 1e6:.0f}")
        tput = lambda r: f"{g(r, 'touches_per_sec_per_vcpu') * v / 1000:.0f}k"
        share = g(s, "evict_direct_zapped") / g(s, "mmu_recycled") if g(s, "mmu_recycled") else 0
        print(f"| {pat} | {v} | {g(f, 'pf_taken'):.0f} | {pf(c)} | {pf(s)} | "
              f"{g(c, 'mmu_cache_miss'):.0f} | {mcm_s:.0f} ({100 * (mcm_s / g(c, 'mmu_cache_miss') - 1):+.0f} %) | "
              f"{100 * share:.1f} % | {split(c)} | {split(s)} | {tput(c)} | {tput(s)} | "
              f"{g(s, 'evict_waits'):.0f} ({g(s, 'evict_wait_ns') / 1e6:.0f}) |")


if __name__ == "__main__":
    main()
