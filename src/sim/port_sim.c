/*
 * port_sim.c - host services for the core, in user space.
 *
 * Failure injection counts every allocation attempt per site.  A test arms
 * it with "fail the Nth attempt at site S" and sweeps N from 1 upwards over
 * a trace: because the simulator is deterministic, attempt N is the same
 * allocation on every run, so each sweep step exercises one more recovery
 * path, exactly once.
 */
#include "port_sim.h"

#include <stdio.h>
#include <stdlib.h>

static struct sim_cpu *port_cpu;
static int port_verbose;
static uint64_t port_calls[PORT_SITE_COUNT];
static uint64_t port_calls_any;
static int port_fail_site = SIM_SITE_ANY;
static uint64_t port_fail_at;
static uint64_t port_injected;
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

void sim_port_fail_nth(int site, uint64_t n)
{
	for (int s = 0; s < PORT_SITE_COUNT; s++)
		port_calls[s] = 0;
	port_calls_any = 0;
	port_injected = 0;
	port_fail_site = site;
	port_fail_at = n;
}

uint64_t sim_port_alloc_calls(int site)
{
	return site == SIM_SITE_ANY ? port_calls_any : port_calls[site];
}

uint64_t sim_port_injected(void)
{
	return port_injected;
}

uint64_t sim_port_boot_bytes(void)
{
	return port_boot_bytes;
}

bool port_alloc_should_fail(enum port_alloc_site site)
{
	uint64_t seen;

	port_calls[site]++;
	port_calls_any++;
	if (port_fail_at == 0)
		return false;
	if (port_fail_site != SIM_SITE_ANY && port_fail_site != (int)site)
		return false;
	seen = port_fail_site == SIM_SITE_ANY ? port_calls_any : port_calls[site];
	if (seen != port_fail_at)
		return false;
	port_injected++;
	return true;
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
