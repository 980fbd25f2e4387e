/*
 * port_sim.h - the simulator's side of include/mvm/port.h.
 *
 * The core's host services, implemented for user space: port_alloc over
 * malloc (counted), TLB shootdowns forwarded to the simulated CPU, logging
 * to stderr at a verbosity, and deterministic allocation-failure injection
 * ("fail the Nth allocation at this site"), which the robustness tests
 * sweep over every allocation a trace makes.
 */
#ifndef MVM_SIM_PORT_SIM_H
#define MVM_SIM_PORT_SIM_H

#include <stdint.h>

#include "cpu.h"
#include "mvm/port.h"

#define SIM_SITE_ANY (-1)

/* The CPU whose TLB port_tlb_flush_* invalidate (NULL: none). */
void sim_port_set_cpu(struct sim_cpu *cpu);
void sim_port_set_verbose(int level);
int sim_port_verbose(void);

/*
 * Fails the Nth (1-based) allocation at SITE (an enum port_alloc_site, or
 * SIM_SITE_ANY) counted from now; 0 disarms.  Also resets the counters.
 */
void sim_port_fail_nth(int site, uint64_t n);
/* Allocation attempts seen at SITE (or all) since the last reset. */
uint64_t sim_port_alloc_calls(int site);
/* Failures injected since the last reset. */
uint64_t sim_port_injected(void);
/* Bytes currently held through port_alloc. */
uint64_t sim_port_boot_bytes(void);

#endif
