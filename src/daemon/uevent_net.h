/*
 * uevent_net - the emulated kernel's uevents on netlink, inside the network
 * namespaces of `apemu shell`s, and only there.
 *
 * A shell hands apemud a NETLINK_KOBJECT_UEVENT socket it created in its
 * own network namespace (the control socket's "uevent-listen"). For every
 * uevent apemud then sends, on each such socket, what a host sends:
 * - on multicast group 1 ("kernel") the kernel's message, ACTION@DEVPATH
 *   and the variables (receivers that insist on the kernel as sender, port
 *   id 0, such as sd-device, drop it: only the kernel can send from 0);
 * - on group 2 ("udev") what systemd-udevd broadcasts once it processed
 *   the event: the "libudev" header (magic 0xfeedcafe, MurmurHash2 of the
 *   subsystem and device type for socket filters) and the properties, the
 *   kernel's (a value cut at a newline, as udevd reads them) and
 *   USEC_INITIALIZED.
 * A socket in apemud's own network namespace is refused, so nothing is
 * ever sent on the host's. A socket goes when its control connection
 * closes (the shell ended).
 *
 * Every function runs with the configuration lock held.
 */
#ifndef APEMU_UEVENT_NET_H
#define APEMU_UEVENT_NET_H

#include <stdint.h>

struct ap_uevent;
struct control_conn;
struct uevent_net;

int uevent_net_new(struct uevent_net **ret);
void uevent_net_free(struct uevent_net *un);

/*
 * Take over fd, a netlink uevent socket, for conn. -ENOTSOCK/-EPROTOTYPE:
 * not a NETLINK_KOBJECT_UEVENT socket; -EPERM: it is in apemud's own
 * network namespace; -EBUSY: too many; -errno. The caller keeps fd on failure.
 */
int uevent_net_add(struct uevent_net *un, const struct control_conn *conn, int fd);

/* Close the sockets conn handed over. */
void uevent_net_drop(struct uevent_net *un, const struct control_conn *conn);

/* Send ev on every socket (errors are ignored, as a broadcast's are). */
void uevent_net_send(struct uevent_net *un, const struct ap_uevent *ev);

/* The 32-bit MurmurHash2 of a string, seed 0, as libudev's filters hash. */
uint32_t uevent_net_hash(const char *s);

#endif
