/*
 * client - control socket client and instance paths (see client.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"

#define REPLY_MAX   65536
#define MEMFD_LIMIT (256u << 20)

static int join(char *out, size_t size, const char *a, const char *b)
{
	int n = snprintf(out, size, "%s%s", a, b);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int client_paths_init(struct client_paths *p, const char *mount)
{
	char cwd[PATH_MAX];
	size_t len;
	int r;

	if (!mount || !*mount)
		return -EINVAL;
	if (mount[0] == '/') {
		r = join(p->mount, sizeof(p->mount), mount, "");
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		if (!strcmp(cwd, "/"))
			cwd[0] = '\0';
		r = snprintf(p->mount, sizeof(p->mount), "%s/%s", cwd, mount) >=
			    (int)sizeof(p->mount)
			? -ENAMETOOLONG
			: 0;
	}
	if (r < 0)
		return r;
	len = strlen(p->mount);
	while (len > 1 && p->mount[len - 1] == '/')
		p->mount[--len] = '\0';
	if (!strcmp(p->mount, "/"))
		return -EINVAL;
	if ((r = join(p->socket, sizeof(p->socket), p->mount, ".sock")) < 0 ||
	    (r = join(p->log, sizeof(p->log), p->mount, ".log")) < 0 ||
	    (r = join(p->mdevctl, sizeof(p->mdevctl), p->mount, ".mdevctl.d")) < 0)
		return r;
	return 0;
}

int client_connect(const char *socket_path, int *ret_fd, pid_t *ret_pid)
{
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cred = {0};
	socklen_t len = sizeof(cred);

	if (fd < 0)
		return -errno;
	if (strlen(socket_path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, socket_path, strlen(socket_path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	if (ret_pid)
		*ret_pid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.pid : 0;
	*ret_fd = TAKE_FD(fd);
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

/* A long reply: the whole JSON text sits in the memfd that came with the envelope. */
static int read_memfd(int mfd, struct json_object **ret)
{
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t off = 0;

	if (fstat(mfd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || (size_t)st.st_size > MEMFD_LIMIT)
		return -EBADMSG;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(mfd, buf + off, (size_t)st.st_size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		off += (size_t)n;
	}
	return parse_object(buf, off, ret);
}

static int recv_reply(int fd, int timeout_ms, struct json_object **ret)
{
	_cleanup_free_ char *buf = malloc(REPLY_MAX + 1);
	_cleanup_close_ int mfd = -1;
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = {.iov_len = REPLY_MAX};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	struct json_object *env = NULL;
	ssize_t n;
	int r;

	if (!buf)
		return -ENOMEM;
	iov.iov_base = buf;
	r = poll(&pfd, 1, timeout_ms);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return -errno;
	n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ECONNRESET;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);

		for (size_t i = 0; cm->cmsg_type == SCM_RIGHTS && i < k; i++) {
			int got;

			memcpy(&got, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			if (mfd < 0)
				mfd = got;
			else
				close(got);
		}
	}
	if (msg.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	r = parse_object(buf, (size_t)n, &env);
	if (r < 0)
		return r;
	if (!json_object_object_get_ex(env, "reply_in_fd", NULL)) {
		*ret = env;
		return 0;
	}
	json_object_put(env);
	return mfd < 0 ? -EBADMSG : read_memfd(mfd, ret);
}

int client_call_timeout(int fd, struct json_object *req, int timeout_ms,
			struct json_object **ret_reply)
{
	size_t len;
	const char *text = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);

	if (send(fd, text, len, MSG_NOSIGNAL) < 0)
		return -errno;
	return recv_reply(fd, timeout_ms, ret_reply);
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
		snprintf(err, errlen, "cannot connect to %s: %s", p->socket, strerror(-r));
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
