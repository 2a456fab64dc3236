#!/usr/bin/env bash
# results_check.sh [PYTHON [DIR]]: DIR's generated files (default
# bench/results) are what the generators make of DIR's data: REPORT.md but
# for its Date line, summary.csv, targets.csv and SCALING.md, and where
# DIR/size holds a size-axis run, its SIZE.md and size.csv. The charts are
# made too but not compared (their bytes follow the matplotlib version).
# Prints the differences and exits 1 where any differs.
set -u
PY=${1:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
R=${2:-$(cd "$here/../results" && pwd)}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
if "$PY" "$here/report.py" --again "$R" --out "$T" >/dev/null &&
	"$PY" "$here/scaling.py" --results "$R" --out "$T"; then
	diff -u --label "$R/REPORT.md" --label regenerated \
		<(sed '/^- Date: /d' "$R/REPORT.md") <(sed '/^- Date: /d' "$T/REPORT.md") || fail=1
	for f in summary.csv targets.csv SCALING.md; do
		diff -u --label "$R/$f" --label regenerated "$R/$f" "$T/$f" || fail=1
	done
else
	fail=1
fi
echo "$([ $fail = 0 ] && echo PASS || echo FAIL): $R: REPORT.md, summary.csv, targets.csv and SCALING.md from its data"
# The size axis (make bench SIZE=1), where one was committed.
if [ -f "$R/size/SIZE.md" ]; then
	sfail=0
	if "$PY" "$here/size_report.py" --again "$R/size" --out "$T/size" >/dev/null; then
		for f in SIZE.md size.csv; do
			diff -u --label "$R/size/$f" --label regenerated "$R/size/$f" "$T/size/$f" || sfail=1
		done
	else
		sfail=1
	fi
	echo "$([ $sfail = 0 ] && echo PASS || echo FAIL): $R/size: SIZE.md and size.csv from its data"
	[ $sfail = 0 ] || fail=1
fi
exit $fail
