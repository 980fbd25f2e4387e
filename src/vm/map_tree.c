/*
 * map_tree.c - the address-map tree (see map_tree.h for the interface).
 *
 * Why AVL.  A map is read far more often than it changes (every fault and
 * every system call looks up an address) and AVL trees are the shallowest
 * of the usual balanced trees: depth <= 1.44 log2(n+2), against 2 log2(n)
 * for red-black trees.  The price, more rotations on update, is small
 * because a rotation also has to recompute the gap augmentation, which a
 * red-black tree would pay too.  Splay trees (FreeBSD) restructure on
 * every lookup, which would turn the consistency checker's reads into
 * writes; the maple tree (Linux) allocates its own nodes, and this tree
 * must not allocate at all, since the map entries that embed it already
 * come from memory the caller accounted for.
 *
 * Parent pointers make every walk iterative: insertion and removal retrace
 * from the changed leaf upward, and in-order iteration needs no stack, so
 * nothing here recurses at all.
 *
 * Keeping the augmentation exact.  Every node stores height, gap (space
 * below it) and max_gap (largest gap in its subtree).  A rotation keeps the
 * in-order sequence, so gaps do not change; it only recomputes height and
 * max_gap of the two nodes it moves, from their children.  A mutation
 * changes at most two gaps (the node's own and its successor's), so it:
 *   1. writes the successor's new gap and fixes max_gap up its path, then
 *   2. changes the structure and retraces from the lowest changed node,
 *      recomputing and rebalancing.
 * Each pass starts from a tree whose max_gap values are exact for the
 * stored gaps, so each may stop as soon as a subtree's height and max_gap
 * come out as they were: nothing above can change.
 *
 * Free-space search walks the gaps in address order, skipping every
 * subtree whose max_gap is smaller than the request, so it meets only gaps
 * that are long enough; alignment or the LO bound can still reject such a
 * gap, and then the walk goes on to the next one.
 */
#include "vm/map_tree.h"

#include "mvm/port.h"

/* ---------------------------------------------------------------- */
/* Augmentation and rotations                                        */

static inline uint8_t node_height(const struct map_node *n)
{
	return n ? n->height : 0;
}

static inline uint64_t node_max_gap(const struct map_node *n)
{
	return n ? n->max_gap : 0;
}

static inline uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/* Height and max_gap of N from its children, which must be exact. */
static void node_recompute(struct map_node *n)
{
	uint8_t hl = node_height(n->left), hr = node_height(n->right);

	n->height = (uint8_t)(1 + (hl > hr ? hl : hr));
	n->max_gap = max_u64(n->gap, max_u64(node_max_gap(n->left),
					     node_max_gap(n->right)));
}

/* Make NEW take OLD's place under PARENT (or at the root). */
static void replace_child(struct map_tree *t, struct map_node *parent,
			  struct map_node *old, struct map_node *new)
{
	if (!parent)
		t->root = new;
	else if (parent->left == old)
		parent->left = new;
	else
		parent->right = new;
	if (new)
		new->parent = parent;
}

static struct map_node *rotate_left(struct map_tree *t, struct map_node *x)
{
	struct map_node *y = x->right;

	replace_child(t, x->parent, x, y);
	x->right = y->left;
	if (y->left)
		y->left->parent = x;
	y->left = x;
	x->parent = y;
	node_recompute(x);
	node_recompute(y);
	return y;
}

static struct map_node *rotate_right(struct map_tree *t, struct map_node *x)
{
	struct map_node *y = x->left;

	replace_child(t, x->parent, x, y);
	x->left = y->right;
	if (y->right)
		y->right->parent = x;
	y->right = x;
	x->parent = y;
	node_recompute(x);
	node_recompute(y);
	return y;
}

/*
 * Restore balance at N, whose children are balanced and exact and whose
 * heights differ by at most 2.  Returns the root of the subtree now in N's
 * place.
 */
static struct map_node *rebalance(struct map_tree *t, struct map_node *n)
{
	int balance = (int)node_height(n->left) - (int)node_height(n->right);

	if (balance > 1) {
		if (node_height(n->left->left) < node_height(n->left->right))
			rotate_left(t, n->left);
		return rotate_right(t, n);
	}
	if (balance < -1) {
		if (node_height(n->right->right) < node_height(n->right->left))
			rotate_right(t, n->right);
		return rotate_left(t, n);
	}
	node_recompute(n);
	return n;
}

/*
 * Walk from N to the root, rebalancing and recomputing.  N's stored height
 * and max_gap are what its subtree had before the change; the walk stops
 * at the first subtree that comes out with its old height and max_gap,
 * since nothing above can change.
 */
static void retrace(struct map_tree *t, struct map_node *n)
{
	while (n) {
		uint8_t old_height = n->height;
		uint64_t old_max_gap = n->max_gap;
		struct map_node *r = rebalance(t, n);

		if (r->height == old_height && r->max_gap == old_max_gap)
			return;
		n = r->parent;
	}
}

/* N's gap was just set: fix max_gap from N up while it changes. */
static void gap_changed(struct map_node *n, uint64_t gap)
{
	n->gap = gap;
	for (; n; n = n->parent) {
		uint64_t old = n->max_gap;

		n->max_gap = max_u64(n->gap, max_u64(node_max_gap(n->left),
						     node_max_gap(n->right)));
		if (n->max_gap == old)
			return;
	}
}

/* ---------------------------------------------------------------- */
/* Navigation                                                        */

static struct map_node *leftmost(struct map_node *n)
{
	while (n->left)
		n = n->left;
	return n;
}

static struct map_node *rightmost(struct map_node *n)
{
	while (n->right)
		n = n->right;
	return n;
}

struct map_node *map_tree_first(const struct map_tree *t)
{
	return t->root ? leftmost(t->root) : NULL;
}

struct map_node *map_tree_last(const struct map_tree *t)
{
	return t->root ? rightmost(t->root) : NULL;
}

struct map_node *map_tree_next(const struct map_node *n)
{
	if (n->right)
		return leftmost(n->right);
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

struct map_node *map_tree_prev(const struct map_node *n)
{
	if (n->left)
		return rightmost(n->left);
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

struct map_node *map_tree_lookup(const struct map_tree *t, uint64_t addr)
{
	struct map_node *n = t->root;

	while (n) {
		if (addr < n->start)
			n = n->left;
		else if (addr >= n->end)
			n = n->right;
		else
			return n;
	}
	return NULL;
}

struct map_node *map_tree_lookup_le(const struct map_tree *t, uint64_t addr)
{
	struct map_node *n = t->root, *best = NULL;

	while (n) {
		if (n->start <= addr) {
			best = n;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best;
}

struct map_node *map_tree_lookup_ge(const struct map_tree *t, uint64_t addr)
{
	struct map_node *n = t->root, *best = NULL;

	while (n) {
		if (n->end > addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

unsigned map_tree_depth(const struct map_tree *t)
{
	return node_height(t->root);
}

uint64_t map_tree_tail_gap(const struct map_tree *t)
{
	struct map_node *last = map_tree_last(t);

	return t->max - (last ? last->end : t->min);
}

/* ---------------------------------------------------------------- */
/* Mutation                                                          */

void map_tree_init(struct map_tree *t, uint64_t min, uint64_t max)
{
	VM_ASSERT(min < max);
	t->root = NULL;
	t->count = 0;
	t->min = min;
	t->max = max;
}

void map_tree_insert(struct map_tree *t, struct map_node *n)
{
	struct map_node *parent = NULL, **link = &t->root;
	struct map_node *pred = NULL, *succ = NULL;

	VM_ASSERT(n->start < n->end);
	VM_ASSERT(n->start >= t->min && n->end <= t->max);
	while (*link) {
		parent = *link;
		if (n->start < parent->start) {
			VM_ASSERT(n->end <= parent->start);
			succ = parent;
			link = &parent->left;
		} else {
			VM_ASSERT(n->start >= parent->end);
			pred = parent;
			link = &parent->right;
		}
	}
	/* N splits the gap below SUCC: SUCC keeps the part above N. */
	if (succ)
		gap_changed(succ, succ->start - n->end);

	n->parent = parent;
	n->left = n->right = NULL;
	n->height = 1;
	n->gap = n->start - (pred ? pred->end : t->min);
	n->max_gap = n->gap;
	*link = n;
	t->count++;
	if (parent)
		retrace(t, parent);
}

/*
 * Unlink N, which has two children, by moving its successor S into its
 * place.  Returns the node where retracing must start.
 *
 * S takes N's stored height and max_gap, the values the subtree in N's
 * place had, so retracing compares against the right thing.  If the
 * retrace stops below S, those values are also S's true ones: S's
 * children kept their heights, and the gaps under S are N's minus N's own
 * gap, which S's enlarged gap (already propagated) covers.
 */
static struct map_node *remove_two_children(struct map_tree *t, struct map_node *n,
					    struct map_node *s)
{
	struct map_node *from;

	if (s == n->right) {
		from = s;
	} else {
		from = s->parent;
		from->left = s->right;
		if (s->right)
			s->right->parent = from;
		s->right = n->right;
		s->right->parent = s;
	}
	s->left = n->left;
	s->left->parent = s;
	replace_child(t, n->parent, n, s);
	s->height = n->height;
	s->max_gap = n->max_gap;
	return from;
}

void map_tree_remove(struct map_tree *t, struct map_node *n)
{
	struct map_node *succ = map_tree_next(n);

	VM_ASSERT(t->count > 0);
	/* SUCC inherits N's gap and N's own space. */
	if (succ)
		gap_changed(succ, succ->gap + (n->end - n->start) + n->gap);

	if (n->left && n->right) {
		retrace(t, remove_two_children(t, n, succ));
	} else {
		struct map_node *child = n->left ? n->left : n->right;
		struct map_node *parent = n->parent;

		replace_child(t, parent, n, child);
		if (parent)
			retrace(t, parent);
	}
	t->count--;
	n->parent = n->left = n->right = NULL;
}

void map_tree_set_bounds(struct map_tree *t, struct map_node *n,
			 uint64_t start, uint64_t end)
{
	VM_ASSERT(start < end);
	if (start != n->start) {
		/* The space below N, measured from its predecessor's end. */
		uint64_t floor = n->start - n->gap;

		VM_ASSERT(start >= floor);
		gap_changed(n, start - floor);
		n->start = start;
	}
	if (end != n->end) {
		struct map_node *succ = map_tree_next(n);
		uint64_t ceiling = succ ? succ->start : t->max;

		VM_ASSERT(end <= ceiling);
		n->end = end;
		if (succ)
			gap_changed(succ, succ->start - end);
	}
}

/* ---------------------------------------------------------------- */
/* Free-space search                                                 */

/* Leftmost node of subtree N whose gap is >= SIZE; N->max_gap >= SIZE. */
static struct map_node *leftmost_fit(struct map_node *n, uint64_t size)
{
	for (;;) {
		if (n->left && n->left->max_gap >= size)
			n = n->left;
		else if (n->gap >= size)
			return n;
		else
			n = n->right;
		VM_ASSERT(n && n->max_gap >= size);
	}
}

/* The next node after N, in address order, whose gap is >= SIZE. */
static struct map_node *next_fit(struct map_node *n, uint64_t size)
{
	if (n->right && n->right->max_gap >= size)
		return leftmost_fit(n->right, size);
	for (;;) {
		struct map_node *p = n->parent;

		while (p && p->right == n) {
			n = p;
			p = p->parent;
		}
		if (!p)
			return NULL;
		if (p->gap >= size)
			return p;
		if (p->right && p->right->max_gap >= size)
			return leftmost_fit(p->right, size);
		n = p;
	}
}

/* First node whose start >= ADDR, or NULL. */
static struct map_node *first_starting_at(const struct map_tree *t, uint64_t addr)
{
	struct map_node *n = t->root, *best = NULL;

	while (n) {
		if (n->start >= addr) {
			best = n;
			n = n->left;
		} else {
			n = n->right;
		}
	}
	return best;
}

enum fit { FIT_FOUND, FIT_LATER, FIT_NEVER };

/*
 * Does [ADDR, ADDR+SIZE) fit in the gap [GS, GE) at or above LO with ADDR
 * <= LAST (the highest start the hi bound allows)?  FIT_NEVER means no
 * later gap can fit either, since later gaps lie higher.
 */
static enum fit fit_gap(uint64_t gs, uint64_t ge, uint64_t size, uint64_t align,
			uint64_t lo, uint64_t last, uint64_t *addr)
{
	uint64_t base = max_u64(gs, lo), a;

	if (base > last || base > UINT64_MAX - (align - 1))
		return FIT_NEVER;
	a = (base + (align - 1)) & ~(align - 1);
	if (a > last)
		return FIT_NEVER;
	if (a < ge && ge - a >= size) {
		*addr = a;
		return FIT_FOUND;
	}
	return FIT_LATER;
}

bool map_tree_find_space(const struct map_tree *t, uint64_t size, uint64_t align,
			 uint64_t lo, uint64_t hi, uint64_t *addr)
{
	struct map_node *n, *last_node;
	uint64_t last;
	enum fit f;

	if (align == 0)
		align = 1;
	VM_ASSERT((align & (align - 1)) == 0);
	lo = max_u64(lo, t->min);
	hi = hi < t->max ? hi : t->max;
	if (size == 0 || lo >= hi || size > hi - lo)
		return false;
	last = hi - size;

	/* A gap ending below LO + SIZE cannot hold the request. */
	n = first_starting_at(t, lo + size);
	if (n && n->gap < size)
		n = next_fit(n, size);
	for (; n; n = next_fit(n, size)) {
		f = fit_gap(n->start - n->gap, n->start, size, align, lo, last, addr);
		if (f == FIT_FOUND)
			return true;
		if (f == FIT_NEVER)
			return false;
	}
	last_node = map_tree_last(t);
	f = fit_gap(last_node ? last_node->end : t->min, t->max, size, align, lo,
		    last, addr);
	return f == FIT_FOUND;
}

/* ---------------------------------------------------------------- */
/* Verification                                                      */

/* Write MSG, then " at 0x<start>" when N is given, into WHY. */
static void why_set(char *why, size_t whylen, const char *msg,
		    const struct map_node *n)
{
	static const char hex[] = "0123456789abcdef";
	char tail[6 + 16 + 1];
	size_t i = 0, j = 0;

	if (!why || whylen == 0)
		return;
	while (msg[j] && i + 1 < whylen)
		why[i++] = msg[j++];
	if (n) {
		int shift;
		size_t k = 0;

		for (j = 0; " at 0x"[j]; j++)
			tail[k++] = " at 0x"[j];
		for (shift = 60; shift > 0 && !(n->start >> shift); shift -= 4)
			;
		for (; shift >= 0; shift -= 4)
			tail[k++] = hex[(n->start >> shift) & 0xf];
		tail[k] = '\0';
		for (j = 0; tail[j] && i + 1 < whylen; j++)
			why[i++] = tail[j];
	}
	why[i] = '\0';
}

/*
 * Check what N itself must satisfy: links to its children, bounds, order
 * after PREV_END, stored gap, and height and max_gap from its children.
 * Since every node is checked against its children's stored values and
 * leaves against nothing, the stored values are exact by induction.
 */
static const char *verify_node(const struct map_tree *t, const struct map_node *n,
			       uint64_t prev_end)
{
	int balance;
	uint8_t hl, hr;

	if ((n->left && n->left->parent != n) || (n->right && n->right->parent != n))
		return "child's parent link is wrong";
	if (n->left && n->left == n->right)
		return "left and right child are the same node";
	if (n->start >= n->end)
		return "empty or inverted range";
	if (n->start < t->min || n->end > t->max)
		return "range outside the tree's bounds";
	if (n->start < prev_end)
		return "range overlaps or is out of order with its predecessor";
	if (n->gap != n->start - prev_end)
		return "stored gap is wrong";
	hl = node_height(n->left);
	hr = node_height(n->right);
	if (n->height != 1 + (hl > hr ? hl : hr))
		return "stored height is wrong";
	balance = (int)hl - (int)hr;
	if (balance > 1 || balance < -1)
		return "AVL balance broken";
	if (n->max_gap != max_u64(n->gap, max_u64(node_max_gap(n->left),
						  node_max_gap(n->right))))
		return "stored max_gap is wrong";
	return NULL;
}

bool map_tree_verify(const struct map_tree *t, char *why, size_t whylen)
{
	const struct map_node *n = t->root;
	uint64_t prev_end = t->min, visited = 0;

	if (t->min >= t->max) {
		why_set(why, whylen, "tree bounds are empty", NULL);
		return false;
	}
	if (n && n->parent) {
		why_set(why, whylen, "root has a parent", n);
		return false;
	}
	if (n)
		n = leftmost((struct map_node *)n);
	while (n) {
		const char *err;

		if (++visited > t->count) {
			why_set(why, whylen, "more nodes than count (or a cycle)", n);
			return false;
		}
		err = verify_node(t, n, prev_end);
		if (err) {
			why_set(why, whylen, err, n);
			return false;
		}
		prev_end = n->end;
		n = map_tree_next(n);
	}
	if (visited != t->count) {
		why_set(why, whylen, "fewer nodes than count", NULL);
		return false;
	}
	if (why && whylen)
		why[0] = '\0';
	return true;
}
