/*
 * engine - the adapters at work: one worker thread per adapter consumes
 * the requests guests put on their queues' rings (src/common/qring.h), the
 * way an adapter's firmware does, and writes each reply into the ring in
 * place, with no thread between the guest and the adapter.
 *
 * Queues and rings: every APQN has a queue (struct eng_queue, created on
 * first use), and a queue is *bound* to at most one ring at a time, laid
 * out by the daemon in the memory of the guest that reaches the queue (or
 * in the daemon's own memory for a guest without a data-plane area). The
 * binding's owner is that guest. A binding is *live* while the guest may
 * use the queue; the worker takes requests only from live bindings, so a
 * revoked queue (unassigned, unplugged, guest gone) is never served again.
 *
 * Threads and locks:
 * - Every queue has its own mutex; it guards the binding (struct
 *   qring_host). Lock order: the daemon's configuration lock, a guest's
 *   instruction lock, an adapter's doorbell lock (binding and unbinding
 *   only), then one queue's mutex. The engine never holds two queue
 *   mutexes at once.
 * - A worker computes without the queue's mutex: it copies the request out
 *   of the ring once, computes, and publishes the reply only if no reset
 *   discarded the request meanwhile (the binding's generation).
 * - Adapters are independent: one thread each, the operating system
 *   sharing the CPUs among them; within an adapter its queues take turns,
 *   one request each.
 * - Wake-ups: a worker that finds no work sets need_wakeup in each ring it
 *   serves, looks once more, and sleeps in epoll_wait on its own eventfd
 *   (engine_kick) and on the data doorbells (eventfds, edge-triggered) of
 *   the guests that own its rings; a guest writes its doorbell only when it
 *   sees need_wakeup, so a busy adapter costs no wake-ups. No spinning: a
 *   spinning thread takes the CPU an adapter or a guest needs.
 * - Counters: the engine owns each queue's request counters (struct
 *   ap_queue_counters), under the queue's mutex: requestq_count,
 *   pendingq_count and load are taken from the ring whenever the worker,
 *   the trap path or a reset touches the queue, request_count goes up with
 *   every reply. The model asks for them (engine_counters).
 * - AQIC: when a reply arrives on a queue with interruptions enabled, the
 *   owner's notification byte becomes 0xff at once and, if it was not 0xff
 *   already, an interruption is due: the owner's eventfd is signalled at
 *   once while at most half the ring's slots hold requests the adapter can
 *   still take, else at a later reply once no more do, or before the
 *   adapter sleeps (engine.c, deliver()).
 */
#ifndef APEMU_ENGINE_H
#define APEMU_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "hwview.h"
#include "qring.h"
#include "system.h"

struct engine;

/* The guest a binding belongs to. */
struct eng_owner {
	const void *id;
	uint8_t *mem; /* its memory (the notification byte lives there) */
	uint64_t mem_size;
	int irq_fd;	 /* AQIC eventfd, or -1 */
	int doorbell_fd; /* the guest's data doorbell (an eventfd), or -1 */
};

/*
 * Start a worker for every adapter present in view. An adapter that
 * appears later gets its worker when one of its queues is first bound
 * (engine_bind) or given a reply delay (engine_fault_delay). -ENOMEM.
 */
int engine_new(const struct hwview *view, struct engine **ret);
/* Stop the workers and free every queue. Accepts NULL. */
void engine_free(struct engine *e);
/* Worker threads running. */
unsigned int engine_workers(struct engine *e);

/*
 * Bind apqn to the ring h describes (laid out by the caller, live) for
 * owner. A binding of another owner is discarded first (its ring revoked).
 * -ENOMEM (no queue or worker could be made), -errno of epoll_ctl.
 */
int engine_bind(struct engine *e, unsigned int apqn, const struct qring_host *h,
		const struct eng_owner *owner);
/* Discard apqn's binding if owner_id has it (NULL: whoever has it).
 * Returns the owner it had, or NULL. */
const void *engine_unbind(struct engine *e, unsigned int apqn, const void *owner_id);
/* Unbind every queue of owner_id (before its memory goes away). */
void engine_forget(struct engine *e, const void *owner_id);
/* The ring's state (APEMU_QRING_*) for owner_id's binding of apqn: live or not served. */
void engine_set_state(struct engine *e, unsigned int apqn, const void *owner_id, uint32_t state);

/*
 * The trap path: lock apqn's queue and return its binding when owner_id
 * has it; NULL (nothing locked) otherwise.
 */
struct qring_host *engine_lock(struct engine *e, unsigned int apqn, const void *owner_id);
/* Publish the counters and unlock what engine_lock() locked. */
void engine_unlock(struct engine *e, unsigned int apqn);
/* A request was put on apqn's ring by the daemon: wake its adapter. */
void engine_kick(struct engine *e, unsigned int apqn);

/* RAPQ/ZAPQ from outside (reset, zeroize, unbind, standby): every message
 * is discarded and interruptions are off. */
void engine_reset(struct engine *e, unsigned int apqn);
/* The same for the trap path's RAPQ/ZAPQ, on a binding engine_lock() returned. */
void engine_queue_reset(struct engine *e, struct qring_host *h);

/* apqn's counters as last published (all zero for a queue never used). */
void engine_counters(struct engine *e, unsigned int apqn, struct ap_queue_counters *ret);
/* A write to request_count: zero apqn's. */
void engine_reset_request_count(struct engine *e, unsigned int apqn);

/* ---- injected faults (apemu event fault-*, docs/apemu-cli.md) ---- */

/* The next count instructions on apqn answer response code rc (0: none). */
int engine_fault_rc(struct engine *e, unsigned int apqn, uint8_t rc, uint32_t count);
/* After apqn's next reset, count instructions answer rc 0x02 (reset in progress). */
int engine_fault_reset_pending(struct engine *e, unsigned int apqn, uint32_t count);
/* The trap path: the response code an injected fault gives this
 * instruction on apqn (one of its count is used), or 0. */
uint8_t engine_fault_take(struct engine *e, unsigned int apqn);
/* Each reply of adapter apid waits ms milliseconds after its computation (0: none). */
int engine_fault_delay(struct engine *e, unsigned int apid, uint32_t ms);
/* Is adapter apid computing a request now? */
bool engine_adapter_computing(struct engine *e, unsigned int apid);

/* ---- the auditor ---- */

struct eng_audit {
	bool live;
	uint32_t taken, prod, base;
	bool irq;
};
/* owner_id's binding of apqn, copied under its lock; false when it has none. */
bool engine_audit(struct engine *e, unsigned int apqn, const void *owner_id, struct eng_audit *ret);

#endif
