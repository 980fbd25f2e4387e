/*
 * test_fault.c - the page fault handler (src/vm/fault.c).
 *
 * Faults are raised directly with vm_fault() and their effect read back
 * with pmap_extract(), so each case sees exactly which frame the handler
 * mapped and with what permission:
 *
 *   - a read of private memory never written maps the shared zero page,
 *     read-only, and costs no frame;
 *   - a write to a page not exclusively ours copies it (or zero-fills),
 *     and a write to an exclusive page is done in place;
 *   - after fork both sides map the old frame read-only until one writes;
 *     the last holder of an anon gets it writable without a copy;
 *   - shared memory is one frame for every mapper, mapped with the
 *     entry's protection;
 *   - what segfaults: no entry, a write without w, any access to ---,
 *     addresses beyond user space; -w- and --x are readable (x86-64);
 *   - a PTE never allows more than its entry (no W without w, NX without x);
 *   - memory shortage: the handler reclaims idle page tables and retries,
 *     and gives VM_ENOMEM with nothing changed when nothing can be freed;
 *     with failure injection, every allocation a fault makes fails in
 *     turn (one forked child each, since a broken promise is a panic).
 * The consistency checker runs after each case.
 */
#include <sys/wait.h>

#include "sim_helpers.h"
#include "mvm/pmap.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/pagedaemon.h"

#define B 0x100000000000ull
#define PG 4096ull
#define RW (VM_PROT_READ | VM_PROT_WRITE)
#define RO VM_PROT_READ

static struct sim sim;

static void boot(uint64_t ram)
{
	static bool booted;

	if (booted)
		sim_shutdown(&sim);
	h_boot(&sim, ram);
	booted = true;
}

static struct vm_map *map_of(uint64_t pid)
{
	return h_map(&sim, pid);
}

static enum vm_err fault(uint64_t pid, uint64_t page, enum vm_access access)
{
	return vm_fault(map_of(pid), B + page * PG, access);
}

/* The frame mapped at PAGE (VM_PAGE_NIL if none) and its PTE permission. */
static uint64_t mapped(uint64_t pid, uint64_t page, vm_prot_t *prot)
{
	paddr_t pa;
	vm_prot_t p = VM_PROT_NONE;

	if (!pmap_extract(vm_map_pmap(map_of(pid)), B + page * PG, &pa, &p))
		pa = (paddr_t)VM_PAGE_NIL << VM_PAGE_SHIFT;
	if (prot != NULL)
		*prot = p;
	return vm_atop(pa);
}

static uint64_t zero_frame(void)
{
	return vm_page_frame(vm_phys.zero_page);
}

static uint64_t anon_frames(void)
{
	return vm_phys.by_use[VM_PAGE_ANON];
}

static void map(uint64_t pid, uint64_t page, uint64_t n, vm_prot_t prot, bool shared)
{
	CHECK_EQ(vm_mmap(map_of(pid), B + page * PG, n * PG, prot, shared, NULL, 0), VM_OK);
}

TEST(reads_of_fresh_private_memory_map_the_zero_page)
{
	vm_prot_t prot;

	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 64, RW, false);
	for (uint64_t i = 0; i < 64; i++)
		CHECK_EQ(fault(1, i, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(1, 0, &prot), zero_frame());
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK_EQ(mapped(1, 63, NULL), zero_frame());
	CHECK_EQ(anon_frames(), 0);
	CHECK_EQ(vm_anon_count(), 0);
	/* The zero page is not managed: it has no pv entries however often mapped. */
	CHECK(vm_phys.zero_page->pv == NULL);
	CHECK(h_check(&sim));
	/* A -w- region reads zeros too, through a read-only mapping. */
	map(1, 100, 1, VM_PROT_WRITE, false);
	CHECK_EQ(fault(1, 100, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(1, 100, &prot), zero_frame());
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK(h_check(&sim));
}

TEST(a_write_replaces_the_zero_page_with_a_zeroed_copy)
{
	vm_prot_t prot;
	uint64_t frame;

	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 4, RW, false);
	CHECK_EQ(fault(1, 1, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(fault(1, 1, VM_ACCESS_WRITE), VM_OK);
	frame = mapped(1, 1, &prot);
	CHECK(frame != zero_frame());
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(vm_page_at(frame)->use, VM_PAGE_ANON);
	CHECK_EQ(anon_frames(), 1);
	for (uint64_t i = 0; i < PG; i++)
		if (vm_page_data(vm_page_at(frame))[i] != 0)
			CHECK(!"new anonymous page not zero");
	/* The zero page itself was not written. */
	for (uint64_t i = 0; i < PG; i++)
		if (vm_page_data(vm_phys.zero_page)[i] != 0)
			CHECK(!"zero page written");
	CHECK(h_check(&sim));
}

TEST(an_exclusive_page_is_written_in_place)
{
	uint64_t frame;
	vm_prot_t prot;

	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 4, RW, false);
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_OK);
	frame = mapped(1, 0, NULL);
	/* Lower to read-only and back: the next write faults, and reuses the frame. */
	CHECK_EQ(vm_mprotect(map_of(1), B, PG, RO), VM_OK);
	CHECK_EQ(mapped(1, 0, &prot), frame);
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_ESEGV);
	CHECK_EQ(vm_mprotect(map_of(1), B, PG, RW), VM_OK);
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_OK);
	CHECK_EQ(mapped(1, 0, &prot), frame);
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(anon_frames(), 1);
	/* Once its mappings are collected, a read fault on the exclusive
	 * page maps the same frame writable at once. */
	CHECK(pmap_collect(vm_map_pmap(map_of(1))) > 0);
	CHECK_EQ(mapped(1, 0, NULL), VM_PAGE_NIL);
	CHECK_EQ(fault(1, 0, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(1, 0, &prot), frame);
	CHECK(prot & VM_PROT_WRITE);
	CHECK(h_check(&sim));
	/* dontneed drops it: the next read sees the zero page again. */
	CHECK_EQ(vm_madvise(map_of(1), B, PG, VM_ADV_DONTNEED), VM_OK);
	CHECK_EQ(anon_frames(), 0);
	CHECK_EQ(fault(1, 0, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(1, 0, NULL), zero_frame());
	CHECK(h_check(&sim));
}

TEST(fork_shares_frames_read_only_until_a_write)
{
	uint64_t frame, copy;
	vm_prot_t prot;

	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 4, RW, false);
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_OK);
	frame = mapped(1, 0, &prot);
	CHECK(prot & VM_PROT_WRITE);
	h_run(&sim, "1 fork 2");
	/* Fork took write permission away from the parent's PTE. */
	CHECK_EQ(mapped(1, 0, &prot), frame);
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK_EQ(mapped(2, 0, NULL), VM_PAGE_NIL);
	/* The child's read maps the same frame, read-only. */
	CHECK_EQ(fault(2, 0, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(2, 0, &prot), frame);
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK(h_check(&sim));
	/* The parent writes: it gets a copy with the same bytes. */
	vm_page_data(vm_page_at(frame))[7] = 0x5a;
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_OK);
	copy = mapped(1, 0, &prot);
	CHECK(copy != frame);
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(vm_page_data(vm_page_at(copy))[7], 0x5a);
	CHECK_EQ(anon_frames(), 2);
	CHECK(h_check(&sim));
	/* The child is now the anon's only holder: its write needs no copy. */
	CHECK_EQ(fault(2, 0, VM_ACCESS_WRITE), VM_OK);
	CHECK_EQ(mapped(2, 0, &prot), frame);
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(anon_frames(), 2);
	CHECK(h_check(&sim));
}

TEST(a_child_write_to_a_never_written_page_zero_fills)
{
	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 4, RW, false);
	CHECK_EQ(fault(1, 0, VM_ACCESS_READ), VM_OK);
	h_run(&sim, "1 fork 2");
	CHECK_EQ(fault(2, 0, VM_ACCESS_WRITE), VM_OK);
	CHECK(mapped(2, 0, NULL) != zero_frame());
	CHECK_EQ(mapped(1, 0, NULL), zero_frame());
	CHECK_EQ(anon_frames(), 1);
	CHECK(h_check(&sim));
}

TEST(shared_memory_is_one_frame_for_every_mapper)
{
	uint64_t frame;
	vm_prot_t prot;

	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 4, RW, true);
	/* Even a read allocates: shared memory has no zero-page stand-in. */
	CHECK_EQ(fault(1, 2, VM_ACCESS_READ), VM_OK);
	frame = mapped(1, 2, &prot);
	CHECK(frame != zero_frame());
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(anon_frames(), 1);
	h_run(&sim, "1 fork 2");
	/* Fork leaves shared mappings writable. */
	CHECK_EQ(mapped(1, 2, &prot), frame);
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(fault(2, 2, VM_ACCESS_WRITE), VM_OK);
	CHECK_EQ(mapped(2, 2, &prot), frame);
	CHECK(prot & VM_PROT_WRITE);
	CHECK_EQ(pmap_page_mappings(vm_page_at(frame)), 2);
	CHECK_EQ(anon_frames(), 1);
	/* A read-only shared mapping maps the frame without W. */
	CHECK_EQ(vm_mprotect(map_of(2), B, 4 * PG, RO), VM_OK);
	CHECK_EQ(mapped(2, 2, &prot), frame);
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK_EQ(fault(2, 3, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(2, 3, &prot), mapped(2, 3, NULL));
	CHECK_EQ(prot & VM_PROT_WRITE, 0);
	CHECK_EQ(fault(1, 3, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(mapped(1, 3, NULL), mapped(2, 3, NULL));
	CHECK(h_check(&sim));
}

TEST(segv_rules)
{
	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 1, RO, false);
	map(1, 1, 1, VM_PROT_NONE, false);
	map(1, 2, 1, VM_PROT_WRITE, false);
	map(1, 3, 1, VM_PROT_EXEC, false);
	map(1, 4, 1, RO, true);
	CHECK_EQ(fault(1, 10, VM_ACCESS_READ), VM_ESEGV);  /* nothing mapped */
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_ESEGV);  /* r-- */
	CHECK_EQ(fault(1, 1, VM_ACCESS_READ), VM_ESEGV);   /* --- */
	CHECK_EQ(fault(1, 1, VM_ACCESS_WRITE), VM_ESEGV);
	CHECK_EQ(fault(1, 4, VM_ACCESS_WRITE), VM_ESEGV);  /* shared r-- */
	CHECK_EQ(fault(1, 0, VM_ACCESS_READ), VM_OK);
	CHECK_EQ(fault(1, 2, VM_ACCESS_READ), VM_OK);      /* -w- is readable */
	CHECK_EQ(fault(1, 2, VM_ACCESS_WRITE), VM_OK);
	CHECK_EQ(fault(1, 3, VM_ACCESS_READ), VM_OK);      /* --x is readable */
	CHECK_EQ(fault(1, 3, VM_ACCESS_WRITE), VM_ESEGV);
	CHECK_EQ(vm_fault(map_of(1), VM_USER_MAX, VM_ACCESS_READ), VM_ESEGV);
	CHECK_EQ(vm_fault(map_of(1), ~0ull, VM_ACCESS_WRITE), VM_ESEGV);
	/* An unaligned address faults its page. */
	CHECK_EQ(vm_fault(map_of(1), B + 2 * PG + 123, VM_ACCESS_WRITE), VM_OK);
	/* Failed faults mapped nothing. */
	CHECK_EQ(mapped(1, 1, NULL), VM_PAGE_NIL);
	CHECK_EQ(mapped(1, 10, NULL), VM_PAGE_NIL);
	/* Through the CPU: the lines the spec asks for. */
	CHECK_STR(h_runf(&sim, "1 write %#llx 0x2000 5", B + PG - 0x1000),
		  "1 segv 0x100000000000\n");
	CHECK_STR(h_runf(&sim, "1 read %#llx 0x2000", B), "1 segv 0x100000001000\n");
	CHECK(h_check(&sim));
}

TEST(ptes_never_allow_more_than_the_entry)
{
	vm_prot_t prot;

	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 1, VM_PROT_ALL, false);
	map(1, 1, 1, RW, false);
	map(1, 2, 1, RO, false);
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_OK);
	CHECK_EQ(fault(1, 1, VM_ACCESS_WRITE), VM_OK);
	CHECK_EQ(fault(1, 2, VM_ACCESS_READ), VM_OK);
	mapped(1, 0, &prot);
	CHECK_EQ(prot, VM_PROT_ALL);
	mapped(1, 1, &prot);
	CHECK_EQ(prot, RW); /* NX set */
	mapped(1, 2, &prot);
	CHECK_EQ(prot, RO);
	/* An exclusive page read through an r-- entry stays read-only. */
	CHECK_EQ(vm_mprotect(map_of(1), B + PG, PG, RO), VM_OK);
	mapped(1, 1, &prot);
	CHECK_EQ(prot, RO);
	CHECK_EQ(fault(1, 1, VM_ACCESS_READ), VM_OK);
	mapped(1, 1, &prot);
	CHECK_EQ(prot, RO);
	/* Lowering rwx to r-x takes W away and keeps X. */
	CHECK_EQ(vm_mprotect(map_of(1), B, PG, VM_PROT_READ | VM_PROT_EXEC), VM_OK);
	mapped(1, 0, &prot);
	CHECK_EQ(prot, VM_PROT_READ | VM_PROT_EXEC);
	/* PROT_NONE removes the mapping. */
	CHECK_EQ(vm_mprotect(map_of(1), B, 3 * PG, VM_PROT_NONE), VM_OK);
	CHECK_EQ(mapped(1, 0, NULL), VM_PAGE_NIL);
	CHECK_EQ(mapped(1, 2, NULL), VM_PAGE_NIL);
	CHECK(h_check(&sim));
}

TEST(accesses_fault_once_per_page_then_hit)
{
	uint64_t faults;

	boot(8u << 20);
	h_run(&sim, "1 spawn\n1 mmap 0x100000000000 0x8000 rw- private anon");
	faults = sim.stats.faults;
	h_run(&sim, "1 touch 0x100000000000 0x8000 r");
	CHECK_EQ(sim.stats.faults - faults, 8);
	h_run(&sim, "1 touch 0x100000000000 0x8000 r");
	CHECK_EQ(sim.stats.faults - faults, 8);
	/* Writing over zero-page mappings: one write fault per page. */
	h_run(&sim, "1 touch 0x100000000000 0x8000 w");
	CHECK_EQ(sim.stats.faults - faults, 16);
	CHECK_EQ(anon_frames(), 8);
	CHECK(h_check(&sim));
}

/* Fills RAM with process 1's private pages until a write fault fails. */
static uint64_t fill_until_enomem(uint64_t pid, uint64_t max)
{
	uint64_t i;

	for (i = 0; i < max; i++)
		if (fault(pid, i, VM_ACCESS_WRITE) != VM_OK)
			break;
	return i;
}

TEST(shortage_reclaims_idle_page_tables_then_fails_cleanly)
{
	uint64_t written, used_before, runs;

	boot(1u << 20); /* 256 frames */
	h_run(&sim, "2 spawn");
	map(2, 0, 1, RW, false);
	/* Process 2 maps pages far apart: one table page chain each. */
	for (uint64_t i = 0; i < 8; i++) {
		map(2, i << 27, 1, RW, false);
		CHECK_EQ(fault(2, i << 27, VM_ACCESS_WRITE), VM_OK);
	}
	CHECK(vm_phys.by_use[VM_PAGE_PTP] >= 8 * 3);
	h_run(&sim, "1 spawn");
	map(1, 0, 1024, RW, false);
	runs = vm_pagedaemon_stats.runs;
	written = fill_until_enomem(1, 1024);
	CHECK(written > 100 && written < 256);
	/* On the way, the idle process's tables were collected. */
	CHECK(vm_pagedaemon_stats.runs > runs);
	CHECK(vm_pagedaemon_stats.pmap_frames > 0);
	CHECK_EQ(mapped(2, 0, NULL), VM_PAGE_NIL);
	CHECK(h_check(&sim));
	/* The failed fault left nothing behind, and fails again the same way. */
	used_before = h_frames_used();
	CHECK_EQ(fault(1, written, VM_ACCESS_WRITE), VM_ENOMEM);
	CHECK_EQ(h_frames_used(), used_before);
	CHECK_EQ(mapped(1, written, NULL), VM_PAGE_NIL);
	CHECK(h_check(&sim));
	/* Reads still work: the zero page costs nothing but a table entry. */
	CHECK_EQ(fault(1, written + 1, VM_ACCESS_READ), VM_OK);
	/* Process 2's data is intact and faults back in. */
	CHECK_EQ(fault(2, 1ull << 27, VM_ACCESS_READ), VM_OK);
	CHECK(h_check(&sim));
}

/* ---- failure injection: every allocation of one fault fails in turn ---- */

struct fault_args {
	uint64_t pid, page;
	enum vm_access access;
};

static enum vm_err fault_op(void *arg)
{
	const struct fault_args *a = arg;

	return fault(a->pid, a->page, a->access);
}

/*
 * In a forked child per allocation N, faults with the Nth allocation
 * failing.  The fault must not panic, must answer VM_OK (then the page is
 * mapped) or VM_ENOMEM, and leave a state the checker accepts; a second
 * fault with nothing failing must then succeed.  Returns the failures.
 */
static int sweep_fault(uint64_t pid, uint64_t page, enum vm_access access, const char *name)
{
	struct fault_args args = {.pid = pid, .page = page, .access = access};
	uint64_t calls = h_count_allocations(fault_op, &args);
	int broken = 0;

	CHECK(calls > 0);
	for (uint64_t n = 1; n <= calls + 1; n++) {
		pid_t child;
		int st;

		fflush(NULL);
		child = fork();
		if (child == 0) {
			enum vm_err err;

			sim_port_fail_nth(SIM_SITE_ANY, n);
			err = fault(pid, page, access);
			sim_port_fail_nth(SIM_SITE_ANY, 0);
			if (err != VM_OK && err != VM_ENOMEM)
				_exit(3);
			if (err == VM_OK && mapped(pid, page, NULL) == VM_PAGE_NIL)
				_exit(4);
			if (!h_check(&sim))
				_exit(5);
			if (fault(pid, page, access) != VM_OK || !h_check(&sim))
				_exit(6);
			_exit(0);
		}
		waitpid(child, &st, 0);
		if ((!WIFEXITED(st) || WEXITSTATUS(st) != 0) && ++broken <= 3)
			fprintf(stderr, "  %s with allocation %llu failing: %s %d\n", name,
				(unsigned long long)n, WIFEXITED(st) ? "exit" : "signal",
				WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
	return broken;
}

TEST(faults_survive_every_allocation_failure)
{
	boot(8u << 20);
	h_run(&sim, "1 spawn");
	map(1, 0, 64, RW, false);
	map(1, 1u << 16, 4, RW, false);
	map(1, 1u << 20, 4, RW, true);
	CHECK_EQ(fault(1, 0, VM_ACCESS_WRITE), VM_OK);
	h_run(&sim, "1 fork 2");
	/* Fresh tables, a fresh amap, a zero-filled page. */
	CHECK_EQ(sweep_fault(1, 1u << 16, VM_ACCESS_WRITE, "write far away"), 0);
	CHECK_EQ(sweep_fault(1, 1u << 16, VM_ACCESS_READ, "read far away"), 0);
	/* Copy-on-write of a page and of the amap path shared with the child. */
	CHECK_EQ(sweep_fault(1, 0, VM_ACCESS_WRITE, "copy-on-write in the parent"), 0);
	CHECK_EQ(sweep_fault(2, 0, VM_ACCESS_WRITE, "copy-on-write in the child"), 0);
	CHECK_EQ(sweep_fault(2, 5, VM_ACCESS_WRITE, "zero fill under a shared path"), 0);
	/* A new page of a shared object, first touched by a read. */
	CHECK_EQ(sweep_fault(2, (1u << 20) + 2, VM_ACCESS_READ, "shared object page"), 0);
	CHECK(h_check(&sim));
}

int main(void)
{
	RUN(reads_of_fresh_private_memory_map_the_zero_page);
	RUN(a_write_replaces_the_zero_page_with_a_zeroed_copy);
	RUN(an_exclusive_page_is_written_in_place);
	RUN(fork_shares_frames_read_only_until_a_write);
	RUN(a_child_write_to_a_never_written_page_zero_fills);
	RUN(shared_memory_is_one_frame_for_every_mapper);
	RUN(segv_rules);
	RUN(ptes_never_allow_more_than_the_entry);
	RUN(accesses_fault_once_per_page_then_hit);
	RUN(shortage_reclaims_idle_page_tables_then_fails_cleanly);
	RUN(faults_survive_every_allocation_failure);
	sim_shutdown(&sim);
	return check_done();
}
