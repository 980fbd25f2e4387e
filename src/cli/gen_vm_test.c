/*
 * gen_vm_test.c - placeholder until the generator is written.
 */
#include "cli.h"

int cli_gen_vm_test(int argc, char **argv)
{
	(void)argc;
	cli_usage_error("gen", "%s: not written yet", argv[0]);
}
