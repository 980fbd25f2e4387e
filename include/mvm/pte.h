/*
 * pte.h - the page-table format: x86-64's.
 *
 * This is hardware: the reference pmap writes these entries, and the
 * simulator's MMU (src/sim/cpu.c) or a real one (src/kern) walks them.
 *
 * Four levels of 512 eight-byte entries (PML4, PDPT, PD, PT), 4 KiB pages,
 * 48-bit virtual addresses.  Level 4 is the root.  Non-leaf entries carry
 * P|W|U so that permission is decided by the leaf alone.  The MMU sets A
 * on every access, in every level it walks, and D on every write, in the
 * leaf, as x86 does; the pmap reads and clears them to learn what the
 * page daemon needs.
 */
#ifndef MVM_PTE_H
#define MVM_PTE_H

#include "vm_types.h"

typedef uint64_t pt_entry_t;

#define PTE_P (1ull << 0)      /* present */
#define PTE_W (1ull << 1)      /* writable */
#define PTE_U (1ull << 2)      /* user */
#define PTE_A (1ull << 5)      /* accessed (set by the MMU) */
#define PTE_D (1ull << 6)      /* dirty (set by the MMU) */
#define PTE_WIRED (1ull << 9)  /* software (ignored by x86): pmap_collect must keep it */
#define PTE_MANAGED (1ull << 10) /* software (ignored by x86): has a pv entry */
#define PTE_NX (1ull << 63)    /* no execute (a real x86 needs EFER.NXE set) */
#define PTE_FRAME 0x000ffffffffff000ull

#define PT_LEVELS 4
#define PT_ENTRIES 512
#define PT_SHIFT(level) (VM_PAGE_SHIFT + 9 * ((level) - 1)) /* level 1 = PT */

static inline unsigned pt_index(vaddr_t va, int level)
{
	return (unsigned)(va >> PT_SHIFT(level)) & (PT_ENTRIES - 1);
}

#endif
