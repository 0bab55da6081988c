/*
 * mask_test - unit tests for the AP mask module.
 *
 * Invariant: ID n is bit 0x80 >> (n % 8) of byte n / 8 everywhere (set
 * operations, hex text and parser), and a write that the kernel's apmask /
 * aqmask store would reject returns -EINVAL and leaves *ret exactly as it
 * was, while an accepted one yields the same IDs the kernel would set.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "mask.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Write the doc's 64-digit examples without typos. */
#define F8  "ffffffff"
#define F16 F8 F8
#define F32 F16 F16
#define Z8  "00000000"
#define Z16 Z8 Z8
#define Z32 Z16 Z16

static void make_mask(struct ap_mask *m, const unsigned int *ids, size_t n)
{
	size_t i;

	ap_mask_zero(m);
	for (i = 0; i < n; i++)
		ap_mask_set(m, ids[i]);
}

/* m holds exactly the IDs listed. */
static void assert_ids(const struct ap_mask *m, const unsigned int *ids, size_t n)
{
	struct ap_mask want;

	make_mask(&want, ids, n);
	assert_memory_equal(m->b, want.b, AP_MASK_BYTES);
}

/* m holds every ID except the ones listed. */
static void assert_all_but(const struct ap_mask *m, const unsigned int *ids, size_t n)
{
	struct ap_mask want;
	size_t i;

	ap_mask_fill(&want, AP_MASK_BITS - 1);
	for (i = 0; i < n; i++)
		ap_mask_clear(&want, ids[i]);
	assert_memory_equal(m->b, want.b, AP_MASK_BYTES);
}

static int parse(const char *s, const struct ap_mask *cur, struct ap_mask *ret)
{
	return ap_mask_parse(s, strlen(s), cur, ret);
}

static void poison(struct ap_mask *m)
{
	memset(m->b, 0xa5, sizeof(m->b));
}

static void assert_poisoned(const struct ap_mask *m)
{
	struct ap_mask want;

	poison(&want);
	assert_memory_equal(m->b, want.b, AP_MASK_BYTES);
}

/* ---- bit layout and set operations ---- */

static void test_set_test_clear_use_msb0_bytes(void **state)
{
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	ap_mask_set(&m, 0);
	ap_mask_set(&m, 7);
	ap_mask_set(&m, 8);
	ap_mask_set(&m, 255);
	assert_int_equal(m.b[0], 0x81);
	assert_int_equal(m.b[1], 0x80);
	assert_int_equal(m.b[31], 0x01);
	assert_true(ap_mask_test(&m, 0));
	assert_true(ap_mask_test(&m, 7));
	assert_true(ap_mask_test(&m, 8));
	assert_true(ap_mask_test(&m, 255));
	assert_false(ap_mask_test(&m, 1));
	assert_false(ap_mask_test(&m, 254));

	ap_mask_clear(&m, 7);
	ap_mask_clear(&m, 255);
	assert_int_equal(m.b[0], 0x80);
	assert_int_equal(m.b[31], 0x00);
	assert_false(ap_mask_test(&m, 7));
	assert_true(ap_mask_test(&m, 8));
}

static void test_ids_above_255_are_ignored(void **state)
{
	struct ap_mask m, before;

	(void)state;
	ap_mask_fill(&m, 255);
	before = m;
	assert_false(ap_mask_test(&m, 256));
	assert_false(ap_mask_test(&m, UINT_MAX));
	ap_mask_clear(&m, 256);
	ap_mask_set(&m, 256);
	assert_memory_equal(m.b, before.b, AP_MASK_BYTES);
}

static void test_zero_clears_every_id(void **state)
{
	struct ap_mask m;

	(void)state;
	poison(&m);
	ap_mask_zero(&m);
	assert_true(ap_mask_empty(&m));
	assert_int_equal(ap_mask_count(&m), 0);
}

static void test_fill_sets_exactly_ids_up_to_last(void **state)
{
	static const unsigned int lasts[] = {0, 7, 8, 254};
	struct ap_mask m;
	size_t i;
	unsigned int n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(lasts); i++) {
		poison(&m); /* stale IDs above last must go */
		ap_mask_fill(&m, lasts[i]);
		assert_int_equal(ap_mask_count(&m), lasts[i] + 1);
		for (n = 0; n < AP_MASK_BITS; n++)
			assert_int_equal(ap_mask_test(&m, n), n <= lasts[i]);
	}
}

static void test_fill_255_or_more_fills_whole_mask(void **state)
{
	static const unsigned int lasts[] = {255, 256, UINT_MAX};
	struct ap_mask m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(lasts); i++) {
		ap_mask_zero(&m);
		ap_mask_fill(&m, lasts[i]);
		assert_int_equal(ap_mask_count(&m), 256);
	}
}

static void test_empty_is_true_only_for_all_zero(void **state)
{
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_true(ap_mask_empty(&m));
	ap_mask_set(&m, 255);
	assert_false(ap_mask_empty(&m));
	ap_mask_zero(&m);
	ap_mask_set(&m, 0);
	assert_false(ap_mask_empty(&m));
}

static void test_count_counts_set_ids(void **state)
{
	static const unsigned int ids[] = {0, 7, 8, 255};
	struct ap_mask m;

	(void)state;
	make_mask(&m, ids, ARRAY_SIZE(ids));
	assert_int_equal(ap_mask_count(&m), 4);
	ap_mask_fill(&m, 255);
	assert_int_equal(ap_mask_count(&m), 256);
}

static void test_next_finds_lowest_id_at_or_after_from(void **state)
{
	static const unsigned int ids[] = {0, 7, 8, 255};
	struct ap_mask m;

	(void)state;
	make_mask(&m, ids, ARRAY_SIZE(ids));
	assert_int_equal(ap_mask_next(&m, 0), 0);
	assert_int_equal(ap_mask_next(&m, 1), 7);
	assert_int_equal(ap_mask_next(&m, 7), 7);
	assert_int_equal(ap_mask_next(&m, 8), 8);
	assert_int_equal(ap_mask_next(&m, 9), 255);
	assert_int_equal(ap_mask_next(&m, 255), 255);
	assert_int_equal(ap_mask_next(&m, 256), -1);
	assert_int_equal(ap_mask_next(&m, INT_MAX), -1);
	assert_int_equal(ap_mask_next(&m, -5), 0);

	ap_mask_zero(&m);
	assert_int_equal(ap_mask_next(&m, 0), -1);
}

static void test_last_finds_highest_id(void **state)
{
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(ap_mask_last(&m), -1);
	ap_mask_set(&m, 0);
	assert_int_equal(ap_mask_last(&m), 0);
	ap_mask_set(&m, 7);
	assert_int_equal(ap_mask_last(&m), 7);
	ap_mask_set(&m, 8);
	assert_int_equal(ap_mask_last(&m), 8);
	ap_mask_set(&m, 255);
	assert_int_equal(ap_mask_last(&m), 255);
}

static void test_for_each_visits_ids_in_ascending_order(void **state)
{
	static const unsigned int ids[] = {0, 7, 8, 255};
	struct ap_mask m;
	unsigned int seen[AP_MASK_BITS];
	size_t nseen = 0;
	int n;

	(void)state;
	make_mask(&m, ids, ARRAY_SIZE(ids));
	ap_mask_for_each (n, &m)
		seen[nseen++] = (unsigned int)n;
	assert_int_equal(nseen, ARRAY_SIZE(ids));
	assert_memory_equal(seen, ids, sizeof(ids));

	nseen = 0;
	ap_mask_zero(&m);
	ap_mask_for_each (n, &m)
		nseen++;
	assert_int_equal(nseen, 0);

	ap_mask_fill(&m, 255);
	ap_mask_for_each (n, &m)
		assert_int_equal(n, (int)nseen++);
	assert_int_equal(nseen, 256);
}

static void test_and_keeps_common_ids_even_in_place(void **state)
{
	static const unsigned int a_ids[] = {0, 7, 8, 255};
	static const unsigned int b_ids[] = {7, 8, 9};
	static const unsigned int both[] = {7, 8};
	struct ap_mask a, b, dst;

	(void)state;
	make_mask(&a, a_ids, ARRAY_SIZE(a_ids));
	make_mask(&b, b_ids, ARRAY_SIZE(b_ids));
	ap_mask_and(&dst, &a, &b);
	assert_ids(&dst, both, ARRAY_SIZE(both));
	ap_mask_and(&a, &a, &b);
	assert_ids(&a, both, ARRAY_SIZE(both));
}

static void test_or_unites_ids_even_in_place(void **state)
{
	static const unsigned int a_ids[] = {0, 255};
	static const unsigned int b_ids[] = {7, 8};
	static const unsigned int all[] = {0, 7, 8, 255};
	struct ap_mask a, b, dst;

	(void)state;
	make_mask(&a, a_ids, ARRAY_SIZE(a_ids));
	make_mask(&b, b_ids, ARRAY_SIZE(b_ids));
	ap_mask_or(&dst, &a, &b);
	assert_ids(&dst, all, ARRAY_SIZE(all));
	ap_mask_or(&b, &a, &b);
	assert_ids(&b, all, ARRAY_SIZE(all));
}

static void test_andnot_removes_ids_of_b_even_in_place(void **state)
{
	static const unsigned int a_ids[] = {0, 7, 8, 255};
	static const unsigned int b_ids[] = {7, 255, 100};
	static const unsigned int left[] = {0, 8};
	struct ap_mask a, b, dst;

	(void)state;
	make_mask(&a, a_ids, ARRAY_SIZE(a_ids));
	make_mask(&b, b_ids, ARRAY_SIZE(b_ids));
	ap_mask_andnot(&dst, &a, &b);
	assert_ids(&dst, left, ARRAY_SIZE(left));
	ap_mask_andnot(&a, &a, &b);
	assert_ids(&a, left, ARRAY_SIZE(left));
	ap_mask_andnot(&b, &b, &b);
	assert_true(ap_mask_empty(&b));
}

static void test_intersects_needs_a_shared_id(void **state)
{
	struct ap_mask a, b;

	(void)state;
	ap_mask_zero(&a);
	ap_mask_zero(&b);
	assert_false(ap_mask_intersects(&a, &b));
	ap_mask_set(&a, 0);
	ap_mask_set(&b, 255);
	assert_false(ap_mask_intersects(&a, &b));
	ap_mask_set(&a, 7);
	ap_mask_set(&b, 8);
	assert_false(ap_mask_intersects(&a, &b));
	ap_mask_set(&a, 255);
	assert_true(ap_mask_intersects(&a, &b));
	assert_true(ap_mask_intersects(&b, &a));
}

static void test_subset_means_every_id_of_a_in_b(void **state)
{
	static const unsigned int small[] = {0, 7};
	static const unsigned int big[] = {0, 7, 8, 255};
	struct ap_mask a, b, empty;

	(void)state;
	ap_mask_zero(&empty);
	make_mask(&a, small, ARRAY_SIZE(small));
	make_mask(&b, big, ARRAY_SIZE(big));
	assert_true(ap_mask_subset(&empty, &empty));
	assert_true(ap_mask_subset(&empty, &a));
	assert_true(ap_mask_subset(&a, &b));
	assert_false(ap_mask_subset(&b, &a));
	assert_true(ap_mask_subset(&b, &b));
	ap_mask_zero(&a);
	ap_mask_set(&a, 255);
	ap_mask_zero(&b);
	ap_mask_set(&b, 0);
	assert_false(ap_mask_subset(&a, &b));
}

static void test_equal_compares_every_id(void **state)
{
	struct ap_mask a, b;

	(void)state;
	ap_mask_fill(&a, 255);
	ap_mask_fill(&b, 255);
	assert_true(ap_mask_equal(&a, &b));
	ap_mask_clear(&b, 255);
	assert_false(ap_mask_equal(&a, &b));
	ap_mask_set(&b, 255);
	ap_mask_clear(&b, 0);
	assert_false(ap_mask_equal(&a, &b));
}

static void test_any_above_looks_only_past_max(void **state)
{
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	ap_mask_set(&m, 255);
	assert_true(ap_mask_any_above(&m, 0));
	assert_true(ap_mask_any_above(&m, 254));
	assert_false(ap_mask_any_above(&m, 255));
	assert_false(ap_mask_any_above(&m, UINT_MAX));

	ap_mask_zero(&m);
	ap_mask_set(&m, 8);
	ap_mask_set(&m, 0);
	assert_true(ap_mask_any_above(&m, 7));
	assert_false(ap_mask_any_above(&m, 8));

	ap_mask_zero(&m);
	ap_mask_set(&m, 0);
	assert_false(ap_mask_any_above(&m, 0));
}

/* ---- format ---- */

static void test_format_prints_0x_and_64_lower_case_digits(void **state)
{
	static const unsigned int ids[] = {1, 2, 3, 4, 5, 7, 248, 250, 252, 253, 254, 255};
	char out[AP_MASK_HEX_LEN];
	struct ap_mask m;

	(void)state;
	make_mask(&m, ids, ARRAY_SIZE(ids));
	memset(out, 'Z', sizeof(out));
	assert_int_equal(ap_mask_format(&m, out), 66);
	/* byte 0 = 0x7d, bytes 1..30 = 0, byte 31 = 0xaf */
	assert_string_equal(out, "0x7d" Z32 Z16 Z8 "0000af");

	ap_mask_zero(&m);
	assert_int_equal(ap_mask_format(&m, out), 66);
	assert_string_equal(out, "0x" Z32 Z32);

	ap_mask_fill(&m, 255);
	ap_mask_format(&m, out);
	assert_string_equal(out, "0x" F32 F32);
}

static void test_format_output_parses_back_to_same_mask(void **state)
{
	static const unsigned int ids[] = {0, 7, 8, 71, 128, 171, 255};
	char out[AP_MASK_HEX_LEN];
	struct ap_mask m, back;

	(void)state;
	make_mask(&m, ids, ARRAY_SIZE(ids));
	ap_mask_format(&m, out);
	assert_int_equal(ap_mask_parse(out, strlen(out), NULL, &back), 0);
	assert_true(ap_mask_equal(&m, &back));
}

/* ---- absolute form ---- */

static void test_absolute_doc_0x7d_is_adapters_1_to_5_and_7(void **state)
{
	static const unsigned int ids[] = {1, 2, 3, 4, 5, 7};
	struct ap_mask m;

	(void)state;
	assert_int_equal(parse("0x7d", NULL, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

static void test_absolute_doc_0x41_is_ids_1_and_7(void **state)
{
	static const unsigned int ids[] = {1, 7};
	struct ap_mask m;

	(void)state;
	assert_int_equal(parse("0x41\n", NULL, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

static void test_absolute_doc_short_masks_are_left_aligned(void **state)
{
	static const unsigned int id1[] = {1};
	static const unsigned int id0[] = {0};
	struct ap_mask m;
	unsigned int n;

	(void)state;
	assert_int_equal(parse("0xffff", NULL, &m), 0);
	assert_int_equal(ap_mask_count(&m), 16);
	for (n = 0; n < 16; n++)
		assert_true(ap_mask_test(&m, n));
	assert_int_equal(parse("0x40", NULL, &m), 0);
	assert_ids(&m, id1, ARRAY_SIZE(id1));
	assert_int_equal(parse("0x8", NULL, &m), 0);
	assert_ids(&m, id0, ARRAY_SIZE(id0));
}

static void test_absolute_doc_apmask_frees_adapters_5_and_6(void **state)
{
	static const unsigned int freed[] = {5, 6};
	struct ap_mask m;

	(void)state;
	assert_int_equal(parse("0xf9ffffffffffffff" F16 F32 "\n", NULL, &m), 0);
	assert_all_but(&m, freed, ARRAY_SIZE(freed));
}

static void test_absolute_doc_aqmask_frees_4_0x47_0xab_0xff(void **state)
{
	static const unsigned int freed[] = {4, 0x47, 0xab, 0xff};
	struct ap_mask m;

	(void)state;
	assert_int_equal(
	    parse("0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n", NULL, &m),
	    0);
	assert_all_but(&m, freed, ARRAY_SIZE(freed));
}

static void test_absolute_accepts_bare_x_and_no_prefix(void **state)
{
	static const unsigned int ids[] = {1, 2, 3, 4, 5, 7};
	static const char *const texts[] = {"x7d", "7d", "7D\n", "0x7D"};
	struct ap_mask m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(parse(texts[i], NULL, &m), 0);
		assert_ids(&m, ids, ARRAY_SIZE(ids));
	}
}

static void test_absolute_accepts_mixed_case_digits(void **state)
{
	struct ap_mask m;

	(void)state;
	assert_int_equal(parse("0xAbCdEf", NULL, &m), 0);
	assert_int_equal(m.b[0], 0xab);
	assert_int_equal(m.b[1], 0xcd);
	assert_int_equal(m.b[2], 0xef);
	assert_int_equal(ap_mask_last(&m), 23);
}

static void test_absolute_rejects_upper_case_0X_prefix(void **state)
{
	struct ap_mask m;

	(void)state;
	poison(&m);
	assert_int_equal(parse("0X7d", NULL, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_absolute_rejects_doubled_x(void **state)
{
	struct ap_mask m;

	(void)state;
	poison(&m);
	assert_int_equal(parse("0xx7d", NULL, &m), -EINVAL);
	assert_int_equal(parse("xx7d", NULL, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_absolute_accepts_64_digits(void **state)
{
	struct ap_mask m;

	(void)state;
	assert_int_equal(parse("0x" F32 F32, NULL, &m), 0);
	assert_int_equal(ap_mask_count(&m), 256);
	assert_int_equal(parse(F32 F32 "\n", NULL, &m), 0);
	assert_int_equal(ap_mask_count(&m), 256);
}

static void test_absolute_rejects_65_digits(void **state)
{
	struct ap_mask m;

	(void)state;
	poison(&m);
	assert_int_equal(parse("0x" F32 F32 "f", NULL, &m), -EINVAL);
	assert_int_equal(parse("0x" F32 F32 "0\n", NULL, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_absolute_accepts_one_trailing_newline(void **state)
{
	static const unsigned int ids[] = {0};
	struct ap_mask m;

	(void)state;
	assert_int_equal(parse("0x8\n", NULL, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

static void test_absolute_rejects_second_newline(void **state)
{
	struct ap_mask m;

	(void)state;
	poison(&m);
	assert_int_equal(parse("0x8\n\n", NULL, &m), -EINVAL);
	assert_int_equal(parse("0x8\n0", NULL, &m), -EINVAL);
	assert_int_equal(parse("\n\n", NULL, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_absolute_rejects_blanks_commas_and_non_hex(void **state)
{
	static const char *const texts[] = {"0x7d ", " 0x7d", "0x7d,", "0x7d,0x1", "0x7g",
					    "0x 7d", "7d\t",  "g",     "0x7d\r\n", "#"};
	struct ap_mask m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(parse(texts[i], NULL, &m), -EINVAL);
		assert_poisoned(&m);
	}
}

static void test_absolute_empty_text_gives_zero_mask(void **state)
{
	static const char *const texts[] = {"", "\n", "0x", "x", "0x\n", "x\n"};
	struct ap_mask m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(parse(texts[i], NULL, &m), 0);
		assert_true(ap_mask_empty(&m));
	}
}

static void test_absolute_ignores_current_mask(void **state)
{
	static const unsigned int ids[] = {0};
	struct ap_mask cur, m;

	(void)state;
	ap_mask_fill(&cur, 255);
	assert_int_equal(parse("0x8", &cur, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
	assert_int_equal(ap_mask_count(&cur), 256);
}

/* ---- relative form ---- */

static void test_relative_doc_single_ids(void **state)
{
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+0", &m, &m), 0);
	assert_true(ap_mask_test(&m, 0));
	assert_int_equal(parse("+0x41", &m, &m), 0);
	assert_true(ap_mask_test(&m, 65));
	assert_int_equal(ap_mask_count(&m), 2);

	ap_mask_fill(&m, 255);
	assert_int_equal(parse("-13", &m, &m), 0);
	assert_false(ap_mask_test(&m, 13));
	assert_int_equal(parse("-0xff\n", &m, &m), 0);
	assert_false(ap_mask_test(&m, 255));
	assert_int_equal(ap_mask_count(&m), 254);
}

static void test_relative_doc_list_applies_to_given_start(void **state)
{
	static const unsigned int start[] = {6, 100, 240};
	static const unsigned int want[] = {0, 71, 100};
	struct ap_mask cur, m;

	(void)state;
	make_mask(&cur, start, ARRAY_SIZE(start));
	assert_int_equal(parse("+0,-6,+0x47,-0xf0", &cur, &m), 0);
	assert_ids(&m, want, ARRAY_SIZE(want));
	assert_ids(&cur, start, ARRAY_SIZE(start));
}

static void test_relative_range_sets_ids(void **state)
{
	struct ap_mask m;
	unsigned int n;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+0-15", &m, &m), 0);
	assert_int_equal(ap_mask_count(&m), 16);
	for (n = 0; n < 16; n++)
		assert_true(ap_mask_test(&m, n));

	ap_mask_zero(&m);
	assert_int_equal(parse("+0x10-0x1f", &m, &m), 0);
	assert_int_equal(ap_mask_count(&m), 16);
	assert_int_equal(ap_mask_next(&m, 0), 16);
	assert_int_equal(ap_mask_last(&m), 31);
}

static void test_relative_range_clears_ids(void **state)
{
	static const unsigned int gone[] = {7, 8};
	struct ap_mask m;

	(void)state;
	ap_mask_fill(&m, 255);
	assert_int_equal(parse("-7-8", &m, &m), 0);
	assert_all_but(&m, gone, ARRAY_SIZE(gone));
	assert_int_equal(parse("-0-255", &m, &m), 0);
	assert_true(ap_mask_empty(&m));
}

static void test_relative_single_id_range_is_allowed(void **state)
{
	static const unsigned int ids[] = {255};
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+255-255", &m, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

static void test_relative_reads_octal_after_leading_zero(void **state)
{
	static const unsigned int ids[] = {0, 8, 255};
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+010,+0377,+00", &m, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
	assert_int_equal(parse("+0400", &m, &m), -EINVAL);
}

static void test_relative_accepts_upper_case_0X_in_numbers(void **state)
{
	static const unsigned int ids[] = {16, 17, 18};
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+0X10-0x12", &m, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

/* "0x" without a hex digit reads as octal 0, then 'x' is an unsigned element. */
static void test_relative_rejects_0x_without_hex_digit(void **state)
{
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	poison(&m);
	assert_int_equal(parse("+0x", &cur, &m), -EINVAL);
	assert_int_equal(parse("+0xg", &cur, &m), -EINVAL);
	assert_int_equal(parse("+08", &cur, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_relative_rejects_element_without_sign(void **state)
{
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	poison(&m);
	assert_int_equal(parse("+5,6", &cur, &m), -EINVAL);
	assert_int_equal(parse("-5,,6\n", &cur, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_relative_skips_runs_of_commas_and_newlines(void **state)
{
	static const unsigned int gone[] = {5, 6};
	static const unsigned int ids[] = {1, 2};
	struct ap_mask m;

	(void)state;
	ap_mask_fill(&m, 255);
	assert_int_equal(parse("-5,-6\n", &m, &m), 0);
	assert_all_but(&m, gone, ARRAY_SIZE(gone));

	ap_mask_zero(&m);
	assert_int_equal(parse("+1,,\n,+2\n\n,", &m, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

static void test_relative_rejects_missing_number(void **state)
{
	static const char *const texts[] = {"+",   "-",	  "+,",	 "-\n", "+x",
					    "+ 5", "+-5", "++5", "+5,+"};
	struct ap_mask cur, m;
	size_t i;

	(void)state;
	ap_mask_zero(&cur);
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(parse(texts[i], &cur, &m), -EINVAL);
		assert_poisoned(&m);
	}
}

static void test_relative_rejects_id_256_and_above(void **state)
{
	static const char *const texts[] = {"+256", "-0x100", "+0-256", "+0x0-0x100", "+999"};
	struct ap_mask cur, m;
	size_t i;

	(void)state;
	ap_mask_zero(&cur);
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(parse(texts[i], &cur, &m), -EINVAL);
		assert_poisoned(&m);
	}
	assert_int_equal(parse("+255", &cur, &m), 0);
}

static void test_relative_rejects_reversed_range(void **state)
{
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	poison(&m);
	assert_int_equal(parse("+5-4", &cur, &m), -EINVAL);
	assert_int_equal(parse("-0xff-0", &cur, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_relative_rejects_missing_range_end(void **state)
{
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	poison(&m);
	assert_int_equal(parse("+5-", &cur, &m), -EINVAL);
	assert_int_equal(parse("+5-,+6", &cur, &m), -EINVAL);
	assert_int_equal(parse("+5--6", &cur, &m), -EINVAL);
	assert_int_equal(parse("+5-\n", &cur, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_relative_rejects_trailing_garbage(void **state)
{
	static const char *const texts[] = {"+5 ", "+5;", "+5\t", "+5\n ", "+5x", "+5.0"};
	struct ap_mask cur, m;
	size_t i;

	(void)state;
	ap_mask_zero(&cur);
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(parse(texts[i], &cur, &m), -EINVAL);
		assert_poisoned(&m);
	}
}

/* The number wraps modulo 2^64 before the range check, as in today's kernel. */
static void test_relative_huge_numbers_wrap_modulo_2_64(void **state)
{
	static const unsigned int ids[] = {5};
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	assert_int_equal(parse("+18446744073709551621", &cur, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
	/* 2^32 + 5 stays far above 255: no truncation to 32 bits. */
	assert_int_equal(parse("+4294967301", &cur, &m), -EINVAL);
}

static void test_relative_range_followed_by_dash_starts_new_element(void **state)
{
	static const unsigned int ids[] = {1, 3};
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+1-3-2", &m, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
}

static void test_relative_last_operation_wins(void **state)
{
	static const unsigned int gone[] = {128};
	struct ap_mask m;

	(void)state;
	ap_mask_zero(&m);
	assert_int_equal(parse("+0-255,-128", &m, &m), 0);
	assert_all_but(&m, gone, ARRAY_SIZE(gone));
	assert_int_equal(parse("-128,+128", &m, &m), 0);
	assert_int_equal(ap_mask_count(&m), 256);
}

static void test_relative_needs_current_mask(void **state)
{
	struct ap_mask m;

	(void)state;
	poison(&m);
	assert_int_equal(parse("+5", NULL, &m), -EINVAL);
	assert_int_equal(parse("-5", NULL, &m), -EINVAL);
	assert_poisoned(&m);
}

static void test_relative_and_absolute_doc_forms_agree(void **state)
{
	struct ap_mask all, rel, abs;

	(void)state;
	ap_mask_fill(&all, 255);
	assert_int_equal(parse("-5,-6\n", &all, &rel), 0);
	assert_int_equal(parse("0xf9ffffffffffffff" F16 F32 "\n", &all, &abs), 0);
	assert_true(ap_mask_equal(&rel, &abs));

	assert_int_equal(parse("-4,-0x47,-0xab,-0xff\n", &all, &rel), 0);
	assert_int_equal(
	    parse("0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n", &all,
		  &abs),
	    0);
	assert_true(ap_mask_equal(&rel, &abs));
}

/* An error after some elements were applied must not leak them. */
static void test_relative_failure_leaves_ret_and_cur_untouched(void **state)
{
	static const unsigned int start[] = {9};
	struct ap_mask cur, m;

	(void)state;
	make_mask(&cur, start, ARRAY_SIZE(start));
	poison(&m);
	assert_int_equal(parse("+1,+2,-9,+999", &cur, &m), -EINVAL);
	assert_poisoned(&m);
	assert_ids(&cur, start, ARRAY_SIZE(start));

	m = cur;
	assert_int_equal(parse("+1,+2,-9,+999", &m, &m), -EINVAL);
	assert_ids(&m, start, ARRAY_SIZE(start));
}

/* ---- the text ends at len or at the first NUL ---- */

static void test_parse_stops_at_nul_byte(void **state)
{
	static const char abs[] = "0x7d\0garbage";
	static const char abs_nl[] = "0x7d\n\0\n\n";
	static const char rel[] = "+5\0,6";
	static const char lead[] = "\0+5";
	static const unsigned int ids_abs[] = {1, 2, 3, 4, 5, 7};
	static const unsigned int ids_rel[] = {5};
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	assert_int_equal(ap_mask_parse(abs, sizeof(abs) - 1, NULL, &m), 0);
	assert_ids(&m, ids_abs, ARRAY_SIZE(ids_abs));
	assert_int_equal(ap_mask_parse(abs_nl, sizeof(abs_nl) - 1, NULL, &m), 0);
	assert_ids(&m, ids_abs, ARRAY_SIZE(ids_abs));
	assert_int_equal(ap_mask_parse(rel, sizeof(rel) - 1, &cur, &m), 0);
	assert_ids(&m, ids_rel, ARRAY_SIZE(ids_rel));

	/* A leading NUL is an empty, absolute text. */
	ap_mask_fill(&cur, 255);
	poison(&m);
	assert_int_equal(ap_mask_parse(lead, sizeof(lead) - 1, &cur, &m), 0);
	assert_true(ap_mask_empty(&m));
}

static void test_parse_reads_only_len_bytes(void **state)
{
	static const unsigned int ids_abs[] = {1, 2, 3, 4, 5, 7};
	static const unsigned int ids_rel[] = {5};
	struct ap_mask cur, m;

	(void)state;
	ap_mask_zero(&cur);
	assert_int_equal(ap_mask_parse("0x7dff", 4, NULL, &m), 0);
	assert_ids(&m, ids_abs, ARRAY_SIZE(ids_abs));
	assert_int_equal(ap_mask_parse("+5,+6", 2, &cur, &m), 0);
	assert_ids(&m, ids_rel, ARRAY_SIZE(ids_rel));
	assert_int_equal(ap_mask_parse("+5-", 2, &cur, &m), 0);
	assert_ids(&m, ids_rel, ARRAY_SIZE(ids_rel));
	poison(&m);
	assert_int_equal(ap_mask_parse("+5", 0, &cur, &m), 0);
	assert_true(ap_mask_empty(&m));
}

/* ---- the absolute form alone (ap_config tokens) ---- */

static void test_parse_abs_accepts_absolute_forms(void **state)
{
	static const unsigned int ids[] = {1, 2, 3, 4, 5, 7};
	static const char *const texts[] = {"0x7d", "x7d", "7d\n"};
	static const char nul[] = "7d\0zz";
	struct ap_mask m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(ap_mask_parse_abs(texts[i], strlen(texts[i]), &m), 0);
		assert_ids(&m, ids, ARRAY_SIZE(ids));
	}
	assert_int_equal(ap_mask_parse_abs(nul, sizeof(nul) - 1, &m), 0);
	assert_ids(&m, ids, ARRAY_SIZE(ids));
	poison(&m);
	assert_int_equal(ap_mask_parse_abs("", 0, &m), 0);
	assert_true(ap_mask_empty(&m));
}

static void test_parse_abs_rejects_relative_and_bad_text(void **state)
{
	static const char *const texts[] = {"+5",  "-5", "0X7d", "7d\n\n", "0x" F32 F32 "1",
					    "7d,", " 7d"};
	struct ap_mask m;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(texts); i++) {
		poison(&m);
		assert_int_equal(ap_mask_parse_abs(texts[i], strlen(texts[i]), &m), -EINVAL);
		assert_poisoned(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_set_test_clear_use_msb0_bytes),
	    cmocka_unit_test(test_ids_above_255_are_ignored),
	    cmocka_unit_test(test_zero_clears_every_id),
	    cmocka_unit_test(test_fill_sets_exactly_ids_up_to_last),
	    cmocka_unit_test(test_fill_255_or_more_fills_whole_mask),
	    cmocka_unit_test(test_empty_is_true_only_for_all_zero),
	    cmocka_unit_test(test_count_counts_set_ids),
	    cmocka_unit_test(test_next_finds_lowest_id_at_or_after_from),
	    cmocka_unit_test(test_last_finds_highest_id),
	    cmocka_unit_test(test_for_each_visits_ids_in_ascending_order),
	    cmocka_unit_test(test_and_keeps_common_ids_even_in_place),
	    cmocka_unit_test(test_or_unites_ids_even_in_place),
	    cmocka_unit_test(test_andnot_removes_ids_of_b_even_in_place),
	    cmocka_unit_test(test_intersects_needs_a_shared_id),
	    cmocka_unit_test(test_subset_means_every_id_of_a_in_b),
	    cmocka_unit_test(test_equal_compares_every_id),
	    cmocka_unit_test(test_any_above_looks_only_past_max),
	    cmocka_unit_test(test_format_prints_0x_and_64_lower_case_digits),
	    cmocka_unit_test(test_format_output_parses_back_to_same_mask),
	    cmocka_unit_test(test_absolute_doc_0x7d_is_adapters_1_to_5_and_7),
	    cmocka_unit_test(test_absolute_doc_0x41_is_ids_1_and_7),
	    cmocka_unit_test(test_absolute_doc_short_masks_are_left_aligned),
	    cmocka_unit_test(test_absolute_doc_apmask_frees_adapters_5_and_6),
	    cmocka_unit_test(test_absolute_doc_aqmask_frees_4_0x47_0xab_0xff),
	    cmocka_unit_test(test_absolute_accepts_bare_x_and_no_prefix),
	    cmocka_unit_test(test_absolute_accepts_mixed_case_digits),
	    cmocka_unit_test(test_absolute_rejects_upper_case_0X_prefix),
	    cmocka_unit_test(test_absolute_rejects_doubled_x),
	    cmocka_unit_test(test_absolute_accepts_64_digits),
	    cmocka_unit_test(test_absolute_rejects_65_digits),
	    cmocka_unit_test(test_absolute_accepts_one_trailing_newline),
	    cmocka_unit_test(test_absolute_rejects_second_newline),
	    cmocka_unit_test(test_absolute_rejects_blanks_commas_and_non_hex),
	    cmocka_unit_test(test_absolute_empty_text_gives_zero_mask),
	    cmocka_unit_test(test_absolute_ignores_current_mask),
	    cmocka_unit_test(test_relative_doc_single_ids),
	    cmocka_unit_test(test_relative_doc_list_applies_to_given_start),
	    cmocka_unit_test(test_relative_range_sets_ids),
	    cmocka_unit_test(test_relative_range_clears_ids),
	    cmocka_unit_test(test_relative_single_id_range_is_allowed),
	    cmocka_unit_test(test_relative_reads_octal_after_leading_zero),
	    cmocka_unit_test(test_relative_accepts_upper_case_0X_in_numbers),
	    cmocka_unit_test(test_relative_rejects_0x_without_hex_digit),
	    cmocka_unit_test(test_relative_rejects_element_without_sign),
	    cmocka_unit_test(test_relative_skips_runs_of_commas_and_newlines),
	    cmocka_unit_test(test_relative_rejects_missing_number),
	    cmocka_unit_test(test_relative_rejects_id_256_and_above),
	    cmocka_unit_test(test_relative_rejects_reversed_range),
	    cmocka_unit_test(test_relative_rejects_missing_range_end),
	    cmocka_unit_test(test_relative_rejects_trailing_garbage),
	    cmocka_unit_test(test_relative_huge_numbers_wrap_modulo_2_64),
	    cmocka_unit_test(test_relative_range_followed_by_dash_starts_new_element),
	    cmocka_unit_test(test_relative_last_operation_wins),
	    cmocka_unit_test(test_relative_needs_current_mask),
	    cmocka_unit_test(test_relative_and_absolute_doc_forms_agree),
	    cmocka_unit_test(test_relative_failure_leaves_ret_and_cur_untouched),
	    cmocka_unit_test(test_parse_stops_at_nul_byte),
	    cmocka_unit_test(test_parse_reads_only_len_bytes),
	    cmocka_unit_test(test_parse_abs_accepts_absolute_forms),
	    cmocka_unit_test(test_parse_abs_rejects_relative_and_bad_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
