/*
 * test_curve.c - the curves of `mvm curve` against brute force.
 *
 * LRU and OPT come from one pass of stack distances (stackdist.h), OPT
 * also from a simulation per size; here each is checked, at every cache size, against a plain simulation of
 * the policy on small random reference strings (some with copy-on-write
 * pages, whose first reference is free), and CLOCK against a second,
 * naive CLOCK.  Then the reference string of small traces: which
 * accesses reach which page of data.
 */
#include "check.h"
#include "curve/refstring.h"
#include "curve/stackdist.h"
#include "test_rng.h"

#define MAXP 40

/* A random string over NPAGES pages, with locality so hits happen. */
static void random_string(struct refstring *rs, uint32_t npages, size_t n)
{
	refstring_init(rs);
	for (uint32_t p = 0; p < npages; p++)
		refstring_new_page(rs, rng_below(5) == 0);
	for (size_t i = 0; i < n; i++) {
		uint32_t page = rng_below(3) == 0 ? (uint32_t)rng_below(npages)
							    : (uint32_t)rng_below(npages / 3 + 1);

		refstring_push(rs, page);
	}
}

/* A miss counts unless it is a copy's first reference. */
static bool counted(const struct refstring *rs, const bool *seen, uint32_t page)
{
	return !(rs->copy[page] && !seen[page]);
}

static uint64_t brute_lru(const struct refstring *rs, uint64_t frames)
{
	uint64_t last[MAXP] = {0}, misses = 0;
	bool in[MAXP] = {false}, seen[MAXP] = {false};
	uint64_t used = 0;

	for (size_t t = 0; t < rs->n; t++) {
		uint32_t x = rs->ref[t];

		if (!in[x]) {
			misses += counted(rs, seen, x);
			if (used == frames) {
				uint32_t victim = UINT32_MAX;

				for (uint32_t p = 0; p < rs->npages; p++)
					if (in[p] && (victim == UINT32_MAX || last[p] < last[victim]))
						victim = p;
				in[victim] = false;
				used--;
			}
			in[x] = true;
			used++;
		}
		seen[x] = true;
		last[x] = t + 1;
	}
	return misses;
}

static uint64_t next_use(const struct refstring *rs, size_t t, uint32_t page)
{
	for (size_t u = t + 1; u < rs->n; u++)
		if (rs->ref[u] == page)
			return u;
	return UINT64_MAX;
}

static uint64_t brute_opt(const struct refstring *rs, uint64_t frames)
{
	bool in[MAXP] = {false}, seen[MAXP] = {false};
	uint64_t used = 0, misses = 0;

	for (size_t t = 0; t < rs->n; t++) {
		uint32_t x = rs->ref[t];

		if (!in[x]) {
			misses += counted(rs, seen, x);
			if (used == frames) {
				uint32_t victim = UINT32_MAX;
				uint64_t far = 0;

				for (uint32_t p = 0; p < rs->npages; p++)
					if (in[p] && (victim == UINT32_MAX || next_use(rs, t, p) > far)) {
						victim = p;
						far = next_use(rs, t, p);
					}
				in[victim] = false;
				used--;
			}
			in[x] = true;
			used++;
		}
		seen[x] = true;
	}
	return misses;
}

/* CLOCK as a list of frames and a hand, with no index: slow and plain. */
static uint64_t brute_clock(const struct refstring *rs, uint64_t frames)
{
	uint32_t page[MAXP];
	bool bit[MAXP], seen[MAXP] = {false};
	uint64_t used = 0, hand = 0, misses = 0;

	for (size_t t = 0; t < rs->n; t++) {
		uint32_t x = rs->ref[t];
		uint64_t f;

		for (f = 0; f < used && page[f] != x; f++)
			;
		if (f < used) {
			bit[f] = true;
		} else {
			misses += counted(rs, seen, x);
			if (used < frames) {
				f = used++;
			} else {
				for (; bit[hand]; hand = (hand + 1) % frames)
					bit[hand] = false;
				f = hand;
				hand = (hand + 1) % frames;
			}
			page[f] = x;
			bit[f] = true;
		}
		seen[x] = true;
	}
	return misses;
}

TEST(stack_curves_equal_brute_force)
{
	rng_state = 17;
	for (int round = 0; round < 300; round++) {
		uint32_t npages = 1 + (uint32_t)rng_below(MAXP);
		struct refstring rs;
		struct stack_curve lru, opt;

		uint64_t *next;

		random_string(&rs, npages, 1 + rng_below(200));
		curve_lru(&rs, &lru);
		curve_opt(&rs, &opt);
		next = curve_next_uses(&rs);
		for (uint64_t c = 1; c <= npages + 1; c++) {
			CHECK_EQ(stack_curve_misses(&lru, c), brute_lru(&rs, c));
			CHECK_EQ(stack_curve_misses(&opt, c), brute_opt(&rs, c));
			CHECK_EQ(curve_opt_at(&rs, next, c), brute_opt(&rs, c));
			CHECK_EQ(curve_clock(&rs, c), brute_clock(&rs, c));
			CHECK(stack_curve_misses(&opt, c) <= stack_curve_misses(&lru, c));
		}
		free(next);
		stack_curve_free(&lru);
		stack_curve_free(&opt);
		refstring_free(&rs);
	}
}

/* A looping string, where LRU misses everything and OPT keeps c-1 pages. */
TEST(loop_against_known_figures)
{
	struct refstring rs;
	struct stack_curve lru, opt;

	refstring_init(&rs);
	for (int p = 0; p < 10; p++)
		refstring_new_page(&rs, false);
	for (int round = 0; round < 5; round++)
		for (uint32_t p = 0; p < 10; p++)
			refstring_push(&rs, p);
	curve_lru(&rs, &lru);
	curve_opt(&rs, &opt);
	CHECK_EQ(stack_curve_misses(&lru, 9), 50);
	CHECK_EQ(stack_curve_misses(&lru, 10), 10);
	/* OPT with 5 frames: 10 cold, then each later loop of 10 misses 5
	 * or 6 pages; brute force says exactly. */
	CHECK_EQ(stack_curve_misses(&opt, 5), brute_opt(&rs, 5));
	CHECK_EQ(stack_curve_misses(&opt, 1), 50);
	CHECK_EQ(curve_clock(&rs, 9), 50);
	stack_curve_free(&lru);
	stack_curve_free(&opt);
	refstring_free(&rs);
}

static void build(const char *text, struct refstring *rs)
{
	char err[256] = "";

	refstring_init(rs);
	CHECK_EQ(refstring_build(trace_reader_from_buffer("t", text, strlen(text)), rs, err,
				 sizeof err), 0);
	if (err[0])
		fprintf(stderr, "%s\n", err);
}

static void expect_refs(const struct refstring *rs, const uint32_t *want, size_t n)
{
	CHECK_EQ(rs->n, n);
	for (size_t i = 0; i < n && i < rs->n; i++)
		CHECK_EQ(rs->ref[i], want[i]);
}

TEST(refstring_of_anonymous_memory_and_fork)
{
	struct refstring rs;
	/* page ids in order of creation: 0 = 1's page 0, 1 = 1's page 1,
	 * 2 = the child's copy of page 0. */
	static const uint32_t want[] = {0, 1, 0, 0, 0, 2, 1};

	build("1 spawn\n"
	      "1 mmap 0x100000000000 8K rw- private anon\n"
	      "1 read 0x100000000000 8K\n"        /* nothing: the zero page */
	      "1 write 0x100000000000 8K 5\n"     /* 0, 1: zero-fills */
	      "1 touch 0x100000000000 1 r\n"      /* 0 */
	      "1 fork 2\n"
	      "2 touch 0x100000000000 1 r\n"      /* 0: shared */
	      "2 touch 0x100000000000 1 w\n"      /* 0 (the source), then copy 2 */
	      "1 touch 0x100001000000 1 r\n"      /* segv: nothing */
	      "1 munmap 0x100000000000 4K\n"
	      "1 touch 0x100000000000 8K r\n"     /* segv at once: nothing */
	      "2 touch 0x100000001000 1 r\n",     /* 1 */
	      &rs);
	expect_refs(&rs, want, sizeof want / sizeof want[0]);
	CHECK_EQ(rs.npages, 3);
	CHECK(!rs.copy[0] && !rs.copy[1] && rs.copy[2]);
	refstring_free(&rs);
}

TEST(refstring_of_files)
{
	struct refstring rs;
	/* 0, 1, 2 = f's pages 0, 1, 2; 3 = 1's private copy of page 0 */
	static const uint32_t want[] = {0, 1, 2, 0, 3, 3, 1, 0, 1, 2};

	build("file f 9000 1\n"
	      "1 spawn\n"
	      "1 mmap 0x100000000000 16K r-- shared file f 0\n"
	      "1 touch 0x100000000000 16K r\n"    /* 0, 1, 2 (0x2000 < 9000), sigbus at 0x3000 */
	      "1 mmap 0x100000000000 8K rw- private file f 0\n"
	      "1 touch 0x100000000000 1 w\n"      /* 0, then copy 3 */
	      "1 touch 0x100000000000 1 r\n"      /* 3 */
	      "1 touch 0x100000001000 1 r\n"      /* 1 */
	      "1 pread f 0 8K\n"                  /* 0, 1 */
	      "1 pwrite f 9000 100 3\n",          /* page 2 */
	      &rs);
	expect_refs(&rs, want, sizeof want / sizeof want[0]);
	CHECK_EQ(rs.npages, 4);
	CHECK(!rs.copy[0] && !rs.copy[2] && rs.copy[3]);
	refstring_free(&rs);
}

TEST(refstring_bad_input)
{
	struct refstring rs;
	char err[256] = "";
	const char *text = "1 spawn\n2 touch 0x1000 1 r\n";

	refstring_init(&rs);
	CHECK_EQ(refstring_build(trace_reader_from_buffer("bad.trace", text, strlen(text)), &rs, err,
				 sizeof err), 2);
	CHECK(strncmp(err, "bad.trace:2: ", 13) == 0);
	refstring_free(&rs);
}

int main(void)
{
	RUN(stack_curves_equal_brute_force);
	RUN(loop_against_known_figures);
	RUN(refstring_of_anonymous_memory_and_fork);
	RUN(refstring_of_files);
	RUN(refstring_bad_input);
	return check_done();
}
