/*
 * proc.c - processes: the table, fork/exec/exit, and the OOM killer.
 *
 * A process is a pid and an address space.  Running one means loading its
 * page table root into the CPU (the TLB is tagged, so switching costs
 * nothing until entries are evicted) and telling the pmap, whose LRU order
 * decides whose page tables are collected first when memory is short.
 *
 * The OOM killer runs only when the core has already tried everything it
 * can reclaim and still reports VM_ENOMEM.  It kills the process with the
 * largest footprint (frames and swap slots it holds on its own account,
 * its page tables included), lowest pid on a tie, and says so on the
 * output with `P killed oom` as the spec requires, and on stderr at -v
 * with the footprint.
 */
#include <stdlib.h>

#include "mvm/pmap.h"
#include "mvm/port.h"
#include "mvm/vm.h"
#include "sim.h"

struct sim_proc *sim_proc_find(const struct sim *s, uint64_t pid)
{
	uint64_t *v = trace_hash_find(&s->procs, pid);

	return v != NULL ? (struct sim_proc *)(uintptr_t)*v : NULL;
}

void sim_proc_run(struct sim *s, struct sim_proc *p)
{
	p->last_run = s->op_seq;
	/* On every run, not only on a switch: the page daemon judges a
	 * process idle by the time since it last ran, and a process that
	 * runs without a switch must not look idle (its pmap collected). */
	vm_map_activate(p->map);
	if (s->running == p)
		return;
	s->running = p;
	sim_cpu_switch(&s->cpu, pmap_root_pa(vm_map_pmap(p->map)), pmap_asid(vm_map_pmap(p->map)));
}

static struct sim_proc *proc_add(struct sim *s, uint64_t pid, struct vm_map *map)
{
	struct sim_proc *p = calloc(1, sizeof *p);

	if (p == NULL)
		abort();
	p->pid = pid;
	p->map = map;
	p->last_run = s->op_seq;
	*trace_hash_insert(&s->procs, pid) = (uint64_t)(uintptr_t)p;
	s->stats.procs_created++;
	return p;
}

uint64_t sim_ptp_never_freed(const struct sim *s)
{
	struct check_hash_slot *slot;
	uint64_t sum = 0;
	size_t pos = 0;

	while (trace_hash_next(&s->procs, &pos, &slot)) {
		const struct sim_proc *p = (const struct sim_proc *)(uintptr_t)slot->value;
		struct pmap_stats st;

		pmap_get_stats(vm_map_pmap(p->map), &st);
		sum += st.ptp_allocated;
	}
	return sum;
}

/* Before P's pmap goes: the never-freed figure may peak now (it only
 * falls when a process goes), and P's table pages join the run's total. */
static void proc_note_ptp(struct sim *s, const struct sim_proc *p)
{
	uint64_t now = sim_ptp_never_freed(s);
	struct pmap_stats st;

	if (now > s->stats.ptp_never_freed_peak)
		s->stats.ptp_never_freed_peak = now;
	pmap_get_stats(vm_map_pmap(p->map), &st);
	s->stats.ptp_allocated_gone += st.ptp_allocated;
}

static void proc_remove(struct sim *s, struct sim_proc *p)
{
	proc_note_ptp(s, p);
	if (s->running == p)
		s->running = NULL;
	trace_hash_remove(&s->procs, p->pid);
	vm_map_destroy(p->map);
	free(p);
}

static void emit_killed(struct trace_events *out, uint64_t pid, const char *why)
{
	struct trace_event *ev = trace_events_push(out);

	ev->kind = TEV_KILLED;
	ev->pid = pid;
	ev->word = why;
}

void sim_proc_kill(struct sim *s, struct sim_proc *p, const char *why, struct trace_events *out)
{
	port_log(1, "killing process %llu: %s", (unsigned long long)p->pid, why);
	emit_killed(out, p->pid, why);
	proc_remove(s, p);
}

void sim_proc_spawn(struct sim *s, uint64_t pid, struct trace_events *out, struct sim_result *res)
{
	struct vm_map *map;

	while ((map = vm_map_create()) == NULL) {
		if (!sim_oom(s, NULL, out)) {
			emit_killed(out, pid, "oom");
			res->killed_self = true;
			return;
		}
	}
	sim_proc_run(s, proc_add(s, pid, map));
}

void sim_proc_fork(struct sim *s, struct sim_proc *parent, uint64_t child,
		   struct trace_events *out, struct sim_result *res)
{
	struct vm_map *map;

	while (vm_map_fork(parent->map, &map) != VM_OK) {
		if (!sim_oom(s, parent, out)) {
			res->killed_self = true;
			return;
		}
	}
	proc_add(s, child, map);
}

void sim_proc_exec(struct sim *s, struct sim_proc *p)
{
	(void)s;
	vm_map_exec(p->map);
}

void sim_proc_exit(struct sim *s, struct sim_proc *p)
{
	proc_remove(s, p);
}

static int pid_order(const void *a, const void *b)
{
	uint64_t x = (*(struct sim_proc *const *)a)->pid, y = (*(struct sim_proc *const *)b)->pid;

	return x < y ? -1 : x > y;
}

size_t sim_procs_sorted(const struct sim *s, struct sim_proc ***list)
{
	size_t n = trace_hash_count(&s->procs), i = 0, pos = 0;
	struct check_hash_slot *slot;

	*list = malloc((n ? n : 1) * sizeof **list);
	if (*list == NULL)
		abort();
	while (trace_hash_next(&s->procs, &pos, &slot))
		(*list)[i++] = (struct sim_proc *)(uintptr_t)slot->value;
	qsort(*list, n, sizeof **list, pid_order);
	return n;
}

/*
 * Kills the process with the largest footprint.  SELF is the process whose
 * operation needs the memory (NULL for a spawn).  Returns false if SELF was
 * the victim or nobody could be killed.
 */
bool sim_oom(struct sim *s, struct sim_proc *self, struct trace_events *out)
{
	struct sim_proc **list, *victim = NULL;
	uint64_t best = 0, victim_pid;
	size_t n = sim_procs_sorted(s, &list);
	bool self_killed;

	for (size_t i = 0; i < n; i++) {
		uint64_t f = vm_map_footprint(list[i]->map);

		if (victim == NULL || f > best) {
			victim = list[i];
			best = f;
		}
	}
	free(list);
	if (victim == NULL)
		return false;
	victim_pid = victim->pid;
	port_log(1, "oom: killing process %llu (footprint %llu frames and slots)",
		 (unsigned long long)victim_pid, (unsigned long long)best);
	emit_killed(out, victim_pid, "oom");
	s->stats.oom_kills++;
	self_killed = victim == self;
	proc_remove(s, victim);
	return !self_killed;
}
