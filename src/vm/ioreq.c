/*
 * ioreq.c - page I/O requests from a fixed pool.
 *
 * Paging out and writing back are how memory is freed, so the requests
 * that carry pages to a device must not need memory themselves: the swap
 * pager and the file pager each keep a pool of requests allocated with
 * the core, never from the slab caches, and take one for every transfer.
 * A request holds the frames it moves next to the port's descriptor, so
 * that the completion handler finds them from the descriptor alone.
 *
 * What to do when a pool is empty is the caller's choice: a pageout takes
 * none and returns at once (vm_ioreq_try_get), so that the page daemon
 * decides whether to wait for a write in flight; a fault that needs a
 * page, or a file's data_request and data_return, waits for some I/O to
 * complete, which frees one (vm_ioreq_get).
 *
 * Pools are a few dozen requests, so taking one is a scan for an idle
 * one: it costs little, and there is no free list to keep in step.
 */
#include "ioreq.h"

void vm_ioreq_init(struct vm_ioreq *pool, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		pool[i].busy = false;
}

struct vm_ioreq *vm_ioreq_try_get(struct vm_ioreq *pool, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (!pool[i].busy) {
			pool[i].busy = true;
			pool[i].result = NULL;
			return &pool[i];
		}
	}
	return NULL;
}

struct vm_ioreq *vm_ioreq_get(struct vm_ioreq *pool, uint32_t n)
{
	struct vm_ioreq *r;

	while ((r = vm_ioreq_try_get(pool, n)) == NULL)
		if (!port_io_wait())
			VM_ASSERT(!"every I/O request busy, none in flight");
	return r;
}

void vm_ioreq_submit(struct vm_ioreq *r, enum port_io_op op, enum port_dev dev, uint64_t block,
		     uint32_t n, port_io_done_fn done)
{
	r->io.op = (uint8_t)op;
	r->io.dev = (uint8_t)dev;
	r->io.npages = (uint16_t)n;
	r->io.block = block;
	r->io.done = done;
	r->io.arg = r;
	r->io.err = VM_OK;
	for (uint32_t i = 0; i < n; i++)
		r->io.data[i] = vm_page_data(r->pages[i]);
	port_io_submit(&r->io);
}

void vm_ioreq_put(struct vm_ioreq *r)
{
	if (r->result != NULL)
		*r->result = r->io.err;
	r->busy = false;
}
