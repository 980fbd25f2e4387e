/*
 * bench_swap_alloc.c - how fast the swap-slot allocator hands out and
 * takes back runs, and what its metadata costs.  Prints, never fails.
 *
 * Two devices: 256 MiB (65536 slots) and 64 GiB (16 Mi slots).  Each is
 * measured in three states:
 *   empty       nothing allocated;
 *   half-frag   filled with runs of 1..32 slots (a fixed pseudo-random
 *               sequence), then a random half of the runs freed, so free
 *               space is scattered holes of every size;
 *   95%-full    the same, freeing runs only until 5% of slots are free.
 * In each state an operation is one allocation plus its free: batches of
 * 64 allocations of N slots, then the 64 frees, so the state is the same
 * after each batch.  N = 1 and N = 32 (swap_alloc_run), and
 * swap_alloc_upto(32), which is what clustered pageout calls.  "found no
 * run" is the share of allocations that failed (nothing is freed then, so
 * such an "alloc+free" is only the failed search).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vm/swap_alloc.h"

#define TEST_RNG_XORSHIFT
#include "../tests/unit/test_rng.h"

#define BATCH 64
#define MIN_SECONDS 0.25

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct run {
	uint64_t first;
	uint32_t n;
};

/* Fills SA with runs of 1..32, then frees random runs until FREE_FRAC of
 * the device is free. */
static void fragment(struct swap_alloc *sa, double free_frac)
{
	uint64_t nslots = swap_alloc_nslots(sa), nruns = 0;
	struct run *runs = malloc(sizeof(*runs) * (size_t)nslots);
	uint32_t got;

	if (runs == NULL) {
		fprintf(stderr, "bench_swap_alloc: out of memory\n");
		exit(1);
	}
	for (;;) {
		uint32_t want = 1 + (uint32_t)(rng() % 32);
		uint64_t first = swap_alloc_upto(sa, want, &got);

		if (first == SWAP_SLOT_NONE)
			break;
		runs[nruns].first = first;
		runs[nruns].n = got;
		nruns++;
	}
	for (uint64_t i = nruns; i > 1; i--) { /* Fisher-Yates */
		uint64_t j = rng() % i;
		struct run t = runs[i - 1];

		runs[i - 1] = runs[j];
		runs[j] = t;
	}
	for (uint64_t i = 0; i < nruns && swap_alloc_nfree(sa) < free_frac * (double)nslots; i++)
		swap_free_run(sa, runs[i].first, runs[i].n);
	free(runs);
}

enum op { OP_RUN, OP_UPTO };

struct result {
	uint64_t calls;  /* allocation attempts (each successful one freed) */
	uint64_t misses; /* attempts that found no run */
	double seconds;
};

static struct result measure(struct swap_alloc *sa, enum op op, uint32_t n)
{
	uint64_t first[BATCH];
	uint32_t len[BATCH];
	struct result r = { 0, 0, 0.0 };
	double t0 = now();

	do {
		for (int b = 0; b < 100; b++) {
			for (int i = 0; i < BATCH; i++) {
				len[i] = n;
				first[i] = op == OP_RUN ? swap_alloc_run(sa, n)
							: swap_alloc_upto(sa, n, &len[i]);
			}
			for (int i = 0; i < BATCH; i++) {
				if (first[i] == SWAP_SLOT_NONE)
					r.misses++;
				else
					swap_free_run(sa, first[i], len[i]);
			}
			r.calls += BATCH;
		}
		r.seconds = now() - t0;
	} while (r.seconds < MIN_SECONDS);
	return r;
}

static void bench_state(struct swap_alloc *sa, const char *state)
{
	static const struct {
		const char *name;
		enum op op;
		uint32_t n;
	} kinds[] = { { "run(1)", OP_RUN, 1 }, { "run(32)", OP_RUN, 32 },
		      { "upto(32)", OP_UPTO, 32 } };
	char why[128];

	printf("  %-10s free %5.1f%%  longest %3" PRIu32 "\n", state,
	       100.0 * (double)swap_alloc_nfree(sa) / (double)swap_alloc_nslots(sa),
	       swap_alloc_longest_free(sa));
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct result r = measure(sa, kinds[k].op, kinds[k].n);
		double rate = (double)r.calls / r.seconds;

		printf("    %-9s %12.0f alloc+free/s  (%.0f ns each)", kinds[k].name, rate,
		       1e9 / rate);
		if (r.misses != 0)
			printf("  %.1f%% found no run", 100.0 * (double)r.misses / (double)r.calls);
		printf("\n");
	}
	if (!swap_alloc_verify(sa, why, sizeof(why)))
		printf("    VERIFY FAILED: %s\n", why);
}

static void bench_device(const char *label, uint64_t nslots)
{
	static const struct {
		const char *name;
		double free_frac;
	} states[] = { { "half-frag", 0.5 }, { "95%-full", 0.05 } };
	struct swap_alloc *sa = swap_alloc_create(nslots);
	size_t meta;

	if (sa == NULL) {
		printf("%s: cannot create\n", label);
		return;
	}
	meta = swap_alloc_meta_bytes(sa);
	printf("%s: %" PRIu64 " slots, metadata %zu bytes = %.3f bits/slot\n", label, nslots,
	       meta, (double)meta * 8.0 / (double)nslots);
	bench_state(sa, "empty");
	swap_alloc_destroy(sa);
	for (size_t s = 0; s < sizeof(states) / sizeof(states[0]); s++) {
		sa = swap_alloc_create(nslots);
		if (sa == NULL)
			return;
		fragment(sa, states[s].free_frac);
		bench_state(sa, states[s].name);
		swap_alloc_destroy(sa);
	}
}

int main(void)
{
	rng_state = 0x853c49e6748fea9bull;
	bench_device("256 MiB device", (uint64_t)1 << 16);
	bench_device("64 GiB device", (uint64_t)1 << 24);
	return 0;
}
