/*
 * frag.h - how fragmented an address map is, measured from outside it.
 *
 * The fragmentation report (`mvm demo`, scenario `fragmentation`) puts
 * three figures side by side for every process, over time:
 *
 *   entries    what mvm's map holds (vm_map_entry_count);
 *   minimum    the fewest entries that could describe the same address
 *              space: the number of maximal runs of pages whose
 *              attributes are identical (frag_min_runs);
 *   clip-only  what a map that clips but never merges would hold after
 *              the same operations (struct frag_clip), which is what
 *              NetBSD's uvm_map_protect and GNU Mach's vm_map_protect of
 *              the translator reports leave behind.
 *
 * Invariant 5 says entries == minimum.  This file checks it without
 * trusting the map: the minimum is computed here, from what the public
 * interface (mvm/vm.h) says about each entry, by its own simple rule, and
 * never calls the map's merge predicate.  Two pages are alike when they
 * have the same protection, sharing and inheritance (dontfork) and their
 * backing continues: both private anonymous; or the same object (shared
 * anonymous memory or a file) with consecutive page offsets.  A run ends
 * at a hole or at a page that is not alike.
 *
 * Where entries > minimum, frag_measure() looks at each pair of adjacent
 * entries that the rule says belong to one run, and says why they are
 * apart: `shared` when one of them holds private pages whose amap nodes or
 * anons another map shares (the rule by which NetBSD and Linux refuse such
 * joins; mvm joins them anyway, so it should never be seen), `other`
 * otherwise, which is a bug in the merge code.
 *
 * The clip-only count is kept exactly by a shadow: for each process, the
 * set of pieces a never-merging map would hold, updated from the same
 * trace operations (see frag_clip_apply for the rules).  A counter in the
 * core could not be exact cheaply: to know how many pieces an munmap
 * removes, it would need the very boundaries a merged map has forgotten.
 * The shadow reuses the core's interval tree (map_tree.h), so every
 * update is O(log n) plus the pieces it removes.
 */
#ifndef MVM_SIM_FRAG_H
#define MVM_SIM_FRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "mvm/vm.h"
#include "trace/trace.h"
#include "trace/trace_hash.h"

struct sim;

/* ---- the minimum ---- */

/* Counts runs over entries fed in ascending address order. */
struct frag_runs {
	uint64_t runs;
	bool have_last;
	struct vm_map_info last;
};

/* Whether the first page of B continues the last page of A (A ends where
 * B starts, attributes identical, backing continues). */
bool frag_pages_alike(const struct vm_map_info *a, const struct vm_map_info *b);
void frag_runs_feed(struct frag_runs *r, const struct vm_map_info *info);
/* Maximal runs of alike pages in MAP: the fewest entries possible. */
uint64_t frag_min_runs(const struct vm_map *map);

/* What frag_measure found for one map. */
struct frag_counts {
	uint64_t entries;
	uint64_t min_runs;
	uint64_t excess_shared; /* adjacent entries kept apart, one holding
	                         * private pages shared with another map */
	uint64_t excess_other;  /* kept apart for no reason the rule knows */
};
void frag_measure(const struct vm_map *map, struct frag_counts *out);

/* ---- the clip-only shadow ---- */

struct frag_clip;

struct frag_clip *frag_clip_create(void);
void frag_clip_destroy(struct frag_clip *c);

/*
 * Applies one admitted trace operation to the shadow of its process, as a
 * map that clips and never merges would apply it:
 *   spawn      an empty map;
 *   fork       the child gets one piece for each of the parent's pieces
 *              that is not dontfork;
 *   exec       empties the map; exit forgets it;
 *   mmap       cuts at both edges, removes the pieces inside, inserts one
 *              piece for the new mapping;
 *   munmap     cuts at both edges and removes the pieces inside;
 *   mprotect   cuts at both edges, whether or not the protection changes
 *              (NetBSD's uvm_map_protect clips first, then looks);
 *   madvise    dontfork and dofork cut at both edges and set the pieces'
 *              inheritance (as NetBSD's uvm_map_inherit); dontneed,
 *              willneed and pageout change no attribute, and no map clips
 *              for them, so they leave the shadow alone.
 * Calls that fail (EINVAL by the spec's argument rules, a file mmap's
 * ENOENT or EOVERFLOW, a range outside user space, mprotect or madvise
 * over a hole) change nothing, as in mvm; `file` lines are noted for the
 * ENOENT rule.
 */
void frag_clip_apply(struct frag_clip *c, const struct trace_op *op);
/* Pieces of PID's shadow map (0 if PID has none). */
uint64_t frag_clip_count(const struct frag_clip *c, uint64_t pid);
bool frag_clip_has(const struct frag_clip *c, uint64_t pid);
/*
 * Whether PID's shadow is a refinement of MAP: its pieces cover exactly
 * the map's pages, every entry boundary is a piece boundary, and each
 * piece's inheritance is its entry's.  A never-merging map must relate
 * so to any map of the same address space; the tests use it to show the
 * shadow exact.  On failure writes the first difference into WHY.
 */
bool frag_clip_refines(const struct frag_clip *c, uint64_t pid, const struct vm_map *map,
		       char *why, size_t whylen);
/* The system ended PID (OOM kill): forget its shadow. */
void frag_clip_forget(struct frag_clip *c, uint64_t pid);
/* Visits the pid of every shadow; FN may not change the set. */
void frag_clip_foreach(const struct frag_clip *c, void (*fn)(void *arg, uint64_t pid),
		       void *arg);

/*
 * Following a replay.  The replayer calls a sampler every so many
 * admitted operations (replay_opts.sample); a follower reads the same
 * trace text with its own reader and process table, and at each sample
 * applies the operations admitted since the last one to its shadow, then
 * drops the shadows of processes the machine no longer has (killed by
 * the OOM killer), telling its process table so that it skips their
 * later operations exactly as the replayer does.  Sampled after every
 * operation, it is exact; sampled less often, it is exact whenever no
 * process was killed since the last sample, and otherwise exact again
 * for every process the machine still has.
 */
struct frag_follow;

/* Follows TEXT (copied); NULL if memory ran out. */
struct frag_follow *frag_follow_create(const char *text, size_t len);
void frag_follow_destroy(struct frag_follow *f);
/* Applies operations until the follower has applied OPS admitted ones;
 * then syncs with S.  False if the text ran out or is malformed first. */
bool frag_follow_to(struct frag_follow *f, struct sim *s, uint64_t ops);
const struct frag_clip *frag_follow_clip(const struct frag_follow *f);

#endif
