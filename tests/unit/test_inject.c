/*
 * test_inject.c - the fault-injection schedule: the --inject parser (good
 * specs become exactly the rules they say, bad ones are refused with the
 * message a user needs and leave the schedule as it was) and the armed
 * schedule's counting (which events fail, per kind, and what reset and
 * install clear).
 */
#include "check.h"
#include "sim/inject.h"

static struct inject_schedule parsed(const char *text)
{
	struct inject_schedule s = {0};
	char err[512];

	if (!inject_parse(&s, text, err, sizeof err)) {
		fprintf(stderr, "  inject_parse(\"%s\"): %s\n", text, err);
		s.n = 999;
	}
	return s;
}

static bool rule_is(const struct inject_rule *r, enum inject_kind kind, uint64_t first,
		    uint64_t last)
{
	return r->kind == kind && r->first == first && r->last == last;
}

/* The message inject_parse gives for TEXT ("" if it accepted it). */
static const char *refusal(const char *text)
{
	static char err[512];
	struct inject_schedule s = {0};

	if (inject_parse(&s, text, err, sizeof err))
		return "";
	return err;
}

TEST(single_specs)
{
	struct inject_schedule s = parsed("swap-read@3");

	CHECK_EQ(s.n, 1);
	CHECK(rule_is(&s.rule[0], INJECT_SWAP_READ, 3, 3));
	s = parsed("swap-write@2-5");
	CHECK_EQ(s.n, 1);
	CHECK(rule_is(&s.rule[0], INJECT_SWAP_WRITE, 2, 5));
	s = parsed("alloc@7+");
	CHECK_EQ(s.n, 1);
	CHECK(rule_is(&s.rule[0], INJECT_ALLOC, 7, INJECT_FOREVER));
	s = parsed("alloc-pv@4-4");
	CHECK(rule_is(&s.rule[0], INJECT_ALLOC_PV, 4, 4));
	s = parsed("alloc-boot@18446744073709551615");
	CHECK(rule_is(&s.rule[0], INJECT_ALLOC_BOOT, UINT64_MAX, UINT64_MAX));
}

TEST(lists_and_every_kind)
{
	struct inject_schedule s = parsed("swap-read@1,swap-write@2,alloc@3,alloc-page@4,"
					  "alloc-kmem@5,alloc-ptp@6,alloc-pv@7,alloc-boot@8,"
					  "file-read@9,file-write@10");

	CHECK_EQ(s.n, INJECT_KIND_COUNT);
	for (unsigned i = 0; i < s.n && i < INJECT_KIND_COUNT; i++)
		CHECK(rule_is(&s.rule[i], (enum inject_kind)i, i + 1, i + 1));
	/* The per-site kinds follow enum port_alloc_site. */
	CHECK_EQ(inject_kind_of_site(PORT_SITE_PAGE), INJECT_ALLOC_PAGE);
	CHECK_EQ(inject_kind_of_site(PORT_SITE_PTP), INJECT_ALLOC_PTP);
	CHECK_EQ(inject_kind_of_site(PORT_SITE_BOOT), INJECT_ALLOC_BOOT);
	CHECK_STR(inject_kind_name(INJECT_ALLOC_KMEM), "alloc-kmem");
	CHECK_STR(inject_kind_name(INJECT_SWAP_WRITE), "swap-write");
	CHECK_STR(inject_kind_name(INJECT_FILE_READ), "file-read");
	CHECK_STR(inject_kind_name(INJECT_FILE_WRITE), "file-write");
}

TEST(repeated_options_append)
{
	struct inject_schedule s = parsed("swap-read@1");
	char err[256];

	CHECK(inject_parse(&s, "swap-read@5+,alloc@2", err, sizeof err));
	CHECK_EQ(s.n, 3);
	CHECK(rule_is(&s.rule[0], INJECT_SWAP_READ, 1, 1));
	CHECK(rule_is(&s.rule[1], INJECT_SWAP_READ, 5, INJECT_FOREVER));
	CHECK(rule_is(&s.rule[2], INJECT_ALLOC, 2, 2));
}

TEST(unknown_kind_names_the_known_ones)
{
	CHECK_STR(refusal("x@1"), "unknown kind \"x\" (known: swap-read, swap-write, alloc, "
				  "alloc-page, alloc-kmem, alloc-ptp, alloc-pv, alloc-boot, "
				  "file-read, file-write)");
	CHECK(strstr(refusal("swap@1"), "unknown kind \"swap\"") != NULL);
	CHECK(strstr(refusal("@1"), "unknown kind \"\"") != NULL);
	CHECK(strstr(refusal("Alloc@1"), "unknown kind \"Alloc\"") != NULL);
	CHECK(strstr(refusal("alloc@1,file@2"), "unknown kind \"file\"") != NULL);
}

TEST(bad_shapes_say_what_is_expected)
{
	static const char *const bad[] = {
		"swap-read", "swap-read@", "swap-read@x", "swap-read@1-", "swap-read@1+2",
		"swap-read@-1", "swap-read@+", "swap-read@1x", "swap-read@ 1", "swap-read@1 ",
		"swap-read@1--2", "swap-read@0x10", "swap-read@99999999999999999999", "",
		"swap-read@1,", ",swap-read@1", "swap-read@1,,alloc@2",
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *why = refusal(bad[i]);

		if (strstr(why, "expected KIND@N, KIND@N-M or KIND@N+") == NULL) {
			fprintf(stderr, "  \"%s\": got \"%s\"\n", bad[i], why);
			CHECK(false);
		}
	}
	CHECK_STR(refusal("swap-read@x"), "\"swap-read@x\": expected KIND@N, KIND@N-M or KIND@N+");
	/* In a list, the message quotes the SPEC at fault. */
	CHECK_STR(refusal("alloc@1,alloc@q"), "\"alloc@q\": expected KIND@N, KIND@N-M or KIND@N+");
}

TEST(counts_start_at_one_and_ranges_are_not_empty)
{
	CHECK_STR(refusal("alloc@0"), "\"alloc@0\": events count from 1");
	CHECK_STR(refusal("alloc@0+"), "\"alloc@0+\": events count from 1");
	CHECK_STR(refusal("alloc@5-4"), "\"alloc@5-4\": the range is empty");
	CHECK_STR(refusal("alloc@5-5"), "");
}

TEST(a_refused_list_changes_nothing)
{
	struct inject_schedule s = parsed("alloc@1");
	char err[256];

	CHECK(!inject_parse(&s, "swap-read@2,bogus@3", err, sizeof err));
	CHECK_EQ(s.n, 1);
	CHECK(rule_is(&s.rule[0], INJECT_ALLOC, 1, 1));
}

TEST(the_schedule_has_a_limit)
{
	struct inject_schedule s = {0};
	char err[256];

	for (int i = 0; i < INJECT_RULES_MAX; i++)
		CHECK(inject_parse(&s, "alloc@1", err, sizeof err));
	CHECK(!inject_parse(&s, "alloc@1", err, sizeof err));
	CHECK(strstr(err, "more than") != NULL);
	CHECK_EQ(s.n, INJECT_RULES_MAX);
}

/* Which of events 1..N of KIND fail, as a string of '.' and 'X'. */
static const char *pattern(enum inject_kind kind, int n)
{
	static char buf[64];

	for (int i = 0; i < n; i++)
		buf[i] = inject_event(kind) ? 'X' : '.';
	buf[n] = '\0';
	return buf;
}

TEST(armed_schedule_fails_exactly_the_named_events)
{
	struct inject_schedule s = parsed("swap-write@2-3,swap-write@6+,swap-read@1,swap-read@3");

	inject_install(&s);
	CHECK_STR(pattern(INJECT_SWAP_WRITE, 9), ".XX..XXXX");
	CHECK_STR(pattern(INJECT_SWAP_READ, 4), "X.X.");
	CHECK_STR(pattern(INJECT_ALLOC, 4), "....");
	CHECK_EQ(inject_events(INJECT_SWAP_WRITE), 9);
	CHECK_EQ(inject_failures(INJECT_SWAP_WRITE), 6);
	CHECK_EQ(inject_failures(INJECT_SWAP_READ), 2);
	CHECK_EQ(inject_failures(INJECT_ALLOC), 0);
	/* Overlapping rules fail an event once. */
	inject_install(&(struct inject_schedule){0});
	CHECK(inject_add(INJECT_ALLOC, 1, 3));
	CHECK(inject_add(INJECT_ALLOC, 2, 2));
	CHECK_STR(pattern(INJECT_ALLOC, 4), "XXX.");
	CHECK_EQ(inject_failures(INJECT_ALLOC), 3);
}

TEST(reset_and_install_clear_what_they_say)
{
	struct inject_schedule s = parsed("alloc@2,swap-read@2");

	inject_install(&s);
	CHECK_STR(pattern(INJECT_ALLOC, 1), ".");
	CHECK_STR(pattern(INJECT_SWAP_READ, 1), ".");
	/* Resetting one kind restarts its count and drops its rules only. */
	inject_reset_kind(INJECT_ALLOC);
	CHECK_EQ(inject_events(INJECT_ALLOC), 0);
	CHECK_STR(pattern(INJECT_ALLOC, 3), "...");
	CHECK_EQ(inject_events(INJECT_SWAP_READ), 1);
	CHECK_STR(pattern(INJECT_SWAP_READ, 1), "X");
	/* Install starts every count again. */
	inject_install(&s);
	CHECK_EQ(inject_events(INJECT_SWAP_READ), 0);
	CHECK_EQ(inject_failures(INJECT_SWAP_READ), 0);
	CHECK_STR(pattern(INJECT_SWAP_READ, 2), ".X");
	inject_install(NULL);
	CHECK_STR(pattern(INJECT_SWAP_READ, 3), "...");
}

int main(void)
{
	RUN(single_specs);
	RUN(lists_and_every_kind);
	RUN(repeated_options_append);
	RUN(unknown_kind_names_the_known_ones);
	RUN(bad_shapes_say_what_is_expected);
	RUN(counts_start_at_one_and_ranges_are_not_empty);
	RUN(a_refused_list_changes_nothing);
	RUN(the_schedule_has_a_limit);
	RUN(armed_schedule_fails_exactly_the_named_events);
	RUN(reset_and_install_clear_what_they_say);
	return check_done();
}
