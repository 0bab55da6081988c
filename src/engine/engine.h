/*
 * engine - the adapters at work: every AP queue's messages (struct apq),
 * and worker threads that execute the requests NQAP put on them, the way
 * the adapter's firmware does, and leave the replies for DQAP.
 *
 * Threads and locks:
 * - Every queue has its own mutex. The instruction path locks the one
 *   queue its instruction names (eng_queue_lock) and nothing global; the
 *   configuration side locks a queue to discard its messages.
 * - Workers: one per adapter by default, at most one per core. An adapter
 *   belongs to one worker, so its requests run one at a time, oldest queue
 *   first (a queue with more work goes to the back of the line after each
 *   request). A worker computes without the queue's lock: it copies the
 *   request out, and keeps the reply only if the queue was not reset
 *   meanwhile (apq.gen).
 * - What a worker needs of the machine (an adapter's mode) it reads from the
 *   published view (hwview.h), never from the configuration.
 * - Counters: each queue's requestq_count (requests the adapter has not
 *   started), pendingq_count (the request the adapter works on and the
 *   replies not yet dequeued), load (requests not completed) and
 *   request_count (completed requests) are published into the bus's
 *   struct ap_queue_dev with atomic stores.
 * - AQIC: when a reply arrives on a queue with interruptions enabled, the
 *   notification byte of the guest that enabled them becomes 0xff and the
 *   guest's eventfd is signalled.
 */
#ifndef APEMU_ENGINE_H
#define APEMU_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "apqueue.h"
#include "hwview.h"
#include "system.h"

struct engine;
struct eng_queue;

/* Who is told about replies on a queue with interruptions enabled. */
struct eng_owner {
	const void *id; /* the guest; engine_forget() takes it back */
	uint8_t *mem;	/* its memory (the notification byte lives there) */
	uint64_t mem_size;
	int irq_fd; /* eventfd, or -1 */
};

/*
 * Start nworkers worker threads (0: one per adapter present in view, at
 * least 1, at most the number of online CPUs). counters: the bus's queue
 * devices (AP_APQNS of them), or NULL. -errno.
 */
int engine_new(const struct ap_view *view, struct ap_queue_dev *counters, unsigned int nworkers,
	       struct engine **ret);
/* Stop the workers and free every queue and message. Accepts NULL. */
void engine_free(struct engine *e);
unsigned int engine_workers(const struct engine *e);
/* Is a CPU left over while the adapters compute, so that a thread may
 * busy-wait a little for its next piece of work? */
bool engine_spin_ok(const struct engine *e);

/* ---- the instruction path ---- */

/* The queue of apqn, created empty (holding capacity messages) on first
 * use. Lock-free; NULL without memory. */
struct eng_queue *engine_queue(struct engine *e, unsigned int apqn, unsigned int capacity);
void eng_queue_lock(struct eng_queue *eq);
/* Publish the counters and unlock. */
void eng_queue_unlock(struct eng_queue *eq);
/* The message state (lock held). */
struct apq *eng_queue_apq(struct eng_queue *eq);
/* A request was put on the queue (lock held): hand it to its adapter. */
void eng_queue_submit(struct eng_queue *eq);
/* Remember who enabled interruptions (lock held); NULL forgets. */
void eng_queue_set_owner(struct eng_queue *eq, const struct eng_owner *owner);
const void *eng_queue_owner(const struct eng_queue *eq);

/* ---- the configuration side ---- */

/* RAPQ/ZAPQ from outside (reset, zeroize, unbind, standby): every message
 * is discarded and interruptions are off. capacity: the new depth + 1, or 0
 * to keep it. */
void engine_reset(struct engine *e, unsigned int apqn, unsigned int capacity);
/* Forget owner on every queue (before its memory goes away). */
void engine_forget(struct engine *e, const void *owner_id);

#endif
