/*
 * engine tests: requests put on queues' rings come back as replies computed
 * by the adapters' threads, with the PSMID of the request; the counters
 * follow; resets discard; AQIC notifies; revoked and unbound rings are not
 * served; adapters run at once, one worker each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>

#include "bus.h"
#include "engine.h"
#include "hwview.h"
#include "qring.h"
#include "type50.h"

#define MEB1_FIELD 128
#define MEB1_LEN   (T50_HDR_LEN + 3 * MEB1_FIELD)
#define MAX_RINGS  16
#define NIB	   40 /* the notification byte's offset in the owner's memory */

/* A queue's ring, as the daemon lays it out and the guest sees it. */
struct ring {
	unsigned int apqn;
	struct apemu_qring *r;
	struct qring_geom g; /* the guest's geometry */
};

struct fx {
	struct ap_system sys;
	struct hwview view;
	struct engine *e;
	unsigned int nadapters; /* adapters present */
	uint8_t mem[64];	/* the owner's memory (the notification byte) */
	struct eng_owner owner;
	struct ring ring[MAX_RINGS];
	unsigned int nrings;
	struct apemu_qring *extra; /* a second ring a test laid out itself */
};

/* The model asks the engine for the counters, as apemud's ops do. */
static void fx_counters(void *ctx, unsigned int apqn, struct ap_queue_counters *ret)
{
	struct fx *f = ctx;

	engine_counters(f->e, apqn, ret);
}

static void fx_count_reset(void *ctx, unsigned int apqn)
{
	struct fx *f = ctx;

	engine_reset_request_count(f->e, apqn);
}

/* Adapters 3 (CEX7A), 4 (CEX8A) and 5 (CEX8C); with more, accelerators 8.. too. */
static int setup_n(void **state, unsigned int more)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = true, .na = 255, .nd = 255};
	struct ap_adapter_desc a3 = {
	    .id = 3, .gen = 7, .mode = AP_MODE_ACCEL, .depth = 1, .max_msg_size = -1};
	struct ap_adapter_desc a4 = {
	    .id = 4, .gen = 8, .mode = AP_MODE_ACCEL, .depth = 1, .max_msg_size = -1};
	struct ap_adapter_desc a5 = {
	    .id = 5, .gen = 8, .mode = AP_MODE_CCA, .depth = -1, .max_msg_size = -1};
	struct fx *f = calloc(1, sizeof(*f));
	struct ap_machine hw;

	assert_non_null(f);
	ap_mask_set(&info.usage_domains, 6);
	ap_mask_set(&info.usage_domains, 7);
	assert_int_equal(machine_init(&hw, &info), 0);
	assert_int_equal(machine_add_adapter(&hw, &a3), 0);
	assert_int_equal(machine_add_adapter(&hw, &a4), 0);
	assert_int_equal(machine_add_adapter(&hw, &a5), 0);
	for (unsigned int i = 0; i < more; i++) {
		struct ap_adapter_desc a = {
		    .id = 8 + i, .gen = 8, .mode = AP_MODE_ACCEL, .depth = 1, .max_msg_size = -1};

		assert_int_equal(machine_add_adapter(&hw, &a), 0);
	}
	f->nadapters = 3 + more;
	assert_int_equal(ap_system_init(&f->sys, AP_ABI_CUR, &hw, NULL, NULL, -1, 0), 0);
	hwview_update(&f->view, &f->sys, (uint64_t[HWSNAP_WORDS]){0});
	f->owner = (struct eng_owner){.id = f,
				      .mem = f->mem,
				      .mem_size = sizeof(f->mem),
				      .irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
				      .doorbell_fd = -1};
	assert_true(f->owner.irq_fd >= 0);
	assert_int_equal(engine_new(&f->view, &f->e), 0);
	f->sys.ops.queue_counters = fx_counters;
	f->sys.ops.queue_count_reset = fx_count_reset;
	f->sys.ops_ctx = f;
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 0);
}

/* Two more accelerators: five adapters. */
static int setup_five(void **state)
{
	return setup_n(state, 2);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	engine_free(f->e);
	for (unsigned int i = 0; i < f->nrings; i++)
		free(f->ring[i].r);
	free(f->extra);
	close(f->owner.irq_fd);
	ap_system_clear(&f->sys);
	free(f);
	return 0;
}

/* apqn's ring, depth + 1 slots of the adapter's maximum message, bound on first use. */
static struct ring *ring_of(struct fx *f, unsigned int apqn)
{
	const struct ap_adapter *ad = &f->sys.hw.adapter[AP_APQN_APID(apqn)];
	unsigned int nslots = ad->depth + 1u, slot_size = ad->max_msg_size;
	struct qring_host h;
	struct ring *rg;

	for (unsigned int i = 0; i < f->nrings; i++)
		if (f->ring[i].apqn == apqn)
			return &f->ring[i];
	assert_true(f->nrings < MAX_RINGS);
	assert_true(nslots >= 2 && slot_size >= 4096);
	rg = &f->ring[f->nrings];
	rg->apqn = apqn;
	rg->r = aligned_alloc(64, APEMU_QRING_BYTES(nslots, slot_size));
	assert_non_null(rg->r);
	memset(rg->r, 0, APEMU_QRING_BYTES(nslots, slot_size));
	f->nrings++;
	qring_host_init(&h, rg->r, apqn, nslots, slot_size, slot_size, 100 + f->nrings);
	qring_geom_of(rg->r, &rg->g);
	assert_int_equal(rg->g.nslots, nslots);
	assert_int_equal(engine_bind(f->e, apqn, &h, &f->owner), 0);
	return rg;
}

/* A MEB1 request: m^e mod n with 1024-bit numbers derived from seed. */
static void meb1(uint8_t req[MEB1_LEN], unsigned int seed, BIGNUM *expect)
{
	BIGNUM *e = BN_new(), *n = BN_new(), *m = BN_new();
	BN_CTX *c = BN_CTX_new();

	memset(req, 0, MEB1_LEN);
	req[1] = T50_TYPE_REQUEST;
	req[2] = MEB1_LEN >> 8;
	req[3] = MEB1_LEN & 0xff;
	req[9] = T50_MEB1 & 0xff;
	srand(seed);
	for (unsigned int i = 0; i < MEB1_FIELD; i++) {
		req[T50_HDR_LEN + i] = (uint8_t)rand();			 /* exponent */
		req[T50_HDR_LEN + MEB1_FIELD + i] = (uint8_t)rand();	 /* modulus */
		req[T50_HDR_LEN + 2 * MEB1_FIELD + i] = (uint8_t)rand(); /* message */
	}
	req[T50_HDR_LEN + MEB1_FIELD] |= 0x80;	    /* modulus: 1024 bits, */
	req[T50_HDR_LEN + 2 * MEB1_FIELD - 1] |= 1; /* odd, */
	req[T50_HDR_LEN + 2 * MEB1_FIELD] &= 0x7f;  /* message below it */
	assert_non_null(BN_bin2bn(req + T50_HDR_LEN, MEB1_FIELD, e));
	assert_non_null(BN_bin2bn(req + T50_HDR_LEN + MEB1_FIELD, MEB1_FIELD, n));
	assert_non_null(BN_bin2bn(req + T50_HDR_LEN + 2 * MEB1_FIELD, MEB1_FIELD, m));
	assert_int_equal(BN_mod_exp(expect, m, e, n, c), 1);
	BN_free(e);
	BN_free(n);
	BN_free(m);
	BN_CTX_free(c);
}

/* Put a request on apqn's ring, as the guest's NQAP does, and wake the adapter. */
static int put(struct fx *f, unsigned int apqn, uint64_t psmid, const void *msg, size_t len)
{
	struct ring *rg = ring_of(f, apqn);
	int r = qring_put(rg->r, &rg->g, psmid, msg, len);

	if (!r)
		engine_kick(f->e, apqn);
	return r;
}

/* DQAP once: the reply's length, or -ENOENT. */
static long get(struct fx *f, unsigned int apqn, uint64_t *psmid, uint8_t *buf, size_t cap)
{
	struct ring *rg = ring_of(f, apqn);
	size_t residual = 0;
	long n = qring_get(rg->r, &rg->g, buf, cap, psmid, &residual);

	if (n >= 0)
		assert_int_equal(residual, 0);
	return n;
}

/* Take a reply, waiting up to ms for it: its length, or -ENOENT. */
static long take_within(struct fx *f, unsigned int apqn, uint64_t *psmid, uint8_t *buf, size_t cap,
			int ms)
{
	struct timespec tick = {.tv_nsec = 1000000};

	for (int i = 0; i < ms; i++) {
		long n = get(f, apqn, psmid, buf, cap);

		if (n != -ENOENT)
			return n;
		nanosleep(&tick, NULL);
	}
	return get(f, apqn, psmid, buf, cap);
}

static long take(struct fx *f, unsigned int apqn, uint64_t *psmid, uint8_t *buf, size_t cap)
{
	return take_within(f, apqn, psmid, buf, cap, 10000);
}

static uint32_t status(struct fx *f, unsigned int apqn)
{
	struct ring *rg = ring_of(f, apqn);

	return qring_status(rg->r, &rg->g);
}

static void assert_result(const uint8_t *reply, long n, const BIGNUM *expect)
{
	uint8_t want[MEB1_FIELD];

	assert_int_equal(n, T50_HDR_LEN + MEB1_FIELD);
	assert_int_equal(reply[1], T50_TYPE_REPLY);
	assert_int_equal(BN_bn2binpad(expect, want, MEB1_FIELD), MEB1_FIELD);
	assert_memory_equal(reply + T50_HDR_LEN, want, MEB1_FIELD);
}

/* Wait until the worker is done with whatever it holds apqn's lock for. */
static void barrier(struct fx *f, unsigned int apqn)
{
	struct qring_host *hq = engine_lock(f->e, apqn, f->owner.id);

	assert_non_null(hq);
	engine_unlock(f->e, apqn);
}

/* Does owner_id have apqn's binding? (engine_lock, unlocked again at once) */
static bool owns(struct fx *f, unsigned int apqn, const void *owner_id)
{
	if (!engine_lock(f->e, apqn, owner_id))
		return false;
	engine_unlock(f->e, apqn);
	return true;
}

/* Is the owner's eventfd signalled within ms? Consumes the signal; returns its count. */
static uint64_t signalled(struct fx *f, int ms)
{
	struct pollfd p = {.fd = f->owner.irq_fd, .events = POLLIN};
	uint64_t v = 0;

	if (poll(&p, 1, ms) != 1)
		return 0;
	assert_int_equal(read(f->owner.irq_fd, &v, sizeof(v)), sizeof(v));
	return v;
}

static void test_request_comes_back_computed_with_its_psmid(void **state)
{
	struct fx *f = *state;
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	uint64_t psmid = 0;
	long n;

	meb1(req, 1, expect);
	assert_int_equal(put(f, AP_APQN(3, 6), 0x1234567890abcdefull, req, sizeof(req)), 0);
	n = take(f, AP_APQN(3, 6), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 0x1234567890abcdefull);
	assert_result(reply, n, expect);
	assert_int_equal(apbus_queue_request_count(&f->sys, AP_APQN(3, 6)), 1);
	/* dequeued: the queue is empty again */
	assert_int_equal(status(f, AP_APQN(3, 6)), AP_STATUS_E);
	BN_free(expect);
}

static void test_queue_holds_depth_plus_one_and_replies_in_order(void **state)
{
	struct fx *f = *state;
	uint8_t req[3][MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect[3];
	uint64_t psmid;
	long n;

	for (unsigned int i = 0; i < 3; i++) {
		expect[i] = BN_new();
		meb1(req[i], 10 + i, expect[i]);
	}
	assert_int_equal(put(f, AP_APQN(4, 7), 100, req[0], MEB1_LEN), 0);
	assert_int_equal(put(f, AP_APQN(4, 7), 101, req[1], MEB1_LEN), 0);
	/* depth 1: two messages fill the queue, replies included */
	assert_int_equal(status(f, AP_APQN(4, 7)) & AP_STATUS_F, AP_STATUS_F);
	assert_int_equal(put(f, AP_APQN(4, 7), 102, req[2], MEB1_LEN), -ENOSPC);
	n = take(f, AP_APQN(4, 7), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 100);
	assert_result(reply, n, expect[0]);
	assert_int_equal(put(f, AP_APQN(4, 7), 102, req[2], MEB1_LEN), 0);
	n = take(f, AP_APQN(4, 7), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 101);
	assert_result(reply, n, expect[1]);
	n = take(f, AP_APQN(4, 7), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 102);
	assert_result(reply, n, expect[2]);
	assert_int_equal(status(f, AP_APQN(4, 7)), AP_STATUS_E);
	for (unsigned int i = 0; i < 3; i++)
		BN_free(expect[i]);
}

static void test_counters_follow_the_messages(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(3, 7);
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	struct timespec tick = {.tv_nsec = 1000000};
	struct ap_queue_counters c;
	uint64_t psmid;

	meb1(req, 2, expect);
	ring_of(f, q);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 0);
	assert_int_equal(put(f, q, 7, req, sizeof(req)), 0);
	/*
	 * until the reply is dequeued the request is pending; the counters are
	 * published when the worker lets go of the queue, after the count
	 */
	for (int i = 0; i < 10000 && (apbus_queue_request_count(&f->sys, q) == 0 ||
				      apbus_queue_load(&f->sys, q) != 0 ||
				      apbus_queue_pendingq_count(&f->sys, q) == 0);
	     i++)
		nanosleep(&tick, NULL);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 1);
	assert_int_equal(apbus_queue_load(&f->sys, q), 0); /* completed */
	engine_counters(f->e, q, &c);
	assert_int_equal(c.pendingq_count, 1);
	assert_int_equal(c.request_count, 1);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	/* the guest's DQAP is seen when the trap path or the worker next publishes */
	barrier(f, q);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_load(&f->sys, q), 0);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	/* a reset empties the queue but keeps request_count; a write to it zeroes it */
	engine_reset(f->e, q);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	apbus_queue_reset_count(&f->sys, q);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 0);
	/* a queue never used reads zero */
	engine_counters(f->e, AP_APQN(5, 6), &c);
	assert_int_equal(c.request_count + c.requestq_count + c.pendingq_count + c.load, 0);
	BN_free(expect);
}

/* A request put on a revoked binding waits in the ring: its counters say so. */
static void test_counters_count_requests_not_started(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(4, 6);
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	uint64_t psmid;

	meb1(req, 6, expect);
	ring_of(f, q);
	engine_set_state(f->e, q, f->owner.id, APEMU_QRING_REVOKED);
	assert_int_equal(put(f, q, 8, req, sizeof(req)), 0);
	barrier(f, q);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, q), 1);
	assert_int_equal(apbus_queue_load(&f->sys, q), 1);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 0);
	engine_set_state(f->e, q, f->owner.id, APEMU_QRING_LIVE);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(psmid, 8);
	barrier(f, q);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_load(&f->sys, q), 0);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	BN_free(expect);
}

static void test_reset_discards_requests_and_replies(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(3, 6);
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	struct timespec wait = {.tv_nsec = 50000000};
	struct qring_host *hq;
	struct ring *rg = ring_of(f, q);
	uint64_t psmid;
	uint32_t st;
	bool irq;

	meb1(req, 3, expect);
	hq = engine_lock(f->e, q, f->owner.id);
	assert_non_null(hq);
	qring_host_set_irq(hq, true, 3, NIB);
	engine_unlock(f->e, q);
	assert_int_equal(put(f, q, 1, req, sizeof(req)), 0);
	assert_int_equal(put(f, q, 2, req, sizeof(req)), 0);
	/* whether the adapter started, finished or not: nothing survives */
	engine_reset(f->e, q);
	nanosleep(&wait, NULL);
	assert_int_equal(get(f, q, &psmid, reply, sizeof(reply)), -ENOENT);
	assert_int_equal(status(f, q), AP_STATUS_E);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_load(&f->sys, q), 0);
	/* interruptions are off */
	hq = engine_lock(f->e, q, f->owner.id);
	assert_non_null(hq);
	irq = hq->irq;
	st = qring_host_status(hq);
	engine_unlock(f->e, q);
	assert_false(irq);
	assert_int_equal(st, AP_STATUS_E);
	assert_int_equal(__atomic_load_n(&rg->r->irq, __ATOMIC_ACQUIRE), 0);
	/* (a reply the adapter produced before the reset may have interrupted: forget it) */
	__atomic_store_n(&f->mem[NIB], 0, __ATOMIC_RELEASE);
	signalled(f, 0);
	/* the queue works on afterwards, with room for depth + 1 again */
	assert_int_equal(put(f, q, 3, req, sizeof(req)), 0);
	assert_int_equal(put(f, q, 4, req, sizeof(req)), 0);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(psmid, 3);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(psmid, 4);
	assert_int_equal(status(f, q), AP_STATUS_E);
	/* and, interruptions being off, no interruption came of it */
	barrier(f, q);
	assert_int_equal(__atomic_load_n(&f->mem[NIB], __ATOMIC_ACQUIRE), 0);
	assert_int_equal(signalled(f, 0), 0);
	BN_free(expect);
}

static void test_aqic_sets_the_notification_byte_and_signals(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(4, 6);
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	struct ring *rg = ring_of(f, q);
	struct qring_host *hq;
	uint64_t psmid;
	uint32_t st;

	meb1(req, 4, expect);
	hq = engine_lock(f->e, q, f->owner.id);
	assert_non_null(hq);
	qring_host_set_irq(hq, true, 3, NIB);
	st = qring_host_status(hq);
	engine_unlock(f->e, q);
	assert_int_equal(st, AP_STATUS_E | AP_STATUS_I);
	assert_int_equal(__atomic_load_n(&rg->r->irq, __ATOMIC_ACQUIRE), 1);

	/* a reply: the byte is set and the owner signalled once */
	assert_int_equal(put(f, q, 9, req, sizeof(req)), 0);
	assert_int_equal(signalled(f, 10000), 1);
	assert_int_equal(__atomic_load_n(&f->mem[NIB], __ATOMIC_ACQUIRE), 0xff);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(psmid, 9);

	/* another reply while the byte is still set: no second signal */
	assert_int_equal(put(f, q, 10, req, sizeof(req)), 0);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	barrier(f, q);
	assert_int_equal(signalled(f, 0), 0);
	assert_int_equal(__atomic_load_n(&f->mem[NIB], __ATOMIC_ACQUIRE), 0xff);

	/* the guest looked (byte cleared): the next reply signals again */
	__atomic_store_n(&f->mem[NIB], 0, __ATOMIC_RELEASE);
	assert_int_equal(put(f, q, 11, req, sizeof(req)), 0);
	assert_int_equal(signalled(f, 10000), 1);
	assert_int_equal(__atomic_load_n(&f->mem[NIB], __ATOMIC_ACQUIRE), 0xff);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);

	/* interruptions off: the byte stays and nothing is signalled */
	__atomic_store_n(&f->mem[NIB], 0, __ATOMIC_RELEASE);
	hq = engine_lock(f->e, q, f->owner.id);
	assert_non_null(hq);
	qring_host_set_irq(hq, false, 0, 0);
	engine_unlock(f->e, q);
	assert_int_equal(__atomic_load_n(&rg->r->irq, __ATOMIC_ACQUIRE), 0);
	assert_int_equal(put(f, q, 12, req, sizeof(req)), 0);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	barrier(f, q);
	assert_int_equal(signalled(f, 0), 0);
	assert_int_equal(__atomic_load_n(&f->mem[NIB], __ATOMIC_ACQUIRE), 0);

	/* forgotten owners have no binding any more */
	engine_forget(f->e, f->owner.id);
	assert_false(owns(f, q, f->owner.id));
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_REVOKED);
	BN_free(expect);
}

static void test_cca_queue_answers_message_type_error(void **state)
{
	struct fx *f = *state;
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	uint64_t psmid;

	meb1(req, 5, expect);
	assert_int_equal(put(f, AP_APQN(5, 6), 77, req, sizeof(req)), 0);
	assert_int_equal(take(f, AP_APQN(5, 6), &psmid, reply, sizeof(reply)), T50_ERROR_REPLY_LEN);
	assert_int_equal(psmid, 77);
	assert_int_equal(reply[1], T50_TYPE_ERROR);
	assert_int_equal(reply[4], T50_RC_MESSAGE_TYPE);
	BN_free(expect);
}

static void test_malformed_request_gets_an_error_reply(void **state)
{
	struct fx *f = *state;
	uint8_t req[20] = {0, T50_TYPE_REQUEST, 0, 20}, reply[T50_REPLY_MAX];
	uint64_t psmid;

	assert_int_equal(put(f, AP_APQN(3, 7), 5, req, sizeof(req)), 0);
	assert_int_equal(take(f, AP_APQN(3, 7), &psmid, reply, sizeof(reply)), T50_ERROR_REPLY_LEN);
	assert_int_equal(psmid, 5);
	assert_int_equal(reply[1], T50_TYPE_ERROR);
	assert_int_equal(reply[4], T50_RC_OPERAND_INVALID);
}

static void test_one_worker_per_present_adapter(void **state)
{
	struct fx *f = *state;

	assert_int_equal(engine_workers(f->e), f->nadapters);
	/* binding queues of adapters that have a worker starts no other */
	ring_of(f, AP_APQN(3, 6));
	ring_of(f, AP_APQN(3, 7));
	ring_of(f, AP_APQN(5, 6));
	assert_int_equal(engine_workers(f->e), f->nadapters);
}

static void test_revoked_ring_is_not_served_until_live(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(3, 7);
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	struct ring *rg = ring_of(f, q);
	uint64_t psmid;

	meb1(req, 7, expect);
	engine_set_state(f->e, q, f->owner.id, APEMU_QRING_REVOKED);
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_REVOKED);
	assert_int_equal(put(f, q, 21, req, sizeof(req)), 0);
	assert_int_equal(take_within(f, q, &psmid, reply, sizeof(reply), 200), -ENOENT);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 0);
	/* another owner's word changes nothing */
	engine_set_state(f->e, q, &state, APEMU_QRING_LIVE);
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_REVOKED);
	assert_int_equal(take_within(f, q, &psmid, reply, sizeof(reply), 100), -ENOENT);
	/* live again: the waiting request is served */
	engine_set_state(f->e, q, f->owner.id, APEMU_QRING_LIVE);
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_LIVE);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(psmid, 21);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	BN_free(expect);
}

static void test_unbound_ring_is_not_served(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(4, 7);
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	struct ring *rg = ring_of(f, q);
	uint64_t psmid;

	meb1(req, 8, expect);
	/* served while bound */
	assert_int_equal(put(f, q, 30, req, sizeof(req)), 0);
	assert_result(reply, take(f, q, &psmid, reply, sizeof(reply)), expect);
	/* another owner can neither lock nor unbind it */
	assert_false(owns(f, q, &state));
	assert_null(engine_unbind(f->e, q, &state));
	assert_true(owns(f, q, f->owner.id));
	/* unbound: revoked, and no longer served */
	assert_ptr_equal(engine_unbind(f->e, q, f->owner.id), f->owner.id);
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_REVOKED);
	assert_false(owns(f, q, f->owner.id));
	assert_null(engine_unbind(f->e, q, NULL));
	assert_int_equal(put(f, q, 31, req, sizeof(req)), 0);
	assert_int_equal(take_within(f, q, &psmid, reply, sizeof(reply), 200), -ENOENT);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	/* a live state for a binding that is gone serves nothing either */
	engine_set_state(f->e, q, f->owner.id, APEMU_QRING_LIVE);
	assert_int_equal(take_within(f, q, &psmid, reply, sizeof(reply), 100), -ENOENT);
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_REVOKED);
	BN_free(expect);
}

/* Binding a queue for another owner revokes the first owner's ring. */
static void test_binding_for_another_owner_revokes_the_first(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(3, 6);
	const struct ap_adapter *ad = &f->sys.hw.adapter[3];
	unsigned int nslots = ad->depth + 1u, slot_size = ad->max_msg_size;
	uint8_t mem2[64] = {0}, req[MEB1_LEN], reply[T50_REPLY_MAX];
	struct eng_owner o2 = {
	    .id = mem2, .mem = mem2, .mem_size = sizeof(mem2), .irq_fd = -1, .doorbell_fd = -1};
	BIGNUM *expect = BN_new();
	struct ring *rg = ring_of(f, q);
	struct qring_geom g2;
	struct qring_host h2;
	size_t residual = 0;
	uint64_t psmid;

	meb1(req, 9, expect);
	f->extra = aligned_alloc(64, APEMU_QRING_BYTES(nslots, slot_size));
	assert_non_null(f->extra);
	memset(f->extra, 0, APEMU_QRING_BYTES(nslots, slot_size));
	qring_host_init(&h2, f->extra, q, nslots, slot_size, slot_size, 900);
	qring_geom_of(f->extra, &g2);
	assert_int_equal(engine_bind(f->e, q, &h2, &o2), 0);
	/* the first owner's ring is revoked and no longer its */
	assert_int_equal(__atomic_load_n(&rg->r->state, __ATOMIC_ACQUIRE), APEMU_QRING_REVOKED);
	assert_false(owns(f, q, f->owner.id));
	assert_int_equal(put(f, q, 40, req, sizeof(req)), 0);
	assert_int_equal(take_within(f, q, &psmid, reply, sizeof(reply), 200), -ENOENT);
	/* the new owner's ring is served */
	assert_int_equal(qring_put(f->extra, &g2, 41, req, sizeof(req)), 0);
	engine_kick(f->e, q);
	for (int i = 0; i < 10000; i++) {
		long n = qring_get(f->extra, &g2, reply, sizeof(reply), &psmid, &residual);
		struct timespec tick = {.tv_nsec = 1000000};

		if (n != -ENOENT) {
			assert_int_equal(residual, 0);
			assert_int_equal(psmid, 41);
			assert_result(reply, n, expect);
			break;
		}
		assert_true(i < 9999);
		nanosleep(&tick, NULL);
	}
	assert_int_equal(take_within(f, q, &psmid, reply, sizeof(reply), 0), -ENOENT);
	assert_ptr_equal(engine_unbind(f->e, q, NULL), o2.id);
	BN_free(expect);
}

/* A sleeping adapter asks for the doorbell (need_wakeup), and the doorbell wakes it. */
static void test_doorbell_wakes_a_sleeping_adapter(void **state)
{
	struct fx *f = *state;
	const unsigned int q = AP_APQN(4, 6);
	const struct ap_adapter *ad = &f->sys.hw.adapter[4];
	unsigned int nslots = ad->depth + 1u, slot_size = ad->max_msg_size;
	uint8_t mem2[64] = {0}, req[MEB1_LEN], reply[T50_REPLY_MAX];
	int bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct eng_owner o2 = {
	    .id = mem2, .mem = mem2, .mem_size = sizeof(mem2), .irq_fd = -1, .doorbell_fd = bell};
	struct timespec tick = {.tv_nsec = 1000000};
	BIGNUM *expect = BN_new();
	static const uint64_t one = 1;
	struct qring_geom g;
	struct qring_host h;
	size_t residual = 0;
	uint64_t psmid;
	long n = -ENOENT;
	int i;

	assert_true(bell >= 0);
	meb1(req, 10, expect);
	f->extra = aligned_alloc(64, APEMU_QRING_BYTES(nslots, slot_size));
	assert_non_null(f->extra);
	memset(f->extra, 0, APEMU_QRING_BYTES(nslots, slot_size));
	qring_host_init(&h, f->extra, q, nslots, slot_size, slot_size, 901);
	qring_geom_of(f->extra, &g);
	assert_int_equal(engine_bind(f->e, q, &h, &o2), 0);
	for (int round = 0; round < 3; round++) {
		/* with nothing to do the adapter goes to sleep and says so */
		for (i = 0; i < 10000 && !__atomic_load_n(&f->extra->need_wakeup, __ATOMIC_SEQ_CST);
		     i++)
			nanosleep(&tick, NULL);
		assert_int_equal(__atomic_load_n(&f->extra->need_wakeup, __ATOMIC_SEQ_CST), 1);
		/* the guest's NQAP and doorbell, no kick */
		assert_int_equal(qring_put(f->extra, &g, 50 + round, req, sizeof(req)), 0);
		assert_int_equal(write(bell, &one, sizeof(one)), sizeof(one));
		for (i = 0; i < 10000; i++) {
			n = qring_get(f->extra, &g, reply, sizeof(reply), &psmid, &residual);
			if (n != -ENOENT)
				break;
			nanosleep(&tick, NULL);
		}
		assert_int_equal(residual, 0);
		assert_int_equal(psmid, 50 + round);
		assert_result(reply, n, expect);
	}
	engine_forget(f->e, o2.id);
	assert_false(owns(f, q, o2.id));
	close(bell);
	BN_free(expect);
}

/* Many requests on queues of two adapters at once (and of more, with setup_five), all right. */
static void test_many_requests_on_several_queues(void **state)
{
	struct fx *f = *state;
	unsigned int apqns[8] = {AP_APQN(3, 6), AP_APQN(3, 7), AP_APQN(4, 6), AP_APQN(4, 7)};
	unsigned int nq = 4;
	uint8_t req[8][MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect[8];
	uint64_t psmid;

	for (unsigned int a = 8; a < 8 + f->nadapters - 3; a++) {
		apqns[nq++] = AP_APQN(a, 6);
		apqns[nq++] = AP_APQN(a, 7);
	}
	assert_true(nq <= 8);
	for (unsigned int i = 0; i < nq; i++) {
		expect[i] = BN_new();
		meb1(req[i], 20 + i, expect[i]);
	}
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned int i = 0; i < nq; i++)
			assert_int_equal(put(f, apqns[i], round * nq + i, req[i], MEB1_LEN), 0);
		for (unsigned int i = 0; i < nq; i++) {
			long n = take(f, apqns[i], &psmid, reply, sizeof(reply));

			assert_int_equal(psmid, round * nq + i);
			assert_result(reply, n, expect[i]);
		}
	}
	for (unsigned int i = 0; i < nq; i++) {
		assert_int_equal(apbus_queue_request_count(&f->sys, apqns[i]), 20);
		BN_free(expect[i]);
	}
}

#define T(name)	 cmocka_unit_test_setup_teardown(name, setup, teardown)
#define T5(name) cmocka_unit_test_setup_teardown(name, setup_five, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_request_comes_back_computed_with_its_psmid),
	    T(test_queue_holds_depth_plus_one_and_replies_in_order),
	    T(test_counters_follow_the_messages),
	    T(test_counters_count_requests_not_started),
	    T(test_reset_discards_requests_and_replies),
	    T(test_aqic_sets_the_notification_byte_and_signals),
	    T(test_cca_queue_answers_message_type_error),
	    T(test_malformed_request_gets_an_error_reply),
	    T(test_one_worker_per_present_adapter),
	    T5(test_one_worker_per_present_adapter),
	    T(test_revoked_ring_is_not_served_until_live),
	    T(test_unbound_ring_is_not_served),
	    T(test_binding_for_another_owner_revokes_the_first),
	    T(test_doorbell_wakes_a_sleeping_adapter),
	    T(test_many_requests_on_several_queues),
	    T5(test_many_requests_on_several_queues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
