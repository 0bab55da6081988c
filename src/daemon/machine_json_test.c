/*
 * machine_json_test - unit tests for the machine description loader.
 *
 * Invariant: a valid description yields exactly the machine it describes
 * (facilities, limits, domains, adapters, masks); an invalid one fails with
 * -EINVAL, a one-line message "<file>: <field path>: <what>" (syntax errors
 * "<file>:<line>:<column>: ...") naming the bad value, and leaves the
 * result untouched.
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
#include <unistd.h>

#include "bus.h"
#include "machine_json.h"

static const char full_example[] =
    "{\"abi\": \"cur\", \"apxa\": true, \"qci\": true, \"apft\": true, \"aqic\": true,\n"
    " \"max_adapter_id\": 255, \"max_domain_id\": 255,\n"
    " \"usage_domains\": \"4,0x47,0xab,0xff\", \"control_domains\": [\"0-15\", 71, \"0xab\"],\n"
    " \"default_domain\": 4,\n"
    " \"adapters\": [{\"id\": 5, \"type\": \"CEX5C\", \"serial\": \"93AADFK7\"},\n"
    "   {\"ids\": \"0x10-0x1f\", \"type\": \"CEX8A\", \"depth\": 7, \"max_msg_size\": 12288}],\n"
    " \"apmask\": \"0xffff\", \"aqmask\": \"0x40\", \"max_instances\": 65536}\n";

static struct machine_json mj;
static char err[MACHINE_JSON_ERR_LEN];

static int parse(const char *text)
{
	memset(err, 0, sizeof(err));
	return machine_json_parse("machine.json", text, strlen(text), &mj, err, sizeof(err));
}

/* text is rejected with exactly the message want, and mj is untouched. */
static void assert_fails(const char *text, const char *want)
{
	struct machine_json before;

	memset(&mj, 0x5a, sizeof(mj));
	before = mj;
	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(err, want);
	assert_memory_equal(&mj, &before, sizeof(mj));
}

static void assert_ids(const struct ap_mask *m, const unsigned int *ids, size_t n)
{
	struct ap_mask want;

	ap_mask_zero(&want);
	for (size_t i = 0; i < n; i++)
		ap_mask_set(&want, ids[i]);
	assert_memory_equal(m->b, want.b, AP_MASK_BYTES);
}

static void test_default_machine_parses(void **state)
{
	static const unsigned int doms[] = {4, 0x47, 0xab, 0xff};
	static const unsigned int ids[] = {5, 6, 7, 8, 0xb};
	static const char *const types[] = {"CEX5C", "CEX5A", "CEX8A", "CEX8A", "CEX8P"};
	char name[6];
	unsigned int n = 0;

	(void)state;
	assert_int_equal(machine_json_load(NULL, &mj, err, sizeof(err)), 0);
	assert_int_equal(mj.abi, AP_ABI_CUR);
	assert_true(mj.hw.info.qci && mj.hw.info.apft && mj.hw.info.aqic && mj.hw.info.apxa);
	assert_int_equal(mj.hw.info.na, 255);
	assert_int_equal(mj.hw.info.nd, 255);
	assert_ids(&mj.hw.info.usage_domains, doms, 4);
	assert_ids(&mj.hw.info.control_domains, doms, 4);
	assert_int_equal(mj.default_domain, 4);
	assert_false(mj.have_apmask);
	assert_false(mj.have_aqmask);
	assert_int_equal(mj.max_instances, 0);
	for (unsigned int a = 0; a < AP_DEVICES; a++) {
		if (!mj.hw.adapter[a].present)
			continue;
		assert_true(n < 5);
		assert_int_equal(a, ids[n]);
		machine_type_name(&mj.hw.adapter[a], name);
		assert_string_equal(name, types[n]);
		assert_true(mj.hw.adapter[a].configured);
		n++;
	}
	assert_int_equal(n, 5);
}

static void test_default_machine_builds_system(void **state)
{
	struct ap_system *s = NULL;

	(void)state;
	assert_int_equal(machine_json_load(NULL, &mj, err, sizeof(err)), 0);
	assert_int_equal(machine_json_system_new(&mj, &s), 0);
	assert_true(apbus_queue_exists(s, 5, 0x47));
	assert_int_equal(ap_queue(s, 5, 0x47)->driver, AP_DRV_CEX4QUEUE);
	assert_int_equal(s->bus.ap_domain, 4);
	machine_json_system_free(s);
	machine_json_system_free(NULL);
}

static void test_full_example_parses(void **state)
{
	static const unsigned int doms[] = {4, 0x47, 0xab, 0xff};
	static const unsigned int cdoms[] = {0, 1,  2,	3,  4,	5,  6,	7,  8,
					     9, 10, 11, 12, 13, 14, 15, 71, 0xab};
	static const unsigned int ap16[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	static const unsigned int aq1[] = {1};
	char name[6];

	(void)state;
	assert_int_equal(parse(full_example), 0);
	assert_ids(&mj.hw.info.usage_domains, doms, 4);
	assert_ids(&mj.hw.info.control_domains, cdoms, sizeof(cdoms) / sizeof(cdoms[0]));
	assert_true(mj.have_apmask && mj.have_aqmask);
	assert_ids(&mj.apmask, ap16, 16);
	assert_ids(&mj.aqmask, aq1, 1);
	assert_int_equal(mj.max_instances, 65536);
	assert_true(mj.hw.adapter[5].present);
	assert_string_equal(mj.hw.adapter[5].serial, "93AADFK7");
	machine_type_name(&mj.hw.adapter[5], name);
	assert_string_equal(name, "CEX5C");
	for (unsigned int a = 0x10; a <= 0x1f; a++) {
		assert_true(mj.hw.adapter[a].present);
		machine_type_name(&mj.hw.adapter[a], name);
		assert_string_equal(name, "CEX8A");
		assert_int_equal(mj.hw.adapter[a].depth, 7);
		assert_int_equal(mj.hw.adapter[a].max_msg_size, 12288);
	}
	assert_false(mj.hw.adapter[0x20].present);
	assert_false(mj.hw.adapter[6].present);
}

/* apmask 0xffff / aqmask 0x40: only adapters 0-15 x domain 1 stay with the host. */
static void test_full_example_masks_bind_queues(void **state)
{
	struct ap_system *s = NULL;

	(void)state;
	assert_int_equal(parse(full_example), 0);
	assert_int_equal(machine_json_system_new(&mj, &s), 0);
	assert_int_equal(ap_queue(s, 5, 4)->driver, AP_DRV_VFIO_AP);
	assert_int_equal(ap_queue(s, 0x10, 0xff)->driver, AP_DRV_VFIO_AP);
	assert_int_equal(s->matrix.max_instances, 65536);
	machine_json_system_free(s);
}

static void test_minimal_description_gets_defaults(void **state)
{
	static const unsigned int doms[] = {4, 0x47, 0xab, 0xff};

	(void)state;
	assert_int_equal(parse("{\"adapters\": []}"), 0);
	assert_int_equal(mj.abi, AP_ABI_CUR);
	assert_true(mj.hw.info.qci && mj.hw.info.apxa);
	assert_int_equal(mj.hw.info.na, 255);
	assert_ids(&mj.hw.info.usage_domains, doms, 4);
	assert_ids(&mj.hw.info.control_domains, doms, 4);
	assert_int_equal(mj.default_domain, -1);
}

static void test_without_apxa_limits_are_63_and_15(void **state)
{
	static const unsigned int doms[] = {4};
	static const unsigned int some[] = {0, 3, 15};

	(void)state;
	assert_int_equal(
	    parse("{\"apxa\": false, \"adapters\": [{\"id\": 63, \"type\": \"CEX4P\"}]}"), 0);
	assert_false(mj.hw.info.apxa);
	assert_int_equal(mj.hw.info.na, 63);
	assert_int_equal(mj.hw.info.nd, 15);
	assert_ids(&mj.hw.info.usage_domains, doms, 1);
	assert_true(mj.hw.adapter[63].present);
	assert_int_equal(
	    parse("{\"qci\": false, \"usage_domains\": [0, \"3\", \"0xf\"], \"adapters\": []}"), 0);
	assert_false(mj.hw.info.apxa);
	assert_ids(&mj.hw.info.usage_domains, some, 3);
}

static void test_v8_abi(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"abi\": \"v8\", \"adapters\": []}"), 0);
	assert_int_equal(mj.abi, AP_ABI_V8);
}

/* "vfio_ap": false boots without the module: no matrix, free queues bare. */
static void test_vfio_ap_absent_at_start(void **state)
{
	struct ap_system *s = NULL;

	(void)state;
	assert_int_equal(machine_json_load(NULL, &mj, err, sizeof(err)), 0);
	assert_true(mj.vfio_ap);
	assert_int_equal(parse("{\"vfio_ap\": false, \"apmask\": \"0x0\", \"adapters\": "
			       "[{\"id\": 5, \"type\": \"CEX5C\"}]}"),
			 0);
	assert_false(mj.vfio_ap);
	assert_int_equal(machine_json_system_new(&mj, &s), 0);
	assert_false(s->vfio_ap);
	assert_int_equal(ap_queue(s, 5, 4)->driver, AP_DRV_NONE);
	assert_int_equal(s->bus.bindings_count, 0);
	machine_json_system_free(s);
	assert_fails("{\"vfio_ap\": 0, \"adapters\": []}",
		     "machine.json: vfio_ap: expected true or false, got a number");
}

static void test_wrong_types_are_named(void **state)
{
	(void)state;
	assert_fails("{\"apxa\": 1, \"adapters\": []}",
		     "machine.json: apxa: expected true or false, got a number");
	assert_fails("{\"max_domain_id\": true, \"adapters\": []}",
		     "machine.json: max_domain_id: expected an integer, got a boolean");
	assert_fails("{\"max_domain_id\": 1.5, \"adapters\": []}",
		     "machine.json: max_domain_id: expected an integer, got a fractional number");
	assert_fails("{\"abi\": 8, \"adapters\": []}",
		     "machine.json: abi: expected \"cur\" or \"v8\", got a number");
	assert_fails("{\"abi\": \"v9\", \"adapters\": []}",
		     "machine.json: abi: unknown ABI \"v9\" (expected \"cur\" or \"v8\")");
	assert_fails("{\"adapters\": {}}",
		     "machine.json: adapters: expected an array, got an object");
	assert_fails("{\"adapters\": [5]}",
		     "machine.json: adapters[0]: expected an object, got a number");
	assert_fails("{\"usage_domains\": {\"a\": 1}, \"adapters\": []}",
		     "machine.json: usage_domains: expected a string of ids (\"4,0x47,0x10-0x1f\") "
		     "or an array, got an object");
	assert_fails(
	    "{\"control_domains\": [1, null], \"adapters\": []}",
	    "machine.json: control_domains[1]: expected an id or a string of ids, got null");
	assert_fails("{\"apmask\": 65535, \"adapters\": []}",
		     "machine.json: apmask: expected a mask string, got a number");
	assert_fails("[]", "machine.json: expected a JSON object at the top level, got an array");
}

static void test_unknown_adapter_type(void **state)
{
	(void)state;
	assert_fails(
	    "{\"adapters\": [{\"id\": 1, \"type\": \"CEX5A\"}, {\"id\": 2, \"type\": \"CEX8P\"},\n"
	    "  {\"id\": 3, \"type\": \"CEX9A\"}]}",
	    "machine.json: adapters[2].type: unknown adapter type \"CEX9A\" (expected "
	    "CEX4A..CEX8P)");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX5X\"}]}",
		     "machine.json: adapters[0].type: unknown adapter type \"CEX5X\" (expected "
		     "CEX4A..CEX8P)");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"cex5a\"}]}",
		     "machine.json: adapters[0].type: unknown adapter type \"cex5a\" (expected "
		     "CEX4A..CEX8P)");
	assert_fails("{\"adapters\": [{\"id\": 1}]}",
		     "machine.json: adapters[0]: missing \"type\" (CEX4A..CEX8P)");
}

static void test_bad_ids_and_ranges(void **state)
{
	(void)state;
	assert_fails("{\"usage_domains\": \"4,0x4g\", \"adapters\": []}",
		     "machine.json: usage_domains: bad id \"0x4g\" (expected a number or a range "
		     "N-M, e.g. 4, 0x47, 0x10-0x1f)");
	assert_fails("{\"usage_domains\": \"4,,5\", \"adapters\": []}",
		     "machine.json: usage_domains: empty element in id list");
	assert_fails("{\"usage_domains\": \"-4\", \"adapters\": []}",
		     "machine.json: usage_domains: bad id \"-4\" (expected a number or a range "
		     "N-M, e.g. 4, 0x47, 0x10-0x1f)");
	assert_fails("{\"control_domains\": [\"0-15\", \"0x20-0x10\"], \"adapters\": []}",
		     "machine.json: control_domains[1]: bad range \"0x20-0x10\" (start above end)");
	assert_fails("{\"usage_domains\": \"0x100\", \"adapters\": []}",
		     "machine.json: usage_domains: domain 256 (0x100) above max_domain_id 255");
	assert_fails("{\"max_domain_id\": 84, \"usage_domains\": \"80-90\", \"adapters\": []}",
		     "machine.json: usage_domains: domain 90 (0x5a) above max_domain_id 84");
	assert_fails("{\"control_domains\": [-1], \"adapters\": []}",
		     "machine.json: control_domains[0]: -1 out of range (0..255)");
	assert_fails("{\"adapters\": [{\"id\": \"five\", \"type\": \"CEX5A\"}]}",
		     "machine.json: adapters[0].id: bad number \"five\"");
	assert_fails("{\"adapters\": [{\"ids\": \"1-3,0x1z\", \"type\": \"CEX5A\"}]}",
		     "machine.json: adapters[0].ids: bad id \"0x1z\" (expected a number or a range "
		     "N-M, e.g. 4, 0x47, 0x10-0x1f)");
	assert_fails("{\"adapters\": [{\"id\": 1, \"ids\": \"2\", \"type\": \"CEX5A\"}]}",
		     "machine.json: adapters[0]: give either \"id\" or \"ids\", not both");
	assert_fails("{\"adapters\": [{\"type\": \"CEX5A\"}]}",
		     "machine.json: adapters[0]: missing \"id\" (or \"ids\")");
	assert_fails("{\"default_domain\": 300, \"adapters\": []}",
		     "machine.json: default_domain: 300 out of range (0..255)");
}

static void test_adapter_options_checked(void **state)
{
	(void)state;
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX5A\", \"depth\": 16}]}",
		     "machine.json: adapters[0].depth: 16 out of range (0..15)");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX5A\", \"max_msg_size\": 5000}]}",
		     "machine.json: adapters[0].max_msg_size: 5000 is not a multiple of 4096");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX5A\", \"max_msg_size\": 65536}]}",
		     "machine.json: adapters[0].max_msg_size: 65536 out of range (4096..61440)");
	assert_fails(
	    "{\"adapters\": [{\"ids\": \"1-2\", \"type\": \"CEX5A\", \"serial\": \"X1\"}]}",
	    "machine.json: adapters[0].serial: a serial number needs a single \"id\", not \"ids\"");
	assert_fails(
	    "{\"adapters\": [{\"id\": 1, \"type\": \"CEX5P\", \"serial\": \"01234567890123456\"}]}",
	    "machine.json: adapters[0].serial: bad serial \"01234567890123456\" (1 to 16 letters "
	    "and digits for an EP11 card)");
	assert_fails(
	    "{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"serial\": \"123456789\"}]}",
	    "machine.json: adapters[0].serial: bad serial \"123456789\" (1 to 8 letters "
	    "and digits for a CCA card)");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX5A\", \"serial\": \"X\"}]}",
		     "machine.json: adapters[0].serial: an accelerator has no serial number");
}

/* functions, the EP11 info and mkvps: each mistake names its field. */
static void test_card_kind_fields_checked(void **state)
{
	(void)state;
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"functions\": "
		     "\"0x88000000\"}]}",
		     "machine.json: adapters[0].functions: 0x88000000: of the mode bits 0x10000000 "
		     "(CCA), 0x08000000 (accelerator), 0x04000000 (EP11) it must have 0x10000000 "
		     "alone");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"op_modes\": []}]}",
		     "machine.json: adapters[0].op_modes: only an EP11 card (CEXnP) has op_modes");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7P\", \"op_modes\": "
		     "[\"FIPS2011\", \"FIPS2042\"]}]}",
		     "machine.json: adapters[0].op_modes[1]: unknown operation mode \"FIPS2042\" "
		     "(expected FIPS2009, BSI2009, FIPS2011, BSI2011 or BSICC2017)");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7P\", \"fw_version\": \"7\"}]}",
		     "machine.json: adapters[0].fw_version: bad firmware version \"7\" (expected "
		     "MAJOR.MINOR, each 0..255, e.g. \"8.2\")");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7A\", \"mkvps\": {}}]}",
		     "machine.json: adapters[0].mkvps: an accelerator has no master keys");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"mkvps\": "
		     "{\"wk_cur\": \"valid\"}}]}",
		     "machine.json: adapters[0].mkvps.wk_cur: unknown field");
	assert_fails(
	    "{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"mkvps\": "
	    "{\"aes_cur\": \"valid 0x12\"}}]}",
	    "machine.json: adapters[0].mkvps.aes_cur: bad pattern \"valid 0x12\" (expected "
	    "\"-\", a state, or a state and 0x with 16 hex digits, e.g. \"valid "
	    "0x0123456789abcdef\")");
	assert_fails(
	    "{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"mkvps\": "
	    "{\"aes_cur\": \"full 0x0123456789abcdef\"}}]}",
	    "machine.json: adapters[0].mkvps: a state that register cannot have (new: "
	    "empty, partial, full for CCA, empty, uncommitted, committed for EP11; current "
	    "and old: invalid, valid)");
}

static void test_card_kind_fields_parse(void **state)
{
	const struct ap_adapter *c, *p;

	(void)state;
	assert_int_equal(
	    parse("{\"adapters\": [{\"id\": 1, \"type\": \"CEX7C\", \"functions\": "
		  "\"0x92810003\", \"mkvps\": {\"aes_new\": \"full 0x00000000000000ff\", "
		  "\"aes_cur\": \"valid 0xfedcba9876543210\"}},"
		  "{\"id\": 2, \"type\": \"CEX8P\", \"serial\": \"93AAEA1B93AAEA1B\", "
		  "\"api_ordinal\": 7, \"fw_version\": \"8.19\", \"op_modes\": "
		  "[\"BSICC2017\", \"FIPS2009\"], \"mkvps\": {\"wk_cur\": \"invalid\"}}]}"),
	    0);
	c = &mj.hw.adapter[1];
	p = &mj.hw.adapter[2];
	assert_int_equal(machine_functions(&mj.hw, c), 0x92810003u);
	assert_int_equal(c->mkvps.cca_state[AP_CCA_AES_NEW], AP_MK_FULL);
	assert_int_equal(c->mkvps.cca_vp[AP_CCA_AES_NEW], 0xff);
	assert_int_equal(c->mkvps.cca_vp[AP_CCA_AES_CUR], 0xfedcba9876543210ull);
	assert_int_equal(c->mkvps.cca_state[AP_CCA_APKA_CUR], AP_MK_NONE);
	assert_string_equal(p->serial, "93AAEA1B93AAEA1B");
	assert_int_equal(p->ep11.api_ordinal, 7);
	assert_int_equal(p->ep11.fw_version, 0x0813);
	assert_int_equal(p->ep11.op_modes, AP_EP11_OPM_BSICC2017 | AP_EP11_OPM_FIPS2009);
	assert_int_equal(p->mkvps.ep11_state[AP_EP11_WK_CUR], AP_MK_INVALID);
	assert_int_equal(p->mkvps.ep11_state[AP_EP11_WK_NEW], AP_MK_NONE);
}

/* features: the QCI facility names; APXA in it is "apxa". */
static void test_features(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"features\": \"APSC APXA QACT APSB\", \"adapters\": []}"), 0);
	assert_true(mj.hw.info.apsc && mj.hw.info.apxa && mj.hw.info.qact && mj.hw.info.apsb);
	assert_false(mj.hw.info.rc8a);
	assert_int_equal(parse("{\"features\": [\"RC8A\"], \"adapters\": []}"), 0);
	assert_true(mj.hw.info.rc8a && !mj.hw.info.apxa && !mj.hw.info.apsc);
	assert_int_equal(machine_max_apid(&mj.hw), 63);
	/* without features: APSC, QACT, RC8A and APXA as "apxa" says */
	assert_int_equal(parse("{\"apxa\": false, \"adapters\": []}"), 0);
	assert_true(mj.hw.info.apsc && mj.hw.info.qact && mj.hw.info.rc8a);
	assert_false(mj.hw.info.apxa || mj.hw.info.apsb);
	assert_fails("{\"features\": [\"APXA\", \"APQX\"], \"adapters\": []}",
		     "machine.json: features[1]: unknown facility \"APQX\" (expected APSC, APXA, "
		     "QACT, RC8A or APSB)");
	assert_fails("{\"features\": \"APSC APXA\", \"apxa\": false, \"adapters\": []}",
		     "machine.json: apxa: false, but \"features\" has APXA");
	assert_fails(
	    "{\"qci\": false, \"features\": [\"APSC\"], \"adapters\": []}",
	    "machine.json: features: the facilities are reported by QCI: they need \"qci\": "
	    "true");
}

/* No "adapters": the built-in machine's adapters (those within the limit). */
static void test_partial_description_takes_the_default_adapters(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"abi\": \"v8\"}"), 0);
	assert_int_equal(mj.abi, AP_ABI_V8);
	assert_true(mj.hw.adapter[5].present && mj.hw.adapter[0xb].present);
	assert_string_equal(mj.hw.adapter[5].serial, "93AADFK7");
	assert_int_equal(mj.hw.adapter[0xb].ep11.op_modes, AP_EP11_OPM_FIPS2011);
	assert_int_equal(parse("{\"apxa\": true, \"max_adapter_id\": 7}"), 0);
	assert_true(mj.hw.adapter[7].present);
	assert_false(mj.hw.adapter[8].present || mj.hw.adapter[0xb].present);
	assert_int_equal(parse("{\"adapters\": []}"), 0);
	assert_false(mj.hw.adapter[5].present);
}

static void test_limits_without_apxa(void **state)
{
	(void)state;
	assert_fails("{\"apxa\": false, \"max_adapter_id\": 64, \"adapters\": []}",
		     "machine.json: max_adapter_id: 64 above 63, the limit without APXA");
	assert_fails("{\"apxa\": false, \"max_domain_id\": 255, \"adapters\": []}",
		     "machine.json: max_domain_id: 255 above 15, the limit without APXA");
	assert_fails(
	    "{\"apxa\": false, \"usage_domains\": \"4,0x47\", \"adapters\": []}",
	    "machine.json: usage_domains: domain 71 (0x47) above 15, the limit without APXA");
	assert_fails(
	    "{\"apxa\": false, \"adapters\": [{\"id\": 64, \"type\": \"CEX5A\"}]}",
	    "machine.json: adapters[0].id: adapter 64 (0x40) above 63, the limit without APXA");
	assert_fails(
	    "{\"apxa\": false, \"default_domain\": 16, \"adapters\": []}",
	    "machine.json: default_domain: domain 16 (0x10) above 15, the limit without APXA");
	assert_fails("{\"qci\": false, \"apxa\": true, \"adapters\": []}",
		     "machine.json: apxa: APXA is reported by QCI: it needs \"qci\": true");
	assert_fails("{\"max_adapter_id\": 15, \"adapters\": [{\"ids\": \"0x10-0x1f\", \"type\": "
		     "\"CEX8A\"}]}",
		     "machine.json: adapters[0].ids: adapter 16 (0x10) above max_adapter_id 15");
	assert_fails("{\"max_adapter_id\": 256, \"adapters\": []}",
		     "machine.json: max_adapter_id: 256 out of range (0..255)");
}

static void test_duplicate_adapter(void **state)
{
	(void)state;
	assert_fails(
	    "{\"adapters\": [{\"ids\": \"0x10-0x1f\", \"type\": \"CEX8A\"},\n"
	    "  {\"id\": 5, \"type\": \"CEX5C\"}, {\"id\": \"0x1a\", \"type\": \"CEX5A\"}]}",
	    "machine.json: adapters[2]: adapter 26 (0x1a) already defined by adapters[0]");
}

static void test_unknown_fields(void **state)
{
	(void)state;
	assert_fails("{\"adapters\": [], \"apmaks\": \"0xff\"}",
		     "machine.json: apmaks: unknown field");
	assert_fails("{\"adapters\": [{\"id\": 1, \"type\": \"CEX5A\", \"dept\": 3}]}",
		     "machine.json: adapters[0].dept: unknown field");
}

static void test_masks(void **state)
{
	static const unsigned int rel[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

	(void)state;
	assert_int_equal(parse("{\"apmask\": \"+0-15\", \"aqmask\": \"\", \"adapters\": []}"), 0);
	assert_ids(&mj.apmask, rel, 16);
	assert_true(mj.have_aqmask);
	assert_true(ap_mask_empty(&mj.aqmask));
	assert_fails("{\"apmask\": \"0xfffz\", \"adapters\": []}",
		     "machine.json: apmask: bad mask \"0xfffz\" (expected the apmask write syntax, "
		     "e.g. \"0xffff\" or \"+0-15\")");
	assert_fails("{\"aqmask\": \"+5,6\", \"adapters\": []}",
		     "machine.json: aqmask: bad mask \"+5,6\" (expected the aqmask write syntax, "
		     "e.g. \"0xffff\" or \"+0-15\")");
	assert_fails("{\"abi\": \"v8\", \"apmask\": \"0xff\", \"adapters\": []}",
		     "machine.json: apmask: the v8 ABI has no apmask");
	assert_fails("{\"max_instances\": 0, \"adapters\": []}",
		     "machine.json: max_instances: 0 out of range (1..65536)");
}

static void test_syntax_error_names_line_and_column(void **state)
{
	(void)state;
	assert_fails("{\n  \"abi\": \"cur\",\n  \"adapters\": [,]\n}\n",
		     "machine.json:3:16: JSON syntax error: unexpected character");
	assert_fails("{\n  \"adapters\": []\n",
		     "machine.json:3:1: JSON syntax error: unexpected end of file");
	assert_fails("", "machine.json:1:1: JSON syntax error: unexpected end of file");
	assert_fails("{\"adapters\": []}\n{}",
		     "machine.json:2:1: JSON syntax error: text after the end of the JSON object");
	assert_fails("{\"adapters\": [],}",
		     "machine.json:1:17: JSON syntax error: unexpected character");
}

static void test_load_file_errors(void **state)
{
	char path[] = "/tmp/machine_json_test.XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(machine_json_load("/nonexistent/m.json", &mj, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/m.json: cannot read: No such file or directory");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "{\"adapters\": [{\"id\": 300, \"type\": \"CEX5A\"}]}", 44), 44);
	close(fd);
	assert_int_equal(machine_json_load(path, &mj, err, sizeof(err)), -EINVAL);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_string_equal(err + strlen(path), ": adapters[0].id: 300 out of range (0..255)");
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_machine_parses),
	    cmocka_unit_test(test_default_machine_builds_system),
	    cmocka_unit_test(test_full_example_parses),
	    cmocka_unit_test(test_full_example_masks_bind_queues),
	    cmocka_unit_test(test_minimal_description_gets_defaults),
	    cmocka_unit_test(test_without_apxa_limits_are_63_and_15),
	    cmocka_unit_test(test_v8_abi),
	    cmocka_unit_test(test_vfio_ap_absent_at_start),
	    cmocka_unit_test(test_wrong_types_are_named),
	    cmocka_unit_test(test_unknown_adapter_type),
	    cmocka_unit_test(test_bad_ids_and_ranges),
	    cmocka_unit_test(test_adapter_options_checked),
	    cmocka_unit_test(test_limits_without_apxa),
	    cmocka_unit_test(test_duplicate_adapter),
	    cmocka_unit_test(test_card_kind_fields_checked),
	    cmocka_unit_test(test_card_kind_fields_parse),
	    cmocka_unit_test(test_features),
	    cmocka_unit_test(test_partial_description_takes_the_default_adapters),
	    cmocka_unit_test(test_unknown_fields),
	    cmocka_unit_test(test_masks),
	    cmocka_unit_test(test_syntax_error_names_line_and_column),
	    cmocka_unit_test(test_load_file_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
