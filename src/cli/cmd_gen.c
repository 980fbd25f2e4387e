/*
 * cmd_gen.c - `mvm gen KIND [OPTIONS]`: print a generated trace.
 *
 * Only the dispatch lives here: each generator declares its options in
 * src/gen (gen_options.h), and the one parser there reads them, prints
 * `--help` and writes the header that regenerates the trace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_options.h"

static int run_kind(const struct gen_kind *k, int argc, char **argv)
{
	void *params = calloc(1, k->params_size);
	char err[512];
	int status = 0;

	if (params == NULL)
		cli_fail("gen", "out of memory");
	switch (gen_options_parse(k, argc, argv, params, err, sizeof err)) {
	case GEN_HELP:
		gen_options_help(k, stdout);
		break;
	case GEN_BAD:
		cli_usage_error("gen", "%s", err);
	case GEN_PARSED:
		if (k->generate(stdout, params) != 0 || fflush(stdout) != 0)
			cli_fail("gen", "%s: cannot write the trace", k->name);
		break;
	}
	free(params);
	return status;
}

int cli_gen(int argc, char **argv)
{
	const struct gen_kind *k;
	char names[256];

	if (argc < 2)
		cli_usage_error("gen", "expected a KIND: %s (mvm gen KIND --help lists its options)",
				gen_kind_names(names, sizeof names));
	if (strcmp(argv[1], "block") == 0)
		return cli_gen_block(argc - 1, argv + 1);
	if ((k = gen_kind_find(argv[1])) == NULL)
		cli_usage_error("gen", "unknown KIND \"%s\" (known: %s)", argv[1],
				gen_kind_names(names, sizeof names));
	return run_kind(k, argc - 2, argv + 2);
}
