/*
 * range.c - the mmap family's argument rules, for every host.
 *
 * A host's system calls check the arguments that alone decide the answer
 * before they call the core, in the order Linux applies (the spec's
 * rules): an unaligned ADDR, a zero LEN or a range that wraps past 2^64
 * once LEN is rounded up to pages is EINVAL; except that mprotect,
 * madvise and msync with an aligned ADDR and a zero LEN succeed with
 * nothing to do, since Linux returns 0 for them before it looks at the
 * map (the spec's amendment of 2026-12-04).  The simulator and the kernel
 * both ask here, so the two hosts cannot drift apart.
 */
#include "mvm/vm.h"

uint64_t vm_round_len(uint64_t len)
{
	return len > UINT64_MAX - VM_PAGE_MASK ? 0 : (len + VM_PAGE_MASK) & ~VM_PAGE_MASK;
}

enum vm_range_verdict vm_range_check(vaddr_t addr, uint64_t len, bool empty_ok)
{
	uint64_t rlen = vm_round_len(len);

	if (len == 0 && empty_ok && (addr & VM_PAGE_MASK) == 0)
		return VM_RANGE_EMPTY;
	if ((addr & VM_PAGE_MASK) != 0 || len == 0 || rlen == 0 || rlen > UINT64_MAX - addr)
		return VM_RANGE_EINVAL;
	return VM_RANGE_OK;
}
