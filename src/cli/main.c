/*
 * main.c - `mvm`: the entry point, dispatching to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: mvm COMMAND [OPTIONS]\n"
		"\n"
		"  mvm demo [--only NAME,...] [--series FILE] [--quick] [replay options]\n"
		"                                run the scenarios and print their reports\n"
		"  mvm replay [OPTIONS] TRACE|-  run a trace and print its output lines\n"
		"  mvm gen KIND [OPTIONS]        print a generated trace; KIND: random,\n"
		"                                fork-server, vm-test, parallel-build,\n"
		"                                fragmentation, translator\n"
		"  mvm record [-o FILE] [--no-relocate] -- CMD [ARGS...]\n"
		"                                run a real program under the recorder (valgrind)\n"
		"                                and write its trace (default: standard output);\n"
		"                                --no-relocate keeps its real addresses instead of\n"
		"                                moving them into native-replay's window\n"
		"  mvm help                      this text\n"
		"\n"
		"replay options:\n"
		"  --ram SIZE          simulated RAM (default 64M; K, M, G suffixes)\n"
		"  --verify            check every output against the reference model\n"
		"  --check-every N     run the consistency checker every N operations\n"
		"  --stat              print the `stat` report on stderr at the end\n"
		"  --swap SIZE         swap device size (default 256M; 0: no swap)\n"
		"  --swap-file PATH    keep swap in PATH (created or truncated, left after exit;\n"
		"                      default: an unlinked temporary file in $TMPDIR or /tmp)\n"
		"  --swap-seek NS      seek time of a non-sequential request (default 4000000)\n"
		"  --swap-rate MBPS    transfer rate in MB/s (default 100; 0: instant)\n"
		"  --op-cost NS        simulated time each trace operation takes (default 1000)\n"
		"  --files DIR         keep the trace's files in DIR (created if missing; the files\n"
		"                      stay, holding what the trace wrote; default: unnamed\n"
		"                      temporary files in $TMPDIR or /tmp, gone at exit)\n"
		"  --dirty-max N|N%%    file pages that may be dirty at once, in pages or percent\n"
		"                      of RAM (default 12%%)\n"
		"  --pager-inflight N  data_returns in flight to the file pager at most (default 8)\n"
		"  --pager-latency NS  the file pager's service time per message (default 50000)\n"
		"  --pager-rate MBPS   the file pager's transfer rate in MB/s (default 200; 0: instant)\n"
		"  --inject SPEC,...   fail events on purpose: KIND@N, KIND@N-M or KIND@N+ with\n"
		"                      KIND swap-read, swap-write, alloc, alloc-page, alloc-kmem,\n"
		"                      alloc-ptp, alloc-pv, alloc-boot, file-read (a data_request),\n"
		"                      file-write (a data_return) (counted from boot)\n"
		"  -v                  log reclaim, collection and OOM decisions on stderr\n"
		"\n"
		"exit status: 0 ok, 1 a check or the model disagreed, 2 bad input or options\n");
}

int main(int argc, char **argv)
{
	static char outbuf[1 << 16];

	setvbuf(stdout, outbuf, _IOFBF, sizeof outbuf);
	if (argc < 2) {
		usage(stderr);
		return CLI_USAGE_ERROR;
	}
	if (strcmp(argv[1], "replay") == 0)
		return cli_replay(argc - 1, argv + 1);
	if (strcmp(argv[1], "gen") == 0)
		return cli_gen(argc - 1, argv + 1);
	if (strcmp(argv[1], "record") == 0)
		return cli_record(argc - 1, argv + 1);
	if (strcmp(argv[1], "demo") == 0)
		return cli_demo(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mvm: unknown command \"%s\"\n", argv[1]);
	usage(stderr);
	return CLI_USAGE_ERROR;
}
