/*
 * run_page.c - the HTML page of a replay or a demo run (run_page.h).
 *
 * Everything visual goes through html.h (gnuplot draws every chart); this
 * file decides what the page says and in what order.  A chart that cannot
 * be drawn fails the whole page, so a reader never gets a page with a
 * hole where a figure should be.
 */
#include "run_page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"

#define GROUP_END ((size_t)-1)
#define GROUP_RATIO 20   /* a chart's smallest peak: at least its largest / 20 */

static uint64_t peak_of(const struct series *s, size_t col)
{
	return s->nrows == 0 ? 0 : series_get(s, series_peak_row(s, col), col);
}

/* Columns 1.. with a non-zero peak, largest peak first (ties: column order). */
static size_t sorted_columns(const struct series *s, size_t *cols, size_t *zeros)
{
	size_t n = 0, nz = 0;

	for (size_t c = 1; c < s->ncols; c++) {
		uint64_t p = peak_of(s, c);
		size_t k = n;

		if (p == 0) {
			zeros[nz++] = c;
			continue;
		}
		while (k > 0 && peak_of(s, cols[k - 1]) < p) {
			cols[k] = cols[k - 1];
			k--;
		}
		cols[k] = c;
		n++;
	}
	zeros[nz] = GROUP_END;
	return n;
}

size_t run_page_groups(const struct series *s, size_t *groups, size_t *zeros)
{
	size_t cols[SERIES_MAX_COLUMNS], n = sorted_columns(s, cols, zeros), out = 0, ngroups = 0;

	for (size_t i = 0; i < n;) {
		uint64_t head = peak_of(s, cols[i]);
		size_t taken = 0;

		while (i < n && taken < RUN_PAGE_PER_CHART &&
		       peak_of(s, cols[i]) * GROUP_RATIO >= head) {
			groups[out++] = cols[i++];
			taken++;
		}
		groups[out++] = GROUP_END;
		ngroups++;
	}
	return ngroups;
}

/* "free_frames, swap_inuse" for the columns listed in COLS up to the end mark. */
static void column_names(char *buf, size_t len, const struct series *s, const size_t *cols)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t k = 0; cols[k] != GROUP_END && used < len; k++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", k ? ", " : "",
					 s->names[cols[k]]);
}

static bool part_charts(FILE *out, const struct run_page_part *p, char *err, size_t errlen)
{
	const struct series *s = p->series;
	size_t groups[2 * SERIES_MAX_COLUMNS], zeros[SERIES_MAX_COLUMNS];
	size_t ngroups = run_page_groups(s, groups, zeros), at = 0;
	char names[1024];

	for (size_t g = 0; g < ngroups; g++) {
		struct html_chart c = {.xlabel = s->names[0], .ylabel = "value", .x = 0,
				       .ys = groups + at};

		while (groups[at + c.ny] != GROUP_END)
			c.ny++;
		column_names(names, sizeof names, s, groups + at);
		c.title = names;
		if (!html_chart(out, s, &c, err, errlen))
			return false;
		at += c.ny + 1;
	}
	if (zeros[0] != GROUP_END) {
		char line[1200];

		column_names(names, sizeof names, s, zeros);
		snprintf(line, sizeof line, "0 throughout (not drawn): %s.", names);
		html_paragraph(out, line);
	}
	return true;
}

static bool write_part(FILE *out, const struct run_page_part *p, char *err, size_t errlen)
{
	char line[1200];

	html_heading(out, p->name);
	if (p->title != NULL)
		html_paragraph(out, p->title);
	fprintf(out, "<p class=\"verdict %s\"><strong>%s</strong>: ", p->passed ? "passed" : "failed",
		p->passed ? "passed" : "FAILED");
	html_escape(out, p->verdict != NULL ? p->verdict : "");
	fputs("</p>\n", out);
	if (p->series->nrows == 0) {
		html_paragraph(out, "No figures were sampled.");
	} else {
		snprintf(line, sizeof line, "Figures over time: %zu samples of %zu figures.",
			 p->series->nrows, p->series->ncols - 1);
		html_paragraph(out, line);
		if (!part_charts(out, p, err, errlen))
			return false;
	}
	if (p->report != NULL && *p->report != '\0')
		html_pre(out, p->report);
	return true;
}

/* The options, then the command line as typed. */
static void write_run(FILE *out, const struct run_page *page)
{
	char *cmd = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&cmd, &n);

	html_heading(out, "The run");
	if (page->options != NULL)
		html_pre(out, page->options);
	if (m == NULL)
		return;
	fputs("mvm", m);
	for (int i = 0; i < page->argc; i++)
		fprintf(m, " %s", page->argv[i]);
	if (fclose(m) == 0)
		html_pre(out, cmd);
	free(cmd);
}

bool run_page_write(const char *path, const struct run_page *page, char *err, size_t errlen)
{
	FILE *out = fopen(path, "w");
	bool ok = true;

	if (out == NULL) {
		snprintf(err, errlen, "cannot write %s", path);
		return false;
	}
	html_begin(out, page->title);
	for (size_t i = 0; i < page->nparts && ok; i++)
		ok = write_part(out, &page->parts[i], err, errlen);
	write_run(out, page);
	html_end(out);
	if (fclose(out) != 0 && ok) {
		snprintf(err, errlen, "cannot write %s", path);
		ok = false;
	}
	return ok;
}
