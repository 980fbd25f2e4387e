/*
 * pmap_map.c - the mappings of one pmap: enter, remove, protect, extract.
 *
 * pmap_enter is built to fail cleanly.  It first walks as far as the
 * tables go, which tells it exactly what is missing: up to three table
 * pages and, for a managed page that is not already mapped there, one pv
 * entry (which may need a new chunk frame).  It allocates all of that
 * before it writes a single entry; if any allocation fails it gives back
 * what it took and returns VM_ENOMEM, so the tables, pv lists, counters
 * and frame counts are exactly as they were.  The alpha pmap of 1998 did
 * the opposite (allocate as you go, panic when a table page could not be
 * had), which is the failure this designs out.  Replacing a managed
 * mapping by another managed page moves the existing pv entry from the
 * old page's list to the new one instead of allocating, so a replacement
 * never needs memory for pv.
 *
 * Range operations (remove, protect, collect, destroy) go one leaf table
 * at a time: pmap_pt_next skips missing subtrees whole, then the leaf
 * table's entries are visited directly, and the visit stops as soon as
 * it has seen as many valid entries as the table counts.  When a removal
 * empties a leaf table the loop leaves it at once, because it has just
 * been freed along with any ancestors that emptied with it.
 *
 * A removed PTE's A and D bits are folded into the page's md_attrs, so
 * pmap_is_modified still answers right after the mapping is gone.
 */
#include "pmap_impl.h"

static pt_entry_t pmap_pte_bits(vm_prot_t prot, unsigned flags, bool managed)
{
	pt_entry_t bits = PTE_P | PTE_U;

	if (prot & VM_PROT_WRITE)
		bits |= PTE_W;
	if (!(prot & VM_PROT_EXEC))
		bits |= PTE_NX;
	if (flags & PMAP_WIRED)
		bits |= PTE_WIRED;
	if (managed)
		bits |= PTE_MANAGED;
	return bits;
}

/* Whether NEW takes away a permission that a TLB entry made from OLD may hold. */
static bool pmap_pte_lowers(pt_entry_t old, pt_entry_t new)
{
	return ((old & PTE_W) && !(new & PTE_W)) || (!(old & PTE_NX) && (new & PTE_NX));
}

/* OLD lowered to at most PROT (write and execute can only be taken away). */
static pt_entry_t pmap_pte_lower(pt_entry_t old, vm_prot_t prot)
{
	pt_entry_t new = old;

	if (!(prot & VM_PROT_WRITE))
		new &= ~PTE_W;
	if (!(prot & VM_PROT_EXEC))
		new |= PTE_NX;
	return new;
}

static int64_t pmap_wired_delta(pt_entry_t old, pt_entry_t new)
{
	return (int64_t)((new & PTE_WIRED) != 0) - (int64_t)((old & PTE_WIRED) != 0);
}

/* ---------------------------------------------------------------- */
/* Removal                                                          */

uint64_t pmap_pte_remove(struct pmap *pm, pt_entry_t *slot, vaddr_t va, bool flush)
{
	pt_entry_t old = pmap_pte_load(slot);
	uint64_t freed = 0;

	VM_ASSERT(old & PTE_P);
	pmap_pte_store(slot, 0);
	if (old & PTE_MANAGED) {
		struct vm_page *pg = pmap_pte_page(old);

		pg->md_attrs |= pmap_pte_attrs(old);
		freed = pmap_pv_free(pm, pmap_pv_unlink(pg, pm, va));
	}
	pm->st.resident--;
	if (old & PTE_WIRED)
		pm->st.wired--;
	if (flush)
		pmap_tlb_invalidate(pm, va, old);
	return freed;
}

uint64_t pmap_remove_one(struct pmap *pm, vaddr_t va)
{
	pmap_path_t path;
	pt_entry_t *slot = pmap_pte_slot(pm, va, path);
	uint64_t freed;

	VM_ASSERT(slot != NULL);
	freed = pmap_pte_remove(pm, slot, va, true);
	path[1]->aux--;
	return freed + pmap_ptp_release(pm, path, va);
}

static bool pmap_remove_keeps(pt_entry_t pte, enum pmap_remove_mode mode)
{
	return mode == PMAP_RM_UNWIRED && (pte & PTE_WIRED);
}

/* The end of the leaf table's span that starts at or before VA, capped at EVA. */
static vaddr_t pmap_leaf_end(vaddr_t va, vaddr_t eva)
{
	vaddr_t end = pmap_next_span(va, 2);

	return end < eva ? end : eva;
}

void pmap_remove_range(struct pmap *pm, vaddr_t sva, vaddr_t eva, enum pmap_remove_mode mode,
		       uint64_t *removed, uint64_t *freed)
{
	pmap_path_t path;
	vaddr_t va, end;

	*removed = *freed = 0;
	for (va = sva; (va = pmap_pt_next(pm, va, eva, path)) < eva; va = end) {
		pt_entry_t *pt = pmap_ptp_entries(path[1]);
		uint32_t left = path[1]->aux; /* valid entries not yet seen */

		end = pmap_leaf_end(va, eva);
		for (vaddr_t v = va; v < end; v += VM_PAGE_SIZE) {
			pt_entry_t *slot = &pt[pt_index(v, 1)];
			pt_entry_t pte = pmap_pte_load(slot);

			if (!(pte & PTE_P))
				continue;
			if (!pmap_remove_keeps(pte, mode)) {
				*freed += pmap_pte_remove(pm, slot, v, mode != PMAP_RM_DESTROY);
				++*removed;
				if (--path[1]->aux == 0) {
					*freed += pmap_ptp_release(pm, path, v);
					break;
				}
			}
			if (--left == 0)
				break;
		}
	}
}

static bool pmap_range_ok(vaddr_t sva, vaddr_t eva)
{
	return !(sva & VM_PAGE_MASK) && !(eva & VM_PAGE_MASK) && sva <= eva;
}

void pmap_remove(struct pmap *pm, vaddr_t sva, vaddr_t eva)
{
	uint64_t removed, freed;

	VM_ASSERT(pmap_range_ok(sva, eva));
	if (eva > VM_USER_MAX)
		eva = VM_USER_MAX;
	pmap_remove_range(pm, sva, eva, PMAP_RM_ALL, &removed, &freed);
}

/* ---------------------------------------------------------------- */
/* Protection                                                       */

void pmap_protect(struct pmap *pm, vaddr_t sva, vaddr_t eva, vm_prot_t prot)
{
	pmap_path_t path;
	vaddr_t va, end;

	if ((prot & VM_PROT_ALL) == VM_PROT_NONE) {
		pmap_remove(pm, sva, eva);
		return;
	}
	VM_ASSERT(pmap_range_ok(sva, eva));
	if (eva > VM_USER_MAX)
		eva = VM_USER_MAX;
	for (va = sva; (va = pmap_pt_next(pm, va, eva, path)) < eva; va = end) {
		pt_entry_t *pt = pmap_ptp_entries(path[1]);
		uint32_t left = path[1]->aux;

		end = pmap_leaf_end(va, eva);
		for (vaddr_t v = va; v < end && left > 0; v += VM_PAGE_SIZE) {
			pt_entry_t *slot = &pt[pt_index(v, 1)];
			pt_entry_t old = pmap_pte_load(slot), new;

			if (!(old & PTE_P))
				continue;
			left--;
			new = pmap_pte_lower(old, prot);
			if (new == old)
				continue;
			pmap_pte_store(slot, new);
			pmap_tlb_invalidate(pm, v, old);
		}
	}
}

/* ---------------------------------------------------------------- */
/* Entering                                                         */

static enum vm_err pmap_enter_fail(struct pmap *pm, struct vm_page **fresh, int n,
				   uint64_t *cause)
{
	while (n-- > 0)
		pmap_ptp_unget(fresh[n]);
	pm->st.enter_fail++;
	++*cause;
	return VM_ENOMEM;
}

/* Moves, frees or allocates the pv entry when VA changes pages OPG -> PG. */
static void pmap_enter_switch_pv(struct pmap *pm, vaddr_t va, pt_entry_t old, pt_entry_t new,
				 struct vm_page *opg, struct vm_page *pg)
{
	if (old & PTE_MANAGED) {
		struct pmap_pv *pv = pmap_pv_unlink(opg, pm, va);

		opg->md_attrs |= pmap_pte_attrs(old);
		if (new & PTE_MANAGED)
			pmap_pv_link(pg, pv);
		else
			pmap_pv_free(pm, pv);
	} else if (new & PTE_MANAGED) {
		pmap_pv_link(pg, pmap_pv_alloc(pm, va));
	}
}

static void pmap_enter_replace(struct pmap *pm, pt_entry_t *slot, vaddr_t va, pt_entry_t old,
			       pt_entry_t new, struct vm_page *pg)
{
	struct vm_page *opg = pmap_pte_page(old);

	if (opg == pg)
		new |= old & (PTE_A | PTE_D); /* same page: its history stays */
	else
		pmap_enter_switch_pv(pm, va, old, new, opg, pg);
	pmap_pte_store(slot, new);
	pm->st.wired = (uint64_t)((int64_t)pm->st.wired + pmap_wired_delta(old, new));
	if (opg != pg || pmap_pte_lowers(old, new))
		pmap_tlb_invalidate(pm, va, old);
}

static void pmap_enter_new(struct pmap *pm, struct vm_page *leaf, pt_entry_t *slot, vaddr_t va,
			   pt_entry_t new, struct vm_page *pg)
{
	if (new & PTE_MANAGED)
		pmap_pv_link(pg, pmap_pv_alloc(pm, va));
	pmap_pte_store(slot, new);
	leaf->aux++;
	pm->st.resident++;
	if (new & PTE_WIRED)
		pm->st.wired++;
}

/* Data frames, and the zero page (a BOOT frame, mapped read-only and
 * unmanaged wherever private memory is read before it is written). */
static bool pmap_page_is_mappable(const struct vm_page *pg)
{
	if (pg == vm_phys.zero_page)
		return true;
	return pg->use != VM_PAGE_FREE && pg->use != VM_PAGE_BOOT && pg->use != VM_PAGE_PTP &&
	       pg->use != VM_PAGE_PV;
}

enum vm_err pmap_enter(struct pmap *pm, vaddr_t va, struct vm_page *pg, vm_prot_t prot,
		       unsigned flags)
{
	struct vm_page *fresh[PT_LEVELS - 1];
	pmap_path_t path;
	pt_entry_t *slot, old = 0, new;
	bool managed = pmap_page_is_managed(pg);
	int level, nfresh;

	if ((va & VM_PAGE_MASK) || va >= VM_USER_MAX || (prot & VM_PROT_ALL) == VM_PROT_NONE)
		return VM_EINVAL;
	VM_ASSERT(pmap_page_is_mappable(pg));
	level = pmap_pt_walk(pm, va, path);
	if (level == 1)
		old = pmap_pte_load(&pmap_ptp_entries(path[1])[pt_index(va, 1)]);
	/* Everything this call needs, taken before anything changes. */
	nfresh = level - 1;
	for (int i = 0; i < nfresh; i++) {
		fresh[i] = pmap_ptp_alloc();
		if (fresh[i] == NULL)
			return pmap_enter_fail(pm, fresh, i, &pmap_g.st.enter_fail_ptp);
	}
	if (managed && !(old & PTE_MANAGED) && !pmap_pv_reserve(pm))
		return pmap_enter_fail(pm, fresh, nfresh, &pmap_g.st.enter_fail_pv);
	/* Commit: nothing below can fail. */
	for (int i = 0; i < nfresh; i++)
		pmap_ptp_link(pm, path, va, level - 1 - i, fresh[i]);
	slot = &pmap_ptp_entries(path[1])[pt_index(va, 1)];
	new = vm_page_pa(pg) | pmap_pte_bits(prot, flags, managed);
	if (old & PTE_P)
		pmap_enter_replace(pm, slot, va, old, new, pg);
	else
		pmap_enter_new(pm, path[1], slot, va, new, pg);
	return VM_OK;
}

/* ---------------------------------------------------------------- */
/* Lookup                                                           */

bool pmap_extract(struct pmap *pm, vaddr_t va, paddr_t *pa, vm_prot_t *prot)
{
	pmap_path_t path;
	pt_entry_t *slot, pte;

	if (va >= VM_USER_MAX)
		return false;
	slot = pmap_pte_slot(pm, va, path);
	if (slot == NULL || !((pte = pmap_pte_load(slot)) & PTE_P))
		return false;
	if (pa != NULL)
		*pa = (pte & PTE_FRAME) | (va & VM_PAGE_MASK);
	if (prot != NULL)
		*prot = (vm_prot_t)(VM_PROT_READ | ((pte & PTE_W) ? VM_PROT_WRITE : 0) |
				    ((pte & PTE_NX) ? 0 : VM_PROT_EXEC));
	return true;
}

void pmap_walk(const struct pmap *pm, pmap_walk_fn fn, void *arg)
{
	pmap_path_t path;
	vaddr_t va, end;

	for (va = 0; (va = pmap_pt_next(pm, va, VM_USER_MAX, path)) < VM_USER_MAX; va = end) {
		const pt_entry_t *pt = pmap_ptp_entries(path[1]);
		uint32_t left = path[1]->aux;

		end = pmap_leaf_end(va, VM_USER_MAX);
		for (vaddr_t v = va; v < end && left > 0; v += VM_PAGE_SIZE) {
			pt_entry_t pte = pmap_pte_load(&pt[pt_index(v, 1)]);

			if (pte & PTE_P) {
				left--;
				fn(arg, v, pte);
			}
		}
	}
}
