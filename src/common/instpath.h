/*
 * instpath - where one emulator instance lives: its mount point, made
 * absolute, and the files named after it ("<mount>.sock", "<mount>.log",
 * "<mount>.mdevctl.d"). One definition for apemud and the CLI, so that both
 * find the same instance from the same --mount.
 */
#ifndef APEMU_COMMON_INSTPATH_H
#define APEMU_COMMON_INSTPATH_H

#include <stddef.h>
#include <sys/un.h>

/* The instance used without --mount (libapemu-guest's default socket is this + ".sock"). */
#define INSTPATH_DEFAULT_MOUNT "/run/apemu/sys"

/* A control socket's path must fit a sockaddr_un. */
#define INSTPATH_SOCKET_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))

/*
 * path made absolute: a relative path is taken from the working directory
 * (nothing resolved: symbolic links, "." and ".." stay). -EINVAL for NULL
 * or "", -ENAMETOOLONG when the result does not fit size bytes, -errno from
 * getcwd(). ret is written only on success.
 */
int instpath_absolute(const char *path, char *ret, size_t size);

/*
 * A mount point as apemud and the CLI name it: absolute (as above) without
 * trailing slashes. "/" (or "//"...) is refused with -EINVAL: the tree is
 * never mounted over the root. Other errors as instpath_absolute().
 */
int instpath_mount(const char *mount, char *ret, size_t size);

/* mount followed by suffix (".sock"); -ENAMETOOLONG when it does not fit (ret untouched). */
int instpath_derive(const char *mount, const char *suffix, char *ret, size_t size);

#endif
