/*
 * audit_test - the auditor finds each broken promise of the matrix, and
 * nothing in a system that only the core's own operations changed.
 *
 * The host: CEX5C 5 and CEX5A 6, usage/control domains 4 and 0x47, every
 * queue for vfio_ap (apmask and aqmask empty).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "bus.h"
#include "matrix.h"

#define U1 "11111111-1111-4111-8111-111111111111\n"
#define U2 "22222222-2222-4222-8222-222222222222\n"

struct fx {
	struct ap_system *s;
	struct ap_mdev *m1, *m2;
	char lines[8][256];
	int n;
};

static void rec(void *ctx, const char *text)
{
	struct fx *f = ctx;

	if (f->n < 8)
		snprintf(f->lines[f->n], sizeof(f->lines[f->n]), "%s", text);
	f->n++;
}

static int setup(void **state)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = true, .na = 255, .nd = 255};
	struct ap_adapter_desc c5 = {
	    .id = 5, .gen = 5, .mode = AP_MODE_CCA, .depth = -1, .max_msg_size = -1};
	struct ap_adapter_desc a6 = {
	    .id = 6, .gen = 5, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct fx *f = calloc(1, sizeof(*f));
	struct ap_mask none = {0};
	struct ap_machine hw;

	assert_non_null(f);
	f->s = calloc(1, sizeof(*f->s));
	assert_non_null(f->s);
	ap_mask_set(&info.usage_domains, 4);
	ap_mask_set(&info.usage_domains, 0x47);
	ap_mask_set(&info.control_domains, 4);
	ap_mask_set(&info.control_domains, 0x47);
	assert_int_equal(machine_init(&hw, &info), 0);
	assert_int_equal(machine_add_adapter(&hw, &c5), 0);
	assert_int_equal(machine_add_adapter(&hw, &a6), 0);
	assert_int_equal(ap_system_init(f->s, AP_ABI_CUR, &hw, &none, &none, -1, 0), 0);
	assert_int_equal(matrix_create(f->s, U1, strlen(U1), &f->m1), 0);
	assert_int_equal(matrix_create(f->s, U2, strlen(U2), &f->m2), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m1, AP_KIND_ADAPTER, 5), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m1, AP_KIND_DOMAIN, 4), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m1, AP_KIND_CONTROL, 4), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m2, AP_KIND_ADAPTER, 6), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m2, AP_KIND_DOMAIN, 0x47), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	ap_system_clear(f->s);
	free(f->s);
	free(f);
	return 0;
}

static void test_a_system_the_core_changed_holds_every_invariant(void **state)
{
	struct fx *f = *state;

	assert_int_equal(ap_audit_matrix(f->s, rec, f), 0);
	/* and after more of the core's own operations */
	assert_int_equal(matrix_assign_id(f->s, f->m1, AP_KIND_DOMAIN, 0x47), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m1, AP_KIND_ADAPTER, 6), -EADDRINUSE);
	assert_int_equal(apbus_store_apmask(f->s, "+5", 2), 0); /* aqmask empty: nothing reserved */
	assert_int_equal(matrix_unassign_id(f->s, f->m2, AP_KIND_DOMAIN, 0x47), 0);
	assert_int_equal(matrix_assign_id(f->s, f->m1, AP_KIND_ADAPTER, 6), 0);
	assert_int_equal(ap_audit_matrix(f->s, rec, f), 0);
}

static void test_an_apqn_in_two_mdevs_is_found(void **state)
{
	struct fx *f = *state;

	/* what no store can do: 05.0004 in both */
	ap_mask_set(&f->m2->apm, 5);
	ap_mask_set(&f->m2->aqm, 4);
	assert_true(ap_audit_matrix(f->s, rec, f) >= 1);
	assert_non_null(
	    strstr(f->lines[0],
		   "APQN 05.0004 is in mdevs 11111111-1111-4111-8111-111111111111 and 22222222"));
}

static void test_a_wrong_owner_index_is_found(void **state)
{
	struct fx *f = *state;

	f->s->bus.queue[AP_APQN(6, 4)].owner = f->m1->slot + 1;
	assert_int_equal(ap_audit_matrix(f->s, rec, f), 1);
	assert_non_null(strstr(f->lines[0], "APQN 06.0004: the owner index"));
}

static void test_guest_matrix_outside_matrix_or_unbound_is_found(void **state)
{
	struct fx *f = *state;

	ap_mask_set(&f->m1->shadow_aqm, 0x47); /* not in m1's matrix */
	assert_true(ap_audit_matrix(f->s, rec, f) >= 1);
	assert_non_null(strstr(f->lines[0], "guest domains outside its matrix"));
	ap_mask_clear(&f->m1->shadow_aqm, 0x47);
	f->n = 0;
	f->s->bus.queue[AP_APQN(5, 4)].driver = AP_DRV_CEX4QUEUE;
	assert_int_equal(ap_audit_matrix(f->s, rec, f), 1);
	assert_non_null(strstr(f->lines[0], "APQN 05.0004 in its guest matrix is not bound"));
	f->s->bus.queue[AP_APQN(5, 4)].driver = AP_DRV_VFIO_AP;
	f->n = 0;
	ap_mask_set(&f->m1->shadow_adm, 0x47);
	assert_int_equal(ap_audit_matrix(f->s, rec, f), 1);
	assert_non_null(strstr(f->lines[0], "guest control domains outside"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_a_system_the_core_changed_holds_every_invariant),
	    T(test_an_apqn_in_two_mdevs_is_found),
	    T(test_a_wrong_owner_index_is_found),
	    T(test_guest_matrix_outside_matrix_or_unbound_is_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
