#!/usr/bin/env python3
"""Why the sharded worker's batches end, per cell, from a runs.csv made by a
kernel with bench/variants/batch-end/variant.diff, which repurposes the
stat columns named in ENDS, GOT, WANT and STALE below. Each figure is a
ratio within a run, then the median over the runs of a cell (as
bench/report/evict_costs.py does):

  gap/step/yield/dry %  share of the worker's batches each cause ended
  pages/batch           pages the worker zapped per batch
  target/batch          pages it meant to zap per batch
  short %               part of the targets not zapped (by a yield or a
                        dry ready list)
  stale % of short      ready entries dropped at zap time (found used or
                        gone), as a part of that shortfall; they are
                        counted in every batch, so this is an upper bound

Only runs of the variant as of dda5330 (kit.txt: project=dda5330 or
later) carry the targets and the stale entries; with an older variant
the last three columns mean nothing.

usage: bench/report/batch_end.py RUNS.CSV [RUNS.CSV ...]
"""
import csv
import statistics
import sys

# repurposed column -> what it counts under the variant
ENDS = [('evict_ref_skips', 'gap'), ('evict_young_skips', 'step'),
        ('evict_readied', 'yield'), ('evict_ready_stale', 'dry')]
# Sums over the worker's batches: pages zapped, targets, stale entries.
GOT, WANT, STALE = 'evict_scanned', 'evict_wakeups', 'evict_lock_max_ns'


def med(rs, f):
    vals = [v for v in (f(r) for r in rs) if v is not None]
    return statistics.median(vals) if vals else None


def fmt(v, spec):
    return '' if v is None else format(v, spec)


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in paths:
        with open(path) as f:
            rows = [{k: (float(v) if k.startswith('evict_') else v) for k, v in r.items()}
                    for r in csv.DictReader(f) if r['policy'] == 'sharded']
        if not rows:
            print(f'batch_end.py: error: no sharded runs in {path}', file=sys.stderr)
            return 2
        cells = {}
        for r in rows:
            cells.setdefault((r['pattern'], int(r['quota']), int(r['vcpus'])), []).append(r)
        print(f'\n{path}\n')
        print('| pattern | quota | vCPUs | runs | batches | gap % | step % | yield % | dry % '
              '| pages/batch | target/batch | short % | stale % of short |')
        print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        for (pat, q, v), rs in sorted(cells.items()):
            def per_batch(col):
                return lambda r: r[col] / r['evict_batches'] if r['evict_batches'] > 0 else None
            shares = [med(rs, lambda r, c=c: None if r['evict_batches'] <= 0
                          else 100 * r[c] / r['evict_batches']) for c, _ in ENDS]
            short = med(rs, lambda r: 100 * (r[WANT] - r[GOT]) / r[WANT] if r[WANT] > 0 else None)
            stale = med(rs, lambda r: 100 * r[STALE] / (r[WANT] - r[GOT])
                        if r[WANT] > r[GOT] else None)
            print(f'| {pat} | {q} | {v} | {len(rs)} | {statistics.median(r["evict_batches"] for r in rs):.0f} | '
                  + ' | '.join(fmt(x, '.0f') for x in shares)
                  + f' | {fmt(med(rs, per_batch(GOT)), ".1f")} | {fmt(med(rs, per_batch(WANT)), ".1f")}'
                  f' | {fmt(short, ".0f")} | {fmt(stale, ".1f")} |')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
