/*
 * map_tree.h - the address-map tree: an intrusive AVL tree of disjoint
 * address ranges, augmented with the largest free gap in each subtree.
 *
 * A process's map (vm_map) embeds one struct map_node in every map entry
 * and keeps them here, ordered by address.  Lookup by address and the
 * search for free space of a given size are both O(log n), as in NetBSD's
 * and FreeBSD's maps.  The tree never allocates: the caller owns every
 * node, inserts it, and may reuse its memory once it is removed.
 *
 * Gaps.  The gap of a node is the free space just below it:
 *     node->start - predecessor->end       (or node->start - tree->min)
 * and the space above the last node, tree->max - last->end, is the tree's
 * tail gap.  Each node stores its own gap and the largest gap in its
 * subtree (max_gap), so a search can skip any subtree whose max_gap is too
 * small.  A node's gap depends on its predecessor, which need not be in its
 * subtree; that is why the gap is stored rather than derived, and why every
 * mutation also updates the successor's gap and its path to the root.
 *
 * Ownership and locking: a tree belongs to one map and is protected by
 * whatever protects that map; nothing here locks.  A node's fields are the
 * tree's while the node is inserted: change its bounds only through
 * map_tree_set_bounds.
 */
#ifndef MVM_VM_MAP_TREE_H
#define MVM_VM_MAP_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map_node {                 /* embedded in struct vm_map_entry */
	struct map_node *parent, *left, *right;
	uint64_t start, end;      /* [start, end), start < end */
	uint64_t gap;             /* free space below start (see above) */
	uint64_t max_gap;         /* largest gap in this subtree */
	uint8_t height;           /* AVL height (leaf = 1) */
};

struct map_tree {
	struct map_node *root;
	uint64_t count;
	uint64_t min, max;        /* the address range the tree manages */
};

/* An empty tree managing [min, max); min < max. */
void map_tree_init(struct map_tree *t, uint64_t min, uint64_t max);

/*
 * Insert N (its start and end set by the caller).  N's [start, end) must
 * not overlap any node and must lie within [min, max); that is asserted.
 */
void map_tree_insert(struct map_tree *t, struct map_node *n);
void map_tree_remove(struct map_tree *t, struct map_node *n);

/* Node containing ADDR, or NULL. */
struct map_node *map_tree_lookup(const struct map_tree *t, uint64_t addr);
/* Last node whose start <= ADDR, or NULL. */
struct map_node *map_tree_lookup_le(const struct map_tree *t, uint64_t addr);
/* First node whose end > ADDR (the node containing ADDR or the next one), or NULL. */
struct map_node *map_tree_lookup_ge(const struct map_tree *t, uint64_t addr);

struct map_node *map_tree_first(const struct map_tree *t);
struct map_node *map_tree_last(const struct map_tree *t);
struct map_node *map_tree_next(const struct map_node *n);
struct map_node *map_tree_prev(const struct map_node *n);

/*
 * N's bounds change in place (clip or extend), staying ordered and
 * disjoint with its neighbours and within [min, max) (asserted).  Updates
 * N's gap and its successor's.  O(log n).
 */
void map_tree_set_bounds(struct map_tree *t, struct map_node *n,
			 uint64_t start, uint64_t end);

/*
 * Lowest ADDR, a multiple of ALIGN (a power of two; 0 means 1), with
 * [ADDR, ADDR+SIZE) free and inside both [lo, hi) and [min, max).
 * Returns false if there is none, or if SIZE is 0.  O(log n) to find the
 * first gap of at least SIZE bytes; each further gap that is long enough
 * but loses the fit to ALIGN or LO costs one in-order step.
 */
bool map_tree_find_space(const struct map_tree *t, uint64_t size, uint64_t align,
			 uint64_t lo, uint64_t hi, uint64_t *addr);

/* Free space above the last node (all of [min, max) when empty). */
uint64_t map_tree_tail_gap(const struct map_tree *t);

/* Levels from the root to the deepest leaf (0 when empty). */
unsigned map_tree_depth(const struct map_tree *t);

/*
 * Full structural check for the consistency checker: order, disjointness,
 * parent links, AVL balance and stored heights, gap and max_gap values,
 * count, bounds within [min, max).  Returns true if sound; otherwise writes
 * a NUL-terminated reason (truncated to WHYLEN) and returns false.  O(n)
 * time, O(1) space.  WHY may be NULL.
 */
bool map_tree_verify(const struct map_tree *t, char *why, size_t whylen);

#endif
