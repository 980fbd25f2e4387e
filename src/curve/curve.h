/*
 * curve.h - the page-fault curve of a trace (`mvm curve`).
 *
 * For each memory size: the misses mvm takes (a replay per size,
 * mvm_runs.h) beside the misses of LRU, CLOCK and Belady's OPT over the
 * same page reference string (refstring.h, stackdist.h), at the number
 * of frames mvm had available for pages at that size.
 */
#ifndef MVM_CURVE_CURVE_H
#define MVM_CURVE_CURVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvm_runs.h"
#include "refstring.h"
#include "stackdist.h"

/* Up to this many distinct pages, OPT's one pass (worst case O(n x pages))
 * is cheaper than a simulation per size; the published block traces have
 * at most 7,454. */
#define CURVE_OPT_ONE_PASS_PAGES 16384

struct curve {
	const char *name;        /* the trace, in messages */
	const char *text;        /* the whole trace */
	size_t len;
	struct refstring rs;
	struct stack_curve lru, opt;  /* opt: only if opt_one_pass */
	bool opt_one_pass;       /* few pages: Mattson's OPT stack, else per size */
	uint64_t *next;          /* per size: next-use times */
	uint64_t opt_moves;      /* OPT's one pass: stack positions changed */
	uint64_t cold;           /* counted first references */
};

struct curve_row {
	struct mvm_run mvm;      /* ram_bytes, frames, misses and their parts */
	uint64_t lru, opt, clock;
};

/* Builds the reference string and the LRU and OPT curves of TEXT.
 * 0, or 2 for bad input with "FILE:LINE: message" in ERR. */
int curve_prepare(struct curve *c, const char *name, const char *text, size_t len,
		  char *err, size_t errlen);
void curve_free(struct curve *c);

/* Fills ROWS[i] (mvm.ram_bytes set by the caller): mvm's runs, JOBS at
 * once, then the models at each run's frames.  False if a run could not
 * be made (message in ERR); a failed replay is in its row's status. */
bool curve_rows(struct curve *c, const struct replay_opts *o, struct curve_row *rows, size_t n,
		unsigned jobs, char *err, size_t errlen);

/* Reads PATH ("-": standard input), gzip-compressed or not, whole.
 * False with a message in ERR. */
bool curve_slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen);

#endif
