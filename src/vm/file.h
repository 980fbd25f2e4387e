/*
 * file.h - the page cache of files, inside the core.
 *
 * See file.c for the design; include/mvm/vm.h has the host's interface.
 */
#ifndef MVM_VM_FILE_H
#define MVM_VM_FILE_H

#include "mvm/vm.h"
#include "mvm/vm_page.h"

struct vm_object;

struct vm_file_stats {
	uint64_t dirty;            /* potentially dirty file pages now */
	uint64_t dirty_peak;
	uint64_t dirty_max;        /* the bound (--dirty-max) */
	uint64_t inflight_cap;     /* data_returns in flight per pager at most */
	uint64_t inflight_peak;    /* most data_returns in flight to one pager */
	uint64_t requests;         /* data_request messages */
	uint64_t request_pages;
	uint64_t returns;          /* data_return messages */
	uint64_t return_pages;
	uint64_t request_errors, return_errors;
	uint64_t throttled;        /* writers that waited for the dirty bound */
	uint64_t throttle_ns;      /* simulated time they waited */
	uint64_t clean_drops;      /* clean file pages reclaimed */
	uint64_t anon_out_with_clean_file; /* anon pages sent to swap while a
	                                    * clean file page was resident:
	                                    * the goal is none */
};

extern struct vm_file_stats vm_file_stats;
/* Every file object, for the checker and the daemon. */
extern struct vm_object *vm_files;

void vm_file_init(void);

/* A resident, idle page of OBJ at PINDEX for a fault: VM_ESIGBUS past the
 * end of the file, VM_ENOMEM, VM_ESIGBUS on a read error (as Linux). */
enum vm_err vm_file_fault_page(struct vm_object *obj, uint64_t pindex, struct vm_page **pg);
/* PG is about to be written through a shared mapping: account it dirty
 * (waiting first if the dirty bound is reached). */
void vm_file_dirty_for_write(struct vm_page *pg);

/* msync: writes back the dirty pages of [first, first+n) and waits. */
enum vm_err vm_file_sync_range(struct vm_object *obj, uint64_t first, uint64_t n);
/* madvise pageout: [first, first+n) written back, then its clean pages
 * dropped from the cache; content is unchanged (the file holds it). */
void vm_file_pageout_range(struct vm_object *obj, uint64_t first, uint64_t n);
/* The last mapping of OBJ went away: write everything back now. */
void vm_file_unmapped(struct vm_object *obj);
/* Frees every page (the object dies). */
void vm_file_release(struct vm_object *obj);

/* Reclaim, for the page daemon: frees up to WANT clean, idle file pages
 * (second chance for referenced ones); returns how many. */
uint64_t vm_file_reclaim_clean(uint64_t want);
/* Starts writing back dirty pages (at most WANT); WAIT: until done. */
void vm_file_writeback(uint64_t want, bool wait);
/* Background: writeback once the dirty count passes half the bound. */
void vm_file_background(void);
/* Clean file pages that could be reclaimed right now. */
uint64_t vm_file_clean_resident(void);

#endif
