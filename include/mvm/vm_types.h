/*
 * vm_types.h - the vocabulary shared by every layer of mvm.
 *
 * Addresses are 64-bit. The machine is x86-64 shaped: 4 KiB pages and a
 * 48-bit virtual address space of which user space is the lower half.
 * The core reports failure with its own small error enum rather than errno,
 * because it builds freestanding and a kernel port has its own errno space.
 */
#ifndef MVM_VM_TYPES_H
#define MVM_VM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VM_PAGE_SHIFT 12
#define VM_PAGE_SIZE ((uint64_t)1 << VM_PAGE_SHIFT)
#define VM_PAGE_MASK (VM_PAGE_SIZE - 1)

/*
 * User space: [0, 2^47 - 4096), exactly Linux's TASK_SIZE on x86-64 with
 * 4-level tables (Linux keeps the last page below the canonical hole
 * unmapped), so that traces near the top behave as they do on Linux.
 */
#define VM_USER_MAX (((uint64_t)1 << 47) - 4096)

typedef uint64_t vaddr_t;
typedef uint64_t paddr_t;
typedef uint8_t vm_prot_t;

#define VM_PROT_NONE 0u
#define VM_PROT_READ 1u
#define VM_PROT_WRITE 2u
#define VM_PROT_EXEC 4u
#define VM_PROT_ALL (VM_PROT_READ | VM_PROT_WRITE | VM_PROT_EXEC)

/* What a fault or an access asks for. */
enum vm_access {
	VM_ACCESS_READ = 1,
	VM_ACCESS_WRITE = 2,
};

/* Results of core operations. */
enum vm_err {
	VM_OK = 0,
	VM_ENOMEM,   /* no memory, even after reclaiming what could be */
	VM_ENOMAP,   /* the range is not (or cannot be) mapped: errno ENOMEM */
	VM_EINVAL,   /* bad arguments */
	VM_ESEGV,    /* no mapping, or the mapping forbids the access */
	VM_ESIGBUS,  /* file page wholly past the end of the file */
	VM_EIO,      /* a device failed to give back data that was needed */
	VM_ENOENT,   /* no such file */
	VM_EOVERFLOW /* file offset out of range */
};

/*
 * PROT without write, for mapping a page that must not be written yet
 * (copy-on-write, zero page).  On x86-64 every present page is readable,
 * so `-w-` memory becomes `r--` here rather than inaccessible.
 */
static inline vm_prot_t vm_prot_readonly(vm_prot_t prot)
{
	return prot == VM_PROT_NONE ? prot
				    : (vm_prot_t)((prot & ~VM_PROT_WRITE) | VM_PROT_READ);
}

static inline vaddr_t vm_trunc_page(vaddr_t a) { return a & ~VM_PAGE_MASK; }
static inline uint64_t vm_atop(uint64_t a) { return a >> VM_PAGE_SHIFT; }
static inline uint64_t vm_ptoa(uint64_t p) { return p << VM_PAGE_SHIFT; }

#endif
