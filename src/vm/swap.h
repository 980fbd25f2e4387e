/*
 * swap.h - the swap device as the core sees it: slots and page I/O.
 *
 * An anon's data lives in its frame, in its swap slot, or in both (a
 * clean copy).  The anon owns its slot: vm_anon_unref() frees it with the
 * anon, so a slot can never outlive the data an address space can reach.
 *
 * Slot policy on pagein (why the slot is kept): a page read back from
 * swap keeps its slot and is marked clean, and it is mapped read-only even
 * where the entry allows writes.  If it is evicted again before anyone
 * writes it, it is freed without any I/O (the slot already holds its
 * bytes), which is the common case for pages that are only read (Linux's
 * swap cache does the same).  The first write faults, and the fault frees
 * the slot at once, because from that store on the slot's bytes are dead:
 * holding them would be exactly the kind of swap that nothing can reach.
 * When swap is more than half full, pagein frees the slot right away
 * instead, so that a nearly full device is not spent on clean copies.
 */
#ifndef MVM_VM_SWAP_H
#define MVM_VM_SWAP_H

#include "mvm/port.h"
#include "mvm/vm_page.h"

struct vm_anon;

/* Pages one pageout request writes at most (a contiguous run of slots). */
#define VM_SWAP_CLUSTER PORT_IO_MAX_PAGES
/* Neighbours a pagein reads with the page it needs, when they follow it
 * on the device and in the address space. */
#define VM_SWAP_READAROUND 8

struct vm_swap_stats {
	uint64_t pageouts;       /* pages written */
	uint64_t pageout_ios;    /* write requests */
	uint64_t pageins;        /* pages read */
	uint64_t pagein_ios;     /* read requests */
	uint64_t readaround;     /* pages read ahead of need */
	uint64_t write_errors;   /* pages whose write failed */
	uint64_t read_errors;    /* pages whose read failed */
	uint64_t clean_drops;    /* pages freed with no I/O: the slot held them */
	uint64_t slot_frees;     /* slots freed by anons that died or were written */
	uint64_t peak_inuse;     /* most slots in use at once */
};

extern struct vm_swap_stats vm_swap_stats;

/* At boot: size the slot allocator from the host's swap device. */
void vm_swap_init(void);
bool vm_swap_enabled(void);
uint64_t vm_swap_slots(void);
uint64_t vm_swap_inuse(void);
uint64_t vm_swap_retired(void);
uint64_t vm_swap_meta_bytes(void);
/* Whether SLOT is allocated (for the checker). */
bool vm_swap_slot_inuse(uint32_t slot);
/* Swap is more than half full: pagein should not keep slots. */
bool vm_swap_tight(void);

/* The anon's slot is no longer wanted (death, or its page was written). */
void vm_swap_free_slot(uint32_t slot);
/* Drops AN's slot because its resident page is about to change. */
void vm_swap_drop_copy(struct vm_anon *an);

/*
 * Pageout: writes the N dirty anon pages in PAGES (N <= VM_SWAP_CLUSTER)
 * to one run of slots and frees each page when its write succeeds.  The
 * pages are unmapped first.  Returns how many were submitted (fewer when
 * swap has no run that long, 0 when swap is full or no request is free).
 */
uint32_t vm_swap_pageout(struct vm_page **pages, uint32_t n);

/*
 * Pagein: reads AN's page from its slot (with neighbours from the same
 * amap when they are next on the device) and waits for it.  KEYS/AMAP give
 * the neighbours: see swap.c.  VM_OK (AN->page is resident and clean),
 * VM_ENOMEM (no frame), VM_EIO (the device failed: the data is lost).
 */
struct vm_amap;
enum vm_err vm_swap_pagein(struct vm_anon *an, const struct vm_amap *am, uint64_t key);

/* Waits until PG's I/O is done (the caller restarts what it was doing). */
void vm_swap_wait_page(struct vm_page *pg);
/* Runs every completed I/O; waits for all if WAIT_ALL. */
void vm_swap_drain(bool wait_all);
/* Write requests in flight. */
uint64_t vm_swap_writes_in_flight(void);

#endif
