/*
 * anon.c - life and death of anons (see anon.h for the idea).
 *
 * Freeing is immediate and complete: the frame goes back to the free
 * queue and the swap slot back to the allocator in the same call that
 * drops the last reference.  A frame must be unmapped by then: an anon's
 * last reference disappears only when no amap leaf holds it, and a PTE
 * may map a page only while the VM would give that page for the address
 * (invariant 3), so a mapped frame here is a bug and vm_page_free asserts
 * it.  A page with I/O in flight is waited for, since the request still
 * points at it.
 */
#include "anon.h"

#include "mvm/vm_kmem.h"
#include "swap.h"

struct vm_kmem_cache vm_anon_cache;

void vm_anon_init(void)
{
	vm_kmem_cache_init(&vm_anon_cache, "anon", sizeof(struct vm_anon));
}

struct vm_anon *vm_anon_alloc(void)
{
	struct vm_anon *an = vm_kmem_alloc(&vm_anon_cache);

	if (an == NULL)
		return NULL;
	an->ref = 1;
	an->swslot = VM_ANON_NOSLOT;
	an->page = NULL;
	return an;
}

void vm_anon_set_page(struct vm_anon *an, struct vm_page *pg)
{
	VM_ASSERT(pg->use == VM_PAGE_ANON);
	pg->owner.anon = an;
	an->page = pg;
	if (pg->queue == VM_PQ_NONE)
		vm_pageq_insert_tail(VM_PQ_ACTIVE, pg);
}

void vm_anon_unref(struct vm_anon *an)
{
	VM_ASSERT(an->ref > 0);
	if (--an->ref > 0)
		return;
	/* I/O in flight still refers to the page: let it finish first. */
	if (an->page != NULL)
		vm_swap_wait_page(an->page);
	if (an->page != NULL)
		vm_page_free(an->page);
	if (an->swslot != VM_ANON_NOSLOT)
		vm_swap_free_slot(an->swslot);
	vm_kmem_free(&vm_anon_cache, an);
}

uint64_t vm_anon_count(void)
{
	return vm_anon_cache.inuse;
}
