/*
 * cli.h - the `mvm` program: subcommands and their option parsing.
 *
 * Options are parsed by hand into typed values with messages that name
 * the option and say what was expected; a bad option exits 2 before any
 * work starts.
 */
#ifndef MVM_CLI_H
#define MVM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_USAGE_ERROR 2

/* A size with an optional K, M or G suffix ("64M"). */
bool cli_parse_size(const char *text, uint64_t *out);
/* A decimal or 0x number. */
bool cli_parse_number(const char *text, uint64_t *out);
/* V, the value of option NAME of `mvm CMD`, as a number from LO to HI;
 * exits 2 saying so if it is not one. */
uint64_t cli_number_in(const char *cmd, const char *name, const char *v, uint64_t lo, uint64_t hi);

/*
 * Walks ARGV for options: when ARGV[*I] is NAME (or NAME=VALUE), stores its
 * value in *VALUE and advances *I.  Exits 2 with a message if the value is
 * missing.
 */
bool cli_take_value(int argc, char **argv, int *i, const char *name, const char **value);
/* Exits 2 with "mvm CMD: MESSAGE". */
_Noreturn void cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int cli_replay(int argc, char **argv);
int cli_gen(int argc, char **argv);
int cli_demo(int argc, char **argv);
int cli_record(int argc, char **argv);

/* Options shared by replay and demo; returns the first operand's index. */
struct replay_opts;
int cli_replay_options(int argc, char **argv, const char *cmd, struct replay_opts *o);

/* `mvm gen KIND`: one function per kind, each in src/cli/gen_<kind>.c;
 * ARGV[0] is the kind. */
int cli_gen_fork_server(int argc, char **argv);
int cli_gen_vm_test(int argc, char **argv);
int cli_gen_parallel_build(int argc, char **argv);
int cli_gen_fragmentation(int argc, char **argv);
int cli_gen_translator(int argc, char **argv);

#endif
