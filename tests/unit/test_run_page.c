/*
 * test_run_page.c - how the run page groups figures into charts
 * (src/report/run_page.c): largest peak first, a chart holds figures
 * whose peak is at least a twentieth of its largest and at most
 * RUN_PAGE_PER_CHART of them, figures that stayed 0 are listed apart,
 * and ties keep column order.
 */
#include <stdint.h>

#include "check.h"
#include "report/run_page.h"

#define END ((size_t)-1)

static const char *const names[] = {"ops", "a", "b", "c", "d", "e", "f", "g", "h"};

/* A series of two rows: ops 0 and 1, then columns with peaks PEAKS. */
static void make(struct series *s, const uint64_t *peaks, size_t n)
{
	uint64_t row[SERIES_MAX_COLUMNS] = {0};

	series_init(s, names, n + 1);
	CHECK(series_add(s, row));
	row[0] = 1;
	for (size_t i = 0; i < n; i++)
		row[i + 1] = peaks[i];
	CHECK(series_add(s, row));
}

static void groups_by_magnitude(void)
{
	/* a=5 b=1000 c=0 d=60 e=49 f=0 g=999 h=1000 */
	static const uint64_t peaks[] = {5, 1000, 0, 60, 49, 0, 999, 1000};
	static const size_t want[] = {2, 8, 7, 4, END, 5, 1, END};
	size_t groups[2 * SERIES_MAX_COLUMNS], zeros[SERIES_MAX_COLUMNS];
	struct series s;

	make(&s, peaks, 8);
	/* 1000, 1000, 999 and 60 (>= 1000/20 = 50); then 49 leads 5 (5*20 >= 49). */
	CHECK_EQ(run_page_groups(&s, groups, zeros), 2);
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
		CHECK_EQ(groups[i], want[i]);
	CHECK_EQ(zeros[0], 3);
	CHECK_EQ(zeros[1], 6);
	CHECK_EQ(zeros[2], END);
	series_free(&s);
}

static void at_most_per_chart(void)
{
	static const uint64_t peaks[] = {7, 7, 7, 7, 7, 7};
	size_t groups[2 * SERIES_MAX_COLUMNS], zeros[SERIES_MAX_COLUMNS];
	struct series s;

	make(&s, peaks, 6);
	CHECK_EQ(run_page_groups(&s, groups, zeros), 2);
	CHECK_EQ(groups[RUN_PAGE_PER_CHART], END);
	CHECK_EQ(groups[0], 1);   /* ties: column order */
	CHECK_EQ(groups[RUN_PAGE_PER_CHART + 1], 5);
	CHECK_EQ(groups[RUN_PAGE_PER_CHART + 3], END);
	CHECK_EQ(zeros[0], END);
	series_free(&s);
}

static void all_zero_and_empty(void)
{
	static const uint64_t peaks[] = {0, 0};
	size_t groups[2 * SERIES_MAX_COLUMNS], zeros[SERIES_MAX_COLUMNS];
	struct series s;

	make(&s, peaks, 2);
	CHECK_EQ(run_page_groups(&s, groups, zeros), 0);
	CHECK_EQ(zeros[0], 1);
	CHECK_EQ(zeros[1], 2);
	CHECK_EQ(zeros[2], END);
	series_free(&s);
	series_init(&s, names, 3);   /* no rows at all: everything counts as 0 */
	CHECK_EQ(run_page_groups(&s, groups, zeros), 0);
	CHECK_EQ(zeros[2], END);
	series_free(&s);
}

int main(void)
{
	RUN(groups_by_magnitude);
	RUN(at_most_per_chart);
	RUN(all_zero_and_empty);
	return check_done();
}
