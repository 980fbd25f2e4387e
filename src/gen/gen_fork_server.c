/*
 * gen_fork_server.c - the forking server of the 1993-95 swap-leak reports.
 *
 * The trace, for a heap of H bytes and N forks:
 *
 *   1 spawn; 1 mmap HEAP H rw- private anon; 1 write HEAP H SEED
 *       the server fills its whole heap, so that with RAM below H most
 *       of it is paged out before the first fork;
 *   N times:
 *     1 fork C              C = 2, 3, ...: a new pid each time, as a
 *                           real server's children have
 *     C write PAGE 4096 S   child-pages times, random heap pages: each
 *                           a copy-on-write fault, often of a page the
 *                           server has on swap
 *     C read PAGE 4096      one random page, maybe paged in for it
 *     C exit                the child's copies die with it
 *     1 write / 1 touch r   server-pages random heap pages, alternately
 *                           rewritten (its swap copy is now dead) and
 *                           read (paged back in, its copy kept clean)
 *     check                 every check-every forks
 *   stat; 1 vmdump          the end state: only the server is left, so
 *                           swap in use must be exactly its swapped pages
 *   1 read HEAP H           every byte of the heap, for --verify
 *   1 exit; check           and then nothing at all may be held
 *
 * Pages are drawn uniformly from the heap, so with RAM at a quarter of
 * the heap about three in four accesses find the page on swap: the
 * children's faults and the server's touches keep paging in and out
 * while processes come and go, which is what leaked in the old systems.
 *
 * The PRNG is splitmix64 over a counter (gen.h), so the same parameters
 * give the same bytes everywhere.
 */
#include "gen_fork_server.h"

#include <inttypes.h>
#include <stdbool.h>

#include "gen.h"
#include "gen_options.h"

#define GEN_PAGE 4096ull

void gen_fork_server_defaults(struct gen_fork_server_params *p)
{
	*p = (struct gen_fork_server_params){
		.seed = 1,
		.heap_bytes = 64ull << 20,
		.forks = 2000,
		.child_pages = 4,
		.server_pages = 8,
		.check_every = 100,
	};
}

struct fs_gen {
	FILE *out;
	const struct gen_fork_server_params *p;
	uint64_t rng;       /* splitmix64 state */
	uint64_t pages;     /* heap pages */
};

/* The address of a heap page drawn uniformly. */
static uint64_t random_page(struct fs_gen *g)
{
	return GEN_FORK_SERVER_HEAP + gen_rng_below(&g->rng, g->pages) * GEN_PAGE;
}

/* A pattern seed for a write: small numbers keep traces readable. */
static uint64_t random_seed(struct fs_gen *g)
{
	return gen_rng_below(&g->rng, 1000000);
}

static void emit_child(struct fs_gen *g, uint64_t child)
{
	fprintf(g->out, "%d fork %" PRIu64 "\n", GEN_FORK_SERVER_PID, child);
	for (uint64_t i = 0; i < g->p->child_pages; i++)
		fprintf(g->out, "%" PRIu64 " write 0x%" PRIx64 " 4096 %" PRIu64 "\n", child,
			random_page(g), random_seed(g));
	fprintf(g->out, "%" PRIu64 " read 0x%" PRIx64 " 4096\n", child, random_page(g));
	fprintf(g->out, "%" PRIu64 " exit\n", child);
}

static void emit_server_touches(struct fs_gen *g)
{
	for (uint64_t i = 0; i < g->p->server_pages; i++) {
		uint64_t page = random_page(g);

		if (i % 2 == 0)
			fprintf(g->out, "%d write 0x%" PRIx64 " 4096 %" PRIu64 "\n", GEN_FORK_SERVER_PID,
				page, random_seed(g));
		else
			fprintf(g->out, "%d touch 0x%" PRIx64 " 4096 r\n", GEN_FORK_SERVER_PID, page);
	}
}

static void emit_start(struct fs_gen *g)
{
	const struct gen_fork_server_params *p = g->p;
	uint64_t len = g->pages * GEN_PAGE;

	gen_options_header(&gen_fork_server_kind, p, g->out);
	fprintf(g->out, "# the server fills its heap: with RAM below it, most goes to swap\n"
			"%d spawn\n"
			"%d mmap 0x%llx 0x%" PRIx64 " rw- private anon\n"
			"%d write 0x%llx 0x%" PRIx64 " %" PRIu64 "\n"
			"# the fork loop: children write and read a little, then exit\n",
		GEN_FORK_SERVER_PID, GEN_FORK_SERVER_PID, GEN_FORK_SERVER_HEAP, len, GEN_FORK_SERVER_PID,
		GEN_FORK_SERVER_HEAP, len, p->seed);
}

static void emit_end(struct fs_gen *g)
{
	uint64_t len = g->pages * GEN_PAGE;

	fprintf(g->out, "# the end state: swap in use must be the server's swapped pages\n"
			"stat\n"
			"%d vmdump\n"
			"%d read 0x%llx 0x%" PRIx64 "\n"
			"%d exit\n"
			"check\n",
		GEN_FORK_SERVER_PID, GEN_FORK_SERVER_PID, GEN_FORK_SERVER_HEAP, len,
		GEN_FORK_SERVER_PID);
}

int gen_fork_server(FILE *out, const struct gen_fork_server_params *p)
{
	struct fs_gen g = {.out = out, .p = p, .rng = p->seed,
			   .pages = (p->heap_bytes + GEN_PAGE - 1) / GEN_PAGE};

	if (g.pages == 0)
		g.pages = 1;
	emit_start(&g);
	for (uint64_t i = 1; i <= p->forks; i++) {
		emit_child(&g, GEN_FORK_SERVER_PID + i);
		emit_server_touches(&g);
		if (p->check_every != 0 && i % p->check_every == 0)
			fputs("check\n", out);
	}
	emit_end(&g);
	return ferror(out) ? -1 : 0;
}

/* ---- the options of `mvm gen fork-server` ---- */

#define FS_MAX_COUNT 100000000ull   /* forks: far beyond any useful run */
#define FS_MAX_PAGES 65536ull       /* pages per child or server step */

static const struct gen_option fs_options[] = {
	GEN_OPT_BYTES("--heap", struct gen_fork_server_params, heap_bytes, GEN_PAGE,
		      GEN_FORK_SERVER_MAX_HEAP, "the server's private heap, filled before the first fork"),
	GEN_OPT_NUM("--forks", struct gen_fork_server_params, forks, 0, FS_MAX_COUNT,
		    "children forked, one after another"),
	GEN_OPT_NUM("--child-pages", struct gen_fork_server_params, child_pages, 0, FS_MAX_PAGES,
		    "heap pages each child writes (copy-on-write) before it exits"),
	GEN_OPT_NUM("--server-pages", struct gen_fork_server_params, server_pages, 0, FS_MAX_PAGES,
		    "heap pages the server writes or reads between forks"),
	GEN_OPT_NUM("--check-every", struct gen_fork_server_params, check_every, 0, FS_MAX_COUNT,
		    "a `check` line every N forks (0: only the final one)"),
	GEN_OPT_NUM("--seed", struct gen_fork_server_params, seed, 0, UINT64_MAX,
		    "the PRNG's seed: which pages are touched"),
};

GEN_KIND_DEFINE(gen_fork_server_kind, "fork-server",
		"A server with a large heap, mostly paged out, forks children that write a\n"
		"few heap pages and exit: the swap leak of the 1993-95 reports.",
		struct gen_fork_server_params, fs_options, gen_fork_server_defaults, gen_fork_server, NULL);
