/*
 * gen_fragmentation.c - the translator workload (see gen_fragmentation.h).
 *
 * The generator keeps its own picture of process 1's address space, just
 * enough to emit only operations that succeed: which heap pages are
 * writable, which small heap pieces are read-only for now, which blocks
 * of the mmap area are in use and by what.  The layout, in the native
 * window:
 *
 *   +0          the program image: text r-x, rodata r--, data rw- (private
 *               mappings of the file `image`), bss rw- (anonymous)
 *   +1 GiB      malloc arenas: 64 MiB PROT_NONE reservations, each with a
 *               writable prefix [0, top) that grows and shrinks (glibc's
 *               grow_heap/shrink_heap: mprotect to grow, MADV_DONTNEED or
 *               an mmap of PROT_NONE over the tail to give memory back)
 *   +2 GiB      thread stacks, 1 MiB slots with a guard page at the bottom
 *   +3 GiB      windows of the disk file, 64 KiB each at the address that
 *               matches its offset: shared file mappings that join when
 *               neighbours are mapped
 *   +4 GiB      the mmap area, 1 GiB, allocated first fit: long-lived
 *               blocks and the temporary buffers that land between them
 *
 * Everything is driven by one PRNG (splitmix64 of a counter), so the
 * trace depends on the parameters alone.
 */
#include "gen_fragmentation.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_options.h"

#define PG ((uint64_t)4096)
#define IMAGE ((uint64_t)GEN_WINDOW_BASE)
#define ARENA_BASE (IMAGE + 0x40000000u)
#define ARENA_PAGES 16384ull           /* 64 MiB, glibc's HEAP_MAX_SIZE */
#define ARENA_HEADER 4ull              /* pages made writable at creation */
#define ARENA_MAX_TOP 1024ull          /* writable pages at most */
#define NARENAS 4
#define MAX_PROT 8                     /* read-only heap pieces at once */
#define STACK_BASE (IMAGE + 0x80000000u)
#define STACK_PAGES 256ull
#define NSTACKS 16
#define DISK_BASE (IMAGE + 0xc0000000u)
#define DISK_SLOTS 64                  /* windows of the disk file */
#define DISK_SLOT_PAGES ((uint64_t)16)
#define MMAP_BASE (IMAGE + ((uint64_t)1 << 32))
#define MMAP_PAGES 262144ull           /* 1 GiB */
#define MAX_CHILDREN 2
#define CHILD_LINES 16
#define LINE_MAX_LEN 128

enum blk_kind {
	BLK_TEMP,  /* a temporary buffer: rw- private, gone in a few rounds */
	BLK_LONG,  /* long-lived rw- private */
	BLK_SHM,   /* long-lived rw- shared (memory shared with a client) */
	BLK_RO,    /* long-lived, written once then made r-- */
	BLK_IOBUF, /* long-lived rw- private, dontfork */
};

struct blk {
	uint64_t page, npages;  /* in the mmap area */
	enum blk_kind kind;
	uint64_t expire;        /* TEMP: the round it goes */
	uint64_t df_page, df_npages, df_until; /* LONG: a piece made dontfork */
};

struct piece {
	uint64_t page, npages, until;
};

struct arena {
	bool live;
	uint64_t top;           /* pages [0, top) are rw- (but for pieces) */
	struct piece prot[MAX_PROT];
	size_t nprot;
};

struct child {
	uint64_t pid;
	char lines[CHILD_LINES][LINE_MAX_LEN];
	size_t nlines, next;
};

struct gf {
	FILE *out;
	struct gen_frag_params p;
	uint64_t rng;
	uint64_t round;
	uint64_t seed_ctr;      /* write seeds */
	struct arena arenas[NARENAS];
	struct blk *blks;       /* sorted by page */
	size_t nblk, capblk;
	bool stacks[NSTACKS];
	bool disk[DISK_SLOTS];  /* which windows of the disk are mapped */
	struct child children[MAX_CHILDREN];
	uint64_t next_pid;
};

/* ------------------------------------------------------------------ */
/* Randomness                                                           */

static uint64_t gf_below(struct gf *g, uint64_t n)
{
	return gen_rng_below(&g->rng, n);
}

/* True with probability PER_MILLE / 1000. */
static bool gf_chance(struct gf *g, uint64_t per_mille)
{
	return gf_below(g, 1000) < per_mille;
}

/* ------------------------------------------------------------------ */
/* Output                                                               */

__attribute__((format(printf, 2, 3))) static void emit(struct gf *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(g->out, fmt, ap);
	va_end(ap);
	fputc('\n', g->out);
}

static void emit_op(struct gf *g, const char *op, uint64_t addr, uint64_t npages, const char *rest)
{
	emit(g, "1 %s 0x%" PRIx64 " 0x%" PRIx64 "%s%s", op, addr, npages * PG, *rest ? " " : "",
	     rest);
}

/* A small write: a header or a record, never a whole buffer (the trace
 * is about the map; a few bytes make every page it names real). */
static void emit_write(struct gf *g, uint64_t addr)
{
	emit(g, "1 write 0x%" PRIx64 " 256 %" PRIu64, addr, ++g->seed_ctr);
}

/* ------------------------------------------------------------------ */
/* The program image and the thread stacks                              */

static void image_map(struct gf *g)
{
	emit(g, "# the program image: text, rodata and data from its file, then bss");
	emit(g, "file image 0x180000 %" PRIu64, g->p.seed);
	emit_op(g, "mmap", IMAGE, 256, "r-x private file image 0");
	emit_op(g, "mmap", IMAGE + 256 * PG, 64, "r-- private file image 0x100000");
	emit_op(g, "mmap", IMAGE + 320 * PG, 64, "rw- private file image 0x140000");
	emit_op(g, "mmap", IMAGE + 384 * PG, 128, "rw- private anon");
	emit_write(g, IMAGE + 320 * PG);
	emit_write(g, IMAGE + 384 * PG);
}

/* ------------------------------------------------------------------ */
/* The disk: a file whose blocks the server maps in windows, each at the
 * address that matches its offset, so neighbouring windows continue one
 * another and join (a translator's pager cache).                       */

static void disk_create(struct gf *g)
{
	emit(g, "# the disk the server translates, mapped a window at a time");
	emit(g, "file disk 0x%" PRIx64 " %" PRIu64, DISK_SLOTS * DISK_SLOT_PAGES * PG, g->p.seed + 1);
}

static void disk_round(struct gf *g)
{
	size_t i = gf_below(g, DISK_SLOTS);
	uint64_t addr = DISK_BASE + i * DISK_SLOT_PAGES * PG;
	char rest[64];

	if (!g->disk[i] && gf_chance(g, 60)) {
		snprintf(rest, sizeof rest, "rw- shared file disk 0x%" PRIx64, i * DISK_SLOT_PAGES * PG);
		emit_op(g, "mmap", addr, DISK_SLOT_PAGES, rest);
		g->disk[i] = true;
	} else if (g->disk[i] && gf_chance(g, 30)) {
		emit_op(g, "munmap", addr, DISK_SLOT_PAGES, "");
		g->disk[i] = false;
	} else if (g->disk[i] && gf_chance(g, 100)) {
		if (gf_chance(g, 500))
			emit(g, "1 read 0x%" PRIx64 " 64", addr + gf_below(g, DISK_SLOT_PAGES) * PG);
		else
			emit_write(g, addr + gf_below(g, DISK_SLOT_PAGES) * PG);
	}
}

static uint64_t stack_addr(size_t slot)
{
	return STACK_BASE + slot * STACK_PAGES * PG;
}

static void thread_start(struct gf *g)
{
	for (size_t i = 0; i < NSTACKS; i++) {
		if (g->stacks[i])
			continue;
		g->stacks[i] = true;
		emit_op(g, "mmap", stack_addr(i), STACK_PAGES, "rw- private anon");
		emit_op(g, "mprotect", stack_addr(i), 1, "---");
		emit_write(g, stack_addr(i) + (STACK_PAGES - 1) * PG);
		return;
	}
}

static void thread_end(struct gf *g)
{
	size_t live[NSTACKS], n = 0;

	for (size_t i = 0; i < NSTACKS; i++)
		if (g->stacks[i])
			live[n++] = i;
	if (n <= 1) /* the main thread's helper stays */
		return;
	n = live[1 + gf_below(g, n - 1)];
	g->stacks[n] = false;
	emit_op(g, "munmap", stack_addr(n), STACK_PAGES, "");
}

/* ------------------------------------------------------------------ */
/* Malloc arenas                                                        */

static uint64_t arena_addr(size_t a, uint64_t page)
{
	return ARENA_BASE + (a * ARENA_PAGES + page) * PG;
}

static void arena_create(struct gf *g, size_t a)
{
	struct arena *ar = &g->arenas[a];

	ar->live = true;
	ar->top = ARENA_HEADER;
	ar->nprot = 0;
	emit(g, "# a malloc arena: a 64 MiB reservation, its header made writable");
	emit_op(g, "mmap", arena_addr(a, 0), ARENA_PAGES, "--- private anon");
	emit_op(g, "mprotect", arena_addr(a, 0), ARENA_HEADER, "rw-");
	emit_write(g, arena_addr(a, 0));
}

/* Whether [page, page+n) meets a read-only piece of AR. */
static bool arena_meets_piece(const struct arena *ar, uint64_t page, uint64_t n)
{
	for (size_t i = 0; i < ar->nprot; i++)
		if (page < ar->prot[i].page + ar->prot[i].npages && ar->prot[i].page < page + n)
			return true;
	return false;
}

static void arena_unprotect(struct gf *g, size_t a, size_t i)
{
	struct arena *ar = &g->arenas[a];

	emit_op(g, "mprotect", arena_addr(a, ar->prot[i].page), ar->prot[i].npages, "rw-");
	ar->prot[i] = ar->prot[--ar->nprot];
}

static void arena_grow(struct gf *g, size_t a)
{
	struct arena *ar = &g->arenas[a];
	uint64_t n = 1 + gf_below(g, 8);

	if (ar->top + n > ARENA_MAX_TOP)
		return;
	emit_op(g, "mprotect", arena_addr(a, ar->top), n, "rw-");
	emit_write(g, arena_addr(a, ar->top + gf_below(g, n)));
	ar->top += n;
}

/* glibc's shrink_heap: usually MADV_DONTNEED on the tail (it stays
 * writable); sometimes an mmap of PROT_NONE over it, which gives the
 * pages and the protection back. */
static void arena_trim(struct gf *g, size_t a)
{
	struct arena *ar = &g->arenas[a];
	uint64_t n = 1 + gf_below(g, 16);

	if (ar->top < ARENA_HEADER + n)
		return;
	if (gf_chance(g, 700)) {
		emit_op(g, "madvise", arena_addr(a, ar->top - n), n, "dontneed");
		return;
	}
	for (size_t i = ar->nprot; i-- > 0;)
		if (ar->prot[i].page + ar->prot[i].npages > ar->top - n)
			arena_unprotect(g, a, i);
	ar->top -= n;
	emit_op(g, "mmap", arena_addr(a, ar->top), n, "--- private anon");
}

/* A small piece of the heap made read-only for a while (a guard, a
 * sealed object), then writable again. */
static void arena_protect_piece(struct gf *g, size_t a)
{
	struct arena *ar = &g->arenas[a];
	uint64_t page, n;

	if (ar->nprot == MAX_PROT || ar->top <= ARENA_HEADER + 4)
		return;
	page = ARENA_HEADER + gf_below(g, ar->top - ARENA_HEADER - 4);
	n = 1 + gf_below(g, 4);
	if (arena_meets_piece(ar, page, n))
		return;
	ar->prot[ar->nprot++] = (struct piece){page, n, g->round + 5 + gf_below(g, 50)};
	emit_op(g, "mprotect", arena_addr(a, page), n, "r--");
}

/* A writable heap page of arena A, or false. */
static bool arena_pick_page(struct gf *g, size_t a, uint64_t *page)
{
	const struct arena *ar = &g->arenas[a];

	if (!ar->live)
		return false;
	*page = gf_below(g, ar->top);
	return !arena_meets_piece(ar, *page, 1);
}

static void arena_round(struct gf *g)
{
	size_t a = gf_chance(g, 500) ? 0 : gf_below(g, NARENAS);
	struct arena *ar = &g->arenas[a];
	uint64_t page;

	for (size_t i = ar->nprot; i-- > 0;)
		if (ar->prot[i].until <= g->round)
			arena_unprotect(g, a, i);
	if (!ar->live) {
		if (gf_chance(g, 20))
			arena_create(g, a);
		return;
	}
	if (gf_chance(g, 150))
		arena_grow(g, a);
	if (gf_chance(g, 40))
		arena_trim(g, a);
	if (gf_chance(g, 80))
		arena_protect_piece(g, a);
	if (gf_chance(g, 300) && arena_pick_page(g, a, &page))
		emit_write(g, arena_addr(a, page));
}

/* ------------------------------------------------------------------ */
/* The mmap area: first fit                                             */

static uint64_t blk_addr(const struct blk *b)
{
	return MMAP_BASE + b->page * PG;
}

/* Index where a block of N pages fits first, and its page; false if full. */
static bool area_fit(const struct gf *g, uint64_t n, size_t *at, uint64_t *page)
{
	uint64_t prev_end = 0;

	for (size_t i = 0; i <= g->nblk; i++) {
		uint64_t next = i < g->nblk ? g->blks[i].page : MMAP_PAGES;

		if (next - prev_end >= n) {
			*at = i;
			*page = prev_end;
			return true;
		}
		if (i < g->nblk)
			prev_end = g->blks[i].page + g->blks[i].npages;
	}
	return false;
}

static struct blk *area_alloc(struct gf *g, uint64_t n, enum blk_kind kind)
{
	size_t at;
	uint64_t page;

	if (!area_fit(g, n, &at, &page))
		return NULL;
	if (g->nblk == g->capblk) {
		g->capblk = g->capblk ? 2 * g->capblk : 64;
		g->blks = realloc(g->blks, g->capblk * sizeof *g->blks);
		if (g->blks == NULL)
			abort();
	}
	memmove(g->blks + at + 1, g->blks + at, (g->nblk - at) * sizeof *g->blks);
	g->nblk++;
	g->blks[at] = (struct blk){.page = page, .npages = n, .kind = kind};
	return &g->blks[at];
}

static void area_free(struct gf *g, size_t i)
{
	emit_op(g, "munmap", blk_addr(&g->blks[i]), g->blks[i].npages, "");
	memmove(g->blks + i, g->blks + i + 1, (g->nblk - i - 1) * sizeof *g->blks);
	g->nblk--;
}

static void temp_alloc(struct gf *g)
{
	struct blk *b = area_alloc(g, 1 + gf_below(g, 16), BLK_TEMP);

	if (b == NULL)
		return;
	b->expire = g->round + 1 + gf_below(g, 30);
	emit_op(g, "mmap", blk_addr(b), b->npages, "rw- private anon");
	emit_write(g, blk_addr(b));
}

static void temps_expire(struct gf *g)
{
	for (size_t i = g->nblk; i-- > 0;) {
		if (g->blks[i].kind != BLK_TEMP || g->blks[i].expire > g->round)
			continue;
		if (gf_chance(g, 200))
			emit(g, "1 read 0x%" PRIx64 " 256", blk_addr(&g->blks[i]));
		area_free(g, i);
	}
}

static void long_alloc(struct gf *g)
{
	static const enum blk_kind kinds[] = {BLK_LONG, BLK_LONG, BLK_LONG, BLK_LONG, BLK_LONG,
					      BLK_LONG, BLK_SHM, BLK_SHM, BLK_RO, BLK_RO, BLK_IOBUF};
	enum blk_kind kind = kinds[gf_below(g, sizeof kinds / sizeof kinds[0])];
	struct blk *b = area_alloc(g, 1 + gf_below(g, 64), kind);

	if (b == NULL)
		return;
	emit_op(g, "mmap", blk_addr(b), b->npages, kind == BLK_SHM ? "rw- shared anon"
									: "rw- private anon");
	emit_write(g, blk_addr(b));
	if (kind == BLK_RO)
		emit_op(g, "mprotect", blk_addr(b), b->npages, "r--");
	else if (kind == BLK_IOBUF)
		emit_op(g, "madvise", blk_addr(b), b->npages, "dontfork");
}

/* Index of a random long-lived block of KIND (any long-lived kind if
 * KIND is BLK_TEMP), or -1. */
static long pick_long(struct gf *g, enum blk_kind kind)
{
	size_t n = 0, k;

	for (size_t i = 0; i < g->nblk; i++)
		n += g->blks[i].kind != BLK_TEMP && (kind == BLK_TEMP || g->blks[i].kind == kind);
	if (n == 0)
		return -1;
	k = gf_below(g, n);
	for (size_t i = 0; i < g->nblk; i++)
		if (g->blks[i].kind != BLK_TEMP && (kind == BLK_TEMP || g->blks[i].kind == kind) &&
		    k-- == 0)
			return (long)i;
	return -1;
}

static size_t count_long(const struct gf *g)
{
	size_t n = 0;

	for (size_t i = 0; i < g->nblk; i++)
		n += g->blks[i].kind != BLK_TEMP;
	return n;
}

/* A piece of a long-lived private block made dontfork for a while (an
 * I/O buffer a child must not inherit), then dofork again. */
static void dontfork_round(struct gf *g)
{
	for (size_t i = 0; i < g->nblk; i++) {
		struct blk *b = &g->blks[i];

		if (b->kind == BLK_LONG && b->df_npages != 0 && b->df_until <= g->round) {
			emit_op(g, "madvise", blk_addr(b) + b->df_page * PG, b->df_npages, "dofork");
			b->df_npages = 0;
		}
	}
	if (gf_chance(g, 20)) {
		long i = pick_long(g, BLK_LONG);
		struct blk *b = i >= 0 ? &g->blks[i] : NULL;

		if (b == NULL || b->df_npages != 0)
			return;
		b->df_page = gf_below(g, b->npages);
		b->df_npages = 1 + gf_below(g, b->npages - b->df_page);
		b->df_until = g->round + 10 + gf_below(g, 100);
		emit_op(g, "madvise", blk_addr(b) + b->df_page * PG, b->df_npages, "dontfork");
	}
}

static void area_round(struct gf *g)
{
	size_t nlong = count_long(g);
	long i;

	temps_expire(g);
	if (gf_chance(g, 600))
		temp_alloc(g);
	if (gf_chance(g, 200))
		temp_alloc(g);
	if (gf_chance(g, 40))
		long_alloc(g);
	/* Frees balance allocations at about 60 long-lived blocks. */
	if (gf_chance(g, 40 * (nlong < 60 ? nlong : 60) / 60) && (i = pick_long(g, BLK_TEMP)) >= 0)
		area_free(g, (size_t)i);
	dontfork_round(g);
}

/* ------------------------------------------------------------------ */
/* Children                                                             */

__attribute__((format(printf, 2, 3))) static void child_line(struct child *c, const char *fmt, ...)
{
	va_list ap;

	if (c->nlines == CHILD_LINES)
		return;
	va_start(ap, fmt);
	vsnprintf(c->lines[c->nlines++], LINE_MAX_LEN, fmt, ap);
	va_end(ap);
}

/* Whether block I is in a child forked now (dontfork pieces are not). */
static bool blk_inherited(const struct blk *b)
{
	return b->kind != BLK_IOBUF && b->df_npages == 0;
}

/* What a child does with its copy of the address space. */
static void child_script(struct gf *g, struct child *c)
{
	uint64_t pid = c->pid, page;
	long i = pick_long(g, BLK_TEMP);

	if (arena_pick_page(g, 0, &page))
		child_line(c, "%" PRIu64 " write 0x%" PRIx64 " 64 %" PRIu64, pid, arena_addr(0, page),
			   ++g->seed_ctr);
	if (i >= 0 && blk_inherited(&g->blks[i]))
		child_line(c, "%" PRIu64 " read 0x%" PRIx64 " 256", pid, blk_addr(&g->blks[i]));
	if (arena_pick_page(g, 0, &page) && page >= 1 && page + 2 <= g->arenas[0].top &&
	    !arena_meets_piece(&g->arenas[0], page, 2)) {
		child_line(c, "%" PRIu64 " mprotect 0x%" PRIx64 " 0x2000 r--", pid, arena_addr(0, page));
		child_line(c, "%" PRIu64 " write 0x%" PRIx64 " 64 %" PRIu64, pid, IMAGE + 384 * PG,
			   ++g->seed_ctr);
		child_line(c, "%" PRIu64 " mprotect 0x%" PRIx64 " 0x2000 rw-", pid, arena_addr(0, page));
	}
	if (gf_chance(g, 300))
		child_line(c, "%" PRIu64 " maps", pid);
	if (gf_chance(g, 400)) {
		child_line(c, "%" PRIu64 " exec", pid);
		child_line(c, "%" PRIu64 " mmap 0x%" PRIx64 " 0x40000 r-x private anon", pid, IMAGE);
		child_line(c, "%" PRIu64 " mmap 0x%" PRIx64 " 0x10000 rw- private anon", pid,
			   IMAGE + 64 * PG);
		child_line(c, "%" PRIu64 " mmap 0x%" PRIx64 " 0x10000 rw- private anon", pid,
			   IMAGE + 80 * PG);
		child_line(c, "%" PRIu64 " write 0x%" PRIx64 " 0x2000 %" PRIu64, pid, IMAGE + 64 * PG,
			   ++g->seed_ctr);
	}
	child_line(c, "%" PRIu64 " exit", pid);
}

static void child_fork(struct gf *g)
{
	for (size_t k = 0; k < MAX_CHILDREN; k++) {
		struct child *c = &g->children[k];

		if (c->pid != 0)
			continue;
		*c = (struct child){.pid = g->next_pid++};
		emit(g, "1 fork %" PRIu64, c->pid);
		child_script(g, c);
		return;
	}
}

/* Each live child runs its next line. */
static void children_step(struct gf *g)
{
	for (size_t k = 0; k < MAX_CHILDREN; k++) {
		struct child *c = &g->children[k];

		if (c->pid == 0)
			continue;
		emit(g, "%s", c->lines[c->next++]);
		if (c->next == c->nlines)
			c->pid = 0;
	}
}

static bool children_live(const struct gf *g)
{
	for (size_t k = 0; k < MAX_CHILDREN; k++)
		if (g->children[k].pid != 0)
			return true;
	return false;
}

/* ------------------------------------------------------------------ */
/* The whole trace                                                      */

void gen_frag_defaults(struct gen_frag_params *p)
{
	*p = (struct gen_frag_params){
		.seed = 1, .rounds = 3000, .forks = true, .checks = true, .maps_every = 500,
	};
}

static void gen_start(struct gf *g)
{
	gen_options_header(&gen_fragmentation_kind, &g->p, g->out);
	emit(g, "# a long-running server's address space (see gen_fragmentation.h)");
	emit(g, "1 spawn");
	image_map(g);
	disk_create(g);
	arena_create(g, 0);
	for (int i = 0; i < 3; i++)
		thread_start(g);
}

static void gen_round(struct gf *g)
{
	arena_round(g);
	area_round(g);
	disk_round(g);
	if (gf_chance(g, 10))
		thread_start(g);
	if (gf_chance(g, 8))
		thread_end(g);
	if (g->p.forks && gf_chance(g, 8))
		child_fork(g);
	children_step(g);
	if (g->p.maps_every != 0 && (g->round + 1) % g->p.maps_every == 0)
		emit(g, "1 maps");
	if (g->p.checks && (g->round + 1) % 500 == 0)
		emit(g, "check");
}

int gen_fragmentation(FILE *out, const struct gen_frag_params *p)
{
	struct gf g = {.out = out, .p = *p, .rng = p->seed, .next_pid = 2};

	gen_start(&g);
	for (g.round = 0; g.round < p->rounds; g.round++)
		gen_round(&g);
	while (children_live(&g))
		children_step(&g);
	emit(&g, "1 maps");
	emit(&g, "check");
	free(g.blks);
	return ferror(out) ? -1 : 0;
}

/* ---- the options of `mvm gen fragmentation` ---- */

#define GF_MAX_ROUNDS 100000000ull

static const struct gen_option gf_options[] = {
	GEN_OPT_NUM("--seed", struct gen_frag_params, seed, 0, UINT64_MAX, "the PRNG's seed"),
	GEN_OPT_NUM("--rounds", struct gen_frag_params, rounds, 0, GF_MAX_ROUNDS,
		    "requests the server handles"),
	GEN_OPT_BOOL("--no-forks", struct gen_frag_params, forks, false,
		     "never fork children"),
	GEN_OPT_BOOL("--no-checks", struct gen_frag_params, checks, false,
		     "no `check` line every 500 rounds (the final one stays)"),
	GEN_OPT_NUM("--maps-every", struct gen_frag_params, maps_every, 0, GF_MAX_ROUNDS,
		    "a `1 maps` line every N rounds (0: only the final one)"),
};

GEN_KIND_DEFINE(gen_fragmentation_kind, "fragmentation",
		"The address-space life of a long-running translator (the GNU Mach reports of\n"
		"maps grown to thousands of entries): heaps, buffers, threads, disk windows.",
		struct gen_frag_params, gf_options, gen_frag_defaults, gen_fragmentation, NULL);
