// SPDX-License-Identifier: GPL-2.0
/*
 * Shadow page eviction core.  Interface and lock context: shadow_evict.h.
 *
 * Lifetime rule of SE_POLICY_SHARDED: the sweep dereferences a page only in
 * the RCU read-side section in which it found the page on a ring, and the
 * integration frees pages only an RCU grace period after se_remove(), so no
 * page the sweep looks at is freed under it.
 *
 * Lock order: zap lock -> shard lock -> ready_lock.  RCU read side may
 * enclose them all.
 * Nothing here sleeps, and nothing here waits for a grace period.
 */
#include <asm/barrier.h>
#include <linux/atomic.h>
#include <linux/bug.h>
#include <linux/build_bug.h>
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

static void se_shard_init(struct se_shard *s)
{
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->ring);
	s->hand = &s->ring;
	s->nr = 0;
}

/*
 * Shard 0 to start with: FIFO and CLOCK never have more, and for
 * SE_POLICY_SHARDED it holds the pages created without a vCPU.  Room for
 * @max_shards, added by se_shard_add() as vCPUs start using the cache; the
 * table for them is allocated only then.  Cannot fail today.
 */
int se_cache_init(struct se_cache *c, enum se_policy policy,
		  const struct se_ops *ops, unsigned int max_shards)
{
	if (policy != SE_POLICY_SHARDED || !max_shards)
		max_shards = 1;

	se_shard_init(&c->shard0);
	c->extra = NULL;
	spin_lock_init(&c->shards_lock);
	spin_lock_init(&c->ready_lock);
	INIT_LIST_HEAD(&c->ready);
	c->nr_ready = 0;
	c->policy = policy;
	c->ops = ops;
	c->max_shards = max_shards;
	c->probation = false;
	c->max_age = 0;
	c->nr_shards = 1;
	c->nr_pages = 0;
	c->max_pages = ULONG_MAX;
	c->wmark_low = ULONG_MAX;
	c->wmark_high = ULONG_MAX;
	c->nr_removed = 0;
	c->cursor = 0;
	c->cursor_left = 0;
	atomic_long_set(&c->steps, 0);
	return 0;
}

/* Shards whose table entries (and contents) this thread may use. */
static inline unsigned int se_nr_shards(const struct se_cache *c)
{
	/* Pairs with the release in se_shard_add(). */
	return smp_load_acquire(&c->nr_shards);
}

/*
 * A new shard, for a vCPU that starts using the cache: returns its index for
 * se_insert(), or -ENOMEM.  Runs concurrently with sweeps, inserts and other
 * adds.  FIFO and CLOCK have one ring, and a full table shares its last
 * shard, so only allocation fails.
 */
int se_shard_add(struct se_cache *c)
{
	struct se_shard **table = NULL;
	struct se_shard *s;
	unsigned int n;

	if (!se_sharded(c) || c->max_shards < 2)
		return 0;

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	se_shard_init(s);

	/* nr_shards > 1 implies the table exists; else bring one along. */
	if (se_nr_shards(c) == 1) {
		table = kvcalloc(c->max_shards - 1, sizeof(*table),
				 GFP_KERNEL_ACCOUNT);
		if (!table) {
			kfree(s);
			return -ENOMEM;
		}
	}

	spin_lock(&c->shards_lock);
	if (!c->extra) {
		/* Ordered before readers by the release below. */
		c->extra = table;
		table = NULL;
	}
	n = c->nr_shards;
	if (n < c->max_shards) {
		c->extra[n - 1] = s;
		/* Publishes *s and the table to se_nr_shards()' acquire loads. */
		smp_store_release(&c->nr_shards, n + 1);
		s = NULL;
	} else {
		/* Only after max_shards - 1 adds, i.e. more than KVM allows. */
		n = c->max_shards - 1;
	}
	spin_unlock(&c->shards_lock);
	kfree(s);
	kvfree(table);
	return n;
}

/* Every page must have been removed (and the integration's RCU callbacks flushed). */
void se_cache_destroy(struct se_cache *c)
{
	unsigned int i;

	WARN_ON_ONCE(c->nr_pages);
	WARN_ON_ONCE(c->nr_ready || !list_empty(&c->ready));
	for (i = 1; i < c->nr_shards; i++)
		kfree(c->extra[i - 1]);
	kvfree(c->extra);
	c->extra = NULL;
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
	s = se_shard_at(c, shard);
	/* Before it is on a ring: the sweep never sees it without the bit. */
	if (c->probation)
		set_bit(SE_PAGE_PROBATION, &p->flags);
	if (se_sharded(c)) {
		/* The sweep reads it only once the page is on the ring. */
		p->born = atomic_long_read(&c->steps);
		/* Excludes the sweep, which runs without the zap lock. */
		spin_lock(&s->lock);
		__se_ring_add(c, s, p);
		p->shard = shard;
		spin_unlock(&s->lock);
	} else {
		__se_ring_add(c, s, p);
		p->shard = shard;
	}

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
	s = se_shard_at(c, p->shard);
	if (se_sharded(c)) {
		/* Excludes the sweep; see se_insert(). */
		spin_lock(&s->lock);
		__se_ring_del(s, p);
		/*
		 * Leave the ready list in the same step: a page on it is then
		 * always live, and se_ready_push() (ready_lock only) sees
		 * SE_NO_SHARD and does not queue a page that is going away.
		 */
		spin_lock(&c->ready_lock);
		if (!list_empty(&p->ready)) {
			list_del_init(&p->ready);
			/* Writers hold ready_lock; see se_cache.nr_ready. */
			WRITE_ONCE(c->nr_ready, c->nr_ready - 1);
		}
		p->shard = SE_NO_SHARD;
		spin_unlock(&c->ready_lock);
		spin_unlock(&s->lock);
	} else {
		__se_ring_del(s, p);
		/* Revalidation reads this under the zap lock. */
		p->shard = SE_NO_SHARD;
	}

	/* See se_insert(). */
	ASSERT_EXCLUSIVE_WRITER(c->nr_pages);
	WRITE_ONCE(c->nr_pages, c->nr_pages - 1);
	c->nr_removed++;
}

/* Return the page at the hand and move the hand past it; NULL if empty. */
static struct se_page *__se_hand_step(struct se_shard *s)
{
	struct list_head *pos = s->hand;
	struct se_page *p;

	if (pos == &s->ring)
		pos = pos->next;
	if (pos == &s->ring)
		return NULL;
	s->hand = pos->next;
	p = list_entry(pos, struct se_page, ring);
	/*
	 * Still on probation (se_discard_new() is bounded): it leaves it
	 * here, its marks kept, before it can sit behind the hand and have
	 * marks set after this visit discarded.
	 */
	if (test_bit(SE_PAGE_PROBATION, &p->flags))
		clear_bit(SE_PAGE_PROBATION, &p->flags);
	return p;
}

/*
 * Zap lock held, or the shard lock for SE_POLICY_SHARDED.  The pages
 * inserted since the hand of @s last stepped sit just behind it: inserts go
 * there, and the hand moves forward only by a step or past a page that
 * leaves the ring (__se_ring_del()), which keeps them together.  Clear what
 * the faults that built them recorded, so that when the hand reaches them a
 * lap from now only later uses count.  The harvest also clears the
 * Accessed bit a parent SPTE is created with; the remote TLB flush that
 * ends the zaps of this reclaim or batch, when there are any, makes a
 * later access walk, and set it, again.
 *
 * Best effort: at most SE_DISCARD_MAX pages per step (a ring that filled
 * without pressure has many); the others keep the bit until the hand
 * reaches them (__se_hand_step()) and get a free lap, as without
 * probation.  So does a sharded page whose building fault, which holds
 * mmu_lock and not the shard lock, marks or links it only after the
 * sweep's step.
 */
static void se_discard_new(struct se_cache *c, struct se_shard *s)
{
	struct list_head *pos;
	unsigned int n = 0;
	struct se_page *p;

	for (pos = s->hand->prev; pos != &s->ring && n < SE_DISCARD_MAX;
	     pos = pos->prev, n++) {
		p = list_entry(pos, struct se_page, ring);
		if (!test_bit(SE_PAGE_PROBATION, &p->flags))
			break;
		clear_bit(SE_PAGE_PROBATION, &p->flags);
		clear_bit(SE_PAGE_REFERENCED, &p->flags);
		if (c->ops->test_and_clear_young)
			c->ops->test_and_clear_young(c, p);
	}
}

static struct se_page *se_hand_step(struct se_cache *c, struct se_shard *s)
{
	struct se_page *p;

	if (!se_sharded(c)) {
		/* CLOCK: the zap lock alone covers ring and hand. */
		c->ops->assert_zap_locked(c);
		if (c->probation)
			se_discard_new(c, s);
		return __se_hand_step(s);
	}

	/*
	 * O(1) hold, plus the pages inserted since the last step of this
	 * hand: a vCPU inserting into @s waits only this long.
	 */
	spin_lock(&s->lock);
	if (c->probation)
		se_discard_new(c, s);
	p = __se_hand_step(s);
	spin_unlock(&s->lock);
	/* An empty ring is no step: the sweep passes many of them. */
	if (p)
		atomic_long_inc(&c->steps);
	return p;
}

/*
 * Move @p's laps of credit (two adjacent flag bits) one step toward
 * @delta's sign, within 0..@max; returns the age before.  One cmpxchg of
 * the whole word, so the age is always one a caller wrote: a hand (sweep
 * or reclaim) and a ready page's revalidation can test one page at once,
 * and other bits of the word change under atomic bitops meanwhile.
 */
static unsigned int se_page_age_step(struct se_page *p, int delta,
				     unsigned int max)
{
	/* A plain snapshot is enough: try_cmpxchg() checks it. */
	unsigned long old = READ_ONCE(p->flags), new;
	unsigned int age;

	/* The mask below is SE_MAX_AGE shifted to SE_PAGE_AGE_LO. */
	BUILD_BUG_ON(SE_PAGE_AGE_HI - SE_PAGE_AGE_LO != 1);
	BUILD_BUG_ON(SE_MAX_AGE != 3);
	do {
		age = (old >> SE_PAGE_AGE_LO) & SE_MAX_AGE;
		if (delta > 0 ? age >= max : !age)
			return age;
		new = (old & ~((unsigned long)SE_MAX_AGE << SE_PAGE_AGE_LO)) |
		      (unsigned long)(age + delta) << SE_PAGE_AGE_LO;
	} while (!try_cmpxchg(&p->flags, &old, new));
	return age;
}

/*
 * Second-chance test.  Under rcu_read_lock(); for SE_POLICY_SHARDED @p may
 * be zapped concurrently but is not freed before we return (lifetime rule
 * at the top of this file).
 */
static bool se_page_young(struct se_cache *c, struct se_page *p,
			  struct se_scan_stats *st)
{
	bool ref = false, young = false;

	lockdep_assert_in_rcu_read_lock();
	st->scanned++;
	/*
	 * Read first so cold pages are not dirtied.  A mark that lands between
	 * the two is seen on the next lap; no ordering is needed, as the bit
	 * publishes no other data and a lost mark costs one extra fault.
	 */
	if (test_bit(SE_PAGE_REFERENCED, &p->flags))
		ref = test_and_clear_bit(SE_PAGE_REFERENCED, &p->flags);

	/* Always harvest, so software and hardware bits age together. */
	if (c->ops->test_and_clear_young && c->ops->test_and_clear_young(c, p))
		young = true;

	if (ref || young) {
		if (ref)
			st->ref_skips++;
		else
			st->young_skips++;
		if (c->max_age)
			se_page_age_step(p, 1, c->max_age);
		return true;
	}

	/*
	 * Sharded: a page is inserted just behind its ring's hand, for a lap
	 * before its first test; but a vCPU's ring empties while the vCPU is
	 * descheduled, and the pages it faults back in are then all the ring
	 * has, so the hand would judge them at its next quantum, before the
	 * vCPU could use them again.  Give them the lap in steps of all the
	 * hands instead: until as many steps as there are pages have passed
	 * since its insert, an unused page is kept.
	 */
	if (se_sharded(c) &&
	    (unsigned long)atomic_long_read(&c->steps) - p->born <
	    READ_ONCE(c->nr_pages)) {
		st->age_skips++;
		return true;
	}

	/* Unused this lap: spend credit if it has any. */
	if (c->max_age && se_page_age_step(p, -1, c->max_age)) {
		st->age_skips++;
		return true;
	}
	return false;
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
 * whichever vCPU created it: a busy vCPU's new pages do not push out the
 * hot pages of others, and an idle vCPU's pages are found cold.
 */
struct se_sweep {
	unsigned int nr;	/* shards visible to this sweep */
	unsigned int shard;
	unsigned long left;
	unsigned int empty;
};

static unsigned long se_quantum(struct se_cache *c, struct se_shard *s)
{
	/* Lockless hints: a stale size skews one round's fairness only. */
	unsigned long total = READ_ONCE(c->nr_pages);
	unsigned long nr = READ_ONCE(s->nr);

	/* Never more than a lap of @s: each turn sees a page at most once. */
	return min(1 + nr * SE_SWEEP_ROUND / max(total, 1UL), max(nr, 1UL));
}

static void se_sweep_begin(struct se_cache *c, struct se_sweep *sw)
{
	/* Shards added later are seen by the next sweep. */
	sw->nr = se_nr_shards(c);
	/*
	 * Racy hint shared by concurrent sweeps: any value is a valid place to
	 * start (the modulo keeps it in range), a stale one only skews fairness.
	 */
	sw->shard = READ_ONCE(c->cursor) % sw->nr;
	/* Never more than the shard's quantum now: it may have shrunk. */
	sw->left = min(READ_ONCE(c->cursor_left),
		       se_quantum(c, se_shard_at(c, sw->shard)));
	sw->empty = 0;
}

static void se_sweep_end(struct se_cache *c, struct se_sweep *sw)
{
	/* See se_sweep_begin(). */
	WRITE_ONCE(c->cursor, sw->shard);
	WRITE_ONCE(c->cursor_left, sw->left);
}

static struct se_page *se_sweep_next(struct se_cache *c, struct se_sweep *sw)
{
	struct se_page *p;

	while (sw->empty < sw->nr) {
		struct se_shard *s = se_shard_at(c, sw->shard);

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
 * Zap lock held: zap evictable pages of @s in list order from its tail
 * until @nr are zapped.  With SE_POLICY_FIFO this is upstream's
 * kvm_mmu_zap_oldest_mmu_pages() (the tail is the oldest page); for the
 * CLOCK rings it is the forced pass of se_reclaim_clock().  It follows the
 * ring's links, which only zap-lock holders change, never the hand, which
 * the sharded sweep moves concurrently.  @prev survives a zap that removed
 * only @p; otherwise restart, which visits the same pages again because
 * everything behind @p was not evictable.
 */
static unsigned long se_reclaim_walk(struct se_cache *c, struct se_shard *s,
				     unsigned long nr, void *ctx,
				     bool *zapped_any, struct se_scan_stats *st)
{
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

/* Sweep thread, ready_lock not held: queue cold @p unless it left its ring. */
static bool se_ready_push(struct se_cache *c, struct se_page *p)
{
	bool queued = false;

	spin_lock(&c->ready_lock);
	/* se_remove() sets SE_NO_SHARD under ready_lock: never queue a dying page. */
	if (p->shard != SE_NO_SHARD && list_empty(&p->ready)) {
		list_add_tail(&p->ready, &c->ready);
		/* Writers hold ready_lock; see se_cache.nr_ready. */
		WRITE_ONCE(c->nr_ready, c->nr_ready + 1);
		queued = true;
	}
	spin_unlock(&c->ready_lock);
	return queued;
}

/*
 * Zap lock held: the oldest ready page, or NULL.  It stays live and on its
 * ring while we hold the zap lock, since only se_remove() takes it off.
 */
static struct se_page *se_ready_pop(struct se_cache *c)
{
	struct se_page *p = NULL;

	spin_lock(&c->ready_lock);
	if (!list_empty(&c->ready)) {
		p = list_first_entry(&c->ready, struct se_page, ready);
		list_del_init(&p->ready);
		/* See se_ready_push(). */
		WRITE_ONCE(c->nr_ready, c->nr_ready - 1);
	}
	spin_unlock(&c->ready_lock);
	return p;
}

/*
 * Zap lock held: put back a page se_ready_pop() returned, at the head,
 * unless a concurrent sweep queued it again meanwhile.
 */
static void se_ready_putback(struct se_cache *c, struct se_page *p)
{
	spin_lock(&c->ready_lock);
	if (list_empty(&p->ready)) {
		list_add(&p->ready, &c->ready);
		/* See se_ready_push(). */
		WRITE_ONCE(c->nr_ready, c->nr_ready + 1);
	}
	spin_unlock(&c->ready_lock);
}

/*
 * Zap lock held, under rcu_read_lock(): is a page chosen without the zap lock
 * still a victim?  Not if it was zapped meanwhile (maybe a root awaiting its
 * last user), became a root, or was used since it was found cold: software
 * mark or hardware Accessed bit, which costs it the second chance it gets.
 */
static bool se_still_victim(struct se_cache *c, struct se_page *p,
			    struct se_scan_stats *st)
{
	if (p->shard == SE_NO_SHARD || !c->ops->evictable(c, p) ||
	    se_page_young(c, p, st)) {
		st->ready_stale++;
		return false;
	}
	return true;
}

/*
 * Zap lock held, under rcu_read_lock(): zap up to @nr pages from the ready
 * list.  With @yield, stop once at least SE_MIN_BATCH zaps are done, the
 * cache is no longer above its wake-up mark and others wait for the zap
 * lock (see SE_MIN_BATCH).
 */
static unsigned long se_zap_ready(struct se_cache *c, unsigned long nr,
				  void *ctx, bool yield, bool *zapped_any,
				  struct se_scan_stats *st)
{
	unsigned long zapped = 0;
	unsigned int zaps = 0;
	struct se_page *p;

	while (zapped < nr && (p = se_ready_pop(c))) {
		if (!se_still_victim(c, p, st))
			continue;
		if (yield && zaps >= SE_MIN_BATCH &&
		    c->nr_pages <= c->wmark_high && c->ops->zap_contended &&
		    c->ops->zap_contended(c)) {
			/* Still cold: the next batch starts with it. */
			se_ready_putback(c, p);
			break;
		}
		zapped += c->ops->zap(c, p, ctx);
		*zapped_any = true;
		zaps++;
	}
	return zapped;
}

/*
 * CLOCK and the sharded direct path.  No page pointer is held across a zap
 * except through the ready list, which se_remove() keeps exact.  Sharded:
 * up to @ahead more pages, from the ready list only.
 */
static unsigned long se_reclaim_clock(struct se_cache *c, unsigned long nr,
				      unsigned long ahead, void *ctx,
				      bool *zapped_any,
				      struct se_scan_stats *st)
{
	unsigned long zapped = 0, idle = 0, steps = 0, limit;
	unsigned int i, nr_shards = se_nr_shards(c);
	struct se_sweep sw;
	struct se_page *p;

	/* The Accessed-bit hook's contract (shadow_evict.h). */
	rcu_read_lock();

	/* Sharded: victims the rebalancer chose ahead of need, O(1) each. */
	if (se_sharded(c))
		zapped = se_zap_ready(c, nr + ahead, ctx, false, zapped_any, st);

	/*
	 * Phase 1: second chance.  CLOCK gives up after two laps' worth of
	 * fruitless steps, plus one per lap of credit a page may hold (each
	 * lap spends one); the sharded direct path, which runs only when the
	 * rebalancer fell behind, after a fixed budget, so that a fault never
	 * scans the whole VM under the zap lock before the forced pass.
	 */
	limit = (2 + c->max_age) * (c->nr_pages + nr_shards);
	if (se_sharded(c))
		limit = min_t(unsigned long, limit, SE_SCAN_BUDGET);
	se_sweep_begin(c, &sw);
	while (zapped < nr && idle < limit &&
	       (!se_sharded(c) || steps < limit)) {
		p = se_sweep_next(c, &sw);
		if (!p)
			break;
		steps++;
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
	 * Phase 2: pages are re-marked faster than the hands turn.  Walk every
	 * ring by its links, which only zap-lock holders change, and zap what
	 * is evictable, used or not: this fails only where FIFO would.
	 */
	for (i = 0; zapped < nr && i < nr_shards; i++)
		zapped += se_reclaim_walk(c, se_shard_at(c, i), nr - zapped,
					  ctx, zapped_any, st);

	rcu_read_unlock();
	return zapped;
}

/*
 * Zap at least @nr pages if there are evictable ones and, with the sharded
 * policy, up to @ahead more that the rebalancer has already queued on the
 * ready list, for the faults queued behind the caller: they cost one zap
 * each and share the caller's commit, where a reclaim of their own would
 * cost each of them a zap-lock hold and a commit.  @ahead is ignored by the
 * policies without a ready list.
 */
unsigned long se_reclaim_ahead(struct se_cache *c, unsigned long nr,
			       unsigned long ahead, void *ctx)
{
	struct se_scan_stats st = {};
	bool zapped_any = false;
	unsigned long zapped;

	c->ops->assert_zap_locked(c);
	if (!nr)
		return 0;

	if (c->policy == SE_POLICY_FIFO)
		zapped = se_reclaim_walk(c, &c->shard0, nr, ctx, &zapped_any,
					 &st);
	else
		zapped = se_reclaim_clock(c, nr, ahead, ctx, &zapped_any, &st);

	if (zapped_any && c->ops->commit)
		c->ops->commit(c, ctx);
	se_account(c, &st);
	return zapped;
}

unsigned long se_reclaim(struct se_cache *c, unsigned long nr, void *ctx)
{
	return se_reclaim_ahead(c, nr, 0, ctx);
}

bool se_rebalance_needed(struct se_cache *c)
{
	/* Lockless wake-up test; se_rebalance() rechecks under the zap lock. */
	return READ_ONCE(c->nr_pages) > READ_ONCE(c->wmark_high);
}

/*
 * Sweep without the zap lock, queueing up to @want cold pages on the ready
 * list.  Pages the integration says are pinned (roots) are passed over
 * without consuming their referenced state.
 */
static unsigned long se_collect(struct se_cache *c, unsigned long want,
				struct se_scan_stats *st)
{
	unsigned long scanned, n = 0, limit;
	struct se_sweep sw;
	struct se_page *p;

	lockdep_assert_in_rcu_read_lock();
	se_sweep_begin(c, &sw);
	/* At most one lap: a second would only clear what the first set aside. */
	limit = min_t(unsigned long, SE_SCAN_BUDGET,
		      READ_ONCE(c->nr_pages) + sw.nr);
	for (scanned = 0; n < want && scanned < limit; scanned++) {
		p = se_sweep_next(c, &sw);
		if (!p)
			break;
		if (c->ops->pinned && c->ops->pinned(c, p))
			continue;
		if (!se_page_young(c, p, st) && se_ready_push(c, p))
			n++;
	}
	se_sweep_end(c, &sw);
	st->readied += n;
	return n;
}

/*
 * One bounded step toward the low watermark.  Sharded: queue cold pages on
 * the ready list without the zap lock (what the step needs beyond what is
 * queued already, at most SE_BATCH), then take the zap lock once to zap
 * from it.  Returns the pages zapped: 0 when at or below the low watermark
 * or when nothing cold was found.
 *
 * No reserve is queued beyond the step's need: a reserve would make the
 * hands turn faster than evictions require, and each page's referenced
 * state would cover a shorter window.  Pages left over (a yield, a
 * victim found used at zap time) stay queued for the next step or for
 * direct reclaim.
 */
unsigned long se_rebalance(struct se_cache *c, void *ctx)
{
	unsigned long zapped = 0, nr, low, ready;
	struct se_scan_stats st = {};
	bool zapped_any = false;

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

	/* Keeps every page the sweep looks at valid (lifetime rule above). */
	rcu_read_lock();
	/* Lockless hint: a stale count only sizes this step. */
	ready = READ_ONCE(c->nr_ready);
	if (ready < nr - low)
		se_collect(c, min_t(unsigned long, SE_BATCH, nr - low - ready),
			   &st);

	if (READ_ONCE(c->nr_ready)) {
		c->ops->zap_lock(c);
		if (c->nr_pages > c->wmark_low)
			zapped = se_zap_ready(c, min_t(unsigned long, SE_BATCH,
						       c->nr_pages - c->wmark_low),
					      ctx, true, &zapped_any, &st);
		if (zapped_any && c->ops->commit)
			c->ops->commit(c, ctx);
		c->ops->zap_unlock(c);
	}
	rcu_read_unlock();
	se_account(c, &st);
	return zapped;
}
