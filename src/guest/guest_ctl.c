/*
 * guest_ctl - libapemu-guest's side of the control socket (docs/control-socket.md):
 * SOCK_SEQPACKET, one JSON object per message, one reply per request, in
 * order; descriptors travel as SCM_RIGHTS; a long reply arrives in a memfd
 * ("reply_in_fd"). The connection is the guest's lifetime: apemud releases
 * everything the guest holds when it closes.
 */
#include <errno.h>
#include <string.h>

#include "ctlwire.h"
#include "guest_int.h"

/* Each wait (poll) for a reply; one interrupted by a signal starts again. */
#define CTL_TIMEOUT_MS 30000

int guest_ctl_connect(const char *path, int *ret_fd)
{
	return ctlwire_connect(path, ret_fd, NULL);
}

static const char *reply_message(struct json_object *reply)
{
	struct json_object *m;

	if (json_object_object_get_ex(reply, "message", &m) && json_object_get_string_len(m))
		return json_object_get_string(m);
	if (json_object_object_get_ex(reply, "error", &m) && json_object_get_string_len(m))
		return json_object_get_string(m);
	return "request refused";
}

int guest_ctl_call(struct apemu_guest *g, struct json_object *req, const int *fds, size_t nfds,
		   struct json_object **ret_reply)
{
	const char *op = json_object_get_string(json_object_object_get(req, "op"));
	struct json_object *reply = NULL, *v;
	int r;

	g->message[0] = '\0';
	if (g->gone) {
		guest_set_message(g, "%s: apemud closed the connection", op);
		return -ECONNRESET;
	}
	r = ctlwire_call(g->sock, req, fds, nfds, CTL_TIMEOUT_MS,
			 CTLWIRE_RESTART | CTLWIRE_EPIPE_IS_RESET, &reply);
	if (r < 0) {
		/* after a timeout a late reply would answer the next request */
		if (r == -ECONNRESET || r == -ETIMEDOUT)
			g->gone = true;
		guest_set_message(g, "%s: no reply from apemud: %s", op, strerror(-r));
		return r;
	}
	if (!json_object_get_boolean(json_object_object_get(reply, "ok"))) {
		r = json_object_object_get_ex(reply, "errno", &v) ? json_object_get_int(v) : EIO;
		if (r <= 0)
			r = EIO;
		guest_set_message(g, "%s", reply_message(reply));
		json_object_put(reply);
		return -r;
	}
	*ret_reply = reply;
	return 0;
}
