/*
 * figures.h - the machine's standard figures, one series row at a time.
 *
 * What an operator watches on a real system, read from the simulated
 * machine between operations: simulated time, processes, where the frames
 * are (free, anonymous data, file cache, page tables, pv entries, core
 * metadata), swap in use, dirty file pages, map entries over every
 * process, faults and OOM kills so far.  `mvm replay --series FILE` writes
 * them for any trace, and the `basic` demo scenario charts them.  Frame
 * counts are the core's exact per-use counters, not estimates.
 */
#ifndef MVM_REPORT_FIGURES_H
#define MVM_REPORT_FIGURES_H

#include <stdint.h>

struct sim;

enum {
	FIG_OPS, FIG_TIME_US, FIG_PROCS, FIG_FREE, FIG_ANON, FIG_FILE, FIG_TABLES, FIG_PV,
	FIG_KMEM, FIG_SWAP, FIG_DIRTY, FIG_ENTRIES, FIG_FAULTS, FIG_OOM, FIGURES_NCOLS
};
extern const char *const figures_columns[FIGURES_NCOLS];

/* Fills ROW (FIGURES_NCOLS values) from S after OPS operations; ARG unused. */
void figures_fill(void *arg, struct sim *s, uint64_t ops, uint64_t *row);
/* The consistency checks a replay ran in OPS operations: its `check`
 * lines and one every CHECK_EVERY operations (0: none). */
uint64_t figures_checks_run(const struct sim *s, uint64_t check_every, uint64_t ops);
/* Swap slots in use (0 without swap). */
uint64_t figures_swap_inuse(void);

#endif
