/*
 * cpu.h - the simulated CPU's memory management unit and TLB.
 *
 * The MMU translates a virtual address by walking the four-level page
 * table in simulated RAM from the root the current address space loaded
 * (CR3), checking present/user/write in the leaf and setting its A bit,
 * and D on writes, as x86-64 hardware does.  Translations are cached in a
 * software TLB tagged by address-space id (like PCID), so a context switch
 * does not flush it; the pmap invalidates entries through
 * port_tlb_flush_page/asid whenever it lowers or removes a PTE.  A stale
 * TLB entry would let a process write through a mapping that is gone, so
 * sim_cpu_verify_tlb() lets the consistency checker prove there is none.
 */
#ifndef MVM_SIM_CPU_H
#define MVM_SIM_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvm/pte.h"

#define SIM_TLB_ENTRIES 256 /* direct mapped */
/* User addresses are the lower canonical half of the 48-bit space; every
 * address at or above this faults, and none may reach the TLB: its tag
 * holds 36 bits of page number, so a higher page number would alias
 * another address space's entry. */
#define SIM_USER_LIMIT ((uint64_t)1 << 47)

struct sim_tlb_entry {
	uint64_t tag;    /* ((uint64_t)asid << 36 | vpn) + 1; 0 = invalid */
	uint8_t *data;   /* host address of the frame's bytes */
	bool writable;   /* PTE allows writes and D is already set */
};

enum sim_fault {
	SIM_FAULT_NONE,
	SIM_FAULT_NOT_PRESENT, /* no valid leaf PTE */
	SIM_FAULT_PROTECTION,  /* present, but the access is not allowed */
};

struct sim_cpu {
	struct sim_tlb_entry tlb[SIM_TLB_ENTRIES];
	uint8_t *ram;
	uint64_t nframes;
	uint64_t root_pa;  /* CR3 */
	uint32_t asid;
	uint64_t tlb_hits, tlb_misses, walks, faults;
};

void sim_cpu_init(struct sim_cpu *cpu, uint8_t *ram, uint64_t nframes);
/* Loads an address space (no flush: entries are tagged). */
void sim_cpu_switch(struct sim_cpu *cpu, uint64_t root_pa, uint32_t asid);

/* Slow path: walk, check, set A/D, fill the TLB. */
uint8_t *sim_cpu_translate_slow(struct sim_cpu *cpu, uint64_t va, bool write,
				enum sim_fault *fault);

/*
 * Host address of the byte at VA for a read or a write, or NULL with
 * *FAULT saying why.  The TLB-hit path is inline: replay speed depends on it.
 */
static inline uint8_t *sim_cpu_translate(struct sim_cpu *cpu, uint64_t va, bool write,
					 enum sim_fault *fault)
{
	uint64_t vpn = va >> 12;
	struct sim_tlb_entry *e = &cpu->tlb[vpn & (SIM_TLB_ENTRIES - 1)];

	if (va < SIM_USER_LIMIT && e->tag == (((uint64_t)cpu->asid << 36) | vpn) + 1 &&
	    (!write || e->writable)) {
		cpu->tlb_hits++;
		return e->data + (va & 0xfff);
	}
	return sim_cpu_translate_slow(cpu, va, write, fault);
}

void sim_cpu_flush_page(struct sim_cpu *cpu, uint32_t asid, uint64_t va);
void sim_cpu_flush_asid(struct sim_cpu *cpu, uint32_t asid);

/* Every valid TLB entry still matches the page tables of its address
 * space (same frame; writable only if the PTE is W and D).  ROOT_OF maps
 * an asid to its root table's physical address (0 if the asid is dead:
 * then the entry is stale).  Returns false and writes why on failure. */
bool sim_cpu_verify_tlb(const struct sim_cpu *cpu, uint64_t (*root_of)(uint32_t asid, void *arg),
			void *arg, char *why, size_t whylen);

#endif
