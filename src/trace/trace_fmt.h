/*
 * trace_fmt.h - the trace library's line writer (internal to it).
 *
 * Operations (trace.c) and output events (trace_event.c) are both
 * formatted by hand, without printf, because a replay may write one line
 * per operation for millions of them; and both must spell a number the
 * same way: decimal without leading zeros, hex as lowercase 0x with no
 * padding, a hash as exactly 16 lowercase digits.  One writer serves
 * both, so the two can never drift apart.
 *
 * The writer appends to a buffer the caller sized for its longest line;
 * nothing here checks room.  Every put but trace_put_str and
 * trace_put_u64 writes the separating blank first, so a line is its
 * first field followed by puts.
 */
#ifndef MVM_SIM_TRACE_FMT_H
#define MVM_SIM_TRACE_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trace.h"

struct trace_out {
	char *p;   /* the line so far */
	size_t n;  /* its length */
};

static inline char trace_hex_digit(uint64_t d)
{
	return "0123456789abcdef"[d & 15];
}

static inline void trace_put_str(struct trace_out *o, const char *s)
{
	size_t l = strlen(s);

	memcpy(o->p + o->n, s, l);
	o->n += l;
}

/* V in decimal, no blank before it. */
static inline void trace_put_u64(struct trace_out *o, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	memcpy(o->p + o->n, tmp + i, sizeof tmp - i);
	o->n += sizeof tmp - i;
}

static inline void trace_put_dec(struct trace_out *o, uint64_t v)
{
	o->p[o->n++] = ' ';
	trace_put_u64(o, v);
}

static inline void trace_put_hex(struct trace_out *o, uint64_t v)
{
	char tmp[16];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = trace_hex_digit(v);
		v >>= 4;
	} while (v);
	trace_put_str(o, " 0x");
	memcpy(o->p + o->n, tmp + i, sizeof tmp - i);
	o->n += sizeof tmp - i;
}

/* A hash: all 16 digits, no 0x. */
static inline void trace_put_hash(struct trace_out *o, uint64_t h)
{
	o->p[o->n++] = ' ';
	for (int i = 15; i >= 0; i--)
		o->p[o->n++] = trace_hex_digit(h >> (4 * i));
}

static inline void trace_put_word(struct trace_out *o, const char *s)
{
	o->p[o->n++] = ' ';
	trace_put_str(o, s);
}

/* PROT (TRACE_PROT_*) as "rwx", a '-' for each right missing. */
static inline void trace_put_prot(struct trace_out *o, uint8_t prot)
{
	o->p[o->n++] = ' ';
	o->p[o->n++] = (prot & TRACE_PROT_R) ? 'r' : '-';
	o->p[o->n++] = (prot & TRACE_PROT_W) ? 'w' : '-';
	o->p[o->n++] = (prot & TRACE_PROT_X) ? 'x' : '-';
}

/* Ends the line: a newline, and a NUL after it (not counted); its length. */
static inline size_t trace_put_end(struct trace_out *o)
{
	o->p[o->n++] = '\n';
	o->p[o->n] = '\0';
	return o->n;
}

/* LINE (N bytes) into BUF like snprintf: cut to fit CAP (always
 * terminated when CAP is not zero); returns N, the full length. */
static inline size_t trace_line_copy(const char *line, size_t n, char *buf, size_t cap)
{
	if (cap) {
		size_t c = n < cap ? n : cap - 1;

		memcpy(buf, line, c);
		buf[c] = '\0';
	}
	return n;
}

#endif
