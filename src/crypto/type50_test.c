/*
 * type50_test - an accelerator queue's answer to type 50 requests
 * (type50.c, type50_bn.c), with OpenSSL's own RSA as the oracle.
 *
 * Invariants: a request laid out as Linux's zcrypt driver lays it out
 * (operands of the caller's length L right-justified in the block the
 * driver picks for L) gets a type 80 reply of 16 + R bytes whose last L
 * bytes are exactly what OpenSSL computes with the same key, for keys of
 * 512 to 4096 bits in both the ME and the CRT form; every malformed or
 * refused request gets the 8-byte type 82 reply with the code of the table
 * in type50.h; CCA and EP11 queues refuse everything; and whatever the
 * bytes, the reply is 8 or 16 + R bytes long, well formed, within the
 * caller's buffer (exact-size heap buffers, so the address sanitizer build
 * catches a stray byte) and, when it is a result, arithmetically right.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "rsakey.h"
#include "testkeys.h"
#include "type50.h"

#define FUZZ_ROUNDS 3000
#define FUZZ_SEED   0x5eed50u

/* Keys shared by the tests: fixed ones (testkeys.h), as generating them took seconds. */
#define NKEYS (sizeof(testkeys) / sizeof(testkeys[0]))

static struct rsakey keys[NKEYS];
static struct t50_ctx *ctx;

/* The numbers of a PEM key, as rsakey_generate() fills them in. 0 or -1. */
static int key_load(const struct testkey *t, struct rsakey *k)
{
	BIO *bio = BIO_new_mem_buf(t->pem, -1);
	EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (rsakey_from_pkey(pkey, k) < 0)
		return -1;
	if (k->bits != t->bits) {
		rsakey_clear(k);
		return -1;
	}
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKEYS; i++)
		if (key_load(&testkeys[i], &keys[i]) < 0)
			return -1;
	ctx = t50_ctx_new();
	return ctx ? 0 : -1;
}

static int group_teardown(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKEYS; i++)
		rsakey_clear(&keys[i]);
	t50_ctx_free(ctx);
	return 0;
}

/* ---- requests, laid out as zcrypt_msgtype50.c does ---- */

struct req {
	uint8_t *buf; /* exactly len bytes */
	size_t len;
	size_t result; /* R: the result field of the reply */
};

static void req_free(struct req *r)
{
	free(r->buf);
	r->buf = NULL;
}

static void put_be16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get_be16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The caller's len bytes of b, right-justified in a field of size bytes. */
static void put_num(uint8_t *field, size_t size, size_t len, const BIGNUM *b)
{
	assert_true(len <= size);
	assert_int_equal(BN_bn2binpad(b, field + size - len, (int)len), (int)len);
}

static struct req req_alloc(unsigned int kb_type, size_t total, size_t result)
{
	struct req r = {.buf = calloc(1, total), .len = total, .result = result};

	assert_non_null(r.buf);
	r.buf[1] = 0x50;
	put_be16(r.buf + 2, (unsigned int)total);
	put_be16(r.buf + 8, kb_type);
	return r;
}

/* msg^e mod n; the driver picks MEB1/2/3 by L = the modulus length. */
static struct req mex_req(const BIGNUM *e, const BIGNUM *n, const BIGNUM *msg)
{
	size_t len = (size_t)BN_num_bytes(n);
	size_t f = len <= 128 ? 128 : len <= 256 ? 256 : 512;
	unsigned int type = f == 128 ? T50_MEB1 : f == 256 ? T50_MEB2 : T50_MEB3;
	struct req r = req_alloc(type, 16 + 3 * f, f);

	put_num(r.buf + 16, f, len, e);
	put_num(r.buf + 16 + f, f, len, n);
	put_num(r.buf + 16 + 2 * f, f, len, msg);
	return r;
}

/* The CRT form: short_len = (L + 1) / 2 bytes for p, q, dp, dq, u. */
static struct req crt_req_parts(size_t len, const BIGNUM *p, const BIGNUM *q, const BIGNUM *dp,
				const BIGNUM *dq, const BIGNUM *u, const BIGNUM *msg)
{
	size_t f = len <= 128 ? 64 : len <= 256 ? 128 : 256;
	unsigned int type = f == 64 ? T50_CRB1 : f == 128 ? T50_CRB2 : T50_CRB3;
	size_t short_len = (len + 1) / 2;
	struct req r = req_alloc(type, 16 + 7 * f, 2 * f);
	const BIGNUM *parts[] = {p, q, dp, dq, u};

	for (size_t i = 0; i < 5; i++)
		put_num(r.buf + 16 + i * f, f, short_len, parts[i]);
	put_num(r.buf + 16 + 5 * f, 2 * f, len, msg);
	return r;
}

static struct req crt_req(const struct rsakey *k, const BIGNUM *msg)
{
	return crt_req_parts(k->len, k->p, k->q, k->dp, k->dq, k->qinv, msg);
}

/* ---- running and checking ---- */

/* Execute on an accelerator, the request in a buffer of exactly r->len
 * bytes and the reply in one of exactly cap bytes. */
static size_t exec_cap(const struct req *r, size_t cap, uint8_t *ret_reply)
{
	uint8_t *req = malloc(r->len ? r->len : 1);
	uint8_t *reply = malloc(cap ? cap : 1);
	size_t n;

	assert_non_null(req);
	assert_non_null(reply);
	memcpy(req, r->buf, r->len);
	n = t50_execute(AP_MODE_ACCEL, 512, req, r->len, reply, cap, ctx);
	assert_true(n <= cap);
	memcpy(ret_reply, reply, n);
	free(reply);
	free(req);
	return n;
}

static void assert_error(const uint8_t *reply, size_t n, int code)
{
	static const uint8_t zero[8];

	assert_int_equal(n, 8);
	assert_int_equal(reply[1], 0x82);
	assert_int_equal(reply[4], code);
	assert_memory_equal(reply + 5, zero, 3);
	assert_int_equal(reply[0] | reply[2] | reply[3], 0);
}

static void expect_error(const struct req *r, int code)
{
	uint8_t reply[T50_REPLY_MAX];

	assert_error(reply, exec_cap(r, T50_REPLY_MAX, reply), code);
}

/* A type 80 reply of 16 + R bytes whose last len bytes are want[]. */
static void expect_result(const struct req *r, const uint8_t *want, size_t len)
{
	uint8_t reply[T50_REPLY_MAX];
	size_t n = exec_cap(r, T50_REPLY_MAX, reply);

	assert_int_equal(n, 16 + r->result);
	assert_int_equal(reply[1], 0x80);
	assert_int_equal(get_be16(reply + 2), n);
	for (size_t i = 0; i < 16 + r->result - len; i++)
		if (i != 1 && i != 2 && i != 3)
			assert_int_equal(reply[i], 0);
	assert_memory_equal(reply + n - len, want, len);
}

static void expect_bn(const struct req *r, const BIGNUM *want, size_t len)
{
	uint8_t buf[T50_MAX_RESULT];

	assert_int_equal(BN_bn2binpad(want, buf, (int)len), (int)len);
	expect_result(r, buf, len);
}

/* OpenSSL's raw RSA (no padding) on an L-byte block. */
static void oracle(const struct rsakey *k, bool private, const BIGNUM *msg, uint8_t *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k->pkey, NULL);
	uint8_t in[T50_MAX_RESULT];
	size_t outlen = k->len;

	assert_non_null(c);
	assert_int_equal(BN_bn2binpad(msg, in, (int)k->len), (int)k->len);
	if (private) {
		assert_int_equal(EVP_PKEY_decrypt_init(c), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
		assert_int_equal(EVP_PKEY_decrypt(c, out, &outlen, in, k->len), 1);
	} else {
		assert_int_equal(EVP_PKEY_encrypt_init(c), 1);
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING), 1);
		assert_int_equal(EVP_PKEY_encrypt(c, out, &outlen, in, k->len), 1);
	}
	assert_int_equal(outlen, k->len);
	EVP_PKEY_CTX_free(c);
}

static BIGNUM *random_below(const BIGNUM *n)
{
	BIGNUM *m = BN_new();

	assert_non_null(m);
	assert_int_equal(BN_rand_range(m, n), 1);
	return m;
}

/* ---- results against OpenSSL ---- */

static void check_key(const struct rsakey *k, int rounds)
{
	uint8_t want[T50_MAX_RESULT];

	for (int i = 0; i < rounds; i++) {
		BIGNUM *msg = random_below(k->n);
		struct req me = mex_req(k->d, k->n, msg);
		struct req crt = crt_req(k, msg);
		struct req pub = mex_req(k->e, k->n, msg);

		oracle(k, true, msg, want);
		expect_result(&me, want, k->len);
		expect_result(&crt, want, k->len);
		oracle(k, false, msg, want);
		expect_result(&pub, want, k->len);
		req_free(&me);
		req_free(&crt);
		req_free(&pub);
		BN_free(msg);
	}
}

static void test_me_and_crt_match_openssl_for_every_key_size(void **state)
{
	(void)state;
	for (size_t i = 0; i < NKEYS; i++)
		check_key(&keys[i], keys[i].bits >= 3072 ? 2 : 4);
}

/* The driver always fills the block the same way; the adapter must not
 * care whether p > q (OpenSSL's keys happen to have one order). */
static void test_crt_with_p_and_q_swapped_matches_openssl(void **state)
{
	BN_CTX *bn = BN_CTX_new();
	uint8_t want[T50_MAX_RESULT];

	(void)state;
	assert_non_null(bn);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct rsakey *k = &keys[i];
		BIGNUM *pinv = BN_mod_inverse(NULL, k->p, k->q, bn);
		BIGNUM *msg = random_below(k->n);
		struct req r;

		assert_non_null(pinv);
		r = crt_req_parts(k->len, k->q, k->p, k->dq, k->dp, pinv, msg);
		oracle(k, true, msg, want);
		expect_result(&r, want, k->len);
		req_free(&r);
		BN_free(msg);
		BN_free(pinv);
	}
	BN_CTX_free(bn);
}

/* Messages at the edges: 0, 1, multiples of p and q, n - 1. */
static void test_crt_edge_messages_match_openssl(void **state)
{
	const struct rsakey *k = &keys[6]; /* 2048 */
	uint8_t want[T50_MAX_RESULT];
	BIGNUM *m[6];

	(void)state;
	for (size_t i = 0; i < 6; i++)
		m[i] = BN_new();
	BN_zero(m[0]);
	BN_one(m[1]);
	BN_copy(m[2], k->p);
	BN_copy(m[3], k->q);
	BN_sub(m[4], k->n, k->p);
	BN_sub(m[5], k->n, BN_value_one());
	for (size_t i = 0; i < 6; i++) {
		struct req crt = crt_req(k, m[i]);
		struct req me = mex_req(k->d, k->n, m[i]);

		oracle(k, true, m[i], want);
		expect_result(&crt, want, k->len);
		expect_result(&me, want, k->len);
		req_free(&crt);
		req_free(&me);
		BN_free(m[i]);
	}
}

static void test_mex_with_exponent_zero_gives_one(void **state)
{
	const struct rsakey *k = &keys[3];
	BIGNUM *msg = random_below(k->n), *zero = BN_new();
	struct req r;

	(void)state;
	BN_zero(zero);
	r = mex_req(zero, k->n, msg);
	expect_bn(&r, BN_value_one(), k->len);
	req_free(&r);
	BN_free(msg);
	BN_free(zero);
}

/* More keys than the Montgomery cache holds, interleaved, twice over. */
static void test_results_stay_right_across_cache_evictions(void **state)
{
	uint8_t want[T50_MAX_RESULT];

	(void)state;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < NKEYS; i++) {
			const struct rsakey *k = &keys[(i * 7 + (size_t)round) % NKEYS];
			BIGNUM *msg = random_below(k->n);
			struct req r = crt_req(k, msg);

			oracle(k, true, msg, want);
			expect_result(&r, want, k->len);
			req_free(&r);
			BN_free(msg);
		}
	}
}

/* Reserved header bytes are not looked at. */
static void test_reserved_header_bytes_are_ignored(void **state)
{
	const struct rsakey *k = &keys[3];
	uint8_t want[T50_MAX_RESULT];
	BIGNUM *msg = random_below(k->n);
	struct req r = crt_req(k, msg);

	(void)state;
	r.buf[0] = 0xff;
	r.buf[4] = 0x12;
	r.buf[5] = 0x34;
	memset(r.buf + 10, 0xee, 6);
	oracle(k, true, msg, want);
	expect_result(&r, want, k->len);
	req_free(&r);
	BN_free(msg);
}

/* ---- error replies ---- */

static struct req valid_mex(const struct rsakey *k)
{
	BIGNUM *msg = random_below(k->n);
	struct req r = mex_req(k->d, k->n, msg);

	BN_free(msg);
	return r;
}

static struct req valid_crt(const struct rsakey *k)
{
	BIGNUM *msg = random_below(k->n);
	struct req r = crt_req(k, msg);

	BN_free(msg);
	return r;
}

static void test_cca_and_ep11_queues_answer_message_type(void **state)
{
	const enum ap_mode modes[] = {AP_MODE_CCA, AP_MODE_EP11, (enum ap_mode)7};
	struct req r = valid_crt(&keys[3]);
	uint8_t reply[T50_REPLY_MAX];
	uint8_t type6[64] = {0, 0x06};

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		size_t n = t50_execute(modes[i], 512, r.buf, r.len, reply, sizeof(reply), ctx);

		assert_error(reply, n, 0x20);
		n = t50_execute(modes[i], 512, type6, sizeof(type6), reply, sizeof(reply), ctx);
		assert_error(reply, n, 0x20);
		n = t50_execute(modes[i], 512, NULL, 0, reply, sizeof(reply), ctx);
		assert_error(reply, n, 0x20);
	}
	req_free(&r);
}

static void test_other_message_types_answer_message_type(void **state)
{
	struct req r = valid_mex(&keys[0]);

	(void)state;
	r.buf[1] = 0x06;
	expect_error(&r, 0x20);
	r.buf[1] = 0x80;
	expect_error(&r, 0x20);
	r.len = 2; /* type known, header incomplete */
	expect_error(&r, 0x20);
	req_free(&r);
}

static void test_short_or_mislabelled_lengths_answer_invalid_length(void **state)
{
	struct req r = valid_mex(&keys[0]);
	uint8_t reply[T50_REPLY_MAX];
	size_t full = r.len;

	(void)state;
	for (size_t len = 0; len < 16; len++) {
		r.len = len;
		expect_error(&r, 0x23);
	}
	assert_error(reply, t50_execute(AP_MODE_ACCEL, 512, NULL, 0, reply, 8, ctx), 0x23);
	assert_error(reply, t50_execute(AP_MODE_ACCEL, 512, NULL, 400, reply, 8, ctx), 0x23);
	/* header says more or less than was sent */
	r.len = full - 1;
	expect_error(&r, 0x23);
	r.len = full;
	put_be16(r.buf + 2, (unsigned int)full + 1);
	expect_error(&r, 0x23);
	put_be16(r.buf + 2, (unsigned int)full - 1);
	expect_error(&r, 0x23);
	req_free(&r);
}

static void test_length_must_match_the_key_block(void **state)
{
	struct req r = valid_crt(&keys[6]); /* CRB2: 912 bytes */

	(void)state;
	put_be16(r.buf + 8, T50_MEB2); /* 784 */
	expect_error(&r, 0x23);
	put_be16(r.buf + 8, T50_CRB3);
	expect_error(&r, 0x23);
	r.len = 784; /* a CRB2 cut to a MEB2's size, header consistent */
	put_be16(r.buf + 2, 784);
	put_be16(r.buf + 8, T50_CRB2);
	expect_error(&r, 0x23);
	req_free(&r);
}

static void test_unknown_key_block_answers_operand_invalid(void **state)
{
	const unsigned int types[] = {0x0000, 0x0004, 0x0010, 0x0014, 0x0101, 0x1100, 0xffff};
	struct req r = valid_mex(&keys[3]);

	(void)state;
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		put_be16(r.buf + 8, types[i]);
		expect_error(&r, 0x82);
	}
	req_free(&r);
}

static void test_blocks_beyond_the_adapter_answer_operand_size(void **state)
{
	struct req meb3 = valid_mex(&keys[8]); /* 2050 bits: MEB3 */
	struct req crb3 = valid_crt(&keys[8]);
	struct req meb2 = valid_mex(&keys[6]);
	uint8_t reply[T50_REPLY_MAX];
	size_t n;

	(void)state;
	assert_int_equal(get_be16(meb3.buf + 8), T50_MEB3);
	assert_int_equal(get_be16(crb3.buf + 8), T50_CRB3);
	n = t50_execute(AP_MODE_ACCEL, 256, meb3.buf, meb3.len, reply, sizeof(reply), ctx);
	assert_error(reply, n, 0x84);
	n = t50_execute(AP_MODE_ACCEL, 256, crb3.buf, crb3.len, reply, sizeof(reply), ctx);
	assert_error(reply, n, 0x84);
	n = t50_execute(AP_MODE_ACCEL, 128, meb2.buf, meb2.len, reply, sizeof(reply), ctx);
	assert_error(reply, n, 0x84);
	n = t50_execute(AP_MODE_ACCEL, 256, meb2.buf, meb2.len, reply, sizeof(reply), ctx);
	assert_int_equal(n, 16 + 256); /* a CEX2A reply: at most 0x110 */
	n = t50_execute(AP_MODE_ACCEL, 4096, crb3.buf, crb3.len, reply, sizeof(reply), ctx);
	assert_int_equal(n, 16 + 512); /* more than 512 counts as 512 */
	req_free(&meb3);
	req_free(&crb3);
	req_free(&meb2);
}

/* Overwrite one f-byte field at off with the number v. */
static void set_field(struct req *r, size_t off, size_t f, unsigned long v)
{
	BIGNUM *b = BN_new();

	assert_non_null(b);
	assert_int_equal(BN_set_word(b, v), 1);
	assert_int_equal(BN_bn2binpad(b, r->buf + off, (int)f), (int)f);
	BN_free(b);
}

static void test_bad_mex_operands_are_refused(void **state)
{
	const struct rsakey *k = &keys[3]; /* MEB1, f = 128 */
	const size_t n_off = 16 + 128, m_off = 16 + 256;
	struct req r = valid_mex(k);

	(void)state;
	set_field(&r, n_off, 128, 0);
	expect_error(&r, 0x82);
	set_field(&r, n_off, 128, 1);
	expect_error(&r, 0x82);
	set_field(&r, n_off, 128, 1000);
	expect_error(&r, 0x85);
	req_free(&r);
	r = valid_mex(k);
	r.buf[n_off + 127] &= 0xfe; /* a full-size even modulus */
	expect_error(&r, 0x85);
	req_free(&r);
	r = valid_mex(k);
	memcpy(r.buf + m_off, r.buf + n_off, 128); /* message == modulus */
	expect_error(&r, 0x82);
	memset(r.buf + m_off, 0xff, 128); /* message > modulus */
	expect_error(&r, 0x82);
	req_free(&r);
}

static void test_bad_crt_operands_are_refused(void **state)
{
	const struct rsakey *k = &keys[6]; /* CRB2, f = 128 */
	const size_t p_off = 16, q_off = 16 + 128, m_off = 16 + 5 * 128;
	const unsigned long bad[] = {0, 1, 2, 1000};
	struct req r;

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		r = valid_crt(k);
		set_field(&r, p_off, 128, bad[i]);
		expect_error(&r, 0x82);
		req_free(&r);
		r = valid_crt(k);
		set_field(&r, q_off, 128, bad[i]);
		expect_error(&r, 0x82);
		req_free(&r);
	}
	r = valid_crt(k);
	r.buf[p_off + 127] &= 0xfe;
	expect_error(&r, 0x82);
	req_free(&r);
	/* message >= p q */
	r = valid_crt(k);
	put_num(r.buf + m_off, 256, k->len, k->n);
	expect_error(&r, 0x82);
	memset(r.buf + m_off, 0xff, 256);
	expect_error(&r, 0x82);
	req_free(&r);
}

static void test_small_reply_buffers_are_never_overrun(void **state)
{
	struct req r = valid_crt(&keys[3]); /* R = 128 */
	uint8_t reply[T50_REPLY_MAX];

	(void)state;
	for (size_t cap = 0; cap < 8; cap++)
		assert_int_equal(exec_cap(&r, cap, reply), 0);
	assert_error(reply, exec_cap(&r, 8, reply), 0x10);
	assert_error(reply, exec_cap(&r, 16 + 127, reply), 0x10);
	assert_int_equal(exec_cap(&r, 16 + 128, reply), 16 + 128);
	r.buf[1] = 0x06; /* an error reply fits in 8 bytes */
	assert_error(reply, exec_cap(&r, 8, reply), 0x20);
	req_free(&r);
}

static void test_no_context_answers_machine_failure(void **state)
{
	struct req r = valid_mex(&keys[0]);
	uint8_t reply[T50_REPLY_MAX];
	size_t n;

	(void)state;
	n = t50_execute(AP_MODE_ACCEL, 512, r.buf, r.len, reply, sizeof(reply), NULL);
	assert_error(reply, n, 0x10);
	t50_ctx_free(NULL);
	req_free(&r);
}

/* ---- fuzzing ---- */

static uint64_t rng_state = FUZZ_SEED;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

static void fill_random(uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

/* Layout of a key-block type, or 0 sizes when unknown. */
static void layout_of(unsigned int type, size_t *total, size_t *result, size_t *field, bool *crt)
{
	static const struct {
		unsigned int type;
		size_t f;
		bool crt;
	} t[] = {{1, 128, false},  {2, 256, false},   {3, 512, false},
		 {0x11, 64, true}, {0x12, 128, true}, {0x13, 256, true}};

	*total = *result = *field = 0;
	*crt = false;
	for (size_t i = 0; i < 6; i++) {
		if (t[i].type == type) {
			*crt = t[i].crt;
			*field = t[i].f;
			*total = 16 + (t[i].crt ? 7 : 3) * t[i].f;
			*result = t[i].crt ? 2 * t[i].f : t[i].f;
		}
	}
}

/* The reply for a request that passed the checks, recomputed slowly. */
static void recompute(const uint8_t *req, size_t f, bool crt, uint8_t *out, size_t outlen)
{
	BN_CTX *bn = BN_CTX_new();
	BIGNUM *v[6], *r = BN_new(), *t = BN_new();

	assert_non_null(bn);
	for (size_t i = 0; i < 6; i++) {
		size_t size = crt && i == 5 ? 2 * f : f;

		v[i] = BN_bin2bn(req + 16 + i * f, (int)size, NULL);
		assert_non_null(v[i]);
		if (!crt && i == 2)
			break;
	}
	if (!crt) {
		assert_int_equal(BN_mod_exp(r, v[2], v[0], v[1], bn), 1);
	} else { /* m2 + q (u (m1 - m2) mod p) */
		assert_int_equal(BN_mod_exp(t, v[5], v[2], v[0], bn), 1);
		assert_int_equal(BN_mod_exp(r, v[5], v[3], v[1], bn), 1);
		assert_int_equal(BN_mod_sub(t, t, r, v[0], bn), 1);
		assert_int_equal(BN_mod_mul(t, t, v[4], v[0], bn), 1);
		assert_int_equal(BN_mul(t, t, v[1], bn), 1);
		assert_int_equal(BN_add(r, r, t), 1);
	}
	assert_int_equal(BN_bn2binpad(r, out, (int)outlen), (int)outlen);
	for (size_t i = 0; i < (crt ? 6u : 3u); i++)
		BN_free(v[i]);
	BN_free(r);
	BN_free(t);
	BN_CTX_free(bn);
}

/* Check a reply against the invariants; recompute cheap results. */
static void check_fuzz_reply(const uint8_t *req, size_t len, const uint8_t *reply, size_t n)
{
	static const uint8_t codes[] = {0x10, 0x20, 0x23, 0x82, 0x84, 0x85};
	size_t total, result, f;
	bool crt;

	if (n == 8) {
		assert_int_equal(reply[1], 0x82);
		assert_non_null(memchr(codes, reply[4], sizeof(codes)));
		return;
	}
	assert_true(len >= 16);
	layout_of(get_be16(req + 8), &total, &result, &f, &crt);
	assert_int_equal(len, total);
	assert_int_equal(n, 16 + result);
	assert_int_equal(reply[1], 0x80);
	assert_int_equal(get_be16(reply + 2), n);
	if (result <= 256 && f <= 128) { /* MEB1, CRB1, CRB2: cheap enough */
		uint8_t want[T50_MAX_RESULT];

		recompute(req, f, crt, want, result);
		assert_memory_equal(reply + 16, want, result);
	}
}

/* A valid request from a random key, mostly small ones (a MEB3 with a
 * 4096-bit exponent costs ~15 ms). */
static struct req fuzz_base(void)
{
	size_t pick = rnd_below(100);
	const struct rsakey *k = pick < 40   ? &keys[rnd_below(6)]
				 : pick < 95 ? &keys[6 + rnd_below(3)]
					     : &keys[9 + rnd_below(2)];

	return rnd_below(2) ? valid_crt(k) : valid_mex(k);
}

/* Resize to len, keeping the bytes that stay, filling the rest randomly. */
static void resize(struct req *r, size_t len)
{
	uint8_t *b = malloc(len ? len : 1);

	assert_non_null(b);
	fill_random(b, len);
	memcpy(b, r->buf, len < r->len ? len : r->len);
	free(r->buf);
	r->buf = b;
	r->len = len;
}

static void mutate(struct req *r)
{
	switch (rnd_below(6)) {
	case 0: /* flip a few bytes anywhere */
		for (size_t i = 0, n = 1 + rnd_below(8); i < n && r->len; i++)
			r->buf[rnd_below(r->len)] ^= (uint8_t)(1 + rnd_below(255));
		break;
	case 1: /* flip a byte in the header */
		if (r->len)
			r->buf[rnd_below(r->len < 16 ? r->len : 16)] ^=
			    (uint8_t)(1 + rnd_below(255));
		break;
	case 2: /* truncate or extend, header length sometimes following */
		resize(r, rnd_below(2000));
		if (r->len >= 4 && rnd_below(2))
			put_be16(r->buf + 2, (unsigned int)r->len);
		break;
	case 3: { /* another key-block type, consistent length, garbage operands */
		size_t total, result, f;
		bool crt;
		unsigned int type =
		    (unsigned int)(rnd_below(4) ? (rnd_below(3) + 1) | (rnd_below(2) << 4) : rnd());

		layout_of(type & 0xffff, &total, &result, &f, &crt);
		resize(r, total ? total : 16 + rnd_below(1800));
		fill_random(r->buf + 16, r->len - 16);
		put_be16(r->buf + 2, (unsigned int)r->len);
		put_be16(r->buf + 8, type & 0xffff);
		break;
	}
	case 4: { /* zero or saturate a stretch */
		size_t at = rnd_below(r->len), n = rnd_below(300);

		if (n > r->len - at)
			n = r->len - at;
		memset(r->buf + at, rnd_below(2) ? 0 : 0xff, n);
		break;
	}
	default: /* garbage with a believable header */
		resize(r, rnd_below(2000));
		if (r->len >= 16) {
			r->buf[1] = 0x50;
			put_be16(r->buf + 2, (unsigned int)r->len);
		}
		break;
	}
}

static void test_fuzzed_requests_get_well_formed_replies(void **state)
{
	const char *seed = getenv("T50_FUZZ_SEED"); /* another run: T50_FUZZ_SEED=N */
	uint8_t reply[T50_REPLY_MAX];

	(void)state;
	if (seed && strtoull(seed, NULL, 0))
		rng_state = strtoull(seed, NULL, 0);
	for (int round = 0; round < FUZZ_ROUNDS; round++) {
		struct req r = fuzz_base();
		size_t cap = rnd_below(8) ? T50_REPLY_MAX : rnd_below(T50_REPLY_MAX + 1);
		size_t n;

		for (size_t i = 0, m = 1 + rnd_below(3); i < m; i++)
			mutate(&r);
		n = exec_cap(&r, cap, reply);
		if (cap >= 8) {
			check_fuzz_reply(r.buf, r.len, reply, n);
		} else {
			assert_int_equal(n, 0);
		}
		req_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_me_and_crt_match_openssl_for_every_key_size),
	    cmocka_unit_test(test_crt_with_p_and_q_swapped_matches_openssl),
	    cmocka_unit_test(test_crt_edge_messages_match_openssl),
	    cmocka_unit_test(test_mex_with_exponent_zero_gives_one),
	    cmocka_unit_test(test_results_stay_right_across_cache_evictions),
	    cmocka_unit_test(test_reserved_header_bytes_are_ignored),
	    cmocka_unit_test(test_cca_and_ep11_queues_answer_message_type),
	    cmocka_unit_test(test_other_message_types_answer_message_type),
	    cmocka_unit_test(test_short_or_mislabelled_lengths_answer_invalid_length),
	    cmocka_unit_test(test_length_must_match_the_key_block),
	    cmocka_unit_test(test_unknown_key_block_answers_operand_invalid),
	    cmocka_unit_test(test_blocks_beyond_the_adapter_answer_operand_size),
	    cmocka_unit_test(test_bad_mex_operands_are_refused),
	    cmocka_unit_test(test_bad_crt_operands_are_refused),
	    cmocka_unit_test(test_small_reply_buffers_are_never_overrun),
	    cmocka_unit_test(test_no_context_answers_machine_failure),
	    cmocka_unit_test(test_fuzzed_requests_get_well_formed_replies),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
