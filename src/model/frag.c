/*
 * frag.c - the minimum entry count, the reasons a map is above it, and the
 * clip-only shadow (see frag.h for what each figure means).
 *
 * The minimum is computed from vm_map_iterate() alone, by frag's own rule
 * for when two pages are alike; it is written here a second time on
 * purpose, so that a mistake in the map's merge predicate shows up as a
 * difference instead of being copied into the check.  Only the diagnosis
 * of an excess (frag_measure) looks under the interface, at the amaps.
 *
 * The shadow keeps, per process, the pieces a never-merging map would
 * hold, as nodes of the core's interval tree (map_tree.h) allocated with
 * malloc: the shadow is the report's, not the machine's, and must not
 * take frames from the simulated RAM it is measuring.
 */
#include "frag.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"
#include "vm/amap.h"
#include "vm/map.h"
#include "vm/map_tree.h"

/* ------------------------------------------------------------------ */
/* The minimum                                                          */

static bool backing_continues(const struct vm_map_info *a, const struct vm_map_info *b)
{
	if (a->object != b->object || a->file != b->file)
		return false;
	if (a->object == NULL) /* private anonymous: offsets mean nothing */
		return true;
	return b->offset == a->offset + vm_atop(a->end - a->start);
}

bool frag_pages_alike(const struct vm_map_info *a, const struct vm_map_info *b)
{
	return a->end == b->start && a->prot == b->prot && a->shared == b->shared &&
	       a->dontfork == b->dontfork && backing_continues(a, b);
}

void frag_runs_feed(struct frag_runs *r, const struct vm_map_info *info)
{
	if (!r->have_last || !frag_pages_alike(&r->last, info))
		r->runs++;
	r->last = *info;
	r->have_last = true;
}

uint64_t frag_min_runs(const struct vm_map *map)
{
	struct frag_runs r = {0};
	struct vm_map_info info;
	vaddr_t cursor = 0;

	while (vm_map_iterate(map, &cursor, &info))
		frag_runs_feed(&r, &info);
	return r.runs;
}

/* ------------------------------------------------------------------ */
/* Why a map is above the minimum                                       */

static bool note_shared(void *arg, uint64_t vpn, struct vm_anon *an, bool shared)
{
	bool *found = arg;

	(void)vpn;
	if (shared || an->ref > 1)
		*found = true;
	return !*found;
}

/* Whether E holds a private page that another map shares (copy-on-write
 * after fork): the condition under which other systems refuse a join. */
static bool entry_private_shared(const struct vm_map_entry *e)
{
	bool found = false;

	vm_amap_foreach(&e->amap, vm_atop(vm_entry_start(e)), vm_atop(vm_entry_end(e)),
			note_shared, &found);
	return found;
}

void frag_measure(const struct vm_map *map, struct frag_counts *out)
{
	struct vm_map_info prev = {0}, info;
	vaddr_t cursor = 0;
	bool have_prev = false;

	*out = (struct frag_counts){.entries = vm_map_entry_count(map)};
	while (vm_map_iterate(map, &cursor, &info)) {
		if (!have_prev || !frag_pages_alike(&prev, &info)) {
			out->min_runs++;
		} else {
			/* One run, two entries: find out why. */
			const struct vm_map_entry *a = vm_map_lookup_ge(map, prev.start);
			const struct vm_map_entry *b = vm_map_lookup_ge(map, info.start);

			if (entry_private_shared(a) || entry_private_shared(b))
				out->excess_shared++;
			else
				out->excess_other++;
		}
		prev = info;
		have_prev = true;
	}
}

/* ------------------------------------------------------------------ */
/* The clip-only shadow                                                 */

struct clip_piece {
	struct map_node node;    /* first: the tree hands back map_node pointers */
	bool dontfork;
};

struct clip_map {
	struct map_tree tree;
};

struct frag_clip {
	struct trace_hash procs; /* pid -> struct clip_map * */
	char **files;            /* names `file` lines created: an mmap of
	                          * any other file fails with ENOENT */
	size_t nfiles, capfiles;
};

static struct clip_piece *piece_of(struct map_node *n)
{
	return (struct clip_piece *)(void *)n;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (p == NULL)
		abort(); /* simulator code: host memory exhaustion is fatal */
	return p;
}

static struct clip_piece *piece_new(uint64_t start, uint64_t end, bool dontfork)
{
	struct clip_piece *p = xcalloc(1, sizeof *p);

	p->node.start = start;
	p->node.end = end;
	p->dontfork = dontfork;
	return p;
}

static struct clip_map *clip_map_new(void)
{
	struct clip_map *m = xcalloc(1, sizeof *m);

	map_tree_init(&m->tree, 0, VM_USER_MAX);
	return m;
}

static void clip_map_empty(struct clip_map *m)
{
	struct map_node *n;

	while ((n = map_tree_first(&m->tree)) != NULL) {
		map_tree_remove(&m->tree, n);
		free(piece_of(n));
	}
}

static void clip_map_free(struct clip_map *m)
{
	if (m == NULL)
		return;
	clip_map_empty(m);
	free(m);
}

/* Splits the piece containing ADDR so that a piece starts there. */
static void clip_cut(struct clip_map *m, uint64_t addr)
{
	struct map_node *n = map_tree_lookup(&m->tree, addr);
	struct clip_piece *upper;

	if (n == NULL || n->start == addr)
		return;
	upper = piece_new(addr, n->end, piece_of(n)->dontfork);
	map_tree_set_bounds(&m->tree, n, n->start, addr);
	map_tree_insert(&m->tree, &upper->node);
}

static void clip_remove(struct clip_map *m, uint64_t start, uint64_t end)
{
	struct map_node *n, *next;

	clip_cut(m, start);
	clip_cut(m, end);
	for (n = map_tree_lookup_ge(&m->tree, start); n != NULL && n->start < end; n = next) {
		next = map_tree_next(n);
		map_tree_remove(&m->tree, n);
		free(piece_of(n));
	}
}

/* Whether every page of [start, end) lies in some piece. */
static bool clip_covered(const struct clip_map *m, uint64_t start, uint64_t end)
{
	const struct map_node *n = map_tree_lookup(&m->tree, start);

	while (n != NULL && n->end < end) {
		const struct map_node *next = map_tree_next(n);

		if (next == NULL || next->start != n->end)
			return false;
		n = next;
	}
	return n != NULL;
}

static void clip_set_dontfork(struct clip_map *m, uint64_t start, uint64_t end, bool dontfork)
{
	clip_cut(m, start);
	clip_cut(m, end);
	for (struct map_node *n = map_tree_lookup_ge(&m->tree, start); n != NULL && n->start < end;
	     n = map_tree_next(n))
		piece_of(n)->dontfork = dontfork;
}

static struct clip_map *clip_map_fork(const struct clip_map *parent)
{
	struct clip_map *child = clip_map_new();

	for (struct map_node *n = map_tree_first(&parent->tree); n != NULL; n = map_tree_next(n))
		if (!piece_of(n)->dontfork)
			map_tree_insert(&child->tree, &piece_new(n->start, n->end, false)->node);
	return child;
}

struct frag_clip *frag_clip_create(void)
{
	struct frag_clip *c = xcalloc(1, sizeof *c);

	trace_hash_init(&c->procs);
	return c;
}

static struct clip_map *clip_find(const struct frag_clip *c, uint64_t pid)
{
	uint64_t *v = trace_hash_find(&c->procs, pid);

	return v != NULL ? (struct clip_map *)(uintptr_t)*v : NULL;
}

static void clip_set(struct frag_clip *c, uint64_t pid, struct clip_map *m)
{
	clip_map_free(clip_find(c, pid));
	*trace_hash_insert(&c->procs, pid) = (uint64_t)(uintptr_t)m;
}

void frag_clip_forget(struct frag_clip *c, uint64_t pid)
{
	clip_map_free(clip_find(c, pid));
	trace_hash_remove(&c->procs, pid);
}

void frag_clip_destroy(struct frag_clip *c)
{
	struct check_hash_slot *slot;

	if (c == NULL)
		return;
	for (size_t i = 0; trace_hash_next(&c->procs, &i, &slot);)
		clip_map_free((struct clip_map *)(uintptr_t)slot->value);
	trace_hash_free(&c->procs);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

uint64_t frag_clip_count(const struct frag_clip *c, uint64_t pid)
{
	const struct clip_map *m = clip_find(c, pid);

	return m != NULL ? m->tree.count : 0;
}

bool frag_clip_has(const struct frag_clip *c, uint64_t pid)
{
	return clip_find(c, pid) != NULL;
}

void frag_clip_foreach(const struct frag_clip *c, void (*fn)(void *arg, uint64_t pid), void *arg)
{
	struct check_hash_slot *slot;

	for (size_t i = 0; trace_hash_next(&c->procs, &i, &slot);)
		fn(arg, slot->key);
}

/* Tiles [info->start, info->end) with the pieces from *N on. */
static bool tiles_entry(const struct vm_map_info *info, const struct map_node **n,
			uint64_t *used, char *why, size_t whylen)
{
	uint64_t at = info->start;

	while (at < info->end) {
		if (*n == NULL || (*n)->start != at || (*n)->end > info->end) {
			snprintf(why, whylen, "entry 0x%" PRIx64 "-0x%" PRIx64 ": no piece boundary "
				 "at 0x%" PRIx64 " or a piece crosses its end", info->start, info->end, at);
			return false;
		}
		if (piece_of((struct map_node *)*n)->dontfork != info->dontfork) {
			snprintf(why, whylen, "piece at 0x%" PRIx64 ": dontfork differs from its entry", at);
			return false;
		}
		at = (*n)->end;
		*n = map_tree_next(*n);
		(*used)++;
	}
	return true;
}

bool frag_clip_refines(const struct frag_clip *c, uint64_t pid, const struct vm_map *map,
		       char *why, size_t whylen)
{
	const struct clip_map *m = clip_find(c, pid);
	const struct map_node *n;
	struct vm_map_info info;
	vaddr_t cursor = 0;
	uint64_t used = 0;

	if (m == NULL) {
		snprintf(why, whylen, "no shadow for process %" PRIu64, pid);
		return false;
	}
	while (vm_map_iterate(map, &cursor, &info)) {
		n = map_tree_lookup_ge(&m->tree, info.start);
		if (!tiles_entry(&info, &n, &used, why, whylen))
			return false;
	}
	if (used != m->tree.count) {
		snprintf(why, whylen, "%" PRIu64 " pieces lie outside every entry",
			 m->tree.count - used);
		return false;
	}
	return true;
}

/*
 * The range a call of the mmap family covers, or false if the spec's
 * argument rules reject it (EINVAL): unaligned, empty, or wrapping once
 * LEN is rounded up to whole pages.  Mirrors src/sim/syscall.c.
 */
static bool op_range(const struct trace_op *op, uint64_t *start, uint64_t *end)
{
	uint64_t len;

	if ((op->addr & VM_PAGE_MASK) != 0 || op->len == 0 || op->len > UINT64_MAX - VM_PAGE_MASK)
		return false;
	len = (op->len + VM_PAGE_MASK) & ~VM_PAGE_MASK;
	if (len > UINT64_MAX - op->addr)
		return false;
	*start = op->addr;
	*end = op->addr + len;
	return true;
}

static bool file_exists(const struct frag_clip *c, const char *name)
{
	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i], name) == 0)
			return true;
	return false;
}

static void file_created(struct frag_clip *c, const char *name)
{
	if (file_exists(c, name))
		return;
	if (c->nfiles == c->capfiles) {
		c->capfiles = c->capfiles ? 2 * c->capfiles : 8;
		c->files = realloc(c->files, c->capfiles * sizeof *c->files);
		if (c->files == NULL)
			abort();
	}
	c->files[c->nfiles] = strdup(name);
	if (c->files[c->nfiles++] == NULL)
		abort();
}

/* A file mmap the spec's rules refuse: unaligned OFF (EINVAL), no such
 * file (ENOENT), a range reaching byte 2^63 (EOVERFLOW, as Linux). */
static bool file_mmap_fails(const struct frag_clip *c, const struct trace_op *op, uint64_t pages)
{
	return (op->off & VM_PAGE_MASK) != 0 || !file_exists(c, op->name) ||
	       vm_atop(op->off) + pages >= (uint64_t)1 << 51;
}

static void clip_apply_range_op(const struct frag_clip *c, struct clip_map *m,
				const struct trace_op *op)
{
	uint64_t start, end;

	if (!op_range(op, &start, &end) || end > VM_USER_MAX)
		return;
	if (op->kind == TRACE_MMAP && op->file && file_mmap_fails(c, op, vm_atop(end - start)))
		return;
	switch (op->kind) {
	case TRACE_MMAP:
		clip_remove(m, start, end);
		map_tree_insert(&m->tree, &piece_new(start, end, false)->node);
		break;
	case TRACE_MUNMAP:
		clip_remove(m, start, end);
		break;
	case TRACE_MPROTECT:
		if (clip_covered(m, start, end)) {
			clip_cut(m, start);
			clip_cut(m, end);
		}
		break;
	case TRACE_MADVISE:
		if ((op->advice == TRACE_ADV_DONTFORK || op->advice == TRACE_ADV_DOFORK) &&
		    clip_covered(m, start, end))
			clip_set_dontfork(m, start, end, op->advice == TRACE_ADV_DONTFORK);
		break;
	default:
		break;
	}
}

void frag_clip_apply(struct frag_clip *c, const struct trace_op *op)
{
	struct clip_map *m = clip_find(c, op->pid);

	switch (op->kind) {
	case TRACE_SPAWN:
		clip_set(c, op->pid, clip_map_new());
		return;
	case TRACE_FORK:
		if (m != NULL)
			clip_set(c, op->child, clip_map_fork(m));
		return;
	case TRACE_EXEC:
		if (m != NULL)
			clip_map_empty(m);
		return;
	case TRACE_EXIT:
		frag_clip_forget(c, op->pid);
		return;
	case TRACE_MMAP:
	case TRACE_MUNMAP:
	case TRACE_MPROTECT:
	case TRACE_MADVISE:
		if (m != NULL)
			clip_apply_range_op(c, m, op);
		return;
	case TRACE_FILE:
		file_created(c, op->name);
		return;
	default:
		return;
	}
}

/* ------------------------------------------------------------------ */
/* Following a replay                                                   */

struct frag_follow {
	struct trace_reader *reader;
	struct trace_pids *pids;
	struct frag_clip *clip;
	uint64_t applied;
};

struct frag_follow *frag_follow_create(const char *text, size_t len)
{
	struct frag_follow *f = xcalloc(1, sizeof *f);

	f->reader = trace_reader_from_buffer("follow", text, len);
	f->pids = trace_pids_create();
	f->clip = frag_clip_create();
	if (f->reader == NULL || f->pids == NULL) {
		frag_follow_destroy(f);
		return NULL;
	}
	return f;
}

void frag_follow_destroy(struct frag_follow *f)
{
	if (f == NULL)
		return;
	if (f->reader != NULL)
		trace_reader_close(f->reader);
	if (f->pids != NULL)
		trace_pids_destroy(f->pids);
	frag_clip_destroy(f->clip);
	free(f);
}

const struct frag_clip *frag_follow_clip(const struct frag_follow *f)
{
	return f->clip;
}

struct sync_ctx {
	struct sim *s;
	uint64_t gone[64];
	size_t ngone;
};

static void find_gone(void *arg, uint64_t pid)
{
	struct sync_ctx *x = arg;

	if (sim_proc_find(x->s, pid) == NULL && x->ngone < sizeof x->gone / sizeof x->gone[0])
		x->gone[x->ngone++] = pid;
}

/* Processes the machine ended behind the trace's back (OOM kills). */
static void follow_sync(struct frag_follow *f, struct sim *s)
{
	struct sync_ctx x;

	do {
		x = (struct sync_ctx){.s = s};
		frag_clip_foreach(f->clip, find_gone, &x);
		for (size_t i = 0; i < x.ngone; i++) {
			frag_clip_forget(f->clip, x.gone[i]);
			trace_pids_killed(f->pids, x.gone[i]);
		}
	} while (x.ngone == sizeof x.gone / sizeof x.gone[0]);
}

/*
 * Whether OP creates a process the follower still thinks alive: then the
 * machine killed it within the last step (the replayer knew, the
 * follower will only learn at the sync), so it is forgotten here.
 */
static bool follow_stale_create(struct frag_follow *f, const struct trace_op *op)
{
	uint64_t target = op->kind == TRACE_SPAWN ? op->pid : op->kind == TRACE_FORK ? op->child : 0;

	if (target == 0 || !trace_pids_live(f->pids, target))
		return false;
	frag_clip_forget(f->clip, target);
	trace_pids_killed(f->pids, target);
	return true;
}

/* The next operation the replayer admits; false at the end or on bad input. */
static bool follow_next(struct frag_follow *f, struct trace_op *op)
{
	char err[256];

	for (;;) {
		if (trace_next(f->reader, op) <= 0)
			return false;
		switch (trace_pids_admit(f->pids, op, err, sizeof err)) {
		case TRACE_RUN:
			return true;
		case TRACE_SKIP:
			continue;
		case TRACE_BAD:
			if (!follow_stale_create(f, op) ||
			    trace_pids_admit(f->pids, op, err, sizeof err) != TRACE_RUN)
				return false;
			return true;
		}
	}
}

bool frag_follow_to(struct frag_follow *f, struct sim *s, uint64_t ops)
{
	bool one_step = ops == f->applied + 1;
	struct trace_op op;

	while (f->applied < ops) {
		if (!follow_next(f, &op))
			return false;
		frag_clip_apply(f->clip, &op);
		f->applied++;
		/* A fork whose child the machine could not create (the OOM
		 * killer took the parent): known for sure only one step at a
		 * time, since the child may have come and gone within a step. */
		if (one_step && op.kind == TRACE_FORK && sim_proc_find(s, op.child) == NULL &&
		    frag_clip_has(f->clip, op.child)) {
			frag_clip_forget(f->clip, op.child);
			trace_pids_killed(f->pids, op.child);
		}
	}
	follow_sync(f, s);
	return true;
}
