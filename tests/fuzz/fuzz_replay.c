/*
 * fuzz_replay.c - libFuzzer target: whole traces on a tiny machine, under
 * the reference model (--verify) and the consistency checker after every
 * operation (--check-every 1).
 *
 * The input is a trace.  It runs through the real replay loop
 * (replay_run_reader, from memory) on a machine of 256 KiB of RAM and
 * 1 MiB of swap, so that reclaim, swap, the OOM killer and pmap
 * collection all run within a few operations.  What counts:
 *
 *   - bad input (exit status 2) is normal for fuzz input, and so is a
 *     trace the host declines (see the bounds below): the input is
 *     dropped;
 *   - a disagreement with the model, or a broken invariant (status 1),
 *     prints the replay's own report and aborts: a finding;
 *   - a crash, a core panic, a sanitizer report, or a leak after the
 *     machine shut down (libFuzzer's leak check) is a finding.
 *
 * Options.  A first line `# mvm-fuzz: OPTIONS` (a comment, so the input
 * stays a trace that `mvm replay OPTIONS` runs the same way) may set
 * `--ram SIZE` (256K to 8M), `--swap SIZE` (0 to 16M), `--inject SPEC`,
 * `--dirty-max PAGES` and `--pager-inflight N`, so the fuzzer also
 * explores device errors, allocation failures and the page cache's
 * bounds.  Other options, or values out of range, drop the input.
 *
 * Bounds.  Each input must run in milliseconds, so a wrapper reads the
 * whole trace first and drops inputs that would only be slow, never ones
 * that reach a different path:
 *   - at most FUZZ_MAX_OPS operations;
 *   - the bytes that read, write, touch, pread and pwrite go over: at
 *     most FUZZ_MAX_DATA per operation and FUZZ_MAX_TOTAL in all, not
 *     counting accesses that start outside user space (they fault at once),
 *     preads past every file's end, or pwrites that are refused;
 *   - `file` SIZE at most FUZZ_MAX_FILE (the host writes every byte), and
 *     pwrite's OFF + LEN at most FUZZ_MAX_EXTENT (a sparse host file),
 *     unless the pwrite is refused before any I/O: OFF + LEN passes
 *     2^63 - 1 (EINVAL) or 2^40 (EFBIG, the most a file may hold);
 *   - with an allocation kind in --inject, no `file` line: a `file` that
 *     finds no memory and no process to kill ends the host process
 *     (exit 2, "the host cannot replay this"), which libFuzzer cannot
 *     survive; the allocation sweep (tests/script/test_alloc_sweep.sh)
 *     covers that path.
 * mmap, munmap, mprotect, madvise and msync are not bounded: work on a
 * range must cost in proportion to what is mapped or resident in it,
 * never to its length, so a slow one is a finding (libFuzzer -timeout).
 *
 * Two injection kinds need care, because the model cannot know what the
 * device did: with file-read the replay runs without --verify (SIGBUS
 * and EIO are the right answers, and the checker still runs after every
 * operation); file-write may fail at most FUZZ_MAX_FILE_WRITE_ERRORS
 * data_returns in all, which the core retries until they succeed, so no
 * line changes.  (More would make msync say EIO, which the model cannot
 * foresee either; and every write failing for ever makes a writer past
 * the dirty bound wait for ever, a known bug tracked by
 * tests/script/test_device_faults.sh.)
 *
 * With MVM_FUZZ_STRICT set in the environment a dropped input is an
 * error (exit 3) naming the reason: the seed corpus and the regression
 * inputs are run that way, so that none of them is silently skipped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mvm/vm_types.h"
#include "sim/inject.h"
#include "sim/replay.h"
#include "trace/trace.h"
#include "model/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MAX_OPS 256
#define FUZZ_MAX_DATA ((uint64_t)4 << 20)
#define FUZZ_MAX_TOTAL ((uint64_t)16 << 20)
#define FUZZ_MAX_FILE ((uint64_t)1 << 20)
#define FUZZ_MAX_EXTENT ((uint64_t)64 << 20)
#define FUZZ_PWRITE_MAX ((uint64_t)INT64_MAX)
#define FUZZ_MAX_FILE_WRITE_ERRORS 3

#define FUZZ_HEADER "# mvm-fuzz:"

/* "123", "64K", "1M": false if not a size. */
static bool parse_size(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0, mult = 1;

	if (n > 0 && (s[n - 1] == 'K' || s[n - 1] == 'M')) {
		mult = s[n - 1] == 'K' ? 1u << 10 : 1u << 20;
		n--;
	}
	if (n == 0 || n > 9)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v * mult;
	return true;
}

/* A plain number from LO to HI. */
static bool parse_count(const char *s, size_t n, uint64_t lo, uint64_t hi, uint64_t *out)
{
	return n > 0 && s[n - 1] >= '0' && s[n - 1] <= '9' && parse_size(s, n, out) &&
	       *out >= lo && *out <= hi;
}

/* The next blank-separated word of [*P, END); false at the end. */
static bool next_word(const char **p, const char *end, const char **word, size_t *len)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	*word = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*len = (size_t)(*p - *word);
	return *len > 0;
}

/* The options of a `# mvm-fuzz:` line [P, END) into O; false to drop. */
static bool parse_header(const char *p, const char *end, struct replay_opts *o)
{
	const char *w, *v;
	size_t wn, vn;
	char spec[256], err[256];

	while (next_word(&p, end, &w, &wn)) {
		if (!next_word(&p, end, &v, &vn))
			return false;
		if (wn == 5 && memcmp(w, "--ram", 5) == 0) {
			if (!parse_size(v, vn, &o->ram_bytes) || o->ram_bytes < (256u << 10) ||
			    o->ram_bytes > (8u << 20))
				return false;
		} else if (wn == 6 && memcmp(w, "--swap", 6) == 0) {
			if (!parse_size(v, vn, &o->dev.swap_bytes) ||
			    (o->dev.swap_bytes != 0 && o->dev.swap_bytes < VM_PAGE_SIZE) ||
			    o->dev.swap_bytes > (16u << 20))
				return false;
		} else if (wn == 11 && memcmp(w, "--dirty-max", 11) == 0) {
			if (!parse_count(v, vn, 1, 1u << 20, &o->files.dirty_max))
				return false;
			o->files.dirty_max_percent = false;
		} else if (wn == 16 && memcmp(w, "--pager-inflight", 16) == 0) {
			uint64_t n;

			if (!parse_count(v, vn, 1, 64, &n))
				return false;
			o->files.pager_inflight = (uint32_t)n;
		} else if (wn == 8 && memcmp(w, "--inject", 8) == 0) {
			if (vn >= sizeof spec)
				return false;
			memcpy(spec, v, vn);
			spec[vn] = '\0';
			if (!inject_parse(&o->inject, spec, err, sizeof err))
				return false;
		} else {
			return false;
		}
	}
	return true;
}

static bool injects_alloc(const struct inject_schedule *s)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->rule[i].kind >= INJECT_ALLOC && s->rule[i].kind <= INJECT_ALLOC_BOOT)
			return true;
	return false;
}

/* Events of KIND the schedule fails, at most (saturating). */
static uint64_t injected_events(const struct inject_schedule *s, enum inject_kind kind)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < s->n; i++) {
		uint64_t len = s->rule[i].last - s->rule[i].first;

		if (s->rule[i].kind == kind)
			n = len >= UINT64_MAX - n ? UINT64_MAX : n + len + 1;
	}
	return n;
}

/* What the operations read so far have cost. */
struct budget {
	uint64_t data;      /* bytes accessed */
	uint64_t extent;    /* the largest file size the trace can have made */
	unsigned ops;
};

/* EINVAL past 2^63 - 1, or EFBIG past 2^40: no I/O either way. */
static bool pwrite_is_refused(const struct trace_op *op)
{
	return op->off + op->len < op->off || op->off + op->len > FUZZ_PWRITE_MAX ||
	       op->off + op->len > TRACE_FILE_SIZE_MAX;
}

/* Bytes OP accesses that count against the budget. */
static uint64_t data_cost(const struct trace_op *op, const struct budget *b)
{
	switch (op->kind) {
	case TRACE_READ:
	case TRACE_WRITE:
	case TRACE_TOUCH:
		return op->addr >= VM_USER_MAX ? 0 : op->len;
	case TRACE_PREAD:
		return op->len < b->extent ? op->len : b->extent;
	case TRACE_PWRITE:
		return pwrite_is_refused(op) ? 0 : op->len;
	default:
		return 0;
	}
}

/* Whether OP stays within the bounds above; NULL if so, else why not. */
static const char *op_out_of_bounds(const struct trace_op *op, struct budget *b,
				    bool alloc_injected)
{
	uint64_t cost = data_cost(op, b);

	if (++b->ops > FUZZ_MAX_OPS)
		return "more than FUZZ_MAX_OPS operations";
	if (cost > FUZZ_MAX_DATA || (b->data += cost) > FUZZ_MAX_TOTAL)
		return "more data accessed than FUZZ_MAX_DATA or FUZZ_MAX_TOTAL";
	if (op->kind == TRACE_FILE) {
		if (alloc_injected)
			return "a `file` line with an allocation kind in --inject";
		if (op->len > FUZZ_MAX_FILE)
			return "a `file` SIZE over FUZZ_MAX_FILE";
		if (op->len > b->extent)
			b->extent = op->len;
	}
	if (op->kind == TRACE_PWRITE && op->len > 0 && !pwrite_is_refused(op)) {
		if (op->off + op->len > FUZZ_MAX_EXTENT)
			return "a pwrite past FUZZ_MAX_EXTENT";
		if (op->off + op->len > b->extent)
			b->extent = op->off + op->len;
	}
	return NULL;
}

/* Reads the whole trace: NULL if it keeps every bound, else why not (bad
 * input is kept: the replay reports it, after the lines before it). */
static const char *trace_out_of_bounds(const char *buf, size_t size, bool alloc_injected)
{
	struct trace_reader *r = trace_reader_from_buffer("fuzz", buf, size);
	struct budget b = {0};
	struct trace_op op;
	const char *why = NULL;

	if (r == NULL)
		abort();
	while (why == NULL && trace_next(r, &op) == 1)
		why = op_out_of_bounds(&op, &b, alloc_injected);
	trace_reader_close(r);
	return why;
}

/* An input the target declines: fine, except under MVM_FUZZ_STRICT. */
static int drop(const char *why)
{
	if (getenv("MVM_FUZZ_STRICT") != NULL) {
		fprintf(stderr, "fuzz_replay: input dropped: %s\n", why);
		exit(3);
	}
	return 0;
}

static FILE *null_out(void)
{
	static FILE *out;

	if (out == NULL && (out = fopen("/dev/null", "w")) == NULL)
		abort();
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	size_t hlen = sizeof FUZZ_HEADER - 1;
	struct replay_opts o;
	const char *why;
	int status;

	replay_opts_defaults(&o);
	o.ram_bytes = 256u << 10;
	o.dev.swap_bytes = 1u << 20;
	o.oracle = &model_oracle;
	o.check_every = 1;
	o.out = null_out();
	if (size >= hlen && memcmp(buf, FUZZ_HEADER, hlen) == 0) {
		const char *nl = memchr(buf, '\n', size);

		if (!parse_header(buf + hlen, nl != NULL ? nl : buf + size, &o))
			return drop("an option of the # mvm-fuzz: line is unknown or out of range");
	}
	if (injected_events(&o.inject, INJECT_FILE_WRITE) > FUZZ_MAX_FILE_WRITE_ERRORS)
		return drop("more file-write failures than FUZZ_MAX_FILE_WRITE_ERRORS");
	o.oracle = injected_events(&o.inject, INJECT_FILE_READ) == 0 ? &model_oracle : NULL;
	why = trace_out_of_bounds(buf, size, injects_alloc(&o.inject));
	if (why != NULL)
		return drop(why);
	status = replay_run_reader(trace_reader_from_buffer("fuzz", buf, size), &o);
	if (status != REPLAY_OK && status != REPLAY_BAD_INPUT) {
		fprintf(stderr, "fuzz_replay: the replay failed (status %d): a finding\n", status);
		abort();
	}
	return 0;
}
