/*
 * gen_translator.c - an ext2fs translator serving heavy I/O.
 *
 * The trace, for F files of S bytes, W bytes of the translator's own
 * memory and N requests:
 *
 *   file file000 S SEED ... file F-1     the file system's files
 *   file journal 0 SEED                  its journal, grown by appends
 *   1 spawn
 *   1 mmap FILES+i*S S rw- shared file fileNNN 0     every file, mapped
 *                                        shared, side by side (ext2fs
 *                                        keeps its disk mapped the same way)
 *   1 mmap ANON W rw- private anon; 1 write ANON W SEED
 *                                        the translator's own memory (its
 *                                        caches and heap), all written
 *   N requests, each one of:
 *      1 in 200: a whole file rewritten in one operation, through the
 *                mapping or by pwrite (a client copying a file in): the
 *                burst that piles dirty pages up against the bound;
 *      otherwise (weights out of 100):
 *     30  1 write  ADDR LEN SEED         store through the mapping, 1-4
 *                                        pages, a quarter of them partial
 *     20  1 pwrite fileNNN OFF LEN SEED  1-8 pages, a quarter unaligned
 *     25  1 pread  fileNNN OFF LEN       1-8 pages
 *     15  1 read   ADDR LEN              1-2 pages through the mapping
 *     10  1 touch  ADDR LEN w            1-4 pages: dirty to the VM, same bytes
 *   and with each request the translator's own work:
 *         1 touch ANON+... 16K r         a sweep over the first half of
 *                                        its memory, 4 pages a request: a
 *                                        working set in use all the time
 *         1 write ANON+... 4096 SEED     one request in 8: a random page
 *                                        anywhere (the other half is cold)
 *         1 read  ANON+... 4096          one in 32
 *         1 pwrite journal END 512 SEED  one in 8: a journal record
 *   every client-every requests a client:
 *         1 fork C; C pread (twice); C read (a page through the shared
 *         mapping it inherited); C exit
 *   every msync-every requests one file (in turn) is msynced, and every
 *   check-every a `check`;
 *   at the end: 1 msync of every mapping; stat; 1 pread of every file
 *   and the journal, whole; 1 exit; check.
 *
 * File choice is skewed as a file system's is: six requests in ten go to
 * the hot quarter of the files.  Request sizes stay inside the files
 * (which are whole pages: --file-size is rounded up), so no store ever
 * lands past the end of a file through a shared mapping, which the spec
 * leaves unspecified; only the journal grows.
 *
 * With RAM at gen_translator_ram() (the translator's memory and a 24th of
 * the files) the cache holds a small part of the files: most requests
 * fault or read pages in, dirty pages pile up against --dirty-max, and
 * the page daemon must choose between clean file pages and anonymous
 * memory every time it runs; the cold half of the translator's memory is
 * what should go to swap, and only once no clean file page is left.
 *
 * The PRNG is splitmix64 over a counter (gen.h), so the same
 * parameters give the same bytes everywhere.
 */
#include "gen_translator.h"

#include <inttypes.h>
#include <stdbool.h>

#include "gen.h"
#include "gen_options.h"

#define TR_PAGE ((uint64_t)4096)
#define TR_FILES_BASE ((uint64_t)GEN_WINDOW_BASE)
#define TR_ANON_BASE ((uint64_t)GEN_WINDOW_BASE + ((uint64_t)32 << 30))
#define TR_SWEEP_PAGES ((uint64_t)4)
#define TR_JOURNAL_RECORD ((uint64_t)512)
#define TR_BULK_ONE_IN 200

_Static_assert(GEN_TRANSLATOR_MAX_FILES_TOTAL <= TR_ANON_BASE - TR_FILES_BASE,
	       "the files must fit below the working set");
_Static_assert(TR_ANON_BASE + GEN_TRANSLATOR_MAX_ANON <= GEN_WINDOW_BASE + GEN_WINDOW_SIZE,
	       "the working set must fit in the window");

void gen_translator_defaults(struct gen_translator_params *p)
{
	*p = (struct gen_translator_params){
		.seed = 1,
		.files = 24,
		.file_bytes = 1ull << 20,
		.anon_bytes = 8ull << 20,
		.requests = 20000,
		.client_every = 50,
		.msync_every = 400,
		.check_every = 2000,
	};
}

void gen_translator_quick(struct gen_translator_params *p)
{
	*p = (struct gen_translator_params){
		.seed = p->seed,
		.files = 6,
		.file_bytes = 128ull << 10,
		.anon_bytes = 512ull << 10,
		.requests = 800,
		.client_every = 20,
		.msync_every = 100,
		.check_every = 100,
	};
}

static uint64_t pages_of(uint64_t bytes)
{
	return (bytes + TR_PAGE - 1) / TR_PAGE;
}

uint64_t gen_translator_ram(const struct gen_translator_params *p)
{
	return (pages_of(p->anon_bytes) + p->files * pages_of(p->file_bytes) / 24) * TR_PAGE;
}

static bool params_ok(const struct gen_translator_params *p)
{
	uint64_t fpages = pages_of(p->file_bytes);

	return p->files >= 1 && p->files <= GEN_TRANSLATOR_MAX_FILES && fpages >= 1 &&
	       p->file_bytes <= GEN_TRANSLATOR_MAX_FILE_BYTES &&
	       p->files * fpages * TR_PAGE <= GEN_TRANSLATOR_MAX_FILES_TOTAL &&
	       pages_of(p->anon_bytes) >= TR_SWEEP_PAGES &&
	       p->anon_bytes <= GEN_TRANSLATOR_MAX_ANON &&
	       p->requests <= GEN_TRANSLATOR_MAX_COUNT;
}

struct tr_gen {
	FILE *out;
	const struct gen_translator_params *p;
	uint64_t rng;          /* splitmix64 state */
	uint64_t fpages;       /* pages per file */
	uint64_t apages;       /* pages of the working set */
	uint64_t sweep;        /* next working-set page of the sweep */
	uint64_t journal;      /* the journal's size */
	uint64_t next_client;  /* the next client's pid */
	uint64_t next_msync;   /* the file the next msync writes back */
};

static uint64_t below(struct tr_gen *g, uint64_t n)
{
	return gen_rng_below(&g->rng, n);
}

/* A pattern seed: small numbers keep traces readable. */
static uint64_t random_seed(struct tr_gen *g)
{
	return below(g, 1000000);
}

/* Six requests in ten go to the hot quarter of the files. */
static uint64_t pick_file(struct tr_gen *g)
{
	uint64_t hot = g->p->files / 4 ? g->p->files / 4 : 1;

	return below(g, 10) < 6 ? below(g, hot) : below(g, g->p->files);
}

static uint64_t file_addr(const struct tr_gen *g, uint64_t f)
{
	return TR_FILES_BASE + f * g->fpages * TR_PAGE;
}

/* A run of 1..MAX pages inside a file: its first byte's offset and length. */
static void pick_run(struct tr_gen *g, uint64_t max, uint64_t *off, uint64_t *len)
{
	uint64_t n = 1 + below(g, max < g->fpages ? max : g->fpages);

	*off = below(g, g->fpages - n + 1) * TR_PAGE;
	*len = n * TR_PAGE;
}

/* Trims a run to a random part of it that starts inside its first page
 * (an unaligned start and length), keeping at least one byte. */
static void make_partial(struct tr_gen *g, uint64_t *off, uint64_t *len)
{
	uint64_t skip = below(g, TR_PAGE);

	*off += skip;
	*len = 1 + below(g, *len - skip);
}

#define PID GEN_TRANSLATOR_PID

static void emit_map_write(struct tr_gen *g, uint64_t f)
{
	uint64_t off, len;

	pick_run(g, 4, &off, &len);
	if (below(g, 4) == 0)
		make_partial(g, &off, &len);
	fprintf(g->out, "%d write 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "\n", PID,
		file_addr(g, f) + off, len, random_seed(g));
}

static void emit_pwrite(struct tr_gen *g, uint64_t f)
{
	uint64_t off, len;

	pick_run(g, 8, &off, &len);
	if (below(g, 4) == 0)
		make_partial(g, &off, &len);
	fprintf(g->out, "%d pwrite file%03" PRIu64 " 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "\n", PID,
		f, off, len, random_seed(g));
}

static void emit_pread(struct tr_gen *g, uint64_t pid, uint64_t f, uint64_t max)
{
	uint64_t off, len;

	pick_run(g, max, &off, &len);
	fprintf(g->out, "%" PRIu64 " pread file%03" PRIu64 " 0x%" PRIx64 " 0x%" PRIx64 "\n", pid, f,
		off, len);
}

static void emit_map_access(struct tr_gen *g, uint64_t pid, uint64_t f, uint64_t max, bool touch)
{
	uint64_t off, len;

	pick_run(g, max, &off, &len);
	if (touch)
		fprintf(g->out, "%" PRIu64 " touch 0x%" PRIx64 " 0x%" PRIx64 " w\n", pid,
			file_addr(g, f) + off, len);
	else
		fprintf(g->out, "%" PRIu64 " read 0x%" PRIx64 " 0x%" PRIx64 "\n", pid,
			file_addr(g, f) + off, len);
}

/* A client copying a whole file in: the file rewritten from start to end,
 * through the mapping or by pwrite, in one operation. */
static void emit_bulk_write(struct tr_gen *g, uint64_t f)
{
	uint64_t len = g->fpages * TR_PAGE;

	if (below(g, 2) == 0)
		fprintf(g->out, "%d write 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "\n", PID,
			file_addr(g, f), len, random_seed(g));
	else
		fprintf(g->out, "%d pwrite file%03" PRIu64 " 0 0x%" PRIx64 " %" PRIu64 "\n", PID, f,
			len, random_seed(g));
}

/* One request of a client, served through the file system. */
static void emit_file_request(struct tr_gen *g)
{
	uint64_t f = pick_file(g), kind;

	if (below(g, TR_BULK_ONE_IN) == 0) {
		emit_bulk_write(g, f);
		return;
	}
	kind = below(g, 100);
	if (kind < 30)
		emit_map_write(g, f);
	else if (kind < 50)
		emit_pwrite(g, f);
	else if (kind < 75)
		emit_pread(g, PID, f, 8);
	else if (kind < 90)
		emit_map_access(g, PID, f, 2, false);
	else
		emit_map_access(g, PID, f, 4, true);
}

/* The hot half of the working set, which the sweep keeps in use. */
static uint64_t hot_pages(const struct tr_gen *g)
{
	return g->apages / 2 > TR_SWEEP_PAGES ? g->apages / 2 : TR_SWEEP_PAGES;
}

/* The translator's own memory: the sweep, and now and then a page written
 * or read at random. */
static void emit_own_work(struct tr_gen *g)
{
	uint64_t page;

	if (g->sweep + TR_SWEEP_PAGES > hot_pages(g))
		g->sweep = 0;
	fprintf(g->out, "%d touch 0x%" PRIx64 " 0x%" PRIx64 " r\n", PID,
		TR_ANON_BASE + g->sweep * TR_PAGE, TR_SWEEP_PAGES * TR_PAGE);
	g->sweep += TR_SWEEP_PAGES;
	if (below(g, 8) == 0) {
		page = below(g, g->apages);
		fprintf(g->out, "%d write 0x%" PRIx64 " 4096 %" PRIu64 "\n", PID,
			TR_ANON_BASE + page * TR_PAGE, random_seed(g));
	}
	if (below(g, 32) == 0)
		fprintf(g->out, "%d read 0x%" PRIx64 " 4096\n", PID,
			TR_ANON_BASE + below(g, g->apages) * TR_PAGE);
	if (below(g, 8) == 0) {
		fprintf(g->out, "%d pwrite journal 0x%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", PID, g->journal,
			TR_JOURNAL_RECORD, random_seed(g));
		g->journal += TR_JOURNAL_RECORD;
	}
}

static void emit_client(struct tr_gen *g)
{
	uint64_t c = g->next_client++;

	fprintf(g->out, "%d fork %" PRIu64 "\n", PID, c);
	emit_pread(g, c, pick_file(g), 4);
	emit_pread(g, c, pick_file(g), 4);
	emit_map_access(g, c, pick_file(g), 1, false);
	fprintf(g->out, "%" PRIu64 " exit\n", c);
}

static void emit_msync(struct tr_gen *g)
{
	uint64_t f = g->next_msync++ % g->p->files;

	fprintf(g->out, "%d msync 0x%" PRIx64 " 0x%" PRIx64 "\n", PID, file_addr(g, f),
		g->fpages * TR_PAGE);
}

static void emit_start(struct tr_gen *g)
{
	const struct gen_translator_params *p = g->p;
	uint64_t flen = g->fpages * TR_PAGE, alen = g->apages * TR_PAGE;

	gen_options_header(&gen_translator_kind, p, g->out);
	fprintf(g->out, "# meant for: mvm replay --ram %" PRIu64 "K (files %" PRIu64
			"K and working set %" PRIu64 "K do not fit)\n"
			"# the file system: its files and its journal\n",
		gen_translator_ram(p) >> 10, p->files * flen >> 10, alen >> 10);
	for (uint64_t f = 0; f < p->files; f++)
		fprintf(g->out, "file file%03" PRIu64 " 0x%" PRIx64 " %" PRIu64 "\n", f, flen,
			p->seed * 1000 + f);
	fprintf(g->out, "file journal 0 %" PRIu64 "\n"
			"# the translator maps every file shared and fills its own memory\n"
			"%d spawn\n",
		p->seed, PID);
	for (uint64_t f = 0; f < p->files; f++)
		fprintf(g->out, "%d mmap 0x%" PRIx64 " 0x%" PRIx64 " rw- shared file file%03" PRIu64
				" 0\n",
			PID, file_addr(g, f), flen, f);
	fprintf(g->out, "%d mmap 0x%" PRIx64 " 0x%" PRIx64 " rw- private anon\n"
			"%d write 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "\n"
			"# the requests\n",
		PID, TR_ANON_BASE, alen, PID, TR_ANON_BASE, alen, p->seed);
}

static void emit_end(struct tr_gen *g)
{
	const struct gen_translator_params *p = g->p;
	uint64_t flen = g->fpages * TR_PAGE;

	fprintf(g->out, "# the end: everything written back, then every file read whole\n"
			"%d msync 0x%" PRIx64 " 0x%" PRIx64 "\n"
			"stat\n",
		PID, TR_FILES_BASE, p->files * flen);
	for (uint64_t f = 0; f < p->files; f++)
		fprintf(g->out, "%d pread file%03" PRIu64 " 0 0x%" PRIx64 "\n", PID, f, flen);
	fprintf(g->out, "%d pread journal 0 0x%" PRIx64 "\n"
			"%d exit\n"
			"check\n",
		PID, g->journal, PID);
}

int gen_translator(FILE *out, const struct gen_translator_params *p)
{
	struct tr_gen g = {.out = out, .p = p, .rng = p->seed, .next_client = PID + 1};

	if (!params_ok(p))
		return -1;
	g.fpages = pages_of(p->file_bytes);
	g.apages = pages_of(p->anon_bytes);
	emit_start(&g);
	for (uint64_t r = 1; r <= p->requests; r++) {
		emit_file_request(&g);
		emit_own_work(&g);
		if (p->client_every != 0 && r % p->client_every == 0)
			emit_client(&g);
		if (p->msync_every != 0 && r % p->msync_every == 0)
			emit_msync(&g);
		if (p->check_every != 0 && r % p->check_every == 0)
			fputs("check\n", out);
	}
	emit_end(&g);
	return ferror(out) ? -1 : 0;
}

/* ---- the options of `mvm gen translator` ---- */

/* --quick: the tiny sizes of the tests and `mvm demo --quick`. */
static void tr_quick(void *p)
{
	gen_translator_quick(p);
}

#define TR_OPT_COUNT(NAME, F, HELP) \
	GEN_OPT_NUM(NAME, struct gen_translator_params, F, 0, GEN_TRANSLATOR_MAX_COUNT, HELP)

static const struct gen_option tr_options[] = {
	GEN_OPT_PRESET_OF("--quick", tr_quick,
			  "start from tiny sizes (6 files of 128K, 800 requests); options\n"
			  "                         after it change single sizes"),
	GEN_OPT_NUM("--files", struct gen_translator_params, files, 1, GEN_TRANSLATOR_MAX_FILES,
		    "files in the file system, each mapped shared"),
	GEN_OPT_BYTES("--file-size", struct gen_translator_params, file_bytes, 1,
		      GEN_TRANSLATOR_MAX_FILE_BYTES, "the size of each file"),
	GEN_OPT_BYTES("--anon", struct gen_translator_params, anon_bytes, TR_SWEEP_PAGES * TR_PAGE,
		      GEN_TRANSLATOR_MAX_ANON, "the translator's own memory, half of it hot"),
	TR_OPT_COUNT("--requests", requests, "requests served"),
	TR_OPT_COUNT("--client-every", client_every, "a client forks every N requests (0: none)"),
	TR_OPT_COUNT("--msync-every", msync_every,
		     "one file msynced every N requests (0: only at the end)"),
	TR_OPT_COUNT("--check-every", check_every,
		     "a `check` line every N requests (0: only the final one)"),
	GEN_OPT_NUM("--seed", struct gen_translator_params, seed, 0, UINT64_MAX, "the PRNG's seed"),
};

/* The one limit that ties two options together. */
static const char *tr_validate(const void *params)
{
	const struct gen_translator_params *p = params;

	if (p->files * pages_of(p->file_bytes) * TR_PAGE > GEN_TRANSLATOR_MAX_FILES_TOTAL)
		return "--files times --file-size is more than 16G";
	return NULL;
}

GEN_KIND_DEFINE(gen_translator_kind, "translator",
		"An ext2fs translator serving heavy I/O through shared file mappings, with\n"
		"forked clients, on too little RAM (the trace's third line says how much).",
		struct gen_translator_params, tr_options, gen_translator_defaults, gen_translator,
		tr_validate);
