/*
 * parse_test - unit tests for the sysfs store readers.
 *
 * Invariant: each reader accepts exactly the text its kernel counterpart
 * (kstrtoul base 0, vsscanf %i/%d/%llu, kstrtobool, the mdev core's UUID
 * check) accepts, yields the same value, reads the text only up to len or the
 * first NUL, and on any error returns the kernel's errno and leaves *ret_*
 * untouched.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "parse.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define UUID_LOWER "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
#define UUID_UPPER "83B8F4F2-509F-382F-3C1E-E6BFE0FA1001"

static const uint8_t uuid_bytes[AP_UUID_LEN] = {0x83, 0xb8, 0xf4, 0xf2, 0x50, 0x9f, 0x38, 0x2f,
						0x3c, 0x1e, 0xe6, 0xbf, 0xe0, 0xfa, 0x10, 0x01};

struct ulong_case {
	const char *text;
	unsigned long val;
};

struct int_case {
	const char *text;
	int val;
};

struct err_case {
	const char *text;
	int err;
};

static int ulong_of(const char *s, unsigned long *v)
{
	return ap_parse_ulong(s, strlen(s), v);
}

static int int_auto_of(const char *s, int *v)
{
	return ap_parse_int_auto(s, strlen(s), v);
}

static int int_dec_of(const char *s, int *v)
{
	return ap_parse_int_dec(s, strlen(s), v);
}

static int ull_of(const char *s, unsigned long long *v)
{
	return ap_parse_ull_dec(s, strlen(s), v);
}

static int bool_of(const char *s, bool *v)
{
	return ap_parse_bool(s, strlen(s), v);
}

/* ---- ap_parse_ulong (kstrtoul, base 0) ---- */

static void test_ulong_reads_decimal_hex_and_octal(void **state)
{
	static const struct ulong_case cases[] = {
	    {"5", 5}, {"0x5", 5}, {"0xab", 171}, {"0XAB", 171},	  {"171", 171}, {"0253", 171},
	    {"0", 0}, {"00", 0},  {"0x0", 0},	 {"0xAbC", 2748}, {"255", 255}, {"65535", 65535},
	};
	unsigned long v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 12345;
		assert_int_equal(ulong_of(cases[i].text, &v), 0);
		assert_int_equal(v, cases[i].val);
	}
}

static void test_ulong_accepts_leading_plus(void **state)
{
	unsigned long v;

	(void)state;
	assert_int_equal(ulong_of("+5", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ulong_of("+0x10\n", &v), 0);
	assert_int_equal(v, 16);
}

static void test_ulong_accepts_one_trailing_newline(void **state)
{
	unsigned long v;

	(void)state;
	assert_int_equal(ulong_of("5\n", &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ulong_of("5\n\n", &v), -EINVAL);
	assert_int_equal(ulong_of("5\r\n", &v), -EINVAL);
}

static void test_ulong_rejects_sign_blanks_and_trailing_text(void **state)
{
	static const char *const texts[] = {
	    "",	  "\n",	 "-1",	"-0", " 5",  "5 ",  "\t5",  "5,6", "5abc", "0x",   "0X",  "08",
	    "09", "0xg", "++5", "+",  "+\n", "+-5", "0x5g", "x5",  "1.0",  "5\n ", "0x\n"};
	unsigned long v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = 12345;
		assert_int_equal(ulong_of(texts[i], &v), -EINVAL);
		assert_int_equal(v, 12345);
	}
}

static void test_ulong_accepts_largest_64_bit_value(void **state)
{
	static const char *const texts[] = {"18446744073709551615", "0xffffffffffffffff",
					    "01777777777777777777777", "+0XFFFFFFFFFFFFFFFF\n"};
	unsigned long v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = 0;
		assert_int_equal(ulong_of(texts[i], &v), 0);
		assert_true(v == ULONG_MAX);
	}
}

/* The range is checked before the rest of the text: "...x" is still -ERANGE. */
static void test_ulong_overflow_is_erange(void **state)
{
	static const char *const texts[] = {"18446744073709551616", "0x10000000000000000",
					    "02000000000000000000000", "99999999999999999999x",
					    "99999999999999999999999999999\n"};
	unsigned long v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = 12345;
		assert_int_equal(ulong_of(texts[i], &v), -ERANGE);
		assert_int_equal(v, 12345);
	}
}

static void test_ulong_stops_at_nul_or_len(void **state)
{
	static const char nul_after[] = "5\0x";
	static const char nul_first[] = "\0"
					"5";
	unsigned long v = 0;

	(void)state;
	assert_int_equal(ap_parse_ulong(nul_after, sizeof(nul_after) - 1, &v), 0);
	assert_int_equal(v, 5);
	assert_int_equal(ap_parse_ulong("123", 2, &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(ap_parse_ulong("0x1f", 2, &v), -EINVAL);
	assert_int_equal(ap_parse_ulong(nul_first, sizeof(nul_first) - 1, &v), -EINVAL);
	assert_int_equal(ap_parse_ulong("5", 0, &v), -EINVAL);
	assert_int_equal(v, 12);
}

/* ---- ap_parse_int_auto (vsscanf %i) ---- */

static void test_int_auto_reads_every_base_and_minus(void **state)
{
	static const struct int_case cases[] = {
	    {"10", 10},
	    {"0x10", 16},
	    {"0X1f", 31},
	    {"010", 8},
	    {"0", 0},
	    {"-0x10", -16},
	    {"-010", -8},
	    {"-7", -7},
	    {"2147483647", INT_MAX},
	    {"-2147483648", INT_MIN},
	};
	int v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 12345;
		assert_int_equal(int_auto_of(cases[i].text, &v), 0);
		assert_int_equal(v, cases[i].val);
	}
}

static void test_int_auto_skips_leading_white_space(void **state)
{
	int v;

	(void)state;
	assert_int_equal(int_auto_of(" \t\n\v\f\r5", &v), 0);
	assert_int_equal(v, 5);
	/* The kernel's ctype treats Latin-1 0xa0 (no-break space) as white space. */
	assert_int_equal(int_auto_of("\xa0-7", &v), 0);
	assert_int_equal(v, -7);
}

static void test_int_auto_ignores_text_after_number(void **state)
{
	static const struct int_case cases[] = {
	    {"5abc", 5},   {"5\n", 5},	 {"08", 0},   {"0x", 0},      {"0xg", 0},
	    {"12 34", 12}, {"0xfg", 15}, {"-5-", -5}, {"7\n\n\n", 7}, {"019", 1},
	};
	int v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 12345;
		assert_int_equal(int_auto_of(cases[i].text, &v), 0);
		assert_int_equal(v, cases[i].val);
	}
}

/* The kernel's vsscanf takes only '-': "+5" converts nothing. */
static void test_int_auto_rejects_plus_sign(void **state)
{
	int v = 12345;

	(void)state;
	assert_int_equal(int_auto_of("+5", &v), -EINVAL);
	assert_int_equal(int_auto_of(" +0x10", &v), -EINVAL);
	assert_int_equal(v, 12345);
}

static void test_int_auto_rejects_text_without_leading_digit(void **state)
{
	static const char *const texts[] = {"",	   "\n",  "   ", "abc", "-",   "- 5",
					    "--5", "-x5", "x10", ".5",	"\n-", "-\n5"};
	int v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = 12345;
		assert_int_equal(int_auto_of(texts[i], &v), -EINVAL);
		assert_int_equal(v, 12345);
	}
}

/* The kernel stores the 64-bit result into an int: only the low 32 bits stay. */
static void test_int_auto_truncates_to_32_bits(void **state)
{
	static const struct int_case cases[] = {
	    {"4294967295", -1},		 {"2147483648", INT_MIN}, {"4294967296", 0},
	    {"-2147483649", INT_MAX},	 {"0x1ffffffff", -1},	  {"-4294967297", -1},
	    {"18446744073709551617", 1},
	};
	int v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 12345;
		assert_int_equal(int_auto_of(cases[i].text, &v), 0);
		assert_int_equal(v, cases[i].val);
	}
}

/* ---- ap_parse_int_dec (vsscanf %d) ---- */

static void test_int_dec_reads_base_10_only(void **state)
{
	static const struct int_case cases[] = {
	    {"0x10", 0},  {"010", 10}, {"08", 8},	  {"-42", -42},
	    {" 7xyz", 7}, {"1\n", 1},  {"4294967297", 1},
	};
	int v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		v = 12345;
		assert_int_equal(int_dec_of(cases[i].text, &v), 0);
		assert_int_equal(v, cases[i].val);
	}
}

static void test_int_dec_rejects_plus_and_missing_digit(void **state)
{
	static const char *const texts[] = {"+1", "", "\n", "-", "x", "a1", "- 1"};
	int v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = 12345;
		assert_int_equal(int_dec_of(texts[i], &v), -EINVAL);
		assert_int_equal(v, 12345);
	}
}

static void test_int_readers_stop_at_nul_or_len(void **state)
{
	static const char nul_first[] = "\0"
					"5";
	static const char nul_mid[] = "1\0"
				      "2";
	int v = 12345;

	(void)state;
	assert_int_equal(ap_parse_int_auto(nul_first, sizeof(nul_first) - 1, &v), -EINVAL);
	assert_int_equal(ap_parse_int_dec(nul_first, sizeof(nul_first) - 1, &v), -EINVAL);
	assert_int_equal(v, 12345);
	assert_int_equal(ap_parse_int_auto(nul_mid, sizeof(nul_mid) - 1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ap_parse_int_dec("123", 1, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(ap_parse_int_auto("0x10", 2, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(ap_parse_int_auto("-5", 1, &v), -EINVAL);
	assert_int_equal(ap_parse_int_dec("5", 0, &v), -EINVAL);
	assert_int_equal(v, 0);
}

/* ---- ap_parse_ull_dec (vsscanf %llu) ---- */

static void test_ull_dec_reads_decimal_and_ignores_the_rest(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(ull_of("0", &v), 0);
	assert_true(v == 0);
	assert_int_equal(ull_of("120000000000", &v), 0);
	assert_true(v == 120000000000ULL);
	assert_int_equal(ull_of("18446744073709551615", &v), 0);
	assert_true(v == ULLONG_MAX);
	assert_int_equal(ull_of(" \t42\n", &v), 0);
	assert_true(v == 42);
	assert_int_equal(ull_of("42abc", &v), 0);
	assert_true(v == 42);
	assert_int_equal(ull_of("0x10", &v), 0);
	assert_true(v == 0);
	assert_int_equal(ull_of("010", &v), 0);
	assert_true(v == 10);
}

static void test_ull_dec_wraps_modulo_2_64(void **state)
{
	unsigned long long v;

	(void)state;
	assert_int_equal(ull_of("18446744073709551616", &v), 0);
	assert_true(v == 0);
	assert_int_equal(ull_of("18446744073709551617", &v), 0);
	assert_true(v == 1);
}

/* %llu is unsigned and the kernel takes no '+': both signs convert nothing. */
static void test_ull_dec_rejects_signs_and_missing_digit(void **state)
{
	static const char *const texts[] = {"-5", "+5", "", " ", "\n", "x", "abc"};
	static const char nul_first[] = "\0"
					"5";
	unsigned long long v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = 12345;
		assert_int_equal(ull_of(texts[i], &v), -EINVAL);
		assert_true(v == 12345);
	}
	assert_int_equal(ap_parse_ull_dec(nul_first, sizeof(nul_first) - 1, &v), -EINVAL);
	assert_int_equal(ap_parse_ull_dec("99", 1, &v), 0);
	assert_true(v == 9);
}

/* ---- ap_parse_bool (kstrtobool) ---- */

static void test_bool_true_from_first_character(void **state)
{
	static const char *const texts[] = {"y",    "Y",  "t",	"T",  "1",    "yes",  "1\n",
					    "true", "on", "ON", "oN", "On\n", "1junk"};
	bool v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = false;
		assert_int_equal(bool_of(texts[i], &v), 0);
		assert_true(v);
	}
}

static void test_bool_false_from_first_character(void **state)
{
	static const char *const texts[] = {"n",     "N",     "f",   "F",   "0",  "no",
					    "0junk", "false", "off", "OFF", "oF", "0\n"};
	bool v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = true;
		assert_int_equal(bool_of(texts[i], &v), 0);
		assert_false(v);
	}
}

static void test_bool_rejects_other_text(void **state)
{
	static const char *const texts[] = {"",	   "\n",  " 1", "2",  "o", "ox",
					    "o\n", "abc", "Ja", "+1", "-1"};
	bool v;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		v = true;
		assert_int_equal(bool_of(texts[i], &v), -EINVAL);
		assert_true(v);
	}
}

static void test_bool_stops_at_nul_or_len(void **state)
{
	static const char o_nul_n[] = "o\0n";
	static const char nul_one[] = "\0"
				      "1";
	bool v = true;

	(void)state;
	assert_int_equal(ap_parse_bool(o_nul_n, sizeof(o_nul_n) - 1, &v), -EINVAL);
	assert_int_equal(ap_parse_bool(nul_one, sizeof(nul_one) - 1, &v), -EINVAL);
	assert_int_equal(ap_parse_bool("1", 0, &v), -EINVAL);
	assert_int_equal(ap_parse_bool("on", 1, &v), -EINVAL);
	assert_true(v);
	assert_int_equal(ap_parse_bool("0", 1, &v), 0);
	assert_false(v);
}

/* ---- ap_uuid_parse / ap_uuid_format ---- */

static void test_uuid_parse_reads_bytes_in_written_order(void **state)
{
	uint8_t u[AP_UUID_LEN];

	(void)state;
	memset(u, 0, sizeof(u));
	assert_int_equal(ap_uuid_parse(UUID_LOWER, 36, true, u), 0);
	assert_memory_equal(u, uuid_bytes, AP_UUID_LEN);
	memset(u, 0, sizeof(u));
	assert_int_equal(ap_uuid_parse(UUID_UPPER, 36, false, u), 0);
	assert_memory_equal(u, uuid_bytes, AP_UUID_LEN);
}

/* The 37th byte is usually echo's '\n', but it is not looked at. */
static void test_uuid_strict_accepts_36_or_37_bytes(void **state)
{
	static const char *const texts[] = {UUID_LOWER, UUID_LOWER "\n", UUID_LOWER "x",
					    UUID_UPPER " "};
	uint8_t u[AP_UUID_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		memset(u, 0, sizeof(u));
		assert_int_equal(ap_uuid_parse(texts[i], strlen(texts[i]), true, u), 0);
		assert_memory_equal(u, uuid_bytes, AP_UUID_LEN);
	}
}

static void test_uuid_strict_rejects_other_lengths(void **state)
{
	static const char nl2[] = UUID_LOWER "\n\n";
	uint8_t u[AP_UUID_LEN];

	(void)state;
	memset(u, 0xa5, sizeof(u));
	assert_int_equal(ap_uuid_parse(UUID_LOWER, 35, true, u), -EINVAL);
	assert_int_equal(ap_uuid_parse(UUID_LOWER, 0, true, u), -EINVAL);
	assert_int_equal(ap_uuid_parse(nl2, sizeof(nl2) - 1, true, u), -EINVAL);
	assert_int_equal(ap_uuid_parse(UUID_LOWER "," UUID_LOWER, 73, true, u), -EINVAL);
	assert_int_equal(u[0], 0xa5);
}

/* The byte count is checked, not the C string: a NUL after the UUID still counts. */
static void test_uuid_strict_length_is_the_byte_count(void **state)
{
	static const char nul1[] = UUID_LOWER "\0";
	static const char nul2[] = UUID_LOWER "\0\0";
	uint8_t u[AP_UUID_LEN];

	(void)state;
	memset(u, 0, sizeof(u));
	assert_int_equal(ap_uuid_parse(nul1, sizeof(nul1) - 1, true, u), 0);
	assert_memory_equal(u, uuid_bytes, AP_UUID_LEN);
	assert_int_equal(ap_uuid_parse(nul2, sizeof(nul2) - 1, true, u), -EINVAL);
	assert_int_equal(ap_uuid_parse(nul2, sizeof(nul2) - 1, false, u), 0);
}

static void test_uuid_not_strict_needs_at_least_36_bytes(void **state)
{
	static const char *const long_text = UUID_LOWER "\n\nanything at all, 0123456789";
	uint8_t u[AP_UUID_LEN];

	(void)state;
	memset(u, 0xa5, sizeof(u));
	assert_int_equal(ap_uuid_parse(UUID_LOWER, 35, false, u), -EINVAL);
	assert_int_equal(u[0], 0xa5);
	assert_int_equal(ap_uuid_parse(long_text, strlen(long_text), false, u), 0);
	assert_memory_equal(u, uuid_bytes, AP_UUID_LEN);
}

static void test_uuid_rejects_misplaced_or_missing_dashes(void **state)
{
	static const char *const texts[] = {
	    "83b8f4f25-09f-382f-3c1e-e6bfe0fa1001", /* dash at 9 */
	    "83b8f4f2-509f-382f-3c1ee6bfe0fa10010", /* no dash at 23 */
	    "83b8f4f2509f382f3c1ee6bfe0fa10010000", /* none */
	    "83b8f4f2-509f-382f-3c1e-e6bfe0fa-001", /* extra */
	    "{3b8f4f2-509f-382f-3c1e-e6bfe0fa1001", "83b8f4f2_509f_382f_3c1e_e6bfe0fa1001",
	};
	uint8_t u[AP_UUID_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		memset(u, 0xa5, sizeof(u));
		assert_int_equal(strlen(texts[i]), 36);
		assert_int_equal(ap_uuid_parse(texts[i], 36, true, u), -EINVAL);
		assert_int_equal(ap_uuid_parse(texts[i], 36, false, u), -EINVAL);
		assert_int_equal(u[0], 0xa5);
	}
}

static void test_uuid_rejects_non_hex_digits(void **state)
{
	static const char *const texts[] = {
	    "g3b8f4f2-509f-382f-3c1e-e6bfe0fa1001",
	    "83b8f4f2-509f-382f-3c1e-e6bfe0fa100z",
	    "83b8f4f2-509f- 82f-3c1e-e6bfe0fa1001",
	    " 83b8f4f2-509f-382f-3c1e-e6bfe0fa100",
	};
	uint8_t u[AP_UUID_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		memset(u, 0xa5, sizeof(u));
		assert_int_equal(ap_uuid_parse(texts[i], 36, true, u), -EINVAL);
		assert_int_equal(u[0], 0xa5);
	}
}

static void test_uuid_rejects_nul_inside_first_36_bytes(void **state)
{
	char text[] = UUID_LOWER "\n";
	uint8_t u[AP_UUID_LEN];

	(void)state;
	memset(u, 0xa5, sizeof(u));
	text[20] = '\0';
	assert_int_equal(ap_uuid_parse(text, 37, true, u), -EINVAL);
	assert_int_equal(ap_uuid_parse(text, 37, false, u), -EINVAL);
	assert_int_equal(u[0], 0xa5);
}

static void test_uuid_format_prints_lower_case_canonical_form(void **state)
{
	char out[AP_UUID_STR_LEN + 1];
	uint8_t u[AP_UUID_LEN];
	static const uint8_t zero[AP_UUID_LEN];

	(void)state;
	memset(out, 'Z', sizeof(out));
	ap_uuid_format(uuid_bytes, out);
	assert_string_equal(out, UUID_LOWER);

	assert_int_equal(ap_uuid_parse(UUID_UPPER "\n", 37, true, u), 0);
	ap_uuid_format(u, out);
	assert_string_equal(out, UUID_LOWER);

	ap_uuid_format(zero, out);
	assert_string_equal(out, "00000000-0000-0000-0000-000000000000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ulong_reads_decimal_hex_and_octal),
	    cmocka_unit_test(test_ulong_accepts_leading_plus),
	    cmocka_unit_test(test_ulong_accepts_one_trailing_newline),
	    cmocka_unit_test(test_ulong_rejects_sign_blanks_and_trailing_text),
	    cmocka_unit_test(test_ulong_accepts_largest_64_bit_value),
	    cmocka_unit_test(test_ulong_overflow_is_erange),
	    cmocka_unit_test(test_ulong_stops_at_nul_or_len),
	    cmocka_unit_test(test_int_auto_reads_every_base_and_minus),
	    cmocka_unit_test(test_int_auto_skips_leading_white_space),
	    cmocka_unit_test(test_int_auto_ignores_text_after_number),
	    cmocka_unit_test(test_int_auto_rejects_plus_sign),
	    cmocka_unit_test(test_int_auto_rejects_text_without_leading_digit),
	    cmocka_unit_test(test_int_auto_truncates_to_32_bits),
	    cmocka_unit_test(test_int_dec_reads_base_10_only),
	    cmocka_unit_test(test_int_dec_rejects_plus_and_missing_digit),
	    cmocka_unit_test(test_int_readers_stop_at_nul_or_len),
	    cmocka_unit_test(test_ull_dec_reads_decimal_and_ignores_the_rest),
	    cmocka_unit_test(test_ull_dec_wraps_modulo_2_64),
	    cmocka_unit_test(test_ull_dec_rejects_signs_and_missing_digit),
	    cmocka_unit_test(test_bool_true_from_first_character),
	    cmocka_unit_test(test_bool_false_from_first_character),
	    cmocka_unit_test(test_bool_rejects_other_text),
	    cmocka_unit_test(test_bool_stops_at_nul_or_len),
	    cmocka_unit_test(test_uuid_parse_reads_bytes_in_written_order),
	    cmocka_unit_test(test_uuid_strict_accepts_36_or_37_bytes),
	    cmocka_unit_test(test_uuid_strict_rejects_other_lengths),
	    cmocka_unit_test(test_uuid_strict_length_is_the_byte_count),
	    cmocka_unit_test(test_uuid_not_strict_needs_at_least_36_bytes),
	    cmocka_unit_test(test_uuid_rejects_misplaced_or_missing_dashes),
	    cmocka_unit_test(test_uuid_rejects_non_hex_digits),
	    cmocka_unit_test(test_uuid_rejects_nul_inside_first_36_bytes),
	    cmocka_unit_test(test_uuid_format_prints_lower_case_canonical_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
