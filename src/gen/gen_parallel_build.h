/*
 * gen_parallel_build.h - `mvm gen parallel-build`: a `make -jN` on a
 * machine whose RAM is barely enough.
 *
 * The workload of the 1998 NetBSD reports (port-arm32/5666, the alpha
 * pmap_alloc_physpage panic): parallel builds on small machines, where
 * compiler-like processes map sparse address spaces (many page-table
 * pages per resident page), allocate and free memory in bursts, and fork
 * and exec short-lived children.  A pmap that never gives table pages
 * back until exit runs out of memory on this; mvm's must not.
 */
#ifndef MVM_SIM_GEN_PARALLEL_BUILD_H
#define MVM_SIM_GEN_PARALLEL_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct gen_pbuild_params {
	uint64_t seed;
	unsigned jobs;         /* -j: compilations at once (default 4) */
	unsigned units;        /* compilation units in the build (default 16) */
	unsigned bursts;       /* mean allocation bursts per compiler (default 16) */
	unsigned burst_pages;  /* pages per burst, one per 2 MiB (default 48) */
	unsigned libs;         /* libraries per compiler, 1 GiB apart (default 6) */
	bool checks;           /* a `check` line after each unit (default false) */
};

/* Limits the options accept (the layout must fit the generator window). */
#define GEN_PBUILD_MAX_JOBS 64u
#define GEN_PBUILD_MAX_UNITS 100000u
#define GEN_PBUILD_MAX_BURSTS 1000u
#define GEN_PBUILD_MAX_BURST_PAGES 64u
#define GEN_PBUILD_MAX_LIBS 12u

void gen_pbuild_defaults(struct gen_pbuild_params *p);
/* Smaller sizes for tests and `mvm demo --quick`. */
void gen_pbuild_quick(struct gen_pbuild_params *p);

/*
 * Writes the trace (header first; every process exits by the end, and a
 * final `check` follows).  Returns 0, or -1 on a write error or if P is
 * out of the limits above.
 */
int gen_parallel_build(FILE *out, const struct gen_pbuild_params *p);

#endif
