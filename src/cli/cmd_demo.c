/*
 * cmd_demo.c - `mvm demo [--only NAME,...] [--quick] [replay options]`:
 * runs the scenarios of demo.h and prints their reports.
 *
 * `--only` is checked against the scenario names before anything runs, so
 * a typo is an error that lists the valid names, never a scenario quietly
 * skipped.  With `--series FILE` (a replay option) every scenario's
 * figures go into one set, written to FILE once all have run.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo/demo.h"
#include "report/series_set.h"

static const struct demo_scenario scenarios[] = {
	{"basic", "a forking server in miniature: copy-on-write, sharing, merging", demo_basic},
	{"fork-server", "the 1993-95 swap leak: a paged-out server forking children", demo_fork_server},
	{"vm-test", "many processes forking and swapping at once", demo_vm_test},
	{"parallel-build", "a parallel build on a machine barely big enough", demo_parallel_build},
	{"fragmentation", "a translator's address map over hours of work", demo_fragmentation},
	{"translator", "an ext2fs translator under heavy I/O, on too little RAM", demo_translator},
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* Whether NAME (LEN bytes) is in the comma-separated list ONLY. */
static bool listed(const char *only, const char *name, size_t len)
{
	for (const char *p = only; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, len) == 0 && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

/* Every name in ONLY must be a scenario's. */
static void check_only(const char *only)
{
	char names[256] = "";

	for (size_t k = 0; k < NSCENARIOS; k++)
		snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", k ? ", " : "",
			 scenarios[k].name);
	for (const char *p = only; p != NULL; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
		size_t len = strcspn(p, ",");
		bool known = false;

		for (size_t k = 0; k < NSCENARIOS && !known; k++)
			known = strlen(scenarios[k].name) == len && strncmp(p, scenarios[k].name, len) == 0;
		if (!known)
			cli_usage_error("demo", "--only: no scenario named \"%.*s\" (scenarios: %s)",
					(int)len, p, names);
	}
}

static const char *take_demo_options(int argc, char **argv, struct demo_ctx *ctx, int *next)
{
	const char *only = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (cli_take_value("demo", argc, argv, &i, "--only", &only))
			check_only(only);
		else if (strcmp(argv[i], "--quick") == 0)
			ctx->quick = true;
		else
			break;
	}
	*next = i;
	return only;
}

/* --series FILE: the set every scenario added to. */
static void write_series(const struct demo_ctx *ctx)
{
	char err[4200];

	if (!series_set_write_file(ctx->series, ctx->series_path, err, sizeof err))
		cli_fail("demo", "--series: cannot write %s", err);
	fprintf(ctx->out, "# series: %zu rows of %zu scenarios written to %s\n",
		series_set_rows(ctx->series), ctx->series->n, ctx->series_path);
}

static int run_scenarios(struct demo_ctx *ctx, const char *only)
{
	int failed = 0, ran = 0;

	for (size_t k = 0; k < NSCENARIOS; k++) {
		if (only != NULL && !listed(only, scenarios[k].name, strlen(scenarios[k].name)))
			continue;
		fprintf(ctx->out, "\n## %s: %s\n", scenarios[k].name, scenarios[k].title);
		ran++;
		if (scenarios[k].run(ctx) != 0) {
			fprintf(ctx->out, "## %s FAILED\n", scenarios[k].name);
			failed++;
		}
		fflush(ctx->out);
	}
	fprintf(ctx->out, "\n# mvm demo: %d scenarios, %s\n", ran,
		failed ? "SOME FAILED" : "all passed");
	return failed ? 1 : 0;
}

int cli_demo(int argc, char **argv)
{
	struct demo_ctx ctx = {.out = stdout};
	struct series_set set;
	const char *only;
	int i, status;

	replay_opts_defaults(&ctx.base);
	only = take_demo_options(argc, argv, &ctx, &i);
	/* What follows are replay options, parsed from a fake argv[0]. */
	i = cli_replay_options(argc - i + 1, argv + i - 1, "demo", &ctx.base, &ctx.series_path) + i - 1;
	if (i != argc)
		cli_usage_error("demo", "unexpected argument \"%s\"", argv[i]);
	series_set_init(&set);
	ctx.series = ctx.series_path != NULL ? &set : NULL;
	status = run_scenarios(&ctx, only);
	if (ctx.series != NULL)
		write_series(&ctx);
	series_set_free(&set);
	return status;
}
