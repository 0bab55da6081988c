/*
 * rsa_bench - what a type 50 request costs through t50_execute(), against
 * OpenSSL doing the same private-key operation itself in the same run. Not
 * a test: it prints rates and ratios (apemu / OpenSSL) with the goal beside
 * them; the machines are noisy, so only the ratios mean something.
 *
 *   rsa_bench [--duration SEC]
 *
 * Cases, each from 1 and from 2 threads:
 *   RSA-2048 CRT   a CRB2 request vs EVP_PKEY_decrypt (RSA_NO_PADDING) with
 *                  the full key (OpenSSL then uses its own CRT, with blinding
 *                  and its check of the result). Goal: ratio >= 0.95 on one
 *                  thread.
 *   RSA-4096 CRT   a CRB3 request, the same baseline.
 *   RSA-1024 ME    a MEB1 request with the private exponent vs
 *                  EVP_PKEY_decrypt with a key of only n, e, d (OpenSSL then
 *                  exponentiates with d: no CRT on either side).
 * Every thread has its own t50_ctx, its own request and its own EVP_PKEY
 * and EVP_PKEY_CTX (one key shared by threads would serialise them on
 * OpenSSL's blinding), and both sides are checked to agree before timing.
 * Each side runs --duration seconds (default 2) per case, split into two
 * alternating halves (OpenSSL, apemu, apemu, OpenSSL) so that drift hits
 * both alike.
 *
 * Exit status: 0 when everything could be measured (whatever the ratios),
 * 1 when something failed (message on stderr), 2 usage error.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "rsakey.h"
#include "type50.h"

#define MAX_THREADS 2
#define GOAL_RATIO  0.95

enum form { FORM_CRT, FORM_ME };

struct bench_case {
	const char *name;
	int bits;
	enum form form;
};

static const struct bench_case cases[] = {
    {"RSA-2048 CRT", 2048, FORM_CRT},
    {"RSA-4096 CRT", 4096, FORM_CRT},
    {"RSA-1024 ME", 1024, FORM_ME},
};

/* What one thread works with. */
struct worker {
	pthread_t thread;
	const struct rsakey *key;
	enum form form;
	bool apemu; /* this run: t50_execute, else OpenSSL */
	struct t50_ctx *ctx;
	uint8_t *req;
	size_t req_len;
	EVP_PKEY *pkey; /* this thread's own copy */
	EVP_PKEY_CTX *pctx;
	uint8_t in[T50_MAX_RESULT];
	uint8_t out[T50_REPLY_MAX];
	unsigned long ops;
	bool failed;
};

static atomic_bool stop;
static pthread_barrier_t start_line;

static void fail(const char *what)
{
	fprintf(stderr, "rsa_bench: %s failed\n", what);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- keys and requests ---- */

/* A thread's own copy of the key: all of it, or only n, e, d (ME). */
static EVP_PKEY *key_copy(const struct rsakey *k, enum form form)
{
	EVP_PKEY *pkey = rsakey_copy(k, form == FORM_CRT);

	if (!pkey)
		fail("EVP_PKEY_fromdata");
	return pkey;
}

static void put_be16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* b as len bytes right-justified in a field of size bytes, as zcrypt does. */
static void put_num(uint8_t *field, size_t size, size_t len, const BIGNUM *b)
{
	if (BN_bn2binpad(b, field + size - len, (int)len) != (int)len)
		fail("BN_bn2binpad");
}

/* The request for msg, laid out as zcrypt_msgtype50.c does. */
static void make_request(struct worker *w, const BIGNUM *msg)
{
	const struct rsakey *k = w->key;
	size_t len = k->len, f;
	unsigned int type;

	if (w->form == FORM_ME) {
		f = len <= 128 ? 128 : len <= 256 ? 256 : 512;
		type = f == 128 ? T50_MEB1 : f == 256 ? T50_MEB2 : T50_MEB3;
		w->req_len = 16 + 3 * f;
	} else {
		f = len <= 128 ? 64 : len <= 256 ? 128 : 256;
		type = f == 64 ? T50_CRB1 : f == 128 ? T50_CRB2 : T50_CRB3;
		w->req_len = 16 + 7 * f;
	}
	w->req = calloc(1, w->req_len);
	if (!w->req)
		fail("calloc");
	w->req[1] = T50_TYPE_REQUEST;
	put_be16(w->req + 2, w->req_len);
	put_be16(w->req + 8, type);
	if (w->form == FORM_ME) {
		put_num(w->req + 16, f, len, k->d);
		put_num(w->req + 16 + f, f, len, k->n);
		put_num(w->req + 16 + 2 * f, f, len, msg);
	} else {
		const BIGNUM *parts[] = {k->p, k->q, k->dp, k->dq, k->qinv};

		for (size_t i = 0; i < 5; i++)
			put_num(w->req + 16 + i * f, f, (len + 1) / 2, parts[i]);
		put_num(w->req + 16 + 5 * f, 2 * f, len, msg);
	}
	put_num(w->in, len, len, msg);
}

/* ---- one operation each way ---- */

static bool op_apemu(struct worker *w)
{
	size_t n =
	    t50_execute(AP_MODE_ACCEL, 512, w->req, w->req_len, w->out, sizeof(w->out), w->ctx);

	return n > T50_ERROR_REPLY_LEN;
}

static bool op_openssl(struct worker *w)
{
	size_t outlen = w->key->len;

	return EVP_PKEY_decrypt(w->pctx, w->out, &outlen, w->in, w->key->len) == 1;
}

/* Both sides give the same result for this worker's message. */
static void check_agree(struct worker *w)
{
	uint8_t want[T50_MAX_RESULT];
	size_t len = w->key->len;
	size_t n;

	if (!op_openssl(w))
		fail("EVP_PKEY_decrypt");
	memcpy(want, w->out, len);
	n = t50_execute(AP_MODE_ACCEL, 512, w->req, w->req_len, w->out, sizeof(w->out), w->ctx);
	if (n <= T50_ERROR_REPLY_LEN || memcmp(w->out + n - len, want, len) != 0)
		fail("t50_execute (result differs from OpenSSL's)");
}

static void worker_init(struct worker *w, const struct rsakey *k, enum form form)
{
	BIGNUM *msg = BN_new();

	memset(w, 0, sizeof(*w));
	w->key = k;
	w->form = form;
	w->ctx = t50_ctx_new();
	w->pkey = key_copy(k, form);
	w->pctx = EVP_PKEY_CTX_new(w->pkey, NULL);
	if (!msg || !w->ctx || !w->pctx || !BN_rand_range(msg, k->n) ||
	    EVP_PKEY_decrypt_init(w->pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(w->pctx, RSA_NO_PADDING) != 1)
		fail("worker set-up");
	make_request(w, msg);
	BN_free(msg);
	check_agree(w);
}

static void worker_clear(struct worker *w)
{
	t50_ctx_free(w->ctx);
	EVP_PKEY_CTX_free(w->pctx);
	EVP_PKEY_free(w->pkey);
	free(w->req);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	bool (*op)(struct worker *) = w->apemu ? op_apemu : op_openssl;

	pthread_barrier_wait(&start_line);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		if (!op(w)) {
			w->failed = true;
			break;
		}
		w->ops++;
	}
	return NULL;
}

/* Run one side on nthreads for seconds; add ops and elapsed time. */
static void run_side(struct worker *ws, int nthreads, bool apemu, double seconds,
		     unsigned long *ops, double *elapsed)
{
	struct timespec pause = {.tv_sec = (time_t)seconds,
				 .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
	double t0;

	atomic_store(&stop, false);
	if (pthread_barrier_init(&start_line, NULL, (unsigned int)nthreads + 1))
		fail("pthread_barrier_init");
	for (int i = 0; i < nthreads; i++) {
		ws[i].apemu = apemu;
		ws[i].ops = 0;
		if (pthread_create(&ws[i].thread, NULL, worker_run, &ws[i]))
			fail("pthread_create");
	}
	pthread_barrier_wait(&start_line);
	t0 = now();
	while (nanosleep(&pause, &pause) && errno == EINTR)
		;
	atomic_store(&stop, true);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].thread, NULL);
		if (ws[i].failed)
			fail(apemu ? "t50_execute" : "EVP_PKEY_decrypt");
		*ops += ws[i].ops;
	}
	*elapsed += now() - t0;
	pthread_barrier_destroy(&start_line);
}

static void run_case(const struct bench_case *c, const struct rsakey *k, int nthreads, double duration)
{
	struct worker ws[MAX_THREADS];
	unsigned long ops[2] = {0, 0}; /* [0] OpenSSL, [1] apemu */
	double t[2] = {0, 0}, rate[2];
	const bool order[] = {false, true, true, false};

	for (int i = 0; i < nthreads; i++)
		worker_init(&ws[i], k, c->form);
	for (size_t i = 0; i < 4; i++)
		run_side(ws, nthreads, order[i], duration / 2, &ops[order[i]], &t[order[i]]);
	for (int i = 0; i < 2; i++)
		rate[i] = (double)ops[i] / t[i];
	printf("%s (%d thread%s): apemu %.0f/s, openssl %.0f/s, ratio %.2f", c->name, nthreads,
	       nthreads > 1 ? "s" : "", rate[1], rate[0], rate[1] / rate[0]);
	if (c->form == FORM_CRT && c->bits == 2048 && nthreads == 1)
		printf(" (goal >= %.2f)", GOAL_RATIO);
	printf("\n");
	fflush(stdout);
	for (int i = 0; i < nthreads; i++)
		worker_clear(&ws[i]);
}

int main(int argc, char **argv)
{
	double duration = 2.0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--duration") && i + 1 < argc) {
			duration = strtod(argv[++i], NULL);
		} else {
			fprintf(stderr, "usage: rsa_bench [--duration SEC]\n");
			return 2;
		}
	}
	if (!(duration > 0 && duration < 3600)) {
		fprintf(stderr, "rsa_bench: --duration must be between 0 and 3600 seconds\n");
		return 2;
	}
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct rsakey k;

		if (rsakey_generate((unsigned int)cases[i].bits, &k) < 0)
			fail("EVP_RSA_gen");
		for (int nthreads = 1; nthreads <= MAX_THREADS; nthreads++)
			run_case(&cases[i], &k, nthreads, duration);
		rsakey_clear(&k);
	}
	return 0;
}
