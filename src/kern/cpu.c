/*
 * cpu.c - the CPU tables: GDT (with the TSS), IDT.
 *
 * Segments are flat, as long mode wants: kernel code and data, user data
 * and 64-bit user code (ordered so that sysret would work too), and the
 * TSS, whose rsp0 is the trap stack every trap from ring 3 lands on.
 * Every IDT entry is an interrupt gate, so handlers run with interrupts
 * off; they are on only while the kernel halts for COM2 (serial.c).  Only
 * vector 0x80, the system call, may be raised from ring 3.
 */
#include "kern.h"
#include "trap.h"
#include "x86.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap_base;
} __attribute__((packed));

struct idt_gate {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
} __attribute__((packed));

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static uint64_t gdt[8];
static struct tss tss;
static struct idt_gate idt[256];
static uint8_t trap_stack[16384] __attribute__((aligned(16)));

extern const uint64_t trap_vectors[32];
extern const uint64_t trap_vector_syscall;
extern const uint64_t trap_vector_serial;

static void gdt_set_tss(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;

	gdt[6] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ull << 40 |
		 ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
	gdt[7] = base >> 32;
}

static void gdt_init(void)
{
	struct table_ptr p = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};

	gdt[0] = 0;
	gdt[1] = 0x00af9a000000ffffull; /* kernel code, 64-bit */
	gdt[2] = 0x00cf92000000ffffull; /* kernel data */
	gdt[3] = 0;                     /* (32-bit user code: unused) */
	gdt[4] = 0x00cff2000000ffffull; /* user data, DPL 3 */
	gdt[5] = 0x00affa000000ffffull; /* user code, 64-bit, DPL 3 */
	tss.rsp0 = (uint64_t)(uintptr_t)(trap_stack + sizeof(trap_stack));
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();
	__asm__ volatile("lgdt %0" : : "m"(p));
	__asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" : : "r"((uint16_t)SEL_KDATA));
	/* Reload CS with a far return. */
	__asm__ volatile("pushq %0; leaq 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
			 : : "i"(SEL_KCODE) : "rax", "memory");
	__asm__ volatile("ltr %0" : : "r"((uint16_t)SEL_TSS));
}

static void idt_set(int vec, uint64_t handler, int dpl)
{
	idt[vec] = (struct idt_gate){
		.off_lo = (uint16_t)handler, .sel = SEL_KCODE, .ist = 0,
		.type = (uint8_t)(0x8e | dpl << 5), .off_mid = (uint16_t)(handler >> 16),
		.off_hi = (uint32_t)(handler >> 32)};
}

static void idt_init(void)
{
	struct table_ptr p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	for (int v = 0; v < 32; v++)
		idt_set(v, trap_vectors[v], 0);
	idt_set(VEC_SYSCALL, trap_vector_syscall, 3);
	idt_set(PIC_VECTOR_BASE + SERIAL_HOST_IRQ, trap_vector_serial, 0);
	__asm__ volatile("lidt %0" : : "m"(p));
}

void cpu_init(void)
{
	gdt_init();
	idt_init();
}

struct trapframe *cpu_trap_frame_slot(void)
{
	return (struct trapframe *)(void *)(trap_stack + sizeof(trap_stack) -
					    sizeof(struct trapframe));
}
