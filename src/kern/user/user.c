/*
 * user.c - the ring-3 program that runs one trace process.
 *
 * It loops: ask the kernel for the next operation (USYS_NEXT), do it.
 * `write`, `read` and `touch` are real stores and loads to the trace's
 * addresses, through the MMU with this process's page tables: a miss is a
 * real page fault that the kernel hands to the core's fault handler.  The
 * first access to each page is at the first byte of the range on that
 * page, so a fault the core refuses is reported at exactly the address
 * the spec names; the kernel prints the `segv`/`sigbus` line and restarts
 * this loop, as native-replay does with a signal and siglongjmp.
 * Everything else is a system call.
 *
 * Addresses at or above 2^47 are not user space on x86-64 (non-canonical,
 * or the kernel's half, which here also holds this program and its
 * u-area): the program reports them without touching them.
 *
 * No data, no bss, no libc: the pages are shared by every process.
 */
#include <stdbool.h>
#include <stdint.h>

#include "../usys.h"
#include "../x86.h"

#define PAGE 4096ull
#define USER_LIMIT (1ull << 47)
#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

void user_main(void) __attribute__((noreturn));

static uint64_t sys(uint64_t n, uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	register uint64_t r10 __asm__("r10") = d;

	__asm__ volatile("int $0x80" : "+a"(n) : "D"(a), "S"(b), "d"(c), "r"(r10) : "memory");
	return n;
}

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint8_t pattern_byte(uint64_t seed, uint64_t a)
{
	return (uint8_t)(splitmix64(seed ^ (a & ~7ull)) >> (8 * (a & 7)));
}

/* Stores the pattern in [cur, end), which lies in one page; the first
 * store is at CUR. */
static void write_chunk(uint64_t cur, uint64_t end, uint64_t seed)
{
	for (; cur < end && (cur & 7); cur++)
		*(volatile uint8_t *)cur = pattern_byte(seed, cur);
	for (; cur < end && end - cur >= 8; cur += 8)
		*(volatile uint64_t *)cur = splitmix64(seed ^ cur);
	for (; cur < end; cur++)
		*(volatile uint8_t *)cur = pattern_byte(seed, cur);
}

static uint64_t fnv_byte(uint64_t h, uint8_t b)
{
	return (h ^ b) * FNV_PRIME;
}

/* Hashes [cur, end) into H; the first load is at CUR. */
static uint64_t read_chunk(uint64_t cur, uint64_t end, uint64_t h)
{
	for (; cur < end && (cur & 7); cur++)
		h = fnv_byte(h, *(volatile uint8_t *)cur);
	for (; cur < end && end - cur >= 8; cur += 8) {
		uint64_t w = *(volatile uint64_t *)cur;

		for (int i = 0; i < 8; i++)
			h = fnv_byte(h, (uint8_t)(w >> (8 * i)));
	}
	for (; cur < end; cur++)
		h = fnv_byte(h, *(volatile uint8_t *)cur);
	return h;
}

static void touch_byte(uint64_t cur, bool write)
{
	volatile uint8_t *p = (volatile uint8_t *)cur;
	uint8_t v = *p;

	if (write)
		*p = v;
}

/* write, read, touch: page by page in ascending order. */
static void access(const volatile struct kop *op)
{
	uint64_t addr = op->addr, len = op->len, seed = op->seed;
	uint64_t end = len > ~0ull - addr ? ~0ull : addr + len;
	uint64_t h = FNV_OFFSET, cur = addr;
	uint8_t kind = op->kind;
	bool touch_write = op->flag != 0;

	while (cur < end) {
		uint64_t page_end = (cur | (PAGE - 1)) + 1;
		uint64_t stop = page_end == 0 || page_end > end ? end : page_end;

		if (cur >= USER_LIMIT)
			sys(USYS_SEGV, cur, 0, 0, 0); /* does not return */
		if (kind == KOP_WRITE)
			write_chunk(cur, stop, seed);
		else if (kind == KOP_READ)
			h = read_chunk(cur, stop, h);
		else
			touch_byte(cur, touch_write);
		cur = stop;
	}
	if (kind == KOP_READ)
		sys(USYS_READ_DONE, addr, len, h, 0);
}

static void run(const volatile struct kop *op)
{
	switch (op->kind) {
	case KOP_FORK:
		sys(USYS_FORK, op->child, 0, 0, 0);
		break;
	case KOP_EXEC:
		sys(USYS_EXEC, 0, 0, 0, 0);
		break;
	case KOP_EXIT:
		sys(USYS_EXIT, 0, 0, 0, 0);
		break;
	case KOP_MMAP:
		sys(USYS_MMAP, op->addr, op->len, op->prot, op->flag);
		break;
	case KOP_MUNMAP:
		sys(USYS_MUNMAP, op->addr, op->len, 0, 0);
		break;
	case KOP_MPROTECT:
		sys(USYS_MPROTECT, op->addr, op->len, op->prot, 0);
		break;
	case KOP_MADVISE:
		sys(USYS_MADVISE, op->addr, op->len, op->flag, 0);
		break;
	case KOP_MSYNC:
		sys(USYS_MSYNC, op->addr, op->len, 0, 0);
		break;
	case KOP_MAPS:
		sys(USYS_MAPS, 0, 0, 0, 0);
		break;
	case KOP_VMDUMP:
		sys(USYS_VMDUMP, 0, 0, 0, 0);
		break;
	case KOP_WRITE:
	case KOP_READ:
	case KOP_TOUCH:
		access(op);
		break;
	default:
		break;
	}
}

void user_main(void)
{
	const volatile struct umbox *mbox = (const volatile struct umbox *)USER_MBOX;

	for (;;) {
		sys(USYS_NEXT, 0, 0, 0, 0);
		run(&mbox->op);
	}
}
