/*
 * machine_json_card - the card-kind fields of a machine description's
 * adapters[] element (serial, functions, api_ordinal, fw_version,
 * op_modes, mkvps); see machine_json_card.c.
 */
#ifndef APEMU_MACHINE_JSON_CARD_H
#define APEMU_MACHINE_JSON_CARD_H

#include <stdbool.h>

#include <json-c/json.h>

#include "jfield.h"
#include "machine.h"

/* Storage the description's pointers refer to while the element is added. */
struct machine_json_card_scratch {
	struct ap_ep11_info ep11;
	struct ap_mkvps mkvps;
};

/*
 * Fill d->serial, functions, ep11 and mkvps from the element o at path
 * (d->gen and d->mode already set; single: it has one "id"). -EINVAL with
 * the message in jf naming the field. d's pointers refer to o's strings
 * and to scratch.
 */
int machine_json_card_parse(struct jfield *jf, struct json_object *o, const char *path, bool single,
			    struct ap_adapter_desc *d, struct machine_json_card_scratch *scratch);

#endif
