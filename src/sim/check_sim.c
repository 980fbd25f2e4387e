/*
 * check_sim.c - the consistency checker, run on the simulated machine.
 *
 * The core's invariants are checked by src/check (vm_check), which any
 * host can run; this file gives it what only the simulator knows: the
 * live processes (each address space and its pid), host memory for the
 * checker's tables, and one more check of the simulated hardware: no TLB
 * entry of the simulated CPU may disagree with the page tables it was
 * loaded from.
 */
#include <stdlib.h>

#include "mvm/check.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"
#include "sim.h"

static void *host_alloc(size_t size)
{
	return calloc(1, size);
}

static void host_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

static const struct vm_check_host sim_check_host = {host_alloc, host_free};

struct roots {
	const struct vm_check_map *maps;
	size_t n;
};

/* The root table of the process with ASID, or 0: what the TLB must match. */
static uint64_t root_of_asid(uint32_t asid, void *arg)
{
	const struct roots *r = arg;

	for (size_t i = 0; i < r->n; i++) {
		const struct pmap *pm = vm_map_pmap(r->maps[i].map);

		if (pmap_asid(pm) == asid)
			return pmap_root_pa(pm);
	}
	return 0;
}

bool sim_check(struct sim *s, char *why, size_t whylen)
{
	struct sim_proc **procs;
	size_t n = sim_procs_sorted(s, &procs);
	struct vm_check_map *maps = calloc(n + 1, sizeof *maps);
	struct roots roots = {maps, n};
	char twhy[200];
	bool ok;

	if (maps == NULL) {
		fputs("mvm: out of host memory\n", stderr);
		abort();
	}
	for (size_t i = 0; i < n; i++)
		maps[i] = (struct vm_check_map){procs[i]->map, procs[i]->pid};
	ok = vm_check(&sim_check_host, maps, n, why, whylen);
	if (ok && !sim_cpu_verify_tlb(&s->cpu, root_of_asid, &roots, twhy, sizeof twhy)) {
		snprintf(why, whylen, "TLB: %s", twhy);
		ok = false;
	}
	free(maps);
	free(procs);
	return ok;
}
