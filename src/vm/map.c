/*
 * map.c - address map entries: lookup, clipping, merging, lifecycle.
 *
 * Operations that change a map (map_ops.c) are built from three steps:
 * clip the entries at the edges of the range, change or remove what lies
 * inside, and merge around what changed.  This file provides the steps.
 *
 * Clipping splits an entry in two.  Its amap is split at the same page;
 * because amaps are keyed by virtual page number, that touches only the
 * nodes on the seam's path.  Merging is the inverse and is always tried:
 * two adjacent entries become one when their attributes agree and their
 * backing continues (same object at contiguous offsets; amaps always join,
 * see amap.c).  NetBSD's uvm_map_protect clips and never merges back, and
 * both NetBSD and Linux keep two adjacent private anonymous regions apart
 * once each has its own amap or anon_vma.  That is the fragmentation the
 * GNU Mach translator reports describe; mvm's maps stay minimal.
 *
 * Clips and merges need memory (an entry, amap nodes).  They run only
 * under a reservation taken by the operation (map_reserve), so they cannot
 * fail half way.
 */
#include "map.h"

#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"
#include "object.h"

struct vm_kmem_cache vm_map_cache;
struct vm_kmem_cache vm_map_entry_cache;
struct vm_map *vm_maps;

void vm_map_init(void)
{
	vm_maps = NULL;
	vm_kmem_cache_init(&vm_map_cache, "map", sizeof(struct vm_map));
	vm_kmem_cache_init(&vm_map_entry_cache, "map entry", sizeof(struct vm_map_entry));
}

struct vm_map_entry *vm_map_first(const struct vm_map *map)
{
	return vm_entry_of(map_tree_first(&map->tree));
}

struct vm_map_entry *vm_map_next(const struct vm_map_entry *e)
{
	return vm_entry_of(map_tree_next(&e->node));
}

struct vm_map_entry *vm_map_prev(const struct vm_map_entry *e)
{
	return vm_entry_of(map_tree_prev(&e->node));
}

struct vm_map_entry *vm_map_lookup(struct vm_map *map, vaddr_t va)
{
	struct vm_map_entry *e = map->hint;

	if (e != NULL && va >= vm_entry_start(e) && va < vm_entry_end(e))
		return e;
	e = vm_entry_of(map_tree_lookup(&map->tree, va));
	if (e != NULL)
		map->hint = e;
	return e;
}

struct vm_map_entry *vm_map_lookup_ge(const struct vm_map *map, vaddr_t va)
{
	struct vm_map_entry *e = map->hint;

	/* An operation looks up the same address several times (check,
	 * reserve, change, merge): the hint saves the walks. */
	if (e != NULL && va >= vm_entry_start(e) && va < vm_entry_end(e))
		return e;
	return vm_entry_of(map_tree_lookup_ge(&map->tree, va));
}

static bool same_backing(const struct vm_map_entry *a, const struct vm_map_entry *b)
{
	if (a->object != b->object)
		return false;
	return a->object == NULL || b->offset == a->offset + vm_entry_pages(a);
}

bool vm_map_entry_mergeable(const struct vm_map_entry *a, const struct vm_map_entry *b)
{
	return vm_entry_end(a) == vm_entry_start(b) && a->prot == b->prot &&
	       a->maxprot == b->maxprot && a->inherit == b->inherit &&
	       a->flags == b->flags && same_backing(a, b);
}

/* A fresh entry with E's attributes and backing reference, but no amap;
 * not yet on the object's mapping list (its offset is not known yet). */
static struct vm_map_entry *map_entry_clone(const struct vm_map_entry *e)
{
	struct vm_map_entry *c = vm_kmem_alloc(&vm_map_entry_cache);

	VM_ASSERT(c != NULL); /* callers hold a reservation */
	*c = *e;
	c->amap = (struct vm_amap){0};
	c->obj_next = c->obj_prev = NULL;
	if (c->object != NULL)
		vm_object_ref(c->object);
	return c;
}

void vm_map_entry_insert(struct vm_map *map, struct vm_map_entry *e)
{
	map_tree_insert(&map->tree, &e->node);
}

/* Splits E at ADDR; E keeps [start, addr) and the new entry [addr, end). */
static struct vm_map_entry *map_clip(struct vm_map *map, struct vm_map_entry *e, vaddr_t addr)
{
	struct vm_map_entry *upper = map_entry_clone(e);
	enum vm_err err;

	VM_ASSERT(addr > vm_entry_start(e) && addr < vm_entry_end(e));
	err = vm_amap_split(&e->amap, vm_atop(addr), &upper->amap);
	VM_ASSERT(err == VM_OK);
	upper->offset = vm_entry_pindex(e, addr);
	if (upper->object != NULL)
		vm_object_link_near(upper->object, e, upper);
	upper->node.start = addr;
	upper->node.end = vm_entry_end(e);
	map_tree_set_bounds(&map->tree, &e->node, vm_entry_start(e), addr);
	map_tree_insert(&map->tree, &upper->node);
	map->clips++;
	return upper;
}

struct vm_map_entry *vm_map_clip_start(struct vm_map *map, struct vm_map_entry *e, vaddr_t addr)
{
	if (addr <= vm_entry_start(e))
		return e;
	return map_clip(map, e, addr);
}

void vm_map_clip_end(struct vm_map *map, struct vm_map_entry *e, vaddr_t addr)
{
	if (addr < vm_entry_end(e))
		map_clip(map, e, addr);
}

/* Takes E out of the map and frees it; its backing must be released. */
static void map_entry_free(struct vm_map *map, struct vm_map_entry *e)
{
	VM_ASSERT(vm_amap_empty(&e->amap));
	if (map->hint == e)
		map->hint = NULL;
	map_tree_remove(&map->tree, &e->node);
	if (e->object != NULL) {
		vm_object_unlink(e->object, e);
		vm_object_unref(e->object);
	}
	vm_kmem_free(&vm_map_entry_cache, e);
}

void vm_map_entry_delete(struct vm_map *map, struct vm_map_entry *e)
{
	enum vm_err err;

	pmap_remove(map->pmap, vm_entry_start(e), vm_entry_end(e));
	vm_amap_release(&e->amap);
	if (e->object != NULL) {
		err = vm_object_release_range(e->object, e, e->offset, vm_entry_pages(e));
		VM_ASSERT(err == VM_OK);
	}
	map_entry_free(map, e);
}

/* B directly follows A and is mergeable with it: A absorbs B. */
static void map_merge_pair(struct vm_map *map, struct vm_map_entry *a, struct vm_map_entry *b)
{
	vaddr_t end = vm_entry_end(b);
	enum vm_err err = vm_amap_join(&a->amap, &b->amap);

	VM_ASSERT(err == VM_OK);
	map_entry_free(map, b);
	map_tree_set_bounds(&map->tree, &a->node, vm_entry_start(a), end);
	map->merges++;
}

void vm_map_merge_range(struct vm_map *map, vaddr_t start, vaddr_t end)
{
	struct vm_map_entry *e = vm_map_lookup_ge(map, start), *next;

	if (e == NULL)
		e = vm_entry_of(map_tree_last(&map->tree));
	else if (vm_map_prev(e) != NULL)
		e = vm_map_prev(e);
	/* Every adjacent pair whose left member starts below END, merging
	 * again after each merge, since the grown entry may now fit its next. */
	while (e != NULL && vm_entry_start(e) < end) {
		next = vm_map_next(e);
		if (next != NULL && vm_map_entry_mergeable(e, next))
			map_merge_pair(map, e, next);
		else
			e = next;
	}
}

bool vm_map_iterate(const struct vm_map *map, vaddr_t *cursor, struct vm_map_info *info)
{
	struct vm_map_entry *e = vm_map_lookup_ge(map, *cursor);

	if (e == NULL)
		return false;
	info->start = vm_entry_start(e);
	info->end = vm_entry_end(e);
	info->prot = e->prot;
	info->shared = vm_entry_shared(e);
	info->dontfork = e->inherit == VM_INHERIT_NONE;
	info->object = e->object;
	info->file = false;
	info->offset = e->offset;
	*cursor = vm_entry_end(e);
	return true;
}

uint64_t vm_map_entry_count(const struct vm_map *map)
{
	return map->tree.count;
}

struct pmap *vm_map_pmap(const struct vm_map *map)
{
	return map->pmap;
}

void vm_map_activate(struct vm_map *map)
{
	map->last_active = port_time_ns();
	pmap_activate(map->pmap);
}

static bool count_anon(void *arg, uint64_t vpn, struct vm_anon *an, bool shared)
{
	uint64_t *n = arg;

	(void)vpn;
	(void)shared;
	(void)an;
	(*n)++;
	return true;
}

/*
 * What the OOM killer weighs: the anons the map reaches (its private pages,
 * and the shared pages it maps, as Linux's RSS-plus-swap counts them), and
 * its page tables and pv chunks.
 */
uint64_t vm_map_footprint(const struct vm_map *map)
{
	struct pmap_stats ps;
	uint64_t n = 0;

	for (const struct vm_map_entry *e = vm_map_first(map); e != NULL; e = vm_map_next(e)) {
		if (vm_entry_shared(e))
			vm_amap_foreach(&e->object->anons, e->offset, e->offset + vm_entry_pages(e),
					count_anon, &n);
		else
			vm_amap_foreach(&e->amap, vm_atop(vm_entry_start(e)), vm_atop(vm_entry_end(e)),
					count_anon, &n);
	}
	pmap_get_stats(map->pmap, &ps);
	return n + ps.ptp + ps.pv_pages;
}
