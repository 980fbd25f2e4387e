/*
 * proto.h - what `mvm boot` and the kernel say to each other.
 *
 * The host parses the trace (one parser for every executor), admits each
 * operation by the shared process rules (trace_pids) and hands the kernel
 * one admitted operation at a time on the second serial port (COM2), as a
 * fixed-size binary record: the kernel needs no parser.  The kernel runs
 * it on the machine and answers on the same port with text lines:
 *
 *   the spec's output lines ("3 read 0x... 0x... HASH", "# ..." lines)
 *   "!done K D"      the operation is over: K = 1 if it ended its own
 *                    process (killed), D = bytes a data operation did (hex)
 *   "!check WHY"     before !done: the checker found WHY broken
 *   "!ready"         once, after boot, before the first operation
 *   "!panic WHERE: WHY"  the kernel stopped (then qemu exits)
 *
 * Lines that start with '!' are never output lines (those start with a
 * pid or '#'), so the two cannot be confused.  The kernel's own log goes
 * to COM1 and never mixes with this stream.
 *
 * Header only and freestanding: the kernel and the host both include it.
 */
#ifndef MVM_KERN_PROTO_H
#define MVM_KERN_PROTO_H

#include <stdint.h>

#define KOP_MAGIC 0x4d564d4bu /* "KMVM": resynchronises a garbled stream */

enum kop_kind {
	KOP_SPAWN = 1,
	KOP_FORK,
	KOP_EXEC,
	KOP_EXIT,
	KOP_MMAP,
	KOP_MUNMAP,
	KOP_MPROTECT,
	KOP_MADVISE,
	KOP_MSYNC,
	KOP_MAPS,
	KOP_VMDUMP,
	KOP_WRITE,
	KOP_READ,
	KOP_TOUCH,
	KOP_CHECK,   /* the trace's `check`, and --check-every */
	KOP_STAT,
	KOP_END,     /* shut down: qemu exits with status 0 from the kernel */
	KOP_KIND_COUNT
};

/* Advice values, as the trace spells them (trace.h's order). */
enum kop_advice { KOP_ADV_DONTNEED, KOP_ADV_WILLNEED, KOP_ADV_PAGEOUT, KOP_ADV_DONTFORK,
		  KOP_ADV_DOFORK };

/* One admitted operation: 64 bytes, little-endian, as x86 lays it out. */
struct kop {
	uint32_t magic;
	uint8_t kind;     /* enum kop_kind */
	uint8_t prot;     /* mmap, mprotect: r = 1, w = 2, x = 4 */
	uint8_t flag;     /* mmap: shared; touch: w; madvise: advice */
	uint8_t pad;
	uint64_t pid;
	uint64_t child;   /* fork */
	uint64_t addr;
	uint64_t len;
	uint64_t seed;    /* write */
	uint64_t seq;     /* the host's operation number (for the panic test) */
	uint64_t reserved;
};

_Static_assert(sizeof(struct kop) == 64, "a kop is 64 bytes on the wire");

/* isa-debug-exit: qemu exits with (value << 1) | 1. */
#define KEXIT_PORT 0xf4
#define KEXIT_OK 0      /* qemu status 1 */
#define KEXIT_PANIC 1   /* qemu status 3 */

#endif
