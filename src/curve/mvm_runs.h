/*
 * mvm_runs.h - mvm's misses at several memory sizes, one child process each.
 *
 * Each size is a full `mvm replay` of the trace in a child made by fork()
 * (the machine is global state, as a kernel's is, so one machine per
 * process), at most JOBS running at once; each child sends its figures
 * back through a pipe and exits.
 *
 * What a run reports:
 *   frames   frames available to pages: the RAM's frames minus those the
 *            core held for itself at the run's peak, as `stat` reports
 *            them (boot: the page array and zero page; core metadata:
 *            slabs; page tables; pv chunks).  Free frames the page daemon
 *            keeps in reserve count as available: keeping them is policy.
 *   misses   frames filled with data: pages read from the file pager
 *            (data_request pages, read-ahead included) plus pages read
 *            from swap (read-around included) plus zero-fills (a page's
 *            first store, or a file page a write covers wholly).
 */
#ifndef MVM_CURVE_MVM_RUNS_H
#define MVM_CURVE_MVM_RUNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct replay_opts;

struct mvm_run {
	uint64_t ram_bytes;     /* in: the size to replay at */
	uint64_t frames;        /* out, as above */
	uint64_t misses;        /* out: pager_pages + swap_pages + zero_fills */
	uint64_t pager_pages, swap_pages, zero_fills;
	uint64_t oom_kills;     /* processes the system killed */
	int status;             /* the replay's exit status (REPLAY_*) */
};

/*
 * Replays TEXT (LEN bytes; NAME in messages) with BASE's options at each
 * RUNS[i].ram_bytes.  Returns false if a child could not be started or
 * died without reporting (with a message in ERR); a replay that failed
 * is in its run's status.
 */
bool mvm_runs(const char *name, const char *text, size_t len, const struct replay_opts *base,
	      struct mvm_run *runs, size_t nruns, unsigned jobs, char *err, size_t errlen);

#endif
