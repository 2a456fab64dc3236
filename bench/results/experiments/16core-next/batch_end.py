#!/usr/bin/env python3
"""Why the sharded worker's batches end, per cell, from a runs.csv made by a
kernel with ../batch-end/variant.diff (its README says which stat columns
the variant repurposes). Medians over the runs of a cell.

usage: batch_end.py RUNS.CSV [RUNS.CSV ...]
"""
import csv
import statistics
import sys

# repurposed column -> what it counts under the variant
ENDS = [('evict_ref_skips', 'gap'), ('evict_young_skips', 'step'),
        ('evict_readied', 'yield'), ('evict_ready_stale', 'dry')]


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
        print('| pattern | quota | vCPUs | runs | batches | gap % | step % | yield % | dry % | pages/batch |')
        print('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|')
        for (pat, q, v), rs in sorted(cells.items()):
            med = {c: statistics.median(float(r[c]) for r in rs)
                   for c in [e for e, _ in ENDS] + ['evict_batches', 'evict_scanned']}
            b = med['evict_batches']
            if b <= 0:
                print(f'| {pat} | {q} | {v} | {len(rs)} | 0 | | | | | |')
                continue
            shares = ' | '.join(f'{100 * med[c] / b:.0f}' for c, _ in ENDS)
            print(f'| {pat} | {q} | {v} | {len(rs)} | {b:.0f} | {shares} | '
                  f'{med["evict_scanned"] / b:.1f} |')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
