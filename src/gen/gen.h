/*
 * gen.h - trace generators behind `mvm gen KIND`.
 *
 * Each generator prints a complete trace (header `mvm-trace 1` first) for
 * a seed and a few parameters, deterministically: the same arguments give
 * the same bytes on every machine.  Generators use their own small PRNG
 * (splitmix64 of a counter, below), never rand().
 */
#ifndef MVM_SIM_GEN_H
#define MVM_SIM_GEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* The generators' PRNG: splitmix64 of the counter *STATE, which starts
 * at the generator's seed. */
static inline uint64_t gen_rng_next(uint64_t *state)
{
	uint64_t x = (*state += 0x9e3779b97f4a7c15ull);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Uniform in [0, N); N > 0.  The modulo bias is irrelevant here. */
static inline uint64_t gen_rng_below(uint64_t *state, uint64_t n)
{
	return gen_rng_next(state) % n;
}

/* Random traces for differential and model testing. */
struct gen_random_params {
	uint64_t seed;
	uint64_t ops;        /* operations to emit (default 400) */
	unsigned max_procs;  /* live processes at most (default 6) */
	unsigned max_depth;  /* fork-tree depth at most (default 6) */
	uint64_t span_pages; /* address window size in pages (default 512) */
	bool files;          /* include file operations (default true) */
	bool checks;         /* sprinkle `check` lines (default true) */
};
void gen_random_defaults(struct gen_random_params *p);
/* Writes the trace; returns 0, or -1 on a write error. */
int gen_random(FILE *out, const struct gen_random_params *p);

/*
 * Every generated address lies in [GEN_WINDOW_BASE, GEN_WINDOW_BASE +
 * GEN_WINDOW_SIZE), a window that tools/native-replay can use on a real
 * Linux process without colliding with its own mappings.
 */
#define GEN_WINDOW_BASE 0x100000000000ull
#define GEN_WINDOW_SIZE 0x1000000000ull

#endif
