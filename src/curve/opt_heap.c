/*
 * opt_heap.c - Belady's OPT at one size, with a priority queue.
 *
 * Mattson's one-pass OPT stack (opt.c) moves every page whose next use
 * is a record below the top, and OPT stacks are close to sorted by next
 * use, so a miss can move most of the stack: O(n x pages) on large
 * traces (80 M moves, 10 s, for the 76 K references of `mvm gen
 * vm-test`).  At one size, OPT is simpler: on a miss with every frame in
 * use, evict the resident page used again latest.  A max-heap of (next
 * use, page) finds it in O(log n); a hit pushes the page's new next use
 * and leaves the old entry behind, skipped when it surfaces (lazy
 * deletion), so each reference costs O(log n) and a size O(n log n).
 */
#include "stackdist.h"

#include <stdbool.h>
#include <stdlib.h>

struct heap_entry {
	uint64_t next;
	uint32_t page;
};

struct heap {
	struct heap_entry *e;
	size_t n;
};

static void heap_push(struct heap *h, uint64_t next, uint32_t page)
{
	size_t i = h->n++;

	while (i > 0 && h->e[(i - 1) / 2].next < next) {
		h->e[i] = h->e[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->e[i] = (struct heap_entry){next, page};
}

static struct heap_entry heap_pop(struct heap *h)
{
	struct heap_entry top = h->e[0], last = h->e[--h->n];
	size_t i = 0;

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->e[c + 1].next > h->e[c].next)
			c++;
		if (h->e[c].next <= last.next)
			break;
		h->e[i] = h->e[c];
		i = c;
	}
	if (h->n > 0)
		h->e[i] = last;
	return top;
}

uint64_t *curve_next_uses(const struct refstring *rs)
{
	uint64_t *next = calloc(rs->n ? rs->n : 1, sizeof *next);
	uint64_t *seen = calloc(rs->npages ? rs->npages : 1, sizeof *seen);   /* time + 1 */

	if (next == NULL || seen == NULL)
		abort(); /* host memory exhausted */
	for (size_t t = rs->n; t-- > 0;) {
		uint32_t page = rs->ref[t];

		/* never again: past the end, latest-used last (see opt.c) */
		next[t] = seen[page] ? seen[page] - 1 : (uint64_t)rs->n + t;
		seen[page] = t + 1;
	}
	free(seen);
	return next;
}

uint64_t curve_opt_at(const struct refstring *rs, const uint64_t *next, uint64_t frames)
{
	struct heap h = {.e = malloc((rs->n ? rs->n : 1) * sizeof *h.e)};
	uint64_t *prio = calloc(rs->npages ? rs->npages : 1, sizeof *prio); /* 0: not resident */
	bool *seen = calloc(rs->npages ? rs->npages : 1, sizeof *seen);
	uint64_t used = 0, misses = 0;

	if (h.e == NULL || prio == NULL || seen == NULL)
		abort(); /* host memory exhausted */
	for (size_t t = 0; t < rs->n; t++) {
		uint32_t page = rs->ref[t];

		if (prio[page] == 0) {
			misses += !(rs->copy[page] && !seen[page]);
			if (used == frames) {
				struct heap_entry victim;

				do
					victim = heap_pop(&h);
				while (prio[victim.page] != victim.next + 1);
				prio[victim.page] = 0;
				used--;
			}
			used++;
		}
		seen[page] = true;
		prio[page] = next[t] + 1;
		heap_push(&h, next[t], page);
	}
	free(h.e);
	free(prio);
	free(seen);
	return misses;
}
