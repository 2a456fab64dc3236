// SPDX-License-Identifier: GPL-2.0
/*
 * shadow_stress: many vCPUs churning guest page tables at KVM's smallest
 * shadow-page quota, while host threads hit every other path that zaps,
 * evicts or accounts shadow pages: memslot deletion and moves (zap all /
 * obsolete roots), quota shrinks and grows, the MMU shrinker, VMs of every
 * eviction policy created, run and destroyed next to the main one, and
 * vCPU creation failing on purpose.
 *
 * Main VM (-v vCPUs, quota -q, by default 16 vCPUs at 64 pages).  The host
 * builds -r page-table roots (PML4s) shared by all vCPUs: each is a copy of
 * the library's PML4, so code, stacks and ucalls work under any of them,
 * plus one PML4 slot of its own (GVA 512 GiB..1 TiB) that leads, per vCPU,
 * to a private PD and -k page tables (PTs).  The guest writes and clears
 * the PTEs of those PTs itself (they are identity mapped, GVA == GPA), with
 * INVLPG after each change, and switches CR3 between the roots.  Every
 * mapping points at one of the vCPU's -d data pages; a data page holds
 * tag(vCPU, page, version) in its first word and the complement in its
 * last, and the guest keeps each page's version.  The guest checks both
 * words on every read through every mapping and after every write, and
 * reads a cleared mapping with exception fixup: it must fault.  So a shadow
 * translation that outlives the guest PTE (or the root) it came from reads
 * another page or faults nowhere, and GUEST_ASSERT reports the address,
 * the expected and the found values.  90 % of the accesses go to the first
 * 8 slots of the window (hot), the rest anywhere (cold).  The vCPU threads
 * run at nice 10: they take every cycle left, and on a few CPUs the host
 * threads below would otherwise get too little to do their part.
 *
 * Host threads, all at once for -t seconds:
 *  memslot  creates a 2 MiB memslot the guest never maps, moves it to
 *           another GPA and deletes it, in a loop; moves and deletes zap
 *           every shadow page (kvm_mmu_zap_all_fast(), obsolete roots).
 *  quota    sets KVM_SET_NR_MMU_PAGES between -q and -Q (63 must fail
 *           with EINVAL).
 *  checker  1.5 s after each check, stops the world again and checks that
 *           the quota holds exactly (below).  Stopping waits for the extra
 *           thread to finish its round (seconds under TCG); everything
 *           else runs on meanwhile.
 *  drop     writes 2 to /proc/sys/vm/drop_caches (the MMU shrinker).
 *  extra    flips kvm.shadow_evict through fifo, clock, sharded and creates
 *           two short-lived VMs at a time under consecutive policies (the
 *           parameter is flipped again while they live, so each runs under
 *           a policy that is no longer the current one), 2 vCPUs each at
 *           quota 64 over more 2 MiB regions than fit, verifying their
 *           memory; meanwhile duplicate KVM_CREATE_VCPU ids must fail with
 *           EEXIST.  Each VM is destroyed as soon as its vCPUs leave
 *           KVM_RUN; a sharded one right after its rebalancer is seen at
 *           work, so that the destruction likely meets it still busy with
 *           the eviction the vCPUs caused ("busy" counts those whose
 *           rebalancer moved its counters between the stop and the
 *           destruction; likely, not certain: reported, not asserted).
 *
 * What is checked (each a hard failure):
 *  - KVM_RUN never fails (errno reported), the guests' data checks never
 *    fail, and a cleared PTE always faults.  Afterwards the host finds
 *    every data page holding its latest tag and every guest PTE matching
 *    the guest's own bookkeeping.
 *  - Pages in use = the kernel's SecPageTables (/proc/meminfo, exact after
 *    a write to /proc/sys/vm/stat_refresh) above its value before the test
 *    created any VM.  KVM accounts each shadow page there exactly when it
 *    counts it in n_used_mmu_pages (kvm_account_mmu_page()), so when the
 *    main VM is the only VM (asserted by counting the per-VM directories
 *    in /sys/kernel/debug/kvm) this is the main VM's n_used_mmu_pages.
 *    "created - zapped" from the VM stats undercounts it (a root zapped
 *    while in use is counted as zapped again when it is freed), so it is
 *    only cross-checked as a lower bound.
 *  - Quota: with every vCPU stopped outside KVM_RUN, the memslot, quota
 *    and extra threads parked, and every vCPU having entered the guest at
 *    least once since the last memslot change (so no vCPU still pins an
 *    obsolete root), KVM_SET_NR_MMU_PAGES(N) with N below the pages in use
 *    must leave at most N in use.  Done throughout the run (after letting
 *    the VM grow at a quota of -Q for up to 2 s, so that N is below the
 *    pages in use) and, at the end, with -q.
 *  - At the end: raising the quota to -Q must let the VM grow above -q;
 *    then, with the world stopped, drop_caches (the shrinker) must free
 *    some of its pages within 50 writes.
 *  - Policies: each VM's eviction counters must match the policy in force
 *    when it was created (fifo: no aging and no rebalancer; clock: no
 *    rebalancer; sharded: the rebalancer ran), whatever the parameter said
 *    later; the main VM is checked the same way.
 *  - Teardown: after every VM is freed, SecPageTables returns exactly to
 *    its value from before the test (no shadow page stays accounted) and
 *    no per-VM debugfs directory is left; polled for up to 20 s.
 *  - Work: every vCPU and every thread did a minimum of work (so a starved
 *    or stuck thread fails the test), and a stop-the-world request must be
 *    met within 60 s.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "test_util.h"
#include "kvm_util.h"
#include "processor.h"
#include "ucall_common.h"

#include "shadow_evict.h"

#define MAX_VCPUS	64
#define MAX_ROOTS	8
#define MAX_CHUNKS	16
#define MAX_DATA	256
#define SLOTS_PER_PT	8	/* PTEs used in each guest PT, 512 / 8 apart */
#define MAX_SLOTS	(MAX_CHUNKS * SLOTS_PER_PT)
#define OPS_PER_ROUND	32	/* guest operations between two exits */

/* Main VM layout (GPA). */
#define DATA_SLOT	10
#define DATA_GPA	(4ULL << 30)
#define PT_SLOT		11
#define PT_GPA		(5ULL << 30)	/* identity mapped: GVA == GPA */
#define SPARE_SLOT	12
#define SPARE_GPA_A	(6ULL << 30)
#define SPARE_GPA_B	(7ULL << 30)
#define SPARE_SIZE	(2ULL << 20)
#define WIN_PML4_IDX	1		/* the roots' own PML4 slot */
#define WIN_GVA		BIT_ULL(39)
#define CHUNK_SIZE	(2ULL << 20)	/* one guest PT maps 2 MiB */

/* Extra VMs. */
#define XSLOT		10
#define XREGION_GPA	(4ULL << 30)	/* GPA == GVA */
#define XREGION_SIZE	(2ULL << 20)
#define X_REGIONS	48		/* per vCPU: 2 vCPUs x 48 > quota 64 */
#define X_VCPUS		2
#define X_QUOTA		64

#define PTE_PW		(PTE_PRESENT_MASK | PTE_WRITABLE_MASK)

/*
 * Minimum work per thread, whatever -t says (-t >= 20): below what a
 * healthy run does in 20 s under KCSAN in TCG on 2 CPUs (see the summary),
 * far above what a starved or stuck thread does.
 */
#define MIN_VCPU_ROUNDS		3
#define MIN_MEMSLOT_CYCLES	3
#define MIN_QUOTA_SETS		20
#define MIN_QUOTA_CHECKS	2
#define MIN_DROPS		5
#define MIN_EXTRA_ROUNDS	2	/* two VMs each: every policy once */
#define MIN_EEXIST		50
#define QUIESCE_TIMEOUT_S	60
#define VCPU_NICE		10	/* main VM's vCPU threads */

/* ---------------------------------------------------------------------
 * Guest side of the main VM.
 */
struct guest_params {
	uint64_t nr_roots, chunks, data_pages, hot_slots, hot_pct, seed;
	uint64_t root_gpa[MAX_ROOTS];
	/* GVA (== GPA) of each PT the guest edits: [root][vcpu][chunk]. */
	uint64_t pt_gva[MAX_ROOTS][MAX_VCPUS][MAX_CHUNKS];
};

struct vcpu_state {
	/* The data page each window slot maps under each root, or -1. */
	int16_t map[MAX_ROOTS][MAX_SLOTS];
	uint32_t version[MAX_DATA];
	uint64_t ops, reads, writes, maps, unmaps, repoints, probes, switches;
} __aligned(64);

static struct guest_params gp;
static struct vcpu_state gs[MAX_VCPUS];

static inline uint64_t data_tag(uint64_t v, uint64_t d, uint32_t version)
{
	return 0x5aULL << 56 | (v & 0xff) << 48 | (d & 0xffff) << 32 | version;
}

static inline uint64_t data_gpa(uint64_t v, uint64_t d)
{
	return DATA_GPA + (v * gp.data_pages + d) * PAGE_SIZE;
}

static inline uint64_t slot_page(uint64_t j)
{
	return (j % SLOTS_PER_PT) * (512 / SLOTS_PER_PT);
}

/* The same GVA under every root; each root maps it on its own. */
static inline uint64_t slot_gva(uint64_t v, uint64_t j)
{
	return WIN_GVA + (v << 30) + (j / SLOTS_PER_PT) * CHUNK_SIZE +
	       slot_page(j) * PAGE_SIZE;
}

static inline uint64_t *slot_pte(uint64_t r, uint64_t v, uint64_t j)
{
	return (uint64_t *)(gp.pt_gva[r][v][j / SLOTS_PER_PT]) + slot_page(j);
}

static inline uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static inline void guest_set_cr3(uint64_t val)
{
	asm volatile("mov %0, %%cr3" : : "r"(val) : "memory");
}

static inline void guest_invlpg(uint64_t gva)
{
	asm volatile("invlpg (%0)" : : "r"(gva) : "memory");
}

/* Both words of data page @d, read through slot @j of root @r, are its latest. */
static void guest_check(uint64_t v, uint64_t r, uint64_t j, int d)
{
	struct vcpu_state *s = &gs[v];
	uint64_t gva = slot_gva(v, j);
	uint64_t want = data_tag(v, d, s->version[d]);
	uint64_t got0 = READ_ONCE(*(uint64_t *)gva);
	uint64_t got1 = READ_ONCE(*(uint64_t *)(gva + PAGE_SIZE - 8));

	__GUEST_ASSERT(got0 == want && got1 == ~want,
		       "lost translation: vCPU %lu root %lu gva 0x%lx (data page %d, gpa 0x%lx): expected 0x%lx/0x%lx, found 0x%lx/0x%lx",
		       v, r, gva, d, data_gpa(v, d), want, ~want, got0, got1);
	s->reads++;
}

/* A cleared mapping must fault, not reach the page it used to map. */
static void guest_probe_unmapped(uint64_t v, uint64_t r, uint64_t j)
{
	uint64_t gva = slot_gva(v, j), ec, val = 0;
	uint8_t vector;

	asm volatile(KVM_ASM_SAFE("movq (%[addr]), %[val]")
		     : KVM_ASM_SAFE_OUTPUTS(vector, ec), [val] "+r"(val)
		     : [addr] "r"(gva)
		     : KVM_ASM_SAFE_CLOBBERS, "memory");
	__GUEST_ASSERT(vector == PF_VECTOR && !(ec & 1),
		       "stale translation: vCPU %lu root %lu gva 0x%lx was unmapped but the read gave vector %u error code 0x%lx value 0x%lx",
		       v, r, gva, vector, ec, val);
	gs[v].probes++;
}

static void guest_code(uint64_t v)
{
	struct vcpu_state *s = &gs[v];
	uint64_t nslots = gp.chunks * SLOTS_PER_PT;
	uint64_t rng = gp.seed ^ ((v + 1) * 0x9e3779b97f4a7c15ULL);
	uint64_t r = v % gp.nr_roots, j, n, x, gva;
	uint64_t *pte;
	int d;

	guest_set_cr3(gp.root_gpa[r]);
	for (;;) {
		for (n = 0; n < OPS_PER_ROUND; n++) {
			x = xorshift(&rng);
			if (x % 16 == 0) {
				r = (x >> 8) % gp.nr_roots;
				guest_set_cr3(gp.root_gpa[r]);
				s->switches++;
			}
			x = xorshift(&rng);
			if (x % 100 < gp.hot_pct)
				j = (x >> 8) % gp.hot_slots;
			else
				j = (x >> 8) % nslots;
			gva = slot_gva(v, j);
			pte = slot_pte(r, v, j);
			d = s->map[r][j];
			x = xorshift(&rng);
			if (d >= 0) {
				guest_check(v, r, j, d);
				if (x % 8 < 2) {
					s->version[d]++;
					WRITE_ONCE(*(uint64_t *)gva,
						   data_tag(v, d, s->version[d]));
					WRITE_ONCE(*(uint64_t *)(gva + PAGE_SIZE - 8),
						   ~data_tag(v, d, s->version[d]));
					s->writes++;
					guest_check(v, r, j, d);
				} else if (x % 8 < 4) {
					WRITE_ONCE(*pte, 0);
					guest_invlpg(gva);
					s->map[r][j] = -1;
					s->unmaps++;
					if ((x >> 8) % 4 == 0)
						guest_probe_unmapped(v, r, j);
				} else if (x % 8 < 5 && gp.data_pages > 1) {
					/*
					 * Point a present PTE at another page
					 * without clearing it first: KVM must
					 * drop the old SPTE (write-protection
					 * or, for an unsync page, INVLPG's sync
					 * with the gfn changed).
					 */
					d = (d + 1 + (x >> 8) % (gp.data_pages - 1)) %
					    gp.data_pages;
					WRITE_ONCE(*pte, data_gpa(v, d) | PTE_PW);
					guest_invlpg(gva);
					s->map[r][j] = d;
					s->repoints++;
					guest_check(v, r, j, d);
				}
			} else {
				d = (x >> 8) % gp.data_pages;
				WRITE_ONCE(*pte, data_gpa(v, d) | PTE_PW);
				guest_invlpg(gva);
				s->map[r][j] = d;
				s->maps++;
				guest_check(v, r, j, d);
			}
			s->ops++;
		}
		GUEST_SYNC1(s->ops);
	}
}

/* Extra VMs: each vCPU walks its own regions, pass after pass. */
static void xguest_code(uint64_t base, uint64_t nr_regions)
{
	uint64_t pass, r, got, *p;

	for (pass = 1;; pass++) {
		for (r = 0; r < nr_regions; r++) {
			p = (uint64_t *)(base + r * XREGION_SIZE);
			got = READ_ONCE(*p);
			__GUEST_ASSERT(got == pass - 1,
				       "extra VM: gva 0x%lx holds %lu, expected %lu",
				       (uint64_t)p, got, pass - 1);
			WRITE_ONCE(*p, pass);
			if (r % 8 == 7)
				GUEST_SYNC1(pass);
		}
	}
}

/* ---------------------------------------------------------------------
 * Host side.
 */
static uint64_t nr_vcpus = 16, quota = 64, max_quota = 256, seconds = 20,
		nr_roots = 3, chunks = 4, data_pages = 32, seed = 1;

static struct kvm_vm *vm;
static struct kvm_vcpu *vcpus[MAX_VCPUS];
static char policy0[32];
static long secpt_base;			/* pages, before any VM */
static long secpt_max;			/* pages, the most seen */
/* Set once by main(), polled by the threads: READ_ONCE()/WRITE_ONCE(). */
static int stop_helpers, stop_vcpus;

static const char * const policies[] = { "fifo", "clock", "sharded" };

static struct {
	uint64_t vcpu_rounds[MAX_VCPUS];
	uint64_t slot_creates, slot_moves, slot_deletes;
	uint64_t quota_sets, quota_einval, quota_checks, quota_checks_zapped;
	long quota_check_max_used;
	uint64_t drops;
	uint64_t extra_rounds, extra_vms[3], extra_syncs, eexist, flips, busy;
	uint64_t sharded_destroys;
} cnt;

/* Wall time of the operations each thread repeats, in ms. */
struct timing {
	uint64_t n, total, max;
};

enum { T_SLOT, T_QUOTA, T_STW, T_XCREATE, T_XRUN, T_XDESTROY, T_DROP, T_NR };
static const char * const t_names[] = {
	"memslot ioctl", "quota ioctl", "stop-the-world", "extra VM create",
	"extra VMs run", "extra VM destroy", "drop_caches",
};

static struct timing timings[T_NR];

static void timing_add(int t, uint64_t ms)
{
	timings[t].n++;
	timings[t].total += ms;
	if (ms > timings[t].max)
		timings[t].max = ms;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

/* Times @stmt into timings[@t]; each timing is updated by one thread. */
#define TIMED(t, stmt)					\
do {							\
	uint64_t __t0 = now_ms();			\
	stmt;						\
	timing_add(t, now_ms() - __t0);			\
} while (0)

static void sleep_ms(uint64_t ms)
{
	usleep(ms * 1000);
}

static void write_file(const char *path, const char *val)
{
	int err = sysfs_write_str(path, val);

	TEST_ASSERT(!err, "write '%s' to %s: %s", val, path, strerror(err));
}

static void set_policy(const char *p)
{
	char now[32];

	write_file(SHADOW_EVICT_PARAM, p);
	TEST_ASSERT(shadow_evict_policy(now, sizeof(now)) && !strcmp(now, p),
		    "kvm.shadow_evict reads '%s' after writing '%s'", now, p);
}

/* Also when an assertion exits: the tests after this one expect it. */
static void restore_policy(void)
{
	int err = policy0[0] ? sysfs_write_str(SHADOW_EVICT_PARAM, policy0) : 0;

	if (err)
		fprintf(stderr, "restoring %s: %s\n", SHADOW_EVICT_PARAM, strerror(err));
}

static int policy_index(const char *p)
{
	int i;

	for (i = 0; i < 3; i++)
		if (!strcmp(p, policies[i]))
			return i;
	TEST_FAIL("unknown policy '%s'", p);
	return -1;
}

/*
 * Shadow pages accounted in the whole kernel (SecPageTables, in pages):
 * KVM's shadow and TDP pages and IOMMU tables.  stat_refresh folds the
 * per-CPU deltas first, so the value is exact.
 */
static long secpt_pages(void)
{
	char line[128];
	long kb = -1;
	FILE *f;

	write_file("/proc/sys/vm/stat_refresh", "1");
	f = fopen("/proc/meminfo", "r");
	TEST_ASSERT(f, "open /proc/meminfo");
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SecPageTables: %ld kB", &kb) == 1)
			break;
	fclose(f);
	TEST_ASSERT(kb >= 0, "no SecPageTables in /proc/meminfo");
	if (kb / 4 > __atomic_load_n(&secpt_max, __ATOMIC_RELAXED))
		__atomic_store_n(&secpt_max, kb / 4, __ATOMIC_RELAXED);
	return kb / 4;
}

/* Live VMs: KVM makes /sys/kernel/debug/kvm/PID-FD for each, until destroy. */
static int vm_dirs(void)
{
	DIR *dir = opendir("/sys/kernel/debug/kvm");
	struct dirent *e;
	int n = 0, pid, fd;
	char c;

	TEST_ASSERT(dir, "open /sys/kernel/debug/kvm: %s", strerror(errno));
	while ((e = readdir(dir)))
		if (sscanf(e->d_name, "%d-%d%c", &pid, &fd, &c) == 2)
			n++;
	closedir(dir);
	return n;
}

/* KVM_RUN must never fail: no signals are used, so not even with EINTR. */
static void run_checked(struct kvm_vcpu *vcpu, const char *who)
{
	int rc = __vcpu_run(vcpu);

	TEST_ASSERT(!rc, "%s vCPU %u: KVM_RUN failed: rc %d errno %d (%s)",
		    who, vcpu->id, rc, errno, strerror(errno));
}

static void set_quota(struct kvm_vm *v, unsigned long n)
{
	int ret = __vm_ioctl(v, KVM_SET_NR_MMU_PAGES, (void *)n);

	TEST_ASSERT(!ret, "KVM_SET_NR_MMU_PAGES(%lu): %s", n, strerror(errno));
}

/* ---------------------------------------------------------------------
 * Stop the world, class by class, so that each keeps working as long as it
 * can: first the extra thread (between two rounds, so no extra VM lives;
 * it may take seconds), then the memslot and quota threads, then the vCPU
 * threads.  Those wait for a KVM_RUN that began after the memslot thread
 * stopped: such a run entered the guest after the last memslot change,
 * which freed that vCPU's obsolete roots, so only current roots (one per
 * guest CR3) stay pinned while the checker looks.
 */
enum { Q_EXTRA, Q_HOST, Q_VCPU, Q_CLASSES };
static const char * const q_names[] = { "extra-VM", "memslot/quota", "vCPU" };

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int phase;			/* class c stops while phase > c */
	uint64_t epoch;
	int active[Q_CLASSES], parked[Q_CLASSES];
} qs = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };

/* A host thread's safe point. */
static void quiesce_point(int c)
{
	pthread_mutex_lock(&qs.lock);
	if (qs.phase > c) {
		qs.parked[c]++;
		pthread_cond_broadcast(&qs.cond);
		while (qs.phase > c)
			pthread_cond_wait(&qs.cond, &qs.lock);
		qs.parked[c]--;
	}
	pthread_mutex_unlock(&qs.lock);
}

/* A vCPU thread's, after a KVM_RUN that began in @epoch. */
static void vcpu_point(uint64_t epoch)
{
	pthread_mutex_lock(&qs.lock);
	if (qs.phase > Q_VCPU && qs.epoch == epoch) {
		qs.parked[Q_VCPU]++;
		pthread_cond_broadcast(&qs.cond);
		while (qs.phase > Q_VCPU && qs.epoch == epoch)
			pthread_cond_wait(&qs.cond, &qs.lock);
		qs.parked[Q_VCPU]--;
	}
	pthread_mutex_unlock(&qs.lock);
}

static void quiesce_exit(int c)
{
	pthread_mutex_lock(&qs.lock);
	qs.active[c]--;
	pthread_cond_broadcast(&qs.cond);
	pthread_mutex_unlock(&qs.lock);
}

/* Stop classes up to @last (the world, for Q_VCPU), in order. */
static void quiesce_until(int last)
{
	struct timespec ts;
	int c, ret;

	pthread_mutex_lock(&qs.lock);
	for (c = qs.phase; c <= last; c++) {
		if (c == Q_VCPU)
			__atomic_store_n(&qs.epoch, qs.epoch + 1, __ATOMIC_RELEASE);
		qs.phase = c + 1;
		pthread_cond_broadcast(&qs.cond);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += QUIESCE_TIMEOUT_S;
		while (qs.parked[c] < qs.active[c]) {
			ret = pthread_cond_timedwait(&qs.cond, &qs.lock, &ts);
			TEST_ASSERT(ret != ETIMEDOUT,
				    "stuck: only %d of %d %s threads stopped within %d s",
				    qs.parked[c], qs.active[c], q_names[c],
				    QUIESCE_TIMEOUT_S);
		}
	}
	pthread_mutex_unlock(&qs.lock);
}

static void quiesce_end(void)
{
	pthread_mutex_lock(&qs.lock);
	qs.phase = 0;
	pthread_cond_broadcast(&qs.cond);
	pthread_mutex_unlock(&qs.lock);
}

/* ---------------------------------------------------------------------
 * The main VM's vCPUs.
 */
static void *vcpu_thread(void *arg)
{
	struct kvm_vcpu *vcpu = arg;
	uint64_t epoch;
	struct ucall uc;

	/*
	 * The vCPUs soak up every CPU cycle left; with 16 of them on a few
	 * CPUs, the host threads and the extra VMs' vCPUs would get a share
	 * too small to do their part in a short run.
	 */
	setpriority(PRIO_PROCESS, gettid(), VCPU_NICE);
	for (;;) {
		epoch = __atomic_load_n(&qs.epoch, __ATOMIC_ACQUIRE);
		run_checked(vcpu, "main");
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			__atomic_add_fetch(&cnt.vcpu_rounds[vcpu->id], 1, __ATOMIC_RELAXED);
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("main vCPU %u: unexpected exit %s", vcpu->id,
				  exit_reason_str(vcpu->run->exit_reason));
		}
		if (READ_ONCE(stop_vcpus))
			break;
		vcpu_point(epoch);
	}
	quiesce_exit(Q_VCPU);
	return NULL;
}

/* ---------------------------------------------------------------------
 * (a) A memslot the guest never maps: create, move, delete.  Raw ioctls,
 * so that the library's region lists, which vCPU threads read, stay put.
 */
/* One change of the spare memslot (@size 0 deletes it), timed. */
static void spare_slot_set(void *hva, uint64_t gpa, uint64_t size,
			   const char *what)
{
	uint64_t t0 = now_ms();
	int ret = __vm_set_user_memory_region(vm, SPARE_SLOT, 0, gpa, size, hva);

	timing_add(T_SLOT, now_ms() - t0);
	TEST_ASSERT(!ret, "%s spare memslot: %s", what, strerror(errno));
}

static void *memslot_thread(void *arg)
{
	void *hva = mmap(NULL, SPARE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	TEST_ASSERT(hva != MAP_FAILED, "mmap spare slot");
	for (;;) {
		quiesce_point(Q_HOST);
		if (READ_ONCE(stop_helpers))
			break;
		spare_slot_set(hva, SPARE_GPA_A, SPARE_SIZE, "create");
		cnt.slot_creates++;
		sleep_ms(30);
		/* Same slot, size and flags at another GPA: KVM_MR_MOVE. */
		spare_slot_set(hva, SPARE_GPA_B, SPARE_SIZE, "move");
		cnt.slot_moves++;
		sleep_ms(30);
		spare_slot_set(hva, SPARE_GPA_B, 0, "delete");
		cnt.slot_deletes++;
		sleep_ms(30);
	}
	quiesce_exit(Q_HOST);
	/* The slot is deleted, so KVM no longer maps this memory. */
	munmap(hva, SPARE_SIZE);
	return NULL;
}

/* ---------------------------------------------------------------------
 * (b) Quota: shrink and grow; every ~1.5 s, stop the world and check it.
 */
/*
 * With the world stopped: set the quota to a value below the pages in use
 * (a random one when @rs is given, else -q) and check that it holds.
 */
static void check_quota_exact(unsigned int *rs, long *used_out)
{
	long before, used, approx;
	unsigned long target = quota;
	uint64_t miss, zapped;
	int dirs = vm_dirs();

	TEST_ASSERT(dirs == 1, "%d VMs live while only the main VM should be", dirs);
	before = secpt_pages() - secpt_base;
	if (rs && before > (long)quota)
		target = quota + rand_r(rs) % (before - quota);
	set_quota(vm, target);
	used = secpt_pages() - secpt_base;
	miss = vm_get_stat(vm, "mmu_cache_miss");
	zapped = vm_get_stat(vm, "mmu_shadow_zapped");
	approx = (long)(miss - zapped);
	TEST_ASSERT(used <= (long)target,
		    "quota %lu does not hold: %ld shadow pages in use (%ld before the set)",
		    target, used, before);
	TEST_ASSERT(used >= approx,
		    "%ld pages accounted but mmu_cache_miss - mmu_shadow_zapped = %ld",
		    used, approx);
	cnt.quota_checks++;
	if (before > (long)target)
		cnt.quota_checks_zapped++;
	if (before > cnt.quota_check_max_used)
		cnt.quota_check_max_used = before;
	if (used_out)
		*used_out = used;
}

static void *quota_thread(void *arg)
{
	unsigned int rs = seed * 7 + 1;
	unsigned long n;
	uint64_t i = 0;
	int ret;

	for (;;) {
		quiesce_point(Q_HOST);
		if (READ_ONCE(stop_helpers))
			break;
		i++;
		if (i % 8 == 0) {
			/* Below KVM_MIN_ALLOC_MMU_PAGES: refused, quota kept. */
			ret = __vm_ioctl(vm, KVM_SET_NR_MMU_PAGES, (void *)(quota - 1));
			TEST_ASSERT(ret == -1 && errno == EINVAL,
				    "KVM_SET_NR_MMU_PAGES(%lu) gave %d errno %d, want EINVAL",
				    quota - 1, ret, errno);
			cnt.quota_einval++;
		}
		/* Every other set back to the minimum, the others anywhere up. */
		n = (i & 1) ? quota : quota + rand_r(&rs) % (max_quota - quota + 1);
		TIMED(T_QUOTA, set_quota(vm, n));
		cnt.quota_sets++;
		sleep_ms(20 + rand_r(&rs) % 40);
	}
	/* Leave the main VM at its minimum quota. */
	set_quota(vm, quota);
	quiesce_exit(Q_HOST);
	return NULL;
}

/*
 * Main VM pages in use while it is the only VM: the extra thread must be
 * parked.
 */
static long main_used(void)
{
	return secpt_pages() - secpt_base;
}

/*
 * Let the vCPUs fill a quota of -Q for up to 2 s (to above -q + 16 pages),
 * so that the check that follows has something to zap.  The extra thread
 * must be parked; the memslot and quota threads too, so that the quota
 * stays put.
 */
static void grow_main(uint64_t max_ms)
{
	uint64_t t0 = now_ms();

	set_quota(vm, max_quota);
	while (main_used() <= (long)quota + 16 && now_ms() - t0 < max_ms)
		sleep_ms(20);
}

/* At the end, with no other VM: growing is asserted. */
static long grow_checked(void)
{
	long used;

	grow_main(60000);
	used = main_used();
	TEST_ASSERT(used > (long)quota + 16,
		    "quota %lu: only %ld pages in use after 60 s", max_quota, used);
	return used;
}

/* Again and again: stop the world and check that the quota holds exactly. */
static void *checker_thread(void *arg)
{
	unsigned int rs = seed * 11 + 3;

	while (!READ_ONCE(stop_helpers)) {
		sleep_ms(1500);
		if (READ_ONCE(stop_helpers))
			break;
		TIMED(T_STW, quiesce_until(Q_HOST); grow_main(2000);
		      quiesce_until(Q_VCPU); check_quota_exact(&rs, NULL));
		quiesce_end();
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * (c) The MMU shrinker.
 */
static void *drop_thread(void *arg)
{
	while (!READ_ONCE(stop_helpers)) {
		TIMED(T_DROP, write_file("/proc/sys/vm/drop_caches", "2"));
		cnt.drops++;
		sleep_ms(100);
	}
	return NULL;
}

/* ---------------------------------------------------------------------
 * (d), (e), (f) Extra VMs.
 */
struct xvm {
	struct kvm_vm *vm;
	struct kvm_vcpu *vcpus[X_VCPUS];
	pthread_t threads[X_VCPUS];
	uint64_t passes[X_VCPUS];	/* highest pass each vCPU reported */
	int policy;
	int stop;			/* as stop_helpers */
};

struct xvcpu_arg {
	struct xvm *x;
	int i;
};

static void *xvcpu_thread(void *arg)
{
	struct xvcpu_arg *a = arg;
	struct xvm *x = a->x;
	struct kvm_vcpu *vcpu = x->vcpus[a->i];
	struct ucall uc;

	while (!READ_ONCE(x->stop)) {
		run_checked(vcpu, policies[x->policy]);
		switch (get_ucall(vcpu, &uc)) {
		case UCALL_SYNC:
			__atomic_store_n(&x->passes[a->i], uc.args[0], __ATOMIC_RELAXED);
			__atomic_add_fetch(&cnt.extra_syncs, 1, __ATOMIC_RELAXED);
			break;
		case UCALL_ABORT:
			REPORT_GUEST_ASSERT(uc);
		default:
			TEST_FAIL("extra %s vCPU %u: unexpected exit %s",
				  policies[x->policy], vcpu->id,
				  exit_reason_str(vcpu->run->exit_reason));
		}
	}
	return NULL;
}

static struct xvcpu_arg xargs[2][X_VCPUS];

static void xvm_create(struct xvm *x, int slot, int policy)
{
	uint64_t npages = X_VCPUS * X_REGIONS * (XREGION_SIZE / PAGE_SIZE);
	uint64_t r, gva;
	int i;

	memset(x, 0, sizeof(*x));
	x->policy = policy;
	/* Slot 0 must hold one page-table page per region. */
	x->vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, X_VCPUS,
				       2 * X_VCPUS * X_REGIONS, xguest_code,
				       x->vcpus);
	vm_userspace_mem_region_add(x->vm, VM_MEM_SRC_ANONYMOUS, XREGION_GPA,
				    XSLOT, npages, 0);
	/* One page per region: each region costs its own last-level table. */
	for (r = 0; r < X_VCPUS * X_REGIONS; r++) {
		gva = XREGION_GPA + r * XREGION_SIZE;
		virt_pg_map(x->vm, gva, gva);
	}
	for (i = 0; i < X_VCPUS; i++)
		vcpu_args_set(x->vcpus[i], 2,
			      XREGION_GPA + i * X_REGIONS * XREGION_SIZE,
			      (uint64_t)X_REGIONS);
	set_quota(x->vm, X_QUOTA);
	vm_get_stat(x->vm, "mmu_cache_miss");	/* opens the stats fd here */
	for (i = 0; i < X_VCPUS; i++) {
		xargs[slot][i].x = x;
		xargs[slot][i].i = i;
		pthread_create(&x->threads[i], NULL, xvcpu_thread, &xargs[slot][i]);
	}
	cnt.extra_vms[policy]++;
}

/* Duplicate ids fail after KVM built the whole vCPU (EEXIST), and unwind. */
static void xvm_fail_vcpu_creation(struct xvm *x)
{
	int i, ret;

	for (i = 0; i < X_VCPUS; i++) {
		ret = __vm_ioctl(x->vm, KVM_CREATE_VCPU, (void *)(unsigned long)i);
		TEST_ASSERT(ret == -1 && errno == EEXIST,
			    "KVM_CREATE_VCPU(duplicate id %d) gave %d errno %d, want EEXIST",
			    i, ret, errno);
		cnt.eexist++;
	}
}

static bool xvm_ran_enough(struct xvm *x)
{
	int i;

	/* Two whole passes over more regions than the quota: it evicted. */
	for (i = 0; i < X_VCPUS; i++)
		if (__atomic_load_n(&x->passes[i], __ATOMIC_RELAXED) < 3)
			return false;
	return true;
}

/* The rebalancer is the only writer of these two. */
static uint64_t rebalancer_progress(struct kvm_vm *v)
{
	return vm_get_stat(v, "mmu_evict_wakeups") +
	       vm_get_stat(v, "mmu_evict_batches");
}

/*
 * Stop the vCPUs and destroy the VM at once.  For a sharded VM, first wait
 * (up to 1 s) until its rebalancer is seen at work, so that the destruction
 * (memslot deletions, then vhost_task_stop()) likely meets it still busy
 * with the eviction the vCPUs caused.  "busy" counts the VMs whose
 * rebalancer moved its counters after the vCPUs were told to stop and
 * before the destruction began.  (Not from /proc/PID/task: looking up a
 * vCPU thread there races with its PF_VCPU updates, an upstream KCSAN
 * report of its own.)
 */
static void xvm_destroy(struct xvm *x)
{
	uint64_t miss, zapped, ref_skips, young_skips, wakeups, batches;
	uint64_t t, prev = 0, cur = 0;
	const char *p = policies[x->policy];
	int i;

	/* The workload is done (xvm_ran_enough()): its counters are final enough. */
	miss = vm_get_stat(x->vm, "mmu_cache_miss");
	zapped = vm_get_stat(x->vm, "mmu_shadow_zapped");
	ref_skips = vm_get_stat(x->vm, "mmu_evict_ref_skips");
	young_skips = vm_get_stat(x->vm, "mmu_evict_young_skips");
	wakeups = vm_get_stat(x->vm, "mmu_evict_wakeups");
	batches = vm_get_stat(x->vm, "mmu_evict_batches");
	if (x->policy == 2) {
		prev = rebalancer_progress(x->vm);
		for (t = now_ms(); now_ms() - t < 1000; prev = cur) {
			usleep(500);
			cur = rebalancer_progress(x->vm);
			if (cur != prev)
				break;
		}
	}
	WRITE_ONCE(x->stop, 1);
	for (i = 0; i < X_VCPUS; i++)
		pthread_join(x->threads[i], NULL);
	if (x->policy == 2) {
		cnt.sharded_destroys++;
		if (rebalancer_progress(x->vm) != cur)
			cnt.busy++;
	}
	kvm_vm_free(x->vm);

	TEST_ASSERT(miss > X_QUOTA && zapped > 0,
		    "extra %s VM: mmu_cache_miss %lu mmu_shadow_zapped %lu: no eviction",
		    p, miss, zapped);
	/* The policy in force at creation, not the one written since. */
	if (x->policy == 0)
		TEST_ASSERT(!ref_skips && !young_skips && !wakeups && !batches,
			    "extra fifo VM aged or ran a rebalancer: ref_skips %lu young_skips %lu wakeups %lu batches %lu",
			    ref_skips, young_skips, wakeups, batches);
	else if (x->policy == 1)
		TEST_ASSERT(!wakeups && !batches,
			    "extra clock VM ran a rebalancer: wakeups %lu batches %lu",
			    wakeups, batches);
	else
		TEST_ASSERT(wakeups && batches,
			    "extra sharded VM: the rebalancer never ran (wakeups %lu batches %lu)",
			    wakeups, batches);
}

static void *extra_thread(void *arg)
{
	unsigned int rs = seed * 13 + 5;
	struct xvm x[2];
	uint64_t k = 0, n = 0, t_run, t_end, t_cap;
	int i;

	for (;;) {
		quiesce_point(Q_EXTRA);
		if (READ_ONCE(stop_helpers))
			break;
		/*
		 * Each VM gets the policy in force when it is created; the
		 * parameter moves on before it runs.
		 */
		for (i = 0; i < 2; i++) {
			set_policy(policies[(k + i) % 3]);
			cnt.flips++;
			TIMED(T_XCREATE, xvm_create(&x[i], i, (k + i) % 3));
			xvm_fail_vcpu_creation(&x[i]);
		}
		set_policy(policies[(k + 2) % 3]);
		cnt.flips++;

		t_run = now_ms();
		t_end = now_ms() + 300 + rand_r(&rs) % 700;
		t_cap = now_ms() + 60000;
		while (now_ms() < t_end ||
		       !xvm_ran_enough(&x[0]) || !xvm_ran_enough(&x[1])) {
			TEST_ASSERT(now_ms() < t_cap,
				    "extra VMs starved: passes %lu/%lu and %lu/%lu after 60 s",
				    x[0].passes[0], x[0].passes[1],
				    x[1].passes[0], x[1].passes[1]);
			xvm_fail_vcpu_creation(&x[n++ % 2]);
			sleep_ms(10);
		}
		timing_add(T_XRUN, now_ms() - t_run);
		TIMED(T_XDESTROY, xvm_destroy(&x[0]));
		TIMED(T_XDESTROY, xvm_destroy(&x[1]));
		cnt.extra_rounds++;
		k += 2;
	}
	quiesce_exit(Q_EXTRA);
	return NULL;
}

/* ---------------------------------------------------------------------
 * Setup of the main VM: shared roots, each with a private window.
 */
static uint64_t pt_next;

static uint64_t pt_alloc(void)
{
	uint64_t gpa = PT_GPA + pt_next++ * PAGE_SIZE;

	memset(addr_gpa2hva(vm, gpa), 0, PAGE_SIZE);
	return gpa;
}

static void build_roots(void)
{
	uint64_t *base = addr_gpa2hva(vm, vm->pgd), *root, *pdpt, *pd;
	uint64_t r, v, k, root_gpa, pdpt_gpa, pd_gpa, pt_gpa;

	TEST_ASSERT(!(base[WIN_PML4_IDX] & PTE_PRESENT_MASK),
		    "PML4 slot %d is already used by the library", WIN_PML4_IDX);
	for (r = 0; r < nr_roots; r++) {
		root_gpa = pt_alloc();
		root = addr_gpa2hva(vm, root_gpa);
		/* Everything the library mapped is shared by every root. */
		memcpy(root, base, PAGE_SIZE);
		pdpt_gpa = pt_alloc();
		root[WIN_PML4_IDX] = pdpt_gpa | PTE_PW;
		pdpt = addr_gpa2hva(vm, pdpt_gpa);
		for (v = 0; v < nr_vcpus; v++) {
			pd_gpa = pt_alloc();
			pdpt[v] = pd_gpa | PTE_PW;
			pd = addr_gpa2hva(vm, pd_gpa);
			for (k = 0; k < chunks; k++) {
				pt_gpa = pt_alloc();
				pd[k] = pt_gpa | PTE_PW;
				gp.pt_gva[r][v][k] = pt_gpa;
			}
		}
		gp.root_gpa[r] = root_gpa;
	}
}

static void init_guest_state(void)
{
	struct vcpu_state *s;
	uint64_t v, d, *p;

	for (v = 0; v < nr_vcpus; v++) {
		s = addr_gva2hva(vm, (vm_vaddr_t)&gs[v]);
		memset(s, 0, sizeof(*s));
		memset(s->map, 0xff, sizeof(s->map));	/* -1: unmapped */
		for (d = 0; d < data_pages; d++) {
			s->version[d] = 1;
			p = addr_gpa2hva(vm, DATA_GPA + (v * data_pages + d) * PAGE_SIZE);
			p[0] = data_tag(v, d, 1);
			p[PAGE_SIZE / 8 - 1] = ~data_tag(v, d, 1);
		}
	}
}

/* After the run: memory and the guest's own tables match its bookkeeping. */
static void verify_guest_memory(struct vcpu_state *out)
{
	uint64_t v, d, r, j, *p, pte, want;
	struct vcpu_state *s;
	int m;

	for (v = 0; v < nr_vcpus; v++) {
		s = addr_gva2hva(vm, (vm_vaddr_t)&gs[v]);
		out[v] = *s;
		for (d = 0; d < data_pages; d++) {
			p = addr_gpa2hva(vm, DATA_GPA + (v * data_pages + d) * PAGE_SIZE);
			want = data_tag(v, d, s->version[d]);
			TEST_ASSERT(p[0] == want && p[PAGE_SIZE / 8 - 1] == ~want,
				    "vCPU %lu data page %lu holds 0x%lx/0x%lx, want 0x%lx/0x%lx",
				    v, d, p[0], p[PAGE_SIZE / 8 - 1], want, ~want);
		}
		for (r = 0; r < nr_roots; r++)
			for (j = 0; j < chunks * SLOTS_PER_PT; j++) {
				p = addr_gpa2hva(vm, gp.pt_gva[r][v][j / SLOTS_PER_PT]);
				pte = p[slot_page(j)];
				m = s->map[r][j];
				want = m < 0 ? 0 : (DATA_GPA + (v * data_pages + m) * PAGE_SIZE);
				TEST_ASSERT(PTE_GET_PA(pte) == want &&
					    !!(pte & PTE_PRESENT_MASK) == (m >= 0),
					    "vCPU %lu root %lu slot %lu: PTE 0x%lx, guest map %d",
					    v, r, j, pte, m);
			}
	}
}

static void check_policy_counters(const char *who, int policy)
{
	uint64_t ref_skips = vm_get_stat(vm, "mmu_evict_ref_skips");
	uint64_t young_skips = vm_get_stat(vm, "mmu_evict_young_skips");
	uint64_t wakeups = vm_get_stat(vm, "mmu_evict_wakeups");
	uint64_t batches = vm_get_stat(vm, "mmu_evict_batches");
	uint64_t direct = vm_get_stat(vm, "mmu_evict_direct");
	uint64_t scanned = vm_get_stat(vm, "mmu_evict_scanned");

	printf("%s: policy=%s scanned=%lu ref_skips=%lu young_skips=%lu ",
	       who, policies[policy], scanned, ref_skips, young_skips);
	printf("wakeups=%lu batches=%lu direct=%lu\n", wakeups, batches, direct);
	TEST_ASSERT(scanned > 0, "%s: eviction never ran", who);
	if (policy == 0)
		TEST_ASSERT(!ref_skips && !young_skips && !wakeups && !batches,
			    "%s: fifo VM aged or ran a rebalancer", who);
	else if (policy == 1)
		TEST_ASSERT(ref_skips && !wakeups && !batches,
			    "%s: clock VM without second chances or with a rebalancer", who);
	else
		TEST_ASSERT(wakeups && batches, "%s: sharded VM, the rebalancer never ran", who);
}

static void report_main_vm(int policy)
{
	check_policy_counters("main VM", policy);
	printf("main VM: mmu_cache_miss=%lu mmu_shadow_zapped=%lu mmu_recycled=%lu\n",
	       vm_get_stat(vm, "mmu_cache_miss"), vm_get_stat(vm, "mmu_shadow_zapped"),
	       vm_get_stat(vm, "mmu_recycled"));
}

static void print_helpers(void)
{
	printf("  memslot: creates %lu moves %lu deletes %lu\n", cnt.slot_creates,
	       cnt.slot_moves, cnt.slot_deletes);
	printf("  quota: sets %lu einval %lu exact-checks %lu ",
	       cnt.quota_sets, cnt.quota_einval, cnt.quota_checks);
	printf("(zapping %lu, most in use before one %ld)\n",
	       cnt.quota_checks_zapped, cnt.quota_check_max_used);
	printf("  drop_caches: %lu\n", cnt.drops);
	printf("  extra: rounds %lu VMs fifo %lu clock %lu sharded %lu, ",
	       cnt.extra_rounds, cnt.extra_vms[0], cnt.extra_vms[1],
	       cnt.extra_vms[2]);
	printf("vcpu syncs %lu, EEXIST %lu, policy flips %lu, ",
	       cnt.extra_syncs, cnt.eexist, cnt.flips);
	printf("sharded destroyed while rebalancer busy %lu of %lu\n",
	       cnt.busy, cnt.sharded_destroys);
	for (int t = 0; t < T_NR; t++)
		printf("  time %-17s n %4lu avg %5lu ms max %5lu ms\n", t_names[t],
		       timings[t].n, timings[t].n ? timings[t].total / timings[t].n : 0,
		       timings[t].max);
}

static void help(const char *name)
{
	fprintf(stderr,
		"usage: %s [-v vcpus (16)] [-q quota (64)] [-Q max quota (256)] [-t seconds (20, >= 20)]\n"
		"          [-r roots (3)] [-k page tables per vcpu and root (4)] [-d data pages per vcpu (32)] [-s seed (1)]\n",
		name);
	exit(KSFT_FAIL);
}

int main(int argc, char *argv[])
{
	pthread_t vt[MAX_VCPUS], memslot_t, quota_t, checker_t, drop_t, extra_t;
	uint64_t pt_pages, i, t0, t_run, min_rounds = ~0ULL;
	uint64_t tot_ops = 0, tot_reads = 0, tot_writes = 0, tot_maps = 0;
	uint64_t tot_unmaps = 0, tot_repoints = 0, tot_probes = 0, tot_switches = 0;
	struct vcpu_state *st = calloc(MAX_VCPUS, sizeof(*st));	/* not in guest memory */
	long used, used_grown = -1, used_dropped = -1, footprint, left;
	int drops_needed = 0;
	bool can_grow;
	int opt, policy;

	while ((opt = getopt(argc, argv, "v:q:Q:t:r:k:d:s:")) != -1) {
		switch (opt) {
		case 'v':
			nr_vcpus = parse_bounded(optarg, 1, MAX_VCPUS);
			break;
		case 'q':
			quota = parse_bounded(optarg, 64, 1 << 20);
			break;
		case 'Q':
			max_quota = parse_bounded(optarg, 64, 1 << 20);
			break;
		case 't':
			seconds = parse_bounded(optarg, 20, 86400);
			break;
		case 'r':
			nr_roots = parse_bounded(optarg, 1, MAX_ROOTS);
			break;
		case 'k':
			chunks = parse_bounded(optarg, 1, MAX_CHUNKS);
			break;
		case 'd':
			data_pages = parse_bounded(optarg, 1, MAX_DATA);
			break;
		case 's':
			seed = parse_bounded(optarg, 1, ~0U);
			break;
		default:
			help(argv[0]);
		}
	}
	if (max_quota <= quota)
		max_quota = quota + 1;

	TEST_ASSERT(st, "out of memory");
	TEST_ASSERT(shadow_evict_policy(policy0, sizeof(policy0)),
		    "this kernel has no %s", SHADOW_EVICT_PARAM);
	policy = policy_index(policy0);
	atexit(restore_policy);
	TEST_ASSERT(vm_dirs() == 0, "a VM already exists before the test");
	secpt_base = secpt_pages();

	/* Roots: PML4 + PDPT, then a PD and the PTs for each vCPU. */
	pt_pages = nr_roots * (2 + nr_vcpus * (1 + chunks));
	footprint = pt_pages;
	vm = __vm_create_with_vcpus(VM_SHAPE_DEFAULT, nr_vcpus,
				    pt_pages + nr_vcpus * data_pages,
				    guest_code, vcpus);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, DATA_GPA,
				    DATA_SLOT, nr_vcpus * data_pages, 0);
	vm_userspace_mem_region_add(vm, VM_MEM_SRC_ANONYMOUS, PT_GPA, PT_SLOT,
				    pt_pages, 0);
	/* The guest edits its PTs through this mapping, in every root. */
	virt_map(vm, PT_GPA, PT_GPA, pt_pages);
	build_roots();
	gp.nr_roots = nr_roots;
	gp.chunks = chunks;
	gp.data_pages = data_pages;
	gp.hot_slots = SLOTS_PER_PT;
	gp.hot_pct = 90;
	gp.seed = seed;
	sync_global_to_guest(vm, gp);
	init_guest_state();
	for (i = 0; i < nr_vcpus; i++)
		vcpu_args_set(vcpus[i], 1, i);
	set_quota(vm, quota);
	vm_get_stat(vm, "mmu_cache_miss");	/* opens the stats fd here */

	printf("shadow_stress: policy=%s vcpus=%lu quota=%lu..%lu roots=%lu ",
	       policy0, nr_vcpus, quota, max_quota, nr_roots);
	printf("pts/vcpu/root=%lu data pages/vcpu=%lu seconds=%lu secpt_base=%ld\n",
	       chunks, data_pages, seconds, secpt_base);

	t0 = now_ms();
	qs.active[Q_VCPU] = nr_vcpus;
	qs.active[Q_HOST] = 2;
	qs.active[Q_EXTRA] = 1;
	for (i = 0; i < nr_vcpus; i++)
		pthread_create(&vt[i], NULL, vcpu_thread, vcpus[i]);
	pthread_create(&memslot_t, NULL, memslot_thread, NULL);
	pthread_create(&quota_t, NULL, quota_thread, NULL);
	pthread_create(&checker_t, NULL, checker_thread, NULL);
	pthread_create(&drop_t, NULL, drop_thread, NULL);
	pthread_create(&extra_t, NULL, extra_thread, NULL);

	sleep(seconds);
	WRITE_ONCE(stop_helpers, 1);
	pthread_join(memslot_t, NULL);
	pthread_join(quota_t, NULL);
	pthread_join(checker_t, NULL);
	pthread_join(drop_t, NULL);
	pthread_join(extra_t, NULL);
	t_run = now_ms() - t0;
	set_policy(policy0);
	printf("stress phase: %lu ms\n", t_run);
	print_helpers();

	/*
	 * Only the main VM is left.  A quota of -Q must let it grow above -q
	 * (to -q + 16 within 60 s); then the final set to -q must hold.
	 */
	can_grow = footprint >= (long)quota + 32 && max_quota >= quota + 32;
	if (can_grow)
		grow_checked();
	quiesce_until(Q_VCPU);
	check_quota_exact(NULL, &used);
	quiesce_end();

	if (can_grow) {
		used_grown = grow_checked();
		quiesce_until(Q_VCPU);
		used_grown = main_used();
		/*
		 * The MMU shrinker zaps from the VM with pages.  Its count is
		 * kvm_total_used_mmu_pages read without the per-CPU deltas
		 * (off by less than 64 pages on 2 CPUs, hence -q + 16 above)
		 * and its weight (seeks x10) makes one drop_caches scan only a
		 * fifth of that, deferring the rest: it zaps once the deferred
		 * work reaches the count, after a few writes.  With the world
		 * stopped, nothing else can free these pages.
		 */
		for (drops_needed = 1;; drops_needed++) {
			write_file("/proc/sys/vm/drop_caches", "2");
			used_dropped = main_used();
			if (used_dropped < used_grown)
				break;
			TEST_ASSERT(drops_needed < 50,
				    "50 drop_caches freed nothing: %ld pages in use",
				    used_dropped);
		}
		quiesce_end();
	}

	WRITE_ONCE(stop_vcpus, 1);
	for (i = 0; i < nr_vcpus; i++)
		pthread_join(vt[i], NULL);

	verify_guest_memory(st);
	report_main_vm(policy);

	for (i = 0; i < nr_vcpus; i++) {
		if (cnt.vcpu_rounds[i] < min_rounds)
			min_rounds = cnt.vcpu_rounds[i];
		tot_ops += st[i].ops;
		tot_reads += st[i].reads;
		tot_writes += st[i].writes;
		tot_maps += st[i].maps;
		tot_unmaps += st[i].unmaps;
		tot_repoints += st[i].repoints;
		tot_probes += st[i].probes;
		tot_switches += st[i].switches;
		TEST_ASSERT(st[i].ops == cnt.vcpu_rounds[i] * OPS_PER_ROUND,
			    "vCPU %lu: %lu guest ops but %lu rounds", i, st[i].ops,
			    cnt.vcpu_rounds[i]);
	}

	kvm_vm_free(vm);

	/* No shadow page may stay accounted once every VM is gone. */
	t0 = now_ms();
	while ((left = secpt_pages() - secpt_base) != 0 || vm_dirs() != 0) {
		TEST_ASSERT(now_ms() - t0 < 20000,
			    "20 s after the last VM was freed: %ld shadow pages still accounted, %d VM dirs left",
			    left, vm_dirs());
		sleep_ms(100);
	}

	printf("final: quota %lu: %ld in use; quota %lu: grew to %ld, %ld after %d drop_caches\n",
	       quota, used, max_quota, used_grown, used_dropped, drops_needed);
	printf("  vcpus: rounds min %lu; guest ops %lu reads-verified %lu ",
	       min_rounds, tot_ops, tot_reads);
	printf("writes %lu maps %lu unmaps %lu re-points %lu ",
	       tot_writes, tot_maps, tot_unmaps, tot_repoints);
	printf("unmapped-probes %lu cr3-switches %lu\n", tot_probes, tot_switches);
	printf("  accounting: SecPageTables base %ld pages, peak %ld, after teardown %ld\n",
	       secpt_base, secpt_max, secpt_base + left);

	TEST_ASSERT(min_rounds >= MIN_VCPU_ROUNDS, "a vCPU did only %lu rounds", min_rounds);
	TEST_ASSERT(tot_probes > 0 && tot_switches > 0 && tot_unmaps > 0 && tot_writes > 0 &&
		    tot_repoints > 0,
		    "the guests never probed, switched roots, unmapped, re-pointed or wrote");
	TEST_ASSERT(cnt.slot_deletes >= MIN_MEMSLOT_CYCLES,
		    "memslot thread: %lu cycles", cnt.slot_deletes);
	TEST_ASSERT(cnt.quota_sets >= MIN_QUOTA_SETS && cnt.quota_einval > 0,
		    "quota thread: %lu sets, %lu EINVAL", cnt.quota_sets, cnt.quota_einval);
	TEST_ASSERT(cnt.quota_checks >= MIN_QUOTA_CHECKS && cnt.quota_checks_zapped > 0,
		    "quota checks: %lu, %lu of which had to zap", cnt.quota_checks,
		    cnt.quota_checks_zapped);
	TEST_ASSERT(cnt.drops >= MIN_DROPS, "drop_caches thread: %lu writes", cnt.drops);
	TEST_ASSERT(cnt.extra_rounds >= MIN_EXTRA_ROUNDS && cnt.extra_vms[0] &&
		    cnt.extra_vms[1] && cnt.extra_vms[2],
		    "extra thread: %lu rounds", cnt.extra_rounds);
	TEST_ASSERT(cnt.eexist >= MIN_EEXIST, "only %lu failed KVM_CREATE_VCPU", cnt.eexist);
	TEST_ASSERT(secpt_max > secpt_base,
		    "SecPageTables never moved: the teardown check would be blind");

	printf("shadow_stress: PASS\n");
	return 0;
}
