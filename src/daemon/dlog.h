/*
 * dlog - the emulated kernel log: the core's messages (ap_sys_ops.log) as
 * kernel-style lines "[    1.234567] 05.0047: message" on stderr, the last
 * DLOG_LINES of them kept in a ring for `apemu dmesg`; and the daemon's own
 * messages ("apemud: notice: ...") on stderr only.
 *
 * It also keeps the last DLOG_UEVENTS uevents the core sent, in the
 * kernel's netlink form ("ACTION@DEVPATH\0KEY=value\0..."), for `apemu
 * monitor` (the control socket's "uevents").
 *
 * Thread-safe: the ring has its own mutex, taken after the configuration lock
 * (the core logs with that lock held), never before it.
 */
#ifndef APEMU_DLOG_H
#define APEMU_DLOG_H

#include <stdbool.h>
#include <stddef.h>

#include "system.h"

#define DLOG_LINES	1000
#define DLOG_LINE_MAX	384 /* one formatted line, NUL included; longer ones are cut */
#define DLOG_UEVENTS	256
#define DLOG_UEVENT_MAX (2048 + 128) /* the kernel's env buffer and "ACTION@DEVPATH" */

struct ap_uevent;

/* One uevent as kept: the kernel's message and when it was sent. */
struct dlog_uevent {
	unsigned long long seqnum;
	long sec, usec; /* since the log's start, like the kernel log's stamps */
	size_t len;	/* of msg, the last NUL included */
	char msg[DLOG_UEVENT_MAX];
};

struct dlog;

/* -ENOMEM. The clock of the timestamps starts here ("boot"). */
int dlog_new(struct dlog **ret);
void dlog_free(struct dlog *d);

/* The ap_sys_ops.log callback; ctx is the struct dlog. */
void dlog_kernel(void *ctx, enum ap_log_level level, const char *dev, const char *msg);

/* The daemon's own message on stderr: "apemud: <level>: <text>". Debug
 * messages only with APEMUD_DEBUG set. Not kept in the ring. */
void dlog_daemon(enum ap_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Copy out the ring, oldest first: calls fn for each line (NUL-terminated,
 * without newline) while holding the ring's mutex; fn must not log.
 * Returns the number of lines.
 */
size_t dlog_for_each(struct dlog *d,
		     void (*fn)(void *ctx, enum ap_log_level level, const char *line), void *ctx);

/* Keep a uevent (the core's ops.uevent, via the daemon); false if it does not fit. */
bool dlog_uevent(struct dlog *d, const struct ap_uevent *ev, struct dlog_uevent *ret_copy);

/*
 * The kept uevents with a sequence number above after, oldest first: fn for
 * each, with the ring's mutex held (fn must not log). Returns the last
 * sequence number kept (0: none yet).
 */
unsigned long long dlog_uevents_since(struct dlog *d, unsigned long long after,
				      void (*fn)(void *ctx, const struct dlog_uevent *u),
				      void *ctx);

#endif
