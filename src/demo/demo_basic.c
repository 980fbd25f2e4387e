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
 *
 * Unlike the other scenarios it shows the trace's own output lines, the
 * first thing a new user sees of mvm; so it first says what they are,
 * above all that the `segv` lines are the point (a child touching what
 * it did not inherit) and not a failure.  Its figures over time are the
 * machine's standard ones (src/report/figures.h), for --series.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "demo.h"
#include "demo_run.h"
#include "model/verify.h"
#include "report/figures.h"

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

static void sample(struct demo_run *run, struct sim *s, uint64_t ops, uint64_t *row)
{
	(void)run;
	figures_fill(NULL, s, ops, row);
}

/* What the output lines about to scroll by are. */
static void explain(const struct demo_run *run)
{
	demo_say(run, "%d children of a server each read its heap and touch a region it marked "
		      "dontfork; below, the trace's", DEMO_CHILDREN);
	demo_say(run, "own output: `N read ADDR LEN HASH` (one hash: the children see the parent's "
		      "pages, shared copy-on-write),");
	demo_say(run, "and `N segv ADDR`, which is EXPECTED: a dontfork region is not inherited, so "
		      "the child has nothing there;");
	demo_say(run, "the reference model predicts every line and the checker runs after every "
		      "operation; then maps, stat, vmdump");
}

int demo_basic(struct demo_ctx *ctx)
{
	struct demo_run run;
	size_t len;
	char *text = demo_trace(&len);

	if (text == NULL)
		return 1;
	demo_run_init(&run, ctx, "basic", figures_columns, FIGURES_NCOLS);
	run.opts.oracle = &model_oracle;
	run.opts.check_every = 1;
	run.sample = sample;
	run.echo = ctx->out;
	explain(&run);
	fflush(ctx->out);
	demo_run_replay(&run, text, len);
	free(text);
	demo_report_machine(&run);
	return demo_run_finish(&run, true, "passed: the model agreed and every check held");
}
