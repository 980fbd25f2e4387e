/*
 * vm.h - the machine-independent VM system as its host sees it.
 *
 * This is what a kernel's system-call layer (here, the simulator) calls:
 * boot, address spaces, the mmap family, fork/exec/exit, and the fault
 * handler.  Arguments are checked as POSIX demands of the kernel: the
 * caller has already answered unaligned, empty and wrapping ranges
 * (EINVAL, or success for an empty mprotect/madvise/msync as on Linux:
 * it depends on the system call), and everything here works on whole,
 * non-empty page ranges.
 *
 * Memory shortage: every function that needs memory first reserves what
 * it may need, running the page daemon and retrying while that frees
 * anything.  If nothing at all can be reclaimed it returns VM_ENOMEM
 * having changed nothing, and the host decides whom to kill
 * (DESIGN.md invariant 6).  VM_ENOMAP is the other ENOMEM of POSIX: the
 * range is not mapped.
 */
#ifndef MVM_VM_H
#define MVM_VM_H

#include "vm_types.h"

struct vm_map;
struct vm_object;
struct pmap;

/*
 * The mmap family's argument rules (src/vm/range.c), which a host applies
 * before calling the core: VM_RANGE_EINVAL for an unaligned ADDR, a zero
 * LEN or a range that wraps; VM_RANGE_EMPTY (success, nothing to do) for
 * an aligned ADDR with a zero LEN when EMPTY_OK (mprotect, madvise,
 * msync).  vm_round_len is LEN in whole pages, 0 if that overflows.
 */
enum vm_range_verdict { VM_RANGE_OK, VM_RANGE_EMPTY, VM_RANGE_EINVAL };
enum vm_range_verdict vm_range_check(vaddr_t addr, uint64_t len, bool empty_ok);
uint64_t vm_round_len(uint64_t len);

/* Takes over the machine's RAM and sets up every core subsystem. */
enum vm_err vm_boot(uint8_t *ram, uint64_t nframes);
/* The same over a span with a physical base and holes (vm_page.h). */
struct vm_boot_mem;
enum vm_err vm_boot_mem(const struct vm_boot_mem *mem);

/* An empty address space, or NULL (VM_ENOMEM after reclaim). */
struct vm_map *vm_map_create(void);
/* Releases everything (exit). */
void vm_map_destroy(struct vm_map *map);
/* Empties the address space (exec). */
void vm_map_exec(struct vm_map *map);
/* A copy of PARENT by inheritance: copy-on-write for private entries,
 * shared for shared ones, nothing for dontfork entries. */
enum vm_err vm_map_fork(struct vm_map *parent, struct vm_map **child);

/*
 * Maps [addr, addr+len) replacing whatever was there (MAP_FIXED).  OBJ is
 * NULL for anonymous memory (SHARED then creates a shared anonymous
 * object), else the object to map from page OFFSET.  VM_ENOMAP when the
 * range leaves user space (errno ENOMEM, as Linux gives).
 */
enum vm_err vm_mmap(struct vm_map *map, vaddr_t addr, uint64_t len, vm_prot_t prot,
		    bool shared, struct vm_object *obj, uint64_t offset);
/* Holes are fine; VM_EINVAL if the range leaves user space. */
enum vm_err vm_munmap(struct vm_map *map, vaddr_t addr, uint64_t len);
/* All or nothing: VM_ENOMAP, with no change, if a page is unmapped. */
enum vm_err vm_mprotect(struct vm_map *map, vaddr_t addr, uint64_t len, vm_prot_t prot);

enum vm_advice {
	VM_ADV_DONTNEED,
	VM_ADV_WILLNEED,
	VM_ADV_PAGEOUT,
	VM_ADV_DONTFORK,
	VM_ADV_DOFORK,
};
enum vm_err vm_madvise(struct vm_map *map, vaddr_t addr, uint64_t len, enum vm_advice adv);
/* Writes the dirty pages of shared file mappings in the range back to
 * their files and waits for them; VM_ENOMAP if a page is unmapped. */
enum vm_err vm_msync(struct vm_map *map, vaddr_t addr, uint64_t len);

/*
 * Resolves a fault at VA for ACCESS: VM_OK (retry the access), VM_ESEGV,
 * VM_ESIGBUS, VM_EIO, or VM_ENOMEM when nothing can be reclaimed.
 */
enum vm_err vm_fault(struct vm_map *map, vaddr_t va, enum vm_access access);

/*
 * Files.  The host owns the names and the bytes on its disk; the core owns
 * the page cache: one vm_object per file, whose pages every mapping, every
 * pread and every pwrite share (there is no second copy).  Pages come in
 * and go back through the file pager (PORT_DEV_FILE in port.h).
 */
struct vm_file_config {
	uint64_t dirty_max;      /* potentially dirty file pages at most (0: RAM/8) */
	uint32_t pager_inflight; /* data_returns in flight per pager at most (0: 8) */
};
void vm_file_configure(const struct vm_file_config *cfg);

/* The cache object for the host's file HANDLE served by PAGER, SIZE bytes
 * long; NULL if no memory (after reclaim). */
struct vm_object *vm_file_create(uint64_t handle, uint32_t pager, uint64_t size);
uint64_t vm_file_size(const struct vm_object *obj);
/* The host rewrote the file in place (trace `file`): every cached page is
 * dropped (unmapped everywhere; dirty ones discarded), the size is SIZE. */
void vm_file_replaced(struct vm_object *obj, uint64_t size);

/* pread: SINK receives the bytes in order; *DONE says how many.  Stops at
 * the end of the file.  VM_ENOMEM (retry from *DONE), VM_EIO. */
typedef void (*vm_file_sink)(void *arg, const uint8_t *bytes, size_t n);
enum vm_err vm_file_read(struct vm_object *obj, uint64_t off, uint64_t len,
			 vm_file_sink sink, void *arg, uint64_t *done);
/* pwrite: SOURCE fills the bytes of file offset OFF onwards; the file
 * grows if needed.  VM_ENOMEM (retry from *DONE), VM_EIO. */
typedef void (*vm_file_source)(void *arg, uint64_t off, uint8_t *bytes, size_t n);
enum vm_err vm_file_write(struct vm_object *obj, uint64_t off, uint64_t len,
			  vm_file_source source, void *arg, uint64_t *done);
/* Writes every dirty cached page of the file back and waits (shutdown, or
 * the host wanting the file's bytes on its disk). */
enum vm_err vm_file_sync(struct vm_object *obj);
/* All files (at shutdown). */
void vm_file_sync_all(void);

/* The CPU is about to run MAP's process (context switch). */
void vm_map_activate(struct vm_map *map);
struct pmap *vm_map_pmap(const struct vm_map *map);

/* One map entry, as `maps` prints it. */
struct vm_map_info {
	vaddr_t start, end;
	vm_prot_t prot;
	bool shared;
	bool dontfork;
	const struct vm_object *object; /* NULL for private anonymous memory */
	bool file;                      /* object is a file */
	uint64_t offset;                /* object page at start */
};
/* Entries in ascending order: returns false past the last.  Start with
 * *cursor = 0. */
bool vm_map_iterate(const struct vm_map *map, vaddr_t *cursor, struct vm_map_info *info);
uint64_t vm_map_entry_count(const struct vm_map *map);

/* Frames and swap slots this address space holds on its own account
 * (the OOM killer's "footprint"). */
uint64_t vm_map_footprint(const struct vm_map *map);

/*
 * Deferred work, for the host to call between operations (a kernel would
 * run it in its own threads): completions of I/O that has finished by
 * now, and the page daemon if an allocation went below the low mark.
 */
void vm_background(void);

/*
 * The wait of every allocation that can wait: after an allocation failed,
 * reclaims memory and says whether to try again.  Yes when reclaim freed
 * something, and also when memory is not short at all (the failure was
 * transient, an injected one say: retrying is right, refusing would break
 * invariant 6); no after VM_RETRIES_MAX tries or when nothing can be had.
 * *TRIES starts at 0 for each allocation.
 */
#define VM_RETRIES_MAX 64
bool vm_wait_for_memory(const struct vm_map *except, int *tries);

/*
 * Frees memory: collects idle pmaps (not EXCEPT's), then more as later
 * layers add.  Returns frames freed.  Called by every allocation path that
 * can wait.
 */
uint64_t vm_reclaim(const struct vm_map *except);

#endif
