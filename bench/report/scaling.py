#!/usr/bin/env python3
"""scaling.py: does it scale?  Hosts side by side, from their runs.

  scaling.py --results DIR [--out OUT]

The hosts: this machine's run in DIR (bench/results/, from `make bench`)
and every host imported into DIR/hosts/<tag>/ (`make bench-import`), each
a runs.csv (the bench boot) and maybe a runs-lockstat.csv (the lockstat
boot).  For every pattern and quota that all hosts ran: total throughput
(all vCPUs: touches_per_sec_per_vcpu x vcpus) per vCPU count, normalised
to the same host and policy at 1 vCPU; the share of evictions done on the
fault path (sharded); the mmu_lock hold split by path; and, from the
lockstat boot, the total mmu_lock wait and the contentions per run.
Every figure is a median over reps.  Writes OUT/SCALING.md (whole) and
OUT/scaling.png; OUT defaults to DIR.
"""
import argparse
import collections
import csv
import glob
import os
import statistics
import sys

POLICIES = ("fifo", "clock", "sharded")


def load(path):
    if not os.path.exists(path):
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def medians(rows, value):
    """{(pattern, quota, policy, vcpus): median of value(row)}"""
    acc = collections.defaultdict(list)
    for r in rows:
        v = value(r)
        if v is not None:
            acc[(r["pattern"], int(r["quota"]), r["policy"], int(r["vcpus"]))].append(v)
    return {k: statistics.median(v) for k, v in acc.items()}


def total_tput(r):
    return float(r["touches_per_sec_per_vcpu"]) * int(r["vcpus"])


def direct_share(r):
    rec = int(r["mmu_recycled"])
    return 100.0 * int(r["evict_direct_zapped"]) / rec if rec else None


def wait_ms(r):
    w = r.get("mmu_lock_wait_ns", "")
    return int(w) / 1e6 if w not in ("", None) else None


def contentions(r):
    c = r.get("mmu_lock_contentions", "")
    return int(c) if c not in ("", None) else None


def hold_ms(part):
    """mmu_lock hold per run by path, ms: fault handling proper (shadow
    faults' hold minus their direct reclaim), fault-path eviction, worker."""
    def value(r):
        try:
            fault, direct = int(r["fault_lock_ns"]), int(r["evict_direct_lock_ns"])
            evict = int(r["evict_lock_ns"])
        except (KeyError, ValueError):
            return None
        return {"fault": fault - direct, "direct": direct, "worker": max(evict - direct, 0)}[part] / 1e6
    return value


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--results", required=True, help="this machine's results, with hosts/ in it")
    ap.add_argument("--out", help="output folder (default: --results)")
    a = ap.parse_args()
    out_dir = a.out or a.results

    # The shell's order of hosts/*/: names sorted with their trailing slash.
    dirs = [("this-machine", a.results)] + [
        (os.path.basename(os.path.dirname(d)), d)
        for d in sorted(glob.glob(os.path.join(a.results, "hosts", "*", "")))
        if os.path.exists(os.path.join(d, "runs.csv"))]
    hosts = []
    for label, d in dirs:
        runs = load(os.path.join(d, "runs.csv"))
        if not runs:
            sys.exit(f"scaling.py: {d}/runs.csv is missing or empty")
        hosts.append((label, runs, load(os.path.join(d, "runs-lockstat.csv"))))

    tput = {label: medians(runs, total_tput) for label, runs, _ in hosts}
    direct = {label: medians(runs, direct_share) for label, runs, _ in hosts}
    wait = {label: medians(ls, wait_ms) for label, _, ls in hosts}
    cont = {label: medians(ls, contentions) for label, _, ls in hosts}
    hold = {part: {label: medians(runs, hold_ms(part)) for label, runs, _ in hosts}
            for part in ("fault", "direct", "worker")}
    cells = sorted(set.intersection(*[{(k[0], k[1]) for k in tput[label]} for label, _, _ in hosts]))
    cells = [c for c in cells if c[0] in ("hotcold", "hotscan")] or cells

    out = ["# Scaling: hosts side by side", "",
           "Medians over reps. *x1*: total throughput (touches/s of all vCPUs) relative to the same host "
           "and policy at 1 vCPU, with the absolute figure in k touches/s; a design that scales keeps x1 "
           "near the vCPU count where the host has the CPUs. TCG timings are relative only, and only "
           "within one host. Made by `bench/report/scaling.py` from each host's runs.csv and "
           "runs-lockstat.csv (hosts: " + ", ".join(f"`{label}`" for label, _, _ in hosts) + ").", ""]
    for pat, q in cells:
        vcs = sorted({k[3] for label, _, _ in hosts for k in tput[label] if k[0] == pat and k[1] == q})
        out += [f"## {pat}, quota {q}", "",
                "| host | policy | " + " | ".join(f"{v} vCPU" for v in vcs) + " |",
                "|---|---|" + "---:|" * len(vcs)]
        for label, _, _ in hosts:
            for p in POLICIES:
                base = tput[label].get((pat, q, p, 1))
                cols = []
                for v in vcs:
                    t = tput[label].get((pat, q, p, v))
                    if t is None:
                        cols.append("")
                    elif base:
                        cols.append(f"x{t / base:.2f} ({t / 1000:.0f}k)")
                    else:
                        cols.append(f"{t / 1000:.0f}k")
                out.append(f"| {label} | {p} | " + " | ".join(cols) + " |")
        out += ["", "Sharded's fault-path share of evictions (evict_direct_zapped / mmu_recycled), %:", "",
                "| host | " + " | ".join(f"{v} vCPU" for v in vcs) + " |", "|---|" + "---:|" * len(vcs)]
        for label, _, _ in hosts:
            cols = [f"{direct[label][(pat, q, 'sharded', v)]:.0f}" if (pat, q, "sharded", v) in direct[label] else ""
                    for v in vcs]
            out.append(f"| {label} | " + " | ".join(cols) + " |")
        lvcs = sorted({k[3] for label, _, _ in hosts for k in wait[label] if k[0] == pat and k[1] == q})
        if lvcs:
            for title, table in (("Total `mmu_lock` wait per run, ms", wait),
                                 ("`mmu_lock` contentions per run", cont)):
                out += ["", f"{title} (lockstat boot; fifo / clock / sharded):", "",
                        "| host | " + " | ".join(f"{v} vCPU" for v in lvcs) + " |",
                        "|---|" + "---:|" * len(lvcs)]
                for label, _, _ in hosts:
                    cols = []
                    for v in lvcs:
                        w = [table[label].get((pat, q, p, v)) for p in POLICIES]
                        cols.append("" if all(x is None for x in w) else
                                    " / ".join("-" if x is None else f"{x:.0f}" for x in w))
                    out.append(f"| {label} | " + " | ".join(cols) + " |")
        if any(hold["fault"][label] for label, _, _ in hosts):
            out += ["", "`mmu_lock` hold per run by path, ms: fault handling proper / fault-path "
                    "eviction / worker (the first is the floor no eviction design removes):", "",
                    "| host | policy | " + " | ".join(f"{v} vCPU" for v in vcs) + " |",
                    "|---|---|" + "---:|" * len(vcs)]
            for label, _, _ in hosts:
                for p in POLICIES:
                    cols = []
                    for v in vcs:
                        parts = [hold[part][label].get((pat, q, p, v)) for part in ("fault", "direct", "worker")]
                        cols.append("" if any(x is None for x in parts) else
                                    " / ".join(f"{x:.0f}" for x in parts))
                    if any(cols):
                        out.append(f"| {label} | {p} | " + " | ".join(cols) + " |")
        out.append("")
    out += ["![scaling](scaling.png)"]
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "SCALING.md"), "w") as f:
        f.write("\n".join(out) + "\n")

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    ncol = min(2, len(cells))
    nrow = (len(cells) + ncol - 1) // ncol
    fig, grid = plt.subplots(nrow, ncol, figsize=(3.6 * ncol, 3.0 * nrow + 0.8), squeeze=False)
    axes = [[ax for row in grid for ax in row]]
    styles = ["-", "--", ":", "-."]
    colors = {"fifo": "tab:gray", "clock": "tab:blue", "sharded": "tab:orange"}
    for ax, (pat, q) in zip(axes[0], cells):
        for i, (label, _, _) in enumerate(hosts):
            for p in POLICIES:
                pts = sorted((k[3], v) for k, v in tput[label].items() if k[:3] == (pat, q, p))
                base = tput[label].get((pat, q, p, 1))
                if pts and base:
                    ax.plot([x for x, _ in pts], [y / base for _, y in pts], styles[i % len(styles)],
                            color=colors[p], marker="o", ms=3, label=f"{label} {p}")
        ax.set_xscale("log", base=2)
        ax.set_title(f"{pat}, quota {q}", fontsize=9)
        ax.set_xlabel("vCPUs", fontsize=8)
        ax.tick_params(labelsize=7)
    for row in grid:
        row[0].set_ylabel("total throughput / 1 vCPU", fontsize=8)
    for ax in axes[0][len(cells):]:
        ax.set_visible(False)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=6, loc="lower center", ncol=3)
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    fig.tight_layout()
    fig.savefig(os.path.join(out_dir, "scaling.png"), dpi=110)


if __name__ == "__main__":
    main()
