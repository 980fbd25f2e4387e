/*
 * test_object.c - memory objects (src/vm/object.c): shared anonymous
 * memory whose pages go the moment no mapping covers them.
 *
 * Releasing is how an unmap gives memory back, so it must not need any:
 * the object's amap nodes are never shared, so clearing a range of them
 * copies nothing, and vm_object_release_cost (what a caller would have to
 * reserve) is that truth, 0.
 */
#include "sim_helpers.h"
#include "vm/amap.h"
#include "vm/map.h"
#include "vm/object.h"

#define B 0x100000000000ull
#define PG 4096ull

static struct sim sim;

TEST(releasing_frees_uncovered_pages_and_needs_no_memory)
{
	struct vm_object *obj;
	uint64_t anon_frames, node_allocs;

	h_boot(&sim, 8u << 20);
	h_run(&sim, "1 spawn\n1 mmap 0x100000000000 0x10000 rw- shared anon\n"
		    "1 write 0x100000000000 0x10000 5\n1 fork 2\n");
	obj = vm_map_lookup(h_map(&sim, 1), B)->object;
	CHECK(obj != NULL && !vm_object_is_file(obj));
	CHECK_EQ(vm_object_release_cost(obj), 0);
	anon_frames = vm_phys.by_use[VM_PAGE_ANON];
	CHECK_EQ(anon_frames, 16);
	/* Process 1 still covers pages 4-7: nothing goes. */
	h_run(&sim, "2 munmap 0x100000004000 0x4000\n");
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], anon_frames);
	CHECK(h_check(&sim));
	/* Now nobody does: they go, and taking them away allocated no node. */
	node_allocs = vm_amap_node_cache.allocs;
	h_run(&sim, "1 munmap 0x100000004000 0x4000\n");
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], anon_frames - 4);
	CHECK_EQ(vm_amap_node_cache.allocs - node_allocs, vm_object_release_cost(obj));
	for (uint64_t i = 0; i < 16; i++)
		CHECK((vm_amap_lookup(&obj->anons, i, NULL) != NULL) == (i < 4 || i >= 8));
	CHECK(h_check(&sim));
	sim_shutdown(&sim);
}

int main(void)
{
	RUN(releasing_frees_uncovered_pages_and_needs_no_memory);
	return check_done();
}
