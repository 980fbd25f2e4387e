/*
 * panic.c - the end: say where and why on both ports, and make qemu exit
 * with the panic status (isa-debug-exit), so that `mvm boot` reports it.
 */
#include "kern.h"
#include "x86.h"
#include "proto.h"

_Noreturn void kexit(uint32_t code)
{
	outl(KEXIT_PORT, code);
	halt_forever(); /* without the device: stop here */
}

_Noreturn void kpanic(const char *file, int line, const char *fmt, ...)
{
	static bool panicking;
	char why[512];
	va_list ap;

	if (panicking)
		kexit(KEXIT_PANIC);
	panicking = true;
	va_start(ap, fmt);
	kvsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	klog("panic: %s:%d: %s\n", file, line, why);
	kout("\n!panic %s:%d: %s\n", file, line, why);
	kexit(KEXIT_PANIC);
}
