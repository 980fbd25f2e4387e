/*
 * trace_hash.c - the host heap under trace_hash (see trace_hash.h).
 */
#include "trace_hash.h"

#include <stdio.h>
#include <stdlib.h>

static void *heap_alloc(size_t size)
{
	void *p = calloc(1, size);

	if (p == NULL) {
		fprintf(stderr, "mvm: out of host memory\n");
		abort();
	}
	return p;
}

static void heap_free(void *p, size_t size)
{
	(void)size;
	free(p);
}

const struct vm_check_host trace_hash_host = {heap_alloc, heap_free};
