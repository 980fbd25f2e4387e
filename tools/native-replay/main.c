/*
 * main.c - native-replay's driver: runs a trace on the host Linux and
 * prints the spec's output lines, so that mvm can be diffed against a
 * real kernel (tools/trace-diff).
 *
 *   native-replay TRACE        ("-" reads standard input)
 *
 * The driver reads the trace with the shared parser, admits each
 * operation with the shared process table (so bad input is exactly what
 * `mvm replay` calls bad input), and then:
 *   - answers the spec's argument errors itself, before any system call
 *     (Linux disagrees on some: it checks the address before EOVERFLOW),
 *     but leaves to the host those it answers as the spec does without
 *     changing anything: zero-length mprotect/madvise/msync (0, or
 *     EINVAL for an unaligned ADDR), and EOVERFLOW inside the window;
 *   - answers operations that reach outside the native window without
 *     touching the host's own memory there (see run_range_op), and
 *     refuses the one kind it cannot answer: an mmap outside the window;
 *   - performs `file`, `pread` and `pwrite` itself on the private file
 *     directory (files.c);
 *   - sends everything else to the worker of the process and prints what
 *     the worker answers before reading the next line, so the output is in
 *     trace order however many processes run.
 *
 * The driver is a child subreaper: forked workers are re-parented to it,
 * and it reaps every worker, on every way out.  Output goes to stdout;
 * messages to stderr as `FILE:LINE: message`.
 */
#include "native.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/trace_hash.h"

struct worker {
	uint64_t pid;   /* trace process id */
	pid_t host;     /* host process id */
	int fd;         /* driver's end of the channel */
};

static struct {
	const char *display;    /* FILE in messages */
	struct trace_reader *reader;
	struct trace_pids *pids;
	struct worker *workers;
	size_t nworkers, capworkers;
	struct trace_hash index; /* trace pid -> position in workers + 1 */
	struct chan_msg msg;
} drv;

/* ---------------------------------------------------------------------- */
/* Ending */

/* Closes every channel (workers exit on end of stream) and reaps every
 * child, adopted ones included, then removes the files. */
static void shutdown_all(void)
{
	for (size_t i = 0; i < drv.nworkers; i++)
		close(drv.workers[i].fd);
	drv.nworkers = 0;
	while (waitpid(-1, NULL, 0) > 0 || errno == EINTR)
		;
	files_cleanup();
}

static _Noreturn void finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "native-replay: error writing the output\n");
		if (status == 0)
			status = NATIVE_EXIT_HOST;
	}
	shutdown_all();
	trace_reader_close(drv.reader);
	trace_pids_destroy(drv.pids);
	trace_hash_free(&drv.index);
	free(drv.workers);
	exit(status);
}

/* Bad input or a refused line: earlier output first, then the message. */
static _Noreturn void fail_at(const struct trace_op *op, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static _Noreturn void fail_at(const struct trace_op *op, int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%llu: ", drv.display, (unsigned long long)op->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	finish(status);
}

static void on_signal(int sig)
{
	files_cleanup_async();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---------------------------------------------------------------------- */
/* Workers */

static struct worker *find_worker(uint64_t pid)
{
	uint64_t *i = trace_hash_find(&drv.index, pid);

	return i ? &drv.workers[*i - 1] : NULL;
}

static void add_worker(uint64_t pid, pid_t host, int fd)
{
	if (drv.nworkers == drv.capworkers) {
		size_t cap = drv.capworkers ? drv.capworkers * 2 : 16;
		struct worker *w = realloc(drv.workers, cap * sizeof *w);
		if (!w) {
			fprintf(stderr, "native-replay: out of memory\n");
			finish(NATIVE_EXIT_HOST);
		}
		drv.workers = w;
		drv.capworkers = cap;
	}
	drv.workers[drv.nworkers] = (struct worker){ pid, host, fd };
	*trace_hash_insert(&drv.index, pid) = ++drv.nworkers;
}

/* Forgets W (its process has exited) and reaps it. */
static void remove_worker(struct worker *w)
{
	size_t i = (size_t)(w - drv.workers);
	pid_t host = w->host;

	close(w->fd);
	trace_hash_remove(&drv.index, w->pid);
	if (i + 1 != drv.nworkers) {
		drv.workers[i] = drv.workers[drv.nworkers - 1];
		*trace_hash_find(&drv.index, drv.workers[i].pid) = i + 1;
	}
	drv.nworkers--;
	while (waitpid(host, NULL, 0) < 0 && errno == EINTR)
		;
}

static void spawn_worker(const struct trace_op *op)
{
	int sv[2];
	pid_t host;

	if (chan_pair(sv) < 0)
		fail_at(op, NATIVE_EXIT_HOST, "socketpair: %s", strerror(errno));
	fflush(stdout); /* the child must not inherit unwritten output */
	host = fork();
	if (host < 0)
		fail_at(op, NATIVE_EXIT_HOST, "fork: %s", strerror(errno));
	if (host == 0) {
		for (size_t i = 0; i < drv.nworkers; i++)
			close(drv.workers[i].fd);
		close(sv[0]);
		worker_main(sv[1]);
	}
	close(sv[1]);
	add_worker(op->pid, host, sv[0]);
}

/* Sends OP to its worker and copies the worker's lines to stdout. */
static void delegate(const struct trace_op *op)
{
	struct worker *w = find_worker(op->pid);

	if (!w)
		fail_at(op, NATIVE_EXIT_HOST, "internal error: no worker for process %llu",
			(unsigned long long)op->pid);
	if (chan_send(w->fd, CHAN_OP, op, sizeof *op, 0, -1) < 0)
		fail_at(op, NATIVE_EXIT_HOST, "process %llu is gone: %s",
			(unsigned long long)op->pid, strerror(errno));
	for (;;) {
		struct chan_msg *m = &drv.msg;
		int rc = chan_recv(w->fd, m);
		if (rc <= 0)
			fail_at(op, NATIVE_EXIT_HOST, "the host process of %llu died",
				(unsigned long long)op->pid);
		switch (m->type) {
		case CHAN_TEXT:
			fwrite(m->payload, 1, m->len, stdout);
			break;
		case CHAN_CHILD:
			add_worker(op->child, m->host_pid, m->fd);
			w = find_worker(op->pid); /* the array may have moved */
			break;
		case CHAN_DONE:
			if (op->kind == TRACE_EXIT)
				remove_worker(w);
			return;
		case CHAN_FATAL:
			fail_at(op, NATIVE_EXIT_HOST, "process %llu: %.*s",
				(unsigned long long)op->pid, (int)m->len, m->payload);
		default:
			fail_at(op, NATIVE_EXIT_HOST, "bad message from process %llu",
				(unsigned long long)op->pid);
		}
	}
}

/* ---------------------------------------------------------------------- */
/* The spec's checks, before any system call */

static void print_error(const struct trace_op *op, const char *word)
{
	struct trace_event ev = { .kind = TEV_ERROR, .pid = op->pid, .op = op->kind,
				  .word = word };
	trace_event_format(&ev, stdout);
}

static bool in_window(uint64_t addr, uint64_t end)
{
	return addr >= NATIVE_WINDOW_BASE && end <= NATIVE_WINDOW_END && addr < end;
}

/*
 * A file mapping that reaches offset 2^63 (LENR: the page-rounded LEN).
 * Linux's file_mmap_ok() refuses pgoff > (MAX_LFS_FILESIZE - len) >> 12,
 * which with MAX_LFS_FILESIZE = 2^63 - 1 is OFF + LENR >= 2^63.
 */
static bool reaches_2_63(const struct trace_op *op, uint64_t lenr)
{
	return op->off >= (1ull << 63) || lenr >= (1ull << 63) - op->off;
}

/*
 * Errors of mmap, munmap, mprotect, madvise and msync that need no
 * address space, in the spec's order: EINVAL, ENOENT, EOVERFLOW.  Sets
 * *END to the end of the page-rounded range.  EOVERFLOW inside the window
 * is left to the host: Linux refuses before it unmaps anything.  Outside,
 * Linux would say ENOMEM first (it checks the address before the offset),
 * so the spec's order is kept here.
 */
static const char *range_error(const struct trace_op *op, uint64_t *end)
{
	const uint64_t mask = NATIVE_PAGE - 1;
	uint64_t lenr;

	if ((op->addr & mask) || op->len == 0 || op->len > UINT64_MAX - mask)
		return "EINVAL";
	lenr = (op->len + mask) & ~mask;
	if (lenr > UINT64_MAX - op->addr) /* wraps, or ends exactly at 2^64 */
		return "EINVAL";
	*end = op->addr + lenr;
	if (op->kind != TRACE_MMAP || !op->file)
		return NULL;
	if (op->off & mask)
		return "EINVAL";
	if (!files_exist(op->name))
		return "ENOENT";
	if (reaches_2_63(op, lenr) && !in_window(op->addr, *end))
		return "EOVERFLOW";
	return NULL;
}

/*
 * Linux's x86-64 user space with 4-level tables ends one page below 2^47
 * (TASK_SIZE_MAX); a range reaching past it is refused by the kernel
 * before anything changes.  The driver answers those itself, so that the
 * answer does not depend on whether this host has 5-level paging.
 */
#define LINUX_USER_END ((1ull << 47) - NATIVE_PAGE)

/*
 * The trace can only ever map inside the window (an mmap elsewhere in user
 * space is refused), so outside it every page is unmapped, and most
 * operations that reach outside have a known answer without touching the
 * host's own memory: munmap there does nothing, mprotect/madvise/msync
 * find unmapped pages (ENOMEM), and accesses stop with segv at the first
 * page outside.  Only an mmap outside the window cannot be run safely.
 */
static void run_range_op(const struct trace_op *op)
{
	uint64_t end = 0;
	const char *e;
	struct trace_op clipped;

	/* Zero-length mprotect/madvise/msync: Linux answers from ADDR alone
	 * (0 if aligned, else EINVAL) and touches no memory, wherever ADDR
	 * is, so the host gives the answer the spec now follows. */
	if (op->len == 0 && op->kind != TRACE_MMAP && op->kind != TRACE_MUNMAP) {
		delegate(op);
		return;
	}
	e = range_error(op, &end);
	if (e) {
		print_error(op, e);
		return;
	}
	switch (op->kind) {
	case TRACE_MMAP:
		if (end > LINUX_USER_END) {
			print_error(op, "ENOMEM");
			return;
		}
		if (!in_window(op->addr, end))
			fail_at(op, NATIVE_EXIT_BAD, "address range outside the native window");
		break;
	case TRACE_MUNMAP:
		if (end > LINUX_USER_END) {
			print_error(op, "EINVAL");
			return;
		}
		clipped = *op;
		clipped.addr = op->addr > NATIVE_WINDOW_BASE ? op->addr : NATIVE_WINDOW_BASE;
		end = end < NATIVE_WINDOW_END ? end : NATIVE_WINDOW_END;
		if (clipped.addr >= end)
			return; /* nothing of the trace's can be mapped there */
		clipped.len = end - clipped.addr;
		delegate(&clipped);
		return;
	default:
		if (!in_window(op->addr, end)) {
			print_error(op, "ENOMEM");
			return;
		}
		break;
	}
	delegate(op);
}

/* read, write, touch: a zero length needs no memory, and an access that
 * starts outside the window stops at once on its unmapped first page. */
static void run_access(const struct trace_op *op)
{
	struct trace_event ev = { .pid = op->pid, .addr = op->addr };

	if (op->len == 0) {
		if (op->kind == TRACE_READ) {
			ev.kind = TEV_READ;
			ev.hash = TRACE_FNV_OFFSET;
			trace_event_format(&ev, stdout);
		}
		return;
	}
	if (op->addr < NATIVE_WINDOW_BASE || op->addr >= NATIVE_WINDOW_END) {
		ev.kind = TEV_SEGV;
		trace_event_format(&ev, stdout);
		return;
	}
	delegate(op);
}

static void run_file_op(const struct trace_op *op)
{
	char err[400];
	struct trace_event ev;
	bool has_ev = true;
	int rc;

	if (op->kind == TRACE_FILE)
		rc = files_create(op, err, sizeof err);
	else if (op->kind == TRACE_PREAD)
		rc = files_pread(op, &ev, err, sizeof err);
	else
		rc = files_pwrite(op, &ev, &has_ev, err, sizeof err);
	if (rc < 0)
		fail_at(op, NATIVE_EXIT_HOST, "%s", err);
	if (op->kind != TRACE_FILE && has_ev)
		trace_event_format(&ev, stdout);
}

static void run_op(const struct trace_op *op)
{
	switch (op->kind) {
	case TRACE_SPAWN:
		spawn_worker(op);
		break;
	case TRACE_FORK:
	case TRACE_EXEC:
	case TRACE_EXIT:
	case TRACE_MAPS:
		delegate(op);
		break;
	case TRACE_MMAP:
	case TRACE_MUNMAP:
	case TRACE_MPROTECT:
	case TRACE_MADVISE:
	case TRACE_MSYNC:
		run_range_op(op);
		break;
	case TRACE_READ:
	case TRACE_WRITE:
	case TRACE_TOUCH:
		run_access(op);
		break;
	case TRACE_FILE:
	case TRACE_PREAD:
	case TRACE_PWRITE:
		run_file_op(op);
		break;
	case TRACE_VMDUMP:
	case TRACE_CHECK:
	case TRACE_STAT:
	case TRACE_KIND_COUNT:
		break;
	}
}

/* ---------------------------------------------------------------------- */

static void usage(FILE *to)
{
	fprintf(to,
		"usage: native-replay TRACE\n"
		"Runs TRACE (\"-\" for standard input) on the host Linux, one host\n"
		"process per trace process, and prints the spec's output lines.\n"
		"Every mmap must lie in the window [0x%llx, 0x%llx).\n"
		"Exit: 0 done, 2 bad input or outside the window, 3 host failure,\n"
		"77 this host cannot serve (the window is in use).\n",
		(unsigned long long)NATIVE_WINDOW_BASE,
		(unsigned long long)NATIVE_WINDOW_END);
}

static void setup(const char *path)
{
	char err[600];

	if (native_window_in_use(err, sizeof err)) {
		fprintf(stderr, "native-replay: the native window is in use in this "
			"process (a sanitizer build?): %s\n", err);
		exit(NATIVE_EXIT_UNSUPPORTED);
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		fprintf(stderr, "native-replay: cannot become a subreaper: %s\n",
			strerror(errno));
		exit(NATIVE_EXIT_HOST);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGHUP, on_signal);
	drv.display = strcmp(path, "-") == 0 ? "<stdin>" : path;
	drv.reader = trace_reader_open(path, err, sizeof err);
	if (!drv.reader) {
		fprintf(stderr, "native-replay: %s\n", err);
		exit(NATIVE_EXIT_BAD);
	}
	if (files_init(err, sizeof err) < 0) {
		fprintf(stderr, "native-replay: %s\n", err);
		exit(NATIVE_EXIT_HOST);
	}
	drv.pids = trace_pids_create();
	trace_hash_init(&drv.index);
}

int main(int argc, char **argv)
{
	struct trace_op op;
	char err[400];
	int rc;

	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc != 2) {
		usage(stderr);
		return NATIVE_EXIT_BAD;
	}
	setup(argv[1]);
	while ((rc = trace_next(drv.reader, &op)) == 1) {
		switch (trace_pids_admit(drv.pids, &op, err, sizeof err)) {
		case TRACE_RUN:
			run_op(&op);
			break;
		case TRACE_SKIP:
			break; /* the host never kills, but follow the rules */
		case TRACE_BAD:
			fail_at(&op, NATIVE_EXIT_BAD, "%s", err);
		}
	}
	if (rc < 0) {
		fflush(stdout);
		fprintf(stderr, "%s\n", trace_reader_error(drv.reader));
		finish(NATIVE_EXIT_BAD);
	}
	finish(0);
}
