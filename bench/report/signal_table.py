#!/usr/bin/env python3
"""Predicted against measured share of one signal change, one table.

Run from the repository root after `make -C bench/sim` (it calls
build/bench-sim/sim):

    python3 bench/report/signal_table.py probation
    python3 bench/report/signal_table.py age
    python3 bench/report/signal_table.py     # both, one table

The folder (bench/results/experiments/probation/ or age/) holds two boots of one kernel, `off/`
(the change switched off by a kernel parameter) and `on/` (the defaults).
For every hotcold/hotscan cell it prints
 - the simulator's CLOCK at the cell's capacity (quota minus the cell's
   lower-median overhead, as report.py does) with KVM's refill batches
   (--refill 5,25), modelled without the change and with it (CHANGES
   below), and the predicted change;
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
import sys

from simrun import TOP, need_sim, run_sim

EXPERIMENTS = os.path.join(TOP, "bench", "results", "experiments")

# Simulator flags for the kernel without and with each change.  Each change
# is measured on top of the ones before it (probation, then age).
CHANGES = {
    "probation": (["--new-referenced"], []),
    "age": ([], ["--age", "2"]),
}


def load(folder, variant):
    cells = {}
    with open(os.path.join(EXPERIMENTS, folder, variant, "runs.csv")) as f:
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
    m = run_sim(r0, r0["seed"], cap, ["--refill", "5,25", "--lfu"] + extra)
    # With --age the aged CLOCK is the policy modelled.
    return {"clock": m["aged_clock_misses" if "--age" in extra else "clock_misses"],
            "lfu": m["lfu_oracle_misses"]}


def pct(new, old):
    return f"{100.0 * (new - old) / old:+.0f} %"


def one(change):
    without, with_ = CHANGES[change]
    off, on = load(change, "off"), load(change, "on")
    print(f"| pattern | quota | vCPUs | capacity | sim clock: without / with {change} (change) "
          "| clock measured off / on (change) | sharded measured off / on (change) "
          "| pf_taken vs fifo, on: clock / sharded / sim LFU* |")
    print("|---|---:|---:|---:|---|---|---|---|")
    for key in sorted(on):
        pat, q, v = key
        if pat not in ("hotcold", "hotscan"):
            continue
        rows = on[key]["clock"]
        cap = q - int(lower_median([float(r["overhead"]) for r in rows]))
        a = sim(rows[0], cap, without)
        b = sim(rows[0], cap, with_)
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


def combined():
    """Each change's share in one table: refault change predicted / measured."""
    data = {c: (load(c, "off"), load(c, "on")) for c in CHANGES}
    print("| pattern | quota | vCPUs | " + " | ".join(
        f"{c}: sim / clock / sharded" for c in CHANGES) + " | both, measured: clock / sharded |")
    print("|---|---:|---:|" + "---|" * (len(CHANGES) + 1))
    first, last = list(CHANGES)[0], list(CHANGES)[-1]
    for key in sorted(data[first][1]):
        pat, q, v = key
        if pat not in ("hotcold", "hotscan"):
            continue
        parts = []
        for c, (off, on) in data.items():
            rows = on[key]["clock"]
            cap = q - int(lower_median([float(r["overhead"]) for r in rows]))
            a = sim(rows[0], cap, CHANGES[c][0])["clock"]
            b = sim(rows[0], cap, CHANGES[c][1])["clock"]
            m = [pct(med(on[key][p], "mmu_cache_miss"), med(off[key][p], "mmu_cache_miss"))
                 for p in ("clock", "sharded")]
            parts.append(f"{pct(b, a)} / {m[0]} / {m[1]}")
        both = [pct(med(data[last][1][key][p], "mmu_cache_miss"),
                    med(data[first][0][key][p], "mmu_cache_miss")) for p in ("clock", "sharded")]
        print(f"| {pat} | {q} | {v} | " + " | ".join(parts) + f" | {both[0]} / {both[1]} |")


def main():
    if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1] not in CHANGES):
        sys.exit(f"usage: {sys.argv[0]} [{'|'.join(CHANGES)}]  (no argument: one table of both)")
    need_sim()
    if len(sys.argv) == 2:
        one(sys.argv[1])
    else:
        combined()

if __name__ == "__main__":
    main()
