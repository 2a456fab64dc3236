#!/usr/bin/env python3
"""The size axis' report: eviction cost against ring size and density.

Usage:
  size_report.py --runs RUNS_CSV --out DIR --machine M --accel A
                 --kernel K --command C [--date D]
  size_report.py --again DIR [--out OUT]   (DIR/SIZE.md again, from DIR's runs.csv)

Reads the rows `make bench SIZE=1` collects (kernel/guest/shadow_bench.c's
CSV, with its density column) and writes, into DIR:
  SIZE.md   per cell (pattern, vCPUs, density, quota) and policy, the
            median [min-max] over the runs of:
              hold     eviction mmu_lock hold per evicted page, us
                       (evict_lock_ns / mmu_recycled)
              longest  the longest single eviction hold, us
                       (evict_lock_max_ns)
              scans    pages the policy examined per evicted page
                       (evict_scanned / mmu_recycled)
              p99      99th percentile of a guest touch, TSC cycles
                       (touch_p99_cyc)
              tput     touches per second per vCPU
              victims  pages evicted in the measured phase (mmu_recycled)
            then, per (pattern, vCPUs, density) and policy, the largest
            ring's medians over the smallest's, with bounds from the runs'
            extremes (min of one over max of the other, and back), and
            whether sharded's hold and longest hold stay within 1.2x.
  size.csv  the same medians, minima and maxima, one row per cell and policy
  size.png  the four costs against the quota (log scale), one row of plots
            per vCPU count, a line per policy and density
Times are the L1 guest's clock: under TCG, relative only.
"""
import argparse
import csv
import os
import statistics
import sys
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import report  # noqa: E402

NEEDED = ["policy", "pattern", "vcpus", "quota", "regions", "density", "mmu_recycled",
          "evict_lock_ns", "evict_lock_max_ns", "evict_scanned", "touch_p99_cyc",
          "touches_per_sec_per_vcpu"]
POLICIES = ["fifo", "clock", "sharded"]
# name, label, unit, digits
METRICS = [("hold", "eviction hold per evicted page", "us", 1),
           ("longest", "longest single eviction hold", "us", 0),
           ("scans", "pages examined per evicted page", "", 2),
           ("p99", "p99 touch latency", "cycles", 0),
           ("tput", "touches/s per vCPU", "", 0),
           ("victims", "pages evicted in the measured phase", "", 0)]
GROWTH = ["hold", "longest", "scans", "p99"]
# Sharded's bound on how its hold may grow from the smallest ring to the
# largest.
SHARDED_BOUND = 1.2


InputError = report.InputError


def per_run(row):
    victims = int(row["mmu_recycled"])
    return {
        "hold": int(row["evict_lock_ns"]) / victims / 1000 if victims else None,
        "longest": int(row["evict_lock_max_ns"]) / 1000,
        "scans": int(row["evict_scanned"]) / victims if victims else None,
        "p99": int(row["touch_p99_cyc"]),
        "tput": float(row["touches_per_sec_per_vcpu"]),
        "victims": victims,
    }


def load(path):
    """{(pattern, vcpus, density, quota): {policy: [per_run...]}}, and each
    cell's regions."""
    try:
        f = open(path, newline="")
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")
    cells = defaultdict(lambda: defaultdict(list))
    regions = {}
    with f:
        rd = csv.DictReader(f)
        missing = [c for c in NEEDED if c not in (rd.fieldnames or [])]
        if missing:
            raise InputError(f"{path} lacks column(s) {', '.join(missing)}")
        for n, row in enumerate(rd, 2):
            try:
                key = (row["pattern"], int(row["vcpus"]), int(row["density"] or 1),
                       int(row["quota"]))
                cells[key][row["policy"]].append(per_run(row))
            except (ValueError, TypeError) as e:
                raise InputError(f"{path}:{n}: {e}")
            rg = int(row["regions"])
            if regions.setdefault(key, rg) != rg:
                raise InputError(f"{path}:{n}: cell {key} has runs with {regions[key]} and {rg} regions")
    if not cells:
        raise InputError(f"{path} has no runs")
    return cells, regions


def stats(runs, m):
    vals = [r[m] for r in runs if r[m] is not None]
    if not vals:
        return None
    return statistics.median(vals), min(vals), max(vals)


def fmt(v, digits):
    if v is None:
        return "-"
    return f"{v:,.{digits}f}"


def fmt_stat(s, digits):
    if s is None:
        return "-"
    return f"{fmt(s[0], digits)} [{fmt(s[1], digits)}-{fmt(s[2], digits)}]"


def growth(small, large):
    """The large ring's median over the small one's, with bounds from the
    runs' extremes; None where either is missing or zero."""
    if small is None or large is None or small[0] == 0 or small[1] == 0:
        return None
    return large[0] / small[0], large[1] / small[2], large[2] / small[1]


def policies_in(cells):
    seen = {p for c in cells.values() for p in c}
    return [p for p in POLICIES if p in seen] + sorted(seen - set(POLICIES))


def write_csv(path, cells, regions):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        head = ["pattern", "vcpus", "density", "quota", "regions", "policy", "runs"]
        for m, *_ in METRICS:
            head += [f"{m}_median", f"{m}_min", f"{m}_max"]
        w.writerow(head)
        for key in sorted(cells):
            for pol in policies_in(cells):
                runs = cells[key].get(pol)
                if not runs:
                    continue
                row = list(key) + [regions[key], pol, len(runs)]
                for m, _, _, digits in METRICS:
                    s = stats(runs, m)
                    row += ["", "", ""] if s is None else [f"{v:.{max(digits, 3)}f}" for v in s]
                w.writerow(row)


def groups(cells):
    """(pattern, vcpus, density) -> sorted quotas."""
    g = defaultdict(list)
    for pat, nv, d, q in cells:
        g[(pat, nv, d)].append(q)
    return {k: sorted(v) for k, v in sorted(g.items())}


def markdown(cells, regions, hdr):
    pols = policies_in(cells)
    md = ["# Size axis: eviction cost against ring size and density", ""]
    for opt, label in (("machine", "Machine"), ("accel", "Accelerator"), ("date", "Date"),
                       ("kernel", "Kernel")):
        if hdr.get(opt):
            md.append(f"- {label}: {hdr[opt]}")
    md.append(f"- Command: `{hdr['command']}`")
    md += ["", "Made by `bench/report/size_report.py` from `runs.csv` beside it "
           "(`python3 bench/report/size_report.py --again bench/results/size` makes it again). "
           "Each cell: median [min-max] over its runs. *hold*: eviction `mmu_lock` hold per "
           "evicted page (`evict_lock_ns / mmu_recycled`); *longest*: the longest single "
           "eviction hold (`evict_lock_max_ns`); *scans*: pages the policy examined per evicted "
           "page (`evict_scanned / mmu_recycled`; fifo examines none); *p99*: 99th percentile "
           "of a guest touch in TSC cycles. Regions are the 2 MiB regions of the benchmark VM "
           "(one last-level shadow page each); density is the present SPTEs per shadow page. "
           "Times are the L1 guest's clock" + (": under TCG, relative only." if hdr.get("accel") == "TCG"
                                               else "."), ""]
    for m, label, unit, digits in METRICS:
        md += [f"## {label[0].upper() + label[1:]}" + (f" ({unit})" if unit else ""), ""]
        cols = [(nv, p) for nv in sorted({k[1] for k in cells}) for p in pols]
        md.append("| pattern | density | quota | regions | " +
                  " | ".join(f"{p} {nv}v" for nv, p in cols) + " |")
        md.append("|---|---:|---:|---:|" + "---:|" * len(cols))
        for pat, d, q in sorted({(k[0], k[2], k[3]) for k in cells}):
            row = []
            for nv, p in cols:
                runs = cells.get((pat, nv, d, q), {}).get(p)
                row.append(fmt_stat(stats(runs, m), digits) if runs else "")
            rg = {regions[k] for k in cells if (k[0], k[2], k[3]) == (pat, d, q)}
            md.append(f"| {pat} | {d} | {q} | {'/'.join(str(r) for r in sorted(rg))} | " +
                      " | ".join(row) + " |")
        md.append("")
    md += ["## Largest ring over smallest", "",
           "Per pattern, vCPU count and density: each cost at the largest quota over the same "
           "policy's at the smallest, as the ratio of the medians and, in brackets, the bounds "
           "the runs' extremes allow (the largest ring's minimum over the smallest's maximum, "
           "and its maximum over the smallest's minimum). The last column says whether "
           f"sharded's hold and longest hold grew by at most {SHARDED_BOUND}x (medians).", "",
           "| pattern | vCPUs | density | quotas | policy | " +
           " | ".join(GROWTH) + " | sharded within " + f"{SHARDED_BOUND}x |",
           "|---|---:|---:|---|---|" + "---:|" * len(GROWTH) + "---|"]
    for (pat, nv, d), qs in groups(cells).items():
        if len(qs) < 2:
            continue
        lo, hi = qs[0], qs[-1]
        for p in pols:
            a, b = cells[(pat, nv, d, lo)].get(p), cells[(pat, nv, d, hi)].get(p)
            if not a or not b:
                continue
            gs = [growth(stats(a, m), stats(b, m)) for m in GROWTH]
            cells_txt = ["-" if g is None else f"{g[0]:.2f} [{g[1]:.2f}-{g[2]:.2f}]" for g in gs]
            verdict = ""
            if p == "sharded":
                hold, longest = gs[0], gs[1]
                if hold is None or longest is None:
                    verdict = "not measured"
                else:
                    ok = hold[0] <= SHARDED_BOUND and longest[0] <= SHARDED_BOUND
                    verdict = "yes" if ok else "no"
            md.append(f"| {pat} | {nv} | {d} | {lo} -> {hi} | {p} | " + " | ".join(cells_txt) +
                      f" | {verdict} |")
    md += ["", "![costs against ring size](size.png)", ""]
    return "\n".join(md)


def plot(path, cells):
    try:
        import matplotlib
    except ImportError:
        if os.path.exists(report.SYSTEM_PYTHON) and os.path.realpath(sys.executable) != os.path.realpath(report.SYSTEM_PYTHON):
            raise InputError(f"{sys.executable} lacks matplotlib: run this under {report.SYSTEM_PYTHON}")
        raise InputError("matplotlib is missing (apt-get install python3-matplotlib)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    vcpus = sorted({k[1] for k in cells})
    pols = policies_in(cells)
    colors = {"fifo": "tab:gray", "clock": "tab:blue", "sharded": "tab:red"}
    styles = ["-", "--", ":", "-."]
    dens = sorted({k[2] for k in cells})
    fig, axes = plt.subplots(len(vcpus), len(GROWTH), figsize=(4.2 * len(GROWTH), 3.4 * len(vcpus)),
                             squeeze=False)
    labels = {m: (lab, unit) for m, lab, unit, _ in METRICS}
    for i, nv in enumerate(vcpus):
        for j, m in enumerate(GROWTH):
            ax = axes[i][j]
            for (pat, gv, d), qs in groups(cells).items():
                if gv != nv:
                    continue
                for p in pols:
                    pts = [(q, stats(cells[(pat, nv, d, q)].get(p) or [], m)) for q in qs]
                    pts = [(q, s) for q, s in pts if s is not None]
                    if not pts:
                        continue
                    xs = [q for q, _ in pts]
                    ys = [s[0] for _, s in pts]
                    err = [[s[0] - s[1] for _, s in pts], [s[2] - s[0] for _, s in pts]]
                    ax.errorbar(xs, ys, yerr=err, color=colors.get(p, "black"),
                                linestyle=styles[dens.index(d) % len(styles)], marker="o",
                                markersize=3, capsize=2, label=f"{p} d{d}" + (f" {pat}" if
                                                                               len({k[0] for k in cells}) > 1 else ""))
            ax.set_xscale("log", base=2)
            lab, unit = labels[m]
            ax.set_title(f"{lab}, {nv} vCPU" + ("s" if nv > 1 else ""), fontsize=9)
            ax.set_xlabel("quota (shadow pages)", fontsize=8)
            if unit:
                ax.set_ylabel(unit, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.set_ylim(bottom=0)
            ax.grid(True, alpha=0.3)
    axes[0][0].legend(fontsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv):
    report.ensure_matplotlib(argv, script=__file__, env="SIZE_REPORT_REEXEC")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs")
    ap.add_argument("--out")
    ap.add_argument("--machine")
    ap.add_argument("--accel")
    ap.add_argument("--kernel")
    ap.add_argument("--command")
    ap.add_argument("--date")
    ap.add_argument("--again", metavar="DIR")
    a = ap.parse_args(argv)
    try:
        if a.again:
            # The header lines are report.py's (- Machine:, - Command:, ...).
            hdr = report.read_header(os.path.join(a.again, "SIZE.md"))
            runs, out = os.path.join(a.again, "runs.csv"), a.out or a.again
        else:
            missing = [o for o in ("runs", "out", "machine", "accel", "kernel", "command")
                       if getattr(a, o) is None]
            if missing:
                ap.error("missing " + ", ".join("--" + o for o in missing) + " (or --again DIR)")
            import datetime
            hdr = {"machine": a.machine, "accel": a.accel, "kernel": a.kernel,
                   "command": a.command,
                   "date": a.date or datetime.datetime.now().strftime("%Y-%m-%d %H:%M")}
            runs, out = a.runs, a.out
        cells, regions = load(runs)
        os.makedirs(out, exist_ok=True)
        write_csv(os.path.join(out, "size.csv"), cells, regions)
        with open(os.path.join(out, "SIZE.md"), "w") as f:
            f.write(markdown(cells, regions, hdr))
        plot(os.path.join(out, "size.png"), cells)
    except InputError as e:
        print(f"size_report.py: error: {e}", file=sys.stderr)
        return 1
    print(f"size_report.py: {len(cells)} cells -> {out}/SIZE.md, size.csv, size.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
