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
#include "vm/file.h"
#include "vm/map.h"
#include "vm/object.h"
#include "vm/pagedaemon.h"
#include "vm/swap.h"

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

static void stat_reclaim(FILE *out)
{
	const struct vm_pagedaemon_stats *d = &vm_pagedaemon_stats;

	fprintf(out, "# page daemon: runs %" PRIu64 " (on demand %" PRIu64 ", fruitless %" PRIu64
		     "), frames freed %" PRIu64 "; scanned %" PRIu64 ", reactivated %" PRIu64
		     ", deactivated %" PRIu64 ", laundered %" PRIu64 "\n",
		d->runs, d->urgent, d->fruitless, d->frames_freed, d->scanned, d->reactivated,
		d->deactivated, d->laundered);
	fprintf(out, "# pmap reclaim: idle processes collected %" PRIu64 ", emergency reclaims %" PRIu64
		     ", frames freed %" PRIu64 "\n",
		d->idle_collections, d->emergency, d->pmap_frames);
	fprintf(out, "# queues: active %" PRIu64 ", inactive %" PRIu64 ", laundry %" PRIu64
		     ", free %" PRIu64 " (low %" PRIu64 ", target %" PRIu64 ", reserve %" PRIu64 ")\n",
		vm_phys.q[VM_PQ_ACTIVE].count, vm_phys.q[VM_PQ_INACTIVE].count,
		vm_phys.q[VM_PQ_LAUNDRY].count, vm_phys.q[VM_PQ_FREE].count, vm_phys.free_low,
		vm_phys.free_target, vm_phys.reserve);
}

/*
 * Swap that a page some process can still reach owns, found by walking
 * from the processes (not from the allocator): `stat` prints it beside the
 * allocator's count, and the two must agree.
 */
struct owned {
	struct trace_hash seen;
	uint64_t slots;
};

static bool count_owned(void *arg, uint64_t key, struct vm_anon *an, bool shared)
{
	struct owned *o = arg;
	uint64_t *seen = trace_hash_insert(&o->seen, (uint64_t)(uintptr_t)an);

	(void)key;
	(void)shared;
	if ((*seen)++ == 0 && an->swslot != VM_ANON_NOSLOT)
		o->slots++;
	return true;
}

static uint64_t swap_owned_by_live_anons(struct sim *s)
{
	struct owned o = {.slots = 0};
	struct sim_proc **procs;
	size_t n = sim_procs_sorted(s, &procs);

	trace_hash_init(&o.seen);
	for (size_t i = 0; i < n; i++) {
		for (const struct vm_map_entry *e = vm_map_first(procs[i]->map); e != NULL;
		     e = vm_map_next(e)) {
			vm_amap_foreach(&e->amap, 0, UINT64_MAX, count_owned, &o);
			if (e->object != NULL)
				vm_amap_foreach(&e->object->anons, 0, UINT64_MAX, count_owned, &o);
		}
	}
	free(procs);
	trace_hash_free(&o.seen);
	return o.slots;
}

static void stat_swap(struct sim *s, FILE *out)
{
	const struct vm_swap_stats *w = &vm_swap_stats;

	if (!vm_swap_enabled()) {
		fprintf(out, "# swap: none\n");
		return;
	}
	fprintf(out, "# swap: %" PRIu64 " slots, in use %" PRIu64 ", owned by live anons %" PRIu64
		     ", retired %" PRIu64 ", peak %" PRIu64 "\n",
		vm_swap_slots(), vm_swap_inuse(), swap_owned_by_live_anons(s), vm_swap_retired(),
		w->peak_inuse);
	fprintf(out, "# swap: pages out %" PRIu64 " in %" PRIu64 " writes (%.1f per cluster), pages in %"
		     PRIu64 " in %" PRIu64 " reads (%" PRIu64 " read around), clean drops %" PRIu64
		     ", errors %" PRIu64 " write %" PRIu64 " read\n",
		w->pageouts, w->pageout_ios,
		w->pageout_ios ? (double)w->pageouts / (double)w->pageout_ios : 0.0, w->pageins,
		w->pagein_ios, w->readaround, w->clean_drops, w->write_errors, w->read_errors);
	fprintf(out, "# swap metadata: allocator %" PRIu64 " B (%.2f bits per slot)\n",
		vm_swap_meta_bytes(), 8.0 * (double)vm_swap_meta_bytes() / (double)vm_swap_slots());
}

/* Simulated nanoseconds as seconds, exactly. */
static void print_seconds(FILE *out, uint64_t ns)
{
	fprintf(out, "%" PRIu64 ".%09" PRIu64 " s", ns / 1000000000u, ns % 1000000000u);
}

static void stat_time(struct sim *s, FILE *out)
{
	struct sim_clock_stats c;

	sim_clock_get_stats(&c);
	fprintf(out, "# time: ");
	print_seconds(out, c.now_ns);
	fprintf(out, " simulated (%" PRIu64 " ns per op); waiting for I/O ", s->cfg.dev.op_cost_ns);
	print_seconds(out, c.io_wait_ns);
	fprintf(out, " in %" PRIu64 " waits, %" PRIu64 " requests outstanding\n", c.io_waits,
		port_io_pending());
}

static void stat_device(enum port_dev dev, FILE *out)
{
	struct sim_dev_stats d;
	uint64_t requests, blocks = port_dev_blocks(dev);
	const char *path = sim_dev_path(dev);

	if (blocks == 0) {
		fprintf(out, "# %s device: none\n", sim_dev_name(dev));
		return;
	}
	sim_dev_get_stats(dev, &d);
	requests = d.reads + d.writes;
	fprintf(out, "# %s device: %" PRIu64 " blocks (%.1f MiB) in %s\n", sim_dev_name(dev), blocks,
		mib(blocks), *path ? path : "an unlinked temporary file");
	fprintf(out, "# %s device: reads %" PRIu64 " (%" PRIu64 " pages), writes %" PRIu64 " (%" PRIu64
		     " pages), %.1f pages per request, errors %" PRIu64 "; busy ",
		sim_dev_name(dev), d.reads, d.pages_read, d.writes, d.pages_written,
		requests ? (double)(d.pages_read + d.pages_written) / (double)requests : 0.0, d.errors);
	print_seconds(out, d.busy_ns);
	fprintf(out, ", seeks %" PRIu64 "\n", d.seeks);
}

static void stat_injected(FILE *out)
{
	bool any = false;

	fprintf(out, "# injected failures:");
	for (int k = 0; k < INJECT_KIND_COUNT; k++) {
		if (inject_failures(k) == 0)
			continue;
		fprintf(out, "%s %s %" PRIu64 " (of %" PRIu64 ")", any ? "," : "", inject_kind_name(k),
			inject_failures(k), inject_events(k));
		any = true;
	}
	fprintf(out, "%s\n", any ? "" : " none");
}

/* The page cache of files, as the core counts it. */
static void stat_file_cache(FILE *out)
{
	const struct vm_file_stats *f = &vm_file_stats;

	fprintf(out, "# file cache: dirty %" PRIu64 " (peak %" PRIu64 ", bound %" PRIu64
		     "); data_request %" PRIu64 " (%" PRIu64 " pages, %" PRIu64
		     " errors), data_return %" PRIu64 " (%" PRIu64 " pages, %" PRIu64 " errors)\n",
		f->dirty, f->dirty_peak, f->dirty_max, f->requests, f->request_pages,
		f->request_errors, f->returns, f->return_pages, f->return_errors);
	fprintf(out, "# file cache: returns in flight per pager peak %" PRIu64 " (cap %" PRIu64
		     "); writers throttled %" PRIu64 " for ",
		f->inflight_peak, f->inflight_cap, f->throttled);
	print_seconds(out, f->throttle_ns);
	fprintf(out, "; clean pages dropped %" PRIu64 ", anon pages swapped while clean file "
		     "pages were resident %" PRIu64 "\n",
		f->clean_drops, f->anon_out_with_clean_file);
}

/* The file table, the file calls, and what the file pager did. */
static void stat_files(struct sim *s, FILE *out)
{
	const struct sim_stats *st = &s->stats;
	const char *dir = sim_files_dir();

	fprintf(out, "# files: %" PRIu64 " in %s%s; written by `file` %" PRIu64 " B, pread %" PRIu64
		     " B, pwrite %" PRIu64 " B, EIO %" PRIu64 "\n",
		sim_files_count(), dir != NULL ? dir : "unnamed temporary files", dir != NULL ? "/" : "",
		st->file_bytes, st->pread_bytes, st->pwrite_bytes, st->file_io_errors);
	for (uint32_t pager = 0; pager < SIM_PAGERS; pager++) {
		struct sim_pager_stats ps;

		sim_pager_get_stats(pager, &ps);
		fprintf(out, "# file pager %" PRIu32 ": data_request %" PRIu64 " (%" PRIu64
			     " pages), data_return %" PRIu64 " (%" PRIu64 " pages), errors %" PRIu64
			     ", dropped %" PRIu64 "; returns in flight %" PRIu64 " (peak %" PRIu64
			     "); busy ",
			pager, ps.requests, ps.request_pages, ps.returns, ps.return_pages, ps.errors,
			ps.dropped, ps.returns_in_flight, ps.returns_in_flight_peak);
		print_seconds(out, ps.busy_ns);
		fputc('\n', out);
	}
}

/* The clock, the devices, and the faults injected into them. */
static void stat_time_io(struct sim *s, FILE *out)
{
	stat_time(s, out);
	for (int dev = 0; dev < PORT_DEV_COUNT; dev++)
		if (dev != PORT_DEV_FILE)
			stat_device(dev, out);
	stat_files(s, out);
	stat_file_cache(out);
	stat_injected(out);
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
	fprintf(out, "# table pages a pmap that never freed them would hold: %" PRIu64 " now (peak %"
		     PRIu64 "); allocated by processes that are gone: %" PRIu64 "\n",
		sim_ptp_never_freed(s),
		s->stats.ptp_never_freed_peak > sim_ptp_never_freed(s) ? s->stats.ptp_never_freed_peak
									 : sim_ptp_never_freed(s),
		s->stats.ptp_allocated_gone);
	stat_reclaim(out);
	stat_swap(s, out);
	stat_time_io(s, out);
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
	if (sim_files_name(e->object) != NULL)
		fprintf(out, " file %s", sim_files_name(e->object));
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
		const char *name = sim_files_name(info.object);

		ev->kind = TEV_MAP;
		ev->pid = p->pid;
		ev->addr = info.start;
		ev->end = info.end;
		ev->prot = (uint8_t)((info.prot & VM_PROT_READ ? TRACE_PROT_R : 0) |
				     (info.prot & VM_PROT_WRITE ? TRACE_PROT_W : 0) |
				     (info.prot & VM_PROT_EXEC ? TRACE_PROT_X : 0));
		ev->shared = info.shared;
		/* The host's table names the files (the core knows only handles). */
		ev->file = info.file || name != NULL;
		ev->off = vm_ptoa(info.offset);
		if (ev->file)
			snprintf(ev->name, sizeof ev->name, "%s", name != NULL ? name : "?");
	}
}
