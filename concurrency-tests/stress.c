// SPDX-License-Identifier: GPL-2.0
/*
 * Stress test: N vCPU threads creating and touching pages with skewed
 * patterns (vCPU 0 busy, the last one idle after a third of the run), a
 * rebalancer thread, and a zapper that holds the zap lock and zaps on its
 * own: the page the sweep is looking at, whole groups, pinned roots.  The
 * zapper checks every invariant (harness.h: w_check()) every round.
 *
 * usage: stress POLICY SECONDS [VCPUS [MAX_PAGES]]
 */
#include <unistd.h>
#include "harness.h"

char se_shim_rcu_token;

static struct world W;
static int nvcpu = 4, stop, idle_now;
static unsigned long max_pages = 256;
static const char *failure;
static long rounds, faults, touches, enospc, batches, rebal_zapped;
static long ext_zaps, pins, unpins, root_zaps, idle_pages_at_idle = -1;

#define SLACK	(W_MAX_GROUP - 1)	/* a fault checks for 1 free page, creates up to 3 */

static void fail(const char *why)
{
	const char *none = NULL;

	__atomic_compare_exchange_n(&failure, &none, why, false, __ATOMIC_RELAXED,
				    __ATOMIC_RELAXED);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

#define STOPPED()	__atomic_load_n(&stop, __ATOMIC_RELAXED)
#define INC(x)		__atomic_fetch_add(&(x), 1, __ATOMIC_RELAXED)
#define LD(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)

static long pages_of(int vcpu)
{
	struct list_head *pos;
	long n = 0;

	list_for_each(pos, &W.active)
		n += list_entry(pos, struct tpage, active)->creator == vcpu;
	return n;
}

/* Zap lock held.  Every vCPU got its own shard, and its pages are on it. */
static const char *shards_check(void)
{
	bool seen[W_MAX_VCPUS + 1] = {};
	struct list_head *pos;
	int i;

	if (W.c.policy != SE_POLICY_SHARDED)
		return NULL;
	if (W.c.nr_shards != (unsigned int)nvcpu + 1)
		return "not one shard per vCPU (plus the VM's)";
	for (i = 0; i < nvcpu; i++) {
		int s = W.vshard[i];

		if (s < 1 || s > nvcpu || seen[s])
			return "vCPU shards not distinct in 1..n";
		seen[s] = true;
	}
	list_for_each(pos, &W.active) {
		struct tpage *q = list_entry(pos, struct tpage, active);

		if (q->se.shard != W.vshard[q->creator])
			return "a page is not on its creator's shard";
	}
	return NULL;
}

static void *vcpu_thread(void *arg)
{
	int id = (int)(long)arg, recent[64], nrecent = 0, ri = 0;
	int create_pct = id == 0 ? 60 : 8;
	int shard;

	w_seed = 0x9e3779b9u * (id + 1);
	rcu_register_thread();
	/*
	 * Like KVM's vCPU creation: each vCPU adds its shard while the others
	 * fault and the rebalancer sweeps (staggered so the adds overlap).
	 */
	usleep(id * 20000);
	shard = se_shard_add(&W.c);
	if (shard < 0)
		fail("se_shard_add failed");
	__atomic_store_n(&W.vshard[id], shard, __ATOMIC_RELAXED);
	while (!STOPPED()) {
		struct tpage *q = NULL;

		if (id == nvcpu - 1 && __atomic_load_n(&idle_now, __ATOMIC_RELAXED)) {
			usleep(1000);		/* idle vCPU: its pages go cold */
			continue;
		}
		if (nrecent && (int)(w_rand() % 100) >= create_pct) {
			/* Skewed: 80% of touches hit the 8 most recent pages. */
			int k = w_rand() % 100 < 80 ? w_rand() % (nrecent < 8 ? nrecent : 8)
						    : w_rand() % nrecent;
			int slot = recent[(ri - 1 - k + 64) % 64];
			int m;

			/* Lockless hit path: RCU keeps the page alive. */
			rcu_read_lock();
			q = __atomic_load_n(&W.slot[slot], __ATOMIC_ACQUIRE);
			if (q) {
				m = __atomic_load_n(&q->magic, __ATOMIC_RELAXED);
				if (m != TP_LIVE && m != TP_ZAPPED)
					fail("vCPU reached a freed page");
				se_mark(&W.c, &q->se);
				if (w_rand() & 1)
					__atomic_store_n(&q->hw_young, 1, __ATOMIC_RELAXED);
			}
			rcu_read_unlock();
			INC(touches);
			if (q)
				continue;
		}
		/* Miss: a fault creates a group of pages under the zap lock. */
		w_lock(&W);
		if (w_make_available(&W)) {
			q = w_create(&W, id, 1 + w_rand() % W_MAX_GROUP);
			recent[ri++ % 64] = q->slot;
			if (nrecent < 64)
				nrecent++;
			INC(faults);
		} else {
			INC(enospc);
		}
		if (W.c.nr_pages > W.c.max_pages + SLACK)
			fail("quota exceeded beyond slack");
		w_unlock(&W);
	}
	rcu_unregister_thread();
	return NULL;
}

static void *rebalancer_thread(void *arg)
{
	unsigned long n;

	rcu_register_thread();
	while (!STOPPED()) {
		LIST_HEAD(inv);

		if (!se_rebalance_needed(&W.c)) {
			usleep(50);
			continue;
		}
		while (!STOPPED() && (n = se_rebalance(&W.c, &inv))) {
			if (n > SE_BATCH * W_MAX_GROUP)
				fail("rebalancer batch too large");
			if (!list_empty(&inv))
				fail("rebalancer left zaps uncommitted");
			INC(batches);
			__atomic_fetch_add(&rebal_zapped, n, __ATOMIC_RELAXED);
		}
	}
	rcu_unregister_thread();
	return NULL;
}

static struct tpage *random_live(void)
{
	int tries;

	for (tries = 0; tries < 8; tries++) {
		struct tpage *q = __atomic_load_n(&W.slot[w_rand() % W.nslots],
						  __ATOMIC_RELAXED);
		if (q && !q->invalid)
			return q;
	}
	return NULL;
}

static void *zapper_thread(void *arg)
{
	struct tpage *roots[16], *q;
	const char *why;
	int nroots = 0, s;

	w_seed = 0xabcdef;
	rcu_register_thread();
	while (!STOPPED()) {
		LIST_HEAD(inv);

		w_lock(&W);
		switch (w_rand() % 10) {
		case 0: case 1: case 2:		/* the page the sweep looks at */
			s = __atomic_load_n(&W.looking_at, __ATOMIC_RELAXED);
			q = s >= 0 ? __atomic_load_n(&W.slot[s], __ATOMIC_RELAXED) : NULL;
			if (q && !q->invalid) {
				w_zap_page(&W, q, &inv);
				INC(ext_zaps);
			}
			break;
		case 3: case 4:			/* any page, with its group */
			q = random_live();
			if (q) {
				w_zap_page(&W, q, &inv);
				INC(ext_zaps);
			}
			break;
		case 5:				/* a vCPU loads a root */
			q = random_live();
			if (q && nroots < 16) {
				/* ops_pinned() reads it without the zap lock. */
				__atomic_fetch_add(&q->root_count, 1, __ATOMIC_RELAXED);
				roots[nroots++] = q;
				INC(pins);
			}
			break;
		case 6:				/* ... and drops it */
			if (nroots) {
				s = w_rand() % nroots;
				w_unpin(&W, roots[s]);
				roots[s] = roots[--nroots];
				INC(unpins);
			}
			break;
		case 7:				/* zap a pinned root: stays invalid */
			if (nroots && !roots[s = w_rand() % nroots]->invalid) {
				w_zap_page(&W, roots[s], &inv);
				INC(root_zaps);
			}
			break;
		}
		w_commit(&W, &inv);
		why = w_check(&W, SLACK);
		if (why)
			fail(why);
		INC(rounds);
		w_unlock(&W);
		if (!(w_rand() & 3))
			sched_yield();
	}
	w_lock(&W);
	while (nroots)
		w_unpin(&W, roots[--nroots]);
	w_unlock(&W);
	rcu_unregister_thread();
	return NULL;
}

int main(int argc, char **argv)
{
	enum se_policy pol;
	pthread_t vt[64], rt, zt;
	const char *why;
	long idle_end, i;
	double secs;

	if (argc < 3) {
		fprintf(stderr, "usage: %s fifo|clock|sharded SECONDS [VCPUS [MAX]]\n", argv[0]);
		return 2;
	}
	pol = !strcmp(argv[1], "fifo") ? SE_POLICY_FIFO :
	      !strcmp(argv[1], "clock") ? SE_POLICY_CLOCK : SE_POLICY_SHARDED;
	secs = atof(argv[2]);
	if (argc > 3)
		nvcpu = atoi(argv[3]);
	if (argc > 4)
		max_pages = atol(argv[4]);
	if (nvcpu < 2 || nvcpu > 64)
		return 2;

	rcu_register_thread();
	w_init(&W, pol, 1, 2 * max_pages + 64);
	/* KVM's default: the hands discard what building a page recorded. */
	se_set_probation(&W.c, true);
	se_set_max_age(&W.c, 2);
	W.widen = 1;
	w_lock(&W);
	se_set_limits(&W.c, max_pages, max_pages - max_pages / 4, max_pages - max_pages / 8);
	w_unlock(&W);

	for (i = 0; i < nvcpu; i++)
		pthread_create(&vt[i], NULL, vcpu_thread, (void *)i);
	pthread_create(&rt, NULL, rebalancer_thread, NULL);
	pthread_create(&zt, NULL, zapper_thread, NULL);

	usleep(secs * 1e6 / 3);
	w_lock(&W);
	__atomic_store_n(&idle_now, 1, __ATOMIC_RELAXED);
	idle_pages_at_idle = pages_of(nvcpu - 1);
	w_unlock(&W);
	usleep(secs * 2e6 / 3);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);

	for (i = 0; i < nvcpu; i++)
		pthread_join(vt[i], NULL);
	pthread_join(rt, NULL);
	pthread_join(zt, NULL);

	w_lock(&W);
	why = w_check(&W, SLACK);
	if (why)
		fail(why);
	idle_end = pages_of(nvcpu - 1);
	if (!why)
		why = shards_check();
	if (why)
		fail(why);
	w_zap_all(&W);
	w_unlock(&W);
	rcu_barrier();

	if (LD(W.created) != LD(W.freed))
		fail("pages leaked or double-freed");
	if (W.c.nr_pages)
		fail("rings not empty");
	if (LD(W.bad_root_evicted))
		fail("core evicted a pinned root");
	if (LD(W.bad_invalid_evicted))
		fail("core zapped an invalid page");
	if (LD(W.bad_lifetime))
		fail("sweep or zap saw a freed page");
	if (enospc)
		fail("a fault found no page where FIFO would have");
	if (idle_pages_at_idle > 0 && idle_end >= idle_pages_at_idle)
		fail("idle vCPU's cold pages never evicted");
	if (rounds < 100 || faults < 1000)
		fail("too little work done to mean anything");

	printf("stress %-7s %d vCPUs %.0fs: %ld invariant rounds, %ld faults, %ld touches, "
	       "%ld created/%ld freed, core zaps %ld (rebalancer %ld pages in %ld batches), "
	       "zapper zaps %ld + %ld roots, pins %ld, idle vCPU pages %ld -> %ld: %s\n",
	       argv[1], nvcpu, secs, rounds, faults, touches, LD(W.created), LD(W.freed),
	       LD(W.core_zaps), rebal_zapped, batches, ext_zaps, root_zaps, pins,
	       idle_pages_at_idle, idle_end, failure ? failure : "OK");
	se_cache_destroy(&W.c);
	free(W.slot);
	free(W.free_slots);
	rcu_unregister_thread();
	return failure ? 1 : 0;
}
