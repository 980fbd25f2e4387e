/*
 * inject.h - the deterministic fault-injection schedule.
 *
 * Faults are injected by counting: every event of a kind (a swap read
 * submitted, an allocation attempted at some site) is numbered from 1,
 * and a schedule says which numbers fail.  Because the simulator is
 * deterministic, event N of a kind is the same event on every run of the
 * same trace with the same options, so a failure seen once can be
 * replayed exactly, and a sweep over N visits every recovery path.
 *
 * A schedule is written as SPEC[,SPEC...] where SPEC is KIND@N (the Nth
 * event fails), KIND@N-M (events N to M) or KIND@N+ (N and every later
 * one).  Kinds are a table (inject.c); a new device adds a row and an
 * enum value here, at the end, so that the names keep their order in
 * messages.
 *
 * There is one armed schedule per process, like the machine itself: the
 * port functions that consult it (port_alloc_should_fail, port_io_submit)
 * have no context to carry one.  sim_boot installs the configured
 * schedule; unit tests may arm kinds directly.
 */
#ifndef MVM_SIM_INJECT_H
#define MVM_SIM_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mvm/port.h"

enum inject_kind {
	INJECT_SWAP_READ,    /* a read request to the swap device */
	INJECT_SWAP_WRITE,   /* a write request to the swap device */
	INJECT_ALLOC,        /* any allocation attempt by the core */
	INJECT_ALLOC_PAGE,   /* allocation attempts per site, in the order */
	INJECT_ALLOC_KMEM,   /* of enum port_alloc_site */
	INJECT_ALLOC_PTP,
	INJECT_ALLOC_PV,
	INJECT_ALLOC_BOOT,
	INJECT_FILE_READ,    /* a data_request to the file pager */
	INJECT_FILE_WRITE,   /* a data_return to the file pager */
	INJECT_KIND_COUNT
};

/* The last event of a KIND@N+ rule. */
#define INJECT_FOREVER UINT64_MAX
/* Rules one schedule holds (every SPEC of every --inject). */
#define INJECT_RULES_MAX 32

/* Events FIRST..LAST (counting from 1) of KIND fail. */
struct inject_rule {
	uint64_t first, last;
	uint8_t kind;   /* enum inject_kind */
};

/* A schedule by value, so a machine's configuration can carry one. */
struct inject_schedule {
	unsigned n;
	struct inject_rule rule[INJECT_RULES_MAX];
};

/*
 * Appends the rules of TEXT ("SPEC[,SPEC...]") to S.  On a bad SPEC
 * returns false with a message in ERR (no "--inject: " prefix) and leaves
 * S unchanged.
 */
bool inject_parse(struct inject_schedule *s, const char *text, char *err, size_t errlen);
/* "swap-read", "alloc-page", ... */
const char *inject_kind_name(enum inject_kind kind);
/* The per-site kind for an allocation at SITE. */
enum inject_kind inject_kind_of_site(enum port_alloc_site site);

/* The armed schedule: replaces it with S (NULL: none) and zeroes every count. */
void inject_install(const struct inject_schedule *s);
/* Drops KIND's rules and zeroes its counts; other kinds are untouched. */
void inject_reset_kind(enum inject_kind kind);
/* Arms one more rule; false if the armed schedule is full. */
bool inject_add(enum inject_kind kind, uint64_t first, uint64_t last);
/* Counts one event of KIND; true if the schedule says it fails. */
bool inject_event(enum inject_kind kind);
/* Events of KIND counted, and failures injected, since install or reset. */
uint64_t inject_events(enum inject_kind kind);
uint64_t inject_failures(enum inject_kind kind);

#endif
