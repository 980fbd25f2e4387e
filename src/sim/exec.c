/*
 * exec.c - one trace operation on the machine.
 *
 * Every per-process operation but exit runs the process first (a context
 * switch when another one ran last), so that the TLB, the pmap LRU and the
 * idle-time bookkeeping all see what a real scheduler would show them.
 *
 * Each operation first costs --op-cost of simulated time, then completes
 * the device I/O due by then: so I/O the core started without waiting
 * for (pageout) finishes while the trace goes on, as it would on a
 * machine whose disk works while the CPU does.
 *
 * `file NAME SIZE SEED` is no process's operation: it is the world
 * outside the machine rewriting a file (the host writes its bytes
 * straight to the host file), after which the core is told, as a kernel
 * learns of a change on a network file system.  A host that cannot write
 * the file (no space; a SIZE beyond what any host file can hold) ends the
 * run with exit status 2 and a message, as bad input does: the trace
 * cannot be replayed here.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvm/vm.h"
#include "sim.h"

static void exec_check(struct sim *s, struct sim_result *res, FILE *out)
{
	char why[512];

	(void)out;
	if (!sim_check(s, why, sizeof why)) {
		res->failed_check = true;
		snprintf(res->why, sizeof res->why, "%s", why);
	}
}

static _Noreturn void host_failure(const struct trace_op *op, const char *why)
{
	fflush(stdout);
	fprintf(stderr, "mvm: line %" PRIu64 ": the host cannot replay this: %s\n", op->line, why);
	exit(2);
}

/* A new file's cache object; the OOM killer runs until one can be made. */
static struct vm_object *create_object(struct sim *s, const struct trace_op *op, uint64_t handle,
				       struct trace_events *out)
{
	struct vm_object *obj;

	while ((obj = vm_file_create(handle, 0, op->len)) == NULL)
		if (!sim_oom(s, NULL, out))
			host_failure(op, "no memory for a file's cache object, and no process to kill");
	return obj;
}

static void exec_file(struct sim *s, const struct trace_op *op, struct trace_events *out)
{
	char err[512];
	uint64_t handle;
	bool created;

	if (!sim_files_write(op->name, op->len, op->seed, &handle, &created, err, sizeof err))
		host_failure(op, err);
	s->stats.file_bytes += op->len;
	if (created)
		sim_files_set_object(handle, create_object(s, op, handle, out));
	else
		vm_file_replaced(sim_files_object(op->name), op->len);
}

void sim_exec(struct sim *s, const struct trace_op *op, struct trace_events *out,
	      struct sim_result *res)
{
	struct sim_proc *p = op->pid != 0 ? sim_proc_find(s, op->pid) : NULL;

	*res = (struct sim_result){0};
	sim_clock_advance(s->cfg.dev.op_cost_ns);
	port_io_poll();
	vm_background();
	s->op_seq++;
	s->stats.ops++;
	s->stats.ops_by_kind[op->kind]++;
	if (p != NULL && op->kind != TRACE_EXIT)
		sim_proc_run(s, p);
	switch (op->kind) {
	case TRACE_SPAWN:
		sim_proc_spawn(s, op->pid, out, res);
		break;
	case TRACE_FORK:
		sim_proc_fork(s, p, op->child, out, res);
		break;
	case TRACE_EXEC:
		sim_proc_exec(s, p);
		break;
	case TRACE_EXIT:
		sim_proc_exit(s, p);
		break;
	case TRACE_MMAP:
	case TRACE_MUNMAP:
	case TRACE_MPROTECT:
	case TRACE_MADVISE:
	case TRACE_MSYNC:
		sim_syscall(s, p, op, out, res);
		break;
	case TRACE_MAPS:
		sim_report_maps(s, p, out);
		break;
	case TRACE_VMDUMP:
		sim_report_vmdump(s, p, s->report);
		break;
	case TRACE_WRITE:
	case TRACE_READ:
	case TRACE_TOUCH:
		sim_access(s, p, op, out, res);
		break;
	case TRACE_CHECK:
		exec_check(s, res, s->report);
		break;
	case TRACE_STAT:
		sim_report_stat(s, s->report);
		break;
	case TRACE_FILE:
		exec_file(s, op, out);
		break;
	case TRACE_PREAD:
	case TRACE_PWRITE:
		sim_syscall_file_io(s, p, op, out, res);
		break;
	case TRACE_KIND_COUNT:
		break;
	}
}
