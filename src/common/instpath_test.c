/*
 * instpath_test - an instance's paths (instpath.h), the same for apemud and
 * the CLI.
 *
 * Invariants: a mount point comes out absolute, without trailing slashes,
 * never "/"; a relative path is taken from the working directory, without
 * a doubled slash in "/"; the derived names are the mount point plus a
 * suffix; a result that does not fit is refused and writes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "instpath.h"

static char cwd[PATH_MAX];

static int enter_tmp(void **state)
{
	(void)state;
	return getcwd(cwd, sizeof(cwd)) && chdir("/tmp") == 0 ? 0 : -1;
}

static int leave_tmp(void **state)
{
	(void)state;
	return chdir(cwd);
}

static void test_mount_keeps_an_absolute_path_and_drops_trailing_slashes(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(instpath_mount("/run/apemu/sys", out, sizeof(out)), 0);
	assert_string_equal(out, "/run/apemu/sys");
	assert_int_equal(instpath_mount("/srv/x///", out, sizeof(out)), 0);
	assert_string_equal(out, "/srv/x");
	assert_int_equal(instpath_mount("/a/../b/.", out, sizeof(out)), 0); /* nothing resolved */
	assert_string_equal(out, "/a/../b/.");
}

static void test_mount_takes_a_relative_path_from_the_working_directory(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(instpath_mount("inst/", out, sizeof(out)), 0);
	assert_string_equal(out, "/tmp/inst");
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(instpath_mount("inst", out, sizeof(out)), 0);
	assert_string_equal(out, "/inst");
	assert_int_equal(chdir("/tmp"), 0);
}

static void test_mount_refuses_empty_and_root(void **state)
{
	char out[8] = "keep";

	(void)state;
	assert_int_equal(instpath_mount(NULL, out, sizeof(out)), -EINVAL);
	assert_int_equal(instpath_mount("", out, sizeof(out)), -EINVAL);
	assert_int_equal(instpath_mount("/", out, sizeof(out)), -EINVAL);
	assert_int_equal(instpath_mount("///", out, sizeof(out)), -EINVAL);
	assert_string_equal(out, "keep");
}

static void test_mount_refuses_what_does_not_fit(void **state)
{
	static char longpath[PATH_MAX + 2];
	char out[8] = "keep";

	(void)state;
	assert_int_equal(instpath_mount("/abcdefgh", out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(instpath_mount("/abcdef//", out, sizeof(out)), 0); /* fits once trimmed */
	assert_string_equal(out, "/abcdef");
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	assert_int_equal(instpath_mount(longpath, out, sizeof(out)), -ENAMETOOLONG);
	assert_int_equal(instpath_mount(longpath + 1, out, sizeof(out)), -ENAMETOOLONG);
	assert_string_equal(out, "/abcdef");
}

static void test_absolute_keeps_trailing_slashes_and_refuses_empty(void **state)
{
	char out[PATH_MAX];

	(void)state;
	assert_int_equal(instpath_absolute("s.sock", out, sizeof(out)), 0);
	assert_string_equal(out, "/tmp/s.sock");
	assert_int_equal(instpath_absolute("/x/", out, sizeof(out)), 0);
	assert_string_equal(out, "/x/");
	assert_int_equal(instpath_absolute("", out, sizeof(out)), -EINVAL);
	assert_int_equal(instpath_absolute(NULL, out, sizeof(out)), -EINVAL);
}

static void test_derive_appends_the_suffix_or_refuses(void **state)
{
	char sock[INSTPATH_SOCKET_MAX], small[10] = "keep";

	(void)state;
	assert_int_equal(instpath_derive("/run/apemu/sys", ".sock", sock, sizeof(sock)), 0);
	assert_string_equal(sock, INSTPATH_DEFAULT_MOUNT ".sock");
	assert_int_equal(instpath_derive("/a/b", ".log", small, sizeof(small)), 0);
	assert_string_equal(small, "/a/b.log");
	assert_int_equal(instpath_derive("/a/bc", ".sock", small, sizeof(small)), -ENAMETOOLONG);
	assert_string_equal(small, "/a/b.log");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mount_keeps_an_absolute_path_and_drops_trailing_slashes),
	    cmocka_unit_test(test_mount_takes_a_relative_path_from_the_working_directory),
	    cmocka_unit_test(test_mount_refuses_empty_and_root),
	    cmocka_unit_test(test_mount_refuses_what_does_not_fit),
	    cmocka_unit_test(test_absolute_keeps_trailing_slashes_and_refuses_empty),
	    cmocka_unit_test(test_derive_appends_the_suffix_or_refuses),
	};

	return cmocka_run_group_tests(tests, enter_tmp, leave_tmp);
}
