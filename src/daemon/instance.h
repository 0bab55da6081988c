/*
 * instance - one emulator instance's place in the file system: the mount
 * point of the tree and the control socket beside it ("<mount>.sock"), and
 * the checks apemud makes before it takes them: refuse a live socket or a
 * live mount, clean up what a crashed daemon left behind.
 */
#ifndef APEMU_INSTANCE_H
#define APEMU_INSTANCE_H

#include <limits.h>

#include "instpath.h"

struct instance_paths {
	char mount[PATH_MAX];		  /* absolute, no trailing '/' */
	char socket[INSTPATH_SOCKET_MAX]; /* absolute */
};

/*
 * The mount point as instpath_mount() makes it; socket (made absolute)
 * NULL or "" means "<mount>.sock". -EINVAL for an empty mount or "/",
 * -ENAMETOOLONG when the socket path does not fit a sockaddr_un, -errno
 * from getcwd().
 */
int instance_paths_init(struct instance_paths *p, const char *mount, const char *socket);

/*
 * Is a daemon serving socket? 0: no (a stale socket file was removed, with
 * a notice); -EADDRINUSE: a connect succeeded; -ENOTSOCK: something else
 * (a symbolic link, a file) is at the path; -EPERM: a socket another user
 * owns is there (never connected to, never removed: the directory may be
 * writable by others, e.g. /tmp); -errno when the check itself failed.
 */
int instance_check_socket(const char *socket);

/*
 * Get the mount point ready: create it and its parents if missing, unmount
 * a stale FUSE mount (ENOTCONN) with a notice. -EBUSY: something is mounted
 * there and alive; -ENOTDIR; -errno.
 */
int instance_prepare_mount(const char *mount);

/* Is path a mount point according to /proc/self/mountinfo? (canonical path) */
int instance_is_mounted(const char *path);

#endif
