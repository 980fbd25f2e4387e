/*
 * pagetree.h - the page cache index of a file: page index -> frame.
 *
 * A plain 64-way radix tree, rooted at index 0 and as tall as the largest
 * index needs (file offsets reach 2^63, so page indexes 2^51: at most 9
 * levels).  Unlike the amap (amap.c) its nodes are never shared, so it has
 * no reference counts and no copy-on-write: one owner, the file object.
 * Nodes come from a slab cache; inserting may need up to one node per
 * level, which vm_pagetree_insert_cost() says beforehand so that the caller
 * can reserve them.  Removing frees nodes that become empty and lowers the
 * root, so an empty cache holds no node.
 */
#ifndef MVM_VM_PAGETREE_H
#define MVM_VM_PAGETREE_H

#include "mvm/vm_kmem.h"

#define PAGETREE_SHIFT 6u
#define PAGETREE_FANOUT (1u << PAGETREE_SHIFT)
#define PAGETREE_MAX_HEIGHT 9u

struct pagetree_node {
	uint32_t count;                 /* non-NULL slots */
	uint32_t pad;
	void *slot[PAGETREE_FANOUT];    /* nodes, or frames at height 1 */
};

struct vm_pagetree {
	struct pagetree_node *root;     /* NULL: empty */
	uint8_t height;                 /* root covers [0, 64^height) */
	uint64_t count;                 /* frames held */
};

extern struct vm_kmem_cache vm_pagetree_node_cache;
void vm_pagetree_init(void);

struct vm_page *vm_pagetree_lookup(const struct vm_pagetree *t, uint64_t key);
/* Nodes an insert at KEY would allocate. */
uint64_t vm_pagetree_insert_cost(const struct vm_pagetree *t, uint64_t key);
/* KEY must be absent.  VM_ENOMEM (nothing changed) if a node cannot be had. */
enum vm_err vm_pagetree_insert(struct vm_pagetree *t, uint64_t key, struct vm_page *pg);
/* Removes KEY (present); frees nodes that empty. */
void vm_pagetree_remove(struct vm_pagetree *t, uint64_t key);
/* The first frame at an index >= FROM (its index in *KEY), or NULL. */
struct vm_page *vm_pagetree_next(const struct vm_pagetree *t, uint64_t from, uint64_t *key);
/* Nodes held (for the checker); verifies counts and no empty node. */
bool vm_pagetree_verify(const struct vm_pagetree *t, uint64_t *nodes, char *why, size_t whylen);

#endif
