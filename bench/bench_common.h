/*
 * bench_common.h - what the foundation benchmarks share: a clock, the
 * figure line, quick mode, and a simulated machine driven by trace lines.
 *
 * Every figure is one line a script can pick out of the output:
 *
 *   figure: VALUE UNIT | host peer: VALUE UNIT | ratio X | target Y
 *
 * preceded by a `#` line that names it.  The ratio is mvm's value over
 * the host's (for a rate, below 1 means mvm is slower).  A benchmark
 * prints what it measured and never fails on time; it fails (exit 1)
 * only when the machine did something other than what the benchmark set
 * up, e.g. a segv or an OOM kill, because then the figure means nothing.
 *
 * Timing: CLOCK_MONOTONIC, each measurement repeated and the best
 * (minimum) kept, since noise on a shared host only ever adds time.
 *
 * MVM_BENCH_QUICK=1 in the environment shrinks every size so that the
 * test suite can run the benchmarks as a smoke test in well under a
 * second each; its figures are not meant to be read.
 *
 * The simulated machine is driven through sim_exec() with operations
 * parsed from trace text, exactly what `mvm replay` would run for the
 * same lines, so the set-up reads like a trace and the timed part is the
 * simulator's own path (MMU miss, vm_fault, pmap_enter, retry).  The
 * simulated RAM is touched on the host right after boot: a real machine's
 * RAM is always there, and without this the first use of every frame
 * would add a host page fault to the simulated one.
 *
 * Random numbers are the unit tests' (tests/unit/test_rng.h): rng(),
 * rng_below(), seeded by assigning rng_state.
 *
 * Everything here is static inline, so each benchmark uses what it needs.
 */
#ifndef MVM_BENCH_COMMON_H
#define MVM_BENCH_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "../tests/unit/test_rng.h"
#include "mvm/vm_types.h"
#include "sim/sim.h"
#include "vm/pagedaemon.h"

/* Where the benchmarks map memory, in the simulator and in host peers. */
#define BENCH_BASE 0x100000000000ull
#define BENCH_PAGE 4096ull

static inline double bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* MVM_BENCH_QUICK set to anything but "" or "0". */
static inline bool bench_quick(void)
{
	const char *q = getenv("MVM_BENCH_QUICK");

	return q != NULL && q[0] != '\0' && strcmp(q, "0") != 0;
}

/* Repetitions of each measurement: the best of several, one when quick. */
static inline int bench_reps(int normal)
{
	return bench_quick() ? 1 : normal;
}

static inline void bench_keep_min(double *best, double v)
{
	if (*best < 0 || v < *best)
		*best = v;
}

__attribute__((format(printf, 1, 2), noreturn))
static inline void bench_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("bench: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* Three significant digits or so, without exponents. */
static inline const char *bench_num(char *buf, size_t len, double v)
{
	double a = v < 0 ? -v : v;
	int prec = a >= 100 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;

	snprintf(buf, len, "%.*f", prec, v);
	return buf;
}

__attribute__((format(printf, 1, 2)))
static inline void bench_label(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
}

/* The figure line.  PEER_UNIT NULL: there is no host peer. */
static inline void bench_figure(double value, const char *unit, double peer,
				const char *peer_unit, const char *target)
{
	char v[32], p[32], r[32];

	printf("figure: %s %s | ", bench_num(v, sizeof v, value), unit);
	if (peer_unit == NULL || peer <= 0)
		printf("host peer: none | ratio - | ");
	else
		printf("host peer: %s %s | ratio %s | ", bench_num(p, sizeof p, peer), peer_unit,
		       bench_num(r, sizeof r, value / peer));
	printf("target %s\n", target);
	fflush(stdout);
}

/* ---- host memory for the peers ---- */

/* N fresh private anonymous pages in 4 KiB pages (no THP, so that a host
 * first touch is one 4 KiB fault, as in the simulator). */
static inline uint8_t *bench_host_map(uint64_t npages)
{
	void *p = mmap(NULL, npages * BENCH_PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		bench_die("cannot map %llu host pages", (unsigned long long)npages);
	madvise(p, npages * BENCH_PAGE, MADV_NOHUGEPAGE);
	return p;
}

static inline void bench_host_unmap(uint8_t *p, uint64_t npages)
{
	munmap(p, npages * BENCH_PAGE);
}

/* Writes one byte per page (first touch, or a write fault after fork). */
static inline void bench_host_touch(uint8_t *p, uint64_t npages, uint8_t v)
{
	for (uint64_t i = 0; i < npages; i++)
		((volatile uint8_t *)p)[i * BENCH_PAGE] = v;
}

/* ---- the simulated machine ---- */

/*
 * Makes every frame of the simulated RAM present in the host, writable.
 * Writing a byte back changes nothing; it is done without ASan's checks
 * because the core poisons the bytes of free frames in sanitizer builds.
 */
__attribute__((no_sanitize_address))
static inline void bench_populate(uint8_t *ram, uint64_t bytes)
{
#ifdef MADV_POPULATE_WRITE
	if (madvise(ram, bytes, MADV_POPULATE_WRITE) == 0)
		return;
#endif
	for (uint64_t off = 0; off < bytes; off += BENCH_PAGE) {
		volatile uint8_t *b = ram + off;

		*b = *b;
	}
}

static inline void bench_boot(struct sim *s, uint64_t ram_bytes)
{
	struct sim_config cfg = {.ram_bytes = ram_bytes};
	char err[256];

	if (!sim_boot(s, &cfg, err, sizeof err))
		bench_die("sim_boot: %s", err);
	s->report = stderr;
	bench_populate(s->ram, s->ram_bytes);
}

/* Reclaim would make a figure measure the page daemon: say so. */
static inline void bench_note_reclaim(void)
{
	if (vm_pagedaemon_stats.runs != 0)
		printf("# warning: the page daemon ran %llu times; the machine is too small "
		       "for these figures\n", (unsigned long long)vm_pagedaemon_stats.runs);
}

__attribute__((format(printf, 2, 0)))
static inline void bench_vparse(struct trace_op *op, const char *fmt, va_list ap)
{
	char line[256], err[256];
	int n = vsnprintf(line, sizeof line, fmt, ap);

	if (n < 0 || (size_t)n >= sizeof line)
		bench_die("trace line too long");
	if (trace_parse_line(line, (size_t)n, 1, false, op, err, sizeof err) != 1)
		bench_die("bad trace line \"%s\": %s", line, err);
}

/* OP from one line of trace text. */
__attribute__((format(printf, 2, 3)))
static inline void bench_parse(struct trace_op *op, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bench_vparse(op, fmt, ap);
	va_end(ap);
}

/*
 * Runs OP on the machine and returns the nanoseconds sim_exec took.  Every
 * operation a benchmark runs is meant to succeed silently; any output
 * (segv, error, kill) or a failed check means the set-up is wrong.
 */
static inline double bench_exec(struct sim *s, const struct trace_op *op)
{
	static struct trace_events out;
	struct sim_result res;
	double t0, t1;

	trace_events_clear(&out);
	t0 = bench_now_ns();
	sim_exec(s, op, &out, &res);
	t1 = bench_now_ns();
	if (out.n != 0 || res.killed_self || res.failed_check) {
		fprintf(stderr, "bench: unexpected result of: ");
		trace_format_op(op, stderr);
		for (size_t i = 0; i < out.n; i++)
			trace_event_format(&out.ev[i], stderr);
		if (res.failed_check)
			fprintf(stderr, "check: %s\n", res.why);
		exit(1);
	}
	return t1 - t0;
}

/* Parses and runs one trace line; returns the nanoseconds it ran. */
__attribute__((format(printf, 2, 3)))
static inline double bench_do(struct sim *s, const char *fmt, ...)
{
	struct trace_op op;
	va_list ap;

	va_start(ap, fmt);
	bench_vparse(&op, fmt, ap);
	va_end(ap);
	return bench_exec(s, &op);
}

/* The consistency checker after a benchmark: its figures stand only if
 * the machine is still right. */
static inline void bench_check(struct sim *s)
{
	char why[512];

	if (!sim_check(s, why, sizeof why))
		bench_die("check failed after the benchmark: %s", why);
}

#endif
