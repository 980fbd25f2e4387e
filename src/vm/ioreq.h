/*
 * ioreq.h - page I/O requests from a fixed pool, for the swap and file
 * pagers.  See ioreq.c.
 */
#ifndef MVM_VM_IOREQ_H
#define MVM_VM_IOREQ_H

#include "mvm/port.h"
#include "mvm/vm_page.h"

struct vm_ioreq {
	struct port_io io;                          /* io.arg is the request */
	struct vm_page *pages[PORT_IO_MAX_PAGES];   /* the frames io.data points into */
	enum vm_err *result;  /* NULL, or where a waiting caller wants io.err */
	bool busy;            /* taken from the pool */
};

/* Makes the N requests of POOL idle. */
void vm_ioreq_init(struct vm_ioreq *pool, uint32_t n);
/* An idle request of POOL (N of them), now busy, no result wanted; NULL
 * if every one is busy. */
struct vm_ioreq *vm_ioreq_try_get(struct vm_ioreq *pool, uint32_t n);
/* The same, but waits for I/O to complete while every one is busy. */
struct vm_ioreq *vm_ioreq_get(struct vm_ioreq *pool, uint32_t n);
/*
 * Submits R: OP of its first N pages from or to BLOCK of DEV.  The port
 * calls DONE(&r->io) when it completes; DONE ends with vm_ioreq_put(r).
 * Fields of r->io that only DEV reads (a file's) are the caller's, set
 * before.
 */
void vm_ioreq_submit(struct vm_ioreq *r, enum port_io_op op, enum port_dev dev, uint64_t block,
		     uint32_t n, port_io_done_fn done);
/* R back to its pool; the waiting caller, if any, gets its outcome. */
void vm_ioreq_put(struct vm_ioreq *r);

#endif
