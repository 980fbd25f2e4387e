/*
 * cmd_replay.c - `mvm replay [OPTIONS] TRACE|-`.
 *
 * The device, file and injection options are checked here, so that a
 * bad value exits 2 before anything boots; whether a --swap-file can be
 * created, or a --files directory opened, is known only at boot.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sim/inject.h"
#include "sim/replay.h"
#include "model/verify.h"

/* --swap, --swap-file, --swap-seek, --swap-rate, --op-cost, --inject at ARGV[*I]. */
static bool device_option(int argc, char **argv, int *i, const char *cmd, struct replay_opts *o)
{
	const char *v;
	char err[512];

	if (cli_take_value(argc, argv, i, "--swap", &v)) {
		if (!cli_parse_size(v, &o->dev.swap_bytes))
			cli_usage_error(cmd, "--swap: \"%s\" is not a size (like 256M, or 0 for none)", v);
		if (o->dev.swap_bytes != 0 && o->dev.swap_bytes < VM_PAGE_SIZE)
			cli_usage_error(cmd, "--swap: \"%s\" is smaller than a page (4096 bytes)", v);
	} else if (cli_take_value(argc, argv, i, "--swap-file", &v)) {
		if (*v == '\0')
			cli_usage_error(cmd, "--swap-file: expected a path");
		o->dev.swap_path = v;
	} else if (cli_take_value(argc, argv, i, "--swap-seek", &v)) {
		if (!cli_parse_number(v, &o->dev.swap_seek_ns))
			cli_usage_error(cmd, "--swap-seek: \"%s\" is not a number of nanoseconds", v);
	} else if (cli_take_value(argc, argv, i, "--swap-rate", &v)) {
		if (!cli_parse_number(v, &o->dev.swap_rate_mbps))
			cli_usage_error(cmd, "--swap-rate: \"%s\" is not a number of MB/s", v);
	} else if (cli_take_value(argc, argv, i, "--op-cost", &v)) {
		if (!cli_parse_number(v, &o->dev.op_cost_ns))
			cli_usage_error(cmd, "--op-cost: \"%s\" is not a number of nanoseconds", v);
	} else if (cli_take_value(argc, argv, i, "--inject", &v)) {
		if (!inject_parse(&o->inject, v, err, sizeof err))
			cli_usage_error(cmd, "--inject: %s", err);
	} else {
		return false;
	}
	return true;
}

/* --dirty-max N (pages) or N% (of RAM). */
static void dirty_max_option(const char *v, const char *cmd, struct sim_files_config *f)
{
	size_t n = strlen(v);
	char num[32];

	f->dirty_max_percent = n > 0 && v[n - 1] == '%';
	snprintf(num, sizeof num, "%.*s", (int)(f->dirty_max_percent ? n - 1 : n), v);
	if (n >= sizeof num || !cli_parse_number(num, &f->dirty_max))
		cli_usage_error(cmd, "--dirty-max: \"%s\" is not a number of pages or a percentage "
				     "(like 512 or 12%%)", v);
	if (f->dirty_max == 0)
		cli_usage_error(cmd, "--dirty-max: at least 1 page, or 1%%");
	if (f->dirty_max_percent && f->dirty_max > 100)
		cli_usage_error(cmd, "--dirty-max: %" PRIu64 "%% is more than all of RAM",
				f->dirty_max);
}

/* --files, --dirty-max, --pager-inflight, --pager-latency, --pager-rate. */
static bool file_option(int argc, char **argv, int *i, const char *cmd, struct replay_opts *o)
{
	const char *v;
	uint64_t n;

	if (cli_take_value(argc, argv, i, "--files", &v)) {
		if (*v == '\0')
			cli_usage_error(cmd, "--files: expected a directory");
		o->files.dir = v;
	} else if (cli_take_value(argc, argv, i, "--dirty-max", &v)) {
		dirty_max_option(v, cmd, &o->files);
	} else if (cli_take_value(argc, argv, i, "--pager-inflight", &v)) {
		if (!cli_parse_number(v, &n) || n == 0 || n > UINT32_MAX)
			cli_usage_error(cmd, "--pager-inflight: \"%s\" is not a number from 1 to %" PRIu32,
					v, UINT32_MAX);
		o->files.pager_inflight = (uint32_t)n;
	} else if (cli_take_value(argc, argv, i, "--pager-latency", &v)) {
		if (!cli_parse_number(v, &o->dev.pager_latency_ns))
			cli_usage_error(cmd, "--pager-latency: \"%s\" is not a number of nanoseconds", v);
	} else if (cli_take_value(argc, argv, i, "--pager-rate", &v)) {
		if (!cli_parse_number(v, &o->dev.pager_rate_mbps))
			cli_usage_error(cmd, "--pager-rate: \"%s\" is not a number of MB/s", v);
	} else {
		return false;
	}
	return true;
}

int cli_replay_options(int argc, char **argv, const char *cmd, struct replay_opts *o)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *v;

		if (device_option(argc, argv, &i, cmd, o) || file_option(argc, argv, &i, cmd, o))
			continue;
		if (cli_take_value(argc, argv, &i, "--ram", &v)) {
			if (!cli_parse_size(v, &o->ram_bytes))
				cli_usage_error(cmd, "--ram: \"%s\" is not a size (like 64M)", v);
		} else if (cli_take_value(argc, argv, &i, "--check-every", &v)) {
			if (!cli_parse_number(v, &o->check_every))
				cli_usage_error(cmd, "--check-every: \"%s\" is not a number", v);
		} else if (strcmp(argv[i], "--verify") == 0) {
			o->oracle = &model_oracle;
		} else if (strcmp(argv[i], "--stat") == 0) {
			o->stats = stderr;
		} else if (strcmp(argv[i], "-v") == 0) {
			o->verbose++;
		} else if (strcmp(argv[i], "--") == 0) {
			return i + 1;
		} else {
			cli_usage_error(cmd, "unknown option \"%s\"", argv[i]);
		}
	}
	return i;
}

int cli_replay(int argc, char **argv)
{
	struct replay_opts o;
	int i;

	replay_opts_defaults(&o);
	i = cli_replay_options(argc, argv, "replay", &o);
	if (i != argc - 1)
		cli_usage_error("replay", "expected one TRACE (a file, or - for standard input)");
	return replay_run(argv[i], &o);
}
