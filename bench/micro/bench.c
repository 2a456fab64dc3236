// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of the three eviction policies, built from the exact
 * kernel files (kernel/src/arch/x86/kvm/mmu/shadow_evict.[ch]) and the test
 * harness model of KVM (concurrency-tests/harness.h).  Not a test.
 *
 *   bench run [REPS [THREADS...]]   timing table (medians, min..max)
 *   bench cg POLICY                 one deterministic single-thread run for
 *                                   callgrind (see callgrind.sh)
 *
 * Workload per vCPU thread: 1024 guest "regions"; 90% of touches go to 64 hot
 * ones.  A touch of a region whose page was evicted is a miss: a fault that
 * creates a page under the zap lock (direct reclaim when fewer than 5 pages
 * are free).  A rebalancer thread runs for every policy (like with like):
 * FIFO and CLOCK do its work under the zap lock, sharded sweeps outside it.
 * Each miss first spends BENCH_FAULT_NS (default 1000) ns outside the lock,
 * standing for the VM exit and guest page-table walk of a real fault.
 */
#include <unistd.h>
#include <valgrind/callgrind.h>
#include "harness.h"

char se_shim_rcu_token;

#define REGIONS		1024
#define HOT		64
#define MAX_PAGES	512

static struct world W;
static int stop;
static long evict_lock_ns, direct_evicted;
static int cg_locked;
static long fault_work_ns = 1000;	/* VM exit + guest walk, outside the lock */		/* callgrind: collect only under the zap lock */
static __thread long lock_t0;

/* Rebalancer lock holds are timed (and, for callgrind, collected). */
static void b_zap_lock(struct se_cache *c)
{
	w_lock(w_of(c));
	lock_t0 = w_now_ns();
	if (cg_locked)
		CALLGRIND_TOGGLE_COLLECT;
}

static void b_zap_unlock(struct se_cache *c)
{
	if (cg_locked)
		CALLGRIND_TOGGLE_COLLECT;
	__atomic_fetch_add(&evict_lock_ns, w_now_ns() - lock_t0, __ATOMIC_RELAXED);
	w_unlock(w_of(c));
}

static struct se_ops b_ops;

static const char *pname[] = { "fifo", "clock", "sharded" };

static void setup(enum se_policy pol, int nshards, unsigned long max)
{
	w_init(&W, pol, nshards, 2 * max + 64);
	b_ops = w_ops;
	b_ops.zap_lock = b_zap_lock;
	b_ops.zap_unlock = b_zap_unlock;
	W.c.ops = &b_ops;
	w_lock(&W);
	se_set_limits(&W.c, max, max - max / 8, max - max / 16);
	w_unlock(&W);
	evict_lock_ns = direct_evicted = 0;
	stop = 0;
}

static void teardown(void)
{
	w_lock(&W);
	w_zap_all(&W);
	w_unlock(&W);
	rcu_barrier();
	se_cache_destroy(&W.c);
	free(W.slot);
	free(W.free_slots);
}

__attribute__((noinline)) void bench_mark(struct tpage *q)
{
	se_mark(&W.c, &q->se);
}

__attribute__((noinline)) unsigned long bench_direct_reclaim(unsigned long nr, void *inv)
{
	return se_reclaim(&W.c, nr, inv);
}

__attribute__((noinline)) struct tpage *bench_create(int vcpu)
{
	return w_create(&W, vcpu, 1);
}

/* Zap lock held. make_mmu_pages_available() + page creation. */
__attribute__((noinline)) struct tpage *bench_fault(int vcpu)
{
	unsigned long avail = se_available(&W.c), n;
	LIST_HEAD(inv);

	if (avail < W_MIN_FREE) {
		long t0 = w_now_ns();

		if (cg_locked)
			CALLGRIND_TOGGLE_COLLECT;
		n = bench_direct_reclaim(W_REFILL - avail, &inv);
		if (cg_locked)
			CALLGRIND_TOGGLE_COLLECT;
		__atomic_fetch_add(&evict_lock_ns, w_now_ns() - t0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&direct_evicted, n, __ATOMIC_RELAXED);
	}
	return bench_create(vcpu);
}

__attribute__((noinline)) unsigned long bench_rebalance(void)
{
	LIST_HEAD(inv);

	return se_rebalance(&W.c, &inv);
}

struct vcpu_res {
	long ops, misses, ns;
};

struct vcpu_arg {
	int id;
	long ops;
	struct vcpu_res res;
};

/* One region access; returns true on a miss. */
static bool touch(int id, int r, int *slot, long *pid)
{
	struct tpage *q = NULL;

	rcu_read_lock();
	if (slot[r] >= 0) {
		q = __atomic_load_n(&W.slot[slot[r]], __ATOMIC_ACQUIRE);
		if (q && q->id == pid[r])
			bench_mark(q);
		else
			q = NULL;
	}
	rcu_read_unlock();
	if (q)
		return false;
	if (fault_work_ns && !cg_locked) {
		long t0 = w_now_ns();

		while (w_now_ns() - t0 < fault_work_ns)
			;
	}
	w_lock(&W);
	q = bench_fault(id);
	slot[r] = q->slot;
	pid[r] = q->id;
	w_unlock(&W);
	return true;
}

static void *vcpu_thread(void *p)
{
	struct vcpu_arg *a = p;
	int slot[REGIONS];
	long pid[REGIONS], i, t0;

	w_seed = 0x9e3779b9u * (a->id + 1);
	rcu_register_thread();
	for (i = 0; i < REGIONS; i++)
		slot[i] = -1;
	t0 = w_now_ns();
	for (i = 0; i < a->ops; i++) {
		unsigned int x = w_rand();
		int r = x % 100 < 90 ? (x >> 8) % HOT : (x >> 8) % REGIONS;

		a->res.misses += touch(a->id, r, slot, pid);
	}
	a->res.ns = w_now_ns() - t0;
	a->res.ops = a->ops;
	rcu_unregister_thread();
	return NULL;
}

static void *rebalancer_thread(void *p)
{
	rcu_register_thread();
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (se_rebalance_needed(&W.c))
			while (bench_rebalance())
				;
		else
			usleep(20);
	}
	rcu_unregister_thread();
	return NULL;
}

struct sample {
	double mark_ns, evict_per_s, lock_ns_per_evict, miss_pct, direct_pct;
};

struct mark_arg {
	struct tpage **pages;
	long n, ns;
	int id;
};

static void *mark_thread(void *p)
{
	struct mark_arg *a = p;
	long i, t0;

	w_seed = 777 + a->id;
	rcu_register_thread();
	t0 = w_now_ns();
	rcu_read_lock();
	for (i = 0; i < a->n; i++)
		bench_mark(a->pages[w_rand() % 256]);
	rcu_read_unlock();
	a->ns = w_now_ns() - t0;
	rcu_unregister_thread();
	return NULL;
}

static struct sample run_once(enum se_policy pol, int nthreads, long ops)
{
	struct vcpu_arg va[64] = { 0 };
	struct mark_arg ma[64];
	struct tpage *pages[256];
	pthread_t t[64], rt;
	struct sample s = { 0 };
	long misses = 0, evicted, wall, t0, sum = 0;
	int i;

	/* Marking: all threads hammer one shared set of 256 pages. */
	setup(pol, nthreads, 4096);
	w_lock(&W);
	for (i = 0; i < 256; i++)
		pages[i] = w_create(&W, i % nthreads, 1);
	w_unlock(&W);
	for (i = 0; i < nthreads; i++) {
		ma[i] = (struct mark_arg){ .pages = pages, .n = 2000000, .id = i };
		pthread_create(&t[i], NULL, mark_thread, &ma[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		sum += ma[i].ns;
	}
	s.mark_ns = (double)sum / nthreads / ma[0].n;
	teardown();

	/* Churn: misses, faults, eviction. */
	setup(pol, nthreads, MAX_PAGES);
	t0 = w_now_ns();
	pthread_create(&rt, NULL, rebalancer_thread, NULL);
	for (i = 0; i < nthreads; i++) {
		va[i].id = i;
		va[i].ops = ops;
		pthread_create(&t[i], NULL, vcpu_thread, &va[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		misses += va[i].res.misses;
	}
	wall = w_now_ns() - t0;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(rt, NULL);
	evicted = W.core_zaps;
	s.evict_per_s = evicted / (wall / 1e9);
	s.lock_ns_per_evict = evicted ? (double)evict_lock_ns / evicted : 0;
	s.miss_pct = 100.0 * misses / (ops * nthreads);
	s.direct_pct = evicted ? 100.0 * direct_evicted / evicted : 0;
	teardown();
	return s;
}

static int cmpd(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void stat3(double *v, int n, char *buf, size_t sz, const char *fmt)
{
	char a[32], b[32], c[32];

	qsort(v, n, sizeof(*v), cmpd);
	snprintf(a, sizeof(a), fmt, v[n / 2]);
	snprintf(b, sizeof(b), fmt, v[0]);
	snprintf(c, sizeof(c), fmt, v[n - 1]);
	snprintf(buf, sz, "%s (%s..%s)", a, b, c);
}

static int run_table(int reps, int *threads, int nthr, long ops)
{
	int p, ti, r;

	printf("median (min..max) of %d runs; %ld region touches per vCPU thread; pool %d pages; "
	       "%ld ns of fault work per miss\n", reps, ops, MAX_PAGES, fault_work_ns);
	printf("%-8s %3s | %-22s | %-28s | %-26s | %-20s | %s\n", "policy", "thr",
	       "mark ns/op", "evictions/s", "zap-lock ns / evicted page", "miss %",
	       "direct %");
	for (ti = 0; ti < nthr; ti++) {
		for (p = 0; p < 3; p++) {
			double m[32], e[32], l[32], x[32], d[32];
			char bm[128], be[128], bl[128], bx[128], bd[128];

			for (r = 0; r < reps; r++) {
				struct sample s = run_once(p, threads[ti], ops);

				m[r] = s.mark_ns;
				e[r] = s.evict_per_s;
				l[r] = s.lock_ns_per_evict;
				x[r] = s.miss_pct;
				d[r] = s.direct_pct;
			}
			stat3(m, reps, bm, sizeof(bm), "%.1f");
			stat3(e, reps, be, sizeof(be), "%.0f");
			stat3(l, reps, bl, sizeof(bl), "%.0f");
			stat3(x, reps, bx, sizeof(bx), "%.1f");
			stat3(d, reps, bd, sizeof(bd), "%.0f");
			printf("%-8s %3d | %-22s | %-28s | %-26s | %-20s | %s\n", pname[p],
			       threads[ti], bm, be, bl, bx, bd);
			fflush(stdout);
		}
	}
	return 0;
}

/*
 * Single thread, deterministic, for callgrind: one phase of marks, then a
 * churn phase with the rebalancer called inline every 8 faults.  Prints
 * the operation counts that callgrind.sh divides by.
 */
static int run_cg(enum se_policy pol, bool locked)
{
	struct vcpu_arg a = { .id = 0, .ops = 0 };
	int slot[REGIONS], i, n = 0;
	long pid[REGIONS], marks = 0, faults = 0, rebal = 0;
	struct tpage *pages[256];

	setup(pol, 4, MAX_PAGES);
	cg_locked = locked;
	w_lock(&W);
	for (i = 0; i < 256; i++)
		pages[i] = w_create(&W, i % 4, 1);
	w_unlock(&W);
	if (!locked)
		CALLGRIND_TOGGLE_COLLECT;
	for (i = 0; i < 100000; i++) {
		bench_mark(pages[w_rand() % 256]);
		marks++;
	}
	for (i = 0; i < REGIONS; i++)
		slot[i] = -1;
	for (i = 0; i < 200000; i++) {
		unsigned int x = w_rand();
		int r = x % 100 < 90 ? (x >> 8) % HOT : (x >> 8) % REGIONS;
		int vcpu = i % 4;

		if (touch(vcpu, r, slot, pid) && !(++n % 8)) {
			while (se_rebalance_needed(&W.c) && bench_rebalance())
				rebal++;
		}
		faults = n;
	}
	if (!locked)
		CALLGRIND_TOGGLE_COLLECT;
	printf("policy=%s marks=%ld faults=%ld evicted=%ld direct_evicted=%ld rebalance_batches=%ld\n",
	       pname[pol], marks, faults, W.core_zaps, direct_evicted, rebal);
	(void)a;
	teardown();
	return 0;
}

int main(int argc, char **argv)
{
	int threads[8] = { 1, 2, 4 }, nthr = 3, reps = 5, i;
	long ops = 300000;

	rcu_register_thread();
	if (argc >= 3 && !strcmp(argv[1], "cg")) {
		int p = !strcmp(argv[2], "fifo") ? 0 : !strcmp(argv[2], "clock") ? 1 : 2;

		return run_cg(p, argc > 3 && !strcmp(argv[3], "locked"));
	}
	if (argc >= 3) {
		reps = atoi(argv[2]);
		if (reps < 1 || reps > 31)
			reps = 5;
	}
	if (argc >= 4) {
		for (nthr = 0, i = 3; i < argc && nthr < 8; i++)
			threads[nthr++] = atoi(argv[i]);
	}
	if (getenv("BENCH_FAULT_NS"))
		fault_work_ns = atol(getenv("BENCH_FAULT_NS"));
	if (getenv("BENCH_OPS"))
		ops = atol(getenv("BENCH_OPS"));
	run_table(reps, threads, nthr, ops);
	rcu_unregister_thread();
	return 0;
}
