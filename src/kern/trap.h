/*
 * trap.h - the saved state of a process at a trap, and the trap entry.
 */
#ifndef MVM_KERN_TRAP_H
#define MVM_KERN_TRAP_H

#include <stdint.h>

/* As trap.S pushes it: lowest address first. */
struct trapframe {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

#define VEC_PAGE_FAULT 14
#define VEC_GP 13
#define VEC_SYSCALL 0x80

/* Page-fault error code bits. */
#define PF_PRESENT 0x1u
#define PF_WRITE 0x2u
#define PF_USER 0x4u

void trap(struct trapframe *tf);
/* Enters ring 3 with TF (copied to the trap stack); returns when the
 * process yields. */
void user_run(struct trapframe *tf);
_Noreturn void user_yield(void);

/* cpu.c: GDT, TSS, IDT. */
void cpu_init(void);
/* Where user_run's frame goes: the top of the trap stack. */
struct trapframe *cpu_trap_frame_slot(void);

#endif
