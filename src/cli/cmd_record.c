/*
 * cmd_record.c - `mvm record [-o FILE] [--no-relocate] -- CMD [ARGS...]`.
 *
 * Options end at `--` (or at the first word that is not an option), so
 * the program's own options are never taken for ours.  The recorder tool
 * is looked up beside the mvm binary (build/mvmrec), or in
 * $MVM_RECORD_TOOL_DIR.
 */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "record/record.h"

static const char *tool_dir(char *buf, size_t len)
{
	const char *env = getenv("MVM_RECORD_TOOL_DIR");
	if (env && *env)
		return env;
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n <= 0)
		return "mvmrec";
	self[n] = 0;
	snprintf(buf, len, "%s/mvmrec", dirname(self));
	return buf;
}

int cli_record(int argc, char **argv)
{
	struct record_opts o = {.relocate = true};
	int i = 1;
	for (; i < argc; i++) {
		const char *v;
		if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		}
		if (strcmp(argv[i], "--no-relocate") == 0) {
			o.relocate = false;
			continue;
		}
		if (cli_take_value("record", argc, argv, &i, "-o", &v)) {
			o.out = v;
			continue;
		}
		if (argv[i][0] == '-')
			cli_usage_error("record", "unknown option \"%s\"", argv[i]);
		break;
	}
	if (i >= argc)
		cli_usage_error("record", "expected a program to run: mvm record [-o FILE] "
					  "[--no-relocate] -- CMD [ARGS...]");
	o.argv = argv + i;
	char buf[PATH_MAX + 16];
	o.tool_dir = tool_dir(buf, sizeof buf);
	return record_run(&o);
}
