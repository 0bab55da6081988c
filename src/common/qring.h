/*
 * qring - the rules of an AP queue's ring (struct apemu_qring in
 * include/apemu/guest-abi.h), in one place for both of its sides:
 *
 * - the guest's (libapemu-guest, playing the machine's interpretation of
 *   NQAP and DQAP): qring_put(), qring_get(), qring_status();
 * - apemud's: the adapter's worker takes requests and writes replies
 *   (qring_host_take(), qring_host_complete()), the configuration side
 *   resets (qring_host_reset()), and the trap path answers the
 *   instructions the ring cannot (insn.c calls qring_put()/qring_get() on
 *   the guest's behalf while the guest's vCPU waits for the answer).
 *
 * Pure: no locks, no threads, no system calls. Every shared word is read
 * once with an atomic load and every counter is checked against the
 * geometry before it is used, so a guest that writes nonsense into its
 * ring only ever hurts its own requests. apemud never reads the geometry
 * back from the ring: it keeps its own (struct qring_geom).
 *
 * Counters: `req` (requests the guest enqueued), `cons` (replies it
 * dequeued), `prod` (replies the adapter produced) and `base` (a reset
 * discarded every request before it). The guest's view of `cons` is never
 * below `base`. A queue holds req - cons messages, at most nslots (depth +
 * 1): requests not answered yet and replies not dequeued yet.
 */
#ifndef APEMU_COMMON_QRING_H
#define APEMU_COMMON_QRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <apemu/guest-abi.h>

#include "ap_arch.h"

struct qring_geom {
	uint32_t nslots;    /* 1..APEMU_QRING_SLOTS_MAX */
	uint32_t slot_size; /* data bytes of a slot */
	uint32_t epoch;
};

/* The guest's geometry, read from the ring apemud laid out (the guest's side). */
void qring_geom_of(const struct apemu_qring *r, struct qring_geom *ret);

/* The slot of request number k. */
struct apemu_qslot *qring_slot(struct apemu_qring *r, const struct qring_geom *g, uint32_t k);

/* E, R and F from the counters (I is the caller's: the guest reads the ring's
 * irq, apemud its own). A ring whose counters make no sense is full. */
uint32_t qring_status(const struct apemu_qring *r, const struct qring_geom *g);

/*
 * NQAP: put len bytes (at most g->slot_size; the caller checks) of msg with
 * psmid into the next slot and publish it. 0, or -ENOSPC when the queue
 * holds nslots messages already (or its counters make no sense), -EAGAIN
 * when apemud laid the ring out again meanwhile (nothing was published).
 */
int qring_put(struct apemu_qring *r, const struct qring_geom *g, uint64_t psmid, const void *msg,
	      size_t len);

/*
 * DQAP: copy up to buflen bytes of the oldest reply to buf. Returns the
 * bytes copied, *ret_residual the bytes of the reply still to come (0: it
 * was handed out completely and has left the queue; then *ret_psmid is
 * set). -ENOENT when no reply waits, -EAGAIN as qring_put().
 */
long qring_get(struct apemu_qring *r, const struct qring_geom *g, void *buf, size_t buflen,
	       uint64_t *ret_psmid, size_t *ret_residual);

/* ---- apemud's side ---- */

struct qring_host {
	struct apemu_qring *r;
	struct qring_geom g;
	uint32_t taken; /* requests the adapter took: the next one is number `taken` */
	uint32_t prod;	/* replies produced; taken - prod is the request being computed */
	uint32_t base;
	uint64_t gen; /* moves on with every reset: a reply computed before it goes nowhere */
	/* AQIC */
	bool irq;
	uint8_t isc;
	uint64_t nib; /* guest address of the notification byte */
};

/*
 * Lay out the ring at r (APEMU_QRING_BYTES(nslots, slot_size) bytes) for
 * apqn and take its apemud side into h: empty, interruptions off, state
 * APEMU_QRING_LIVE.
 */
void qring_host_init(struct qring_host *h, struct apemu_qring *r, unsigned int apqn,
		     unsigned int nslots, unsigned int slot_size, uint32_t max_msg, uint32_t epoch);

/* Is a request waiting for the adapter? */
bool qring_host_pending(const struct qring_host *h);
/* How many requests the adapter could take now (waiting and with room). */
uint32_t qring_host_waiting(const struct qring_host *h);

/*
 * The adapter takes the oldest request not taken yet: one copy of it into
 * buf (cap bytes), its psmid and length (a length the slot cannot hold
 * comes out as 0: a malformed message), and the generation to hand back to
 * qring_host_complete(). -ENOENT when none waits.
 */
int qring_host_take(struct qring_host *h, void *buf, size_t cap, uint64_t *ret_psmid,
		    size_t *ret_len, uint64_t *ret_gen);

/*
 * The reply to the request taken in generation gen replaces it in its slot
 * (at most slot_size bytes) and is published. Returns false, and writes
 * nothing, when a reset discarded the request meanwhile.
 */
bool qring_host_complete(struct qring_host *h, uint64_t gen, uint64_t psmid, const void *reply,
			 size_t len);

/* RAPQ/ZAPQ: every request and reply discarded, interruptions off. */
void qring_host_reset(struct qring_host *h);

/* Status bits for apemud's answers: E, R, F from the ring, I from h. */
uint32_t qring_host_status(const struct qring_host *h);

/* AQIC's state: into h and the ring's irq word (the guest's I bit). */
void qring_host_set_irq(struct qring_host *h, bool on, uint8_t isc, uint64_t nib);

/* The state the guest reads (APEMU_QRING_*). */
void qring_host_set_state(struct qring_host *h, uint32_t state);

/* Ask the guest to write the data doorbell after its next request (or not). */
void qring_host_set_need_wakeup(struct qring_host *h, bool on);

/*
 * sysfs's counters: requests not started (requestq_count), the request
 * being computed plus replies not dequeued (pendingq_count), requests not
 * completed (load).
 */
void qring_host_counts(const struct qring_host *h, unsigned int *ret_waiting,
		       unsigned int *ret_pending, unsigned int *ret_incomplete);

#endif
