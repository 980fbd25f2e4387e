/*
 * demo_fork_server.c - the swap leak of the 1993-95 reports, replayed.
 *
 * A server whose heap is four times the RAM, so that most of it lives on
 * swap, forks thousands of children that write a few heap pages, read
 * one and exit (src/sim/gen_fork_server.c).  Under 4.4BSD and Mach each
 * fork left the heap's object shadowed; a child exiting while parts of
 * the parent were on swap left a chain that could not be collapsed, and
 * its swap was lost until the server exited.  mvm has no shadow chains:
 * an anon owns its slot and frees it with its last reference.
 *
 * What the report shows, and what makes the scenario fail:
 *   - swap in use during the fork loop (chart), against the bound a leak
 *     would cross: the server's heap, in pages.  Without a leak swap in
 *     use stays below it and wanders as the server and its children page
 *     in and out; a leak would climb with every fork and cut through the
 *     top.  The y axis runs from the loop's lowest value to that bound,
 *     not from 0, so the wandering shows: from 0 the bars were one solid
 *     block, and the end (0, once the server exits) is reported in words;
 *   - at every sample, swap in use against the slots that anons some
 *     live process reaches own, walked from the maps: any difference is a
 *     leak (the checker demands the same at every `check` line);
 *   - the end state at the trace's `stat`, when every child has exited:
 *     swap in use must equal the slots the server's own anons hold, and
 *     once the server has exited too, no slot may be in use;
 *   - the checker's verdict.
 */
#include <inttypes.h>

#include "demo.h"
#include "demo_run.h"
#include "mvm/vm_page.h"
#include "gen/gen_fork_server.h"
#include "gen/gen_options.h"
#include "sim/sim.h"

enum { COL_OPS, COL_SWAP, COL_OWNED, COL_SERVER, COL_PROCS, COL_ANON_FRAMES, NCOLS };
static const char *const columns[NCOLS] = {"ops", "swap_inuse", "swap_owned_live",
					   "server_swap", "procs", "anon_frames"};

struct fork_server_demo {
	struct demo_swap_watch swap;
	bool server_alive;          /* at the trace's `stat` */
	size_t loop_rows;           /* series rows taken before the `stat` */
	struct demo_anons end_server;
};

static void fork_server_params(const struct demo_ctx *ctx, struct gen_fork_server_params *p,
			       uint64_t *ram)
{
	gen_fork_server_defaults(p);
	p->forks = 5000;
	if (ctx->quick) {
		p->heap_bytes = 8ull << 20;
		p->forks = 500;
		p->check_every = 50;
	}
	*ram = p->heap_bytes / 4;
}

static void sample(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row)
{
	struct fork_server_demo *d = run->arg;
	struct demo_anons all, server;
	uint64_t inuse = figures_swap_inuse();

	(void)ops;
	demo_count_anons(s, 0, &all);
	demo_count_anons(s, GEN_FORK_SERVER_PID, &server);
	row[COL_SWAP] = inuse;
	row[COL_OWNED] = all.slots;
	row[COL_SERVER] = server.slots;
	row[COL_PROCS] = trace_hash_count(&s->procs);
	row[COL_ANON_FRAMES] = vm_phys.by_use[VM_PAGE_ANON];
	demo_swap_watch_sample(&d->swap, inuse, all.slots);
}

/* The trace's `stat`: every child has exited, the server is about to. */
static void at_stat(struct demo_run *run, struct sim *s)
{
	struct fork_server_demo *d = run->arg;

	demo_swap_watch_stat(&d->swap, s);
	d->loop_rows = run->sampler.series.nrows;
	d->server_alive = sim_proc_find(s, GEN_FORK_SERVER_PID) != NULL;
	demo_count_anons(s, GEN_FORK_SERVER_PID, &d->end_server);
}

static int generate(FILE *out, const void *p)
{
	return gen_fork_server(out, p);
}

static void describe(const struct demo_run *run, const struct gen_fork_server_params *p)
{
	char heap[32];

	demo_say(run, "a server whose heap (%s) is four times the RAM forks %" PRIu64
		      " children; each writes %" PRIu64 " heap pages, reads one and exits,",
		 demo_size(p->heap_bytes, heap, sizeof heap), p->forks, p->child_pages);
	demo_say(run, "and between forks the server touches %" PRIu64 " pages of its heap", p->server_pages);
	demo_say_trace(run, &gen_fork_server_kind, p);
}

/* Swap in use during the fork loop, from its lowest value up to the heap. */
static void chart_loop(const struct demo_run *run, const struct fork_server_demo *d,
		       uint64_t heap_pages)
{
	static const char *const names[] = {"ops", "swap_inuse"};
	const struct series *all = &run->sampler.series;
	struct series_chart_style style = {.prefix = "#   ", .fixed_y = true, .y_hi = heap_pages};
	struct series loop;

	series_init(&loop, names, 2);
	style.y_lo = heap_pages;
	for (size_t r = 0; r < d->loop_rows; r++) {
		uint64_t row[2] = {series_get(all, r, COL_OPS), series_get(all, r, COL_SWAP)};

		series_add(&loop, row);
		style.y_lo = row[1] < style.y_lo ? row[1] : style.y_lo;
	}
	demo_say(run, "swap in use during the fork loop, in 4 KiB slots; the top of the chart is "
		      "the heap (%" PRIu64 " pages),", heap_pages);
	demo_say(run, "which a leak would climb through fork after fork; without one it only "
		      "wanders as pages go out and come back:");
	if (loop.nrows == 0)
		demo_say(run, "(no samples of the fork loop)");
	series_chart(&loop, 0, 1, &style, run->ctx->out);
	series_free(&loop);
}

/* The end state and the leak figure; true if nothing leaked. */
static bool report_end(const struct demo_run *run, const struct fork_server_demo *d)
{
	char size[32];

	demo_say(run, "peak: %" PRIu64 " swap slots in use (%s), the allocator's high-water mark",
		 run->swap_peak, demo_size(run->swap_peak * VM_PAGE_SIZE, size, sizeof size));
	if (!d->swap.ended || !d->server_alive || d->swap.end_procs != 1) {
		demo_say(run, "end state: not reached (%s)",
			 !d->swap.ended ? "the trace stopped early" : "the server did not survive");
		return false;
	}
	return demo_swap_watch_report(run, &d->swap, &d->end_server, "every child gone",
				      "the server's anons", "the server");
}

int demo_fork_server(struct demo_ctx *ctx)
{
	struct gen_fork_server_params p;
	struct fork_server_demo d = {0};
	struct demo_run run;
	bool ok;

	demo_run_init(&run, ctx, "fork-server", columns, NCOLS);
	fork_server_params(ctx, &p, &run.opts.ram_bytes);
	run.sample = sample;
	run.at_stat = at_stat;
	run.arg = &d;
	if (!demo_run_replay_gen(&run, generate, &p))
		return 1;
	describe(&run, &p);
	demo_report_machine(&run);
	chart_loop(&run, &d, (p.heap_bytes + VM_PAGE_SIZE - 1) / VM_PAGE_SIZE);
	ok = report_end(&run, &d);
	return demo_run_finish(&run, ok, "passed: no swap leaked, every check held");
}
