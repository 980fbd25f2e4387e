/*
 * check_kern.c - the consistency checker, run inside the kernel.
 *
 * vm_check (src/check) proves the core's invariants over every live
 * process; its scratch tables come from the kernel's scratch region,
 * emptied after each check, never from the pool it checks.  Then the
 * kernel checks what only the hardware's view can show: each process's
 * page tables walked the way the MMU walks them (physical addresses
 * through the direct map, not the core's helpers), counted and compared
 * with the core's own figures (table pages, resident PTEs, the
 * translation pmap_extract gives for each), the kernel's half of every
 * root identical to the kernel's own, and CR3 holding the running
 * process's root.  Table pages freed by munmap must be gone from the
 * walk, not just from a counter.
 */
#include "proc.h"
#include "x86.h"
#include "mvm/check.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"
#include "mvm/vm_page.h"

static void scratch_free(void *p, size_t size)
{
	(void)p;
	(void)size;
}

static const struct vm_check_host kcheck_host = {kscratch_alloc, scratch_free};

struct walk {
	struct pmap *pm;
	uint64_t tables, leaves;
	char *why;
	size_t whylen;
	bool ok;
};

static bool walk_fail(struct walk *w, const char *fmt, unsigned long long a,
		      unsigned long long b)
{
	if (w->ok)
		ksnprintf(w->why, w->whylen, fmt, a, b);
	w->ok = false;
	return false;
}

static bool walk_leaf(struct walk *w, uint64_t va, uint64_t pte)
{
	paddr_t pa;
	vm_prot_t prot;

	w->leaves++;
	if (!pmap_extract(w->pm, va, &pa, &prot) || pa != (pte & PTE_FRAME))
		return walk_fail(w, "va 0x%llx: the MMU finds 0x%llx, the pmap disagrees", va,
				 pte & PTE_FRAME);
	if ((pte & PTE_FRAME) < pool_pa_base || (pte & PTE_FRAME) >= pool_pa_end)
		return walk_fail(w, "va 0x%llx maps 0x%llx, outside the pool", va, pte & PTE_FRAME);
	return true;
}

/* The table at physical TABLE, level LEVEL, covering BASE; entries [0, n). */
static bool walk_table(struct walk *w, uint64_t table, int level, uint64_t base, unsigned n)
{
	const uint64_t *pt = phys_to_virt(table);

	w->tables++;
	for (unsigned i = 0; i < n; i++) {
		uint64_t pte = pt[i], va = base | (uint64_t)i << (12 + 9 * (level - 1));

		if (!(pte & PTE_P))
			continue;
		if (level == 1 ? !walk_leaf(w, va, pte)
			       : !walk_table(w, pte & PTE_FRAME, level - 1, va, 512))
			return false;
	}
	return true;
}

/* One process: the walk against the pmap's counts, and the kernel half. */
static bool check_tables(struct kproc *p, uint64_t *tables, char *why, size_t whylen)
{
	struct walk w = {.pm = vm_map_pmap(p->map), .why = why, .whylen = whylen, .ok = true};
	uint64_t root = pmap_root_pa(w.pm);
	const uint64_t *mine = phys_to_virt(root), *kern = phys_to_virt(kern_root_pa);
	struct pmap_stats st;

	for (int i = 256; i < 512; i++)
		if (mine[i] != kern[i])
			return walk_fail(&w, "root entry %llu of process %llu is not the kernel's",
					 (unsigned long long)i, p->pid);
	if (!walk_table(&w, root, 4, 0, 256))
		return false;
	pmap_get_stats(w.pm, &st);
	if (w.tables != st.ptp || w.leaves != st.resident)
		return walk_fail(&w, "the MMU's walk finds %llu tables and %llu pages mapped, "
				     "the pmap counts otherwise", w.tables, w.leaves);
	*tables += w.tables;
	return true;
}

static bool check_hardware(char *why, size_t whylen)
{
	struct kproc *run = kproc_running();
	uint64_t tables = 0;
	char inner[200];

	if (run != NULL && read_cr3() != pmap_root_pa(vm_map_pmap(run->map))) {
		ksnprintf(why, whylen, "CR3 is 0x%llx, not process %llu's root",
			  (unsigned long long)read_cr3(), (unsigned long long)run->pid);
		return false;
	}
	for (struct kproc *p = kproc_first(); p != NULL; p = p->next) {
		if (!check_tables(p, &tables, inner, sizeof inner)) {
			ksnprintf(why, whylen, "page tables of process %llu: %s",
				  (unsigned long long)p->pid, inner);
			return false;
		}
	}
	if (tables != vm_phys.by_use[VM_PAGE_PTP]) {
		ksnprintf(why, whylen, "the MMU's walks find %llu table pages, the frames say %llu",
			  (unsigned long long)tables,
			  (unsigned long long)vm_phys.by_use[VM_PAGE_PTP]);
		return false;
	}
	return true;
}

bool kcheck(char *why, size_t whylen)
{
	struct vm_check_map *maps = kscratch_alloc((kproc_count() + 1) * sizeof *maps);
	size_t n = 0;
	bool ok;

	if (maps == NULL) {
		ksnprintf(why, whylen, "the checker ran out of kernel scratch memory");
		return false;
	}
	for (struct kproc *p = kproc_first(); p != NULL; p = p->next)
		maps[n++] = (struct vm_check_map){p->map, p->pid};
	ok = vm_check(&kcheck_host, maps, n, why, whylen) && check_hardware(why, whylen);
	kscratch_reset();
	return ok;
}
