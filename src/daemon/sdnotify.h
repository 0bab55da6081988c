/*
 * sdnotify - tell a service manager how apemud is doing, as sd_notify(3)
 * does, without libsystemd: one datagram with the state ("READY=1",
 * "STOPPING=1") to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or
 * "@name" for the abstract namespace).
 */
#ifndef APEMU_SDNOTIFY_H
#define APEMU_SDNOTIFY_H

/*
 * Send state. 0: no NOTIFY_SOCKET (nothing to do); 1: sent; -EINVAL: the
 * variable names no usable socket; -errno of socket() or sendto().
 */
int sdnotify(const char *state);

#endif
