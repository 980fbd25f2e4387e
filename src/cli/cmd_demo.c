/*
 * cmd_demo.c - `mvm demo [--only NAME,...] [--quick] [replay options]`:
 * runs the scenarios of demo.h and prints their reports.
 *
 * `--only` is checked against the scenario names before anything runs, so
 * a typo is an error that lists the valid names, never a scenario quietly
 * skipped.  With `--series FILE` (a replay option) every scenario's
 * figures go into one set, written to FILE once all have run.  With
 * `--html FILE` each scenario's report is also kept (it is written to a
 * buffer, then copied to standard output as before) and the page shows
 * every scenario's charts, verdict and report (src/report/run_page.h).
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "demo/demo.h"
#include "report/run_page.h"
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

/* What --html keeps of each scenario that ran. */
struct demo_page {
	struct run_page_part parts[NSCENARIOS];
	char *reports[NSCENARIOS];
	size_t n;
};

/* Runs scenario K, its report captured into PAGE when there is one; true if it passed. */
static bool run_one(struct demo_ctx *ctx, size_t k, struct demo_page *page)
{
	FILE *out = ctx->out;
	char *text = NULL;
	size_t len = 0;
	bool passed;

	if (page != NULL && (ctx->out = open_memstream(&text, &len)) == NULL)
		cli_fail("demo", "--html: out of memory");
	fprintf(ctx->out, "\n## %s: %s\n", scenarios[k].name, scenarios[k].title);
	passed = scenarios[k].run(ctx) == 0;
	if (!passed)
		fprintf(ctx->out, "## %s FAILED\n", scenarios[k].name);
	if (page != NULL) {
		fclose(ctx->out);
		fputs(text, out);
		page->parts[page->n] = (struct run_page_part){.name = scenarios[k].name,
			.title = scenarios[k].title, .passed = passed, .report = text};
		page->reports[page->n++] = text;
	}
	ctx->out = out;
	fflush(out);
	return passed;
}

static int run_scenarios(struct demo_ctx *ctx, const char *only, struct demo_page *page)
{
	int failed = 0, ran = 0;

	for (size_t k = 0; k < NSCENARIOS; k++) {
		if (only != NULL && !listed(only, scenarios[k].name, strlen(scenarios[k].name)))
			continue;
		ran++;
		failed += !run_one(ctx, k, page);
	}
	fprintf(ctx->out, "\n# mvm demo: %d scenarios, %s\n", ran,
		failed ? "SOME FAILED" : "all passed");
	return failed ? 1 : 0;
}

/* The report's "# checker: ..." line, without its "# ", or a stand-in. */
static const char *checker_line(const char *report, char *buf, size_t len)
{
	const char *p = strstr(report, "# checker: ");
	size_t n;

	if (p == NULL)
		return "the scenario did not reach its checker (its report says why)";
	p += 2;
	n = strcspn(p, "\n");
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

/* --html FILE: every scenario that ran, with its series from SET. */
static void write_page(struct demo_page *page, const struct series_set *set,
		       const struct demo_ctx *ctx, const char *path, int argc, char **argv)
{
	static const struct series none;
	char verdicts[NSCENARIOS][512], err[4200], *opts = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&opts, &n);
	struct run_page rp = {.title = "mvm demo", .parts = page->parts, .nparts = page->n,
			      .argc = argc, .argv = argv};

	if (m != NULL) {
		fprintf(m, "scenarios: %s\n", ctx->quick ? "--quick sizes" : "full sizes");
		fputs("replay options given to every scenario (each sets its own RAM):\n", m);
		cli_replay_options_text(m, &ctx->base);
		fclose(m);
	}
	rp.options = opts;
	for (size_t i = 0; i < page->n; i++) {
		struct run_page_part *p = &page->parts[i];

		p->series = &none;
		for (size_t k = 0; k < set->n; k++)
			if (strcmp(set->names[k], p->name) == 0)
				p->series = &set->series[k];
		p->verdict = checker_line(p->report, verdicts[i], sizeof verdicts[i]);
	}
	if (!run_page_write(path, &rp, err, sizeof err)) {
		free(opts);
		cli_fail("demo", "--html: %s", err);
	}
	free(opts);
	fprintf(ctx->out, "# page: %zu scenarios written to %s\n", page->n, path);
}

int cli_demo(int argc, char **argv)
{
	struct demo_ctx ctx = {.out = stdout};
	struct cli_outputs outs = {0};
	struct series_set set;
	struct demo_page page = {0};
	const char *only;
	int i, status;

	replay_opts_defaults(&ctx.base);
	only = take_demo_options(argc, argv, &ctx, &i);
	/* What follows are replay options, parsed from a fake argv[0]. */
	i = cli_replay_options(argc - i + 1, argv + i - 1, "demo", &ctx.base, &outs) + i - 1;
	if (i != argc)
		cli_usage_error("demo", "unexpected argument \"%s\"", argv[i]);
	ctx.series_path = outs.series;
	series_set_init(&set);
	ctx.series = outs.series != NULL || outs.html != NULL ? &set : NULL;
	status = run_scenarios(&ctx, only, outs.html != NULL ? &page : NULL);
	if (outs.series != NULL)
		write_series(&ctx);
	if (outs.html != NULL)
		write_page(&page, &set, &ctx, outs.html, argc, argv);
	for (size_t k = 0; k < page.n; k++)
		free(page.reports[k]);
	series_set_free(&set);
	return status;
}
