/*
 * refstring.c - building the page reference string of a trace.
 *
 * The trace is read once with the one parser every executor uses, and
 * each operation admitted by the same process rules (trace_pids), so a
 * trace that `mvm replay` refuses is refused here with the same
 * "FILE:LINE: message".  What each access reaches is refspace.c's job.
 */
#include "refstring.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "refspace.h"

void refstring_init(struct refstring *rs)
{
	memset(rs, 0, sizeof *rs);
}

void refstring_free(struct refstring *rs)
{
	free(rs->ref);
	free(rs->copy);
	refstring_init(rs);
}

static void *grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap : 1024;
	while (*cap < need)
		*cap *= 2;
	p = realloc(p, *cap * size);
	if (p == NULL)
		abort(); /* host memory exhausted */
	return p;
}

uint32_t refstring_new_page(struct refstring *rs, bool copy)
{
	if (rs->npages == UINT32_MAX)
		abort(); /* 2^32 distinct pages: 16 TiB of data, beyond any trace */
	rs->copy = grow(rs->copy, &rs->copy_cap, (size_t)rs->npages + 1, sizeof *rs->copy);
	rs->copy[rs->npages] = copy;
	return rs->npages++;
}

void refstring_push(struct refstring *rs, uint32_t page)
{
	rs->ref = grow(rs->ref, &rs->cap, rs->n + 1, sizeof *rs->ref);
	rs->ref[rs->n++] = page;
}

int refstring_build(struct trace_reader *reader, struct refstring *rs, char *err, size_t errlen)
{
	struct trace_pids *pids = trace_pids_create();
	struct rs_space *sp = rs_space_create(rs);
	struct trace_op op;
	char why[256];
	int got, status = 0;

	while (status == 0 && (got = trace_next(reader, &op)) != 0) {
		if (got < 0) {
			snprintf(err, errlen, "%s", trace_reader_error(reader));
			status = 2;
		} else if (trace_pids_admit(pids, &op, why, sizeof why) == TRACE_BAD) {
			snprintf(err, errlen, "%s:%" PRIu64 ": %s", trace_reader_name(reader), op.line,
				 why);
			status = 2;
		} else {
			rs_space_apply(sp, &op);
		}
	}
	rs_space_destroy(sp);
	trace_pids_destroy(pids);
	trace_reader_close(reader);
	return status;
}
