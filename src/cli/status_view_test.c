/*
 * status_view_test - unit tests for the `apemu status` picture.
 *
 * Invariant: each grid cell says who holds the APQN (h host driver, - free
 * vfio_ap queue, . no driver, a-z the mdev whose matrix holds it, A-Z that
 * mdev's guest using it, '!' an mdev's APQN not bound to vfio_ap); no line
 * ends in blanks and the default machine fits 80 columns; machines with too
 * many domains get a summary, not a grid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status_view.h"

#define U1 "11111111-2222-3333-4444-555555555555"
#define U2 "22222222-2222-3333-4444-555555555555"

#define ADAPTER(id, type, extra)                                                                   \
	"{\"id\":" #id ",\"type\":\"" type "\",\"config\":true,\"chkstop\":false,\"online\":true," \
	"\"driver\":\"cex4card\"" extra "}"
#define QUEUE(a, d, drv, mdev, status)                                                             \
	"{\"adapter\":" #a ",\"domain\":" #d ",\"driver\":" drv ",\"mdev\":" mdev                  \
	",\"status\":" status "}"

static const char status_json[] =
    "{\"pid\":42,\"mount\":\"/run/apemu/sys\",\"abi\":\"cur\","
    "\"facilities\":{\"qci\":true,\"apft\":true,\"aqic\":true,\"apxa\":true},"
    "\"max_adapter_id\":255,\"max_domain_id\":255,\"ap_domain\":4,"
    "\"apmask\":\"0xf9ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\","
    "\"aqmask\":\"0xf7fffffffffffffffeffffffffffffffffffffffffeffffffffffffffffffffe\","
    "\"usage_domains\":[4,71],\"control_domains\":[4,71],"
    "\"bindings\":{\"bound\":3,\"total\":4},"
    "\"max_instances\":65536,\"available_instances\":65534,"
    "\"adapters\":[" ADAPTER(5, "CEX5C", "") "," ADAPTER(
	6, "CEX5A",
	",\"chkstop\":true") "],"
			     "\"queues\":[" QUEUE(5, 4, "\"vfio_ap\"", "\"" U1 "\"", "\"in use\"") "," QUEUE(
				 5, 71, "\"vfio_ap\"", "\"" U2 "\"",
				 "\"assigned\"") "," QUEUE(6, 4, "\"cex4queue\"", "\"" U2 "\"",
							   "null") "," QUEUE(6, 71, "null", "null",
									     "null") "],"
										     "\"mdevs\":[{"
										     "\"uuid\":"
										     "\"" U1
										     "\",\"guest\":"
										     "7,"
										     "\"matrix\":{"
										     "\"apm\":"
										     "\"0x04\","
										     "\"aqm\":"
										     "\"0x08\","
										     "\"adm\":"
										     "\"0x\"},"
										     "\"guest_"
										     "matrix\":{"
										     "\"apm\":"
										     "\"0x04\","
										     "\"aqm\":"
										     "\"0x08\","
										     "\"adm\":"
										     "\"0x\"}},"
										     "{\"uuid\":"
										     "\"" U2
										     "\",\"guest\":"
										     "null,"
										     "\"matrix\":{"
										     "\"apm\":"
										     "\"0x06\","
										     "\"aqm\":"
										     "\"0x0001\","
										     "\"adm\":"
										     "\"0x0001\"},"
										     "\"guest_"
										     "matrix\":{"
										     "\"apm\":"
										     "\"0x04\","
										     "\"aqm\":"
										     "\"0x0001\","
										     "\"adm\":"
										     "\"0x\"}}]}";

static char *render(struct json_object *st)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	status_view_print(st, f);
	fclose(f);
	return buf;
}

static void test_grid_cells_name_the_holder(void **state)
{
	struct json_object *st = json_tokener_parse(status_json);
	char *out;

	(void)state;
	assert_non_null(st);
	assert_true(status_view_wants_grid(st));
	out = render(st);
	assert_non_null(strstr(out, "          04  47\n"));
	assert_non_null(strstr(out, "05 CEX5C  A   b\n"));
	assert_non_null(strstr(out, "06 CEX5A  b!  .    checkstopped\n"));
	assert_non_null(strstr(out, "  a  " U1 "  guest 7\n"));
	assert_non_null(strstr(out, "  b  " U2 "  no guest\n"));
	assert_non_null(strstr(out, "matrix:       adapters 05-06  domains 0f  control 0f\n"));
	assert_non_null(strstr(out, "guest matrix: adapters 05  domains 0f  control -\n"));
	assert_non_null(strstr(out, "mdevs: 2 (65534 of 65536 instances available)\n"));
	free(out);
	json_object_put(st);
}

static void test_lines_fit_80_columns_without_trailing_blanks(void **state)
{
	struct json_object *st = json_tokener_parse(status_json);
	char *out, *line, *save = NULL;

	(void)state;
	out = render(st);
	for (line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		assert_true(strlen(line) <= 80);
		assert_true(line[strlen(line) - 1] != ' ');
	}
	free(out);
	json_object_put(st);
}

static void test_many_domains_give_a_summary(void **state)
{
	struct json_object *st = json_tokener_parse(status_json);
	struct json_object *doms = json_object_new_array();
	char *out;

	(void)state;
	for (int d = 0; d < 40; d++)
		json_object_array_add(doms, json_object_new_int(d));
	json_object_object_add(st, "usage_domains", doms);
	json_object_object_add(json_object_array_get_idx(json_object_object_get(st, "adapters"), 0),
			       "queue_counts",
			       json_tokener_parse("{\"cex4queue\":30,\"vfio_ap\":10,\"assigned\":2,"
						  "\"in_use\":1,\"unbound\":0}"));
	assert_false(status_view_wants_grid(st));
	out = render(st);
	assert_non_null(strstr(out, "40 usage domains: too many for a grid"));
	assert_non_null(
	    strstr(out, "05 CEX5C  host 30  vfio_ap 10 (assigned 2, in use 1)  no driver 0\n"));
	assert_null(strstr(out, "legend"));
	free(out);
	json_object_put(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_grid_cells_name_the_holder),
	    cmocka_unit_test(test_lines_fit_80_columns_without_trailing_blanks),
	    cmocka_unit_test(test_many_domains_give_a_summary),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
