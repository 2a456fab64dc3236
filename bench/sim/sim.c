// SPDX-License-Identifier: GPL-2.0
/*
 * sim: replay the benchmark's access sequence (bench/common/bench_pattern.h,
 * the same code the L2 guest runs) through FIFO, CLOCK and Belady's MIN.
 * See usage().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_core.h"

#define MAX_CAPS	64
#define MAX_VCPUS	64
#define MAX_ACCESSES	((uint64_t)1 << 31)

static const char *prog = "sim";

static void usage(FILE *f)
{
	fprintf(f,
"usage: %s --pattern P --regions N --vcpus V --warmup W --steps S --seed X\n"
"          [--hot-pct 10] [--hot-hit-pct 90] --capacity C [--capacity C2 ...]\n"
"          [--age K] [--lfu] [--refill MIN,REFILL] [--new-referenced]\n"
"          [--slice N] [--sharded] [--csv [--header]]\n"
"       %s --trace 1,2,3,1,... [--measure-from K] --capacity C [...] [--csv [--header]]\n"
"\n"
"Replays an access sequence of regions (one last-level shadow page each)\n"
"through FIFO, CLOCK and Belady's MIN at each capacity (region pages that\n"
"fit) and prints the misses.\n"
"\n"
"  --pattern    hotcold | hotscan | loop | phase | private (bench_pattern.h)\n"
"  --regions    regions in the VM, all vCPUs together (> 0)\n"
"  --vcpus      1..%d; each vCPU has its own stream, seeded from (seed, vcpu)\n"
"  --warmup     unmeasured steps per vCPU; the cache state carries over\n"
"  --steps      measured steps per vCPU\n"
"  --capacity   > 0, repeatable; one result line per capacity\n"
"  --trace      replay this comma-separated list of regions instead\n"
"  --measure-from  with --trace: first measured position (default 0)\n"
"  --csv        one line per capacity:\n"
"               pattern,vcpus,regions,warmup,steps,seed,capacity,accesses,\n"
"               fifo_misses,clock_misses,min_misses\n"
"               (accesses and misses: measured phase only)\n"
"  --header     with --csv: print the header line first\n"
"  --age K      1..7: also replay an aged CLOCK (a design candidate, not in\n"
"               the kernel): a page found referenced gains a lap of credit,\n"
"               up to K, and an unreferenced one spends a lap instead of\n"
"               being evicted; adds an aged_clock_misses column\n"
"  --lfu        also replay the frequency oracle LFU* (evicts the cached\n"
"               region with the fewest accesses over the whole trace: the\n"
"               best a policy without foresight can do under independent\n"
"               references); adds an lfu_oracle_misses column\n"
"  --refill MIN,REFILL  evict in batches like KVM: when fewer than MIN\n"
"               slots are free before a miss, evict until REFILL are\n"
"               (KVM: 5,25); 1 <= MIN <= REFILL < capacity.  Applies to\n"
"               FIFO, CLOCK, aged CLOCK and LFU*, not to MIN\n"
"  --new-referenced  CLOCK and aged CLOCK insert a new page with its\n"
"               referenced bit set, as when the fault that builds a shadow\n"
"               page also marks it\n"
"  --slice N    each vCPU runs N steps in a row before the next one's turn\n"
"               (default 1), as vCPU threads sharing few CPUs run in time\n"
"               slices\n"
"  --sharded    also replay the sharded policy's choice of victims (one\n"
"               CLOCK ring per vCPU, a page on the ring of the vCPU that\n"
"               missed it, a round-robin sweep of quanta), with the\n"
"               kernel's quanta and with exact ones; aged by --age, batched\n"
"               by --refill; adds sharded_misses and sharded_fair_misses\n"
"\n"
"The vCPUs' streams are merged by round-robin interleaving (vCPU 0 step 0,\n"
"vCPU 1 step 0, ..., vCPU 0 step 1, ...; by --slice steps at a time).  That is an APPROXIMATION of the\n"
"real concurrent interleaving in the guest, which depends on scheduling;\n"
"each vCPU's own sequence is exact.  A miss counts as measured when its\n"
"step index is >= warmup.  MIN minimises the total misses of the whole\n"
"sequence; its measured-phase count is that run's share.\n",
		prog, prog, MAX_VCPUS);
}

static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: ", prog);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n(try %s --help)\n", prog);
	exit(2);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t max)
{
	unsigned long long v;
	char *end;

	if (!s)
		die("%s needs a value", opt);
	if (*s == '-' || *s == '+' || *s == '\0')
		die("bad number for %s", opt);
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		die("bad number for %s", opt);
	if (v > max)
		die("value out of range for %s", opt);
	return v;
}

static uint32_t parse_pattern(const char *s)
{
	uint32_t i;

	if (!s)
		die("%s needs a value", "--pattern");
	for (i = 0; i < BP_NR_PATTERNS; i++)
		if (!strcmp(s, bp_pattern_name(i)))
			return i;
	die("unknown pattern '%s' (hotcold, hotscan, loop, phase, private)", s);
	return 0;
}

static uint32_t *parse_trace(const char *s, size_t *len, uint32_t *nr_pages)
{
	size_t n = 1, i = 0;
	const char *c;
	uint32_t *t, max = 0;

	if (!s || !*s)
		die("%s needs a value", "--trace");
	for (c = s; *c; c++)
		n += *c == ',';
	t = malloc(n * sizeof(*t));
	if (!t)
		die("%s", "out of memory");
	while (*s) {
		char *end;
		unsigned long long v;

		if (*s < '0' || *s > '9')
			die("bad --trace entry at '%s'", s);
		errno = 0;
		v = strtoull(s, &end, 10);
		if (errno || v >= (1u << 24))
			die("--trace entry too large at '%s'", s);
		if (*end && *end != ',')
			die("bad --trace entry at '%s'", s);
		t[i++] = (uint32_t)v;
		if (v > max)
			max = (uint32_t)v;
		s = *end ? end + 1 : end;
		if (*end && !*s)
			die("%s", "--trace ends with a comma");
	}
	*len = i;
	*nr_pages = max + 1;
	return t;
}

int main(int argc, char **argv)
{
	struct bp_params p = { .pattern = UINT32_MAX, .hot_pct = 10,
			       .hot_hit_pct = 90 };
	int have_regions = 0, have_vcpus = 0, have_warmup = 0, have_steps = 0;
	int have_seed = 0, csv = 0, header = 0, have_mf = 0;
	uint64_t caps[MAX_CAPS], measure_from = 0, max_age = 0;
	struct sim_model refill = { 1, 1, 0 }, *rf = NULL;
	int lfu = 0, sharded = 0;
	uint64_t slice = 1;
	const char *trace_arg = NULL;
	uint8_t *who = NULL;
	uint32_t *t, nr_pages, nr_shards = 1;
	unsigned int ncaps = 0, i;
	size_t n, mfrom;
	int a;

	for (a = 1; a < argc; a++) {
		const char *o = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;

		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(o, "--csv")) {
			csv = 1;
			continue;
		} else if (!strcmp(o, "--header")) {
			header = 1;
			continue;
		} else if (!strcmp(o, "--lfu")) {
			lfu = 1;
			continue;
		} else if (!strcmp(o, "--sharded")) {
			sharded = 1;
			continue;
		} else if (!strcmp(o, "--new-referenced")) {
			refill.new_referenced = 1;
			rf = &refill;
			continue;
		}
		a++;
		if (!strcmp(o, "--pattern")) {
			p.pattern = parse_pattern(v);
		} else if (!strcmp(o, "--regions")) {
			p.nr_regions = parse_u64(o, v, 1u << 24);
			if (!p.nr_regions)
				die("%s", "--regions must be > 0");
			have_regions = 1;
		} else if (!strcmp(o, "--vcpus")) {
			p.nr_vcpus = parse_u64(o, v, UINT32_MAX);
			if (!p.nr_vcpus || p.nr_vcpus > MAX_VCPUS)
				die("--vcpus must be 1..%s", "64");
			have_vcpus = 1;
		} else if (!strcmp(o, "--warmup")) {
			p.warmup = parse_u64(o, v, MAX_ACCESSES);
			have_warmup = 1;
		} else if (!strcmp(o, "--steps")) {
			p.steps = parse_u64(o, v, MAX_ACCESSES);
			have_steps = 1;
		} else if (!strcmp(o, "--seed")) {
			p.seed = parse_u64(o, v, UINT64_MAX);
			have_seed = 1;
		} else if (!strcmp(o, "--hot-pct")) {
			p.hot_pct = parse_u64(o, v, 100);
		} else if (!strcmp(o, "--hot-hit-pct")) {
			p.hot_hit_pct = parse_u64(o, v, 100);
		} else if (!strcmp(o, "--capacity")) {
			if (ncaps == MAX_CAPS)
				die("%s", "too many --capacity options");
			caps[ncaps] = parse_u64(o, v, UINT32_MAX);
			if (!caps[ncaps])
				die("%s", "--capacity must be > 0");
			ncaps++;
		} else if (!strcmp(o, "--age")) {
			max_age = parse_u64(o, v, 7);
			if (!max_age)
				die("%s", "--age must be 1..7");
		} else if (!strcmp(o, "--refill")) {
			unsigned int mn, rl;
			char tail;

			if (!v || sscanf(v, "%u,%u%c", &mn, &rl, &tail) != 2 ||
			    !mn || rl < mn)
				die("--refill wants MIN,REFILL with 1 <= MIN <= REFILL, not '%s'",
				    v ? v : "");
			refill.min_free = mn;
			refill.refill = rl;
			rf = &refill;
		} else if (!strcmp(o, "--slice")) {
			slice = parse_u64(o, v, MAX_ACCESSES);
			if (!slice)
				die("%s", "--slice must be > 0");
		} else if (!strcmp(o, "--trace")) {
			trace_arg = v ? v : "";
		} else if (!strcmp(o, "--measure-from")) {
			measure_from = parse_u64(o, v, MAX_ACCESSES);
			have_mf = 1;
		} else {
			die("unknown option '%s'", o);
		}
	}
	if (!ncaps)
		die("%s", "at least one --capacity is needed");
	if (header && !csv)
		die("%s", "--header needs --csv");
	for (i = 0; i < ncaps; i++)
		if (!sim_model_valid(rf, (uint32_t)caps[i]))
			die("%s", "--refill: REFILL must be below every --capacity");

	if (trace_arg) {
		if (p.pattern != UINT32_MAX || have_regions || have_vcpus ||
		    have_warmup || have_steps || have_seed)
			die("%s", "--trace excludes the pattern options");
		if (slice != 1)
			die("%s", "--slice goes with the pattern options, not --trace");
		t = parse_trace(trace_arg, &n, &nr_pages);
		mfrom = measure_from;
		/* One vCPU: one ring. */
		who = calloc(n ? n : 1, 1);
		if (!who)
			die("%s", "out of memory");
	} else {
		if (have_mf)
			die("%s", "--measure-from goes with --trace only");
		if (p.pattern == UINT32_MAX)
			die("%s", "--pattern is required");
		if (!have_regions || !p.nr_regions)
			die("%s", "--regions is required and must be > 0");
		if (!have_vcpus)
			die("%s", "--vcpus is required");
		if (!have_warmup || !have_steps || !have_seed)
			die("%s", "--warmup, --steps and --seed are required");
		if (!p.steps)
			die("%s", "--steps must be > 0");
		if ((p.warmup + p.steps) * p.nr_vcpus > MAX_ACCESSES)
			die("%s", "(warmup + steps) * vcpus is too large");
		t = sim_build_trace_sliced(&p, slice, &n, sharded ? &who : NULL);
		if (!t)
			die("%s", "out of memory");
		nr_shards = p.nr_vcpus;
		nr_pages = p.nr_regions;
		mfrom = (size_t)p.warmup * p.nr_vcpus;
	}

	if (csv && header)
		printf("pattern,vcpus,regions,warmup,steps,seed,capacity,accesses,"
		       "fifo_misses,clock_misses,min_misses%s%s%s\n",
		       max_age ? ",aged_clock_misses" : "",
		       lfu ? ",lfu_oracle_misses" : "",
		       sharded ? ",sharded_misses,sharded_fair_misses" : "");
	if (!csv) {
		struct sim_result cold;

		if (sim_cold(t, n, nr_pages, mfrom, &cold))
			die("%s", "out of memory");
		if (trace_arg)
			printf("trace: %zu accesses, measured from %zu\n", n, mfrom);
		else
			printf("pattern %s, %u regions, %u vCPUs, warmup %" PRIu64
			       ", steps %" PRIu64 ", seed %" PRIu64 ", hot %u%%/%u%%"
			       " (round-robin interleaving, %" PRIu64 " step(s) a turn)\n",
			       bp_pattern_name(p.pattern), p.nr_regions,
			       p.nr_vcpus, p.warmup, p.steps, p.seed, p.hot_pct,
			       p.hot_hit_pct, slice);
		printf("%zu accesses (%zu measured); %" PRIu64 " distinct regions, %"
		       PRIu64 " first seen in the measured phase\n",
		       n, n - (mfrom < n ? mfrom : n), cold.total, cold.measured);
		if (rf)
			printf("model: below %u free slots, evict until %u are; new pages %s (not MIN)\n",
			       rf->min_free, rf->refill,
			       rf->new_referenced ? "referenced" : "unreferenced");
		printf("%10s %12s %12s %12s %12s %12s %12s%s%s%s\n", "capacity",
		       "fifo", "clock", "min", "fifo_total", "clock_total",
		       "min_total", max_age ? "  aged_clock" : "",
		       lfu ? "        lfu*" : "",
		       sharded ? "     sharded sharded_fair" : "");
	}
	for (i = 0; i < ncaps; i++) {
		struct sim_result f, c, m, ag = { 0, 0 }, lf = { 0, 0 };
		struct sim_result sk = { 0, 0 }, sf = { 0, 0 };
		uint32_t cap = (uint32_t)caps[i];

		if (sim_fifo_r(t, n, nr_pages, cap, rf, mfrom, &f) ||
		    sim_clock_r(t, n, nr_pages, cap, 0, rf, mfrom, &c) ||
		    sim_min(t, n, nr_pages, cap, mfrom, &m) ||
		    (max_age && sim_clock_r(t, n, nr_pages, cap, (unsigned int)max_age, rf, mfrom, &ag)) ||
		    (lfu && sim_lfu_oracle(t, n, nr_pages, cap, rf, mfrom, &lf)) ||
		    (sharded && (sim_sharded_r(t, who, n, nr_pages, cap, nr_shards,
					       SIM_QUANTA_KERNEL, (unsigned int)max_age,
					       rf, mfrom, &sk) ||
				 sim_sharded_r(t, who, n, nr_pages, cap, nr_shards,
					       SIM_QUANTA_FAIR, (unsigned int)max_age,
					       rf, mfrom, &sf))))
			die("%s", "out of memory");
		if (csv) {
			if (trace_arg)
				printf("trace,1,%u,%zu,%zu,0", nr_pages, mfrom,
				       n - (mfrom < n ? mfrom : n));
			else
				printf("%s,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64,
				       bp_pattern_name(p.pattern), p.nr_vcpus,
				       p.nr_regions, p.warmup, p.steps, p.seed);
			printf(",%u,%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64,
			       cap, n - (mfrom < n ? mfrom : n), f.measured, c.measured, m.measured);
			if (max_age)
				printf(",%" PRIu64, ag.measured);
			if (lfu)
				printf(",%" PRIu64, lf.measured);
			if (sharded)
				printf(",%" PRIu64 ",%" PRIu64, sk.measured, sf.measured);
			printf("\n");
		} else {
			printf("%10u %12" PRIu64 " %12" PRIu64 " %12" PRIu64
			       " %12" PRIu64 " %12" PRIu64 " %12" PRIu64,
			       cap, f.measured, c.measured, m.measured,
			       f.total, c.total, m.total);
			if (max_age)
				printf("  %10" PRIu64, ag.measured);
			if (lfu)
				printf("  %10" PRIu64, lf.measured);
			if (sharded)
				printf("  %10" PRIu64 " %12" PRIu64, sk.measured, sf.measured);
			printf("\n");
		}
	}
	free(t);
	free(who);
	return 0;
}
