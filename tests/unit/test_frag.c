/*
 * test_frag.c - maps stay at their minimum, measured from outside.
 *
 * src/sim/frag.c computes the fewest entries an address space needs (its
 * maximal runs of alike pages) by its own rule, and keeps the shadow of a
 * map that clips and never merges.  The cases here:
 *
 *   - the rule for alike pages, on hand-made entries;
 *   - the clip-only shadow, operation by operation, and that it always
 *     refines the real map (same pages, a superset of its boundaries, the
 *     same inheritance), which is what makes its count exact;
 *   - every operation that changes a map (mmap, munmap, mprotect, each
 *     madvise advice, fork's child, exec) splitting a map and a later one
 *     making it whole, with entries == minimum after every step, private
 *     anonymous memory shared copy-on-write after fork included;
 *   - the same after every operation of 80 random traces (half of them
 *     with files, so private and shared file mappings) and of the
 *     fragmentation workload, for every live process;
 *   - that frag_measure tells an excess from sharing apart from a bug,
 *     on a map clipped behind the merge code's back;
 *   - a process with one million entries: built, used, forked, checked,
 *     with the time each step takes printed (no timing is asserted).
 */
#include <time.h>

#include "model/frag.h"
#include "gen/gen.h"
#include "gen/gen_fragmentation.h"
#include "sim_helpers.h"
#include "vm/amap.h"
#include "vm/map.h"
#include "vm/vm_asan.h"

#define B 0x100000000000ull /* base of every test mapping */
#define PG 4096ull

static struct sim sim;
static bool booted;

/*
 * sim_shutdown unmaps the RAM without unpoisoning it, so under
 * AddressSanitizer the next mapping at that address (the next machine's
 * RAM) inherits the poison of the frames that were free.  Until
 * sim_shutdown unpoisons before it unmaps, do it here.
 */
static void shutdown(void)
{
	uint8_t *ram = sim.ram;
	uint64_t bytes = sim.ram_bytes;

	sim_shutdown(&sim);
	VM_UNPOISON(ram, bytes);
	booted = false;
}

static void boot(uint64_t ram)
{
	static FILE *devnull;

	if (booted)
		shutdown();
	h_boot(&sim, ram);
	booted = true;
	/* The random traces' `vmdump` and `stat` lines are not the point. */
	if (devnull == NULL)
		devnull = fopen("/dev/null", "w");
	if (devnull != NULL)
		sim.report = devnull;
}

static struct trace_op parse(const char *line)
{
	struct trace_op op;
	char err[256];

	if (trace_parse_line(line, strlen(line), 1, false, &op, err, sizeof err) != 1) {
		fprintf(stderr, "bad test line \"%s\": %s\n", line, err);
		exit(2);
	}
	return op;
}

/* ------------------------------------------------------------------ */
/* The rule                                                             */

static struct vm_map_info info(uint64_t first, uint64_t last, vm_prot_t prot, bool shared,
			       bool dontfork, const void *object, uint64_t offset)
{
	return (struct vm_map_info){.start = B + first * PG, .end = B + last * PG, .prot = prot,
				    .shared = shared, .dontfork = dontfork,
				    .object = object, .offset = offset};
}

static uint64_t runs_of(const struct vm_map_info *v, size_t n)
{
	struct frag_runs r = {0};

	for (size_t i = 0; i < n; i++)
		frag_runs_feed(&r, &v[i]);
	return r.runs;
}

TEST(rule_for_alike_pages)
{
	static const int obj1, obj2;
	const vm_prot_t rw = VM_PROT_READ | VM_PROT_WRITE;
	/* Private anonymous: offsets mean nothing, amaps are not compared. */
	struct vm_map_info priv[] = {info(0, 2, rw, false, false, NULL, 0),
				     info(2, 3, rw, false, false, NULL, 77),
				     info(3, 5, rw, false, false, NULL, 3)};
	struct vm_map_info prot[] = {info(0, 2, rw, false, false, NULL, 0),
				     info(2, 3, VM_PROT_READ, false, false, NULL, 2)};
	struct vm_map_info hole[] = {info(0, 2, rw, false, false, NULL, 0),
				     info(3, 4, rw, false, false, NULL, 3)};
	struct vm_map_info dontfork[] = {info(0, 2, rw, false, false, NULL, 0),
					 info(2, 4, rw, false, true, NULL, 2)};
	struct vm_map_info same_obj[] = {info(0, 2, rw, true, false, &obj1, 5),
					 info(2, 4, rw, true, false, &obj1, 7)};
	struct vm_map_info gap_off[] = {info(0, 2, rw, true, false, &obj1, 5),
					info(2, 4, rw, true, false, &obj1, 8)};
	struct vm_map_info two_obj[] = {info(0, 2, rw, true, false, &obj1, 0),
					info(2, 4, rw, true, false, &obj2, 2)};
	struct vm_map_info sharing[] = {info(0, 2, rw, false, false, NULL, 0),
					info(2, 4, rw, true, false, &obj1, 2)};

	CHECK_EQ(runs_of(priv, 3), 1);
	CHECK_EQ(runs_of(prot, 2), 2);
	CHECK_EQ(runs_of(hole, 2), 2);
	CHECK_EQ(runs_of(dontfork, 2), 2);
	CHECK_EQ(runs_of(same_obj, 2), 1);
	CHECK_EQ(runs_of(gap_off, 2), 2);
	CHECK_EQ(runs_of(two_obj, 2), 2);
	CHECK_EQ(runs_of(sharing, 2), 2);
	CHECK_EQ(runs_of(priv, 0), 0);
	CHECK(frag_pages_alike(&priv[0], &priv[1]));
	CHECK(!frag_pages_alike(&priv[1], &priv[0]));
}

/* ------------------------------------------------------------------ */
/* The clip-only shadow by itself                                       */

static uint64_t clip_after(struct frag_clip *c, const char *line)
{
	struct trace_op op = parse(line);

	frag_clip_apply(c, &op);
	return frag_clip_count(c, op.pid != 0 ? op.pid : 1);
}

TEST(clip_shadow_rules)
{
	struct frag_clip *c = frag_clip_create();

	CHECK_EQ(clip_after(c, "1 spawn"), 0);
	CHECK_EQ(clip_after(c, "1 mmap 0x100000000000 0x10000 rw- private anon"), 1);
	/* A clip-only map clips at both edges and never merges back. */
	CHECK_EQ(clip_after(c, "1 mprotect 0x100000004000 0x2000 r--"), 3);
	CHECK_EQ(clip_after(c, "1 mprotect 0x100000004000 0x2000 rw-"), 3);
	/* ... even when the protection does not change (NetBSD clips first). */
	CHECK_EQ(clip_after(c, "1 mprotect 0x100000001000 0x1000 rw-"), 5);
	/* Hints change no attribute: no clip. */
	CHECK_EQ(clip_after(c, "1 madvise 0x100000008000 0x1000 dontneed"), 5);
	CHECK_EQ(clip_after(c, "1 madvise 0x100000008000 0x1000 willneed"), 5);
	CHECK_EQ(clip_after(c, "1 madvise 0x100000008000 0x1000 pageout"), 5);
	CHECK_EQ(clip_after(c, "1 msync 0x100000008000 0x1000"), 5);
	CHECK_EQ(clip_after(c, "1 madvise 0x100000008000 0x1000 dontfork"), 7);
	/* Failures change nothing: a hole, an unaligned address, user space's end. */
	CHECK_EQ(clip_after(c, "1 mprotect 0x100000000000 0x20000 r--"), 7);
	CHECK_EQ(clip_after(c, "1 mprotect 0x10000000a001 0x1000 r--"), 7);
	CHECK_EQ(clip_after(c, "1 mprotect 0x10000000a000 0 r--"), 7);
	CHECK_EQ(clip_after(c, "1 mmap 0x7ffffffff000 0x2000 rw- private anon"), 7);
	CHECK_EQ(clip_after(c, "1 munmap 0x7ffffffff000 0x2000"), 7);
	/* munmap cuts at 3 and 7 and removes what lies between:
	 * [0,1) [1,2) [2,3) [7,8) [8,9) [9,16) */
	CHECK_EQ(clip_after(c, "1 munmap 0x100000003000 0x4000"), 6);
	/* mmap over pieces and the hole: [0,1) [1,2) [2,10) [10,16) */
	CHECK_EQ(clip_after(c, "1 mmap 0x100000002000 0x8000 rw- private anon"), 4);
	/* fork copies all but dontfork pieces; exec empties; exit forgets */
	CHECK_EQ(clip_after(c, "1 madvise 0x100000000000 0x1000 dontfork"), 4);
	CHECK_EQ(clip_after(c, "1 fork 2"), 4);
	CHECK_EQ(frag_clip_count(c, 2), 3);
	CHECK_EQ(clip_after(c, "2 exec"), 0);
	CHECK(frag_clip_has(c, 2));
	CHECK_EQ(clip_after(c, "2 exit"), 0);
	CHECK(!frag_clip_has(c, 2));
	/* File mappings: only of files that exist, within 2^63 bytes. */
	CHECK_EQ(clip_after(c, "1 mmap 0x100000020000 0x2000 r-- private file f 0"), 4);
	CHECK_EQ(clip_after(c, "file f 8192 1"), 4);
	CHECK_EQ(clip_after(c, "1 mmap 0x100000020000 0x2000 r-- private file f 0x800"), 4);
	CHECK_EQ(clip_after(c, "1 mmap 0x100000020000 0x2000 r-- private file f 0x7ffffffffffff000"), 4);
	CHECK_EQ(clip_after(c, "1 mmap 0x100000020000 0x2000 r-- shared file f 0x1000"), 5);
	frag_clip_forget(c, 1);
	CHECK(!frag_clip_has(c, 1));
	frag_clip_destroy(c);
}

/* ------------------------------------------------------------------ */
/* Running traces with the measurements after every operation            */

struct watch {
	struct frag_clip *clip;
	struct trace_pids *pids;
	uint64_t ops, proc_checks, failures;
	uint64_t max_entries, max_clip;
	uint64_t private_file_entries; /* seen after some operation: coverage */
	const char *name;
};

static void watch_init(struct watch *w, const char *name)
{
	*w = (struct watch){.clip = frag_clip_create(), .pids = trace_pids_create(), .name = name};
}

static void watch_free(struct watch *w)
{
	frag_clip_destroy(w->clip);
	trace_pids_destroy(w->pids);
}

static uint64_t count_private_file(const struct vm_map *map)
{
	struct vm_map_info info;
	vaddr_t cursor = 0;
	uint64_t n = 0;

	while (vm_map_iterate(map, &cursor, &info))
		n += info.object != NULL && !info.shared;
	return n;
}

/* Every live process: at its minimum, nothing excused, shadow exact. */
static void watch_check(struct watch *w, const struct trace_op *op)
{
	struct sim_proc **procs;
	size_t n = sim_procs_sorted(&sim, &procs);
	char why[256];

	for (size_t i = 0; i < n; i++) {
		struct frag_counts fc;
		uint64_t clip = frag_clip_count(w->clip, procs[i]->pid);

		frag_measure(procs[i]->map, &fc);
		w->proc_checks++;
		w->private_file_entries += count_private_file(procs[i]->map);
		w->max_entries = fc.entries > w->max_entries ? fc.entries : w->max_entries;
		w->max_clip = clip > w->max_clip ? clip : w->max_clip;
		if (fc.entries == frag_min_runs(procs[i]->map) && fc.entries == fc.min_runs &&
		    fc.excess_shared == 0 && fc.excess_other == 0 && clip >= fc.min_runs &&
		    frag_clip_refines(w->clip, procs[i]->pid, procs[i]->map, why, sizeof why))
			continue;
		if (w->failures++ < 5) {
			fprintf(stderr, "%s: line %llu (", w->name, (unsigned long long)op->line);
			trace_format_op(op, stderr);
			fprintf(stderr, "): process %llu: %llu entries, minimum %llu (excess shared "
				"%llu, other %llu), clip-only %llu; %s\n",
				(unsigned long long)procs[i]->pid, (unsigned long long)fc.entries,
				(unsigned long long)fc.min_runs, (unsigned long long)fc.excess_shared,
				(unsigned long long)fc.excess_other, (unsigned long long)clip,
				frag_clip_refines(w->clip, procs[i]->pid, procs[i]->map, why,
						  sizeof why) ? "shadow exact" : why);
		}
	}
	free(procs);
}

/* One admitted operation on the machine and the shadow, then the checks. */
static void watch_op(struct watch *w, const struct trace_op *op)
{
	static struct trace_events out;
	struct sim_result res;

	trace_events_clear(&out);
	sim_exec(&sim, op, &out, &res);
	for (size_t i = 0; i < out.n; i++) {
		if (out.ev[i].kind != TEV_KILLED)
			continue;
		trace_pids_killed(w->pids, out.ev[i].pid);
		frag_clip_forget(w->clip, out.ev[i].pid);
	}
	if (!res.killed_self)
		frag_clip_apply(w->clip, op);
	else if (op->kind == TRACE_FORK)
		trace_pids_killed(w->pids, op->child);
	w->ops++;
	watch_check(w, op);
}

/* Runs TEXT operation by operation; false on bad input. */
static bool watch_trace(struct watch *w, const char *text, size_t len)
{
	struct trace_reader *r = trace_reader_from_buffer(w->name, text, len);
	struct trace_op op;
	char err[256];
	int got;

	while ((got = trace_next(r, &op)) > 0) {
		enum trace_admit a = trace_pids_admit(w->pids, &op, err, sizeof err);

		if (a == TRACE_BAD) {
			fprintf(stderr, "%s: line %llu: %s\n", w->name, (unsigned long long)op.line, err);
			got = -1;
			break;
		}
		if (a == TRACE_RUN)
			watch_op(w, &op);
	}
	if (got < 0 && trace_reader_error(r) != NULL && *trace_reader_error(r) != '\0')
		fprintf(stderr, "%s\n", trace_reader_error(r));
	trace_reader_close(r);
	return got == 0;
}

/* Runs trace TEXT (lines without the header) and checks after each step. */
static void watch_text(const char *name, const char *text)
{
	struct watch w;

	boot(16u << 20);
	watch_init(&w, name);
	CHECK(watch_trace(&w, text, strlen(text)));
	CHECK_EQ(w.failures, 0);
	CHECK(h_check(&sim));
	watch_free(&w);
}

static uint64_t entries(uint64_t pid)
{
	return vm_map_entry_count(h_map(&sim, pid));
}

/* ------------------------------------------------------------------ */
/* Split, then whole again, for every operation                         */

TEST(every_operation_splits_and_rejoins)
{
	/* mmap */
	watch_text("mmap", "1 spawn\n"
			   "1 mmap 0x100000000000 0x10000 rw- private anon\n"
			   "1 write 0x100000000000 0x10000 1\n"
			   "1 mmap 0x100000004000 0x2000 r-- private anon\n"
			   "1 mmap 0x100000004000 0x2000 rw- private anon\n"
			   "1 mmap 0x100000008000 0x1000 rw- shared anon\n"
			   "1 mmap 0x100000008000 0x1000 rw- private anon\n"
			   "1 mmap 0x100000014000 0x4000 rw- private anon\n"
			   "1 mmap 0x100000010000 0x4000 rw- private anon\n");
	CHECK_EQ(entries(1), 1);
	/* munmap */
	watch_text("munmap", "1 spawn\n"
			     "1 mmap 0x100000000000 0x10000 rw- private anon\n"
			     "1 write 0x100000000000 0x10000 1\n"
			     "1 munmap 0x100000006000 0x2000\n"
			     "1 mmap 0x100000006000 0x2000 rw- private anon\n");
	CHECK_EQ(entries(1), 1);
	/* mprotect: a reservation grown a piece at a time, pieces and back */
	watch_text("mprotect", "1 spawn\n"
			       "1 mmap 0x100000000000 0x100000 --- private anon\n"
			       "1 mprotect 0x100000000000 0x1000 rw-\n"
			       "1 write 0x100000000000 0x1000 1\n"
			       "1 mprotect 0x100000001000 0x3000 rw-\n"
			       "1 mprotect 0x100000002000 0x1000 r--\n"
			       "1 mprotect 0x100000002000 0x1000 rw-\n"
			       "1 mprotect 0x100000000000 0x100000 rw-\n");
	CHECK_EQ(entries(1), 1);
	/* every madvise advice */
	watch_text("madvise", "1 spawn\n"
			      "1 mmap 0x100000000000 0x8000 rw- private anon\n"
			      "1 write 0x100000000000 0x8000 2\n"
			      "1 madvise 0x100000002000 0x2000 dontneed\n"
			      "1 madvise 0x100000002000 0x2000 willneed\n"
			      "1 madvise 0x100000002000 0x2000 pageout\n"
			      "1 madvise 0x100000002000 0x2000 dontfork\n"
			      "1 madvise 0x100000002000 0x2000 dofork\n"
			      "1 mmap 0x100000010000 0x4000 rw- shared anon\n"
			      "1 madvise 0x100000011000 0x1000 dontfork\n"
			      "1 madvise 0x100000010000 0x4000 dofork\n");
	CHECK_EQ(entries(1), 2);
	/* fork: the child's map, and private memory shared copy-on-write */
	watch_text("fork", "1 spawn\n"
			   "1 mmap 0x100000000000 0x10000 rw- private anon\n"
			   "1 write 0x100000000000 0x10000 3\n"
			   "1 mprotect 0x100000004000 0x4000 r--\n"
			   "1 fork 2\n"
			   "2 mprotect 0x100000004000 0x4000 rw-\n"
			   "2 write 0x100000001000 0x10 7\n"
			   "2 munmap 0x100000006000 0x2000\n"
			   "2 mmap 0x100000006000 0x2000 rw- private anon\n"
			   "1 mprotect 0x100000004000 0x4000 rw-\n"
			   "1 madvise 0x100000004000 0x4000 dontfork\n"
			   "1 fork 3\n"
			   "3 mmap 0x100000004000 0x4000 rw- private anon\n");
	CHECK_EQ(entries(2), 1);
	CHECK_EQ(entries(3), 1);
	CHECK_EQ(entries(1), 3);
	/* exec */
	watch_text("exec", "1 spawn\n"
			   "1 mmap 0x100000000000 0x4000 rw- private anon\n"
			   "1 mprotect 0x100000001000 0x1000 r--\n"
			   "1 exec\n"
			   "1 mmap 0x100000002000 0x2000 rw- private anon\n"
			   "1 mmap 0x100000000000 0x2000 rw- private anon\n");
	CHECK_EQ(entries(1), 1);
}

/*
 * The private anonymous case after fork, looked at under the interface:
 * the two entries being joined hold amaps that share nodes with the
 * child's, and still become one; after the child exits, too.
 */
TEST(private_anon_joins_while_shared_and_after)
{
	struct vm_map_entry *e;
	struct vm_anon *an;
	bool shared = false;

	boot(16u << 20);
	h_run(&sim, "1 spawn\n"
		    "1 mmap 0x100000000000 0x10000 rw- private anon\n"
		    "1 write 0x100000000000 0x10000 3\n"
		    "1 mprotect 0x100000004000 0x1000 r--\n"
		    "1 fork 2\n");
	CHECK_EQ(entries(1), 3);
	e = vm_map_first(h_map(&sim, 1));
	CHECK(e != NULL && e->amap.root != NULL && e->amap.root->ref > 1);
	h_run(&sim, "1 mprotect 0x100000004000 0x1000 rw-\n");
	CHECK_EQ(entries(1), 1);
	CHECK_EQ(frag_min_runs(h_map(&sim, 1)), 1);
	/* Joined while the child still shares the pages. */
	an = vm_amap_lookup(&vm_map_first(h_map(&sim, 1))->amap, vm_atop(B), &shared);
	CHECK(an != NULL && (shared || an->ref > 1));
	h_run(&sim, "2 exit\n"
		    "1 mprotect 0x100000008000 0x1000 ---\n");
	CHECK_EQ(entries(1), 3);
	h_run(&sim, "1 mprotect 0x100000008000 0x1000 rw-\n");
	CHECK_EQ(entries(1), 1);
	CHECK(h_check(&sim));
}

/* ------------------------------------------------------------------ */
/* Random traces and the fragmentation workload                         */

/* A random trace, with file operations or without; SPAN pages of address
 * window (0: the default), small spans making neighbours of most mappings. */
static char *generated_random(uint64_t seed, uint64_t span, bool files, size_t *len)
{
	struct gen_random_params p;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	gen_random_defaults(&p);
	p.seed = seed;
	if (span != 0)
		p.span_pages = span;
	p.files = files;
	p.checks = false;
	if (f == NULL || gen_random(f, &p) != 0)
		exit(2);
	fclose(f);
	return text;
}

TEST(random_traces_stay_minimal)
{
	uint64_t ops = 0, checks = 0, failures = 0, file_entries = 0;

	for (uint64_t seed = 1; seed <= 80; seed++) {
		struct watch w;
		size_t len;
		char *text = generated_random(seed, seed > 40 ? 48 : 0, seed % 40 > 20, &len), name[32];

		snprintf(name, sizeof name, "random seed %llu", (unsigned long long)seed);
		boot(64u << 20);
		watch_init(&w, name);
		CHECK(watch_trace(&w, text, len));
		ops += w.ops;
		checks += w.proc_checks;
		failures += w.failures;
		file_entries += w.private_file_entries;
		watch_free(&w);
		free(text);
	}
	CHECK_EQ(failures, 0);
	CHECK(ops > 10000);
	CHECK(file_entries > 0); /* private file mappings (object and amap) were there */
	printf("random traces: %llu operations, %llu maps measured after them, all minimal\n",
	       (unsigned long long)ops, (unsigned long long)checks);
}

static char *generated_frag(uint64_t rounds, size_t *len)
{
	struct gen_frag_params p;
	char *text = NULL;
	FILE *f = open_memstream(&text, len);

	gen_frag_defaults(&p);
	p.rounds = rounds;
	if (f == NULL || gen_fragmentation(f, &p) != 0)
		exit(2);
	fclose(f);
	return text;
}

TEST(fragmentation_workload_stays_minimal)
{
	struct watch w;
	size_t len;
	char *text = generated_frag(2000, &len);

	boot(64u << 20);
	watch_init(&w, "fragmentation");
	CHECK(watch_trace(&w, text, len));
	CHECK_EQ(w.failures, 0);
	/* The workload does fragment a map that never merges. */
	CHECK(w.max_clip > 4 * w.max_entries);
	CHECK(frag_clip_count(w.clip, 1) > 3 * entries(1));
	CHECK(h_check(&sim));
	printf("fragmentation: %llu operations; largest map %llu entries, largest clip-only %llu\n",
	       (unsigned long long)w.ops, (unsigned long long)w.max_entries,
	       (unsigned long long)w.max_clip);
	watch_free(&w);
	free(text);
}

/* A follower sampled every 37 operations ends where one stepped every
 * operation does. */
struct follow_case {
	struct frag_follow *f;
	bool lost;
};

static void follow_sample(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct follow_case *fc = arg;

	(void)at_end;
	if (!frag_follow_to(fc->f, s, ops))
		fc->lost = true;
}

static uint64_t follow_count(const char *text, size_t len, uint64_t every)
{
	struct follow_case fc = {.f = frag_follow_create(text, len)};
	struct replay_opts o;
	char *out;
	uint64_t n;

	replay_opts_defaults(&o);
	o.sample = follow_sample;
	o.sample_arg = &fc;
	o.sample_every = every;
	CHECK_EQ(h_replay(text, &o, &out), 0);
	free(out);
	CHECK(!fc.lost);
	n = frag_clip_count(frag_follow_clip(fc.f), 1);
	frag_follow_destroy(fc.f);
	return n;
}

TEST(follower_matches_stepwise_shadow)
{
	struct watch w;
	size_t len;
	char *text = generated_frag(800, &len);
	uint64_t step, every1, every37;

	if (booted)
		shutdown();
	every1 = follow_count(text, len, 1);
	every37 = follow_count(text, len, 37);
	boot(64u << 20);
	watch_init(&w, "follow");
	CHECK(watch_trace(&w, text, len));
	step = frag_clip_count(w.clip, 1);
	watch_free(&w);
	CHECK_EQ(every1, step);
	CHECK_EQ(every37, step);
	CHECK(step > 0);
	free(text);
}

/* ------------------------------------------------------------------ */
/* frag_measure's diagnosis                                             */

/* Clips E at ADDR the way an operation would, but merges nothing after. */
static void clip_behind_back(struct vm_map *map, vaddr_t addr)
{
	struct vm_map_entry *e = vm_map_lookup(map, addr);

	CHECK_EQ(vm_kmem_reserve(&vm_map_entry_cache, 1), VM_OK);
	CHECK_EQ(vm_kmem_reserve(&vm_amap_node_cache, AMAP_SPLIT_MAX_NODES), VM_OK);
	vm_map_clip_start(map, e, addr);
	vm_kmem_unreserve_all(&vm_map_entry_cache);
	vm_kmem_unreserve_all(&vm_amap_node_cache);
}

static void merge_back(struct vm_map *map)
{
	CHECK_EQ(vm_kmem_reserve(&vm_amap_node_cache, 4 * AMAP_JOIN_MAX_NODES), VM_OK);
	vm_map_merge_range(map, 0, VM_USER_MAX);
	vm_kmem_unreserve_all(&vm_amap_node_cache);
}

TEST(measure_tells_sharing_from_bugs)
{
	struct frag_counts fc;

	boot(16u << 20);
	h_run(&sim, "1 spawn\n"
		    "1 mmap 0x100000000000 0x8000 rw- private anon\n"
		    "1 write 0x100000000000 0x8000 1\n");
	clip_behind_back(h_map(&sim, 1), B + 3 * PG);
	frag_measure(h_map(&sim, 1), &fc);
	CHECK_EQ(fc.entries, 2);
	CHECK_EQ(fc.min_runs, 1);
	CHECK_EQ(fc.excess_other, 1);
	CHECK_EQ(fc.excess_shared, 0);
	CHECK(h_check_fails_with(&sim, "could be one"));
	merge_back(h_map(&sim, 1));
	CHECK_EQ(entries(1), 1);
	/* Now with the pages shared copy-on-write with a child. */
	h_run(&sim, "1 fork 2\n");
	clip_behind_back(h_map(&sim, 1), B + 5 * PG);
	frag_measure(h_map(&sim, 1), &fc);
	CHECK_EQ(fc.excess_shared, 1);
	CHECK_EQ(fc.excess_other, 0);
	merge_back(h_map(&sim, 1));
	frag_measure(h_map(&sim, 1), &fc);
	CHECK_EQ(fc.entries, 1);
	CHECK_EQ(fc.excess_shared + fc.excess_other, 0);
	CHECK(h_check(&sim));
}

/* ------------------------------------------------------------------ */
/* One million entries                                                  */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs LINE, which must print nothing, N times with the page index I
 * substituted by FN; returns seconds. */
static double run_ops(uint64_t n, void (*fn)(uint64_t i, char *line, size_t len))
{
	static struct trace_events out;
	struct sim_result res;
	char line[128];
	double t0 = now_s();
	uint64_t bad = 0;

	for (uint64_t i = 0; i < n; i++) {
		struct trace_op op;

		fn(i, line, sizeof line);
		op = parse(line);
		trace_events_clear(&out);
		sim_exec(&sim, &op, &out, &res);
		bad += out.n != 0 || res.killed_self;
	}
	CHECK_EQ(bad, 0);
	return now_s() - t0;
}

#define MILLION 1000000ull

/* Odd pages of a MILLION-page region made read-only: one entry a page. */
static void line_split(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 mprotect %#llx 0x1000 r--", (unsigned long long)(B + (2 * i + 1) * PG));
}

/* Pages spread over the region (a stride prime to the layout). */
static uint64_t spread(uint64_t i)
{
	return (i * 7919 + 13) % MILLION;
}

static void line_touch(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 touch %#llx 1 r", (unsigned long long)(B + spread(i) * PG));
}

static void line_write(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 write %#llx 8 %llu", (unsigned long long)(B + (spread(i) & ~1ull) * PG),
		 (unsigned long long)i);
}

/* An odd page made rw- joins its two neighbours (3 entries become 1) ... */
static void line_merge(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 mprotect %#llx 0x1000 rw-",
		 (unsigned long long)(B + (spread(i) | 1) * PG));
}

/* ... and r-- again splits them (1 becomes 3). */
static void line_clip(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 mprotect %#llx 0x1000 r--",
		 (unsigned long long)(B + (spread(i) | 1) * PG));
}

static void line_unmap(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 munmap %#llx 0x1000", (unsigned long long)(B + (spread(i) | 1) * PG));
}

/* A new page in a hole, between two others it cannot join. */
static void line_insert(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 mmap %#llx 0x1000 r-x private anon",
		 (unsigned long long)(B + (spread(i) | 1) * PG));
}

static void line_restore(uint64_t i, char *line, size_t len)
{
	snprintf(line, len, "1 mmap %#llx 0x1000 r-- private anon",
		 (unsigned long long)(B + (spread(i) | 1) * PG));
}

static void say_rate(const char *what, uint64_t n, double s)
{
	printf("  %-44s %8llu ops %8.3f s %8.0f ns/op\n", what, (unsigned long long)n, s,
	       s * 1e9 / (double)n);
}

TEST(one_million_entries)
{
	const uint64_t n = 10000;
	struct vm_map *map;
	double t;
	char line[128];

	boot(1ull << 30);
	h_run(&sim, "1 spawn\n");
	snprintf(line, sizeof line, "1 mmap %#llx %#llx rw- private anon", (unsigned long long)B,
		 (unsigned long long)(MILLION * PG));
	h_run(&sim, line);
	printf("one million entries (RAM 1 GiB):\n");
	t = run_ops(MILLION / 2, line_split);
	map = h_map(&sim, 1);
	CHECK_EQ(vm_map_entry_count(map), MILLION);
	say_rate("build: mprotect every other page", MILLION / 2, t);
	printf("  entries %llu, tree depth %u, %zu bytes an entry, slab %llu bytes\n",
	       (unsigned long long)vm_map_entry_count(map), map_tree_depth(&map->tree),
	       sizeof(struct vm_map_entry),
	       (unsigned long long)vm_kmem_cache_bytes(&vm_map_entry_cache));
	say_rate("write 8 bytes (fault: lookup, amap, pmap)", n, run_ops(n, line_write));
	say_rate("touch r (TLB miss or fault, lookup)", n, run_ops(n, line_touch));
	say_rate("mprotect rw- joining 3 entries", n, run_ops(n, line_merge));
	CHECK_EQ(vm_map_entry_count(map), MILLION - 2 * n);
	say_rate("mprotect r-- splitting 1 entry in 3", n, run_ops(n, line_clip));
	CHECK_EQ(vm_map_entry_count(map), MILLION);
	say_rate("munmap one page", n, run_ops(n, line_unmap));
	say_rate("mmap a page between two others", n, run_ops(n, line_insert));
	CHECK_EQ(vm_map_entry_count(map), MILLION);
	run_ops(n, line_restore);
	t = now_s();
	CHECK_EQ(frag_min_runs(map), MILLION);
	say_rate("frag_min_runs over the map", 1, now_s() - t);
	t = now_s();
	h_run(&sim, "1 fork 2\n");
	CHECK_EQ(entries(2), MILLION);
	say_rate("fork (copies every entry)", 1, now_s() - t);
	t = now_s();
	h_run(&sim, "2 mprotect 0x100000001000 0x1000 rw-\n"
		    "2 write 0x100000002000 8 5\n");
	CHECK_EQ(entries(2), MILLION - 2);
	h_run(&sim, "2 exit\n");
	say_rate("child: join, write, exit", 1, now_s() - t);
	t = now_s();
	CHECK(h_check(&sim));
	say_rate("consistency check of everything", 1, now_s() - t);
	/* The whole region made alike again collapses to one entry. */
	snprintf(line, sizeof line, "1 mprotect %#llx %#llx rw-", (unsigned long long)B,
		 (unsigned long long)(MILLION * PG));
	t = now_s();
	h_run(&sim, line);
	CHECK_EQ(entries(1), 1);
	say_rate("one mprotect joining a million entries", 1, now_s() - t);
	t = now_s();
	h_run(&sim, "1 exit\n");
	say_rate("exit", 1, now_s() - t);
	CHECK(h_check(&sim));
}

int main(void)
{
	RUN(rule_for_alike_pages);
	RUN(clip_shadow_rules);
	RUN(every_operation_splits_and_rejoins);
	RUN(private_anon_joins_while_shared_and_after);
	RUN(random_traces_stay_minimal);
	RUN(fragmentation_workload_stays_minimal);
	RUN(follower_matches_stepwise_shadow);
	RUN(measure_tells_sharing_from_bugs);
	RUN(one_million_entries);
	if (booted)
		shutdown();
	return check_done();
}
