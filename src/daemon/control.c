/*
 * control - the control socket server (see control.h and
 * docs/control-socket.md).
 *
 * One epoll set holds the stop eventfd, the signalfd, the listening socket
 * and every connection, so that a wake-up costs the same with 5 idle
 * clients as with 5,000 (a poll() array would be rebuilt and scanned each
 * time). Connections sit in an array that grows on demand, each knowing its
 * own index, so that closing one is constant time too.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "control.h"
#include "dlog.h"

/* Events taken from the epoll set per wake-up. */
#define EPOLL_BATCH 64

/* A connection and where it sits in struct control's array. */
struct conn_slot {
	struct control_conn conn; /* what the handler sees */
	size_t index;
};

/* epoll data for the descriptors that are not connections */
enum { TAG_STOP = 1, TAG_SIGNAL, TAG_LISTEN, TAG_LAST = TAG_LISTEN };

struct control {
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	int listen_fd;
	int sig_fd;
	int stop_fd; /* eventfd: control_stop() */
	int epoll_fd;
	int spare_fd; /* /dev/null, given up for a moment to refuse a client at RLIMIT_NOFILE */
	struct control_handler h;
	pthread_t thread;
	bool running;
	bool stopping;	  /* set on the control thread when a stop was requested */
	bool deaf;	  /* the listening socket is out of the epoll set */
	bool warned_full; /* "too many connections" logged since the last close */
	gid_t group;	  /* may use the socket besides root and our user; (gid_t)-1: none */
	struct conn_slot **conns; /* nconns of them, room for cap */
	size_t nconns, cap;
	char *buf; /* CONTROL_MSG_MAX + 1 */
};

/* Bytes of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned int cp, n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (unsigned int i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/*
 * A message may quote what a client sent, and vsnprintf may cut a sequence
 * in two: replace every byte that is not part of valid UTF-8 with '?', so
 * that the reply is valid UTF-8 JSON.
 */
static void utf8_clean(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_seq(p);

		if (n) {
			p += n;
		} else {
			*p++ = '?';
		}
	}
}

struct json_object *control_error(int err, const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	utf8_clean(msg);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "errno", json_object_new_int(err));
	json_object_object_add(o, "error", json_object_new_string(strerror(err)));
	json_object_object_add(o, "message", json_object_new_string(msg));
	return o;
}

/* Watch fd for input, with a tag or a connection as its data. */
static int watch(struct control *c, int fd, uint64_t tag, void *conn)
{
	struct epoll_event ev = {.events = EPOLLIN};

	ev.data.u64 = conn ? (uint64_t)(uintptr_t)conn : tag;
	return epoll_ctl(c->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* The descriptors of the server itself, in the epoll set. */
static int watch_own(struct control *c)
{
	int r = watch(c, c->stop_fd, TAG_STOP, NULL);

	if (!r && c->sig_fd >= 0)
		r = watch(c, c->sig_fd, TAG_SIGNAL, NULL);
	if (!r)
		r = watch(c, c->listen_fd, TAG_LISTEN, NULL);
	return r;
}

int control_new(const char *path, gid_t group, int sigfd, const struct control_handler *h,
		struct control **ret)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct control *c;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->buf = malloc(CONTROL_MSG_MAX + 1);
	c->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	c->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	c->sig_fd = sigfd;
	c->group = group;
	c->h = *h;
	snprintf(c->path, sizeof(c->path), "%s", path);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (!c->buf || c->listen_fd < 0 || c->stop_fd < 0 || c->epoll_fd < 0) {
		r = c->buf ? -errno : -ENOMEM;
		goto err_free;
	}
	old = umask(0177);
	r = bind(c->listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0) {
		r = -errno;
		c->path[0] = '\0'; /* not ours: do not unlink */
		goto err_free;
	}
	if (group != (gid_t)-1 && (chown(path, (uid_t)-1, group) < 0 || chmod(path, 0660) < 0)) {
		r = -errno;
		goto err_free;
	}
	if (listen(c->listen_fd, CONTROL_BACKLOG) < 0) {
		r = -errno;
		goto err_free;
	}
	r = watch_own(c);
	if (r < 0)
		goto err_free;
	*ret = c;
	return 0;
err_free:
	c->sig_fd = -1; /* stays with the caller on failure */
	control_free(c);
	return r;
}

static void conn_close(struct control *c, struct conn_slot *s)
{
	size_t i = s->index;

	if (c->h.disconnect)
		c->h.disconnect(c->h.ctx, &s->conn);
	/* explicitly: a duplicate of the descriptor would keep it in the set */
	epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, s->conn.fd, NULL);
	close(s->conn.fd);
	c->conns[i] = c->conns[--c->nconns];
	c->conns[i]->index = i;
	free(s);
	c->warned_full = false;
}

/* Room for one more connection in the array. */
static bool conns_room(struct control *c)
{
	struct conn_slot **n;
	size_t cap;

	if (c->nconns < c->cap)
		return true;
	cap = c->cap ? 2 * c->cap : 64;
	if (cap > CONTROL_MAX_CONNS)
		cap = CONTROL_MAX_CONNS;
	n = realloc(c->conns, cap * sizeof(*n));
	if (!n)
		return false;
	c->conns = n;
	c->cap = cap;
	return true;
}

/*
 * Tell a client we will not serve why (one error reply, never waited for),
 * then close. Its first request may meet ECONNRESET; the reply stays
 * queued for it (ctlwire_recv reads it).
 */
static void tell_and_close(int fd, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void tell_and_close(int fd, int err, const char *fmt, ...)
{
	_cleanup_json_ struct json_object *o = NULL;
	const char *text;
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	o = control_error(err, "%s", msg);
	text = o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN) : NULL;
	if (text && send(fd, text, strlen(text), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
		/* the client is gone or not reading: closing tells it enough */
	}
	close(fd);
}

static void refuse(struct control *c, int fd, const char *why)
{
	if (!c->warned_full)
		dlog_daemon(AP_LOG_WARNING, "control socket: %s, refusing clients", why);
	c->warned_full = true;
	tell_and_close(fd, EUSERS, "apemud refuses the connection: %s", why);
}

/* Is the peer in group g (primary or supplementary: SO_PEERGROUPS)? */
static bool peer_in_group(int fd, const struct ucred *cred, gid_t g)
{
	_cleanup_free_ gid_t *groups = NULL;
	socklen_t len = 0;
	bool in = false;

	if (cred->gid == g)
		return true;
	/* a first call with no room tells the size (ERANGE) */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, NULL, &len) < 0 && errno != ERANGE)
		return false;
	if (!len || !(groups = malloc(len)) ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		in |= groups[i] == g;
	return in;
}

/* Only root, our own user and the --group may use the socket (control.h). */
static bool peer_allowed(const struct control *c, int fd, const struct ucred *cred)
{
	if (cred->uid == 0 || cred->uid == geteuid())
		return true;
	return c->group != (gid_t)-1 && peer_in_group(fd, cred, c->group);
}

/*
 * accept4 failed with errno e. Out of descriptors: the client would stay
 * in the backlog and the listening socket readable for ever, so give up
 * the spare descriptor for a moment to take it and close it.
 */
static void accept_failed(struct control *c, int e)
{
	int fd;

	if ((e != EMFILE && e != ENFILE) || c->spare_fd < 0)
		return;
	close(c->spare_fd);
	fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0)
		refuse(c, fd, strerror(e));
	c->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void accept_conn(struct control *c)
{
	struct conn_slot *s;
	struct ucred cred = {.pid = -1, .uid = (uid_t)-1};
	socklen_t len = sizeof(cred);
	int fd = accept4(c->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0) {
		accept_failed(c, errno);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    !peer_allowed(c, fd, &cred)) {
		dlog_daemon(AP_LOG_NOTICE, "control socket: refusing pid %d (uid %u): not root%s",
			    (int)cred.pid, (unsigned int)cred.uid,
			    c->group != (gid_t)-1 ? " nor in the group" : "");
		tell_and_close(fd, EACCES,
			       "apemud: permission denied: the control socket is for root%s only",
			       c->group != (gid_t)-1 ? " and its group" : "");
		return;
	}
	if (c->nconns == CONTROL_MAX_CONNS) {
		refuse(c, fd, "too many connections");
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !conns_room(c) || watch(c, fd, 0, s) < 0) {
		free(s);
		refuse(c, fd, "out of memory");
		return;
	}
	s->conn.fd = fd;
	s->conn.pid = cred.pid;
	s->conn.uid = cred.uid;
	s->index = c->nconns;
	c->conns[c->nconns++] = s;
}

/* Send a long reply as a sealed memfd with a small envelope that repeats
 * "ok" and "tag". */
static int send_in_memfd(int fd, struct json_object *reply, const char *text, size_t len)
{
	_cleanup_close_ int mfd = memfd_create("apemu-reply", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	_cleanup_json_ struct json_object *env = json_object_new_object();
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct json_object *v;
	struct iovec iov;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *cm;
	size_t off = 0;

	if (mfd < 0)
		return -errno;
	while (off < len) {
		ssize_t n = write(mfd, text + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		off += (size_t)n;
	}
	fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	lseek(mfd, 0, SEEK_SET);
	json_object_object_add(env, "reply_in_fd", json_object_new_uint64(len));
	if (json_object_object_get_ex(reply, "ok", &v))
		json_object_object_add(env, "ok", json_object_get(v));
	if (json_object_object_get_ex(reply, "tag", &v))
		json_object_object_add(env, "tag", json_object_get(v));
	iov.iov_base =
	    (void *)json_object_to_json_string_length(env, JSON_C_TO_STRING_PLAIN, &iov.iov_len);
	memset(cbuf, 0, sizeof(cbuf));
	msg.msg_control = cbuf;
	msg.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &mfd, sizeof(int));
	return sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
}

static int send_reply(int fd, struct json_object *reply)
{
	size_t len;
	const char *text = json_object_to_json_string_length(
	    reply, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);

	if (len > CONTROL_INLINE_MAX)
		return send_in_memfd(fd, reply, text, len);
	return send(fd, text, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -errno : 0;
}

/* Receive one message and its descriptors; 0 at end of stream. */
static ssize_t recv_request(struct control *c, int fd, struct control_fds *fds, bool *ret_trunc)
{
	char cbuf[CMSG_SPACE(sizeof(int) * CONTROL_MAX_FDS)];
	struct iovec iov = {.iov_base = c->buf, .iov_len = CONTROL_MSG_MAX};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	ssize_t n;

	fds->n = 0;
	do
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		size_t k;

		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k && fds->n < CONTROL_MAX_FDS; i++)
			memcpy(&fds->fd[fds->n++], CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
	}
	*ret_trunc = msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC);
	c->buf[n] = '\0';
	return n;
}

static void close_fds(struct control_fds *fds)
{
	for (size_t i = 0; i < fds->n; i++)
		if (fds->fd[i] >= 0)
			close(fds->fd[i]);
	fds->n = 0;
}

/* Parse and hand over one request; an unusable message gets an error reply. */
static enum control_result dispatch(struct control *c, struct control_conn *conn, size_t n,
				    bool trunc, struct control_fds *fds,
				    struct json_object **ret_reply)
{
	struct json_tokener *tok;
	struct json_object *req;
	enum json_tokener_error jerr;
	enum control_result res;

	if (trunc) {
		*ret_reply = control_error(
		    EMSGSIZE, "request longer than %d bytes or with more than %d descriptors",
		    CONTROL_MSG_MAX, CONTROL_MAX_FDS);
		return CONTROL_CONTINUE;
	}
	tok = json_tokener_new();
	if (!tok) {
		*ret_reply = control_error(ENOMEM, "out of memory");
		return CONTROL_CONTINUE;
	}
	/* a request is UTF-8 JSON: strings that are not are refused, never echoed */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	req = json_tokener_parse_ex(tok, c->buf, (int)n);
	jerr = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !json_object_is_type(req, json_type_object)) {
		*ret_reply =
		    control_error(EINVAL, "a request is one JSON object: %s",
				  jerr == json_tokener_continue	 ? "incomplete JSON text"
				  : jerr != json_tokener_success ? json_tokener_error_desc(jerr)
								 : "not an object");
		json_object_put(req);
		return CONTROL_CONTINUE;
	}
	*ret_reply = NULL;
	res = c->h.request(c->h.ctx, conn, req, fds, ret_reply);
	json_object_put(req);
	if (!*ret_reply)
		*ret_reply = control_error(EIO, "internal error: no reply");
	return res;
}

/* Serve one readable connection. Returns false when it is to be closed. */
static bool serve_conn(struct control *c, struct control_conn *conn)
{
	struct control_fds fds;
	struct json_object *reply;
	enum control_result res;
	bool trunc = false, ok;
	ssize_t n = recv_request(c, conn->fd, &fds, &trunc);

	if (n == -EAGAIN)
		return true;
	if (n <= 0) {
		close_fds(&fds);
		return false;
	}
	res = dispatch(c, conn, (size_t)n, trunc, &fds, &reply);
	close_fds(&fds);
	/* A client that does not read its replies is dropped, not waited for. */
	ok = send_reply(conn->fd, reply) >= 0;
	json_object_put(reply);
	if (res == CONTROL_STOP && !c->stopping) {
		c->stopping = true;
		c->h.stop(c->h.ctx, "stop request");
	}
	return ok;
}

static void handle_signal(struct control *c)
{
	struct signalfd_siginfo si;

	if (read(c->sig_fd, &si, sizeof(si)) != sizeof(si) || c->stopping)
		return;
	c->stopping = true;
	c->h.stop(c->h.ctx, strsignal((int)si.ssi_signo));
}

/* A stop was requested: accept no more clients (as before, they wait in
 * the backlog until the socket goes). */
static void stop_accepting(struct control *c)
{
	if (c->stopping && !c->deaf) {
		epoll_ctl(c->epoll_fd, EPOLL_CTL_DEL, c->listen_fd, NULL);
		c->deaf = true;
	}
}

static void *control_thread(void *arg)
{
	struct control *c = arg;
	struct epoll_event ev[EPOLL_BATCH];
	bool quit = false;

	while (!quit) {
		int n = epoll_wait(c->epoll_fd, ev, EPOLL_BATCH, -1);
		uint64_t v;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			dlog_daemon(AP_LOG_ERR, "control socket: epoll_wait: %s", strerror(errno));
			break;
		}
		/* the server's own descriptors first: a stop ends the loop at once */
		for (int i = 0; i < n && !quit; i++) {
			switch (ev[i].data.u64) {
			case TAG_STOP:
				quit = read(c->stop_fd, &v, sizeof(v)) == sizeof(v);
				break;
			case TAG_SIGNAL:
				handle_signal(c);
				stop_accepting(c);
				break;
			case TAG_LISTEN:
				if (!c->stopping)
					accept_conn(c);
				break;
			}
		}
		/* each connection appears once per batch; only its own event closes it */
		for (int i = 0; i < n && !quit; i++) {
			struct conn_slot *s = (struct conn_slot *)(uintptr_t)ev[i].data.u64;

			if (ev[i].data.u64 <= TAG_LAST)
				continue;
			if (!serve_conn(c, &s->conn))
				conn_close(c, s);
			stop_accepting(c);
		}
	}
	while (c->nconns)
		conn_close(c, c->conns[c->nconns - 1]);
	return NULL;
}

int control_start(struct control *c)
{
	int r = pthread_create(&c->thread, NULL, control_thread, c);

	if (r)
		return -r;
	c->running = true;
	return 0;
}

void control_stop(struct control *c)
{
	uint64_t one = 1;

	if (!c || !c->running)
		return;
	if (write(c->stop_fd, &one, sizeof(one)) != sizeof(one))
		dlog_daemon(AP_LOG_ERR, "control socket: cannot wake the thread: %s",
			    strerror(errno));
	pthread_join(c->thread, NULL);
	c->running = false;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	control_stop(c);
	if (c->listen_fd >= 0)
		close(c->listen_fd);
	if (c->path[0])
		unlink(c->path);
	if (c->stop_fd >= 0)
		close(c->stop_fd);
	if (c->sig_fd >= 0)
		close(c->sig_fd);
	if (c->epoll_fd >= 0)
		close(c->epoll_fd);
	if (c->spare_fd >= 0)
		close(c->spare_fd);
	free(c->conns);
	free(c->buf);
	free(c);
}
