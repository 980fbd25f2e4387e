/*
 * cmd_curve.c - `mvm curve TRACE [--ram FROM..TO] [--steps N] [--jobs N]
 *               [--json] [--html FILE] [replay options]`.
 *
 * The page-fault curve of a trace (src/curve/curve.h): one row per memory
 * size, mvm's misses beside LRU's, OPT's and CLOCK's at the frames mvm
 * had for pages.  Options of its own are taken out here; the rest go to
 * the replay option parser, so every replay option applies to mvm's
 * runs.  CSV (or JSON) goes to standard output, `#` lines first.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "gen/gen_options.h"
#include "curve/curve.h"
#include "report/html.h"
#include "report/series.h"
#include "sim/replay.h"

struct curve_opts {
	uint64_t ram_from, ram_to;   /* 0: from the trace's pages */
	uint64_t steps;
	unsigned jobs;
	bool json;
	const char *html;
	const char *trace;
};

enum { COL_FRAMES, COL_MVM, COL_LRU, COL_OPT, COL_CLOCK, COL_RAM, COL_PAGER, COL_SWAP,
       COL_ZERO, COL_KILLS, NCOLS };
static const char *const col_names[NCOLS] = {
	"frames", "mvm", "lru", "opt", "clock", "ram", "mvm_pager", "mvm_swap", "mvm_zero",
	"oom_kills"};

/* --ram FROM..TO, each a size. */
static void ram_range(const char *v, struct curve_opts *c)
{
	const char *dots = strstr(v, "..");
	char from[64];

	if (dots == NULL || (size_t)(dots - v) >= sizeof from)
		cli_usage_error("curve", "--ram: \"%s\" is not a range of sizes (like 1M..16M)", v);
	snprintf(from, sizeof from, "%.*s", (int)(dots - v), v);
	if (!gen_parse_size(from, &c->ram_from) || !gen_parse_size(dots + 2, &c->ram_to))
		cli_usage_error("curve", "--ram: \"%s\" is not a range of sizes (like 1M..16M)", v);
	if (c->ram_from == 0 || c->ram_from > c->ram_to)
		cli_usage_error("curve", "--ram: \"%s\": FROM must be at least 1 and at most TO", v);
}

/* Takes curve's own options out of ARGV; what is left (replay options,
 * the TRACE) is packed into REST, REST[0] being the command's name. */
static int own_options(int argc, char **argv, struct curve_opts *c, char **rest)
{
	int n = 1;

	rest[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *v;

		if (cli_take_value("curve", argc, argv, &i, "--ram", &v))
			ram_range(v, c);
		else if (cli_take_value("curve", argc, argv, &i, "--steps", &v))
			c->steps = cli_number_in("curve", "--steps", v, 1, 1000);
		else if (cli_take_value("curve", argc, argv, &i, "--jobs", &v))
			c->jobs = (unsigned)cli_number_in("curve", "--jobs", v, 1, 64);
		else if (cli_take_value("curve", argc, argv, &i, "--html", &v))
			c->html = *v ? v : (cli_usage_error("curve", "--html: expected a file"), v);
		else if (strcmp(argv[i], "--json") == 0)
			c->json = true;
		else
			rest[n++] = argv[i];
	}
	return n;
}

static void parse(int argc, char **argv, struct curve_opts *c, struct replay_opts *o)
{
	char **rest = calloc((size_t)argc + 1, sizeof *rest);
	struct cli_outputs outs = {0};
	int n, i;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	if (rest == NULL)
		cli_usage_error("curve", "out of memory");
	*c = (struct curve_opts){.steps = 8, .jobs = cpus > 0 && cpus < 64 ? (unsigned)cpus : 1};
	n = own_options(argc, argv, c, rest);
	replay_opts_defaults(o);
	i = cli_replay_options(n, rest, "curve", o, &outs);
	if (outs.series != NULL)
		cli_usage_error("curve", "--series: not an option of curve (use --json or --html)");
	if (i != n - 1)
		cli_usage_error("curve", "expected one TRACE (a file, plain or gzip, or - for "
					 "standard input)");
	c->trace = rest[i];
	free(rest);
}

/* Without --ram: from about a tenth of the trace's pages to all of them
 * and a quarter more, plus a MiB for the core itself. */
static void default_range(struct curve_opts *c, const struct curve *cv)
{
	if (c->ram_to != 0)
		return;
	c->ram_to = ((uint64_t)cv->rs.npages * 4096 * 5 / 4 + (1 << 20) + 4095) & ~4095ull;
	c->ram_from = c->ram_to / 10 > (1u << 20) ? c->ram_to / 10 : (1u << 20);
	if (c->ram_from > c->ram_to)
		c->ram_from = c->ram_to;
}

/* STEPS sizes evenly from FROM to TO, in whole pages. */
static struct curve_row *size_rows(const struct curve_opts *c)
{
	struct curve_row *rows = calloc(c->steps, sizeof *rows);

	if (rows == NULL)
		cli_usage_error("curve", "out of memory");
	for (uint64_t i = 0; i < c->steps; i++) {
		uint64_t span = c->ram_to - c->ram_from;
		uint64_t at = c->ram_from + (c->steps > 1 ? span / (c->steps - 1) * i : 0);

		if (c->steps > 1 && i == c->steps - 1)
			at = c->ram_to;
		rows[i].mvm.ram_bytes = at & ~4095ull;
	}
	return rows;
}

static void fill_series(struct series *s, const struct curve_row *rows, size_t n)
{
	series_init(s, col_names, NCOLS);
	for (size_t i = 0; i < n; i++) {
		const struct mvm_run *m = &rows[i].mvm;
		uint64_t row[NCOLS] = {m->frames, m->misses, rows[i].lru, rows[i].opt, rows[i].clock,
				       m->ram_bytes, m->pager_pages, m->swap_pages, m->zero_fills,
				       m->oom_kills};

		series_add(s, row);
	}
}

/* The `#` lines: what was measured and how to read it. */
static void describe(FILE *out, const char *prefix, const struct curve_opts *c,
		     const struct curve *cv)
{
	fprintf(out, "%s%s: %zu references to %" PRIu32 " pages (%" PRIu64
		     " first touches that fill a frame)\n",
		prefix, c->trace, cv->rs.n, cv->rs.npages, cv->cold);
	if (cv->opt_one_pass)
		fprintf(out, "%sopt: Mattson's OPT stack, one pass (%" PRIu64 " stack moves)\n",
			prefix, cv->opt_moves);
	else
		fprintf(out, "%sopt: Belady's MIN simulated at each size (priority queue of next "
			     "uses)\n", prefix);
	fprintf(out, "%sframes: RAM frames minus the core's own at its peak (boot, core metadata, "
		     "page tables, pv chunks), as `stat` counts them\n", prefix);
	fprintf(out, "%smisses: frames filled; mvm: pages read from the file pager or swap "
		     "(read-ahead included) + zero-fills; lru, opt, clock: misses over the same "
		     "page reference string at `frames` (first touches included)\n", prefix);
}

/* `#` lines before the CSV; with --json, on standard error. */
static void warn_kills(FILE *out, const struct curve_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].mvm.oom_kills != 0)
			fprintf(out, "# warning: at %" PRIu64 " bytes mvm killed %" PRIu64
			       " processes (oom): its references stop there, the models' do not\n",
			       rows[i].mvm.ram_bytes, rows[i].mvm.oom_kills);
}

/* What TEXT the run's `describe` lines and command line make, for the page. */
static char *describe_text(const struct curve_opts *c, const struct curve *cv, int argc,
			   char **argv)
{
	char *text = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&text, &n);

	if (m == NULL)
		return NULL;
	describe(m, "", c, cv);
	fputs("\nmvm", m);
	for (int i = 0; i < argc; i++)
		fprintf(m, " %s", argv[i]);
	fputc('\n', m);
	fclose(m);
	return text;
}

static int write_html(const struct curve_opts *c, const struct curve *cv, const struct series *s,
		      int argc, char **argv)
{
	static const size_t ys[] = {COL_MVM, COL_LRU, COL_CLOCK, COL_OPT};
	struct html_chart chart = {.title = "page-fault curve", .xlabel = "frames available to pages",
				   .ylabel = "misses (frames filled)", .x = COL_FRAMES, .ys = ys,
				   .ny = 4};
	FILE *out = fopen(c->html, "w");
	char err[512], title[512], *text = describe_text(c, cv, argc, argv);
	bool ok;

	if (out == NULL || text == NULL) {
		fprintf(stderr, "mvm curve: cannot write %s\n", c->html);
		free(text);
		return CLI_USAGE_ERROR;
	}
	snprintf(title, sizeof title, "mvm curve: %s", c->trace);
	html_begin(out, title);
	ok = html_chart(out, s, &chart, err, sizeof err);
	html_heading(out, "Figures");
	html_table(out, s);
	html_heading(out, "How they are counted, and the run");
	html_pre(out, text);
	html_end(out);
	free(text);
	if (fclose(out) != 0 || !ok) {
		fprintf(stderr, "mvm curve: %s: %s\n", c->html, ok ? "cannot write" : err);
		return 1;
	}
	return 0;
}

/* Prints the curve (and writes the page); the worst replay's status. */
static int report(const struct curve_opts *c, const struct curve *cv, const struct curve_row *rows,
		  int argc, char **argv)
{
	struct series s;
	int status = 0;

	for (size_t i = 0; i < c->steps; i++)
		if (rows[i].mvm.status > status)
			status = rows[i].mvm.status;
	fill_series(&s, rows, c->steps);
	if (status == 0) {
		if (!c->json)
			describe(stdout, "# ", c, cv);
		warn_kills(c->json ? stderr : stdout, rows, c->steps);
		(c->json ? series_write_json : series_write_csv)(&s, stdout);
		if (c->html != NULL)
			status = write_html(c, cv, &s, argc, argv);
	}
	series_free(&s);
	return status;
}

int cli_curve(int argc, char **argv)
{
	struct curve_opts c;
	struct replay_opts o;
	struct curve cv;
	struct curve_row *rows;
	char err[1024], *text;
	size_t len;
	int status;

	parse(argc, argv, &c, &o);
	if (!curve_slurp(c.trace, &text, &len, err, sizeof err)) {
		fprintf(stderr, "mvm curve: %s\n", err);
		return CLI_USAGE_ERROR;
	}
	status = curve_prepare(&cv, c.trace, text, len, err, sizeof err);
	if (status != 0) {
		fprintf(stderr, "%s\n", err);
		curve_free(&cv);
		free(text);
		return status;
	}
	default_range(&c, &cv);
	rows = size_rows(&c);
	if (curve_rows(&cv, &o, rows, c.steps, c.jobs, err, sizeof err)) {
		status = report(&c, &cv, rows, argc, argv);
	} else {
		fprintf(stderr, "mvm curve: %s\n", err);
		status = 1;
	}
	free(rows);
	curve_free(&cv);
	free(text);
	return status;
}
