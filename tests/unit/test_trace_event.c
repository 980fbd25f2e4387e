/*
 * test_trace_event.c - output lines (src/sim/trace_event.c): exact
 * formatting per the spec's Output section, parsing back, equality, and
 * the content comparison of two `maps` listings.
 */
#include <string.h>

#include "check.h"
#include "trace/trace.h"

static char line[600];

static const char *fmt(const struct trace_event *ev)
{
	trace_event_format_buf(ev, line, sizeof line);
	return line;
}

static struct trace_event map_line(uint64_t start, uint64_t end, const char *prot,
				   bool shared, const char *file, uint64_t off)
{
	struct trace_event e;

	memset(&e, 0, sizeof e);
	e.kind = TEV_MAP;
	e.pid = 1;
	e.addr = start;
	e.end = end;
	e.prot = (uint8_t)((prot[0] == 'r' ? TRACE_PROT_R : 0) |
			   (prot[1] == 'w' ? TRACE_PROT_W : 0) |
			   (prot[2] == 'x' ? TRACE_PROT_X : 0));
	e.shared = shared;
	if (file) {
		e.file = true;
		strcpy(e.name, file);
		e.off = off;
	}
	return e;
}

TEST(format_every_kind)
{
	struct trace_event e;

	memset(&e, 0, sizeof e);
	e.kind = TEV_READ;
	e.pid = 3;
	e.addr = 0x10000;
	e.len = 0x1000;
	e.hash = 0x0123456789abcdefull;
	CHECK_STR(fmt(&e), "3 read 0x10000 0x1000 0123456789abcdef\n");
	e.len = 0;
	e.hash = TRACE_FNV_OFFSET;
	CHECK_STR(fmt(&e), "3 read 0x10000 0x0 cbf29ce484222325\n");
	e.hash = 5;
	CHECK_STR(fmt(&e), "3 read 0x10000 0x0 0000000000000005\n");

	memset(&e, 0, sizeof e);
	e.kind = TEV_PREAD;
	e.pid = 3;
	strcpy(e.name, "data.bin");
	e.off = 0;
	e.len = 0x10;
	e.hash = 0xffffffffffffffffull;
	CHECK_STR(fmt(&e), "3 pread data.bin 0x0 0x10 ffffffffffffffff\n");

	memset(&e, 0, sizeof e);
	e.kind = TEV_SEGV;
	e.pid = 3;
	e.addr = 0x10000;
	CHECK_STR(fmt(&e), "3 segv 0x10000\n");
	e.kind = TEV_SIGBUS;
	e.addr = 0xabcdef12345;
	CHECK_STR(fmt(&e), "3 sigbus 0xabcdef12345\n");

	memset(&e, 0, sizeof e);
	e.kind = TEV_KILLED;
	e.pid = 18446744073709551615ull;
	e.word = "oom";
	CHECK_STR(fmt(&e), "18446744073709551615 killed oom\n");

	memset(&e, 0, sizeof e);
	e.kind = TEV_ERROR;
	e.pid = 3;
	e.op = TRACE_MPROTECT;
	e.word = "ENOMEM";
	CHECK_STR(fmt(&e), "3 mprotect error ENOMEM\n");

	e = map_line(0x10000, 0x20000, "rw-", false, NULL, 0);
	e.pid = 3;
	CHECK_STR(fmt(&e), "3 map 0x10000 0x20000 rw- private anon\n");
	e = map_line(0x10000, 0x20000, "r--", true, "data.bin", 0x3000);
	e.pid = 3;
	CHECK_STR(fmt(&e), "3 map 0x10000 0x20000 r-- shared file data.bin 0x3000\n");
	e = map_line(0x0, 0xfffffffffffff000ull, "--x", true, NULL, 0);
	CHECK_STR(fmt(&e), "1 map 0x0 0xfffffffffffff000 --x shared anon\n");
	/* Cut like snprintf. */
	CHECK_EQ(trace_event_format_buf(&e, line, 6), 45);
	CHECK_STR(line, "1 map");
}

TEST(parse_inverts_format)
{
	static const char *const lines[] = {
		"3 read 0x10000 0x1000 0123456789abcdef",
		"3 read 0x0 0x0 cbf29ce484222325",
		"3 pread data.bin 0x0 0x10 ffffffffffffffff",
		"3 segv 0x10000",
		"12 sigbus 0xabc000",
		"3 killed oom",
		"3 killed io",
		"3 killed someday",
		"3 mprotect error ENOMEM",
		"3 mmap error EINVAL",
		"3 pread error ENOENT",
		"3 mmap error EOVERFLOW",
		"3 map 0x10000 0x20000 rw- private anon",
		"3 map 0x10000 0x20000 r-- shared file data.bin 0x3000",
		"18446744073709551615 map 0x0 0x1000 --- shared anon",
	};
	struct trace_event e;
	char buf[600];

	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		CHECK_EQ(trace_event_parse(lines[i], strlen(lines[i]), &e), 1);
		trace_event_format_buf(&e, buf, sizeof buf);
		buf[strlen(buf) - 1] = '\0';
		CHECK_STR(buf, lines[i]);
	}
	CHECK_EQ(trace_event_parse("3 mprotect error ENOMEM", 23, &e), 1);
	CHECK_EQ(e.kind, TEV_ERROR);
	CHECK_EQ(e.op, TRACE_MPROTECT);
	CHECK_STR(e.word, "ENOMEM");
	CHECK_EQ(trace_event_parse("7 map 0x1000 0x3000 r-x private file lib 0x2000",
				   47, &e), 1);
	CHECK_EQ(e.pid, 7);
	CHECK_EQ(e.addr, 0x1000);
	CHECK_EQ(e.end, 0x3000);
	CHECK_EQ(e.prot, TRACE_PROT_R | TRACE_PROT_X);
	CHECK(e.file);
	CHECK(!e.shared);
	CHECK_STR(e.name, "lib");
	CHECK_EQ(e.off, 0x2000);
}

TEST(parse_non_events_and_malformed)
{
	struct trace_event e;
	static const char *const bad[] = {
		"3 read 0x10000 0x1000 0123456789ABCDEF", /* uppercase hash */
		"3 read 0x10000 0x1000 123456789abcdef",  /* 15 digits */
		"3 read 0x10000 4096 0123456789abcdef",   /* decimal LEN */
		"3 read 0x010000 0x1000 0123456789abcdef", /* leading zero */
		"3 read 0X10000 0x1000 0123456789abcdef",
		"3 read 0x10000 0x1000",
		"3 read 0x10000 0x1000 0123456789abcdef x",
		"0 segv 0x1000",
		"03 segv 0x1000",
		"x segv 0x1000",
		"3 segv",
		"3 segv 0x1000 0x2000",
		"3 killed",
		"3 killed two words",
		"3 bogus error EINVAL",
		"3 mmap error",
		"3 mmap failed EINVAL",
		"3 map 0x1000 0x2000 rw- private",
		"3 map 0x1000 0x2000 rwz private anon",
		"3 map 0x1000 0x2000 rw- public anon",
		"3 map 0x1000 0x2000 rw- private file",
		"3 map 0x1000 0x2000 rw- private file a/b 0x0",
		"3 map 0x1000 0x2000 rw- private anon 0x0",
		"3 pread .. 0x0 0x0 cbf29ce484222325",
		"3 touch 0x1000 0x1000 r",
		"spawn",
		"3",
	};

	CHECK_EQ(trace_event_parse("", 0, &e), 0);
	CHECK_EQ(trace_event_parse("   ", 3, &e), 0);
	CHECK_EQ(trace_event_parse("# stat: 5 pages", 15, &e), 0);
	CHECK_EQ(trace_event_parse("  # indented", 12, &e), 0);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int rc = trace_event_parse(bad[i], strlen(bad[i]), &e);
		if (rc != -1)
			fprintf(stderr, "accepted: %s\n", bad[i]);
		CHECK_EQ(rc, -1);
	}
}

TEST(equality)
{
	struct trace_event a, b;
	const char *l1 = "3 read 0x10000 0x1000 0123456789abcdef";
	const char *l2 = "3 read 0x10000 0x1000 0123456789abcdee";

	trace_event_parse(l1, strlen(l1), &a);
	trace_event_parse(l1, strlen(l1), &b);
	CHECK(trace_event_equal(&a, &b));
	trace_event_parse(l2, strlen(l2), &b);
	CHECK(!trace_event_equal(&a, &b));
	b.hash_unspecified = true;
	CHECK(trace_event_equal(&a, &b));
	CHECK(trace_event_equal(&b, &a));
	b.len = 0x2000;
	CHECK(!trace_event_equal(&a, &b));

	trace_event_parse("3 segv 0x1000", 13, &a);
	trace_event_parse("3 sigbus 0x1000", 15, &b);
	CHECK(!trace_event_equal(&a, &b));
	trace_event_parse("4 segv 0x1000", 13, &b);
	CHECK(!trace_event_equal(&a, &b));

	trace_event_parse("3 mmap error EINVAL", 19, &a);
	trace_event_parse("3 mmap error ENOMEM", 19, &b);
	CHECK(!trace_event_equal(&a, &b));
	trace_event_parse("3 munmap error EINVAL", 21, &b);
	CHECK(!trace_event_equal(&a, &b));
	trace_event_parse("3 mmap error EINVAL", 19, &b);
	CHECK(trace_event_equal(&a, &b));

	trace_event_parse("3 killed oom", 12, &a);
	trace_event_parse("3 killed io", 11, &b);
	CHECK(!trace_event_equal(&a, &b));

	trace_event_parse("3 pread f 0x0 0x1 0000000000000001", 34, &a);
	trace_event_parse("3 pread g 0x0 0x1 0000000000000001", 34, &b);
	CHECK(!trace_event_equal(&a, &b));
}

static bool cmp(const struct trace_event *a, size_t na, const struct trace_event *b,
		size_t nb, char *why)
{
	return trace_maps_compare(a, na, b, nb, why, 300);
}

TEST(maps_compare_merges_runs)
{
	char why[300];
	/* One entry on one side, split entries on the other. */
	struct trace_event one[] = {
		map_line(0x1000, 0x5000, "rw-", false, NULL, 0),
		map_line(0x8000, 0xa000, "r--", true, "f", 0x1000),
	};
	struct trace_event split[] = {
		map_line(0x1000, 0x2000, "rw-", false, NULL, 0),
		map_line(0x2000, 0x5000, "rw-", false, NULL, 0),
		map_line(0x8000, 0x9000, "r--", true, "f", 0x1000),
		map_line(0x9000, 0xa000, "r--", true, "f", 0x2000),
	};

	CHECK(cmp(one, 2, split, 4, why));
	CHECK(cmp(split, 4, one, 2, why));
	CHECK(cmp(NULL, 0, NULL, 0, why));
}

TEST(maps_compare_finds_differences)
{
	char why[300];
	struct trace_event a[] = {
		map_line(0x1000, 0x5000, "rw-", false, NULL, 0),
	};
	struct trace_event prot[] = {
		map_line(0x1000, 0x3000, "rw-", false, NULL, 0),
		map_line(0x3000, 0x5000, "r--", false, NULL, 0),
	};
	struct trace_event shorter[] = {
		map_line(0x1000, 0x4000, "rw-", false, NULL, 0),
	};
	struct trace_event hole[] = {
		map_line(0x1000, 0x2000, "rw-", false, NULL, 0),
		map_line(0x3000, 0x5000, "rw-", false, NULL, 0),
	};
	struct trace_event sharing[] = {
		map_line(0x1000, 0x5000, "rw-", true, NULL, 0),
	};

	CHECK(!cmp(a, 1, prot, 2, why));
	CHECK_STR(why, "maps differ at 0x3000: A has 0x1000-0x5000 rw- private anon, "
		  "B has 0x1000-0x3000 rw- private anon");
	CHECK(!cmp(a, 1, shorter, 1, why));
	CHECK_STR(why, "maps differ at 0x4000: A has 0x1000-0x5000 rw- private anon, "
		  "B has 0x1000-0x4000 rw- private anon");
	CHECK(!cmp(a, 1, hole, 2, why));
	CHECK_STR(why, "maps differ at 0x2000: A has 0x1000-0x5000 rw- private anon, "
		  "B has 0x1000-0x2000 rw- private anon");
	CHECK(!cmp(a, 1, sharing, 1, why));
	CHECK_STR(why, "maps differ at 0x1000: A has 0x1000-0x5000 rw- private anon, "
		  "B has 0x1000-0x5000 rw- shared anon");
	CHECK(!cmp(a, 1, NULL, 0, why));
	CHECK_STR(why, "maps differ at 0x1000: A has 0x1000-0x5000 rw- private anon, "
		  "B has nothing more");
	CHECK(!cmp(NULL, 0, a, 1, why));
	CHECK_STR(why, "maps differ at 0x1000: A has nothing more, "
		  "B has 0x1000-0x5000 rw- private anon");
}

TEST(maps_compare_files)
{
	char why[300];
	struct trace_event a[] = { map_line(0x1000, 0x3000, "r--", false, "f", 0) };
	struct trace_event gap[] = {
		map_line(0x1000, 0x2000, "r--", false, "f", 0),
		map_line(0x2000, 0x3000, "r--", false, "f", 0x2000), /* offset jumps */
	};
	struct trace_event other[] = {
		map_line(0x1000, 0x2000, "r--", false, "f", 0),
		map_line(0x2000, 0x3000, "r--", false, "g", 0x1000),
	};
	struct trace_event off[] = { map_line(0x1000, 0x3000, "r--", false, "f", 0x1000) };

	CHECK(!cmp(a, 1, gap, 2, why));
	CHECK_STR(why, "maps differ at 0x2000: A has 0x1000-0x3000 r-- private file f 0x0, "
		  "B has 0x1000-0x2000 r-- private file f 0x0");
	CHECK(!cmp(a, 1, other, 2, why));
	CHECK(!cmp(a, 1, off, 1, why));
	CHECK_STR(why, "maps differ at 0x1000: A has 0x1000-0x3000 r-- private file f 0x0, "
		  "B has 0x1000-0x3000 r-- private file f 0x1000");
}

TEST(maps_compare_shared_anon_objects)
{
	char why[300];
	/* A map line does not name the shared object, so two shared anonymous
	 * lines side by side compare as the same content as one line. */
	struct trace_event two[] = {
		map_line(0x1000, 0x2000, "rw-", true, NULL, 0),
		map_line(0x2000, 0x3000, "rw-", true, NULL, 0),
	};
	struct trace_event one[] = { map_line(0x1000, 0x3000, "rw-", true, NULL, 0) };
	/* Two private ones are one run. */
	struct trace_event ptwo[] = {
		map_line(0x1000, 0x2000, "rw-", false, NULL, 0),
		map_line(0x2000, 0x3000, "rw-", false, NULL, 0),
	};
	struct trace_event pone[] = { map_line(0x1000, 0x3000, "rw-", false, NULL, 0) };

	CHECK(cmp(two, 2, one, 1, why));
	CHECK(cmp(two, 2, two, 2, why));
	CHECK(cmp(ptwo, 2, pone, 1, why));
	/* But shared and private never fold together. */
	CHECK(!cmp(two, 2, pone, 1, why));
}

TEST(maps_compare_rejects_disorder)
{
	char why[300];
	struct trace_event overlap[] = {
		map_line(0x1000, 0x3000, "rw-", false, NULL, 0),
		map_line(0x2000, 0x4000, "rw-", false, NULL, 0),
	};
	struct trace_event empty[] = { map_line(0x1000, 0x1000, "rw-", false, NULL, 0) };
	struct trace_event ok[] = { map_line(0x1000, 0x4000, "rw-", false, NULL, 0) };

	CHECK(!cmp(overlap, 2, ok, 1, why));
	CHECK_STR(why, "A's map line for 0x2000-0x4000 is empty, overlaps, or is out of order");
	CHECK(!cmp(ok, 1, empty, 1, why));
	CHECK_STR(why, "B's map line for 0x1000-0x1000 is empty, overlaps, or is out of order");
}

int main(void)
{
	RUN(format_every_kind);
	RUN(parse_inverts_format);
	RUN(parse_non_events_and_malformed);
	RUN(equality);
	RUN(maps_compare_merges_runs);
	RUN(maps_compare_finds_differences);
	RUN(maps_compare_files);
	RUN(maps_compare_shared_anon_objects);
	RUN(maps_compare_rejects_disorder);
	return check_done();
}
