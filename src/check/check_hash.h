/*
 * check_hash.h - a map from 64-bit keys to 64-bit values, freestanding.
 *
 * The checker counts what it finds (parents of each amap node, leaves of
 * each anon, entries of each object, owners of each swap slot) in tables
 * that must not come from the memory being checked; the hosted tools
 * (src/trace/trace_hash.h wraps this) need the same map for processes,
 * pages and files.  One implementation: open addressing with linear
 * probing, backward-shift deletion (no tombstones, so long runs of
 * insert/remove never degrade it), power-of-two capacity, load under 1/2.
 * Key 0 marks an empty slot: callers with a real key 0 offset it.
 *
 * Memory comes from the host's vm_check_host (zeroed).  When it runs out
 * the table keeps working on a dummy value and remembers it failed, so
 * the checker reports that instead of crashing; a hosted wrapper may
 * abort instead.
 */
#ifndef MVM_CHECK_HASH_H
#define MVM_CHECK_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvm/check.h"

struct check_hash_slot {
	uint64_t key;   /* 0: empty */
	uint64_t value;
};

struct check_hash {
	const struct vm_check_host *host;
	struct check_hash_slot *slots;
	size_t mask, used;
	bool out_of_memory;
	uint64_t dummy;      /* the value handed out when memory ran out */
};

void check_hash_init(struct check_hash *h, const struct vm_check_host *host);
void check_hash_free(struct check_hash *h);
/* Empties the table, keeping its memory. */
void check_hash_clear(struct check_hash *h);
/* The value for KEY, or NULL. */
uint64_t *check_hash_find(const struct check_hash *h, uint64_t key);
/* The value for KEY, inserted as 0 if absent. */
uint64_t *check_hash_insert(struct check_hash *h, uint64_t key);
/* Removes KEY; returns whether it was there. */
bool check_hash_remove(struct check_hash *h, uint64_t key);
/* Iteration: for (i = 0; check_hash_next(h, &i, &slot);) */
bool check_hash_next(const struct check_hash *h, size_t *pos, struct check_hash_slot **slot);

#endif
