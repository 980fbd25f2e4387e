/*
 * swap.c - swap slots (foundation: no swap device configured).
 *
 * Without a device no anon is ever given a slot, so freeing one is an
 * invariant violation.  See swap.h.
 */
#include "swap.h"

#include "mvm/port.h"

void vm_swap_free_slot(uint32_t slot)
{
	(void)slot;
	VM_ASSERT(!"swap slot freed with no swap device");
}
