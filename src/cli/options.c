/*
 * options.c - parsing option values for every subcommand.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

bool cli_parse_number(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (text == NULL || *text == '\0' || *text == '-' || *text == '+' || *text == ' ')
		return false;
	errno = 0;
	v = strtoull(text, &end, strncmp(text, "0x", 2) == 0 ? 16 : 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

bool cli_parse_size(const char *text, uint64_t *out)
{
	size_t n = text != NULL ? strlen(text) : 0;
	uint64_t mult = 1, v;
	char buf[64];

	if (n == 0 || n >= sizeof buf)
		return false;
	memcpy(buf, text, n + 1);
	switch (buf[n - 1]) {
	case 'K': case 'k': mult = 1ull << 10; break;
	case 'M': case 'm': mult = 1ull << 20; break;
	case 'G': case 'g': mult = 1ull << 30; break;
	default: break;
	}
	if (mult != 1)
		buf[n - 1] = '\0';
	if (!cli_parse_number(buf, &v) || v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

uint64_t cli_number_in(const char *cmd, const char *name, const char *v, uint64_t lo, uint64_t hi)
{
	uint64_t n;

	if (!cli_parse_number(v, &n) || n < lo || n > hi)
		cli_usage_error(cmd, "%s: \"%s\" is not a number from %llu to %llu", name, v,
				(unsigned long long)lo, (unsigned long long)hi);
	return n;
}

_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mvm %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(CLI_USAGE_ERROR);
}

bool cli_take_value(int argc, char **argv, int *i, const char *name, const char **value)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return false;
	if (argv[*i][n] == '=') {
		*value = argv[*i] + n + 1;
		return true;
	}
	if (argv[*i][n] != '\0')
		return false;
	if (*i + 1 >= argc)
		cli_usage_error("", "option %s needs a value", name);
	*value = argv[++*i];
	return true;
}
