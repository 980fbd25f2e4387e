/*
 * boot_qemu.h - `mvm boot`: a trace on the kernel host, under qemu.
 */
#ifndef MVM_CLI_BOOT_QEMU_H
#define MVM_CLI_BOOT_QEMU_H

#include <stdbool.h>
#include <stdint.h>

struct replay_oracle;

struct boot_opts {
	uint64_t ram_bytes;                 /* --ram: the page pool */
	const struct replay_oracle *oracle; /* --verify */
	uint64_t check_every;               /* --check-every */
	int verbose;                        /* -v: the kernel's log on stderr */
	uint64_t timeout_s;                 /* --timeout: silence that ends the run */
	uint64_t panic_at;                  /* --inject-panic N: a core assertion at op N */
	bool stale_tlb;                     /* --inject-stale-tlb: the kernel skips invlpg */
	const char *kernel;                 /* --kernel, or beside the mvm program */
};

/* Exit statuses beyond replay's 0, 1 and 2. */
#define BOOT_PANIC 3     /* the kernel panicked */
#define BOOT_TIMEOUT 4   /* the kernel stopped answering */
#define BOOT_NO_QEMU 5   /* qemu or the kernel image could not be started */

int boot_run(const char *path, const struct boot_opts *o);

#endif
