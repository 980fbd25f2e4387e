/*
 * cmd_gen.c - `mvm gen KIND [OPTIONS]`: print a generated trace.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen/gen.h"

static void gen_random_options(int argc, char **argv, struct gen_random_params *p)
{
	for (int i = 2; i < argc; i++) {
		const char *v;
		uint64_t n;

		if (strcmp(argv[i], "--no-files") == 0) {
			p->files = false;
			continue;
		}
		if (strcmp(argv[i], "--no-checks") == 0) {
			p->checks = false;
			continue;
		}
		if (cli_take_value(argc, argv, &i, "--seed", &v)) {
			if (!cli_parse_number(v, &p->seed))
				cli_usage_error("gen", "--seed: \"%s\" is not a number", v);
			continue;
		}
		if (cli_take_value(argc, argv, &i, "--ops", &v)) {
			if (!cli_parse_number(v, &p->ops))
				cli_usage_error("gen", "--ops: \"%s\" is not a number", v);
			continue;
		}
		if (cli_take_value(argc, argv, &i, "--procs", &v)) {
			if (!cli_parse_number(v, &n) || n == 0 || n > 1000)
				cli_usage_error("gen", "--procs: \"%s\" is not a number from 1 to 1000", v);
			p->max_procs = (unsigned)n;
			continue;
		}
		if (cli_take_value(argc, argv, &i, "--depth", &v)) {
			if (!cli_parse_number(v, &n) || n > 1000)
				cli_usage_error("gen", "--depth: \"%s\" is not a number up to 1000", v);
			p->max_depth = (unsigned)n;
			continue;
		}
		if (cli_take_value(argc, argv, &i, "--span", &v)) {
			if (!cli_parse_number(v, &p->span_pages) || p->span_pages == 0)
				cli_usage_error("gen", "--span: \"%s\" is not a page count", v);
			continue;
		}
		cli_usage_error("gen", "unknown option \"%s\" for random", argv[i]);
	}
}

static int cli_gen_random(int argc, char **argv)
{
	struct gen_random_params p;

	gen_random_defaults(&p);
	gen_random_options(argc + 1, argv - 1, &p);
	return gen_random(stdout, &p) == 0 && fflush(stdout) == 0 ? 0 : 1;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} gen_kinds[] = {
	{"random", cli_gen_random},
	{"fork-server", cli_gen_fork_server},
	{"vm-test", cli_gen_vm_test},
	{"parallel-build", cli_gen_parallel_build},
	{"fragmentation", cli_gen_fragmentation},
	{"translator", cli_gen_translator},
	{"block", cli_gen_block},
};

int cli_gen(int argc, char **argv)
{
	if (argc < 2)
		cli_usage_error("gen", "expected a KIND: random, fork-server, vm-test, "
				       "parallel-build, fragmentation, translator or block");
	for (size_t i = 0; i < sizeof gen_kinds / sizeof gen_kinds[0]; i++)
		if (strcmp(argv[1], gen_kinds[i].name) == 0)
			return gen_kinds[i].run(argc - 1, argv + 1);
	cli_usage_error("gen", "unknown KIND \"%s\" (known: random, fork-server, vm-test, "
			       "parallel-build, fragmentation, translator, block)", argv[1]);
}
