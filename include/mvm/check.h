/*
 * check.h - the core's consistency checker, for any host.
 *
 * vm_check() proves DESIGN.md's invariants over the whole core: it walks
 * everything from the address maps the host names (its processes) down
 * to amaps, anons, objects, page-table pages and PTEs, recounts what the
 * core claims, and explains the first contradiction it finds.  It is
 * freestanding like the core, and shares no bookkeeping with it, so a
 * counter that drifts cannot hide itself.
 *
 * What only the host can see (a TLB, its process table) the host checks
 * itself, beside this call: the simulator checks its TLB against the
 * page tables' roots; a kernel would check CR3.
 *
 * The checker's own scratch memory (hash tables of everything it has
 * seen) comes from the host through struct vm_check_host, never from the
 * page pool it is checking, and never through port_alloc, whose calls
 * the host may count or fail on purpose.
 */
#ifndef MVM_CHECK_H
#define MVM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm_map;

struct vm_check_host {
	void *(*alloc)(size_t size);          /* zeroed memory, or NULL */
	void (*free)(void *p, size_t size);
};

/* One live address space and the host's name for it (a pid). */
struct vm_check_map {
	struct vm_map *map;
	uint64_t id;
};

/*
 * Checks the core with MAPS as every live address space.  Returns true,
 * or false with the first contradiction in WHY.  Running out of scratch
 * memory is reported as a failure to check, never a crash.
 */
bool vm_check(const struct vm_check_host *host, const struct vm_check_map *maps, size_t nmaps,
	      char *why, size_t whylen);

#endif
