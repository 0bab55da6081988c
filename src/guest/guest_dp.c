/*
 * guest_dp - the guest's side of the data plane: NQAP and DQAP on the queue
 * rings apemud laid out in the data-plane area, the way a CPU with AP
 * interpretation executes them, with no exit (docs/guest-protocol.md).
 * The rules are qring.c's, shared with apemud's adapters; this file finds
 * the ring, says whether it may answer, and wakes a sleeping adapter.
 */
#include <errno.h>
#include <unistd.h>

#include "guest_int.h"
#include "qring.h"

#define RC_Q_FULL     0x10u /* NQAP: queue full; DQAP: no reply pending */
#define STATUS_RC(rc) ((uint32_t)(rc) << 16)
#define DIR_RETRIES   8

static bool ring_is(struct apemu_guest *g, struct apemu_qring *r, uint16_t apqn)
{
	return (uint8_t *)r >= (uint8_t *)g->dp &&
	       (uint8_t *)r + sizeof(*r) <= (uint8_t *)g->dp + g->dp_size &&
	       __atomic_load_n(&r->magic, __ATOMIC_ACQUIRE) == APEMU_QRING_MAGIC &&
	       __atomic_load_n(&r->apqn, __ATOMIC_RELAXED) == apqn;
}

/* apqn's ring from the directory (apemud rewrites it under a sequence count). */
static struct apemu_qring *lookup(struct apemu_guest *g, uint16_t apqn)
{
	struct apemu_dp_area *a = g->dp;

	for (int tries = 0; tries < DIR_RETRIES; tries++) {
		uint32_t gen = __atomic_load_n(&a->dir_gen, __ATOMIC_ACQUIRE), off = 0;

		if (gen & 1)
			continue;
		/* acquire loads: the count read again below cannot come before them */
		for (unsigned int i = 0; i < APEMU_DP_DIR_MAX && !off; i++)
			if (__atomic_load_n(&a->dir[i].apqn, __ATOMIC_ACQUIRE) == apqn)
				off = __atomic_load_n(&a->dir[i].offset, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&a->dir_gen, __ATOMIC_RELAXED) != gen)
			continue;
		if (!off || off >= g->dp_size)
			return NULL;
		return (struct apemu_qring *)((uint8_t *)a + off);
	}
	return NULL;
}

/* A live ring of apqn the guest itself may use, or NULL (trap). */
static struct apemu_qring *live_ring(struct apemu_guest *g, uint16_t apqn)
{
	struct apemu_qring *r = g->last_ring;

	if (!g->dp || g->nested || g->problem_state)
		return NULL;
	if (!r || g->last_apqn != apqn || !ring_is(g, r, apqn)) {
		r = lookup(g, apqn);
		if (!r || !ring_is(g, r, apqn))
			return NULL;
		g->last_ring = r;
		g->last_apqn = apqn;
	}
	if (__atomic_load_n(&r->state, __ATOMIC_ACQUIRE) != APEMU_QRING_LIVE)
		return NULL;
	return r;
}

static uint32_t status_of(struct apemu_qring *r, const struct qring_geom *geo)
{
	return qring_status(r, geo) |
	       (__atomic_load_n(&r->irq, __ATOMIC_RELAXED) ? AP_STATUS_I : 0);
}

static void answer(struct apemu_ap_result *ret, uint32_t status)
{
	ret->pgm = ret->validity = 0;
	ret->cc = (status & STATUS_RC(0xff)) ? 3 : 0;
	ret->status = status;
}

int guest_dp_nqap(struct apemu_guest *g, uint16_t apqn, uint64_t psmid, const void *msg, size_t len,
		  struct apemu_ap_result *ret)
{
	struct apemu_qring *r = live_ring(g, apqn);
	struct qring_geom geo;
	int rc;

	if (!r)
		return 0;
	qring_geom_of(r, &geo);
	if (len == 0 || len > __atomic_load_n(&r->max_msg, __ATOMIC_RELAXED) || len > geo.slot_size)
		return 0;
	rc = qring_put(r, &geo, psmid, msg, len);
	if (rc == -EAGAIN)
		return 0;
	if (rc == -ENOSPC) {
		answer(ret, status_of(r, &geo) | STATUS_RC(RC_Q_FULL));
		return 1;
	}
	/* sequentially consistent after the publishing CAS: pairs with the
	 * worker's store of need_wakeup and its look at req */
	if (__atomic_load_n(&r->need_wakeup, __ATOMIC_SEQ_CST) && g->datafd >= 0) {
		static const uint64_t one = 1;

		if (write(g->datafd, &one, sizeof(one)) < 0) {
			/* a full counter: the adapter has a wake-up pending already */
		}
	}
	answer(ret, status_of(r, &geo));
	return 1;
}

int guest_dp_dqap(struct apemu_guest *g, uint16_t apqn, uint64_t *ret_psmid, void *buf, size_t len,
		  size_t *ret_len, size_t *ret_residual, struct apemu_ap_result *ret)
{
	struct apemu_qring *r = live_ring(g, apqn);
	struct qring_geom geo;
	uint64_t psmid = 0;
	size_t residual = 0;
	long n;

	/* a zero length is a specification exception: the machine says so */
	if (!r || len == 0)
		return 0;
	qring_geom_of(r, &geo);
	n = qring_get(r, &geo, buf, len, &psmid, &residual);
	if (n == -EAGAIN)
		return 0;
	if (n < 0) {
		answer(ret, status_of(r, &geo) | STATUS_RC(RC_Q_FULL));
		return 1;
	}
	answer(ret, status_of(r, &geo));
	if (ret_len)
		*ret_len = (size_t)n;
	if (ret_residual)
		*ret_residual = residual;
	if (ret_psmid && residual == 0)
		*ret_psmid = psmid;
	return 1;
}
