/*
 * ksys.c - the system calls of the user program.
 *
 * The mmap family checks its arguments by the spec's errno rules, in
 * the spec's order, exactly as the simulator's system-call layer does
 * (vm_range_check, shared with src/sim/syscall.c: EINVAL for unaligned,
 * empty and wrapping ranges, success for an empty mprotect/madvise/msync;
 * then the core, whose VM_ENOMAP is the errno ENOMEM and whose VM_ENOMEM
 * is no errno but the OOM killer), and prints the error line.  Files are
 * not in this kernel yet: the host refuses traces that use them.
 *
 * USYS_NEXT is where a process blocks: if its mailbox holds an operation
 * it has not taken, it takes it at once; otherwise its operation is over,
 * its registers are saved and the kernel's loop goes on.
 */
#include "proc.h"
#include "usys.h"
#include "x86.h"
#include "mvm/vm.h"

static const char *const usys_op_name[USYS_COUNT] = {
	[USYS_MMAP] = "mmap", [USYS_MUNMAP] = "munmap", [USYS_MPROTECT] = "mprotect",
	[USYS_MADVISE] = "madvise", [USYS_MSYNC] = "msync",
};

static void emit_error(uint64_t pid, uint64_t call, const char *err)
{
	kout("%llu %s error %s\n", (unsigned long long)pid, usys_op_name[call], err);
}

/* mprotect, madvise and msync succeed on an empty range (vm_range_check). */
static bool empty_ok(uint64_t call)
{
	return call == USYS_MPROTECT || call == USYS_MADVISE || call == USYS_MSYNC;
}

static vm_prot_t prot_of(uint64_t p)
{
	return (vm_prot_t)((p & 1 ? VM_PROT_READ : 0) | (p & 2 ? VM_PROT_WRITE : 0) |
			   (p & 4 ? VM_PROT_EXEC : 0));
}

static enum vm_advice advice_of(uint64_t a)
{
	static const enum vm_advice map[] = {VM_ADV_DONTNEED, VM_ADV_WILLNEED, VM_ADV_PAGEOUT,
					     VM_ADV_DONTFORK, VM_ADV_DOFORK};

	return a < 5 ? map[a] : VM_ADV_DOFORK;
}

static enum vm_err call_core(struct kproc *p, uint64_t call, const struct trapframe *tf)
{
	uint64_t addr = tf->rdi, len = vm_round_len(tf->rsi);

	switch (call) {
	case USYS_MMAP:
		return vm_mmap(p->map, addr, len, prot_of(tf->rdx), tf->r10 != 0, NULL, 0);
	case USYS_MUNMAP:
		return vm_munmap(p->map, addr, len);
	case USYS_MPROTECT:
		return vm_mprotect(p->map, addr, len, prot_of(tf->rdx));
	case USYS_MADVISE:
		return vm_madvise(p->map, addr, len, advice_of(tf->rdx));
	default:
		return vm_msync(p->map, addr, len);
	}
}

/* mmap, munmap, mprotect, madvise, msync. */
static void sys_mm(struct kproc *p, uint64_t call, struct trapframe *tf)
{
	enum vm_err err;
	enum vm_range_verdict range = vm_range_check(tf->rdi, tf->rsi, empty_ok(call));

	tf->rax = 0;
	if (range == VM_RANGE_EMPTY)
		return;
	if (range == VM_RANGE_EINVAL) {
		emit_error(p->pid, call, "EINVAL");
		return;
	}
	while ((err = call_core(p, call, tf)) == VM_ENOMEM) {
		if (!kproc_oom(p)) {
			kres.killed_self = true;
			user_yield();
		}
	}
	if (err == VM_EINVAL)
		emit_error(p->pid, call, "EINVAL");
	else if (err == VM_ENOMAP)
		emit_error(p->pid, call, "ENOMEM");
	else if (err != VM_OK)
		emit_error(p->pid, call, "EIO");
}

/* The operation is over: save the process and go back to the loop. */
static _Noreturn void block(struct kproc *p, const struct trapframe *tf)
{
	p->tf = *tf;
	p->blocked = true;
	user_yield();
}

static void sys_next(struct kproc *p, struct trapframe *tf)
{
	if (p->pending) {
		p->pending = false;
		return;
	}
	block(p, tf);
}

static void sys_fork(struct kproc *p, struct trapframe *tf)
{
	tf->rax = 1;
	if (!kproc_fork(p, tf->rdi, tf))
		user_yield(); /* the OOM killer chose the parent */
}

static void sys_read_done(struct kproc *p, const struct trapframe *tf)
{
	kout("%llu read 0x%llx 0x%llx %016llx\n", (unsigned long long)p->pid,
	     (unsigned long long)tf->rdi, (unsigned long long)tf->rsi,
	     (unsigned long long)tf->rdx);
}

void ksys(struct kproc *p, struct trapframe *tf)
{
	uint64_t call = tf->rax;

	kstats.syscalls++;
	switch (call) {
	case USYS_NEXT:
		sys_next(p, tf);
		return;
	case USYS_FORK:
		sys_fork(p, tf);
		return;
	case USYS_EXEC:
		kproc_exec(p);
		kproc_restart(tf);
		return;
	case USYS_EXIT:
		kproc_exit(p);
		user_yield();
	case USYS_MMAP:
	case USYS_MUNMAP:
	case USYS_MPROTECT:
	case USYS_MADVISE:
	case USYS_MSYNC:
		sys_mm(p, call, tf);
		return;
	case USYS_MAPS:
		kreport_maps(p);
		return;
	case USYS_VMDUMP:
		kreport_vmdump(p);
		return;
	case USYS_READ_DONE:
		sys_read_done(p, tf);
		return;
	case USYS_SEGV:
		kstats.segv++;
		emit_addr(p->pid, "segv", tf->rdi);
		kproc_restart(tf);
		return;
	default:
		KPANIC("process %llu: unknown system call %llu", (unsigned long long)p->pid,
		       (unsigned long long)call);
	}
}
