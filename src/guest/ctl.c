/*
 * ctl - libapemu-guest's side of the control socket (docs/control-socket.md):
 * SOCK_SEQPACKET, one JSON object per message, one reply per request, in
 * order; descriptors travel as SCM_RIGHTS; a long reply arrives in a memfd
 * ("reply_in_fd"). The connection is the guest's lifetime: apemud releases
 * everything the guest holds when it closes.
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "guest_int.h"

#define CTL_MSG_MAX	65536
#define CTL_MAX_FDS	8
#define CTL_TIMEOUT_MS	30000
#define CTL_MEMFD_LIMIT (256u << 20)

void guest_set_message(struct apemu_guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->message, sizeof(g->message), fmt, ap);
	va_end(ap);
}

int ctl_connect(const char *path, int *ret_fd)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	*ret_fd = fd;
	return 0;
}

static int send_request(int sock, struct json_object *req, const int *fds, size_t nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)] = {0};
	size_t len;
	const char *text = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);
	struct iovec iov = {.iov_base = (void *)text, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds > CTL_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		struct cmsghdr *cm;

		msg.msg_control = cbuf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EPIPE ? -ECONNRESET : -errno;
	return 0;
}

static int parse_object(const char *text, size_t len, struct json_object **ret)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;
	enum json_tokener_error jerr;

	if (!tok)
		return -ENOMEM;
	o = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return -EBADMSG;
	}
	*ret = o;
	return 0;
}

/* A long reply: the whole JSON text is in the memfd that came with the envelope. */
static int read_memfd(int mfd, struct json_object **ret)
{
	struct stat st;
	size_t off = 0;
	char *buf;
	int r;

	if (fstat(mfd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || (size_t)st.st_size > CTL_MEMFD_LIMIT)
		return -EBADMSG;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(mfd, buf + off, (size_t)st.st_size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(buf);
			return n < 0 ? -errno : -EBADMSG;
		}
		off += (size_t)n;
	}
	r = parse_object(buf, off, ret);
	free(buf);
	return r;
}

/* Keep the first descriptor that came with a message (a reply's memfd), close the rest. */
static int take_fds(struct msghdr *msg)
{
	int keep = -1;

	for (struct cmsghdr *cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (keep < 0)
				keep = fd;
			else
				close(fd);
		}
	}
	return keep;
}

static int recv_reply(int sock, struct json_object **ret)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTL_MAX_FDS)];
	char *buf = malloc(CTL_MSG_MAX + 1);
	struct iovec iov = {.iov_base = buf, .iov_len = CTL_MSG_MAX};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	struct json_object *env = NULL;
	ssize_t n;
	int mfd, r;

	if (!buf)
		return -ENOMEM;
	do
		r = poll(&pfd, 1, CTL_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		free(buf);
		return r == 0 ? -ETIMEDOUT : -errno;
	}
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		free(buf);
		return n == 0 || errno == ECONNRESET ? -ECONNRESET : -errno;
	}
	mfd = take_fds(&msg);
	r = msg.msg_flags & MSG_TRUNC ? -EMSGSIZE : parse_object(buf, (size_t)n, &env);
	free(buf);
	if (r == 0 && json_object_object_get_ex(env, "reply_in_fd", NULL)) {
		json_object_put(env);
		env = NULL;
		r = mfd < 0 ? -EBADMSG : read_memfd(mfd, &env);
	}
	if (mfd >= 0)
		close(mfd);
	if (r == 0)
		*ret = env;
	return r;
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

int ctl_call(struct apemu_guest *g, struct json_object *req, const int *fds, size_t nfds,
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
	r = send_request(g->sock, req, fds, nfds);
	if (r == 0)
		r = recv_reply(g->sock, &reply);
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
