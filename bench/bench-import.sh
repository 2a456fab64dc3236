#!/usr/bin/env bash
# bench-import.sh (`make bench-import FROM=results.tar.gz`): bring the
# results of the bench kit (make bench-pack; shadow-evict-bench/run.sh on
# another host) into bench/results/hosts/<host-tag>/: the runs, the host's
# description, the tarball itself (results.tar.gz), the simulator's replay of every cell and a REPORT.md made by
# the same report generator as `make bench`.
#   FROM=FILE      the kit's results tarball (required)
#   COMMAND="..."  how the kit was run, when host.txt predates its
#                  command= line
#   BENCH_IMPORT_DEST=DIR  import into DIR/<host-tag>/ instead (tests); the
#                  hosts' comparison (bench/results/SCALING.md) is then left alone
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

from=${FROM:-}
[ -n "$from" ] || die "FROM= names the results tarball (shadow-evict-results-<tag>.tar.gz)"
[ -f "$from" ] || die "FROM=$from: no such file"
need_pkgs python3:python3 /usr/lib/python3/dist-packages/matplotlib:python3-matplotlib

tmp=$(mktemp -d "$BUILD/import.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
# Kept with the host's report, so a re-import needs nothing else.
cp "$from" "$tmp/results.tar.gz"
tar -xzf "$tmp/results.tar.gz" -C "$tmp" || die "FROM=$from is not a readable tar.gz"
top=$(find "$tmp" -mindepth 1 -maxdepth 1 -type d -name 'shadow-evict-results-*')
[ "$(grep -c '' <<<"$top")" = 1 ] && [ -d "$top" ] ||
	die "FROM=$from does not hold one shadow-evict-results-<tag>/ folder"
[ -f "$top/host.txt" ] || die "$from has no host.txt"
hget() { sed -n "s/^$1=//p" "$top/host.txt" | head -1; }
tag=$(hget tag)
[[ $tag =~ ^[A-Za-z0-9._-]+$ ]] || die "host.txt's tag '$tag' is not a plain name"
runs=$top/bench/results/runs.csv
[ -f "$runs" ] || die "$from has no bench/results/runs.csv (the bench boot brought nothing back; see its console.log)"
[ "$(wc -l <"$runs")" -gt 1 ] || die "$from: bench runs.csv has no rows"

hosts=${BENCH_IMPORT_DEST:-$TOP/bench/results/hosts}
dest=$hosts/$tag
rm -rf "$dest"
mkdir -p "$dest"
cp "$tmp/results.tar.gz" "$dest/results.tar.gz"
cp "$top/host.txt" "$dest/host.txt"
[ -f "$top/kit.txt" ] && cp "$top/kit.txt" "$dest/kit.txt"
cp "$runs" "$dest/runs.csv"
for b in bench lockstat; do
	[ -d "$top/$b" ] || continue
	cp "$top/$b/boot.txt" "$dest/$b-boot.txt"
	cp "$top/$b/cmdline.txt" "$dest/$b-cmdline.txt"
	[ -f "$top/$b/results/bench.log" ] && cp "$top/$b/results/bench.log" "$dest/$b-driver.log"
	# The boot's kernel reports, if any, travel with the data.
	grep -E 'BUG:|WARNING:|Kernel panic|Oops' "$top/$b/console.log" >"$dest/$b-reports.txt" || true
	[ -s "$dest/$b-reports.txt" ] || rm -f "$dest/$b-reports.txt"
done
ls_args=()
if [ -f "$top/lockstat/results/runs.csv" ] && [ "$(wc -l <"$top/lockstat/results/runs.csv")" -gt 1 ]; then
	cp "$top/lockstat/results/runs.csv" "$dest/runs-lockstat.csv"
	ls_kernel=$(boot_kernel "$top/lockstat/console.log")
	ls_args=(--lockstat "$dest/runs-lockstat.csv" --lockstat-kernel "${ls_kernel:-unknown}, lockstat flavor")
fi

# The trace's hot set, as the bench boot's command line gave it.
cmdl=$(cat "$top/bench/cmdline.txt")
hot_pct=$(sed -n 's/.*bench_hot_pct=\([0-9]*\).*/\1/p' <<<"$cmdl")
hot_hit_pct=$(sed -n 's/.*bench_hot_hit_pct=\([0-9]*\).*/\1/p' <<<"$cmdl")
[ -n "$hot_pct" ] && [ -n "$hot_hit_pct" ] || die "bench/cmdline.txt does not give bench_hot_pct and bench_hot_hit_pct"
"$TOP/bench/bench-sim.sh" "$dest/runs.csv" "$dest/sim.csv" "$hot_pct" "$hot_hit_pct"

accel=$(hget accel)
case $accel in kvm) accel_name=KVM ;; tcg) accel_name=TCG ;; *) die "host.txt: unknown accel '$accel'" ;; esac
machine="$(hget cpus) CPUs, $(hget cpu_model), $(($(hget mem_mib) / 1024)) GiB RAM, $(hget kernel); L1 guest: $(hget l1_vcpus) vCPUs, $(hget l1_mem)"
kernel=$(boot_kernel "$top/bench/console.log")
kit=$(sed -n 's/^kernel_tree=//p' "$dest/kit.txt" 2>/dev/null || true)
command=$(hget command)
command=${command:-${COMMAND:-not recorded}}
python3 "$TOP/bench/report/report.py" --runs "$dest/runs.csv" --sim "$dest/sim.csv" --out "$dest" \
	--machine "$machine" --accel "$accel_name" --date "$(hget date)" \
	--kernel "${kernel:-unknown}, bench flavor, tree HEAD ${kit:-unknown}" \
	--command "on the host: $command; here: make bench-import FROM=$from" "${ls_args[@]}" ||
	die "bench/report/report.py failed on $dest"
if [ -n "${BENCH_IMPORT_DEST:-}" ]; then
	:
elif [ -f "$TOP/bench/results/runs.csv" ]; then
	"$TOP/bench/bench-scaling.sh"
else
	info "no bench/results/runs.csv here (make bench): SCALING.md waits for it"
fi
info "imported $tag into $dest"
