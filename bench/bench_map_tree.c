/*
 * bench_map_tree.c - how fast the address-map tree is at 1,000, 100,000
 * and 1,000,000 entries.  Prints figures; never fails on time.
 *
 * The layout imitates a fragmented map: ranges of 1-4 pages separated by
 * gaps of 0-3 pages, so every internal gap is below 4 pages.  Figures:
 *   insert      random order, ns per insert
 *   insert-seq  ascending order (the mmap-after-mmap pattern)
 *   lookup      random address inside a random entry
 *   find-near   find_space(2 pages) from a random lo: fits close by
 *   find-tail   find_space(8 pages) from a random lo: no internal gap is
 *               big enough, so the max_gap pruning must reach the tail
 *   find-align  find_space(2 pages, 16-page aligned) from a random lo
 *   remove      random order
 *   depth       levels after the random inserts (AVL bound 1.44 log2 n)
 * Small trees are rebuilt several times so that each figure covers about
 * a million operations.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "../tests/unit/test_rng.h"
#include "mvm/vm_types.h"
#include "vm/map_tree.h"

#define P VM_PAGE_SIZE

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void shuffle(size_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rng() % (i + 1), tmp = v[i];

		v[i] = v[j];
		v[j] = tmp;
	}
}

/* Ranges of 1-4 pages with 0-3 page gaps; returns the end of the last. */
static uint64_t layout(struct map_node *nodes, size_t n)
{
	uint64_t addr = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		addr += (rng() % 4) * P;
		nodes[i].start = addr;
		addr += (1 + rng() % 4) * P;
		nodes[i].end = addr;
	}
	return addr;
}

struct figures {
	double insert, insert_seq, lookup, find_near, find_tail, find_align, remove;
	unsigned depth;
};

static volatile uint64_t sink;

static double time_lookups(const struct map_tree *t, const struct map_node *nodes,
			   size_t n, size_t ops)
{
	double t0 = now_ns();
	uint64_t acc = 0;
	size_t k;

	for (k = 0; k < ops; k++) {
		const struct map_node *want = &nodes[rng() % n];
		struct map_node *got = map_tree_lookup(t, want->start);

		acc += got->end;
	}
	sink = acc;
	return (now_ns() - t0) / (double)ops;
}

static double time_find(const struct map_tree *t, uint64_t span, uint64_t size,
			uint64_t align, size_t ops)
{
	double t0 = now_ns();
	uint64_t acc = 0, a = 0;
	size_t k;

	for (k = 0; k < ops; k++) {
		uint64_t lo = (rng() % (span / P)) * P;

		if (map_tree_find_space(t, size, align, lo, UINT64_MAX, &a))
			acc += a;
	}
	sink = acc;
	return (now_ns() - t0) / (double)ops;
}

static void bench_size(size_t n, struct figures *f)
{
	struct map_node *nodes = malloc(n * sizeof(*nodes));
	size_t *order = malloc(n * sizeof(*order));
	size_t rounds = n >= 1000000 ? 1 : 1000000 / n, r, i;
	size_t ops = 1000000;
	struct map_tree t;
	uint64_t span;
	double t0, ins = 0, seq = 0, rem = 0;

	if (!nodes || !order) {
		fprintf(stderr, "out of memory\n");
		exit(1);
	}
	span = layout(nodes, n);
	for (r = 0; r < rounds; r++) {
		map_tree_init(&t, 0, VM_USER_MAX);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			map_tree_insert(&t, &nodes[i]);
		seq += now_ns() - t0;
		shuffle(order, n);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			map_tree_remove(&t, &nodes[order[i]]);
		rem += now_ns() - t0;

		shuffle(order, n);
		t0 = now_ns();
		for (i = 0; i < n; i++)
			map_tree_insert(&t, &nodes[order[i]]);
		ins += now_ns() - t0;
		if (r + 1 < rounds) {
			while (t.root)
				map_tree_remove(&t, t.root);
		}
	}
	f->insert_seq = seq / (double)(rounds * n);
	f->remove = rem / (double)(rounds * n);
	f->insert = ins / (double)(rounds * n);
	f->depth = map_tree_depth(&t);
	f->lookup = time_lookups(&t, nodes, n, ops);
	f->find_near = time_find(&t, span, 2 * P, P, ops);
	f->find_tail = time_find(&t, span, 8 * P, P, ops);
	f->find_align = time_find(&t, span, 2 * P, 16 * P, ops);
	free(nodes);
	free(order);
}

int main(void)
{
	static const size_t sizes[] = { 1000, 100000, 1000000 };
	size_t i;

	rng_state = 12345;
	printf("map_tree: ns/op (node %zu bytes)\n", sizeof(struct map_node));
	printf("%9s %7s %10s %7s %9s %9s %10s %7s %5s\n", "entries", "insert",
	       "insert-seq", "lookup", "find-near", "find-tail", "find-align",
	       "remove", "depth");
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct figures f;

		bench_size(sizes[i], &f);
		printf("%9zu %7.1f %10.1f %7.1f %9.1f %9.1f %10.1f %7.1f %5u\n", sizes[i],
		       f.insert, f.insert_seq, f.lookup, f.find_near, f.find_tail,
		       f.find_align, f.remove, f.depth);
	}
	return 0;
}
