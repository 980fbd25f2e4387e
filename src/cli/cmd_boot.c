/*
 * cmd_boot.c - `mvm boot [OPTIONS] TRACE|-`: the trace on the kernel host
 * under qemu (boot_qemu.c), with replay's output and exit statuses.
 */
#include <stdio.h>
#include <string.h>

#include "boot_qemu.h"
#include "cli.h"
#include "gen/gen_options.h"
#include "model/verify.h"
#include "sim/replay.h"

static void refuse(const char *opt)
{
	cli_usage_error("boot", "%s: the kernel has no swap device or files yet (use mvm replay)",
			opt);
}

int cli_boot(int argc, char **argv)
{
	struct boot_opts o = {.ram_bytes = 64ull << 20, .timeout_s = 60};
	const char *v;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] != '\0'; i++) {
		if (cli_take_value("boot", argc, argv, &i, "--ram", &v)) {
			if (!gen_parse_size(v, &o.ram_bytes) || o.ram_bytes < (256u << 10) ||
			    o.ram_bytes > (1ull << 30))
				cli_usage_error("boot", "--ram: \"%s\" is not a size from 256K to 1G", v);
		} else if (cli_take_value("boot", argc, argv, &i, "--check-every", &v)) {
			o.check_every = cli_number_in("boot", "--check-every", v, 0, 1000000000);
		} else if (cli_take_value("boot", argc, argv, &i, "--timeout", &v)) {
			o.timeout_s = cli_number_in("boot", "--timeout", v, 1, 86400);
		} else if (cli_take_value("boot", argc, argv, &i, "--inject-panic", &v)) {
			o.panic_at = cli_number_in("boot", "--inject-panic", v, 1, UINT64_MAX);
		} else if (cli_take_value("boot", argc, argv, &i, "--kernel", &v)) {
			o.kernel = v;
		} else if (cli_take_value("boot", argc, argv, &i, "--swap", &v)) {
			if (strcmp(v, "0") != 0)
				refuse("--swap");
		} else if (cli_take_value("boot", argc, argv, &i, "--files", &v)) {
			refuse("--files");
		} else if (strcmp(argv[i], "--inject-stale-tlb") == 0) {
			o.stale_tlb = true;
		} else if (strcmp(argv[i], "--verify") == 0) {
			o.oracle = &model_oracle;
		} else if (strcmp(argv[i], "-v") == 0) {
			o.verbose++;
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			cli_usage_error("boot", "unknown option \"%s\"", argv[i]);
		}
	}
	if (i != argc - 1)
		cli_usage_error("boot", "expected one TRACE (a file, or - for standard input)");
	return boot_run(argv[i], &o);
}
