// SPDX-License-Identifier: GPL-2.0
/*
 * shadow_bench: one cell of the shadow-page eviction benchmark, in one VM,
 * under the eviction policy in force (kvm.shadow_evict) when the VM is
 * created. Prints exactly one CSV row on stdout (the header first with
 * --header); everything else goes to stderr.
 *
 *   shadow_bench --pattern P --vcpus N --regions R --quota Q --warmup W
 *                --steps S --seed X [--hot-pct 10] [--hot-hit-pct 90]
 *                [--density D] [--rep K] [--header]
 *   shadow_bench --header-only
 *
 * Guest memory: R regions of 2 MiB from GPA (== GVA) 4 GiB, in one memslot;
 * the first 4 KiB page of each is mapped with a 4 KiB guest PTE (the rest of
 * the region is unmapped), so each region has its own guest page table and
 * needs one last-level shadow page. vCPU v
 * touches word v (64 bytes apart) of the first 4 KiB page of a region per
 * step, the region drawn by bench/common/bench_pattern.h (the same code the
 * simulator replays), so after warm-up a fault on a region means its shadow
 * page was evicted.
 * With --density D (default 1) a region maps its first D 4 KiB pages and a
 * step touches word v of each, so its shadow page holds D present SPTEs
 * (a refault costs up to D faults, about D / 8 with KVM's prefetch of
 * neighbouring guest PTEs); the pages map a pool of data pages (see
 * POOL_PAGES), and touches_per_sec_per_vcpu and the touch latencies count
 * steps.
 *
 * Phases, every vCPU in its own thread:
 *   1. calibration, without a quota (KVM's default, far above R): vCPU v
 *      touches regions v, v+N, ...: every region once. The shadow pages in
 *      use are then mmu_cache_miss - mmu_shadow_zapped; minus R this is the
 *      VM's "overhead" (roots, upper levels, the library's code, data and
 *      stacks), so a simulator models the cell with capacity Q - overhead.
 *   2. the host sets the quota (KVM_SET_NR_MMU_PAGES; KVM refuses < 64);
 *      warm-up: W steps per vCPU, from bp_stream_init(.., v).
 *   3. the host snapshots the counters (VM stats, pf_taken summed over the
 *      vCPUs), releases all vCPUs at once, and they run S measured steps;
 *      measure_ns runs from the release to the last vCPU's GUEST_DONE, the
 *      counters in the row are the deltas over that phase, except
 *      evict_lock_max_ns: the longest single hold in that phase (the
 *      high-water mark is cleared through debugfs before the phase).
 * touches_per_sec_per_vcpu is the mean over the vCPUs of S / (that vCPU's
 * own time from the release to its GUEST_DONE).
 * evict_direct_lock_ns, evict_direct_zapped, fault_lock_ns: mmu_lock hold
 * of direct reclaim, the pages it zapped, and mmu_lock hold of shadow page
 * faults (their direct reclaim included); with evict_lock_ns (every
 * eviction hold) they split the lock into fault handling proper
 * (fault - direct), fault-path eviction (direct) and the sharded worker
 * (evict - direct).
 * touch_p50_cyc, touch_p99_cyc: percentiles of the TSC cycles one measured
 * touch takes in the guest, over all vCPUs (histogram with 4 buckets per
 * power of two, so +-10 %); exit_*: the same over the touches that took at
 * least EXIT_FACTOR times the 1st percentile, i.e. the ones that left the
 * guest (a refault, or a fault that only re-links a page), and how many.
 * The 1st percentile is a hit wherever at least 1 % of touches hit; where
 * nearly every touch faults (loop below capacity) it is a fault itself and
 * exit_touches undercounts: read touch_p50_cyc there.
 * worker_cpu_ns: CPU time of the sharded policy's worker over the measured
 * phase (the VM's vhost task, a thread of this process named
 * "kvm-shadow-evict", through its thread CPU clock); empty where the VM has
 * none (fifo, clock, a kernel without the series).
 * vcpu_vol_switches, vcpu_invol_switches: context switches of the vCPU
 * threads over the measured phase, summed (getrusage(RUSAGE_THREAD)):
 * voluntary ones are sleeps (a sleeping lock, a sleeping wait for room in
 * a kernel that has one), involuntary ones preemptions (by other vCPUs,
 * by the worker).
 * evict_waits, evict_wait_ns: sharded faults that found no room while the
 * worker was at work and waited for it (mmu_lock dropped), and how long.
 * mmu_lock_contentions, mmu_lock_wait_ns: from /proc/lock_stat (the
 * lockstat kernel flavor only; empty otherwise), cleared before the
 * measured phase: contended acquisitions of the mmu_lock class (read and
 * write) and the total time spent waiting for it, by anyone, for any reason.
 * density: D above.  zap_*: where the zap's mmu_lock time goes, from VM
 * stats only a kernel with the bench variant zap-profile has (0 elsewhere),
 * over every shadow page zapped in the measured phase: pages prepared,
 * present leaf SPTEs dropped, ns in mmu_zap_unsync_children(), in
 * kvm_mmu_page_unlink_children() (the walk over 512 SPTEs with each
 * present one's teardown), in kvm_mmu_unlink_parents(), in the rest of the
 * prepare (write tracking, lists, accounting), and per commit: commits,
 * ns in the remote TLB flush, ns freeing (or queueing for RCU); then,
 * summed over the present leaf SPTEs dropped: ns of an empty interval (the
 * clock's own cost, in each of the next four), ns clearing the SPTE, ns on
 * the host page (refcount check, Accessed and Dirty), ns finding the rmap
 * head and ns in pte_list_remove().
 *
 * Afterwards the host replays the trace (same generator) and checks that
 * every touched word holds exactly the number of touches the trace made:
 * memory stays right under eviction and the guest ran the trace the
 * simulator replays.
 *
 * Built against the KVM selftests library of the same kernel tree, with
 * bench/common on the include path (scripts/guest.sh).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "bench_pattern.h"
#include "shadow_evict.h"

#define SLOT		10
#define REGION_BASE	(1ULL << 32)	/* GPA == GVA */
#define REGION_SIZE	(2ULL << 20)
#define WORD_STRIDE	64		/* vCPU v's word: byte v * 64 of page 0 */
#define MAX_VCPUS	(PAGE_SIZE / WORD_STRIDE)

#define CSV_HEADER "rep,policy,pattern,vcpus,quota,regions,warmup,steps,seed,overhead," \
	"pf_taken,mmu_cache_miss,mmu_recycled,mmu_shadow_zapped,evict_scanned," \
	"evict_ref_skips,evict_young_skips,evict_wakeups,evict_batches,evict_direct," \
	"evict_lock_ns,evict_lock_max_ns,evict_direct_lock_ns,evict_direct_zapped," \
	"fault_lock_ns,evict_readied,evict_ready_stale,evict_waits,evict_wait_ns," \
	"measure_ns,worker_cpu_ns,vcpu_vol_switches,vcpu_invol_switches," \
	"touches_per_sec_per_vcpu,touch_p50_cyc,touch_p99_cyc,exit_touches," \
	"exit_p50_cyc,exit_p99_cyc,mmu_lock_contentions,mmu_lock_wait_ns," \
	"density,zap_pages,zap_leaves,zap_unsync_ns,zap_children_ns,zap_parents_ns," \
	"zap_rest_ns,zap_flushes,zap_flush_ns,zap_free_ns,zap_leaf_tick_ns," \
	"zap_leaf_clear_ns,zap_leaf_host_ns,zap_leaf_lookup_ns,zap_leaf_unlink_ns"

/* Shared with the guest (sync_global_to_guest). */
static struct bp_params params;
/* 4 KiB pages mapped, and touched at every step, per region. */
static uint32_t density = 1;
/*
 * Data pages behind the regions' 4 KiB mappings when density > 1: page k
 * of region r maps pool page (r * density + k) % pool_pages, so the host's
 * memory stays bounded and each data page is mapped by a few SPTEs (its
 * rmap a short chain), as in a guest; with density 1 each region keeps its
 * own page at its own address.
 */
#define POOL_PAGES	65536
static uint32_t pool_pages;

/*
 * Measured-phase touch latency per vCPU, in TSC cycles: bucket 4 * k + f
 * holds values in [2^k * (4 + f) / 4, 2^k * (5 + f) / 4).  Read back with
 * sync_global_from_guest().
 */
#define LAT_BUCKETS	256
#define EXIT_FACTOR	16
static uint64_t lat_hist[MAX_VCPUS][LAT_BUCKETS];

static inline uint32_t lat_bucket(uint64_t v)
{
	uint32_t k;

	if (v < 4)
		return v;
	k = 63 - __builtin_clzll(v);		/* 2..63: at most 251 */
	return 4 * (k - 1) + ((v >> (k - 2)) & 3);
}

/* The smallest value bucket @b holds (inverse of lat_bucket()). */
static uint64_t lat_bucket_low(uint32_t b)
{
	return b < 4 ? b : (uint64_t)(4 + b % 4) << (b / 4 - 1);
}

/* The value below which a fraction @q of the @n samples in @h lie. */
static uint64_t lat_quantile(const uint64_t *h, uint64_t n, double q)
{
	uint64_t seen = 0, want = (uint64_t)(q * n);
	uint32_t b;

	for (b = 0; b < LAT_BUCKETS; b++) {
		seen += h[b];
		if (seen > want)
			return lat_bucket_low(b);
	}
	return lat_bucket_low(LAT_BUCKETS - 1);
}

static inline void touch(uint32_t region, uint64_t vcpu)
{
	uint32_t k;

	for (k = 0; k < density; k++)
		(*(volatile uint64_t *)(REGION_BASE + region * REGION_SIZE +
					k * PAGE_SIZE + vcpu * WORD_STRIDE))++;
}

/* Where page @k of region @r lives: the index of its data page ... */
static uint64_t data_page(uint32_t r, uint32_t k)
{
	return density == 1 ? r : ((uint64_t)r * density + k) % pool_pages;
}

/* ... and that data page's guest physical address. */
static uint64_t data_gpa(uint64_t page)
{
	return REGION_BASE + page * (density == 1 ? REGION_SIZE : PAGE_SIZE);
}

static void guest_code(uint64_t vcpu)
{
	struct bp_stream s;
	uint64_t i;
	uint32_t r;

	/* Calibration: between them, the vCPUs touch every region once. */
	for (r = vcpu; r < params.nr_regions; r += params.nr_vcpus)
		touch(r, vcpu);
	GUEST_SYNC(1);

	bp_stream_init(&s, &params, vcpu);
	for (i = 0; i < params.warmup; i++)
		touch(bp_next(&params, &s), vcpu);
	GUEST_SYNC(2);

	for (i = 0; i < params.steps; i++) {
		uint64_t t0;

		r = bp_next(&params, &s);
		t0 = rdtsc();
		touch(r, vcpu);
		lat_hist[vcpu][lat_bucket(rdtsc() - t0)]++;
	}
	GUEST_DONE();
}

/* ---- host ---- */

/*
 * lat[]: p50 and p99 of all measured touches, then the number of touches
 * that took at least EXIT_FACTOR x the 1st percentile (they left the
 * guest), and their p50 and p99.  Cycles are the guest's TSC: relative only
 * under TCG.
 */
static void touch_latency(struct kvm_vm *vm, uint64_t *lat)
{
	uint64_t all[LAT_BUCKETS] = {}, slow[LAT_BUCKETS] = {}, n = 0, nslow = 0, hit;
	uint32_t v, b;

	sync_global_from_guest(vm, lat_hist);
	for (v = 0; v < params.nr_vcpus; v++)
		for (b = 0; b < LAT_BUCKETS; b++)
			all[b] += lat_hist[v][b];
	for (b = 0; b < LAT_BUCKETS; b++)
		n += all[b];
	TEST_ASSERT(n == params.steps * params.nr_vcpus,
		    "latency histogram holds %lu touches, want %lu", n,
		    (uint64_t)params.steps * params.nr_vcpus);
	lat[0] = lat_quantile(all, n, 0.50);
	lat[1] = lat_quantile(all, n, 0.99);
	hit = lat_quantile(all, n, 0.01);
	for (b = 0; b < LAT_BUCKETS; b++) {
		if (lat_bucket_low(b) < EXIT_FACTOR * hit)
			continue;
		slow[b] = all[b];
		nslow += all[b];
	}
	lat[2] = nslow;
	lat[3] = nslow ? lat_quantile(slow, nslow, 0.50) : 0;
	lat[4] = nslow ? lat_quantile(slow, nslow, 0.99) : 0;
}

static FILE *csv;			/* the real stdout */
static pthread_barrier_t barrier;	/* the vCPU threads and main */
static struct timespec t_release;
static struct kvm_vcpu **vcpus;
static uint64_t *t_done_ns;		/* per vCPU, from the release */
/* Per vCPU thread: its voluntary and involuntary context switches, measured phase. */
static uint64_t (*switches)[2];

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ULL + t->tv_nsec;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return ts_ns(&t);
}

/* Run @vcpu until its next ucall; it must be @want (stage @stage for SYNC). */
static void run_until(struct kvm_vcpu *vcpu, uint64_t want, uint64_t stage)
{
	struct ucall uc;
	uint64_t got;

	vcpu_run(vcpu);
	got = get_ucall(vcpu, &uc);
	if (got == UCALL_ABORT)
		REPORT_GUEST_ASSERT(uc);
	TEST_ASSERT(got == want, "vCPU %u: exit %s (ucall %lu), want ucall %lu",
		    vcpu->id, exit_reason_str(vcpu->run->exit_reason), got, want);
	if (want == UCALL_SYNC)
		TEST_ASSERT(uc.args[1] == stage, "vCPU %u: GUEST_SYNC(%lu), want %lu",
			    vcpu->id, uc.args[1], stage);
}

static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	struct rusage ru0, ru1;

	run_until(vcpu, UCALL_SYNC, 1);		/* calibration */
	pthread_barrier_wait(&barrier);		/* arrived */
	pthread_barrier_wait(&barrier);		/* quota set */
	run_until(vcpu, UCALL_SYNC, 2);		/* warm-up */
	pthread_barrier_wait(&barrier);		/* arrived */
	pthread_barrier_wait(&barrier);		/* released */
	TEST_ASSERT(!getrusage(RUSAGE_THREAD, &ru0), "getrusage: %s", strerror(errno));
	run_until(vcpu, UCALL_DONE, 0);		/* measured */
	t_done_ns[vcpu->id] = now_ns() - ts_ns(&t_release);
	TEST_ASSERT(!getrusage(RUSAGE_THREAD, &ru1), "getrusage: %s", strerror(errno));
	switches[vcpu->id][0] = ru1.ru_nvcsw - ru0.ru_nvcsw;
	switches[vcpu->id][1] = ru1.ru_nivcsw - ru0.ru_nivcsw;
	return NULL;
}

/* A set of named stats read from one binary stats fd. */
struct statset {
	int fd;
	struct kvm_stats_header header;
	struct kvm_stats_desc *descs;
	int nr;
	const char *const *names;
	struct kvm_stats_desc **desc;	/* NULL where the kernel lacks it */
};

static void statset_open(struct statset *s, int fd, const char *const *names,
			 int nr)
{
	struct kvm_stats_desc *d;
	int i, j;

	s->fd = fd;
	s->names = names;
	s->nr = nr;
	read_stats_header(fd, &s->header);
	s->descs = read_stats_descriptors(fd, &s->header);
	s->desc = calloc(nr, sizeof(*s->desc));
	TEST_ASSERT(s->desc, "out of memory");
	for (i = 0; i < (int)s->header.num_desc; i++) {
		d = get_stats_descriptor(s->descs, i, &s->header);
		for (j = 0; j < nr; j++)
			if (!strcmp(d->name, names[j]))
				s->desc[j] = d;
	}
}

/* Adds each stat to @vals[] (0 for a stat the kernel lacks). */
static void statset_add(struct statset *s, uint64_t *vals)
{
	uint64_t v;
	int j;

	for (j = 0; j < s->nr; j++) {
		if (!s->desc[j])
			continue;
		read_stat_data(s->fd, &s->header, s->desc[j], &v, 1);
		vals[j] += v;
	}
}

enum {
	S_MISS, S_RECYCLED, S_ZAPPED, S_SCANNED, S_REF_SKIPS, S_YOUNG_SKIPS,
	S_WAKEUPS, S_BATCHES, S_DIRECT, S_LOCK_NS, S_LOCK_MAX_NS,
	S_DIRECT_LOCK_NS, S_DIRECT_ZAPPED, S_FAULT_LOCK_NS, S_READIED,
	S_READY_STALE, S_WAITS, S_WAIT_NS, S_NR_VM,
};
static const char *const vm_stat_names[S_NR_VM] = {
	"mmu_cache_miss", "mmu_recycled", "mmu_shadow_zapped",
	"mmu_evict_scanned", "mmu_evict_ref_skips", "mmu_evict_young_skips",
	"mmu_evict_wakeups", "mmu_evict_batches", "mmu_evict_direct",
	"mmu_evict_lock_ns", "mmu_evict_lock_max_ns",
	"mmu_evict_direct_lock_ns", "mmu_evict_direct_zapped",
	"mmu_fault_lock_ns", "mmu_evict_readied", "mmu_evict_ready_stale",
	"mmu_evict_waits", "mmu_evict_wait_ns",
};
static const char *const vcpu_stat_names[] = { "pf_taken" };
/*
 * Where the zap's mmu_lock time goes: stats only a kernel built with the
 * bench variant zap-profile has (0 elsewhere), printed last.
 */
enum { Z_NR = 14 };
static const char *const zap_stat_names[Z_NR] = {
	"mmu_zap_pages", "mmu_zap_leaves", "mmu_zap_unsync_ns",
	"mmu_zap_children_ns", "mmu_zap_parents_ns", "mmu_zap_rest_ns",
	"mmu_zap_flushes", "mmu_zap_flush_ns", "mmu_zap_free_ns",
	"mmu_zap_leaf_tick_ns", "mmu_zap_leaf_clear_ns", "mmu_zap_leaf_host_ns",
	"mmu_zap_leaf_lookup_ns", "mmu_zap_leaf_unlink_ns",
};
static struct statset zap_stats;

static struct statset vm_stats, *vcpu_stats;

/* vals[0..S_NR_VM) VM stats, vals[S_NR_VM] pf_taken over all vCPUs. */
static void snapshot(uint64_t *vals, uint32_t nr_vcpus)
{
	uint32_t i;

	memset(vals, 0, (S_NR_VM + 1) * sizeof(*vals));
	statset_add(&vm_stats, vals);
	for (i = 0; i < nr_vcpus; i++)
		statset_add(&vcpu_stats[i], vals + S_NR_VM);
}

/* The first line of @path into @buf, or @dflt when it cannot be read. */
static void read_line(const char *path, char *buf, size_t len, const char *dflt)
{
	/* Set first: sysfs_read_str() trims @buf even when nothing was read. */
	snprintf(buf, len, "%s", dflt);
	if (!sysfs_read_str(path, buf, len))
		snprintf(buf, len, "%s", dflt);
}

/*
 * The sharded worker: a vhost task, so a thread of this process, whose
 * comm is its name ("kvm-shadow-evict") cut to TASK_COMM_LEN - 1 = 15
 * characters.  Its tid, or 0.
 */
#define WORKER_COMM	"kvm-shadow-evic"
static pid_t worker_tid(void)
{
	char path[300], comm[32];
	struct dirent *d;
	pid_t tid = 0;
	DIR *dir;

	dir = opendir("/proc/self/task");
	TEST_ASSERT(dir, "/proc/self/task: %s", strerror(errno));
	while (!tid && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		read_line(path, comm, sizeof(comm), "");
		if (!strcmp(comm, WORKER_COMM))
			tid = atoi(d->d_name);
	}
	closedir(dir);
	return tid;
}

/*
 * A thread's CPU time in ns, through its thread CPU clock (as the kernel's
 * MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED) builds it; any thread of the
 * caller's thread group may be read this way).
 */
static uint64_t thread_cpu_ns(pid_t tid)
{
	clockid_t clk = (clockid_t)((~(unsigned int)tid) << 3) | 4 | 2;
	struct timespec ts;

	TEST_ASSERT(!clock_gettime(clk, &ts), "CPU clock of thread %d: %s", tid,
		    strerror(errno));
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

#define LOCK_STAT	"/proc/lock_stat"

#define LOCK_STAT_ON	"/proc/sys/kernel/lock_stat"

/* Write @s to @path, or fail the run saying why. */
static void write_or_fail(const char *path, const char *s)
{
	int err = sysfs_write_str(path, s);

	TEST_ASSERT(!err, "writing %s: %s", path, strerror(err));
}

/*
 * Turn lock statistics on (collection is off by default) and clear them;
 * false when the kernel has none.
 */
static bool lock_stat_clear(void)
{
	if (access(LOCK_STAT, F_OK))
		return false;
	write_or_fail(LOCK_STAT_ON, "1\n");
	write_or_fail(LOCK_STAT, "0\n");
	return true;
}

/*
 * Sum the contentions and the total wait (us, 2 decimals, as lock_stat
 * prints it) over the mmu_lock class's lines: "&(kvm)->mmu_lock:" in 6.12
 * (KVM_MMU_LOCK_INIT), with "-W"/"-R" where lock_stat splits an rwlock.
 * Every VM's mmu_lock is that one class: one VM runs at a time here.
 */
static bool mmu_lock_class(const char *name)
{
	static const char *const names[] = { "&(kvm)->mmu_lock", "&kvm->mmu_lock" };
	size_t i, n;

	for (i = 0; i < 2; i++) {
		n = strlen(names[i]);
		if (!strncmp(name, names[i], n) && (name[n] == ':' || name[n] == '-'))
			return true;
	}
	return false;
}

static void lock_stat_mmu_lock(uint64_t *contentions, uint64_t *wait_ns)
{
	FILE *f = fopen(LOCK_STAT, "r");
	char line[512], name[128];
	unsigned long long bounces, cont;
	double wmin, wmax, wtotal;
	bool found = false;

	TEST_ASSERT(f, "cannot read %s: %s", LOCK_STAT, strerror(errno));
	*contentions = *wait_ns = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %127s %llu %llu %lf %lf %lf", name, &bounces,
			   &cont, &wmin, &wmax, &wtotal) != 6)
			continue;
		if (!mmu_lock_class(name))
			continue;
		*contentions += cont;
		*wait_ns += (uint64_t)(wtotal * 1000.0);
		found = true;
	}
	if (!found) {
		/* Show what is there, to fix the parser if the format moved. */
		rewind(f);
		for (int n = 0; n < 12 && fgets(line, sizeof(line), f); n++)
			fputs(line, stderr);
	}
	fclose(f);
	TEST_ASSERT(found, "%s has no &kvm->mmu_lock class", LOCK_STAT);
}

/* Guests must run on the shadow MMU, not on TDP. */
static void check_shadow_mmu(void)
{
	const char *off[] = {
		"/sys/module/kvm/parameters/tdp_mmu",
		host_cpu_is_amd ? "/sys/module/kvm_amd/parameters/npt" :
				  "/sys/module/kvm_intel/parameters/ept",
	};
	char val[16];
	int i;

	for (i = 0; i < 2; i++) {
		read_line(off[i], val, sizeof(val), "?");
		TEST_ASSERT(val[0] == 'N', "%s is '%s', want N: not benchmarking the shadow MMU",
			    off[i], val);
	}
}

/*
 * mmu_evict_lock_max_ns is a high-water mark over the VM's life, and setting
 * the quota trims the whole calibration set in one go: clear it (through the
 * VM's debugfs directory, "PID-VMFD") so the row has the measured phase's
 * longest hold.
 */
static void reset_lock_max(struct kvm_vm *vm)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/mmu_evict_lock_max_ns",
		 getpid(), vm->fd);
	f = fopen(path, "w");
	TEST_ASSERT(f, "cannot open %s to clear it (debugfs mounted?): %s",
		    path, strerror(errno));
	TEST_ASSERT(fputs("0\n", f) >= 0 && !fclose(f), "clearing %s: %s",
		    path, strerror(errno));
}

/*
 * stdout carries the row only: the library's chatter (its constructor prints
 * "Random seed") goes to stderr. Runs before the library's constructor.
 */
static void __attribute__((constructor(101))) redirect_stdout(void)
{
	int fd = dup(STDOUT_FILENO);

	if (fd < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0 || !(csv = fdopen(fd, "w"))) {
		perror("shadow_bench: setting up stdout");
		exit(2);
	}
}

static void usage(const char *name, const char *why)
{
	if (why)
		fprintf(stderr, "shadow_bench: error: %s\n", why);
	fprintf(stderr,
		"usage: %s --pattern hotcold|hotscan|loop|phase|private --vcpus N --regions R\n"
		"          --quota Q --warmup W --steps S --seed X [--hot-pct 10] [--hot-hit-pct 90]\n"
		"          [--density D] [--rep K] [--header]\n"
		"       %s --header-only\n", name, name);
	exit(2);
}

static uint64_t arg_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno || v < min || v > max) {
		fprintf(stderr, "shadow_bench: error: --%s '%s': want an integer in %llu..%llu\n",
			opt, s, (unsigned long long)min, (unsigned long long)max);
		exit(2);
	}
	return v;
}

/* The host's replay of the trace: what every touched word must hold. */
static void verify_memory(struct kvm_vm *vm)
{
	uint32_t n = params.nr_regions, v, r, k;
	uint64_t *want, *cnt, i, j, bad = 0;
	uint64_t nr_data = density == 1 ? n : pool_pages;
	struct bp_stream s;

	want = calloc((size_t)n * params.nr_vcpus, sizeof(*want));
	cnt = calloc((size_t)nr_data * params.nr_vcpus, sizeof(*cnt));
	TEST_ASSERT(want && cnt, "out of memory");
	for (v = 0; v < params.nr_vcpus; v++) {
		for (r = v; r < n; r += params.nr_vcpus)
			want[(size_t)r * params.nr_vcpus + v]++;
		bp_stream_init(&s, &params, v);
		for (i = 0; i < params.warmup + params.steps; i++) {
			r = bp_next(&params, &s);
			TEST_ASSERT(r < n, "pattern gave region %u of %u", r, n);
			want[(size_t)r * params.nr_vcpus + v]++;
		}
	}
	/* Every touch of a region adds one to its pages' data pages. */
	for (r = 0; r < n; r++)
		for (k = 0; k < density; k++)
			for (v = 0; v < params.nr_vcpus; v++)
				cnt[data_page(r, k) * params.nr_vcpus + v] +=
					want[(size_t)r * params.nr_vcpus + v];
	for (j = 0; j < nr_data; j++)
		for (v = 0; v < params.nr_vcpus; v++) {
			uint64_t gpa = data_gpa(j) + v * WORD_STRIDE;
			uint64_t got = *(uint64_t *)addr_gpa2hva(vm, gpa);

			if (got != cnt[j * params.nr_vcpus + v] && bad++ < 5)
				fprintf(stderr, "data page %lu vCPU %u: word holds %lu, the trace touched it %lu times\n",
					j, v, got, cnt[j * params.nr_vcpus + v]);
		}
	TEST_ASSERT(!bad, "%lu words of guest memory disagree with the trace", bad);
	free(cnt);
	free(want);
}

int main(int argc, char *argv[])
{
	enum { O_PATTERN = 1, O_VCPUS, O_REGIONS, O_DENSITY, O_QUOTA, O_WARMUP, O_STEPS,
	       O_SEED, O_HOT_PCT, O_HOT_HIT_PCT, O_REP, O_HEADER, O_HEADER_ONLY };
	static const struct option opts[] = {
		{ "pattern", required_argument, NULL, O_PATTERN },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "regions", required_argument, NULL, O_REGIONS },
		{ "density", required_argument, NULL, O_DENSITY },
		{ "quota", required_argument, NULL, O_QUOTA },
		{ "warmup", required_argument, NULL, O_WARMUP },
		{ "steps", required_argument, NULL, O_STEPS },
		{ "seed", required_argument, NULL, O_SEED },
		{ "hot-pct", required_argument, NULL, O_HOT_PCT },
		{ "hot-hit-pct", required_argument, NULL, O_HOT_HIT_PCT },
		{ "rep", required_argument, NULL, O_REP },
		{ "header", no_argument, NULL, O_HEADER },
		{ "header-only", no_argument, NULL, O_HEADER_ONLY },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	uint64_t quota = 0, rep = 0, before[S_NR_VM + 1], after[S_NR_VM + 1];
	uint64_t zap_before[Z_NR] = {}, zap_after[Z_NR] = {};
	uint64_t calib[S_NR_VM + 1], overhead, used, npages, max_done = 0;
	uint64_t lat[5];
	bool have[O_HEADER_ONLY + 1] = { false }, header = false;
	double rate_sum = 0;
	uint64_t lock_cont = 0, lock_wait_ns = 0, worker_ns = 0, nr_switches[2] = {};
	bool have_lock_stat;
	pid_t worker;
	uint64_t t[7];
	char policy[32];
	pthread_t *threads;
	struct kvm_vm *vm;
	uint32_t i, p;
	int opt, ret;

	params.hot_pct = 10;
	params.hot_hit_pct = 90;
	params.pattern = BP_NR_PATTERNS;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt > 0 && opt <= O_HEADER_ONLY)
			have[opt] = true;
		switch (opt) {
		case O_PATTERN:
			for (p = 0; p < BP_NR_PATTERNS; p++)
				if (!strcmp(optarg, bp_pattern_name(p)))
					params.pattern = p;
			if (params.pattern == BP_NR_PATTERNS) {
				fprintf(stderr, "shadow_bench: error: unknown pattern '%s'\n", optarg);
				usage(argv[0], NULL);
			}
			break;
		case O_VCPUS: params.nr_vcpus = arg_u64("vcpus", optarg, 1, MAX_VCPUS); break;
		case O_REGIONS: params.nr_regions = arg_u64("regions", optarg, 1, 65536); break;
		case O_DENSITY: density = arg_u64("density", optarg, 1, REGION_SIZE / PAGE_SIZE); break;
		/* Not range-checked here: KVM's refusal is the check. */
		case O_QUOTA: quota = arg_u64("quota", optarg, 1, 1ULL << 31); break;
		case O_WARMUP: params.warmup = arg_u64("warmup", optarg, 0, 1ULL << 40); break;
		case O_STEPS: params.steps = arg_u64("steps", optarg, 1, 1ULL << 40); break;
		case O_SEED: params.seed = arg_u64("seed", optarg, 0, UINT64_MAX); break;
		case O_HOT_PCT: params.hot_pct = arg_u64("hot-pct", optarg, 1, 100); break;
		case O_HOT_HIT_PCT: params.hot_hit_pct = arg_u64("hot-hit-pct", optarg, 0, 100); break;
		case O_REP: rep = arg_u64("rep", optarg, 0, 1000000); break;
		case O_HEADER: header = true; break;
		case O_HEADER_ONLY:
			fprintf(csv, "%s\n", CSV_HEADER);
			fclose(csv);
			return 0;
		case 'h': usage(argv[0], NULL); break;
		default: usage(argv[0], "unknown option");
		}
	}
	if (optind < argc)
		usage(argv[0], "stray arguments");
	if (!have[O_PATTERN] || !have[O_VCPUS] || !have[O_REGIONS] || !have[O_QUOTA] ||
	    !have[O_WARMUP] || !have[O_STEPS] || !have[O_SEED])
		usage(argv[0], "--pattern, --vcpus, --regions, --quota, --warmup, --steps and --seed are all required");

	check_shadow_mmu();
	/* A kernel without the series evicts FIFO, as upstream does. */
	read_line(SHADOW_EVICT_PARAM, policy, sizeof(policy), "upstream");

	npages = (uint64_t)params.nr_regions * (REGION_SIZE / PAGE_SIZE);
	vcpus = calloc(params.nr_vcpus, sizeof(*vcpus));
	threads = calloc(params.nr_vcpus, sizeof(*threads));
	t_done_ns = calloc(params.nr_vcpus, sizeof(*t_done_ns));
	vcpu_stats = calloc(params.nr_vcpus, sizeof(*vcpu_stats));
	switches = calloc(params.nr_vcpus, sizeof(*switches));
	TEST_ASSERT(vcpus && threads && t_done_ns && vcpu_stats && switches, "out of memory");

	/* The library sizes slot 0's page-table pool from npages. */
	t[0] = now_ns();
	vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, params.nr_vcpus, npages,
				    guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, REGION_BASE,
				    SLOT, npages, 0);
	/*
	 * Map only the pages each region's touches hit (the first @density),
	 * with 4 KiB mappings: one guest page table, hence one last-level
	 * shadow page, per region, holding @density present SPTEs once
	 * touched, without the 512 PTE writes per region a full map costs (a
	 * second per VM under TCG).
	 */
	pool_pages = 0;
	if (density > 1)
		pool_pages = (uint64_t)params.nr_regions * density < POOL_PAGES ?
			     params.nr_regions * density : POOL_PAGES;
	for (i = 0; i < params.nr_regions; i++) {
		uint32_t k;

		for (k = 0; k < density; k++)
			virt_pg_map(vm, REGION_BASE + i * REGION_SIZE + k * PAGE_SIZE,
				    data_gpa(data_page(i, k)));
	}
	/*
	 * Back the data pages now: the guest's faults then measure the
	 * shadow MMU, not the host allocating and zeroing memory.
	 */
	for (i = 0; i < (density == 1 ? params.nr_regions : pool_pages); i++)
		memset(addr_gpa2hva(vm, data_gpa(i)), 0, PAGE_SIZE);
	sync_global_to_guest(vm, params);
	sync_global_to_guest(vm, density);
	for (i = 0; i < params.nr_vcpus; i++) {
		TEST_ASSERT(vcpus[i]->id == i, "vCPU %u has id %u", i, vcpus[i]->id);
		vcpu_args_set(vcpus[i], 1, (uint64_t)i);
	}

	statset_open(&vm_stats, vm_get_stats_fd(vm), vm_stat_names, S_NR_VM);
	statset_open(&zap_stats, vm_get_stats_fd(vm), zap_stat_names, Z_NR);
	for (i = 0; i < params.nr_vcpus; i++)
		statset_open(&vcpu_stats[i], vcpu_get_stats_fd(vcpus[i]), vcpu_stat_names, 1);
	TEST_ASSERT(vm_stats.desc[S_MISS] && vm_stats.desc[S_ZAPPED] &&
		    vm_stats.desc[S_RECYCLED] && vcpu_stats[0].desc[0],
		    "the kernel lacks mmu_cache_miss, mmu_shadow_zapped, mmu_recycled or pf_taken");
	if (strcmp(policy, "upstream"))
		for (i = S_SCANNED; i < S_NR_VM; i++)
			TEST_ASSERT(vm_stats.desc[i], "kvm.shadow_evict exists but VM stat %s does not",
				    vm_stat_names[i]);

	TEST_ASSERT(!pthread_barrier_init(&barrier, NULL, params.nr_vcpus + 1), "barrier");
	for (i = 0; i < params.nr_vcpus; i++)
		pthread_create(&threads[i], NULL, vcpu_thread, vcpus[i]);

	/* 1. calibration done: shadow pages in use besides the regions'. */
	t[1] = now_ns();
	pthread_barrier_wait(&barrier);
	t[2] = now_ns();
	snapshot(calib, params.nr_vcpus);
	used = calib[S_MISS] - calib[S_ZAPPED];
	TEST_ASSERT(calib[S_ZAPPED] == 0,
		    "%lu shadow pages zapped before any quota was set: overhead unknown",
		    calib[S_ZAPPED]);
	TEST_ASSERT(used >= params.nr_regions,
		    "%lu shadow pages in use after touching %u regions: not on the shadow MMU?",
		    used, params.nr_regions);
	overhead = used - params.nr_regions;

	ret = __vm_ioctl(vm, KVM_SET_NR_MMU_PAGES, (void *)(unsigned long)quota);
	if (ret) {
		fprintf(stderr, "shadow_bench: error: KVM refused quota %lu (KVM_SET_NR_MMU_PAGES: %s)%s\n",
			quota, strerror(errno),
			errno == EINVAL ? ": KVM's minimum is 64 shadow pages" : "");
		exit(2);
	}
	if (quota <= overhead)
		fprintf(stderr, "shadow_bench: warning: quota %lu leaves no room for regions (overhead %lu)\n",
			quota, overhead);
	pthread_barrier_wait(&barrier);

	/* 2. warm-up done: snapshot, then release the measured phase. */
	pthread_barrier_wait(&barrier);
	t[3] = now_ns();
	if (vm_stats.desc[S_LOCK_MAX_NS])
		reset_lock_max(vm);
	have_lock_stat = lock_stat_clear();
	/* Started at the first vCPU's first shadow-MMU load, long before. */
	worker = worker_tid();
	if (worker)
		worker_ns = thread_cpu_ns(worker);
	snapshot(before, params.nr_vcpus);
	statset_add(&zap_stats, zap_before);
	clock_gettime(CLOCK_MONOTONIC, &t_release);
	pthread_barrier_wait(&barrier);

	for (i = 0; i < params.nr_vcpus; i++)
		pthread_join(threads[i], NULL);
	snapshot(after, params.nr_vcpus);
	statset_add(&zap_stats, zap_after);
	if (worker)
		worker_ns = thread_cpu_ns(worker) - worker_ns;
	if (have_lock_stat)
		lock_stat_mmu_lock(&lock_cont, &lock_wait_ns);
	for (i = 0; i < params.nr_vcpus; i++) {
		if (t_done_ns[i] > max_done)
			max_done = t_done_ns[i];
		rate_sum += (double)params.steps * 1e9 / (t_done_ns[i] ? t_done_ns[i] : 1);
	}

	touch_latency(vm, lat);

	t[4] = now_ns();
	verify_memory(vm);
	t[5] = now_ns();

	if (header)
		fprintf(csv, "%s\n", CSV_HEADER);
	fprintf(csv, "%lu,%s,%s,%u,%lu,%u,%lu,%lu,%lu,%lu,%lu",
		rep, policy, bp_pattern_name(params.pattern), params.nr_vcpus, quota,
		params.nr_regions, params.warmup, params.steps, params.seed, overhead,
		after[S_NR_VM] - before[S_NR_VM]);
	for (i = 0; i < S_NR_VM; i++) {
		/* The maximum hold is a high-water mark, not a counter. */
		if (i == S_LOCK_MAX_NS)
			fprintf(csv, ",%lu", after[i]);
		else
			fprintf(csv, ",%lu", after[i] - before[i]);
	}
	fprintf(csv, ",%lu", max_done);
	if (worker)
		fprintf(csv, ",%lu", worker_ns);
	else
		fprintf(csv, ",");
	for (i = 0; i < params.nr_vcpus; i++) {
		nr_switches[0] += switches[i][0];
		nr_switches[1] += switches[i][1];
	}
	fprintf(csv, ",%lu,%lu", nr_switches[0], nr_switches[1]);
	fprintf(csv, ",%.1f,%lu,%lu,%lu,%lu,%lu",
		rate_sum / params.nr_vcpus, lat[0], lat[1], lat[2], lat[3], lat[4]);
	if (have_lock_stat)
		fprintf(csv, ",%lu,%lu", lock_cont, lock_wait_ns);
	else
		fprintf(csv, ",,");
	fprintf(csv, ",%u", density);
	for (i = 0; i < Z_NR; i++)
		fprintf(csv, ",%lu", zap_after[i] - zap_before[i]);
	fprintf(csv, "\n");
	TEST_ASSERT(!fclose(csv), "writing the row: %s", strerror(errno));

	kvm_vm_free(vm);
	t[6] = now_ns();
	fprintf(stderr, "shadow_bench: %s %s v=%u q=%lu: setup %lu ms, calibration %lu ms, warm-up %lu ms, measured %lu ms, verify %lu ms, teardown %lu ms\n",
		policy, bp_pattern_name(params.pattern), params.nr_vcpus, quota,
		(t[1] - t[0]) / 1000000, (t[2] - t[1]) / 1000000, (t[3] - t[2]) / 1000000,
		(t[4] - t[3]) / 1000000, (t[5] - t[4]) / 1000000, (t[6] - t[5]) / 1000000);
	return 0;
}
