/*
 * gen_parallel_build.c - a parallel build on a machine barely big enough.
 *
 * The trace is `make -jN` over a number of compilation units.  Process 1
 * is make: a heap holding the dependency graph, and nothing to do while
 * its jobs run but wait (so the page daemon finds its pmap idle).  Each
 * job is the life of one unit, run as a script of trace lines:
 *
 *   make forks a driver (cc), which execs, maps its text, heap and stack;
 *   the driver forks the compiler (cc1), which execs and builds a sparse
 *   address space: text and heap low, libraries 1 GiB apart, a stack at
 *   the top of the window, then allocates in bursts;
 *   the compiler exits, the driver forks the assembler (as), which execs,
 *   writes a sparse output buffer and exits; the driver exits; make
 *   writes the unit's mark into its heap.
 *
 * A burst writes one small object in each of BURST_PAGES consecutive
 * 2 MiB regions, so each resident page costs a leaf table page of its
 * own, reads one back, and then frees the previous burst's memory.
 * Between bursts the compiler probes its symbol table, a hash table over
 * 1 GiB that is mostly never written: each probe reads the zero page,
 * which costs a table path and no data, so table pages also grow where
 * nothing but metadata is allocated (and can eat into the frames kept
 * for metadata, where pmap_enter itself must be able to fail).
 *
 * Bursts alternate between the two ways an allocator gives memory back:
 * even bursts mmap a fresh chunk in a new 1 GiB slot and the chunk is
 * munmapped; odd bursts reuse a "main arena" at a fixed place, which is
 * trimmed with madvise dontneed (glibc's way) and refilled at other
 * offsets next time.  Either way every table page the burst used is empty
 * afterwards: a pmap that frees table pages when they empty gives all of
 * them back, one that keeps them until exit (arm32 in 1998) holds every
 * table page the process ever used.  After a dontneed the generator reads
 * one page of the trimmed arena, which must read as zeros.
 *
 * Jobs run concurrently: a scheduler keeps JOBS scripts in flight and
 * emits a quantum of one to six lines of a randomly chosen one at a time,
 * starting the next unit when a job ends.  Within a job only one process
 * runs at a time (the driver waits for its child), as in a real build.
 *
 * Every address is inside the generator window (gen.h), 64 slots of
 * 1 GiB, laid out the same way in every address space:
 *
 *   slot 0       text at +0, heap at +64 MiB
 *   slots 1-12   libraries, one per slot
 *   slot 13      the main arena (trimmed with dontneed and reused)
 *   slot 14      the symbol table (1 GiB, probed, rarely written)
 *   slots 16-62  mmapped chunks, one per even burst, rotating
 *   slot 63      the stack, in the last 1 MiB
 *
 * The PRNG is splitmix64 over a counter (gen.h), so the same
 * parameters give the same bytes everywhere.
 */
#include "gen_parallel_build.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "gen_options.h"

#define PB_PAGE ((uint64_t)4096)
#define PB_2M ((uint64_t)2 << 20)
#define PB_1G ((uint64_t)1 << 30)
#define PB_SLOT(n) (GEN_WINDOW_BASE + (uint64_t)(n) * PB_1G)

#define PB_TEXT PB_SLOT(0)
#define PB_HEAP (PB_SLOT(0) + ((uint64_t)64 << 20))
#define PB_HEAP_LEN ((uint64_t)4 << 20)
#define PB_LIB_SLOT0 1u
#define PB_MAIN_ARENA PB_SLOT(13)
#define PB_SYMTAB PB_SLOT(14)
#define PB_CHUNK_SLOT0 16u
#define PB_CHUNK_SLOTS 47u
#define PB_STACK_LEN ((uint64_t)1 << 20)
#define PB_STACK (GEN_WINDOW_BASE + GEN_WINDOW_SIZE - PB_STACK_LEN)

/* Bytes each burst writes per region: a few small objects. */
#define PB_OBJECT 512u
/* Symbol-table probes per burst (reads of a sparse, mostly empty table). */
#define PB_PROBES 4u
/* Lines of one job emitted before the scheduler looks again: 1..6. */
#define PB_QUANTUM_MAX 6u

_Static_assert(GEN_WINDOW_SIZE == 64 * PB_1G, "the layout assumes a 64 GiB window");

/* Text, heap and stack pages written, per kind of process. */
struct pb_shape {
	unsigned text, heap, stack;
};
static const struct pb_shape pb_make = {16, 32, 2};
static const struct pb_shape pb_driver = {8, 4, 2};
static const struct pb_shape pb_compiler = {32, 8, 4};
static const struct pb_shape pb_assembler = {16, 4, 2};
/* Library pages: text written then made r-x, and a data page. */
#define PB_LIB_TEXT 4u

/* ---- the PRNG ---- */

struct pb_rng {
	uint64_t state;
};

static uint64_t pb_below(struct pb_rng *r, uint64_t n)
{
	return gen_rng_below(&r->state, n);
}

/* ---- a job's script: lines, emitted a few at a time ---- */

struct pb_script {
	char *text;
	size_t len, cap;
	size_t *line_end;   /* end offset of each line (after its newline) */
	size_t nlines, cap_lines;
	size_t emitted;     /* lines written out so far */
	bool oom;
};

static void pb_grow(void **buf, size_t *cap, size_t need, size_t elem, bool *oom)
{
	size_t n = *cap ? *cap : 64;
	void *p;

	if (need <= *cap || *oom)
		return;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n * elem);
	if (p == NULL) {
		*oom = true;
		return;
	}
	*buf = p;
	*cap = n;
}

__attribute__((format(printf, 2, 3))) static void pb_line(struct pb_script *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	pb_grow((void **)&s->text, &s->cap, s->len + (size_t)n + 2, 1, &s->oom);
	pb_grow((void **)&s->line_end, &s->cap_lines, s->nlines + 1, sizeof(size_t), &s->oom);
	if (s->oom || n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(s->text + s->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	s->len += (size_t)n;
	s->text[s->len++] = '\n';
	s->line_end[s->nlines++] = s->len;
}

static void pb_script_free(struct pb_script *s)
{
	free(s->text);
	free(s->line_end);
	*s = (struct pb_script){0};
}

static bool pb_script_done(const struct pb_script *s)
{
	return s->emitted == s->nlines;
}

/* Writes up to N more lines of S. */
static int pb_emit(FILE *out, struct pb_script *s, size_t n)
{
	size_t from = s->emitted ? s->line_end[s->emitted - 1] : 0, to;

	if (n > s->nlines - s->emitted)
		n = s->nlines - s->emitted;
	s->emitted += n;
	to = s->emitted ? s->line_end[s->emitted - 1] : 0;
	return fwrite(s->text + from, 1, to - from, out) == to - from ? 0 : -1;
}

/* ---- what processes do ---- */

/* A fresh address space's text, heap and stack, written as a loader and
 * the first instructions would. */
static void pb_image(struct pb_script *s, uint64_t pid, const struct pb_shape *sh)
{
	uint64_t seed = pid * 1000;

	pb_line(s, "%llu mmap 0x%llx %lluK rw- private anon", (unsigned long long)pid,
		(unsigned long long)PB_TEXT, (unsigned long long)sh->text * 4);
	pb_line(s, "%llu write 0x%llx %lluK %llu", (unsigned long long)pid,
		(unsigned long long)PB_TEXT, (unsigned long long)sh->text * 4,
		(unsigned long long)seed + 1);
	pb_line(s, "%llu mprotect 0x%llx %lluK r-x", (unsigned long long)pid,
		(unsigned long long)PB_TEXT, (unsigned long long)sh->text * 4);
	pb_line(s, "%llu mmap 0x%llx %lluM rw- private anon", (unsigned long long)pid,
		(unsigned long long)PB_HEAP, (unsigned long long)(PB_HEAP_LEN >> 20));
	pb_line(s, "%llu write 0x%llx %lluK %llu", (unsigned long long)pid,
		(unsigned long long)PB_HEAP, (unsigned long long)sh->heap * 4,
		(unsigned long long)seed + 2);
	pb_line(s, "%llu mmap 0x%llx %lluM rw- private anon", (unsigned long long)pid,
		(unsigned long long)PB_STACK, (unsigned long long)(PB_STACK_LEN >> 20));
	pb_line(s, "%llu write 0x%llx %lluK %llu", (unsigned long long)pid,
		(unsigned long long)(PB_STACK + PB_STACK_LEN - sh->stack * PB_PAGE),
		(unsigned long long)sh->stack * 4, (unsigned long long)seed + 3);
}

/* Libraries, 1 GiB apart: each costs a directory and a leaf table. */
static void pb_libs(struct pb_script *s, uint64_t pid, unsigned libs)
{
	for (unsigned k = 0; k < libs; k++) {
		uint64_t base = PB_SLOT(PB_LIB_SLOT0 + k);

		pb_line(s, "%llu mmap 0x%llx 2M rw- private anon", (unsigned long long)pid,
			(unsigned long long)base);
		pb_line(s, "%llu write 0x%llx %uK %llu", (unsigned long long)pid,
			(unsigned long long)base, PB_LIB_TEXT * 4, (unsigned long long)(100 + k));
		pb_line(s, "%llu mprotect 0x%llx %uK r-x", (unsigned long long)pid,
			(unsigned long long)base, PB_LIB_TEXT * 4);
		pb_line(s, "%llu write 0x%llx 4K %llu", (unsigned long long)pid,
			(unsigned long long)(base + PB_LIB_TEXT * PB_PAGE),
			(unsigned long long)pid * 1000 + 10 + k);
	}
}

/*
 * One object in each of N consecutive 2 MiB regions from BASE, at a
 * random page of the region; reads one back.  Returns nothing: the reads
 * print hashes that --verify compares with the model.
 */
static void pb_fill(struct pb_script *s, struct pb_rng *r, uint64_t pid, uint64_t base,
		    unsigned n, uint64_t seed)
{
	uint64_t first = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t va = base + i * PB_2M + pb_below(r, PB_2M / PB_PAGE) * PB_PAGE;

		if (i == 0)
			first = va;
		pb_line(s, "%llu write 0x%llx %u %llu", (unsigned long long)pid, (unsigned long long)va,
			PB_OBJECT, (unsigned long long)seed);
	}
	pb_line(s, "%llu read 0x%llx %u", (unsigned long long)pid, (unsigned long long)first,
		PB_OBJECT);
}

/* Where burst B of a compiler goes, and how it will be freed. */
static uint64_t pb_burst_base(const struct gen_pbuild_params *p, struct pb_rng *r, unsigned unit,
			      unsigned b)
{
	uint64_t len = (uint64_t)p->burst_pages * PB_2M;
	uint64_t places = PB_1G / len;

	if (b % 2 == 1)
		return PB_MAIN_ARENA;
	return PB_SLOT(PB_CHUNK_SLOT0 + (b / 2 + 7 * unit) % PB_CHUNK_SLOTS) +
	       pb_below(r, places) * len;
}

/* Gives back burst B's memory (BASE): munmap a chunk, trim the arena. */
static void pb_burst_free(struct pb_script *s, struct pb_rng *r, const struct gen_pbuild_params *p,
			  uint64_t pid, unsigned b, uint64_t base)
{
	uint64_t len = (uint64_t)p->burst_pages * PB_2M;

	if (b % 2 == 0) {
		pb_line(s, "%llu munmap 0x%llx %lluM", (unsigned long long)pid, (unsigned long long)base,
			(unsigned long long)(len >> 20));
		return;
	}
	pb_line(s, "%llu madvise 0x%llx %lluM dontneed", (unsigned long long)pid,
		(unsigned long long)base, (unsigned long long)(len >> 20));
	/* Trimmed memory reads as zeros (and costs only a table path). */
	pb_line(s, "%llu read 0x%llx %u", (unsigned long long)pid,
		(unsigned long long)(base + pb_below(r, len / PB_PAGE) * PB_PAGE), PB_OBJECT);
}

/*
 * The compiler's symbol table: a hash table over 1 GiB, mostly never
 * written.  A burst probes a few random buckets (reads: the zero page,
 * so a table path and no data) and inserts one symbol.  These reads are
 * what lets table pages eat into the frames kept for metadata, where
 * pmap_enter itself can fail.
 */
static void pb_symbols(struct pb_script *s, struct pb_rng *r, uint64_t pid, uint64_t seed)
{
	for (unsigned i = 0; i <= PB_PROBES; i++) {
		uint64_t va = PB_SYMTAB + pb_below(r, PB_1G / PB_PAGE) * PB_PAGE;

		if (i < PB_PROBES)
			pb_line(s, "%llu touch 0x%llx 4K r", (unsigned long long)pid,
				(unsigned long long)va);
		else
			pb_line(s, "%llu write 0x%llx 64 %llu", (unsigned long long)pid,
				(unsigned long long)va, (unsigned long long)seed);
	}
}

/* Units differ in size, so jobs end at different times: from half to one
 * and a half times the mean number of bursts. */
static unsigned pb_unit_bursts(struct pb_rng *r, const struct gen_pbuild_params *p)
{
	unsigned lo = p->bursts / 2 ? p->bursts / 2 : 1;

	return lo + (unsigned)pb_below(r, p->bursts + 1);
}

static void pb_compiler_run(struct pb_script *s, struct pb_rng *r,
			    const struct gen_pbuild_params *p, uint64_t pid, unsigned unit)
{
	uint64_t len = (uint64_t)p->burst_pages * PB_2M, prev = 0;
	unsigned bursts = pb_unit_bursts(r, p);
	bool arena_mapped = false;

	pb_line(s, "%llu exec", (unsigned long long)pid);
	pb_image(s, pid, &pb_compiler);
	pb_libs(s, pid, p->libs);
	pb_line(s, "%llu mmap 0x%llx 1G rw- private anon", (unsigned long long)pid,
		(unsigned long long)PB_SYMTAB);
	for (unsigned b = 0; b < bursts; b++) {
		uint64_t base = pb_burst_base(p, r, unit, b);

		if (b % 2 == 0 || !arena_mapped)
			pb_line(s, "%llu mmap 0x%llx %lluM rw- private anon", (unsigned long long)pid,
				(unsigned long long)base, (unsigned long long)(len >> 20));
		arena_mapped |= b % 2 == 1;
		pb_fill(s, r, pid, base, p->burst_pages, pid * 1000 + 100 + b);
		pb_symbols(s, r, pid, pid * 1000 + 500 + b);
		if (b > 0)
			pb_burst_free(s, r, p, pid, b - 1, prev);
		prev = base;
	}
	/* The heap, read back once: the work survived all the reclaiming. */
	pb_line(s, "%llu read 0x%llx %lluK", (unsigned long long)pid, (unsigned long long)PB_HEAP,
		(unsigned long long)pb_compiler.heap * 4);
	pb_line(s, "%llu exit", (unsigned long long)pid);
}

static void pb_assembler_run(struct pb_script *s, struct pb_rng *r,
			     const struct gen_pbuild_params *p, uint64_t pid, unsigned unit)
{
	unsigned n = p->burst_pages / 4 ? p->burst_pages / 4 : 1;
	uint64_t base = PB_SLOT(PB_CHUNK_SLOT0 + (7 * unit + 23) % PB_CHUNK_SLOTS);

	pb_line(s, "%llu exec", (unsigned long long)pid);
	pb_image(s, pid, &pb_assembler);
	pb_line(s, "%llu mmap 0x%llx %lluM rw- private anon", (unsigned long long)pid,
		(unsigned long long)base, (unsigned long long)(n * PB_2M >> 20));
	pb_fill(s, r, pid, base, n, pid * 1000 + 50);
	pb_line(s, "%llu exit", (unsigned long long)pid);
}

/* The whole life of one unit, from make's fork to make's note of it. */
static void pb_job(struct pb_script *s, struct pb_rng *r, const struct gen_pbuild_params *p,
		   unsigned unit, uint64_t first_pid)
{
	uint64_t cc = first_pid, cc1 = first_pid + 1, as = first_pid + 2;
	uint64_t mark = (uint64_t)unit * 64 % (pb_make.heap * PB_PAGE); /* in make's heap */

	pb_line(s, "# unit %u: cc %llu, cc1 %llu, as %llu", unit, (unsigned long long)cc,
		(unsigned long long)cc1, (unsigned long long)as);
	pb_line(s, "1 fork %llu", (unsigned long long)cc);
	pb_line(s, "%llu exec", (unsigned long long)cc);
	pb_image(s, cc, &pb_driver);
	pb_line(s, "%llu fork %llu", (unsigned long long)cc, (unsigned long long)cc1);
	pb_compiler_run(s, r, p, cc1, unit);
	pb_line(s, "%llu fork %llu", (unsigned long long)cc, (unsigned long long)as);
	pb_assembler_run(s, r, p, as, unit);
	pb_line(s, "%llu exit", (unsigned long long)cc);
	pb_line(s, "1 write 0x%llx 64 %u", (unsigned long long)(PB_HEAP + mark), unit);
	if (p->checks)
		pb_line(s, "check");
}

/* ---- the build ---- */

void gen_pbuild_defaults(struct gen_pbuild_params *p)
{
	*p = (struct gen_pbuild_params){
		.seed = 1, .jobs = 4, .units = 16, .bursts = 16, .burst_pages = 48, .libs = 6,
	};
}

void gen_pbuild_quick(struct gen_pbuild_params *p)
{
	*p = (struct gen_pbuild_params){
		.seed = 1, .jobs = 3, .units = 6, .bursts = 12, .burst_pages = 32, .libs = 4,
	};
}

static bool pb_params_ok(const struct gen_pbuild_params *p)
{
	return p->jobs >= 1 && p->jobs <= GEN_PBUILD_MAX_JOBS && p->units >= 1 &&
	       p->units <= GEN_PBUILD_MAX_UNITS && p->bursts >= 1 &&
	       p->bursts <= GEN_PBUILD_MAX_BURSTS && p->burst_pages >= 1 &&
	       p->burst_pages <= GEN_PBUILD_MAX_BURST_PAGES && p->libs <= GEN_PBUILD_MAX_LIBS;
}

static int pb_header(FILE *out, const struct gen_pbuild_params *p)
{
	gen_options_header(&gen_parallel_build_kind, p, out);
	fprintf(out, "# make -j%u: %u units, each cc -> cc1 (sparse, %u bursts of %u pages one per "
		     "2 MiB) -> as\n"
		     "1 spawn\n",
		p->jobs, p->units, p->bursts, p->burst_pages);
	return ferror(out) ? -1 : 0;
}

/* Make's own address space, before its first job. */
static int pb_make_image(FILE *out)
{
	struct pb_script s = {0};
	int rc;

	pb_image(&s, 1, &pb_make);
	rc = s.oom ? -1 : pb_emit(out, &s, s.nlines);
	pb_script_free(&s);
	return rc;
}

static int pb_footer(FILE *out)
{
	fprintf(out, "# every unit built: make reads its marks and exits\n"
		     "1 read 0x%llx %lluK\n"
		     "1 exit\n"
		     "check\n",
		(unsigned long long)PB_HEAP, (unsigned long long)pb_make.heap * 4);
	return ferror(out) ? -1 : 0;
}

/* Starts unit UNIT in SLOT; pids are handed out in start order. */
static void pb_start(struct pb_script *slot, struct pb_rng *r, const struct gen_pbuild_params *p,
		     unsigned unit)
{
	pb_script_free(slot);
	pb_job(slot, r, p, unit, 2 + 3 * (uint64_t)unit);
}

int gen_parallel_build(FILE *out, const struct gen_pbuild_params *p)
{
	struct pb_script jobs[GEN_PBUILD_MAX_JOBS] = {{0}};
	struct pb_rng r = {.state = p->seed * 0x2545f4914f6cdd1dull + 0x5eed};
	unsigned started = 0, active = 0;
	int rc = 0;

	if (!pb_params_ok(p) || pb_header(out, p) != 0 || pb_make_image(out) != 0)
		return -1;
	for (unsigned j = 0; j < p->jobs && started < p->units; j++, active++)
		pb_start(&jobs[j], &r, p, started++);
	while (active > 0 && rc == 0) {
		/* A random job among those in flight gets the next quantum. */
		unsigned pick = (unsigned)pb_below(&r, active), j;

		for (j = 0; pick > 0 || pb_script_done(&jobs[j]); j++)
			if (!pb_script_done(&jobs[j]))
				pick--;
		if (jobs[j].oom) {
			rc = -1;
			break;
		}
		rc = pb_emit(out, &jobs[j], 1 + (size_t)pb_below(&r, PB_QUANTUM_MAX));
		if (!pb_script_done(&jobs[j]))
			continue;
		if (started < p->units)
			pb_start(&jobs[j], &r, p, started++);
		else
			active--;
	}
	for (unsigned j = 0; j < p->jobs; j++)
		pb_script_free(&jobs[j]);
	if (rc == 0)
		rc = pb_footer(out);
	return rc;
}

/* ---- the options of `mvm gen parallel-build` ---- */

/* --quick: the smaller sizes of the tests and `mvm demo --quick`; a seed
 * given before it stays. */
static void pb_quick(void *params)
{
	struct gen_pbuild_params *p = params;
	uint64_t seed = p->seed;

	gen_pbuild_quick(p);
	p->seed = seed;
}

static const struct gen_option pb_options[] = {
	GEN_OPT_PRESET_OF("--quick", pb_quick,
			  "start from smaller sizes (-j3, 6 units); options after it change\n"
			  "                         single sizes"),
	GEN_OPT_NUM("--seed", struct gen_pbuild_params, seed, 0, UINT64_MAX, "the PRNG's seed"),
	GEN_OPT_NUM("--jobs", struct gen_pbuild_params, jobs, 1, GEN_PBUILD_MAX_JOBS,
		    "compilations at once (make -jN)"),
	GEN_OPT_NUM("--units", struct gen_pbuild_params, units, 1, GEN_PBUILD_MAX_UNITS,
		    "compilation units in the build"),
	GEN_OPT_NUM("--bursts", struct gen_pbuild_params, bursts, 1, GEN_PBUILD_MAX_BURSTS,
		    "mean allocation bursts per compiler"),
	GEN_OPT_NUM("--burst-pages", struct gen_pbuild_params, burst_pages, 1,
		    GEN_PBUILD_MAX_BURST_PAGES, "pages per burst, one per 2 MiB"),
	GEN_OPT_NUM("--libs", struct gen_pbuild_params, libs, 0, GEN_PBUILD_MAX_LIBS,
		    "libraries each compiler maps, 1 GiB apart"),
	GEN_OPT_BOOL("--checks", struct gen_pbuild_params, checks, true,
		     "a `check` line after each unit"),
};

GEN_KIND_DEFINE(gen_parallel_build_kind, "parallel-build",
		"A make -jN on a machine barely big enough: sparse compilers that allocate in\n"
		"bursts, fork and exec (the 1998 NetBSD pmap reports).",
		struct gen_pbuild_params, pb_options, gen_pbuild_defaults, gen_parallel_build, NULL);
