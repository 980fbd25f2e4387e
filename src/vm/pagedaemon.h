/*
 * pagedaemon.h - reclaiming memory: in the background, and on demand.
 */
#ifndef MVM_VM_PAGEDAEMON_H
#define MVM_VM_PAGEDAEMON_H

#include <stdbool.h>
#include <stdint.h>

struct vm_map;

struct vm_pagedaemon_stats {
	uint64_t runs;            /* scans, background and on demand */
	uint64_t urgent;          /* of which on demand (an allocation failed) */
	uint64_t fruitless;       /* on-demand runs that freed nothing */
	uint64_t frames_freed;    /* free frames gained by all runs */
	uint64_t scanned;         /* inactive pages looked at */
	uint64_t reactivated;     /* found referenced, given another round */
	uint64_t deactivated;     /* moved from active to inactive */
	uint64_t laundered;       /* dirty pages sent to swap */
	uint64_t idle_collections;/* idle processes' pmaps collected */
	uint64_t pmap_frames;     /* frames those and emergency reclaims freed */
	uint64_t emergency;       /* emergency pmap reclaims */
};

void vm_pagedaemon_init(void);
extern struct vm_pagedaemon_stats vm_pagedaemon_stats;

/*
 * Sending pages out, in clusters: clean pages are freed at once, dirty
 * anonymous pages are gathered and written to swap in runs; what swap
 * cannot take stays resident.  Used by the daemon and by madvise pageout.
 */
struct vm_page;
struct vm_pageout {
	struct vm_page *pages[32];   /* VM_SWAP_CLUSTER */
	uint32_t n;
	bool swap_full;
	bool reclaim;   /* the daemon reclaiming (not madvise pageout): clean
	                 * file pages must go before anything is swapped */
};
void vm_pageout_begin(struct vm_pageout *po, bool reclaim);
/* PG: resident, not busy, off any queue's scan in progress. */
void vm_pageout_add(struct vm_pageout *po, struct vm_page *pg);
void vm_pageout_finish(struct vm_pageout *po);

/* Free memory is above the low mark (read-around and other luxuries). */
bool vm_pagedaemon_plenty(void);
/* The background daemon: runs if an allocation asked for it. */
void vm_pagedaemon_poll(void);

#endif
