// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of sim_core.c: hand-computed traces, properties on the five
 * benchmark patterns.  Exit status 1 on any failed check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_core.h"

static int failures, checks;

#define CHECK_EQ(what, got, want) do {					\
	uint64_t g_ = (got), w_ = (want);				\
	checks++;							\
	if (g_ != w_) {							\
		failures++;						\
		printf("FAIL %s:%d: %s = %" PRIu64 ", want %" PRIu64 "\n",\
		       __FILE__, __LINE__, what, g_, w_);		\
	}								\
} while (0)

#define CHECK(what, cond) do {						\
	checks++;							\
	if (!(cond)) {							\
		failures++;						\
		printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, what);	\
	}								\
} while (0)

typedef int (*replay_fn)(const uint32_t *, size_t, uint32_t, uint32_t,
			 size_t, struct sim_result *);

static struct sim_result run(replay_fn fn, const uint32_t *t, size_t n,
			     uint32_t cap, size_t mf)
{
	struct sim_result r;
	uint32_t max = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i] > max)
			max = t[i];
	if (fn(t, n, max + 1, cap, mf, &r)) {
		printf("FAIL: replay returned an error\n");
		exit(1);
	}
	return r;
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_hand_traces(void)
{
	/* Belady's anomaly trace. */
	static const uint32_t a[] = { 1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5 };
	/* One hot page among cold ones: second chance keeps it. */
	static const uint32_t b[] = { 1, 2, 1, 3, 1, 4, 1 };
	struct sim_result r;

	/* FIFO: 9 misses at 3 pages, 10 at 4 (the anomaly). */
	CHECK_EQ("fifo a cap3", run(sim_fifo, a, N(a), 3, 0).total, 9);
	CHECK_EQ("fifo a cap4", run(sim_fifo, a, N(a), 4, 0).total, 10);
	/* MIN: 7 and 6 (textbook). */
	CHECK_EQ("min a cap3", run(sim_min, a, N(a), 3, 0).total, 7);
	CHECK_EQ("min a cap4", run(sim_min, a, N(a), 4, 0).total, 6);
	/*
	 * CLOCK, new pages unreferenced behind the hand (worked by hand):
	 * 1 2 3 miss; 4 evicts 1, 1 evicts 2, 2 evicts 3, 5 evicts 4;
	 * 1 2 hit (bits set); 3 clears 1, 2, evicts 5; 4 evicts 1;
	 * 5 evicts 2: 10 misses.
	 */
	CHECK_EQ("clock a cap3", run(sim_clock, a, N(a), 3, 0).total, 10);
	/*
	 * cap 4: 1-4 miss; 1 2 hit; 5 clears 1 2, evicts 3; 1 2 hit;
	 * 3 evicts 4; 4 clears 1 2, evicts 5; 5 evicts 3: 8 misses.
	 */
	r = run(sim_clock, a, N(a), 4, 0);
	CHECK_EQ("clock a cap4", r.total, 8);

	CHECK_EQ("fifo b cap2", run(sim_fifo, b, N(b), 2, 0).total, 5);
	CHECK_EQ("clock b cap2", run(sim_clock, b, N(b), 2, 0).total, 4);
	CHECK_EQ("min b cap2", run(sim_min, b, N(b), 2, 0).total, 4);

	/* Measured share: from position 6 of a (the "5"), FIFO cap 3. */
	r = run(sim_fifo, a, N(a), 3, 6);
	/* FIFO a cap3 misses at positions 0-6, 9, 10: measured 6, 9, 10. */
	CHECK_EQ("fifo a cap3 total", r.total, 9);
	CHECK_EQ("fifo a cap3 measured", r.measured, 3);
	r = run(sim_min, a, N(a), 3, 6);
	/* MIN a cap3 misses at 0-3, 6, 9, 10 -> measured 6, 9, 10. */
	CHECK_EQ("min a cap3 measured", r.measured, 3);
	r = run(sim_clock, a, N(a), 3, 7);
	/* CLOCK a cap3 misses at 0-6, 9, 10, 11 -> from 7: 3. */
	CHECK_EQ("clock a cap3 measured", r.measured, 3);

	/* Capacity 1: every change of page is a miss. */
	{
		static const uint32_t c[] = { 0, 0, 1, 1, 0, 2, 2, 2, 0 };

		CHECK_EQ("fifo cap1", run(sim_fifo, c, N(c), 1, 0).total, 5);
		CHECK_EQ("clock cap1", run(sim_clock, c, N(c), 1, 0).total, 5);
		CHECK_EQ("min cap1", run(sim_min, c, N(c), 1, 0).total, 5);
	}

	/*
	 * Aged CLOCK, cap 2, trace 1 1 2 3 4 1 (worked by hand): 1 miss, hit
	 * (ref); 2 miss; 3: 1's ref becomes a lap of credit, 2 evicted; 4: 1
	 * spends its credit, 3 evicted; 1 hits: 4 misses.  Plain CLOCK
	 * evicts 1 at the 4 and misses it again: 5.  Age 0 is plain CLOCK.
	 */
	{
		static const uint32_t d[] = { 1, 1, 2, 3, 4, 1 };

		CHECK_EQ("clock d cap2", run(sim_clock, d, N(d), 2, 0).total, 5);
		r.total = 99;
		sim_clock_aged(d, N(d), 5, 2, 1, 0, &r);
		CHECK_EQ("aged1 d cap2", r.total, 4);
		sim_clock_aged(d, N(d), 5, 2, 0, 0, &r);
		CHECK_EQ("aged0 d cap2", r.total, 5);
		sim_clock_aged(a, N(a), 6, 3, 0, 0, &r);
		CHECK_EQ("aged0 a cap3 == clock", r.total, 10);
	}
}

/* MIN against brute force over every eviction choice, on small traces. */
static uint64_t brute(const uint32_t *t, size_t n, size_t i, uint32_t *cache,
		      uint32_t used, uint32_t cap)
{
	uint64_t best = UINT64_MAX, m;
	uint32_t j, k, saved;

	for (; i < n; i++) {
		for (j = 0; j < used && cache[j] != t[i]; j++)
			;
		if (j < used)
			continue;
		if (used < cap) {
			cache[used] = t[i];
			m = brute(t, n, i + 1, cache, used + 1, cap);
			return m + 1;
		}
		for (k = 0; k < used; k++) {
			saved = cache[k];
			cache[k] = t[i];
			m = brute(t, n, i + 1, cache, used, cap);
			cache[k] = saved;
			if (m < best)
				best = m;
		}
		return best + 1;
	}
	return 0;
}

static void test_min_brute(void)
{
	uint64_t seed = 12345;
	uint32_t t[14], cache[4];
	int round;
	size_t i;

	for (round = 0; round < 200; round++) {
		uint32_t cap = 1 + round % 3, pages = 3 + round % 4;

		for (i = 0; i < N(t); i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			t[i] = (uint32_t)(seed >> 33) % pages;
		}
		CHECK_EQ("min == brute-force optimum",
			 run(sim_min, t, N(t), cap, 0).total,
			 brute(t, N(t), 0, cache, 0, cap));
	}
}

/*
 * MIN against a plain O(n * cap) farthest-next-use scan on traces long
 * enough to make sim_min() purge its heap.  Totals only: ties between
 * never-used-again pages may move misses between warm-up and measured.
 */
static uint64_t naive_min(const uint32_t *t, size_t n, uint32_t cap)
{
	uint32_t *cache = malloc(cap * sizeof(*cache)), used = 0, j, far;
	size_t i, k, best, d;
	uint64_t misses = 0;

	for (i = 0; i < n; i++) {
		for (j = 0; j < used && cache[j] != t[i]; j++)
			;
		if (j < used)
			continue;
		misses++;
		if (used < cap) {
			cache[used++] = t[i];
			continue;
		}
		for (j = 0, far = 0, best = 0; j < used; j++) {
			for (k = i + 1; k < n && t[k] != cache[j]; k++)
				;
			d = k - i;
			if (d > best) {
				best = d;
				far = j;
			}
		}
		cache[far] = t[i];
	}
	free(cache);
	return misses;
}

static void test_min_naive(void)
{
	static const uint32_t caps[] = { 3, 17, 60 };
	uint32_t pat, ci;

	for (pat = 0; pat < BP_NR_PATTERNS; pat++) {
		struct bp_params p = {
			.pattern = pat, .nr_regions = 200, .nr_vcpus = 3,
			.hot_pct = 10, .hot_hit_pct = 90,
			.warmup = 100, .steps = 1900, .seed = 11,
		};
		size_t n;
		uint32_t *t = sim_build_trace(&p, &n);

		for (ci = 0; ci < N(caps); ci++)
			CHECK_EQ("min == naive farthest-next-use",
				 run(sim_min, t, n, caps[ci], 0).total,
				 naive_min(t, n, caps[ci]));
		free(t);
	}
}

static void test_patterns(void)
{
	static const uint32_t caps[] = { 4, 13, 25, 50, 100 };
	uint32_t pat, v, ci;

	for (pat = 0; pat < BP_NR_PATTERNS; pat++) {
		for (v = 1; v <= 4; v *= 4) {
			struct bp_params p = {
				.pattern = pat, .nr_regions = 128, .nr_vcpus = v,
				.hot_pct = 10, .hot_hit_pct = 90,
				.warmup = 500, .steps = 3000, .seed = 7,
			};
			struct sim_result f, c, m, cold;
			size_t n, mf = p.warmup * v;
			uint32_t *t = sim_build_trace(&p, &n);
			char what[128];

			CHECK("trace built", t && n == (p.warmup + p.steps) * v);
			if (!t)
				continue;
			sim_cold(t, n, p.nr_regions, mf, &cold);
			for (ci = 0; ci < N(caps); ci++) {
				sim_fifo(t, n, p.nr_regions, caps[ci], mf, &f);
				sim_clock(t, n, p.nr_regions, caps[ci], mf, &c);
				sim_min(t, n, p.nr_regions, caps[ci], mf, &m);
				snprintf(what, sizeof(what),
					 "%s v%u cap%u: min %" PRIu64 "/%" PRIu64
					 " <= fifo %" PRIu64 "/%" PRIu64
					 ", clock %" PRIu64 "/%" PRIu64
					 " (measured/total)",
					 bp_pattern_name(pat), v, caps[ci],
					 m.measured, m.total, f.measured, f.total,
					 c.measured, c.total);
				/* A theorem for the totals ... */
				CHECK(what, m.total <= f.total && m.total <= c.total);
				/* ... and expected for the measured share. */
				CHECK(what, m.measured <= f.measured &&
					    m.measured <= c.measured);
				CHECK(what, m.total >= cold.total);
			}
			/* Everything fits: only compulsory misses. */
			sim_fifo(t, n, p.nr_regions, p.nr_regions, mf, &f);
			sim_clock(t, n, p.nr_regions, p.nr_regions + 5, mf, &c);
			sim_min(t, n, p.nr_regions, p.nr_regions, mf, &m);
			CHECK_EQ("fifo cap>=distinct total", f.total, cold.total);
			CHECK_EQ("clock cap>=distinct total", c.total, cold.total);
			CHECK_EQ("min cap>=distinct total", m.total, cold.total);
			CHECK_EQ("fifo cap>=distinct measured", f.measured, cold.measured);
			CHECK_EQ("clock cap>=distinct measured", c.measured, cold.measured);
			CHECK_EQ("min cap>=distinct measured", m.measured, cold.measured);
			free(t);
		}
	}
}

/*
 * Loop over more regions than fit.  One vCPU: FIFO and CLOCK miss every
 * measured access (the classic worst case).  V vCPUs walk the same circle
 * n/V regions apart, so each region is touched V times a lap.  If only the
 * first touch of a lap misses, FIFO inserts one page a step and the last
 * trailing vCPU arrives n(V-1)/V insertions later: it hits iff that is
 * < capacity.  So at capacity 99 of 100 the first touch misses and the rest
 * hit (one miss per step, a 1/V rate), while at capacity 50 <= n(V-1)/V
 * every measured access misses, as with one vCPU.
 */
static void test_loop(void)
{
	static const uint32_t vcpus[] = { 1, 2, 3, 4, 16 };
	unsigned int i;

	for (i = 0; i < N(vcpus); i++) {
		struct bp_params p = {
			.pattern = BP_LOOP, .nr_regions = 100,
			.nr_vcpus = vcpus[i], .hot_pct = 10, .hot_hit_pct = 90,
			.warmup = 300, .steps = 1000, .seed = 1,
		};
		struct sim_result f, c, m;
		size_t n, mf = p.warmup * p.nr_vcpus;
		uint32_t *t = sim_build_trace(&p, &n);

		sim_fifo(t, n, p.nr_regions, 99, mf, &f);
		sim_clock(t, n, p.nr_regions, 99, mf, &c);
		sim_min(t, n, p.nr_regions, 99, mf, &m);
		CHECK_EQ("loop fifo cap99 measured = one per step", f.measured, p.steps);
		CHECK_EQ("loop clock cap99 measured = one per step", c.measured, p.steps);
		if (p.nr_vcpus == 1)
			CHECK_EQ("loop fifo 1 vCPU: 100 % misses", f.measured, n - mf);
		CHECK("loop min cap99 < all", m.measured < (n - mf) / 2);
		sim_fifo(t, n, p.nr_regions, 50, mf, &f);
		CHECK_EQ("loop fifo cap50 measured = all", f.measured, n - mf);
		sim_clock(t, n, p.nr_regions, 50, mf, &c);
		CHECK_EQ("loop clock cap50 measured = all", c.measured, n - mf);
		free(t);
	}
}

/* Same parameters, same trace; vCPU streams independent of vCPU count. */
static void test_trace(void)
{
	struct bp_params p = {
		.pattern = BP_HOTCOLD, .nr_regions = 64, .nr_vcpus = 3,
		.hot_pct = 10, .hot_hit_pct = 90, .warmup = 10, .steps = 50,
		.seed = 99,
	};
	struct bp_stream s;
	size_t n1, n2, i, bad = 0;
	uint32_t *t1 = sim_build_trace(&p, &n1), *t2 = sim_build_trace(&p, &n2);

	CHECK_EQ("trace length", n1, 180);
	for (i = 0; i < n1; i++)
		bad += t1[i] != t2[i] || t1[i] >= 64;
	CHECK_EQ("trace deterministic and in range", bad, 0);
	/* Round-robin: position step * V + v is vCPU v's step. */
	bp_stream_init(&s, &p, 2);
	for (i = 0, bad = 0; i < 60; i++)
		bad += bp_next(&p, &s) != t1[i * 3 + 2];
	CHECK_EQ("round-robin interleaving", bad, 0);
	free(t1);
	free(t2);
}

/* Refill batches and the frequency oracle (the referenced-signal study). */
static struct sim_result run_r(int kind, const uint32_t *t, size_t n,
			       uint32_t cap, unsigned int age,
			       const struct sim_model *rf)
{
	struct sim_result r;
	uint32_t max = 0;
	size_t i;
	int err;

	for (i = 0; i < n; i++)
		if (t[i] > max)
			max = t[i];
	if (kind == 0)
		err = sim_fifo_r(t, n, max + 1, cap, rf, 0, &r);
	else if (kind == 1)
		err = sim_clock_r(t, n, max + 1, cap, age, rf, 0, &r);
	else
		err = sim_lfu_oracle(t, n, max + 1, cap, rf, 0, &r);
	if (err) {
		printf("FAIL: replay returned an error\n");
		exit(1);
	}
	return r;
}

static void test_refill_and_oracle(void)
{
	/* Traces worked by hand below. */
	static const uint32_t a[] = { 0, 1, 2, 3, 0, 2, 1 };
	static const uint32_t b[] = { 0, 0, 0, 1, 2, 1, 2, 3, 0 };
	struct sim_model r23 = { 2, 3, 0 }, one = { 1, 1, 0 }, bad = { 3, 2, 0 };
	struct sim_result res;
	uint64_t seed = 777;
	uint32_t t[400];
	int round;
	size_t i;

	/*
	 * cap 4, evict down to 3 free when fewer than 2 are free: 0 1 2 fill;
	 * 3 evicts 0 and 1; 0 fills; 2 hits; 1 evicts 2 and 3: 6 misses.
	 */
	CHECK_EQ("fifo refill {2,3} cap4", run_r(0, a, N(a), 4, 0, &r23).total, 6);
	/*
	 * CLOCK: the same until 2's hit marks it; then 1 sweeps past 2
	 * (clearing its mark) and evicts 3 and 0: also 6 misses.
	 */
	CHECK_EQ("clock refill {2,3} cap4", run_r(1, a, N(a), 4, 0, &r23).total, 6);
	/*
	 * Counts 0:4 1:2 2:2 3:1, cap 2: 0; 1; 2 evicts 1; 1 evicts 2;
	 * 2 evicts 1; 3 evicts 2; 0 hits: 6 misses.
	 */
	CHECK_EQ("lfu* b cap2", run_r(2, b, N(b), 2, 0, NULL).total, 6);
	res = run_r(2, b, N(b), 2, 0, NULL);
	CHECK("lfu* b cap2 >= min", res.total >= run(sim_min, b, N(b), 2, 0).total);
	CHECK("refill {3,2} refused", sim_model_valid(&bad, 4) == 0);
	CHECK("refill {2,4} refused at cap 4",
	      sim_model_valid(&(struct sim_model){ 2, 4, 0 }, 4) == 0);

	for (round = 0; round < 100; round++) {
		uint32_t cap = 2 + round % 7, pages = 4 + round % 13;

		for (i = 0; i < N(t); i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			/* Skewed: low pages more often. */
			t[i] = (uint32_t)((seed >> 33) % pages * ((seed >> 20) % pages) / pages);
		}
		/* { 1, 1 } is the plain cache. */
		CHECK_EQ("fifo {1,1} == fifo", run_r(0, t, N(t), cap, 0, &one).total,
			 run(sim_fifo, t, N(t), cap, 0).total);
		CHECK_EQ("clock {1,1} == clock", run_r(1, t, N(t), cap, 0, &one).total,
			 run(sim_clock, t, N(t), cap, 0).total);
		CHECK_EQ("lfu* {1,1} == lfu*", run_r(2, t, N(t), cap, 0, &one).total,
			 run_r(2, t, N(t), cap, 0, NULL).total);
		/* MIN is optimal over the whole trace, so no policy beats it. */
		CHECK("min <= lfu*", run(sim_min, t, N(t), cap, 0).total <=
		      run_r(2, t, N(t), cap, 0, NULL).total);
	}
}

/* Sliced traces: each vCPU's own sequence intact, phases apart. */
static void test_slices(void)
{
	struct bp_params p = {
		.pattern = BP_PRIVATE, .nr_regions = 96, .nr_vcpus = 4,
		.hot_pct = 10, .hot_hit_pct = 90, .warmup = 25, .steps = 70,
		.seed = 5,
	};
	static const uint64_t slices[] = { 1, 3, 10, 25, 70, 1000 };
	size_t n, n1, i, j, bad, head;
	uint32_t *t, *t1 = sim_build_trace(&p, &n1), v;
	uint8_t *who;
	struct bp_stream s;

	for (j = 0; j < N(slices); j++) {
		t = sim_build_trace_sliced(&p, slices[j], &n, &who);
		CHECK("sliced trace built", t && who);
		if (!t || !who)
			return;
		CHECK_EQ("sliced trace length", n, 380);
		/* Filtered by vCPU, the trace is that vCPU's stream. */
		for (v = 0, bad = 0; v < 4; v++) {
			bp_stream_init(&s, &p, v);
			for (i = 0; i < n; i++)
				if (who[i] == v)
					bad += bp_next(&p, &s) != t[i];
		}
		CHECK_EQ("each vCPU's own sequence", bad, 0);
		/* The warm-up fills exactly the first warmup * V positions. */
		for (v = 0, bad = 0; v < 4; v++) {
			for (i = 0, head = 0; i < 100; i++)
				head += who[i] == v;
			bad += head != 25;
		}
		CHECK_EQ("warm-up positions", bad, 0);
		/* The first turn is vCPU 0's, min(slice, warmup) steps long. */
		for (i = 0, head = 0; i < n && who[i] == 0; i++)
			head++;
		CHECK_EQ("first turn", head, slices[j] < 25 ? slices[j] : 25);
		if (slices[j] == 1) {
			for (i = 0, bad = 0; i < n; i++)
				bad += t[i] != t1[i] || who[i] != i % 4;
			CHECK_EQ("slice 1 is round-robin", bad, 0);
		}
		free(t);
		free(who);
	}
	CHECK("slice 0 refused", !sim_build_trace_sliced(&p, 0, &n, NULL));
	free(t1);
}

/* The sharded policy's quanta and replay. */
static void test_sharded(void)
{
	struct sim_model rf = { 5, 25, 0 }, one = { 1, 1, 0 };
	uint64_t carry[3] = { 0, 0, 0 }, seed = 4242, steps[3] = { 0, 0, 0 };
	struct sim_result a, b;
	uint8_t who[600], all0[600];
	uint32_t t[600], nr[3] = { 60, 30, 10 }, q;
	int round, k;
	size_t i;

	/* se_quantum(): min(1 + nr * 32 / total, nr). */
	CHECK_EQ("kernel quantum 5 of 89", sim_quantum(SIM_QUANTA_KERNEL, 5, 89, carry), 2);
	CHECK_EQ("kernel quantum 1 of 89", sim_quantum(SIM_QUANTA_KERNEL, 1, 89, carry), 1);
	CHECK_EQ("kernel quantum 2 of 89", sim_quantum(SIM_QUANTA_KERNEL, 2, 89, carry), 1);
	CHECK_EQ("kernel quantum 60 of 64", sim_quantum(SIM_QUANTA_KERNEL, 60, 64, carry), 31);
	CHECK_EQ("kernel quantum at most a lap", sim_quantum(SIM_QUANTA_KERNEL, 3, 4, carry), 3);
	CHECK_EQ("kernel quantum carries nothing", carry[0], 0);
	/* Fair: over 100 rounds of 100 pages, 32 * nr steps exactly. */
	for (round = 0; round < 100; round++)
		for (k = 0; k < 3; k++)
			steps[k] += sim_quantum(SIM_QUANTA_FAIR, nr[k], 100, &carry[k]);
	CHECK_EQ("fair steps, 60 of 100", steps[0], 60 * 32);
	CHECK_EQ("fair steps, 30 of 100", steps[1], 30 * 32);
	CHECK_EQ("fair steps, 10 of 100", steps[2], 10 * 32);
	q = sim_quantum(SIM_QUANTA_FAIR, 1, 1000, &(uint64_t){ 0 });
	CHECK_EQ("fair quantum below a step", q, 0);

	for (round = 0; round < 60; round++) {
		uint32_t cap = 30 + round % 11, pages = 40 + round % 37;
		unsigned int age = round % 3;
		uint32_t shards = 2 + round % 5;

		for (i = 0; i < N(t); i++) {
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			t[i] = (uint32_t)((seed >> 33) % pages * ((seed >> 20) % pages) / pages);
			who[i] = (uint8_t)((seed >> 45) % shards);
			all0[i] = 0;
		}
		/* One ring, or every page on one ring: CLOCK itself. */
		if (sim_clock_r(t, N(t), pages, cap, age, &rf, 0, &a) ||
		    sim_sharded_r(t, all0, N(t), pages, cap, 1, round & 1 ?
				  SIM_QUANTA_FAIR : SIM_QUANTA_KERNEL, age, &rf, 0, &b)) {
			CHECK("replays ran", 0);
			return;
		}
		CHECK_EQ("one ring == clock", b.total, a.total);
		if (sim_sharded_r(t, all0, N(t), pages, cap, shards, SIM_QUANTA_FAIR,
				  age, &rf, 0, &b))
			return;
		CHECK_EQ("every page on ring 0 == clock", b.total, a.total);
		/* Several rings: between MIN and a miss per access. */
		for (k = 0; k < 2; k++) {
			if (sim_sharded_r(t, who, N(t), pages, cap, shards,
					  k ? SIM_QUANTA_FAIR : SIM_QUANTA_KERNEL,
					  age, &one, 0, &b))
				return;
			CHECK("sharded >= min", b.total >= run(sim_min, t, N(t), cap, 0).total);
			CHECK("sharded <= accesses", b.total <= N(t));
		}
	}
	CHECK("a vCPU beyond the rings is refused",
	      sim_sharded_r(t, who, N(t), 100, 30, 1, SIM_QUANTA_FAIR, 0, NULL, 0, &b) != 0 ||
	      !memchr(who, 1, N(who)));
}

int main(void)
{
	test_hand_traces();
	test_min_brute();
	test_min_naive();
	test_patterns();
	test_loop();
	test_trace();
	test_refill_and_oracle();
	test_slices();
	test_sharded();
	printf("%s: %d checks, %d failed\n", failures ? "FAIL" : "PASS",
	       checks, failures);
	return failures ? 1 : 0;
}
