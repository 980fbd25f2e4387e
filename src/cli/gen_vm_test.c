/*
 * gen_vm_test.c - `mvm gen vm-test [--procs N] [--rounds N] [--heap SIZE]
 * [--check-every N] [--seed N]`: prints the trace of
 * src/sim/gen_vm_test.h, many processes forking and swapping at once.
 */
#include <stdio.h>

#include "cli.h"
#include "gen/gen_vm_test.h"

#define VT_MAX_ROUNDS 10000000ull

static void vm_test_options(int argc, char **argv, struct gen_vm_test_params *p)
{
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (cli_take_value(argc, argv, &i, "--procs", &v)) {
			p->procs = cli_number_in("gen", "--procs", v, 1, GEN_VM_TEST_MAX_PROCS);
		} else if (cli_take_value(argc, argv, &i, "--rounds", &v)) {
			p->rounds = cli_number_in("gen", "--rounds", v, 0, VT_MAX_ROUNDS);
		} else if (cli_take_value(argc, argv, &i, "--heap", &v)) {
			if (!cli_parse_size(v, &p->heap_bytes) || p->heap_bytes == 0 ||
			    p->heap_bytes > GEN_VM_TEST_MAX_HEAP)
				cli_usage_error("gen", "--heap: \"%s\" is not a size from 1 to 16G", v);
		} else if (cli_take_value(argc, argv, &i, "--check-every", &v)) {
			p->check_every = cli_number_in("gen", "--check-every", v, 0, VT_MAX_ROUNDS);
		} else if (cli_take_value(argc, argv, &i, "--seed", &v)) {
			if (!cli_parse_number(v, &p->seed))
				cli_usage_error("gen", "--seed: \"%s\" is not a number", v);
		} else {
			cli_usage_error("gen", "unknown option \"%s\" for vm-test", argv[i]);
		}
	}
}

int cli_gen_vm_test(int argc, char **argv)
{
	struct gen_vm_test_params p;

	gen_vm_test_defaults(&p);
	vm_test_options(argc, argv, &p);
	return gen_vm_test(stdout, &p) == 0 && fflush(stdout) == 0 ? 0 : 1;
}
