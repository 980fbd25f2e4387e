/*
 * demo_parallel_build.c - `mvm demo` scenario "parallel-build": a pmap
 * that never panics, on a machine barely big enough.
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
 * It samples after every operation: table pages held, and the "never
 * freed" figure, the sum over live processes of the table pages their
 * pmaps ever allocated (what a pmap that gave none back before exit
 * would hold; counted, not simulated).  The report charts both over time
 * against RAM, gives their peaks, where memory was at the peak, and what
 * reclaim did.  The scenario passes when the model and the checker agree,
 * no process was killed, and the never-freed figure exceeded RAM.
 *
 * The samples are kept here as plain figures (struct pb_point); when the
 * shared series module lands, pb_sample is the one place to feed it.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "mvm/pmap.h"
#include "mvm/vm_page.h"
#include "sim/gen_parallel_build.h"
#include "sim/sim.h"
#include "sim/trace.h"
#include "vm/pagedaemon.h"

/*
 * The machine: RAM that holds the build's data and the tables it needs
 * at any one time, but not the tables a never-freeing pmap would keep;
 * no swap, so table pages are all reclaim can give back besides clean
 * pages; and 10 us of work per trace operation, so that make and the
 * drivers waiting for their children count as idle (PD_IDLE_NS is 10 ms)
 * and the page daemon collects their pmaps first.
 */
#define PB_RAM_FULL ((uint64_t)5 << 20)
#define PB_RAM_QUICK ((uint64_t)3 << 20)
#define PB_OP_COST_NS 10000u
/* Rows of the chart; columns for all of RAM, and for the whole bar. */
#define PB_ROWS 16
#define PB_WIDTH 30
#define PB_BAR (3 * PB_WIDTH)

/* One sample: frames by use, and the never-freed figure. */
struct pb_point {
	uint64_t ops;
	uint64_t ptp, never_freed, user, pv, kmem, free;
	uint64_t procs;
};

/* Everything the report needs, captured before the machine shuts down. */
struct pb_run {
	struct pb_point *pt;
	size_t n, cap;
	bool oom;                  /* out of host memory for samples */
	uint64_t nframes, nboot;
	struct pb_point peak;      /* the sample with the most table pages */
	uint64_t never_freed_peak; /* exact: sim_stats, and the live figure */
	uint64_t ptp_allocated;    /* all table pages the run allocated */
	uint64_t ptp_left;         /* table pages held at the end */
	struct sim_stats stats;
	struct pmap_global_stats pmap;
	struct vm_pagedaemon_stats daemon;
};

static struct pb_point pb_point_now(struct sim *s, uint64_t ops)
{
	const uint64_t *u = vm_phys.by_use;

	return (struct pb_point){
		.ops = ops,
		.ptp = u[VM_PAGE_PTP],
		.never_freed = sim_ptp_never_freed(s),
		.user = u[VM_PAGE_ANON] + u[VM_PAGE_OBJECT],
		.pv = u[VM_PAGE_PV],
		.kmem = u[VM_PAGE_KMEM],
		.free = u[VM_PAGE_FREE],
		.procs = trace_hash_count(&s->procs),
	};
}

static void pb_push(struct pb_run *run, const struct pb_point *p)
{
	if (run->n == run->cap) {
		size_t cap = run->cap ? run->cap * 2 : 1024;
		struct pb_point *v = realloc(run->pt, cap * sizeof *v);

		if (v == NULL) {
			run->oom = true;
			return;
		}
		run->pt = v;
		run->cap = cap;
	}
	run->pt[run->n++] = *p;
}

/* Sum of ptp_allocated over every pmap the run had, live or gone. */
static uint64_t pb_ptp_allocated(struct sim *s)
{
	return s->stats.ptp_allocated_gone + sim_ptp_never_freed(s);
}

static void pb_sample(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct pb_run *run = arg;
	struct pb_point p = pb_point_now(s, ops);

	pb_push(run, &p);
	if (p.ptp > run->peak.ptp)
		run->peak = p;
	if (p.never_freed > run->never_freed_peak)
		run->never_freed_peak = p.never_freed;
	if (!at_end)
		return;
	if (s->stats.ptp_never_freed_peak > run->never_freed_peak)
		run->never_freed_peak = s->stats.ptp_never_freed_peak;
	run->nframes = vm_phys.nframes;
	run->nboot = vm_phys.nboot;
	run->ptp_allocated = pb_ptp_allocated(s);
	run->ptp_left = p.ptp;
	run->stats = s->stats;
	pmap_get_global_stats(&run->pmap);
	run->daemon = vm_pagedaemon_stats;
}

/* ---- the report ---- */

static double pb_mib(uint64_t frames)
{
	return (double)frames * VM_PAGE_SIZE / (1024.0 * 1024.0);
}

static double pb_pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* One row: '#' table pages held, '.' up to the never-freed figure, '|'
 * at RAM (PB_WIDTH columns), '>' if the bar runs past the chart. */
static void pb_bar(FILE *out, uint64_t held, uint64_t never, uint64_t nframes)
{
	uint64_t cols = PB_BAR, h = held * PB_WIDTH / nframes, n = never * PB_WIDTH / nframes;

	for (uint64_t c = 0; c < cols; c++) {
		if (c >= n && c > PB_WIDTH)
			break;
		if (c == cols - 1 && n >= cols)
			fputc('>', out);
		else if (c < h)
			fputc('#', out);
		else if (c < n)
			fputc(c == PB_WIDTH ? '|' : '.', out);
		else
			fputc(c == PB_WIDTH ? '|' : ' ', out);
	}
	fputc('\n', out);
}

/* The run in PB_ROWS slices of operations, each at its largest values. */
static void pb_chart(FILE *out, const struct pb_run *run)
{
	size_t per = (run->n + PB_ROWS - 1) / PB_ROWS;

	fprintf(out, "# table pages over time ('#' held, '.' a never-freeing pmap would hold "
		     "as well, '|' all of RAM: %" PRIu64 " frames)\n",
		run->nframes);
	fprintf(out, "#   %-15s %6s %7s\n", "operations", "held", "never");
	for (size_t i = 0; per > 0 && i < run->n; i += per) {
		uint64_t held = 0, never = 0;
		size_t end = i + per < run->n ? i + per : run->n;

		for (size_t k = i; k < end; k++) {
			if (run->pt[k].ptp > held)
				held = run->pt[k].ptp;
			if (run->pt[k].never_freed > never)
				never = run->pt[k].never_freed;
		}
		fprintf(out, "#   %6" PRIu64 "-%-8" PRIu64 " %6" PRIu64 " %7" PRIu64 " ",
			run->pt[i].ops, run->pt[end - 1].ops, held, never);
		pb_bar(out, held, never, run->nframes);
	}
}

static void pb_figures(FILE *out, const struct pb_run *run)
{
	const struct pb_point *pk = &run->peak;

	fprintf(out, "# table pages: peak %" PRIu64 " held at once (%.1f MiB, %.0f%% of RAM); "
		     "%" PRIu64 " allocated in all and freed as they emptied, %" PRIu64 " left\n",
		pk->ptp, pb_mib(pk->ptp), pb_pct(pk->ptp, run->nframes), run->ptp_allocated,
		run->ptp_left);
	fprintf(out, "# never freed: a pmap that kept its table pages until exit would have held "
		     "%" PRIu64 " at once (%.1f MiB, %.0f%% of RAM)\n",
		run->never_freed_peak, pb_mib(run->never_freed_peak),
		pb_pct(run->never_freed_peak, run->nframes));
	fprintf(out, "# at the peak (after op %" PRIu64 ", %" PRIu64 " processes): user %" PRIu64
		     ", tables %" PRIu64 ", pv %" PRIu64 ", core metadata %" PRIu64 ", boot %" PRIu64
		     ", free %" PRIu64 " frames\n",
		pk->ops, pk->procs, pk->user, pk->ptp, pk->pv, pk->kmem, run->nboot, pk->free);
	fprintf(out, "# reclaim: idle pmaps collected %" PRIu64 ", emergency reclaims %" PRIu64
		     ", frames freed by collection %" PRIu64 "; pmap_enter failures %" PRIu64
		     " (table page) %" PRIu64 " (pv), each retried after reclaim; oom kills %" PRIu64
		     "\n",
		run->daemon.idle_collections, run->daemon.emergency, run->daemon.pmap_frames,
		run->pmap.enter_fail_ptp, run->pmap.enter_fail_pv, run->stats.oom_kills);
}

/* ---- the scenario ---- */

static char *pb_trace(const struct gen_pbuild_params *p, size_t *len)
{
	char *text = NULL;
	FILE *t = open_memstream(&text, len);

	if (t == NULL)
		return NULL;
	if (gen_parallel_build(t, p) != 0) {
		fclose(t);
		free(text);
		return NULL;
	}
	fclose(t);
	return text;
}

/* What the scenario demonstrates, beyond the model and the checker. */
static bool pb_held(FILE *out, const struct pb_run *run)
{
	bool ok = true;

	if (run->stats.oom_kills != 0) {
		fprintf(out, "# FAILED: %" PRIu64 " processes were killed\n", run->stats.oom_kills);
		ok = false;
	}
	if (run->never_freed_peak <= run->nframes) {
		fprintf(out, "# FAILED: never-freed table pages (%" PRIu64 ") did not exceed RAM (%" PRIu64
			     " frames): the machine is too big to show anything\n",
			run->never_freed_peak, run->nframes);
		ok = false;
	}
	if (run->ptp_left != 0) {
		fprintf(out, "# FAILED: %" PRIu64 " table pages held after every process exited\n",
			run->ptp_left);
		ok = false;
	}
	return ok;
}

int demo_parallel_build(struct demo_ctx *ctx)
{
	struct replay_opts o = ctx->base;
	struct gen_pbuild_params p;
	struct pb_run run = {0};
	size_t len;
	char *text;
	int status;

	if (ctx->quick)
		gen_pbuild_quick(&p);
	else
		gen_pbuild_defaults(&p);
	text = pb_trace(&p, &len);
	if (text == NULL)
		return 1;
	o.ram_bytes = ctx->quick ? PB_RAM_QUICK : PB_RAM_FULL;
	o.dev.swap_bytes = 0;
	o.dev.op_cost_ns = PB_OP_COST_NS;
	o.verify = true;
	o.check_every = ctx->quick ? 1 : 64;
	o.out = fopen("/dev/null", "w");
	o.sample = pb_sample;
	o.sample_arg = &run;
	o.sample_every = 1;
	fprintf(ctx->out, "# make -j%u, %u units (cc -> cc1 -> as); cc1: %u libraries 1 GiB apart, "
			  "%u bursts of %u pages one per 2 MiB\n"
			  "# RAM %.1f MiB, no swap, %u us per operation; --verify, checker every %"
			  PRIu64 " operations\n",
		p.jobs, p.units, p.libs, p.bursts, p.burst_pages, pb_mib(o.ram_bytes / VM_PAGE_SIZE),
		PB_OP_COST_NS / 1000, o.check_every);
	status = o.out != NULL
		? replay_run_reader(trace_reader_from_buffer("parallel-build", text, len), &o)
		: REPLAY_FAILED;
	free(text);
	if (o.out != NULL)
		fclose(o.out);
	if (run.oom || run.n == 0) {
		fprintf(ctx->out, "# FAILED: no samples\n");
		free(run.pt);
		return 1;
	}
	pb_chart(ctx->out, &run);
	pb_figures(ctx->out, &run);
	if (!pb_held(ctx->out, &run) && status == 0)
		status = 1;
	fprintf(ctx->out, "# parallel-build %s\n",
		status == 0 ? "passed: the build completed, the model agreed, every check held, "
			      "and a never-freeing pmap would not have fit"
			    : "FAILED");
	free(run.pt);
	return status;
}
