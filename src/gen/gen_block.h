/*
 * gen_block.h - a trace from a published block reference trace.
 *
 * The LIRS and CLOCK-Pro papers' traces (../shared/traces/lirs/) are one
 * block number per line, a line of `*` being a marker with no reference.
 * As a file-cache workload (../shared/traces/README.md): one file as
 * large as the highest block + 1 pages, mapped read-only and shared by one
 * process, each reference a one-page `touch r` of that block's page (or,
 * with PREAD, a one-page `pread`).  Nothing else runs, so every frame not
 * held by the core can hold the file's pages: `mvm curve` then compares
 * with the papers' cache sizes counted in blocks.
 */
#ifndef MVM_GEN_BLOCK_H
#define MVM_GEN_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define GEN_BLOCK_MAX ((1u << 28) - 1)   /* a file holds at most 2^40 bytes */

/* Reads PATH (gzip or plain) and prints the trace to OUT.  0; 2 with
 * "FILE:LINE: message" (or why PATH cannot be read) in ERR. */
int gen_block(FILE *out, const char *path, bool pread, char *err, size_t errlen);

#endif
