/*
 * sampler.h - figures over time from a replay: one series row every so
 * many operations, and one at the end.
 *
 * The replay calls its sample hook (replay_opts.sample) with the machine
 * between operations; a sampler turns those calls into rows of a series:
 * column 0 is the operations run so far, the other columns come from a
 * fill function.  A row is taken every EVERY operations and once at the
 * end, never twice for the same count, so a trace of N operations sampled
 * every K gives ceil(N / K) rows (one if N is 0) and the last row's ops is
 * N.  `mvm replay --series` samples the standard figures (figures.h);
 * each `mvm demo` scenario samples its own columns through the same code.
 */
#ifndef MVM_REPORT_SAMPLER_H
#define MVM_REPORT_SAMPLER_H

#include <stdbool.h>
#include <stdint.h>

#include "series.h"

struct sim;
struct replay_opts;

/* Fills ROW[1..ncols) from the machine after OPS operations. */
typedef void (*sampler_fill_fn)(void *arg, struct sim *s, uint64_t ops, uint64_t *row);

struct sampler {
	struct series series;    /* the rows */
	sampler_fill_fn fill;
	void *arg;               /* fill's first argument */
	uint64_t every;          /* a row every EVERY operations (at least 1) */
	uint64_t last_ops;       /* OPS of the last row taken */
};

void sampler_init(struct sampler *smp, const char *const *columns, size_t ncols,
		  sampler_fill_fn fill, void *arg, uint64_t every);
/* A sampler of the machine's standard figures (figures.h). */
void sampler_init_figures(struct sampler *smp, uint64_t every);
void sampler_free(struct sampler *smp);

/* A row now, unless one was taken at OPS already. */
void sampler_take(struct sampler *smp, struct sim *s, uint64_t ops);
/* The replay hook: a row when OPS is a multiple of EVERY, or AT_END. */
void sampler_hook(void *arg, struct sim *s, uint64_t ops, bool at_end);
/* Makes O's replay call sampler_hook on SMP after every EVERY operations. */
void sampler_attach(struct sampler *smp, struct replay_opts *o);

#endif
