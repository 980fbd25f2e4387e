/*
 * series.c - figures over time: storage, the text chart, CSV and JSON.
 *
 * Rows live in one growing array of cells (doubling), so a sample costs
 * an amortised copy of a few words: the replay may sample thousands of
 * times.  The chart is computed in two passes over the rows: one for the
 * ranges of x and y, one that drops each row into its text column keeping
 * the largest y; then each text row is printed from the top.  Lines carry
 * no trailing blanks, so reports diff cleanly.
 */
#include "series.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void series_init(struct series *s, const char *const *names, size_t ncols)
{
	*s = (struct series){.ncols = ncols < SERIES_MAX_COLUMNS ? ncols : SERIES_MAX_COLUMNS};
	for (size_t c = 0; c < s->ncols; c++)
		s->names[c] = names[c];
}

void series_free(struct series *s)
{
	free(s->cells);
	s->cells = NULL;
	s->nrows = s->cap = 0;
}

bool series_add(struct series *s, const uint64_t *row)
{
	if (s->nrows == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		uint64_t *cells = realloc(s->cells, cap * s->ncols * sizeof *cells);

		if (cells == NULL)
			return false;
		s->cells = cells;
		s->cap = cap;
	}
	memcpy(s->cells + s->nrows * s->ncols, row, s->ncols * sizeof *row);
	s->nrows++;
	return true;
}

uint64_t series_get(const struct series *s, size_t row, size_t col)
{
	return s->cells[row * s->ncols + col];
}

int series_column(const struct series *s, const char *name)
{
	for (size_t c = 0; c < s->ncols; c++)
		if (strcmp(s->names[c], name) == 0)
			return (int)c;
	return -1;
}

size_t series_peak_row(const struct series *s, size_t col)
{
	size_t best = 0;

	for (size_t r = 1; r < s->nrows; r++)
		if (series_get(s, r, col) > series_get(s, best, col))
			best = r;
	return best;
}

/* ---- the chart ---- */

struct chart {
	unsigned width, height;
	const char *prefix;
	uint64_t xmin, xmax, ymin, ymax;
	size_t peak;          /* the peak's text column */
	uint64_t *top;        /* per text column: the largest y, or... */
	bool *filled;         /* ...nothing yet (before the first row) */
};

static void chart_ranges(struct chart *ch, const struct series *s, size_t x, size_t y)
{
	ch->xmin = ch->xmax = series_get(s, 0, x);
	ch->ymin = ch->ymax = series_get(s, 0, y);
	for (size_t r = 1; r < s->nrows; r++) {
		uint64_t xv = series_get(s, r, x), yv = series_get(s, r, y);

		ch->xmin = xv < ch->xmin ? xv : ch->xmin;
		ch->xmax = xv > ch->xmax ? xv : ch->xmax;
		ch->ymin = yv < ch->ymin ? yv : ch->ymin;
		ch->ymax = yv > ch->ymax ? yv : ch->ymax;
	}
}

/* A * NUM / DEN without overflow for NUM small (NUM * DEN < 2^64). */
static uint64_t scale(uint64_t a, uint64_t num, uint64_t den)
{
	return a / den * num + a % den * num / den;
}

static size_t chart_column(const struct chart *ch, uint64_t xv)
{
	if (ch->xmax == ch->xmin)
		return 0;
	return (size_t)scale(xv - ch->xmin, ch->width - 1, ch->xmax - ch->xmin);
}

/* Each row into its text column; empty columns hold the one before. */
static void chart_bin(struct chart *ch, const struct series *s, size_t x, size_t y)
{
	for (size_t r = 0; r < s->nrows; r++) {
		size_t c = chart_column(ch, series_get(s, r, x));
		uint64_t yv = series_get(s, r, y);

		if (!ch->filled[c] || yv > ch->top[c])
			ch->top[c] = yv;
		ch->filled[c] = true;
	}
	for (size_t c = 1; c < ch->width; c++) {
		if (!ch->filled[c] && ch->filled[c - 1]) {
			ch->top[c] = ch->top[c - 1];
			ch->filled[c] = true;
		}
	}
	ch->peak = chart_column(ch, series_get(s, series_peak_row(s, y), x));
}

/* Bar height of Y: 1 at the minimum, HEIGHT at the maximum, rounded. */
static unsigned chart_level(const struct chart *ch, uint64_t yv)
{
	uint64_t span = ch->ymax - ch->ymin;
	double frac;

	if (yv < ch->ymin)
		return 0;   /* below a fixed range: no bar */
	if (yv > ch->ymax)
		yv = ch->ymax;
	if (span == 0)
		return 1;
	frac = (double)(yv - ch->ymin) / (double)span;
	return 1 + (unsigned)(frac * (ch->height - 1) + 0.5);
}

static void put_trimmed(const struct chart *ch, char *line, FILE *out)
{
	size_t n = strlen(line);

	while (n > 0 && line[n - 1] == ' ')
		line[--n] = '\0';
	fprintf(out, "%s%s\n", ch->prefix, line);
}

static void chart_rows(const struct chart *ch, int label_width, FILE *out)
{
	char label[32], *line = malloc((size_t)label_width + ch->width + 8);

	if (line == NULL)
		return;
	for (unsigned row = ch->height; row >= 1; row--) {
		size_t n;

		label[0] = '\0';
		if (row == ch->height && ch->ymax != ch->ymin)
			snprintf(label, sizeof label, "%" PRIu64, ch->ymax);
		else if (row == 1)
			snprintf(label, sizeof label, "%" PRIu64, ch->ymin);
		n = (size_t)sprintf(line, "%*s |", label_width, label);
		for (size_t c = 0; c < ch->width; c++) {
			unsigned level = ch->filled[c] ? chart_level(ch, ch->top[c]) : 0;

			line[n++] = level < row ? ' ' : c == ch->peak && level == row ? '*' : '#';
		}
		line[n] = '\0';
		put_trimmed(ch, line, out);
	}
	free(line);
}

static void chart_axis(const struct chart *ch, int label_width, const char *xname, FILE *out)
{
	char left[32], right[96];
	int pad;

	fprintf(out, "%s%*s +", ch->prefix, label_width, "");
	for (unsigned c = 0; c < ch->width; c++)
		fputc('-', out);
	fputc('\n', out);
	snprintf(left, sizeof left, "%" PRIu64, ch->xmin);
	snprintf(right, sizeof right, "%s %" PRIu64, xname, ch->xmax);
	pad = (int)ch->width - (int)strlen(left) - (int)strlen(right);
	fprintf(out, "%s%*s  %s%*s%s\n", ch->prefix, label_width, "", left, pad > 1 ? pad : 1, "",
		right);
}

static void chart_style(struct chart *ch, const struct series_chart_style *style)
{
	struct series_chart_style st = style != NULL ? *style : (struct series_chart_style){0};

	ch->width = st.width == 0 ? SERIES_CHART_WIDTH : st.width < 2 ? 2 : st.width;
	ch->height = st.height == 0 ? SERIES_CHART_HEIGHT : st.height < 2 ? 2 : st.height;
	ch->prefix = st.prefix != NULL ? st.prefix : "";
}

void series_chart(const struct series *s, size_t x, size_t y,
		  const struct series_chart_style *style, FILE *out)
{
	struct chart ch = {0};
	char big[32];
	int label_width;
	size_t peak;

	if (s->nrows == 0)
		return;
	chart_style(&ch, style);
	ch.top = calloc(ch.width, sizeof *ch.top);
	ch.filled = calloc(ch.width, sizeof *ch.filled);
	if (ch.top != NULL && ch.filled != NULL) {
		chart_ranges(&ch, s, x, y);
		if (style != NULL && style->fixed_y && style->y_lo < style->y_hi) {
			ch.ymin = style->y_lo;
			ch.ymax = style->y_hi;
		}
		chart_bin(&ch, s, x, y);
		label_width = snprintf(big, sizeof big, "%" PRIu64, ch.ymax);
		fprintf(out, "%s%s\n", ch.prefix, s->names[y]);
		chart_rows(&ch, label_width, out);
		chart_axis(&ch, label_width, s->names[x], out);
		peak = series_peak_row(s, y);
		fprintf(out, "%speak %" PRIu64 " at %s %" PRIu64 "\n", ch.prefix, series_get(s, peak, y),
			s->names[x], series_get(s, peak, x));
	}
	free(ch.top);
	free(ch.filled);
}

/* ---- files ---- */

void series_write_csv(const struct series *s, FILE *out)
{
	for (size_t c = 0; c < s->ncols; c++)
		fprintf(out, "%s%s", c ? "," : "", s->names[c]);
	fputc('\n', out);
	for (size_t r = 0; r < s->nrows; r++) {
		for (size_t c = 0; c < s->ncols; c++)
			fprintf(out, "%s%" PRIu64, c ? "," : "", series_get(s, r, c));
		fputc('\n', out);
	}
}

static void json_string(const char *str, FILE *out)
{
	fputc('"', out);
	for (const char *p = str; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', out);
		if ((unsigned char)*p < 0x20)
			fprintf(out, "\\u%04x", (unsigned char)*p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void series_write_json_rows(const struct series *s, FILE *out)
{
	for (size_t r = 0; r < s->nrows; r++) {
		fputc('{', out);
		for (size_t c = 0; c < s->ncols; c++) {
			if (c)
				fputs(", ", out);
			json_string(s->names[c], out);
			fprintf(out, ": %" PRIu64, series_get(s, r, c));
		}
		fputs(r + 1 < s->nrows ? "},\n" : "}\n", out);
	}
}

void series_write_json(const struct series *s, FILE *out)
{
	fputs("[\n", out);
	series_write_json_rows(s, out);
	fputs("]\n", out);
}

bool series_path_is_json(const char *path)
{
	size_t n = strlen(path);

	return n >= 5 && strcasecmp(path + n - 5, ".json") == 0;
}

static void write_one(const void *what, bool json, FILE *out)
{
	if (json)
		series_write_json(what, out);
	else
		series_write_csv(what, out);
}

bool series_write_file(const struct series *s, const char *path, char *err, size_t errlen)
{
	return series_write_with(path, write_one, s, err, errlen);
}

bool series_write_with(const char *path, void (*write)(const void *what, bool json, FILE *out),
		       const void *what, char *err, size_t errlen)
{
	FILE *f = fopen(path, "w");
	bool ok;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return false;
	}
	write(what, series_path_is_json(path), f);
	ok = !ferror(f);
	ok = fclose(f) == 0 && ok;
	if (!ok)
		snprintf(err, errlen, "%s: write failed: %s", path, strerror(errno));
	return ok;
}
