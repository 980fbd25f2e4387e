/*
 * replay.h - `mvm replay`: run a trace on the machine.
 */
#ifndef MVM_SIM_REPLAY_H
#define MVM_SIM_REPLAY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dev.h"
#include "files.h"
#include "inject.h"

struct sim;
struct trace_events;
struct trace_op;

/*
 * An independent oracle that checks every admitted operation's events
 * (--verify): src/model/verify.c provides the reference model as one.
 * AGREE is told how the operation ended (KILLED_SELF: the system ended
 * its process after DONE_BYTES of a data operation); after a disagreement
 * REPORT writes what each side said to ERR (after the caller's
 * "FILE:LINE: ").
 */
struct replay_oracle {
	void *(*create)(void);
	void (*destroy)(void *state);
	bool (*agree)(void *state, const struct trace_op *op, const struct trace_events *got,
		      bool killed_self, uint64_t done_bytes);
	void (*report)(void *state, const struct trace_op *op, const struct trace_events *got,
		       FILE *err);
	void (*killed)(void *state, uint64_t pid);   /* the system ended PID */
};

struct replay_opts {
	uint64_t ram_bytes;     /* --ram */
	const struct replay_oracle *oracle;  /* --verify: check every output against it */
	uint64_t check_every;   /* --check-every N (0: only `check` lines) */
	int verbose;            /* -v */
	FILE *stats;            /* if set, the `stat` report goes here at the end */
	struct sim_dev_config dev;      /* --swap*, --op-cost, --pager-latency, --pager-rate */
	struct sim_files_config files;  /* --files, --dirty-max, --pager-inflight */
	struct inject_schedule inject;  /* --inject */
	FILE *out;              /* output lines (default stdout) */
	const char *who;        /* the subcommand, for messages ("mvm WHO: ...");
	                         * NULL: "mvm: ..." */
	/* If set, called every SAMPLE_EVERY admitted operations and once at
	 * the end (with AT_END), with the machine in a consistent state: for
	 * reports of figures over time. */
	void (*sample)(void *arg, struct sim *s, uint64_t ops, bool at_end);
	void *sample_arg;
	uint64_t sample_every;
};

/* Exit statuses. */
#define REPLAY_OK 0
#define REPLAY_FAILED 1   /* a check or the oracle found a disagreement */
#define REPLAY_BAD_INPUT 2

void replay_opts_defaults(struct replay_opts *o);
/* Replays PATH ("-": standard input); output lines go to standard output. */
int replay_run(const char *path, const struct replay_opts *o);
/* Replays what READER yields (and closes it). */
struct trace_reader;
int replay_run_reader(struct trace_reader *reader, const struct replay_opts *o);

#endif
