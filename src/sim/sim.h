/*
 * sim.h - the simulated machine and the processes that run on it.
 *
 * The simulator is the host of the VM core: it owns the RAM (real bytes
 * in a host mapping), the CPU with its MMU and TLB, and the processes of a
 * trace.  It turns each trace operation into what a kernel would do for a
 * system call or a memory access: validate arguments by the spec's errno
 * rules, call the core, run the page fault handler when the MMU faults,
 * and kill a process when the core reports that no memory can be
 * reclaimed.
 *
 * There is one machine at a time (the core keeps global state, as a
 * kernel does); sim_boot() replaces it.
 */
#ifndef MVM_SIM_SIM_H
#define MVM_SIM_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu.h"
#include "dev.h"
#include "files.h"
#include "inject.h"
#include "trace/trace.h"
#include "trace/trace_hash.h"

struct vm_map;

struct sim_config {
	uint64_t ram_bytes;  /* --ram, default 64 MiB */
	int verbose;         /* -v */
	/* Devices and clock (--swap, --swap-file, --swap-seek, --swap-rate,
	 * --op-cost, --pager-latency, --pager-rate); zeroed: no swap, an
	 * instant file pager, no cost per operation. */
	struct sim_dev_config dev;
	/* Files (--files, --dirty-max, --pager-inflight); zeroed: unnamed
	 * temporary files, the core's defaults. */
	struct sim_files_config files;
	/* --inject; installed at boot, replacing whatever was armed. */
	struct inject_schedule inject;
};

struct sim_proc {
	uint64_t pid;
	struct vm_map *map;
	uint64_t last_run;   /* sim.op_seq when it last ran */
};

struct sim_stats {
	uint64_t ops;
	uint64_t ops_by_kind[TRACE_KIND_COUNT];
	uint64_t faults;         /* MMU faults handed to the core */
	uint64_t segv, sigbus;
	uint64_t oom_kills;
	uint64_t procs_created;
	uint64_t bytes_read, bytes_written;
	/* pread and pwrite: bytes through the file interface, and the calls
	 * the file pager failed (EIO) */
	uint64_t pread_bytes, pwrite_bytes, file_io_errors;
	/* `file`: bytes the host wrote straight to its files */
	uint64_t file_bytes;
	/* Table pages ever allocated by the pmaps of processes now gone
	 * (exited or killed); with the live pmaps' ptp_allocated, every
	 * table page the run allocated. */
	uint64_t ptp_allocated_gone;
	/* The most table pages the live processes would have held at once
	 * had their pmaps never freed one before exit (NetBSD arm32, 1998):
	 * the peak of sim_ptp_never_freed(), taken before each process goes
	 * (the sum only falls then); take the max with the current value. */
	uint64_t ptp_never_freed_peak;
};

struct sim {
	uint8_t *ram;
	uint64_t ram_bytes;
	uint64_t nframes;
	struct sim_cpu cpu;
	struct trace_hash procs;      /* pid -> struct sim_proc * */
	struct sim_proc *running;     /* whose map the CPU has loaded */
	uint64_t op_seq;
	struct sim_stats stats;
	struct sim_config cfg;
	FILE *report;                 /* where `stat` and `vmdump` write */
};

/* What one operation did, beyond its output events. */
struct sim_result {
	bool killed_self;      /* the operation's process was killed */
	uint64_t done_bytes;   /* data operations: bytes completed */
	bool failed_check;     /* `check` found a broken invariant */
	char why[512];         /* ... and which */
};

/* Boots a machine; false with a message in ERR if RAM is too small. */
bool sim_boot(struct sim *s, const struct sim_config *cfg, char *err, size_t errlen);
void sim_shutdown(struct sim *s);

/* Runs one admitted operation, appending its output events to OUT. */
void sim_exec(struct sim *s, const struct trace_op *op, struct trace_events *out,
	      struct sim_result *res);

/* Processes (proc.c). */
struct sim_proc *sim_proc_find(const struct sim *s, uint64_t pid);
/* Makes P the running process (context switch). */
void sim_proc_run(struct sim *s, struct sim_proc *p);
void sim_proc_spawn(struct sim *s, uint64_t pid, struct trace_events *out, struct sim_result *res);
void sim_proc_fork(struct sim *s, struct sim_proc *parent, uint64_t child,
		   struct trace_events *out, struct sim_result *res);
void sim_proc_exec(struct sim *s, struct sim_proc *p);
void sim_proc_exit(struct sim *s, struct sim_proc *p);
/* Ends P, printing `P killed WHY` (WHY is one word: "io", "oom"). */
void sim_proc_kill(struct sim *s, struct sim_proc *p, const char *why, struct trace_events *out);
/*
 * The core found no memory for P's operation: kill the process with the
 * largest footprint (P included), print its `killed oom` line, and return
 * whether P survived (then the operation retries).
 */
bool sim_oom(struct sim *s, struct sim_proc *p, struct trace_events *out);
/* Sum over live processes of their pmaps' ptp_allocated: the table
 * pages they would hold now if pmaps freed none until exit. */
uint64_t sim_ptp_never_freed(const struct sim *s);
/* Processes in ascending pid order (for stat, dumps and the checker). */
size_t sim_procs_sorted(const struct sim *s, struct sim_proc ***list);

/* Memory accesses (access.c): read, write, touch. */
void sim_access(struct sim *s, struct sim_proc *p, const struct trace_op *op,
		struct trace_events *out, struct sim_result *res);

/* The mmap family (syscall.c). */
void sim_syscall(struct sim *s, struct sim_proc *p, const struct trace_op *op,
		 struct trace_events *out, struct sim_result *res);
/* pread and pwrite (syscall.c): through the core's page cache. */
void sim_syscall_file_io(struct sim *s, struct sim_proc *p, const struct trace_op *op,
			 struct trace_events *out, struct sim_result *res);

/* Reports (report.c): `stat` and `vmdump` as `#` lines, `maps` as events. */
void sim_report_stat(struct sim *s, FILE *out);
void sim_report_vmdump(struct sim *s, struct sim_proc *p, FILE *out);
void sim_report_maps(struct sim *s, struct sim_proc *p, struct trace_events *out);

/* The consistency checker (check.c): true if every invariant holds, else
 * false with the first violation in WHY. */
bool sim_check(struct sim *s, char *why, size_t whylen);

#endif
