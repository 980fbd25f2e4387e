/*
 * html.c - one self-contained HTML page of figures (html.h).
 *
 * gnuplot is run as a separate program on a data file and a script in a
 * private temporary directory; its SVG is read back and inlined after
 * its XML prologue.  The ids gnuplot gives its point markers (gpPt0...)
 * are the same in every SVG it writes, so each chart's are prefixed with
 * the chart's number: ids stay unique in the page.
 */
#include "html.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static unsigned html_charts;  /* charts written by this process */

void html_escape(FILE *out, const char *text)
{
	for (; *text; text++) {
		switch (*text) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*text, out); break;
		}
	}
}

void html_begin(FILE *out, const char *title)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>", out);
	html_escape(out, title);
	fputs("</title>\n<style>\n"
	      "body { font-family: sans-serif; max-width: 60em; margin: 2em auto; color: #222; }\n"
	      "table { border-collapse: collapse; font-variant-numeric: tabular-nums; }\n"
	      "td, th { border: 1px solid #ccc; padding: 0.2em 0.6em; text-align: right; }\n"
	      "pre { background: #f4f4f4; padding: 0.6em; white-space: pre-wrap; }\n"
	      "figure.chart svg { max-width: 100%; height: auto; }\n"
	      "</style>\n</head>\n<body>\n<h1>", out);
	html_escape(out, title);
	fputs("</h1>\n", out);
}

void html_end(FILE *out)
{
	fputs("</body>\n</html>\n", out);
}

void html_heading(FILE *out, const char *text)
{
	fputs("<h2>", out);
	html_escape(out, text);
	fputs("</h2>\n", out);
}

void html_paragraph(FILE *out, const char *text)
{
	fputs("<p>", out);
	html_escape(out, text);
	fputs("</p>\n", out);
}

void html_pre(FILE *out, const char *text)
{
	fputs("<pre>", out);
	html_escape(out, text);
	fputs("</pre>\n", out);
}

void html_table(FILE *out, const struct series *s)
{
	fputs("<table>\n<tr>", out);
	for (size_t c = 0; c < s->ncols; c++) {
		fputs("<th>", out);
		html_escape(out, s->names[c]);
		fputs("</th>", out);
	}
	fputs("</tr>\n", out);
	for (size_t r = 0; r < s->nrows; r++) {
		fputs("<tr>", out);
		for (size_t c = 0; c < s->ncols; c++)
			fprintf(out, "<td>%" PRIu64 "</td>", series_get(s, r, c));
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* A gnuplot string literal: double quotes, with " and \ escaped, and the
 * enhanced-text marks (_ for a subscript, ^ and so on) made literal: a
 * figure called free_frames must not be drawn as free with "frames" below. */
static void gp_text(FILE *out, const char *text, bool label)
{
	fputc('"', out);
	for (; *text; text++) {
		if (*text == '"' || *text == '\\')
			fputc('\\', out);
		else if (label && strchr("_^@&~{}", *text) != NULL)
			fputs("\\\\", out);
		fputc(*text, out);
	}
	fputc('"', out);
}
static void gp_label(FILE *out, const char *text)
{
	gp_text(out, text, true);
}
static void gp_path(FILE *out, const char *path)
{
	gp_text(out, path, false);
}

static bool write_data(const char *path, const struct series *s, const struct html_chart *c)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return false;
	for (size_t r = 0; r < s->nrows; r++) {
		fprintf(f, "%" PRIu64, series_get(s, r, c->x));
		for (size_t k = 0; k < c->ny; k++)
			fprintf(f, " %" PRIu64, series_get(s, r, c->ys[k]));
		fputc('\n', f);
	}
	return fclose(f) == 0;
}

static bool write_script(const char *path, const char *data, const struct series *s,
			 const struct html_chart *c)
{
	FILE *f = fopen(path, "w");

	if (f == NULL)
		return false;
	fputs("set terminal svg size 800,480 enhanced font 'sans,12' background rgb 'white'\n"
	      "set grid\nset key top right\nset yrange [0:*]\n", f);
	fputs("set title ", f);
	gp_label(f, c->title);
	fputs("\nset xlabel ", f);
	gp_label(f, c->xlabel);
	fputs("\nset ylabel ", f);
	gp_label(f, c->ylabel);
	fputs("\nplot", f);
	for (size_t k = 0; k < c->ny; k++) {
		fprintf(f, "%s ", k ? "," : "");
		gp_path(f, k ? "" : data);
		fprintf(f, " using 1:%zu with linespoints lw 2 title ", k + 2);
		gp_label(f, s->names[c->ys[k]]);
	}
	fputc('\n', f);
	return fclose(f) == 0;
}

/* Runs gnuplot on SCRIPT with its standard output to SVG. */
static bool run_gnuplot(const char *script, const char *svg, char *err, size_t errlen)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (freopen(svg, "w", stdout) == NULL)
			_exit(127);
		execlp("gnuplot", "gnuplot", script, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		snprintf(err, errlen, "cannot run gnuplot: %s", strerror(errno));
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, WIFEXITED(status) && WEXITSTATUS(status) == 127
			 ? "gnuplot is not installed (Debian: gnuplot-nox; scripts/deps installs it)"
			 : "gnuplot failed (status %d)", status);
		return false;
	}
	return true;
}

/* Copies SVG from its <svg element on, prefixing gnuplot's marker ids. */
static bool inline_svg(FILE *out, const char *path, unsigned chart)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	bool started = false;

	if (f == NULL)
		return false;
	while (fgets(line, sizeof line, f) != NULL) {
		char *p = line, *id;

		if (!started && (p = strstr(line, "<svg")) == NULL)
			continue;
		started = true;
		while ((id = strstr(p, "gpPt")) != NULL) {
			fwrite(p, 1, (size_t)(id - p), out);
			fprintf(out, "c%ugpPt", chart);
			p = id + 4;
		}
		fputs(p, out);
	}
	fclose(f);
	return started;
}

static void cleanup(const char *dir, const char *const *files, size_t n)
{
	for (size_t i = 0; i < n; i++)
		unlink(files[i]);
	rmdir(dir);
}

bool html_chart(FILE *out, const struct series *s, const struct html_chart *c,
		char *err, size_t errlen)
{
	const char *tmp = getenv("TMPDIR");
	char dir[4096], data[4200], script[4200], svg[4200];
	const char *files[] = {data, script, svg};
	unsigned chart = ++html_charts;
	bool ok;

	snprintf(dir, sizeof dir, "%s/mvm-chart-XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		snprintf(err, errlen, "cannot make a directory for gnuplot: %s", strerror(errno));
		return false;
	}
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(script, sizeof script, "%s/plot.gp", dir);
	snprintf(svg, sizeof svg, "%s/chart.svg", dir);
	ok = write_data(data, s, c) && write_script(script, data, s, c);
	if (!ok)
		snprintf(err, errlen, "cannot write gnuplot's input in %s", dir);
	ok = ok && run_gnuplot(script, svg, err, errlen);
	if (ok) {
		fputs("<figure class=\"chart\" data-series=\"", out);
		for (size_t k = 0; k < c->ny; k++)
			fprintf(out, "%s%s", k ? "," : "", s->names[c->ys[k]]);
		fprintf(out, "\" data-points=\"%zu\">\n", s->nrows);
		ok = inline_svg(out, svg, chart);
		fputs("</figure>\n", out);
		if (!ok)
			snprintf(err, errlen, "gnuplot wrote no SVG");
	}
	cleanup(dir, files, 3);
	return ok;
}
