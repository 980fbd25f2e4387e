/*
 * test_check_hash.c - the u64 -> u64 table of the checker and of every
 * hosted tool (src/check/check_hash.c, wrapped by src/trace/trace_hash.h).
 *
 * It is trusted by the judge of everything else, so it is tested against
 * a plain array on long random runs of insert, find and remove (removal
 * by backward shift is where open addressing goes wrong), through growth,
 * clearing and iteration, and on a host that runs out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "check/check_hash.h"
#include "test_rng.h"

static size_t live_bytes;
static long fail_after = -1; /* allocations left before the host says no */

static void *host_alloc(size_t size)
{
	void *p;

	if (fail_after == 0)
		return NULL;
	if (fail_after > 0)
		fail_after--;
	p = calloc(1, size);
	if (p != NULL)
		live_bytes += size;
	return p;
}

static void host_free(void *p, size_t size)
{
	live_bytes -= size;
	free(p);
}

static const struct vm_check_host host = {host_alloc, host_free};

/* Keys 1..K of the model; 0 in have[] means absent. */
#define K 3000
static uint64_t have[K + 1];
static bool present[K + 1];

/* Sparse keys, as the checker's (pointers) and the tools' (pids, pages). */
static uint64_t key_of(uint64_t i)
{
	return i * 0x10040ull + (i & 7);
}

static void agrees(const struct check_hash *h)
{
	size_t n = 0, pos = 0, seen = 0;
	struct check_hash_slot *slot;

	for (uint64_t i = 1; i <= K; i++) {
		uint64_t *v = check_hash_find(h, key_of(i));

		if (present[i]) {
			n++;
			if (v == NULL || *v != have[i]) {
				CHECK(v != NULL && *v == have[i]);
				return;
			}
		} else if (v != NULL) {
			CHECK(v == NULL);
			return;
		}
	}
	CHECK_EQ(h->used, n);
	while (check_hash_next(h, &pos, &slot))
		seen++;
	CHECK_EQ(seen, n);
}

TEST(random_inserts_and_removes_agree_with_an_array)
{
	struct check_hash h;

	check_hash_init(&h, &host);
	rng_state = 19;
	memset(present, 0, sizeof present);
	CHECK(check_hash_find(&h, key_of(1)) == NULL);
	CHECK(!check_hash_remove(&h, key_of(1)));
	for (int step = 0; step < 40000; step++) {
		uint64_t i = 1 + rng_below(K);
		uint64_t op = rng_below(3);

		if (op < 2) {
			uint64_t *v = check_hash_insert(&h, key_of(i));

			CHECK_EQ(*v, present[i] ? have[i] : 0);
			*v = have[i] = step + 1;
			present[i] = true;
		} else {
			CHECK_EQ(check_hash_remove(&h, key_of(i)), present[i]);
			present[i] = false;
		}
		if (step % 4000 == 0)
			agrees(&h);
	}
	agrees(&h);
	CHECK(!h.out_of_memory);
	CHECK(check_hash_find(&h, 0) == NULL);
	check_hash_free(&h);
	CHECK_EQ(live_bytes, 0);
}

TEST(iteration_visits_each_key_once)
{
	struct check_hash h;
	struct check_hash_slot *slot;
	size_t pos = 0;
	uint64_t sum = 0, count = 0;

	check_hash_init(&h, &host);
	for (uint64_t i = 1; i <= 1000; i++)
		*check_hash_insert(&h, key_of(i)) = i;
	while (check_hash_next(&h, &pos, &slot)) {
		CHECK_EQ(slot->key, key_of(slot->value));
		sum += slot->value;
		count++;
	}
	CHECK_EQ(count, 1000);
	CHECK_EQ(sum, 1000 * 1001 / 2);
	check_hash_free(&h);
}

/* Clearing empties the table, every slot of it (the first included),
 * and keeps its memory. */
TEST(a_cleared_table_is_empty_and_keeps_its_memory)
{
	struct check_hash h;
	struct check_hash_slot *slot;
	size_t pos = 0, bytes;
	uint64_t n;

	check_hash_init(&h, &host);
	check_hash_clear(&h); /* no table yet: nothing to do */
	CHECK_EQ(h.used, 0);
	for (n = 1; n <= 500 || h.slots[0].key == 0; n++)
		*check_hash_insert(&h, key_of(n)) = n;
	n--;
	bytes = live_bytes;
	check_hash_clear(&h);
	CHECK_EQ(h.used, 0);
	CHECK_EQ(live_bytes, bytes);
	CHECK(!check_hash_next(&h, &pos, &slot));
	for (uint64_t i = 1; i <= n; i++)
		if (check_hash_find(&h, key_of(i)) != NULL) {
			CHECK(check_hash_find(&h, key_of(i)) == NULL);
			break;
		}
	/* And it works as new: the same keys come back with value 0. */
	for (uint64_t i = 1; i <= n; i++)
		CHECK_EQ(*check_hash_insert(&h, key_of(i)), 0);
	CHECK_EQ(h.used, n);
	CHECK_EQ(live_bytes, bytes);
	check_hash_free(&h);
	CHECK_EQ(live_bytes, 0);
}

/* Load at most 1/2, and the table no bigger than that needs: 2^k slots
 * hold up to 2^(k-1) keys, and one key more doubles them (the checker's
 * tables are as big as the machine it walks, in host memory). */
TEST(a_table_of_n_slots_holds_n_over_2_keys)
{
	struct check_hash h;
	size_t slot_bytes = sizeof(struct check_hash_slot);

	check_hash_init(&h, &host);
	for (uint64_t i = 1; i <= 8; i++)
		check_hash_insert(&h, key_of(i));
	CHECK_EQ(h.mask + 1, 16);
	CHECK_EQ(live_bytes, 16 * slot_bytes);
	check_hash_insert(&h, key_of(9));
	CHECK_EQ(h.mask + 1, 32);
	for (uint64_t i = 10; i <= 512; i++)
		check_hash_insert(&h, key_of(i));
	CHECK_EQ(h.mask + 1, 1024);
	CHECK_EQ(live_bytes, 1024 * slot_bytes);
	check_hash_insert(&h, key_of(513));
	CHECK_EQ(h.mask + 1, 2048);
	check_hash_free(&h);
	CHECK_EQ(live_bytes, 0);
}

/* Out of host memory the table says so and hands out a dummy value. */
TEST(a_host_out_of_memory_is_remembered)
{
	struct check_hash h;
	uint64_t *v;

	check_hash_init(&h, &host);
	fail_after = 1; /* the first table, then nothing */
	for (uint64_t i = 1; i <= 8; i++)
		*check_hash_insert(&h, key_of(i)) = i;
	CHECK(!h.out_of_memory);
	v = check_hash_insert(&h, key_of(9)); /* needs to grow */
	CHECK(h.out_of_memory);
	CHECK(v == &h.dummy && *v == 0);
	CHECK(check_hash_find(&h, key_of(9)) == NULL);
	CHECK_EQ(*check_hash_find(&h, key_of(8)), 8);
	fail_after = -1;
	check_hash_free(&h);
	CHECK_EQ(live_bytes, 0);
}

int main(void)
{
	RUN(random_inserts_and_removes_agree_with_an_array);
	RUN(iteration_visits_each_key_once);
	RUN(a_cleared_table_is_empty_and_keeps_its_memory);
	RUN(a_table_of_n_slots_holds_n_over_2_keys);
	RUN(a_host_out_of_memory_is_remembered);
	return check_done();
}
