/*
 * gen_vm_test.c - many processes forking and swapping at once.
 *
 * The trace:
 *
 *   P spawn; P mmap HEAP H rw- private anon; P write HEAP H SEED
 *       for P = 1..procs: every heap filled, so that with RAM below the
 *       sum most of it is on swap before the rounds start;
 *   rounds times, every live process in a shuffled order does one of:
 *     write 1-4 random pages          a copy-on-write or pagein fault
 *     write a run of 8-64 pages       pressure: the page daemon runs
 *     read one page / touch 1-16 r    pageins, clean copies kept
 *     fork                            a child (depth 2 at most, at most
 *                                     2 * procs children at once) that
 *                                     lives 5-40 turns, then exits
 *     madvise pageout 16-128 pages    swap-out on request
 *     madvise dontneed 1-16 pages     data and slots dropped
 *     mmap over 1-16 pages            replaced: the old anons die
 *     (`check` every check-every rounds)
 *   stat                              the end state, all still alive
 *   every process exits, children first; check
 *
 * The generator keeps only who is alive, their depth and remaining
 * turns (a live list in no particular order; a process forked in a round
 * first acts in the next): every process maps the same heap at the same address (children
 * inherit it; the originals map it themselves) and never unmaps it, so
 * every access is valid and the output is hashes, not segv lines.
 *
 * The PRNG is splitmix64 over a counter (gen.h).
 */
#include "gen_vm_test.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>

#include "gen.h"
#include "gen_options.h"

#define GEN_PAGE 4096ull
#define VT_CHILD_TURNS_MIN 5
#define VT_CHILD_TURNS_MAX 40
#define VT_MAX_DEPTH 2

void gen_vm_test_defaults(struct gen_vm_test_params *p)
{
	*p = (struct gen_vm_test_params){
		.seed = 1,
		.procs = 8,
		.rounds = 300,
		.heap_bytes = 8ull << 20,
		.check_every = 10,
	};
}

struct vt_proc {
	uint64_t pid;
	unsigned depth;   /* 0: spawned */
	uint64_t turns;   /* children: turns left; spawned processes: unused */
};

struct vt_gen {
	FILE *out;
	const struct gen_vm_test_params *p;
	uint64_t rng;
	uint64_t pages;         /* heap pages per process */
	struct vt_proc *live;   /* live processes, spawned ones first */
	size_t nlive, cap;
	size_t children;        /* live children */
	uint64_t next_pid;
	bool nomem;             /* the trace is incomplete */
};

/* Uniform in [lo, hi]. */
static uint64_t rng_range(struct vt_gen *g, uint64_t lo, uint64_t hi)
{
	return lo + gen_rng_below(&g->rng, hi - lo + 1);
}

/* A run of LO..HI pages inside the heap: its first page and length. */
static void random_run(struct vt_gen *g, uint64_t lo, uint64_t hi, uint64_t *addr, uint64_t *len)
{
	uint64_t n = rng_range(g, lo, hi), first;

	n = n < g->pages ? n : g->pages;
	first = gen_rng_below(&g->rng, g->pages - n + 1);
	*addr = GEN_VM_TEST_HEAP + first * GEN_PAGE;
	*len = n * GEN_PAGE;
}

static uint64_t random_seed(struct vt_gen *g)
{
	return gen_rng_below(&g->rng, 1000000);
}

/* ---- processes ---- */

static bool add_proc(struct vt_gen *g, uint64_t pid, unsigned depth, uint64_t turns)
{
	if (g->nlive == g->cap) {
		size_t cap = g->cap ? 2 * g->cap : 16;
		struct vt_proc *live = realloc(g->live, cap * sizeof *live);

		if (live == NULL)
			return false;
		g->live = live;
		g->cap = cap;
	}
	g->live[g->nlive++] = (struct vt_proc){.pid = pid, .depth = depth, .turns = turns};
	g->children += depth > 0;
	return true;
}

static void remove_proc(struct vt_gen *g, uint64_t pid)
{
	for (size_t i = 0; i < g->nlive; i++) {
		if (g->live[i].pid == pid) {
			g->children -= g->live[i].depth > 0;
			g->live[i] = g->live[--g->nlive];
			return;
		}
	}
}

static struct vt_proc *find_proc(struct vt_gen *g, uint64_t pid)
{
	for (size_t i = 0; i < g->nlive; i++)
		if (g->live[i].pid == pid)
			return &g->live[i];
	return NULL;
}

/* ---- one turn ---- */

static void emit_fork(struct vt_gen *g, const struct vt_proc *parent)
{
	uint64_t child = g->next_pid++;

	if (!add_proc(g, child, parent->depth + 1,
		      rng_range(g, VT_CHILD_TURNS_MIN, VT_CHILD_TURNS_MAX))) {
		g->nomem = true;
		return;
	}
	fprintf(g->out, "%" PRIu64 " fork %" PRIu64 "\n", parent->pid, child);
}

static bool may_fork(const struct vt_gen *g, const struct vt_proc *p)
{
	return p->depth < VT_MAX_DEPTH && g->children < 2 * g->p->procs;
}

/* One action of P (a copy: a fork may move the array). */
static void turn(struct vt_gen *g, struct vt_proc p)
{
	uint64_t roll = gen_rng_below(&g->rng, 100), addr, len;
	FILE *out = g->out;

	if (roll < 25) {
		for (uint64_t n = rng_range(g, 1, 4); n > 0; n--) {
			random_run(g, 1, 1, &addr, &len);
			fprintf(out, "%" PRIu64 " write 0x%" PRIx64 " 4096 %" PRIu64 "\n", p.pid, addr,
				random_seed(g));
		}
	} else if (roll < 35) {
		random_run(g, 8, 64, &addr, &len);
		fprintf(out, "%" PRIu64 " write 0x%" PRIx64 " 0x%" PRIx64 " %" PRIu64 "\n", p.pid, addr,
			len, random_seed(g));
	} else if (roll < 50) {
		random_run(g, 1, 1, &addr, &len);
		fprintf(out, "%" PRIu64 " read 0x%" PRIx64 " 4096\n", p.pid, addr);
	} else if (roll < 62) {
		random_run(g, 1, 16, &addr, &len);
		fprintf(out, "%" PRIu64 " touch 0x%" PRIx64 " 0x%" PRIx64 " r\n", p.pid, addr, len);
	} else if (roll < 74 && may_fork(g, &p)) {
		emit_fork(g, &p);
	} else if (roll < 90) {
		random_run(g, 16, 128, &addr, &len);
		fprintf(out, "%" PRIu64 " madvise 0x%" PRIx64 " 0x%" PRIx64 " pageout\n", p.pid, addr, len);
	} else if (roll < 95) {
		random_run(g, 1, 16, &addr, &len);
		fprintf(out, "%" PRIu64 " madvise 0x%" PRIx64 " 0x%" PRIx64 " dontneed\n", p.pid, addr, len);
	} else {
		random_run(g, 1, 16, &addr, &len);
		fprintf(out, "%" PRIu64 " mmap 0x%" PRIx64 " 0x%" PRIx64 " rw- private anon\n", p.pid, addr,
			len);
	}
}

/* A child whose turns are used up exits instead of acting. */
static void step(struct vt_gen *g, uint64_t pid)
{
	struct vt_proc *found = find_proc(g, pid);
	struct vt_proc p;

	if (found == NULL)
		return;
	if (found->depth > 0 && found->turns == 0) {
		fprintf(g->out, "%" PRIu64 " exit\n", pid);
		remove_proc(g, pid);
		return;
	}
	if (found->depth > 0)
		found->turns--;
	p = *found;
	turn(g, p);
}

/* Every process alive at the start of the round, in a shuffled order. */
static bool round_of_turns(struct vt_gen *g)
{
	size_t n = g->nlive;
	uint64_t *order = malloc((n ? n : 1) * sizeof *order);

	if (order == NULL)
		return false;
	for (size_t i = 0; i < n; i++)
		order[i] = g->live[i].pid;
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)gen_rng_below(&g->rng, i);
		uint64_t t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
	for (size_t i = 0; i < n; i++)
		step(g, order[i]);
	free(order);
	return true;
}

/* ---- the trace ---- */

static bool emit_start(struct vt_gen *g)
{
	const struct gen_vm_test_params *p = g->p;
	uint64_t len = g->pages * GEN_PAGE;

	gen_options_header(&gen_vm_test_kind, p, g->out);
	fprintf(g->out, "# every process fills its heap: with RAM below the sum, most goes to swap\n");
	for (uint64_t pid = 1; pid <= p->procs; pid++) {
		fprintf(g->out, "%" PRIu64 " spawn\n"
				"%" PRIu64 " mmap 0x%llx 0x%" PRIx64 " rw- private anon\n"
				"%" PRIu64 " write 0x%llx 0x%" PRIx64 " %" PRIu64 "\n",
			pid, pid, GEN_VM_TEST_HEAP, len, pid, GEN_VM_TEST_HEAP, len, p->seed + pid);
		if (!add_proc(g, pid, 0, 0))
			return false;
	}
	fprintf(g->out, "# the rounds: everyone writes, reads, forks, pages out at once\n");
	return true;
}

/* The live process to exit next: the newest child, else the oldest. */
static size_t next_to_exit(const struct vt_gen *g)
{
	size_t pick = 0;

	for (size_t i = 1; i < g->nlive; i++) {
		const struct vt_proc *a = &g->live[i], *b = &g->live[pick];

		if (g->children > 0 ? a->depth > 0 && (b->depth == 0 || a->pid > b->pid)
				    : a->pid < b->pid)
			pick = i;
	}
	return pick;
}

static void emit_end(struct vt_gen *g)
{
	fprintf(g->out, "# the end state, everyone still alive: swap in use must be what they own\n"
			"stat\n");
	while (g->nlive > 0) {
		uint64_t pid = g->live[next_to_exit(g)].pid;

		fprintf(g->out, "%" PRIu64 " exit\n", pid);
		remove_proc(g, pid);
	}
	fprintf(g->out, "check\n");
}

int gen_vm_test(FILE *out, const struct gen_vm_test_params *p)
{
	struct vt_gen g = {.out = out, .p = p, .rng = p->seed,
			   .pages = (p->heap_bytes + GEN_PAGE - 1) / GEN_PAGE, .next_pid = p->procs + 1};
	bool ok;

	if (g.pages == 0)
		g.pages = 1;
	ok = emit_start(&g);
	for (uint64_t r = 1; ok && r <= p->rounds; r++) {
		ok = round_of_turns(&g);
		if (p->check_every != 0 && r % p->check_every == 0)
			fputs("check\n", out);
	}
	if (ok)
		emit_end(&g);
	free(g.live);
	return ok && !g.nomem && !ferror(out) ? 0 : -1;
}

/* ---- the options of `mvm gen vm-test` ---- */

#define VT_MAX_ROUNDS 10000000ull

static const struct gen_option vt_options[] = {
	GEN_OPT_NUM("--procs", struct gen_vm_test_params, procs, 1, GEN_VM_TEST_MAX_PROCS,
		    "processes spawned, each with its own heap"),
	GEN_OPT_NUM("--rounds", struct gen_vm_test_params, rounds, 0, VT_MAX_ROUNDS,
		    "rounds in which every live process does one thing"),
	GEN_OPT_BYTES("--heap", struct gen_vm_test_params, heap_bytes, GEN_PAGE, GEN_VM_TEST_MAX_HEAP,
		      "each process's private heap"),
	GEN_OPT_NUM("--check-every", struct gen_vm_test_params, check_every, 0, VT_MAX_ROUNDS,
		    "a `check` line every N rounds (0: only the final one)"),
	GEN_OPT_NUM("--seed", struct gen_vm_test_params, seed, 0, UINT64_MAX, "the PRNG's seed"),
};

GEN_KIND_DEFINE(gen_vm_test_kind, "vm-test",
		"Many processes forking and swapping at once, after the vm-test program of\n"
		"the 1993 swap-leak report.",
		struct gen_vm_test_params, vt_options, gen_vm_test_defaults, gen_vm_test, NULL);
