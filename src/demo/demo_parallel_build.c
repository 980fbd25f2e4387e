/*
 * demo_parallel_build.c - a pmap that never panics, on a machine barely
 * big enough for a parallel build.
 *
 * In 1998 parallel builds killed small NetBSD machines twice over: the
 * arm32 pmap kept every level-2 table page until the process exited
 * (port-arm32/5666), and the alpha pmap panicked when it could not get a
 * page for a table or a pv entry.  This scenario replays the build of
 * `mvm gen parallel-build` (make -jN; compilers with sparse address
 * spaces that allocate and free in bursts, fork and exec) on a machine
 * whose RAM is smaller than the table pages a never-freeing pmap would
 * hold, with the reference model and the consistency checker watching.
 *
 * It samples after every operation: frames by use, and the "never freed"
 * figure, the sum over live processes of the table pages their pmaps
 * ever allocated (what a pmap that gave none back before exit would hold;
 * counted, not simulated).  The report charts table pages held and the
 * never-freed figure against RAM, gives both peaks, where memory was at
 * the peak of table pages, and what reclaim did.
 *
 * What makes the scenario fail: the model or the checker disagreeing, a
 * process killed, table pages left once every process has exited, or a
 * never-freed peak that fits in RAM (then the machine shows nothing).
 */
#include <inttypes.h>

#include "demo.h"
#include "demo_run.h"
#include "mvm/pmap.h"
#include "mvm/vm_page.h"
#include "gen/gen_parallel_build.h"
#include "gen/gen_options.h"
#include "sim/sim.h"
#include "vm/pagedaemon.h"
#include "model/verify.h"

/*
 * The machine: RAM that holds the build's data and the tables it needs
 * at any one time, but not the tables a never-freeing pmap would keep;
 * no swap, so that table pages are all reclaim can give back besides
 * clean pages; and 50 us of work per trace operation, so that make and
 * the drivers waiting for their children count as idle (the page daemon's
 * PD_IDLE_NS is 10 ms) and their pmaps are collected first.
 */
#define PB_RAM_FULL ((uint64_t)5 << 20)
#define PB_RAM_QUICK ((uint64_t)3 << 20)
#define PB_OP_COST_NS 50000u
/* The chart: rows (slices of the run), columns for all of RAM and in all. */
#define PB_ROWS 16
#define PB_WIDTH 30
#define PB_BAR (3 * PB_WIDTH)

enum { COL_OPS, COL_PTP, COL_NEVER, COL_USER, COL_PV, COL_KMEM, COL_FREE, COL_PROCS, NCOLS };
static const char *const columns[NCOLS] = {"ops", "table_pages", "never_freed", "user_pages",
					   "pv_pages", "core_metadata", "free", "procs"};

/* What the series does not hold: the machine's counters as they ended. */
struct pbuild_demo {
	uint64_t nframes, nboot;
	uint64_t never_freed_peak;  /* exact: taken before every exit */
	uint64_t ptp_allocated;     /* every table page the run allocated */
	struct sim_stats stats;
	struct pmap_global_stats pmap;
	struct vm_pagedaemon_stats daemon;
};

/* Every operation (sample_every 1), so the last call leaves the end state. */
static void sample(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row)
{
	struct pbuild_demo *d = run->arg;
	const uint64_t *u = vm_phys.by_use;
	uint64_t never = sim_ptp_never_freed(s);

	(void)ops;
	row[COL_PTP] = u[VM_PAGE_PTP];
	row[COL_NEVER] = never;
	row[COL_USER] = u[VM_PAGE_ANON] + u[VM_PAGE_OBJECT];
	row[COL_PV] = u[VM_PAGE_PV];
	row[COL_KMEM] = u[VM_PAGE_KMEM];
	row[COL_FREE] = u[VM_PAGE_FREE];
	row[COL_PROCS] = trace_hash_count(&s->procs);
	d->nframes = vm_phys.nframes;
	d->nboot = vm_phys.nboot;
	d->never_freed_peak = s->stats.ptp_never_freed_peak > never ? s->stats.ptp_never_freed_peak
								    : never;
	d->ptp_allocated = s->stats.ptp_allocated_gone + never;
	d->stats = s->stats;
	pmap_get_global_stats(&d->pmap);
	d->daemon = vm_pagedaemon_stats;
}

/* ---- the report ---- */

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static const char *frames_size(uint64_t frames, char *buf, size_t len)
{
	return demo_size(frames * VM_PAGE_SIZE, buf, len);
}

/* One row: '#' table pages held, '.' on to the never-freed figure, '|'
 * at RAM (PB_WIDTH columns), '>' if the bar runs past the chart. */
static void bar(FILE *out, uint64_t held, uint64_t never, uint64_t nframes)
{
	uint64_t h = held * PB_WIDTH / nframes, n = never * PB_WIDTH / nframes;

	for (uint64_t c = 0; c < PB_BAR && (c < n || c <= PB_WIDTH); c++) {
		if (c == PB_BAR - 1 && n > PB_BAR)
			fputc('>', out);
		else if (c < h)
			fputc('#', out);
		else if (c == PB_WIDTH)
			fputc('|', out);
		else
			fputc(c < n ? '.' : ' ', out);
	}
	fputc('\n', out);
}

/* Both figures on one chart, PB_ROWS slices of the run, each at its largest. */
static void chart(const struct demo_run *run, const struct pbuild_demo *d)
{
	const struct series *s = &run->sampler.series;
	size_t per = (s->nrows + PB_ROWS - 1) / PB_ROWS;

	demo_say(run, "table pages over time: '#' held, '.' what a never-freeing pmap would hold "
		      "besides, '|' all of RAM (%" PRIu64 " frames)", d->nframes);
	demo_say(run, "  %-15s %6s %7s", "operations", "held", "never");
	for (size_t i = 0; per > 0 && i < s->nrows; i += per) {
		size_t end = i + per < s->nrows ? i + per : s->nrows;
		uint64_t held = 0, never = 0;

		for (size_t k = i; k < end; k++) {
			held = series_get(s, k, COL_PTP) > held ? series_get(s, k, COL_PTP) : held;
			never = series_get(s, k, COL_NEVER) > never ? series_get(s, k, COL_NEVER) : never;
		}
		fprintf(run->ctx->out, "#   %6" PRIu64 "-%-8" PRIu64 " %6" PRIu64 " %7" PRIu64 " ",
			series_get(s, i, COL_OPS), series_get(s, end - 1, COL_OPS), held, never);
		bar(run->ctx->out, held, never, d->nframes);
	}
}

static void figures(const struct demo_run *run, const struct pbuild_demo *d)
{
	size_t pk = series_peak_row(&run->sampler.series, COL_PTP);
	uint64_t peak = series_get(&run->sampler.series, pk, COL_PTP);
	uint64_t left = series_get(&run->sampler.series, run->sampler.series.nrows - 1, COL_PTP);
	char a[32], b[32];

	demo_say(run, "table pages: at most %" PRIu64 " held at once (%s, %.0f%% of RAM); %" PRIu64
		      " allocated in the run and freed as they emptied, %" PRIu64 " left at the end",
		 peak, frames_size(peak, a, sizeof a), pct(peak, d->nframes), d->ptp_allocated, left);
	demo_say(run, "never freed: pmaps that kept their table pages until exit would have held %"
		      PRIu64 " at once (%s, %.0f%% of RAM: %s)",
		 d->never_freed_peak, frames_size(d->never_freed_peak, b, sizeof b),
		 pct(d->never_freed_peak, d->nframes),
		 d->never_freed_peak > d->nframes ? "more than the machine has" : "it would fit");
	demo_say(run, "memory at the peak of table pages (after op %" PRIu64 ", %" PRIu64
		      " processes), in frames: user %" PRIu64 ", tables %" PRIu64 ", pv %" PRIu64
		      ", core metadata %" PRIu64 ", boot %" PRIu64 ", free %" PRIu64,
		 series_get(&run->sampler.series, pk, COL_OPS), series_get(&run->sampler.series, pk, COL_PROCS),
		 series_get(&run->sampler.series, pk, COL_USER), peak, series_get(&run->sampler.series, pk, COL_PV),
		 series_get(&run->sampler.series, pk, COL_KMEM), d->nboot,
		 series_get(&run->sampler.series, pk, COL_FREE));
	demo_say(run, "reclaim: %" PRIu64 " idle pmaps collected, %" PRIu64 " emergency reclaims, %"
		      PRIu64 " frames freed by collection; pmap_enter failed %" PRIu64
		      " times for a table page and %" PRIu64 " for a pv chunk, each retried after "
		      "reclaim",
		 d->daemon.idle_collections, d->daemon.emergency, d->daemon.pmap_frames,
		 d->pmap.enter_fail_ptp, d->pmap.enter_fail_pv);
}

/* What the scenario demonstrates, beyond the model and the checker. */
static bool judge(const struct demo_run *run, const struct pbuild_demo *d)
{
	uint64_t left = series_get(&run->sampler.series, run->sampler.series.nrows - 1, COL_PTP);
	bool ok = true;

	if (run->oom_kills != 0) {
		demo_say(run, "FAILED: %" PRIu64 " processes were killed", run->oom_kills);
		ok = false;
	}
	if (d->never_freed_peak <= d->nframes) {
		demo_say(run, "FAILED: the never-freed figure fits in RAM: the machine is too big "
			      "to show anything");
		ok = false;
	}
	if (left != 0) {
		demo_say(run, "FAILED: %" PRIu64 " table pages held after every process exited", left);
		ok = false;
	}
	return ok;
}

/* ---- the scenario ---- */

static int generate(FILE *out, const void *p)
{
	return gen_parallel_build(out, p);
}

static void describe(const struct demo_run *run, const struct gen_pbuild_params *p)
{
	demo_say(run, "make -j%u builds %u units; each cc execs, forks cc1 and then as; cc1 maps %u "
		      "libraries 1 GiB apart", p->jobs, p->units, p->libs);
	demo_say(run, "and allocates in bursts (%u on average) of %u pages, one per 2 MiB, freed by "
		      "munmap or madvise dontneed", p->bursts, p->burst_pages);
	demo_say_trace(run, &gen_parallel_build_kind, p);
	demo_say(run, "no swap, %u us of work per operation (idle: 10 ms), --verify, checker every "
		      "%" PRIu64 " operations", PB_OP_COST_NS / 1000, run->opts.check_every);
}

int demo_parallel_build(struct demo_ctx *ctx)
{
	struct gen_pbuild_params p;
	struct pbuild_demo d = {0};
	struct demo_run run;
	bool ok;

	if (ctx->quick)
		gen_pbuild_quick(&p);
	else
		gen_pbuild_defaults(&p);
	demo_run_init(&run, ctx, "parallel-build", columns, NCOLS);
	run.opts.ram_bytes = ctx->quick ? PB_RAM_QUICK : PB_RAM_FULL;
	run.opts.dev.swap_bytes = 0;
	run.opts.dev.op_cost_ns = PB_OP_COST_NS;
	run.opts.oracle = &model_oracle;
	run.opts.check_every = ctx->quick ? 1 : 64;
	run.sample = sample;
	run.sample_every = 1; /* exact peaks */
	run.arg = &d;
	if (!demo_run_replay_gen(&run, generate, &p))
		return 1;
	describe(&run, &p);
	demo_report_machine(&run);
	ok = run.sampler.series.nrows > 0;
	if (ok) {
		chart(&run, &d);
		figures(&run, &d);
		ok = judge(&run, &d);
	}
	return demo_run_finish(&run, ok, "passed: the build completed with no process killed, "
					 "and pmaps that never freed table pages would not have fit");
}
