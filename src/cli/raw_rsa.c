/*
 * raw_rsa - the benchmarks' RSA baselines with OpenSSL calls only
 * (raw_rsa.h).
 */
#include "raw_rsa.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#define RAW_MAX_BYTES 512 /* a 4096-bit modulus */

struct raw_rsa {
	enum raw_way way;
	bool crt;
	size_t len; /* of the modulus, bytes */
	uint8_t in[RAW_MAX_BYTES], out[RAW_MAX_BYTES];
	/* RAW_BN */
	BN_CTX *bn;
	BIGNUM *n, *d, *p, *q, *dp, *dq, *qinv; /* this thread's copies */
	BN_MONT_CTX *mont_a, *mont_b;		/* p and q, or n */
	/* RAW_EVP */
	EVP_PKEY *pkey;
	EVP_PKEY_CTX *pctx;
};

/* A copy of a secret number, flagged for the constant-time code. */
static BIGNUM *secret(const BIGNUM *b)
{
	BIGNUM *c = BN_dup(b);

	if (c)
		BN_set_flags(c, BN_FLG_CONSTTIME);
	return c;
}

static BN_MONT_CTX *mont(const BIGNUM *m, BN_CTX *bn)
{
	BN_MONT_CTX *mc = BN_MONT_CTX_new();

	if (mc && !BN_MONT_CTX_set(mc, m, bn)) {
		BN_MONT_CTX_free(mc);
		return NULL;
	}
	return mc;
}

static int bn_setup(struct raw_rsa *r, const struct rsakey *k)
{
	r->bn = BN_CTX_new();
	if (!r->bn)
		return -ENOMEM;
	if (r->crt) {
		r->p = secret(k->p);
		r->q = secret(k->q);
		r->dp = secret(k->dp);
		r->dq = secret(k->dq);
		r->qinv = secret(k->qinv);
		if (!r->p || !r->q || !r->dp || !r->dq || !r->qinv)
			return -ENOMEM;
		r->mont_a = mont(r->p, r->bn);
		r->mont_b = mont(r->q, r->bn);
	} else {
		r->n = BN_dup(k->n);
		r->d = secret(k->d);
		if (!r->n || !r->d)
			return -ENOMEM;
		r->mont_a = mont(r->n, r->bn);
		r->mont_b = NULL;
	}
	return r->mont_a && (r->mont_b || !r->crt) ? 0 : -EIO;
}

static int evp_setup(struct raw_rsa *r, const struct rsakey *k)
{
	r->pkey = rsakey_copy(k, r->crt);
	r->pctx = r->pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, r->pkey, NULL) : NULL;
	if (!r->pctx || EVP_PKEY_decrypt_init(r->pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(r->pctx, RSA_NO_PADDING) != 1)
		return -EIO;
	return 0;
}

/* The CRT of an adapter: both halves at once, then the recombination. */
static int bn_crt(struct raw_rsa *r)
{
	BN_CTX *bn = r->bn;
	BIGNUM *c, *m1, *m2, *h;
	int ok;

	BN_CTX_start(bn);
	c = BN_CTX_get(bn);
	m1 = BN_CTX_get(bn);
	m2 = BN_CTX_get(bn);
	h = BN_CTX_get(bn);
	ok = h && BN_bin2bn(r->in, (int)r->len, c) && BN_mod(m1, c, r->p, bn) &&
	     BN_mod(m2, c, r->q, bn) &&
	     BN_mod_exp_mont_consttime_x2(m1, m1, r->dp, r->p, r->mont_a, m2, m2, r->dq, r->q,
					  r->mont_b, bn) &&
	     BN_mod_sub(h, m1, m2, r->p, bn) && BN_mod_mul(h, h, r->qinv, r->p, bn) &&
	     BN_mul(h, h, r->q, bn) && BN_add(h, h, m2) &&
	     BN_bn2binpad(h, r->out, (int)r->len) == (int)r->len;
	BN_CTX_end(bn);
	return ok ? 0 : -EIO;
}

static int bn_me(struct raw_rsa *r)
{
	BN_CTX *bn = r->bn;
	BIGNUM *c, *m;
	int ok;

	BN_CTX_start(bn);
	c = BN_CTX_get(bn);
	m = BN_CTX_get(bn);
	ok = m && BN_bin2bn(r->in, (int)r->len, c) &&
	     BN_mod_exp_mont_consttime(m, c, r->d, r->n, bn, r->mont_a) &&
	     BN_bn2binpad(m, r->out, (int)r->len) == (int)r->len;
	BN_CTX_end(bn);
	return ok ? 0 : -EIO;
}

int raw_rsa_op(struct raw_rsa *r)
{
	size_t outlen = r->len;
	int e;

	if (r->way == RAW_EVP)
		e = EVP_PKEY_decrypt(r->pctx, r->out, &outlen, r->in, r->len) == 1 &&
			    outlen == r->len
			? 0
			: -EIO;
	else
		e = r->crt ? bn_crt(r) : bn_me(r);
	if (e)
		ERR_clear_error();
	return e;
}

/* The result of the first operation is OpenSSL's RSA on the original key. */
static int check(struct raw_rsa *r, const struct rsakey *k)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	uint8_t want[RAW_MAX_BYTES];
	size_t len = r->len;
	int e = c && EVP_PKEY_decrypt_init(c) == 1 &&
			EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
			EVP_PKEY_decrypt(c, want, &len, r->in, r->len) == 1 && len == r->len
		    ? 0
		    : -EIO;

	EVP_PKEY_CTX_free(c);
	if (!e)
		e = raw_rsa_op(r);
	if (!e && memcmp(want, r->out, r->len) != 0)
		e = -EIO;
	OPENSSL_cleanse(want, sizeof(want));
	return e;
}

int raw_rsa_new(const struct rsakey *k, enum raw_way way, bool crt, struct raw_rsa **ret)
{
	struct raw_rsa *r;
	int e;

	if (k->len > RAW_MAX_BYTES)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->way = way;
	r->crt = crt;
	r->len = k->len;
	/* a message below n: random, its top byte cleared */
	e = RAND_bytes(r->in, (int)r->len) == 1 ? 0 : -EIO;
	r->in[0] = 0;
	if (!e)
		e = way == RAW_EVP ? evp_setup(r, k) : bn_setup(r, k);
	if (!e)
		e = check(r, k);
	if (e) {
		raw_rsa_free(r);
		ERR_clear_error();
		return e;
	}
	*ret = r;
	return 0;
}

void raw_rsa_free(struct raw_rsa *r)
{
	if (!r)
		return;
	BN_MONT_CTX_free(r->mont_a);
	BN_MONT_CTX_free(r->mont_b);
	BN_free(r->n);
	BN_clear_free(r->d);
	BN_clear_free(r->p);
	BN_clear_free(r->q);
	BN_clear_free(r->dp);
	BN_clear_free(r->dq);
	BN_clear_free(r->qinv);
	BN_CTX_free(r->bn);
	EVP_PKEY_CTX_free(r->pctx);
	EVP_PKEY_free(r->pkey);
	OPENSSL_cleanse(r, sizeof(*r));
	free(r);
}

/* ---- threads ---- */

/* The threads start together, once every one exists (or none does). */
struct gate {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int state; /* 0 wait, 1 go, -1 give up */
};

struct raw_job {
	struct raw_rsa *r;
	struct gate *gate;
	double seconds;
	uint64_t ops;
	double elapsed; /* from the gate to the end of the last operation */
	int err;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void gate_set(struct gate *g, int state)
{
	pthread_mutex_lock(&g->mu);
	g->state = state;
	pthread_cond_broadcast(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

static void *raw_thread(void *arg)
{
	struct raw_job *j = arg;
	struct gate *g = j->gate;
	double start, end, t = 0;
	int state;

	pthread_mutex_lock(&g->mu);
	while (!(state = g->state))
		pthread_cond_wait(&g->cv, &g->mu);
	pthread_mutex_unlock(&g->mu);
	if (state < 0)
		return NULL;
	start = now();
	end = start + j->seconds;
	do {
		for (int i = 0; i < 4 && !j->err; i++) {
			j->err = raw_rsa_op(j->r);
			j->ops++;
		}
	} while (!j->err && (t = now()) < end);
	j->elapsed = t - start;
	return NULL;
}

int raw_cpus(int *cpus, int n)
{
	cpu_set_t all;
	int k = 0;

	if (sched_getaffinity(0, sizeof(all), &all) < 0)
		return 0;
	for (int c = 0; c < CPU_SETSIZE && k < n; c++)
		if (CPU_ISSET(c, &all))
			cpus[k++] = c;
	return k;
}

int raw_thread_create(pthread_t *t, int cpu, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	cpu_set_t on;
	int e;

	if (cpu >= CPU_SETSIZE)
		return EINVAL;
	e = pthread_attr_init(&attr);
	if (e)
		return e;
	CPU_ZERO(&on);
	if (cpu >= 0) {
		CPU_SET(cpu, &on);
		e = pthread_attr_setaffinity_np(&attr, sizeof(on), &on);
	}
	if (!e)
		e = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return e;
}

double raw_rsa_ops(const struct rsakey *k, enum raw_way way, bool crt, unsigned int nthreads,
		   double seconds, const int *cpus)
{
	struct gate gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
	struct raw_job jobs[RAW_MAX_THREADS] = {0};
	pthread_t t[RAW_MAX_THREADS];
	unsigned int made = 0, started = 0;
	double total = 0;

	if (!nthreads || nthreads > RAW_MAX_THREADS)
		return -1;
	/* every thread's state first: set-up and the check are not timed */
	for (; made < nthreads; made++)
		if (raw_rsa_new(k, way, crt, &jobs[made].r) < 0)
			break;
	for (; made == nthreads && started < nthreads; started++) {
		jobs[started].gate = &gate;
		jobs[started].seconds = seconds;
		if (raw_thread_create(&t[started], cpus ? cpus[started] : -1, raw_thread,
				      &jobs[started]) != 0)
			break;
	}
	gate_set(&gate, started == nthreads ? 1 : -1);
	if (started < nthreads)
		total = -1;
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		if (jobs[i].err)
			total = -1;
		else if (total >= 0)
			/* the last batch of four ends after `seconds`: count at the
			 * rate of the time it really took, as the guest's side is */
			total += (double)jobs[i].ops * seconds / jobs[i].elapsed;
	}
	for (unsigned int i = 0; i < made; i++)
		raw_rsa_free(jobs[i].r);
	return total;
}
