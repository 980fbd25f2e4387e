/*
 * port.h - everything the core (src/vm, src/pmap) needs from its host.
 *
 * The core builds with -ffreestanding: it may include only the freestanding
 * C headers and this file.  Whatever else it needs from the world comes
 * through the functions declared here, which the host implements.  In the
 * simulator the host is src/sim/port_sim.c; in a kernel it would be a few
 * dozen lines over the kernel's own allocator, logger and MMU code.
 *
 * The interface is deliberately small:
 *   - memory outside the page pool, for boot-time tables that can fail;
 *   - a deterministic failure-injection point for core allocations;
 *   - TLB shootdown (the MMU is the host's hardware);
 *   - block device I/O, asynchronous, and the clock that times it;
 *   - logging and assertion.
 *
 * Page frames themselves are not allocated here: the core owns physical
 * memory (src/vm/page.c) and every metadata structure it keeps lives in
 * frames of that memory, so frame accounting is exact.
 */
#ifndef MVM_PORT_H
#define MVM_PORT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vm_types.h"

#if defined(__STDC_HOSTED__) && __STDC_HOSTED__
#include <string.h>
#else
/* A freestanding compiler still expects these four (GCC documents it). */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
#endif

/*
 * Memory outside the page pool (boot-time arrays such as the swap
 * allocator's bitmap).  May return NULL.
 */
void *port_alloc(size_t size);
void port_free(void *p, size_t size);

/*
 * Failure injection.  Every allocation the core makes (frames, slab
 * objects, port_alloc) first asks this; when it answers true the
 * allocation fails exactly as if memory were exhausted.  The host decides
 * deterministically (for instance "fail the Nth call").
 */
enum port_alloc_site {
	PORT_SITE_PAGE,   /* a frame for user data */
	PORT_SITE_KMEM,   /* a slab object for core metadata */
	PORT_SITE_PTP,    /* a page-table page */
	PORT_SITE_PV,     /* a pv-entry chunk */
	PORT_SITE_BOOT,   /* port_alloc */
	PORT_SITE_COUNT
};
bool port_alloc_should_fail(enum port_alloc_site site);

/* TLB control: drop cached translations of one address space. */
void port_tlb_flush_page(uint32_t asid, vaddr_t va);
void port_tlb_flush_asid(uint32_t asid);

/*
 * Block devices.  The core reads and writes whole pages of a device
 * asynchronously: it fills a struct port_io (which it owns until done()
 * runs) and submits it; the host performs the transfer and calls done()
 * later, from port_io_wait() or port_io_poll(), never from inside
 * port_io_submit().  Time is the host's: port_time_ns() is the current
 * (simulated) time and advances only when the host decides (I/O waits,
 * work).  The core waits for memory or data by calling port_io_wait().
 */
enum port_dev {
	PORT_DEV_SWAP,  /* the swap device: blocks are slots */
	PORT_DEV_FILE,  /* the file pager: blocks are pages of one file */
	PORT_DEV_COUNT
};

enum port_io_op {
	PORT_IO_READ,
	PORT_IO_WRITE
};

#define PORT_IO_MAX_PAGES 32

struct port_io;
typedef void (*port_io_done_fn)(struct port_io *io);

struct port_io {
	/* Set by the core before submitting. */
	uint8_t op;                          /* enum port_io_op */
	uint8_t dev;                         /* enum port_dev */
	uint16_t npages;                     /* 1 .. PORT_IO_MAX_PAGES */
	uint64_t block;                      /* first page-sized block */
	/*
	 * PORT_DEV_FILE only.  The file pager is an external pager in Mach's
	 * sense (a Hurd translator): a read is its data_request, answered by
	 * data_supply (done()); a write is its data_return, acknowledged by
	 * done().  FILE names the host's file; PAGER the pager serving it
	 * (the core caps its data_returns in flight per pager); LIMIT is the
	 * file's size in bytes: a write stores only bytes below it, and a read
	 * returns zeros for bytes at or past the host file's end.
	 */
	uint64_t file;
	uint64_t limit;
	uint32_t pager;
	uint8_t *data[PORT_IO_MAX_PAGES];    /* page buffers (frames' bytes) */
	port_io_done_fn done;
	void *arg;
	/* Set by the host before done(). */
	enum vm_err err;                     /* VM_OK, or VM_EIO: nothing was
	                                      * transferred (reads: the buffers'
	                                      * contents are undefined) */
	/* The host's. */
	uint64_t host_seq;
	struct port_io *host_next;
};

/* Size of DEV in page-sized blocks; 0 if the machine has none. */
uint64_t port_dev_blocks(enum port_dev dev);
void port_io_submit(struct port_io *io);
/* Completes the earliest outstanding I/O (advancing the clock to its
 * completion time) and runs its done(); false if none is outstanding. */
bool port_io_wait(void);
/* Runs done() for every I/O complete by now, without advancing time. */
void port_io_poll(void);
/* Outstanding I/Os. */
uint64_t port_io_pending(void);
uint64_t port_time_ns(void);

/* Logging: level 0 is always shown, higher levels with -v. */
void port_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* An invariant of the core broke.  Does not return. */
_Noreturn void port_panic(const char *file, int line, const char *msg);

#define VM_ASSERT(cond)                                              \
	do {                                                         \
		if (__builtin_expect(!(cond), 0))                    \
			port_panic(__FILE__, __LINE__, #cond);       \
	} while (0)

#endif
