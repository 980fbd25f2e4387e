/*
 * consumer.c - another host drives mvm's installed core.
 *
 * Boots the core on 2 MiB of host memory, maps anonymous memory, faults
 * its pages in through vm_fault, writes through the frames the page
 * tables name, forks, writes in the child (a copy-on-write fault must
 * give it its own frame and leave the parent's bytes alone), and runs
 * the consistency checker after every step.  Exits 0 only if all of it
 * holds; prints what broke otherwise.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mvm/check.h>
#include <mvm/pmap.h>
#include <mvm/vm.h>

#define RAM_FRAMES 512
#define BASE 0x100000000000ull
#define PAGES 16

static int failures;

static void expect(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "consumer: FAIL: %s\n", what);
		failures++;
	}
}

static void *check_alloc(size_t size)
{
	return calloc(1, size);
}

static void check_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

static const struct vm_check_host host = {check_alloc, check_free};

static void check(struct vm_map **maps, size_t n, const char *when)
{
	struct vm_check_map live[2];
	char why[256];

	for (size_t i = 0; i < n; i++)
		live[i] = (struct vm_check_map){maps[i], i + 1};
	if (!vm_check(&host, live, n, why, sizeof why)) {
		fprintf(stderr, "consumer: FAIL: check %s: %s\n", when, why);
		failures++;
	}
}

/* The bytes of VA's page in MAP, through its page table; NULL if unmapped. */
static uint8_t *page_bytes(struct vm_map *map, vaddr_t va)
{
	paddr_t pa;
	vm_prot_t prot;

	if (!pmap_extract(vm_map_pmap(map), va, &pa, &prot))
		return NULL;
	return vm_page_data(vm_page_from_pa(pa & ~VM_PAGE_MASK));
}

static void fill(struct vm_map *map)
{
	for (unsigned i = 0; i < PAGES; i++) {
		vaddr_t va = BASE + i * VM_PAGE_SIZE;
		uint8_t *p;

		expect(vm_fault(map, va, VM_ACCESS_WRITE) == VM_OK, "write fault");
		p = page_bytes(map, va);
		expect(p != NULL, "a faulted page is mapped");
		if (p != NULL) {
			expect(p[0] == 0 && p[VM_PAGE_SIZE - 1] == 0, "new memory reads zero");
			memset(p, 'a' + i, VM_PAGE_SIZE);
		}
	}
}

static void fork_and_write(struct vm_map *parent)
{
	struct vm_map *child = NULL, *both[2];
	uint8_t *mine, *theirs;

	expect(vm_map_fork(parent, &child) == VM_OK && child != NULL, "fork");
	if (child == NULL)
		return;
	both[0] = parent;
	both[1] = child;
	check(both, 2, "after fork");
	expect(vm_fault(child, BASE, VM_ACCESS_WRITE) == VM_OK, "copy-on-write fault");
	theirs = page_bytes(child, BASE);
	mine = page_bytes(parent, BASE);
	expect(theirs != NULL && mine != NULL && theirs != mine, "the child has its own copy");
	if (theirs != NULL && mine != NULL && theirs != mine) {
		expect(theirs[100] == 'a', "the copy holds the parent's bytes");
		theirs[100] = 'z';
		expect(mine[100] == 'a', "the parent does not see the child's write");
	}
	check(both, 2, "after the copy-on-write fault");
	vm_map_destroy(child);
	check(&parent, 1, "after the child exits");
}

int main(void)
{
	uint8_t *ram = aligned_alloc(VM_PAGE_SIZE, RAM_FRAMES * VM_PAGE_SIZE);
	struct vm_map *map;

	if (ram == NULL || vm_boot(ram, RAM_FRAMES) != VM_OK) {
		fprintf(stderr, "consumer: cannot boot the core\n");
		return 1;
	}
	map = vm_map_create();
	expect(map != NULL, "an address space");
	if (map == NULL)
		return 1;
	expect(vm_mmap(map, BASE, PAGES * VM_PAGE_SIZE, VM_PROT_READ | VM_PROT_WRITE, false,
		       NULL, 0) == VM_OK, "mmap");
	fill(map);
	check(&map, 1, "after the faults");
	fork_and_write(map);
	expect(vm_munmap(map, BASE, PAGES * VM_PAGE_SIZE) == VM_OK, "munmap");
	expect(vm_fault(map, BASE, VM_ACCESS_READ) == VM_ESEGV, "an unmapped page faults");
	check(&map, 1, "after munmap");
	vm_map_destroy(map);
	check(NULL, 0, "with no process left");
	if (failures == 0)
		printf("consumer: the installed core booted, faulted, forked and checked clean\n");
	return failures == 0 ? 0 : 1;
}
