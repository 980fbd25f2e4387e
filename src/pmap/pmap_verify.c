/*
 * pmap_verify.c - the pmap's structural self-check.
 *
 * The consistency checker runs this after every operation in the tests and
 * under --check-every, so it recounts everything from scratch rather than
 * trusting any counter it is meant to check:
 *
 *   - every table page reachable from the root is a PTP frame owned by the
 *     pmap, its aux equals its valid entries, and it is not empty unless
 *     it is the root; non-leaf entries carry exactly P|W|U and a frame
 *     (and A, which the MMU sets in every level it walks, as x86 does);
 *     the root's upper half is the kernel's shared half, not counted;
 *     invalid entries are all-zero; nothing maps at or above VM_USER_MAX;
 *   - every leaf PTE is user, has only known bits, maps a frame in RAM
 *     that may be mapped, is managed exactly when its page is (ANON,
 *     OBJECT), and a managed one has exactly one pv entry on its page's
 *     list;
 *   - every pv chunk is a PV frame owned by the pmap, on the right list,
 *     with aux + free slots == 256 and no empty chunk; every entry in use
 *     names a managed PTE mapping a page whose list holds that entry;
 *   - the counters (resident, wired, ptp, pv_pages, pv_entries) equal the
 *     recounts, and the peak and lifetime figures bound them.
 *
 * Because the core is freestanding, the reason is formatted by a tiny
 * printf of our own (%s, %u and %x, numbers always uint64_t).
 */
#include "pmap_impl.h"

#include "mvm/why.h"

/* Writes the reason; returns false so that callers can "return pmap_fail(...)". */
static bool pmap_fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vwhyf(why, whylen, fmt, ap);
	va_end(ap);
	return false;
}

/* ---------------------------------------------------------------- */
/* Shared checks                                                    */

/* PA is a frame past the boot frames (a hole's frames are refused by use). */
static bool pmap_pa_in_ram(paddr_t pa)
{
	return vm_pa_in_span(pa) && vm_pa_frame(pa) >= vm_phys.nboot;
}

/* Entries on PG's list that name (PM, VA); bounded so a cycle cannot hang. */
static uint64_t pmap_pv_count(const struct vm_page *pg, const struct pmap *pm, vaddr_t va,
			      const struct pmap_pv *want, bool *found)
{
	uint64_t n = 0, steps = 0;

	for (const struct pmap_pv *pv = pg->pv; pv != NULL && steps <= pmap_g.st.pv_entries;
	     pv = pv->next, steps++) {
		if (pv == want)
			*found = true;
		if (pv->va == va && pmap_pv_pmap(pv) == pm)
			n++;
	}
	return n;
}

/* ---------------------------------------------------------------- */
/* Tables                                                           */

struct pmap_vstate {
	const struct pmap *pm;
	char *why;
	size_t whylen;
	uint64_t ptp, resident, wired, managed, pv_pages, pv_used;
};

#define PMAP_LEAF_BITS \
	(PTE_FRAME | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D | PTE_WIRED | PTE_MANAGED | PTE_NX)

static bool pmap_verify_leaf(struct pmap_vstate *vs, vaddr_t va, pt_entry_t pte)
{
	const struct vm_page *pg;
	bool managed = (pte & PTE_MANAGED) != 0, unused = false;
	uint64_t n;

	if ((pte & ~PMAP_LEAF_BITS) || !(pte & PTE_U))
		return pmap_fail(vs->why, vs->whylen, "va %x: bad leaf bits %x", (uint64_t)va,
				 (uint64_t)pte);
	if (!pmap_pa_in_ram(pte & PTE_FRAME) &&
	    (pte & PTE_FRAME) != vm_page_pa(vm_phys.zero_page))
		return pmap_fail(vs->why, vs->whylen, "va %x: frame outside RAM", (uint64_t)va);
	pg = pmap_pte_page(pte);
	if (pg->use == VM_PAGE_FREE || pg->use == VM_PAGE_PTP || pg->use == VM_PAGE_PV ||
	    (pg->use == VM_PAGE_BOOT && pg != vm_phys.zero_page))
		return pmap_fail(vs->why, vs->whylen, "va %x maps frame %u of use %u",
				 (uint64_t)va, vm_page_frame(pg), (uint64_t)pg->use);
	if (managed != pmap_page_is_managed(pg))
		return pmap_fail(vs->why, vs->whylen, "va %x: managed bit disagrees with page",
				 (uint64_t)va);
	vs->resident++;
	vs->wired += (pte & PTE_WIRED) != 0;
	if (!managed)
		return true;
	vs->managed++;
	n = pmap_pv_count(pg, vs->pm, va, NULL, &unused);
	if (n != 1)
		return pmap_fail(vs->why, vs->whylen, "va %x: %u pv entries on frame %u",
				 (uint64_t)va, n, vm_page_frame(pg));
	return true;
}

static bool pmap_verify_table(struct pmap_vstate *vs, const struct vm_page *ptp, int level,
			      vaddr_t base);

static bool pmap_verify_entry(struct pmap_vstate *vs, int level, vaddr_t va, pt_entry_t pte)
{
	if (!(pte & PTE_P))
		return pmap_fail(vs->why, vs->whylen, "level %u entry for va %x: not present but %x",
				 (uint64_t)level, (uint64_t)va, (uint64_t)pte);
	if (va >= VM_USER_MAX)
		return pmap_fail(vs->why, vs->whylen, "entry above user space at va %x",
				 (uint64_t)va);
	if (level == 1)
		return pmap_verify_leaf(vs, va, pte);
	/* A: the MMU marks the upper levels it walks through, as x86 does. */
	if ((pte & ~(PTE_FRAME | PTE_A)) != PMAP_PDE_BITS || !pmap_pa_in_ram(pte & PTE_FRAME))
		return pmap_fail(vs->why, vs->whylen, "level %u entry for va %x: bad %x",
				 (uint64_t)level, (uint64_t)va, (uint64_t)pte);
	return pmap_verify_table(vs, pmap_pte_page(pte), level - 1, va);
}

static bool pmap_verify_table(struct pmap_vstate *vs, const struct vm_page *ptp, int level,
			      vaddr_t base)
{
	const pt_entry_t *pt = pmap_ptp_entries(ptp);
	/* A root's upper half is the kernel's (pmap_share_kernel_half):
	 * checked apart, never counted. */
	uint64_t valid = 0, n = level == PT_LEVELS ? PMAP_USER_ROOT_ENTRIES : PT_ENTRIES;

	if (ptp->use != VM_PAGE_PTP || ptp->owner.pmap != vs->pm)
		return pmap_fail(vs->why, vs->whylen, "level %u table for va %x: frame %u not ours",
				 (uint64_t)level, (uint64_t)base, vm_page_frame(ptp));
	vs->ptp++;
	for (uint64_t i = 0; i < n; i++) {
		pt_entry_t pte = pmap_pte_load(&pt[i]);

		if (pte == 0)
			continue;
		valid++;
		if (!pmap_verify_entry(vs, level, base | (i << PT_SHIFT(level)), pte))
			return false;
	}
	if (valid != ptp->aux)
		return pmap_fail(vs->why, vs->whylen, "level %u table for va %x: count %u, %u valid",
				 (uint64_t)level, (uint64_t)base, (uint64_t)ptp->aux, valid);
	if (valid == 0 && level != PT_LEVELS)
		return pmap_fail(vs->why, vs->whylen, "level %u table for va %x is empty",
				 (uint64_t)level, (uint64_t)base);
	return true;
}

/* ---------------------------------------------------------------- */
/* pv chunks                                                        */

/* Marks the free slots of CHUNK; returns how many, or UINT32_MAX if the list is bad. */
static uint32_t pmap_chunk_free_slots(const struct vm_page *chunk, uint8_t *is_free)
{
	const uint8_t *base = vm_page_data(chunk);
	uint32_t n = 0;

	for (const struct pmap_pv *pv = chunk->u.freelist; pv != NULL; pv = pv->next) {
		uint64_t off = (uint64_t)((const uint8_t *)pv - base);

		if ((const uint8_t *)pv < base || off >= VM_PAGE_SIZE ||
		    off % sizeof(struct pmap_pv) != 0 || is_free[off / sizeof(struct pmap_pv)])
			return UINT32_MAX;
		is_free[off / sizeof(struct pmap_pv)] = 1;
		n++;
	}
	return n;
}

static bool pmap_verify_pv_entry(struct pmap_vstate *vs, const struct pmap_pv *pv)
{
	pmap_path_t path;
	const pt_entry_t *slot = pmap_pte_slot(vs->pm, pv->va, path);
	pt_entry_t pte = slot != NULL ? pmap_pte_load(slot) : 0;
	bool on_list = false;

	if (!(pte & PTE_P) || !(pte & PTE_MANAGED))
		return pmap_fail(vs->why, vs->whylen, "pv entry for va %x: no managed PTE",
				 (uint64_t)pv->va);
	pmap_pv_count(pmap_pte_page(pte), vs->pm, pv->va, pv, &on_list);
	if (!on_list)
		return pmap_fail(vs->why, vs->whylen, "pv entry for va %x not on frame %u's list",
				 (uint64_t)pv->va, vm_page_frame(pmap_pte_page(pte)));
	vs->pv_used++;
	return true;
}

static bool pmap_verify_chunk(struct pmap_vstate *vs, const struct vm_page *chunk, bool full)
{
	uint8_t is_free[PMAP_PV_PER_CHUNK];
	const struct pmap_pv *slots = (const struct pmap_pv *)(const void *)vm_page_data(chunk);
	uint32_t nfree;

	if (chunk->use != VM_PAGE_PV || chunk->owner.pmap != vs->pm)
		return pmap_fail(vs->why, vs->whylen, "pv chunk frame %u not ours",
				 vm_page_frame(chunk));
	memset(is_free, 0, sizeof(is_free));
	nfree = pmap_chunk_free_slots(chunk, is_free);
	if (nfree == UINT32_MAX || nfree + chunk->aux != PMAP_PV_PER_CHUNK)
		return pmap_fail(vs->why, vs->whylen, "pv chunk frame %u: count %u, free list bad",
				 vm_page_frame(chunk), (uint64_t)chunk->aux);
	if (chunk->aux == 0 || full != (nfree == 0))
		return pmap_fail(vs->why, vs->whylen, "pv chunk frame %u: %u in use on the %s list",
				 vm_page_frame(chunk), (uint64_t)chunk->aux, full ? "full" : "free");
	for (uint32_t i = 0; i < PMAP_PV_PER_CHUNK; i++)
		if (!is_free[i] && !pmap_verify_pv_entry(vs, &slots[i]))
			return false;
	return true;
}

static bool pmap_verify_chunks(struct pmap_vstate *vs, const struct vm_pageq *q, bool full)
{
	uint64_t n = 0;

	for (uint32_t f = q->head; f != VM_PAGE_NIL; f = vm_page_at(f)->q_next) {
		if (f >= vm_phys.nframes || ++n > vm_phys.nframes)
			return pmap_fail(vs->why, vs->whylen, "pv chunk list broken");
		if (!pmap_verify_chunk(vs, vm_page_at(f), full))
			return false;
	}
	if (n != q->count)
		return pmap_fail(vs->why, vs->whylen, "pv chunk list holds %u, says %u", n, q->count);
	vs->pv_pages += n;
	return true;
}

/* ---------------------------------------------------------------- */
/* Counters                                                         */

static bool pmap_verify_count(struct pmap_vstate *vs, const char *what, uint64_t have,
			      uint64_t counted)
{
	if (have == counted)
		return true;
	return pmap_fail(vs->why, vs->whylen, "stats.%s is %u, recount %u", what, have, counted);
}

static bool pmap_verify_stats(struct pmap_vstate *vs)
{
	const struct pmap_stats *st = &vs->pm->st;

	if (!pmap_verify_count(vs, "resident", st->resident, vs->resident) ||
	    !pmap_verify_count(vs, "wired", st->wired, vs->wired) ||
	    !pmap_verify_count(vs, "ptp", st->ptp, vs->ptp) ||
	    !pmap_verify_count(vs, "pv_pages", st->pv_pages, vs->pv_pages) ||
	    !pmap_verify_count(vs, "pv_entries", st->pv_entries, vs->managed) ||
	    !pmap_verify_count(vs, "pv_entries (chunks)", st->pv_entries, vs->pv_used))
		return false;
	if (st->ptp_peak < st->ptp || st->ptp_allocated < st->ptp_peak)
		return pmap_fail(vs->why, vs->whylen, "ptp %u, peak %u, allocated %u", st->ptp,
				 st->ptp_peak, st->ptp_allocated);
	return true;
}

/* The root's upper half is exactly the kernel's shared one. */
static bool pmap_verify_kernel_half(const struct pmap *pm, char *why, size_t whylen)
{
	const pt_entry_t *pt = pmap_ptp_entries(pm->root);

	for (unsigned i = PMAP_USER_ROOT_ENTRIES; i < PT_ENTRIES; i++)
		if (pmap_pte_load(&pt[i]) != pmap_g.kernel_half[i - PMAP_USER_ROOT_ENTRIES])
			return pmap_fail(why, whylen, "root entry %u is not the kernel's",
					 (uint64_t)i);
	return true;
}

bool pmap_verify(const struct pmap *pm, char *why, size_t whylen)
{
	struct pmap_vstate vs = { .pm = pm, .why = why, .whylen = whylen };

	if (!pmap_is_live(pm))
		return pmap_fail(why, whylen, "pmap not on the pmap list");
	if (pm->asid == 0 || pm->asid >= PMAP_ASID_LIMIT)
		return pmap_fail(why, whylen, "bad asid %u", (uint64_t)pm->asid);
	if (!pmap_verify_kernel_half(pm, why, whylen) ||
	    !pmap_verify_table(&vs, pm->root, PT_LEVELS, 0) ||
	    !pmap_verify_chunks(&vs, &pm->pv_free, false) ||
	    !pmap_verify_chunks(&vs, &pm->pv_full, true) || !pmap_verify_stats(&vs)) {
		/* Name the address space in front of the reason. */
		char inner[200];

		memcpy(inner, why, whylen < sizeof(inner) ? whylen : sizeof(inner));
		inner[sizeof(inner) - 1] = '\0';
		return pmap_fail(why, whylen, "pmap asid %u: %s", (uint64_t)pm->asid,
				 whylen > 0 ? inner : "");
	}
	return true;
}

/* ---------------------------------------------------------------- */
/* Pages and the whole                                              */

/* Whether PM looks like a live pmap, in O(1): it sits in a slab of the
 * pmap cache and its root table page names it as owner. */
static bool pmap_looks_live(const struct pmap *pm)
{
	const uint8_t *p = (const uint8_t *)pm;
	const struct vm_page *slab;

	if (p < vm_phys.ram || p >= vm_phys.ram + vm_ptoa(vm_phys.nframes))
		return false;
	slab = vm_page_of_ptr(pm);
	return slab->use == VM_PAGE_KMEM && slab->owner.cache == &pmap_g.cache &&
	       pm->root != NULL && pm->root >= vm_phys.pages &&
	       pm->root < vm_phys.pages + vm_phys.nframes && pm->root->use == VM_PAGE_PTP &&
	       pm->root->owner.pmap == pm;
}

static bool pmap_pv_in_ram(const struct pmap_pv *pv)
{
	const uint8_t *p = (const uint8_t *)pv;

	return p >= vm_phys.ram + vm_ptoa(vm_phys.nboot) &&
	       p < vm_phys.ram + vm_ptoa(vm_phys.nframes) &&
	       (uint64_t)(p - vm_phys.ram) % sizeof(struct pmap_pv) == 0;
}

static bool pmap_verify_page_pv(const struct vm_page *pg, const struct pmap_pv *pv, char *why,
				size_t whylen)
{
	const struct vm_page *chunk;
	const struct pmap *pm;
	const pt_entry_t *slot;
	pmap_path_t path;

	if (!pmap_pv_in_ram(pv))
		return pmap_fail(why, whylen, "frame %u: pv pointer outside RAM", vm_page_frame(pg));
	chunk = vm_page_of_ptr(pv);
	pm = chunk->owner.pmap;
	if (chunk->use != VM_PAGE_PV || !pmap_looks_live(pm))
		return pmap_fail(why, whylen, "frame %u: pv entry of no live pmap", vm_page_frame(pg));
	slot = pv->va < VM_USER_MAX && !(pv->va & VM_PAGE_MASK) ? pmap_pte_slot(pm, pv->va, path)
								 : NULL;
	if (slot == NULL || !(pmap_pte_load(slot) & PTE_MANAGED) ||
	    pmap_pte_page(pmap_pte_load(slot)) != pg)
		return pmap_fail(why, whylen, "frame %u: pv entry (asid %u, va %x) has no PTE",
				 vm_page_frame(pg), (uint64_t)pm->asid, (uint64_t)pv->va);
	return true;
}

bool pmap_verify_page(const struct vm_page *pg, char *why, size_t whylen)
{
	uint64_t n = 0;

	if (!pmap_page_is_managed(pg) && pg->pv != NULL)
		return pmap_fail(why, whylen, "frame %u: unmanaged but has pv entries",
				 vm_page_frame(pg));
	for (const struct pmap_pv *pv = pg->pv; pv != NULL; pv = pv->next) {
		if (++n > pmap_g.st.pv_entries)
			return pmap_fail(why, whylen, "frame %u: pv list longer than all entries",
					 vm_page_frame(pg));
		if (!pmap_verify_page_pv(pg, pv, why, whylen))
			return false;
	}
	return true;
}

bool pmap_verify_global(char *why, size_t whylen)
{
	uint64_t n = 0, ptp = 0, pv_pages = 0, pv_entries = 0;
	const struct pmap *prev = NULL;

	for (const struct pmap *pm = pmap_g.lru_head; pm != NULL; prev = pm, pm = pm->lru_next) {
		if (++n > pmap_g.st.pmaps || pm->lru_prev != prev)
			return pmap_fail(why, whylen, "pmap list broken");
		for (const struct pmap *q = pmap_g.lru_head; q != pm; q = q->lru_next)
			if (q->asid == pm->asid)
				return pmap_fail(why, whylen, "asid %u used twice", (uint64_t)pm->asid);
		ptp += pm->st.ptp;
		pv_pages += pm->st.pv_pages;
		pv_entries += pm->st.pv_entries;
	}
	if (n != pmap_g.st.pmaps || prev != pmap_g.lru_tail)
		return pmap_fail(why, whylen, "%u pmaps listed, %u counted", n, pmap_g.st.pmaps);
	if (ptp != pmap_g.st.ptp || ptp != vm_phys.by_use[VM_PAGE_PTP])
		return pmap_fail(why, whylen, "table pages: pmaps %u, global %u, frames %u", ptp,
				 pmap_g.st.ptp, vm_phys.by_use[VM_PAGE_PTP]);
	if (pv_pages != pmap_g.st.pv_pages || pv_pages != vm_phys.by_use[VM_PAGE_PV])
		return pmap_fail(why, whylen, "pv chunks: pmaps %u, global %u, frames %u", pv_pages,
				 pmap_g.st.pv_pages, vm_phys.by_use[VM_PAGE_PV]);
	if (pv_entries != pmap_g.st.pv_entries)
		return pmap_fail(why, whylen, "pv entries: pmaps %u, global %u", pv_entries,
				 pmap_g.st.pv_entries);
	return true;
}
