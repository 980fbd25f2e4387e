/*
 * x86.h - the few privileged instructions the kernel uses, and its
 * address-space layout.
 *
 * Virtual layout (4-level paging, 48-bit):
 *   0 .. 2^47 - 4096          user space: the core's, one pmap per process
 *   KERN_DMAP (PML4 slot 256)  every physical byte, supervisor only: the
 *                              core's "RAM" pointer is the pool's place here
 *   KERN_BASE (-2 GiB)         the kernel image, supervisor only
 *   USER_RT   (-1 GiB)         the ring-3 runtime: the user program's text
 *                              (shared, read-only) and the running
 *                              process's u-area (stack and mailbox),
 *                              remapped on every switch as 4.4BSD's
 *                              u-area was
 * Slots 256..511 of the root are the kernel's half, shared by every
 * process (pmap_share_kernel_half).
 */
#ifndef MVM_KERN_X86_H
#define MVM_KERN_X86_H

#include <stdint.h>

#define KERN_BASE 0xffffffff80000000ull
#define KERN_PHYS 0x1000000ull /* where the image is loaded (kernel.ld) */
#define KERN_DMAP 0xffff800000000000ull
#define USER_RT 0xffffffffc0000000ull

/* The ring-3 runtime: text, then the u-area (mailbox and stack). */
#define USER_TEXT USER_RT
#define USER_TEXT_MAX (1ull << 20)          /* 256 pages at most */
#define USER_MBOX (USER_RT + USER_TEXT_MAX) /* one page */
#define USER_STACK_PAGES 4
#define USER_STACK_LOW (USER_MBOX + 4096)
#define USER_STACK_TOP (USER_STACK_LOW + USER_STACK_PAGES * 4096)
#define UAREA_PAGES (1 + USER_STACK_PAGES)

/* Selectors (gdt.c). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UDATA 0x23
#define SEL_UCODE 0x2b
#define SEL_TSS 0x30

/* Hardware PTE bits beyond pte.h's. */
#define X86_PTE_PS (1ull << 7)

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(KERN_DMAP + pa);
}

static inline uint64_t kimage_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p - KERN_BASE;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline void invlpg(uint64_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline _Noreturn void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

#endif
