/*
 * main.c - `mvm`: the entry point, dispatching to subcommands.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "gen/gen_options.h"

static void usage(FILE *out)
{
	char kinds[256];

	fprintf(out,
		"usage: mvm COMMAND [OPTIONS]\n"
		"\n"
		"  mvm demo [--only NAME,...] [--quick] [replay options]\n"
		"                                run the scenarios and print their reports; NAME:\n"
		"                                basic, fork-server, vm-test, parallel-build,\n"
		"                                fragmentation, translator\n"
		"  mvm replay [OPTIONS] TRACE|-  run a trace and print its output lines\n"
		"  mvm gen KIND [OPTIONS]        print a generated trace; KIND:\n"
		"                                %s\n"
		"  mvm gen KIND --help           the options of KIND, with ranges and defaults\n"
		"  mvm boot [--ram SIZE] [--verify] [--check-every N] [--timeout S] TRACE|-\n"
		"                                the same on the kernel host, under qemu\n"
		"                                (anonymous memory; exit 3 on a kernel panic,\n"
		"                                4 on a timeout, 5 if qemu cannot run)\n"
		"  mvm curve TRACE [--ram FROM..TO] [--steps N] [--jobs N] [--json] [--html FILE]\n"
		"            [replay options]    the trace's page-fault curve: mvm's misses at\n"
		"                                each size beside LRU, CLOCK and OPT (CSV)\n"
		"  mvm gen block FILE [--pread]  a trace from a block reference trace (gzip or\n"
		"                                plain), for mvm curve\n"
		"  mvm record [-o FILE] [--no-relocate] -- CMD [ARGS...]\n"
		"                                run a real program under the recorder (valgrind)\n"
		"                                and write its trace (default: standard output);\n"
		"                                --no-relocate keeps its real addresses instead of\n"
		"                                moving them into native-replay's window\n"
		"  mvm help                      this text\n"
		"\n"
		"replay options (replay and demo):\n",
		gen_kind_names(kinds, sizeof kinds));
	cli_replay_options_help(out);
	fprintf(out,
		"  --series FILE          figures over time, CSV (JSON if FILE ends in .json).\n"
		"                         replay: the machine's standard figures (ops, time_us,\n"
		"                         procs, free/anon/file/table/pv/kmem frames, swap_inuse,\n"
		"                         dirty_file_pages, map_entries, faults, oom_kills), a row\n"
		"                         every --sample-every operations and one at the end.\n"
		"                         demo: every scenario in FILE: CSV with a first column\n"
		"                         `scenario` and the union of the scenarios' figures, or\n"
		"                         JSON {\"scenario\": [rows...], ...}\n"
		"  --html FILE            one self-contained page: the figures over time as\n"
		"                         charts (gnuplot SVG), the checker's verdict, the\n"
		"                         options (demo: every scenario, with its report)\n"
		"  --verify               check every output against the reference model\n"
		"  --stat                 print the `stat` report on stderr at the end\n"
		"  --swap-file PATH       keep swap in PATH (created or truncated, left after exit;\n"
		"                         default: an unlinked temporary file in $TMPDIR or /tmp)\n"
		"  --files DIR            keep the trace's files in DIR (created if missing; the\n"
		"                         files stay, holding what the trace wrote; default: unnamed\n"
		"                         temporary files in $TMPDIR or /tmp, gone at exit)\n"
		"  --dirty-max N|N%%       file pages that may be dirty at once: 1 to 4194304\n"
		"                         pages, or 1%% to 100%% of RAM (default 12%%)\n"
		"  --inject SPEC,...      fail events on purpose: KIND@N, KIND@N-M or KIND@N+ with\n"
		"                         KIND swap-read, swap-write, alloc, alloc-page, alloc-kmem,\n"
		"                         alloc-ptp, alloc-pv, alloc-boot, file-read (a data_request),\n"
		"                         file-write (a data_return) (counted from boot)\n"
		"  -v                     log reclaim, collection and OOM decisions on stderr\n"
		"\n"
		"Sizes take a K, M or G suffix; numbers may be 0x hexadecimal.\n"
		"Messages: \"mvm COMMAND: ...\" for options, files and failures of a command;\n"
		"\"FILE:LINE: ...\" for a bad trace line.\n"
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
	if (strcmp(argv[1], "boot") == 0)
		return cli_boot(argc - 1, argv + 1);
	if (strcmp(argv[1], "curve") == 0)
		return cli_curve(argc - 1, argv + 1);
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
