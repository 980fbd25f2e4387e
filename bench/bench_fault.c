/*
 * bench_fault.c - what a memory access costs a simulated process: a
 * zero-fill fault, a copy-on-write fault, and a TLB hit.  Prints figures;
 * never fails on time.
 *
 * Each cost is set against the host operation that does the same work
 * without a VM system in the way, so the ratio is the overhead of mvm's
 * bookkeeping (and of simulating an MMU in software):
 *
 *   zero-fill  a process maps N fresh private anonymous pages and writes
 *              one byte per page (`touch w`): each access misses the TLB,
 *              walks the tables, faults, vm_fault zero-fills an anon page
 *              and pmap_enters it, and the access retries.  Peers: the
 *              host's memset of 4 KiB over N distinct pre-touched pages
 *              (the zeroing alone; target at most 2x), and the host's own
 *              first-touch fault (mmap N pages, write a byte to each).
 *   COW        a process with N written pages forks and the child writes
 *              one byte per page: each a copy-on-write fault (the first
 *              also copies the amap path).  Peer: memcpy of 4 KiB over N
 *              distinct pages (target at most 2x).
 *   TLB hit    translations per second through sim_cpu_translate() over
 *              a hot set of pages that fits the TLB, against the host
 *              reading one byte per translation from a buffer with the
 *              same pattern.  This is the floor under every replayed
 *              access.
 *
 * N = 16384 pages (64 MiB), on a 512 MiB machine so that nothing is
 * reclaimed.  Processes and regions are set up with trace lines; between
 * repetitions the region is mapped afresh (zero-fill) or the child exits
 * (COW), outside the timed part.
 */
#include <stdio.h>

#include "bench_common.h"

#define FAULT_RAM (512ull << 20)
#define FAULT_RAM_QUICK (64ull << 20)
#define FAULT_NPAGES 16384ull
#define FAULT_NPAGES_QUICK 256ull
#define HOT_PAGES 64ull                  /* fits the 256-entry TLB, one slot each */
#define HOT_TRANSLATIONS (1ull << 25)
#define HOT_TRANSLATIONS_QUICK (1ull << 12)

static uint64_t npages;

/* ---- zero-fill ---- */

static double sim_zero_fill_ns(struct sim *s)
{
	struct trace_op map, touch;
	double best = -1;

	bench_parse(&map, "1 mmap 0x%llx %llu rw- private anon", BENCH_BASE, npages * BENCH_PAGE);
	bench_parse(&touch, "1 touch 0x%llx %llu w", BENCH_BASE, npages * BENCH_PAGE);
	bench_do(s, "1 spawn");
	for (int rep = 0; rep < bench_reps(5); rep++) {
		bench_exec(s, &map); /* replaces the last round's pages */
		bench_keep_min(&best, bench_exec(s, &touch));
	}
	bench_check(s);
	bench_do(s, "1 exit");
	return best / (double)npages;
}

static double host_memset_ns(void)
{
	uint8_t *buf = bench_host_map(npages);
	double best = -1;

	memset(buf, 1, npages * BENCH_PAGE);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		double t0 = bench_now_ns();

		for (uint64_t i = 0; i < npages; i++)
			memset(buf + i * BENCH_PAGE, rep, BENCH_PAGE);
		bench_keep_min(&best, bench_now_ns() - t0);
		(void)*(volatile uint8_t *)(buf + (npages - 1) * BENCH_PAGE);
	}
	bench_host_unmap(buf, npages);
	return best / (double)npages;
}

static double host_first_touch_ns(void)
{
	double best = -1;

	for (int rep = 0; rep < bench_reps(5); rep++) {
		uint8_t *buf = bench_host_map(npages);
		double t0 = bench_now_ns();

		bench_host_touch(buf, npages, 1);
		bench_keep_min(&best, bench_now_ns() - t0);
		bench_host_unmap(buf, npages);
	}
	return best / (double)npages;
}

/* ---- copy-on-write ---- */

static double sim_cow_ns(struct sim *s)
{
	struct trace_op child_touch;
	double best = -1;

	bench_parse(&child_touch, "2 touch 0x%llx %llu w", BENCH_BASE, npages * BENCH_PAGE);
	bench_do(s, "1 spawn");
	bench_do(s, "1 mmap 0x%llx %llu rw- private anon", BENCH_BASE, npages * BENCH_PAGE);
	bench_do(s, "1 write 0x%llx %llu 7", BENCH_BASE, npages * BENCH_PAGE);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		bench_do(s, "1 fork 2");
		sim_proc_run(s, sim_proc_find(s, 2)); /* the context switch is not the fault */
		bench_keep_min(&best, bench_exec(s, &child_touch));
		if (rep == 0)
			bench_check(s);
		bench_do(s, "2 exit");
	}
	bench_do(s, "1 exit");
	return best / (double)npages;
}

static double host_memcpy_ns(void)
{
	uint8_t *src = bench_host_map(npages), *dst = bench_host_map(npages);
	double best = -1;

	memset(src, 3, npages * BENCH_PAGE);
	memset(dst, 1, npages * BENCH_PAGE);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		double t0 = bench_now_ns();

		for (uint64_t i = 0; i < npages; i++)
			memcpy(dst + i * BENCH_PAGE, src + i * BENCH_PAGE, BENCH_PAGE);
		bench_keep_min(&best, bench_now_ns() - t0);
		(void)*(volatile uint8_t *)(dst + (npages - 1) * BENCH_PAGE);
	}
	bench_host_unmap(src, npages);
	bench_host_unmap(dst, npages);
	return best / (double)npages;
}

/* ---- TLB hits ---- */

/*
 * The byte of access I: page I mod 64 of the hot set, in a different cache
 * line of each page (line = page number), so that the 64 lines sit in 64
 * different L1 sets instead of all aliasing to one, and the loop measures
 * translation rather than L1 conflicts.
 */
static inline uint64_t hot_offset(uint64_t i)
{
	uint64_t page = i & (HOT_PAGES - 1);

	return page << 12 | page << 6 | ((i >> 6) & 0x38);
}

static double sim_tlb_hit_rate(struct sim *s, uint64_t count)
{
	double best = -1;
	uint64_t sum = 0;

	bench_do(s, "1 spawn");
	bench_do(s, "1 mmap 0x%llx %llu rw- private anon", BENCH_BASE, HOT_PAGES * BENCH_PAGE);
	bench_do(s, "1 write 0x%llx %llu 9", BENCH_BASE, HOT_PAGES * BENCH_PAGE);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		uint64_t misses = s->cpu.tlb_misses;
		double t0 = bench_now_ns();

		for (uint64_t i = 0; i < count; i++) {
			enum sim_fault fault;
			uint8_t *p = sim_cpu_translate(&s->cpu, BENCH_BASE + hot_offset(i), false, &fault);

			if (p == NULL)
				bench_die("a hot page faulted");
			sum += *p;
		}
		bench_keep_min(&best, bench_now_ns() - t0);
		if (s->cpu.tlb_misses - misses > HOT_PAGES)
			bench_die("the hot set does not stay in the TLB");
	}
	*(volatile uint64_t *)&sum = sum;
	bench_do(s, "1 exit");
	return (double)count / best * 1e9;
}

static double host_read_rate(uint64_t count)
{
	uint8_t *buf = bench_host_map(HOT_PAGES);
	double best = -1;
	uint64_t sum = 0;

	memset(buf, 9, HOT_PAGES * BENCH_PAGE);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		double t0 = bench_now_ns();

		for (uint64_t i = 0; i < count; i++)
			sum += ((volatile uint8_t *)buf)[hot_offset(i)];
		bench_keep_min(&best, bench_now_ns() - t0);
	}
	*(volatile uint64_t *)&sum = sum;
	bench_host_unmap(buf, HOT_PAGES);
	return (double)count / best * 1e9;
}

int main(void)
{
	static struct sim s;
	uint64_t hot = bench_quick() ? HOT_TRANSLATIONS_QUICK : HOT_TRANSLATIONS;
	double zf, cow, tlb;

	npages = bench_quick() ? FAULT_NPAGES_QUICK : FAULT_NPAGES;
	bench_boot(&s, bench_quick() ? FAULT_RAM_QUICK : FAULT_RAM);
	zf = sim_zero_fill_ns(&s);
	cow = sim_cow_ns(&s);
	tlb = sim_tlb_hit_rate(&s, hot);
	bench_note_reclaim();
	sim_shutdown(&s);

	bench_label("zero-fill fault, %llu pages, one byte written per page: mvm (TLB miss, "
		    "vm_fault, zero-fill, pmap_enter, retry) vs host memset of 4 KiB per page",
		    (unsigned long long)npages);
	bench_figure(zf, "ns/page", host_memset_ns(), "ns/page", "<= 2x");
	bench_label("zero-fill fault vs the host's own first-touch fault (mmap, write a "
		    "byte per page; kernel fault + zeroing, 4 KiB pages)");
	bench_figure(zf, "ns/page", host_first_touch_ns(), "ns/page", "none");
	bench_label("copy-on-write fault, child of a fork writes one byte on each of %llu "
		    "pages: mvm vs host memcpy of 4 KiB per page", (unsigned long long)npages);
	bench_figure(cow, "ns/page", host_memcpy_ns(), "ns/page", "<= 2x");
	bench_label("TLB-hit translations per second, %llu hot pages: mvm sim_cpu_translate "
		    "+ read a byte vs host read of a byte, same pattern", HOT_PAGES);
	bench_figure(tlb / 1e6, "M/s", host_read_rate(hot) / 1e6, "M/s", "none");
	return 0;
}
