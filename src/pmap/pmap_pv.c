/*
 * pmap_pv.c - pv entries: which pmaps map a managed page, and where.
 *
 * Every mapping of an ANON or OBJECT page has a 16-byte pv entry {next,
 * va} on the page's list (pg->pv), so that pmap_page_protect and the A/D
 * queries can reach every PTE of the page.  The entry does not name its
 * pmap: entries live in per-pmap chunks, one frame each, and the chunk
 * frame's struct vm_page says whose they are (owner.pmap).  That is
 * FreeBSD's pv-chunk idea without the in-frame header: the frame's
 * vm_page already holds the chunk's bookkeeping (aux = entries in use,
 * u.freelist = free entries chained through next), so all 256 slots of a
 * frame hold entries and a mapping costs exactly 16 bytes when chunks are
 * full.
 *
 * Chunks come from the same frame pool as user pages (VM_PAGE_PV), may
 * fail to come, and go back the moment their last entry is freed, so a
 * pmap's pv memory tracks its mappings.  A pmap keeps chunks with a free
 * slot on pv_free and full ones on pv_full; a chunk that gains a free
 * slot goes to the head of pv_free so that allocation fills it again
 * before touching emptier chunks, which lets sparse chunks drain and free.
 *
 * Free entries have their va word poisoned for AddressSanitizer, so a
 * use of an entry after it was freed is reported where it happens.
 */
#include "pmap_impl.h"
#include "vm/vm_asan.h"

static struct pmap_pv *pmap_pv_chunk_slots(const struct vm_page *chunk)
{
	return (struct pmap_pv *)(void *)vm_page_data(chunk);
}

static bool pmap_pv_chunk_new(struct pmap *pm)
{
	struct vm_page *chunk = vm_page_alloc(VM_PAGE_PV);
	struct pmap_pv *slot, *head = NULL;

	if (chunk == NULL)
		return false;
	slot = pmap_pv_chunk_slots(chunk);
	for (uint32_t i = PMAP_PV_PER_CHUNK; i-- > 0;) {
		slot[i].next = head;
		head = &slot[i];
		VM_POISON(&slot[i].va, sizeof(slot[i].va));
	}
	chunk->owner.pmap = pm;
	chunk->aux = 0;
	chunk->u.freelist = head;
	vm_pagelist_insert_head(&pm->pv_free, chunk);
	pm->st.pv_pages++;
	pmap_g.st.pv_pages++;
	return true;
}

bool pmap_pv_reserve(struct pmap *pm)
{
	return pm->pv_free.head != VM_PAGE_NIL || pmap_pv_chunk_new(pm);
}

struct pmap_pv *pmap_pv_alloc(struct pmap *pm, vaddr_t va)
{
	struct vm_page *chunk;
	struct pmap_pv *pv;

	VM_ASSERT(pm->pv_free.head != VM_PAGE_NIL);
	chunk = vm_page_at(pm->pv_free.head);
	pv = chunk->u.freelist;
	chunk->u.freelist = pv->next;
	if (++chunk->aux == PMAP_PV_PER_CHUNK) {
		vm_pagelist_remove(&pm->pv_free, chunk);
		vm_pagelist_insert_head(&pm->pv_full, chunk);
	}
	VM_UNPOISON(&pv->va, sizeof(pv->va));
	pv->next = NULL;
	pv->va = va;
	pm->st.pv_entries++;
	pmap_g.st.pv_entries++;
	return pv;
}

uint64_t pmap_pv_free(struct pmap *pm, struct pmap_pv *pv)
{
	struct vm_page *chunk = vm_page_of_ptr(pv);

	VM_ASSERT(chunk->use == VM_PAGE_PV && chunk->owner.pmap == pm && chunk->aux > 0);
	pv->next = chunk->u.freelist;
	chunk->u.freelist = pv;
	VM_POISON(&pv->va, sizeof(pv->va));
	pm->st.pv_entries--;
	pmap_g.st.pv_entries--;
	if (chunk->aux == PMAP_PV_PER_CHUNK) {
		vm_pagelist_remove(&pm->pv_full, chunk);
		vm_pagelist_insert_head(&pm->pv_free, chunk);
	}
	if (--chunk->aux > 0)
		return 0;
	vm_pagelist_remove(&pm->pv_free, chunk);
	vm_page_free(chunk);
	pm->st.pv_pages--;
	pmap_g.st.pv_pages--;
	return 1;
}

void pmap_pv_link(struct vm_page *pg, struct pmap_pv *pv)
{
	pv->next = pg->pv;
	pg->pv = pv;
}

struct pmap_pv *pmap_pv_unlink(struct vm_page *pg, const struct pmap *pm, vaddr_t va)
{
	for (struct pmap_pv **link = &pg->pv; *link != NULL; link = &(*link)->next) {
		struct pmap_pv *pv = *link;

		if (pv->va == va && pmap_pv_pmap(pv) == pm) {
			*link = pv->next;
			pv->next = NULL;
			return pv;
		}
	}
	port_panic(__FILE__, __LINE__, "pmap: managed mapping without a pv entry");
}
