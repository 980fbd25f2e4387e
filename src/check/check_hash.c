/*
 * check_hash.c - the checker's counting tables (see check_hash.h).
 */
#include "check_hash.h"

#define CHECK_HASH_INITIAL 64

/* splitmix64's finalizer: pointers and small integers spread well. */
static size_t hash_of(uint64_t key)
{
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

	if (h->slots == NULL)
		return NULL;
	s = probe(h, key);
	return s->key == key ? &s->value : NULL;
}

/* Doubles the table (or makes the first); false when memory ran out. */
static bool grow(struct check_hash *h)
{
	size_t cap = h->slots == NULL ? CHECK_HASH_INITIAL : 2 * (h->mask + 1);
	struct check_hash old = *h;
	struct check_hash_slot *s;

	h->slots = h->host->alloc(cap * sizeof *h->slots);
	if (h->slots == NULL) {
		*h = old;
		return false;
	}
	h->mask = cap - 1;
	for (size_t i = 0; old.slots != NULL && i <= old.mask; i++) {
		if (old.slots[i].key == 0)
			continue;
		s = probe(h, old.slots[i].key);
		*s = old.slots[i];
	}
	if (old.slots != NULL)
		h->host->free(old.slots, (old.mask + 1) * sizeof *old.slots);
	return true;
}

uint64_t *check_hash_insert(struct check_hash *h, uint64_t key)
{
	struct check_hash_slot *s;

	if ((h->slots == NULL || 2 * (h->used + 1) > h->mask + 1) && !grow(h)) {
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
