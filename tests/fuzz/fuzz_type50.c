/*
 * fuzz_type50 - libFuzzer target: type 50 requests as an accelerator (and a
 * CCA queue) executes them. The first byte picks the mode and the modulus
 * limit, the rest is the request.
 *
 * Invariant: t50_execute never reads beyond the request nor writes beyond
 * the reply buffer, and answers 8 bytes (type 82) or 16 + R (type 80).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "type50.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct t50_ctx *ctx;
	uint8_t reply[T50_REPLY_MAX];
	uint8_t *req;
	size_t n, cap;
	enum ap_mode mode;

	if (size < 1)
		return 0;
	if (!ctx)
		ctx = t50_ctx_new();
	mode = data[0] & 1 ? AP_MODE_CCA : AP_MODE_ACCEL;
	cap = data[0] & 2 ? 64 : sizeof(reply);
	req = malloc(size - 1 ? size - 1 : 1);
	memcpy(req, data + 1, size - 1);
	n = t50_execute(mode, data[0] & 4 ? 256 : 512, req, size - 1, reply, cap, ctx);
	if (n > cap || (n != 8 && n < 16))
		abort();
	free(req);
	return 0;
}
