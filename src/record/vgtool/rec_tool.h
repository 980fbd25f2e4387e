/*
 * rec_tool.h - the parts of the mvm recorder (a valgrind tool) that talk
 * to each other.  Built against valgrind's tool headers, with no C
 * library: see CMakeLists.txt, target mvmrec.
 */
#ifndef MVM_RECORD_REC_TOOL_H
#define MVM_RECORD_REC_TOOL_H

#include "pub_tool_basics.h"
#include "../recfmt.h"

/* rec_out.c: the log and the reduction of accesses to page runs. */
void rec_out_open(const HChar *path);
void rec_out_start(Bool forked, UInt ppid);
/* Appends a record (and, for REC_FILE, its path); every record other
 * than a touch first commits the pending page, to keep program order. */
void rec_out_emit(UChar type, UChar prot, UShort flags, UInt aux,
		  ULong a, ULong b, ULong c, const HChar *path);
void rec_out_note(enum rec_note note, ULong a, ULong b);
/* Sends what is buffered as one chunk (before fork, exec and exit). */
void rec_out_flush(void);
void rec_out_stats(void);

/* One access of SIZE bytes at A by the program or the kernel for it. */
void rec_access(Addr a, SizeT size, Bool write);

/* The main stack's reservation: accesses in [lo, top) below the mapped
 * part grow it, as Linux grows a stack (rec_out.c). */
void rec_stack_set(Addr resv_lo, Addr mapped_lo);

extern ULong rec_raw_accesses;

#endif
