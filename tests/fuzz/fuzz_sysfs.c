/*
 * fuzz_sysfs - libFuzzer target: the sysfs store parsers and the stores
 * that use them (numbers, booleans, masks, UUIDs, assign/unassign,
 * ap_config, apmask/aqmask, ap_domain, bind/unbind) on a small
 * machine, fresh for each input. The first byte picks the store, the rest is what was written.
 *
 * Invariant: whatever is written, a store returns 0 or a negative errno,
 * never reads beyond the buffer and leaves a consistent model.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "machine_json.h"
#include "mask.h"
#include "matrix.h"
#include "parse.h"

#define UUID "62177883-f1bb-47f0-914d-32a22e3a8804"

/* small (no APXA: 64 x 16 queues), so that a fresh one per input is cheap */
static const char machine[] =
    "{\"apxa\": false, \"apmask\": \"0x0f\", \"aqmask\": \"0x8\", "
    "\"usage_domains\": \"1,3,4,15\", \"control_domains\": \"1,4\", "
    "\"adapters\": [{\"id\": 2, \"type\": \"CEX5C\"}, {\"id\": 5, \"type\": \"CEX6A\"}, "
    "{\"id\": 6, \"type\": \"CEX8P\"}, {\"id\": 63, \"type\": \"CEX7A\"}]}";

static void parsers(uint8_t which, const char *buf, size_t len)
{
	struct ap_mask cur = {0}, m;
	unsigned long ul;
	unsigned long long ull;
	uint8_t uuid[AP_UUID_LEN];
	int i;
	bool b;

	switch (which % 8) {
	case 0:
		ap_parse_ulong(buf, len, &ul);
		break;
	case 1:
		ap_parse_int_auto(buf, len, &i);
		break;
	case 2:
		ap_parse_int_dec(buf, len, &i);
		break;
	case 3:
		ap_parse_ull_dec(buf, len, &ull);
		break;
	case 4:
		ap_parse_bool(buf, len, &b);
		break;
	case 5:
		ap_uuid_parse(buf, len, which & 0x80, uuid);
		break;
	case 6:
		ap_mask_fill(&cur, 100);
		ap_mask_parse(buf, len, &cur, &m);
		break;
	default:
		ap_mask_parse_abs(buf, len, &m);
		break;
	}
}

static void stores(struct ap_system *s, uint8_t which, const char *buf, size_t len)
{
	struct ap_mdev *m = NULL;
	unsigned int id;

	matrix_create(s, UUID, strlen(UUID), &m);
	switch (which % 12) {
	case 0:
		matrix_create(s, buf, len, NULL);
		break;
	case 1:
	case 2:
	case 3:
		matrix_assign(s, m, (enum ap_kind)(which % 12 - 1), buf, len);
		break;
	case 4:
		matrix_unassign(s, m, (enum ap_kind)(which % 3), buf, len);
		break;
	case 5:
		matrix_ap_config_store(s, m, buf, len);
		break;
	case 6:
		apbus_store_apmask(s, buf, len);
		break;
	case 7:
		apbus_store_aqmask(s, buf, len);
		break;
	case 8:
		apbus_store_ap_domain(s, buf, len);
		break;
	case 9:
		apbus_bind(s, AP_DRV_VFIO_AP, buf, len);
		break;
	case 10:
		apbus_unbind(s, AP_DRV_CEX4QUEUE, buf, len);
		break;
	default:
		apbus_lookup_device(s, buf, len, &id);
		matrix_remove_store(s, m, buf, len);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct machine_json mj;
	static bool loaded;
	struct ap_system *s;
	char *buf;
	char err[MACHINE_JSON_ERR_LEN];

	if (size < 1)
		return 0;
	if (!loaded) {
		if (machine_json_parse("fuzz", machine, sizeof(machine) - 1, &mj, err,
				       sizeof(err)) < 0)
			abort();
		loaded = true;
	}
	/* an exact-size copy, so that a read past the write is seen by ASan */
	buf = malloc(size - 1 ? size - 1 : 1);
	memcpy(buf, data + 1, size - 1);
	if (data[0] & 0x40) {
		parsers(data[0], buf, size - 1);
	} else if (machine_json_system_new(&mj, &s) == 0) {
		stores(s, data[0], buf, size - 1);
		machine_json_system_free(s);
	}
	free(buf);
	return 0;
}
