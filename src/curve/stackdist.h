/*
 * stackdist.h - misses of LRU, OPT and CLOCK over a reference string.
 *
 * LRU and Belady's OPT are stack algorithms (Mattson, Gecsei, Slutz and
 * Traiger, "Evaluation techniques for storage hierarchies", IBM Systems
 * Journal 9(2), 1970): the pages a cache of c frames holds are always
 * among those a cache of c+1 holds, so each reference has a stack
 * distance d (the smallest size at which it hits) and one pass over the
 * string gives the misses at every size: a reference misses in c frames
 * exactly when d > c.  CLOCK is not a stack algorithm; it is simulated
 * once per size.  OPT's one pass costs O(log n) per page that moves in
 * the stack, which on large traces can be most of the stack per miss;
 * there, OPT is simulated per size instead (opt_heap.c), as exactly.
 *
 * Misses count every reference to a page not resident, including a
 * page's first reference (cold), except the first reference of a
 * copy-on-write copy (refstring.h): its frame is filled from a resident
 * page and reads nothing.  Every policy here is demand paging: a missing
 * page is loaded, evicting one page when all frames are in use.
 */
#ifndef MVM_CURVE_STACKDIST_H
#define MVM_CURVE_STACKDIST_H

#include <stdint.h>

#include "refstring.h"

/* Misses at every size, from a histogram of stack distances. */
struct stack_curve {
	uint64_t *miss;    /* miss[c]: misses with c frames, c = 0..npages */
	uint64_t npages;   /* from npages frames on, only cold misses remain */
};

void stack_curve_free(struct stack_curve *c);
/* Misses with FRAMES frames (FRAMES >= 1). */
uint64_t stack_curve_misses(const struct stack_curve *c, uint64_t frames);
/* Turns HIST (hist[d] = counted references at distance d, d = 1..npages)
 * and COLD into C; takes HIST over. */
void stack_curve_from_hist(struct stack_curve *c, uint64_t *hist, uint64_t npages, uint64_t cold);

/* LRU: distances from a Fenwick tree over reference times, O(n log n). */
void curve_lru(const struct refstring *rs, struct stack_curve *out);

/* OPT: Mattson's OPT stack with priorities by next use; returns the
 * number of stack positions that changed page (the work done). */
uint64_t curve_opt(const struct refstring *rs, struct stack_curve *out);

/* OPT at one size (opt_heap.c): Belady's MIN with a priority queue of
 * next uses, O(n log n).  NEXT from curve_next_uses (freed by the caller). */
uint64_t *curve_next_uses(const struct refstring *rs);
uint64_t curve_opt_at(const struct refstring *rs, const uint64_t *next, uint64_t frames);

/* CLOCK with FRAMES frames (FRAMES >= 1): second chance, a loaded page
 * has its reference bit set (the access that faulted it in sets it). */
uint64_t curve_clock(const struct refstring *rs, uint64_t frames);

#endif
