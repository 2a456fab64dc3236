#!/usr/bin/env python3
"""Report of the real-guest benchmark (bench/bench-workloads.sh).

Reads the results the L1 driver handed back (bench/workloads/l1-driver):
runs.tsv, runs/N/{run.txt, stats-{begin,end}-W.txt, l2/...}, meta.txt and
perf/POLICY.script.gz, and writes OUT/REPORT.md and OUT/summary.csv.

Per run and workload W it takes:
  - stress-ng (vm, mmap, fork): bogo-ops/s by wall clock from l2/W.yaml;
  - redis (redis, redis_p16): requests/s, p50 and p99 latency per test
    from l2/W.csv (redis-benchmark --csv);
  - the L2's own page faults: pgfault in l2/vmstat-end-W.txt minus
    l2/vmstat-begin-W.txt;
  - L1's KVM statistics of the L2 VM (debugfs, summed over its vCPUs):
    stats-end-W.txt minus stats-begin-W.txt.
Each table cell is the median over repetitions with the range [min..max]
and the count; the ratio column is the policy's median over FIFO's.
The perf section counts callchain samples (perf script output) whose
stack passes through the shadow MMU's fault handler or its eviction code.
"""
import argparse
import csv
import gzip
import os
import re
import statistics
import sys

STRESS = ("vm", "mmap", "fork")
REDIS = ("redis", "redis_p16")
REDIS_TESTS = ("SET", "GET", "LRANGE_100")
L1_STATS = ("pf_taken", "mmu_cache_miss", "mmu_recycled", "mmu_shadow_zapped",
            "mmu_evict_direct", "mmu_fault_lock_ns", "mmu_evict_lock_ns")
POLICY_ORDER = ("fifo", "clock", "sharded")
# perf: a sample is in the fault path if a frame is the shadow MMU's fault
# handler; in eviction if a frame is shadow_evict.c's (se_*, kvm_se_*),
# the upstream FIFO eviction or the page-available check that calls them.
FAULT_FRAMES = ("kvm_mmu_page_fault",)
EVICT_FRAMES = ("make_mmu_pages_available", "kvm_mmu_zap_oldest_mmu_pages")
EVICT_PREFIXES = ("se_", "__se_", "kvm_se_", "kvm_shadow_evict")
LOCK_WAIT_FRAMES = ("queued_write_lock_slowpath", "queued_read_lock_slowpath")


class ReportError(Exception):
    pass


def read_kv(path):
    """A "name value" file -> {name: int}; values that are not integers are skipped."""
    out = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 2 and re.fullmatch(r"-?\d+", parts[1]):
                out[parts[0]] = int(parts[1])
    return out


def delta(begin, end, key):
    if key not in begin or key not in end:
        raise ReportError(f"statistic {key} missing")
    return end[key] - begin[key]


def stress_rate(path):
    """bogo-ops-per-second-real-time of the one stressor in a stress-ng YAML file."""
    rates = []
    with open(path) as f:
        for line in f:
            m = re.match(r"\s*bogo-ops-per-second-real-time:\s*([0-9.eE+-]+)", line)
            if m:
                rates.append(float(m.group(1)))
    if len(rates) != 1:
        raise ReportError(f"{path}: want one stressor's bogo-ops-per-second-real-time, found {len(rates)}")
    return rates[0]


def redis_rows(path):
    """redis-benchmark --csv -> {TEST: (rps, p50_ms, p99_ms)} for REDIS_TESTS."""
    out = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            name = row["test"].split()[0]
            if name in REDIS_TESTS:
                out[name] = (float(row["rps"]), float(row["p50_latency_ms"]),
                             float(row["p99_latency_ms"]))
    missing = [t for t in REDIS_TESTS if t not in out]
    if missing:
        raise ReportError(f"{path}: no row for {', '.join(missing)}")
    return out


def load_runs(res):
    """Every passed run's measurements: a list of dicts, one per (run, workload[, test])."""
    path = os.path.join(res, "runs.tsv")
    if not os.path.isfile(path):
        raise ReportError(f"{path} is missing")
    rows = []
    with open(path) as f:
        lines = [l.split() for l in f if l.strip()]
    if not lines or lines[0] != "run rep quota vcpus policy rc layer seconds".split():
        raise ReportError(f"{path}: unexpected header {lines[:1]}")
    failed = []
    for run, rep, quota, vcpus, policy, _rc, layer, _sec in lines[1:]:
        if layer != "ok":
            failed.append((run, layer))
            continue
        d = os.path.join(res, "runs", run)
        l2 = os.path.join(d, "l2")
        cell = dict(run=int(run), rep=int(rep), quota=int(quota), vcpus=int(vcpus), policy=policy)
        for w in sorted(set(re.sub(r"^stats-begin-(.*)\.txt$", r"\1", x)
                            for x in os.listdir(d) if x.startswith("stats-begin-"))):
            b = read_kv(os.path.join(d, f"stats-begin-{w}.txt"))
            e = read_kv(os.path.join(d, f"stats-end-{w}.txt"))
            vb = read_kv(os.path.join(l2, f"vmstat-begin-{w}.txt"))
            ve = read_kv(os.path.join(l2, f"vmstat-end-{w}.txt"))
            base = dict(cell, workload=w, l2_pgfault=delta(vb, ve, "pgfault"))
            for k in L1_STATS:
                base[k] = delta(b, e, k)
            if w in STRESS:
                rows.append(dict(base, test="", ops_per_s=stress_rate(os.path.join(l2, f"{w}.yaml"))))
            elif w in REDIS:
                for t, (rps, p50, p99) in redis_rows(os.path.join(l2, f"{w}.csv")).items():
                    rows.append(dict(base, test=t, rps=rps, p50_ms=p50, p99_ms=p99))
            else:
                raise ReportError(f"run {run}: unknown workload {w}")
    return rows, failed


def med(vals):
    return statistics.median(vals)


def fmt(v):
    if v == int(v) or abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def cell_str(vals):
    return f"{fmt(med(vals))} [{fmt(min(vals))}..{fmt(max(vals))}]"


def policies_in(rows):
    seen = {r["policy"] for r in rows}
    return [p for p in POLICY_ORDER if p in seen] + sorted(seen - set(POLICY_ORDER))


def group(rows, keys):
    out = {}
    for r in rows:
        out.setdefault(tuple(r[k] for k in keys), []).append(r)
    return out


def ratio(vals, base):
    """Median over FIFO's median; '*' when the two [min..max] ranges do not
    overlap (every rep on one side of every FIFO rep)."""
    if not base:
        return "-"
    b = med(base)
    if not b:
        return "-"
    apart = max(vals) < min(base) or min(vals) > max(base)
    return f"{med(vals) / b:.2f}x{'*' if apart else ''}"


def perf_shares(path):
    """perf script output (callchains) -> (samples, fault, evict, evict under fault, lock wait)."""
    opener = gzip.open if path.endswith(".gz") else open
    n = fault = evict = evict_fault = lock = 0
    frames = None

    def close(fr):
        nonlocal n, fault, evict, evict_fault, lock
        if fr is None:
            return
        n += 1
        f = any(x in FAULT_FRAMES for x in fr)
        e = any(x in EVICT_FRAMES or x.startswith(EVICT_PREFIXES) for x in fr)
        fault += f
        evict += e
        evict_fault += e and f
        lock += any(x in LOCK_WAIT_FRAMES for x in fr)

    with opener(path, "rt", errors="replace") as fh:
        for line in fh:
            if not line.strip():
                continue
            if not line[0].isspace():
                close(frames)
                frames = []
            elif frames is not None:
                parts = line.split()
                if len(parts) >= 2:
                    frames.append(re.sub(r"\+0x[0-9a-f]+$", "", parts[1]))
    close(frames)
    return n, fault, evict, evict_fault, lock


def pct(a, n):
    return f"{100.0 * a / n:.1f} %" if n else "-"


def write_report(res, out, rows, failed):
    meta = {}
    mpath = os.path.join(res, "meta.txt")
    if os.path.isfile(mpath):
        for line in open(mpath):
            k, _, v = line.rstrip("\n").partition("=") if not line.startswith("command:") else ("command", "", line[8:].strip())
            meta[k] = v
    pols = policies_in(rows)
    L = []
    L.append("# Real guests on the shadow MMU: stress-ng and redis in a nested L2\n")
    L.append("Generated by `bench/report/workloads_report.py` from `data/results.tar.gz` "
             "(what L1 handed back, perf's call chains included; `data/run.log` is the console "
             "of the run). Regenerate the tables: `mkdir /tmp/r && tar -xzf "
             "bench/results/workloads/data/results.tar.gz -C /tmp/r && python3 "
             "bench/report/workloads_report.py /tmp/r --out bench/results/workloads`; "
             "rerun it all: `make bench-workloads`.\n")
    L.append("## Where and how it ran\n")
    for k in ("command", "date", "host", "accel", "policies", "workloads", "project", "kernel_tree", "base",
              "qemu", "stress-ng", "redis", "seconds", "l1_restarts"):
        if k in meta:
            L.append(f"- {k}: `{meta[k]}`")
    L.append("- L1: the workload kernel under QEMU (the accel above) with `kvm_amd.npt=0 kvm_intel.ept=0 "
             "kvm.tdp_mmu=0`; L2: the same kernel under QEMU in L1 with `-accel kvm,kvm-shadow-mem=QUOTA*4096`, "
             "so every L2 page table is shadowed by L1's shadow MMU under the policy of the row.")
    L.append("- Policies are interleaved within the one L1 boot (order rotated by rep; where L1 died "
             "mid-matrix, `l1_restarts` above, a new boot ran the rest). Each cell: "
             "median [min..max] over the reps; n = reps that passed. \"vs fifo\" is the median over "
             "FIFO's median in the same cell, marked * when the two [min..max] ranges do not overlap; "
             "an unmarked ratio is within the run-to-run spread. Under TCG, times and rates are "
             "relative only: compare rows of one table, not with other machines.")
    L.append(f"- Runs that failed: {len(failed)}" + (": " + ", ".join(f"run {r} ({l})" for r, l in failed) if failed else ""))
    L.append("")

    stress = [r for r in rows if r["workload"] in STRESS]
    for w in STRESS:
        wr = [r for r in stress if r["workload"] == w]
        if not wr:
            continue
        L.append(f"## stress-ng --{w}\n")
        L.append("bogo-ops/s by wall clock; L2 pgfault = the L2 kernel's own page faults (vmstat) during the "
                 "workload; L1 columns: the L2 VM's KVM statistics over the workload (pf_taken = shadow-MMU "
                 "page faults, cache_miss = shadow pages built, recycled = evicted by the quota, "
                 "lock ms = mmu_lock held for faults / for eviction).\n")
        L.append("| quota | L2 vCPUs | policy | n | bogo-ops/s | vs fifo | L2 pgfault | L1 pf_taken | vs fifo | cache_miss | recycled | fault lock ms | evict lock ms |")
        L.append("|---:|---:|---|---:|---|---:|---:|---|---:|---:|---:|---:|---:|")
        g = group(wr, ("quota", "vcpus", "policy"))
        for (q, v) in sorted({(k[0], k[1]) for k in g}, key=lambda x: (-x[0], x[1])):
            base = g.get((q, v, "fifo"), [])
            for p in pols:
                rs = g.get((q, v, p))
                if not rs:
                    continue
                col = lambda k: [r[k] for r in rs]
                L.append(f"| {q} | {v} | {p} | {len(rs)} | {cell_str(col('ops_per_s'))} | "
                         f"{ratio(col('ops_per_s'), [r['ops_per_s'] for r in base])} | "
                         f"{fmt(med(col('l2_pgfault')))} | {cell_str(col('pf_taken'))} | "
                         f"{ratio(col('pf_taken'), [r['pf_taken'] for r in base])} | "
                         f"{fmt(med(col('mmu_cache_miss')))} | {fmt(med(col('mmu_recycled')))} | "
                         f"{fmt(med([x / 1e6 for x in col('mmu_fault_lock_ns')]))} | "
                         f"{fmt(med([x / 1e6 for x in col('mmu_evict_lock_ns')]))} |")
        L.append("")

    red = [r for r in rows if r["workload"] in REDIS]
    for w in REDIS:
        wr = [r for r in red if r["workload"] == w]
        if not wr:
            continue
        L.append(f"## redis-benchmark{' -P 16 (pipelined)' if w == 'redis_p16' else ' (not pipelined)'}\n")
        L.append("requests/s and latency percentiles (ms) as redis-benchmark prints them, 16 clients; "
                 "the L1 columns cover the whole redis-benchmark run (all its tests).\n")
        L.append("| quota | L2 vCPUs | policy | test | n | requests/s | vs fifo | p50 ms | p99 ms | L1 pf_taken | recycled |")
        L.append("|---:|---:|---|---|---:|---|---:|---|---|---:|---:|")
        g = group(wr, ("quota", "vcpus", "policy", "test"))
        for (q, v) in sorted({(k[0], k[1]) for k in g}, key=lambda x: (-x[0], x[1])):
            for t in REDIS_TESTS:
                base = g.get((q, v, "fifo", t), [])
                for p in pols:
                    rs = g.get((q, v, p, t))
                    if not rs:
                        continue
                    col = lambda k: [r[k] for r in rs]
                    L.append(f"| {q} | {v} | {p} | {t} | {len(rs)} | {cell_str(col('rps'))} | "
                             f"{ratio(col('rps'), [r['rps'] for r in base])} | {cell_str(col('p50_ms'))} | "
                             f"{cell_str(col('p99_ms'))} | {fmt(med(col('pf_taken')))} | {fmt(med(col('mmu_recycled')))} |")
        L.append("")

    pdir = os.path.join(res, "perf")
    scripts = sorted(f for f in os.listdir(pdir) if f.endswith(".script.gz")) if os.path.isdir(pdir) else []
    if scripts:
        L.append("## Where L1 spent its time (perf record -g, cpu-clock, all L1 CPUs)\n")
        tries = ""
        for f in ("tries.txt", "tries-failed.txt"):
            if os.path.isfile(os.path.join(pdir, f)):
                tries += " " + " ".join(open(os.path.join(pdir, f)).read().split())
        L.append("One run per policy at the last quota and vCPU count of the matrix, in an L1 boot of its own "
                 "after the matrix (older runs: rep 1 of the matrix itself), recorded from the "
                 "first workload's start to the last one's end." + (f" ({tries.strip()})" if tries else "") +
                 " Shares of samples whose call chain passes "
                 f"through the shadow MMU's fault handler ({', '.join(FAULT_FRAMES)}), through eviction "
                 f"({', '.join(EVICT_FRAMES)}, shadow_evict.c's se_*/kvm_se_*), of those the eviction "
                 f"done inside a fault, and waiting for mmu_lock ({', '.join(LOCK_WAIT_FRAMES)}). "
                 "Flame graphs: perf's `perf script report flamegraph` with the d3-flame-graph 4.1.3 template.\n")
        L.append("| policy | samples | fault path | eviction | eviction inside a fault | mmu_lock wait | flame graph |")
        L.append("|---|---:|---:|---:|---:|---:|---|")
        for s in scripts:
            p = s[:-len(".script.gz")]
            n, f, e, ef, lk = perf_shares(os.path.join(pdir, s))
            L.append(f"| {p} | {n} | {pct(f, n)} | {pct(e, n)} | {pct(ef, n)} | {pct(lk, n)} | "
                     f"[flame-{p}.html](flame/flame-{p}.html) |")
        L.append("")

    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "REPORT.md"), "w") as f:
        f.write("\n".join(L) + "\n")
    keys = ["run", "rep", "quota", "vcpus", "policy", "workload", "test", "ops_per_s", "rps", "p50_ms",
            "p99_ms", "l2_pgfault"] + list(L1_STATS)
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=keys, extrasaction="ignore")
        wr.writeheader()
        for r in sorted(rows, key=lambda r: (r["run"], r["workload"], r["test"])):
            wr.writerow({k: r.get(k, "") for k in keys})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("results", help="the results directory L1 handed back")
    ap.add_argument("--out", required=True, help="where REPORT.md and summary.csv go")
    a = ap.parse_args()
    try:
        rows, failed = load_runs(a.results)
        if not rows:
            raise ReportError(f"{a.results}: no passed run to report")
        write_report(a.results, a.out, rows, failed)
    except (ReportError, OSError, KeyError, ValueError) as e:
        print(f"workloads_report: error: {e}", file=sys.stderr)
        return 1
    print(f"workloads_report: {len(rows)} rows, {len(failed)} failed runs -> {a.out}/REPORT.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
