/*
 * mvm_runs.c - mvm's misses at several memory sizes (mvm_runs.h).
 *
 * Children are forked from a process that has not booted a machine, so
 * each starts clean; their trace is the parent's buffer, shared
 * copy-on-write.  A child writes one fixed-size record to its pipe
 * (smaller than PIPE_BUF, so it arrives whole) and leaves with _exit, so
 * that nothing the parent buffered is flushed twice.
 */
#include "mvm_runs.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mvm/vm_page.h"
#include "sim/replay.h"
#include "sim/sim.h"
#include "vm/file.h"
#include "vm/swap.h"

/* The sampler: the core's own frames at their peak, and at the end the
 * counters (before shutdown writes anything back). */
static void sample(void *arg, struct sim *s, uint64_t ops, bool at_end)
{
	struct mvm_run *r = arg;
	const uint64_t *u = vm_phys.by_use;
	uint64_t core = u[VM_PAGE_BOOT] + u[VM_PAGE_KMEM] + u[VM_PAGE_PTP] + u[VM_PAGE_PV];
	uint64_t avail = vm_phys.nframes - core;

	(void)ops;
	if (avail < r->frames)
		r->frames = avail;
	if (!at_end)
		return;
	r->pager_pages = vm_file_stats.request_pages;
	r->swap_pages = vm_swap_stats.pageins;
	r->zero_fills = vm_phys.zero_fills;
	r->misses = r->pager_pages + r->swap_pages + r->zero_fills;
	r->oom_kills = s->stats.oom_kills;
}

static _Noreturn void child(const char *name, const char *text, size_t len,
			    const struct replay_opts *base, struct mvm_run r, int fd)
{
	struct replay_opts o = *base;
	FILE *devnull = fopen("/dev/null", "w");

	o.ram_bytes = r.ram_bytes;
	o.out = devnull;
	o.stats = NULL;
	o.sample = sample;
	o.sample_arg = &r;
	o.sample_every = 1;
	r.frames = UINT64_MAX;
	r.status = devnull == NULL ? REPLAY_BAD_INPUT
				   : replay_run_reader(trace_reader_from_buffer(name, text, len), &o);
	if (r.frames == UINT64_MAX)
		r.frames = 0; /* the machine never booted */
	_exit(write(fd, &r, sizeof r) == (ssize_t)sizeof r ? 0 : 1);
}

struct running {
	pid_t pid;
	int fd;
	size_t run;
};

static bool start(const char *name, const char *text, size_t len, const struct replay_opts *base,
		  struct mvm_run *runs, size_t i, struct running *slot, char *err, size_t errlen)
{
	int fds[2];

	if (pipe(fds) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return false;
	}
	fflush(NULL);
	slot->pid = fork();
	if (slot->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return false;
	}
	if (slot->pid == 0) {
		close(fds[0]);
		child(name, text, len, base, runs[i], fds[1]);
	}
	close(fds[1]);
	slot->fd = fds[0];
	slot->run = i;
	return true;
}

/* Waits for one child of SLOTS[0..n) and collects its record. */
static bool reap(struct running *slots, size_t *n, struct mvm_run *runs, char *err, size_t errlen)
{
	int wstatus;
	pid_t pid;

	while ((pid = wait(&wstatus)) < 0 && errno == EINTR)
		;
	for (size_t k = 0; k < *n; k++) {
		struct running s = slots[k];
		ssize_t got;

		if (s.pid != pid)
			continue;
		got = read(s.fd, &runs[s.run], sizeof runs[s.run]);
		close(s.fd);
		slots[k] = slots[--*n];
		if (got == (ssize_t)sizeof runs[s.run])
			return true;
		snprintf(err, errlen, "the replay at %llu bytes of RAM died without a result",
			 (unsigned long long)runs[s.run].ram_bytes);
		return false;
	}
	snprintf(err, errlen, "wait: %s", pid < 0 ? strerror(errno) : "an unknown child");
	return false;
}

bool mvm_runs(const char *name, const char *text, size_t len, const struct replay_opts *base,
	      struct mvm_run *runs, size_t nruns, unsigned jobs, char *err, size_t errlen)
{
	struct running slots[64];
	size_t n = 0, next = 0;
	bool ok = true;

	if (jobs == 0 || jobs > 64)
		jobs = jobs == 0 ? 1 : 64;
	while (ok && (next < nruns || n > 0)) {
		if (next < nruns && n < jobs) {
			ok = start(name, text, len, base, runs, next, &slots[n], err, errlen);
			n += ok;
			next++;
			continue;
		}
		ok = reap(slots, &n, runs, err, errlen);
	}
	while (n > 0 && reap(slots, &n, runs, err, errlen))
		;
	return ok;
}
