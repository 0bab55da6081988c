/*
 * client - control socket client and instance paths (see client.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"
#include "ctlwire.h"

int client_paths_init(struct client_paths *p, const char *mount)
{
	int r;

	if ((r = instpath_mount(mount, p->mount, sizeof(p->mount))) < 0 ||
	    (r = instpath_derive(p->mount, ".sock", p->socket, sizeof(p->socket))) < 0 ||
	    (r = instpath_derive(p->mount, ".log", p->log, sizeof(p->log))) < 0 ||
	    (r = instpath_derive(p->mount, ".mdevctl.d", p->mdevctl, sizeof(p->mdevctl))) < 0)
		return r;
	return 0;
}

const char *client_connect_error(int r)
{
	if (r == -CTLWIRE_EFOREIGN)
		return "the process serving it is neither root nor you: refusing to use it";
	return strerror(-r);
}

int client_connect(const char *socket_path, int *ret_fd, pid_t *ret_pid)
{
	return ctlwire_connect(socket_path, ret_fd, ret_pid);
}

/* No retry on EINTR; a send to a closed daemon fails with -EPIPE. */
int client_call_timeout(int fd, struct json_object *req, int timeout_ms,
			struct json_object **ret_reply)
{
	return ctlwire_call(fd, req, NULL, 0, timeout_ms, 0, ret_reply);
}

int client_call(int fd, struct json_object *req, struct json_object **ret_reply)
{
	return client_call_timeout(fd, req, CLIENT_TIMEOUT_MS, ret_reply);
}

const char *client_reply_message(struct json_object *reply)
{
	struct json_object *m;

	if (json_object_object_get_ex(reply, "message", &m) && json_object_get_string_len(m))
		return json_object_get_string(m);
	if (json_object_object_get_ex(reply, "error", &m))
		return json_object_get_string(m);
	return "request failed";
}

int client_request(const struct client_paths *p, struct json_object *req,
		   struct json_object **ret_reply, char *err, size_t errlen)
{
	_cleanup_close_ int fd = -1;
	struct json_object *reply = NULL, *v;
	int r = client_connect(p->socket, &fd, NULL);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		snprintf(err, errlen, "no apemud running at %s (%s: %s)", p->mount, p->socket,
			 strerror(-r));
		return r;
	}
	if (r < 0) {
		snprintf(err, errlen, "cannot connect to %s: %s", p->socket,
			 client_connect_error(r));
		return r;
	}
	r = client_call(fd, req, &reply);
	if (r < 0) {
		snprintf(err, errlen, "no reply from apemud at %s: %s", p->socket, strerror(-r));
		return r;
	}
	if (!json_object_get_boolean(json_object_object_get(reply, "ok"))) {
		r = json_object_object_get_ex(reply, "errno", &v) ? json_object_get_int(v) : EIO;
		if (r > 0 && strcmp(client_reply_message(reply), strerror(r)))
			snprintf(err, errlen, "%s (%s)", client_reply_message(reply), strerror(r));
		else
			snprintf(err, errlen, "%s", client_reply_message(reply));
		json_object_put(reply);
		return -(r > 0 ? r : EIO);
	}
	*ret_reply = reply;
	return 0;
}
