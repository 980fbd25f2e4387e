/*
 * demo_run.c - the replay and report machinery every demo scenario uses.
 *
 * The replay's output lines are not the point of a demo (the report is),
 * and a long scenario prints tens of thousands of them; they go to a
 * stream that only counts them, and the `killed` lines among them (or
 * copies them too, for the one scenario that shows them).  Figures are
 * taken through the replay's sample hook, which demo_run asks for after
 * every operation: most calls only compare two counters, and that lets a
 * scenario act at an exact moment of its trace (right after a `stat`
 * line) as well as every so many operations; rows themselves are the
 * report's sampler's (src/report/sampler.c), shared with `mvm replay
 * --series`.  The checks that ran are the checker's own count of
 * `check` lines plus the --check-every ones; the replay stops at the
 * first that fails, so "all passed" is the replay's status.
 *
 * What more than one scenario does the same way lives here too, so that a
 * scenario file holds only what is its own: the trace text from a
 * generator, the swap-leak watch (fork-server, vm-test), and the end of
 * every report (series, verdict, the pass or fail line).
 */
#include "demo_run.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gen/gen_options.h"
#include "report/series_set.h"
#include "sim/sim.h"
#include "trace/trace.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/swap.h"

char *demo_trace_text(demo_gen_fn gen, const void *params, size_t *len)
{
	char *text = NULL;
	FILE *t = open_memstream(&text, len);

	if (t == NULL)
		return NULL;
	if (gen(t, params) != 0) {
		fclose(t);
		free(text);
		return NULL;
	}
	fclose(t);
	return text;
}

/* The sampler's fill function: the scenario's, which takes the run. */
static void fill_row(void *arg, struct sim *s, uint64_t ops, uint64_t *row)
{
	struct demo_run *run = arg;

	run->sample(run, s, ops, row);
}

void demo_run_init(struct demo_run *run, struct demo_ctx *ctx, const char *name,
		   const char *const *columns, size_t ncolumns)
{
	*run = (struct demo_run){.ctx = ctx, .name = name, .opts = ctx->base,
				 .sample_every = ctx->base.sample_every};
	sampler_init(&run->sampler, columns, ncolumns, fill_row, run, 1);
}

void demo_run_free(struct demo_run *run)
{
	sampler_free(&run->sampler);
}

/* ---- the replay ---- */

/*
 * The replay's output goes here: lines are counted, and `P killed WHY`
 * lines too (the only output a report needs), from the head of each line
 * kept across writes.
 */
struct out_sink {
	uint64_t *lines, *killed;
	FILE *echo;     /* NULL, or where the lines are copied */
	char head[40];  /* the current line's first bytes */
	size_t headlen;
};

static bool is_killed_line(const char *head, size_t len)
{
	size_t i = 0;

	while (i < len && head[i] >= '0' && head[i] <= '9')
		i++;
	return i > 0 && len - i >= 8 && memcmp(head + i, " killed ", 8) == 0;
}

static ssize_t sink_write(void *cookie, const char *buf, size_t size)
{
	struct out_sink *k = cookie;

	if (k->echo != NULL)
		fwrite(buf, 1, size, k->echo);
	for (size_t i = 0; i < size; i++) {
		if (buf[i] == '\n') {
			(*k->lines)++;
			*k->killed += is_killed_line(k->head, k->headlen);
			k->headlen = 0;
		} else if (k->headlen < sizeof k->head) {
			k->head[k->headlen++] = buf[i];
		}
	}
	return (ssize_t)size;
}

static int sink_close(void *cookie)
{
	free(cookie);
	return 0;
}

static FILE *output_sink(struct demo_run *run)
{
	cookie_io_functions_t io = {.write = sink_write, .close = sink_close};
	struct out_sink *k = calloc(1, sizeof *k);
	FILE *f;

	if (k == NULL)
		return NULL;
	k->lines = &run->out_lines;
	k->killed = &run->killed;
	k->echo = run->echo;
	if ((f = fopencookie(k, "w", io)) == NULL)
		free(k);
	return f;
}

static void note_end(struct demo_run *run, struct sim *s, uint64_t ops)
{
	run->ops = ops;
	run->checks = figures_checks_run(s, run->opts.check_every, ops);
	run->oom_kills = s->stats.oom_kills;
	run->swap_slots = vm_swap_enabled() ? vm_swap_slots() : 0;
	run->swap_peak = vm_swap_stats.peak_inuse;
	run->swap_end = figures_swap_inuse();
}

/* The replay's hook, after every operation and once at the end. */
static void demo_hook(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct demo_run *run = arg;

	if (s->stats.ops_by_kind[TRACE_STAT] != run->stats_seen) {
		run->stats_seen = s->stats.ops_by_kind[TRACE_STAT];
		if (run->at_stat != NULL)
			run->at_stat(run, s);
	}
	if (run->sample != NULL)
		sampler_hook(&run->sampler, s, ops, at_end);
	if (at_end)
		note_end(run, s, ops);
}

static uint64_t count_newlines(const char *text, size_t len)
{
	uint64_t n = 0;

	for (const char *p = text; (p = memchr(p, '\n', len - (size_t)(p - text))) != NULL; p++)
		n++;
	return n;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int demo_run_replay(struct demo_run *run, const char *text, size_t len)
{
	struct trace_reader *reader;
	FILE *sink = output_sink(run);
	double start = now_seconds();

	if (sink == NULL)
		return run->status = REPLAY_FAILED;
	if (run->sample_every == 0)
		run->sample_every = count_newlines(text, len) / DEMO_SAMPLE_ROWS + 1;
	run->sampler.every = run->sample_every;
	run->opts.out = sink;
	run->opts.sample = demo_hook;
	run->opts.sample_arg = run;
	run->opts.sample_every = 1;
	reader = trace_reader_from_buffer(run->name, text, len);
	run->status = reader != NULL ? replay_run_reader(reader, &run->opts) : REPLAY_FAILED;
	fclose(sink);
	run->opts.out = NULL;
	run->seconds = now_seconds() - start;
	return run->status;
}

bool demo_run_replay_gen(struct demo_run *run, demo_gen_fn gen, const void *params)
{
	size_t len;
	char *text = demo_trace_text(gen, params, &len);

	if (text == NULL) {
		demo_run_free(run);
		return false;
	}
	demo_run_replay(run, text, len);
	free(text);
	return true;
}

/* ---- how anonymous memory is held ---- */

struct anon_walk {
	struct trace_hash seen;
	struct demo_anons *count;
};

static bool count_anon(void *arg, uint64_t vpn, struct vm_anon *an, bool shared)
{
	struct anon_walk *w = arg;

	(void)vpn;
	(void)shared;
	if ((*trace_hash_insert(&w->seen, (uint64_t)(uintptr_t)an))++ != 0)
		return true;
	w->count->anons++;
	w->count->resident += an->page != NULL;
	w->count->slots += an->swslot != VM_ANON_NOSLOT;
	w->count->paged_out += an->swslot != VM_ANON_NOSLOT && an->page == NULL;
	return true;
}

static void count_map(struct anon_walk *w, struct vm_map *map)
{
	for (const struct vm_map_entry *e = vm_map_first(map); e != NULL; e = vm_map_next(e)) {
		vm_amap_foreach(&e->amap, 0, UINT64_MAX, count_anon, w);
		if (e->object != NULL)
			vm_amap_foreach(&e->object->anons, 0, UINT64_MAX, count_anon, w);
	}
}

void demo_count_anons(struct sim *s, uint64_t pid, struct demo_anons *out)
{
	struct anon_walk w = {.count = out};
	struct sim_proc **procs, *p;
	size_t n;

	*out = (struct demo_anons){0};
	trace_hash_init(&w.seen);
	if (pid != 0) {
		if ((p = sim_proc_find(s, pid)) != NULL)
			count_map(&w, p->map);
	} else {
		n = sim_procs_sorted(s, &procs);
		for (size_t i = 0; i < n; i++)
			count_map(&w, procs[i]->map);
		free(procs);
	}
	trace_hash_free(&w.seen);
}

/* ---- the swap leak ---- */

void demo_swap_watch_sample(struct demo_swap_watch *w, uint64_t inuse, uint64_t owned)
{
	uint64_t gap = inuse > owned ? inuse - owned : owned - inuse;

	if (gap == 0)
		return;
	w->gaps++;
	w->worst_gap = gap > w->worst_gap ? gap : w->worst_gap;
}

void demo_swap_watch_stat(struct demo_swap_watch *w, struct sim *s)
{
	w->ended = true;
	w->end_inuse = figures_swap_inuse();
	w->end_procs = trace_hash_count(&s->procs);
	demo_count_anons(s, 0, &w->end_all);
}

bool demo_swap_watch_report(const struct demo_run *run, const struct demo_swap_watch *w,
			    const struct demo_anons *owner, const char *when, const char *whose,
			    const char *gone)
{
	uint64_t leaked = w->end_inuse > owner->slots ? w->end_inuse - owner->slots : 0;

	demo_say(run, "end state, %s: swap in use %" PRIu64 " slots; %s own %" PRIu64 " (%" PRIu64
		      " pages on swap only, %" PRIu64 " resident with a clean swap copy)",
		 when, w->end_inuse, whose, owner->slots, owner->paged_out,
		 owner->slots - owner->paged_out);
	demo_say(run, "leaked slots: %" PRIu64 "; after %s exited: %" PRIu64 " slots in use",
		 leaked, gone, run->swap_end);
	demo_say(run, "swap in use against slots live anons own: %s at %zu of %zu samples%s",
		 w->gaps ? "DIFFERENT" : "equal", w->gaps ? (size_t)w->gaps : run->sampler.series.nrows,
		 run->sampler.series.nrows, w->gaps ? " (see the series)" : "");
	return leaked == 0 && w->end_inuse == owner->slots && w->gaps == 0 && run->swap_end == 0;
}

/* ---- the report ---- */

void demo_say(const struct demo_run *run, const char *fmt, ...)
{
	va_list ap;

	fputs("# ", run->ctx->out);
	va_start(ap, fmt);
	vfprintf(run->ctx->out, fmt, ap);
	va_end(ap);
	fputc('\n', run->ctx->out);
}

const char *demo_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	unsigned u = 0;
	uint64_t scale = 1;

	while (u + 1 < sizeof units / sizeof units[0] && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	if (bytes % scale == 0)
		snprintf(buf, len, "%" PRIu64 " %s", bytes / scale, units[u]);
	else
		snprintf(buf, len, "%.1f %s", (double)bytes / (double)scale, units[u]);
	return buf;
}

void demo_say_trace(const struct demo_run *run, const struct gen_kind *kind, const void *params)
{
	char cmd[1024];

	demo_say(run, "trace: mvm %s", gen_options_command(kind, params, cmd, sizeof cmd));
}

void demo_report_machine(const struct demo_run *run)
{
	char ram[32], swap[32];

	demo_say(run, "machine: RAM %s, swap %s; %" PRIu64 " operations replayed in %.2f s "
		      "(host time), %" PRIu64 " output lines",
		 demo_size(run->opts.ram_bytes, ram, sizeof ram),
		 run->swap_slots ? demo_size(run->swap_slots * VM_PAGE_SIZE, swap, sizeof swap) : "none",
		 run->ops, run->seconds, run->out_lines);
	if (run->killed != 0)
		demo_say(run, "processes killed: %" PRIu64 ", %" PRIu64 " of them by the OOM killer%s",
			 run->killed, run->oom_kills,
			 run->killed > run->oom_kills ? " (the others lost data to a failed swap read)" : "");
}

void demo_report_chart(const struct demo_run *run, const char *column)
{
	struct series_chart_style style = {.prefix = "#   "};
	int col = series_column(&run->sampler.series, column);

	if (col < 0 || run->sampler.series.nrows == 0) {
		demo_say(run, "(no samples of %s)", column);
		return;
	}
	series_chart(&run->sampler.series, 0, (size_t)col, &style, run->ctx->out);
}

void demo_report_series(struct demo_run *run)
{
	size_t rows = run->sampler.series.nrows, cols = run->sampler.series.ncols;

	if (run->ctx->series == NULL)
		return;
	if (series_set_add(run->ctx->series, run->name, &run->sampler.series) &&
	    run->ctx->series_path != NULL)
		demo_say(run, "series: %zu rows of %zu columns, for %s", rows, cols,
			 run->ctx->series_path);
}

bool demo_report_verdict(const struct demo_run *run)
{
	switch (run->status) {
	case REPLAY_OK:
		demo_say(run, "checker: %" PRIu64 " checks ran, all passed", run->checks);
		return true;
	case REPLAY_FAILED:
		demo_say(run, "checker: FAILED: the replay stopped after %" PRIu64 " checks, at a "
			      "broken invariant or a disagreement with the model (standard error says "
			      "which)", run->checks);
		return false;
	default:
		demo_say(run, "the trace was refused as bad input (standard error says where)");
		return false;
	}
}

int demo_run_finish(struct demo_run *run, bool ok, const char *passed)
{
	demo_report_series(run);
	ok = demo_report_verdict(run) && ok;
	demo_say(run, "%s %s", run->name, ok ? passed : "FAILED");
	demo_run_free(run);
	return ok ? 0 : 1;
}
