/*
 * test_kmem.c - slab caches over page frames (src/vm/kmem.c).
 *
 * What the core builds on: objects come from KMEM frames described by
 * their struct vm_page (owner, in-use count, free list); a slab that
 * empties goes back to the frame pool at once unless a reservation still
 * counts on it; allocation prefers partly used slabs; a reservation of N
 * makes the next N allocations succeed whatever failure injection and
 * the frame pool say, and fails with no change when its frames cannot be
 * had.  The cache counters are checked against a walk of the frames.
 */
#include <stdlib.h>

#include "check.h"
#include "mvm/vm_kmem.h"
#include "sim/port_sim.h"

#define NFRAMES 128u
#define FRAME 4096u

static uint8_t *ram;

static void boot_frames(void)
{
	free(ram);
	ram = aligned_alloc(FRAME, NFRAMES * FRAME);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK_EQ(vm_page_boot(ram, NFRAMES), VM_OK);
}

/* Frames owned by C, recounted from the page array, and objects in them. */
static uint64_t slabs_of(const struct vm_kmem_cache *c, uint64_t *inuse)
{
	uint64_t n = 0;

	*inuse = 0;
	for (uint64_t f = 0; f < vm_phys.nframes; f++) {
		const struct vm_page *pg = vm_page_at(f);

		if (pg->use == VM_PAGE_KMEM && pg->owner.cache == c) {
			n++;
			*inuse += pg->aux;
		}
	}
	return n;
}

/* The cache's counters agree with its frames. */
static bool coherent(const struct vm_kmem_cache *c)
{
	uint64_t inuse, slabs = slabs_of(c, &inuse);

	return slabs == c->nslabs && inuse == c->inuse &&
	       c->nfree + c->inuse == c->nslabs * c->per_slab && c->nfree >= c->reserved &&
	       vm_kmem_cache_bytes(c) == slabs * FRAME;
}

TEST(init_rounds_sizes_and_registers_the_cache)
{
	struct vm_kmem_cache a, b;

	boot_frames();
	CHECK(vm_kmem_caches == NULL);
	vm_kmem_cache_init(&a, "a", 13);
	vm_kmem_cache_init(&b, "b", 4096);
	CHECK_EQ(a.size, 16);
	CHECK_EQ(a.per_slab, 256);
	CHECK_EQ(b.per_slab, 1);
	CHECK(vm_kmem_caches == &b && b.next == &a && a.next == NULL);
	CHECK_EQ(a.nslabs, 0);
	/* A new boot forgets them. */
	boot_frames();
	CHECK(vm_kmem_caches == NULL);
}

TEST(objects_fill_a_slab_before_the_next_one)
{
	struct vm_kmem_cache c;
	void *obj[64];
	uint64_t free0;

	boot_frames();
	free0 = vm_page_free_count();
	vm_kmem_cache_init(&c, "t", 512); /* 8 to a frame */
	for (int i = 0; i < 8; i++) {
		obj[i] = vm_kmem_alloc(&c);
		CHECK(obj[i] != NULL);
	}
	CHECK_EQ(c.nslabs, 1);
	CHECK_EQ(vm_page_free_count(), free0 - 1);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_KMEM], 1);
	CHECK_EQ(c.partial.count, 0); /* full slabs are on no list */
	{
		struct vm_page *pg = vm_page_of_ptr(obj[0]);

		CHECK_EQ(pg->use, VM_PAGE_KMEM);
		CHECK(pg->owner.cache == &c);
		CHECK_EQ(pg->aux, 8);
		for (int i = 0; i < 8; i++) {
			CHECK(vm_page_of_ptr(obj[i]) == pg);
			CHECK_EQ(((uintptr_t)obj[i] - (uintptr_t)vm_page_data(pg)) % 512, 0);
			for (int j = 0; j < i; j++)
				CHECK(obj[i] != obj[j]);
		}
	}
	obj[8] = vm_kmem_alloc(&c);
	CHECK_EQ(c.nslabs, 2);
	CHECK(vm_page_of_ptr(obj[8]) != vm_page_of_ptr(obj[0]));
	CHECK_EQ(c.inuse, 9);
	CHECK_EQ(c.allocs, 9);
	CHECK(coherent(&c));
	for (int i = 0; i < 9; i++)
		vm_kmem_free(&c, obj[i]);
	CHECK_EQ(c.frees, 9);
	CHECK(coherent(&c));
}

TEST(an_empty_slab_goes_back_at_once)
{
	struct vm_kmem_cache c;
	void *a, *b;
	uint64_t free0;

	boot_frames();
	free0 = vm_page_free_count();
	vm_kmem_cache_init(&c, "t", 2048);
	a = vm_kmem_alloc(&c);
	b = vm_kmem_alloc(&c);
	vm_kmem_free(&c, a);
	CHECK_EQ(c.nslabs, 1);
	CHECK_EQ(c.partial.count, 1);
	vm_kmem_free(&c, b);
	CHECK_EQ(c.nslabs, 0);
	CHECK_EQ(c.empty.count, 0);
	CHECK_EQ(c.partial.count, 0);
	CHECK_EQ(c.nfree, 0);
	CHECK_EQ(vm_page_free_count(), free0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_KMEM], 0);
	/* One object per frame: every free gives a frame back. */
	vm_kmem_cache_init(&c, "page", 4096);
	a = vm_kmem_alloc(&c);
	b = vm_kmem_alloc(&c);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_KMEM], 2);
	vm_kmem_free(&c, b);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_KMEM], 1);
	vm_kmem_free(&c, a);
	CHECK_EQ(vm_page_free_count(), free0);
	CHECK(coherent(&c));
}

TEST(allocation_prefers_a_partly_used_slab)
{
	struct vm_kmem_cache c;
	void *obj[16], *again;

	boot_frames();
	vm_kmem_cache_init(&c, "t", 1024); /* 4 to a frame */
	for (int i = 0; i < 12; i++)
		obj[i] = vm_kmem_alloc(&c);
	CHECK_EQ(c.nslabs, 3);
	/* Free one object in the middle slab: the next allocation reuses it. */
	vm_kmem_free(&c, obj[5]);
	again = vm_kmem_alloc(&c);
	CHECK(again == obj[5]);
	CHECK_EQ(c.nslabs, 3);
	for (int i = 0; i < 12; i++)
		vm_kmem_free(&c, obj[i]);
	CHECK_EQ(c.nslabs, 0);
}

TEST(zalloc_zeroes_and_free_reuses)
{
	struct vm_kmem_cache c;
	uint64_t *a, *b;

	boot_frames();
	vm_kmem_cache_init(&c, "t", 64);
	a = vm_kmem_alloc(&c);
	for (int i = 0; i < 8; i++)
		a[i] = ~0ull;
	vm_kmem_free(&c, vm_kmem_alloc(&c)); /* keep the slab alive */
	b = vm_kmem_zalloc(&c);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(b[i], 0);
	vm_kmem_free(&c, a);
	vm_kmem_free(&c, b);
	CHECK_EQ(c.nslabs, 0);
}

TEST(failure_injection_fails_an_unreserved_allocation)
{
	struct vm_kmem_cache c;
	void *a;

	boot_frames();
	vm_kmem_cache_init(&c, "t", 64);
	sim_port_fail_nth(PORT_SITE_KMEM, 1);
	CHECK(vm_kmem_alloc(&c) == NULL);
	CHECK_EQ(c.fails, 1);
	CHECK_EQ(c.nslabs, 0);
	a = vm_kmem_alloc(&c);
	CHECK(a != NULL);
	vm_kmem_free(&c, a);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK(coherent(&c));
}

TEST(a_reservation_cannot_fail)
{
	struct vm_kmem_cache c;
	void *obj[20];
	uint64_t free0;

	boot_frames();
	free0 = vm_page_free_count();
	vm_kmem_cache_init(&c, "t", 1024); /* 4 to a frame */
	CHECK_EQ(vm_kmem_reserve(&c, 10), VM_OK);
	CHECK_EQ(c.reserved, 10);
	CHECK_EQ(c.nslabs, 3);
	CHECK_EQ(c.empty.count, 3); /* reserved slabs wait on the empty list */
	CHECK(coherent(&c));
	/* Under the reservation, injection is not even consulted. */
	sim_port_fail_nth(SIM_SITE_ANY, 1);
	for (int i = 0; i < 10; i++) {
		obj[i] = vm_kmem_alloc(&c);
		CHECK(obj[i] != NULL);
	}
	CHECK_EQ(sim_port_injected(), 0);
	CHECK_EQ(c.reserved, 0);
	CHECK_EQ(c.nslabs, 3);
	/* Past the reservation it is, even with a free object at hand. */
	CHECK(c.nfree > 0);
	CHECK(vm_kmem_alloc(&c) == NULL);
	CHECK_EQ(sim_port_injected(), 1);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	for (int i = 0; i < 10; i++)
		vm_kmem_free(&c, obj[i]);
	CHECK(coherent(&c));
	CHECK_EQ(c.nslabs, 0);
	CHECK_EQ(vm_page_free_count(), free0);
}

TEST(unreserve_gives_unused_slabs_back)
{
	struct vm_kmem_cache c;
	void *a;
	uint64_t free0;

	boot_frames();
	free0 = vm_page_free_count();
	vm_kmem_cache_init(&c, "t", 1024);
	CHECK_EQ(vm_kmem_reserve(&c, 9), VM_OK);
	a = vm_kmem_alloc(&c);
	CHECK_EQ(c.nslabs, 3);
	vm_kmem_unreserve_all(&c);
	CHECK_EQ(c.reserved, 0);
	CHECK_EQ(c.nslabs, 1); /* the slab holding A stays */
	CHECK_EQ(c.empty.count, 0);
	vm_kmem_free(&c, a);
	CHECK_EQ(c.nslabs, 0);
	CHECK_EQ(vm_page_free_count(), free0);
	/* Reservations add up. */
	CHECK_EQ(vm_kmem_reserve(&c, 3), VM_OK);
	CHECK_EQ(vm_kmem_reserve(&c, 3), VM_OK);
	CHECK_EQ(c.reserved, 6);
	CHECK(c.nfree >= 6);
	vm_kmem_unreserve_all(&c);
	CHECK_EQ(c.nslabs, 0);
}

TEST(a_reservation_that_cannot_be_had_changes_nothing)
{
	struct vm_kmem_cache c;
	struct vm_page *hog[NFRAMES];
	uint64_t n = 0, free_before;

	boot_frames();
	vm_kmem_cache_init(&c, "t", 1024);
	/* Leave exactly two frames free. */
	while (vm_page_free_count() > 2)
		hog[n++] = vm_page_alloc(VM_PAGE_PTP);
	free_before = vm_page_free_count();
	CHECK_EQ(vm_kmem_reserve(&c, 12), VM_ENOMEM); /* needs three frames */
	CHECK_EQ(c.reserved, 0);
	CHECK_EQ(c.nslabs, 0);
	CHECK_EQ(vm_page_free_count(), free_before);
	CHECK_EQ(c.fails, 1);
	CHECK_EQ(vm_kmem_reserve(&c, 8), VM_OK);
	CHECK_EQ(vm_page_free_count(), 0);
	vm_kmem_unreserve_all(&c);
	CHECK_EQ(vm_page_free_count(), 2);
	/* Injection fails a reservation the same way. */
	sim_port_fail_nth(PORT_SITE_KMEM, 1);
	CHECK_EQ(vm_kmem_reserve(&c, 1), VM_ENOMEM);
	CHECK_EQ(c.nslabs, 0);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	while (n > 0)
		vm_page_free(hog[--n]);
	CHECK(coherent(&c));
}

TEST(a_reservation_keeps_an_emptied_slab)
{
	struct vm_kmem_cache c;
	void *a;

	boot_frames();
	vm_kmem_cache_init(&c, "t", 2048); /* 2 to a frame */
	a = vm_kmem_alloc(&c);
	CHECK_EQ(vm_kmem_reserve(&c, 1), VM_OK); /* the free half of A's slab */
	CHECK_EQ(c.nslabs, 1);
	vm_kmem_free(&c, a);
	/* Empty, but the reservation counts on it: kept. */
	CHECK_EQ(c.nslabs, 1);
	CHECK_EQ(c.empty.count, 1);
	CHECK(vm_kmem_alloc(&c) != NULL);
	vm_kmem_unreserve_all(&c);
	CHECK_EQ(c.nslabs, 1);
	CHECK(coherent(&c));
}

/* Random allocations, frees and reservations against a set of live objects. */
TEST(random_use_keeps_counts_coherent)
{
	struct vm_kmem_cache c[3];
	void *live[3][600];
	size_t n[3] = {0};
	uint64_t x = 99, bad = 0, free0;
	static const uint32_t sizes[3] = {16, 520, 136};

	boot_frames();
	free0 = vm_page_free_count();
	for (int k = 0; k < 3; k++)
		vm_kmem_cache_init(&c[k], "r", sizes[k]);
	for (int step = 0; step < 30000; step++) {
		int k;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		k = (int)((x >> 50) % 3);
		if ((x >> 30) % 97 == 0) {
			if (vm_kmem_reserve(&c[k], (x >> 10) % 20) == VM_OK)
				vm_kmem_unreserve_all(&c[k]);
		} else if (((x >> 33) % 5 < 3 && n[k] < 600) || n[k] == 0) {
			void *o = vm_kmem_alloc(&c[k]);

			if (o != NULL) {
				memset(o, 0xa5, c[k].size);
				live[k][n[k]++] = o;
			}
		} else {
			size_t i = (size_t)((x >> 5) % n[k]);

			vm_kmem_free(&c[k], live[k][i]);
			live[k][i] = live[k][--n[k]];
		}
		if (!coherent(&c[k]) || c[k].empty.count != 0 || c[k].inuse != n[k])
			bad++;
	}
	CHECK_EQ(bad, 0);
	for (int k = 0; k < 3; k++)
		while (n[k] > 0)
			vm_kmem_free(&c[k], live[k][--n[k]]);
	CHECK_EQ(vm_page_free_count(), free0);
}

int main(void)
{
	RUN(init_rounds_sizes_and_registers_the_cache);
	RUN(objects_fill_a_slab_before_the_next_one);
	RUN(an_empty_slab_goes_back_at_once);
	RUN(allocation_prefers_a_partly_used_slab);
	RUN(zalloc_zeroes_and_free_reuses);
	RUN(failure_injection_fails_an_unreserved_allocation);
	RUN(a_reservation_cannot_fail);
	RUN(unreserve_gives_unused_slabs_back);
	RUN(a_reservation_that_cannot_be_had_changes_nothing);
	RUN(a_reservation_keeps_an_emptied_slab);
	RUN(random_use_keeps_counts_coherent);
	free(ram);
	return check_done();
}
