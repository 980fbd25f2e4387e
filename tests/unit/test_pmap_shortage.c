/*
 * test_pmap_shortage.c - a pmap that never panics: table pages freed on
 * every path, shortage survived.
 *
 * The two failures of NetBSD's 1998 pmaps, tested through the whole
 * machine (trace operations, the fault handler, the page daemon):
 *
 *   - table pages are freed exactly when they empty, on every path that
 *     removes mappings: munmap, madvise dontneed (Linux keeps those
 *     tables; mvm does not), pageout, exec and exit, cascading up the
 *     levels.  After every operation the pmap's table pages must equal
 *     the minimum its valid PTEs need, counted here independently from
 *     the PTEs themselves;
 *   - shortage is survivable: on a tiny machine full of table pages and
 *     pv chunks, pmap_enter fails for want of both, the fault handler
 *     reclaims and retries, the OOM killer acts only when a process wants
 *     more data than the machine has, and the reference model agrees
 *     with every output line; with injection, every table-page and
 *     pv-chunk allocation of a trace fails in turn and the output does
 *     not change;
 *   - the page daemon collects an idle process's pmap first: its table
 *     pages and pv chunks go back, and its data is intact when it runs
 *     again.
 */
#include "sim_helpers.h"
#include "mvm/pmap.h"
#include "sim/inject.h"
#include "vm/pagedaemon.h"
#include "model/verify.h"

#define B 0x100000000000ull
#define KB4 4096ull
#define MB2 (2ull << 20)
#define GB1 (1ull << 30)

static struct sim sim;

/* Boots with SWAP bytes of swap (0: none) and OP_COST ns per operation. */
static void boot(uint64_t ram, uint64_t swap, uint64_t op_cost)
{
	struct sim_config cfg = {.ram_bytes = ram};

	cfg.dev.swap_bytes = swap;
	cfg.dev.op_cost_ns = op_cost;
	h_boot_config(&sim, &cfg);
}

static struct pmap *pm_of(uint64_t pid)
{
	return vm_map_pmap(h_map(&sim, pid));
}

static struct pmap_stats stats_of(uint64_t pid)
{
	struct pmap_stats st;

	pmap_get_stats(pm_of(pid), &st);
	return st;
}

/* ---- the minimum, counted from the valid PTEs ---- */

struct min_count {
	uint64_t n;
	vaddr_t last[3]; /* last 2 MiB, 1 GiB, 512 GiB span seen (+1; 0: none) */
};

static void count_spans(void *arg, vaddr_t va, pt_entry_t pte)
{
	static const unsigned shift[3] = {21, 30, 39};
	struct min_count *c = arg;

	(void)pte;
	for (int i = 0; i < 3; i++) {
		if (c->last[i] != (va >> shift[i]) + 1) {
			c->last[i] = (va >> shift[i]) + 1;
			c->n++;
		}
	}
}

/* Table pages the valid PTEs of PM need: one per distinct 2 MiB, 1 GiB
 * and 512 GiB span holding one (the walk is in address order), and the
 * root. */
static uint64_t min_tables(const struct pmap *pm)
{
	struct min_count c = {.n = 1};

	pmap_walk(pm, count_spans, &c);
	return c.n;
}

/* PID's pmap holds exactly the minimum, and every invariant holds. */
static bool at_minimum(uint64_t pid)
{
	uint64_t held = stats_of(pid).ptp, need = min_tables(pm_of(pid));

	if (held != need)
		fprintf(stderr, "  process %llu holds %llu table pages, needs %llu\n",
			(unsigned long long)pid, (unsigned long long)held, (unsigned long long)need);
	return held == need && h_check(&sim);
}

/* One small write in each of N 2 MiB regions from VA (a leaf table each). */
static void write_regions(uint64_t pid, uint64_t va, unsigned n, uint64_t stride)
{
	for (unsigned i = 0; i < n; i++)
		h_runf(&sim, "%llu write 0x%llx 64 %u\n", (unsigned long long)pid,
		       (unsigned long long)(va + i * stride), i + 1);
}

/* The sparse layout of the first tests: 8 regions in the first GiB, one
 * page in each of 3 further GiBs, one page in another 512 GiB slot. */
static void sparse_layout(uint64_t pid)
{
	h_runf(&sim, "%llu mmap 0x%llx 4G rw- private anon\n"
		     "%llu mmap 0x200000000000 4K rw- private anon\n",
	       (unsigned long long)pid, B, (unsigned long long)pid);
	write_regions(pid, B, 8, MB2);
	write_regions(pid, B + GB1, 3, GB1);
	write_regions(pid, 0x200000000000ull, 1, 0);
}

TEST(munmap_returns_tables_to_the_minimum)
{
	boot(64ull << 20, 0, 0);
	h_run(&sim, "1 spawn\n");
	CHECK_EQ(stats_of(1).ptp, 1);
	sparse_layout(1);
	/* root, 2 third-level tables, 1 + 3 + 1 directories, 8 + 3 + 1 leaves */
	CHECK_EQ(stats_of(1).ptp, 20);
	CHECK(at_minimum(1));
	h_runf(&sim, "1 munmap 0x%llx 12M\n", B + MB2);
	CHECK_EQ(stats_of(1).ptp, 14);
	CHECK(at_minimum(1));
	h_runf(&sim, "1 munmap 0x%llx 1G\n", B + 3 * GB1);
	CHECK_EQ(stats_of(1).ptp, 12);
	CHECK(at_minimum(1));
	h_run(&sim, "1 munmap 0x200000000000 4K\n");
	CHECK_EQ(stats_of(1).ptp, 9);
	CHECK(at_minimum(1));
	h_runf(&sim, "1 munmap 0x%llx 4G\n", B);
	CHECK_EQ(stats_of(1).ptp, 1);
	CHECK_EQ(stats_of(1).ptp_allocated, 20);
	CHECK_EQ(stats_of(1).pv_pages, 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 1);
	CHECK(h_check(&sim));
	sim_shutdown(&sim);
}

TEST(munmap_one_page_at_a_time)
{
	boot(64ull << 20, 0, 0);
	h_run(&sim, "1 spawn\n");
	sparse_layout(1);
	/* Unmap page by page in an order that empties tables at every level. */
	for (unsigned i = 0; i < 8; i++) {
		h_runf(&sim, "1 munmap 0x%llx 4K\n", B + (7 - i) * MB2);
		CHECK(at_minimum(1));
	}
	for (unsigned i = 1; i <= 3; i++) {
		h_runf(&sim, "1 munmap 0x%llx 4K\n", B + i * GB1);
		CHECK(at_minimum(1));
	}
	h_run(&sim, "1 munmap 0x200000000000 4K\n");
	CHECK_EQ(stats_of(1).ptp, 1);
	sim_shutdown(&sim);
}

TEST(dontneed_returns_tables_to_the_minimum)
{
	boot(64ull << 20, 0, 0);
	h_run(&sim, "1 spawn\n");
	sparse_layout(1);
	h_runf(&sim, "1 madvise 0x%llx 4M dontneed\n", B);
	CHECK_EQ(stats_of(1).ptp, 18);
	CHECK(at_minimum(1));
	h_runf(&sim, "1 madvise 0x%llx 4G dontneed\n"
		     "1 madvise 0x200000000000 4K dontneed\n", B);
	CHECK_EQ(stats_of(1).ptp, 1);
	CHECK_EQ(stats_of(1).resident, 0);
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 2); /* the mappings stay */
	/* Dropped memory reads as zeros, through the zero page: a table path
	 * and nothing more. */
	CHECK_STR(h_runf(&sim, "1 read 0x%llx 64\n", B + GB1),
		  "1 read 0x100040000000 0x40 b9b23f3a46fd0825\n");
	CHECK_EQ(stats_of(1).ptp, 4);
	CHECK(at_minimum(1));
	sim_shutdown(&sim);
}

TEST(pageout_returns_tables_and_keeps_data)
{
	char before[4096];

	boot(64ull << 20, 16ull << 20, 0);
	h_run(&sim, "1 spawn\n");
	sparse_layout(1);
	snprintf(before, sizeof before, "%s",
		 h_runf(&sim, "1 read 0x%llx 64\n1 read 0x%llx 64\n", B + 7 * MB2, B + 2 * GB1));
	h_runf(&sim, "1 madvise 0x%llx 4G pageout\n", B);
	while (port_io_wait())
		continue;
	CHECK_EQ(stats_of(1).resident, 1); /* the page in the other slot */
	CHECK_EQ(stats_of(1).ptp, 4);
	CHECK(at_minimum(1));
	CHECK_STR(h_runf(&sim, "1 read 0x%llx 64\n1 read 0x%llx 64\n", B + 7 * MB2, B + 2 * GB1),
		  before);
	CHECK(at_minimum(1));
	sim_shutdown(&sim);
}

TEST(exec_and_exit_free_every_table)
{
	boot(64ull << 20, 0, 0);
	h_run(&sim, "1 spawn\n");
	sparse_layout(1);
	h_run(&sim, "1 fork 2\n");
	CHECK_EQ(stats_of(2).ptp, 1); /* a child faults its tables in */
	write_regions(2, B + MB2 / 2, 8, MB2);
	CHECK(at_minimum(2));
	h_run(&sim, "2 exec\n");
	CHECK_EQ(stats_of(2).ptp, 1);
	CHECK_EQ(stats_of(2).pv_pages, 0);
	sparse_layout(2);
	h_run(&sim, "2 exit\n");
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], stats_of(1).ptp);
	/* 2 allocated 11 tables (root included) before exec and 19 after. */
	CHECK_EQ(sim.stats.ptp_allocated_gone, 11 + 19);
	/* The never-freed figure peaked as 2 went: its 30 and 1's 20. */
	CHECK_EQ(sim.stats.ptp_never_freed_peak, 50);
	CHECK_EQ(sim_ptp_never_freed(&sim), 20);
	h_run(&sim, "1 exit\n");
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 0);
	CHECK(h_check(&sim));
	sim_shutdown(&sim);
}

/* ---- the page daemon collects the idle first ---- */

TEST(idle_process_collected_data_intact)
{
	struct pmap_stats st;
	char before[8192];
	uint64_t tables, pv, frames_data;
	unsigned i;

	/* 1 ms per operation: a process that has not run for ten is idle. */
	boot(1ull << 20, 0, 1000000);
	h_runf(&sim, "1 spawn\n1 mmap 0x%llx 1G rw- private anon\n", B);
	write_regions(1, B, 16, MB2);
	snprintf(before, sizeof before, "%s",
		 h_runf(&sim, "1 read 0x%llx 64\n1 read 0x%llx 64\n1 read 0x%llx 64\n", B,
			B + 7 * MB2, B + 15 * MB2));
	st = stats_of(1);
	tables = st.ptp;
	pv = st.pv_pages;
	CHECK_EQ(tables, 19);
	CHECK_EQ(pv, 1);
	frames_data = vm_phys.by_use[VM_PAGE_ANON];
	/* Process 2 runs and fills memory a page at a time until the page
	 * daemon, in the background, finds process 1 idle. */
	h_runf(&sim, "2 spawn\n2 mmap 0x%llx 4M rw- private anon\n", B);
	for (i = 0; i < 1024 && vm_pagedaemon_stats.idle_collections == 0; i++)
		h_runf(&sim, "2 write 0x%llx 64 %u\n", B + i * KB4, i);
	CHECK(vm_pagedaemon_stats.idle_collections >= 1);
	CHECK_EQ(vm_pagedaemon_stats.emergency, 0); /* the idle went first */
	st = stats_of(1);
	CHECK_EQ(st.collections, 1);
	CHECK_EQ(st.collected_pages, tables - 1 + pv);
	CHECK_EQ(st.resident, 0);
	CHECK_EQ(st.ptp, 1);
	CHECK_EQ(st.pv_pages, 0);
	CHECK_EQ(stats_of(2).collections, 0); /* the running process was spared */
	CHECK(vm_phys.by_use[VM_PAGE_ANON] >= frames_data); /* no swap: data stays */
	CHECK(h_check(&sim));
	/* Process 1 runs again: its data faults back in, unchanged. */
	CHECK_STR(h_runf(&sim, "1 read 0x%llx 64\n1 read 0x%llx 64\n1 read 0x%llx 64\n", B,
			 B + 7 * MB2, B + 15 * MB2),
		  before);
	CHECK(at_minimum(1));
	sim_shutdown(&sim);
}

/* ---- whole replays, with the model ---- */

/* What a replay's sample hook saw: counters at a marked operation and at the end. */
struct seen {
	uint64_t mark_ops;
	uint64_t mark_events[INJECT_KIND_COUNT];
	uint64_t events[INJECT_KIND_COUNT], failures[INJECT_KIND_COUNT];
	struct pmap_global_stats pmap;
	struct sim_stats stats;
	uint64_t ptp_frames, pv_frames;
	bool ended;
};

static void seen_hook(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct seen *w = arg;

	if (ops == w->mark_ops && !at_end)
		for (int k = 0; k < INJECT_KIND_COUNT; k++)
			w->mark_events[k] = inject_events(k);
	if (!at_end)
		return;
	for (int k = 0; k < INJECT_KIND_COUNT; k++) {
		w->events[k] = inject_events(k);
		w->failures[k] = inject_failures(k);
	}
	pmap_get_global_stats(&w->pmap);
	w->stats = s->stats;
	w->ptp_frames = vm_phys.by_use[VM_PAGE_PTP];
	w->pv_frames = vm_phys.by_use[VM_PAGE_PV];
	w->ended = true;
}

/* Replays TEXT with --verify --check-every 1, no swap, INJECT (or NULL). */
static int replay(const char *text, uint64_t ram, const char *inject, struct seen *w, char **out)
{
	struct replay_opts o;
	char err[256];

	replay_opts_defaults(&o);
	o.ram_bytes = ram;
	o.dev.swap_bytes = 0;
	o.oracle = &model_oracle;
	o.check_every = 1;
	o.sample = seen_hook;
	o.sample_arg = w;
	o.sample_every = 1;
	if (inject != NULL && !inject_parse(&o.inject, inject, err, sizeof err)) {
		fprintf(stderr, "inject %s: %s\n", inject, err);
		exit(2);
	}
	return h_replay(text, &o, out);
}

/*
 * A machine full of table pages and pv chunks: a parent with 64 data
 * pages forks sixty children, at most six alive at once; each reads one
 * of the parent's pages, probes a read-only 16 GiB region at a few places
 * (the zero page: tables and no data), and reads all of the parent's
 * pages (a pv entry each).  Nothing but metadata is allocated, so free
 * memory runs to zero inside pmap_enter, for a table page or for a pv
 * chunk, and reclaim strips the least recently used pmaps.  With HOG, a
 * process then wants more data than the machine has: the OOM killer.
 */
static char *fill_trace(bool hog)
{
	char *text = NULL;
	size_t len;
	FILE *t = open_memstream(&text, &len);
	const unsigned long long sparse = B + GB1;

	fprintf(t, "1 spawn\n1 mmap 0x%llx 1G rw- private anon\n1 write 0x%llx 256K 1\n"
		   "1 mmap 0x%llx 16G r-- private anon\n", B, B, sparse);
	for (unsigned c = 2; c < 62; c++) {
		fprintf(t, "1 fork %u\n%u read 0x%llx 4096\n", c, c, B + (c % 64) * KB4);
		for (unsigned k = 0; k < (c * 5) % 13; k++)
			fprintf(t, "%u touch 0x%llx 1 r\n", c,
				sparse + ((c * 7 + k * 13) % 8192) * MB2);
		fprintf(t, "%u touch 0x%llx 256K r\n", c, B);
		if (c >= 8)
			fprintf(t, "%u exit\n", c - 6);
	}
	fprintf(t, "1 read 0x%llx 256K\n", B);
	if (hog)
		fprintf(t, "99 spawn\n99 mmap 0x%llx 64M rw- private anon\n99 write 0x%llx 64M 5\n",
			B, B);
	for (unsigned c = 56; c < 62; c++)
		fprintf(t, "%u exit\n", c);
	fprintf(t, "1 exit\ncheck\n");
	fclose(t);
	return text;
}

TEST(ram_full_of_tables_and_pv_survives)
{
	char *text = fill_trace(false), *out;
	struct seen w = {0};

	CHECK_EQ(replay(text, 448 << 10, NULL, &w, &out), REPLAY_OK);
	CHECK(w.ended);
	CHECK(w.pmap.enter_fail_ptp > 0);
	CHECK(w.pmap.enter_fail_pv > 0);
	CHECK_EQ(w.stats.oom_kills, 0); /* every failure was survived */
	CHECK(strstr(out, "killed") == NULL);
	CHECK_EQ(w.ptp_frames, 0);
	CHECK_EQ(w.pv_frames, 0);
	if (getenv("H_VERBOSE") != NULL)
		fprintf(stderr, "  enter failures: %llu ptp, %llu pv\n",
			(unsigned long long)w.pmap.enter_fail_ptp,
			(unsigned long long)w.pmap.enter_fail_pv);
	free(out);
	free(text);
}

TEST(only_a_real_exhaustion_kills)
{
	char *text = fill_trace(true), *out;
	struct seen w = {0};

	CHECK_EQ(replay(text, 448 << 10, NULL, &w, &out), REPLAY_OK);
	CHECK(w.pmap.enter_fail_ptp > 0);
	CHECK(w.pmap.enter_fail_pv > 0);
	CHECK(w.stats.oom_kills >= 1);
	CHECK(strstr(out, "99 killed oom\n") != NULL); /* the hog, in the end */
	CHECK_EQ(w.ptp_frames, 0);
	free(out);
	free(text);
}

/*
 * For injection: process 9 is ballast that reclaim can strip (before its
 * setup ends, marked at operation 3, a failure has nothing to take and
 * rightly kills).  Then pmap_enter needs, in turn: a pv chunk with three
 * fresh tables (the first write), with one (a new 2 MiB region, chunk
 * full), with two (a new GiB), with none (chunk full, table there); and
 * tables without pv (the zero page); and a child's first mappings.
 */
static char *inject_trace(void)
{
	char *text = NULL;
	size_t len;
	FILE *t = open_memstream(&text, &len);

	fprintf(t, "9 spawn\n9 mmap 0x%llx 4M rw- private anon\n9 write 0x%llx 64K 9\n", B, B);
	fprintf(t, "1 spawn\n1 mmap 0x%llx 4G rw- private anon\n"
		   "1 write 0x%llx 1M 1\n"                           /* 256 pages: chunk 1 full */
		   "1 write 0x%llx 64 2\n1 write 0x%llx 1020K 3\n"   /* region 2: chunk 2 full */
		   "1 write 0x%llx 64 4\n1 write 0x%llx 1020K 5\n"   /* GiB 2: chunk 3 full */
		   "1 write 0x%llx 64 6\n"                           /* table there: chunk 4 */
		   "1 mmap 0x%llx 1M r-- private anon\n1 touch 0x%llx 8K r\n"
		   "1 fork 2\n2 read 0x%llx 64\n2 write 0x%llx 64 7\n2 read 0x%llx 64\n2 exit\n"
		   "1 read 0x%llx 2M\n1 read 0x%llx 1M\n9 read 0x%llx 64K\n1 exit\n9 exit\ncheck\n",
		B, B, B + MB2, B + MB2 + KB4, B + GB1, B + GB1 + KB4, B + (1 << 20),
		B + 3 * GB1, B + 3 * GB1, B, B + MB2, B + GB1, B, B + GB1, B);
	fclose(t);
	return text;
}

/* Fails each allocation of KIND after the ballast in turn. */
static void sweep(const char *text, enum inject_kind kind, const char *name,
		  uint64_t creates_after_mark)
{
	struct seen base = {.mark_ops = 3};
	char *want, *got, spec[64];
	uint64_t first, last, enter_failed = 0;

	CHECK_EQ(replay(text, 64ull << 20, NULL, &base, &want), REPLAY_OK);
	first = base.mark_events[kind] + 1;
	last = base.events[kind];
	CHECK(last >= first + 3);
	for (uint64_t n = first; n <= last; n++) {
		struct seen w = {0};
		uint64_t fails;

		snprintf(spec, sizeof spec, "%s@%llu", name, (unsigned long long)n);
		CHECK_EQ(replay(text, 64ull << 20, spec, &w, &got), REPLAY_OK);
		CHECK_EQ(w.failures[kind], 1);
		fails = kind == INJECT_ALLOC_PV ? w.pmap.enter_fail_pv : w.pmap.enter_fail_ptp;
		CHECK(fails <= 1);
		enter_failed += fails;
		CHECK_EQ(w.stats.oom_kills, 0);
		if (strcmp(got, want) != 0)
			fprintf(stderr, "  %s: output differs\n", spec);
		CHECK_STR(got, want);
		free(got);
	}
	/* Every failure but those of pmap_create (a table page too) was
	 * pmap_enter's, taken and survived. */
	CHECK_EQ(enter_failed, last - first + 1 - creates_after_mark);
	free(want);
}

TEST(every_injected_table_failure_survived)
{
	char *text = inject_trace();

	sweep(text, INJECT_ALLOC_PTP, "alloc-ptp", 2); /* spawn 1, fork 2 */
	free(text);
}

TEST(every_injected_pv_failure_survived)
{
	char *text = inject_trace();

	sweep(text, INJECT_ALLOC_PV, "alloc-pv", 0);
	free(text);
}

int main(void)
{
	RUN(munmap_returns_tables_to_the_minimum);
	RUN(munmap_one_page_at_a_time);
	RUN(dontneed_returns_tables_to_the_minimum);
	RUN(pageout_returns_tables_and_keeps_data);
	RUN(exec_and_exit_free_every_table);
	RUN(idle_process_collected_data_intact);
	RUN(ram_full_of_tables_and_pv_survives);
	RUN(only_a_real_exhaustion_kills);
	RUN(every_injected_table_failure_survived);
	RUN(every_injected_pv_failure_survived);
	return check_done();
}
