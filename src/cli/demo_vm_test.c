/*
 * demo_vm_test.c - placeholder until the scenario is written.
 */
#include "demo.h"

int demo_vm_test(struct demo_ctx *ctx)
{
	fprintf(ctx->out, "# not written yet\n");
	return 0;
}
