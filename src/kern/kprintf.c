/*
 * kprintf.c - formatted output for a kernel without libc.
 *
 * Enough of printf for the log, the panic message, `stat`, `vmdump` and
 * the spec's output lines: %d %i %u %x %s %c %p %%, the length modifiers
 * l, ll and z, a width, and the flags 0 and -.  Output lines are
 * formatted into a buffer first and written whole, so a line is never
 * interleaved with another.
 */
#include "kern.h"

struct kbuf {
	char *buf;
	size_t cap, len;
};

static void put(struct kbuf *b, char c)
{
	if (b->len + 1 < b->cap)
		b->buf[b->len] = c;
	b->len++;
}

static void put_padded(struct kbuf *b, const char *s, size_t n, int width, bool left, char pad)
{
	int fill = width > (int)n ? width - (int)n : 0;

	if (!left)
		while (fill-- > 0)
			put(b, pad);
	for (size_t i = 0; i < n; i++)
		put(b, s[i]);
	if (left)
		while (fill-- > 0)
			put(b, ' ');
}

static size_t utoa(uint64_t v, unsigned base, char *out)
{
	char tmp[24];
	size_t n = 0, i = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0);
	while (n > 0)
		out[i++] = tmp[--n];
	return i;
}

size_t kstrlen(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0')
		n++;
	return n;
}

/* The integer argument for conversion C with LONGS 'l's (or z). */
static uint64_t int_arg(va_list *ap, int longs, bool is_signed, bool *neg)
{
	int64_t s;

	*neg = false;
	if (!is_signed)
		return longs == 0 ? va_arg(*ap, unsigned) : va_arg(*ap, unsigned long long);
	s = longs == 0 ? va_arg(*ap, int) : va_arg(*ap, long long);
	*neg = s < 0;
	return *neg ? (uint64_t)0 - (uint64_t)s : (uint64_t)s;
}

static void convert(struct kbuf *b, char c, va_list *ap, int longs, int width, bool left,
		    char pad)
{
	char num[32];
	size_t n = 0;
	bool neg = false;
	const char *s;

	switch (c) {
	case 's':
		s = va_arg(*ap, const char *);
		s = s != NULL ? s : "(null)";
		put_padded(b, s, kstrlen(s), width, left, ' ');
		return;
	case 'c':
		num[0] = (char)va_arg(*ap, int);
		put_padded(b, num, 1, width, left, ' ');
		return;
	case 'p':
		num[0] = '0';
		num[1] = 'x';
		n = 2 + utoa((uint64_t)(uintptr_t)va_arg(*ap, void *), 16, num + 2);
		put_padded(b, num, n, width, left, ' ');
		return;
	case 'd':
	case 'i':
	case 'u':
	case 'x': {
		uint64_t v = int_arg(ap, longs, c == 'd' || c == 'i', &neg);

		if (neg)
			num[n++] = '-';
		n += utoa(v, c == 'x' ? 16 : 10, num + n);
		put_padded(b, num, n, width, left, pad);
		return;
	}
	default:
		put(b, '%');
		put(b, c);
	}
}

size_t kvsnprintf(char *buf, size_t cap, const char *fmt, va_list ap)
{
	struct kbuf b = {buf, cap, 0};
	va_list aq;

	va_copy(aq, ap);
	for (const char *p = fmt; *p != '\0'; p++) {
		int width = 0, longs = 0;
		bool left = false;
		char pad = ' ';

		if (*p != '%') {
			put(&b, *p);
			continue;
		}
		p++;
		if (*p == '%') {
			put(&b, '%');
			continue;
		}
		for (; *p == '-' || *p == '0'; p++) {
			if (*p == '-')
				left = true;
			else
				pad = '0';
		}
		for (; *p >= '0' && *p <= '9'; p++)
			width = width * 10 + (*p - '0');
		for (; *p == 'l' || *p == 'z'; p++)
			longs++;
		convert(&b, *p, &aq, longs, width, left, pad);
	}
	va_end(aq);
	if (cap > 0)
		buf[b.len < cap ? b.len : cap - 1] = '\0';
	return b.len;
}

size_t ksnprintf(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = kvsnprintf(buf, cap, fmt, ap);
	va_end(ap);
	return n;
}

static void kvprint(enum serial_port port, const char *fmt, va_list ap)
{
	char line[1024];
	size_t n = kvsnprintf(line, sizeof line, fmt, ap);

	serial_write(port, line, n < sizeof line ? n : sizeof line - 1);
}

void klog(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprint(SERIAL_LOG, fmt, ap);
	va_end(ap);
}

void kout(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kvprint(SERIAL_HOST, fmt, ap);
	va_end(ap);
}
