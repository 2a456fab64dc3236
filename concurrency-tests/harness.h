/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A userspace model of the KVM side of shadow_evict: "tpage" stands for
 * struct kvm_mmu_page, the world's zap mutex for kvm->mmu_lock, the world's
 * active list for active_mmu_pages, groups for unsync children (zapping one
 * member zaps all), root_count for roots, and call_rcu() freeing for the
 * sharded policy's lifetime rule.  Shared by unit.c, stress.c and the bench.
 */
#ifndef SE_HARNESS_H
#define SE_HARNESS_H

#include <sched.h>
#include <string.h>
#include <time.h>
#include <linux/list.h>
#include "shadow_evict.h"

#define TP_LIVE		0x11f3a7e1
#define TP_ZAPPED	0x2a9ed000
#define TP_FREED	0x0dead0ff

#define W_MAX_GROUP	3
#define W_MIN_FREE	5	/* KVM_MIN_FREE_MMU_PAGES */
#define W_REFILL	25	/* KVM_REFILL_PAGES */

struct tpage {
	struct se_page se;
	struct rcu_head rcu;
	struct list_head active;	/* world.active, or a commit list */
	struct world *w;
	long id;			/* creation order */
	int slot;
	int magic;			/* atomic */
	int hw_young;			/* atomic: models the SPTE Accessed bit */
	int root_count;			/* zap lock; atomic: read by ops_pinned() */
	bool invalid;			/* zap lock: role.invalid */
	int visits;			/* zap lock: invariant checker scratch */
	int creator;
	int nsib;
	struct tpage *sib[W_MAX_GROUP - 1];
};

#define W_MAX_VCPUS	64

struct world {
	struct se_cache c;
	int vshard[W_MAX_VCPUS];	/* atomic: se_shard_add() result, or -1 */
	pthread_mutex_t zap_mutex;
	unsigned long zap_owner;	/* atomic */
	struct list_head active;	/* zap lock; newest first */
	int nslots;
	struct tpage **slot;		/* atomic entries; id lookup for touches */
	int *free_slots;		/* zap lock */
	int nfree_slots;
	long next_id;			/* zap lock */

	/* Unit-test scripting. */
	void (*on_zap_lock)(struct world *w);
	long contended_after;		/* see ops_zap_contended() */
	long contended_asks;		/* zap lock */
	int young_always;		/* hook reports every page young */

	/* Stress: widen the sweep's window, publish what it looks at. */
	int widen;
	int looking_at;			/* atomic: slot of the page being aged */

	/* Log of pages zapped by the core (first the victim, then its group). */
	long *log;
	int nlog, log_cap;

	/* Counters (atomic). */
	long created, freed, core_zaps, ext_zaps;
	long bad_root_evicted, bad_invalid_evicted, bad_lifetime;
	long zap_lock_ns, zap_lock_holds;
	/* Sums of what se_ops.account reported. */
	long st_scanned, st_ref_skips, st_young_skips, st_calls;
	long st_readied, st_ready_stale, pinned_asks;
	/* Called from ops_evictable() (zap lock held), for scripted races. */
	void (*on_evictable)(struct world *w, struct tpage *q);
	int time_zap_lock;
};

static inline unsigned long w_self(void)
{
	return (unsigned long)pthread_self();
}

static inline long w_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static __thread long w_lock_t0;

static inline void w_lock(struct world *w)
{
	pthread_mutex_lock(&w->zap_mutex);
	__atomic_store_n(&w->zap_owner, w_self(), __ATOMIC_RELAXED);
	if (w->time_zap_lock)
		w_lock_t0 = w_now_ns();
}

static inline void w_unlock(struct world *w)
{
	if (__atomic_load_n(&w->zap_owner, __ATOMIC_RELAXED) != w_self())
		se_shim_fail("zap unlock by non-owner");
	if (w->time_zap_lock) {
		__atomic_fetch_add(&w->zap_lock_ns, w_now_ns() - w_lock_t0, __ATOMIC_RELAXED);
		__atomic_fetch_add(&w->zap_lock_holds, 1, __ATOMIC_RELAXED);
	}
	__atomic_store_n(&w->zap_owner, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&w->zap_mutex);
}

static inline void w_assert_locked(struct world *w)
{
	if (__atomic_load_n(&w->zap_owner, __ATOMIC_RELAXED) != w_self())
		se_shim_fail("zap lock not held");
}

static inline struct world *w_of(struct se_cache *c)
{
	return container_of(c, struct world, c);
}

static inline struct tpage *tp_of(struct se_page *p)
{
	return container_of(p, struct tpage, se);
}

/* ---- freeing: the lifetime rule under test ---- */
static void tp_free_cb(struct rcu_head *head)
{
	struct tpage *q = container_of(head, struct tpage, rcu);
	struct world *w;

	se_rcu_callback_enter(head);		/* before touching *q */
	w = q->w;
	if (__atomic_load_n(&q->magic, __ATOMIC_RELAXED) != TP_ZAPPED)
		se_shim_fail("freeing a page that is not zapped");
	__atomic_store_n(&q->magic, TP_FREED, __ATOMIC_RELAXED);
	free(q);
	__atomic_fetch_add(&w->freed, 1, __ATOMIC_RELAXED);
}

static inline void tp_defer_free(struct tpage *q)
{
#ifdef SE_TEST_BREAK_LIFETIME
	/* Broken on purpose: frees while the sweep may still look (DESIGN 11). */
	tp_free_cb(&q->rcu);
#else
	call_rcu(&q->rcu, tp_free_cb);
#endif
}

/* ---- the zap model (kvm_mmu_prepare_zap_page + commit) ---- */
static inline void w_log(struct world *w, long id)
{
	if (w->nlog < w->log_cap)
		w->log[w->nlog++] = id;
}

static void w_zap_one(struct world *w, struct tpage *q, struct list_head *inv,
		      unsigned long *n)
{
	if (q->invalid)
		return;
	q->invalid = true;
	list_del(&q->active);
	se_remove(&w->c, &q->se);
	__atomic_store_n(&w->slot[q->slot], NULL, __ATOMIC_RELEASE);
	w->free_slots[w->nfree_slots++] = q->slot;
	__atomic_store_n(&q->magic, TP_ZAPPED, __ATOMIC_RELAXED);
	if (w->log)
		w_log(w, q->id);
	if (!q->root_count) {
		list_add_tail(&q->active, inv);
		(*n)++;
	}
	/* else: a zapped root stays, invalid, until its last unpin. */
}

/* Zap lock held.  Zaps @p's whole group; returns pages that will be freed. */
static unsigned long w_zap_page(struct world *w, struct tpage *p, struct list_head *inv)
{
	unsigned long n = 0;
	int i;

	w_assert_locked(w);
	if (p->invalid)
		return 0;
	/* Siblings of a valid page are all valid (groups die together). */
	w_zap_one(w, p, inv, &n);
	for (i = 0; i < p->nsib; i++)
		w_zap_one(w, p->sib[i], inv, &n);
	return n;
}

static void w_commit(struct world *w, struct list_head *inv)
{
	struct tpage *q;

	w_assert_locked(w);
	while (!list_empty(inv)) {
		q = list_first_entry(inv, struct tpage, active);
		list_del(&q->active);
		tp_defer_free(q);
	}
}

static void w_unpin(struct world *w, struct tpage *q)
{
	w_assert_locked(w);
	if (q->root_count <= 0)
		se_shim_fail("unpin of unpinned page");
	if (!__atomic_sub_fetch(&q->root_count, 1, __ATOMIC_RELAXED) && q->invalid)
		tp_defer_free(q);
}

/* ---- se_ops ---- */
static void ops_zap_lock(struct se_cache *c)
{
	struct world *w = w_of(c);

	w_lock(w);
	if (w->on_zap_lock)
		w->on_zap_lock(w);
}

static void ops_zap_unlock(struct se_cache *c)
{
	w_unlock(w_of(c));
}

static void ops_assert(struct se_cache *c)
{
	w_assert_locked(w_of(c));
}

static bool ops_evictable(struct se_cache *c, struct se_page *p)
{
	struct tpage *q = tp_of(p);

	w_assert_locked(w_of(c));
	if (w_of(c)->on_evictable)
		w_of(c)->on_evictable(w_of(c), q);
	return !q->root_count && !q->invalid;
}

static unsigned long ops_zap(struct se_cache *c, struct se_page *p, void *ctx)
{
	struct world *w = w_of(c);
	struct tpage *q = tp_of(p);

	w_assert_locked(w);
	if (__atomic_load_n(&q->magic, __ATOMIC_RELAXED) != TP_LIVE)
		__atomic_fetch_add(&w->bad_lifetime, 1, __ATOMIC_RELAXED);
	if (q->root_count)
		__atomic_fetch_add(&w->bad_root_evicted, 1, __ATOMIC_RELAXED);
	if (q->invalid)
		__atomic_fetch_add(&w->bad_invalid_evicted, 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->core_zaps, 1, __ATOMIC_RELAXED);
	return w_zap_page(w, q, ctx);
}

static void ops_commit(struct se_cache *c, void *ctx)
{
	w_commit(w_of(c), ctx);
}

static __thread unsigned int w_seed = 12345;

static inline unsigned int w_rand(void)
{
	w_seed ^= w_seed << 13;
	w_seed ^= w_seed >> 17;
	w_seed ^= w_seed << 5;
	return w_seed;
}

static bool ops_young(struct se_cache *c, struct se_page *p)
{
	struct world *w = w_of(c);
	struct tpage *q = tp_of(p);
	int m = __atomic_load_n(&q->magic, __ATOMIC_RELAXED);

	if (m != TP_LIVE && m != TP_ZAPPED)
		__atomic_fetch_add(&w->bad_lifetime, 1, __ATOMIC_RELAXED);
	if (w->widen) {
		/* Let the zapper find and zap exactly this page, then look again. */
		__atomic_store_n(&w->looking_at, q->slot, __ATOMIC_RELAXED);
		if (!(w_rand() & 3))
			sched_yield();
		m = __atomic_load_n(&q->magic, __ATOMIC_RELAXED);
		if (m != TP_LIVE && m != TP_ZAPPED)
			__atomic_fetch_add(&w->bad_lifetime, 1, __ATOMIC_RELAXED);
	}
	if (w->young_always)
		return true;
	return __atomic_exchange_n(&q->hw_young, 0, __ATOMIC_RELAXED);
}

/* KVM's hint reads sp->root_count without mmu_lock; ours reads it atomically. */
static bool ops_pinned(struct se_cache *c, struct se_page *p)
{
	struct world *w = w_of(c);

	__atomic_fetch_add(&w->pinned_asks, 1, __ATOMIC_RELAXED);
	return __atomic_load_n(&tp_of(p)->root_count, __ATOMIC_RELAXED) > 0;
}

static void ops_account(struct se_cache *c, const struct se_scan_stats *st)
{
	struct world *w = w_of(c);

	/* Called with and without the zap lock: concurrent calls. */
	__atomic_fetch_add(&w->st_scanned, st->scanned, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->st_ref_skips, st->ref_skips, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->st_young_skips, st->young_skips, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->st_readied, st->readied, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->st_ready_stale, st->ready_stale, __ATOMIC_RELAXED);
	__atomic_fetch_add(&w->st_calls, 1, __ATOMIC_RELAXED);
}

/* Waiters appear once the core has made @contended_after zaps (0: never). */
static bool ops_zap_contended(struct se_cache *c)
{
	struct world *w = w_of(c);

	w_assert_locked(w);
	w->contended_asks++;
	return w->contended_after &&
	       __atomic_load_n(&w->core_zaps, __ATOMIC_RELAXED) >= w->contended_after;
}

static const struct se_ops w_ops = {
	.zap_lock = ops_zap_lock,
	.zap_unlock = ops_zap_unlock,
	.assert_zap_locked = ops_assert,
	.evictable = ops_evictable,
	.zap = ops_zap,
	.commit = ops_commit,
	.test_and_clear_young = ops_young,
	.pinned = ops_pinned,
	.account = ops_account,
	.zap_contended = ops_zap_contended,
};

static void w_init(struct world *w, enum se_policy pol, unsigned int nr_shards,
		   int nslots)
{
	int i;

	memset(w, 0, sizeof(*w));
	pthread_mutex_init(&w->zap_mutex, NULL);
	INIT_LIST_HEAD(&w->active);
	/* Like KVM: one shard at creation, the others added one by one. */
	if (se_cache_init(&w->c, pol, &w_ops, W_MAX_VCPUS + 1))
		se_shim_fail("se_cache_init");
	for (i = 1; i < (int)nr_shards; i++)
		if (se_shard_add(&w->c) != (pol == SE_POLICY_SHARDED ? i : 0))
			se_shim_fail("se_shard_add");
	for (i = 0; i < W_MAX_VCPUS; i++)
		w->vshard[i] = -1;
	w->nslots = nslots;
	w->slot = calloc(nslots, sizeof(*w->slot));
	w->free_slots = calloc(nslots, sizeof(int));
	for (i = 0; i < nslots; i++)
		w->free_slots[i] = nslots - 1 - i;
	w->nfree_slots = nslots;
	w->looking_at = -1;
}

/* A vCPU's own shard, like KVM's vcpu->arch.se_shard; else fold @vcpu. */
static inline unsigned int w_shard_of(struct world *w, int vcpu)
{
	int s = vcpu < W_MAX_VCPUS ? __atomic_load_n(&w->vshard[vcpu], __ATOMIC_RELAXED) : -1;

	return s >= 0 ? (unsigned int)s : (unsigned int)vcpu;
}

/* Zap lock held.  Create a group of @k pages for vCPU @vcpu. */
static struct tpage *w_create(struct world *w, int vcpu, int k)
{
	struct tpage *g[W_MAX_GROUP];
	int i, j;

	w_assert_locked(w);
	if (k > W_MAX_GROUP || w->nfree_slots < k)
		se_shim_fail("out of slots");
	for (i = 0; i < k; i++) {
		struct tpage *q = calloc(1, sizeof(*q));

		q->w = w;
		q->id = w->next_id++;
		q->creator = vcpu;
		q->magic = TP_LIVE;
		q->slot = w->free_slots[--w->nfree_slots];
		se_page_init(&q->se);
		list_add(&q->active, &w->active);
		se_insert(&w->c, &q->se, w_shard_of(w, vcpu));
		g[i] = q;
	}
	for (i = 0; i < k; i++) {
		for (j = 0; j < k; j++)
			if (j != i)
				g[i]->sib[g[i]->nsib++] = g[j];
		/* Publish only fully built pages to lockless touchers. */
		__atomic_store_n(&w->slot[g[i]->slot], g[i], __ATOMIC_RELEASE);
	}
	__atomic_fetch_add(&w->created, k, __ATOMIC_RELAXED);
	return g[0];
}

/* Zap lock held: make_mmu_pages_available().  False when still full. */
static bool w_make_available(struct world *w)
{
	unsigned long avail = se_available(&w->c);
	LIST_HEAD(inv);

	if (avail >= W_MIN_FREE)
		return true;
	/*
	 * Two more from the ready list, as KVM's fault path asks for the
	 * faults behind it (there with only its own need, not the refill).
	 */
	se_reclaim_ahead(&w->c, W_REFILL - avail, 2, &inv);
	return se_available(&w->c) > 0;
}

/*
 * Zap lock held.  Every invariant of the cache: each live page on exactly one
 * ring of the right shard, the hands, the counts, the ready list, FIFO order
 * and the quota (up to @slack); returns a reason or NULL.
 */
static const char *w_check(struct world *w, unsigned long slack)
{
	struct se_cache *c = &w->c;
	unsigned long total = 0, on_active = 0, nready;
	struct list_head *pos, *fpos;
	unsigned int i, nr_shards;

	w_assert_locked(w);
	/* Shards are added without the zap lock: read it like the core does. */
	nr_shards = __atomic_load_n(&c->nr_shards, __ATOMIC_ACQUIRE);
	for (i = 0; i < nr_shards; i++) {
		struct se_shard *s = se_shard_at(c, i);
		unsigned long n = 0;
		bool hand_ok;

		spin_lock(&s->lock);
		hand_ok = s->hand == &s->ring;
		list_for_each(pos, &s->ring) {
			struct tpage *q = tp_of(list_entry(pos, struct se_page, ring));

			if (__atomic_load_n(&q->magic, __ATOMIC_RELAXED) != TP_LIVE ||
			    q->invalid) {
				spin_unlock(&s->lock);
				return "zapped or freed page on a ring";
			}
			if (q->se.shard != (int)i || q->visits++) {
				spin_unlock(&s->lock);
				return "page on two rings or wrong shard";
			}
			if (pos == s->hand)
				hand_ok = true;
			if (++n > c->nr_pages + 1) {
				spin_unlock(&s->lock);
				return "ring longer than nr_pages";
			}
		}
		spin_unlock(&s->lock);
		if (!hand_ok)
			return "hand dangling";
		if (n != s->nr)
			return "shard count mismatch";
		total += n;
	}
	if (total != c->nr_pages)
		return "nr_pages mismatch";

	/* Ready list: live pages that are on a ring, counted exactly. */
	spin_lock(&c->ready_lock);
	nready = 0;
	list_for_each(pos, &c->ready) {
		struct tpage *q = tp_of(list_entry(pos, struct se_page, ready));

		if (__atomic_load_n(&q->magic, __ATOMIC_RELAXED) != TP_LIVE ||
		    q->invalid || q->se.shard == SE_NO_SHARD ||
		    ++nready > c->nr_pages) {
			spin_unlock(&c->ready_lock);
			return "dead, off-ring or repeated page on the ready list";
		}
	}
	/* nr_ready changes under ready_lock alone (the lockless sweep). */
	if (nready != c->nr_ready) {
		spin_unlock(&c->ready_lock);
		return "nr_ready mismatch";
	}
	spin_unlock(&c->ready_lock);
	if (c->policy != SE_POLICY_SHARDED && nready)
		return "ready list used by a policy that has none";

	fpos = c->shard0.ring.next;
	list_for_each(pos, &w->active) {
		struct tpage *q = list_entry(pos, struct tpage, active);

		if (q->visits != 1)
			return "live page not on exactly one ring";
		q->visits = 0;
		on_active++;
		if (c->policy == SE_POLICY_FIFO) {
			if (fpos != &q->se.ring)
				return "FIFO ring order differs from active list";
			fpos = fpos->next;
		}
	}
	if (on_active != total)
		return "live page count mismatch";
	if (c->nr_pages > c->max_pages + slack)
		return "quota exceeded beyond slack";
	return NULL;
}

/* Zap lock held: unpin and zap everything (VM teardown). */
static void w_zap_all(struct world *w)
{
	LIST_HEAD(inv);

	while (!list_empty(&w->active)) {
		struct tpage *q = list_first_entry(&w->active, struct tpage, active);

		w_zap_page(w, q, &inv);
	}
	w_commit(w, &inv);
}

#endif /* SE_HARNESS_H */
