/*
 * test_check.c - the consistency checker can fail.
 *
 * A checker that never complains proves nothing, and every other test
 * leans on this one.  Each case builds a machine whose state exercises
 * everything the checker walks (private pages shared copy-on-write by a
 * fork, shared memory, several entries, page tables in two processes, a
 * warm TLB), confirms that sim_check passes, breaks exactly one thing
 * behind the core's back, asserts that sim_check fails with a reason that
 * names what was broken, then repairs it and asserts that the checker
 * passes again (so the complaint came from the corruption, not from the
 * setup).
 */
#include "sim_helpers.h"
#include "mvm/pmap.h"
#include "pmap/pmap_impl.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/pagetree.h"

#define B 0x100000000000ull
#define PG 4096ull

static struct sim sim;

/*
 * Process 1: [0,8) private rw-, written, then forked (so shared
 * copy-on-write with process 2), [8,9) r--, [9,12) rw-, [16,20) shared
 * rw- written, and [24,28) private written and never touched after the
 * fork (its amap's root node is shared by both processes).  Process 2
 * has read page 0 (mapped read-only) and written page 1 (its own copy,
 * so its amap leaf for [0,8) is a copy and the anons of that leaf are
 * held by two leaves).  Process 1 runs last, having read pages 0-3 and
 * written page 10 (a writable TLB entry).
 */
static void build(void)
{
	static bool booted;

	if (booted)
		sim_shutdown(&sim);
	h_boot(&sim, 8u << 20);
	booted = true;
	h_run(&sim, "1 spawn\n"
		    "1 mmap 0x100000000000 0xc000 rw- private anon\n"
		    "1 mmap 0x100000010000 0x4000 rw- shared anon\n"
		    "1 mmap 0x100000018000 0x4000 rw- private anon\n"
		    "1 write 0x100000018000 0x4000 6\n"
		    "1 write 0x100000000000 0x8000 7\n"
		    "1 write 0x100000010000 0x4000 8\n"
		    "1 mprotect 0x100000008000 0x1000 r--\n"
		    "1 fork 2\n"
		    "2 read 0x100000000000 0x1000\n"
		    "2 write 0x100000001000 0x1000 9\n"
		    "1 read 0x100000000000 0x4000\n"
		    "1 write 0x10000000a000 0x10 3\n");
	CHECK(h_check(&sim));
}

static struct vm_map_entry *entry_at(uint64_t pid, uint64_t page)
{
	return vm_map_lookup(h_map(&sim, pid), B + page * PG);
}

static pt_entry_t *pte_slot(uint64_t pid, uint64_t page)
{
	pmap_path_t path;
	pt_entry_t *slot = pmap_pte_slot(vm_map_pmap(h_map(&sim, pid)), B + page * PG, path);

	CHECK(slot != NULL && (*slot & PTE_P));
	return slot;
}

TEST(the_setup_is_what_the_cases_assume)
{
	build();
	CHECK_EQ(vm_map_entry_count(h_map(&sim, 1)), 5);
	CHECK(*pte_slot(1, 0) & PTE_P);
	CHECK(!(*pte_slot(1, 0) & PTE_W));   /* copy-on-write after fork */
	CHECK(*pte_slot(1, 10) & PTE_W);
	CHECK(!(*pte_slot(2, 0) & PTE_W));
	CHECK_EQ(vm_amap_lookup(&entry_at(1, 0)->amap, vm_atop(B), NULL)->ref, 2);
	CHECK_EQ(vm_amap_lookup(&entry_at(1, 10)->amap, vm_atop(B + 10 * PG), NULL)->ref, 1);
	CHECK_EQ(entry_at(1, 0)->amap.root->ref, 1);
	CHECK_EQ(entry_at(1, 24)->amap.root->ref, 2);
}

TEST(an_anon_count_too_low)
{
	/* Page 2: two leaves (process 1's, process 2's copy) point at it. */
	struct vm_anon *an;

	build();
	an = vm_amap_lookup(&entry_at(1, 0)->amap, vm_atop(B + 2 * PG), NULL);
	CHECK_EQ(an->ref, 2);
	an->ref = 1;
	CHECK(h_check_fails_with(&sim, "anon in 2 leaves has count 1"));
	an->ref = 2;
	CHECK(h_check(&sim));
}

TEST(a_leaked_anon)
{
	struct vm_anon *an, *lost;

	build();
	/* An extra reference: the anon would never be freed.  (Page 25 is
	 * mapped read-only since the fork, so no PTE contradicts the count.) */
	an = vm_amap_lookup(&entry_at(1, 24)->amap, vm_atop(B + 25 * PG), NULL);
	an->ref++;
	CHECK(h_check_fails_with(&sim, "anon in 1 leaves has count 2"));
	an->ref--;
	CHECK(h_check(&sim));
	/* An anon nothing points at. */
	lost = vm_anon_alloc();
	CHECK(lost != NULL);
	CHECK(h_check_fails_with(&sim, "unreachable metadata held"));
	{
		char needle[64];

		snprintf(needle, sizeof needle, "anons %llu/%llu",
			 (unsigned long long)vm_anon_count() - 1, (unsigned long long)vm_anon_count());
		CHECK(h_check_fails_with(&sim, needle));
	}
	vm_anon_unref(lost);
	CHECK(h_check(&sim));
}

TEST(an_amap_node_count)
{
	struct amap_node *root;

	build();
	root = entry_at(1, 24)->amap.root;
	root->ref++;
	CHECK(h_check_fails_with(&sim, "amap node with 2 parents has count 3"));
	root->ref -= 2;
	CHECK(h_check_fails_with(&sim, "amap node with 2 parents has count 1"));
	root->ref++;
	CHECK(h_check(&sim));
}

TEST(a_pte_writable_on_a_copy_on_write_page)
{
	pt_entry_t *slot;

	build();
	slot = pte_slot(1, 2);
	*slot |= PTE_W;
	CHECK(h_check_fails_with(&sim, "PTE at 0x100000002000 is writable"));
	CHECK(h_check_fails_with(&sim, "shared copy-on-write"));
	*slot &= ~PTE_W;
	CHECK(h_check(&sim));
	/* W on a page of an r-- entry, exclusively held, is as wrong. */
	CHECK(strncmp(h_run(&sim, "1 read 0x100000008000 0x1"), "1 read ", 7) == 0);
	slot = pte_slot(1, 8);
	*slot |= PTE_W;
	CHECK(h_check_fails_with(&sim, "PTE at 0x100000008000 is writable"));
	*slot &= ~PTE_W;
	CHECK(h_check(&sim));
}

TEST(a_pte_pointing_at_the_wrong_frame)
{
	pt_entry_t *slot, saved;
	struct vm_anon *other;

	build();
	/* Process 1's page 3 (read-only, shared with process 2), re-aimed
	 * at the frame of the shared object's first page. */
	slot = pte_slot(1, 3);
	saved = *slot;
	other = vm_amap_lookup(&entry_at(1, 16)->object->anons, 0, NULL);
	*slot = (saved & ~PTE_FRAME) | vm_page_pa(other->page);
	CHECK(h_check_fails_with(&sim, "0x100000003000"));
	*slot = saved;
	CHECK(h_check(&sim));
	/* The same, done through the pmap so that its own books (pv lists,
	 * counts) stay right: only the comparison with the VM can tell. */
	{
		struct pmap *pm = vm_map_pmap(h_map(&sim, 1));
		struct vm_page *right =
			vm_amap_lookup(&entry_at(1, 0)->amap, vm_atop(B + 3 * PG), NULL)->page;

		CHECK_EQ(pmap_enter(pm, B + 3 * PG, other->page, VM_PROT_READ, 0), VM_OK);
		CHECK(h_check_fails_with(&sim, "PTE at 0x100000003000 maps frame"));
		CHECK(h_check_fails_with(&sim, "the VM gives another page"));
		CHECK_EQ(pmap_enter(pm, B + 3 * PG, right, VM_PROT_READ, 0), VM_OK);
		CHECK(h_check(&sim));
	}
	/* An unmanaged PTE (the zero page's kind) aimed at a frame with no
	 * pv bookkeeping to contradict it: only the VM comparison sees it. */
	CHECK_STR(h_run(&sim, "1 read 0x10000000b000 0x1"),
		  "1 read 0x10000000b000 0x1 af63bd4c8601b7df\n"); /* one zero byte */
	slot = pte_slot(1, 11);
	saved = *slot;
	CHECK_EQ(saved & PTE_FRAME, vm_page_pa(vm_phys.zero_page));
	*slot = (saved & ~PTE_FRAME) | vm_page_pa(vm_page_at(0)); /* a BOOT frame */
	CHECK(h_check_fails_with(&sim, "0x10000000b000"));
	*slot = saved;
	CHECK(h_check(&sim));
}

TEST(a_stale_tlb_entry)
{
	pt_entry_t *slot;

	build();
	/* Page 10 was just written: the TLB holds a writable translation.
	 * Take W away in the PTE without telling the TLB. */
	slot = pte_slot(1, 10);
	CHECK(*slot & PTE_D);
	*slot &= ~PTE_W;
	CHECK(h_check_fails_with(&sim, "TLB"));
	CHECK(h_check_fails_with(&sim, "writable but PTE lacks W or D"));
	*slot |= PTE_W;
	CHECK(h_check(&sim));
	/* A cleared accessed bit: the TLB may cache only what has A set. */
	slot = pte_slot(1, 0);
	*slot &= ~PTE_A;
	CHECK(h_check_fails_with(&sim, "cached but A is clear"));
	*slot |= PTE_A;
	CHECK(h_check(&sim));
}

TEST(an_empty_slab_kept)
{
	uint64_t slabs;

	build();
	slabs = vm_anon_cache.nslabs;
	/* A reservation larger than the free objects grows an empty slab. */
	CHECK_EQ(vm_kmem_reserve(&vm_anon_cache, vm_anon_cache.nfree + 1), VM_OK);
	CHECK_EQ(vm_anon_cache.nslabs, slabs + 1);
	CHECK(h_check_fails_with(&sim, "empty slab of anon"));
	vm_kmem_unreserve_all(&vm_anon_cache);
	CHECK(h_check(&sim));
	/* A reservation left held, even without an empty slab, is a leak too. */
	CHECK_EQ(vm_kmem_reserve(&vm_anon_cache, 1), VM_OK);
	CHECK(h_check_fails_with(&sim, "cache anon holds a reservation (1)"));
	vm_kmem_unreserve_all(&vm_anon_cache);
	CHECK(h_check(&sim));
}

TEST(two_adjacent_mergeable_entries)
{
	struct vm_map_entry *e;

	build();
	/* [8,9) is r-- between two rw- entries; make its field rw- directly. */
	e = entry_at(1, 8);
	CHECK_EQ(e->prot, VM_PROT_READ);
	e->prot = VM_PROT_READ | VM_PROT_WRITE;
	CHECK(h_check_fails_with(&sim, "entries 0x100000000000 and 0x100000008000 could be one"));
	e->prot = VM_PROT_READ;
	CHECK(h_check(&sim));
}

TEST(a_frame_counter_off_by_one)
{
	build();
	vm_phys.by_use[VM_PAGE_ANON]++;
	CHECK(h_check_fails_with(&sim, "frames of use 5 counted as"));
	vm_phys.by_use[VM_PAGE_ANON]--;
	CHECK(h_check(&sim));
	vm_phys.by_use[VM_PAGE_PTP]--;
	CHECK(h_check_fails_with(&sim, "frames of use 3 counted as"));
	vm_phys.by_use[VM_PAGE_PTP]++;
	CHECK(h_check(&sim));
}

TEST(an_object_count)
{
	struct vm_object *obj;

	build();
	obj = entry_at(1, 16)->object;
	CHECK_EQ(obj->ref, 2);
	obj->ref = 3;
	CHECK(h_check_fails_with(&sim, "mapped 2 times has count 3"));
	obj->ref = 2;
	CHECK(h_check(&sim));
}

/*
 * An object learns which of its pages nobody maps any more from its
 * mapping list (object.h): an entry missing from that list lets another
 * entry's munmap free pages the missing one still maps, and a later read
 * through it sees zeros.  So the list is part of what the checker must
 * hold to the truth, like the reference count beside it.
 */
TEST(an_object_mapping_list_missing_an_entry)
{
	struct vm_map_entry *e;
	struct vm_object *obj;

	build();
	e = entry_at(2, 16);
	obj = e->object;
	vm_object_unlink(obj, e);
	CHECK(h_check_fails_with(&sim, "object #1"));
	vm_object_link(obj, e);
	CHECK(h_check(&sim));
}

/*
 * Releasing an object's pages sweeps its mapping list in offset order
 * (object.h): a mapping out of place would let the sweep free pages it
 * still maps.  So the checker holds the list to that order.
 */
TEST(an_object_mapping_list_out_of_offset_order)
{
	struct vm_map_entry *e;
	struct vm_object *obj;

	build();
	h_run(&sim, "2 mprotect 0x100000012000 0x1000 r--\n"); /* offsets 0, 2, 3 */
	e = entry_at(2, 19);
	obj = e->object;
	CHECK_EQ(e->offset, 3);
	CHECK(h_check(&sim));
	vm_object_unlink(obj, e);
	e->obj_next = obj->mappings; /* at the head, before offset 0 */
	obj->mappings->obj_prev = e;
	obj->mappings = e;
	CHECK(h_check_fails_with(&sim, "out of offset order"));
	vm_object_unlink(obj, e);
	vm_object_link(obj, e);
	CHECK(h_check(&sim));
}

/* An object's pages live in an amap of its own: its shape must be checked
 * as every entry's amap is (vm_amap_verify), not only its counts. */
TEST(an_object_amap_with_a_bad_slot_count)
{
	struct amap_node *root;

	build();
	root = entry_at(1, 16)->object->anons.root;
	CHECK(root != NULL);
	root->count++;
	CHECK(h_check_fails_with(&sim, "object #1"));
	root->count--;
	CHECK(h_check(&sim));
	/* The same corruption in an entry's amap is caught. */
	root = entry_at(1, 24)->amap.root;
	root->count++;
	CHECK(h_check_fails_with(&sim, "amap of entry 0x100000018000"));
	root->count--;
	CHECK(h_check(&sim));
}

TEST(a_mapping_the_vm_does_not_know)
{
	struct vm_page *pg;

	build();
	/* A PTE in a hole of the map. */
	pg = vm_amap_lookup(&entry_at(1, 10)->amap, vm_atop(B + 10 * PG), NULL)->page;
	CHECK_EQ(pmap_enter(vm_map_pmap(h_map(&sim, 1)), B + 40 * PG, pg, VM_PROT_READ, 0), VM_OK);
	CHECK(h_check_fails_with(&sim, "PTE at 0x100000028000 where nothing is accessible"));
	pmap_remove(vm_map_pmap(h_map(&sim, 1)), B + 40 * PG, B + 41 * PG);
	CHECK(h_check(&sim));
}

TEST(a_table_page_count)
{
	pmap_path_t path;

	build();
	CHECK(pmap_pte_slot(vm_map_pmap(h_map(&sim, 2)), B, path) != NULL);
	path[1]->aux++;
	CHECK(h_check_fails_with(&sim, "pmap of process 2"));
	path[1]->aux--;
	CHECK(h_check(&sim));
}

/*
 * The same machine with a file: process 1 maps its pages 0-3 shared at
 * page 64 and has written page 0 (dirty, mapped writable) and read page 1
 * (clean, mapped read-only); page 5 is dirtied by pwrite and page 6 read
 * by pread, both mapped nowhere.  Returns the file's object.
 */
static struct vm_object *build_with_file(void)
{
	struct vm_object *obj;

	build();
	h_run(&sim, "file f 0x8000 1\n"
		    "1 mmap 0x100000040000 0x4000 rw- shared file f 0x0\n"
		    "1 write 0x100000040000 0x10 2\n"
		    "1 read 0x100000041000 0x1000\n"
		    "1 pwrite f 0x5000 0x10 3\n"
		    "1 pread f 0x6000 0x10\n");
	obj = entry_at(1, 64)->object;
	CHECK(obj != NULL && vm_object_is_file(obj));
	CHECK(h_check(&sim));
	return obj;
}

static struct vm_page *cached(struct vm_object *obj, uint64_t pindex)
{
	struct vm_page *pg = vm_pagetree_lookup(&obj->pages, pindex);

	CHECK(pg != NULL);
	return pg;
}

/* A cached page is found by its index in the tree, but pageout, writeback
 * and reclaim go from the frame to the file by the frame's own record of
 * its object and index: the two must agree. */
TEST(a_file_page_that_names_another_index_or_object)
{
	struct vm_object *obj = build_with_file();
	struct vm_page *pg = cached(obj, 6);
	struct vm_object *other = entry_at(1, 16)->object;

	pg->u.pindex = 7;
	CHECK(h_check_fails_with(&sim, "is not its page 6"));
	pg->u.pindex = 6;
	CHECK(h_check(&sim));
	pg->owner.object = other;
	CHECK(h_check_fails_with(&sim, "is not its page 6"));
	pg->owner.object = obj;
	CHECK(h_check(&sim));
}

/* Busy means a data_request is filling the page (on the file queue) or a
 * data_return carries it (in the laundry); a busy page anywhere else is
 * one no I/O will ever release. */
TEST(a_busy_file_page_on_the_dirty_queue)
{
	struct vm_object *obj = build_with_file();
	struct vm_page *pg = cached(obj, 5);

	CHECK_EQ(pg->queue, VM_PQ_DIRTY);
	pg->flags |= VM_PG_BUSY;
	CHECK(h_check_fails_with(&sim, "(busy dirty) is on queue"));
	pg->flags &= ~VM_PG_BUSY;
	CHECK(h_check(&sim));
}

/* A frame counted as file data that no file's cache holds is lost
 * memory, even with every other count right. */
TEST(a_file_frame_in_no_cache)
{
	struct vm_page *pg;

	build_with_file();
	pg = vm_page_alloc(VM_PAGE_OBJECT);
	CHECK(pg != NULL);
	CHECK(h_check_fails_with(&sim, "files: "));
	CHECK(h_check_fails_with(&sim, "cached pages of"));
	vm_page_free(pg);
	CHECK(h_check(&sim));
}

/* So is a page-tree node no file's tree holds. */
TEST(a_leaked_page_tree_node)
{
	void *node;

	build_with_file();
	node = vm_kmem_alloc(&vm_pagetree_node_cache);
	CHECK(node != NULL);
	CHECK(h_check_fails_with(&sim, "files: "));
	CHECK(h_check_fails_with(&sim, "tree nodes of"));
	vm_kmem_free(&vm_pagetree_node_cache, node);
	CHECK(h_check(&sim));
}

int main(void)
{
	RUN(the_setup_is_what_the_cases_assume);
	RUN(an_anon_count_too_low);
	RUN(a_leaked_anon);
	RUN(an_amap_node_count);
	RUN(a_pte_writable_on_a_copy_on_write_page);
	RUN(a_pte_pointing_at_the_wrong_frame);
	RUN(a_stale_tlb_entry);
	RUN(an_empty_slab_kept);
	RUN(two_adjacent_mergeable_entries);
	RUN(a_frame_counter_off_by_one);
	RUN(an_object_count);
	RUN(an_object_mapping_list_missing_an_entry);
	RUN(an_object_mapping_list_out_of_offset_order);
	RUN(an_object_amap_with_a_bad_slot_count);
	RUN(a_mapping_the_vm_does_not_know);
	RUN(a_table_page_count);
	RUN(a_file_page_that_names_another_index_or_object);
	RUN(a_busy_file_page_on_the_dirty_queue);
	RUN(a_file_frame_in_no_cache);
	RUN(a_leaked_page_tree_node);
	sim_shutdown(&sim);
	return check_done();
}
