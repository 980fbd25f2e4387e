/*
 * lru.c - LRU stack distances in one pass, O(n log n).
 *
 * The LRU stack distance of a reference at time t to a page last
 * referenced at time p is 1 + the number of distinct pages referenced in
 * between.  Keeping a mark at each page's latest reference time, that is
 * 1 + the marks in (p, t), which a Fenwick tree over times counts in
 * O(log n); the page's mark then moves from p to t.
 */
#include "stackdist.h"

#include <stdlib.h>

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL)
		abort(); /* host memory exhausted */
	return p;
}

/* Fenwick tree over positions 1..n. */
static void fen_add(int32_t *f, size_t n, size_t i, int32_t v)
{
	for (; i <= n; i += i & -i)
		f[i] += v;
}

static int64_t fen_sum(const int32_t *f, size_t i)
{
	int64_t s = 0;

	for (; i > 0; i -= i & -i)
		s += f[i];
	return s;
}

void curve_lru(const struct refstring *rs, struct stack_curve *out)
{
	int32_t *fen = xcalloc(rs->n + 1, sizeof *fen);
	uint64_t *last = xcalloc(rs->npages, sizeof *last);   /* time + 1, 0: never */
	uint64_t *hist = xcalloc((size_t)rs->npages + 1, sizeof *hist);
	uint64_t cold = 0;

	for (size_t t = 1; t <= rs->n; t++) {
		uint32_t page = rs->ref[t - 1];
		uint64_t p = last[page];

		if (p == 0) {
			cold += !rs->copy[page];
		} else {
			hist[fen_sum(fen, t - 1) - fen_sum(fen, p) + 1]++;
			fen_add(fen, rs->n, p, -1);
		}
		fen_add(fen, rs->n, t, 1);
		last[page] = t;
	}
	free(fen);
	free(last);
	stack_curve_from_hist(out, hist, rs->npages, cold);
}
