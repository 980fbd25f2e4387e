/*
 * refspace.c - the address spaces behind a reference string (refspace.h).
 *
 * Regions are kept per process in a sorted array, split where an
 * operation's range cuts one (clip), never merged: only what each page
 * reaches matters here, not how many entries a map would hold.  Private
 * copies are a table from virtual page to page id; a copy's holders are
 * counted per id, so that fork can share copies in O(copies) and the
 * first store to a shared one makes a new copy (copy-on-write).
 *
 * Keys of pages everybody can name (refspace keys) are tagged in their
 * top bits: file pages (file index, page index below 2^28, since a file
 * holds at most 2^40 bytes) and shared anonymous pages (mapping object,
 * page index below 2^36, since user addresses have 48 bits).
 */
#include "refspace.h"

#include <stdlib.h>
#include <string.h>

#include "trace/trace_hash.h"

#define RS_PAGE 4096u          /* the trace's page size */
#define RS_KEY_FILE (1ull << 62)
#define RS_KEY_SHM (2ull << 62)

struct rs_region {
	uint64_t start, end;   /* [start, end), page aligned */
	uint8_t prot;          /* TRACE_PROT_* */
	bool shared, dontfork;
	uint32_t file;         /* file index + 1, or 0 for anonymous memory */
	uint64_t obj;          /* shared anonymous: the mapping's object */
	uint64_t pgoff;        /* file: page index at start */
};

struct rs_proc {
	struct rs_region *r;
	size_t n, cap;
	struct trace_hash copies;  /* vpn + 1 -> page id + 1 */
};

struct rs_file {
	char name[TRACE_NAME_MAX + 1];
	uint64_t size;
};

struct rs_space {
	struct refstring *rs;
	struct trace_hash procs;   /* pid -> struct rs_proc * */
	struct trace_hash keyed;   /* file or shared page key -> page id + 1 */
	uint32_t *holders;         /* per page id: copies' holders */
	size_t holders_cap;
	struct rs_file *files;
	size_t nfiles;
	uint64_t next_obj;
};

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (p == NULL)
		abort(); /* host memory exhausted: hosted tool, as trace_hash does */
	return p;
}

struct rs_space *rs_space_create(struct refstring *rs)
{
	struct rs_space *sp = calloc(1, sizeof *sp);

	if (sp == NULL)
		abort();
	sp->rs = rs;
	trace_hash_init(&sp->procs);
	trace_hash_init(&sp->keyed);
	return sp;
}

static void proc_free(struct rs_proc *p)
{
	trace_hash_free(&p->copies);
	free(p->r);
	free(p);
}

void rs_space_destroy(struct rs_space *sp)
{
	struct check_hash_slot *slot;

	for (size_t i = 0; trace_hash_next(&sp->procs, &i, &slot);)
		proc_free((struct rs_proc *)(uintptr_t)slot->value);
	trace_hash_free(&sp->procs);
	trace_hash_free(&sp->keyed);
	free(sp->holders);
	free(sp->files);
	free(sp);
}

static struct rs_proc *proc_of(struct rs_space *sp, uint64_t pid)
{
	uint64_t *v = trace_hash_find(&sp->procs, pid);

	return v != NULL ? (struct rs_proc *)(uintptr_t)*v : NULL;
}

static struct rs_proc *proc_new(struct rs_space *sp, uint64_t pid)
{
	struct rs_proc *p = calloc(1, sizeof *p);

	if (p == NULL)
		abort();
	trace_hash_init(&p->copies);
	*trace_hash_insert(&sp->procs, pid) = (uint64_t)(uintptr_t)p;
	return p;
}

/* ---- files ---- */

static struct rs_file *file_find(struct rs_space *sp, const char *name)
{
	for (size_t i = 0; i < sp->nfiles; i++)
		if (strcmp(sp->files[i].name, name) == 0)
			return &sp->files[i];
	return NULL;
}

static void file_set(struct rs_space *sp, const char *name, uint64_t size)
{
	struct rs_file *f = file_find(sp, name);

	if (f == NULL) {
		sp->files = xrealloc(sp->files, (sp->nfiles + 1) * sizeof *sp->files);
		f = &sp->files[sp->nfiles++];
		snprintf(f->name, sizeof f->name, "%s", name);
	}
	f->size = size;
}

/* ---- pages ---- */

static void reference(struct rs_space *sp, uint32_t id)
{
	refstring_push(sp->rs, id);
}

/* The id of a page anybody can name by KEY, made on first use. */
static uint32_t keyed_page(struct rs_space *sp, uint64_t key)
{
	uint64_t *v = trace_hash_insert(&sp->keyed, key);

	if (*v == 0)
		*v = (uint64_t)refstring_new_page(sp->rs, false) + 1;
	return (uint32_t)(*v - 1);
}

static uint32_t new_copy(struct rs_space *sp, bool copy)
{
	uint32_t id = refstring_new_page(sp->rs, copy);

	if (id >= sp->holders_cap) {
		sp->holders_cap = sp->holders_cap ? 2 * sp->holders_cap : 1024;
		while (sp->holders_cap <= id)
			sp->holders_cap *= 2;
		sp->holders = xrealloc(sp->holders, sp->holders_cap * sizeof *sp->holders);
	}
	sp->holders[id] = 1;
	return id;
}

static void copy_release(struct rs_space *sp, uint64_t id)
{
	sp->holders[id]--;
}

/* Drops P's private copies of the pages in [first, end) (vpns). */
static void copies_drop(struct rs_space *sp, struct rs_proc *p, uint64_t first, uint64_t end)
{
	struct check_hash_slot *slot;
	uint64_t *keys, n = 0;

	if (end - first <= trace_hash_count(&p->copies)) {
		for (uint64_t v = first; v < end; v++) {
			uint64_t *id = trace_hash_find(&p->copies, v + 1);

			if (id != NULL) {
				copy_release(sp, *id - 1);
				trace_hash_remove(&p->copies, v + 1);
			}
		}
		return;
	}
	/* A range larger than the table: walk the table instead, collecting
	 * first (removal moves slots under an iterator). */
	keys = xrealloc(NULL, (trace_hash_count(&p->copies) + 1) * sizeof *keys);
	for (size_t i = 0; trace_hash_next(&p->copies, &i, &slot);)
		if (slot->key - 1 >= first && slot->key - 1 < end)
			keys[n++] = slot->key;
	for (uint64_t i = 0; i < n; i++) {
		copy_release(sp, *trace_hash_find(&p->copies, keys[i]) - 1);
		trace_hash_remove(&p->copies, keys[i]);
	}
	free(keys);
}

/* ---- regions ---- */

/* Index of the first region ending after VA. */
static size_t region_index(const struct rs_proc *p, uint64_t va)
{
	size_t lo = 0, hi = p->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->r[mid].end <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct rs_region *region_at(struct rs_proc *p, uint64_t va)
{
	size_t i = region_index(p, va);

	return i < p->n && p->r[i].start <= va ? &p->r[i] : NULL;
}

static void region_insert(struct rs_proc *p, size_t i, const struct rs_region *r)
{
	if (p->n == p->cap) {
		p->cap = p->cap ? 2 * p->cap : 16;
		p->r = xrealloc(p->r, p->cap * sizeof *p->r);
	}
	if (i < p->n)
		memmove(&p->r[i + 1], &p->r[i], (p->n - i) * sizeof *p->r);
	p->r[i] = *r;
	p->n++;
}

/* Splits the region that has VA strictly inside it. */
static void clip(struct rs_proc *p, uint64_t va)
{
	size_t i = region_index(p, va);
	struct rs_region tail;

	if (i >= p->n || p->r[i].start >= va)
		return;
	tail = p->r[i];
	if (tail.file != 0)
		tail.pgoff += (va - tail.start) / RS_PAGE;
	tail.start = va;
	p->r[i].end = va;
	region_insert(p, i + 1, &tail);
}

/* [start, end) has no hole. */
static bool fully_mapped(struct rs_proc *p, uint64_t start, uint64_t end)
{
	for (size_t i = region_index(p, start); start < end; i++) {
		if (i >= p->n || p->r[i].start > start)
			return false;
		start = p->r[i].end;
	}
	return true;
}

static void unmap(struct rs_space *sp, struct rs_proc *p, uint64_t start, uint64_t end)
{
	size_t i, j;

	clip(p, start);
	clip(p, end);
	i = region_index(p, start);
	for (j = i; j < p->n && p->r[j].start < end; j++)
		;
	if (j > i)
		memmove(&p->r[i], &p->r[j], (p->n - j) * sizeof *p->r);
	p->n -= j - i;
	copies_drop(sp, p, start / RS_PAGE, end / RS_PAGE);
}

/* A range check shared by the mmap family: aligned, non-empty, no wrap
 * (errors change nothing here). */
static bool range_ok(uint64_t addr, uint64_t len, uint64_t *end)
{
	uint64_t n = (len + RS_PAGE - 1) & ~(uint64_t)(RS_PAGE - 1);

	if (addr % RS_PAGE != 0 || len == 0 || n < len || addr + n <= addr)
		return false;
	*end = addr + n;
	return true;
}

static void do_mmap(struct rs_space *sp, struct rs_proc *p, const struct trace_op *op)
{
	struct rs_region r = {.prot = op->prot, .shared = op->shared};
	uint64_t end;

	if (!range_ok(op->addr, op->len, &end) || (op->file && op->off % RS_PAGE != 0))
		return;
	if (op->file) {
		if (file_find(sp, op->name) == NULL || op->off >= (1ull << 63) ||
		    end - op->addr >= (1ull << 63) - op->off)
			return; /* ENOENT, EOVERFLOW */
		r.file = (uint32_t)(file_find(sp, op->name) - sp->files) + 1;
		r.pgoff = op->off / RS_PAGE;
	} else if (op->shared) {
		r.obj = ++sp->next_obj;
	}
	unmap(sp, p, op->addr, end);
	r.start = op->addr;
	r.end = end;
	region_insert(p, region_index(p, r.start), &r);
}

/* mprotect and madvise: every region of [start, end), split to fit. */
static void for_range(struct rs_space *sp, struct rs_proc *p, const struct trace_op *op,
		      void (*fn)(struct rs_space *, struct rs_proc *, struct rs_region *,
				 const struct trace_op *))
{
	uint64_t end;

	if (!range_ok(op->addr, op->len, &end) || !fully_mapped(p, op->addr, end))
		return;
	clip(p, op->addr);
	clip(p, end);
	for (size_t i = region_index(p, op->addr); i < p->n && p->r[i].start < end; i++)
		fn(sp, p, &p->r[i], op);
}

static void set_prot(struct rs_space *sp, struct rs_proc *p, struct rs_region *r,
		     const struct trace_op *op)
{
	(void)sp;
	(void)p;
	r->prot = op->prot;
}

static void advise(struct rs_space *sp, struct rs_proc *p, struct rs_region *r,
		   const struct trace_op *op)
{
	if (op->advice == TRACE_ADV_DONTFORK || op->advice == TRACE_ADV_DOFORK)
		r->dontfork = op->advice == TRACE_ADV_DONTFORK;
	else if (op->advice == TRACE_ADV_DONTNEED && !r->shared)
		copies_drop(sp, p, r->start / RS_PAGE, r->end / RS_PAGE);
	/* pageout and willneed change no content: the same pages follow. */
}

/* ---- processes ---- */

static void clear(struct rs_space *sp, struct rs_proc *p)
{
	copies_drop(sp, p, 0, UINT64_MAX / RS_PAGE);
	p->n = 0;
}

static void do_exit(struct rs_space *sp, uint64_t pid)
{
	struct rs_proc *p = proc_of(sp, pid);

	clear(sp, p);
	trace_hash_remove(&sp->procs, pid);
	proc_free(p);
}

/* The child shares every copy of the regions it inherits. */
static void do_fork(struct rs_space *sp, struct rs_proc *parent, uint64_t child)
{
	struct rs_proc *c = proc_new(sp, child);
	struct check_hash_slot *slot;

	for (size_t i = 0; i < parent->n; i++)
		if (!parent->r[i].dontfork)
			region_insert(c, c->n, &parent->r[i]);
	for (size_t i = 0; trace_hash_next(&parent->copies, &i, &slot);) {
		const struct rs_region *r = region_at(parent, (slot->key - 1) * RS_PAGE);

		if (r == NULL || r->dontfork)
			continue;
		*trace_hash_insert(&c->copies, slot->key) = slot->value;
		sp->holders[slot->value - 1]++;
	}
}

/* ---- accesses ---- */

/* A store to a private page: the process's own copy, made now if it has
 * none (zeros: a counted first touch) or shares one (a free copy). */
static void private_store(struct rs_space *sp, struct rs_proc *p, uint64_t vpn, bool from_file)
{
	uint64_t *slot = trace_hash_insert(&p->copies, vpn + 1);

	if (*slot != 0 && sp->holders[*slot - 1] == 1) {
		reference(sp, (uint32_t)(*slot - 1));
		return;
	}
	if (*slot != 0)
		copy_release(sp, *slot - 1);
	*slot = (uint64_t)new_copy(sp, *slot != 0 || from_file) + 1;
	reference(sp, (uint32_t)(*slot - 1));
}

/* The page of data at VA for an access; false where the access stops. */
static bool access_page(struct rs_space *sp, struct rs_proc *p, uint64_t va, bool write)
{
	struct rs_region *r = region_at(p, va);
	uint64_t vpn = va / RS_PAGE, *copy, pindex;

	if (r == NULL || (write ? !(r->prot & TRACE_PROT_W) : r->prot == 0))
		return false;
	pindex = vpn - r->start / RS_PAGE;
	if (r->file != 0 && (r->pgoff + pindex) * RS_PAGE >= sp->files[r->file - 1].size)
		return false; /* sigbus */
	if (r->shared && r->file == 0) {
		reference(sp, keyed_page(sp, RS_KEY_SHM | r->obj << 36 | (pindex & ((1ull << 36) - 1))));
		return true;
	}
	if (r->shared || (r->file != 0 && (copy = trace_hash_find(&p->copies, vpn + 1)) == NULL)) {
		reference(sp, keyed_page(sp, RS_KEY_FILE | (uint64_t)r->file << 28 | (r->pgoff + pindex)));
		if (!r->shared && write)
			private_store(sp, p, vpn, true);
		return true;
	}
	copy = trace_hash_find(&p->copies, vpn + 1);
	if (copy != NULL && (!write || sp->holders[*copy - 1] == 1)) {
		reference(sp, (uint32_t)(*copy - 1));
		return true;
	}
	if (copy != NULL)
		reference(sp, (uint32_t)(*copy - 1)); /* the copy reads its source */
	if (write)
		private_store(sp, p, vpn, false);
	return true; /* a read of a page nobody wrote: the zero page, no frame */
}

static void do_access(struct rs_space *sp, struct rs_proc *p, const struct trace_op *op)
{
	bool write = op->kind == TRACE_WRITE || (op->kind == TRACE_TOUCH && op->touch_write);
	uint64_t first = op->addr / RS_PAGE, last;

	if (op->len == 0 || op->addr + op->len - 1 < op->addr)
		return;
	last = (op->addr + op->len - 1) / RS_PAGE;
	for (uint64_t v = first; v <= last; v++)
		if (!access_page(sp, p, v * RS_PAGE, write))
			return;
}

static void do_file_io(struct rs_space *sp, const struct trace_op *op)
{
	struct rs_file *f = file_find(sp, op->name);
	uint64_t end = op->off + op->len;
	uint32_t index;

	if (f == NULL || op->len == 0 || end < op->off || end > TRACE_FILE_SIZE_MAX)
		return;
	if (op->kind == TRACE_PWRITE && end > f->size)
		f->size = end;
	if (end > f->size)
		end = f->size;
	if (op->off >= end)
		return; /* a pread from the end on reads nothing */
	index = (uint32_t)(f - sp->files) + 1;
	for (uint64_t pg = op->off / RS_PAGE; pg * RS_PAGE < end; pg++)
		reference(sp, keyed_page(sp, RS_KEY_FILE | (uint64_t)index << 28 | pg));
}

static void apply_proc(struct rs_space *sp, struct rs_proc *p, const struct trace_op *op)
{
	uint64_t end;

	switch (op->kind) {
	case TRACE_FORK: do_fork(sp, p, op->child); break;
	case TRACE_EXEC: clear(sp, p); break;
	case TRACE_EXIT: do_exit(sp, op->pid); break;
	case TRACE_MMAP: do_mmap(sp, p, op); break;
	case TRACE_MUNMAP:
		if (range_ok(op->addr, op->len, &end))
			unmap(sp, p, op->addr, end);
		break;
	case TRACE_MPROTECT: for_range(sp, p, op, set_prot); break;
	case TRACE_MADVISE: for_range(sp, p, op, advise); break;
	case TRACE_READ: case TRACE_WRITE: case TRACE_TOUCH: do_access(sp, p, op); break;
	case TRACE_PREAD: case TRACE_PWRITE: do_file_io(sp, op); break;
	default: break; /* msync, maps, vmdump: no page changes hands */
	}
}

void rs_space_apply(struct rs_space *sp, const struct trace_op *op)
{
	struct rs_proc *p;

	if (op->kind == TRACE_FILE) {
		file_set(sp, op->name, op->len);
		return;
	}
	if (op->kind == TRACE_SPAWN) {
		proc_new(sp, op->pid);
		return;
	}
	if (op->pid != 0 && (p = proc_of(sp, op->pid)) != NULL)
		apply_proc(sp, p, op);
}
