/*
 * gen_block.c - `mvm gen block FILE [--pread]`: prints the trace of a
 * published block reference trace (src/gen/gen_block.h), such as
 * ../shared/traces/lirs/cs.trace.gz, for `mvm curve`.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_block.h"

int cli_gen_block(int argc, char **argv)
{
	const char *path = NULL;
	bool pread = false;
	char err[512];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--pread") == 0)
			pread = true;
		else if (argv[i][0] == '-' && argv[i][1] != '\0')
			cli_usage_error("gen", "unknown option \"%s\" for block", argv[i]);
		else if (path == NULL)
			path = argv[i];
		else
			cli_usage_error("gen", "block: unexpected argument \"%s\"", argv[i]);
	}
	if (path == NULL)
		cli_usage_error("gen", "block: expected a FILE of block numbers (gzip or plain)");
	if (gen_block(stdout, path, pread, err, sizeof err) != 0) {
		fflush(stdout);
		fprintf(stderr, "%s\n", err);
		return CLI_USAGE_ERROR;
	}
	return fflush(stdout) == 0 ? 0 : 1;
}
