/*
 * machine.c - boot and shutdown of the simulated machine.
 *
 * RAM is an anonymous host mapping of --ram bytes: the frames' real
 * bytes.  The core takes it over at boot (placing its page array in the
 * first frames) and the CPU's MMU reads page tables out of it.  Shutdown
 * destroys every process first, so a leak in the core shows up as frames
 * that are not free when the last process is gone.
 *
 * The devices, the file table and the injection schedule come up before
 * the core, which sizes swap from the device and whose boot allocations
 * may be failed on purpose; the core learns its file options (the dirty
 * bound, the pager's cap) right after its boot.  Shutdown lets
 * outstanding I/O complete first, so that no done() is lost and the
 * core's I/O bookkeeping ends balanced; once the processes are gone it
 * writes every dirty file page back (vm_file_sync_all) while the file
 * pager is still there to take it, so the host files end holding exactly
 * what the trace wrote.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mvm/vm.h"
#include "mvm/vm_page.h"
#include "port_sim.h"
#include "sim.h"
#include "vm/vm_asan.h"

/* The smallest machine worth booting: the page array plus a few frames. */
#define SIM_RAM_MIN (64 * 4096)

/* The core poisons free frames for AddressSanitizer; the host may map
 * something else at this address later, so the poison must go first. */
static void ram_unmap(uint8_t *ram, uint64_t bytes)
{
	VM_UNPOISON(ram, bytes);
	munmap(ram, bytes);
}

bool sim_boot(struct sim *s, const struct sim_config *cfg, char *err, size_t errlen)
{
	uint64_t bytes = cfg->ram_bytes & ~(uint64_t)VM_PAGE_MASK;

	*s = (struct sim){.cfg = *cfg, .report = stdout};
	if (bytes < SIM_RAM_MIN) {
		snprintf(err, errlen, "--ram %llu is too small (at least %u bytes)",
			 (unsigned long long)cfg->ram_bytes, SIM_RAM_MIN);
		return false;
	}
	s->ram = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s->ram == MAP_FAILED) {
		snprintf(err, errlen, "cannot allocate %llu bytes of simulated RAM",
			 (unsigned long long)bytes);
		return false;
	}
	s->ram_bytes = bytes;
	s->nframes = bytes / VM_PAGE_SIZE;
	sim_port_set_verbose(cfg->verbose);
	sim_cpu_init(&s->cpu, s->ram, s->nframes);
	sim_port_set_cpu(&s->cpu);
	inject_install(&cfg->inject);
	if (!sim_dev_boot(&cfg->dev, err, errlen)) {
		ram_unmap(s->ram, bytes);
		return false;
	}
	if (!sim_files_boot(&cfg->files, err, errlen)) {
		sim_dev_shutdown();
		ram_unmap(s->ram, bytes);
		return false;
	}
	if (vm_boot(s->ram, s->nframes) != VM_OK) {
		bool injected = sim_port_injected() != 0;

		snprintf(err, errlen, "%s", injected ? "an injected allocation failure stopped boot"
						     : "--ram is too small for the page array");
		sim_files_shutdown();
		sim_dev_shutdown();
		ram_unmap(s->ram, bytes);
		return false;
	}
	sim_files_configure_core(&cfg->files, s->nframes);
	trace_hash_init(&s->procs);
	return true;
}

void sim_shutdown(struct sim *s)
{
	struct sim_proc **list;
	size_t n;

	while (port_io_wait())
		continue;
	n = sim_procs_sorted(s, &list);
	for (size_t i = 0; i < n; i++)
		sim_proc_exit(s, list[i]);
	free(list);
	vm_file_sync_all();
	while (port_io_wait())
		continue;
	sim_dev_shutdown();
	sim_files_shutdown();
	trace_hash_free(&s->procs);
	sim_port_set_cpu(NULL);
	ram_unmap(s->ram, s->ram_bytes);
	s->ram = NULL;
}
