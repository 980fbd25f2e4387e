/*
 * gen_translator.h - `mvm gen translator`: an ext2fs translator serving
 * heavy I/O, as a trace.
 *
 * On the Hurd a file system is a user process, a translator, that keeps
 * its files mapped and is the pager behind them.  Under heavy writing
 * GNU Mach let any number of pages become dirty and then sent them back
 * all at once: a flood of memory_object_data_return messages, one thread
 * each in the translator.  And under memory pressure Mach flushed the
 * translator's anonymous memory to swap while clean file pages, which are
 * only cache, stayed.  The workload recreates both conditions: many file
 * pages dirtied through shared mappings and pwrite, an anonymous working
 * set that competes with the cache, forked clients reading, and RAM well
 * below files plus working set.  The replayer's statistics then show
 * whether the dirty bound and the cap on returns in flight held, and
 * whether any anonymous page went to swap while a clean file page was
 * resident.
 */
#ifndef MVM_SIM_GEN_TRANSLATOR_H
#define MVM_SIM_GEN_TRANSLATOR_H

#include <stdint.h>
#include <stdio.h>

struct gen_translator_params {
	uint64_t seed;          /* --seed (default 1) */
	uint64_t files;         /* --files: the file system's files (default 24) */
	uint64_t file_bytes;    /* --file-size: each file (default 1 MiB) */
	uint64_t anon_bytes;    /* --anon: the translator's own memory (default
	                         * 8 MiB), half of it a hot working set */
	uint64_t requests;      /* --requests: requests served (default 20000) */
	uint64_t client_every;  /* --client-every: a client forks every N
	                         * requests (default 50; 0: none) */
	uint64_t msync_every;   /* --msync-every: one file msynced every N
	                         * requests (default 400; 0: only at the end) */
	uint64_t check_every;   /* --check-every: a `check` every N requests
	                         * (default 2000; 0: only the final one) */
};

/* The translator's pid; clients are 2, 3, ... */
#define GEN_TRANSLATOR_PID 1

/* Limits the options accept (the layout must fit the generator window). */
#define GEN_TRANSLATOR_MAX_FILES 4096ull
#define GEN_TRANSLATOR_MAX_FILE_BYTES (1ull << 30)
#define GEN_TRANSLATOR_MAX_FILES_TOTAL (16ull << 30)
#define GEN_TRANSLATOR_MAX_ANON (16ull << 30)
#define GEN_TRANSLATOR_MAX_COUNT 100000000ull

void gen_translator_defaults(struct gen_translator_params *p);
/* Tiny sizes for tests and `mvm demo --quick` (the seed is kept). */
void gen_translator_quick(struct gen_translator_params *p);

/*
 * The RAM the workload is meant to run in: the translator's memory and a
 * 24th of the files, well below both together (a multiple of the page).
 */
uint64_t gen_translator_ram(const struct gen_translator_params *p);

/*
 * Writes the trace (header first; every process exits by the end, and a
 * final `check` follows).  Returns 0, or -1 on a write error or if P is
 * out of the limits above.
 */
int gen_translator(FILE *out, const struct gen_translator_params *p);

#endif
