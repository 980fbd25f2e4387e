/*
 * test_vm_map.c - address maps through include/mvm/vm.h: mmap, munmap,
 * mprotect, madvise, fork, exec and exit.
 *
 * Each case drives a simulated machine with trace lines (so accesses go
 * through the MMU and the fault handler as in a replay), calls the map
 * operations directly where the exact result code matters, and then
 * looks under the interface: the entries (src/vm/map.h) must be the
 * minimum after every kind of change (invariant 5: clip, change, merge
 * back), data must survive clipping and merging, copy-on-write must
 * isolate a fork's two sides while shared memory stays shared, and every
 * frame and slab object must come back when the mappings go (invariant 1).
 * The consistency checker runs after every step.
 *
 * The last cases sweep failure injection over single map operations, one
 * forked child per failing allocation, because a broken reservation shows
 * up as a panic (abort) rather than as a wrong answer: each operation must
 * either complete or fail with VM_ENOMEM having changed nothing.
 */
#include <sys/wait.h>

#include "sim_helpers.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/pagetree.h"

#define B 0x100000000000ull /* base of every test mapping */
#define PG 4096ull
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define RO VM_PROT_READ

static struct sim sim;

static void boot(void)
{
	static bool booted;

	if (booted)
		sim_shutdown(&sim);
	h_boot(&sim, 8u << 20);
	booted = true;
}

/* Entries as "0-4 rw- p" (pages from B; p private, s shared, d dontfork). */
static const char *map_str(uint64_t pid)
{
	static char buf[4096];
	struct vm_map_info info;
	vaddr_t cursor = 0;
	size_t pos = 0;

	buf[0] = '\0';
	while (vm_map_iterate(h_map(&sim, pid), &cursor, &info) && pos < sizeof buf - 64)
		pos += (size_t)snprintf(buf + pos, sizeof buf - pos, "%s%llu-%llu %c%c%c %s%s",
					pos ? ", " : "",
					(unsigned long long)((info.start - B) / PG),
					(unsigned long long)((info.end - B) / PG),
					info.prot & VM_PROT_READ ? 'r' : '-',
					info.prot & VM_PROT_WRITE ? 'w' : '-',
					info.prot & VM_PROT_EXEC ? 'x' : '-', info.shared ? "s" : "p",
					info.dontfork ? "d" : "");
	return buf;
}

/* The expected `read` line for LEN bytes at page PAGE holding SEED's
 * pattern (SEED 0: zeros). */
static const char *read_line(uint64_t pid, uint64_t page, uint64_t len, uint64_t seed)
{
	static char buf[128];
	static uint8_t data[64 * 4096];
	uint64_t addr = B + page * PG;

	if (seed == 0)
		memset(data, 0, len);
	else
		trace_pattern_fill(seed, addr, data, len);
	snprintf(buf, sizeof buf, "%llu read %#llx %#llx %016llx\n", (unsigned long long)pid,
		 (unsigned long long)addr, (unsigned long long)len,
		 (unsigned long long)trace_fnv1a(TRACE_FNV_OFFSET, data, len));
	return buf;
}

static const char *read_pages(uint64_t pid, uint64_t page, uint64_t n)
{
	return h_runf(&sim, "%llu read %#llx %#llx", (unsigned long long)pid,
		      (unsigned long long)(B + page * PG), (unsigned long long)(n * PG));
}

static void write_pages(uint64_t pid, uint64_t page, uint64_t n, uint64_t seed)
{
	CHECK_STR(h_runf(&sim, "%llu write %#llx %#llx %llu", (unsigned long long)pid,
			 (unsigned long long)(B + page * PG), (unsigned long long)(n * PG),
			 (unsigned long long)seed),
		  "");
}

static enum vm_err mmap_pages(uint64_t pid, uint64_t page, uint64_t n, vm_prot_t prot,
			      bool shared)
{
	return vm_mmap(h_map(&sim, pid), B + page * PG, n * PG, prot, shared, NULL, 0);
}

static enum vm_err mprotect_pages(uint64_t pid, uint64_t page, uint64_t n, vm_prot_t prot)
{
	return vm_mprotect(h_map(&sim, pid), B + page * PG, n * PG, prot);
}

static enum vm_err madvise_pages(uint64_t pid, uint64_t page, uint64_t n, enum vm_advice adv)
{
	return vm_madvise(h_map(&sim, pid), B + page * PG, n * PG, adv);
}

static enum vm_err munmap_pages(uint64_t pid, uint64_t page, uint64_t n)
{
	return vm_munmap(h_map(&sim, pid), B + page * PG, n * PG);
}

static uint64_t anon_frames(void)
{
	return vm_phys.by_use[VM_PAGE_ANON];
}

TEST(mmap_merges_with_compatible_neighbours)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 4, RW, false), VM_OK);
	CHECK_EQ(mmap_pages(1, 4, 4, RW, false), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p");
	CHECK_EQ(mmap_pages(1, 12, 4, RW, false), VM_OK);
	CHECK_EQ(mmap_pages(1, 8, 4, RO, false), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p, 8-12 r-- p, 12-16 rw- p");
	/* Replacing the middle with what its neighbours have joins all three. */
	CHECK_EQ(mmap_pages(1, 8, 4, RW, false), VM_OK);
	CHECK_STR(map_str(1), "0-16 rw- p");
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 1);
	/* Shared anonymous memory is a new object each time: never merged. */
	CHECK_EQ(mmap_pages(1, 16, 2, RW, true), VM_OK);
	CHECK_EQ(mmap_pages(1, 18, 2, RW, true), VM_OK);
	CHECK_STR(map_str(1), "0-16 rw- p, 16-18 rw- s, 18-20 rw- s");
	CHECK(h_check(&sim));
}

TEST(mmap_over_data_replaces_it_and_merges)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 8, RW, false), VM_OK);
	write_pages(1, 0, 8, 11);
	CHECK_EQ(anon_frames(), 8);
	CHECK_EQ(mmap_pages(1, 2, 2, RW, false), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p");
	CHECK_EQ(anon_frames(), 6); /* the replaced pages are gone at once */
	CHECK_STR(read_pages(1, 2, 2), read_line(1, 2, 2 * PG, 0));
	CHECK_STR(read_pages(1, 0, 2), read_line(1, 0, 2 * PG, 11));
	CHECK_STR(read_pages(1, 4, 4), read_line(1, 4, 4 * PG, 11));
	CHECK(h_check(&sim));
}

TEST(mprotect_clips_then_merges_back_and_keeps_data)
{
	struct vm_map *map;
	uint64_t clips, merges;

	boot();
	h_run(&sim, "1 spawn");
	map = h_map(&sim, 1);
	CHECK_EQ(mmap_pages(1, 0, 16, RW, false), VM_OK);
	write_pages(1, 0, 16, 5);
	clips = map->clips;
	merges = map->merges;
	CHECK_EQ(mprotect_pages(1, 4, 4, RO), VM_OK);
	CHECK_STR(map_str(1), "0-4 rw- p, 4-8 r-- p, 8-16 rw- p");
	CHECK_EQ(map->clips - clips, 2);
	CHECK(h_check(&sim));
	/* The write faults where it is read-only now, and nowhere else. */
	CHECK_STR(h_runf(&sim, "1 write %#llx 0x1000 9", B + 5 * PG), "1 segv 0x100000005000\n");
	CHECK_EQ(mprotect_pages(1, 4, 4, RW), VM_OK);
	CHECK_STR(map_str(1), "0-16 rw- p");
	CHECK_EQ(map->merges - merges, 2);
	CHECK_STR(read_pages(1, 0, 16), read_line(1, 0, 16 * PG, 5));
	/* A change that changes nothing clips nothing. */
	clips = map->clips;
	CHECK_EQ(mprotect_pages(1, 3, 2, RW), VM_OK);
	CHECK_EQ(map->clips, clips);
	/* Over several entries at once, and at the edges. */
	CHECK_EQ(mprotect_pages(1, 0, 1, RO), VM_OK);
	CHECK_EQ(mprotect_pages(1, 15, 1, RO), VM_OK);
	CHECK_EQ(mprotect_pages(1, 7, 2, VM_PROT_NONE), VM_OK);
	CHECK_STR(map_str(1), "0-1 r-- p, 1-7 rw- p, 7-9 --- p, 9-15 rw- p, 15-16 r-- p");
	CHECK(h_check(&sim));
	CHECK_EQ(mprotect_pages(1, 0, 16, RO), VM_OK);
	CHECK_STR(map_str(1), "0-16 r-- p");
	CHECK_STR(read_pages(1, 0, 16), read_line(1, 0, 16 * PG, 5));
	CHECK(h_check(&sim));
}

TEST(mprotect_is_all_or_nothing)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 4, RW, false), VM_OK);
	CHECK_EQ(mmap_pages(1, 5, 4, RW, false), VM_OK);
	CHECK_EQ(mprotect_pages(1, 2, 5, RO), VM_ENOMAP);
	CHECK_EQ(mprotect_pages(1, 8, 2, RO), VM_ENOMAP);
	CHECK_STR(map_str(1), "0-4 rw- p, 5-9 rw- p");
	CHECK_EQ(madvise_pages(1, 3, 3, VM_ADV_DONTFORK), VM_ENOMAP);
	CHECK_STR(map_str(1), "0-4 rw- p, 5-9 rw- p");
	CHECK_EQ(vm_msync(h_map(&sim, 1), B + 3 * PG, 3 * PG), VM_ENOMAP);
	/* The trace line gives the errno and changes nothing either. */
	CHECK_STR(h_runf(&sim, "1 mprotect %#llx 0x5000 r--", B + 2 * PG),
		  "1 mprotect error ENOMEM\n");
	CHECK_STR(map_str(1), "0-4 rw- p, 5-9 rw- p");
	CHECK(h_check(&sim));
}

TEST(munmap_punches_holes_and_frees_their_pages)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 16, RW, false), VM_OK);
	write_pages(1, 0, 16, 3);
	CHECK_EQ(anon_frames(), 16);
	CHECK_EQ(vm_anon_count(), 16);
	CHECK_EQ(munmap_pages(1, 4, 4), VM_OK);
	CHECK_STR(map_str(1), "0-4 rw- p, 8-16 rw- p");
	CHECK_EQ(anon_frames(), 12);
	CHECK_EQ(vm_anon_count(), 12);
	CHECK(h_check(&sim));
	/* Holes are fine; a hole-only range is a no-op. */
	CHECK_EQ(munmap_pages(1, 2, 8), VM_OK);
	CHECK_STR(map_str(1), "0-2 rw- p, 10-16 rw- p");
	CHECK_EQ(anon_frames(), 8);
	CHECK_EQ(munmap_pages(1, 100, 8), VM_OK);
	CHECK_EQ(vm_munmap(h_map(&sim, 1), VM_USER_MAX - PG, 2 * PG), VM_EINVAL);
	/* Mapping the hole again joins everything; the new pages are zero. */
	CHECK_EQ(mmap_pages(1, 2, 8, RW, false), VM_OK);
	CHECK_STR(map_str(1), "0-16 rw- p");
	CHECK_STR(read_pages(1, 0, 2), read_line(1, 0, 2 * PG, 3));
	CHECK_STR(read_pages(1, 2, 8), read_line(1, 2, 8 * PG, 0));
	CHECK_STR(read_pages(1, 10, 6), read_line(1, 10, 6 * PG, 3));
	CHECK_EQ(anon_frames(), 8); /* reads of new memory take the zero page */
	CHECK(h_check(&sim));
	CHECK_EQ(munmap_pages(1, 0, 16), VM_OK);
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 0);
	CHECK_EQ(anon_frames(), 0);
	CHECK_EQ(vm_anon_count(), 0);
	CHECK_EQ(vm_amap_node_cache.inuse, 0);
	/* Table pages go with their last mapping: only the root is left. */
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 1);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 0);
	CHECK_EQ(vm_map_entry_cache.inuse, 0);
	CHECK(h_check(&sim));
}

TEST(madvise_dontfork_clips_and_dofork_merges)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 8, RW, false), VM_OK);
	write_pages(1, 0, 8, 4);
	CHECK_EQ(madvise_pages(1, 2, 2, VM_ADV_DONTFORK), VM_OK);
	CHECK_STR(map_str(1), "0-2 rw- p, 2-4 rw- pd, 4-8 rw- p");
	CHECK(h_check(&sim));
	CHECK_EQ(madvise_pages(1, 0, 8, VM_ADV_DOFORK), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p");
	CHECK_STR(read_pages(1, 0, 8), read_line(1, 0, 8 * PG, 4));
	/* Hints change nothing. */
	CHECK_EQ(madvise_pages(1, 0, 8, VM_ADV_WILLNEED), VM_OK);
	CHECK_EQ(madvise_pages(1, 0, 8, VM_ADV_PAGEOUT), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p");
	CHECK_STR(read_pages(1, 0, 8), read_line(1, 0, 8 * PG, 4));
	CHECK(h_check(&sim));
}

TEST(madvise_dontneed_drops_private_pages_only)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 8, RW, false), VM_OK);
	CHECK_EQ(mmap_pages(1, 8, 4, RW, true), VM_OK);
	write_pages(1, 0, 12, 8);
	CHECK_EQ(anon_frames(), 12);
	CHECK_EQ(madvise_pages(1, 2, 8, VM_ADV_DONTNEED), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p, 8-12 rw- s"); /* no clipping */
	CHECK_EQ(anon_frames(), 6);                    /* private 2..7 gone */
	CHECK(h_check(&sim));
	CHECK_STR(read_pages(1, 0, 2), read_line(1, 0, 2 * PG, 8));
	CHECK_STR(read_pages(1, 2, 6), read_line(1, 2, 6 * PG, 0));
	CHECK_STR(read_pages(1, 8, 4), read_line(1, 8, 4 * PG, 8));
	CHECK(h_check(&sim));
}

TEST(exec_and_exit_return_every_frame_and_object)
{
	uint64_t frames0, kmem0;

	boot();
	frames0 = h_frames_used();
	kmem0 = h_kmem_inuse();
	CHECK_EQ(frames0, 0);
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 64, RW, false), VM_OK);
	CHECK_EQ(mmap_pages(1, 64, 8, RW, true), VM_OK);
	CHECK_EQ(mmap_pages(1, 1000000, 3, RW, false), VM_OK); /* far away: more tables */
	write_pages(1, 0, 72, 2);
	write_pages(1, 1000000, 3, 2);
	CHECK_EQ(mprotect_pages(1, 10, 5, RO), VM_OK);
	h_run(&sim, "1 fork 2\n2 fork 3");
	write_pages(2, 0, 4, 9);
	write_pages(3, 60, 10, 9);
	CHECK(h_check(&sim));
	CHECK(h_frames_used() > 80);
	h_run(&sim, "1 exec");
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 0);
	CHECK(h_check(&sim));
	h_run(&sim, "3 exit\n2 exit");
	CHECK(h_check(&sim));
	/* Only process 1's empty address space is left: its map, pmap, root. */
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 1);
	CHECK_EQ(vm_anon_count(), 0);
	CHECK_EQ(vm_amap_node_cache.inuse, 0);
	CHECK_EQ(vm_object_cache.inuse, 0);
	CHECK_EQ(vm_map_entry_cache.inuse, 0);
	h_run(&sim, "1 exit");
	CHECK_EQ(h_frames_used(), frames0);
	CHECK_EQ(h_kmem_inuse(), kmem0);
	CHECK(h_check(&sim));
}

TEST(fork_copy_on_write_isolates_both_sides)
{
	uint64_t frames;

	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 8, RW, false), VM_OK);
	write_pages(1, 0, 8, 21);
	frames = anon_frames();
	h_run(&sim, "1 fork 2");
	CHECK_STR(map_str(2), "0-8 rw- p");
	CHECK_EQ(anon_frames(), frames); /* fork copies no data */
	CHECK(h_check(&sim));
	/* The child writes one page: one copy, the parent still sees its data. */
	write_pages(2, 3, 1, 22);
	CHECK_EQ(anon_frames(), frames + 1);
	CHECK_STR(read_pages(1, 0, 8), read_line(1, 0, 8 * PG, 21));
	CHECK_STR(read_pages(2, 3, 1), read_line(2, 3, PG, 22));
	CHECK_STR(read_pages(2, 4, 1), read_line(2, 4, PG, 21));
	/* The parent writes another page: it copies too; the child is unmoved. */
	write_pages(1, 5, 1, 23);
	CHECK_EQ(anon_frames(), frames + 2);
	CHECK_STR(read_pages(2, 5, 1), read_line(2, 5, PG, 21));
	CHECK_STR(read_pages(1, 5, 1), read_line(1, 5, PG, 23));
	CHECK(h_check(&sim));
	/* Once the child is gone, the parent writes its pages in place. */
	h_run(&sim, "2 exit");
	CHECK_EQ(anon_frames(), frames); /* its copy, and the original of page 5 */
	write_pages(1, 0, 8, 24);
	CHECK_EQ(anon_frames(), frames);
	CHECK(h_check(&sim));
}

TEST(maps_stay_minimal_across_fork)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 32, RW, false), VM_OK);
	write_pages(1, 0, 32, 31);
	h_run(&sim, "1 fork 2");
	/* Both sides clip and merge back while their amaps share nodes. */
	CHECK_EQ(mprotect_pages(1, 8, 8, RO), VM_OK);
	CHECK_EQ(mprotect_pages(2, 20, 4, RO), VM_OK);
	CHECK_STR(map_str(1), "0-8 rw- p, 8-16 r-- p, 16-32 rw- p");
	CHECK_STR(map_str(2), "0-20 rw- p, 20-24 r-- p, 24-32 rw- p");
	CHECK(h_check(&sim));
	write_pages(2, 0, 4, 32);
	CHECK_EQ(mprotect_pages(1, 8, 8, RW), VM_OK);
	CHECK_EQ(mprotect_pages(2, 20, 4, RW), VM_OK);
	CHECK_STR(map_str(1), "0-32 rw- p");
	CHECK_STR(map_str(2), "0-32 rw- p");
	CHECK(h_check(&sim));
	/* The child goes: the parent's amap is no longer shared, and a
	 * change after that still merges back to one entry. */
	h_run(&sim, "2 exit");
	CHECK_EQ(mprotect_pages(1, 1, 30, RO), VM_OK);
	CHECK_EQ(madvise_pages(1, 4, 4, VM_ADV_DONTFORK), VM_OK);
	CHECK_STR(map_str(1), "0-1 rw- p, 1-4 r-- p, 4-8 r-- pd, 8-31 r-- p, 31-32 rw- p");
	CHECK_EQ(madvise_pages(1, 0, 32, VM_ADV_DOFORK), VM_OK);
	CHECK_EQ(mprotect_pages(1, 0, 32, RW), VM_OK);
	CHECK_STR(map_str(1), "0-32 rw- p");
	CHECK_STR(read_pages(1, 0, 32), read_line(1, 0, 32 * PG, 31));
	CHECK(h_check(&sim));
}

TEST(shared_anonymous_memory_stays_shared_across_fork)
{
	struct vm_map_entry *e;

	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 4, RW, true), VM_OK);
	write_pages(1, 0, 4, 41);
	h_run(&sim, "1 fork 2");
	e = vm_map_first(h_map(&sim, 2));
	CHECK(e != NULL && e->object == vm_map_first(h_map(&sim, 1))->object);
	CHECK_EQ(e->object->ref, 2);
	CHECK_EQ(anon_frames(), 4);
	write_pages(2, 1, 1, 42);
	CHECK_EQ(anon_frames(), 4); /* written in place, no copy */
	CHECK_STR(read_pages(1, 1, 1), read_line(1, 1, PG, 42));
	write_pages(1, 2, 1, 43);
	CHECK_STR(read_pages(2, 2, 1), read_line(2, 2, PG, 43));
	CHECK(h_check(&sim));
	/* Clip and merge a shared entry: same object, contiguous offsets. */
	CHECK_EQ(mprotect_pages(2, 1, 2, RO), VM_OK);
	CHECK_STR(map_str(2), "0-1 rw- s, 1-3 r-- s, 3-4 rw- s");
	CHECK_EQ(e->object->ref, 4);
	CHECK_EQ(mprotect_pages(2, 1, 2, RW), VM_OK);
	CHECK_STR(map_str(2), "0-4 rw- s");
	CHECK_EQ(vm_map_first(h_map(&sim, 2))->object->ref, 2);
	h_run(&sim, "1 exit");
	CHECK_EQ(anon_frames(), 4); /* the child still maps every page */
	CHECK_STR(read_pages(2, 0, 1), read_line(2, 0, PG, 41));
	CHECK(h_check(&sim));
}

TEST(shared_pages_go_when_no_mapping_covers_them)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 8, RW, true), VM_OK);
	write_pages(1, 0, 8, 51);
	/* The only mapper unmaps two pages: they can never be reached again. */
	CHECK_EQ(munmap_pages(1, 2, 2), VM_OK);
	CHECK_EQ(anon_frames(), 6);
	CHECK(h_check(&sim));
	h_run(&sim, "1 fork 2");
	CHECK_EQ(munmap_pages(2, 0, 2), VM_OK);
	CHECK_EQ(munmap_pages(1, 4, 4), VM_OK);
	/* Pages 0-1 are still the parent's, 4-7 still the child's. */
	CHECK_EQ(anon_frames(), 6);
	CHECK(h_check(&sim));
	h_run(&sim, "2 exit");
	CHECK_EQ(anon_frames(), 2);
	CHECK_STR(read_pages(1, 0, 2), read_line(1, 0, 2 * PG, 51));
	CHECK(h_check(&sim));
	/* Replacing shared memory by a private mapping frees it too. */
	CHECK_EQ(mmap_pages(1, 0, 2, RW, false), VM_OK);
	CHECK_EQ(anon_frames(), 0);
	CHECK_EQ(vm_object_cache.inuse, 0);
	CHECK(h_check(&sim));
}

TEST(dontfork_regions_are_absent_in_the_child)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 4, RW, false), VM_OK);
	CHECK_EQ(mmap_pages(1, 4, 4, RW, true), VM_OK);
	write_pages(1, 0, 8, 61);
	CHECK_EQ(madvise_pages(1, 2, 4, VM_ADV_DONTFORK), VM_OK);
	CHECK_STR(map_str(1), "0-2 rw- p, 2-4 rw- pd, 4-6 rw- sd, 6-8 rw- s");
	h_run(&sim, "1 fork 2");
	CHECK_STR(map_str(2), "0-2 rw- p, 6-8 rw- s");
	CHECK_STR(h_runf(&sim, "2 read %#llx 0x1000", B + 3 * PG), "2 segv 0x100000003000\n");
	CHECK_STR(h_runf(&sim, "2 write %#llx 0x1000 1", B + 4 * PG), "2 segv 0x100000004000\n");
	/* The parent keeps write access to its dontfork pages: not shared. */
	write_pages(1, 2, 2, 62);
	CHECK_EQ(anon_frames(), 8);
	CHECK(h_check(&sim));
	h_run(&sim, "1 exit");
	CHECK_EQ(anon_frames(), 4);
	CHECK(h_check(&sim));
}

TEST(exit_of_a_forked_family_in_any_order_is_exact)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 16, RW, false), VM_OK);
	write_pages(1, 0, 16, 71);
	h_run(&sim, "1 fork 2\n2 fork 3\n1 fork 4");
	write_pages(3, 0, 4, 72);
	write_pages(4, 8, 4, 73);
	CHECK_EQ(munmap_pages(2, 4, 8), VM_OK);
	CHECK(h_check(&sim));
	h_run(&sim, "1 exit");
	CHECK(h_check(&sim));
	h_run(&sim, "3 exit");
	CHECK(h_check(&sim));
	CHECK_STR(read_pages(4, 8, 4), read_line(4, 8, 4 * PG, 73));
	CHECK_STR(read_pages(2, 0, 4), read_line(2, 0, 4 * PG, 71));
	h_run(&sim, "4 exit\n2 exit");
	CHECK_EQ(h_frames_used(), 0);
	CHECK_EQ(h_kmem_inuse(), 0);
	CHECK(h_check(&sim));
}

/* ---- failure injection: every allocation of one operation fails in turn ---- */

typedef enum vm_err (*map_op_fn)(void);

/* Calls the map_op_fn ARG points to. */
static enum vm_err call_op(void *arg)
{
	return (*(map_op_fn *)arg)();
}

/*
 * Runs OP once to count its allocation attempts, then once per attempt N
 * in a forked child with the Nth attempt failing.  The child must not
 * abort, OP must give VM_OK or VM_ENOMEM (then the map of process 1 is as
 * before), and the checker must pass.  Returns the attempts that broke.
 */
static int sweep_op(map_op_fn op, const char *name)
{
	uint64_t calls;
	int broken = 0;
	char before[4096];

	snprintf(before, sizeof before, "%s", map_str(1));
	calls = h_count_allocations(call_op, &op);
	for (uint64_t n = 1; n <= calls + 2; n++) {
		pid_t pid = fork();
		int st;

		if (pid == 0) {
			enum vm_err err;

			sim_port_fail_nth(SIM_SITE_ANY, n);
			err = op();
			sim_port_fail_nth(SIM_SITE_ANY, 0);
			if (err != VM_OK && err != VM_ENOMEM)
				_exit(3);
			if (err == VM_ENOMEM && strcmp(before, map_str(1)) != 0)
				_exit(4);
			_exit(h_check(&sim) ? 0 : 5);
		}
		waitpid(pid, &st, 0);
		if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && ++broken <= 3) {
			fprintf(stderr, "  %s with allocation %llu failing: %s %d\n", name,
				(unsigned long long)n, WIFEXITED(st) ? "exit" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		}
	}
	return broken;
}

static enum vm_err op_mprotect_middle(void)
{
	return mprotect_pages(1, 4, 8, RO);
}

static enum vm_err op_mprotect_all(void)
{
	return mprotect_pages(1, 0, 32, RW);
}

static enum vm_err op_mmap_middle(void)
{
	return mmap_pages(1, 6, 4, RW, true);
}

static enum vm_err op_munmap_middle(void)
{
	return munmap_pages(1, 5, 3);
}

static enum vm_err op_dontneed(void)
{
	return madvise_pages(1, 3, 10, VM_ADV_DONTNEED);
}

static enum vm_err op_dontfork(void)
{
	return madvise_pages(1, 3, 10, VM_ADV_DONTFORK);
}

static enum vm_err op_fork(void)
{
	struct vm_map *child = NULL;
	enum vm_err err = vm_map_fork(h_map(&sim, 1), &child);

	if (err == VM_OK)
		vm_map_destroy(child);
	return err;
}

TEST(map_operations_survive_every_allocation_failure)
{
	boot();
	h_run(&sim, "1 spawn");
	CHECK_EQ(mmap_pages(1, 0, 32, RW, false), VM_OK);
	write_pages(1, 0, 32, 81);
	h_run(&sim, "1 fork 2"); /* shared amap nodes: clips must copy paths */
	CHECK_EQ(sweep_op(op_mprotect_middle, "mprotect"), 0);
	CHECK_EQ(sweep_op(op_mmap_middle, "mmap"), 0);
	CHECK_EQ(sweep_op(op_munmap_middle, "munmap"), 0);
	CHECK_EQ(sweep_op(op_dontneed, "madvise dontneed"), 0);
	CHECK_EQ(sweep_op(op_dontfork, "madvise dontfork"), 0);
	CHECK_EQ(sweep_op(op_fork, "fork"), 0);
	/* Alternate protections, every other entry holding a page: one
	 * mprotect merges them all back into one entry. */
	CHECK_EQ(munmap_pages(1, 0, 32), VM_OK);
	CHECK_EQ(mmap_pages(1, 0, 32, RW, false), VM_OK);
	for (int i = 0; i < 32; i += 2)
		CHECK_EQ(mprotect_pages(1, (uint64_t)i + 1, 1, RO), VM_OK);
	write_pages(1, 0, 1, 82);
	write_pages(1, 30, 1, 82);
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 32);
	CHECK_EQ(sweep_op(op_mprotect_all, "mprotect merging 32 entries"), 0);
	CHECK(h_check(&sim));
}

/*
 * Merging entries joins their amaps, and a join may need new nodes.  Here
 * 64 private entries, each holding one page 32 MiB from the next, are
 * separated by entries that hold none, with alternating protections;
 * one mprotect makes them all alike, so the map merges them into one and
 * every second merge joins two non-empty amaps (a new level-2 node each).
 * The operation reserves nodes only for adjacent pairs whose amaps are
 * both non-empty before it starts (none here), plus a fixed allowance, so
 * the joins take nodes beyond the reservation: if one of those fails the
 * merge asserts.  Every failure must leave the map as it was instead.
 */
static enum vm_err op_mprotect_sparse(void)
{
	return mprotect_pages(1, 0, 128 * 8192, RW);
}

TEST(merging_many_sparse_amaps_stays_within_its_reservation)
{
	boot();
	h_run(&sim, "1 spawn");
	for (uint64_t i = 0; i < 128; i++) {
		CHECK_EQ(mmap_pages(1, i * 8192, 8192, i % 2 ? RO : RW, false), VM_OK);
		if (i % 2 == 0)
			write_pages(1, i * 8192, 1, 90 + i);
	}
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 128);
	CHECK(h_check(&sim));
	CHECK_EQ(sweep_op(op_mprotect_sparse, "mprotect merging sparse amaps"), 0);
	CHECK_EQ(op_mprotect_sparse(), VM_OK);
	CHECK_STR(map_str(1), "0-1048576 rw- p");
	CHECK(h_check(&sim));
}

/* Whether file page PINDEX of OBJ is cached and waiting to be written. */
static bool file_page_dirty(const struct vm_object *obj, uint64_t pindex)
{
	const struct vm_page *pg = vm_pagetree_lookup(&obj->pages, pindex);

	return pg != NULL && !(pg->flags & VM_PG_CLEAN);
}

/*
 * msync writes back the dirty pages of its range.  A data_return may carry
 * the dirty pages that directly follow one of them (a cluster), but a
 * dirty page apart from the range stays dirty, whether it lies in the same
 * shared entry or past the entry's window into the file: writing it is
 * I/O nobody asked for, and under the dirty bound the caller waits for it.
 */
TEST(msync_writes_back_its_range_only)
{
	struct vm_object *obj;

	boot();
	/* Pages 0-3 map file pages 0-3: 0 and 2 written, 1 and 3 only read
	 * (clean).  File page 4 is dirtied by pwrite and mapped nowhere; page
	 * 4 of the map is private anonymous. */
	h_runf(&sim, "file m 0x8000 1\n1 spawn\n"
		     "1 mmap %#llx 0x4000 rw- shared file m 0x0\n"
		     "1 mmap %#llx 0x1000 rw- private anon\n"
		     "1 read %#llx 0x4000\n"
		     "1 write %#llx 0x10 2\n"
		     "1 write %#llx 0x10 3\n"
		     "1 pwrite m 0x4000 0x10 4",
	       B, B + 4 * PG, B, B, B + 2 * PG);
	obj = vm_map_lookup(h_map(&sim, 1), B)->object;
	CHECK(obj != NULL && vm_object_is_file(obj));
	CHECK_EQ(obj->ndirty, 3);
	CHECK(file_page_dirty(obj, 0) && file_page_dirty(obj, 2) && file_page_dirty(obj, 4));
	/* The entry's first page: page 2, past a clean page, stays dirty. */
	CHECK_EQ(vm_msync(h_map(&sim, 1), B, PG), VM_OK);
	CHECK_EQ(obj->ndirty, 2);
	CHECK(!file_page_dirty(obj, 0) && file_page_dirty(obj, 2) && file_page_dirty(obj, 4));
	CHECK(h_check(&sim));
	/* The entry's last page (clean) and the anonymous page after it: file
	 * page 4, just past the entry's window, is not in the range. */
	CHECK_EQ(vm_msync(h_map(&sim, 1), B + 3 * PG, 2 * PG), VM_OK);
	CHECK_EQ(obj->ndirty, 2);
	CHECK(file_page_dirty(obj, 2) && file_page_dirty(obj, 4));
	CHECK(h_check(&sim));
	/* Both entries whole: the mapped dirty page goes, file page 4 stays. */
	CHECK_EQ(vm_msync(h_map(&sim, 1), B, 5 * PG), VM_OK);
	CHECK_EQ(obj->ndirty, 1);
	CHECK(!file_page_dirty(obj, 2) && file_page_dirty(obj, 4));
	CHECK(h_check(&sim));
}

int main(void)
{
	RUN(mmap_merges_with_compatible_neighbours);
	RUN(mmap_over_data_replaces_it_and_merges);
	RUN(mprotect_clips_then_merges_back_and_keeps_data);
	RUN(mprotect_is_all_or_nothing);
	RUN(munmap_punches_holes_and_frees_their_pages);
	RUN(madvise_dontfork_clips_and_dofork_merges);
	RUN(madvise_dontneed_drops_private_pages_only);
	RUN(exec_and_exit_return_every_frame_and_object);
	RUN(fork_copy_on_write_isolates_both_sides);
	RUN(maps_stay_minimal_across_fork);
	RUN(shared_anonymous_memory_stays_shared_across_fork);
	RUN(shared_pages_go_when_no_mapping_covers_them);
	RUN(dontfork_regions_are_absent_in_the_child);
	RUN(exit_of_a_forked_family_in_any_order_is_exact);
	RUN(map_operations_survive_every_allocation_failure);
	RUN(merging_many_sparse_amaps_stays_within_its_reservation);
	RUN(msync_writes_back_its_range_only);
	sim_shutdown(&sim);
	return check_done();
}
