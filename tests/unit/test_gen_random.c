/*
 * test_gen_random.c - the random trace generator.
 *
 * For seeds 1..200 the trace must parse, every line must be admitted
 * (never bad input, and nothing skipped since nothing is killed), it must
 * run through the reference model without touching unspecified
 * behaviour, keep its addresses in the native window, and end with no
 * process alive.  Across the seeds every operation, every advice, every
 * errno, segv and sigbus must show up, and so must the successful edges
 * of the amended rules (empty mprotect/madvise/msync, file mappings just
 * below 2^63, pwrites ending at 2^40), fork trees must reach max_depth
 * and pids must be reused; most reads must print a hash rather than a
 * segv.  The same seed must give the same bytes.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "gen/gen.h"
#include "model/model.h"
#include "trace/trace.h"

#define SEEDS 200
#define MAX_PIDS 64

static char *generate(const struct gen_random_params *p, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	CHECK(f != NULL);
	if (!f)
		exit(1);
	CHECK_EQ(gen_random(f, p), 0);
	fclose(f);
	return buf;
}

/* What the seeds showed, summed. */
struct tally {
	uint64_t kinds[TRACE_KIND_COUNT];
	uint64_t advice[5];
	uint64_t reads, read_hashes, preads, segv, sigbus, maps_lines, unspecified;
	uint64_t einval, enoent, eoverflow, enomem, efbig;
	uint64_t file_mmaps, shared_file_mmaps, suffixed_lens;
	/* The edges of the amendments of 2026-12-04 that succeed. */
	uint64_t empty_range_ops, file_mmaps_near_2_63, pwrites_near_2_40;
	unsigned max_depth;
	uint64_t pid_reuses;
	uint64_t lines;
};

static bool in_window(uint64_t a)
{
	return a >= GEN_WINDOW_BASE && a - GEN_WINDOW_BASE < GEN_WINDOW_SIZE;
}

static bool is_address_op(enum trace_kind k)
{
	return k == TRACE_MMAP || k == TRACE_MUNMAP || k == TRACE_MPROTECT ||
	       k == TRACE_MADVISE || k == TRACE_MSYNC || k == TRACE_READ || k == TRACE_WRITE ||
	       k == TRACE_TOUCH;
}

static bool is_data_op(enum trace_kind k)
{
	return k == TRACE_READ || k == TRACE_WRITE || k == TRACE_TOUCH;
}

static void count_event(struct tally *t, const struct trace_event *ev)
{
	t->unspecified += ev->hash_unspecified;
	switch (ev->kind) {
	case TEV_READ:
		t->read_hashes++;
		break;
	case TEV_PREAD:
		t->preads++;
		break;
	case TEV_SEGV:
		t->segv++;
		break;
	case TEV_SIGBUS:
		t->sigbus++;
		break;
	case TEV_MAP:
		t->maps_lines++;
		CHECK(in_window(ev->addr) && ev->end - GEN_WINDOW_BASE <= GEN_WINDOW_SIZE);
		break;
	case TEV_ERROR:
		t->einval += strcmp(ev->word, "EINVAL") == 0;
		t->enoent += strcmp(ev->word, "ENOENT") == 0;
		t->eoverflow += strcmp(ev->word, "EOVERFLOW") == 0;
		t->enomem += strcmp(ev->word, "ENOMEM") == 0;
		t->efbig += strcmp(ev->word, "EFBIG") == 0;
		break;
	default:
		CHECK(!"unexpected event kind");
		break;
	}
}

/* Fork depth and pid reuse, tracked by the test itself. */
struct pid_track {
	uint64_t pid[MAX_PIDS];
	unsigned depth[MAX_PIDS];
	bool live[MAX_PIDS], seen[MAX_PIDS];
	size_t n;
};

static size_t track_slot(struct pid_track *pt, uint64_t pid)
{
	for (size_t i = 0; i < pt->n; i++)
		if (pt->pid[i] == pid)
			return i;
	CHECK(pt->n < MAX_PIDS);
	pt->pid[pt->n] = pid;
	return pt->n++;
}

static void track_op(struct tally *t, struct pid_track *pt, const struct trace_op *op)
{
	if (op->kind == TRACE_SPAWN || op->kind == TRACE_FORK) {
		size_t c = track_slot(pt, op->kind == TRACE_FORK ? op->child : op->pid);
		unsigned d = 0;
		if (op->kind == TRACE_FORK)
			d = pt->depth[track_slot(pt, op->pid)] + 1;
		t->pid_reuses += pt->seen[c];
		pt->seen[c] = pt->live[c] = true;
		pt->depth[c] = d;
		if (d > t->max_depth)
			t->max_depth = d;
	} else if (op->kind == TRACE_EXIT) {
		pt->live[track_slot(pt, op->pid)] = false;
	}
}

/* Lines on the successful side of the amended rules: an empty range for
 * mprotect/madvise/msync at an aligned ADDR, a file mapping ending one to
 * three pages short of 2^63, a pwrite ending at or one byte below 2^40. */
static void count_amended_edges(struct tally *t, const struct trace_op *op)
{
	const uint64_t end63 = (uint64_t)1 << 63, end40 = (uint64_t)1 << 40;
	uint64_t lenr = (op->len + 4095) & ~(uint64_t)4095;

	if ((op->kind == TRACE_MPROTECT || op->kind == TRACE_MADVISE ||
	     op->kind == TRACE_MSYNC) && op->len == 0 && op->addr % 4096 == 0)
		t->empty_range_ops++;
	if (op->kind == TRACE_MMAP && op->file && op->off < end63 && lenr < end63 - op->off &&
	    end63 - op->off - lenr <= 3 * 4096)
		t->file_mmaps_near_2_63++;
	if (op->kind == TRACE_PWRITE && op->off + op->len <= end40 &&
	    op->off + op->len >= end40 - 1)
		t->pwrites_near_2_40++;
}

/* Runs one generated trace through parser, admission and model. */
static void run_trace(const char *text, size_t len, const struct gen_random_params *p,
		      struct tally *t)
{
	struct trace_reader *r = trace_reader_from_buffer("gen", text, len);
	struct trace_pids *pids = trace_pids_create();
	struct model *m = model_create();
	struct trace_events ev = { 0 };
	struct pid_track pt = { 0 };
	struct trace_op op;
	enum trace_kind last = TRACE_KIND_COUNT;
	int rc;
	while ((rc = trace_next(r, &op)) == 1) {
		char err[256];
		enum trace_admit a = trace_pids_admit(pids, &op, err, sizeof err);
		if (a != TRACE_RUN) {
			fprintf(stderr, "seed %llu line %llu: not admitted: %s\n",
				(unsigned long long)p->seed, (unsigned long long)op.line, err);
			CHECK(a == TRACE_RUN);
			continue;
		}
		t->lines++;
		t->kinds[op.kind]++;
		if (op.kind == TRACE_MADVISE)
			t->advice[op.advice]++;
		if (op.kind == TRACE_READ)
			t->reads++;
		if (op.kind == TRACE_MMAP && op.file) {
			t->file_mmaps++;
			t->shared_file_mmaps += op.shared;
		}
		count_amended_edges(t, &op);
		if (is_address_op(op.kind))
			CHECK(in_window(op.addr));
		if (is_data_op(op.kind))
			CHECK(op.addr + op.len <= GEN_WINDOW_BASE + GEN_WINDOW_SIZE);
		track_op(t, &pt, &op);
		trace_events_clear(&ev);
		model_apply(m, &op, &ev);
		for (size_t i = 0; i < ev.n; i++)
			count_event(t, &ev.ev[i]);
		last = op.kind;
	}
	if (rc < 0)
		fprintf(stderr, "seed %llu: %s\n", (unsigned long long)p->seed,
			trace_reader_error(r));
	CHECK_EQ(rc, 0);
	/* Everyone exited; the last line is the final check. */
	for (size_t i = 0; i < pt.n; i++) {
		CHECK(!trace_pids_live(pids, pt.pid[i]));
		CHECK_EQ(model_min_entries(m, pt.pid[i]), 0);
	}
	if (p->checks)
		CHECK_EQ(last, TRACE_CHECK);
	trace_events_free(&ev);
	model_destroy(m);
	trace_pids_destroy(pids);
	trace_reader_close(r);
}

TEST(seeds_are_admissible_and_cover_everything)
{
	struct tally t = { 0 };
	for (uint64_t seed = 1; seed <= SEEDS; seed++) {
		struct gen_random_params p;
		gen_random_defaults(&p);
		p.seed = seed;
		size_t len;
		char *text = generate(&p, &len);
		CHECK(strncmp(text, "mvm-trace 1\n", 12) == 0);
		if (strstr(text, "M rw-"))
			t.suffixed_lens++;
		run_trace(text, len, &p, &t);
		free(text);
	}
	for (int k = 0; k < TRACE_KIND_COUNT; k++) {
		if (!t.kinds[k])
			fprintf(stderr, "  never generated: %s\n", trace_kind_name((enum trace_kind)k));
		CHECK(t.kinds[k] > 0);
	}
	for (int a = 0; a < 5; a++)
		CHECK(t.advice[a] > 0);
	CHECK(t.einval > 0 && t.enoent > 0 && t.eoverflow > 0 && t.enomem > 0 && t.efbig > 0);
	CHECK(t.empty_range_ops > 0 && t.file_mmaps_near_2_63 > 0 && t.pwrites_near_2_40 > 0);
	CHECK(t.segv > 0 && t.sigbus > 0 && t.maps_lines > 0 && t.preads > 0);
	CHECK(t.file_mmaps > 0 && t.shared_file_mmaps > 0 && t.suffixed_lens > 0);
	CHECK_EQ(t.max_depth, 6);
	CHECK(t.pid_reuses > 0);
	/* Aimed accesses: most reads print a hash. */
	CHECK(t.read_hashes * 100 >= t.reads * 70);
	/* Nothing the spec leaves open. */
	CHECK_EQ(t.unspecified, 0);
	/* Defaults: 400 lines, plus the exits and the last check. */
	CHECK(t.lines >= SEEDS * 400 && t.lines <= SEEDS * 410);
	printf("%d seeds: %llu lines, %llu reads (%llu%% hashed), %llu segv, %llu sigbus, "
	       "errors EINVAL %llu ENOENT %llu EOVERFLOW %llu ENOMEM %llu EFBIG %llu, "
	       "empty range ops %llu, file mmaps near 2^63 %llu, pwrites near 2^40 %llu, "
	       "max depth %u\n",
	       SEEDS, (unsigned long long)t.lines, (unsigned long long)t.reads,
	       (unsigned long long)(t.reads ? t.read_hashes * 100 / t.reads : 0),
	       (unsigned long long)t.segv, (unsigned long long)t.sigbus,
	       (unsigned long long)t.einval, (unsigned long long)t.enoent,
	       (unsigned long long)t.eoverflow, (unsigned long long)t.enomem,
	       (unsigned long long)t.efbig, (unsigned long long)t.empty_range_ops,
	       (unsigned long long)t.file_mmaps_near_2_63, (unsigned long long)t.pwrites_near_2_40,
	       t.max_depth);
}

TEST(no_files_means_no_files)
{
	struct tally t = { 0 };
	for (uint64_t seed = 1; seed <= 50; seed++) {
		struct gen_random_params p;
		gen_random_defaults(&p);
		p.seed = seed;
		p.files = false;
		p.checks = false;
		size_t len;
		char *text = generate(&p, &len);
		/* No `check` line (the header names --no-checks). */
		CHECK(strstr(text, "\ncheck") == NULL);
		run_trace(text, len, &p, &t);
		free(text);
	}
	CHECK_EQ(t.kinds[TRACE_FILE] + t.kinds[TRACE_PREAD] + t.kinds[TRACE_PWRITE], 0);
	CHECK_EQ(t.kinds[TRACE_CHECK] + t.kinds[TRACE_STAT], 0);
	CHECK_EQ(t.file_mmaps, 0);
	CHECK(t.kinds[TRACE_MMAP] > 0 && t.kinds[TRACE_FORK] > 0);
	CHECK_EQ(t.unspecified, 0);
}

TEST(parameters_are_obeyed)
{
	struct gen_random_params p;
	gen_random_defaults(&p);
	CHECK_EQ(p.ops, 400);
	CHECK_EQ(p.max_procs, 6);
	CHECK_EQ(p.max_depth, 6);
	CHECK_EQ(p.span_pages, 512);
	CHECK(p.files && p.checks);
	/* A long trace with few processes and shallow forks. */
	p.seed = 99;
	p.ops = 5000;
	p.max_procs = 2;
	p.max_depth = 1;
	p.span_pages = 64;
	size_t len;
	char *text = generate(&p, &len);
	struct tally t = { 0 };
	run_trace(text, len, &p, &t);
	CHECK(t.lines >= 5000 && t.lines <= 5003);
	CHECK(t.max_depth <= 1);
	CHECK(t.kinds[TRACE_FORK] > 0);
	CHECK_EQ(t.unspecified, 0);
	/* Busy-window ops stay within the 64 pages. */
	struct trace_reader *r = trace_reader_from_buffer("gen", text, len);
	struct trace_op op;
	uint64_t inside = 0, data = 0;
	while (trace_next(r, &op) == 1) {
		if (!is_data_op(op.kind))
			continue;
		data++;
		inside += op.addr - GEN_WINDOW_BASE < 64 * 4096;
	}
	trace_reader_close(r);
	CHECK(inside * 100 >= data * 80);
	free(text);
}

TEST(same_seed_same_bytes)
{
	struct gen_random_params p;
	gen_random_defaults(&p);
	p.seed = 12345;
	size_t la, lb, lc;
	char *a = generate(&p, &la);
	char *b = generate(&p, &lb);
	p.seed = 12346;
	char *c = generate(&p, &lc);
	CHECK_EQ(la, lb);
	CHECK(la == lb && memcmp(a, b, la) == 0);
	CHECK(la != lc || memcmp(a, c, la) != 0);
	free(a);
	free(b);
	free(c);
}

int main(void)
{
	RUN(seeds_are_admissible_and_cover_everything);
	RUN(no_files_means_no_files);
	RUN(parameters_are_obeyed);
	RUN(same_seed_same_bytes);
	return check_done();
}
