/*
 * apqueue - the message side of one AP queue: the requests NQAP put on it
 * (at most depth + 1), the replies waiting for DQAP, a reply being dequeued
 * in parts, and the interruption state AQIC set.
 *
 * Pure data: who executes a request is the caller's business (the engine;
 * a request moves to the reply list when apq_complete() is called). Every
 * request accepted by apq_enqueue() leaves either as exactly one reply, or
 * is discarded by apq_reset() (RAPQ, ZAPQ, unbind, deconfiguration).
 */
#ifndef APEMU_CORE_APQUEUE_H
#define APEMU_CORE_APQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct apq_msg {
	struct apq_msg *next;
	uint64_t psmid;
	size_t len;
	size_t done; /* bytes of a reply already handed out by a partial DQAP */
	uint8_t data[];
};

struct apq {
	unsigned int capacity; /* depth + 1 */
	unsigned int nreq;     /* requests not yet completed */
	unsigned int nrep;     /* replies not yet fully dequeued */
	struct apq_msg *req_head, *req_tail;
	struct apq_msg *rep_head, *rep_tail;
	/* AQIC */
	bool irq;
	uint8_t isc;
	uint64_t nib; /* guest address of the notification-indicator byte */
	/* counters for sysfs */
	uint64_t completed;
	/* goes up with every apq_reset(): an executor that let go of the queue
	 * while it computed learns that its request was discarded meanwhile */
	uint64_t gen;
};

void apq_init(struct apq *q, unsigned int capacity);
/* Discard every request and reply, disable interruptions and move gen on.
 * Returns how many messages were discarded. */
unsigned int apq_reset(struct apq *q);

/* true when nreq + nrep reached the capacity (NQAP answers "queue full") */
bool apq_full(const struct apq *q);

/*
 * Copy a request onto the queue. -ENOSPC when full (AP rc 0x10), -ENOMEM.
 */
int apq_enqueue(struct apq *q, uint64_t psmid, const void *msg, size_t len);

/* The oldest request not yet completed, or NULL (for the executor). */
struct apq_msg *apq_next_request(struct apq *q);

/*
 * Replace the oldest request by its reply (same psmid) and put it on the
 * reply list. -ENOENT when there is no request; -ENOMEM.
 */
int apq_complete(struct apq *q, const void *reply, size_t len);

/*
 * DQAP: copy up to buflen bytes of the oldest reply to buf. Returns the
 * bytes copied and sets *ret_psmid and *ret_residual (the bytes of this
 * reply still to come; 0 when it was handed out completely and has left
 * the queue). -ENOENT when no reply waits (AP rc 0x10).
 */
long apq_dequeue(struct apq *q, void *buf, size_t buflen, uint64_t *ret_psmid,
		 size_t *ret_residual);

#endif
