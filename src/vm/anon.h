/*
 * anon.h - an anon owns one page of private anonymous data.
 *
 * UVM's idea: the data of a private page belongs to a small reference
 * counted object, the anon, not to an address space.  An anon holds its
 * data either in a resident frame (page) or in a swap slot, or both while
 * a clean copy exists on swap.  Its count is the number of amap leaf nodes
 * that point at it (src/vm/amap.c); when the count falls to zero the frame
 * and the slot are freed at once.  So swap space can never outlive the
 * data that some address space can still reach: the swap leak of the
 * 1990s Mach-derived systems is impossible by construction, not repaired
 * by a collapse pass afterwards.
 *
 * 16 bytes: a 32-bit count, a 32-bit slot (16 TiB of swap), a page pointer.
 */
#ifndef MVM_VM_ANON_H
#define MVM_VM_ANON_H

#include "mvm/vm_page.h"

#define VM_ANON_NOSLOT UINT32_MAX

struct vm_anon {
	uint32_t ref;          /* amap leaves pointing here */
	uint32_t swslot;       /* VM_ANON_NOSLOT, or the swap slot */
	struct vm_page *page;  /* resident frame (use ANON), or NULL */
};

void vm_anon_init(void);
/* A new anon with count 1 and no data, or NULL. */
struct vm_anon *vm_anon_alloc(void);
static inline void vm_anon_ref(struct vm_anon *an)
{
	an->ref++;
}
/* Drops a reference; the last one frees the page, the slot and the anon. */
void vm_anon_unref(struct vm_anon *an);
/* Gives the anon its frame (use ANON, on the active queue). */
void vm_anon_set_page(struct vm_anon *an, struct vm_page *pg);

uint64_t vm_anon_count(void);
extern struct vm_kmem_cache vm_anon_cache;

#endif
