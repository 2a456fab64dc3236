/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sim_core.h: replay a trace of region indices through FIFO, CLOCK and
 * Belady's MIN at a given capacity (number of region shadow pages that fit).
 * Used by the sim CLI (sim.c) and its unit test (test_sim.c).
 */
#ifndef SIM_CORE_H
#define SIM_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/bench_pattern.h"

struct sim_result {
	uint64_t total;		/* misses over the whole trace */
	uint64_t measured;	/* misses at positions >= measure_from */
};

/*
 * The global trace for @p: every vCPU's stream from bench_pattern.h, merged
 * by round-robin interleaving (vCPU 0 step 0, vCPU 1 step 0, ..., vCPU 0
 * step 1, ...).  Length (warmup + steps) * nr_vcpus; measured positions
 * start at warmup * nr_vcpus.  malloc()ed; NULL on allocation failure.
 */
uint32_t *sim_build_trace(const struct bp_params *p, size_t *len);

/*
 * Each replay takes the trace, the size of the universe (every entry is
 * < nr_pages), the capacity (> 0) and the first measured position.
 * They return 0, or -1 on allocation failure.
 */
int sim_fifo(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	     size_t measure_from, struct sim_result *r);
int sim_clock(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	      size_t measure_from, struct sim_result *r);
/*
 * CLOCK with an age of up to @max_age laps (a design candidate, not in the
 * kernel): a page found referenced gains a lap of credit, an unreferenced
 * page with credit spends one instead of being evicted.  0 is sim_clock().
 */
int sim_clock_aged(const uint32_t *t, size_t n, uint32_t nr_pages,
		   uint32_t cap, unsigned int max_age, size_t measure_from,
		   struct sim_result *r);
int sim_min(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	    size_t measure_from, struct sim_result *r);

/* Compulsory misses: distinct pages, and those first seen >= measure_from. */
int sim_cold(const uint32_t *t, size_t n, uint32_t nr_pages,
	     size_t measure_from, struct sim_result *r);

#endif /* SIM_CORE_H */
