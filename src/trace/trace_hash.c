/*
 * trace_hash.c - open-addressing u64 map (see trace_hash.h).
 */
#include "trace_hash.h"

#include <stdio.h>
#include <stdlib.h>

#include "trace.h"

#define TRACE_HASH_INITIAL 16

static size_t hash_of(uint64_t key)
{
	return (size_t)trace_splitmix64(key);
}

static void *hash_calloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL) {
		fprintf(stderr, "mvm: out of host memory\n");
		abort();
	}
	return p;
}

void trace_hash_init(struct trace_hash *h)
{
	h->slots = NULL;
	h->mask = 0;
	h->used = 0;
}

void trace_hash_free(struct trace_hash *h)
{
	free(h->slots);
	trace_hash_init(h);
}

void trace_hash_clear(struct trace_hash *h)
{
	if (h->slots != NULL)
		for (size_t i = 0; i <= h->mask; i++)
			h->slots[i].key = 0;
	h->used = 0;
}

static struct trace_hash_slot *probe(const struct trace_hash *h, uint64_t key)
{
	size_t i = hash_of(key) & h->mask;

	while (h->slots[i].key != 0 && h->slots[i].key != key)
		i = (i + 1) & h->mask;
	return &h->slots[i];
}

uint64_t *trace_hash_find(const struct trace_hash *h, uint64_t key)
{
	struct trace_hash_slot *s;

	if (h->slots == NULL || key == 0)
		return NULL;
	s = probe(h, key);
	return s->key == key ? &s->value : NULL;
}

static void grow(struct trace_hash *h)
{
	struct trace_hash_slot *old = h->slots;
	size_t oldcap = old != NULL ? h->mask + 1 : 0;
	size_t cap = oldcap ? oldcap * 2 : TRACE_HASH_INITIAL;

	h->slots = hash_calloc(cap, sizeof *h->slots);
	h->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key != 0)
			*probe(h, old[i].key) = old[i];
	free(old);
}

uint64_t *trace_hash_insert(struct trace_hash *h, uint64_t key)
{
	struct trace_hash_slot *s;

	if (h->slots == NULL || (h->used + 1) * 2 > h->mask + 1)
		grow(h);
	s = probe(h, key);
	if (s->key == 0) {
		s->key = key;
		s->value = 0;
		h->used++;
	}
	return &s->value;
}

/* Whether the entry at HOME may move into the hole at I (cyclic order). */
static bool may_fill(size_t hole, size_t pos, size_t home)
{
	if (hole <= pos)
		return home <= hole || home > pos;
	return home <= hole && home > pos;
}

bool trace_hash_remove(struct trace_hash *h, uint64_t key)
{
	struct trace_hash_slot *s;
	size_t hole, i;

	if (h->slots == NULL)
		return false;
	s = probe(h, key);
	if (s->key != key)
		return false;
	hole = (size_t)(s - h->slots);
	for (i = (hole + 1) & h->mask; h->slots[i].key != 0; i = (i + 1) & h->mask) {
		if (may_fill(hole, i, hash_of(h->slots[i].key) & h->mask)) {
			h->slots[hole] = h->slots[i];
			hole = i;
		}
	}
	h->slots[hole].key = 0;
	h->used--;
	return true;
}

bool trace_hash_next(const struct trace_hash *h, size_t *pos, struct trace_hash_slot **slot)
{
	if (h->slots == NULL)
		return false;
	for (; *pos <= h->mask; (*pos)++) {
		if (h->slots[*pos].key != 0) {
			*slot = &h->slots[(*pos)++];
			return true;
		}
	}
	return false;
}
