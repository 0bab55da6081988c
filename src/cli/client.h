/*
 * client - the CLI's side of the control socket (docs/control-socket.md)
 * and the file names of one emulator instance, all derived from its mount
 * point: <mount>.sock, <mount>.log, <mount>.mdevctl.d.
 */
#ifndef APEMU_CLIENT_H
#define APEMU_CLIENT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "instpath.h"

#define CLIENT_TIMEOUT_MS 15000

struct client_paths {
	char mount[PATH_MAX]; /* absolute, no trailing '/' (instpath_mount()) */
	char socket[INSTPATH_SOCKET_MAX];
	char log[PATH_MAX];
	char mdevctl[PATH_MAX];
};

/* -EINVAL for "" or "/", -ENAMETOOLONG (the socket path must fit sun_path). */
int client_paths_init(struct client_paths *p, const char *mount);

/*
 * Connect to the control socket; *ret_pid: the daemon's pid (SO_PEERCRED).
 * A socket served by neither root nor the caller is refused
 * (-CTLWIRE_EFOREIGN, ctlwire.h).
 */
int client_connect(const char *socket, int *ret_fd, pid_t *ret_pid);

/* What a failed client_connect() means, for a message. */
const char *client_connect_error(int r);

/*
 * Send one request and wait (up to CLIENT_TIMEOUT_MS) for its reply, which
 * may arrive in a memfd. -errno for transport failures (-ETIMEDOUT,
 * -ECONNRESET when the daemon closed the connection, -EBADMSG for a reply
 * that is not a JSON object). The reply may say "ok": false.
 */
int client_call(int fd, struct json_object *req, struct json_object **ret_reply);
int client_call_timeout(int fd, struct json_object *req, int timeout_ms,
			struct json_object **ret_reply);

/*
 * Connect, call and check "ok". On failure returns -errno (the daemon's
 * errno for a refused request) and writes a message to err: for transport
 * problems naming the instance ("no apemud running at /run/apemu/sys ..."),
 * for refused requests the daemon's own message.
 */
int client_request(const struct client_paths *p, struct json_object *req,
		   struct json_object **ret_reply, char *err, size_t errlen);

/* The reply's "message" (or "error") text of a failed request. */
const char *client_reply_message(struct json_object *reply);

#endif
