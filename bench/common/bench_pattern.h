/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bench_pattern.h: the benchmark's access patterns, shared (not copied) by
 * the L2 guest code of kernel/guest/shadow_bench.c and by the host-side
 * simulator bench/sim/sim.c, so both see exactly the same trace.
 *
 * Freestanding: integer arithmetic only, no libc, no floating point, no
 * globals, so it runs as L2 guest code under the KVM selftests library.
 *
 * A trace is a sequence of region indices per vCPU.  A region is one 2 MiB
 * area of guest memory mapped with 4 KiB pages, i.e. one last-level shadow
 * page; touching a region needs that shadow page.  Each vCPU draws from its
 * own stream, seeded from (seed, vcpu), so the trace of vCPU v does not
 * depend on the interleaving.  Steps [0, warmup) warm the cache up and are
 * not measured; steps [warmup, warmup + steps) are.
 */
#ifndef BENCH_PATTERN_H
#define BENCH_PATTERN_H

#include <stdint.h>

enum bp_pattern {
	BP_HOTCOLD,	/* 90 % of touches on the first 10 % of the regions */
	BP_HOTSCAN,	/* 80 % on a hot 10 %, 20 % a sequential scan of the rest */
	BP_LOOP,	/* every vCPU loops over all regions in order */
	BP_PHASE,	/* hot/cold; the hot set moves half-way through */
	BP_PRIVATE,	/* hot/cold inside each vCPU's own slice of regions */
	BP_NR_PATTERNS,
};

struct bp_params {
	uint32_t pattern;	/* enum bp_pattern */
	uint32_t nr_regions;	/* regions in the VM, all vCPUs together */
	uint32_t nr_vcpus;
	uint32_t hot_pct;	/* share of regions that are hot (default 10) */
	uint32_t hot_hit_pct;	/* share of touches on them (default 90) */
	uint64_t warmup;	/* unmeasured steps per vCPU */
	uint64_t steps;		/* measured steps per vCPU */
	uint64_t seed;
};

/* One vCPU's position in its trace. */
struct bp_stream {
	uint64_t rng;
	uint64_t step;		/* steps taken, warm-up included */
	uint32_t vcpu;
	uint32_t scan;		/* BP_HOTSCAN / BP_LOOP cursor */
};

static inline const char *bp_pattern_name(uint32_t pattern)
{
	switch (pattern) {
	case BP_HOTCOLD: return "hotcold";
	case BP_HOTSCAN: return "hotscan";
	case BP_LOOP: return "loop";
	case BP_PHASE: return "phase";
	case BP_PRIVATE: return "private";
	}
	return "?";
}

/* splitmix64: small, fast, and good enough to drive access patterns. */
static inline uint64_t bp_rand(struct bp_stream *s)
{
	uint64_t z = (s->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) for n > 0 (multiply-shift, no division). */
static inline uint32_t bp_below(struct bp_stream *s, uint32_t n)
{
	return (uint32_t)(((bp_rand(s) >> 32) * (uint64_t)n) >> 32);
}

static inline void bp_stream_init(struct bp_stream *s,
				  const struct bp_params *p, uint32_t vcpu)
{
	s->rng = p->seed ^ ((uint64_t)(vcpu + 1) * 0xd1b54a32d192ed03ULL);
	s->step = 0;
	s->vcpu = vcpu;
	/* Start the vCPUs' scans apart so they do not walk in lockstep. */
	s->scan = p->nr_vcpus ? (uint32_t)((uint64_t)p->nr_regions * vcpu /
					   p->nr_vcpus) : 0;
}

/* Hot/cold over the @n regions starting at @base, hot part at @hot_off. */
static inline uint32_t bp_hotcold(struct bp_stream *s,
				  const struct bp_params *p, uint32_t base,
				  uint32_t n, uint32_t hot_off)
{
	uint32_t hot = (uint32_t)((uint64_t)n * p->hot_pct / 100);

	if (!hot)
		hot = 1;
	if (hot >= n || bp_below(s, 100) < p->hot_hit_pct)
		return base + (hot_off + bp_below(s, hot)) % n;
	return base + (hot_off + hot + bp_below(s, n - hot)) % n;
}

/* The region vCPU s->vcpu touches next (p->nr_regions > 0). */
static inline uint32_t bp_next(const struct bp_params *p, struct bp_stream *s)
{
	uint32_t n = p->nr_regions, r, hot, per;
	uint64_t half = (p->warmup + p->steps) / 2;

	switch (p->pattern) {
	case BP_HOTSCAN:
		hot = (uint32_t)((uint64_t)n * p->hot_pct / 100);
		if (!hot)
			hot = 1;
		if (hot >= n || bp_below(s, 100) < 80) {
			r = bp_below(s, hot);
		} else {
			r = hot + s->scan % (n - hot);
			s->scan++;
		}
		break;
	case BP_LOOP:
		r = s->scan % n;
		s->scan++;
		break;
	case BP_PHASE:
		r = bp_hotcold(s, p, 0, n, s->step < half ? 0 : n / 2);
		break;
	case BP_PRIVATE:
		per = p->nr_vcpus ? n / p->nr_vcpus : n;
		if (!per)
			per = 1;
		r = bp_hotcold(s, p, (s->vcpu * per) % n, per, 0);
		break;
	case BP_HOTCOLD:
	default:
		r = bp_hotcold(s, p, 0, n, 0);
		break;
	}
	s->step++;
	return r;
}

#endif /* BENCH_PATTERN_H */
