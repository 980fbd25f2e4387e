/*
 * pagedaemon.h - reclaiming memory when an allocation cannot be met.
 */
#ifndef MVM_VM_PAGEDAEMON_H
#define MVM_VM_PAGEDAEMON_H

#include <stdint.h>

struct vm_map;

struct vm_pagedaemon_stats {
	uint64_t runs;           /* times reclaim was asked for */
	uint64_t runs_fruitless; /* of which freed nothing */
	uint64_t frames_freed;   /* frames freed by reclaim */
	uint64_t pmap_frames;    /* of which page tables and pv chunks */
};

void vm_pagedaemon_init(void);
extern struct vm_pagedaemon_stats vm_pagedaemon_stats;

#endif
