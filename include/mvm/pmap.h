/*
 * pmap.h - the machine-dependent layer: page tables, pv entries, TLB.
 *
 * The contract follows pmap(9), with one difference that matters: every
 * operation that needs memory can fail.  pmap_enter returns VM_ENOMEM, with
 * no side effect at all, when it cannot get a page-table page or a pv
 * entry; the fault handler then releases what it holds, asks the page
 * daemon for memory and refaults.  Page-table pages and pv chunks come from
 * the same frame pool as user pages (vm_page_alloc with VM_PAGE_PTP and
 * VM_PAGE_PV), and every table page counts its valid entries and is freed,
 * level by level, when the count reaches zero.  So the table pages a pmap
 * holds are always the minimum its valid PTEs need, and pmap_collect can
 * give back everything an idle process's mappings cost.
 *
 * Every page the VM maps (ANON and OBJECT frames) is managed: the pmap
 * keeps a pv entry per mapping so that pmap_page_protect can find all
 * mappings of a page.
 */
#ifndef MVM_PMAP_H
#define MVM_PMAP_H

#include "pte.h"
#include "vm_page.h"

struct pmap;

/* pmap_enter flags */
#define PMAP_WIRED 0x1u

struct pmap_stats {
	uint64_t resident;      /* valid leaf PTEs */
	uint64_t wired;         /* of which wired */
	uint64_t ptp;           /* table pages held now, root included */
	uint64_t ptp_peak;      /* most table pages held at once */
	uint64_t ptp_allocated; /* table pages ever allocated (what a pmap
	                         * that never freed them would hold) */
	uint64_t pv_pages;      /* pv chunk frames held */
	uint64_t pv_entries;    /* pv entries in use */
	uint64_t collections;   /* pmap_collect calls that found work */
	uint64_t collected_pages; /* frames those calls freed */
	uint64_t enter_fail;    /* pmap_enter calls that failed for memory */
};

/* Global figures over all pmaps. */
struct pmap_global_stats {
	uint64_t pmaps;
	uint64_t ptp;
	uint64_t pv_pages;
	uint64_t pv_entries;
	uint64_t enter_fail_ptp;
	uint64_t enter_fail_pv;
	uint64_t tlb_shootdowns;
};

/* Once, after vm_page_boot. */
void pmap_init(void);

/*
 * The kernel's half of every address space: root entries 256..511 (the
 * 256 entries at UPPER) are copied into every root, present and future,
 * and never counted, changed or walked by the pmap.  A kernel host calls
 * it after vm_boot; without it the upper half is empty.
 */
void pmap_share_kernel_half(const pt_entry_t *upper);

/* A new, empty address space, or NULL if no frame (or no kmem) was free. */
struct pmap *pmap_create(void);
/* Removes every mapping and frees every table page, pv chunk and the pmap. */
void pmap_destroy(struct pmap *pm);

/*
 * Maps PG at VA (page aligned, below VM_USER_MAX) with PROT.  An existing
 * mapping at VA is replaced (same page: its permission changes; another
 * page: the old mapping is removed).  VM_ENOMEM with no side effect if a
 * table page or pv entry cannot be had.  PROT NONE is not allowed.
 */
enum vm_err pmap_enter(struct pmap *pm, vaddr_t va, struct vm_page *pg,
		       vm_prot_t prot, unsigned flags);
/* Removes mappings in [sva, eva); frees table pages that become empty. */
void pmap_remove(struct pmap *pm, vaddr_t sva, vaddr_t eva);
/* Lowers permission in [sva, eva) to at most PROT (NONE removes). */
void pmap_protect(struct pmap *pm, vaddr_t sva, vaddr_t eva, vm_prot_t prot);
/* Lowers permission of every mapping of PG (READ: no writes; NONE: unmap). */
void pmap_page_protect(struct vm_page *pg, vm_prot_t prot);

/* Referenced/modified: hardware A/D bits of all mappings, plus what was
 * saved from mappings already removed (pg->md_attrs). */
bool pmap_is_referenced(struct vm_page *pg);
bool pmap_is_modified(struct vm_page *pg);
/* Clear the bits; return whether they were set. */
bool pmap_clear_reference(struct vm_page *pg);
bool pmap_clear_modify(struct vm_page *pg);
/* Number of mappings of PG. */
uint64_t pmap_page_mappings(const struct vm_page *pg);

/* The translation at VA, if any. */
bool pmap_extract(struct pmap *pm, vaddr_t va, paddr_t *pa, vm_prot_t *prot);

/*
 * Strips every non-wired mapping and frees every table page and pv chunk
 * that becomes unused.  Returns the number of frames freed.  The data
 * stays with its owners and faults back on the next access.
 */
uint64_t pmap_collect(struct pmap *pm);

/*
 * Emergency pv reclamation (FreeBSD's reclaim_pv_chunk): strips mappings
 * from the least recently activated pmaps other than EXCEPT until at least
 * one frame is freed.  Returns frames freed (0 if nothing could be).
 */
uint64_t pmap_reclaim(struct pmap *except);

/* The CPU switches to PM (the sim's context switch); also marks PM as the
 * most recently used for pmap_reclaim's LRU order. */
void pmap_activate(struct pmap *pm);

paddr_t pmap_root_pa(const struct pmap *pm);
uint32_t pmap_asid(const struct pmap *pm);
/* The live pmap with address-space id ASID, or NULL (O(pmaps); for the
 * TLB checker's root_of callback and for dumps). */
struct pmap *pmap_lookup_asid(uint32_t asid);
void pmap_get_stats(const struct pmap *pm, struct pmap_stats *st);
void pmap_get_global_stats(struct pmap_global_stats *st);

/* Walks valid leaf PTEs in ascending VA order (for the checker and dumps). */
typedef void (*pmap_walk_fn)(void *arg, vaddr_t va, pt_entry_t pte);
void pmap_walk(const struct pmap *pm, pmap_walk_fn fn, void *arg);

/*
 * Structural self-check: every table page's count equals its valid
 * entries, no table page but the root is empty, every table page is a PTP
 * frame owned by PM, every managed PTE has exactly one pv entry on its
 * page's list and every pv entry of PM points at such a PTE, counters
 * agree.  Returns false and writes why on the first problem.
 */
bool pmap_verify(const struct pmap *pm, char *why, size_t whylen);
/* Global: pv lists of PG name only live pmaps and valid PTEs mapping PG. */
bool pmap_verify_page(const struct vm_page *pg, char *why, size_t whylen);
/*
 * The pmap list is intact, asids are unique, and the per-pmap counters
 * add up to the global ones and to the PTP and PV frame counts of
 * vm_phys (nothing but the pmap takes those frames).  Does not run
 * pmap_verify on each pmap: the checker does that per process.
 */
bool pmap_verify_global(char *why, size_t whylen);

#endif
