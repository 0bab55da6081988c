/*
 * rsa_bench - what a type 50 request costs through t50_execute(), against
 * the same private-key operation done directly with OpenSSL in the same run.
 * Not a test: it prints rates and ratios (apemu / baseline) with the goal
 * beside them; the machines are noisy, so only the ratios mean something.
 *
 *   rsa_bench [--duration SEC]
 *
 * Baselines (src/cli/raw_rsa.h, OpenSSL calls only, none of src/crypto):
 *   raw   exactly what an adapter computes: for CRT both halves at once with
 *         BN_mod_exp_mont_consttime_x2 and the qinv recombination, for ME
 *         BN_mod_exp_mont_consttime with d; no blinding, Montgomery contexts
 *         set up once per thread. The physical limit.
 *   EVP   EVP_PKEY_decrypt (RSA_NO_PADDING) on the thread's own copy of the
 *         key (OpenSSL's own RSA, blinding and result check included; for
 *         ME a key of n, e, d only, so that OpenSSL exponentiates with d).
 * Cases, each from 1 and from 2 threads:
 *   RSA-2048 CRT   a CRB2 request. Goals: ratio to raw >= 0.97 on one
 *                  thread, >= 0.95 on two.
 *   RSA-4096 CRT   a CRB3 request.
 *   RSA-1024 ME    a MEB1 request with the private exponent.
 * Every thread has its own t50_ctx, its own request and its own baseline
 * state, and apemu's result is checked against OpenSSL's before timing
 * (raw_rsa checks its own). Each side runs --duration seconds (default 2)
 * per case, in ROUNDS rounds of two halves each in mirrored order (raw,
 * EVP, apemu, apemu, EVP, raw) so that drift hits every side alike; with
 * one thread the rounds take turns on the first two CPUs.
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

#include "raw_rsa.h"
#include "rsakey.h"
#include "type50.h"

#define MAX_THREADS 2
#define ROUNDS	    4 /* each of two mirrored halves */

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

/* The sides of a case. */
enum side { SIDE_RAW, SIDE_EVP, SIDE_APEMU, NSIDES };

static const char *const side_name[NSIDES] = {"raw", "EVP", "apemu"};

/* What one thread works with. */
struct worker {
	pthread_t thread;
	const struct rsakey *key;
	enum form form;
	enum side side; /* this run's */
	struct t50_ctx *ctx;
	uint8_t *req;
	size_t req_len;
	struct raw_rsa *base[2]; /* [SIDE_RAW], [SIDE_EVP] */
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

static bool op(struct worker *w)
{
	return w->side == SIDE_APEMU ? op_apemu(w) : raw_rsa_op(w->base[w->side]) == 0;
}

/* apemu's result for this worker's message is OpenSSL's. */
static void check_agree(struct worker *w)
{
	const struct rsakey *k = w->key;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	uint8_t want[T50_MAX_RESULT];
	size_t len = k->len, n;

	if (!c || EVP_PKEY_decrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_decrypt(c, want, &len, w->in, k->len) != 1 || len != k->len)
		fail("EVP_PKEY_decrypt");
	EVP_PKEY_CTX_free(c);
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
	if (!msg || !w->ctx || !BN_rand_range(msg, k->n))
		fail("worker set-up");
	if (raw_rsa_new(k, RAW_BN, form == FORM_CRT, &w->base[SIDE_RAW]) < 0 ||
	    raw_rsa_new(k, RAW_EVP, form == FORM_CRT, &w->base[SIDE_EVP]) < 0)
		fail("the OpenSSL baselines (set-up or their check)");
	make_request(w, msg);
	BN_free(msg);
	check_agree(w);
}

static void worker_clear(struct worker *w)
{
	t50_ctx_free(w->ctx);
	raw_rsa_free(w->base[SIDE_RAW]);
	raw_rsa_free(w->base[SIDE_EVP]);
	free(w->req);
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;

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

/*
 * Run one side on nthreads for seconds; add ops and elapsed time. cpu >= 0
 * runs the threads on that CPU: the vCPUs of these VMs run at different
 * speeds for seconds at a time (bench/README.md), so the one-thread sides
 * of a round share one CPU, the rounds taking the first two CPUs in turn.
 */
static void run_side(struct worker *ws, int nthreads, enum side side, double seconds, int cpu,
		     unsigned long *ops, double *elapsed)
{
	struct timespec pause = {.tv_sec = (time_t)seconds,
				 .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9)};
	double t0;

	atomic_store(&stop, false);
	if (pthread_barrier_init(&start_line, NULL, (unsigned int)nthreads + 1))
		fail("pthread_barrier_init");
	for (int i = 0; i < nthreads; i++) {
		ws[i].side = side;
		ws[i].ops = 0;
		if (raw_thread_create(&ws[i].thread, cpu, worker_run, &ws[i]))
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
			fail(side == SIDE_APEMU ? "t50_execute" : "the OpenSSL baseline");
		*ops += ws[i].ops;
	}
	*elapsed += now() - t0;
	pthread_barrier_destroy(&start_line);
}

/* The goal of apemu / raw for a case, or NULL. */
static const char *goal(const struct bench_case *c, int nthreads)
{
	if (c->form != FORM_CRT || c->bits != 2048)
		return NULL;
	return nthreads == 1 ? ">= 0.97" : ">= 0.95";
}

static void run_case(const struct bench_case *c, const struct rsakey *k, int nthreads,
		     double duration)
{
	static const enum side order[] = {SIDE_RAW,   SIDE_EVP, SIDE_APEMU,
					  SIDE_APEMU, SIDE_EVP, SIDE_RAW};
	struct worker ws[MAX_THREADS];
	unsigned long ops[NSIDES] = {0};
	double t[NSIDES] = {0}, rate[NSIDES];
	const char *g = goal(c, nthreads);
	int cpus[2];

	/* one thread: the rounds take turns on the first two CPUs */
	if (nthreads != 1 || raw_cpus(cpus, 2) < 2)
		cpus[0] = cpus[1] = -1;
	for (int i = 0; i < nthreads; i++)
		worker_init(&ws[i], k, c->form);
	for (int r = 0; r < ROUNDS; r++)
		for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
			run_side(ws, nthreads, order[i], duration / (2 * ROUNDS), cpus[r % 2],
				 &ops[order[i]], &t[order[i]]);
	for (int i = 0; i < NSIDES; i++)
		rate[i] = (double)ops[i] / t[i];
	printf("%s (%d thread%s): apemu %.0f/s, %s %s %.0f/s, ratio %.2f", c->name, nthreads,
	       nthreads > 1 ? "s" : "", rate[SIDE_APEMU], side_name[SIDE_RAW],
	       c->form == FORM_CRT ? "CRT" : "ME", rate[SIDE_RAW],
	       rate[SIDE_APEMU] / rate[SIDE_RAW]);
	if (g)
		printf(" (goal %s)", g);
	printf("; %s %.0f/s, ratio %.2f\n", side_name[SIDE_EVP], rate[SIDE_EVP],
	       rate[SIDE_APEMU] / rate[SIDE_EVP]);
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
