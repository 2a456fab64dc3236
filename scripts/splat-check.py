#!/usr/bin/env python3
"""Find kernel splats in a console log and decide whether they fail the run.

The rule: a report fails the run when it can be the patch series' fault.
Every code hunk of the series lies under arch/x86/kvm or virt/kvm or in the
two kvm_host.h headers, whose code runs in those directories' functions.
  - KASAN, lockdep, BUG, Oops, WARNING, UBSAN and panic reports fail the
    run wherever they are: each says that something is broken, and the
    cause may lie far from the stack that tripped over it.
  - A KCSAN report fails it when its stacks (or its title) name a function
    defined under arch/x86/kvm or virt/kvm. One with no KVM frame is
    upstream's: core code racing with core code, which the series does not
    touch. It is printed in full, counted, and listed in the file given
    with --upstream-out, but it never fails the run: upstream 6.12 has more
    rare benign races than any list of seen signatures would ever hold.
  - An RCU-stall, soft-lockup, workqueue-lockup or hung-task report fails
    it when it names a KVM function
    or when the run's tests failed too (--tests-failed): a stall that
    broke nothing and shows no KVM code is the emulator's slow CPU.
In a KCSAN stack, two kinds of frames below a boundary are not counted,
because the code that raced does not run on their behalf:
  - the frames an interrupt handler interrupted (a timer race that lands
    on a vCPU thread is not KVM's);
  - the callers of handle_mm_fault(): the core kernel resolving a fault on
    user memory, whoever took it (a guest fault's get_user_pages() or a
    user-space store), touches its own state, and KCSAN's top frame is the
    access. KVM code called back from inside it (an MMU notifier) sits
    above the boundary and still counts. The cost: for a "race at unknown
    origin" only the reader's stack is printed, so a KVM writer racing
    with core code there would not be attributed.
  Frames the unwinder marks unreliable ("? ") are never a boundary. An
  RCU stall's or hung task's stack is not cut: the interrupted code is
  the code that stalled.
Every instance of a signature is judged on its own: one that fails the
run does so even if another with the same signature did not, and the two
are counted apart.

usage: splat-check.py CONSOLE_LOG --kvm-symbols FILE [--tests-failed]
                      [--upstream-out FILE]
exit status: 0 no report fails the run, 1 one does, 2 bad input.
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
    # The soft-lockup and workqueue watchdogs say "BUG" but, like an RCU
    # stall, report a CPU that made no progress: judged as stalls.
    (re.compile(r'BUG: (soft lockup|workqueue lockup)\b.*'), 'lockup'),
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
NEW_STACK = re.compile(r'\b(read|write)\b.* by (task \d+|interrupt) on cpu|race at unknown origin')


def frames(rep, interrupted=True):
    """Function names of the report's stacks, top first. Without
    interrupted=True, each stack of a KCSAN report stops at a boundary."""
    out, cut = [], False
    cuts = not interrupted and rep['kind'] == 'KCSAN'
    for line in rep['lines'][1:]:
        found = list(FRAME.finditer(line))
        if not found:
            # A new stack (KCSAN prints one per access, after a blank line
            # and a "read/write ... by task/interrupt" line); any other
            # line (a guest's output between frames) leaves the cut alone.
            if not line.strip() or NEW_STACK.search(line):
                cut = False
            continue
        for m in found:
            fn = m.group(1).split('.')[0]
            if not cut:
                out.append(fn)
            if not cuts or UNRELIABLE.search(line[:m.start()]):
                continue
            if IRQ_ENTRY.match(fn) or MM_FAULT.match(fn):
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


# Kinds judged by their KVM frames (and, for stalls, the tests); every
# other kind fails the run wherever it is.
BY_FRAMES = ('KCSAN', 'RCU stall', 'lockup', 'hung task')


def why_fatal(rep, tests_failed):
    """The reason the report fails the run, or None."""
    if rep['kvm']:
        return 'touches KVM: ' + ', '.join(rep['kvm'][:6])
    if rep['kind'] not in BY_FRAMES:
        return f'a {rep["kind"]} report fails the run wherever it is'
    if rep['kind'] != 'KCSAN' and tests_failed:
        return f'{rep["kind"]} in a run whose tests failed'
    return None


def load(path):
    try:
        with open(path) as f:
            return [l.rstrip('\n') for l in f]
    except OSError as e:
        print(f'splat-check: error: {e}', file=sys.stderr)
        sys.exit(2)


def show(r, count, why):
    print(f'\n--- {r["kind"]} x{count} ({why})\n    {r["sig"]}')
    for line in r['lines'][:60]:
        print(f'    | {line}')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('console')
    ap.add_argument('--kvm-symbols', required=True)
    ap.add_argument('--tests-failed', action='store_true',
                    help="the run's tests failed: RCU stalls and hung tasks fail it too")
    ap.add_argument('--upstream-out', metavar='FILE',
                    help='write the reports that do not fail the run here, one signature a line')
    a = ap.parse_args()

    kvm = set(load(a.kvm_symbols))
    if not kvm:
        print('splat-check: error: empty KVM symbol list', file=sys.stderr)
        return 2
    reports = split_reports(load(a.console))

    # Every instance is judged on its own; the failing and the upstream
    # instances of one signature are then grouped and counted apart. Of
    # the failing ones the first is printed, with the KVM frames of all.
    fatal, upstream, counts = {}, {}, {}
    for rep in reports:
        rep['sig'], rep['kvm'] = signature(rep), kvm_frames(rep, kvm)
        rep['why'] = why_fatal(rep, a.tests_failed)
        group = fatal if rep['why'] else upstream
        key = (id(group), rep['sig'])
        counts[key] = counts.get(key, 0) + 1
        kept = group.setdefault(rep['sig'], rep)
        if kept is not rep:
            kept['kvm'] = sorted(set(kept['kvm']) | set(rep['kvm']))
    for r in fatal.values():
        r['why'] = why_fatal(r, a.tests_failed)
    fcount = {s: counts[(id(fatal), s)] for s in fatal}
    ucount = {s: counts[(id(upstream), s)] for s in upstream}
    nu = sum(ucount.values())
    fatal, upstream = list(fatal.values()), list(upstream.values())

    if a.upstream_out:
        try:
            with open(a.upstream_out, 'w') as f:
                for r in upstream:
                    f.write(f'{ucount[r["sig"]]}\t{r["sig"]}\n')
        except OSError as e:
            print(f'splat-check: error: {e}', file=sys.stderr)
            return 2
    if upstream:
        print(f'splat-check: {nu} report(s) with no KVM frame, which do not fail the run '
              f'(upstream kernel code; printed in full below):')
        for r in upstream:
            print(f'  [upstream x{ucount[r["sig"]]}] {r["sig"]}')
        for r in upstream:
            show(r, ucount[r['sig']], 'no KVM frame: upstream, not fatal')
    tail = f'{len(reports)} report(s) in all, {nu} upstream'
    if not fatal:
        print(f'splat-check: PASS: no report fails the run ({tail})')
        return 0
    nf = sum(fcount.values())
    print(f'splat-check: FAIL: {nf} report(s) fail the run ({tail}):')
    for r in fatal:
        show(r, fcount[r['sig']], r['why'])
    return 1


if __name__ == '__main__':
    sys.exit(main())
