/*
 * why.h - the reason a verification failed, formatted without libc.
 *
 * The core's verifiers (pmap_verify, the consistency checker in
 * src/check) explain a failure in a caller's buffer.  They are
 * freestanding, so they cannot use snprintf; this formatter knows the
 * three conversions they need, and every number is passed as uint64_t:
 *
 *   %s  a string
 *   %u  a uint64_t in decimal
 *   %x  a uint64_t in hex, with 0x
 *
 * Anything else after % is printed as it is.  The result is cut to fit
 * and always terminated (when LEN > 0).
 */
#ifndef MVM_WHY_H
#define MVM_WHY_H

#include <stdarg.h>
#include <stddef.h>

void vm_whyf(char *buf, size_t len, const char *fmt, ...);
void vm_vwhyf(char *buf, size_t len, const char *fmt, va_list ap);

#endif
