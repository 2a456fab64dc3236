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
 * As sim_build_trace(), but each vCPU runs @slice steps in a row before the
 * next one's turn (1 is sim_build_trace()), as vCPU threads that share few
 * CPUs run in time slices; the warm-up and the measured steps are sliced
 * apart, so measured positions still start at warmup * nr_vcpus.  If @who
 * is not NULL, *@who gets, malloc()ed, the vCPU of each access.
 */
uint32_t *sim_build_trace_sliced(const struct bp_params *p, uint64_t slice,
				 size_t *len, uint8_t **who);

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
 * The sharded policy's choice of victims (kernel/src/.../shadow_evict.c),
 * without its timing: one CLOCK ring per vCPU, a page on the ring of the
 * vCPU whose access missed it (@who[i] < @nr_shards), each ring with its
 * own hand; victims are found by a round-robin sweep over the rings that
 * gives each ring a quantum of hand steps per turn.  @quanta: how.
 */
enum sim_quanta {
	/* se_quantum(): min(1 + nr * 32 / total, nr), integer division. */
	SIM_QUANTA_KERNEL,
	/*
	 * nr * 32 / total exactly, the remainder carried to the ring's next
	 * turn (at most a lap), so every page is examined at the same rate.
	 */
	SIM_QUANTA_FAIR,
};

/*
 * Hand steps a ring of @nr pages gets for its turn, @total pages cached in
 * all (@nr <= @total, @total > 0); @carry is the ring's remainder between
 * turns (SIM_QUANTA_FAIR), 0 at first.  At most @nr: a lap.
 */
uint32_t sim_quantum(enum sim_quanta quanta, uint32_t nr, uint32_t total,
		     uint64_t *carry);

int sim_sharded_r(const uint32_t *t, const uint8_t *who, size_t n,
		  uint32_t nr_pages, uint32_t cap, uint32_t nr_shards,
		  enum sim_quanta quanta, unsigned int max_age,
		  const struct sim_model *rf, size_t measure_from,
		  struct sim_result *r);

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
