/*
 * options.c - option values for every subcommand, and how mvm reports a
 * bad one.
 *
 * The value syntax (numbers, sizes with K/M/G) is the generators' own
 * (src/gen/gen_options.c), so that `mvm gen`, `mvm replay` and `mvm demo`
 * read a value the same way.  Every message the program prints on
 * standard error starts with "mvm CMD: ", CMD the subcommand; a bad
 * option exits 2 before any work starts, a failure once work started
 * exits 1.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_options.h"

uint64_t cli_number_in(const char *cmd, const char *name, const char *v, uint64_t lo, uint64_t hi)
{
	uint64_t n;

	if (!gen_parse_number(v, &n) || n < lo || n > hi)
		cli_usage_error(cmd, "%s: \"%s\" is not a number from %" PRIu64 " to %" PRIu64, name,
				v, lo, hi);
	return n;
}

static void vmessage(const char *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "mvm %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	exit(CLI_USAGE_ERROR);
}

_Noreturn void cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	exit(1);
}

bool cli_take_value(const char *cmd, int argc, char **argv, int *i, const char *name,
		    const char **value)
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
		cli_usage_error(cmd, "option %s needs a value", name);
	*value = argv[++*i];
	return true;
}
