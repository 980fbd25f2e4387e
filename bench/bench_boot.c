/*
 * bench_boot.c - the kernel host under qemu (TCG) beside the simulator.
 *
 * Runs `mvm boot` and `mvm replay --swap 0` (the program next to this
 * one in the build directory) on the same generated traces and prints:
 *   - start to the end of an empty trace: what booting costs;
 *   - a random anonymous-memory trace (fork trees, mprotect, munmap,
 *     madvise, segv): operations per second;
 *   - one `touch w` over many pages: page faults per second.
 * Each rate takes off the time of the same command on an empty trace
 * (booting qemu, or starting the simulator).
 * The peer of each figure is `mvm replay` of the same trace in the same
 * run (there is no host-kernel peer for a whole boot).  Skips (exit 0,
 * saying so) where qemu is missing.  MVM_BENCH_QUICK=1 shrinks the sizes.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_common.h"

static char mvm[PATH_MAX];

/* Seconds to run the shell command CMD, or a negative number if it failed. */
static double run_seconds(const char *cmd)
{
	double t0 = bench_now_ns();

	if (system(cmd) != 0)
		return -1;
	return (bench_now_ns() - t0) / 1e9;
}

static double timed(const char *how, const char *trace)
{
	char cmd[PATH_MAX * 3];

	snprintf(cmd, sizeof cmd, "%s %s %s > /dev/null", mvm, how, trace);
	return run_seconds(cmd);
}

/* Seconds of work in a run of TOTAL seconds that began with START seconds
 * of starting up; when start-up noise is larger than the work (a tiny
 * trace), the whole run, so that a rate is never negative. */
static double work_seconds(double total, double start)
{
	return total > start ? total - start : total;
}

static void write_trace(const char *path, const char *gen_args, const char *text)
{
	char cmd[PATH_MAX * 3];
	FILE *f;

	if (gen_args != NULL) {
		snprintf(cmd, sizeof cmd, "%s gen %s > %s", mvm, gen_args, path);
		if (system(cmd) != 0)
			bench_die("mvm gen %s failed", gen_args);
		return;
	}
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		bench_die("cannot write %s", path);
}

static uint64_t lines_of(const char *path)
{
	FILE *f = fopen(path, "r");
	uint64_t n = 0;
	int c;

	while (f != NULL && (c = getc(f)) != EOF)
		n += c == '\n';
	if (f != NULL)
		fclose(f);
	return n;
}

int main(int argc, char **argv)
{
	char dir[PATH_MAX], empty[] = "/tmp/bench_boot_empty.trace",
	     rnd[] = "/tmp/bench_boot_random.trace", faults[] = "/tmp/bench_boot_faults.trace",
	     text[256], gen[128];
	uint64_t ops = bench_quick() ? 100 : 1000, pages = bench_quick() ? 512 : 8192;
	double boot, start, b, r;

	(void)argc;
	snprintf(dir, sizeof dir, "%s", argv[0]);
	snprintf(mvm, sizeof mvm, "%s/mvm", dirname(dir));
	if (system("command -v qemu-system-x86_64 > /dev/null") != 0) {
		printf("# qemu-system-x86_64 is not installed: skipped (scripts/deps installs it)\n");
		return 0;
	}
	write_trace(empty, NULL, "mvm-trace 1\n");
	boot = timed("boot", empty);
	start = timed("replay --swap 0", empty);
	if (boot < 0 || start < 0)
		bench_die("mvm boot or mvm replay failed on an empty trace");
	bench_label("mvm boot of an empty trace: boot, one exchange, shutdown (s)");
	bench_figure(boot, "s", start, "s", "-");

	snprintf(gen, sizeof gen, "random --no-files --ops %llu --seed 7", (unsigned long long)ops);
	write_trace(rnd, gen, NULL);
	b = timed("boot", rnd);
	r = timed("replay --swap 0", rnd);
	if (b < 0 || r < 0)
		bench_die("a run of the random trace failed");
	bench_label("random anonymous trace, %llu lines: operations per second",
		    (unsigned long long)lines_of(rnd));
	bench_figure(lines_of(rnd) / work_seconds(b, boot), "ops/s",
		     lines_of(rnd) / work_seconds(r, start), "ops/s", "-");

	snprintf(text, sizeof text, "mvm-trace 1\n1 spawn\n1 mmap 0x100000000000 0x%llx rw- private anon\n"
		 "1 touch 0x100000000000 0x%llx w\n", (unsigned long long)(pages * 4096),
		 (unsigned long long)(pages * 4096));
	write_trace(faults, NULL, text);
	b = timed("boot --ram 64M", faults);
	r = timed("replay --swap 0 --ram 64M", faults);
	if (b < 0 || r < 0)
		bench_die("a run of the fault trace failed");
	bench_label("%llu zero-fill page faults in one touch: faults per second (boot taken off)",
		    (unsigned long long)pages);
	bench_figure(pages / work_seconds(b, boot), "faults/s", pages / work_seconds(r, start),
		     "faults/s", "-");
	return 0;
}
