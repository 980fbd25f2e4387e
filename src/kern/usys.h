/*
 * usys.h - the system calls of the ring-3 program, and its mailbox.
 *
 * A process is the user program (user/user.c) running one trace
 * process's operations.  The kernel puts each operation in the process's
 * mailbox (a page of its u-area at USER_MBOX) and resumes it; the
 * program does the operation, memory accesses as real loads and stores,
 * everything else as one of these calls (int $0x80: number in rax,
 * arguments in rdi, rsi, rdx, r10; result in rax), and asks for the next
 * one with USYS_NEXT.
 */
#ifndef MVM_KERN_USYS_H
#define MVM_KERN_USYS_H

#include "proto.h"

enum usys {
	USYS_NEXT = 1,  /* this operation is over; wait for the next */
	USYS_FORK,      /* (child pid) -> 0 in the child, 1 in the parent */
	USYS_EXEC,      /* a new, empty address space; restarts the program */
	USYS_EXIT,      /* never returns */
	USYS_MMAP,      /* (addr, len, prot, shared) */
	USYS_MUNMAP,    /* (addr, len) */
	USYS_MPROTECT,  /* (addr, len, prot) */
	USYS_MADVISE,   /* (addr, len, advice) */
	USYS_MSYNC,     /* (addr, len) */
	USYS_MAPS,      /* print the map */
	USYS_VMDUMP,
	USYS_READ_DONE, /* (addr, len, hash): print the read line */
	USYS_SEGV,      /* (addr): an address above user space, not touched */
	USYS_COUNT
};

/* The mailbox: the operation the kernel gave. */
struct umbox {
	struct kop op;
};

#endif
