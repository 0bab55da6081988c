/*
 * rsa_run - RSA through a guest's AP queues (rsa_run.h).
 *
 * Requests follow the type 50 layout (facts 8; src/crypto/type50.h has the
 * numbers): a 16-byte header, then the key block in the smallest of the
 * three field sizes the modulus fits. Replies are matched to their cases by
 * PSMID: the low 32 bits are the case index, the high 32 bits the request's
 * sequence number + 1, which must be one sent and fit the index, so that a
 * misplaced reply is caught too.
 */
#include "rsa_run.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include "rsakey.h"
#include "type50.h"

#define PUBLIC_EXPONENT 65537
#define MAX_QUEUES	256
#define RC_Q_FULL	APEMU_AP_RC_Q_FULL

/* MEB1..3 take moduli up to 128/256/512 bytes; CRB1..3 primes up to 64/128/256. */
static const struct {
	unsigned int field;
	uint16_t me, crt;
} blocks[] = {{128, T50_MEB1, T50_CRB1}, {256, T50_MEB2, T50_CRB2}, {512, T50_MEB3, T50_CRB3}};

static void header(uint8_t *req, size_t total, uint16_t keyblock)
{
	memset(req, 0, T50_HDR_LEN);
	req[1] = T50_TYPE_REQUEST;
	req[2] = (uint8_t)(total >> 8);
	req[3] = (uint8_t)total;
	req[8] = (uint8_t)(keyblock >> 8);
	req[9] = (uint8_t)keyblock;
}

/* A big number right-justified in a field of len bytes. */
static int put(uint8_t *field, size_t len, const BIGNUM *v)
{
	return BN_bn2binpad(v, field, (int)len) == (int)len ? 0 : -EIO;
}

/* OpenSSL's raw RSA on in (modulus-sized): the private operation, or the
 * public one (verify-recover) for me_public. */
static int openssl_rsa(const struct rsakey *k, bool public, const uint8_t *in, size_t len,
		       uint8_t *out)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	size_t outlen = len;
	int ok;

	if (public)
		ok = c && EVP_PKEY_verify_recover_init(c) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
		     EVP_PKEY_verify_recover(c, out, &outlen, in, len) == 1;
	else
		ok = c && EVP_PKEY_decrypt_init(c) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) == 1 &&
		     EVP_PKEY_decrypt(c, out, &outlen, in, len) == 1;
	EVP_PKEY_CTX_free(c);
	return ok && outlen == len ? 0 : -EIO;
}

/* One case of key k: a random message, its request and OpenSSL's reply. */
static int case_build(const struct rsakey *k, enum rsa_kind kind, struct rsa_case *c)
{
	size_t nbytes = (size_t)BN_num_bytes(k->n), half = nbytes / 2 + (nbytes & 1), f = 0;
	uint16_t kb = 0;
	uint8_t msg[T50_MAX_RESULT], res[T50_MAX_RESULT];
	BIGNUM *m = BN_new();
	size_t rlen, off;
	int r = -EIO;

	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]) && !f; i++) {
		size_t need = kind == RSA_CRT ? half : nbytes;

		if (need <= (kind == RSA_CRT ? blocks[i].field / 2 : blocks[i].field)) {
			f = kind == RSA_CRT ? blocks[i].field / 2 : blocks[i].field;
			kb = kind == RSA_CRT ? blocks[i].crt : blocks[i].me;
		}
	}
	if (!m || !f || nbytes > sizeof(msg))
		goto out;
	/* a message below the modulus: random, with its top byte cleared */
	if (RAND_bytes(msg, (int)nbytes) != 1)
		goto out;
	msg[0] = 0;
	if (!BN_bin2bn(msg, (int)nbytes, m) ||
	    openssl_rsa(k, kind == RSA_ME_PUBLIC, msg, nbytes, res))
		goto out;
	c->req_len = kind == RSA_CRT ? T50_HDR_LEN + 7 * f : T50_HDR_LEN + 3 * f;
	rlen = kind == RSA_CRT ? 2 * f : f;
	c->req = calloc(1, c->req_len);
	c->reply = calloc(1, T50_HDR_LEN + rlen);
	if (!c->req || !c->reply) {
		r = -ENOMEM;
		goto out;
	}
	header(c->req, c->req_len, kb);
	off = T50_HDR_LEN;
	if (kind == RSA_CRT) {
		const BIGNUM *parts[] = {k->p, k->q, k->dp, k->dq, k->qinv};

		for (size_t i = 0; i < 5; i++, off += f)
			if (put(c->req + off, f, parts[i]))
				goto out;
		if (put(c->req + off, 2 * f, m))
			goto out;
	} else {
		if (put(c->req + off, f, kind == RSA_ME_PUBLIC ? k->e : k->d) ||
		    put(c->req + off + f, f, k->n) || put(c->req + off + 2 * f, f, m))
			goto out;
	}
	/* the type 80 reply: header, the result right-justified in rlen bytes */
	c->reply_len = T50_HDR_LEN + rlen;
	c->reply[1] = T50_TYPE_REPLY;
	c->reply[2] = (uint8_t)(c->reply_len >> 8);
	c->reply[3] = (uint8_t)c->reply_len;
	memcpy(c->reply + c->reply_len - nbytes, res, nbytes);
	r = 0;
out:
	BN_clear_free(m);
	OPENSSL_cleanse(res, sizeof(res));
	return r;
}

int rsa_cases_new(unsigned int bits, enum rsa_kind kind, unsigned int nkeys, unsigned int ncases,
		  struct rsa_case **ret)
{
	struct rsa_case *cs;
	struct rsakey *keys;
	int r = 0;

	if (bits < 512 || bits > 4096 || bits % 8 || !nkeys || !ncases)
		return -EINVAL;
	cs = calloc(ncases, sizeof(*cs));
	keys = calloc(nkeys, sizeof(*keys));
	if (!cs || !keys) {
		free(cs);
		free(keys);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < nkeys && !r; i++)
		r = rsakey_generate(bits, &keys[i]);
	for (unsigned int i = 0; i < ncases && !r; i++)
		r = case_build(&keys[i % nkeys], kind, &cs[i]);
	for (unsigned int i = 0; i < nkeys; i++)
		rsakey_clear(&keys[i]);
	free(keys);
	if (r) {
		rsa_cases_free(cs, ncases);
		return r;
	}
	*ret = cs;
	return 0;
}

int rsa_case_smallest(struct rsa_case **ret)
{
	struct rsa_case *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->req_len = T50_HDR_LEN;
	c->reply_len = T50_ERROR_REPLY_LEN;
	c->req = calloc(1, c->req_len);
	c->reply = calloc(1, c->reply_len);
	if (!c->req || !c->reply) {
		rsa_cases_free(c, 1);
		return -ENOMEM;
	}
	header(c->req, T50_HDR_LEN, 0);
	c->reply[1] = T50_TYPE_ERROR;
	c->reply[4] = T50_RC_OPERAND_INVALID; /* key-block type 0 */
	*ret = c;
	return 0;
}

void rsa_cases_free(struct rsa_case *c, unsigned int n)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < n; i++) {
		if (c[i].req)
			OPENSSL_cleanse(c[i].req, c[i].req_len);
		free(c[i].req);
		free(c[i].reply);
	}
	free(c);
}

bool rsa_parse_apqn(const char *s, uint16_t *ret)
{
	unsigned int a, d;
	char tail;

	if (strlen(s) != 7 || s[2] != '.' || sscanf(s, "%2x.%4x%c", &a, &d, &tail) != 2 || d > 0xff)
		return false;
	for (int i = 0; i < 7; i++)
		if (i != 2 && !strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	*ret = (uint16_t)(a << 8 | d);
	return true;
}

/* ---- running ---- */

double rsa_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* TAPQ's QD has 4 bits: a queue holds at most 16 messages. */
#define MAX_WINDOW 16

struct state {
	const struct rsa_run *r;
	struct rsa_result *res;
	/*
	 * Per queue, the sequence numbers of the requests in flight, oldest
	 * first (a queue answers in order): inflight of them from head on.
	 */
	uint64_t fifo[MAX_QUEUES][MAX_WINDOW];
	unsigned int head[MAX_QUEUES];
	unsigned int inflight[MAX_QUEUES];
	unsigned int window[MAX_QUEUES];
	bool irq_on[MAX_QUEUES]; /* interruptions enabled by us (to be disabled) */
	/* interruption moderation (await): the nap, and what was in flight before it */
	double nap;
	unsigned int nap_inflight;
	uint64_t sent;
	uint8_t *buf;
	size_t buflen;
};

static int fail(struct state *s, int err, const char *fmt, unsigned int apqn, unsigned int v)
{
	char what[160];

	snprintf(what, sizeof(what), fmt, apqn >> 8, apqn & 0xff, v);
	snprintf(s->res->message, sizeof(s->res->message), "%s", what);
	return err;
}

/*
 * The n oldest requests in flight on queue i were discarded (the guest saw
 * the queue empty, or a later reply overtake them): counted with
 * keep_going, else the run stops saying so.
 */
static int lost(struct state *s, unsigned int i, unsigned int n)
{
	if (!s->r->keep_going)
		return fail(s, -EIO,
			    "queue %02x.%04x was reset: %u requests in flight were discarded",
			    s->r->apqns[i], n);
	s->res->discarded += n;
	s->head[i] = (s->head[i] + n) % MAX_WINDOW;
	s->inflight[i] -= n;
	return 0;
}

/* A queue out of reach for the moment (rc 0x01-0x05): keep_going waits for it. */
static bool may_wait(const struct state *s, uint32_t status)
{
	unsigned int rc = APEMU_AP_STATUS_RC(status);

	return s->r->keep_going && rc >= 0x01 && rc <= 0x05;
}

int rsa_queue_probe(struct apemu_guest *g, uint16_t apqn, uint64_t *ret_info, char *msg, size_t len)
{
	struct apemu_ap_result res;
	int e = apemu_tapq(g, apqn, true, &res, ret_info);

	if (e < 0) {
		const char *why = apemu_guest_message(g);
		bool has_why = why && *why;

		snprintf(msg, len, "TAPQ %02x.%04x: the guest failed: %s%s%s%s", apqn >> 8,
			 apqn & 0xff, strerror(-e), has_why ? " (" : "", has_why ? why : "",
			 has_why ? ")" : "");
		return e;
	}
	if (res.pgm || res.cc) {
		snprintf(msg, len, "queue %02x.%04x is not the guest's (TAPQ response code 0x%02x)",
			 apqn >> 8, apqn & 0xff, APEMU_AP_STATUS_RC(res.status));
		return -ENODEV;
	}
	return 0;
}

/* TAPQ each queue: reachable, its depth; AQIC on when asked for. */
static int prepare(struct state *s)
{
	const struct rsa_run *r = s->r;

	for (unsigned int i = 0; i < r->napqns; i++) {
		struct apemu_ap_result res;
		uint64_t info = 0;
		int e = rsa_queue_probe(r->g, r->apqns[i], &info, s->res->message,
					sizeof(s->res->message));

		if (e < 0)
			return e;
		s->window[i] = r->window ? r->window : (unsigned int)(info & 0xf) + 1;
		if (s->window[i] > MAX_WINDOW)
			s->window[i] = MAX_WINDOW;
		if (r->irq) {
			e = apemu_aqic(r->g, r->apqns[i], true, 0, APEMU_GUEST_NIB_ADDR, &res);
			if (e < 0 || res.pgm ||
			    (res.cc &&
			     APEMU_AP_STATUS_RC(res.status) != APEMU_AP_RC_OTHERWISE_CHANGED))
				return fail(s, e < 0 ? e : -EIO,
					    "AQIC %02x.%04x: interruptions could not be enabled "
					    "(response code 0x%02x)",
					    r->apqns[i], APEMU_AP_STATUS_RC(res.status));
			s->irq_on[i] = res.cc == 0;
		}
	}
	return 0;
}

/* An instruction the guest library could not execute: say why (apemud gone, ...). */
static int guest_failed(struct state *s, int e, const char *insn, uint16_t apqn)
{
	const char *why = apemu_guest_message(s->r->g);
	bool has_why = why && *why;

	snprintf(s->res->message, sizeof(s->res->message),
		 "%s %02x.%04x: the guest failed: %s%s%s%s", insn, apqn >> 8, apqn & 0xff,
		 strerror(-e), has_why ? " (" : "", has_why ? why : "", has_why ? ")" : "");
	return e;
}

/* Fill queue i up to its window. */
static int feed(struct state *s, unsigned int i, uint64_t limit)
{
	const struct rsa_run *r = s->r;

	while (s->inflight[i] < s->window[i] && (!limit || s->sent < limit)) {
		unsigned int k = (unsigned int)(s->sent % r->ncases);
		uint64_t psmid = (s->sent + 1) << 32 | k;
		struct apemu_ap_result res;
		int e = apemu_nqap(r->g, r->apqns[i], psmid, r->cases[k].req, r->cases[k].req_len,
				   &res);

		if (e < 0)
			return guest_failed(s, e, "NQAP", r->apqns[i]);
		if (res.pgm)
			return fail(s, -EIO, "NQAP %02x.%04x: program exception 0x%04x",
				    r->apqns[i], (unsigned int)res.pgm);
		if (res.cc) {
			if (APEMU_AP_STATUS_RC(res.status) == RC_Q_FULL || may_wait(s, res.status))
				break;
			return fail(s, -EIO, "NQAP %02x.%04x: response code 0x%02x", r->apqns[i],
				    APEMU_AP_STATUS_RC(res.status));
		}
		s->fifo[i][(s->head[i] + s->inflight[i]) % MAX_WINDOW] = s->sent + 1;
		s->inflight[i]++;
		s->sent++;
		s->res->sent = s->sent;
		if (res.status & APEMU_AP_STATUS_F)
			break; /* that one filled the queue */
	}
	return 0;
}

/*
 * The reply to request seq came from queue i. Replies come in the order of
 * the requests, so requests older than seq still in flight were discarded
 * (a reset between them): say so. A reply to no request in flight is
 * counted wrong by the caller and retires the oldest one.
 */
static int take_in_order(struct state *s, unsigned int i, uint64_t seq)
{
	unsigned int skipped = 0;

	while (skipped < s->inflight[i] && s->fifo[i][(s->head[i] + skipped) % MAX_WINDOW] != seq)
		skipped++;
	if (skipped == s->inflight[i]) {
		skipped = 0;
		if (!s->inflight[i])
			return 0;
	} else if (skipped) {
		int e = lost(s, i, skipped);

		if (e < 0)
			return e;
	}
	s->head[i] = (s->head[i] + 1) % MAX_WINDOW;
	s->inflight[i]--;
	return 0;
}

/* Take every reply waiting on queue i; compare each with its case. */
static int drain(struct state *s, unsigned int i, unsigned int *got)
{
	const struct rsa_run *r = s->r;

	for (;;) {
		struct apemu_ap_result res;
		uint64_t psmid = 0;
		size_t len = 0, residual = 0;
		const struct rsa_case *c;
		int e =
		    apemu_dqap(r->g, r->apqns[i], &psmid, s->buf, s->buflen, &len, &residual, &res);

		if (e < 0)
			return guest_failed(s, e, "DQAP", r->apqns[i]);
		if (res.pgm)
			return fail(s, -EIO, "DQAP %02x.%04x: program exception 0x%04x",
				    r->apqns[i], (unsigned int)res.pgm);
		if (res.cc) {
			/* empty (E) while requests are outstanding: a reset discarded them */
			if (APEMU_AP_STATUS_RC(res.status) == RC_Q_FULL &&
			    (res.status & APEMU_AP_STATUS_E) && s->inflight[i])
				return lost(s, i, s->inflight[i]);
			if (APEMU_AP_STATUS_RC(res.status) == RC_Q_FULL || may_wait(s, res.status))
				return 0;
			return fail(s, -EIO, "DQAP %02x.%04x: response code 0x%02x", r->apqns[i],
				    APEMU_AP_STATUS_RC(res.status));
		}
		if (residual)
			return fail(s, -EIO, "DQAP %02x.%04x: a reply of more than %u bytes",
				    r->apqns[i], (unsigned int)s->buflen);
		/* the PSMID names the request: sequence number + 1, case index */
		c = (uint32_t)psmid < r->ncases && (psmid >> 32) >= 1 && (psmid >> 32) <= s->sent &&
			    ((psmid >> 32) - 1) % r->ncases == (uint32_t)psmid
			? &r->cases[(uint32_t)psmid]
			: NULL;
		if (!c || len != c->reply_len || memcmp(s->buf, c->reply, len))
			s->res->wrong++;
		e = take_in_order(s, i, psmid >> 32);
		if (e < 0)
			return e;
		s->res->done++;
		(*got)++;
		if (!(res.status & APEMU_AP_STATUS_R))
			return 0; /* that was the last reply waiting */
	}
}

/*
 * Interruption moderation. An adapter interruption that wakes a guest asleep
 * on its eventfd costs the adapter's thread the wake-up (a cross-CPU
 * interrupt), once per sleep. With NAP_MIN_INFLIGHT or more requests in
 * flight the guest therefore does not wait for the next reply but naps on
 * its own clock for about half of what it has in flight, then takes every
 * reply that came; the adapter still has work meanwhile. The nap adapts:
 * halved when everything in flight was answered by then (the adapter may
 * have run dry), a quarter longer when less than half of it was.
 */
#define NAP_MIN_INFLIGHT 4
#define NAP_START	 50e-6
#define NAP_MIN		 5e-6
#define NAP_MAX		 2e-3

static unsigned int total_inflight(const struct state *s)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < s->r->napqns; i++)
		n += s->inflight[i];
	return n;
}

/* After a nap: got replies of the nap_inflight there were. */
static void nap_adjust(struct state *s, unsigned int got)
{
	if (!s->nap_inflight)
		return;
	if (got >= s->nap_inflight)
		s->nap /= 2;
	else if (got < s->nap_inflight / 2)
		s->nap *= 1.25;
	s->nap = s->nap < NAP_MIN ? NAP_MIN : s->nap > NAP_MAX ? NAP_MAX : s->nap;
	s->nap_inflight = 0;
}

/* Wait for an adapter interruption (or, polling, a moment). */
static void await(struct state *s)
{
	const struct rsa_run *r = s->r;
	unsigned int n = total_inflight(s);

	if (r->irq && n >= NAP_MIN_INFLIGHT) {
		struct timespec t = {.tv_nsec = (long)(s->nap * 1e9)};

		nanosleep(&t, NULL);
		s->nap_inflight = n;
	} else if (r->irq) {
		int fd = apemu_guest_irq_fd(r->g);
		struct pollfd p = {.fd = fd, .events = POLLIN};
		size_t size;
		uint8_t *mem = apemu_guest_memory(r->g, &size);
		uint64_t v;

		/* the notification byte says a reply came since we last looked */
		if (__atomic_exchange_n(mem + APEMU_GUEST_NIB_ADDR, 0, __ATOMIC_ACQ_REL))
			return;
		if (poll(&p, 1, 100) > 0 && read(fd, &v, sizeof(v)) < 0) {
			/* counter read races are harmless: the NIB is the truth */
		}
		__atomic_exchange_n(mem + APEMU_GUEST_NIB_ADDR, 0, __ATOMIC_ACQ_REL);
	} else {
		struct timespec t = {.tv_nsec = 20000};

		nanosleep(&t, NULL);
	}
}

/*
 * No reply for a while: requests may have been discarded (a reset, a
 * zeroize, the adapter gone), which the guest learns from TAPQ: a queue
 * that is empty while we still wait for replies, or not reachable at all.
 * After STALL_GIVE_UP_S without a reply, give up anyway.
 */
#define STALL_CHECK_S	1.0
#define STALL_GIVE_UP_S 60.0

static int check_stalled(struct state *s, double quiet)
{
	const struct rsa_run *r = s->r;

	for (unsigned int i = 0; i < r->napqns; i++) {
		struct apemu_ap_result res;

		if (!s->inflight[i])
			continue;
		int e = apemu_tapq(r->g, r->apqns[i], false, &res, NULL);

		if (e < 0)
			return guest_failed(s, e, "TAPQ", r->apqns[i]);
		if (res.pgm)
			return fail(s, -EIO, "TAPQ %02x.%04x: program exception 0x%04x",
				    r->apqns[i], (unsigned int)res.pgm);
		if (res.cc && may_wait(s, res.status))
			continue;
		if (res.cc)
			return fail(
			    s, -EIO,
			    "queue %02x.%04x went away with requests in flight (TAPQ response "
			    "code 0x%02x)",
			    r->apqns[i], APEMU_AP_STATUS_RC(res.status));
		if (res.status & APEMU_AP_STATUS_E) {
			int e = lost(s, i, s->inflight[i]);

			if (e < 0)
				return e;
		}
	}
	/* keep_going waits as long as it takes: its caller has the clock */
	if (quiet >= STALL_GIVE_UP_S && !r->keep_going)
		return fail(s, -ETIMEDOUT, "no reply from %02x.%04x (or the other queues) for %u s",
			    r->apqns[0], (unsigned int)STALL_GIVE_UP_S);
	return 0;
}

int rsa_run(const struct rsa_run *r, struct rsa_result *ret)
{
	struct state s = {.r = r, .res = ret, .buflen = T50_REPLY_MAX, .nap = NAP_START};
	double start, last_progress, last_reply, last_check;
	uint64_t limit = r->count;
	int e;

	memset(ret, 0, sizeof(*ret));
	if (!r->napqns || r->napqns > MAX_QUEUES || !r->ncases)
		return -EINVAL;
	s.buf = malloc(s.buflen);
	if (!s.buf)
		return -ENOMEM;
	e = prepare(&s);
	start = last_progress = last_reply = last_check = rsa_now();
	while (!e) {
		unsigned int got = 0;
		double t;

		for (unsigned int i = 0; i < r->napqns && !e; i++)
			e = feed(&s, i, limit);
		if (e)
			break;
		for (unsigned int i = 0; i < r->napqns && !e; i++)
			e = drain(&s, i, &got);
		nap_adjust(&s, got);
		t = rsa_now();
		if (got)
			last_reply = t;
		else if (t - last_reply >= STALL_CHECK_S && t - last_check >= STALL_CHECK_S) {
			last_check = t;
			e = check_stalled(&s, t - last_reply);
		}
		if (r->progress && r->progress_interval > 0 &&
		    t - last_progress >= r->progress_interval) {
			r->progress(r->ctx, ret->done, t - start);
			last_progress = t;
		}
		/* requests a reset discarded (keep_going) end as replies do */
		if (limit ? ret->done + ret->discarded >= limit : t - start >= r->seconds) {
			/* by time: stop feeding, collect what is still in flight */
			limit = s.sent;
			if (ret->done + ret->discarded >= s.sent)
				break;
		}
		if (!got && !e)
			await(&s);
	}
	ret->seconds = rsa_now() - start;
	if (r->progress)
		r->progress(r->ctx, ret->done, ret->seconds);
	for (unsigned int i = 0; i < r->napqns; i++) {
		struct apemu_ap_result res;

		if (s.irq_on[i])
			apemu_aqic(r->g, r->apqns[i], false, 0, 0, &res);
	}
	free(s.buf);
	return e;
}
