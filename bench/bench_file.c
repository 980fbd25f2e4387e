/*
 * bench_file.c - what the page cache costs: pread and pwrite throughput,
 * file faults, and writeback.  Prints figures; never fails on time.
 *
 * One file of N pages (`file bench`), a real host file in the simulator's
 * file table.  Each figure is set against the host doing the same trace
 * operation on that same host file, in the same run, with no VM system in
 * the way: the ratio is what the cache, the pager messages and the
 * simulated MMU cost on top of moving the bytes.
 *
 *   pread      `1 pread bench 0 SIZE`: the bytes through the cache into
 *              the FNV-1a hash the output line prints.  Cold: the cache
 *              was just emptied (`file` rewrote the file), so every page
 *              comes by data_request (read-ahead while memory is
 *              plentiful); warm: every page is cached.  Peer: the host's
 *              pread() of the whole file and the same hash.
 *   pwrite     `1 pwrite bench 0 SIZE SEED`: the pattern into cached
 *              pages, which become dirty.  Cold: no page cached (whole
 *              pages are overwritten, so none is read); warm: every page
 *              cached and clean.  The dirty bound is all of RAM, so no
 *              writer waits; a third figure sets it to a quarter of the
 *              file, so the pwrite waits for writeback and pays for it.
 *              Peer: the host filling the same pattern and pwrite().
 *   faults     `1 touch ADDR SIZE r` over a fresh shared mapping of the
 *              file: a read fault per page, on cached pages and on an
 *              uncached file (data_request with read-ahead).  Peer: the
 *              host's own read faults on a fresh MAP_SHARED mapping of
 *              the file, whose pages are in the host's page cache either
 *              way (the pager reads them from there too).  Both map up
 *              to 16 cached pages per fault (fault-around), so the
 *              figures are per page touched, not per fault taken.
 *   writeback  `1 msync ADDR SIZE` after a store to every page of the
 *              shared mapping: clusters of dirty pages by data_return
 *              (at most 8 in flight), their bytes written to the host
 *              file.  Pages per second of host CPU, and the pages per
 *              data_return.  Peer: the host's pwrite() of the same bytes
 *              in clusters of PORT_IO_MAX_PAGES.
 *
 * The pager is instant (a zeroed device model): simulated time is not
 * measured here, only the host CPU the VM and the real I/O take.  The
 * host peers run first, while the host file still holds exactly the
 * pattern `file` wrote (the peers' writes rewrite those same bytes), so
 * that they change nothing the simulator sees.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench_common.h"
#include "trace/trace.h"
#include "vm/file.h"
#include "vm/object.h"

#define FILE_PAGES 8192ull          /* 32 MiB */
#define FILE_PAGES_QUICK 256ull
#define FILE_SEED 7
#define WRITE_SEED 9
#define MAP_BASE BENCH_BASE

static uint64_t npages, nbytes;

/* ---- the simulated side ---- */

static void boot(struct sim *s)
{
	struct sim_config cfg = {.ram_bytes = 4 * nbytes + (32ull << 20)};
	char err[256];

	/* No writer waits: the whole RAM may be dirty. */
	cfg.files.dirty_max = 100;
	cfg.files.dirty_max_percent = true;
	if (!sim_boot(s, &cfg, err, sizeof err))
		bench_die("sim_boot: %s", err);
	s->report = stderr;
	bench_populate(s->ram, s->ram_bytes);
}

/* Rewrites the file from the host: the cache is emptied (outside timing). */
static void drop_cache(struct sim *s)
{
	bench_do(s, "file bench %llu %d", (unsigned long long)nbytes, FILE_SEED);
}

/* Runs the whole-file pread; its one output line is the expected one. */
static double sim_pread_ns(struct sim *s)
{
	static struct trace_events out;
	struct trace_op op;
	struct sim_result res;
	double t0, t1;

	bench_parse(&op, "1 pread bench 0 %llu", (unsigned long long)nbytes);
	trace_events_clear(&out);
	t0 = bench_now_ns();
	sim_exec(s, &op, &out, &res);
	t1 = bench_now_ns();
	if (out.n != 1 || out.ev[0].kind != TEV_PREAD || out.ev[0].len != nbytes)
		bench_die("the pread did not read the whole file");
	return t1 - t0;
}

static double sim_pwrite_ns(struct sim *s)
{
	return bench_do(s, "1 pwrite bench 0 %llu %d", (unsigned long long)nbytes, WRITE_SEED);
}

static double mb_per_s(double ns)
{
	return (double)nbytes / 1e6 / (ns / 1e9);
}

struct file_figures {
	double pread_cold, pread_warm, pwrite_cold, pwrite_warm, pwrite_bound;
	double request_pages;        /* pages per data_request, cold pread */
	double bound_throttled;      /* writers throttled in the bounded pwrite */
	double fault_cached, fault_cold, fault_cold_request_pages;
	double writeback_pages_s, cluster;
};

static void measure_pread(struct sim *s, struct file_figures *f)
{
	double cold = -1, warm = -1;
	uint64_t req = 0, pages = 0;

	for (int rep = 0; rep < bench_reps(5); rep++) {
		drop_cache(s);
		req -= vm_file_stats.requests;
		pages -= vm_file_stats.request_pages;
		bench_keep_min(&cold, sim_pread_ns(s));
		req += vm_file_stats.requests;
		pages += vm_file_stats.request_pages;
		bench_keep_min(&warm, sim_pread_ns(s));
	}
	f->pread_cold = mb_per_s(cold);
	f->pread_warm = mb_per_s(warm);
	f->request_pages = req ? (double)pages / (double)req : 0;
}

static void measure_pwrite(struct sim *s, struct file_figures *f)
{
	double cold = -1, warm = -1, bound = -1;
	uint64_t throttled = 0;
	int reps = bench_reps(5);

	for (int rep = 0; rep < reps; rep++) {
		drop_cache(s);
		bench_keep_min(&cold, sim_pwrite_ns(s));
		drop_cache(s);
		sim_pread_ns(s);
		bench_keep_min(&warm, sim_pwrite_ns(s));
	}
	vm_file_configure(&(struct vm_file_config){.dirty_max = npages / 4});
	for (int rep = 0; rep < reps; rep++) {
		drop_cache(s);
		sim_pread_ns(s);
		throttled -= vm_file_stats.throttled;
		bench_keep_min(&bound, sim_pwrite_ns(s));
		throttled += vm_file_stats.throttled;
	}
	vm_file_configure(&(struct vm_file_config){.dirty_max = s->nframes});
	drop_cache(s);
	f->pwrite_cold = mb_per_s(cold);
	f->pwrite_warm = mb_per_s(warm);
	f->pwrite_bound = mb_per_s(bound);
	f->bound_throttled = (double)throttled / reps;
}

/* A fresh shared mapping of the file (replacing the last one). */
static void map_file(struct sim *s, const char *prot)
{
	bench_do(s, "1 mmap 0x%llx %llu %s shared file bench 0", MAP_BASE, (unsigned long long)nbytes,
		 prot);
}

static double touch_ns(struct sim *s)
{
	return bench_do(s, "1 touch 0x%llx %llu r", MAP_BASE, (unsigned long long)nbytes);
}

static void measure_faults(struct sim *s, struct file_figures *f)
{
	double cached = -1, cold = -1;
	uint64_t req = 0, pages = 0;

	for (int rep = 0; rep < bench_reps(5); rep++) {
		drop_cache(s);
		map_file(s, "r--");
		req -= vm_file_stats.requests;
		pages -= vm_file_stats.request_pages;
		bench_keep_min(&cold, touch_ns(s));
		req += vm_file_stats.requests;
		pages += vm_file_stats.request_pages;
		map_file(s, "r--");
		bench_keep_min(&cached, touch_ns(s));
	}
	bench_do(s, "1 munmap 0x%llx %llu", MAP_BASE, (unsigned long long)nbytes);
	f->fault_cached = cached / (double)npages;
	f->fault_cold = cold / (double)npages;
	f->fault_cold_request_pages = req ? (double)pages / (double)req : 0;
}

static void measure_writeback(struct sim *s, struct file_figures *f)
{
	double best = -1;
	uint64_t returns = 0, pages = 0;

	drop_cache(s);
	map_file(s, "rw-");
	for (int rep = 0; rep < bench_reps(5); rep++) {
		bench_do(s, "1 write 0x%llx %llu %d", MAP_BASE, (unsigned long long)nbytes,
			 WRITE_SEED + rep);
		returns -= vm_file_stats.returns;
		pages -= vm_file_stats.return_pages;
		bench_keep_min(&best, bench_do(s, "1 msync 0x%llx %llu", MAP_BASE,
					       (unsigned long long)nbytes));
		returns += vm_file_stats.returns;
		pages += vm_file_stats.return_pages;
		if (vm_file_stats.dirty != 0)
			bench_die("msync left %llu pages dirty", (unsigned long long)vm_file_stats.dirty);
	}
	bench_do(s, "1 munmap 0x%llx %llu", MAP_BASE, (unsigned long long)nbytes);
	f->writeback_pages_s = (double)npages / (best / 1e9);
	f->cluster = returns ? (double)pages / (double)returns : 0;
}

/* ---- the host peers, on the same host file ---- */

struct host_figures {
	double pread, pwrite, fault, writeback_pages_s;
};

static int host_fd(void)
{
	struct vm_object *obj = sim_files_object("bench");
	uint64_t generation;
	int fd;

	if (obj == NULL || !sim_files_host(obj->handle, &fd, &generation))
		bench_die("no host file behind \"bench\"");
	return fd;
}

static void host_pread_all(int fd, uint8_t *buf, uint64_t len, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pread(fd, buf + done, len - done, (off_t)(off + done));

		if (n <= 0)
			bench_die("host pread failed");
		done += (uint64_t)n;
	}
}

static void host_pwrite_all(int fd, const uint8_t *buf, uint64_t len, uint64_t off)
{
	for (uint64_t done = 0; done < len;) {
		ssize_t n = pwrite(fd, buf + done, len - done, (off_t)(off + done));

		if (n <= 0)
			bench_die("host pwrite failed");
		done += (uint64_t)n;
	}
}

/* pread + hash, and pattern + pwrite (the file's own pattern: no change). */
static void host_file_io(int fd, uint8_t *buf, struct host_figures *h)
{
	double rd = -1, wr = -1, t0;
	volatile uint64_t sink;

	for (int rep = 0; rep < bench_reps(5); rep++) {
		t0 = bench_now_ns();
		host_pread_all(fd, buf, nbytes, 0);
		sink = trace_fnv1a(TRACE_FNV_OFFSET, buf, nbytes);
		bench_keep_min(&rd, bench_now_ns() - t0);
		t0 = bench_now_ns();
		trace_pattern_fill(FILE_SEED, 0, buf, nbytes);
		host_pwrite_all(fd, buf, nbytes, 0);
		bench_keep_min(&wr, bench_now_ns() - t0);
	}
	(void)sink;
	h->pread = mb_per_s(rd);
	h->pwrite = mb_per_s(wr);
}

/* One byte read per page of a fresh MAP_SHARED mapping of the host file. */
static void host_faults(int fd, struct host_figures *h)
{
	double best = -1;

	for (int rep = 0; rep < bench_reps(5); rep++) {
		volatile uint8_t *p = mmap(NULL, nbytes, PROT_READ, MAP_SHARED, fd, 0);
		uint64_t sum = 0;
		double t0;

		if (p == (volatile uint8_t *)MAP_FAILED)
			bench_die("cannot map the host file");
		t0 = bench_now_ns();
		for (uint64_t i = 0; i < npages; i++)
			sum += p[i * BENCH_PAGE];
		bench_keep_min(&best, bench_now_ns() - t0);
		munmap((void *)p, nbytes);
		if (sum == 1)
			putchar(' '); /* keeps the loads */
	}
	h->fault = best / (double)npages;
}

/* pwrite of the file's bytes in clusters of PORT_IO_MAX_PAGES pages. */
static void host_writeback(int fd, const uint8_t *buf, struct host_figures *h)
{
	uint64_t chunk = PORT_IO_MAX_PAGES * BENCH_PAGE;
	double best = -1;

	for (int rep = 0; rep < bench_reps(5); rep++) {
		double t0 = bench_now_ns();

		for (uint64_t off = 0; off < nbytes; off += chunk)
			host_pwrite_all(fd, buf + off, nbytes - off < chunk ? nbytes - off : chunk, off);
		bench_keep_min(&best, bench_now_ns() - t0);
	}
	h->writeback_pages_s = (double)npages / (best / 1e9);
}

static void measure_host(struct host_figures *h)
{
	int fd = host_fd();
	uint8_t *buf = bench_host_map(npages);

	host_file_io(fd, buf, h);
	host_faults(fd, h);
	host_writeback(fd, buf, h);
	bench_host_unmap(buf, npages);
}

/* ---- the report ---- */

static void report(const struct file_figures *f, const struct host_figures *h)
{
	unsigned long long mib = (unsigned long long)(nbytes >> 20), kib = nbytes >> 10;

	bench_label("pread, cold: %llu KiB from the pager into an empty cache, %.1f pages per "
		    "data_request (host peer: pread + hash)", kib, f->request_pages);
	bench_figure(f->pread_cold, "MB/s", h->pread, "MB/s", "none");
	bench_label("pread, warm: %llu KiB, every page cached (host peer: pread + hash)", kib);
	bench_figure(f->pread_warm, "MB/s", h->pread, "MB/s", "none");
	bench_label("pwrite, cold: %llu KiB of whole pages into an empty cache, none read "
		    "(host peer: pattern + pwrite)", kib);
	bench_figure(f->pwrite_cold, "MB/s", h->pwrite, "MB/s", "none");
	bench_label("pwrite, warm: %llu KiB over cached clean pages (host peer: pattern + pwrite)",
		    kib);
	bench_figure(f->pwrite_warm, "MB/s", h->pwrite, "MB/s", "none");
	bench_label("pwrite, warm, dirty bound a quarter of the file: the writer waited %.0f times "
		    "for writeback (host peer: pattern + pwrite)", f->bound_throttled);
	bench_figure(f->pwrite_bound, "MB/s", h->pwrite, "MB/s", "none");
	bench_label("read fault on a shared file mapping, page cached, %llu pages (host peer: "
		    "read fault on a MAP_SHARED host mapping, with fault-around)",
		    (unsigned long long)npages);
	bench_figure(f->fault_cached, "ns/page", h->fault, "ns/page", "none");
	bench_label("read fault on a shared file mapping, page not cached: data_request of %.1f "
		    "pages (read-ahead) (host peer: as above)", f->fault_cold_request_pages);
	bench_figure(f->fault_cold, "ns/page", h->fault, "ns/page", "none");
	bench_label("writeback: msync of %llu MiB dirtied through a shared mapping, pages/s of "
		    "CPU (host peer: pwrite in %d-page clusters)", mib, PORT_IO_MAX_PAGES);
	bench_figure(f->writeback_pages_s, "pages/s", h->writeback_pages_s, "pages/s", "none");
	bench_label("writeback cluster: pages per data_return");
	bench_figure(f->cluster, "pages", 0, NULL, "none");
}

int main(void)
{
	struct file_figures f;
	struct host_figures h;
	struct sim s;

	npages = bench_quick() ? FILE_PAGES_QUICK : FILE_PAGES;
	nbytes = npages * BENCH_PAGE;
	boot(&s);
	drop_cache(&s);
	bench_do(&s, "1 spawn");
	measure_host(&h);
	measure_pread(&s, &f);
	measure_pwrite(&s, &f);
	measure_faults(&s, &f);
	measure_writeback(&s, &f);
	bench_check(&s);
	bench_note_reclaim();
	report(&f, &h);
	sim_shutdown(&s);
	return 0;
}
