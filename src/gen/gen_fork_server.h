/*
 * gen_fork_server.h - `mvm gen fork-server`: the swap-leak scenario of the
 * 1993-95 reports, as a trace.
 *
 * A long-running server with a large private heap, most of it paged out,
 * forks children that write a few pages of the heap, read one, and exit,
 * while the server itself keeps touching its heap between forks.  Under
 * the shadow-object VM of 4.4BSD and Mach each such fork left the heap's
 * object shadowed, and once parts of it were on swap the chain could not
 * be collapsed: swap was lost until the server exited.
 */
#ifndef MVM_SIM_GEN_FORK_SERVER_H
#define MVM_SIM_GEN_FORK_SERVER_H

#include <stdint.h>
#include <stdio.h>

struct gen_fork_server_params {
	uint64_t seed;          /* --seed (default 1) */
	uint64_t heap_bytes;    /* --heap: the server's heap (default 64 MiB) */
	uint64_t forks;         /* --forks (default 2000) */
	uint64_t child_pages;   /* --child-pages: heap pages each child writes (default 4) */
	uint64_t server_pages;  /* --server-pages: heap pages the server touches
	                         * between forks (default 8) */
	uint64_t check_every;   /* --check-every: a `check` every N forks (default
	                         * 100; 0: only the final one) */
};

/* The server's pid, and where its heap starts. */
#define GEN_FORK_SERVER_PID 1
#define GEN_FORK_SERVER_HEAP 0x100000000000ull

/* Largest --heap accepted (the generators' address window). */
#define GEN_FORK_SERVER_MAX_HEAP (16ull << 30)

void gen_fork_server_defaults(struct gen_fork_server_params *p);
/* Writes the trace; 0, or -1 on a write error. */
int gen_fork_server(FILE *out, const struct gen_fork_server_params *p);

#endif
