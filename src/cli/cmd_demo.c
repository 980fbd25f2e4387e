/*
 * cmd_demo.c - `mvm demo [--only NAME,...] [--series FILE] [--quick]
 * [replay options]`: runs the scenarios of demo.h and prints their reports.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo/demo.h"

static const struct demo_scenario scenarios[] = {
	{"basic", "a forking server in miniature: copy-on-write, sharing, merging", demo_basic},
	{"fork-server", "the 1993-95 swap leak: a paged-out server forking children", demo_fork_server},
	{"vm-test", "many processes forking and swapping at once", demo_vm_test},
	{"parallel-build", "a parallel build on a machine barely big enough", demo_parallel_build},
	{"fragmentation", "a translator's address map over hours of work", demo_fragmentation},
	{"translator", "an ext2fs translator under heavy I/O, on too little RAM", demo_translator},
};
#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

static bool selected(const char *only, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = only; p != NULL && *p != '\0'; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return only == NULL;
}

static const char *take_demo_options(int argc, char **argv, struct demo_ctx *ctx, int *next)
{
	const char *only = NULL, *v;
	int i;

	for (i = 1; i < argc; i++) {
		if (cli_take_value(argc, argv, &i, "--only", &v))
			only = v;
		else if (cli_take_value(argc, argv, &i, "--series", &v))
			ctx->series_path = v;
		else if (strcmp(argv[i], "--quick") == 0)
			ctx->quick = true;
		else
			break;
	}
	*next = i;
	return only;
}

int cli_demo(int argc, char **argv)
{
	struct demo_ctx ctx = {.out = stdout};
	const char *only;
	int i, failed = 0, ran = 0;

	replay_opts_defaults(&ctx.base);
	only = take_demo_options(argc, argv, &ctx, &i);
	/* What follows are replay options, parsed from a fake argv[0]. */
	i = cli_replay_options(argc - i + 1, argv + i - 1, "demo", &ctx.base) + i - 1;
	if (i != argc)
		cli_usage_error("demo", "unexpected argument \"%s\"", argv[i]);
	for (size_t k = 0; k < NSCENARIOS; k++) {
		if (!selected(only, scenarios[k].name))
			continue;
		fprintf(ctx.out, "\n## %s: %s\n", scenarios[k].name, scenarios[k].title);
		ran++;
		if (scenarios[k].run(&ctx) != 0) {
			fprintf(ctx.out, "## %s FAILED\n", scenarios[k].name);
			failed++;
		}
		fflush(ctx.out);
	}
	if (ran == 0)
		cli_usage_error("demo", "--only: no scenario named \"%s\"", only);
	fprintf(ctx.out, "\n# mvm demo: %d scenarios, %s\n", ran,
		failed ? "SOME FAILED" : "all passed");
	return failed ? 1 : 0;
}
