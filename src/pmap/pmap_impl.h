/*
 * pmap_impl.h - the reference pmap's private structures and helpers.
 *
 * Shared by the files of src/pmap only.  The pmap is split by concept:
 *   pmap.c         lifecycle, address-space ids, LRU, collect/reclaim, stats
 *   pmap_map.c     operations on one pmap's range: enter, remove, protect
 *   pmap_page.c    operations on every mapping of one page (pv lists)
 *   pmap_pt.c      table pages: allocation, counts, freeing up the levels
 *   pmap_pv.c      pv entries: per-pmap chunks and per-page lists
 *   pmap_verify.c  the structural self-check
 *
 * Ownership rules (single threaded; the caller serialises everything):
 *   - Every table page of a pmap is a VM_PAGE_PTP frame with owner.pmap
 *     set and aux equal to its valid entries.  Only the root may have
 *     aux == 0; any other table page is freed the moment it empties.
 *   - Every pv chunk is a VM_PAGE_PV frame with owner.pmap set, aux equal
 *     to entries in use and u.freelist chaining the free ones through
 *     their next field.  A chunk is on pv_free (some entry free) or
 *     pv_full (none), linked through its frame's q_next/q_prev.  A chunk
 *     with no entry in use is freed at once.
 *   - A managed leaf PTE (PTE_MANAGED) has exactly one pv entry, on the
 *     list of the page it maps; the entry's pmap is its chunk's owner.
 *   - A TLB entry for (asid, va) can exist only while the leaf PTE has A
 *     set (the MMU sets A before it caches a translation, as x86 does),
 *     and can be writable only while D is set.  So a PTE whose A is clear
 *     needs no shootdown when it is lowered or removed (NetBSD's x86 pmap
 *     relies on the same rule).
 */
#ifndef MVM_PMAP_IMPL_H
#define MVM_PMAP_IMPL_H

#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"

/* One mapping of a managed page: 16 bytes, 256 to a chunk frame. */
struct pmap_pv {
	struct pmap_pv *next; /* next mapping of the same page */
	vaddr_t va;           /* where the chunk's pmap maps it */
};

#define PMAP_PV_PER_CHUNK ((uint32_t)(VM_PAGE_SIZE / sizeof(struct pmap_pv)))

struct pmap {
	struct vm_page *root;        /* the PML4; lives as long as the pmap */
	uint32_t asid;
	struct pmap *lru_prev;       /* towards the least recently activated */
	struct pmap *lru_next;       /* towards the most recently activated */
	struct vm_pageq pv_free;     /* pv chunks with a free entry */
	struct vm_pageq pv_full;     /* pv chunks with none */
	struct pmap_stats st;
};

/* Module state: the pmap slab cache, the LRU list, asids, global stats. */
struct pmap_globals {
	struct vm_kmem_cache cache;
	struct pmap *lru_head;       /* least recently activated */
	struct pmap *lru_tail;       /* most recently activated */
	uint32_t next_asid;
	bool asid_wrapped;           /* from now on new asids must be checked */
	/* Root entries 256..511 of every pmap: the host kernel's half
	 * (pmap_share_kernel_half); all zero on the simulator. */
	pt_entry_t kernel_half[PT_ENTRIES / 2];
	struct pmap_global_stats st;
};

extern struct pmap_globals pmap_g;

/* Asids fit the TLB tag: (asid << 36 | vpn) must not lose bits. */
#define PMAP_ASID_LIMIT ((uint32_t)1 << 27)

/* Root entries that map user space; the rest are the kernel's. */
#define PMAP_USER_ROOT_ENTRIES (PT_ENTRIES / 2)

/* Bytes of one level's entry: 4 KiB, 2 MiB, 1 GiB, 512 GiB. */
#define PMAP_LEVEL_SPAN(level) ((uint64_t)1 << PT_SHIFT(level))

/* The first address of the level-LEVEL entry after the one holding VA. */
static inline vaddr_t pmap_next_span(vaddr_t va, int level)
{
	return ((va >> PT_SHIFT(level)) + 1) << PT_SHIFT(level);
}

/* Bits a non-leaf entry carries besides its frame. */
#define PMAP_PDE_BITS (PTE_P | PTE_W | PTE_U)

/*
 * PTEs are little-endian 64-bit words in RAM ("hardware" format); the
 * conversion is free on little-endian hosts and keeps the MMU in
 * src/sim/cpu.c and the pmap agreeing on any host.
 */
static inline pt_entry_t pmap_pte_load(const pt_entry_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_bswap64(*p);
#else
	return *p;
#endif
}

static inline void pmap_pte_store(pt_entry_t *p, pt_entry_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	*p = __builtin_bswap64(v);
#else
	*p = v;
#endif
}

/* The 512 entries of a table page (through the direct map). */
static inline pt_entry_t *pmap_ptp_entries(const struct vm_page *ptp)
{
	return (pt_entry_t *)(void *)vm_page_data(ptp);
}

static inline struct vm_page *pmap_pte_page(pt_entry_t pte)
{
	return vm_page_from_pa(pte & PTE_FRAME);
}

static inline bool pmap_page_is_managed(const struct vm_page *pg)
{
	return pg->use == VM_PAGE_ANON || pg->use == VM_PAGE_OBJECT;
}

static inline uint8_t pmap_pte_attrs(pt_entry_t pte)
{
	return (uint8_t)(((pte & PTE_A) ? PMAP_ATTR_REFERENCED : 0) |
			 ((pte & PTE_D) ? PMAP_ATTR_MODIFIED : 0));
}

/* Drops a cached translation if one can exist (A set: see above). */
void pmap_tlb_invalidate(const struct pmap *pm, vaddr_t va, pt_entry_t old);

/* ---- pmap_pt.c: table pages ---- */

/*
 * A walk's tables: path[L] is the table at level L that translates the
 * address (path[4] is the root, path[1] the leaf table), or NULL below the
 * first missing one.
 */
typedef struct vm_page *pmap_path_t[PT_LEVELS + 1];

/* Fills PATH for VA; returns the lowest level whose table exists (1..4). */
int pmap_pt_walk(const struct pmap *pm, vaddr_t va, pmap_path_t path);
/* The leaf PTE slot for VA, or NULL if a table on the way is missing. */
pt_entry_t *pmap_pte_slot(const struct pmap *pm, vaddr_t va, pmap_path_t path);
/*
 * The first address in [VA, EVA) whose leaf table exists, skipping
 * missing subtrees whole; fills PATH for it.  EVA if there is none.
 */
vaddr_t pmap_pt_next(const struct pmap *pm, vaddr_t va, vaddr_t eva, pmap_path_t path);

/* A zeroed table frame, or NULL (counted in the global stats). */
struct vm_page *pmap_ptp_alloc(void);
/* Gives back a table frame that was never linked (enter's undo). */
void pmap_ptp_unget(struct vm_page *ptp);
/* Links CHILD under PATH[LEVEL + 1] for VA as the level-LEVEL table. */
void pmap_ptp_link(struct pmap *pm, pmap_path_t path, vaddr_t va, int level,
		   struct vm_page *child);
/*
 * After the leaf table's count dropped: frees path[1] if it is empty and
 * every ancestor that empties in turn (never the root).  Returns frames freed.
 */
uint64_t pmap_ptp_release(struct pmap *pm, pmap_path_t path, vaddr_t va);
/* Makes ROOT (from pmap_ptp_alloc) PM's PML4. */
void pmap_ptp_adopt_root(struct pmap *pm, struct vm_page *root);
/* Frees the root at destroy. */
void pmap_ptp_free_root(struct pmap *pm);

/* ---- pmap_pv.c: pv entries ---- */

/* Makes sure one entry can be allocated without failing. */
bool pmap_pv_reserve(struct pmap *pm);
/* Takes an entry (after pmap_pv_reserve). */
struct pmap_pv *pmap_pv_alloc(struct pmap *pm, vaddr_t va);
/* Returns an entry; frees its chunk if it empties.  Returns frames freed. */
uint64_t pmap_pv_free(struct pmap *pm, struct pmap_pv *pv);
void pmap_pv_link(struct vm_page *pg, struct pmap_pv *pv);
/* Unlinks and returns PM's entry for VA from PG's list (must be there). */
struct pmap_pv *pmap_pv_unlink(struct vm_page *pg, const struct pmap *pm, vaddr_t va);

static inline struct pmap *pmap_pv_pmap(const struct pmap_pv *pv)
{
	return vm_page_of_ptr(pv)->owner.pmap;
}

/* ---- pmap_map.c: mappings ---- */

/*
 * Removes the valid leaf PTE at SLOT (VA in PM): saves A/D into the page,
 * frees its pv entry, updates counts, shoots the TLB entry down if FLUSH.
 * Does not touch the table counts.  Returns frames freed (pv chunk).
 */
uint64_t pmap_pte_remove(struct pmap *pm, pt_entry_t *slot, vaddr_t va, bool flush);
/* Removes PM's mapping at VA (which must exist) and frees emptied tables. */
uint64_t pmap_remove_one(struct pmap *pm, vaddr_t va);

/* How a range removal treats wired mappings and the TLB. */
enum pmap_remove_mode {
	PMAP_RM_ALL,        /* pmap_remove */
	PMAP_RM_UNWIRED,    /* pmap_collect: keep wired mappings */
	PMAP_RM_DESTROY,    /* pmap_destroy: everything, the asid is flushed after */
};
/* Removes mappings in [SVA, EVA); returns (mappings removed, frames freed). */
void pmap_remove_range(struct pmap *pm, vaddr_t sva, vaddr_t eva, enum pmap_remove_mode mode,
		       uint64_t *removed, uint64_t *freed);

/* ---- pmap.c ---- */

bool pmap_is_live(const struct pmap *pm);

#endif
