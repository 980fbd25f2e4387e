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

/*
 * Puts E after PREV (NULL: at the head).  The caller chose PREV so that the
 * list stays in offset order.
 */
static void link_after(struct vm_object *obj, struct vm_map_entry *prev, struct vm_map_entry *e)
{
	struct vm_map_entry *next = prev != NULL ? prev->obj_next : obj->mappings;

	e->obj_prev = prev;
	e->obj_next = next;
	if (next != NULL)
		next->obj_prev = e;
	if (prev != NULL)
		prev->obj_next = e;
	else
		obj->mappings = e;
}

/* The last mapping from PREV on whose offset is below E's: E goes after it.
 * Equal offsets stop the walk, so a fork's copy lands next to its parent. */
static struct vm_map_entry *insert_point(struct vm_map_entry *prev, const struct vm_map_entry *e)
{
	while (prev->obj_next != NULL && prev->obj_next->offset < e->offset)
		prev = prev->obj_next;
	return prev;
}

void vm_object_link(struct vm_object *obj, struct vm_map_entry *e)
{
	struct vm_map_entry *head = obj->mappings;

	if (head == NULL || head->offset >= e->offset)
		link_after(obj, NULL, e);
	else
		link_after(obj, insert_point(head, e), e);
}

void vm_object_link_near(struct vm_object *obj, struct vm_map_entry *near, struct vm_map_entry *e)
{
	VM_ASSERT(near->object == obj && near->offset <= e->offset);
	link_after(obj, insert_point(near, e), e);
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

/* Frees the object's pages in [lo, hi): nobody maps them any more. */
static void release_gap(struct vm_object *obj, uint64_t lo, uint64_t hi)
{
	enum vm_err err;

	if (lo >= hi)
		return;
	err = vm_amap_clear(&obj->anons, lo, hi);
	VM_ASSERT(err == VM_OK); /* exclusive nodes: clearing allocates nothing */
}

/*
 * One sweep over the mapping list in offset order, with CURSOR the first
 * page of [first, end) not yet known to be covered: a mapping that starts
 * past CURSOR leaves [cursor, its start) uncovered by every mapping (the
 * later ones start later still), and one that reaches past CURSOR moves
 * it.  The sweep stops once CURSOR reaches END, so it reads only the
 * mappings that start below END, and it needs no memory and no stack.
 */
enum vm_err vm_object_release_range(struct vm_object *obj, const struct vm_map_entry *e,
				    uint64_t first, uint64_t n)
{
	uint64_t cursor = first, end = first + n;

	/* A file's pages stay cached (its name reaches them); but when its
	 * last mapping goes, what the mappings wrote goes to the file now. */
	if (vm_object_is_file(obj)) {
		if (obj->mappings == e && e->obj_next == NULL)
			vm_file_unmapped(obj);
		return VM_OK;
	}
	for (const struct vm_map_entry *m = obj->mappings; m != NULL && cursor < end;
	     m = m->obj_next) {
		uint64_t mhi = m->offset + vm_entry_pages(m);

		if (m == e || mhi <= cursor)
			continue;
		release_gap(obj, cursor, m->offset < end ? m->offset : end);
		cursor = mhi;
	}
	release_gap(obj, cursor, end);
	return VM_OK;
}

uint64_t vm_object_release_cost(const struct vm_object *obj)
{
	(void)obj;
	return 0;
}
