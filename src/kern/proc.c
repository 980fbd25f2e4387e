/*
 * proc.c - processes: creation, fork, exec, exit, the OOM killer, and
 * switching the CPU from one to another.
 *
 * Switching loads the process's page-table root into CR3 (no PCID: the
 * load flushes the TLB, so shootdowns for other address spaces are
 * free) and points the u-area entries of the user runtime's page table
 * at the process's own stack and mailbox pages.  Those entries are in
 * the kernel's half, shared by every root, so they must change before
 * CR3 is loaded: the load is the flush that retires the old ones.
 *
 * The OOM killer is the simulator's rule (src/sim/proc.c): the largest
 * footprint dies, lowest pid on a tie, with a `P killed oom` line.
 */
#include "proc.h"
#include "x86.h"
#include "usys.h"
#include "mvm/pmap.h"
#include "mvm/vm.h"

struct kop_result kres;
struct kstats kstats;

static struct kproc *procs;      /* ascending pid */
static struct kproc *running;    /* whose address space is loaded */
static uint64_t nprocs;

struct kproc *kproc_find(uint64_t pid)
{
	for (struct kproc *p = procs; p != NULL && p->pid <= pid; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

struct kproc *kproc_first(void)
{
	return procs;
}

struct kproc *kproc_running(void)
{
	return running;
}

uint64_t kproc_count(void)
{
	return nprocs;
}

uint32_t kproc_loaded_asid(void)
{
	return running != NULL ? pmap_asid(vm_map_pmap(running->map)) : 0;
}

static void emit_killed(uint64_t pid, const char *why)
{
	kout("%llu killed %s\n", (unsigned long long)pid, why);
}

void kproc_restart(struct trapframe *tf)
{
	*tf = (struct trapframe){.rip = USER_TEXT, .cs = SEL_UCODE, .rflags = 0x2,
				 .rsp = USER_STACK_TOP, .ss = SEL_UDATA};
}

static struct kproc *proc_add(uint64_t pid, struct vm_map *map)
{
	struct kproc *p = kalloc(sizeof *p), **pp = &procs;

	if (p != NULL)
		p->uarea = kalloc(UAREA_PAGES * 4096);
	if (p == NULL || p->uarea == NULL)
		KPANIC("no kernel memory for process %llu", (unsigned long long)pid);
	p->pid = pid;
	p->map = map;
	while (*pp != NULL && (*pp)->pid < pid)
		pp = &(*pp)->next;
	p->next = *pp;
	*pp = p;
	nprocs++;
	kstats.procs_created++;
	return p;
}

void kproc_switch(struct kproc *p)
{
	uint64_t mbox = (USER_MBOX - USER_RT) / 4096;

	vm_map_activate(p->map);
	if (running == p)
		return;
	for (uint64_t i = 0; i < UAREA_PAGES; i++)
		user_rt_pt[mbox + i] =
			kvirt_to_phys(p->uarea + i * 4096) | PTE_P | PTE_W | PTE_U | PTE_NX;
	write_cr3(pmap_root_pa(vm_map_pmap(p->map)));
	running = p;
	kstats.switches++;
}

/* Back to the kernel's own root, whose lower half is empty. */
static void switch_to_kernel(void)
{
	write_cr3(kern_root_pa);
	running = NULL;
}

static void proc_remove(struct kproc *p)
{
	struct kproc **pp = &procs;

	/* The root is about to be freed: CR3 must not point at it. */
	if (running == p)
		switch_to_kernel();
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	nprocs--;
	vm_map_destroy(p->map);
	kfree_pages(p->uarea, UAREA_PAGES);
	kfree_pages(p, (sizeof *p + 4095) / 4096);
}

void kproc_kill(struct kproc *p, const char *why)
{
	port_log(1, "killing process %llu: %s", (unsigned long long)p->pid, why);
	emit_killed(p->pid, why);
	proc_remove(p);
}

bool kproc_oom(struct kproc *self)
{
	struct kproc *victim = NULL;
	uint64_t best = 0;
	bool self_killed;

	for (struct kproc *p = procs; p != NULL; p = p->next) {
		uint64_t f = vm_map_footprint(p->map);

		if (victim == NULL || f > best) {
			victim = p;
			best = f;
		}
	}
	if (victim == NULL)
		return false;
	port_log(1, "oom: killing process %llu (footprint %llu)", (unsigned long long)victim->pid,
		 (unsigned long long)best);
	emit_killed(victim->pid, "oom");
	kstats.oom_kills++;
	self_killed = victim == self;
	proc_remove(victim);
	return !self_killed;
}

void kproc_spawn(uint64_t pid)
{
	struct vm_map *map;
	struct kproc *p;

	while ((map = vm_map_create()) == NULL) {
		if (!kproc_oom(NULL)) {
			emit_killed(pid, "oom");
			kres.killed_self = true;
			return;
		}
	}
	p = proc_add(pid, map);
	kproc_restart(&p->tf);
	kproc_switch(p);
}

bool kproc_fork(struct kproc *parent, uint64_t child, const struct trapframe *tf)
{
	struct vm_map *map;
	struct kproc *c;

	while (vm_map_fork(parent->map, &map) != VM_OK) {
		if (!kproc_oom(parent)) {
			kres.killed_self = true;
			return false;
		}
	}
	c = proc_add(child, map);
	/* The child's u-area is a copy: it returns from the same call, on
	 * the same stack, with 0. */
	memcpy(c->uarea, parent->uarea, UAREA_PAGES * 4096);
	c->tf = *tf;
	c->tf.rax = 0;
	return true;
}

void kproc_exec(struct kproc *p)
{
	vm_map_exec(p->map);
}

void kproc_exit(struct kproc *p)
{
	proc_remove(p);
}

void kproc_deliver(struct kproc *p, const struct kop *op)
{
	struct umbox *mbox = (struct umbox *)(void *)p->uarea;

	mbox->op = *op;
	p->pending = !p->blocked;
	p->blocked = false;
	kproc_switch(p);
	*cpu_trap_frame_slot() = p->tf;
	user_run(cpu_trap_frame_slot());
}
