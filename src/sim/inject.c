/*
 * inject.c - the fault-injection schedule: parsing, arming, counting.
 *
 * The armed schedule is a short list of rules (kind, first, last); an
 * event is checked against every rule of its kind.  A linear scan is the
 * right structure: a schedule has a handful of rules, and the check runs
 * once per allocation or I/O, beside work that costs far more.
 *
 * Counting is per kind and starts at install (machine boot) or at a
 * kind's reset, so "alloc-page@3" means the third frame the core asks
 * for after boot, whatever else happened before.
 */
#include "inject.h"

#include <stdio.h>
#include <string.h>

/* Names, in enum order: the table a new kind is added to. */
static const char *const inject_names[INJECT_KIND_COUNT] = {
	[INJECT_SWAP_READ] = "swap-read",
	[INJECT_SWAP_WRITE] = "swap-write",
	[INJECT_ALLOC] = "alloc",
	[INJECT_ALLOC_PAGE] = "alloc-page",
	[INJECT_ALLOC_KMEM] = "alloc-kmem",
	[INJECT_ALLOC_PTP] = "alloc-ptp",
	[INJECT_ALLOC_PV] = "alloc-pv",
	[INJECT_ALLOC_BOOT] = "alloc-boot",
	[INJECT_FILE_READ] = "file-read",
	[INJECT_FILE_WRITE] = "file-write",
};

_Static_assert(INJECT_ALLOC_BOOT - INJECT_ALLOC_PAGE == PORT_SITE_BOOT - PORT_SITE_PAGE &&
		       INJECT_ALLOC_BOOT - INJECT_ALLOC_PAGE + 1 == PORT_SITE_COUNT,
	       "per-site injection kinds follow enum port_alloc_site");

static struct inject_schedule inject_armed;
static uint64_t inject_seen[INJECT_KIND_COUNT];
static uint64_t inject_failed[INJECT_KIND_COUNT];

const char *inject_kind_name(enum inject_kind kind)
{
	return kind < INJECT_KIND_COUNT ? inject_names[kind] : "?";
}

enum inject_kind inject_kind_of_site(enum port_alloc_site site)
{
	return (enum inject_kind)(INJECT_ALLOC_PAGE + (int)site);
}

static bool kind_lookup(const char *name, size_t len, enum inject_kind *kind)
{
	for (int k = 0; k < INJECT_KIND_COUNT; k++) {
		if (strlen(inject_names[k]) == len && memcmp(inject_names[k], name, len) == 0) {
			*kind = (enum inject_kind)k;
			return true;
		}
	}
	return false;
}

/* Decimal digits at *P (at least one, no overflow); advances *P. */
static bool parse_count(const char **p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	const char *q = *p;

	if (q == end || *q < '0' || *q > '9')
		return false;
	for (; q < end && *q >= '0' && *q <= '9'; q++) {
		uint64_t digit = (uint64_t)(*q - '0');

		if (v > (UINT64_MAX - digit) / 10)
			return false;
		v = v * 10 + digit;
	}
	*p = q;
	*out = v;
	return true;
}

static void known_kinds(char *buf, size_t len)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (int k = 0; k < INJECT_KIND_COUNT && pos < len; k++)
		pos += (size_t)snprintf(buf + pos, len - pos, "%s%s", k ? ", " : "", inject_names[k]);
}

/* "N", "N-M" or "N+" from P to END into R. */
static bool parse_range(const char *p, const char *end, struct inject_rule *r)
{
	if (!parse_count(&p, end, &r->first))
		return false;
	r->last = r->first;
	if (p < end && *p == '+') {
		r->last = INJECT_FOREVER;
		p++;
	} else if (p < end && *p == '-') {
		p++;
		if (!parse_count(&p, end, &r->last))
			return false;
	}
	return p == end;
}

/* One SPEC, from P to END. */
static bool parse_spec(const char *p, const char *end, struct inject_rule *r, char *err,
		       size_t errlen)
{
	const char *at = memchr(p, '@', (size_t)(end - p));
	int len = (int)(end - p);
	enum inject_kind kind;

	if (at != NULL && !kind_lookup(p, (size_t)(at - p), &kind)) {
		char known[256];

		known_kinds(known, sizeof known);
		snprintf(err, errlen, "unknown kind \"%.*s\" (known: %s)", (int)(at - p), p, known);
		return false;
	}
	if (at == NULL || !parse_range(at + 1, end, r)) {
		snprintf(err, errlen, "\"%.*s\": expected KIND@N, KIND@N-M or KIND@N+", len, p);
		return false;
	}
	r->kind = (uint8_t)kind;
	if (r->first == 0) {
		snprintf(err, errlen, "\"%.*s\": events count from 1", len, p);
		return false;
	}
	if (r->last < r->first) {
		snprintf(err, errlen, "\"%.*s\": the range is empty", len, p);
		return false;
	}
	return true;
}

bool inject_parse(struct inject_schedule *s, const char *text, char *err, size_t errlen)
{
	struct inject_schedule next = *s;
	const char *p = text;

	for (;;) {
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);

		if (next.n == INJECT_RULES_MAX) {
			snprintf(err, errlen, "more than %d rules", INJECT_RULES_MAX);
			return false;
		}
		if (!parse_spec(p, end, &next.rule[next.n], err, errlen))
			return false;
		next.n++;
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	*s = next;
	return true;
}

void inject_install(const struct inject_schedule *s)
{
	inject_armed = s != NULL ? *s : (struct inject_schedule){0};
	memset(inject_seen, 0, sizeof inject_seen);
	memset(inject_failed, 0, sizeof inject_failed);
}

void inject_reset_kind(enum inject_kind kind)
{
	unsigned kept = 0;

	for (unsigned i = 0; i < inject_armed.n; i++)
		if (inject_armed.rule[i].kind != kind)
			inject_armed.rule[kept++] = inject_armed.rule[i];
	inject_armed.n = kept;
	inject_seen[kind] = 0;
	inject_failed[kind] = 0;
}

bool inject_add(enum inject_kind kind, uint64_t first, uint64_t last)
{
	if (inject_armed.n == INJECT_RULES_MAX)
		return false;
	inject_armed.rule[inject_armed.n++] =
		(struct inject_rule){.first = first, .last = last, .kind = (uint8_t)kind};
	return true;
}

bool inject_event(enum inject_kind kind)
{
	uint64_t n = ++inject_seen[kind];

	for (unsigned i = 0; i < inject_armed.n; i++) {
		const struct inject_rule *r = &inject_armed.rule[i];

		if (r->kind == kind && n >= r->first && n <= r->last) {
			inject_failed[kind]++;
			return true;
		}
	}
	return false;
}

uint64_t inject_events(enum inject_kind kind)
{
	return inject_seen[kind];
}

uint64_t inject_failures(enum inject_kind kind)
{
	return inject_failed[kind];
}
