/*
 * qring - an AP queue's ring, both sides (see qring.h and
 * docs/guest-protocol.md, "The data plane").
 *
 * Memory order: a request's slot is written before the release CAS of
 * `req`; the adapter reads it after an acquire load of `req`. A reply is
 * written before the release store of `done`; the guest reads it after an
 * acquire load of `done`. Message bytes are copied with gcopy (gcopy.h:
 * relaxed atomics, as the other side may write them anyway) after that
 * acquire: the other side does not write them until the counters hand the
 * slot back (a guest that does anyway only garbles its own message).
 */
#include "qring.h"

#include <errno.h>
#include <string.h>

#include "gcopy.h"

#define LO(x)	   ((uint32_t)(x))
#define HI(x)	   ((uint32_t)((x) >> 32))
#define WORD(e, n) ((uint64_t)(e) << 32 | (uint32_t)(n))

/* The counters as the guest's view has them. */
struct counts {
	uint64_t req_raw, cons_raw;
	uint32_t req, cons, prod, base;
	bool sane;
};

static void snap(const struct apemu_qring *r, const struct qring_geom *g, struct counts *c)
{
	uint64_t done = __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);

	c->req_raw = __atomic_load_n(&r->req, __ATOMIC_ACQUIRE);
	c->cons_raw = __atomic_load_n(&r->cons, __ATOMIC_ACQUIRE);
	c->req = LO(c->req_raw);
	c->cons = LO(c->cons_raw);
	c->prod = LO(done);
	c->base = HI(done);
	/* a reset discarded what came before base */
	if ((int32_t)(c->cons - c->base) < 0)
		c->cons = c->base;
	c->sane = HI(c->req_raw) == g->epoch && HI(c->cons_raw) == g->epoch &&
		  c->req - c->cons <= g->nslots && c->prod - c->cons <= c->req - c->cons;
}

void qring_geom_of(const struct apemu_qring *r, struct qring_geom *ret)
{
	ret->nslots = __atomic_load_n(&r->nslots, __ATOMIC_RELAXED);
	ret->slot_size = __atomic_load_n(&r->slot_size, __ATOMIC_RELAXED);
	ret->epoch = __atomic_load_n(&r->epoch, __ATOMIC_ACQUIRE);
	if (ret->nslots == 0 || ret->nslots > APEMU_QRING_SLOTS_MAX)
		ret->nslots = 1;
}

struct apemu_qslot *qring_slot(struct apemu_qring *r, const struct qring_geom *g, uint32_t k)
{
	return (struct apemu_qslot *)((uint8_t *)(r + 1) +
				      (size_t)(k % g->nslots) * APEMU_QSLOT_STRIDE(g->slot_size));
}

uint32_t qring_status(const struct apemu_qring *r, const struct qring_geom *g)
{
	struct counts c;
	uint32_t s = 0;

	snap(r, g, &c);
	if (!c.sane)
		return AP_STATUS_F;
	if (c.req == c.cons)
		s |= AP_STATUS_E;
	if (c.prod != c.cons)
		s |= AP_STATUS_R;
	if (c.req - c.cons >= g->nslots)
		s |= AP_STATUS_F;
	return s;
}

int qring_put(struct apemu_qring *r, const struct qring_geom *g, uint64_t psmid, const void *msg,
	      size_t len)
{
	struct apemu_qslot *slot;
	struct counts c;
	uint64_t expect;

	snap(r, g, &c);
	if (!c.sane || c.req - c.cons >= g->nslots)
		return -ENOSPC;
	slot = qring_slot(r, g, c.req);
	__atomic_store_n(&slot->psmid, psmid, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->len, (uint32_t)len, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->taken, 0, __ATOMIC_RELAXED);
	if (len)
		gcopy(slot->data, msg, len);
	expect = c.req_raw;
	if (!__atomic_compare_exchange_n(&r->req, &expect, WORD(g->epoch, c.req + 1), false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return -EAGAIN;
	return 0;
}

long qring_get(struct apemu_qring *r, const struct qring_geom *g, void *buf, size_t buflen,
	       uint64_t *ret_psmid, size_t *ret_residual)
{
	struct apemu_qslot *slot;
	uint32_t len, taken;
	struct counts c;
	uint64_t expect, psmid;
	size_t n;

	snap(r, g, &c);
	if (!c.sane || c.prod == c.cons)
		return -ENOENT;
	slot = qring_slot(r, g, c.cons);
	len = __atomic_load_n(&slot->len, __ATOMIC_RELAXED);
	taken = __atomic_load_n(&slot->taken, __ATOMIC_RELAXED);
	psmid = __atomic_load_n(&slot->psmid, __ATOMIC_RELAXED);
	if (len > g->slot_size)
		len = g->slot_size;
	if (taken > len)
		taken = len;
	n = len - taken < buflen ? len - taken : buflen;
	if (n)
		gcopy(buf, slot->data + taken, n);
	if (taken + n < len) {
		__atomic_store_n(&slot->taken, taken + (uint32_t)n, __ATOMIC_RELAXED);
		*ret_residual = len - taken - n;
		return (long)n;
	}
	expect = c.cons_raw;
	if (!__atomic_compare_exchange_n(&r->cons, &expect, WORD(g->epoch, c.cons + 1), false,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return -EAGAIN;
	*ret_residual = 0;
	*ret_psmid = psmid;
	return (long)n;
}

/* ---- apemud's side ---- */

static void publish_done(struct qring_host *h)
{
	__atomic_store_n(&h->r->done, WORD(h->base, h->prod), __ATOMIC_RELEASE);
}

void qring_host_init(struct qring_host *h, struct apemu_qring *r, unsigned int apqn,
		     unsigned int nslots, unsigned int slot_size, uint32_t max_msg, uint32_t epoch)
{
	*h = (struct qring_host){.r = r, .g = {nslots, slot_size, epoch}};
	/* magic last: a guest sees a whole ring or none */
	__atomic_store_n(&r->magic, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->epoch, epoch, __ATOMIC_RELAXED);
	__atomic_store_n(&r->req, WORD(epoch, 0), __ATOMIC_RELAXED);
	__atomic_store_n(&r->cons, WORD(epoch, 0), __ATOMIC_RELAXED);
	__atomic_store_n(&r->done, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->apqn, (uint16_t)apqn, __ATOMIC_RELAXED);
	__atomic_store_n(&r->nslots, (uint8_t)nslots, __ATOMIC_RELAXED);
	__atomic_store_n(&r->max_msg, max_msg, __ATOMIC_RELAXED);
	__atomic_store_n(&r->slot_size, slot_size, __ATOMIC_RELAXED);
	__atomic_store_n(&r->irq, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->need_wakeup, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->state, APEMU_QRING_LIVE, __ATOMIC_RELAXED);
	__atomic_store_n(&r->magic, APEMU_QRING_MAGIC, __ATOMIC_RELEASE);
}

/*
 * Requests published and not taken that the queue has room for: the
 * adapter never takes request number k before the guest dequeued reply
 * k - nslots, whose slot it needs. 0 when the guest's counters make no
 * sense.
 */
/* Requests published and not taken: 0 when the guest's counter makes no sense. */
static uint32_t published(const struct qring_host *h)
{
	uint64_t req = __atomic_load_n(&h->r->req, __ATOMIC_SEQ_CST);
	uint32_t n = LO(req) - h->taken;

	return HI(req) == h->g.epoch && n <= h->g.nslots ? n : 0;
}

static uint32_t waiting(const struct qring_host *h)
{
	uint64_t cons_raw = __atomic_load_n(&h->r->cons, __ATOMIC_ACQUIRE);
	uint32_t n = published(h), cons = LO(cons_raw), held;

	if (HI(cons_raw) != h->g.epoch || (int32_t)(cons - h->base) < 0)
		cons = h->base;
	held = h->taken - cons; /* requests taken whose replies were not dequeued */
	if (held >= h->g.nslots)
		return 0;
	return n < h->g.nslots - held ? n : h->g.nslots - held;
}

bool qring_host_pending(const struct qring_host *h)
{
	return waiting(h) != 0;
}

uint32_t qring_host_waiting(const struct qring_host *h)
{
	return waiting(h);
}

int qring_host_take(struct qring_host *h, void *buf, size_t cap, uint64_t *ret_psmid,
		    size_t *ret_len, uint64_t *ret_gen)
{
	struct apemu_qslot *slot;
	uint32_t len;

	if (!waiting(h))
		return -ENOENT;
	slot = qring_slot(h->r, &h->g, h->taken);
	*ret_psmid = __atomic_load_n(&slot->psmid, __ATOMIC_RELAXED);
	len = __atomic_load_n(&slot->len, __ATOMIC_RELAXED);
	if (len > h->g.slot_size || len > cap)
		len = 0;
	if (len)
		gcopy(buf, slot->data, len);
	*ret_len = len;
	*ret_gen = h->gen;
	h->taken++;
	return 0;
}

bool qring_host_complete(struct qring_host *h, uint64_t gen, uint64_t psmid, const void *reply,
			 size_t len)
{
	struct apemu_qslot *slot;

	if (gen != h->gen || h->prod == h->taken)
		return false;
	if (len > h->g.slot_size)
		len = h->g.slot_size;
	slot = qring_slot(h->r, &h->g, h->prod);
	__atomic_store_n(&slot->psmid, psmid, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->len, (uint32_t)len, __ATOMIC_RELAXED);
	__atomic_store_n(&slot->taken, 0, __ATOMIC_RELAXED);
	gcopy(slot->data, reply, len);
	h->prod++;
	publish_done(h);
	return true;
}

void qring_host_reset(struct qring_host *h)
{
	/* everything published so far, room for it or not */
	uint32_t base = h->taken + published(h);

	h->base = h->taken = h->prod = base;
	h->gen++;
	qring_host_set_irq(h, false, 0, 0);
	publish_done(h);
}

uint32_t qring_host_status(const struct qring_host *h)
{
	return qring_status(h->r, &h->g) | (h->irq ? AP_STATUS_I : 0);
}

void qring_host_set_irq(struct qring_host *h, bool on, uint8_t isc, uint64_t nib)
{
	h->irq = on;
	h->isc = on ? isc : 0;
	h->nib = on ? nib : 0;
	__atomic_store_n(&h->r->irq, on ? 1u : 0u, __ATOMIC_RELEASE);
}

void qring_host_set_state(struct qring_host *h, uint32_t state)
{
	__atomic_store_n(&h->r->state, state, __ATOMIC_RELEASE);
}

void qring_host_set_need_wakeup(struct qring_host *h, bool on)
{
	__atomic_store_n(&h->r->need_wakeup, on ? 1u : 0u, __ATOMIC_SEQ_CST);
}

void qring_host_counts(const struct qring_host *h, unsigned int *ret_waiting,
		       unsigned int *ret_pending, unsigned int *ret_incomplete)
{
	uint64_t cons_raw = __atomic_load_n(&h->r->cons, __ATOMIC_ACQUIRE);
	uint32_t w = waiting(h), cons = LO(cons_raw), replies;

	if (HI(cons_raw) != h->g.epoch || (int32_t)(cons - h->base) < 0)
		cons = h->base;
	replies = h->prod - cons;
	if (replies > h->g.nslots)
		replies = 0;
	*ret_waiting = w;
	*ret_pending = (h->taken - h->prod) + replies;
	*ret_incomplete = w + (h->taken - h->prod);
}
