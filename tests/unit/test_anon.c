/*
 * test_anon.c - anons (src/vm/anon.c): one page of private data, its
 * frame or its swap slot, and a count.
 *
 * An anon's memory comes from a slab, where a freed anon's bytes stay as
 * they were: a new anon must not inherit the frame or the slot of the one
 * that lived there before, or dropping it would free data that is not
 * its own (another anon's frame, or a frame already free).
 */
#include "sim_helpers.h"
#include "vm/anon.h"
#include "vm/swap.h"

#define B 0x100000000000ull

static struct sim sim;

TEST(a_new_anon_holds_nothing_even_where_a_dead_one_lived)
{
	struct vm_anon *an;
	uint64_t anon_frames, anons;
	const char *before;
	char copy[128];

	h_boot(&sim, 8u << 20);
	before = h_run(&sim, "1 spawn\n1 mmap 0x100000000000 0x8000 rw- private anon\n"
			     "1 write 0x100000000000 0x8000 1\n"
			     "1 munmap 0x100000002000 0x2000\n"
			     "1 read 0x100000000000 0x2000\n");
	snprintf(copy, sizeof copy, "%s", before);
	anon_frames = vm_phys.by_use[VM_PAGE_ANON];
	anons = vm_anon_count();
	CHECK_EQ(anon_frames, 6);
	/* The slab's free list gives back the slot of an anon just freed. */
	an = vm_anon_alloc();
	CHECK(an != NULL);
	CHECK_EQ(an->ref, 1);
	CHECK(an->page == NULL);
	CHECK_EQ(an->swslot, VM_ANON_NOSLOT);
	CHECK_EQ(vm_anon_count(), anons + 1);
	if (an->page == NULL && an->swslot == VM_ANON_NOSLOT)
		vm_anon_unref(an); /* frees nothing but the anon */
	CHECK_EQ(vm_anon_count(), anons);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], anon_frames);
	CHECK(h_check(&sim));
	CHECK_STR(h_run(&sim, "1 read 0x100000000000 0x2000\n"), copy);
	sim_shutdown(&sim);
}

int main(void)
{
	RUN(a_new_anon_holds_nothing_even_where_a_dead_one_lived);
	return check_done();
}
