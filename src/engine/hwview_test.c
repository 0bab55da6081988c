/*
 * hwview tests: what the publication's readers answer is the snapshot the
 * core took (hwsnap.h), after every update; an update names the queues
 * gone only once readers see them gone; and readers racing updates (no
 * lock) see each field either before or after an update, never anything
 * else (TSan: without a data race).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include "bus.h"
#include "hwview.h"

#define APID	 3 /* an accelerator, the one the tests change */
#define OTHER	 6 /* a CCA coprocessor */
#define DOM	 4
#define DOM_GONE 64 /* the usage domain the tests take away */

struct fx {
	struct ap_system sys;
	struct hwview v;
};

static int setup(void **state)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = true, .na = 255, .nd = 255};
	struct ap_adapter_desc acc = {
	    .id = APID, .gen = 8, .mode = AP_MODE_ACCEL, .depth = 2, .max_msg_size = 8192};
	struct ap_adapter_desc cca = {
	    .id = OTHER, .gen = 7, .mode = AP_MODE_CCA, .depth = -1, .max_msg_size = -1};
	struct fx *f = calloc(1, sizeof(*f));
	struct ap_machine hw;

	assert_non_null(f);
	ap_mask_set(&info.usage_domains, DOM);
	ap_mask_set(&info.usage_domains, DOM_GONE);
	assert_int_equal(machine_init(&hw, &info), 0);
	assert_int_equal(machine_add_adapter(&hw, &acc), 0);
	assert_int_equal(machine_add_adapter(&hw, &cca), 0);
	assert_int_equal(ap_system_init(&f->sys, AP_ABI_CUR, &hw, NULL, NULL, -1, 0), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ap_system_clear(&f->sys);
	free(f);
	return 0;
}

/* Update, and return how many queues were named gone. */
static unsigned int update(struct fx *f)
{
	uint64_t lost[HWSNAP_WORDS];

	return hwview_update(&f->v, &f->sys, lost);
}

/* Every answer of the readers is the snapshot's. */
static void assert_published(const struct hwview *v)
{
	const struct hwsnap *snap = &v->now;
	const struct ap_hw_reader *a = &hwview_reader, *b = &hwsnap_reader;

	for (unsigned int apqn = 0; apqn <= AP_APQNS; apqn++) {
		assert_int_equal(hwview_queue_exists(v, apqn), hwsnap_queue_exists(snap, apqn));
		assert_int_equal(a->queue_exists(v, apqn), b->queue_exists(snap, apqn));
	}
	for (unsigned int apid = 0; apid <= AP_DEVICES; apid++) {
		assert_int_equal(hwview_adapter_rc(v, apid), b->adapter_rc(snap, apid));
		assert_int_equal(hwview_max_msg_size(v, apid), b->max_msg_size(snap, apid));
		assert_int_equal(hwview_tapq(v, apid), b->tapq(snap, apid));
		assert_int_equal(a->adapter_rc(v, apid), b->adapter_rc(snap, apid));
		assert_int_equal(a->max_msg_size(v, apid), b->max_msg_size(snap, apid));
		assert_int_equal(a->tapq(v, apid), b->tapq(snap, apid));
		if (apid < AP_DEVICES)
			assert_int_equal(hwview_adapter_mode(v, apid), snap->ad[apid].mode);
	}
	assert_int_equal(a->max_apid(v), snap->max_apid);
	assert_int_equal(a->max_apqi(v), snap->max_apqi);
}

static void test_readers_answer_the_snapshot(void **state)
{
	struct fx *f = *state;

	/* before the first update: nothing exists */
	assert_false(hwview_queue_exists(&f->v, AP_APQN(APID, DOM)));
	assert_int_equal(update(f), 0);
	assert_published(&f->v);
	assert_true(hwview_queue_exists(&f->v, AP_APQN(APID, DOM)));
	assert_int_equal(hwview_adapter_mode(&f->v, OTHER), AP_MODE_CCA);
	assert_int_equal(hwview_max_msg_size(&f->v, APID), 8192);
	assert_int_equal(apbus_store_card_config(&f->sys, APID, "0", 1), 0);
	update(f);
	assert_published(&f->v);
	assert_int_equal(hwview_adapter_rc(&f->v, APID), AP_RC_DECONFIGURED);
	assert_int_equal(apbus_set_usage_domain(&f->sys, DOM_GONE, false), 0);
	update(f);
	assert_published(&f->v);
	assert_false(hwview_queue_exists(&f->v, AP_APQN(OTHER, DOM_GONE)));
	assert_int_equal(apbus_remove_adapter(&f->sys, OTHER), 0);
	update(f);
	assert_published(&f->v);
	assert_int_equal(hwview_adapter_rc(&f->v, OTHER), AP_RC_Q_NOT_AVAIL);
}

/* The queues named gone are those the readers no longer reach, and readers see so. */
static void test_update_names_what_readers_no_longer_reach(void **state)
{
	struct fx *f = *state;
	uint64_t lost[HWSNAP_WORDS];

	assert_int_equal(hwview_update(&f->v, &f->sys, lost), 0); /* the first: none */
	assert_int_equal(hwview_update(&f->v, &f->sys, lost), 0); /* no change */
	assert_int_equal(apbus_set_usage_domain(&f->sys, DOM_GONE, false), 0);
	assert_int_equal(hwview_update(&f->v, &f->sys, lost), 2);
	assert_int_equal(lost[AP_APQN(APID, DOM_GONE) / 64],
			 1ull << (AP_APQN(APID, DOM_GONE) % 64));
	assert_int_equal(lost[AP_APQN(OTHER, DOM_GONE) / 64],
			 1ull << (AP_APQN(OTHER, DOM_GONE) % 64));
	assert_false(hwview_queue_exists(&f->v, AP_APQN(APID, DOM_GONE)));
	/* a deconfigured adapter's queues exist, but no instruction reaches them */
	assert_int_equal(apbus_store_card_config(&f->sys, APID, "0", 1), 0);
	assert_int_equal(hwview_update(&f->v, &f->sys, lost), 1);
	assert_int_equal(lost[AP_APQN(APID, DOM) / 64], 1ull << (AP_APQN(APID, DOM) % 64));
	assert_true(hwview_queue_exists(&f->v, AP_APQN(APID, DOM)));
	assert_int_equal(hwview_adapter_rc(&f->v, APID), AP_RC_DECONFIGURED);
	/* back: nothing is gone */
	assert_int_equal(apbus_store_card_config(&f->sys, APID, "1", 1), 0);
	assert_int_equal(hwview_update(&f->v, &f->sys, lost), 0);
}

/* ---- readers racing the writer ---- */

/* The two states the writer flips between, as readers may see them. */
struct race {
	const struct hwview *v;
	struct hwsnap_adapter ad[2]; /* adapter APID online, in standby */
	unsigned int max_apid;
	bool stop; /* atomic */
};

static bool either(uint64_t x, uint64_t a, uint64_t b)
{
	return x == a || x == b;
}

static void *reader(void *arg)
{
	struct race *r = arg;
	const struct hwsnap_adapter *on = &r->ad[0], *off = &r->ad[1];
	unsigned int apqn = AP_APQN(APID, DOM_GONE);
	bool ok = true;

	while (ok && !__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		ok = either((uint64_t)hwview_adapter_rc(r->v, APID), on->rc, off->rc) &&
		     either(hwview_tapq(r->v, APID), on->tapq, off->tapq) &&
		     either(hwview_max_msg_size(r->v, APID), on->max_msg_size, off->max_msg_size) &&
		     hwview_adapter_mode(r->v, APID) == AP_MODE_ACCEL &&
		     hwview_queue_exists(r->v, AP_APQN(OTHER, DOM)) &&
		     hwview_reader.max_apid(r->v) == r->max_apid;
		(void)hwview_queue_exists(r->v, apqn); /* comes and goes: any answer */
	}
	return ok ? arg : NULL;
}

static void test_readers_racing_updates_see_before_or_after(void **state)
{
	struct fx *f = *state;
	struct race r[2] = {{.v = &f->v}, {.v = &f->v}};
	pthread_t t[2];

	update(f);
	r[0].ad[0] = f->v.now.ad[APID];
	r[0].max_apid = f->v.now.max_apid;
	assert_int_equal(apbus_store_card_config(&f->sys, APID, "0", 1), 0);
	update(f);
	r[0].ad[1] = f->v.now.ad[APID];
	assert_int_not_equal(r[0].ad[0].rc, r[0].ad[1].rc);
	r[1] = r[0];
	for (unsigned int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &r[i]), 0);
	for (unsigned int i = 0; i < 400; i++) {
		assert_int_equal(apbus_store_card_config(&f->sys, APID, i % 2 ? "0" : "1", 1), 0);
		if (i % 20 == 0) /* the topology too: the exists bitmap is republished */
			assert_int_equal(apbus_set_usage_domain(&f->sys, DOM_GONE, i % 40 != 0), 0);
		update(f);
	}
	for (unsigned int i = 0; i < 2; i++) {
		void *ret;

		__atomic_store_n(&r[i].stop, true, __ATOMIC_RELEASE);
		assert_int_equal(pthread_join(t[i], &ret), 0);
		assert_ptr_equal(ret, &r[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_readers_answer_the_snapshot, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_update_names_what_readers_no_longer_reach, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_readers_racing_updates_see_before_or_after, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
