/*
 * bus_test - unit tests for the AP bus model (bus.c, with matrix.c behind
 * its in_use/probe/remove callbacks).
 *
 * Invariants:
 * - a queue device is bound to cex4queue only while apmask AND aqmask
 *   reserve its APQN, and to vfio_ap only while they do not (today's
 *   kernel); the v8 ABI has no masks and every queue starts on cex4queue
 *   (facts 2.3, 3.11, 10);
 * - every store returns the kernel's errno, and a store that fails changes
 *   nothing: masks, bindings, the owner index, the mdevs' matrices, and no
 *   uevent or guest update is sent;
 * - a mask write that would reserve an APQN assigned to an mdev fails with
 *   EBUSY and logs "Can not reserve queue AA.DDDD for host driver: in use by
 *   mdev" once per such APQN; clearing bits never fails that way;
 * - hardware events (adapters, usage and control domains, check-stop)
 *   create and remove devices and re-filter the guest matrices, and never
 *   change what an administrator assigned (fact 3.10).
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

#define UUID1 "0b6b1c4e-5d4a-4f2e-9a61-000000000001"
#define UUID2 "0b6b1c4e-5d4a-4f2e-9a61-000000000002"

#define F8  "ffffffff"
#define F64 F8 F8 F8 F8 F8 F8 F8 F8
#define Z8  "00000000"
#define Z60 Z8 Z8 Z8 Z8 Z8 Z8 Z8 "0000"

/* Was the queue apqn reset (any kind) since the recorder was cleared? */
static bool rec_was_reset(struct ap_system *s, unsigned int apqn, bool zeroize)
{
	struct rec *r = rec_of(s);

	for (unsigned int i = 0; i < r->nreset && i < FX_NREC; i++)
		if (r->reset_apqn[i] == apqn && r->reset_zeroize[i] == zeroize)
			return true;
	return false;
}

/* The documentation's system, every queue still reserved for the host. */
static struct ap_system *doc_sys(enum ap_abi abi)
{
	struct ap_machine hw;

	doc_hw(&hw);
	return sys_new(abi, &hw, NULL, NULL, 0);
}

typedef int (*store_fn)(struct ap_system *, const char *, size_t);

static int put(store_fn fn, struct ap_system *s, const char *text)
{
	return fn(s, text, strlen(text));
}

static int bind_to(struct ap_system *s, enum ap_driver drv, const char *name)
{
	return apbus_bind(s, drv, name, strlen(name));
}

static int unbind_from(struct ap_system *s, enum ap_driver drv, const char *name)
{
	return apbus_unbind(s, drv, name, strlen(name));
}

static enum ap_driver drv(const struct ap_system *s, unsigned int apid, unsigned int apqi)
{
	return (enum ap_driver)s->bus.queue[AP_APQN(apid, apqi)].driver;
}

static void assign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned long id)
{
	assert_int_equal(matrix_assign_id(s, m, kind, id), 0);
}

static void assert_mask_hex(const struct ap_mask *m, const char *want)
{
	char hex[AP_MASK_HEX_LEN];

	ap_mask_format(m, hex);
	assert_string_equal(hex, want);
}

/* ---- "a failed store changes nothing" ---- */

/* A store that must fail with err and change nothing. */
static void assert_store_fails(store_fn fn, struct ap_system *s, const char *text, int err)
{
	struct snap *p = snap_take(s);

	assert_int_equal(put(fn, s, text), err);
	assert_unchanged(s, p);
}

/* Free the eight APQNs of the documentation's example (11.1 step 2, relative form). */
static void doc_free_queues(struct ap_system *s)
{
	assert_int_equal(put(apbus_store_apmask, s, "-5,-6\n"), 0);
	assert_int_equal(put(apbus_store_aqmask, s, "-4,-0x47,-0xab,-0xff\n"), 0);
}

/* ---- initial bindings ---- */

static void test_init_binds_cards_to_cex4card_and_reserved_queues_to_cex4queue(void **state)
{
	static const unsigned int doms[] = {4, 0x47, 0xab, 0xff};
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(s->bus.card[5].driver, AP_DRV_CEX4CARD);
	assert_int_equal(s->bus.card[6].driver, AP_DRV_CEX4CARD);
	assert_true(apbus_card_online(s, 5));
	for (unsigned int a = 5; a <= 6; a++) {
		for (unsigned int i = 0; i < 4; i++) {
			assert_int_equal(drv(s, a, doms[i]), AP_DRV_CEX4QUEUE);
			assert_true(apbus_queue_online(s, AP_APQN(a, doms[i])));
			assert_true(apbus_apqn_reserved(s, a, doms[i]));
		}
	}
	/* no masks given: both start all ones (fact 2.2) */
	assert_mask_hex(&s->bus.apmask, "0x" F64);
	assert_mask_hex(&s->bus.aqmask, "0x" F64);
	assert_false(apbus_queue_exists(s, 5, 5));
	assert_false(apbus_card_exists(s, 7));
	sys_free(s);
}

/* fact 2.2 / 11.2: ap.apmask=0xffff ap.aqmask=0x40 -> host pool adapters 0-15 x domain 1 */
static void test_init_binds_free_queues_to_vfio_ap_from_command_line_masks(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;

	(void)state;
	hw_init(&hw, false, 0, 0);
	hw_adapter(&hw, 0, 6, AP_MODE_CCA);
	hw_adapter(&hw, 15, 6, AP_MODE_CCA);
	hw_adapter(&hw, 16, 6, AP_MODE_ACCEL);
	for (unsigned int d = 0; d <= 2; d++)
		hw_domain(&hw, d);
	s = sys_new(AP_ABI_CUR, &hw, "0xffff", "0x40", 0);
	assert_int_equal(drv(s, 0, 1), AP_DRV_CEX4QUEUE);
	assert_int_equal(drv(s, 15, 1), AP_DRV_CEX4QUEUE);
	assert_int_equal(drv(s, 16, 1), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 0, 0), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 0, 2), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 15, 0), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 16, 2), AP_DRV_VFIO_AP);
	assert_int_equal(s->bus.card[16].driver, AP_DRV_CEX4CARD);
	assert_mask_hex(&s->bus.apmask, "0xffff" Z60);
	assert_mask_hex(&s->bus.aqmask, "0x40"
					"00" Z60);
	sys_free(s);
}

static void test_init_v8_binds_every_queue_to_cex4queue(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;

	(void)state;
	doc_hw(&hw);
	/* masks do not exist in v8: whatever is passed, the host owns everything */
	s = sys_new(AP_ABI_V8, &hw, "0x", "0x", 0);
	assert_false(apbus_has_masks(s));
	assert_int_equal(drv(s, 5, 4), AP_DRV_CEX4QUEUE);
	assert_int_equal(drv(s, 6, 0xff), AP_DRV_CEX4QUEUE);
	assert_true(apbus_apqn_reserved(s, 5, 4));
	sys_free(s);
}

static void test_init_picks_lowest_usage_domain_in_aqmask_as_default_domain(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;

	(void)state;
	doc_hw(&hw);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(s->bus.ap_domain, 4);
	sys_free(s);
	s = sys_new(AP_ABI_CUR, &hw, NULL, "0xf7" F8 F8 F8 F8 F8 F8 F8 "ffffff", 0);
	assert_int_equal(s->bus.ap_domain, 0x47);
	sys_free(s);
}

/* ---- bind / unbind ---- */

static void test_unbind_and_bind_reserved_queue_on_cex4queue(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0047"), 0);
	assert_int_equal(drv(s, 5, 0x47), AP_DRV_NONE);
	assert_true(apbus_queue_exists(s, 5, 0x47));
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0047"), 0);
	assert_int_equal(drv(s, 5, 0x47), AP_DRV_CEX4QUEUE);
	assert_true(apbus_queue_online(s, AP_APQN(5, 0x47)));
	sys_free(s);
}

static void test_unbind_and_bind_free_queue_on_vfio_ap(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	doc_free_queues(s);
	assert_int_equal(drv(s, 6, 0xab), AP_DRV_VFIO_AP);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "06.00ab"), 0);
	assert_int_equal(drv(s, 6, 0xab), AP_DRV_NONE);
	assert_int_equal(bind_to(s, AP_DRV_VFIO_AP, "06.00ab"), 0);
	assert_int_equal(drv(s, 6, 0xab), AP_DRV_VFIO_AP);
	sys_free(s);
}

static void test_unbind_and_bind_card_on_cex4card(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card05"), 0);
	assert_int_equal(s->bus.card[5].driver, AP_DRV_NONE);
	assert_true(apbus_card_exists(s, 5));
	assert_int_equal(drv(s, 5, 4), AP_DRV_CEX4QUEUE); /* queues keep their drivers */
	assert_int_equal(bind_to(s, AP_DRV_CEX4CARD, "card05"), 0);
	assert_int_equal(s->bus.card[5].driver, AP_DRV_CEX4CARD);
	sys_free(s);
}

/* Only the names the kernel gives: lower-case hex, two and four digits, domain below 0x100. */
static void test_parse_device_name_takes_exactly_the_kernels_names(void **state)
{
	static const struct {
		const char *name;
		int kind;
		unsigned int apid, apqi;
	} cases[] = {
	    {"card05", AP_DEVNAME_CARD, 0x05, 0},
	    {"cardff", AP_DEVNAME_CARD, 0xff, 0},
	    {"05.0047", AP_DEVNAME_QUEUE, 5, 0x47},
	    {"ff.00ff", AP_DEVNAME_QUEUE, 0xff, 0xff},
	    {"05", -EINVAL, 0, 0},
	    {"card5", -EINVAL, 0, 0},
	    {"card005", -EINVAL, 0, 0},
	    {"Card05", -EINVAL, 0, 0},
	    {"cardFF", -EINVAL, 0, 0},
	    {"05.004", -EINVAL, 0, 0},
	    {"05.00470", -EINVAL, 0, 0},
	    {"05:0047", -EINVAL, 0, 0},
	    {"0A.0047", -EINVAL, 0, 0},
	    {"05.0100", -EINVAL, 0, 0},
	    {"5.00047", -EINVAL, 0, 0},
	    {"", -EINVAL, 0, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned int apid = 0x1234, apqi = 0x5678;
		int r = apbus_parse_device_name(cases[i].name, strlen(cases[i].name), &apid, &apqi);

		assert_int_equal(r, cases[i].kind);
		assert_int_equal(apid, r < 0 ? 0x1234 : cases[i].apid);
		assert_int_equal(apqi, r == AP_DEVNAME_QUEUE ? cases[i].apqi : 0x5678);
	}
	/* len bounds the name: a bind write's newline is the caller's to drop */
	assert_int_equal(
	    apbus_parse_device_name("card05\n", 7, &(unsigned int){0}, &(unsigned int){0}),
	    -EINVAL);
	assert_int_equal(
	    apbus_parse_device_name("card05\n", 6, &(unsigned int){0}, &(unsigned int){0}),
	    AP_DEVNAME_CARD);
}

static void test_bind_unknown_device_is_enodev(void **state)
{
	static const char *const names[] = {
	    "07.0004", /* no adapter 7 */
	    "05.0005", /* not a usage domain */
	    "05.0100", "card07", "card5",   "card005", "05.4", "5.0004",   "05.00ab0", "05:00ab",
	    "05.00AB", "CARD05", "card0x5", "",	       "\n",   "05.00ab ", " 05.00ab",
	};
	static const enum ap_driver drivers[] = {AP_DRV_CEX4CARD, AP_DRV_CEX4QUEUE, AP_DRV_VFIO_AP};
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	/* make both 05.00ab and card05 bindable, so only the name can fail */
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.00ab"), 0);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card05"), 0);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		for (size_t j = 0; j < 3; j++) {
			struct snap *p = snap_take(s);

			if (bind_to(s, drivers[j], names[i]) != -ENODEV)
				fail_msg("bind \"%s\" to %s: not ENODEV", names[i],
					 apbus_driver_name(drivers[j]));
			assert_unchanged(s, p);
		}
	}
	sys_free(s);
}

static void test_bind_card_to_queue_driver_is_enodev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card05"), 0);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0004"), 0);
	p = snap_take(s);
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "card05"), -ENODEV);
	assert_int_equal(bind_to(s, AP_DRV_VFIO_AP, "card05"), -ENODEV);
	/* and a queue to the card driver */
	assert_int_equal(bind_to(s, AP_DRV_CEX4CARD, "05.0004"), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_bind_reserved_queue_to_vfio_ap_is_enodev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0004"), 0);
	p = snap_take(s);
	assert_int_equal(bind_to(s, AP_DRV_VFIO_AP, "05.0004"), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_bind_free_queue_to_cex4queue_is_enodev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	doc_free_queues(s);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "05.0004"), 0);
	p = snap_take(s);
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0004"), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_bind_bound_device_is_ebusy(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p = snap_take(s);

	(void)state;
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0004"), -EBUSY);
	/* the driver core refuses a bound device before the probe looks at it */
	assert_int_equal(bind_to(s, AP_DRV_VFIO_AP, "05.0004"), -EBUSY);
	assert_int_equal(bind_to(s, AP_DRV_CEX4CARD, "card05"), -EBUSY);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_unbind_from_wrong_driver_is_enodev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "06.00ff"), 0);
	p = snap_take(s);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "05.0004"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "05.0004"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "card05"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "card05"), -ENODEV);
	/* an unbound queue is bound to no driver at all */
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "06.00ff"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "06.00ff"), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_unbind_unknown_device_is_enodev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p = snap_take(s);

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "07.0004"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0005"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card07"), -ENODEV);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "bogus"), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_bind_and_unbind_accept_one_trailing_newline(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0004\n"), 0);
	assert_int_equal(drv(s, 5, 4), AP_DRV_NONE);
	p = snap_take(s);
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0004\n\n"), -ENODEV);
	assert_unchanged(s, p);
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0004\n"), 0);
	assert_int_equal(drv(s, 5, 4), AP_DRV_CEX4QUEUE);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card06\n"), 0);
	assert_int_equal(bind_to(s, AP_DRV_CEX4CARD, "card06\n"), 0);
	sys_free(s);
}

/* fact 2.5: unbinding zeroizes the queue, binding starts with a reset. */
static void test_unbind_zeroizes_and_bind_resets_the_queue(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0047"), 0);
	assert_true(rec_was_reset(s, AP_APQN(5, 0x47), true));
	rec_of(s)->nreset = 0;
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0047"), 0);
	assert_true(rec_was_reset(s, AP_APQN(5, 0x47), false));
	sys_free(s);
}

/* Principle 5: standby and check-stop discard what the adapter's queues held. */
static void test_deconfigure_and_chkstop_flush_the_adapters_queues(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	unsigned int d[] = {4, 0x47, 0xab, 0xff};

	(void)state;
	s->bus.queue[AP_APQN(5, 4)].irq = true;
	assert_int_equal(apbus_store_card_config(s, 5, "0", 1), 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_true(rec_was_reset(s, AP_APQN(5, d[i]), true));
	assert_false(rec_was_reset(s, AP_APQN(6, 4), true));
	assert_false(s->bus.queue[AP_APQN(5, 4)].irq);
	rec_of(s)->nreset = 0;
	assert_int_equal(apbus_set_chkstop(s, 6, true), 0);
	for (unsigned int i = 0; i < 4; i++)
		assert_true(rec_was_reset(s, AP_APQN(6, d[i]), true));
	sys_free(s);
}

/* fact 11.4 step 2: v8 gives a queue to vfio_ap by unbind + bind. */
static void test_v8_moves_queue_to_vfio_ap_by_unbind_and_bind(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);

	(void)state;
	assert_int_equal(unbind_from(s, AP_DRV_CEX4QUEUE, "05.0004\n"), 0);
	assert_int_equal(bind_to(s, AP_DRV_VFIO_AP, "05.0004\n"), 0);
	assert_int_equal(drv(s, 5, 4), AP_DRV_VFIO_AP);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "05.0004"), 0);
	assert_int_equal(bind_to(s, AP_DRV_CEX4QUEUE, "05.0004"), 0);
	assert_int_equal(drv(s, 5, 4), AP_DRV_CEX4QUEUE);
	/* 4.x's driver core answers ENODEV for a device that has a driver */
	assert_int_equal(bind_to(s, AP_DRV_VFIO_AP, "05.0004"), -ENODEV);
	sys_free(s);
}

/* ---- apmask / aqmask ---- */

static void test_apmask_relative_clear_moves_adapter_queues_to_vfio_ap(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5\n"), 0);
	assert_mask_hex(&s->bus.apmask, "0xfb"
					"ffffff" F8 F8 F8 F8 F8 F8 F8);
	assert_int_equal(drv(s, 5, 4), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 5, 0xff), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 6, 4), AP_DRV_CEX4QUEUE);
	assert_false(apbus_apqn_reserved(s, 5, 0x47));
	assert_true(apbus_apqn_reserved(s, 6, 0x47));
	/* each queue moves (unbind; the probe's bindings-complete; bind), then
	 * one change uevent on the bus carrying the new mask, newline included */
	assert_int_equal(r->nuevent, 4 * 3 + 1);
	assert_string_equal(r->uev_dev[0], "05.0004");
	assert_string_equal(r->uev_var[0], "DEVTYPE=ap_queue");
	assert_string_equal(r->uev_var[1], "BINDINGS=complete");
	assert_string_equal(r->uev_dev[12], "ap");
	assert_string_equal(r->uev_var[12], "APMASK=0xfb"
					    "ffffff" F8 F8 F8 F8 F8 F8 F8 "\n");
	sys_free(s);
}

static void test_apmask_relative_set_moves_queues_back_to_cex4queue(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5,-6"), 0);
	assert_int_equal(drv(s, 6, 0xab), AP_DRV_VFIO_AP);
	assert_int_equal(put(apbus_store_apmask, s, "+6"), 0);
	assert_int_equal(drv(s, 6, 0xab), AP_DRV_CEX4QUEUE);
	assert_int_equal(drv(s, 5, 0xab), AP_DRV_VFIO_AP);
	assert_int_equal(put(apbus_store_apmask, s, "+0-255"), 0);
	assert_int_equal(drv(s, 5, 0xab), AP_DRV_CEX4QUEUE);
	assert_mask_hex(&s->bus.apmask, "0x" F64);
	sys_free(s);
}

static void test_aqmask_absolute_form_moves_domain_queues(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct rec *r = rec_of(s);

	(void)state;
	/* absolute: only domain 0 stays reserved, so every existing queue goes */
	assert_int_equal(put(apbus_store_aqmask, s, "0x8\n"), 0);
	assert_mask_hex(&s->bus.aqmask, "0x80"
					"00" Z60);
	for (unsigned int a = 5; a <= 6; a++) {
		assert_int_equal(drv(s, a, 4), AP_DRV_VFIO_AP);
		assert_int_equal(drv(s, a, 0xff), AP_DRV_VFIO_AP);
	}
	assert_string_equal(r->uev_var[r->nuevent - 1], "AQMASK=0x80"
							"00" Z60 "\n");
	assert_int_equal(put(apbus_store_aqmask, s, "0x" F64), 0);
	assert_int_equal(drv(s, 5, 4), AP_DRV_CEX4QUEUE);
	assert_int_equal(drv(s, 6, 0xff), AP_DRV_CEX4QUEUE);
	sys_free(s);
}

static void test_mask_write_of_current_value_changes_nothing(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p = snap_take(s);

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "+5"), 0);
	assert_int_equal(put(apbus_store_aqmask, s, "0x" F64 "\n"), 0);
	assert_unchanged(s, p); /* no uevent either */
	sys_free(s);
}

static void test_mask_store_rejects_bad_syntax_and_changes_nothing(void **state)
{
	static const char *const bad[] = {
	    "+5,6",	  /* element without sign */
	    "-256",	  /* beyond the mask */
	    "+3-1",	  /* reversed range */
	    "+",	  /* number missing */
	    "-0x",	  /* no hex digit */
	    "-5 ",	  /* trailing space */
	    "5 ",	  /* absolute with trailing space */
	    "0xg",	  /* not hex */
	    "0x8,",	  /* absolute with a comma */
	    "0x8\n\n",	  /* two newlines */
	    "0x" F64 "f", /* 65 digits */
	};
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-6"), 0); /* start from a mixed state */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_store_fails(apbus_store_apmask, s, bad[i], -EINVAL);
		assert_store_fails(apbus_store_aqmask, s, bad[i], -EINVAL);
	}
	sys_free(s);
}

static void test_apmask_set_is_ebusy_when_new_apqn_is_assigned_to_mdev(void **state)
{
	char who[AP_UUID_STR_LEN + 1];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5"), 0);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_DOMAIN, 4);
	assign(s, m, AP_KIND_DOMAIN, 0x47);
	ap_uuid_format(m->uuid, who);
	assert_store_fails(apbus_store_apmask, s, "+5\n", -EBUSY);
	/* one warning per APQN, on the mdev (fact 2.3 step 4) */
	assert_int_equal(rec_of(s)->nlog, 2);
	assert_true(
	    rec_has_log(s, who, "Can not reserve queue 05.0004 for host driver: in use by mdev"));
	assert_true(
	    rec_has_log(s, who, "Can not reserve queue 05.0047 for host driver: in use by mdev"));
	/* the absolute form is checked the same way */
	assert_store_fails(apbus_store_apmask, s, "0x" F64, -EBUSY);
	sys_free(s);
}

static void test_aqmask_set_is_ebusy_when_new_apqn_is_assigned_to_mdev(void **state)
{
	char who[AP_UUID_STR_LEN + 1];
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	/* apmask stays all ones: 05.0004 is free because aqmask lacks 4 */
	assert_int_equal(put(apbus_store_aqmask, s, "-4"), 0);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_DOMAIN, 4);
	ap_uuid_format(m->uuid, who);
	assert_store_fails(apbus_store_aqmask, s, "+0-255", -EBUSY);
	assert_int_equal(rec_of(s)->nlog, 1);
	assert_true(
	    rec_has_log(s, who, "Can not reserve queue 05.0004 for host driver: in use by mdev"));
	sys_free(s);
}

static void test_mask_clearing_bits_is_never_ebusy(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5"), 0);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_DOMAIN, 4);
	assert_int_equal(put(apbus_store_apmask, s, "-6"), 0);
	assert_int_equal(put(apbus_store_aqmask, s, "-4,-0x47"), 0);
	assert_int_equal(put(apbus_store_apmask, s, "0x"), 0); /* absolute, all clear */
	/* setting a bit no mdev APQN depends on is fine too */
	assert_int_equal(put(apbus_store_apmask, s, "+6"), 0);
	assert_int_equal(drv(s, 6, 0xab), AP_DRV_CEX4QUEUE);
	assert_int_equal(rec_of(s)->nlog, 0);
	sys_free(s);
}

/* An mdev with adapters but no domains holds no APQN: nothing is in use. */
static void test_mask_set_succeeds_for_adapter_without_domains(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5"), 0);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assert_int_equal(put(apbus_store_apmask, s, "+5"), 0);
	assert_int_equal(drv(s, 5, 4), AP_DRV_CEX4QUEUE);
	sys_free(s);
}

static void test_v8_has_no_apmask_or_aqmask(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_V8);
	struct snap *p = snap_take(s);

	(void)state;
	assert_false(apbus_has_masks(s));
	assert_true(put(apbus_store_apmask, s, "-5") < 0);
	assert_true(put(apbus_store_aqmask, s, "0x") < 0);
	assert_unchanged(s, p);
	sys_free(s);
}

/* fact 11.1 step 2: both forms free the same queues: every queue of 5 and 6,
 * and every queue of domains 4/0x47/0xab/0xff on any adapter. */
static void test_doc_11_1_relative_and_absolute_masks_free_the_same_queues(void **state)
{
	static const char apm_abs[] =
	    "0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";
	static const char aqm_abs[] =
	    "0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe";
	struct ap_machine hw;
	struct ap_system *rel, *abs;

	(void)state;
	doc_hw(&hw);
	hw_adapter(&hw, 7, 6, AP_MODE_ACCEL);
	hw_domain(&hw, 0x10);
	rel = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	abs = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	doc_free_queues(rel);
	assert_int_equal(put(apbus_store_apmask, abs, apm_abs), 0);
	assert_int_equal(put(apbus_store_aqmask, abs, aqm_abs), 0);
	assert_mask_hex(&rel->bus.apmask, apm_abs);
	assert_mask_hex(&rel->bus.aqmask, aqm_abs);
	assert_memory_equal(&abs->bus.apmask, &rel->bus.apmask, sizeof(struct ap_mask));
	assert_memory_equal(&abs->bus.aqmask, &rel->bus.aqmask, sizeof(struct ap_mask));
	for (unsigned int a = 5; a <= 7; a++) {
		static const unsigned int doms[] = {4, 0x10, 0x47, 0xab, 0xff};

		for (unsigned int i = 0; i < 5; i++) {
			enum ap_driver want =
			    a == 7 && doms[i] == 0x10 ? AP_DRV_CEX4QUEUE : AP_DRV_VFIO_AP;

			assert_int_equal(drv(rel, a, doms[i]), want);
			assert_int_equal(drv(abs, a, doms[i]), want);
		}
	}
	sys_free(rel);
	sys_free(abs);
}

/* fact 11.2: apmask 0x7d00..., aqmask 0x8000...: (1,0) (2,0) (3,0) (4,0) (5,0) (7,0) for the host.
 */
static void test_doc_11_2_masks_reserve_exactly_the_listed_apqns(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;

	(void)state;
	hw_init(&hw, false, 0, 0);
	for (unsigned int a = 0; a <= 8; a++)
		hw_adapter(&hw, a, 7, AP_MODE_CCA);
	for (unsigned int d = 0; d <= 2; d++)
		hw_domain(&hw, d);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(put(apbus_store_apmask, s,
			     "0x7d"
			     "00" Z60),
			 0);
	assert_int_equal(put(apbus_store_aqmask, s,
			     "0x80"
			     "00" Z60),
			 0);
	for (unsigned int a = 0; a <= 8; a++) {
		for (unsigned int d = 0; d <= 2; d++) {
			bool host = d == 0 && a >= 1 && a <= 7 && a != 6;

			if (drv(s, a, d) != (host ? AP_DRV_CEX4QUEUE : AP_DRV_VFIO_AP))
				fail_msg("queue %02x.%04x bound to %s", a, d,
					 apbus_driver_name(drv(s, a, d)));
		}
	}
	sys_free(s);
}

static void test_doc_11_2_short_mask_is_left_aligned(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;

	(void)state;
	hw_init(&hw, false, 0, 0);
	for (unsigned int a = 0; a <= 8; a++)
		hw_adapter(&hw, a, 7, AP_MODE_CCA);
	hw_domain(&hw, 0);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(put(apbus_store_apmask, s, "0x41"), 0); /* IDs 1 and 7 */
	for (unsigned int a = 0; a <= 8; a++)
		assert_int_equal(drv(s, a, 0),
				 a == 1 || a == 7 ? AP_DRV_CEX4QUEUE : AP_DRV_VFIO_AP);
	sys_free(s);
}

static void test_doc_11_2_relative_list_sets_and_clears_ids(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mask want;

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "0x02"), 0); /* only 6 */
	assert_int_equal(put(apbus_store_apmask, s, "+0xf0"), 0);
	assert_int_equal(put(apbus_store_apmask, s, "+0,-6,+0x47,-0xf0"), 0);
	ap_mask_zero(&want);
	ap_mask_set(&want, 0);
	ap_mask_set(&want, 71);
	assert_memory_equal(&s->bus.apmask, &want, sizeof(want));
	assert_int_equal(drv(s, 6, 4), AP_DRV_VFIO_AP);
	assert_store_fails(apbus_store_apmask, s, "0x" F64 "0", -EINVAL); /* longer than the mask */
	sys_free(s);
}

static void test_doc_11_2_ebusy_logs_the_apqn_taken_from_an_mdev(void **state)
{
	char who[AP_UUID_STR_LEN + 1];
	struct ap_machine hw;
	struct ap_system *s;
	struct ap_mdev *m;

	(void)state;
	doc_hw(&hw);
	hw_domain(&hw, 0x54);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_int_equal(put(apbus_store_aqmask, s, "-0x54"), 0);
	m = mdev_new(s, UUID2);
	assign(s, m, AP_KIND_DOMAIN, 0x54);
	assign(s, m, AP_KIND_ADAPTER, 5);
	ap_uuid_format(m->uuid, who);
	assert_store_fails(apbus_store_aqmask, s, "+0x54", -EBUSY);
	assert_int_equal(rec_of(s)->nlog, 1);
	assert_true(
	    rec_has_log(s, who, "Can not reserve queue 05.0054 for host driver: in use by mdev"));
	sys_free(s);
}

/* ---- bus attributes ---- */

/* ---- the bus attributes' stores, table-driven ---- */

enum bus_attr { ATTR_AP_DOMAIN, ATTR_CONFIG_TIME, ATTR_POLL_THREAD, ATTR_POLL_TIMEOUT };

static unsigned long long attr_get(const struct ap_system *s, enum bus_attr a)
{
	switch (a) {
	case ATTR_AP_DOMAIN:
		return (unsigned long long)s->bus.ap_domain;
	case ATTR_CONFIG_TIME:
		return (unsigned long long)s->bus.config_time;
	case ATTR_POLL_THREAD:
		return s->bus.poll_thread;
	case ATTR_POLL_TIMEOUT:
		return s->bus.poll_timeout;
	}
	return 0;
}

static void attr_set(struct ap_system *s, enum bus_attr a, unsigned long long v)
{
	switch (a) {
	case ATTR_AP_DOMAIN:
		s->bus.ap_domain = (int)v;
		break;
	case ATTR_CONFIG_TIME:
		s->bus.config_time = (int)v;
		break;
	case ATTR_POLL_THREAD:
		s->bus.poll_thread = v != 0;
		break;
	case ATTR_POLL_TIMEOUT:
		s->bus.poll_timeout = v;
		break;
	}
}

/* Storing text fails with err and changes nothing, or (err 0) the attribute
 * then reads want. A NULL text stores nothing: the attribute reads want. */
struct store_case {
	const char *text;
	int err;
	unsigned long long want;
};

/* The cases of one attribute in one ABI, run in order on one system. */
struct store_table {
	const char *attr_name;
	enum bus_attr attr;
	store_fn store;
	enum ap_abi abi;
	const struct store_case *cases;
	size_t ncases;
};

static void test_bus_attribute_store(void **state)
{
	const struct store_table *t = *state;
	struct ap_system *s = doc_sys(t->abi);

	for (size_t i = 0; i < t->ncases; i++) {
		const struct store_case *c = &t->cases[i];
		int r;

		if (c->err) {
			struct snap *p = snap_take(s);

			if ((r = put(t->store, s, c->text)) != c->err)
				fail_msg("%s \"%s\": %d, want %d", t->attr_name, c->text, r,
					 c->err);
			assert_unchanged(s, p);
			continue;
		}
		if (c->text) {
			attr_set(s, t->attr, c->want ^ 1); /* so that only the store can set want */
			if ((r = put(t->store, s, c->text)) != 0)
				fail_msg("%s \"%s\": %d, want 0", t->attr_name, c->text, r);
		}
		if (attr_get(s, t->attr) != c->want)
			fail_msg("%s after \"%s\": %llu, want %llu", t->attr_name,
				 c->text ? c->text : "(nothing)", attr_get(s, t->attr), c->want);
	}
	sys_free(s);
}

#define CASES(a) (a), sizeof(a) / sizeof((a)[0])

/* %i as the kernel's vsscanf reads it: any base, the rest ignored, a '-' but no '+' */
static const struct store_case ap_domain_scanf_cases[] = {
    {"0x47\n", 0, 0x47}, {"0253", 0, 0xab}, /* octal 171 */
    {" 255", 0, 255},	 {"4 and more", 0, 4},
    {"9", 0, 9}, /* a domain need not be a usage domain of the machine */
    {"+9", -EINVAL, 0},
};

static const struct store_case config_time_cases[] = {
    {NULL, 0, 30},	 {"5\n", 0, 5},	      {"120", 0, 120},	   {"4", -EINVAL, 0},
    {"121", -EINVAL, 0}, {"-30", -EINVAL, 0}, {"abc", -EINVAL, 0}, {"", -EINVAL, 0},
};

static const struct store_case poll_thread_cur_cases[] = {
    {"1", 0, 1},	{"y", 0, 1},	    {"Y\n", 0, 1},    {"yes", 0, 1},	 {"t", 0, 1},
    {"on", 0, 1},	{"ON", 0, 1},	    {"0", 0, 0},      {"n", 0, 0},	 {"N", 0, 0},
    {"no", 0, 0},	{"f", 0, 0},	    {"off", 0, 0},    {"oF\n", 0, 0},	 {"2", -EINVAL, 0},
    {"5", -EINVAL, 0},	{"-1", -EINVAL, 0}, {"", -EINVAL, 0}, {"x", -EINVAL, 0}, {"o", -EINVAL, 0},
    {"\n", -EINVAL, 0},
};

static const struct store_case poll_thread_v8_cases[] = {
    {"5\n", 0, 1}, {"0", 0, 0}, {"1", 0, 1}, {"y", -EINVAL, 0}, {"on", -EINVAL, 0},
};

/* today's kernel: kstrtoul, 0 .. 120 s; 4.x: %llu, 1 .. 120 s */
static const struct store_case poll_timeout_cur_cases[] = {
    {"0", 0, 0},
    {"0x10", 0, 16},
    {"120000000000\n", 0, 120000000000ULL},
    {"120000000001", -EINVAL, 0},
    {"5 ", -EINVAL, 0},
    {"abc", -EINVAL, 0},
    {"-5", -EINVAL, 0},
    {"99999999999999999999", -ERANGE, 0},
};

static const struct store_case poll_timeout_v8_cases[] = {
    {"5 junk", 0, 5},
    {"0", -EINVAL, 0},
    {"120000000001", -EINVAL, 0},
};

static struct store_table ap_domain_scanf = {"ap_domain", ATTR_AP_DOMAIN, apbus_store_ap_domain,
					     AP_ABI_CUR, CASES(ap_domain_scanf_cases)};
static struct store_table config_time = {"config_time", ATTR_CONFIG_TIME, apbus_store_config_time,
					 AP_ABI_CUR, CASES(config_time_cases)};
static struct store_table poll_thread_cur = {"poll_thread", ATTR_POLL_THREAD,
					     apbus_store_poll_thread, AP_ABI_CUR,
					     CASES(poll_thread_cur_cases)};
static struct store_table poll_thread_v8 = {"poll_thread", ATTR_POLL_THREAD,
					    apbus_store_poll_thread, AP_ABI_V8,
					    CASES(poll_thread_v8_cases)};
static struct store_table poll_timeout_cur = {"poll_timeout", ATTR_POLL_TIMEOUT,
					      apbus_store_poll_timeout, AP_ABI_CUR,
					      CASES(poll_timeout_cur_cases)};
static struct store_table poll_timeout_v8 = {"poll_timeout", ATTR_POLL_TIMEOUT,
					     apbus_store_poll_timeout, AP_ABI_V8,
					     CASES(poll_timeout_v8_cases)};

/* One named cmocka case per table. */
#define STORE_TEST(test, table)                                                                    \
	{                                                                                          \
		.name = #test, .test_func = test_bus_attribute_store, .initial_state = &(table)    \
	}

static void test_ap_domain_rejects_out_of_range_and_garbage(void **state)
{
	struct ap_machine hw;
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_store_fails(apbus_store_ap_domain, s, "-1", -EINVAL);
	assert_store_fails(apbus_store_ap_domain, s, "256", -EINVAL);
	assert_store_fails(apbus_store_ap_domain, s, "x", -EINVAL);
	assert_store_fails(apbus_store_ap_domain, s, "", -EINVAL);
	sys_free(s);

	hw_init(&hw, false, 0, 0);
	hw_adapter(&hw, 1, 5, AP_MODE_CCA);
	hw_domain(&hw, 15);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	assert_store_fails(apbus_store_ap_domain, s, "16", -EINVAL); /* ap_max_domain_id 15 */
	assert_int_equal(put(apbus_store_ap_domain, s, "15"), 0);
	sys_free(s);
}

static void test_ap_domain_must_be_in_aqmask_in_cur_only(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(put(apbus_store_aqmask, s, "-0x47"), 0);
	assert_store_fails(apbus_store_ap_domain, s, "0x47", -EINVAL);
	assert_int_equal(put(apbus_store_ap_domain, s, "0xab"), 0);
	sys_free(s);

	s = doc_sys(AP_ABI_V8);
	assert_int_equal(put(apbus_store_ap_domain, s, "0x47"), 0);
	assert_int_equal(s->bus.ap_domain, 0x47);
	sys_free(s);
}

static void test_scans_write_forces_one_rescan(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	unsigned long long before = s->bus.scans;

	(void)state;
	assert_int_equal(put(apbus_store_scans, s, "1\n"), 0);
	assert_true(s->bus.scans == before + 1);
	assert_int_equal(put(apbus_store_scans, s, "anything"), 0);
	assert_true(s->bus.scans == before + 2);
	sys_free(s);
}

static void test_bindings_count_bound_and_all_queue_devices(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	unsigned int bound, total;

	(void)state;
	assert_true(apbus_bindings(s, &bound, &total)); /* complete */
	assert_int_equal(bound, 8);
	assert_int_equal(total, 8);
	doc_free_queues(s); /* queues on vfio_ap are bound too */
	assert_true(apbus_bindings(s, &bound, &total));
	assert_int_equal(bound, 8);
	assert_int_equal(total, 8);
	assert_int_equal(unbind_from(s, AP_DRV_VFIO_AP, "06.00ff"), 0);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card05"), 0); /* cards do not count */
	assert_false(apbus_bindings(s, &bound, &total));
	assert_int_equal(bound, 7);
	assert_int_equal(total, 8);
	/* before the first scan nothing is complete */
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "06.00ff", 7), 0);
	s->bus.scans = 0;
	assert_false(apbus_bindings(s, &bound, &total));
	assert_int_equal(bound, 8);
	sys_free(s);
}

/* ---- card and queue attributes ---- */

static void test_card_config_0_deconfigures_and_1_configures(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(apbus_store_card_config(s, 5, "0\n", 2), 0);
	assert_false(s->hw.adapter[5].configured);
	assert_true(apbus_card_exists(s, 5));
	assert_false(apbus_card_online(s, 5));
	assert_false(apbus_queue_online(s, AP_APQN(5, 4)));
	assert_int_equal(machine_queue_rc(&s->hw.adapter[5]), AP_RC_DECONFIGURED);
	/* the card's event, then the scan's, one per queue */
	assert_int_equal(r->nuevent, 5);
	assert_string_equal(r->uev_dev[0], "card05");
	assert_string_equal(r->uev_var[0], "CONFIG=0");
	assert_string_equal(r->uev_dev[1], "05.0004");
	assert_string_equal(r->uev_var[4], "CONFIG=0");
	assert_int_equal(apbus_store_card_config(s, 5, "1", 1), 0);
	assert_true(s->hw.adapter[5].configured);
	assert_true(apbus_card_online(s, 5)); /* zcrypt's online flag was kept */
	assert_true(apbus_queue_online(s, AP_APQN(5, 4)));
	assert_string_equal(r->uev_var[5], "CONFIG=1");
	assert_string_equal(r->uev_dev[9], "05.00ff");
	sys_free(s);
}

/*
 * The kernel's config_store (ap_card.c) sends the CONFIG uevent on every
 * accepted write, also when the state does not change.
 */
static void test_card_config_write_sends_uevent_even_when_unchanged(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(apbus_store_card_config(s, 5, "1\n", 2), 0);
	assert_true(s->hw.adapter[5].configured);
	assert_int_equal(r->nuevent, 1);
	assert_string_equal(r->uev_dev[0], "card05");
	assert_string_equal(r->uev_var[0], "CONFIG=1");
	sys_free(s);
}

static void test_card_config_rejects_non_01_and_unknown_card(void **state)
{
	static const char *const bad[] = {"2", "-1", "x", "", "on"};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		p = snap_take(s);
		assert_int_equal(apbus_store_card_config(s, 5, bad[i], strlen(bad[i])), -EINVAL);
		assert_unchanged(s, p);
	}
	p = snap_take(s);
	assert_int_equal(apbus_store_card_config(s, 7, "0", 1), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_card_online_0_takes_card_and_its_queues_offline(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);

	(void)state;
	assert_int_equal(apbus_store_card_online(s, 6, "0\n", 2), 0);
	assert_false(apbus_card_online(s, 6));
	assert_false(apbus_queue_online(s, AP_APQN(6, 4)));
	assert_false(apbus_queue_online(s, AP_APQN(6, 0xff)));
	assert_true(apbus_queue_online(s, AP_APQN(5, 4)));
	assert_string_equal(rec_of(s)->uev_var[0], "ONLINE=0");
	assert_int_equal(apbus_store_card_online(s, 6, "1", 1), 0);
	assert_true(apbus_card_online(s, 6));
	assert_true(apbus_queue_online(s, AP_APQN(6, 4)));
	sys_free(s);
}

static void test_card_online_1_on_deconfigured_or_chkstopped_card_is_enodev(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	assert_int_equal(apbus_store_card_config(s, 5, "0", 1), 0);
	p = snap_take(s);
	assert_int_equal(apbus_store_card_online(s, 5, "1", 1), -ENODEV);
	assert_unchanged(s, p);
	assert_int_equal(apbus_store_card_online(s, 5, "0", 1), 0); /* going offline is fine */
	assert_int_equal(apbus_store_card_config(s, 5, "1", 1), 0);
	assert_int_equal(apbus_set_chkstop(s, 6, true), 0);
	p = snap_take(s);
	assert_int_equal(apbus_store_card_online(s, 6, "1", 1), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_card_online_rejects_non_01_and_needs_cex4card(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p = snap_take(s);

	(void)state;
	assert_int_equal(apbus_store_card_online(s, 5, "2", 1), -EINVAL);
	assert_int_equal(apbus_store_card_online(s, 5, "", 0), -EINVAL);
	assert_int_equal(apbus_store_card_online(s, 7, "1", 1), -ENODEV);
	assert_unchanged(s, p);
	assert_int_equal(unbind_from(s, AP_DRV_CEX4CARD, "card05"), 0);
	p = snap_take(s);
	assert_int_equal(apbus_store_card_online(s, 5, "0", 1), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_queue_online_follows_card_and_adapter_state(void **state)
{
	unsigned int q = AP_APQN(5, 0x47);
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	assert_int_equal(apbus_store_queue_online(s, q, "0\n", 2), 0);
	assert_false(apbus_queue_online(s, q));
	assert_true(apbus_card_online(s, 5));
	assert_int_equal(apbus_store_queue_online(s, q, "1", 1), 0);
	assert_true(apbus_queue_online(s, q));
	p = snap_take(s);
	assert_int_equal(apbus_store_queue_online(s, q, "2", 1), -EINVAL);
	assert_int_equal(apbus_store_queue_online(s, q, "y", 1), -EINVAL);
	assert_unchanged(s, p);
	/* card offline: a queue cannot go online on its own */
	assert_int_equal(apbus_store_card_online(s, 5, "0", 1), 0);
	p = snap_take(s);
	assert_int_equal(apbus_store_queue_online(s, q, "1", 1), -EINVAL);
	assert_unchanged(s, p);
	/* adapter deconfigured: ENODEV */
	assert_int_equal(apbus_store_card_config(s, 5, "0", 1), 0);
	p = snap_take(s);
	assert_int_equal(apbus_store_queue_online(s, q, "1", 1), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_queue_online_needs_cex4queue(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p;

	(void)state;
	doc_free_queues(s);
	p = snap_take(s);
	assert_int_equal(apbus_store_queue_online(s, AP_APQN(5, 4), "1", 1), -ENODEV);
	assert_int_equal(apbus_store_queue_online(s, AP_APQN(5, 5), "1", 1), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

/* ---- hardware events ---- */

static void test_add_adapter_event_creates_devices_probed_by_reservation(void **state)
{
	struct ap_adapter_desc d = {
	    .id = 7, .gen = 6, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	unsigned long long scans = s->bus.scans;
	unsigned int bound, total;

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-7"), 0); /* an adapter not there yet */
	assert_int_equal(apbus_add_adapter(s, &d), 0);
	assert_true(apbus_card_exists(s, 7));
	assert_int_equal(s->bus.card[7].driver, AP_DRV_CEX4CARD);
	assert_int_equal(drv(s, 7, 4), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 7, 0xff), AP_DRV_VFIO_AP);
	assert_true(s->bus.scans > scans);
	apbus_bindings(s, &bound, &total);
	assert_int_equal(bound, 12);
	assert_int_equal(total, 12);
	sys_free(s);
}

static void test_add_adapter_event_rejects_bad_or_duplicate_adapter(void **state)
{
	struct ap_adapter_desc d = {
	    .id = 5, .gen = 6, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct snap *p = snap_take(s);

	(void)state;
	assert_int_equal(apbus_add_adapter(s, &d), -EEXIST);
	d.id = 7;
	d.gen = 3;
	assert_int_equal(apbus_add_adapter(s, &d), -EINVAL);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_add_adapter_event_plugs_assigned_adapter_into_guest(void **state)
{
	struct ap_adapter_desc d = {
	    .id = 7, .gen = 6, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct rec *r = rec_of(s);
	struct ap_mdev *m;
	char buf[4096];

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5,-7"), 0);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_ADAPTER, 7); /* over-provisioned */
	assign(s, m, AP_KIND_DOMAIN, 4);
	assert_int_equal(matrix_attach(s, m, 1), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n");
	r->nupdate = 0;
	assert_int_equal(apbus_add_adapter(s, &d), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n07.0004\n");
	assert_string_equal(show_matrix(m, buf), "05.0004\n07.0004\n");
	assert_true(r->nupdate >= 1);
	assert_true(ap_mask_test(&r->upd_apm[r->nupdate - 1], 7));
	sys_free(s);
}

static void test_remove_adapter_event_removes_devices_and_unplugs_from_guest(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;
	unsigned int bound, total;
	char buf[4096];
	struct snap *p;

	(void)state;
	doc_free_queues(s);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_ADAPTER, 6);
	assign(s, m, AP_KIND_DOMAIN, 4);
	assert_int_equal(matrix_attach(s, m, 1), 0);
	assert_int_equal(apbus_remove_adapter(s, 6), 0);
	assert_false(apbus_card_exists(s, 6));
	assert_false(apbus_queue_exists(s, 6, 4));
	apbus_bindings(s, &bound, &total);
	assert_int_equal(bound, 4);
	assert_int_equal(total, 4);
	assert_string_equal(show_guest(m, buf), "05.0004\n");
	assert_string_equal(show_matrix(m, buf), "05.0004\n06.0004\n"); /* assignment stays */
	p = snap_take(s);
	assert_int_equal(apbus_remove_adapter(s, 6), -ENODEV);
	assert_int_equal(apbus_remove_adapter(s, 7), -ENODEV);
	assert_int_equal(apbus_set_chkstop(s, 7, true), -ENODEV);
	assert_unchanged(s, p);
	sys_free(s);
}

static void test_usage_domain_off_and_on_removes_and_restores_queues(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;
	char buf[4096];

	(void)state;
	doc_free_queues(s);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_DOMAIN, 4);
	assign(s, m, AP_KIND_DOMAIN, 0x47);
	assert_int_equal(apbus_set_usage_domain(s, 0x47, false), 0);
	assert_false(apbus_queue_exists(s, 5, 0x47));
	assert_false(apbus_queue_exists(s, 6, 0x47));
	assert_string_equal(show_guest(m, buf), "05.0004\n");
	assert_string_equal(show_matrix(m, buf), "05.0004\n05.0047\n");
	assert_int_equal(apbus_set_usage_domain(s, 0x47, true), 0);
	assert_true(apbus_queue_exists(s, 5, 0x47));
	assert_int_equal(drv(s, 5, 0x47), AP_DRV_VFIO_AP);
	assert_int_equal(drv(s, 6, 0x47), AP_DRV_VFIO_AP);
	assert_string_equal(show_guest(m, buf), "05.0004\n05.0047\n");
	sys_free(s);
}

/*
 * fact 3.10: a domain leaving the host configuration is removed from the
 * guests' shadows when the bus notices the configuration change, before the
 * scan removes its queue devices; its adapters stay in the guest, and only
 * the domain's own queues are reset.
 */
static void test_usage_domain_removal_keeps_adapters_and_other_queues_in_guest(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct rec *r = rec_of(s);
	struct ap_mdev *m;
	char buf[4096];

	(void)state;
	doc_free_queues(s);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 5);
	assign(s, m, AP_KIND_ADAPTER, 6);
	assign(s, m, AP_KIND_DOMAIN, 4);
	assign(s, m, AP_KIND_DOMAIN, 0x47);
	assert_int_equal(matrix_attach(s, m, 1), 0);
	r->nupdate = 0;
	r->nreset = 0;
	assert_int_equal(apbus_set_usage_domain(s, 0x47, false), 0);
	assert_string_equal(show_guest(m, buf), "05.0004\n06.0004\n");
	assert_true(r->nupdate >= 1);
	for (unsigned int i = 0; i < r->nupdate && i < 64; i++) {
		if (!ap_mask_test(&r->upd_apm[i], 5) || !ap_mask_test(&r->upd_apm[i], 6))
			fail_msg("guest update %u of %u took adapter %u out of the guest", i + 1,
				 r->nupdate, ap_mask_test(&r->upd_apm[i], 5) ? 6 : 5);
	}
	for (unsigned int i = 0; i < r->nreset && i < FX_NREC; i++) {
		if (AP_APQN_APQI(r->reset_apqn[i]) != 0x47)
			fail_msg("queue %02x.%04x of the guest was reset",
				 AP_APQN_APID(r->reset_apqn[i]), AP_APQN_APQI(r->reset_apqn[i]));
	}
	sys_free(s);
}

static void test_usage_domain_above_limit_is_einval(void **state)
{
	struct ap_machine hw;
	struct ap_system *s;
	struct snap *p;

	(void)state;
	hw_init(&hw, false, 0, 0);
	hw_adapter(&hw, 1, 5, AP_MODE_CCA);
	hw_domain(&hw, 2);
	s = sys_new(AP_ABI_CUR, &hw, NULL, NULL, 0);
	p = snap_take(s);
	assert_int_equal(apbus_set_usage_domain(s, 16, true), -EINVAL);
	assert_int_equal(apbus_set_control_domain(s, 16, true), -EINVAL);
	assert_unchanged(s, p);
	assert_int_equal(apbus_set_usage_domain(s, 15, true), 0);
	assert_true(apbus_queue_exists(s, 1, 15));
	assert_int_equal(drv(s, 1, 15), AP_DRV_CEX4QUEUE);
	sys_free(s);
}

static void test_chkstop_keeps_devices_and_takes_card_offline(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;
	char buf[4096];

	(void)state;
	doc_free_queues(s);
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_ADAPTER, 6);
	assign(s, m, AP_KIND_DOMAIN, 4);
	assert_int_equal(apbus_set_chkstop(s, 6, true), 0);
	assert_true(apbus_card_exists(s, 6));
	assert_true(apbus_queue_exists(s, 6, 4));
	assert_int_equal(drv(s, 6, 4), AP_DRV_VFIO_AP);
	assert_false(apbus_card_online(s, 6));
	assert_int_equal(machine_queue_rc(&s->hw.adapter[6]), AP_RC_CHECKSTOPPED);
	/* the last reset passed: the adapter stays in the guest matrix */
	assert_string_equal(show_guest(m, buf), "06.0004\n");
	assert_int_equal(apbus_set_chkstop(s, 6, false), 0);
	assert_true(apbus_card_online(s, 6));
	sys_free(s);
}

static void test_control_domain_event_refilters_guest_adm(void **state)
{
	struct ap_system *s = doc_sys(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	m = mdev_new(s, UUID1);
	assign(s, m, AP_KIND_CONTROL, 4);
	assign(s, m, AP_KIND_CONTROL, 0x30); /* not a host control domain */
	assert_true(ap_mask_test(&m->shadow_adm, 4));
	assert_false(ap_mask_test(&m->shadow_adm, 0x30));
	assert_int_equal(apbus_set_control_domain(s, 0x30, true), 0);
	assert_true(ap_mask_test(&m->shadow_adm, 0x30));
	assert_int_equal(apbus_set_control_domain(s, 4, false), 0);
	assert_false(ap_mask_test(&m->shadow_adm, 4));
	assert_true(ap_mask_test(&m->adm, 4)); /* the assignment stays */
	sys_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_binds_cards_to_cex4card_and_reserved_queues_to_cex4queue),
	    cmocka_unit_test(test_init_binds_free_queues_to_vfio_ap_from_command_line_masks),
	    cmocka_unit_test(test_init_v8_binds_every_queue_to_cex4queue),
	    cmocka_unit_test(test_init_picks_lowest_usage_domain_in_aqmask_as_default_domain),
	    cmocka_unit_test(test_unbind_and_bind_reserved_queue_on_cex4queue),
	    cmocka_unit_test(test_unbind_and_bind_free_queue_on_vfio_ap),
	    cmocka_unit_test(test_unbind_and_bind_card_on_cex4card),
	    cmocka_unit_test(test_parse_device_name_takes_exactly_the_kernels_names),
	    cmocka_unit_test(test_bind_unknown_device_is_enodev),
	    cmocka_unit_test(test_bind_card_to_queue_driver_is_enodev),
	    cmocka_unit_test(test_bind_reserved_queue_to_vfio_ap_is_enodev),
	    cmocka_unit_test(test_bind_free_queue_to_cex4queue_is_enodev),
	    cmocka_unit_test(test_bind_bound_device_is_ebusy),
	    cmocka_unit_test(test_unbind_from_wrong_driver_is_enodev),
	    cmocka_unit_test(test_unbind_unknown_device_is_enodev),
	    cmocka_unit_test(test_bind_and_unbind_accept_one_trailing_newline),
	    cmocka_unit_test(test_unbind_zeroizes_and_bind_resets_the_queue),
	    cmocka_unit_test(test_deconfigure_and_chkstop_flush_the_adapters_queues),
	    cmocka_unit_test(test_v8_moves_queue_to_vfio_ap_by_unbind_and_bind),
	    cmocka_unit_test(test_apmask_relative_clear_moves_adapter_queues_to_vfio_ap),
	    cmocka_unit_test(test_apmask_relative_set_moves_queues_back_to_cex4queue),
	    cmocka_unit_test(test_aqmask_absolute_form_moves_domain_queues),
	    cmocka_unit_test(test_mask_write_of_current_value_changes_nothing),
	    cmocka_unit_test(test_mask_store_rejects_bad_syntax_and_changes_nothing),
	    cmocka_unit_test(test_apmask_set_is_ebusy_when_new_apqn_is_assigned_to_mdev),
	    cmocka_unit_test(test_aqmask_set_is_ebusy_when_new_apqn_is_assigned_to_mdev),
	    cmocka_unit_test(test_mask_clearing_bits_is_never_ebusy),
	    cmocka_unit_test(test_mask_set_succeeds_for_adapter_without_domains),
	    cmocka_unit_test(test_v8_has_no_apmask_or_aqmask),
	    cmocka_unit_test(test_doc_11_1_relative_and_absolute_masks_free_the_same_queues),
	    cmocka_unit_test(test_doc_11_2_masks_reserve_exactly_the_listed_apqns),
	    cmocka_unit_test(test_doc_11_2_short_mask_is_left_aligned),
	    cmocka_unit_test(test_doc_11_2_relative_list_sets_and_clears_ids),
	    cmocka_unit_test(test_doc_11_2_ebusy_logs_the_apqn_taken_from_an_mdev),
	    STORE_TEST(test_ap_domain_parses_like_scanf_i, ap_domain_scanf),
	    cmocka_unit_test(test_ap_domain_rejects_out_of_range_and_garbage),
	    cmocka_unit_test(test_ap_domain_must_be_in_aqmask_in_cur_only),
	    STORE_TEST(test_config_time_accepts_5_to_120, config_time),
	    STORE_TEST(test_poll_thread_cur_takes_kstrtobool, poll_thread_cur),
	    STORE_TEST(test_poll_thread_v8_takes_an_integer, poll_thread_v8),
	    STORE_TEST(test_poll_timeout_cur_is_kstrtoul_up_to_120000000000, poll_timeout_cur),
	    STORE_TEST(test_poll_timeout_v8_is_sscanf_from_1, poll_timeout_v8),
	    cmocka_unit_test(test_scans_write_forces_one_rescan),
	    cmocka_unit_test(test_bindings_count_bound_and_all_queue_devices),
	    cmocka_unit_test(test_card_config_0_deconfigures_and_1_configures),
	    cmocka_unit_test(test_card_config_write_sends_uevent_even_when_unchanged),
	    cmocka_unit_test(test_card_config_rejects_non_01_and_unknown_card),
	    cmocka_unit_test(test_card_online_0_takes_card_and_its_queues_offline),
	    cmocka_unit_test(test_card_online_1_on_deconfigured_or_chkstopped_card_is_enodev),
	    cmocka_unit_test(test_card_online_rejects_non_01_and_needs_cex4card),
	    cmocka_unit_test(test_queue_online_follows_card_and_adapter_state),
	    cmocka_unit_test(test_queue_online_needs_cex4queue),
	    cmocka_unit_test(test_add_adapter_event_creates_devices_probed_by_reservation),
	    cmocka_unit_test(test_add_adapter_event_rejects_bad_or_duplicate_adapter),
	    cmocka_unit_test(test_add_adapter_event_plugs_assigned_adapter_into_guest),
	    cmocka_unit_test(test_remove_adapter_event_removes_devices_and_unplugs_from_guest),
	    cmocka_unit_test(test_usage_domain_off_and_on_removes_and_restores_queues),
	    cmocka_unit_test(test_usage_domain_removal_keeps_adapters_and_other_queues_in_guest),
	    cmocka_unit_test(test_usage_domain_above_limit_is_einval),
	    cmocka_unit_test(test_chkstop_keeps_devices_and_takes_card_offline),
	    cmocka_unit_test(test_control_domain_event_refilters_guest_adm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
