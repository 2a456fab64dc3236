#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark report: summary CSV, targets, markdown report and PNG charts.

  report.py --runs runs.csv --sim sim.csv --out DIR --machine TEXT --accel TCG|KVM
            [--kernel TEXT] [--command TEXT] [--date TEXT] [--see FILE ...] [--no-charts]
  report.py --again DIR [--out OUT]     (DIR/REPORT.md again, from DIR's CSVs)

runs.csv: one row per run, made in the guest (columns: RUNS_REQUIRED; extra
columns are ignored).  sim.csv: bench/sim --csv --header output.  Writes
DIR/summary.csv, DIR/targets.csv, DIR/REPORT.md and DIR/*.png, and prints
the headline table.  Exit status 2 on bad input.
"""
import argparse
import csv
import datetime
import os
import random
import re
import statistics
import sys

RUNS_KEY = ["pattern", "vcpus", "quota", "regions", "warmup", "steps"]
RUNS_METRICS = [
    "overhead", "pf_taken", "mmu_cache_miss", "mmu_recycled",
    "mmu_shadow_zapped", "evict_scanned", "evict_ref_skips",
    "evict_young_skips", "evict_wakeups", "evict_batches", "evict_direct",
    "evict_lock_ns", "evict_lock_max_ns", "measure_ns",
    "touches_per_sec_per_vcpu",
]
# Columns of newer shadow_bench builds (the lock-hold split, the ready list
# and in-guest touch latency): summarised and reported when every run has them.
OPTIONAL_METRICS = [
    "evict_direct_lock_ns", "evict_direct_zapped", "fault_lock_ns",
    "evict_readied", "evict_ready_stale", "touch_p50_cyc", "touch_p99_cyc",
    "exit_touches", "exit_p50_cyc", "exit_p99_cyc", "evict_waits",
    "evict_wait_ns",
]
RUNS_REQUIRED = ["rep", "policy", "pattern", "vcpus", "quota", "regions",
                 "warmup", "steps", "seed"] + RUNS_METRICS
SIM_REQUIRED = ["pattern", "vcpus", "regions", "warmup", "steps", "seed",
                "capacity", "accesses", "fifo_misses", "clock_misses",
                "min_misses"]
SIM_COLS = ["fifo_misses", "clock_misses", "min_misses"]
LOCKSTAT_REQUIRED = ["rep", "policy", "pattern", "vcpus", "quota",
                     "mmu_lock_contentions", "mmu_lock_wait_ns", "evict_lock_ns"]
INT_COLS = {"vcpus", "quota", "regions", "warmup", "steps", "seed", "rep",
            "capacity", "accesses"}
POLICIES = ["fifo", "clock", "sharded"]
# Metrics whose median gets a 95 % bootstrap interval in summary.csv.
CI_METRICS = ["pf_taken", "mmu_cache_miss", "touches_per_sec_per_vcpu", "evict_lock_ns"]
BOOT_N = 1000
# A hand-written reading beside REPORT.md names the run it reads.
ANALYSIS = "ANALYSIS.md"
BOOT_SEED = 20261127
TARGET_PATTERNS = ["hotcold", "hotscan"]
LOCK_VCPUS = {8, 16}


class InputError(Exception):
    pass


def read_csv(path, required, what):
    try:
        with open(path, newline="") as f:
            reader = csv.reader(f)
            header = [h.strip() for h in next(reader, [])]
            rows = [dict(zip(header, rec)) for rec in reader if rec]
    except OSError as e:
        raise InputError(f"cannot read {what} CSV {path}: {e.strerror}")
    if not header:
        raise InputError(f"{what} CSV {path} is empty (no header line)")
    missing = [c for c in required if c not in header]
    if missing:
        raise InputError(f"{what} CSV {path} lacks required column(s): "
                         f"{', '.join(missing)} (has: {', '.join(header)})")
    out = []
    for lineno, row in enumerate(rows, start=2):
        r = dict(row)
        for c in required:
            v = (row.get(c) or "").strip()
            if c in ("pattern", "policy"):
                if not v:
                    raise InputError(f"{path}:{lineno}: empty {c}")
                r[c] = v
                continue
            try:
                r[c] = int(v) if c in INT_COLS else float(v)
            except ValueError:
                raise InputError(f"{path}:{lineno}: {c} is not a number: {v!r}")
        out.append(r)
    return out


def fmt(v):
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e18:
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"
    return str(v)


def fmt_range(s, m):
    """median [95 % interval] of metric m in summary entry s where it has one
    (CI_METRICS), median [min-max] otherwise."""
    if not s:
        return "-"
    if m + "_lo95" in s:
        med, lo, hi = (s[m + "_median"], s[m + "_lo95"], s[m + "_hi95"])
    else:
        med, lo, hi = (s[m + "_median"], s[m + "_min"], s[m + "_max"])
    if lo == hi:
        return f"{fmt(med)}"
    return f"{fmt(med)} [{fmt(lo)}–{fmt(hi)}]"


def pct(x):
    return f"{100 * x:.1f} %"


def policy_order(p):
    return (POLICIES.index(p) if p in POLICIES else len(POLICIES), p)


def cell_label(key):
    pattern, vcpus, quota = key[0], key[1], key[2]
    return f"{pattern} {vcpus}v q{quota}"


def lower_median(vals):
    vals = sorted(vals)
    return vals[(len(vals) - 1) // 2]


def strata(rows):
    """Runs grouped by trace seed: the bootstrap resamples within each seed,
    so every resample keeps the seeds' mix."""
    by = {}
    for r in rows:
        by.setdefault(r.get("seed", 0), []).append(r)
    return [by[k] for k in sorted(by)]


def bootstrap(groups, stat, n=BOOT_N):
    """95 % percentile interval of stat(*groups) over n stratified resamples
    of each group (a list of runs); None where stat gives None.  Seeded, so
    a report recomputes to the same figures."""
    rng = random.Random(BOOT_SEED)
    strat = [strata(g) for g in groups]
    vals = []
    for _ in range(n):
        sample = [[r for st in sts for r in rng.choices(st, k=len(st))] for sts in strat]
        v = stat(*sample)
        if v is not None:
            vals.append(v)
    if not vals:
        return None, None
    vals.sort()
    return vals[int(0.025 * (len(vals) - 1))], vals[-1 - int(0.025 * (len(vals) - 1))]


def med_of(m):
    """Statistic: the median of metric m over a list of runs."""
    return lambda rows: statistics.median(r[m] for r in rows)


def judge(point, lo, hi, ok):
    """MET / MISSED when the whole interval is on one side of the threshold
    (ok(x) says x meets it), WITHIN NOISE when the interval straddles it."""
    if lo is None:
        return "MET" if ok(point) else "MISSED"
    a, b = ok(lo), ok(hi)
    if a and b:
        return "MET"
    if not a and not b:
        return "MISSED"
    return "WITHIN NOISE"


def ci_text(lo, hi, f):
    return "" if lo is None or lo == hi else f" [95 % CI {f(lo)}–{f(hi)}]"


def match_sim(rows, sims_by_trace):
    """The sim rows for a cell (all its runs, every policy): one per seed.

    The capacity is what the quota leaves for the regions' last-level pages:
    quota - overhead, with the cell's lower-median overhead (as
    bench/bench.sh computes it).  A sim CSV that carries a quota column is
    matched on the quota instead.  Failing both, any run's own
    quota - overhead that the sim CSV has.
    """
    quota = rows[0]["quota"]
    cap = quota - int(lower_median([r["overhead"] for r in rows]))
    found = []
    for seed in sorted({r["seed"] for r in rows}):
        r0 = rows[0]
        cands = sims_by_trace.get((r0["pattern"], r0["vcpus"], r0["regions"],
                                   r0["warmup"], r0["steps"], seed), [])
        pick = [s for s in cands if str(s.get("quota", "")).strip() == str(quota)]
        pick = pick or [s for s in cands if s["capacity"] == cap]
        if not pick:
            own = sorted({quota - int(r["overhead"]) for r in rows if r["seed"] == seed})
            pick = [s for s in cands if s["capacity"] in own]
        if pick:
            found.append(pick[0])
    return cap, found


def optional_metrics(runs):
    """The OPTIONAL_METRICS every run has, converted to numbers in place."""
    have = [m for m in OPTIONAL_METRICS
            if all(str(r.get(m) or "").strip() for r in runs)]
    for r in runs:
        for m in have:
            try:
                r[m] = float(r[m])
            except ValueError:
                raise InputError(f"runs CSV: {m} is not a number: {r[m]!r}")
    return have


def summarize(runs, sims, metrics=RUNS_METRICS):
    """Per (cell, policy): median/min/max of each metric, matched sim row."""
    sims_by_trace = {}
    for s in sims:
        k = (s["pattern"], s["vcpus"], s["regions"], s["warmup"], s["steps"], s["seed"])
        sims_by_trace.setdefault(k, []).append(s)
    groups, cells = {}, {}
    for r in runs:
        key = tuple(r[c] for c in RUNS_KEY)
        groups.setdefault((key, r["policy"]), []).append(r)
        cells.setdefault(key, []).append(r)
    sim_of_cell = {k: match_sim(rows, sims_by_trace) for k, rows in cells.items()}
    summary = {}
    for (key, policy), rows in groups.items():
        e = {"key": key, "policy": policy, "reps": len(rows),
             "seeds": ";".join(str(s) for s in sorted({r["seed"] for r in rows}))}
        e["metrics"] = metrics
        e["rows"] = rows
        for m in metrics:
            vals = [r[m] for r in rows]
            e[m + "_median"] = float(statistics.median(vals))
            e[m + "_min"] = float(min(vals))
            e[m + "_max"] = float(max(vals))
        for m in CI_METRICS:
            lo, hi = bootstrap([rows], med_of(m))
            e[m + "_lo95"], e[m + "_hi95"] = float(lo), float(hi)
        cap, found = sim_of_cell[key]
        e["sim_capacity"] = (statistics.median([s["capacity"] for s in found])
                             if found else cap)
        for c in SIM_COLS:
            e["sim_" + c] = (float(statistics.median([s[c] for s in found]))
                             if found else None)
        summary[(key, policy)] = e
    return summary


def cells_of(summary):
    return sorted({k for (k, _p) in summary},
                  key=lambda k: (k[0], k[1], k[2], k[3:]))


def sim_of(summary, key):
    """The sim's values for a cell (any policy's match; they share a trace)."""
    for p in POLICIES + sorted({p for (_k, p) in summary}):
        e = summary.get((key, p))
        if e and e["sim_min_misses"] is not None:
            return e
    return None


def write_summary(path, summary):
    metrics = next(iter(summary.values()))["metrics"] if summary else RUNS_METRICS
    cols = RUNS_KEY + ["policy", "reps", "seeds", "sim_capacity"]
    for m in metrics:
        cols += [m + "_median", m + "_min", m + "_max"]
    cols += [m + s for m in CI_METRICS for s in ("_lo95", "_hi95")]
    cols += ["sim_" + c for c in SIM_COLS]
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for key in cells_of(summary):
            for p in sorted({p for (k, p) in summary if k == key}, key=policy_order):
                e = summary[(key, p)]
                row = list(key) + [p, e["reps"], e["seeds"], fmt(e["sim_capacity"])]
                for m in metrics:
                    row += [fmt(e[m + s]) for s in ("_median", "_min", "_max")]
                row += [fmt(e[m + s]) for m in CI_METRICS for s in ("_lo95", "_hi95")]
                row += [fmt(e["sim_" + c]) for c in SIM_COLS]
                w.writerow(row)


# ---- targets ---------------------------------------------------------------

def ratio_of(m, num, den):
    """Statistic over (numerator runs, denominator runs): median ratio."""
    def stat(a, b):
        d = statistics.median(r[m] for r in b)
        return statistics.median(r[m] for r in a) / d if d else None
    return stat


def refaults_vs_clock(target, cells, rows, limit):
    """Sharded's mmu_cache_miss at most (1 + limit) x clock's, per cell."""
    out = []
    for k in cells:
        c, s = rows(k, "clock"), rows(k, "sharded")
        if not c or not s:
            out.append((target, k, "sharded", "clock or sharded not run", "NOT RUN"))
            continue
        cm, sm = med_of("mmu_cache_miss")(c), med_of("mmu_cache_miss")(s)
        stat = ratio_of("mmu_cache_miss", "sharded", "clock")
        point = sm / cm if cm else (1.0 if sm == 0 else float("inf"))
        lo, hi = bootstrap([s, c], stat) if cm else (None, None)
        sign = lambda x: f"{'+' if x >= 1 else ''}{pct(x - 1)}"
        out.append((target, k, "sharded", f"mmu_cache_miss sharded {fmt(sm)} vs clock "
                    f"{fmt(cm)}: {sign(point)}{ci_text(lo, hi, sign)} "
                    f"(need <= +{round(100 * limit)} %)",
                    judge(point, lo, hi, lambda x: x <= 1 + limit + 1e-12)))
    return out


def evaluate_targets(summary, lockstat=None):
    """Rows: (target id, cell key or None, policy, numbers text, verdict).

    Each target is a statistic of the cell's runs (medians over seeds and
    reps); its 95 % bootstrap interval decides: MET or MISSED when the whole
    interval is on one side of the threshold, WITHIN NOISE when it straddles.
    """
    cells = [k for k in cells_of(summary) if k[0] in TARGET_PATTERNS]
    below = []
    for k in cells:
        caps = [summary[(k, p)]["sim_capacity"] for p in POLICIES if (k, p) in summary]
        regions = k[3]
        # Quota below the working set: fewer region pages fit than regions.
        if caps and min(caps) < regions:
            below.append(k)
    out = []

    def rows(k, p):
        e = summary.get((k, p))
        return e["rows"] if e else None

    # T1: clock and sharded >= 60 % fewer pf_taken than fifo.
    for k in below:
        for p in ("clock", "sharded"):
            f, v = rows(k, "fifo"), rows(k, p)
            if not f or not v:
                out.append(("T1", k, p, f"fifo {'run' if f else 'not run'}, "
                            f"{p} {'run' if v else 'not run'}", "NOT RUN"))
                continue
            fm, vm = med_of("pf_taken")(f), med_of("pf_taken")(v)
            stat = lambda a, b: (1 - med_of("pf_taken")(a) / med_of("pf_taken")(b)
                                 if med_of("pf_taken")(b) else None)
            point = 1 - vm / fm if fm else 0.0
            lo, hi = bootstrap([v, f], stat)
            out.append(("T1", k, p, f"pf_taken {p} {fmt(vm)} vs fifo {fmt(fm)}: "
                        f"{pct(point)} fewer{ci_text(lo, hi, pct)} (need >= 60 %)",
                        judge(point, lo, hi, lambda x: x >= 0.60 - 1e-12)))
    # T2: sharded within 10 % of clock's refaults.
    out += refaults_vs_clock("T2", below, rows, 0.10)
    # T3: sharded evict_lock_ns <= clock / 5 at 8 and 16 vCPUs.
    lock_cells = [k for k in below if k[1] in LOCK_VCPUS]
    if not lock_cells:
        out.append(("T3", None, "sharded", "no hotcold/hotscan runs at 8 or 16 vCPUs "
                    "with a quota below the working set", "NOT RUN"))
    for k in lock_cells:
        c, s = rows(k, "clock"), rows(k, "sharded")
        if not c or not s:
            out.append(("T3", k, "sharded", "clock or sharded not run", "NOT RUN"))
            continue
        cm, sm = med_of("evict_lock_ns")(c), med_of("evict_lock_ns")(s)
        if not sm:
            out.append(("T3", k, "sharded", f"evict_lock_ns sharded 0 vs clock {fmt(cm)}: "
                        "none held (need >= 5x less)", "MET"))
            continue
        lo, hi = bootstrap([c, s], ratio_of("evict_lock_ns", "clock", "sharded"))
        x = lambda v: f"{v:.1f}x"
        out.append(("T3", k, "sharded", f"evict_lock_ns sharded {fmt(sm)} vs clock "
                    f"{fmt(cm)}: {cm / sm:.1f}x less{ci_text(lo, hi, x)} (need >= 5x)",
                    judge(cm / sm, lo, hi, lambda v: v >= 5 - 1e-12)))
    # T4: throughput sharded >= clock.
    m = "touches_per_sec_per_vcpu"
    for k in below:
        c, s = rows(k, "clock"), rows(k, "sharded")
        if not c or not s:
            out.append(("T4", k, "sharded", "clock or sharded not run", "NOT RUN"))
            continue
        cm, sm = med_of(m)(c), med_of(m)(s)
        point = sm / cm if cm else 1.0
        lo, hi = bootstrap([s, c], ratio_of(m, "sharded", "clock"))
        rel = lambda v: f"{'+' if v >= 1 else ''}{pct(v - 1)}"
        out.append(("T4", k, "sharded", f"touches/s/vCPU sharded {fmt(sm)} vs clock "
                    f"{fmt(cm)}: {rel(point)}{ci_text(lo, hi, rel)} (need >= 0)",
                    judge(point, lo, hi, lambda v: v >= 1 - 1e-12)))
    # T5: clock and sharded misses within 2x of MIN (the sim: one value per seed).
    for k in below:
        for p in ("clock", "sharded"):
            v = rows(k, p)
            e = summary.get((k, p))
            mn = e["sim_min_misses"] if e else None
            if not v or mn is None:
                why = f"{p} not run" if not v else "no sim row for this capacity"
                out.append(("T5", k, p, why, "NOT RUN"))
                continue
            vm = med_of("mmu_cache_miss")(v)
            if not mn:
                out.append(("T5", k, p, f"mmu_cache_miss {p} {fmt(vm)} vs MIN 0",
                            "MET" if vm == 0 else "MISSED"))
                continue
            lo, hi = bootstrap([v], lambda a: med_of("mmu_cache_miss")(a) / mn)
            x = lambda r: f"{r:.2f}x"
            out.append(("T5", k, p, f"mmu_cache_miss {p} {fmt(vm)} vs MIN {fmt(mn)}: "
                        f"{vm / mn:.2f}x{ci_text(lo, hi, x)} (need <= 2x)",
                        judge(vm / mn, lo, hi, lambda r: r <= 2 + 1e-12)))
    out += sharded_targets(summary, below, rows, lockstat)
    for t in ("T1", "T2", "T4", "T5"):
        if not any(r[0] == t for r in out):
            out.append((t, None, "-", "no hotcold/hotscan runs with a quota below "
                        "the working set", "NOT RUN"))
    order = {t: i for i, t in enumerate(TARGETS)}
    out.sort(key=lambda r: (order[r[0]], r[1] or (), r[2]))
    return out


def sharded_targets(summary, below, rows, lockstat):
    """S1-S4: the targets the sharded policy is measured against."""
    out = []
    have_direct = any("evict_direct_zapped" in e["metrics"] for e in summary.values())

    def share(a):
        return statistics.median(r["evict_direct_zapped"] / r["mmu_recycled"]
                                 if r["mmu_recycled"] else 0.0 for r in a)
    # S1: sharded's direct evictions at most 5 % of its evictions (per run).
    for k in below:
        s = rows(k, "sharded")
        if not s or not have_direct:
            out.append(("S1", k, "sharded", "sharded not run, or runs without "
                        "evict_direct_zapped", "NOT RUN"))
            continue
        d, z = med_of("evict_direct_zapped")(s), med_of("mmu_recycled")(s)
        point = share(s)
        lo, hi = bootstrap([s], share)
        out.append(("S1", k, "sharded", f"direct {fmt(d)} of {fmt(z)} evicted: "
                    f"{pct(point)}{ci_text(lo, hi, pct)} (need <= 5 %)",
                    judge(point, lo, hi, lambda x: x <= 0.05 + 1e-12)))
    # S2: sharded's refaults within 5 % of clock's.
    out += refaults_vs_clock("S2", below, rows, 0.05)
    # S3: total throughput at the most vCPUs: sharded >= 1.3x clock, and
    # no more than 10 % below sharded's own at 4 vCPUs.
    m = "touches_per_sec_per_vcpu"
    top = max((k[1] for k in below), default=None)
    for k in [k for k in below if k[1] == top and top > 4]:
        c, s = rows(k, "clock"), rows(k, "sharded")
        # Steps are per vCPU (the run's total divided), so match the rest.
        k4 = next((kk for kk in cells_of(summary)
                   if kk[0] == k[0] and kk[1] == 4 and kk[2:4] == k[2:4]), None)
        s4 = rows(k4, "sharded") if k4 else None
        if not c or not s or not s4:
            out.append(("S3", k, "sharded", "clock or sharded (or sharded at 4 vCPUs) "
                        "not run", "NOT RUN"))
            continue
        sm, cm, s4m = med_of(m)(s), med_of(m)(c), med_of(m)(s4)
        tot, ctot, tot4 = sm * k[1], cm * k[1], s4m * 4
        r1, r2 = tot / ctot if ctot else 0.0, tot / tot4 if tot4 else 0.0
        lo1, hi1 = bootstrap([s, c], ratio_of(m, "sharded", "clock"))
        lo2, hi2 = bootstrap([s, s4], lambda a, b: (med_of(m)(a) * k[1] / (med_of(m)(b) * 4)
                                                     if med_of(m)(b) else None))
        v1 = judge(r1, lo1, hi1, lambda x: x >= 1.3 - 1e-12)
        v2 = judge(r2, lo2, hi2, lambda x: x >= 0.9 - 1e-12)
        verdict = ("MISSED" if "MISSED" in (v1, v2) else
                   "WITHIN NOISE" if "WITHIN NOISE" in (v1, v2) else "MET")
        x = lambda v: f"{v:.2f}x"
        out.append(("S3", k, "sharded", f"total touches/s sharded {fmt(tot)} vs clock "
                    f"{fmt(ctot)} ({r1:.2f}x{ci_text(lo1, hi1, x)}, need >= 1.3x); "
                    f"vs sharded at 4 vCPUs {fmt(tot4)} ({r2:.2f}x{ci_text(lo2, hi2, x)}, "
                    "need >= 0.9x)", verdict))
    # S4 (lockstat boot): sharded's mmu_lock wait at most half clock's at
    # its largest vCPU count.
    if not lockstat:
        out.append(("S4", None, "sharded", "no lockstat boot", "NOT RUN"))
        return out
    groups = {}
    for r in lockstat:
        groups.setdefault((r["pattern"], r["quota"], r["vcpus"], r["policy"]), []).append(r)
    top = max(r["vcpus"] for r in lockstat)
    for (pat, q, v) in sorted({g[:3] for g in groups if g[2] == top}):
        c, s = groups.get((pat, q, v, "clock")), groups.get((pat, q, v, "sharded"))
        key = (pat, v, q)
        if not c or not s:
            out.append(("S4", key, "sharded", "clock or sharded not run", "NOT RUN"))
            continue
        cm, sm = med_of("mmu_lock_wait_ns")(c), med_of("mmu_lock_wait_ns")(s)
        point = sm / cm if cm else 0.0
        lo, hi = bootstrap([s, c], ratio_of("mmu_lock_wait_ns", "sharded", "clock"))
        x = lambda r: f"{r:.2f}x"
        out.append(("S4", key, "sharded", f"mmu_lock wait sharded {fmt(round(sm / 1e6, 1))} ms "
                    f"vs clock {fmt(round(cm / 1e6, 1))} ms: {point:.2f}x{ci_text(lo, hi, x)} "
                    "(need <= 0.5x)", judge(point, lo, hi, lambda r: r <= 0.5 + 1e-12)))
    return out


TARGETS = {
    "T1": "clock and sharded take at least 60 % fewer pf_taken than fifo",
    "T2": "sharded within 10 % of clock's refaults (mmu_cache_miss) at every vCPU count",
    "T3": "sharded holds mmu_lock for eviction (evict_lock_ns) at least 5x less than clock at 8 and 16 vCPUs",
    "T4": "guest throughput (touches/s/vCPU) sharded >= clock at every vCPU count",
    "T5": "clock and sharded refaults (mmu_cache_miss) within 2x of MIN's misses",
    "S1": "sharded's direct (fault-path) evictions at most 5 % of its evictions",
    "S2": "sharded's refaults (mmu_cache_miss) within 5 % of clock's",
    "S3": "at the most vCPUs: sharded's total throughput >= 1.3x clock's and >= 0.9x its own at 4 vCPUs",
    "S4": "lockstat boot, most vCPUs: sharded's total mmu_lock wait at most half clock's",
}


def write_targets(path, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["target", "pattern", "vcpus", "quota", "policy", "verdict", "numbers"])
        for t, k, p, text, verdict in rows:
            w.writerow([t, k[0] if k else "", k[1] if k else "", k[2] if k else "",
                        p, verdict, text])


# ---- tables ----------------------------------------------------------------

def headline(summary):
    lines = ["| pattern | vCPUs | quota | capacity | fifo | clock | sharded | MIN (sim) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k in cells_of(summary):
        sim = sim_of(summary, k)
        any_e = next(summary[(k, p)] for (kk, p) in summary if kk == k)
        cols = [fmt_range(summary.get((k, p)), "pf_taken") for p in POLICIES]
        mn = fmt(sim["sim_min_misses"]) if sim else "-"
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {fmt(any_e['sim_capacity'])} | "
                     + " | ".join(cols) + f" | {mn} |")
    return lines


def refault_table(summary):
    lines = ["| pattern | vCPUs | quota | fifo | clock | sharded | sim FIFO | sim CLOCK | sim MIN |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in cells_of(summary):
        sim = sim_of(summary, k)
        cols = [fmt_range(summary.get((k, p)), "mmu_cache_miss") for p in POLICIES]
        sc = [fmt(sim["sim_" + c]) if sim else "-" for c in SIM_COLS]
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | " + " | ".join(cols + sc) + " |")
    return lines


def lock_table(summary):
    lines = ["| pattern | quota | vCPUs | lock ns fifo | lock ns clock | lock ns sharded "
             "| max hold ns clock | max hold ns sharded "
             "| touches/s/vCPU fifo | clock | sharded |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for k in sorted(cells_of(summary), key=lambda k: (k[0], k[2], k[1])):
        g = [fmt_range(summary.get((k, p)), "evict_lock_ns") for p in POLICIES]
        mx = [fmt_range(summary.get((k, p)), "evict_lock_max_ns") for p in ("clock", "sharded")]
        t = [fmt_range(summary.get((k, p)), "touches_per_sec_per_vcpu") for p in POLICIES]
        lines.append(f"| {k[0]} | {k[2]} | {k[1]} | " + " | ".join(g + mx + t) + " |")
    return lines


def hold_split_table(summary):
    """mmu_lock hold split: fault proper, fault-path eviction, worker (ms)."""
    lines = ["| pattern | quota | vCPUs | policy | fault proper ms | fault-path evict ms "
             "| worker ms | direct share of evictions | touch p50 / p99 cyc "
             "| exits | exit p50 / p99 cyc |",
             "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for k in sorted(cells_of(summary), key=lambda k: (k[0], k[2], k[1])):
        for p in POLICIES:
            e = summary.get((k, p))
            if not e:
                continue
            g = lambda m: e[m + "_median"]
            fault, direct, evict = g("fault_lock_ns"), g("evict_direct_lock_ns"), g("evict_lock_ns")
            share = g("evict_direct_zapped") / g("mmu_recycled") if g("mmu_recycled") else 0.0
            lines.append(
                f"| {k[0]} | {k[2]} | {k[1]} | {p} | {fault / 1e6 - direct / 1e6:.1f} "
                f"| {direct / 1e6:.1f} | {max(evict - direct, 0) / 1e6:.1f} | {pct(share)} "
                f"| {fmt(g('touch_p50_cyc'))} / {fmt(g('touch_p99_cyc'))} "
                f"| {fmt(g('exit_touches'))} | {fmt(g('exit_p50_cyc'))} / {fmt(g('exit_p99_cyc'))} |")
    return lines


def lockstat_table(rows):
    """mmu_lock contention from the lockstat-flavor boot, median [min-max]."""
    groups = {}
    for r in rows:
        groups.setdefault((r["pattern"], r["vcpus"], r["quota"], r["policy"]), []).append(r)

    def rng(vals, scale=1.0):
        vals = sorted(v / scale for v in vals)
        med = statistics.median(vals)
        if vals[0] == vals[-1]:
            return fmt(round(med, 1))
        return f"{fmt(round(med, 1))} [{fmt(round(vals[0], 1))}–{fmt(round(vals[-1], 1))}]"

    lines = ["| pattern | quota | vCPUs | reps | contentions fifo | clock | sharded "
             "| wait ms fifo | clock | sharded | evict hold ms fifo | clock | sharded |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    cells = sorted({k[:3] for k in groups}, key=lambda k: (k[0], k[2], k[1]))
    for c in cells:
        g = [groups.get(c + (p,), []) for p in POLICIES]
        reps = min(len(x) for x in g) if all(g) else 0
        cont = [rng([r["mmu_lock_contentions"] for r in x]) if x else "-" for x in g]
        wait = [rng([r["mmu_lock_wait_ns"] for r in x], 1e6) if x else "-" for x in g]
        hold = [rng([r["evict_lock_ns"] for r in x], 1e6) if x else "-" for x in g]
        lines.append(f"| {c[0]} | {c[2]} | {c[1]} | {reps} | " +
                     " | ".join(cont + wait + hold) + " |")
    return lines


def fifo_gap_table(summary):
    lines = ["| pattern | vCPUs | quota | capacity | sim FIFO | measured FIFO (median) | gap |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for k in cells_of(summary):
        e = summary.get((k, "fifo"))
        if not e:
            continue
        sim = e["sim_fifo_misses"]
        meas = e["mmu_cache_miss_median"]
        if sim is None:
            gap = "no sim row"
        elif sim == 0:
            gap = "sim 0" if meas else "0 %"
        else:
            gap = f"{'+' if meas >= sim else ''}{100 * (meas - sim) / sim:.1f} %"
        lines.append(f"| {k[0]} | {k[1]} | {k[2]} | {fmt(e['sim_capacity'])} | "
                     f"{fmt(sim) if sim is not None else '-'} | {fmt(meas)} | {gap} |")
    return lines


# ---- charts ----------------------------------------------------------------

def charts(summary, out):
    """One grid per metric: a row per pattern, a column per quota, vCPUs on
    the x axis; each panel has its own y scale (loop's refaults are tens of
    times the others'), error bars are the 95 % interval where the metric
    has one, min-max otherwise."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = {"fifo": "#d62728", "clock": "#1f77b4", "sharded": "#2ca02c"}
    policies = sorted({p for (_k, p) in summary}, key=policy_order)
    cells = cells_of(summary)
    patterns = sorted({k[0] for k in cells})
    quotas = sorted({k[2] for k in cells})
    vcpus = sorted({k[1] for k in cells})
    files = []

    def grid(metric, fname, ylabel, title, scale=1.0, sim_col=None):
        fig, axes = plt.subplots(len(patterns), len(quotas),
                                 figsize=(3.3 * len(quotas) + 0.6, 2.3 * len(patterns) + 0.9),
                                 squeeze=False)
        lo_key = "_lo95" if metric in CI_METRICS else "_min"
        hi_key = "_hi95" if metric in CI_METRICS else "_max"
        for (i, pat), (j, q) in [(a, b) for a in enumerate(patterns) for b in enumerate(quotas)]:
            ax = axes[i][j]
            for p in policies:
                xs, ys, lo, hi = [], [], [], []
                for v in vcpus:
                    k = next((k for k in cells if k[:3] == (pat, v, q)), None)
                    e = summary.get((k, p)) if k else None
                    if not e or metric + "_median" not in e:
                        continue
                    m = e[metric + "_median"] * scale
                    xs.append(v)
                    ys.append(m)
                    lo.append(max(m - e[metric + lo_key] * scale, 0))
                    hi.append(max(e[metric + hi_key] * scale - m, 0))
                if xs:
                    ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=3, capsize=2,
                                label=p, color=colors.get(p))
            if sim_col:
                xs, ys = [], []
                for v in vcpus:
                    k = next((k for k in cells if k[:3] == (pat, v, q)), None)
                    sim = sim_of(summary, k) if k else None
                    if sim and sim["sim_" + sim_col] is not None:
                        xs.append(v)
                        ys.append(sim["sim_" + sim_col] * scale)
                if xs:
                    ax.plot(xs, ys, "--", color="#7f7f7f", marker="x", ms=3, label="MIN (sim)")
            ax.set_xscale("log", base=2)
            ax.set_xticks(vcpus)
            ax.set_xticklabels([str(v) for v in vcpus], fontsize=7)
            ax.tick_params(labelsize=7)
            ax.set_ylim(bottom=0)
            ax.set_title(f"{pat}, quota {q}", fontsize=8)
            if j == 0:
                ax.set_ylabel(ylabel, fontsize=7)
            if i == len(patterns) - 1:
                ax.set_xlabel("vCPUs", fontsize=7)
        legend = {}
        for ax in axes.flat:
            for h, lab in zip(*ax.get_legend_handles_labels()):
                legend.setdefault(lab, h)
        if legend:
            fig.legend(list(legend.values()), list(legend), fontsize=7, loc="lower center",
                       ncol=len(legend))
        fig.suptitle(title, fontsize=9)
        fig.tight_layout(rect=(0, 0.04, 1, 0.97))
        fig.savefig(os.path.join(out, fname), dpi=100)
        plt.close(fig)
        files.append(fname)

    grid("mmu_cache_miss", "refaults.png", "mmu_cache_miss",
         "Refaults (shadow pages rebuilt) per run: median, 95 % interval; MIN from the simulator",
         sim_col="min_misses")
    grid("pf_taken", "pf_taken.png", "pf_taken",
         "Shadow page faults per run (pf_taken): median, 95 % interval")
    grid("evict_lock_ns", "lock_hold.png", "ms holding mmu_lock to evict",
         "Eviction mmu_lock hold per run, ms: median, 95 % interval", scale=1e-6)
    grid("touches_per_sec_per_vcpu", "throughput.png", "touches/s per vCPU",
         "Guest throughput (touches/s per vCPU): median, 95 % interval")
    return files


# ---- main ------------------------------------------------------------------

def read_header(path):
    """What an earlier REPORT.md was made with besides its CSVs: the options
    of its header lines and its lockstat kernel, by option name."""
    try:
        text = open(path).read()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    got = {}
    for opt, label in (("machine", "Machine"), ("accel", "Accelerator"), ("date", "Date"),
                       ("kernel", "Kernel"), ("command", "Command"), ("see", "See also")):
        m = re.search(rf"^- {label}: (.*)$", text, re.M)
        if m:
            got[opt] = m.group(1)
    if "machine" not in got or "accel" not in got:
        raise InputError(f"{path} has no '- Machine:' and '- Accelerator:' lines")
    if "command" in got:
        got["command"] = got["command"].strip("`")
    if "see" in got:
        got["see"] = re.findall(r"\[([^\]]+)\]\(", got["see"])
    m = re.search(r"`CONFIG_LOCK_STAT` \((.*?)\), whose", text)
    if m:
        got["lockstat_kernel"] = m.group(1)
    return got


SYSTEM_PYTHON = "/usr/bin/python3"


def ensure_matplotlib(argv, script=__file__, env="REPORT_PY_REEXEC"):
    """Debian's python3-matplotlib serves /usr/bin/python3; another python3
    first in PATH (pyenv, a venv) may lack it: run SCRIPT again under that
    one (once: ENV marks the second run). False when it stays missing."""
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        pass
    if (os.access(SYSTEM_PYTHON, os.X_OK) and not os.environ.get(env)
            and os.path.realpath(sys.executable) != os.path.realpath(SYSTEM_PYTHON)):
        os.environ[env] = "1"
        os.execv(SYSTEM_PYTHON, [SYSTEM_PYTHON, os.path.abspath(script)] + argv)
    if script != __file__:
        return False
    print("report.py: matplotlib is missing (apt-get install python3-matplotlib), "
          "or pass --no-charts", file=sys.stderr)
    return False


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", help="runs CSV from the guest")
    ap.add_argument("--sim", help="bench/sim --csv --header output")
    ap.add_argument("--out", help="output folder (created)")
    ap.add_argument("--machine", help="the host machine, in words")
    ap.add_argument("--accel", choices=["TCG", "KVM"])
    ap.add_argument("--kernel", help="kernel under test")
    ap.add_argument("--command", help="command that made the runs")
    ap.add_argument("--date", help="date to print (default: now, UTC)")
    ap.add_argument("--see", action="append",
                    help="a file beside REPORT.md to link from its header (repeatable)")
    ap.add_argument("--no-charts", action="store_true")
    ap.add_argument("--lockstat", default=None,
                    help="runs CSV of the separate lockstat-flavor boot (mmu_lock contention)")
    ap.add_argument("--lockstat-kernel", help="kernel of the lockstat boot")
    ap.add_argument("--again", metavar="DIR",
                    help="make DIR/REPORT.md again from DIR's runs.csv, sim.csv and (where "
                    "the old report has its section) runs-lockstat.csv, with the old "
                    "report's header; other options override; --out defaults to DIR")
    a = ap.parse_args(argv)

    try:
        if a.again:
            old = read_header(os.path.join(a.again, "REPORT.md"))
            if "lockstat_kernel" in old:
                old["lockstat"] = os.path.join(a.again, "runs-lockstat.csv")
            old.update(runs=os.path.join(a.again, "runs.csv"),
                       sim=os.path.join(a.again, "sim.csv"), out=a.again)
            for opt, v in old.items():
                if getattr(a, opt) is None:
                    setattr(a, opt, v)
        missing = [o for o in ("runs", "sim", "out", "machine", "accel") if getattr(a, o) is None]
        if missing:
            ap.error("missing " + ", ".join("--" + o for o in missing) + " (or --again DIR)")
        if a.accel not in ("TCG", "KVM"):
            raise InputError(f"unknown accelerator {a.accel!r} (TCG or KVM)")
        a.kernel = a.kernel or "not given"
        a.command = a.command or "not given"
        a.lockstat_kernel = a.lockstat_kernel or "not given"
        a.see = a.see or []
        runs = read_csv(a.runs, RUNS_REQUIRED, "runs")
        sims = read_csv(a.sim, SIM_REQUIRED, "sim")
        if not runs:
            raise InputError(f"runs CSV {a.runs} has no rows")
        lockstat = read_csv(a.lockstat, LOCKSTAT_REQUIRED, "lockstat runs") if a.lockstat else None
        if lockstat is not None and not lockstat:
            raise InputError(f"lockstat runs CSV {a.lockstat} has no rows")
    except InputError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2

    if not a.no_charts and not ensure_matplotlib(argv):
        return 2
    os.makedirs(a.out, exist_ok=True)
    try:
        extra = optional_metrics(runs)
    except InputError as e:
        print(f"report.py: {e}", file=sys.stderr)
        return 2
    summary = summarize(runs, sims, RUNS_METRICS + extra)
    write_summary(os.path.join(a.out, "summary.csv"), summary)
    targets = evaluate_targets(summary, lockstat)
    write_targets(os.path.join(a.out, "targets.csv"), targets)
    pngs = [] if a.no_charts else charts(summary, a.out)

    date = a.date or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    reps = sorted({e["reps"] for e in summary.values()})
    seeds = sorted({e["seeds"] for e in summary.values()})
    md = ["# Shadow-page eviction benchmark: fifo vs clock vs sharded, beside Belady's MIN", "",
          f"- Machine: {a.machine}",
          f"- Accelerator: {a.accel}",
          f"- Date: {date}",
          f"- Kernel: {a.kernel}",
          f"- Command: `{a.command}`",
          f"- Runs: {len(runs)} ({len(cells_of(summary))} cells, "
          f"{reps[0] if len(reps) == 1 else f'{reps[0]}–{reps[-1]}'} "
          f"runs per cell and policy: trace seeds {' / '.join(x.replace(';', ',') for x in seeds)} "
          "x reps)",
          f"- Every number is a median over a cell's runs (seeds x reps), with its 95 % "
          f"bootstrap interval in brackets for {', '.join(CI_METRICS)} ({BOOT_N} "
          "resamples within each seed, seeded: the report recomputes exactly) and "
          "[min–max] for the rest"]
    if a.see:
        md.append("- See also: " + ", ".join(f"[{f}]({f})" for f in a.see))
    md.append("")
    if a.accel == "TCG":
        md += ["**Timings are relative only.** The guest ran under TCG (QEMU's binary "
               "translator), so nanoseconds and touches per second compare policies "
               "within this run and say nothing about hardware speed.", ""]
    else:
        md += ["Timings come from hardware virtualization (KVM) but a nested, shared "
               "machine: compare them between policies of this run.", ""]
    analysis = os.path.join(a.out, ANALYSIS)
    if ANALYSIS in a.see and os.path.exists(analysis) and date not in open(analysis).read():
        print(f"report.py: note: {analysis} reads another run; recheck it against this one",
              file=sys.stderr)
    md += ["Simulation (`bench/sim`): the same access sequence (bench/common/bench_pattern.h), "
           "merged across vCPUs by **round-robin interleaving, an approximation** of the real "
           "concurrent order; capacity = quota - overhead (the shadow pages the VM needs "
           "besides the regions' last-level pages); misses counted in the measured phase, "
           "the cache carried over from warm-up. MIN minimises the misses of the whole "
           "sequence; its measured share is shown.", ""]

    md += ["## Headline: pf_taken in the measured phase", ""] + headline(summary) + [""]
    md += ["## Refaults (mmu_cache_miss) beside the simulation", ""] + refault_table(summary) + [""]
    md += ["## Eviction lock hold time (evict_lock_ns) and throughput by vCPU count", ""]
    md += lock_table(summary) + [""]
    if "fault_lock_ns" in extra and "evict_direct_zapped" in extra and "exit_p99_cyc" in extra:
        md += ["## Where mmu_lock is held, and what a guest touch costs", "",
               "Medians over reps. *Fault proper*: shadow page faults' `mmu_lock` hold minus "
               "their direct reclaim (`fault_lock_ns - evict_direct_lock_ns`): the work no "
               "eviction policy can remove, i.e. the ceiling. *Fault-path evict*: direct "
               "reclaim (`evict_direct_lock_ns`). *Worker*: the sharded rebalancer's holds "
               "(`evict_lock_ns - evict_direct_lock_ns`). *Direct share*: "
               "`evict_direct_zapped / mmu_recycled`. Touch latency: guest TSC cycles per "
               "measured touch, all vCPUs (buckets of +-10 %); *exits*: touches that took at "
               "least 16x the 1st percentile, i.e. a hit (they left the guest: refaults and "
               "re-links), with their p50 / p99: the in-guest latency of a refault. Where "
               "nearly every touch faults (`loop`), the 1st percentile is a fault too and "
               "*exits* undercounts; the touch p50 is the refault latency there.", ""]
        md += hold_split_table(summary) + [""]
    if lockstat:
        md += ["## mmu_lock contention (lock_stat, separate boot)", "",
               f"From a second boot of a kernel with `CONFIG_LOCK_STAT` ({a.lockstat_kernel}), "
               "whose lock tracking slows every lock operation: these runs are never mixed "
               "with the ones above. Per run, `/proc/lock_stat` is cleared before the measured "
               "phase and the `&(kvm)->mmu_lock` class is read after it: contended acquisitions "
               "(read and write) and total wait, by anyone for any reason (faults wait too); "
               "the eviction hold time of the same runs beside them.", ""]
        md += lockstat_table(lockstat) + [""]
    md += ["## Targets", "",
           "Evaluated mechanically on hotcold and hotscan cells whose capacity is below "
           "the number of regions (also in targets.csv). Each target is a statistic of "
           "medians over the cell's runs, with its 95 % bootstrap interval: **MET** or "
           "**MISSED** when the whole interval is on one side of the threshold, **WITHIN "
           "NOISE** when it straddles it.", ""]
    for t, desc in TARGETS.items():
        rows = [r for r in targets if r[0] == t]
        verdicts = [r[4] for r in rows]
        noise = verdicts.count("WITHIN NOISE")
        if all(v == "NOT RUN" for v in verdicts):
            overall = "NOT RUN"
        elif "MISSED" in verdicts:
            overall = f"MISSED in {verdicts.count('MISSED')} of {len(verdicts)}"
            overall += f", within noise in {noise}" if noise else ""
        elif noise:
            overall = f"WITHIN NOISE in {noise} of {len(verdicts)}, met elsewhere"
        elif "NOT RUN" in verdicts:
            overall = f"MET where run ({verdicts.count('NOT RUN')} not run)"
        else:
            overall = "MET"
        md += [f"### {t}: {desc} — {overall}", "",
               "| cell | policy | numbers | verdict |", "|---|---|---|---|"]
        for _t, k, p, text, v in rows:
            md.append(f"| {cell_label(k) if k else '-'} | {p} | {text} | **{v}** |")
        md.append("")
    md += ["## Simulated vs measured FIFO", "",
           "Gap = (measured - simulated) / simulated. Possible sources: the real vCPUs "
           "interleave by scheduling, not round-robin; mmu_cache_miss also counts upper-level "
           "and guest page-table shadow pages, not only the regions' last-level ones; the "
           "kernel zaps a victim's children with it and may evict more than one page per "
           "fault; and the overhead is an estimate, so the capacity may be off by a few pages.",
           ""] + fifo_gap_table(summary) + [""]
    if pngs:
        md += ["## Charts", ""] + [f"![{p}]({p})" for p in pngs] + [""]
    md += ["Files: summary.csv (per cell and policy: median, min, max of every metric; "
           "the sim's misses), targets.csv, " + ", ".join(pngs) + ".", ""]
    with open(os.path.join(a.out, "REPORT.md"), "w") as f:
        f.write("\n".join(md))

    print("\n".join(["pf_taken, measured phase: median [95 % interval] over runs"] + headline(summary)))
    missed = sum(1 for r in targets if r[4] == "MISSED")
    print(f"targets: {sum(1 for r in targets if r[4] == 'MET')} met, {missed} missed, "
          f"{sum(1 for r in targets if r[4] == 'WITHIN NOISE')} within noise, "
          f"{sum(1 for r in targets if r[4] == 'NOT RUN')} not run "
          f"(details: {os.path.join(a.out, 'REPORT.md')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
