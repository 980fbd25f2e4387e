/*
 * proc.h - processes: the trace's processes as ring-3 processes.
 *
 * A process is a pid, an address space (a core vm_map whose pmap's root
 * is what CR3 holds while it runs), a u-area (its stack and mailbox, two
 * kernel pages mapped at USER_MBOX while it runs) and its saved registers.
 * It runs only when the kernel gives it an operation; between operations
 * it is blocked in USYS_NEXT and is nothing but its saved frame.
 */
#ifndef MVM_KERN_PROC_H
#define MVM_KERN_PROC_H

#include "kern.h"
#include "trap.h"
#include "proto.h"

struct vm_map;

struct kproc {
	uint64_t pid;
	struct vm_map *map;
	struct trapframe tf;    /* saved user registers while blocked */
	uint8_t *uarea;         /* UAREA_PAGES pages: mailbox, then the stack */
	bool blocked;           /* in USYS_NEXT: resuming it gives it the mailbox */
	bool pending;           /* the mailbox holds an operation not yet taken
	                         * (a new process, or a child still returning
	                         * from fork, takes it at its next USYS_NEXT) */
	struct kproc *next;     /* the process list, in ascending pid order */
};

/* What the operation in progress did (for "!done"). */
struct kop_result {
	bool killed_self;
	uint64_t done_bytes;
};
extern struct kop_result kres;

/* Counters for `stat`. */
struct kstats {
	uint64_t ops, faults, segv, sigbus, oom_kills, procs_created, switches, syscalls;
	uint64_t invlpg, cr3_flushes;
};
extern struct kstats kstats;

struct kproc *kproc_find(uint64_t pid);
struct kproc *kproc_first(void);
struct kproc *kproc_running(void);
uint64_t kproc_count(void);
/* spawn: false if the OOM killer could not make room (P killed oom). */
void kproc_spawn(uint64_t pid);
/* fork: true if the child exists (its frame is the parent's with rax 0). */
bool kproc_fork(struct kproc *parent, uint64_t child, const struct trapframe *tf);
void kproc_exec(struct kproc *p);
void kproc_exit(struct kproc *p);
void kproc_kill(struct kproc *p, const char *why);
/* The core has no memory: kill the largest; false if SELF was the one. */
bool kproc_oom(struct kproc *self);
/* Loads P's address space and u-area (CR3, u-area PTEs). */
void kproc_switch(struct kproc *p);
/* Gives P the operation and runs it until it blocks or dies. */
void kproc_deliver(struct kproc *p, const struct kop *op);
/* Restarts P's program at its entry (after a signal, an exec). */
void kproc_restart(struct trapframe *tf);
/* The current asid loaded in CR3 (0: the kernel's own root). */
uint32_t kproc_loaded_asid(void);

/* trap.c */
void emit_addr(uint64_t pid, const char *what, uint64_t addr);

/* ksys.c: the system calls. */
void ksys(struct kproc *p, struct trapframe *tf);

/* report.c */
void kreport_maps(struct kproc *p);
void kreport_vmdump(struct kproc *p);
void kreport_stat(void);

/* check_kern.c: vm_check, and the page tables as the MMU walks them. */
bool kcheck(char *why, size_t whylen);

#endif
