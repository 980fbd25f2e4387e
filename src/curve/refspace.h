/*
 * refspace.h - the address spaces behind a reference string.
 *
 * Just enough of the spec's semantics to know which page of data each
 * access reaches (refstring.h says what a page is): per process a sorted
 * array of regions (protection, sharing, backing) and a table of its
 * private copies; the files' sizes, for sigbus and pread's end.  It never
 * holds bytes and knows nothing of memory size: it is the program's view,
 * the same for every policy.  Errors the spec answers with an errno line
 * change nothing here, as they change nothing in the system.
 */
#ifndef MVM_CURVE_REFSPACE_H
#define MVM_CURVE_REFSPACE_H

#include "refstring.h"

struct rs_space;

struct rs_space *rs_space_create(struct refstring *rs);
void rs_space_destroy(struct rs_space *sp);
/* Applies one admitted operation, appending its references to the string. */
void rs_space_apply(struct rs_space *sp, const struct trace_op *op);

#endif
