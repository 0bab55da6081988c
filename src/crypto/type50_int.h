/*
 * type50_int - the arithmetic behind type50.c (type50_bn.c): the two RSA
 * operations on operands already located in a request whose header and
 * length were checked. Private to src/crypto.
 */
#ifndef APEMU_CRYPTO_TYPE50_INT_H
#define APEMU_CRYPTO_TYPE50_INT_H

#include <stddef.h>
#include <stdint.h>

struct t50_ctx;

/* The operands of a MEB: three fields of `field` bytes each. */
struct t50_mex_args {
	const uint8_t *e, *n, *msg;
	size_t field;
};

/* The operands of a CRB: five fields of `field` bytes and the message of
 * 2 * field bytes. */
struct t50_crt_args {
	const uint8_t *p, *q, *dp, *dq, *u, *msg;
	size_t field;
};

/*
 * out[0 .. field) = msg^e mod n, right-justified. Returns 0, or the type 82
 * reply code (T50_RC_*) when the operands are refused or libcrypto failed;
 * out is untouched then.
 */
int t50_mex(struct t50_ctx *ctx, const struct t50_mex_args *a, uint8_t *out);

/*
 * out[0 .. 2 * field) = the CRT result for msg, right-justified:
 * m1 = msg^dp mod p, m2 = msg^dq mod q, h = u (m1 - m2) mod p,
 * result = m2 + h q. Returns 0 or a reply code, as t50_mex.
 */
int t50_crt(struct t50_ctx *ctx, const struct t50_crt_args *a, uint8_t *out);

#endif
