/*
 * kern.h - the kernel's own services, shared by its files.
 *
 * The kernel is a host of the mvm core, like the simulator: it owns the
 * machine (memory map, CPU tables, serial ports, page tables of its own
 * half) and its processes, and calls the core for every VM decision.
 */
#ifndef MVM_KERN_KERN_H
#define MVM_KERN_KERN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvm/port.h"

/* serial.c: COM1 is the kernel's log, COM2 the host's channel. */
enum serial_port { SERIAL_LOG, SERIAL_HOST };
void serial_init(void);
void serial_putc(enum serial_port port, char c);
void serial_write(enum serial_port port, const char *s, size_t n);
uint8_t serial_getc(enum serial_port port);
/* COM2's receive interrupt (the only one): acknowledge it. */
#define PIC_VECTOR_BASE 32
#define SERIAL_HOST_IRQ 3
void serial_irq_done(void);

/* kprintf.c: a small printf (%d %u %x %s %c %p, l/ll/z, width, 0, -). */
size_t kvsnprintf(char *buf, size_t cap, const char *fmt, va_list ap);
size_t ksnprintf(char *buf, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A line (or part of one) to the log. */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Output to the host: spec lines and `#` lines, and the protocol's. */
void kout(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
size_t kstrlen(const char *s);

/* panic.c */
_Noreturn void kpanic(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define KPANIC(...) kpanic(__FILE__, __LINE__, __VA_ARGS__)
/* qemu's isa-debug-exit. */
_Noreturn void kexit(uint32_t code);

/* mem.c: the boot memory map, the kernel's heap, its page tables. */
struct kboot_args {
	uint64_t ram_bytes;   /* ram=: the page pool */
	int verbose;          /* v= */
	uint64_t panic_at;    /* panic=: inject a core assertion at operation N */
	bool stale_tlb;       /* stale_tlb=1: skip invlpg (tests must notice) */
};
extern struct kboot_args kargs;
void mem_init(uint64_t start_info_pa);
/* Pages and bytes of kernel memory (outside the pool); zeroed; NULL if none. */
void *kalloc_pages(size_t n);
void kfree_pages(void *p, size_t n);
void *kalloc(size_t size);
/* The checker's scratch: a region emptied after each check. */
void *kscratch_alloc(size_t size);
void kscratch_reset(void);
uint64_t kvirt_to_phys(const void *p);
/* The kernel's root table (its half, nothing below) and the user runtime's
 * page table, whose u-area entries change on every process switch. */
extern uint64_t kern_root_pa;
extern uint64_t *user_rt_pt;
void mem_boot_core(void);
/* The physical span the core manages (for the page-table walk). */
extern uint64_t pool_pa_base, pool_pa_end;
/* Kernel memory in use, for `stat`. */
uint64_t mem_kernel_bytes(void);

/* The simulated clock: 1000 ns per operation, as `mvm replay` counts. */
extern uint64_t kclock_ns;

/* String helpers the core also needs (memcpy and friends). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memset(void *dst, int c, size_t n);

#endif
