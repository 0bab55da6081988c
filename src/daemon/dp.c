/*
 * dp - a guest's queue rings (the data plane, docs/guest-protocol.md):
 * laid out the first time the trap path needs one for a queue of the
 * guest's matrix, in the guest's data-plane area when it has one (with a
 * directory entry, so that its NQAP and DQAP run there without an exit) or
 * else in the daemon's memory, then bound to the engine, which serves it.
 *
 * Everything here runs with the guest's insn_mu held (vmm_int.h). The
 * area is guest memory: the daemon never reads back what it wrote there;
 * its own record of the rings is g->rings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "vmm_int.h"

#define RING_ALIGN 64u

static struct apemu_dp_area *area(struct guest *g)
{
	return (struct apemu_dp_area *)g->dp;
}

static struct gring *find(struct guest *g, unsigned int apqn)
{
	for (size_t i = 0; i < g->nrings; i++)
		if (g->rings[i].apqn == apqn)
			return &g->rings[i];
	return NULL;
}

/* ---- the area: first fit between the rings already there ---- */

static bool overlaps(const struct guest *g, uint32_t off, uint32_t size)
{
	for (size_t i = 0; i < g->nrings; i++) {
		const struct gring *r = &g->rings[i];

		if (r->dir >= 0 && off < r->off + r->size && r->off < off + size)
			return true;
	}
	return false;
}

/* A place for size bytes in the area, or 0. */
static uint32_t area_alloc(const struct guest *g, uint32_t size)
{
	uint32_t off = APEMU_DP_RINGS_OFF;

	while (off <= g->dp_size && size <= g->dp_size - off) {
		uint32_t next = 0;

		if (!overlaps(g, off, size))
			return off;
		/* move past the lowest ring that ends after off */
		for (size_t i = 0; i < g->nrings; i++) {
			const struct gring *r = &g->rings[i];
			uint32_t end = r->off + r->size;

			if (r->dir >= 0 && end > off && (!next || end < next))
				next = end;
		}
		if (!next)
			return 0;
		off = (next + RING_ALIGN - 1) & ~(RING_ALIGN - 1);
	}
	return 0;
}

/* Write directory entry i (seqlock: dir_gen odd while it changes). */
static void dir_set(struct guest *g, int i, unsigned int apqn, uint32_t off, int dnent)
{
	struct apemu_dp_area *a = area(g);
	uint32_t gen = __atomic_load_n(&a->dir_gen, __ATOMIC_RELAXED) | 1u;

	/* release stores: a reader that sees one of them sees the odd count too */
	__atomic_store_n(&a->dir_gen, gen, __ATOMIC_RELAXED);
	__atomic_store_n(&a->dir[i].apqn, (uint16_t)apqn, __ATOMIC_RELEASE);
	__atomic_store_n(&a->dir[i].offset, off, __ATOMIC_RELEASE);
	__atomic_store_n(&a->nent, g->dp_nent += dnent, __ATOMIC_RELEASE);
	__atomic_store_n(&a->dir_gen, gen + 1, __ATOMIC_RELEASE);
}

static int dir_free_entry(const struct guest *g)
{
	bool used[APEMU_DP_DIR_MAX] = {false};

	for (size_t i = 0; i < g->nrings; i++)
		if (g->rings[i].dir >= 0)
			used[g->rings[i].dir] = true;
	for (int i = 0; i < APEMU_DP_DIR_MAX; i++)
		if (!used[i])
			return i;
	return -1;
}

/* Give a ring's memory back; the engine no longer has it. */
static void release(struct guest *g, struct gring *r)
{
	if (r->dir >= 0)
		dir_set(g, r->dir, 0, 0, -1);
	free(r->priv);
	*r = g->rings[--g->nrings];
}

/* ---- laying a ring out ---- */

static int lay_out(struct guest *g, unsigned int apqn, struct qring_host *h)
{
	const struct hwview *v = &g->gs->d->view;
	unsigned int apid = AP_APQN_APID(apqn);
	unsigned int nslots = (unsigned int)(hwview_tapq(v, apid) & 0xf) + 1;
	uint32_t max = hwview_max_msg_size(v, apid);
	uint32_t size = (uint32_t)APEMU_QRING_BYTES(nslots, max);
	struct gring r = {.apqn = (uint16_t)apqn, .dir = -1, .size = size};
	struct apemu_qring *ring;

	if (g->nrings == g->rings_cap) {
		size_t cap = g->rings_cap ? 2 * g->rings_cap : 8;
		struct gring *p = realloc(g->rings, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		g->rings = p;
		g->rings_cap = cap;
	}
	if (g->dp && (r.dir = dir_free_entry(g)) >= 0 && !(r.off = area_alloc(g, size)))
		r.dir = -1;
	if (r.dir >= 0) {
		ring = (struct apemu_qring *)(g->dp + r.off);
	} else {
		/* no area, or no room left in it: the guest reaches it through the trap path */
		r.priv = aligned_alloc(RING_ALIGN, (size + RING_ALIGN - 1) & ~(RING_ALIGN - 1));
		if (!r.priv)
			return -ENOMEM;
		ring = r.priv;
	}
	qring_host_init(h, ring, apqn, nslots, max, max, ++g->epoch);
	g->rings[g->nrings++] = r;
	return 0;
}

struct qring_host *dp_queue(struct guest *g, unsigned int apqn, bool create)
{
	struct engine *e = g->gs->engine;
	struct qring_host *h = engine_lock(e, apqn, g), fresh;
	struct eng_owner owner = {.id = g,
				  .mem = g->mem,
				  .mem_size = g->mem_size,
				  .irq_fd = g->irq_fd,
				  .doorbell_fd = g->data_fd};
	struct gring *old;
	int r;

	if (h)
		return h;
	/* a ring the engine gave to another guest meanwhile is ours no more */
	old = find(g, apqn);
	if (old)
		release(g, old);
	if (!create)
		return NULL;
	r = lay_out(g, apqn, &fresh);
	if (r == 0 && (r = engine_bind(e, apqn, &fresh, &owner)) < 0)
		release(g, find(g, apqn));
	if (r < 0) {
		dlog_daemon(AP_LOG_WARNING, "guest %llu: no ring for %02x.%04x: %s",
			    (unsigned long long)g->id, AP_APQN_APID(apqn), AP_APQN_APQI(apqn),
			    strerror(-r));
		return NULL;
	}
	old = find(g, apqn);
	if (old && old->dir >= 0)
		dir_set(g, old->dir, apqn, old->off, +1);
	return engine_lock(e, apqn, g);
}

void dp_refresh(struct guest *g)
{
	struct ap_mask apm, aqm, adm;

	crycb_get_masks(&g->crycb, g->crycbd & CRYCB_FORMAT_MASK, &apm, &aqm, &adm);
	for (size_t i = 0; i < g->nrings; i++) {
		unsigned int apqn = g->rings[i].apqn;
		bool in = ap_mask_test(&apm, AP_APQN_APID(apqn)) &&
			  ap_mask_test(&aqm, AP_APQN_APQI(apqn));

		engine_set_state(g->gs->engine, apqn, g,
				 in ? APEMU_QRING_LIVE : APEMU_QRING_REVOKED);
	}
}

void dp_forget(struct guest *g, unsigned int apqn)
{
	struct gring *r = find(g, apqn);

	/* the trap path may have laid out a new one since the engine let go */
	if (r && engine_lock(g->gs->engine, apqn, g)) {
		engine_unlock(g->gs->engine, apqn);
		return;
	}
	if (r)
		release(g, r);
}

void dp_free(struct guest *g)
{
	for (size_t i = 0; i < g->nrings; i++)
		free(g->rings[i].priv);
	free(g->rings);
	g->rings = NULL;
	g->nrings = g->rings_cap = 0;
}
