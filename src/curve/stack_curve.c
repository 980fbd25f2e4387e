/*
 * stack_curve.c - from stack distances to misses at every size.
 *
 * The histogram of distances is turned into suffix sums once, so the
 * misses at any size are one lookup: miss[c] = cold + the references
 * whose distance exceeds c.
 */
#include "stackdist.h"

#include <stdlib.h>

void stack_curve_from_hist(struct stack_curve *c, uint64_t *hist, uint64_t npages, uint64_t cold)
{
	uint64_t beyond = cold;

	/* hist has npages + 1 slots: reuse it for miss[], from the top down. */
	for (uint64_t d = npages + 1; d-- > 0;) {
		uint64_t at = hist[d];

		hist[d] = beyond;
		beyond += d >= 1 ? at : 0;
	}
	c->miss = hist;
	c->npages = npages;
}

uint64_t stack_curve_misses(const struct stack_curve *c, uint64_t frames)
{
	return c->miss[frames < c->npages ? frames : c->npages];
}

void stack_curve_free(struct stack_curve *c)
{
	free(c->miss);
	c->miss = NULL;
}
