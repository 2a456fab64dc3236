// SPDX-License-Identifier: GPL-2.0
/*
 * sim_core.c: FIFO, CLOCK and Belady's MIN over a trace of region indices.
 * Each region is one last-level shadow page; "capacity" is how many of them
 * fit.  A miss is a touch of a region whose page is not cached.
 */
#include <stdlib.h>
#include <string.h>

#include "sim_core.h"

uint32_t *sim_build_trace(const struct bp_params *p, size_t *len)
{
	return sim_build_trace_sliced(p, 1, len, NULL);
}

uint32_t *sim_build_trace_sliced(const struct bp_params *p, uint64_t slice,
				 size_t *len, uint8_t **who)
{
	uint64_t per = p->warmup + p->steps, phase[2] = { p->warmup, p->steps };
	uint64_t base, k, end;
	struct bp_stream *s;
	uint8_t *w = NULL;
	uint32_t *t, v;
	size_t n, i = 0;
	int ph;

	*len = 0;
	if (who)
		*who = NULL;
	if (!p->nr_vcpus || !p->nr_regions || !slice || p->nr_vcpus > 256)
		return NULL;
	n = (size_t)per * p->nr_vcpus;
	s = calloc(p->nr_vcpus, sizeof(*s));
	t = malloc((n ? n : 1) * sizeof(*t));
	if (who)
		w = malloc(n ? n : 1);
	if (!s || !t || (who && !w)) {
		free(s);
		free(t);
		free(w);
		return NULL;
	}
	for (v = 0; v < p->nr_vcpus; v++)
		bp_stream_init(&s[v], p, v);
	/*
	 * Round-robin by slices: an approximation of the real concurrent
	 * interleaving (slice 1: one step each in turn).
	 */
	for (ph = 0; ph < 2; ph++) {
		for (base = 0; base < phase[ph]; base += slice) {
			end = base + slice < phase[ph] ? base + slice : phase[ph];
			for (v = 0; v < p->nr_vcpus; v++) {
				for (k = base; k < end; k++) {
					if (w)
						w[i] = (uint8_t)v;
					t[i++] = bp_next(p, &s[v]);
				}
			}
		}
	}
	free(s);
	*len = n;
	if (who)
		*who = w;
	return t;
}

static void count_miss(struct sim_result *r, size_t i, size_t measure_from)
{
	r->total++;
	if (i >= measure_from)
		r->measured++;
}

int sim_cold(const uint32_t *t, size_t n, uint32_t nr_pages,
	     size_t measure_from, struct sim_result *r)
{
	uint8_t *seen = calloc(nr_pages ? nr_pages : 1, 1);
	size_t i;

	memset(r, 0, sizeof(*r));
	if (!seen)
		return -1;
	for (i = 0; i < n; i++) {
		if (!seen[t[i]]) {
			seen[t[i]] = 1;
			count_miss(r, i, measure_from);
		}
	}
	free(seen);
	return 0;
}

/* Max-heap of (next use, page) with lazy deletion, for MIN. */
struct heap_ent {
	uint64_t key;
	uint32_t page;
};

struct heap {
	struct heap_ent *e;
	size_t n, cap;
};

static int heap_push(struct heap *h, uint64_t key, uint32_t page)
{
	size_t i, parent;

	if (h->n == h->cap) {
		size_t nc = h->cap ? 2 * h->cap : 1024;
		struct heap_ent *ne = realloc(h->e, nc * sizeof(*ne));

		if (!ne)
			return -1;
		h->e = ne;
		h->cap = nc;
	}
	i = h->n++;
	while (i) {
		parent = (i - 1) / 2;
		if (h->e[parent].key >= key)
			break;
		h->e[i] = h->e[parent];
		i = parent;
	}
	h->e[i].key = key;
	h->e[i].page = page;
	return 0;
}

static struct heap_ent heap_pop(struct heap *h)
{
	struct heap_ent top = h->e[0], last = h->e[--h->n];
	size_t i = 0, c;

	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && h->e[c + 1].key > h->e[c].key)
			c++;
		if (h->e[c].key <= last.key)
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	if (h->n)
		h->e[i] = last;
	return top;
}

/*
 * Pages to evict before a miss inserts its page: none while @free pages are
 * left above the floor; else as many as bring the free count back to the
 * refill mark.  NULL is a plain cache: evict one page when full.  KVM's
 * make_mmu_pages_available() is { KVM_MIN_FREE_MMU_PAGES, KVM_REFILL_PAGES }
 * = { 5, 25 }.
 */
static uint32_t refill_want(const struct sim_model *rf, uint32_t cap,
			    uint32_t used)
{
	uint32_t min_free = rf ? rf->min_free : 1, refill = rf ? rf->refill : 1;
	uint32_t avail = cap - used;

	if (avail >= min_free)
		return 0;
	/* Never more than the cache holds, however the marks are set. */
	return refill - avail < used ? refill - avail : used;
}

int sim_model_valid(const struct sim_model *rf, uint32_t cap)
{
	return !rf || (rf->min_free >= 1 && rf->refill >= rf->min_free &&
		       rf->refill < cap);
}

/* Evict the oldest inserted page; a hit does not reorder (upstream KVM). */
int sim_fifo(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	     size_t measure_from, struct sim_result *r)
{
	return sim_fifo_r(t, n, nr_pages, cap, NULL, measure_from, r);
}

int sim_fifo_r(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	       const struct sim_model *rf, size_t measure_from,
	       struct sim_result *r)
{
	uint8_t *in = calloc(nr_pages ? nr_pages : 1, 1);
	uint32_t *ring = malloc((size_t)cap * sizeof(*ring));
	uint32_t head = 0, used = 0, want;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!in || !ring || !cap || !sim_model_valid(rf, cap))
		goto out;
	for (i = 0; i < n; i++) {
		uint32_t pg = t[i];

		if (in[pg])
			continue;
		count_miss(r, i, measure_from);
		/* ring[head .. head + used) in insertion order, oldest first. */
		for (want = refill_want(rf, cap, used); want; want--, used--) {
			in[ring[head]] = 0;
			head = (head + 1) % cap;
		}
		ring[(head + used++) % cap] = pg;
		in[pg] = 1;
	}
	ret = 0;
out:
	free(in);
	free(ring);
	return ret;
}

/*
 * The hand's visit to @pos: referenced, it gains a lap of credit (up to
 * @max_age) and stays; unreferenced, it spends one if it has any and
 * stays; otherwise it is the victim.  Returns 1 if it stays.
 */
static int hand_keeps(uint8_t *ref, uint8_t *age, uint32_t pos,
		      unsigned int max_age)
{
	if (ref[pos]) {
		ref[pos] = 0;
		if (age[pos] < max_age)
			age[pos]++;
		return 1;
	}
	if (age[pos]) {
		age[pos]--;
		return 1;
	}
	return 0;
}

/* Ring links: take @pos off; put @pg just before @at (list_add_tail()). */
static void ring_del(uint32_t *next, uint32_t *prev, uint32_t pos)
{
	next[prev[pos]] = next[pos];
	prev[next[pos]] = prev[pos];
}

static void ring_add_before(uint32_t *next, uint32_t *prev, uint32_t pg,
			    uint32_t at)
{
	prev[pg] = prev[at];
	next[pg] = at;
	next[prev[at]] = pg;
	prev[at] = pg;
}

/*
 * CLOCK (second chance), mirroring the kernel core
 * (kernel/src/arch/x86/kvm/mmu/shadow_evict.c), with the ring as a list:
 *  - a hit sets the page's referenced bit (se_mark());
 *  - a new page is inserted just behind the hand (__se_ring_add():
 *    list_add_tail(&p->ring, s->hand)), so it gets a full lap before its
 *    first test, with its referenced bit CLEAR (se_page_init() leaves flags
 *    zero; only a later use sets it);
 *  - to evict, the hand sweeps from where it stopped, clearing set bits,
 *    and takes the first page whose bit was clear; the hand ends just past
 *    the victim (__se_hand_step()), so the next new page goes where the
 *    victim was.
 * Not modelled: the kernel's two-lap give-up (only reachable with
 * concurrent marking) and hardware Accessed bits.
 */
int sim_clock(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	      size_t measure_from, struct sim_result *r)
{
	return sim_clock_r(t, n, nr_pages, cap, 0, NULL, measure_from, r);
}

int sim_clock_aged(const uint32_t *t, size_t n, uint32_t nr_pages,
		   uint32_t cap, unsigned int max_age, size_t measure_from,
		   struct sim_result *r)
{
	return sim_clock_r(t, n, nr_pages, cap, max_age, NULL, measure_from, r);
}

int sim_clock_r(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
		unsigned int max_age, const struct sim_model *rf,
		size_t measure_from, struct sim_result *r)
{
	/* Pages 0..nr_pages-1 and the ring head, nr_pages. */
	size_t np = (size_t)nr_pages + 1;
	uint32_t *next = malloc(np * sizeof(*next));
	uint32_t *prev = malloc(np * sizeof(*prev));
	uint8_t *in = calloc(np, 1), *ref = calloc(np, 1), *age = calloc(np, 1);
	uint32_t head = nr_pages, hand = nr_pages, used = 0, want, pos;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!next || !prev || !in || !ref || !age || !cap ||
	    !sim_model_valid(rf, cap))
		goto out;
	next[head] = prev[head] = head;
	for (i = 0; i < n; i++) {
		uint32_t pg = t[i];

		if (in[pg]) {
			ref[pg] = 1;
			continue;
		}
		count_miss(r, i, measure_from);
		for (want = refill_want(rf, cap, used); want; want--) {
			do {
				pos = hand == head ? next[head] : hand;
				hand = next[pos];
			} while (hand_keeps(ref, age, pos, max_age));
			ring_del(next, prev, pos);
			in[pos] = 0;
			used--;
		}
		/* list_add_tail(new, hand): just before the hand. */
		ring_add_before(next, prev, pg, hand);
		in[pg] = 1;
		ref[pg] = rf && rf->new_referenced;
		age[pg] = 0;
		used++;
	}
	ret = 0;
out:
	free(next);
	free(prev);
	free(in);
	free(ref);
	free(age);
	return ret;
}

/* The kernel's SE_SWEEP_ROUND: hand steps per round of the sweep. */
#define SIM_SWEEP_ROUND	32

uint32_t sim_quantum(enum sim_quanta quanta, uint32_t nr, uint32_t total,
		     uint64_t *carry)
{
	uint64_t q;

	if (quanta == SIM_QUANTA_KERNEL) {
		q = 1 + (uint64_t)nr * SIM_SWEEP_ROUND / total;
	} else {
		*carry += (uint64_t)nr * SIM_SWEEP_ROUND;
		q = *carry / total;
		*carry %= total;
	}
	return q < nr ? (uint32_t)q : nr;
}

/*
 * The sharded policy's victims, as se_sweep_next() finds them on the
 * worker's collect and in direct reclaim: the sweep keeps its place (ring
 * and steps left) between evictions; a ring's turn gives it a quantum of
 * hand steps; an empty ring passes its turn on.  Each ring is a CLOCK as in
 * sim_clock_r() (new pages just behind its hand, the same aging).  Not
 * modelled: the worker running ahead of need, the ready list, the scan
 * budgets, pages zapped with their parents.
 */
int sim_sharded_r(const uint32_t *t, const uint8_t *who, size_t n,
		  uint32_t nr_pages, uint32_t cap, uint32_t nr_shards,
		  enum sim_quanta quanta, unsigned int max_age,
		  const struct sim_model *rf, size_t measure_from,
		  struct sim_result *r)
{
	/* Pages 0..nr_pages-1, then one ring head per shard. */
	size_t np = (size_t)nr_pages + nr_shards;
	uint32_t *next = malloc(np * sizeof(*next));
	uint32_t *prev = malloc(np * sizeof(*prev));
	uint32_t *hand = malloc((nr_shards ? nr_shards : 1) * sizeof(*hand));
	uint32_t *nr = calloc(nr_shards ? nr_shards : 1, sizeof(*nr));
	uint64_t *carry = calloc(nr_shards ? nr_shards : 1, sizeof(*carry));
	uint8_t *in = calloc(np, 1), *ref = calloc(np, 1), *age = calloc(np, 1);
	uint8_t *shard = calloc(np, 1);
	uint32_t used = 0, want, pos, sh, cursor = 0, left = 0, empty, head;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!next || !prev || !hand || !nr || !carry || !in || !ref || !age ||
	    !shard || !cap || !nr_shards || nr_shards > 256 ||
	    !sim_model_valid(rf, cap))
		goto out;
	for (sh = 0; sh < nr_shards; sh++) {
		head = nr_pages + sh;
		next[head] = prev[head] = hand[sh] = head;
	}
	for (i = 0; i < n; i++) {
		uint32_t pg = t[i];

		if (in[pg]) {
			ref[pg] = 1;
			continue;
		}
		if (who[i] >= nr_shards)
			goto out;
		count_miss(r, i, measure_from);
		for (want = refill_want(rf, cap, used); want; want--) {
			for (empty = 0;;) {
				sh = cursor;
				head = nr_pages + sh;
				if (!nr[sh]) {
					/* An empty ring passes its turn on. */
					if (++empty > nr_shards)
						goto out;	/* cannot happen */
					left = 0;
					cursor = (cursor + 1) % nr_shards;
					continue;
				}
				empty = 0;
				if (!left) {
					left = sim_quantum(quanta, nr[sh], used,
							   &carry[sh]);
					if (!left) {
						/* Less than a step this round. */
						cursor = (cursor + 1) % nr_shards;
						continue;
					}
				}
				pos = hand[sh] == head ? next[head] : hand[sh];
				hand[sh] = next[pos];
				if (!--left)
					cursor = (cursor + 1) % nr_shards;
				if (!hand_keeps(ref, age, pos, max_age))
					break;
			}
			ring_del(next, prev, pos);
			in[pos] = 0;
			nr[shard[pos]]--;
			used--;
		}
		/* list_add_tail(new, hand) on the missing vCPU's ring. */
		sh = who[i];
		ring_add_before(next, prev, pg, hand[sh]);
		in[pg] = 1;
		ref[pg] = rf && rf->new_referenced;
		age[pg] = 0;
		shard[pg] = (uint8_t)sh;
		nr[sh]++;
		used++;
	}
	ret = 0;
out:
	free(next);
	free(prev);
	free(hand);
	free(nr);
	free(carry);
	free(in);
	free(ref);
	free(age);
	free(shard);
	return ret;
}

/*
 * A frequency oracle ("LFU*"): on eviction, take the cached page with the
 * fewest accesses over the whole trace (ties: the lower region index).  It
 * knows each region's long-run popularity but not the order of accesses:
 * under independent references (hotcold) that is the best any policy
 * without foresight can do in expectation (the A0 policy), a bound for
 * what a better referenced signal could reach.  It cannot decline a page:
 * a shadow-page fault must build the page it misses.
 */
int sim_lfu_oracle(const uint32_t *t, size_t n, uint32_t nr_pages,
		   uint32_t cap, const struct sim_model *rf,
		   size_t measure_from, struct sim_result *r)
{
	size_t np = nr_pages ? nr_pages : 1;
	uint64_t *cnt = calloc(np, sizeof(*cnt));
	uint8_t *in = calloc(np, 1);
	/* Min-heap by (count, page): counts never change, so no staleness. */
	struct heap h = { 0 };
	uint32_t used = 0, want;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!cnt || !in || !cap || !sim_model_valid(rf, cap))
		goto out;
	for (i = 0; i < n; i++)
		cnt[t[i]]++;
	for (i = 0; i < n; i++) {
		uint32_t pg = t[i];

		if (in[pg])
			continue;
		count_miss(r, i, measure_from);
		for (want = refill_want(rf, cap, used); want; want--, used--) {
			struct heap_ent v = heap_pop(&h);

			in[v.page] = 0;
		}
		/* Max-heap code with the key inverted: pops the fewest accesses. */
		if (heap_push(&h, ~((cnt[pg] << 24) | pg), pg))
			goto out;
		in[pg] = 1;
		used++;
	}
	ret = 0;
out:
	free(cnt);
	free(in);
	free(h.e);
	return ret;
}

/*
 * Belady's MIN: on a miss with a full cache, evict the cached page whose
 * next use is farthest away (never = n).  O(n log n): next uses are
 * precomputed backwards; the heap holds one live entry per cached page
 * (key == cur[page]) plus stale ones, skipped when popped and purged when
 * they outnumber the live ones.  MIN minimises the total misses; the
 * measured-phase share is reported as is.
 */
int sim_min(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	    size_t measure_from, struct sim_result *r)
{
	size_t np = nr_pages ? nr_pages : 1;
	uint64_t *next = malloc((n ? n : 1) * sizeof(*next));
	uint64_t *last = malloc(np * sizeof(*last));
	uint64_t *cur = malloc(np * sizeof(*cur));
	uint8_t *in = calloc(np, 1);
	struct heap h = { 0 };
	uint32_t used = 0, pg;
	size_t i, j, k;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!next || !last || !cur || !in || !cap)
		goto out;
	for (i = 0; i < np; i++)
		last[i] = n;
	for (i = n; i-- > 0;) {
		next[i] = last[t[i]];
		last[t[i]] = i;
	}
	for (i = 0; i < n; i++) {
		pg = t[i];
		if (!in[pg]) {
			count_miss(r, i, measure_from);
			if (used < cap) {
				used++;
			} else {
				struct heap_ent v;

				do {
					if (!h.n)	/* cannot happen */
						goto out;
					v = heap_pop(&h);
				} while (!in[v.page] || cur[v.page] != v.key);
				in[v.page] = 0;
			}
			in[pg] = 1;
		}
		cur[pg] = next[i];
		if (heap_push(&h, next[i], pg))
			goto out;
		if (h.n > 4 * (size_t)cap + 1024) {
			/* Purge stale entries: keep exactly the live ones. */
			for (j = 0, k = 0; j < h.n; j++) {
				struct heap_ent e = h.e[j];

				if (in[e.page] && cur[e.page] == e.key) {
					/* Mark taken so a duplicate is dropped. */
					h.e[k++] = e;
					cur[e.page] = ~cur[e.page];
				}
			}
			h.n = 0;
			for (j = 0; j < k; j++) {
				struct heap_ent e = h.e[j];

				cur[e.page] = ~cur[e.page];
				if (heap_push(&h, e.key, e.page))
					goto out;
			}
		}
	}
	ret = 0;
out:
	free(next);
	free(last);
	free(cur);
	free(in);
	free(h.e);
	return ret;
}
