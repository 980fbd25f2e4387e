/*
 * fuzz_parse.c - libFuzzer target: the trace parser and the output-line
 * parser, on arbitrary bytes.
 *
 * Crashes and sanitizer reports are findings, as always; beyond them the
 * target asserts what the parsers promise, so that a parser that quietly
 * misreads a line is a finding too:
 *
 *   - the reader (trace_reader_from_buffer + trace_next) either yields
 *     operations to the end or stops with an error that names the buffer
 *     and a line, and then keeps failing;
 *   - every operation it yields is the operation trace_parse_line gives
 *     for the same line alone (the reader adds nothing but the header
 *     rule), and its canonical form (trace_format_op) parses back to the
 *     same operation, and formats to the same text again;
 *   - every line that parses as an output event (trace_event_parse)
 *     formats to a line that parses back to an equal event, and formats
 *     to the same text again (the comparator and the formatter agree).
 *
 * A broken promise prints the line and aborts, which libFuzzer reports
 * as a crash with the input saved.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Output lines are far shorter; the margin catches an overlong format. */
#define FUZZ_LINE_MAX 1024

static _Noreturn void broken(const char *what, const char *line, size_t len)
{
	fprintf(stderr, "fuzz_parse: %s\n  line: \"%.*s\"\n", what, (int)len, line);
	abort();
}

/* Whether two operations say the same thing (NAME counts only where the
 * operation has one: the parser clears only its first byte). */
static bool ops_equal(const struct trace_op *a, const struct trace_op *b)
{
	return a->kind == b->kind && a->pid == b->pid && a->child == b->child &&
	       a->addr == b->addr && a->len == b->len && a->off == b->off && a->seed == b->seed &&
	       a->prot == b->prot && a->shared == b->shared && a->file == b->file &&
	       a->touch_write == b->touch_write && a->advice == b->advice &&
	       strcmp(a->name, b->name) == 0;
}

/* OP's canonical line parses back to OP and formats to itself. */
static void check_canonical(const struct trace_op *op, const char *line, size_t len)
{
	char text[FUZZ_LINE_MAX], again[FUZZ_LINE_MAX], err[512];
	struct trace_op back;
	size_t n = trace_format_op_buf(op, text, sizeof text);

	if (n == 0 || n >= sizeof text || text[n - 1] != '\n')
		broken("trace_format_op_buf: no complete line", line, len);
	if (trace_parse_line(text, n - 1, op->line, false, &back, err, sizeof err) != 1)
		broken("the canonical form does not parse", text, n - 1);
	if (!ops_equal(op, &back))
		broken("the canonical form parses to another operation", text, n - 1);
	if (trace_format_op_buf(&back, again, sizeof again) != n || strcmp(text, again) != 0)
		broken("the canonical form is not canonical", text, n - 1);
}

/* LINE parsed alone gives what the reader gave (OP, or nothing). */
static void check_line_alone(const char *line, size_t len, uint64_t lineno, bool header_allowed,
			     const struct trace_op *op)
{
	struct trace_op alone;
	char err[512];
	int got = trace_parse_line(line, len, lineno, header_allowed, &alone, err, sizeof err);

	if (op == NULL ? got == 1 : got != 1 || !ops_equal(op, &alone))
		broken("the reader and trace_parse_line disagree", line, len);
}

/* An output event survives formatting and parsing. */
static void check_event(const char *line, size_t len)
{
	struct trace_event ev, back;
	char text[FUZZ_LINE_MAX], again[FUZZ_LINE_MAX];
	size_t n;

	if (trace_event_parse(line, len, &ev) != 1)
		return;
	n = trace_event_format_buf(&ev, text, sizeof text);
	if (n == 0 || n >= sizeof text || text[n - 1] != '\n')
		broken("trace_event_format_buf: no complete line", line, len);
	if (trace_event_parse(text, n - 1, &back) != 1)
		broken("a formatted event does not parse", text, n - 1);
	if (ev.kind != TEV_MAP && !trace_event_equal(&ev, &back))
		broken("a formatted event parses to another event", text, n - 1);
	if (trace_event_format_buf(&back, again, sizeof again) != n || strcmp(text, again) != 0)
		broken("a formatted event is not formatted the same twice", text, n - 1);
}

/* The reader over the whole input, each operation checked against its line. */
static void fuzz_reader(const char *buf, size_t size)
{
	struct trace_reader *r = trace_reader_from_buffer("fuzz", buf, size);
	const char *line = buf, *end = buf + size;
	uint64_t lineno = 0;
	bool header_allowed = true;
	struct trace_op op;
	int got;

	if (r == NULL)
		abort();
	while ((got = trace_next(r, &op)) == 1) {
		/* Lines before op.line were blank, comments, or the header. */
		while (lineno + 1 < op.line) {
			const char *nl = memchr(line, '\n', (size_t)(end - line));

			if (nl == NULL)
				broken("the reader counted lines past the end", line, 0);
			check_line_alone(line, (size_t)(nl - line), ++lineno, header_allowed, NULL);
			line = nl + 1;
		}
		{
			const char *nl = memchr(line, '\n', (size_t)(end - line));
			size_t len = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);

			check_line_alone(line, len, ++lineno, false, &op);
			check_canonical(&op, line, len);
			line = nl != NULL ? nl + 1 : end;
		}
		header_allowed = false;
	}
	if (got < 0) {
		const char *e = trace_reader_error(r);

		if (strncmp(e, "fuzz:", 5) != 0 || e[5] < '1' || e[5] > '9')
			broken("an error without FILE:LINE", e, strlen(e));
		if (trace_next(r, &op) != -1)
			broken("the reader went on after an error", e, strlen(e));
	}
	trace_reader_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *end = buf + size;

	fuzz_reader(buf, size);
	for (const char *line = buf; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl != NULL ? (size_t)(nl - line) : (size_t)(end - line);

		check_event(line, len);
		line += len + 1;
	}
	return 0;
}
