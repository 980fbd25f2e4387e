/*
 * gen_options.h - a generator's options as a table, read by one parser.
 *
 * Every generator (gen_<kind>.c) declares a `struct gen_kind`: its name,
 * its parameter struct (size, defaults), and a table with one row per
 * option saying the option's name, its type, the field it sets (offset
 * and width), the range it accepts and a line of help.  From that table
 * alone this module
 *
 *   - parses `mvm gen KIND [OPTIONS]` (range-checked, with a message that
 *     names the option and its range),
 *   - prints `mvm gen KIND --help`,
 *   - writes the trace's header, `# gen KIND --opt V ...` with the value of
 *     every option, so that running that command line regenerates the
 *     same bytes (the test suite does it for every kind).
 *
 * So adding an option is one table row: its parsing, its range, its help
 * and its place in the header cannot drift apart, and the program (src/cli)
 * only dispatches.
 *
 * Values: numbers are decimal or 0x hexadecimal; sizes are numbers with an
 * optional K, M or G suffix (binary).  The same syntax serves every mvm
 * option, so the program parses its own options with gen_parse_number and
 * gen_parse_size too.
 */
#ifndef MVM_GEN_OPTIONS_H
#define MVM_GEN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum gen_opt_type {
	GEN_OPT_NUMBER,  /* a number in [min, max] */
	GEN_OPT_SIZE,    /* a size in bytes in [min, max]; the header shows it
	                  * with the largest exact suffix ("64M") */
	GEN_OPT_FLAG,    /* no value: sets a bool to flag_value; the header
	                  * shows the flag when the bool holds flag_value, so
	                  * the default must be !flag_value */
	GEN_OPT_PRESET,  /* no value: applies preset() to the parameters (a set
	                  * of sizes, like --quick); never in the header, which
	                  * spells out every value instead */
};

struct gen_option {
	const char *name;          /* "--seed" */
	enum gen_opt_type type;
	size_t offset;             /* of the field in the kind's parameter struct */
	size_t width;              /* sizeof the field: 4 or 8 (numbers, sizes), bool */
	uint64_t min, max;         /* numbers and sizes */
	bool flag_value;           /* flags */
	void (*preset)(void *params);  /* presets */
	const char *help;          /* one line, for --help */
};

/* Table rows: a number or size field F of struct T, in [LO, HI]. */
#define GEN_OPT_NUM(NAME, T, F, LO, HI, HELP) \
	{NAME, GEN_OPT_NUMBER, offsetof(T, F), sizeof(((T *)0)->F), LO, HI, false, NULL, HELP}
#define GEN_OPT_BYTES(NAME, T, F, LO, HI, HELP) \
	{NAME, GEN_OPT_SIZE, offsetof(T, F), sizeof(((T *)0)->F), LO, HI, false, NULL, HELP}
#define GEN_OPT_BOOL(NAME, T, F, VALUE, HELP) \
	{NAME, GEN_OPT_FLAG, offsetof(T, F), sizeof(((T *)0)->F), 0, 1, VALUE, NULL, HELP}
#define GEN_OPT_PRESET_OF(NAME, FN, HELP) \
	{NAME, GEN_OPT_PRESET, 0, 0, 0, 0, false, FN, HELP}

struct gen_kind {
	const char *name;          /* "fork-server" */
	const char *summary;       /* one line: what the trace is */
	const struct gen_option *options;
	size_t noptions;
	size_t params_size;        /* sizeof the parameter struct */
	void (*defaults)(void *params);
	/* Limits that tie options together; NULL if the values fit, else
	 * the message.  NULL: none. */
	const char *(*validate)(const void *params);
	/* Writes the trace; 0, or -1 on a write error. */
	int (*generate)(FILE *out, const void *params);
};

/*
 * Defines `const struct gen_kind VAR` for a generator with parameter
 * struct T, option table OPTIONS, DEFAULTS(T *) and GENERATE(FILE *,
 * const T *); VALIDATE is NULL or as in struct gen_kind.  The typed
 * functions are wrapped here once, not by hand in every generator.
 */
#define GEN_KIND_DEFINE(VAR, NAME, SUMMARY, T, OPTIONS, DEFAULTS, GENERATE, VALIDATE)   \
	static void VAR##_defaults(void *p) { DEFAULTS((T *)p); }                       \
	static int VAR##_generate(FILE *out, const void *p)                             \
	{                                                                               \
		return GENERATE(out, (const T *)p);                                     \
	}                                                                               \
	const struct gen_kind VAR = {                                                   \
		.name = NAME, .summary = SUMMARY, .options = OPTIONS,                   \
		.noptions = sizeof OPTIONS / sizeof OPTIONS[0], .params_size = sizeof(T), \
		.defaults = VAR##_defaults, .validate = VALIDATE, .generate = VAR##_generate, \
	}

/* The kinds, in the order `mvm help` lists them. */
extern const struct gen_kind gen_random_kind, gen_fork_server_kind, gen_vm_test_kind,
	gen_parallel_build_kind, gen_fragmentation_kind, gen_translator_kind;
extern const struct gen_kind *const gen_kinds[];
extern const size_t gen_nkinds;
/* The kind called NAME, or NULL. */
const struct gen_kind *gen_kind_find(const char *name);
/* "random, fork-server, ..." into BUF. */
const char *gen_kind_names(char *buf, size_t len);

/* A decimal or 0x number that fits in 64 bits. */
bool gen_parse_number(const char *text, uint64_t *out);
/* A number with an optional K, M or G suffix (either case). */
bool gen_parse_size(const char *text, uint64_t *out);
/* BYTES as a size option takes it: "64M", "384K", "100". */
const char *gen_size_text(uint64_t bytes, char *buf, size_t len);

enum gen_parse_result { GEN_PARSED, GEN_HELP, GEN_BAD };
/*
 * Parses the options ARGV[0..ARGC) of kind K into PARAMS (K's defaults
 * first, then each option in order).  GEN_HELP if one is --help or -h;
 * GEN_BAD with the reason in ERR ("--forks: "x" is not a number from 0 to
 * 100000000") if one is unknown, lacks its value or is out of range.
 */
enum gen_parse_result gen_options_parse(const struct gen_kind *k, int argc, char **argv,
					void *params, char *err, size_t errlen);
/*
 * One option's pieces, for a program that reads its own options from a
 * table of the same rows (mvm replay): V as option O's value into PARAMS
 * (false with the reason in ERR if it is not in O's range), and O's help
 * line with its range and its value in DEFAULTS.
 */
bool gen_option_set(const struct gen_option *o, const char *v, void *params, char *err,
		    size_t errlen);
void gen_option_help(const struct gen_option *o, const void *defaults, FILE *out);
/* `mvm gen KIND --help`: usage, summary, each option with its range and default. */
void gen_options_help(const struct gen_kind *k, FILE *out);
/* "gen KIND --opt V ..." with every option's value in PARAMS, into BUF. */
const char *gen_options_command(const struct gen_kind *k, const void *params, char *buf,
				size_t len);
/* The trace's first lines: "mvm-trace 1" and "# " + gen_options_command. */
void gen_options_header(const struct gen_kind *k, const void *params, FILE *out);

#endif
