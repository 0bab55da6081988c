/*
 * uevent_net - uevents on netlink inside shells' namespaces (see uevent_net.h).
 *
 * The udev group's message layout is systemd's monitor_netlink_header
 * (src/libsystemd/sd-device/device-monitor.c): prefix "libudev\0", then
 * eight 32-bit words: magic (big-endian), header size, properties offset,
 * properties length (host order), subsystem hash, device type hash, tag
 * bloom high and low (big-endian); then the properties, "KEY=value\0" each.
 */
#include <endian.h>
#include <errno.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "control.h"
#include "uevent.h"
#include "uevent_net.h"

#define UNET_MAX     64
#define UDEV_MAGIC   0xfeedcafeu
#define GROUP_KERNEL 1u
#define GROUP_UDEV   2u
#define USEC_BUCKETS 1024

/* When udevd first saw a device: USEC_INITIALIZED, kept until it goes. */
struct usec_entry {
	struct usec_entry *next;
	uint64_t usec;
	char devpath[];
};

struct uevent_net {
	struct {
		const struct control_conn *conn;
		int fd;
	} l[UNET_MAX];
	size_t n;
	uint64_t boot_usec; /* USEC_INITIALIZED of what was there at start */
	struct usec_entry *usec[USEC_BUCKETS];
};

struct udev_header {
	char prefix[8];
	uint32_t magic;
	uint32_t header_size;
	uint32_t properties_off;
	uint32_t properties_len;
	uint32_t filter_subsystem_hash;
	uint32_t filter_devtype_hash;
	uint32_t filter_tag_bloom_hi;
	uint32_t filter_tag_bloom_lo;
};

static uint64_t now_usec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

int uevent_net_new(struct uevent_net **ret)
{
	struct uevent_net *un = calloc(1, sizeof(*un));

	if (!un)
		return -ENOMEM;
	un->boot_usec = now_usec();
	*ret = un;
	return 0;
}

void uevent_net_free(struct uevent_net *un)
{
	if (!un)
		return;
	for (size_t i = 0; i < un->n; i++)
		close(un->l[i].fd);
	for (size_t b = 0; b < USEC_BUCKETS; b++) {
		while (un->usec[b]) {
			struct usec_entry *e = un->usec[b];

			un->usec[b] = e->next;
			free(e);
		}
	}
	free(un);
}

/* ---- MurmurHash2 (Austin Appleby's 32-bit hash), as string_hash32() ---- */

uint32_t uevent_net_hash(const char *s)
{
	const uint32_t m = 0x5bd1e995u;
	size_t len = strlen(s);
	const unsigned char *p = (const unsigned char *)s;
	uint32_t h = (uint32_t)len; /* seed 0 xor length */

	for (; len >= 4; len -= 4, p += 4) {
		uint32_t k = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			     (uint32_t)p[3] << 24;

		k *= m;
		k ^= k >> 24;
		k *= m;
		h *= m;
		h ^= k;
	}
	switch (len) {
	case 3:
		h ^= (uint32_t)p[2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[1] << 8;
		/* fall through */
	case 1:
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return h;
}

/* ---- listeners ---- */

static int same_netns(int fd)
{
	struct stat mine, its;
	int nsfd = ioctl(fd, SIOCGSKNS);
	int r;

	if (nsfd < 0)
		return -errno;
	r = fstat(nsfd, &its) < 0 ? -errno : 0;
	close(nsfd);
	if (r < 0)
		return r;
	if (stat("/proc/self/ns/net", &mine) < 0)
		return -errno;
	return mine.st_dev == its.st_dev && mine.st_ino == its.st_ino;
}

int uevent_net_add(struct uevent_net *un, const struct control_conn *conn, int fd)
{
	int v, r;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len) < 0)
		return -errno;
	if (v != AF_NETLINK)
		return -ENOTSOCK;
	len = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &v, &len) < 0)
		return -errno;
	if (v != NETLINK_KOBJECT_UEVENT)
		return -EPROTOTYPE;
	r = same_netns(fd);
	if (r < 0)
		return r;
	if (r > 0)
		return -EPERM;
	if (un->n == UNET_MAX)
		return -EBUSY;
	un->l[un->n].conn = conn;
	un->l[un->n].fd = fd;
	un->n++;
	return 0;
}

void uevent_net_drop(struct uevent_net *un, const struct control_conn *conn)
{
	for (size_t i = 0; i < un->n;) {
		if (un->l[i].conn != conn) {
			i++;
			continue;
		}
		close(un->l[i].fd);
		un->l[i] = un->l[--un->n];
	}
}

/* ---- USEC_INITIALIZED ---- */

static size_t bucket(const char *devpath)
{
	return uevent_net_hash(devpath) % USEC_BUCKETS;
}

/* udevd's database: set at a device's add, kept while it lives, read after. */
static uint64_t usec_initialized(struct uevent_net *un, const struct ap_uevent *ev)
{
	struct usec_entry **pp = &un->usec[bucket(ev->devpath)], *e;
	uint64_t usec;

	while (*pp && strcmp((*pp)->devpath, ev->devpath))
		pp = &(*pp)->next;
	e = *pp;
	if (ev->action == AP_UEVENT_ADD) {
		if (!e) {
			e = malloc(sizeof(*e) + strlen(ev->devpath) + 1);
			if (!e)
				return now_usec();
			strcpy(e->devpath, ev->devpath);
			e->next = NULL;
			*pp = e;
		}
		e->usec = now_usec();
		return e->usec;
	}
	usec = e ? e->usec : un->boot_usec;
	if (ev->action == AP_UEVENT_REMOVE && e) {
		*pp = e->next;
		free(e);
	}
	return usec;
}

/* ---- sending ---- */

static void send_group(int fd, uint32_t group, struct iovec *iov, size_t n)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = 1u << (group - 1)};
	struct msghdr msg = {
	    .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = iov, .msg_iovlen = n};

	/* no listener: ECONNREFUSED, which a broadcaster ignores */
	(void)sendmsg(fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/*
 * The kernel's variables as "KEY=value\0" each into kout (*ret_klen), and
 * what udevd makes of them into out: the same, each value cut at its first
 * newline (sd-device's device_new_from_nulstr drops "an unwanted newline",
 * APMASK='s), then USEC_INITIALIZED. Returns the length of out, 0 if too long.
 */
static size_t properties(struct uevent_net *un, const struct ap_uevent *ev, char *kout, char *out,
			 size_t size, size_t *ret_klen)
{
	size_t len = 0, klen = 0;
	int n;

	for (unsigned int i = 0; i < ev->nvars; i++) {
		size_t k = strlen(ev->var[i]) + 1, u = strcspn(ev->var[i], "\n");

		if (klen + k > size || len + u + 1 > size)
			return 0;
		memcpy(kout + klen, ev->var[i], k);
		klen += k;
		memcpy(out + len, ev->var[i], u);
		out[len + u] = '\0';
		len += u + 1;
	}
	*ret_klen = klen;
	n = snprintf(out + len, size - len, "USEC_INITIALIZED=%llu",
		     (unsigned long long)usec_initialized(un, ev));
	if (n < 0 || (size_t)n >= size - len)
		return 0;
	return len + (size_t)n + 1;
}

static const char *var_value(const struct ap_uevent *ev, const char *key)
{
	size_t k = strlen(key);

	for (unsigned int i = 0; i < ev->nvars; i++)
		if (!strncmp(ev->var[i], key, k) && ev->var[i][k] == '=')
			return ev->var[i] + k + 1;
	return NULL;
}

void uevent_net_send(struct uevent_net *un, const struct ap_uevent *ev)
{
	char head[160], kprops[AP_UEVENT_BUF], props[AP_UEVENT_BUF + 64];
	const char *devtype = var_value(ev, "DEVTYPE");
	struct udev_header h = {.prefix = "libudev"};
	struct iovec kiov[2], uiov[2];
	size_t plen, klen = 0;
	int n;

	n = snprintf(head, sizeof(head), "%s@%s", uevent_action_name(ev->action), ev->devpath);
	plen = properties(un, ev, kprops, props, sizeof(kprops), &klen);
	if (!un->n || n < 0 || (size_t)n >= sizeof(head) || !plen)
		return;
	h.magic = htobe32(UDEV_MAGIC);
	h.header_size = sizeof(h);
	h.properties_off = sizeof(h);
	h.properties_len = (uint32_t)plen;
	h.filter_subsystem_hash = htobe32(uevent_net_hash(ev->subsystem));
	if (devtype)
		h.filter_devtype_hash = htobe32(uevent_net_hash(devtype));
	/* the kernel's message: ACTION@DEVPATH, then its variables (without udevd's) */
	kiov[0] = (struct iovec){.iov_base = head, .iov_len = (size_t)n + 1};
	kiov[1] = (struct iovec){.iov_base = kprops, .iov_len = klen};
	uiov[0] = (struct iovec){.iov_base = &h, .iov_len = sizeof(h)};
	uiov[1] = (struct iovec){.iov_base = props, .iov_len = plen};
	for (size_t i = 0; i < un->n; i++) {
		send_group(un->l[i].fd, GROUP_KERNEL, kiov, 2);
		send_group(un->l[i].fd, GROUP_UDEV, uiov, 2);
	}
}
