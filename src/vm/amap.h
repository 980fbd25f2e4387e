/*
 * amap.h - persistent, shareable anon maps: which anon holds each private
 * page of a map entry.
 *
 * An amap is a 64-way radix tree keyed by absolute virtual page number
 * (or, for an object's amap, by page index).  Leaves hold anon pointers,
 * interior nodes hold child pointers.  The tree is persistent: nodes are
 * reference counted and shared between amaps, so fork shares a whole amap
 * by taking one reference on its root, and a later write copies only the
 * nodes on its own path.  There is no needs-copy state and no chain of
 * amaps: a lookup is one walk of at most AMAP_MAX_HEIGHT nodes.
 *
 * Reference counts (exact at every moment):
 *   node->ref  = parents pointing at the node (interior slots and amap roots)
 *   anon->ref  = leaves pointing at the anon
 * A page is shared, and must be copied before it is written, when some
 * node on its path has ref > 1 or its anon has ref > 1.
 *
 * Shape invariants, checked by vm_amap_verify():
 *   - every node's count equals its non-NULL slots, and no node is empty;
 *   - the root is minimal: a leaf, or an interior node with at least two
 *     children, so the root covers the smallest aligned 64^h block that
 *     holds every populated key (a small region high in the address space
 *     is a single leaf, not a six-level path);
 *   - base is aligned to 64^height.
 * The one moment the tree may break them is between vm_amap_prepare() and
 * the vm_amap_set() that must follow it: a prepared path to an empty slot
 * is empty until the anon is stored (store NULL to abandon it).
 *
 * Ownership: an amap is embedded in the one map entry (or object) that
 * owns it and is never shared itself; only its nodes are.  Nothing locks:
 * the core is single threaded.
 *
 * Memory: every operation that allocates computes first exactly how many
 * nodes it needs, takes them all, and only then changes the tree.  So it
 * either fails with VM_ENOMEM having changed nothing, or completes; and
 * the number it takes is exactly what the matching *_cost function
 * reports for the same arguments (the argument-free costs are bounds).
 */
#ifndef MVM_VM_AMAP_H
#define MVM_VM_AMAP_H

#include "anon.h"
#include "mvm/vm_kmem.h"

#define AMAP_FANOUT_SHIFT 6u
#define AMAP_FANOUT (1u << AMAP_FANOUT_SHIFT)
/* 64^6 = 2^36 keys: the 2^35 user vpns fit, and so does any page index of
 * an object no larger than user space.  Keys must be below AMAP_KEY_LIMIT. */
#define AMAP_MAX_HEIGHT 6u
#define AMAP_KEY_LIMIT ((uint64_t)1 << (AMAP_FANOUT_SHIFT * AMAP_MAX_HEIGHT))

/*
 * Node allocations one operation makes at most, whatever the trees (for
 * reservations made before the amaps they apply to are known):
 *   prepare  10  (a leaf far from a height-1 root: new root, a 4-node
 *                 chain down to the old root, a 5-node path to the key)
 *   clear    11  (two boundary paths below a shared root)
 *   split    12  (the seam path copied once for each side, all shared)
 *   join      9  (two height-1 roots at opposite ends of the key space:
 *                 a new root and a 4-node chain above each of them)
 */
#define AMAP_PREPARE_MAX_NODES (2u * AMAP_MAX_HEIGHT - 2u)
#define AMAP_CLEAR_MAX_NODES (2u * AMAP_MAX_HEIGHT - 1u)
#define AMAP_SPLIT_MAX_NODES (2u * AMAP_MAX_HEIGHT)
#define AMAP_JOIN_MAX_NODES (2u * AMAP_MAX_HEIGHT - 3u)

/*
 * One node: 520 bytes, 7 to a frame.  In a leaf (level 1) slot[i] is a
 * struct vm_anon *, in an interior node a struct amap_node *; the level is
 * known from the walk, never stored.
 */
struct amap_node {
	uint32_t ref;                 /* parents (slots or amap roots) */
	uint32_t count;               /* non-NULL slots */
	void *slot[AMAP_FANOUT];
};

struct vm_amap {                      /* embedded in a map entry or object */
	struct amap_node *root;       /* NULL: no anons */
	uint64_t base;                /* root covers keys [base, base + 64^height) */
	uint8_t height;               /* 1: root is a leaf */
};

extern struct vm_kmem_cache vm_amap_node_cache;

/* Creates the node cache (at boot, after the frames). */
void vm_amap_init(void);

static inline bool vm_amap_empty(const struct vm_amap *am)
{
	return am->root == NULL;
}

/* Anon at VPN or NULL; *SHARED (if not NULL) = some node on the path has
 * ref > 1.  O(height), allocates nothing. */
struct vm_anon *vm_amap_lookup(const struct vm_amap *am, uint64_t vpn, bool *shared);

/*
 * Makes the path to VPN exist and be exclusive (ref == 1 all the way),
 * growing the root if VPN is outside it.  VM_ENOMEM (no change at all) if
 * the nodes cannot be had.  Must be followed by vm_amap_set(VPN), with
 * NULL to give up: that prunes the nodes the prepare created.
 */
enum vm_err vm_amap_prepare(struct vm_amap *am, uint64_t vpn);

/*
 * After vm_amap_prepare(VPN): stores ANON (may be NULL) and returns the
 * previous anon.  The leaf takes over the caller's reference on ANON and
 * the caller takes over the leaf's reference on the previous anon.
 * Storing NULL prunes nodes that become empty and shrinks the root.
 */
struct vm_anon *vm_amap_set(struct vm_amap *am, uint64_t vpn, struct vm_anon *anon);

/* DST (empty) shares SRC's tree: O(1). */
void vm_amap_share(const struct vm_amap *src, struct vm_amap *dst);

/* Drops the whole tree; AM ends empty. */
void vm_amap_release(struct vm_amap *am);

/*
 * Removes slots in [from, to), dropping their anons.  Copies shared nodes
 * on the two boundary paths only; whole subtrees inside the range are
 * dropped by reference.  Allocates nothing when no node is shared.
 * VM_ENOMEM without change if nodes cannot be had.
 */
enum vm_err vm_amap_clear(struct vm_amap *am, uint64_t from, uint64_t to);

/* Clipping: slots >= AT move to RIGHT (empty on entry), slots < AT stay.
 * VM_ENOMEM without change if nodes cannot be had. */
enum vm_err vm_amap_split(struct vm_amap *am, uint64_t at, struct vm_amap *right);

/* Merging: every slot of RIGHT is above every slot of LEFT; LEFT receives
 * all, RIGHT ends empty.  VM_ENOMEM without change if nodes cannot be had. */
enum vm_err vm_amap_join(struct vm_amap *left, struct vm_amap *right);

/*
 * Node allocations the operations make.  The ones without a key are tight
 * upper bounds over every key (they depend on the height only); the
 * others are exact: the operation with the same arguments on the same
 * trees takes exactly that many nodes.
 */
uint64_t vm_amap_clear_cost(const struct vm_amap *am);
uint64_t vm_amap_split_cost(const struct vm_amap *am);
uint64_t vm_amap_join_cost(const struct vm_amap *left, const struct vm_amap *right);
uint64_t vm_amap_prepare_cost(const struct vm_amap *am, uint64_t vpn);
uint64_t vm_amap_clear_cost_range(const struct vm_amap *am, uint64_t from, uint64_t to);
uint64_t vm_amap_split_cost_at(const struct vm_amap *am, uint64_t at);

/*
 * Visits populated slots with from <= vpn < to in ascending order; SHARED
 * as in lookup (path only; the caller looks at anon->ref).  FN returns
 * false to stop.  Skips empty subtrees: the cost is proportional to the
 * nodes visited, not to the range.
 */
typedef bool (*vm_amap_visit_fn)(void *arg, uint64_t vpn, struct vm_anon *anon, bool shared);
void vm_amap_foreach(const struct vm_amap *am, uint64_t from, uint64_t to,
		     vm_amap_visit_fn fn, void *arg);

/*
 * For the consistency checker: visits every node reachable from AM in
 * pre-order, with its level (1 = leaf) and the first key it covers.  If FN
 * returns false the node's children are not visited (the checker does that
 * for nodes it has already seen through another amap).
 */
typedef bool (*vm_amap_node_fn)(void *arg, const struct amap_node *node, unsigned level,
				uint64_t first_vpn);
void vm_amap_walk_nodes(const struct vm_amap *am, vm_amap_node_fn fn, void *arg);

/*
 * Structure of one amap (the shape invariants above, no node with ref 0,
 * no anon with ref 0, and every populated key within [lo, hi)).  On
 * failure writes the first problem found into WHY (WHYLEN bytes).
 */
bool vm_amap_verify(const struct vm_amap *am, uint64_t lo, uint64_t hi, char *why, size_t whylen);

/* Populated slots (walks the tree; for tests and statistics). */
uint64_t vm_amap_count(const struct vm_amap *am);

#endif
