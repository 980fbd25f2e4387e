/*
 * syscall.c - the mmap family: the spec's errno rules, then the core.
 *
 * The checks that depend only on the arguments happen here, in the order
 * the spec gives (and Linux applies): EINVAL for unaligned addresses or
 * offsets, zero lengths and ranges that wrap or end at 2^64; ENOENT for a
 * missing file; EOVERFLOW for a file range past 2^63.  The core then
 * answers VM_ENOMAP (errno ENOMEM) for ranges outside user space or with
 * unmapped pages, and VM_ENOMEM only when memory is exhausted, which is
 * not an errno at all here: the OOM killer runs and the call is retried.
 */
#include "mvm/vm.h"
#include "sim.h"

static void emit_error(struct trace_events *out, const struct trace_op *op, const char *err)
{
	struct trace_event *ev = trace_events_push(out);

	ev->kind = TEV_ERROR;
	ev->pid = op->pid;
	ev->op = op->kind;
	ev->word = err;
}

static const char *errno_name(enum vm_err err)
{
	switch (err) {
	case VM_EINVAL:
		return "EINVAL";
	case VM_ENOMAP:
	case VM_ENOMEM:
		return "ENOMEM";
	case VM_ENOENT:
		return "ENOENT";
	case VM_EOVERFLOW:
		return "EOVERFLOW";
	default:
		return "EIO";
	}
}

/* LEN rounded up to whole pages, or 0 if that overflows. */
static uint64_t round_len(uint64_t len)
{
	return len > UINT64_MAX - VM_PAGE_MASK ? 0 : (len + VM_PAGE_MASK) & ~VM_PAGE_MASK;
}

/* The EINVAL rule shared by every call of the family. */
static bool range_invalid(uint64_t addr, uint64_t len)
{
	uint64_t rlen = round_len(len);

	return (addr & VM_PAGE_MASK) != 0 || len == 0 || rlen == 0 || rlen > UINT64_MAX - addr;
}

static vm_prot_t prot_of(uint8_t trace_prot)
{
	return (vm_prot_t)((trace_prot & TRACE_PROT_R ? VM_PROT_READ : 0) |
			   (trace_prot & TRACE_PROT_W ? VM_PROT_WRITE : 0) |
			   (trace_prot & TRACE_PROT_X ? VM_PROT_EXEC : 0));
}

static enum vm_advice advice_of(enum trace_advice adv)
{
	switch (adv) {
	case TRACE_ADV_DONTNEED:
		return VM_ADV_DONTNEED;
	case TRACE_ADV_WILLNEED:
		return VM_ADV_WILLNEED;
	case TRACE_ADV_PAGEOUT:
		return VM_ADV_PAGEOUT;
	case TRACE_ADV_DONTFORK:
		return VM_ADV_DONTFORK;
	case TRACE_ADV_DOFORK:
		break;
	}
	return VM_ADV_DOFORK;
}

static enum vm_err call_core(struct sim_proc *p, const struct trace_op *op)
{
	uint64_t len = round_len(op->len);

	switch (op->kind) {
	case TRACE_MMAP:
		return vm_mmap(p->map, op->addr, len, prot_of(op->prot), op->shared, NULL, 0);
	case TRACE_MUNMAP:
		return vm_munmap(p->map, op->addr, len);
	case TRACE_MPROTECT:
		return vm_mprotect(p->map, op->addr, len, prot_of(op->prot));
	case TRACE_MADVISE:
		return vm_madvise(p->map, op->addr, len, advice_of(op->advice));
	case TRACE_MSYNC:
		return vm_msync(p->map, op->addr, len);
	default:
		return VM_EINVAL;
	}
}

void sim_syscall(struct sim *s, struct sim_proc *p, const struct trace_op *op,
		 struct trace_events *out, struct sim_result *res)
{
	enum vm_err err;

	if (range_invalid(op->addr, op->len)) {
		emit_error(out, op, "EINVAL");
		return;
	}
	while ((err = call_core(p, op)) == VM_ENOMEM) {
		if (!sim_oom(s, p, out)) {
			res->killed_self = true;
			return;
		}
	}
	if (err != VM_OK)
		emit_error(out, op, errno_name(err));
}
