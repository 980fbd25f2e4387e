/*
 * series_set.c - several named series in one CSV or JSON file
 * (series_set.h).
 *
 * The CSV header is the union of the columns, so that one table holds
 * scenarios that measure different things: a column is found in each
 * series by name once per series, not once per cell, and a series lacking
 * it leaves the cell empty (which spreadsheets and pandas read as
 * missing, not as 0).
 */
#include "series_set.h"

#include <inttypes.h>
#include <string.h>

void series_set_init(struct series_set *set)
{
	*set = (struct series_set){0};
}

void series_set_free(struct series_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		series_free(&set->series[i]);
	set->n = 0;
}

bool series_set_add(struct series_set *set, const char *name, struct series *s)
{
	if (set->n == SERIES_SET_MAX)
		return false;
	set->names[set->n] = name;
	set->series[set->n++] = *s;
	s->cells = NULL;   /* the rows belong to the set now */
	s->nrows = s->cap = 0;
	return true;
}

size_t series_set_rows(const struct series_set *set)
{
	size_t rows = 0;

	for (size_t i = 0; i < set->n; i++)
		rows += set->series[i].nrows;
	return rows;
}

/* The union of the columns, in order of first appearance; its size. */
static size_t union_columns(const struct series_set *set, const char **cols)
{
	size_t n = 0;

	for (size_t i = 0; i < set->n; i++) {
		for (size_t c = 0; c < set->series[i].ncols; c++) {
			const char *name = set->series[i].names[c];
			size_t k = 0;

			while (k < n && strcmp(cols[k], name) != 0)
				k++;
			if (k == n && n < SERIES_SET_MAX_COLUMNS)
				cols[n++] = name;
		}
	}
	return n;
}

static void csv_rows(const char *name, const struct series *s, const char **cols, size_t ncols,
		     FILE *out)
{
	int at[SERIES_SET_MAX_COLUMNS];

	for (size_t k = 0; k < ncols; k++)
		at[k] = series_column(s, cols[k]);
	for (size_t r = 0; r < s->nrows; r++) {
		fputs(name, out);
		for (size_t k = 0; k < ncols; k++) {
			fputc(',', out);
			if (at[k] >= 0)
				fprintf(out, "%" PRIu64, series_get(s, r, (size_t)at[k]));
		}
		fputc('\n', out);
	}
}

void series_set_write_csv(const struct series_set *set, FILE *out)
{
	const char *cols[SERIES_SET_MAX_COLUMNS];
	size_t ncols = union_columns(set, cols);

	fputs("scenario", out);
	for (size_t k = 0; k < ncols; k++)
		fprintf(out, ",%s", cols[k]);
	fputc('\n', out);
	for (size_t i = 0; i < set->n; i++)
		csv_rows(set->names[i], &set->series[i], cols, ncols, out);
}

void series_set_write_json(const struct series_set *set, FILE *out)
{
	fputs("{\n", out);
	for (size_t i = 0; i < set->n; i++) {
		/* Names are the program's own scenario names: nothing to escape. */
		fprintf(out, "\"%s\": [\n", set->names[i]);
		series_write_json_rows(&set->series[i], out);
		fputs(i + 1 < set->n ? "],\n" : "]\n", out);
	}
	fputs("}\n", out);
}

static void write_set(const void *what, bool json, FILE *out)
{
	if (json)
		series_set_write_json(what, out);
	else
		series_set_write_csv(what, out);
}

bool series_set_write_file(const struct series_set *set, const char *path, char *err,
			   size_t errlen)
{
	return series_write_with(path, write_set, set, err, errlen);
}
