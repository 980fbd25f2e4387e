/*
 * clock.c - CLOCK (second chance) with a given number of frames.
 *
 * Frames form a ring swept by a hand.  A hit sets the page's reference
 * bit.  A miss fills a free frame while there is one; then the hand
 * clears set bits as it passes and evicts the first page whose bit is
 * clear.  A loaded page starts with its bit set, as a page the MMU just
 * translated has its accessed bit set, and the hand moves past it.
 */
#include "stackdist.h"

#include <stdbool.h>
#include <stdlib.h>

#define CLOCK_NEVER UINT32_MAX         /* not referenced yet */
#define CLOCK_OUT (UINT32_MAX - 1)     /* referenced, not resident */

uint64_t curve_clock(const struct refstring *rs, uint64_t frames)
{
	uint32_t *slot, *where;   /* slot[frame]: page; where[page]: frame, or OUT/NEVER */
	bool *bit;
	uint64_t used = 0, hand = 0, misses = 0;

	if (frames > rs->npages)
		frames = rs->npages ? rs->npages : 1;
	slot = malloc(frames * sizeof *slot);
	bit = calloc(frames, sizeof *bit);
	where = malloc((rs->npages ? rs->npages : 1) * sizeof *where);
	if (slot == NULL || bit == NULL || where == NULL)
		abort(); /* host memory exhausted */
	for (uint64_t p = 0; p < rs->npages; p++)
		where[p] = CLOCK_NEVER;
	for (size_t t = 0; t < rs->n; t++) {
		uint32_t page = rs->ref[t];
		uint64_t f;

		if (where[page] < CLOCK_OUT) {
			bit[where[page]] = true;
			continue;
		}
		misses += !(rs->copy[page] && where[page] == CLOCK_NEVER);
		if (used < frames) {
			f = used++;
		} else {
			while (bit[hand]) {
				bit[hand] = false;
				hand = (hand + 1) % frames;
			}
			f = hand;
			where[slot[f]] = CLOCK_OUT;
			hand = (hand + 1) % frames;
		}
		slot[f] = page;
		bit[f] = true;
		where[page] = (uint32_t)f;
	}
	free(slot);
	free(bit);
	free(where);
	return misses;
}
