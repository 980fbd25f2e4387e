/*
 * sim_helpers.h - small helpers for unit tests that run a whole simulated
 * machine: boot it, feed it trace text, collect its output lines, and run
 * the consistency checker.
 *
 * The tests that use these drive the machine through sim_exec exactly as
 * the replayer does (one admitted operation at a time), then reach under
 * it (the process's struct vm_map, its pmap, vm_phys) to assert what the
 * output lines alone cannot show: entry counts, frames held, reference
 * counts.  Trace text must only name live processes: admission and the
 * skipping of killed processes are the replayer's job, tested through
 * h_replay(), which runs the real replay loop on a buffer.
 *
 * Everything is static inline so each test program takes only what it
 * uses and no helper needs a declaration elsewhere.
 */
#ifndef MVM_TESTS_SIM_HELPERS_H
#define MVM_TESTS_SIM_HELPERS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "mvm/vm.h"
#include "mvm/vm_kmem.h"
#include "model/model.h"
#include "sim/port_sim.h"
#include "sim/replay.h"
#include "sim/sim.h"
#include "trace/trace.h"

/* Boots S as CFG says, with allocation-failure injection disarmed; a
 * machine that does not boot ends the test program (exit 2). */
static inline void h_boot_config(struct sim *s, const struct sim_config *cfg)
{
	char err[256];

	sim_port_fail_nth(SIM_SITE_ANY, 0);
	if (!sim_boot(s, cfg, err, sizeof err)) {
		fprintf(stderr, "sim_boot: %s\n", err);
		exit(2);
	}
	s->report = stderr; /* keep `stat` and `vmdump` off the test's stdout */
}

/* Boots S with RAM bytes of memory and nothing else. */
static inline void h_boot(struct sim *s, uint64_t ram)
{
	struct sim_config cfg = {.ram_bytes = ram};

	h_boot_config(s, &cfg);
}

/* Output lines of EVENTS as one string (static buffer, next call reuses it). */
static inline const char *h_format(const struct trace_events *events)
{
	static char buf[1 << 16];
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < events->n && pos < sizeof buf; i++)
		pos += trace_event_format_buf(&events->ev[i], buf + pos, sizeof buf - pos);
	return buf;
}

/*
 * Runs each line of TEXT (newline separated; blank lines and comments
 * skipped) through sim_exec.  Returns the output lines they produced;
 * *RES (if not NULL) is the last operation's result.
 */
static inline const char *h_run_res(struct sim *s, const char *text, struct sim_result *res)
{
	static struct trace_events events;
	struct sim_result last = {0};
	uint64_t lineno = 0;

	trace_events_clear(&events);
	while (*text != '\0') {
		const char *nl = strchr(text, '\n');
		size_t len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		struct trace_op op;
		char err[256];
		int got = trace_parse_line(text, len, ++lineno, false, &op, err, sizeof err);

		if (got < 0) {
			fprintf(stderr, "h_run: bad line %.*s: %s\n", (int)len, text, err);
			exit(2);
		}
		if (got > 0)
			sim_exec(s, &op, &events, &last);
		text += len + (nl != NULL);
	}
	if (res != NULL)
		*res = last;
	return h_format(&events);
}

static inline const char *h_run(struct sim *s, const char *text)
{
	return h_run_res(s, text, NULL);
}

/* printf-style h_run. */
__attribute__((format(printf, 2, 3))) static inline const char *h_runf(struct sim *s,
								       const char *fmt, ...)
{
	char text[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	return h_run(s, text);
}

/* The consistency checker; on failure the reason goes to stderr. */
static inline bool h_check(struct sim *s)
{
	char why[512];

	if (sim_check(s, why, sizeof why))
		return true;
	fprintf(stderr, "  sim_check: %s\n", why);
	return false;
}

/* The checker must fail, and its reason must contain NEEDLE (H_VERBOSE=1
 * in the environment prints every reason). */
static inline bool h_check_fails_with(struct sim *s, const char *needle)
{
	char why[512];

	if (sim_check(s, why, sizeof why)) {
		fprintf(stderr, "  sim_check passed; expected a complaint about \"%s\"\n", needle);
		return false;
	}
	if (getenv("H_VERBOSE") != NULL)
		fprintf(stderr, "  sim_check: %s\n", why);
	if (strstr(why, needle) == NULL) {
		fprintf(stderr, "  sim_check said \"%s\"; expected \"%s\"\n", why, needle);
		return false;
	}
	return true;
}

static inline struct vm_map *h_map(struct sim *s, uint64_t pid)
{
	struct sim_proc *p = sim_proc_find(s, pid);

	return p != NULL ? p->map : NULL;
}

/* Frames in use for anything but BOOT (what exactness brings back to the start). */
static inline uint64_t h_frames_used(void)
{
	return vm_phys.nframes - vm_phys.nboot - vm_page_free_count();
}

/* Objects in use over every slab cache. */
static inline uint64_t h_kmem_inuse(void)
{
	uint64_t n = 0;

	for (const struct vm_kmem_cache *c = vm_kmem_caches; c != NULL; c = c->next)
		n += c->inuse;
	return n;
}

/*
 * Runs the real replay loop (the program's `mvm replay`) over TEXT with
 * OPTS, capturing standard output.  Returns the exit status; *OUT gets
 * the output (malloc'd, caller frees).
 */
static inline int h_replay(const char *text, const struct replay_opts *opts, char **out)
{
	FILE *tmp = tmpfile();
	int saved, status;
	long size;

	if (tmp == NULL)
		exit(2);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(tmp), STDOUT_FILENO);
	status = replay_run_reader(trace_reader_from_buffer("test", text, strlen(text)), opts);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	size = (long)lseek(fileno(tmp), 0, SEEK_END);
	*out = calloc(1, size > 0 ? (size_t)size + 1 : 1);
	if (*out == NULL)
		exit(2);
	if (size < 0 || pread(fileno(tmp), *out, (size_t)size, 0) != size)
		exit(2);
	fclose(tmp);
	return status;
}

/*
 * Allocation attempts OP(ARG) makes when nothing fails: the base of a
 * sweep that then fails each attempt in turn.  OP runs in a forked child,
 * so the machine is left as it was; 0 if the child could not say.
 */
static inline uint64_t h_count_allocations(enum vm_err (*op)(void *arg), void *arg)
{
	uint64_t calls = 0;
	int fd[2];
	pid_t child;

	if (pipe(fd) != 0)
		exit(2);
	fflush(NULL);
	child = fork();
	if (child == 0) {
		sim_port_fail_nth(SIM_SITE_ANY, 0);
		(void)op(arg);
		calls = sim_port_alloc_calls(SIM_SITE_ANY);
		_exit(write(fd[1], &calls, sizeof calls) == sizeof calls ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], &calls, sizeof calls) != sizeof calls)
		calls = 0;
	close(fd[0]);
	waitpid(child, NULL, 0);
	return calls;
}

#endif
