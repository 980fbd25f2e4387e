/*
 * gen_fragmentation.c - `mvm gen fragmentation [--seed N] [--rounds N]
 * [--no-forks] [--no-checks] [--maps-every N]`: prints the translator
 * workload of src/sim/gen_fragmentation.h.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_fragmentation.h"

static void take_number(const char *opt, const char *v, uint64_t *out)
{
	if (!cli_parse_number(v, out))
		cli_usage_error("gen", "%s: \"%s\" is not a number", opt, v);
}

int cli_gen_fragmentation(int argc, char **argv)
{
	struct gen_frag_params p;

	gen_frag_defaults(&p);
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (strcmp(argv[i], "--no-forks") == 0)
			p.forks = false;
		else if (strcmp(argv[i], "--no-checks") == 0)
			p.checks = false;
		else if (cli_take_value(argc, argv, &i, "--seed", &v))
			take_number("--seed", v, &p.seed);
		else if (cli_take_value(argc, argv, &i, "--rounds", &v))
			take_number("--rounds", v, &p.rounds);
		else if (cli_take_value(argc, argv, &i, "--maps-every", &v))
			take_number("--maps-every", v, &p.maps_every);
		else
			cli_usage_error("gen", "unknown option \"%s\" for fragmentation", argv[i]);
	}
	return gen_fragmentation(stdout, &p) == 0 && fflush(stdout) == 0 ? 0 : 1;
}
