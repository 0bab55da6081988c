/*
 * machine_test - unit tests for the emulated AP hardware (machine.c).
 *
 * Invariants:
 * - every id is checked against the limit the machine reports: QCI's Na/Nd
 *   when QCI is installed and its APXA bit is set, otherwise adapters 0-63
 *   and domains 0-15 (facts 1.1, 1.3);
 * - a rejected machine_init / machine_add_adapter / machine_remove_adapter
 *   returns the documented -errno and leaves the machine byte for byte as it
 *   was;
 * - the per-adapter facts (hwtype, type name, ap_functions, TAPQ response
 *   code) follow from generation, mode and state as the kernel reports them
 *   (facts 2.4, 7.2, 7.4).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"

/* A machine with QCI; APXA on with Na/Nd = max, or off. */
static void info_init(struct ap_machine_info *info, bool apxa, unsigned int max)
{
	memset(info, 0, sizeof(*info));
	info->qci = true;
	info->apft = true;
	info->aqic = true;
	info->apxa = apxa;
	info->na = (uint8_t)max;
	info->nd = (uint8_t)max;
}

static struct ap_machine *machine_new(bool apxa, unsigned int max)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	assert_non_null(m);
	info_init(&info, apxa, max);
	assert_int_equal(machine_init(m, &info), 0);
	return m;
}

static struct ap_adapter_desc desc(unsigned int id, unsigned int gen, enum ap_mode mode)
{
	struct ap_adapter_desc d = {
	    .id = id,
	    .gen = gen,
	    .mode = mode,
	    .depth = -1,
	    .max_msg_size = -1,
	    .serial = NULL,
	};

	return d;
}

static int add(struct ap_machine *m, unsigned int id, unsigned int gen, enum ap_mode mode)
{
	struct ap_adapter_desc d = desc(id, gen, mode);

	return machine_add_adapter(m, &d);
}

/* Add with a description that must be refused with err, changing nothing. */
static void assert_add_fails(struct ap_machine *m, const struct ap_adapter_desc *d, int err)
{
	struct ap_machine *before = malloc(sizeof(*before));

	assert_non_null(before);
	memcpy(before, m, sizeof(*m));
	assert_int_equal(machine_add_adapter(m, d), err);
	assert_memory_equal(m, before, sizeof(*m));
	free(before);
}

/* ---- machine_init ---- */

static void test_init_copies_info_and_starts_without_adapters(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;
	struct ap_mask none, apm;

	(void)state;
	assert_non_null(m);
	memset(m, 0xa5, sizeof(*m));
	info_init(&info, true, 255);
	ap_mask_set(&info.usage_domains, 4);
	ap_mask_set(&info.usage_domains, 255);
	ap_mask_set(&info.control_domains, 0xab);
	assert_int_equal(machine_init(m, &info), 0);
	assert_memory_equal(&m->info, &info, sizeof(info));
	for (unsigned int a = 0; a < AP_DEVICES; a++)
		assert_false(m->adapter[a].present);
	ap_mask_zero(&none);
	machine_adapter_mask(m, &apm);
	assert_memory_equal(&apm, &none, sizeof(apm));
	free(m);
}

static void test_init_rejects_usage_domain_above_15_without_apxa(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m)), *before = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	assert_non_null(before);
	memset(m, 0x5a, sizeof(*m));
	memcpy(before, m, sizeof(*m));
	info_init(&info, false, 255);
	ap_mask_set(&info.usage_domains, 16);
	assert_int_equal(machine_init(m, &info), -EINVAL);
	assert_memory_equal(m, before, sizeof(*m));
	free(before);
	free(m);
}

static void test_init_rejects_control_domain_above_15_without_apxa(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m)), *before = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	assert_non_null(before);
	memcpy(before, m, sizeof(*m));
	info_init(&info, false, 255);
	ap_mask_set(&info.control_domains, 200);
	assert_int_equal(machine_init(m, &info), -EINVAL);
	assert_memory_equal(m, before, sizeof(*m));
	free(before);
	free(m);
}

static void test_init_accepts_domain_15_without_apxa(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	info_init(&info, false, 255);
	ap_mask_set(&info.usage_domains, 15);
	ap_mask_set(&info.control_domains, 15);
	assert_int_equal(machine_init(m, &info), 0);
	free(m);
}

static void test_init_with_apxa_checks_domains_against_nd(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	info_init(&info, true, 84); /* the doc's machine with 85 domains */
	ap_mask_set(&info.usage_domains, 84);
	assert_int_equal(machine_init(m, &info), 0);
	ap_mask_set(&info.usage_domains, 85);
	assert_int_equal(machine_init(m, &info), -EINVAL);
	ap_mask_clear(&info.usage_domains, 85);
	ap_mask_set(&info.control_domains, 85);
	assert_int_equal(machine_init(m, &info), -EINVAL);
	free(m);
}

/* ---- limits ---- */

static void test_limits_without_apxa_are_63_and_15(void **state)
{
	struct ap_machine *m = machine_new(false, 255);

	(void)state;
	assert_int_equal(machine_max_apid(m), 63);
	assert_int_equal(machine_max_apqi(m), 15);
	assert_int_equal(machine_check_apid(m, 63), 0);
	assert_int_equal(machine_check_apid(m, 64), -EINVAL);
	assert_int_equal(machine_check_apid(m, 1000), -EINVAL);
	free(m);
}

static void test_limits_with_apxa_are_na_and_nd(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	info_init(&info, true, 0);
	info.na = 100;
	info.nd = 84;
	assert_int_equal(machine_init(m, &info), 0);
	assert_int_equal(machine_max_apid(m), 100);
	assert_int_equal(machine_max_apqi(m), 84);
	assert_int_equal(machine_check_apid(m, 100), 0);
	assert_int_equal(machine_check_apid(m, 101), -EINVAL);
	info.na = 255;
	info.nd = 255;
	assert_int_equal(machine_init(m, &info), 0);
	assert_int_equal(machine_max_apid(m), 255);
	assert_int_equal(machine_max_apqi(m), 255);
	free(m);
}

/* The bus honours Na/Nd only when QCI is installed AND its APXA bit is set. */
static void test_limits_ignore_apxa_bit_without_qci(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	info_init(&info, true, 255);
	info.qci = false;
	assert_int_equal(machine_init(m, &info), 0);
	assert_int_equal(machine_max_apid(m), 63);
	assert_int_equal(machine_max_apqi(m), 15);
	assert_int_equal(add(m, 64, 5, AP_MODE_CCA), -EINVAL);
	free(m);
}

/* ---- machine_add_adapter ---- */

static void test_add_adapter_accepts_id_63_rejects_64_without_apxa(void **state)
{
	struct ap_machine *m = machine_new(false, 255);
	struct ap_adapter_desc d = desc(64, 5, AP_MODE_CCA);

	(void)state;
	assert_int_equal(add(m, 63, 5, AP_MODE_CCA), 0);
	assert_true(m->adapter[63].present);
	assert_add_fails(m, &d, -EINVAL);
	d.id = 255;
	assert_add_fails(m, &d, -EINVAL);
	free(m);
}

static void test_add_adapter_with_apxa_accepts_ids_up_to_na(void **state)
{
	struct ap_machine *m = machine_new(true, 100);
	struct ap_adapter_desc d = desc(101, 5, AP_MODE_CCA);

	(void)state;
	assert_int_equal(add(m, 64, 5, AP_MODE_CCA), 0);
	assert_int_equal(add(m, 100, 5, AP_MODE_CCA), 0);
	assert_add_fails(m, &d, -EINVAL);
	free(m);

	m = machine_new(true, 255);
	assert_int_equal(add(m, 255, 8, AP_MODE_ACCEL), 0);
	assert_true(m->adapter[255].present);
	free(m);
}

static void test_add_adapter_rejects_generation_outside_4_to_8(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 3, AP_MODE_CCA);

	(void)state;
	assert_add_fails(m, &d, -EINVAL);
	d.gen = 9;
	assert_add_fails(m, &d, -EINVAL);
	d.gen = 0;
	assert_add_fails(m, &d, -EINVAL);
	for (unsigned int g = 4; g <= 8; g++)
		assert_int_equal(add(m, g, g, AP_MODE_CCA), 0);
	free(m);
}

static void test_add_adapter_rejects_unknown_mode(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 5, (enum ap_mode)3);

	(void)state;
	assert_add_fails(m, &d, -EINVAL);
	d.mode = (enum ap_mode) - 1;
	assert_add_fails(m, &d, -EINVAL);
	free(m);
}

static void test_add_adapter_rejects_depth_outside_0_to_15(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 5, AP_MODE_CCA);

	(void)state;
	d.depth = 16;
	assert_add_fails(m, &d, -EINVAL);
	d.depth = -2;
	assert_add_fails(m, &d, -EINVAL);
	d.depth = 0;
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(m->adapter[5].depth, 0);
	d.id = 6;
	d.depth = 15;
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(m->adapter[6].depth, 15);
	free(m);
}

static void test_add_adapter_rejects_bad_max_msg_size(void **state)
{
	static const long bad[] = {0, -2, 4095, 4097, 12289, 65536, 16 * 4096};
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 5, AP_MODE_ACCEL);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d.max_msg_size = bad[i];
		assert_add_fails(m, &d, -EINVAL);
	}
	d.max_msg_size = 4096;
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(m->adapter[5].max_msg_size, 4096);
	d.id = 6;
	d.max_msg_size = 15 * 4096; /* the largest the 4-bit ML field holds */
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(m->adapter[6].max_msg_size, 61440);
	free(m);
}

static void test_add_adapter_rejects_serial_longer_than_16(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 7, AP_MODE_EP11);

	(void)state;
	d.serial = "12345678901234567";
	assert_add_fails(m, &d, -EINVAL);
	d.serial = "1234567890123456";
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_string_equal(m->adapter[5].serial, "1234567890123456");
	free(m);
}

/* Serial numbers are as long as the card kind's: CCA 8, EP11 16, none
 * for an accelerator; the defaults have that length. */
static void test_serial_length_follows_the_card_kind(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 7, AP_MODE_CCA);

	(void)state;
	d.serial = "123456789";
	assert_add_fails(m, &d, -EINVAL);
	d.serial = "12345678";
	assert_int_equal(machine_add_adapter(m, &d), 0);
	d = desc(6, 7, AP_MODE_ACCEL);
	d.serial = "X";
	assert_add_fails(m, &d, -EINVAL);
	assert_int_equal(add(m, 7, 8, AP_MODE_CCA), 0);
	assert_int_equal(add(m, 8, 8, AP_MODE_EP11), 0);
	assert_int_equal(add(m, 9, 8, AP_MODE_ACCEL), 0);
	assert_int_equal(strlen(m->adapter[7].serial), 8);
	assert_int_equal(strlen(m->adapter[8].serial), 16);
	assert_string_equal(m->adapter[9].serial, "");
	free(m);
}

/* A functions word replaces the derived one, but must name the card's mode alone. */
static void test_functions_override_must_keep_the_mode(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 7, AP_MODE_CCA);

	(void)state;
	d.functions = 0x92810003u & ~AP_FUNC_COPRO;
	assert_add_fails(m, &d, -EINVAL);
	d.functions = 0x92810003u | AP_FUNC_ACCEL;
	assert_add_fails(m, &d, -EINVAL);
	d.functions = 0x92810003u;
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(machine_functions(m, &m->adapter[5]), 0x92810003u);
	assert_int_equal(add(m, 6, 7, AP_MODE_CCA), 0);
	assert_int_equal(machine_functions(m, &m->adapter[6]), 0xf2800000u);
	free(m);
}

/* EP11 info only on EP11 cards, with known operation modes; patterns only on coprocessors. */
static void test_ep11_info_and_mkvps_belong_to_their_card_kinds(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_ep11_info info = {
	    .api_ordinal = 7, .fw_version = 0x0813, .op_modes = AP_EP11_OPM_FIPS2011};
	struct ap_mkvps k;
	struct ap_adapter_desc d = desc(5, 8, AP_MODE_CCA);

	(void)state;
	memset(&k, 0, sizeof(k));
	d.ep11 = &info;
	assert_add_fails(m, &d, -EINVAL);
	d = desc(5, 8, AP_MODE_EP11);
	info.op_modes = 1u << 4;
	d.ep11 = &info;
	assert_add_fails(m, &d, -EINVAL);
	info.op_modes = AP_EP11_OPM_FIPS2011;
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(m->adapter[5].ep11.fw_version, 0x0813);
	d = desc(6, 8, AP_MODE_ACCEL);
	d.mkvps = &k;
	assert_add_fails(m, &d, -EINVAL);
	d = desc(6, 8, AP_MODE_CCA);
	k.cca_state[AP_CCA_AES_CUR] = AP_MK_PARTIAL; /* a new-register state */
	d.mkvps = &k;
	assert_add_fails(m, &d, -EINVAL);
	k.cca_state[AP_CCA_AES_CUR] = AP_MK_VALID;
	k.cca_vp[AP_CCA_AES_CUR] = 0x1122334455667788ull;
	assert_int_equal(machine_add_adapter(m, &d), 0);
	assert_int_equal(m->adapter[6].mkvps.cca_vp[AP_CCA_AES_CUR], 0x1122334455667788ull);
	machine_queue_mkvps(&m->adapter[6], 6, 4, &k);
	assert_int_equal(k.cca_vp[AP_CCA_AES_CUR], 0x1122334455667788ull);
	/* without a description: current keys set, nothing new, each domain its own */
	assert_int_equal(add(m, 7, 8, AP_MODE_EP11), 0);
	machine_queue_mkvps(&m->adapter[7], 7, 4, &k);
	assert_int_equal(k.ep11_state[AP_EP11_WK_CUR], AP_MK_VALID);
	assert_int_equal(k.ep11_state[AP_EP11_WK_NEW], AP_MK_EMPTY);
	{
		struct ap_mkvps k2;

		machine_queue_mkvps(&m->adapter[7], 7, 5, &k2);
		assert_memory_not_equal(k.ep11_vp[AP_EP11_WK_CUR], k2.ep11_vp[AP_EP11_WK_CUR],
					AP_EP11_WKVP_LEN);
	}
	assert_int_equal(m->adapter[7].ep11.api_ordinal, 6);
	assert_int_equal(m->adapter[7].ep11.fw_version, 0x0802);
	free(m);
}

static void test_add_adapter_rejects_present_id_with_eexist(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_adapter_desc d = desc(5, 8, AP_MODE_EP11);

	(void)state;
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	/* the second description differs in every field: nothing of it may stick */
	d.depth = 3;
	d.max_msg_size = 4096;
	d.serial = "OTHER";
	assert_add_fails(m, &d, -EEXIST);
	assert_int_equal(m->adapter[5].gen, 5);
	assert_int_equal(m->adapter[5].mode, AP_MODE_CCA);
	free(m);
}

static void test_add_adapter_fills_defaults_and_configures(void **state)
{
	struct ap_machine *m = machine_new(true, 255);

	(void)state;
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_int_equal(add(m, 6, 5, AP_MODE_ACCEL), 0);
	assert_true(m->adapter[5].present);
	assert_true(m->adapter[5].configured);
	assert_false(m->adapter[5].chkstop);
	assert_int_equal(m->adapter[5].gen, 5);
	assert_int_equal(m->adapter[5].mode, AP_MODE_CCA);
	assert_int_equal(m->adapter[5].depth, 7);
	assert_int_equal(m->adapter[5].max_msg_size, 12288);
	/* a serial derived from the id: present and unique per adapter */
	assert_true(strlen(m->adapter[5].serial) > 0);
	assert_string_not_equal(m->adapter[5].serial, m->adapter[6].serial);
	free(m);
}

/* ---- machine_remove_adapter ---- */

static void test_remove_adapter_makes_it_absent_and_id_reusable(void **state)
{
	struct ap_machine *m = machine_new(true, 255);

	(void)state;
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_int_equal(machine_remove_adapter(m, 5), 0);
	assert_false(m->adapter[5].present);
	assert_int_equal(add(m, 5, 6, AP_MODE_ACCEL), 0);
	assert_int_equal(m->adapter[5].gen, 6);
	free(m);
}

static void test_remove_adapter_unknown_is_enodev(void **state)
{
	struct ap_machine *m = machine_new(true, 255), *before = malloc(sizeof(*m));

	(void)state;
	assert_non_null(before);
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	memcpy(before, m, sizeof(*m));
	assert_int_equal(machine_remove_adapter(m, 6), -ENODEV);
	assert_int_equal(machine_remove_adapter(m, 256), -ENODEV);
	assert_int_equal(machine_remove_adapter(m, 0xffffffffu), -ENODEV);
	assert_memory_equal(m, before, sizeof(*m));
	assert_int_equal(machine_remove_adapter(m, 5), 0);
	assert_int_equal(machine_remove_adapter(m, 5), -ENODEV);
	free(before);
	free(m);
}

/* ---- QCI view ---- */

static void test_adapter_mask_lists_present_adapters_msb0(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_mask apm;
	char hex[AP_MASK_HEX_LEN];

	(void)state;
	for (unsigned int id = 1; id <= 7; id++)
		if (id != 6)
			assert_int_equal(add(m, id, 5, AP_MODE_CCA), 0);
	machine_adapter_mask(m, &apm);
	ap_mask_format(&apm, hex);
	/* fact 1.5: adapters {1,2,3,4,5,7} are 0x7d followed by 62 zeros */
	assert_string_equal(hex, "0x7d000000000000000000000000000000"
				 "00000000000000000000000000000000");
	/* a deconfigured or check-stopped adapter stays in the configuration */
	m->adapter[3].configured = false;
	m->adapter[4].chkstop = true;
	machine_adapter_mask(m, &apm);
	assert_true(ap_mask_test(&apm, 3));
	assert_true(ap_mask_test(&apm, 4));
	free(m);
}

static void test_apqn_exists_needs_adapter_and_usage_domain(void **state)
{
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info;

	(void)state;
	assert_non_null(m);
	info_init(&info, true, 255);
	ap_mask_set(&info.usage_domains, 4);
	ap_mask_set(&info.usage_domains, 0xff);
	ap_mask_set(&info.control_domains, 0x47); /* control only: no queue */
	assert_int_equal(machine_init(m, &info), 0);
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_true(machine_apqn_exists(m, 5, 4));
	assert_true(machine_apqn_exists(m, 5, 0xff));
	assert_false(machine_apqn_exists(m, 5, 0x47));
	assert_false(machine_apqn_exists(m, 5, 5));
	assert_false(machine_apqn_exists(m, 6, 4));
	assert_false(machine_apqn_exists(m, 256, 4));
	assert_false(machine_apqn_exists(m, 5, 256));
	free(m);
}

/* ---- per-adapter facts ---- */

static void test_hwtype_is_10_for_cex4_up_to_14_for_cex8(void **state)
{
	struct ap_machine *m = machine_new(true, 255);

	(void)state;
	for (unsigned int g = 4; g <= 8; g++) {
		assert_int_equal(add(m, g, g, AP_MODE_ACCEL), 0);
		assert_int_equal(machine_hwtype(&m->adapter[g]), 10 + g - 4);
	}
	assert_int_equal(machine_hwtype(&m->adapter[5]), 11); /* fact 2.4: 11 = CEX5 */
	free(m);
}

static void test_type_name_is_cex_generation_and_mode_letter(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	char name[6];

	(void)state;
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_int_equal(add(m, 6, 5, AP_MODE_ACCEL), 0);
	assert_int_equal(add(m, 7, 8, AP_MODE_EP11), 0);
	assert_int_equal(add(m, 8, 4, AP_MODE_ACCEL), 0);
	machine_type_name(&m->adapter[5], name);
	assert_string_equal(name, "CEX5C");
	machine_type_name(&m->adapter[6], name);
	assert_string_equal(name, "CEX5A");
	machine_type_name(&m->adapter[7], name);
	assert_string_equal(name, "CEX8P");
	machine_type_name(&m->adapter[8], name);
	assert_string_equal(name, "CEX4A");
	free(m);
}

static void test_mode_names_are_accel_cca_ep11(void **state)
{
	(void)state;
	assert_string_equal(machine_mode_name(AP_MODE_ACCEL), "accel");
	assert_string_equal(machine_mode_name(AP_MODE_CCA), "cca");
	assert_string_equal(machine_mode_name(AP_MODE_EP11), "ep11");
}

/* Exactly one of the mode bits (CCA 0x10000000, ACCEL 0x08000000, EP11 0x04000000). */
static void assert_mode_bits(uint32_t f, uint32_t want)
{
	assert_int_equal(f & (AP_FUNC_COPRO | AP_FUNC_ACCEL | AP_FUNC_EP11), want);
}

static void test_functions_carry_mode_bit_and_full_class(void **state)
{
	struct ap_machine *m = machine_new(false, 255);

	(void)state;
	assert_int_equal(add(m, 1, 5, AP_MODE_CCA), 0);
	assert_int_equal(add(m, 2, 5, AP_MODE_ACCEL), 0);
	assert_int_equal(add(m, 3, 7, AP_MODE_EP11), 0);
	assert_mode_bits(machine_functions(m, &m->adapter[1]), 0x10000000u);
	assert_mode_bits(machine_functions(m, &m->adapter[2]), 0x08000000u);
	assert_mode_bits(machine_functions(m, &m->adapter[3]), 0x04000000u);
	for (unsigned int a = 1; a <= 3; a++) {
		uint32_t f = machine_functions(m, &m->adapter[a]);

		assert_int_equal(f & 0x00800000u, 0x00800000u); /* full function set */
		assert_int_equal(f & AP_FUNC_APXA, 0);		/* no APXA machine */
	}
	free(m);
}

static void test_functions_show_apxa_only_on_apxa_machine(void **state)
{
	struct ap_machine *m = machine_new(true, 255);
	struct ap_machine_info info;

	(void)state;
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_int_equal(machine_functions(m, &m->adapter[5]) & 0x02000000u, 0x02000000u);
	free(m);

	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	info_init(&info, true, 255);
	info.qci = false;
	assert_int_equal(machine_init(m, &info), 0);
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_int_equal(machine_functions(m, &m->adapter[5]) & AP_FUNC_APXA, 0);
	free(m);
}

static void test_queue_rc_follows_adapter_state(void **state)
{
	struct ap_machine *m = machine_new(true, 255);

	(void)state;
	assert_int_equal(add(m, 5, 5, AP_MODE_CCA), 0);
	assert_int_equal(machine_queue_rc(&m->adapter[5]), 0x00);
	m->adapter[5].configured = false;
	assert_int_equal(machine_queue_rc(&m->adapter[5]), 0x03);
	m->adapter[5].configured = true;
	m->adapter[5].chkstop = true;
	assert_int_equal(machine_queue_rc(&m->adapter[5]), 0x04);
	assert_int_equal(machine_queue_rc(&m->adapter[6]), 0x01); /* not there */
	free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_copies_info_and_starts_without_adapters),
	    cmocka_unit_test(test_init_rejects_usage_domain_above_15_without_apxa),
	    cmocka_unit_test(test_init_rejects_control_domain_above_15_without_apxa),
	    cmocka_unit_test(test_init_accepts_domain_15_without_apxa),
	    cmocka_unit_test(test_init_with_apxa_checks_domains_against_nd),
	    cmocka_unit_test(test_limits_without_apxa_are_63_and_15),
	    cmocka_unit_test(test_limits_with_apxa_are_na_and_nd),
	    cmocka_unit_test(test_limits_ignore_apxa_bit_without_qci),
	    cmocka_unit_test(test_add_adapter_accepts_id_63_rejects_64_without_apxa),
	    cmocka_unit_test(test_add_adapter_with_apxa_accepts_ids_up_to_na),
	    cmocka_unit_test(test_add_adapter_rejects_generation_outside_4_to_8),
	    cmocka_unit_test(test_add_adapter_rejects_unknown_mode),
	    cmocka_unit_test(test_add_adapter_rejects_depth_outside_0_to_15),
	    cmocka_unit_test(test_add_adapter_rejects_bad_max_msg_size),
	    cmocka_unit_test(test_add_adapter_rejects_serial_longer_than_16),
	    cmocka_unit_test(test_serial_length_follows_the_card_kind),
	    cmocka_unit_test(test_functions_override_must_keep_the_mode),
	    cmocka_unit_test(test_ep11_info_and_mkvps_belong_to_their_card_kinds),
	    cmocka_unit_test(test_add_adapter_rejects_present_id_with_eexist),
	    cmocka_unit_test(test_add_adapter_fills_defaults_and_configures),
	    cmocka_unit_test(test_remove_adapter_makes_it_absent_and_id_reusable),
	    cmocka_unit_test(test_remove_adapter_unknown_is_enodev),
	    cmocka_unit_test(test_adapter_mask_lists_present_adapters_msb0),
	    cmocka_unit_test(test_apqn_exists_needs_adapter_and_usage_domain),
	    cmocka_unit_test(test_hwtype_is_10_for_cex4_up_to_14_for_cex8),
	    cmocka_unit_test(test_type_name_is_cex_generation_and_mode_letter),
	    cmocka_unit_test(test_mode_names_are_accel_cca_ep11),
	    cmocka_unit_test(test_functions_carry_mode_bit_and_full_class),
	    cmocka_unit_test(test_functions_show_apxa_only_on_apxa_machine),
	    cmocka_unit_test(test_queue_rc_follows_adapter_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
