/*
 * vm_kmem.h - slab caches for core metadata, carved from page frames.
 *
 * Every structure the core keeps (map entries, amap nodes, anons, objects,
 * pmaps) lives in a frame of simulated RAM tagged VM_PAGE_KMEM, so that the
 * memory the VM system spends on itself is visible, counted, and competes
 * with user data exactly as it does in a kernel.
 *
 * Allocation can fail.  Operations that must not fail half way (a map
 * change that clips, inserts and merges) first reserve the objects they
 * may need; a reservation guarantees that that many allocations will
 * succeed, so the operation either fails before changing anything or
 * completes.  This is the pattern of Linux's vma preallocation and
 * FreeBSD's map-entry reserve.
 */
#ifndef MVM_VM_KMEM_H
#define MVM_VM_KMEM_H

#include "vm_page.h"

struct vm_kmem_cache {
	const char *name;
	uint32_t size;          /* object size, a multiple of 8 */
	uint32_t per_slab;      /* objects per frame */
	struct vm_pageq partial;/* slabs partly in use */
	struct vm_pageq empty;  /* unused slabs kept for reservations */
	uint64_t nslabs;
	uint64_t inuse;         /* objects handed out */
	uint64_t nfree;         /* free objects in this cache's slabs */
	uint64_t reserved;      /* free objects promised to reservations */
	uint64_t allocs, frees, fails;
	struct vm_kmem_cache *next;   /* all caches, for stats and the checker */
};

/* Every initialized cache, most recent first. */
extern struct vm_kmem_cache *vm_kmem_caches;
/* Forgets every cache (boot of a new machine). */
void vm_kmem_boot(void);

void vm_kmem_cache_init(struct vm_kmem_cache *c, const char *name, uint32_t size);

/* An object, or NULL (no frame, or failure injection; never while a
 * reservation is held). Not zeroed. */
void *vm_kmem_alloc(struct vm_kmem_cache *c);
void *vm_kmem_zalloc(struct vm_kmem_cache *c);
void vm_kmem_free(struct vm_kmem_cache *c, void *obj);

/*
 * Promises N more allocations from C: VM_ENOMEM (and no change) if the
 * frames cannot be had.  While a reservation is held, vm_kmem_alloc()
 * takes from it and cannot fail, so code called under a reservation needs
 * no knowledge of it.  One operation at a time holds reservations (the
 * core is single threaded); it ends them with vm_kmem_unreserve_all().
 */
enum vm_err vm_kmem_reserve(struct vm_kmem_cache *c, uint64_t n);
void vm_kmem_unreserve_all(struct vm_kmem_cache *c);

/* Bytes of frames the cache holds, and whether its counts are coherent. */
uint64_t vm_kmem_cache_bytes(const struct vm_kmem_cache *c);

#endif
