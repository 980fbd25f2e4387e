/*
 * test_rng.h - pseudo-random numbers for the unit tests and benchmarks.
 *
 * Fixed seeds, so that a run is the same on every machine and a failure
 * replays.  Each file has one generator, its state in rng_state: seed it
 * by assigning, before the first draw (it starts at 0).
 *
 * The generator is splitmix64 (any state is fine, 0 included).  A file
 * that defines TEST_RNG_XORSHIFT before including this gets xorshift64*
 * instead, the sequence the swap allocator's test and benchmark were
 * written against; its state must never be 0.
 */
#ifndef MVM_TEST_RNG_H
#define MVM_TEST_RNG_H

#include <stdint.h>

static uint64_t rng_state;

static inline uint64_t rng(void)
{
#ifdef TEST_RNG_XORSHIFT
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
#else
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
#endif
}

/* A number below N (N > 0); the modulo's slight bias does not matter here. */
static inline uint64_t rng_below(uint64_t n)
{
	return rng() % n;
}

#endif
