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
 */
#include <stdio.h>
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
	case TRACE_PREAD:
	case TRACE_PWRITE:
	case TRACE_KIND_COUNT:
		/* Refused by the replayer until files exist. */
		break;
	}
}
