/*
 * boot_qemu.c - `mvm boot`: the replay loop, with the kernel under qemu
 * as the machine.
 *
 * The host keeps everything that is about the trace rather than the
 * machine, exactly as `mvm replay` does it (src/sim/replay.c): one parser
 * (src/trace), one set of process rules (trace_pids), the oracle
 * (--verify), --check-every, FILE:LINE: messages and exit statuses.  The
 * kernel (src/kern) is the machine: each admitted operation goes to it
 * as a binary record on its second serial port, and it answers with the
 * spec's output lines and "!done" (proto.h).  The host parses those
 * lines back into events with the spec's own parser and prints them with
 * the one formatter, so the output is byte for byte what `mvm replay`
 * would print for the same events.
 *
 * qemu runs headless: COM1 (the kernel's log) goes to a temporary file,
 * shown on stderr with -v or when something goes wrong; COM2 is qemu's
 * standard input and output, two pipes here; isa-debug-exit gives the
 * kernel an exit status.  A panic ("!panic", or qemu exiting with the
 * panic status) and a kernel that stops answering for --timeout seconds
 * end the run with statuses of their own.
 */
#include "boot_qemu.h"

#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kern/proto.h"
#include "sim/replay.h"
#include "trace/trace.h"

struct boot {
	const struct boot_opts *opts;
	struct trace_reader *reader;
	struct trace_pids *pids;
	void *oracle;
	struct trace_events got;
	FILE *out;
	pid_t qemu;
	int to_kernel, from_kernel;
	char log_path[PATH_MAX];
	char buf[8192];     /* lines from the kernel */
	size_t have, used;
	uint64_t seq;       /* operations sent */
	char check_why[512];
	bool check_failed;
};

/* ---- qemu ---- */

static const char *kernel_image(const struct boot_opts *o, char *buf, size_t cap)
{
	char exe[PATH_MAX];
	ssize_t n;

	if (o->kernel != NULL)
		return o->kernel;
	if (getenv("MVM_KERNEL") != NULL)
		return getenv("MVM_KERNEL");
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n < 0)
		return "mvm-kernel";
	exe[n] = '\0';
	snprintf(buf, cap, "%s/mvm-kernel", dirname(exe));
	return buf;
}

/* Guest RAM: the pool, the kernel and its heap (mem.c), and room. */
static uint64_t guest_mib(uint64_t ram)
{
	uint64_t bytes = ram + ram / 16 + ram / 8 + (64ull << 20);

	return (bytes + (1u << 20) - 1) >> 20;
}

static void exec_qemu(struct boot *b, const char *image, int in, int out)
{
	char append[160], mem[32], logdev[PATH_MAX + 32];
	const char *qemu = getenv("MVM_QEMU") != NULL ? getenv("MVM_QEMU") : "qemu-system-x86_64";

	snprintf(append, sizeof append, "ram=%" PRIu64 " v=%d panic=%" PRIu64 " stale_tlb=%d",
		 b->opts->ram_bytes, b->opts->verbose, b->opts->panic_at, b->opts->stale_tlb);
	snprintf(mem, sizeof mem, "%" PRIu64 "M", guest_mib(b->opts->ram_bytes));
	snprintf(logdev, sizeof logdev, "file,id=klog,path=%s", b->log_path);
	dup2(in, 0);
	dup2(out, 1);
	execlp(qemu, qemu, "-kernel", image, "-append", append, "-m", mem, "-display", "none",
	       "-no-reboot", "-nodefaults", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
	       "-chardev", logdev, "-serial", "chardev:klog", "-chardev", "stdio,id=kio,signal=off",
	       "-serial", "chardev:kio", (char *)NULL);
	fprintf(stderr, "mvm: cannot run %s: %s\n", qemu, strerror(errno));
	_exit(127);
}

static bool start_qemu(struct boot *b)
{
	char imgbuf[PATH_MAX + 16];
	const char *image = kernel_image(b->opts, imgbuf, sizeof imgbuf);
	int to[2], from[2], fd;

	if (access(image, R_OK) != 0) {
		fprintf(stderr, "mvm: no kernel image at %s (build the mvm-kernel target)\n", image);
		return false;
	}
	snprintf(b->log_path, sizeof b->log_path, "%s/mvm-klog-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	fd = mkstemp(b->log_path);
	if (fd < 0 || pipe(to) != 0 || pipe(from) != 0) {
		fprintf(stderr, "mvm: cannot set up qemu: %s\n", strerror(errno));
		return false;
	}
	close(fd);
	b->qemu = fork();
	if (b->qemu == 0) {
		close(to[1]);
		close(from[0]);
		exec_qemu(b, image, to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	b->to_kernel = to[1];
	b->from_kernel = from[0];
	return b->qemu > 0;
}

/* The kernel's log, on stderr, each line marked. */
static void show_log(const struct boot *b)
{
	FILE *f = fopen(b->log_path, "r");
	char line[1024];

	if (f == NULL)
		return;
	while (fgets(line, sizeof line, f) != NULL)
		fprintf(stderr, "kernel: %s%s", line, strchr(line, '\n') ? "" : "\n");
	fclose(f);
}

/* qemu's status: isa-debug-exit makes it (code << 1) | 1. */
static int reap_qemu(struct boot *b, bool kill_it)
{
	int status = 0;

	if (b->qemu <= 0)
		return -1;
	if (kill_it)
		kill(b->qemu, SIGKILL);
	waitpid(b->qemu, &status, 0);
	b->qemu = 0;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- the conversation ---- */

enum line_status { LINE_OK, LINE_EOF, LINE_TIMEOUT };

/* The next line from the kernel, without its newline. */
static enum line_status read_line(struct boot *b, char **line)
{
	for (;;) {
		char *nl = memchr(b->buf + b->used, '\n', b->have - b->used);
		struct pollfd pfd = {b->from_kernel, POLLIN, 0};
		ssize_t n;

		if (nl != NULL) {
			*nl = '\0';
			*line = b->buf + b->used;
			b->used = (size_t)(nl - b->buf) + 1;
			return LINE_OK;
		}
		memmove(b->buf, b->buf + b->used, b->have - b->used);
		b->have -= b->used;
		b->used = 0;
		if (b->have == sizeof b->buf - 1)
			b->have = 0; /* a line longer than any the kernel prints */
		if (poll(&pfd, 1, (int)(b->opts->timeout_s * 1000)) == 0)
			return LINE_TIMEOUT;
		n = read(b->from_kernel, b->buf + b->have, sizeof b->buf - 1 - b->have);
		if (n <= 0)
			return LINE_EOF;
		b->have += (size_t)n;
	}
}

static int kernel_gone(struct boot *b, enum line_status why, const char *panic)
{
	int qs;

	fflush(b->out);
	if (why == LINE_TIMEOUT) {
		reap_qemu(b, true);
		show_log(b);
		fprintf(stderr, "mvm: timeout: the kernel did not answer for %" PRIu64 " s\n",
			b->opts->timeout_s);
		return BOOT_TIMEOUT;
	}
	qs = reap_qemu(b, panic != NULL);
	show_log(b);
	if (panic != NULL || qs == ((KEXIT_PANIC << 1) | 1)) {
		fprintf(stderr, "mvm: kernel panic: %s\n", panic != NULL ? panic : "(see its log)");
		return BOOT_PANIC;
	}
	fprintf(stderr, "mvm: qemu ended unexpectedly (status %d)\n", qs);
	return BOOT_NO_QEMU;
}

static bool send_op(struct boot *b, const struct kop *k)
{
	return write(b->to_kernel, k, sizeof *k) == (ssize_t)sizeof *k;
}

/* One output line: an event (kept for the oracle) or a `#` line. */
static void take_output(struct boot *b, const char *line)
{
	struct trace_event ev;

	if (line[0] == '#' || line[0] == '\0') {
		fprintf(b->out, "%s\n", line);
		return;
	}
	if (trace_event_parse(line, strlen(line), &ev) != 1) {
		fprintf(stderr, "mvm: the kernel printed a line that is not an event: %s\n", line);
		return;
	}
	*trace_events_push(&b->got) = ev;
	trace_event_format(&ev, b->out);
}

/* Lines up to "!done K D"; 0, or the status that ends the run. */
static int read_answer(struct boot *b, bool *killed_self, uint64_t *done)
{
	char *line;
	enum line_status st;

	while ((st = read_line(b, &line)) == LINE_OK) {
		int k;

		if (strncmp(line, "!done ", 6) == 0 &&
		    sscanf(line + 6, "%d %" SCNx64, &k, done) == 2) {
			*killed_self = k != 0;
			return 0;
		}
		if (strncmp(line, "!check ", 7) == 0) {
			b->check_failed = true;
			snprintf(b->check_why, sizeof b->check_why, "%s", line + 7);
		} else if (strncmp(line, "!panic ", 7) == 0) {
			return kernel_gone(b, LINE_EOF, line + 7);
		} else if (line[0] != '!') {
			take_output(b, line);
		}
	}
	return kernel_gone(b, st, NULL);
}

/* ---- the replay loop ---- */

static int fail_at(struct boot *b, const struct trace_op *op, int status, const char *fmt,
		   const char *msg)
{
	fflush(b->out);
	fprintf(stderr, "%s:%" PRIu64 ": ", trace_reader_name(b->reader), op->line);
	fprintf(stderr, fmt, msg);
	fputc('\n', stderr);
	return status;
}

static bool uses_files(const struct trace_op *op)
{
	return op->kind == TRACE_FILE || op->kind == TRACE_PREAD || op->kind == TRACE_PWRITE ||
	       (op->kind == TRACE_MMAP && op->file);
}

static const uint8_t kop_of_kind[TRACE_KIND_COUNT] = {
	[TRACE_SPAWN] = KOP_SPAWN,     [TRACE_FORK] = KOP_FORK,       [TRACE_EXEC] = KOP_EXEC,
	[TRACE_EXIT] = KOP_EXIT,       [TRACE_MMAP] = KOP_MMAP,       [TRACE_MUNMAP] = KOP_MUNMAP,
	[TRACE_MPROTECT] = KOP_MPROTECT, [TRACE_MADVISE] = KOP_MADVISE, [TRACE_MSYNC] = KOP_MSYNC,
	[TRACE_MAPS] = KOP_MAPS,       [TRACE_VMDUMP] = KOP_VMDUMP,   [TRACE_WRITE] = KOP_WRITE,
	[TRACE_READ] = KOP_READ,       [TRACE_TOUCH] = KOP_TOUCH,     [TRACE_CHECK] = KOP_CHECK,
	[TRACE_STAT] = KOP_STAT,
};

static struct kop kop_from(const struct trace_op *op, uint64_t seq)
{
	struct kop k = {.magic = KOP_MAGIC, .kind = kop_of_kind[op->kind], .prot = op->prot,
			.pid = op->pid, .child = op->child, .addr = op->addr, .len = op->len,
			.seed = op->seed, .seq = seq};

	if (op->kind == TRACE_MMAP)
		k.flag = op->shared;
	else if (op->kind == TRACE_TOUCH)
		k.flag = op->touch_write;
	else if (op->kind == TRACE_MADVISE)
		k.flag = (uint8_t)op->advice;
	return k;
}

/* Sends K and reads its answer into b->got. */
static int exchange(struct boot *b, const struct kop *k, bool *killed_self, uint64_t *done)
{
	trace_events_clear(&b->got);
	b->check_failed = false;
	if (!send_op(b, k))
		return kernel_gone(b, LINE_EOF, NULL);
	return read_answer(b, killed_self, done);
}

static void note_kills(struct boot *b, const struct trace_op *op, bool killed_self)
{
	for (size_t i = 0; i < b->got.n; i++) {
		if (b->got.ev[i].kind != TEV_KILLED)
			continue;
		trace_pids_killed(b->pids, b->got.ev[i].pid);
		if (b->oracle != NULL && b->got.ev[i].pid != op->pid)
			b->opts->oracle->killed(b->oracle, b->got.ev[i].pid);
	}
	if (killed_self && op->kind == TRACE_FORK)
		trace_pids_killed(b->pids, op->child);
}

static int verify_op(struct boot *b, const struct trace_op *op, bool killed_self, uint64_t done)
{
	const struct replay_oracle *o = b->opts->oracle;

	if (o->agree(b->oracle, op, &b->got, killed_self, done))
		return REPLAY_OK;
	fflush(b->out);
	fprintf(stderr, "%s:%" PRIu64 ": ", trace_reader_name(b->reader), op->line);
	o->report(b->oracle, op, &b->got, stderr);
	return REPLAY_FAILED;
}

static int periodic_check(struct boot *b, const struct trace_op *op)
{
	struct kop k = {.magic = KOP_MAGIC, .kind = KOP_CHECK, .seq = ++b->seq};
	bool killed;
	uint64_t done;
	int st = exchange(b, &k, &killed, &done);

	if (st != 0)
		return st;
	return b->check_failed ? fail_at(b, op, REPLAY_FAILED, "check failed: %s", b->check_why)
			       : REPLAY_OK;
}

static int boot_op(struct boot *b, const struct trace_op *op, uint64_t *admitted)
{
	char err[256];
	struct kop k;
	bool killed_self;
	uint64_t done;
	int st;

	if (uses_files(op))
		return fail_at(b, op, REPLAY_BAD_INPUT, "%s",
			       "mvm boot: the kernel has no files yet (file, pread, pwrite, "
			       "mmap file): use mvm replay");
	switch (trace_pids_admit(b->pids, op, err, sizeof err)) {
	case TRACE_BAD:
		return fail_at(b, op, REPLAY_BAD_INPUT, "%s", err);
	case TRACE_SKIP:
		return REPLAY_OK;
	case TRACE_RUN:
		break;
	}
	k = kop_from(op, ++b->seq);
	if ((st = exchange(b, &k, &killed_self, &done)) != 0)
		return st;
	note_kills(b, op, killed_self);
	if (b->oracle != NULL && (st = verify_op(b, op, killed_self, done)) != REPLAY_OK)
		return st;
	if (b->check_failed)
		return fail_at(b, op, REPLAY_FAILED, "check failed: %s", b->check_why);
	++*admitted;
	if (b->opts->check_every != 0 && *admitted % b->opts->check_every == 0)
		return periodic_check(b, op);
	return REPLAY_OK;
}

static int boot_loop(struct boot *b)
{
	struct trace_op op;
	uint64_t admitted = 0;
	int got, status = REPLAY_OK;

	while (status == REPLAY_OK && (got = trace_next(b->reader, &op)) != 0) {
		if (got < 0) {
			fflush(b->out);
			fprintf(stderr, "%s\n", trace_reader_error(b->reader));
			return REPLAY_BAD_INPUT;
		}
		status = boot_op(b, &op, &admitted);
	}
	return status;
}

/* Waits for "!ready"; 0 or the status that ends the run. */
static int wait_ready(struct boot *b)
{
	char *line;
	enum line_status st;

	while ((st = read_line(b, &line)) == LINE_OK) {
		if (strcmp(line, "!ready") == 0)
			return 0;
		if (strncmp(line, "!panic ", 7) == 0)
			return kernel_gone(b, LINE_EOF, line + 7);
	}
	return kernel_gone(b, st, NULL);
}

/* A clean end: the kernel exits qemu with status 1 (code 0). */
static int shut_down(struct boot *b, int status)
{
	struct kop k = {.magic = KOP_MAGIC, .kind = KOP_END};
	int qs;

	if (b->qemu <= 0)
		return status;
	send_op(b, &k);
	close(b->to_kernel);
	qs = reap_qemu(b, false);
	if (b->opts->verbose)
		show_log(b);
	if (qs != ((KEXIT_OK << 1) | 1) && status == REPLAY_OK) {
		show_log(b);
		fprintf(stderr, "mvm: qemu ended with status %d at shutdown\n", qs);
		return BOOT_NO_QEMU;
	}
	return status;
}

int boot_run(const char *path, const struct boot_opts *o)
{
	struct boot b = {.opts = o, .out = stdout, .to_kernel = -1, .from_kernel = -1};
	char err[512];
	int status;

	b.reader = trace_reader_open(path, err, sizeof err);
	if (b.reader == NULL) {
		fprintf(stderr, "mvm: %s\n", err);
		return REPLAY_BAD_INPUT;
	}
	signal(SIGPIPE, SIG_IGN);
	if (!start_qemu(&b)) {
		trace_reader_close(b.reader);
		return BOOT_NO_QEMU;
	}
	b.pids = trace_pids_create();
	b.oracle = o->oracle != NULL ? o->oracle->create() : NULL;
	status = wait_ready(&b);
	if (status == 0)
		status = shut_down(&b, boot_loop(&b));
	fflush(b.out);
	if (b.qemu > 0)
		reap_qemu(&b, true);
	unlink(b.log_path);
	if (b.oracle != NULL)
		o->oracle->destroy(b.oracle);
	trace_pids_destroy(b.pids);
	trace_events_free(&b.got);
	trace_reader_close(b.reader);
	return status;
}
