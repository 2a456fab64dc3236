#!/usr/bin/env python3
"""Find kernel splats in a console log and decide whether they fail the run.

Every KCSAN, KASAN, lockdep, WARNING, BUG, Oops, RCU stall and hung-task
report counts. A report fails the run unless its signature is listed in the
flavor's baseline (reports that the unpatched kernel prints running the same
suite), and it always fails when its stack names a function defined under
arch/x86/kvm or virt/kvm. Two kinds of frames below a boundary are not
counted, because the code that raced does not run on their behalf:
  - the frames an interrupt handler interrupted (a timer race that lands
    on a vCPU thread is not KVM's);
  - in a KCSAN report, the callers of handle_mm_fault(): the core kernel
    resolving a fault on user memory, whoever took it (a guest fault's
    get_user_pages() or a user-space store), touches its own state, and
    KCSAN's top frame is the access. KVM code called back from inside it
    (an MMU notifier) sits above the boundary and still counts. The cost:
    for a "race at unknown origin" only the reader's stack is printed, so
    a KVM writer racing with core code there would not be attributed.
  Frames the unwinder marks unreliable ("? ") are never a boundary.
Every instance of a signature is judged: one that touches KVM fails the run
even if an earlier one with the same signature did not. Baseline reports
are printed and counted, never hidden.

usage: splat-check.py CONSOLE_LOG --kvm-symbols FILE --baseline FILE
                      [--record]   (append new non-KVM signatures to baseline)
exit status: 0 clean (baseline only), 1 new or KVM reports, 2 bad input.
"""
import argparse
import re
import sys

TS = re.compile(r'^\[\s*\d+\.\d+\]\s?')
# (pattern, kind). The first match on a line starts a report.
HEADERS = [
    (re.compile(r'BUG: KCSAN: (.*)'), 'KCSAN'),
    (re.compile(r'BUG: KASAN: (.*)'), 'KASAN'),
    (re.compile(r'WARNING: CPU: \d+ PID: \d+ at (\S+) (.*)'), 'WARNING'),
    (re.compile(r'WARNING: (.*)'), 'lockdep'),
    (re.compile(r'kernel BUG at (.*)'), 'BUG'),
    (re.compile(r'BUG: (.*)'), 'BUG'),
    (re.compile(r'(?:rcu: )?INFO: (rcu_\w+ (?:self-)?detected (?:stalls?|expedited stalls?).*)'), 'RCU stall'),
    (re.compile(r'INFO: task (\S+) blocked for more than'), 'hung task'),
    (re.compile(r'Oops: (.*)'), 'Oops'),
    (re.compile(r'(general protection fault.*)'), 'Oops'),
    (re.compile(r'UBSAN: (.*)'), 'UBSAN'),
    (re.compile(r'(Kernel panic - not syncing.*)'), 'panic'),
]
END = re.compile(r'^(=+|---\[ end trace .*)$')
FRAME = re.compile(r'\b([A-Za-z_][\w.]*)\+0x[0-9a-f]+/0x[0-9a-f]+')
HEX = re.compile(r'0x[0-9a-f]+|\b[0-9a-f]{8,}\b')
NUM = re.compile(r'\b\d+\b')
# Frames that every report has and that say nothing about where it came from.
NOISE = re.compile(r'^(dump_stack|dump_stack_lvl|show_stack|__warn|warn_slowpath|report_bug|'
                   r'handle_bug|exc_invalid_op|asm_exc_invalid_op|print_|lockdep_|__lock_acquire|'
                   r'lock_acquire|check_|validate_chain|kcsan_|__tsan_|kasan_|__asan_|'
                   r'_raw_|do_raw_|debug_|__debug_|rcu_lockdep|lockdep_rcu)')


def strip(line):
    return TS.sub('', line.rstrip('\n')).rstrip()


def split_reports(lines):
    reports, cur = [], None
    for raw in lines:
        line = strip(raw)
        hit = None
        for pat, kind in HEADERS:
            m = pat.search(line)
            if m:
                hit = (kind, m)
                break
        # A lockdep report's own WARNING line inside a WARNING block, or the
        # "BUG:" title repeated, belongs to the report already open.
        if hit and not (cur and len(cur['lines']) < 3 and hit[0] == cur['kind']):
            if cur:
                reports.append(cur)
            cur = {'kind': hit[0], 'match': hit[1], 'lines': [line]}
            continue
        if cur:
            if END.match(line) and len(cur['lines']) > 2:
                reports.append(cur)
                cur = None
            elif len(cur['lines']) < 120:
                cur['lines'].append(line)
    if cur:
        reports.append(cur)
    return reports


# Boundaries in a stack below which the frames are not the racing code's:
# a hardware-interrupt entry (the frames below belong to the code the
# interrupt happened to land on) and, in KCSAN reports only,
# handle_mm_fault() (the frames below asked the core mm to fault in user
# memory; see the docstring). KCSAN's stacks are exact and their top frame
# made the access; a WARNING, BUG or KASAN report's cause may lie in a
# caller below handle_mm_fault(), so those keep every frame. A frame the
# unwinder could not vouch for ("? fn+off/len", a stale return address) is
# never a boundary.
IRQ_ENTRY = re.compile(r'^(asm_sysvec_\w+|asm_common_interrupt)$')
MM_FAULT = re.compile(r'^handle_mm_fault$')
UNRELIABLE = re.compile(r'\?\s*$')


def frames(rep, interrupted=True):
    """Function names of the report's stacks, top first. Without
    interrupted=True, each stack stops at a boundary frame."""
    out, cut = [], False
    for line in rep['lines'][1:]:
        found = list(FRAME.finditer(line))
        if not found:
            cut = False          # a new stack (KCSAN prints one per access)
            continue
        for m in found:
            fn = m.group(1).split('.')[0]
            if not cut:
                out.append(fn)
            if interrupted or UNRELIABLE.search(line[:m.start()]):
                continue
            if IRQ_ENTRY.match(fn) or (rep['kind'] == 'KCSAN' and MM_FAULT.match(fn)):
                cut = True
    return out


def signature(rep):
    kind, m = rep['kind'], rep['match']
    if kind == 'WARNING':
        where = NUM.sub('N', m.group(1))
        fn = FRAME.findall(m.group(2))
        return f'WARNING at {where} {fn[0] if fn else ""}'.strip()
    title = m.group(1) if m.groups() else m.group(0)
    title = FRAME.sub(lambda x: x.group(1), title)
    title = NUM.sub('N', HEX.sub('X', title)).strip()
    if kind in ('KCSAN',):
        return f'KCSAN: {title}'
    top = [f for f in frames(rep) if not NOISE.match(f)][:2]
    return f'{kind}: {title}' + (f' @ {" < ".join(top)}' if top else '')


def kvm_frames(rep, kvm):
    hits = [f for f in frames(rep, interrupted=False) if f in kvm]
    if rep['kind'] == 'KCSAN':
        hits += [f for f in re.findall(r'[\w.]+', rep['match'].group(1)) if f in kvm]
    if any('arch/x86/kvm/' in l or 'virt/kvm/' in l for l in rep['lines']):
        hits.append('arch/x86/kvm')
    return sorted(set(hits))


def load(path):
    try:
        with open(path) as f:
            return [l.rstrip('\n') for l in f]
    except OSError as e:
        print(f'splat-check: error: {e}', file=sys.stderr)
        sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('console')
    ap.add_argument('--kvm-symbols', required=True)
    ap.add_argument('--baseline', required=True)
    ap.add_argument('--record', action='store_true')
    a = ap.parse_args()

    kvm = set(load(a.kvm_symbols))
    if not kvm:
        print('splat-check: error: empty KVM symbol list', file=sys.stderr)
        return 2
    try:
        base = {l for l in load(a.baseline) if l and not l.startswith('#')}
    except SystemExit:
        base = set()
    reports = split_reports(load(a.console))

    # One entry per signature, judged on all of its instances (their KVM
    # frames merged); the instance printed is the first, or the first that
    # touches KVM if an earlier one did not.
    first, counts = {}, {}
    for rep in reports:
        sig = signature(rep)
        rep['sig'], rep['kvm'] = sig, kvm_frames(rep, kvm)
        counts[sig] = counts.get(sig, 0) + 1
        if sig not in first:
            first[sig] = rep
        elif rep['kvm'] and not first[sig]['kvm']:
            first[sig] = rep     # print an instance that shows the KVM frames
        else:
            first[sig]['kvm'] = sorted(set(first[sig]['kvm']) | set(rep['kvm']))
    new, known = [], []
    for sig, rep in first.items():
        (known if sig in base and not rep['kvm'] else new).append(rep)

    nk = sum(counts[r['sig']] for r in known)
    if known:
        print(f'splat-check: {nk} baseline report(s), also printed by the unpatched kernel '
              f'({a.baseline}):')
        for r in known:
            print(f'  [baseline x{counts[r["sig"]]}] {r["sig"]}')
    if a.record:
        add = [r['sig'] for r in new if not r['kvm']]
        if add:
            with open(a.baseline, 'a') as f:
                for s in add:
                    f.write(s + '\n')
        print(f'splat-check: recorded {len(add)} new baseline signature(s) in {a.baseline}')
        kvm_new = [r for r in new if r['kvm']]
        for r in kvm_new:
            print(f'splat-check: NOT recorded, touches KVM ({", ".join(r["kvm"])}): {r["sig"]}')
        return 1 if kvm_new else 0
    if not new:
        print(f'splat-check: PASS: no new reports ({len(reports)} report(s) in all, {nk} baseline)')
        return 0
    print(f'splat-check: FAIL: {len(new)} new report(s):')
    for r in new:
        why = f'touches KVM: {", ".join(r["kvm"][:6])}' if r['kvm'] else 'not in the baseline'
        print(f'\n--- {r["kind"]} x{counts[r["sig"]]} ({why})\n    {r["sig"]}')
        for line in r['lines'][:60]:
            print(f'    | {line}')
    return 1


if __name__ == '__main__':
    sys.exit(main())
