/*
 * hexnum_test - the one hex decoder (hexnum.h).
 *
 * Invariants: a digit decodes in either case and anything else is 16; a
 * fixed-width number takes exactly its digits (lower case only when asked)
 * and nothing beyond them; a hex string decodes into bytes or fails for an
 * odd length or a non-digit, and a failure writes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "hexnum.h"

static void test_digit_decodes_both_cases_and_rejects_the_rest(void **state)
{
	static const struct {
		int ch;
		unsigned int val;
	} cases[] = {{'0', 0},	{'9', 9},  {'a', 10}, {'f', 15}, {'A', 10}, {'F', 15},
		     {'g', 16}, {'G', 16}, {'/', 16}, {':', 16}, {'@', 16}, {'`', 16},
		     {'x', 16}, {' ', 16}, {0, 16},   {0xa0, 16}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_int_equal(hexnum_digit(cases[i].ch), cases[i].val);
}

static const char with_nul[] = {'a', 'b', '1', '2', '\0', '0'};

static void test_span_counts_leading_digits_within_len(void **state)
{
	(void)state;
	assert_int_equal(hexnum_span("09afAFx1", 8), 6);
	assert_int_equal(hexnum_span("09afAF", 4), 4);
	assert_int_equal(hexnum_span("x", 1), 0);
	assert_int_equal(hexnum_span("", 0), 0);
	assert_int_equal(hexnum_span(with_nul, sizeof(with_nul)), 4);
}

static void test_fixed_reads_exactly_its_digits(void **state)
{
	unsigned int v = 0;

	(void)state;
	assert_int_equal(hexnum_fixed("0a", 2, true, &v), 0);
	assert_int_equal(v, 0x0a);
	assert_int_equal(hexnum_fixed("00ffzz", 4, true, &v), 0); /* nothing read past 4 */
	assert_int_equal(v, 0xff);
	assert_int_equal(hexnum_fixed("Ab", 2, false, &v), 0);
	assert_int_equal(v, 0xab);
	assert_int_equal(hexnum_fixed("ffffffff", 8, false, &v), 0);
	assert_int_equal(v, 0xffffffffu);
}

static void test_fixed_rejects_a_non_digit_and_leaves_the_output(void **state)
{
	static const struct {
		const char *s;
		size_t n;
		bool lower;
	} cases[] = {
	    {"0A", 2, true},	/* upper case where the kernel prints lower */
	    {"g0", 2, false},	/* not a digit */
	    {"1", 2, false},	/* the string ends before the digits do */
	    {"12.4", 4, false}, /* a separator inside */
	    {" 1", 2, false},	/* no blanks */
	};
	unsigned int v = 0x5a5a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(hexnum_fixed(cases[i].s, cases[i].n, cases[i].lower, &v), -EINVAL);
		assert_int_equal(v, 0x5a5a);
	}
}

static void test_fixed_rejects_widths_that_do_not_fit(void **state)
{
	unsigned int v = 7;

	(void)state;
	assert_int_equal(hexnum_fixed("123456789", 9, false, &v), -ERANGE);
	assert_int_equal(hexnum_fixed("1", 0, false, &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void test_bytes_decode_in_order(void **state)
{
	uint8_t out[4] = {0};
	static const uint8_t want[4] = {0x00, 0x7f, 0xab, 0xff};

	(void)state;
	assert_int_equal(hexnum_bytes("007fAbfF", 8, out), 0);
	assert_memory_equal(out, want, sizeof(want));
	assert_int_equal(hexnum_bytes("", 0, out), 0); /* nothing to do */
	assert_memory_equal(out, want, sizeof(want));
}

static void test_bytes_reject_odd_length_and_non_digits_untouched(void **state)
{
	uint8_t out[3] = {1, 2, 3};
	static const uint8_t orig[3] = {1, 2, 3};

	(void)state;
	assert_int_equal(hexnum_bytes("abc", 3, out), -EINVAL);
	assert_int_equal(hexnum_bytes("ab0x12", 6, out), -EILSEQ);
	assert_int_equal(hexnum_bytes(with_nul, sizeof(with_nul), out), -EILSEQ); /* a NUL */
	assert_memory_equal(out, orig, sizeof(orig));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digit_decodes_both_cases_and_rejects_the_rest),
	    cmocka_unit_test(test_span_counts_leading_digits_within_len),
	    cmocka_unit_test(test_fixed_reads_exactly_its_digits),
	    cmocka_unit_test(test_fixed_rejects_a_non_digit_and_leaves_the_output),
	    cmocka_unit_test(test_fixed_rejects_widths_that_do_not_fit),
	    cmocka_unit_test(test_bytes_decode_in_order),
	    cmocka_unit_test(test_bytes_reject_odd_length_and_non_digits_untouched),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
