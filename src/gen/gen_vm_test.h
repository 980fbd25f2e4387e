/*
 * gen_vm_test.h - `mvm gen vm-test`: many processes forking and swapping
 * at once, after the vm-test program that came with the 1993 swap-leak
 * report ("try it after inducing simultaneous swapping and forking").
 *
 * PROCS processes each fill a private heap (together several times the
 * RAM of the demo), then run ROUNDS rounds in which every live process, in
 * a shuffled order, does one thing: writes or reads pages of its heap,
 * forks a child (children live a while doing the same, may fork once
 * more, then exit), asks for a range to be paged out, drops or remaps a
 * range.  So slots are taken and released by every path at once: pageout
 * under pressure and on request, copy-on-write of swapped pages, exits,
 * unmaps, dontneed.
 */
#ifndef MVM_SIM_GEN_VM_TEST_H
#define MVM_SIM_GEN_VM_TEST_H

#include <stdint.h>
#include <stdio.h>

struct gen_vm_test_params {
	uint64_t seed;          /* --seed (default 1) */
	uint64_t procs;         /* --procs: processes spawned (default 8) */
	uint64_t rounds;        /* --rounds (default 300) */
	uint64_t heap_bytes;    /* --heap: each process's heap (default 8 MiB) */
	uint64_t check_every;   /* --check-every: a `check` every N rounds
	                         * (default 10; 0: only the final one) */
};

#define GEN_VM_TEST_HEAP 0x100000000000ull
#define GEN_VM_TEST_MAX_PROCS 1000
#define GEN_VM_TEST_MAX_HEAP (16ull << 30)

void gen_vm_test_defaults(struct gen_vm_test_params *p);
/* Writes the trace; 0, or -1 on a write error or no memory. */
int gen_vm_test(FILE *out, const struct gen_vm_test_params *p);

#endif
