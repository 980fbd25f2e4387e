/*
 * series.h - figures over time: a table of named uint64 columns, one row
 * per sample, shown as a small text chart or written as CSV or JSON.
 *
 * The replay samples the machine every so many operations (replay_opts'
 * `sample` hook); each sample becomes a row.  Column 0 is conventionally
 * the x axis (operations so far), but nothing here depends on it: the
 * chart takes the x and y columns by index.
 *
 * A chart is a bar per text column, WIDTH columns wide and HEIGHT rows
 * high.  Rows are grouped into the text columns by their x value, and
 * each text column shows the largest y of its group, so a short peak is
 * never averaged away; a text column no row falls into repeats the one
 * before it (the figure held until the next sample).  The y axis is
 * labelled with the smallest and largest y, the x axis with the first and
 * last x and the x column's name, and the peak's bar ends in `*`:
 *
 *   swap_inuse
 *   120 |    *
 *       |   ####
 *       |  #####
 *     0 |#########
 *       +---------
 *        0 ops 800
 *   peak 120 at ops 400
 *
 * (the exact layout is pinned by tests/unit/test_series.c).
 */
#ifndef MVM_SIM_SERIES_H
#define MVM_SIM_SERIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SERIES_MAX_COLUMNS 16

struct series {
	const char *names[SERIES_MAX_COLUMNS]; /* not copied: static strings */
	size_t ncols;
	size_t nrows;
	size_t cap;        /* rows the cells can hold */
	uint64_t *cells;   /* nrows * ncols values, row after row */
};

/* Sets up an empty series with NCOLS (1..SERIES_MAX_COLUMNS) columns. */
void series_init(struct series *s, const char *const *names, size_t ncols);
void series_free(struct series *s);
/* Appends a row of ncols values; false if memory ran out (the row is lost). */
bool series_add(struct series *s, const uint64_t *row);
uint64_t series_get(const struct series *s, size_t row, size_t col);
/* The column called NAME, or -1. */
int series_column(const struct series *s, const char *name);
/* The first row holding the largest value of COL (0 if empty). */
size_t series_peak_row(const struct series *s, size_t col);

/* How a chart looks; zeroed fields take the defaults. */
struct series_chart_style {
	unsigned width;      /* text columns of bars (default 60) */
	unsigned height;     /* text rows of bars (default 10) */
	const char *prefix;  /* put before every line, e.g. "# " (default none) */
	/* A fixed y range instead of the data's: bars start at Y_LO (a value
	 * at or below it draws one row... none if below) and the top row is
	 * Y_HI (values above it are cut there).  For a figure that varies a
	 * little far from 0, or is to be seen against a bound. */
	bool fixed_y;
	uint64_t y_lo, y_hi;
};
#define SERIES_CHART_WIDTH 60
#define SERIES_CHART_HEIGHT 10

/* The chart of column Y against column X (see above); nothing if empty.
 * STYLE may be NULL. */
void series_chart(const struct series *s, size_t x, size_t y,
		  const struct series_chart_style *style, FILE *out);

/* CSV: a header of the column names, then one line per row. */
void series_write_csv(const struct series *s, FILE *out);
/* JSON: an array with one object per row, {"name": value, ...}, a line each. */
void series_write_json(const struct series *s, FILE *out);
/* The rows of the JSON form alone, a line each (for a file of several). */
void series_write_json_rows(const struct series *s, FILE *out);
/* Writes PATH as JSON if it ends in `.json` (any case), else as CSV.
 * False with a message in ERR if PATH cannot be written. */
bool series_write_file(const struct series *s, const char *path, char *err, size_t errlen);
/* Whether PATH names a JSON file (ends in `.json`, any case). */
bool series_path_is_json(const char *path);
/* Opens PATH, has WRITE write WHAT to it (JSON if series_path_is_json),
 * closes it; false with a message in ERR on any failure. */
bool series_write_with(const char *path, void (*write)(const void *what, bool json, FILE *out),
		       const void *what, char *err, size_t errlen);

#endif
