/*
 * control - the control socket server: an AF_UNIX SOCK_SEQPACKET socket,
 * one JSON object per message, one reply per request (docs/control-socket.md).
 *
 * One thread serves every connection with one epoll set: the listening
 * socket, each client, a signalfd (SIGTERM/SIGINT stop the daemon) and an
 * eventfd (control_stop); idle clients cost nothing per wake-up. At most
 * CONTROL_MAX_CONNS clients at once; one more, or one that finds the daemon
 * out of descriptors (RLIMIT_NOFILE), is accepted and closed at once. Requests are handed, one at a
 * time, to a handler table; this file knows nothing of the model or its lock.
 *
 * Each connection has a struct control_conn that lives until the peer
 * closes it: that is where per-client state hangs (later: the mdev a guest
 * opened, its memory), and the handler's disconnect hook releases it, on a
 * clean close and on a crash of the client alike.
 *
 * Descriptors may come with a request (SCM_RIGHTS, up to CONTROL_MAX_FDS);
 * the handler takes the ones it keeps, the rest are closed after the reply.
 * A reply longer than CONTROL_INLINE_MAX travels in a sealed memfd.
 */
#ifndef APEMU_CONTROL_H
#define APEMU_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#define CONTROL_MSG_MAX	   65536 /* largest request, and largest inline reply */
#define CONTROL_INLINE_MAX 65536
#define CONTROL_MAX_FDS	   8
#define CONTROL_MAX_CONNS  8192 /* a guest is one connection */
#define CONTROL_BACKLOG	   128

struct control;

struct control_conn {
	int fd;
	pid_t pid; /* of the peer, from SO_PEERCRED */
	uid_t uid;
	void *data; /* the handler's per-connection state */
};

/* Descriptors received with one request; a handler that keeps fd[i] sets it to -1. */
struct control_fds {
	int fd[CONTROL_MAX_FDS];
	size_t n;
};

enum control_result {
	CONTROL_CONTINUE = 0,
	CONTROL_STOP, /* reply sent: stop the daemon */
};

struct control_handler {
	/* Handle one request; *ret_reply must be set (an object). */
	enum control_result (*request)(void *ctx, struct control_conn *conn,
				       struct json_object *req, struct control_fds *fds,
				       struct json_object **ret_reply);
	/* A connection is going away (peer closed or daemon stopping). May be NULL. */
	void (*disconnect)(void *ctx, struct control_conn *conn);
	/* Stop the daemon: a signal or a "stop" request. Called on the control thread. */
	void (*stop)(void *ctx, const char *why);
	void *ctx;
};

/*
 * Bind and listen on path (mode 0600; with a group, 0660 and that group).
 * -EADDRINUSE when the file exists (check and clean it first:
 * instance_check_socket), -errno.
 * group: besides root (and the daemon's own user), the group whose members
 * may use the socket, or (gid_t)-1. Besides the file's mode, each client's
 * credentials are checked when it connects (SO_PEERCRED, SO_PEERGROUPS);
 * one that may not is told why (EACCES) and disconnected.
 * sigfd: a signalfd for the signals that stop the daemon, or -1; the
 * control takes it over.
 */
int control_new(const char *path, gid_t group, int sigfd, const struct control_handler *h,
		struct control **ret);

/* Start the server thread. -errno. */
int control_start(struct control *c);

/* Stop the thread (if running) and wait for it: every connection is
 * disconnected. Safe to call more than once, not from the control thread. */
void control_stop(struct control *c);

/* Stop, close, remove the socket file; accepts NULL. */
void control_free(struct control *c);

/* Build {"ok":false,"errno":E,"error":strerror(E),"message":msg}. err > 0. */
struct json_object *control_error(int err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
