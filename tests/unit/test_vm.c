/*
 * test_vm.c - boot (src/vm/vm.c): the core comes up in order, and it can
 * come up again.
 *
 * A host may boot the core many times in one program: the tests boot a
 * machine per case, and `mvm demo` runs its scenarios one after another,
 * each on a new machine, reporting each one's page daemon and swap
 * figures.  So a new machine must start from nothing: no counter, no
 * slot in use and no frame of the last one may show through.
 */
#include "sim_helpers.h"
#include "sim/dev.h"
#include "vm/pagedaemon.h"
#include "vm/swap.h"

static struct sim sim;

static void boot_small(void)
{
	struct sim_config cfg = {.ram_bytes = 1 << 20};

	sim_dev_config_defaults(&cfg.dev);
	cfg.dev.swap_bytes = 16 << 20;
	h_boot_config(&sim, &cfg);
}

/* A heap four times RAM: the page daemon runs and pages out to swap. */
static void page_hard(void)
{
	h_run(&sim, "1 spawn\n1 mmap 0x100000000000 4M rw- private anon\n"
		    "1 write 0x100000000000 4M 9\n"
		    "1 madvise 0x100000000000 0x10000 pageout\n");
}

TEST(a_machine_booted_again_starts_from_nothing)
{
	struct vm_pagedaemon_stats zero_pd = {0};
	struct vm_swap_stats zero_swap = {0};

	boot_small();
	CHECK(memcmp(&vm_pagedaemon_stats, &zero_pd, sizeof zero_pd) == 0);
	page_hard();
	CHECK(vm_pagedaemon_stats.runs > 0);
	CHECK(vm_pagedaemon_stats.laundered > 0);
	CHECK(vm_swap_stats.pageouts > 0);
	CHECK(vm_swap_inuse() > 0);
	CHECK(h_check(&sim));
	sim_shutdown(&sim);

	boot_small();
	CHECK(memcmp(&vm_pagedaemon_stats, &zero_pd, sizeof zero_pd) == 0);
	CHECK(memcmp(&vm_swap_stats, &zero_swap, sizeof zero_swap) == 0);
	CHECK_EQ(vm_swap_inuse(), 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_ANON], 0);
	CHECK(h_check(&sim));
	/* And it runs as the first did. */
	page_hard();
	CHECK(vm_pagedaemon_stats.runs > 0);
	CHECK(h_check(&sim));
	sim_shutdown(&sim);
}

int main(void)
{
	RUN(a_machine_booted_again_starts_from_nothing);
	return check_done();
}
