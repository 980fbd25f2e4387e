/*
 * html.h - one self-contained HTML page of figures: charts, tables, text.
 *
 * For `mvm curve --html` (and any other command that wants a page: it
 * lives here so that replay and demo can call it too).  Charts are real
 * SVG drawn by gnuplot (Debian's gnuplot-nox, installed by scripts/deps)
 * from a series (series.h), inlined into the page so that it needs no
 * other file and no network; nothing here draws a chart by hand.
 *
 * Each chart is a <figure class="chart"> whose data-series attribute
 * names its series and data-points gives their rows; inside, gnuplot's
 * SVG holds one <g id="gnuplot_plot_K"> per series, titled by its name.
 * Tests rely on that shape.
 */
#ifndef MVM_REPORT_HTML_H
#define MVM_REPORT_HTML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "series.h"

struct html_chart {
	const char *title, *xlabel, *ylabel;
	size_t x;              /* the x column of the series */
	const size_t *ys;      /* the columns drawn, one line each */
	size_t ny;
};

/* The page's head and title (escaped); html_end closes it. */
void html_begin(FILE *out, const char *title);
void html_end(FILE *out);
void html_heading(FILE *out, const char *text);
void html_paragraph(FILE *out, const char *text);
/* Preformatted text, such as the run's command line and options. */
void html_pre(FILE *out, const char *text);
/* Every row of S as a table. */
void html_table(FILE *out, const struct series *s);
/* C's columns of S drawn by gnuplot.  False with a message in ERR if
 * gnuplot could not be run or drew nothing. */
bool html_chart(FILE *out, const struct series *s, const struct html_chart *c,
		char *err, size_t errlen);
/* TEXT with <, >, &, " and ' escaped. */
void html_escape(FILE *out, const char *text);

#endif
