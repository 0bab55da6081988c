/*
 * guest_int - libapemu-guest's private parts: the guest object, the control
 * socket transport (guest_ctl.c) and the ring (guest.c), shared with the
 * instruction helpers (guest_insn.c) and the data plane (guest_dp.c).
 */
#ifndef APEMU_GUEST_INT_H
#define APEMU_GUEST_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <apemu/guest.h>

/* Only what include/apemu/guest.h declares leaves the shared library. */
#define APEMU_PUBLIC __attribute__((visibility("default")))

#define GUEST_MESSAGE_MAX 512

struct apemu_guest {
	int sock;   /* control connection; its life is the guest's */
	int memfd;  /* guest memory (adopted: the library's pages behind it) */
	int ramfd;  /* apemu_guest_adopt(): the caller's memfd (the caller's to close), else -1 */
	int irqfd;  /* eventfd for AP interruptions */
	int trapfd; /* eventfd: the trap doorbell (an instruction in the ring) */
	int datafd; /* eventfd: the data doorbell (a request on a sleeping adapter's ring) */
	uint8_t *mem;
	size_t mem_size;
	/* guest address of the library's own pages (ring, QCI block, message
	 * area): 0, or the adopted memory's size (apemu_guest_adopt) */
	uint64_t base;
	struct apemu_ring *ring;  /* at base + APEMU_GUEST_RING_ADDR */
	struct apemu_dp_area *dp; /* the data-plane area, or NULL */
	size_t dp_off, dp_size;
	/* the last queue ring found (guest_dp.c), a cache */
	struct apemu_qring *last_ring;
	uint16_t last_apqn;
	uint32_t seq; /* the last request's req_seq */
	unsigned int id;
	uint32_t crycbd;
	int format;
	bool problem_state;
	bool nested;
	uint64_t scb;
	bool broken; /* a request timed out: the ring's state is unknown */
	bool gone;   /* apemud closed the connection */
	char message[GUEST_MESSAGE_MAX];
};

/* Record a message for apemu_guest_message(). */
void guest_set_message(struct apemu_guest *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- guest_ctl.c: the control socket ---- */

/* Connect (SOCK_SEQPACKET, close-on-exec). -errno. */
int guest_ctl_connect(const char *path, int *ret_fd);

/*
 * Send req (not consumed) with nfds descriptors (SCM_RIGHTS; the caller
 * keeps them) and wait for the reply. Returns 0 and *ret_reply (an object
 * with "ok": true; the caller puts it), the daemon's -errno for a refused
 * request (message recorded), or a transport -errno (-ECONNRESET when apemud
 * closed the connection: g->gone is set; -ETIMEDOUT; -EBADMSG).
 */
int guest_ctl_call(struct apemu_guest *g, struct json_object *req, const int *fds, size_t nfds,
		   struct json_object **ret_reply);

/* ---- guest.c ---- */

/* apemu_guest_exec() with the guest's problem-state and nested flags. */
int guest_exec(struct apemu_guest *g, uint16_t opcode, uint8_t r1, uint8_t r2, uint64_t gr[16],
	       struct apemu_exec_result *res);

/* Bytes of the message area (from base + APEMU_GUEST_MSG_ADDR). */
size_t guest_msg_area(const struct apemu_guest *g);

/* ---- guest_dp.c: NQAP and DQAP on the queue rings, without an exit ---- */

/*
 * Each returns 1 when the ring answered (*ret filled as the machine would),
 * 0 when the instruction must go through the trap path instead (no live
 * ring for apqn, a message the ring does not take, a nested guest or
 * problem state, a race with apemud laying the ring out again).
 */
int guest_dp_nqap(struct apemu_guest *g, uint16_t apqn, uint64_t psmid, const void *msg, size_t len,
		  struct apemu_ap_result *ret);
int guest_dp_dqap(struct apemu_guest *g, uint16_t apqn, uint64_t *ret_psmid, void *buf, size_t len,
		  size_t *ret_len, size_t *ret_residual, struct apemu_ap_result *ret);

#endif
