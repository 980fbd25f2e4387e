/*
 * replay.c - the replay loop: read, admit, execute, print, verify, check.
 *
 * Each line of the trace is parsed, admitted by the process rules shared
 * with every other executor (trace_pids), and run on the machine.  The
 * events it produced are printed at once, so a later error never loses
 * earlier output: bad input flushes what was printed before reporting
 * `FILE:LINE: message` and exiting 2.
 *
 * With --verify every admitted operation also runs through the reference
 * model, and the two outputs must agree: the same lines, except that
 * `map` blocks are compared page by page (their entry counts may differ;
 * the consistency checker is what holds mvm's maps to the minimum).
 * When mvm kills a process for want of memory, the model is
 * told; when the kill cut a data operation short, the model replays only
 * the part that completed, so shared memory stays comparable.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "sim.h"
#include "trace.h"

struct replay {
	const struct replay_opts *opts;
	struct trace_reader *reader;
	struct trace_pids *pids;
	struct model *model;
	struct sim sim;
	struct trace_events got, want;
	uint64_t admitted;
	FILE *out;
};

void replay_opts_defaults(struct replay_opts *o)
{
	*o = (struct replay_opts){.ram_bytes = 64ull << 20};
	sim_dev_config_defaults(&o->dev);
	sim_files_config_defaults(&o->files);
}

static int fail_at(struct replay *r, const struct trace_op *op, int status, const char *fmt,
		   const char *msg)
{
	fflush(r->out);
	fprintf(stderr, "%s:%" PRIu64 ": ", trace_reader_name(r->reader), op->line);
	fprintf(stderr, fmt, msg);
	fputc('\n', stderr);
	return status;
}

static void print_events(const struct trace_events *e, FILE *out)
{
	for (size_t i = 0; i < e->n; i++)
		trace_event_format(&e->ev[i], out);
}

/* The system's kills: the process table and the model learn of them. */
static void note_kills(struct replay *r, const struct trace_op *op, const struct sim_result *res)
{
	for (size_t i = 0; i < r->got.n; i++) {
		if (r->got.ev[i].kind != TEV_KILLED)
			continue;
		trace_pids_killed(r->pids, r->got.ev[i].pid);
		if (r->model != NULL && r->got.ev[i].pid != op->pid)
			model_kill(r->model, r->got.ev[i].pid);
	}
	/* A fork that killed its parent created no child. */
	if (res->killed_self && op->kind == TRACE_FORK)
		trace_pids_killed(r->pids, op->child);
}

/* Compares the runs of MAP events at *I and *J; advances both. */
static bool compare_maps(const struct trace_events *a, size_t *i, const struct trace_events *b,
			 size_t *j, char *why, size_t whylen)
{
	size_t i0 = *i, j0 = *j;

	while (*i < a->n && a->ev[*i].kind == TEV_MAP)
		(*i)++;
	while (*j < b->n && b->ev[*j].kind == TEV_MAP)
		(*j)++;
	return trace_maps_compare(a->ev + i0, *i - i0, b->ev + j0, *j - j0, why, whylen);
}

/* Whether mvm's events (kills aside) say what the model's say. */
static bool events_agree(const struct trace_events *got, const struct trace_events *want,
			 char *why, size_t whylen)
{
	size_t i = 0, j = 0;

	snprintf(why, whylen, "the outputs differ");
	for (;;) {
		while (i < got->n && got->ev[i].kind == TEV_KILLED)
			i++;
		if (i == got->n || j == want->n)
			return i == got->n && j == want->n;
		if (got->ev[i].kind == TEV_MAP && want->ev[j].kind == TEV_MAP) {
			if (!compare_maps(got, &i, want, &j, why, whylen))
				return false;
			continue;
		}
		if (!trace_event_equal(&got->ev[i], &want->ev[j]))
			return false;
		i++, j++;
	}
}

static int verify_failed(struct replay *r, const struct trace_op *op, const char *why)
{
	fflush(r->out);
	fprintf(stderr, "%s:%" PRIu64 ": verify: mvm and the reference model disagree (%s) on: ",
		trace_reader_name(r->reader), op->line, why);
	trace_format_op(op, stderr);
	fprintf(stderr, "  mvm said:\n");
	for (size_t i = 0; i < r->got.n; i++) {
		fputs("    ", stderr);
		trace_event_format(&r->got.ev[i], stderr);
	}
	fprintf(stderr, "  the model said:\n");
	for (size_t i = 0; i < r->want.n; i++) {
		fputs("    ", stderr);
		trace_event_format(&r->want.ev[i], stderr);
	}
	return REPLAY_FAILED;
}

/* Operations that may stop part way, having taken effect up to there. */
static bool is_data_op(const struct trace_op *op)
{
	return op->kind == TRACE_WRITE || op->kind == TRACE_TOUCH || op->kind == TRACE_READ ||
	       op->kind == TRACE_PWRITE;
}

static int verify_op(struct replay *r, const struct trace_op *op, const struct sim_result *res)
{
	char why[256];

	trace_events_clear(&r->want);
	if (res->killed_self) {
		/* The model does only what mvm completed, then loses P too. */
		if (is_data_op(op) && res->done_bytes > 0) {
			struct trace_op part = *op;

			part.len = res->done_bytes;
			model_apply(r->model, &part, &r->want);
		}
		if (op->kind != TRACE_SPAWN)
			model_kill(r->model, op->pid);
		return REPLAY_OK;
	}
	model_apply(r->model, op, &r->want);
	if (!events_agree(&r->got, &r->want, why, sizeof why))
		return verify_failed(r, op, why);
	return REPLAY_OK;
}

static int run_check(struct replay *r, const struct trace_op *op, const char *why_given)
{
	char why[512];

	if (why_given == NULL) {
		if (sim_check(&r->sim, why, sizeof why))
			return REPLAY_OK;
		why_given = why;
	}
	return fail_at(r, op, REPLAY_FAILED, "check failed: %s", why_given);
}

/* One line of the trace. */
static int replay_op(struct replay *r, const struct trace_op *op)
{
	char err[256];
	struct sim_result res;
	int status = REPLAY_OK;

	switch (trace_pids_admit(r->pids, op, err, sizeof err)) {
	case TRACE_BAD:
		return fail_at(r, op, REPLAY_BAD_INPUT, "%s", err);
	case TRACE_SKIP:
		return REPLAY_OK;
	case TRACE_RUN:
		break;
	}
	trace_events_clear(&r->got);
	sim_exec(&r->sim, op, &r->got, &res);
	note_kills(r, op, &res);
	print_events(&r->got, r->out);
	if (r->model != NULL)
		status = verify_op(r, op, &res);
	if (status == REPLAY_OK && res.failed_check)
		status = run_check(r, op, res.why);
	r->admitted++;
	if (status == REPLAY_OK && r->opts->check_every != 0 &&
	    r->admitted % r->opts->check_every == 0)
		status = run_check(r, op, NULL);
	if (r->opts->sample != NULL && r->opts->sample_every != 0 &&
	    r->admitted % r->opts->sample_every == 0)
		r->opts->sample(r->opts->sample_arg, &r->sim, r->admitted, false);
	return status;
}

static int replay_loop(struct replay *r)
{
	struct trace_op op;
	int got, status = REPLAY_OK;

	while (status == REPLAY_OK && (got = trace_next(r->reader, &op)) != 0) {
		if (got < 0) {
			fflush(r->out);
			fprintf(stderr, "%s\n", trace_reader_error(r->reader));
			return REPLAY_BAD_INPUT;
		}
		status = replay_op(r, &op);
	}
	return status;
}

int replay_run(const char *path, const struct replay_opts *o)
{
	char err[512];
	struct trace_reader *reader = trace_reader_open(path, err, sizeof err);

	if (reader == NULL) {
		fprintf(stderr, "mvm: %s\n", err);
		return REPLAY_BAD_INPUT;
	}
	return replay_run_reader(reader, o);
}

int replay_run_reader(struct trace_reader *reader, const struct replay_opts *o)
{
	struct replay r = {.opts = o, .reader = reader, .out = o->out != NULL ? o->out : stdout};
	struct sim_config cfg = {.ram_bytes = o->ram_bytes, .verbose = o->verbose,
				 .dev = o->dev, .files = o->files, .inject = o->inject};
	char err[512];
	int status;

	if (!sim_boot(&r.sim, &cfg, err, sizeof err)) {
		fprintf(stderr, "mvm: %s\n", err);
		trace_reader_close(r.reader);
		return REPLAY_BAD_INPUT;
	}
	r.sim.report = r.out;
	r.pids = trace_pids_create();
	r.model = o->verify ? model_create() : NULL;
	status = replay_loop(&r);
	if (o->sample != NULL)
		o->sample(o->sample_arg, &r.sim, r.admitted, true);
	fflush(r.out);
	fflush(stdout);
	if (o->stats != NULL)
		sim_report_stat(&r.sim, o->stats);
	sim_shutdown(&r.sim);
	if (r.model != NULL)
		model_destroy(r.model);
	trace_pids_destroy(r.pids);
	trace_events_free(&r.got);
	trace_events_free(&r.want);
	trace_reader_close(r.reader);
	return status;
}
