/*
 * cmd_replay.c - `mvm replay [OPTIONS] TRACE|-`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "sim/replay.h"

/* Parses the options shared by replay and demo; returns the first operand index. */
int cli_replay_options(int argc, char **argv, const char *cmd, struct replay_opts *o);

int cli_replay_options(int argc, char **argv, const char *cmd, struct replay_opts *o)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		const char *v;

		if (cli_take_value(argc, argv, &i, "--ram", &v)) {
			if (!cli_parse_size(v, &o->ram_bytes))
				cli_usage_error(cmd, "--ram: \"%s\" is not a size (like 64M)", v);
		} else if (cli_take_value(argc, argv, &i, "--check-every", &v)) {
			if (!cli_parse_number(v, &o->check_every))
				cli_usage_error(cmd, "--check-every: \"%s\" is not a number", v);
		} else if (strcmp(argv[i], "--verify") == 0) {
			o->verify = true;
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
