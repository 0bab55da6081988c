/* core_fixture - the bus and matrix tests' shared fixture (core_fixture.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_fixture.h"
#include "uevent.h"

/* ---- recording ops ---- */

static void rec_log(void *ctx, enum ap_log_level level, const char *dev, const char *msg)
{
	struct rec *r = ctx;

	(void)level;
	if (r->nlog < FX_NLOG) {
		snprintf(r->log[r->nlog], sizeof(r->log[0]), "%s", msg);
		snprintf(r->logdev[r->nlog], sizeof(r->logdev[0]), "%s", dev ? dev : "");
	}
	r->nlog++;
}

static void rec_reset(void *ctx, unsigned int apqn, bool zeroize)
{
	struct rec *r = ctx;

	if (r->nreset < FX_NREC) {
		r->reset_apqn[r->nreset] = apqn;
		r->reset_zeroize[r->nreset] = zeroize;
	}
	r->nreset++;
}

static void rec_update(void *ctx, struct ap_mdev *m)
{
	struct rec *r = ctx;

	if (r->nupdate < FX_NLOG) {
		r->upd_mdev[r->nupdate] = m;
		r->upd_apm[r->nupdate] = m->shadow_apm;
		r->upd_aqm[r->nupdate] = m->shadow_aqm;
		r->upd_adm[r->nupdate] = m->shadow_adm;
	}
	r->nupdate++;
}

static void rec_uevent(void *ctx, const struct ap_uevent *ev)
{
	struct rec *r = ctx;

	if (r->nuevent < FX_NLOG) {
		snprintf(r->uev_dev[r->nuevent], sizeof(r->uev_dev[0]), "%s",
			 strrchr(ev->devpath, '/') + 1);
		snprintf(r->uev_var[r->nuevent], sizeof(r->uev_var[0]), "%s", ev->var[3]);
	}
	r->nuevent++;
}

struct rec *rec_of(struct ap_system *s)
{
	return s->ops_ctx;
}

void rec_clear(struct ap_system *s)
{
	memset(s->ops_ctx, 0, sizeof(struct rec));
}

bool rec_has_log(struct ap_system *s, const char *dev, const char *msg)
{
	struct rec *r = rec_of(s);

	for (unsigned int i = 0; i < r->nlog && i < FX_NLOG; i++)
		if (!strcmp(r->log[i], msg) && !strcmp(r->logdev[i], dev))
			return true;
	return false;
}

/* ---- machines and systems ---- */

void hw_init(struct ap_machine *hw, bool apxa, unsigned int na, unsigned int nd)
{
	struct ap_machine_info info = {
	    .qci = true,
	    .apft = true,
	    .aqic = true,
	    .apxa = apxa,
	    .na = (uint8_t)na,
	    .nd = (uint8_t)nd,
	};

	assert_int_equal(machine_init(hw, &info), 0);
}

void hw_adapter(struct ap_machine *hw, unsigned int id, unsigned int gen, enum ap_mode mode)
{
	struct ap_adapter_desc d = {
	    .id = id,
	    .gen = gen,
	    .mode = mode,
	    .depth = -1,
	    .max_msg_size = -1,
	};

	assert_int_equal(machine_add_adapter(hw, &d), 0);
}

void hw_domain(struct ap_machine *hw, unsigned int d)
{
	ap_mask_set(&hw->info.usage_domains, d);
	ap_mask_set(&hw->info.control_domains, d);
}

void doc_hw(struct ap_machine *hw)
{
	hw_init(hw, true, 255, 255);
	hw_adapter(hw, 5, 5, AP_MODE_CCA);
	hw_adapter(hw, 6, 5, AP_MODE_ACCEL);
	hw_domain(hw, 4);
	hw_domain(hw, 0x47);
	hw_domain(hw, 0xab);
	hw_domain(hw, 0xff);
}

struct ap_system *sys_new(enum ap_abi abi, const struct ap_machine *hw, const char *apmask,
			  const char *aqmask, uint32_t max_instances)
{
	static const struct ap_sys_ops ops = {
	    .log = rec_log,
	    .queue_reset = rec_reset,
	    .guest_update = rec_update,
	    .uevent = rec_uevent,
	};
	struct ap_system *s = calloc(1, sizeof(*s));
	struct ap_mask am, qm;

	assert_non_null(s);
	if (apmask)
		assert_int_equal(ap_mask_parse_abs(apmask, strlen(apmask), &am), 0);
	if (aqmask)
		assert_int_equal(ap_mask_parse_abs(aqmask, strlen(aqmask), &qm), 0);
	assert_int_equal(
	    ap_system_init(s, abi, hw, apmask ? &am : NULL, aqmask ? &qm : NULL, -1, max_instances),
	    0);
	s->ops = ops;
	s->ops_ctx = calloc(1, sizeof(struct rec));
	assert_non_null(s->ops_ctx);
	return s;
}

void sys_free(struct ap_system *s)
{
	free(s->ops_ctx);
	ap_system_clear(s);
	free(s);
}

struct ap_mdev *mdev_new(struct ap_system *s, const char *uuid)
{
	struct ap_mdev *m = NULL;

	assert_int_equal(matrix_create(s, uuid, strlen(uuid), &m), 0);
	assert_non_null(m);
	return m;
}

const char *show_matrix(const struct ap_mdev *m, char *buf)
{
	matrix_show_matrix(m, buf, FX_PAGE);
	return buf;
}

const char *show_guest(const struct ap_mdev *m, char *buf)
{
	matrix_show_guest_matrix(m, buf, FX_PAGE);
	return buf;
}

const char *show_cdoms(const struct ap_mdev *m, char *buf)
{
	matrix_show_control_domains(m, buf, FX_PAGE);
	return buf;
}

/* ---- "a failed store changes nothing" ---- */

struct snap {
	struct ap_bus bus;
	struct ap_machine hw;
	uint32_t count, nslots, available;
	struct ap_mdev mdev[FX_SNAP_MDEVS];
	bool live[FX_SNAP_MDEVS];
	char text[FX_SNAP_MDEVS][FX_PAGE];
	unsigned int nuevent, nupdate, nreset;
};

struct snap *snap_take(struct ap_system *s)
{
	struct snap *p = malloc(sizeof(*p));

	assert_non_null(p);
	memcpy(&p->bus, &s->bus, sizeof(p->bus));
	memcpy(&p->hw, &s->hw, sizeof(p->hw));
	p->count = s->matrix.count;
	p->nslots = s->matrix.nslots;
	p->available = matrix_available(s);
	assert_true(p->nslots <= FX_SNAP_MDEVS);
	for (uint32_t i = 0; i < p->nslots; i++) {
		const struct ap_mdev *m = matrix_slot(s, i);

		p->live[i] = m != NULL;
		if (m) {
			p->mdev[i] = *m;
			show_matrix(m, p->text[i]);
		}
	}
	p->nuevent = rec_of(s)->nuevent;
	p->nupdate = rec_of(s)->nupdate;
	p->nreset = rec_of(s)->nreset;
	return p;
}

/*
 * cmocka's assert_memory_equal() compares byte by byte to report where two
 * blocks differ; memcmp() first, as the bus alone is hundreds of kilobytes.
 */
static void assert_same(const void *a, const void *b, size_t n)
{
	if (memcmp(a, b, n))
		assert_memory_equal(a, b, n);
}

void assert_unchanged(struct ap_system *s, struct snap *p)
{
	char text[FX_PAGE];

	assert_same(&s->bus.apmask, &p->bus.apmask, sizeof(struct ap_mask));
	assert_same(&s->bus.aqmask, &p->bus.aqmask, sizeof(struct ap_mask));
	for (unsigned int q = 0; q < AP_APQNS; q++) {
		const struct ap_queue_dev *a = &p->bus.queue[q], *b = &s->bus.queue[q];

		if (a->driver != b->driver || a->owner != b->owner)
			fail_msg("queue %02x.%04x changed: driver %u -> %u, owner %u -> %u",
				 AP_APQN_APID(q), AP_APQN_APQI(q), a->driver, b->driver, a->owner,
				 b->owner);
	}
	assert_same(&s->bus, &p->bus, sizeof(p->bus));
	assert_same(&s->hw, &p->hw, sizeof(p->hw));
	assert_int_equal(s->matrix.count, p->count);
	assert_int_equal(s->matrix.nslots, p->nslots);
	assert_int_equal(matrix_available(s), p->available);
	for (uint32_t i = 0; i < p->nslots; i++) {
		const struct ap_mdev *m = matrix_slot(s, i);

		assert_int_equal(m != NULL, p->live[i]);
		if (!m)
			continue;
		assert_string_equal(show_matrix(m, text), p->text[i]);
		assert_same(m, &p->mdev[i], sizeof(*m));
	}
	assert_int_equal(rec_of(s)->nuevent, p->nuevent);
	assert_int_equal(rec_of(s)->nupdate, p->nupdate);
	assert_int_equal(rec_of(s)->nreset, p->nreset);
	free(p);
}
