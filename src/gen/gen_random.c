/*
 * gen_random.c - random traces for differential and model testing.
 *
 * `mvm gen random --seed N` prints a trace that CI replays through mvm
 * under --verify, through the reference model and through Linux
 * (tools/native-replay).  A useful random trace is not uniform noise: most
 * accesses must land on memory that is mapped and allowed, or every read
 * would print `segv` and nothing would be checked; mappings must collide
 * and overlap, or the map code would only ever append; and nothing may
 * wander into what the spec leaves unspecified, or the oracles could not
 * agree.  So the generator keeps a rough picture of each process:
 *
 *   - a small window of `span_pages` pages at GEN_WINDOW_BASE, where almost
 *     every operation happens, with one record per page (mapped?, prot,
 *     shared?, file and file page, dontfork?).  Page granularity makes the
 *     bookkeeping of mmap over mmap, munmap of a middle, mprotect of a part
 *     and fork trivially right;
 *   - a few "big" slots above the window, 1 GiB apart, each either empty or
 *     holding one large sparse anonymous mapping (16 MiB to 1 GiB) that is
 *     touched in a few places only;
 *   - the exact size of every file, since file lines are deterministic.
 *
 * Operations are drawn with fixed weights from what the state allows
 * (no fork beyond max_procs or max_depth, no file ops without files...).
 * A small share of lines are deliberate errors: unaligned, zero-length,
 * wrapping and above-2^47 ranges, missing files, offsets that overflow,
 * pwrites past the 2^40 bytes a file may hold, and mprotect/madvise/msync
 * over holes.  Error lines keep ADDR inside the window; only their LEN or
 * OFF is out of range.  The edges of the amended rules (2026-12-04) also
 * come as lines that succeed, at a modest rate: zero-length mprotect,
 * madvise and msync; file mappings that end just below 2^63 (all past
 * EOF: sigbus); pwrites that end at or just below 2^40.
 *
 * Unspecified behaviour is avoided by construction:
 *   - a file is only recreated (`file`) when no live process maps it;
 *   - a `write` is cut short before the first byte it would store past
 *     EOF through a shared file mapping (a `w` touch stores back the byte
 *     it read, which past EOF is a zero, so it is harmless).
 *
 * Every process ever spawned exits at the end, so that the final `check`
 * may demand that no frame is left in use by any process.
 *
 * The PRNG is splitmix64 over a counter (gen.h), written out so that the
 * same seed gives the same bytes on every machine and with every libc.
 */
#include "gen.h"
#include "gen_options.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define GEN_PAGE ((uint64_t)4096)
#define GEN_NFILES 4
#define GEN_BIG_SLOTS 2
#define GEN_BIG_SLOT_BYTES ((uint64_t)1 << 30)
#define GEN_SPAN_MIN ((uint64_t)16)
#define GEN_SPAN_MAX ((uint64_t)1 << 20) /* 4 GiB, leaving room for the big slots */
#define GEN_FILE_GROW_MAX ((uint64_t)256 << 10)
/* The spec's edges: file offsets reach 2^63 - 1, files hold 2^40 bytes. */
#define GEN_FILE_PAGES_END (((uint64_t)1 << 63) / 4096)
#define GEN_FILE_SIZE_MAX ((uint64_t)1 << 40)

#define GP_MAPPED 1u
#define GP_SHARED 2u
#define GP_FILE 4u
#define GP_DONTFORK 8u

#define PROT_R 1u
#define PROT_W 2u
#define PROT_X 4u

/* ---- the PRNG ---- */

struct gen_rng {
	uint64_t state;
};

static uint64_t rng_below(struct gen_rng *r, uint64_t n)
{
	return gen_rng_below(&r->state, n);
}

/* Uniform in [lo, hi]. */
static uint64_t rng_range(struct gen_rng *r, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static bool rng_pct(struct gen_rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

/* ---- state ---- */

struct gen_page {
	uint8_t flags; /* GP_* */
	uint8_t prot;
	uint8_t file;
	uint64_t fpage; /* file page shown at this page: up to 2^51 - 1 */
};

struct gen_big {
	bool mapped;
	bool shared;
	uint64_t pages;
};

struct gen_proc {
	bool live;
	uint64_t pid;
	unsigned depth; /* forks between this process and its spawn */
	struct gen_page *page; /* span_pages records */
	struct gen_big big[GEN_BIG_SLOTS];
};

struct gen_file {
	bool exists;
	uint64_t size;
};

struct gen {
	FILE *out;
	struct gen_random_params p;
	struct gen_rng rng;
	uint64_t span;          /* pages in the busy window */
	uint64_t big_base;      /* address of big slot 0 */
	unsigned nslots;        /* = max_procs */
	struct gen_proc *proc;
	uint64_t pid_pool;      /* pids are drawn from 1..pid_pool */
	struct gen_file file[GEN_NFILES];
	uint64_t lines;         /* operation lines written */
};

static uint64_t page_addr(uint64_t i)
{
	return GEN_WINDOW_BASE + i * GEN_PAGE;
}

static uint64_t big_addr(const struct gen *g, unsigned slot)
{
	return g->big_base + slot * GEN_BIG_SLOT_BYTES;
}

static const char *prot_str(unsigned prot)
{
	static const char *const s[8] = { "---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx" };
	return s[prot & 7];
}

static const char *file_name(unsigned i)
{
	static const char *const s[GEN_NFILES] = { "f0", "f1", "f2", "f3" };
	return s[i];
}

/* A name no line ever creates. */
#define GEN_MISSING_FILE "missing"

static unsigned live_count(const struct gen *g)
{
	unsigned n = 0;
	for (unsigned i = 0; i < g->nslots; i++)
		n += g->proc[i].live;
	return n;
}

/* The K-th live process (K < live_count). */
static struct gen_proc *live_nth(struct gen *g, unsigned k)
{
	for (unsigned i = 0; i < g->nslots; i++)
		if (g->proc[i].live && k-- == 0)
			return &g->proc[i];
	return NULL;
}

static struct gen_proc *pick_live(struct gen *g)
{
	return live_nth(g, (unsigned)rng_below(&g->rng, live_count(g)));
}

static struct gen_proc *free_slot(struct gen *g)
{
	for (unsigned i = 0; i < g->nslots; i++)
		if (!g->proc[i].live)
			return &g->proc[i];
	return NULL;
}

static bool pid_live(const struct gen *g, uint64_t pid)
{
	for (unsigned i = 0; i < g->nslots; i++)
		if (g->proc[i].live && g->proc[i].pid == pid)
			return true;
	return false;
}

/* A pid no live process has; the small pool makes ids come back. */
static uint64_t fresh_pid(struct gen *g)
{
	uint64_t pid = rng_range(&g->rng, 1, g->pid_pool);
	while (pid_live(g, pid))
		pid = pid % g->pid_pool + 1;
	return pid;
}

static void proc_reset(struct gen *g, struct gen_proc *pr)
{
	memset(pr->page, 0, g->span * sizeof *pr->page);
	memset(pr->big, 0, sizeof pr->big);
}

static bool file_page_past_eof(const struct gen *g, const struct gen_page *pg)
{
	return (pg->flags & GP_FILE) && pg->fpage * GEN_PAGE >= g->file[pg->file].size;
}

/*
 * What the generator knows of page VPN (an absolute page number): false if
 * it is unmapped.
 */
static bool page_info(const struct gen *g, const struct gen_proc *pr, uint64_t vpn,
		      struct gen_page *out)
{
	uint64_t base = GEN_WINDOW_BASE / GEN_PAGE;
	if (vpn >= base && vpn - base < g->span) {
		*out = pr->page[vpn - base];
		return out->flags & GP_MAPPED;
	}
	for (unsigned k = 0; k < GEN_BIG_SLOTS; k++) {
		uint64_t b = big_addr(g, k) / GEN_PAGE;
		if (pr->big[k].mapped && vpn >= b && vpn - b < pr->big[k].pages) {
			*out = (struct gen_page){ GP_MAPPED | (pr->big[k].shared ? GP_SHARED : 0),
						  PROT_R | PROT_W, 0, 0 };
			return true;
		}
	}
	return false;
}

/* ---- output ---- */

static void emit(struct gen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void emit(struct gen *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(g->out, fmt, ap);
	va_end(ap);
	fputc('\n', g->out);
	g->lines++;
}

static uint64_t seed_value(struct gen *g)
{
	return rng_range(&g->rng, 1, 999999);
}

/* ---- ranges ---- */

/* A length in pages: mostly 1-16, sometimes up to 64. */
static uint64_t pick_pages(struct gen *g)
{
	unsigned r = (unsigned)rng_below(&g->rng, 100);
	if (r < 65)
		return rng_range(&g->rng, 1, 4);
	if (r < 92)
		return rng_range(&g->rng, 5, 16);
	return rng_range(&g->rng, 17, 64);
}

/* Any page range of the window, holes and all. */
static void pick_any_range(struct gen *g, uint64_t *first, uint64_t *n)
{
	*first = rng_below(&g->rng, g->span);
	*n = pick_pages(g);
	if (*n > g->span - *first)
		*n = g->span - *first;
}

enum page_want { WANT_MAPPED, WANT_READ, WANT_WRITE };

static bool page_fits(const struct gen *g, const struct gen_page *pg, enum page_want want)
{
	if (!(pg->flags & GP_MAPPED))
		return false;
	switch (want) {
	case WANT_MAPPED:
		return true;
	case WANT_READ:
		return pg->prot != 0 && !file_page_past_eof(g, pg);
	case WANT_WRITE:
		return (pg->prot & PROT_W) && !file_page_past_eof(g, pg);
	}
	return false;
}

/*
 * A page range of the window where every page fits WANT: found from a
 * random page onwards, then a random part of that run.  False if no page
 * of the window fits.
 */
static bool pick_fitting_range(struct gen *g, const struct gen_proc *pr, enum page_want want,
			       uint64_t *first, uint64_t *n)
{
	uint64_t start = rng_below(&g->rng, g->span), i;
	for (i = 0; i < g->span; i++)
		if (page_fits(g, &pr->page[(start + i) % g->span], want))
			break;
	if (i == g->span)
		return false;
	uint64_t lo = (start + i) % g->span, hi = lo + 1;
	while (lo > 0 && page_fits(g, &pr->page[lo - 1], want))
		lo--;
	while (hi < g->span && page_fits(g, &pr->page[hi], want))
		hi++;
	uint64_t want_n = pick_pages(g);
	*first = rng_range(&g->rng, lo, hi - 1);
	*n = hi - *first < want_n ? hi - *first : want_n;
	return true;
}

static bool range_all_mapped(const struct gen_proc *pr, uint64_t first, uint64_t n)
{
	for (uint64_t i = first; i < first + n; i++)
		if (!(pr->page[i].flags & GP_MAPPED))
			return false;
	return true;
}

/*
 * A range for mprotect/madvise/msync: usually wholly mapped, sometimes
 * anywhere (which may give ENOMEM).  Returns whether it is wholly mapped.
 */
static bool pick_range_op_range(struct gen *g, const struct gen_proc *pr, uint64_t *first,
				uint64_t *n)
{
	if (rng_pct(&g->rng, 80) && pick_fitting_range(g, pr, WANT_MAPPED, first, n))
		return true;
	pick_any_range(g, first, n);
	return range_all_mapped(pr, *first, *n);
}

/* A byte length for N pages: usually whole pages, sometimes a ragged end. */
static uint64_t ragged_len(struct gen *g, uint64_t n)
{
	if (rng_pct(&g->rng, 80))
		return n * GEN_PAGE;
	return n * GEN_PAGE - rng_range(&g->rng, 1, GEN_PAGE - 1);
}

/* Byte range for a data access over pages [first, first + n). */
static void data_range(struct gen *g, uint64_t first, uint64_t n, uint64_t *addr, uint64_t *len)
{
	*addr = page_addr(first);
	*len = n * GEN_PAGE;
	if (rng_pct(&g->rng, 30)) {
		uint64_t head = rng_below(&g->rng, GEN_PAGE);
		uint64_t tail = rng_below(&g->rng, GEN_PAGE);
		*addr += head;
		*len = *len - head > tail ? *len - head - tail : 1;
	}
}

/*
 * Where a store of [addr, addr + len) must stop so that no byte lands past
 * EOF through a shared file mapping: the walk follows the access, which
 * itself stops at the first page it may not write.
 */
static uint64_t clamp_store(const struct gen *g, const struct gen_proc *pr, uint64_t addr,
			    uint64_t len)
{
	for (uint64_t a = addr, left = len; left;) {
		uint64_t pstart = a & ~(GEN_PAGE - 1);
		uint64_t n = pstart + GEN_PAGE - a < left ? pstart + GEN_PAGE - a : left;
		struct gen_page pg;
		if (!page_info(g, pr, a / GEN_PAGE, &pg) || !(pg.prot & PROT_W) ||
		    file_page_past_eof(g, &pg))
			break; /* the store stops here anyway */
		if ((pg.flags & GP_FILE) && (pg.flags & GP_SHARED)) {
			uint64_t size = g->file[pg.file].size;
			uint64_t foff = pg.fpage * GEN_PAGE + (a - pstart);
			if (foff + n > size) {
				uint64_t stop = pstart + (size - pg.fpage * GEN_PAGE);
				return stop > addr ? stop - addr : 0;
			}
		}
		a += n;
		left -= n;
	}
	return len;
}

/* ---- processes ---- */

static void gen_spawn(struct gen *g)
{
	struct gen_proc *pr = free_slot(g);
	proc_reset(g, pr);
	pr->pid = fresh_pid(g);
	pr->depth = 0;
	pr->live = true;
	emit(g, "%" PRIu64 " spawn", pr->pid);
}

static bool can_fork(const struct gen *g, const struct gen_proc *pr)
{
	return pr->depth < g->p.max_depth;
}

/* The parent: often the deepest process, so that fork trees grow deep. */
static struct gen_proc *pick_parent(struct gen *g)
{
	struct gen_proc *best = NULL;
	if (rng_pct(&g->rng, 50)) {
		for (unsigned i = 0; i < g->nslots; i++) {
			struct gen_proc *pr = &g->proc[i];
			if (pr->live && can_fork(g, pr) && (!best || pr->depth > best->depth))
				best = pr;
		}
		return best;
	}
	for (unsigned tries = 0; tries < 8; tries++) {
		struct gen_proc *pr = pick_live(g);
		if (can_fork(g, pr))
			return pr;
	}
	return NULL;
}

static bool gen_fork(struct gen *g)
{
	struct gen_proc *parent = pick_parent(g);
	struct gen_proc *child = free_slot(g);
	if (!parent || !child)
		return false;
	child->pid = fresh_pid(g);
	child->depth = parent->depth + 1;
	child->live = true;
	for (uint64_t i = 0; i < g->span; i++) {
		child->page[i] = parent->page[i];
		if (parent->page[i].flags & GP_DONTFORK)
			memset(&child->page[i], 0, sizeof child->page[i]);
	}
	memcpy(child->big, parent->big, sizeof child->big);
	emit(g, "%" PRIu64 " fork %" PRIu64, parent->pid, child->pid);
	return true;
}

static void gen_exec(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	proc_reset(g, pr);
	emit(g, "%" PRIu64 " exec", pr->pid);
}

/* Exits favour shallow processes, so deep descendants outlive them. */
static void gen_exit(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	if (rng_pct(&g->rng, 50)) {
		for (unsigned i = 0; i < g->nslots; i++)
			if (g->proc[i].live && g->proc[i].depth < pr->depth)
				pr = &g->proc[i];
	}
	pr->live = false;
	emit(g, "%" PRIu64 " exit", pr->pid);
}

/* ---- address space ---- */

static int pick_existing_file(struct gen *g)
{
	unsigned start = (unsigned)rng_below(&g->rng, GEN_NFILES);
	for (unsigned i = 0; i < GEN_NFILES; i++)
		if (g->file[(start + i) % GEN_NFILES].exists)
			return (int)((start + i) % GEN_NFILES);
	return -1;
}

static unsigned pick_prot(struct gen *g)
{
	return rng_pct(&g->rng, 50) ? (PROT_R | PROT_W) : (unsigned)rng_below(&g->rng, 8);
}

static void set_pages(struct gen_proc *pr, uint64_t first, uint64_t n, struct gen_page pg,
		      bool file_pages_run_on)
{
	for (uint64_t i = 0; i < n; i++) {
		pr->page[first + i] = pg;
		if (file_pages_run_on)
			pg.fpage++;
	}
}

/*
 * The first file page of an N-page mapping of file F: mostly inside the
 * file; sometimes starting past EOF (sigbus); now and then ending just
 * below 2^63, the last offset Linux lets a mapping reach (EOVERFLOW at
 * 2^63 is gen_error's).
 */
static uint64_t pick_file_page(struct gen *g, unsigned f, uint64_t n)
{
	uint64_t fpages = (g->file[f].size + GEN_PAGE - 1) / GEN_PAGE;
	unsigned r = (unsigned)rng_below(&g->rng, 100);

	if (r < 83)
		return rng_below(&g->rng, fpages ? fpages : 1);
	if (r < 98)
		return rng_range(&g->rng, 0, fpages + 4);
	return GEN_FILE_PAGES_END - n - 1 - rng_below(&g->rng, 3);
}

static void gen_mmap(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t first, n;
	pick_any_range(g, &first, &n);
	unsigned prot = pick_prot(g);
	bool shared = rng_pct(&g->rng, 35);
	int f = (g->p.files && rng_pct(&g->rng, 35)) ? pick_existing_file(g) : -1;
	uint64_t len = ragged_len(g, n);
	struct gen_page pg = { (uint8_t)(GP_MAPPED | (shared ? GP_SHARED : 0)), (uint8_t)prot, 0, 0 };
	if (f < 0) {
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x%" PRIx64 " %s %s anon", pr->pid,
		     page_addr(first), len, prot_str(prot), shared ? "shared" : "private");
		set_pages(pr, first, n, pg, false);
		return;
	}
	uint64_t fpage = pick_file_page(g, (unsigned)f, n);
	pg.flags |= GP_FILE;
	pg.file = (uint8_t)f;
	pg.fpage = fpage;
	emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x%" PRIx64 " %s %s file %s 0x%" PRIx64, pr->pid,
	     page_addr(first), len, prot_str(prot), shared ? "shared" : "private",
	     file_name((unsigned)f), fpage * GEN_PAGE);
	set_pages(pr, first, n, pg, true);
}

static void gen_munmap(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t first, n;
	if (!rng_pct(&g->rng, 60) || !pick_fitting_range(g, pr, WANT_MAPPED, &first, &n))
		pick_any_range(g, &first, &n);
	emit(g, "%" PRIu64 " munmap 0x%" PRIx64 " 0x%" PRIx64, pr->pid, page_addr(first),
	     ragged_len(g, n));
	set_pages(pr, first, n, (struct gen_page){ 0, 0, 0, 0 }, false);
}

/*
 * LEN for mprotect/madvise/msync over N pages: now and then zero, which
 * succeeds and changes nothing (amendment of 2026-12-04).  *N becomes 0
 * then, so the caller's bookkeeping changes nothing either.
 */
static uint64_t range_op_len(struct gen *g, uint64_t *n)
{
	if (rng_pct(&g->rng, 4)) {
		*n = 0;
		return 0;
	}
	return ragged_len(g, *n);
}

static void gen_mprotect(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t first, n;
	bool ok = pick_range_op_range(g, pr, &first, &n);
	unsigned prot = pick_prot(g);
	uint64_t len = range_op_len(g, &n);
	emit(g, "%" PRIu64 " mprotect 0x%" PRIx64 " 0x%" PRIx64 " %s", pr->pid, page_addr(first),
	     len, prot_str(prot));
	for (uint64_t i = first; ok && i < first + n; i++)
		pr->page[i].prot = (uint8_t)prot;
}

static void gen_madvise(struct gen *g)
{
	static const char *const advice[] = { "dontneed", "willneed", "pageout", "dontfork",
					      "dofork" };
	struct gen_proc *pr = pick_live(g);
	uint64_t first, n;
	bool ok = pick_range_op_range(g, pr, &first, &n);
	unsigned a = (unsigned)rng_below(&g->rng, 5);
	uint64_t len = range_op_len(g, &n);
	emit(g, "%" PRIu64 " madvise 0x%" PRIx64 " 0x%" PRIx64 " %s", pr->pid, page_addr(first),
	     len, advice[a]);
	for (uint64_t i = first; ok && a >= 3 && i < first + n; i++) {
		if (a == 3)
			pr->page[i].flags |= GP_DONTFORK;
		else
			pr->page[i].flags &= (uint8_t)~GP_DONTFORK;
	}
}

static void gen_msync(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t first, n;
	pick_range_op_range(g, pr, &first, &n);
	emit(g, "%" PRIu64 " msync 0x%" PRIx64 " 0x%" PRIx64, pr->pid, page_addr(first),
	     range_op_len(g, &n));
}

/* ---- data ---- */

/*
 * The range of a data access: usually pages that allow it, sometimes any
 * range (segv, sigbus), now and then empty.
 */
static void pick_access(struct gen *g, const struct gen_proc *pr, enum page_want want,
			uint64_t *addr, uint64_t *len)
{
	uint64_t first, n;
	if (!rng_pct(&g->rng, 90) || !pick_fitting_range(g, pr, want, &first, &n))
		pick_any_range(g, &first, &n);
	data_range(g, first, n, addr, len);
	if (rng_pct(&g->rng, 3))
		*len = 0;
}

static void gen_write(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t addr, len;
	pick_access(g, pr, WANT_WRITE, &addr, &len);
	emit(g, "%" PRIu64 " write 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64, pr->pid, addr,
	     clamp_store(g, pr, addr, len), seed_value(g));
}

static void gen_read(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t addr, len;
	pick_access(g, pr, WANT_READ, &addr, &len);
	emit(g, "%" PRIu64 " read 0x%" PRIx64 " 0x%" PRIx64, pr->pid, addr, len);
}

static void gen_touch(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	bool w = rng_pct(&g->rng, 50);
	uint64_t addr, len;
	pick_access(g, pr, w ? WANT_WRITE : WANT_READ, &addr, &len);
	emit(g, "%" PRIu64 " touch 0x%" PRIx64 " 0x%" PRIx64 " %s", pr->pid, addr, len,
	     w ? "w" : "r");
}

/* ---- big sparse mappings ---- */

static void big_map(struct gen *g, struct gen_proc *pr, unsigned k)
{
	unsigned r = (unsigned)rng_below(&g->rng, 100);
	uint64_t mib = r < 75 ? rng_range(&g->rng, 16, 64) : r < 92 ? 256 : 1024;
	pr->big[k] = (struct gen_big){ true, rng_pct(&g->rng, 30), mib << 8 };
	emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " %" PRIu64 "M rw- %s anon", pr->pid, big_addr(g, k),
	     mib, pr->big[k].shared ? "shared" : "private");
}

/* A few pages somewhere in big slot K. */
static void big_spot(struct gen *g, const struct gen_proc *pr, unsigned k, uint64_t *addr,
		     uint64_t *len)
{
	uint64_t n = rng_range(&g->rng, 1, 3);
	uint64_t page = rng_below(&g->rng, pr->big[k].pages - n + 1);
	*addr = big_addr(g, k) + page * GEN_PAGE;
	*len = n * GEN_PAGE;
}

static void big_use(struct gen *g, struct gen_proc *pr, unsigned k)
{
	uint64_t addr, len;
	big_spot(g, pr, k, &addr, &len);
	unsigned r = (unsigned)rng_below(&g->rng, 100);
	if (r < 35)
		emit(g, "%" PRIu64 " write 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64, pr->pid, addr, len,
		     seed_value(g));
	else if (r < 65)
		emit(g, "%" PRIu64 " read 0x%" PRIx64 " 0x%" PRIx64, pr->pid, addr, len);
	else if (r < 80)
		emit(g, "%" PRIu64 " touch 0x%" PRIx64 " 0x%" PRIx64 " %s", pr->pid, addr, len,
		     rng_pct(&g->rng, 50) ? "w" : "r");
	else if (r < 90)
		emit(g, "%" PRIu64 " madvise 0x%" PRIx64 " 0x%" PRIx64 " %s", pr->pid, addr, len,
		     rng_pct(&g->rng, 50) ? "dontneed" : "pageout");
	else {
		pr->big[k].mapped = false;
		emit(g, "%" PRIu64 " munmap 0x%" PRIx64 " 0x%" PRIx64, pr->pid, big_addr(g, k),
		     pr->big[k].pages * GEN_PAGE);
	}
}

static void gen_big(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	unsigned k = (unsigned)rng_below(&g->rng, GEN_BIG_SLOTS);
	if (!pr->big[k].mapped)
		big_map(g, pr, k);
	else
		big_use(g, pr, k);
}

/* ---- files ---- */

static bool file_mapped(const struct gen *g, unsigned f)
{
	for (unsigned i = 0; i < g->nslots; i++) {
		const struct gen_proc *pr = &g->proc[i];
		for (uint64_t j = 0; pr->live && j < g->span; j++)
			if ((pr->page[j].flags & GP_FILE) && pr->page[j].file == f)
				return true;
	}
	return false;
}

/* Sizes with partial last pages, whole pages, empty files, a few large. */
static uint64_t pick_file_size(struct gen *g)
{
	unsigned r = (unsigned)rng_below(&g->rng, 100);
	if (r < 5)
		return 0;
	if (r < 25)
		return rng_range(&g->rng, 1, 8) * GEN_PAGE;
	if (r < 90)
		return rng_range(&g->rng, 1, 40000);
	return rng_range(&g->rng, 64 << 10, 256 << 10);
}

static void emit_file(struct gen *g, unsigned f)
{
	g->file[f] = (struct gen_file){ true, pick_file_size(g) };
	emit(g, "file %s %" PRIu64 " %" PRIu64, file_name(f), g->file[f].size, seed_value(g));
}

/* Recreates a file no live process maps; false if every file is mapped. */
static bool gen_file(struct gen *g)
{
	unsigned start = (unsigned)rng_below(&g->rng, GEN_NFILES);
	for (unsigned i = 0; i < GEN_NFILES; i++) {
		unsigned f = (start + i) % GEN_NFILES;
		if (!file_mapped(g, f)) {
			emit_file(g, f);
			return true;
		}
	}
	return false;
}

static void gen_pread(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	int f = pick_existing_file(g);
	uint64_t off = rng_below(&g->rng, g->file[f].size + 2 * GEN_PAGE);
	uint64_t len = rng_pct(&g->rng, 3) ? 0 : rng_range(&g->rng, 1, 3 * GEN_PAGE);
	emit(g, "%" PRIu64 " pread %s 0x%" PRIx64 " 0x%" PRIx64, pr->pid, file_name((unsigned)f),
	     off, len);
}

/*
 * Writes inside or past the end; past the end grows the file (a gap
 * reads as zeros), up to a bound so that files stay small.  Now and then
 * one ends around 2^40, the most a file may hold: at or below it the file
 * grows there (sparse), past it the pwrite is EFBIG and changes nothing.
 */
static void gen_pwrite(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	int f = pick_existing_file(g);
	struct gen_file *gf = &g->file[f];
	uint64_t len = rng_range(&g->rng, 1, 2 * GEN_PAGE);
	uint64_t off;
	if (rng_pct(&g->rng, 2))
		off = GEN_FILE_SIZE_MAX - len - 1 + rng_below(&g->rng, 3); /* ends 2^40 - 1..+1 */
	else if (gf->size < GEN_FILE_GROW_MAX)
		off = rng_below(&g->rng, gf->size + 2 * GEN_PAGE);
	else
		off = rng_below(&g->rng, gf->size - len + 1);
	if (off + len > gf->size && off + len <= GEN_FILE_SIZE_MAX)
		gf->size = off + len;
	emit(g, "%" PRIu64 " pwrite %s 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64, pr->pid,
	     file_name((unsigned)f), off, len, seed_value(g));
}

/* ---- deliberate errors ---- */

/* A file mapping that reaches 2^63: exactly, once LEN is rounded up, or
 * past it. */
static void gen_eoverflow(struct gen *g, uint64_t pid, uint64_t a, const char *name)
{
	uint64_t pages = rng_range(&g->rng, 1, 3);
	uint64_t len = pages * GEN_PAGE;
	uint64_t fpage = GEN_FILE_PAGES_END - pages;
	switch (rng_below(&g->rng, 3)) {
	case 0:
		break; /* ends at 2^63 */
	case 1:
		fpage--; /* ends a page short, but a ragged LEN rounds up to it */
		len += rng_range(&g->rng, 1, GEN_PAGE - 1);
		break;
	default:
		fpage += rng_range(&g->rng, 1, pages); /* passes 2^63 */
		break;
	}
	emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x%" PRIx64 " r-- %s file %s 0x%" PRIx64, pid, a,
	     len, rng_pct(&g->rng, 50) ? "shared" : "private", name, fpage * GEN_PAGE);
}

/* A pwrite past 2^40: by a byte or two, from 2^40 on, or far beyond. */
static void gen_efbig(struct gen *g, uint64_t pid, const char *name)
{
	uint64_t len = rng_range(&g->rng, 1, 2 * GEN_PAGE), off;
	switch (rng_below(&g->rng, 3)) {
	case 0:
		off = GEN_FILE_SIZE_MAX - len + rng_range(&g->rng, 1, 2);
		break;
	case 1:
		off = GEN_FILE_SIZE_MAX + rng_below(&g->rng, 4 * GEN_PAGE);
		break;
	default:
		off = (uint64_t)1 << 62;
		break;
	}
	emit(g, "%" PRIu64 " pwrite %s 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64, pid, name, off, len,
	     seed_value(g));
}

/*
 * One line that must fail, with the errno the spec gives in a comment.
 * ADDR always lies in the window; the fault is in LEN, OFF or NAME.
 */
static void gen_error(struct gen *g)
{
	struct gen_proc *pr = pick_live(g);
	uint64_t pid = pr->pid;
	uint64_t a = page_addr(rng_below(&g->rng, g->span));
	int f = g->p.files ? pick_existing_file(g) : -1;
	const char *name = f >= 0 ? file_name((unsigned)f) : NULL;
	unsigned pick = (unsigned)rng_below(&g->rng, name ? 17 : 10);
	switch (pick) {
	case 0: /* EINVAL: unaligned ADDR */
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x1000 rw- private anon", pid,
		     a + rng_range(&g->rng, 1, GEN_PAGE - 1));
		break;
	case 1: /* EINVAL: zero LEN */
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0 rw- shared anon", pid, a);
		break;
	case 2: /* EINVAL: ends exactly at 2^64 */
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x%" PRIx64 " r-- private anon", pid, a,
		     (uint64_t)0 - a);
		break;
	case 3: /* ENOMEM: ends above 2^47 */
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x800000000000 rw- private anon", pid, a);
		break;
	case 4: /* EINVAL: munmap past 2^47 */
		emit(g, "%" PRIu64 " munmap 0x%" PRIx64 " 0x800000000000", pid, a);
		break;
	case 5: /* EINVAL: munmap unaligned, or zero length */
		if (rng_pct(&g->rng, 50))
			emit(g, "%" PRIu64 " munmap 0x%" PRIx64 " 0x1000", pid, a + 0x800);
		else
			emit(g, "%" PRIu64 " munmap 0x%" PRIx64 " 0", pid, a);
		break;
	case 6: /* EINVAL: mprotect wraps */
		emit(g, "%" PRIu64 " mprotect 0x%" PRIx64 " 0xfffffffffffff000 r--", pid, a);
		break;
	case 7: /* ENOMEM: mprotect above 2^47 */
		emit(g, "%" PRIu64 " mprotect 0x%" PRIx64 " 0x800000000000 rw-", pid, a);
		break;
	case 8: /* EINVAL: madvise unaligned, msync unaligned and empty */
		if (rng_pct(&g->rng, 50))
			emit(g, "%" PRIu64 " madvise 0x%" PRIx64 " 0x1000 willneed", pid, a + 8);
		else
			emit(g, "%" PRIu64 " msync 0x%" PRIx64 " 0", pid, a + 0x800);
		break;
	case 9: /* EINVAL: mprotect or madvise unaligned and empty (aligned
		 * and empty succeeds) */
		if (rng_pct(&g->rng, 50))
			emit(g, "%" PRIu64 " mprotect 0x%" PRIx64 " 0 r--", pid, a + 0x10);
		else
			emit(g, "%" PRIu64 " madvise 0x%" PRIx64 " 0 dontneed", pid, a + 1);
		break;
	case 10: /* ENOENT */
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x1000 r-- private file %s 0", pid, a,
		     GEN_MISSING_FILE);
		break;
	case 11: /* EINVAL: unaligned OFF */
		emit(g, "%" PRIu64 " mmap 0x%" PRIx64 " 0x1000 r-- shared file %s 0x10", pid, a, name);
		break;
	case 12: /* EOVERFLOW: OFF + LEN (rounded up) reaches or passes 2^63 */
		gen_eoverflow(g, pid, a, name);
		break;
	case 13: /* ENOENT */
		if (rng_pct(&g->rng, 50))
			emit(g, "%" PRIu64 " pread %s 0 0x100", pid, GEN_MISSING_FILE);
		else
			emit(g, "%" PRIu64 " pwrite %s 0 0x100 1", pid, GEN_MISSING_FILE);
		break;
	case 14: /* EINVAL: OFF + LEN past 2^63 - 1 */
		emit(g, "%" PRIu64 " pread %s 0x7fffffffffffff00 0x1000", pid, name);
		break;
	case 15: /* EFBIG: past the 2^40 bytes a file may hold */
		gen_efbig(g, pid, name);
		break;
	default: /* EINVAL */
		emit(g, "%" PRIu64 " pwrite %s 0x7ffffffffffffff0 0x100 3", pid, name);
		break;
	}
}

/* ---- the operation mix ---- */

enum gen_op {
	G_SPAWN, G_FORK, G_EXEC, G_EXIT, G_MMAP, G_MUNMAP, G_MPROTECT, G_MADVISE, G_MSYNC,
	G_MAPS, G_VMDUMP, G_WRITE, G_READ, G_TOUCH, G_CHECK, G_STAT, G_FILE, G_PREAD,
	G_PWRITE, G_BIG, G_ERROR, G_OP_COUNT
};

static const unsigned gen_weight[G_OP_COUNT] = {
	[G_SPAWN] = 2, [G_FORK] = 5, [G_EXEC] = 1, [G_EXIT] = 3, [G_MMAP] = 14,
	[G_MUNMAP] = 5, [G_MPROTECT] = 6, [G_MADVISE] = 6, [G_MSYNC] = 2, [G_MAPS] = 3,
	[G_VMDUMP] = 1, [G_WRITE] = 16, [G_READ] = 16, [G_TOUCH] = 8, [G_CHECK] = 2,
	[G_STAT] = 1, [G_FILE] = 2, [G_PREAD] = 4, [G_PWRITE] = 4, [G_BIG] = 4,
	[G_ERROR] = 3,
};

/* Whether OP can be emitted now. */
static bool op_possible(const struct gen *g, enum gen_op op, unsigned live)
{
	switch (op) {
	case G_SPAWN:
		return live < g->nslots;
	case G_FORK:
		return live < g->nslots && g->p.max_depth > 0;
	case G_EXIT:
		return live > 1;
	case G_CHECK:
	case G_STAT:
		return g->p.checks;
	case G_FILE:
		return g->p.files;
	case G_PREAD:
	case G_PWRITE:
		return g->p.files && g->file[0].exists;
	default:
		return true;
	}
}

static enum gen_op pick_op(struct gen *g)
{
	unsigned live = live_count(g), total = 0;
	if (live == 0)
		return G_SPAWN;
	for (int op = 0; op < G_OP_COUNT; op++)
		total += op_possible(g, (enum gen_op)op, live) ? gen_weight[op] : 0;
	unsigned r = (unsigned)rng_below(&g->rng, total);
	for (int op = 0; op < G_OP_COUNT; op++) {
		unsigned w = op_possible(g, (enum gen_op)op, live) ? gen_weight[op] : 0;
		if (r < w)
			return (enum gen_op)op;
		r -= w;
	}
	return G_READ;
}

/* Emits one operation; false if the drawn one could not be made now. */
static bool gen_step(struct gen *g)
{
	struct gen_proc *pr;
	switch (pick_op(g)) {
	case G_SPAWN: gen_spawn(g); return true;
	case G_FORK: return gen_fork(g);
	case G_EXEC: gen_exec(g); return true;
	case G_EXIT: gen_exit(g); return true;
	case G_MMAP: gen_mmap(g); return true;
	case G_MUNMAP: gen_munmap(g); return true;
	case G_MPROTECT: gen_mprotect(g); return true;
	case G_MADVISE: gen_madvise(g); return true;
	case G_MSYNC: gen_msync(g); return true;
	case G_MAPS:
		pr = pick_live(g);
		emit(g, "%" PRIu64 " maps", pr->pid);
		return true;
	case G_VMDUMP:
		pr = pick_live(g);
		emit(g, "%" PRIu64 " vmdump", pr->pid);
		return true;
	case G_WRITE: gen_write(g); return true;
	case G_READ: gen_read(g); return true;
	case G_TOUCH: gen_touch(g); return true;
	case G_CHECK: emit(g, "check"); return true;
	case G_STAT: emit(g, "stat"); return true;
	case G_FILE: return gen_file(g);
	case G_PREAD: gen_pread(g); return true;
	case G_PWRITE: gen_pwrite(g); return true;
	case G_BIG: gen_big(g); return true;
	case G_ERROR: gen_error(g); return true;
	case G_OP_COUNT: break;
	}
	return false;
}

void gen_random_defaults(struct gen_random_params *p)
{
	*p = (struct gen_random_params){
		.seed = 1, .ops = 400, .max_procs = 6, .max_depth = 6, .span_pages = 512,
		.files = true, .checks = true,
	};
}

static uint64_t clamp_u64(uint64_t v, uint64_t lo, uint64_t hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static bool gen_init(struct gen *g, FILE *out, const struct gen_random_params *p)
{
	memset(g, 0, sizeof *g);
	g->out = out;
	g->p = *p;
	g->rng.state = p->seed;
	g->span = clamp_u64(p->span_pages, GEN_SPAN_MIN, GEN_SPAN_MAX);
	g->big_base = GEN_WINDOW_BASE +
		      (g->span * GEN_PAGE + GEN_BIG_SLOT_BYTES - 1) / GEN_BIG_SLOT_BYTES *
			      GEN_BIG_SLOT_BYTES;
	g->nslots = p->max_procs ? p->max_procs : 1;
	g->pid_pool = (uint64_t)g->nslots + 3;
	g->proc = calloc(g->nslots, sizeof *g->proc);
	if (!g->proc)
		return false;
	for (unsigned i = 0; i < g->nslots; i++) {
		g->proc[i].page = calloc(g->span, sizeof *g->proc[i].page);
		if (!g->proc[i].page)
			return false;
	}
	return true;
}

static void gen_fini(struct gen *g)
{
	for (unsigned i = 0; g->proc && i < g->nslots; i++)
		free(g->proc[i].page);
	free(g->proc);
}

/*
 * The trace: a few files and a first process, OPS operation lines in
 * all (the files and the first spawn count), then every live process
 * exits and a last `check` runs.
 */
int gen_random(FILE *out, const struct gen_random_params *p)
{
	struct gen g;
	if (!gen_init(&g, out, p)) {
		gen_fini(&g);
		return -1;
	}
	gen_options_header(&gen_random_kind, p, out);
	if (p->files) {
		emit_file(&g, 0);
		emit_file(&g, 1);
	}
	while (g.lines < p->ops)
		gen_step(&g);
	for (unsigned i = 0; i < g.nslots; i++) {
		if (g.proc[i].live) {
			g.proc[i].live = false;
			emit(&g, "%" PRIu64 " exit", g.proc[i].pid);
		}
	}
	if (p->checks)
		emit(&g, "check");
	gen_fini(&g);
	return ferror(out) ? -1 : 0;
}

/* ---- the options of `mvm gen random` ---- */

#define GEN_MAX_OPS 100000000ull

static const struct gen_option random_options[] = {
	GEN_OPT_NUM("--seed", struct gen_random_params, seed, 0, UINT64_MAX, "the PRNG's seed"),
	GEN_OPT_NUM("--ops", struct gen_random_params, ops, 0, GEN_MAX_OPS,
		    "operation lines to emit (the final exits and check come on top)"),
	GEN_OPT_NUM("--procs", struct gen_random_params, max_procs, 1, 1000,
		    "live processes at most"),
	GEN_OPT_NUM("--depth", struct gen_random_params, max_depth, 0, 1000,
		    "fork-tree depth at most"),
	GEN_OPT_NUM("--span", struct gen_random_params, span_pages, GEN_SPAN_MIN, GEN_SPAN_MAX,
		    "pages in the busy address window"),
	GEN_OPT_BOOL("--no-files", struct gen_random_params, files, false,
		     "no file operations (for oracles without files)"),
	GEN_OPT_BOOL("--no-checks", struct gen_random_params, checks, false,
		     "no `check` lines"),
};

GEN_KIND_DEFINE(gen_random_kind, "random",
		"A random trace that exercises every operation, with deliberate errors, for\n"
		"the reference model and the Linux oracle (tools/native-replay).",
		struct gen_random_params, random_options, gen_random_defaults, gen_random, NULL);
