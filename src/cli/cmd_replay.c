/*
 * cmd_replay.c - `mvm replay [OPTIONS] TRACE|-`, and the replay options
 * `mvm demo` takes too.
 *
 * The numeric options are rows of a table (src/gen/gen_options.h: name,
 * field, range, help), read by the generators' own value parser: each is
 * range-checked with a message that gives the range, and `mvm help` prints
 * the same rows, so the documented range is the one enforced.  The ranges
 * are what a simulation can mean (an operation costing up to a second, a
 * device up to 1 TB/s) and keep the simulated clock far from overflow.
 *
 * Every value is checked here, so that a bad one exits 2 before anything
 * boots; whether a --swap-file can be created, or a --files directory
 * opened, is known only at boot.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_options.h"
#include "model/verify.h"
#include "report/figures.h"
#include "report/run_page.h"
#include "report/sampler.h"
#include "sim/inject.h"
#include "sim/replay.h"

#define NS_MAX 1000000000ull        /* one second of simulated time */
#define MBPS_MAX 1000000ull         /* 1 TB/s */
#define EVERY_MAX 1000000000ull     /* operations */
#define REPLAY_SAMPLE_EVERY 100     /* --sample-every default with --series */

#define RO struct replay_opts
static const struct gen_option numeric_options[] = {
	GEN_OPT_BYTES("--ram", RO, ram_bytes, 256ull << 10, 16ull << 30, "simulated RAM"),
	GEN_OPT_NUM("--check-every", RO, check_every, 0, EVERY_MAX,
		    "run the consistency checker every N operations (0: only `check` lines)"),
	GEN_OPT_NUM("--sample-every", RO, sample_every, 1, EVERY_MAX,
		    "with --series: a row every N operations and one at the end\n"
		    "                         (demo: about 240 rows a scenario unless given)"),
	GEN_OPT_BYTES("--swap", RO, dev.swap_bytes, 0, 64ull << 30,
		      "swap device size (0: no swap; else at least a page, 4096)"),
	GEN_OPT_NUM("--swap-seek", RO, dev.swap_seek_ns, 0, NS_MAX,
		    "seek time of a non-sequential swap request, in ns"),
	GEN_OPT_NUM("--swap-rate", RO, dev.swap_rate_mbps, 0, MBPS_MAX,
		    "swap transfer rate in MB/s (0: instant)"),
	GEN_OPT_NUM("--op-cost", RO, dev.op_cost_ns, 0, NS_MAX,
		    "simulated time each trace operation takes, in ns"),
	GEN_OPT_NUM("--pager-inflight", RO, files.pager_inflight, 1, 65536,
		    "data_returns in flight to the file pager at most"),
	GEN_OPT_NUM("--pager-latency", RO, dev.pager_latency_ns, 0, NS_MAX,
		    "the file pager's service time per message, in ns"),
	GEN_OPT_NUM("--pager-rate", RO, dev.pager_rate_mbps, 0, MBPS_MAX,
		    "the file pager's transfer rate in MB/s (0: instant)"),
};
#undef RO
#define NNUMERIC (sizeof numeric_options / sizeof numeric_options[0])
#define DIRTY_MAX_PAGES (4ull << 20)   /* 16 GiB of pages: all the RAM --ram allows */

/* A numeric option of the table at ARGV[*I]. */
static bool numeric_option(int argc, char **argv, int *i, const char *cmd, struct replay_opts *o)
{
	char err[256];
	const char *v;

	for (size_t k = 0; k < NNUMERIC; k++) {
		if (!cli_take_value(cmd, argc, argv, i, numeric_options[k].name, &v))
			continue;
		if (!gen_option_set(&numeric_options[k], v, o, err, sizeof err))
			cli_usage_error(cmd, "%s", err);
		if (o->dev.swap_bytes != 0 && o->dev.swap_bytes < VM_PAGE_SIZE)
			cli_usage_error(cmd, "--swap: \"%s\" is smaller than a page (4096 bytes)", v);
		return true;
	}
	return false;
}

/* --dirty-max N (pages) or N% (of RAM). */
static void dirty_max_option(const char *v, const char *cmd, struct sim_files_config *f)
{
	size_t n = strlen(v);
	char num[32];

	f->dirty_max_percent = n > 0 && v[n - 1] == '%';
	snprintf(num, sizeof num, "%.*s", (int)(f->dirty_max_percent ? n - 1 : n), v);
	if (n >= sizeof num || !gen_parse_number(num, &f->dirty_max))
		cli_usage_error(cmd, "--dirty-max: \"%s\" is not a number of pages or a percentage "
				     "(like 512 or 12%%)", v);
	if (f->dirty_max == 0)
		cli_usage_error(cmd, "--dirty-max: at least 1 page, or 1%%");
	if (f->dirty_max_percent && f->dirty_max > 100)
		cli_usage_error(cmd, "--dirty-max: %" PRIu64 "%% is more than all of RAM",
				f->dirty_max);
	if (f->dirty_max > DIRTY_MAX_PAGES)
		cli_usage_error(cmd, "--dirty-max: \"%s\" is more than %llu pages (16G)", v,
				DIRTY_MAX_PAGES);
}

/* The options with values of their own shape: paths, --dirty-max, --inject. */
static bool shaped_option(int argc, char **argv, int *i, const char *cmd, struct replay_opts *o)
{
	const char *v;
	char err[512];

	if (cli_take_value(cmd, argc, argv, i, "--swap-file", &v)) {
		if (*v == '\0')
			cli_usage_error(cmd, "--swap-file: expected a path");
		o->dev.swap_path = v;
	} else if (cli_take_value(cmd, argc, argv, i, "--files", &v)) {
		if (*v == '\0')
			cli_usage_error(cmd, "--files: expected a directory");
		o->files.dir = v;
	} else if (cli_take_value(cmd, argc, argv, i, "--dirty-max", &v)) {
		dirty_max_option(v, cmd, &o->files);
	} else if (cli_take_value(cmd, argc, argv, i, "--inject", &v)) {
		if (!inject_parse(&o->inject, v, err, sizeof err))
			cli_usage_error(cmd, "--inject: %s", err);
	} else {
		return false;
	}
	return true;
}

int cli_replay_options(int argc, char **argv, const char *cmd, struct replay_opts *o,
		       struct cli_outputs *out)
{
	int i;

	o->who = cmd;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (numeric_option(argc, argv, &i, cmd, o) || shaped_option(argc, argv, &i, cmd, o))
			continue;
		if (cli_take_value(cmd, argc, argv, &i, "--series", &out->series))
			continue;
		if (cli_take_value(cmd, argc, argv, &i, "--html", &out->html)) {
			if (*out->html == '\0')
				cli_usage_error(cmd, "--html: expected a file");
			continue;
		}
		if (strcmp(argv[i], "--verify") == 0)
			o->oracle = &model_oracle;
		else if (strcmp(argv[i], "--stat") == 0)
			o->stats = stderr;
		else if (strcmp(argv[i], "-v") == 0)
			o->verbose++;
		else if (strcmp(argv[i], "--") == 0)
			return i + 1;
		else
			cli_usage_error(cmd, "unknown option \"%s\" (mvm help lists them)", argv[i]);
	}
	return i;
}

void cli_replay_options_help(FILE *out)
{
	struct replay_opts defaults;

	replay_opts_defaults(&defaults);
	defaults.sample_every = REPLAY_SAMPLE_EVERY;
	for (size_t k = 0; k < NNUMERIC; k++)
		gen_option_help(&numeric_options[k], &defaults, out);
}

void cli_replay_options_text(FILE *out, const struct replay_opts *o)
{
	static const struct gen_kind replay_kind = {.name = "replay", .options = numeric_options,
						    .noptions = NNUMERIC};
	char cmd[1024];

	/* gen_options_command gives "gen replay --ram ...": the values as typed. */
	fprintf(out, "options:%s\n", gen_options_command(&replay_kind, o, cmd, sizeof cmd) + 10);
	fprintf(out, "verify: %s\n", o->oracle != NULL ? "every output line against the model"
						      : "no (--verify not given)");
	fprintf(out, "swap file: %s\n", o->dev.swap_path ? o->dev.swap_path : "(none: in memory)");
	fprintf(out, "files: %s\n", o->files.dir ? o->files.dir : "(unnamed temporary files)");
	if (o->files.dirty_max != 0)
		fprintf(out, "dirty-max: %" PRIu64 "%s\n", o->files.dirty_max,
			o->files.dirty_max_percent ? "% of RAM" : " pages");
	fprintf(out, "fault injection rules: %u\n", o->inject.n);
}

/* What the replay's page needs from its last moment. */
struct replay_watch {
	struct sampler smp;
	uint64_t check_every;   /* the replay's --check-every */
	uint64_t checks, ops;
};

static void replay_watch_hook(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct replay_watch *w = arg;

	sampler_hook(&w->smp, s, ops, at_end);
	if (at_end) {
		w->ops = ops;
		w->checks = figures_checks_run(s, w->check_every, ops);
	}
}

/* `replay --html FILE`: the figures as charts, the verdict, the options. */
static void write_page(const char *trace, const struct replay_opts *o, struct replay_watch *w,
		       int status, const char *path, int argc, char **argv)
{
	char verdict[512], title[512], err[4200], *opts = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&opts, &n);
	struct run_page_part part = {.name = "replay", .series = &w->smp.series,
				     .passed = status == REPLAY_OK, .verdict = verdict};
	struct run_page page = {.title = title, .parts = &part, .nparts = 1, .argc = argc,
				.argv = argv};

	if (m != NULL) {
		cli_replay_options_text(m, o);
		fclose(m);
	}
	page.options = opts;
	snprintf(title, sizeof title, "mvm replay: %s", trace);
	if (status == REPLAY_OK)
		snprintf(verdict, sizeof verdict, "%" PRIu64 " operations; the consistency checker "
			 "ran %" PRIu64 " times and found every invariant held%s", w->ops, w->checks,
			 o->oracle ? "; every output line agreed with the reference model" : "");
	else
		snprintf(verdict, sizeof verdict, "the replay stopped (%s): standard error says where "
			 "and why", status == REPLAY_FAILED ? "a check or the model disagreed"
							   : "bad input");
	if (!run_page_write(path, &page, err, sizeof err)) {
		free(opts);
		cli_fail("replay", "--html: %s", err);
	}
	free(opts);
}

/* `replay --series FILE` and/or `--html FILE`: the standard figures over time. */
static int replay_with_figures(const char *trace, struct replay_opts *o,
			       const struct cli_outputs *out, int argc, char **argv)
{
	struct replay_watch w = {.check_every = o->check_every};
	char err[4200];
	int status;

	sampler_init_figures(&w.smp, o->sample_every ? o->sample_every : REPLAY_SAMPLE_EVERY);
	sampler_attach(&w.smp, o);
	o->sample = replay_watch_hook;
	o->sample_arg = &w;
	status = replay_run(trace, o);
	if (out->series != NULL && !series_write_file(&w.smp.series, out->series, err, sizeof err)) {
		sampler_free(&w.smp);
		cli_fail("replay", "--series: cannot write %s", err);
	}
	if (out->html != NULL)
		write_page(trace, o, &w, status, out->html, argc, argv);
	sampler_free(&w.smp);
	return status;
}

int cli_replay(int argc, char **argv)
{
	struct replay_opts o;
	struct cli_outputs out = {0};
	int i;

	replay_opts_defaults(&o);
	i = cli_replay_options(argc, argv, "replay", &o, &out);
	if (i != argc - 1)
		cli_usage_error("replay", "expected one TRACE (a file, or - for standard input)");
	if (o.sample_every != 0 && out.series == NULL && out.html == NULL)
		cli_usage_error("replay", "--sample-every: only with --series FILE or --html FILE");
	if (out.series == NULL && out.html == NULL)
		return replay_run(argv[i], &o);
	return replay_with_figures(argv[i], &o, &out, argc, argv);
}
