/*
 * engine tests: requests put on queues come back as replies computed by the
 * adapters' threads, with the PSMID of the request; the counters follow;
 * resets discard; AQIC notifies; adapters of different workers run at once.
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
#include "type50.h"

#define MEB1_FIELD 128
#define MEB1_LEN   (T50_HDR_LEN + 3 * MEB1_FIELD)

struct fx {
	struct ap_system sys;
	struct ap_view view;
	struct engine *e;
};

static int setup_n(void **state, unsigned int nworkers)
{
	struct ap_machine_info info = {.qci = true, .apft = true, .aqic = true, .apxa = true,
				       .na = 255, .nd = 255};
	struct ap_adapter_desc a3 = {.id = 3, .gen = 7, .mode = AP_MODE_ACCEL, .depth = 1,
				     .max_msg_size = -1};
	struct ap_adapter_desc a4 = {.id = 4, .gen = 8, .mode = AP_MODE_ACCEL, .depth = 1,
				     .max_msg_size = -1};
	struct ap_adapter_desc a5 = {.id = 5, .gen = 8, .mode = AP_MODE_CCA, .depth = -1,
				     .max_msg_size = -1};
	struct fx *f = calloc(1, sizeof(*f));
	struct ap_machine hw;

	assert_non_null(f);
	ap_mask_set(&info.usage_domains, 6);
	ap_mask_set(&info.usage_domains, 7);
	assert_int_equal(machine_init(&hw, &info), 0);
	assert_int_equal(machine_add_adapter(&hw, &a3), 0);
	assert_int_equal(machine_add_adapter(&hw, &a4), 0);
	assert_int_equal(machine_add_adapter(&hw, &a5), 0);
	assert_int_equal(ap_system_init(&f->sys, AP_ABI_CUR, &hw, NULL, NULL, -1, 0), 0);
	ap_view_update(&f->view, &f->sys, NULL, NULL);
	assert_int_equal(engine_new(&f->view, f->sys.bus.queue, nworkers, &f->e), 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_n(state, 0);
}

static int teardown(void **state)
{
	struct fx *f = *state;

	engine_free(f->e);
	ap_system_clear(&f->sys);
	free(f);
	return 0;
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
	req[T50_HDR_LEN + MEB1_FIELD] |= 0x80;		    /* modulus: 1024 bits, */
	req[T50_HDR_LEN + 2 * MEB1_FIELD - 1] |= 1;	    /* odd, */
	req[T50_HDR_LEN + 2 * MEB1_FIELD] &= 0x7f;	    /* message below it */
	assert_non_null(BN_bin2bn(req + T50_HDR_LEN, MEB1_FIELD, e));
	assert_non_null(BN_bin2bn(req + T50_HDR_LEN + MEB1_FIELD, MEB1_FIELD, n));
	assert_non_null(BN_bin2bn(req + T50_HDR_LEN + 2 * MEB1_FIELD, MEB1_FIELD, m));
	assert_int_equal(BN_mod_exp(expect, m, e, n, c), 1);
	BN_free(e);
	BN_free(n);
	BN_free(m);
	BN_CTX_free(c);
}

/* Put a request on a queue, as NQAP does. */
static int put(struct engine *e, unsigned int apqn, uint64_t psmid, const void *msg, size_t len)
{
	struct eng_queue *eq = engine_queue(e, apqn, 2);
	int r;

	assert_non_null(eq);
	eng_queue_lock(eq);
	r = apq_enqueue(eng_queue_apq(eq), psmid, msg, len);
	if (!r)
		eng_queue_submit(eq);
	eng_queue_unlock(eq);
	return r;
}

/* Take a reply, waiting up to 10 s for it: its length, or -ENOENT. */
static long take(struct engine *e, unsigned int apqn, uint64_t *psmid, uint8_t *buf, size_t cap)
{
	struct eng_queue *eq = engine_queue(e, apqn, 2);
	struct timespec tick = {.tv_nsec = 1000000};

	for (int i = 0; i < 10000; i++) {
		size_t residual;
		long n;

		eng_queue_lock(eq);
		n = apq_dequeue(eng_queue_apq(eq), buf, cap, psmid, &residual);
		eng_queue_unlock(eq);
		if (n != -ENOENT) {
			assert_int_equal(residual, 0);
			return n;
		}
		nanosleep(&tick, NULL);
	}
	return -ENOENT;
}

static void assert_result(const uint8_t *reply, long n, const BIGNUM *expect)
{
	uint8_t want[MEB1_FIELD];

	assert_int_equal(n, T50_HDR_LEN + MEB1_FIELD);
	assert_int_equal(reply[1], T50_TYPE_REPLY);
	assert_int_equal(BN_bn2binpad(expect, want, MEB1_FIELD), MEB1_FIELD);
	assert_memory_equal(reply + T50_HDR_LEN, want, MEB1_FIELD);
}

static void test_request_comes_back_computed_with_its_psmid(void **state)
{
	struct fx *f = *state;
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	uint64_t psmid = 0;
	long n;

	meb1(req, 1, expect);
	assert_int_equal(put(f->e, AP_APQN(3, 6), 0x1234567890abcdefull, req, sizeof(req)), 0);
	n = take(f->e, AP_APQN(3, 6), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 0x1234567890abcdefull);
	assert_result(reply, n, expect);
	assert_int_equal(apbus_queue_request_count(&f->sys, AP_APQN(3, 6)), 1);
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
	assert_int_equal(put(f->e, AP_APQN(4, 7), 100, req[0], MEB1_LEN), 0);
	assert_int_equal(put(f->e, AP_APQN(4, 7), 101, req[1], MEB1_LEN), 0);
	/* depth 1: two messages fill the queue, replies included */
	assert_int_equal(put(f->e, AP_APQN(4, 7), 102, req[2], MEB1_LEN), -ENOSPC);
	n = take(f->e, AP_APQN(4, 7), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 100);
	assert_result(reply, n, expect[0]);
	assert_int_equal(put(f->e, AP_APQN(4, 7), 102, req[2], MEB1_LEN), 0);
	n = take(f->e, AP_APQN(4, 7), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 101);
	assert_result(reply, n, expect[1]);
	n = take(f->e, AP_APQN(4, 7), &psmid, reply, sizeof(reply));
	assert_int_equal(psmid, 102);
	assert_result(reply, n, expect[2]);
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
	uint64_t psmid;

	meb1(req, 2, expect);
	assert_int_equal(put(f->e, q, 7, req, sizeof(req)), 0);
	/*
	 * until the reply is dequeued the request is pending; the counters are
	 * published when the worker lets go of the queue, after the count
	 */
	for (int i = 0; i < 10000 && (apbus_queue_request_count(&f->sys, q) == 0 ||
				      apbus_queue_load(&f->sys, q) != 0);
	     i++)
		nanosleep(&tick, NULL);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 1);
	assert_int_equal(apbus_queue_load(&f->sys, q), 0); /* completed */
	assert_result(reply, take(f->e, q, &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, q), 0);
	assert_int_equal(apbus_queue_request_count(&f->sys, q), 1);
	BN_free(expect);
}

static void test_reset_discards_requests_and_replies(void **state)
{
	struct fx *f = *state;
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	struct timespec wait = {.tv_nsec = 50000000};
	struct eng_queue *eq;
	uint64_t psmid;
	size_t residual;

	meb1(req, 3, expect);
	assert_int_equal(put(f->e, AP_APQN(3, 6), 1, req, sizeof(req)), 0);
	assert_int_equal(put(f->e, AP_APQN(3, 6), 2, req, sizeof(req)), 0);
	/* whether the adapter started, finished or not: nothing survives */
	engine_reset(f->e, AP_APQN(3, 6), 0);
	nanosleep(&wait, NULL);
	eq = engine_queue(f->e, AP_APQN(3, 6), 2);
	eng_queue_lock(eq);
	assert_int_equal(apq_dequeue(eng_queue_apq(eq), reply, sizeof(reply), &psmid, &residual),
			 -ENOENT);
	assert_int_equal(eng_queue_apq(eq)->nreq, 0);
	eng_queue_unlock(eq);
	assert_int_equal(apbus_queue_pendingq_count(&f->sys, AP_APQN(3, 6)), 0);
	assert_int_equal(apbus_queue_requestq_count(&f->sys, AP_APQN(3, 6)), 0);
	/* the queue works on afterwards */
	assert_int_equal(put(f->e, AP_APQN(3, 6), 3, req, sizeof(req)), 0);
	assert_result(reply, take(f->e, AP_APQN(3, 6), &psmid, reply, sizeof(reply)), expect);
	assert_int_equal(psmid, 3);
	BN_free(expect);
}

static void test_aqic_sets_the_notification_byte_and_signals(void **state)
{
	struct fx *f = *state;
	uint8_t mem[64] = {0};
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	int fd = eventfd(0, EFD_CLOEXEC);
	struct eng_owner o = {.id = &o, .mem = mem, .mem_size = sizeof(mem), .irq_fd = fd};
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct eng_queue *eq = engine_queue(f->e, AP_APQN(4, 6), 2);
	uint64_t v, psmid;

	assert_true(fd >= 0);
	eng_queue_lock(eq);
	eng_queue_apq(eq)->irq = true;
	eng_queue_apq(eq)->nib = 40;
	eng_queue_set_owner(eq, &o);
	eng_queue_unlock(eq);
	meb1(req, 4, expect);
	assert_int_equal(put(f->e, AP_APQN(4, 6), 9, req, sizeof(req)), 0);
	assert_int_equal(poll(&p, 1, 10000), 1);
	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	assert_int_equal(v, 1);
	assert_int_equal(__atomic_load_n(&mem[40], __ATOMIC_ACQUIRE), 0xff);
	assert_result(reply, take(f->e, AP_APQN(4, 6), &psmid, reply, sizeof(reply)), expect);
	/* forgotten owners are told nothing */
	engine_forget(f->e, &o);
	assert_null(eng_queue_owner(eq));
	close(fd);
	BN_free(expect);
}

static void test_cca_queue_answers_message_type_error(void **state)
{
	struct fx *f = *state;
	uint8_t req[MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect = BN_new();
	uint64_t psmid;

	meb1(req, 5, expect);
	assert_int_equal(put(f->e, AP_APQN(5, 6), 77, req, sizeof(req)), 0);
	assert_int_equal(take(f->e, AP_APQN(5, 6), &psmid, reply, sizeof(reply)),
			 T50_ERROR_REPLY_LEN);
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

	assert_int_equal(put(f->e, AP_APQN(3, 7), 5, req, sizeof(req)), 0);
	assert_int_equal(take(f->e, AP_APQN(3, 7), &psmid, reply, sizeof(reply)),
			 T50_ERROR_REPLY_LEN);
	assert_int_equal(reply[1], T50_TYPE_ERROR);
	assert_int_equal(reply[4], T50_RC_OPERAND_INVALID);
}

static void test_default_workers_are_bounded_by_adapters_and_cores(void **state)
{
	struct fx *f = *state;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned int want = cpus < 3 ? (unsigned int)cpus : 3u;

	assert_int_equal(engine_workers(f->e), want ? want : 1);
}

/* Many requests on every queue of two adapters at once, all right. */
static void test_many_requests_on_several_queues(void **state)
{
	struct fx *f = *state;
	static const unsigned int apqns[] = {AP_APQN(3, 6), AP_APQN(3, 7), AP_APQN(4, 6),
					     AP_APQN(4, 7)};
	uint8_t req[4][MEB1_LEN], reply[T50_REPLY_MAX];
	BIGNUM *expect[4];
	uint64_t psmid;

	for (unsigned int i = 0; i < 4; i++) {
		expect[i] = BN_new();
		meb1(req[i], 20 + i, expect[i]);
	}
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned int i = 0; i < 4; i++)
			assert_int_equal(put(f->e, apqns[i], round * 4 + i, req[i], MEB1_LEN), 0);
		for (unsigned int i = 0; i < 4; i++) {
			long n = take(f->e, apqns[i], &psmid, reply, sizeof(reply));

			assert_int_equal(psmid, round * 4 + i);
			assert_result(reply, n, expect[i]);
		}
	}
	for (unsigned int i = 0; i < 4; i++)
		BN_free(expect[i]);
}

static int setup_two(void **state)
{
	return setup_n(state, 2);
}

#define T(name)	 cmocka_unit_test_setup_teardown(name, setup, teardown)
#define T2(name) cmocka_unit_test_setup_teardown(name, setup_two, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_request_comes_back_computed_with_its_psmid),
	    T(test_queue_holds_depth_plus_one_and_replies_in_order),
	    T(test_counters_follow_the_messages),
	    T(test_reset_discards_requests_and_replies),
	    T(test_aqic_sets_the_notification_byte_and_signals),
	    T(test_cca_queue_answers_message_type_error),
	    T(test_malformed_request_gets_an_error_reply),
	    T(test_default_workers_are_bounded_by_adapters_and_cores),
	    T(test_many_requests_on_several_queues),
	    T2(test_many_requests_on_several_queues),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
