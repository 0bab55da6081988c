/*
 * ctlwire - the client side of apemud's control socket (docs/control-socket.md),
 * shared by the CLI (src/cli/client.c) and libapemu-guest (src/guest/guest_ctl.c):
 * SOCK_SEQPACKET, one JSON object per message, one reply per request;
 * descriptors travel as SCM_RIGHTS; a long reply arrives in a memfd
 * ("reply_in_fd").
 *
 * All functions return 0 or -errno. They are internal to whatever they are
 * compiled into: hidden, never part of libapemu-guest's ABI.
 */
#ifndef APEMU_CTLWIRE_H
#define APEMU_CTLWIRE_H

#include <stddef.h>
#include <sys/types.h>

#include <json-c/json.h>

#define CTLWIRE_MSG_MAX	    65536	 /* largest message (an envelope or a short reply) */
#define CTLWIRE_MAX_FDS	    8		 /* descriptors one message may carry */
#define CTLWIRE_MEMFD_LIMIT (256u << 20) /* largest long reply accepted */

#define CTLWIRE_HIDDEN __attribute__((visibility("hidden")))

/* How a caller wants interruptions and a closed peer reported. */
enum {
	/* Retry sendmsg/poll/recvmsg interrupted by a signal (EINTR); without
	 * it the call fails with -EINTR. A retried poll waits the full
	 * timeout again. */
	CTLWIRE_RESTART = 1u << 0,
	/* A send to a peer that closed the connection (EPIPE) fails with
	 * -ECONNRESET instead of -EPIPE. */
	CTLWIRE_EPIPE_IS_RESET = 1u << 1,
};

/*
 * Connect to the socket at path (SOCK_SEQPACKET, close-on-exec).
 * -ENAMETOOLONG when path does not fit sun_path. With ret_pid, *ret_pid is
 * the peer's pid (SO_PEERCRED).
 *
 * The peer must be root or the caller's own user (SO_PEERCRED, checked
 * before anything is sent): a socket another user planted at the path
 * (its directory may be writable by others) would otherwise receive a
 * guest's memory and eventfds. -CTLWIRE_EFOREIGN (EPERM) when it is not.
 */
#define CTLWIRE_EFOREIGN EPERM
CTLWIRE_HIDDEN int ctlwire_connect(const char *path, int *ret_fd, pid_t *ret_pid);

/*
 * Send req (not consumed) as one message with nfds (0..CTLWIRE_MAX_FDS,
 * else -EINVAL) descriptors as SCM_RIGHTS; the caller keeps them.
 */
CTLWIRE_HIDDEN int ctlwire_send(int sock, struct json_object *req, const int *fds, size_t nfds,
				unsigned int flags);
/* The same for len bytes of any content (a test's malformed message). */
CTLWIRE_HIDDEN int ctlwire_send_bytes(int sock, const void *buf, size_t len, const int *fds,
				      size_t nfds, unsigned int flags);

/*
 * Wait up to timeout_ms (poll(2) semantics; negative: forever) for one reply
 * and return it in *ret (the caller puts it). The message may carry
 * descriptors: the first is kept for a long reply ("reply_in_fd", read with
 * ctlwire_read_memfd()), the rest are closed, and all are closed on return.
 * -ETIMEDOUT, -ECONNRESET (the peer closed the connection), -EMSGSIZE (a
 * truncated message), -EBADMSG (not a JSON object, or a long reply without
 * its memfd).
 */
CTLWIRE_HIDDEN int ctlwire_recv(int sock, int timeout_ms, unsigned int flags,
				struct json_object **ret);

/* Parse the JSON object in a long reply's memfd (from offset 0). -EBADMSG. */
CTLWIRE_HIDDEN int ctlwire_read_memfd(int mfd, struct json_object **ret);

/*
 * ctlwire_send() then ctlwire_recv(). A daemon that refused the connection
 * (an error reply, then closed) may make the send fail: its reply is
 * returned all the same.
 */
CTLWIRE_HIDDEN int ctlwire_call(int sock, struct json_object *req, const int *fds, size_t nfds,
				int timeout_ms, unsigned int flags, struct json_object **ret);

#endif
