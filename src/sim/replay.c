/*
 * replay.c - the replay loop: read, admit, execute, print, verify, check.
 *
 * Each line of the trace is parsed, admitted by the process rules shared
 * with every other executor (trace_pids), and run on the machine.  The
 * events it produced are printed at once, so a later error never loses
 * earlier output: bad input flushes what was printed before reporting
 * `FILE:LINE: message` and exiting 2.
 *
 * With --verify every admitted operation's events also go to an
 * independent oracle (the reference model, src/model/verify.c), which
 * must agree; when the system kills a process, the oracle is told.
 */
#include "replay.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"
#include "trace/trace.h"

struct replay {
	const struct replay_opts *opts;
	struct trace_reader *reader;
	struct trace_pids *pids;
	void *oracle;                 /* the oracle's state, if --verify */
	struct sim sim;
	struct trace_events got;
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

/* The system's kills: the process table and the oracle learn of them. */
static void note_kills(struct replay *r, const struct trace_op *op, const struct sim_result *res)
{
	for (size_t i = 0; i < r->got.n; i++) {
		if (r->got.ev[i].kind != TEV_KILLED)
			continue;
		trace_pids_killed(r->pids, r->got.ev[i].pid);
		if (r->oracle != NULL && r->got.ev[i].pid != op->pid)
			r->opts->oracle->killed(r->oracle, r->got.ev[i].pid);
	}
	/* A fork that killed its parent created no child. */
	if (res->killed_self && op->kind == TRACE_FORK)
		trace_pids_killed(r->pids, op->child);
}

static int verify_op(struct replay *r, const struct trace_op *op, const struct sim_result *res)
{
	const struct replay_oracle *o = r->opts->oracle;

	if (o->agree(r->oracle, op, &r->got, res->killed_self, res->done_bytes))
		return REPLAY_OK;
	fflush(r->out);
	fprintf(stderr, "%s:%" PRIu64 ": ", trace_reader_name(r->reader), op->line);
	o->report(r->oracle, op, &r->got, stderr);
	return REPLAY_FAILED;
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
	if (r->oracle != NULL)
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

/* A message that is not about a line of the trace: "mvm WHO: MSG". */
static void say_error(const struct replay_opts *o, const char *msg)
{
	fprintf(stderr, "mvm%s%s: %s\n", o->who != NULL ? " " : "", o->who != NULL ? o->who : "",
		msg);
}

int replay_run(const char *path, const struct replay_opts *o)
{
	char err[512];
	struct trace_reader *reader = trace_reader_open(path, err, sizeof err);

	if (reader == NULL) {
		say_error(o, err);
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
		say_error(o, err);
		trace_reader_close(r.reader);
		return REPLAY_BAD_INPUT;
	}
	r.sim.report = r.out;
	r.pids = trace_pids_create();
	r.oracle = o->oracle != NULL ? o->oracle->create() : NULL;
	status = replay_loop(&r);
	if (o->sample != NULL)
		o->sample(o->sample_arg, &r.sim, r.admitted, true);
	fflush(r.out);
	fflush(stdout);
	if (o->stats != NULL)
		sim_report_stat(&r.sim, o->stats);
	sim_shutdown(&r.sim);
	if (r.oracle != NULL)
		o->oracle->destroy(r.oracle);
	trace_pids_destroy(r.pids);
	trace_events_free(&r.got);
	trace_reader_close(r.reader);
	return status;
}
