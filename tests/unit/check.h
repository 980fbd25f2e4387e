/*
 * check.h - the unit-test harness: assertion macros that report
 * FILE:LINE and the failing expression, count failures, and make the test
 * program exit non-zero if any check failed.
 *
 *   CHECK(cond)          condition must hold
 *   CHECK_EQ(a, b)       two integers must be equal (printed on failure)
 *   CHECK_STR(a, b)      two strings must be equal
 *   TEST(name) { ... }   a test function; RUN(name) calls it
 *   return check_done(); at the end of main
 */
#ifndef MVM_TESTS_CHECK_H
#define MVM_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;
static int check_count;
static const char *check_current = "";

#define CHECK(cond)                                                             \
	do {                                                                    \
		check_count++;                                                  \
		if (!(cond)) {                                                  \
			check_failures++;                                       \
			fprintf(stderr, "%s:%d: %s: check failed: %s\n",        \
				__FILE__, __LINE__, check_current, #cond);      \
		}                                                               \
	} while (0)

#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);    \
		check_count++;                                                  \
		if (check_a_ != check_b_) {                                     \
			check_failures++;                                       \
			fprintf(stderr,                                         \
				"%s:%d: %s: check failed: %s == %s (%" PRIu64   \
				" != %" PRIu64 ")\n",                           \
				__FILE__, __LINE__, check_current, #a, #b,      \
				check_a_, check_b_);                            \
		}                                                               \
	} while (0)

#define CHECK_STR(a, b)                                                         \
	do {                                                                    \
		const char *check_sa_ = (a), *check_sb_ = (b);                  \
		check_count++;                                                  \
		if (strcmp(check_sa_, check_sb_) != 0) {                        \
			check_failures++;                                       \
			fprintf(stderr,                                         \
				"%s:%d: %s: check failed: %s == %s\n"           \
				"  got:      \"%s\"\n  expected: \"%s\"\n",     \
				__FILE__, __LINE__, check_current, #a, #b,      \
				check_sa_, check_sb_);                          \
		}                                                               \
	} while (0)

#define TEST(name) static void name(void)
#define RUN(name)                                 \
	do {                                      \
		check_current = #name;            \
		name();                           \
	} while (0)

static inline int check_done(void)
{
	if (check_failures) {
		fprintf(stderr, "%d of %d checks failed\n", check_failures, check_count);
		return 1;
	}
	if (check_count == 0) {
		fprintf(stderr, "no checks ran\n");
		return 1;
	}
	printf("%d checks passed\n", check_count);
	return 0;
}

#endif
