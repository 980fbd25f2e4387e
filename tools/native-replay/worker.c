/*
 * worker.c - one trace process, as one real host process.
 *
 * A worker waits on its channel for operations and performs them on its
 * own address space with the real system calls, inside the native window
 * [NATIVE_WINDOW_BASE, NATIVE_WINDOW_END) that nothing else in the host
 * process uses.  What it prints are the spec's event lines, formatted by
 * the trace library, sent back to the driver in order.
 *
 * Accesses (`read`, `write`, `touch`) go page by page as the spec says.
 * A SIGSEGV or SIGBUS handler, armed only during the access, jumps back
 * with siglongjmp; the page being accessed was stored (through a volatile
 * field, behind a compiler barrier) before its first byte was touched, so
 * the event names the right address.  Every byte of a page shares that
 * page's protection and backing, so a page faults on its first access or
 * not at all: a write that faults has changed nothing on that page.  The
 * handler is installed with SA_NODEFER so that a jump out of it leaves the
 * signal unblocked without saving masks (no system call per access).
 *
 * Where Linux and the spec differ, the driver checks before calling (zero
 * lengths of mmap/munmap, the error order); here, `mprotect`, `madvise` and `msync` first
 * check /proc/self/maps for unmapped pages in the range, because Linux
 * applies them partly before failing with ENOMEM, and the spec wants all
 * or nothing.  MADV_PAGEOUT on a kernel without it is a no-op.
 *
 * `P fork C` is a real fork().  The worker makes a socketpair for the
 * child, forks twice (the middle process exits at once) so that the child
 * is re-parented to the driver, which is a child subreaper and reaps every
 * worker itself; the child says hello with its host pid, and the parent
 * passes the driver's end of the pair up with SCM_RIGHTS.  `P exec` cannot
 * be a real execve (the worker would be gone), so it unmaps the whole
 * window, which leaves exactly the empty address space the spec asks for.
 */
#include "native.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif
#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

static int chan_fd = -1;
static struct chan_msg msg;          /* 32 KiB: static, not on the stack */

/* ---------------------------------------------------------------------- */
/* Output to the driver */

static struct {
	char buf[CHAN_PAYLOAD_MAX];
	size_t n;
} out;

static _Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void out_flush(void)
{
	if (out.n && chan_send(chan_fd, CHAN_TEXT, out.buf, out.n, 0, -1) < 0)
		_exit(NATIVE_EXIT_HOST);
	out.n = 0;
}

static void out_event(const struct trace_event *ev)
{
	char line[600];
	size_t n = trace_event_format_buf(ev, line, sizeof line);

	if (out.n + n > sizeof out.buf)
		out_flush();
	memcpy(out.buf + out.n, line, n);
	out.n += n;
}

static void out_error(const struct trace_op *op, int err)
{
	struct trace_event ev = { .kind = TEV_ERROR, .pid = op->pid, .op = op->kind,
				  .word = native_errno_name(err) };
	out_event(&ev);
}

static _Noreturn void fatal(const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	out_flush();
	chan_send(chan_fd, CHAN_FATAL, text, strlen(text), 0, -1);
	_exit(NATIVE_EXIT_HOST);
}

const char *native_errno_name(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "EUNKNOWN";
}

/* ---------------------------------------------------------------------- */
/* The address space as the kernel sees it */

struct vma {
	uint64_t start, end, off;
	uint8_t prot;
	bool shared, file;
	char name[TRACE_NAME_MAX + 1];
};

/* Reads all of /proc/self/maps; the caller frees.  NULL on failure. */
static char *read_proc_maps(size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap);
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (!buf || fd < 0) {
		free(buf);
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	for (;;) {
		if (n + 4096 > cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Parses one maps line; the path (possibly empty) is left in *PATH. */
static bool parse_maps_line(char *line, struct vma *v, char **path)
{
	unsigned long long start, end, off;
	char perms[5];
	int pos = 0;

	if (sscanf(line, "%llx-%llx %4s %llx %*x:%*x %*u %n", &start, &end, perms,
		   &off, &pos) < 4 || pos == 0)
		return false;
	memset(v, 0, sizeof *v);
	v->start = start;
	v->end = end;
	v->off = off;
	v->prot = (uint8_t)((perms[0] == 'r' ? TRACE_PROT_R : 0) |
			    (perms[1] == 'w' ? TRACE_PROT_W : 0) |
			    (perms[2] == 'x' ? TRACE_PROT_X : 0));
	v->shared = perms[3] == 's';
	*path = line + pos;
	return true;
}

/* Names the backing of a window VMA from its maps path. */
static void classify(struct vma *v, const char *path)
{
	const char *dir = files_dir();
	size_t dl = strlen(dir);

	if (path[0] == '\0' || strncmp(path, "/dev/zero", 9) == 0 ||
	    strncmp(path, "/SYSV", 5) == 0)
		return; /* anonymous; shared ones show as /dev/zero (deleted) */
	if (strncmp(path, dir, dl) == 0 && path[dl] == '/') {
		const char *name = path + dl + 1;
		size_t nl = strcspn(name, " ");
		if (nl > TRACE_NAME_MAX)
			nl = TRACE_NAME_MAX;
		memcpy(v->name, name, nl);
		v->name[nl] = '\0';
		v->file = true;
		return;
	}
	fatal("unexpected mapping in the native window: %s", path);
}

/* The VMAs inside the window, ascending.  *N gets the count. */
static struct vma *window_vmas(size_t *n)
{
	size_t len, cap = 16;
	char *text = read_proc_maps(&len), *line, *save = NULL;
	struct vma *v = malloc(cap * sizeof *v);

	if (!text || !v)
		fatal("cannot read /proc/self/maps");
	*n = 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct vma cur;
		char *path;
		if (!parse_maps_line(line, &cur, &path))
			fatal("cannot parse /proc/self/maps line: %s", line);
		if (cur.end <= NATIVE_WINDOW_BASE || cur.start >= NATIVE_WINDOW_END)
			continue;
		if (cur.start < NATIVE_WINDOW_BASE || cur.end > NATIVE_WINDOW_END)
			fatal("a mapping straddles the native window: %s", line);
		classify(&cur, path);
		if (*n == cap) {
			cap *= 2;
			struct vma *nv = realloc(v, cap * sizeof *v);
			if (!nv)
				fatal("out of memory");
			v = nv;
		}
		v[(*n)++] = cur;
	}
	free(text);
	return v;
}

/* Whether every page of [ADDR, END) is mapped. */
static bool fully_mapped(uint64_t addr, uint64_t end)
{
	size_t n;
	struct vma *v = window_vmas(&n);
	uint64_t at = addr;

	for (size_t i = 0; i < n && at < end; i++) {
		if (v[i].end <= at)
			continue;
		if (v[i].start > at)
			break;
		at = v[i].end;
	}
	free(v);
	return at >= end;
}

static void do_maps(const struct trace_op *op)
{
	size_t n;
	struct vma *v = window_vmas(&n);

	for (size_t i = 0; i < n; i++) {
		struct trace_event ev = {
			.kind = TEV_MAP, .pid = op->pid, .addr = v[i].start,
			.end = v[i].end, .prot = v[i].prot, .shared = v[i].shared,
			.file = v[i].file, .off = v[i].file ? v[i].off : 0,
		};
		memcpy(ev.name, v[i].name, sizeof ev.name);
		out_event(&ev);
	}
	free(v);
}

/* Used by the driver at startup: whether anything is mapped in the window. */
bool native_window_in_use(char *what, size_t whatlen)
{
	size_t len;
	char *text = read_proc_maps(&len), *line, *save = NULL;
	bool used = false;

	if (!text) {
		snprintf(what, whatlen, "cannot read /proc/self/maps");
		return true;
	}
	for (line = strtok_r(text, "\n", &save); line && !used;
	     line = strtok_r(NULL, "\n", &save)) {
		unsigned long long s, e;
		if (sscanf(line, "%llx-%llx", &s, &e) == 2 &&
		    e > NATIVE_WINDOW_BASE && s < NATIVE_WINDOW_END) {
			snprintf(what, whatlen, "%s", line);
			used = true;
		}
	}
	free(text);
	return used;
}

/* ---------------------------------------------------------------------- */
/* Guarded accesses */

static sigjmp_buf fault_env;
static volatile sig_atomic_t fault_armed;
static volatile int fault_code;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (!fault_armed) {
		/* A real bug in the worker: die of the signal, as unguarded. */
		signal(sig, SIG_DFL);
		return;
	}
	fault_armed = 0;
	fault_code = si->si_code;
	siglongjmp(fault_env, sig);
}

#define BARRIER() __asm__ __volatile__("" ::: "memory")

struct access {
	const struct trace_op *op;
	uint64_t end;
	volatile uint64_t at;   /* address of the access in progress */
	uint64_t hash;
};

static uint64_t page_end(uint64_t a)
{
	return (a | (NATIVE_PAGE - 1)) + 1;
}

static void read_pages(struct access *ac)
{
	uint64_t h = TRACE_FNV_OFFSET;

	for (uint64_t a = ac->op->addr, next; a < ac->end; a = next) {
		next = page_end(a) < ac->end ? page_end(a) : ac->end;
		ac->at = a;
		BARRIER();
		(void)*(volatile const uint8_t *)(uintptr_t)a;
		BARRIER();
		h = trace_fnv1a(h, (const uint8_t *)(uintptr_t)a, (size_t)(next - a));
	}
	ac->hash = h;
}

static void write_pages(struct access *ac)
{
	for (uint64_t a = ac->op->addr, next; a < ac->end; a = next) {
		next = page_end(a) < ac->end ? page_end(a) : ac->end;
		ac->at = a;
		BARRIER();
		trace_pattern_fill(ac->op->seed, a, (uint8_t *)(uintptr_t)a,
				   (size_t)(next - a));
		BARRIER();
	}
}

static void touch_pages(struct access *ac)
{
	for (uint64_t a = ac->op->addr; a < ac->end; a = page_end(a)) {
		volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)a;
		ac->at = a;
		BARRIER();
		uint8_t v = *p;
		if (ac->op->touch_write)
			*p = v;
		BARRIER();
	}
}

/* Runs FN with the fault handler armed; returns 0 or the signal. */
static int guarded(void (*fn)(struct access *), struct access *ac)
{
	int sig = sigsetjmp(fault_env, 0);

	if (sig == 0) {
		fault_armed = 1;
		fn(ac);
	}
	fault_armed = 0;
	return sig;
}

static void do_access(const struct trace_op *op)
{
	/* Nothing is mapped outside the window (the driver refuses such
	 * mmaps), so the first page past it is where the access stops. */
	bool past = op->len > NATIVE_WINDOW_END - op->addr;
	struct access ac = { .op = op, .end = past ? NATIVE_WINDOW_END : op->addr + op->len };
	void (*fn)(struct access *) = op->kind == TRACE_READ    ? read_pages
				      : op->kind == TRACE_WRITE ? write_pages
								: touch_pages;
	int sig = guarded(fn, &ac);
	struct trace_event ev = { .pid = op->pid };

	if (sig == 0 && past) {
		ev.kind = TEV_SEGV;
		ev.addr = NATIVE_WINDOW_END;
	} else if (sig == 0) {
		if (op->kind != TRACE_READ)
			return;
		ev.kind = TEV_READ;
		ev.addr = op->addr;
		ev.len = op->len;
		ev.hash = ac.hash;
	} else {
		if (sig == SIGSEGV && fault_code == SEGV_PKUERR)
			fatal("this host makes --x pages execute-only (protection "
			      "keys); the spec makes them readable");
		ev.kind = sig == SIGBUS ? TEV_SIGBUS : TEV_SEGV;
		ev.addr = ac.at;
	}
	out_event(&ev);
}

/* ---------------------------------------------------------------------- */
/* Address-space operations */

static int host_prot(uint8_t prot)
{
	return ((prot & TRACE_PROT_R) ? PROT_READ : 0) |
	       ((prot & TRACE_PROT_W) ? PROT_WRITE : 0) |
	       ((prot & TRACE_PROT_X) ? PROT_EXEC : 0);
}

static void *at(uint64_t addr)
{
	return (void *)(uintptr_t)addr;
}

static void do_mmap(const struct trace_op *op)
{
	int flags = MAP_FIXED | (op->shared ? MAP_SHARED : MAP_PRIVATE);
	int fd = -1;

	if (op->file) {
		char path[4200];
		files_path(op->name, path, sizeof path);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			out_error(op, errno);
			return;
		}
	} else {
		flags |= MAP_ANONYMOUS;
	}
	if (mmap(at(op->addr), op->len, host_prot(op->prot), flags, fd,
		 (off_t)op->off) == MAP_FAILED)
		out_error(op, errno);
	if (fd >= 0)
		close(fd);
}

static int host_advice(enum trace_advice a)
{
	switch (a) {
	case TRACE_ADV_DONTNEED: return MADV_DONTNEED;
	case TRACE_ADV_WILLNEED: return MADV_WILLNEED;
	case TRACE_ADV_PAGEOUT: return MADV_PAGEOUT;
	case TRACE_ADV_DONTFORK: return MADV_DONTFORK;
	case TRACE_ADV_DOFORK: return MADV_DOFORK;
	}
	return -1;
}

/* mprotect, madvise, msync: all or nothing over mapped pages only. */
static void do_range_op(const struct trace_op *op)
{
	uint64_t end = op->addr + ((op->len + NATIVE_PAGE - 1) & ~(NATIVE_PAGE - 1));
	int rc;

	if (!fully_mapped(op->addr, end)) {
		out_error(op, ENOMEM);
		return;
	}
	switch (op->kind) {
	case TRACE_MPROTECT:
		rc = mprotect(at(op->addr), op->len, host_prot(op->prot));
		break;
	case TRACE_MADVISE:
		rc = madvise(at(op->addr), op->len, host_advice(op->advice));
		/* A kernel without MADV_PAGEOUT: a no-op is faithful.  Not for an
		 * unaligned ADDR (a zero-length call), whose EINVAL is real. */
		if (rc < 0 && errno == EINVAL && op->advice == TRACE_ADV_PAGEOUT &&
		    (op->addr & (NATIVE_PAGE - 1)) == 0)
			rc = 0;
		break;
	default:
		rc = msync(at(op->addr), op->len, MS_SYNC);
		break;
	}
	if (rc < 0)
		out_error(op, errno);
}

/*
 * Forks the child worker.  Returns -1 in the parent (the child's channel
 * has gone to the driver), or the child's channel in the child.
 */
static int do_fork(const struct trace_op *op)
{
	int sv[2], status;
	pid_t mid;

	if (chan_pair(sv) < 0)
		fatal("socketpair: %s", strerror(errno));
	mid = fork();
	if (mid < 0)
		fatal("fork: %s", strerror(errno));
	if (mid == 0) {
		pid_t c = fork();
		if (c != 0)
			_exit(c < 0 ? 1 : 0);
		/* The new worker, now a child of the driver (the subreaper). */
		close(chan_fd);
		close(sv[0]);
		chan_fd = sv[1];
		if (chan_send(chan_fd, CHAN_HELLO, NULL, 0, (int32_t)getpid(), -1) < 0)
			_exit(NATIVE_EXIT_HOST);
		return chan_fd;
	}
	close(sv[1]);
	while (waitpid(mid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fatal("fork for process %llu failed", (unsigned long long)op->child);
	if (chan_recv(sv[0], &msg) != 1 || msg.type != CHAN_HELLO)
		fatal("process %llu did not start", (unsigned long long)op->child);
	if (chan_send(chan_fd, CHAN_CHILD, NULL, 0, msg.host_pid, sv[0]) < 0)
		fatal("cannot pass the channel of process %llu: %s",
		      (unsigned long long)op->child, strerror(errno));
	close(sv[0]);
	return -1;
}

static void run(const struct trace_op *op)
{
	switch (op->kind) {
	case TRACE_EXEC:
		if (munmap(at(NATIVE_WINDOW_BASE), NATIVE_WINDOW_END - NATIVE_WINDOW_BASE) < 0)
			fatal("exec: munmap: %s", strerror(errno));
		break;
	case TRACE_MMAP:
		do_mmap(op);
		break;
	case TRACE_MUNMAP:
		if (munmap(at(op->addr), op->len) < 0)
			out_error(op, errno);
		break;
	case TRACE_MPROTECT:
	case TRACE_MADVISE:
	case TRACE_MSYNC:
		do_range_op(op);
		break;
	case TRACE_MAPS:
		do_maps(op);
		break;
	case TRACE_READ:
	case TRACE_WRITE:
	case TRACE_TOUCH:
		do_access(op);
		break;
	case TRACE_EXIT:
		break;
	default:
		fatal("operation %s is not for a worker", trace_kind_name(op->kind));
	}
}

static void install_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	/* The driver cleans up on these; a worker just dies. */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

_Noreturn void worker_main(int chan)
{
	struct trace_op op;

	chan_fd = chan;
	install_handlers();
	for (;;) {
		int rc = chan_recv(chan_fd, &msg);
		if (rc == 0)
			_exit(0); /* the driver is done with us, or gone */
		if (rc < 0 || msg.type != CHAN_OP || msg.len != sizeof op)
			_exit(NATIVE_EXIT_HOST);
		memcpy(&op, msg.payload, sizeof op);
		if (op.kind == TRACE_FORK) {
			if (do_fork(&op) >= 0)
				continue; /* the child: wait for its first operation */
		} else {
			run(&op);
		}
		out_flush();
		if (chan_send(chan_fd, CHAN_DONE, NULL, 0, 0, -1) < 0)
			_exit(NATIVE_EXIT_HOST);
		if (op.kind == TRACE_EXIT)
			_exit(0);
	}
}
