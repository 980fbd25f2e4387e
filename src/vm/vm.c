/*
 * vm.c - boot: the order in which the core's subsystems come up.
 *
 * Frames first (everything else lives in them), then the slab caches of
 * each subsystem, then the pmap.  Boot can run again over fresh RAM: the
 * tests boot a new machine per case.
 */
#include "anon.h"
#include "map.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"
#include "object.h"
#include "file.h"
#include "pagedaemon.h"
#include "pagetree.h"
#include "swap.h"

enum vm_err vm_boot(uint8_t *ram, uint64_t nframes)
{
	const struct vm_boot_mem mem = {.ram = ram, .nframes = nframes};

	return vm_boot_mem(&mem);
}

enum vm_err vm_boot_mem(const struct vm_boot_mem *mem)
{
	enum vm_err err = vm_page_boot_mem(mem);

	if (err != VM_OK)
		return err;
	vm_anon_init();
	vm_amap_init();
	vm_object_init();
	vm_map_init();
	vm_pagedaemon_init();
	vm_swap_init();
	vm_pagetree_init();
	vm_file_init();
	pmap_init();
	return VM_OK;
}
