/*
 * bench_replay.c - how many trace operations a second `mvm replay` runs,
 * end to end.  Prints figures; never fails on time.
 *
 *   touch   5 million one-page `touch` lines (alternately r and w) of one
 *           process over 64 pages, the shape of a recorded access stream:
 *           parse, admit, sim_exec, MMU (mostly TLB hits), print.
 *           Target at least 5 million a second.
 *   mixed   a `gen_random` trace (several processes, forks, mmap over
 *           mmap, mprotect, reads with hashes, writes), verify off, no
 *           file operations and no `check` lines: the consistency
 *           checker's cost is not replay's.
 *
 * The trace is built in memory and replayed from memory through
 * replay_run_reader() with the default options, so the figure includes
 * parsing, booting and shutting down the 64 MiB machine, but no disk.
 * The reader's copy of the buffer is made before the clock starts.
 * Standard output goes to /dev/null during the run (dup2), as the
 * output of a replay whose lines nobody reads.  For reference the touch
 * trace is also parsed alone (trace_next, no execution), which shows how
 * the time divides between the parser and the machine.
 */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "bench_common.h"
#include "gen/gen.h"
#include "sim/replay.h"

#define TOUCH_OPS 5000000ull
#define TOUCH_OPS_QUICK 20000ull
#define TOUCH_PAGES 64ull
#define MIXED_OPS 200000ull
#define MIXED_OPS_QUICK 2000ull

struct text {
	char *buf;
	size_t len;
	uint64_t ops; /* operation lines */
};

static char *touch_line(uint64_t i, size_t *len)
{
	static char line[64];

	*len = (size_t)snprintf(line, sizeof line, "1 touch 0x%llx 4096 %c\n",
				BENCH_BASE + (i % TOUCH_PAGES) * BENCH_PAGE, i % 2 ? 'w' : 'r');
	return line;
}

static struct text touch_trace(uint64_t touches)
{
	struct text t = {.ops = touches + 2};
	size_t cap = 128 + touches * 40, n;

	t.buf = malloc(cap);
	if (t.buf == NULL)
		bench_die("no memory for the trace");
	t.len = (size_t)snprintf(t.buf, cap, "mvm-trace 1\n1 spawn\n1 mmap 0x%llx %llu rw- private anon\n",
				 BENCH_BASE, TOUCH_PAGES * BENCH_PAGE);
	for (uint64_t i = 0; i < touches; i++) {
		const char *line = touch_line(i, &n);

		memcpy(t.buf + t.len, line, n);
		t.len += n;
	}
	return t;
}

/* Operations in T, by the parser that replay uses. */
static uint64_t count_ops(const struct text *t)
{
	struct trace_reader *r = trace_reader_from_buffer("bench", t->buf, t->len);
	struct trace_op op;
	uint64_t n = 0;
	int got;

	while ((got = trace_next(r, &op)) == 1)
		n++;
	if (got < 0)
		bench_die("%s", trace_reader_error(r));
	trace_reader_close(r);
	return n;
}

static struct text mixed_trace(uint64_t ops)
{
	struct gen_random_params p;
	struct text t = {0};
	FILE *f = open_memstream(&t.buf, &t.len);

	gen_random_defaults(&p);
	p.seed = 42;
	p.ops = ops;
	p.files = false;
	p.checks = false;
	if (f == NULL || gen_random(f, &p) != 0 || fclose(f) != 0)
		bench_die("gen_random failed");
	t.ops = count_ops(&t);
	return t;
}

/* Seconds for one replay of T, standard output discarded. */
static double replay_seconds(const struct text *t)
{
	struct trace_reader *reader = trace_reader_from_buffer("bench", t->buf, t->len);
	struct replay_opts o;
	int saved, null, status;
	double t0, t1;

	replay_opts_defaults(&o);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	null = open("/dev/null", O_WRONLY);
	if (saved < 0 || null < 0 || dup2(null, STDOUT_FILENO) < 0)
		bench_die("cannot redirect standard output");
	t0 = bench_now_ns();
	status = replay_run_reader(reader, &o);
	fflush(stdout);
	t1 = bench_now_ns();
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(null);
	if (status != REPLAY_OK)
		bench_die("the replay failed with status %d", status);
	return (t1 - t0) / 1e9;
}

static double best_rate(const struct text *t)
{
	double best = -1;

	for (int rep = 0; rep < bench_reps(3); rep++)
		bench_keep_min(&best, replay_seconds(t));
	return (double)t->ops / best;
}

static double parse_rate(const struct text *t)
{
	double best = -1;

	for (int rep = 0; rep < bench_reps(3); rep++) {
		struct trace_reader *r = trace_reader_from_buffer("bench", t->buf, t->len);
		struct trace_op op;
		uint64_t n = 0;
		double t0 = bench_now_ns();
		int got;

		while ((got = trace_next(r, &op)) == 1)
			n++;
		bench_keep_min(&best, (bench_now_ns() - t0) / 1e9);
		trace_reader_close(r);
		if (got < 0 || n != t->ops)
			bench_die("the touch trace does not parse");
	}
	return (double)t->ops / best;
}

int main(void)
{
	struct text touch = touch_trace(bench_quick() ? TOUCH_OPS_QUICK : TOUCH_OPS);
	struct text mixed = mixed_trace(bench_quick() ? MIXED_OPS_QUICK : MIXED_OPS);
	double touch_rate = best_rate(&touch), parse = parse_rate(&touch);

	bench_label("replay throughput, %llu one-page touch lines from memory, output "
		    "discarded, parse included", (unsigned long long)(touch.ops - 2));
	bench_figure(touch_rate / 1e6, "M ops/s", 0, NULL, ">= 5 M ops/s");
	printf("# parse alone: %.1f M ops/s (%.0f%% of the replay's time)\n",
	       parse / 1e6, 100 * touch_rate / parse);
	bench_label("replay throughput, gen_random trace of %llu operations (seed 42, no "
		    "files, no checks), verify off", (unsigned long long)mixed.ops);
	bench_figure(best_rate(&mixed) / 1e6, "M ops/s", 0, NULL, "none");
	free(touch.buf);
	free(mixed.buf);
	return 0;
}
