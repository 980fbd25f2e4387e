/*
 * trace_hash.h - a map from 64-bit keys to 64-bit values.
 *
 * The hosted tools need many such maps: process ids to processes, pages
 * and nodes to counts in the consistency checker, pages in the model.  One
 * implementation serves them all: open addressing with linear probing,
 * backward-shift deletion (no tombstones, so long runs of insert/remove
 * never degrade it), power-of-two capacity, load kept under 1/2.  Key 0 is
 * reserved as the empty marker: callers with a real key 0 offset it.
 * Aborts on host memory exhaustion (this is simulator code, not the core).
 */
#ifndef MVM_SIM_TRACE_HASH_H
#define MVM_SIM_TRACE_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct trace_hash_slot {
	uint64_t key;   /* 0: empty */
	uint64_t value;
};

struct trace_hash {
	struct trace_hash_slot *slots;
	size_t mask;
	size_t used;
};

void trace_hash_init(struct trace_hash *h);
void trace_hash_free(struct trace_hash *h);
void trace_hash_clear(struct trace_hash *h);
/* The value slot for KEY, or NULL. */
uint64_t *trace_hash_find(const struct trace_hash *h, uint64_t key);
/* The value slot for KEY, inserted with value 0 if absent. */
uint64_t *trace_hash_insert(struct trace_hash *h, uint64_t key);
/* Removes KEY; returns whether it was there. */
bool trace_hash_remove(struct trace_hash *h, uint64_t key);
static inline size_t trace_hash_count(const struct trace_hash *h)
{
	return h->used;
}
/* Iteration: for (i = 0; trace_hash_next(h, &i, &slot);) */
bool trace_hash_next(const struct trace_hash *h, size_t *pos, struct trace_hash_slot **slot);

#endif
