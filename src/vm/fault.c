/*
 * fault.c - the page fault handler.
 *
 * A fault finds the entry for the address, checks the access against its
 * protection, finds or makes the page the VM owes that address, and asks
 * the pmap to map it.  Lookup is bounded (invariant 4): entry (O(log n)),
 * then one amap path (at most 6 levels), then the anon.  There are no
 * shadow chains to walk, whatever the history of forks.
 *
 *   private, read    the anon's page if there is one, mapped writable only
 *                    if nobody else can see it; else the shared zero page,
 *                    read-only (as Linux does), so reading a sparse region
 *                    costs no memory
 *   private, write   copy-on-write: make the amap path exclusive, then copy
 *                    the anon if another amap still holds it, or zero-fill
 *                    a new one; an anon only this amap holds is written in
 *                    place
 *   shared           the shared object's anon, created zeroed on first
 *                    touch, mapped with the entry's protection
 *   file, shared     the file's cached page (file.c), read from the pager
 *                    on a miss; SIGBUS wholly past the end of the file
 *   file, private    the file's page read-only until the first write,
 *                    which copies it into an anon of the process's own
 *
 * An anon whose page is in swap is read back first (swap.c), with its
 * neighbours when they follow it on the device; a page under I/O is
 * waited for.  A page whose swap copy is still good is mapped read-only,
 * so that the first write frees the copy (see swap.h for why).
 *
 * Memory: everything a fault allocates is taken before anything changes,
 * and what it does change before a later step fails (a path copy, a new
 * anon in the amap) is complete and correct on its own.  So a fault that
 * runs out of memory just returns VM_ENOMEM; vm_fault() then runs the page
 * daemon and faults again.  The page a copy-on-write fault copies from is
 * held while it waits (vm_page_hold): reclaim that freed it would free
 * only what the retry must read back, and call that progress.
 */
#include "anon.h"
#include "map.h"
#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"
#include "file.h"
#include "object.h"
#include "pagedaemon.h"
#include "pagetree.h"
#include "swap.h"

static bool prot_allows(vm_prot_t prot, enum vm_access access)
{
	if (access == VM_ACCESS_WRITE)
		return (prot & VM_PROT_WRITE) != 0;
	return prot != VM_PROT_NONE; /* x86: -w- and --x pages are readable */
}

static enum vm_err fault_enter(struct vm_map *map, vaddr_t va, struct vm_page *pg, vm_prot_t prot)
{
	return pmap_enter(map->pmap, va, pg, prot, 0);
}

static void fault_prefetch(const struct vm_page *pg, int for_write);

/*
 * Takes what a new anon needs: a frame (first, so that its lines can be
 * on their way while the rest is taken), the nodes to reach its slot, the
 * anon.  NULL with nothing kept but reservations (fault_unreserve).
 */
static struct vm_page *fault_reserve(struct vm_amap *am, uint64_t key)
{
	struct vm_page *pg = vm_page_alloc(VM_PAGE_ANON);

	if (pg == NULL)
		return NULL;
	fault_prefetch(pg, 1);
	if (vm_kmem_reserve(&vm_amap_node_cache, vm_amap_prepare_cost(am, key)) != VM_OK ||
	    vm_kmem_reserve(&vm_anon_cache, 1) != VM_OK) {
		vm_page_free(pg);
		return NULL;
	}
	return pg;
}

static void fault_unreserve(void)
{
	vm_kmem_unreserve_all(&vm_amap_node_cache);
	vm_kmem_unreserve_all(&vm_anon_cache);
}

/*
 * Stores a new anon holding PG at KEY (prepared), with data copied from
 * FROM or zero.  Returns the anon; the previous one loses this reference.
 */
static struct vm_anon *fault_install(struct vm_amap *am, uint64_t key, struct vm_page *pg,
				     const struct vm_page *from)
{
	struct vm_anon *an = vm_anon_alloc(), *old;

	VM_ASSERT(an != NULL);
	if (from != NULL)
		vm_page_copy(pg, from);
	else {
		vm_page_zero(pg);
		vm_phys.zero_fills++;
	}
	vm_anon_set_page(an, pg);
	old = vm_amap_set(am, key, an);
	if (old != NULL)
		vm_anon_unref(old);
	return an;
}

/*
 * Makes AN's page resident and idle: waits out I/O in progress, reads it
 * back from swap if it is there.  VM_OK, VM_ENOMEM or VM_EIO.
 */
static enum vm_err fault_resident(struct vm_anon *an, const struct vm_amap *am, uint64_t key)
{
	if (an->page != NULL)
		vm_swap_wait_page(an->page);
	if (an->page != NULL)
		return VM_OK;
	VM_ASSERT(an->swslot != VM_ANON_NOSLOT);
	return vm_swap_pagein(an, am, key);
}

/*
 * Maps AN's resident page.  A write makes the page dirty, so its swap copy
 * is dead and goes at once; a read of a page whose swap copy is still good
 * maps it read-only, so that the first write comes back here.
 */
static enum vm_err fault_map_anon(struct vm_map *map, vaddr_t va, struct vm_anon *an,
				  vm_prot_t prot, enum vm_access access)
{
	if (access == VM_ACCESS_WRITE)
		vm_swap_drop_copy(an);
	else if (an->page->flags & VM_PG_CLEAN)
		prot = vm_prot_readonly(prot);
	return fault_enter(map, va, an->page, prot);
}

/*
 * A copy-on-write fault is mostly two cold pages: the one it copies and
 * the frame it copies into.  Asking for them early lets their lines
 * arrive while the fault reserves, allocates and walks the amap, instead
 * of stalling the copy.  The source is asked for as soon as the fault
 * knows it will copy, and once more just before the reservations: a page
 * is 64 lines and the CPU keeps only a dozen or so misses in flight, so
 * the first burst cannot take them all.  The destination is asked for,
 * for writing, as soon as its frame is allocated, which fault_reserve
 * does before the slab reservations.  Together these take about a
 * quarter off the copy-on-write fault and a third off zero-fill
 * (bench_fault); any one alone gains little, as the copy then waits for
 * the rest.
 */
static void fault_prefetch(const struct vm_page *pg, int for_write)
{
	const uint8_t *p = vm_page_data(pg);

	for (unsigned off = 0; off < VM_PAGE_SIZE; off += 64) {
		if (for_write)
			__builtin_prefetch(p + off, 1, 3);
		else
			__builtin_prefetch(p + off, 0, 0);
	}
}

/*
 * Makes KEY of AM hold an anon of its own: the path to it is made
 * exclusive, and unless that alone left the current anon ours, a new anon
 * takes a copy of the current anon's page, or of FROM (a file's page)
 * where there is none, or zeros.  VM_ENOMEM with nothing allocated kept,
 * and the page it would copy held for the wait (vm_page_hold), so that
 * what reclaim frees meanwhile is memory the retry can use.
 */
static enum vm_err fault_own_anon(struct vm_amap *am, uint64_t key, struct vm_page *from,
				  struct vm_anon **out)
{
	struct vm_anon *an = vm_amap_lookup(am, key, NULL);
	struct vm_page *src = an != NULL ? an->page : from, *pg;

	if (src != NULL)
		fault_prefetch(src, 0);
	pg = fault_reserve(am, key);
	if (pg == NULL) {
		fault_unreserve();
		if (src != NULL)
			vm_page_hold(src);
		return VM_ENOMEM;
	}
	if (vm_amap_prepare(am, key) != VM_OK)
		VM_ASSERT(!"reserved prepare failed");
	an = vm_amap_lookup(am, key, NULL);
	if (an != NULL && an->ref == 1)
		vm_page_free(pg); /* making the path ours was enough */
	else
		an = fault_install(am, key, pg, an != NULL ? an->page : from);
	fault_unreserve();
	*out = an;
	return VM_OK;
}

/* A write to a private page that is not exclusively ours: a copy of the
 * anon's page, or of FROM (a file's page) where there is no anon yet. */
static enum vm_err fault_private_cow(struct vm_map *map, struct vm_map_entry *e, vaddr_t va,
				     struct vm_page *from)
{
	struct vm_anon *an;
	enum vm_err err = fault_own_anon(&e->amap, vm_atop(va), from, &an);

	if (err != VM_OK)
		return err;
	return fault_map_anon(map, va, an, e->prot, VM_ACCESS_WRITE);
}

/*
 * Fault-around: after a read fault on a file page, the pages that follow it
 * in the entry and in the cache are mapped as well, read-only, so reading a
 * file through a mapping takes a fault per read-ahead cluster rather than
 * per page (Linux maps up to 16 the same way).  Best effort: it stops at
 * the first page that is not cached, is busy, has a private copy, is
 * mapped already, or that the pmap cannot take now, and it takes nothing
 * while memory is short (its page tables and pv entries are a luxury).
 */
#define FAULT_AROUND 15

static void fault_around(struct vm_map *map, struct vm_map_entry *e, vaddr_t va)
{
	for (unsigned i = 1; i <= FAULT_AROUND; i++) {
		vaddr_t a = va + vm_ptoa(i);
		struct vm_page *pg;
		paddr_t pa;
		vm_prot_t prot;

		if (a >= vm_entry_end(e) || !vm_pagedaemon_plenty() ||
		    (!vm_entry_shared(e) && vm_amap_lookup(&e->amap, vm_atop(a), NULL) != NULL))
			return;
		pg = vm_pagetree_lookup(&e->object->pages, vm_entry_pindex(e, a));
		if (pg == NULL || (pg->flags & VM_PG_BUSY) || pmap_extract(map->pmap, a, &pa, &prot) ||
		    pmap_enter(map->pmap, a, pg, vm_prot_readonly(e->prot), 0) != VM_OK)
			return;
	}
}

/* A private file mapping's page nobody has written: the file's page,
 * read-only; a write copies it into the process's own anon. */
static enum vm_err fault_private_file(struct vm_map *map, struct vm_map_entry *e, vaddr_t va,
				      enum vm_access access)
{
	struct vm_page *pg;
	enum vm_err err = vm_file_fault_page(e->object, vm_entry_pindex(e, va), &pg);

	if (err != VM_OK)
		return err;
	if (access == VM_ACCESS_WRITE) {
		fault_prefetch(pg, 0);
		return fault_private_cow(map, e, va, pg);
	}
	if ((err = fault_enter(map, va, pg, vm_prot_readonly(e->prot))) == VM_OK)
		fault_around(map, e, va);
	return err;
}

static enum vm_err fault_private(struct vm_map *map, struct vm_map_entry *e, vaddr_t va,
				 enum vm_access access)
{
	bool shared;
	struct vm_anon *an = vm_amap_lookup(&e->amap, vm_atop(va), &shared);
	bool exclusive = an != NULL && !shared && an->ref == 1;
	enum vm_err err;

	if (access == VM_ACCESS_WRITE && !exclusive && an != NULL && an->page != NULL)
		fault_prefetch(an->page, 0);
	if (an != NULL && (err = fault_resident(an, &e->amap, vm_atop(va))) != VM_OK)
		return err;
	if (an == NULL && e->object != NULL)
		return fault_private_file(map, e, va, access);
	if (access == VM_ACCESS_WRITE && !exclusive)
		return fault_private_cow(map, e, va, NULL);
	if (an == NULL)
		return fault_enter(map, va, vm_phys.zero_page, vm_prot_readonly(e->prot));
	if (!exclusive)
		return fault_enter(map, va, an->page, vm_prot_readonly(e->prot));
	return fault_map_anon(map, va, an, e->prot, access);
}

static enum vm_err fault_shared(struct vm_map *map, struct vm_map_entry *e, vaddr_t va,
				enum vm_access access)
{
	struct vm_object *obj = e->object;
	uint64_t pindex = vm_entry_pindex(e, va);
	struct vm_anon *an = vm_amap_lookup(&obj->anons, pindex, NULL);
	enum vm_err err;

	if (an != NULL)
		err = fault_resident(an, &obj->anons, pindex);
	else
		err = fault_own_anon(&obj->anons, pindex, NULL, &an);
	if (err != VM_OK)
		return err;
	return fault_map_anon(map, va, an, e->prot, access);
}

/* A shared file mapping: the cache page itself.  A write counts it dirty
 * (and may wait for the dirty bound); a clean page is mapped read-only so
 * that its first write comes here. */
static enum vm_err fault_file_shared(struct vm_map *map, struct vm_map_entry *e, vaddr_t va,
				     enum vm_access access)
{
	struct vm_page *pg;
	enum vm_err err = vm_file_fault_page(e->object, vm_entry_pindex(e, va), &pg);

	if (err != VM_OK)
		return err;
	if (access == VM_ACCESS_WRITE)
		vm_file_dirty_for_write(pg);
	err = fault_enter(map, va, pg, (pg->flags & VM_PG_CLEAN) ? vm_prot_readonly(e->prot) : e->prot);
	if (err == VM_OK && access == VM_ACCESS_READ)
		fault_around(map, e, va);
	return err;
}

static enum vm_err fault_once(struct vm_map *map, vaddr_t va, enum vm_access access)
{
	struct vm_map_entry *e = vm_map_lookup(map, va);

	if (e == NULL || !prot_allows(e->prot, access))
		return VM_ESEGV;
	if (vm_entry_shared(e) && vm_object_is_file(e->object))
		return fault_file_shared(map, e, va, access);
	if (vm_entry_shared(e))
		return fault_shared(map, e, va, access);
	return fault_private(map, e, va, access);
}

enum vm_err vm_fault(struct vm_map *map, vaddr_t va, enum vm_access access)
{
	va = vm_trunc_page(va);
	if (va >= VM_USER_MAX)
		return VM_ESEGV;
	for (int tries = 0;;) {
		enum vm_err err = fault_once(map, va, access);
		bool retry = err == VM_ENOMEM && vm_wait_for_memory(map, &tries);

		vm_page_unhold(); /* the retry finds the page again, resident */
		if (!retry)
			return err;
	}
}
