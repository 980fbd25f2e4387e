/*
 * gen_translator.c - `mvm gen translator [--quick] [--seed N] [--files N]
 * [--file-size SIZE] [--anon SIZE] [--requests N] [--client-every N]
 * [--msync-every N] [--check-every N]`: prints the translator trace of
 * src/sim/gen_translator.h.
 *
 * --quick starts from the tiny sizes the tests and `mvm demo --quick`
 * use; options after it change single sizes.  The trace's second comment
 * line says what RAM it is meant for.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_translator.h"

/* A count option NAME at ARGV[*I] into *OUT, within [LO, HI]. */
static bool take_count(int argc, char **argv, int *i, const char *name, uint64_t lo, uint64_t hi,
		       uint64_t *out)
{
	const char *v;

	if (!cli_take_value(argc, argv, i, name, &v))
		return false;
	*out = cli_number_in("gen", name, v, lo, hi);
	return true;
}

/* A size option NAME at ARGV[*I] into *OUT, within [1, MAX]; LIMIT is
 * MAX as the message shows it. */
static bool take_size(int argc, char **argv, int *i, const char *name, uint64_t max,
		      const char *limit, uint64_t *out)
{
	const char *v;

	if (!cli_take_value(argc, argv, i, name, &v))
		return false;
	if (!cli_parse_size(v, out) || *out == 0 || *out > max)
		cli_usage_error("gen", "%s: \"%s\" is not a size from 1 to %s", name, v, limit);
	return true;
}

static void translator_options(int argc, char **argv, struct gen_translator_params *p)
{
	const uint64_t count_max = GEN_TRANSLATOR_MAX_COUNT;

	for (int i = 1; i < argc; i++) {
		const char *v;

		if (strcmp(argv[i], "--quick") == 0) {
			gen_translator_quick(p);
		} else if (cli_take_value(argc, argv, &i, "--seed", &v)) {
			if (!cli_parse_number(v, &p->seed))
				cli_usage_error("gen", "--seed: \"%s\" is not a number", v);
		} else if (!take_count(argc, argv, &i, "--files", 1, GEN_TRANSLATOR_MAX_FILES, &p->files) &&
			   !take_size(argc, argv, &i, "--file-size", GEN_TRANSLATOR_MAX_FILE_BYTES, "1G",
				      &p->file_bytes) &&
			   !take_size(argc, argv, &i, "--anon", GEN_TRANSLATOR_MAX_ANON, "16G",
				      &p->anon_bytes) &&
			   !take_count(argc, argv, &i, "--requests", 0, count_max, &p->requests) &&
			   !take_count(argc, argv, &i, "--client-every", 0, count_max, &p->client_every) &&
			   !take_count(argc, argv, &i, "--msync-every", 0, count_max, &p->msync_every) &&
			   !take_count(argc, argv, &i, "--check-every", 0, count_max, &p->check_every)) {
			cli_usage_error("gen", "unknown option \"%s\" for translator", argv[i]);
		}
	}
	if (p->files * ((p->file_bytes + 4095) / 4096) * 4096 > GEN_TRANSLATOR_MAX_FILES_TOTAL)
		cli_usage_error("gen", "--files times --file-size is more than 16G");
	if (p->anon_bytes < 4 * 4096)
		cli_usage_error("gen", "--anon: at least 16K (the sweep's four pages)");
}

int cli_gen_translator(int argc, char **argv)
{
	struct gen_translator_params p;

	gen_translator_defaults(&p);
	translator_options(argc, argv, &p);
	if (gen_translator(stdout, &p) != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "mvm gen: translator: cannot write the trace\n");
		return 1;
	}
	return 0;
}
