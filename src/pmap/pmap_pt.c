/*
 * pmap_pt.c - page-table pages: walking, allocating, counting, freeing.
 *
 * The tables are x86-64 shaped: four levels of 512 entries in frames of
 * simulated RAM, reached through the direct map (vm_page_data).  Each table
 * page counts its valid entries in its frame's aux field, as NetBSD's
 * alpha pmap did with its PT page reference counts.  The count is what
 * makes the table footprint minimal: when a leaf table's last PTE goes,
 * the table is freed, its entry in the parent is cleared, the parent's
 * count drops, and so on up to (never including) the root.  The
 * historical failure this designs out is the 4.4BSD/Mach pmap that kept
 * every table page it ever allocated until the process exited.
 *
 * Walks stop at the first missing level and report how deep they got, so
 * pmap_enter knows exactly how many table pages it must allocate before
 * it changes anything, and range operations can skip a missing subtree
 * (512 GiB, 1 GiB or 2 MiB) in one step instead of visiting its entries.
 */
#include "pmap_impl.h"

static struct vm_page *pmap_pde_child(const struct vm_page *table, vaddr_t va, int level)
{
	pt_entry_t e = pmap_pte_load(&pmap_ptp_entries(table)[pt_index(va, level)]);

	return (e & PTE_P) ? pmap_pte_page(e) : NULL;
}

int pmap_pt_walk(const struct pmap *pm, vaddr_t va, pmap_path_t path)
{
	int level = PT_LEVELS;

	path[0] = NULL;
	path[PT_LEVELS] = pm->root;
	while (level > 1) {
		struct vm_page *child = pmap_pde_child(path[level], va, level);

		path[level - 1] = child;
		if (child == NULL)
			return level;
		level--;
	}
	return 1;
}

pt_entry_t *pmap_pte_slot(const struct pmap *pm, vaddr_t va, pmap_path_t path)
{
	if (pmap_pt_walk(pm, va, path) != 1)
		return NULL;
	return &pmap_ptp_entries(path[1])[pt_index(va, 1)];
}

/*
 * In TABLE (at LEVEL), whose entry for VA is missing: the first address
 * covered by a later present entry, or the end of what TABLE covers.
 * Scanning the table beats re-walking from the root once per missing
 * entry: a PD with one PT in it is crossed in one pass.
 */
static vaddr_t pmap_next_present(const struct vm_page *table, int level, vaddr_t va)
{
	const pt_entry_t *pt = pmap_ptp_entries(table);
	vaddr_t table_base = va & ~(PMAP_LEVEL_SPAN(level + 1) - 1);

	for (vaddr_t i = pt_index(va, level) + 1; i < PT_ENTRIES; i++)
		if (pmap_pte_load(&pt[i]) & PTE_P)
			return table_base | (i << PT_SHIFT(level));
	return pmap_next_span(va, level + 1);
}

vaddr_t pmap_pt_next(const struct pmap *pm, vaddr_t va, vaddr_t eva, pmap_path_t path)
{
	while (va < eva) {
		int level = pmap_pt_walk(pm, va, path);

		if (level == 1)
			return va;
		va = pmap_next_present(path[level], level, va);
	}
	return eva;
}

struct vm_page *pmap_ptp_alloc(void)
{
	struct vm_page *ptp = vm_page_alloc(VM_PAGE_PTP);

	if (ptp != NULL)
		vm_page_zero(ptp);
	return ptp;
}

void pmap_ptp_unget(struct vm_page *ptp)
{
	vm_page_free(ptp);
}

static void pmap_ptp_count_new(struct pmap *pm)
{
	pm->st.ptp++;
	pm->st.ptp_allocated++;
	if (pm->st.ptp > pm->st.ptp_peak)
		pm->st.ptp_peak = pm->st.ptp;
	pmap_g.st.ptp++;
}

void pmap_ptp_link(struct pmap *pm, pmap_path_t path, vaddr_t va, int level,
		   struct vm_page *child)
{
	struct vm_page *parent = path[level + 1];
	pt_entry_t *slot = &pmap_ptp_entries(parent)[pt_index(va, level + 1)];

	VM_ASSERT(!(pmap_pte_load(slot) & PTE_P));
	child->owner.pmap = pm;
	child->aux = 0;
	pmap_pte_store(slot, vm_page_pa(child) | PMAP_PDE_BITS);
	parent->aux++;
	path[level] = child;
	pmap_ptp_count_new(pm);
}

static void pmap_ptp_free(struct pmap *pm, struct vm_page *ptp)
{
	VM_ASSERT(ptp->use == VM_PAGE_PTP && ptp->owner.pmap == pm);
	vm_page_free(ptp);
	pm->st.ptp--;
	pmap_g.st.ptp--;
}

uint64_t pmap_ptp_release(struct pmap *pm, pmap_path_t path, vaddr_t va)
{
	uint64_t freed = 0;

	/*
	 * Non-leaf entries are never cached by the simulated TLB (it holds
	 * leaf translations only), so clearing them needs no shootdown; the
	 * leaf PTEs below were already shot down one by one.
	 */
	for (int level = 1; level < PT_LEVELS && path[level]->aux == 0; level++) {
		struct vm_page *parent = path[level + 1];

		pmap_pte_store(&pmap_ptp_entries(parent)[pt_index(va, level + 1)], 0);
		VM_ASSERT(parent->aux > 0);
		parent->aux--;
		pmap_ptp_free(pm, path[level]);
		path[level] = NULL;
		freed++;
	}
	return freed;
}

void pmap_ptp_adopt_root(struct pmap *pm, struct vm_page *root)
{
	root->owner.pmap = pm;
	root->aux = 0;
	pm->root = root;
	pmap_ptp_count_new(pm);
}

void pmap_ptp_free_root(struct pmap *pm)
{
	VM_ASSERT(pm->root->aux == 0);
	pmap_ptp_free(pm, pm->root);
	pm->root = NULL;
}
