/*
 * bench_pmap.c - what the reference pmap costs, in time and in frames.
 *
 * Prints, never fails:
 *   - pmap_enter ns/op into an empty pmap (tables allocated on the way)
 *     and on an existing table path; pmap_remove ns/op;
 *   - table pages per resident page for a dense layout (contiguous 64 MiB)
 *     and sparse ones (one page every 2 MiB, one every 1 GiB);
 *   - pv bytes per mapping (entry size and chunk fill);
 *   - pmap_collect ns per mapping stripped;
 *   - protect/remove over the whole user space of a sparse pmap, to show
 *     that missing subtrees are skipped whole;
 *   - TLB-hit translations per second against a plain host read loop over
 *     the same bytes in the same run.
 * Each timing is the best of a few rounds (the least disturbed one).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mvm/pmap.h"
#include "sim/cpu.h"
#include "sim/port_sim.h"

#define NFRAMES 65536 /* 256 MiB */
#define KB4 4096ull
#define MB2 (2ull << 20)
#define GB1 (1ull << 30)
#define DENSE_PAGES 16384 /* 64 MiB */
#define SPARSE_PAGES 2048
#define ROUNDS 5
#define RW (VM_PROT_READ | VM_PROT_WRITE)

static struct vm_page *pages[DENSE_PAGES];
static struct sim_cpu cpu;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

static void must(enum vm_err rc)
{
	if (rc != VM_OK) {
		fprintf(stderr, "bench_pmap: pmap_enter failed (%d)\n", (int)rc);
		exit(1);
	}
}

static void map_stride(struct pmap *pm, vaddr_t base, uint64_t stride, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		must(pmap_enter(pm, base + i * stride, pages[i % DENSE_PAGES], RW, 0));
}

static void bench_enter_remove(void)
{
	double fresh = 1e30, warm = 1e30, rm = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		struct pmap *pm = pmap_create();
		double t0 = now_ns(), t1;

		map_stride(pm, 0, KB4, DENSE_PAGES);
		t1 = now_ns();
		fresh = min_d(fresh, (t1 - t0) / DENSE_PAGES);
		pmap_remove(pm, 0, DENSE_PAGES * KB4);
		rm = min_d(rm, (now_ns() - t1) / DENSE_PAGES);

		/* One page per 2 MiB keeps the tables; time the other 511 each. */
		for (uint64_t b = 0; b < DENSE_PAGES * KB4; b += MB2)
			must(pmap_enter(pm, b, pages[0], RW, 0));
		t0 = now_ns();
		for (uint64_t b = 0; b < DENSE_PAGES * KB4; b += MB2)
			for (uint64_t v = b + KB4; v < b + MB2; v += KB4)
				must(pmap_enter(pm, v, pages[(v / KB4) % DENSE_PAGES], RW, 0));
		warm = min_d(warm, (now_ns() - t0) / (DENSE_PAGES - DENSE_PAGES / 512));
		pmap_destroy(pm);
	}
	printf("pmap_enter, empty pmap (tables allocated)  %8.1f ns/op\n", fresh);
	printf("pmap_enter, existing table path            %8.1f ns/op\n", warm);
	printf("pmap_remove, dense range                   %8.1f ns/page\n", rm);
}

static void report_layout(const char *name, uint64_t stride, uint64_t n)
{
	struct pmap *pm = pmap_create();
	struct pmap_stats st;

	map_stride(pm, 0, stride, n);
	pmap_get_stats(pm, &st);
	printf("  %-26s %6llu pages %6llu tables  %.4f tables/page\n", name,
	       (unsigned long long)st.resident, (unsigned long long)st.ptp,
	       (double)st.ptp / (double)st.resident);
	pmap_destroy(pm);
}

static void bench_layouts(void)
{
	printf("table pages per resident page (root included):\n");
	report_layout("dense 64 MiB", KB4, DENSE_PAGES);
	report_layout("one page every 2 MiB", MB2, SPARSE_PAGES);
	report_layout("one page every 1 GiB", GB1, SPARSE_PAGES);
}

static void bench_pv(void)
{
	struct pmap *pm = pmap_create();
	struct pmap_stats st;

	map_stride(pm, 0, KB4, DENSE_PAGES);
	pmap_get_stats(pm, &st);
	printf("pv: %llu entries in %llu chunk frames: %.2f bytes/mapping "
	       "(16-byte entry, chunks %.1f%% full, no in-frame header)\n",
	       (unsigned long long)st.pv_entries, (unsigned long long)st.pv_pages,
	       (double)(st.pv_pages * KB4) / (double)st.pv_entries,
	       100.0 * (double)st.pv_entries / (double)(st.pv_pages * (KB4 / 16)));
	pmap_destroy(pm);

	/* A small process: 10 mappings still pay a whole chunk. */
	pm = pmap_create();
	map_stride(pm, 0, KB4, 10);
	pmap_get_stats(pm, &st);
	printf("pv: 10 mappings: %.1f bytes/mapping (one chunk frame)\n",
	       (double)(st.pv_pages * KB4) / (double)st.pv_entries);
	pmap_destroy(pm);
}

static void bench_collect(void)
{
	double best = 1e30;
	uint64_t freed = 0;

	for (int r = 0; r < ROUNDS; r++) {
		struct pmap *pm = pmap_create();
		double t0;

		map_stride(pm, 0, KB4, DENSE_PAGES);
		t0 = now_ns();
		freed = pmap_collect(pm);
		best = min_d(best, (now_ns() - t0) / DENSE_PAGES);
		pmap_destroy(pm);
	}
	printf("pmap_collect, dense 64 MiB                 %8.1f ns/mapping (%llu frames freed)\n",
	       best, (unsigned long long)freed);
}

static void bench_sparse_ranges(void)
{
	double prot = 1e30, rm = 1e30, empty = 1e30;

	for (int r = 0; r < ROUNDS; r++) {
		struct pmap *pm = pmap_create();
		double t0;

		map_stride(pm, 0, GB1, SPARSE_PAGES);
		t0 = now_ns();
		pmap_protect(pm, 0, VM_USER_MAX, VM_PROT_READ);
		prot = min_d(prot, now_ns() - t0);
		t0 = now_ns();
		pmap_remove(pm, 0, VM_USER_MAX);
		rm = min_d(rm, now_ns() - t0);
		t0 = now_ns();
		pmap_remove(pm, 0, VM_USER_MAX);
		empty = min_d(empty, now_ns() - t0);
		pmap_destroy(pm);
	}
	printf("whole 128 TiB user range, %d pages 1 GiB apart:\n", SPARSE_PAGES);
	printf("  pmap_protect %10.0f ns (%.1f ns/page)\n", prot, prot / SPARSE_PAGES);
	printf("  pmap_remove  %10.0f ns (%.1f ns/page)\n", rm, rm / SPARSE_PAGES);
	printf("  pmap_remove of the now empty pmap: %.0f ns\n", empty);
}

#define TLB_PAGES 64
#define TLB_ITERS 50000000ull

static void bench_tlb(void)
{
	struct pmap *pm = pmap_create();
	uint8_t *host = aligned_alloc(KB4, TLB_PAGES * KB4);
	enum sim_fault f;
	uint64_t sum_sim = 0, sum_host = 0;
	double t_sim = 1e30, t_host = 1e30;

	for (uint64_t i = 0; i < TLB_PAGES * KB4; i++)
		host[i] = (uint8_t)i;
	for (uint64_t i = 0; i < TLB_PAGES; i++) {
		must(pmap_enter(pm, i * KB4, pages[i], RW, 0));
		memcpy(vm_page_data(pages[i]), host + i * KB4, KB4);
	}
	pmap_activate(pm);
	sim_cpu_switch(&cpu, pmap_root_pa(pm), pmap_asid(pm));
	for (uint64_t i = 0; i < TLB_PAGES; i++)
		sim_cpu_translate(&cpu, i * KB4, false, &f);

	for (int r = 0; r < 3; r++) {
		double t0 = now_ns();

		/* Stride 64 bytes plus a page-crossing step: every access is a TLB hit. */
		for (uint64_t i = 0; i < TLB_ITERS; i++) {
			uint64_t va = (i * 4160) & (TLB_PAGES * KB4 - 1);
			uint8_t *p = sim_cpu_translate(&cpu, va, false, &f);

			sum_sim += *p;
		}
		t_sim = min_d(t_sim, now_ns() - t0);
		t0 = now_ns();
		for (uint64_t i = 0; i < TLB_ITERS; i++) {
			uint64_t va = (i * 4160) & (TLB_PAGES * KB4 - 1);

			sum_host += *(volatile uint8_t *)&host[va];
		}
		t_host = min_d(t_host, now_ns() - t0);
	}
	printf("TLB-hit translate + read: %.1f M/s; host read loop: %.1f M/s (%.2fx slower), "
	       "misses during run: %llu, checksums %s\n",
	       TLB_ITERS / t_sim * 1e3, TLB_ITERS / t_host * 1e3, t_sim / t_host,
	       (unsigned long long)(cpu.tlb_misses - TLB_PAGES),
	       sum_sim == sum_host ? "agree" : "DIFFER");
	free(host);
	pmap_destroy(pm);
}

int main(void)
{
	uint8_t *ram = aligned_alloc(KB4, (size_t)NFRAMES * KB4);

	if (ram == NULL || vm_page_boot(ram, NFRAMES) != VM_OK) {
		fprintf(stderr, "bench_pmap: cannot boot RAM\n");
		return 1;
	}
	pmap_init();
	sim_cpu_init(&cpu, ram, NFRAMES);
	sim_port_set_cpu(&cpu);
	for (int i = 0; i < DENSE_PAGES; i++)
		pages[i] = vm_page_alloc(VM_PAGE_ANON);

	bench_enter_remove();
	bench_layouts();
	bench_pv();
	bench_collect();
	bench_sparse_ranges();
	bench_tlb();
	sim_port_set_cpu(NULL);
	free(ram);
	return 0;
}
