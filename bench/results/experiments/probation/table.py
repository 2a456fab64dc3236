#!/usr/bin/env python3
"""Predicted against measured share of probation (patch 0018), one table.

Run from the repository root after `make -C bench/sim` (it calls
build/bench-sim/sim):

    python3 bench/results/experiments/probation/table.py

For every hotcold/hotscan cell of the two boots (`off/`: with
kvm.shadow_evict_probation=N, `on/`: the default) it prints
 - the simulator's CLOCK at the cell's capacity (quota minus the cell's
   lower-median overhead, as report.py does) with KVM's refill batches
   (--refill 5,25), once with new pages referenced (--new-referenced: the
   kernel without probation) and once without (probation), and the
   predicted change;
 - the measured mmu_cache_miss of clock and sharded (median of the reps),
   off and on, and the measured change;
 - pf_taken of clock and sharded with probation on, relative to FIFO's in
   the same boot (target T1 of the benchmark: at least 60 % fewer), and the
   simulator's frequency oracle LFU* (--lfu, same refill) as the bound for
   a policy without foresight.
"""
import csv
import os
import statistics as st
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SIM = os.path.join(HERE, "..", "..", "..", "..", "build", "bench-sim", "sim")


def load(variant):
    cells = {}
    with open(os.path.join(HERE, variant, "runs.csv")) as f:
        for r in csv.DictReader(f):
            key = (r["pattern"], int(r["quota"]), int(r["vcpus"]))
            cells.setdefault(key, {}).setdefault(r["policy"], []).append(r)
    return cells


def med(rows, col):
    return st.median(float(r[col]) for r in rows)


def lower_median(xs):
    xs = sorted(xs)
    return xs[(len(xs) - 1) // 2]


def sim(r0, cap, extra):
    cmd = [SIM, "--pattern", r0["pattern"], "--regions", r0["regions"],
           "--vcpus", r0["vcpus"], "--warmup", r0["warmup"], "--steps",
           r0["steps"], "--seed", r0["seed"], "--capacity", str(cap),
           "--refill", "5,25", "--lfu", "--csv"] + extra
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    f = out.strip().split(",")
    # ...,capacity,accesses,fifo,clock,min,lfu
    return {"clock": int(f[9]), "lfu": int(f[11])}


def pct(new, old):
    return f"{100.0 * (new - old) / old:+.0f} %"


def main():
    if not os.access(SIM, os.X_OK):
        sys.exit(f"{SIM} is missing: run 'make -C bench/sim' first")
    off, on = load("off"), load("on")
    print("| pattern | quota | vCPUs | capacity | sim clock: free lap / probation (change) "
          "| clock measured off / on (change) | sharded measured off / on (change) "
          "| pf_taken vs fifo, on: clock / sharded / sim LFU* |")
    print("|---|---:|---:|---:|---|---|---|---|")
    for key in sorted(on):
        pat, q, v = key
        if pat not in ("hotcold", "hotscan"):
            continue
        rows = on[key]["clock"]
        cap = q - int(lower_median([float(r["overhead"]) for r in rows]))
        a = sim(rows[0], cap, ["--new-referenced"])
        b = sim(rows[0], cap, [])
        cells = []
        for pol in ("clock", "sharded"):
            x = med(off[key][pol], "mmu_cache_miss")
            y = med(on[key][pol], "mmu_cache_miss")
            cells.append(f"{x:.0f} / {y:.0f} ({pct(y, x)})")
        fifo = med(on[key]["fifo"], "pf_taken")
        t1 = " / ".join(f"{100 * (1 - med(on[key][p], 'pf_taken') / fifo):.0f} %"
                        for p in ("clock", "sharded"))
        # The oracle's misses stand in for its pf_taken (a lower bound).
        t1 += f" / {100 * (1 - b['lfu'] / fifo):.0f} %"
        print(f"| {pat} | {q} | {v} | {cap} | {a['clock']} / {b['clock']} "
              f"({pct(b['clock'], a['clock'])}) | {cells[0]} | {cells[1]} | {t1} |")


if __name__ == "__main__":
    main()
