/*
 * series_set.h - several named series in one file: `mvm demo --series FILE`.
 *
 * Each demo scenario samples its own columns; a user who asks for the
 * figures of a demo run wants one file, not one per scenario.  A set keeps
 * each scenario's series under its name and writes them together:
 *
 *   CSV   a header `scenario,` + the union of every series' columns (in
 *         order of first appearance), then every row of every series in
 *         order, with the scenario's name first and an empty cell for a
 *         column that series does not have;
 *   JSON  an object keyed by name, each value the array of that series'
 *         rows ({"column": value, ...}, a line each).
 */
#ifndef MVM_REPORT_SERIES_SET_H
#define MVM_REPORT_SERIES_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "series.h"

#define SERIES_SET_MAX 16              /* series in a set */
#define SERIES_SET_MAX_COLUMNS 128     /* distinct columns over the set */

struct series_set {
	size_t n;
	const char *names[SERIES_SET_MAX];  /* not copied: static strings */
	struct series series[SERIES_SET_MAX];
};

void series_set_init(struct series_set *set);
void series_set_free(struct series_set *set);
/* Moves *S (its rows) into the set under NAME, leaving *S empty; false
 * if the set is full (then *S is left as it was). */
bool series_set_add(struct series_set *set, const char *name, struct series *s);
/* Rows over every series of the set. */
size_t series_set_rows(const struct series_set *set);

void series_set_write_csv(const struct series_set *set, FILE *out);
void series_set_write_json(const struct series_set *set, FILE *out);
/* PATH as JSON if it ends in `.json`, else CSV; false with ERR if it
 * cannot be written. */
bool series_set_write_file(const struct series_set *set, const char *path, char *err,
			   size_t errlen);

#endif
