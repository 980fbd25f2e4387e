/*
 * pager.c - the file pager: the server behind PORT_DEV_FILE.
 *
 * The core treats a file's backing store as an external pager in the
 * Mach sense: it asks for pages with data_request (a PORT_IO_READ), and
 * hands dirty pages back with data_return (a PORT_IO_WRITE).  The pager
 * answers a request with data_supply and acknowledges a return, both by
 * completing the message (done()).  Like a Hurd translator it is a
 * separate component with its own queue: dev.c serves its messages one
 * at a time, in order, each taking the pager's latency plus the transfer
 * of its pages, and moves the bytes here at completion.
 *
 * What the pager does with the bytes is exactly what a file system
 * would:
 *   - data_request: the pages at block * 4096 of the host file; bytes at
 *     or past the host file's end are zeros (a hole, or beyond EOF: the
 *     core owns the file's size, and may have grown it with bytes not yet
 *     returned);
 *   - data_return: only the bytes below io->limit, the file's size as the
 *     core knows it, so the tail of a last page (which a shared mapping
 *     may have scribbled on) never becomes part of the file.
 *
 * A data_return whose file the trace rewrote (`file`) after it was sent
 * carries a stale generation: its bytes belong to contents that no
 * longer exist, so it is acknowledged and dropped.
 *
 * The pager also keeps the books the issue asks for: per pager, messages
 * and pages each way, errors, service time, and data_returns in flight
 * with their peak, which shows whether the core keeps to its cap
 * (--pager-inflight).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "dev.h"

static struct sim_pager_stats pager_stats[SIM_PAGERS];
static sim_pager_lookup_fn pager_lookup;

void sim_pager_set_lookup(sim_pager_lookup_fn lookup)
{
	pager_lookup = lookup;
}

/* The host descriptor and generation of the message's file. */
static void pager_file(const struct port_io *io, int *fd, uint64_t *generation)
{
	if (pager_lookup == NULL || !pager_lookup(io->file, fd, generation))
		port_panic(__FILE__, __LINE__, "a pager message for a file that does not exist");
}

void sim_pager_reset(void)
{
	memset(pager_stats, 0, sizeof pager_stats);
}

void sim_pager_get_stats(uint32_t pager, struct sim_pager_stats *st)
{
	*st = pager < SIM_PAGERS ? pager_stats[pager] : (struct sim_pager_stats){0};
}

uint64_t sim_pager_accept(const struct port_io *io)
{
	uint64_t generation;
	int fd;

	if (io->pager >= SIM_PAGERS)
		port_panic(__FILE__, __LINE__, "a message to a pager that does not exist");
	pager_file(io, &fd, &generation);
	if (io->op == PORT_IO_WRITE) {
		struct sim_pager_stats *st = &pager_stats[io->pager];

		if (++st->returns_in_flight > st->returns_in_flight_peak)
			st->returns_in_flight_peak = st->returns_in_flight;
	}
	return generation;
}

/* Reads up to N bytes at OFF into BUF; zeros from the host file's end on. */
static bool read_page(int fd, uint8_t *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t got = pread(fd, buf + done, n - done, (off_t)(off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return false;
		if (got == 0)
			break;
		done += (size_t)got;
	}
	memset(buf + done, 0, n - done);
	return true;
}

static bool write_bytes(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	size_t done = 0;

	while (done < n) {
		ssize_t put = pwrite(fd, buf + done, n - done, (off_t)(off + done));

		if (put < 0 && errno == EINTR)
			continue;
		if (put <= 0)
			return false;
		done += (size_t)put;
	}
	return true;
}

/* The bytes of the page at OFF that lie below LIMIT. */
static size_t bytes_below(uint64_t off, uint64_t limit)
{
	return off >= limit ? 0 : limit - off < VM_PAGE_SIZE ? (size_t)(limit - off) : VM_PAGE_SIZE;
}

/*
 * The whole message in one host call when it can be (the usual case: every
 * byte below the file's end); false sends the caller to the page-by-page
 * path, which handles the end of the file in the middle and short
 * transfers.
 */
static bool transfer_vectored(const struct port_io *io, int fd)
{
	struct iovec iov[PORT_IO_MAX_PAGES];
	size_t total = 0;
	int n = 0;
	ssize_t got;

	for (unsigned i = 0; i < io->npages; i++) {
		uint64_t off = (io->block + i) * VM_PAGE_SIZE;
		size_t len = io->op == PORT_IO_READ ? VM_PAGE_SIZE : bytes_below(off, io->limit);

		if (len == 0)
			break;
		iov[n].iov_base = io->data[i];
		iov[n].iov_len = len;
		total += len;
		n++;
		if (len < VM_PAGE_SIZE)
			break;
	}
	if (n == 0)
		return io->op == PORT_IO_WRITE;
	if (io->op == PORT_IO_READ)
		got = preadv(fd, iov, n, (off_t)(io->block * VM_PAGE_SIZE));
	else
		got = pwritev(fd, iov, n, (off_t)(io->block * VM_PAGE_SIZE));
	return got == (ssize_t)total && (io->op == PORT_IO_WRITE || n == (int)io->npages);
}

enum vm_err sim_pager_transfer(const struct port_io *io, uint64_t tag)
{
	uint64_t generation;
	int fd;

	pager_file(io, &fd, &generation);
	if (io->op == PORT_IO_WRITE && generation != tag) {
		pager_stats[io->pager].dropped++;
		return VM_OK;
	}
	if (transfer_vectored(io, fd))
		return VM_OK;
	for (unsigned i = 0; i < io->npages; i++) {
		uint64_t off = (io->block + i) * VM_PAGE_SIZE;
		bool ok = io->op == PORT_IO_READ
				  ? read_page(fd, io->data[i], VM_PAGE_SIZE, off)
				  : write_bytes(fd, io->data[i], bytes_below(off, io->limit), off);

		if (!ok) {
			port_log(0, "file pager: host %s of page %llu of file %llu failed: %s",
				 io->op == PORT_IO_READ ? "read" : "write",
				 (unsigned long long)(io->block + i), (unsigned long long)io->file,
				 errno ? strerror(errno) : "short transfer");
			return VM_EIO;
		}
	}
	return VM_OK;
}

void sim_pager_complete(const struct port_io *io, uint64_t cost_ns)
{
	struct sim_pager_stats *st = &pager_stats[io->pager];

	st->busy_ns += cost_ns;
	if (io->op == PORT_IO_WRITE)
		st->returns_in_flight--;
	if (io->err != VM_OK) {
		st->errors++;
	} else if (io->op == PORT_IO_READ) {
		st->requests++;
		st->request_pages += io->npages;
	} else {
		st->returns++;
		st->return_pages += io->npages;
	}
}
