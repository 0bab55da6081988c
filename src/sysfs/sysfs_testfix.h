/*
 * sysfs_testfix - what the tree's unit tests share: a small machine served
 * by the tree in-process, without FUSE, and paths walked the way the
 * kernel walks them (lookup by lookup, following links like the VFS).
 *
 * The machine: APXA, Na = Nd = 255; adapters 0x04 CEX8A, 0x05 CEX7C,
 * 0x06 CEX8P, 0x0b CEX8A; usage domains 4, 0x47, 0xab, 0xff; control
 * domains those and 0-15; apmask all ones but adapter 0x0b, so that its
 * queues are bound to vfio_ap and the others' to cex4queue.
 */
#ifndef APEMU_SYSFS_TESTFIX_H
#define APEMU_SYSFS_TESTFIX_H

#include "fs_int.h"

struct fix {
	pthread_mutex_t lock;
	struct ap_machine hw;
	struct ap_system *s;
	struct apemu_sysfs fs;
};

/* A new fixture of the ABI; asserts on failure. */
struct fix *fix_new(enum ap_abi abi);
void fix_free(struct fix *f);

/* The root directory, resolved. */
void fix_root(struct fix *f, struct sysfs_ctx *ret);

/*
 * Resolve path ("/sys/..." or relative to the root) into *ret: 0, or the
 * errno a lookup gives (-ENOENT, -ENOTDIR, -ELOOP). Links on the way are
 * followed; the last one too when follow.
 */
int fix_walk(struct fix *f, const char *path, bool follow, struct sysfs_ctx *ret);

/* Read a file as op_read does at offset 0: its length, or -errno. */
int fix_read(struct fix *f, const char *path, char buf[SYSFS_PAGE]);
/* Write text to a file as op_write does: 0 or -errno. */
int fix_write(struct fix *f, const char *path, const char *text);
/* The target of link path: 0 or -errno (-EINVAL: not a link). */
int fix_readlink(struct fix *f, const char *path, char *buf, size_t size);

/*
 * Visit every node listed below the root, parents before children: fn gets
 * the directory it was listed in, the listed child (as listed, not looked
 * up) and its path from the root. Links are not followed.
 */
typedef void fix_visit_fn(struct fix *f, const struct sysfs_ctx *dir, const struct dyn_child *child,
			  const char *path, void *ctx);
void fix_for_each(struct fix *f, fix_visit_fn *fn, void *ctx);

/* Create the mdev uuid through the type's create file; asserts it works. */
void fix_create_mdev(struct fix *f, const char *uuid);

#endif
