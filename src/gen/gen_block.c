/*
 * gen_block.c - a trace from a published block reference trace (gen_block.h).
 *
 * The whole block list is read first, because the file's size (the
 * highest block + 1 pages) must be declared before the first reference.
 * zlib's gzgets reads compressed and plain files alike.
 */
#include "gen_block.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BLOCK_BASE ((uint64_t)0x100000000000)  /* in tools/native-replay's window */

struct blocks {
	uint32_t *b;
	size_t n, cap;
	uint32_t highest;
};

/* One line: a block number, a `*` marker or nothing.  False if neither. */
static bool parse_line(char *line, struct blocks *bl)
{
	char *end;
	unsigned long long v;

	line[strcspn(line, "\r\n")] = '\0';
	line += strspn(line, " \t");
	if (*line == '\0' || strcmp(line, "*") == 0)
		return true;
	if (*line < '0' || *line > '9')
		return false;
	errno = 0;
	v = strtoull(line, &end, 10);
	if (errno != 0 || end[strspn(end, " \t")] != '\0' || v > GEN_BLOCK_MAX)
		return false;
	if (bl->n == bl->cap) {
		bl->cap = bl->cap ? 2 * bl->cap : 4096;
		bl->b = realloc(bl->b, bl->cap * sizeof *bl->b);
		if (bl->b == NULL)
			abort(); /* host memory exhausted */
	}
	bl->b[bl->n++] = (uint32_t)v;
	if (v > bl->highest)
		bl->highest = (uint32_t)v;
	return true;
}

static int read_blocks(const char *path, struct blocks *bl, char *err, size_t errlen)
{
	gzFile in = gzopen(path, "rb");
	char line[256];
	uint64_t lineno = 0;

	if (in == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno ? errno : ENOMEM));
		return 2;
	}
	while (gzgets(in, line, sizeof line) != NULL) {
		lineno++;
		if (!parse_line(line, bl)) {
			snprintf(err, errlen, "%s:%" PRIu64 ": not a block number (0 to %u) or `*`",
				 path, lineno, GEN_BLOCK_MAX);
			gzclose(in);
			return 2;
		}
	}
	if (!gzeof(in)) {
		int e;

		snprintf(err, errlen, "%s: cannot read: %s", path, gzerror(in, &e));
		gzclose(in);
		return 2;
	}
	gzclose(in);
	if (bl->n == 0) {
		snprintf(err, errlen, "%s: no block references", path);
		return 2;
	}
	return 0;
}

static void print_trace(FILE *out, const char *path, const struct blocks *bl, bool pread)
{
	uint64_t size = ((uint64_t)bl->highest + 1) * 4096;

	fprintf(out, "mvm-trace 1\n# gen block %s: %zu references, highest block %" PRIu32
		     "; one page per block, each reference a one-page %s\n",
		path, bl->n, bl->highest, pread ? "pread" : "touch r of a shared read-only mapping");
	fprintf(out, "file blocks %" PRIu64 " 1\n1 spawn\n", size);
	if (!pread)
		fprintf(out, "1 mmap 0x%" PRIx64 " %" PRIu64 " r-- shared file blocks 0\n",
			BLOCK_BASE, size);
	for (size_t i = 0; i < bl->n; i++) {
		uint64_t off = (uint64_t)bl->b[i] * 4096;

		if (pread)
			fprintf(out, "1 pread blocks %" PRIu64 " 4096\n", off);
		else
			fprintf(out, "1 touch 0x%" PRIx64 " 1 r\n", BLOCK_BASE + off);
	}
	fputs("1 exit\n", out);
}

int gen_block(FILE *out, const char *path, bool pread, char *err, size_t errlen)
{
	struct blocks bl = {0};
	int status = read_blocks(path, &bl, err, errlen);

	if (status == 0)
		print_trace(out, path, &bl, pread);
	free(bl.b);
	return status;
}
