/*
 * demo_vm_test.c - many processes forking and swapping at once.
 *
 * The companion of the fork-server scenario, after the vm-test program
 * sent with the 1993 report: several processes whose heaps together are
 * four times the RAM write, read, fork short-lived children, page ranges
 * out on request, drop and remap ranges, all interleaved
 * (src/sim/gen_vm_test.c).  Every path that takes or releases a swap slot
 * runs while the others do.
 *
 * What the report shows, and what makes the scenario fail:
 *   - swap in use over the run (chart), and its peak;
 *   - at every sample, swap in use against the slots that anons some live
 *     process reaches own, walked from the maps (any difference is a
 *     leak, or a slot counted twice);
 *   - the end state at the trace's `stat`, every process still alive:
 *     the same equality, and the processes' pages on swap;
 *   - after every process has exited, no slot in use at all;
 *   - the checker's verdict.
 */
#include <inttypes.h>

#include "demo.h"
#include "demo_run.h"
#include "mvm/vm_page.h"
#include "gen/gen_vm_test.h"
#include "gen/gen_options.h"
#include "sim/sim.h"

enum { COL_OPS, COL_SWAP, COL_OWNED, COL_PROCS, COL_ANON_FRAMES, NCOLS };
static const char *const columns[NCOLS] = {"ops", "swap_inuse", "swap_owned_live", "procs",
					   "anon_frames"};

struct vm_test_demo {
	struct demo_swap_watch swap;
	uint64_t most_procs;        /* live processes at most, at a sample */
};

static void vm_test_params(const struct demo_ctx *ctx, struct gen_vm_test_params *p, uint64_t *ram)
{
	gen_vm_test_defaults(p);
	if (ctx->quick) {
		p->procs = 4;
		p->heap_bytes = 2ull << 20;
		p->rounds = 80;
	}
	*ram = p->procs * p->heap_bytes / 4;
}

static void sample(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row)
{
	struct vm_test_demo *d = run->arg;
	struct demo_anons all;
	uint64_t inuse = figures_swap_inuse(), procs = trace_hash_count(&s->procs);

	(void)ops;
	demo_count_anons(s, 0, &all);
	row[COL_SWAP] = inuse;
	row[COL_OWNED] = all.slots;
	row[COL_PROCS] = procs;
	row[COL_ANON_FRAMES] = vm_phys.by_use[VM_PAGE_ANON];
	d->most_procs = procs > d->most_procs ? procs : d->most_procs;
	demo_swap_watch_sample(&d->swap, inuse, all.slots);
}

static void at_stat(struct demo_run *run, struct sim *s)
{
	struct vm_test_demo *d = run->arg;

	demo_swap_watch_stat(&d->swap, s);
}

static int generate(FILE *out, const void *p)
{
	return gen_vm_test(out, p);
}

static void describe(const struct demo_run *run, const struct gen_vm_test_params *p)
{
	char heap[32];

	demo_say(run, "%" PRIu64 " processes, each with a heap of %s (together four times the RAM), "
		      "run %" PRIu64 " rounds of writes, reads, forks,", p->procs,
		 demo_size(p->heap_bytes, heap, sizeof heap), p->rounds);
	demo_say(run, "madvise pageout, dontneed and remaps, all interleaved");
	demo_say_trace(run, &gen_vm_test_kind, p);
}

/* The end state and the leak figures; true if nothing leaked. */
static bool report_end(const struct demo_run *run, const struct vm_test_demo *d)
{
	char size[32], when[48];

	demo_say(run, "peak: %" PRIu64 " swap slots in use (%s), the allocator's high-water mark; "
		      "%" PRIu64 " processes alive at most",
		 run->swap_peak, demo_size(run->swap_peak * VM_PAGE_SIZE, size, sizeof size),
		 d->most_procs);
	if (!d->swap.ended) {
		demo_say(run, "end state: not reached (the trace stopped early)");
		return false;
	}
	snprintf(when, sizeof when, "%" PRIu64 " processes alive", d->swap.end_procs);
	return demo_swap_watch_report(run, &d->swap, &d->swap.end_all, when, "their anons",
				      "every process");
}

int demo_vm_test(struct demo_ctx *ctx)
{
	struct gen_vm_test_params p;
	struct vm_test_demo d = {0};
	struct demo_run run;
	bool ok;

	demo_run_init(&run, ctx, "vm-test", columns, NCOLS);
	vm_test_params(ctx, &p, &run.opts.ram_bytes);
	run.sample = sample;
	run.at_stat = at_stat;
	run.arg = &d;
	if (!demo_run_replay_gen(&run, generate, &p))
		return 1;
	describe(&run, &p);
	demo_report_machine(&run);
	demo_say(&run, "swap in use over the run, in 4 KiB slots:");
	demo_report_chart(&run, "swap_inuse");
	ok = report_end(&run, &d);
	return demo_run_finish(&run, ok, "passed: no swap leaked, every check held");
}
