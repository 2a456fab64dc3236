#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the five-line result at a glance from the committed data.

  glance.py [--root DIR]     (DIR: the repository, default the current one)

Every figure is a min-max range over cells of medians, computed here from
the CSV files each line names; nothing is typed in by hand.  Documents
that quote this output are checked against it by
scripts/tests/readme-check.py.
"""
import argparse
import csv
import glob
import os
import statistics


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def med(r, m):
    return float(r[m + "_median"])


def cells(rows, patterns=("hotcold", "hotscan")):
    """(pattern, vcpus, quota) -> policy -> row."""
    out = {}
    for r in rows:
        if r["pattern"] in patterns:
            out.setdefault((r["pattern"], int(r["vcpus"]), r["quota"]), {})[r["policy"]] = r
    return out


def span(vals, fmt):
    lo, hi = fmt(min(vals)), fmt(max(vals))
    return lo if lo == hi else f"{lo}-{hi}"


def pct(x):
    return f"{100 * x:.0f}"


def direct_share(r):
    rec = med(r, "mmu_recycled")
    return med(r, "evict_direct_zapped") / rec if rec else 0.0


def line_refaults(root):
    path = "bench/results/summary.csv"
    c = cells(load(os.path.join(root, path)))
    cut = {q: [1 - med(p[pol], "pf_taken") / med(p["fifo"], "pf_taken")
               for (_, _, qq), p in c.items() if qq == q for pol in ("clock", "sharded")]
           for q in ("96", "160")}
    return (f"refaults: clock and sharded take {span(cut['96'], pct)} % fewer shadow-page faults "
            f"than FIFO at quota 96, {span(cut['160'], pct)} % at 160 "
            f"(hotcold, hotscan, 1-16 vCPUs; 2-core TCG; {path})")


def line_min(root):
    path = "bench/results/sim.csv"
    rows = [r for r in load(os.path.join(root, path)) if r["pattern"] in ("hotcold", "hotscan")]
    gap = [int(r["clock_misses"]) / int(r["min_misses"]) for r in rows if int(r["min_misses"])]
    return (f"against the optimum: replayed on the same traces at the same capacity, the simulated CLOCK misses "
            f"{span(gap, lambda x: f'{x:.2f}')}x as often as Belady's MIN "
            f"(hotcold, hotscan; {path})")


def line_fault_path(root):
    path2 = "bench/results/summary.csv"
    two_v = {}
    for (_, v, _), p in cells(load(os.path.join(root, path2))).items():
        two_v.setdefault(v, []).append(direct_share(p["sharded"]))
    two = ", ".join(f"{span(s, pct)} % at {v}" for v, s in sorted(two_v.items()))
    by_v = {}
    for f in sorted(glob.glob(os.path.join(root, "bench/results/hosts/16cpu-tcg-0019*/summary.csv"))):
        for (_, v, _), p in cells(load(f)).items():
            if "sharded" in p:
                by_v.setdefault(v, []).append(direct_share(p["sharded"]))
    many = ", ".join(f"{span(s, pct)} % at {v}" for v, s in sorted(by_v.items()))
    return (f"off the fault path: sharded evicts this share of its pages inside faults: "
            f"on 2 cores {two} vCPUs ({path2}); on 16 cores {many} vCPUs "
            f"(bench/results/hosts/16cpu-tcg-0019*)")


def line_throughput(root):
    ratios = []
    for f in sorted(glob.glob(os.path.join(root, "bench/results/hosts/16cpu-tcg-0019*/summary.csv"))):
        for (_, v, _), p in cells(load(f)).items():
            if v == 16 and "clock" in p and "sharded" in p:
                ratios.append(med(p["sharded"], "touches_per_sec_per_vcpu")
                              / med(p["clock"], "touches_per_sec_per_vcpu"))
    return (f"known limit: at 16 vCPUs on 16 cores sharded's throughput is "
            f"{span(ratios, lambda x: f'{x:.2f}')}x clock's ({len(ratios)} cells; "
            f"bench/results/hosts/16cpu-tcg-0019*/summary.csv)")


def line_workloads(root):
    path = "bench/results/workloads/summary.csv"
    runs = {}
    for r in load(os.path.join(root, path)):
        if r["quota"] == "96" and r["pf_taken"]:
            key = (r["vcpus"], r["workload"], r["test"])
            runs.setdefault(key, {}).setdefault(r["policy"], set()).add((r["run"], int(r["pf_taken"])))
    ratios = []
    for pols in runs.values():
        if "fifo" not in pols:
            continue
        base = statistics.median(v for _, v in pols["fifo"])
        ratios += [statistics.median(v for _, v in pols[p]) / base
                   for p in ("clock", "sharded") if p in pols]
    return (f"real guests: stress-ng and redis in a nested guest at quota 96 take "
            f"{span(ratios, lambda x: f'{x:.2f}')}x FIFO's shadow-page faults under clock and "
            f"sharded (medians of 3 runs; {path})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".")
    root = ap.parse_args().root
    for fn in (line_refaults, line_min, line_fault_path, line_throughput, line_workloads):
        print(fn(root))


if __name__ == "__main__":
    main()
