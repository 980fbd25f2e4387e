/*
 * object.c - shared anonymous objects (see object.h).
 *
 * The object's pages are anons in an amap keyed by page index.  Nothing
 * else ever shares that amap's nodes, so changing it never copies a node:
 * releasing pages needs no memory, which is why a mapping can always go
 * away even when memory is exhausted.
 */
#include "object.h"

#include "file.h"
#include "map.h"
#include "mvm/vm_kmem.h"

struct vm_kmem_cache vm_object_cache;
static uint64_t vm_object_next_id;

void vm_object_init(void)
{
	vm_kmem_cache_init(&vm_object_cache, "object", sizeof(struct vm_object));
	vm_object_next_id = 1;
}

uint64_t vm_object_new_id(void)
{
	return vm_object_next_id++;
}

struct vm_object *vm_object_anon_create(uint64_t size)
{
	struct vm_object *obj = vm_kmem_alloc(&vm_object_cache);

	if (obj == NULL)
		return NULL;
	*obj = (struct vm_object){
		.ref = 1,
		.type = VM_OBJECT_ANON,
		.size = size,
		.id = vm_object_new_id(),
	};
	return obj;
}

void vm_object_ref(struct vm_object *obj)
{
	obj->ref++;
}

void vm_object_unref(struct vm_object *obj)
{
	VM_ASSERT(obj->ref > 0);
	if (--obj->ref > 0)
		return;
	VM_ASSERT(obj->mappings == NULL);
	if (vm_object_is_file(obj))
		vm_file_release(obj);
	vm_amap_release(&obj->anons);
	vm_kmem_free(&vm_object_cache, obj);
}

void vm_object_link(struct vm_object *obj, struct vm_map_entry *e)
{
	e->obj_prev = NULL;
	e->obj_next = obj->mappings;
	if (obj->mappings != NULL)
		obj->mappings->obj_prev = e;
	obj->mappings = e;
}

void vm_object_unlink(struct vm_object *obj, struct vm_map_entry *e)
{
	if (e->obj_prev != NULL)
		e->obj_prev->obj_next = e->obj_next;
	else
		obj->mappings = e->obj_next;
	if (e->obj_next != NULL)
		e->obj_next->obj_prev = e->obj_prev;
	e->obj_next = e->obj_prev = NULL;
}

/*
 * Frees the pages of [lo, hi) that no mapping from M onwards (other than
 * EXCEPT) covers: each covering mapping cuts the range in two and the
 * search goes on in both halves with the rest of the list.
 */
static void release_uncovered(struct vm_object *obj, const struct vm_map_entry *m,
			      const struct vm_map_entry *except, uint64_t lo, uint64_t hi)
{
	enum vm_err err;

	if (lo >= hi)
		return;
	for (; m != NULL; m = m->obj_next) {
		uint64_t mlo = m->offset, mhi = m->offset + vm_entry_pages(m);

		if (m == except || mhi <= lo || mlo >= hi)
			continue;
		release_uncovered(obj, m->obj_next, except, lo, mlo > lo ? mlo : lo);
		release_uncovered(obj, m->obj_next, except, mhi < hi ? mhi : hi, hi);
		return;
	}
	err = vm_amap_clear(&obj->anons, lo, hi);
	VM_ASSERT(err == VM_OK); /* exclusive nodes: clearing allocates nothing */
}

enum vm_err vm_object_release_range(struct vm_object *obj, const struct vm_map_entry *e,
				    uint64_t first, uint64_t n)
{
	/* A file's pages stay cached (its name reaches them); but when its
	 * last mapping goes, what the mappings wrote goes to the file now. */
	if (vm_object_is_file(obj)) {
		if (obj->mappings == e && e->obj_next == NULL)
			vm_file_unmapped(obj);
		return VM_OK;
	}
	release_uncovered(obj, obj->mappings, e, first, first + n);
	return VM_OK;
}

uint64_t vm_object_release_cost(const struct vm_object *obj)
{
	(void)obj;
	return 0;
}
