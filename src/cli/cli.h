/*
 * cli.h - the `mvm` program: subcommands and their option parsing.
 *
 * Options are parsed into typed values with messages that name the
 * subcommand and the option and say what was expected ("mvm replay:
 * --op-cost: "x" is not a number from 0 to 1000000000"); a bad option
 * exits 2 before any work starts.  The generators' options are declared
 * and parsed in src/gen (gen_options.h); this program only dispatches.
 */
#ifndef MVM_CLI_H
#define MVM_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_USAGE_ERROR 2

/* V, the value of option NAME of `mvm CMD`, as a number from LO to HI;
 * exits 2 saying so if it is not one. */
uint64_t cli_number_in(const char *cmd, const char *name, const char *v, uint64_t lo, uint64_t hi);

/*
 * Walks ARGV for options: when ARGV[*I] is NAME (or NAME=VALUE), stores its
 * value in *VALUE and advances *I.  Exits 2 with a message if the value is
 * missing.
 */
bool cli_take_value(const char *cmd, int argc, char **argv, int *i, const char *name,
		    const char **value);
/* Exits 2 with "mvm CMD: MESSAGE" (bad input or options). */
_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Exits 1 with "mvm CMD: MESSAGE" (a failure after work started). */
_Noreturn void cli_fail(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cli_replay(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_boot(int argc, char **argv);
int cli_curve(int argc, char **argv);   /* cmd_curve.c */
/* `mvm gen block FILE [--pread]` (gen_block.c): a block trace, not a kind
 * with options. */
int cli_gen_block(int argc, char **argv);
int cli_record(int argc, char **argv);

/* Where a run's figures go besides the report: --series FILE, --html FILE. */
struct cli_outputs {
	const char *series;
	const char *html;
};
/* Options shared by replay and demo (--series and --html into *OUT);
 * returns the first operand's index. */
struct replay_opts;
int cli_replay_options(int argc, char **argv, const char *cmd, struct replay_opts *o,
		       struct cli_outputs *out);
/* Their lines of `mvm help`. */
void cli_replay_options_help(FILE *out);
/* The effective options of O, one line each, for a report. */
void cli_replay_options_text(FILE *out, const struct replay_opts *o);

#endif
