/*
 * trace_pids.c - process admission: which trace processes exist, and what
 * happens to an operation that names one (the rules are in trace.h).
 *
 * Every executor (mvm replay, the model, native-replay) asks this table
 * before running an operation, so all of them agree on when a line is bad
 * input and which operations a `killed` process skips.
 *
 * Pids are arbitrary 64-bit numbers chosen by the trace, and a generated
 * trace may create millions of processes over its life, so the table is
 * the shared open-addressing map of trace_hash.h: O(1) expected per
 * operation, and removal without tombstones, so a long trace of
 * spawn/exit pairs never degrades it.  Pid 0 is never a process (the
 * parser rejects it), which suits the map's reserved key 0.
 *
 * One reading beyond the brief: a fork by a skipped parent whose child id
 * is live is bad input ("process C already exists"), as it would be had
 * the parent not been killed.  Marking the live child skipped instead
 * would silently drop a process the executor still holds.
 */
#include "trace.h"

#include <stdlib.h>

#include "trace_hash.h"

enum pid_state { PID_NONE = 0, PID_LIVE = 1, PID_SKIPPED = 2 };

struct trace_pids {
	struct trace_hash map; /* pid -> enum pid_state */
};

struct trace_pids *trace_pids_create(void)
{
	struct trace_pids *p = calloc(1, sizeof *p);

	if (p)
		trace_hash_init(&p->map);
	return p;
}

void trace_pids_destroy(struct trace_pids *p)
{
	if (!p)
		return;
	trace_hash_free(&p->map);
	free(p);
}

static int lookup(const struct trace_pids *p, uint64_t pid)
{
	const uint64_t *v = pid ? trace_hash_find(&p->map, pid) : NULL;

	return v ? (int)*v : PID_NONE;
}

static void set_state(struct trace_pids *p, uint64_t pid, enum pid_state st)
{
	*trace_hash_insert(&p->map, pid) = st;
}

static void remove_pid(struct trace_pids *p, uint64_t pid)
{
	trace_hash_remove(&p->map, pid);
}

static enum trace_admit bad(char *err, size_t errlen, const char *fmt, uint64_t pid)
{
	if (errlen)
		snprintf(err, errlen, fmt, (unsigned long long)pid);
	return TRACE_BAD;
}

static enum trace_admit admit_fork(struct trace_pids *p, const struct trace_op *op,
				   char *err, size_t errlen)
{
	int parent = lookup(p, op->pid);

	if (parent != PID_LIVE && parent != PID_SKIPPED)
		return bad(err, errlen, "no process %llu", op->pid);
	if (lookup(p, op->child) == PID_LIVE)
		return bad(err, errlen, "process %llu already exists", op->child);
	if (parent == PID_SKIPPED) {
		/* The fork would have created C: C's operations are skipped too. */
		set_state(p, op->child, PID_SKIPPED);
		return TRACE_SKIP;
	}
	set_state(p, op->child, PID_LIVE);
	return TRACE_RUN;
}

enum trace_admit trace_pids_admit(struct trace_pids *p, const struct trace_op *op,
				  char *err, size_t errlen)
{
	int st;

	switch (op->kind) {
	case TRACE_FILE:
	case TRACE_CHECK:
	case TRACE_STAT:
		return TRACE_RUN;
	case TRACE_SPAWN:
		if (lookup(p, op->pid) == PID_LIVE)
			return bad(err, errlen, "process %llu already exists", op->pid);
		set_state(p, op->pid, PID_LIVE);
		return TRACE_RUN;
	case TRACE_FORK:
		return admit_fork(p, op, err, errlen);
	case TRACE_EXIT:
		st = lookup(p, op->pid);
		if (st == PID_LIVE) {
			remove_pid(p, op->pid);
			return TRACE_RUN;
		}
		break;
	default:
		st = lookup(p, op->pid);
		if (st == PID_LIVE)
			return TRACE_RUN;
		break;
	}
	if (st == PID_SKIPPED)
		return TRACE_SKIP;
	return bad(err, errlen, "no process %llu", op->pid);
}

void trace_pids_killed(struct trace_pids *p, uint64_t pid)
{
	if (pid != 0)
		set_state(p, pid, PID_SKIPPED);
}

bool trace_pids_live(const struct trace_pids *p, uint64_t pid)
{
	return pid != 0 && lookup(p, pid) == PID_LIVE;
}
