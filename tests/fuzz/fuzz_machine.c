/*
 * fuzz_machine - libFuzzer target: the machine description (JSON) parser
 * and the system it builds.
 *
 * Invariant: any text is either refused with -EINVAL and a message, or
 * gives a description from which a system can be built and freed.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "machine_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[MACHINE_JSON_ERR_LEN] = "";
	struct machine_json mj;
	struct ap_system *s;
	char *text = malloc(size ? size : 1);

	memcpy(text, data, size);
	if (machine_json_parse("fuzz.json", text, size, &mj, err, sizeof(err)) == 0) {
		if (machine_json_system_new(&mj, &s) == 0)
			machine_json_system_free(s);
	} else if (!err[0]) {
		abort(); /* a refusal always says why */
	}
	free(text);
	return 0;
}
