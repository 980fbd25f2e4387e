/*
 * check.c - the consistency checker: DESIGN.md's invariants, proved.
 *
 * It walks everything from the roots (processes -> maps -> entries ->
 * amaps and objects -> nodes -> anons -> frames; maps -> pmaps -> page
 * tables -> PTEs) and recounts what the core claims:
 *
 *   1 exactness   every frame's use is accounted for: the per-use counters
 *                 equal a scan of all frames, every anon frame belongs to
 *                 an anon some entry reaches, every slab object in use is
 *                 an entry, node, anon, object, map or pmap that is
 *                 reachable, no empty slab or empty table page is held;
 *                 every swap slot in use belongs to exactly one reachable
 *                 anon, and the allocator's count is the number found
 *   2 counts      every node's and anon's reference count equals the
 *                 references found; every table page's count equals its
 *                 valid entries (pmap_verify); objects' counts equal their
 *                 mappings
 *   3 pmap        every valid PTE maps the page the VM gives for that
 *                 address, with no more permission than the entry allows
 *                 and never write on a page still shared copy-on-write
 *                 (the host checks its TLB: src/sim/check_sim.c)
 *   4 no chains   by construction (amap height <= 6); verify_amap checks
 *                 the structure
 *   5 few entries sorted, disjoint, and no adjacent pair mergeable
 *
 * The checker is slow on purpose (hash maps of everything) and shares no
 * bookkeeping with the core, so a counter that drifts cannot hide itself.
 * It is freestanding, like the core: any host can run it (include/mvm/
 * check.h), and reasons are formatted by vm_whyf (%s, %u, %x of uint64_t).
 */
#include <stdarg.h>

#include "check_hash.h"
#include "mvm/check.h"
#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"
#include "mvm/why.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/file.h"
#include "vm/object.h"
#include "vm/pagetree.h"
#include "vm/swap.h"

struct checker {
	char *why;
	size_t whylen;
	bool ok;
	struct check_hash node_refs;  /* amap node -> parents found */
	struct check_hash anon_refs;  /* anon -> leaves found */
	struct check_hash objects;    /* object -> entries found */
	struct check_hash slot_owners;/* swap slot + 1 -> anons owning it */
	uint64_t slots;               /* swap slots reachable anons own */
	uint64_t file_pages, file_nodes, file_dirty;
	uint64_t entries, maps, ptp, pv_pages;
	struct vm_map *map;           /* the map whose PTEs are being checked */
};

static void fail(struct checker *c, const char *fmt, ...)
{
	va_list ap;

	if (!c->ok)
		return;
	c->ok = false;
	va_start(ap, fmt);
	vm_vwhyf(c->why, c->whylen, fmt, ap);
	va_end(ap);
}

static uint64_t count_of(const struct check_hash *h)
{
	return h->used;
}

static uint64_t key_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

/* 1. Frames: counters against a scan. */
static void check_frames(struct checker *c)
{
	uint64_t seen[VM_PAGE_USE_COUNT] = {0}, total = 0;

	for (uint64_t f = 0; f < vm_phys.nframes; f++) {
		const struct vm_page *pg = vm_page_at(f);

		if (pg->use >= VM_PAGE_USE_COUNT) {
			fail(c, "frame %u has no valid use", f);
			return;
		}
		seen[pg->use]++;
		if ((pg->use == VM_PAGE_FREE) != (pg->queue == VM_PQ_FREE))
			fail(c, "frame %u use %u on queue %u", f, (uint64_t)pg->use, (uint64_t)pg->queue);
		if (pg->use == VM_PAGE_KMEM && pg->aux == 0)
			fail(c, "frame %u is an empty slab of %s", f, pg->owner.cache->name);
	}
	for (int u = 0; u < VM_PAGE_USE_COUNT; u++) {
		total += vm_phys.by_use[u];
		if (seen[u] != vm_phys.by_use[u])
			fail(c, "%u frames of use %u counted as %u", seen[u], (uint64_t)u,
			     vm_phys.by_use[u]);
	}
	if (total != vm_phys.nframes || vm_phys.q[VM_PQ_FREE].count != seen[VM_PAGE_FREE])
		fail(c, "frame totals disagree: %u of %u, free queue %u",
		     total, vm_phys.nframes, vm_phys.q[VM_PQ_FREE].count);
}

/* 1. Slab caches: no reservation outlives its operation, frames add up. */
static void check_caches(struct checker *c)
{
	uint64_t slabs = 0;

	for (const struct vm_kmem_cache *k = vm_kmem_caches; k != NULL; k = k->next) {
		slabs += k->nslabs;
		if (k->reserved != 0 || k->empty.count != 0)
			fail(c, "cache %s holds a reservation (%u) or empty slabs (%u)",
			     k->name, k->reserved, k->empty.count);
		if (k->nfree + k->inuse != k->nslabs * k->per_slab)
			fail(c, "cache %s: %u free + %u in use != %u slots",
			     k->name, k->nfree, k->inuse, k->nslabs * k->per_slab);
	}
	if (slabs != vm_phys.by_use[VM_PAGE_KMEM])
		fail(c, "%u slab frames, but %u frames of core metadata", slabs,
		     vm_phys.by_use[VM_PAGE_KMEM]);
}

/* 2. Reference counting: each node is descended into once, so each
 * parent pointer and each leaf slot is counted exactly once. */
static bool count_node(void *arg, const struct amap_node *node, unsigned level, uint64_t first)
{
	struct checker *c = arg;
	uint64_t *refs = check_hash_insert(&c->node_refs, key_of(node));

	(void)first;
	if (++*refs > 1)
		return false;
	if (level == 1)
		for (unsigned i = 0; i < AMAP_FANOUT; i++)
			if (node->slot[i] != NULL)
				(*check_hash_insert(&c->anon_refs, key_of(node->slot[i])))++;
	return true;
}

static void count_amap(struct checker *c, const struct vm_amap *am)
{
	if (!vm_amap_empty(am))
		vm_amap_walk_nodes(am, count_node, c);
}

/* 3. One valid PTE against what the VM would map there. */
static const struct vm_page *expected_page(struct vm_map_entry *e, vaddr_t va, bool *may_write)
{
	struct vm_anon *an;
	bool shared = false;
	const struct vm_page *fpg;

	if (e->object != NULL && vm_object_is_file(e->object)) {
		an = vm_entry_shared(e) ? NULL : vm_amap_lookup(&e->amap, vm_atop(va), &shared);
		if (an == NULL) {
			/* The file's own page: writable only through a shared
			 * mapping, once it has been counted dirty, and never while
			 * it is being written back. */
			fpg = vm_pagetree_lookup(&e->object->pages, vm_entry_pindex(e, va));
			*may_write = vm_entry_shared(e) && fpg != NULL &&
				     !(fpg->flags & (VM_PG_CLEAN | VM_PG_BUSY));
			return fpg;
		}
		*may_write = !shared && an->ref == 1;
	} else if (vm_entry_shared(e)) {
		an = vm_amap_lookup(&e->object->anons, vm_entry_pindex(e, va), NULL);
		*may_write = true;
	} else {
		an = vm_amap_lookup(&e->amap, vm_atop(va), &shared);
		*may_write = an != NULL && !shared && an->ref == 1;
	}
	if (an == NULL)
		return vm_entry_shared(e) ? NULL : vm_phys.zero_page;
	/* A page whose swap copy is still good must fault on its first write. */
	if (an->page != NULL && (an->page->flags & VM_PG_CLEAN))
		*may_write = false;
	return an->page;
}

static void check_pte(void *arg, vaddr_t va, pt_entry_t pte)
{
	struct checker *c = arg;
	struct vm_map_entry *e = vm_map_lookup(c->map, va);
	const struct vm_page *want;
	bool may_write;

	if (e == NULL || e->prot == VM_PROT_NONE) {
		fail(c, "PTE at %x where nothing is accessible", va);
		return;
	}
	want = expected_page(e, va, &may_write);
	if (want == NULL || (pte & PTE_FRAME) != vm_page_pa(want))
		fail(c, "PTE at %x maps frame %x, the VM gives another page",
		     va, (uint64_t)((pte & PTE_FRAME) >> VM_PAGE_SHIFT));
	if ((pte & PTE_W) && (!(e->prot & VM_PROT_WRITE) || !may_write))
		fail(c, "PTE at %x is writable but the page is read-only or shared copy-on-write",
		     va);
	if (!(pte & PTE_NX) && !(e->prot & VM_PROT_EXEC))
		fail(c, "PTE at %x is executable in a non-executable entry", va);
}

/* 5 and structure: one entry. */
static void check_entry(struct checker *c, struct vm_map *map, struct vm_map_entry *e)
{
	struct vm_map_entry *next = vm_map_next(e);
	char why[200];

	c->entries++;
	if (e->map != map || (e->prot & ~e->maxprot) || e->inherit > VM_INHERIT_NONE)
		fail(c, "entry %x: bad owner, protection or inheritance", vm_entry_start(e));
	if (vm_entry_shared(e) && (e->object == NULL || !vm_amap_empty(&e->amap)))
		fail(c, "shared entry %x without object or with an amap", vm_entry_start(e));
	if (!vm_amap_verify(&e->amap, vm_atop(vm_entry_start(e)), vm_atop(vm_entry_end(e)), why,
			    sizeof why))
		fail(c, "amap of entry %x: %s", vm_entry_start(e), why);
	if (next != NULL && vm_map_entry_mergeable(e, next))
		fail(c, "entries %x and %x could be one", vm_entry_start(e),
		     vm_entry_start(next));
	count_amap(c, &e->amap);
	if (e->object != NULL) {
		uint64_t *n = check_hash_insert(&c->objects, key_of(e->object));

		if ((*n)++ == 0)
			count_amap(c, &e->object->anons);
	}
}

static void check_map(struct checker *c, const struct vm_check_map *p)
{
	struct vm_map *map = p->map;
	struct pmap *pm = vm_map_pmap(map);
	struct pmap_stats ps;
	char why[200];

	c->maps++;
	if (!map_tree_verify(&map->tree, why, sizeof why))
		fail(c, "map of process %u: %s", p->id, why);
	for (struct vm_map_entry *e = vm_map_first(map); e != NULL; e = vm_map_next(e))
		check_entry(c, map, e);
	if (!pmap_verify(pm, why, sizeof why))
		fail(c, "pmap of process %u: %s", p->id, why);
	c->map = map;
	pmap_walk(pm, check_pte, c);
	pmap_get_stats(pm, &ps);
	c->ptp += ps.ptp;
	c->pv_pages += ps.pv_pages;
}

/* 1. An anon holds its data somewhere, and nobody else holds its slot. */
static void check_anon_data(struct checker *c, const struct vm_anon *an)
{
	const struct vm_page *pg = an->page;

	if (pg == NULL && an->swslot == VM_ANON_NOSLOT)
		fail(c, "an anon holds its data nowhere");
	if (pg != NULL && (pg->use != VM_PAGE_ANON || pg->owner.anon != an))
		fail(c, "anon's frame %u is not its own", vm_page_frame(pg));
	/* Every data frame is where the page daemon can find it, and a frame
	 * on the laundry queue is one being written. */
	if (pg != NULL && pg->queue != VM_PQ_ACTIVE && pg->queue != VM_PQ_INACTIVE &&
	    pg->queue != VM_PQ_LAUNDRY)
		fail(c, "anon frame %u is on no paging queue", vm_page_frame(pg));
	if (pg != NULL && pg->queue == VM_PQ_LAUNDRY &&
	    (!(pg->flags & VM_PG_BUSY) || an->swslot == VM_ANON_NOSLOT))
		fail(c, "anon frame %u is in the laundry but not being written",
		     vm_page_frame(pg));
	if (pg != NULL && (pg->flags & VM_PG_CLEAN) && an->swslot == VM_ANON_NOSLOT)
		fail(c, "frame %u is marked clean but has no swap copy", vm_page_frame(pg));
	if (an->swslot == VM_ANON_NOSLOT)
		return;
	c->slots++;
	if (!vm_swap_slot_inuse(an->swslot))
		fail(c, "anon owns swap slot %u, which the allocator calls free",
		     (uint64_t)an->swslot);
	if ((*check_hash_insert(&c->slot_owners, (uint64_t)an->swslot + 1))++ > 0)
		fail(c, "swap slot %u belongs to two anons", (uint64_t)an->swslot);
}

/* 1 and 2. A file's cache: every page is the object's, where its state
 * says it should be, inside the file; the dirty count is the dirty pages. */
static void check_file_pages(struct checker *c, const struct vm_object *obj)
{
	uint64_t key = 0, dirty = 0, nodes, last = (obj->size + VM_PAGE_MASK) >> VM_PAGE_SHIFT;
	const struct vm_page *pg;
	char why[200];

	if (!vm_pagetree_verify(&obj->pages, &nodes, why, sizeof why))
		fail(c, "page cache of object #%u: %s", obj->id, why);
	c->file_nodes += nodes;
	while ((pg = vm_pagetree_next(&obj->pages, key, &key)) != NULL) {
		bool busy = (pg->flags & VM_PG_BUSY) != 0, clean = (pg->flags & VM_PG_CLEAN) != 0;
		uint8_t want = busy ? pg->queue : clean ? VM_PQ_FILE : VM_PQ_DIRTY;

		c->file_pages++;
		dirty += !clean;
		if (pg->use != VM_PAGE_OBJECT || pg->owner.object != obj || pg->u.pindex != key)
			fail(c, "frame %u in object #%u's cache is not its page %u",
			     vm_page_frame(pg), obj->id, key);
		if (key >= last)
			fail(c, "object #%u caches page %u, past its end", obj->id, key);
		if (pg->queue != want || (busy && want != VM_PQ_FILE && want != VM_PQ_LAUNDRY))
			fail(c, "file frame %u (%s%s) is on queue %u", vm_page_frame(pg),
			     busy ? "busy " : "", clean ? "clean" : "dirty", (uint64_t)pg->queue);
		key++;
	}
	if (dirty != obj->ndirty)
		fail(c, "object #%u counts %u dirty pages, holds %u", obj->id,
		     obj->ndirty, dirty);
	c->file_dirty += dirty;
}

/* 2. An object: its count, its mapping list, its amap's shape.  A file's
 * count also holds the host's file table's reference. */
static void check_object(struct checker *c, const struct vm_object *obj, uint64_t entries)
{
	uint64_t listed = 0, refs = entries + (vm_object_is_file(obj) ? 1 : 0);
	char why[200];

	if (obj->ref != refs)
		fail(c, "object #%u mapped %u times has count %u", obj->id,
		     entries, (uint64_t)obj->ref);
	for (const struct vm_map_entry *m = obj->mappings; m != NULL && listed <= entries;
	     m = m->obj_next) {
		listed++;
		if (m->object != obj || (m->obj_next != NULL && m->obj_next->obj_prev != m))
			fail(c, "object #%u's mapping list is broken", obj->id);
		/* Releasing pages sweeps the list in this order (object.h). */
		else if (m->obj_next != NULL && m->obj_next->offset < m->offset)
			fail(c, "object #%u's mapping list is out of offset order", obj->id);
	}
	if (listed != entries)
		fail(c, "object #%u lists %u mappings, %u entries map it",
		     obj->id, listed, entries);
	if (!vm_amap_verify(&obj->anons, 0, obj->size, why, sizeof why))
		fail(c, "pages of object #%u: %s", obj->id, why);
}

/* 2. The counts found against the counts held. */
static void check_counts(struct checker *c)
{
	struct check_hash_slot *slot;
	size_t pos = 0;
	uint64_t resident = 0;

	while (check_hash_next(&c->node_refs, &pos, &slot)) {
		const struct amap_node *node = (const void *)(uintptr_t)slot->key;

		if (node->ref != slot->value)
			fail(c, "amap node with %u parents has count %u", slot->value,
			     (uint64_t)node->ref);
	}
	for (pos = 0; check_hash_next(&c->anon_refs, &pos, &slot);) {
		const struct vm_anon *an = (const void *)(uintptr_t)slot->key;

		if (an->ref != slot->value)
			fail(c, "anon in %u leaves has count %u", slot->value, (uint64_t)an->ref);
		check_anon_data(c, an);
		resident += an->page != NULL;
	}
	if (c->slots != vm_swap_inuse())
		fail(c, "swap: %u slots in use, but reachable anons own %u",
		     vm_swap_inuse(), c->slots);
	for (const struct vm_object *f = vm_files; f != NULL; f = f->file_next) {
		check_hash_insert(&c->objects, key_of(f));
		check_file_pages(c, f);
	}
	for (pos = 0; check_hash_next(&c->objects, &pos, &slot);)
		check_object(c, (const void *)(uintptr_t)slot->key, slot->value);
	if (c->file_pages != vm_phys.by_use[VM_PAGE_OBJECT] ||
	    c->file_nodes != vm_pagetree_node_cache.inuse || c->file_dirty != vm_file_stats.dirty)
		fail(c, "files: %u cached pages of %u file frames, %u"
			" tree nodes of %u, %u dirty of %u counted",
		     c->file_pages, vm_phys.by_use[VM_PAGE_OBJECT], c->file_nodes,
		     vm_pagetree_node_cache.inuse, c->file_dirty, vm_file_stats.dirty);
	if (count_of(&c->node_refs) != vm_amap_node_cache.inuse ||
	    count_of(&c->anon_refs) != vm_anon_cache.inuse ||
	    count_of(&c->objects) != vm_object_cache.inuse ||
	    c->entries != vm_map_entry_cache.inuse || c->maps != vm_map_cache.inuse)
		fail(c, "unreachable metadata held: nodes %u/%u, anons %u/%u"
			", objects %u/%u, entries %u/%u, maps %u/%u",
		     count_of(&c->node_refs), vm_amap_node_cache.inuse,
		     count_of(&c->anon_refs), vm_anon_cache.inuse,
		     count_of(&c->objects), vm_object_cache.inuse, c->entries,
		     vm_map_entry_cache.inuse, c->maps, vm_map_cache.inuse);
	if (resident != vm_phys.by_use[VM_PAGE_ANON])
		fail(c, "%u anon frames, but reachable anons hold %u",
		     vm_phys.by_use[VM_PAGE_ANON], resident);
	if (c->ptp != vm_phys.by_use[VM_PAGE_PTP] || c->pv_pages != vm_phys.by_use[VM_PAGE_PV])
		fail(c, "pmaps hold %u table and %u pv frames, frames say %u"
			" and %u",
		     c->ptp, c->pv_pages, vm_phys.by_use[VM_PAGE_PTP], vm_phys.by_use[VM_PAGE_PV]);
}

/* 3. pv lists of every mapped frame name live mappings only. */
static void check_pv_lists(struct checker *c)
{
	char why[200];

	for (uint64_t f = 0; f < vm_phys.nframes && c->ok; f++) {
		const struct vm_page *pg = vm_page_at(f);

		if ((pg->use == VM_PAGE_ANON || pg->use == VM_PAGE_OBJECT) &&
		    !pmap_verify_page(pg, why, sizeof why))
			fail(c, "frame %u: %s", f, why);
	}
}

/* With every process gone, only what files keep may be held: the page
 * cache, the file objects and their page-tree nodes. */
static void check_nothing_left(struct checker *c)
{
	uint64_t frames = vm_phys.by_use[VM_PAGE_ANON] + vm_phys.by_use[VM_PAGE_PTP] +
			  vm_phys.by_use[VM_PAGE_PV];
	uint64_t objects = vm_anon_cache.inuse + vm_amap_node_cache.inuse +
			   vm_map_entry_cache.inuse + vm_map_cache.inuse;

	if (frames != 0 || objects != 0)
		fail(c, "no process is left, yet %u anon, table and pv frames and %u"
			" anons, nodes, entries and maps are held",
		     frames, objects);
}

static bool out_of_scratch(const struct checker *c)
{
	return c->node_refs.out_of_memory || c->anon_refs.out_of_memory ||
	       c->objects.out_of_memory || c->slot_owners.out_of_memory;
}

bool vm_check(const struct vm_check_host *host, const struct vm_check_map *maps, size_t nmaps,
	      char *why, size_t whylen)
{
	struct checker c = {.why = why, .whylen = whylen, .ok = true};
	char pwhy[200];

	check_hash_init(&c.node_refs, host);
	check_hash_init(&c.anon_refs, host);
	check_hash_init(&c.objects, host);
	check_hash_init(&c.slot_owners, host);
	check_frames(&c);
	check_caches(&c);
	for (size_t i = 0; i < nmaps; i++)
		check_map(&c, &maps[i]);
	check_counts(&c);
	check_pv_lists(&c);
	if (!pmap_verify_global(pwhy, sizeof pwhy))
		fail(&c, "pmaps: %s", pwhy);
	if (nmaps == 0)
		check_nothing_left(&c);
	if (out_of_scratch(&c)) {
		c.ok = true;   /* what was found on a partial count means nothing */
		fail(&c, "the checker ran out of host memory");
	}
	check_hash_free(&c.node_refs);
	check_hash_free(&c.anon_refs);
	check_hash_free(&c.objects);
	check_hash_free(&c.slot_owners);
	return c.ok;
}
