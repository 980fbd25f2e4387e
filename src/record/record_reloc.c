/*
 * record_reloc.c - moving the program's addresses into native-replay's
 * window.
 *
 * Linux's oracle (tools/native-replay) can only execute addresses in
 * [0x100000000000, 0x200000000000), while a program under valgrind lives
 * near 0x100000 (the executable), 0x4000000 (the loader and libraries)
 * and 0x1fff000000 (the stack).  The unit of the move is the 1 GiB slot:
 * a cluster is a maximal run of consecutive slots that hold mappings, and
 * each cluster moves by a multiple of 1 GiB, so every address keeps its
 * position within its GiB, its 2 MiB and its page, and the page-table
 * pages below the top level are shared exactly as they were.  Clusters
 * keep their address order and are placed one free slot apart, starting
 * at the window's base.
 *
 * Pass 1 adds every mapping's range; the plan is then fixed; pass 2
 * translates each ranged operation into its pieces inside clusters.  A
 * range that leaves the clusters (an access where nothing was mapped)
 * has no place to go; its bytes are returned so the writer can say so.
 */
#include <stdlib.h>

#include "record/record.h"

#define SLOT_SHIFT 30
#define WINDOW_LO (0x100000000000ull >> SLOT_SHIFT)
#define WINDOW_HI (0x200000000000ull >> SLOT_SHIFT)

struct cluster {
	uint64_t lo, hi;       /* slots [lo, hi] */
	uint64_t delta;        /* added to an address (mod 2^64) */
};

struct rec_reloc {
	struct cluster *c;
	size_t n, cap;
};

struct rec_reloc *rec_reloc_create(void)
{
	struct rec_reloc *r = calloc(1, sizeof *r);
	if (!r)
		abort();
	return r;
}

void rec_reloc_destroy(struct rec_reloc *r)
{
	if (r)
		free(r->c);
	free(r);
}

void rec_reloc_add(struct rec_reloc *r, uint64_t addr, uint64_t len)
{
	if (len == 0)
		return;
	uint64_t lo = addr >> SLOT_SHIFT, hi = (addr + len - 1) >> SLOT_SHIFT;
	/* Most mappings fall in the slots of the last one added. */
	if (r->n && lo >= r->c[r->n - 1].lo && hi <= r->c[r->n - 1].hi)
		return;
	if (r->n == r->cap) {
		r->cap = r->cap ? r->cap * 2 : 64;
		r->c = realloc(r->c, r->cap * sizeof *r->c);
		if (!r->c)
			abort();
	}
	r->c[r->n++] = (struct cluster){lo, hi, 0};
}

static int by_lo(const void *a, const void *b)
{
	const struct cluster *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sorts the slot ranges and joins those that overlap or touch. */
static void merge_clusters(struct rec_reloc *r)
{
	if (r->n == 0)
		return;
	qsort(r->c, r->n, sizeof *r->c, by_lo);
	size_t k = 0;
	for (size_t i = 1; i < r->n; i++) {
		if (r->c[i].lo <= r->c[k].hi + 1) {
			if (r->c[i].hi > r->c[k].hi)
				r->c[k].hi = r->c[i].hi;
		} else {
			r->c[++k] = r->c[i];
		}
	}
	r->n = k + 1;
}

bool rec_reloc_plan(struct rec_reloc *r, bool relocate)
{
	merge_clusters(r);
	uint64_t next = WINDOW_LO;
	for (size_t i = 0; i < r->n; i++) {
		if (!relocate) {
			r->c[i].delta = 0;
			continue;
		}
		uint64_t slots = r->c[i].hi - r->c[i].lo + 1;
		if (next + slots > WINDOW_HI)
			return false;
		r->c[i].delta = (next - r->c[i].lo) << SLOT_SHIFT;
		next += slots + 1;
	}
	return true;
}

/* The cluster holding SLOT, or the first one above it. */
static size_t cluster_at(const struct rec_reloc *r, uint64_t slot)
{
	size_t lo = 0, hi = r->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->c[mid].hi < slot)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t rec_reloc_pieces(const struct rec_reloc *r, uint64_t addr, uint64_t len,
			  rec_piece_fn fn, void *ctx)
{
	uint64_t outside = 0;
	while (len) {
		size_t i = cluster_at(r, addr >> SLOT_SHIFT);
		if (i == r->n) {
			outside += len;
			break;
		}
		uint64_t c_lo = r->c[i].lo << SLOT_SHIFT;
		uint64_t c_end = (r->c[i].hi + 1) << SLOT_SHIFT;   /* 0 if it wraps */
		if (addr < c_lo) {
			uint64_t gap = c_lo - addr < len ? c_lo - addr : len;
			outside += gap;
			addr += gap;
			len -= gap;
			continue;
		}
		uint64_t n = (c_end == 0 || c_end - addr >= len) ? len : c_end - addr;
		fn(ctx, addr, addr + r->c[i].delta, n);
		addr += n;
		len -= n;
	}
	return outside;
}

void rec_reloc_describe(const struct rec_reloc *r, FILE *out)
{
	for (size_t i = 0; i < r->n; i++)
		fprintf(out, "# cluster 0x%llx-0x%llx -> 0x%llx\n",
			(unsigned long long)(r->c[i].lo << SLOT_SHIFT),
			(unsigned long long)((r->c[i].hi + 1) << SLOT_SHIFT),
			(unsigned long long)((r->c[i].lo << SLOT_SHIFT) + r->c[i].delta));
}
