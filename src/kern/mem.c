/*
 * mem.c - physical memory: the boot memory map, the kernel's own memory,
 * its half of the address space, and the page pool the core manages.
 *
 * qemu's PVH boot hands over struct hvm_start_info: the command line
 * (`mvm boot` passes ram=, v= and panic= there) and the E820-style memory
 * map.  Physical memory is then cut in three:
 *   - the kernel image at 16 MiB, followed by the kernel heap: page
 *     tables of the kernel's half, processes and their u-areas, and the
 *     checker's scratch (emptied after each check), none of it in the pool;
 *   - the page pool: `--ram` bytes of usable frames from 1 MiB upwards,
 *     handed to the core with vm_boot_mem.  The kernel and its heap sit
 *     inside the pool's span, so they (and any gap in the memory map) are
 *     holes: the core accepts a physical base and holes, as a PC needs;
 *   - everything else is unused.
 * The direct map (KERN_DMAP) covers all of RAM with 2 MiB pages so that
 * the core reaches every frame's bytes by one addition.
 */
#include "kern.h"
#include "x86.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"
#include "mvm/vm_page.h"

#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PAGE 4096ull
#define RAM_RANGES 32
#define POOL_HOLES 16
#define KPTE (PTE_P | PTE_W)

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define HVM_START_MAGIC 0x336ec578u
#define E820_RAM 1

struct range {
	uint64_t start, end;
};

struct kboot_args kargs = {.ram_bytes = 64 * MiB};
uint64_t kern_root_pa;
uint64_t *user_rt_pt;
uint64_t pool_pa_base, pool_pa_end;

static struct range ram[RAM_RANGES];
static int nram;
static uint64_t ram_top;
/* [heap_start, heap_end): general heap from below, scratch above it. */
static uint64_t heap_start, heap_next, heap_end;
static uint64_t scratch_start, scratch_next, scratch_end;

extern char _kernel_end[];
extern char user_blob_start[], user_blob_end[];

/* Early, memory below 1 GiB is reached through the kernel's own mapping. */
static void *low_phys(uint64_t pa)
{
	return (void *)(uintptr_t)(KERN_BASE + pa);
}

static uint64_t parse_u64(const char *s, const char **end)
{
	uint64_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	*end = s;
	return v;
}

static bool word_is(const char *s, const char *w)
{
	while (*w != '\0')
		if (*s++ != *w++)
			return false;
	return true;
}

/* "ram=BYTES v=LEVEL panic=OP stale_tlb=0|1" */
static void parse_cmdline(const char *s)
{
	while (*s != '\0') {
		const char *end = s;

		if (word_is(s, "ram="))
			kargs.ram_bytes = parse_u64(s + 4, &end);
		else if (word_is(s, "v="))
			kargs.verbose = (int)parse_u64(s + 2, &end);
		else if (word_is(s, "panic="))
			kargs.panic_at = parse_u64(s + 6, &end);
		else if (word_is(s, "stale_tlb="))
			kargs.stale_tlb = parse_u64(s + 10, &end) != 0;
		while (*end != '\0' && *end != ' ')
			end++;
		while (*end == ' ')
			end++;
		s = end;
	}
}

static void read_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e = low_phys(si->memmap_paddr);

	if (si->version < 1 || si->memmap_paddr == 0)
		KPANIC("the boot loader gave no memory map (PVH start_info version %u)",
		       si->version);
	for (uint32_t i = 0; i < si->memmap_entries && nram < RAM_RANGES; i++) {
		uint64_t start = (e[i].addr + PAGE - 1) & ~(PAGE - 1);
		uint64_t end = (e[i].addr + e[i].size) & ~(PAGE - 1);

		if (e[i].type != E820_RAM || end <= start)
			continue;
		ram[nram++] = (struct range){start, end};
		ram_top = end > ram_top ? end : ram_top;
		if (kargs.verbose)
			klog("memory: 0x%llx-0x%llx usable\n", (unsigned long long)start,
			     (unsigned long long)end);
	}
}

static bool ram_covers(uint64_t start, uint64_t end)
{
	for (int i = 0; i < nram; i++)
		if (ram[i].start <= start && end <= ram[i].end)
			return true;
	return false;
}

/* The heap follows the image: 16 MiB + RAM/16 for the kernel, and
 * 4 MiB + RAM/8 of checker scratch. */
static void heap_init(void)
{
	uint64_t general = 16 * MiB + kargs.ram_bytes / 16;
	uint64_t scratch = 4 * MiB + kargs.ram_bytes / 8;

	heap_start = heap_next = (kimage_to_phys(_kernel_end) + PAGE - 1) & ~(PAGE - 1);
	heap_end = scratch_start = scratch_next = heap_start + general;
	scratch_end = scratch_start + scratch;
	if (scratch_end > GiB || !ram_covers(heap_start, scratch_end))
		KPANIC("no room for the kernel heap at 0x%llx-0x%llx (qemu -m too small?)",
		       (unsigned long long)heap_start, (unsigned long long)scratch_end);
}

void *kalloc_pages(size_t n)
{
	uint64_t pa = heap_next;

	if (heap_end - heap_next < n * PAGE)
		return NULL;
	heap_next += n * PAGE;
	memset(low_phys(pa), 0, n * PAGE);
	return low_phys(pa);
}

/* Pages given back are kept for the next request of the same size: the
 * kernel's only frees are u-areas and process structures. */
struct free_run {
	struct free_run *next;
	size_t n;
};
static struct free_run *free_runs;

void kfree_pages(void *p, size_t n)
{
	struct free_run *r = p;

	r->n = n;
	r->next = free_runs;
	free_runs = r;
}

static void *reuse_pages(size_t n)
{
	for (struct free_run **rp = &free_runs; *rp != NULL; rp = &(*rp)->next) {
		struct free_run *r = *rp;

		if (r->n == n) {
			*rp = r->next;
			memset(r, 0, n * PAGE);
			return r;
		}
	}
	return NULL;
}

void *kalloc(size_t size)
{
	size_t n = (size + PAGE - 1) / PAGE;
	void *p = reuse_pages(n);

	return p != NULL ? p : kalloc_pages(n);
}

void *kscratch_alloc(size_t size)
{
	uint64_t pa = (scratch_next + 15) & ~15ull;

	if (pa + size > scratch_end)
		return NULL;
	scratch_next = pa + size;
	memset(low_phys(pa), 0, size);
	return low_phys(pa);
}

void kscratch_reset(void)
{
	scratch_next = scratch_start;
}

uint64_t kvirt_to_phys(const void *p)
{
	uint64_t va = (uint64_t)(uintptr_t)p;

	return va >= KERN_BASE ? va - KERN_BASE : va - KERN_DMAP;
}

uint64_t mem_kernel_bytes(void)
{
	return heap_next - heap_start;
}

static uint64_t *new_table(void)
{
	uint64_t *t = kalloc_pages(1);

	if (t == NULL)
		KPANIC("no memory for the kernel's page tables");
	return t;
}

/* All of RAM at KERN_DMAP, 2 MiB pages, never executable. */
static uint64_t build_direct_map(void)
{
	uint64_t *pdpt = new_table();

	for (uint64_t gib = 0; gib * GiB < ram_top; gib++) {
		uint64_t *pd = new_table();

		for (uint64_t i = 0; i < 512; i++)
			pd[i] = (gib * GiB + i * 2 * MiB) | KPTE | X86_PTE_PS | PTE_NX;
		pdpt[gib] = kvirt_to_phys(pd) | KPTE;
	}
	return kvirt_to_phys(pdpt) | KPTE;
}

/* The user program's text, read-only and executable, at USER_TEXT. */
static void map_user_text(uint64_t *pt)
{
	uint64_t pa = kimage_to_phys(user_blob_start);
	uint64_t pages = ((uint64_t)(user_blob_end - user_blob_start) + PAGE - 1) / PAGE;

	if ((pa & (PAGE - 1)) != 0 || pages * PAGE > USER_TEXT_MAX)
		KPANIC("the user program is misplaced or too big (%llu pages)",
		       (unsigned long long)pages);
	for (uint64_t i = 0; i < pages; i++)
		pt[i] = (pa + i * PAGE) | PTE_P | PTE_U;
}

/* KERN_BASE: the first GiB; USER_RT: the user runtime's table. */
static uint64_t build_kernel_slot(void)
{
	uint64_t *pdpt = new_table(), *pd = new_table(), *upd = new_table();

	user_rt_pt = new_table();
	for (uint64_t i = 0; i < 512; i++)
		pd[i] = (i * 2 * MiB) | KPTE | X86_PTE_PS;
	pdpt[510] = kvirt_to_phys(pd) | KPTE;
	map_user_text(user_rt_pt);
	upd[0] = kvirt_to_phys(user_rt_pt) | KPTE | PTE_U;
	pdpt[511] = kvirt_to_phys(upd) | KPTE | PTE_U;
	/* U here only opens the way: the image's 2 MiB pages have no U. */
	return kvirt_to_phys(pdpt) | KPTE | PTE_U;
}

void mem_init(uint64_t start_info_pa)
{
	const struct hvm_start_info *si = low_phys(start_info_pa);
	uint64_t *root;

	if (si->magic != HVM_START_MAGIC)
		KPANIC("not booted by a PVH loader (start_info magic 0x%x)", si->magic);
	if (si->cmdline_paddr != 0)
		parse_cmdline(low_phys(si->cmdline_paddr));
	read_memmap(si);
	heap_init();
	root = new_table();
	root[pt_index(KERN_DMAP, 4)] = build_direct_map();
	root[pt_index(KERN_BASE, 4)] = build_kernel_slot();
	kern_root_pa = kvirt_to_phys(root);
	write_cr3(kern_root_pa);
}

/* Usable frames from 1 MiB up, around the kernel and its heap. */
static int usable_ranges(struct range *out)
{
	int n = 0;

	for (int i = 0; i < nram; i++) {
		uint64_t s = ram[i].start < MiB ? MiB : ram[i].start, e = ram[i].end;

		if (s < KERN_PHYS && s < e)
			out[n++] = (struct range){s, e < KERN_PHYS ? e : KERN_PHYS};
		if (e > scratch_end)
			out[n++] = (struct range){s > scratch_end ? s : scratch_end, e};
	}
	return n;
}

void mem_boot_core(void)
{
	static struct range usable[RAM_RANGES * 2];
	static struct vm_phys_range holes[POOL_HOLES];
	int nusable = usable_ranges(usable), nholes = 0;
	uint64_t want = kargs.ram_bytes / PAGE, got = 0, end = 0;
	struct vm_boot_mem mem;

	for (int i = 0; i < nusable && got < want; i++) {
		uint64_t frames = (usable[i].end - usable[i].start) / PAGE;

		if (i > 0 && nholes < POOL_HOLES)
			holes[nholes++] = (struct vm_phys_range){end, usable[i].start};
		frames = frames < want - got ? frames : want - got;
		got += frames;
		end = usable[i].start + frames * PAGE;
	}
	if (got < want || nusable == 0)
		KPANIC("only %llu of the %llu frames asked for are free (qemu -m too small?)",
		       (unsigned long long)got, (unsigned long long)want);
	pool_pa_base = usable[0].start;
	pool_pa_end = end;
	mem = (struct vm_boot_mem){.ram = phys_to_virt(pool_pa_base), .pa_base = pool_pa_base,
				   .nframes = (end - pool_pa_base) / PAGE, .holes = holes,
				   .nholes = (size_t)nholes};
	if (vm_boot_mem(&mem) != VM_OK)
		KPANIC("the core refused the pool (%llu frames from 0x%llx)",
		       (unsigned long long)mem.nframes, (unsigned long long)pool_pa_base);
	pmap_share_kernel_half((const pt_entry_t *)phys_to_virt(kern_root_pa) + 256);
	if (kargs.verbose)
		klog("pool: %llu frames at 0x%llx-0x%llx, %d holes (%llu frames)\n",
		     (unsigned long long)mem.nframes, (unsigned long long)pool_pa_base,
		     (unsigned long long)end, nholes, (unsigned long long)vm_phys.nhole);
}
