/*
 * check_hash.c - the open-addressing u64 map (see check_hash.h).
 */
#include "check_hash.h"

#define CHECK_HASH_INITIAL 16

/* splitmix64: pointers and small integers spread well. */
static size_t hash_of(uint64_t key)
{
	key += 0x9e3779b97f4a7c15ull;
	key = (key ^ (key >> 30)) * 0xbf58476d1ce4e5b9ull;
	key = (key ^ (key >> 27)) * 0x94d049bb133111ebull;
	return (size_t)(key ^ (key >> 31));
}

void check_hash_init(struct check_hash *h, const struct vm_check_host *host)
{
	*h = (struct check_hash){.host = host};
}

void check_hash_free(struct check_hash *h)
{
	if (h->slots != NULL)
		h->host->free(h->slots, (h->mask + 1) * sizeof *h->slots);
	check_hash_init(h, h->host);
}

void check_hash_clear(struct check_hash *h)
{
	for (size_t i = 0; h->slots != NULL && i <= h->mask; i++)
		h->slots[i].key = 0;
	h->used = 0;
}

static struct check_hash_slot *probe(const struct check_hash *h, uint64_t key)
{
	size_t i = hash_of(key) & h->mask;

	while (h->slots[i].key != 0 && h->slots[i].key != key)
		i = (i + 1) & h->mask;
	return &h->slots[i];
}

uint64_t *check_hash_find(const struct check_hash *h, uint64_t key)
{
	struct check_hash_slot *s;

	if (h->slots == NULL || key == 0)
		return NULL;
	s = probe(h, key);
	return s->key == key ? &s->value : NULL;
}

/* Doubles the table (or makes the first); false when memory ran out. */
static bool grow(struct check_hash *h)
{
	struct check_hash_slot *old = h->slots;
	size_t oldcap = old != NULL ? h->mask + 1 : 0;
	size_t cap = oldcap ? oldcap * 2 : CHECK_HASH_INITIAL;
	struct check_hash_slot *slots = h->host->alloc(cap * sizeof *slots);

	if (slots == NULL)
		return false;
	h->slots = slots;
	h->mask = cap - 1;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key != 0)
			*probe(h, old[i].key) = old[i];
	if (old != NULL)
		h->host->free(old, oldcap * sizeof *old);
	return true;
}

uint64_t *check_hash_insert(struct check_hash *h, uint64_t key)
{
	struct check_hash_slot *s;

	if ((h->slots == NULL || (h->used + 1) * 2 > h->mask + 1) && !grow(h)) {
		h->out_of_memory = true;
		h->dummy = 0;
		return &h->dummy;
	}
	s = probe(h, key);
	if (s->key == 0) {
		s->key = key;
		s->value = 0;
		h->used++;
	}
	return &s->value;
}

/* Whether the entry at POS, whose home is HOME, may move into HOLE
 * (positions in cyclic order). */
static bool may_fill(size_t hole, size_t pos, size_t home)
{
	if (hole <= pos)
		return home <= hole || home > pos;
	return home <= hole && home > pos;
}

bool check_hash_remove(struct check_hash *h, uint64_t key)
{
	struct check_hash_slot *s;
	size_t hole, i;

	if (h->slots == NULL || key == 0)
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

bool check_hash_next(const struct check_hash *h, size_t *pos, struct check_hash_slot **slot)
{
	for (; h->slots != NULL && *pos <= h->mask; (*pos)++) {
		if (h->slots[*pos].key != 0) {
			*slot = &h->slots[(*pos)++];
			return true;
		}
	}
	return false;
}
