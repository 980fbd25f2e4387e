/*
 * kmem.c - slab caches over page frames.
 *
 * A slab is one frame cut into objects of one size.  The frame's struct
 * vm_page describes it (owner.cache, u.freelist, aux = objects in use),
 * so a slab needs no header inside the frame and every byte of it holds
 * objects.  Free objects are chained through their first word.
 *
 * Slabs with some objects in use sit on the cache's partial list, full
 * slabs on no list.  A slab that becomes empty is given back to the frame
 * pool at once, unless a reservation still counts on its objects (then it
 * waits on the empty list, and allocation takes from it only when no
 * partial slab has room): the core holds
 * no frame it does not use (DESIGN.md invariant 1), and the consistency
 * checker verifies that no empty slab survives an operation.
 *
 * Reservations (see vm_kmem.h) are counts, not objects set aside: the
 * cache guarantees nfree >= reserved, so an allocation made while a
 * reservation is held always finds an object and never consults failure
 * injection.
 */
#include "mvm/vm_kmem.h"
#include "vm_asan.h"

struct vm_kmem_cache *vm_kmem_caches;

void vm_kmem_boot(void)
{
	vm_kmem_caches = NULL;
}

void vm_kmem_cache_init(struct vm_kmem_cache *c, const char *name, uint32_t size)
{
	size = (size + 7u) & ~7u;
	VM_ASSERT(size >= sizeof(void *) && size <= VM_PAGE_SIZE);
	c->name = name;
	c->size = size;
	c->per_slab = (uint32_t)(VM_PAGE_SIZE / size);
	vm_pagelist_init(&c->partial);
	vm_pagelist_init(&c->empty);
	c->nslabs = c->inuse = c->nfree = c->reserved = 0;
	c->allocs = c->frees = c->fails = 0;
	c->next = vm_kmem_caches;
	vm_kmem_caches = c;
}

static void **kmem_link(void *obj)
{
	return (void **)obj;
}

/* Adds one empty slab to the partial list. */
static bool kmem_grow(struct vm_kmem_cache *c)
{
	struct vm_page *pg = vm_page_alloc(VM_PAGE_KMEM);
	uint8_t *base;
	void *head = NULL;

	if (pg == NULL)
		return false;
	base = vm_page_data(pg);
	for (uint32_t i = c->per_slab; i-- > 0;) {
		void *obj = base + (size_t)i * c->size;

		*kmem_link(obj) = head;
		head = obj;
	}
	VM_POISON(base, VM_PAGE_SIZE);
	for (uint32_t i = 0; i < c->per_slab; i++)
		VM_UNPOISON(base + (size_t)i * c->size, sizeof(void *));
	pg->owner.cache = c;
	pg->u.freelist = head;
	pg->aux = 0;
	vm_pagelist_insert_head(&c->empty, pg);
	c->nslabs++;
	c->nfree += c->per_slab;
	return true;
}

static void kmem_release_slab(struct vm_kmem_cache *c, struct vm_page *pg)
{
	vm_pagelist_remove(&c->empty, pg);
	c->nslabs--;
	c->nfree -= c->per_slab;
	VM_UNPOISON(vm_page_data(pg), VM_PAGE_SIZE);
	vm_page_free(pg);
}

/* Frees empty slabs that no reservation needs. */
static void kmem_trim(struct vm_kmem_cache *c)
{
	while (c->empty.head != VM_PAGE_NIL && c->nfree >= c->reserved + c->per_slab)
		kmem_release_slab(c, vm_page_at(c->empty.head));
}

/* Takes an object, from a partly used slab if there is one. */
static void *kmem_take(struct vm_kmem_cache *c)
{
	struct vm_page *pg;
	void *obj;

	if (c->partial.head != VM_PAGE_NIL) {
		pg = vm_page_at(c->partial.head);
	} else {
		pg = vm_page_at(c->empty.head);
		vm_pagelist_remove(&c->empty, pg);
		vm_pagelist_insert_head(&c->partial, pg);
	}
	obj = pg->u.freelist;
	pg->u.freelist = *kmem_link(obj);
	if (++pg->aux == c->per_slab)
		vm_pagelist_remove(&c->partial, pg);
	c->nfree--;
	c->inuse++;
	c->allocs++;
	VM_UNPOISON(obj, c->size);
	return obj;
}

void *vm_kmem_alloc(struct vm_kmem_cache *c)
{
	if (c->reserved > 0) {
		c->reserved--;
		return kmem_take(c);
	}
	if (port_alloc_should_fail(PORT_SITE_KMEM) ||
	    (c->nfree <= c->reserved && !kmem_grow(c))) {
		c->fails++;
		return NULL;
	}
	return kmem_take(c);
}

void *vm_kmem_zalloc(struct vm_kmem_cache *c)
{
	void *obj = vm_kmem_alloc(c);

	if (obj != NULL)
		memset(obj, 0, c->size);
	return obj;
}

void vm_kmem_free(struct vm_kmem_cache *c, void *obj)
{
	struct vm_page *pg = vm_page_of_ptr(obj);

	VM_ASSERT(pg->use == VM_PAGE_KMEM && pg->owner.cache == c && pg->aux > 0);
	if (pg->aux == c->per_slab)
		vm_pagelist_insert_head(&c->partial, pg);
	*kmem_link(obj) = pg->u.freelist;
	pg->u.freelist = obj;
	VM_POISON((uint8_t *)obj + sizeof(void *), c->size - sizeof(void *));
	c->nfree++;
	c->inuse--;
	c->frees++;
	if (--pg->aux > 0)
		return;
	vm_pagelist_remove(&c->partial, pg);
	vm_pagelist_insert_head(&c->empty, pg);
	kmem_trim(c);
}

enum vm_err vm_kmem_reserve(struct vm_kmem_cache *c, uint64_t n)
{
	while (c->nfree < c->reserved + n) {
		if (port_alloc_should_fail(PORT_SITE_KMEM) || !kmem_grow(c)) {
			c->fails++;
			kmem_trim(c);
			return VM_ENOMEM;
		}
	}
	c->reserved += n;
	return VM_OK;
}

void vm_kmem_unreserve_all(struct vm_kmem_cache *c)
{
	c->reserved = 0;
	kmem_trim(c);
}

uint64_t vm_kmem_cache_bytes(const struct vm_kmem_cache *c)
{
	return c->nslabs * VM_PAGE_SIZE;
}
