/*
 * native.h - shared parts of native-replay: the Linux oracle.
 *
 * native-replay runs a trace on the host kernel instead of on mvm, so that
 * mvm's output can be diffed against what Linux really does.  A driver
 * process reads the trace, decides admission and the spec's argument
 * errors, and owns the files; each trace process is a real host process
 * (a "worker") that performs the memory operations on its own address
 * space with real mmap/mprotect/madvise/fork, inside a fixed address
 * window that the host leaves free.
 *
 *   main.c     the driver: trace loop, spec checks, output order, exit codes
 *   files.c    the private file directory: file, pread, pwrite, cleanup
 *   channel.c  driver <-> worker messages over SOCK_SEQPACKET socketpairs
 *   worker.c   a worker: memory operations, faults, maps, fork
 *
 * Exit status: 0 done; 2 bad input, or a trace the host cannot run safely
 * (an mmap outside the window); 3 a host failure; 77 this host cannot
 * serve as the oracle at all (the window is taken, e.g. by
 * AddressSanitizer's shadow memory).
 */
#ifndef NATIVE_REPLAY_NATIVE_H
#define NATIVE_REPLAY_NATIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gen/gen.h"
#include "trace/trace.h"

#define NATIVE_WINDOW_BASE GEN_WINDOW_BASE
#define NATIVE_WINDOW_END (GEN_WINDOW_BASE + GEN_WINDOW_SIZE)
#define NATIVE_PAGE 4096ull

enum {
	NATIVE_EXIT_BAD = 2,
	NATIVE_EXIT_HOST = 3,
	NATIVE_EXIT_UNSUPPORTED = 77,
};

/* ---- channel.c ---- */

enum chan_type {
	CHAN_OP = 1,   /* driver -> worker: payload is a struct trace_op */
	CHAN_TEXT,     /* worker -> driver: output lines */
	CHAN_DONE,     /* worker -> driver: the operation is finished */
	CHAN_FATAL,    /* worker -> driver: a host failure, payload says what */
	CHAN_CHILD,    /* worker -> driver: a forked worker's channel (fd) */
	CHAN_HELLO,    /* new worker -> its parent: "I run", with host pid */
};

/* Largest payload of one message (output is sent in chunks this size). */
#define CHAN_PAYLOAD_MAX 32768

struct chan_msg {
	uint32_t type;
	uint32_t len;       /* payload bytes */
	int32_t host_pid;   /* CHILD, HELLO */
	int32_t fd;         /* CHILD on receipt: the passed descriptor */
	char payload[CHAN_PAYLOAD_MAX];
};

/* Creates a connected pair (close-on-exec).  Returns 0 or -1. */
int chan_pair(int sv[2]);
/* Sends one message; PASS_FD >= 0 travels with it (SCM_RIGHTS).
 * Returns 0, or -1 with errno. */
int chan_send(int fd, uint32_t type, const void *payload, size_t len,
	      int32_t host_pid, int pass_fd);
/* Receives one message.  Returns 1, 0 at end of stream, -1 on error. */
int chan_recv(int fd, struct chan_msg *m);

/* ---- files.c ---- */

/* Creates the private directory.  Returns 0, or -1 with a message. */
int files_init(char *err, size_t errlen);
/* Removes every file and the directory (idempotent). */
void files_cleanup(void);
/* The same from a signal handler: only async-signal-safe calls. */
void files_cleanup_async(void);
/* The directory, for workers opening files to map. */
const char *files_dir(void);
/* Writes the host path of NAME into BUF. */
void files_path(const char *name, char *buf, size_t cap);
bool files_exist(const char *name);
/* The trace's global `file` line.  Returns 0, or -1 with a message. */
int files_create(const struct trace_op *op, char *err, size_t errlen);
/* `P pread` / `P pwrite`: appends the event (read or error) to EV.
 * Returns 0, or -1 with a message on a host failure. */
int files_pread(const struct trace_op *op, struct trace_event *ev,
		char *err, size_t errlen);
int files_pwrite(const struct trace_op *op, struct trace_event *ev, bool *has_ev,
		 char *err, size_t errlen);

/* ---- worker.c ---- */

/* Runs a worker on channel CHAN until told to exit.  Never returns. */
_Noreturn void worker_main(int chan);

/* Whether anything is mapped in the window; WHAT gets the maps line. */
bool native_window_in_use(char *what, size_t whatlen);

/* Errno name for error lines ("ENOMEM"). */
const char *native_errno_name(int err);

#endif
