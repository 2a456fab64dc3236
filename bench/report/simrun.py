"""Run the simulator (build/bench-sim/sim) for one cell and seed.

Shared by bench/report/signal_check.py and
bench/report/signal_table.py.
"""
import csv
import io
import os
import subprocess
import sys

TOP = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
SIM = os.path.join(TOP, "build", "bench-sim", "sim")


def need_sim():
    if not os.access(SIM, os.X_OK):
        sys.exit(f"{SIM} is missing: run 'make -C bench/sim' first")


def run_sim(cell, seed, cap, extra):
    """Misses in the measured phase, by sim CSV column name.

    cell: a mapping with pattern, regions, vcpus, warmup, steps (strings or
    numbers); extra: sim options, e.g. ["--refill", "5,25", "--lfu"].
    """
    cmd = [SIM, "--pattern", str(cell["pattern"]), "--regions", str(cell["regions"]),
           "--vcpus", str(cell["vcpus"]), "--warmup", str(cell["warmup"]),
           "--steps", str(cell["steps"]), "--seed", str(seed),
           "--capacity", str(cap), "--csv", "--header"] + list(extra)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    row = next(csv.DictReader(io.StringIO(out)))
    return {k: int(v) for k, v in row.items() if k.endswith("_misses")}
