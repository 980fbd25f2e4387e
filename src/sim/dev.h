/*
 * dev.h - the simulated block devices and the simulated clock.
 *
 * This is the host side of the "Block devices" part of mvm/port.h.  A
 * device is a real host file: bytes the core writes really go to it and
 * come back from it, so a pageout/pagein bug shows up as wrong data, not
 * as a wrong counter.  What is simulated is time.  The clock is a count of
 * nanoseconds that moves only when the simulator says so: by a fixed cost
 * per trace operation (sim_clock_advance from sim_exec), and by
 * port_io_wait(), which jumps to the completion of the earliest
 * outstanding request.  Nothing depends on the host's speed, so the same
 * trace with the same options gives the same timings, byte for byte.
 *
 * The device model is a disk with one head and a FIFO queue: a request
 * starts when the device is free (or at submission, if later), pays a
 * seek unless it starts at the block after the previous request's last,
 * then transfers its pages at a fixed rate.  Its completion time is
 * fixed at submission; its data moves at completion.
 *
 * The file pager (PORT_DEV_FILE) is the same queue with another model:
 * it is an external pager in Mach's sense, a server that answers one
 * message at a time, so every message pays a fixed service latency (its
 * "seek") plus the transfer of its pages at the pager's rate.  Its data
 * moves at completion as well; what it does with the bytes (the host
 * file of the request's handle, the file's size as the limit) is
 * pager.c's.
 *
 * One set of devices exists per process, like the machine (the port
 * functions have no context argument).  sim_dev_boot replaces it.
 */
#ifndef MVM_SIM_DEV_H
#define MVM_SIM_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvm/port.h"

#define SIM_DEV_SWAP_BYTES (256ull << 20)   /* --swap default */
#define SIM_DEV_SEEK_NS 4000000ull          /* --swap-seek default: 4 ms */
#define SIM_DEV_RATE_MBPS 100ull            /* --swap-rate default: 100 MB/s */
#define SIM_DEV_OP_COST_NS 1000ull          /* --op-cost default: 1 us */
#define SIM_PAGER_LATENCY_NS 50000ull       /* --pager-latency default: 50 us */
#define SIM_PAGER_RATE_MBPS 200ull          /* --pager-rate default: 200 MB/s */

/*
 * A zeroed configuration is a machine with no devices whose clock moves
 * only on I/O: what unit tests that never swap want.
 */
struct sim_dev_config {
	uint64_t swap_bytes;     /* --swap: rounded down to whole pages; 0: no device */
	const char *swap_path;   /* --swap-file: created or truncated, left after
	                          * exit; NULL: an unlinked temporary file */
	uint64_t swap_seek_ns;   /* --swap-seek: a request that does not follow
	                          * the previous one pays this */
	uint64_t swap_rate_mbps; /* --swap-rate: MB/s (10^6 bytes); 0: transfers
	                          * take no time */
	uint64_t op_cost_ns;     /* --op-cost: what each trace operation costs */
	uint64_t pager_latency_ns; /* --pager-latency: what each message to the
	                            * file pager costs before its transfer */
	uint64_t pager_rate_mbps;  /* --pager-rate: MB/s; 0: transfers take no time */
};

/* Per device, since boot; requests are counted when they complete. */
struct sim_dev_stats {
	uint64_t reads, writes;        /* requests that succeeded */
	uint64_t pages_read, pages_written;
	uint64_t errors;               /* requests completed with VM_EIO */
	uint64_t seeks;                /* requests that did not follow the last */
	uint64_t busy_ns;              /* seek plus transfer time, all requests */
};

struct sim_clock_stats {
	uint64_t now_ns;
	uint64_t io_waits;             /* port_io_wait calls that completed I/O */
	uint64_t io_wait_ns;           /* time those waits moved the clock */
};

/* The defaults of the replay options. */
void sim_dev_config_defaults(struct sim_dev_config *c);

/*
 * The file pager is always present (files need no option); the swap
 * device only with a size.  Creates the devices of C and sets the clock to 0, replacing any devices
 * booted before (whose outstanding I/O is dropped).  False with a message
 * in ERR if a host file cannot be created or sized.
 */
bool sim_dev_boot(const struct sim_dev_config *c, char *err, size_t errlen);
/* Closes the devices; I/O still outstanding is dropped without done(). */
void sim_dev_shutdown(void);

/* Moves the clock forward by NS (work the simulated CPU did). */
void sim_clock_advance(uint64_t ns);

const char *sim_dev_name(enum port_dev dev);
/* The host file behind DEV ("" for an unlinked temporary file). */
const char *sim_dev_path(enum port_dev dev);
void sim_dev_get_stats(enum port_dev dev, struct sim_dev_stats *st);
void sim_clock_get_stats(struct sim_clock_stats *st);

/*
 * The file pager's side of a message (pager.c), called by dev.c.  Pagers
 * are numbered from 0; the simulator has one, serving every file.
 */
#define SIM_PAGERS 1

/* Per pager, since boot; messages are counted when they complete. */
struct sim_pager_stats {
	uint64_t requests, request_pages; /* data_requests answered (data_supply) */
	uint64_t returns, return_pages;   /* data_returns acknowledged */
	uint64_t errors;                  /* messages completed with VM_EIO */
	uint64_t dropped;                 /* data_returns for a file since rewritten
	                                   * by the trace: acknowledged, not written */
	uint64_t busy_ns;                 /* service time, all messages */
	uint64_t returns_in_flight;       /* data_returns submitted, not completed */
	uint64_t returns_in_flight_peak;
};

/*
 * How the pager finds a file: its host descriptor and generation (see
 * files.h).  The file table installs it at boot; the pager sits below the
 * table in the link order (mvm_port), so it is told rather than calling up.
 */
typedef bool (*sim_pager_lookup_fn)(uint64_t handle, int *fd, uint64_t *generation);
void sim_pager_set_lookup(sim_pager_lookup_fn lookup);

/* Checks a message at submission (the handle names a file of the table,
 * the pager exists; panics if not) and returns the tag to hand back at
 * completion: the file's generation. */
uint64_t sim_pager_accept(const struct port_io *io);
/* Moves the message's bytes: reads the pages from the host file (zeros
 * at and past its end) or writes the bytes below io->limit. */
enum vm_err sim_pager_transfer(const struct port_io *io, uint64_t tag);
/* Counts a completed message (io->err set) that took COST_NS. */
void sim_pager_complete(const struct port_io *io, uint64_t cost_ns);
void sim_pager_reset(void);
void sim_pager_get_stats(uint32_t pager, struct sim_pager_stats *st);

#endif
