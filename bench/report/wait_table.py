#!/usr/bin/env python3
"""The table of bench/results/experiments/wait/: the three boots' runs.csv
side by side (medians of 3 reps).

  python3 bench/report/wait_table.py [DIR]   (default bench/results/experiments/wait)
"""
import csv
import os
import statistics as st
import sys

WAIT = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "..", "results", "experiments", "wait")
VARIANTS = ["take-only-needed", "weight", "weight-and-wait"]


def load(folder, variant):
    cells = {}
    with open(os.path.join(folder, variant, "runs.csv")) as f:
        for r in csv.DictReader(f):
            key = (r["pattern"], int(r["quota"]), int(r["vcpus"]), r["policy"])
            cells.setdefault(key, []).append(r)
    return cells


def med(rows, fn):
    return st.median(fn(r) for r in rows)


def share(r):
    return float(r["evict_direct_zapped"]) / max(1.0, float(r["mmu_recycled"]))


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else WAIT
    data = {v: load(folder, v) for v in VARIANTS}
    keys = sorted({k[:3] for k in data[VARIANTS[0]]})
    print("| pattern | quota | vCPUs | direct share (sharded): " + " / ".join(VARIANTS)
          + " | refaults sharded/clock | throughput sharded/clock | touch p99 sharded/clock"
          + " | waits (ms in all) |")
    print("|---|---:|---:|---|---|---|---|---|")
    for pat, q, v in keys:
        shares, mcm, tput, p99 = [], [], [], []
        for var in VARIANTS:
            s = data[var][(pat, q, v, "sharded")]
            c = data[var][(pat, q, v, "clock")]
            shares.append(f"{100 * med(s, share):.0f} %")
            mcm.append(f"{med(s, lambda r: float(r['mmu_cache_miss'])) / med(c, lambda r: float(r['mmu_cache_miss'])):.2f}")
            tput.append(f"{med(s, lambda r: float(r['touches_per_sec_per_vcpu'])) / med(c, lambda r: float(r['touches_per_sec_per_vcpu'])):.2f}")
            p99.append(f"{med(s, lambda r: float(r['touch_p99_cyc'])) / med(c, lambda r: float(r['touch_p99_cyc'])):.1f}")
        w = data["weight-and-wait"][(pat, q, v, "sharded")]
        waits = f"{med(w, lambda r: float(r['evict_waits'])):.0f} ({med(w, lambda r: float(r['evict_wait_ns'])) / 1e6:.0f})"
        print(f"| {pat} | {q} | {v} | {' / '.join(shares)} | {' / '.join(mcm)} | "
              f"{' / '.join(tput)} | {' / '.join(p99)} | {waits} |")


if __name__ == "__main__":
    main()
