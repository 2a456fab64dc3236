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
/*
 * How KVM differs from a textbook cache, for FIFO, CLOCK and LFU*:
 *  - batch eviction like make_mmu_pages_available(): before a miss inserts
 *    its page, when fewer than @min_free slots are free, evict until
 *    @refill are (1 <= min_free <= refill < capacity; KVM: 5, 25);
 *  - @new_referenced (CLOCK): a new page starts with its referenced bit
 *    set, as when the fault that creates a shadow page also marks it.
 * NULL is a plain cache: { 1, 1, 0 }.
 */
struct sim_model {
	uint32_t min_free;
	uint32_t refill;
	int new_referenced;
};

int sim_model_valid(const struct sim_model *rf, uint32_t cap);
int sim_fifo_r(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	       const struct sim_model *rf, size_t measure_from,
	       struct sim_result *r);
int sim_clock_r(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
		unsigned int max_age, const struct sim_model *rf,
		size_t measure_from, struct sim_result *r);
/*
 * Frequency oracle (LFU*): evicts the cached page with the fewest accesses
 * over the whole trace.  Under independent references the best policy
 * without foresight; see sim_core.c.
 */
int sim_lfu_oracle(const uint32_t *t, size_t n, uint32_t nr_pages,
		   uint32_t cap, const struct sim_model *rf,
		   size_t measure_from, struct sim_result *r);
int sim_min(const uint32_t *t, size_t n, uint32_t nr_pages, uint32_t cap,
	    size_t measure_from, struct sim_result *r);

/* Compulsory misses: distinct pages, and those first seen >= measure_from. */
int sim_cold(const uint32_t *t, size_t n, uint32_t nr_pages,
	     size_t measure_from, struct sim_result *r);

#endif /* SIM_CORE_H */
