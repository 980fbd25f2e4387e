/*
 * test_map_tree.c - the address-map tree against a sorted-array model.
 *
 * The model is the obvious O(n) implementation: a sorted array of ranges,
 * gaps found by scanning.  Random runs with a fixed-seed PRNG apply
 * inserts, removes, bound changes, lookups and free-space searches to both
 * and compare every answer, calling map_tree_verify after every step on
 * small trees (periodically on large ones).  Hand-written cases pin down
 * the edges, and a million-node run checks depth and lookups at scale.
 */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "test_rng.h"
#include "mvm/vm_types.h"
#include "vm/map_tree.h"

/* ---------------------------------------------------------------- */
/* The model: sorted array of node pointers.                         */

struct model {
	struct map_node **v;
	size_t n, cap;
	uint64_t min, max;
};

static void model_init(struct model *m, size_t cap, uint64_t min, uint64_t max)
{
	m->v = calloc(cap, sizeof(*m->v));
	m->n = 0;
	m->cap = cap;
	m->min = min;
	m->max = max;
}

/* Index of the first range whose end > ADDR (m->n if none). */
static size_t model_first_end_above(const struct model *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid]->end > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

static bool model_is_free(const struct model *m, uint64_t start, uint64_t end)
{
	size_t i = model_first_end_above(m, start);

	return i == m->n || m->v[i]->start >= end;
}

static void model_insert(struct model *m, struct map_node *n)
{
	size_t i = model_first_end_above(m, n->start);

	memmove(&m->v[i + 1], &m->v[i], (m->n - i) * sizeof(*m->v));
	m->v[i] = n;
	m->n++;
}

static void model_remove_at(struct model *m, size_t i)
{
	memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof(*m->v));
	m->n--;
}

static struct map_node *model_lookup(const struct model *m, uint64_t addr)
{
	size_t i = model_first_end_above(m, addr);

	return i < m->n && m->v[i]->start <= addr ? m->v[i] : NULL;
}

static struct map_node *model_lookup_ge(const struct model *m, uint64_t addr)
{
	size_t i = model_first_end_above(m, addr);

	return i < m->n ? m->v[i] : NULL;
}

static struct map_node *model_lookup_le(const struct model *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) { /* first index whose start > addr */
		size_t mid = lo + (hi - lo) / 2;

		if (m->v[mid]->start > addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo ? m->v[lo - 1] : NULL;
}

/*
 * Scan the gaps in order from the one that reaches LO; the first that fits
 * wins.  (Gaps before it end below LO.)
 */
static bool model_find_space(const struct model *m, uint64_t size, uint64_t align,
			     uint64_t lo, uint64_t hi, uint64_t *addr)
{
	uint64_t gs;
	size_t i;

	if (lo < m->min)
		lo = m->min;
	if (hi > m->max)
		hi = m->max;
	if (size == 0)
		return false;
	i = model_first_end_above(m, lo);
	gs = i > 0 ? m->v[i - 1]->end : m->min;
	for (; i <= m->n && gs < hi; i++) {
		uint64_t ge = i < m->n ? m->v[i]->start : m->max;
		uint64_t a = gs > lo ? gs : lo;
		uint64_t top = ge < hi ? ge : hi;

		a = (a + align - 1) / align * align;
		if (a + size <= top && a < top) {
			*addr = a;
			return true;
		}
		if (i < m->n)
			gs = m->v[i]->end;
	}
	return false;
}

/* ---------------------------------------------------------------- */
/* Helpers                                                           */

static bool tree_ok(const struct map_tree *t)
{
	char why[128];
	bool ok = map_tree_verify(t, why, sizeof why);

	if (!ok)
		fprintf(stderr, "verify: %s\n", why);
	return ok;
}

/* The tree's in-order walk, both directions, equals the model. */
static bool tree_matches_model(const struct map_tree *t, const struct model *m)
{
	struct map_node *n = map_tree_first(t);
	size_t i;

	if (t->count != m->n)
		return false;
	for (i = 0; i < m->n; i++, n = map_tree_next(n))
		if (n != m->v[i])
			return false;
	if (n != NULL)
		return false;
	n = map_tree_last(t);
	for (i = m->n; i > 0; i--, n = map_tree_prev(n))
		if (n != m->v[i - 1])
			return false;
	return n == NULL;
}

static void node_set(struct map_node *n, uint64_t start, uint64_t end)
{
	memset(n, 0xa5, sizeof(*n)); /* the tree must not trust old fields */
	n->start = start;
	n->end = end;
}

#define P 4096ull

/* ---------------------------------------------------------------- */
/* Edge cases                                                        */

TEST(test_empty)
{
	struct map_tree t;
	uint64_t a = 0;

	map_tree_init(&t, 0x10000, 0x100000);
	CHECK(tree_ok(&t));
	CHECK(map_tree_first(&t) == NULL);
	CHECK(map_tree_last(&t) == NULL);
	CHECK(map_tree_lookup(&t, 0x20000) == NULL);
	CHECK(map_tree_lookup_le(&t, 0x20000) == NULL);
	CHECK(map_tree_lookup_ge(&t, 0x20000) == NULL);
	CHECK_EQ(map_tree_depth(&t), 0);
	CHECK_EQ(map_tree_tail_gap(&t), 0x100000 - 0x10000);

	CHECK(map_tree_find_space(&t, P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 0x10000);
	CHECK(map_tree_find_space(&t, 0x100000 - 0x10000, 0, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 0x10000);
	CHECK(!map_tree_find_space(&t, 0x100000 - 0x10000 + 1, 1, 0, UINT64_MAX, &a));
	CHECK(!map_tree_find_space(&t, 0, P, 0, UINT64_MAX, &a));
	/* Alignment larger than the whole range's free start. */
	CHECK(map_tree_find_space(&t, P, 0x40000, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 0x40000);
	CHECK(!map_tree_find_space(&t, 0x10000, 0x100000, 0, UINT64_MAX, &a));
}

TEST(test_order_and_lookup)
{
	static const uint64_t starts[] = { 5, 1, 9, 3, 7 };
	struct map_node n[5];
	struct map_tree t;
	struct map_node *it;
	uint64_t prev_start = 0;
	unsigned i, seen = 0;

	map_tree_init(&t, 0, 100 * P);
	for (i = 0; i < 5; i++) {
		node_set(&n[i], starts[i] * P, starts[i] * P + P);
		map_tree_insert(&t, &n[i]);
		CHECK(tree_ok(&t));
	}
	CHECK_EQ(t.count, 5);
	for (it = map_tree_first(&t); it; it = map_tree_next(it)) {
		CHECK(it->start > prev_start || seen == 0);
		prev_start = it->start;
		seen++;
	}
	CHECK_EQ(seen, 5);
	CHECK(map_tree_first(&t) == &n[1]);
	CHECK(map_tree_last(&t) == &n[2]);
	CHECK(map_tree_prev(&n[1]) == NULL);
	CHECK(map_tree_next(&n[2]) == NULL);
	CHECK(map_tree_next(&n[3]) == &n[0]);
	CHECK(map_tree_prev(&n[0]) == &n[3]);

	/* n[0] is [5P, 6P): its first byte, last byte, and one past. */
	CHECK(map_tree_lookup(&t, 5 * P) == &n[0]);
	CHECK(map_tree_lookup(&t, 6 * P - 1) == &n[0]);
	CHECK(map_tree_lookup(&t, 6 * P) == NULL);
	CHECK(map_tree_lookup(&t, 5 * P - 1) == NULL);
	CHECK(map_tree_lookup(&t, 0) == NULL);
	CHECK(map_tree_lookup(&t, 99 * P) == NULL);

	CHECK(map_tree_lookup_le(&t, 5 * P) == &n[0]);
	CHECK(map_tree_lookup_le(&t, 6 * P + 5) == &n[0]);
	CHECK(map_tree_lookup_le(&t, 5 * P - 1) == &n[3]);
	CHECK(map_tree_lookup_le(&t, P - 1) == NULL);
	CHECK(map_tree_lookup_le(&t, UINT64_MAX) == &n[2]);

	CHECK(map_tree_lookup_ge(&t, 0) == &n[1]);
	CHECK(map_tree_lookup_ge(&t, 6 * P - 1) == &n[0]);
	CHECK(map_tree_lookup_ge(&t, 6 * P) == &n[4]);
	CHECK(map_tree_lookup_ge(&t, 10 * P) == NULL);

	/* Gaps: below 1P is 1P from min; between pages 2P..3P is 1P. */
	CHECK_EQ(n[1].gap, P);
	CHECK_EQ(n[3].gap, P);
	CHECK_EQ(map_tree_tail_gap(&t), 90 * P);

	/* Remove the root until empty, verifying each time. */
	while (t.root) {
		map_tree_remove(&t, t.root);
		CHECK(tree_ok(&t));
	}
	CHECK_EQ(t.count, 0);
	CHECK_EQ(map_tree_tail_gap(&t), 100 * P);
}

TEST(test_adjacent_zero_gap)
{
	struct map_node n[8];
	struct map_tree t;
	uint64_t a = 0;
	unsigned i;

	map_tree_init(&t, 0, 64 * P);
	for (i = 0; i < 8; i++) {
		node_set(&n[i], i * P, (i + 1) * P);
		map_tree_insert(&t, &n[i]);
	}
	CHECK(tree_ok(&t));
	for (i = 0; i < 8; i++)
		CHECK_EQ(n[i].gap, 0);
	CHECK_EQ(t.root->max_gap, 0);
	CHECK(map_tree_lookup(&t, 3 * P) == &n[3]);
	CHECK(map_tree_lookup(&t, 3 * P - 1) == &n[2]);
	/* Only the tail is free. */
	CHECK(map_tree_find_space(&t, P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 8 * P);

	/* Removing a middle node opens exactly its own space. */
	map_tree_remove(&t, &n[4]);
	CHECK(tree_ok(&t));
	CHECK_EQ(n[5].gap, P);
	CHECK_EQ(t.root->max_gap, P);
	CHECK(map_tree_find_space(&t, P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 4 * P);
	CHECK(map_tree_find_space(&t, 2 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 8 * P);

	/* Growing n[3] up to n[5] closes it again. */
	map_tree_set_bounds(&t, &n[3], 3 * P, 5 * P);
	CHECK(tree_ok(&t));
	CHECK_EQ(n[5].gap, 0);
	CHECK_EQ(t.root->max_gap, 0);
	CHECK(map_tree_lookup(&t, 4 * P + 7) == &n[3]);
}

TEST(test_find_space_limits)
{
	/*
	 * Layout (pages): [0,1) free, [1,2) A, [2,5) free, [5,6) B,
	 * [6,16) free, [16,17) C, [17,32) tail.
	 */
	struct map_node nA, nB, nC;
	struct map_tree t;
	uint64_t a = 0;

	map_tree_init(&t, 0, 32 * P);
	node_set(&nA, 1 * P, 2 * P);
	node_set(&nB, 5 * P, 6 * P);
	node_set(&nC, 16 * P, 17 * P);
	map_tree_insert(&t, &nC);
	map_tree_insert(&t, &nA);
	map_tree_insert(&t, &nB);
	CHECK(tree_ok(&t));
	CHECK_EQ(t.root->max_gap, 10 * P);

	CHECK(map_tree_find_space(&t, P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 0);
	CHECK(map_tree_find_space(&t, 2 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 2 * P);
	CHECK(map_tree_find_space(&t, 3 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 2 * P);
	CHECK(map_tree_find_space(&t, 4 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 6 * P);
	/* Alignment: [2,5) holds 2 pages but not 2 pages aligned to 4. */
	CHECK(map_tree_find_space(&t, 2 * P, 4 * P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 8 * P);
	/* Alignment 2 pages: 2 pages at page 2 fit. */
	CHECK(map_tree_find_space(&t, 2 * P, 2 * P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 2 * P);
	/* 8 pages aligned to 8: [6,16) has 8..16, fits exactly at 8. */
	CHECK(map_tree_find_space(&t, 8 * P, 8 * P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 8 * P);
	/* 8 pages aligned to 16: only the tail can: 16 is taken, so 32 > max. */
	CHECK(!map_tree_find_space(&t, 8 * P, 16 * P, 0, UINT64_MAX, &a));
	/* lo inside a gap. */
	CHECK(map_tree_find_space(&t, P, P, 3 * P, UINT64_MAX, &a));
	CHECK_EQ(a, 3 * P);
	CHECK(map_tree_find_space(&t, 2 * P, P, 3 * P + 1, UINT64_MAX, &a));
	CHECK_EQ(a, 6 * P);
	/* lo inside a node. */
	CHECK(map_tree_find_space(&t, P, P, 5 * P + 10, UINT64_MAX, &a));
	CHECK_EQ(a, 6 * P);
	/* hi cuts the gap short. */
	CHECK(map_tree_find_space(&t, 3 * P, P, 0, 5 * P, &a));
	CHECK_EQ(a, 2 * P);
	CHECK(!map_tree_find_space(&t, 3 * P, P, 0, 5 * P - 1, &a));
	CHECK(!map_tree_find_space(&t, 4 * P, P, 0, 9 * P, &a));
	CHECK(map_tree_find_space(&t, 4 * P, P, 0, 10 * P, &a));
	CHECK_EQ(a, 6 * P);
	/* Tail gap. */
	CHECK(map_tree_find_space(&t, 11 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 17 * P);
	CHECK(map_tree_find_space(&t, 15 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 17 * P);
	CHECK(!map_tree_find_space(&t, 16 * P, P, 0, UINT64_MAX, &a));
	CHECK(map_tree_find_space(&t, P, P, 20 * P, UINT64_MAX, &a));
	CHECK_EQ(a, 20 * P);
	CHECK(!map_tree_find_space(&t, P, P, 20 * P, 20 * P, &a));
	CHECK(!map_tree_find_space(&t, P, P, 32 * P, UINT64_MAX, &a));
	/* Unaligned byte granularity. */
	CHECK(map_tree_find_space(&t, 7, 1, 2 * P + 3, UINT64_MAX, &a));
	CHECK_EQ(a, 2 * P + 3);
	CHECK(map_tree_find_space(&t, 7, 8, 2 * P + 3, UINT64_MAX, &a));
	CHECK_EQ(a, 2 * P + 8);
	CHECK(map_tree_find_space(&t, P, 1, 5 * P - 1, UINT64_MAX, &a));
	CHECK_EQ(a, 6 * P);
}

TEST(test_extreme_bounds)
{
	/* A tree spanning nearly all of uint64: no overflow in gaps or search. */
	struct map_node n1, n2;
	struct map_tree t;
	uint64_t a = 0;

	map_tree_init(&t, 0, UINT64_MAX);
	node_set(&n1, 0, P);
	node_set(&n2, UINT64_MAX - P, UINT64_MAX);
	map_tree_insert(&t, &n1);
	map_tree_insert(&t, &n2);
	CHECK(tree_ok(&t));
	CHECK_EQ(n2.gap, UINT64_MAX - 2 * P);
	CHECK_EQ(map_tree_tail_gap(&t), 0);
	CHECK(map_tree_find_space(&t, P, (uint64_t)1 << 63, 0, UINT64_MAX, &a));
	CHECK_EQ(a, (uint64_t)1 << 63);
	CHECK(!map_tree_find_space(&t, P, (uint64_t)1 << 63, ((uint64_t)1 << 63) + 1,
				   UINT64_MAX, &a));
	CHECK(map_tree_find_space(&t, UINT64_MAX - 2 * P, 1, 0, UINT64_MAX, &a));
	CHECK_EQ(a, P);
	CHECK(!map_tree_find_space(&t, UINT64_MAX - 2 * P + 1, 1, 0, UINT64_MAX, &a));
	map_tree_remove(&t, &n1);
	CHECK(tree_ok(&t));
	CHECK_EQ(n2.gap, UINT64_MAX - P);
	CHECK(map_tree_lookup(&t, UINT64_MAX - 1) == &n2);
	CHECK(map_tree_lookup_ge(&t, UINT64_MAX) == NULL);
}

TEST(test_set_bounds)
{
	struct map_node n[3];
	struct map_tree t;

	map_tree_init(&t, 0, 100 * P);
	node_set(&n[0], 10 * P, 20 * P);
	node_set(&n[1], 30 * P, 40 * P);
	node_set(&n[2], 50 * P, 60 * P);
	map_tree_insert(&t, &n[0]);
	map_tree_insert(&t, &n[1]);
	map_tree_insert(&t, &n[2]);

	/* Clip the middle one from both ends. */
	map_tree_set_bounds(&t, &n[1], 32 * P, 35 * P);
	CHECK(tree_ok(&t));
	CHECK_EQ(n[1].gap, 12 * P);
	CHECK_EQ(n[2].gap, 15 * P);
	CHECK_EQ(t.root->max_gap, 15 * P);
	CHECK(map_tree_lookup(&t, 31 * P) == NULL);
	CHECK(map_tree_lookup(&t, 36 * P) == NULL);
	/* Extend to touch both neighbours. */
	map_tree_set_bounds(&t, &n[1], 20 * P, 50 * P);
	CHECK(tree_ok(&t));
	CHECK_EQ(n[1].gap, 0);
	CHECK_EQ(n[2].gap, 0);
	CHECK_EQ(t.root->max_gap, 10 * P);
	/* The first node down to min, the last up to max. */
	map_tree_set_bounds(&t, &n[0], 0, 20 * P);
	map_tree_set_bounds(&t, &n[2], 50 * P, 100 * P);
	CHECK(tree_ok(&t));
	CHECK_EQ(t.root->max_gap, 0);
	CHECK_EQ(map_tree_tail_gap(&t), 0);
	/* Unchanged bounds are a no-op. */
	map_tree_set_bounds(&t, &n[1], 20 * P, 50 * P);
	CHECK(tree_ok(&t));
}

/* Each corruption must be caught, with a reason. */
TEST(test_verify_catches_corruption)
{
	struct map_node n[7];
	struct map_tree t;
	char why[64];
	unsigned i;

	map_tree_init(&t, 0, 100 * P);
	for (i = 0; i < 7; i++) {
		node_set(&n[i], (10 * i + 1) * P, (10 * i + 2) * P);
		map_tree_insert(&t, &n[i]);
	}
	CHECK(tree_ok(&t));

#define CORRUPT(field, bad)                                                  \
	do {                                                                 \
		__typeof__(field) saved_ = (field);                          \
		(field) = (bad);                                             \
		why[0] = '\0';                                               \
		CHECK(!map_tree_verify(&t, why, sizeof why));                \
		CHECK(why[0] != '\0');                                       \
		(field) = saved_;                                            \
		CHECK(tree_ok(&t));                                          \
	} while (0)

	CORRUPT(n[3].max_gap, n[3].max_gap + 1);
	CORRUPT(n[0].gap, 0);
	CORRUPT(n[6].height, 3);
	CORRUPT(n[5].end, n[6].start + 1);
	CORRUPT(n[2].start, n[2].end);
	CORRUPT(n[6].end, 100 * P + 1);
	CORRUPT(t.count, 6);
	CORRUPT(t.count, 8);
	CORRUPT(t.root->left->parent, NULL);
	CORRUPT(t.root->parent, &n[0]);
#undef CORRUPT

	/* The reason names the node's start in hex. */
	n[4].max_gap++;
	CHECK(!map_tree_verify(&t, why, sizeof why));
	CHECK(strstr(why, "0x29000") != NULL);
	/* A tiny buffer is still NUL-terminated. */
	CHECK(!map_tree_verify(&t, why, 4));
	CHECK_EQ(strlen(why), 3);
	CHECK(!map_tree_verify(&t, NULL, 0));
	n[4].max_gap--;
	CHECK(tree_ok(&t));
	/* WHY may be NULL on success too (map_tree.h), and a sound tree
	 * leaves a buffer empty rather than holding an old reason. */
	CHECK(map_tree_verify(&t, NULL, 0));
	CHECK(map_tree_verify(&t, NULL, 16));
	strcpy(why, "old");
	CHECK(map_tree_verify(&t, why, sizeof why));
	CHECK_STR(why, "");

	/*
	 * A chain of three, with every stored height, gap and link exact:
	 * only the balance rule is broken.
	 */
	node_set(&n[0], 1 * P, 2 * P);
	node_set(&n[1], 3 * P, 4 * P);
	node_set(&n[2], 5 * P, 6 * P);
	for (i = 0; i < 3; i++) {
		n[i].parent = i ? &n[i - 1] : NULL;
		n[i].left = NULL;
		n[i].right = i < 2 ? &n[i + 1] : NULL;
		n[i].gap = P;
		n[i].max_gap = P;
		n[i].height = (uint8_t)(3 - i);
	}
	t.root = &n[0];
	t.count = 3;
	CHECK(!map_tree_verify(&t, why, sizeof why));
	CHECK(strstr(why, "balance") != NULL);
	/* Rebalanced by hand (n[1] on top), it is sound. */
	n[1].parent = NULL;
	n[1].left = &n[0];
	n[0].parent = &n[1];
	n[0].right = NULL;
	n[0].height = 1;
	n[1].height = 2;
	t.root = &n[1];
	CHECK(tree_ok(&t));
}

/* ---------------------------------------------------------------- */
/* Randomized against the model                                      */

struct rand_run {
	struct map_tree t;
	struct model m;
	struct map_node *pool;
	struct map_node **free_nodes;
	size_t nfree;
	uint64_t unit;      /* granularity of generated addresses */
	uint64_t units;     /* size of the managed range in units */
	uint64_t max_len;   /* longest generated range in units */
};

static void run_init(struct rand_run *r, size_t cap, uint64_t unit, uint64_t units,
		     uint64_t min_units, uint64_t max_len)
{
	size_t i;

	r->pool = calloc(cap, sizeof(*r->pool));
	r->free_nodes = calloc(cap, sizeof(*r->free_nodes));
	for (i = 0; i < cap; i++)
		r->free_nodes[i] = &r->pool[cap - 1 - i];
	r->nfree = cap;
	r->unit = unit;
	r->units = units;
	r->max_len = max_len;
	map_tree_init(&r->t, min_units * unit, (min_units + units) * unit);
	model_init(&r->m, cap, r->t.min, r->t.max);
}

static void run_free(struct rand_run *r)
{
	free(r->pool);
	free(r->free_nodes);
	free(r->m.v);
}

static uint64_t run_addr(struct rand_run *r)
{
	/* Sometimes outside [min, max) to test the edges. */
	return r->t.min + (rng_below(r->units + 4) - 2) * r->unit + rng_below(r->unit);
}

static bool op_insert(struct rand_run *r)
{
	uint64_t start, end;
	struct map_node *n;

	if (r->nfree == 0)
		return true;
	start = r->t.min + rng_below(r->units) * r->unit;
	end = start + (1 + rng_below(r->max_len)) * r->unit;
	if (end > r->t.max)
		end = r->t.max;
	if (!model_is_free(&r->m, start, end))
		return true;
	n = r->free_nodes[--r->nfree];
	node_set(n, start, end);
	map_tree_insert(&r->t, n);
	model_insert(&r->m, n);
	return map_tree_lookup(&r->t, start) == n;
}

static bool op_remove(struct rand_run *r)
{
	size_t i;

	if (r->m.n == 0)
		return true;
	i = rng_below(r->m.n);
	map_tree_remove(&r->t, r->m.v[i]);
	r->free_nodes[r->nfree++] = r->m.v[i];
	model_remove_at(&r->m, i);
	return true;
}

static bool op_set_bounds(struct rand_run *r)
{
	struct map_node *n;
	uint64_t floor, ceiling, start, end, room;
	size_t i;

	if (r->m.n == 0)
		return true;
	i = rng_below(r->m.n);
	n = r->m.v[i];
	floor = i > 0 ? r->m.v[i - 1]->end : r->m.min;
	ceiling = i + 1 < r->m.n ? r->m.v[i + 1]->start : r->m.max;
	start = n->start;
	end = n->end;
	switch (rng_below(3)) {
	case 0: /* move start anywhere below end */
		start = floor + rng_below((end - floor) / r->unit) * r->unit;
		break;
	case 1: /* move end anywhere above start */
		room = (ceiling - start) / r->unit;
		end = start + (1 + rng_below(room)) * r->unit;
		if (end > ceiling)
			end = ceiling;
		break;
	default: /* both */
		start = floor + rng_below((ceiling - floor) / r->unit) * r->unit;
		room = (ceiling - start + r->unit - 1) / r->unit;
		end = start + (1 + rng_below(room)) * r->unit;
		if (end > ceiling)
			end = ceiling;
		break;
	}
	if (start >= end)
		return true;
	map_tree_set_bounds(&r->t, n, start, end);
	return n->start == start && n->end == end;
}

static bool op_lookups(struct rand_run *r)
{
	uint64_t addr = run_addr(r);

	return map_tree_lookup(&r->t, addr) == model_lookup(&r->m, addr) &&
	       map_tree_lookup_le(&r->t, addr) == model_lookup_le(&r->m, addr) &&
	       map_tree_lookup_ge(&r->t, addr) == model_lookup_ge(&r->m, addr);
}

static bool op_find_space(struct rand_run *r)
{
	uint64_t size = (1 + rng_below(r->max_len * 2)) * r->unit;
	uint64_t align = r->unit << rng_below(5);
	uint64_t lo = rng_below(3) == 0 ? 0 : run_addr(r);
	uint64_t hi = rng_below(3) == 0 ? UINT64_MAX : lo + rng_below(r->units + 1) * r->unit;
	uint64_t got = 1, want = 2;
	bool found, expected;

	if (rng_below(4) == 0)
		size = r->unit / 2 + 1; /* unaligned sizes */
	if (rng_below(4) == 0)
		align = 1;
	found = map_tree_find_space(&r->t, size, align, lo, hi, &got);
	expected = model_find_space(&r->m, size, align, lo, hi, &want);
	if (found != expected || (found && got != want)) {
		fprintf(stderr, "find_space(size %#llx align %#llx lo %#llx hi %#llx): "
			"tree %d %#llx, model %d %#llx\n",
			(unsigned long long)size, (unsigned long long)align,
			(unsigned long long)lo, (unsigned long long)hi, found,
			(unsigned long long)got, expected, (unsigned long long)want);
		return false;
	}
	return true;
}

/*
 * STEPS random operations; verify every VERIFY_EVERY steps.  INSERT_BIAS
 * out of 10 of the mutations are inserts, so a run can grow or churn.
 */
static void random_run(uint64_t seed, size_t cap, uint64_t unit, uint64_t units,
		       uint64_t max_len, unsigned steps, unsigned verify_every,
		       unsigned insert_bias)
{
	struct rand_run r;
	unsigned step, bad = 0, unsound = 0, mismatched = 0;

	rng_state = seed;
	run_init(&r, cap, unit, units, 3, max_len);
	for (step = 0; step < steps; step++) {
		bool ok;
		uint64_t op = rng_below(20);

		if (op < 10)
			ok = rng_below(10) < insert_bias ? op_insert(&r) : op_remove(&r);
		else if (op < 13)
			ok = op_set_bounds(&r);
		else if (op < 17)
			ok = op_lookups(&r);
		else
			ok = op_find_space(&r);
		if (!ok && bad++ < 5)
			fprintf(stderr, "seed %llu step %u: operation disagreed\n",
				(unsigned long long)seed, step);
		if ((step + 1) % verify_every == 0) {
			if (!tree_ok(&r.t) && unsound++ < 5)
				fprintf(stderr, "seed %llu step %u: unsound\n",
					(unsigned long long)seed, step);
			if (!tree_matches_model(&r.t, &r.m))
				mismatched++;
		}
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(unsound, 0);
	CHECK_EQ(mismatched, 0);
	CHECK(tree_ok(&r.t));
	CHECK(tree_matches_model(&r.t, &r.m));
	/* Tear down through remove, verifying as the tree shrinks. */
	while (r.m.n) {
		op_remove(&r);
		if (r.m.n % (verify_every * 4 + 1) == 0)
			CHECK(tree_ok(&r.t));
	}
	CHECK_EQ(r.t.count, 0);
	CHECK(r.t.root == NULL);
	run_free(&r);
}

TEST(test_random_small)
{
	uint64_t seed;

	/* Tiny spaces: dense, many adjacent ranges and zero gaps. */
	for (seed = 1; seed <= 20; seed++)
		random_run(seed, 64, P, 64, 4, 2000, 1, 5);
	/* Byte granularity, growing then churning. */
	for (seed = 100; seed <= 110; seed++)
		random_run(seed, 512, 1, 2048, 16, 4000, 1, 7);
	/* Sparse pages. */
	for (seed = 200; seed <= 205; seed++)
		random_run(seed, 1024, P, 1 << 16, 64, 5000, 1, 6);
}

TEST(test_random_large)
{
	random_run(777, 40000, P, (uint64_t)1 << 22, 32, 300000, 10000, 7);
	random_run(778, 40000, 1, 1 << 20, 8, 300000, 10000, 8);
}

/* ---------------------------------------------------------------- */
/* A million nodes                                                   */

static unsigned depth_bound(uint64_t n)
{
	return (unsigned)(1.45 * log2((double)n) + 2);
}

/* Node I covers pages [3i+1, 3i+2]: two pages, one-page gaps. */
static void million_layout(struct map_node *nodes, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		node_set(&nodes[i], (3 * i + 1) * P, (3 * i + 3) * P);
}

/*
 * Every node by a lookup inside it (in address order, which is quick),
 * then RANDOM random holes through all three lookups.
 */
static unsigned million_lookups(const struct map_tree *t, struct map_node *nodes,
				size_t n, size_t random)
{
	unsigned wrong = 0;
	size_t i, k;

	for (i = 0; i < n; i++)
		if (map_tree_lookup(t, nodes[i].start + rng_below(2 * P)) != &nodes[i])
			wrong++;
	for (k = 0; k < random; k++) {
		uint64_t hole;

		i = rng_below(n);
		hole = nodes[i].start - 1;
		if (map_tree_lookup(t, hole) != NULL)
			wrong++;
		if (map_tree_lookup_ge(t, hole) != &nodes[i])
			wrong++;
		if (map_tree_lookup_le(t, hole) != (i ? &nodes[i - 1] : NULL))
			wrong++;
	}
	return wrong;
}

TEST(test_million)
{
	const size_t n = 1000000;
	struct map_node *nodes = malloc(n * sizeof(*nodes));
	size_t *order = malloc(n * sizeof(*order));
	struct map_tree t;
	uint64_t a = 0;
	size_t i;

	rng_state = 4242;
	CHECK(nodes && order);

	/* Sequential insertion: the worst case for an unbalanced tree. */
	million_layout(nodes, n);
	map_tree_init(&t, 0, VM_USER_MAX);
	for (i = 0; i < n; i++)
		map_tree_insert(&t, &nodes[i]);
	CHECK(tree_ok(&t));
	CHECK_EQ(t.count, n);
	CHECK(map_tree_depth(&t) <= depth_bound(n));
	CHECK_EQ(million_lookups(&t, nodes, n, 200000), 0);
	/* Every gap is one page: two pages only fit in the tail. */
	CHECK(map_tree_find_space(&t, 2 * P, P, 0, UINT64_MAX, &a));
	CHECK_EQ(a, 3 * n * P);
	CHECK(map_tree_find_space(&t, P, P, 1000 * P + 5, UINT64_MAX, &a));
	CHECK_EQ(a, 1002 * P);
	printf("million sequential: depth %u (bound %u)\n", map_tree_depth(&t),
	       depth_bound(n));

	/* Random insertion order. */
	for (i = 0; i < n; i++)
		order[i] = i;
	for (i = n - 1; i > 0; i--) {
		size_t j = rng_below(i + 1), tmp = order[i];

		order[i] = order[j];
		order[j] = tmp;
	}
	million_layout(nodes, n);
	map_tree_init(&t, 0, VM_USER_MAX);
	for (i = 0; i < n; i++)
		map_tree_insert(&t, &nodes[order[i]]);
	CHECK(tree_ok(&t));
	CHECK(map_tree_depth(&t) <= depth_bound(n));
	CHECK_EQ(million_lookups(&t, nodes, n, 200000), 0);
	printf("million random: depth %u (bound %u)\n", map_tree_depth(&t),
	       depth_bound(n));

	/* Remove half at random: the freed gaps must be found, lowest first. */
	for (i = 0; i < n / 2; i++)
		map_tree_remove(&t, &nodes[order[i]]);
	CHECK(tree_ok(&t));
	CHECK_EQ(t.count, n - n / 2);
	CHECK(map_tree_depth(&t) <= depth_bound(n - n / 2));
	{
		size_t lowest = n;

		for (i = 0; i < n / 2; i++)
			if (order[i] < lowest)
				lowest = order[i];
		/*
		 * Only a removed node leaves 4 free pages in a row (its two
		 * and the gaps on each side), and its lower neighbour stays.
		 */
		CHECK(map_tree_find_space(&t, 4 * P, P, 0, UINT64_MAX, &a));
		CHECK_EQ(a, 3 * lowest * P);
		CHECK(map_tree_lookup(&t, nodes[lowest].start) == NULL);
	}
	free(nodes);
	free(order);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_order_and_lookup);
	RUN(test_adjacent_zero_gap);
	RUN(test_find_space_limits);
	RUN(test_extreme_bounds);
	RUN(test_set_bounds);
	RUN(test_verify_catches_corruption);
	RUN(test_random_small);
	RUN(test_random_large);
	RUN(test_million);
	return check_done();
}
