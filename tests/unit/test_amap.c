/*
 * test_amap.c - the amap (persistent radix tree of anons) against a naive
 * model.
 *
 * The model of an amap is a sorted array of (key, anon id) pairs.  Every
 * anon carries its id in the first bytes of its page, so the test can name
 * what the tree holds without trusting the tree.  After every step of the
 * random runs the world is checked from the outside:
 *   - each amap's contents (foreach and lookup) equal its model;
 *   - vm_amap_verify passes;
 *   - reference counts are exact: walking every amap once, each node's ref
 *     equals the parents found pointing at it and each anon's ref equals
 *     the leaves found holding it;
 *   - nothing is held that is not reachable: the distinct nodes found are
 *     all the node cache has in use, and the anons (and their frames) in
 *     use are exactly the ids some model holds;
 *   - every operation took exactly the nodes its exact *_cost said, and no
 *     more than the bound.
 * Deterministic cases pin down the shapes (root growth and shrink, both
 * ends of the key space, aligned and unaligned seams, shared trees), and
 * failure sweeps inject an allocation failure at every point of each
 * operation on shared trees.
 */
#include <stdlib.h>

#include "check.h"
#include "test_rng.h"
#include "mvm/vm_kmem.h"
#include "sim/port_sim.h"
#include "vm/amap.h"
#include "vm/anon.h"

#define KEY_END ((uint64_t)1 << 35) /* user vpns */
#define RAM_FRAMES 65536u           /* 256 MiB */

/* Keys that hit edges: both ends of the space, 64- and 4096-block seams,
 * the top-level seams, and anywhere. */
static uint64_t rng_key(void)
{
	static const uint64_t centres[] = {
		0, KEY_END, 64, 4096, 3 * 4096, (uint64_t)1 << 18, (uint64_t)1 << 24,
		(uint64_t)1 << 30, 5ull << 30,
	};
	uint64_t r = rng_below(10), c, k;

	if (r == 9)
		return rng_below(KEY_END);
	c = centres[rng_below(sizeof(centres) / sizeof(centres[0]))];
	k = c + rng_below(300) - 150;
	return k >= KEY_END ? (c == 0 ? rng_below(150) : KEY_END - 1 - rng_below(150)) : k;
}

/* ---------------------------------------------------------------- */
/* The machine: RAM, frames, caches.  Booted afresh for every case.  */

static uint8_t *ram;

/* Anons by id (id 0 is never used; ids restart at every boot). */
#define MAX_IDS 400000u
static struct vm_anon *anon_by_id[MAX_IDS];
static uint64_t next_id;

static void boot(void)
{
	if (ram == NULL)
		ram = aligned_alloc(VM_PAGE_SIZE, (size_t)RAM_FRAMES * VM_PAGE_SIZE);
	if (ram == NULL || vm_page_boot(ram, RAM_FRAMES) != VM_OK) {
		fprintf(stderr, "cannot boot the test machine\n");
		exit(2);
	}
	vm_anon_init();
	vm_amap_init();
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	next_id = 0;
}


static struct vm_anon *anon_new(void)
{
	struct vm_anon *an = vm_anon_alloc();
	struct vm_page *pg = vm_page_alloc(VM_PAGE_ANON);
	uint64_t id = ++next_id;

	if (an == NULL || pg == NULL || id >= MAX_IDS) {
		fprintf(stderr, "test machine out of anons\n");
		exit(2);
	}
	memcpy(vm_page_data(pg), &id, sizeof(id));
	vm_anon_set_page(an, pg);
	anon_by_id[id] = an;
	return an;
}

static uint64_t anon_id(const struct vm_anon *an)
{
	uint64_t id;

	memcpy(&id, vm_page_data(an->page), sizeof(id));
	return id;
}

/* Stores a new anon at KEY; returns its id. */
static uint64_t put(struct vm_amap *am, uint64_t key)
{
	struct vm_anon *an, *old;

	CHECK_EQ(vm_amap_prepare(am, key), VM_OK);
	an = anon_new();
	old = vm_amap_set(am, key, an);
	if (old != NULL)
		vm_anon_unref(old);
	return anon_id(an);
}

static struct vm_anon *get(const struct vm_amap *am, uint64_t key)
{
	return vm_amap_lookup(am, key, NULL);
}

static uint64_t get_id(const struct vm_amap *am, uint64_t key)
{
	struct vm_anon *an = get(am, key);

	return an != NULL ? anon_id(an) : 0;
}

static uint64_t nodes_inuse(void)
{
	return vm_amap_node_cache.inuse;
}

static bool verify(const struct vm_amap *am, uint64_t lo, uint64_t hi)
{
	char why[128];
	bool ok = vm_amap_verify(am, lo, hi, why, sizeof(why));

	if (!ok)
		fprintf(stderr, "  verify: %s\n", why);
	return ok;
}

/* ---------------------------------------------------------------- */
/* The model: a sorted array of (key, id).                           */

struct model {
	size_t n, cap;
	uint64_t *key, *id;
};

static void model_reserve(struct model *m, size_t n)
{
	if (n <= m->cap)
		return;
	m->cap = n * 2 + 16;
	m->key = realloc(m->key, m->cap * sizeof(*m->key));
	m->id = realloc(m->id, m->cap * sizeof(*m->id));
	if (m->key == NULL || m->id == NULL)
		exit(2);
}

static size_t model_find(const struct model *m, uint64_t key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->key[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void model_set(struct model *m, uint64_t key, uint64_t id)
{
	size_t i = model_find(m, key);

	if (i < m->n && m->key[i] == key) {
		m->id[i] = id;
		return;
	}
	model_reserve(m, m->n + 1);
	memmove(m->key + i + 1, m->key + i, (m->n - i) * sizeof(*m->key));
	memmove(m->id + i + 1, m->id + i, (m->n - i) * sizeof(*m->id));
	m->key[i] = key;
	m->id[i] = id;
	m->n++;
}

/* Removes [from, to) from M, appending what it removed to OUT if not NULL. */
static void model_cut(struct model *m, uint64_t from, uint64_t to, struct model *out)
{
	size_t i = model_find(m, from), j = i;

	if (m->n == 0)
		return;
	while (j < m->n && m->key[j] < to)
		j++;
	if (out != NULL) {
		model_reserve(out, out->n + (j - i));
		for (size_t k = i; k < j; k++) {
			out->key[out->n] = m->key[k];
			out->id[out->n++] = m->id[k];
		}
	}
	memmove(m->key + i, m->key + j, (m->n - j) * sizeof(*m->key));
	memmove(m->id + i, m->id + j, (m->n - j) * sizeof(*m->id));
	m->n -= j - i;
}

static void model_copy(struct model *dst, const struct model *src)
{
	dst->n = 0;
	if (src->n == 0)
		return;
	model_reserve(dst, src->n);
	memcpy(dst->key, src->key, src->n * sizeof(*src->key));
	memcpy(dst->id, src->id, src->n * sizeof(*src->id));
	dst->n = src->n;
}

static void model_free(struct model *m)
{
	free(m->key);
	free(m->id);
	*m = (struct model){0};
}

/* What foreach reports, collected (id and shared flag by key). */
struct collect {
	struct model got, shared;
	uint64_t stop_after; /* 0: never stop */
	bool ascending;
	uint64_t shared_seen;
};

static bool collect_fn(void *arg, uint64_t vpn, struct vm_anon *an, bool shared)
{
	struct collect *c = arg;

	if (c->got.n > 0 && c->got.key[c->got.n - 1] >= vpn)
		c->ascending = false;
	model_reserve(&c->got, c->got.n + 1);
	c->got.key[c->got.n] = vpn;
	c->got.id[c->got.n++] = anon_id(an);
	model_set(&c->shared, vpn, shared);
	c->shared_seen += shared;
	return c->stop_after == 0 || c->got.n < c->stop_after;
}

/* The shared flag of every populated key, worked out from the nodes
 * (pre-order: a node's parent was the last node seen one level up). */
struct shared_walk {
	unsigned top;
	bool path[AMAP_MAX_HEIGHT + 2];
	struct model want;
};

static bool shared_walk_fn(void *arg, const struct amap_node *n, unsigned level, uint64_t first)
{
	struct shared_walk *sw = arg;

	sw->path[level] = (level < sw->top && sw->path[level + 1]) || n->ref > 1;
	for (unsigned i = 0; level == 1 && i < AMAP_FANOUT; i++)
		if (n->slot[i] != NULL)
			model_set(&sw->want, first + i, sw->path[1]);
	return true;
}

/* AM holds exactly what M says (foreach, lookups, random probes), and
 * both report the shared flag the nodes imply. */
static bool same_contents(const struct vm_amap *am, const struct model *m)
{
	struct collect c = {.ascending = true};
	struct shared_walk sw = {.top = am->height};
	bool ok = true, shared;

	vm_amap_foreach(am, 0, UINT64_MAX, collect_fn, &c);
	vm_amap_walk_nodes(am, shared_walk_fn, &sw);
	ok = c.ascending && c.got.n == m->n && vm_amap_count(am) == m->n && sw.want.n == m->n;
	for (size_t i = 0; ok && i < m->n; i++)
		ok = c.got.key[i] == m->key[i] && c.got.id[i] == m->id[i] &&
		     get_id(am, m->key[i]) == m->id[i] &&
		     vm_amap_lookup(am, m->key[i], &shared) != NULL &&
		     shared == (sw.want.id[i] != 0) && c.shared.id[i] == sw.want.id[i];
	for (int k = 0; ok && k < 8; k++) {
		uint64_t key = rng_key();
		size_t i = model_find(m, key);
		uint64_t want = i < m->n && m->key[i] == key ? m->id[i] : 0;

		ok = get_id(am, key) == want;
	}
	model_free(&c.got);
	model_free(&c.shared);
	model_free(&sw.want);
	return ok;
}

/* ---------------------------------------------------------------- */
/* The world check: exact counts and nothing unreachable.            */

#define NODE_TABLE (1u << 16)

struct node_rec {
	const struct amap_node *node;
	uint32_t gen, parents, level;
	bool seen;
};

static struct node_rec node_table[NODE_TABLE];
static uint32_t anon_leaves[MAX_IDS], anon_gen[MAX_IDS];
static uint32_t world_gen;
static uint64_t world_nodes;
static bool world_ok;

static struct node_rec *node_rec(const struct amap_node *n)
{
	uint64_t h = ((uintptr_t)n >> 3) * 0x9e3779b97f4a7c15ull;

	for (uint32_t i = (uint32_t)(h >> 48) & (NODE_TABLE - 1);; i = (i + 1) & (NODE_TABLE - 1)) {
		struct node_rec *r = &node_table[i];

		if (r->gen != world_gen) {
			*r = (struct node_rec){.node = n, .gen = world_gen};
			return r;
		}
		if (r->node == n)
			return r;
	}
}

static bool world_walk_fn(void *arg, const struct amap_node *n, unsigned level, uint64_t first)
{
	struct node_rec *r = node_rec(n);

	(void)arg;
	(void)first;
	if (r->seen) {
		if (r->level != level)
			world_ok = false; /* one node at two levels */
		return false;
	}
	r->seen = true;
	r->level = level;
	world_nodes++;
	for (unsigned i = 0; i < AMAP_FANOUT; i++) {
		if (n->slot[i] == NULL)
			continue;
		if (level > 1) {
			node_rec(n->slot[i])->parents++;
		} else {
			uint64_t id = anon_id(n->slot[i]);

			if (anon_gen[id] != world_gen) {
				anon_gen[id] = world_gen;
				anon_leaves[id] = 0;
			}
			anon_leaves[id]++;
			if (anon_by_id[id] != n->slot[i])
				world_ok = false;
		}
	}
	return true;
}

/* Checks the amaps AMS[0..N) and their models MS together. */
static void check_world(struct vm_amap *ams, struct model *ms, size_t n)
{
	uint64_t alive = 0;

	world_gen++;
	world_nodes = 0;
	world_ok = true;
	for (size_t k = 0; k < n; k++) {
		CHECK(same_contents(&ams[k], &ms[k]));
		CHECK(verify(&ams[k], 0, KEY_END));
		if (ams[k].root != NULL)
			node_rec(ams[k].root)->parents++;
	}
	for (size_t k = 0; k < n; k++)
		vm_amap_walk_nodes(&ams[k], world_walk_fn, NULL);
	CHECK(world_ok);
	CHECK_EQ(world_nodes, nodes_inuse());
	for (uint32_t i = 0; i < NODE_TABLE; i++) {
		const struct node_rec *r = &node_table[i];

		if (r->gen == world_gen && r->node->ref != r->parents) {
			CHECK_EQ(r->node->ref, r->parents);
			break;
		}
	}
	/* Every id a model holds is alive with the exact leaf count... */
	for (size_t k = 0; k < n; k++) {
		for (size_t i = 0; i < ms[k].n; i++) {
			uint64_t id = ms[k].id[i];

			if (anon_gen[id] != world_gen)
				CHECK(!"model id not in any leaf");
			else if (anon_leaves[id] != 0) {
				CHECK_EQ(anon_by_id[id]->ref, anon_leaves[id]);
				anon_leaves[id] = 0; /* count each id once */
				alive++;
			}
		}
	}
	/* ...and no other anon (or its frame) is. */
	CHECK_EQ(vm_anon_cache.inuse, alive);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], alive);
}

/* Everything released: no node, anon, or slab is left. */
static void check_all_freed(void)
{
	CHECK_EQ(vm_amap_node_cache.inuse, 0);
	CHECK_EQ(vm_amap_node_cache.nslabs, 0);
	CHECK_EQ(vm_anon_cache.inuse, 0);
	CHECK_EQ(vm_anon_cache.nslabs, 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_KMEM], 0);
}

/* ---------------------------------------------------------------- */
/* Deterministic cases.                                              */

TEST(test_empty)
{
	struct vm_amap a = {0}, b = {0};
	bool shared = true;

	boot();
	CHECK(vm_amap_empty(&a));
	CHECK(vm_amap_lookup(&a, 5, &shared) == NULL);
	CHECK(!shared);
	CHECK(verify(&a, 0, KEY_END));
	CHECK_EQ(vm_amap_clear(&a, 0, KEY_END), VM_OK);
	CHECK_EQ(vm_amap_split(&a, 100, &b), VM_OK);
	CHECK(vm_amap_empty(&a) && vm_amap_empty(&b));
	CHECK_EQ(vm_amap_join(&a, &b), VM_OK);
	CHECK(vm_amap_empty(&a));
	vm_amap_share(&a, &b);
	CHECK(vm_amap_empty(&b));
	CHECK_EQ(vm_amap_clear_cost(&a), 0);
	CHECK_EQ(vm_amap_split_cost(&a), 0);
	CHECK_EQ(vm_amap_join_cost(&a, &b), 0);
	CHECK_EQ(vm_amap_prepare_cost(&a, 7), 1);
	/* set(NULL) where nothing was prepared changes nothing. */
	CHECK(vm_amap_set(&a, 7, NULL) == NULL);
	vm_amap_release(&a);
	check_all_freed();
}

TEST(test_both_ends_and_growth)
{
	struct vm_amap a = {0};
	uint64_t top = KEY_END - 1, id0, idtop, id4096;

	boot();
	idtop = put(&a, top);
	CHECK_EQ(a.height, 1);
	CHECK_EQ(a.base, KEY_END - 64);
	CHECK_EQ(nodes_inuse(), 1);
	CHECK_EQ(get_id(&a, top), idtop);
	CHECK(get(&a, top - 1) == NULL);
	CHECK(get(&a, 0) == NULL);
	/* The far end: a new root at height 6 with a chain to each side. */
	CHECK_EQ(vm_amap_prepare_cost(&a, 0), 10);
	id0 = put(&a, 0);
	CHECK_EQ(a.height, 6);
	CHECK_EQ(a.base, 0);
	CHECK_EQ(nodes_inuse(), 11);
	CHECK_EQ(get_id(&a, 0), id0);
	CHECK_EQ(get_id(&a, top), idtop);
	CHECK(verify(&a, 0, KEY_END));
	CHECK(!vm_amap_verify(&a, 1, KEY_END, NULL, 0)); /* key 0 is outside [1, ...) */
	/* Another key under the same top-level child: a path of 4 nodes
	 * (levels 4 to 1) below the existing level-5 node. */
	CHECK_EQ(vm_amap_prepare_cost(&a, (uint64_t)1 << 24), 4);
	put(&a, (uint64_t)1 << 24);
	CHECK_EQ(nodes_inuse(), 15);
	/* Removing the far keys shrinks the root down to the block of what is left. */
	id4096 = put(&a, 4096);
	CHECK_EQ(vm_amap_clear(&a, 4096 * 64, KEY_END), VM_OK);
	CHECK_EQ(a.height, 3); /* keys 0 and 4096: two level-2 blocks */
	CHECK_EQ(a.base, 0);
	CHECK_EQ(nodes_inuse(), 5);
	CHECK(verify(&a, 0, KEY_END));
	CHECK_EQ(vm_amap_prepare(&a, 0), VM_OK);
	vm_anon_unref(vm_amap_set(&a, 0, NULL));
	CHECK_EQ(a.height, 1);
	CHECK_EQ(a.base, 4096);
	CHECK_EQ(nodes_inuse(), 1);
	CHECK_EQ(get_id(&a, 4096), id4096);
	CHECK(verify(&a, 0, KEY_END));
	vm_amap_release(&a);
	check_all_freed();
}

TEST(test_prepare_abandoned)
{
	struct vm_amap a = {0};
	uint64_t before;

	boot();
	put(&a, 100);
	before = nodes_inuse();
	/* Prepare a far key (grows the root), then give up. */
	CHECK_EQ(vm_amap_prepare(&a, 1u << 20), VM_OK);
	CHECK(nodes_inuse() > before);
	CHECK(vm_amap_set(&a, 1u << 20, NULL) == NULL);
	CHECK_EQ(nodes_inuse(), before);
	CHECK_EQ(a.height, 1);
	CHECK(verify(&a, 0, KEY_END));
	/* Into an empty amap. */
	vm_amap_release(&a);
	CHECK_EQ(vm_amap_prepare(&a, 5), VM_OK);
	CHECK(vm_amap_set(&a, 5, NULL) == NULL);
	CHECK(vm_amap_empty(&a));
	/* set replaces and hands back the previous anon. */
	put(&a, 5);
	{
		struct vm_anon *first = get(&a, 5), *second = anon_new(), *old;

		CHECK_EQ(vm_amap_prepare(&a, 5), VM_OK);
		old = vm_amap_set(&a, 5, second);
		CHECK(old == first);
		CHECK_EQ(old->ref, 1);
		vm_anon_unref(old);
		CHECK(get(&a, 5) == second);
	}
	vm_amap_release(&a);
	check_all_freed();
}

TEST(test_share_and_cow)
{
	struct vm_amap a = {0}, b = {0};
	struct vm_anon *an;
	uint64_t ids[3], n;
	bool shared;

	boot();
	ids[0] = put(&a, 10);
	ids[1] = put(&a, 5000);
	ids[2] = put(&a, 70000);
	n = nodes_inuse();
	vm_amap_share(&a, &b);
	CHECK_EQ(nodes_inuse(), n); /* O(1): nothing copied */
	CHECK_EQ(a.root->ref, 2);
	an = vm_amap_lookup(&b, 5000, &shared);
	CHECK(shared);
	CHECK_EQ(anon_id(an), ids[1]);
	CHECK_EQ(an->ref, 1); /* one leaf, two amaps */
	/* A write in B copies B's path to 5000 (height 3: 3 nodes). */
	CHECK_EQ(vm_amap_prepare_cost(&b, 5000), 3);
	CHECK_EQ(vm_amap_prepare(&b, 5000), VM_OK);
	CHECK_EQ(nodes_inuse(), n + 3);
	an = vm_amap_lookup(&b, 5000, &shared);
	CHECK(!shared);
	CHECK_EQ(an->ref, 2); /* both leaves hold it now */
	CHECK(vm_amap_lookup(&b, 10, &shared) != NULL);
	CHECK(shared); /* the leaf of 10 is still common */
	/* B's copies took A's path nodes back to ref 1: only the anon is
	 * common now, which is the fault handler's business (anon->ref). */
	CHECK(vm_amap_lookup(&a, 5000, &shared) == an);
	CHECK(!shared);
	CHECK(vm_amap_lookup(&a, 10, &shared) != NULL);
	CHECK(shared);
	vm_anon_unref(vm_amap_set(&b, 5000, anon_new()));
	CHECK_EQ(an->ref, 1);
	CHECK_EQ(get_id(&a, 5000), ids[1]);
	CHECK(get_id(&b, 5000) != ids[1]);
	CHECK_EQ(get_id(&a, 70000), ids[2]);
	CHECK_EQ(get_id(&b, 70000), ids[2]);
	/* Once the path is ours, another write there copies nothing. */
	CHECK_EQ(vm_amap_prepare_cost(&b, 5001), 0);
	CHECK(verify(&a, 0, KEY_END) && verify(&b, 0, KEY_END));
	vm_amap_release(&a);
	CHECK_EQ(get_id(&b, 10), ids[0]);
	vm_amap_release(&b);
	check_all_freed();
}

/* Fills [from, to) of AM and M with fresh anons. */
static void fill(struct vm_amap *am, struct model *m, uint64_t from, uint64_t to)
{
	for (uint64_t k = from; k < to; k++)
		model_set(m, k, put(am, k));
}

TEST(test_clear)
{
	struct vm_amap a = {0}, b = {0};
	struct model ma = {0}, mb = {0};
	uint64_t n;

	boot();
	fill(&a, &ma, 0, 4096); /* a full level-2 tree: 1 + 64 nodes */
	CHECK_EQ(nodes_inuse(), 65);
	CHECK_EQ(a.height, 2);
	/* Whole leaves inside the range go by reference, partial ones are cut. */
	CHECK_EQ(vm_amap_clear_cost_range(&a, 100, 4000), 0); /* exclusive */
	CHECK_EQ(vm_amap_clear(&a, 100, 4000), VM_OK);
	model_cut(&ma, 100, 4000, NULL);
	CHECK_EQ(nodes_inuse(), 1 + 2 + 2); /* root, leaves 0-1 and 62-63 */
	CHECK(same_contents(&a, &ma) && verify(&a, 0, KEY_END));
	/* Within one leaf. */
	CHECK_EQ(vm_amap_clear(&a, 10, 20), VM_OK);
	model_cut(&ma, 10, 20, NULL);
	CHECK(same_contents(&a, &ma) && verify(&a, 0, KEY_END));
	/* Everything below 4000 goes: the root moves down to a leaf. */
	CHECK_EQ(vm_amap_clear(&a, 0, 4032), VM_OK);
	model_cut(&ma, 0, 4032, NULL);
	CHECK_EQ(a.height, 1);
	CHECK_EQ(a.base, 4032);
	CHECK_EQ(nodes_inuse(), 1);
	CHECK(same_contents(&a, &ma) && verify(&a, 0, KEY_END));
	/* An empty range, and one beyond the tree, change nothing. */
	CHECK_EQ(vm_amap_clear(&a, 4040, 4040), VM_OK);
	CHECK_EQ(vm_amap_clear(&a, 0, 4032), VM_OK);
	CHECK_EQ(vm_amap_clear(&a, 5000, KEY_END), VM_OK);
	CHECK(same_contents(&a, &ma));
	/* Everything. */
	CHECK_EQ(vm_amap_clear(&a, 0, UINT64_MAX), VM_OK);
	CHECK(vm_amap_empty(&a));
	check_all_freed();

	/* On a shared tree: only the two boundary paths are copied. */
	model_free(&ma);
	fill(&a, &ma, 0, 3 * 4096); /* height 3 */
	vm_amap_share(&a, &b);
	model_copy(&mb, &ma);
	n = nodes_inuse();
	CHECK_EQ(vm_amap_clear_cost_range(&b, 1000, 9000), 5); /* root + 2 + 2 */
	CHECK(vm_amap_clear_cost(&b) >= 5);
	CHECK_EQ(vm_amap_clear(&b, 1000, 9000), VM_OK);
	model_cut(&mb, 1000, 9000, NULL);
	CHECK_EQ(nodes_inuse(), n + 5);
	CHECK(same_contents(&a, &ma) && same_contents(&b, &mb));
	CHECK(verify(&a, 0, KEY_END) && verify(&b, 0, KEY_END));
	/* Clearing all of a shared tree copies nothing. */
	n = nodes_inuse();
	CHECK_EQ(vm_amap_clear(&a, 0, KEY_END), VM_OK);
	model_cut(&ma, 0, KEY_END, NULL);
	CHECK(vm_amap_empty(&a));
	CHECK(same_contents(&b, &mb) && verify(&b, 0, KEY_END));
	vm_amap_release(&b);
	check_all_freed();
	model_free(&ma);
	model_free(&mb);
}

/* Splits a copy of A's contents at AT and joins it back, checking both
 * halves and that the join restores the original node count. */
static void split_join_at(struct vm_amap *a, struct model *ma, uint64_t at)
{
	struct vm_amap r = {0};
	struct model ml = {0}, mr = {0};
	uint64_t n = nodes_inuse(), cost = vm_amap_split_cost_at(a, at), allocs, jcost;
	uint64_t bound = vm_amap_split_cost(a);

	model_copy(&ml, ma);
	model_cut(&ml, at, UINT64_MAX, &mr);
	allocs = vm_amap_node_cache.allocs;
	CHECK_EQ(vm_amap_split(a, at, &r), VM_OK);
	CHECK_EQ(vm_amap_node_cache.allocs - allocs, cost);
	CHECK(cost <= bound);
	CHECK(same_contents(a, &ml) && same_contents(&r, &mr));
	CHECK(verify(a, 0, at) && verify(&r, at, KEY_END));
	jcost = vm_amap_join_cost(a, &r);
	allocs = vm_amap_node_cache.allocs;
	CHECK_EQ(vm_amap_join(a, &r), VM_OK);
	CHECK_EQ(vm_amap_node_cache.allocs - allocs, jcost);
	CHECK(vm_amap_empty(&r));
	CHECK(same_contents(a, ma) && verify(a, 0, KEY_END));
	CHECK_EQ(nodes_inuse(), n);
	model_free(&ml);
	model_free(&mr);
}

TEST(test_split_join_seams)
{
	static const uint64_t seams[] = {
		0, 1, 63, 64, 65, 100, 4095, 4096, 4097, 5000, 8191, 8192, 12287, 65535, 65536,
		65537, 20000, 200000,
	};
	struct vm_amap a = {0}, r = {0};
	struct model ma = {0};

	boot();
	fill(&a, &ma, 0, 3 * 4096 + 10);
	fill(&a, &ma, 65536 - 5, 65536 + 70);
	for (size_t i = 0; i < sizeof(seams) / sizeof(seams[0]); i++)
		split_join_at(&a, &ma, seams[i]);
	/* An exclusive tree: the right side takes one node per level whose
	 * block the seam cuts through populated parts; the left side none. */
	CHECK_EQ(vm_amap_split_cost_at(&a, 4096), 1); /* the root only */
	CHECK_EQ(vm_amap_split_cost_at(&a, 4100), 3); /* root, level 2, leaf */
	/* Splitting above everything moves nothing; at 0 everything. */
	CHECK_EQ(vm_amap_split(&a, KEY_END, &r), VM_OK);
	CHECK(vm_amap_empty(&r));
	CHECK_EQ(vm_amap_split(&a, 0, &r), VM_OK);
	CHECK(vm_amap_empty(&a));
	CHECK(same_contents(&r, &ma));
	/* Join with either side empty. */
	CHECK_EQ(vm_amap_join(&a, &r), VM_OK);
	CHECK(vm_amap_empty(&r) && same_contents(&a, &ma));
	CHECK_EQ(vm_amap_join(&a, &r), VM_OK);
	CHECK(same_contents(&a, &ma));
	vm_amap_release(&a);
	check_all_freed();
	model_free(&ma);
}

TEST(test_join_far_apart)
{
	struct vm_amap a = {0}, b = {0};
	struct model ma = {0}, mb = {0};

	boot();
	model_set(&ma, 3, put(&a, 3));
	model_set(&mb, KEY_END - 1, put(&b, KEY_END - 1));
	CHECK_EQ(vm_amap_join_cost(&a, &b), AMAP_JOIN_MAX_NODES);
	CHECK_EQ(vm_amap_join(&a, &b), VM_OK);
	model_set(&ma, KEY_END - 1, mb.id[0]);
	CHECK_EQ(a.height, 6);
	CHECK_EQ(nodes_inuse(), 2 + AMAP_JOIN_MAX_NODES);
	CHECK(same_contents(&a, &ma) && verify(&a, 0, KEY_END));
	/* And apart again: the split gives the nodes back. */
	CHECK_EQ(vm_amap_split(&a, 1000, &b), VM_OK);
	CHECK_EQ(nodes_inuse(), 2);
	CHECK_EQ(a.height, 1);
	CHECK_EQ(b.height, 1);
	/* The taller side receives the shorter: right taller than left. */
	vm_amap_release(&b);
	vm_amap_release(&a);
	model_free(&ma);
	model_free(&mb);
	fill(&b, &mb, 5000, 5000 + 3 * 4096); /* height 3 */
	fill(&a, &ma, 4000, 4010);            /* height 1 */
	CHECK_EQ(vm_amap_join(&a, &b), VM_OK);
	for (size_t i = 0; i < mb.n; i++)
		model_set(&ma, mb.key[i], mb.id[i]);
	CHECK(vm_amap_empty(&b));
	CHECK_EQ(a.height, 3);
	CHECK(same_contents(&a, &ma) && verify(&a, 0, KEY_END));
	vm_amap_release(&a);
	check_all_freed();
	model_free(&ma);
	model_free(&mb);
}

TEST(test_split_join_shared)
{
	struct vm_amap a = {0}, b = {0}, r = {0};
	struct model ma = {0}, mr = {0}, mb = {0};
	uint64_t n;

	boot();
	fill(&a, &ma, 0, 3 * 4096);
	vm_amap_share(&a, &b); /* B keeps the original */
	model_copy(&mb, &ma);
	n = nodes_inuse();
	/* An unaligned seam in a shared height-3 tree: the seam path (3
	 * nodes) is copied once for each side. */
	CHECK_EQ(vm_amap_split_cost_at(&a, 5000), 6);
	CHECK_EQ(vm_amap_split_cost(&a), 6);
	CHECK_EQ(vm_amap_split(&a, 5000, &r), VM_OK);
	CHECK_EQ(nodes_inuse(), n + 6);
	model_cut(&ma, 5000, UINT64_MAX, &mr);
	CHECK(same_contents(&a, &ma) && same_contents(&r, &mr));
	CHECK(same_contents(&b, &mb));
	CHECK(verify(&a, 0, 5000) && verify(&r, 5000, KEY_END) && verify(&b, 0, KEY_END));
	/* Join back while B still shares: B stays as it was. */
	CHECK_EQ(vm_amap_join(&a, &r), VM_OK);
	CHECK(vm_amap_empty(&r));
	CHECK(same_contents(&a, &mb) && same_contents(&b, &mb));
	CHECK(verify(&a, 0, KEY_END) && verify(&b, 0, KEY_END));
	/* A write after the rejoin copies nothing more than its path. */
	CHECK(vm_amap_prepare_cost(&a, 5000) <= 3);
	model_free(&mb);
	vm_amap_release(&b);

	/* Split, then share the left part, then join: the left seam path
	 * (root, level 2, leaf of 5000) is shared and is copied; B keeps the
	 * left part as it was. */
	model_cut(&ma, 5000, UINT64_MAX, &mr);
	CHECK_EQ(vm_amap_split(&a, 5000, &r), VM_OK);
	vm_amap_share(&a, &b);
	CHECK_EQ(vm_amap_join_cost(&a, &r), 3);
	n = vm_amap_node_cache.allocs;
	CHECK_EQ(vm_amap_join(&a, &r), VM_OK);
	CHECK_EQ(vm_amap_node_cache.allocs - n, 3);
	CHECK(same_contents(&b, &ma) && verify(&b, 0, 5000));
	for (size_t i = 0; i < mr.n; i++)
		model_set(&ma, mr.key[i], mr.id[i]);
	CHECK(same_contents(&a, &ma) && verify(&a, 0, KEY_END));
	vm_amap_release(&b);
	vm_amap_release(&a);
	check_all_freed();
	model_free(&ma);
	model_free(&mr);
}

struct stop_walk {
	uint64_t nodes, leaves;
};

static bool count_nodes_fn(void *arg, const struct amap_node *n, unsigned level, uint64_t first)
{
	struct stop_walk *w = arg;

	(void)n;
	(void)first;
	w->nodes++;
	w->leaves += level == 1;
	return level > 2; /* do not descend below level 2 */
}

TEST(test_foreach_and_walk)
{
	struct vm_amap a = {0}, b = {0};
	struct model ma = {0};
	struct collect c = {.ascending = true};
	struct stop_walk w = {0};

	boot();
	fill(&a, &ma, 60, 70);
	fill(&a, &ma, 300000, 300005);
	/* A range cut in the middle of leaves. */
	vm_amap_foreach(&a, 65, 300002, collect_fn, &c);
	CHECK(c.ascending);
	CHECK_EQ(c.got.n, 5 + 2);
	CHECK_EQ(c.got.key[0], 65);
	CHECK_EQ(c.got.key[6], 300001);
	CHECK_EQ(c.shared_seen, 0);
	model_free(&c.got);
	model_free(&c.shared);
	/* Stopping early. */
	c = (struct collect){.ascending = true, .stop_after = 3};
	vm_amap_foreach(&a, 0, UINT64_MAX, collect_fn, &c);
	CHECK_EQ(c.got.n, 3);
	model_free(&c.got);
	model_free(&c.shared);
	/* Shared after share. */
	vm_amap_share(&a, &b);
	c = (struct collect){.ascending = true};
	vm_amap_foreach(&b, 0, UINT64_MAX, collect_fn, &c);
	CHECK_EQ(c.shared_seen, ma.n);
	model_free(&c.got);
	model_free(&c.shared);
	/* Walk: height 4 (keys up to 300004 < 64^4); stops below level 2. */
	CHECK_EQ(a.height, 4);
	vm_amap_walk_nodes(&a, count_nodes_fn, &w);
	CHECK_EQ(w.leaves, 0);
	CHECK_EQ(w.nodes, 1 + 2 + 2); /* root, two level-3, two level-2 */
	CHECK_EQ(nodes_inuse(), 1 + 2 + 2 + 3);
	vm_amap_release(&a);
	vm_amap_release(&b);
	check_all_freed();
	model_free(&ma);
}

TEST(test_verify_catches)
{
	struct vm_amap a = {0};
	char why[64];

	boot();
	put(&a, 1);
	put(&a, 5000);
	CHECK(vm_amap_verify(&a, 0, KEY_END, why, sizeof(why)));
	CHECK_STR(why, "");
	a.root->count++;
	CHECK(!vm_amap_verify(&a, 0, KEY_END, why, sizeof(why)));
	CHECK(strstr(why, "count") != NULL);
	a.root->count--;
	CHECK(!vm_amap_verify(&a, 0, 5000, why, sizeof(why)));
	CHECK(strstr(why, "5000") != NULL);
	/* A single-child interior root is not minimal. */
	{
		struct vm_anon *an = get(&a, 5000);
		struct amap_node *child = a.root->slot[1];

		a.root->slot[1] = NULL;
		a.root->count--;
		CHECK(!vm_amap_verify(&a, 0, KEY_END, why, sizeof(why)));
		CHECK(strstr(why, "single child") != NULL);
		a.root->slot[1] = child;
		a.root->count++;
		CHECK(get(&a, 5000) == an);
	}
	/* A tiny buffer is filled, not overrun. */
	a.base = 3;
	CHECK(!vm_amap_verify(&a, 0, KEY_END, why, 4));
	CHECK_EQ(strlen(why), 3);
	a.base = 0;
	vm_amap_release(&a);
	check_all_freed();
}

/* ---------------------------------------------------------------- */
/* Failure injection.                                                */

/* A shared world: A (many keys), B shares it and has written a little,
 * C is a separate tree just above A's keys, D shares C. */
struct fworld {
	struct vm_amap am[4];
	struct model m[4];
};

static void fworld_build(struct fworld *w)
{
	boot();
	*w = (struct fworld){0};
	fill(&w->am[0], &w->m[0], 4000, 12400);
	fill(&w->am[0], &w->m[0], 300000, 300100);
	vm_amap_share(&w->am[0], &w->am[1]);
	model_copy(&w->m[1], &w->m[0]);
	model_set(&w->m[1], 9000, put(&w->am[1], 9000));
	fill(&w->am[2], &w->m[2], 400000, 402000);
	vm_amap_share(&w->am[2], &w->am[3]);
	model_copy(&w->m[3], &w->m[2]);
}

static void fworld_free(struct fworld *w)
{
	for (int k = 0; k < 4; k++) {
		vm_amap_release(&w->am[k]);
		model_free(&w->m[k]);
	}
	check_all_freed();
}

enum fop { F_PREPARE, F_PREPARE_FAR, F_CLEAR, F_SPLIT, F_JOIN, F_JOIN_SHARED_RIGHT, F_COUNT };

/* Runs operation OP on W; R receives a split's right part. */
static enum vm_err fop_run(enum fop op, struct fworld *w, struct vm_amap *r)
{
	switch (op) {
	case F_PREPARE:
		return vm_amap_prepare(&w->am[0], 5000);
	case F_PREPARE_FAR:
		return vm_amap_prepare(&w->am[0], KEY_END - 1);
	case F_CLEAR:
		return vm_amap_clear(&w->am[0], 4100, 300050);
	case F_SPLIT:
		return vm_amap_split(&w->am[0], 9999, r);
	case F_JOIN:
		return vm_amap_join(&w->am[0], &w->am[2]);
	case F_JOIN_SHARED_RIGHT:
		return vm_amap_join(&w->am[1], &w->am[3]);
	default:
		return VM_EINVAL;
	}
}

static uint64_t fop_cost(enum fop op, const struct fworld *w, bool exact)
{
	switch (op) {
	case F_PREPARE:
		return vm_amap_prepare_cost(&w->am[0], 5000);
	case F_PREPARE_FAR:
		return vm_amap_prepare_cost(&w->am[0], KEY_END - 1);
	case F_CLEAR:
		return exact ? vm_amap_clear_cost_range(&w->am[0], 4100, 300050)
			     : vm_amap_clear_cost(&w->am[0]);
	case F_SPLIT:
		return exact ? vm_amap_split_cost_at(&w->am[0], 9999) : vm_amap_split_cost(&w->am[0]);
	case F_JOIN:
		return vm_amap_join_cost(&w->am[0], &w->am[2]);
	case F_JOIN_SHARED_RIGHT:
		return vm_amap_join_cost(&w->am[1], &w->am[3]);
	default:
		return 0;
	}
}

/* What the models become after OP succeeded (prepare changes no content). */
static void fop_model(enum fop op, struct fworld *w, struct model *mr)
{
	switch (op) {
	case F_CLEAR:
		model_cut(&w->m[0], 4100, 300050, NULL);
		break;
	case F_SPLIT:
		model_cut(&w->m[0], 9999, UINT64_MAX, mr);
		break;
	case F_JOIN:
	case F_JOIN_SHARED_RIGHT: {
		struct model *l = &w->m[op == F_JOIN ? 0 : 1], *rt = &w->m[op == F_JOIN ? 2 : 3];

		for (size_t i = 0; i < rt->n; i++)
			model_set(l, rt->key[i], rt->id[i]);
		rt->n = 0;
		break;
	}
	default:
		break;
	}
}

/* A prepared path to an empty slot is empty until set: abandon it so the
 * world verifies.  (5000 is populated: its prepared path is not empty.) */
static void fop_settle(enum fop op, struct fworld *w)
{
	if (op == F_PREPARE_FAR)
		CHECK(vm_amap_set(&w->am[0], KEY_END - 1, NULL) == NULL);
}

static void fworld_check(struct fworld *w, struct vm_amap *r, struct model *mr)
{
	struct vm_amap ams[5];
	struct model ms[5];

	for (int k = 0; k < 4; k++) {
		ams[k] = w->am[k];
		ms[k] = w->m[k];
	}
	ams[4] = *r;
	ms[4] = *mr;
	check_world(ams, ms, 5);
}

static void fail_sweep(enum fop op)
{
	struct fworld w;
	struct vm_amap r = {0};
	struct model mr = {0};
	uint64_t n, nodes, cost, allocs;
	enum vm_err err;

	for (n = 1;; n++) {
		fworld_build(&w);
		nodes = nodes_inuse();
		cost = fop_cost(op, &w, true);
		CHECK(cost <= fop_cost(op, &w, false));
		sim_port_fail_nth(PORT_SITE_KMEM, n);
		allocs = vm_amap_node_cache.allocs;
		err = fop_run(op, &w, &r);
		sim_port_fail_nth(SIM_SITE_ANY, 0);
		if (err == VM_OK) {
			CHECK_EQ(vm_amap_node_cache.allocs - allocs, cost);
			fop_settle(op, &w);
			fop_model(op, &w, &mr);
			fworld_check(&w, &r, &mr);
			vm_amap_release(&r);
			model_free(&mr);
			fworld_free(&w);
			break;
		}
		CHECK_EQ(err, VM_ENOMEM);
		CHECK_EQ(nodes_inuse(), nodes); /* nothing taken, nothing left */
		fworld_check(&w, &r, &mr);
		fworld_free(&w);
		if (n > 20) {
			CHECK(!"operation never succeeds");
			break;
		}
	}
	/* It did need memory, and failed at each allocation (an allocation
	 * that grows the cache is two attempts: the object and its frame). */
	CHECK(n > 1);
	CHECK(n - 1 >= cost);

	/* With a reservation of the bound, allocation cannot fail. */
	fworld_build(&w);
	CHECK_EQ(vm_kmem_reserve(&vm_amap_node_cache, fop_cost(op, &w, false)), VM_OK);
	sim_port_fail_nth(PORT_SITE_KMEM, 1);
	CHECK_EQ(fop_run(op, &w, &r), VM_OK);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	vm_kmem_unreserve_all(&vm_amap_node_cache);
	fop_settle(op, &w);
	fop_model(op, &w, &mr);
	fworld_check(&w, &r, &mr);
	vm_amap_release(&r);
	model_free(&mr);
	fworld_free(&w);
}

TEST(test_enomem)
{
	for (enum fop op = 0; op < F_COUNT; op++)
		fail_sweep(op);
}

/* ---------------------------------------------------------------- */
/* Random runs against the model.                                    */

#define NAMAPS 6

struct rworld {
	struct vm_amap am[NAMAPS];
	struct model m[NAMAPS];
	uint64_t ops[8], enomem;
};

/* Arms a failure now and then; returns whether it did. */
static bool maybe_fail(void)
{
	if (rng_below(8) != 0)
		return false;
	sim_port_fail_nth(PORT_SITE_KMEM, 1 + rng_below(4));
	return true;
}

static void disarm(void)
{
	sim_port_fail_nth(SIM_SITE_ANY, 0);
}

/* Checks the nodes an operation took against its exact cost. */
static void check_took(uint64_t allocs_before, uint64_t exact, uint64_t bound)
{
	CHECK_EQ(vm_amap_node_cache.allocs - allocs_before, exact);
	CHECK(exact <= bound);
}

static void r_put_key(struct rworld *w, int a, uint64_t key)
{
	uint64_t cost = vm_amap_prepare_cost(&w->am[a], key);
	uint64_t allocs = vm_amap_node_cache.allocs;
	struct vm_anon *an = anon_new(), *old;
	enum vm_err err;

	maybe_fail();
	err = vm_amap_prepare(&w->am[a], key);
	disarm();
	if (err != VM_OK) {
		CHECK_EQ(err, VM_ENOMEM);
		vm_anon_unref(an);
		w->enomem++;
		return;
	}
	check_took(allocs, cost, AMAP_PREPARE_MAX_NODES);
	old = vm_amap_set(&w->am[a], key, an);
	if (old != NULL)
		vm_anon_unref(old);
	model_set(&w->m[a], key, anon_id(an));
}

/* One key, or now and then a run of them (dense leaves, deep sharing). */
static void r_put(struct rworld *w, int a)
{
	uint64_t key = rng_key(), n = rng_below(3) == 0 ? 1 + rng_below(300) : 1;

	for (uint64_t k = key; k < key + n && k < KEY_END; k++)
		r_put_key(w, a, k);
}

static void r_delete(struct rworld *w, int a)
{
	struct model *m = &w->m[a];
	uint64_t key;
	struct vm_anon *old;

	if (m->n == 0)
		return;
	key = m->key[rng_below(m->n)];
	if (vm_amap_prepare(&w->am[a], key) != VM_OK)
		return;
	old = vm_amap_set(&w->am[a], key, NULL);
	CHECK(old != NULL && anon_id(old) == m->id[model_find(m, key)]);
	if (old != NULL)
		vm_anon_unref(old);
	model_cut(m, key, key + 1, NULL);
}

static uint64_t rng_span(void)
{
	static const uint64_t spans[] = {1, 10, 64, 100, 4096, 5000, 300000, (uint64_t)1 << 31};

	return 1 + rng_below(spans[rng_below(sizeof(spans) / sizeof(spans[0]))]);
}

static void r_clear(struct rworld *w, int a)
{
	uint64_t from = rng_key(), to = from + rng_span();
	uint64_t cost = vm_amap_clear_cost_range(&w->am[a], from, to);
	uint64_t bound = vm_amap_clear_cost(&w->am[a]);
	uint64_t allocs = vm_amap_node_cache.allocs;
	enum vm_err err;

	maybe_fail();
	err = vm_amap_clear(&w->am[a], from, to);
	disarm();
	if (err != VM_OK) {
		CHECK_EQ(err, VM_ENOMEM);
		w->enomem++;
		return;
	}
	check_took(allocs, cost, bound);
	model_cut(&w->m[a], from, to, NULL);
}

static void r_share(struct rworld *w, int a, int b)
{
	vm_amap_release(&w->am[b]);
	vm_amap_share(&w->am[a], &w->am[b]);
	model_copy(&w->m[b], &w->m[a]);
}

static void r_split(struct rworld *w, int a, int b)
{
	struct model *m = &w->m[a];
	uint64_t at = m->n > 0 && rng_below(2) ? m->key[rng_below(m->n)] + rng_below(3) : rng_key();
	uint64_t cost, bound, allocs;
	enum vm_err err;

	vm_amap_release(&w->am[b]);
	w->m[b].n = 0;
	cost = vm_amap_split_cost_at(&w->am[a], at);
	bound = vm_amap_split_cost(&w->am[a]);
	allocs = vm_amap_node_cache.allocs;
	maybe_fail();
	err = vm_amap_split(&w->am[a], at, &w->am[b]);
	disarm();
	if (err != VM_OK) {
		CHECK_EQ(err, VM_ENOMEM);
		CHECK(vm_amap_empty(&w->am[b]));
		w->enomem++;
		return;
	}
	check_took(allocs, cost, bound);
	model_cut(m, at, UINT64_MAX, &w->m[b]);
	CHECK(verify(&w->am[a], 0, at) && verify(&w->am[b], at, KEY_END));
}

/* A key of A or B (where the interesting seams are), or any. */
static uint64_t rng_seam(const struct rworld *w, int a, int b)
{
	const struct model *m = &w->m[rng_below(2) ? a : b];

	return m->n > 0 && rng_below(4) != 0 ? m->key[rng_below(m->n)] + rng_below(2) : rng_key();
}

static void r_join(struct rworld *w, int a, int b)
{
	uint64_t seam = rng_seam(w, a, b), cost, allocs;
	enum vm_err err;

	/* Make the precondition true: A below the seam, B above it. */
	if (vm_amap_clear(&w->am[a], seam, UINT64_MAX) != VM_OK ||
	    vm_amap_clear(&w->am[b], 0, seam) != VM_OK)
		return;
	model_cut(&w->m[a], seam, UINT64_MAX, NULL);
	model_cut(&w->m[b], 0, seam, NULL);
	cost = vm_amap_join_cost(&w->am[a], &w->am[b]);
	allocs = vm_amap_node_cache.allocs;
	maybe_fail();
	err = vm_amap_join(&w->am[a], &w->am[b]);
	disarm();
	if (err != VM_OK) {
		CHECK_EQ(err, VM_ENOMEM);
		w->enomem++;
		return;
	}
	check_took(allocs, cost, AMAP_JOIN_MAX_NODES);
	CHECK(vm_amap_empty(&w->am[b]));
	for (size_t i = 0; i < w->m[b].n; i++)
		model_set(&w->m[a], w->m[b].key[i], w->m[b].id[i]);
	w->m[b].n = 0;
}

/* Split A into B, let C share what A kept, and join A and B back: a join
 * whose left seam path is shared down to the leaf. */
static void r_split_share_join(struct rworld *w, int a, int b)
{
	int c = (b + 1) % NAMAPS == a ? (b + 2) % NAMAPS : (b + 1) % NAMAPS;

	r_split(w, a, b);
	r_share(w, a, c);
	if (vm_amap_empty(&w->am[b]) || vm_amap_empty(&w->am[a]) ||
	    w->m[a].key[w->m[a].n - 1] < w->m[b].key[0]) {
		uint64_t cost = vm_amap_join_cost(&w->am[a], &w->am[b]);
		uint64_t allocs = vm_amap_node_cache.allocs;

		CHECK_EQ(vm_amap_join(&w->am[a], &w->am[b]), VM_OK);
		check_took(allocs, cost, AMAP_JOIN_MAX_NODES);
		for (size_t i = 0; i < w->m[b].n; i++)
			model_set(&w->m[a], w->m[b].key[i], w->m[b].id[i]);
		w->m[b].n = 0;
	}
}

static void random_run(uint64_t seed, unsigned steps)
{
	struct rworld w = {0};
	uint64_t keys = 0, height = 0, shared_roots = 0;

	boot();
	rng_state = seed;
	for (unsigned s = 0; s < steps; s++) {
		int a = (int)rng_below(NAMAPS), b = (int)((a + 1 + rng_below(NAMAPS - 1)) % NAMAPS);
		uint64_t r = rng_below(100);

		if (r < 45)
			r_put(&w, a), w.ops[0]++;
		else if (r < 55)
			r_delete(&w, a), w.ops[1]++;
		else if (r < 62)
			r_clear(&w, a), w.ops[2]++;
		else if (r < 74)
			r_share(&w, a, b), w.ops[3]++;
		else if (r < 86)
			r_split(&w, a, b), w.ops[4]++;
		else if (r < 95)
			r_join(&w, a, b), w.ops[5]++;
		else if (r < 98)
			r_split_share_join(&w, a, b), w.ops[7]++;
		else
			vm_amap_release(&w.am[a]), w.m[a].n = 0, w.ops[6]++;
		check_world(w.am, w.m, NAMAPS);
		for (int k = 0; k < NAMAPS; k++) {
			keys += w.m[k].n;
			height += w.am[k].height;
			shared_roots += w.am[k].root != NULL && w.am[k].root->ref > 1;
		}
		if (check_failures > 0) {
			fprintf(stderr, "  seed %#" PRIx64 " step %u (op %" PRIu64 ")\n", seed, s, r);
			break;
		}
	}
	printf("seed %#" PRIx64 ": %u steps, put %" PRIu64 " del %" PRIu64 " clear %" PRIu64
	       " share %" PRIu64 " split %" PRIu64 " join %" PRIu64 " release %" PRIu64
	       " split-share-join %" PRIu64
	       ", %" PRIu64 " ENOMEM; per amap on average %.1f keys, height %.2f, root shared %.0f%%\n",
	       seed, steps, w.ops[0], w.ops[1], w.ops[2], w.ops[3], w.ops[4], w.ops[5], w.ops[6],
	       w.ops[7], w.enomem, (double)keys / (steps * NAMAPS), (double)height / (steps * NAMAPS),
	       100.0 * (double)shared_roots / (steps * NAMAPS));
	CHECK(w.enomem > 0);
	for (int k = 0; k < NAMAPS; k++) {
		vm_amap_release(&w.am[k]);
		model_free(&w.m[k]);
	}
	check_all_freed();
}

TEST(test_random)
{
	random_run(0x5eed0001, 4000);
	random_run(0x5eed0002, 4000);
	random_run(0x5eed0003, 4000);
}

int main(void)
{
	RUN(test_empty);
	RUN(test_both_ends_and_growth);
	RUN(test_prepare_abandoned);
	RUN(test_share_and_cow);
	RUN(test_clear);
	RUN(test_split_join_seams);
	RUN(test_join_far_apart);
	RUN(test_split_join_shared);
	RUN(test_foreach_and_walk);
	RUN(test_verify_catches);
	RUN(test_enomem);
	RUN(test_random);
	free(ram);
	return check_done();
}
