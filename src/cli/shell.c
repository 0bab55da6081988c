/*
 * shell - apemu shell (see shell.h).
 *
 * As root the namespace is a plain CLONE_NEWNS. Other users get a user
 * namespace too (mapped to root inside), which is enough for bind mounts
 * of a FUSE tree they mounted themselves.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "shell.h"

#define ETC_MDEVCTL "/etc/mdevctl.d"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		if (last)
			return 0;
		*p = '/';
	}
}

/* The instance's private /etc/mdevctl.d, laid out as mdevctl expects it. */
static int prepare_mdevctl_dir(const struct client_paths *p)
{
	static const char *const subdirs[] = {"/scripts.d/callouts", "/scripts.d/notifiers"};
	char path[PATH_MAX];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		if (snprintf(path, sizeof(path), "%s%s", p->mdevctl, subdirs[i]) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		r = mkdir_p(path, 0755);
		if (r < 0) {
			fprintf(stderr, "apemu shell: cannot create %s: %s\n", path, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? errno : EIO);
}

/* A new mount namespace (and, without root, a user namespace mapping us to root). */
static int enter_namespace(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int r;

	if (uid == 0) {
		if (unshare(CLONE_NEWNS) < 0)
			return -errno;
	} else {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS) < 0)
			return -errno;
		if ((r = write_file("/proc/self/setgroups", "deny")) < 0)
			return r;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		if ((r = write_file("/proc/self/uid_map", map)) < 0)
			return r;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		if ((r = write_file("/proc/self/gid_map", map)) < 0)
			return r;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

/* Is the instance there: a live mount with the AP bus in it? */
static int check_tree(const struct client_paths *p)
{
	char path[PATH_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/ap", p->mount);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTCONN)
			fprintf(stderr,
				"apemu shell: no emulated tree at %s (is apemud running? apemu "
				"start --mount %s)\n",
				p->mount, p->mount);
		else
			fprintf(stderr, "apemu shell: %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int bind_mounts(const struct client_paths *p)
{
	if (mount(p->mount, "/sys", NULL, MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "apemu shell: cannot bind-mount %s over /sys: %s\n", p->mount,
			strerror(errno));
		return -errno;
	}
	if (mount(p->mdevctl, ETC_MDEVCTL, NULL, MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "apemu shell: cannot bind-mount %s over %s: %s\n", p->mdevctl,
			ETC_MDEVCTL, strerror(errno));
		return -errno;
	}
	return 0;
}

int shell_run(const struct client_paths *p, char **argv)
{
	char *def[2] = {NULL, NULL};
	int r;

	if (check_tree(p) < 0 || prepare_mdevctl_dir(p) < 0)
		return 1;
	/* /etc/mdevctl.d must exist to be a mount point. The namespace shares
	 * the file system, so creating it here or inside makes no difference;
	 * it is an empty directory that mdevctl itself would create. */
	if (mkdir(ETC_MDEVCTL, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "apemu shell: cannot create %s: %s\n", ETC_MDEVCTL,
			strerror(errno));
		return 1;
	}
	r = enter_namespace();
	if (r < 0) {
		fprintf(stderr, "apemu shell: cannot create a private mount namespace: %s%s\n",
			strerror(-r),
			geteuid() ? " (run as root, or allow unprivileged user namespaces)" : "");
		return 1;
	}
	if (bind_mounts(p) < 0)
		return 1;
	if (setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1) < 0 ||
	    setenv("APEMU_MOUNT", p->mount, 1) < 0) {
		fprintf(stderr, "apemu shell: setenv: %s\n", strerror(errno));
		return 1;
	}
	if (!argv[0]) {
		def[0] = getenv("SHELL") && *getenv("SHELL") ? getenv("SHELL") : "/bin/sh";
		argv = def;
	}
	execvp(argv[0], argv);
	r = errno;
	fprintf(stderr, "apemu shell: cannot run \"%s\": %s\n", argv[0], strerror(r));
	return r == ENOENT ? 127 : 126;
}
