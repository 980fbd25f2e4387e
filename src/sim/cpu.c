/*
 * cpu.c - the simulated MMU: page-table walks, A/D bits, a tagged TLB.
 *
 * This is the "hardware" the pmap programs.  A walk reads the four levels
 * from simulated RAM starting at CR3 (root_pa), the PTEs being
 * little-endian 64-bit words as on x86-64.  It faults NOT_PRESENT when an
 * entry on the way is not present (or the address is not a user address
 * below 2^47) and PROTECTION when the leaf lacks U, or lacks W for a
 * write.  Permission is decided by the leaf alone: the pmap gives
 * non-leaf entries P|W|U.
 *
 * As on x86, the walk sets A in every upper-level entry it uses and in
 * the leaf before it caches the translation, and sets D on a write.  The TLB entry is writable only if the PTE has W
 * and D both set, so the first write through an entry that a read filled
 * misses and walks again, which is how D gets set.  The pmap leans on
 * these two rules: a PTE with A clear cannot be in the TLB, and clearing
 * D must shoot the entry down.
 *
 * The TLB is direct mapped and tagged with the asid (PCID-like), so a
 * context switch does not flush it; only the pmap's shootdowns
 * (port_tlb_flush_page/asid, routed here by port_sim.c) invalidate.
 * sim_cpu_verify_tlb re-walks every valid entry read-only and reports an
 * entry the tables no longer justify: a missing shootdown is a bug that
 * normal runs would hide until a process wrote through a dead mapping.
 */
#include "cpu.h"

#include <stdio.h>
#include <string.h>

#define SIM_VPN_BITS 36
#define SIM_PAGE_SHIFT 12
#define SIM_PAGE_OFFSET 0xfffull

static uint64_t sim_tlb_tag(uint32_t asid, uint64_t vpn)
{
	return (((uint64_t)asid << SIM_VPN_BITS) | vpn) + 1;
}

static struct sim_tlb_entry *sim_tlb_slot(struct sim_cpu *cpu, uint64_t vpn)
{
	return &cpu->tlb[vpn & (SIM_TLB_ENTRIES - 1)];
}

static uint64_t sim_pte_load(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static void sim_pte_store(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(p, &v, sizeof(v));
}

void sim_cpu_init(struct sim_cpu *cpu, uint8_t *ram, uint64_t nframes)
{
	memset(cpu, 0, sizeof(*cpu));
	cpu->ram = ram;
	cpu->nframes = nframes;
}

void sim_cpu_switch(struct sim_cpu *cpu, uint64_t root_pa, uint32_t asid)
{
	cpu->root_pa = root_pa;
	cpu->asid = asid;
}

/*
 * The host address of VA's leaf PTE under ROOT_PA, or NULL if a level is
 * not present, VA is not a user address, or a table frame is outside RAM
 * (a corrupt table faults rather than reading past the array).
 */
static uint8_t *sim_walk(uint8_t *ram, uint64_t nframes, uint64_t root_pa, uint64_t va,
			 bool mark)
{
	uint64_t table = root_pa;

	/* Frame 0 is never a table (it holds the page array): CR3 0 = none. */
	if (va >= SIM_USER_LIMIT || root_pa == 0)
		return NULL;
	for (int level = PT_LEVELS; level >= 1; level--) {
		uint8_t *slot;

		if ((table >> SIM_PAGE_SHIFT) >= nframes)
			return NULL;
		slot = (uint8_t *)ram + table + (uint64_t)pt_index(va, level) * sizeof(pt_entry_t);
		if (level == 1)
			return slot;
		if (!(sim_pte_load(slot) & PTE_P))
			return NULL;
		/* x86 sets A in every level it uses, not only in the leaf. */
		if (mark && !(sim_pte_load(slot) & PTE_A))
			sim_pte_store(slot, sim_pte_load(slot) | PTE_A);
		table = sim_pte_load(slot) & PTE_FRAME;
	}
	return NULL;
}

/* The fault a present-or-not leaf PTE gives for the access, if any. */
static enum sim_fault sim_check(pt_entry_t pte, uint64_t nframes, bool write)
{
	if (!(pte & PTE_P) || ((pte & PTE_FRAME) >> SIM_PAGE_SHIFT) >= nframes)
		return SIM_FAULT_NOT_PRESENT;
	if (!(pte & PTE_U) || (write && !(pte & PTE_W)))
		return SIM_FAULT_PROTECTION;
	return SIM_FAULT_NONE;
}

static uint8_t *sim_fault(struct sim_cpu *cpu, enum sim_fault why, enum sim_fault *fault)
{
	cpu->faults++;
	if (fault != NULL)
		*fault = why;
	return NULL;
}

uint8_t *sim_cpu_translate_slow(struct sim_cpu *cpu, uint64_t va, bool write,
				enum sim_fault *fault)
{
	uint64_t vpn = va >> SIM_PAGE_SHIFT;
	struct sim_tlb_entry *e = sim_tlb_slot(cpu, vpn);
	uint8_t *slot;
	pt_entry_t pte;
	enum sim_fault why;

	if (va >= SIM_USER_LIMIT) /* not a user address: no walk, no TLB */
		return sim_fault(cpu, SIM_FAULT_NOT_PRESENT, fault);
	/* Callers may come here directly (not only on an inline miss). */
	if (e->tag == sim_tlb_tag(cpu->asid, vpn) && (!write || e->writable)) {
		cpu->tlb_hits++;
		return e->data + (va & SIM_PAGE_OFFSET);
	}
	cpu->tlb_misses++;
	cpu->walks++;
	slot = sim_walk(cpu->ram, cpu->nframes, cpu->root_pa, va, true);
	if (slot == NULL)
		return sim_fault(cpu, SIM_FAULT_NOT_PRESENT, fault);
	pte = sim_pte_load(slot);
	why = sim_check(pte, cpu->nframes, write);
	if (why != SIM_FAULT_NONE)
		return sim_fault(cpu, why, fault);
	pte |= PTE_A | (write ? PTE_D : 0);
	sim_pte_store(slot, pte);
	e->tag = sim_tlb_tag(cpu->asid, vpn);
	e->data = cpu->ram + (pte & PTE_FRAME);
	e->writable = (pte & PTE_W) && (pte & PTE_D);
	if (fault != NULL)
		*fault = SIM_FAULT_NONE;
	return e->data + (va & SIM_PAGE_OFFSET);
}

void sim_cpu_flush_page(struct sim_cpu *cpu, uint32_t asid, uint64_t va)
{
	uint64_t vpn = (va >> SIM_PAGE_SHIFT) & (((uint64_t)1 << SIM_VPN_BITS) - 1);
	struct sim_tlb_entry *e = sim_tlb_slot(cpu, vpn);

	if (e->tag == sim_tlb_tag(asid, vpn))
		e->tag = 0;
}

void sim_cpu_flush_asid(struct sim_cpu *cpu, uint32_t asid)
{
	for (int i = 0; i < SIM_TLB_ENTRIES; i++) {
		struct sim_tlb_entry *e = &cpu->tlb[i];

		if (e->tag != 0 && (uint32_t)((e->tag - 1) >> SIM_VPN_BITS) == asid)
			e->tag = 0;
	}
}

/* Why entry E (slot I) is not justified by the tables, or NULL if it is. */
static const char *sim_tlb_entry_problem(const struct sim_cpu *cpu, int i,
					 const struct sim_tlb_entry *e, uint64_t root)
{
	uint64_t vpn = (e->tag - 1) & (((uint64_t)1 << SIM_VPN_BITS) - 1);
	const uint8_t *slot;
	pt_entry_t pte;

	if ((vpn & (SIM_TLB_ENTRIES - 1)) != (uint64_t)i)
		return "entry in the wrong slot";
	if (root == 0)
		return "address space is gone";
	slot = sim_walk(cpu->ram, cpu->nframes, root, vpn << SIM_PAGE_SHIFT, false);
	if (slot == NULL)
		return "no page table for it";
	pte = sim_pte_load(slot);
	if (sim_check(pte, cpu->nframes, false) != SIM_FAULT_NONE)
		return "PTE not present or not user";
	if (!(pte & PTE_A))
		return "cached but A is clear";
	if (e->data != cpu->ram + (pte & PTE_FRAME))
		return "PTE maps another frame";
	if (e->writable && !((pte & PTE_W) && (pte & PTE_D)))
		return "writable but PTE lacks W or D";
	return NULL;
}

bool sim_cpu_verify_tlb(const struct sim_cpu *cpu, uint64_t (*root_of)(uint32_t asid, void *arg),
			void *arg, char *why, size_t whylen)
{
	for (int i = 0; i < SIM_TLB_ENTRIES; i++) {
		const struct sim_tlb_entry *e = &cpu->tlb[i];
		uint32_t asid;
		const char *problem;

		if (e->tag == 0)
			continue;
		asid = (uint32_t)((e->tag - 1) >> SIM_VPN_BITS);
		problem = sim_tlb_entry_problem(cpu, i, e, root_of(asid, arg));
		if (problem != NULL) {
			snprintf(why, whylen, "tlb slot %d (asid %u, va 0x%llx): %s", i, asid,
				 (unsigned long long)(((e->tag - 1) & (((uint64_t)1 << SIM_VPN_BITS) - 1))
						      << SIM_PAGE_SHIFT),
				 problem);
			return false;
		}
	}
	return true;
}
