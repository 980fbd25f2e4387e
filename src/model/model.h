/*
 * model.h - the reference model behind `mvm replay --verify`.
 *
 * A deliberately naive executor of the trace spec that shares no code and
 * no idea with the VM system it checks: each process is a dictionary from
 * page number to a page record (protection, sharing, backing, bytes), fork
 * is a deep copy, shared memory is a reference-counted byte buffer, files
 * are byte vectors.  It is slow and obviously right, which is the point.
 *
 * The replayer runs every admitted operation through mvm and through the
 * model and compares the output events.  The model does not know about
 * memory shortage: when mvm kills a process (`P killed oom`), the replayer
 * calls model_kill(); when the kill cut a data operation short, the
 * replayer applies the operation to the model truncated to the part mvm
 * completed.
 */
#ifndef MVM_SIM_MODEL_H
#define MVM_SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "trace/trace.h"

struct model;

struct model *model_create(void);
void model_destroy(struct model *m);

/*
 * Applies one admitted operation (see trace_pids_admit) and appends the
 * events the spec requires to OUT.  `check`, `stat` and `vmdump` produce
 * nothing.  `maps` produces the minimal map: one MAP event per maximal run
 * of pages with the same protection, sharing and backing (file offsets
 * contiguous, and for shared anonymous memory the same mapping object).
 */
void model_apply(struct model *m, const struct trace_op *op, struct trace_events *out);

/* The system ended PID; its memory is released. */
void model_kill(struct model *m, uint64_t pid);

/* The minimum number of map entries for PID's address space: the number
 * of maximal runs of pages with identical attributes, as `maps` prints. */
size_t model_min_entries(const struct model *m, uint64_t pid);

#endif
