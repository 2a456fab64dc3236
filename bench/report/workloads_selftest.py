#!/usr/bin/env python3
"""Self-test of workloads_report.py on a synthetic results directory with
known values: medians and ranges, ratios to FIFO, deltas of the L1 and L2
counters, redis rows, perf shares, a failed run listed and not counted,
and refusal of malformed input. Exit status: the number of failed checks."""
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPORT = os.path.join(HERE, "workloads_report.py")
fails = 0
checks = 0


def check(name, cond, detail=""):
    global fails, checks
    checks += 1
    if not cond:
        fails += 1
        print(f"FAIL: {name} {detail}")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def stats(pf, miss, rec, flock, elock):
    return (f"pf_taken {pf}\nmmu_cache_miss {miss}\nmmu_recycled {rec}\nmmu_shadow_zapped 1\n"
            f"mmu_evict_direct 0\nmmu_fault_lock_ns {flock}\nmmu_evict_lock_ns {elock}\nmax_mmu_rmap_size 7\n")


CSV = ('"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"\n'
       '"SET","{s}","1","1","{p50}","1","{p99}","1"\n"GET","{g}","1","1","{p50}","1","{p99}","1"\n'
       '"LPUSH (needed to benchmark LRANGE)","5","1","1","1","1","1","1"\n'
       '"LRANGE_100 (first 100 elements)","{l}","1","1","{p50}","1","{p99}","1"\n')


def make(res, bad=None):
    # quota 64, 1 vCPU; fifo ops/s 10, 12, 14 (median 12); clock 30, 33, 36
    # (median 33, 2.75x). pf_taken deltas: fifo 1000, 1100, 1200; clock 400.
    # Run 7 (clock, rep 3) fails in the L2 and must not count.
    rows = ["run rep quota vcpus policy rc layer seconds"]
    n = 0
    ops = {"fifo": [10, 12, 14], "clock": [30, 33, 36]}
    pf = {"fifo": [1000, 1100, 1200], "clock": [400, 400, 400]}
    for rep in range(3):
        for pol in ("fifo", "clock"):
            n += 1
            layer = "ok"
            if pol == "clock" and rep == 2:
                layer = "workload"
            rows.append(f"{n} {rep + 1} 64 1 {pol} 0 {layer} 10")
            d = os.path.join(res, "runs", str(n))
            o = ops[pol][rep] if layer == "ok" else 99999
            write(f"{d}/stats-begin-vm.txt", stats(5000, 10, 0, 0, 0))
            write(f"{d}/stats-end-vm.txt", stats(5000 + pf[pol][rep], 60, 40, 2_000_000, 3_000_000))
            write(f"{d}/l2/vmstat-begin-vm.txt", "pgfault 100\npgmajfault 0\n")
            write(f"{d}/l2/vmstat-end-vm.txt", "pgfault 600\npgmajfault 0\n")
            write(f"{d}/l2/vm.yaml", "metrics:\n    - stressor: vm\n      bogo-ops: 40\n"
                  f"      bogo-ops-per-second-usr-sys-time: 1.0\n      bogo-ops-per-second-real-time: {o}\n")
            write(f"{d}/stats-begin-redis.txt", stats(0, 0, 0, 0, 0))
            write(f"{d}/stats-end-redis.txt", stats(50, 5, 0, 0, 0))
            write(f"{d}/l2/vmstat-begin-redis.txt", "pgfault 0\n")
            write(f"{d}/l2/vmstat-end-redis.txt", "pgfault 9\n")
            rps = 100 * (rep + 1) * (2 if pol == "clock" else 1)
            write(f"{d}/l2/redis.csv", CSV.format(s=rps, g=rps, l=rps / 10, p50=rep + 1, p99=10 * (rep + 1)))
    write(os.path.join(res, "runs.tsv"), "\n".join(rows) + "\n")
    write(os.path.join(res, "meta.txt"), "command: bench/bench-workloads.sh --reps 3\naccel=tcg\n")
    # perf: 4 samples: fault+evict, fault only, evict in the worker, other.
    write(os.path.join(res, "perf", "clock.script.gz.src"),
          "qemu 1 100\n\t ffff se_reclaim+0x10 ([kernel])\n\t ffff make_mmu_pages_available+0x1 ([kernel])\n"
          "\t ffff kvm_mmu_page_fault+0x3 ([kernel])\n\n"
          "qemu 1 100\n\t ffff kvm_mmu_page_fault+0x3 ([kernel])\n\n"
          "kvm-se 2 100\n\t ffff se_rebalance+0x3 ([kernel])\n\n"
          "redis 3 100\n\t ffff do_syscall_64+0x3 ([kernel])\n")
    import gzip
    src = os.path.join(res, "perf", "clock.script.gz.src")
    with open(src, "rb") as f, gzip.open(os.path.join(res, "perf", "clock.script.gz"), "wb") as g:
        g.write(f.read())
    os.unlink(src)
    if bad == "csv":
        write(f"{res}/runs/1/l2/redis.csv", CSV.split("\n")[0] + '\n"SET","1","1","1","1","1","1","1"\n')
    if bad == "yaml":
        write(f"{res}/runs/1/l2/vm.yaml", "metrics:\n")


def run(res, out):
    return subprocess.run([sys.executable, REPORT, res, "--out", out], capture_output=True, text=True)


with tempfile.TemporaryDirectory() as t:
    res, out = os.path.join(t, "res"), os.path.join(t, "out")
    make(res)
    p = run(res, out)
    check("report runs", p.returncode == 0, p.stderr)
    rep = open(os.path.join(out, "REPORT.md")).read() if p.returncode == 0 else ""
    line = lambda pat: next((l for l in rep.splitlines() if re.match(pat, l)), "")
    fifo = line(r"\| 64 \| 1 \| fifo \| 3 \| ")
    clock = line(r"\| 64 \| 1 \| clock \| 2 \| ")
    check("fifo vm row: median and range", "| 12 [10..14] | 1.00x |" in fifo, fifo)
    check("fifo pf_taken delta median and range", "| 1100 [1000..1200] | 1.00x |" in fifo, fifo)
    check("L2 pgfault delta", "| 500 |" in fifo, fifo)
    check("clock: failed run excluded (n=2, median of 30 and 33)", "| 31.5 [30..33] | 2.62x* |" in clock, clock)
    check("clock pf_taken ratio", "| 400 [400..400] | 0.36x* |" in clock, clock)
    check("lock ms columns (2 and 3 ms)", clock.endswith("| 50 | 40 | 2 | 3 |"), clock)
    check("failed run listed", "run 6 (workload)" in rep, "")
    rset = line(r"\| 64 \| 1 \| clock \| SET \| 2 \|")
    check("redis clock SET: rps median of 200, 400", "| 300 [200..400] | 1.50x |" in rset, rset)
    check("redis p50/p99 medians", "| 1.50 [1..2] | 15 [10..20] |" in rset, rset)
    check("redis LRANGE_100 row", bool(line(r"\| 64 \| 1 \| fifo \| LRANGE_100 \| 3 \|")), "")
    prow = line(r"\| clock \| 4 \|")
    check("perf shares", "| 50.0 % | 50.0 % | 25.0 % | 0.0 % |" in prow, prow)
    summ = open(os.path.join(out, "summary.csv")).read().splitlines() if p.returncode == 0 else []
    check("summary.csv rows: 5 passed runs x (1 vm + 3 redis)", len(summ) == 1 + 5 * 4, str(len(summ)))
    for bad, want in (("csv", "no row for GET"), ("yaml", "found 0")):
        t2 = os.path.join(t, bad)
        make(os.path.join(t2, "res"), bad)
        p = run(os.path.join(t2, "res"), os.path.join(t2, "out"))
        check(f"malformed {bad} refused", p.returncode == 1 and want in p.stderr, p.stderr)
    p = run(os.path.join(t, "nothing"), os.path.join(t, "o"))
    check("missing results refused", p.returncode == 1 and "runs.tsv is missing" in p.stderr, p.stderr)

print(f"workloads_selftest: {checks - fails}/{checks} checks passed")
sys.exit(fails)
