/*
 * trace.c - the trace reader: lexer, parser, canonical formatting, and the
 * pattern of the spec (shared/spec/trace-format.md).
 *
 * Speed is a requirement here, because `mvm replay` must keep up with
 * millions of one-page `touch` lines a second.  So the reader never copies
 * a line and never allocates per line: it reads the input in 1 MiB blocks,
 * finds each newline with memchr, splits the line in place into at most
 * TOKENS_MAX (pointer, length) tokens, and converts numbers with a
 * hand-written loop.  A trace_op is filled field by field; its 256-byte
 * name is only written when the operation has a NAME.
 *
 * Lines may be arbitrarily long (a megabyte of blanks, a huge comment).
 * When a partial line fills the buffer, the reader first compacts it
 * without changing its meaning -- a run of blanks becomes one space, and
 * everything after a `#` is dropped -- and grows the buffer only when the
 * remaining token text really needs it.  Memory therefore follows the size
 * of the tokens, not of the line.
 *
 * Strictness follows the spec and, where it is silent, what Linux tools
 * do with numbers and names: "0X10" (capital X), signs, and lowercase
 * suffixes are rejected; "0755" is decimal 755 (the spec knows only
 * decimal and 0x hex).  A `#` starts a comment wherever it appears, even
 * inside a token, since no valid token contains one.  A carriage return
 * is an ordinary character, so CRLF line endings make the last token
 * invalid; the message says so.
 */
#include "trace.h"
#include "trace_fmt.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---------------------------------------------------------------------- */
/* Names */

static const char *const kind_names[TRACE_KIND_COUNT] = {
	[TRACE_SPAWN] = "spawn",       [TRACE_FORK] = "fork",
	[TRACE_EXEC] = "exec",         [TRACE_EXIT] = "exit",
	[TRACE_MMAP] = "mmap",         [TRACE_MUNMAP] = "munmap",
	[TRACE_MPROTECT] = "mprotect", [TRACE_MADVISE] = "madvise",
	[TRACE_MSYNC] = "msync",       [TRACE_MAPS] = "maps",
	[TRACE_VMDUMP] = "vmdump",     [TRACE_WRITE] = "write",
	[TRACE_READ] = "read",         [TRACE_TOUCH] = "touch",
	[TRACE_PREAD] = "pread",       [TRACE_PWRITE] = "pwrite",
	[TRACE_FILE] = "file",         [TRACE_CHECK] = "check",
	[TRACE_STAT] = "stat",
};

static const char *const advice_names[] = {
	[TRACE_ADV_DONTNEED] = "dontneed", [TRACE_ADV_WILLNEED] = "willneed",
	[TRACE_ADV_PAGEOUT] = "pageout",   [TRACE_ADV_DONTFORK] = "dontfork",
	[TRACE_ADV_DOFORK] = "dofork",
};
#define ADVICE_COUNT (sizeof advice_names / sizeof advice_names[0])

const char *trace_kind_name(enum trace_kind kind)
{
	if ((unsigned)kind >= TRACE_KIND_COUNT)
		return "?";
	return kind_names[kind];
}

const char *trace_advice_name(enum trace_advice advice)
{
	if ((unsigned)advice >= ADVICE_COUNT)
		return "?";
	return advice_names[advice];
}

/* ---------------------------------------------------------------------- */
/* Tokens */

/* Enough for the longest line (mmap ... file NAME OFF: 9) plus one extra,
 * so that "unexpected X after the operation" can name the extra token. */
#define TOKENS_MAX 10

struct tok {
	const char *p;
	size_t n;
};

/* Character classes for the tokenizer: blank separates, # ends the line. */
enum { CH_WORD = 0, CH_BLANK = 1, CH_HASH = 2 };
static const unsigned char char_class[256] = {
	[' '] = CH_BLANK, ['\t'] = CH_BLANK, ['#'] = CH_HASH,
};

/* Splits S into tokens; returns how many (at most TOKENS_MAX: further
 * tokens are not needed, the extra one already makes the line bad). */
static int tokenize(const char *s, size_t len, struct tok *t)
{
	const char *p = s, *end = s + len;
	int n = 0;

	while (n < TOKENS_MAX) {
		while (p < end && char_class[(unsigned char)*p] == CH_BLANK)
			p++;
		if (p == end || *p == '#')
			break;
		const char *start = p;
		while (p < end && char_class[(unsigned char)*p] == CH_WORD)
			p++;
		t[n].p = start;
		t[n].n = (size_t)(p - start);
		n++;
	}
	return n;
}

static bool tok_is(const struct tok *t, const char *word, size_t wlen)
{
	return t->n == wlen && memcmp(t->p, word, wlen) == 0;
}
#define TOK_IS(t, lit) tok_is((t), lit, sizeof(lit) - 1)

/*
 * Writes TOKEN quoted for a message: non-printable bytes escaped, long
 * tokens cut, so that a binary or huge token never floods the terminal.
 */
static void quote_token(const struct tok *t, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, limit = 64;

	if (cap < 8) {
		if (cap)
			out[0] = '\0';
		return;
	}
	out[o++] = '"';
	for (size_t i = 0; i < t->n && i < limit && o + 6 < cap; i++) {
		unsigned char c = (unsigned char)t->p[i];
		if (c == '\r') {
			out[o++] = '\\';
			out[o++] = 'r';
		} else if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (t->n > limit && o + 5 < cap) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o++] = '"';
	out[o] = '\0';
}

/* ---------------------------------------------------------------------- */
/* Parser state for one line */

struct parse {
	const struct tok *t;
	int nt;
	int i;          /* next token */
	char *err;
	size_t errlen;
};

static int fail(struct parse *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (ps->errlen)
		vsnprintf(ps->err, ps->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* "expected WHAT, got TOKEN" (or "got end of line"), with a hint when the
 * token carries the carriage return of a DOS line ending. */
static int fail_expected(struct parse *ps, const char *what, const struct tok *t)
{
	char q[160];

	if (!t)
		return fail(ps, "expected %s, got end of line", what);
	quote_token(t, q, sizeof q);
	if (memchr(t->p, '\r', t->n))
		return fail(ps, "expected %s, got %s (a carriage return is not a "
			    "separator: convert CRLF line endings)", what, q);
	return fail(ps, "expected %s, got %s", what, q);
}

/* The next token, or NULL at the end of the line. */
static const struct tok *take(struct parse *ps)
{
	if (ps->i >= ps->nt)
		return NULL;
	return &ps->t[ps->i++];
}

/* ---------------------------------------------------------------------- */
/* Numbers */

static const signed char hex_value[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};	/* digit value + 1; 0 means "not a hex digit" */

enum num_result { NUM_OK, NUM_SYNTAX, NUM_OVERFLOW };

/* Converts the digits of P[0..N) in base 10 or 16 (no prefix, N > 0). */
static enum num_result convert_digits(const char *p, size_t n, bool hex, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0)
		return NUM_SYNTAX;
	if (hex) {
		bool overflow = false;
		for (size_t i = 0; i < n; i++) {
			int d = hex_value[(unsigned char)p[i]] - 1;
			if (d < 0)
				return NUM_SYNTAX;
			if (v >> 60)
				overflow = true;
			v = (v << 4) | (uint64_t)d;
		}
		if (overflow)
			return NUM_OVERFLOW;
	} else {
		bool overflow = false;
		for (size_t i = 0; i < n; i++) {
			unsigned d = (unsigned char)p[i] - (unsigned)'0';
			if (d > 9)
				return NUM_SYNTAX;
			if (v > (UINT64_MAX - d) / 10)
				overflow = true;
			v = v * 10 + d;
		}
		if (overflow)
			return NUM_OVERFLOW;
	}
	*out = v;
	return NUM_OK;
}

/* Decimal or 0x hex, with an optional K/M/G suffix when ALLOW_SUFFIX. */
static enum num_result convert_number(const struct tok *t, bool allow_suffix,
				      uint64_t *out, bool *had_suffix)
{
	const char *p = t->p;
	size_t n = t->n;
	unsigned shift = 0;
	enum num_result r;

	*had_suffix = false;
	if (n == 0)
		return NUM_SYNTAX;
	switch (p[n - 1]) {
	case 'K': shift = 10; break;
	case 'M': shift = 20; break;
	case 'G': shift = 30; break;
	default: break;
	}
	if (shift) {
		*had_suffix = true;
		n--;
	}
	if (n >= 2 && p[0] == '0' && p[1] == 'x')
		r = convert_digits(p + 2, n - 2, true, out);
	else
		r = convert_digits(p, n, false, out);
	if (r != NUM_OK)
		return r;
	if (shift && !allow_suffix)
		return NUM_SYNTAX;
	if (shift) {
		if (*out > (UINT64_MAX >> shift))
			return NUM_OVERFLOW;
		*out <<= shift;
	}
	return NUM_OK;
}

static int fail_overflow(struct parse *ps, const struct tok *t)
{
	char q[160];

	quote_token(t, q, sizeof q);
	/* Print the number as written, without the quotes. */
	size_t ql = strlen(q);
	q[ql - 1] = '\0';
	return fail(ps, "number %s does not fit in 64 bits", q + 1);
}

/* A number operand called WHAT (e.g. "ADDR"); SIZED: LEN or SIZE. */
static int take_number(struct parse *ps, const char *what, bool sized, uint64_t *out)
{
	const struct tok *t = take(ps);
	char desc[96];
	bool had_suffix = false;

	if (t) {
		switch (convert_number(t, sized, out, &had_suffix)) {
		case NUM_OK:
			return 0;
		case NUM_OVERFLOW:
			return fail_overflow(ps, t);
		case NUM_SYNTAX:
			break;
		}
	}
	snprintf(desc, sizeof desc, "%s (a number)", what);
	if (had_suffix && !sized) {
		uint64_t ignored;
		bool s2;
		if (convert_number(t, true, &ignored, &s2) != NUM_SYNTAX) {
			snprintf(desc, sizeof desc,
				 "%s (a number; K, M and G suffixes are only for "
				 "LEN and SIZE)", what);
		}
	}
	return fail_expected(ps, desc, t);
}

/* A process id: positive decimal, no suffix, no hex. */
static int convert_pid(struct parse *ps, const struct tok *t, const char *what,
		       uint64_t *out)
{
	char desc[96];

	switch (convert_digits(t->p, t->n, false, out)) {
	case NUM_OK:
		if (*out != 0)
			return 0;
		break;
	case NUM_OVERFLOW:
		return fail_overflow(ps, t);
	case NUM_SYNTAX:
		break;
	}
	snprintf(desc, sizeof desc, "%s (a positive decimal number)", what);
	return fail_expected(ps, desc, t);
}

/* ---------------------------------------------------------------------- */
/* Other operands */

static int take_prot(struct parse *ps, uint8_t *prot)
{
	const struct tok *t = take(ps);
	static const char *const what = "PROT (like rw-)";

	if (!t || t->n != 3)
		return fail_expected(ps, what, t);
	uint8_t v = 0;
	if (t->p[0] == 'r')
		v |= TRACE_PROT_R;
	else if (t->p[0] != '-')
		return fail_expected(ps, what, t);
	if (t->p[1] == 'w')
		v |= TRACE_PROT_W;
	else if (t->p[1] != '-')
		return fail_expected(ps, what, t);
	if (t->p[2] == 'x')
		v |= TRACE_PROT_X;
	else if (t->p[2] != '-')
		return fail_expected(ps, what, t);
	*prot = v;
	return 0;
}

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

static int take_name(struct parse *ps, char *name)
{
	const struct tok *t = take(ps);
	static const char *const what =
		"NAME ([A-Za-z0-9._-], not . or .., at most 255 characters)";

	if (!t || t->n > TRACE_NAME_MAX || TOK_IS(t, ".") || TOK_IS(t, ".."))
		return fail_expected(ps, what, t);
	for (size_t i = 0; i < t->n; i++)
		if (!name_char((unsigned char)t->p[i]))
			return fail_expected(ps, what, t);
	memcpy(name, t->p, t->n);
	name[t->n] = '\0';
	return 0;
}

static int take_sharing(struct parse *ps, bool *shared)
{
	const struct tok *t = take(ps);

	if (t && TOK_IS(t, "private"))
		*shared = false;
	else if (t && TOK_IS(t, "shared"))
		*shared = true;
	else
		return fail_expected(ps, "SHARING (private or shared)", t);
	return 0;
}

static int take_advice(struct parse *ps, enum trace_advice *advice)
{
	const struct tok *t = take(ps);

	for (size_t a = 0; t && a < ADVICE_COUNT; a++) {
		if (tok_is(t, advice_names[a], strlen(advice_names[a]))) {
			*advice = (enum trace_advice)a;
			return 0;
		}
	}
	return fail_expected(ps, "ADVICE (dontneed, willneed, pageout, "
			     "dontfork or dofork)", t);
}

static int take_mode(struct parse *ps, bool *write)
{
	const struct tok *t = take(ps);

	if (t && TOK_IS(t, "r"))
		*write = false;
	else if (t && TOK_IS(t, "w"))
		*write = true;
	else
		return fail_expected(ps, "MODE (r or w)", t);
	return 0;
}

static int take_range(struct parse *ps, struct trace_op *op)
{
	if (take_number(ps, "ADDR", false, &op->addr) < 0)
		return -1;
	return take_number(ps, "LEN", true, &op->len);
}

static int take_mmap(struct parse *ps, struct trace_op *op)
{
	if (take_range(ps, op) < 0 || take_prot(ps, &op->prot) < 0 ||
	    take_sharing(ps, &op->shared) < 0)
		return -1;
	const struct tok *t = take(ps);
	if (t && TOK_IS(t, "anon"))
		return 0;
	if (!t || !TOK_IS(t, "file"))
		return fail_expected(ps, "anon or file", t);
	op->file = true;
	if (take_name(ps, op->name) < 0)
		return -1;
	return take_number(ps, "OFF", false, &op->off);
}

/* ---------------------------------------------------------------------- */
/* Lines */

/* Process operations, most frequent first (touch dominates replays). */
static const enum trace_kind process_ops[] = {
	TRACE_TOUCH, TRACE_READ, TRACE_WRITE, TRACE_MMAP, TRACE_MUNMAP,
	TRACE_MPROTECT, TRACE_MADVISE, TRACE_MSYNC, TRACE_FORK, TRACE_SPAWN,
	TRACE_EXEC, TRACE_EXIT, TRACE_MAPS, TRACE_VMDUMP, TRACE_PREAD,
	TRACE_PWRITE,
};
#define PROCESS_OP_COUNT (sizeof process_ops / sizeof process_ops[0])

static int lookup_process_op(const struct tok *t, enum trace_kind *kind)
{
	if (t->n < 4 || t->n > 8)
		return -1;
	for (size_t i = 0; i < PROCESS_OP_COUNT; i++) {
		const char *name = kind_names[process_ops[i]];
		/* strnlen stops at the token's length: no read past NAME. */
		if (name[0] == t->p[0] && strnlen(name, t->n + 1) == t->n &&
		    memcmp(t->p, name, t->n) == 0) {
			*kind = process_ops[i];
			return 0;
		}
	}
	return -1;
}

static int parse_operands(struct parse *ps, struct trace_op *op)
{
	switch (op->kind) {
	case TRACE_SPAWN:
	case TRACE_EXEC:
	case TRACE_EXIT:
	case TRACE_MAPS:
	case TRACE_VMDUMP:
	case TRACE_CHECK:
	case TRACE_STAT:
		return 0;
	case TRACE_FORK: {
		const struct tok *t = take(ps);
		if (!t)
			return fail_expected(ps, "child process id C (a positive "
					     "decimal number)", NULL);
		return convert_pid(ps, t, "child process id C", &op->child);
	}
	case TRACE_MMAP:
		return take_mmap(ps, op);
	case TRACE_MUNMAP:
	case TRACE_MSYNC:
	case TRACE_READ:
		return take_range(ps, op);
	case TRACE_MPROTECT:
		if (take_range(ps, op) < 0)
			return -1;
		return take_prot(ps, &op->prot);
	case TRACE_MADVISE:
		if (take_range(ps, op) < 0)
			return -1;
		return take_advice(ps, &op->advice);
	case TRACE_WRITE:
		if (take_range(ps, op) < 0)
			return -1;
		return take_number(ps, "SEED", false, &op->seed);
	case TRACE_TOUCH:
		if (take_range(ps, op) < 0)
			return -1;
		return take_mode(ps, &op->touch_write);
	case TRACE_PREAD:
		if (take_name(ps, op->name) < 0 ||
		    take_number(ps, "OFF", false, &op->off) < 0)
			return -1;
		return take_number(ps, "LEN", true, &op->len);
	case TRACE_PWRITE:
		if (take_name(ps, op->name) < 0 ||
		    take_number(ps, "OFF", false, &op->off) < 0 ||
		    take_number(ps, "LEN", true, &op->len) < 0)
			return -1;
		return take_number(ps, "SEED", false, &op->seed);
	case TRACE_FILE:
		if (take_name(ps, op->name) < 0 ||
		    take_number(ps, "SIZE", true, &op->len) < 0)
			return -1;
		/* A size no executor may create is the trace's fault, not a
		 * runtime errno: `file` has no process to report one to. */
		if (op->len > TRACE_FILE_SIZE_MAX)
			return fail(ps, "file SIZE 0x%llx is more than a file may hold "
				    "(2^40 bytes)", (unsigned long long)op->len);
		return take_number(ps, "SEED", false, &op->seed);
	case TRACE_KIND_COUNT:
		break;
	}
	return fail(ps, "internal error: unknown kind");
}

/* The header line, `mvm-trace 1`.  Returns 2 when accepted. */
static int parse_header(struct parse *ps, bool header_allowed)
{
	uint64_t version;

	if (!header_allowed)
		return fail(ps, "the header \"mvm-trace 1\" is allowed only as the "
			    "first line that is not blank or a comment");
	if (take_number(ps, "trace format version", false, &version) < 0)
		return -1;
	if (version != 1)
		return fail(ps, "unsupported trace version %llu",
			    (unsigned long long)version);
	return 2;
}

/* Sets every field an operation may use to its empty value.  The name is
 * cleared by its first byte only: copying 256 bytes per touch line would
 * cost more than parsing it. */
static void op_reset(struct trace_op *op, uint64_t line)
{
	memset(op, 0, offsetof(struct trace_op, name));
	op->name[0] = '\0';
	op->line = line;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* First token is not a process id: a global keyword or the header. */
static int parse_global(struct parse *ps, const struct tok *first,
			bool header_allowed, struct trace_op *op)
{
	enum trace_kind kind;
	char q[160];

	if (TOK_IS(first, "mvm-trace"))
		return parse_header(ps, header_allowed);
	if (TOK_IS(first, "file"))
		op->kind = TRACE_FILE;
	else if (TOK_IS(first, "check"))
		op->kind = TRACE_CHECK;
	else if (TOK_IS(first, "stat"))
		op->kind = TRACE_STAT;
	else if (lookup_process_op(first, &kind) == 0)
		return fail(ps, "expected a process id before \"%s\"",
			    kind_names[kind]);
	else if (first->n && (first->p[0] == '-' || first->p[0] == '+') &&
		 first->n > 1 && is_digit(first->p[1]))
		return fail_expected(ps, "a process id (a positive decimal number)",
				     first);
	else {
		quote_token(first, q, sizeof q);
		return fail(ps, "unknown operation %s%s", q,
			    memchr(first->p, '\r', first->n)
				    ? " (a carriage return is not a separator: "
				      "convert CRLF line endings)"
				    : "");
	}
	return 1;
}

static int parse_tokens(const struct tok *t, int nt, uint64_t line,
			bool header_allowed, struct trace_op *op,
			char *err, size_t errlen)
{
	struct parse ps = { .t = t, .nt = nt, .i = 0, .err = err, .errlen = errlen };
	const struct tok *first;
	int rc = 1;

	if (nt == 0)
		return 0;
	op_reset(op, line);
	first = take(&ps);
	if (!is_digit(first->p[0])) {
		rc = parse_global(&ps, first, header_allowed, op);
		if (rc < 0)
			return rc;
	} else {
		if (convert_pid(&ps, first, "a process id", &op->pid) < 0)
			return -1;
		const struct tok *opt = take(&ps);
		if (!opt)
			return fail(&ps, "expected an operation after process id "
				    "%llu, got end of line",
				    (unsigned long long)op->pid);
		if (lookup_process_op(opt, &op->kind) < 0) {
			char q[160];
			quote_token(opt, q, sizeof q);
			return fail(&ps, "unknown operation %s%s", q,
				    memchr(opt->p, '\r', opt->n)
					    ? " (a carriage return is not a "
					      "separator: convert CRLF line endings)"
					    : "");
		}
	}
	if (rc == 1 && parse_operands(&ps, op) < 0)
		return -1;
	if (ps.i < ps.nt) {
		char q[160];
		quote_token(&ps.t[ps.i], q, sizeof q);
		return fail(&ps, "unexpected %s after the operation%s", q,
			    memchr(ps.t[ps.i].p, '\r', ps.t[ps.i].n)
				    ? " (a carriage return is not a separator: "
				      "convert CRLF line endings)"
				    : "");
	}
	return rc;
}

/* As trace_parse_line, but returns 2 for an accepted header. */
static int parse_line(const char *text, size_t len, uint64_t line,
		      bool header_allowed, struct trace_op *op,
		      char *err, size_t errlen)
{
	struct tok t[TOKENS_MAX];
	int nt = tokenize(text, len, t);

	return parse_tokens(t, nt, line, header_allowed, op, err, errlen);
}

int trace_parse_line(const char *text, size_t len, uint64_t line,
		     bool header_allowed, struct trace_op *op,
		     char *err, size_t errlen)
{
	int rc = parse_line(text, len, line, header_allowed, op, err, errlen);

	return rc == 2 ? 0 : rc;
}

/* ---------------------------------------------------------------------- */
/* Reader */

#define READ_BLOCK ((size_t)1 << 20)

struct trace_reader {
	int fd;             /* -1 for an in-memory buffer */
	bool own_fd;
	bool eof;
	bool failed;
	bool seen_line;     /* a non-comment line was seen: no header now */
	char *buf;
	size_t cap, start, end; /* unconsumed data is buf[start..end) */
	uint64_t line;      /* lines consumed so far */
	char *display;      /* FILE in error messages */
	char err[512];
};

static void reader_error(struct trace_reader *r, uint64_t line, const char *msg)
{
	snprintf(r->err, sizeof r->err, "%s:%llu: %s", r->display,
		 (unsigned long long)line, msg);
	r->failed = true;
}

static struct trace_reader *reader_new(const char *display, size_t cap)
{
	struct trace_reader *r = calloc(1, sizeof *r);

	if (!r)
		return NULL;
	r->display = strdup(display);
	r->buf = malloc(cap ? cap : 1);
	if (!r->display || !r->buf) {
		free(r->display);
		free(r->buf);
		free(r);
		return NULL;
	}
	r->cap = cap ? cap : 1;
	r->fd = -1;
	return r;
}

struct trace_reader *trace_reader_open(const char *path, char *err, size_t errlen)
{
	bool is_stdin = strcmp(path, "-") == 0;
	int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	struct trace_reader *r;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return NULL;
	}
	r = reader_new(is_stdin ? "<stdin>" : path, READ_BLOCK);
	if (!r) {
		if (!is_stdin)
			close(fd);
		snprintf(err, errlen, "cannot open %s: out of memory", path);
		return NULL;
	}
	r->fd = fd;
	r->own_fd = !is_stdin;
	return r;
}

struct trace_reader *trace_reader_from_buffer(const char *display_name,
					      const char *buf, size_t len)
{
	struct trace_reader *r = reader_new(display_name, len);

	if (!r)
		return NULL;
	memcpy(r->buf, buf, len);
	r->end = len;
	r->eof = true;
	return r;
}

void trace_reader_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->own_fd)
		close(r->fd);
	free(r->buf);
	free(r->display);
	free(r);
}

const char *trace_reader_error(const struct trace_reader *r)
{
	return r->err;
}

/*
 * Shrinks the partial line buf[0..end) without changing how it parses:
 * blank runs become one space, and a comment keeps only its `#`.
 */
static void compact_partial_line(struct trace_reader *r)
{
	size_t o = 0;
	bool in_blank = false;

	for (size_t i = 0; i < r->end; i++) {
		char c = r->buf[i];
		if (c == '#') {
			r->buf[o++] = '#';
			break;
		}
		if (c == ' ' || c == '\t') {
			if (!in_blank)
				r->buf[o++] = ' ';
			in_blank = true;
		} else {
			r->buf[o++] = c;
			in_blank = false;
		}
	}
	r->end = o;
}

/* Makes room and reads more input.  Returns 0, or -1 on error. */
static int refill(struct trace_reader *r)
{
	if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->end == r->cap) {
		compact_partial_line(r);
		if (r->end > r->cap / 2) {
			char *nb = r->cap > SIZE_MAX / 2 ? NULL : realloc(r->buf, r->cap * 2);
			if (!nb) {
				reader_error(r, r->line + 1, "line too long: out of memory");
				return -1;
			}
			r->buf = nb;
			r->cap *= 2;
		}
	}
	for (;;) {
		ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n > 0) {
			r->end += (size_t)n;
			return 0;
		}
		if (n == 0) {
			r->eof = true;
			return 0;
		}
		if (errno != EINTR) {
			char msg[300];
			snprintf(msg, sizeof msg, "read error: %s", strerror(errno));
			reader_error(r, r->line + 1, msg);
			return -1;
		}
	}
}

int trace_next(struct trace_reader *r, struct trace_op *op)
{
	char msg[400];

	if (r->failed)
		return -1;
	for (;;) {
		char *s = r->buf + r->start;
		size_t avail = r->end - r->start, len;
		char *nl = memchr(s, '\n', avail);

		if (nl) {
			len = (size_t)(nl - s);
			r->start += len + 1;
		} else if (r->eof) {
			if (avail == 0)
				return 0;
			len = avail;
			r->start = r->end;
		} else {
			if (refill(r) < 0)
				return -1;
			continue;
		}
		r->line++;
		int rc = parse_line(s, len, r->line, !r->seen_line, op, msg, sizeof msg);
		if (rc == 0)
			continue;
		r->seen_line = true;
		if (rc == 2)
			continue;
		if (rc < 0) {
			reader_error(r, r->line, msg);
			return -1;
		}
		return 1;
	}
}

/* ---------------------------------------------------------------------- */
/* Canonical formatting */

/* Longest canonical line: pid, mmap, two numbers, prot, sharing, file,
 * a 255-byte name and an offset; 512 leaves a wide margin. */
#define LINE_MAX_CANON 512

/* Formats into TMP (LINE_MAX_CANON bytes); returns the length. */
static size_t format_op(const struct trace_op *op, char *tmp)
{
	struct trace_out o = { tmp, 0 };

	switch (op->kind) {
	case TRACE_FILE:
	case TRACE_CHECK:
	case TRACE_STAT:
		trace_put_str(&o, kind_names[op->kind]);
		break;
	default:
		trace_put_u64(&o, op->pid);
		trace_put_word(&o, trace_kind_name(op->kind));
		break;
	}
	switch (op->kind) {
	case TRACE_FORK:
		trace_put_dec(&o, op->child);
		break;
	case TRACE_MMAP:
		trace_put_hex(&o, op->addr);
		trace_put_hex(&o, op->len);
		trace_put_prot(&o, op->prot);
		trace_put_word(&o, op->shared ? "shared" : "private");
		if (op->file) {
			trace_put_word(&o, "file");
			trace_put_word(&o, op->name);
			trace_put_hex(&o, op->off);
		} else {
			trace_put_word(&o, "anon");
		}
		break;
	case TRACE_MUNMAP:
	case TRACE_MSYNC:
	case TRACE_READ:
		trace_put_hex(&o, op->addr);
		trace_put_hex(&o, op->len);
		break;
	case TRACE_MPROTECT:
		trace_put_hex(&o, op->addr);
		trace_put_hex(&o, op->len);
		trace_put_prot(&o, op->prot);
		break;
	case TRACE_MADVISE:
		trace_put_hex(&o, op->addr);
		trace_put_hex(&o, op->len);
		trace_put_word(&o, trace_advice_name(op->advice));
		break;
	case TRACE_WRITE:
		trace_put_hex(&o, op->addr);
		trace_put_hex(&o, op->len);
		trace_put_dec(&o, op->seed);
		break;
	case TRACE_TOUCH:
		trace_put_hex(&o, op->addr);
		trace_put_hex(&o, op->len);
		trace_put_word(&o, op->touch_write ? "w" : "r");
		break;
	case TRACE_PREAD:
		trace_put_word(&o, op->name);
		trace_put_hex(&o, op->off);
		trace_put_hex(&o, op->len);
		break;
	case TRACE_PWRITE:
		trace_put_word(&o, op->name);
		trace_put_hex(&o, op->off);
		trace_put_hex(&o, op->len);
		trace_put_dec(&o, op->seed);
		break;
	case TRACE_FILE:
		trace_put_word(&o, op->name);
		trace_put_hex(&o, op->len);
		trace_put_dec(&o, op->seed);
		break;
	default:
		break;
	}
	return trace_put_end(&o);
}

void trace_format_op(const struct trace_op *op, FILE *out)
{
	char tmp[LINE_MAX_CANON];
	size_t n = format_op(op, tmp);

	fwrite(tmp, 1, n, out);
}

/* Like snprintf: the result is cut to fit CAP (always terminated when CAP
 * is not zero) and the full length is returned. */
size_t trace_format_op_buf(const struct trace_op *op, char *buf, size_t cap)
{
	char tmp[LINE_MAX_CANON];
	size_t n = format_op(op, tmp);

	return trace_line_copy(tmp, n, buf, cap);
}

/* ---------------------------------------------------------------------- */
/* Pattern */

uint64_t trace_splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void store_le64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &v, 8);
#else
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
#endif
}

/*
 * One splitmix64 per 8-byte word of positions, not per byte: the ragged
 * head and tail take bytes out of their word, the middle stores whole
 * words.  Positions wrap modulo 2^64 like the spec's arithmetic.
 */
void trace_pattern_fill(uint64_t seed, uint64_t a, uint8_t *buf, size_t len)
{
	if (len && (a & 7)) {
		uint64_t w = trace_splitmix64(seed ^ (a & ~(uint64_t)7));
		for (unsigned k = (unsigned)(a & 7); k < 8 && len; k++, len--) {
			*buf++ = (uint8_t)(w >> (8 * k));
			a++;
		}
	}
	while (len >= 8) {
		store_le64(buf, trace_splitmix64(seed ^ a));
		buf += 8;
		a += 8;
		len -= 8;
	}
	if (len) {
		uint64_t w = trace_splitmix64(seed ^ a);
		for (unsigned k = 0; k < len; k++)
			buf[k] = (uint8_t)(w >> (8 * k));
	}
}

/* Host files are written through one buffer of this size, made on first
 * use and kept: `file` and `pwrite` lines may come by the thousand. */
#define PATTERN_CHUNK ((size_t)1 << 20)

bool trace_pattern_write_fd(int fd, uint64_t seed, uint64_t off, uint64_t len)
{
	static uint8_t *buf;

	if (buf == NULL && (buf = malloc(PATTERN_CHUNK)) == NULL)
		return false;
	while (len > 0) {
		size_t n = len < PATTERN_CHUNK ? (size_t)len : PATTERN_CHUNK;

		trace_pattern_fill(seed, off, buf, n);
		for (size_t done = 0; done < n;) {
			ssize_t w = pwrite(fd, buf + done, n - done, (off_t)(off + done));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				return false;
			done += (size_t)w;
		}
		off += n;
		len -= n;
	}
	return true;
}

const char *trace_reader_name(const struct trace_reader *r)
{
	return r->display;
}
