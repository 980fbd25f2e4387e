/*
 * gen_parallel_build.c - `mvm gen parallel-build [--quick] [--seed N]
 * [--jobs N] [--units N] [--bursts N] [--burst-pages N] [--libs N]
 * [--checks]`: prints the parallel-build trace (src/sim/gen_parallel_build.h).
 *
 * --quick starts from the small sizes the tests and `mvm demo --quick`
 * use; options after it change single sizes.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_parallel_build.h"

/* A count option NAME at ARGV[*I] into *OUT, within [LO, HI]. */
static bool take_count(int argc, char **argv, int *i, const char *name, unsigned lo, unsigned hi,
		       unsigned *out)
{
	const char *v;

	if (!cli_take_value(argc, argv, i, name, &v))
		return false;
	*out = (unsigned)cli_number_in("gen", name, v, lo, hi);
	return true;
}

static void pbuild_options(int argc, char **argv, struct gen_pbuild_params *p)
{
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (strcmp(argv[i], "--quick") == 0) {
			uint64_t seed = p->seed;

			gen_pbuild_quick(p);
			p->seed = seed;
		} else if (strcmp(argv[i], "--checks") == 0) {
			p->checks = true;
		} else if (cli_take_value(argc, argv, &i, "--seed", &v)) {
			if (!cli_parse_number(v, &p->seed))
				cli_usage_error("gen", "--seed: \"%s\" is not a number", v);
		} else if (!take_count(argc, argv, &i, "--jobs", 1, GEN_PBUILD_MAX_JOBS, &p->jobs) &&
			   !take_count(argc, argv, &i, "--units", 1, GEN_PBUILD_MAX_UNITS, &p->units) &&
			   !take_count(argc, argv, &i, "--bursts", 1, GEN_PBUILD_MAX_BURSTS, &p->bursts) &&
			   !take_count(argc, argv, &i, "--burst-pages", 1, GEN_PBUILD_MAX_BURST_PAGES,
				       &p->burst_pages) &&
			   !take_count(argc, argv, &i, "--libs", 0, GEN_PBUILD_MAX_LIBS, &p->libs)) {
			cli_usage_error("gen", "unknown option \"%s\" for parallel-build", argv[i]);
		}
	}
}

int cli_gen_parallel_build(int argc, char **argv)
{
	struct gen_pbuild_params p;

	gen_pbuild_defaults(&p);
	pbuild_options(argc, argv, &p);
	if (gen_parallel_build(stdout, &p) != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "mvm gen: parallel-build: cannot write the trace\n");
		return 1;
	}
	return 0;
}
