/*
 * run_page.h - the HTML page of a run: `mvm replay --html` and
 * `mvm demo --html`.
 *
 * A run is one or more parts (the replay; or each demo scenario), each
 * with its figures over time (a series whose column 0 is the operations
 * run so far), its checker's verdict and, for a scenario, its report text.
 * The page shows, per part: the verdict, charts of every figure against
 * operations (SVG from gnuplot, through html.h), the figures that stayed
 * 0 named in one line rather than drawn as flat charts, the report; and
 * at the end the run's options and command line.
 *
 * Figures of very different sizes on one chart hide the small ones, and
 * a chart per figure buries the reader, so a part's figures are grouped:
 * largest peak first, a chart takes the next figures whose peak is at
 * least a twentieth of its largest, at most RUN_PAGE_PER_CHART of them.
 */
#ifndef MVM_REPORT_RUN_PAGE_H
#define MVM_REPORT_RUN_PAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "series.h"

#define RUN_PAGE_PER_CHART 4

struct run_page_part {
	const char *name;             /* "replay", or the scenario's name */
	const char *title;            /* a line saying what it is, or NULL */
	const struct series *series;  /* figures over time; may have no rows */
	bool passed;                  /* the verdict, shown first */
	const char *verdict;          /* the checker's words for it */
	const char *report;           /* the text report, or NULL */
};

struct run_page {
	const char *title;            /* the page's title */
	const struct run_page_part *parts;
	size_t nparts;
	const char *options;          /* the run's options, as text */
	int argc;                     /* the command line, shown verbatim */
	char **argv;
};

/* Writes the page to PATH; false with a message in ERR if it could not be
 * written or a chart could not be drawn. */
bool run_page_write(const char *path, const struct run_page *page, char *err, size_t errlen);

/* The groups of S's columns 1.. (see above): GROUPS gets the column
 * indexes, each group ended by (size_t)-1; returns the number of groups.
 * Columns that are 0 in every row are left out and listed in ZEROS
 * (ended by (size_t)-1).  GROUPS needs 2 * ncols entries, ZEROS ncols. */
size_t run_page_groups(const struct series *s, size_t *groups, size_t *zeros);

#endif
