/*
 * ctlwire - the client side of the control socket (see ctlwire.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlwire.h"

int ctlwire_connect(const char *path, int *ret_fd, pid_t *ret_pid)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct ucred cred = {0};
	socklen_t len = sizeof(cred);
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
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    (cred.uid != 0 && cred.uid != geteuid())) {
		close(fd);
		return -CTLWIRE_EFOREIGN;
	}
	if (ret_pid)
		*ret_pid = cred.pid;
	*ret_fd = fd;
	return 0;
}

int ctlwire_send_bytes(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
		       unsigned int flags)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTLWIRE_MAX_FDS)] = {0};
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n;

	if (nfds > CTLWIRE_MAX_FDS)
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
	while (n < 0 && errno == EINTR && (flags & CTLWIRE_RESTART));
	if (n < 0)
		return errno == EPIPE && (flags & CTLWIRE_EPIPE_IS_RESET) ? -ECONNRESET : -errno;
	return 0;
}

int ctlwire_send(int sock, struct json_object *req, const int *fds, size_t nfds, unsigned int flags)
{
	size_t len;
	const char *text = json_object_to_json_string_length(req, JSON_C_TO_STRING_PLAIN, &len);

	return ctlwire_send_bytes(sock, text, len, fds, nfds, flags);
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

int ctlwire_read_memfd(int mfd, struct json_object **ret)
{
	struct stat st;
	size_t off = 0;
	char *buf;
	int r;

	if (fstat(mfd, &st) < 0)
		return -errno;
	if (st.st_size <= 0 || (size_t)st.st_size > CTLWIRE_MEMFD_LIMIT)
		return -EBADMSG;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (off < (size_t)st.st_size) {
		ssize_t n = pread(mfd, buf + off, (size_t)st.st_size - off, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r = n < 0 ? -errno : -EBADMSG;
			free(buf);
			return r;
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

int ctlwire_recv(int sock, int timeout_ms, unsigned int flags, struct json_object **ret)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CTLWIRE_MAX_FDS)];
	char *buf = malloc(CTLWIRE_MSG_MAX + 1);
	struct iovec iov = {.iov_base = buf, .iov_len = CTLWIRE_MSG_MAX};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct pollfd pfd = {.fd = sock, .events = POLLIN};
	struct json_object *env = NULL;
	bool restart = flags & CTLWIRE_RESTART;
	ssize_t n;
	int mfd, r;

	if (!buf)
		return -ENOMEM;
	do
		r = poll(&pfd, 1, timeout_ms);
	while (r < 0 && errno == EINTR && restart);
	if (r <= 0) {
		r = r == 0 ? -ETIMEDOUT : -errno;
		free(buf);
		return r;
	}
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR && restart);
	/* a daemon that refused us closed at once: the reset is reported
	 * first, its reason may still wait in the queue */
	if (n < 0 && errno == ECONNRESET)
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (n < 0 && errno == EAGAIN)
		errno = ECONNRESET;
	if (n <= 0) {
		r = n == 0 ? -ECONNRESET : -errno;
		free(buf);
		return r;
	}
	mfd = take_fds(&msg);
	r = msg.msg_flags & MSG_TRUNC ? -EMSGSIZE : parse_object(buf, (size_t)n, &env);
	free(buf);
	if (r == 0 && json_object_object_get_ex(env, "reply_in_fd", NULL)) {
		json_object_put(env);
		env = NULL;
		r = mfd < 0 ? -EBADMSG : ctlwire_read_memfd(mfd, &env);
	}
	if (mfd >= 0)
		close(mfd);
	if (r == 0)
		*ret = env;
	return r;
}

int ctlwire_call(int sock, struct json_object *req, const int *fds, size_t nfds, int timeout_ms,
		 unsigned int flags, struct json_object **ret)
{
	int r = ctlwire_send(sock, req, fds, nfds, flags);

	/* refused (apemud closed at once): its reason may wait in the queue */
	if ((r == -EPIPE || r == -ECONNRESET) && ctlwire_recv(sock, 0, flags, ret) == 0)
		return 0;
	return r < 0 ? r : ctlwire_recv(sock, timeout_ms, flags, ret);
}
