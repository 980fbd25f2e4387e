/*
 * port_kern.c - the core's host services (include/mvm/port.h) in the
 * kernel.
 *
 * Memory outside the pool comes from the kernel heap.  There is no
 * failure injection here (yet): every allocation the core makes is real.
 * TLB control is the real TLB: a page of the loaded address space is
 * dropped with invlpg, a whole one by reloading CR3; another address
 * space's entries cannot be in the TLB at all, because without PCID every
 * CR3 load flushes them, so those shootdowns cost nothing.  No devices:
 * swap and files are refused by `mvm boot` before they could be used.
 * Time is the simulator's: 1000 ns per operation, so that the page
 * daemon's notion of an idle process is the same on both hosts.
 */
#include "proc.h"
#include "x86.h"

uint64_t kclock_ns;

void *port_alloc(size_t size)
{
	return kalloc(size);
}

void port_free(void *p, size_t size)
{
	if (p != NULL)
		kfree_pages(p, (size + 4095) / 4096);
}

bool port_alloc_should_fail(enum port_alloc_site site)
{
	(void)site;
	return false;
}

void port_tlb_flush_page(uint32_t asid, vaddr_t va)
{
	if (asid != kproc_loaded_asid())
		return;
	kstats.invlpg++;
	/* stale_tlb=1 is a deliberate bug for the tests: the hardware tests
	 * must fail without this instruction. */
	if (!kargs.stale_tlb)
		invlpg(va);
}

void port_tlb_flush_asid(uint32_t asid)
{
	if (asid != kproc_loaded_asid())
		return;
	kstats.cr3_flushes++;
	write_cr3(read_cr3());
}

uint64_t port_dev_blocks(enum port_dev dev)
{
	(void)dev;
	return 0;
}

void port_io_submit(struct port_io *io)
{
	KPANIC("I/O to device %u without a device", (unsigned)io->dev);
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
	return kclock_ns;
}

void port_log(int level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (level > kargs.verbose)
		return;
	va_start(ap, fmt);
	kvsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	klog("mvm: %s\n", line);
}

_Noreturn void port_panic(const char *file, int line, const char *msg)
{
	kpanic(file, line, "%s", msg);
}
