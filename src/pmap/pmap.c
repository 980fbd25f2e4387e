/*
 * pmap.c - address spaces: create, destroy, asids, LRU, collect, stats.
 *
 * A struct pmap comes from a slab cache (so it lives in a KMEM frame of
 * simulated RAM like all core metadata) and owns a root table page, its
 * other table pages and its pv chunks.  It is identified to the TLB by
 * an address-space id; asids are handed out in increasing order and, once
 * the counter wraps, checked against the live pmaps so two never share
 * one.  Destroy flushes the asid, so a recycled asid never meets a stale
 * entry.
 *
 * A host that is a kernel needs its own half of the address space in
 * every root (its code, its direct map, its trap stack), as every x86
 * kernel does: pmap_share_kernel_half gives the 256 upper root entries
 * once, every root gets them at creation, and nothing else in the pmap
 * sees them: they are not counted in the root's valid entries, walks
 * never go above user space, and the checker proves they are still
 * exactly the kernel's.  The simulator leaves them zero.
 *
 * All pmaps are on one list ordered by activation, least recent first.
 * When memory is short and pv chunks or table pages are what the system
 * needs, pmap_reclaim strips the least recently activated address spaces
 * (FreeBSD's reclaim_pv_chunk does the same for pv chunks): their data
 * stays with the VM and faults back in when the process runs again, but
 * every table page and pv chunk its mappings used goes back to the pool
 * at once.  That is what NetBSD's pmap_collect was meant to do, and what
 * the table-page counts make possible here without scanning for empty
 * tables.
 */
#include "pmap_impl.h"

struct pmap_globals pmap_g;

void pmap_init(void)
{
	memset(&pmap_g, 0, sizeof(pmap_g));
	vm_kmem_cache_init(&pmap_g.cache, "pmap", sizeof(struct pmap));
	pmap_g.next_asid = 1; /* asid 0: no address space loaded */
}

/* ---------------------------------------------------------------- */
/* LRU                                                              */

static void pmap_lru_unlink(struct pmap *pm)
{
	if (pm->lru_prev != NULL)
		pm->lru_prev->lru_next = pm->lru_next;
	else
		pmap_g.lru_head = pm->lru_next;
	if (pm->lru_next != NULL)
		pm->lru_next->lru_prev = pm->lru_prev;
	else
		pmap_g.lru_tail = pm->lru_prev;
	pm->lru_prev = pm->lru_next = NULL;
}

static void pmap_lru_append(struct pmap *pm)
{
	pm->lru_next = NULL;
	pm->lru_prev = pmap_g.lru_tail;
	if (pmap_g.lru_tail != NULL)
		pmap_g.lru_tail->lru_next = pm;
	else
		pmap_g.lru_head = pm;
	pmap_g.lru_tail = pm;
}

void pmap_activate(struct pmap *pm)
{
	if (pmap_g.lru_tail == pm)
		return;
	pmap_lru_unlink(pm);
	pmap_lru_append(pm);
}

struct pmap *pmap_lookup_asid(uint32_t asid)
{
	for (struct pmap *pm = pmap_g.lru_head; pm != NULL; pm = pm->lru_next)
		if (pm->asid == asid)
			return pm;
	return NULL;
}

bool pmap_is_live(const struct pmap *pm)
{
	for (const struct pmap *p = pmap_g.lru_head; p != NULL; p = p->lru_next)
		if (p == pm)
			return true;
	return false;
}

/* ---------------------------------------------------------------- */
/* Lifecycle                                                        */

static uint32_t pmap_asid_alloc(void)
{
	for (;;) {
		uint32_t asid = pmap_g.next_asid++;

		if (pmap_g.next_asid == PMAP_ASID_LIMIT) {
			pmap_g.next_asid = 1;
			pmap_g.asid_wrapped = true;
		}
		if (!pmap_g.asid_wrapped || pmap_lookup_asid(asid) == NULL)
			return asid;
	}
}

/* Copies the kernel's half into PM's root (not counted in its aux). */
static void pmap_root_share(struct pmap *pm)
{
	pt_entry_t *pt = pmap_ptp_entries(pm->root);

	for (unsigned i = 0; i < PT_ENTRIES / 2; i++)
		pmap_pte_store(&pt[PMAP_USER_ROOT_ENTRIES + i], pmap_g.kernel_half[i]);
}

void pmap_share_kernel_half(const pt_entry_t *upper)
{
	memcpy(pmap_g.kernel_half, upper, sizeof(pmap_g.kernel_half));
	for (struct pmap *pm = pmap_g.lru_head; pm != NULL; pm = pm->lru_next)
		pmap_root_share(pm);
}

struct pmap *pmap_create(void)
{
	struct pmap *pm = vm_kmem_zalloc(&pmap_g.cache);
	struct vm_page *root;

	if (pm == NULL)
		return NULL;
	root = pmap_ptp_alloc();
	if (root == NULL) {
		vm_kmem_free(&pmap_g.cache, pm);
		return NULL;
	}
	vm_pagelist_init(&pm->pv_free);
	vm_pagelist_init(&pm->pv_full);
	pmap_ptp_adopt_root(pm, root);
	pmap_root_share(pm);
	pm->asid = pmap_asid_alloc();
	pmap_lru_append(pm);
	pmap_g.st.pmaps++;
	return pm;
}

void pmap_destroy(struct pmap *pm)
{
	uint64_t removed, freed;
	pt_entry_t *pt;

	/* One asid flush instead of a shootdown per page. */
	pmap_remove_range(pm, 0, VM_USER_MAX, PMAP_RM_DESTROY, &removed, &freed);
	VM_ASSERT(pm->st.resident == 0 && pm->st.pv_pages == 0 && pm->st.ptp == 1);
	pmap_g.st.tlb_shootdowns++;
	port_tlb_flush_asid(pm->asid);
	/* The kernel's half goes with the frame, which must leave zeroed
	 * of anything that points at live tables. */
	pt = pmap_ptp_entries(pm->root);
	memset(&pt[PMAP_USER_ROOT_ENTRIES], 0, sizeof(pmap_g.kernel_half));
	pmap_ptp_free_root(pm);
	pmap_lru_unlink(pm);
	pmap_g.st.pmaps--;
	vm_kmem_free(&pmap_g.cache, pm);
}

void pmap_tlb_invalidate(const struct pmap *pm, vaddr_t va, pt_entry_t old)
{
	if (!(old & PTE_A))
		return;
	pmap_g.st.tlb_shootdowns++;
	port_tlb_flush_page(pm->asid, va);
}

/* ---------------------------------------------------------------- */
/* Giving memory back                                               */

uint64_t pmap_collect(struct pmap *pm)
{
	uint64_t removed, freed;

	pmap_remove_range(pm, 0, VM_USER_MAX, PMAP_RM_UNWIRED, &removed, &freed);
	if (removed == 0)
		return 0;
	pm->st.collections++;
	pm->st.collected_pages += freed;
	port_log(1, "pmap %u: collected %llu mappings, %llu frames freed", (unsigned)pm->asid,
		 (unsigned long long)removed, (unsigned long long)freed);
	return freed;
}

uint64_t pmap_reclaim(struct pmap *except)
{
	uint64_t freed = 0;

	for (struct pmap *pm = pmap_g.lru_head; pm != NULL && freed == 0; pm = pm->lru_next)
		if (pm != except)
			freed += pmap_collect(pm);
	return freed;
}

/* ---------------------------------------------------------------- */
/* Accessors                                                        */

paddr_t pmap_root_pa(const struct pmap *pm)
{
	return vm_page_pa(pm->root);
}

uint32_t pmap_asid(const struct pmap *pm)
{
	return pm->asid;
}

void pmap_get_stats(const struct pmap *pm, struct pmap_stats *st)
{
	*st = pm->st;
}

void pmap_get_global_stats(struct pmap_global_stats *st)
{
	*st = pmap_g.st;
}
