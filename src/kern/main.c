/*
 * main.c - the kernel: boot, then run the operations the host sends.
 *
 * Boot: serial ports, CPU tables, memory (the kernel's half, the direct
 * map, the pool handed to the core), then "!ready" to the host.  The loop
 * then reads one admitted operation at a time (proto.h), runs it, and
 * answers "!done".  Global operations (`check`, `stat`) run in the
 * kernel; `spawn` creates a process; every other operation is given to
 * its process, which runs in ring 3 until it asks for the next one.
 * Between operations the kernel does what the simulator does: the clock
 * advances by one operation's cost and deferred work runs
 * (vm_background: the page daemon when memory went low).
 */
#include "proc.h"
#include "x86.h"
#include "mvm/vm.h"
#include "mvm/vm_page.h"

void kmain(uint64_t start_info_pa);

static void read_bytes(void *dst, size_t n)
{
	uint8_t *d = dst;

	for (size_t i = 0; i < n; i++)
		d[i] = serial_getc(SERIAL_HOST);
}

/* The next record, resynchronised on its magic. */
static void read_op(struct kop *op)
{
	uint32_t magic = 0;

	while (magic != KOP_MAGIC) {
		magic = magic >> 8 | (uint32_t)serial_getc(SERIAL_HOST) << 24;
	}
	op->magic = magic;
	read_bytes((uint8_t *)op + 4, sizeof *op - 4);
}

/* The panic test: a core assertion, injected (freeing a free frame). */
static void inject_panic(void)
{
	struct vm_page *pg = vm_page_alloc(VM_PAGE_KMEM);

	vm_page_free(pg);
	vm_page_free(pg);
}

static void run_check(void)
{
	char why[512];

	if (!kcheck(why, sizeof why))
		kout("!check %s\n", why);
}

static void run_op(const struct kop *op)
{
	struct kproc *p;

	switch (op->kind) {
	case KOP_SPAWN:
		kproc_spawn(op->pid);
		return;
	case KOP_CHECK:
		run_check();
		return;
	case KOP_STAT:
		kreport_stat();
		return;
	case KOP_END:
		klog("shutdown after %llu operations\n", (unsigned long long)kstats.ops);
		kexit(KEXIT_OK);
	default:
		break;
	}
	p = kproc_find(op->pid);
	if (p == NULL || op->kind >= KOP_KIND_COUNT)
		KPANIC("the host sent operation %u for process %llu, which does not exist",
		       (unsigned)op->kind, (unsigned long long)op->pid);
	if (op->kind == KOP_WRITE || op->kind == KOP_READ || op->kind == KOP_TOUCH)
		kres.done_bytes = op->len;
	kproc_deliver(p, op);
}

static _Noreturn void op_loop(void)
{
	struct kop op;

	for (;;) {
		read_op(&op);
		if (kargs.panic_at != 0 && op.seq == kargs.panic_at)
			inject_panic();
		kclock_ns += 1000;
		vm_background();
		kres = (struct kop_result){0};
		kstats.ops++;
		run_op(&op);
		kout("!done %d 0x%llx\n", kres.killed_self ? 1 : 0,
		     (unsigned long long)kres.done_bytes);
	}
}

void kmain(uint64_t start_info_pa)
{
	serial_init();
	cpu_init();
	mem_init(start_info_pa);
	mem_boot_core();
	klog("mvm kernel: %llu frames in the pool, %llu free\n",
	     (unsigned long long)vm_phys.nframes, (unsigned long long)vm_page_free_count());
	kout("!ready\n");
	op_loop();
}
