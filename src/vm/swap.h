/*
 * swap.h - the swap device as the core sees it (slots and their I/O).
 *
 * The foundation has no swap device yet: anons never get a slot, so
 * vm_swap_free_slot() is only ever reached by a bug.  The swap issue
 * replaces this with the slot allocator and pageout I/O.
 */
#ifndef MVM_VM_SWAP_H
#define MVM_VM_SWAP_H

#include <stdint.h>

void vm_swap_free_slot(uint32_t slot);

#endif
