/*
 * trace_hash.h - a map from 64-bit keys to 64-bit values, for hosted code.
 *
 * The hosted tools need many such maps: process ids to processes, pages
 * and files in the model and the simulator.  They use the core's own
 * (src/check/check_hash.c: open addressing, backward-shift deletion, key 0
 * reserved as the empty marker) over the host's heap; host memory
 * exhaustion aborts here (this is simulator code, not the core).
 */
#ifndef MVM_TRACE_HASH_H
#define MVM_TRACE_HASH_H

#include "check/check_hash.h"

struct trace_hash {
	struct check_hash h;
};

/* The host heap, aborting when it is exhausted. */
extern const struct vm_check_host trace_hash_host;

static inline void trace_hash_init(struct trace_hash *h)
{
	check_hash_init(&h->h, &trace_hash_host);
}

static inline void trace_hash_free(struct trace_hash *h)
{
	check_hash_free(&h->h);
}

static inline void trace_hash_clear(struct trace_hash *h)
{
	check_hash_clear(&h->h);
}

/* The value slot for KEY, or NULL. */
static inline uint64_t *trace_hash_find(const struct trace_hash *h, uint64_t key)
{
	return check_hash_find(&h->h, key);
}

/* The value slot for KEY, inserted with value 0 if absent. */
static inline uint64_t *trace_hash_insert(struct trace_hash *h, uint64_t key)
{
	return check_hash_insert(&h->h, key);
}

/* Removes KEY; returns whether it was there. */
static inline bool trace_hash_remove(struct trace_hash *h, uint64_t key)
{
	return check_hash_remove(&h->h, key);
}

static inline size_t trace_hash_count(const struct trace_hash *h)
{
	return h->h.used;
}

/* Iteration: for (i = 0; trace_hash_next(h, &i, &slot);) */
static inline bool trace_hash_next(const struct trace_hash *h, size_t *pos,
				   struct check_hash_slot **slot)
{
	return check_hash_next(&h->h, pos, slot);
}

#endif
