/*
 * bench_trace_parse.c - how fast the trace reader parses the lines that
 * dominate replays: one-page touches, `P touch 0xADDR 4096 r`.
 *
 * `mvm replay` must sustain 5 million touches a second end to end, so the
 * parser alone has to be well above that.  The benchmark builds the trace
 * in memory (no disk in the measurement), parses it through the public
 * reader several times and prints the best rate.  It never fails on time.
 *
 *   bench_trace_parse [LINES]      (default 10 million)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "trace/trace.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t lines = argc > 1 ? strtoull(argv[1], NULL, 0) : 10000000;
	size_t cap = lines * 40 + 64, len = 0;
	char *buf = malloc(cap);
	double best = 0;

	if (!buf || lines == 0) {
		fprintf(stderr, "bench_trace_parse: bad size\n");
		return 1;
	}
	len += (size_t)sprintf(buf, "mvm-trace 1\n");
	for (size_t i = 0; i < lines; i++)
		len += (size_t)sprintf(buf + len, "%zu touch 0x%zx 4096 r\n",
				       1 + i % 7, 0x10000 + (i % 65536) * 4096);

	for (int round = 0; round < 3; round++) {
		struct trace_reader *r = trace_reader_from_buffer("bench", buf, len);
		struct trace_op op;
		uint64_t check = 0;
		size_t n = 0;
		double t0 = now();

		while (trace_next(r, &op) == 1) {
			check += op.addr;
			n++;
		}
		double dt = now() - t0;
		trace_reader_close(r);
		if (n != lines) {
			fprintf(stderr, "bench_trace_parse: parsed %zu of %zu lines\n", n, lines);
			return 1;
		}
		if (lines / dt > best)
			best = lines / dt;
		fprintf(stderr, "# round %d: %.3f s (checksum %llx)\n", round, dt,
			(unsigned long long)check);
	}
	printf("trace parse: %.1f million lines/s (%.0f MB/s), %zu lines of "
	       "\"P touch 0xADDR 4096 r\"\n", best / 1e6, best * len / lines / 1e6, lines);
	free(buf);
	return 0;
}
