/*
 * page.c - the frame allocator and the page queues.
 *
 * Boot places the struct vm_page array in the first frames of RAM (those
 * frames are BOOT forever) and puts every other frame on the free queue,
 * except the frames of holes in the physical span (a PC's memory map has
 * them), which are BOOT too: the array covers the whole span so that
 * frame numbers stay a subtraction away from physical addresses.
 * Frames leave the free queue through vm_page_alloc(), tagged with the use
 * they are put to, and come back through vm_page_free().  Nothing else
 * changes a frame's use, so the per-use counters are exact by construction
 * and the consistency checker can compare them with what it finds.
 *
 * The reserve: the last few free frames are kept for metadata (slabs,
 * page tables, pv chunks).  Reclaiming memory needs metadata of its own
 * (a pv entry to map a page for I/O, a map entry when unmapping splits
 * one), and a system that let user data eat every frame could no longer
 * free any: that is how the 1998 alpha pmap ended in a panic.  Data pages
 * therefore fail first, while there is still room to recover.
 *
 * Queues are doubly linked through 32-bit frame numbers; the paging
 * queues are FIFO with requeue to the tail, which is what the page
 * daemon's clock needs.  The free queue is only ever pushed and popped, so
 * it is a stack linked through q_next alone: LIFO keeps recently freed
 * frames cache-warm, and popping touches no neighbour's struct vm_page
 * (on the zero-fill fault path that neighbour was a cache miss).
 */
#include "mvm/vm_page.h"
#include "mvm/vm_kmem.h"
#include "vm_asan.h"

struct vm_physmem vm_phys;

static const enum port_alloc_site vm_page_site[VM_PAGE_USE_COUNT] = {
	[VM_PAGE_FREE] = PORT_SITE_PAGE,   [VM_PAGE_BOOT] = PORT_SITE_PAGE,
	[VM_PAGE_KMEM] = PORT_SITE_KMEM,   [VM_PAGE_PTP] = PORT_SITE_PTP,
	[VM_PAGE_PV] = PORT_SITE_PV,       [VM_PAGE_ANON] = PORT_SITE_PAGE,
	[VM_PAGE_OBJECT] = PORT_SITE_PAGE,
};

static bool vm_page_use_is_data(enum vm_page_use use)
{
	return use == VM_PAGE_ANON || use == VM_PAGE_OBJECT;
}

void vm_pagelist_insert_tail(struct vm_pageq *q, struct vm_page *pg)
{
	uint32_t f = (uint32_t)vm_page_frame(pg);

	pg->q_next = VM_PAGE_NIL;
	pg->q_prev = q->tail;
	if (q->tail == VM_PAGE_NIL)
		q->head = f;
	else
		vm_page_at(q->tail)->q_next = f;
	q->tail = f;
	q->count++;
}

void vm_pagelist_insert_head(struct vm_pageq *q, struct vm_page *pg)
{
	uint32_t f = (uint32_t)vm_page_frame(pg);

	pg->q_prev = VM_PAGE_NIL;
	pg->q_next = q->head;
	if (q->head == VM_PAGE_NIL)
		q->tail = f;
	else
		vm_page_at(q->head)->q_prev = f;
	q->head = f;
	q->count++;
}

void vm_pagelist_remove(struct vm_pageq *q, struct vm_page *pg)
{
	if (pg->q_prev == VM_PAGE_NIL)
		q->head = pg->q_next;
	else
		vm_page_at(pg->q_prev)->q_next = pg->q_next;
	if (pg->q_next == VM_PAGE_NIL)
		q->tail = pg->q_prev;
	else
		vm_page_at(pg->q_next)->q_prev = pg->q_prev;
	q->count--;
	pg->q_next = pg->q_prev = VM_PAGE_NIL;
}

void vm_pageq_insert_tail(enum vm_page_queue qi, struct vm_page *pg)
{
	VM_ASSERT(pg->queue == VM_PQ_NONE);
	vm_pagelist_insert_tail(&vm_phys.q[qi], pg);
	pg->queue = (uint8_t)qi;
}

static void free_push(struct vm_page *pg)
{
	struct vm_pageq *q = &vm_phys.q[VM_PQ_FREE];

	VM_ASSERT(pg->queue == VM_PQ_NONE);
	pg->q_next = q->head;
	pg->q_prev = VM_PAGE_NIL;
	q->head = (uint32_t)vm_page_frame(pg);
	q->count++;
	pg->queue = VM_PQ_FREE;
}

static struct vm_page *free_pop(void)
{
	struct vm_pageq *q = &vm_phys.q[VM_PQ_FREE];
	struct vm_page *pg = vm_page_at(q->head);

	q->head = pg->q_next;
	q->count--;
	pg->queue = VM_PQ_NONE;
	return pg;
}

void vm_pageq_remove(struct vm_page *pg)
{
	if (pg->queue == VM_PQ_NONE)
		return;
	vm_pagelist_remove(&vm_phys.q[pg->queue], pg);
	pg->queue = VM_PQ_NONE;
}

struct vm_page *vm_pageq_first(enum vm_page_queue qi)
{
	uint32_t f = vm_phys.q[qi].head;

	return f == VM_PAGE_NIL ? NULL : vm_page_at(f);
}

struct vm_page *vm_pageq_next(const struct vm_page *pg)
{
	return pg->q_next == VM_PAGE_NIL ? NULL : vm_page_at(pg->q_next);
}

void vm_page_requeue(struct vm_page *pg, enum vm_page_queue q)
{
	vm_pageq_remove(pg);
	vm_pageq_insert_tail(q, pg);
}

static void vm_page_reset(struct vm_page *pg, enum vm_page_use use)
{
	pg->q_next = pg->q_prev = VM_PAGE_NIL;
	pg->use = (uint8_t)use;
	pg->queue = VM_PQ_NONE;
	pg->md_attrs = 0;
	pg->pad0 = 0;
	pg->flags = 0;
	pg->aux = 0;
	pg->owner.anon = NULL;
	pg->u.pindex = 0;
	pg->pv = NULL;
}

/* Whether frame F lies in one of MEM's holes. */
static bool vm_frame_in_hole(const struct vm_boot_mem *mem, uint64_t f)
{
	paddr_t pa = mem->pa_base + vm_ptoa(f);

	for (size_t i = 0; i < mem->nholes; i++)
		if (pa >= mem->holes[i].start && pa < mem->holes[i].end)
			return true;
	return false;
}

/* Holes must be page aligned, non-empty, and leave the page array whole. */
static bool vm_holes_valid(const struct vm_boot_mem *mem, uint64_t nboot)
{
	for (size_t i = 0; i < mem->nholes; i++) {
		const struct vm_phys_range *h = &mem->holes[i];

		if ((h->start & VM_PAGE_MASK) || (h->end & VM_PAGE_MASK) || h->end <= h->start)
			return false;
	}
	for (uint64_t f = 0; f < nboot; f++)
		if (vm_frame_in_hole(mem, f))
			return false;
	return true;
}

static void vm_phys_tune(uint64_t nframes)
{
	/* Enough for a fault's worth of page tables, pv chunk and slabs. */
	vm_phys.reserve = 8 + nframes / 512;
	/* The daemon keeps a cushion above the reserve: about 1.5% of RAM
	 * below which it wakes, and it frees up to about 4.5%. */
	vm_phys.free_low = vm_phys.reserve + (nframes / 64 > 4 ? nframes / 64 : 4);
	vm_phys.free_target = vm_phys.free_low + (nframes / 32 > 8 ? nframes / 32 : 8);
	vm_phys.daemon_wanted = false;
}

enum vm_err vm_page_boot(uint8_t *ram, uint64_t nframes)
{
	const struct vm_boot_mem mem = {.ram = ram, .nframes = nframes};

	return vm_page_boot_mem(&mem);
}

enum vm_err vm_page_boot_mem(const struct vm_boot_mem *mem)
{
	uint64_t nframes = mem->nframes;
	uint64_t array_bytes = nframes * sizeof(struct vm_page);
	/* The page array, then one frame for the zero page. */
	uint64_t nboot = ((array_bytes + VM_PAGE_SIZE - 1) >> VM_PAGE_SHIFT) + 1;

	if (nframes >= VM_PAGE_NIL || nframes < nboot + 16 || !vm_holes_valid(mem, nboot))
		return VM_EINVAL;
	vm_kmem_boot();
	vm_phys.ram = mem->ram;
	vm_phys.pa_base = mem->pa_base;
	vm_phys.pages = (struct vm_page *)(void *)mem->ram;
	vm_phys.nframes = nframes;
	vm_phys.nboot = nboot;
	vm_phys.nhole = 0;
	vm_phys.zero_page = vm_page_at(nboot - 1);
	memset(vm_page_data(vm_phys.zero_page), 0, VM_PAGE_SIZE);
	/* Sized by usable frames: a hole is no memory to keep a reserve of. */
	vm_phys_tune(nframes);
	vm_phys.held = NULL;
	vm_phys.zero_fills = 0;
	for (int q = 0; q < VM_PQ_COUNT; q++)
		vm_pagelist_init(&vm_phys.q[q]);
	for (int u = 0; u < VM_PAGE_USE_COUNT; u++)
		vm_phys.by_use[u] = vm_phys.alloc_fail[u] = 0;
	for (uint64_t f = 0; f < nframes; f++) {
		struct vm_page *pg = vm_page_at(f);
		bool hole = f >= nboot && vm_frame_in_hole(mem, f);

		vm_page_reset(pg, f < nboot || hole ? VM_PAGE_BOOT : VM_PAGE_FREE);
		vm_phys.by_use[pg->use]++;
		vm_phys.nhole += hole;
	}
	if (vm_phys.nhole != 0)
		vm_phys_tune(nframes - vm_phys.nhole);
	/* Ascending frame order at the head: allocation hands out low frames first. */
	for (uint64_t f = nframes; f-- > nboot;)
		if (vm_page_at(f)->use == VM_PAGE_FREE)
			free_push(vm_page_at(f));
	VM_POISON(mem->ram + vm_ptoa(nboot), vm_ptoa(nframes - nboot));
	return VM_OK;
}

struct vm_page *vm_page_alloc(enum vm_page_use use)
{
	struct vm_page *pg;
	uint64_t floor = vm_page_use_is_data(use) ? vm_phys.reserve : 0;

	VM_ASSERT(use != VM_PAGE_FREE && use != VM_PAGE_BOOT);
	if (vm_page_free_count() <= floor || port_alloc_should_fail(vm_page_site[use])) {
		vm_phys.alloc_fail[use]++;
		return NULL;
	}
	pg = free_pop();
	vm_phys.by_use[VM_PAGE_FREE]--;
	vm_page_reset(pg, use);
	vm_phys.by_use[use]++;
	VM_UNPOISON(vm_page_data(pg), VM_PAGE_SIZE);
	if (vm_page_free_count() < vm_phys.free_low)
		vm_phys.daemon_wanted = true;
	return pg;
}

void vm_page_free(struct vm_page *pg)
{
	VM_ASSERT(pg->use != VM_PAGE_FREE && pg->use != VM_PAGE_BOOT);
	VM_ASSERT(pg->pv == NULL && !vm_page_held(pg));
	vm_pageq_remove(pg);
	vm_phys.by_use[pg->use]--;
	vm_page_reset(pg, VM_PAGE_FREE);
	vm_phys.by_use[VM_PAGE_FREE]++;
	free_push(pg);
	VM_POISON(vm_page_data(pg), VM_PAGE_SIZE);
}

void vm_page_hold(struct vm_page *pg)
{
	VM_ASSERT(vm_phys.held == NULL || vm_phys.held == pg);
	vm_phys.held = pg;
}

void vm_page_unhold(void)
{
	vm_phys.held = NULL;
}

void vm_page_zero(struct vm_page *pg)
{
	memset(vm_page_data(pg), 0, VM_PAGE_SIZE);
}

void vm_page_copy(struct vm_page *dst, const struct vm_page *src)
{
	memcpy(vm_page_data(dst), vm_page_data(src), VM_PAGE_SIZE);
}
