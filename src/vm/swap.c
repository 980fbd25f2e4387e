/*
 * swap.c - swap slots and the page I/O that fills and empties them.
 *
 * Slots come from the radix-bitmap allocator (swap_alloc.c) in contiguous
 * runs, so a pageout cluster is one write of up to VM_SWAP_CLUSTER pages.
 * Requests come from a small pool allocated with the core (ioreq.c), never
 * from the slab caches: paging out is how memory is freed, so it must not
 * need memory itself.  When the pool is empty a pageout gives up and a
 * pagein waits for a request to finish.
 *
 * Pages under I/O are BUSY.  A pageout first unmaps its pages everywhere
 * (so nothing can write them while the bytes are on their way), gives each
 * anon its slot, and frees each frame when the write succeeds, unless a
 * fault waited for it meanwhile (WANTED), in which case it stays, clean.
 * A failed write retires the slot (the device said it is bad), takes it
 * back from the anon, and leaves the page dirty and active, so the next
 * pass tries another slot.
 *
 * A pagein reads the needed page and, when they follow it on the device
 * and in the same amap, up to VM_SWAP_READAROUND neighbours in the same
 * request: pages paged out together from adjacent addresses come back
 * together.  Read-around happens only while free memory is above the
 * daemon's low mark, so it never causes reclaim.  A failed read frees the
 * frames it was reading into; the needing fault reports VM_EIO, and the
 * simulator kills the process that needed the page, and no other.
 */
#include "swap.h"

#include "amap.h"
#include "anon.h"
#include "ioreq.h"
#include "mvm/pmap.h"
#include "pagedaemon.h"
#include "swap_alloc.h"

#define VM_SWAP_REQUESTS 32

struct vm_swap_stats vm_swap_stats;
static struct swap_alloc *vm_swap_sa;
static struct vm_ioreq vm_swap_reqs[VM_SWAP_REQUESTS];
static uint64_t vm_swap_writing;

void vm_swap_init(void)
{
	uint64_t blocks = port_dev_blocks(PORT_DEV_SWAP);

	if (vm_swap_sa != NULL)
		swap_alloc_destroy(vm_swap_sa);
	vm_swap_sa = NULL;
	if (blocks > SWAP_NSLOTS_MAX)
		blocks = SWAP_NSLOTS_MAX;
	if (blocks > 0)
		vm_swap_sa = swap_alloc_create(blocks);
	if (blocks > 0 && vm_swap_sa == NULL)
		port_log(0, "swap: no memory for the slot allocator; running without swap");
	vm_ioreq_init(vm_swap_reqs, VM_SWAP_REQUESTS);
	vm_swap_stats = (struct vm_swap_stats){0};
	vm_swap_writing = 0;
}

bool vm_swap_enabled(void)
{
	return vm_swap_sa != NULL;
}

uint64_t vm_swap_slots(void)
{
	return vm_swap_sa != NULL ? swap_alloc_nslots(vm_swap_sa) : 0;
}

uint64_t vm_swap_inuse(void)
{
	return vm_swap_sa != NULL ? swap_alloc_ninuse(vm_swap_sa) : 0;
}

uint64_t vm_swap_retired(void)
{
	return vm_swap_sa != NULL ? swap_alloc_nretired(vm_swap_sa) : 0;
}

uint64_t vm_swap_meta_bytes(void)
{
	return vm_swap_sa != NULL ? swap_alloc_meta_bytes(vm_swap_sa) : 0;
}

bool vm_swap_slot_inuse(uint32_t slot)
{
	return vm_swap_sa != NULL && slot < swap_alloc_nslots(vm_swap_sa) &&
	       swap_slot_allocated(vm_swap_sa, slot) && !swap_slot_retired(vm_swap_sa, slot);
}

bool vm_swap_tight(void)
{
	return vm_swap_sa != NULL && 2 * vm_swap_inuse() > vm_swap_slots();
}

void vm_swap_free_slot(uint32_t slot)
{
	VM_ASSERT(vm_swap_sa != NULL);
	swap_free_run(vm_swap_sa, slot, 1);
	vm_swap_stats.slot_frees++;
}

void vm_swap_drop_copy(struct vm_anon *an)
{
	if (an->swslot == VM_ANON_NOSLOT)
		return;
	vm_swap_free_slot(an->swslot);
	an->swslot = VM_ANON_NOSLOT;
	if (an->page != NULL)
		an->page->flags &= ~VM_PG_CLEAN;
}

static void retire_slot(uint32_t slot)
{
	/* A slot the device failed on is never handed out again; if even the
	 * retired list cannot grow, freeing it is the lesser evil (a later
	 * write there fails again and retries elsewhere). */
	if (!swap_retire(vm_swap_sa, slot))
		swap_free_run(vm_swap_sa, slot, 1);
}

static void pageout_done(struct port_io *io)
{
	struct vm_ioreq *r = io->arg;

	vm_swap_writing--;
	for (uint32_t i = 0; i < io->npages; i++) {
		struct vm_page *pg = r->pages[i];
		struct vm_anon *an = pg->owner.anon;

		pg->flags &= ~VM_PG_BUSY;
		if (io->err != VM_OK) {
			vm_swap_stats.write_errors++;
			retire_slot(an->swslot);
			an->swslot = VM_ANON_NOSLOT;
			vm_page_requeue(pg, VM_PQ_ACTIVE);
			continue;
		}
		pg->flags |= VM_PG_CLEAN;
		if (pg->flags & VM_PG_WANTED) {
			pg->flags &= ~VM_PG_WANTED;
			vm_page_requeue(pg, VM_PQ_ACTIVE);
			continue;
		}
		an->page = NULL;
		vm_page_free(pg);
	}
	vm_ioreq_put(r);
}

uint32_t vm_swap_pageout(struct vm_page **pages, uint32_t n)
{
	struct vm_ioreq *r;
	uint64_t slot;
	uint32_t got;

	if (vm_swap_sa == NULL || n == 0 ||
	    (r = vm_ioreq_try_get(vm_swap_reqs, VM_SWAP_REQUESTS)) == NULL)
		return 0;
	slot = swap_alloc_upto(vm_swap_sa, n, &got);
	if (got == 0) {
		vm_ioreq_put(r);
		return 0;
	}
	for (uint32_t i = 0; i < got; i++) {
		struct vm_page *pg = pages[i];
		struct vm_anon *an = pg->owner.anon;

		VM_ASSERT(pg->use == VM_PAGE_ANON && !(pg->flags & VM_PG_BUSY));
		VM_ASSERT(an->swslot == VM_ANON_NOSLOT);
		pmap_page_protect(pg, VM_PROT_NONE);
		an->swslot = (uint32_t)(slot + i);
		pg->flags |= VM_PG_BUSY;
		vm_page_requeue(pg, VM_PQ_LAUNDRY);
		r->pages[i] = pg;
	}
	if (vm_swap_inuse() > vm_swap_stats.peak_inuse)
		vm_swap_stats.peak_inuse = vm_swap_inuse();
	vm_swap_stats.pageouts += got;
	vm_swap_stats.pageout_ios++;
	vm_swap_writing++;
	vm_ioreq_submit(r, PORT_IO_WRITE, PORT_DEV_SWAP, slot, got, pageout_done);
	return got;
}

static void pagein_done(struct port_io *io)
{
	struct vm_ioreq *r = io->arg;

	for (uint32_t i = 0; i < io->npages; i++) {
		struct vm_page *pg = r->pages[i];
		struct vm_anon *an = pg->owner.anon;

		pg->flags &= ~(VM_PG_BUSY | VM_PG_WANTED);
		if (io->err != VM_OK) {
			vm_swap_stats.read_errors++;
			an->page = NULL;
			vm_page_free(pg);
			continue;
		}
		pg->flags |= VM_PG_CLEAN;
		vm_swap_stats.pageins++;
		if (vm_swap_tight())
			vm_swap_drop_copy(an);
		/* Read-around pages have not been asked for yet. */
		if (i > 0)
			vm_page_requeue(pg, VM_PQ_INACTIVE);
	}
	vm_ioreq_put(r);
}

/* Gives AN a fresh frame to read into; NULL if none. */
static struct vm_page *pagein_attach(struct vm_ioreq *r, uint32_t i, struct vm_anon *an)
{
	struct vm_page *pg = vm_page_alloc(VM_PAGE_ANON);

	if (pg == NULL)
		return NULL;
	pg->flags |= VM_PG_BUSY;
	vm_anon_set_page(an, pg);
	r->pages[i] = pg;
	return pg;
}

/* The neighbours that follow AN both in AM and on the device. */
static uint32_t pagein_gather(struct vm_ioreq *r, struct vm_anon *an,
			      const struct vm_amap *am, uint64_t key)
{
	uint32_t n = 1;

	if (am == NULL)
		return n;
	while (n < VM_SWAP_READAROUND && vm_pagedaemon_plenty()) {
		struct vm_anon *next = vm_amap_lookup(am, key + n, NULL);

		if (next == NULL || next->page != NULL || next->swslot != an->swslot + n ||
		    pagein_attach(r, n, next) == NULL)
			break;
		vm_swap_stats.readaround++;
		n++;
	}
	return n;
}

enum vm_err vm_swap_pagein(struct vm_anon *an, const struct vm_amap *am, uint64_t key)
{
	struct vm_ioreq *r;
	struct vm_page *pg;

	VM_ASSERT(an->page == NULL && an->swslot != VM_ANON_NOSLOT);
	r = vm_ioreq_get(vm_swap_reqs, VM_SWAP_REQUESTS);
	pg = pagein_attach(r, 0, an);
	if (pg == NULL) {
		vm_ioreq_put(r);
		return VM_ENOMEM;
	}
	vm_swap_stats.pagein_ios++;
	vm_ioreq_submit(r, PORT_IO_READ, PORT_DEV_SWAP, an->swslot, pagein_gather(r, an, am, key),
			pagein_done);
	vm_swap_wait_page(pg);
	return an->page != NULL ? VM_OK : VM_EIO;
}

void vm_swap_wait_page(struct vm_page *pg)
{
	while (pg->flags & VM_PG_BUSY) {
		pg->flags |= VM_PG_WANTED;
		if (!port_io_wait())
			VM_ASSERT(!"a busy page with no I/O in flight");
	}
}

void vm_swap_drain(bool wait_all)
{
	port_io_poll();
	while (wait_all && port_io_pending() > 0)
		port_io_wait();
}

uint64_t vm_swap_writes_in_flight(void)
{
	return vm_swap_writing;
}
