/*
 * bench_map.c - address-map operations at 1,000 to 1,000,000 entries,
 * beside the host kernel doing the same at 10,000 and 60,000 mappings.
 *
 * The map: N pages, every other one made read-only, so every page is an
 * entry of its own (N entries; Linux keeps them as N VMAs as well).  At
 * each size, over K positions spread through the map (an odd page p,
 * read-only between two writable pages, all three touched first so that
 * amaps and page tables are real):
 *
 *   lookup   vm_map_lookup of a random address (the hint never helps):
 *            the AVL walk, O(log n)
 *   merge    mprotect(p, rw-): p joins both neighbours, 3 entries -> 1
 *   clip     mprotect(p, r--): the reverse, 1 entry -> 3
 *   insert   mmap(p, r-x) into the hole left by an (untimed) munmap of
 *            p: a new entry between two it cannot join
 * mvm's figures are the simulator's whole system call (sim_exec on a
 * parsed trace line: argument checks, reservation, clip, change, merge,
 * pmap), like the host's, which are real mprotect/mmap calls on a
 * process holding as many mappings.  Linux's default vm.max_map_count is
 * 65530, hence 60,000 as the largest host size.
 *
 * Batches of K operations are timed as a whole, best of 3.  The tree's
 * depth is printed with each size (AVL: at most 1.44 log2 n).  Metadata:
 * the entry's size and the slab bytes per entry, against the host's
 * vm_area_struct from /proc/slabinfo when it is readable.
 */
#include <inttypes.h>
#include <unistd.h>

#include "bench_common.h"
#include "mvm/vm.h"
#include "mvm/vm_kmem.h"
#include "vm/map.h"
#include "vm/vm_asan.h"

struct size_case {
	uint64_t n;      /* entries */
	bool host;       /* measure the host at this size too */
};

struct figures {
	double lookup, merge, clip, insert; /* ns/op */
	unsigned depth;
};

/* K odd pages p with 1 <= p <= n - 3, spread through the map. */
static uint64_t *positions(uint64_t n, uint64_t k)
{
	uint64_t *pos = malloc(k * sizeof *pos), slots = (n - 2) / 2;

	if (pos == NULL)
		bench_die("out of memory");
	for (uint64_t i = 0; i < k; i++)
		pos[i] = 1 + 2 * ((i * 7919 + 17) % slots);
	return pos;
}

static uint64_t batch_size(uint64_t n)
{
	uint64_t k = n / 8;

	return k < 2000 ? k : 2000;
}

/* ---- mvm ---- */

/* Runs pre-parsed OPS (which must print nothing); returns ns per op. */
static double sim_batch(struct sim *s, const struct trace_op *ops, uint64_t k)
{
	static struct trace_events out;
	struct sim_result res;
	double t0 = bench_now_ns();

	for (uint64_t i = 0; i < k; i++) {
		sim_exec(s, &ops[i], &out, &res);
		if (out.n != 0 || res.killed_self)
			bench_die("unexpected output from a map operation");
	}
	return (bench_now_ns() - t0) / (double)k;
}

static struct trace_op *parse_all(const uint64_t *pos, uint64_t k, const char *fmt)
{
	struct trace_op *ops = malloc(k * sizeof *ops);

	if (ops == NULL)
		bench_die("out of memory");
	for (uint64_t i = 0; i < k; i++)
		bench_parse(&ops[i], fmt, (unsigned long long)(BENCH_BASE + pos[i] * BENCH_PAGE));
	return ops;
}

static void sim_build(struct sim *s, uint64_t n, const uint64_t *pos, uint64_t k)
{
	bench_do(s, "1 spawn");
	bench_do(s, "1 mmap %#llx %#llx rw- private anon", (unsigned long long)BENCH_BASE,
		 (unsigned long long)(n * BENCH_PAGE));
	for (uint64_t p = 1; p < n; p += 2)
		bench_do(s, "1 mprotect %#llx 0x1000 r--", (unsigned long long)(BENCH_BASE + p * BENCH_PAGE));
	for (uint64_t i = 0; i < k; i++) {
		uint64_t a = BENCH_BASE + pos[i] * BENCH_PAGE;

		bench_do(s, "1 write %#llx 8 %llu", (unsigned long long)(a - BENCH_PAGE),
			 (unsigned long long)i);
		bench_do(s, "1 touch %#llx 1 r", (unsigned long long)a);
		bench_do(s, "1 write %#llx 8 %llu", (unsigned long long)(a + BENCH_PAGE),
			 (unsigned long long)i);
	}
}

static double sim_lookups(struct vm_map *map, uint64_t n)
{
	const uint64_t ops = bench_quick() ? 10000 : 1000000;
	double t0 = bench_now_ns();
	uint64_t acc = 0;

	for (uint64_t i = 0; i < ops; i++) {
		struct vm_map_entry *e = vm_map_lookup(map, BENCH_BASE + (rng() % n) * BENCH_PAGE + 5);

		acc += e != NULL ? vm_entry_start(e) : 0;
	}
	if (acc == 0)
		bench_die("lookups found nothing");
	return (bench_now_ns() - t0) / (double)ops;
}

static void sim_measure(uint64_t n, struct figures *f, uint64_t *slab_bytes)
{
	uint64_t k = batch_size(n), *pos = positions(n, k);
	uint64_t ram = (96ull << 20) + n * 256 + k * 6 * BENCH_PAGE;
	struct trace_op *merge = parse_all(pos, k, "1 mprotect %#llx 0x1000 rw-");
	struct trace_op *clip = parse_all(pos, k, "1 mprotect %#llx 0x1000 r--");
	struct trace_op *unmap = parse_all(pos, k, "1 munmap %#llx 0x1000");
	struct trace_op *insert = parse_all(pos, k, "1 mmap %#llx 0x1000 r-x private anon");
	struct trace_op *restore = parse_all(pos, k, "1 mmap %#llx 0x1000 r-- private anon");
	struct vm_map *map;
	uint8_t *ram_at;
	struct sim s;

	bench_boot(&s, ram);
	sim_build(&s, n, pos, k);
	map = sim_proc_find(&s, 1)->map;
	if (vm_map_entry_count(map) != n)
		bench_die("the map has %llu entries, not %llu",
			  (unsigned long long)vm_map_entry_count(map), (unsigned long long)n);
	*f = (struct figures){.lookup = -1, .merge = -1, .clip = -1, .insert = -1,
			      .depth = map_tree_depth(&map->tree)};
	for (int r = 0; r < bench_reps(3); r++) {
		bench_keep_min(&f->lookup, sim_lookups(map, n));
		bench_keep_min(&f->merge, sim_batch(&s, merge, k));
		bench_keep_min(&f->clip, sim_batch(&s, clip, k));
		sim_batch(&s, unmap, k);
		bench_keep_min(&f->insert, sim_batch(&s, insert, k));
		sim_batch(&s, restore, k);
		if (vm_map_entry_count(map) != n)
			bench_die("the map did not come back to %llu entries", (unsigned long long)n);
	}
	*slab_bytes = vm_kmem_cache_bytes(&vm_map_entry_cache);
	bench_note_reclaim();
	bench_check(&s);
	ram_at = s.ram;
	ram = s.ram_bytes;
	sim_shutdown(&s);
	/* sim_shutdown unmaps the RAM still poisoned for AddressSanitizer;
	 * the host peer's mappings may land there next. */
	VM_UNPOISON(ram_at, ram);
	free(merge);
	free(clip);
	free(unmap);
	free(insert);
	free(restore);
	free(pos);
}

/* ---- the host ---- */

static uint64_t host_count_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	uint64_t n = 0;
	int c;

	if (f == NULL)
		return 0;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

typedef int (*host_op_fn)(uint8_t *page);

static int host_rw(uint8_t *p)
{
	return mprotect(p, BENCH_PAGE, PROT_READ | PROT_WRITE);
}

static int host_ro(uint8_t *p)
{
	return mprotect(p, BENCH_PAGE, PROT_READ);
}

static int host_unmap(uint8_t *p)
{
	return munmap(p, BENCH_PAGE);
}

static int host_map(uint8_t *p, int prot)
{
	void *q = mmap(p, BENCH_PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	return q == (void *)p ? 0 : -1;
}

static int host_insert(uint8_t *p)
{
	return host_map(p, PROT_READ | PROT_EXEC);
}

static int host_restore(uint8_t *p)
{
	return host_map(p, PROT_READ);
}

static double host_batch(uint8_t *base, const uint64_t *pos, uint64_t k, host_op_fn fn)
{
	double t0 = bench_now_ns();

	for (uint64_t i = 0; i < k; i++)
		if (fn(base + pos[i] * BENCH_PAGE) != 0)
			bench_die("host map operation failed (vm.max_map_count?)");
	return (bench_now_ns() - t0) / (double)k;
}

/* False if the host cannot hold N more mappings. */
static bool host_measure(uint64_t n, struct figures *f)
{
	uint64_t k = batch_size(n), *pos = positions(n, k), before = host_count_maps();
	uint8_t *base;

	*f = (struct figures){.lookup = -1, .merge = -1, .clip = -1, .insert = -1};
	base = bench_host_map(n);
	for (uint64_t p = 1; p < n; p += 2)
		if (mprotect(base + p * BENCH_PAGE, BENCH_PAGE, PROT_READ) != 0) {
			bench_host_unmap(base, n);
			free(pos);
			return false;
		}
	for (uint64_t i = 0; i < k; i++) {
		base[(pos[i] - 1) * BENCH_PAGE] = 1;
		(void)((volatile uint8_t *)base)[pos[i] * BENCH_PAGE];
		base[(pos[i] + 1) * BENCH_PAGE] = 1;
	}
	if (host_count_maps() < before + n - 1)
		bench_die("the host merged the layout (%llu mappings)",
			  (unsigned long long)host_count_maps());
	for (int r = 0; r < bench_reps(3); r++) {
		bench_keep_min(&f->merge, host_batch(base, pos, k, host_rw));
		bench_keep_min(&f->clip, host_batch(base, pos, k, host_ro));
		host_batch(base, pos, k, host_unmap);
		bench_keep_min(&f->insert, host_batch(base, pos, k, host_insert));
		host_batch(base, pos, k, host_restore);
	}
	bench_host_unmap(base, n);
	free(pos);
	return true;
}

/* The host's vm_area_struct size from /proc/slabinfo, or 0. */
static double host_vma_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512];
	unsigned long active, total, size;
	double bytes = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof line, f) != NULL)
		if (sscanf(line, "vm_area_struct %lu %lu %lu", &active, &total, &size) == 3)
			bytes = (double)size;
	fclose(f);
	return bytes;
}

/* ---- the report ---- */

static void print_size(uint64_t n, const struct figures *m, const struct figures *h, bool host)
{
	char what[128];

	snprintf(what, sizeof what, "%" PRIu64 " entries, tree depth %u", n, m->depth);
	bench_label("lookup, random address, %s", what);
	bench_figure(m->lookup, "ns", 0, NULL, "O(log n)");
	bench_label("merge: mprotect rw- joining 3 entries into 1, %s%s", what,
		    host ? "; host: Linux with as many VMAs" : "");
	bench_figure(m->merge, "ns", host ? h->merge : 0, host ? "ns" : NULL, "O(log n)");
	bench_label("clip: mprotect r-- splitting 1 entry into 3, %s%s", what,
		    host ? "; host: Linux" : "");
	bench_figure(m->clip, "ns", host ? h->clip : 0, host ? "ns" : NULL, "O(log n)");
	bench_label("insert: mmap of a page in a hole between two entries, %s%s", what,
		    host ? "; host: Linux mmap MAP_FIXED" : "");
	bench_figure(m->insert, "ns", host ? h->insert : 0, host ? "ns" : NULL, "O(log n)");
}

int main(void)
{
	static const struct size_case full[] = {
		{1000, false}, {10000, true}, {60000, true}, {100000, false}, {1000000, false},
	};
	static const struct size_case quick[] = {{1000, false}, {4000, true}};
	const struct size_case *sizes = bench_quick() ? quick : full;
	size_t nsizes = bench_quick() ? sizeof quick / sizeof quick[0] : sizeof full / sizeof full[0];
	uint64_t slab = 0, last_n = 0;

	rng_state = 42;
	for (size_t i = 0; i < nsizes; i++) {
		struct figures m, h = {0};
		bool host = sizes[i].host;

		sim_measure(sizes[i].n, &m, &slab);
		if (host && !host_measure(sizes[i].n, &h)) {
			printf("# host: cannot hold %llu mappings here (vm.max_map_count)\n",
			       (unsigned long long)sizes[i].n);
			host = false;
		}
		print_size(sizes[i].n, &m, &h, host);
		last_n = sizes[i].n;
	}
	bench_label("metadata per map entry: sizeof(struct vm_map_entry); host: Linux's "
		    "vm_area_struct slab object (/proc/slabinfo)");
	bench_figure((double)sizeof(struct vm_map_entry), "bytes", host_vma_bytes(), "bytes",
		     "<= 184");
	bench_label("slab bytes per entry at %" PRIu64 " entries (frames of the entry cache / "
		    "entries)", last_n);
	bench_figure((double)slab / (double)last_n, "bytes", 0, NULL, "<= 184");
	return 0;
}
