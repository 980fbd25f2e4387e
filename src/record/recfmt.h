/*
 * recfmt.h - the log between the recorder inside valgrind and `mvm record`.
 *
 * Each traced process (one valgrind instance; a fork is a copy of it, an
 * exec a new one) reduces its accesses to page runs in process and appends
 * its records to one shared log file in chunks: a chunk is one write(2)
 * with O_APPEND, so chunks of concurrent processes never interleave and
 * the file's chunk order is one total order of the processes' histories.
 * `mvm record` (src/record/merge.c) then reads the log back and writes the
 * trace.  The format is private to the two; both include this header, the
 * valgrind tool without a C library, so only <stdint.h> is used.
 *
 * A chunk is a struct rec_chunk followed by SIZE bytes of records; a
 * record is a struct rec, and a REC_FILE record is followed by its path
 * padded with NULs to a multiple of 8 bytes.
 */
#ifndef MVM_RECORD_RECFMT_H
#define MVM_RECORD_RECFMT_H

#include <stdint.h>

#define REC_MAGIC 0x6d766d72u  /* "mvmr" */
#define REC_PAGE_SHIFT 12

struct rec_chunk {
	uint32_t magic;
	uint32_t pid;      /* the process (thread group) that wrote it */
	uint32_t size;     /* bytes of records that follow */
	uint32_t pad;
};

enum rec_type {
	REC_START = 1,   /* a valgrind instance begins; flags REC_F_FORKED when
	                  * it is a fork's child, aux: the parent's pid */
	REC_FORK,        /* the parent's fork returned: a = the child's pid */
	REC_EXIT,        /* the process ends (the last record of its pid) */
	REC_STATS,       /* a = raw accesses since START, b = of which dropped */
	REC_FILE,        /* the next REC_MMAP maps this file: a = dev, b = ino,
	                  * c = size, aux = path length (path follows) */
	REC_MMAP,        /* prot, flags REC_F_*, a = addr, b = len, c = offset */
	REC_MUNMAP,      /* a = addr, b = len */
	REC_MPROTECT,    /* prot, a = addr, b = len */
	REC_MADVISE,     /* aux = enum trace_advice, a = addr, b = len */
	REC_TOUCH,       /* flags REC_F_WRITE, a = first page's address,
	                  * b = number of pages */
	REC_NOTE,        /* something the trace cannot say: aux = enum
	                  * rec_note, a and b its operands */
};

#define REC_F_SHARED 1u
#define REC_F_FILE 2u
#define REC_F_WRITE 4u
#define REC_F_FORKED 8u

/* What the trace format cannot represent, or represents approximately:
 * the recorder notes each and `mvm record` reports them at the end. */
enum rec_note {
	NOTE_HIGH_ACCESS = 1, /* an access above the 47-bit user space (vsyscall):
	                       * a = address; dropped */
	NOTE_MADV_IGNORED,    /* madvise advice a has no trace form; dropped */
	NOTE_MADV_FREE,       /* MADV_FREE written as dontneed */
	NOTE_MREMAP,          /* mremap written as munmap + mmap (the pages'
	                       * contents are not carried over) */
	NOTE_DEVICE_MAP,      /* a mapping of a non-regular file (a = mode)
	                       * written as anonymous memory */
	NOTE_SHM,             /* a System V shared memory attach written as
	                       * shared anonymous memory */
	NOTE_CLONE_VM,        /* a clone sharing memory that is not a thread */
	NOTE_MMAP_FAILED_LOOKUP, /* a file mapping whose file could not be
	                       * examined, written as anonymous memory */
	NOTE_COUNT
};

struct rec {
	uint8_t type;
	uint8_t prot;      /* r = 1, w = 2, x = 4, as in the trace */
	uint16_t flags;
	uint32_t aux;
	uint64_t a, b, c;
};

#endif
