/*
 * hwsnap tests: the snapshot, read directly or through the instruction
 * environment's reader, answers every question the way the system does,
 * after building and after each kind of hardware change; and
 * hwsnap_lost() names exactly the queues instructions could reach and no
 * longer can.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bus.h"
#include "hwsnap.h"
#include "insn.h"

static struct ap_system *host_new(void)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = true, .na = 255, .nd = 84};
	struct ap_adapter_desc a3 = {
	    .id = 3, .gen = 7, .mode = AP_MODE_ACCEL, .depth = 3, .max_msg_size = 8192};
	struct ap_adapter_desc a5 = {
	    .id = 5, .gen = 6, .mode = AP_MODE_CCA, .depth = -1, .max_msg_size = -1};
	struct ap_adapter_desc a200 = {
	    .id = 200, .gen = 8, .mode = AP_MODE_EP11, .depth = 1, .max_msg_size = 61440};
	struct ap_system *s = calloc(1, sizeof(*s));
	struct ap_machine hw;

	assert_non_null(s);
	ap_mask_set(&info.usage_domains, 4);
	ap_mask_set(&info.usage_domains, 63);
	ap_mask_set(&info.usage_domains, 64);
	ap_mask_set(&info.usage_domains, 84);
	assert_int_equal(machine_init(&hw, &info), 0);
	assert_int_equal(machine_add_adapter(&hw, &a3), 0);
	assert_int_equal(machine_add_adapter(&hw, &a5), 0);
	assert_int_equal(machine_add_adapter(&hw, &a200), 0);
	assert_int_equal(ap_system_init(s, AP_ABI_CUR, &hw, NULL, NULL, -1, 0), 0);
	return s;
}

/* Compare every answer of the snapshot (and of its reader) with the system's. */
static void assert_snap_matches(const struct hwsnap *v, const struct ap_system *s)
{
	const struct ap_hw_reader *rd = &hwsnap_reader;

	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++) {
		bool e = apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn));

		assert_int_equal(hwsnap_queue_exists(v, apqn), e);
		assert_int_equal(rd->queue_exists(v, apqn), e);
	}
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++) {
		const struct ap_adapter *a = &s->hw.adapter[apid];

		assert_int_equal(v->ad[apid].rc, machine_queue_rc(a));
		assert_int_equal(rd->adapter_rc(v, apid), machine_queue_rc(a));
		assert_int_equal(v->ad[apid].tapq, ap_tapq_info(s, apid));
		assert_int_equal(rd->tapq(v, apid), ap_tapq_info(s, apid));
		if (a->present) {
			assert_int_equal(v->ad[apid].mode, a->mode);
			assert_int_equal(rd->max_msg_size(v, apid), a->max_msg_size);
		} else {
			assert_int_equal(rd->max_msg_size(v, apid), 0);
		}
	}
	assert_int_equal(rd->max_apid(v), machine_max_apid(&s->hw));
	assert_int_equal(rd->max_apqi(v), machine_max_apqi(&s->hw));
	/* out of range: as absent */
	assert_false(hwsnap_queue_exists(v, AP_APQNS));
	assert_int_equal(rd->adapter_rc(v, AP_DEVICES), AP_RC_Q_NOT_AVAIL);
	assert_int_equal(rd->max_msg_size(v, AP_DEVICES), 0);
	assert_int_equal(rd->tapq(v, AP_DEVICES), 0);
}

static void test_snapshot_of_a_new_system(void **state)
{
	struct ap_system *s = host_new();
	struct hwsnap *v = calloc(1, sizeof(*v));

	(void)state;
	assert_non_null(v);
	hwsnap_update(v, s);
	assert_snap_matches(v, s);
	assert_true(hwsnap_queue_exists(v, AP_APQN(3, 4)));
	assert_true(hwsnap_queue_exists(v, AP_APQN(200, 84)));
	assert_false(hwsnap_queue_exists(v, AP_APQN(3, 5)));
	assert_false(hwsnap_queue_exists(v, AP_APQN(4, 4)));
	assert_int_equal(v->ad[4].rc, AP_RC_Q_NOT_AVAIL);
	assert_int_equal(v->ad[5].mode, AP_MODE_CCA);
	ap_system_clear(s);
	free(s);
	free(v);
}

static void test_snapshot_follows_hardware_changes(void **state)
{
	struct ap_system *s = host_new();
	struct hwsnap *v = calloc(1, sizeof(*v));
	struct ap_adapter_desc a9 = {
	    .id = 9, .gen = 8, .mode = AP_MODE_EP11, .depth = 2, .max_msg_size = 4096};

	(void)state;
	assert_non_null(v);
	hwsnap_update(v, s);
	/* standby, then check-stop, then back */
	assert_int_equal(apbus_store_card_config(s, 3, "0", 1), 0);
	hwsnap_update(v, s);
	assert_int_equal(v->ad[3].rc, AP_RC_DECONFIGURED);
	assert_snap_matches(v, s);
	assert_int_equal(apbus_store_card_config(s, 3, "1", 1), 0);
	assert_int_equal(apbus_set_chkstop(s, 3, true), 0);
	hwsnap_update(v, s);
	assert_int_equal(v->ad[3].rc, AP_RC_CHECKSTOPPED);
	assert_snap_matches(v, s);
	/* an adapter comes, a usage domain goes, an adapter goes */
	assert_int_equal(apbus_add_adapter(s, &a9), 0);
	hwsnap_update(v, s);
	assert_true(hwsnap_queue_exists(v, AP_APQN(9, 64)));
	assert_snap_matches(v, s);
	assert_int_equal(apbus_set_usage_domain(s, 64, false), 0);
	hwsnap_update(v, s);
	assert_false(hwsnap_queue_exists(v, AP_APQN(9, 64)));
	assert_snap_matches(v, s);
	assert_int_equal(apbus_remove_adapter(s, 200), 0);
	hwsnap_update(v, s);
	assert_false(hwsnap_queue_exists(v, AP_APQN(200, 84)));
	assert_int_equal(v->ad[200].rc, AP_RC_Q_NOT_AVAIL);
	assert_snap_matches(v, s);
	ap_system_clear(s);
	free(s);
	free(v);
}

/* How many queues exist on an adapter that answers rc 0x00. */
static unsigned int reachable(const struct ap_system *s)
{
	unsigned int n = 0;

	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++)
		n += apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)) &&
		     machine_queue_rc(&s->hw.adapter[AP_APQN_APID(apqn)]) == AP_RC_NORMAL;
	return n;
}

/* The APQNs a lost bitmap names, in order (at most 64 kept). */
struct lost_list {
	unsigned int n;
	unsigned int apqn[64];
};

/* Take a new snapshot into *now, keeping the old one in *was: what was lost? */
static struct lost_list step(struct hwsnap *was, struct hwsnap *now, const struct ap_system *s)
{
	uint64_t lost[HWSNAP_WORDS];
	struct lost_list l = {0};
	unsigned int n;

	*was = *now;
	hwsnap_update(now, s);
	n = hwsnap_lost(was, now, lost);
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++)
		if (lost[apqn / 64] >> (apqn % 64) & 1 && l.n++ < 64)
			l.apqn[l.n - 1] = apqn;
	assert_int_equal(n, l.n);
	return l;
}

/* hwsnap_lost() names exactly the queues instructions could reach and no longer can. */
static void test_lost_names_queues_gone(void **state)
{
	struct ap_system *s = host_new();
	struct hwsnap *was = calloc(1, sizeof(*was)), *now = calloc(1, sizeof(*now));
	struct lost_list l;

	(void)state;
	assert_non_null(was);
	assert_non_null(now);
	l = step(was, now, s);
	assert_int_equal(l.n, 0); /* from nothing: nothing was reachable before */
	l = step(was, now, s);
	assert_int_equal(l.n, 0); /* nothing changed */
	/* standby of adapter 3: its four queues */
	assert_int_equal(apbus_store_card_config(s, 3, "0", 1), 0);
	l = step(was, now, s);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.apqn[0], AP_APQN(3, 4));
	assert_int_equal(l.apqn[3], AP_APQN(3, 84));
	/* usage domain 64 goes: adapters 5 and 200 (3 is in standby already) */
	assert_int_equal(apbus_set_usage_domain(s, 64, false), 0);
	l = step(was, now, s);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.apqn[0], AP_APQN(5, 64));
	assert_int_equal(l.apqn[1], AP_APQN(200, 64));
	/* back on line: nothing is gone */
	assert_int_equal(apbus_store_card_config(s, 3, "1", 1), 0);
	l = step(was, now, s);
	assert_int_equal(l.n, 0);
	/* to nothing: every queue an instruction reaches */
	memset(was, 0, sizeof(*was));
	assert_int_equal(hwsnap_lost(now, was, (uint64_t[HWSNAP_WORDS]){0}), reachable(s));
	ap_system_clear(s);
	free(s);
	free(was);
	free(now);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_snapshot_of_a_new_system),
	    cmocka_unit_test(test_snapshot_follows_hardware_changes),
	    cmocka_unit_test(test_lost_names_queues_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
