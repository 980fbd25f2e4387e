/*
 * map_ops.c - the operations on address maps: mmap, munmap, mprotect,
 * madvise, msync, fork, exec, create and destroy.
 *
 * Every operation follows one pattern:
 *
 *   1. check what makes it fail without any change (holes for the
 *      all-or-nothing calls, the user-space limit);
 *   2. reserve every object it may allocate (entries, amap nodes,
 *      objects), running the page daemon while that fails, and giving up
 *      with VM_ENOMEM only when the daemon can free nothing;
 *   3. clip, change, merge: nothing can fail any more;
 *   4. end the reservation.
 *
 * So an operation either does everything or nothing, and the map is
 * minimal (invariant 5) when it returns.
 *
 * The pmap is kept in step as the VM changes: removed ranges are removed
 * from the pmap first (so no PTE outlives its page), lowered protections
 * are lowered in the pmap at once, and a fork write-protects the parent's
 * private pages, which are now shared copy-on-write with the child.
 * Raised protections are left to the fault handler.
 */
#include "map.h"

#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"
#include "file.h"
#include "object.h"
#include "pagedaemon.h"
#include "swap.h"

/* Amap nodes one join may allocate at most (amap.h). */
#define MAP_JOIN_NODES AMAP_JOIN_MAX_NODES

struct map_need {
	uint64_t entries;
	uint64_t nodes;
	uint64_t objects;
};

static void map_unreserve(void)
{
	vm_kmem_unreserve_all(&vm_map_entry_cache);
	vm_kmem_unreserve_all(&vm_amap_node_cache);
	vm_kmem_unreserve_all(&vm_object_cache);
}

static bool map_try_reserve(const struct map_need *need)
{
	return vm_kmem_reserve(&vm_map_entry_cache, need->entries) == VM_OK &&
	       vm_kmem_reserve(&vm_amap_node_cache, need->nodes) == VM_OK &&
	       vm_kmem_reserve(&vm_object_cache, need->objects) == VM_OK;
}

/* Step 2 of every operation. */
static enum vm_err map_reserve(const struct vm_map *map, const struct map_need *need)
{
	for (int tries = 0;;) {
		if (map_try_reserve(need))
			return VM_OK;
		map_unreserve();
		if (!vm_wait_for_memory(map, &tries))
			return VM_ENOMEM;
	}
}

/* What clipping the map at ADDR needs: nothing at a boundary or in a hole. */
static void need_clip(struct vm_map *map, vaddr_t addr, struct map_need *need)
{
	struct vm_map_entry *e = vm_map_lookup(map, addr);

	if (e == NULL || vm_entry_start(e) == addr)
		return;
	need->entries++;
	need->nodes += vm_amap_split_cost(&e->amap);
}

/*
 * What merging around the entries of [start, end) may need.  Merges chain:
 * A, B (no pages), C may become one entry, joining A's amap with C's even
 * though they were never neighbours.  So each entry with pages is charged
 * its join with the previous entry with pages (the amap's exact cost of
 * grafting one onto the other), and the whole chain once more for what
 * growing the accumulated tree's root and copying its first seam path may
 * add on top.  Clipped pieces are subtrees of their entry's amap, so the
 * entries' costs bound theirs.
 */
static void need_merges(struct vm_map *map, vaddr_t start, vaddr_t end, struct map_need *need)
{
	struct vm_map_entry *e = vm_map_lookup_ge(map, start);
	const struct vm_amap *last = NULL;

	if (e != NULL && vm_map_prev(e) != NULL)
		e = vm_map_prev(e);
	for (; e != NULL && vm_entry_start(e) <= end; e = vm_map_next(e)) {
		if (vm_amap_empty(&e->amap))
			continue;
		if (last != NULL)
			need->nodes += vm_amap_join_cost(last, &e->amap);
		last = &e->amap;
	}
	need->nodes += 2 * MAP_JOIN_NODES;
}

/* Whether every page of [start, end) is mapped. */
static bool map_range_mapped(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e;

	if (end > VM_USER_MAX)
		return false;
	for (e = vm_map_lookup(map, start); e != NULL; e = vm_map_next(e)) {
		if (vm_entry_end(e) >= end)
			return true;
		if (vm_map_next(e) == NULL || vm_entry_start(vm_map_next(e)) != vm_entry_end(e))
			return false;
	}
	return false;
}

/* Removes everything in [start, end), clipping the entries at the edges. */
static void map_remove_range(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e = vm_map_lookup_ge(map, start), *next;

	if (e == NULL || vm_entry_start(e) >= end)
		return;
	e = vm_map_clip_start(map, e, start);
	while (e != NULL && vm_entry_start(e) < end) {
		vm_map_clip_end(map, e, end);
		next = vm_map_next(e);
		vm_map_entry_delete(map, e);
		e = next;
	}
}

enum vm_err vm_mmap(struct vm_map *map, vaddr_t addr, uint64_t len, vm_prot_t prot,
		    bool shared, struct vm_object *obj, uint64_t offset)
{
	vaddr_t end = addr + len;
	struct map_need need = {.entries = 1, .objects = shared && obj == NULL};
	struct vm_map_entry *e;

	VM_ASSERT(len > 0 && (addr & VM_PAGE_MASK) == 0 && (len & VM_PAGE_MASK) == 0 && end > addr);
	if (end > VM_USER_MAX)
		return VM_ENOMAP;
	need_clip(map, addr, &need);
	need_clip(map, end, &need);
	need.nodes += 2 * MAP_JOIN_NODES;
	if (map_reserve(map, &need) != VM_OK)
		return VM_ENOMEM;
	map_remove_range(map, addr, end);
	if (shared && obj == NULL)
		obj = vm_object_anon_create(vm_atop(len));
	else if (obj != NULL)
		vm_object_ref(obj);
	e = vm_kmem_alloc(&vm_map_entry_cache);
	*e = (struct vm_map_entry){
		.node = {.start = addr, .end = end},
		.object = obj,
		.offset = obj != NULL ? offset : 0,
		.map = map,
		.prot = prot,
		.maxprot = VM_PROT_ALL,
		.inherit = shared ? VM_INHERIT_SHARE : VM_INHERIT_COPY,
		.flags = shared ? VM_ENTRY_SHARED : 0,
	};
	if (obj != NULL)
		vm_object_link(obj, e);
	vm_map_entry_insert(map, e);
	vm_map_merge_range(map, addr, end);
	map_unreserve();
	return VM_OK;
}

enum vm_err vm_munmap(struct vm_map *map, vaddr_t addr, uint64_t len)
{
	vaddr_t end = addr + len;
	struct map_need need = {0};

	if (end > VM_USER_MAX)
		return VM_EINVAL;
	need_clip(map, addr, &need);
	need_clip(map, end, &need);
	if (map_reserve(map, &need) != VM_OK)
		return VM_ENOMEM;
	map_remove_range(map, addr, end);
	map_unreserve();
	return VM_OK;
}

/* Changes one attribute over [start, end), clipping only entries that
 * differ, then merges.  The all-or-nothing check is the caller's. */
typedef bool (*map_differs_fn)(const struct vm_map_entry *e, unsigned value);
typedef void (*map_set_fn)(struct vm_map *map, struct vm_map_entry *e, unsigned value);

static enum vm_err map_change_range(struct vm_map *map, vaddr_t start, vaddr_t end,
				    map_differs_fn differs, map_set_fn set, unsigned value)
{
	struct map_need need = {0};
	struct vm_map_entry *e;

	e = vm_map_lookup(map, start);
	if (differs(e, value))
		need_clip(map, start, &need);
	e = vm_map_lookup(map, end - 1);
	if (differs(e, value))
		need_clip(map, end, &need);
	need_merges(map, start, end, &need);
	if (map_reserve(map, &need) != VM_OK)
		return VM_ENOMEM;
	for (e = vm_map_lookup(map, start); e != NULL && vm_entry_start(e) < end; e = vm_map_next(e)) {
		if (!differs(e, value))
			continue;
		e = vm_map_clip_start(map, e, start);
		vm_map_clip_end(map, e, end);
		set(map, e, value);
	}
	vm_map_merge_range(map, start, end);
	map_unreserve();
	return VM_OK;
}

static bool prot_differs(const struct vm_map_entry *e, unsigned prot)
{
	return e->prot != prot;
}

static void prot_set(struct vm_map *map, struct vm_map_entry *e, unsigned prot)
{
	e->prot = (vm_prot_t)prot;
	/* Lower what the pmap allows now; raises wait for a fault. */
	pmap_protect(map->pmap, vm_entry_start(e), vm_entry_end(e), (vm_prot_t)prot);
}

enum vm_err vm_mprotect(struct vm_map *map, vaddr_t addr, uint64_t len, vm_prot_t prot)
{
	if (!map_range_mapped(map, addr, addr + len))
		return VM_ENOMAP;
	return map_change_range(map, addr, addr + len, prot_differs, prot_set, prot);
}

static unsigned inherit_for(const struct vm_map_entry *e, bool dontfork)
{
	if (dontfork)
		return VM_INHERIT_NONE;
	return vm_entry_shared(e) ? VM_INHERIT_SHARE : VM_INHERIT_COPY;
}

static bool inherit_differs(const struct vm_map_entry *e, unsigned dontfork)
{
	return e->inherit != inherit_for(e, dontfork != 0);
}

static void inherit_set(struct vm_map *map, struct vm_map_entry *e, unsigned dontfork)
{
	(void)map;
	e->inherit = (uint8_t)inherit_for(e, dontfork != 0);
}

/* dontneed: private pages are dropped (the next access sees zeros, or the
 * file); shared pages only lose their mappings. */
static enum vm_err map_dontneed(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct map_need need = {0};
	struct vm_map_entry *e;

	for (e = vm_map_lookup(map, start); e != NULL && vm_entry_start(e) < end; e = vm_map_next(e))
		need.nodes += vm_amap_clear_cost(&e->amap);
	if (map_reserve(map, &need) != VM_OK)
		return VM_ENOMEM;
	for (e = vm_map_lookup(map, start); e != NULL && vm_entry_start(e) < end; e = vm_map_next(e)) {
		vaddr_t s = start > vm_entry_start(e) ? start : vm_entry_start(e);
		vaddr_t t = end < vm_entry_end(e) ? end : vm_entry_end(e);
		enum vm_err err;

		pmap_remove(map->pmap, s, t);
		err = vm_amap_clear(&e->amap, vm_atop(s), vm_atop(t));
		VM_ASSERT(err == VM_OK);
	}
	map_unreserve();
	return VM_OK;
}

/* The anons an entry maps in [start, end): the amap's, or the object's. */
static void entry_foreach_anon(struct vm_map_entry *e, vaddr_t start, vaddr_t end,
			       vm_amap_visit_fn fn, void *arg)
{
	vaddr_t s = start > vm_entry_start(e) ? start : vm_entry_start(e);
	vaddr_t t = end < vm_entry_end(e) ? end : vm_entry_end(e);

	if (vm_entry_shared(e))
		vm_amap_foreach(&e->object->anons, vm_entry_pindex(e, s), vm_entry_pindex(e, t), fn, arg);
	else
		vm_amap_foreach(&e->amap, vm_atop(s), vm_atop(t), fn, arg);
}

static bool pageout_anon(void *arg, uint64_t key, struct vm_anon *an, bool shared)
{
	(void)key;
	(void)shared;
	if (an->page != NULL && !(an->page->flags & VM_PG_BUSY))
		vm_pageout_add(arg, an->page);
	return true;
}

/* madvise pageout: every resident page of the range goes out now: anons
 * to swap, file pages back to their file and out of the cache.  The
 * writes are waited for, so the frames are free when the call returns. */
static void map_pageout(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_pageout po;

	vm_pageout_begin(&po, false);
	for (struct vm_map_entry *e = vm_map_lookup(map, start); e != NULL && vm_entry_start(e) < end;
	     e = vm_map_next(e)) {
		entry_foreach_anon(e, start, end, pageout_anon, &po);
		if (e->object != NULL && vm_object_is_file(e->object)) {
			vaddr_t s = start > vm_entry_start(e) ? start : vm_entry_start(e);
			vaddr_t t = end < vm_entry_end(e) ? end : vm_entry_end(e);

			vm_file_pageout_range(e->object, vm_entry_pindex(e, s), vm_atop(t - s));
		}
	}
	vm_pageout_finish(&po);
	vm_swap_drain(true);
}

struct willneed {
	const struct vm_amap *am;
	bool stop;
};

static bool willneed_anon(void *arg, uint64_t key, struct vm_anon *an, bool shared)
{
	struct willneed *w = arg;

	(void)shared;
	if (an->page == NULL && an->swslot != VM_ANON_NOSLOT)
		w->stop = vm_swap_pagein(an, w->am, key) == VM_ENOMEM;
	return !w->stop;
}

/* madvise willneed: read swapped pages of the range back while memory is
 * plentiful; a hint, so a failure just ends it. */
static void map_willneed(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	for (struct vm_map_entry *e = vm_map_lookup(map, start); e != NULL && vm_entry_start(e) < end;
	     e = vm_map_next(e)) {
		struct willneed w = {
			.am = vm_entry_shared(e) ? &e->object->anons : &e->amap,
		};

		if (!vm_pagedaemon_plenty())
			return;
		entry_foreach_anon(e, start, end, willneed_anon, &w);
		if (w.stop)
			return;
	}
}

enum vm_err vm_madvise(struct vm_map *map, vaddr_t addr, uint64_t len, enum vm_advice adv)
{
	vaddr_t end = addr + len;

	if (!map_range_mapped(map, addr, end))
		return VM_ENOMAP;
	switch (adv) {
	case VM_ADV_DONTNEED:
		return map_dontneed(map, addr, end);
	case VM_ADV_DONTFORK:
	case VM_ADV_DOFORK:
		return map_change_range(map, addr, end, inherit_differs, inherit_set,
					adv == VM_ADV_DONTFORK);
	case VM_ADV_WILLNEED:
		map_willneed(map, addr, end);
		return VM_OK;
	case VM_ADV_PAGEOUT:
		map_pageout(map, addr, end);
		return VM_OK;
	}
	return VM_EINVAL;
}

enum vm_err vm_msync(struct vm_map *map, vaddr_t addr, uint64_t len)
{
	vaddr_t end = addr + len;
	enum vm_err err = VM_OK;

	if (!map_range_mapped(map, addr, end))
		return VM_ENOMAP;
	/* Only shared file mappings have anything to write back. */
	for (struct vm_map_entry *e = vm_map_lookup(map, addr); e != NULL && vm_entry_start(e) < end;
	     e = vm_map_next(e)) {
		vaddr_t s = addr > vm_entry_start(e) ? addr : vm_entry_start(e);
		vaddr_t t = end < vm_entry_end(e) ? end : vm_entry_end(e);

		if (vm_entry_shared(e) && vm_object_is_file(e->object) &&
		    vm_file_sync_range(e->object, vm_entry_pindex(e, s), vm_atop(t - s)) != VM_OK)
			err = VM_EIO;
	}
	return err;
}

struct vm_map *vm_map_create(void)
{
	struct vm_map *map;
	struct pmap *pm;
	int tries = 0;

	for (;;) {
		map = vm_kmem_alloc(&vm_map_cache);
		pm = map != NULL ? pmap_create() : NULL;
		if (pm != NULL)
			break;
		if (map != NULL)
			vm_kmem_free(&vm_map_cache, map);
		if (!vm_wait_for_memory(NULL, &tries))
			return NULL;
	}
	*map = (struct vm_map){.pmap = pm, .last_active = port_time_ns(), .all_next = vm_maps};
	if (vm_maps != NULL)
		vm_maps->all_prev = map;
	vm_maps = map;
	map_tree_init(&map->tree, 0, VM_USER_MAX);
	return map;
}

void vm_map_exec(struct vm_map *map)
{
	struct vm_map_entry *e, *next;

	for (e = vm_map_first(map); e != NULL; e = next) {
		next = vm_map_next(e);
		vm_map_entry_delete(map, e);
	}
}

void vm_map_destroy(struct vm_map *map)
{
	vm_map_exec(map);
	if (map->all_prev != NULL)
		map->all_prev->all_next = map->all_next;
	else
		vm_maps = map->all_next;
	if (map->all_next != NULL)
		map->all_next->all_prev = map->all_prev;
	pmap_destroy(map->pmap);
	vm_kmem_free(&vm_map_cache, map);
}

/* The child's copy of E, by E's inheritance. */
static void fork_entry(struct vm_map *child, struct vm_map_entry *e)
{
	struct vm_map_entry *c = vm_kmem_alloc(&vm_map_entry_cache);

	*c = *e;
	c->node = (struct map_node){.start = vm_entry_start(e), .end = vm_entry_end(e)};
	c->map = child;
	c->obj_next = c->obj_prev = NULL;
	c->amap = (struct vm_amap){0};
	if (e->inherit == VM_INHERIT_COPY)
		vm_amap_share(&e->amap, &c->amap);
	if (c->object != NULL) {
		vm_object_ref(c->object);
		vm_object_link_near(c->object, e, c);
	}
	vm_map_entry_insert(child, c);
}

enum vm_err vm_map_fork(struct vm_map *parent, struct vm_map **childp)
{
	struct map_need need = {0};
	struct vm_map *child;
	struct vm_map_entry *e;

	for (e = vm_map_first(parent); e != NULL; e = vm_map_next(e))
		need.entries += e->inherit != VM_INHERIT_NONE;
	child = vm_map_create();
	if (child == NULL)
		return VM_ENOMEM;
	if (map_reserve(parent, &need) != VM_OK) {
		vm_map_destroy(child);
		return VM_ENOMEM;
	}
	for (e = vm_map_first(parent); e != NULL; e = vm_map_next(e)) {
		if (e->inherit == VM_INHERIT_NONE)
			continue;
		fork_entry(child, e);
		/* The parent's private pages are now shared copy-on-write. */
		if (e->inherit == VM_INHERIT_COPY && !vm_amap_empty(&e->amap))
			pmap_protect(parent->pmap, vm_entry_start(e), vm_entry_end(e),
				     vm_prot_readonly(e->prot));
	}
	map_unreserve();
	*childp = child;
	return VM_OK;
}
