/*
 * matrix_test - unit tests for the vfio_ap matrix driver model (matrix.c).
 *
 * Invariants:
 * - no APQN is in the matrix (APM x AQM) of two mdevs, and the owner index
 *   (ap_queue_dev.owner) names exactly the mdev whose matrix holds an APQN;
 * - every create/remove/assign/unassign/ap_config store returns the errno
 *   the kernel returns for the same write (facts 3.2-3.8, today's kernel by
 *   default, the 4.20 values for the v8 ABI), and a store that fails changes
 *   nothing: masks, bindings, owner index, every mdev's matrix, instances;
 * - matrix, guest_matrix, control_domains and ap_config read exactly as the
 *   kernel prints them (fact 3.5), and guest_matrix is the filtered shadow
 *   of fact 3.7: only what the host has, and no adapter with a queue that is
 *   not bound to vfio_ap;
 * - an attached guest is told about every change of its guest matrix
 *   (ops.guest_update), and queues leaving it are zeroized (ops.queue_reset).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "core_fixture.h"
#include "matrix.h"

#define UUID1 "62177883-f1bb-47f0-914d-32a22e3a8804"
#define UUID2 "b7e8f0a6-2d3c-4b47-8e1c-6a7e2c9d1f35"
#define UUID3 "c0ffee00-0000-4000-8000-00000000a0a3"

#define F8   "ffffffff"
#define F64  F8 F8 F8 F8 F8 F8 F8 F8
#define Z8   "00000000"
#define Z64  Z8 Z8 Z8 Z8 Z8 Z8 Z8 Z8
#define PAGE FX_PAGE

static bool rec_was_zeroized(struct ap_system *s, unsigned int apid, unsigned int apqi)
{
	struct rec *r = rec_of(s);

	for (unsigned int i = 0; i < r->nreset && i < FX_NREC; i++)
		if (r->reset_apqn[i] == AP_APQN(apid, apqi) && r->reset_zeroize[i])
			return true;
	return false;
}

/*
 * The documentation's system (cur): the eight APQNs freed with the relative
 * mask writes of 11.1 step 2. v8: every queue stays on cex4queue.
 */
static struct ap_system *doc_sys(enum ap_abi abi)
{
	struct ap_machine hw;
	struct ap_system *s;

	doc_hw(&hw);
	s = sys_new(abi, &hw, NULL, NULL, 0);
	if (abi == AP_ABI_CUR) {
		assert_int_equal(apbus_store_apmask(s, "-5,-6\n", 6), 0);
		assert_int_equal(apbus_store_aqmask(s, "-4,-0x47,-0xab,-0xff\n", 21), 0);
	}
	rec_clear(s);
	return s;
}

static int assign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, const char *text)
{
	return matrix_assign(s, m, kind, text, strlen(text));
}

static int unassign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, const char *text)
{
	return matrix_unassign(s, m, kind, text, strlen(text));
}

static int config(struct ap_system *s, struct ap_mdev *m, const char *text)
{
	return matrix_ap_config_store(s, m, text, strlen(text));
}

static int bus_move(struct ap_system *s, enum ap_driver from, enum ap_driver to, const char *q)
{
	int r = apbus_unbind(s, from, q, strlen(q));

	return r < 0 ? r : apbus_bind(s, to, q, strlen(q));
}

/* A mask with the n ids that follow. */
static struct ap_mask ids(int n, ...)
{
	struct ap_mask m;
	va_list ap;

	ap_mask_zero(&m);
	va_start(ap, n);
	while (n-- > 0)
		ap_mask_set(&m, va_arg(ap, unsigned int));
	va_end(ap);
	return m;
}

/* The ap_config text of three masks: "0x..,0x..,0x..\n". */
static const char *config_text(char *out, struct ap_mask apm, struct ap_mask aqm,
			       struct ap_mask adm)
{
	char h[3][AP_MASK_HEX_LEN];

	ap_mask_format(&apm, h[0]);
	ap_mask_format(&aqm, h[1]);
	ap_mask_format(&adm, h[2]);
	snprintf(out, 3 * AP_MASK_HEX_LEN + 2, "%s,%s,%s\n", h[0], h[1], h[2]);
	return out;
}

/* ---- "a failed store changes nothing" ---- */

static void assert_assign_fails(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind,
				const char *text, int err)
{
	struct snap *p = snap_take(s);

	assert_int_equal(assign(s, m, kind, text), err);
	assert_unchanged(s, p);
}

static void assert_unassign_fails(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind,
				  const char *text, int err)
{
	struct snap *p = snap_take(s);

	assert_int_equal(unassign(s, m, kind, text), err);
	assert_unchanged(s, p);
}

static void assert_config_fails(struct ap_system *s, struct ap_mdev *m, const char *text, int err)
{
	struct snap *p = snap_take(s);

	assert_int_equal(config(s, m, text), err);
	assert_unchanged(s, p);
}

/* ---- create and remove ---- */

static void test_create_accepts_36_or_37_bytes_in_cur(void **state)
{
	char str[AP_UUID_STR_LEN + 1];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = NULL;

	(void)state;
	assert_int_equal(matrix_create(s, UUID1, 36, &m), 0);
	assert_int_equal(matrix_create(s, UUID2 "\n", 37, NULL), 0);
	assert_int_equal(matrix_create(s, UUID3 "x", 37, NULL), 0); /* 37th byte not read */
	assert_int_equal(s->matrix.count, 3);
	ap_uuid_format(m->uuid, str);
	assert_string_equal(str, UUID1);
	assert_ptr_equal(matrix_find_str(s, UUID1), m);
	assert_non_null(matrix_find_str(s, UUID3));
	sys_free(s);
}

static void test_create_upper_case_uuid_is_stored_in_lower_case(void **state)
{
	char str[AP_UUID_STR_LEN + 1];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, "62177883-F1BB-47F0-914D-32A22E3A8804");

	(void)state;
	ap_uuid_format(m->uuid, str);
	assert_string_equal(str, UUID1);
	assert_ptr_equal(matrix_find_str(s, UUID1), m);
	sys_free(s);
}

/* A device is named by its lower-case UUID, compared exactly (VFIO, sysfs). */
static void test_find_name_compares_the_device_name_exactly(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_ptr_equal(matrix_find_name(s, UUID1), m);
	assert_ptr_equal(matrix_find_str(s, "62177883-F1BB-47F0-914D-32A22E3A8804"), m);
	assert_null(matrix_find_name(s, "62177883-F1BB-47F0-914D-32A22E3A8804"));
	assert_null(matrix_find_name(s, "62177883-f1bb-47f0-914d-32a22e3a8804\n"));
	assert_null(matrix_find_name(s, UUID2));
	sys_free(s);
}

static void test_create_rejects_bad_length_or_uuid_with_einval_in_cur(void **state)
{
	static const char *const bad[] = {
	    UUID1 "\n\n",			    /* 38 bytes */
	    UUID1 " extra",			    /* longer */
	    "62177883-f1bb-47f0-914d-32a22e3a880",  /* 35 bytes */
	    "62177883-f1bb-47f0-914d-32a22e3a880g", /* not hex */
	    "62177883f-1bb-47f0-914d-32a22e3a8804", /* dash misplaced */
	    "{2177883-f1bb-47f0-914d-32a22e3a880}",
	    "",
	    "\n",
	};
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct snap *p = snap_take(s);

		assert_int_equal(matrix_create(s, bad[i], strlen(bad[i]), NULL), -EINVAL);
		assert_unchanged(s, p);
	}
	assert_int_equal(matrix_available(s), 65536);
	sys_free(s);
}

/* Every mdev core since 4.x checks the length first: 36 or 37 bytes in v8 too. */
static void test_create_v8_takes_36_or_37_bytes_too(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct snap *p;

	(void)state;
	assert_int_equal(matrix_create(s, UUID1 "\n", 37, NULL), 0);
	assert_non_null(matrix_find_str(s, UUID1));
	p = snap_take(s);
	assert_int_equal(matrix_create(s, UUID2 " and more text\n", strlen(UUID2) + 15, NULL),
			 -EINVAL);
	assert_int_equal(matrix_create(s, UUID2, 35, NULL), -EINVAL);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_create_existing_uuid_is_eexist(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	mdev_new(s, UUID1);
	p = snap_take(s);
	assert_int_equal(matrix_create(s, UUID1 "\n", 37, NULL), -EEXIST);
	assert_int_equal(matrix_create(s, "62177883-F1BB-47F0-914D-32A22E3A8804", 36, NULL),
			 -EEXIST);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_available_instances_start_at_65536_and_count_mdevs(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	assert_int_equal(matrix_available(s), 65536);
	m = mdev_new(s, UUID1);
	mdev_new(s, UUID2);
	mdev_new(s, UUID3);
	assert_int_equal(matrix_available(s), 65533);
	assert_int_equal(matrix_remove_store(s, m, "1\n", 2), 0);
	assert_int_equal(matrix_available(s), 65534);
	assert_null(matrix_find_str(s, UUID1));
	sys_free(s);
}

static void test_create_without_instances_left_is_eusers_in_cur(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;
	struct snap *p;

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 2);
	assert_int_equal(matrix_available(s), 2);
	m = mdev_new(s, UUID1);
	mdev_new(s, UUID2);
	assert_int_equal(matrix_available(s), 0);
	p = snap_take(s);
	assert_int_equal(matrix_create(s, UUID3, 36, NULL), -EUSERS);
	assert_unchanged(s, p);
	/* removing one frees an instance */
	assert_int_equal(matrix_remove_store(s, m, "1", 1), 0);
	assert_int_equal(matrix_available(s), 1);
	assert_int_equal(matrix_create(s, UUID3, 36, NULL), 0);
	assert_int_equal(matrix_available(s), 0);
	sys_free(s);
}

static void test_create_without_instances_left_is_eperm_in_v8(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct snap *p;

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_V8, &hw, NULL, NULL, 1);
	mdev_new(s, UUID1);
	p = snap_take(s);
	assert_int_equal(matrix_create(s, UUID2, 36, NULL), -EPERM);
	assert_unchanged(s, p);
	sys_free(s);
}

/* Many creates and removes: every live UUID is still found, no removed one is. */
static void test_removed_uuids_are_gone_and_can_be_created_again(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	char uuid[64];
	unsigned int i;

	(void)state;
	for (i = 0; i < 300; i++) {
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012x", i * 7919u);
		mdev_new(s, uuid);
	}
	for (i = 0; i < 300; i += 3) {
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012x", i * 7919u);
		assert_int_equal(matrix_remove_store(s, matrix_find_str(s, uuid), "1", 1), 0);
	}
	assert_int_equal(s->matrix.count, 200);
	assert_int_equal(matrix_available(s), 65536 - 200);
	for (i = 0; i < 300; i++) {
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012x", i * 7919u);
		if (i % 3 == 0)
			assert_null(matrix_find_str(s, uuid));
		else
			assert_non_null(matrix_find_str(s, uuid));
	}
	for (i = 0; i < 300; i += 3) {
		snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012x", i * 7919u);
		mdev_new(s, uuid);
	}
	assert_int_equal(s->matrix.count, 300);
	sys_free(s);
}

static void test_remove_store_0_does_nothing_and_parse_errors_are_einval(void **state)
{
	static const char *const bad[] = {
	    "", "x", "-1", "1 ", " 1", "1\n\n", "0x", "yes", "99999999999999999999999"};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct snap *p;

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	p = snap_take(s);
	assert_int_equal(matrix_remove_store(s, m, "0\n", 2), 0);
	assert_unchanged(s, p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = snap_take(s);
		assert_int_equal(matrix_remove_store(s, m, bad[i], strlen(bad[i])), -EINVAL);
		assert_unchanged(s, p);
	}
	/* any non-zero value removes, and the mdev's queues are zeroized */
	rec_clear(s);
	assert_int_equal(matrix_remove_store(s, m, "0x10", 4), 0);
	assert_true(rec_was_zeroized(s, 5, 4));
	assert_null(matrix_find_str(s, UUID1));
	assert_null(matrix_apqn_owner(s, AP_APQN(5, 4)));
	sys_free(s);
}

static void test_removed_mdev_frees_its_apqns_for_others(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "5"), -EADDRINUSE);
	assert_int_equal(matrix_remove_store(s, a, "1", 1), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "5"), 0);
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(5, 4)), b);
	sys_free(s);
}

static void test_remove_store_with_guest_is_einprogress_in_cur(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(matrix_attach(s, m, 42), 0);
	assert_int_equal(matrix_remove_store(s, m, "1\n", 2), -EINPROGRESS);
	assert_true(m->remove_requested);
	assert_ptr_equal(matrix_find_str(s, UUID1), m); /* waits for the release */
	assert_int_equal(matrix_available(s), 65535);
	matrix_detach(s, m);
	matrix_destroy(s, m);
	assert_null(matrix_find_str(s, UUID1));
	assert_int_equal(matrix_available(s), 65536);
	assert_null(matrix_apqn_owner(s, AP_APQN(5, 4)));
	sys_free(s);
}

static void test_remove_store_with_guest_is_ebusy_in_v8(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct snap *p;

	(void)state;
	assert_int_equal(matrix_attach(s, m, 42), 0);
	p = snap_take(s);
	assert_int_equal(matrix_remove_store(s, m, "1", 1), -EBUSY);
	assert_unchanged(s, p);
	assert_false(m->remove_requested);
	sys_free(s);
}

/* ---- assign / unassign: today's kernel ---- */

static void test_assign_and_unassign_reject_unparsable_number_with_einval(void **state)
{
	static const char *const bad[] = {"",	   "abc", "-1",	 "5,6", " 5",	"5 ",
					  "5\n\n", "0x",  "1.0", "\n",	"0x5g", "--5"};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "4"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (int k = AP_KIND_ADAPTER; k <= AP_KIND_CONTROL; k++) {
			assert_assign_fails(s, m, (enum ap_kind)k, bad[i], -EINVAL);
			assert_unassign_fails(s, m, (enum ap_kind)k, bad[i], -EINVAL);
		}
	}
	sys_free(s);
}

static void test_assign_and_unassign_reject_too_big_number_with_erange(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	for (int k = AP_KIND_ADAPTER; k <= AP_KIND_CONTROL; k++) {
		assert_assign_fails(s, m, (enum ap_kind)k, "18446744073709551616", -ERANGE);
		assert_unassign_fails(s, m, (enum ap_kind)k, "0x10000000000000000\n", -ERANGE);
		/* ULONG_MAX itself parses and is then too big an id */
		assert_assign_fails(s, m, (enum ap_kind)k, "18446744073709551615", -ENODEV);
	}
	sys_free(s);
}

static void test_assign_parses_numbers_in_any_base(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	char buf[PAGE];

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "0253"), 0); /* octal 171 */
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "+0x5\n"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "071"), 0); /* octal 57 */
	assert_string_equal(show_matrix(m, buf), "05.\n39.\nab.\n");
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0X47"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "171"), 0);
	assert_string_equal(show_cdoms(m, buf), "00ab\n");
	sys_free(s);
}

static void test_assign_above_max_is_enodev_without_apxa(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;
	char buf[PAGE];

	(void)state;
	hw_init(&hw, false, 0, 0);
	hw_adapter(&hw, 1, 5, AP_MODE_CCA);
	hw_domain(&hw, 2);
	s = sys_new(AP_ABI_CUR, &hw, "0x", "0x", 0);
	m = mdev_new(s, UUID1);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "64", -ENODEV);
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "16", -ENODEV);
	assert_assign_fails(s, m, AP_KIND_CONTROL, "16", -ENODEV);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "255", -ENODEV);
	assert_unassign_fails(s, m, AP_KIND_ADAPTER, "64", -ENODEV);
	assert_unassign_fails(s, m, AP_KIND_DOMAIN, "16", -ENODEV);
	assert_unassign_fails(s, m, AP_KIND_CONTROL, "16", -ENODEV);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "63"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "15"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "15"), 0);
	assert_string_equal(show_matrix(m, buf), "3f.000f\n");
	assert_int_equal(matrix_max(s, AP_KIND_ADAPTER), 63);
	assert_int_equal(matrix_max(s, AP_KIND_DOMAIN), 15);
	assert_int_equal(matrix_max(s, AP_KIND_CONTROL), 15);
	sys_free(s);
}

static void test_assign_above_max_is_enodev_with_apxa(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;

	(void)state;
	hw_init(&hw, true, 100, 84);
	hw_adapter(&hw, 1, 5, AP_MODE_CCA);
	hw_domain(&hw, 2);
	s = sys_new(AP_ABI_CUR, &hw, "0x", "0x", 0);
	m = mdev_new(s, UUID1);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "101", -ENODEV);
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "85", -ENODEV);
	assert_assign_fails(s, m, AP_KIND_CONTROL, "0x55", -ENODEV);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "256", -ENODEV);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "100"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "84"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0x54"), 0);
	sys_free(s);

	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, "0x", "0x", 0);
	m = mdev_new(s, UUID1);
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "256", -ENODEV);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "255"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "255"), 0);
	sys_free(s);
}

static void test_assign_apqn_reserved_by_masks_is_eaddrnotavail(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;
	char buf[PAGE];

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0); /* everything reserved */
	m = mdev_new(s, UUID1);
	/* with no domain assigned there is no APQN: the check cannot fail */
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "4", -EADDRNOTAVAIL);
	assert_string_equal(show_matrix(m, buf), "05.\n");
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xab"), 0);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "6", -EADDRNOTAVAIL);
	assert_string_equal(show_matrix(m, buf), ".00ab\n");
	sys_free(s);
}

/* An APQN is reserved only when both its apmask and its aqmask bit are set. */
static void test_assign_apqn_with_one_mask_bit_clear_is_accepted(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;
	char buf[PAGE];

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(apbus_store_aqmask(s, "-4", 2), 0);
	m = mdev_new(s, UUID1);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n06.0004\n");
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "0x47", -EADDRNOTAVAIL);
	sys_free(s);
}

/* fact 11.3: adapters and domains the host lacks may be assigned if not reserved. */
static void test_assign_over_provisioned_adapter_and_domain_is_accepted(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	char buf[PAGE];

	(void)state;
	assert_int_equal(apbus_store_apmask(s, "-7", 2), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "7"), 0);   /* no adapter 7 */
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0x10"), 0); /* not a usage domain */
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_string_equal(show_matrix(m, buf), "07.0004\n07.0010\n");
	/* the guest gets no adapter, and of the domains only what the host has */
	assert_string_equal(show_guest(m, buf), ".0004\n");
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(7, 0x10)), m);
	sys_free(s);
}

static void test_assign_adapter_rejects_shared_apqn(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_DOMAIN, "0x47"), 0);
	rec_clear(s);
	assert_assign_fails(s, b, AP_KIND_ADAPTER, "5", -EADDRINUSE);
	assert_int_equal(rec_of(s)->nlog, 1);
	assert_true(rec_has_log(s, UUID2,
				"Userspace may not assign queue 05.0004 to mdev: "
				"already assigned to " UUID1));
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(5, 4)), a);
	assert_null(matrix_apqn_owner(s, AP_APQN(5, 0x47)));
	sys_free(s);
}

static void test_assign_domain_rejects_shared_apqn(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "0xab"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "6"), 0);
	rec_clear(s);
	assert_assign_fails(s, b, AP_KIND_DOMAIN, "0xab", -EADDRINUSE);
	/* one warning per shared APQN */
	assert_int_equal(rec_of(s)->nlog, 2);
	assert_true(rec_has_log(s, UUID2,
				"Userspace may not assign queue 05.00ab to mdev: "
				"already assigned to " UUID1));
	assert_true(rec_has_log(s, UUID2,
				"Userspace may not assign queue 06.00ab to mdev: "
				"already assigned to " UUID1));
	sys_free(s);
}

/* Sharing an adapter or a domain alone is fine: only a shared APQN conflicts. */
static void test_assign_sharing_one_axis_only_is_accepted(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);
	char buf[PAGE];

	(void)state;
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, b, AP_KIND_DOMAIN, "0x47"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "0x10"), 0); /* over-provisioned */
	assert_string_equal(show_matrix(a, buf), "05.0004\n10.0004\n");
	assert_string_equal(show_matrix(b, buf), "05.0047\n06.0047\n");
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(6, 0x47)), b);
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(0x10, 4)), a);
	sys_free(s);
}

/* cur: an id already assigned is accepted without validating again. */
static void test_reassigning_assigned_id_succeeds_without_checks(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct snap *p;

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(apbus_store_apmask(s, "+5", 2), 0); /* no APQN in use: allowed */
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "0x10", -EADDRNOTAVAIL); /* 05.0010 reserved */
	p = snap_take(s);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "0x5\n"), 0);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_unassigning_unassigned_id_succeeds_and_changes_nothing(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct snap *p;

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	p = snap_take(s);
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(unassign(s, m, AP_KIND_DOMAIN, "0x47"), 0);
	assert_int_equal(unassign(s, m, AP_KIND_CONTROL, "4\n"), 0);
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "255"), 0);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_unassign_takes_apqns_out_of_matrix_and_owner_index(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	char buf[PAGE];

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xff"), 0);
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(6, 0xff)), m);
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "6\n"), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.00ff\n");
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ff\n");
	assert_null(matrix_apqn_owner(s, AP_APQN(6, 4)));
	assert_null(matrix_apqn_owner(s, AP_APQN(6, 0xff)));
	assert_int_equal(unassign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_string_equal(show_matrix(m, buf), "05.00ff\n");
	assert_null(matrix_apqn_owner(s, AP_APQN(5, 4)));
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(5, 0xff)), m);
	sys_free(s);
}

static void test_control_domains_need_no_reservation_or_exclusivity(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *a, *b;
	char buf[PAGE];

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0); /* everything reserved */
	a = mdev_new(s, UUID1);
	b = mdev_new(s, UUID2);
	assert_int_equal(assign(s, a, AP_KIND_CONTROL, "4"), 0);
	assert_int_equal(assign(s, a, AP_KIND_CONTROL, "0x30"), 0);
	assert_int_equal(assign(s, b, AP_KIND_CONTROL, "4"), 0);
	assert_string_equal(show_cdoms(a, buf), "0004\n0030\n");
	assert_string_equal(show_cdoms(b, buf), "0004\n");
	assert_string_equal(show_matrix(a, buf), ""); /* not usage domains */
	assert_int_equal(unassign(s, a, AP_KIND_CONTROL, "4"), 0);
	assert_string_equal(show_cdoms(a, buf), "0030\n");
	sys_free(s);
}

/* ---- assign / unassign: v8 ---- */

static void test_v8_assign_while_attached_is_ebusy_before_parsing(void **state)
{
	static const char *const texts[] = {"garbage", "5", "4", "999", ""};
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(matrix_attach(s, m, 7), 0);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		for (int k = AP_KIND_ADAPTER; k <= AP_KIND_CONTROL; k++) {
			assert_assign_fails(s, m, (enum ap_kind)k, texts[i], -EBUSY);
			assert_unassign_fails(s, m, (enum ap_kind)k, texts[i], -EBUSY);
		}
	}
	matrix_detach(s, m);
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "5"), 0);
	sys_free(s);
}

static void test_v8_assign_needs_queues_bound_to_vfio_ap(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1), *n = mdev_new(s, UUID2);
	char buf[PAGE];

	(void)state;
	/* every queue on cex4queue: nothing can be assigned */
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "5", -EADDRNOTAVAIL);
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "4", -EADDRNOTAVAIL);
	/* no domain assigned: one queue of the adapter bound to vfio_ap is enough */
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	/* now every (5, d) must be bound */
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "0x47", -EADDRNOTAVAIL);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "6", -EADDRNOTAVAIL);
	/* a domain that does not exist has no queue to bind */
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "0x10", -EADDRNOTAVAIL);
	/* domain only: some queue of the domain bound is enough */
	assert_assign_fails(s, n, AP_KIND_DOMAIN, "0xab", -EADDRNOTAVAIL);
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "06.00ab"), 0);
	assert_int_equal(assign(s, n, AP_KIND_DOMAIN, "0xab"), 0);
	assert_assign_fails(s, n, AP_KIND_ADAPTER, "5", -EADDRNOTAVAIL); /* 05.00ab is not */
	assert_int_equal(assign(s, n, AP_KIND_ADAPTER, "6"), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n");
	assert_string_equal(show_matrix(n, buf), "06.00ab\n");
	/* control domains have no binding check */
	assert_int_equal(assign(s, n, AP_KIND_CONTROL, "0x30"), 0);
	sys_free(s);
}

/* [4.20]: re-assigning an assigned id passes the same checks again. */
static void test_v8_reassign_checks_binding_again(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "05.0004", 7), 0);
	assert_assign_fails(s, m, AP_KIND_ADAPTER, "5", -EADDRNOTAVAIL);
	assert_assign_fails(s, m, AP_KIND_DOMAIN, "4", -EADDRNOTAVAIL);
	assert_true(ap_mask_test(&m->apm, 5)); /* the earlier assignment stays */
	sys_free(s);
}

static void test_v8_assign_rejects_enodev_and_shared_apqn(void **state)
{
	static const char *const queues[] = {"05.0004", "05.0047", "06.0004", "06.0047"};
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, queues[i]), 0);
	assert_assign_fails(s, a, AP_KIND_ADAPTER, "256", -ENODEV);
	assert_assign_fails(s, a, AP_KIND_CONTROL, "256", -ENODEV);
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_DOMAIN, "0x47"), 0);
	assert_assign_fails(s, b, AP_KIND_ADAPTER, "5", -EADDRINUSE);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(unassign(s, b, AP_KIND_ADAPTER, "5"), 0); /* not assigned: fine */
	sys_free(s);
}

/* fact 3.11: v8 reports assignment errors only through return codes (no printk). */
static void test_v8_shared_apqn_is_refused_without_a_kernel_message(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "5"), 0);
	rec_clear(s);
	assert_assign_fails(s, b, AP_KIND_DOMAIN, "4", -EADDRINUSE);
	assert_assign_fails(s, b, AP_KIND_DOMAIN, "0x47", -EADDRNOTAVAIL);
	assert_int_equal(rec_of(s)->nlog, 0);
	sys_free(s);
}

/* fact 3.10: [4.20]/v8 vfio_ap does nothing when a queue leaves it. */
static void test_v8_unbinding_assigned_queue_leaves_guest_alone(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct ap_mask apm;

	(void)state;
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(matrix_attach(s, m, 1), 0);
	apm = m->shadow_apm;
	rec_clear(s);
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "05.0004", 7), 0);
	assert_int_equal(rec_of(s)->nupdate, 0);
	assert_memory_equal(&m->shadow_apm, &apm, sizeof(apm));
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(5, 4)), m);
	sys_free(s);
}

static void test_v8_has_no_ap_config(void **state)
{
	char text[256];
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct snap *p = snap_take(s);

	(void)state;
	assert_true(config(s, m, config_text(text, ids(1, 5), ids(1, 4), ids(0))) < 0);
	assert_unchanged(s, p);
	sys_free(s);
}

/* ---- ap_config ---- */

static void test_ap_config_shows_apm_aqm_adm_of_the_assignment(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	char buf[PAGE];

	(void)state;
	matrix_show_ap_config(m, buf, sizeof(buf));
	assert_string_equal(buf, "0x" Z64 ",0x" Z64 ",0x" Z64 "\n");
	assert_int_equal(apbus_store_apmask(s, "-7", 2), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "7"),
			 0); /* shown though the host lacks it */
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xff"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0"), 0);
	assert_int_equal(matrix_show_ap_config(m, buf, sizeof(buf)), 3 * 66 + 3);
	assert_string_equal(buf, "0x05"
				 "000000" Z8 Z8 Z8 Z8 Z8 Z8 Z8 ","
				 "0x" Z8 Z8 Z8 Z8 Z8 Z8 Z8 "00000001,"
				 "0x80"
				 "000000" Z8 Z8 Z8 Z8 Z8 Z8 Z8 "\n");
	sys_free(s);
}

static void test_ap_config_store_adds_and_removes_assignments(void **state)
{
	char text[256], buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0x47"), 0);
	assert_int_equal(
	    config(s, m, config_text(text, ids(2, 5, 6), ids(2, 4, 0xab), ids(1, 0xab))), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_string_equal(show_cdoms(m, buf), "00ab\n");
	assert_null(matrix_apqn_owner(s, AP_APQN(5, 0x47)));
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(6, 0xab)), m);
	matrix_show_ap_config(m, buf, sizeof(buf));
	assert_string_equal(buf, text);
	/* and back down: adapter 6 and every control domain go */
	assert_int_equal(config(s, m, config_text(text, ids(1, 5), ids(2, 4, 0xab), ids(0))), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.00ab\n");
	assert_string_equal(show_cdoms(m, buf), "");
	assert_null(matrix_apqn_owner(s, AP_APQN(6, 0xab)));
	/* text after the third mask is ignored; empty masks are zeros */
	assert_int_equal(config(s, m, ",,\nwhatever follows"), 0);
	assert_string_equal(show_matrix(m, buf), "");
	assert_null(matrix_apqn_owner(s, AP_APQN(5, 4)));
	sys_free(s);
}

static void test_ap_config_store_rejects_missing_tokens_and_bad_masks(void **state)
{
	static const char *const bad[] = {
	    "",
	    "0x04",
	    "0x04,0x08",
	    "0x04\n0x08",
	    "0xzz,0x08,0x",
	    "0x04,0x08 ,0x",
	    "0x04,0x08,0x1 ",
	    "-5,0x08,0x",
	    "0x" F64 "0,0x08,0x",
	    "5,6,+7",
	};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xff"), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_config_fails(s, m, bad[i], -EINVAL);
	sys_free(s);
}

static void test_ap_config_store_reserved_apqn_is_eaddrnotavail(void **state)
{
	char text[256];
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	m = mdev_new(s, UUID1);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_config_fails(s, m, config_text(text, ids(1, 5), ids(1, 4), ids(0)), -EADDRNOTAVAIL);
	assert_config_fails(s, m, config_text(text, ids(1, 6), ids(1, 0x47), ids(1, 9)),
			    -EADDRNOTAVAIL);
	sys_free(s);

	/* the reservation is checked before the limits */
	hw_init(&hw, false, 0, 0);
	hw_adapter(&hw, 1, 5, AP_MODE_CCA);
	hw_domain(&hw, 2);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	m = mdev_new(s, UUID1);
	assert_config_fails(s, m, config_text(text, ids(2, 1, 64), ids(1, 2), ids(0)),
			    -EADDRNOTAVAIL);
	sys_free(s);
}

static void test_ap_config_store_shared_apqn_is_eaddrinuse(void **state)
{
	char text[256];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	assert_int_equal(assign(s, a, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, a, AP_KIND_DOMAIN, "0xff"), 0);
	assert_int_equal(assign(s, b, AP_KIND_ADAPTER, "5"), 0);
	rec_clear(s);
	assert_config_fails(s, b, config_text(text, ids(2, 5, 6), ids(2, 4, 0xff), ids(0)),
			    -EADDRINUSE);
	assert_true(rec_has_log(s, UUID2,
				"Userspace may not assign queue 06.00ff to mdev: "
				"already assigned to " UUID1));
	/* an mdev rewriting its own APQNs is no conflict */
	assert_int_equal(config(s, a, config_text(text, ids(1, 6), ids(2, 4, 0xff), ids(0))), 0);
	sys_free(s);
}

static void test_ap_config_store_bits_above_limits_is_enodev(void **state)
{
	char text[256];
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;

	(void)state;
	hw_init(&hw, false, 0, 0);
	hw_adapter(&hw, 1, 5, AP_MODE_CCA);
	hw_domain(&hw, 2);
	s = sys_new(AP_ABI_CUR, &hw, "0x", "0x", 0);
	m = mdev_new(s, UUID1);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "1"), 0);
	assert_config_fails(s, m, config_text(text, ids(2, 1, 64), ids(1, 2), ids(0)), -ENODEV);
	assert_config_fails(s, m, config_text(text, ids(1, 1), ids(2, 2, 16), ids(0)), -ENODEV);
	assert_config_fails(s, m, config_text(text, ids(1, 1), ids(1, 2), ids(1, 16)), -ENODEV);
	assert_int_equal(config(s, m, config_text(text, ids(1, 63), ids(1, 15), ids(1, 15))), 0);
	sys_free(s);
}

/* ---- show formats ---- */

static void test_matrix_shows_one_line_per_apqn_adapter_major(void **state)
{
	char text[256], buf[PAGE];
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, "0x", "0x", 0);
	m = mdev_new(s, UUID1);
	assert_int_equal(
	    config(s, m, config_text(text, ids(3, 0xff, 0, 0x0a), ids(2, 0xff, 1), ids(0))), 0);
	assert_int_equal(matrix_show_matrix(m, buf, sizeof(buf)), 6 * 8);
	assert_string_equal(buf, "00.0001\n00.00ff\n0a.0001\n0a.00ff\nff.0001\nff.00ff\n");
	sys_free(s);
}

static void test_matrix_shows_adapters_only_as_id_and_dot(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_string_equal(show_matrix(m, buf), "05.\n");
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(matrix_show_matrix(m, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "05.\n06.\n");
	assert_string_equal(show_guest(m, buf), "05.\n06.\n");
	sys_free(s);
}

static void test_matrix_shows_domains_only_as_dot_and_id(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_string_equal(show_matrix(m, buf), ".0004\n");
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xab"), 0);
	assert_string_equal(show_matrix(m, buf), ".0004\n.00ab\n");
	sys_free(s);
}

static void test_matrix_of_new_mdev_is_empty(void **state)
{
	char buf[PAGE] = "junk";
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(matrix_show_matrix(m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	assert_int_equal(matrix_show_guest_matrix(m, buf, sizeof(buf)), 0);
	assert_int_equal(matrix_show_control_domains(m, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	sys_free(s);
}

static void test_control_domains_show_one_four_digit_line_each(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0xff"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0xab"), 0);
	assert_int_equal(matrix_show_control_domains(m, buf, sizeof(buf)), 15);
	assert_string_equal(buf, "0000\n00ab\n00ff\n");
	sys_free(s);
}

/* 256 x 256 APQNs are 512 KiB of text: the read gets the first page less one byte. */
static void test_matrix_of_every_apqn_is_cut_at_4095_bytes(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;
	char *want = malloc(65536 * 8 + 1), *buf = malloc(2 * PAGE), *p;
	size_t n;

	(void)state;
	assert_non_null(want);
	assert_non_null(buf);
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, "0x", "0x", 0);
	m = mdev_new(s, UUID1);
	assert_int_equal(config(s, m, "0x" F64 ",0x" F64 ",0x" F64 "\n"), 0);
	p = want;
	for (unsigned int a = 0; a < 256; a++)
		for (unsigned int d = 0; d < 256; d++)
			p += sprintf(p, "%02x.%04x\n", a, d);
	n = matrix_show_matrix(m, buf, 2 * PAGE);
	assert_int_equal(n, 4095);
	assert_int_equal(strlen(buf), 4095);
	assert_memory_equal(buf, want, 4095);
	assert_int_equal(matrix_show_control_domains(m, buf, 2 * PAGE), 256 * 5);
	/* a smaller buffer gets size - 1 bytes */
	assert_int_equal(matrix_show_matrix(m, buf, 10), 9);
	assert_string_equal(buf, "00.0000\n0");
	free(want);
	free(buf);
	sys_free(s);
}

/* ---- guest matrix filtering (fact 3.7) ---- */

static void test_guest_matrix_leaves_out_adapters_and_domains_the_host_lacks(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(apbus_store_apmask(s, "-7", 2), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "7"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0x10"), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.0010\n07.0004\n07.0010\n");
	assert_string_equal(show_guest(m, buf), "05.0004\n");
	sys_free(s);
}

static void test_guest_matrix_drops_adapter_with_a_queue_not_bound_to_vfio_ap(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "05.0047", 7), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n06.0004\n");
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0x47"), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.0047\n06.0004\n06.0047\n");
	assert_string_equal(show_guest(m, buf), "06.0004\n06.0047\n");
	/* binding the missing queue brings the adapter back */
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "05.0047", 7), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.0047\n06.0004\n06.0047\n");
	/* and unbinding any queue of an adapter drops the whole adapter */
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "06.0004", 7), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.0047\n");
	sys_free(s);
}

static void test_guest_adm_is_assigned_adm_within_host_control_domains(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct ap_mask want = ids(2, 4, 0xff);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0x30"), 0);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0xff"), 0);
	assert_memory_equal(&m->shadow_adm, &want, sizeof(want));
	want = ids(3, 4, 0x30, 0xff);
	assert_memory_equal(&m->adm, &want, sizeof(want));
	sys_free(s);
}

/* ---- queue status, attach, guest updates ---- */

static void test_queue_status_is_unassigned_assigned_or_in_use(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(matrix_queue_status(s, AP_APQN(5, 4)), AP_QSTATUS_UNASSIGNED);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(matrix_queue_status(s, AP_APQN(5, 4)), AP_QSTATUS_ASSIGNED);
	assert_int_equal(matrix_queue_status(s, AP_APQN(5, 0x47)), AP_QSTATUS_UNASSIGNED);
	assert_int_equal(matrix_attach(s, m, 3), 0);
	assert_int_equal(matrix_queue_status(s, AP_APQN(5, 4)), AP_QSTATUS_IN_USE);
	assert_int_equal(matrix_queue_status(s, AP_APQN(6, 4)), AP_QSTATUS_IN_USE);
	assert_int_equal(matrix_queue_status(s, AP_APQN(6, 0xab)), AP_QSTATUS_UNASSIGNED);
	matrix_detach(s, m);
	assert_int_equal(matrix_queue_status(s, AP_APQN(5, 4)), AP_QSTATUS_ASSIGNED);
	sys_free(s);
}

static void test_queue_status_of_filtered_adapter_is_assigned(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "06.0047", 7), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0x47"), 0);
	assert_int_equal(matrix_attach(s, m, 3), 0);
	assert_int_equal(matrix_queue_status(s, AP_APQN(6, 4)), AP_QSTATUS_ASSIGNED);
	sys_free(s);
}

static void test_attach_second_mdev_to_same_guest_is_eperm_in_cur(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);
	struct snap *p;

	(void)state;
	assert_int_equal(matrix_attach(s, a, 9), 0);
	p = snap_take(s);
	assert_int_equal(matrix_attach(s, b, 9), -EPERM);
	assert_int_equal(matrix_attach(s, b, 0), -EINVAL); /* no KVM */
	assert_int_equal(matrix_attach(s, a, 10), -EBUSY); /* already open */
	assert_unchanged(s, p);
	assert_int_equal(b->guest, 0);
	assert_int_equal(matrix_attach(s, b, 10), 0); /* another guest is fine */
	sys_free(s);
}

/* [4.20]: the second open succeeds but installs nothing. */
static void test_attach_second_mdev_to_same_guest_installs_nothing_in_v8(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *a = mdev_new(s, UUID1), *b = mdev_new(s, UUID2);

	(void)state;
	assert_int_equal(matrix_attach(s, a, 9), 0);
	assert_int_equal(matrix_attach(s, b, 9), 0);
	assert_int_equal(b->guest, 0);
	sys_free(s);
}

static void test_assign_to_attached_mdev_hot_plugs_and_updates_guest(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(r->nupdate, 0); /* nobody to tell yet */
	assert_int_equal(matrix_attach(s, m, 5), 0);
	rec_clear(s);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0); /* no EBUSY in cur */
	assert_string_equal(show_guest(m, buf), "05.0004\n06.0004\n");
	assert_true(r->nupdate >= 1);
	assert_ptr_equal(r->upd_mdev[r->nupdate - 1], m);
	assert_true(ap_mask_test(&r->upd_apm[r->nupdate - 1], 6));
	rec_clear(s);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xab"), 0);
	assert_true(r->nupdate >= 1);
	assert_true(ap_mask_test(&r->upd_aqm[r->nupdate - 1], 0xab));
	rec_clear(s);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0x47"), 0);
	assert_true(r->nupdate >= 1);
	assert_true(ap_mask_test(&r->upd_adm[r->nupdate - 1], 0x47));
	/* nothing changes for the guest: no update */
	rec_clear(s);
	assert_int_equal(assign(s, m, AP_KIND_CONTROL, "0x30"), 0); /* not a host control domain */
	assert_int_equal(r->nupdate, 0);
	sys_free(s);
}

static void test_unassign_adapter_from_running_guest_zeroizes_its_queues(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xab"), 0);
	assert_int_equal(matrix_attach(s, m, 5), 0);
	rec_clear(s);
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n");
	assert_true(r->nupdate >= 1);
	assert_false(ap_mask_test(&r->upd_apm[r->nupdate - 1], 6));
	assert_true(rec_was_zeroized(s, 6, 4));
	assert_true(rec_was_zeroized(s, 6, 0xab));
	assert_false(rec_was_zeroized(s, 5, 4));
	rec_clear(s);
	assert_int_equal(unassign(s, m, AP_KIND_DOMAIN, "0xab"), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n");
	assert_true(r->nupdate >= 1);
	assert_true(rec_was_zeroized(s, 5, 0xab));
	assert_false(rec_was_zeroized(s, 5, 4));
	sys_free(s);
}

static void test_ap_config_store_unplugs_removed_adapter_from_running_guest(void **state)
{
	char text[256], buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(config(s, m, config_text(text, ids(2, 5, 6), ids(2, 4, 0xff), ids(0))), 0);
	assert_int_equal(matrix_attach(s, m, 5), 0);
	rec_clear(s);
	assert_int_equal(config(s, m, config_text(text, ids(1, 5), ids(2, 4, 0xff), ids(0))), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ff\n");
	assert_true(r->nupdate >= 1);
	assert_false(ap_mask_test(&r->upd_apm[r->nupdate - 1], 6));
	assert_true(rec_was_zeroized(s, 6, 4));
	assert_true(rec_was_zeroized(s, 6, 0xff));
	assert_false(rec_was_zeroized(s, 5, 4));
	sys_free(s);
}

/* fact 3.10: a queue leaving vfio_ap takes its whole adapter out of the guest. */
static void test_unbinding_guest_queue_unplugs_whole_adapter_and_zeroizes_it(void **state)
{
	char buf[PAGE];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xab"), 0);
	assert_int_equal(matrix_attach(s, m, 5), 0);
	rec_clear(s);
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "06.00ab", 7), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n");
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_true(r->nupdate >= 1);
	assert_false(ap_mask_test(&r->upd_apm[r->nupdate - 1], 6));
	assert_true(rec_was_zeroized(s, 6, 4));
	assert_true(rec_was_zeroized(s, 6, 0xab));
	assert_false(rec_was_zeroized(s, 5, 4));
	assert_int_equal(matrix_queue_status(s, AP_APQN(6, 4)), AP_QSTATUS_ASSIGNED);
	/* binding it again plugs the adapter back in */
	rec_clear(s);
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "06.00ab", 7), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_true(r->nupdate >= 1);
	assert_true(ap_mask_test(&r->upd_apm[r->nupdate - 1], 6));
	sys_free(s);
}

static void test_detach_zeroizes_the_mdevs_queues(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xff"), 0);
	assert_int_equal(matrix_attach(s, m, 5), 0);
	rec_clear(s);
	matrix_detach(s, m);
	assert_int_equal(m->guest, 0);
	assert_true(rec_was_zeroized(s, 5, 4));
	assert_true(rec_was_zeroized(s, 5, 0xff));
	assert_false(rec_was_zeroized(s, 6, 4));
	sys_free(s);
}

/* ---- open and VFIO_DEVICE_RESET ---- */

static void test_open_check_refuses_missing_removing_open_and_kvmless_mdev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_system *v8 = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);
	struct ap_mdev *m8 = mdev_new(v8, UUID1);

	(void)state;
	assert_int_equal(matrix_open_check(s, m, false, true), 0);
	assert_int_equal(matrix_open_check(s, NULL, false, true), -ENODEV);
	assert_int_equal(matrix_open_check(s, m, true, true), -EBUSY);
	assert_int_equal(matrix_open_check(s, m, false, false), -EINVAL); /* no KVM */
	/* the first failing check decides */
	assert_int_equal(matrix_open_check(s, m, true, false), -EBUSY);
	m->remove_requested = true;
	assert_int_equal(matrix_open_check(s, m, true, false), -ENODEV);
	/* 4.20 opens without KVM (and installs nothing) */
	assert_int_equal(matrix_open_check(v8, m8, false, false), 0);
	assert_int_equal(matrix_open_check(v8, m8, true, false), -EBUSY);
	assert_int_equal(matrix_open_check(v8, NULL, false, true), -ENODEV);
	sys_free(v8);
	sys_free(s);
}

/* vfio_ap_mdev's bind and unbind: an mdev's name is busy, any other no device. */
static void test_mdev_driver_bind_is_ebusy_for_an_mdev_enodev_else(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	mdev_new(s, UUID1);
	assert_int_equal(matrix_mdev_drv_bind(s, UUID1, strlen(UUID1)), -EBUSY);
	assert_int_equal(matrix_mdev_drv_bind(s, UUID1 "\n", strlen(UUID1) + 1), -EBUSY);
	assert_int_equal(matrix_mdev_drv_bind(s, UUID2, strlen(UUID2)), -ENODEV);
	assert_int_equal(matrix_mdev_drv_bind(s, "matrix", 6), -ENODEV);
	assert_int_equal(matrix_mdev_drv_bind(s, "", 0), -ENODEV);
	sys_free(s);
}

/* cur: only linked queues are zeroized, and each one's rc is recorded. */
static void test_device_reset_zeroizes_linked_queues_and_records_rc(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "6"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "0xff"), 0);
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "06.00ff", 7), 0);
	rec_clear(s);
	assert_int_equal(matrix_device_reset(s, m), 0);
	assert_true(rec_was_zeroized(s, 5, 4));
	assert_true(rec_was_zeroized(s, 5, 0xff));
	assert_true(rec_was_zeroized(s, 6, 4));
	assert_false(rec_was_zeroized(s, 6, 0xff)); /* not bound to vfio_ap */
	assert_false(rec_was_zeroized(s, 5, 0x47)); /* not assigned */
	assert_int_equal(rec_of(s)->nreset, 3);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].reset_rc, AP_RC_NORMAL);

	/* a check-stopped adapter answers rc 0x04: recorded, and the reset fails */
	assert_int_equal(apbus_set_chkstop(s, 5, true), 0);
	assert_int_equal(matrix_device_reset(s, m), -EIO);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].reset_rc, AP_RC_CHECKSTOPPED);
	assert_int_equal(s->bus.queue[AP_APQN(5, 0xff)].reset_rc, AP_RC_CHECKSTOPPED);
	assert_int_equal(s->bus.queue[AP_APQN(6, 4)].reset_rc, AP_RC_NORMAL);
	assert_int_equal(apbus_set_chkstop(s, 5, false), 0);
	assert_int_equal(matrix_device_reset(s, m), 0);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].reset_rc, AP_RC_NORMAL);
	sys_free(s);
}

/* v8 (4.20): every APQN of APM x AQM, bound or not; a failure is -EIO. */
static void test_v8_device_reset_zeroizes_every_assigned_apqn(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct ap_mdev *m = mdev_new(s, UUID1);

	(void)state;
	assert_int_equal(bus_move(s, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "5"), 0);
	assert_int_equal(assign(s, m, AP_KIND_DOMAIN, "4"), 0);
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "05.0004", 7), 0);
	rec_clear(s);
	assert_int_equal(matrix_device_reset(s, m), 0);
	assert_true(rec_was_zeroized(s, 5, 4));
	assert_int_equal(apbus_set_chkstop(s, 5, true), 0);
	assert_int_equal(matrix_device_reset(s, m), -EIO);
	/* v8 records nothing for the guest matrix's filter */
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].reset_rc, AP_RC_NORMAL);
	assert_int_equal(apbus_set_chkstop(s, 5, false), 0);
	assert_int_equal(apbus_set_usage_domain(s, 4, false), 0);
	assert_int_equal(matrix_device_reset(s, m), -EIO); /* rc 0x01: the queue is gone */
	sys_free(s);
}

/*
 * fact 11.3: with Guest1 running, adapter 7 is plugged into the guest only
 * when 07.0004 and 07.00ab are both bound to vfio_ap; unassigning it
 * unplugs it and zeroizes its queues.
 */
static void test_doc_11_3_hot_plug_needs_every_queue_of_the_adapter_bound(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;
	char buf[PAGE], text[256];

	(void)state;
	doc_hw(&hw);
	hw_adapter(&hw, 7, 6, AP_MODE_CCA);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(apbus_store_apmask(s, "-5,-6,-7", 8), 0);
	assert_int_equal(apbus_store_aqmask(s, "-4,-0x47,-0xab,-0xff", 20), 0);
	m = mdev_new(s, UUID1);
	assert_int_equal(config(s, m, config_text(text, ids(2, 5, 6), ids(2, 4, 0xab), ids(0))), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_int_equal(matrix_attach(s, m, 1), 0);
	assert_int_equal(apbus_unbind(s, AP_DRV_VFIO_AP, "07.00ab", 7), 0);
	rec_clear(s);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "7"), 0);
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n"
						 "07.0004\n07.00ab\n");
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "07.00ab", 7), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n"
						"07.0004\n07.00ab\n");
	assert_true(rec_of(s)->nupdate >= 1);
	rec_clear(s);
	assert_int_equal(assign(s, m, AP_KIND_ADAPTER, "7"), 0); /* again: nothing happens */
	assert_int_equal(rec_of(s)->nupdate, 0);
	assert_int_equal(unassign(s, m, AP_KIND_ADAPTER, "7\n"), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_true(rec_was_zeroized(s, 7, 4));
	assert_true(rec_was_zeroized(s, 7, 0xab));
	sys_free(s);
}

/* ---- the documentation's example (11.1) ---- */

/* Steps 3 and 4 on a system whose eight APQNs are free; returns the three mdevs. */
static void doc_configure(struct ap_system *s, struct ap_mdev *g[3])
{
	char buf[PAGE];

	g[0] = mdev_new(s, UUID1);
	g[1] = mdev_new(s, UUID2);
	g[2] = mdev_new(s, UUID3);
	assert_int_equal(matrix_available(s), 65536 - 3);
	assert_int_equal(assign(s, g[0], AP_KIND_ADAPTER, "5\n"), 0);
	assert_int_equal(assign(s, g[0], AP_KIND_ADAPTER, "6\n"), 0);
	assert_int_equal(assign(s, g[0], AP_KIND_DOMAIN, "4\n"), 0);
	assert_int_equal(assign(s, g[0], AP_KIND_DOMAIN, "0xab\n"), 0);
	assert_int_equal(assign(s, g[1], AP_KIND_ADAPTER, "5\n"), 0);
	assert_int_equal(assign(s, g[1], AP_KIND_DOMAIN, "0x47\n"), 0);
	assert_int_equal(assign(s, g[1], AP_KIND_DOMAIN, "0xff\n"), 0);
	assert_int_equal(assign(s, g[2], AP_KIND_ADAPTER, "6\n"), 0);
	assert_int_equal(assign(s, g[2], AP_KIND_DOMAIN, "0x47\n"), 0);
	assert_int_equal(assign(s, g[2], AP_KIND_DOMAIN, "0xff\n"), 0);
	assert_string_equal(show_matrix(g[0], buf), "05.0004\n05.00ab\n06.0004\n06.00ab\n");
	assert_string_equal(show_matrix(g[1], buf), "05.0047\n05.00ff\n");
	assert_string_equal(show_matrix(g[2], buf), "06.0047\n06.00ff\n");
	for (int i = 0; i < 3; i++) {
		char text[PAGE];

		assert_string_equal(show_guest(g[i], buf), show_matrix(g[i], text));
	}
	/* the examples of step 4: 05.0047 is Guest2's; 05.0047 and 05.00ff too */
	rec_clear(s);
	assert_assign_fails(s, g[0], AP_KIND_DOMAIN, "0x47\n", -EADDRINUSE);
	assert_true(rec_has_log(s, UUID1,
				"Userspace may not assign queue 05.0047 to mdev: "
				"already assigned to " UUID2));
	rec_clear(s);
	assert_assign_fails(s, g[2], AP_KIND_ADAPTER, "5\n", -EADDRINUSE);
	assert_int_equal(rec_of(s)->nlog, 2);
	assert_true(rec_has_log(s, UUID3,
				"Userspace may not assign queue 05.0047 to mdev: "
				"already assigned to " UUID2));
	assert_true(rec_has_log(s, UUID3,
				"Userspace may not assign queue 05.00ff to mdev: "
				"already assigned to " UUID2));
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(5, 0xab)), g[0]);
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(5, 0xff)), g[1]);
	assert_ptr_equal(matrix_apqn_owner(s, AP_APQN(6, 0x47)), g[2]);
}

static void test_doc_11_1_relative_masks_and_three_mdevs(void **state)
{
	static const char *const freed[] = {"05.0004", "05.0047", "05.00ab", "05.00ff",
					    "06.0004", "06.0047", "06.00ab", "06.00ff"};
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *g[3];
	char type[6];

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(machine_hwtype(&s->hw.adapter[5]), 11);
	machine_type_name(&s->hw.adapter[5], type);
	assert_string_equal(type, "CEX5C");
	machine_type_name(&s->hw.adapter[6], type);
	assert_string_equal(type, "CEX5A");
	assert_int_equal(apbus_store_apmask(s, "-5,-6\n", 6), 0);
	assert_int_equal(apbus_store_aqmask(s, "-4,-0x47,-0xab,-0xff\n", 21), 0);
	for (size_t i = 0; i < 8; i++) {
		unsigned int id;

		assert_int_equal(apbus_lookup_device(s, freed[i], 7, &id), 1);
		assert_int_equal(s->bus.queue[id].driver, AP_DRV_VFIO_AP);
	}
	doc_configure(s, g);
	for (size_t i = 0; i < 8; i++) {
		unsigned int id;

		assert_int_equal(apbus_lookup_device(s, freed[i], 7, &id), 1);
		assert_int_equal(matrix_queue_status(s, id), AP_QSTATUS_ASSIGNED);
	}
	/* step 5 and 6: run Guest1, then remove its mdev after shutdown */
	assert_int_equal(matrix_attach(s, g[0], 1), 0);
	assert_int_equal(matrix_queue_status(s, AP_APQN(6, 0xab)), AP_QSTATUS_IN_USE);
	matrix_detach(s, g[0]);
	assert_int_equal(matrix_remove_store(s, g[0], "1\n", 2), 0);
	assert_int_equal(matrix_available(s), 65536 - 2);
	/*
	 * Give the queues back (step 6): apmask alone reserves nothing new
	 * (their domains are still clear in aqmask); Guest1's domains come
	 * back, the domains Guest2 and Guest3 still hold cannot.
	 */
	assert_int_equal(apbus_store_apmask(s, "+5,+6\n", 6), 0);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].driver, AP_DRV_VFIO_AP);
	assert_int_equal(apbus_store_aqmask(s, "+4,+0xab\n", 9), 0);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].driver, AP_DRV_CEX4QUEUE);
	assert_int_equal(s->bus.queue[AP_APQN(6, 0xab)].driver, AP_DRV_CEX4QUEUE);
	rec_clear(s);
	assert_int_equal(apbus_store_aqmask(s, "+0x47,+0xff\n", 13), -EBUSY);
	assert_true(
	    rec_has_log(s, UUID2, "Can not reserve queue 05.0047 for host driver: in use by mdev"));
	assert_int_equal(s->bus.queue[AP_APQN(5, 0x47)].driver, AP_DRV_VFIO_AP);
	sys_free(s);
}

static void test_doc_11_1_absolute_masks_give_the_same_matrices(void **state)
{
	static const char apm[] =
	    "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n";
	static const char aqm[] =
	    "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\n";
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *g[3];
	char hex[AP_MASK_HEX_LEN];

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(apbus_store_apmask(s, apm, strlen(apm)), 0);
	assert_int_equal(apbus_store_aqmask(s, aqm, strlen(aqm)), 0);
	ap_mask_format(&s->bus.aqmask, hex);
	assert_memory_equal(hex, aqm, 66);
	doc_configure(s, g);
	sys_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create_accepts_36_or_37_bytes_in_cur),
	    cmocka_unit_test(test_create_upper_case_uuid_is_stored_in_lower_case),
	    cmocka_unit_test(test_find_name_compares_the_device_name_exactly),
	    cmocka_unit_test(test_create_rejects_bad_length_or_uuid_with_einval_in_cur),
	    cmocka_unit_test(test_create_v8_takes_36_or_37_bytes_too),
	    cmocka_unit_test(test_create_existing_uuid_is_eexist),
	    cmocka_unit_test(test_available_instances_start_at_65536_and_count_mdevs),
	    cmocka_unit_test(test_create_without_instances_left_is_eusers_in_cur),
	    cmocka_unit_test(test_create_without_instances_left_is_eperm_in_v8),
	    cmocka_unit_test(test_removed_uuids_are_gone_and_can_be_created_again),
	    cmocka_unit_test(test_remove_store_0_does_nothing_and_parse_errors_are_einval),
	    cmocka_unit_test(test_removed_mdev_frees_its_apqns_for_others),
	    cmocka_unit_test(test_remove_store_with_guest_is_einprogress_in_cur),
	    cmocka_unit_test(test_remove_store_with_guest_is_ebusy_in_v8),
	    cmocka_unit_test(test_assign_and_unassign_reject_unparsable_number_with_einval),
	    cmocka_unit_test(test_assign_and_unassign_reject_too_big_number_with_erange),
	    cmocka_unit_test(test_assign_parses_numbers_in_any_base),
	    cmocka_unit_test(test_assign_above_max_is_enodev_without_apxa),
	    cmocka_unit_test(test_assign_above_max_is_enodev_with_apxa),
	    cmocka_unit_test(test_assign_apqn_reserved_by_masks_is_eaddrnotavail),
	    cmocka_unit_test(test_assign_apqn_with_one_mask_bit_clear_is_accepted),
	    cmocka_unit_test(test_assign_over_provisioned_adapter_and_domain_is_accepted),
	    cmocka_unit_test(test_assign_adapter_rejects_shared_apqn),
	    cmocka_unit_test(test_assign_domain_rejects_shared_apqn),
	    cmocka_unit_test(test_assign_sharing_one_axis_only_is_accepted),
	    cmocka_unit_test(test_reassigning_assigned_id_succeeds_without_checks),
	    cmocka_unit_test(test_unassigning_unassigned_id_succeeds_and_changes_nothing),
	    cmocka_unit_test(test_unassign_takes_apqns_out_of_matrix_and_owner_index),
	    cmocka_unit_test(test_control_domains_need_no_reservation_or_exclusivity),
	    cmocka_unit_test(test_v8_assign_while_attached_is_ebusy_before_parsing),
	    cmocka_unit_test(test_v8_assign_needs_queues_bound_to_vfio_ap),
	    cmocka_unit_test(test_v8_reassign_checks_binding_again),
	    cmocka_unit_test(test_v8_assign_rejects_enodev_and_shared_apqn),
	    cmocka_unit_test(test_v8_shared_apqn_is_refused_without_a_kernel_message),
	    cmocka_unit_test(test_v8_unbinding_assigned_queue_leaves_guest_alone),
	    cmocka_unit_test(test_v8_has_no_ap_config),
	    cmocka_unit_test(test_ap_config_shows_apm_aqm_adm_of_the_assignment),
	    cmocka_unit_test(test_ap_config_store_adds_and_removes_assignments),
	    cmocka_unit_test(test_ap_config_store_rejects_missing_tokens_and_bad_masks),
	    cmocka_unit_test(test_ap_config_store_reserved_apqn_is_eaddrnotavail),
	    cmocka_unit_test(test_ap_config_store_shared_apqn_is_eaddrinuse),
	    cmocka_unit_test(test_ap_config_store_bits_above_limits_is_enodev),
	    cmocka_unit_test(test_matrix_shows_one_line_per_apqn_adapter_major),
	    cmocka_unit_test(test_matrix_shows_adapters_only_as_id_and_dot),
	    cmocka_unit_test(test_matrix_shows_domains_only_as_dot_and_id),
	    cmocka_unit_test(test_matrix_of_new_mdev_is_empty),
	    cmocka_unit_test(test_control_domains_show_one_four_digit_line_each),
	    cmocka_unit_test(test_matrix_of_every_apqn_is_cut_at_4095_bytes),
	    cmocka_unit_test(test_guest_matrix_leaves_out_adapters_and_domains_the_host_lacks),
	    cmocka_unit_test(test_guest_matrix_drops_adapter_with_a_queue_not_bound_to_vfio_ap),
	    cmocka_unit_test(test_guest_adm_is_assigned_adm_within_host_control_domains),
	    cmocka_unit_test(test_queue_status_is_unassigned_assigned_or_in_use),
	    cmocka_unit_test(test_queue_status_of_filtered_adapter_is_assigned),
	    cmocka_unit_test(test_attach_second_mdev_to_same_guest_is_eperm_in_cur),
	    cmocka_unit_test(test_attach_second_mdev_to_same_guest_installs_nothing_in_v8),
	    cmocka_unit_test(test_assign_to_attached_mdev_hot_plugs_and_updates_guest),
	    cmocka_unit_test(test_unassign_adapter_from_running_guest_zeroizes_its_queues),
	    cmocka_unit_test(test_ap_config_store_unplugs_removed_adapter_from_running_guest),
	    cmocka_unit_test(test_unbinding_guest_queue_unplugs_whole_adapter_and_zeroizes_it),
	    cmocka_unit_test(test_detach_zeroizes_the_mdevs_queues),
	    cmocka_unit_test(test_open_check_refuses_missing_removing_open_and_kvmless_mdev),
	    cmocka_unit_test(test_mdev_driver_bind_is_ebusy_for_an_mdev_enodev_else),
	    cmocka_unit_test(test_device_reset_zeroizes_linked_queues_and_records_rc),
	    cmocka_unit_test(test_v8_device_reset_zeroizes_every_assigned_apqn),
	    cmocka_unit_test(test_doc_11_3_hot_plug_needs_every_queue_of_the_adapter_bound),
	    cmocka_unit_test(test_doc_11_1_relative_masks_and_three_mdevs),
	    cmocka_unit_test(test_doc_11_1_absolute_masks_give_the_same_matrices),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
