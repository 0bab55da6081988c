/*
 * shell - `apemu shell`: run a command where the emulated tree is /sys.
 *
 * The command runs in private mount and network namespaces (/ made
 * rprivate, so nothing leaks back; the network has its loopback only): the
 * tree is bind-mounted over /sys, a tmpfs with udevd's control file is
 * /run/udev, and the
 * instance's own mdevctl configuration "<mount>.mdevctl.d" (with
 * scripts.d/callouts and scripts.d/notifiers) over /etc/mdevctl.d, so
 * unmodified tools (mdevctl, lszcrypt, udevadm) work on the emulator.
 * SYSTEMD_DEVICE_VERIFY_SYSFS=0 lets libudev accept a /sys that is not
 * sysfs; APEMU_MOUNT names the instance. apemud sends the emulated
 * kernel's uevents into the network namespace, as the kernel and udevd
 * would (src/daemon/uevent_net.h), while the command runs.
 */
#ifndef APEMU_SHELL_H
#define APEMU_SHELL_H

#include "client.h"

/*
 * argv: the command and its arguments, NULL-terminated; argv[0] NULL runs
 * $SHELL (or /bin/sh). Runs it as a child and returns the exit status to
 * use: the command's (128 + N when signal N killed it), 1 for setup
 * failures, 126/127 when the command cannot run.
 */
int shell_run(const struct client_paths *p, char **argv);

#endif
