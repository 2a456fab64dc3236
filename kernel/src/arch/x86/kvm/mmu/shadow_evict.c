// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow page eviction core.  Interface and lock context: shadow_evict.h.
 * Section numbers ("DESIGN 4.2") refer to design/DESIGN.md.
 *
 * Lock order: zap lock -> shard lock.  RCU read side may enclose both.
 * Nothing here sleeps, and nothing here waits for a grace period.
 */
#include <asm/barrier.h>
#include <linux/bug.h>
#include <linux/errno.h>
#include <linux/kcsan-checks.h>
#include <linux/lockdep.h>
#include <linux/minmax.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>

#include "shadow_evict.h"

static inline bool se_sharded(const struct se_cache *c)
{
	return c->policy == SE_POLICY_SHARDED;
}

static struct se_shard *se_shard_alloc(void)
{
	struct se_shard *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);

	if (s) {
		spin_lock_init(&s->lock);
		INIT_LIST_HEAD(&s->ring);
		s->hand = &s->ring;
	}
	return s;
}

/*
 * One shard to start with: FIFO and CLOCK never have more, and for
 * SE_POLICY_SHARDED it holds the pages created without a vCPU.  Room for
 * @max_shards, added by se_shard_add() as vCPUs are created.
 */
int se_cache_init(struct se_cache *c, enum se_policy policy,
		  const struct se_ops *ops, unsigned int max_shards)
{
	if (policy != SE_POLICY_SHARDED || !max_shards)
		max_shards = 1;

	c->shards = kvcalloc(max_shards, sizeof(*c->shards), GFP_KERNEL_ACCOUNT);
	if (!c->shards)
		return -ENOMEM;
	c->shards[0] = se_shard_alloc();
	if (!c->shards[0]) {
		kvfree(c->shards);
		c->shards = NULL;
		return -ENOMEM;
	}
	spin_lock_init(&c->shards_lock);
	c->policy = policy;
	c->ops = ops;
	c->max_shards = max_shards;
	c->nr_shards = 1;
	c->nr_pages = 0;
	c->max_pages = ULONG_MAX;
	c->wmark_low = ULONG_MAX;
	c->wmark_high = ULONG_MAX;
	c->nr_removed = 0;
	c->cursor = 0;
	c->cursor_left = 0;
	return 0;
}

/*
 * A new shard, for a vCPU being created: returns its index for se_insert(),
 * or -ENOMEM.  Runs concurrently with sweeps, inserts and other adds.  FIFO
 * and CLOCK have one ring, and a full table shares, so only allocation fails.
 */
int se_shard_add(struct se_cache *c)
{
	struct se_shard *s;
	unsigned int n;

	if (!se_sharded(c))
		return 0;

	s = se_shard_alloc();
	if (!s)
		return -ENOMEM;

	spin_lock(&c->shards_lock);
	n = c->nr_shards;
	if (n < c->max_shards) {
		c->shards[n] = s;
		/* Publishes *s and the table entry to acquire loads (DESIGN 7). */
		smp_store_release(&c->nr_shards, n + 1);
		s = NULL;
	} else {
		/* Only after max_shards creations, i.e. failed vCPU creations. */
		n = c->max_shards - 1;
	}
	spin_unlock(&c->shards_lock);
	kfree(s);
	return n;
}

/* Shards whose table entries (and contents) this thread may use. */
static inline unsigned int se_nr_shards(const struct se_cache *c)
{
	/* Pairs with the release in se_shard_add(). */
	return smp_load_acquire(&c->nr_shards);
}

/* Every page must have been removed (and the integration's RCU callbacks flushed). */
void se_cache_destroy(struct se_cache *c)
{
	unsigned int i;

	WARN_ON_ONCE(c->nr_pages);
	for (i = 0; i < c->nr_shards; i++)
		kfree(c->shards[i]);
	kvfree(c->shards);
	c->shards = NULL;
}

void se_set_limits(struct se_cache *c, unsigned long max_pages,
		   unsigned long wmark_low, unsigned long wmark_high)
{
	c->ops->assert_zap_locked(c);

	wmark_high = min(wmark_high, max_pages);
	wmark_low = min(wmark_low, wmark_high);
	/* Zap lock serialises writers; lockless readers only use hints. */
	WRITE_ONCE(c->max_pages, max_pages);
	WRITE_ONCE(c->wmark_low, wmark_low);
	WRITE_ONCE(c->wmark_high, wmark_high);
}

/* Zap lock held, and the shard lock for SE_POLICY_SHARDED. */
static void __se_ring_add(struct se_cache *c, struct se_shard *s,
			  struct se_page *p)
{
	if (c->policy == SE_POLICY_FIFO)
		/* Newest first, exactly like active_mmu_pages. */
		list_add(&p->ring, &s->ring);
	else
		/* Just behind the hand: a full lap before its first test. */
		list_add_tail(&p->ring, s->hand);

	/* Writers are serialised; the sweep reads it with READ_ONCE. */
	ASSERT_EXCLUSIVE_WRITER(s->nr);
	WRITE_ONCE(s->nr, s->nr + 1);
}

/* Zap lock held, and the shard lock for SE_POLICY_SHARDED. */
static void __se_ring_del(struct se_shard *s, struct se_page *p)
{
	/* The hand never points at a node that is off the ring. */
	if (s->hand == &p->ring)
		s->hand = p->ring.next;
	list_del(&p->ring);

	/* See __se_ring_add(). */
	ASSERT_EXCLUSIVE_WRITER(s->nr);
	WRITE_ONCE(s->nr, s->nr - 1);
}

void se_insert(struct se_cache *c, struct se_page *p, unsigned int shard)
{
	struct se_shard *s;

	c->ops->assert_zap_locked(c);
	if (WARN_ON_ONCE(p->shard != SE_NO_SHARD))
		return;

	/* Out-of-range indices fold; KVM passes se_shard_add()'s result. */
	shard %= se_nr_shards(c);
	s = c->shards[shard];
	if (se_sharded(c)) {
		/* Excludes the sweep, which runs without the zap lock. */
		spin_lock(&s->lock);
		__se_ring_add(c, s, p);
		spin_unlock(&s->lock);
	} else {
		__se_ring_add(c, s, p);
	}
	p->shard = shard;

	/* All writers hold the zap lock; lockless readers use hints. */
	ASSERT_EXCLUSIVE_WRITER(c->nr_pages);
	WRITE_ONCE(c->nr_pages, c->nr_pages + 1);
}

/*
 * Called for every page that leaves the active list, from the zap callback
 * or elsewhere.  Idempotent, so a root zapped twice is harmless.
 */
void se_remove(struct se_cache *c, struct se_page *p)
{
	struct se_shard *s;

	c->ops->assert_zap_locked(c);
	if (p->shard == SE_NO_SHARD)
		return;

	/* Published before the insert, which the zap lock orders us after. */
	s = c->shards[p->shard];
	if (se_sharded(c)) {
		/* Excludes the sweep; see se_insert(). */
		spin_lock(&s->lock);
		__se_ring_del(s, p);
		spin_unlock(&s->lock);
	} else {
		__se_ring_del(s, p);
	}
	/* Revalidation reads this under the zap lock: DESIGN 5. */
	p->shard = SE_NO_SHARD;

	/* See se_insert(). */
	ASSERT_EXCLUSIVE_WRITER(c->nr_pages);
	WRITE_ONCE(c->nr_pages, c->nr_pages - 1);
	c->nr_removed++;
}

/* Return the page at the hand and move the hand past it; NULL if empty. */
static struct se_page *__se_hand_step(struct se_shard *s)
{
	struct list_head *pos = s->hand;

	if (pos == &s->ring)
		pos = pos->next;
	if (pos == &s->ring)
		return NULL;
	s->hand = pos->next;
	return list_entry(pos, struct se_page, ring);
}

static struct se_page *se_hand_step(struct se_cache *c, struct se_shard *s)
{
	struct se_page *p;

	if (!se_sharded(c)) {
		/* CLOCK: the zap lock alone covers ring and hand. */
		c->ops->assert_zap_locked(c);
		return __se_hand_step(s);
	}

	/* O(1) hold: a vCPU inserting into @s waits only this long. */
	spin_lock(&s->lock);
	p = __se_hand_step(s);
	spin_unlock(&s->lock);
	return p;
}

/*
 * Second-chance test.  Under rcu_read_lock(); for SE_POLICY_SHARDED @p may
 * be zapped concurrently but is not freed before we return (DESIGN 5).
 */
static bool se_page_young(struct se_cache *c, struct se_page *p,
			  struct se_scan_stats *st)
{
	bool ref = false, young = false;

	lockdep_assert_in_rcu_read_lock();
	st->scanned++;
	/*
	 * Read first so cold pages are not dirtied.  A mark that lands between
	 * the two is seen on the next lap; no ordering is needed (DESIGN 4.2).
	 */
	if (test_bit(SE_PAGE_REFERENCED, &p->flags))
		ref = test_and_clear_bit(SE_PAGE_REFERENCED, &p->flags);

	/* Always harvest, so software and hardware bits age together. */
	if (c->ops->test_and_clear_young && c->ops->test_and_clear_young(c, p))
		young = true;

	if (ref)
		st->ref_skips++;
	else if (young)
		st->young_skips++;
	return ref || young;
}

/* Hand one call's statistics to the integration. */
static void se_account(struct se_cache *c, const struct se_scan_stats *st)
{
	if (c->ops->account && st->scanned)
		c->ops->account(c, st);
}

/*
 * Round-robin over the shards, giving each a quantum of hand steps in
 * proportion to its size, so every page is examined at about the same rate
 * whichever vCPU created it (DESIGN 3.4).
 */
struct se_sweep {
	unsigned int nr;	/* shards visible to this sweep */
	unsigned int shard;
	unsigned long left;
	unsigned int empty;
};

static void se_sweep_begin(struct se_cache *c, struct se_sweep *sw)
{
	/* Shards added later are seen by the next sweep. */
	sw->nr = se_nr_shards(c);
	/* Racy hint shared by concurrent sweeps; any value is valid (DESIGN 4.5). */
	sw->shard = READ_ONCE(c->cursor) % sw->nr;
	sw->left = READ_ONCE(c->cursor_left);
	sw->empty = 0;
}

static void se_sweep_end(struct se_cache *c, struct se_sweep *sw)
{
	/* See se_sweep_begin(). */
	WRITE_ONCE(c->cursor, sw->shard);
	WRITE_ONCE(c->cursor_left, sw->left);
}

static unsigned long se_quantum(struct se_cache *c, struct se_shard *s)
{
	/* Lockless hints: a stale size skews one round's fairness only. */
	unsigned long total = READ_ONCE(c->nr_pages);
	unsigned long nr = READ_ONCE(s->nr);

	return 1 + nr * SE_SWEEP_ROUND / max(total, 1UL);
}

static struct se_page *se_sweep_next(struct se_cache *c, struct se_sweep *sw)
{
	struct se_page *p;

	while (sw->empty < sw->nr) {
		struct se_shard *s = c->shards[sw->shard];

		if (!sw->left)
			sw->left = se_quantum(c, s);
		p = se_hand_step(c, s);
		if (p) {
			sw->empty = 0;
			if (!--sw->left)
				sw->shard = (sw->shard + 1) % sw->nr;
			return p;
		}
		sw->empty++;
		sw->left = 0;
		sw->shard = (sw->shard + 1) % sw->nr;
	}
	return NULL;
}

/*
 * Upstream kvm_mmu_zap_oldest_mmu_pages(): from the tail, skipping roots.
 * @prev survives a zap that removed only @p; otherwise restart, which
 * yields the same order because everything behind @p is a root.
 */
static unsigned long se_reclaim_fifo(struct se_cache *c, unsigned long nr,
				     void *ctx, bool *zapped_any,
				     struct se_scan_stats *st)
{
	struct se_shard *s = c->shards[0];
	struct list_head *pos, *prev;
	unsigned long zapped = 0;
	unsigned long gen;
	struct se_page *p;

restart:
	for (pos = s->ring.prev; pos != &s->ring; pos = prev) {
		p = list_entry(pos, struct se_page, ring);
		prev = pos->prev;
		st->scanned++;
		if (!c->ops->evictable(c, p))
			continue;

		gen = c->nr_removed;
		zapped += c->ops->zap(c, p, ctx);
		*zapped_any = true;
		if (zapped >= nr)
			break;
		if (c->nr_removed - gen != 1 || p->shard != SE_NO_SHARD)
			goto restart;
	}
	return zapped;
}

/*
 * CLOCK and the sharded direct path.  No page pointer is held across a zap:
 * the hands are fixed by se_remove(), and we re-read them every step.
 */
static unsigned long se_reclaim_clock(struct se_cache *c, unsigned long nr,
				      void *ctx, bool *zapped_any,
				      struct se_scan_stats *st)
{
	unsigned long zapped = 0, idle = 0, steps;
	unsigned int i, nr_shards = se_nr_shards(c);
	struct se_sweep sw;
	struct se_page *p;

	/* The Accessed-bit hook's contract (shadow_evict.h). */
	rcu_read_lock();

	/* Phase 1: second chance, giving up after two laps' worth of steps. */
	se_sweep_begin(c, &sw);
	while (zapped < nr && idle < 2 * (c->nr_pages + nr_shards)) {
		p = se_sweep_next(c, &sw);
		if (!p)
			break;
		if (se_page_young(c, p, st) || !c->ops->evictable(c, p)) {
			idle++;
			continue;
		}
		zapped += c->ops->zap(c, p, ctx);
		*zapped_any = true;
		idle = 0;
	}
	se_sweep_end(c, &sw);

	/*
	 * Phase 2: pages are re-marked faster than the hands turn.  One forced
	 * lap per shard visits every page (only our zaps change the rings now),
	 * so this fails only where FIFO would.
	 */
	for (i = 0; zapped < nr && i < nr_shards; i++) {
		struct se_shard *s = c->shards[i];

		for (steps = s->nr; zapped < nr && steps; steps--) {
			p = se_hand_step(c, s);
			if (!p)
				break;
			st->scanned++;
			if (!c->ops->evictable(c, p))
				continue;
			zapped += c->ops->zap(c, p, ctx);
			*zapped_any = true;
		}
	}

	rcu_read_unlock();
	return zapped;
}

unsigned long se_reclaim(struct se_cache *c, unsigned long nr, void *ctx)
{
	struct se_scan_stats st = {};
	bool zapped_any = false;
	unsigned long zapped;

	c->ops->assert_zap_locked(c);
	if (!nr)
		return 0;

	if (c->policy == SE_POLICY_FIFO)
		zapped = se_reclaim_fifo(c, nr, ctx, &zapped_any, &st);
	else
		zapped = se_reclaim_clock(c, nr, ctx, &zapped_any, &st);

	if (zapped_any && c->ops->commit)
		c->ops->commit(c, ctx);
	se_account(c, &st);
	return zapped;
}

bool se_rebalance_needed(struct se_cache *c)
{
	/* Lockless wake-up test; se_rebalance() rechecks under the zap lock. */
	return READ_ONCE(c->nr_pages) > READ_ONCE(c->wmark_high);
}

/*
 * Sweep without the zap lock, collecting up to @want cold pages.  The
 * pointers are valid until the caller's rcu_read_unlock().
 */
static unsigned int se_collect(struct se_cache *c, struct se_page **victim,
			       unsigned long want, struct se_scan_stats *st)
{
	unsigned long scanned;
	struct se_sweep sw;
	struct se_page *p;
	unsigned int n = 0;

	lockdep_assert_in_rcu_read_lock();
	se_sweep_begin(c, &sw);
	for (scanned = 0; n < want && scanned < SE_SCAN_BUDGET; scanned++) {
		p = se_sweep_next(c, &sw);
		if (!p)
			break;
		if (!se_page_young(c, p, st))
			victim[n++] = p;
	}
	se_sweep_end(c, &sw);
	return n;
}

/* Zap lock held: is a candidate from se_collect() still a victim? */
static bool se_still_victim(struct se_cache *c, struct se_page *p)
{
	/* Zapped meanwhile (maybe a root awaiting its last user). */
	if (p->shard == SE_NO_SHARD)
		return false;
	/* Used meanwhile: keep it; the bit stays set for the next lap. */
	if (test_bit(SE_PAGE_REFERENCED, &p->flags))
		return false;
	/* Became a root, or is otherwise pinned. */
	return c->ops->evictable(c, p);
}

/*
 * One bounded batch toward the low watermark.  Returns the pages zapped;
 * 0 when at or below the low watermark or when nothing cold was found.
 */
unsigned long se_rebalance(struct se_cache *c, void *ctx)
{
	struct se_page *victim[SE_BATCH];
	struct se_scan_stats st = {};
	unsigned long zapped = 0, nr, low;
	bool zapped_any = false;
	unsigned int i, n;

	/* Hints; rechecked under the zap lock. */
	nr = READ_ONCE(c->nr_pages);
	low = READ_ONCE(c->wmark_low);
	if (nr <= low)
		return 0;

	if (!se_sharded(c)) {
		/* FIFO and CLOCK do all their work under the zap lock. */
		c->ops->zap_lock(c);
		if (c->nr_pages > c->wmark_low)
			zapped = se_reclaim(c, min_t(unsigned long, SE_BATCH,
						     c->nr_pages - c->wmark_low),
					    ctx);
		c->ops->zap_unlock(c);
		return zapped;
	}

	/* Keeps every candidate's memory valid until we are done: DESIGN 5. */
	rcu_read_lock();
	n = se_collect(c, victim, min_t(unsigned long, SE_BATCH, nr - low), &st);
	if (n) {
		c->ops->zap_lock(c);
		for (i = 0; i < n && c->nr_pages > c->wmark_low; i++) {
			/*
			 * Yield to waiters once this hold made progress; the
			 * rest of the batch is found again by a later sweep.
			 */
			if (zapped_any && c->ops->zap_contended &&
			    c->ops->zap_contended(c))
				break;
			if (!se_still_victim(c, victim[i]))
				continue;
			zapped += c->ops->zap(c, victim[i], ctx);
			zapped_any = true;
		}
		if (zapped_any && c->ops->commit)
			c->ops->commit(c, ctx);
		c->ops->zap_unlock(c);
	}
	rcu_read_unlock();
	se_account(c, &st);
	return zapped;
}
