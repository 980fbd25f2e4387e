/*
 * test_why.c - the freestanding formatter of verifiers' reasons
 * (src/vm/why.c, include/mvm/why.h).
 *
 * Every reason the checker and pmap_verify give passes through it, and
 * tests match those reasons by substring: a formatter that dropped or
 * garbled characters would make a right complaint look wrong, or a
 * wrong one look right.  Its contract: %s, %u and %x of uint64_t; a
 * result cut to fit the buffer, keeping as much as fits (LEN - 1
 * characters), and always terminated when LEN > 0.
 */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "mvm/why.h"

TEST(conversions)
{
	char buf[128];

	vm_whyf(buf, sizeof buf, "frame %u of %s at %x", (uint64_t)42, "pmap",
		(uint64_t)0x100000002000ull);
	CHECK_STR(buf, "frame 42 of pmap at 0x100000002000");
	vm_whyf(buf, sizeof buf, "%u %x %u", (uint64_t)0, (uint64_t)0, UINT64_MAX);
	CHECK_STR(buf, "0 0x0 18446744073709551615");
	vm_whyf(buf, sizeof buf, "100%% %q, trailing %", (uint64_t)0);
	CHECK_STR(buf, "100% q, trailing %");
}

TEST(a_reason_that_just_fits_is_whole)
{
	char buf[8];

	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, sizeof buf, "abcdefg");
	CHECK_STR(buf, "abcdefg");
	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, sizeof buf, "ab%se%u", "cd", (uint64_t)12);
	CHECK_STR(buf, "abcde12");
	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, sizeof buf, "%x", (uint64_t)0xabcde);
	CHECK_STR(buf, "0xabcde");
}

TEST(a_long_reason_is_cut_to_fit)
{
	char buf[8];

	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, sizeof buf, "abcdefgh");
	CHECK_STR(buf, "abcdefg");
	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, sizeof buf, "count %u", (uint64_t)123456);
	CHECK_STR(buf, "count 1");
	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, 2, "abc");
	CHECK_STR(buf, "a");
	CHECK_EQ(buf[2], 'z');
	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, 1, "abc");
	CHECK_STR(buf, "");
	CHECK_EQ(buf[1], 'z');
	memset(buf, 'z', sizeof buf);
	vm_whyf(buf, 0, "abc");     /* nothing may be written at all */
	CHECK_EQ(buf[0], 'z');
}

int main(void)
{
	RUN(conversions);
	RUN(a_reason_that_just_fits_is_whole);
	RUN(a_long_reason_is_cut_to_fit);
	return check_done();
}
