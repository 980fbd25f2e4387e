/*
 * pmap_page.c - operations on every mapping of one page, through its pv list.
 *
 * The VM asks these questions about a physical page, not an address:
 * write-protect it everywhere before copy-on-write sharing or pageout,
 * unmap it everywhere before freeing it, and tell the page daemon whether
 * anyone touched or dirtied it.  Each pv entry names a (pmap, va); the PTE
 * is found by a walk of that pmap's tables (four loads), which is cheaper
 * in memory than keeping a PTE pointer in every entry and cannot go stale
 * when tables are freed.
 *
 * Referenced and modified combine the live A/D bits of the page's PTEs
 * with pg->md_attrs, where mappings that were removed or replaced left
 * theirs.  Clearing a bit clears it in both places and shoots down the
 * TLB entry, because the TLB caches "A already set" and "D already set":
 * without the shootdown the next access would go through the stale entry
 * and the bit would never come back.
 *
 * pmap_page_protect follows FreeBSD and NetBSD: any PROT without WRITE
 * removes write permission only (execute permission is left as the map
 * entry set it), and NONE removes every mapping.
 */
#include "pmap_impl.h"

/* The leaf PTE slot that PV describes (it must exist). */
static pt_entry_t *pmap_pv_slot(const struct pmap_pv *pv)
{
	pmap_path_t path;
	pt_entry_t *slot = pmap_pte_slot(pmap_pv_pmap(pv), pv->va, path);

	VM_ASSERT(slot != NULL);
	return slot;
}

static void pmap_page_remove_all(struct vm_page *pg)
{
	while (pg->pv != NULL) {
		struct pmap *pm = pmap_pv_pmap(pg->pv);
		vaddr_t va = pg->pv->va;

		pmap_remove_one(pm, va);
	}
}

static void pmap_page_remove_write(struct vm_page *pg)
{
	for (struct pmap_pv *pv = pg->pv; pv != NULL; pv = pv->next) {
		pt_entry_t *slot = pmap_pv_slot(pv);
		pt_entry_t old = pmap_pte_load(slot);

		if (!(old & PTE_W))
			continue;
		pmap_pte_store(slot, old & ~PTE_W);
		pmap_tlb_invalidate(pmap_pv_pmap(pv), pv->va, old);
	}
}

void pmap_page_protect(struct vm_page *pg, vm_prot_t prot)
{
	if ((prot & VM_PROT_ALL) == VM_PROT_NONE)
		pmap_page_remove_all(pg);
	else if (!(prot & VM_PROT_WRITE))
		pmap_page_remove_write(pg);
}

static bool pmap_page_test(const struct vm_page *pg, uint8_t attr, pt_entry_t bit)
{
	if (pg->md_attrs & attr)
		return true;
	for (const struct pmap_pv *pv = pg->pv; pv != NULL; pv = pv->next)
		if (pmap_pte_load(pmap_pv_slot(pv)) & bit)
			return true;
	return false;
}

static bool pmap_page_clear(struct vm_page *pg, uint8_t attr, pt_entry_t bit)
{
	bool was = (pg->md_attrs & attr) != 0;

	pg->md_attrs &= (uint8_t)~attr;
	for (struct pmap_pv *pv = pg->pv; pv != NULL; pv = pv->next) {
		pt_entry_t *slot = pmap_pv_slot(pv);
		pt_entry_t old = pmap_pte_load(slot);

		if (!(old & bit))
			continue;
		was = true;
		pmap_pte_store(slot, old & ~bit);
		pmap_tlb_invalidate(pmap_pv_pmap(pv), pv->va, old);
	}
	return was;
}

bool pmap_is_referenced(struct vm_page *pg)
{
	return pmap_page_test(pg, PMAP_ATTR_REFERENCED, PTE_A);
}

bool pmap_is_modified(struct vm_page *pg)
{
	return pmap_page_test(pg, PMAP_ATTR_MODIFIED, PTE_D);
}

bool pmap_clear_reference(struct vm_page *pg)
{
	return pmap_page_clear(pg, PMAP_ATTR_REFERENCED, PTE_A);
}

bool pmap_clear_modify(struct vm_page *pg)
{
	return pmap_page_clear(pg, PMAP_ATTR_MODIFIED, PTE_D);
}

uint64_t pmap_page_mappings(const struct vm_page *pg)
{
	uint64_t n = 0;

	for (const struct pmap_pv *pv = pg->pv; pv != NULL; pv = pv->next)
		n++;
	return n;
}
