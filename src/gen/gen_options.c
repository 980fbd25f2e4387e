/*
 * gen_options.c - the one parser, help printer and header writer for every
 * generator's option table (gen_options.h).
 *
 * Fields are reached by offset and width, so one parser serves parameter
 * structs of any shape: a number goes to a uint64_t or an unsigned, a flag
 * to a bool.  Parsing never stops half-way with a partial message: the
 * first bad option is reported with its accepted range, so a user sees
 * both what was wrong and what would do.  The header is written from the
 * same table in table order, one `--opt V` per option, which is why the
 * command it spells out regenerates the trace byte for byte.
 */
#include "gen_options.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- values ---- */

bool gen_parse_number(const char *text, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull accepts a sign and leading blanks, which no option means. */
	if (text == NULL || *text == '\0' || *text == '-' || *text == '+' || *text == ' ')
		return false;
	errno = 0;
	v = strtoull(text, &end, strncmp(text, "0x", 2) == 0 ? 16 : 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

bool gen_parse_size(const char *text, uint64_t *out)
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
	if (!gen_parse_number(buf, &v) || v > UINT64_MAX / mult)
		return false;
	*out = v * mult;
	return true;
}

const char *gen_size_text(uint64_t bytes, char *buf, size_t len)
{
	static const char suffix[] = "KMG";
	int u = -1;

	while (u < 2 && bytes != 0 && bytes % 1024 == 0) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, bytes);
	else
		snprintf(buf, len, "%" PRIu64 "%c", bytes, suffix[u]);
	return buf;
}

/* ---- fields ---- */

static uint64_t field_get(const struct gen_option *o, const void *params)
{
	const char *f = (const char *)params + o->offset;

	if (o->type == GEN_OPT_FLAG)
		return *(const bool *)f;
	return o->width == sizeof(unsigned) ? *(const unsigned *)f : *(const uint64_t *)f;
}

static void field_set(const struct gen_option *o, void *params, uint64_t v)
{
	char *f = (char *)params + o->offset;

	if (o->type == GEN_OPT_FLAG)
		*(bool *)f = v != 0;
	else if (o->width == sizeof(unsigned))
		*(unsigned *)f = (unsigned)v;
	else
		*(uint64_t *)f = v;
}

/* "a number from 1 to 64" or "a size from 16K to 16G". */
static const char *range_text(const struct gen_option *o, char *buf, size_t len)
{
	char lo[32], hi[32];

	if (o->type == GEN_OPT_SIZE)
		snprintf(buf, len, "a size from %s to %s", gen_size_text(o->min, lo, sizeof lo),
			 gen_size_text(o->max, hi, sizeof hi));
	else
		snprintf(buf, len, "a number from %" PRIu64 " to %" PRIu64, o->min, o->max);
	return buf;
}

/* ---- parsing ---- */

static const struct gen_option *find_option(const struct gen_kind *k, const char *arg,
					    size_t namelen)
{
	for (size_t i = 0; i < k->noptions; i++)
		if (strlen(k->options[i].name) == namelen &&
		    strncmp(k->options[i].name, arg, namelen) == 0)
			return &k->options[i];
	return NULL;
}

bool gen_option_set(const struct gen_option *o, const char *v, void *params, char *err,
		    size_t errlen)
{
	uint64_t n;
	char range[96];
	bool ok = o->type == GEN_OPT_SIZE ? gen_parse_size(v, &n) : gen_parse_number(v, &n);

	if (!ok || n < o->min || n > o->max) {
		snprintf(err, errlen, "%s: \"%s\" is not %s", o->name, v,
			 range_text(o, range, sizeof range));
		return false;
	}
	field_set(o, params, n);
	return true;
}

/* One option at ARGV[*I] (and its value after it, or after `=`). */
static bool parse_one(const struct gen_kind *k, int argc, char **argv, int *i, void *params,
		      char *err, size_t errlen)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	const struct gen_option *o = find_option(k, arg, eq ? (size_t)(eq - arg) : strlen(arg));

	if (o == NULL) {
		snprintf(err, errlen, "unknown option \"%s\" for %s (see mvm gen %s --help)", arg,
			 k->name, k->name);
		return false;
	}
	if (o->type == GEN_OPT_FLAG || o->type == GEN_OPT_PRESET) {
		if (eq != NULL) {
			snprintf(err, errlen, "%s takes no value", o->name);
			return false;
		}
		if (o->type == GEN_OPT_FLAG)
			field_set(o, params, o->flag_value);
		else
			o->preset(params);
		return true;
	}
	if (eq == NULL && *i + 1 >= argc) {
		snprintf(err, errlen, "option %s needs a value", o->name);
		return false;
	}
	return gen_option_set(o, eq != NULL ? eq + 1 : argv[++*i], params, err, errlen);
}

enum gen_parse_result gen_options_parse(const struct gen_kind *k, int argc, char **argv,
					void *params, char *err, size_t errlen)
{
	const char *why;

	k->defaults(params);
	for (int i = 0; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return GEN_HELP;
	for (int i = 0; i < argc; i++)
		if (!parse_one(k, argc, argv, &i, params, err, errlen))
			return GEN_BAD;
	if (k->validate != NULL && (why = k->validate(params)) != NULL) {
		snprintf(err, errlen, "%s", why);
		return GEN_BAD;
	}
	return GEN_PARSED;
}

/* ---- help and header ---- */

void gen_option_help(const struct gen_option *o, const void *defaults, FILE *out)
{
	char range[96], left[40], def[32];

	if (o->type == GEN_OPT_FLAG || o->type == GEN_OPT_PRESET) {
		fprintf(out, "  %-22s %s\n", o->name, o->help);
		return;
	}
	snprintf(left, sizeof left, "%s %s", o->name, o->type == GEN_OPT_SIZE ? "SIZE" : "N");
	if (o->type == GEN_OPT_SIZE)
		gen_size_text(field_get(o, defaults), def, sizeof def);
	else
		snprintf(def, sizeof def, "%" PRIu64, field_get(o, defaults));
	fprintf(out, "  %-22s %s\n  %-22s (%s; default %s)\n", left, o->help, "",
		range_text(o, range, sizeof range), def);
}

void gen_options_help(const struct gen_kind *k, FILE *out)
{
	void *defaults = calloc(1, k->params_size);

	fprintf(out, "usage: mvm gen %s [OPTIONS]\n\n%s\n\noptions:\n", k->name, k->summary);
	if (defaults == NULL)
		return;
	k->defaults(defaults);
	for (size_t i = 0; i < k->noptions; i++)
		gen_option_help(&k->options[i], defaults, out);
	fprintf(out, "\nThe trace's second line is the full command that regenerates it.\n"
		     "Sizes take a K, M or G suffix; numbers may be 0x hexadecimal.\n");
	free(defaults);
}

/* Appends " --opt V" for option O to BUF (USED bytes so far). */
static size_t command_part(const struct gen_option *o, const void *params, char *buf,
			   size_t len, size_t used)
{
	uint64_t v = field_get(o, params);
	char val[32];
	int n = 0;

	if (used >= len)
		return used;
	if (o->type == GEN_OPT_FLAG && (v != 0) == o->flag_value)
		n = snprintf(buf + used, len - used, " %s", o->name);
	else if (o->type == GEN_OPT_NUMBER)
		n = snprintf(buf + used, len - used, " %s %" PRIu64, o->name, v);
	else if (o->type == GEN_OPT_SIZE)
		n = snprintf(buf + used, len - used, " %s %s", o->name,
			     gen_size_text(v, val, sizeof val));
	return used + (n > 0 ? (size_t)n : 0);
}

const char *gen_options_command(const struct gen_kind *k, const void *params, char *buf,
				size_t len)
{
	size_t used = (size_t)snprintf(buf, len, "gen %s", k->name);

	for (size_t i = 0; i < k->noptions; i++)
		used = command_part(&k->options[i], params, buf, len, used);
	return buf;
}

void gen_options_header(const struct gen_kind *k, const void *params, FILE *out)
{
	char cmd[1024];

	fprintf(out, "mvm-trace 1\n# %s\n", gen_options_command(k, params, cmd, sizeof cmd));
}
