/*
 * port_sim.c - host services for the core, in user space.
 *
 * Failure injection counts every allocation attempt per site.  A test arms
 * it with "fail the Nth attempt at site S" and sweeps N from 1 upwards over
 * a trace: because the simulator is deterministic, attempt N is the same
 * allocation on every run, so each sweep step exercises one more recovery
 * path, exactly once.  The counting and the schedule are inject.c's (the
 * `alloc` kind and one kind per site), shared with --inject.
 *
 * Block I/O and the clock (port_io_*, port_time_ns) are in dev.c.
 */
#include "port_sim.h"

#include <stdio.h>
#include <stdlib.h>

#include "inject.h"

static struct sim_cpu *port_cpu;
static int port_verbose;
static uint64_t port_boot_bytes;

void sim_port_set_cpu(struct sim_cpu *cpu)
{
	port_cpu = cpu;
}

void sim_port_set_verbose(int level)
{
	port_verbose = level;
}

int sim_port_verbose(void)
{
	return port_verbose;
}

static enum inject_kind site_kind(int site)
{
	return site == SIM_SITE_ANY ? INJECT_ALLOC : inject_kind_of_site((enum port_alloc_site)site);
}

void sim_port_fail_nth(int site, uint64_t n)
{
	inject_reset_kind(INJECT_ALLOC);
	for (int s = 0; s < PORT_SITE_COUNT; s++)
		inject_reset_kind(inject_kind_of_site((enum port_alloc_site)s));
	if (n != 0 && !inject_add(site_kind(site), n, n))
		port_panic(__FILE__, __LINE__, "the injection schedule is full");
}

uint64_t sim_port_alloc_calls(int site)
{
	return inject_events(site_kind(site));
}

uint64_t sim_port_injected(void)
{
	uint64_t n = inject_failures(INJECT_ALLOC);

	for (int s = 0; s < PORT_SITE_COUNT; s++)
		n += inject_failures(inject_kind_of_site((enum port_alloc_site)s));
	return n;
}

uint64_t sim_port_boot_bytes(void)
{
	return port_boot_bytes;
}

bool port_alloc_should_fail(enum port_alloc_site site)
{
	/* Both counts advance on every attempt, whichever rule fires. */
	bool any = inject_event(INJECT_ALLOC);
	bool here = inject_event(inject_kind_of_site(site));

	return any || here;
}

void *port_alloc(size_t size)
{
	void *p;

	if (port_alloc_should_fail(PORT_SITE_BOOT))
		return NULL;
	p = malloc(size);
	if (p != NULL)
		port_boot_bytes += size;
	return p;
}

void port_free(void *p, size_t size)
{
	if (p == NULL)
		return;
	port_boot_bytes -= size;
	free(p);
}

void port_tlb_flush_page(uint32_t asid, vaddr_t va)
{
	if (port_cpu != NULL)
		sim_cpu_flush_page(port_cpu, asid, va);
}

void port_tlb_flush_asid(uint32_t asid)
{
	if (port_cpu != NULL)
		sim_cpu_flush_asid(port_cpu, asid);
}

void port_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level > port_verbose)
		return;
	va_start(ap, fmt);
	fputs("mvm: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

_Noreturn void port_panic(const char *file, int line, const char *msg)
{
	fflush(stdout);
	fprintf(stderr, "mvm: panic: %s:%d: %s\n", file, line, msg);
	abort();
}
