// SPDX-License-Identifier: GPL-2.0
/*
 * Deterministic unit tests: scripted sequences with known victims, for each
 * policy.  Single-threaded; the rebalancer is called inline, and the zap-lock
 * hook injects "concurrent" events between the sweep and the zap.
 */
#include "harness.h"

char se_shim_rcu_token;

static int failures, passes;
static const char *cur_test;

#define CHECK(cond, ...) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "FAIL %s (%s:%d): %s: ", cur_test,	\
			__FILE__, __LINE__, #cond);			\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		failures++;						\
		return;							\
	}								\
} while (0)

#define MAXP 4096
static struct world W;
static long logbuf[MAXP];
static struct tpage *P[MAXP];	/* by id; valid only while the page lives */
static int creator[MAXP];

static const char *pol_name(enum se_policy p)
{
	return p == SE_POLICY_FIFO ? "fifo" : p == SE_POLICY_CLOCK ? "clock" : "sharded";
}

static void setup(struct world *w, enum se_policy pol, unsigned int shards)
{
	w_init(w, pol, shards, MAXP);
	w->log = logbuf;
	w->log_cap = MAXP;
	w_lock(w);
	se_set_limits(&w->c, 100000, 100000, 100000);
	w_unlock(w);
}

static void limits(unsigned long max, unsigned long low, unsigned long high)
{
	w_lock(&W);
	se_set_limits(&W.c, max, low, high);
	w_unlock(&W);
}

/* Create @n groups of @k pages for @vcpu. */
static void mk(int vcpu, int n, int k)
{
	int i, j;

	w_lock(&W);
	for (i = 0; i < n; i++) {
		long id = W.next_id;
		struct tpage *q = w_create(&W, vcpu, k);

		for (j = 0; j < k; j++) {
			P[id + j] = j ? q->sib[j - 1] : q;
			creator[id + j] = vcpu;
		}
	}
	w_unlock(&W);
}

/*
 * The scripted tests below build their pages and then reclaim at once.  A
 * sharded page is judged only a lap of all hands (se_cache.steps) after
 * its insert; unless a test asks for fresh pages, count a long time as
 * passed before each reclaim or step, so that every page built so far is
 * judged as the test means it to be.  t_sharded_new_lap() tests the lap.
 */
static bool fresh_pages;

static void age_all(void)
{
	if (!fresh_pages)
		atomic_long_add(1L << 32, &W.c.steps);
}

static unsigned long rc(unsigned long nr)
{
	unsigned long n;
	LIST_HEAD(inv);

	age_all();
	w_lock(&W);
	n = se_reclaim(&W.c, nr, &inv);
	w_unlock(&W);
	return n;
}

static unsigned long rb(void)
{
	LIST_HEAD(inv);

	age_all();
	return se_rebalance(&W.c, &inv);
}

static void ext_zap(struct tpage *q)
{
	LIST_HEAD(inv);

	w_zap_page(&W, q, &inv);
	w_commit(&W, &inv);
}

static bool log_is(const long *exp, int n)
{
	int i;

	if (W.nlog != n)
		goto bad;
	for (i = 0; i < n; i++)
		if (W.log[i] != exp[i])
			goto bad;
	W.nlog = 0;
	return true;
bad:
	fprintf(stderr, "  log:");
	for (i = 0; i < W.nlog; i++)
		fprintf(stderr, " %ld", W.log[i]);
	fprintf(stderr, "\n  exp:");
	for (i = 0; i < n; i++)
		fprintf(stderr, " %ld", exp[i]);
	fprintf(stderr, "\n");
	return false;
}

#define LOG_IS(...) ({ long __e[] = { __VA_ARGS__ }; log_is(__e, sizeof(__e) / sizeof(long)); })

/* Unpin, zap everything, flush RCU, and check the global counters. */
static void teardown(struct world *w)
{
	const char *why;
	struct tpage *q;

	w_lock(w);
	why = w_check(w, W_MAX_GROUP - 1);
	for (struct list_head *pos = w->active.next; pos != &w->active; pos = pos->next) {
		q = list_entry(pos, struct tpage, active);
		q->root_count = 0;
	}
	w_zap_all(w);
	w_unlock(w);
	rcu_barrier();
	if (why) {
		fprintf(stderr, "FAIL %s: invariant: %s\n", cur_test, why);
		failures++;
	}
	/* Atomic loads: TSan cannot see rcu_barrier()'s ordering. */
	if (__atomic_load_n(&w->created, __ATOMIC_RELAXED) !=
	    __atomic_load_n(&w->freed, __ATOMIC_RELAXED) || w->c.nr_pages ||
	    w->bad_root_evicted || w->bad_invalid_evicted || w->bad_lifetime) {
		fprintf(stderr, "FAIL %s: created %ld freed %ld nr %lu bad %ld/%ld/%ld\n",
			cur_test, w->created, w->freed, w->c.nr_pages,
			w->bad_root_evicted, w->bad_invalid_evicted, w->bad_lifetime);
		failures++;
	}
	se_cache_destroy(&w->c);
	free(w->slot);
	free(w->free_slots);
}

/* ---------------------------------------------------------------- FIFO */

static void t_fifo_scripted(void)
{
	setup(&W, SE_POLICY_FIFO, 4);
	mk(0, 10, 1);				/* 0..9, 0 oldest */
	P[0]->root_count = 1;
	P[1]->root_count = 1;
	CHECK(rc(3) == 3, "three zapped");
	CHECK(LOG_IS(2, 3, 4), "oldest non-roots, from the tail");
	mk(1, 1, 3);				/* 10,11,12: a group */
	P[7]->root_count = 1;
	CHECK(rc(2) == 2, "two");
	CHECK(LOG_IS(5, 6), "roots 0, 1 skipped");
	CHECK(rc(1) == 1 && LOG_IS(8), "7 is a root");
	se_mark(&W.c, &P[9]->se);		/* FIFO ignores marks */
	CHECK(rc(2) == 4 && LOG_IS(9, 10, 11, 12), "group zapped together");
	CHECK(rc(5) == 0, "only roots left");
	teardown(&W);
}

/* Upstream kvm_mmu_zap_oldest_mmu_pages(), verbatim in structure. */
static unsigned long ref_zap_oldest(struct world *w, unsigned long nr_to_zap)
{
	unsigned long total_zapped = 0, nr_zapped;
	struct list_head *pos, *tmp;
	LIST_HEAD(invalid_list);
	bool unstable;
	int i;

	if (list_empty(&w->active))
		return 0;
restart:
	for (pos = w->active.prev, tmp = pos->prev; pos != &w->active;
	     pos = tmp, tmp = pos->prev) {
		struct tpage *sp = list_entry(pos, struct tpage, active);

		if (sp->root_count)
			continue;
		/* "unstable" == children were zapped too. */
		unstable = false;
		for (i = 0; i < sp->nsib; i++)
			unstable |= !sp->sib[i]->invalid;
		nr_zapped = w_zap_page(w, sp, &invalid_list);
		total_zapped += nr_zapped;
		if (total_zapped >= nr_to_zap)
			break;
		if (unstable)
			goto restart;
	}
	w_commit(w, &invalid_list);
	return total_zapped;
}

static long dlog[2][MAXP];

/* Random scripts run twice, through the core and through the reference. */
static void fifo_script(struct world *w, unsigned int seed, bool ref, unsigned long *rets)
{
	struct tpage *pinned[64];
	int npinned = 0, step, nret = 0;

	w_seed = seed;
	for (step = 0; step < 150; step++) {
		unsigned int r = w_rand() % 100;

		w_lock(w);
		if (r < 60) {
			w_create(w, 0, 1 + w_rand() % 3);
		} else if (r < 72 && npinned < 64 && !list_empty(&w->active)) {
			unsigned long i = w_rand() % (w->c.nr_pages);
			struct list_head *pos = w->active.next;

			while (i--)
				pos = pos->next;
			pinned[npinned] = list_entry(pos, struct tpage, active);
			pinned[npinned++]->root_count++;
		} else if (r < 80 && npinned) {
			int i = w_rand() % npinned;

			w_unpin(w, pinned[i]);
			pinned[i] = pinned[--npinned];
		} else {
			unsigned long k = 1 + w_rand() % 6;
			LIST_HEAD(inv);

			rets[nret++] = ref ? ref_zap_oldest(w, k) : se_reclaim(&w->c, k, &inv);
		}
		w_unlock(w);
	}
	w_lock(w);
	while (npinned)
		w_unpin(w, pinned[--npinned]);
	w_unlock(w);
}

static void t_fifo_differential(void)
{
	static struct world A, B;
	static unsigned long ra[200], rb_[200];
	unsigned int seed;
	int i;

	for (seed = 1; seed <= 300; seed++) {
		memset(ra, 0, sizeof(ra));
		memset(rb_, 0, sizeof(rb_));
		setup(&A, SE_POLICY_FIFO, 1);
		A.log = dlog[0];
		setup(&B, SE_POLICY_FIFO, 1);
		B.log = dlog[1];
		fifo_script(&A, seed, false, ra);
		fifo_script(&B, seed, true, rb_);
		CHECK(A.nlog == B.nlog, "seed %u: %d vs %d zaps", seed, A.nlog, B.nlog);
		for (i = 0; i < A.nlog; i++)
			CHECK(A.log[i] == B.log[i], "seed %u: zap %d: %ld vs %ld",
			      seed, i, A.log[i], B.log[i]);
		for (i = 0; i < 200; i++)
			CHECK(ra[i] == rb_[i], "seed %u: return %d", seed, i);
		teardown(&A);
		teardown(&B);
	}
}

/* --------------------------------------------------------------- CLOCK */

static void t_clock_second_chance(void)
{
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 6, 1);
	se_mark(&W.c, &P[0]->se);
	se_mark(&W.c, &P[1]->se);
	CHECK(rc(1) == 1 && LOG_IS(2), "0 and 1 get a second chance");
	CHECK(!test_bit(SE_PAGE_REFERENCED, &P[0]->se.flags), "bit cleared");
	CHECK(rc(2) == 2 && LOG_IS(3, 4), "hand continues");
	CHECK(rc(2) == 2 && LOG_IS(5, 0), "wraps; 0 used its chance");
	CHECK(rc(1) == 1 && LOG_IS(1), "then 1");
	teardown(&W);

	/* A new page goes just behind the hand: examined last. */
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 4, 1);
	CHECK(rc(1) == 1 && LOG_IS(0), "oldest first");
	mk(0, 1, 1);				/* 4 */
	CHECK(rc(4) == 4 && LOG_IS(1, 2, 3, 4), "new page last");
	teardown(&W);

	/* Hardware Accessed bits (the hook) give a second chance too. */
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 3, 1);
	P[0]->hw_young = 1;
	CHECK(rc(1) == 1 && LOG_IS(1), "hw young honoured");
	CHECK(P[0]->hw_young == 0, "hw bit harvested");
	teardown(&W);
}

/*
 * Probation (se_set_probation()): the fault that builds a page marks it and
 * its parent SPTE starts with the Accessed bit set; neither is a use.  A
 * page touched once (2) must then go before one touched again (1); without
 * probation 2's creation buys it a lap and 1 goes instead.
 */
static void probation_case(enum se_policy pol, bool on, long want)
{
	setup(&W, pol, 1);
	se_set_probation(&W.c, on);
	mk(0, 2, 1);				/* 0, 1: built by a fault... */
	se_mark(&W.c, &P[0]->se);		/* ...which marks them */
	se_mark(&W.c, &P[1]->se);
	P[0]->hw_young = P[1]->hw_young = 1;	/* and their parent SPTEs */
	CHECK(rc(1) == 1 && LOG_IS(0), "[%s, probation %d] oldest first",
	      pol_name(pol), on);
	CHECK(!test_bit(SE_PAGE_PROBATION, &P[1]->se.flags),
	      "[%s] the hand's first step ends the probation", pol_name(pol));
	CHECK(!on || (!test_bit(SE_PAGE_REFERENCED, &P[1]->se.flags) &&
		      !P[1]->hw_young),
	      "[%s] and discards what the building fault recorded",
	      pol_name(pol));
	mk(0, 1, 1);				/* 2: behind the hand, before 1 */
	se_mark(&W.c, &P[2]->se);
	P[2]->hw_young = 1;
	se_mark(&W.c, &P[1]->se);		/* 1 is used again */
	CHECK(rc(1) == 1 && LOG_IS(want), "[%s, probation %d] victim %ld",
	      pol_name(pol), on, want);
	teardown(&W);
}

static void t_probation(void)
{
	probation_case(SE_POLICY_CLOCK, true, 2);
	probation_case(SE_POLICY_CLOCK, false, 1);
	probation_case(SE_POLICY_SHARDED, true, 2);
	probation_case(SE_POLICY_SHARDED, false, 1);

	/*
	 * The walk back is bounded (SE_DISCARD_MAX): of 40 pages built
	 * without pressure, the 8 oldest keep their marks and get the free
	 * lap; the hand's visit ends their probation.  The 9th goes.
	 */
	setup(&W, SE_POLICY_CLOCK, 1);
	se_set_probation(&W.c, true);
	mk(0, SE_DISCARD_MAX + 8, 1);
	for (int i = 0; i < SE_DISCARD_MAX + 8; i++)
		se_mark(&W.c, &P[i]->se);
	CHECK(rc(1) == 1 && LOG_IS(8), "bounded discard: 0-7 keep their lap, 8 goes");
	CHECK(!test_bit(SE_PAGE_PROBATION, &P[0]->se.flags) &&
	      !test_bit(SE_PAGE_PROBATION, &P[7]->se.flags), "visited pages leave probation");
	teardown(&W);

	/* FIFO ignores it: no bit, and the oldest page goes. */
	setup(&W, SE_POLICY_FIFO, 1);
	se_set_probation(&W.c, true);
	CHECK(!W.c.probation, "fifo has no probation");
	mk(0, 1, 1);
	CHECK(!test_bit(SE_PAGE_PROBATION, &P[0]->se.flags), "fifo pages are never on probation");
	teardown(&W);
}

/*
 * Aging (se_set_max_age()): a page found used earns a lap of credit and
 * spends it, unused, instead of going.  0 used once; then 1 goes, and a new
 * page 2 goes before 0, which spends its lap.  Without aging 0 goes.
 */
static void age_case(enum se_policy pol, unsigned int max_age, long want)
{
	setup(&W, pol, 1);
	se_set_max_age(&W.c, max_age);
	mk(0, 2, 1);				/* 0, 1 */
	se_mark(&W.c, &P[0]->se);
	CHECK(rc(1) == 1 && LOG_IS(1), "[%s, age %u] 0 kept, 1 goes",
	      pol_name(pol), max_age);
	mk(0, 1, 1);				/* 2 */
	CHECK(rc(1) == 1 && LOG_IS(want), "[%s, age %u] victim %ld",
	      pol_name(pol), max_age, want);
	teardown(&W);
}

static void t_age(void)
{
	age_case(SE_POLICY_CLOCK, 2, 2);
	age_case(SE_POLICY_CLOCK, 0, 0);
	age_case(SE_POLICY_SHARDED, 2, 2);
	age_case(SE_POLICY_SHARDED, 0, 0);

	/* Credit is capped, and spent one lap at a time. */
	setup(&W, SE_POLICY_CLOCK, 1);
	se_set_max_age(&W.c, 7);
	CHECK(W.c.max_age == SE_MAX_AGE, "max age capped at %d", SE_MAX_AGE);
	se_set_max_age(&W.c, 1);
	mk(0, 2, 1);				/* 0, 1 */
	se_mark(&W.c, &P[0]->se);
	CHECK(rc(1) == 1 && LOG_IS(1), "0 earns its lap, 1 goes");
	se_mark(&W.c, &P[0]->se);
	mk(0, 1, 1);				/* 2 */
	CHECK(rc(1) == 1 && LOG_IS(2), "0 used again: capped at one lap, 2 goes");
	mk(0, 1, 1);				/* 3 */
	CHECK(rc(1) == 1 && LOG_IS(3), "0 spends its lap, 3 goes");
	mk(0, 1, 1);				/* 4 */
	CHECK(rc(1) == 1 && LOG_IS(0), "0 has no credit left");
	teardown(&W);

	setup(&W, SE_POLICY_FIFO, 1);
	se_set_max_age(&W.c, 2);
	CHECK(W.c.max_age == 0, "fifo does not age");
	teardown(&W);
}

static void t_clock_roots_and_hand(void)
{
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 5, 1);
	P[2]->root_count = 1;
	CHECK(rc(3) == 3 && LOG_IS(0, 1, 3), "root 2 skipped");
	CHECK(rc(5) == 1 && LOG_IS(4), "only 4 left");
	CHECK(rc(1) == 0 && W.nlog == 0, "roots never chosen");
	teardown(&W);

	/* Removal of the page under the hand moves the hand on. */
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 6, 1);
	CHECK(rc(1) == 1 && LOG_IS(0), "first");
	CHECK(se_shard_at(&W.c, 0)->hand == &P[1]->se.ring, "hand at 1");
	w_lock(&W);
	ext_zap(P[1]);
	w_unlock(&W);
	CHECK(se_shard_at(&W.c, 0)->hand == &P[2]->se.ring, "hand fixed to 2");
	W.nlog = 0;
	CHECK(rc(1) == 1 && LOG_IS(2), "continues at 2");
	teardown(&W);

	/* A victim whose zap removes the pages under and after the hand. */
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 1, 3);				/* 0,1,2 */
	mk(0, 2, 1);				/* 3,4 */
	CHECK(rc(1) == 3 && LOG_IS(0, 1, 2), "group zap");
	CHECK(se_shard_at(&W.c, 0)->hand == &P[3]->se.ring, "hand skipped the group");
	CHECK(rc(1) == 1 && LOG_IS(3), "then 3");
	teardown(&W);
}

/* Everything young all the time: still never fails where FIFO succeeds. */
static void t_forced(enum se_policy pol)
{
	setup(&W, pol, 3);
	mk(0, 2, 1);
	mk(1, 2, 1);
	mk(2, 1, 1);
	P[0]->root_count = P[1]->root_count = P[2]->root_count = 1;
	P[4]->root_count = 1;
	W.young_always = 1;
	CHECK(rc(1) == 1 && LOG_IS(3), "%s: forced lap finds the one non-root", pol_name(pol));
	CHECK(rc(1) == 0, "%s: all roots", pol_name(pol));
	teardown(&W);
}

/* ------------------------------------------------------------- sharded */

static void t_sharded_idle_found(void)
{
	int i;

	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 40, 1);				/* busy vCPU 0: 0..39, hot */
	mk(1, 10, 1);				/* idle vCPU 1: 40..49, cold */
	limits(100, 45, 49);
	CHECK(se_rebalance_needed(&W.c), "50 > high");
	do {
		for (i = 0; i < 40; i++)
			se_mark(&W.c, &P[i]->se);
	} while (rb());
	CHECK(W.c.nr_pages == 45, "down to low: %lu", W.c.nr_pages);
	for (i = 0; i < W.nlog; i++)
		CHECK(W.log[i] >= 40, "victim %ld is hot", W.log[i]);
	teardown(&W);
}

/*
 * A vCPU's ring emptied while the vCPU was descheduled; the pages it builds
 * when it runs again are all its ring has, so its hand reaches them at
 * once.  Unused or not, they are not judged before a lap of all hands has
 * passed since their insert (a single ring would have kept them that long
 * by position); then they are, like any other page.
 */
static void t_sharded_new_lap(void)
{
	int i, young = 0;

	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 20, 1);				/* vCPU 0: 0..19, old, unused */
	age_all();
	fresh_pages = true;
	mk(1, 4, 1);				/* vCPU 1 again: 20..23, new */
	/* The sweep resumes at vCPU 1's ring: its hand reaches them first. */
	W.c.cursor = P[20]->se.shard;
	W.c.cursor_left = 0;
	CHECK(rc(4) == 4, "4 reclaimed");
	for (i = 0; i < W.nlog; i++)
		CHECK(W.log[i] < 20, "victim %ld is less than a lap old", W.log[i]);
	/* A lap of steps later, the new pages are judged too. */
	atomic_long_add(W.c.nr_pages, &W.c.steps);
	CHECK(rc(17) == 17, "17 reclaimed");
	for (i = 0; i < W.nlog; i++)
		young += W.log[i] >= 20;
	CHECK(young >= 1, "a lap later an unused new page goes (%d)", young);
	fresh_pages = false;
	teardown(&W);
}

static void t_sharded_no_crowding(void)
{
	int round, i, n = 0;
	long hot[20];

	setup(&W, SE_POLICY_SHARDED, 3);
	mk(1, 10, 1);
	mk(2, 10, 1);
	for (i = 0; i < 20; i++)
		hot[i] = i;
	limits(60, 40, 50);
	for (round = 0; round < 40; round++) {
		mk(0, 5, 1);			/* busy vCPU 0: cold pages */
		do {
			for (i = 0; i < 20; i++)
				se_mark(&W.c, &P[hot[i]]->se);
		} while (rb());
		CHECK(W.c.nr_pages <= 50, "round %d: %lu", round, W.c.nr_pages);
	}
	for (i = 0; i < W.nlog; i++) {
		CHECK(creator[W.log[i]] == 0, "hot page %ld of vCPU %d evicted",
		      W.log[i], creator[W.log[i]]);
		n++;
	}
	CHECK(n >= 150, "evicted %d", n);
	teardown(&W);
}

static void t_watermarks(enum se_policy pol, int k)
{
	unsigned long n, low = 60;
	int i;

	setup(&W, pol, 2);
	limits(100, low, 80);
	for (i = 0; i < 80 / k; i++)
		mk(i % 2, 1, k);
	CHECK(!se_rebalance_needed(&W.c), "%s: at high", pol_name(pol));
	while (W.c.nr_pages <= 80)
		mk(1, 1, k);
	CHECK(se_rebalance_needed(&W.c), "%s: above high", pol_name(pol));
	while ((n = rb()))
		CHECK(n <= (unsigned long)SE_BATCH + (k - 1), "%s: batch of %lu", pol_name(pol), n);
	CHECK(W.c.nr_pages <= low && W.c.nr_pages + (k - 1) >= low,
	      "%s: k=%d stopped at %lu", pol_name(pol), k, W.c.nr_pages);
	W.nlog = 0;
	CHECK(rb() == 0 && W.nlog == 0, "%s: nothing below low", pol_name(pol));
	teardown(&W);
}

static void revalidate_hook(struct world *w)
{
	w->on_zap_lock = NULL;
	se_mark(&w->c, &P[0]->se);		/* used since the sweep */
	ext_zap(P[1]);				/* zapped since the sweep */
	P[2]->root_count = 1;			/* became a root */
}

static void t_sharded_revalidate(void)
{
	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 20, 1);
	limits(100, 0, 0);
	W.on_zap_lock = revalidate_hook;
	CHECK(rb() == 13, "13 of 16 candidates");
	CHECK(LOG_IS(1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), "revalidated");
	CHECK(P[0]->se.shard == 0 && P[2]->se.shard == 0, "kept");
	teardown(&W);

	/* Candidates removed by an earlier victim's zap are skipped. */
	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 5, 3);				/* groups 0-2, 3-5, ..., 12-14 */
	mk(0, 5, 1);				/* 15..19 */
	limits(100, 0, 0);
	CHECK(rb() == 16, "16");
	CHECK(W.core_zaps == 6, "6 zap calls: %ld", W.core_zaps);
	CHECK(LOG_IS(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), "each once");
	teardown(&W);
}

/* Shards are swept in proportion to their size: each page ages alike. */
static void t_sharded_fair_share(void)
{
	int i, lost1 = 0;

	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 90, 1);
	mk(1, 10, 1);
	limits(200, 50, 60);
	while (rb())
		;
	CHECK(W.c.nr_pages == 50, "at low: %lu", W.c.nr_pages);
	for (i = 0; i < W.nlog; i++)
		lost1 += creator[W.log[i]] == 1;
	CHECK(lost1 >= 3 && lost1 <= 7, "small shard lost %d of 10 (expect ~5)", lost1);
	teardown(&W);
}

static void zap_tail_hook(struct world *w)
{
	int i;

	w->on_zap_lock = NULL;
	for (i = 30; i < 40; i++)
		ext_zap(P[i]);
}

/* Pages zapped by others meanwhile count: the batch stops at low. */
static void t_sharded_watermark_recheck(void)
{
	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 40, 1);
	limits(100, 20, 30);
	W.on_zap_lock = zap_tail_hook;
	CHECK(rb() == 10, "only 10 of 16 candidates needed");
	CHECK(W.c.nr_pages == 20, "at low: %lu", W.c.nr_pages);
	teardown(&W);
}

/*
 * Waiters end a batch early, but only after SE_MIN_BATCH zaps (every hold
 * ends with a remote TLB flush, which short holds would pay per victim) and
 * only at or below the wake-up mark: above it, the lock's waiters are the
 * faults short of room that the batch serves.
 */
static void t_sharded_yield(void)
{
	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 40, 1);
	limits(100, 0, 0);			/* far above the wake-up mark */
	W.contended_after = 1;			/* waiters from the first zap on */
	CHECK(rb() == SE_BATCH, "short of room, a contended hold zaps a whole batch");
	CHECK(W.contended_asks == 0, "asked to yield above the mark: %ld", W.contended_asks);
	CHECK(W.c.nr_pages == 40 - SE_BATCH, "%lu left", W.c.nr_pages);

	limits(100, 0, 40 - SE_BATCH);		/* at the mark: yields allowed */
	CHECK(rb() == SE_MIN_BATCH, "a contended hold still zaps SE_MIN_BATCH");
	CHECK(W.c.nr_pages == 40 - SE_BATCH - SE_MIN_BATCH, "%lu left", W.c.nr_pages);
	CHECK(W.c.nr_ready == SE_BATCH - SE_MIN_BATCH,
	      "the rest of the batch stays ready: %lu", W.c.nr_ready);
	W.contended_after = 0;
	W.contended_asks = 0;
	CHECK(rb() == 40 - SE_BATCH - SE_MIN_BATCH, "the rest without waiters");
	CHECK(W.contended_asks == 40 - SE_BATCH - 2 * SE_MIN_BATCH,
	      "asked before each zap past the minimum: %ld", W.contended_asks);
	CHECK(W.c.nr_pages == 0, "%lu left", W.c.nr_pages);
	teardown(&W);
}

/* The mark is inclusive: a yield once nr_pages <= wmark_high, not before. */
static void t_sharded_yield_mark(void)
{
	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 24, 1);
	limits(100, 0, 24 - SE_MIN_BATCH);	/* at the mark after the minimum */
	W.contended_after = 1;
	CHECK(rb() == SE_MIN_BATCH, "at the mark: yields after SE_MIN_BATCH");
	teardown(&W);

	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 24, 1);
	limits(100, 0, 24 - SE_MIN_BATCH - 1);	/* one above it after the minimum */
	W.contended_after = 1;
	CHECK(rb() == SE_MIN_BATCH + 1, "one above the mark: one zap more, then the yield");
	teardown(&W);
}

/*
 * Regression: the forced pass of direct reclaim followed the hands, which
 * the rebalancer's sweep moves under the shard lock alone.  Ring {root R,
 * page C}, every page young, and each time direct reclaim looks at R the
 * sweep steps the hand over C: direct reclaim zapped nothing and KVM_RUN
 * failed with -ENOSPC where FIFO zaps C.
 */
static struct tpage *race_root;

static void sweep_steps_over(struct world *w, struct tpage *q)
{
	struct se_shard *s;

	if (q != race_root)
		return;
	s = se_shard_at(&w->c, q->se.shard);
	/* What a concurrent se_hand_step() does. */
	spin_lock(&s->lock);
	if (s->hand == &s->ring)
		s->hand = s->hand->next;
	if (s->hand != &s->ring)
		s->hand = s->hand->next;
	spin_unlock(&s->lock);
}

static void t_sharded_direct_vs_sweep(void)
{
	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 2, 1);				/* 0 = R, 1 = C */
	P[0]->root_count = 1;
	race_root = P[0];
	W.young_always = 1;
	W.on_evictable = sweep_steps_over;
	CHECK(rc(1) == 1 && LOG_IS(1), "direct reclaim zaps the one evictable page");
	W.on_evictable = NULL;
	teardown(&W);

	/* The same with the root and page spread over two shards. */
	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 1, 1);				/* 0 = R, shard 0 */
	mk(1, 1, 1);				/* 1 = C, shard 1 */
	mk(0, 1, 1);				/* 2 = R', shard 0 */
	P[0]->root_count = P[2]->root_count = 1;
	race_root = P[0];
	W.young_always = 1;
	W.on_evictable = sweep_steps_over;
	CHECK(rc(1) == 1 && LOG_IS(1), "two shards: C found");
	W.on_evictable = NULL;
	teardown(&W);
}

/* Roots are passed over by the lockless sweep without losing their marks. */
static void t_sharded_roots_skipped(void)
{
	int i;

	setup(&W, SE_POLICY_SHARDED, 1);
	mk(0, 20, 1);
	for (i = 0; i < 10; i++) {
		P[i]->root_count = 1;
		se_mark(&W.c, &P[i]->se);
	}
	limits(100, 15, 15);
	CHECK(rb() == 5, "5 zapped");
	for (i = 0; i < W.nlog; i++)
		CHECK(W.log[i] >= 10, "root %ld zapped", W.log[i]);
	for (i = 0; i < 10; i++)
		CHECK(test_bit(SE_PAGE_REFERENCED, &P[i]->se.flags),
		      "root %d's mark consumed by the sweep", i);
	CHECK(W.st_ready_stale == 0, "a root was queued: %ld stale", W.st_ready_stale);
	CHECK(W.pinned_asks >= 10, "hint asked %ld times", W.pinned_asks);
	teardown(&W);
}

/*
 * Direct reclaim takes ready pages (here: left over by a batch that yielded)
 * in O(1) each and rechecks them: one touched (hardware Accessed bit) after
 * the sweep queued it is kept.
 */
static void t_sharded_ready_direct(void)
{
	struct tpage *first;

	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 30, 1);
	mk(1, 30, 1);
	limits(100, 0, 60);			/* at the wake-up mark */
	W.contended_after = 1;
	CHECK(rb() == SE_MIN_BATCH, "the yielding batch zapped %d", SE_MIN_BATCH);
	W.contended_after = 0;
	CHECK(W.c.nr_ready == SE_BATCH - SE_MIN_BATCH, "left over %lu", W.c.nr_ready);
	first = tp_of(list_first_entry(&W.c.ready, struct se_page, ready));
	first->hw_young = 1;
	W.st_scanned = 0;
	W.nlog = 0;
	CHECK(rc(3) == 3 && W.nlog == 3, "3 zapped");
	CHECK(W.st_scanned == 4, "4 ready pages looked at, no sweep: %ld", W.st_scanned);
	CHECK(W.st_ready_stale == 1, "the touched one is stale: %ld", W.st_ready_stale);
	CHECK(first->se.shard != SE_NO_SHARD, "touched page kept");
	CHECK(W.c.nr_ready == SE_BATCH - SE_MIN_BATCH - 4, "%lu left ready", W.c.nr_ready);
	/* A zap by someone else takes a page off the ready list too. */
	first = tp_of(list_first_entry(&W.c.ready, struct se_page, ready));
	w_lock(&W);
	ext_zap(first);
	w_unlock(&W);
	CHECK(W.c.nr_ready == SE_BATCH - SE_MIN_BATCH - 5, "%lu left ready", W.c.nr_ready);
	teardown(&W);
}

static unsigned long rc_ahead(unsigned long nr, unsigned long ahead)
{
	unsigned long n;
	LIST_HEAD(inv);

	age_all();
	w_lock(&W);
	n = se_reclaim_ahead(&W.c, nr, ahead, &inv);
	w_unlock(&W);
	return n;
}

/*
 * A fault that reclaims for the faults behind it takes their pages from the
 * ready list only: the sweep runs for its own need alone, and the policies
 * without a ready list take exactly what was asked.
 */
static void t_reclaim_ahead(void)
{
	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 30, 1);
	mk(1, 30, 1);
	limits(100, 0, 60);
	W.contended_after = 1;
	CHECK(rb() == SE_MIN_BATCH, "the yielding batch zapped %d", SE_MIN_BATCH);
	W.contended_after = 0;
	CHECK(W.c.nr_ready == SE_BATCH - SE_MIN_BATCH, "left over %lu", W.c.nr_ready);
	W.st_scanned = 0;
	CHECK(rc_ahead(1, 3) == 4, "need 1 + 3 ahead");
	CHECK(W.st_scanned == 4, "ready pages only, no sweep: %ld looked at", W.st_scanned);
	CHECK(W.c.nr_ready == SE_BATCH - SE_MIN_BATCH - 4, "%lu left ready", W.c.nr_ready);
	W.st_scanned = 0;
	CHECK(rc_ahead(1, 20) == SE_BATCH - SE_MIN_BATCH - 4,
	      "ahead stops at an empty ready list");
	CHECK(W.c.nr_ready == 0, "%lu left ready", W.c.nr_ready);
	CHECK(W.st_scanned == SE_BATCH - SE_MIN_BATCH - 4, "no sweep: %ld", W.st_scanned);
	CHECK(rc_ahead(1, 20) == 1, "an empty ready list: the sweep finds the need only");
	teardown(&W);

	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 30, 1);
	CHECK(rc_ahead(2, 10) == 2, "clock: no ready list, exactly the need");
	teardown(&W);

	setup(&W, SE_POLICY_FIFO, 1);
	mk(0, 30, 1);
	CHECK(rc_ahead(2, 10) == 2 && LOG_IS(0, 1), "fifo: exactly the need, oldest first");
	teardown(&W);
}

static void t_direct(enum se_policy pol)
{
	int i, fails = 0;
	bool ok;

	setup(&W, pol, 4);
	limits(64, 48, 56);
	W.young_always = 1;
	for (i = 0; i < 300; i++) {
		w_lock(&W);
		ok = w_make_available(&W);
		if (ok)
			w_create(&W, i % 4, 1 + i % 3);
		else
			fails++;
		w_unlock(&W);
		CHECK(W.c.nr_pages <= 64 + W_MAX_GROUP - 1, "%s: quota %lu", pol_name(pol),
		      W.c.nr_pages);
	}
	CHECK(!fails, "%s: %d faults failed", pol_name(pol), fails);
	teardown(&W);

	/* Nine roots and one page: reclaim finds it; ten roots: fails, like FIFO. */
	setup(&W, pol, 4);
	limits(10, 10, 10);
	mk(0, 5, 1);
	mk(3, 5, 1);
	for (i = 0; i < 10; i++)
		P[i]->root_count = i != 7;
	W.young_always = 1;
	w_lock(&W);
	ok = w_make_available(&W);
	w_unlock(&W);
	CHECK(ok && LOG_IS(7), "%s: the only non-root", pol_name(pol));
	mk(1, 1, 1);				/* 10 */
	P[10]->root_count = 1;
	w_lock(&W);
	ok = w_make_available(&W);
	w_unlock(&W);
	CHECK(!ok && W.nlog == 0, "%s: all roots: fails", pol_name(pol));
	teardown(&W);
}

static void t_sharded_late_vcpu(void)
{
	setup(&W, SE_POLICY_SHARDED, 4);
	mk(7, 1, 1);				/* vCPU 7 created after sizing */
	CHECK(P[0]->se.shard == 3, "maps to shard 7 %% 4");
	CHECK(se_shard_at(&W.c, 3)->nr == 1, "counted");
	teardown(&W);
}

/* Shards come with vCPUs: a new one is swept, a full table shares. */
static void t_sharded_add(void)
{
	int i, n;

	setup(&W, SE_POLICY_SHARDED, 2);
	n = se_shard_add(&W.c);
	CHECK(n == 2 && W.c.nr_shards == 3, "new shard is index 2 (got %d)", n);
	W.vshard[5] = n;
	mk(5, 4, 1);				/* P[0..3], all on the new shard */
	CHECK(P[0]->se.shard == 2 && se_shard_at(&W.c, 2)->nr == 4, "vCPU 5 on its shard");
	CHECK(se_shard_at(&W.c, 0)->nr == 0 && se_shard_at(&W.c, 1)->nr == 0, "others empty");
	/* The sweep finds pages that only the newest shard holds. */
	CHECK(rc(2) == 2 && W.nlog == 2, "two zapped");
	for (i = 0; i < 2; i++)
		CHECK(W.log[i] == i, "victim %d is %ld (oldest first)", i, W.log[i]);
	while (W.c.nr_shards < W.c.max_shards)
		CHECK(se_shard_add(&W.c) == (int)W.c.nr_shards - 1, "dense indices");
	n = se_shard_add(&W.c);
	CHECK(n == (int)W.c.max_shards - 1 && W.c.nr_shards == W.c.max_shards,
	      "full table shares its last shard (got %d)", n);
	teardown(&W);

	/* FIFO and CLOCK keep one ring whatever the vCPUs. */
	setup(&W, SE_POLICY_CLOCK, 1);
	CHECK(se_shard_add(&W.c) == 0 && W.c.nr_shards == 1, "clock: one ring");
	teardown(&W);
}

static char namebuf[128];

/* se_ops.account: what each call examined and why it kept pages. */
static void t_stats(void)
{
	/* CLOCK: two referenced, one hardware-young, then the victim. */
	setup(&W, SE_POLICY_CLOCK, 1);
	mk(0, 6, 1);
	se_mark(&W.c, &P[0]->se);
	se_mark(&W.c, &P[1]->se);
	P[2]->hw_young = 1;
	CHECK(rc(1) == 1 && LOG_IS(3), "0, 1, 2 kept");
	CHECK(W.st_scanned == 4 && W.st_ref_skips == 2 && W.st_young_skips == 1 &&
	      W.st_calls == 1, "clock: scanned %ld ref %ld young %ld calls %ld",
	      W.st_scanned, W.st_ref_skips, W.st_young_skips, W.st_calls);
	/* Referenced and young at once counts as a referenced skip only. */
	se_mark(&W.c, &P[4]->se);
	P[4]->hw_young = 1;
	CHECK(rc(1) == 1 && LOG_IS(5), "4 kept");
	CHECK(W.st_scanned == 6 && W.st_ref_skips == 3 && W.st_young_skips == 1,
	      "clock: scanned %ld ref %ld young %ld", W.st_scanned,
	      W.st_ref_skips, W.st_young_skips);
	teardown(&W);

	/* FIFO: pages walked from the tail, roots included; no skips. */
	setup(&W, SE_POLICY_FIFO, 1);
	mk(0, 4, 1);
	P[0]->root_count = 1;
	se_mark(&W.c, &P[1]->se);
	CHECK(rc(2) == 2 && LOG_IS(1, 2), "fifo skips the root only");
	CHECK(W.st_scanned == 3 && !W.st_ref_skips && !W.st_young_skips,
	      "fifo: scanned %ld ref %ld young %ld", W.st_scanned,
	      W.st_ref_skips, W.st_young_skips);
	teardown(&W);

	/* Sharded rebalancer: accounted without the zap lock. */
	setup(&W, SE_POLICY_SHARDED, 2);
	mk(0, 4, 1);
	mk(1, 4, 1);
	se_mark(&W.c, &P[0]->se);
	limits(100, 6, 7);
	CHECK(rb() == 2, "two zapped");
	CHECK(W.st_calls == 1 && W.st_scanned >= 3 && W.st_ref_skips == 1,
	      "sharded: scanned %ld ref %ld calls %ld", W.st_scanned,
	      W.st_ref_skips, W.st_calls);
	/* Exactly what the step needed was queued: nothing is left over. */
	CHECK(W.st_readied == 2 && W.c.nr_ready == 0 && !W.st_ready_stale,
	      "readied %ld ready %lu stale %ld", W.st_readied, W.c.nr_ready,
	      W.st_ready_stale);
	CHECK(rb() == 0 && W.st_calls == 1, "nothing to do, nothing accounted");
	teardown(&W);
}

#define RUN(t, ...) do {						\
	int __f = failures;						\
	snprintf(namebuf, sizeof(namebuf), #t __VA_ARGS__);		\
	cur_test = namebuf;						\
	t;								\
	if (failures == __f) {						\
		passes++;						\
		printf("  PASS %s\n", namebuf);			\
	}								\
} while (0)

int main(void)
{
	static const enum se_policy all[] = {
		SE_POLICY_FIFO, SE_POLICY_CLOCK, SE_POLICY_SHARDED };
	int i;

	rcu_register_thread();
	RUN(t_fifo_scripted());
	RUN(t_fifo_differential());
	RUN(t_clock_second_chance());
	RUN(t_clock_roots_and_hand());
	RUN(t_probation());
	RUN(t_age());
	RUN(t_forced(SE_POLICY_CLOCK));
	RUN(t_forced(SE_POLICY_SHARDED));
	RUN(t_sharded_idle_found());
	RUN(t_sharded_no_crowding());
	RUN(t_sharded_new_lap());
	RUN(t_sharded_revalidate());
	RUN(t_sharded_late_vcpu());
	RUN(t_sharded_add());
	RUN(t_sharded_fair_share());
	RUN(t_sharded_watermark_recheck());
	RUN(t_sharded_yield());
	RUN(t_sharded_yield_mark());
	RUN(t_reclaim_ahead());
	RUN(t_sharded_direct_vs_sweep());
	RUN(t_sharded_roots_skipped());
	RUN(t_sharded_ready_direct());
	RUN(t_stats());
	for (i = 0; i < 3; i++) {
		RUN(t_watermarks(all[i], 1), " [%s]", pol_name(all[i]));
		RUN(t_watermarks(all[i], 3), " [%s, groups]", pol_name(all[i]));
		RUN(t_direct(all[i]), " [%s]", pol_name(all[i]));
	}
	rcu_unregister_thread();
	printf("unit: %d passed, %d failed\n", passes, failures);
	return failures ? 1 : 0;
}
