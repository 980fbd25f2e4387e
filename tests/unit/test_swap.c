/*
 * test_swap.c - the swap pager (src/vm/swap.c) and the daemon's use of it:
 * clustered pageout to contiguous slots, the anon owning its slot and
 * losing it the moment it dies or is written, pagein with read-around,
 * clean pages dropped without I/O, write errors retiring slots, read
 * errors losing only that data, and the allocator's count always equal
 * to the slots live anons own.
 */
#include "check.h"
#include "sim_helpers.h"
#include "sim/dev.h"
#include "vm/amap.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/swap.h"

#define BASE 0x100000000000ull

static struct sim s;

static void boot(uint64_t ram, uint64_t swap, const char *inject)
{
	struct sim_config cfg = {.ram_bytes = ram};
	char err[256];

	sim_dev_config_defaults(&cfg.dev);
	cfg.dev.swap_bytes = swap;
	if (inject != NULL && !inject_parse(&cfg.inject, inject, err, sizeof err)) {
		fprintf(stderr, "inject: %s\n", err);
		exit(2);
	}
	h_boot_config(&s, &cfg);
}

/* The anon process 1 holds at VA. */
static struct vm_anon *anon_at(uint64_t va)
{
	struct vm_map_entry *e = vm_map_lookup(h_map(&s, 1), va);

	return e != NULL ? vm_amap_lookup(&e->amap, vm_atop(va), NULL) : NULL;
}

TEST(pageout_writes_clusters_to_contiguous_slots)
{
	boot(8 << 20, 16 << 20, NULL);
	h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x40000 rw- private anon\n"
		  "1 write 0x100000000000 0x40000 1\n"
		  "1 madvise 0x100000000000 0x40000 pageout\n");
	CHECK_EQ(vm_swap_inuse(), 64);
	CHECK_EQ(vm_swap_stats.pageouts, 64);
	CHECK_EQ(vm_swap_stats.pageout_ios, 2); /* two clusters of 32 */
	CHECK_EQ(vm_swap_stats.peak_inuse, 64); /* what `stat` reports */
	for (uint64_t i = 0; i < 64; i++) {
		struct vm_anon *an = anon_at(BASE + i * 4096);

		CHECK(an != NULL && an->page == NULL);
		/* Adjacent pages went to adjacent slots. */
		CHECK(an != NULL && an->swslot == anon_at(BASE)->swslot + i);
	}
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

TEST(pagein_reads_around_and_keeps_the_slot_while_clean)
{
	struct vm_anon *an;

	boot(8 << 20, 16 << 20, NULL);
	h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x40000 rw- private anon\n"
		  "1 write 0x100000000000 0x40000 1\n"
		  "1 madvise 0x100000000000 0x40000 pageout\n"
		  "1 touch 0x100000000000 1 r\n");
	CHECK_EQ(vm_swap_stats.pagein_ios, 1);
	CHECK_EQ(vm_swap_stats.pageins, VM_SWAP_READAROUND);
	an = anon_at(BASE);
	CHECK(an->page != NULL && (an->page->flags & VM_PG_CLEAN) && an->swslot != VM_ANON_NOSLOT);
	CHECK(anon_at(BASE + 7 * 4096)->page != NULL);
	CHECK(anon_at(BASE + 8 * 4096)->page == NULL);
	/* A read-around page is already there: no new request. */
	h_run(&s, "1 touch 0x100000001000 1 r\n");
	CHECK_EQ(vm_swap_stats.pagein_ios, 1);
	/* Evicting a clean page costs no write. */
	h_run(&s, "1 madvise 0x100000000000 0x2000 pageout\n");
	CHECK_EQ(vm_swap_stats.pageout_ios, 2);
	CHECK_EQ(vm_swap_stats.clean_drops, 2);
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

TEST(a_write_frees_the_slot_and_death_frees_the_rest)
{
	struct vm_anon *an;

	boot(8 << 20, 16 << 20, NULL);
	h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x10000 rw- private anon\n"
		  "1 write 0x100000000000 0x10000 1\n"
		  "1 madvise 0x100000000000 0x10000 pageout\n"
		  "1 touch 0x100000000000 1 r\n");
	CHECK_EQ(vm_swap_inuse(), 16);
	h_run(&s, "1 touch 0x100000000000 1 w\n");
	an = anon_at(BASE);
	CHECK(an->swslot == VM_ANON_NOSLOT && !(an->page->flags & VM_PG_CLEAN));
	CHECK_EQ(vm_swap_inuse(), 15);
	h_run(&s, "1 madvise 0x100000004000 0x4000 dontneed\n");
	CHECK_EQ(vm_swap_inuse(), 11);
	h_run(&s, "1 fork 2\n1 exit\n");
	CHECK_EQ(vm_swap_inuse(), 11); /* the child still reaches them */
	h_run(&s, "2 exec\n");
	CHECK_EQ(vm_swap_inuse(), 0);
	CHECK_EQ(vm_swap_stats.peak_inuse, 16); /* the most at once, kept */
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

TEST(a_failed_write_retires_its_slots_and_keeps_the_data)
{
	boot(8 << 20, 16 << 20, "swap-write@1");
	h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x10000 rw- private anon\n"
		  "1 write 0x100000000000 0x10000 1\n"
		  "1 madvise 0x100000000000 0x10000 pageout\n");
	CHECK_EQ(vm_swap_retired(), 16);
	CHECK_EQ(vm_swap_inuse(), 0);
	CHECK_EQ(vm_swap_stats.write_errors, 16); /* what `stat` reports */
	CHECK(anon_at(BASE)->page != NULL);
	/* The next pageout goes elsewhere and succeeds. */
	h_run(&s, "1 madvise 0x100000000000 0x10000 pageout\n");
	CHECK_EQ(vm_swap_inuse(), 16);
	CHECK(anon_at(BASE)->swslot >= 16);
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

TEST(a_failed_read_kills_only_the_process_that_needed_the_page)
{
	const char *out;

	boot(8 << 20, 16 << 20, "swap-read@1");
	h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x4000 rw- private anon\n"
		  "1 write 0x100000000000 0x4000 1\n"
		  "2 spawn\n2 mmap 0x100000000000 0x4000 rw- private anon\n"
		  "2 write 0x100000000000 0x4000 1\n"
		  "1 madvise 0x100000000000 0x4000 pageout\n"
		  "2 madvise 0x100000000000 0x4000 pageout\n");
	out = h_run(&s, "1 read 0x100000000000 0x4000\n2 read 0x100000000000 0x4000\n");
	CHECK(strstr(out, "1 killed io\n") != NULL);
	CHECK(strstr(out, "2 read 0x100000000000 0x4000 ") != NULL);
	CHECK_EQ(vm_swap_stats.read_errors, 4);
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

TEST(reclaim_pages_a_heap_four_times_ram_and_loses_nothing)
{
	const char *out, *again;
	char copy[128];

	boot(1 << 20, 16 << 20, NULL);
	out = h_run(&s, "1 spawn\n1 mmap 0x100000000000 4M rw- private anon\n"
			"1 write 0x100000000000 4M 9\n1 read 0x100000000000 4M\n");
	snprintf(copy, sizeof copy, "%s", out);
	CHECK(vm_swap_stats.pageouts > 700);
	CHECK(vm_swap_stats.pageout_ios * 8 < vm_swap_stats.pageouts); /* clusters, not pages */
	again = h_run(&s, "1 read 0x100000000000 4M\n");
	CHECK_STR(again, copy);
	CHECK(h_check(&s));
	h_run(&s, "1 exit\n");
	CHECK_EQ(vm_swap_inuse(), 0);
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

/* The smallest swap device, one page, is a swap device: its one slot
 * takes a page out and gives it back. */
TEST(a_swap_device_of_one_page_is_used)
{
	const char *out;
	char copy[128];

	boot(8 << 20, 4096, NULL);
	CHECK(vm_swap_enabled());
	CHECK_EQ(vm_swap_slots(), 1);
	out = h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x2000 rw- private anon\n"
			"1 write 0x100000000000 0x2000 5\n1 read 0x100000000000 0x2000\n");
	snprintf(copy, sizeof copy, "%s", out);
	h_run(&s, "1 madvise 0x100000000000 0x1000 pageout\n");
	CHECK_EQ(vm_swap_inuse(), 1);
	CHECK(anon_at(BASE)->page == NULL && anon_at(BASE)->swslot == 0);
	CHECK(h_check(&s));
	/* The device is full: the second page stays in memory. */
	h_run(&s, "1 madvise 0x100000001000 0x1000 pageout\n");
	CHECK(anon_at(BASE + 4096)->page != NULL);
	CHECK_STR(h_run(&s, "1 read 0x100000000000 0x2000\n"), copy);
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

/* The slot allocator lives in host memory outside the page pool (port
 * boot memory): booting a new machine gives the last one's back, so a
 * host that boots again and again (the tests, a kernel restarting its
 * VM) holds one allocator's worth, not one per boot. */
TEST(booting_again_frees_the_last_machines_slot_allocator)
{
	uint64_t held;

	boot(8 << 20, 16 << 20, NULL);
	held = sim_port_boot_bytes();
	CHECK(held > 0);
	sim_shutdown(&s);
	for (int i = 0; i < 3; i++) {
		boot(8 << 20, 16 << 20, NULL);
		CHECK_EQ(sim_port_boot_bytes(), held);
		sim_shutdown(&s);
	}
	/* A machine without swap holds no allocator. */
	boot(8 << 20, 0, NULL);
	CHECK(!vm_swap_enabled());
	CHECK(sim_port_boot_bytes() < held);
	sim_shutdown(&s);
}

/* madvise willneed reads the swapped pages of its range back ahead of
 * need (private and shared anonymous memory alike), so the accesses that
 * follow take no fault; pages before the range stay in swap. */
TEST(willneed_reads_the_range_back_from_swap)
{
	const char *before;
	char copy[256];
	struct vm_map_entry *e;

	boot(8 << 20, 16 << 20, NULL);
	before = h_run(&s, "1 spawn\n1 mmap 0x100000000000 0x10000 rw- private anon\n"
			   "1 mmap 0x100000100000 0x4000 rw- shared anon\n"
			   "1 write 0x100000000000 0x10000 1\n"
			   "1 write 0x100000100000 0x4000 2\n"
			   "1 read 0x100000000000 0x10000\n");
	snprintf(copy, sizeof copy, "%s", before);
	h_run(&s, "1 madvise 0x100000000000 0x10000 pageout\n"
		  "1 madvise 0x100000100000 0x4000 pageout\n");
	CHECK_EQ(vm_swap_inuse(), 20);
	CHECK(anon_at(BASE + 4 * 4096)->page == NULL);
	h_run(&s, "1 madvise 0x100000004000 0x4000 willneed\n"
		  "1 madvise 0x100000100000 0x4000 willneed\n");
	for (uint64_t i = 4; i < 8; i++)
		CHECK(anon_at(BASE + i * 4096)->page != NULL);
	for (uint64_t i = 0; i < 4; i++)
		CHECK(anon_at(BASE + i * 4096)->page == NULL);
	e = vm_map_lookup(h_map(&s, 1), 0x100000100000ull);
	for (uint64_t i = 0; i < 4; i++)
		CHECK(vm_amap_lookup(&e->object->anons, i, NULL)->page != NULL);
	CHECK(vm_swap_stats.pagein_ios > 0);
	CHECK(h_check(&s));
	CHECK_STR(h_run(&s, "1 read 0x100000000000 0x10000\n"), copy);
	CHECK(h_check(&s));
	sim_shutdown(&s);
}

int main(void)
{
	RUN(pageout_writes_clusters_to_contiguous_slots);
	RUN(pagein_reads_around_and_keeps_the_slot_while_clean);
	RUN(a_write_frees_the_slot_and_death_frees_the_rest);
	RUN(a_failed_write_retires_its_slots_and_keeps_the_data);
	RUN(a_failed_read_kills_only_the_process_that_needed_the_page);
	RUN(reclaim_pages_a_heap_four_times_ram_and_loses_nothing);
	RUN(a_swap_device_of_one_page_is_used);
	RUN(booting_again_frees_the_last_machines_slot_allocator);
	RUN(willneed_reads_the_range_back_from_swap);
	return check_done();
}
