/*
 * sysfs - the kernel's sysfs tree for the AP bus and vfio_ap, rendered from
 * the core model over FUSE (libfuse3, low-level API).
 *
 * Every callback that touches the model holds the configuration lock given
 * at creation while it does. Every store's rules and errnos are the core's:
 * a store hands the write to one core function and returns what it returns
 * (except that a `remove` the core answers with -EINPROGRESS waits in the
 * remove_wait hook). A show writes what the core reports in the kernel's
 * format for that attribute; the format's details, such as today's "-" for
 * a queue no driver holds, are written here. Around them this layer gives
 * the tree sysfs's behaviour: paths, links, modes, sizes and caching.
 */
#ifndef APEMU_SYSFS_H
#define APEMU_SYSFS_H

#include <pthread.h>

#include "system.h"

struct apemu_sysfs;

/*
 * Hooks into the daemon; every member may be NULL.
 * - remove_wait: called with the lock held when a `remove` store answered
 *   -EINPROGRESS (a guest still has the mdev open). It must release the
 *   lock while it waits for the guest to release the device and return
 *   with it held again: 0 when the mdev is gone, or a negative errno (e.g.
 *   -EINTR) for the write.
 * - changed: called (lock held) after every successful store, so that the
 *   daemon can refresh guests or counters.
 */
struct apemu_sysfs_hooks {
	int (*remove_wait)(void *ctx, struct ap_mdev *mdev);
	void (*changed)(void *ctx);
	void *ctx;
};

/*
 * Mount the tree at mountpoint (an existing empty directory). The tree is
 * served only once apemu_sysfs_run() is called. -errno on failure
 * (-ENOTCONN: a stale mount is in the way; -EBUSY: something is mounted).
 */
int apemu_sysfs_new(struct ap_system *sys, pthread_mutex_t *lock, const char *mountpoint,
		    const struct apemu_sysfs_hooks *hooks, struct apemu_sysfs **ret_fs);

/* Serve requests (multi-threaded) until apemu_sysfs_stop() or an unmount. */
int apemu_sysfs_run(struct apemu_sysfs *fs);

/* Ask a running apemu_sysfs_run() to return; safe from any thread. */
void apemu_sysfs_stop(struct apemu_sysfs *fs);

/*
 * Take back the names the kernel may have cached if devices, bindings or
 * mdevs changed. Call it, without the configuration lock, after changing the
 * model from outside the tree (hardware events, guest operations) and
 * before reporting the change. Stores in the tree do it themselves.
 */
void apemu_sysfs_sync(struct apemu_sysfs *fs);

/* Unmount and free; accepts NULL. */
void apemu_sysfs_free(struct apemu_sysfs *fs);

#endif
