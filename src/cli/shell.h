/*
 * shell - `apemu shell`: run a command where the emulated tree is /sys.
 *
 * The command runs in a private mount namespace (/ made rprivate, so
 * nothing leaks back): the tree is bind-mounted over /sys and the
 * instance's own mdevctl configuration "<mount>.mdevctl.d" (with
 * scripts.d/callouts and scripts.d/notifiers) over /etc/mdevctl.d, so
 * unmodified tools (mdevctl, lszcrypt, udevadm) work on the emulator.
 * SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets libudev accept a /sys that is not
 * sysfs; APEMU_MOUNT names the instance.
 */
#ifndef APEMU_SHELL_H
#define APEMU_SHELL_H

#include "client.h"

/*
 * argv: the command and its arguments, NULL-terminated; argv[0] NULL runs
 * $SHELL (or /bin/sh). Returns only on failure, with the exit status to
 * use (1 for setup failures, 126/127 when the command cannot run); on
 * success the command replaces this process, so its status is ours.
 */
int shell_run(const struct client_paths *p, char **argv);

#endif
