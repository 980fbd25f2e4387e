/*
 * bench_swap.c - what paging costs: pageout and pagein throughput in pages
 * per second of host CPU, the average write cluster, and the metadata a
 * swapped-out anonymous page costs.  Prints figures; never fails on time.
 *
 *   pageout   a process writes N pages, then `madvise pageout` sends them
 *             all to swap: the daemon's clustering, the slot allocator,
 *             unmapping, and the real writes to the host swap file.  Host
 *             peer: pwrite() of the same bytes to a host file in 128 KiB
 *             requests (what the simulator's device does underneath).
 *   pagein    the process touches the pages back in: a fault, a read of the
 *             page and its read-around neighbours, and a mapping per page.
 *             Host peer: pread() of the same bytes.
 *   metadata  bytes of core metadata per swapped-out anonymous page: the
 *             anon (16 B) and its share of amap nodes, plus the slot
 *             allocator's bits.  Target at most 32 B; UVM spends about 50
 *             (anon plus amap slot).
 *
 * Simulated device time is not host time: these are CPU costs of the VM
 * and of moving real bytes, not what the modelled disk would take.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "bench_common.h"
#include "mvm/vm_kmem.h"
#include "sim/dev.h"
#include "vm/amap.h"
#include "vm/anon.h"
#include "vm/swap.h"

#define SWAP_PAGES 16384ull        /* 64 MiB written and swapped */
#define SWAP_PAGES_QUICK 512ull

static void boot_with_swap(struct sim *s, uint64_t npages)
{
	struct sim_config cfg = {.ram_bytes = 2 * npages * BENCH_PAGE + (16ull << 20)};
	char err[256];

	sim_dev_config_defaults(&cfg.dev);
	cfg.dev.swap_bytes = 4 * npages * BENCH_PAGE;
	if (!sim_boot(s, &cfg, err, sizeof err))
		bench_die("sim_boot: %s", err);
	s->report = stderr;
	bench_populate(s->ram, s->ram_bytes);
}

/* Host peer: the same bytes through pwrite/pread of a host file. */
static void host_file_io(uint64_t npages, double *write_ns, double *read_ns)
{
	char path[] = "/tmp/mvm-bench-swap-XXXXXX";
	int fd = mkstemp(path);
	uint64_t chunk = 32 * BENCH_PAGE;
	uint8_t *buf = bench_host_map(32);
	double t0;

	if (fd < 0)
		bench_die("mkstemp failed");
	unlink(path);
	bench_host_touch(buf, 32, 7);
	t0 = bench_now_ns();
	for (uint64_t off = 0; off < npages * BENCH_PAGE; off += chunk)
		if (pwrite(fd, buf, chunk, (off_t)off) != (ssize_t)chunk)
			bench_die("pwrite failed");
	*write_ns = bench_now_ns() - t0;
	t0 = bench_now_ns();
	for (uint64_t off = 0; off < npages * BENCH_PAGE; off += chunk)
		if (pread(fd, buf, chunk, (off_t)off) != (ssize_t)chunk)
			bench_die("pread failed");
	*read_ns = bench_now_ns() - t0;
	close(fd);
	bench_host_unmap(buf, 32);
}

int main(void)
{
	uint64_t n = bench_quick() ? SWAP_PAGES_QUICK : SWAP_PAGES;
	double out_ns, in_ns, host_w, host_r, meta;
	struct sim s;

	host_file_io(n, &host_w, &host_r);
	boot_with_swap(&s, n);
	bench_do(&s, "1 spawn");
	bench_do(&s, "1 mmap 0x%llx 0x%llx rw- private anon", BENCH_BASE, n * BENCH_PAGE);
	bench_do(&s, "1 write 0x%llx 0x%llx 1", BENCH_BASE, n * BENCH_PAGE);
	out_ns = bench_do(&s, "1 madvise 0x%llx 0x%llx pageout", BENCH_BASE, n * BENCH_PAGE);
	meta = (double)(vm_kmem_cache_bytes(&vm_anon_cache) + vm_kmem_cache_bytes(&vm_amap_node_cache) +
			vm_swap_meta_bytes()) / (double)vm_swap_inuse();

	bench_label("pageout throughput, madvise pageout of %llu written pages (host peer: pwrite)",
		    (unsigned long long)n);
	bench_figure((double)n / (out_ns / 1e9), "pages/s", (double)n / (host_w / 1e9), "pages/s",
		     "none");
	bench_label("average write cluster");
	bench_figure((double)vm_swap_stats.pageouts / (double)vm_swap_stats.pageout_ios, "pages", 0,
		     NULL, "none");

	in_ns = bench_do(&s, "1 touch 0x%llx 0x%llx r", BENCH_BASE, n * BENCH_PAGE);
	bench_label("pagein throughput, touching the pages back in (host peer: pread)");
	bench_figure((double)n / (in_ns / 1e9), "pages/s", (double)n / (host_r / 1e9), "pages/s",
		     "none");
	bench_label("pages read per pagein request (read-around)");
	bench_figure((double)vm_swap_stats.pageins / (double)vm_swap_stats.pagein_ios, "pages", 0,
		     NULL, "none");
	bench_label("metadata per swapped-out anonymous page (anon + amap + slot bits; UVM ~50 B)");
	bench_figure(meta, "B", 0, NULL, "<= 32 B");
	bench_check(&s);
	sim_shutdown(&s);
	return 0;
}
