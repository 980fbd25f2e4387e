/*
 * access.c - read, write and touch: the process touching its memory.
 *
 * Accesses go page by page in ascending order, as the spec says, each one
 * through the simulated MMU exactly as a CPU would issue it.  A TLB hit
 * costs a tag compare; a miss walks the page tables in RAM; a fault calls
 * the core's fault handler and then retries the access.  The bytes are
 * then read or written in the frame itself, so what a process sees is
 * whatever the VM system really put in that frame: nothing here knows
 * about anons, amaps or copy-on-write.
 *
 * When the fault handler says no: segv or sigbus stops the operation with
 * its line; VM_EIO (a swap read failed) kills the process that needed the
 * page, `P killed io`; VM_ENOMEM (nothing reclaimable) runs the OOM killer
 * and retries unless the process itself was chosen.
 */
#include "mvm/port.h"
#include "mvm/vm.h"
#include "sim.h"

/* Guards against a fault handler that reports success without mapping. */
#define ACCESS_MAX_REFAULTS 8

static void emit_addr(struct trace_events *out, enum trace_event_kind kind, uint64_t pid,
		      uint64_t addr)
{
	struct trace_event *ev = trace_events_push(out);

	ev->kind = kind;
	ev->pid = pid;
	ev->addr = addr;
}

/* The host address of VA's byte for this access, or NULL if the
 * operation must stop (its line has been emitted). */
static uint8_t *access_byte(struct sim *s, struct sim_proc *p, uint64_t va, bool write,
			    struct trace_events *out, struct sim_result *res)
{
	enum sim_fault fault;
	uint8_t *ptr = sim_cpu_translate(&s->cpu, va, write, &fault);
	int refaults = 0;

	while (ptr == NULL) {
		enum vm_err err;

		s->stats.faults++;
		err = vm_fault(p->map, va, write ? VM_ACCESS_WRITE : VM_ACCESS_READ);
		if (err == VM_OK) {
			if (++refaults > ACCESS_MAX_REFAULTS)
				port_panic(__FILE__, __LINE__, "fault handler succeeds but the access faults");
		} else if (err == VM_ENOMEM) {
			if (!sim_oom(s, p, out)) {
				res->killed_self = true;
				return NULL;
			}
		} else if (err == VM_EIO) {
			/* The page's data could not be read back: this process,
			 * and only this one, cannot go on. */
			sim_proc_kill(s, p, "io", out);
			res->killed_self = true;
			return NULL;
		} else if (err == VM_ESIGBUS) {
			s->stats.sigbus++;
			emit_addr(out, TEV_SIGBUS, p->pid, va);
			return NULL;
		} else {
			s->stats.segv++;
			emit_addr(out, TEV_SEGV, p->pid, va);
			return NULL;
		}
		ptr = sim_cpu_translate(&s->cpu, va, write, &fault);
	}
	return ptr;
}

void sim_access(struct sim *s, struct sim_proc *p, const struct trace_op *op,
		struct trace_events *out, struct sim_result *res)
{
	bool write = op->kind == TRACE_WRITE || (op->kind == TRACE_TOUCH && op->touch_write);
	uint64_t end = op->len > UINT64_MAX - op->addr ? UINT64_MAX : op->addr + op->len;
	uint64_t hash = TRACE_FNV_OFFSET, cur = op->addr;

	while (cur < end) {
		uint64_t page_end = (cur | VM_PAGE_MASK) + 1;
		uint64_t chunk = (page_end == 0 || page_end > end ? end : page_end) - cur;
		/* A `w` touch reads its byte, then writes it back: the read
		 * decides first (sigbus past a file's end where writing would be
		 * a protection fault). */
		uint8_t *ptr = access_byte(s, p, cur, write && op->kind != TRACE_TOUCH, out, res);

		if (ptr != NULL && op->kind == TRACE_TOUCH && op->touch_write)
			ptr = access_byte(s, p, cur, true, out, res);
		if (ptr == NULL)
			break;
		if (op->kind == TRACE_WRITE) {
			trace_pattern_fill(op->seed, cur, ptr, chunk);
			s->stats.bytes_written += chunk;
		} else if (op->kind == TRACE_READ) {
			hash = trace_fnv1a(hash, ptr, chunk);
			s->stats.bytes_read += chunk;
		} else if (op->touch_write) {
			*(volatile uint8_t *)ptr = *(volatile uint8_t *)ptr;
		} else {
			(void)*(volatile uint8_t *)ptr;
		}
		cur += chunk;
	}
	res->done_bytes = cur - op->addr;
	if (op->kind == TRACE_READ && cur == end) {
		struct trace_event *ev = trace_events_push(out);

		ev->kind = TEV_READ;
		ev->pid = p->pid;
		ev->addr = op->addr;
		ev->len = op->len;
		ev->hash = hash;
	}
}
