/*
 * user_start.S - where a new process (and an exec) begins: the kernel
 * enters at USER_TEXT with rsp at the top of the u-area's stack.
 */
	.section .text.start, "ax"
	.globl user_start
user_start:
	call user_main
	ud2
