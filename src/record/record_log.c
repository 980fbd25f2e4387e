/*
 * record_log.c - the recorder's log, read back in trace order.
 *
 * Processes append chunks to the log as they fill their buffers, so the
 * file's order is a real-time order of chunks, with two gaps that the
 * trace cannot have:
 *
 *   - a fork's child may write its first chunk before the parent writes
 *     the chunk holding REC_FORK (the parent's buffer holds the records
 *     after the fork until it fills).  The trace must fork before the
 *     child does anything, and at the parent's point of fork, not later
 *     (the child must not inherit mappings the parent made after it).
 *     So a child's chunks wait, in order, until its parent's REC_FORK is
 *     read, and are then read right there.
 *   - nothing else: an exec'd program writes after its own pre-exec
 *     chunk, and a process's REC_EXIT is its last record.
 *
 * The order this gives, and so the trace's: each process's records in
 * program order (threads of a process in the order valgrind ran them);
 * a fork line before anything of the child, at the parent's point of
 * fork; a process's exit after all its records, and (because a parent's
 * wait returns only after its child has flushed its last chunk) before
 * whatever the parent did after waiting for it.  Between unrelated
 * processes the interleaving is the chunks' real-time order, each chunk
 * up to 64 KiB of records.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "record/record.h"

struct chunk {
	size_t off;     /* of its records */
	uint32_t pid, size;
};

struct rec_log {
	const unsigned char *base;
	size_t len;
	struct chunk *chunks;
	size_t n;
};

static bool index_chunks(struct rec_log *l)
{
	size_t cap = 0;
	for (size_t off = 0; off < l->len;) {
		struct rec_chunk h;
		if (l->len - off < sizeof h)
			return false;
		memcpy(&h, l->base + off, sizeof h);
		off += sizeof h;
		if (h.magic != REC_MAGIC || h.size > l->len - off)
			return false;
		if (l->n == cap) {
			cap = cap ? cap * 2 : 256;
			l->chunks = realloc(l->chunks, cap * sizeof *l->chunks);
			if (!l->chunks)
				abort();
		}
		l->chunks[l->n++] = (struct chunk){off, h.pid, h.size};
		off += h.size;
	}
	return true;
}

struct rec_log *rec_log_open(const char *path)
{
	struct rec_log *l = calloc(1, sizeof *l);
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (!l || fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "mvm record: cannot read the log %s\n", path);
		if (fd >= 0)
			close(fd);
		free(l);
		return NULL;
	}
	l->len = (size_t)st.st_size;
	if (l->len) {
		void *m = mmap(NULL, l->len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			fprintf(stderr, "mvm record: cannot map the log %s\n", path);
			close(fd);
			free(l);
			return NULL;
		}
		madvise(m, l->len, MADV_SEQUENTIAL);
		l->base = m;
	}
	close(fd);
	if (!index_chunks(l)) {
		fprintf(stderr, "mvm record: the log %s is damaged\n", path);
		rec_log_close(l);
		return NULL;
	}
	return l;
}

void rec_log_close(struct rec_log *l)
{
	if (!l)
		return;
	if (l->len)
		munmap((void *)l->base, l->len);
	free(l->chunks);
	free(l);
}

static void chunk_each(const struct rec_log *l, const struct chunk *c,
		       rec_visit_fn fn, void *ctx)
{
	const unsigned char *p = l->base + c->off, *end = p + c->size;
	while (p + sizeof(struct rec) <= end) {
		struct rec r;
		memcpy(&r, p, sizeof r);
		p += sizeof r;
		const char *path = NULL;
		char name[4097];
		if (r.type == REC_FILE) {
			size_t n = r.aux < 4096 ? r.aux : 4096;
			memcpy(name, p, n);
			name[n] = 0;
			path = name;
			p += (r.aux + 7) & ~7u;
		}
		fn(ctx, c->pid, &r, path);
	}
}

void rec_log_each(const struct rec_log *l, rec_visit_fn fn, void *ctx)
{
	for (size_t i = 0; i < l->n; i++)
		chunk_each(l, &l->chunks[i], fn, ctx);
}

/* ---- trace order ----------------------------------------------- */

/* A process whose chunks wait for its parent's REC_FORK, or whose fork
 * has been read already. */
struct waiter {
	uint32_t pid;
	bool announced;      /* its parent's REC_FORK has been read */
	bool waiting;        /* its chunks are held in q */
	size_t *q, n, cap;
};

struct order {
	const struct rec_log *l;
	rec_visit_fn fn;
	void *ctx;
	struct waiter *w;
	size_t nw, capw;
};

static struct waiter *find(struct order *o, uint32_t pid)
{
	for (size_t i = o->nw; i-- > 0;)
		if (o->w[i].pid == pid)
			return &o->w[i];
	return NULL;
}

static struct waiter *get(struct order *o, uint32_t pid)
{
	struct waiter *w = find(o, pid);
	if (w)
		return w;
	if (o->nw == o->capw) {
		o->capw = o->capw ? o->capw * 2 : 64;
		o->w = realloc(o->w, o->capw * sizeof *o->w);
		if (!o->w)
			abort();
	}
	w = &o->w[o->nw++];
	*w = (struct waiter){.pid = pid};
	return w;
}

static void forget(struct order *o, uint32_t pid)
{
	struct waiter *w = find(o, pid);
	if (!w)
		return;
	free(w->q);
	*w = o->w[--o->nw];
}

static void enqueue(struct waiter *w, size_t chunk)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 16;
		w->q = realloc(w->q, w->cap * sizeof *w->q);
		if (!w->q)
			abort();
	}
	w->q[w->n++] = chunk;
}

static void run_chunk(struct order *o, size_t i);

/* The parent's fork of PID has been read: PID's held chunks follow. */
static void announce(struct order *o, uint32_t pid)
{
	struct waiter *w = get(o, pid);
	w->announced = true;
	if (!w->waiting)
		return;
	w->waiting = false;
	size_t *q = w->q, n = w->n;
	w->q = NULL;
	w->n = w->cap = 0;
	for (size_t k = 0; k < n; k++)
		run_chunk(o, q[k]);   /* may announce grandchildren; w may move */
	free(q);
}

static void ordered_record(void *ctx, uint32_t pid, const struct rec *r, const char *path)
{
	struct order *o = ctx;
	o->fn(o->ctx, pid, r, path);
	if (r->type == REC_FORK)
		announce(o, (uint32_t)r->a);
	else if (r->type == REC_EXIT)
		forget(o, pid);   /* the pid may be used again */
}

static void run_chunk(struct order *o, size_t i)
{
	chunk_each(o->l, &o->l->chunks[i], ordered_record, o);
}

static bool starts_forked(const struct rec_log *l, const struct chunk *c)
{
	struct rec r;
	if (c->size < sizeof r)
		return false;
	memcpy(&r, l->base + c->off, sizeof r);
	return r.type == REC_START && (r.flags & REC_F_FORKED);
}

void rec_log_ordered(const struct rec_log *l, rec_visit_fn fn, void *ctx)
{
	struct order o = {.l = l, .fn = fn, .ctx = ctx};
	for (size_t i = 0; i < l->n; i++) {
		const struct chunk *c = &l->chunks[i];
		struct waiter *w = find(&o, c->pid);
		if (w && w->waiting) {
			enqueue(w, i);
			continue;
		}
		if ((!w || !w->announced) && starts_forked(l, c)) {
			w = get(&o, c->pid);
			w->waiting = true;
			enqueue(w, i);
			continue;
		}
		run_chunk(&o, i);
	}
	/* Children whose parent's fork never reached the log (the parent
	 * was killed): their records still count; the writer says so. */
	for (size_t k = 0; k < o.nw; k++)
		if (o.w[k].waiting)
			announce(&o, o.w[k].pid), k = (size_t)-1;
	for (size_t k = 0; k < o.nw; k++)
		free(o.w[k].q);
	free(o.w);
}
