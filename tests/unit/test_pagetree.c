/*
 * test_pagetree.c - the page cache index against a sorted-array model:
 * random inserts, removes, lookups and ordered walks over keys from 0 to
 * 2^51, the structure verified after every step, node allocation failures
 * leaving the tree unchanged, and every node given back when it empties.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "test_rng.h"
#include "mvm/port.h"
#include "sim/port_sim.h"
#include "vm/pagetree.h"

#define RAM_FRAMES 4096
#define MODEL_MAX 3000

static uint64_t model[MODEL_MAX];
static size_t model_n;

static struct vm_page *fake_page(uint64_t key)
{
	return (struct vm_page *)(uintptr_t)(((key % 100000) + 1) * 64);
}

static size_t model_find(uint64_t key)
{
	size_t lo = 0, hi = model_n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (model[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static uint64_t random_key(void)
{
	switch (rng() % 4) {
	case 0:
		return rng() % 64;
	case 1:
		return rng() % 100000;
	case 2:
		return rng() % ((uint64_t)1 << 51);
	default:
		return model_n ? model[rng() % model_n] + rng() % 3 : 0;
	}
}

static void verify(const struct vm_pagetree *t)
{
	char why[128] = "";
	uint64_t nodes;

	CHECK(vm_pagetree_verify(t, &nodes, why, sizeof why));
	if (why[0])
		fprintf(stderr, "verify: %s\n", why);
	CHECK_EQ(nodes, vm_pagetree_node_cache.inuse);
	CHECK_EQ(t->count, model_n);
}

static void step(struct vm_pagetree *t)
{
	uint64_t key = random_key(), got;
	size_t i = model_find(key);
	bool present = i < model_n && model[i] == key;
	struct vm_page *pg;

	if (!present && model_n < MODEL_MAX && rng() % 3 != 0) {
		CHECK(vm_pagetree_insert(t, key, fake_page(key)) == VM_OK);
		for (size_t j = model_n; j > i; j--)
			model[j] = model[j - 1];
		model[i] = key;
		model_n++;
	} else if (present) {
		vm_pagetree_remove(t, key);
		for (size_t j = i; j + 1 < model_n; j++)
			model[j] = model[j + 1];
		model_n--;
	}
	i = model_find(key);
	present = i < model_n && model[i] == key;
	CHECK(vm_pagetree_lookup(t, key) == (present ? fake_page(key) : NULL));
	pg = vm_pagetree_next(t, key, &got);
	if (i < model_n) {
		CHECK(pg == fake_page(model[i]));
		CHECK_EQ(got, model[i]);
	} else {
		CHECK(pg == NULL);
	}
}

TEST(random_against_model)
{
	struct vm_pagetree t = {0};

	for (int s = 0; s < 20000; s++) {
		step(&t);
		if (s % 97 == 0)
			verify(&t);
	}
	for (size_t i = 0; i < model_n; i++)
		CHECK(vm_pagetree_lookup(&t, model[i]) == fake_page(model[i]));
	CHECK(vm_pagetree_lookup(&t, ((uint64_t)1 << 51) + 5) == NULL);
	while (model_n > 0) {
		vm_pagetree_remove(&t, model[model_n - 1]);
		model_n--;
	}
	verify(&t);
	CHECK(t.root == NULL);
	CHECK_EQ(vm_pagetree_node_cache.inuse, 0);
	CHECK_EQ(vm_pagetree_node_cache.nslabs, 0);
}

TEST(insert_cost_is_exact)
{
	struct vm_pagetree t = {0};
	uint64_t keys[] = {0, 5, 64, 4096, 1, 262144, 7, (uint64_t)1 << 40, 63, 4095};

	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		uint64_t before = vm_pagetree_node_cache.inuse;
		uint64_t cost = vm_pagetree_insert_cost(&t, keys[i]);

		CHECK(vm_pagetree_insert(&t, keys[i], fake_page(keys[i])) == VM_OK);
		CHECK_EQ(vm_pagetree_node_cache.inuse - before, cost);
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		vm_pagetree_remove(&t, keys[i]);
	CHECK(t.root == NULL);
	CHECK_EQ(vm_pagetree_node_cache.inuse, 0);
}

TEST(root_grows_and_shrinks)
{
	struct vm_pagetree t = {0};
	uint64_t nodes;
	char why[64] = "";

	CHECK(vm_pagetree_insert(&t, 7, fake_page(7)) == VM_OK);
	CHECK_EQ(t.height, 1);
	CHECK(vm_pagetree_insert(&t, (uint64_t)1 << 50, fake_page(1)) == VM_OK);
	CHECK_EQ(t.height, 9);
	vm_pagetree_remove(&t, (uint64_t)1 << 50);
	CHECK_EQ(t.height, 1);
	CHECK_EQ(vm_pagetree_node_cache.inuse, 1);
	CHECK(vm_pagetree_verify(&t, &nodes, why, sizeof why));
	CHECK(vm_pagetree_lookup(&t, 7) == fake_page(7));
	vm_pagetree_remove(&t, 7);
	CHECK(t.root == NULL);
	CHECK_EQ(vm_pagetree_node_cache.inuse, 0);
}

TEST(insert_failure_changes_nothing)
{
	struct vm_pagetree t = {0};
	uint64_t nodes;
	char why[64];

	CHECK(vm_pagetree_insert(&t, 3, fake_page(3)) == VM_OK);
	for (uint64_t n = 1; n <= 4; n++) {
		sim_port_fail_nth(PORT_SITE_KMEM, n);
		if (vm_pagetree_insert(&t, (uint64_t)1 << 30, fake_page(9)) == VM_OK) {
			vm_pagetree_remove(&t, (uint64_t)1 << 30);
			continue;
		}
		CHECK(vm_pagetree_lookup(&t, (uint64_t)1 << 30) == NULL);
		CHECK(vm_pagetree_lookup(&t, 3) == fake_page(3));
		CHECK(vm_pagetree_verify(&t, &nodes, why, sizeof why));
		CHECK_EQ(t.height, 1);
	}
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	vm_pagetree_remove(&t, 3);
	CHECK_EQ(vm_pagetree_node_cache.inuse, 0);
}

/* Each kind of damage is caught and named, the name whole when it fits
 * and cut to the buffer when it does not. */
TEST(verify_names_each_kind_of_damage)
{
	struct vm_pagetree t = {0};
	struct pagetree_node top = {0};
	uint64_t nodes;
	char why[64], small[8];

	CHECK(vm_pagetree_verify(&t, &nodes, why, sizeof why));
	t.count = 1;
	CHECK(!vm_pagetree_verify(&t, &nodes, why, sizeof why));
	CHECK_STR(why, "empty tree counts frames");
	t.count = 0;

	CHECK(vm_pagetree_insert(&t, 3, fake_page(3)) == VM_OK);
	CHECK(vm_pagetree_insert(&t, 70, fake_page(70)) == VM_OK);
	CHECK_EQ(t.height, 2);
	CHECK(vm_pagetree_verify(&t, &nodes, why, sizeof why));
	t.root->count++;
	CHECK(!vm_pagetree_verify(&t, &nodes, why, sizeof why));
	CHECK_STR(why, "a node's count is wrong, or a node is empty");
	t.root->count--;
	t.count++;
	CHECK(!vm_pagetree_verify(&t, &nodes, why, sizeof why));
	CHECK_STR(why, "the tree's frame count is wrong");
	memset(small, 'z', sizeof small);
	CHECK(!vm_pagetree_verify(&t, &nodes, small, sizeof small));
	CHECK_STR(small, "the tre");
	memset(small, 'z', sizeof small);
	CHECK(!vm_pagetree_verify(&t, &nodes, small, 0));
	CHECK_EQ(small[0], 'z');
	t.count--;
	CHECK(vm_pagetree_verify(&t, &nodes, why, sizeof why));

	/* A root with only its first child: the tree is taller than it needs. */
	vm_pagetree_remove(&t, 70);
	CHECK_EQ(t.height, 1);
	top.slot[0] = t.root;
	top.count = 1;
	t.root = &top;
	t.height = 2;
	CHECK(!vm_pagetree_verify(&t, &nodes, why, sizeof why));
	CHECK_STR(why, "the root could be lower");
	t.root = top.slot[0];
	t.height = 1;
	CHECK(vm_pagetree_verify(&t, &nodes, why, sizeof why));
	vm_pagetree_remove(&t, 3);
	CHECK_EQ(vm_pagetree_node_cache.inuse, 0);
}

int main(void)
{
	uint8_t *ram = aligned_alloc(4096, (size_t)RAM_FRAMES * 4096);

	rng_state = 12345;
	if (ram == NULL || vm_page_boot(ram, RAM_FRAMES) != VM_OK)
		return 1;
	vm_pagetree_init();
	RUN(random_against_model);
	RUN(insert_cost_is_exact);
	RUN(root_grows_and_shrinks);
	RUN(insert_failure_changes_nothing);
	RUN(verify_names_each_kind_of_damage);
	free(ram);
	return check_done();
}
