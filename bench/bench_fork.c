/*
 * bench_fork.c - what fork costs a process with 256 MiB resident, in mvm
 * and in the host kernel.  Prints figures; never fails on time.
 *
 * A parent maps 256 MiB of private anonymous memory and writes every page
 * (65536 resident pages).  Then:
 *
 *   fork          mvm: vm_map_fork() of the parent's map, which shares
 *                 each amap's root node (O(1) per entry) and must take
 *                 write permission away from the parent's PTEs.
 *                 Host: fork(), from the call to its return in the parent
 *                 (Linux copies the page tables of anonymous memory and
 *                 write-protects both sides).  Target at most 0.2x.
 *   fork + exit   the fork and the child's exit: mvm vm_map_fork() then
 *                 vm_map_destroy() of the child; host fork(), the child
 *                 _exit(0)s at once, waitpid() in the parent.
 *   first write   the first write fault in the child after the fork.  In
 *                 mvm it copies the amap nodes on the path down to the
 *                 page (fork copied none) and then the page;
 *                 on the host it is one copy-on-write fault (timed in the
 *                 child and sent back through a pipe).  A second write
 *                 fault in the child, on the next page, is printed
 *                 beside it, so the path copy shows as the difference.
 *
 * Before each fork the parent writes every page again, so each fork
 * starts from writable PTEs, as the first one did.  The host figures are
 * taken first, while this process is small: a host fork() after the
 * simulated machine's 1 GiB of RAM is mapped would copy its page tables
 * too.  Host memory uses 4 KiB pages (no THP), like the simulator.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_common.h"
#include "mvm/vm.h"

#define FORK_RAM (1ull << 30)
#define FORK_RAM_QUICK (64ull << 20)
#define FORK_NPAGES 65536ull
#define FORK_NPAGES_QUICK 1024ull

struct fork_figures {
	double fork_ns;
	double fork_exit_ns;
	double first_write_ns;
	double second_write_ns;
};

static uint64_t npages;

/* ---- host ---- */

static void host_fork_once(uint8_t *mem, struct fork_figures *best)
{
	double t0, t1, t2;
	pid_t pid;

	bench_host_touch(mem, npages, 2);
	t0 = bench_now_ns();
	pid = fork();
	if (pid == 0)
		_exit(0);
	t1 = bench_now_ns();
	if (pid < 0)
		bench_die("fork failed");
	if (waitpid(pid, NULL, 0) != pid)
		bench_die("waitpid failed");
	t2 = bench_now_ns();
	bench_keep_min(&best->fork_ns, t1 - t0);
	bench_keep_min(&best->fork_exit_ns, t2 - t0);
}

/* The child times its first two write faults and reports them. */
static void host_child_writes_once(uint8_t *mem, struct fork_figures *best)
{
	double dt[2];
	int fd[2];
	pid_t pid;

	if (pipe(fd) != 0)
		bench_die("pipe failed");
	pid = fork();
	if (pid == 0) {
		double t0 = bench_now_ns(), t1, t2;

		((volatile uint8_t *)mem)[0] = 3;
		t1 = bench_now_ns();
		((volatile uint8_t *)mem)[BENCH_PAGE] = 3;
		t2 = bench_now_ns();
		dt[0] = t1 - t0;
		dt[1] = t2 - t1;
		_exit(write(fd[1], dt, sizeof dt) == (ssize_t)sizeof dt ? 0 : 1);
	}
	if (pid < 0)
		bench_die("fork failed");
	close(fd[1]);
	if (read(fd[0], dt, sizeof dt) != (ssize_t)sizeof dt)
		bench_die("the child did not report its faults");
	close(fd[0]);
	waitpid(pid, NULL, 0);
	bench_keep_min(&best->first_write_ns, dt[0]);
	bench_keep_min(&best->second_write_ns, dt[1]);
}

static void host_fork(struct fork_figures *best)
{
	uint8_t *mem = bench_host_map(npages);

	*best = (struct fork_figures){-1, -1, -1, -1};
	bench_host_touch(mem, npages, 1);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		host_fork_once(mem, best);
		host_child_writes_once(mem, best);
	}
	bench_host_unmap(mem, npages);
}

/* ---- mvm ---- */

static void sim_fork_once(struct sim *s, const struct trace_op *rewrite, struct fork_figures *best)
{
	struct vm_map *parent = sim_proc_find(s, 1)->map, *child;
	double t0, t1, t2;

	bench_exec(s, rewrite);
	t0 = bench_now_ns();
	if (vm_map_fork(parent, &child) != VM_OK)
		bench_die("vm_map_fork failed");
	t1 = bench_now_ns();
	vm_map_destroy(child);
	t2 = bench_now_ns();
	bench_keep_min(&best->fork_ns, t1 - t0);
	bench_keep_min(&best->fork_exit_ns, t2 - t0);
}

static void sim_child_writes_once(struct sim *s, const struct trace_op *rewrite,
				  struct fork_figures *best)
{
	bench_exec(s, rewrite);
	bench_do(s, "1 fork 2");
	sim_proc_run(s, sim_proc_find(s, 2)); /* the context switch is not the fault */
	bench_keep_min(&best->first_write_ns, bench_do(s, "2 touch 0x%llx 1 w", BENCH_BASE));
	bench_keep_min(&best->second_write_ns,
		       bench_do(s, "2 touch 0x%llx 1 w", BENCH_BASE + BENCH_PAGE));
	bench_do(s, "2 exit");
}

static void sim_fork(struct fork_figures *best)
{
	static struct sim s;
	struct trace_op rewrite;

	*best = (struct fork_figures){-1, -1, -1, -1};
	bench_boot(&s, bench_quick() ? FORK_RAM_QUICK : FORK_RAM);
	bench_parse(&rewrite, "1 touch 0x%llx %llu w", BENCH_BASE, npages * BENCH_PAGE);
	bench_do(&s, "1 spawn");
	bench_do(&s, "1 mmap 0x%llx %llu rw- private anon", BENCH_BASE, npages * BENCH_PAGE);
	bench_do(&s, "1 write 0x%llx %llu 5", BENCH_BASE, npages * BENCH_PAGE);
	for (int rep = 0; rep < bench_reps(5); rep++) {
		sim_fork_once(&s, &rewrite, best);
		sim_child_writes_once(&s, &rewrite, best);
	}
	bench_check(&s);
	bench_note_reclaim();
	sim_shutdown(&s);
}

int main(void)
{
	struct fork_figures host, mvm;

	npages = bench_quick() ? FORK_NPAGES_QUICK : FORK_NPAGES;
	host_fork(&host);
	sim_fork(&mvm);

	bench_label("fork of a process with %llu MiB resident (%llu written pages): mvm "
		    "vm_map_fork vs host fork() until it returns in the parent",
		    (unsigned long long)(npages * BENCH_PAGE >> 20), (unsigned long long)npages);
	bench_figure(mvm.fork_ns / 1e6, "ms", host.fork_ns / 1e6, "ms", "<= 0.2x");
	bench_label("fork + exit of the child: mvm vm_map_fork + vm_map_destroy vs host "
		    "fork(), child _exit(0), waitpid()");
	bench_figure(mvm.fork_exit_ns / 1e6, "ms", host.fork_exit_ns / 1e6, "ms", "none");
	bench_label("first write fault in the child after fork: mvm amap path copy + page "
		    "copy (through the simulated MMU) vs host COW fault");
	bench_figure(mvm.first_write_ns / 1e3, "us", host.first_write_ns / 1e3, "us", "none");
	printf("# second write fault in the child (next page): mvm %.2f us, host %.2f us\n",
	       mvm.second_write_ns / 1e3, host.second_write_ns / 1e3);
	return 0;
}
