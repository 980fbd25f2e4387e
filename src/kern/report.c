/*
 * report.c - what the machine shows of itself: `maps`, `vmdump`, `stat`.
 *
 * `maps` and `vmdump` print exactly what the simulator prints
 * (src/sim/stat.c), since they describe the core's state, which is the
 * same core in the same state: the trace tests compare them byte for
 * byte.  `stat` is free-form; this one says what only the kernel knows
 * (real page faults, CR3 switches, invlpg) beside the core's counters.
 */
#include "proc.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"
#include "mvm/vm_kmem.h"
#include "vm/anon.h"
#include "vm/amap.h"
#include "vm/map.h"
#include "vm/object.h"

static const char *prot_string(vm_prot_t prot, char buf[4])
{
	buf[0] = prot & VM_PROT_READ ? 'r' : '-';
	buf[1] = prot & VM_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & VM_PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
	return buf;
}

void kreport_maps(struct kproc *p)
{
	struct vm_map_info info;
	vaddr_t cursor = 0;
	char prot[4];

	while (vm_map_iterate(p->map, &cursor, &info))
		kout("%llu map 0x%llx 0x%llx %s %s anon\n", (unsigned long long)p->pid,
		     (unsigned long long)info.start, (unsigned long long)info.end,
		     prot_string(info.prot, prot), info.shared ? "shared" : "private");
}

/* Anons of one amap, printed as runs of consecutive pages alike. */
struct dump_run {
	uint64_t first, next;
	int kind;
	uint64_t anons, resident, shared;
};

static const char *const dump_kind_name[] = {"resident", "resident cow-shared", "not resident",
					      "not resident cow-shared"};

static void dump_flush(struct dump_run *r)
{
	if (r->kind >= 0)
		kout("#     anons 0x%llx-0x%llx %s (%llu)\n", (unsigned long long)vm_ptoa(r->first),
		     (unsigned long long)vm_ptoa(r->next), dump_kind_name[r->kind],
		     (unsigned long long)(r->next - r->first));
	r->kind = -1;
}

static bool dump_anon(void *arg, uint64_t vpn, struct vm_anon *an, bool shared)
{
	struct dump_run *r = arg;
	bool cow = shared || an->ref > 1;
	int kind = (an->page == NULL ? 2 : 0) + (cow ? 1 : 0);

	r->anons++;
	r->resident += an->page != NULL;
	r->shared += cow;
	if (kind != r->kind || vpn != r->next) {
		dump_flush(r);
		r->kind = kind;
		r->first = vpn;
	}
	r->next = vpn + 1;
	return true;
}

static void dump_entry(const struct vm_map_entry *e)
{
	static const char *const inherit[] = {"copy", "share", "none"};
	struct dump_run run = {.kind = -1};
	char prot[4];

	kout("#   entry 0x%llx-0x%llx %s %s inherit %s", (unsigned long long)vm_entry_start(e),
	     (unsigned long long)vm_entry_end(e), prot_string(e->prot, prot),
	     vm_entry_shared(e) ? "shared" : "private", inherit[e->inherit]);
	if (e->object != NULL)
		kout(" object #%llu (refs %u) page %llu", (unsigned long long)e->object->id,
		     (unsigned)e->object->ref, (unsigned long long)e->offset);
	kout("\n");
	if (vm_amap_empty(&e->amap))
		return;
	vm_amap_foreach(&e->amap, 0, UINT64_MAX, dump_anon, &run);
	dump_flush(&run);
	kout("#     amap: height %u, %llu anons (%llu resident, %llu shared copy-on-write)\n",
	     (unsigned)e->amap.height, (unsigned long long)run.anons,
	     (unsigned long long)run.resident, (unsigned long long)run.shared);
}

void kreport_vmdump(struct kproc *p)
{
	struct pmap_stats ps;

	pmap_get_stats(vm_map_pmap(p->map), &ps);
	kout("# vmdump %llu: %llu entries; pmap %llu resident, %llu table pages (peak %llu, ever "
	     "%llu), %llu pv pages\n",
	     (unsigned long long)p->pid, (unsigned long long)vm_map_entry_count(p->map),
	     (unsigned long long)ps.resident, (unsigned long long)ps.ptp,
	     (unsigned long long)ps.ptp_peak, (unsigned long long)ps.ptp_allocated,
	     (unsigned long long)ps.pv_pages);
	for (const struct vm_map_entry *e = vm_map_first(p->map); e != NULL; e = vm_map_next(e))
		dump_entry(e);
}

void kreport_stat(void)
{
	const uint64_t *u = vm_phys.by_use;
	struct pmap_global_stats pg;

	pmap_get_global_stats(&pg);
	kout("# stat: ops %llu, processes %llu (created %llu), oom kills %llu\n",
	     (unsigned long long)kstats.ops, (unsigned long long)kproc_count(),
	     (unsigned long long)kstats.procs_created, (unsigned long long)kstats.oom_kills);
	kout("# frames: %llu (from physical 0x%llx, %llu in holes): free %llu, anon data %llu, "
	     "page tables %llu, pv chunks %llu, core metadata %llu, boot %llu\n",
	     (unsigned long long)vm_phys.nframes, (unsigned long long)vm_phys.pa_base,
	     (unsigned long long)vm_phys.nhole, (unsigned long long)u[VM_PAGE_FREE],
	     (unsigned long long)u[VM_PAGE_ANON], (unsigned long long)u[VM_PAGE_PTP],
	     (unsigned long long)u[VM_PAGE_PV], (unsigned long long)u[VM_PAGE_KMEM],
	     (unsigned long long)u[VM_PAGE_BOOT]);
	kout("# faults %llu (segv %llu, sigbus %llu) taken by the real MMU; process switches "
	     "%llu (CR3 loads), invlpg %llu, CR3 flushes %llu, system calls %llu\n",
	     (unsigned long long)kstats.faults, (unsigned long long)kstats.segv,
	     (unsigned long long)kstats.sigbus, (unsigned long long)kstats.switches,
	     (unsigned long long)kstats.invlpg, (unsigned long long)kstats.cr3_flushes,
	     (unsigned long long)kstats.syscalls);
	kout("# pmap: %llu pmaps, table pages %llu, pv pages %llu, pv entries %llu, tlb "
	     "shootdowns %llu\n",
	     (unsigned long long)pg.pmaps, (unsigned long long)pg.ptp,
	     (unsigned long long)pg.pv_pages, (unsigned long long)pg.pv_entries,
	     (unsigned long long)pg.tlb_shootdowns);
	kout("# kernel memory outside the pool: %llu KiB\n",
	     (unsigned long long)(mem_kernel_bytes() >> 10));
}
