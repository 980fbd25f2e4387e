/*
 * test_page.c - the frame allocator and page queues (src/vm/page.c).
 *
 * Boots the frame layer alone on a small RAM and pins down what the rest
 * of the core relies on: the page array lives in the first frames, every
 * frame is counted under exactly one use, low frames go out first and a
 * freed frame is the next one handed out, data pages cannot take the
 * metadata reserve, failure injection fails exactly the site it names,
 * and the queues keep order, counts and membership.  A randomized run
 * then compares the per-use counters with a scan after every step.
 */
#include <stdlib.h>

#include "check.h"
#include "mvm/vm_page.h"
#include "sim/port_sim.h"

#define NFRAMES 256u
#define FRAME 4096u

static uint8_t *ram;

static void boot_frames(uint64_t nframes)
{
	free(ram);
	ram = aligned_alloc(FRAME, nframes * FRAME);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK_EQ(vm_page_boot(ram, nframes), VM_OK);
}

/* Recounts every frame's use and compares with vm_phys.by_use. */
static bool counters_match_scan(void)
{
	uint64_t seen[VM_PAGE_USE_COUNT] = {0};

	for (uint64_t f = 0; f < vm_phys.nframes; f++)
		seen[vm_page_at(f)->use]++;
	for (int u = 0; u < VM_PAGE_USE_COUNT; u++)
		if (seen[u] != vm_phys.by_use[u])
			return false;
	return seen[VM_PAGE_FREE] == vm_page_free_count();
}

TEST(boot_places_the_page_array_first)
{
	uint64_t array_frames = (NFRAMES * sizeof(struct vm_page) + FRAME - 1) / FRAME;

	boot_frames(NFRAMES);
	CHECK(sizeof(struct vm_page) <= 64);
	CHECK((void *)vm_phys.pages == (void *)ram);
	CHECK_EQ(vm_phys.nboot, array_frames + 1); /* + the zero page */
	CHECK(vm_phys.zero_page == vm_page_at(vm_phys.nboot - 1));
	CHECK_EQ(vm_phys.by_use[VM_PAGE_BOOT], vm_phys.nboot);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_FREE], NFRAMES - vm_phys.nboot);
	CHECK_EQ(vm_page_free_count(), NFRAMES - vm_phys.nboot);
	for (uint64_t f = 0; f < NFRAMES; f++) {
		const struct vm_page *pg = vm_page_at(f);

		CHECK_EQ(pg->use, f < vm_phys.nboot ? VM_PAGE_BOOT : VM_PAGE_FREE);
		CHECK_EQ(pg->queue, f < vm_phys.nboot ? VM_PQ_NONE : VM_PQ_FREE);
	}
	for (uint64_t i = 0; i < FRAME; i++)
		if (vm_page_data(vm_phys.zero_page)[i] != 0)
			CHECK(!"zero page not zero");
	CHECK(counters_match_scan());
}

TEST(boot_refuses_a_ram_too_small)
{
	uint8_t *small = aligned_alloc(FRAME, 8 * FRAME);

	CHECK_EQ(vm_page_boot(small, 8), VM_EINVAL);
	free(small);
}

/* A PC's span: a physical base, and holes whose frames are never handed
 * out (the kernel image, firmware tables); addresses stay exact. */
TEST(boot_takes_a_physical_base_and_holes)
{
	const paddr_t base = 0x200000;
	const struct vm_phys_range holes[] = {{base + 64 * FRAME, base + 80 * FRAME},
					      {base + 200 * FRAME, base + 201 * FRAME}};
	struct vm_boot_mem mem = {.pa_base = base, .nframes = NFRAMES, .holes = holes,
				  .nholes = 2};
	struct vm_page *pg;
	uint64_t got = 0;

	free(ram);
	ram = aligned_alloc(FRAME, NFRAMES * FRAME);
	mem.ram = ram;
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK_EQ(vm_page_boot_mem(&mem), VM_OK);
	CHECK_EQ(vm_phys.nhole, 17);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_BOOT], vm_phys.nboot + 17);
	CHECK_EQ(vm_page_free_count(), NFRAMES - vm_phys.nboot - 17);
	CHECK(counters_match_scan());
	CHECK_EQ(vm_page_pa(vm_page_at(3)), base + 3 * FRAME);
	CHECK(vm_page_from_pa(base + 70 * FRAME) == vm_page_at(70));
	CHECK(vm_page_data(vm_page_at(5)) == ram + 5 * FRAME);
	while ((pg = vm_page_alloc(VM_PAGE_KMEM)) != NULL) {
		paddr_t pa = vm_page_pa(pg);

		CHECK(!(pa >= holes[0].start && pa < holes[0].end) &&
		      !(pa >= holes[1].start && pa < holes[1].end));
		got++;
	}
	CHECK_EQ(got, NFRAMES - vm_phys.nboot - 17);
	/* The page array may not fall in a hole. */
	mem.holes = (const struct vm_phys_range[]){{base, base + FRAME}};
	mem.nholes = 1;
	CHECK_EQ(vm_page_boot_mem(&mem), VM_EINVAL);
}

TEST(alloc_hands_out_low_frames_first_and_reuses_the_last_freed)
{
	struct vm_page *a, *b, *c;

	boot_frames(NFRAMES);
	a = vm_page_alloc(VM_PAGE_ANON);
	b = vm_page_alloc(VM_PAGE_KMEM);
	CHECK_EQ(vm_page_frame(a), vm_phys.nboot);
	CHECK_EQ(vm_page_frame(b), vm_phys.nboot + 1);
	CHECK_EQ(a->use, VM_PAGE_ANON);
	CHECK_EQ(a->queue, VM_PQ_NONE);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], 1);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_KMEM], 1);
	CHECK_EQ(vm_page_free_count(), NFRAMES - vm_phys.nboot - 2);
	vm_page_free(a);
	CHECK_EQ(a->use, VM_PAGE_FREE);
	CHECK_EQ(a->queue, VM_PQ_FREE);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], 0);
	c = vm_page_alloc(VM_PAGE_PTP);
	CHECK(c == a); /* LIFO: the frame just freed comes back first */
	vm_page_free(b);
	vm_page_free(c);
	CHECK_EQ(vm_page_free_count(), NFRAMES - vm_phys.nboot);
	CHECK(counters_match_scan());
}

TEST(alloc_resets_every_field)
{
	struct vm_page *pg;

	boot_frames(NFRAMES);
	pg = vm_page_alloc(VM_PAGE_OBJECT);
	pg->flags = VM_PG_BUSY;
	pg->aux = 7;
	pg->md_attrs = PMAP_ATTR_MODIFIED;
	pg->u.pindex = 99;
	pg->owner.anon = (struct vm_anon *)(void *)pg;
	vm_page_free(pg);
	CHECK(vm_page_alloc(VM_PAGE_ANON) == pg);
	CHECK_EQ(pg->flags, 0);
	CHECK_EQ(pg->aux, 0);
	CHECK_EQ(pg->md_attrs, 0);
	CHECK_EQ(pg->u.pindex, 0);
	CHECK(pg->owner.anon == NULL);
	CHECK(pg->pv == NULL);
	CHECK_EQ(pg->q_next, VM_PAGE_NIL);
	CHECK_EQ(pg->q_prev, VM_PAGE_NIL);
}

TEST(data_pages_leave_the_reserve_to_metadata)
{
	uint64_t data = 0, meta = 0;

	boot_frames(NFRAMES);
	while (vm_page_alloc(VM_PAGE_ANON) != NULL)
		data++;
	CHECK_EQ(vm_page_free_count(), vm_phys.reserve);
	CHECK_EQ(data, NFRAMES - vm_phys.nboot - vm_phys.reserve);
	CHECK_EQ(vm_phys.alloc_fail[VM_PAGE_ANON], 1);
	CHECK(vm_page_alloc(VM_PAGE_OBJECT) == NULL);
	CHECK_EQ(vm_phys.alloc_fail[VM_PAGE_OBJECT], 1);
	/* Metadata may take the reserve, down to the last frame. */
	while (vm_page_alloc(meta % 2 ? VM_PAGE_PTP : VM_PAGE_PV) != NULL)
		meta++;
	CHECK_EQ(meta, vm_phys.reserve);
	CHECK_EQ(vm_page_free_count(), 0);
	CHECK(vm_page_alloc(VM_PAGE_KMEM) == NULL);
	CHECK_EQ(vm_phys.alloc_fail[VM_PAGE_KMEM], 1);
	CHECK(counters_match_scan());
}

TEST(failure_injection_fails_only_the_named_site)
{
	boot_frames(NFRAMES);
	sim_port_fail_nth(PORT_SITE_PTP, 2);
	CHECK(vm_page_alloc(VM_PAGE_PTP) != NULL);
	CHECK(vm_page_alloc(VM_PAGE_ANON) != NULL); /* another site: not counted */
	CHECK(vm_page_alloc(VM_PAGE_PTP) == NULL);  /* the 2nd PTP attempt */
	CHECK_EQ(sim_port_injected(), 1);
	CHECK(vm_page_alloc(VM_PAGE_PTP) != NULL);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 2);
	CHECK_EQ(vm_phys.alloc_fail[VM_PAGE_PTP], 1);
	sim_port_fail_nth(PORT_SITE_PAGE, 1);
	CHECK(vm_page_alloc(VM_PAGE_KMEM) != NULL);
	CHECK(vm_page_alloc(VM_PAGE_OBJECT) == NULL);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK(counters_match_scan());
}

/* The frames of queue Q in order, as a compact list for comparison. */
static size_t queue_frames(enum vm_page_queue q, uint64_t *out, size_t max)
{
	size_t n = 0;

	for (struct vm_page *pg = vm_pageq_first(q); pg != NULL && n < max; pg = vm_pageq_next(pg))
		out[n++] = vm_page_frame(pg);
	return n;
}

TEST(paging_queues_keep_order_and_membership)
{
	struct vm_page *p[4];
	uint64_t got[8];

	boot_frames(NFRAMES);
	for (int i = 0; i < 4; i++) {
		p[i] = vm_page_alloc(VM_PAGE_ANON);
		vm_pageq_insert_tail(VM_PQ_ACTIVE, p[i]);
		CHECK_EQ(p[i]->queue, VM_PQ_ACTIVE);
	}
	CHECK_EQ(vm_phys.q[VM_PQ_ACTIVE].count, 4);
	CHECK_EQ(queue_frames(VM_PQ_ACTIVE, got, 8), 4);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(got[i], vm_page_frame(p[i]));
	/* Requeue to the tail of the same queue: the clock hand's move. */
	vm_page_requeue(p[0], VM_PQ_ACTIVE);
	CHECK_EQ(queue_frames(VM_PQ_ACTIVE, got, 8), 4);
	CHECK_EQ(got[0], vm_page_frame(p[1]));
	CHECK_EQ(got[3], vm_page_frame(p[0]));
	/* Move from the middle to another queue. */
	vm_page_requeue(p[2], VM_PQ_INACTIVE);
	CHECK_EQ(p[2]->queue, VM_PQ_INACTIVE);
	CHECK_EQ(vm_phys.q[VM_PQ_ACTIVE].count, 3);
	CHECK_EQ(vm_phys.q[VM_PQ_INACTIVE].count, 1);
	CHECK_EQ(queue_frames(VM_PQ_ACTIVE, got, 8), 3);
	CHECK_EQ(got[0], vm_page_frame(p[1]));
	CHECK_EQ(got[1], vm_page_frame(p[3]));
	CHECK_EQ(got[2], vm_page_frame(p[0]));
	/* Removal from a queue twice is harmless; freeing takes it off. */
	vm_pageq_remove(p[3]);
	vm_pageq_remove(p[3]);
	CHECK_EQ(p[3]->queue, VM_PQ_NONE);
	CHECK_EQ(vm_phys.q[VM_PQ_ACTIVE].count, 2);
	vm_page_free(p[1]);
	CHECK_EQ(vm_phys.q[VM_PQ_ACTIVE].count, 1);
	CHECK(vm_pageq_first(VM_PQ_ACTIVE) == p[0]);
	CHECK(vm_pageq_next(p[0]) == NULL);
	vm_page_free(p[0]);
	vm_page_free(p[2]);
	vm_page_free(p[3]);
	CHECK(vm_pageq_first(VM_PQ_ACTIVE) == NULL);
	CHECK(vm_pageq_first(VM_PQ_INACTIVE) == NULL);
	CHECK_EQ(vm_page_free_count(), NFRAMES - vm_phys.nboot);
}

TEST(private_page_lists_link_both_ways)
{
	struct vm_pageq l;
	struct vm_page *a, *b, *c;

	boot_frames(NFRAMES);
	vm_pagelist_init(&l);
	a = vm_page_alloc(VM_PAGE_KMEM);
	b = vm_page_alloc(VM_PAGE_KMEM);
	c = vm_page_alloc(VM_PAGE_KMEM);
	vm_pagelist_insert_tail(&l, b);
	vm_pagelist_insert_head(&l, a);
	vm_pagelist_insert_tail(&l, c);
	CHECK_EQ(l.count, 3);
	CHECK_EQ(l.head, vm_page_frame(a));
	CHECK_EQ(l.tail, vm_page_frame(c));
	CHECK_EQ(a->q_next, vm_page_frame(b));
	CHECK_EQ(c->q_prev, vm_page_frame(b));
	vm_pagelist_remove(&l, b);
	CHECK_EQ(a->q_next, vm_page_frame(c));
	CHECK_EQ(c->q_prev, vm_page_frame(a));
	vm_pagelist_remove(&l, a);
	vm_pagelist_remove(&l, c);
	CHECK_EQ(l.count, 0);
	CHECK_EQ(l.head, VM_PAGE_NIL);
	CHECK_EQ(l.tail, VM_PAGE_NIL);
	/* Lists are not paging queues: the frames were never on one. */
	CHECK_EQ(a->queue, VM_PQ_NONE);
	vm_page_free(a);
	vm_page_free(b);
	vm_page_free(c);
}

TEST(zero_and_copy_move_whole_frames)
{
	struct vm_page *a, *b;

	boot_frames(NFRAMES);
	a = vm_page_alloc(VM_PAGE_ANON);
	b = vm_page_alloc(VM_PAGE_ANON);
	for (unsigned i = 0; i < FRAME; i++)
		vm_page_data(a)[i] = (uint8_t)(i * 7 + 1);
	vm_page_copy(b, a);
	CHECK(memcmp(vm_page_data(a), vm_page_data(b), FRAME) == 0);
	CHECK(vm_page_data(b) == ram + vm_page_pa(b));
	vm_page_zero(a);
	for (unsigned i = 0; i < FRAME; i++)
		if (vm_page_data(a)[i] != 0)
			CHECK(!"frame not zeroed");
	CHECK_EQ(vm_page_data(b)[FRAME - 1], (uint8_t)((FRAME - 1) * 7 + 1));
	CHECK(vm_page_of_ptr(vm_page_data(b) + 123) == b);
	CHECK(vm_page_from_pa(vm_page_pa(b)) == b);
}

/* Random allocations and frees of every use, counters against a scan. */
TEST(random_alloc_free_keeps_counters_exact)
{
	static const enum vm_page_use uses[] = {VM_PAGE_KMEM, VM_PAGE_PTP, VM_PAGE_PV,
						VM_PAGE_ANON, VM_PAGE_OBJECT};
	struct vm_page *held[NFRAMES];
	size_t n = 0;
	uint64_t x = 12345, mismatches = 0;

	boot_frames(NFRAMES);
	for (int step = 0; step < 20000; step++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if ((x >> 40) % 3 != 0 || n == 0) {
			struct vm_page *pg = vm_page_alloc(uses[(x >> 20) % 5]);

			if (pg != NULL) {
				held[n++] = pg;
				if (pg->use == VM_PAGE_ANON)
					vm_pageq_insert_tail(VM_PQ_ACTIVE, pg);
			}
		} else {
			size_t i = (size_t)((x >> 8) % n);

			vm_page_free(held[i]);
			held[i] = held[--n];
		}
		if (!counters_match_scan())
			mismatches++;
	}
	CHECK_EQ(mismatches, 0);
	while (n > 0)
		vm_page_free(held[--n]);
	CHECK_EQ(vm_page_free_count(), NFRAMES - vm_phys.nboot);
	CHECK_EQ(vm_phys.q[VM_PQ_ACTIVE].count, 0);
}

int main(void)
{
	RUN(boot_places_the_page_array_first);
	RUN(boot_refuses_a_ram_too_small);
	RUN(boot_takes_a_physical_base_and_holes);
	RUN(alloc_hands_out_low_frames_first_and_reuses_the_last_freed);
	RUN(alloc_resets_every_field);
	RUN(data_pages_leave_the_reserve_to_metadata);
	RUN(failure_injection_fails_only_the_named_site);
	RUN(paging_queues_keep_order_and_membership);
	RUN(private_page_lists_link_both_ways);
	RUN(zero_and_copy_move_whole_frames);
	RUN(random_alloc_free_keeps_counters_exact);
	free(ram);
	return check_done();
}
