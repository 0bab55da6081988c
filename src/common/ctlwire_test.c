/*
 * ctlwire_test - the client side of the control socket (ctlwire.h) over a
 * socketpair and a listening socket, without apemud.
 *
 * Invariants:
 * - a request sent is the object received, descriptors included; more
 *   than CTLWIRE_MAX_FDS are refused before anything is sent;
 * - a reply is one JSON object or an error: -EBADMSG for anything else (an
 *   array, a cut or malformed text, a long reply without its memfd or with
 *   a bad one), -EMSGSIZE for a message longer than CTLWIRE_MSG_MAX,
 *   -ETIMEDOUT, -ECONNRESET when the peer is gone;
 * - a long reply is read from its memfd, and every descriptor that came
 *   with a reply is closed on return, whatever the outcome;
 * - a peer that answers and closes at once (a refusal) has its answer
 *   read by ctlwire_call even though the send failed;
 * - ctlwire_connect refuses a path sun_path cannot hold and reports the
 *   peer's pid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctlwire.h"

static int sp[2]; /* sp[0]: the client, sp[1]: the daemon's end */

static int setup(void **state)
{
	(void)state;
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp);
}

static int teardown(void **state)
{
	(void)state;
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	return 0;
}

static unsigned int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* The daemon's side: raw bytes with descriptors. */
static void raw_send(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
	assert_int_equal(ctlwire_send_bytes(sock, buf, len, fds, nfds, 0), 0);
}

static void raw_send_text(const char *text)
{
	raw_send(sp[1], text, strlen(text), NULL, 0);
}

static int memfd_with(const char *text)
{
	int fd = memfd_create("reply", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

/* ---- send ---- */

static void test_sent_object_is_received(void **state)
{
	struct json_object *req = json_tokener_parse("{\"op\": \"status\", \"n\": [1, \"two\"]}");
	struct json_object *got = NULL;

	(void)state;
	assert_int_equal(ctlwire_send(sp[0], req, NULL, 0, 0), 0);
	/* the daemon's end reads it as any message */
	assert_int_equal(ctlwire_recv(sp[1], 1000, 0, &got), 0);
	assert_true(json_object_equal(req, got));
	json_object_put(got);
	json_object_put(req);
}

static void test_sent_descriptors_arrive(void **state)
{
	struct json_object *req = json_object_new_object();
	int p[2], fds[2];
	char cbuf[CMSG_SPACE(sizeof(int) * 8)], buf[64];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *cm;
	struct stat a, b;

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ctlwire_send(sp[0], req, p, 2, 0), 0);
	assert_true(recvmsg(sp[1], &msg, MSG_CMSG_CLOEXEC) > 0);
	cm = CMSG_FIRSTHDR(&msg);
	assert_non_null(cm);
	assert_int_equal(cm->cmsg_type, SCM_RIGHTS);
	assert_int_equal(cm->cmsg_len, CMSG_LEN(2 * sizeof(int)));
	memcpy(fds, CMSG_DATA(cm), sizeof(fds));
	for (int i = 0; i < 2; i++) {
		assert_int_equal(fstat(fds[i], &a), 0);
		assert_int_equal(fstat(p[i], &b), 0);
		assert_int_equal(a.st_ino, b.st_ino);
		close(fds[i]);
		close(p[i]); /* the caller kept its own */
	}
	json_object_put(req);
}

static void test_send_refuses_too_many_descriptors(void **state)
{
	struct json_object *req = json_object_new_object(), *got = NULL;
	int fds[CTLWIRE_MAX_FDS + 1];

	(void)state;
	for (size_t i = 0; i < CTLWIRE_MAX_FDS + 1; i++)
		fds[i] = 0;
	assert_int_equal(ctlwire_send(sp[0], req, fds, CTLWIRE_MAX_FDS + 1, 0), -EINVAL);
	/* nothing went out */
	assert_int_equal(ctlwire_recv(sp[1], 0, 0, &got), -ETIMEDOUT);
	json_object_put(req);
}

static void test_send_to_a_closed_peer(void **state)
{
	struct json_object *req = json_object_new_object();

	(void)state;
	close(sp[1]);
	sp[1] = -1;
	assert_int_equal(ctlwire_send(sp[0], req, NULL, 0, 0), -EPIPE);
	assert_int_equal(ctlwire_send(sp[0], req, NULL, 0, CTLWIRE_EPIPE_IS_RESET), -ECONNRESET);
	json_object_put(req);
}

/* ---- recv ---- */

static void test_recv_waits_then_times_out(void **state)
{
	struct json_object *got = NULL;

	(void)state;
	assert_int_equal(ctlwire_recv(sp[0], 10, 0, &got), -ETIMEDOUT);
	assert_int_equal(ctlwire_recv(sp[0], 0, CTLWIRE_RESTART, &got), -ETIMEDOUT);
	assert_null(got);
}

static void test_recv_from_a_closed_peer(void **state)
{
	struct json_object *got = NULL;

	(void)state;
	close(sp[1]);
	sp[1] = -1;
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -ECONNRESET);
	assert_null(got);
}

static void test_recv_refuses_what_is_not_an_object(void **state)
{
	static const char *const bad[] = {"[1, 2]",   "\"ok\"",	      "42",	   "null",
					  "not json", "{\"ok\": tru", "{\"a\": 1", "{\"a\" 1}"};
	struct json_object *got = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		raw_send_text(bad[i]);
		if (ctlwire_recv(sp[0], 1000, 0, &got) != -EBADMSG)
			fail_msg("accepted %s", bad[i]);
		assert_null(got);
	}
}

static void test_recv_refuses_a_message_too_long(void **state)
{
	size_t len = CTLWIRE_MSG_MAX + 1;
	char *big = malloc(len);
	struct json_object *got = NULL;
	int size = 4 * (int)len;

	(void)state;
	assert_non_null(big);
	assert_int_equal(setsockopt(sp[1], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)), 0);
	memset(big, ' ', len);
	big[0] = '{';
	big[len - 1] = '}';
	raw_send(sp[1], big, len, NULL, 0);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -EMSGSIZE);
	/* one byte less is a message like any other */
	raw_send(sp[1], big + 1, len - 1, NULL, 0);
	big[1] = '{';
	raw_send(sp[1], big + 1, len - 1, NULL, 0);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -EBADMSG); /* "   ...}" */
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), 0);
	json_object_put(got);
	free(big);
}

static void test_recv_reads_a_long_reply_from_its_memfd(void **state)
{
	const char *envelope = "{\"ok\": true, \"reply_in_fd\": true}";
	int mfd = memfd_with("{\"ok\": true, \"lines\": [\"a\", \"b\"]}");
	int extra = memfd_with("{}");
	int fds[2] = {mfd, extra};
	struct json_object *got = NULL;
	unsigned int before = open_fds();

	(void)state;
	raw_send(sp[1], envelope, strlen(envelope), fds, 2);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), 0);
	assert_int_equal(json_object_array_length(json_object_object_get(got, "lines")), 2);
	assert_false(json_object_object_get_ex(got, "reply_in_fd", NULL));
	json_object_put(got);
	/* both received copies are closed again */
	assert_int_equal(open_fds(), before);
	close(mfd);
	close(extra);
}

static void test_recv_refuses_a_bad_long_reply(void **state)
{
	const char *envelope = "{\"ok\": true, \"reply_in_fd\": true}";
	int bad = memfd_with("[\"not an object\"]"), empty = memfd_with("");
	struct json_object *got = NULL;
	unsigned int before = open_fds();

	(void)state;
	raw_send_text(envelope);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -EBADMSG);
	raw_send(sp[1], envelope, strlen(envelope), &bad, 1);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -EBADMSG);
	raw_send(sp[1], envelope, strlen(envelope), &empty, 1);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -EBADMSG);
	assert_null(got);
	assert_int_equal(open_fds(), before);
	close(bad);
	close(empty);
}

static void test_recv_closes_descriptors_of_a_short_reply(void **state)
{
	int fds[3] = {memfd_with("x"), memfd_with("y"), memfd_with("z")};
	struct json_object *got = NULL;
	unsigned int before = open_fds();

	(void)state;
	raw_send(sp[1], "{\"ok\": true}", 12, fds, 3);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), 0);
	json_object_put(got);
	raw_send(sp[1], "[]", 2, fds, 3);
	assert_int_equal(ctlwire_recv(sp[0], 1000, 0, &got), -EBADMSG);
	assert_int_equal(open_fds(), before);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

static void test_read_memfd_limits(void **state)
{
	struct json_object *got = NULL;
	int huge = memfd_create("huge", MFD_CLOEXEC), p[2];

	(void)state;
	/* sparse: refused by its size, before anything is read */
	assert_int_equal(ftruncate(huge, (off_t)CTLWIRE_MEMFD_LIMIT + 1), 0);
	assert_int_equal(ctlwire_read_memfd(huge, &got), -EBADMSG);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(ctlwire_read_memfd(p[0], &got), -EBADMSG);
	assert_int_equal(ctlwire_read_memfd(-1, &got), -EBADF);
	assert_null(got);
	close(huge);
	close(p[0]);
	close(p[1]);
}

/* ---- call ---- */

static void test_call_gets_the_answer_of_a_refusing_peer(void **state)
{
	struct json_object *req = json_tokener_parse("{\"op\": \"status\"}"), *got = NULL;

	(void)state;
	/* apemud refuses a client: it answers at once and closes */
	raw_send_text("{\"ok\": false, \"errno\": 13}");
	close(sp[1]);
	sp[1] = -1;
	assert_int_equal(ctlwire_call(sp[0], req, NULL, 0, 1000, 0, &got), 0);
	assert_int_equal(json_object_get_int(json_object_object_get(got, "errno")), 13);
	json_object_put(got);
	/* nothing more to read */
	assert_int_equal(ctlwire_call(sp[0], req, NULL, 0, 1000, 0, &got), -EPIPE);
	json_object_put(req);
}

static void test_call_sends_then_reads(void **state)
{
	struct json_object *req = json_tokener_parse("{\"op\": \"check\"}"), *got = NULL;

	(void)state;
	raw_send_text("{\"ok\": true, \"violations\": []}");
	assert_int_equal(ctlwire_call(sp[0], req, NULL, 0, 1000, 0, &got), 0);
	assert_true(json_object_get_boolean(json_object_object_get(got, "ok")));
	json_object_put(got);
	assert_int_equal(ctlwire_recv(sp[1], 1000, 0, &got), 0);
	assert_true(json_object_equal(got, req));
	json_object_put(got);
	json_object_put(req);
}

/* ---- connect ---- */

static void test_connect(void **state)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/ctlwire-test-XXXXXX", path[sizeof(sa.sun_path) + 8];
	int lfd, fd = -1, peer;
	pid_t pid = 0;

	(void)state;
	memset(path, 'x', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	assert_int_equal(ctlwire_connect(path, &fd, &pid), -ENAMETOOLONG);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/sock", dir);
	assert_int_equal(ctlwire_connect(path, &fd, &pid), -ENOENT);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(ctlwire_connect(path, &fd, &pid), 0);
	assert_int_equal(pid, getpid());
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	peer = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	assert_true(peer >= 0);
	close(peer);
	close(fd);
	close(lfd);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_sent_object_is_received),
	    T(test_sent_descriptors_arrive),
	    T(test_send_refuses_too_many_descriptors),
	    T(test_send_to_a_closed_peer),
	    T(test_recv_waits_then_times_out),
	    T(test_recv_from_a_closed_peer),
	    T(test_recv_refuses_what_is_not_an_object),
	    T(test_recv_refuses_a_message_too_long),
	    T(test_recv_reads_a_long_reply_from_its_memfd),
	    T(test_recv_refuses_a_bad_long_reply),
	    T(test_recv_closes_descriptors_of_a_short_reply),
	    T(test_read_memfd_limits),
	    T(test_call_gets_the_answer_of_a_refusing_peer),
	    T(test_call_sends_then_reads),
	    cmocka_unit_test(test_connect),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
