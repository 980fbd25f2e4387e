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
 *   - swap in use over the run (chart), and its peak;
 *   - at every sample, swap in use against the slots that anons some
 *     live process reaches own, walked from the maps: any difference is a
 *     leak (the checker demands the same at every `check` line);
 *   - the end state at the trace's `stat`, when every child has exited:
 *     swap in use must equal the slots the server's own anons hold, and
 *     once the server has exited too, no slot may be in use;
 *   - the checker's verdict.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "demo.h"
#include "demo_run.h"
#include "mvm/vm_page.h"
#include "sim/gen_fork_server.h"
#include "sim/sim.h"

enum { COL_OPS, COL_SWAP, COL_OWNED, COL_SERVER, COL_PROCS, COL_ANON_FRAMES, NCOLS };
static const char *const columns[NCOLS] = {"ops", "swap_inuse", "swap_owned_live",
					   "server_swap", "procs", "anon_frames"};

struct fork_server_demo {
	uint64_t gaps;            /* samples where swap in use != owned */
	uint64_t worst_gap;       /* the largest such difference */
	bool ended;               /* the trace's `stat` ran */
	bool server_alive;        /* ... with the server still there */
	uint64_t end_inuse, end_procs;
	struct demo_anons end_server, end_all;
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
	uint64_t inuse = demo_swap_inuse();

	(void)ops;
	demo_count_anons(s, 0, &all);
	demo_count_anons(s, GEN_FORK_SERVER_PID, &server);
	row[COL_SWAP] = inuse;
	row[COL_OWNED] = all.slots;
	row[COL_SERVER] = server.slots;
	row[COL_PROCS] = trace_hash_count(&s->procs);
	row[COL_ANON_FRAMES] = vm_phys.by_use[VM_PAGE_ANON];
	if (inuse != all.slots) {
		uint64_t gap = inuse > all.slots ? inuse - all.slots : all.slots - inuse;

		d->gaps++;
		d->worst_gap = gap > d->worst_gap ? gap : d->worst_gap;
	}
}

/* The trace's `stat`: every child has exited, the server is about to. */
static void at_stat(struct demo_run *run, struct sim *s)
{
	struct fork_server_demo *d = run->arg;

	d->ended = true;
	d->server_alive = sim_proc_find(s, GEN_FORK_SERVER_PID) != NULL;
	d->end_inuse = demo_swap_inuse();
	d->end_procs = trace_hash_count(&s->procs);
	demo_count_anons(s, GEN_FORK_SERVER_PID, &d->end_server);
	demo_count_anons(s, 0, &d->end_all);
}

static char *fork_server_trace(const struct gen_fork_server_params *p, size_t *len)
{
	char *text = NULL;
	FILE *t = open_memstream(&text, len);

	if (t == NULL)
		return NULL;
	if (gen_fork_server(t, p) != 0) {
		fclose(t);
		free(text);
		return NULL;
	}
	fclose(t);
	return text;
}

static void describe(const struct demo_run *run, const struct gen_fork_server_params *p)
{
	char heap[32], opt[32];

	demo_say(run, "a server whose heap (%s) is four times the RAM forks %" PRIu64
		      " children; each writes %" PRIu64 " heap pages, reads one and exits,",
		 demo_size(p->heap_bytes, heap, sizeof heap), p->forks, p->child_pages);
	demo_say(run, "and between forks the server touches %" PRIu64 " pages of its heap", p->server_pages);
	demo_say(run, "trace: mvm gen fork-server --heap %s --forks %" PRIu64 " --child-pages %" PRIu64
		      " --server-pages %" PRIu64 " --check-every %" PRIu64 " --seed %" PRIu64,
		 demo_size_option(p->heap_bytes, opt, sizeof opt), p->forks, p->child_pages,
		 p->server_pages, p->check_every, p->seed);
}

/* The end state and the leak figure; true if nothing leaked. */
static bool report_end(const struct demo_run *run, const struct fork_server_demo *d)
{
	uint64_t leaked;
	char size[32];

	demo_say(run, "peak: %" PRIu64 " swap slots in use (%s), the allocator's high-water mark",
		 run->swap_peak, demo_size(run->swap_peak * VM_PAGE_SIZE, size, sizeof size));
	if (!d->ended || !d->server_alive || d->end_procs != 1) {
		demo_say(run, "end state: not reached (%s)",
			 !d->ended ? "the trace stopped early" : "the server did not survive");
		return false;
	}
	leaked = d->end_inuse > d->end_server.slots ? d->end_inuse - d->end_server.slots : 0;
	demo_say(run, "end state, every child gone: swap in use %" PRIu64 " slots; the server's "
		      "anons own %" PRIu64 " (%" PRIu64 " pages on swap only, %" PRIu64
		      " resident with a clean swap copy)",
		 d->end_inuse, d->end_server.slots, d->end_server.paged_out,
		 d->end_server.slots - d->end_server.paged_out);
	demo_say(run, "leaked slots: %" PRIu64 "; after the server exited: %" PRIu64 " slots in use",
		 leaked, run->swap_end);
	demo_say(run, "swap in use against slots live anons own: %s at %zu of %zu samples%s",
		 d->gaps ? "DIFFERENT" : "equal", d->gaps ? (size_t)d->gaps : run->series.nrows,
		 run->series.nrows, d->gaps ? " (see the series)" : "");
	return leaked == 0 && d->end_inuse == d->end_server.slots && d->gaps == 0 &&
	       run->swap_end == 0;
}

int demo_fork_server(struct demo_ctx *ctx)
{
	struct gen_fork_server_params p;
	struct fork_server_demo d = {0};
	struct demo_run run;
	size_t len;
	char *text;
	bool ok;

	demo_run_init(&run, ctx, "fork-server", columns, NCOLS);
	fork_server_params(ctx, &p, &run.opts.ram_bytes);
	text = fork_server_trace(&p, &len);
	if (text == NULL) {
		demo_run_free(&run);
		return 1;
	}
	run.sample = sample;
	run.at_stat = at_stat;
	run.arg = &d;
	demo_run_replay(&run, text, len);
	free(text);
	describe(&run, &p);
	demo_report_machine(&run);
	demo_say(&run, "swap in use over the run, in 4 KiB slots:");
	demo_report_chart(&run, "swap_inuse");
	ok = report_end(&run, &d);
	ok = demo_report_series(&run) && ok;
	ok = demo_report_verdict(&run) && ok;
	demo_say(&run, "fork-server %s", ok ? "passed: no swap leaked, every check held" : "FAILED");
	demo_run_free(&run);
	return ok ? 0 : 1;
}
