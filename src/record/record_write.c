/*
 * record_write.c - the recorder's records, in trace order, as trace lines.
 *
 * Real process ids become trace ids 1, 2, 3... in order of appearance
 * (never reused, so a recycled pid cannot be mistaken for its
 * predecessor).  A file becomes a `file NAME SIZE SEED` line the first
 * time it is mapped: NAME is its base name made legal (and made unique
 * when two paths share one), SIZE its real size then; its contents are
 * not recorded, the pattern of SEED stands in.  A file mapped again at
 * another size is a new NAME, since the spec leaves unspecified what
 * recreating a mapped file does.  Every ranged operation is cut into its
 * pieces inside the relocated clusters (record_reloc.c).
 *
 * Nothing is dropped silently: the tool's notes (recfmt.h) and what the
 * writer itself had to approximate are counted and reported at the end.
 */
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "trace/trace.h"

enum wnote {
	W_UNKNOWN_PARENT = NOTE_COUNT, /* a process whose fork was not recorded */
	W_NO_EXIT,         /* a process that ended without its exit record */
	W_OUTSIDE,         /* pages of an operation outside every mapping */
	W_UNALIGNED,       /* a mapping at an address not page aligned */
	W_FILE_RESIZED,    /* a file mapped again at another size */
	W_COUNT
};

static const char *const note_text[W_COUNT] = {
	[NOTE_HIGH_ACCESS] = "page visits above the 47-bit user space (the vsyscall page), dropped",
	[NOTE_MADV_IGNORED] = "madvise calls with advice the trace has no word for, dropped",
	[NOTE_MADV_FREE] = "madvise(MADV_FREE) calls, written as dontneed",
	[NOTE_MREMAP] = "mremap calls, written as munmap + mmap (contents not carried over)",
	[NOTE_DEVICE_MAP] = "mappings of devices or other non-regular files, written as anonymous",
	[NOTE_SHM] = "System V shared memory attaches, written as shared anonymous mappings",
	[NOTE_CLONE_VM] = "clones sharing memory without being threads, not represented",
	[NOTE_MMAP_FAILED_LOOKUP] = "file mappings whose file could not be examined, written as anonymous",
	[W_UNKNOWN_PARENT] = "processes whose fork was not recorded, written as spawn (empty address space)",
	[W_NO_EXIT] = "processes that ended without an exit record (killed, or exec'd untraced), exit added",
	[W_OUTSIDE] = "pages of operations outside every recorded mapping, dropped",
	[W_UNALIGNED] = "mappings at an address that is not page aligned, dropped",
	[W_FILE_RESIZED] = "files mapped again at another size, written as a new file",
};

struct wproc {
	uint32_t pid;
	uint64_t id;
	bool file_pending;
	uint64_t dev, ino, size;
	char path[4097];
};

struct wfile {
	uint64_t dev, ino, size;
	char name[TRACE_NAME_MAX + 1];
};

struct rec_writer {
	FILE *out;
	const struct rec_reloc *reloc;
	struct wproc *p;
	size_t np, capp;
	struct wfile *f;
	size_t nf, capf;
	uint64_t next_id;
	uint64_t notes[W_COUNT];
	/* figures for the report */
	uint64_t raw, dropped, lines, touch_lines, bytes;
	uint64_t spawns, forks, execs;
	bool write_error;
};

static void *grow(void *v, size_t *cap, size_t size)
{
	*cap = *cap ? *cap * 2 : 32;
	v = realloc(v, *cap * size);
	if (!v)
		abort();
	return v;
}

struct rec_writer *rec_writer_create(FILE *out, const struct rec_reloc *reloc)
{
	struct rec_writer *w = calloc(1, sizeof *w);
	if (!w)
		abort();
	w->out = out;
	w->reloc = reloc;
	w->next_id = 1;
	return w;
}

void rec_writer_destroy(struct rec_writer *w)
{
	if (!w)
		return;
	free(w->p);
	free(w->f);
	free(w);
}

static void put_op(struct rec_writer *w, const struct trace_op *op)
{
	char line[512];
	size_t n = trace_format_op_buf(op, line, sizeof line);
	if (fwrite(line, 1, n, w->out) != n)
		w->write_error = true;
	w->lines++;
	w->bytes += n;
	if (op->kind == TRACE_TOUCH)
		w->touch_lines++;
}

static void put_simple(struct rec_writer *w, enum trace_kind kind, uint64_t pid, uint64_t child)
{
	struct trace_op op = {.kind = kind, .pid = pid, .child = child};
	put_op(w, &op);
}

/* ---- processes ------------------------------------------------- */

static struct wproc *proc_find(struct rec_writer *w, uint32_t pid)
{
	for (size_t i = w->np; i-- > 0;)
		if (w->p[i].pid == pid)
			return &w->p[i];
	return NULL;
}

static struct wproc *proc_new(struct rec_writer *w, uint32_t pid)
{
	if (w->np == w->capp)
		w->p = grow(w->p, &w->capp, sizeof *w->p);
	struct wproc *p = &w->p[w->np++];
	memset(p, 0, sizeof *p);
	p->pid = pid;
	p->id = w->next_id++;
	return p;
}

static void proc_end(struct rec_writer *w, struct wproc *p)
{
	put_simple(w, TRACE_EXIT, p->id, 0);
	*p = w->p[--w->np];
}

/* The process a record belongs to, spawned if it has never been seen
 * (only a START of the first program should need that). */
static struct wproc *proc_of(struct rec_writer *w, uint32_t pid)
{
	struct wproc *p = proc_find(w, pid);
	if (p)
		return p;
	if (w->spawns + w->forks > 0)
		w->notes[W_UNKNOWN_PARENT]++;
	p = proc_new(w, pid);
	put_simple(w, TRACE_SPAWN, p->id, 0);
	w->spawns++;
	return p;
}

static void on_start(struct rec_writer *w, uint32_t pid, const struct rec *r)
{
	struct wproc *p = proc_find(w, pid);
	if (r->flags & REC_F_FORKED) {
		proc_of(w, pid);       /* normally created by the parent's fork */
		return;
	}
	if (p) {
		put_simple(w, TRACE_EXEC, p->id, 0);
		w->execs++;
		return;
	}
	proc_of(w, pid);
}

static void on_fork(struct rec_writer *w, uint32_t pid, uint32_t child)
{
	struct wproc *parent = proc_of(w, pid);
	uint64_t parent_id = parent->id;
	struct wproc *old = proc_find(w, child);
	if (old) {              /* its exit was never recorded */
		w->notes[W_NO_EXIT]++;
		proc_end(w, old);
	}
	struct wproc *c = proc_new(w, child);
	put_simple(w, TRACE_FORK, parent_id, c->id);
	w->forks++;
}

/* ---- files ----------------------------------------------------- */

static void legal_name(const char *path, char *name)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = 0;
	for (; *base && n < 200; base++) {
		char ch = *base;
		bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			  (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-';
		name[n++] = ok ? ch : '_';
	}
	name[n] = 0;
	if (n == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		strcpy(name, "file");
}

static bool name_taken(const struct rec_writer *w, const char *name)
{
	for (size_t i = 0; i < w->nf; i++)
		if (strcmp(w->f[i].name, name) == 0)
			return true;
	return false;
}

/* The trace's name for the file, with its `file` line the first time. */
static const char *file_name(struct rec_writer *w, const struct wproc *p)
{
	bool other_size = false;
	for (size_t i = 0; i < w->nf; i++) {
		if (w->f[i].dev != p->dev || w->f[i].ino != p->ino)
			continue;
		if (w->f[i].size == p->size)
			return w->f[i].name;
		other_size = true;
	}
	if (other_size)
		w->notes[W_FILE_RESIZED]++;
	if (w->nf == w->capf)
		w->f = grow(w->f, &w->capf, sizeof *w->f);
	struct wfile *f = &w->f[w->nf];
	char base[TRACE_NAME_MAX + 1];
	legal_name(p->path, base);
	strcpy(f->name, base);
	for (unsigned k = 2; name_taken(w, f->name); k++)
		snprintf(f->name, sizeof f->name, "%s-%u", base, k);
	f->dev = p->dev;
	f->ino = p->ino;
	f->size = p->size;
	w->nf++;
	struct trace_op op = {.kind = TRACE_FILE, .len = p->size, .seed = w->nf};
	strcpy(op.name, f->name);
	put_op(w, &op);
	return f->name;
}

/* ---- ranged operations ------------------------------------------ */

struct piece_ctx {
	struct rec_writer *w;
	struct trace_op op;
	uint64_t addr, off;    /* the record's own start and file offset */
};

static void put_piece(void *ctx, uint64_t orig, uint64_t moved, uint64_t len)
{
	struct piece_ctx *pc = ctx;
	struct trace_op op = pc->op;
	op.addr = moved;
	op.len = len;
	if (op.kind == TRACE_MMAP && op.file)
		op.off = pc->off + (orig - pc->addr);
	if (op.kind == TRACE_TOUCH)
		op.len = len;    /* whole pages: a touch visits each page once */
	put_op(pc->w, &op);
}

static void put_ranged(struct rec_writer *w, const struct trace_op *op, uint64_t off)
{
	struct piece_ctx pc = {.w = w, .op = *op, .addr = op->addr, .off = off};
	uint64_t outside = rec_reloc_pieces(w->reloc, op->addr, op->len, put_piece, &pc);
	/* An unmapping there has nothing to remove; anything else was real. */
	if (outside && op->kind != TRACE_MUNMAP)
		w->notes[W_OUTSIDE] += (outside + 4095) / 4096;
}

static void on_mmap(struct rec_writer *w, struct wproc *p, const struct rec *r)
{
	if (r->a & 4095) {
		w->notes[W_UNALIGNED]++;
		p->file_pending = false;
		return;
	}
	struct trace_op op = {.kind = TRACE_MMAP, .pid = p->id, .addr = r->a, .len = r->b,
			      .prot = r->prot, .shared = (r->flags & REC_F_SHARED) != 0};
	if ((r->flags & REC_F_FILE) && p->file_pending) {
		op.file = true;
		strcpy(op.name, file_name(w, p));
	}
	p->file_pending = false;
	put_ranged(w, &op, r->c);
}

static void on_file(struct wproc *p, const struct rec *r, const char *path)
{
	p->file_pending = true;
	p->dev = r->a;
	p->ino = r->b;
	p->size = r->c;
	snprintf(p->path, sizeof p->path, "%s", path ? path : "file");
}

void rec_writer_record(void *writer, uint32_t pid, const struct rec *r, const char *path)
{
	struct rec_writer *w = writer;
	if (r->type == REC_START) {
		on_start(w, pid, r);
		return;
	}
	struct wproc *p = proc_of(w, pid);
	struct trace_op op = {.pid = p->id, .addr = r->a, .len = r->b};
	switch (r->type) {
	case REC_FORK: on_fork(w, pid, (uint32_t)r->a); break;
	case REC_EXIT: proc_end(w, p); break;
	case REC_STATS: w->raw += r->a; w->dropped += r->b; break;
	case REC_FILE: on_file(p, r, path); break;
	case REC_MMAP: on_mmap(w, p, r); break;
	case REC_MUNMAP: op.kind = TRACE_MUNMAP; put_ranged(w, &op, 0); break;
	case REC_MPROTECT:
		op.kind = TRACE_MPROTECT;
		op.prot = r->prot;
		put_ranged(w, &op, 0);
		break;
	case REC_MADVISE:
		op.kind = TRACE_MADVISE;
		op.advice = (enum trace_advice)r->aux;
		put_ranged(w, &op, 0);
		break;
	case REC_TOUCH:
		op.kind = TRACE_TOUCH;
		op.len = r->b << REC_PAGE_SHIFT;
		op.touch_write = (r->flags & REC_F_WRITE) != 0;
		put_ranged(w, &op, 0);
		break;
	case REC_NOTE:
		if (r->aux < NOTE_COUNT)
			w->notes[r->aux]++;
		break;
	default:
		break;
	}
}

void rec_writer_finish(struct rec_writer *w)
{
	while (w->np) {
		w->notes[W_NO_EXIT]++;
		proc_end(w, &w->p[w->np - 1]);
	}
	if (fflush(w->out) != 0)
		w->write_error = true;
}

void rec_writer_report(const struct rec_writer *w, FILE *err, double seconds)
{
	fprintf(err, "mvm record: %llu processes (%llu spawned, %llu forked), %llu execs, %zu files\n",
		(unsigned long long)(w->spawns + w->forks), (unsigned long long)w->spawns,
		(unsigned long long)w->forks, (unsigned long long)w->execs, w->nf);
	fprintf(err, "mvm record: %llu accesses -> %llu touch lines (%.1f accesses a line); "
		"%llu lines, %llu bytes\n",
		(unsigned long long)w->raw, (unsigned long long)w->touch_lines,
		w->touch_lines ? (double)w->raw / (double)w->touch_lines : 0.0,
		(unsigned long long)w->lines, (unsigned long long)w->bytes);
	if (seconds > 0)
		fprintf(err, "mvm record: %.2f s recorded, %.0f trace bytes and %.0f lines a second\n",
			seconds, (double)w->bytes / seconds, (double)w->lines / seconds);
	bool any = false;
	for (int i = 1; i < W_COUNT; i++) {
		if (!w->notes[i])
			continue;
		if (!any)
			fprintf(err, "mvm record: not represented exactly:\n");
		any = true;
		fprintf(err, "  %llu %s\n", (unsigned long long)w->notes[i], note_text[i]);
	}
	if (!any)
		fprintf(err, "mvm record: everything recorded is represented\n");
	if (w->write_error)
		fprintf(err, "mvm record: writing the trace failed\n");
}

bool rec_writer_failed(const struct rec_writer *w)
{
	return w->write_error;
}
