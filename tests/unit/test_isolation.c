/*
 * test_isolation.c - the security properties of the VM system: what one
 * process can learn about, or do to, another's memory.
 *
 *   1. Zero fill.  A page nobody wrote reads as zeros, even when its frame
 *      was just freed by another process, or its data goes to a swap slot
 *      another process just freed, or it is the tail of a file's last page.
 *   2. Copy-on-write.  After fork, a child's writes are never visible to
 *      its parent, nor to a sibling that shares the same amap, nor a
 *      parent's to its children; also when the shared pages were in swap.
 *   3. Permission.  No write reaches a page through a mapping that does
 *      not allow it, in particular not through a TLB entry cached while
 *      it did (after mprotect, munmap, pageout, fork), and a new process
 *      never hits a dead one's TLB entries.
 *   4. Exit.  After exit (or a kill, or exec), nothing of the process
 *      remains: no anon frame, page table, pv entry, swap slot, map,
 *      pmap, slab object, or TLB entry of its address space.
 *
 * Each test drives the machine through trace lines (sim_exec, as the
 * replayer does) and checks the output lines against hashes computed
 * here from the spec's pattern, then reaches under the machine to prove
 * the case it meant to build really happened (the frame or slot was
 * reused, the TLB held a writable entry), so that a test cannot pass by
 * missing its point.
 */
#include "sim_helpers.h"
#include "mvm/pmap.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/swap.h"

#define B 0x100000000000ull
#define C 0x200000000000ull
#define PG 4096ull

static struct sim sim;
static bool booted;

static void shutdown(void)
{
	if (booted)
		sim_shutdown(&sim);
	booted = false;
}

/* A machine with RAM and SWAP bytes (0: no swap device). */
static void boot(uint64_t ram, uint64_t swap)
{
	struct sim_config cfg = {.ram_bytes = ram};

	shutdown();
	cfg.dev.swap_bytes = swap;
	h_boot_config(&sim, &cfg);
	booted = true;
}

/* ---- what the output must say ---- */

/* The bytes a region should hold, kept here by the spec's rules. */
struct mirror {
	uint64_t base, len;
	uint8_t *bytes;
};

static struct mirror mirror_new(uint64_t base, uint64_t len)
{
	struct mirror m = {.base = base, .len = len, .bytes = calloc(1, len)};

	if (m.bytes == NULL)
		exit(2);
	return m;
}

static void mirror_write(struct mirror *m, uint64_t va, uint64_t len, uint64_t seed)
{
	trace_pattern_fill(seed, va, m->bytes + (va - m->base), len);
}

/* The line `P read VA LEN HASH` for what M says is at [VA, VA + LEN). */
static const char *mirror_read_line(const struct mirror *m, uint64_t pid, uint64_t va, uint64_t len)
{
	static char line[160];
	uint64_t h = trace_fnv1a(TRACE_FNV_OFFSET, m->bytes + (va - m->base), len);

	snprintf(line, sizeof line, "%llu read %#llx %#llx %016llx\n", (unsigned long long)pid,
		 (unsigned long long)va, (unsigned long long)len, (unsigned long long)h);
	return line;
}

/* Runs `P read VA LEN` and checks its line against M. */
static bool read_matches(const struct mirror *m, uint64_t pid, uint64_t va, uint64_t len)
{
	char want[160];
	const char *got;

	snprintf(want, sizeof want, "%s", mirror_read_line(m, pid, va, len));
	got = h_runf(&sim, "%llu read %#llx %#llx", (unsigned long long)pid,
		     (unsigned long long)va, (unsigned long long)len);
	if (strcmp(got, want) != 0) {
		fprintf(stderr, "  read: got \"%s\", want \"%s\"\n", got, want);
		return false;
	}
	return true;
}

static void mirror_free(struct mirror *m)
{
	free(m->bytes);
	m->bytes = NULL;
}

/* ---- what is under the machine ---- */

static uint64_t frame_of(uint64_t pid, uint64_t va)
{
	paddr_t pa;
	vm_prot_t prot;

	if (!pmap_extract(vm_map_pmap(h_map(&sim, pid)), va, &pa, &prot))
		return UINT64_MAX;
	return pa / PG;
}

/* The swap slot of P's private page at VA, or VM_ANON_NOSLOT. */
static uint32_t slot_of(uint64_t pid, uint64_t va)
{
	struct vm_map_entry *e = vm_map_lookup(h_map(&sim, pid), va);
	struct vm_anon *an = e != NULL ? vm_amap_lookup(&e->amap, vm_atop(va), NULL) : NULL;

	return an != NULL ? an->swslot : VM_ANON_NOSLOT;
}

static uint32_t asid_of(uint64_t pid)
{
	return pmap_asid(vm_map_pmap(h_map(&sim, pid)));
}

/* Whether the TLB holds a translation of VA for ASID (a writable one if
 * WRITABLE). */
static bool tlb_holds(uint32_t asid, uint64_t va, bool writable)
{
	uint64_t vpn = va >> 12;
	const struct sim_tlb_entry *e = &sim.cpu.tlb[vpn & (SIM_TLB_ENTRIES - 1)];

	return e->tag == (((uint64_t)asid << 36) | vpn) + 1 && (!writable || e->writable);
}

/* Valid TLB entries of ASID anywhere. */
static unsigned tlb_entries_of(uint32_t asid)
{
	unsigned n = 0;

	for (unsigned i = 0; i < SIM_TLB_ENTRIES; i++)
		if (sim.cpu.tlb[i].tag != 0 && (sim.cpu.tlb[i].tag - 1) >> 36 == asid)
			n++;
	return n;
}

static uint64_t cache_inuse(const char *name)
{
	for (const struct vm_kmem_cache *c = vm_kmem_caches; c != NULL; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c->inuse;
	fprintf(stderr, "  no slab cache \"%s\"\n", name);
	return UINT64_MAX;
}

/* ---- 1. zero fill ---- */

/* P1 fills most of RAM and exits; P2's fresh pages, written one byte
 * each (a zero-fill write fault), or only read, show no byte of P1's. */
TEST(zero_fill_never_shows_a_frame_another_process_freed)
{
	const uint64_t n = 160;
	uint64_t p1_frames[160], reused = 0;
	struct mirror m = mirror_new(B, n * PG);

	boot(1u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 77",
	       B, n * PG, B, n * PG);
	for (uint64_t i = 0; i < n; i++)
		p1_frames[i] = frame_of(1, B + i * PG);
	h_run(&sim, "1 exit");
	h_runf(&sim, "2 spawn\n2 mmap %#llx %#llx rw- private anon", B, n * PG);
	for (uint64_t i = 0; i < n; i += 2) {
		h_runf(&sim, "2 write %#llx 1 5", B + i * PG + 8);
		mirror_write(&m, B + i * PG + 8, 1, 5);
	}
	CHECK(read_matches(&m, 2, B, n * PG));
	for (uint64_t i = 0; i < n; i += 2)
		for (uint64_t j = 0; j < n; j++)
			reused += frame_of(2, B + i * PG) == p1_frames[j];
	CHECK(reused >= n / 4); /* the case happened: P2 got P1's frames */
	/* A shared anonymous region starts zeroed too. */
	h_runf(&sim, "3 spawn\n3 mmap %#llx %#llx rw- shared anon\n3 write %#llx 1 6", C, 16 * PG,
	       C + 100);
	{
		struct mirror s = mirror_new(C, 16 * PG);

		mirror_write(&s, C + 100, 1, 6);
		CHECK(read_matches(&s, 3, C, 16 * PG));
		mirror_free(&s);
	}
	CHECK(h_check(&sim));
	mirror_free(&m);
}

/* P1's data goes to swap and P1 exits; P2's pages, paged out to the
 * slots P1 had, come back as P2 wrote them. */
TEST(zero_fill_never_shows_a_swap_slot_another_process_freed)
{
	const uint64_t n = 64;
	uint32_t p1_slots[64];
	uint64_t reused = 0;
	struct mirror m = mirror_new(B, n * PG);

	boot(2u << 20, 4u << 20);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 77\n"
		     "1 madvise %#llx %#llx pageout",
	       B, n * PG, B, n * PG, B, n * PG);
	for (uint64_t i = 0; i < n; i++) {
		p1_slots[i] = slot_of(1, B + i * PG);
		CHECK(p1_slots[i] != VM_ANON_NOSLOT);
	}
	h_run(&sim, "1 exit");
	CHECK_EQ(vm_swap_inuse(), 0);
	h_runf(&sim, "2 spawn\n2 mmap %#llx %#llx rw- private anon", B, n * PG);
	for (uint64_t i = 0; i < n; i++) {
		h_runf(&sim, "2 write %#llx 3 9", B + i * PG + 16);
		mirror_write(&m, B + i * PG + 16, 3, 9);
	}
	h_runf(&sim, "2 madvise %#llx %#llx pageout", B, n * PG);
	for (uint64_t i = 0; i < n; i++)
		for (uint64_t j = 0; j < n; j++)
			reused += slot_of(2, B + i * PG) == p1_slots[j];
	CHECK(reused >= n / 2); /* the case happened: P2's data went to P1's slots */
	CHECK(read_matches(&m, 2, B, n * PG));
	/* dontneed drops P2's copies: zeros again, never the old slot. */
	h_runf(&sim, "2 madvise %#llx %#llx pageout\n2 madvise %#llx %#llx dontneed", B, n * PG, B,
	       n * PG);
	memset(m.bytes, 0, m.len);
	CHECK(read_matches(&m, 2, B, n * PG));
	CHECK(h_check(&sim));
	mirror_free(&m);
}

/* The bytes of a file's last page past its end read as zeros, also in a
 * frame that held another process's data a moment ago. */
TEST(file_tail_is_zeros_in_a_reused_frame)
{
	struct mirror m = mirror_new(C, 2 * PG);

	boot(1u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 77\n1 exit",
	       B, 160 * PG, B, 160 * PG);
	h_run(&sim, "file f 100 3");
	h_runf(&sim, "2 spawn\n2 mmap %#llx %#llx r-- shared file f 0x0\n"
		     "2 mmap %#llx %#llx rw- private file f 0x0",
	       C, PG, C + PG, PG);
	trace_pattern_fill(3, 0, m.bytes, 100);     /* file offsets 0..99 */
	trace_pattern_fill(3, 0, m.bytes + PG, 100);
	CHECK(read_matches(&m, 2, C, 2 * PG));
	/* A private copy keeps the zeros past the end too. */
	h_runf(&sim, "2 write %#llx 1 4", C + PG);
	mirror_write(&m, C + PG, 1, 4);
	CHECK(read_matches(&m, 2, C, 2 * PG));
	CHECK(h_check(&sim));
	mirror_free(&m);
}

/* ---- 2. copy-on-write ---- */

/* Parent 1, children 2 and 3 share one amap after the forks; each one's
 * writes stay its own, also after 1 exits (2 and 3 alone share it), and
 * through a grandchild. */
TEST(fork_writes_stay_with_the_writer)
{
	const uint64_t n = 16;
	struct mirror orig = mirror_new(B, n * PG), two, three, four;

	boot(8u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       n * PG, B, n * PG);
	mirror_write(&orig, B, n * PG, 1);
	h_run(&sim, "1 fork 2\n1 fork 3");
	two = mirror_new(B, n * PG);
	memcpy(two.bytes, orig.bytes, orig.len);
	h_runf(&sim, "2 write %#llx %#llx 2", B, 8 * PG);
	mirror_write(&two, B, 8 * PG, 2);
	CHECK(read_matches(&orig, 1, B, n * PG)); /* parent */
	CHECK(read_matches(&orig, 3, B, n * PG)); /* sibling */
	CHECK(read_matches(&two, 2, B, n * PG));
	/* The parent's writes after fork are its own too. */
	h_runf(&sim, "1 write %#llx %#llx 11", B + 8 * PG, PG);
	CHECK(read_matches(&orig, 3, B, n * PG));
	CHECK(read_matches(&two, 2, B, n * PG));
	/* With the parent gone, 2 and 3 alone share what is left. */
	h_run(&sim, "1 exit");
	three = mirror_new(B, n * PG);
	memcpy(three.bytes, orig.bytes, orig.len);
	h_runf(&sim, "3 write %#llx %#llx 3", B + 8 * PG, 8 * PG);
	mirror_write(&three, B + 8 * PG, 8 * PG, 3);
	CHECK(read_matches(&two, 2, B, n * PG));
	CHECK(read_matches(&three, 3, B, n * PG));
	/* A grandchild. */
	h_run(&sim, "3 fork 4");
	four = mirror_new(B, n * PG);
	memcpy(four.bytes, three.bytes, three.len);
	h_runf(&sim, "4 write %#llx %#llx 4", B, n * PG);
	mirror_write(&four, B, n * PG, 4);
	CHECK(read_matches(&three, 3, B, n * PG));
	CHECK(read_matches(&two, 2, B, n * PG));
	CHECK(read_matches(&four, 4, B, n * PG));
	CHECK(h_check(&sim));
	mirror_free(&orig);
	mirror_free(&two);
	mirror_free(&three);
	mirror_free(&four);
}

/* The same when the shared pages are in swap at the time of the write. */
TEST(fork_writes_stay_with_the_writer_through_swap)
{
	const uint64_t n = 32;
	struct mirror orig = mirror_new(B, n * PG), child = mirror_new(B, n * PG);

	boot(2u << 20, 4u << 20);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       n * PG, B, n * PG);
	mirror_write(&orig, B, n * PG, 1);
	h_run(&sim, "1 fork 2\n1 fork 3");
	h_runf(&sim, "1 madvise %#llx %#llx pageout", B, n * PG);
	CHECK(slot_of(2, B) != VM_ANON_NOSLOT); /* the case happened */
	memcpy(child.bytes, orig.bytes, orig.len);
	h_runf(&sim, "2 write %#llx %#llx 2", B + 4 * PG + 10, 5 * PG);
	mirror_write(&child, B + 4 * PG + 10, 5 * PG, 2);
	CHECK(read_matches(&orig, 1, B, n * PG));
	CHECK(read_matches(&orig, 3, B, n * PG));
	CHECK(read_matches(&child, 2, B, n * PG));
	CHECK(h_check(&sim));
	mirror_free(&orig);
	mirror_free(&child);
}

/* ---- 3. permission, and stale TLB entries ---- */

/* A write that filled the TLB with a writable entry, then mprotect r--:
 * the next write faults, and the data is what it was. */
TEST(no_write_after_mprotect_through_a_cached_translation)
{
	struct mirror m = mirror_new(B, 4 * PG);
	char want[96];

	boot(8u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       4 * PG, B, 4 * PG);
	mirror_write(&m, B, 4 * PG, 1);
	CHECK(tlb_holds(asid_of(1), B + PG, true)); /* the case: a writable entry */
	h_runf(&sim, "1 mprotect %#llx %#llx r--", B, 4 * PG);
	CHECK(!tlb_holds(asid_of(1), B + PG, true));
	snprintf(want, sizeof want, "1 segv %#llx\n", B + PG);
	CHECK_STR(h_runf(&sim, "1 write %#llx 16 2", B + PG), want);
	CHECK_STR(h_runf(&sim, "1 touch %#llx %#llx w", B + PG, PG), want);
	CHECK(read_matches(&m, 1, B, 4 * PG));
	/* --- forbids reads too; rw- again allows both, with the old data. */
	h_runf(&sim, "1 mprotect %#llx %#llx ---", B, 4 * PG);
	snprintf(want, sizeof want, "1 segv %#llx\n", B);
	CHECK_STR(h_runf(&sim, "1 read %#llx %#llx", B, 4 * PG), want);
	h_runf(&sim, "1 mprotect %#llx %#llx rw-", B, 4 * PG);
	CHECK(read_matches(&m, 1, B, 4 * PG));
	CHECK(h_check(&sim));
	mirror_free(&m);
}

/* mprotect on one process's mapping of shared memory changes nobody
 * else's: the child's r-- mapping refuses its writes, the parent's rw-
 * one still writes, and the child sees the parent's data. */
TEST(mprotect_of_a_shared_region_is_per_mapping)
{
	struct mirror m = mirror_new(B, 4 * PG);
	char want[96];

	boot(8u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- shared anon\n1 write %#llx %#llx 1\n1 fork 2",
	       B, 4 * PG, B, 4 * PG);
	mirror_write(&m, B, 4 * PG, 1);
	h_runf(&sim, "2 write %#llx 8 2", B);
	mirror_write(&m, B, 8, 2);
	CHECK(tlb_holds(asid_of(2), B, true));
	h_runf(&sim, "2 mprotect %#llx %#llx r--", B, 4 * PG);
	snprintf(want, sizeof want, "2 segv %#llx\n", B);
	CHECK_STR(h_runf(&sim, "2 write %#llx 8 3", B), want);
	CHECK_STR(h_runf(&sim, "1 write %#llx 8 4", B), "");
	mirror_write(&m, B, 8, 4);
	CHECK(read_matches(&m, 2, B, 4 * PG));
	CHECK(read_matches(&m, 1, B, 4 * PG));
	CHECK(h_check(&sim));
	mirror_free(&m);
}

/* munmap after a write cached a writable translation; the frame goes to
 * another process, which writes its own data there.  The first process's
 * write at the old address faults and changes nothing of the other's. */
TEST(no_write_after_munmap_through_a_cached_translation)
{
	struct mirror two = mirror_new(C, 8 * PG);
	uint64_t old[8], reused = 0;
	char want[96];

	boot(8u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       8 * PG, B, 8 * PG);
	for (int i = 0; i < 8; i++)
		old[i] = frame_of(1, B + (uint64_t)i * PG);
	CHECK(tlb_holds(asid_of(1), B, true));
	h_runf(&sim, "1 munmap %#llx %#llx", B, 8 * PG);
	CHECK_EQ(tlb_entries_of(asid_of(1)), 0);
	h_runf(&sim, "2 spawn\n2 mmap %#llx %#llx rw- private anon\n2 write %#llx %#llx 2", C,
	       8 * PG, C, 8 * PG);
	mirror_write(&two, C, 8 * PG, 2);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 8; j++)
			reused += frame_of(2, C + (uint64_t)i * PG) == old[j];
	CHECK(reused > 0); /* the case: 2's data is in 1's old frames */
	snprintf(want, sizeof want, "1 segv %#llx\n", B);
	CHECK_STR(h_runf(&sim, "1 write %#llx %#llx 3", B, 8 * PG), want);
	CHECK(read_matches(&two, 2, C, 8 * PG));
	/* Mapped again, the address reads zeros. */
	h_runf(&sim, "1 mmap %#llx %#llx rw- private anon", B, 8 * PG);
	{
		struct mirror zero = mirror_new(B, 8 * PG);

		CHECK(read_matches(&zero, 1, B, 8 * PG));
		mirror_free(&zero);
	}
	CHECK(h_check(&sim));
	mirror_free(&two);
}

/* A page paged out (its frame freed and reused by another process) after
 * a write cached a writable translation: the next write faults the page
 * back in elsewhere; the other process's data is intact. */
TEST(no_write_after_pageout_through_a_cached_translation)
{
	struct mirror one = mirror_new(B, 8 * PG), two = mirror_new(C, 64 * PG);

	boot(1u << 20, 4u << 20);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       8 * PG, B, 8 * PG);
	mirror_write(&one, B, 8 * PG, 1);
	CHECK(tlb_holds(asid_of(1), B, true));
	h_runf(&sim, "1 madvise %#llx %#llx pageout", B, 8 * PG);
	CHECK(!tlb_holds(asid_of(1), B, false));
	h_runf(&sim, "2 spawn\n2 mmap %#llx %#llx rw- private anon\n2 write %#llx %#llx 2", C,
	       64 * PG, C, 64 * PG);
	mirror_write(&two, C, 64 * PG, 2);
	h_runf(&sim, "1 write %#llx %#llx 3", B, 8 * PG);
	mirror_write(&one, B, 8 * PG, 3);
	CHECK(read_matches(&two, 2, C, 64 * PG));
	CHECK(read_matches(&one, 1, B, 8 * PG));
	CHECK(h_check(&sim));
	mirror_free(&one);
	mirror_free(&two);
}

/* fork write-protects the parent's pages, including ones whose writable
 * translation sits in the TLB: the parent's next write copies. */
TEST(no_write_to_a_shared_page_after_fork_through_a_cached_translation)
{
	struct mirror orig = mirror_new(B, 4 * PG);

	boot(8u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       4 * PG, B, 4 * PG);
	mirror_write(&orig, B, 4 * PG, 1);
	CHECK(tlb_holds(asid_of(1), B, true));
	h_run(&sim, "1 fork 2");
	CHECK(!tlb_holds(asid_of(1), B, true));
	h_runf(&sim, "1 write %#llx %#llx 2", B, 4 * PG);
	CHECK(read_matches(&orig, 2, B, 4 * PG));
	CHECK(frame_of(1, B) != frame_of(2, B));
	CHECK(h_check(&sim));
	mirror_free(&orig);
}

/* A process that exits leaves no translation a later process could hit:
 * the newcomer's access at the same address faults (unmapped), and once
 * mapped reads zeros. */
TEST(a_new_process_never_hits_a_dead_ones_translations)
{
	struct mirror zero = mirror_new(B, 4 * PG);
	uint32_t dead;
	char want[96];

	boot(8u << 20, 0);
	h_runf(&sim, "1 spawn\n1 mmap %#llx %#llx rw- private anon\n1 write %#llx %#llx 1", B,
	       4 * PG, B, 4 * PG);
	dead = asid_of(1);
	CHECK(tlb_entries_of(dead) > 0);
	h_run(&sim, "1 exit");
	CHECK_EQ(tlb_entries_of(dead), 0);
	h_run(&sim, "2 spawn");
	snprintf(want, sizeof want, "2 segv %#llx\n", B);
	CHECK_STR(h_runf(&sim, "2 read %#llx %#llx", B, 4 * PG), want);
	CHECK_STR(h_runf(&sim, "2 write %#llx 1 1", B), want);
	h_runf(&sim, "2 mmap %#llx %#llx rw- private anon", B, 4 * PG);
	CHECK(read_matches(&zero, 2, B, 4 * PG));
	CHECK(h_check(&sim));
	mirror_free(&zero);
}

/* ---- 4. after exit, nothing remains ---- */

struct held {
	uint64_t anon_frames, ptp, pv, swap, anons, amap_nodes, entries, maps, pmaps, objects;
};

static struct held held_now(void)
{
	struct pmap_global_stats ps;

	pmap_get_global_stats(&ps);
	return (struct held){
		.anon_frames = vm_phys.by_use[VM_PAGE_ANON],
		.ptp = vm_phys.by_use[VM_PAGE_PTP],
		.pv = vm_phys.by_use[VM_PAGE_PV],
		.swap = vm_swap_inuse(),
		.anons = cache_inuse("anon"),
		.amap_nodes = cache_inuse("amap_node"),
		.entries = cache_inuse("map entry"),
		.maps = cache_inuse("map"),
		.pmaps = ps.pmaps,
		.objects = cache_inuse("object"),
	};
}

static bool held_equal(const struct held *a, const struct held *b)
{
	if (memcmp(a, b, sizeof *a) == 0)
		return true;
	fprintf(stderr, "  held: anon frames %llu/%llu ptp %llu/%llu pv %llu/%llu swap %llu/%llu "
			"anons %llu/%llu amap nodes %llu/%llu entries %llu/%llu maps %llu/%llu "
			"pmaps %llu/%llu objects %llu/%llu\n",
		(unsigned long long)a->anon_frames, (unsigned long long)b->anon_frames,
		(unsigned long long)a->ptp, (unsigned long long)b->ptp, (unsigned long long)a->pv,
		(unsigned long long)b->pv, (unsigned long long)a->swap, (unsigned long long)b->swap,
		(unsigned long long)a->anons, (unsigned long long)b->anons,
		(unsigned long long)a->amap_nodes, (unsigned long long)b->amap_nodes,
		(unsigned long long)a->entries, (unsigned long long)b->entries,
		(unsigned long long)a->maps, (unsigned long long)b->maps,
		(unsigned long long)a->pmaps, (unsigned long long)b->pmaps,
		(unsigned long long)a->objects, (unsigned long long)b->objects);
	return false;
}

/* Every kind of memory a process can hold, some of it shared with a
 * child, some in swap, some in files. */
static void build_a_full_process(uint64_t pid, uint64_t child)
{
	h_runf(&sim,
	       "%llu spawn\n"
	       "%llu mmap %#llx %#llx rw- private anon\n"
	       "%llu write %#llx %#llx 1\n"
	       "%llu mmap %#llx %#llx rw- shared anon\n"
	       "%llu write %#llx %#llx 2\n"
	       "%llu mmap %#llx %#llx rw- shared file keep 0x0\n"
	       "%llu write %#llx %#llx 3\n"
	       "%llu mmap %#llx %#llx rw- private file keep 0x0\n"
	       "%llu write %#llx %#llx 4\n"
	       "%llu fork %llu\n"
	       "%llu write %#llx %#llx 5\n"
	       "%llu madvise %#llx %#llx pageout\n"
	       "%llu mprotect %#llx %#llx r--",
	       (unsigned long long)pid, (unsigned long long)pid, B, 64 * PG,
	       (unsigned long long)pid, B, 64 * PG, (unsigned long long)pid, C, 8 * PG,
	       (unsigned long long)pid, C, 8 * PG, (unsigned long long)pid, C + 8 * PG, 4 * PG,
	       (unsigned long long)pid, C + 8 * PG, 4 * PG, (unsigned long long)pid,
	       C + 12 * PG, 4 * PG, (unsigned long long)pid, C + 12 * PG, 2 * PG,
	       (unsigned long long)pid, (unsigned long long)child, (unsigned long long)child, B,
	       4 * PG, (unsigned long long)pid, B, 32 * PG, (unsigned long long)pid,
	       B + 32 * PG, 8 * PG);
}

TEST(exit_leaves_nothing)
{
	struct held before, after;
	uint32_t a1, a2;

	boot(2u << 20, 4u << 20);
	h_run(&sim, "file keep 16K 9");
	before = held_now();
	build_a_full_process(1, 2);
	a1 = asid_of(1);
	a2 = asid_of(2);
	after = held_now();
	CHECK(after.swap > 0 && after.anon_frames > 0 && after.pmaps == before.pmaps + 2);
	h_run(&sim, "1 exit");
	CHECK_EQ(tlb_entries_of(a1), 0);
	CHECK(h_check(&sim));
	h_run(&sim, "2 exit");
	CHECK_EQ(tlb_entries_of(a2), 0);
	after = held_now();
	CHECK(held_equal(&after, &before));
	CHECK(h_check(&sim));
}

/* The same after exec (the old address space) and after a kill. */
TEST(exec_and_kill_leave_nothing)
{
	struct held before, after;
	struct sim_result res;
	char want[96];

	boot(1u << 20, 0);
	h_run(&sim, "file keep 16K 9");
	before = held_now();
	build_a_full_process(1, 2);
	h_run(&sim, "2 exit\n1 exec");
	after = held_now();
	/* All that is left of 1: an empty map, its pmap and root table page. */
	before.maps++, before.pmaps++, before.ptp++;
	CHECK(held_equal(&after, &before));
	before.maps--, before.pmaps--, before.ptp--;
	snprintf(want, sizeof want, "1 segv %#llx\n", B);
	CHECK_STR(h_runf(&sim, "1 read %#llx 1", B), want);
	h_run(&sim, "1 exit");
	/* Two processes; 3 grows until RAM (no swap) runs out and is killed. */
	h_runf(&sim, "4 spawn\n4 mmap %#llx %#llx rw- private anon\n4 write %#llx %#llx 1", B,
	       8 * PG, B, 8 * PG);
	build_a_full_process(3, 5);
	h_run(&sim, "5 exit");
	h_runf(&sim, "3 mmap %#llx %#llx rw- private anon", C + 64 * PG, 512 * PG);
	snprintf(want, sizeof want, "3 write %#llx %#llx 7", C + 64 * PG, 512 * PG);
	CHECK_STR(h_run_res(&sim, want, &res), "3 killed oom\n");
	CHECK(res.killed_self);
	h_run(&sim, "4 exit");
	after = held_now();
	CHECK(held_equal(&after, &before));
	CHECK(h_check(&sim));
}

int main(void)
{
	RUN(zero_fill_never_shows_a_frame_another_process_freed);
	RUN(zero_fill_never_shows_a_swap_slot_another_process_freed);
	RUN(file_tail_is_zeros_in_a_reused_frame);
	RUN(fork_writes_stay_with_the_writer);
	RUN(fork_writes_stay_with_the_writer_through_swap);
	RUN(no_write_after_mprotect_through_a_cached_translation);
	RUN(mprotect_of_a_shared_region_is_per_mapping);
	RUN(no_write_after_munmap_through_a_cached_translation);
	RUN(no_write_after_pageout_through_a_cached_translation);
	RUN(no_write_to_a_shared_page_after_fork_through_a_cached_translation);
	RUN(a_new_process_never_hits_a_dead_ones_translations);
	RUN(exit_leaves_nothing);
	RUN(exec_and_kill_leave_nothing);
	shutdown();
	return check_done();
}
