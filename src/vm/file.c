/*
 * file.c - the page cache of files, and the messages to their pagers.
 *
 * One object per file holds its cached pages in a page tree.  Every user
 * of the file's bytes goes through those pages: faults of shared and
 * private mappings, pread and pwrite.  There is no second copy, so a
 * pwrite is visible at once through every shared mapping and a store
 * through a shared mapping at once to pread.
 *
 * Pages come from the file's pager (PORT_DEV_FILE in port.h, an external
 * pager in Mach's sense) by data_request, and go back by data_return.
 * Reads take up to FILE_READAHEAD following pages in the same request
 * while memory is plentiful.  Writes go in clusters of consecutive dirty
 * pages, and never more than `pager_inflight` data_returns are in flight
 * to one pager: the flood of data_return messages that made Hurd
 * translators spawn a thread per message cannot happen.
 *
 * A page's state is its flags and its queue:
 *
 *   reading     BUSY, on FILE       a data_request is filling it
 *   clean       on FILE             the file holds these bytes (CLEAN)
 *   dirty       on DIRTY            a write made it differ
 *   writing     BUSY, on LAUNDRY    a data_return carries it
 *
 * Dirty means potentially dirty, the bound GNU Mach's advisory pageout
 * introduced: a page counts as dirty from the moment a shared mapping is
 * allowed to write it (the write fault) or a pwrite changes it, until its
 * data_return is acknowledged.  Clean pages are mapped read-only so that
 * the first write faults and is counted.  When the count reaches the bound
 * (`--dirty-max`) the writer waits, in simulated time, for writeback to
 * bring it under again; background writeback starts at half the bound.
 * While a page is being written it is write-protected and busy, so a
 * store waits for the acknowledgement and dirties it afresh.
 *
 * A failed data_request drops the pages it was filling (the fault gets
 * SIGBUS, as Linux's does); a failed data_return leaves its pages dirty
 * and queued for another try, so no write is ever lost to an I/O error.
 */
#include "file.h"

#include "ioreq.h"
#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"
#include "object.h"
#include "pagetree.h"
#include "pagedaemon.h"
#include "swap.h"

#define FILE_REQUESTS 64
#define FILE_READAHEAD 8
#define FILE_PAGERS 8
#define FILE_SYNC_ROUNDS 4
#define FILE_THROTTLE_FAILURES 8

struct vm_file_stats vm_file_stats;
struct vm_object *vm_files;
static struct vm_ioreq file_reqs[FILE_REQUESTS];
static uint32_t file_inflight[FILE_PAGERS];
static uint64_t file_reading; /* pages on the FILE queue a request is filling */
static uint64_t file_returns_ok; /* data_returns acknowledged without error */

void vm_file_init(void)
{
	vm_files = NULL;
	vm_file_stats = (struct vm_file_stats){
		.dirty_max = vm_phys.nframes / 8 > 1 ? vm_phys.nframes / 8 : 1,
		.inflight_cap = 8,
	};
	vm_ioreq_init(file_reqs, FILE_REQUESTS);
	for (int i = 0; i < FILE_PAGERS; i++)
		file_inflight[i] = 0;
	file_reading = 0;
	file_returns_ok = 0;
}

void vm_file_configure(const struct vm_file_config *cfg)
{
	if (cfg->dirty_max != 0)
		vm_file_stats.dirty_max = cfg->dirty_max;
	if (cfg->pager_inflight != 0)
		vm_file_stats.inflight_cap = cfg->pager_inflight;
}

struct vm_object *vm_file_create(uint64_t handle, uint32_t pager, uint64_t size)
{
	struct vm_object *obj;
	int tries = 0;

	VM_ASSERT(pager < FILE_PAGERS);
	while ((obj = vm_kmem_zalloc(&vm_object_cache)) == NULL)
		if (!vm_wait_for_memory(NULL, &tries))
			return NULL;
	obj->ref = 1;
	obj->type = VM_OBJECT_FILE;
	obj->size = size;
	obj->handle = handle;
	obj->pager = pager;
	obj->id = vm_object_new_id();
	obj->file_next = vm_files;
	vm_files = obj;
	return obj;
}

uint64_t vm_file_size(const struct vm_object *obj)
{
	return obj->size;
}

static bool page_past_eof(const struct vm_object *obj, uint64_t pindex)
{
	return pindex >= (obj->size + VM_PAGE_MASK) >> VM_PAGE_SHIFT;
}

/* ---- requests ---- */

static void req_submit(struct vm_ioreq *r, const struct vm_object *obj, enum port_io_op op,
		       uint64_t pindex, uint32_t n, port_io_done_fn done)
{
	r->io.file = obj->handle;
	r->io.limit = obj->size;
	r->io.pager = obj->pager;
	vm_ioreq_submit(r, op, PORT_DEV_FILE, pindex, n, done);
}

/* Waits until the request that will store into *RESULT is done. */
static enum vm_err req_wait(volatile enum vm_err *result)
{
	while (*result == VM_EINVAL)
		if (!port_io_wait())
			VM_ASSERT(!"waiting for a file request that is not in flight");
	return *result;
}

/* ---- page states ---- */

static void page_set_dirty(struct vm_page *pg)
{
	struct vm_object *obj = pg->owner.object;

	if (!(pg->flags & VM_PG_CLEAN))
		return;
	pg->flags &= ~VM_PG_CLEAN;
	obj->ndirty++;
	if (++vm_file_stats.dirty > vm_file_stats.dirty_peak)
		vm_file_stats.dirty_peak = vm_file_stats.dirty;
	vm_page_requeue(pg, VM_PQ_DIRTY);
}

static void page_set_clean(struct vm_page *pg)
{
	struct vm_object *obj = pg->owner.object;

	if (!(pg->flags & VM_PG_CLEAN)) {
		obj->ndirty--;
		vm_file_stats.dirty--;
	}
	pg->flags |= VM_PG_CLEAN;
	vm_page_requeue(pg, VM_PQ_FILE);
}

/* Takes PG out of the cache and frees it (unmapped everywhere first). */
static void page_drop(struct vm_page *pg)
{
	struct vm_object *obj = pg->owner.object;

	pmap_page_protect(pg, VM_PROT_NONE);
	if (!(pg->flags & VM_PG_CLEAN)) {
		obj->ndirty--;
		vm_file_stats.dirty--;
	}
	vm_pagetree_remove(&obj->pages, pg->u.pindex);
	vm_page_free(pg);
}

/* A new page of OBJ at PINDEX in the cache, clean, its bytes not set (the
 * caller reads them in or overwrites them); NULL if no memory. */
static struct vm_page *page_insert(struct vm_object *obj, uint64_t pindex)
{
	struct vm_page *pg = vm_page_alloc(VM_PAGE_OBJECT);

	if (pg == NULL)
		return NULL;
	if (vm_pagetree_insert(&obj->pages, pindex, pg) != VM_OK) {
		vm_page_free(pg);
		return NULL;
	}
	pg->owner.object = obj;
	pg->u.pindex = pindex;
	pg->flags = VM_PG_CLEAN;
	vm_pageq_insert_tail(VM_PQ_FILE, pg);
	return pg;
}

/* ---- data_request ---- */

static void request_done(struct port_io *io)
{
	struct vm_ioreq *r = io->arg;

	for (uint32_t i = 0; i < io->npages; i++) {
		struct vm_page *pg = r->pages[i];

		pg->flags &= ~(VM_PG_BUSY | VM_PG_WANTED);
		file_reading--;
		if (io->err != VM_OK)
			page_drop(pg);
	}
	if (io->err != VM_OK)
		vm_file_stats.request_errors++;
	vm_ioreq_put(r);
}

/* Reads PINDEX (and what follows it, while memory is plentiful) and waits. */
static enum vm_err page_read(struct vm_object *obj, uint64_t pindex)
{
	struct vm_ioreq *r = vm_ioreq_get(file_reqs, FILE_REQUESTS);
	volatile enum vm_err result = VM_EINVAL;
	uint32_t n = 0;

	while (n < FILE_READAHEAD && (n == 0 || vm_pagedaemon_plenty()) &&
	       !page_past_eof(obj, pindex + n) && vm_pagetree_lookup(&obj->pages, pindex + n) == NULL) {
		struct vm_page *pg = page_insert(obj, pindex + n);

		if (pg == NULL)
			break;
		pg->flags |= VM_PG_BUSY;
		file_reading++;
		r->pages[n++] = pg;
	}
	if (n == 0) {
		vm_ioreq_put(r);
		return VM_ENOMEM;
	}
	r->result = (enum vm_err *)&result;
	vm_file_stats.requests++;
	vm_file_stats.request_pages += n;
	req_submit(r, obj, PORT_IO_READ, pindex, n, request_done);
	return req_wait(&result);
}

/*
 * A resident, idle page of OBJ at PINDEX.  OVERWRITE: the caller will store
 * every byte of it that belongs to the file, so a missing page need not be
 * read.  VM_ENOMEM, VM_EIO.
 */
static enum vm_err page_get(struct vm_object *obj, uint64_t pindex, bool overwrite,
			    struct vm_page **out)
{
	for (;;) {
		struct vm_page *pg = vm_pagetree_lookup(&obj->pages, pindex);
		enum vm_err err;

		if (pg != NULL && (pg->flags & VM_PG_BUSY)) {
			vm_swap_wait_page(pg);
			continue;
		}
		if (pg != NULL) {
			*out = pg;
			return VM_OK;
		}
		if (overwrite) {
			*out = page_insert(obj, pindex);
			if (*out == NULL)
				return VM_ENOMEM;
			vm_page_zero(*out); /* the bytes not overwritten are the file's zeros */
			vm_phys.zero_fills++;
			return VM_OK;
		}
		if ((err = page_read(obj, pindex)) != VM_OK)
			return err;
	}
}

/* page_get, waiting for memory the way every allocation that can wait
 * does: reclaim and retry while that frees anything. */
static enum vm_err page_get_wait(struct vm_object *obj, uint64_t pindex, bool overwrite,
				 struct vm_page **out)
{
	enum vm_err err;
	int tries = 0;

	while ((err = page_get(obj, pindex, overwrite, out)) == VM_ENOMEM)
		if (!vm_wait_for_memory(NULL, &tries))
			break;
	return err;
}

/* ---- data_return ---- */

static void return_done(struct port_io *io)
{
	struct vm_ioreq *r = io->arg;

	file_inflight[io->pager]--;
	for (uint32_t i = 0; i < io->npages; i++) {
		struct vm_page *pg = r->pages[i];

		pg->flags &= ~(VM_PG_BUSY | VM_PG_WANTED);
		if (io->err != VM_OK)
			vm_page_requeue(pg, VM_PQ_DIRTY);
		else
			page_set_clean(pg);
	}
	if (io->err != VM_OK)
		vm_file_stats.return_errors++;
	else
		file_returns_ok++;
	vm_ioreq_put(r);
}

static bool page_writable_back(const struct vm_page *pg)
{
	return pg != NULL && !(pg->flags & (VM_PG_CLEAN | VM_PG_BUSY));
}

/* One data_return of FIRST and the dirty pages that follow it; 0 if the
 * pager already has its fill of returns in flight. */
static uint32_t writeback_cluster(struct vm_page *first)
{
	struct vm_object *obj = first->owner.object;
	uint64_t p0 = first->u.pindex;
	struct vm_ioreq *r;
	uint32_t n = 0;
	struct vm_page *pg;

	if (file_inflight[obj->pager] >= vm_file_stats.inflight_cap)
		return 0;
	r = vm_ioreq_get(file_reqs, FILE_REQUESTS);
	while (n < PORT_IO_MAX_PAGES && !page_past_eof(obj, p0 + n) &&
	       page_writable_back(pg = vm_pagetree_lookup(&obj->pages, p0 + n))) {
		pmap_page_protect(pg, VM_PROT_READ);
		pg->flags |= VM_PG_BUSY;
		vm_page_requeue(pg, VM_PQ_LAUNDRY);
		r->pages[n++] = pg;
	}
	VM_ASSERT(n > 0);
	if (++file_inflight[obj->pager] > vm_file_stats.inflight_peak)
		vm_file_stats.inflight_peak = file_inflight[obj->pager];
	vm_file_stats.returns++;
	vm_file_stats.return_pages += n;
	req_submit(r, obj, PORT_IO_WRITE, p0, n, return_done);
	return n;
}

static uint64_t returns_in_flight(void)
{
	uint64_t n = 0;

	for (int i = 0; i < FILE_PAGERS; i++)
		n += file_inflight[i];
	return n;
}

void vm_file_writeback(uint64_t want, bool wait)
{
	uint64_t sent = 0;
	struct vm_page *pg;

	while (sent < want && (pg = vm_pageq_first(VM_PQ_DIRTY)) != NULL) {
		uint32_t n = writeback_cluster(pg);

		if (n == 0) {
			if (!wait || !port_io_wait())
				break;
			continue;
		}
		sent += n;
	}
	while (wait && returns_in_flight() > 0)
		port_io_wait();
}

void vm_file_background(void)
{
	uint64_t half = vm_file_stats.dirty_max / 2;

	if (vm_file_stats.dirty > half)
		vm_file_writeback(vm_file_stats.dirty - half, false);
}

/* A writer is about to dirty a clean page: past the bound, it waits. */
/*
 * A writer is about to dirty a clean page: past the bound, it waits until
 * writeback brings the count under.  If the pager fails every return
 * meanwhile, waiting longer cannot help: after FILE_THROTTLE_FAILURES
 * failed returns and none acknowledged, the writer goes on (its pages stay
 * dirty, to be retried; Linux instead marks them clean and loses them).
 */
static void throttle(void)
{
	uint64_t start, ok0 = file_returns_ok, err0 = vm_file_stats.return_errors;

	if (vm_file_stats.dirty < vm_file_stats.dirty_max)
		return;
	vm_file_stats.throttled++;
	start = port_time_ns();
	while (vm_file_stats.dirty >= vm_file_stats.dirty_max) {
		if (file_returns_ok == ok0 &&
		    vm_file_stats.return_errors - err0 >= FILE_THROTTLE_FAILURES)
			break;
		vm_file_writeback(vm_file_stats.dirty - vm_file_stats.dirty_max / 2 + 1, false);
		if (!port_io_wait())
			break;
	}
	vm_file_stats.throttle_ns += port_time_ns() - start;
}

/* Writes back the dirty pages of OBJ in [first, end) and waits; retries
 * pages whose data_return failed a few times before giving up. */
/* Whether a page of OBJ in [first, end) is not clean (or being written). */
static bool range_dirty(struct vm_object *obj, uint64_t first, uint64_t end)
{
	uint64_t key = first;
	struct vm_page *pg;

	for (; (pg = vm_pagetree_next(&obj->pages, key, &key)) != NULL && key < end; key++)
		if (!(pg->flags & VM_PG_CLEAN))
			return true;
	return false;
}

/*
 * Writes back the dirty pages of OBJ in [first, end) and waits; pages whose
 * data_return fails are retried for a few rounds.  A page already on its
 * way back (background writeback) counts as dirty until acknowledged, so
 * its failure is this call's failure too.  VM_EIO if a page stays dirty.
 */
static enum vm_err sync_range(struct vm_object *obj, uint64_t first, uint64_t end)
{
	for (int round = 0; round < FILE_SYNC_ROUNDS && range_dirty(obj, first, end); round++) {
		uint64_t key = first;
		struct vm_page *pg;

		for (; (pg = vm_pagetree_next(&obj->pages, key, &key)) != NULL && key < end; key++)
			if (page_writable_back(pg))
				while (writeback_cluster(pg) == 0)
					port_io_wait();
		while (returns_in_flight() > 0)
			port_io_wait();
	}
	return range_dirty(obj, first, end) ? VM_EIO : VM_OK;
}

enum vm_err vm_file_sync_range(struct vm_object *obj, uint64_t first, uint64_t n)
{
	return sync_range(obj, first, first + n < first ? UINT64_MAX : first + n);
}

enum vm_err vm_file_sync(struct vm_object *obj)
{
	return sync_range(obj, 0, UINT64_MAX);
}

void vm_file_pageout_range(struct vm_object *obj, uint64_t first, uint64_t n)
{
	uint64_t end = first + n < first ? UINT64_MAX : first + n, key = first;
	struct vm_page *pg;

	(void)sync_range(obj, first, end); /* what is dirty goes back first */
	while ((pg = vm_pagetree_next(&obj->pages, key, &key)) != NULL && key < end) {
		if ((pg->flags & (VM_PG_CLEAN | VM_PG_BUSY)) == VM_PG_CLEAN)
			page_drop(pg);
		key++;
	}
}

void vm_file_sync_all(void)
{
	for (struct vm_object *obj = vm_files; obj != NULL; obj = obj->file_next)
		(void)vm_file_sync(obj);
}

void vm_file_unmapped(struct vm_object *obj)
{
	(void)vm_file_sync(obj);
}

/* ---- pread, pwrite, the host rewriting a file ---- */

enum vm_err vm_file_read(struct vm_object *obj, uint64_t off, uint64_t len,
			 vm_file_sink sink, void *arg, uint64_t *done)
{
	uint64_t end = off + len < off || off + len > obj->size ? obj->size : off + len;

	while (off + *done < end) {
		uint64_t cur = off + *done, n = VM_PAGE_SIZE - (cur & VM_PAGE_MASK);
		struct vm_page *pg;
		enum vm_err err = page_get_wait(obj, vm_atop(cur), false, &pg);

		if (err != VM_OK)
			return err;
		if (n > end - cur)
			n = end - cur;
		sink(arg, vm_page_data(pg) + (cur & VM_PAGE_MASK), n);
		*done += n;
	}
	return VM_OK;
}

/* The file grows to SIZE: what lay past the old end in the old last page
 * (stores through shared mappings, which never became file data) is now
 * file data, and must read as the zeros the file has there. */
static void file_grow(struct vm_object *obj, uint64_t size)
{
	struct vm_page *pg;
	uint64_t tail = obj->size & VM_PAGE_MASK;

	if (size <= obj->size)
		return;
	pg = tail != 0 ? vm_pagetree_lookup(&obj->pages, vm_atop(obj->size)) : NULL;
	if (pg != NULL) {
		vm_swap_wait_page(pg);
		memset(vm_page_data(pg) + tail, 0, VM_PAGE_SIZE - tail);
	}
	obj->size = size;
}

enum vm_err vm_file_write(struct vm_object *obj, uint64_t off, uint64_t len,
			  vm_file_source source, void *arg, uint64_t *done)
{
	uint64_t old_size = obj->size;

	/* The file grows as the bytes land, so a write cut short leaves it
	 * as long as what was written, as a short write does on Linux. */
	while (*done < len) {
		uint64_t cur = off + *done, pstart = vm_trunc_page(cur);
		uint64_t n = VM_PAGE_SIZE - (cur & VM_PAGE_MASK);
		bool whole, overwrite;
		struct vm_page *pg;
		enum vm_err err;

		if (n > len - *done)
			n = len - *done;
		/* Every byte of the page that is (or will be) file data. */
		whole = n == VM_PAGE_SIZE || (cur == pstart && cur + n >= obj->size);
		overwrite = whole || pstart >= old_size;
		throttle();
		if ((err = page_get_wait(obj, vm_atop(cur), overwrite, &pg)) != VM_OK)
			return err;
		file_grow(obj, cur + n);
		source(arg, cur, vm_page_data(pg) + (cur & VM_PAGE_MASK), n);
		page_set_dirty(pg);
		*done += n;
	}
	return VM_OK;
}

void vm_file_replaced(struct vm_object *obj, uint64_t size)
{
	uint64_t key = 0;
	struct vm_page *pg;

	while ((pg = vm_pagetree_next(&obj->pages, key, &key)) != NULL) {
		vm_swap_wait_page(pg);
		if (vm_pagetree_lookup(&obj->pages, key) == pg)
			page_drop(pg);
	}
	obj->size = size;
}

void vm_file_release(struct vm_object *obj)
{
	struct vm_object **link;

	vm_file_replaced(obj, 0);
	for (link = &vm_files; *link != obj; link = &(*link)->file_next)
		;
	*link = obj->file_next;
}

/* ---- faults ---- */

enum vm_err vm_file_fault_page(struct vm_object *obj, uint64_t pindex, struct vm_page **pg)
{
	enum vm_err err;

	if (page_past_eof(obj, pindex))
		return VM_ESIGBUS;
	err = page_get(obj, pindex, false, pg);
	return err == VM_EIO ? VM_ESIGBUS : err;
}

void vm_file_dirty_for_write(struct vm_page *pg)
{
	if (!(pg->flags & VM_PG_CLEAN))
		return;
	throttle();
	vm_swap_wait_page(pg);
	page_set_dirty(pg);
}

/* ---- reclaim ---- */

uint64_t vm_file_clean_resident(void)
{
	const struct vm_page *held = vm_phys.held;
	uint64_t kept = held != NULL && held->queue == VM_PQ_FILE && !(held->flags & VM_PG_BUSY);

	return vm_phys.q[VM_PQ_FILE].count - file_reading - kept;
}

static bool take_file_reference(struct vm_page *pg)
{
	bool ref = (pg->flags & VM_PG_REFERENCED) != 0;

	pg->flags &= ~VM_PG_REFERENCED;
	return pmap_clear_reference(pg) || ref;
}

uint64_t vm_file_reclaim_clean(uint64_t want)
{
	uint64_t freed = 0, budget = 2 * vm_phys.q[VM_PQ_FILE].count;
	struct vm_page *pg;

	while (freed < want && budget-- > 0 && (pg = vm_pageq_first(VM_PQ_FILE)) != NULL) {
		if ((pg->flags & VM_PG_BUSY) || vm_page_held(pg) || take_file_reference(pg)) {
			vm_page_requeue(pg, VM_PQ_FILE);
			continue;
		}
		page_drop(pg);
		vm_file_stats.clean_drops++;
		freed++;
	}
	return freed;
}
