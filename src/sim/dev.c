/*
 * dev.c - simulated block devices over host files, their timing model,
 * the event queue that completes their requests, and the clock.
 *
 * Timing is decided once, at submission, by integer arithmetic: a
 * device's requests are served in FIFO order, so a new request starts
 * when the one before it ends (or now, if the device is idle), and its
 * cost (seek, if not sequential, plus npages * 4096 bytes at the rate) is
 * known then.  The completion goes into the event queue, a binary heap
 * ordered by (completion time, submission number): port_io_wait and
 * port_io_poll take from its top, so completions come earliest first and
 * ties go to the request submitted first, whatever the devices.
 *
 * Data moves at completion, not at submission, as on a real disk: a read
 * queued behind a write to the same block sees the written bytes because
 * the write completes first.  A request the injection schedule fails is
 * still timed and still moves the head, but transfers nothing and
 * completes with VM_EIO; so does one the host file refuses.
 *
 * Injection is counted at submission ("the Nth swap read" is the Nth
 * read submitted), which for one FIFO device is also completion order.
 *
 * The file pager shares the queue and the clock: its messages are timed
 * like any request (a fixed latency per message instead of a seek), and
 * pager.c moves their bytes, so that a file's data_request queued behind
 * its data_return sees the returned bytes, as with swap.
 */
#include "dev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "inject.h"

struct dev {
	bool present;
	int fd;
	char *path;             /* NULL: an unlinked temporary file */
	uint64_t blocks;
	uint64_t seek_ns, rate_mbps;
	uint64_t latency_ns;    /* paid by every request */
	uint64_t free_at;       /* when the last request queued ends */
	uint64_t next_block;    /* block after the last request queued's last */
	struct sim_dev_stats stats;
};

/* A request in flight: its completion, and what the model decided. */
struct dev_event {
	uint64_t at, seq;
	struct port_io *io;
	uint64_t cost_ns;
	uint64_t tag;           /* the file pager's, from sim_pager_accept */
	bool seek, fail;
};

static struct dev dev_table[PORT_DEV_COUNT];
static const char *const dev_names[PORT_DEV_COUNT] = {[PORT_DEV_SWAP] = "swap",
						      [PORT_DEV_FILE] = "file"};
/* Injection kind per device and operation. */
static const enum inject_kind dev_inject_kind[PORT_DEV_COUNT][2] = {
	[PORT_DEV_SWAP] = {[PORT_IO_READ] = INJECT_SWAP_READ, [PORT_IO_WRITE] = INJECT_SWAP_WRITE},
	[PORT_DEV_FILE] = {[PORT_IO_READ] = INJECT_FILE_READ, [PORT_IO_WRITE] = INJECT_FILE_WRITE},
};

/* Blocks of the file "device": pages of a file of 2^63 bytes at most. */
#define DEV_FILE_BLOCKS ((uint64_t)1 << 51)

static struct dev_event *evq;
static size_t evq_n, evq_cap;
static uint64_t dev_seq;
static struct sim_clock_stats dev_clock;

#define DEV_NO_BLOCK UINT64_MAX

void sim_dev_config_defaults(struct sim_dev_config *c)
{
	*c = (struct sim_dev_config){
		.swap_bytes = SIM_DEV_SWAP_BYTES,
		.swap_seek_ns = SIM_DEV_SEEK_NS,
		.swap_rate_mbps = SIM_DEV_RATE_MBPS,
		.op_cost_ns = SIM_DEV_OP_COST_NS,
		.pager_latency_ns = SIM_PAGER_LATENCY_NS,
		.pager_rate_mbps = SIM_PAGER_RATE_MBPS,
	};
}

/* ---- host files ---- */

/* A file in $TMPDIR (or /tmp) that has no name from the start on. */
static int dev_open_temporary(char *err, size_t errlen)
{
	const char *dir = getenv("TMPDIR");
	char name[4096];
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	snprintf(name, sizeof name, "%s/mvm-swap-XXXXXX", dir);
	fd = mkostemp(name, O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create a swap file in %s: %s", dir, strerror(errno));
		return -1;
	}
	unlink(name);
	return fd;
}

static int dev_open_named(const char *path, char *err, size_t errlen)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		snprintf(err, errlen, "--swap-file %s: %s", path, strerror(errno));
	return fd;
}

static bool dev_open(struct dev *d, uint64_t bytes, const char *path, char *err, size_t errlen)
{
	d->blocks = bytes / VM_PAGE_SIZE;
	if (d->blocks == 0) {
		snprintf(err, errlen, "--swap %llu is smaller than a page (%llu bytes)",
			 (unsigned long long)bytes, (unsigned long long)VM_PAGE_SIZE);
		return false;
	}
	d->fd = path != NULL ? dev_open_named(path, err, errlen) : dev_open_temporary(err, errlen);
	if (d->fd < 0)
		return false;
	/* Sparse: a big device costs the host nothing until it is written. */
	if (ftruncate(d->fd, (off_t)(d->blocks * VM_PAGE_SIZE)) != 0) {
		snprintf(err, errlen, "cannot size the swap file to %llu bytes: %s",
			 (unsigned long long)(d->blocks * VM_PAGE_SIZE), strerror(errno));
		close(d->fd);
		return false;
	}
	d->path = path != NULL ? strdup(path) : NULL;
	d->present = true;
	return true;
}

static void dev_close(struct dev *d)
{
	if (d->present && d->fd >= 0)
		close(d->fd);
	free(d->path);
	*d = (struct dev){.fd = -1, .next_block = DEV_NO_BLOCK};
}

/* ---- boot ---- */

/* The file pager: no host file of its own (pager.c finds the request's). */
static void dev_boot_pager(const struct sim_dev_config *c)
{
	struct dev *d = &dev_table[PORT_DEV_FILE];

	d->present = true;
	d->blocks = DEV_FILE_BLOCKS;
	d->latency_ns = c->pager_latency_ns;
	d->rate_mbps = c->pager_rate_mbps;
	sim_pager_reset();
}

bool sim_dev_boot(const struct sim_dev_config *c, char *err, size_t errlen)
{
	struct dev *swap = &dev_table[PORT_DEV_SWAP];

	sim_dev_shutdown();
	dev_boot_pager(c);
	swap->seek_ns = c->swap_seek_ns;
	swap->rate_mbps = c->swap_rate_mbps;
	if (c->swap_bytes != 0 && !dev_open(swap, c->swap_bytes, c->swap_path, err, errlen)) {
		dev_close(swap);
		return false;
	}
	return true;
}

void sim_dev_shutdown(void)
{
	for (int i = 0; i < PORT_DEV_COUNT; i++)
		dev_close(&dev_table[i]);
	free(evq);
	evq = NULL;
	evq_n = evq_cap = 0;
	dev_seq = 0;
	dev_clock = (struct sim_clock_stats){0};
}

/* ---- the event queue: a binary min-heap on (at, seq) ---- */

static bool ev_before(const struct dev_event *a, const struct dev_event *b)
{
	return a->at != b->at ? a->at < b->at : a->seq < b->seq;
}

static void ev_swap(size_t i, size_t j)
{
	struct dev_event t = evq[i];

	evq[i] = evq[j];
	evq[j] = t;
}

static void evq_push(const struct dev_event *ev)
{
	size_t i;

	if (evq_n == evq_cap) {
		size_t cap = evq_cap ? evq_cap * 2 : 64;
		struct dev_event *grown = realloc(evq, cap * sizeof *grown);

		if (grown == NULL)
			port_panic(__FILE__, __LINE__, "host out of memory for the I/O queue");
		evq = grown;
		evq_cap = cap;
	}
	i = evq_n++;
	evq[i] = *ev;
	while (i > 0 && ev_before(&evq[i], &evq[(i - 1) / 2])) {
		ev_swap(i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static struct dev_event evq_pop(void)
{
	struct dev_event top = evq[0];
	size_t i = 0;

	evq[0] = evq[--evq_n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < evq_n && ev_before(&evq[l], &evq[m]))
			m = l;
		if (r < evq_n && ev_before(&evq[r], &evq[m]))
			m = r;
		if (m == i)
			return top;
		ev_swap(i, m);
		i = m;
	}
}

/* ---- submission: the device model ---- */

static void io_validate(const struct port_io *io)
{
	const struct dev *d;

	if (io->dev >= PORT_DEV_COUNT || !dev_table[io->dev].present)
		port_panic(__FILE__, __LINE__, "I/O to a device the machine does not have");
	d = &dev_table[io->dev];
	if (io->op != PORT_IO_READ && io->op != PORT_IO_WRITE)
		port_panic(__FILE__, __LINE__, "I/O with an unknown operation");
	if (io->npages == 0 || io->npages > PORT_IO_MAX_PAGES)
		port_panic(__FILE__, __LINE__, "I/O of 0 or more than PORT_IO_MAX_PAGES pages");
	if (io->block >= d->blocks || io->npages > d->blocks - io->block)
		port_panic(__FILE__, __LINE__, "I/O past the end of the device");
	if (io->done == NULL)
		port_panic(__FILE__, __LINE__, "I/O without a done function");
	for (unsigned i = 0; i < io->npages; i++)
		if (io->data[i] == NULL)
			port_panic(__FILE__, __LINE__, "I/O with a NULL page buffer");
}

/* Nanoseconds to move NPAGES pages at RATE MB/s (10^6 bytes a second). */
static uint64_t transfer_ns(uint64_t npages, uint64_t rate_mbps)
{
	return rate_mbps == 0 ? 0 : npages * VM_PAGE_SIZE * 1000 / rate_mbps;
}

void port_io_submit(struct port_io *io)
{
	struct dev *d;
	struct dev_event ev;

	io_validate(io);
	d = &dev_table[io->dev];
	ev = (struct dev_event){.seq = ++dev_seq, .io = io, .seek = io->block != d->next_block};
	ev.cost_ns = d->latency_ns + (ev.seek ? d->seek_ns : 0) + transfer_ns(io->npages, d->rate_mbps);
	if (io->dev == PORT_DEV_FILE)
		ev.tag = sim_pager_accept(io);
	ev.at = (d->free_at > dev_clock.now_ns ? d->free_at : dev_clock.now_ns) + ev.cost_ns;
	ev.fail = inject_event(dev_inject_kind[io->dev][io->op]);
	d->free_at = ev.at;
	d->next_block = io->block + io->npages;
	io->host_seq = ev.seq;
	io->host_next = NULL;
	evq_push(&ev);
}

/* ---- completion ---- */

/* Moves the whole of IOV to or from FD at OFF, through short transfers. */
static bool dev_transfer_all(int fd, bool write, struct iovec *iov, int n, off_t off)
{
	while (n > 0) {
		ssize_t got = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return false;
		off += got;
		while (n > 0 && (size_t)got >= iov->iov_len) {
			got -= (ssize_t)iov->iov_len;
			iov++, n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + got;
			iov->iov_len -= (size_t)got;
		}
	}
	return true;
}

static enum vm_err dev_transfer(const struct dev *d, const struct port_io *io)
{
	struct iovec iov[PORT_IO_MAX_PAGES];
	bool write = io->op == PORT_IO_WRITE;

	for (unsigned i = 0; i < io->npages; i++)
		iov[i] = (struct iovec){.iov_base = io->data[i], .iov_len = VM_PAGE_SIZE};
	if (dev_transfer_all(d->fd, write, iov, io->npages, (off_t)(io->block * VM_PAGE_SIZE)))
		return VM_OK;
	port_log(0, "%s device: host %s of blocks %llu+%u failed: %s", dev_names[io->dev],
		 write ? "write" : "read", (unsigned long long)io->block, io->npages,
		 errno ? strerror(errno) : "end of file");
	return VM_EIO;
}

static void dev_count(struct dev *d, const struct dev_event *ev)
{
	const struct port_io *io = ev->io;

	d->stats.busy_ns += ev->cost_ns;
	d->stats.seeks += ev->seek;
	if (io->err != VM_OK) {
		d->stats.errors++;
	} else if (io->op == PORT_IO_READ) {
		d->stats.reads++;
		d->stats.pages_read += io->npages;
	} else {
		d->stats.writes++;
		d->stats.pages_written += io->npages;
	}
}

/* Takes the earliest request off the queue and finishes it. */
static void dev_complete_next(void)
{
	struct dev_event ev = evq_pop();
	struct port_io *io = ev.io;
	struct dev *d = &dev_table[io->dev];

	errno = 0;
	if (ev.fail)
		io->err = VM_EIO;
	else
		io->err = io->dev == PORT_DEV_FILE ? sim_pager_transfer(io, ev.tag) : dev_transfer(d, io);
	dev_count(d, &ev);
	if (io->dev == PORT_DEV_FILE)
		sim_pager_complete(io, ev.cost_ns);
	io->done(io);
}

bool port_io_wait(void)
{
	if (evq_n == 0)
		return false;
	dev_clock.io_waits++;
	if (evq[0].at > dev_clock.now_ns) {
		dev_clock.io_wait_ns += evq[0].at - dev_clock.now_ns;
		dev_clock.now_ns = evq[0].at;
	}
	dev_complete_next();
	return true;
}

void port_io_poll(void)
{
	while (evq_n > 0 && evq[0].at <= dev_clock.now_ns)
		dev_complete_next();
}

uint64_t port_io_pending(void)
{
	return evq_n;
}

uint64_t port_time_ns(void)
{
	return dev_clock.now_ns;
}

void sim_clock_advance(uint64_t ns)
{
	dev_clock.now_ns += ns;
}

/* ---- what the devices report ---- */

uint64_t port_dev_blocks(enum port_dev dev)
{
	return dev < PORT_DEV_COUNT && dev_table[dev].present ? dev_table[dev].blocks : 0;
}

const char *sim_dev_name(enum port_dev dev)
{
	return dev < PORT_DEV_COUNT ? dev_names[dev] : "?";
}

const char *sim_dev_path(enum port_dev dev)
{
	return dev < PORT_DEV_COUNT && dev_table[dev].path != NULL ? dev_table[dev].path : "";
}

void sim_dev_get_stats(enum port_dev dev, struct sim_dev_stats *st)
{
	*st = dev < PORT_DEV_COUNT ? dev_table[dev].stats : (struct sim_dev_stats){0};
}

void sim_clock_get_stats(struct sim_clock_stats *st)
{
	*st = dev_clock;
}
