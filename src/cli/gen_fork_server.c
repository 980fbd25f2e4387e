/*
 * gen_fork_server.c - `mvm gen fork-server [--heap SIZE] [--forks N]
 * [--child-pages N] [--server-pages N] [--check-every N] [--seed N]`:
 * prints the forking-server trace of src/sim/gen_fork_server.h.
 */
#include <stdio.h>

#include "cli.h"
#include "gen/gen_fork_server.h"

#define FS_MAX_COUNT 100000000ull   /* forks: far beyond any useful run */
#define FS_MAX_PAGES 65536ull       /* pages per child or server step */

static uint64_t count_value(const char *name, const char *v, uint64_t max)
{
	uint64_t n;

	if (!cli_parse_number(v, &n) || n > max)
		cli_usage_error("gen", "%s: \"%s\" is not a number up to %llu", name, v,
				(unsigned long long)max);
	return n;
}

static void fork_server_options(int argc, char **argv, struct gen_fork_server_params *p)
{
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (cli_take_value(argc, argv, &i, "--heap", &v)) {
			if (!cli_parse_size(v, &p->heap_bytes) || p->heap_bytes == 0 ||
			    p->heap_bytes > GEN_FORK_SERVER_MAX_HEAP)
				cli_usage_error("gen", "--heap: \"%s\" is not a size from 1 to 16G", v);
		} else if (cli_take_value(argc, argv, &i, "--forks", &v)) {
			p->forks = count_value("--forks", v, FS_MAX_COUNT);
		} else if (cli_take_value(argc, argv, &i, "--child-pages", &v)) {
			p->child_pages = count_value("--child-pages", v, FS_MAX_PAGES);
		} else if (cli_take_value(argc, argv, &i, "--server-pages", &v)) {
			p->server_pages = count_value("--server-pages", v, FS_MAX_PAGES);
		} else if (cli_take_value(argc, argv, &i, "--check-every", &v)) {
			p->check_every = count_value("--check-every", v, FS_MAX_COUNT);
		} else if (cli_take_value(argc, argv, &i, "--seed", &v)) {
			if (!cli_parse_number(v, &p->seed))
				cli_usage_error("gen", "--seed: \"%s\" is not a number", v);
		} else {
			cli_usage_error("gen", "unknown option \"%s\" for fork-server", argv[i]);
		}
	}
}

int cli_gen_fork_server(int argc, char **argv)
{
	struct gen_fork_server_params p;

	gen_fork_server_defaults(&p);
	fork_server_options(argc, argv, &p);
	return gen_fork_server(stdout, &p) == 0 && fflush(stdout) == 0 ? 0 : 1;
}
