/*
 * trace_event.c - the output lines of a replay (spec, "Output"): one
 * formatter that every executor prints with, the inverse parser that
 * comparators read with, and the comparison of two `maps` listings.
 *
 * Formatting is exact and hand-rolled (no printf, trace_fmt.h, the writer
 * the operation formatter of trace.c uses too) because a replay may
 * print one `read` line per operation for millions of operations.  The
 * parser is strict -- lowercase 0x hex, 16-digit hashes, decimal pids --
 * so that an executor that drifts from the spec's spelling is caught by
 * the comparator rather than silently normalised.
 *
 * Two systems may keep the same memory in different numbers of map
 * entries (one merges neighbours, the other does not), and the spec
 * makes the entry count visible.  trace_maps_compare therefore compares
 * content: it folds each listing into maximal runs of pages that agree in
 * protection, sharing and backing, with file offsets running on, and
 * compares the runs.  Adjacent anonymous lines with the same attributes
 * fold together whether private or shared: a `map` line does not name the
 * shared object, so which object a shared page belongs to is not part of
 * its content, and an entry split only by something the line does not
 * show (dontfork) must compare equal to the same memory unsplit.
 */
#include "trace.h"
#include "trace_fmt.h"

#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Formatting */

/* Room for the longest line: a map line with a 255-byte name. */
#define EVENT_LINE_MAX 512

static size_t format_event(const struct trace_event *ev, char *tmp)
{
	struct trace_out o = { tmp, 0 };

	trace_put_u64(&o, ev->pid);
	switch (ev->kind) {
	case TEV_READ:
		trace_put_word(&o, "read");
		trace_put_hex(&o, ev->addr);
		trace_put_hex(&o, ev->len);
		trace_put_hash(&o, ev->hash);
		break;
	case TEV_PREAD:
		trace_put_word(&o, "pread");
		trace_put_word(&o, ev->name);
		trace_put_hex(&o, ev->off);
		trace_put_hex(&o, ev->len);
		trace_put_hash(&o, ev->hash);
		break;
	case TEV_SEGV:
		trace_put_word(&o, "segv");
		trace_put_hex(&o, ev->addr);
		break;
	case TEV_SIGBUS:
		trace_put_word(&o, "sigbus");
		trace_put_hex(&o, ev->addr);
		break;
	case TEV_KILLED:
		trace_put_word(&o, "killed");
		trace_put_word(&o, ev->word ? ev->word : "?");
		break;
	case TEV_ERROR:
		trace_put_word(&o, trace_kind_name(ev->op));
		trace_put_word(&o, "error");
		trace_put_word(&o, ev->word ? ev->word : "?");
		break;
	case TEV_MAP:
		trace_put_word(&o, "map");
		trace_put_hex(&o, ev->addr);
		trace_put_hex(&o, ev->end);
		trace_put_prot(&o, ev->prot);
		trace_put_word(&o, ev->shared ? "shared" : "private");
		if (ev->file) {
			trace_put_word(&o, "file");
			trace_put_word(&o, ev->name);
			trace_put_hex(&o, ev->off);
		} else {
			trace_put_word(&o, "anon");
		}
		break;
	}
	return trace_put_end(&o);
}

void trace_event_format(const struct trace_event *ev, FILE *out)
{
	char tmp[EVENT_LINE_MAX];
	size_t n = format_event(ev, tmp);

	fwrite(tmp, 1, n, out);
}

/* Like snprintf: cut to fit CAP, full length returned. */
size_t trace_event_format_buf(const struct trace_event *ev, char *buf, size_t cap)
{
	char tmp[EVENT_LINE_MAX];
	size_t n = format_event(ev, tmp);

	return trace_line_copy(tmp, n, buf, cap);
}

/* ---------------------------------------------------------------------- */
/* Parsing */

#define EV_TOKENS_MAX 10

struct tok {
	const char *p;
	size_t n;
};

static int split(const char *s, size_t len, struct tok *t)
{
	size_t i = 0;
	int n = 0;

	while (i < len) {
		while (i < len && (s[i] == ' ' || s[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == EV_TOKENS_MAX)
			return -1;
		t[n].p = s + i;
		while (i < len && s[i] != ' ' && s[i] != '\t')
			i++;
		t[n].n = (size_t)(s + i - t[n].p);
		n++;
	}
	return n;
}

static bool tok_is(const struct tok *t, const char *w)
{
	size_t l = strlen(w);
	return t->n == l && memcmp(t->p, w, l) == 0;
}

/* Positive decimal without leading zeros, as the formatter writes it. */
static bool parse_pid(const struct tok *t, uint64_t *out)
{
	uint64_t v = 0;

	if (t->n == 0 || t->n > 20 || t->p[0] == '0')
		return false;
	for (size_t i = 0; i < t->n; i++) {
		unsigned d = (unsigned char)t->p[i] - (unsigned)'0';
		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* "0x" and 1..16 lowercase hex digits, no leading zeros (but "0x0"). */
static bool parse_hex(const struct tok *t, uint64_t *out)
{
	uint64_t v = 0;

	if (t->n < 3 || t->n > 18 || t->p[0] != '0' || t->p[1] != 'x')
		return false;
	if (t->p[2] == '0' && t->n > 3)
		return false;
	for (size_t i = 2; i < t->n; i++) {
		int d = hex_digit(t->p[i]);
		if (d < 0)
			return false;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return true;
}

static bool parse_hash(const struct tok *t, uint64_t *out)
{
	uint64_t v = 0;

	if (t->n != 16)
		return false;
	for (size_t i = 0; i < 16; i++) {
		int d = hex_digit(t->p[i]);
		if (d < 0)
			return false;
		v = (v << 4) | (uint64_t)d;
	}
	*out = v;
	return true;
}

static bool parse_name(const struct tok *t, char *name)
{
	if (t->n == 0 || t->n > TRACE_NAME_MAX || tok_is(t, ".") || tok_is(t, ".."))
		return false;
	for (size_t i = 0; i < t->n; i++) {
		char c = t->p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	memcpy(name, t->p, t->n);
	name[t->n] = '\0';
	return true;
}

static bool parse_prot(const struct tok *t, uint8_t *prot)
{
	if (t->n != 3)
		return false;
	*prot = 0;
	if (t->p[0] == 'r')
		*prot |= TRACE_PROT_R;
	else if (t->p[0] != '-')
		return false;
	if (t->p[1] == 'w')
		*prot |= TRACE_PROT_W;
	else if (t->p[1] != '-')
		return false;
	if (t->p[2] == 'x')
		*prot |= TRACE_PROT_X;
	else if (t->p[2] != '-')
		return false;
	return true;
}

/*
 * Words of `killed` and `error` lines live in static storage, as the
 * interface promises: the usual ones in a table, others interned in a
 * small pool (a comparator sees few distinct words).
 */
static const char *const known_words[] = {
	"oom", "io", "EINVAL", "ENOENT", "EOVERFLOW", "ENOMEM", "EIO",
	"EACCES", "EFAULT", "EFBIG", "ENOSPC", "EPERM", "EAGAIN", "EBUSY",
	"EEXIST", "ENODEV", "ENXIO", "EBADF", "EMFILE", "ENFILE",
};
#define WORD_POOL 64
#define WORD_MAX 32
static char word_pool[WORD_POOL][WORD_MAX + 1];
static size_t word_pool_used;

static const char *intern_word(const struct tok *t)
{
	for (size_t i = 0; i < sizeof known_words / sizeof known_words[0]; i++)
		if (tok_is(t, known_words[i]))
			return known_words[i];
	if (t->n == 0 || t->n > WORD_MAX)
		return NULL;
	for (size_t i = 0; i < t->n; i++) {
		char c = t->p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return NULL;
	}
	for (size_t i = 0; i < word_pool_used; i++)
		if (tok_is(t, word_pool[i]))
			return word_pool[i];
	if (word_pool_used == WORD_POOL)
		return NULL;
	memcpy(word_pool[word_pool_used], t->p, t->n);
	word_pool[word_pool_used][t->n] = '\0';
	return word_pool[word_pool_used++];
}

static bool lookup_kind(const struct tok *t, enum trace_kind *kind)
{
	for (int k = 0; k < TRACE_KIND_COUNT; k++) {
		if (tok_is(t, trace_kind_name((enum trace_kind)k))) {
			*kind = (enum trace_kind)k;
			return true;
		}
	}
	return false;
}

static bool parse_map(const struct tok *t, int n, struct trace_event *ev)
{
	ev->kind = TEV_MAP;
	if (n != 7 && n != 9)
		return false;
	if (!parse_hex(&t[2], &ev->addr) || !parse_hex(&t[3], &ev->end) ||
	    !parse_prot(&t[4], &ev->prot))
		return false;
	if (tok_is(&t[5], "shared"))
		ev->shared = true;
	else if (!tok_is(&t[5], "private"))
		return false;
	if (n == 7)
		return tok_is(&t[6], "anon");
	ev->file = true;
	return tok_is(&t[6], "file") && parse_name(&t[7], ev->name) &&
	       parse_hex(&t[8], &ev->off);
}

static bool parse_tokens(const struct tok *t, int n, struct trace_event *ev)
{
	if (n < 3 || !parse_pid(&t[0], &ev->pid))
		return false;
	if (n == 4 && tok_is(&t[2], "error")) {
		/* First: "P pread error ENOENT" is not a pread result. */
		ev->kind = TEV_ERROR;
		return lookup_kind(&t[1], &ev->op) &&
		       (ev->word = intern_word(&t[3])) != NULL;
	}
	if (tok_is(&t[1], "read")) {
		ev->kind = TEV_READ;
		return n == 5 && parse_hex(&t[2], &ev->addr) &&
		       parse_hex(&t[3], &ev->len) && parse_hash(&t[4], &ev->hash);
	}
	if (tok_is(&t[1], "pread")) {
		ev->kind = TEV_PREAD;
		return n == 6 && parse_name(&t[2], ev->name) &&
		       parse_hex(&t[3], &ev->off) && parse_hex(&t[4], &ev->len) &&
		       parse_hash(&t[5], &ev->hash);
	}
	if (tok_is(&t[1], "segv") || tok_is(&t[1], "sigbus")) {
		ev->kind = tok_is(&t[1], "segv") ? TEV_SEGV : TEV_SIGBUS;
		return n == 3 && parse_hex(&t[2], &ev->addr);
	}
	if (tok_is(&t[1], "killed")) {
		ev->kind = TEV_KILLED;
		return n == 3 && (ev->word = intern_word(&t[2])) != NULL;
	}
	if (tok_is(&t[1], "map"))
		return parse_map(t, n, ev);
	return false;
}

int trace_event_parse(const char *text, size_t len, struct trace_event *ev)
{
	struct tok t[EV_TOKENS_MAX];
	size_t i = 0;
	int n;

	while (i < len && (text[i] == ' ' || text[i] == '\t'))
		i++;
	if (i == len || text[i] == '#')
		return 0;
	memset(ev, 0, sizeof *ev);
	n = split(text, len, t);
	if (n < 0)
		return -1;
	return parse_tokens(t, n, ev) ? 1 : -1;
}

/* ---------------------------------------------------------------------- */
/* Comparison */

static bool words_equal(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

bool trace_event_equal(const struct trace_event *a, const struct trace_event *b)
{
	bool any_hash = a->hash_unspecified || b->hash_unspecified;

	if (a->kind != b->kind || a->pid != b->pid)
		return false;
	switch (a->kind) {
	case TEV_READ:
		return a->addr == b->addr && a->len == b->len &&
		       (any_hash || a->hash == b->hash);
	case TEV_PREAD:
		return strcmp(a->name, b->name) == 0 && a->off == b->off &&
		       a->len == b->len && (any_hash || a->hash == b->hash);
	case TEV_SEGV:
	case TEV_SIGBUS:
		return a->addr == b->addr;
	case TEV_KILLED:
		return words_equal(a->word, b->word);
	case TEV_ERROR:
		return a->op == b->op && words_equal(a->word, b->word);
	case TEV_MAP:
		/* Exact, entry for entry; content is trace_maps_compare's job. */
		return a->addr == b->addr && a->end == b->end &&
		       a->prot == b->prot && a->shared == b->shared &&
		       a->file == b->file &&
		       (!a->file || (a->off == b->off && strcmp(a->name, b->name) == 0));
	}
	return false;
}

/* A maximal run of pages with the same attributes. */
struct run {
	const struct trace_event *first; /* attributes (and name) */
	uint64_t start, end, off;
};

static bool same_attributes(const struct trace_event *a, const struct trace_event *b)
{
	return a->prot == b->prot && a->shared == b->shared && a->file == b->file &&
	       (!a->file || strcmp(a->name, b->name) == 0);
}

/* Whether EV continues RUN: adjacent, same attributes, file offsets
 * running on. */
static bool continues(const struct run *run, const struct trace_event *ev)
{
	if (ev->addr != run->end || !same_attributes(run->first, ev))
		return false;
	if (ev->file)
		return ev->off == run->off + (run->end - run->start);
	return true;
}

/*
 * Takes the next run out of LIST starting at *I.  Returns false when the
 * list has a line that is empty, inverted, or not after its predecessor
 * (then *BAD is that line's index).
 */
static bool next_run(const struct trace_event *list, size_t n, size_t *i,
		     struct run *run, size_t *bad)
{
	const struct trace_event *ev = &list[*i];

	if (ev->end <= ev->addr || (*i > 0 && ev->addr < list[*i - 1].end)) {
		*bad = *i;
		return false;
	}
	run->first = ev;
	run->start = ev->addr;
	run->end = ev->end;
	run->off = ev->off;
	for ((*i)++; *i < n; (*i)++) {
		ev = &list[*i];
		if (ev->end <= ev->addr || ev->addr < list[*i - 1].end) {
			*bad = *i;
			return false;
		}
		if (!continues(run, ev))
			break;
		run->end = ev->end;
	}
	return true;
}

static void describe_run(const struct run *r, char *buf, size_t cap)
{
	const struct trace_event *e = r->first;
	char prot[4] = {
		(e->prot & TRACE_PROT_R) ? 'r' : '-',
		(e->prot & TRACE_PROT_W) ? 'w' : '-',
		(e->prot & TRACE_PROT_X) ? 'x' : '-', '\0',
	};

	if (e->file)
		snprintf(buf, cap, "0x%llx-0x%llx %s %s file %s 0x%llx",
			 (unsigned long long)r->start, (unsigned long long)r->end,
			 prot, e->shared ? "shared" : "private", e->name,
			 (unsigned long long)r->off);
	else
		snprintf(buf, cap, "0x%llx-0x%llx %s %s anon",
			 (unsigned long long)r->start, (unsigned long long)r->end,
			 prot, e->shared ? "shared" : "private");
}

static bool runs_equal(const struct run *a, const struct run *b)
{
	return a->start == b->start && a->end == b->end &&
	       same_attributes(a->first, b->first) &&
	       (!a->first->file || a->off == b->off);
}

static void explain(char *why, size_t whylen, const struct run *ra,
		    const struct run *rb)
{
	char da[400], db[400];
	uint64_t at;

	if (ra && rb) {
		if (ra->start != rb->start)
			at = ra->start < rb->start ? ra->start : rb->start;
		else if (same_attributes(ra->first, rb->first) &&
			 (!ra->first->file || ra->off == rb->off))
			at = ra->end < rb->end ? ra->end : rb->end; /* one runs on */
		else
			at = ra->start;
	} else {
		at = ra ? ra->start : rb->start;
	}
	if (ra)
		describe_run(ra, da, sizeof da);
	else
		snprintf(da, sizeof da, "nothing more");
	if (rb)
		describe_run(rb, db, sizeof db);
	else
		snprintf(db, sizeof db, "nothing more");
	snprintf(why, whylen, "maps differ at 0x%llx: A has %s, B has %s",
		 (unsigned long long)at, da, db);
}

bool trace_maps_compare(const struct trace_event *a, size_t na,
			const struct trace_event *b, size_t nb,
			char *why, size_t whylen)
{
	size_t ia = 0, ib = 0, bad;
	struct run ra, rb;

	if (whylen)
		why[0] = '\0';
	while (ia < na || ib < nb) {
		bool has_a = ia < na, has_b = ib < nb;
		if (has_a && !next_run(a, na, &ia, &ra, &bad)) {
			snprintf(why, whylen, "A's map line for 0x%llx-0x%llx is "
				 "empty, overlaps, or is out of order",
				 (unsigned long long)a[bad].addr,
				 (unsigned long long)a[bad].end);
			return false;
		}
		if (has_b && !next_run(b, nb, &ib, &rb, &bad)) {
			snprintf(why, whylen, "B's map line for 0x%llx-0x%llx is "
				 "empty, overlaps, or is out of order",
				 (unsigned long long)b[bad].addr,
				 (unsigned long long)b[bad].end);
			return false;
		}
		if (!has_a || !has_b || !runs_equal(&ra, &rb)) {
			explain(why, whylen, has_a ? &ra : NULL, has_b ? &rb : NULL);
			return false;
		}
	}
	return true;
}

/* ---- event lists (declared in trace.h) ---- */

void trace_events_clear(struct trace_events *e)
{
	e->n = 0;
}

struct trace_event *trace_events_push(struct trace_events *e)
{
	if (e->n == e->cap) {
		e->cap = e->cap ? 2 * e->cap : 16;
		e->ev = realloc(e->ev, e->cap * sizeof *e->ev);
		if (e->ev == NULL) {
			fputs("trace: out of host memory\n", stderr);
			abort();
		}
	}
	struct trace_event *ev = &e->ev[e->n++];
	memset(ev, 0, sizeof *ev);
	return ev;
}

void trace_events_free(struct trace_events *e)
{
	free(e->ev);
	e->ev = NULL;
	e->n = e->cap = 0;
}
