/*
 * curve.c - the page-fault curve of a trace (curve.h).
 *
 * The reference string and the two stack curves are built once, before
 * any replay, so that bad input is reported before work starts and every
 * size costs only a lookup for LRU and OPT.  CLOCK is simulated at each
 * row's frames after mvm's runs have said what those are.
 */
#include "curve.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

int curve_prepare(struct curve *c, const char *name, const char *text, size_t len,
		  char *err, size_t errlen)
{
	int status;

	memset(c, 0, sizeof *c);
	c->name = name;
	c->text = text;
	c->len = len;
	refstring_init(&c->rs);
	status = refstring_build(trace_reader_from_buffer(name, text, len), &c->rs, err, errlen);
	if (status != 0)
		return status;
	curve_lru(&c->rs, &c->lru);
	c->opt_one_pass = c->rs.npages <= CURVE_OPT_ONE_PASS_PAGES;
	if (c->opt_one_pass)
		c->opt_moves = curve_opt(&c->rs, &c->opt);
	else
		c->next = curve_next_uses(&c->rs);
	c->cold = c->lru.miss[c->lru.npages];
	return 0;
}

void curve_free(struct curve *c)
{
	stack_curve_free(&c->lru);
	stack_curve_free(&c->opt);
	free(c->next);
	refstring_free(&c->rs);
}

bool curve_rows(struct curve *c, const struct replay_opts *o, struct curve_row *rows, size_t n,
		unsigned jobs, char *err, size_t errlen)
{
	struct mvm_run *runs = calloc(n ? n : 1, sizeof *runs);
	bool ok;

	if (runs == NULL) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		runs[i] = (struct mvm_run){.ram_bytes = rows[i].mvm.ram_bytes};
	ok = mvm_runs(c->name, c->text, c->len, o, runs, n, jobs, err, errlen);
	for (size_t i = 0; ok && i < n; i++) {
		uint64_t frames = runs[i].frames ? runs[i].frames : 1;

		rows[i].mvm = runs[i];
		rows[i].lru = stack_curve_misses(&c->lru, frames);
		rows[i].opt = c->opt_one_pass ? stack_curve_misses(&c->opt, frames)
					      : curve_opt_at(&c->rs, c->next, frames);
		rows[i].clock = curve_clock(&c->rs, frames);
	}
	free(runs);
	return ok;
}
