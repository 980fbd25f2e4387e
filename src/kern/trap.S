/*
 * trap.S - the way into the kernel (exceptions, int $0x80) and out to
 * ring 3.
 *
 * Every vector pushes the same struct trapframe (trap.h): an error code
 * (0 when the CPU gives none), the vector, then every general register,
 * and calls trap(tf).  Returning from trap() pops it all and irets, so a
 * handler resumes the process by returning, with whatever it changed in
 * the frame (a system call's result in rax, a signal's new rip).
 *
 * The kernel is not a set of threads: it runs trace operations on its
 * boot stack and enters a process with user_run(tf), which saves the
 * kernel's callee-saved registers and irets into ring 3.  The process
 * runs until it traps; the CPU switches to the trap stack (TSS.rsp0),
 * and a handler either returns to the process or, when the process
 * blocks (its operation is over), calls user_yield(), which drops the
 * trap stack and returns from user_run() to the kernel's loop.  A
 * blocked process is nothing but its saved frame.
 */
	.text

	.macro VEC_NOERR n
vec\n:
	push $0
	push $\n
	jmp trap_common
	.endm

	.macro VEC_ERR n
vec\n:
	push $\n
	jmp trap_common
	.endm

	VEC_NOERR 0
	VEC_NOERR 1
	VEC_NOERR 2
	VEC_NOERR 3
	VEC_NOERR 4
	VEC_NOERR 5
	VEC_NOERR 6
	VEC_NOERR 7
	VEC_ERR 8
	VEC_NOERR 9
	VEC_ERR 10
	VEC_ERR 11
	VEC_ERR 12
	VEC_ERR 13
	VEC_ERR 14
	VEC_NOERR 15
	VEC_NOERR 16
	VEC_ERR 17
	VEC_NOERR 18
	VEC_NOERR 19
	VEC_NOERR 20
	VEC_ERR 21
	VEC_NOERR 22
	VEC_NOERR 23
	VEC_NOERR 24
	VEC_NOERR 25
	VEC_NOERR 26
	VEC_NOERR 27
	VEC_NOERR 28
	VEC_ERR 29
	VEC_ERR 30
	VEC_NOERR 31
	VEC_NOERR 35
	VEC_NOERR 128

trap_common:
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rdi
	cld
	call trap
	.globl trap_return
trap_return:
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq

/* void user_run(struct trapframe *tf): TF is on the trap stack's top. */
	.globl user_run
user_run:
	push %rbx
	push %rbp
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, kctx_rsp(%rip)
	mov %rdi, %rsp
	jmp trap_return

/* _Noreturn void user_yield(void): back to user_run's caller. */
	.globl user_yield
user_yield:
	mov kctx_rsp(%rip), %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbp
	pop %rbx
	ret

	.section .rodata
	.balign 8
	.globl trap_vectors
trap_vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad vec\n
	.endr
	.globl trap_vector_serial
trap_vector_serial:
	.quad vec35
	.globl trap_vector_syscall
trap_vector_syscall:
	.quad vec128

	.bss
	.balign 8
kctx_rsp:
	.quad 0
