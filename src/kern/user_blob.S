/*
 * user_blob.S - the ring-3 program (user/), built as a flat binary linked
 * at USER_TEXT, embedded page-aligned so that its pages can be mapped
 * into every process as they are.
 */
	.section .rodata.user, "a"
	.balign 4096
	.globl user_blob_start
user_blob_start:
	.incbin USER_BLOB
	.globl user_blob_end
user_blob_end:
	.balign 4096
