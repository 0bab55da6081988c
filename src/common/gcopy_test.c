/*
 * gcopy_test - copies to and from shared guest memory (gcopy.h).
 *
 * Invariant: gcopy() leaves exactly what memcpy() would, and gcopy_zero()
 * what memset(0) would, for every alignment of source and destination and
 * every length (the 8-byte path, the byte tail, and lengths below 8), and
 * neither touches a byte outside the destination range.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "gcopy.h"

#define AREA  1200
#define GUARD 0xa5

static _Alignas(8) uint8_t src[AREA], dst[AREA], want[AREA];

static void fill_src(void)
{
	for (size_t i = 0; i < AREA; i++)
		src[i] = (uint8_t)(i * 7 + 3);
}

static const size_t lengths[] = {0, 1, 2, 7, 8, 9, 15, 16, 17, 23, 24, 63, 64, 65, 1000};

static void test_gcopy_is_memcpy(void **state)
{
	(void)state;
	fill_src();
	for (size_t so = 0; so < 16; so++)
		for (size_t dof = 0; dof < 16; dof++)
			for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
				size_t n = lengths[l];

				memset(dst, GUARD, sizeof(dst));
				memset(want, GUARD, sizeof(want));
				memcpy(want + 64 + dof, src + so, n);
				gcopy(dst + 64 + dof, src + so, n);
				assert_memory_equal(dst, want, sizeof(dst));
			}
}

static void test_gcopy_zero_is_memset(void **state)
{
	(void)state;
	for (size_t dof = 0; dof < 16; dof++)
		for (size_t l = 0; l < sizeof(lengths) / sizeof(lengths[0]); l++) {
			size_t n = lengths[l];

			memset(dst, GUARD, sizeof(dst));
			memset(want, GUARD, sizeof(want));
			memset(want + 64 + dof, 0, n);
			gcopy_zero(dst + 64 + dof, n);
			assert_memory_equal(dst, want, sizeof(dst));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gcopy_is_memcpy),
	    cmocka_unit_test(test_gcopy_zero_is_memset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
