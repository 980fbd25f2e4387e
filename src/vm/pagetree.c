/*
 * pagetree.c - the page cache index (see pagetree.h).
 *
 * Level 1 nodes hold frames; level h nodes hold level h-1 nodes; the root
 * is at level `height` and covers [0, 64^height).  Growing adds levels
 * above the root; removal walks down, remembering the path, and frees
 * nodes that became empty on the way back up, then lowers the root while
 * it has only its first child, so the tree is as short as its largest key
 * needs.
 */
#include "pagetree.h"

struct vm_kmem_cache vm_pagetree_node_cache;

void vm_pagetree_init(void)
{
	vm_kmem_cache_init(&vm_pagetree_node_cache, "page tree", sizeof(struct pagetree_node));
}

static unsigned slot_of(uint64_t key, unsigned level)
{
	return (unsigned)(key >> (PAGETREE_SHIFT * (level - 1))) & (PAGETREE_FANOUT - 1);
}

/* Levels needed to hold KEY. */
static unsigned height_for(uint64_t key)
{
	unsigned h = 1;

	while (h < PAGETREE_MAX_HEIGHT && (key >> (PAGETREE_SHIFT * h)) != 0)
		h++;
	return h;
}

struct vm_page *vm_pagetree_lookup(const struct vm_pagetree *t, uint64_t key)
{
	const struct pagetree_node *n = t->root;

	if (n == NULL || height_for(key) > t->height)
		return NULL;
	for (unsigned level = t->height; level > 1 && n != NULL; level--)
		n = n->slot[slot_of(key, level)];
	return n != NULL ? n->slot[slot_of(key, 1)] : NULL;
}

uint64_t vm_pagetree_insert_cost(const struct vm_pagetree *t, uint64_t key)
{
	unsigned want = height_for(key), level;
	uint64_t cost = 0;
	const struct pagetree_node *n = t->root;

	if (n == NULL)
		return want;
	if (want > t->height) {
		/* A chain of new levels holds the old root at slot 0; KEY
		 * leaves the chain at its first nonzero slot. */
		cost = want - t->height;
		for (level = want; level > t->height; level--)
			if (slot_of(key, level) != 0)
				return cost + level - 1;
	}
	for (level = t->height; level > 1; level--) {
		n = n->slot[slot_of(key, level)];
		if (n == NULL)
			return cost + level - 1;
	}
	return cost;
}

static struct pagetree_node *node_new(void)
{
	struct pagetree_node *n = vm_kmem_alloc(&vm_pagetree_node_cache);

	VM_ASSERT(n != NULL); /* reserved */
	memset(n, 0, sizeof *n);
	return n;
}

static void grow(struct vm_pagetree *t, unsigned want)
{
	if (t->root == NULL) {
		t->root = node_new();
		t->height = (uint8_t)want;
		return;
	}
	while (t->height < want) {
		struct pagetree_node *top = node_new();

		top->slot[0] = t->root;
		top->count = 1;
		t->root = top;
		t->height++;
	}
}

enum vm_err vm_pagetree_insert(struct vm_pagetree *t, uint64_t key, struct vm_page *pg)
{
	struct pagetree_node *n;
	unsigned want = height_for(key);

	if (vm_kmem_reserve(&vm_pagetree_node_cache, vm_pagetree_insert_cost(t, key)) != VM_OK)
		return VM_ENOMEM;
	grow(t, want);
	n = t->root;
	for (unsigned level = t->height; level > 1; level--) {
		unsigned i = slot_of(key, level);

		if (n->slot[i] == NULL) {
			n->slot[i] = node_new();
			n->count++;
		}
		n = n->slot[i];
	}
	VM_ASSERT(n->slot[slot_of(key, 1)] == NULL);
	n->slot[slot_of(key, 1)] = pg;
	n->count++;
	t->count++;
	return VM_OK;
}

/* Lowers the root while it holds nothing but its first child. */
static void shrink(struct vm_pagetree *t)
{
	while (t->root != NULL && t->height > 1 && t->root->count == 1 && t->root->slot[0] != NULL) {
		struct pagetree_node *old = t->root;

		t->root = old->slot[0];
		t->height--;
		vm_kmem_free(&vm_pagetree_node_cache, old);
	}
}

void vm_pagetree_remove(struct vm_pagetree *t, uint64_t key)
{
	struct pagetree_node *path[PAGETREE_MAX_HEIGHT + 1];
	struct pagetree_node *n = t->root;
	unsigned level;

	VM_ASSERT(n != NULL && height_for(key) <= t->height);
	for (level = t->height; level >= 1; level--) {
		path[level] = n;
		if (level > 1)
			n = n->slot[slot_of(key, level)];
		VM_ASSERT(n != NULL);
	}
	VM_ASSERT(path[1]->slot[slot_of(key, 1)] != NULL);
	path[1]->slot[slot_of(key, 1)] = NULL;
	t->count--;
	for (level = 1; level <= t->height; level++) {
		if (--path[level]->count > 0)
			break;
		vm_kmem_free(&vm_pagetree_node_cache, path[level]);
		if (level == t->height) {
			t->root = NULL;
			t->height = 0;
			return;
		}
		path[level + 1]->slot[slot_of(key, level + 1)] = NULL;
	}
	shrink(t);
}

static uint64_t span_below(unsigned level)
{
	return (uint64_t)1 << (PAGETREE_SHIFT * (level - 1));
}

/* The first frame at an index >= FROM in N (level LEVEL, first index BASE). */
static struct vm_page *next_in(const struct pagetree_node *n, unsigned level, uint64_t base,
			       uint64_t from, uint64_t *key)
{
	unsigned first = from > base ? (unsigned)((from - base) / span_below(level)) : 0;

	for (unsigned i = first; i < PAGETREE_FANOUT; i++) {
		uint64_t cbase = base + i * span_below(level);
		struct vm_page *pg;

		if (n->slot[i] == NULL)
			continue;
		if (level == 1) {
			*key = cbase;
			return n->slot[i];
		}
		pg = next_in(n->slot[i], level - 1, cbase, from > cbase ? from : cbase, key);
		if (pg != NULL)
			return pg;
	}
	return NULL;
}

struct vm_page *vm_pagetree_next(const struct vm_pagetree *t, uint64_t from, uint64_t *key)
{
	if (t->root == NULL || (t->height < PAGETREE_MAX_HEIGHT &&
				from >= (uint64_t)1 << (PAGETREE_SHIFT * t->height)))
		return NULL;
	return next_in(t->root, t->height, 0, from, key);
}

static bool verify_node(const struct pagetree_node *n, unsigned level, uint64_t *nodes,
			uint64_t *frames)
{
	uint32_t count = 0;

	(*nodes)++;
	for (unsigned i = 0; i < PAGETREE_FANOUT; i++) {
		if (n->slot[i] == NULL)
			continue;
		count++;
		if (level == 1)
			(*frames)++;
		else if (!verify_node(n->slot[i], level - 1, nodes, frames))
			return false;
	}
	return count == n->count && count > 0;
}

bool vm_pagetree_verify(const struct vm_pagetree *t, uint64_t *nodes, char *why, size_t whylen)
{
	uint64_t frames = 0;
	const char *msg = NULL;

	*nodes = 0;
	if (t->root == NULL)
		msg = t->count == 0 ? NULL : "empty tree counts frames";
	else if (!verify_node(t->root, t->height, nodes, &frames))
		msg = "a node's count is wrong, or a node is empty";
	else if (frames != t->count)
		msg = "the tree's frame count is wrong";
	else if (t->height > 1 && t->root->count == 1 && t->root->slot[0] != NULL)
		msg = "the root could be lower";
	if (msg == NULL)
		return true;
	for (size_t i = 0; whylen > 0 && i + 1 < whylen && msg[i] != '\0'; i++) {
		why[i] = msg[i];
		why[i + 1] = '\0';
	}
	return false;
}
