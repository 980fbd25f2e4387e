/*
 * test_series.c - figures over time (src/sim/series.c): storage, the text
 * chart (exact layout: bars, y labels, x axis, the peak's `*`, held
 * values between sparse samples, a prefix), CSV, JSON, and the choice of
 * format by a file's extension.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report/series.h"

static const char *const names[] = {"ops", "swap_inuse"};

/* Rises to 120 at op 400, falls back to 10. */
static void fill_hill(struct series *s)
{
	static const uint64_t rows[][2] = {{0, 0},     {100, 0},  {200, 30},
					   {300, 60},  {400, 120}, {500, 90},
					   {600, 90},  {700, 10},  {800, 10}};

	series_init(s, names, 2);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		CHECK(series_add(s, rows[i]));
}

/* What a series function wrote, as a string (one static buffer). */
static char text[8192];

static const char *capture_chart(const struct series *s, const struct series_chart_style *st)
{
	FILE *f;

	memset(text, 0, sizeof text);
	f = fmemopen(text, sizeof text, "w");
	series_chart(s, 0, 1, st, f);
	fclose(f);
	return text;
}

static const char *capture_csv(const struct series *s)
{
	FILE *f;

	memset(text, 0, sizeof text);
	f = fmemopen(text, sizeof text, "w");
	series_write_csv(s, f);
	fclose(f);
	return text;
}

static const char *capture_json(const struct series *s)
{
	FILE *f;

	memset(text, 0, sizeof text);
	f = fmemopen(text, sizeof text, "w");
	series_write_json(s, f);
	fclose(f);
	return text;
}

TEST(stores_rows)
{
	struct series s;

	fill_hill(&s);
	CHECK_EQ(s.nrows, 9);
	CHECK_EQ(series_get(&s, 4, 1), 120);
	CHECK_EQ(series_get(&s, 8, 0), 800);
	CHECK_EQ(series_column(&s, "swap_inuse"), 1);
	CHECK_EQ(series_column(&s, "ops"), 0);
	CHECK(series_column(&s, "nothing") == -1);
	CHECK_EQ(series_peak_row(&s, 1), 4);
	/* Growth past the first allocation keeps every row. */
	bool added = true;

	for (uint64_t i = 0; i < 1000; i++)
		added &= series_add(&s, (uint64_t[]){900 + i, i});
	CHECK(added);
	CHECK_EQ(s.nrows, 1009);
	CHECK_EQ(series_get(&s, 1008, 1), 999);
	CHECK_EQ(series_get(&s, 4, 1), 120);
	series_free(&s);
}

TEST(chart_one_column_per_row)
{
	struct series s;
	struct series_chart_style st = {.width = 9, .height = 4};

	fill_hill(&s);
	CHECK_STR(capture_chart(&s, &st),
		  "swap_inuse\n"
		  "120 |    *\n"
		  "    |   ####\n"
		  "    |  #####\n"
		  "  0 |#########\n"
		  "    +---------\n"
		  "     0 ops 800\n"
		  "peak 120 at ops 400\n");
	series_free(&s);
}

/* Wider than the samples: a value holds until the next sample, and the
 * prefix starts every line. */
TEST(chart_holds_between_samples)
{
	struct series s;
	struct series_chart_style st = {.width = 20, .height = 5, .prefix = "# "};

	fill_hill(&s);
	CHECK_STR(capture_chart(&s, &st),
		  "# swap_inuse\n"
		  "# 120 |         *#\n"
		  "#     |         #######\n"
		  "#     |       #########\n"
		  "#     |    ############\n"
		  "#   0 |####################\n"
		  "#     +--------------------\n"
		  "#      0            ops 800\n"
		  "# peak 120 at ops 400\n");
	series_free(&s);
}

/* A fixed y range (the fork-server chart: from the lowest value to a
 * bound): the top row is the bound, values below the range draw nothing. */
TEST(chart_fixed_range)
{
	struct series s;
	struct series_chart_style st = {.width = 9, .height = 4, .fixed_y = true, .y_lo = 30,
					.y_hi = 240};

	fill_hill(&s);
	CHECK_STR(capture_chart(&s, &st),
		  "swap_inuse\n"
		  "240 |\n"
		  "    |\n"
		  "    |    *##\n"
		  " 30 |  #####\n"
		  "    +---------\n"
		  "     0 ops 800\n"
		  "peak 120 at ops 400\n");
	series_free(&s);
}

/* Narrower than the samples: each column shows its largest value, so a
 * one-sample spike survives. */
TEST(chart_keeps_spikes)
{
	struct series s;
	struct series_chart_style st = {.width = 4, .height = 3};

	series_init(&s, names, 2);
	for (uint64_t i = 0; i < 40; i++)
		series_add(&s, (uint64_t[]){i, i == 13 ? 50 : 10});
	CHECK_STR(capture_chart(&s, &st),
		  "swap_inuse\n"
		  "50 | *\n"
		  "   | #\n"
		  "10 |####\n"
		  "   +----\n"
		  "    0 ops 39\n"
		  "peak 50 at ops 13\n");
	series_free(&s);
}

TEST(chart_flat_and_empty)
{
	struct series s;
	struct series_chart_style st = {.width = 6, .height = 3};

	series_init(&s, names, 2);
	CHECK_STR(capture_chart(&s, &st), "");
	series_add(&s, (uint64_t[]){0, 0});
	series_add(&s, (uint64_t[]){10, 0});
	CHECK_STR(capture_chart(&s, &st),
		  "swap_inuse\n"
		  "  |\n"
		  "  |\n"
		  "0 |*#####\n"
		  "  +------\n"
		  "   0 ops 10\n"
		  "peak 0 at ops 0\n");
	series_free(&s);
}

TEST(chart_default_size)
{
	struct series s;
	const char *out;
	size_t lines = 0;

	fill_hill(&s);
	out = capture_chart(&s, NULL);
	for (const char *p = out; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	/* Title, 10 bar rows, axis, x labels, peak. */
	CHECK_EQ(lines, 14);
	CHECK(strstr(out, "    +------------------------------------------------------------\n") != NULL);
	CHECK(strstr(out, "------------------------------------------------------------\n") != NULL);
	CHECK(strstr(out, "-------------------------------------------------------------\n") == NULL);
	series_free(&s);
}

TEST(csv)
{
	struct series s;

	series_init(&s, names, 2);
	CHECK_STR(capture_csv(&s), "ops,swap_inuse\n");
	series_add(&s, (uint64_t[]){0, 7});
	series_add(&s, (uint64_t[]){100, 18446744073709551615ull});
	CHECK_STR(capture_csv(&s), "ops,swap_inuse\n0,7\n100,18446744073709551615\n");
	series_free(&s);
}

TEST(json)
{
	static const char *const odd[] = {"a\"b", "c\\d"};
	struct series s;

	series_init(&s, names, 2);
	CHECK_STR(capture_json(&s), "[\n]\n");
	series_add(&s, (uint64_t[]){0, 7});
	series_add(&s, (uint64_t[]){100, 8});
	CHECK_STR(capture_json(&s),
		  "[\n{\"ops\": 0, \"swap_inuse\": 7},\n{\"ops\": 100, \"swap_inuse\": 8}\n]\n");
	series_free(&s);
	series_init(&s, odd, 2);
	series_add(&s, (uint64_t[]){1, 2});
	CHECK_STR(capture_json(&s), "[\n{\"a\\\"b\": 1, \"c\\\\d\": 2}\n]\n");
	series_free(&s);
}

static const char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;

	text[n] = '\0';
	if (f)
		fclose(f);
	return text;
}

TEST(file_format_by_extension)
{
	char dir[] = "/tmp/test_series.XXXXXX", path[256], err[512];
	struct series s;

	CHECK(mkdtemp(dir) != NULL);
	series_init(&s, names, 2);
	series_add(&s, (uint64_t[]){0, 7});
	snprintf(path, sizeof path, "%s/a.csv", dir);
	CHECK(series_write_file(&s, path, err, sizeof err));
	CHECK_STR(slurp(path), "ops,swap_inuse\n0,7\n");
	unlink(path);
	snprintf(path, sizeof path, "%s/a.JSON", dir);
	CHECK(series_write_file(&s, path, err, sizeof err));
	CHECK_STR(slurp(path), "[\n{\"ops\": 0, \"swap_inuse\": 7}\n]\n");
	unlink(path);
	snprintf(path, sizeof path, "%s/plain", dir);
	CHECK(series_write_file(&s, path, err, sizeof err));
	CHECK_STR(slurp(path), "ops,swap_inuse\n0,7\n");
	unlink(path);
	snprintf(path, sizeof path, "%s/missing/a.csv", dir);
	CHECK(!series_write_file(&s, path, err, sizeof err));
	CHECK(strstr(err, "missing/a.csv") != NULL);
	rmdir(dir);
	series_free(&s);
}

int main(void)
{
	RUN(stores_rows);
	RUN(chart_one_column_per_row);
	RUN(chart_holds_between_samples);
	RUN(chart_keeps_spikes);
	RUN(chart_fixed_range);
	RUN(chart_flat_and_empty);
	RUN(chart_default_size);
	RUN(csv);
	RUN(json);
	RUN(file_format_by_extension);
	return check_done();
}
