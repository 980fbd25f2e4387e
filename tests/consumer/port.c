/*
 * port.c - the smallest host of mvm's core: <mvm/port.h> over libc.
 *
 * No MMU (the program finds its bytes through pmap_extract, so there is
 * no TLB to flush), no devices (the core never submits I/O when the
 * machine has no swap and no files), no failure injection, and a clock
 * that never moves.  Core metadata does not come from here: the core
 * keeps it in frames of the RAM it was booted with.
 */
#include <stdio.h>
#include <stdlib.h>

#include <mvm/port.h>

void *port_alloc(size_t size)
{
	return calloc(1, size);
}

void port_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

bool port_alloc_should_fail(enum port_alloc_site site)
{
	(void)site;
	return false;
}

void port_tlb_flush_page(uint32_t asid, vaddr_t va)
{
	(void)asid;
	(void)va;
}

void port_tlb_flush_asid(uint32_t asid)
{
	(void)asid;
}

uint64_t port_dev_blocks(enum port_dev dev)
{
	(void)dev;
	return 0;
}

void port_io_submit(struct port_io *io)
{
	(void)io;
	port_panic(__FILE__, __LINE__, "this host has no devices");
}

bool port_io_wait(void)
{
	return false;
}

void port_io_poll(void)
{
}

uint64_t port_io_pending(void)
{
	return 0;
}

uint64_t port_time_ns(void)
{
	return 0;
}

void port_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > 0)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

_Noreturn void port_panic(const char *file, int line, const char *msg)
{
	fprintf(stderr, "consumer: core panic at %s:%d: %s\n", file, line, msg);
	abort();
}
