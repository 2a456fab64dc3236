#!/usr/bin/env python3
"""Print the README's table from the three variants' runs.csv (medians of 3 reps).

Run from this folder: python3 table.py
"""
import csv
import statistics as st

VARIANTS = ["take-only-needed", "weight", "weight-and-wait"]


def load(variant):
    cells = {}
    with open(f"{variant}/runs.csv") as f:
        for r in csv.DictReader(f):
            key = (r["pattern"], int(r["quota"]), int(r["vcpus"]), r["policy"])
            cells.setdefault(key, []).append(r)
    return cells


def med(rows, fn):
    return st.median(fn(r) for r in rows)


def share(r):
    return float(r["evict_direct_zapped"]) / max(1.0, float(r["mmu_recycled"]))


def main():
    data = {v: load(v) for v in VARIANTS}
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
