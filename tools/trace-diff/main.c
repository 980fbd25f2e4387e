/*
 * trace-diff - compares two replay outputs (e.g. `mvm replay` and
 * native-replay of the same trace) by meaning rather than bytes.
 *
 *   trace-diff A B
 *
 * Every line but `map` lines must agree, in order: same event, same
 * numbers, same hash.  `#` lines and blank lines are ignored: they are
 * reports, free-form by the spec.  The `map` lines of one `maps` operation
 * form a block; two blocks agree when they describe the same pages with
 * the same protection, sharing and backing (trace_maps_compare), because
 * the number of entries is each system's own business (Linux merges some
 * neighbours mvm keeps apart, and the other way round).
 *
 * A block is a run of consecutive `map` lines of one process in
 * ascending address order; a line of another process, or one that starts
 * below the previous line's end, begins the next block, so two `maps`
 * of one process in a row are still two blocks.
 *
 * With --until-killed, each side is read only up to its first `killed`
 * line, and the comparison stops where the shorter such side ends.  A run
 * under memory pressure (mvm with little RAM) may legitimately end a
 * process that the host never ends; what came before must still agree.
 *
 * Exit: 0 same (prints a one-line summary), 1 different (prints the first
 * difference), 2 unreadable or malformed input.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

struct item {
	bool is_maps;
	uint64_t first_line, last_line;
	size_t ev_start, ev_count; /* in the side's event array */
	char *text;                /* non-map lines: the line as written */
};

struct side {
	const char *path;
	struct item *items;
	size_t nitems, capitems;
	struct trace_event *ev;
	size_t nev, capev;
	bool stop_at_kill;         /* --until-killed */
	uint64_t killed_line;      /* line of the first `killed`, or 0 */
};

static void *grow(void *p, size_t *cap, size_t elem)
{
	size_t ncap = *cap ? *cap * 2 : 64;
	void *np = realloc(p, ncap * elem);

	if (!np) {
		fprintf(stderr, "trace-diff: out of memory\n");
		exit(2);
	}
	*cap = ncap;
	return np;
}

static struct trace_event *push_event(struct side *s)
{
	if (s->nev == s->capev)
		s->ev = grow(s->ev, &s->capev, sizeof *s->ev);
	return &s->ev[s->nev++];
}

static struct item *push_item(struct side *s)
{
	if (s->nitems == s->capitems)
		s->items = grow(s->items, &s->capitems, sizeof *s->items);
	struct item *it = &s->items[s->nitems++];
	memset(it, 0, sizeof *it);
	return it;
}

/* Whether map event EV continues the last item of S as one block. */
static bool continues_block(const struct side *s, const struct trace_event *ev)
{
	if (s->nitems == 0)
		return false;
	const struct item *last = &s->items[s->nitems - 1];
	if (!last->is_maps)
		return false;
	const struct trace_event *prev = &s->ev[last->ev_start + last->ev_count - 1];
	return prev->pid == ev->pid && ev->addr >= prev->end;
}

static void add_line(struct side *s, char *text, size_t len, uint64_t lineno)
{
	struct trace_event tmp;
	int rc = trace_event_parse(text, len, &tmp);

	if (rc == 0)
		return;
	if (rc < 0) {
		fprintf(stderr, "trace-diff: %s:%llu: not an output line: %s\n", s->path,
			(unsigned long long)lineno, text);
		exit(2);
	}
	if (s->killed_line)
		return;
	if (tmp.kind == TEV_KILLED && s->stop_at_kill) {
		s->killed_line = lineno;
		return;
	}
	if (tmp.kind == TEV_MAP) {
		if (!continues_block(s, &tmp)) {
			struct item *it = push_item(s);
			it->is_maps = true;
			it->first_line = lineno;
			it->ev_start = s->nev;
		}
		*push_event(s) = tmp;
		struct item *it = &s->items[s->nitems - 1];
		it->ev_count++;
		it->last_line = lineno;
		return;
	}
	struct item *it = push_item(s);
	it->first_line = it->last_line = lineno;
	it->ev_start = s->nev;
	it->ev_count = 1;
	it->text = strdup(text);
	*push_event(s) = tmp;
}

static void load(struct side *s, const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	uint64_t lineno = 0;

	s->path = path;
	if (!f) {
		fprintf(stderr, "trace-diff: cannot open %s: %s\n", path, strerror(errno));
		exit(2);
	}
	while ((n = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		add_line(s, line, (size_t)n, lineno);
	}
	if (ferror(f)) {
		fprintf(stderr, "trace-diff: error reading %s\n", path);
		exit(2);
	}
	free(line);
	fclose(f);
}

static void describe(const struct side *s, const struct item *it, char *buf, size_t cap)
{
	if (!it)
		snprintf(buf, cap, "(end of output)");
	else if (it->is_maps)
		snprintf(buf, cap, "map lines of process %llu (lines %llu-%llu)",
			 (unsigned long long)s->ev[it->ev_start].pid,
			 (unsigned long long)it->first_line,
			 (unsigned long long)it->last_line);
	else
		snprintf(buf, cap, "%s", it->text);
}

static int report(const struct side *a, const struct item *ia,
		  const struct side *b, const struct item *ib)
{
	char da[600], db[600];

	describe(a, ia, da, sizeof da);
	describe(b, ib, db, sizeof db);
	printf("first difference:\n");
	if (ia)
		printf("  %s:%llu: %s\n", a->path, (unsigned long long)ia->first_line, da);
	else
		printf("  %s: %s\n", a->path, da);
	if (ib)
		printf("  %s:%llu: %s\n", b->path, (unsigned long long)ib->first_line, db);
	else
		printf("  %s: %s\n", b->path, db);
	return 1;
}

static int compare(const struct side *a, const struct side *b)
{
	size_t events = 0, blocks = 0, entries_a = 0, entries_b = 0;

	for (size_t i = 0; i < a->nitems || i < b->nitems; i++) {
		const struct item *ia = i < a->nitems ? &a->items[i] : NULL;
		const struct item *ib = i < b->nitems ? &b->items[i] : NULL;
		if ((!ia && a->killed_line) || (!ib && b->killed_line))
			break; /* a side ends at a kill: the rest cannot be compared */
		if (!ia || !ib || ia->is_maps != ib->is_maps)
			return report(a, ia, b, ib);
		const struct trace_event *ea = &a->ev[ia->ev_start];
		const struct trace_event *eb = &b->ev[ib->ev_start];
		if (!ia->is_maps) {
			if (!trace_event_equal(ea, eb))
				return report(a, ia, b, ib);
			events++;
			continue;
		}
		char why[600];
		if (ea->pid != eb->pid)
			return report(a, ia, b, ib);
		if (!trace_maps_compare(ea, ia->ev_count, eb, ib->ev_count, why, sizeof why)) {
			printf("first difference: maps of process %llu (%s lines %llu-%llu, "
			       "%s lines %llu-%llu): %s\n",
			       (unsigned long long)ea->pid, a->path,
			       (unsigned long long)ia->first_line,
			       (unsigned long long)ia->last_line, b->path,
			       (unsigned long long)ib->first_line,
			       (unsigned long long)ib->last_line, why);
			return 1;
		}
		blocks++;
		entries_a += ia->ev_count;
		entries_b += ib->ev_count;
	}
	printf("same: %zu events, maps blocks %zu, entries A=%zu B=%zu", events,
	       blocks, entries_a, entries_b);
	if (a->killed_line || b->killed_line)
		printf(" (up to the first killed line: A %llu, B %llu)",
		       (unsigned long long)a->killed_line,
		       (unsigned long long)b->killed_line);
	printf("\n");
	return 0;
}

static void release(struct side *s)
{
	for (size_t i = 0; i < s->nitems; i++)
		free(s->items[i].text);
	free(s->items);
	free(s->ev);
}

int main(int argc, char **argv)
{
	struct side a, b;
	bool until_killed = argc > 1 && strcmp(argv[1], "--until-killed") == 0;
	int rc;

	if (argc != 3 + until_killed) {
		fprintf(stderr, "usage: trace-diff [--until-killed] A B\n"
			"Compares two replay outputs: events in order, maps by content.\n"
			"--until-killed: compare only up to each side's first killed line.\n"
			"Exit: 0 same, 1 different, 2 bad input.\n");
		return 2;
	}
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	a.stop_at_kill = b.stop_at_kill = until_killed;
	load(&a, argv[1 + until_killed]);
	load(&b, argv[2 + until_killed]);
	rc = compare(&a, &b);
	release(&a);
	release(&b);
	return rc;
}
