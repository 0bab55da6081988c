/*
 * cpu_test - the CPU model's text form: every feature can be switched by
 * name, the defaults are QEMU's "ap=on,apqci=on,apft=on,apqi=on" plus msax3
 * and apxa, and a text with any bad element changes nothing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <apemu/guest.h>

static void test_default_has_everything_but_sie(void **state)
{
	struct apemu_cpu c = apemu_cpu_default();

	(void)state;
	assert_true(c.ap && c.apqci && c.apft && c.apqi && c.msax3 && c.apxa);
	assert_false(c.sie);
}

static void test_parse_switches_each_feature(void **state)
{
	struct apemu_cpu c = apemu_cpu_default();

	(void)state;
	assert_int_equal(apemu_cpu_parse("ap=off,apqci=off,apft=off,apqi=off,msax3=off,apxa=off,"
					 "sie=on",
					 &c),
			 0);
	assert_false(c.ap || c.apqci || c.apft || c.apqi || c.msax3 || c.apxa);
	assert_true(c.sie);
	assert_int_equal(apemu_cpu_parse("ap=on,apft=1,apqi=yes,apxa=true,sie=no,msa3=on", &c), 0);
	assert_true(c.ap && c.apft && c.apqi && c.apxa && c.msax3);
	assert_false(c.sie || c.apqci);
}

static void test_parse_later_element_wins(void **state)
{
	struct apemu_cpu c = apemu_cpu_default();

	(void)state;
	assert_int_equal(apemu_cpu_parse("ap=off,ap=on", &c), 0);
	assert_true(c.ap);
}

static void test_parse_empty_text_changes_nothing(void **state)
{
	struct apemu_cpu c = apemu_cpu_default(), d = c;

	(void)state;
	assert_int_equal(apemu_cpu_parse("", &c), 0);
	assert_memory_equal(&c, &d, sizeof(c));
}

static void test_parse_rejects_bad_text_and_changes_nothing(void **state)
{
	static const char *const bad[] = {
	    "ap=of",	 /* bad value */
	    "ap",	 /* no value */
	    "ap=",	 /* empty value */
	    "=on",	 /* no name */
	    "apq=on",	 /* unknown name */
	    "apqcii=on", /* unknown name, a known prefix */
	    "AP=on",	 /* names are lower case */
	    "ap=ON",	 /* values too */
	    "ap=on,",	 /* empty element */
	    ",ap=on",	 /* empty element */
	    "ap=on,,sie=on" /* empty element */,
	    "sie=on,apft=maybe",
	    "ap=on sie=on", /* blanks are not separators */
	};
	struct apemu_cpu c = apemu_cpu_default(), d = c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(apemu_cpu_parse(bad[i], &c), -EINVAL);
		assert_memory_equal(&c, &d, sizeof(c));
	}
	assert_int_equal(apemu_cpu_parse(NULL, &c), -EINVAL);
	assert_int_equal(apemu_cpu_parse("ap=on", NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_has_everything_but_sie),
	    cmocka_unit_test(test_parse_switches_each_feature),
	    cmocka_unit_test(test_parse_later_element_wins),
	    cmocka_unit_test(test_parse_empty_text_changes_nothing),
	    cmocka_unit_test(test_parse_rejects_bad_text_and_changes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
