/*
 * fuzz_request - libFuzzer target: a control-socket request as apemud
 * decodes it before an operation sees it: strict UTF-8 JSON (the
 * tokenizer's flags of src/daemon/control.c), one object, then the member
 * checks every operation runs through jfield (unknown members, integers in
 * JSON or C syntax with their ranges, booleans, id lists).
 *
 * Invariant: any message bytes give a request object or a refusal with a
 * message, never a read beyond the message; every check returns 0 or
 * -EINVAL with its message.
 *
 * Not covered here: the operations themselves (src/daemon/request_test.c
 * calls them in-process; the functional tests send them malformed
 * requests through a running apemud).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jfield.h"

static const char *const known[] = {"op",   "tag", "id",    "on",    "queues", "uuid", "memory",
				    "ring", "fd",  "index", "event", "type",   NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jfield_ids ids = {
	    .what = "adapter", .limit_field = "max_adapter_id", .limit = 255, .extended = true};
	char err[512] = "";
	struct jfield jf = {.name = "fuzz", .err = err, .errlen = sizeof(err)};
	struct json_tokener *tok;
	struct json_object *req, *v;
	char *text;
	unsigned long u;
	struct ap_mask m;
	bool b;

	if (size > 65536)
		return 0;
	text = malloc(size ? size : 1);
	memcpy(text, data, size);
	tok = json_tokener_new();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	req = json_tokener_parse_ex(tok, text, (int)size);
	if (json_tokener_get_error(tok) == json_tokener_success &&
	    json_object_is_type(req, json_type_object)) {
		jfield_check_known(&jf, req, NULL, known);
		if (json_object_object_get_ex(req, "id", &v))
			jfield_uint(&jf, v, "id", 0, 255, &u);
		if (json_object_object_get_ex(req, "memory", &v))
			jfield_uint(&jf, v, "memory", 8192, 1ul << 40, &u);
		if (json_object_object_get_ex(req, "event", &v))
			jfield_id_list(&jf, v, "event", &ids, &m);
		jfield_bool(&jf, req, "on", false, &b);
		json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN);
	}
	json_object_put(req);
	json_tokener_free(tok);
	/* the machine description's tokenizer, on the same bytes */
	req = NULL;
	if (jfield_tokenize(&jf, text, size, &req) == 0)
		json_object_put(req);
	free(text);
	return 0;
}
