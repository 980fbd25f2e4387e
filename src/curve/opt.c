/*
 * opt.c - Belady's OPT stack distances in one pass (Mattson et al. 1970).
 *
 * OPT's priority is the next use: of two pages, the one used again
 * sooner is kept.  With priorities fixed at each reference, Mattson's
 * update of the stack for a reference to x found at depth d (or a new
 * page, d = one past the bottom) is: x goes to the top; the page that was
 * on top is carried down, and at each depth i < d the carried page and
 * the one at i compete: the one used sooner stays at i, the other is
 * carried on; at d the carried page takes x's old place.  The cache of
 * i frames is then exactly the top i pages, for every i at once.
 *
 * A carried page is only displaced by a page used later than it, so the
 * depths where anything changes are the successive record next-use
 * times below the top.  A max segment tree over depths, holding each
 * depth's page's next use, finds each of those in O(log n), so a
 * reference costs O((1 + k) log n) for the k pages that move: never more
 * than the scan to d.
 *
 * Next-use times come from one backward pass (curve_next_uses).  A page
 * never used again gets a time past the end: n + the time of its last
 * reference.  Any such page is as good a victim as another (the choice
 * changes no count), and ordering them by last use, like LRU, means a
 * page carried down from the top, the most recently used, is never
 * displaced by one that is dead already.
 *
 * Still, OPT stacks are nearly sorted by next use, so a miss tends to
 * move a page at most depths: the worst case is O(n x pages).  curve.c
 * uses this pass only for traces of few pages (the published block
 * traces) and opt_heap.c's per-size simulation otherwise.
 */
#include "stackdist.h"

#include <stdlib.h>

struct opt_stack {
	uint32_t *at;      /* at[depth]: page, depths 1..size */
	uint32_t *depth;   /* depth[page], 0: not in the stack yet */
	uint64_t *prio;    /* prio[page]: its next use */
	uint64_t *tree;    /* max of prio over depth ranges; leaves from `leaves` */
	size_t leaves;
	uint64_t size, moves;
};

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort(); /* host memory exhausted */
	return p;
}

static void tree_set(struct opt_stack *s, uint64_t depth, uint64_t v)
{
	size_t i = s->leaves + depth;

	s->tree[i] = v;
	for (i /= 2; i >= 1; i /= 2)
		s->tree[i] = s->tree[2 * i] > s->tree[2 * i + 1] ? s->tree[2 * i] : s->tree[2 * i + 1];
}

/* The first depth in (from, to) whose page is used later than V, or 0. */
static uint64_t tree_first_above(const struct opt_stack *s, size_t node, size_t lo, size_t hi,
				 uint64_t from, uint64_t to, uint64_t v)
{
	uint64_t found;

	if (hi <= from + 1 || lo >= to || s->tree[node] <= v)
		return 0;
	if (hi - lo == 1)
		return lo;
	found = tree_first_above(s, 2 * node, lo, (lo + hi) / 2, from, to, v);
	return found ? found : tree_first_above(s, 2 * node + 1, (lo + hi) / 2, hi, from, to, v);
}

static void place(struct opt_stack *s, uint32_t page, uint64_t depth)
{
	s->at[depth] = page;
	s->depth[page] = (uint32_t)depth;
	tree_set(s, depth, s->prio[page]);
	s->moves++;
}

/* Mattson's update for a reference to PAGE at depth D (see above). */
static void reference(struct opt_stack *s, uint32_t page, uint64_t d, uint64_t next)
{
	uint64_t cur = 1;
	uint32_t carried = s->at[1];

	s->prio[page] = next;
	if (d == 1) {
		place(s, page, 1);
		return;
	}
	for (;;) {
		uint64_t q = tree_first_above(s, 1, 0, s->leaves, cur, d, s->prio[carried]);
		uint32_t displaced;

		if (q == 0)
			break;
		displaced = s->at[q];
		place(s, carried, q);
		carried = displaced;
		cur = q;
	}
	place(s, carried, d);
	place(s, page, 1);
}

uint64_t curve_opt(const struct refstring *rs, struct stack_curve *out)
{
	struct opt_stack s = {.leaves = 1};
	uint64_t *next = curve_next_uses(rs);
	uint64_t *hist = xcalloc((size_t)rs->npages + 1, sizeof *hist);
	uint64_t cold = 0;

	while (s.leaves < (size_t)rs->npages + 2)
		s.leaves *= 2;
	s.at = xcalloc(s.leaves, sizeof *s.at);
	s.depth = xcalloc(rs->npages, sizeof *s.depth);
	s.prio = xcalloc(rs->npages, sizeof *s.prio);
	s.tree = xcalloc(2 * s.leaves, sizeof *s.tree);
	for (size_t t = 0; t < rs->n; t++) {
		uint32_t page = rs->ref[t];
		uint64_t d = s.depth[page];

		if (d == 0) {
			cold += !rs->copy[page];
			d = ++s.size;
		} else {
			hist[d]++;
		}
		reference(&s, page, d, next[t]);
	}
	free(next);
	free(s.at);
	free(s.depth);
	free(s.prio);
	free(s.tree);
	stack_curve_from_hist(out, hist, rs->npages, cold);
	return s.moves;
}
