/*
 * instpath - an instance's mount point and the paths derived from it (see
 * instpath.h).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "instpath.h"

int instpath_absolute(const char *path, char *ret, size_t size)
{
	char buf[PATH_MAX], cwd[PATH_MAX];
	int n;

	if (!path || !*path)
		return -EINVAL;
	if (path[0] == '/') {
		n = snprintf(buf, sizeof(buf), "%s", path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		/* in "/" a relative name must not start with "//" */
		n = snprintf(buf, sizeof(buf), "%s/%s", strcmp(cwd, "/") ? cwd : "", path);
	}
	if (n < 0 || (size_t)n >= sizeof(buf) || (size_t)n >= size)
		return -ENAMETOOLONG;
	memcpy(ret, buf, (size_t)n + 1);
	return 0;
}

int instpath_mount(const char *mount, char *ret, size_t size)
{
	char buf[PATH_MAX];
	size_t len;
	int r = instpath_absolute(mount, buf, sizeof(buf));

	if (r < 0)
		return r;
	len = strlen(buf);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	if (!strcmp(buf, "/"))
		return -EINVAL;
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(ret, buf, len + 1);
	return 0;
}

int instpath_derive(const char *mount, const char *suffix, char *ret, size_t size)
{
	size_t m = strlen(mount), s = strlen(suffix);

	if (m + s >= size)
		return -ENAMETOOLONG;
	memcpy(ret, mount, m);
	memcpy(ret + m, suffix, s + 1);
	return 0;
}
