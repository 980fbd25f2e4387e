/*
 * map.h - address maps and their entries (internal to the core, and to
 * the simulator's checker and dumps).
 *
 * A map is an AVL tree of entries keyed by address with the largest free
 * gap kept in every subtree (map_tree.c).  An entry maps [start, end) with
 * one protection and inheritance, and is backed by up to two layers:
 *
 *   amap    private anonymous pages (copies made by writes), keyed by
 *           virtual page number; empty until the first private page exists
 *   object  a shared anonymous object or a file, from page `offset`
 *
 * A private anonymous entry has only an amap.  A shared entry has only an
 * object.  A private file entry has both: the file's pages show through
 * until a write copies one into the amap.
 *
 * Ownership: the map owns its entries; an entry owns its amap outright
 * (amap nodes may be shared with other amaps, the amap itself never is)
 * and one reference on its object.  Entries that map an object are also
 * linked on the object's mapping list, which is how the object learns
 * which of its pages no entry reaches any more.
 *
 * Invariant 5 (few entries): entries are sorted and disjoint, and no two
 * adjacent entries could be one (vm_map_entry_mergeable() is false for
 * every adjacent pair).  Every operation that changes the map merges
 * around what it changed before it returns.
 */
#ifndef MVM_VM_MAP_H
#define MVM_VM_MAP_H

#include "amap.h"
#include "map_tree.h"
#include "mvm/vm.h"

enum vm_inherit {
	VM_INHERIT_COPY,  /* private: copy-on-write in the child */
	VM_INHERIT_SHARE, /* shared: the child maps the same object */
	VM_INHERIT_NONE,  /* dontfork: absent in the child */
};

#define VM_ENTRY_SHARED 0x1u

struct vm_map_entry {
	struct map_node node;           /* tree links and [start, end) */
	struct vm_amap amap;            /* private anonymous layer */
	struct vm_object *object;       /* shared anon object or file, or NULL */
	uint64_t offset;                /* object page index at node.start */
	struct vm_map_entry *obj_next;  /* the object's mapping list */
	struct vm_map_entry *obj_prev;
	struct vm_map *map;             /* owner */
	uint8_t prot, maxprot, inherit, flags;
};

struct vm_map {
	struct map_tree tree;
	struct pmap *pmap;
	struct vm_map_entry *hint;      /* last entry a lookup found */
	uint64_t clips;                 /* entries split, ever */
	uint64_t merges;                /* entries joined, ever */
	uint64_t last_active;           /* port_time_ns() when it last ran */
	struct vm_map *all_next, *all_prev; /* every map, for the page daemon */
};

/* Every live map, in creation order. */
extern struct vm_map *vm_maps;

static inline struct vm_map_entry *vm_entry_of(struct map_node *n)
{
	return n == NULL ? NULL : (struct vm_map_entry *)(void *)n;
}
static inline vaddr_t vm_entry_start(const struct vm_map_entry *e)
{
	return e->node.start;
}
static inline vaddr_t vm_entry_end(const struct vm_map_entry *e)
{
	return e->node.end;
}
static inline uint64_t vm_entry_pages(const struct vm_map_entry *e)
{
	return vm_atop(e->node.end - e->node.start);
}
static inline bool vm_entry_shared(const struct vm_map_entry *e)
{
	return (e->flags & VM_ENTRY_SHARED) != 0;
}
/* The object page that VA maps. */
static inline uint64_t vm_entry_pindex(const struct vm_map_entry *e, vaddr_t va)
{
	return e->offset + vm_atop(va - e->node.start);
}

struct vm_map_entry *vm_map_first(const struct vm_map *map);
struct vm_map_entry *vm_map_next(const struct vm_map_entry *e);
struct vm_map_entry *vm_map_prev(const struct vm_map_entry *e);
/* The entry containing VA, or NULL. */
struct vm_map_entry *vm_map_lookup(struct vm_map *map, vaddr_t va);
/* The first entry that ends above VA (contains it or follows it). */
struct vm_map_entry *vm_map_lookup_ge(const struct vm_map *map, vaddr_t va);

/* Whether A and B (A directly before B) could be one entry. */
bool vm_map_entry_mergeable(const struct vm_map_entry *a, const struct vm_map_entry *b);

/* The steps of map operations (map.c); callers hold a reservation. */
void vm_map_init(void);
void vm_map_entry_insert(struct vm_map *map, struct vm_map_entry *e);
/* Clips so that an entry starts at ADDR; returns the entry starting there
 * (E itself if ADDR is E's start). */
struct vm_map_entry *vm_map_clip_start(struct vm_map *map, struct vm_map_entry *e, vaddr_t addr);
/* Clips so that E ends at ADDR (if ADDR is inside E). */
void vm_map_clip_end(struct vm_map *map, struct vm_map_entry *e, vaddr_t addr);
/* Unmaps E, releases its backing and frees it. */
void vm_map_entry_delete(struct vm_map *map, struct vm_map_entry *e);
/* Merges every mergeable pair of entries that meets [start, end), the
 * neighbours just outside it included. */
void vm_map_merge_range(struct vm_map *map, vaddr_t start, vaddr_t end);

extern struct vm_kmem_cache vm_map_cache;
extern struct vm_kmem_cache vm_map_entry_cache;

#endif
