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
	uint64_t per = p->warmup + p->steps, step;
	struct bp_stream *s;
	uint32_t *t, v;
	size_t n;

	*len = 0;
	if (!p->nr_vcpus || !p->nr_regions)
		return NULL;
	n = (size_t)per * p->nr_vcpus;
	s = calloc(p->nr_vcpus, sizeof(*s));
	t = malloc((n ? n : 1) * sizeof(*t));
	if (!s || !t) {
		free(s);
		free(t);
		return NULL;
	}
	for (v = 0; v < p->nr_vcpus; v++)
		bp_stream_init(&s[v], p, v);
	/* Round-robin: an approximation of the real concurrent interleaving. */
	for (step = 0; step < per; step++)
		for (v = 0; v < p->nr_vcpus; v++)
			t[step * p->nr_vcpus + v] = bp_next(p, &s[v]);
	free(s);
	*len = n;
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

/* Evict the oldest inserted page; a hit does not reorder (upstream KVM). */
int sim_fifo(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	     size_t measure_from, struct sim_result *r)
{
	uint8_t *in = calloc(nr_pages ? nr_pages : 1, 1);
	uint32_t *ring = malloc((size_t)cap * sizeof(*ring));
	uint32_t head = 0, used = 0;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!in || !ring || !cap)
		goto out;
	for (i = 0; i < n; i++) {
		uint32_t pg = t[i];

		if (in[pg])
			continue;
		count_miss(r, i, measure_from);
		if (used < cap) {
			ring[used++] = pg;
		} else {
			in[ring[head]] = 0;
			ring[head] = pg;
			head = (head + 1) % cap;
		}
		in[pg] = 1;
	}
	ret = 0;
out:
	free(in);
	free(ring);
	return ret;
}

/*
 * CLOCK (second chance), mirroring the kernel core
 * (kernel/src/arch/x86/kvm/mmu/shadow_evict.c):
 *  - a hit sets the page's referenced bit (se_mark());
 *  - a new page is inserted just behind the hand (__se_ring_add():
 *    list_add_tail(&p->ring, s->hand)), so it gets a full lap before its
 *    first test, with its referenced bit CLEAR (se_page_init() leaves flags
 *    zero; only a later use sets it);
 *  - on a miss with a full cache the hand sweeps from where it stopped,
 *    clearing set bits, and evicts the first page whose bit was clear; the
 *    hand ends just past the victim (__se_hand_step()).
 * With slots in an array that is the classic layout: the new page takes the
 * victim's slot and the hand stays one past it, i.e. the new page is the
 * last one the hand reaches.  While the cache fills, the hand sits at the
 * ring head and pages are appended in insertion order, as in the kernel.
 * Not modelled: the kernel's two-lap give-up (only reachable with
 * concurrent marking), batching to watermarks, hardware Accessed bits.
 */
int sim_clock(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	      size_t measure_from, struct sim_result *r)
{
	return sim_clock_aged(t, n, nr_pages, cap, 0, measure_from, r);
}

int sim_clock_aged(const uint32_t *t, size_t n, uint32_t nr_pages,
		   uint32_t cap, unsigned int max_age, size_t measure_from,
		   struct sim_result *r)
{
	uint32_t *slot_of = malloc((nr_pages ? nr_pages : 1) * sizeof(*slot_of));
	uint32_t *slot = malloc((size_t)cap * sizeof(*slot));
	uint8_t *ref = calloc(cap ? cap : 1, 1);
	uint8_t *age = calloc(cap ? cap : 1, 1);
	uint32_t hand = 0, used = 0;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	if (!slot_of || !slot || !ref || !age || !cap)
		goto out;
	for (i = 0; i < nr_pages; i++)
		slot_of[i] = UINT32_MAX;
	for (i = 0; i < n; i++) {
		uint32_t pg = t[i], s;

		if (slot_of[pg] != UINT32_MAX) {
			ref[slot_of[pg]] = 1;
			continue;
		}
		count_miss(r, i, measure_from);
		if (used < cap) {
			s = used++;
		} else {
			/* Referenced: one more lap of credit; else spend one. */
			for (;;) {
				if (ref[hand]) {
					ref[hand] = 0;
					if (age[hand] < max_age)
						age[hand]++;
				} else if (age[hand]) {
					age[hand]--;
				} else {
					break;
				}
				hand = (hand + 1) % cap;
			}
			s = hand;
			slot_of[slot[s]] = UINT32_MAX;
			hand = (hand + 1) % cap;
		}
		slot[s] = pg;
		ref[s] = 0;
		age[s] = 0;
		slot_of[pg] = s;
	}
	ret = 0;
out:
	free(slot_of);
	free(slot);
	free(ref);
	free(age);
	return ret;
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
