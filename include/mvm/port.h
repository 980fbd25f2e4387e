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
 *   - logging and assertion.
 * Device I/O joins it with the swap issue.
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
