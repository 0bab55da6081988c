/*
 * vmm_audit - every promise of the system checked against the live daemon
 * (`apemu status --check`, the control socket's `check`; after every
 * configuration change in builds configured with -Daudit=true):
 * - the matrix's own invariants (src/core/audit.h);
 * - every attached guest's CRYCB holds exactly its mdev's guest matrix
 *   (none while a removal is requested), a guest without an attached mdev
 *   has no masks;
 * - a guest's queue ring is live exactly while the queue is in its CRYCB,
 *   and only for a queue the machine has; an adapter computes at most one
 *   request of a queue at a time; every ring of a guest without an
 *   attached mdev was zeroized (nothing taken that was not discarded or
 *   answered, interruptions off).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "vmm_int.h"
#include "matrix.h"

#define TEXT_MAX 256

struct sink {
	ap_audit_fn report;
	void *ctx;
	int n;
};

static void say(struct sink *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct sink *k, const char *fmt, ...)
{
	char text[TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	k->report(k->ctx, text);
	k->n++;
}

/* The guest's masks as its CRYCB format holds them. */
static void masks_of(const struct guest *g, struct ap_mask *apm, struct ap_mask *aqm,
		     struct ap_mask *adm)
{
	crycb_get_masks(&g->crycb, g->crycbd & CRYCB_FORMAT_MASK, apm, aqm, adm);
}

/* What the CRYCB must hold for mdev m (cut to the format's width, as KVM writes it). */
static void expected_masks(const struct guest *g, const struct ap_mdev *m, struct ap_mask *apm,
			   struct ap_mask *aqm, struct ap_mask *adm)
{
	struct crycb c = g->crycb;

	if (m->remove_requested)
		crycb_clear_masks(&c);
	else
		crycb_set_masks(&c, g->crycbd & CRYCB_FORMAT_MASK, &m->shadow_apm, &m->shadow_aqm,
				&m->shadow_adm);
	crycb_get_masks(&c, g->crycbd & CRYCB_FORMAT_MASK, apm, aqm, adm);
}

static void audit_crycbs(struct apemud *d, struct sink *k)
{
	const struct ap_system *s = d->sys;
	struct ap_mask apm, aqm, adm, eapm, eaqm, eadm;
	char u[AP_UUID_STR_LEN + 1];

	for (uint32_t slot = 0; slot < s->matrix.nslots; slot++) {
		const struct ap_mdev *m = matrix_slot(s, slot);
		struct guest *g;

		if (!m || !m->guest)
			continue;
		ap_uuid_format(m->uuid, u);
		g = vmm_find_guest(d->guests, m->guest);
		if (!g) {
			say(k, "mdev %s: attached to guest %llu, which does not exist", u,
			    (unsigned long long)m->guest);
			continue;
		}
		masks_of(g, &apm, &aqm, &adm);
		expected_masks(g, m, &eapm, &eaqm, &eadm);
		if (!ap_mask_equal(&apm, &eapm) || !ap_mask_equal(&aqm, &eaqm) ||
		    !ap_mask_equal(&adm, &eadm))
			say(k, "guest %llu: its CRYCB masks differ from mdev %s's guest matrix",
			    (unsigned long long)g->id, u);
	}
	for (struct guest *g = d->guests->list; g; g = g->next) {
		if (g->attached)
			continue;
		masks_of(g, &apm, &aqm, &adm);
		if (!ap_mask_empty(&apm) || !ap_mask_empty(&aqm) || !ap_mask_empty(&adm))
			say(k, "guest %llu: no mdev attached, but masks in its CRYCB",
			    (unsigned long long)g->id);
	}
}

static void audit_rings(struct apemud *d, struct guest *g, struct sink *k)
{
	struct ap_mask apm, aqm, adm;

	masks_of(g, &apm, &aqm, &adm);
	for (size_t i = 0; i < g->nrings; i++) {
		unsigned int apqn = g->rings[i].apqn, a = AP_APQN_APID(apqn),
			     q = AP_APQN_APQI(apqn);
		bool in = ap_mask_test(&apm, a) && ap_mask_test(&aqm, q);
		struct eng_audit x;

		/* a ring the engine gave to another guest is given back lazily */
		if (!engine_audit(d->guests->engine, apqn, g, &x))
			continue;
		if (x.live != in)
			say(k, "guest %llu: the ring of %02x.%04x is %s, the queue %s its CRYCB",
			    (unsigned long long)g->id, a, q, x.live ? "live" : "revoked",
			    in ? "in" : "not in");
		if (!hwview_queue_exists(&d->view, apqn) ||
		    hwview_adapter_rc(&d->view, a) != AP_RC_NORMAL)
			say(k, "guest %llu: a ring for %02x.%04x, which no instruction can reach",
			    (unsigned long long)g->id, a, q);
		if (x.taken - x.prod > 1 || x.prod - x.base > x.taken - x.base)
			say(k, "guest %llu: %02x.%04x: %u taken, %u answered since %u",
			    (unsigned long long)g->id, a, q, x.taken, x.prod, x.base);
		if (!g->attached && (x.taken != x.base || x.prod != x.base || x.irq))
			say(k, "guest %llu: %02x.%04x not zeroized after the release",
			    (unsigned long long)g->id, a, q);
	}
}

int vmm_audit(struct apemud *d, ap_audit_fn report, void *ctx)
{
	struct sink k = {.report = report, .ctx = ctx};
	int r = ap_audit_matrix(d->sys, report, ctx);

	if (r < 0)
		return r;
	k.n = r;
	if (!d->guests)
		return k.n;
	audit_crycbs(d, &k);
	for (struct guest *g = d->guests->list; g; g = g->next) {
		pthread_mutex_lock(&g->insn_mu);
		audit_rings(d, g, &k);
		pthread_mutex_unlock(&g->insn_mu);
	}
	return k.n;
}
