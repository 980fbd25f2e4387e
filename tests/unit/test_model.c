/*
 * test_model.c - the reference model against hand-written traces.
 *
 * Each test feeds trace text through the real parser and the admission
 * table into the model and compares the printed events with lines built
 * here.  Expected hashes are computed independently of the model and of
 * the trace library: the test has its own splitmix64, pattern and FNV-1a,
 * and builds the bytes a read must see in a plain buffer.  A read whose
 * bytes the spec leaves open is printed with "?" in place of the hash.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "model/model.h"
#include "trace/trace.h"

#define PG 4096u

/* ---- independent pattern and hash ---- */

static uint64_t t_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint8_t t_pat(uint64_t seed, uint64_t a)
{
	return (uint8_t)(t_mix(seed ^ (a - a % 8)) >> (8 * (a % 8)));
}

/* BUF[i] = pattern of SEED at position POS + i. */
static void t_fill(uint8_t *buf, uint64_t seed, uint64_t pos, size_t n)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = t_pat(seed, pos + i);
}

static uint64_t t_fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* ---- expected output ---- */

struct sb {
	char s[1 << 16];
	size_t n;
};

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(b->s + b->n, sizeof b->s - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n += (size_t)k;
}

static const char *sb_reset(struct sb *b)
{
	b->n = 0;
	b->s[0] = '\0';
	return b->s;
}

/* "P read ADDR LEN HASH" for the bytes BUF[0..N). */
static const char *rd(uint64_t pid, uint64_t addr, const uint8_t *buf, size_t n)
{
	static char line[4][128];
	static int k;
	k = (k + 1) % 4;
	snprintf(line[k], sizeof line[k], "%llu read 0x%llx 0x%llx %016llx\n",
		 (unsigned long long)pid, (unsigned long long)addr,
		 (unsigned long long)n, (unsigned long long)t_fnv(buf, n));
	return line[k];
}

/* A read line whose hash is unspecified, as step() prints it. */
static char rdu_line[128];
static const char *rdu(uint64_t pid, uint64_t addr, size_t n)
{
	snprintf(rdu_line, sizeof rdu_line, "%llu read 0x%llx 0x%llx ?\n",
		 (unsigned long long)pid, (unsigned long long)addr, (unsigned long long)n);
	return rdu_line;
}

static const char *prd(uint64_t pid, const char *name, uint64_t off, const uint8_t *buf,
		       size_t n)
{
	static char line[4][400];
	static int k;
	k = (k + 1) % 4;
	snprintf(line[k], sizeof line[k], "%llu pread %s 0x%llx 0x%llx %016llx\n",
		 (unsigned long long)pid, name, (unsigned long long)off,
		 (unsigned long long)n, (unsigned long long)t_fnv(buf, n));
	return line[k];
}

/* ---- running traces ---- */

struct session {
	struct model *m;
	struct trace_pids *pids;
	struct trace_events ev;
	char out[1 << 16];
	bool any_unspecified;
};

static void session_open(struct session *s)
{
	memset(s, 0, sizeof *s);
	s->m = model_create();
	s->pids = trace_pids_create();
}

static void session_close(struct session *s)
{
	model_destroy(s->m);
	trace_pids_destroy(s->pids);
	trace_events_free(&s->ev);
}

/* Runs TEXT (one or more trace lines) and returns the events printed. */
static const char *step(struct session *s, const char *text)
{
	struct trace_reader *r = trace_reader_from_buffer("test", text, strlen(text));
	struct trace_op op;
	size_t n = 0;
	int rc;
	s->out[0] = '\0';
	while ((rc = trace_next(r, &op)) == 1) {
		char err[256];
		enum trace_admit a = trace_pids_admit(s->pids, &op, err, sizeof err);
		CHECK(a == TRACE_RUN);
		if (a != TRACE_RUN) {
			fprintf(stderr, "  not admitted: %s\n", err);
			continue;
		}
		trace_events_clear(&s->ev);
		model_apply(s->m, &op, &s->ev);
		for (size_t i = 0; i < s->ev.n; i++) {
			const struct trace_event *e = &s->ev.ev[i];
			n += trace_event_format_buf(e, s->out + n, sizeof s->out - n);
			if (e->hash_unspecified) /* "HASH\n" becomes "?\n" */
				n += (size_t)snprintf(s->out + n - 17, sizeof s->out - n + 17, "?\n") - 17;
		}
	}
	if (rc < 0)
		fprintf(stderr, "  parse error: %s\n", trace_reader_error(r));
	CHECK(rc == 0);
	trace_reader_close(r);
	return s->out;
}

/* ---- private anonymous memory ---- */

TEST(anon_zero_write_read)
{
	struct session s;
	session_open(&s);
	uint8_t img[3 * PG];
	memset(img, 0, sizeof img);

	CHECK_STR(step(&s, "1 spawn\n1 mmap 0x10000 0x3000 rw- private anon\n"), "");
	CHECK_STR(step(&s, "1 read 0x10000 0x3000\n"), rd(1, 0x10000, img, 3 * PG));
	/* An unaligned write across a page boundary. */
	CHECK_STR(step(&s, "1 write 0x10ff0 0x30 7\n"), "");
	t_fill(img + 0xff0, 7, 0x10ff0, 0x30);
	CHECK_STR(step(&s, "1 read 0x10000 0x3000\n"), rd(1, 0x10000, img, 3 * PG));
	CHECK_STR(step(&s, "1 read 0x10ff8 0x11\n"), rd(1, 0x10ff8, img + 0xff8, 0x11));
	/* Zero lengths: an empty read prints the FNV offset basis. */
	CHECK_STR(step(&s, "1 read 0x999000 0\n"), "1 read 0x999000 0x0 cbf29ce484222325\n");
	CHECK_STR(step(&s, "1 write 0x999000 0 3\n1 touch 0x999000 0 w\n"), "");
	/* LEN with a suffix. */
	CHECK_STR(step(&s, "1 read 0x10000 8K\n"), rd(1, 0x10000, img, 2 * PG));
	session_close(&s);
}

TEST(segv_stops_and_keeps_earlier_pages)
{
	struct session s;
	session_open(&s);
	uint8_t img[2 * PG];
	memset(img, 0, sizeof img);

	step(&s, "1 spawn\n1 mmap 0x10000 0x1000 rw- private anon\n"
		 "1 mmap 0x11000 0x1000 r-- private anon\n");
	/* The write stops on the read-only page; the first page keeps it. */
	CHECK_STR(step(&s, "1 write 0x10800 0x1000 5\n"), "1 segv 0x11000\n");
	t_fill(img + 0x800, 5, 0x10800, 0x800);
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, img, 2 * PG));
	/* A read that stops prints only the segv, at max(ADDR, page start). */
	CHECK_STR(step(&s, "1 read 0x11f00 0x200\n"), "1 segv 0x12000\n");
	CHECK_STR(step(&s, "1 read 0x12010 0x10\n"), "1 segv 0x12010\n");
	CHECK_STR(step(&s, "1 read 0xf000 0x2000\n"), "1 segv 0xf000\n");
	/* Above user space and at the very top. */
	CHECK_STR(step(&s, "1 read 0x800000000000 1\n"), "1 segv 0x800000000000\n");
	CHECK_STR(step(&s, "1 read 0xfffffffffffff000 0x1000\n"), "1 segv 0xfffffffffffff000\n");
	session_close(&s);
}

TEST(protections)
{
	struct session s;
	session_open(&s);
	uint8_t zero[PG];
	memset(zero, 0, sizeof zero);

	step(&s, "1 spawn\n"
		 "1 mmap 0x10000 0x1000 --- private anon\n"
		 "1 mmap 0x20000 0x1000 -w- private anon\n"
		 "1 mmap 0x30000 0x1000 --x private anon\n"
		 "1 mmap 0x40000 0x1000 r-x private anon\n");
	CHECK_STR(step(&s, "1 read 0x10000 4\n"), "1 segv 0x10000\n");
	CHECK_STR(step(&s, "1 touch 0x10000 1 r\n"), "1 segv 0x10000\n");
	/* Any protection but --- reads; only w writes. */
	CHECK_STR(step(&s, "1 read 0x20000 4\n"), rd(1, 0x20000, zero, 4));
	CHECK_STR(step(&s, "1 read 0x30000 4\n"), rd(1, 0x30000, zero, 4));
	CHECK_STR(step(&s, "1 write 0x30000 4 1\n"), "1 segv 0x30000\n");
	CHECK_STR(step(&s, "1 touch 0x40000 0x1000 w\n"), "1 segv 0x40000\n");
	CHECK_STR(step(&s, "1 touch 0x40000 0x1000 r\n"), "");
	CHECK_STR(step(&s, "1 touch 0x20010 0x10 w\n"), "");
	/* A touch reports the byte it accessed: max(ADDR, page start). */
	CHECK_STR(step(&s, "1 touch 0x3ff00 0x200 r\n"), "1 segv 0x3ff00\n");
	CHECK_STR(step(&s, "1 touch 0x30f00 0x200 w\n"), "1 segv 0x30f00\n");
	CHECK_STR(step(&s, "1 touch 0x40f00 0x200 r\n"), "1 segv 0x41000\n");
	/* A write touch changes nothing. */
	step(&s, "1 write 0x20000 0x1000 9\n1 touch 0x20000 0x1000 w\n");
	uint8_t img[PG];
	t_fill(img, 9, 0x20000, PG);
	CHECK_STR(step(&s, "1 read 0x20000 0x1000\n"), rd(1, 0x20000, img, PG));
	session_close(&s);
}

/* ---- errors of the address-space operations ---- */

TEST(mmap_errors)
{
	struct session s;
	session_open(&s);
	step(&s, "1 spawn\nfile f 100 1\n");
	CHECK_STR(step(&s, "1 mmap 0x10001 0x1000 rw- private anon\n"), "1 mmap error EINVAL\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0 rw- private anon\n"), "1 mmap error EINVAL\n");
	/* Ends exactly at 2^64, and wraps past it. */
	CHECK_STR(step(&s, "1 mmap 0xfffffffffffff000 0x1000 rw- private anon\n"),
		  "1 mmap error EINVAL\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0xffffffffffff0001 rw- private anon\n"),
		  "1 mmap error EINVAL\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1000 rw- private file f 0x10\n"),
		  "1 mmap error EINVAL\n");
	/* EINVAL before ENOENT before EOVERFLOW before ENOMEM. */
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1000 rw- private file nosuch 0x10\n"),
		  "1 mmap error EINVAL\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1000 rw- private file nosuch 0x7ffffffffffff000\n"),
		  "1 mmap error ENOENT\n");
	CHECK_STR(step(&s, "1 mmap 0x800000000000 0x2000 rw- shared file f 0x7ffffffffffff000\n"),
		  "1 mmap error EOVERFLOW\n");
	/* Linux: a file mapping may not reach byte 2^63 either, also when a
	 * ragged LEN only reaches it once rounded up. */
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1000 rw- shared file f 0x7ffffffffffff000\n"),
		  "1 mmap error EOVERFLOW\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1001 rw- shared file f 0x7fffffffffffe000\n"),
		  "1 mmap error EOVERFLOW\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1 rw- shared file f 0x7fffffffffffe000\n"), "");
	CHECK_STR(step(&s, "1 mmap 0x7ffffffff000 0x2000 rw- private anon\n"),
		  "1 mmap error ENOMEM\n");
	CHECK_STR(step(&s, "1 mmap 0x800000000000 0x1000 rw- private anon\n"),
		  "1 mmap error ENOMEM\n");
	/* User space ends one page below 2^47, as Linux's TASK_SIZE does. */
	CHECK_STR(step(&s, "1 mmap 0x7ffffffff000 0x1000 rw- private anon\n"),
		  "1 mmap error ENOMEM\n");
	/* Failed mmaps changed nothing; the last page of user space is usable. */
	CHECK_STR(step(&s, "1 maps\n"),
		  "1 map 0x10000 0x11000 rw- shared file f 0x7fffffffffffe000\n");
	CHECK_STR(step(&s, "1 mmap 0x7fffffffe000 0x1000 rw- private anon\n1 write 0x7fffffffeff8 8 1\n"), "");
	CHECK_EQ(model_min_entries(s.m, 1), 2);
	session_close(&s);
}

TEST(munmap_rules)
{
	struct session s;
	session_open(&s);
	step(&s, "1 spawn\n1 mmap 0x10000 0x8000 rw- private anon\n");
	CHECK_STR(step(&s, "1 munmap 0x10800 0x1000\n"), "1 munmap error EINVAL\n");
	CHECK_STR(step(&s, "1 munmap 0x10000 0\n"), "1 munmap error EINVAL\n");
	CHECK_STR(step(&s, "1 munmap 0xfffffffffffff000 0x1000\n"), "1 munmap error EINVAL\n");
	CHECK_STR(step(&s, "1 munmap 0x7ffffffff000 0x2000\n"), "1 munmap error EINVAL\n");
	/* Holes are fine; a middle leaves two pieces; LEN rounds up. */
	CHECK_STR(step(&s, "1 munmap 0x0 0x11000\n1 munmap 0x13000 0x1001\n"
			   "1 munmap 0x17000 0x100000\n1 maps\n"),
		  "1 map 0x11000 0x13000 rw- private anon\n"
		  "1 map 0x15000 0x17000 rw- private anon\n");
	CHECK_STR(step(&s, "1 read 0x14000 1\n"), "1 segv 0x14000\n");
	CHECK_STR(step(&s, "1 munmap 0x7ffffffff000 0x1000\n"), "1 munmap error EINVAL\n");
	CHECK_STR(step(&s, "1 munmap 0x7fffffffe000 0x1000\n1 munmap 0x0 0x7ffffffff000\n1 maps\n"), "");
	session_close(&s);
}

TEST(range_op_errors_change_nothing)
{
	static const char *const ops[] = { "mprotect", "madvise", "msync" };
	static const char *const tails[] = { " r--", " dontfork", "" };
	struct session s;
	session_open(&s);
	step(&s, "1 spawn\n1 mmap 0x10000 0x2000 rw- private anon\n"
		 "1 mmap 0x13000 0x1000 rw- private anon\n");
	for (int i = 0; i < 3; i++) {
		char line[128], want[64];
		snprintf(want, sizeof want, "1 %s error EINVAL\n", ops[i]);
		snprintf(line, sizeof line, "1 %s 0x10010 0x1000%s\n", ops[i], tails[i]);
		CHECK_STR(step(&s, line), want);
		/* A zero LEN: EINVAL only for an unaligned ADDR (as on Linux). */
		snprintf(line, sizeof line, "1 %s 0x10010 0%s\n", ops[i], tails[i]);
		CHECK_STR(step(&s, line), want);
		snprintf(line, sizeof line, "1 %s 0x10000 0xfffffffffffff000%s\n", ops[i], tails[i]);
		CHECK_STR(step(&s, line), want);
		snprintf(want, sizeof want, "1 %s error ENOMEM\n", ops[i]);
		snprintf(line, sizeof line, "1 %s 0x10000 0x4000%s\n", ops[i], tails[i]);
		CHECK_STR(step(&s, line), want);
		snprintf(line, sizeof line, "1 %s 0x7ffffffff000 0x2000%s\n", ops[i], tails[i]);
		CHECK_STR(step(&s, line), want);
		snprintf(line, sizeof line, "1 %s 0x10000 0x2000%s\n", ops[i], tails[i]);
		CHECK_STR(step(&s, line), "");
	}
	/* An aligned ADDR with a zero LEN succeeds and changes nothing,
	 * whether the page is mapped, a hole, or outside user space. */
	for (int i = 0; i < 3; i++) {
		static const char *const addrs[] = { "0x10000", "0x12000", "0xfffffffffffff000" };
		for (int k = 0; k < 3; k++) {
			char line[128];
			snprintf(line, sizeof line, "1 %s %s 0%s\n", ops[i], addrs[k], tails[i]);
			CHECK_STR(step(&s, line), "");
		}
	}
	CHECK_STR(step(&s, "1 mprotect 0x10000 0 ---\n1 madvise 0x13000 0 dontneed\n"), "");
	/* The ENOMEM mprotect over the hole did not change the first pages. */
	CHECK_STR(step(&s, "1 maps\n"),
		  "1 map 0x10000 0x12000 r-- private anon\n"
		  "1 map 0x13000 0x14000 rw- private anon\n");
	CHECK_STR(step(&s, "1 write 0x13000 1 1\n"), "");
	CHECK_STR(step(&s, "1 write 0x10000 1 1\n"), "1 segv 0x10000\n");
	session_close(&s);
}

/* ---- maps and entry counts ---- */

TEST(maps_runs)
{
	struct session s;
	session_open(&s);
	step(&s, "1 spawn\nfile f 0x10000 1\n");
	/* Private anonymous mappings of separate mmaps form one run. */
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1000 rw- private anon\n"
			   "1 mmap 0x11000 0x1000 rw- private anon\n1 maps\n"),
		  "1 map 0x10000 0x12000 rw- private anon\n");
	/* Separate shared anonymous mappings are separate objects. */
	CHECK_STR(step(&s, "1 mmap 0x20000 0x1000 rw- shared anon\n"
			   "1 mmap 0x21000 0x1000 rw- shared anon\n1 maps\n"),
		  "1 map 0x10000 0x12000 rw- private anon\n"
		  "1 map 0x20000 0x21000 rw- shared anon\n"
		  "1 map 0x21000 0x22000 rw- shared anon\n");
	/* A protection change in the middle of one object, then undone. */
	step(&s, "1 munmap 0x0 0x100000\n1 mmap 0x20000 0x3000 rw- shared anon\n");
	CHECK_STR(step(&s, "1 mprotect 0x21000 0x1000 r--\n1 maps\n"),
		  "1 map 0x20000 0x21000 rw- shared anon\n"
		  "1 map 0x21000 0x22000 r-- shared anon\n"
		  "1 map 0x22000 0x23000 rw- shared anon\n");
	CHECK_STR(step(&s, "1 mprotect 0x21000 0x1000 rw-\n1 maps\n"),
		  "1 map 0x20000 0x23000 rw- shared anon\n");
	/* File pages join when the offsets run on, and only then. */
	step(&s, "1 munmap 0x0 0x100000\n");
	CHECK_STR(step(&s, "1 mmap 0x10000 0x1000 r-- private file f 0x3000\n"
			   "1 mmap 0x11000 0x1000 r-- private file f 0x4000\n"
			   "1 mmap 0x12000 0x1000 r-- private file f 0x6000\n"
			   "1 mmap 0x13000 0x1000 r-- shared file f 0x7000\n"
			   "1 mmap 0x14000 0x1000 r-- private anon\n1 maps\n"),
		  "1 map 0x10000 0x12000 r-- private file f 0x3000\n"
		  "1 map 0x12000 0x13000 r-- private file f 0x6000\n"
		  "1 map 0x13000 0x14000 r-- shared file f 0x7000\n"
		  "1 map 0x14000 0x15000 r-- private anon\n");
	CHECK_EQ(model_min_entries(s.m, 1), 4);
	/* Inheritance is invisible in maps but counts as an entry boundary. */
	CHECK_STR(step(&s, "1 madvise 0x10000 0x1000 dontfork\n1 maps\n"),
		  "1 map 0x10000 0x12000 r-- private file f 0x3000\n"
		  "1 map 0x12000 0x13000 r-- private file f 0x6000\n"
		  "1 map 0x13000 0x14000 r-- shared file f 0x7000\n"
		  "1 map 0x14000 0x15000 r-- private anon\n");
	CHECK_EQ(model_min_entries(s.m, 1), 5);
	step(&s, "1 madvise 0x10000 0x1000 dofork\n");
	CHECK_EQ(model_min_entries(s.m, 1), 4);
	CHECK_EQ(model_min_entries(s.m, 99), 0);
	session_close(&s);
}

/* ---- processes ---- */

TEST(fork_copy_on_write)
{
	struct session s;
	session_open(&s);
	uint8_t parent[2 * PG], child[2 * PG];

	step(&s, "1 spawn\n1 mmap 0x10000 0x2000 rw- private anon\n1 write 0x10000 0x2000 1\n");
	t_fill(parent, 1, 0x10000, 2 * PG);
	step(&s, "1 fork 2\n");
	memcpy(child, parent, sizeof child);
	/* Each side's later stores are its own. */
	step(&s, "1 write 0x10000 0x10 2\n2 write 0x11000 0x10 3\n");
	t_fill(parent, 2, 0x10000, 0x10);
	t_fill(child + PG, 3, 0x11000, 0x10);
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, parent, 2 * PG));
	CHECK_STR(step(&s, "2 read 0x10000 0x2000\n"), rd(2, 0x10000, child, 2 * PG));
	/* A grandchild of the child sees the child's bytes. */
	step(&s, "2 fork 3\n2 write 0x11000 0x1000 4\n");
	CHECK_STR(step(&s, "3 read 0x10000 0x2000\n"), rd(3, 0x10000, child, 2 * PG));
	CHECK_STR(step(&s, "2 maps\n"), "2 map 0x10000 0x12000 rw- private anon\n");
	session_close(&s);
}

TEST(fork_shared_and_dontfork)
{
	struct session s;
	session_open(&s);
	uint8_t img[PG];

	step(&s, "1 spawn\n1 mmap 0x10000 0x1000 rw- shared anon\n"
		 "1 mmap 0x20000 0x2000 rw- private anon\n"
		 "1 madvise 0x21000 0x1000 dontfork\n1 write 0x20000 0x2000 5\n1 fork 2\n");
	/* Shared memory is shared both ways. */
	step(&s, "2 write 0x10000 0x1000 6\n");
	t_fill(img, 6, 0x10000, PG);
	CHECK_STR(step(&s, "1 read 0x10000 0x1000\n"), rd(1, 0x10000, img, PG));
	step(&s, "1 write 0x10000 0x800 7\n");
	t_fill(img, 7, 0x10000, 0x800);
	CHECK_STR(step(&s, "2 read 0x10000 0x1000\n"), rd(2, 0x10000, img, PG));
	/* The dontfork page is absent in the child. */
	CHECK_STR(step(&s, "2 maps\n"),
		  "2 map 0x10000 0x11000 rw- shared anon\n"
		  "2 map 0x20000 0x21000 rw- private anon\n");
	CHECK_STR(step(&s, "2 read 0x20ff0 0x20\n"), "2 segv 0x21000\n");
	t_fill(img, 5, 0x21000, PG);
	CHECK_STR(step(&s, "1 read 0x21000 0x1000\n"), rd(1, 0x21000, img, PG));
	/* dofork brings it back for the next fork. */
	step(&s, "1 madvise 0x20000 0x2000 dofork\n1 fork 3\n");
	CHECK_STR(step(&s, "3 read 0x21000 0x1000\n"), rd(3, 0x21000, img, PG));
	CHECK_EQ(model_min_entries(s.m, 3), 2);
	session_close(&s);
}

TEST(exec_exit_kill_reuse)
{
	struct session s;
	session_open(&s);
	uint8_t zero[16] = { 0 };

	step(&s, "1 spawn\n1 mmap 0x10000 0x1000 rw- private anon\n1 write 0x10000 16 1\n");
	CHECK_STR(step(&s, "1 exec\n1 maps\n1 read 0x10000 1\n"), "1 segv 0x10000\n");
	CHECK_EQ(model_min_entries(s.m, 1), 0);
	step(&s, "1 mmap 0x10000 0x1000 rw- private anon\n1 write 0x10000 16 1\n1 exit\n");
	/* The id comes back empty. */
	CHECK_STR(step(&s, "1 spawn\n1 mmap 0x10000 0x1000 rw- private anon\n1 read 0x10000 16\n"),
		  rd(1, 0x10000, zero, 16));
	step(&s, "1 write 0x10000 16 1\n1 fork 2\n");
	model_kill(s.m, 1);
	trace_pids_killed(s.pids, 1);
	CHECK_EQ(model_min_entries(s.m, 1), 0);
	CHECK_EQ(model_min_entries(s.m, 2), 1);
	uint8_t img[16];
	t_fill(img, 1, 0x10000, 16);
	CHECK_STR(step(&s, "2 read 0x10000 16\n"), rd(2, 0x10000, img, 16));
	CHECK_STR(step(&s, "2 fork 1\n1 read 0x10000 16\n"), rd(1, 0x10000, img, 16));
	CHECK_STR(step(&s, "check\nstat\n1 vmdump\n"), "");
	session_close(&s);
}

/* ---- files through the file interface ---- */

TEST(pread_pwrite)
{
	struct session s;
	session_open(&s);
	uint8_t f[3 * PG];
	memset(f, 0, sizeof f);

	step(&s, "1 spawn\nfile data 5000 3\n");
	t_fill(f, 3, 0, 5000);
	CHECK_STR(step(&s, "1 pread data 0 5000\n"), prd(1, "data", 0, f, 5000));
	/* Up to EOF; LEN says how much was read. */
	CHECK_STR(step(&s, "1 pread data 4000 0x1000\n"), prd(1, "data", 4000, f + 4000, 1000));
	CHECK_STR(step(&s, "1 pread data 5000 10\n"), prd(1, "data", 5000, f, 0));
	CHECK_STR(step(&s, "1 pread data 0x7fffffffffffff00 0xff\n"),
		  prd(1, "data", 0x7fffffffffffff00, f, 0));
	CHECK_STR(step(&s, "1 pread data 0x7fffffffffffff00 0x100\n"), "1 pread error EINVAL\n");
	CHECK_STR(step(&s, "1 pread data 0x8000000000000000 0\n"), "1 pread error EINVAL\n");
	CHECK_STR(step(&s, "1 pread nosuch 0x7fffffffffffff00 0x100\n"), "1 pread error ENOENT\n");
	CHECK_STR(step(&s, "1 pwrite nosuch 0 1 1\n"), "1 pwrite error ENOENT\n");
	CHECK_STR(step(&s, "1 pwrite data 0xffffffffffffffff 2 1\n"), "1 pwrite error EINVAL\n");
	/* A file holds 2^40 bytes: past that EFBIG, and nothing written;
	 * EINVAL (past 2^63 - 1) and ENOENT come first. */
	CHECK_STR(step(&s, "1 pwrite data 0xffffffffff 2 1\n"), "1 pwrite error EFBIG\n");
	CHECK_STR(step(&s, "1 pwrite data 0x10000000000 1 1\n"), "1 pwrite error EFBIG\n");
	CHECK_STR(step(&s, "1 pwrite data 0x4000000000000000 0x2000 7\n"),
		  "1 pwrite error EFBIG\n");
	CHECK_STR(step(&s, "1 pwrite data 0x7fffffffffffffff 1 1\n"), "1 pwrite error EINVAL\n");
	CHECK_STR(step(&s, "1 pwrite nosuch 0x4000000000000000 1 1\n"),
		  "1 pwrite error ENOENT\n");
	CHECK_STR(step(&s, "1 pwrite data 0x10000000000 0 1\n"), "");
	CHECK_STR(step(&s, "1 pread data 0 0x10000\n"), prd(1, "data", 0, f, 5000));
	/* Growing leaves a gap of zeros; an empty pwrite does not grow. */
	CHECK_STR(step(&s, "1 pwrite data 9000 0 1\n"), "");
	CHECK_STR(step(&s, "1 pread data 0 0x10000\n"), prd(1, "data", 0, f, 5000));
	CHECK_STR(step(&s, "1 pwrite data 9000 100 4\n"), "");
	t_fill(f + 9000, 4, 9000, 100);
	CHECK_STR(step(&s, "1 pread data 0 0x10000\n"), prd(1, "data", 0, f, 9100));
	/* Overwrite inside, straddling a page boundary. */
	step(&s, "1 pwrite data 4090 10 5\n");
	t_fill(f + 4090, 5, 4090, 10);
	CHECK_STR(step(&s, "1 pread data 0 0x10000\n"), prd(1, "data", 0, f, 9100));
	/* Recreation truncates and rewrites. */
	step(&s, "file data 10 6\n");
	t_fill(f, 6, 0, 10);
	CHECK_STR(step(&s, "1 pread data 0 100\n"), prd(1, "data", 0, f, 10));
	/* A pwrite may end exactly at 2^40: the file grows to hold 2^40. */
	CHECK_STR(step(&s, "1 pwrite data 0xfffffffff8 8 9\n"), "");
	memset(f, 0, 16);
	t_fill(f + 8, 9, 0xfffffffff8, 8);
	CHECK_STR(step(&s, "1 pread data 0xfffffffff0 0x100\n"),
		  prd(1, "data", 0xfffffffff0, f, 16));
	session_close(&s);
}

/* ---- file mappings ---- */

TEST(shared_file_mapping)
{
	struct session s;
	session_open(&s);
	uint8_t f[2 * PG], v[2 * PG];
	memset(f, 0, sizeof f);

	step(&s, "1 spawn\nfile d 5000 1\n1 mmap 0x10000 0x3000 rw- shared file d 0\n");
	t_fill(f, 1, 0, 5000);
	memcpy(v, f, sizeof v); /* past EOF in the last page: zeros */
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, v, 2 * PG));
	/* The third page is wholly past EOF. */
	CHECK_STR(step(&s, "1 read 0x11f00 0x200\n"), "1 sigbus 0x12000\n");
	CHECK_STR(step(&s, "1 touch 0x12000 1 w\n"), "1 sigbus 0x12000\n");
	/* pwrite shows through the mapping; stores show through pread. */
	step(&s, "1 pwrite d 100 50 2\n1 write 0x10800 0x100 3\n");
	t_fill(f + 100, 2, 100, 50);
	t_fill(f + 0x800, 3, 0x10800, 0x100);
	memcpy(v, f, sizeof v);
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, v, 2 * PG));
	CHECK_STR(step(&s, "1 pread d 0 8000\n"), prd(1, "d", 0, f, 5000));
	/* Another process's shared mapping sees the same bytes. */
	step(&s, "2 spawn\n2 mmap 0x40000 0x1000 r-- shared file d 0x1000\n");
	CHECK_STR(step(&s, "2 read 0x40000 0x1000\n"), rd(2, 0x40000, v + PG, PG));
	/* The file grows: the page that was past EOF becomes readable. */
	step(&s, "1 pwrite d 9000 10 4\n");
	uint8_t p3[PG];
	memset(p3, 0, sizeof p3);
	t_fill(p3 + 9000 - 2 * PG, 4, 9000, 10);
	CHECK_STR(step(&s, "1 read 0x12000 0x1000\n"), rd(1, 0x12000, p3, PG));
	/* msync, willneed, pageout and dontneed change no content. */
	step(&s, "1 msync 0x10000 0x3000\n1 madvise 0x10000 0x3000 pageout\n"
		 "1 madvise 0x10000 0x3000 willneed\n1 madvise 0x10000 0x3000 dontneed\n");
	uint8_t all[3 * PG];
	memset(all, 0, sizeof all);
	memcpy(all, f, 5000);
	memcpy(all + 2 * PG, p3, PG);
	CHECK_STR(step(&s, "1 read 0x10000 0x3000\n"), rd(1, 0x10000, all, 3 * PG));
	session_close(&s);
}

TEST(shared_store_past_eof_is_unspecified)
{
	struct session s;
	session_open(&s);
	uint8_t f[PG];
	memset(f, 0, sizeof f);
	t_fill(f, 1, 0, 100);

	step(&s, "1 spawn\nfile d 100 1\n1 mmap 0x10000 0x1000 rw- shared file d 0\n"
		 "1 mmap 0x20000 0x1000 rw- private file d 0\n");
	/* Reading the zero tail is fine before any store reaches it. */
	CHECK_STR(step(&s, "1 read 0x10000 0x1000\n"), rd(1, 0x10000, f, PG));
	step(&s, "1 write 0x10050 0x100 2\n");
	t_fill(f + 0x50, 2, 0x10050, 100 - 0x50);
	/* The file did not grow, and its bytes below EOF changed. */
	CHECK_STR(step(&s, "1 pread d 0 0x1000\n"), prd(1, "d", 0, f, 100));
	CHECK_STR(step(&s, "1 read 0x10000 100\n"), rd(1, 0x10000, f, 100));
	CHECK_STR(step(&s, "1 read 0x20000 100\n"), rd(1, 0x20000, f, 100));
	/* Any read covering a byte past EOF of that page is unspecified,
	 * through either mapping. */
	CHECK_STR(step(&s, "1 read 0x10000 101\n"), rdu(1, 0x10000, 101));
	CHECK_STR(step(&s, "1 read 0x20f00 0x10\n"), rdu(1, 0x20f00, 0x10));
	/* A private copy taken now keeps the tail unspecified, except bytes
	 * the process stores itself. */
	step(&s, "1 write 0x20200 0x10 3\n");
	CHECK_STR(step(&s, "1 read 0x20100 0x10\n"), rdu(1, 0x20100, 0x10));
	uint8_t mine[0x10];
	t_fill(mine, 3, 0x20200, 0x10);
	CHECK_STR(step(&s, "1 read 0x20200 0x10\n"), rd(1, 0x20200, mine, 0x10));
	CHECK_STR(step(&s, "1 read 0x20000 100\n"), rd(1, 0x20000, f, 100));
	/* The file grows over the page: its bytes come from the file again. */
	step(&s, "1 pwrite d 0x1000 1 4\n");
	CHECK_STR(step(&s, "1 read 0x10000 0x1000\n"), rd(1, 0x10000, f, PG));
	session_close(&s);
}

TEST(private_file_mapping)
{
	struct session s;
	session_open(&s);
	uint8_t f[2 * PG], v[2 * PG];
	memset(f, 0, sizeof f);
	t_fill(f, 1, 0, 6000);

	step(&s, "1 spawn\nfile d 6000 1\n1 mmap 0x10000 0x2000 rw- private file d 0\n");
	/* Shows the file, including later pwrites. */
	step(&s, "2 spawn\n2 pwrite d 10 10 2\n");
	t_fill(f + 10, 2, 10, 10);
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, f, 2 * PG));
	/* The first store makes the page the process's own. */
	step(&s, "1 write 0x10020 0x10 3\n");
	memcpy(v, f, sizeof v);
	t_fill(v + 0x20, 3, 0x10020, 0x10);
	step(&s, "2 pwrite d 0 0x1000 4\n2 pwrite d 0x1000 10 5\n");
	t_fill(f, 4, 0, PG);
	t_fill(f + PG, 5, PG, 10);
	memcpy(v + PG, f + PG, PG); /* the second page still follows the file */
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, v, 2 * PG));
	/* The private store never reached the file. */
	CHECK_STR(step(&s, "2 pread d 0 6000\n"), prd(2, "d", 0, f, 6000));
	/* Past EOF: zeros, then the process's own bytes, never the file's. */
	step(&s, "1 write 0x11f00 0x100 6\n");
	t_fill(v + 0x1f00, 6, 0x11f00, 0x100);
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, v, 2 * PG));
	CHECK_STR(step(&s, "2 pread d 0 0x10000\n"), prd(2, "d", 0, f, 6000));
	/* A fork shares the copies as copy-on-write. */
	step(&s, "1 fork 3\n3 write 0x10000 1 7\n");
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, v, 2 * PG));
	/* dontneed drops the copies: the pages show the file again. */
	step(&s, "1 madvise 0x10000 0x2000 dontneed\n");
	CHECK_STR(step(&s, "1 read 0x10000 0x2000\n"), rd(1, 0x10000, f, 2 * PG));
	/* A write touch is a store: the page stops following the file. */
	step(&s, "1 touch 0x10000 1 w\n2 pwrite d 0 1 8\n");
	memcpy(v, f, sizeof v);
	t_fill(f, 8, 0, 1);
	CHECK_STR(step(&s, "1 read 0x10000 0x1000\n"), rd(1, 0x10000, v, PG));
	CHECK_STR(step(&s, "1 read 0x11000 0x1000\n"), rd(1, 0x11000, f + PG, PG));
	/* A read touch is not a store. */
	step(&s, "1 touch 0x11000 1 r\n2 pwrite d 0x1000 1 9\n");
	t_fill(f + PG, 9, PG, 1);
	CHECK_STR(step(&s, "1 read 0x11000 0x1000\n"), rd(1, 0x11000, f + PG, PG));
	session_close(&s);
}

TEST(file_sigbus_and_segv)
{
	struct session s;
	session_open(&s);
	step(&s, "1 spawn\nfile e 0 1\nfile d 10 1\n"
		 "1 mmap 0x10000 0x2000 rw- private file e 0\n"
		 "1 mmap 0x20000 0x1000 --- shared file d 0x5000\n"
		 "1 mmap 0x30000 0x1000 r-- private file d 0x1000\n");
	CHECK_STR(step(&s, "1 read 0x10000 1\n"), "1 sigbus 0x10000\n");
	CHECK_STR(step(&s, "1 write 0x10010 1 1\n"), "1 sigbus 0x10010\n");
	CHECK_STR(step(&s, "1 touch 0x11000 1 w\n"), "1 sigbus 0x11000\n");
	/* The protection is checked first. */
	CHECK_STR(step(&s, "1 read 0x20000 1\n"), "1 segv 0x20000\n");
	CHECK_STR(step(&s, "1 write 0x30000 1 1\n"), "1 segv 0x30000\n");
	CHECK_STR(step(&s, "1 read 0x30000 1\n"), "1 sigbus 0x30000\n");
	session_close(&s);
}

TEST(dontneed_and_hints)
{
	struct session s;
	session_open(&s);
	uint8_t zero[2 * PG], sh[PG], pv[PG];
	memset(zero, 0, sizeof zero);

	step(&s, "1 spawn\n1 mmap 0x10000 0x1000 rw- shared anon\n"
		 "1 mmap 0x11000 0x1000 rw- private anon\n1 write 0x10000 0x2000 1\n");
	t_fill(sh, 1, 0x10000, PG);
	t_fill(pv, 1, 0x11000, PG);
	step(&s, "1 madvise 0x10000 0x2000 willneed\n1 madvise 0x10000 0x2000 pageout\n"
		 "1 msync 0x10000 0x2000\n");
	{
		static struct sb b;
		sb_reset(&b);
		sb_add(&b, "%s", rd(1, 0x10000, sh, PG));
		sb_add(&b, "%s", rd(1, 0x11000, pv, PG));
		CHECK_STR(step(&s, "1 read 0x10000 0x1000\n1 read 0x11000 0x1000\n"), b.s);
	}
	/* dontneed: shared keeps its bytes, private anonymous reads zeros. */
	step(&s, "1 madvise 0x10000 0x2000 dontneed\n");
	CHECK_STR(step(&s, "1 read 0x10000 0x1000\n"), rd(1, 0x10000, sh, PG));
	CHECK_STR(step(&s, "1 read 0x11000 0x1000\n"), rd(1, 0x11000, zero, PG));
	session_close(&s);
}

TEST(recreated_file_is_unspecified)
{
	struct session s;
	session_open(&s);
	step(&s, "1 spawn\nfile d 0x2000 1\n1 mmap 0x10000 0x1000 r-- shared file d 0\n"
		 "1 mmap 0x20000 0x1000 rw- private file d 0\n1 write 0x20000 1 1\n"
		 "1 fork 2\nfile d 0x2000 2\n");
	CHECK_STR(step(&s, "1 read 0x10000 0x10\n"), rdu(1, 0x10000, 0x10));
	CHECK_STR(step(&s, "1 read 0x20000 0x10\n"), rdu(1, 0x20000, 0x10));
	CHECK_STR(step(&s, "2 read 0x10000 0x10\n"), rdu(2, 0x10000, 0x10));
	/* A mapping made after the recreation is specified. */
	uint8_t f[0x10];
	t_fill(f, 2, 0x1000, 0x10);
	step(&s, "1 mmap 0x11000 0x1000 r-- shared file d 0x1000\n");
	CHECK_STR(step(&s, "1 read 0x11000 0x10\n"), rd(1, 0x11000, f, 0x10));
	/* Stale and fresh spans of one file are still one run in maps. */
	CHECK_STR(step(&s, "1 maps\n"),
		  "1 map 0x10000 0x12000 r-- shared file d 0x0\n"
		  "1 map 0x20000 0x21000 rw- private file d 0x0\n");
	CHECK_EQ(model_min_entries(s.m, 1), 2);
	session_close(&s);
}

/* ---- laziness: huge sparse mappings ---- */

TEST(huge_sparse_mappings)
{
	struct session s;
	session_open(&s);
	uint8_t a[PG], zero[PG];
	memset(zero, 0, sizeof zero);

	step(&s, "1 spawn\n1 mmap 0x100000000000 0x400000000000 rw- private anon\n"
		 "1 write 0x100000000000 0x1000 1\n1 write 0x4ffffffff000 0x1000 2\n");
	t_fill(a, 2, 0x4ffffffff000, PG);
	CHECK_STR(step(&s, "1 read 0x4ffffffff000 0x1000\n"), rd(1, 0x4ffffffff000, a, PG));
	CHECK_STR(step(&s, "1 read 0x300000000000 0x1000\n"), rd(1, 0x300000000000, zero, PG));
	/* A protection change in the middle of it, and a fork of it all. */
	step(&s, "1 mprotect 0x200000000000 0x100000000000 r--\n1 fork 2\n");
	CHECK_STR(step(&s, "2 maps\n"),
		  "2 map 0x100000000000 0x200000000000 rw- private anon\n"
		  "2 map 0x200000000000 0x300000000000 r-- private anon\n"
		  "2 map 0x300000000000 0x500000000000 rw- private anon\n");
	CHECK_STR(step(&s, "2 read 0x4ffffffff000 0x1000\n"), rd(2, 0x4ffffffff000, a, PG));
	/* Unmapping nearly all of it drops the far page, in the child only. */
	CHECK_STR(step(&s, "2 munmap 0x100000001000 0x3ffffffff000\n2 read 0x4ffffffff000 1\n"),
		  "2 segv 0x4ffffffff000\n");
	step(&s, "2 mmap 0x4ffffffff000 0x1000 rw- private anon\n");
	CHECK_STR(step(&s, "2 read 0x4ffffffff000 0x1000\n"), rd(2, 0x4ffffffff000, zero, PG));
	CHECK_STR(step(&s, "1 read 0x4ffffffff000 0x1000\n"), rd(1, 0x4ffffffff000, a, PG));
	step(&s, "1 madvise 0x100000000000 0x400000000000 dontneed\n");
	CHECK_STR(step(&s, "1 read 0x4ffffffff000 0x1000\n"), rd(1, 0x4ffffffff000, zero, PG));
	session_close(&s);
}

/* ---- the event list helpers ---- */

TEST(event_list)
{
	struct trace_events e = { 0 };
	for (int i = 0; i < 100; i++) {
		struct trace_event *ev = trace_events_push(&e);
		CHECK(ev->pid == 0 && ev->kind == 0 && !ev->hash_unspecified);
		ev->pid = (uint64_t)i + 1;
		ev->hash_unspecified = true;
	}
	CHECK_EQ(e.n, 100);
	CHECK_EQ(e.ev[99].pid, 100);
	trace_events_clear(&e);
	CHECK_EQ(e.n, 0);
	CHECK(!trace_events_push(&e)->hash_unspecified);
	trace_events_free(&e);
	CHECK(e.ev == NULL && e.n == 0);
}

int main(void)
{
	RUN(anon_zero_write_read);
	RUN(segv_stops_and_keeps_earlier_pages);
	RUN(protections);
	RUN(mmap_errors);
	RUN(munmap_rules);
	RUN(range_op_errors_change_nothing);
	RUN(maps_runs);
	RUN(fork_copy_on_write);
	RUN(fork_shared_and_dontfork);
	RUN(exec_exit_kill_reuse);
	RUN(pread_pwrite);
	RUN(shared_file_mapping);
	RUN(shared_store_past_eof_is_unspecified);
	RUN(private_file_mapping);
	RUN(file_sigbus_and_segv);
	RUN(dontneed_and_hints);
	RUN(recreated_file_is_unspecified);
	RUN(huge_sparse_mappings);
	RUN(event_list);
	return check_done();
}
