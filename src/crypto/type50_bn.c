/*
 * type50_bn - the RSA arithmetic of a type 50 request with libcrypto's BN
 * functions (see type50_int.h), and the per-thread context.
 *
 * Speed (PERF-NOTES.md): no EVP_PKEY per request and no blinding shared
 * between threads; the CRT runs both halves at once with
 * BN_mod_exp_mont_consttime_x2 (AVX-512 IFMA for 1024-bit primes when the
 * CPU has it; otherwise it falls back to two constant-time exponentiations
 * itself, which also covers p and q of different sizes). The set-up of a
 * Montgomery context (R^2 mod m) is kept in a small per-context LRU cache
 * keyed by the modulus bytes, compared with CRYPTO_memcmp.
 *
 * Exponentiations are constant-time (the secret exponents, and the primes
 * as moduli); reducing the message and recombining the halves use the
 * ordinary BN functions. There is no blinding: each request brings its own
 * key from its owner, who learns nothing new from its own timings, and what
 * a neighbour sharing the CPU could watch is the exponentiation, which is
 * constant-time.
 */
#include "type50_int.h"
#include "type50.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

/* Two keys' worth of CRT primes plus a few MEX moduli. */
#define MONT_SLOTS 8

struct mont_slot {
	BN_MONT_CTX *mont;
	size_t len;    /* significant bytes of the modulus; 0: empty */
	uint64_t used; /* ctx->clock when last returned */
	uint8_t mod[T50_MAX_RESULT];
};

struct t50_ctx {
	BN_CTX *bn;
	uint64_t clock;
	struct mont_slot slot[MONT_SLOTS];
};

struct t50_ctx *t50_ctx_new(void)
{
	struct t50_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return NULL;
	ctx->bn = BN_CTX_new();
	if (!ctx->bn) {
		free(ctx);
		return NULL;
	}
	return ctx;
}

void t50_ctx_free(struct t50_ctx *ctx)
{
	if (!ctx)
		return;
	for (size_t i = 0; i < MONT_SLOTS; i++)
		BN_MONT_CTX_free(ctx->slot[i].mont); /* clears its numbers */
	BN_CTX_free(ctx->bn);
	OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
}

/* The significant bytes of a big-endian field (len 0 for zero). */
static const uint8_t *strip_zeros(const uint8_t *p, size_t *len)
{
	while (*len && !*p) {
		p++;
		(*len)--;
	}
	return p;
}

/*
 * The Montgomery context of the odd modulus m > 1, whose field is
 * raw[0 .. field): from the cache, or set up in the least recently used
 * slot. The pointer stays valid until MONT_SLOTS - 1 other moduli have been
 * looked up. NULL when libcrypto failed.
 */
static BN_MONT_CTX *mont_get(struct t50_ctx *ctx, const BIGNUM *m, const uint8_t *raw, size_t field)
{
	size_t len = field;
	const uint8_t *mod = strip_zeros(raw, &len);
	struct mont_slot *victim = &ctx->slot[0];

	ctx->clock++;
	for (size_t i = 0; i < MONT_SLOTS; i++) {
		struct mont_slot *s = &ctx->slot[i];

		if (s->len == len && CRYPTO_memcmp(s->mod, mod, len) == 0) {
			s->used = ctx->clock;
			return s->mont;
		}
		if (s->used < victim->used)
			victim = s;
	}
	if (!victim->mont) {
		victim->mont = BN_MONT_CTX_new();
		if (!victim->mont)
			return NULL;
	}
	victim->len = 0; /* empty until set up */
	if (!BN_MONT_CTX_set(victim->mont, m, ctx->bn))
		return NULL;
	memcpy(victim->mod, mod, len);
	victim->len = len;
	victim->used = ctx->clock;
	return victim->mont;
}

/* Load a field into b. */
static bool load(BIGNUM *b, const uint8_t *field, size_t len)
{
	return BN_bin2bn(field, (int)len, b) != NULL;
}

/* A prime or modulus the Montgomery code can take: odd and above 1. */
static bool odd_above_one(const BIGNUM *m)
{
	return BN_is_odd(m) && !BN_is_one(m);
}

/* Put r right-justified into out[0 .. len); r < 2^(8 len) by construction. */
static bool store(const BIGNUM *r, uint8_t *out, size_t len)
{
	return BN_bn2binpad(r, out, (int)len) == (int)len;
}

/* Whatever libcrypto queued for this thread on a failed call. */
static int failed(void)
{
	ERR_clear_error();
	return T50_RC_MACHINE_FAILURE;
}

static int mex_check(const BIGNUM *n, const BIGNUM *msg)
{
	if (BN_is_zero(n) || BN_is_one(n))
		return T50_RC_OPERAND_INVALID;
	if (!BN_is_odd(n))
		return T50_RC_EVEN_MOD_IN_OPND;
	if (BN_ucmp(msg, n) >= 0)
		return T50_RC_OPERAND_INVALID;
	return 0;
}

int t50_mex(struct t50_ctx *ctx, const struct t50_mex_args *a, uint8_t *out)
{
	BN_CTX *bn = ctx->bn;
	BIGNUM *e, *n, *msg, *r;
	BN_MONT_CTX *mont;
	int rc;

	BN_CTX_start(bn);
	e = BN_CTX_get(bn);
	n = BN_CTX_get(bn);
	msg = BN_CTX_get(bn);
	r = BN_CTX_get(bn);
	if (!r || !load(e, a->e, a->field) || !load(n, a->n, a->field) ||
	    !load(msg, a->msg, a->field)) {
		rc = failed();
		goto end;
	}
	rc = mex_check(n, msg);
	if (rc)
		goto end;
	BN_set_flags(e, BN_FLG_CONSTTIME);
	mont = mont_get(ctx, n, a->n, a->field);
	if (!mont || !BN_mod_exp_mont_consttime(r, msg, e, n, bn, mont) || !store(r, out, a->field))
		rc = failed();
end:
	BN_CTX_end(bn);
	return rc;
}

/* The CRT operands as numbers, plus n = p q. */
struct crt_nums {
	BIGNUM *p, *q, *dp, *dq, *u, *c, *n;
};

/* Load and check the CRT operands. Returns 0 or a reply code. */
static int crt_load(BN_CTX *bn, const struct t50_crt_args *a, struct crt_nums *v)
{
	size_t f = a->field;

	v->p = BN_CTX_get(bn);
	v->q = BN_CTX_get(bn);
	v->dp = BN_CTX_get(bn);
	v->dq = BN_CTX_get(bn);
	v->u = BN_CTX_get(bn);
	v->c = BN_CTX_get(bn);
	v->n = BN_CTX_get(bn);
	if (!v->n || !load(v->p, a->p, f) || !load(v->q, a->q, f) || !load(v->dp, a->dp, f) ||
	    !load(v->dq, a->dq, f) || !load(v->u, a->u, f) || !load(v->c, a->msg, 2 * f))
		return failed();
	if (!odd_above_one(v->p) || !odd_above_one(v->q))
		return T50_RC_OPERAND_INVALID;
	if (!BN_mul(v->n, v->p, v->q, bn))
		return failed();
	if (BN_ucmp(v->c, v->n) >= 0)
		return T50_RC_OPERAND_INVALID;
	BN_set_flags(v->p, BN_FLG_CONSTTIME);
	BN_set_flags(v->q, BN_FLG_CONSTTIME);
	BN_set_flags(v->dp, BN_FLG_CONSTTIME);
	BN_set_flags(v->dq, BN_FLG_CONSTTIME);
	return 0;
}

/*
 * Both halves at once. The bases are reduced first: the IFMA path of
 * BN_mod_exp_mont_consttime_x2 wants them below their moduli. Both
 * Montgomery contexts are looked up before either is used, and two lookups
 * cannot evict each other (MONT_SLOTS > 2).
 */
static bool crt_halves(struct t50_ctx *ctx, const struct t50_crt_args *a, const struct crt_nums *v,
		       BIGNUM *m1, BIGNUM *m2)
{
	BN_CTX *bn = ctx->bn;
	BN_MONT_CTX *mont_p = mont_get(ctx, v->p, a->p, a->field);
	BN_MONT_CTX *mont_q = mont_get(ctx, v->q, a->q, a->field);

	return mont_p && mont_q && BN_mod(m1, v->c, v->p, bn) && BN_mod(m2, v->c, v->q, bn) &&
	       BN_mod_exp_mont_consttime_x2(m1, m1, v->dp, v->p, mont_p, m2, m2, v->dq, v->q,
					    mont_q, bn);
}

int t50_crt(struct t50_ctx *ctx, const struct t50_crt_args *a, uint8_t *out)
{
	BN_CTX *bn = ctx->bn;
	struct crt_nums v;
	BIGNUM *m1, *m2, *h;
	int rc;

	BN_CTX_start(bn);
	rc = crt_load(bn, a, &v);
	if (rc)
		goto end;
	m1 = BN_CTX_get(bn);
	m2 = BN_CTX_get(bn);
	h = BN_CTX_get(bn);
	/*
	 * h = u (m1 - m2) mod p (BN_mod_sub gives 0 <= h < p even when
	 * m2 > p, i.e. q > p); then m2 + h q < q + (p - 1) q = n, which fits
	 * the message field.
	 */
	if (!h || !crt_halves(ctx, a, &v, m1, m2) || !BN_mod_sub(h, m1, m2, v.p, bn) ||
	    !BN_mod_mul(h, h, v.u, v.p, bn) || !BN_mul(h, h, v.q, bn) || !BN_add(h, h, m2) ||
	    !store(h, out, 2 * a->field))
		rc = failed();
end:
	BN_CTX_end(bn);
	return rc;
}
