# Shadow-page eviction for KVM: workbench entry points.
#
#   make run        build the debug kernel and guest, run the smoke suite
#   make test       what CI runs: make unit, the config fragments, the debug
#                   kernel booted once per policy (smoke/evict suites, splat
#                   check), Debian's stock kernel with the DKMS package's
#                   modules (smoke per policy), the real-guest smoke run
#   make test-workloads  the real-guest smoke run and its failure at each
#                   layer (bench/tests/bench-workloads/layers.sh)
#   make unit       userspace tests only: eviction core (TSan/ASan),
#                   simulator and report, splat check, option checks, SPIN
#                   model, README and docs check
#   make kernel     build one flavor (FLAVOR=debug|kasan|bench|lockstat|workload)
#   make guest      build the guest initramfs (selftests + project programs)
#   make bench      fifo vs clock vs sharded across vCPU counts beside Belady's
#                   MIN: quick matrix (FULL=1 the whole one; BENCH_* overrides,
#                   see bench/bench.sh) -> bench/results/; SIZE=1: the size
#                   axis (rings of 96-4096 pages, 1-512 SPTEs per page)
#                   -> bench/results/size/
#   make validate   every suite (evict, upstream selftests, stress) under
#                   every policy on the debug and KASAN kernels -> one table
#   make bench-workloads  stress-ng and redis in a nested L2 guest on the
#                   shadow MMU, per policy, with flame graphs ->
#                   bench/results/workloads/ (WL_ARGS: bench/bench-workloads.sh)
#   make hang-count L1 hangs per L2 boot under TCG: the series against the
#                   pristine kernel -> bench/results/hangs/
#   make bench-pack the benchmark as one tarball for a host without packages
#                   (make bench-pack-test: run it in a chroot without QEMU)
#   make bench-import FROM=results.tar.gz -> bench/results/hosts/<tag>/
#   make deb        the patched KVM modules as a Debian DKMS package ->
#                   build/deb/shadow-evict-kvm-dkms_VERSION_all.deb
#   make test-stock Debian's own 6.12 kernel, unpacked, booted with the
#                   package's modules: the smoke suite under every policy
#   make test-deb-install  the .deb installed and removed with apt in a
#                   chroot with two 6.12 kernels' headers
#   make rebase     move the kernel base (kernel/BASE) to the newest 6.12.y
#   make kernel-tree / export / patches / checkpatch / bisect-build /
#        clean

FLAVOR  ?= debug
SUITE   ?= smoke
VCPUS   ?= 2
MEM     ?= 2G
TIMEOUT ?= 1500
APPEND  ?=
# make test boots the debug kernel once per policy: the smoke suite under
# fifo (the default), the evict suite (16 vCPUs at the minimum quota, a
# skewed working set) under clock and sharded.
TEST_POLICIES ?= fifo clock sharded
RUNFLAGS = --flavor $(FLAVOR) --suite $(SUITE) --vcpus $(VCPUS) --mem $(MEM) \
	   --timeout $(TIMEOUT) $(if $(APPEND),--append "$(APPEND)")

# The kernel tree (make rebase checks another one through this).
KSRC ?= build/src/linux
SHELL := /bin/bash
.PHONY: all run test unit validate kernel guest rebase hang-count bench bench-workloads bench-pack bench-pack-test bench-import deb test-stock test-deb-install test-workloads kernel-tree export patches checkpatch bisect-build \
	timings-reset timings clean distclean help

all: help

help:
	@sed -n '1,/^$$/p' Makefile

kernel-tree:
	scripts/ktree.sh prepare

# Move kernel/BASE's pin to TO (a package version of linux-source-6.12;
# default the newest 6.12.y apt offers), once the series applies there,
# kernel/src matches, checkpatch is clean and every commit builds.
TO ?=
rebase:
	scripts/ktree.sh rebase $(TO)

kernel:
	scripts/kbuild.sh $(FLAVOR)

guest:
	scripts/guest.sh

run: kernel guest
	scripts/run-guest.sh $(RUNFLAGS)

# The benchmark: builds the bench kernel, guest and simulator itself.
bench:
	bench/bench.sh

# Real guests: stress-ng and redis-benchmark in L2 on L1's shadow MMU.
WL_ARGS ?=
bench-workloads:
	bench/bench-workloads.sh $(WL_ARGS)

# L1 hangs and deaths per L2 boot under TCG, the series against the
# pristine kernel (BOOTS per side, BLOCK per L1 boot; see the script).
BOOTS ?= 100
BLOCK ?= 10
hang-count:
	bench/hang-count.sh $(BOOTS) $(BLOCK)

# The validation matrix: suites x policies x debug/KASAN kernels, one
# table (VALIDATE_* knobs: see scripts/validate.sh).
validate:
	scripts/validate.sh

# The patched KVM modules as a Debian DKMS package for Debian's own 6.12
# kernels: build/deb/shadow-evict-kvm-dkms_VERSION_all.deb
deb:
	scripts/deb.sh

# Debian's own 6.12 kernel (the pinned base's linux-image, unpacked, never
# installed) booted with the package's modules, the smoke suite per policy.
test-stock:
	scripts/stock-test.sh

# The package installed and removed with apt in a Debian 12 chroot that has
# two 6.12 kernels with headers (root; after make deb; about 20 min).
test-deb-install:
	scripts/deb-install-test.sh

# The benchmark as one self-contained tarball for hosts without packages,
# and its results brought back: make bench-import FROM=results.tar.gz
bench-pack:
	bench/bench-pack.sh

# The kit run where nothing of QEMU, python or apt exists (a chroot).
bench-pack-test: bench-pack
	bench/tests/bench-pack-chroot.sh

bench-import:
	FROM="$(FROM)" COMMAND="$(COMMAND)" bench/bench-import.sh

# Userspace tests: the eviction core (concurrency-tests/), the
# benchmark's simulator and report generator (bench/), the splat check
# on sample console logs (scripts/tests/splat-check/), the refusal of bad
# bench options and the benchmark matrix's defaults (scripts/tests/
# bench-workloads/options.sh, bench-matrix.sh), and the SPIN model of the
# sharded protocol (design/model/).
unit:
	@t0=$$(date +%s); $(MAKE) -C concurrency-tests test || exit 1; \
		$(MAKE) -C bench test || exit 1; \
		scripts/tests/splat-check/run.sh || exit 1; \
		bench/tests/bench-workloads/options.sh || exit 1; \
		bench/tests/bench-matrix.sh || exit 1; \
		scripts/tests/dkms-check.sh || exit 1; \
		design/model/check.sh || exit 1; \
		scripts/tests/readme-check.py --selftest && scripts/tests/readme-check.py || exit 1; \
		mkdir -p build; echo "unit-tests $$(( $$(date +%s) - t0 ))" >> build/timings.txt

timings-reset:
	@mkdir -p build && : > build/timings.txt && : > build/upstream-reports.txt

timings:
	@echo "=== upstream kernel reports (no KVM frame; printed, not fatal): $$(awk -F'\t' '{ s += $$2 } END { print s + 0 }' build/upstream-reports.txt 2>/dev/null) ==="
	@awk -F'\t' '{ n[$$3] += $$2 } END { for (k in n) printf "  %3d  %s\n", n[k], k }' build/upstream-reports.txt 2>/dev/null | sort -k2
	@echo "=== where the time went (seconds) ==="
	@awk '$$3 == "nested" { printf "  %-28s %6d  (within or beside other steps)\n", $$1, $$2; next } \
		{ printf "  %-28s %6d\n", $$1, $$2; s += $$2 } END { printf "  %-28s %6d\n", "total", s }' build/timings.txt

test: timings-reset
	@t0=$$(date +%s); scripts/deps.sh; echo "deps $$(( $$(date +%s) - t0 ))" >> build/timings.txt
	$(MAKE) unit
	@t0=$$(date +%s); for f in kasan bench lockstat; do scripts/kbuild.sh --config-only $$f || exit 1; done; \
		echo "configs-kasan-bench-lockstat $$(( $$(date +%s) - t0 ))" >> build/timings.txt
	$(MAKE) kernel FLAVOR=debug
	$(MAKE) guest
	@rc=0; for pol in $(TEST_POLICIES); do \
		suite=evict; [ $$pol = fifo ] && suite=smoke; \
		scripts/run-guest.sh --flavor debug --suite $$suite --vcpus 2 --mem 2G --timeout 1500 \
			--append kvm.shadow_evict=$$pol || rc=1; \
	done; \
	scripts/stock-test.sh || rc=1; \
	bench/bench-workloads.sh --smoke || rc=1; \
	$(MAKE) -s timings; exit $$rc

# The real-guest benchmark's smoke run, then its failure at each layer
# (L1 boot, L2 boot, workload, perf; L1 dying or hanging mid-matrix):
# 11-13 more L1 boots, about 6.5 min, kept out of make test for its time.
test-workloads:
	bench/bench-workloads.sh --smoke
	bench/tests/bench-workloads/layers.sh

# Commits made in build/src/linux go back to kernel/patches and kernel/src.
export:
	scripts/ktree.sh export

# The standalone series (new files included) for `git am` on a 6.12 tree.
patches:
	scripts/ktree.sh series build/patches

# Every commit of the series builds with W=1, no warnings in touched files.
bisect-build:
	scripts/bisect-build.sh

# checkpatch --strict on the series and the new files. Patches go in on
# stdin: checkpatch treats a git-tracked *.patch named on its command line as
# a source file and flags the blank context lines.  Its question for a patch
# that adds files ("does MAINTAINERS need updating?") is answered here
# instead: get_maintainer.pl must put every new file under the KVM/x86 entry.
checkpatch: kernel-tree
	@rc=0; for f in $$(cd kernel/src && find . -type f -name '*.[ch]' | sed 's|^\./||'); do \
		(cd $(KSRC) && perl scripts/get_maintainer.pl --no-git --no-git-fallback --sections -f $$f) | \
			grep -qx 'KERNEL VIRTUAL MACHINE FOR X86 (KVM/x86)' || { echo "$$f: no KVM/x86 MAINTAINERS entry covers it"; rc=1; }; done; \
	for p in $$(for d in kernel/patches/*/; do grep -v '^#' $$d/series | sed "s|^|$$d|"; done); do \
		out=$$(perl $(KSRC)/scripts/checkpatch.pl --strict --no-tree --ignore FILE_PATH_CHANGES - < $$p) || rc=1; \
		echo "$$p: $$(echo "$$out" | grep ^total:)"; echo "$$out" | grep -E -A3 "^(ERROR|WARNING|CHECK):" || true; done; \
	for f in $$(cd kernel/src && find . -name '*.[ch]'); do \
		out=$$(perl $(KSRC)/scripts/checkpatch.pl --strict --no-tree -f kernel/src/$$f) || rc=1; \
		echo "$$f: $$(echo "$$out" | grep ^total:)"; echo "$$out" | grep -E -A3 "^(ERROR|WARNING|CHECK):" || true; done; \
	exit $$rc

clean:
	rm -rf build/debug build/kasan build/bench build/lockstat build/workload build/workloads build/guest build/selftests build/runs \
		build/patches build/bench-sim build/bench-runs build/bisect build/concurrency-tests

distclean:
	rm -rf build
