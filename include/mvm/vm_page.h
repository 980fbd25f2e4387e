/*
 * vm_page.h - physical page frames: one struct vm_page per frame.
 *
 * The core owns physical memory.  At boot it is handed the machine's RAM
 * (an array of frames holding real bytes) and places its own page array in
 * the first frames of that RAM, as a kernel does.  From then on every frame
 * is in exactly one use (enum vm_page_use), and the counters per use always
 * add up to the number of frames: that is DESIGN.md invariant 1, and the
 * consistency checker proves it by walking every owner.
 *
 * struct vm_page is 48 bytes (Linux's struct page is 64, GNU Mach's was 96).
 * Queue links are 32-bit frame numbers rather than pointers, and the fields
 * that only one kind of owner needs share storage in unions.
 *
 * Ownership rules:
 *   FREE     on the free queue; nothing else refers to it.
 *   BOOT     the page array itself, the zero page, and the frames of holes
 *            in the physical span (see struct vm_boot_mem); never freed.
 *   KMEM     a slab of src/vm/kmem.c: owner.cache, u.freelist, aux = objects in use.
 *   PTP      a page-table page of owner.pmap; aux = valid entries.
 *   PV       a pv-entry chunk of owner.pmap; aux = entries in use.
 *   ANON     the data of one anon (owner.anon), on a paging queue.
 *   OBJECT   page u.pindex of owner.object (a file's page cache), on the
 *            FILE, DIRTY or LAUNDRY queue.
 * pv (the pmap's machine-dependent part) lists the mappings of ANON and
 * OBJECT pages.
 */
#ifndef MVM_VM_PAGE_H
#define MVM_VM_PAGE_H

#include "port.h"
#include "vm_types.h"

enum vm_page_use {
	VM_PAGE_FREE,
	VM_PAGE_BOOT,
	VM_PAGE_KMEM,
	VM_PAGE_PTP,
	VM_PAGE_PV,
	VM_PAGE_ANON,
	VM_PAGE_OBJECT,
	VM_PAGE_USE_COUNT
};

enum vm_page_queue {
	VM_PQ_NONE,
	VM_PQ_FREE,
	VM_PQ_ACTIVE,
	VM_PQ_INACTIVE,
	VM_PQ_LAUNDRY,
	VM_PQ_FILE,   /* clean file pages (and ones being read) */
	VM_PQ_DIRTY,  /* dirty file pages, in the order they were dirtied */
	VM_PQ_COUNT
};

/* flags */
#define VM_PG_BUSY 0x0001u      /* I/O in progress; do not touch the data */
#define VM_PG_CLEAN 0x0002u     /* the backing store holds these exact bytes */
#define VM_PG_REFERENCED 0x0004u /* software reference bit (queues) */
#define VM_PG_WANTED 0x0008u    /* a fault waits for this busy page: keep it */

/* md_attrs: what the pmap learned from PTEs it has since removed. */
#define PMAP_ATTR_MODIFIED 0x01u
#define PMAP_ATTR_REFERENCED 0x02u

#define VM_PAGE_NIL UINT32_MAX

struct vm_anon;
struct vm_object;
struct vm_kmem_cache;
struct pmap;
struct pmap_pv;

struct vm_page {
	uint32_t q_next, q_prev; /* queue links (frame numbers) */
	uint8_t use;             /* enum vm_page_use */
	uint8_t queue;           /* enum vm_page_queue */
	uint8_t md_attrs;        /* PMAP_ATTR_* */
	uint8_t pad0;
	uint32_t flags;          /* VM_PG_* */
	uint32_t aux;            /* per-use count, see above */
	union {
		struct vm_anon *anon;
		struct vm_object *object;
		struct vm_kmem_cache *cache;
		struct pmap *pmap;
	} owner;
	union {
		uint64_t pindex;  /* OBJECT */
		void *freelist;   /* KMEM, PV */
	} u;
	struct pmap_pv *pv;      /* first mapping (pmap's list) */
};

_Static_assert(sizeof(struct vm_page) <= 64, "struct vm_page must stay within 64 bytes");

/* A queue of pages linked through q_next/q_prev. */
struct vm_pageq {
	uint32_t head, tail;
	uint64_t count;
};

/*
 * Where the pool lies.  A simulated machine's RAM starts at physical 0
 * and has no holes; a PC's usable memory is a list of ranges (the boot
 * memory map) with the legacy hole, the kernel image and firmware tables
 * between them.  The core manages one span of NFRAMES frames from
 * physical PA_BASE, seen by the kernel at RAM (a direct map of the span);
 * the HOLES inside it (physical [start, end), page aligned) hold no
 * frame the core may hand out: they are BOOT frames, never free and
 * never mapped.  The page array goes in the first frames of the span,
 * which must not be a hole.
 */
struct vm_phys_range {
	paddr_t start, end;
};

struct vm_boot_mem {
	uint8_t *ram;
	paddr_t pa_base;
	uint64_t nframes;
	const struct vm_phys_range *holes;
	size_t nholes;
};

/* The physical memory the core manages. */
struct vm_physmem {
	uint8_t *ram;            /* the frames' bytes (the "direct map") */
	paddr_t pa_base;         /* physical address of frame 0 */
	struct vm_page *pages;   /* one per frame, placed in the first frames */
	uint64_t nframes;
	uint64_t nboot;          /* frames taken by the page array and zero page */
	uint64_t nhole;          /* frames in holes (BOOT too, but past nboot) */
	struct vm_page *zero_page; /* all zeros, mapped read-only for reads of
	                            * private memory nothing has written yet */
	uint64_t reserve;        /* frames only metadata allocations may take */
	uint64_t free_low;       /* below this the page daemon is wanted */
	uint64_t free_target;    /* the daemon frees up to this */
	bool daemon_wanted;      /* an allocation went below free_low */
	struct vm_page *held;    /* kept from reclaim for a waiter (vm_page_hold) */
	struct vm_pageq q[VM_PQ_COUNT];
	uint64_t by_use[VM_PAGE_USE_COUNT];
	uint64_t alloc_fail[VM_PAGE_USE_COUNT];
	/* Frames given new data without a read: zeros for a new anon's page
	 * (first touch) and for a file page a write covers wholly.  With the
	 * pager's and swap's page reads, every frame filled: what `mvm curve`
	 * counts as misses. */
	uint64_t zero_fills;
};

extern struct vm_physmem vm_phys;

/*
 * Takes over RAM (NFRAMES frames of VM_PAGE_SIZE bytes at RAM, page
 * aligned, physical address 0, no holes).  Returns VM_EINVAL if RAM is
 * too small to hold its own page array plus a handful of frames.
 */
enum vm_err vm_page_boot(uint8_t *ram, uint64_t nframes);
/* The same for any span: VM_EINVAL also if a hole is malformed or the
 * page array would fall in one. */
enum vm_err vm_page_boot_mem(const struct vm_boot_mem *mem);

static inline uint64_t vm_page_frame(const struct vm_page *pg)
{
	return (uint64_t)(pg - vm_phys.pages);
}
static inline paddr_t vm_page_pa(const struct vm_page *pg)
{
	return vm_phys.pa_base + vm_ptoa(vm_page_frame(pg));
}
/* The frame number of physical address PA (which must be in the span). */
static inline uint64_t vm_pa_frame(paddr_t pa)
{
	return vm_atop(pa - vm_phys.pa_base);
}
/* Whether PA lies in the span the core manages (holes included). */
static inline bool vm_pa_in_span(paddr_t pa)
{
	return pa >= vm_phys.pa_base && vm_pa_frame(pa) < vm_phys.nframes;
}
static inline struct vm_page *vm_page_at(uint64_t frame)
{
	return &vm_phys.pages[frame];
}
static inline struct vm_page *vm_page_from_pa(paddr_t pa)
{
	return &vm_phys.pages[vm_pa_frame(pa)];
}
static inline uint8_t *vm_page_data(const struct vm_page *pg)
{
	return vm_phys.ram + vm_ptoa(vm_page_frame(pg));
}
/* The frame that holds a pointer into RAM (slab objects, pv entries). */
static inline struct vm_page *vm_page_of_ptr(const void *p)
{
	return vm_page_at((uint64_t)((const uint8_t *)p - vm_phys.ram) >> VM_PAGE_SHIFT);
}

/*
 * Takes a free frame for USE.  Data pages (ANON, OBJECT) cannot take the
 * last vm_phys.reserve frames; metadata can, so that the structures needed
 * to reclaim memory can still be built when memory is short.  Returns NULL
 * when no frame is available (or failure injection says so).  Never waits:
 * waiting means running the page daemon, which is the caller's business.
 * The frame's bytes are not cleared.
 */
struct vm_page *vm_page_alloc(enum vm_page_use use);
void vm_page_free(struct vm_page *pg);

static inline uint64_t vm_page_free_count(void)
{
	return vm_phys.q[VM_PQ_FREE].count;
}

/*
 * Holding: an operation that has made a page resident and must wait for
 * memory before it is done with it (a copy-on-write fault's source) holds
 * the page across the wait, and reclaim leaves it.  Freeing it would look
 * like progress, yet the retry would read it straight back into the frame
 * gained, and fail again where it failed: progress for nobody.  The core
 * runs one operation at a time, so there is one held page at most; a
 * kernel would keep it in the waiting thread.
 */
void vm_page_hold(struct vm_page *pg);
/* Ends the hold, if any (the operation stopped waiting). */
void vm_page_unhold(void);
static inline bool vm_page_held(const struct vm_page *pg)
{
	return pg == vm_phys.held;
}

void vm_page_zero(struct vm_page *pg);
void vm_page_copy(struct vm_page *dst, const struct vm_page *src);

/* Lists of pages not on a paging queue (slabs, pv chunks). */
void vm_pagelist_insert_tail(struct vm_pageq *q, struct vm_page *pg);
void vm_pagelist_insert_head(struct vm_pageq *q, struct vm_page *pg);
void vm_pagelist_remove(struct vm_pageq *q, struct vm_page *pg);
static inline void vm_pagelist_init(struct vm_pageq *q)
{
	q->head = q->tail = VM_PAGE_NIL;
	q->count = 0;
}

/* Queue operations; a page is on at most one queue (pg->queue). */
void vm_pageq_insert_tail(enum vm_page_queue q, struct vm_page *pg);
void vm_pageq_remove(struct vm_page *pg);
struct vm_page *vm_pageq_first(enum vm_page_queue q);
struct vm_page *vm_pageq_next(const struct vm_page *pg);

/* Moves a page to the tail of queue Q (removing it from its queue). */
void vm_page_requeue(struct vm_page *pg, enum vm_page_queue q);

#endif
