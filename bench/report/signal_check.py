#!/usr/bin/env python3
"""How far the referenced signal is from ideal, on a committed make bench run (default bench/results).

    make -C bench/sim && python3 bench/report/signal_check.py [RESULTS_DIR]

For every hotcold and hotscan cell of RESULTS_DIR/summary.csv it runs the
simulator at the cell's capacity (sim_capacity: quota minus the cell's
median overhead) with KVM's refill batches (--refill 5,25, i.e. at the same
effective capacity as the kernel), once per trace seed of the cell, and
prints the medians over the seeds beside the kernel's medians:
 - the ideal CLOCK of the simulator (one referenced bit, new pages
   unreferenced) and the kernel's clock and sharded mmu_cache_miss as a
   ratio to it (the target: clock within 1.25x);
 - pf_taken of clock and sharded as the share below FIFO's (target T1:
   at least 60 %), beside the frequency oracle LFU* (--lfu, same refill):
   the best a policy without foresight does on independent references,
   its misses counted as faults (a lower bound on its pf_taken).
"""
import csv
import os
import statistics as st
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simrun import TOP, need_sim, run_sim  # noqa: E402


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "bench", "results")
    need_sim()
    cells = {}
    with open(os.path.join(results, "summary.csv")) as f:
        for r in csv.DictReader(f):
            if r["pattern"] in ("hotcold", "hotscan"):
                cells.setdefault((r["pattern"], int(r["quota"]), int(r["vcpus"])), {})[r["policy"]] = r
    print("| pattern | quota | vCPUs | capacity | sim ideal CLOCK (refill) | clock / sim | sharded / sim "
          "| pf_taken below fifo: clock / sharded / sim LFU* |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    worst = 0.0
    for key in sorted(cells):
        pols = cells[key]
        c0 = pols["clock"]
        cap = int(float(c0["sim_capacity"]))
        seeds = c0["seeds"].split(";")
        sims = [run_sim(c0, s, cap, ["--refill", "5,25", "--lfu"]) for s in seeds]
        ideal = st.median(x["clock_misses"] for x in sims)
        lfu = st.median(x["lfu_oracle_misses"] for x in sims)
        ratio = {p: float(pols[p]["mmu_cache_miss_median"]) / ideal for p in ("clock", "sharded")}
        worst = max(worst, ratio["clock"])
        fifo = float(pols["fifo"]["pf_taken_median"])
        below = [100 * (1 - float(pols[p]["pf_taken_median"]) / fifo) for p in ("clock", "sharded")]
        below.append(100 * (1 - lfu / fifo))
        print(f"| {key[0]} | {key[1]} | {key[2]} | {cap} | {ideal:.0f} | {ratio['clock']:.2f}x | "
              f"{ratio['sharded']:.2f}x | " + " / ".join(f"{b:.0f} %" for b in below) + " |")
    print(f"\nclock's largest ratio to the ideal CLOCK: {worst:.2f}x (target <= 1.25x)")


if __name__ == "__main__":
    main()
