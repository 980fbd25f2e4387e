/*
 * gen_fragmentation.h - `mvm gen fragmentation`: the address-space life
 * of a long-running server, as in the GNU Mach translator reports, where
 * a map grew from about 60 entries to thousands after hours of work.
 *
 * The trace has one long-lived process (pid 1), whose program image is
 * mapped from a file, that, round after round:
 *   - grows and trims malloc heaps that are large PROT_NONE reservations
 *     made writable a piece at a time (glibc's arenas, brk), and now and
 *     then makes a small piece of a heap read-only and later writable
 *     again;
 *   - maps small temporary buffers among its long-lived mappings (first
 *     fit, so they land in the holes between them) and unmaps them a few
 *     rounds later;
 *   - keeps long-lived mappings of several kinds: private, shared
 *     (memory shared with clients), read-only, and buffers marked
 *     dontfork for a while;
 *   - starts and ends threads, whose stacks have a guard page;
 *   - maps windows of the disk it translates (a shared file mapping per
 *     window, at the address matching its offset) and unmaps them;
 *   - forks now and then: the child writes to the heap (copy-on-write),
 *     changes and restores protection in its copy, sometimes execs, and
 *     exits.
 * Every address lies in the generators' native window (gen.h), and every
 * operation succeeds on mvm and on Linux alike (no errors, no segv), so
 * the trace runs under --verify, native-replay and trace-diff.
 *
 * Deterministic: the same parameters print the same bytes everywhere.
 */
#ifndef MVM_SIM_GEN_FRAGMENTATION_H
#define MVM_SIM_GEN_FRAGMENTATION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct gen_frag_params {
	uint64_t seed;
	uint64_t rounds;   /* requests the server handles (default 3000) */
	bool forks;        /* fork children now and then (default true) */
	bool checks;       /* a `check` line every 500 rounds (default true) */
	uint64_t maps_every; /* `1 maps` every N rounds (default 500; 0: never) */
};

void gen_frag_defaults(struct gen_frag_params *p);
/* Writes the trace; 0, or -1 on a write error. */
int gen_fragmentation(FILE *out, const struct gen_frag_params *p);

#endif
