/*
 * pagedaemon.c - reclaiming memory on demand.
 *
 * Every allocation in the core that can wait does so by calling
 * vm_reclaim() and retrying while it frees anything.  The daemon is a
 * function, not a thread: the machine is single threaded and
 * deterministic, so "waiting for memory" is running the reclaim work
 * inline, in a fixed order.
 *
 * The order, cheapest and least harmful first:
 *   1. collect the pmaps of idle processes, least recently run first:
 *      their page-table pages and pv chunks go back to the free queue,
 *      and their data stays in anons and objects, faulting back in on the
 *      next access (the arm32 pmap of 1998 could not do this at all);
 * Paging data out to swap joins this list with the swap device.
 */
#include "pagedaemon.h"

#include "map.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"

struct vm_pagedaemon_stats vm_pagedaemon_stats;

void vm_pagedaemon_init(void)
{
	vm_pagedaemon_stats = (struct vm_pagedaemon_stats){0};
}

uint64_t vm_reclaim(const struct vm_map *except)
{
	uint64_t freed = pmap_reclaim(except != NULL ? except->pmap : NULL);

	vm_pagedaemon_stats.runs++;
	vm_pagedaemon_stats.pmap_frames += freed;
	vm_pagedaemon_stats.frames_freed += freed;
	if (freed == 0)
		vm_pagedaemon_stats.runs_fruitless++;
	return freed;
}
