/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shadow page eviction core: FIFO, single-hand CLOCK and per-vCPU sharded
 * CLOCK behind one interface.  KVM specifics (the zap lock, zapping a page,
 * Accessed-bit harvesting, roots) are reached through struct se_ops, so this
 * file and shadow_evict.c also build in userspace, against shim headers.
 *
 * Locking, memory ordering and lifetime rules, in short:
 *  - se_insert(), se_remove(), se_reclaim(), se_reclaim_ahead(),
 *    se_set_limits(): zap lock held (in KVM: write_lock(&kvm->mmu_lock)).
 *  - se_mark(): any context; the caller keeps the page alive.
 *  - se_rebalance(): no lock held; takes RCU and the zap lock itself.
 *    It keeps a per-cache "ready list" of cold pages found without the zap
 *    lock; direct reclaim pops from it in O(1) before scanning.
 *  - se_shard_add(): any sleepable context, concurrently with everything.
 *  - A page removed with se_remove() must not be freed before an RCU grace
 *    period has elapsed (call_rcu()) when the policy is SE_POLICY_SHARDED.
 */
#ifndef __KVM_X86_MMU_SHADOW_EVICT_H
#define __KVM_X86_MMU_SHADOW_EVICT_H

#include <linux/bitops.h>
#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

enum se_policy {
	SE_POLICY_FIFO,		/* upstream kvm_mmu_zap_oldest_mmu_pages() order */
	SE_POLICY_CLOCK,	/* one hand, everything under the zap lock */
	SE_POLICY_SHARDED,	/* per-vCPU rings, lock-free aging, rebalancer */
};

/* Bits of se_page.flags; only ever changed with atomic bitops. */
enum {
	SE_PAGE_REFERENCED,
	/*
	 * On probation (se_cache.probation): inserted since its ring's hand
	 * last stepped, so its referenced state still holds the fault that
	 * built it; se_discard_new() clears both before the hand moves, or
	 * the hand's visit ends the probation (__se_hand_step()).
	 */
	SE_PAGE_PROBATION,
	/*
	 * Laps of credit, 0..SE_MAX_AGE (se_cache.max_age), in these two
	 * adjacent bits; changed as one by se_page_age_step() only.
	 */
	SE_PAGE_AGE_LO,
	SE_PAGE_AGE_HI,
};

/* Most laps of credit a page can earn (se_set_max_age()). */
#define SE_MAX_AGE		3

/* se_page.shard of a page that is on no ring. */
#define SE_NO_SHARD		(-1)

/* Most victims zapped per zap-lock hold by se_rebalance(). */
#define SE_BATCH		16
/* Most hand steps per se_rebalance() call (bounds its RCU section). */
#define SE_SCAN_BUDGET		(16 * SE_BATCH)
/* Hand steps per round of the multi-shard sweep, shared by ring size. */
#define SE_SWEEP_ROUND		32
/*
 * Most new pages se_discard_new() takes off probation per hand step: it
 * runs under the lock inserts wait for.
 */
#define SE_DISCARD_MAX		32
/*
 * Zaps per zap-lock hold before se_rebalance() may yield to waiters: each
 * hold ends with one remote TLB flush, which a short hold would not amortise
 * (kvm_zap_obsolete_pages() yields after 10 for the same reason).  It never
 * yields while the cache is above its wake-up mark: there the faults that
 * wait for the lock are the ones short of room, and a yield would only send
 * the batch's remaining victims to the back of the lock's queue.
 */
#define SE_MIN_BATCH		10

/* Embedded in the shadow page (struct kvm_mmu_page). */
struct se_page {
	/* Ring link; zap lock, plus the shard lock for SE_POLICY_SHARDED. */
	struct list_head ring;
	/* Ready-list link (SE_POLICY_SHARDED); se_cache.ready_lock.  Empty if not queued. */
	struct list_head ready;
	/* SE_PAGE_REFERENCED: set by se_mark(), cleared by the sweep. */
	unsigned long flags;
	/*
	 * Owning shard or SE_NO_SHARD.  Written with the zap lock and the
	 * shard lock held (and ready_lock when leaving), so any one of them
	 * suffices to read it.
	 */
	int shard;
	/*
	 * SE_POLICY_SHARDED: se_cache.steps when the page was inserted,
	 * written under the zap lock before the page is on a ring.
	 */
	unsigned long born;
};

struct se_shard {
	/*
	 * SE_POLICY_SHARDED only: protects ring, hand and nr against the
	 * sweep, which does not hold the zap lock.  Held for O(1) steps.
	 */
	spinlock_t lock;
	struct list_head ring;
	/* Next node to examine: a page on @ring or @ring itself. */
	struct list_head *hand;
	/* Pages on @ring; read locklessly for sweep quanta. */
	unsigned long nr;
} ____cacheline_aligned_in_smp;

struct se_cache;

/* What one se_reclaim() or se_rebalance() call saw; see se_ops.account. */
struct se_scan_stats {
	/* Pages examined: hand steps, or pages walked from the FIFO tail. */
	unsigned long scanned;
	/* Kept (second chance) because their referenced bit was set. */
	unsigned long ref_skips;
	/* Kept only because test_and_clear_young() found them young. */
	unsigned long young_skips;
	/*
	 * Unused, but kept: they spent a lap of credit instead, or (sharded)
	 * were inserted less than a lap of all hands ago.
	 */
	unsigned long age_skips;
	/* Cold pages put on the ready list (sharded sweep). */
	unsigned long readied;
	/* Ready pages found used (or pinned) when taken for a zap. */
	unsigned long ready_stale;
};

/*
 * Integration callbacks.  "zap lock" is the lock under which pages are
 * created and zapped (kvm->mmu_lock held for write).
 */
struct se_ops {
	void (*zap_lock)(struct se_cache *c);
	void (*zap_unlock)(struct se_cache *c);
	/* lockdep_assert_held_write() on the zap lock. */
	void (*assert_zap_locked)(struct se_cache *c);
	/* Zap lock held.  False for roots and invalid pages. */
	bool (*evictable)(struct se_cache *c, struct se_page *p);
	/*
	 * Zap lock held.  Zap @p (prepare only; see @commit).  Must call
	 * se_remove() for every page it takes off the active list, which may
	 * include pages other than @p, and may leave a zapped root in memory.
	 * Returns the number of pages zapped.
	 */
	unsigned long (*zap)(struct se_cache *c, struct se_page *p, void *ctx);
	/* Optional.  Zap lock held.  Finish the zaps done since the last call. */
	void (*commit)(struct se_cache *c, void *ctx);
	/*
	 * Optional.  Test and clear the hardware Accessed state of @p.  Called
	 * under rcu_read_lock(), possibly without the zap lock: @p may be
	 * being zapped concurrently but is not freed (lifetime rule at the top).
	 */
	bool (*test_and_clear_young)(struct se_cache *c, struct se_page *p);
	/*
	 * Optional.  Under rcu_read_lock(), without the zap lock: a racy hint
	 * that @p cannot be evicted now (a root).  The lockless sweep passes
	 * over such pages without consuming their referenced state; whatever
	 * it answers, the zap path rechecks evictable() under the zap lock.
	 */
	bool (*pinned)(struct se_cache *c, struct se_page *p);
	/*
	 * Optional.  Add one call's statistics to the integration's counters.
	 * Called at the end of se_reclaim() (zap lock held) and of the sharded
	 * se_rebalance() (no lock held), so calls can run concurrently.
	 */
	void (*account)(struct se_cache *c, const struct se_scan_stats *st);
	/*
	 * Optional.  Zap lock held.  True when others wait for the zap lock
	 * (or the CPU is wanted) and no one waits for room: se_rebalance()
	 * ends its batch early, after at least SE_MIN_BATCH zaps, and only
	 * once the cache is at or below its wake-up mark.
	 */
	bool (*zap_contended)(struct se_cache *c);
};

struct se_cache {
	/* Set by se_cache_init(), constant afterwards. */
	enum se_policy policy;
	const struct se_ops *ops;
	unsigned int max_shards;
	/*
	 * CLOCK and sharded: the access that builds a page is not a use of it
	 * (se_set_probation(); before the first se_insert(), constant after).
	 */
	bool probation;
	/*
	 * CLOCK and sharded: laps of credit a used page earns, 0..SE_MAX_AGE
	 * (se_set_max_age(); before the first se_insert(), constant after).
	 */
	unsigned int max_age;
	/*
	 * Shards so far; se_shard_add() publishes a new one with a release
	 * store, lockless readers load it with acquire.  Entries
	 * below it never change until se_cache_destroy().
	 */
	unsigned int nr_shards;
	/* Shard 0: every policy has it, and it needs no allocation. */
	struct se_shard shard0;
	/*
	 * Shards 1.. (SE_POLICY_SHARDED).  The table is allocated by the first
	 * se_shard_add() and set before nr_shards first exceeds 1, so readers
	 * that saw nr_shards > 1 (acquire) see it.
	 */
	struct se_shard **extra;
	/* Serialises se_shard_add(); taken by nothing else. */
	spinlock_t shards_lock;

	/*
	 * SE_POLICY_SHARDED: cold pages chosen by the lockless sweep ahead of
	 * need.  A queued page is still on its ring; se_remove() takes it off
	 * this list too (under ready_lock), so every entry is a live page.
	 * Lock order: zap lock -> shard lock -> ready_lock.
	 */
	spinlock_t ready_lock;
	struct list_head ready;
	/* Entries on @ready; written under ready_lock, read locklessly as a hint. */
	unsigned long nr_ready;

	/* Written under the zap lock (WRITE_ONCE), read locklessly (hints). */
	unsigned long nr_pages;
	unsigned long max_pages;
	unsigned long wmark_low;
	unsigned long wmark_high;

	/* Zap lock: bumped by se_remove(), detects zaps that remove others. */
	unsigned long nr_removed;

	/* Where the next sweep resumes, and its quantum left: racy hints. */
	unsigned int cursor;
	unsigned long cursor_left;

	/*
	 * SE_POLICY_SHARDED: pages the hands of all sweeps stepped to, for
	 * se_page.born.  Atomic: the worker's sweep and direct reclaim step
	 * at once.
	 */
	atomic_long_t steps;
};

int se_cache_init(struct se_cache *c, enum se_policy policy,
		  const struct se_ops *ops, unsigned int max_shards);
int se_shard_add(struct se_cache *c);
void se_cache_destroy(struct se_cache *c);
void se_set_limits(struct se_cache *c, unsigned long max_pages,
		   unsigned long wmark_low, unsigned long wmark_high);

void se_insert(struct se_cache *c, struct se_page *p, unsigned int shard);
void se_remove(struct se_cache *c, struct se_page *p);

unsigned long se_reclaim(struct se_cache *c, unsigned long nr, void *ctx);
unsigned long se_reclaim_ahead(struct se_cache *c, unsigned long nr,
			       unsigned long ahead, void *ctx);
bool se_rebalance_needed(struct se_cache *c);
unsigned long se_rebalance(struct se_cache *c, void *ctx);

/*
 * Before the first se_insert(): with @on, a new page must be used again
 * after the fault that built it to count as referenced when the hand first
 * reaches it.  Without, that fault's marks (and the Accessed bit its parent
 * SPTE is created with) give every new page a free lap.  FIFO ignores it.
 */
static inline void se_set_probation(struct se_cache *c, bool on)
{
	c->probation = on && c->policy != SE_POLICY_FIFO;
}

/*
 * Before the first se_insert(): a page the hand finds used earns a lap of
 * credit, up to @max_age (at most SE_MAX_AGE), and an unused page with
 * credit spends one instead of being evicted.  So a page used on several
 * laps outlasts one used once.  0 is plain second chance; FIFO ignores it.
 */
static inline void se_set_max_age(struct se_cache *c, unsigned int max_age)
{
	c->max_age = c->policy == SE_POLICY_FIFO ? 0 :
		     max_age < SE_MAX_AGE ? max_age : SE_MAX_AGE;
}

/*
 * Shard @i, for i < the nr_shards this thread loaded with acquire (or read
 * under the zap lock after such a load).
 */
static inline struct se_shard *se_shard_at(struct se_cache *c, unsigned int i)
{
	return i ? c->extra[i - 1] : &c->shard0;
}

static inline void se_page_init(struct se_page *p)
{
	INIT_LIST_HEAD(&p->ring);
	INIT_LIST_HEAD(&p->ready);
	p->flags = 0;
	p->shard = SE_NO_SHARD;
}

/*
 * Record a use of @p.  Lock-free, O(1), any context; the caller keeps @p
 * alive (zap lock, RCU, or a lockless shadow walk).  Testing first keeps hot
 * pages' cache lines shared.  No ordering: the bit is a hint that publishes
 * no other data, and a lost race only costs one extra fault.
 */
static inline void se_mark(const struct se_cache *c, struct se_page *p)
{
	if (c->policy == SE_POLICY_FIFO)
		return;
	if (!test_bit(SE_PAGE_REFERENCED, &p->flags))
		set_bit(SE_PAGE_REFERENCED, &p->flags);
}

/* Pages on rings.  Exact under the zap lock, a hint otherwise. */
static inline unsigned long se_nr_pages(const struct se_cache *c)
{
	/* Lockless readers tolerate staleness; writers hold the zap lock. */
	return READ_ONCE(c->nr_pages);
}

/* Free quota.  Exact under the zap lock, a hint otherwise. */
static inline unsigned long se_available(const struct se_cache *c)
{
	/* See se_nr_pages(). */
	unsigned long max = READ_ONCE(c->max_pages);
	unsigned long nr = READ_ONCE(c->nr_pages);

	return max > nr ? max - nr : 0;
}

#endif /* __KVM_X86_MMU_SHADOW_EVICT_H */
