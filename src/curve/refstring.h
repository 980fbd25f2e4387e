/*
 * refstring.h - the page reference string of a trace, for `mvm curve`.
 *
 * A trace is turned into the sequence of pages its processes touch, in
 * trace order, one reference per page-granular access: `read`, `write`
 * and `touch` ranges, `pread` and `pwrite` ranges expanded into pages, an
 * access stopping at the page where the spec says it stops (segv,
 * sigbus).  Each page of data gets one dense id (a "page" here is an
 * identity of data, not an address):
 *
 *   file pages        (file, page index), whoever reaches them: through
 *                     a shared or a private mapping not yet written, or
 *                     pread/pwrite;
 *   shared anonymous  (mapping object, page index), shared by forks;
 *   private pages     one id per copy: a process's first store to a page
 *                     of a private mapping creates it (zeros, or a copy of
 *                     the file's page); fork shares every copy with the
 *                     child, and the first store by either side to a copy
 *                     both still hold creates a new one (copy-on-write);
 *                     `dontneed`, `munmap`, `exec` and `exit` drop copies.
 *
 * A read of a private anonymous page nobody wrote is not a reference: it
 * maps the shared zero page and needs no frame of its own.
 *
 * A page's first reference is a miss for every policy (cold), except for
 * copy-on-write copies: their data comes from a page that was referenced
 * just before, so filling them reads nothing (mvm counts no read either).
 * Such pages are marked `copy` and their first reference is not counted.
 *
 * Dropped pages simply stop being referenced; they are not removed from
 * the stacks (Mattson's stack algorithms have no removal), so LRU and
 * CLOCK may keep a dead page until it ages out, where mvm frees its frame
 * at once.  OPT is not affected: a page never used again is the first it
 * evicts, which costs it nothing.
 */
#ifndef MVM_CURVE_REFSTRING_H
#define MVM_CURVE_REFSTRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

struct refstring {
	uint32_t *ref;        /* page ids in reference order */
	size_t n, cap;
	uint32_t npages;      /* ids handed out: 0 .. npages-1 */
	bool *copy;           /* per id: a copy-on-write copy (cold for free) */
	size_t copy_cap;
};

void refstring_init(struct refstring *rs);
void refstring_free(struct refstring *rs);
/* A new page id; COPY as above. */
uint32_t refstring_new_page(struct refstring *rs, bool copy);
void refstring_push(struct refstring *rs, uint32_t page);

/*
 * Reads READER (closing it) into RS.  Returns 0, or 2 for bad input with
 * "FILE:LINE: message" in ERR (the parser's, or the process rules').
 */
int refstring_build(struct trace_reader *reader, struct refstring *rs, char *err, size_t errlen);

#endif
