/*
 * amap.c - the persistent 64-way radix tree of anons (see amap.h).
 *
 * Geometry.  A node at level L (1 = leaf) covers 64^L keys starting at a
 * multiple of 64^L; slot i of it covers the i-th 64^(L-1) of them.  Keys
 * are absolute, so two amaps that hold neighbouring ranges have nodes at
 * the same positions, and cutting or gluing them only touches the nodes
 * whose block straddles the seam: at most two per level.
 *
 * Copy on write, node by node.  A node with ref > 1 is never changed; the
 * operation that needs to change it first copies it (node_own): the copy
 * takes a reference on each child, the original loses the one the parent
 * held.  Copying a node makes its children shared, so once one node of a
 * path is copied every node below it on that path is copied too.  That is
 * the whole fork story: fork is vm_amap_share (one increment), and a write
 * fault after it copies one path of at most six nodes plus the page.
 *
 * Plan, take, commit.  Every operation that may allocate first walks the
 * tree without changing it and counts the nodes it will take (the same
 * walk is the exact *_cost function), takes them all into a small pool,
 * and only then changes anything, drawing from the pool.  So a failure
 * leaves no trace, a caller's reservation of *_cost nodes is never
 * exceeded, and each operation asserts that it used exactly what it
 * counted: the counting and the doing cannot drift apart unnoticed.
 *
 * Clear, split and join.  A clear keeps the keys outside [from, to).  It
 * first moves the root down to the smallest block holding all of those
 * ("retarget": take a reference on that node, drop the old root; whatever
 * the old root held outside the block is inside the range anyway), so the
 * result's root is minimal without freeing anything just allocated.
 * Below it, a child wholly inside the range, or holding nothing outside
 * it, is dropped by reference whatever it holds; only a child holding
 * keys on both sides of a boundary is descended into, and copied if
 * shared.  At most two such children per level.
 * A split is a share plus two clears: RIGHT shares the smallest block
 * holding the keys >= at and clears below at, then AM clears at and up.
 * RIGHT's clear copies the seam path (it is shared, having just been
 * shared), which hands the originals back to their previous counts, so
 * AM's clear copies only what was shared before the split.
 * A join grafts the shorter tree into the taller one: it grows the taller
 * root if the two blocks are apart, walks down to where the other root
 * belongs, and there either hangs it in an empty slot or merges the two
 * nodes slot by slot.  Because every key of one side is below every key
 * of the other, at most one slot per level is populated on both sides, so
 * the merge descends along one seam path.
 *
 * No recursion goes deeper than the tree height (6).
 */
#include "amap.h"

struct vm_kmem_cache vm_amap_node_cache;

void vm_amap_init(void)
{
	vm_kmem_cache_init(&vm_amap_node_cache, "amap_node", sizeof(struct amap_node));
}

/* ---------------------------------------------------------------- */
/* Geometry.                                                         */

/* Keys a node of LEVEL covers (LEVEL 0: one key, a leaf's slot). */
static inline uint64_t amap_span(unsigned level)
{
	return (uint64_t)1 << (AMAP_FANOUT_SHIFT * level);
}

/* Slot of KEY in a node of LEVEL. */
static inline unsigned amap_index(uint64_t key, unsigned level)
{
	return (unsigned)(key >> (AMAP_FANOUT_SHIFT * (level - 1))) & (AMAP_FANOUT - 1);
}

/* First key of slot I of a node of LEVEL starting at START. */
static inline uint64_t amap_child_start(uint64_t start, unsigned level, unsigned i)
{
	return start + ((uint64_t)i << (AMAP_FANOUT_SHIFT * (level - 1)));
}

/* Smallest height >= H at which keys A and B fall in one block. */
static unsigned amap_common_height(uint64_t a, uint64_t b, unsigned h)
{
	while (h < AMAP_MAX_HEIGHT && (a >> (AMAP_FANOUT_SHIFT * h)) != (b >> (AMAP_FANOUT_SHIFT * h)))
		h++;
	return h;
}

/* ---------------------------------------------------------------- */
/* Nodes and references.                                             */

/* Nodes taken before an operation changes anything (see the top). */
struct amap_pool {
	unsigned n;
	struct amap_node *node[AMAP_SPLIT_MAX_NODES];
};

static enum vm_err pool_fill(struct amap_pool *p, uint64_t n)
{
	VM_ASSERT(n <= AMAP_SPLIT_MAX_NODES);
	p->n = 0;
	while (p->n < n) {
		struct amap_node *node = vm_kmem_alloc(&vm_amap_node_cache);

		if (node == NULL) {
			while (p->n > 0)
				vm_kmem_free(&vm_amap_node_cache, p->node[--p->n]);
			return VM_ENOMEM;
		}
		p->node[p->n++] = node;
	}
	return VM_OK;
}

static void pool_done(const struct amap_pool *p)
{
	VM_ASSERT(p->n == 0); /* the plan counted exactly what was used */
}

/* An empty exclusive node from the pool. */
static struct amap_node *node_new(struct amap_pool *p)
{
	struct amap_node *n;

	VM_ASSERT(p->n > 0);
	n = p->node[--p->n];
	n->ref = 1;
	n->count = 0;
	memset(n->slot, 0, sizeof(n->slot));
	return n;
}

static void node_unref(struct amap_node *n, unsigned level);

/* A new reference to what slot P of a node of LEVEL points at. */
static void slot_ref(void *p, unsigned level)
{
	if (level == 1)
		vm_anon_ref(p);
	else
		((struct amap_node *)p)->ref++;
}

static void slot_unref(void *p, unsigned level)
{
	if (level == 1)
		vm_anon_unref(p);
	else
		node_unref(p, level - 1);
}

/* Drops a reference on N (of LEVEL); the last one frees N and drops its
 * children's, down the levels. */
static void node_unref(struct amap_node *n, unsigned level)
{
	VM_ASSERT(n->ref > 0);
	if (--n->ref > 0)
		return;
	for (unsigned i = 0, seen = 0; seen < n->count; i++) {
		if (n->slot[i] != NULL) {
			slot_unref(n->slot[i], level);
			seen++;
		}
	}
	vm_kmem_free(&vm_amap_node_cache, n);
}

/*
 * Where a node hangs: slot IDX of PARENT, or AM's root when PARENT is
 * NULL.  Lets the path walks replace a node (copy on write) wherever it is.
 */
struct amap_link {
	struct vm_amap *am;
	struct amap_node *parent;
	unsigned idx;
};

static struct amap_link link_root(struct vm_amap *am)
{
	return (struct amap_link){.am = am, .parent = NULL, .idx = 0};
}

static struct amap_link link_child(struct vm_amap *am, struct amap_node *parent, unsigned idx)
{
	return (struct amap_link){.am = am, .parent = parent, .idx = idx};
}

static struct amap_node *link_get(struct amap_link l)
{
	return l.parent != NULL ? l.parent->slot[l.idx] : l.am->root;
}

static void link_set(struct amap_link l, struct amap_node *n)
{
	if (l.parent != NULL)
		l.parent->slot[l.idx] = n;
	else
		l.am->root = n;
}

/* The node at L (of LEVEL), about to change: copied first if shared. */
static struct amap_node *node_own(struct amap_link l, unsigned level, struct amap_pool *p)
{
	struct amap_node *n = link_get(l), *c;

	if (n->ref == 1)
		return n;
	c = node_new(p);
	c->count = n->count;
	memcpy(c->slot, n->slot, sizeof(c->slot));
	for (unsigned i = 0; i < AMAP_FANOUT; i++)
		if (c->slot[i] != NULL)
			slot_ref(c->slot[i], level);
	n->ref--;
	link_set(l, c);
	return c;
}

/* Drops slot I of N (of LEVEL) and what it points at. */
static void node_drop_slot(struct amap_node *n, unsigned level, unsigned i)
{
	slot_unref(n->slot[i], level);
	n->slot[i] = NULL;
	n->count--;
}

/* ---------------------------------------------------------------- */
/* Queries on subtrees.                                              */

/* Whether N (of LEVEL, first key START) holds a key in [lo, hi). */
static bool node_has(const struct amap_node *n, unsigned level, uint64_t start, uint64_t lo,
		     uint64_t hi)
{
	uint64_t end = start + amap_span(level);
	unsigned i0, i1;

	if (lo < start)
		lo = start;
	if (hi > end)
		hi = end;
	if (lo >= hi)
		return false;
	if (lo == start && hi == end)
		return n->count > 0; /* no empty node below */
	i0 = amap_index(lo, level);
	i1 = amap_index(hi - 1, level);
	for (unsigned i = i0; i <= i1; i++) {
		if (n->slot[i] == NULL)
			continue;
		if (level == 1 || node_has(n->slot[i], level - 1, amap_child_start(start, level, i), lo, hi))
			return true;
	}
	return false;
}

/* Whether N holds a key outside [from, to). */
static bool node_has_outside(const struct amap_node *n, unsigned level, uint64_t start,
			     uint64_t from, uint64_t to)
{
	return node_has(n, level, start, start, from) ||
	       node_has(n, level, start, to, start + amap_span(level));
}

static bool node_has_both(const struct amap_node *n, unsigned level, uint64_t start,
			  uint64_t from, uint64_t to)
{
	return node_has(n, level, start, from, to) && node_has_outside(n, level, start, from, to);
}

/* A node of the tree with where it sits. */
struct amap_block {
	struct amap_node *node;
	unsigned level;
	uint64_t start;
	bool shared; /* some node from the root down to this one has ref > 1 */
};

static struct amap_block block_root(const struct vm_amap *am)
{
	return (struct amap_block){
		.node = am->root, .level = am->height, .start = am->base,
		.shared = am->root->ref > 1,
	};
}

/*
 * The smallest block that holds every key of AM outside [from, to) (there
 * must be one): descends while a single child holds them all.
 */
static struct amap_block block_keeping(const struct vm_amap *am, uint64_t from, uint64_t to)
{
	struct amap_block b = block_root(am);

	while (b.level > 1) {
		unsigned holders = 0, only = 0;

		for (unsigned i = 0; i < AMAP_FANOUT && holders < 2; i++) {
			const struct amap_node *c = b.node->slot[i];

			if (c != NULL && node_has_outside(c, b.level - 1,
							  amap_child_start(b.start, b.level, i), from, to)) {
				holders++;
				only = i;
			}
		}
		VM_ASSERT(holders > 0);
		if (holders > 1)
			break;
		b.start = amap_child_start(b.start, b.level, only);
		b.node = b.node->slot[only];
		b.level--;
		b.shared = b.shared || b.node->ref > 1;
	}
	return b;
}

/* ---------------------------------------------------------------- */
/* Lookup and iteration.                                             */

struct vm_anon *vm_amap_lookup(const struct vm_amap *am, uint64_t vpn, bool *shared)
{
	const struct amap_node *n = am->root;
	unsigned level = am->height;
	bool sh = false;
	void *p = NULL;

	if (n != NULL && ((vpn - am->base) >> (AMAP_FANOUT_SHIFT * level)) == 0) {
		for (;;) {
			sh = sh || n->ref > 1;
			p = n->slot[amap_index(vpn, level)];
			if (level == 1 || p == NULL)
				break;
			n = p;
			level--;
		}
	}
	if (shared != NULL)
		*shared = sh;
	return p;
}

struct amap_visit {
	uint64_t from, to;
	vm_amap_visit_fn fn;
	void *arg;
};

static bool visit_node(const struct amap_visit *v, const struct amap_node *n, unsigned level,
		       uint64_t start, bool shared)
{
	uint64_t lo = v->from > start ? v->from : start;
	uint64_t end = start + amap_span(level);
	uint64_t hi = v->to < end ? v->to : end;

	shared = shared || n->ref > 1;
	if (lo >= hi)
		return true;
	for (unsigned i = amap_index(lo, level), last = amap_index(hi - 1, level); i <= last; i++) {
		uint64_t key = amap_child_start(start, level, i);
		void *p = n->slot[i];

		if (p == NULL)
			continue;
		if (level == 1 ? !v->fn(v->arg, key, p, shared) : !visit_node(v, p, level - 1, key, shared))
			return false;
	}
	return true;
}

void vm_amap_foreach(const struct vm_amap *am, uint64_t from, uint64_t to,
		     vm_amap_visit_fn fn, void *arg)
{
	struct amap_visit v = {.from = from, .to = to, .fn = fn, .arg = arg};

	if (am->root != NULL)
		visit_node(&v, am->root, am->height, am->base, false);
}

static void walk_node(const struct amap_node *n, unsigned level, uint64_t start,
		      vm_amap_node_fn fn, void *arg)
{
	if (!fn(arg, n, level, start) || level == 1)
		return;
	for (unsigned i = 0; i < AMAP_FANOUT; i++)
		if (n->slot[i] != NULL)
			walk_node(n->slot[i], level - 1, amap_child_start(start, level, i), fn, arg);
}

void vm_amap_walk_nodes(const struct vm_amap *am, vm_amap_node_fn fn, void *arg)
{
	if (am->root != NULL)
		walk_node(am->root, am->height, am->base, fn, arg);
}

static uint64_t count_node(const struct amap_node *n, unsigned level)
{
	uint64_t total = 0;

	if (level == 1)
		return n->count;
	for (unsigned i = 0; i < AMAP_FANOUT; i++)
		if (n->slot[i] != NULL)
			total += count_node(n->slot[i], level - 1);
	return total;
}

uint64_t vm_amap_count(const struct vm_amap *am)
{
	return am->root != NULL ? count_node(am->root, am->height) : 0;
}

/* ---------------------------------------------------------------- */
/* Share and release.                                                */

void vm_amap_share(const struct vm_amap *src, struct vm_amap *dst)
{
	VM_ASSERT(dst->root == NULL);
	*dst = *src;
	if (dst->root != NULL)
		dst->root->ref++;
}

void vm_amap_release(struct vm_amap *am)
{
	if (am->root != NULL)
		node_unref(am->root, am->height);
	*am = (struct vm_amap){0};
}

/* Makes B (a node of AM's tree) AM's root; what else the old root held goes. */
static void amap_retarget(struct vm_amap *am, const struct amap_block *b)
{
	struct amap_node *old = am->root;
	unsigned old_height = am->height;

	if (b->node == old)
		return;
	b->node->ref++;
	am->root = b->node;
	am->height = (uint8_t)b->level;
	am->base = b->start;
	node_unref(old, old_height);
}

/* While the root is interior with one child, the child becomes the root. */
static void amap_shrink(struct vm_amap *am)
{
	while (am->root != NULL && am->height > 1 && am->root->count == 1) {
		unsigned i = 0;

		while (am->root->slot[i] == NULL)
			i++;
		amap_retarget(am, &(struct amap_block){
			.node = am->root->slot[i], .level = am->height - 1u,
			.start = amap_child_start(am->base, am->height, i),
		});
	}
}

/*
 * Puts a new exclusive root of HEIGHT above AM's root, with a chain of
 * single-child nodes down to the old root.  The chain nodes are not
 * useless: the caller hangs a second subtree under the new root at once.
 */
static void amap_grow(struct vm_amap *am, unsigned height, struct amap_pool *p)
{
	struct amap_node *below = am->root;

	for (unsigned level = am->height + 1u; level <= height; level++) {
		struct amap_node *n = node_new(p);

		n->slot[amap_index(am->base, level)] = below;
		n->count = 1;
		below = n;
	}
	am->root = below;
	am->height = (uint8_t)height;
	am->base &= ~(amap_span(height) - 1);
}

/* ---------------------------------------------------------------- */
/* Prepare and set.                                                  */

static uint64_t prepare_plan(const struct vm_amap *am, uint64_t vpn)
{
	const struct amap_node *n = am->root;
	unsigned level = am->height;
	uint64_t need = 0;
	bool shared = false;

	VM_ASSERT(vpn < AMAP_KEY_LIMIT);
	if (n == NULL)
		return 1;
	if (vpn - am->base >= amap_span(level)) {
		unsigned h = amap_common_height(am->base, vpn, level);

		/* new root, the chain down to the old root, the path to VPN */
		return 1 + (h - 1 - level) + (h - 1);
	}
	for (;; level--) {
		shared = shared || n->ref > 1;
		need += shared;
		if (level == 1)
			return need;
		n = n->slot[amap_index(vpn, level)];
		if (n == NULL)
			return need + level - 1;
	}
}

uint64_t vm_amap_prepare_cost(const struct vm_amap *am, uint64_t vpn)
{
	return prepare_plan(am, vpn);
}

enum vm_err vm_amap_prepare(struct vm_amap *am, uint64_t vpn)
{
	struct amap_pool pool;
	struct amap_link l = link_root(am);
	unsigned level;

	if (pool_fill(&pool, prepare_plan(am, vpn)) != VM_OK)
		return VM_ENOMEM;
	if (am->root == NULL) {
		am->root = node_new(&pool);
		am->base = vpn & ~(uint64_t)(AMAP_FANOUT - 1);
		am->height = 1;
	} else if (vpn - am->base >= amap_span(am->height)) {
		amap_grow(am, amap_common_height(am->base, vpn, am->height), &pool);
	}
	for (level = am->height;; level--) {
		struct amap_node *n = node_own(l, level, &pool);
		unsigned i = amap_index(vpn, level);

		if (level == 1)
			break;
		if (n->slot[i] == NULL) {
			n->slot[i] = node_new(&pool);
			n->count++;
		}
		l = link_child(am, n, i);
	}
	pool_done(&pool);
	return VM_OK;
}

struct vm_anon *vm_amap_set(struct vm_amap *am, uint64_t vpn, struct vm_anon *anon)
{
	struct amap_node *path[AMAP_MAX_HEIGHT + 1];
	struct amap_node *n = am->root;
	struct vm_anon *old;
	unsigned level = am->height, i;

	if (n == NULL || vpn - am->base >= amap_span(level)) {
		VM_ASSERT(anon == NULL); /* not prepared */
		return NULL;
	}
	for (;; level--) {
		path[level] = n;
		if (level == 1)
			break;
		n = n->slot[amap_index(vpn, level)];
		if (n == NULL) {
			VM_ASSERT(anon == NULL);
			return NULL; /* nothing there, and no prepared path */
		}
	}
	i = amap_index(vpn, 1);
	old = n->slot[i];
	if (old == NULL && anon == NULL && n->count > 0)
		return NULL; /* an empty slot of a live leaf: nothing to do */
	for (level = 1; level <= am->height; level++)
		VM_ASSERT(path[level]->ref == 1); /* prepared */
	n->slot[i] = anon;
	if (anon != NULL)
		n->count++;
	if (old != NULL)
		n->count--;
	/* Prune the nodes left empty, from the leaf up. */
	for (level = 1; level <= am->height && path[level]->count == 0; level++) {
		vm_kmem_free(&vm_amap_node_cache, path[level]);
		if (level == am->height) {
			*am = (struct vm_amap){0};
			return old;
		}
		path[level + 1]->slot[amap_index(vpn, level + 1)] = NULL;
		path[level + 1]->count--;
	}
	amap_shrink(am);
	return old;
}

/* ---------------------------------------------------------------- */
/* Clear.                                                            */

/* Partial children of a node: the first and last slot touching the range.
 * A child is partial when it meets [from, to) without lying inside it. */
static bool child_inside(uint64_t cstart, unsigned clevel, uint64_t from, uint64_t to)
{
	return from <= cstart && cstart + amap_span(clevel) <= to;
}

/* The slots of a node of LEVEL at START that meet [from, to): [*i0, *i1]. */
static bool slots_meeting(uint64_t start, unsigned level, uint64_t from, uint64_t to,
			  unsigned *i0, unsigned *i1)
{
	uint64_t end = start + amap_span(level);
	uint64_t lo = from > start ? from : start, hi = to < end ? to : end;

	if (lo >= hi)
		return false;
	*i0 = amap_index(lo, level);
	*i1 = amap_index(hi - 1, level);
	return true;
}

/*
 * Nodes clear_below will copy in N, which holds keys both inside and
 * outside [from, to).  SHARED: an ancestor will be (or is) copied.
 */
static uint64_t clear_count(const struct amap_node *n, unsigned level, uint64_t start,
			    uint64_t from, uint64_t to, bool shared)
{
	uint64_t need;
	unsigned i0, i1;

	shared = shared || n->ref > 1;
	need = shared;
	if (level == 1 || !slots_meeting(start, level, from, to, &i0, &i1))
		return need;
	/* Only the first and the last slot can be partial. */
	unsigned ends[2] = {i0, i1};

	for (unsigned k = 0; k < (i0 == i1 ? 1u : 2u); k++) {
		unsigned i = ends[k];
		const struct amap_node *c = n->slot[i];
		uint64_t cs = amap_child_start(start, level, i);

		if (c != NULL && !child_inside(cs, level - 1, from, to) &&
		    node_has_both(c, level - 1, cs, from, to))
			need += clear_count(c, level - 1, cs, from, to, shared);
	}
	return need;
}

/* Removes the keys in [from, to) below L, whose node holds keys on both
 * sides (so it survives). */
static void clear_below(struct amap_link l, unsigned level, uint64_t start, uint64_t from,
			uint64_t to, struct amap_pool *p)
{
	struct amap_node *n = node_own(l, level, p);
	unsigned i0, i1;

	if (!slots_meeting(start, level, from, to, &i0, &i1))
		return;
	for (unsigned i = i0; i <= i1; i++) {
		struct amap_node *c = n->slot[i];
		uint64_t cs = amap_child_start(start, level, i);

		if (c == NULL)
			continue;
		if (level == 1 || child_inside(cs, level - 1, from, to) ||
		    !node_has_outside(c, level - 1, cs, from, to))
			node_drop_slot(n, level, i);
		else if (node_has(c, level - 1, cs, from, to))
			clear_below(link_child(l.am, n, i), level - 1, cs, from, to, p);
	}
	VM_ASSERT(n->count > 0);
}

enum amap_clear_kind { CLEAR_NOTHING, CLEAR_ALL, CLEAR_PART };

struct clear_plan {
	enum amap_clear_kind kind;
	struct amap_block keep;   /* CLEAR_PART: the new root */
	bool cut;                 /* CLEAR_PART: keep holds keys in the range */
	uint64_t need;
};

static struct clear_plan clear_plan(const struct vm_amap *am, uint64_t from, uint64_t to)
{
	struct clear_plan cp = {.kind = CLEAR_NOTHING};

	if (am->root == NULL || !node_has(am->root, am->height, am->base, from, to))
		return cp;
	if (!node_has_outside(am->root, am->height, am->base, from, to)) {
		cp.kind = CLEAR_ALL;
		return cp;
	}
	cp.kind = CLEAR_PART;
	cp.keep = block_keeping(am, from, to);
	cp.cut = node_has(cp.keep.node, cp.keep.level, cp.keep.start, from, to);
	if (cp.cut)
		cp.need = clear_count(cp.keep.node, cp.keep.level, cp.keep.start, from, to,
				      cp.keep.shared);
	return cp;
}

/* Carries out a CLEAR_PART plan with its nodes in P. */
static void clear_commit(struct vm_amap *am, const struct clear_plan *cp, uint64_t from,
			 uint64_t to, struct amap_pool *p)
{
	amap_retarget(am, &cp->keep);
	if (cp->cut)
		clear_below(link_root(am), am->height, am->base, from, to, p);
}

uint64_t vm_amap_clear_cost_range(const struct vm_amap *am, uint64_t from, uint64_t to)
{
	return clear_plan(am, from, to).need;
}

uint64_t vm_amap_clear_cost(const struct vm_amap *am)
{
	return am->root != NULL ? 2u * am->height - 1u : 0;
}

enum vm_err vm_amap_clear(struct vm_amap *am, uint64_t from, uint64_t to)
{
	struct clear_plan cp = clear_plan(am, from, to);
	struct amap_pool pool;

	if (cp.kind == CLEAR_ALL)
		vm_amap_release(am);
	if (cp.kind != CLEAR_PART)
		return VM_OK;
	if (pool_fill(&pool, cp.need) != VM_OK)
		return VM_ENOMEM;
	clear_commit(am, &cp, from, to, &pool);
	pool_done(&pool);
	return VM_OK;
}

/* ---------------------------------------------------------------- */
/* Split.                                                            */

struct split_plan {
	enum amap_clear_kind kind; /* NOTHING: all stays; ALL: all moves */
	struct clear_plan right;   /* RIGHT, sharing right.keep, clears [0, at) */
	struct clear_plan left;    /* AM clears [at, limit) */
};

static struct split_plan split_plan(const struct vm_amap *am, uint64_t at)
{
	struct split_plan sp = {.kind = CLEAR_NOTHING};

	if (am->root == NULL || !node_has(am->root, am->height, am->base, at, AMAP_KEY_LIMIT))
		return sp;
	if (!node_has(am->root, am->height, am->base, 0, at)) {
		sp.kind = CLEAR_ALL;
		return sp;
	}
	sp.kind = CLEAR_PART;
	sp.left = clear_plan(am, at, AMAP_KEY_LIMIT);
	sp.right.kind = CLEAR_PART;
	sp.right.keep = block_keeping(am, 0, at);
	sp.right.keep.shared = true; /* RIGHT's reference makes it so */
	sp.right.cut = node_has(sp.right.keep.node, sp.right.keep.level, sp.right.keep.start, 0, at);
	if (sp.right.cut)
		sp.right.need = clear_count(sp.right.keep.node, sp.right.keep.level,
					    sp.right.keep.start, 0, at, true);
	return sp;
}

uint64_t vm_amap_split_cost_at(const struct vm_amap *am, uint64_t at)
{
	struct split_plan sp = split_plan(am, at);

	return sp.right.need + sp.left.need;
}

uint64_t vm_amap_split_cost(const struct vm_amap *am)
{
	return am->root != NULL ? 2u * am->height : 0;
}

enum vm_err vm_amap_split(struct vm_amap *am, uint64_t at, struct vm_amap *right)
{
	struct split_plan sp = split_plan(am, at);
	struct amap_pool pool;

	VM_ASSERT(right->root == NULL);
	if (sp.kind == CLEAR_ALL) {
		*right = *am;
		*am = (struct vm_amap){0};
	}
	if (sp.kind != CLEAR_PART)
		return VM_OK;
	if (pool_fill(&pool, sp.right.need + sp.left.need) != VM_OK)
		return VM_ENOMEM;
	/*
	 * RIGHT's clear copies the seam path and so gives the originals back
	 * their previous counts; AM's plan, made on the untouched tree, is
	 * therefore still exact (see the top of the file).
	 */
	*right = (struct vm_amap){
		.root = sp.right.keep.node, .base = sp.right.keep.start,
		.height = (uint8_t)sp.right.keep.level,
	};
	right->root->ref++;
	if (sp.right.cut)
		clear_below(link_root(right), right->height, right->base, 0, at, &pool);
	clear_commit(am, &sp.left, at, AMAP_KEY_LIMIT, &pool);
	pool_done(&pool);
	return VM_OK;
}

/* ---------------------------------------------------------------- */
/* Join.                                                             */

static uint64_t key_min(const struct vm_amap *am)
{
	const struct amap_node *n = am->root;
	uint64_t key = am->base;

	for (unsigned level = am->height;; level--) {
		unsigned i = 0;

		while (n->slot[i] == NULL)
			i++;
		key = amap_child_start(key, level, i);
		if (level == 1)
			return key;
		n = n->slot[i];
	}
}

static uint64_t key_max(const struct vm_amap *am)
{
	const struct amap_node *n = am->root;
	uint64_t key = am->base;

	for (unsigned level = am->height;; level--) {
		unsigned i = AMAP_FANOUT - 1;

		while (n->slot[i] == NULL)
			i--;
		key = amap_child_start(key, level, i);
		if (level == 1)
			return key;
		n = n->slot[i];
	}
}

/* The slot populated in both N and X (of one level and block), or FANOUT. */
static unsigned seam_index(const struct amap_node *n, const struct amap_node *x)
{
	for (unsigned i = 0; i < AMAP_FANOUT; i++)
		if (n->slot[i] != NULL && x->slot[i] != NULL)
			return i;
	return AMAP_FANOUT;
}

/*
 * Nodes grafting X's tree into Y's takes (Y at least as tall as X): the
 * grown root and chains, or the copies of Y's shared nodes on the path
 * down to X's root and along the seam of the merge below it, plus the new
 * nodes where that path is missing.
 */
static uint64_t graft_plan(const struct vm_amap *y, const struct vm_amap *x)
{
	unsigned top = amap_common_height(y->base, x->base, y->height);
	const struct amap_node *n = y->root, *xn = x->root;
	unsigned level = y->height;
	uint64_t need = 0;
	bool shared = false;

	if (top > y->height)
		return 1 + (top - 1 - y->height) + (top - 1 - x->height);
	for (; level > x->height; level--) {
		shared = shared || n->ref > 1;
		need += shared;
		n = n->slot[amap_index(x->base, level)];
		if (n == NULL)
			return need + (level - 1 - x->height);
	}
	for (;; level--) {
		unsigned i;

		shared = shared || n->ref > 1;
		need += shared;
		if (level == 1 || (i = seam_index(n, xn)) == AMAP_FANOUT)
			return need;
		n = n->slot[i];
		xn = xn->slot[i];
	}
}

/* Merges X (one reference, consumed) into the node at L, both of LEVEL
 * and the same block. */
static void merge_node(struct amap_link l, struct amap_node *x, unsigned level,
		       struct amap_pool *p)
{
	struct amap_node *n = node_own(l, level, p);
	bool x_shared = x->ref > 1;

	VM_ASSERT(n != x);
	for (unsigned i = 0; i < AMAP_FANOUT; i++) {
		void *c = x->slot[i];

		if (c == NULL)
			continue;
		if (x_shared)
			slot_ref(c, level);
		if (n->slot[i] == NULL) {
			n->slot[i] = c;
			n->count++;
		} else {
			VM_ASSERT(level > 1); /* the two sides hold disjoint keys */
			merge_node(link_child(l.am, n, i), c, level - 1, p);
		}
	}
	if (x_shared)
		x->ref--;
	else
		vm_kmem_free(&vm_amap_node_cache, x);
}

/* Moves X's tree into Y's; X ends empty. */
static void graft_commit(struct vm_amap *y, struct vm_amap *x, struct amap_pool *p)
{
	unsigned top = amap_common_height(y->base, x->base, y->height);
	struct amap_link l = link_root(y);

	if (top > y->height)
		amap_grow(y, top, p);
	for (unsigned level = y->height; level > x->height; level--) {
		struct amap_node *n = node_own(l, level, p);
		unsigned i = amap_index(x->base, level);

		if (n->slot[i] == NULL) {
			n->slot[i] = level - 1 == x->height ? x->root : node_new(p);
			n->count++;
			if (level - 1 == x->height) {
				*x = (struct vm_amap){0};
				return;
			}
		}
		l = link_child(y, n, i);
	}
	merge_node(l, x->root, x->height, p);
	*x = (struct vm_amap){0};
}

/* The taller tree receives the other (LEFT if they are equal). */
static void join_roles(struct vm_amap *left, struct vm_amap *right, struct vm_amap **y,
		       struct vm_amap **x)
{
	bool right_taller = right->height > left->height;

	*y = right_taller ? right : left;
	*x = right_taller ? left : right;
}

uint64_t vm_amap_join_cost(const struct vm_amap *left, const struct vm_amap *right)
{
	if (left->root == NULL || right->root == NULL)
		return 0;
	if (right->height > left->height)
		return graft_plan(right, left);
	return graft_plan(left, right);
}

enum vm_err vm_amap_join(struct vm_amap *left, struct vm_amap *right)
{
	struct vm_amap *y, *x;
	struct amap_pool pool;

	if (right->root == NULL)
		return VM_OK;
	if (left->root == NULL) {
		*left = *right;
		*right = (struct vm_amap){0};
		return VM_OK;
	}
	VM_ASSERT(key_max(left) < key_min(right));
	join_roles(left, right, &y, &x);
	if (pool_fill(&pool, graft_plan(y, x)) != VM_OK)
		return VM_ENOMEM;
	graft_commit(y, x, &pool);
	pool_done(&pool);
	if (y == right) {
		*left = *right;
		*right = (struct vm_amap){0};
	}
	return VM_OK;
}

/* ---------------------------------------------------------------- */
/* Verification.                                                     */

struct amap_why {
	char *buf;
	size_t len, used;
};

static void why_str(struct amap_why *w, const char *s)
{
	while (*s != '\0' && w->used + 1 < w->len)
		w->buf[w->used++] = *s++;
	if (w->len > 0)
		w->buf[w->used] = '\0';
}

static void why_u64(struct amap_why *w, uint64_t v)
{
	char digits[21];
	unsigned n = 0;

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0 && w->used + 1 < w->len)
		w->buf[w->used++] = digits[--n];
	if (w->len > 0)
		w->buf[w->used] = '\0';
}

static bool why_fail(struct amap_why *w, const char *msg, uint64_t key)
{
	why_str(w, msg);
	why_str(w, " (key ");
	why_u64(w, key);
	why_str(w, ")");
	return false;
}

static bool verify_node(const struct amap_node *n, unsigned level, uint64_t start, uint64_t lo,
			uint64_t hi, struct amap_why *w)
{
	uint32_t count = 0;

	if (n->ref == 0)
		return why_fail(w, "node with ref 0", start);
	for (unsigned i = 0; i < AMAP_FANOUT; i++) {
		const void *p = n->slot[i];
		uint64_t key = amap_child_start(start, level, i);

		if (p == NULL)
			continue;
		count++;
		if (level > 1) {
			if (!verify_node(p, level - 1, key, lo, hi, w))
				return false;
			continue;
		}
		if (((const struct vm_anon *)p)->ref == 0)
			return why_fail(w, "anon with ref 0", key);
		if (key < lo || key >= hi)
			return why_fail(w, "anon outside the amap's range", key);
	}
	if (count != n->count)
		return why_fail(w, "node count differs from its populated slots", start);
	if (count == 0)
		return why_fail(w, "empty node", start);
	return true;
}

bool vm_amap_verify(const struct vm_amap *am, uint64_t lo, uint64_t hi, char *why, size_t whylen)
{
	struct amap_why w = {.buf = why, .len = whylen, .used = 0};

	why_str(&w, "");
	if (am->root == NULL)
		return true;
	if (am->height < 1 || am->height > AMAP_MAX_HEIGHT)
		return why_fail(&w, "bad height", am->height);
	if ((am->base & (amap_span(am->height) - 1)) != 0 || am->base >= AMAP_KEY_LIMIT)
		return why_fail(&w, "root base not aligned to its block", am->base);
	if (am->height > 1 && am->root->count == 1)
		return why_fail(&w, "interior root with a single child", am->base);
	return verify_node(am->root, am->height, am->base, lo, hi, &w);
}
