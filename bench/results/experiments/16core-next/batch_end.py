#!/usr/bin/env python3
"""Why the sharded worker's batches end, per cell, from a runs.csv made by a
kernel with ../batch-end/variant.diff (its README says which stat columns
the variant repurposes). Medians over the runs of a cell. short % is the
part of the batches' targets they did not zap; stale % of short is the
part of that shortfall made of ready entries found used at zap time.
Runs made with the first version of the variant (before 2026-11-27 18:30
UTC) have no targets: their last three columns mean nothing.

usage: batch_end.py RUNS.CSV [RUNS.CSV ...]
"""
import csv
import statistics
import sys

# repurposed column -> what it counts under the variant
ENDS = [('evict_ref_skips', 'gap'), ('evict_young_skips', 'step'),
        ('evict_readied', 'yield'), ('evict_ready_stale', 'dry')]
# Sums over the worker's batches (columns the variant repurposes since
# 2026-11-27): their targets, and the ready entries they found used.
WANT, STALE = 'evict_wakeups', 'evict_lock_max_ns'


def main(paths):
    if not paths:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    for path in paths:
        with open(path) as f:
            rows = [r for r in csv.DictReader(f) if r['policy'] == 'sharded']
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
            med = {c: statistics.median(float(r[c]) for r in rs)
                   for c in [e for e, _ in ENDS] + ['evict_batches', 'evict_scanned']}
            b = med['evict_batches']
            if b <= 0:
                print(f'| {pat} | {q} | {v} | {len(rs)} | 0 | | | | | | | | |')
                continue
            shares = ' | '.join(f'{100 * med[c] / b:.0f}' for c, _ in ENDS)
            # Sums per run first, medians after: the short and stale shares
            # are ratios within a run.
            want = statistics.median(float(r[WANT]) for r in rs)
            short = statistics.median(100 * (float(r[WANT]) - float(r['evict_scanned']))
                                      / float(r[WANT]) for r in rs if float(r[WANT]) > 0)
            stale = [100 * float(r[STALE]) / (float(r[WANT]) - float(r['evict_scanned']))
                     for r in rs if float(r[WANT]) > float(r['evict_scanned'])]
            stale_s = f'{statistics.median(stale):.0f}' if stale else ''
            print(f'| {pat} | {q} | {v} | {len(rs)} | {b:.0f} | {shares} | '
                  f'{med["evict_scanned"] / b:.1f} | {want / b:.1f} | {short:.0f} | {stale_s} |')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
