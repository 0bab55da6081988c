/*
 * type50 - one request in, one reply out, as an AP adapter does it (see
 * type50.h for the formats and the reply-code table). This file checks the
 * header and the length, locates the operands and builds the reply; the
 * arithmetic is in type50_bn.c.
 */
#include "type50.h"
#include "type50_int.h"

#include <stdbool.h>
#include <string.h>

/* A key block: MEB = 3 fields of `field` bytes (e, n, message); CRB = 5
 * fields of `field` bytes (p, q, dp, dq, u) and a message of 2 * field. */
struct kb_layout {
	uint16_t type;
	bool crt;
	uint16_t field;
};

static const struct kb_layout layouts[] = {
    {T50_MEB1, false, 128}, {T50_MEB2, false, 256}, {T50_MEB3, false, 512},
    {T50_CRB1, true, 64},   {T50_CRB2, true, 128},  {T50_CRB3, true, 256},
};

/* R: the result field of the reply (the modulus field of a MEB, the
 * message field of a CRB). */
static size_t kb_result(const struct kb_layout *kb)
{
	return kb->crt ? 2u * kb->field : kb->field;
}

/* The whole request, header included. */
static size_t kb_total(const struct kb_layout *kb)
{
	return T50_HDR_LEN + (kb->crt ? 7u : 3u) * kb->field;
}

static unsigned int be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static const struct kb_layout *find_layout(unsigned int type)
{
	for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++)
		if (layouts[i].type == type)
			return &layouts[i];
	return NULL;
}

/*
 * Everything about a request that needs no arithmetic, in the order of the
 * table in type50.h. Returns 0 and sets *ret_kb, or a reply code.
 */
static int check_request(enum ap_mode mode, unsigned int max_modulus_bytes, const uint8_t *req,
			 size_t len, const struct kb_layout **ret_kb)
{
	const struct kb_layout *kb;

	if (mode != AP_MODE_ACCEL)
		return T50_RC_MESSAGE_TYPE;
	if (len >= 2 && req[1] != T50_TYPE_REQUEST)
		return T50_RC_MESSAGE_TYPE;
	if (len < T50_HDR_LEN || be16(req + 2) != len)
		return T50_RC_INVALID_MSG_LEN;
	kb = find_layout(be16(req + 8));
	if (!kb)
		return T50_RC_OPERAND_INVALID;
	if (len != kb_total(kb))
		return T50_RC_INVALID_MSG_LEN;
	if (kb_result(kb) > max_modulus_bytes)
		return T50_RC_OPERAND_SIZE;
	*ret_kb = kb;
	return 0;
}

static size_t error_reply(uint8_t *reply, int code)
{
	memset(reply, 0, T50_ERROR_REPLY_LEN);
	reply[1] = T50_TYPE_ERROR;
	reply[4] = (uint8_t)code;
	return T50_ERROR_REPLY_LEN;
}

/* The result is already at reply + 16; put the type 80 header before it. */
static size_t success_reply(uint8_t *reply, size_t result_len)
{
	size_t len = T50_HDR_LEN + result_len;

	memset(reply, 0, T50_HDR_LEN);
	reply[1] = T50_TYPE_REPLY;
	reply[2] = (uint8_t)(len >> 8);
	reply[3] = (uint8_t)len;
	return len;
}

static int run(struct t50_ctx *ctx, const struct kb_layout *kb, const uint8_t *req, uint8_t *out)
{
	const uint8_t *b = req + T50_HDR_LEN;
	size_t f = kb->field;

	if (kb->crt) {
		const struct t50_crt_args a = {
		    .p = b,
		    .q = b + f,
		    .dp = b + 2 * f,
		    .dq = b + 3 * f,
		    .u = b + 4 * f,
		    .msg = b + 5 * f,
		    .field = f,
		};

		return t50_crt(ctx, &a, out);
	}
	const struct t50_mex_args a = {.e = b, .n = b + f, .msg = b + 2 * f, .field = f};

	return t50_mex(ctx, &a, out);
}

size_t t50_execute(enum ap_mode mode, unsigned int max_modulus_bytes, const uint8_t *req,
		   size_t len, uint8_t *reply, size_t reply_cap, struct t50_ctx *ctx)
{
	const struct kb_layout *kb = NULL;
	int rc;

	if (!reply || reply_cap < T50_ERROR_REPLY_LEN)
		return 0;
	if (!req)
		len = 0;
	rc = check_request(mode, max_modulus_bytes, req, len, &kb);
	if (rc)
		return error_reply(reply, rc);
	if (!ctx || reply_cap < T50_HDR_LEN + kb_result(kb))
		return error_reply(reply, T50_RC_MACHINE_FAILURE);
	rc = run(ctx, kb, req, reply + T50_HDR_LEN);
	if (rc)
		return error_reply(reply, rc);
	return success_reply(reply, kb_result(kb));
}
