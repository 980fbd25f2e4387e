/*
 * report.c - what the machine shows of itself: `stat`, `vmdump`, `maps`.
 *
 * `stat` answers "where is memory going": every frame by use, the
 * metadata the VM system spends per resident page, per anon and per map
 * entry, and the counters an operator would watch.  `vmdump` is the
 * descendant of the vm_object dump from the 1993 swap-leak reports: for
 * one process, each entry with its backing and, for its amap, the anons in
 * runs (resident or not, exclusive or shared copy-on-write), so that
 * anything held that should not be is visible at a glance.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "mvm/pmap.h"
#include "mvm/vm_kmem.h"
#include "port_sim.h"
#include "sim.h"
#include "vm/anon.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/pagedaemon.h"

static double mib(uint64_t frames)
{
	return (double)frames * VM_PAGE_SIZE / (1024.0 * 1024.0);
}

static void stat_frames(FILE *out)
{
	const uint64_t *u = vm_phys.by_use;

	fprintf(out, "# frames: %" PRIu64 " (%.1f MiB): free %" PRIu64 ", anon data %" PRIu64
		     ", object data %" PRIu64 ", page tables %" PRIu64 ", pv chunks %" PRIu64
		     ", core metadata %" PRIu64 ", boot %" PRIu64 "\n",
		vm_phys.nframes, mib(vm_phys.nframes), u[VM_PAGE_FREE], u[VM_PAGE_ANON],
		u[VM_PAGE_OBJECT], u[VM_PAGE_PTP], u[VM_PAGE_PV], u[VM_PAGE_KMEM], u[VM_PAGE_BOOT]);
}

static void stat_cache(FILE *out, const struct vm_kmem_cache *c)
{
	fprintf(out, "#   %-10s %6u B  in use %8" PRIu64 "  slabs %6" PRIu64 "  (%.1f B each incl. slack)\n",
		c->name, c->size, c->inuse, c->nslabs,
		c->inuse ? (double)vm_kmem_cache_bytes(c) / (double)c->inuse : (double)c->size);
}

/* Metadata per resident page, per anon, per map entry. */
static void stat_metadata(FILE *out)
{
	struct pmap_global_stats pg;
	uint64_t anons = vm_anon_cache.inuse;
	double node_bytes = (double)vm_kmem_cache_bytes(&vm_amap_node_cache);
	double pv_per_map;

	pmap_get_global_stats(&pg);
	pv_per_map = pg.pv_entries ? (double)pg.pv_pages * VM_PAGE_SIZE / (double)pg.pv_entries : 16.0;
	fprintf(out, "# metadata per resident page: struct vm_page %zu B, pv %.1f B per mapping\n",
		sizeof(struct vm_page), pv_per_map);
	fprintf(out, "# metadata per anon: anon %u B + amap %.1f B = %.1f B\n",
		vm_anon_cache.size, anons ? node_bytes / (double)anons : 0.0,
		vm_anon_cache.size + (anons ? node_bytes / (double)anons : 0.0));
	fprintf(out, "# metadata per map entry: %u B (Linux's VMA: about 184 B)\n",
		vm_map_entry_cache.size);
	fprintf(out, "# slab caches:\n");
	for (const struct vm_kmem_cache *c = vm_kmem_caches; c != NULL; c = c->next)
		stat_cache(out, c);
}

void sim_report_stat(struct sim *s, FILE *out)
{
	struct pmap_global_stats pg;
	const struct sim_stats *st = &s->stats;

	pmap_get_global_stats(&pg);
	fprintf(out, "# stat: ops %" PRIu64 ", processes %zu (created %" PRIu64 "), oom kills %" PRIu64 "\n",
		st->ops, trace_hash_count(&s->procs), st->procs_created, st->oom_kills);
	stat_frames(out);
	stat_metadata(out);
	fprintf(out, "# faults %" PRIu64 " (segv %" PRIu64 ", sigbus %" PRIu64 "); tlb hits %" PRIu64
		     ", misses %" PRIu64 "\n",
		st->faults, st->segv, st->sigbus, s->cpu.tlb_hits, s->cpu.tlb_misses);
	fprintf(out, "# pmap: %" PRIu64 " pmaps, table pages %" PRIu64 ", pv pages %" PRIu64
		     ", pv entries %" PRIu64 ", enter failures %" PRIu64 " (ptp) %" PRIu64 " (pv)\n",
		pg.pmaps, pg.ptp, pg.pv_pages, pg.pv_entries, pg.enter_fail_ptp, pg.enter_fail_pv);
	fprintf(out, "# reclaim: runs %" PRIu64 " (fruitless %" PRIu64 "), frames freed %" PRIu64
		     " (page tables and pv %" PRIu64 ")\n",
		vm_pagedaemon_stats.runs, vm_pagedaemon_stats.runs_fruitless,
		vm_pagedaemon_stats.frames_freed, vm_pagedaemon_stats.pmap_frames);
}

static void prot_string(vm_prot_t prot, char buf[4])
{
	buf[0] = prot & VM_PROT_READ ? 'r' : '-';
	buf[1] = prot & VM_PROT_WRITE ? 'w' : '-';
	buf[2] = prot & VM_PROT_EXEC ? 'x' : '-';
	buf[3] = '\0';
}

/* Anons of one amap, printed as runs of consecutive pages alike. */
struct dump_run {
	FILE *out;
	uint64_t first, next;  /* run [first, next) of vpns */
	int kind;              /* -1: none yet */
	uint64_t anons, resident, shared;
};

static const char *const dump_kind_name[] = {"resident", "resident cow-shared", "not resident",
					      "not resident cow-shared"};

static void dump_flush(struct dump_run *r)
{
	if (r->kind >= 0)
		fprintf(r->out, "#     anons 0x%" PRIx64 "-0x%" PRIx64 " %s (%" PRIu64 ")\n",
			vm_ptoa(r->first), vm_ptoa(r->next), dump_kind_name[r->kind], r->next - r->first);
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

static void dump_entry(FILE *out, const struct vm_map_entry *e)
{
	static const char *const inherit[] = {"copy", "share", "none"};
	struct dump_run run = {.out = out, .kind = -1};
	char prot[4];

	prot_string(e->prot, prot);
	fprintf(out, "#   entry 0x%" PRIx64 "-0x%" PRIx64 " %s %s inherit %s", vm_entry_start(e),
		vm_entry_end(e), prot, vm_entry_shared(e) ? "shared" : "private", inherit[e->inherit]);
	if (e->object != NULL)
		fprintf(out, " object #%" PRIu64 " (refs %u) page %" PRIu64, e->object->id,
			e->object->ref, e->offset);
	fputc('\n', out);
	if (vm_amap_empty(&e->amap))
		return;
	vm_amap_foreach(&e->amap, 0, UINT64_MAX, dump_anon, &run);
	dump_flush(&run);
	fprintf(out, "#     amap: height %u, %" PRIu64 " anons (%" PRIu64 " resident, %" PRIu64
		     " shared copy-on-write)\n",
		e->amap.height, run.anons, run.resident, run.shared);
}

void sim_report_vmdump(struct sim *s, struct sim_proc *p, FILE *out)
{
	struct pmap_stats ps;

	(void)s;
	pmap_get_stats(vm_map_pmap(p->map), &ps);
	fprintf(out, "# vmdump %" PRIu64 ": %" PRIu64 " entries; pmap %" PRIu64 " resident, %" PRIu64
		     " table pages (peak %" PRIu64 ", ever %" PRIu64 "), %" PRIu64 " pv pages\n",
		p->pid, vm_map_entry_count(p->map), ps.resident, ps.ptp, ps.ptp_peak, ps.ptp_allocated,
		ps.pv_pages);
	for (const struct vm_map_entry *e = vm_map_first(p->map); e != NULL; e = vm_map_next(e))
		dump_entry(out, e);
}

void sim_report_maps(struct sim *s, struct sim_proc *p, struct trace_events *out)
{
	struct vm_map_info info;
	vaddr_t cursor = 0;

	(void)s;
	while (vm_map_iterate(p->map, &cursor, &info)) {
		struct trace_event *ev = trace_events_push(out);

		ev->kind = TEV_MAP;
		ev->pid = p->pid;
		ev->addr = info.start;
		ev->end = info.end;
		ev->prot = (uint8_t)((info.prot & VM_PROT_READ ? TRACE_PROT_R : 0) |
				     (info.prot & VM_PROT_WRITE ? TRACE_PROT_W : 0) |
				     (info.prot & VM_PROT_EXEC ? TRACE_PROT_X : 0));
		ev->shared = info.shared;
		ev->file = info.file;
		ev->off = vm_ptoa(info.offset);
	}
}
