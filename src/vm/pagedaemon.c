/*
 * pagedaemon.c - reclaiming memory, in the background and on demand.
 *
 * The daemon is a function, not a thread: the machine is single threaded
 * and deterministic.  It runs in two ways:
 *
 *   background  an allocation that leaves fewer than free_low frames free
 *               sets vm_phys.daemon_wanted, and the host calls
 *               vm_pagedaemon_poll() at its next safe point (between trace
 *               operations); the daemon then works towards free_target and
 *               lets its writes complete as time passes;
 *   on demand   an allocation that failed calls vm_reclaim() and retries
 *               while it frees anything; this run waits for its writes.
 *
 * One run, cheapest and least harmful first:
 *
 *   1. collect the pmaps of idle processes (not run for PD_IDLE_NS):
 *      their page-table pages and pv chunks go back at once, and their
 *      pages, now mapped nowhere, age out first in step 4;
 *   2. clean file pages, all of them if need be (a second chance for the
 *      referenced ones): they are only cache, and the file gives them back
 *      for the price of a read.  GNU Mach flushed anonymous memory while
 *      clean file cache stayed; here no anonymous page goes to swap while
 *      a clean file page could have been dropped instead (the count of
 *      such pageouts is kept, and is meant to stay 0);
 *   3. dirty file pages: start writing them back (bounded by the pager's
 *      in-flight cap), so they become clean file pages for step 2;
 *   4. anonymous memory: age the active queue (pages whose PTE reference
 *      bit is set go round again, the others move to inactive), then scan
 *      the inactive queue: referenced pages back to active, clean pages
 *      (their swap slot holds their bytes) freed at once, dirty ones
 *      gathered into clusters and written to swap;
 *   5. on demand only: wait for writes in flight (and take what they made
 *      clean) until the waiter has room; and if nothing at all came free,
 *      strip the least recently used pmaps (FreeBSD's reclaim_pv_chunk),
 *      the running one last.  What the waiter holds (vm_page_hold: the
 *      page a fault copies from) is never taken, so "something came free"
 *      means something the waiter can use.
 *
 * Only when all of that frees nothing does an allocation fail for good,
 * and then the host's OOM killer decides (DESIGN.md invariant 6).
 */
#include "pagedaemon.h"

#include "anon.h"
#include "file.h"
#include "map.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"
#include "swap.h"

/* A process that has not run for this long (simulated) is idle. */
#define PD_IDLE_NS 10000000ull

struct vm_pagedaemon_stats vm_pagedaemon_stats;

void vm_pagedaemon_init(void)
{
	vm_pagedaemon_stats = (struct vm_pagedaemon_stats){0};
}

bool vm_pagedaemon_plenty(void)
{
	return vm_page_free_count() > vm_phys.free_low;
}

static bool short_of_memory(void)
{
	return vm_page_free_count() < vm_phys.free_target;
}

/* Step 1. */
static void collect_idle(const struct vm_map *except)
{
	uint64_t now = port_time_ns();

	for (struct vm_map *m = vm_maps; m != NULL && short_of_memory(); m = m->all_next) {
		uint64_t freed;

		if (m == except || now - m->last_active < PD_IDLE_NS)
			continue;
		freed = pmap_collect(m->pmap);
		if (freed > 0) {
			vm_pagedaemon_stats.idle_collections++;
			vm_pagedaemon_stats.pmap_frames += freed;
			port_log(1, "pagedaemon: collected pmap %u, idle for %llu ms: %llu frames freed",
				 (unsigned)pmap_asid(m->pmap),
				 (unsigned long long)((now - m->last_active) / 1000000),
				 (unsigned long long)freed);
		}
	}
}

/* Whether PG was used since the last look (and forget that it was). */
static bool take_reference(struct vm_page *pg)
{
	bool ref = (pg->flags & VM_PG_REFERENCED) != 0;

	pg->flags &= ~VM_PG_REFERENCED;
	return pmap_clear_reference(pg) || ref;
}

/* Step 2: keeps the inactive queue at about a third of the pageable pages. */
static void age_active(void)
{
	uint64_t active = vm_phys.q[VM_PQ_ACTIVE].count;
	uint64_t want = (active + vm_phys.q[VM_PQ_INACTIVE].count) / 3;
	uint64_t budget = active;
	struct vm_page *pg;

	while (vm_phys.q[VM_PQ_INACTIVE].count < want && budget-- > 0 &&
	       (pg = vm_pageq_first(VM_PQ_ACTIVE)) != NULL) {
		if (!(pg->flags & VM_PG_BUSY) && !vm_page_held(pg) && !take_reference(pg)) {
			vm_page_requeue(pg, VM_PQ_INACTIVE);
			vm_pagedaemon_stats.deactivated++;
		} else {
			vm_page_requeue(pg, VM_PQ_ACTIVE);
		}
	}
}

/* A clean page: its slot holds its bytes, so it goes without I/O. */
static void drop_clean(struct vm_page *pg)
{
	struct vm_anon *an = pg->owner.anon;

	pmap_page_protect(pg, VM_PROT_NONE);
	an->page = NULL;
	vm_page_free(pg);
	vm_swap_stats.clean_drops++;
}

_Static_assert(VM_SWAP_CLUSTER == 32, "struct vm_pageout holds one cluster");

void vm_pageout_begin(struct vm_pageout *po, bool reclaim)
{
	po->n = 0;
	po->swap_full = !vm_swap_enabled();
	po->reclaim = reclaim;
}

static uint64_t deficit(void);

/*
 * Before a reclaiming pageout sends anything to swap: file writebacks that
 * completed since the scan began (while this flush waited for a request,
 * say) may have left clean file pages, and those go first.  Returns
 * whether memory is still short, so that swapping is still needed.
 */
static bool file_cache_first(const struct vm_pageout *po)
{
	if (!po->reclaim || vm_file_clean_resident() == 0)
		return true;
	vm_file_reclaim_clean(deficit());
	return short_of_memory();
}

/* Writes the gathered pages; what swap cannot take goes back to active. */
static void pageout_flush(struct vm_pageout *po)
{
	uint32_t done = 0, got;

	while (done < po->n && !po->swap_full && file_cache_first(po)) {
		got = vm_swap_pageout(po->pages + done, po->n - done);
		if (po->reclaim && vm_file_clean_resident() > 0)
			vm_file_stats.anon_out_with_clean_file += got;
		if (got == 0 && vm_swap_writes_in_flight() > 0 && vm_swap_slots() > vm_swap_inuse()) {
			port_io_wait(); /* no free request: let one finish */
			continue;
		}
		if (got == 0)
			po->swap_full = true;
		done += got;
		vm_pagedaemon_stats.laundered += got;
	}
	for (uint32_t i = done; i < po->n; i++)
		vm_page_requeue(po->pages[i], VM_PQ_ACTIVE);
	po->n = 0;
}

void vm_pageout_add(struct vm_pageout *po, struct vm_page *pg)
{
	if (pg->flags & VM_PG_CLEAN) {
		drop_clean(pg);
	} else if (po->swap_full) {
		vm_page_requeue(pg, VM_PQ_ACTIVE);
	} else {
		vm_pageq_remove(pg);
		po->pages[po->n++] = pg;
		if (po->n == VM_SWAP_CLUSTER)
			pageout_flush(po);
	}
}

void vm_pageout_finish(struct vm_pageout *po)
{
	pageout_flush(po);
}

/* Step 3. */
static void scan_inactive(void)
{
	uint64_t budget = vm_phys.q[VM_PQ_INACTIVE].count;
	struct vm_pageout po;
	struct vm_page *pg;

	vm_pageout_begin(&po, true);
	while (budget-- > 0 && short_of_memory() &&
	       (pg = vm_pageq_first(VM_PQ_INACTIVE)) != NULL) {
		vm_pagedaemon_stats.scanned++;
		if ((pg->flags & VM_PG_BUSY) || vm_page_held(pg)) {
			vm_page_requeue(pg, VM_PQ_INACTIVE);
		} else if (take_reference(pg)) {
			vm_page_requeue(pg, VM_PQ_ACTIVE);
			vm_pagedaemon_stats.reactivated++;
		} else {
			vm_pageout_add(&po, pg);
		}
	}
	vm_pageout_finish(&po);
}

static uint64_t deficit(void)
{
	return short_of_memory() ? vm_phys.free_target - vm_page_free_count() : 0;
}

/* Steps 2 and 3: the file cache.  URGENT: wait for the writebacks and take
 * the pages they cleaned. */
static void reclaim_files(bool urgent)
{
	vm_file_reclaim_clean(deficit());
	if (!short_of_memory() || vm_file_stats.dirty == 0)
		return;
	vm_file_writeback(deficit(), urgent);
	if (urgent)
		vm_file_reclaim_clean(deficit());
}

/* One run of steps 1 to 4. */
static void pagedaemon_scan(const struct vm_map *except, bool urgent)
{
	vm_pagedaemon_stats.runs++;
	vm_phys.daemon_wanted = false;
	collect_idle(except);
	if (!short_of_memory())
		return;
	reclaim_files(urgent);
	if (!short_of_memory())
		return;
	age_active();
	scan_inactive();
}

void vm_pagedaemon_poll(void)
{
	uint64_t before = vm_page_free_count();

	if (!vm_phys.daemon_wanted)
		return;
	pagedaemon_scan(NULL, false);
	if (vm_page_free_count() > before)
		vm_pagedaemon_stats.frames_freed += vm_page_free_count() - before;
}

void vm_background(void)
{
	port_io_poll();
	vm_file_background();
	vm_pagedaemon_poll();
}

/*
 * Step 5: the writes of this run, then the least recently used pmaps.
 * The writes are waited for until the waiter has room (a fault's worth of
 * data frames above the reserve), not just until one frame came free: a
 * frame or two is gone again by the time the waiter fails once more, and
 * the rest of the run's pageouts would still be in flight, unused.
 */
static void reclaim_harder(const struct vm_map *except, uint64_t before)
{
	uint64_t freed;
	bool self;

	while (!vm_pagedaemon_plenty() && vm_swap_writes_in_flight() > 0)
		port_io_wait();
	if (vm_page_free_count() > before)
		return;
	vm_pagedaemon_stats.emergency++;
	freed = pmap_reclaim(except != NULL ? except->pmap : NULL);
	self = freed == 0 && except != NULL;
	if (self)
		freed = pmap_collect(except->pmap);
	vm_pagedaemon_stats.pmap_frames += freed;
	port_log(1, "pagedaemon: emergency reclaim of %s: %llu frames freed",
		 self ? "the faulting process's own pmap" : "the least recently used pmaps",
		 (unsigned long long)freed);
}

bool vm_wait_for_memory(const struct vm_map *except, int *tries)
{
	if (++*tries > VM_RETRIES_MAX)
		return false;
	return vm_reclaim(except) > 0 || vm_page_free_count() > vm_phys.free_low;
}

uint64_t vm_reclaim(const struct vm_map *except)
{
	uint64_t before = vm_page_free_count(), after;

	vm_pagedaemon_stats.urgent++;
	vm_swap_drain(false);
	pagedaemon_scan(except, true);
	reclaim_harder(except, before);
	after = vm_page_free_count();
	if (after <= before) {
		vm_pagedaemon_stats.fruitless++;
		return 0;
	}
	vm_pagedaemon_stats.frames_freed += after - before;
	return after - before;
}
