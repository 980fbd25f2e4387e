/*
 * object.h - memory objects: shared anonymous memory (and, later, files).
 *
 * A shared anonymous object is what `mmap shared anon` creates and what
 * fork hands to the child for a shared entry.  Its pages are anons, kept in
 * an amap keyed by page index whose nodes are never shared: the object is
 * the only owner, so a write never copies anything.  Using anons for shared
 * memory too means the page daemon, swap and the checker have a single
 * kind of anonymous page to handle.
 *
 * Exactness: an object page that no mapping covers can never be reached
 * again (anonymous objects have no name), so when a mapping goes away the
 * object frees the pages of that range that no other mapping covers.  The
 * object finds the other mappings on its mapping list.
 */
#ifndef MVM_VM_OBJECT_H
#define MVM_VM_OBJECT_H

#include "amap.h"

struct vm_map_entry;

enum vm_object_type {
	VM_OBJECT_ANON, /* shared anonymous memory */
};

struct vm_object {
	uint32_t ref;                 /* entries referencing the object */
	uint8_t type;                 /* enum vm_object_type */
	uint64_t size;                /* pages */
	struct vm_amap anons;         /* page index -> anon (ANON objects) */
	struct vm_map_entry *mappings;/* entries mapping the object */
	uint64_t id;                  /* for dumps */
};

void vm_object_init(void);
/* A new shared anonymous object of SIZE pages with one reference. */
struct vm_object *vm_object_anon_create(uint64_t size);
void vm_object_ref(struct vm_object *obj);
/* Drops a reference; the last frees every page. */
void vm_object_unref(struct vm_object *obj);

/* Mapping list maintenance (map.c). */
void vm_object_link(struct vm_object *obj, struct vm_map_entry *e);
void vm_object_unlink(struct vm_object *obj, struct vm_map_entry *e);
/*
 * E, a mapping of OBJ covering pages [first, first+n) of it, is about to
 * stop covering them: free the pages in that range that no other mapping
 * of OBJ covers.  Allocation-bounded: see vm_object_release_cost().
 */
enum vm_err vm_object_release_range(struct vm_object *obj, const struct vm_map_entry *e,
				    uint64_t first, uint64_t n);
uint64_t vm_object_release_cost(const struct vm_object *obj);

extern struct vm_kmem_cache vm_object_cache;

#endif
