/*
 * demo_translator.c - an ext2fs translator under heavy I/O, the GNU Mach
 * advisory-pageout reports replayed.
 *
 * On the Hurd a file system is a process, and the pager of its files.
 * GNU Mach let any number of pages be dirty at once and then returned
 * them together: a flood of memory_object_data_return messages, one
 * thread each in the translator, until it fell over.  And under memory
 * pressure it flushed anonymous memory to swap while clean file pages,
 * which are only cache, stayed resident.  The workload
 * (src/sim/gen_translator.c) is a translator with its files mapped
 * shared, writing through the mappings and with pwrite, reading, with
 * an anonymous working set of its own and forked clients, on a machine
 * whose RAM is well below files plus working set.
 *
 * What the report shows, and what makes the scenario fail:
 *   - potentially dirty file pages over the run (chart), against the
 *     bound (--dirty-max); the core's peak, which sees every page
 *     dirtied, inside operations too, must not pass it;
 *   - data_returns in flight to the pager over the run (chart), against
 *     the cap (--pager-inflight); both the core's peak and the pager's
 *     own, counted where the messages arrive, must stay within it;
 *   - anonymous pages sent to swap while a clean file page was resident:
 *     must be 0 (how many went to swap in all says whether the rule was
 *     put to the test);
 *   - how often writers were throttled at the bound, and how long they
 *     waited in simulated time; the messages each way; simulated time;
 *   - the run completes: no process killed, and the checker's verdict.
 *
 * The charts are sampled between operations, so they show the figures
 * as operations leave them; the peaks are the core's and the pager's own
 * high-water marks, so "within the bound" holds at every step.
 */
#include <inttypes.h>

#include "demo.h"
#include "demo_run.h"
#include "mvm/vm_page.h"
#include "gen/gen_translator.h"
#include "gen/gen_options.h"
#include "sim/sim.h"
#include "vm/file.h"
#include "vm/swap.h"
#include "model/verify.h"

enum {
	COL_OPS,
	COL_DIRTY,
	COL_DIRTY_MAX,
	COL_INFLIGHT,
	COL_INFLIGHT_CAP,
	COL_CLEAN_FILE,
	COL_FILE_FRAMES,
	COL_ANON_FRAMES,
	COL_SWAP,
	COL_ANON_OUT,
	COL_ANON_OUT_CLEAN,
	COL_THROTTLED,
	COL_TIME_US,
	NCOLS
};
static const char *const columns[NCOLS] = {
	"ops", "dirty", "dirty_max", "returns_in_flight", "inflight_cap", "clean_file_pages",
	"file_frames", "anon_frames", "swap_inuse", "anon_pageouts", "anon_out_with_clean_file",
	"throttled", "time_us"};

struct translator_demo {
	struct vm_file_stats file;      /* the core's figures, as last sampled */
	struct sim_pager_stats pager;   /* the pager's, as last sampled */
	uint64_t anon_pageouts;         /* anonymous pages written to swap */
	uint64_t now_ns;                /* simulated time */
	uint64_t over_bound, over_cap;  /* samples beyond the bound, the cap */
	bool ended;                     /* the trace's `stat` ran */
	uint64_t end_dirty, end_clean, end_anon_frames;
};

static void translator_params(const struct demo_ctx *ctx, struct gen_translator_params *p)
{
	gen_translator_defaults(p);
	if (ctx->quick)
		gen_translator_quick(p);
}

static void sample(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row)
{
	struct translator_demo *d = run->arg;
	struct sim_clock_stats clock;

	(void)s;
	(void)ops;
	d->file = vm_file_stats;
	sim_pager_get_stats(0, &d->pager);
	sim_clock_get_stats(&clock);
	d->anon_pageouts = vm_swap_stats.pageouts;
	d->now_ns = clock.now_ns;
	row[COL_DIRTY] = d->file.dirty;
	row[COL_DIRTY_MAX] = d->file.dirty_max;
	row[COL_INFLIGHT] = d->pager.returns_in_flight;
	row[COL_INFLIGHT_CAP] = d->file.inflight_cap;
	row[COL_CLEAN_FILE] = vm_file_clean_resident();
	row[COL_FILE_FRAMES] = vm_phys.by_use[VM_PAGE_OBJECT];
	row[COL_ANON_FRAMES] = vm_phys.by_use[VM_PAGE_ANON];
	row[COL_SWAP] = figures_swap_inuse();
	row[COL_ANON_OUT] = d->anon_pageouts;
	row[COL_ANON_OUT_CLEAN] = d->file.anon_out_with_clean_file;
	row[COL_THROTTLED] = d->file.throttled;
	row[COL_TIME_US] = clock.now_ns / 1000;
	d->over_bound += d->file.dirty > d->file.dirty_max;
	d->over_cap += d->pager.returns_in_flight > d->file.inflight_cap;
}

/* The trace's `stat`: every mapping was just msynced, the translator is
 * still there. */
static void at_stat(struct demo_run *run, struct sim *s)
{
	struct translator_demo *d = run->arg;

	d->ended = sim_proc_find(s, GEN_TRANSLATOR_PID) != NULL;
	d->end_dirty = vm_file_stats.dirty;
	d->end_clean = vm_file_clean_resident();
	d->end_anon_frames = vm_phys.by_use[VM_PAGE_ANON];
}

static int generate(FILE *out, const void *p)
{
	return gen_translator(out, p);
}

static void describe(const struct demo_run *run, const struct gen_translator_params *p)
{
	char fsize[32], anon[32];

	demo_say(run, "a translator maps %" PRIu64 " files of %s shared and serves %" PRIu64
		      " requests: stores through the mappings, pwrite, pread,",
		 p->files, demo_size(p->file_bytes, fsize, sizeof fsize), p->requests);
	demo_say(run, "whole files rewritten now and then, a journal appended to, an msync every %"
		      PRIu64 " requests, a client forked every %" PRIu64 ";",
		 p->msync_every, p->client_every);
	demo_say(run, "its own memory is %s, half of it a working set it sweeps all the time",
		 demo_size(p->anon_bytes, anon, sizeof anon));
	demo_say(run, "replayed under --verify (every output line checked against the reference "
		      "model), with the RAM the trace is meant for");
	demo_say_trace(run, &gen_translator_kind, p);
}

static void charts(const struct demo_run *run, const struct translator_demo *d)
{
	demo_say(run, "potentially dirty file pages, sampled between operations (the bound, "
		      "--dirty-max, is %" PRIu64 "):", d->file.dirty_max);
	demo_report_chart(run, "dirty");
	demo_say(run, "data_return messages in flight to the pager, sampled between operations "
		      "(the cap, --pager-inflight, is %" PRIu64 "):", d->file.inflight_cap);
	demo_report_chart(run, "returns_in_flight");
}

/* Simulated nanoseconds as seconds with three decimals. */
static double seconds(uint64_t ns)
{
	return (double)ns / 1e9;
}

/* The figures and the judgement; true if every bound held. */
static bool judge(const struct demo_run *run, const struct translator_demo *d)
{
	const struct vm_file_stats *f = &d->file;
	bool dirty_ok = f->dirty_peak <= f->dirty_max && d->over_bound == 0;
	bool cap_ok = f->inflight_peak <= f->inflight_cap &&
		      d->pager.returns_in_flight_peak <= f->inflight_cap && d->over_cap == 0;
	bool anon_ok = f->anon_out_with_clean_file == 0;

	demo_say(run, "peak dirty: %" PRIu64 " pages, bound %" PRIu64 ": %s", f->dirty_peak,
		 f->dirty_max, dirty_ok ? "within" : "EXCEEDED");
	demo_say(run, "peak data_returns in flight: %" PRIu64 " (the core's count), %" PRIu64
		      " (the pager's), cap %" PRIu64 ": %s",
		 f->inflight_peak, d->pager.returns_in_flight_peak, f->inflight_cap,
		 cap_ok ? "within" : "EXCEEDED");
	demo_say(run, "writers throttled at the bound: %" PRIu64 " times, waiting %.3f s of "
		      "simulated time in all", f->throttled, seconds(f->throttle_ns));
	demo_say(run, "messages: data_request %" PRIu64 " (%" PRIu64 " pages), data_return %" PRIu64
		      " (%" PRIu64 " pages, %.1f per message)",
		 f->requests, f->request_pages, f->returns, f->return_pages,
		 f->returns ? (double)f->return_pages / (double)f->returns : 0.0);
	demo_say(run, "anonymous pages sent to swap while clean file pages were resident: %" PRIu64
		      " (the goal is none); to swap in all: %" PRIu64 "; clean file pages dropped: %"
		      PRIu64, f->anon_out_with_clean_file, d->anon_pageouts, f->clean_drops);
	if (d->ended)
		demo_say(run, "at the trace's stat, after the final msync: %" PRIu64 " dirty pages, %"
			      PRIu64 " clean file pages and %" PRIu64 " anonymous pages resident",
			 d->end_dirty, d->end_clean, d->end_anon_frames);
	demo_say(run, "simulated time: %.3f s", seconds(d->now_ns));
	if (run->killed != 0 || !d->ended)
		demo_say(run, "FAILED: the run did not complete (%" PRIu64 " processes killed)",
			 run->killed);
	return dirty_ok && cap_ok && anon_ok && run->killed == 0 && d->ended;
}

int demo_translator(struct demo_ctx *ctx)
{
	struct gen_translator_params p;
	struct translator_demo d = {0};
	struct demo_run run;
	bool ok;

	translator_params(ctx, &p);
	demo_run_init(&run, ctx, "translator", columns, NCOLS);
	run.opts.ram_bytes = gen_translator_ram(&p);
	run.opts.oracle = &model_oracle;
	if (ctx->quick && run.opts.check_every == 0)
		run.opts.check_every = 1;
	run.sample = sample;
	run.at_stat = at_stat;
	run.arg = &d;
	if (!demo_run_replay_gen(&run, generate, &p))
		return 1;
	describe(&run, &p);
	demo_report_machine(&run);
	ok = run.sampler.series.nrows > 0;
	if (ok) {
		charts(&run, &d);
		ok = judge(&run, &d);
	}
	return demo_run_finish(&run, ok, "passed: dirty pages and data_returns in flight stayed "
					 "within their bounds, no anonymous page went to swap while "
					 "clean file pages were resident");
}
