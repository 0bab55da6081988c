/*
 * dlog - the emulated kernel log (see dlog.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "dlog.h"
#include "uevent.h"

struct dlog_line {
	enum ap_log_level level;
	char text[DLOG_LINE_MAX];
};

struct dlog {
	pthread_mutex_t mutex;
	struct timespec boot;
	size_t head;  /* next slot to write */
	size_t count; /* lines held, up to DLOG_LINES */
	struct dlog_line line[DLOG_LINES];
	size_t uhead, ucount; /* the uevent ring, like the lines' */
	unsigned long long last_seqnum;
	struct dlog_uevent uevent[DLOG_UEVENTS];
};

/*
 * The rings (about 950 KiB) are mapped with every page resident from the
 * start, like the kernel's static log buffer: allocated lazily, they were
 * touched page by page as they filled, and apemud's RSS climbed for the
 * first thousand messages of a long run, which looked like a leak.
 */
int dlog_new(struct dlog **ret)
{
	struct dlog *d = mmap(NULL, sizeof(*d), PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	if (d == MAP_FAILED)
		return -ENOMEM;
	pthread_mutex_init(&d->mutex, NULL);
	clock_gettime(CLOCK_MONOTONIC, &d->boot);
	*ret = d;
	return 0;
}

void dlog_free(struct dlog *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->mutex);
	munmap(d, sizeof(*d));
}

/* Write all of buf to stderr in one write() where possible, so that lines
 * from several threads do not interleave. */
static void write_stderr(const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(STDERR_FILENO, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/* Time since the log's start. */
static void since_boot(const struct dlog *d, long *ret_sec, long *ret_nsec)
{
	struct timespec now;
	long sec, nsec;

	clock_gettime(CLOCK_MONOTONIC, &now);
	sec = (long)(now.tv_sec - d->boot.tv_sec);
	nsec = now.tv_nsec - d->boot.tv_nsec;
	if (nsec < 0) {
		sec--;
		nsec += 1000000000L;
	}
	*ret_sec = sec;
	*ret_nsec = nsec;
}

void dlog_kernel(void *ctx, enum ap_log_level level, const char *dev, const char *msg)
{
	struct dlog *d = ctx;
	struct dlog_line *l;
	long sec, nsec;
	int n;

	since_boot(d, &sec, &nsec);
	pthread_mutex_lock(&d->mutex);
	l = &d->line[d->head];
	l->level = level;
	n = snprintf(l->text, sizeof(l->text), "[%5ld.%06ld] %s%s%s", sec, nsec / 1000,
		     dev ? dev : "", dev ? ": " : "", msg);
	if (n < 0)
		l->text[0] = '\0';
	d->head = (d->head + 1) % DLOG_LINES;
	if (d->count < DLOG_LINES)
		d->count++;
	{
		char out[DLOG_LINE_MAX + 1];
		size_t len = strlen(l->text);

		memcpy(out, l->text, len);
		out[len] = '\n';
		write_stderr(out, len + 1);
	}
	pthread_mutex_unlock(&d->mutex);
}

static const char *level_name(enum ap_log_level level)
{
	switch (level) {
	case AP_LOG_ERR:
		return "error";
	case AP_LOG_WARNING:
		return "warning";
	case AP_LOG_NOTICE:
		return "notice";
	case AP_LOG_INFO:
		return "info";
	case AP_LOG_DEBUG:
		return "debug";
	}
	return "log";
}

void dlog_daemon(enum ap_log_level level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n;

	if (level > AP_LOG_INFO && !getenv("APEMUD_DEBUG"))
		return;
	n = snprintf(buf, sizeof(buf), "apemud: %s: ", level_name(level));
	if (n < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	n = (int)strlen(buf);
	buf[n++] = '\n';
	write_stderr(buf, (size_t)n);
}

size_t dlog_for_each(struct dlog *d,
		     void (*fn)(void *ctx, enum ap_log_level level, const char *line), void *ctx)
{
	size_t count;

	pthread_mutex_lock(&d->mutex);
	count = d->count;
	for (size_t i = 0; i < count; i++) {
		const struct dlog_line *l =
		    &d->line[(d->head + DLOG_LINES - count + i) % DLOG_LINES];

		fn(ctx, l->level, l->text);
	}
	pthread_mutex_unlock(&d->mutex);
	return count;
}

/* "ACTION@DEVPATH\0" and the variables, as kobject_uevent_net_broadcast() sends them. */
static size_t uevent_wire(const struct ap_uevent *ev, char *out, size_t size)
{
	int n = snprintf(out, size, "%s@%s", uevent_action_name(ev->action), ev->devpath);
	size_t len;

	if (n < 0 || (size_t)n + 1 >= size)
		return 0;
	len = (size_t)n + 1;
	for (unsigned int i = 0; i < ev->nvars; i++) {
		size_t k = strlen(ev->var[i]) + 1;

		if (len + k > size)
			return 0;
		memcpy(out + len, ev->var[i], k);
		len += k;
	}
	return len;
}

bool dlog_uevent(struct dlog *d, const struct ap_uevent *ev, struct dlog_uevent *ret_copy)
{
	struct dlog_uevent *u;
	long sec, nsec;
	bool ok;

	since_boot(d, &sec, &nsec);
	pthread_mutex_lock(&d->mutex);
	u = &d->uevent[d->uhead];
	u->seqnum = ev->seqnum;
	u->sec = sec;
	u->usec = nsec / 1000;
	u->len = uevent_wire(ev, u->msg, sizeof(u->msg));
	ok = u->len > 0;
	if (ok) {
		d->uhead = (d->uhead + 1) % DLOG_UEVENTS;
		if (d->ucount < DLOG_UEVENTS)
			d->ucount++;
		d->last_seqnum = ev->seqnum;
		if (ret_copy)
			*ret_copy = *u;
	}
	pthread_mutex_unlock(&d->mutex);
	return ok;
}

unsigned long long dlog_uevents_since(struct dlog *d, unsigned long long after,
				      void (*fn)(void *ctx, const struct dlog_uevent *u), void *ctx)
{
	unsigned long long last;

	pthread_mutex_lock(&d->mutex);
	for (size_t i = 0; i < d->ucount; i++) {
		const struct dlog_uevent *u =
		    &d->uevent[(d->uhead + DLOG_UEVENTS - d->ucount + i) % DLOG_UEVENTS];

		if (u->seqnum > after)
			fn(ctx, u);
	}
	last = d->last_seqnum;
	pthread_mutex_unlock(&d->mutex);
	return last;
}
