/*
 * figures.c - the standard figures (figures.h), read from the machine.
 *
 * Every figure is a counter the core or the simulator keeps anyway, so a
 * sample costs a few loads, plus one pass over the processes for their
 * map entries (an O(1) count each): cheap enough to sample every
 * operation of a long trace.
 */
#include "figures.h"

#include "mvm/vm.h"
#include "mvm/vm_page.h"
#include "sim/sim.h"
#include "vm/file.h"
#include "vm/swap.h"

const char *const figures_columns[FIGURES_NCOLS] = {
	[FIG_OPS] = "ops",           [FIG_TIME_US] = "time_us",
	[FIG_PROCS] = "procs",       [FIG_FREE] = "free_frames",
	[FIG_ANON] = "anon_frames",  [FIG_FILE] = "file_frames",
	[FIG_TABLES] = "table_frames", [FIG_PV] = "pv_frames",
	[FIG_KMEM] = "kmem_frames",  [FIG_SWAP] = "swap_inuse",
	[FIG_DIRTY] = "dirty_file_pages", [FIG_ENTRIES] = "map_entries",
	[FIG_FAULTS] = "faults",     [FIG_OOM] = "oom_kills",
};

uint64_t figures_swap_inuse(void)
{
	return vm_swap_enabled() ? vm_swap_inuse() : 0;
}

static uint64_t map_entries(const struct sim *s)
{
	struct check_hash_slot *slot;
	uint64_t n = 0;

	for (size_t i = 0; trace_hash_next(&s->procs, &i, &slot);)
		n += vm_map_entry_count(((struct sim_proc *)(uintptr_t)slot->value)->map);
	return n;
}

void figures_fill(void *arg, struct sim *s, uint64_t ops, uint64_t *row)
{
	const uint64_t *use = vm_phys.by_use;
	struct sim_clock_stats clock;

	(void)arg;
	sim_clock_get_stats(&clock);
	row[FIG_OPS] = ops;
	row[FIG_TIME_US] = clock.now_ns / 1000;
	row[FIG_PROCS] = trace_hash_count(&s->procs);
	row[FIG_FREE] = use[VM_PAGE_FREE];
	row[FIG_ANON] = use[VM_PAGE_ANON];
	row[FIG_FILE] = use[VM_PAGE_OBJECT];
	row[FIG_TABLES] = use[VM_PAGE_PTP];
	row[FIG_PV] = use[VM_PAGE_PV];
	row[FIG_KMEM] = use[VM_PAGE_KMEM];
	row[FIG_SWAP] = figures_swap_inuse();
	row[FIG_DIRTY] = vm_file_stats.dirty;
	row[FIG_ENTRIES] = map_entries(s);
	row[FIG_FAULTS] = s->stats.faults;
	row[FIG_OOM] = s->stats.oom_kills;
}

uint64_t figures_checks_run(const struct sim *s, uint64_t check_every, uint64_t ops)
{
	return s->stats.ops_by_kind[TRACE_CHECK] + (check_every != 0 ? ops / check_every : 0);
}
