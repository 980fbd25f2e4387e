/*
 * test_cpu.c - the simulated MMU and TLB against hand-built page tables.
 *
 * The tables are written byte by byte into a small RAM by the test itself
 * (no pmap involved), so every case states exactly what the "hardware"
 * sees: a four-level walk, the faults, the A and D bits it sets in the
 * leaf, TLB hits and misses with asid tags and direct-mapped conflicts,
 * shootdowns, and the TLB checker catching a PTE changed without one.
 */
#include <stdlib.h>

#include "check.h"
#include "sim/cpu.h"

#define NFRAMES 64
#define PAGE 4096ull

static uint8_t *ram;
static uint64_t next_frame;
static struct sim_cpu cpu;

/* PTEs are little-endian words: write and read them byte by byte. */
static void put_le64(uint64_t pa, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		ram[pa + (uint64_t)i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(uint64_t pa)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)ram[pa + (uint64_t)i] << (8 * i);
	return v;
}

static uint64_t new_frame(void)
{
	uint64_t pa = next_frame++ * PAGE;

	memset(ram + pa, 0, PAGE);
	return pa;
}

static void reset(void)
{
	memset(ram, 0, NFRAMES * PAGE);
	next_frame = 1; /* frame 0 is never a table */
	sim_cpu_init(&cpu, ram, NFRAMES);
}

/* Physical address of VA's leaf PTE under ROOT, building tables on the way. */
static uint64_t leaf_pa(uint64_t root, uint64_t va)
{
	uint64_t table = root;

	for (int level = PT_LEVELS; level > 1; level--) {
		uint64_t slot = table + pt_index(va, level) * 8;
		uint64_t e = get_le64(slot);

		if (!(e & PTE_P)) {
			e = new_frame() | PTE_P | PTE_W | PTE_U;
			put_le64(slot, e);
		}
		table = e & PTE_FRAME;
	}
	return table + pt_index(va, 1) * 8;
}

static void map(uint64_t root, uint64_t va, uint64_t frame_pa, uint64_t bits)
{
	put_le64(leaf_pa(root, va), frame_pa | bits);
}

static uint64_t pte_of(uint64_t root, uint64_t va)
{
	return get_le64(leaf_pa(root, va));
}

static uint8_t *xlate(uint64_t va, bool write, enum sim_fault *f)
{
	*f = SIM_FAULT_NONE;
	return sim_cpu_translate(&cpu, va, write, f);
}

struct roots {
	uint64_t root[4]; /* by asid; 0 = dead */
};

static uint64_t root_of(uint32_t asid, void *arg)
{
	struct roots *r = arg;

	return asid < 4 ? r->root[asid] : 0;
}

TEST(walk_sets_accessed_and_fills_tlb)
{
	enum sim_fault f;
	uint64_t root, data;
	uint8_t *p;

	reset();
	root = new_frame();
	data = new_frame();
	map(root, 0x7000123000ull, data, PTE_P | PTE_U | PTE_W);
	sim_cpu_switch(&cpu, root, 1);

	p = xlate(0x7000123abcull, false, &f);
	CHECK(p == ram + data + 0xabc);
	CHECK_EQ(f, SIM_FAULT_NONE);
	CHECK_EQ(cpu.walks, 1);
	CHECK_EQ(cpu.tlb_misses, 1);
	CHECK(pte_of(root, 0x7000123000ull) & PTE_A);
	CHECK(!(pte_of(root, 0x7000123000ull) & PTE_D));
	/* As on x86, the upper levels the walk used are marked too. */
	CHECK(get_le64(root + pt_index(0x7000123000ull, 4) * 8) & PTE_A);
	/* The PTE is a little-endian word: A is bit 5 of its first byte. */
	CHECK(ram[leaf_pa(root, 0x7000123000ull)] & 0x20);

	p = xlate(0x7000123000ull, false, &f);
	CHECK(p == ram + data);
	CHECK_EQ(cpu.walks, 1);
	CHECK_EQ(cpu.tlb_hits, 1);
}

TEST(write_after_read_walks_again_to_set_dirty)
{
	enum sim_fault f;
	uint64_t root, data;

	reset();
	root = new_frame();
	data = new_frame();
	map(root, 0x1000, data, PTE_P | PTE_U | PTE_W);
	sim_cpu_switch(&cpu, root, 1);

	CHECK(xlate(0x1000, false, &f) == ram + data);
	CHECK_EQ(cpu.walks, 1);
	CHECK(xlate(0x1008, true, &f) == ram + data + 8);
	CHECK_EQ(cpu.walks, 2); /* the read-filled entry was not writable */
	CHECK(pte_of(root, 0x1000) & PTE_D);
	CHECK(xlate(0x1010, true, &f) == ram + data + 16);
	CHECK_EQ(cpu.walks, 2);
	CHECK_EQ(cpu.tlb_hits, 1);

	/* A PTE that already has D set fills a writable entry on a read. */
	map(root, 0x2000, data, PTE_P | PTE_U | PTE_W | PTE_D);
	CHECK(xlate(0x2000, false, &f) != NULL);
	CHECK(xlate(0x2000, true, &f) != NULL);
	CHECK_EQ(cpu.walks, 3);
}

TEST(faults)
{
	enum sim_fault f;
	uint64_t root, data;

	reset();
	root = new_frame();
	data = new_frame();
	map(root, 0x400000, data, PTE_P | PTE_U);              /* read only */
	map(root, 0x401000, data, PTE_P | PTE_W);              /* supervisor */
	map(root, 0x402000, data, PTE_U | PTE_W);              /* not present */
	sim_cpu_switch(&cpu, root, 1);

	CHECK(xlate(0x400000, false, &f) == ram + data);
	CHECK(xlate(0x400000, true, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_PROTECTION);
	CHECK(!(pte_of(root, 0x400000) & PTE_D));
	CHECK(xlate(0x401000, false, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_PROTECTION);
	CHECK(!(pte_of(root, 0x401000) & PTE_A));
	CHECK(xlate(0x402000, false, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK(xlate(0x600000, false, &f) == NULL);             /* no leaf table */
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK(xlate(0x8000000000ull, false, &f) == NULL);      /* no PDPT */
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK(xlate(1ull << 47, false, &f) == NULL);           /* not user */
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK_EQ(cpu.faults, 6);

	sim_cpu_switch(&cpu, 0, 0);                            /* no address space */
	CHECK(xlate(0x400000, false, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
}

TEST(asid_tags_and_conflicts)
{
	enum sim_fault f;
	uint64_t r1, r2, d1, d2;

	reset();
	r1 = new_frame();
	r2 = new_frame();
	d1 = new_frame();
	d2 = new_frame();
	map(r1, 0x10000, d1, PTE_P | PTE_U | PTE_W);
	map(r2, 0x10000, d2, PTE_P | PTE_U | PTE_W);
	map(r1, 0x10000 + 256 * PAGE, d2, PTE_P | PTE_U);     /* same TLB slot */

	sim_cpu_switch(&cpu, r1, 1);
	CHECK(xlate(0x10000, false, &f) == ram + d1);
	sim_cpu_switch(&cpu, r2, 2);
	CHECK(xlate(0x10000, false, &f) == ram + d2);           /* other asid: miss */
	CHECK_EQ(cpu.walks, 2);
	CHECK(xlate(0x10000, false, &f) == ram + d2);
	CHECK_EQ(cpu.walks, 2);
	sim_cpu_switch(&cpu, r1, 1);
	CHECK(xlate(0x10000 + 256 * PAGE, false, &f) == ram + d2);
	CHECK_EQ(cpu.walks, 3);
	CHECK(xlate(0x10000, false, &f) == ram + d1);           /* evicted: walk */
	CHECK_EQ(cpu.walks, 4);
}

/*
 * The TLB tag holds 36 bits of page number under the asid, so an address
 * above the user half (bit 48 set) once hit the entry of the same page
 * number in asid|1: process 2 read process 3's page, and process 3 wrote
 * its own page through an address that must fault (found by fuzz_replay,
 * tests/fuzz/crashes/replay-crash-3fb4e8ac0918).
 */
TEST(addresses_above_user_never_hit_the_tlb)
{
	enum sim_fault f;
	uint64_t r2, r3, d3, alias = (1ull << 48) | 0x8000;

	reset();
	r2 = new_frame();
	r3 = new_frame();
	d3 = new_frame();
	map(r3, 0x8000, d3, PTE_P | PTE_U | PTE_W);
	sim_cpu_switch(&cpu, r3, 3);
	CHECK(xlate(0x8000, true, &f) == ram + d3);            /* fills the TLB, writable */
	CHECK(xlate(alias, true, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK(xlate(alias, false, &f) == NULL);
	sim_cpu_switch(&cpu, r2, 2);                            /* asid 2 | bit 36 = asid 3 */
	CHECK(xlate(alias, false, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK(xlate((1ull << 47) | 0x8000, false, &f) == NULL);
	CHECK(xlate(~0ull & ~0xfffull, false, &f) == NULL);
	sim_cpu_switch(&cpu, r3, 3);
	CHECK(xlate(0x8000, false, &f) == ram + d3);            /* the real page still hits */
}

TEST(flushes)
{
	enum sim_fault f;
	uint64_t r1, r2, d;

	reset();
	r1 = new_frame();
	r2 = new_frame();
	d = new_frame();
	for (uint64_t i = 0; i < 4; i++) {
		map(r1, i * PAGE, d, PTE_P | PTE_U);
		map(r2, i * PAGE, d, PTE_P | PTE_U);
	}
	sim_cpu_switch(&cpu, r2, 2);
	for (uint64_t i = 0; i < 4; i++)
		xlate(i * PAGE, false, &f);
	sim_cpu_switch(&cpu, r1, 1);
	for (uint64_t i = 0; i < 4; i++)
		xlate(i * PAGE, false, &f);
	CHECK_EQ(cpu.walks, 8); /* slots 0..3 now hold asid 1's entries */

	sim_cpu_flush_page(&cpu, 2, 0);         /* another asid's va: no effect */
	CHECK(xlate(0, false, &f) != NULL);
	CHECK_EQ(cpu.walks, 8);
	sim_cpu_flush_page(&cpu, 1, 0x0fff);    /* any address in the page */
	CHECK(xlate(0, false, &f) != NULL);
	CHECK_EQ(cpu.walks, 9);
	CHECK(xlate(PAGE, false, &f) != NULL);
	CHECK_EQ(cpu.walks, 9);

	sim_cpu_flush_asid(&cpu, 2);
	CHECK(xlate(PAGE, false, &f) != NULL);
	CHECK_EQ(cpu.walks, 9);
	sim_cpu_flush_asid(&cpu, 1);
	for (uint64_t i = 0; i < 4; i++)
		xlate(i * PAGE, false, &f);
	CHECK_EQ(cpu.walks, 13);
}

TEST(verify_tlb_catches_stale_entries)
{
	enum sim_fault f;
	struct roots r = { { 0 } };
	char why[160];
	uint64_t d1, d2;

	reset();
	r.root[1] = new_frame();
	d1 = new_frame();
	d2 = new_frame();
	map(r.root[1], 0x5000, d1, PTE_P | PTE_U | PTE_W);
	map(r.root[1], 0x6000, d1, PTE_P | PTE_U | PTE_W);
	sim_cpu_switch(&cpu, r.root[1], 1);
	CHECK(xlate(0x5000, true, &f) != NULL);
	CHECK(xlate(0x6000, false, &f) != NULL);
	CHECK(sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));

	/* Remap to another frame without a shootdown. */
	map(r.root[1], 0x5000, d2, PTE_P | PTE_U | PTE_W | PTE_A | PTE_D);
	CHECK(!sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));
	CHECK(strstr(why, "another frame") != NULL);
	sim_cpu_flush_page(&cpu, 1, 0x5000);
	CHECK(sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));

	/* Clear D under a writable entry. */
	CHECK(xlate(0x5000, true, &f) != NULL);
	map(r.root[1], 0x5000, d2, PTE_P | PTE_U | PTE_W | PTE_A);
	CHECK(!sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));
	CHECK(strstr(why, "writable") != NULL);
	sim_cpu_flush_page(&cpu, 1, 0x5000);

	/* Clear A under a cached entry. */
	map(r.root[1], 0x6000, d1, PTE_P | PTE_U | PTE_W);
	CHECK(!sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));
	CHECK(strstr(why, "A is clear") != NULL);
	sim_cpu_flush_page(&cpu, 1, 0x6000);

	/* Unmap without a shootdown. */
	CHECK(xlate(0x6000, false, &f) != NULL);
	map(r.root[1], 0x6000, 0, 0);
	CHECK(!sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));
	CHECK(strstr(why, "not present") != NULL);
	sim_cpu_flush_page(&cpu, 1, 0x6000);
	CHECK(sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));

	/* An address space that died with entries still cached. */
	map(r.root[1], 0x6000, d1, PTE_P | PTE_U);
	CHECK(xlate(0x6000, false, &f) != NULL);
	r.root[1] = 0;
	CHECK(!sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));
	CHECK(strstr(why, "gone") != NULL);
	sim_cpu_flush_asid(&cpu, 1);
	CHECK(sim_cpu_verify_tlb(&cpu, root_of, &r, why, sizeof(why)));
}

int main(void)
{
	ram = aligned_alloc(PAGE, NFRAMES * PAGE);
	RUN(walk_sets_accessed_and_fills_tlb);
	RUN(write_after_read_walks_again_to_set_dirty);
	RUN(faults);
	RUN(asid_tags_and_conflicts);
	RUN(addresses_above_user_never_hit_the_tlb);
	RUN(flushes);
	RUN(verify_tlb_catches_stale_entries);
	free(ram);
	return check_done();
}
