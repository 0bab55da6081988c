/*
 * audit - the matrix's invariants, checked from scratch (see audit.h):
 * nothing here trusts the owner index it checks.
 */
#include "audit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "matrix.h"
#include "parse.h"

#define TEXT_MAX 256

static void say(ap_audit_fn report, void *ctx, int *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void say(ap_audit_fn report, void *ctx, int *n, const char *fmt, ...)
{
	char text[TEXT_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	report(ctx, text);
	(*n)++;
}

static void uuid_of(const struct ap_mdev *m, char out[AP_UUID_STR_LEN + 1])
{
	ap_uuid_format(m->uuid, out);
}

/* The first mdev before slot `before` whose matrix holds apqn (for a message). */
static const struct ap_mdev *first_holder(const struct ap_system *s, uint32_t before,
					  unsigned int apqn)
{
	for (uint32_t slot = 0; slot < before; slot++) {
		const struct ap_mdev *m = matrix_slot(s, slot);

		if (m && ap_mask_test(&m->apm, AP_APQN_APID(apqn)) &&
		    ap_mask_test(&m->aqm, AP_APQN_APQI(apqn)))
			return m;
	}
	return NULL;
}

/*
 * No APQN in two mdevs; the owner index agrees. A bitmap on the stack
 * marks what was seen: the auditor runs after every configuration change
 * and allocates nothing.
 */
static void audit_owners(const struct ap_system *s, ap_audit_fn report, void *ctx, int *n)
{
	char u1[AP_UUID_STR_LEN + 1], u2[AP_UUID_STR_LEN + 1];
	uint64_t seen[AP_APQNS / 64] = {0};
	int a, d;

	for (uint32_t slot = 0; slot < s->matrix.nslots; slot++) {
		const struct ap_mdev *m = matrix_slot(s, slot);

		if (!m)
			continue;
		ap_mask_for_each (a, &m->apm) {
			ap_mask_for_each (d, &m->aqm) {
				unsigned int apqn = AP_APQN(a, d);
				uint32_t owner = s->bus.queue[apqn].owner;

				if (seen[apqn / 64] & (1ull << (apqn % 64))) {
					uuid_of(first_holder(s, slot, apqn), u1);
					uuid_of(m, u2);
					say(report, ctx, n, "APQN %02x.%04x is in mdevs %s and %s",
					    a, d, u1, u2);
					continue;
				}
				seen[apqn / 64] |= 1ull << (apqn % 64);
				if (owner != slot + 1)
					say(report, ctx, n,
					    "APQN %02x.%04x: the owner index says slot %d, the "
					    "matrices "
					    "%d",
					    a, d, (int)owner - 1, (int)slot);
			}
		}
	}
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++)
		if (!(seen[apqn / 64] & (1ull << (apqn % 64))) && s->bus.queue[apqn].owner)
			say(report, ctx, n,
			    "APQN %02x.%04x: the owner index says slot %d, the matrices none",
			    AP_APQN_APID(apqn), AP_APQN_APQI(apqn),
			    (int)s->bus.queue[apqn].owner - 1);
}

/* cur: the guest matrix lies in the matrix and the host, every queue of it bound to vfio_ap. */
static void audit_guest_matrix(const struct ap_system *s, const struct ap_mdev *m,
			       ap_audit_fn report, void *ctx, int *n)
{
	char u[AP_UUID_STR_LEN + 1];
	struct ap_mask host_apm;
	int a, d;

	uuid_of(m, u);
	machine_adapter_mask(&s->hw, &host_apm);
	if (!ap_mask_subset(&m->shadow_apm, &m->apm) || !ap_mask_subset(&m->shadow_apm, &host_apm))
		say(report, ctx, n, "mdev %s: guest adapters outside its matrix or the host", u);
	if (!ap_mask_subset(&m->shadow_aqm, &m->aqm) ||
	    !ap_mask_subset(&m->shadow_aqm, &s->hw.info.usage_domains))
		say(report, ctx, n, "mdev %s: guest domains outside its matrix or the host", u);
	if (!ap_mask_subset(&m->shadow_adm, &m->adm))
		say(report, ctx, n, "mdev %s: guest control domains outside its assigned ones", u);
	ap_mask_for_each (a, &m->shadow_apm) {
		ap_mask_for_each (d, &m->shadow_aqm) {
			if (s->bus.queue[AP_APQN(a, d)].driver != AP_DRV_VFIO_AP)
				say(report, ctx, n,
				    "mdev %s: APQN %02x.%04x in its guest matrix is not bound to "
				    "vfio_ap",
				    u, a, d);
		}
	}
}

int ap_audit_matrix(const struct ap_system *s, ap_audit_fn report, void *ctx)
{
	int n = 0;

	audit_owners(s, report, ctx, &n);
	for (uint32_t slot = 0; s->abi == AP_ABI_CUR && slot < s->matrix.nslots; slot++)
		if (matrix_slot(s, slot))
			audit_guest_matrix(s, matrix_slot(s, slot), report, ctx, &n);
	return n;
}
