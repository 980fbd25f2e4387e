/*
 * test_swap_alloc.c - the swap-slot allocator against a naive model.
 *
 * The model is one byte per slot (free, in use, retired).  Because the
 * allocator's policy is lowest address first, the model can say exactly
 * which slot every call must return, so the random tests check placement,
 * not only validity: that checks completeness (a run of N is found
 * whenever one exists) and the policy at once.  Small devices, whose
 * sizes straddle every word, group and node boundary, are verified after
 * every step; big ones periodically.  Deterministic tests cover runs that
 * cross each boundary of the summary tree, exhaustion, the retired table,
 * port_alloc failure (through the simulator's failure injection), and the
 * assertions that catch misuse (in forked children).
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#define TEST_RNG_XORSHIFT
#include "test_rng.h"
#include "sim/port_sim.h"
#include "vm/swap_alloc.h"

enum { M_FREE = 0, M_INUSE = 1, M_RETIRED = 2 };

/* A run length: mostly short, sometimes up to SWAP_RUN_MAX. */
static uint32_t rng_len(void)
{
	uint64_t r = rng_below(10);

	if (r < 5)
		return 1 + (uint32_t)rng_below(8);
	if (r < 8)
		return 1 + (uint32_t)rng_below(64);
	return 1 + (uint32_t)rng_below(SWAP_RUN_MAX);
}

/* --- the model ----------------------------------------------------------- */

struct model {
	uint64_t n;
	uint8_t *s;
	uint64_t nfree, ninuse, nretired;
};

static void model_init(struct model *m, uint64_t n)
{
	m->n = n;
	m->s = calloc(n, 1);
	if (m->s == NULL)
		abort();
	m->nfree = n;
	m->ninuse = m->nretired = 0;
}

/* Lowest start of N free slots, or SWAP_SLOT_NONE. */
static uint64_t model_lowest_run(const struct model *m, uint64_t n)
{
	uint64_t run = 0;

	for (uint64_t i = 0; i < m->n; i++) {
		run = m->s[i] == M_FREE ? run + 1 : 0;
		if (run == n)
			return i + 1 - n;
	}
	return SWAP_SLOT_NONE;
}

static uint64_t model_longest(const struct model *m)
{
	uint64_t run = 0, best = 0;

	for (uint64_t i = 0; i < m->n; i++) {
		run = m->s[i] == M_FREE ? run + 1 : 0;
		if (run > best)
			best = run;
	}
	return best;
}

static void model_set(struct model *m, uint64_t first, uint64_t n, uint8_t to)
{
	for (uint64_t i = first; i < first + n; i++) {
		uint8_t from = m->s[i];

		m->nfree -= from == M_FREE;
		m->ninuse -= from == M_INUSE;
		m->nretired -= from == M_RETIRED;
		m->s[i] = to;
		m->nfree += to == M_FREE;
		m->ninuse += to == M_INUSE;
		m->nretired += to == M_RETIRED;
	}
}

/* --- comparing ----------------------------------------------------------- */

static bool verify_ok(const struct swap_alloc *sa)
{
	char why[128];
	bool ok = swap_alloc_verify(sa, why, sizeof(why));

	if (!ok)
		fprintf(stderr, "verify: %s\n", why);
	return ok;
}

static void check_counts(const struct swap_alloc *sa, const struct model *m)
{
	CHECK_EQ(swap_alloc_nslots(sa), m->n);
	CHECK_EQ(swap_alloc_nfree(sa), m->nfree);
	CHECK_EQ(swap_alloc_ninuse(sa), m->ninuse);
	CHECK_EQ(swap_alloc_nretired(sa), m->nretired);
}

/* Everything, slot by slot: for small devices after every step. */
static bool check_all(const struct swap_alloc *sa, const struct model *m)
{
	int before = check_failures;
	uint64_t longest = model_longest(m);

	CHECK(verify_ok(sa));
	check_counts(sa, m);
	CHECK_EQ(swap_alloc_longest_free(sa), longest < SWAP_RUN_MAX ? longest : SWAP_RUN_MAX);
	for (uint64_t i = 0; i < m->n; i++) {
		if (swap_slot_allocated(sa, i) != (m->s[i] != M_FREE) ||
		    swap_slot_retired(sa, i) != (m->s[i] == M_RETIRED)) {
			CHECK_EQ(i, SWAP_SLOT_NONE); /* reports the slot */
			break;
		}
	}
	return check_failures == before;
}

/* --- random steps -------------------------------------------------------- */

/*
 * One random operation on both.  EXACT: compare placement with the
 * model's lowest run (O(n) per call).  FILL biases towards allocating.
 */
static void step(struct swap_alloc *sa, struct model *m, bool exact, bool fill)
{
	uint64_t r = rng_below(100), got_first, want;
	uint32_t n = rng_len(), got;

	if (r < (fill ? 55u : 25u)) {
		got_first = swap_alloc_run(sa, n);
		if (exact) {
			want = n > m->n ? SWAP_SLOT_NONE : model_lowest_run(m, n);
			CHECK_EQ(got_first, want);
		}
		if (got_first != SWAP_SLOT_NONE) {
			for (uint64_t i = got_first; i < got_first + n; i++)
				CHECK_EQ(m->s[i], M_FREE);
			model_set(m, got_first, n, M_INUSE);
		}
	} else if (r < (fill ? 75u : 40u)) {
		got_first = swap_alloc_upto(sa, n, &got);
		if (exact) {
			uint64_t longest = model_longest(m);
			uint64_t len = n < longest ? n : longest;

			CHECK_EQ(got, len);
			CHECK_EQ(got_first, len == 0 ? SWAP_SLOT_NONE : model_lowest_run(m, len));
		}
		if (got_first != SWAP_SLOT_NONE) {
			CHECK(got >= 1 && got <= n);
			for (uint64_t i = got_first; i < got_first + got; i++)
				CHECK_EQ(m->s[i], M_FREE);
			model_set(m, got_first, got, M_INUSE);
		} else {
			CHECK_EQ(got, 0);
		}
	} else if (r < 97) {
		/* Free an in-use stretch from a random in-use slot; it may span
		 * several runs that were allocated separately. */
		for (int tries = 0; tries < 8; tries++) {
			uint64_t s = rng_below(m->n), len = 0;

			if (m->s[s] != M_INUSE)
				continue;
			while (len < n && s + len < m->n && m->s[s + len] == M_INUSE)
				len++;
			swap_free_run(sa, s, (uint32_t)len);
			model_set(m, s, len, M_FREE);
			break;
		}
	} else if (m->nretired < m->n / 8) {
		for (int tries = 0; tries < 8; tries++) {
			uint64_t s = rng_below(m->n);

			if (m->s[s] != M_INUSE)
				continue;
			CHECK(swap_retire(sa, s));
			model_set(m, s, 1, M_RETIRED);
			break;
		}
	}
}

/* Small devices: every step checked, occupancy swinging full and empty. */
static void random_small(uint64_t nslots, int steps)
{
	struct swap_alloc *sa = swap_alloc_create(nslots);
	struct model m;

	CHECK(sa != NULL);
	if (sa == NULL)
		return;
	model_init(&m, nslots);
	CHECK(check_all(sa, &m));
	for (int i = 0; i < steps; i++) {
		step(sa, &m, true, (i / 500) % 2 == 0);
		if (!check_all(sa, &m)) {
			fprintf(stderr, "  nslots %" PRIu64 " step %d\n", nslots, i);
			break;
		}
	}
	swap_alloc_destroy(sa);
	free(m.s);
}

TEST(random_small_devices)
{
	static const uint64_t sizes[] = { 1,    2,    3,    63,   64,   65,   127,
					  128,  255,  256,  257,  511,  513,  1000,
					  1023, 4095, 4096, 4097, 5000, 8191, 65537 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		random_small(sizes[i], sizes[i] > 10000 ? 1500 : 6000);
}

/* Big devices: placement checked every 64th step, the rest periodically. */
static void random_big(uint64_t nslots, int steps)
{
	struct swap_alloc *sa = swap_alloc_create(nslots);
	struct model m;

	CHECK(sa != NULL);
	if (sa == NULL)
		return;
	model_init(&m, nslots);
	for (int i = 0; i < steps; i++) {
		step(sa, &m, i % 64 == 0, (i / 40000) % 2 == 0);
		if (i % 5000 == 4999 && !check_all(sa, &m)) {
			fprintf(stderr, "  nslots %" PRIu64 " step %d\n", nslots, i);
			break;
		}
	}
	CHECK(check_all(sa, &m));
	swap_alloc_destroy(sa);
	free(m.s);
}

TEST(random_big_devices)
{
	random_big((uint64_t)1 << 20, 120000);
	random_big(((uint64_t)1 << 20) + 4099, 120000);
}

/* --- deterministic tests ------------------------------------------------- */

/* Allocates every slot as single-slot runs; checks the order. */
static void fill_one_by_one(struct swap_alloc *sa)
{
	for (uint64_t i = 0; i < swap_alloc_nslots(sa); i++)
		CHECK_EQ(swap_alloc_run(sa, 1), i);
	CHECK_EQ(swap_alloc_run(sa, 1), SWAP_SLOT_NONE);
}

TEST(one_slot_device)
{
	struct swap_alloc *sa = swap_alloc_create(1);
	uint32_t got = 99;

	CHECK_EQ(swap_alloc_nfree(sa), 1);
	CHECK_EQ(swap_alloc_run(sa, 2), SWAP_SLOT_NONE);
	CHECK_EQ(swap_alloc_run(sa, 1), 0);
	CHECK(swap_slot_allocated(sa, 0));
	CHECK_EQ(swap_alloc_run(sa, 1), SWAP_SLOT_NONE);
	CHECK_EQ(swap_alloc_upto(sa, 4, &got), SWAP_SLOT_NONE);
	CHECK_EQ(got, 0);
	swap_free_run(sa, 0, 1);
	CHECK_EQ(swap_alloc_upto(sa, 4, &got), 0);
	CHECK_EQ(got, 1);
	CHECK(swap_retire(sa, 0));
	CHECK_EQ(swap_alloc_nfree(sa), 0);
	CHECK_EQ(swap_alloc_ninuse(sa), 0);
	CHECK_EQ(swap_alloc_nretired(sa), 1);
	CHECK(swap_slot_retired(sa, 0));
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
}

/* Whole-device runs on sizes around word and group edges. */
TEST(whole_device_runs)
{
	static const uint32_t sizes[] = { 63, 64, 65, 128, 200, 255, 256 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t n = sizes[i];
		struct swap_alloc *sa = swap_alloc_create(n);

		CHECK_EQ(swap_alloc_run(sa, n + 1 <= SWAP_RUN_MAX ? n + 1 : n),
			 n + 1 <= SWAP_RUN_MAX ? SWAP_SLOT_NONE : 0);
		if (n + 1 <= SWAP_RUN_MAX)
			CHECK_EQ(swap_alloc_run(sa, n), 0);
		CHECK_EQ(swap_alloc_nfree(sa), 0);
		CHECK_EQ(swap_alloc_longest_free(sa), 0);
		swap_free_run(sa, 0, n);
		CHECK_EQ(swap_alloc_longest_free(sa), n);
		CHECK(verify_ok(sa));
		swap_alloc_destroy(sa);
	}
}

/*
 * On a full device, free one hole and ask for exactly its length: the
 * hole must be found whichever boundaries it crosses (word at 64, group at
 * 256, level-1 node at 4096, level-2 node at 65536), and a run one longer
 * must not be.
 */
TEST(holes_across_boundaries)
{
	static const struct {
		uint64_t first;
		uint32_t n;
	} holes[] = {
		{ 0, 1 },	  { 60, 10 },	   { 63, 2 },	    { 64, 64 },
		{ 250, 12 },	  { 128, 256 },	   { 192, 129 },    { 255, 1 },
		{ 256, 256 },	  { 4090, 12 },	   { 3968, 256 },   { 4000, 200 },
		{ 65530, 20 },	  { 65536 - 128, 256 }, { 70000, 77 },
		{ 131071, 2 },	  { 200000, 256 }, { 262143, 1 },
	};
	struct swap_alloc *sa = swap_alloc_create(262144);

	while (swap_alloc_run(sa, SWAP_RUN_MAX) != SWAP_SLOT_NONE)
		;
	CHECK_EQ(swap_alloc_nfree(sa), 0);
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		uint64_t first = holes[i].first;
		uint32_t n = holes[i].n;

		swap_free_run(sa, first, n);
		CHECK_EQ(swap_alloc_longest_free(sa), n);
		if (n < SWAP_RUN_MAX)
			CHECK_EQ(swap_alloc_run(sa, n + 1), SWAP_SLOT_NONE);
		CHECK_EQ(swap_alloc_run(sa, n), first);
		CHECK_EQ(swap_alloc_nfree(sa), 0);
		CHECK(verify_ok(sa));
	}
	swap_alloc_destroy(sa);
}

/* Lowest address first, and upto's choice of length. */
TEST(policy)
{
	struct swap_alloc *sa = swap_alloc_create(10000);
	uint32_t got;

	while (swap_alloc_run(sa, 100) != SWAP_SLOT_NONE)
		;
	while (swap_alloc_run(sa, 1) != SWAP_SLOT_NONE)
		;
	swap_free_run(sa, 9000, 40);
	swap_free_run(sa, 5000, 20);
	swap_free_run(sa, 300, 5);
	swap_free_run(sa, 7000, 40);
	CHECK_EQ(swap_alloc_run(sa, 3), 300);	  /* lowest, not best fit */
	CHECK_EQ(swap_alloc_run(sa, 30), 7000);   /* lowest that fits */
	CHECK_EQ(swap_alloc_upto(sa, 64, &got), 9000); /* longest, 40 */
	CHECK_EQ(got, 40);
	CHECK_EQ(swap_alloc_upto(sa, 64, &got), 5000); /* next longest, 20 */
	CHECK_EQ(got, 20);
	CHECK_EQ(swap_alloc_upto(sa, 5, &got), 7030); /* N fits: prefer N */
	CHECK_EQ(got, 5);
	CHECK_EQ(swap_alloc_upto(sa, 1000, &got), 7035); /* N clamps to 256 */
	CHECK_EQ(got, 5);
	CHECK_EQ(swap_alloc_upto(sa, 1, &got), 303);
	CHECK_EQ(got, 1);
	CHECK_EQ(swap_alloc_upto(sa, 1, &got), 304);
	CHECK_EQ(swap_alloc_upto(sa, 1, &got), SWAP_SLOT_NONE);
	CHECK_EQ(got, 0);
	swap_free_run(sa, 0, 10000);
	CHECK_EQ(swap_alloc_upto(sa, 1000, &got), 0);
	CHECK_EQ(got, SWAP_RUN_MAX);
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
}

/* One free call may span runs allocated separately. */
TEST(free_across_runs)
{
	struct swap_alloc *sa = swap_alloc_create(1000);

	CHECK_EQ(swap_alloc_run(sa, 100), 0);
	CHECK_EQ(swap_alloc_run(sa, 200), 100);
	CHECK_EQ(swap_alloc_run(sa, 7), 300);
	swap_free_run(sa, 50, 255);
	CHECK_EQ(swap_alloc_nfree(sa), 1000 - 307 + 255);
	CHECK_EQ(swap_alloc_run(sa, 255), 50);
	swap_free_run(sa, 0, 307);
	CHECK_EQ(swap_alloc_nfree(sa), 1000);
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
}

TEST(exhaustion_and_counts)
{
	struct swap_alloc *sa = swap_alloc_create(4097);
	uint32_t got;

	fill_one_by_one(sa);
	CHECK_EQ(swap_alloc_upto(sa, 8, &got), SWAP_SLOT_NONE);
	CHECK_EQ(got, 0);
	CHECK_EQ(swap_alloc_ninuse(sa), 4097);
	for (uint64_t i = 0; i < 4097; i += 2)
		swap_free_run(sa, i, 1);
	CHECK_EQ(swap_alloc_nfree(sa), 2049);
	CHECK_EQ(swap_alloc_run(sa, 2), SWAP_SLOT_NONE); /* all holes are 1 */
	CHECK_EQ(swap_alloc_upto(sa, 2, &got), 0);
	CHECK_EQ(got, 1);
	CHECK(swap_retire(sa, 1));
	CHECK(swap_retire(sa, 4095));
	CHECK_EQ(swap_alloc_nfree(sa), 2048);
	CHECK_EQ(swap_alloc_ninuse(sa), 4097 - 2048 - 2);
	CHECK_EQ(swap_alloc_nretired(sa), 2);
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
}

/* The retired table: inline first, then grown through port_alloc. */
TEST(retired_table)
{
	struct swap_alloc *sa = swap_alloc_create(5000);
	uint64_t base = sim_port_boot_bytes();
	size_t meta = swap_alloc_meta_bytes(sa);

	CHECK_EQ(swap_alloc_run(sa, 200), 0);
	sim_port_fail_nth(PORT_SITE_BOOT, 0); /* resets the counters */
	/* Out of order, to exercise the sorted insert. */
	for (uint64_t i = 0; i < SWAP_RETIRED_INLINE; i++)
		CHECK(swap_retire(sa, (i * 37) % 101));
	CHECK_EQ(sim_port_alloc_calls(PORT_SITE_BOOT), 0);
	CHECK_EQ(swap_alloc_meta_bytes(sa), meta);
	for (uint64_t i = SWAP_RETIRED_INLINE; i < 100; i++)
		CHECK(swap_retire(sa, (i * 37) % 101));
	CHECK(sim_port_alloc_calls(PORT_SITE_BOOT) > 0);
	CHECK(swap_alloc_meta_bytes(sa) > meta);
	CHECK_EQ(sim_port_boot_bytes() - base, swap_alloc_meta_bytes(sa) - meta);
	CHECK_EQ(swap_alloc_nretired(sa), 100);
	CHECK_EQ(swap_alloc_ninuse(sa), 100);
	/* (i*37)%101 for i < 100 covers all of 0..100 except 100*37%101 = 64. */
	for (uint64_t i = 0; i < 200; i++)
		CHECK_EQ(swap_slot_retired(sa, i), i <= 100 && i != 64);
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
	CHECK_EQ(sim_port_boot_bytes(), base - meta);
}

TEST(port_alloc_failure)
{
	uint64_t base = sim_port_boot_bytes();
	struct swap_alloc *sa;

	sim_port_fail_nth(PORT_SITE_BOOT, 1);
	CHECK(swap_alloc_create(1000) == NULL);
	CHECK_EQ(sim_port_injected(), 1);
	CHECK_EQ(sim_port_boot_bytes(), base);
	sim_port_fail_nth(PORT_SITE_BOOT, 0);

	sa = swap_alloc_create(1000);
	CHECK(sa != NULL);
	CHECK_EQ(sim_port_boot_bytes() - base, swap_alloc_meta_bytes(sa));
	CHECK_EQ(swap_alloc_run(sa, 64), 0);
	for (uint64_t i = 0; i < SWAP_RETIRED_INLINE; i++)
		CHECK(swap_retire(sa, i));

	/* The table must grow now; make that fail. */
	sim_port_fail_nth(PORT_SITE_BOOT, 1);
	CHECK(!swap_retire(sa, 20));
	CHECK_EQ(sim_port_injected(), 1);
	CHECK(!swap_slot_retired(sa, 20));
	CHECK(swap_slot_allocated(sa, 20));
	CHECK_EQ(swap_alloc_nretired(sa), SWAP_RETIRED_INLINE);
	CHECK_EQ(swap_alloc_ninuse(sa), 64 - SWAP_RETIRED_INLINE);
	CHECK(verify_ok(sa));
	/* The caller may still free it ... */
	swap_free_run(sa, 20, 1);
	CHECK_EQ(swap_alloc_run(sa, 1), 20);
	/* ... or retry once memory is back. */
	sim_port_fail_nth(PORT_SITE_BOOT, 0);
	CHECK(swap_retire(sa, 20));
	CHECK_EQ(swap_alloc_nretired(sa), SWAP_RETIRED_INLINE + 1);
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
	CHECK_EQ(sim_port_boot_bytes(), base);
}

/* Metadata stays near 1.13 bits per slot and is all counted. */
TEST(metadata_size)
{
	static const uint64_t sizes[] = { 65536, (uint64_t)1 << 20, (uint64_t)1 << 24 };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint64_t base = sim_port_boot_bytes();
		struct swap_alloc *sa = swap_alloc_create(sizes[i]);
		double bits = (double)swap_alloc_meta_bytes(sa) * 8.0 / (double)sizes[i];

		CHECK_EQ(sim_port_boot_bytes() - base, swap_alloc_meta_bytes(sa));
		CHECK(bits > 1.0 && bits < 1.17);
		swap_alloc_destroy(sa);
	}
}

static size_t meta_of(uint64_t nslots)
{
	struct swap_alloc *sa = swap_alloc_create(nslots);
	size_t bytes = swap_alloc_meta_bytes(sa);

	swap_alloc_destroy(sa);
	return bytes;
}

/*
 * The bitmap and its summaries cover the device rounded up to whole groups
 * of 256 slots, and no more: every size from k*256-255 to k*256 slots costs
 * the same, and one slot more costs a group more.  (A device whose size is
 * a multiple of 256, as every whole number of MiB is, must not pay for a
 * group that holds no slot.)
 */
TEST(metadata_grows_by_whole_groups)
{
	static const uint64_t groups[] = { 1, 2, 15, 16, 17, 256, 4097 };

	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		uint64_t top = groups[i] * 256;

		CHECK_EQ(meta_of(top - 255), meta_of(top));
		CHECK_EQ(meta_of(top - 1), meta_of(top));
		CHECK(meta_of(top + 1) >= meta_of(top) + 32); /* a group's 4 words */
	}
}

/*
 * A deep tree (6 summary levels): fill it, then punch holes across the
 * top-level boundaries and at the very end, and find them.
 */
static void deep_device(uint64_t nslots)
{
	struct swap_alloc *sa = swap_alloc_create(nslots);
	uint64_t top = (uint64_t)1 << 28; /* a level-5 node boundary */
	uint32_t got;

	CHECK(sa != NULL);
	if (sa == NULL)
		return;
	while (swap_alloc_run(sa, SWAP_RUN_MAX) != SWAP_SLOT_NONE)
		;
	while (swap_alloc_run(sa, 1) != SWAP_SLOT_NONE)
		;
	CHECK_EQ(swap_alloc_nfree(sa), 0);
	if (nslots > top + 200) {
		swap_free_run(sa, top - 56, 200);
		CHECK_EQ(swap_alloc_run(sa, 200), top - 56);
	}
	swap_free_run(sa, nslots - 3, 3);
	swap_free_run(sa, nslots / 2, 1);
	CHECK_EQ(swap_alloc_run(sa, 4), SWAP_SLOT_NONE);
	CHECK_EQ(swap_alloc_upto(sa, 4, &got), nslots - 3);
	CHECK_EQ(got, 3);
	CHECK_EQ(swap_alloc_run(sa, 1), nslots / 2);
	CHECK(swap_retire(sa, nslots - 1));
	CHECK(swap_slot_retired(sa, nslots - 1));
	CHECK_EQ(swap_alloc_nretired(sa), 1);
	CHECK(verify_ok(sa));
	swap_alloc_destroy(sa);
}

TEST(deep_tree)
{
	deep_device(((uint64_t)1 << 28) + 4097);
	/* The largest device takes 580 MiB; only on request. */
	if (getenv("MVM_SWAP_HUGE") != NULL)
		deep_device(SWAP_NSLOTS_MAX);
}

/* --- misuse is caught ---------------------------------------------------- */

/* Runs FN in a child and checks that it dies of SIGABRT (port_panic). */
static bool dies(void (*fn)(struct swap_alloc *))
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		struct swap_alloc *sa = swap_alloc_create(300);

		if (freopen("/dev/null", "w", stderr) == NULL)
			_exit(3);
		swap_alloc_run(sa, 10); /* slots 0..9 in use */
		swap_retire(sa, 5);
		fn(sa);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return false;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static void free_free_slot(struct swap_alloc *sa) { swap_free_run(sa, 8, 3); }
static void free_retired_slot(struct swap_alloc *sa) { swap_free_run(sa, 4, 2); }
static void free_past_end(struct swap_alloc *sa) { swap_free_run(sa, 299, 2); }
static void retire_free_slot(struct swap_alloc *sa) { swap_retire(sa, 10); }
static void retire_twice(struct swap_alloc *sa) { swap_retire(sa, 5); }
static void run_of_zero(struct swap_alloc *sa) { swap_alloc_run(sa, 0); }
static void run_too_long(struct swap_alloc *sa) { swap_alloc_run(sa, SWAP_RUN_MAX + 1); }
static void query_past_end(struct swap_alloc *sa) { swap_slot_allocated(sa, 300); }

static void legal(struct swap_alloc *sa)
{
	swap_free_run(sa, 6, 4);
	swap_free_run(sa, 0, 5);
}

TEST(misuse_panics)
{
	CHECK(!dies(legal));
	CHECK(dies(free_free_slot));
	CHECK(dies(free_retired_slot));
	CHECK(dies(free_past_end));
	CHECK(dies(retire_free_slot));
	CHECK(dies(retire_twice));
	CHECK(dies(run_of_zero));
	CHECK(dies(run_too_long));
	CHECK(dies(query_past_end));
}

/*
 * verify notices damage: it must not be a check that cannot fail.  The
 * structure is opaque, so the test finds the bitmap inside the allocator's
 * block by the pattern it must hold after one run of 100: word 0 all in
 * use, word 1 with slots 64..99 in use.
 */
static uint64_t *find_bitmap(struct swap_alloc *sa)
{
	uint64_t *p = (uint64_t *)sa;
	uint64_t *end = (uint64_t *)((char *)sa + swap_alloc_meta_bytes(sa));

	for (; p + 1 < end; p++)
		if (p[0] == 0 && p[1] == ~(((uint64_t)1 << 36) - 1))
			return p;
	return NULL;
}

TEST(verify_detects_damage)
{
	struct swap_alloc *sa = swap_alloc_create(1000);
	char why[64];
	uint64_t *words;

	CHECK_EQ(swap_alloc_run(sa, 100), 0);
	CHECK(swap_alloc_verify(sa, why, sizeof(why)));
	CHECK_STR(why, "");
	words = find_bitmap(sa);
	CHECK(words != NULL);
	if (words == NULL)
		return;
	words[0] |= 1; /* slot 0 free behind the allocator's back */
	CHECK(!swap_alloc_verify(sa, why, sizeof(why)));
	CHECK_STR(why, "swap: nfree disagrees with bitmap");
	words[15] &= ~((uint64_t)1 << 39); /* and slot 999 taken: count agrees */
	CHECK(!swap_alloc_verify(sa, why, sizeof(why)));
	CHECK_STR(why, "swap: stale group summary at 0");
	CHECK(!swap_alloc_verify(sa, why, 8)); /* truncated, terminated */
	CHECK_STR(why, "swap: s");
	words[0] &= ~(uint64_t)1;
	words[15] |= (uint64_t)1 << 39;
	CHECK(swap_alloc_verify(sa, why, sizeof(why)));
	words[15] |= (uint64_t)1 << 63; /* a padding bit past slot 999 */
	CHECK(!swap_alloc_verify(sa, why, sizeof(why)));
	CHECK_STR(why, "swap: padding bit free in word at 15");
	words[15] &= ~((uint64_t)1 << 63);
	CHECK(swap_alloc_verify(sa, why, sizeof(why)));
	swap_alloc_destroy(sa);
}

int main(void)
{
	rng_state = 0x9e3779b97f4a7c15ull;
	RUN(one_slot_device);
	RUN(whole_device_runs);
	RUN(holes_across_boundaries);
	RUN(policy);
	RUN(free_across_runs);
	RUN(exhaustion_and_counts);
	RUN(retired_table);
	RUN(port_alloc_failure);
	RUN(metadata_size);
	RUN(metadata_grows_by_whole_groups);
	RUN(verify_detects_damage);
	RUN(misuse_panics);
	RUN(random_small_devices);
	RUN(random_big_devices);
	RUN(deep_tree);
	return check_done();
}
