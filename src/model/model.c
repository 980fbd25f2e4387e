/*
 * model.c - the reference model: a naive executor of the trace spec.
 *
 * `mvm replay --verify` runs every operation through mvm and through this
 * file and compares the output events.  The model is meant to be read and
 * believed, not to be fast, and it shares no idea with the VM system: no
 * amaps, no shadow objects, no page queues, no copy-on-write.
 *
 * Representation
 *
 *   A process is a sorted array of spans plus a dictionary of private pages.
 *   A span is a run of pages [start, end) with one set of attributes:
 *   protection, private or shared, inherit (dontfork), and a backing (none
 *   for private anonymous memory, a shared anonymous buffer, or a file),
 *   with the page offset into the buffer or file at `start`.  Spans are how
 *   the model stays lazy: `mmap` of 1 GiB is one span and allocates no page
 *   until a page is stored to.  Operations split spans at the edges of
 *   their range, change the spans inside, and then join neighbours with
 *   identical attributes again, so the array stays as short as the address
 *   space allows.
 *
 *   The private page dictionary maps a virtual page number to 4 KiB of
 *   bytes.  For a private anonymous page an absent entry means zeros; for a
 *   private file page an absent entry means "shows the file", and a present
 *   one is the process's own copy made at its first store.
 *
 *   A shared anonymous buffer is a reference-counted dictionary from its
 *   own page number to bytes (absent = zeros), one per `mmap shared anon`.
 *   Files are named, never deleted, and held lazily too: the pattern the
 *   last `file` line wrote (seed, size) plus a dictionary of pages that
 *   were changed since (pwrite, stores through shared mappings).
 *
 *   Fork is a deep copy: spans are copied (dontfork spans are left out),
 *   private pages are copied byte for byte, shared buffers gain a
 *   reference.  A copied private page behaves exactly like copy-on-write
 *   sharing would, because neither side can ever see the other's later
 *   stores.
 *
 * Unspecified bytes
 *
 *   The spec leaves two things open, and the model marks reads that depend
 *   on them with hash_unspecified so any hash is accepted:
 *   - bytes past EOF in a file's last page after a store through a shared
 *     mapping wrote there (the file remembers which page, and the bytes
 *     at or beyond EOF in that page are unspecified until the file grows
 *     over them; a private copy taken from that page inherits a per-byte
 *     mask, cleared byte by byte as the process stores);
 *   - every read through a file mapping that existed when its file was
 *     recreated by a `file` line (each span remembers the file generation
 *     it was mapped at).
 *   Stores through such stale shared mappings still reach the file, as on
 *   Linux, where a truncated and rewritten file keeps its inode.
 *
 * Errors are checked in the order the spec and the Linux reading give:
 * EINVAL (alignment, zero length, wrap), ENOENT, EOVERFLOW, then ENOMEM;
 * mprotect, madvise and msync with an aligned ADDR and a zero LEN succeed
 * before any of them.  pread and pwrite: ENOENT, EINVAL (OFF + LEN past
 * 2^63 - 1), then for pwrite EFBIG (OFF + LEN past 2^40).
 */
#include "model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MODEL_PAGE 4096u
#define MODEL_PAGE_SHIFT 12
/* Page numbers: 2^52 pages is 2^64 bytes; user space ends one page below
 * 2^47, as Linux's TASK_SIZE does on x86-64. */
#define MODEL_VPN_WRAP ((uint64_t)1 << 52)
#define MODEL_VPN_USER (((uint64_t)1 << 35) - 1)
/* A file mapping may not reach byte 2^63: Linux's file_mmap_ok() wants
 * pgoff <= (MAX_LFS_FILESIZE - len) >> 12, MAX_LFS_FILESIZE = 2^63 - 1. */
#define MODEL_FILE_PAGES ((uint64_t)1 << 51)
/* pread/pwrite: OFF + LEN may not pass 2^63 - 1. */
#define MODEL_FILE_MAX (((uint64_t)1 << 63) - 1)
/* A file holds at most 2^40 bytes (spec amendment of 2026-12-04); kept
 * apart from the trace library's constant so that the model stays an
 * independent reading of the spec. */
#define MODEL_FILE_SIZE_MAX ((uint64_t)1 << 40)

/* ---- host memory: the model has no shortage of its own ---- */

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p) {
		fprintf(stderr, "model: out of host memory\n");
		abort();
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p) {
		fprintf(stderr, "model: out of host memory\n");
		abort();
	}
	return p;
}

static void *xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);
	if (!p) {
		fprintf(stderr, "model: out of host memory\n");
		abort();
	}
	return p;
}

/*
 * ---- a dictionary from 64-bit keys to non-NULL pointers ----
 *
 * Open addressing with linear probing, at most half full, and deletion by
 * shifting later entries back, so there are no tombstones to age.
 */
struct u64slot {
	uint64_t key;
	void *val; /* NULL: the slot is empty */
};

struct u64map {
	struct u64slot *slot;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

static size_t u64_hash(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return (size_t)k;
}

static void *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->n)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = u64_hash(key) & mask; m->slot[i].val; i = (i + 1) & mask)
		if (m->slot[i].key == key)
			return m->slot[i].val;
	return NULL;
}

static void u64map_insert_fresh(struct u64slot *slot, size_t cap, uint64_t key, void *val)
{
	size_t i = u64_hash(key) & (cap - 1);
	while (slot[i].val)
		i = (i + 1) & (cap - 1);
	slot[i].key = key;
	slot[i].val = val;
}

/* KEY must not be present. */
static void u64map_put(struct u64map *m, uint64_t key, void *val)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 16;
		struct u64slot *slot = xcalloc(cap, sizeof *slot);
		for (size_t i = 0; i < m->cap; i++)
			if (m->slot[i].val)
				u64map_insert_fresh(slot, cap, m->slot[i].key, m->slot[i].val);
		free(m->slot);
		m->slot = slot;
		m->cap = cap;
	}
	u64map_insert_fresh(m->slot, m->cap, key, val);
	m->n++;
}

/* Removes KEY and returns its value, or NULL if it was absent. */
static void *u64map_del(struct u64map *m, uint64_t key)
{
	if (!m->n)
		return NULL;
	size_t mask = m->cap - 1;
	size_t i = u64_hash(key) & mask;
	while (m->slot[i].val && m->slot[i].key != key)
		i = (i + 1) & mask;
	void *val = m->slot[i].val;
	if (!val)
		return NULL;
	m->slot[i].val = NULL;
	m->n--;
	/* Shift back every later entry of the cluster whose home is not
	 * strictly between the hole and its own slot. */
	for (size_t j = (i + 1) & mask; m->slot[j].val; j = (j + 1) & mask) {
		size_t home = u64_hash(m->slot[j].key) & mask;
		bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
		if (stays)
			continue;
		m->slot[i] = m->slot[j];
		m->slot[j].val = NULL;
		i = j;
	}
	return val;
}

static void u64map_free(struct u64map *m)
{
	free(m->slot);
	m->slot = NULL;
	m->cap = m->n = 0;
}

/* ---- pages of bytes ---- */

struct mpage {
	uint8_t b[MODEL_PAGE];
	uint8_t *unspec; /* NULL, or one flag per byte: its value is unspecified */
};

static struct mpage *mpage_zero(void)
{
	return xcalloc(1, sizeof(struct mpage));
}

static struct mpage *mpage_clone(const struct mpage *src)
{
	struct mpage *pg = xmalloc(sizeof *pg);
	memcpy(pg->b, src->b, MODEL_PAGE);
	pg->unspec = NULL;
	if (src->unspec) {
		pg->unspec = xmalloc(MODEL_PAGE);
		memcpy(pg->unspec, src->unspec, MODEL_PAGE);
	}
	return pg;
}

static void mpage_free(struct mpage *pg)
{
	if (pg) {
		free(pg->unspec);
		free(pg);
	}
}

static void pagemap_free(struct u64map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->slot[i].val)
			mpage_free(m->slot[i].val);
	u64map_free(m);
}

/*
 * Which bytes of a page view are unspecified: those in [lo, hi), and those
 * whose flag in MASK is set.
 */
struct unspec {
	unsigned lo, hi;
	const uint8_t *mask;
};

static bool unspec_covers(const struct unspec *u, unsigned from, unsigned to)
{
	if (u->lo < u->hi && u->lo < to && from < u->hi)
		return true;
	if (u->mask)
		for (unsigned i = from; i < to; i++)
			if (u->mask[i])
				return true;
	return false;
}

/* ---- files ---- */

struct mfile {
	char name[TRACE_NAME_MAX + 1];
	uint64_t size;
	uint64_t base_seed, base_size; /* what the last `file` line wrote */
	struct u64map pages;           /* file page -> bytes changed since */
	uint64_t gen;                  /* bumped by every recreation */
	bool tail_dirty;               /* a shared store reached past EOF ... */
	uint64_t tail_page;            /* ... in this page */
	struct mfile *next_same_hash;
};

static uint64_t name_hash(const char *name)
{
	return trace_fnv1a(TRACE_FNV_OFFSET, (const uint8_t *)name, strlen(name));
}

/* The file's bytes of page FP: what pread would see, zeros past EOF. */
static void file_fill(const struct mfile *f, uint64_t fp, uint8_t *buf)
{
	uint64_t start = fp << MODEL_PAGE_SHIFT;
	const struct mpage *pg = u64map_get(&f->pages, fp);
	if (pg) {
		memcpy(buf, pg->b, MODEL_PAGE);
	} else {
		memset(buf, 0, MODEL_PAGE);
		if (start < f->base_size) {
			uint64_t n = f->base_size - start;
			trace_pattern_fill(f->base_seed, start, buf, n < MODEL_PAGE ? n : MODEL_PAGE);
		}
	}
	if (start + MODEL_PAGE > f->size) {
		uint64_t keep = f->size > start ? f->size - start : 0;
		memset(buf + keep, 0, MODEL_PAGE - keep);
	}
}

/* Unspecified bytes of file page FP as seen through a mapping. */
static struct unspec file_unspec(const struct mfile *f, uint64_t fp)
{
	struct unspec u = { 0, 0, NULL };
	uint64_t start = fp << MODEL_PAGE_SHIFT;
	if (f->tail_dirty && f->tail_page == fp && f->size < start + MODEL_PAGE) {
		u.lo = f->size > start ? (unsigned)(f->size - start) : 0;
		u.hi = MODEL_PAGE;
	}
	return u;
}

/* Stores N bytes at file offset OFF; the range must lie below EOF. */
static void file_store(struct mfile *f, uint64_t off, const uint8_t *src, uint64_t n)
{
	while (n) {
		uint64_t fp = off >> MODEL_PAGE_SHIFT;
		unsigned lo = (unsigned)(off & (MODEL_PAGE - 1));
		unsigned k = MODEL_PAGE - lo;
		if (k > n)
			k = (unsigned)n;
		struct mpage *pg = u64map_get(&f->pages, fp);
		if (!pg) {
			pg = mpage_zero();
			file_fill(f, fp, pg->b);
			u64map_put(&f->pages, fp, pg);
		}
		memcpy(pg->b + lo, src, k);
		off += k;
		src += k;
		n -= k;
	}
}

/* `file NAME SIZE SEED`: truncate to nothing, then write the pattern. */
static void file_rewrite(struct mfile *f, uint64_t size, uint64_t seed)
{
	pagemap_free(&f->pages);
	f->size = size;
	f->base_size = size;
	f->base_seed = seed;
	f->tail_dirty = false;
	f->gen++;
}

/* ---- shared anonymous buffers ---- */

struct mshm {
	size_t refs;          /* spans (in every process) that use it */
	struct u64map pages;  /* buffer page -> bytes; absent = zeros */
};

static void shm_retain(struct mshm *s)
{
	if (s)
		s->refs++;
}

static void shm_release(struct mshm *s)
{
	if (s && --s->refs == 0) {
		pagemap_free(&s->pages);
		free(s);
	}
}

/* ---- spans and processes ---- */

struct span {
	uint64_t start, end;  /* virtual page numbers, [start, end) */
	uint8_t prot;         /* TRACE_PROT_* */
	bool shared;
	bool dontfork;
	struct mshm *shm;     /* shared anonymous: the buffer (one reference) */
	struct mfile *file;   /* file mapping: the file */
	uint64_t file_gen;    /* file mapping: the file's generation at mmap */
	uint64_t pgoff;       /* buffer or file page at `start` */
};

struct mproc {
	uint64_t pid;
	struct span *span; /* sorted, disjoint */
	size_t nspan, capspan;
	struct u64map priv; /* vpn -> private bytes (see the top comment) */
};

struct model {
	struct u64map procs; /* pid -> struct mproc */
	struct u64map files; /* name hash -> struct mfile chain */
};

/* How alike two neighbouring spans must be to count as one run. */
enum join_level {
	JOIN_MAPS,    /* `maps`: prot, sharing and backing */
	JOIN_ENTRIES, /* model_min_entries: also inheritance */
	JOIN_STORE,   /* the span array: also the file generation */
};

static bool spans_join(const struct span *x, const struct span *y, enum join_level lvl)
{
	if (x->end != y->start || x->prot != y->prot || x->shared != y->shared)
		return false;
	if (x->file != y->file || x->shm != y->shm)
		return false;
	if (lvl >= JOIN_ENTRIES && x->dontfork != y->dontfork)
		return false;
	if (lvl >= JOIN_STORE && x->file && x->file_gen != y->file_gen)
		return false;
	if (x->file || x->shm)
		return x->pgoff + (x->end - x->start) == y->pgoff;
	return true; /* private anonymous memory has no identity */
}

/* Index of the first span that ends after VPN. */
static size_t span_index(const struct mproc *p, uint64_t vpn)
{
	size_t lo = 0, hi = p->nspan;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->span[mid].end <= vpn)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct span *span_lookup(const struct mproc *p, uint64_t vpn)
{
	size_t i = span_index(p, vpn);
	if (i < p->nspan && p->span[i].start <= vpn)
		return &p->span[i];
	return NULL;
}

static void span_insert_at(struct mproc *p, size_t i, const struct span *s)
{
	if (p->nspan == p->capspan) {
		p->capspan = p->capspan ? 2 * p->capspan : 8;
		p->span = xrealloc(p->span, p->capspan * sizeof *p->span);
	}
	memmove(&p->span[i + 1], &p->span[i], (p->nspan - i) * sizeof *p->span);
	p->span[i] = *s;
	p->nspan++;
}

/* Makes VPN a span boundary if a span straddles it. */
static void span_split(struct mproc *p, uint64_t vpn)
{
	size_t i = span_index(p, vpn);
	if (i >= p->nspan || p->span[i].start >= vpn)
		return;
	struct span tail = p->span[i];
	tail.pgoff += vpn - tail.start;
	tail.start = vpn;
	p->span[i].end = vpn;
	shm_retain(tail.shm);
	span_insert_at(p, i + 1, &tail);
}

/* Joins neighbours that are alike in every respect. */
static void spans_normalize(struct mproc *p)
{
	size_t out = 0;
	for (size_t i = 0; i < p->nspan; i++) {
		if (out && spans_join(&p->span[out - 1], &p->span[i], JOIN_STORE)) {
			p->span[out - 1].end = p->span[i].end;
			shm_release(p->span[i].shm);
		} else {
			p->span[out++] = p->span[i];
		}
	}
	p->nspan = out;
}

/* Whether every page of [a, e) is mapped. */
static bool range_covered(const struct mproc *p, uint64_t a, uint64_t e)
{
	size_t i = span_index(p, a);
	for (uint64_t cur = a; cur < e; i++) {
		if (i >= p->nspan || p->span[i].start > cur)
			return false;
		cur = p->span[i].end;
	}
	return true;
}

/* Frees the private pages of [a, e). */
static void priv_drop(struct mproc *p, uint64_t a, uint64_t e)
{
	if (!p->priv.n)
		return;
	if (e - a <= p->priv.cap) {
		for (uint64_t v = a; v < e; v++)
			mpage_free(u64map_del(&p->priv, v));
		return;
	}
	/* A huge range: walk the dictionary instead of the range. */
	size_t nkeys = 0;
	uint64_t *keys = xmalloc(p->priv.n * sizeof *keys);
	for (size_t i = 0; i < p->priv.cap; i++)
		if (p->priv.slot[i].val && p->priv.slot[i].key >= a && p->priv.slot[i].key < e)
			keys[nkeys++] = p->priv.slot[i].key;
	for (size_t i = 0; i < nkeys; i++)
		mpage_free(u64map_del(&p->priv, keys[i]));
	free(keys);
}

/* Unmaps [a, e): spans go, and so do their private pages. */
static void range_remove(struct mproc *p, uint64_t a, uint64_t e)
{
	span_split(p, a);
	span_split(p, e);
	size_t i = span_index(p, a), j = i;
	while (j < p->nspan && p->span[j].start < e)
		shm_release(p->span[j++].shm);
	if (j > i) {
		memmove(&p->span[i], &p->span[j], (p->nspan - j) * sizeof *p->span);
		p->nspan -= j - i;
	}
	priv_drop(p, a, e);
}

static void proc_clear(struct mproc *p)
{
	for (size_t i = 0; i < p->nspan; i++)
		shm_release(p->span[i].shm);
	p->nspan = 0;
	pagemap_free(&p->priv);
}

static void proc_destroy(struct mproc *p)
{
	proc_clear(p);
	free(p->span);
	free(p);
}

static struct mproc *proc_get(const struct model *m, uint64_t pid)
{
	return u64map_get(&m->procs, pid);
}

static void proc_remove(struct model *m, uint64_t pid)
{
	struct mproc *p = u64map_del(&m->procs, pid);
	if (p)
		proc_destroy(p);
}

/* A new, empty process PID (replacing any process of that id). */
static struct mproc *proc_create(struct model *m, uint64_t pid)
{
	proc_remove(m, pid);
	struct mproc *p = xcalloc(1, sizeof *p);
	p->pid = pid;
	u64map_put(&m->procs, pid, p);
	return p;
}

/* ---- the model ---- */

struct model *model_create(void)
{
	return xcalloc(1, sizeof(struct model));
}

static struct mfile *file_lookup(const struct model *m, const char *name)
{
	for (struct mfile *f = u64map_get(&m->files, name_hash(name)); f; f = f->next_same_hash)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static struct mfile *file_create(struct model *m, const char *name)
{
	struct mfile *f = xcalloc(1, sizeof *f);
	snprintf(f->name, sizeof f->name, "%s", name);
	uint64_t h = name_hash(name);
	f->next_same_hash = u64map_del(&m->files, h);
	u64map_put(&m->files, h, f);
	return f;
}

void model_destroy(struct model *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->procs.cap; i++)
		if (m->procs.slot[i].val)
			proc_destroy(m->procs.slot[i].val);
	u64map_free(&m->procs);
	for (size_t i = 0; i < m->files.cap; i++) {
		struct mfile *f = m->files.slot[i].val;
		while (f) {
			struct mfile *next = f->next_same_hash;
			pagemap_free(&f->pages);
			free(f);
			f = next;
		}
	}
	u64map_free(&m->files);
	free(m);
}

/* ---- events ---- */

static void emit_error(struct trace_events *out, const struct trace_op *op, const char *word)
{
	struct trace_event *ev = trace_events_push(out);
	ev->kind = TEV_ERROR;
	ev->pid = op->pid;
	ev->op = op->kind;
	ev->word = word;
}

enum fault { FAULT_NONE, FAULT_SEGV, FAULT_SIGBUS };

static void emit_fault(struct trace_events *out, uint64_t pid, enum fault f, uint64_t addr)
{
	struct trace_event *ev = trace_events_push(out);
	ev->kind = f == FAULT_SIGBUS ? TEV_SIGBUS : TEV_SEGV;
	ev->pid = pid;
	ev->addr = addr;
}

/* ---- argument checks ---- */

static bool page_aligned(uint64_t x)
{
	return (x & (MODEL_PAGE - 1)) == 0;
}

/*
 * The page range [*a, *e) of an aligned ADDR and LEN >= 1, LEN rounded up
 * to a page.  False when the range wraps or ends exactly at 2^64.
 */
static bool page_range(uint64_t addr, uint64_t len, uint64_t *a, uint64_t *e)
{
	uint64_t pages = (len >> MODEL_PAGE_SHIFT) + ((len & (MODEL_PAGE - 1)) != 0);
	*a = addr >> MODEL_PAGE_SHIFT;
	*e = *a + pages; /* both below 2^53: no overflow */
	return *e < MODEL_VPN_WRAP;
}

/* The EINVAL rule shared by every address-space operation. */
static bool range_args_ok(const struct trace_op *op, uint64_t *a, uint64_t *e)
{
	return page_aligned(op->addr) && op->len != 0 && page_range(op->addr, op->len, a, e);
}

/* pread/pwrite: OFF + LEN may not pass 2^63 - 1. */
static bool file_range_ok(uint64_t off, uint64_t len)
{
	return off <= MODEL_FILE_MAX && len <= MODEL_FILE_MAX - off;
}

/* ---- address space operations ---- */

static void op_mmap(struct model *m, struct mproc *p, const struct trace_op *op,
		    struct trace_events *out)
{
	uint64_t a, e;
	if (!range_args_ok(op, &a, &e) || (op->file && !page_aligned(op->off))) {
		emit_error(out, op, "EINVAL");
		return;
	}
	struct mfile *f = NULL;
	if (op->file) {
		f = file_lookup(m, op->name);
		if (!f) {
			emit_error(out, op, "ENOENT");
			return;
		}
		/* Linux refuses a mapping that reaches byte 2^63. */
		if ((op->off >> MODEL_PAGE_SHIFT) + (e - a) >= MODEL_FILE_PAGES) {
			emit_error(out, op, "EOVERFLOW");
			return;
		}
	}
	if (e > MODEL_VPN_USER) {
		emit_error(out, op, "ENOMEM");
		return;
	}
	range_remove(p, a, e);
	struct span s = {
		.start = a, .end = e, .prot = op->prot, .shared = op->shared,
	};
	if (f) {
		s.file = f;
		s.file_gen = f->gen;
		s.pgoff = op->off >> MODEL_PAGE_SHIFT;
	} else if (op->shared) {
		s.shm = xcalloc(1, sizeof *s.shm);
		s.shm->refs = 1;
	}
	span_insert_at(p, span_index(p, a), &s);
	spans_normalize(p);
}

static void op_munmap(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	uint64_t a, e;
	if (!range_args_ok(op, &a, &e) || e > MODEL_VPN_USER) {
		emit_error(out, op, "EINVAL");
		return;
	}
	range_remove(p, a, e);
	spans_normalize(p);
}

/*
 * The checks of mprotect, madvise and msync: EINVAL, then ENOMEM when a
 * page is unmapped.  On success gives the page range.  An aligned ADDR
 * with a zero LEN is a success with nothing to do, as on Linux: false,
 * with no error line.
 */
static bool range_checked(const struct mproc *p, const struct trace_op *op,
			  struct trace_events *out, uint64_t *a, uint64_t *e)
{
	if (op->len == 0 && page_aligned(op->addr))
		return false;
	if (!range_args_ok(op, a, e)) {
		emit_error(out, op, "EINVAL");
		return false;
	}
	if (!range_covered(p, *a, *e)) {
		emit_error(out, op, "ENOMEM");
		return false;
	}
	return true;
}

static void op_mprotect(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	uint64_t a, e;
	if (!range_checked(p, op, out, &a, &e))
		return;
	span_split(p, a);
	span_split(p, e);
	for (size_t i = span_index(p, a); i < p->nspan && p->span[i].start < e; i++)
		p->span[i].prot = op->prot;
	spans_normalize(p);
}

static void set_inherit(struct mproc *p, uint64_t a, uint64_t e, bool dontfork)
{
	span_split(p, a);
	span_split(p, e);
	for (size_t i = span_index(p, a); i < p->nspan && p->span[i].start < e; i++)
		p->span[i].dontfork = dontfork;
	spans_normalize(p);
}

/* dontneed: private pages lose their contents; shared ones keep them. */
static void drop_private(struct mproc *p, uint64_t a, uint64_t e)
{
	for (size_t i = span_index(p, a); i < p->nspan && p->span[i].start < e; i++) {
		const struct span *s = &p->span[i];
		if (s->shared)
			continue;
		priv_drop(p, s->start > a ? s->start : a, s->end < e ? s->end : e);
	}
}

static void op_madvise(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	uint64_t a, e;
	if (!range_checked(p, op, out, &a, &e))
		return;
	switch (op->advice) {
	case TRACE_ADV_DONTNEED:
		drop_private(p, a, e);
		break;
	case TRACE_ADV_DONTFORK:
		set_inherit(p, a, e, true);
		break;
	case TRACE_ADV_DOFORK:
		set_inherit(p, a, e, false);
		break;
	case TRACE_ADV_WILLNEED:
	case TRACE_ADV_PAGEOUT:
		break; /* hints: no content changes */
	}
}

static void op_msync(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	uint64_t a, e;
	/* Stores through shared file mappings already are the file's bytes. */
	range_checked(p, op, out, &a, &e);
}

static void emit_map(struct trace_events *out, uint64_t pid, const struct span *first,
		     uint64_t end)
{
	struct trace_event *ev = trace_events_push(out);
	ev->kind = TEV_MAP;
	ev->pid = pid;
	ev->addr = first->start << MODEL_PAGE_SHIFT;
	ev->end = end << MODEL_PAGE_SHIFT;
	ev->prot = first->prot;
	ev->shared = first->shared;
	ev->file = first->file != NULL;
	if (first->file) {
		ev->off = first->pgoff << MODEL_PAGE_SHIFT;
		snprintf(ev->name, sizeof ev->name, "%s", first->file->name);
	}
}

static void op_maps(const struct mproc *p, struct trace_events *out)
{
	for (size_t i = 0; i < p->nspan;) {
		size_t j = i + 1;
		while (j < p->nspan && spans_join(&p->span[j - 1], &p->span[j], JOIN_MAPS))
			j++;
		emit_map(out, p->pid, &p->span[i], p->span[j - 1].end);
		i = j;
	}
}

size_t model_min_entries(const struct model *m, uint64_t pid)
{
	const struct mproc *p = proc_get(m, pid);
	if (!p)
		return 0;
	size_t runs = 0;
	for (size_t i = 0; i < p->nspan; i++)
		if (i == 0 || !spans_join(&p->span[i - 1], &p->span[i], JOIN_ENTRIES))
			runs++;
	return runs;
}

/* ---- processes ---- */

static void op_fork(struct model *m, const struct mproc *parent, uint64_t child_pid)
{
	if (child_pid == parent->pid)
		return; /* not admissible; never destroy the parent */
	struct mproc *c = proc_create(m, child_pid);
	for (size_t i = 0; i < parent->nspan; i++) {
		const struct span *s = &parent->span[i];
		if (s->dontfork)
			continue;
		shm_retain(s->shm);
		span_insert_at(c, c->nspan, s);
	}
	for (size_t i = 0; i < parent->priv.cap; i++) {
		const struct u64slot *slot = &parent->priv.slot[i];
		if (!slot->val)
			continue;
		const struct span *s = span_lookup(parent, slot->key);
		if (s && !s->dontfork)
			u64map_put(&c->priv, slot->key, mpage_clone(slot->val));
	}
}

/* ---- data access ---- */

static uint64_t span_backing_page(const struct span *s, uint64_t vpn)
{
	return s->pgoff + (vpn - s->start);
}

/* Whether the access is allowed; gives the page's span when it is. */
static enum fault page_access(const struct mproc *p, uint64_t vpn, bool write,
			      struct span **out)
{
	struct span *s = span_lookup(p, vpn);
	if (!s)
		return FAULT_SEGV;
	if (write ? !(s->prot & TRACE_PROT_W) : s->prot == 0)
		return FAULT_SEGV;
	if (s->file && (span_backing_page(s, vpn) << MODEL_PAGE_SHIFT) >= s->file->size)
		return FAULT_SIGBUS;
	*out = s;
	return FAULT_NONE;
}

static bool span_stale(const struct span *s)
{
	return s->file && s->file_gen != s->file->gen;
}

/* The bytes a process sees in page VPN of span S, and which are unspecified. */
static void view_page(const struct mproc *p, const struct span *s, uint64_t vpn,
		      uint8_t *buf, struct unspec *u)
{
	*u = (struct unspec){ 0, 0, NULL };
	const struct mpage *pg = NULL;
	if (!s->shared)
		pg = u64map_get(&p->priv, vpn);
	else if (s->shm)
		pg = u64map_get(&s->shm->pages, span_backing_page(s, vpn));
	if (pg) {
		memcpy(buf, pg->b, MODEL_PAGE);
		u->mask = pg->unspec;
	} else if (s->file) {
		file_fill(s->file, span_backing_page(s, vpn), buf);
		*u = file_unspec(s->file, span_backing_page(s, vpn));
	} else {
		memset(buf, 0, MODEL_PAGE);
	}
	if (span_stale(s)) {
		u->lo = 0;
		u->hi = MODEL_PAGE;
	}
}

/*
 * The private page of VPN, made at the first store: zeros for anonymous
 * memory, a copy of what the process saw for a file page.
 */
static struct mpage *priv_page(struct mproc *p, const struct span *s, uint64_t vpn)
{
	struct mpage *pg = u64map_get(&p->priv, vpn);
	if (pg)
		return pg;
	pg = mpage_zero();
	if (s->file) {
		struct unspec u;
		view_page(p, s, vpn, pg->b, &u);
		if (u.lo < u.hi) {
			pg->unspec = xcalloc(1, MODEL_PAGE);
			memset(pg->unspec + u.lo, 1, u.hi - u.lo);
		}
	}
	u64map_put(&p->priv, vpn, pg);
	return pg;
}

static void page_store(struct mproc *p, struct span *s, uint64_t vpn, unsigned lo,
		       const uint8_t *src, unsigned n)
{
	if (!s->shared) {
		struct mpage *pg = priv_page(p, s, vpn);
		memcpy(pg->b + lo, src, n);
		if (pg->unspec)
			memset(pg->unspec + lo, 0, n);
	} else if (s->shm) {
		uint64_t bp = span_backing_page(s, vpn);
		struct mpage *pg = u64map_get(&s->shm->pages, bp);
		if (!pg) {
			pg = mpage_zero();
			u64map_put(&s->shm->pages, bp, pg);
		}
		memcpy(pg->b + lo, src, n);
	} else {
		struct mfile *f = s->file;
		uint64_t fp = span_backing_page(s, vpn);
		uint64_t off = (fp << MODEL_PAGE_SHIFT) + lo;
		uint64_t in_file = off < f->size ? f->size - off : 0;
		if (in_file > n)
			in_file = n;
		file_store(f, off, src, in_file);
		if (in_file < n) {
			/* Past EOF: not part of the file, and unspecified to read. */
			f->tail_dirty = true;
			f->tail_page = fp;
		}
	}
}

/*
 * Walks [addr, addr + len) page by page.  For each page, STEP gets the
 * first byte's address and the byte count on that page; the walk stops at
 * the first page the access may not touch and reports the fault.
 */
struct access_walk {
	uint64_t addr;   /* current position */
	uint64_t left;   /* bytes still to go */
	uint64_t vpn;
	unsigned lo, n;  /* the bytes of this page: [lo, lo + n) */
};

static bool walk_next(struct access_walk *w)
{
	if (!w->left)
		return false;
	w->vpn = w->addr >> MODEL_PAGE_SHIFT;
	w->lo = (unsigned)(w->addr & (MODEL_PAGE - 1));
	w->n = MODEL_PAGE - w->lo;
	if (w->n > w->left)
		w->n = (unsigned)w->left;
	return true;
}

static void walk_advance(struct access_walk *w)
{
	w->addr += w->n;
	w->left -= w->n;
}

static void op_read(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	uint8_t buf[MODEL_PAGE];
	uint64_t h = TRACE_FNV_OFFSET;
	bool unspecified = false;
	struct access_walk w = { op->addr, op->len, 0, 0, 0 };
	for (; walk_next(&w); walk_advance(&w)) {
		struct span *s = NULL;
		enum fault f = page_access(p, w.vpn, false, &s);
		if (f != FAULT_NONE) {
			emit_fault(out, op->pid, f, w.addr);
			return;
		}
		struct unspec u;
		view_page(p, s, w.vpn, buf, &u);
		h = trace_fnv1a(h, buf + w.lo, w.n);
		unspecified |= unspec_covers(&u, w.lo, w.lo + w.n);
	}
	struct trace_event *ev = trace_events_push(out);
	ev->kind = TEV_READ;
	ev->pid = op->pid;
	ev->addr = op->addr;
	ev->len = op->len;
	ev->hash = h;
	ev->hash_unspecified = unspecified;
}

static void op_write(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	uint8_t buf[MODEL_PAGE];
	struct access_walk w = { op->addr, op->len, 0, 0, 0 };
	for (; walk_next(&w); walk_advance(&w)) {
		struct span *s = NULL;
		enum fault f = page_access(p, w.vpn, true, &s);
		if (f != FAULT_NONE) {
			emit_fault(out, op->pid, f, w.addr);
			return;
		}
		trace_pattern_fill(op->seed, w.addr, buf, w.n);
		page_store(p, s, w.vpn, w.lo, buf, w.n);
	}
}

/*
 * A touch reads one byte per page; a `w` touch writes it back, which
 * changes no byte but is a store: a private file page becomes the
 * process's own copy.  The read comes first, so a page that may be read
 * but lies past the end of its file gives sigbus even where writing it
 * would be a protection fault.
 */
static void op_touch(struct mproc *p, const struct trace_op *op, struct trace_events *out)
{
	struct access_walk w = { op->addr, op->len, 0, 0, 0 };
	for (; walk_next(&w); walk_advance(&w)) {
		struct span *s = NULL;
		enum fault f = page_access(p, w.vpn, false, &s);
		if (f == FAULT_NONE && op->touch_write)
			f = page_access(p, w.vpn, true, &s);
		if (f != FAULT_NONE) {
			emit_fault(out, op->pid, f, w.addr);
			return;
		}
		if (op->touch_write && !s->shared && s->file)
			priv_page(p, s, w.vpn);
	}
}

/* ---- files ---- */

static void op_file(struct model *m, const struct trace_op *op)
{
	struct mfile *f = file_lookup(m, op->name);
	if (!f)
		f = file_create(m, op->name);
	file_rewrite(f, op->len, op->seed);
}

static void op_pread(struct model *m, const struct trace_op *op, struct trace_events *out)
{
	const struct mfile *f = file_lookup(m, op->name);
	if (!f) {
		emit_error(out, op, "ENOENT");
		return;
	}
	if (!file_range_ok(op->off, op->len)) {
		emit_error(out, op, "EINVAL");
		return;
	}
	uint64_t n = op->off < f->size ? f->size - op->off : 0;
	if (n > op->len)
		n = op->len;
	uint8_t buf[MODEL_PAGE];
	uint64_t h = TRACE_FNV_OFFSET;
	for (uint64_t off = op->off, left = n; left;) {
		unsigned lo = (unsigned)(off & (MODEL_PAGE - 1));
		unsigned k = MODEL_PAGE - lo;
		if (k > left)
			k = (unsigned)left;
		file_fill(f, off >> MODEL_PAGE_SHIFT, buf);
		h = trace_fnv1a(h, buf + lo, k);
		off += k;
		left -= k;
	}
	struct trace_event *ev = trace_events_push(out);
	ev->kind = TEV_PREAD;
	ev->pid = op->pid;
	ev->off = op->off;
	ev->len = n;
	ev->hash = h;
	snprintf(ev->name, sizeof ev->name, "%s", f->name);
}

static void op_pwrite(struct model *m, const struct trace_op *op, struct trace_events *out)
{
	struct mfile *f = file_lookup(m, op->name);
	if (!f) {
		emit_error(out, op, "ENOENT");
		return;
	}
	if (!file_range_ok(op->off, op->len)) {
		emit_error(out, op, "EINVAL");
		return;
	}
	if (!op->len)
		return; /* writes nothing and, as on Linux, does not grow the file */
	if (op->off + op->len > MODEL_FILE_SIZE_MAX) {
		emit_error(out, op, "EFBIG"); /* all refused: nothing written */
		return;
	}
	if (op->off + op->len > f->size)
		f->size = op->off + op->len; /* the gap reads as zeros */
	uint8_t buf[MODEL_PAGE];
	for (uint64_t off = op->off, left = op->len; left;) {
		uint64_t k = MODEL_PAGE - (off & (MODEL_PAGE - 1));
		if (k > left)
			k = left;
		trace_pattern_fill(op->seed, off, buf, (size_t)k);
		file_store(f, off, buf, k);
		off += k;
		left -= k;
	}
}

/* ---- dispatch ---- */

void model_kill(struct model *m, uint64_t pid)
{
	proc_remove(m, pid);
}

/* Operations of one process; P exists (the replayer admitted the op). */
static void apply_proc_op(struct model *m, struct mproc *p, const struct trace_op *op,
			  struct trace_events *out)
{
	switch (op->kind) {
	case TRACE_FORK:
		op_fork(m, p, op->child);
		break;
	case TRACE_EXEC:
		proc_clear(p);
		break;
	case TRACE_EXIT:
		proc_remove(m, op->pid);
		break;
	case TRACE_MMAP:
		op_mmap(m, p, op, out);
		break;
	case TRACE_MUNMAP:
		op_munmap(p, op, out);
		break;
	case TRACE_MPROTECT:
		op_mprotect(p, op, out);
		break;
	case TRACE_MADVISE:
		op_madvise(p, op, out);
		break;
	case TRACE_MSYNC:
		op_msync(p, op, out);
		break;
	case TRACE_MAPS:
		op_maps(p, out);
		break;
	case TRACE_WRITE:
		op_write(p, op, out);
		break;
	case TRACE_READ:
		op_read(p, op, out);
		break;
	case TRACE_TOUCH:
		op_touch(p, op, out);
		break;
	case TRACE_PREAD:
		op_pread(m, op, out);
		break;
	case TRACE_PWRITE:
		op_pwrite(m, op, out);
		break;
	default:
		break; /* vmdump: nothing */
	}
}

void model_apply(struct model *m, const struct trace_op *op, struct trace_events *out)
{
	switch (op->kind) {
	case TRACE_SPAWN:
		proc_create(m, op->pid);
		return;
	case TRACE_FILE:
		op_file(m, op);
		return;
	case TRACE_CHECK:
	case TRACE_STAT:
		return;
	default:
		break;
	}
	struct mproc *p = proc_get(m, op->pid);
	if (p) /* an op of a process that does not exist was not admitted */
		apply_proc_op(m, p, op, out);
}
