/*
 * swap_alloc.h - the swap-slot allocator: which slots of a swap device are
 * free, handed out as contiguous runs so that pageout can write clusters.
 *
 * A slot is one page of the device.  Slots are free, in use (holding a
 * page that some anon or object owns) or retired (the device failed on
 * them; they stay allocated forever and are never handed out again).
 *
 * Ownership: the allocator knows nothing about who holds a slot.  The
 * caller (the swap pager) frees exactly the runs it was given, or parts
 * of them, and retires slots it still holds.  Misuse (freeing a free or
 * retired slot, retiring a free one) is an invariant failure: VM_ASSERT.
 *
 * Costs: about 1.16 bits of metadata per slot (bench_swap_alloc, 256 MiB);
 * allocation, free and the queries are O(log n) in the device size.  See
 * swap_alloc.c.
 */
#ifndef MVM_VM_SWAP_ALLOC_H
#define MVM_VM_SWAP_ALLOC_H

#include "mvm/port.h"

#define SWAP_SLOT_NONE UINT64_MAX
#define SWAP_RUN_MAX 256 /* longest run one call hands out */
#define SWAP_NSLOTS_MAX ((uint64_t)UINT32_MAX) /* largest device, in slots */

struct swap_alloc;

/* All NSLOTS slots free.  NULL if port_alloc failed.  NSLOTS may be any
 * value from 1 up to SWAP_NSLOTS_MAX (2^32-1). */
struct swap_alloc *swap_alloc_create(uint64_t nslots);
void swap_alloc_destroy(struct swap_alloc *sa);

/* Exactly N contiguous slots (1 <= N <= SWAP_RUN_MAX): the lowest-addressed
 * free run of N; its first slot, or SWAP_SLOT_NONE if no run of N is free. */
uint64_t swap_alloc_run(struct swap_alloc *sa, uint32_t n);

/* The longest free run of at most N slots, preferring N (N >= 1; N above
 * SWAP_RUN_MAX is treated as SWAP_RUN_MAX): returns its first slot and sets
 * *got to its length (0 and SWAP_SLOT_NONE if the device is full).  Among
 * runs of the chosen length the lowest-addressed one is taken. */
uint64_t swap_alloc_upto(struct swap_alloc *sa, uint32_t n, uint32_t *got);

/* Frees N slots starting at SLOT (N >= 1, any length, may cross runs that
 * were allocated separately); all must be in use, none retired (assert). */
void swap_free_run(struct swap_alloc *sa, uint64_t slot, uint32_t n);

/*
 * An allocated slot failed on the device: it stays allocated forever and
 * is counted as retired, not in use.  Retired slots are rare and are kept
 * in a small sorted table; the first SWAP_RETIRED_INLINE need no memory.
 * Returns false only if the table had to grow and port_alloc failed; the
 * slot is then left in use, unchanged, and the caller may keep it (and
 * retry later) or free it.
 */
#define SWAP_RETIRED_INLINE 8
bool swap_retire(struct swap_alloc *sa, uint64_t slot);

bool swap_slot_allocated(const struct swap_alloc *sa, uint64_t slot); /* in use or retired */
bool swap_slot_retired(const struct swap_alloc *sa, uint64_t slot);

uint64_t swap_alloc_nslots(const struct swap_alloc *sa);
uint64_t swap_alloc_nfree(const struct swap_alloc *sa);
uint64_t swap_alloc_ninuse(const struct swap_alloc *sa); /* excludes retired */
uint64_t swap_alloc_nretired(const struct swap_alloc *sa);

/* The longest free run, capped at SWAP_RUN_MAX (O(1): the root summary). */
uint32_t swap_alloc_longest_free(const struct swap_alloc *sa);

/* All metadata: the structure, bitmap, summaries and retired table. */
size_t swap_alloc_meta_bytes(const struct swap_alloc *sa);

/*
 * Full self-check for the consistency checker: padding bits are
 * allocated, every summary agrees with what lies below it, the free count
 * matches the bitmap, the retired table is sorted, unique, allocated and
 * counted.  O(nslots).  On failure writes why (NUL-terminated, truncated
 * to WHYLEN) and returns false.
 */
bool swap_alloc_verify(const struct swap_alloc *sa, char *why, size_t whylen);

#endif
