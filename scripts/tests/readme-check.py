#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Check that what the README and docs/ name exists.

  readme-check.py [--root DIR] [FILE.md ...]   (default README.md docs/*.md)
  readme-check.py --selftest                   (shows each check can fail)

In every file: each relative link and image resolves (a #fragment must be
a heading of the target); each `make TARGET` in code is a target of the
Makefile it runs (`-C DIR` included); each repository path in code
(kernel/, design/, concurrency-tests/, bench/, scripts/, docs/, .ci/ and
the top-level files) exists, globs expanded and every {a,b} alternative.  In
README.md, the block between the glance markers must equal the output of
bench/report/glance.py.  Exit status 1 with one line per problem.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

TOP_DIRS = ("kernel", "design", "concurrency-tests", "bench", "scripts", "docs", ".ci")
TOP_FILES = ("README.md", "CHANGELOG.md", "Makefile")
# Targets of other projects' Makefiles that the docs quote (a Linux tree's).
FOREIGN_TARGETS = {"olddefconfig", "modules_install", "install"}
PATH_RE = re.compile(r"(?<![\w./~-])((?:%s)/[\w./*{},+-]*|(?:%s)(?![\w.-]))"
                     % ("|".join(re.escape(d) for d in TOP_DIRS),
                        "|".join(re.escape(f) for f in TOP_FILES)))
MAKE_RE = re.compile(r"(?<![\w-])make((?:\s+(?:-C\s+\S+|-s|[A-Z_]+=\S+))*)\s+([a-z][a-z0-9_-]*)")


def slug(heading):
    """GitHub's anchor for a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def headings(path):
    out = set()
    in_code = False
    with open(path) as f:
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            elif not in_code and line.startswith("#"):
                out.add(slug(line.lstrip("#")))
    return out


def code_spans(text):
    """Inline code spans and the lines of fenced blocks."""
    spans = []
    for block in re.findall(r"^```[^\n]*\n(.*?)^```", text, re.S | re.M):
        spans += block.splitlines()
    rest = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.S | re.M)
    spans += re.findall(r"`([^`\n]+)`", rest)
    return spans


def expand(pattern):
    m = re.search(r"\{([^{}]*)\}", pattern)
    if not m:
        return [pattern]
    return [p for alt in m.group(1).split(",")
            for p in expand(pattern[:m.start()] + alt + pattern[m.end():])]


def make_targets(makefile):
    targets = set()
    with open(makefile) as f:
        for line in f:
            m = re.match(r"^([A-Za-z0-9_.-]+(?:\s+[A-Za-z0-9_.-]+)*)\s*:(?!=)", line)
            if m:
                targets.update(m.group(1).split())
    return targets


def check_file(root, md, problems):
    path = os.path.join(root, md)
    text = open(path).read()
    here = os.path.dirname(path)
    for target in re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, frag = target.partition("#")
        dest = os.path.normpath(os.path.join(here, file)) if file else path
        if not os.path.exists(dest):
            problems.append(f"{md}: link to a missing file: {target}")
        elif frag and dest.endswith(".md") and frag not in headings(dest):
            problems.append(f"{md}: link to a missing heading: {target}")
    for span in code_spans(text):
        for opts, target in MAKE_RE.findall(span):
            if target in FOREIGN_TARGETS:
                continue
            d = re.search(r"-C\s+(\S+)", opts)
            makefile = os.path.join(root, d.group(1) if d else "", "Makefile")
            if not os.path.exists(makefile) or target not in make_targets(makefile):
                problems.append(f"{md}: no make target '{target}' in {os.path.relpath(makefile, root)}")
        for p in PATH_RE.findall(span):
            p = p.rstrip(".,:;")
            if "..." in p:
                continue
            if not all(glob.glob(os.path.join(root, q)) for q in expand(p)):
                problems.append(f"{md}: names a path that does not exist: {p}")


def check_glance(root, problems):
    text = open(os.path.join(root, "README.md")).read()
    m = re.search(r"<!-- glance:begin -->\n```\n(.*?)```\n<!-- glance:end -->", text, re.S)
    if not m:
        problems.append("README.md: no glance block (<!-- glance:begin --> ... <!-- glance:end -->)")
        return
    out = subprocess.run([sys.executable, os.path.join(root, "bench/report/glance.py"), "--root", root],
                         capture_output=True, text=True)
    if out.returncode != 0:
        problems.append(f"README.md: bench/report/glance.py failed: {out.stderr.strip()}")
    elif out.stdout != m.group(1):
        problems.append("README.md: the glance block differs from `python3 bench/report/glance.py`; "
                        "paste its output between the markers")


def run(root, files):
    problems = []
    for md in files:
        check_file(root, md, problems)
    if "README.md" in files:
        check_glance(root, problems)
    return problems


def selftest(root):
    """Each kind of problem is found, and a clean file passes."""
    cases = {
        "clean": ("[ok](docs/x.md#a-heading) `make unit` `scripts/t.sh` `kernel/{a,b}.c`", 0),
        "missing link": ("[x](docs/nope.md)", 1),
        "missing heading": ("[x](docs/x.md#nope)", 1),
        "missing target": ("`make nosuchtarget`", 1),
        "missing target -C": ("`make -C bench nosuchtarget`", 1),
        "missing path": ("```\nscripts/nope.sh --flag\n```", 1),
        "missing brace alternative": ("`kernel/{a,c}.c`", 1),
    }
    failed = 0
    with tempfile.TemporaryDirectory() as t:
        os.makedirs(os.path.join(t, "docs"))
        os.makedirs(os.path.join(t, "scripts"))
        os.makedirs(os.path.join(t, "kernel"))
        os.makedirs(os.path.join(t, "bench"))
        open(os.path.join(t, "docs/x.md"), "w").write("# A heading\n")
        open(os.path.join(t, "scripts/t.sh"), "w").write("")
        for f in ("a.c", "b.c"):
            open(os.path.join(t, "kernel", f), "w").write("")
        open(os.path.join(t, "Makefile"), "w").write("unit:\n\ttrue\n")
        open(os.path.join(t, "bench/Makefile"), "w").write("test:\n\ttrue\n")
        for name, (text, want) in cases.items():
            open(os.path.join(t, "case.md"), "w").write(text + "\n")
            got = len(run(t, ["case.md"]))
            ok = got == want
            failed += not ok
            if not ok:
                print(f"readme-check selftest: FAIL: {name}: {got} problem(s), want {want}")
    print(f"readme-check selftest: {'FAIL' if failed else 'PASS'}: {len(cases)} cases, {failed} failed")
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=".")
    ap.add_argument("--selftest", action="store_true")
    ap.add_argument("files", nargs="*")
    a = ap.parse_args()
    if a.selftest:
        return 1 if selftest(a.root) else 0
    files = a.files or ["README.md"] + sorted(
        os.path.relpath(p, a.root) for p in glob.glob(os.path.join(a.root, "docs/*.md")))
    problems = run(a.root, files)
    for p in problems:
        print(f"readme-check: {p}")
    print(f"readme-check: {'FAIL' if problems else 'PASS'}: {len(files)} file(s), {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
