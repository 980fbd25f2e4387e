/*
 * test_trace.c - the trace parser, reader, canonical formatter and the
 * pattern/hash helpers (src/sim/trace.c) against the spec.
 *
 * Every kind of bad input has a case whose message is checked, because
 * the messages are the user interface of a malformed trace.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "trace/trace.h"

static struct trace_op op;
static char err[512];

/* Parses LINE as line 1 with the header allowed; returns the result. */
static int parse(const char *line)
{
	err[0] = '\0';
	return trace_parse_line(line, strlen(line), 1, true, &op, err, sizeof err);
}

/* LINE must be bad input with exactly MESSAGE. */
#define CHECK_BAD(line, message)                      \
	do {                                          \
		CHECK_EQ(parse(line), -1);            \
		CHECK_STR(err, message);              \
	} while (0)

TEST(names)
{
	CHECK_STR(trace_kind_name(TRACE_MPROTECT), "mprotect");
	CHECK_STR(trace_kind_name(TRACE_FILE), "file");
	CHECK_STR(trace_kind_name(TRACE_STAT), "stat");
	CHECK_STR(trace_advice_name(TRACE_ADV_PAGEOUT), "pageout");
	CHECK_STR(trace_advice_name(TRACE_ADV_DOFORK), "dofork");
}

TEST(every_operation)
{
	CHECK_EQ(parse("7 spawn"), 1);
	CHECK_EQ(op.kind, TRACE_SPAWN);
	CHECK_EQ(op.pid, 7);
	CHECK_EQ(op.line, 1);

	CHECK_EQ(parse("7 fork 12"), 1);
	CHECK_EQ(op.kind, TRACE_FORK);
	CHECK_EQ(op.child, 12);

	CHECK_EQ(parse("1 exec"), 1);
	CHECK_EQ(op.kind, TRACE_EXEC);
	CHECK_EQ(parse("1 exit"), 1);
	CHECK_EQ(op.kind, TRACE_EXIT);
	CHECK_EQ(parse("1 maps"), 1);
	CHECK_EQ(op.kind, TRACE_MAPS);
	CHECK_EQ(parse("1 vmdump"), 1);
	CHECK_EQ(op.kind, TRACE_VMDUMP);

	CHECK_EQ(parse("1 mmap 0x10000 8192 rw- private anon"), 1);
	CHECK_EQ(op.kind, TRACE_MMAP);
	CHECK_EQ(op.addr, 0x10000);
	CHECK_EQ(op.len, 8192);
	CHECK_EQ(op.prot, TRACE_PROT_R | TRACE_PROT_W);
	CHECK(!op.shared);
	CHECK(!op.file);

	CHECK_EQ(parse("1 mmap 0x10000 4K r-x shared file lib.so 0x3000"), 1);
	CHECK_EQ(op.len, 4096);
	CHECK_EQ(op.prot, TRACE_PROT_R | TRACE_PROT_X);
	CHECK(op.shared);
	CHECK(op.file);
	CHECK_STR(op.name, "lib.so");
	CHECK_EQ(op.off, 0x3000);

	CHECK_EQ(parse("1 munmap 0x1000 0x2000"), 1);
	CHECK_EQ(op.kind, TRACE_MUNMAP);
	CHECK_EQ(op.len, 0x2000);

	CHECK_EQ(parse("1 mprotect 0x1000 0x2000 ---"), 1);
	CHECK_EQ(op.kind, TRACE_MPROTECT);
	CHECK_EQ(op.prot, 0);

	CHECK_EQ(parse("1 madvise 0x1000 1M dontfork"), 1);
	CHECK_EQ(op.kind, TRACE_MADVISE);
	CHECK_EQ(op.advice, TRACE_ADV_DONTFORK);
	CHECK_EQ(op.len, 1 << 20);

	CHECK_EQ(parse("1 msync 0x1000 0x1000"), 1);
	CHECK_EQ(op.kind, TRACE_MSYNC);

	CHECK_EQ(parse("1 write 0x1000 100 42"), 1);
	CHECK_EQ(op.kind, TRACE_WRITE);
	CHECK_EQ(op.seed, 42);

	CHECK_EQ(parse("1 read 0x1000 100"), 1);
	CHECK_EQ(op.kind, TRACE_READ);

	CHECK_EQ(parse("1 touch 0x10000 4096 w"), 1);
	CHECK_EQ(op.kind, TRACE_TOUCH);
	CHECK(op.touch_write);
	CHECK_EQ(parse("1 touch 0x10000 4096 r"), 1);
	CHECK(!op.touch_write);

	CHECK_EQ(parse("1 pread data.bin 0x10 16"), 1);
	CHECK_EQ(op.kind, TRACE_PREAD);
	CHECK_STR(op.name, "data.bin");
	CHECK_EQ(op.off, 0x10);
	CHECK_EQ(op.len, 16);

	CHECK_EQ(parse("1 pwrite data.bin 0 2K 0xfeed"), 1);
	CHECK_EQ(op.kind, TRACE_PWRITE);
	CHECK_EQ(op.len, 2048);
	CHECK_EQ(op.seed, 0xfeed);

	CHECK_EQ(parse("file data.bin 1G 9"), 1);
	CHECK_EQ(op.kind, TRACE_FILE);
	CHECK_EQ(op.pid, 0);
	CHECK_EQ(op.len, 1ull << 30);
	CHECK_EQ(op.seed, 9);

	CHECK_EQ(parse("check"), 1);
	CHECK_EQ(op.kind, TRACE_CHECK);
	CHECK_EQ(parse("stat"), 1);
	CHECK_EQ(op.kind, TRACE_STAT);
}

TEST(fields_do_not_leak_between_lines)
{
	CHECK_EQ(parse("1 mmap 0x10000 4K rwx shared file f 0x1000"), 1);
	CHECK_EQ(parse("2 spawn"), 1);
	CHECK_EQ(op.addr, 0);
	CHECK_EQ(op.len, 0);
	CHECK_EQ(op.prot, 0);
	CHECK(!op.shared);
	CHECK(!op.file);
	CHECK_STR(op.name, "");
}

TEST(every_advice_and_prot)
{
	static const char *const adv[] = { "dontneed", "willneed", "pageout",
					   "dontfork", "dofork" };
	char line[64];

	for (int i = 0; i < 5; i++) {
		snprintf(line, sizeof line, "1 madvise 0 1 %s", adv[i]);
		CHECK_EQ(parse(line), 1);
		CHECK_EQ(op.advice, i);
	}
	for (unsigned p = 0; p < 8; p++) {
		snprintf(line, sizeof line, "1 mprotect 0 1 %c%c%c",
			 p & 1 ? 'r' : '-', p & 2 ? 'w' : '-', p & 4 ? 'x' : '-');
		CHECK_EQ(parse(line), 1);
		CHECK_EQ(op.prot, p);
	}
}

TEST(numbers)
{
	CHECK_EQ(parse("1 read 0xABCdef 0"), 1);
	CHECK_EQ(op.addr, 0xabcdef);
	CHECK_EQ(parse("1 read 18446744073709551615 0xffffffffffffffff"), 1);
	CHECK_EQ(op.addr, UINT64_MAX);
	CHECK_EQ(op.len, UINT64_MAX);
	CHECK_EQ(parse("1 read 0x00000000000000000000001 0755"), 1);
	CHECK_EQ(op.addr, 1);
	CHECK_EQ(op.len, 755); /* decimal, not octal */

	CHECK_BAD("1 read 18446744073709551616 1",
		  "number 18446744073709551616 does not fit in 64 bits");
	CHECK_BAD("1 read 0x1ffffffffffffffffff 1",
		  "number 0x1ffffffffffffffffff does not fit in 64 bits");
	CHECK_BAD("1 read 0X10 1", "expected ADDR (a number), got \"0X10\"");
	CHECK_BAD("1 read 0x 1", "expected ADDR (a number), got \"0x\"");
	CHECK_BAD("1 read 0xg 1", "expected ADDR (a number), got \"0xg\"");
	CHECK_BAD("1 read -1 1", "expected ADDR (a number), got \"-1\"");
	CHECK_BAD("1 read +1 1", "expected ADDR (a number), got \"+1\"");
	CHECK_BAD("1 read 12a 1", "expected ADDR (a number), got \"12a\"");
	CHECK_BAD("1 write 0 1 x", "expected SEED (a number), got \"x\"");
}

TEST(suffixes)
{
	CHECK_EQ(parse("1 read 0 64K"), 1);
	CHECK_EQ(op.len, 65536);
	CHECK_EQ(parse("1 read 0 3M"), 1);
	CHECK_EQ(op.len, 3u << 20);
	CHECK_EQ(parse("1 read 0 2G"), 1);
	CHECK_EQ(op.len, 2ull << 30);
	CHECK_EQ(parse("1 read 0 0x10K"), 1);
	CHECK_EQ(op.len, 0x4000);
	CHECK_EQ(parse("1 read 0 0x3fffffffffffffK"), 1);
	CHECK_EQ(op.len, 0x3fffffffffffffull << 10);
	CHECK_EQ(parse("file f 1024G 1"), 1);
	CHECK_EQ(op.len, 1ull << 40);
	CHECK_EQ(parse("1 pread f 0 1K"), 1);
	CHECK_EQ(op.len, 1024);

	CHECK_BAD("1 read 0 0x40000000000000K",
		  "number 0x40000000000000K does not fit in 64 bits");
	CHECK_BAD("1 read 0 17179869184G",
		  "number 17179869184G does not fit in 64 bits");
	CHECK_BAD("1 read 0 4k", "expected LEN (a number), got \"4k\"");
	CHECK_BAD("1 read 0 4KB", "expected LEN (a number), got \"4KB\"");
	CHECK_BAD("1 read 0 K", "expected LEN (a number), got \"K\"");
	CHECK_BAD("1 read 4K 1",
		  "expected ADDR (a number; K, M and G suffixes are only for LEN "
		  "and SIZE), got \"4K\"");
	CHECK_BAD("1 write 0 1 1K",
		  "expected SEED (a number; K, M and G suffixes are only for LEN "
		  "and SIZE), got \"1K\"");
	CHECK_BAD("1 pread f 1K 1",
		  "expected OFF (a number; K, M and G suffixes are only for LEN "
		  "and SIZE), got \"1K\"");
	CHECK_BAD("1 mmap 0 1 r-- private file f 4K",
		  "expected OFF (a number; K, M and G suffixes are only for LEN "
		  "and SIZE), got \"4K\"");
}

TEST(process_ids)
{
	CHECK_EQ(parse("18446744073709551615 spawn"), 1);
	CHECK_EQ(op.pid, UINT64_MAX);
	CHECK_BAD("0 spawn",
		  "expected a process id (a positive decimal number), got \"0\"");
	CHECK_BAD("0x1 spawn",
		  "expected a process id (a positive decimal number), got \"0x1\"");
	CHECK_BAD("1K spawn",
		  "expected a process id (a positive decimal number), got \"1K\"");
	CHECK_BAD("-1 spawn",
		  "expected a process id (a positive decimal number), got \"-1\"");
	CHECK_BAD("18446744073709551616 spawn",
		  "number 18446744073709551616 does not fit in 64 bits");
	CHECK_BAD("1 fork 0",
		  "expected child process id C (a positive decimal number), got \"0\"");
	CHECK_BAD("1 fork 0x2",
		  "expected child process id C (a positive decimal number), got \"0x2\"");
	CHECK_BAD("1 fork",
		  "expected child process id C (a positive decimal number), got end of line");
	CHECK_BAD("spawn", "expected a process id before \"spawn\"");
	CHECK_BAD("1", "expected an operation after process id 1, got end of line");
}

TEST(operands)
{
	CHECK_BAD("1 mprotect 0 1 rwz", "expected PROT (like rw-), got \"rwz\"");
	CHECK_BAD("1 mprotect 0 1 rw", "expected PROT (like rw-), got \"rw\"");
	CHECK_BAD("1 mprotect 0 1 rwx-", "expected PROT (like rw-), got \"rwx-\"");
	CHECK_BAD("1 mprotect 0 1 wr-", "expected PROT (like rw-), got \"wr-\"");
	CHECK_BAD("1 mprotect 0 1", "expected PROT (like rw-), got end of line");
	CHECK_BAD("1 mmap 0 1 rw- public anon",
		  "expected SHARING (private or shared), got \"public\"");
	CHECK_BAD("1 mmap 0 1 rw- private", "expected anon or file, got end of line");
	CHECK_BAD("1 mmap 0 1 rw- private anonymous",
		  "expected anon or file, got \"anonymous\"");
	CHECK_BAD("1 mmap 0 1 rw- private file",
		  "expected NAME ([A-Za-z0-9._-], not . or .., at most 255 characters), "
		  "got end of line");
	CHECK_BAD("1 mmap 0 1 rw- private file f", "expected OFF (a number), got end of line");
	CHECK_BAD("1 madvise 0 1 free",
		  "expected ADVICE (dontneed, willneed, pageout, dontfork or dofork), "
		  "got \"free\"");
	CHECK_BAD("1 touch 0 1 x", "expected MODE (r or w), got \"x\"");
	CHECK_BAD("1 touch 0 1 rw", "expected MODE (r or w), got \"rw\"");
	CHECK_BAD("1 touch 0 1", "expected MODE (r or w), got end of line");
	CHECK_BAD("1 read 0", "expected LEN (a number), got end of line");
	CHECK_BAD("1 read", "expected ADDR (a number), got end of line");
	CHECK_BAD("1 write 0 1", "expected SEED (a number), got end of line");
	CHECK_BAD("file f 1", "expected SEED (a number), got end of line");
	CHECK_BAD("file", "expected NAME ([A-Za-z0-9._-], not . or .., at most 255 "
		  "characters), got end of line");
	CHECK_BAD("1 pwrite f 0 1", "expected SEED (a number), got end of line");
}

/* A file holds at most 2^40 bytes (amendment of 2026-12-04): a larger
 * SIZE is bad input, whatever its form; 2^40 itself is fine. */
TEST(file_size_limit)
{
	CHECK_EQ(parse("file f 0x10000000000 1"), 1);
	CHECK_EQ(op.len, 1ull << 40);
	CHECK_BAD("file f 0x10000000001 1",
		  "file SIZE 0x10000000001 is more than a file may hold (2^40 bytes)");
	CHECK_BAD("file f 1025G 1",
		  "file SIZE 0x10040000000 is more than a file may hold (2^40 bytes)");
	CHECK_BAD("file f 0xffffffffffffffff 1",
		  "file SIZE 0xffffffffffffffff is more than a file may hold (2^40 bytes)");
	/* pwrite past 2^40 is a runtime error (EFBIG), not bad input. */
	CHECK_EQ(parse("1 pwrite f 0x4000000000000000 0x2000 7"), 1);
}

TEST(names_of_files)
{
	char line[400], name[300];

	CHECK_EQ(parse("1 pread A-z_0.9 0 1"), 1);
	CHECK_STR(op.name, "A-z_0.9");
	CHECK_EQ(parse("1 pread ... 0 1"), 1); /* only . and .. are reserved */
	CHECK_STR(op.name, "...");
	CHECK_BAD("1 pread . 0 1", "expected NAME ([A-Za-z0-9._-], not . or .., at "
		  "most 255 characters), got \".\"");
	CHECK_BAD("1 pread .. 0 1", "expected NAME ([A-Za-z0-9._-], not . or .., at "
		  "most 255 characters), got \"..\"");
	CHECK_BAD("1 pread a/b 0 1", "expected NAME ([A-Za-z0-9._-], not . or .., at "
		  "most 255 characters), got \"a/b\"");
	CHECK_BAD("file a\"b 1 1", "expected NAME ([A-Za-z0-9._-], not . or .., at "
		  "most 255 characters), got \"a\\\"b\"");

	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(line, sizeof line, "file %s 1 1", name);
	CHECK_EQ(parse(line), 1);
	CHECK_EQ(strlen(op.name), 255);
	name[255] = 'n';
	name[256] = '\0';
	snprintf(line, sizeof line, "file %s 1 1", name);
	CHECK_EQ(parse(line), -1);
	CHECK(strstr(err, "expected NAME") != NULL);
	CHECK(strstr(err, "...\"") != NULL); /* long tokens are cut in messages */
}

TEST(extra_and_unknown)
{
	CHECK_BAD("1 spawn foo", "unexpected \"foo\" after the operation");
	CHECK_BAD("1 read 0 1 2", "unexpected \"2\" after the operation");
	CHECK_BAD("1 mmap 0 1 rw- private file f 0 x",
		  "unexpected \"x\" after the operation");
	CHECK_BAD("check now", "unexpected \"now\" after the operation");
	CHECK_BAD("1 mmapp 0 1", "unknown operation \"mmapp\"");
	CHECK_BAD("mmapp", "unknown operation \"mmapp\"");
	CHECK_BAD("1 check", "unknown operation \"check\"");
	CHECK_BAD("1 a b c d e f g h i j k l", "unknown operation \"a\"");
	CHECK_BAD("1 spawn a b c d e f g h i j k l", "unexpected \"a\" after the operation");
	CHECK_BAD("1 SPAWN", "unknown operation \"SPAWN\"");
	CHECK_BAD("1 sp\x01wn", "unknown operation \"sp\\x01wn\"");
}

TEST(comments_blanks_and_separators)
{
	CHECK_EQ(parse(""), 0);
	CHECK_EQ(parse("   \t  "), 0);
	CHECK_EQ(parse("# a comment"), 0);
	CHECK_EQ(parse("   # indented"), 0);
	CHECK_EQ(parse("1 spawn # trailing"), 1);
	CHECK_EQ(parse("1 spawn# glued"), 1);
	CHECK_EQ(parse("\t1\tread\t0x10\t\t5 "), 1);
	CHECK_EQ(op.addr, 0x10);
	CHECK_EQ(op.len, 5);
	CHECK_EQ(parse("1 read 0x10#5"), -1); /* # ends the token and the line */
	CHECK_STR(err, "expected LEN (a number), got end of line");
}

TEST(carriage_return)
{
	CHECK_BAD("1 spawn\r", "unknown operation \"spawn\\r\" (a carriage return "
		  "is not a separator: convert CRLF line endings)");
	CHECK_BAD("1 read 0 4096\r", "expected LEN (a number), got \"4096\\r\" (a "
		  "carriage return is not a separator: convert CRLF line endings)");
	CHECK_BAD("\r", "unknown operation \"\\r\" (a carriage return is not a "
		  "separator: convert CRLF line endings)");
	CHECK_BAD("1 spawn \r", "unexpected \"\\r\" after the operation (a carriage "
		  "return is not a separator: convert CRLF line endings)");
}

TEST(header_line)
{
	CHECK_EQ(parse("mvm-trace 1"), 0);
	CHECK_EQ(parse("mvm-trace 1 # version one"), 0);
	CHECK_BAD("mvm-trace 2", "unsupported trace version 2");
	CHECK_BAD("mvm-trace 0", "unsupported trace version 0");
	CHECK_BAD("mvm-trace", "expected trace format version (a number), got end of line");
	CHECK_BAD("mvm-trace one", "expected trace format version (a number), got \"one\"");
	CHECK_BAD("mvm-trace 1 x", "unexpected \"x\" after the operation");
	CHECK_EQ(trace_parse_line("mvm-trace 1", 11, 5, false, &op, err, sizeof err), -1);
	CHECK_STR(err, "the header \"mvm-trace 1\" is allowed only as the first "
		  "line that is not blank or a comment");
}

/* Reads all of BUF; returns the number of ops, or -1 with err set. */
static int read_all(const char *buf, size_t len, struct trace_op *last)
{
	struct trace_reader *r = trace_reader_from_buffer("t.trace", buf, len);
	int n = 0, rc;

	while ((rc = trace_next(r, last)) == 1)
		n++;
	if (rc < 0) {
		snprintf(err, sizeof err, "%s", trace_reader_error(r));
		n = -1;
	}
	trace_reader_close(r);
	return n;
}
#define READ_ALL(s, last) read_all(s, sizeof(s) - 1, last)

TEST(reader_header_rules)
{
	struct trace_op last;

	CHECK_EQ(READ_ALL("mvm-trace 1\n1 spawn\n", &last), 1);
	CHECK_EQ(READ_ALL("# c\n\n  \nmvm-trace 1\n1 spawn\n", &last), 1);
	CHECK_EQ(last.line, 5);
	CHECK_EQ(READ_ALL("1 spawn\nmvm-trace 1\n", &last), -1);
	CHECK_STR(err, "t.trace:2: the header \"mvm-trace 1\" is allowed only as "
		  "the first line that is not blank or a comment");
	CHECK_EQ(READ_ALL("mvm-trace 1\nmvm-trace 1\n", &last), -1);
	CHECK_STR(err, "t.trace:2: the header \"mvm-trace 1\" is allowed only as "
		  "the first line that is not blank or a comment");
	CHECK_EQ(READ_ALL("# x\nmvm-trace 3\n", &last), -1);
	CHECK_STR(err, "t.trace:2: unsupported trace version 3");
	CHECK_EQ(READ_ALL("", &last), 0);
	CHECK_EQ(READ_ALL("\n\n# only comments", &last), 0);
}

TEST(reader_lines)
{
	struct trace_op last;

	CHECK_EQ(READ_ALL("1 spawn\n1 read 0 1", &last), 2); /* no final newline */
	CHECK_EQ(last.kind, TRACE_READ);
	CHECK_EQ(last.line, 2);
	CHECK_EQ(READ_ALL("1 spawn\r\n", &last), -1);
	CHECK(strncmp(err, "t.trace:1: unknown operation \"spawn\\r\"", 38) == 0);
	CHECK_EQ(READ_ALL("1 spawn\n\n\n1 bogus\n", &last), -1);
	CHECK_STR(err, "t.trace:4: unknown operation \"bogus\"");
	/* A NUL byte is just a bad character, not the end of the line. */
	CHECK_EQ(READ_ALL("1 spawn\n1 read 0 1\0002\n", &last), -1);
	CHECK_STR(err, "t.trace:2: expected LEN (a number), got \"1\\x002\"");
}

/* Writes LEN bytes of BUF to a temporary file and returns its path. */
static char *temp_file(const char *buf, size_t len)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof path, "/tmp/test_trace.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	for (size_t done = 0; done < len;) {
		ssize_t n = write(fd, buf + done, len - done);
		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	return path;
}

TEST(reader_file_blocks_and_long_lines)
{
	/* Many lines across several 1 MiB blocks, then very long lines. */
	size_t nlines = 200000, cap = 64u << 20, len = 0;
	char *buf = malloc(cap);
	struct trace_op o;
	char errbuf[256];

	len += (size_t)sprintf(buf + len, "mvm-trace 1\n");
	for (size_t i = 0; i < nlines; i++)
		len += (size_t)sprintf(buf + len, "%zu touch 0x%zx 4096 r\n", i + 1,
				       i * 4096);
	memset(buf + len, ' ', 3u << 20);      /* 3 MiB of blanks */
	len += 3u << 20;
	len += (size_t)sprintf(buf + len, "5 read 0x10 0x20\n");
	buf[len++] = '#';
	memset(buf + len, 'c', 5u << 20);      /* 5 MiB comment */
	len += 5u << 20;
	buf[len++] = '\n';
	len += (size_t)sprintf(buf + len, "6 read ");
	memset(buf + len, '0', 2u << 20);      /* a 2 MiB number: leading zeros */
	len += 2u << 20;
	len += (size_t)sprintf(buf + len, "7 0x10\n9 spawn");

	char *path = temp_file(buf, len);
	CHECK(path != NULL);
	struct trace_reader *r = trace_reader_open(path, errbuf, sizeof errbuf);
	CHECK(r != NULL);
	size_t n = 0;
	bool in_order = true;
	while (n < nlines && trace_next(r, &o) == 1) {
		if (o.pid != n + 1 || o.addr != n * 4096 || o.line != n + 2)
			in_order = false;
		n++;
	}
	CHECK_EQ(n, nlines);
	CHECK(in_order);
	CHECK_EQ(trace_next(r, &o), 1);
	CHECK_EQ(o.pid, 5);
	CHECK_EQ(o.len, 0x20);
	CHECK_EQ(o.line, nlines + 2);
	CHECK_EQ(trace_next(r, &o), 1);
	CHECK_EQ(o.pid, 6);
	CHECK_EQ(o.addr, 7);
	CHECK_EQ(o.len, 0x10);
	CHECK_EQ(o.line, nlines + 4);
	CHECK_EQ(trace_next(r, &o), 1);
	CHECK_EQ(o.pid, 9);
	CHECK_EQ(trace_next(r, &o), 0);
	trace_reader_close(r);
	unlink(path);
	free(buf);
}

TEST(reader_errors_name_the_file)
{
	char errbuf[256];
	struct trace_op o;
	static const char text[] = "1 spawn\n1 mmap 0 1 rw- privat anon\n";
	char *path = temp_file(text, sizeof text - 1);
	struct trace_reader *r = trace_reader_open(path, errbuf, sizeof errbuf);
	char expect[256];

	CHECK_EQ(trace_next(r, &o), 1);
	CHECK_EQ(trace_next(r, &o), -1);
	snprintf(expect, sizeof expect,
		 "%s:2: expected SHARING (private or shared), got \"privat\"", path);
	CHECK_STR(trace_reader_error(r), expect);
	CHECK_EQ(trace_next(r, &o), -1); /* stays failed */
	trace_reader_close(r);
	unlink(path);

	CHECK(trace_reader_open("/nonexistent/x.trace", errbuf, sizeof errbuf) == NULL);
	CHECK_STR(errbuf, "cannot open /nonexistent/x.trace: No such file or directory");
}

TEST(reader_stdin)
{
	int fds[2], saved = dup(0);
	char errbuf[256];
	struct trace_op o;
	static const char text[] = "1 spawn\n1 zap\n";

	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(write(fds[1], text, sizeof text - 1), (ssize_t)(sizeof text - 1));
	close(fds[1]);
	dup2(fds[0], 0);
	close(fds[0]);
	struct trace_reader *r = trace_reader_open("-", errbuf, sizeof errbuf);
	CHECK_EQ(trace_next(r, &o), 1);
	CHECK_EQ(trace_next(r, &o), -1);
	CHECK_STR(trace_reader_error(r), "<stdin>:2: unknown operation \"zap\"");
	trace_reader_close(r);
	dup2(saved, 0);
	close(saved);
}

static bool ops_equal(const struct trace_op *a, const struct trace_op *b)
{
	return a->kind == b->kind && a->pid == b->pid && a->child == b->child &&
	       a->addr == b->addr && a->len == b->len && a->off == b->off &&
	       a->seed == b->seed && a->prot == b->prot && a->shared == b->shared &&
	       a->file == b->file && a->touch_write == b->touch_write &&
	       a->advice == b->advice && strcmp(a->name, b->name) == 0;
}

/* A pseudo-random op of KIND with only the fields KIND uses set. */
static void random_op(enum trace_kind kind, uint64_t *state, struct trace_op *o)
{
	uint64_t r[6];

	for (int i = 0; i < 6; i++)
		r[i] = trace_splitmix64((*state)++);
	memset(o, 0, sizeof *o);
	o->kind = kind;
	if (kind != TRACE_FILE && kind != TRACE_CHECK && kind != TRACE_STAT)
		o->pid = (r[0] >> (r[0] & 63)) | 1;
	switch (kind) {
	case TRACE_FORK:
		o->child = r[1] | 1;
		break;
	case TRACE_MMAP:
		o->file = r[2] & 1;
		o->shared = (r[2] >> 1) & 1;
		if (o->file) {
			snprintf(o->name, sizeof o->name, "f-%llx.d_",
				 (unsigned long long)r[3]);
			o->off = r[4];
		}
		/* fall through */
	case TRACE_MPROTECT:
		o->prot = (uint8_t)(r[5] & 7);
		/* fall through */
	case TRACE_MUNMAP:
	case TRACE_MSYNC:
	case TRACE_READ:
		o->addr = r[0];
		o->len = r[1] >> (r[2] & 63);
		break;
	case TRACE_MADVISE:
		o->addr = r[0];
		o->len = r[1];
		o->advice = (enum trace_advice)(r[2] % 5);
		break;
	case TRACE_WRITE:
		o->addr = r[3];
		o->len = r[1];
		o->seed = r[2];
		break;
	case TRACE_TOUCH:
		o->addr = r[3];
		o->len = r[1];
		o->touch_write = r[2] & 1;
		break;
	case TRACE_PWRITE:
		o->seed = r[2];
		/* fall through */
	case TRACE_PREAD:
		snprintf(o->name, sizeof o->name, "%llu", (unsigned long long)r[3]);
		o->off = r[4];
		o->len = r[1];
		break;
	case TRACE_FILE:
		snprintf(o->name, sizeof o->name, "F%llu", (unsigned long long)r[3]);
		o->len = r[1] >> 24; /* a SIZE a line may give: below 2^40 */
		o->seed = r[2];
		break;
	default:
		break;
	}
}

TEST(format_round_trip)
{
	uint64_t state = 1;
	char buf[600];
	struct trace_op a, b;
	int mismatches = 0;

	for (int round = 0; round < 500; round++) {
		for (int k = 0; k < TRACE_KIND_COUNT; k++) {
			random_op((enum trace_kind)k, &state, &a);
			size_t n = trace_format_op_buf(&a, buf, sizeof buf);
			if (n == 0 || buf[n - 1] != '\n' ||
			    trace_parse_line(buf, n - 1, 3, false, &b, err, sizeof err) != 1 ||
			    !ops_equal(&a, &b)) {
				if (mismatches++ < 5)
					fprintf(stderr, "round trip failed: %s (%s)\n", buf, err);
			}
		}
	}
	CHECK_EQ(mismatches, 0);

	memset(&a, 0, sizeof a);
	a.kind = TRACE_MMAP;
	a.pid = 3;
	a.addr = 0x10000;
	a.len = 0x2000;
	a.prot = TRACE_PROT_R | TRACE_PROT_W;
	a.shared = true;
	a.file = true;
	strcpy(a.name, "data.bin");
	a.off = 0x3000;
	trace_format_op_buf(&a, buf, sizeof buf);
	CHECK_STR(buf, "3 mmap 0x10000 0x2000 rw- shared file data.bin 0x3000\n");
	a.kind = TRACE_WRITE;
	a.seed = 42;
	trace_format_op_buf(&a, buf, sizeof buf);
	CHECK_STR(buf, "3 write 0x10000 0x2000 42\n");
	a.kind = TRACE_FILE;
	a.len = 0;
	trace_format_op_buf(&a, buf, sizeof buf);
	CHECK_STR(buf, "file data.bin 0x0 42\n");
	a.kind = TRACE_FORK;
	a.child = 4;
	trace_format_op_buf(&a, buf, sizeof buf);
	CHECK_STR(buf, "3 fork 4\n");
	/* Cut like snprintf, full length returned. */
	CHECK_EQ(trace_format_op_buf(&a, buf, 4), 9);
	CHECK_STR(buf, "3 f");
}

TEST(splitmix_and_fnv)
{
	/* Reference values of splitmix64 and FNV-1a. */
	CHECK_EQ(trace_splitmix64(0), 0xe220a8397b1dcdafull);
	CHECK_EQ(trace_fnv1a(TRACE_FNV_OFFSET, NULL, 0), 0xcbf29ce484222325ull);
	CHECK_EQ(trace_fnv1a(TRACE_FNV_OFFSET, (const uint8_t *)"a", 1),
		 0xaf63dc4c8601ec8cull);
	CHECK_EQ(trace_fnv1a(TRACE_FNV_OFFSET, (const uint8_t *)"foobar", 6),
		 0x85944171f73967e8ull);
}

TEST(pattern_matches_byte_definition)
{
	uint8_t buf[80], want[80];
	int bad = 0;
	uint64_t seeds[] = { 0, 1, 42, UINT64_MAX };

	for (size_t s = 0; s < 4; s++) {
		for (uint64_t a = 0; a < 16; a++) {
			for (size_t len = 0; len <= 64; len++) {
				uint64_t base = (s & 1) ? a : UINT64_MAX - 40 + a; /* wraps */
				memset(buf, 0xee, sizeof buf);
				trace_pattern_fill(seeds[s], base, buf, len);
				for (size_t i = 0; i < len; i++)
					want[i] = trace_pattern_byte(seeds[s], base + i);
				if (memcmp(buf, want, len) != 0 || buf[len] != 0xee)
					bad++;
			}
		}
	}
	CHECK_EQ(bad, 0);
	/* Byte 0 of the pattern of seed S at 0 is the low byte of splitmix64(S). */
	CHECK_EQ(trace_pattern_byte(7, 0), trace_splitmix64(7) & 0xff);
	CHECK_EQ(trace_pattern_byte(7, 0x1003), (trace_splitmix64(7 ^ 0x1000) >> 24) & 0xff);
}

int main(void)
{
	RUN(names);
	RUN(every_operation);
	RUN(fields_do_not_leak_between_lines);
	RUN(every_advice_and_prot);
	RUN(numbers);
	RUN(suffixes);
	RUN(process_ids);
	RUN(operands);
	RUN(file_size_limit);
	RUN(names_of_files);
	RUN(extra_and_unknown);
	RUN(comments_blanks_and_separators);
	RUN(carriage_return);
	RUN(header_line);
	RUN(reader_header_rules);
	RUN(reader_lines);
	RUN(reader_file_blocks_and_long_lines);
	RUN(reader_errors_name_the_file);
	RUN(reader_stdin);
	RUN(format_round_trip);
	RUN(splitmix_and_fnv);
	RUN(pattern_matches_byte_definition);
	return check_done();
}
