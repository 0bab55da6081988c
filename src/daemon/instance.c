/*
 * instance - mount point and socket checks of one emulator instance (see
 * instance.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "dlog.h"
#include "instance.h"

int instance_paths_init(struct instance_paths *p, const char *mount, const char *socket)
{
	int r = instpath_mount(mount, p->mount, sizeof(p->mount));

	if (r < 0)
		return r;
	if (socket && *socket)
		return instpath_absolute(socket, p->socket, sizeof(p->socket));
	return instpath_derive(p->mount, ".sock", p->socket, sizeof(p->socket));
}

int instance_check_socket(const char *socket_path)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct stat st;

	if (fd < 0)
		return -errno;
	if (lstat(socket_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -ENOTSOCK;
	if (st.st_uid != geteuid())
		return -EPERM;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", socket_path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return -EADDRINUSE;
	if (errno != ECONNREFUSED)
		return -errno;
	if (unlink(socket_path) < 0 && errno != ENOENT)
		return -errno;
	dlog_daemon(AP_LOG_NOTICE, "removed the stale control socket %s", socket_path);
	return 0;
}

/* mkdir -p; the last component may be a dead mount (EEXIST is fine). */
static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (last)
			return 0;
		*p = '/';
	}
}

/* Lazily unmount a FUSE mount whose daemon is gone: umount2 as root, else fusermount3. */
static int unmount_stale(const char *path)
{
	pid_t pid;
	int status;

	if (umount2(path, MNT_DETACH) == 0)
		return 0;
	if (errno != EPERM && errno != EACCES)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", "--", path, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EPERM;
}

/* Undo the octal escapes of a mountinfo field (\040 space, \011 tab, \012, \134). */
static void unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

int instance_is_mounted(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *field = strtok_r(line, " ", &save);

		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		unescape(field);
		if (!strcmp(field, path))
			return 1;
	}
	return 0;
}

int instance_prepare_mount(const char *mount)
{
	char real[PATH_MAX];
	struct stat st;
	int r = mkdir_parents(mount);

	if (r < 0)
		return r;
	if (stat(mount, &st) < 0) {
		if (errno != ENOTCONN)
			return -errno;
		r = unmount_stale(mount);
		if (r < 0)
			return r;
		dlog_daemon(AP_LOG_NOTICE, "unmounted the stale FUSE mount at %s", mount);
		if (stat(mount, &st) < 0)
			return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	if (!realpath(mount, real))
		return -errno;
	r = instance_is_mounted(real);
	if (r < 0)
		return r;
	return r ? -EBUSY : 0;
}
