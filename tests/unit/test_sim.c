/*
 * test_sim.c - the simulator's process rules: the OOM killer, skipping
 * the operations of killed processes, and how much of a data operation
 * was done.
 *
 * The OOM killer runs only when the core reports VM_ENOMEM after reclaim
 * has freed all it could; it kills the process with the largest footprint
 * (lowest pid on a tie), prints `P killed oom`, and the operation that
 * needed the memory is retried, unless its own process was the victim.
 * These cases fill a small RAM with known amounts of private data so the
 * victim is certain, then check the output lines, sim_result, the process
 * table, and that the victim's memory all came back.  The skipping rules
 * belong to the replay loop, so those cases run `mvm replay` itself on a
 * trace held in memory, with --verify so the reference model agrees.
 */
#include "sim_helpers.h"
#include "mvm/pmap.h"
#include "vm/map.h"
#include "model/verify.h"

#define B 0x100000000000ull
#define PG 4096ull

static struct sim sim;
static bool booted;

/* One machine at a time: the core's state is global. */
static void shutdown(void)
{
	if (booted)
		sim_shutdown(&sim);
	booted = false;
}

static void boot(uint64_t ram)
{
	shutdown();
	h_boot(&sim, ram);
	booted = true;
}

static const char *write_pages(uint64_t pid, uint64_t npages, uint64_t seed,
			       struct sim_result *res)
{
	char line[128];

	snprintf(line, sizeof line, "%llu write %#llx %#llx %llu", (unsigned long long)pid, B,
		 (unsigned long long)(npages * PG), (unsigned long long)seed);
	return h_run_res(&sim, line, res);
}

static void spawn_with_region(uint64_t pid, uint64_t npages)
{
	h_runf(&sim, "%llu spawn\n%llu mmap %#llx %#llx rw- private anon", (unsigned long long)pid,
	       (unsigned long long)pid, B, (unsigned long long)(npages * PG));
}

TEST(footprint_counts_private_pages_and_page_tables)
{
	struct pmap_stats ps;
	struct sim_result res;

	boot(8u << 20);
	spawn_with_region(1, 64);
	CHECK_STR(write_pages(1, 40, 1, &res), "");
	pmap_get_stats(vm_map_pmap(h_map(&sim, 1)), &ps);
	CHECK_EQ(vm_map_footprint(h_map(&sim, 1)), 40 + ps.ptp + ps.pv_pages);
	CHECK_EQ(ps.ptp, 4);
	/* Reading more costs tables only (the zero page is nobody's). */
	h_runf(&sim, "1 read %#llx %#llx", B + 40 * PG, 24 * PG);
	CHECK_EQ(vm_map_footprint(h_map(&sim, 1)), 40 + ps.ptp + ps.pv_pages);
}

TEST(oom_kills_the_largest_and_retries)
{
	struct sim_result res;
	uint64_t big = 120, small = 10, want = 160;

	boot(1u << 20); /* 256 frames: not room for all three */
	spawn_with_region(1, small);
	spawn_with_region(2, big);
	spawn_with_region(3, want);
	CHECK_STR(write_pages(1, small, 1, &res), "");
	CHECK_STR(write_pages(2, big, 2, &res), "");
	/* Process 3 runs out before it reaches process 2's size: 2 goes. */
	CHECK_STR(write_pages(3, want, 3, &res), "2 killed oom\n");
	CHECK(!res.killed_self);
	CHECK_EQ(res.done_bytes, want * PG);
	CHECK_EQ(sim.stats.oom_kills, 1);
	CHECK(sim_proc_find(&sim, 2) == NULL);
	CHECK(sim_proc_find(&sim, 1) != NULL);
	CHECK(h_check(&sim));
	/* Both survivors' data is whole. */
	{
		char want_line[128];
		uint8_t buf[20 * 4096];

		trace_pattern_fill(1, B, buf, small * PG);
		snprintf(want_line, sizeof want_line, "1 read %#llx %#llx %016llx\n", B,
			 (unsigned long long)(small * PG),
			 (unsigned long long)trace_fnv1a(TRACE_FNV_OFFSET, buf, small * PG));
		CHECK_STR(h_runf(&sim, "1 read %#llx %#llx", B, (unsigned long long)(small * PG)),
			  want_line);
	}
}

TEST(oom_breaks_ties_by_lowest_pid)
{
	struct sim_result res;

	boot(1u << 20);
	spawn_with_region(4, 80);
	spawn_with_region(3, 80);
	spawn_with_region(5, 200);
	CHECK_STR(write_pages(4, 80, 1, &res), "");
	CHECK_STR(write_pages(3, 80, 1, &res), "");
	CHECK_EQ(vm_map_footprint(h_map(&sim, 3)), vm_map_footprint(h_map(&sim, 4)));
	CHECK_STR(write_pages(5, 120, 1, &res), "3 killed oom\n");
	CHECK_EQ(res.done_bytes, 120 * PG);
	CHECK(h_check(&sim));
}

/*
 * Shared anonymous memory that only one process maps is that process's
 * as much as its private pages are: killing it is the only way to get
 * those frames back.  Linux's OOM killer counts it (RSS includes shmem).
 * Here process 1 holds 150 frames of shared memory, process 2 holds 20
 * private ones, and process 3 needs 128: the right victim is process 1.
 */
TEST(oom_counts_shared_memory_a_process_alone_maps)
{
	struct sim_result res;

	boot(1u << 20);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- shared anon\n1 write %#llx %#llx 1", B,
	       150 * PG, B, 150 * PG);
	spawn_with_region(2, 20);
	CHECK_STR(write_pages(2, 20, 2, &res), "");
	spawn_with_region(3, 128);
	CHECK(vm_map_footprint(h_map(&sim, 1)) > vm_map_footprint(h_map(&sim, 2)));
	CHECK_STR(write_pages(3, 128, 3, &res), "1 killed oom\n");
	CHECK(!res.killed_self);
	CHECK(h_check(&sim));
}

TEST(oom_that_picks_the_faulting_process_stops_its_operation)
{
	struct sim_result res;
	uint64_t used;

	boot(1u << 20);
	spawn_with_region(1, 2);
	spawn_with_region(2, 1000);
	CHECK_STR(write_pages(1, 2, 1, &res), "");
	used = h_frames_used();
	CHECK_STR(write_pages(2, 1000, 7, &res), "2 killed oom\n");
	CHECK(res.killed_self);
	/* It wrote whole pages until memory ran out, then nothing more. */
	CHECK(res.done_bytes > 100 * PG && res.done_bytes < 256 * PG);
	CHECK_EQ(res.done_bytes % PG, 0);
	CHECK(sim_proc_find(&sim, 2) == NULL);
	/* Everything process 2 held came back: only process 1's two pages
	 * are data now, and no more frames are in use than before the write
	 * (less: reclaim collected idle process 1's page tables on the way). */
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], 2);
	CHECK(h_frames_used() < used);
	CHECK(h_check(&sim));
}

TEST(done_bytes_stops_at_the_faulting_page)
{
	struct sim_result res;

	boot(8u << 20);
	h_run(&sim, "1 spawn\n1 mmap 0x100000000000 0x2000 rw- private anon");
	CHECK_STR(h_run_res(&sim, "1 write 0x100000000800 0x3000 9", &res),
		  "1 segv 0x100000002000\n");
	CHECK_EQ(res.done_bytes, 0x1800);
	CHECK_STR(h_run_res(&sim, "1 read 0x100000000010 0x4000", &res), "1 segv 0x100000002000\n");
	CHECK_EQ(res.done_bytes, 0x2000 - 0x10);
	CHECK_STR(h_run_res(&sim, "1 touch 0x100000000000 0x2000 w", &res), "");
	CHECK_EQ(res.done_bytes, 0x2000);
	CHECK_STR(h_run_res(&sim, "1 read 0x100000000000 0", &res),
		  "1 read 0x100000000000 0x0 cbf29ce484222325\n");
	CHECK_EQ(res.done_bytes, 0);
	CHECK(!res.killed_self);
}

/* ---- through the replay loop ---- */

static struct replay_opts verify_opts(uint64_t ram)
{
	struct replay_opts o;

	replay_opts_defaults(&o);
	o.ram_bytes = ram;
	o.dev.swap_bytes = 0; /* these tests are about the OOM killer */
	o.oracle = &model_oracle;
	o.check_every = 1;
	return o;
}

TEST(a_killed_process_is_skipped_until_created_again)
{
	struct replay_opts o = verify_opts(1u << 20);
	char *out;
	int status;

	status = h_replay("mvm-trace 1\n"
			  "1 spawn\n"
			  "1 mmap 0x100000000000 0x400000 rw- private anon\n"
			  "1 write 0x100000000000 0x400000 5\n"
			  "1 read 0x100000000000 0x1000\n"
			  "1 fork 2\n"
			  "2 read 0x100000000000 0x1000\n"
			  "2 exit\n"
			  "1 exit\n"
			  "1 spawn\n"
			  "1 mmap 0x100000000000 0x1000 rw- private anon\n"
			  "1 read 0x100000000000 0x1000\n",
			  &o, &out);
	CHECK_EQ(status, REPLAY_OK);
	CHECK_STR(out, "1 killed oom\n"
		       "1 read 0x100000000000 0x1000 b93a0c83ce3b6325\n"); /* zeros */
	free(out);
}

TEST(a_dead_parent_skips_its_fork_and_the_child)
{
	struct replay_opts o = verify_opts(1u << 20);
	char *out;
	int status;

	/* Process 3 is the largest; process 1's write kills it and goes on.
	 * Then process 1 kills itself; its fork and the child's lines go. */
	status = h_replay("mvm-trace 1\n"
			  "3 spawn\n"
			  "3 mmap 0x100000000000 0x80000 rw- private anon\n"
			  "3 write 0x100000000000 0x80000 1\n"
			  "1 spawn\n"
			  "1 mmap 0x100000000000 0x400000 rw- private anon\n"
			  "1 write 0x100000000000 0xc0000 2\n"
			  "1 write 0x100000000000 0x400000 3\n"
			  "1 fork 7\n"
			  "7 write 0x100000000000 0x1000 4\n"
			  "7 exit\n"
			  "check\n",
			  &o, &out);
	CHECK_EQ(status, REPLAY_OK);
	CHECK_STR(out, "3 killed oom\n1 killed oom\n");
	free(out);
}

int main(void)
{
	RUN(footprint_counts_private_pages_and_page_tables);
	RUN(oom_kills_the_largest_and_retries);
	RUN(oom_breaks_ties_by_lowest_pid);
	RUN(oom_counts_shared_memory_a_process_alone_maps);
	RUN(oom_that_picks_the_faulting_process_stops_its_operation);
	RUN(done_bytes_stops_at_the_faulting_page);
	shutdown(); /* the replays boot machines of their own */
	RUN(a_killed_process_is_skipped_until_created_again);
	RUN(a_dead_parent_skips_its_fork_and_the_child);
	return check_done();
}
