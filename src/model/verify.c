/*
 * verify.c - checking an executor's events against the reference model.
 *
 * Every admitted operation also runs through the model, and the two
 * outputs must agree: the same lines, except that `map` blocks are
 * compared page by page (their entry counts may differ; the consistency
 * checker is what holds mvm's maps to the minimum).  When the executor
 * kills a process for want of memory, the model is told; when the kill
 * cut a data operation short, the model replays only the part that
 * completed, so shared memory stays comparable.
 */
#include "verify.h"

#include <stdlib.h>

#include "model.h"
#include "trace/trace.h"

struct verifier {
	struct model *model;
	struct trace_events want;
	char why[256];    /* how the last disagreement showed */
};

static void *verifier_create(void)
{
	struct verifier *v = calloc(1, sizeof *v);

	if (v == NULL) {
		fputs("mvm: out of host memory\n", stderr);
		abort();
	}
	v->model = model_create();
	return v;
}

static void verifier_destroy(void *state)
{
	struct verifier *v = state;

	model_destroy(v->model);
	trace_events_free(&v->want);
	free(v);
}

static void verifier_killed(void *state, uint64_t pid)
{
	struct verifier *v = state;

	model_kill(v->model, pid);
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

/* Whether the executor's events (kills aside) say what the model's say. */
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

static void print_list(const char *who, const struct trace_events *e, FILE *err)
{
	fprintf(err, "  %s said:\n", who);
	for (size_t i = 0; i < e->n; i++) {
		fputs("    ", err);
		trace_event_format(&e->ev[i], err);
	}
}

/* Operations that may stop part way, having taken effect up to there. */
static bool is_data_op(const struct trace_op *op)
{
	return op->kind == TRACE_WRITE || op->kind == TRACE_TOUCH || op->kind == TRACE_READ ||
	       op->kind == TRACE_PWRITE;
}

static bool verifier_agree(void *state, const struct trace_op *op, const struct trace_events *got,
			   bool killed_self, uint64_t done_bytes)
{
	struct verifier *v = state;

	trace_events_clear(&v->want);
	if (killed_self) {
		/* The model does only what the executor completed, then loses
		 * P too. */
		if (is_data_op(op) && done_bytes > 0) {
			struct trace_op part = *op;

			part.len = done_bytes;
			model_apply(v->model, &part, &v->want);
		}
		if (op->kind != TRACE_SPAWN)
			model_kill(v->model, op->pid);
		return true;
	}
	model_apply(v->model, op, &v->want);
	return events_agree(got, &v->want, v->why, sizeof v->why);
}

static void verifier_report(void *state, const struct trace_op *op, const struct trace_events *got,
			    FILE *err)
{
	struct verifier *v = state;

	fprintf(err, "verify: mvm and the reference model disagree (%s) on: ", v->why);
	trace_format_op(op, err);
	print_list("mvm", got, err);
	print_list("the model", &v->want, err);
}

const struct replay_oracle model_oracle = {
	.create = verifier_create,
	.destroy = verifier_destroy,
	.agree = verifier_agree,
	.report = verifier_report,
	.killed = verifier_killed,
};
