/*
 * dlog - the emulated kernel log: the core's messages (ap_sys_ops.log) as
 * kernel-style lines "[    1.234567] 05.0047: message" on stderr, the last
 * DLOG_LINES of them kept in a ring for `apemu dmesg`; and the daemon's own
 * messages ("apemud: notice: ...") on stderr only.
 *
 * Thread-safe: the ring has its own mutex, taken after the configuration lock
 * (the core logs with that lock held), never before it.
 */
#ifndef APEMU_DLOG_H
#define APEMU_DLOG_H

#include <stddef.h>

#include "system.h"

#define DLOG_LINES    1000
#define DLOG_LINE_MAX 384 /* one formatted line, NUL included; longer ones are cut */

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

#endif
