/*
 * record.h - `mvm record`: run a real program and write its trace.
 *
 * The program runs under valgrind with our tool (src/record/vgtool),
 * which reduces every load and store to page visits in process and
 * appends them, with the program's address-space changes, processes and
 * files, to a log (recfmt.h).  This library turns that log into a trace
 * in the spec's format:
 *
 *   record.c         the whole run: launch, order, relocate, write, report
 *   record_launch.c  valgrind with the tool, and the program's status
 *   record_log.c     the log's chunks in trace order (forks first)
 *   record_reloc.c   the program's address clusters moved into the window
 *                    native-replay can execute
 *   record_write.c   records to trace lines, files, process ids, notes
 */
#ifndef MVM_RECORD_RECORD_H
#define MVM_RECORD_RECORD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "record/recfmt.h"

struct record_opts {
	const char *out;        /* trace file; NULL: standard output */
	bool relocate;          /* move clusters into native-replay's window */
	char **argv;            /* the program and its arguments */
	const char *tool_dir;   /* VALGRIND_LIB holding mvmrec-amd64-linux */
};

/* Records the program into the trace; returns 0 if a trace was written
 * (whatever the program's own status, which is reported), 1 if not. */
int record_run(const struct record_opts *o);

/* ---- internal to the library ----------------------------------- */

/* record_launch.c: runs valgrind --tool=mvmrec on ARGV appending to LOG;
 * *STATUS is the program's wait status, *SECONDS its wall time.  False
 * (with a message printed) if valgrind could not be run. */
bool record_launch(const char *tool_dir, const char *log, char **argv,
		   int *status, double *seconds);

/* record_log.c: the log file mapped, its chunks indexed. */
struct rec_log;
struct rec_log *rec_log_open(const char *path);
void rec_log_close(struct rec_log *l);
/* Calls FN for every record of every chunk in file order (pass 1). */
typedef void (*rec_visit_fn)(void *ctx, uint32_t pid, const struct rec *r,
			     const char *path);
void rec_log_each(const struct rec_log *l, rec_visit_fn fn, void *ctx);
/* Calls FN for every record in trace order: a process's records in
 * program order, a fork's child after its parent's REC_FORK. */
void rec_log_ordered(const struct rec_log *l, rec_visit_fn fn, void *ctx);

/* record_reloc.c: where each of the program's 1 GiB slots goes. */
struct rec_reloc;
struct rec_reloc *rec_reloc_create(void);
void rec_reloc_destroy(struct rec_reloc *r);
/* Pass 1: the range [addr, addr + len) holds a mapping. */
void rec_reloc_add(struct rec_reloc *r, uint64_t addr, uint64_t len);
/* Fixes the clusters' places: in the window if RELOCATE, else where they
 * are.  False if they do not fit in the window. */
bool rec_reloc_plan(struct rec_reloc *r, bool relocate);
/* The pieces of [addr, addr + len) inside clusters: calls FN for each
 * with its address before and after the move; returns the bytes of the
 * range that lie in no cluster. */
typedef void (*rec_piece_fn)(void *ctx, uint64_t orig, uint64_t moved, uint64_t len);
uint64_t rec_reloc_pieces(const struct rec_reloc *r, uint64_t addr, uint64_t len,
			  rec_piece_fn fn, void *ctx);
/* Prints the clusters and where they went, as # lines. */
void rec_reloc_describe(const struct rec_reloc *r, FILE *out);

/* record_write.c: records in trace order to trace lines. */
struct rec_writer;
struct rec_writer *rec_writer_create(FILE *out, const struct rec_reloc *reloc);
void rec_writer_record(void *writer, uint32_t pid, const struct rec *r, const char *path);
/* Ends the processes that never said so; then the report on ERR. */
void rec_writer_finish(struct rec_writer *w);
void rec_writer_report(const struct rec_writer *w, FILE *err, double seconds);
/* Whether writing the trace failed. */
bool rec_writer_failed(const struct rec_writer *w);
void rec_writer_destroy(struct rec_writer *w);

#endif
