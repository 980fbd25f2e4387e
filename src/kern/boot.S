/*
 * boot.S - from qemu's PVH entry to C, in long mode, in the top 2 GiB.
 *
 * qemu -kernel boots an ELF that carries a PVH note
 * (XEN_ELFNOTE_PHYS32_ENTRY): it loads the segments at their physical
 * addresses and jumps to the note's entry in 32-bit protected mode with
 * paging off, %ebx holding the physical address of struct
 * hvm_start_info (memory map, command line).  This trampoline turns on
 * PAE paging with 2 MiB pages that map the first GiB twice (identity,
 * for the next instructions, and at KERN_BASE, where the C code is
 * linked), enables long mode and no-execute (EFER.LME, EFER.NXE: the
 * pmap writes PTE_NX), and calls kmain(start_info) on the kernel stack.
 * kmain builds the real tables and never returns.
 */
#define KERN_BASE 0xffffffff80000000
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)

	.section .note.Xen, "a"
	.balign 4
	.long 4                 /* name size: "Xen\0" */
	.long 4                 /* descriptor size */
	.long 18                /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.long pvh_start

	.section .boot.text, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	mov %ebx, %esi                  /* hvm_start_info, kept for kmain */
	mov $boot_stack_top, %esp
	mov %cr4, %eax
	or $(1 << 5), %eax              /* PAE */
	mov %eax, %cr4
	mov $boot_pml4, %eax
	mov %eax, %cr3
	mov $MSR_EFER, %ecx
	rdmsr
	or $(EFER_LME | EFER_NXE), %eax
	wrmsr
	mov %cr0, %eax
	or $0x80010001, %eax            /* PG | WP | PE */
	mov %eax, %cr0
	lgdt boot_gdt_ptr
	ljmp $0x08, $long_entry

	.code64
long_entry:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movabs $kstack_top, %rsp
	mov %esi, %edi                  /* zero-extends: rdi = start_info */
	movabs $kmain, %rax
	call *%rax
1:	cli
	hlt
	jmp 1b

	.section .boot.data, "aw"
	.balign 4096
boot_pml4:
	.quad boot_pdpt_lo + 3
	.fill 510, 8, 0
	.quad boot_pdpt_hi + 3
boot_pdpt_lo:
	.quad boot_pd + 3
	.fill 511, 8, 0
boot_pdpt_hi:
	.fill 510, 8, 0
	.quad boot_pd + 3
	.quad 0
boot_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x83          /* P | W | PS */
	.set i, i + 1
	.endr
boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff        /* 64-bit code */
	.quad 0x00cf92000000ffff        /* data */
boot_gdt_ptr:
	.word boot_gdt_ptr - boot_gdt - 1
	.long boot_gdt
	.balign 16
	.fill 256, 1, 0
boot_stack_top:

	.section .bss
	.balign 4096
	.globl kstack_top
kstack:
	.skip 65536
kstack_top:
