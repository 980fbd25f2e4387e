/*
 * why.c - formatting a verifier's reason (see include/mvm/why.h).
 *
 * A cursor over the caller's buffer: characters past its end are
 * dropped, so a long reason is cut rather than overflowing.
 */
#include "mvm/why.h"

#include <stdint.h>

struct why_out {
	char *buf;
	size_t len, pos;
};

static void why_putc(struct why_out *w, char c)
{
	if (w->pos + 1 < w->len)
		w->buf[w->pos++] = c;
}

static void why_num(struct why_out *w, uint64_t v, unsigned base)
{
	char digits[24];
	int n = 0;

	if (base == 16) {
		why_putc(w, '0');
		why_putc(w, 'x');
	}
	do {
		digits[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (n > 0)
		why_putc(w, digits[--n]);
}

static void why_conv(struct why_out *w, char conv, va_list *ap)
{
	const char *s;

	switch (conv) {
	case 's':
		for (s = va_arg(*ap, const char *); *s != '\0'; s++)
			why_putc(w, *s);
		break;
	case 'u':
		why_num(w, va_arg(*ap, uint64_t), 10);
		break;
	case 'x':
		why_num(w, va_arg(*ap, uint64_t), 16);
		break;
	default:
		why_putc(w, conv);
		break;
	}
}

void vm_vwhyf(char *buf, size_t len, const char *fmt, va_list ap)
{
	struct why_out w = {buf, len, 0};
	va_list args;

	va_copy(args, ap);
	for (; *fmt != '\0'; fmt++) {
		if (*fmt != '%' || fmt[1] == '\0')
			why_putc(&w, *fmt);
		else
			why_conv(&w, *++fmt, &args);
	}
	va_end(args);
	if (len > 0)
		buf[w.pos] = '\0';
}

void vm_whyf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vm_vwhyf(buf, len, fmt, ap);
	va_end(ap);
}
