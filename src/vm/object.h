/*
 * object.h - memory objects: shared anonymous memory, and files.
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
 * object finds the other mappings on its mapping list, which it keeps in
 * the order of their first page (offset): then one sweep of the mappings
 * that start below the range's end finds its uncovered gaps, in time
 * linear in those mappings and with no memory, where an unordered list
 * would need a sort, and so scratch memory, or a search per gap.  The
 * order costs little to keep: an entry's offset never changes while it is
 * linked (clipping links a new upper part, merging keeps the lower
 * entry's offset), and the new entries of clips and forks are linked from
 * a neighbour whose offset is known to be no larger.
 *
 * A file object is the page cache of one host file (file.c): its pages are
 * frames of use OBJECT in a page tree keyed by page index, clean when the
 * file holds their bytes, and it lives as long as the host's file table
 * holds its reference.  Its pages stay cached when no mapping covers them:
 * the file's name still reaches them.
 */
#ifndef MVM_VM_OBJECT_H
#define MVM_VM_OBJECT_H

#include "amap.h"

struct vm_map_entry;

#include "pagetree.h"

enum vm_object_type {
	VM_OBJECT_ANON, /* shared anonymous memory */
	VM_OBJECT_FILE, /* the page cache of a host file */
};

struct vm_object {
	uint32_t ref;                 /* entries (and the host's file table) */
	uint8_t type;                 /* enum vm_object_type */
	uint64_t size;                /* pages (ANON); bytes (FILE) */
	struct vm_amap anons;         /* ANON: page index -> anon */
	struct vm_map_entry *mappings;/* entries mapping the object */
	uint64_t id;                  /* for dumps */
	/* FILE only */
	struct vm_pagetree pages;     /* page index -> cached frame */
	uint64_t handle;              /* the host's file (port_io.file) */
	uint32_t pager;               /* the pager serving it */
	uint64_t ndirty;              /* cached frames the file does not hold yet */
	struct vm_object *file_next;  /* every file object */
};

static inline bool vm_object_is_file(const struct vm_object *obj)
{
	return obj->type == VM_OBJECT_FILE;
}

void vm_object_init(void);
uint64_t vm_object_new_id(void);
/* A new shared anonymous object of SIZE pages with one reference. */
struct vm_object *vm_object_anon_create(uint64_t size);
void vm_object_ref(struct vm_object *obj);
/* Drops a reference; the last frees every page. */
void vm_object_unref(struct vm_object *obj);

/* Mapping list maintenance (map.c).  Link E (its offset set) in offset
 * order: searching from the head, or from NEAR, a linked mapping of OBJ
 * whose offset is no larger than E's (the entry E was clipped or forked
 * from), which makes the usual cases O(1). */
void vm_object_link(struct vm_object *obj, struct vm_map_entry *e);
void vm_object_link_near(struct vm_object *obj, struct vm_map_entry *near, struct vm_map_entry *e);
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
