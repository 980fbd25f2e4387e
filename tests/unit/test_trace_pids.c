/*
 * test_trace_pids.c - process admission (src/sim/trace_pids.c): every
 * rule of trace.h, killed processes and their skipped forks, and a table
 * of millions of pids.
 */
#include <string.h>

#include "check.h"
#include "trace/trace.h"

static struct trace_pids *pids;
static char err[200];

static enum trace_admit admit(const char *line)
{
	struct trace_op op;
	char perr[200];

	if (trace_parse_line(line, strlen(line), 1, false, &op, perr, sizeof perr) != 1) {
		fprintf(stderr, "test line does not parse: %s: %s\n", line, perr);
		return (enum trace_admit)-1;
	}
	err[0] = '\0';
	return trace_pids_admit(pids, &op, err, sizeof err);
}

#define CHECK_BAD(line, message)                            \
	do {                                                \
		CHECK_EQ(admit(line), TRACE_BAD);           \
		CHECK_STR(err, message);                    \
	} while (0)

static void fresh(void)
{
	trace_pids_destroy(pids);
	pids = trace_pids_create();
}

TEST(spawn_and_ops)
{
	fresh();
	CHECK(!trace_pids_live(pids, 1));
	CHECK_BAD("1 read 0 1", "no process 1");
	CHECK_BAD("1 exit", "no process 1");
	CHECK_BAD("1 fork 2", "no process 1");
	CHECK_EQ(admit("1 spawn"), TRACE_RUN);
	CHECK(trace_pids_live(pids, 1));
	CHECK_BAD("1 spawn", "process 1 already exists");
	CHECK_EQ(admit("1 mmap 0 1 rw- private anon"), TRACE_RUN);
	CHECK_EQ(admit("1 maps"), TRACE_RUN);
	CHECK_BAD("2 maps", "no process 2");
	CHECK_EQ(admit("file f 1 1"), TRACE_RUN);
	CHECK_EQ(admit("check"), TRACE_RUN);
	CHECK_EQ(admit("stat"), TRACE_RUN);
}

TEST(fork_rules)
{
	fresh();
	CHECK_EQ(admit("1 spawn"), TRACE_RUN);
	CHECK_BAD("1 fork 1", "process 1 already exists");
	CHECK_EQ(admit("1 fork 2"), TRACE_RUN);
	CHECK(trace_pids_live(pids, 2));
	CHECK_BAD("1 fork 2", "process 2 already exists");
	CHECK_BAD("2 spawn", "process 2 already exists");
	CHECK_EQ(admit("2 fork 3"), TRACE_RUN);
	CHECK_BAD("4 fork 5", "no process 4");
}

TEST(exit_and_reuse)
{
	fresh();
	CHECK_EQ(admit("1 spawn"), TRACE_RUN);
	CHECK_EQ(admit("1 exit"), TRACE_RUN);
	CHECK(!trace_pids_live(pids, 1));
	CHECK_BAD("1 exit", "no process 1");
	CHECK_BAD("1 touch 0 1 r", "no process 1");
	CHECK_EQ(admit("1 spawn"), TRACE_RUN);
	CHECK_EQ(admit("1 fork 2"), TRACE_RUN);
	CHECK_EQ(admit("2 exit"), TRACE_RUN);
	CHECK_EQ(admit("1 fork 2"), TRACE_RUN); /* the id is reused by fork */
}

TEST(killed_processes_are_skipped)
{
	fresh();
	CHECK_EQ(admit("1 spawn"), TRACE_RUN);
	trace_pids_killed(pids, 1);
	CHECK(!trace_pids_live(pids, 1));
	CHECK_EQ(admit("1 read 0 1"), TRACE_SKIP);
	CHECK_EQ(admit("1 mmap 0 1 rw- private anon"), TRACE_SKIP);
	/* A skipped fork makes the child skipped, and so do its forks. */
	CHECK_EQ(admit("1 fork 2"), TRACE_SKIP);
	CHECK(!trace_pids_live(pids, 2));
	CHECK_EQ(admit("2 write 0 1 1"), TRACE_SKIP);
	CHECK_EQ(admit("2 fork 3"), TRACE_SKIP);
	CHECK_EQ(admit("3 touch 0 1 w"), TRACE_SKIP);
	/* Exit of a skipped process is skipped; it stays skipped. */
	CHECK_EQ(admit("3 exit"), TRACE_SKIP);
	CHECK_EQ(admit("3 read 0 1"), TRACE_SKIP);
	/* A spawn creates it again. */
	CHECK_EQ(admit("1 spawn"), TRACE_RUN);
	CHECK(trace_pids_live(pids, 1));
	CHECK_EQ(admit("1 read 0 1"), TRACE_RUN);
	/* A live fork recreates a skipped child. */
	CHECK_EQ(admit("1 fork 2"), TRACE_RUN);
	CHECK(trace_pids_live(pids, 2));
	CHECK_EQ(admit("2 read 0 1"), TRACE_RUN);
	/* A skipped parent forking onto a live id is still bad input. */
	trace_pids_killed(pids, 1);
	CHECK_BAD("1 fork 2", "process 2 already exists");
	CHECK(trace_pids_live(pids, 2));
	/* A skipped process forking its own id: stays skipped. */
	CHECK_EQ(admit("1 fork 1"), TRACE_SKIP);
	CHECK(!trace_pids_live(pids, 1));
	/* Killing a live child of a live parent leaves the parent alone. */
	CHECK_EQ(admit("3 spawn"), TRACE_RUN);
	CHECK_EQ(admit("3 fork 4"), TRACE_RUN);
	trace_pids_killed(pids, 4);
	CHECK(trace_pids_live(pids, 3));
	CHECK_EQ(admit("3 read 0 1"), TRACE_RUN);
	CHECK_EQ(admit("4 read 0 1"), TRACE_SKIP);
}

TEST(millions_of_pids)
{
	struct trace_op op;
	uint64_t n = 2000000, bad = 0;

	fresh();
	memset(&op, 0, sizeof op);
	/* Spawn many pids spread over 64 bits, exit every other one, check. */
	for (uint64_t i = 1; i <= n; i++) {
		op.kind = TRACE_SPAWN;
		op.pid = trace_splitmix64(i) | 1;
		if (trace_pids_admit(pids, &op, err, sizeof err) != TRACE_RUN)
			bad++;
	}
	for (uint64_t i = 1; i <= n; i += 2) {
		op.kind = TRACE_EXIT;
		op.pid = trace_splitmix64(i) | 1;
		if (trace_pids_admit(pids, &op, err, sizeof err) != TRACE_RUN)
			bad++;
	}
	for (uint64_t i = 1; i <= n; i++) {
		bool want = (i % 2) == 0;
		if (trace_pids_live(pids, trace_splitmix64(i) | 1) != want)
			bad++;
	}
	/* Consecutive pids clustered in one probe region, deleted in order. */
	for (uint64_t i = 1; i <= 100000; i++) {
		op.kind = TRACE_SPAWN;
		op.pid = i << 32;
		if (trace_pids_admit(pids, &op, err, sizeof err) != TRACE_RUN)
			bad++;
	}
	for (uint64_t i = 1; i <= 100000; i++) {
		op.kind = TRACE_EXIT;
		op.pid = i << 32;
		if (trace_pids_admit(pids, &op, err, sizeof err) != TRACE_RUN)
			bad++;
		if (i < 100000 && !trace_pids_live(pids, (i + 1) << 32))
			bad++;
	}
	CHECK_EQ(bad, 0);
}

int main(void)
{
	RUN(spawn_and_ops);
	RUN(fork_rules);
	RUN(exit_and_reuse);
	RUN(killed_processes_are_skipped);
	RUN(millions_of_pids);
	trace_pids_destroy(pids);
	return check_done();
}
