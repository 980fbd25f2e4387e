/*
 * files.c - the trace's files, as real files in a private directory.
 *
 * The trace's flat namespace of NAMEs maps to one directory made with
 * mkdtemp under $TMPDIR (or /tmp) and removed when the replay ends, on
 * every path out: normal end, bad input, host failure, or a terminating
 * signal.  The driver alone creates and writes files (`file`, `pwrite`)
 * and reads them (`pread`); workers only open them to map.  Because Linux
 * keeps one page cache per file, a `pwrite` here is seen by every
 * process's mappings exactly as the spec's "one copy of file data" says.
 *
 * `file NAME SIZE SEED` rewrites an existing file in place (same inode,
 * ftruncate to SIZE, then the pattern), so existing mappings keep
 * following it; the spec leaves that effect unspecified.
 *
 * The names created are kept in a list that only ever grows at its head
 * by one pointer store, so a signal handler can walk it safely and
 * unlink with unlinkat(), an async-signal-safe call.
 */
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IO_CHUNK ((size_t)1 << 20)
#define FILE_OFF_MAX ((uint64_t)INT64_MAX) /* 2^63 - 1 */

struct file_name {
	struct file_name *next;
	char name[TRACE_NAME_MAX + 1];
};

static char dir_path[PATH_MAX];
static int dir_fd = -1;
static struct file_name *volatile names;
static volatile int dir_live;

int files_init(char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp)
		tmp = "/tmp";
	snprintf(dir_path, sizeof dir_path, "%s/native-replay.XXXXXX", tmp);
	if (!mkdtemp(dir_path)) {
		snprintf(err, errlen, "cannot create a directory in %s: %s", tmp,
			 strerror(errno));
		return -1;
	}
	dir_fd = open(dir_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", dir_path, strerror(errno));
		rmdir(dir_path);
		return -1;
	}
	dir_live = 1;
	return 0;
}

const char *files_dir(void)
{
	return dir_path;
}

void files_path(const char *name, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s/%s", dir_path, name);
}

void files_cleanup_async(void)
{
	if (!dir_live)
		return;
	for (struct file_name *f = names; f; f = f->next)
		unlinkat(dir_fd, f->name, 0);
	rmdir(dir_path);
	dir_live = 0;
}

void files_cleanup(void)
{
	files_cleanup_async();
	while (names) {
		struct file_name *f = names;
		names = f->next;
		free(f);
	}
	if (dir_fd >= 0)
		close(dir_fd);
	dir_fd = -1;
}

bool files_exist(const char *name)
{
	struct stat st;

	return fstatat(dir_fd, name, &st, 0) == 0;
}

static int remember(const char *name)
{
	struct file_name *f;

	for (f = names; f; f = f->next)
		if (strcmp(f->name, name) == 0)
			return 0;
	f = calloc(1, sizeof *f);
	if (!f)
		return -1;
	snprintf(f->name, sizeof f->name, "%s", name);
	f->next = names;
	names = f; /* one store: the signal handler sees old or new head */
	return 0;
}

int files_create(const struct trace_op *op, char *err, size_t errlen)
{
	int fd;

	if (remember(op->name) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = openat(dir_fd, op->name, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	/* The parser refuses SIZE past TRACE_FILE_SIZE_MAX; this guards it. */
	if (fd < 0 || op->len > TRACE_FILE_SIZE_MAX || ftruncate(fd, (off_t)op->len) < 0 ||
	    !trace_pattern_write_fd(fd, op->seed, 0, op->len)) {
		snprintf(err, errlen, "file %s (size 0x%llx): %s", op->name,
			 (unsigned long long)op->len,
			 op->len > TRACE_FILE_SIZE_MAX ? "more than a file may hold" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static void error_event(const struct trace_op *op, const char *word,
			struct trace_event *ev)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = TEV_ERROR;
	ev->pid = op->pid;
	ev->op = op->kind;
	ev->word = word;
}

/*
 * The spec's pread/pwrite errors, in its order: ENOENT, then EINVAL when
 * OFF + LEN passes 2^63 - 1, then EFBIG for a pwrite with a non-zero LEN
 * whose OFF + LEN passes 2^40.  The host's own limit differs (ext4: 16
 * TiB, tmpfs: 2^63 - 1), and Linux writes what fits below it instead of
 * refusing, so the 2^40 rule is the driver's.  Returns the errno name or
 * NULL.
 */
static const char *file_io_error(const struct trace_op *op)
{
	if (!files_exist(op->name))
		return "ENOENT";
	if (op->off > FILE_OFF_MAX || op->len > FILE_OFF_MAX - op->off)
		return "EINVAL";
	if (op->kind == TRACE_PWRITE && op->len != 0 && op->off + op->len > TRACE_FILE_SIZE_MAX)
		return "EFBIG";
	return NULL;
}

int files_pread(const struct trace_op *op, struct trace_event *ev,
		char *err, size_t errlen)
{
	static uint8_t *buf;
	const char *e = file_io_error(op);
	uint64_t h = TRACE_FNV_OFFSET, done = 0;
	int fd;

	if (e) {
		error_event(op, e, ev);
		return 0;
	}
	if (!buf && !(buf = malloc(IO_CHUNK))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = openat(dir_fd, op->name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto fail;
	while (done < op->len) {
		uint64_t left = op->len - done;
		size_t want = left < IO_CHUNK ? (size_t)left : IO_CHUNK;
		ssize_t n = pread(fd, buf, want, (off_t)(op->off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			goto fail;
		}
		if (n == 0)
			break; /* end of file: the line gives what was read */
		h = trace_fnv1a(h, buf, (size_t)n);
		done += (uint64_t)n;
	}
	close(fd);
	memset(ev, 0, sizeof *ev);
	ev->kind = TEV_PREAD;
	ev->pid = op->pid;
	snprintf(ev->name, sizeof ev->name, "%s", op->name);
	ev->off = op->off;
	ev->len = done;
	ev->hash = h;
	return 0;
fail:
	snprintf(err, errlen, "pread %s: %s", op->name, strerror(errno));
	return -1;
}

int files_pwrite(const struct trace_op *op, struct trace_event *ev, bool *has_ev,
		 char *err, size_t errlen)
{
	const char *e = file_io_error(op);
	int fd;

	*has_ev = false;
	if (e) {
		error_event(op, e, ev);
		*has_ev = true;
		return 0;
	}
	fd = openat(dir_fd, op->name, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || !trace_pattern_write_fd(fd, op->seed, op->off, op->len)) {
		snprintf(err, errlen, "pwrite %s: %s", op->name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
