/*
 * demo_fragmentation.c - a server's address map over thousands of
 * requests, the GNU Mach translator reports replayed.
 *
 * On GNU Mach a translator's map grew from about 60 entries to thousands
 * after hours of work: vm_protect on small pieces of large reservations
 * (malloc, brk) and small temporary buffers among long-lived allocations
 * left entries that nothing glued back together.  The workload
 * (src/sim/gen_fragmentation.c) does exactly that, with forks.
 *
 * What the report shows, for the server (process 1) over time:
 *   entries    what mvm's map holds;
 *   minimum    the fewest entries that can describe the same address
 *              space: maximal runs of alike pages, computed outside the
 *              map by src/sim/frag.c;
 *   clip-only  what a map that clips and never merges would hold after
 *              the same operations (frag.c's shadow of every process).
 * At every sampled point, and for every live process, entries must equal
 * the minimum.  The one excuse the rules allow, adjacent private entries
 * whose pages are shared copy-on-write with another process (NetBSD and
 * Linux refuse to join those), is counted apart; mvm joins them anyway,
 * so the excuse should never be needed, and the report shows how often it
 * would have been: the sampled points at which the server held merged
 * entries with pages shared with a child.  Anything else above the
 * minimum is a bug, and fails the scenario.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "demo.h"
#include "demo_run.h"
#include "model/frag.h"
#include "gen/gen_fragmentation.h"
#include "gen/gen_options.h"
#include "sim/sim.h"
#include "vm/map.h"
#include "model/verify.h"

#define SERVER_PID 1

enum {
	COL_OPS,
	COL_ENTRIES,
	COL_MIN,
	COL_CLIP,
	COL_ENTRIES_ALL,
	COL_MIN_ALL,
	COL_CLIP_ALL,
	COL_ABOVE_MIN,
	COL_COW_ENTRIES,
	COL_PROCS,
	NCOLS
};
static const char *const columns[NCOLS] = {
	"ops", "entries", "minimum", "clip_only", "entries_all", "minimum_all", "clip_only_all",
	"above_minimum", "server_cow_entries", "procs"};

struct frag_demo {
	struct frag_follow *follow;
	bool lost;                 /* the follower lost the trace */
	uint64_t samples;          /* sampled points */
	uint64_t proc_samples;     /* (point, live process) pairs */
	uint64_t at_min;           /* points where every process was at its minimum */
	uint64_t points_shared;    /* points above it only because of sharing */
	uint64_t points_other;     /* points above it for no known reason */
	uint64_t cow_points;       /* points where the server had entries with
	                            * pages shared copy-on-write with a child */
	uint64_t first_other_ops;  /* where the first unexplained excess was */
	uint64_t first_other_pid;
};

/* Entries of MAP holding private pages another map shares. */
static bool note_cow(void *arg, uint64_t vpn, struct vm_anon *an, bool shared)
{
	bool *found = arg;

	(void)vpn;
	*found = shared || an->ref > 1;
	return !*found;
}

static uint64_t cow_entries(const struct vm_map *map)
{
	uint64_t n = 0;

	for (const struct vm_map_entry *e = vm_map_first(map); e != NULL; e = vm_map_next(e)) {
		bool found = false;

		vm_amap_foreach(&e->amap, vm_atop(vm_entry_start(e)), vm_atop(vm_entry_end(e)),
				note_cow, &found);
		n += found;
	}
	return n;
}

static void sample_proc(struct frag_demo *d, const struct sim_proc *p, uint64_t ops,
			uint64_t *row, struct frag_counts *sum)
{
	struct frag_counts c;

	frag_measure(p->map, &c);
	d->proc_samples++;
	sum->entries += c.entries;
	sum->min_runs += c.min_runs;
	sum->excess_shared += c.excess_shared;
	sum->excess_other += c.excess_other;
	if (c.excess_other != 0 && d->first_other_ops == 0) {
		d->first_other_ops = ops;
		d->first_other_pid = p->pid;
	}
	if (p->pid == SERVER_PID) {
		row[COL_ENTRIES] = c.entries;
		row[COL_MIN] = c.min_runs;
		row[COL_COW_ENTRIES] = cow_entries(p->map);
	}
}

static void sample(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row)
{
	struct frag_demo *d = run->arg;
	struct frag_counts sum = {0};
	struct sim_proc **procs;
	size_t n;

	if (!d->lost && !frag_follow_to(d->follow, s, ops))
		d->lost = true;
	n = sim_procs_sorted(s, &procs);
	for (size_t i = 0; i < n; i++) {
		sample_proc(d, procs[i], ops, row, &sum);
		row[COL_CLIP_ALL] += frag_clip_count(frag_follow_clip(d->follow), procs[i]->pid);
	}
	free(procs);
	row[COL_CLIP] = frag_clip_count(frag_follow_clip(d->follow), SERVER_PID);
	row[COL_ENTRIES_ALL] = sum.entries;
	row[COL_MIN_ALL] = sum.min_runs;
	row[COL_ABOVE_MIN] = sum.entries - sum.min_runs;
	row[COL_PROCS] = n;
	d->samples++;
	d->at_min += sum.entries == sum.min_runs;
	d->points_other += sum.excess_other != 0;
	d->points_shared += sum.excess_other == 0 && sum.excess_shared != 0;
	d->cow_points += row[COL_COW_ENTRIES] != 0;
}

static void frag_params(const struct demo_ctx *ctx, struct gen_frag_params *p)
{
	gen_frag_defaults(p);
	p->rounds = ctx->quick ? 600 : 10000;
	p->maps_every = 0; /* the report shows the map; the lines would be discarded */
}

static int generate(FILE *out, const void *p)
{
	return gen_fragmentation(out, p);
}

static void describe(const struct demo_run *run, const struct gen_frag_params *p)
{
	demo_say(run, "a server handles %" PRIu64 " requests: malloc arenas (64 MiB PROT_NONE "
		      "reservations) grow and shrink a piece at a time,", p->rounds);
	demo_say(run, "small heap pieces turn read-only and back, temporary buffers come and go "
		      "among long-lived private, shared,");
	demo_say(run, "read-only and dontfork mappings, windows of a disk file are mapped shared "
		      "and unmapped, threads start and end,");
	demo_say(run, "and children fork, write, mprotect, exec and exit");
	demo_say_trace(run, &gen_fragmentation_kind, p);
}

/* A few rows of the server's figures, evenly spaced. */
static void report_table(const struct demo_run *run)
{
	const struct series *s = &run->sampler.series;
	size_t rows = s->nrows < 12 ? s->nrows : 12;

	demo_say(run, "process 1 over time:");
	demo_say(run, "  %10s %9s %9s %10s %6s", "ops", "entries", "minimum", "clip-only", "procs");
	for (size_t k = 0; k < rows; k++) {
		size_t r = rows > 1 ? k * (s->nrows - 1) / (rows - 1) : 0;

		demo_say(run, "  %10" PRIu64 " %9" PRIu64 " %9" PRIu64 " %10" PRIu64 " %6" PRIu64,
			 series_get(s, r, COL_OPS), series_get(s, r, COL_ENTRIES),
			 series_get(s, r, COL_MIN), series_get(s, r, COL_CLIP),
			 series_get(s, r, COL_PROCS));
	}
}

/* The end state, the verdict on the minimum; true if it held. */
static bool report_end(const struct demo_run *run, const struct frag_demo *d)
{
	const struct series *s = &run->sampler.series;
	size_t last = s->nrows - 1, peak = series_peak_row(s, COL_CLIP);
	uint64_t e = series_get(s, last, COL_ENTRIES), c = series_get(s, last, COL_CLIP);
	char mvm_size[32], clip_size[32];

	demo_say(run, "end: process 1 holds %" PRIu64 " entries, the minimum for its address space "
		      "is %" PRIu64 "; a map that only clipped would hold %" PRIu64 " (%.1fx)",
		 e, series_get(s, last, COL_MIN), c, e ? (double)c / (double)e : 0.0);
	demo_say(run, "peak: clip-only %" PRIu64 " at ops %" PRIu64 " (mvm then: %" PRIu64
		      " entries); mvm's own peak %" PRIu64,
		 series_get(s, peak, COL_CLIP), series_get(s, peak, COL_OPS),
		 series_get(s, peak, COL_ENTRIES), series_get(s, series_peak_row(s, COL_ENTRIES),
							     COL_ENTRIES));
	demo_say(run, "metadata at the end: %s of %zu-byte entries; the clip-only map would take %s",
		 demo_size(e * sizeof(struct vm_map_entry), mvm_size, sizeof mvm_size),
		 sizeof(struct vm_map_entry),
		 demo_size(c * sizeof(struct vm_map_entry), clip_size, sizeof clip_size));
	demo_say(run, "minimum reached at %" PRIu64 " of %" PRIu64 " sampled points (%" PRIu64
		      " process maps measured, every live process at each point)",
		 d->at_min, d->samples, d->proc_samples);
	demo_say(run, "points above the minimum because sharing forbade a join: %" PRIu64
		      "; for no known reason: %" PRIu64, d->points_shared, d->points_other);
	demo_say(run, "sharing: at %" PRIu64 " points process 1 had entries holding pages shared "
		      "copy-on-write with a child;", d->cow_points);
	demo_say(run, "  mvm joins private neighbours whatever their amaps share (the amaps are radix "
		      "trees keyed by page number),");
	demo_say(run, "  where NetBSD and Linux keep them apart, so sharing never forbids a join here");
	if (d->points_other != 0)
		demo_say(run, "BUG: process %" PRIu64 " was above its minimum at ops %" PRIu64
			      " with no sharing to explain it", d->first_other_pid, d->first_other_ops);
	if (d->lost)
		demo_say(run, "the clip-only shadow lost the trace: its figures are not exact");
	return d->points_other == 0 && !d->lost && d->samples > 0 &&
	       series_get(s, last, COL_ENTRIES) == series_get(s, last, COL_MIN);
}

int demo_fragmentation(struct demo_ctx *ctx)
{
	struct gen_frag_params p;
	struct frag_demo d = {0};
	struct demo_run run;
	size_t len;
	char *text;
	bool ok;
	int status;

	demo_run_init(&run, ctx, "fragmentation", columns, NCOLS);
	frag_params(ctx, &p);
	run.opts.oracle = &model_oracle;
	/* The checker (invariant 5 among the rest) after every operation in
	 * quick runs, every 10th in the long one, where a check of the whole
	 * machine would cost ten times the replay; frag_measure's own check
	 * of every live map runs at every sampled point either way. */
	if (run.opts.check_every == 0)
		run.opts.check_every = ctx->quick ? 1 : 10;
	text = demo_trace_text(generate, &p, &len);
	d.follow = text != NULL ? frag_follow_create(text, len) : NULL;
	if (d.follow == NULL) {
		free(text);
		demo_run_free(&run);
		return 1;
	}
	run.sample = sample;
	run.arg = &d;
	demo_run_replay(&run, text, len);
	free(text);
	describe(&run, &p);
	demo_report_machine(&run);
	if (run.sampler.series.nrows == 0) {
		demo_say(&run, "no samples were taken");
		ok = false;
	} else {
		report_table(&run);
		demo_report_chart(&run, "entries");
		demo_report_chart(&run, "clip_only");
		ok = report_end(&run, &d);
	}
	status = demo_run_finish(&run, ok, "passed: every sampled map was at its minimum");
	frag_follow_destroy(d.follow);
	return status;
}
