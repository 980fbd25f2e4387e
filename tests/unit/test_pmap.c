/*
 * test_pmap.c - the reference pmap on a small simulated RAM, with the MMU.
 *
 * Hand-written cases pin down each promise of pmap.h: round trips, table
 * pages counted and freed up the levels, replacement, protection that
 * only lowers, per-page protection across pmaps, A/D bits set by the
 * simulated CPU and cleared with a shootdown, collect and LRU reclaim,
 * allocation failure at every site with no trace left, and the checker
 * catching deliberate corruption.  A randomized run then drives several
 * pmaps and the CPU against a plain model (va -> page, prot, wired; per
 * page referenced/modified), running every checker (pmap_verify,
 * pmap_verify_page on every frame, pmap_verify_global and the TLB
 * verifier) after every step.
 */
#include <stdlib.h>

#include "check.h"
#include "test_rng.h"
#include "mvm/pmap.h"
#include "pmap/pmap_impl.h"
#include "sim/cpu.h"
#include "sim/port_sim.h"

#define NFRAMES 1024 /* 4 MiB */
#define KB4 4096ull
#define MB2 (2ull << 20)
#define GB1 (1ull << 30)
#define GB512 (512ull << 30)
#define RW (VM_PROT_READ | VM_PROT_WRITE)

static uint8_t *ram;
static struct sim_cpu cpu;

static void boot(void)
{
	free(ram);
	ram = aligned_alloc(KB4, NFRAMES * KB4);
	CHECK_EQ(vm_page_boot(ram, NFRAMES), VM_OK);
	pmap_init();
	sim_cpu_init(&cpu, ram, NFRAMES);
	sim_port_set_cpu(&cpu);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
}

static struct vm_page *anon(void)
{
	struct vm_page *pg = vm_page_alloc(VM_PAGE_ANON);

	CHECK(pg != NULL);
	return pg;
}

static uint64_t root_of(uint32_t asid, void *arg)
{
	struct pmap *pm = pmap_lookup_asid(asid);

	(void)arg;
	return pm != NULL ? pmap_root_pa(pm) : 0;
}

/* Every checker we have; reports the first complaint. */
static bool verify_all(void)
{
	char why[256];

	for (struct pmap *pm = pmap_g.lru_head; pm != NULL; pm = pm->lru_next) {
		if (!pmap_verify(pm, why, sizeof(why))) {
			fprintf(stderr, "pmap_verify: %s\n", why);
			return false;
		}
	}
	for (uint64_t f = 0; f < NFRAMES; f++) {
		if (!pmap_verify_page(vm_page_at(f), why, sizeof(why))) {
			fprintf(stderr, "pmap_verify_page: %s\n", why);
			return false;
		}
	}
	if (!pmap_verify_global(why, sizeof(why))) {
		fprintf(stderr, "pmap_verify_global: %s\n", why);
		return false;
	}
	if (!sim_cpu_verify_tlb(&cpu, root_of, NULL, why, sizeof(why))) {
		fprintf(stderr, "sim_cpu_verify_tlb: %s\n", why);
		return false;
	}
	return true;
}

static uint8_t *touch(struct pmap *pm, vaddr_t va, bool write, enum sim_fault *fault)
{
	enum sim_fault f = SIM_FAULT_NONE;
	uint8_t *p;

	pmap_activate(pm);
	sim_cpu_switch(&cpu, pmap_root_pa(pm), pmap_asid(pm));
	p = sim_cpu_translate(&cpu, va, write, &f);
	if (fault != NULL)
		*fault = p != NULL ? SIM_FAULT_NONE : f;
	return p;
}

static struct pmap_stats stats(const struct pmap *pm)
{
	struct pmap_stats st;

	pmap_get_stats(pm, &st);
	return st;
}

static struct pmap_global_stats gstats(void)
{
	struct pmap_global_stats st;

	pmap_get_global_stats(&st);
	return st;
}

static vm_prot_t prot_at(struct pmap *pm, vaddr_t va)
{
	vm_prot_t prot = 0;

	return pmap_extract(pm, va, NULL, &prot) ? prot : 0;
}

/* ---------------------------------------------------------------- */

TEST(enter_extract_remove)
{
	struct pmap *pm;
	struct vm_page *pg;
	struct pmap_stats st;
	paddr_t pa = 0;
	vm_prot_t prot = 0;

	boot();
	pm = pmap_create();
	CHECK(pm != NULL);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 1);
	pg = anon();

	CHECK_EQ(pmap_enter(pm, 0x400000, pg, RW, 0), VM_OK);
	CHECK(pmap_extract(pm, 0x400123, &pa, &prot));
	CHECK_EQ(pa, vm_page_pa(pg) + 0x123);
	CHECK_EQ(prot, RW);
	CHECK(!pmap_extract(pm, 0x401000, &pa, &prot));
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 4);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 1);
	st = stats(pm);
	CHECK_EQ(st.resident, 1);
	CHECK_EQ(st.ptp, 4);
	CHECK_EQ(st.ptp_peak, 4);
	CHECK_EQ(st.ptp_allocated, 4);
	CHECK_EQ(st.pv_entries, 1);
	CHECK_EQ(st.pv_pages, 1);
	CHECK_EQ(pmap_page_mappings(pg), 1);

	CHECK_EQ(pmap_enter(pm, 0x400010, pg, RW, 0), VM_EINVAL);
	CHECK_EQ(pmap_enter(pm, VM_USER_MAX, pg, RW, 0), VM_EINVAL);
	CHECK_EQ(pmap_enter(pm, 0x402000, pg, VM_PROT_NONE, 0), VM_EINVAL);
	CHECK_EQ(stats(pm).resident, 1);

	CHECK_EQ(pmap_enter(pm, 0x401000, pg, VM_PROT_READ | VM_PROT_EXEC, PMAP_WIRED), VM_OK);
	CHECK_EQ(prot_at(pm, 0x401000), VM_PROT_READ | VM_PROT_EXEC);
	CHECK_EQ(stats(pm).wired, 1);
	CHECK_EQ(stats(pm).resident, 2);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 4);
	CHECK_EQ(pmap_page_mappings(pg), 2);
	CHECK(verify_all());

	pmap_remove(pm, 0x400000, 0x402000);
	CHECK(!pmap_extract(pm, 0x400000, NULL, NULL));
	CHECK(!pmap_extract(pm, 0x401000, NULL, NULL));
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 1);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 0);
	st = stats(pm);
	CHECK_EQ(st.resident, 0);
	CHECK_EQ(st.wired, 0);
	CHECK_EQ(st.ptp, 1);
	CHECK_EQ(st.ptp_allocated, 4);
	CHECK_EQ(pmap_page_mappings(pg), 0);
	CHECK(verify_all());

	pmap_destroy(pm);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 0);
	CHECK_EQ(gstats().pmaps, 0);
	CHECK(verify_all());
}

TEST(tables_freed_up_the_levels)
{
	struct pmap *far, *near, *dense;
	struct vm_page *pool[16];
	uint64_t before;

	boot();
	for (int i = 0; i < 16; i++)
		pool[i] = anon();
	far = pmap_create();
	near = pmap_create();
	dense = pmap_create();
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 3);

	/* 512 GiB apart: every mapping needs its own PDPT, PD and PT. */
	for (uint64_t k = 0; k < 8; k++) {
		CHECK_EQ(pmap_enter(far, k * GB512 + 0x5000, pool[k], RW, 0), VM_OK);
		CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 3 + 3 * (k + 1));
	}
	/* 1 GiB apart: the first needs three, each next one a PD and a PT. */
	before = vm_phys.by_use[VM_PAGE_PTP];
	for (uint64_t k = 0; k < 8; k++) {
		CHECK_EQ(pmap_enter(near, k * GB1, pool[k], RW, 0), VM_OK);
		CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], before + 3 + 2 * k);
	}
	/* 4 MiB dense at a 2 MiB boundary: two PTs, one PD, one PDPT. */
	before = vm_phys.by_use[VM_PAGE_PTP];
	for (uint64_t i = 0; i < 1024; i++)
		CHECK_EQ(pmap_enter(dense, 0x40000000 + i * KB4, pool[i % 16], RW, 0), VM_OK);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP] - before, 4);
	CHECK_EQ(stats(dense).ptp, 5);
	CHECK(verify_all());

	/* Removing part of a table frees nothing; the last entry frees it. */
	before = vm_phys.by_use[VM_PAGE_PTP];
	pmap_remove(dense, 0x40000000, 0x40000000 + 511 * KB4);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], before);
	pmap_remove(dense, 0x40000000 + 511 * KB4, 0x40000000 + 512 * KB4);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], before - 1);

	/* Part of the far ones: exactly their three tables each go. */
	before = vm_phys.by_use[VM_PAGE_PTP];
	pmap_remove(far, 2 * GB512, 5 * GB512);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], before - 9);
	CHECK(verify_all());

	pmap_remove(far, 0, VM_USER_MAX);
	pmap_remove(near, 0, VM_USER_MAX);
	pmap_remove(dense, 0, VM_USER_MAX);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 3); /* the roots */
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 0);
	CHECK_EQ(stats(far).ptp_peak, 25);
	CHECK_EQ(stats(far).ptp_allocated, 25);
	CHECK(verify_all());
	pmap_destroy(far);
	pmap_destroy(near);
	pmap_destroy(dense);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 0);
}

TEST(replace_mapping)
{
	struct pmap *pm;
	struct vm_page *p1, *p2;
	enum sim_fault f;
	uint64_t pv_before;

	boot();
	pm = pmap_create();
	p1 = anon();
	p2 = anon();
	CHECK_EQ(pmap_enter(pm, 0x10000, p1, RW, 0), VM_OK);
	CHECK(touch(pm, 0x10000, true, &f) == vm_page_data(p1));
	pv_before = stats(pm).pv_entries;

	/* Another page: the old one keeps its dirty bit, the TLB forgets it. */
	CHECK_EQ(pmap_enter(pm, 0x10000, p2, VM_PROT_READ, 0), VM_OK);
	CHECK_EQ(pmap_page_mappings(p1), 0);
	CHECK_EQ(pmap_page_mappings(p2), 1);
	CHECK(pmap_is_modified(p1));
	CHECK(!pmap_is_modified(p2));
	CHECK_EQ(stats(pm).pv_entries, pv_before);
	CHECK_EQ(stats(pm).resident, 1);
	CHECK(verify_all());
	CHECK(touch(pm, 0x10000, false, &f) == vm_page_data(p2));
	CHECK(touch(pm, 0x10000, true, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_PROTECTION);

	/* Same page, more permission: the write goes through. */
	CHECK_EQ(pmap_enter(pm, 0x10000, p2, RW, 0), VM_OK);
	CHECK(touch(pm, 0x10000, true, &f) == vm_page_data(p2));
	CHECK(pmap_is_modified(p2));
	/* Same page, less permission: A/D stay, the writable entry goes. */
	CHECK_EQ(pmap_enter(pm, 0x10000, p2, VM_PROT_READ, PMAP_WIRED), VM_OK);
	CHECK(pmap_is_modified(p2));
	CHECK_EQ(stats(pm).wired, 1);
	CHECK(verify_all());
	CHECK(touch(pm, 0x10000, true, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_PROTECTION);
	CHECK_EQ(pmap_enter(pm, 0x10000, p2, VM_PROT_READ, 0), VM_OK);
	CHECK_EQ(stats(pm).wired, 0);

	/* Managed to unmanaged and back. */
	struct vm_page *kp = vm_page_alloc(VM_PAGE_KMEM);
	CHECK_EQ(pmap_enter(pm, 0x10000, kp, RW, 0), VM_OK);
	CHECK_EQ(pmap_page_mappings(p2), 0);
	CHECK_EQ(stats(pm).pv_entries, 0);
	CHECK_EQ(stats(pm).pv_pages, 0);
	CHECK(verify_all());
	CHECK_EQ(pmap_enter(pm, 0x10000, p1, RW, 0), VM_OK);
	CHECK_EQ(pmap_page_mappings(p1), 1);
	CHECK(verify_all());
	pmap_destroy(pm);
	CHECK(verify_all());
}

TEST(protect_only_lowers)
{
	struct pmap *pm;
	struct vm_page *pg;
	enum sim_fault f;
	const vaddr_t base = 0x200000;

	boot();
	pm = pmap_create();
	pg = anon();
	for (vaddr_t i = 0; i < 8; i++) {
		CHECK_EQ(pmap_enter(pm, base + i * KB4, pg, VM_PROT_ALL, 0), VM_OK);
		CHECK(touch(pm, base + i * KB4, true, &f) != NULL);
	}
	pmap_protect(pm, base + 2 * KB4, base + 6 * KB4, VM_PROT_READ);
	CHECK_EQ(prot_at(pm, base + 1 * KB4), VM_PROT_ALL);
	CHECK_EQ(prot_at(pm, base + 2 * KB4), VM_PROT_READ);
	CHECK_EQ(prot_at(pm, base + 5 * KB4), VM_PROT_READ);
	CHECK_EQ(prot_at(pm, base + 6 * KB4), VM_PROT_ALL);
	CHECK(verify_all());
	CHECK(touch(pm, base + 2 * KB4, true, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_PROTECTION);
	CHECK(touch(pm, base + 0 * KB4, true, &f) != NULL);

	pmap_protect(pm, base, base + 8 * KB4, VM_PROT_ALL);
	CHECK_EQ(prot_at(pm, base + 2 * KB4), VM_PROT_READ);
	pmap_protect(pm, base, base + 8 * KB4, VM_PROT_READ | VM_PROT_EXEC);
	CHECK_EQ(prot_at(pm, base + 0 * KB4), VM_PROT_READ | VM_PROT_EXEC);
	CHECK_EQ(prot_at(pm, base + 3 * KB4), VM_PROT_READ);
	CHECK(verify_all());

	pmap_protect(pm, base, base + 4 * KB4, VM_PROT_NONE);
	CHECK(!pmap_extract(pm, base + 3 * KB4, NULL, NULL));
	CHECK(pmap_extract(pm, base + 4 * KB4, NULL, NULL));
	CHECK_EQ(stats(pm).resident, 4);
	/* A range with nothing in it, spanning absent subtrees. */
	pmap_protect(pm, GB512, 64 * GB512, VM_PROT_READ);
	CHECK(verify_all());
	pmap_destroy(pm);
}

TEST(page_protect_across_pmaps)
{
	struct pmap *pm[3];
	struct vm_page *p, *q;
	enum sim_fault f;

	boot();
	p = anon();
	q = anon();
	for (int i = 0; i < 3; i++) {
		pm[i] = pmap_create();
		CHECK_EQ(pmap_enter(pm[i], 0x1000 * (uint64_t)(i + 1), p, RW, 0), VM_OK);
		CHECK(touch(pm[i], 0x1000 * (uint64_t)(i + 1), true, &f) != NULL);
	}
	CHECK_EQ(pmap_enter(pm[0], GB1, p, RW, 0), VM_OK);
	CHECK_EQ(pmap_enter(pm[1], GB1, q, RW, 0), VM_OK);
	CHECK(touch(pm[1], GB1, true, &f) != NULL);
	CHECK_EQ(pmap_page_mappings(p), 4);

	pmap_page_protect(p, VM_PROT_READ);
	CHECK_EQ(pmap_page_mappings(p), 4);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(prot_at(pm[i], 0x1000 * (uint64_t)(i + 1)), VM_PROT_READ);
		CHECK(touch(pm[i], 0x1000 * (uint64_t)(i + 1), true, &f) == NULL);
		CHECK_EQ(f, SIM_FAULT_PROTECTION);
	}
	CHECK_EQ(prot_at(pm[0], GB1), VM_PROT_READ);
	CHECK_EQ(prot_at(pm[1], GB1), RW);
	CHECK(touch(pm[1], GB1, true, &f) != NULL);
	CHECK(verify_all());

	pmap_page_protect(p, RW); /* not a lowering: nothing changes */
	CHECK_EQ(prot_at(pm[2], 0x3000), VM_PROT_READ);

	pmap_page_protect(p, VM_PROT_NONE);
	CHECK_EQ(pmap_page_mappings(p), 0);
	CHECK(p->pv == NULL);
	CHECK(pmap_is_modified(p));
	for (int i = 0; i < 3; i++)
		CHECK(!pmap_extract(pm[i], 0x1000 * (uint64_t)(i + 1), NULL, NULL));
	CHECK_EQ(stats(pm[0]).ptp, 1);
	CHECK_EQ(stats(pm[2]).ptp, 1);
	CHECK_EQ(stats(pm[1]).ptp, 4); /* q's tables stay */
	CHECK_EQ(stats(pm[0]).pv_pages + stats(pm[2]).pv_pages, 0);
	CHECK(verify_all());
	for (int i = 0; i < 3; i++)
		pmap_destroy(pm[i]);
	CHECK(verify_all());
}

TEST(accessed_and_dirty_via_the_cpu)
{
	struct pmap *a, *b;
	struct vm_page *pg;
	enum sim_fault f;
	uint64_t walks;

	boot();
	a = pmap_create();
	b = pmap_create();
	pg = anon();
	CHECK_EQ(pmap_enter(a, 0x7000, pg, RW, 0), VM_OK);
	CHECK(!pmap_is_referenced(pg));
	CHECK(!pmap_is_modified(pg));

	CHECK(touch(a, 0x7000, false, &f) != NULL);
	CHECK(pmap_is_referenced(pg));
	CHECK(!pmap_is_modified(pg));
	CHECK(touch(a, 0x7000, true, &f) != NULL);
	CHECK(pmap_is_modified(pg));

	CHECK(pmap_clear_modify(pg));
	CHECK(!pmap_is_modified(pg));
	CHECK(verify_all());
	walks = cpu.walks;
	CHECK(touch(a, 0x7008, true, &f) != NULL); /* the TLB entry was shot down */
	CHECK_EQ(cpu.walks, walks + 1);
	CHECK(pmap_is_modified(pg));
	CHECK(touch(a, 0x7010, true, &f) != NULL);
	CHECK_EQ(cpu.walks, walks + 1);

	CHECK(pmap_clear_reference(pg));
	CHECK(!pmap_is_referenced(pg));
	CHECK(!pmap_clear_reference(pg));
	CHECK(verify_all());
	CHECK(touch(a, 0x7000, false, &f) != NULL);
	CHECK(pmap_is_referenced(pg));

	/* Bits survive the mapping. */
	pmap_remove(a, 0x7000, 0x8000);
	CHECK(pmap_is_modified(pg));
	CHECK(pmap_is_referenced(pg));
	CHECK(pmap_clear_modify(pg));
	CHECK(!pmap_clear_modify(pg));

	/* Any mapping's write counts. */
	CHECK_EQ(pmap_enter(a, 0x7000, pg, VM_PROT_READ, 0), VM_OK);
	CHECK_EQ(pmap_enter(b, 0x9000, pg, RW, 0), VM_OK);
	CHECK(touch(a, 0x7000, false, &f) != NULL);
	CHECK(!pmap_is_modified(pg));
	CHECK(touch(b, 0x9000, true, &f) != NULL);
	CHECK(pmap_is_modified(pg));
	CHECK(verify_all());
	pmap_destroy(a);
	pmap_destroy(b);
	CHECK(verify_all());
}

TEST(shootdowns_only_for_cached_ptes)
{
	struct pmap *pm;
	struct vm_page *pg;
	enum sim_fault f;
	uint64_t s0;

	boot();
	pm = pmap_create();
	pg = anon();
	CHECK_EQ(pmap_enter(pm, 0x1000, pg, RW, 0), VM_OK);
	CHECK_EQ(pmap_enter(pm, 0x2000, pg, RW, 0), VM_OK);
	CHECK(touch(pm, 0x1000, false, &f) != NULL);
	s0 = gstats().tlb_shootdowns;
	pmap_remove(pm, 0x2000, 0x3000); /* never accessed: cannot be cached */
	CHECK_EQ(gstats().tlb_shootdowns, s0);
	pmap_protect(pm, 0x1000, 0x2000, VM_PROT_READ);
	CHECK_EQ(gstats().tlb_shootdowns, s0 + 1);
	pmap_remove(pm, 0x1000, 0x2000);
	CHECK_EQ(gstats().tlb_shootdowns, s0 + 2);
	CHECK(verify_all());
	pmap_destroy(pm);
	CHECK_EQ(gstats().tlb_shootdowns, s0 + 3); /* the asid flush */
}

TEST(collect_keeps_wired)
{
	struct pmap *pm, *bare;
	struct vm_page *pool[8];
	struct pmap_stats before, after;
	uint64_t freed;
	enum sim_fault f;

	boot();
	for (int i = 0; i < 8; i++)
		pool[i] = anon();
	pm = pmap_create();
	for (uint64_t i = 0; i < 600; i++)
		CHECK_EQ(pmap_enter(pm, i * KB4, pool[i % 8], RW, 0), VM_OK);
	CHECK_EQ(pmap_enter(pm, 2 * GB512, pool[0], RW, PMAP_WIRED), VM_OK);
	CHECK_EQ(pmap_enter(pm, 2 * GB512 + KB4, pool[1], VM_PROT_READ, PMAP_WIRED), VM_OK);
	CHECK(touch(pm, 2 * GB512, true, &f) != NULL);
	CHECK(touch(pm, 5 * KB4, true, &f) != NULL);
	before = stats(pm);
	CHECK_EQ(before.ptp, 1 + 4 + 3);
	CHECK_EQ(before.pv_pages, 3);

	freed = pmap_collect(pm);
	after = stats(pm);
	CHECK_EQ(after.resident, 2);
	CHECK_EQ(after.wired, 2);
	CHECK_EQ(after.ptp, 4);
	CHECK_EQ(after.pv_pages, 1);
	CHECK_EQ(freed, (before.ptp - after.ptp) + (before.pv_pages - after.pv_pages));
	CHECK_EQ(after.collections, 1);
	CHECK_EQ(after.collected_pages, freed);
	CHECK(pmap_extract(pm, 2 * GB512, NULL, NULL));
	CHECK(!pmap_extract(pm, 5 * KB4, NULL, NULL));
	CHECK(touch(pm, 2 * GB512, true, &f) != NULL); /* wired still works */
	CHECK(touch(pm, 5 * KB4, false, &f) == NULL);
	CHECK_EQ(f, SIM_FAULT_NOT_PRESENT);
	CHECK(verify_all());

	CHECK_EQ(pmap_collect(pm), 0);
	CHECK_EQ(stats(pm).collections, 1);

	/* Without wired mappings nothing but the root is left. */
	bare = pmap_create();
	for (uint64_t i = 0; i < 300; i++)
		CHECK_EQ(pmap_enter(bare, GB1 + i * MB2, pool[i % 8], RW, 0), VM_OK);
	CHECK_EQ(pmap_collect(bare), 300 + 2 + 2);
	CHECK_EQ(stats(bare).ptp, 1);
	CHECK_EQ(stats(bare).pv_pages, 0);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP], 4 + 1);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PV], 1);
	CHECK(verify_all());
	pmap_destroy(pm);
	pmap_destroy(bare);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP] + vm_phys.by_use[VM_PAGE_PV], 0);
}

TEST(reclaim_takes_the_least_recently_used)
{
	struct pmap *a, *b, *c;
	struct vm_page *pg;

	boot();
	pg = anon();
	a = pmap_create();
	b = pmap_create();
	c = pmap_create();
	for (uint64_t i = 0; i < 10; i++) {
		CHECK_EQ(pmap_enter(a, i * KB4, pg, RW, 0), VM_OK);
		CHECK_EQ(pmap_enter(b, i * KB4, pg, RW, 0), VM_OK);
		CHECK_EQ(pmap_enter(c, i * KB4, pg, RW, 0), VM_OK);
	}
	pmap_activate(a); /* order now b, c, a */

	CHECK_EQ(pmap_reclaim(NULL), 4); /* b's three tables and its pv chunk */
	CHECK_EQ(stats(b).resident, 0);
	CHECK_EQ(stats(c).resident, 10);
	CHECK_EQ(stats(a).resident, 10);

	CHECK(pmap_reclaim(c) > 0); /* b has nothing left, c is spared: a */
	CHECK_EQ(stats(a).resident, 0);
	CHECK_EQ(stats(c).resident, 10);
	CHECK_EQ(pmap_reclaim(c), 0);
	CHECK(pmap_reclaim(NULL) > 0);
	CHECK_EQ(stats(c).resident, 0);
	CHECK_EQ(pmap_page_mappings(pg), 0);
	CHECK(verify_all());
	pmap_destroy(a);
	pmap_destroy(b);
	pmap_destroy(c);
}

/* Everything an enter failure must leave untouched. */
struct snapshot {
	uint64_t by_use[VM_PAGE_USE_COUNT];
	uint64_t free_count;
	struct pmap_stats st;
	struct pmap_global_stats g;
};

static void snap(struct snapshot *s, const struct pmap *pm)
{
	memset(s, 0, sizeof(*s));
	memcpy(s->by_use, vm_phys.by_use, sizeof(s->by_use));
	s->free_count = vm_page_free_count();
	s->st = stats(pm);
	s->st.enter_fail = 0;
	s->g = gstats();
	s->g.enter_fail_ptp = s->g.enter_fail_pv = 0;
}

/* Enters with the Nth allocation at SITE failing; checks nothing changed. */
static void enter_fails(struct pmap *pm, vaddr_t va, struct vm_page *pg, int site, uint64_t n)
{
	struct snapshot before, after;
	struct pmap_global_stats g0 = gstats();
	uint64_t fails0 = stats(pm).enter_fail;
	enum vm_err rc;

	snap(&before, pm);
	sim_port_fail_nth(site, n);
	rc = pmap_enter(pm, va, pg, RW, 0);
	CHECK_EQ(sim_port_injected(), 1);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK_EQ(rc, VM_ENOMEM);
	snap(&after, pm);
	CHECK(memcmp(&before, &after, sizeof(before)) == 0);
	CHECK(!pmap_extract(pm, va, NULL, NULL));
	CHECK_EQ(stats(pm).enter_fail, fails0 + 1);
	CHECK_EQ(gstats().enter_fail_ptp, g0.enter_fail_ptp + (site == PORT_SITE_PTP));
	CHECK_EQ(gstats().enter_fail_pv, g0.enter_fail_pv + (site == PORT_SITE_PV));
	CHECK(verify_all());
}

TEST(enter_failure_leaves_no_trace)
{
	struct pmap *pm;
	struct vm_page *pg;
	uint64_t frames;

	boot();
	pg = anon();
	pm = pmap_create();
	/* Three tables and a pv chunk needed: fail each in turn. */
	enter_fails(pm, 3 * GB512, pg, PORT_SITE_PTP, 1);
	enter_fails(pm, 3 * GB512, pg, PORT_SITE_PTP, 2);
	enter_fails(pm, 3 * GB512, pg, PORT_SITE_PTP, 3);
	enter_fails(pm, 3 * GB512, pg, PORT_SITE_PV, 1);
	CHECK_EQ(pmap_enter(pm, 3 * GB512, pg, RW, 0), VM_OK);
	/* Two tables (a PD and a PT) under an existing PDPT. */
	enter_fails(pm, 3 * GB512 + GB1, pg, PORT_SITE_PTP, 1);
	enter_fails(pm, 3 * GB512 + GB1, pg, PORT_SITE_PTP, 2);
	CHECK_EQ(pmap_enter(pm, 3 * GB512 + GB1, pg, RW, 0), VM_OK);
	/* A full pv chunk: the 257th mapping needs a new one. */
	for (uint64_t i = 2; i < PMAP_PV_PER_CHUNK; i++)
		CHECK_EQ(pmap_enter(pm, i * KB4, pg, RW, 0), VM_OK);
	CHECK_EQ(stats(pm).pv_pages, 1);
	enter_fails(pm, 0x10000000, pg, PORT_SITE_PV, 1);
	enter_fails(pm, 0x10000000, pg, PORT_SITE_PTP, 1);
	CHECK_EQ(pmap_enter(pm, 0x10000000, pg, RW, 0), VM_OK);
	CHECK_EQ(stats(pm).pv_pages, 2);
	/* Real exhaustion, not injection: take every free frame. */
	frames = 0;
	while (vm_page_alloc(VM_PAGE_KMEM) != NULL)
		frames++;
	CHECK(frames > 0);
	CHECK_EQ(pmap_enter(pm, 5 * GB512, pg, RW, 0), VM_ENOMEM);
	CHECK_EQ(pmap_enter(pm, 0x10001000, pg, RW, 0), VM_OK); /* needs nothing */
	CHECK(verify_all());
	CHECK(pmap_create() == NULL);
	pmap_destroy(pm);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP] + vm_phys.by_use[VM_PAGE_PV], 0);
}

TEST(create_failure_leaves_no_trace)
{
	uint64_t by_use[VM_PAGE_USE_COUNT];

	boot();
	memcpy(by_use, vm_phys.by_use, sizeof(by_use));
	sim_port_fail_nth(PORT_SITE_PTP, 1);
	CHECK(pmap_create() == NULL);
	sim_port_fail_nth(PORT_SITE_KMEM, 1);
	CHECK(pmap_create() == NULL);
	sim_port_fail_nth(SIM_SITE_ANY, 0);
	CHECK(memcmp(by_use, vm_phys.by_use, sizeof(by_use)) == 0);
	CHECK_EQ(gstats().pmaps, 0);
	CHECK(verify_all());
}

TEST(asids_are_unique_after_wrap)
{
	struct pmap *p1, *p2, *p3, *p4;

	boot();
	p1 = pmap_create();
	p2 = pmap_create();
	CHECK_EQ(pmap_asid(p1), 1);
	CHECK_EQ(pmap_asid(p2), 2);
	pmap_destroy(p2);
	pmap_g.next_asid = PMAP_ASID_LIMIT - 1;
	p3 = pmap_create();
	CHECK_EQ(pmap_asid(p3), PMAP_ASID_LIMIT - 1);
	p4 = pmap_create(); /* wraps; 1 is taken, 2 is free again */
	CHECK_EQ(pmap_asid(p4), 2);
	CHECK(pmap_lookup_asid(2) == p4);
	CHECK(pmap_lookup_asid(3) == NULL);
	CHECK(verify_all());
	/* Wrapping again with 1 free: the count starts over at 1, the lowest
	 * asid, so no asid is lost to the wraps. */
	pmap_destroy(p1);
	pmap_g.next_asid = PMAP_ASID_LIMIT - 1;
	p1 = pmap_create(); /* LIMIT - 1 is p3's: wraps to 1 */
	CHECK_EQ(pmap_asid(p1), 1);
	CHECK(verify_all());
	pmap_destroy(p1);
	pmap_destroy(p3);
	pmap_destroy(p4);
}

static vaddr_t walk_prev;
static uint64_t walk_count;
static bool walk_sorted;

static void walk_fn(void *arg, vaddr_t va, pt_entry_t pte)
{
	(void)arg;
	if (walk_count > 0 && va <= walk_prev)
		walk_sorted = false;
	if (!(pte & PTE_P))
		walk_sorted = false;
	walk_prev = va;
	walk_count++;
}

TEST(walk_in_address_order)
{
	static const vaddr_t vas[] = { 7 * GB512, 0x1000, GB1 + 0x3000, 0x200000, VM_USER_MAX - KB4,
				       GB1, 0x3000 };
	struct pmap *pm;
	struct vm_page *pg;

	boot();
	pm = pmap_create();
	pg = anon();
	for (size_t i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
		CHECK_EQ(pmap_enter(pm, vas[i], pg, VM_PROT_READ, 0), VM_OK);
	walk_count = 0;
	walk_sorted = true;
	pmap_walk(pm, walk_fn, NULL);
	CHECK(walk_sorted);
	CHECK_EQ(walk_count, 7);
	CHECK_EQ(walk_prev, VM_USER_MAX - KB4);
	pmap_destroy(pm);
}

TEST(verify_catches_corruption)
{
	struct pmap *pm;
	struct vm_page *p, *q;
	pmap_path_t path;
	pt_entry_t *slot, saved;
	struct pmap_pv *pv;
	char why[256];

	boot();
	pm = pmap_create();
	p = anon();
	q = anon();
	CHECK_EQ(pmap_enter(pm, 0x5000, p, RW, 0), VM_OK);
	CHECK_EQ(pmap_enter(pm, 0x6000, q, RW, 0), VM_OK);
	CHECK(verify_all());
	slot = pmap_pte_slot(pm, 0x5000, path);

	path[1]->aux++;
	CHECK(!pmap_verify(pm, why, sizeof(why)));
	CHECK(strstr(why, "count") != NULL);
	path[1]->aux--;

	pm->st.resident++;
	CHECK(!pmap_verify(pm, why, sizeof(why)));
	CHECK(strstr(why, "resident") != NULL);
	pm->st.resident--;

	pv = p->pv;
	p->pv = NULL;
	CHECK(!pmap_verify(pm, why, sizeof(why)));
	p->pv = pv;

	pmap_pte_store(slot + 7, PTE_W); /* junk in an invalid entry */
	CHECK(!pmap_verify(pm, why, sizeof(why)));
	pmap_pte_store(slot + 7, 0);

	saved = pmap_pte_load(slot);
	pmap_pte_store(slot, (saved & ~PTE_FRAME) | vm_page_pa(q));
	CHECK(!pmap_verify(pm, why, sizeof(why)));
	CHECK(!pmap_verify_page(q, why, sizeof(why)) || !pmap_verify_page(p, why, sizeof(why)));
	pmap_pte_store(slot, saved);

	p->pv->va = 0x9000;
	CHECK(!pmap_verify_page(p, why, sizeof(why)));
	CHECK(strstr(why, "no PTE") != NULL);
	p->pv->va = 0x5000;

	vm_phys.by_use[VM_PAGE_PTP]++;
	CHECK(!pmap_verify_global(why, sizeof(why)));
	vm_phys.by_use[VM_PAGE_PTP]--;

	/* A pv chunk that names a pmap destroyed since (its slot still in a
	 * live slab of the pmap cache): its entries belong to nobody. */
	{
		struct vm_page *chunk = vm_page_of_ptr(p->pv);
		struct pmap *dead = pmap_create();

		CHECK(dead != NULL && vm_page_of_ptr(dead) == vm_page_of_ptr(pm));
		CHECK_EQ(pmap_enter(dead, 0x5000, p, RW, 0), VM_OK);
		pmap_remove(dead, 0x5000, 0x6000);
		pmap_destroy(dead);
		CHECK(verify_all());
		chunk->owner.pmap = dead;
		CHECK(!pmap_verify_page(p, why, sizeof(why)));
		CHECK(strstr(why, "no live pmap") != NULL);
		chunk->owner.pmap = pm;
	}

	CHECK(verify_all());
	pmap_destroy(pm);
}

/* ---------------------------------------------------------------- */
/* Randomized run against a model                                   */

#define RP 4  /* pmap slots */
#define RV 40 /* candidate addresses */
#define RG 12 /* pages: RG - 1 managed, the last unmanaged */

struct mslot {
	bool valid, w, x, wired;
	int page;
};

static struct {
	struct pmap *pm;
	struct mslot s[RV];
} mp[RP];
static vaddr_t cand[RV];
static struct vm_page *pool[RG];
static bool mref[RG], mmod[RG];
/* Eight pages at each of five bases that straddle table boundaries. */
static void make_candidates(void)
{
	static const vaddr_t bases[5] = { 0x0, MB2 - 2 * KB4, GB1 - KB4, GB512 - 2 * KB4,
					  VM_USER_MAX - 8 * KB4 };

	for (int b = 0; b < 5; b++)
		for (int k = 0; k < 8; k++)
			cand[b * 8 + k] = bases[b] + (vaddr_t)k * KB4;
}

static int model_mappings(int g)
{
	int n = 0;

	for (int i = 0; i < RP; i++)
		for (int j = 0; j < RV; j++)
			n += mp[i].pm != NULL && mp[i].s[j].valid && mp[i].s[j].page == g;
	return n;
}

struct walk_cmp {
	int slot;
	uint64_t seen;
	bool ok;
};

static void walk_cmp_fn(void *arg, vaddr_t va, pt_entry_t pte)
{
	struct walk_cmp *wc = arg;
	int j;

	wc->seen++;
	for (j = 0; j < RV && cand[j] != va; j++)
		;
	if (j == RV) {
		wc->ok = false;
		return;
	}
	const struct mslot *m = &mp[wc->slot].s[j];
	if (!m->valid || (pte & PTE_FRAME) != vm_page_pa(pool[m->page]) ||
	    !!(pte & PTE_W) != m->w || !(pte & PTE_NX) != m->x || !!(pte & PTE_WIRED) != m->wired)
		wc->ok = false;
}

static bool model_matches(void)
{
	for (int i = 0; i < RP; i++) {
		struct walk_cmp wc = { i, 0, true };
		uint64_t valid = 0;

		if (mp[i].pm == NULL)
			continue;
		for (int j = 0; j < RV; j++)
			valid += mp[i].s[j].valid;
		pmap_walk(mp[i].pm, walk_cmp_fn, &wc);
		if (!wc.ok || wc.seen != valid || stats(mp[i].pm).resident != valid) {
			fprintf(stderr, "model: pmap slot %d differs\n", i);
			return false;
		}
	}
	for (int g = 0; g < RG; g++) {
		if (pmap_page_mappings(pool[g]) != (uint64_t)(g == RG - 1 ? 0 : model_mappings(g)))
			return false;
		if (g == RG - 1)
			continue;
		if (pmap_is_modified(pool[g]) != mmod[g] || pmap_is_referenced(pool[g]) != mref[g]) {
			fprintf(stderr, "model: page %d mod %d/%d ref %d/%d\n", g,
				pmap_is_modified(pool[g]), mmod[g], pmap_is_referenced(pool[g]), mref[g]);
			return false;
		}
	}
	return true;
}

static void r_enter(int i)
{
	int j = (int)rng_below(RV), g = (int)rng_below(RG);
	vm_prot_t prot = (vm_prot_t)(1 + rng_below(7));
	unsigned flags = rng_below(5) == 0 ? PMAP_WIRED : 0;
	bool inject = rng_below(8) == 0;
	struct snapshot before, after;
	enum vm_err rc;

	snap(&before, mp[i].pm);
	if (inject)
		sim_port_fail_nth(rng_below(2) ? PORT_SITE_PTP : PORT_SITE_PV, 1);
	rc = pmap_enter(mp[i].pm, cand[j], pool[g], prot, flags);
	if (inject) {
		CHECK_EQ(rc == VM_ENOMEM, sim_port_injected() == 1);
		sim_port_fail_nth(SIM_SITE_ANY, 0);
	}
	if (rc != VM_OK) {
		CHECK_EQ(rc, VM_ENOMEM);
		snap(&after, mp[i].pm);
		CHECK(memcmp(&before, &after, sizeof(before)) == 0);
		return;
	}
	mp[i].s[j] = (struct mslot){ true, (prot & VM_PROT_WRITE) != 0, (prot & VM_PROT_EXEC) != 0,
				     flags != 0, g };
}

static void r_range(int i, int *j1, int *j2)
{
	*j1 = (int)rng_below(RV);
	*j2 = (int)rng_below(RV);
	if (*j1 > *j2) {
		int t = *j1;

		*j1 = *j2;
		*j2 = t;
	}
	(void)i;
}

static void r_remove(int i)
{
	int j1, j2;

	r_range(i, &j1, &j2);
	pmap_remove(mp[i].pm, cand[j1], cand[j2] + KB4);
	for (int j = j1; j <= j2; j++)
		mp[i].s[j].valid = false;
}

static void r_protect(int i)
{
	int j1, j2;
	vm_prot_t prot = (vm_prot_t)rng_below(8);

	r_range(i, &j1, &j2);
	pmap_protect(mp[i].pm, cand[j1], cand[j2] + KB4, prot);
	for (int j = j1; j <= j2; j++) {
		struct mslot *m = &mp[i].s[j];

		if (prot == VM_PROT_NONE)
			m->valid = false;
		m->w = m->w && (prot & VM_PROT_WRITE);
		m->x = m->x && (prot & VM_PROT_EXEC);
	}
}

static void r_page_protect(void)
{
	static const vm_prot_t prots[4] = { VM_PROT_NONE, VM_PROT_READ,
					    VM_PROT_READ | VM_PROT_EXEC, VM_PROT_ALL };
	int g = (int)rng_below(RG - 1);
	vm_prot_t prot = prots[rng_below(4)];

	pmap_page_protect(pool[g], prot);
	for (int i = 0; i < RP; i++) {
		for (int j = 0; j < RV; j++) {
			struct mslot *m = &mp[i].s[j];

			if (mp[i].pm == NULL || !m->valid || m->page != g)
				continue;
			if (prot == VM_PROT_NONE)
				m->valid = false;
			if (!(prot & VM_PROT_WRITE))
				m->w = false;
		}
	}
}

static void r_touch(int i)
{
	int j = (int)rng_below(RV);
	bool write = rng_below(2) == 0;
	vaddr_t off = rng_below(KB4);
	const struct mslot *m = &mp[i].s[j];
	enum sim_fault f;
	uint8_t *p = touch(mp[i].pm, cand[j] + off, write, &f);

	if (!m->valid) {
		CHECK(p == NULL && f == SIM_FAULT_NOT_PRESENT);
		return;
	}
	if (write && !m->w) {
		CHECK(p == NULL && f == SIM_FAULT_PROTECTION);
		return;
	}
	CHECK(p == vm_page_data(pool[m->page]) + off);
	if (p == NULL)
		return;
	if (write)
		*p = (uint8_t)rng();
	mref[m->page] = true;
	mmod[m->page] = mmod[m->page] || write;
}

static void r_clear(void)
{
	int g = (int)rng_below(RG - 1);

	if (rng_below(2)) {
		CHECK_EQ(pmap_clear_modify(pool[g]), mmod[g]);
		mmod[g] = false;
	} else {
		CHECK_EQ(pmap_clear_reference(pool[g]), mref[g]);
		mref[g] = false;
	}
}

static void r_collect(int i)
{
	pmap_collect(mp[i].pm);
	for (int j = 0; j < RV; j++)
		if (!mp[i].s[j].wired)
			mp[i].s[j].valid = false;
}

static void r_destroy(int i)
{
	pmap_destroy(mp[i].pm);
	mp[i].pm = NULL;
	memset(mp[i].s, 0, sizeof(mp[i].s));
}

static void r_step(void)
{
	int i = (int)rng_below(RP);
	uint64_t op = rng_below(100);

	if (mp[i].pm == NULL) {
		mp[i].pm = pmap_create();
		CHECK(mp[i].pm != NULL);
		return;
	}
	if (op < 35)
		r_enter(i);
	else if (op < 45)
		r_remove(i);
	else if (op < 55)
		r_protect(i);
	else if (op < 62)
		r_page_protect();
	else if (op < 85)
		r_touch(i);
	else if (op < 91)
		r_clear();
	else if (op < 94)
		r_collect(i);
	else if (op < 98)
		pmap_activate(mp[i].pm);
	else
		r_destroy(i);
}

static void random_run(uint64_t seed, int steps)
{
	boot();
	rng_state = seed;
	make_candidates();
	memset(mp, 0, sizeof(mp));
	memset(mref, 0, sizeof(mref));
	memset(mmod, 0, sizeof(mmod));
	for (int g = 0; g < RG - 1; g++)
		pool[g] = anon();
	pool[RG - 1] = vm_page_alloc(VM_PAGE_KMEM);
	for (int step = 0; step < steps; step++) {
		r_step();
		if (!verify_all() || !model_matches()) {
			CHECK(!"random run diverged");
			fprintf(stderr, "seed %llu step %d\n", (unsigned long long)seed, step);
			return;
		}
	}
	for (int i = 0; i < RP; i++)
		if (mp[i].pm != NULL)
			r_destroy(i);
	CHECK_EQ(vm_phys.by_use[VM_PAGE_PTP] + vm_phys.by_use[VM_PAGE_PV], 0);
	CHECK(verify_all());
}

TEST(random_against_model)
{
	random_run(1, 4000);
	random_run(2, 4000);
	random_run(3, 4000);
}

int main(void)
{
	RUN(enter_extract_remove);
	RUN(tables_freed_up_the_levels);
	RUN(replace_mapping);
	RUN(protect_only_lowers);
	RUN(page_protect_across_pmaps);
	RUN(accessed_and_dirty_via_the_cpu);
	RUN(shootdowns_only_for_cached_ptes);
	RUN(collect_keeps_wired);
	RUN(reclaim_takes_the_least_recently_used);
	RUN(enter_failure_leaves_no_trace);
	RUN(create_failure_leaves_no_trace);
	RUN(asids_are_unique_after_wrap);
	RUN(walk_in_address_order);
	RUN(verify_catches_corruption);
	RUN(random_against_model);
	sim_port_set_cpu(NULL);
	free(ram);
	return check_done();
}
