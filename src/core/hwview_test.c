/*
 * hwview tests: the published view answers every question the way the
 * system does, after building and after each kind of hardware change.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "bus.h"
#include "hwview.h"
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

/* Compare every answer of the view with the system's. */
static void assert_view_matches(const struct ap_view *v, const struct ap_system *s)
{
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++) {
		bool e = apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn));

		assert_int_equal(ap_view_queue_exists(v, apqn), e);
	}
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++) {
		const struct ap_adapter *a = &s->hw.adapter[apid];

		assert_int_equal(ap_view_adapter_rc(v, apid), machine_queue_rc(a));
		assert_int_equal(ap_view_tapq(v, apid), ap_tapq_info(s, apid));
		if (a->present) {
			assert_int_equal(ap_view_adapter_mode(v, apid), a->mode);
			assert_int_equal(ap_view_max_msg_size(v, apid), a->max_msg_size);
		} else {
			assert_int_equal(ap_view_max_msg_size(v, apid), 0);
		}
	}
	assert_int_equal(ap_view_max_apid(v), machine_max_apid(&s->hw));
	assert_int_equal(ap_view_max_apqi(v), machine_max_apqi(&s->hw));
}

static void test_view_of_a_new_system(void **state)
{
	struct ap_system *s = host_new();
	struct ap_view *v = calloc(1, sizeof(*v));

	(void)state;
	assert_non_null(v);
	ap_view_update(v, s, NULL, NULL);
	assert_view_matches(v, s);
	assert_true(ap_view_queue_exists(v, AP_APQN(3, 4)));
	assert_true(ap_view_queue_exists(v, AP_APQN(200, 84)));
	assert_false(ap_view_queue_exists(v, AP_APQN(3, 5)));
	assert_false(ap_view_queue_exists(v, AP_APQN(4, 4)));
	assert_int_equal(ap_view_adapter_rc(v, 4), AP_RC_Q_NOT_AVAIL);
	assert_int_equal(ap_view_adapter_mode(v, 5), AP_MODE_CCA);
	ap_system_clear(s);
	free(s);
	free(v);
}

static void test_view_follows_hardware_changes(void **state)
{
	struct ap_system *s = host_new();
	struct ap_view *v = calloc(1, sizeof(*v));
	struct ap_adapter_desc a9 = {
	    .id = 9, .gen = 8, .mode = AP_MODE_EP11, .depth = 2, .max_msg_size = 4096};

	(void)state;
	assert_non_null(v);
	ap_view_update(v, s, NULL, NULL);
	/* standby, then check-stop, then back */
	assert_int_equal(apbus_store_card_config(s, 3, "0", 1), 0);
	ap_view_update(v, s, NULL, NULL);
	assert_int_equal(ap_view_adapter_rc(v, 3), AP_RC_DECONFIGURED);
	assert_view_matches(v, s);
	assert_int_equal(apbus_store_card_config(s, 3, "1", 1), 0);
	assert_int_equal(apbus_set_chkstop(s, 3, true), 0);
	ap_view_update(v, s, NULL, NULL);
	assert_int_equal(ap_view_adapter_rc(v, 3), AP_RC_CHECKSTOPPED);
	assert_view_matches(v, s);
	/* an adapter comes, a usage domain goes, an adapter goes */
	assert_int_equal(apbus_add_adapter(s, &a9), 0);
	ap_view_update(v, s, NULL, NULL);
	assert_true(ap_view_queue_exists(v, AP_APQN(9, 64)));
	assert_view_matches(v, s);
	assert_int_equal(apbus_set_usage_domain(s, 64, false), 0);
	ap_view_update(v, s, NULL, NULL);
	assert_false(ap_view_queue_exists(v, AP_APQN(9, 64)));
	assert_view_matches(v, s);
	assert_int_equal(apbus_remove_adapter(s, 200), 0);
	ap_view_update(v, s, NULL, NULL);
	assert_false(ap_view_queue_exists(v, AP_APQN(200, 84)));
	assert_int_equal(ap_view_adapter_rc(v, 200), AP_RC_Q_NOT_AVAIL);
	assert_view_matches(v, s);
	ap_system_clear(s);
	free(s);
	free(v);
}

struct gone_log {
	unsigned int n;
	unsigned int apqn[64];
};

static void log_gone(void *ctx, unsigned int apqn)
{
	struct gone_log *l = ctx;

	if (l->n < 64)
		l->apqn[l->n] = apqn;
	l->n++;
}

/* gone() names exactly the queues instructions could reach and no longer can. */
static void test_view_names_queues_gone(void **state)
{
	struct ap_system *s = host_new();
	struct ap_view *v = calloc(1, sizeof(*v));
	struct gone_log l = {0};

	(void)state;
	assert_non_null(v);
	ap_view_update(v, s, log_gone, &l);
	assert_int_equal(l.n, 0); /* the first view: nothing was reachable before */
	ap_view_update(v, s, log_gone, &l);
	assert_int_equal(l.n, 0); /* nothing changed */
	/* standby of adapter 3: its four queues */
	assert_int_equal(apbus_store_card_config(s, 3, "0", 1), 0);
	ap_view_update(v, s, log_gone, &l);
	assert_int_equal(l.n, 4);
	assert_int_equal(l.apqn[0], AP_APQN(3, 4));
	assert_int_equal(l.apqn[3], AP_APQN(3, 84));
	/* usage domain 64 goes: adapters 5 and 200 (3 is in standby already) */
	l.n = 0;
	assert_int_equal(apbus_set_usage_domain(s, 64, false), 0);
	ap_view_update(v, s, log_gone, &l);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.apqn[0], AP_APQN(5, 64));
	assert_int_equal(l.apqn[1], AP_APQN(200, 64));
	/* back on line: nothing is gone */
	l.n = 0;
	assert_int_equal(apbus_store_card_config(s, 3, "1", 1), 0);
	ap_view_update(v, s, log_gone, &l);
	assert_int_equal(l.n, 0);
	ap_system_clear(s);
	free(s);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_view_of_a_new_system),
	    cmocka_unit_test(test_view_follows_hardware_changes),
	    cmocka_unit_test(test_view_names_queues_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
