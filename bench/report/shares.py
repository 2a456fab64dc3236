#!/usr/bin/env python3
"""Sharded against clock, kernel by kernel: what each mechanism is worth.

    python3 bench/report/shares.py [--p99] [--worker] [--switches] LABEL=RUNS_CSV [LABEL=RUNS_CSV ...]

Each RUNS_CSV is one boot of a kernel (the series, or the series with one
mechanism reverted: bench/variants/) that ran clock and sharded side by
side.  Per cell (pattern, vCPUs, quota) and kernel it prints sharded's
median over clock's, with the 95 % bootstrap interval report.py uses, for
  lock     mmu_lock held by faults (their reclaims included) plus the
           worker: fault_lock_ns + evict_lock_ns - evict_direct_lock_ns
  fault    fault handling proper: fault_lock_ns - evict_direct_lock_ns
  tput     touches per second per vCPU (higher is better)
  refault  mmu_cache_miss
and sharded's own direct (fault-path) evictions as a share of all it
evicted (evict_direct_zapped / mmu_shadow_zapped),
and its waits; with --p99, also the 99th percentile of the touch
latency (touch_p99_cyc, lower is better); with --worker, the CPU time of
sharded's worker over the measured phase, in CPUs (worker_cpu_ns /
measure_ns; the L1 guest of the 2-core VM has 2); with --switches, the
involuntary context switches of all vCPU threads over the measured
phase (vcpu_invol_switches: preemptions), sharded's median and clock's,
and sharded's voluntary ones (vcpu_vol_switches: sleeps, e.g. waits for
room).  Ratios within one boot cancel the day's speed of the
machine; compare kernels by their ratios, not their raw figures.
"""
import csv
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

NEED = ["pattern", "vcpus", "quota", "policy", "seed", "fault_lock_ns", "evict_lock_ns",
        "evict_direct_lock_ns", "touches_per_sec_per_vcpu", "mmu_cache_miss",
        "evict_direct_zapped", "mmu_shadow_zapped", "evict_waits"]


def load(path):
    cells = {}
    with open(path) as f:
        rd = csv.DictReader(f)
        missing = [c for c in NEED if c not in (rd.fieldnames or [])]
        if missing:
            sys.exit(f"{path}: no column(s) {', '.join(missing)}")
        for r in rd:
            row = {"seed": r["seed"],
                   "lock": float(r["fault_lock_ns"]) + float(r["evict_lock_ns"]) -
                   float(r["evict_direct_lock_ns"]),
                   "fault": float(r["fault_lock_ns"]) - float(r["evict_direct_lock_ns"]),
                   "tput": float(r["touches_per_sec_per_vcpu"]),
                   "refault": float(r["mmu_cache_miss"]),
                   "direct": float(r["evict_direct_zapped"]),
                   "zapped": float(r["mmu_shadow_zapped"]),
                   "waits": float(r["evict_waits"]),
                   "p99": float(r.get("touch_p99_cyc") or 0),
                   "worker": (float(r["worker_cpu_ns"]) / float(r["measure_ns"])
                              if r.get("worker_cpu_ns") and float(r["measure_ns"]) else None),
                   "invol": (float(r["vcpu_invol_switches"])
                             if r.get("vcpu_invol_switches") else None),
                   "vol": (float(r["vcpu_vol_switches"])
                           if r.get("vcpu_vol_switches") else None)}
            key = (r["pattern"], int(r["vcpus"]), int(r["quota"]))
            cells.setdefault(key, {}).setdefault(r["policy"], []).append(row)
    return cells


def ratio(cell, m):
    s, c = cell.get("sharded"), cell.get("clock")
    if not s or not c:
        return ""
    cm = statistics.median(r[m] for r in c)
    if not cm:
        return ""
    point = statistics.median(r[m] for r in s) / cm
    lo, hi = report.bootstrap([s, c], report.ratio_of(m, "sharded", "clock"))
    return f"{point:.2f} [{lo:.2f}-{hi:.2f}]" if lo is not None else f"{point:.2f}"


def direct_share(cell):
    s = cell.get("sharded")
    if not s:
        return ""
    vals = [r["direct"] / r["zapped"] for r in s if r["zapped"]]
    return f"{100 * statistics.median(vals):.1f} %" if vals else ""


def worker_cpus(cell):
    vals = [r["worker"] for r in cell.get("sharded", []) if r["worker"] is not None]
    return f"{statistics.median(vals):.2f}" if vals else "-"


def switches(cell):
    def med(pol, m):
        vals = [r[m] for r in cell.get(pol, []) if r[m] is not None]
        return f"{statistics.median(vals):.0f}" if vals else "-"
    return f"{med('sharded', 'invol')} ({med('clock', 'invol')}) | {med('sharded', 'vol')}"


def main(argv):
    p99, worker, sw = "--p99" in argv, "--worker" in argv, "--switches" in argv
    argv = [a for a in argv if a not in ("--p99", "--worker", "--switches")]
    if not argv or any("=" not in a for a in argv):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    kernels = [(a.split("=", 1)[0], load(a.split("=", 1)[1])) for a in argv]
    keys = sorted(set().union(*(k.keys() for _, k in kernels)))
    print("| cell | kernel | lock, sharded/clock | fault proper | tput, sharded/clock "
          "| refaults, sharded/clock | sharded direct | sharded waits |" +
          (" p99 touch, sharded/clock |" if p99 else "") +
          (" sharded worker, CPUs |" if worker else "") +
          (" vCPU preemptions, sharded (clock) | vCPU sleeps, sharded |" if sw else ""))
    print("|---|---|---|---|---|---|---:|---:|" + ("---|" if p99 else "") + ("---:|" if worker else "") +
          ("---:|---:|" if sw else ""))
    for key in keys:
        for label, cells in kernels:
            cell = cells.get(key)
            if not cell:
                continue
            w = cell.get("sharded")
            waits = f"{statistics.median(r['waits'] for r in w):.0f}" if w else ""
            print(f"| {key[0]} {key[1]}v q{key[2]} | {label} | {ratio(cell, 'lock')} "
                  f"| {ratio(cell, 'fault')} | {ratio(cell, 'tput')} | {ratio(cell, 'refault')} | {direct_share(cell)} "
                  f"| {waits} |" + (f" {ratio(cell, 'p99')} |" if p99 else "") +
                  (f" {worker_cpus(cell)} |" if worker else "") +
                  (f" {switches(cell)} |" if sw else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
