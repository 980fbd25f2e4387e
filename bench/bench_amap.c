/*
 * bench_amap.c - what the amap (persistent radix tree of anons) costs, in
 * time and in metadata.  Prints figures; never fails on time.
 *
 * The core is booted bare (frames, anon and node caches) over host RAM:
 * no processes, no pmap, so each figure is the amap's own work.  Anons
 * have no page here; only their 16 bytes matter to the tree.
 *
 * Figures:
 *   lookup            ns per vm_amap_lookup of a populated key taken in
 *                     random order, in trees of height 1 to 6 (4096 keys
 *                     spread over the height's whole block; the tree stays
 *                     in the host's caches, so this is the walk itself)
 *   prepare+set       a fresh slot: sequential keys (mostly in an
 *                     existing leaf) and sparse keys (a new path each)
 *   share             vm_amap_share of a 65536-page amap (fork), with the
 *                     release of that reference
 *   first write       vm_amap_prepare of one key after a share: the path
 *                     copy (3 nodes of 64 slots, each child's count raised)
 *   split / join      of a fully populated 65536-page amap at a 4096-aligned,
 *                     a 64-aligned and an unaligned seam
 *   bytes per slot    node frames / populated slots, 7 nodes per frame,
 *                     dense and one page in 512
 * Each timing is the best of a few rounds.
 */
#include <inttypes.h>

#include "bench_common.h"
#include "mvm/vm_kmem.h"
#include "vm/amap.h"
#include "vm/anon.h"

#define RAM_FRAMES 32768u /* 128 MiB */
#define DENSE 65536u      /* pages in the dense amap */

static void boot(void)
{
	static uint8_t *ram;

	if (ram == NULL) {
		ram = aligned_alloc(VM_PAGE_SIZE, (size_t)RAM_FRAMES * VM_PAGE_SIZE);
		if (ram == NULL)
			bench_die("cannot allocate the simulated RAM");
		bench_populate(ram, (uint64_t)RAM_FRAMES * VM_PAGE_SIZE);
	}
	if (vm_page_boot(ram, RAM_FRAMES) != VM_OK)
		bench_die("vm_page_boot failed");
	vm_anon_init();
	vm_amap_init();
}

/* Stores a new anon at KEY. */
static void put(struct vm_amap *am, uint64_t key)
{
	struct vm_anon *an, *old;

	if (vm_amap_prepare(am, key) != VM_OK || (an = vm_anon_alloc()) == NULL)
		bench_die("out of memory building an amap");
	old = vm_amap_set(am, key, an);
	if (old != NULL)
		vm_anon_unref(old);
}

static void fill_dense(struct vm_amap *am, uint64_t n)
{
	for (uint64_t k = 0; k < n; k++)
		put(am, k);
}

static volatile uintptr_t sink;

/* ---------------------------------------------------------------- */

static void bench_lookup(void)
{
	uint64_t nkeys = bench_quick() ? 256 : 4096; /* a power of two */
	uint64_t nlookups = bench_quick() ? 20000 : 4000000;
	uint64_t *keys = malloc(nkeys * sizeof(*keys));

	if (keys == NULL)
		bench_die("malloc");
	for (unsigned h = 1; h <= AMAP_MAX_HEIGHT; h++) {
		uint64_t span = (uint64_t)1 << (6 * h);
		struct vm_amap am = {0};
		double best = -1;

		boot();
		for (uint64_t i = 0; i < nkeys; i++) {
			keys[i] = i == 0 ? 0 : i == 1 ? span - 1 : rng() % span;
			if (h == 1)
				keys[i] = i % 64;
			put(&am, keys[i]);
		}
		if (am.height != h)
			bench_die("lookup tree has height %u, wanted %u", am.height, h);
		for (uint64_t i = nkeys - 1; i > 0; i--) { /* random order */
			uint64_t j = rng() % (i + 1), t = keys[i];

			keys[i] = keys[j];
			keys[j] = t;
		}
		for (int r = 0; r < bench_reps(5); r++) {
			double t0 = bench_now_ns();
			uintptr_t acc = 0;

			for (uint64_t i = 0; i < nlookups; i++)
				acc += (uintptr_t)vm_amap_lookup(&am, keys[i & (nkeys - 1)], NULL);
			sink = acc;
			bench_keep_min(&best, (bench_now_ns() - t0) / (double)nlookups);
		}
		bench_label("amap lookup, random populated key, height %u (%" PRIu64 " keys)", h,
			    h == 1 ? 64 : nkeys);
		bench_figure(best, "ns", 0, NULL, "O(height), no allocation");
		vm_amap_release(&am);
	}
	free(keys);
}

static void bench_prepare_set(void)
{
	uint64_t n = bench_quick() ? 2000 : DENSE;
	double seq = -1, sparse = -1;

	for (int r = 0; r < bench_reps(5); r++) {
		struct vm_amap am = {0};
		double t0;

		boot();
		t0 = bench_now_ns();
		fill_dense(&am, n);
		bench_keep_min(&seq, (bench_now_ns() - t0) / (double)n);
		vm_amap_release(&am);
		t0 = bench_now_ns();
		for (uint64_t k = 0; k < n / 4; k++)
			put(&am, k * 4096 + 17); /* one key per level-2 block: a new path each */
		bench_keep_min(&sparse, (bench_now_ns() - t0) / (double)(n / 4));
		vm_amap_release(&am);
	}
	bench_label("amap prepare+set of a fresh slot, sequential keys (a new leaf every 64)");
	bench_figure(seq, "ns", 0, NULL, "none");
	bench_label("amap prepare+set of a fresh slot, one key per 4096 (new leaf and level-2 node)");
	bench_figure(sparse, "ns", 0, NULL, "none");
}

static void bench_share_and_first_write(void)
{
	uint64_t n = bench_quick() ? 4096 : DENSE, iters = bench_quick() ? 1000 : 200000;
	struct vm_amap a = {0};
	double share = -1, first = -1, second = -1;

	boot();
	fill_dense(&a, n);
	for (int r = 0; r < bench_reps(5); r++) {
		double t0 = bench_now_ns(), t_first = 0, t_second = 0;

		for (uint64_t i = 0; i < iters; i++) {
			struct vm_amap b = {0};

			vm_amap_share(&a, &b);
			vm_amap_release(&b);
		}
		bench_keep_min(&share, (bench_now_ns() - t0) / (double)iters);
		for (uint64_t i = 0; i < iters / 10; i++) {
			struct vm_amap b = {0};
			uint64_t key = (i * 7919) % n;
			double t1;

			vm_amap_share(&a, &b);
			t1 = bench_now_ns();
			if (vm_amap_prepare(&b, key) != VM_OK)
				bench_die("prepare failed");
			t_first += bench_now_ns() - t1;
			t1 = bench_now_ns();
			if (vm_amap_prepare(&b, key ^ 1) != VM_OK)
				bench_die("prepare failed");
			t_second += bench_now_ns() - t1;
			vm_amap_release(&b);
		}
		bench_keep_min(&first, t_first / (double)(iters / 10));
		bench_keep_min(&second, t_second / (double)(iters / 10));
	}
	bench_label("amap share (fork) of a %" PRIu64 "-page amap, plus releasing that reference", n);
	bench_figure(share, "ns", 0, NULL, "O(1)");
	bench_label("first write after share: prepare copies the path (height %u, 64 refs per node)",
		    a.height);
	bench_figure(first, "ns", 0, NULL, "none");
	bench_label("second write in the same leaf after the path copy: prepare copies nothing");
	bench_figure(second, "ns", 0, NULL, "none");
	vm_amap_release(&a);
}

static void bench_split_join(void)
{
	static const struct {
		const char *what;
		uint64_t off;
	} seams[] = {
		{"a 4096-aligned", 0}, {"a 64-aligned", 64 * 7}, {"an unaligned", 64 * 7 + 13},
	};
	uint64_t n = bench_quick() ? 8192 : DENSE, iters = bench_quick() ? 200 : 20000;
	struct vm_amap a = {0};

	boot();
	fill_dense(&a, n);
	for (size_t s = 0; s < sizeof(seams) / sizeof(seams[0]); s++) {
		uint64_t at = n / 2 + seams[s].off;
		double split = -1, join = -1;

		for (int r = 0; r < bench_reps(5); r++) {
			double t_split = 0, t_join = 0;

			for (uint64_t i = 0; i < iters; i++) {
				struct vm_amap right = {0};
				double t0 = bench_now_ns(), t1;

				if (vm_amap_split(&a, at, &right) != VM_OK)
					bench_die("split failed");
				t1 = bench_now_ns();
				if (vm_amap_join(&a, &right) != VM_OK)
					bench_die("join failed");
				t_split += t1 - t0;
				t_join += bench_now_ns() - t1;
			}
			bench_keep_min(&split, t_split / (double)iters);
			bench_keep_min(&join, t_join / (double)iters);
		}
		bench_label("amap split of a full %" PRIu64 "-page amap at %s seam (nodes taken: %" PRIu64
			    ")", n, seams[s].what, vm_amap_split_cost_at(&a, at));
		bench_figure(split, "ns", 0, NULL, "O(64 x height)");
		bench_label("amap join of the two halves back at %s seam", seams[s].what);
		bench_figure(join, "ns", 0, NULL, "O(64 x height)");
	}
	vm_amap_release(&a);
}

/* Node frames (7 nodes each) per populated slot, in bytes. */
static double bytes_per_slot(uint64_t nodes, uint64_t slots)
{
	uint64_t per_frame = VM_PAGE_SIZE / sizeof(struct amap_node);

	return (double)((nodes + per_frame - 1) / per_frame * VM_PAGE_SIZE) / (double)slots;
}

static void bench_metadata(void)
{
	uint64_t n = bench_quick() ? 4096 : DENSE;
	struct vm_amap am = {0};

	boot();
	fill_dense(&am, n);
	bench_label("amap metadata per populated slot, dense %" PRIu64 " pages (%" PRIu64
		    " nodes of %zu bytes, 7 per frame; the anon's own 16 bytes not counted)",
		    n, vm_amap_node_cache.inuse, sizeof(struct amap_node));
	bench_figure(bytes_per_slot(vm_amap_node_cache.inuse, n), "bytes", 0, NULL, "<= 16");
	vm_amap_release(&am);
	for (uint64_t k = 0; k < n; k++)
		put(&am, k * 512);
	bench_label("amap metadata per populated slot, one page in 512 (%" PRIu64 " pages)", n);
	bench_figure(bytes_per_slot(vm_amap_node_cache.inuse, n), "bytes", 0, NULL, "none");
	vm_amap_release(&am);
	if (vm_amap_node_cache.inuse != 0 || vm_anon_cache.inuse != 0)
		bench_die("nodes or anons left after release");
}

int main(void)
{
	rng_state = 42;
	bench_lookup();
	bench_prepare_set();
	bench_share_and_first_write();
	bench_split_join();
	bench_metadata();
	return 0;
}
