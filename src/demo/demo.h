/*
 * demo.h - `mvm demo`: scenarios replayed with a report each.
 *
 * Each scenario lives in its own file (demo_<name>.c): it generates its
 * trace, replays it (demo_run.c helpers), samples figures over time
 * (src/report/sampler.h), and prints a readable report: what it shows, the
 * figures, a text chart where time matters, and the checker's verdict.
 * `mvm demo` runs them all in order; `--only a,b` picks some; with
 * `--series FILE` each scenario's figures are kept in one set, written to
 * FILE once all have run (src/report/series_set.h).
 */
#ifndef MVM_CLI_DEMO_H
#define MVM_CLI_DEMO_H

#include <stdbool.h>
#include <stdio.h>

#include "sim/replay.h"

struct series_set;

struct demo_ctx {
	bool quick;               /* --quick: small sizes (tests, CI smoke) */
	FILE *out;                /* the report */
	const char *series_path;  /* --series FILE: figures over time, CSV or
	                           * JSON by the extension */
	struct series_set *series;  /* with --series or --html: every scenario's
	                             * series, added as each finishes; else NULL */
	struct replay_opts base;  /* replay options from the command line */
};

struct demo_scenario {
	const char *name;
	const char *title;
	/* Runs the scenario and prints its report; 0 if it passed (the
	 * model and the checker agreed, and what it demonstrates held). */
	int (*run)(struct demo_ctx *ctx);
};

/* The scenarios, in the order `mvm demo` runs them. */
int demo_basic(struct demo_ctx *ctx);
int demo_fork_server(struct demo_ctx *ctx);
int demo_vm_test(struct demo_ctx *ctx);
int demo_parallel_build(struct demo_ctx *ctx);
int demo_fragmentation(struct demo_ctx *ctx);
int demo_translator(struct demo_ctx *ctx);

#endif
