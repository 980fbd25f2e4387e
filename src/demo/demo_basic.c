/*
 * demo_basic.c - the first scenario of `mvm demo`: fork, COW and merging.
 *
 * The scenario of the 1993-95 swap-leak reports, in miniature: a server
 * with a large heap and a shared scoreboard forks children that each
 * touch a little memory and exit.  Then protection is changed on a piece
 * of the heap and changed back, to show the map splitting and becoming
 * whole again.  It runs with the reference model and the consistency
 * checker on after every operation, and ends with the `stat` report and a
 * final check that, with every process gone, every frame is free.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "trace/trace.h"
#include "model/verify.h"

#define DEMO_HEAP 0x100000000000ull
#define DEMO_SHARED 0x100001000000ull
#define DEMO_PRIVATE 0x100002000000ull
#define DEMO_CHILDREN 50

static void demo_children(FILE *t)
{
	for (int c = 2; c < 2 + DEMO_CHILDREN; c++) {
		fprintf(t, "1 fork %d\n", c);
		fprintf(t, "%d write 0x%llx 4096 %d\n", c, DEMO_HEAP + (unsigned long long)c * 4096, 100 + c);
		fprintf(t, "%d write 0x%llx 8 %d\n", c, DEMO_SHARED + (unsigned long long)c * 8, c);
		fprintf(t, "%d read 0x%llx 4096\n", c, DEMO_HEAP);
		fprintf(t, "%d touch 0x%llx 4096 r\n", c, DEMO_PRIVATE);
		fprintf(t, "%d exit\n", c);
	}
}

static char *demo_trace(size_t *len)
{
	char *text = NULL;
	FILE *t = open_memstream(&text, len);

	if (t == NULL)
		return NULL;
	fprintf(t, "mvm-trace 1\n"
		   "# a server: 16 MiB heap, a shared scoreboard, a dontfork region\n"
		   "1 spawn\n"
		   "1 mmap 0x%llx 16M rw- private anon\n"
		   "1 write 0x%llx 16M 1\n"
		   "1 mmap 0x%llx 1M rw- shared anon\n"
		   "1 write 0x%llx 4096 7\n"
		   "1 mmap 0x%llx 1M rw- private anon\n"
		   "1 madvise 0x%llx 1M dontfork\n",
		DEMO_HEAP, DEMO_HEAP, DEMO_SHARED, DEMO_SHARED, DEMO_PRIVATE, DEMO_PRIVATE);
	demo_children(t);
	fprintf(t, "# the heap is untouched by the children, the scoreboard shows their marks\n"
		   "1 read 0x%llx 16M\n"
		   "1 read 0x%llx 4096\n"
		   "# a piece of the heap made read-only splits the map; restoring it rejoins it\n"
		   "1 mprotect 0x%llx 64K r--\n"
		   "1 maps\n"
		   "1 mprotect 0x%llx 64K rw-\n"
		   "1 maps\n"
		   "check\n"
		   "stat\n"
		   "1 vmdump\n"
		   "1 exit\n"
		   "check\n",
		DEMO_HEAP, DEMO_SHARED, DEMO_HEAP + 0x100000, DEMO_HEAP + 0x100000);
	fclose(t);
	return text;
}

int demo_basic(struct demo_ctx *ctx)
{
	struct replay_opts o = ctx->base;
	struct trace_reader *reader;
	size_t len;
	char *text = demo_trace(&len);
	int status;

	if (text == NULL)
		return 1;
	o.oracle = &model_oracle;
	o.check_every = 1;
	o.out = ctx->out;
	reader = trace_reader_from_buffer("demo-basic", text, len);
	free(text);
	status = replay_run_reader(reader, &o);
	fprintf(ctx->out, "# basic %s\n",
		status == 0 ? "passed: the model agreed and every check held" : "FAILED");
	return status;
}
