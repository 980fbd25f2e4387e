/*
 * slurp.c - reading a whole trace into memory, compressed or not.
 *
 * `mvm curve` reads its trace once to build the reference string and
 * then replays it once per memory size, so it keeps the text.  zlib's
 * gzread passes uncompressed input through unchanged, so a `.gz` trace
 * (a recorded workload kept small) and a plain one read alike.
 */
#include "curve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

bool curve_slurp(const char *path, char **buf, size_t *len, char *err, size_t errlen)
{
	gzFile in = strcmp(path, "-") == 0 ? gzdopen(dup(STDIN_FILENO), "rb") : gzopen(path, "rb");
	size_t cap = 1 << 16;
	int got = 0;
	char *grown;

	if (in == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno ? errno : ENOMEM));
		return false;
	}
	*len = 0;
	*buf = malloc(cap);
	while (*buf != NULL && (got = gzread(in, *buf + *len, (unsigned)(cap - *len))) > 0) {
		*len += (size_t)got;
		if (*len == cap) {
			grown = realloc(*buf, cap *= 2);
			if (grown == NULL)
				free(*buf);   /* reported as out of memory below */
			*buf = grown;
		}
	}
	if (*buf == NULL || got < 0) {
		int e = 0;
		const char *why = *buf == NULL ? "out of memory" : gzerror(in, &e);

		snprintf(err, errlen, "cannot read %s: %s", path, e == Z_ERRNO ? strerror(errno) : why);
		free(*buf);
		gzclose(in);
		return false;
	}
	gzclose(in);
	return true;
}
