/*
 * trap.c - what happens when a process traps: page faults, system
 * calls, and anything else (a kernel bug: panic with where and why).
 *
 * A page fault from ring 3 is the MMU saying no: CR2 holds the address,
 * the error code whether it was a write.  The core's fault handler
 * decides (vm_fault); on VM_OK the process simply retries the access.
 * When memory is exhausted the OOM killer runs and the fault is retried
 * unless the faulting process was chosen; a failed swap read (VM_EIO)
 * kills the process, `P killed io`; a refusal (VM_ESEGV, VM_ESIGBUS)
 * prints the spec's `segv`/`sigbus` line and restarts the program at its
 * loop, which abandons the operation: the spec's "the operation stops at
 * that page, and the process goes on with its next operation".
 */
#include "proc.h"
#include "x86.h"
#include "mvm/vm.h"

/* A fault handler that says yes without mapping would loop forever. */
#define MAX_REFAULTS 8

void emit_addr(uint64_t pid, const char *what, uint64_t addr)
{
	kout("%llu %s 0x%llx\n", (unsigned long long)pid, what, (unsigned long long)addr);
}

static _Noreturn void kernel_trap(const struct trapframe *tf)
{
	kpanic("trap", 0, "exception %llu in the kernel at rip 0x%llx (error 0x%llx, cr2 0x%llx)",
	       (unsigned long long)tf->vector, (unsigned long long)tf->rip,
	       (unsigned long long)tf->error, (unsigned long long)read_cr2());
}

/* The process is gone: back to the kernel's loop. */
static _Noreturn void proc_ended(uint64_t op_addr, uint64_t va)
{
	uint64_t page = va & ~0xfffull;

	kres.killed_self = true;
	kres.done_bytes = (page > op_addr ? page : op_addr) - op_addr;
	user_yield();
}

static void refault_guard(uint64_t va, bool write)
{
	static uint64_t last_va = ~0ull;
	static bool last_write;
	static int count;

	if (va == last_va && write == last_write) {
		if (++count > MAX_REFAULTS)
			KPANIC("the fault handler says yes at 0x%llx but the access faults",
			       (unsigned long long)va);
		return;
	}
	last_va = va;
	last_write = write;
	count = 0;
}

static void page_fault(struct kproc *p, struct trapframe *tf)
{
	uint64_t va = read_cr2(), op_addr = ((const struct kop *)(void *)p->uarea)->addr;
	bool write = (tf->error & PF_WRITE) != 0;

	for (;;) {
		enum vm_err err = va < VM_USER_MAX
					  ? vm_fault(p->map, va, write ? VM_ACCESS_WRITE : VM_ACCESS_READ)
					  : VM_ESEGV;

		kstats.faults++;
		if (err == VM_OK) {
			refault_guard(va, write);
			return;
		}
		if (err == VM_ENOMEM) {
			if (!kproc_oom(p))
				proc_ended(op_addr, va);
			continue;
		}
		if (err == VM_EIO) {
			kproc_kill(p, "io");
			proc_ended(op_addr, va);
		}
		if (err == VM_ESIGBUS)
			kstats.sigbus++;
		else
			kstats.segv++;
		emit_addr(p->pid, err == VM_ESIGBUS ? "sigbus" : "segv", va);
		kproc_restart(tf);
		return;
	}
}

void trap(struct trapframe *tf)
{
	struct kproc *p = kproc_running();

	if (tf->vector == PIC_VECTOR_BASE + SERIAL_HOST_IRQ) {
		serial_irq_done(); /* the waiting serial_getc reads the byte */
		return;
	}
	if ((tf->cs & 3) == 0 || p == NULL)
		kernel_trap(tf);
	if (tf->vector == VEC_PAGE_FAULT)
		page_fault(p, tf);
	else if (tf->vector == VEC_SYSCALL)
		ksys(p, tf);
	else
		kpanic("trap", 0, "process %llu: exception %llu in the user program at 0x%llx",
		       (unsigned long long)p->pid, (unsigned long long)tf->vector,
		       (unsigned long long)tf->rip);
}
