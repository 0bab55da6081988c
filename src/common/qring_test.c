/*
 * qring_test - the queue ring's rules, both sides (qring.h).
 *
 * Invariants: a queue holds at most nslots messages (requests not answered
 * and replies not dequeued); request number k is answered in slot k with
 * its PSMID, in order; a reset discards everything queued, computing or
 * answered and the guest then sees an empty queue; a reply computed before
 * a reset goes nowhere; counters a guest garbled (wrong epoch, more than
 * nslots requests) make apemud take nothing and the guest see a full queue.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "qring.h"

#define NSLOTS 4
#define SLOT   64
#define EPOCH  0x1234u
#define APQN   0x0506u

#define E AP_STATUS_E
#define R AP_STATUS_R
#define F AP_STATUS_F
#define I AP_STATUS_I

struct fx {
	struct apemu_qring *r;
	struct qring_host h; /* apemud's side */
	struct qring_geom g; /* the guest's side, read from the ring */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->r = aligned_alloc(64, APEMU_QRING_BYTES(NSLOTS, SLOT));
	assert_non_null(f->r);
	memset(f->r, 0xa5, APEMU_QRING_BYTES(NSLOTS, SLOT)); /* whatever was there */
	qring_host_init(&f->h, f->r, APQN, NSLOTS, SLOT, 4096, EPOCH);
	qring_geom_of(f->r, &f->g);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	free(f->r);
	free(f);
	return 0;
}

static void put(struct fx *f, uint64_t psmid, const char *text)
{
	assert_int_equal(qring_put(f->r, &f->g, psmid, text, strlen(text)), 0);
}

/* The adapter answers the oldest request with "re:" + its text. */
static void answer_one(struct fx *f)
{
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	assert_int_equal(qring_host_take(&f->h, buf + 3, sizeof(buf) - 3, &psmid, &len, &gen), 0);
	memcpy(buf, "re:", 3);
	assert_true(qring_host_complete(&f->h, gen, psmid, buf, len + 3));
}

static void expect_reply(struct fx *f, uint64_t psmid, const char *text)
{
	char buf[SLOT];
	uint64_t got = 0;
	size_t residual = 99;

	assert_int_equal(qring_get(f->r, &f->g, buf, sizeof(buf), &got, &residual),
			 (long)strlen(text));
	assert_int_equal(residual, 0);
	assert_int_equal(got, psmid);
	assert_memory_equal(buf, text, strlen(text));
}

static void test_layout_is_what_the_abi_says(void **state)
{
	struct fx *f = *state;

	assert_int_equal(sizeof(struct apemu_qring), 128);
	assert_int_equal(offsetof(struct apemu_qring, done), 32);
	assert_int_equal(offsetof(struct apemu_qring, req), 64);
	assert_int_equal(offsetof(struct apemu_qring, cons), 72);
	assert_int_equal(sizeof(struct apemu_qslot), 16);
	assert_int_equal(APEMU_QSLOT_STRIDE(SLOT), 128);
	assert_int_equal(offsetof(struct apemu_dp_area, dir), 64);
	assert_int_equal(sizeof(struct apemu_dp_area), 64 + 8 * APEMU_DP_DIR_MAX);
	assert_int_equal(f->r->magic, APEMU_QRING_MAGIC);
	assert_int_equal(f->r->apqn, APQN);
	assert_int_equal(f->r->nslots, NSLOTS);
	assert_int_equal(f->r->slot_size, SLOT);
	assert_int_equal(f->r->max_msg, 4096);
	assert_int_equal(f->r->state, APEMU_QRING_LIVE);
	assert_int_equal(f->r->req, (uint64_t)EPOCH << 32);
	assert_int_equal(f->r->cons, (uint64_t)EPOCH << 32);
	assert_int_equal(f->r->done, 0);
	assert_int_equal(f->g.nslots, NSLOTS);
	assert_int_equal(f->g.epoch, EPOCH);
	assert_ptr_equal(qring_slot(f->r, &f->g, NSLOTS + 1), qring_slot(f->r, &f->g, 1));
}

static void test_requests_come_back_in_order_with_their_psmid(void **state)
{
	struct fx *f = *state;

	assert_int_equal(qring_status(f->r, &f->g), E);
	put(f, 1, "one");
	put(f, 2, "two");
	assert_int_equal(qring_status(f->r, &f->g), 0);
	assert_int_equal(qring_get(f->r, &f->g, NULL, 0, NULL, NULL), -ENOENT);
	answer_one(f);
	assert_int_equal(qring_status(f->r, &f->g), R);
	answer_one(f);
	expect_reply(f, 1, "re:one");
	expect_reply(f, 2, "re:two");
	assert_int_equal(qring_status(f->r, &f->g), E);
	/* round and round the slots */
	for (uint64_t i = 3; i < 3 + 3 * NSLOTS; i++) {
		put(f, i, "x");
		answer_one(f);
		expect_reply(f, i, "re:x");
	}
}

static void test_queue_holds_nslots_requests_and_replies(void **state)
{
	struct fx *f = *state;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	for (uint64_t i = 0; i < NSLOTS; i++)
		put(f, i, "r");
	assert_int_equal(qring_status(f->r, &f->g), F);
	assert_int_equal(qring_put(f->r, &f->g, 9, "r", 1), -ENOSPC);
	answer_one(f);
	answer_one(f);
	/* replies count against the depth too */
	assert_int_equal(qring_status(f->r, &f->g), R | F);
	assert_int_equal(qring_put(f->r, &f->g, 9, "r", 1), -ENOSPC);
	expect_reply(f, 0, "re:r");
	put(f, 4, "r");
	/* the adapter never takes more than what was published */
	for (int i = 0; i < 3; i++)
		answer_one(f);
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), -ENOENT);
}

/* Request k needs the slot of reply k - nslots: a guest that published
 * more than the queue holds gets nothing overwritten. */
static void test_adapter_waits_for_the_slot_of_an_undequeued_reply(void **state)
{
	struct fx *f = *state;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	for (uint64_t i = 0; i < NSLOTS; i++) {
		put(f, i, "r");
		answer_one(f);
	}
	expect_reply(f, 0, "re:r"); /* slot 0 is free again */
	put(f, 10, "s");
	/* a guest that ignores the depth: one request more than the queue holds */
	f->r->req = (uint64_t)EPOCH << 32 | (NSLOTS + 2);
	answer_one(f); /* request 4, into slot 0 */
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), -ENOENT);
	/* slot 1 still holds reply 1 */
	assert_int_equal(qring_slot(f->r, &f->g, 1)->psmid, 1);
	assert_memory_equal(qring_slot(f->r, &f->g, 1)->data, "re:r", 4);
	/* once the guest dequeued it, request 5 may have its slot */
	f->r->cons = (uint64_t)EPOCH << 32 | 2;
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), 0);
}

/* A reset discards every request published before it, even those the
 * adapter had no room to take yet. */
static void test_reset_discards_requests_without_room_too(void **state)
{
	struct fx *f = *state;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	for (uint64_t i = 0; i < NSLOTS; i++) {
		put(f, i, "r");
		answer_one(f);
	}
	/* the guest published two more than the queue holds */
	f->r->req = (uint64_t)EPOCH << 32 | (NSLOTS + 2);
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), -ENOENT);
	qring_host_reset(&f->h);
	assert_int_equal(f->r->done, (uint64_t)(NSLOTS + 2) << 32 | (NSLOTS + 2));
	assert_false(qring_host_pending(&f->h));
}

static void test_partial_dequeue_then_the_rest(void **state)
{
	struct fx *f = *state;
	char buf[SLOT];
	uint64_t psmid = 0;
	size_t residual = 0;

	put(f, 0x77, "abcdefgh");
	answer_one(f); /* "re:abcdefgh", 11 bytes */
	assert_int_equal(qring_get(f->r, &f->g, buf, 4, &psmid, &residual), 4);
	assert_int_equal(residual, 7);
	assert_int_equal(psmid, 0);
	assert_memory_equal(buf, "re:a", 4);
	assert_int_equal(qring_status(f->r, &f->g), R);
	assert_int_equal(qring_get(f->r, &f->g, buf, sizeof(buf), &psmid, &residual), 7);
	assert_int_equal(residual, 0);
	assert_int_equal(psmid, 0x77);
	assert_memory_equal(buf, "bcdefgh", 7);
	assert_int_equal(qring_status(f->r, &f->g), E);
}

static void test_reset_discards_everything_and_the_reply_being_computed(void **state)
{
	struct fx *f = *state;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	put(f, 1, "a");
	answer_one(f);
	put(f, 2, "b");
	put(f, 3, "c");
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), 0);
	qring_host_set_irq(&f->h, true, 3, 0x200);
	assert_int_equal(qring_host_status(&f->h), R | I);
	qring_host_reset(&f->h);
	/* the reply of the request computed across the reset goes nowhere */
	assert_false(qring_host_complete(&f->h, gen, psmid, "late", 4));
	assert_int_equal(qring_status(f->r, &f->g), E);
	assert_int_equal(qring_host_status(&f->h), E);
	assert_false(f->h.irq);
	assert_int_equal(f->r->irq, 0);
	assert_int_equal(f->r->done, (uint64_t)3 << 32 | 3);
	assert_int_equal(qring_get(f->r, &f->g, buf, sizeof(buf), &psmid, &len), -ENOENT);
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), -ENOENT);
	/* the queue works on after it, every slot free again */
	for (uint64_t i = 4; i < 4 + NSLOTS; i++)
		put(f, i, "d");
	answer_one(f);
	expect_reply(f, 4, "re:d");
}

static void test_counts_for_sysfs(void **state)
{
	struct fx *f = *state;
	unsigned int waiting, pending, incomplete;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	put(f, 1, "a");
	put(f, 2, "b");
	put(f, 3, "c");
	answer_one(f);
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), 0);
	qring_host_counts(&f->h, &waiting, &pending, &incomplete);
	assert_int_equal(waiting, 1);	 /* c */
	assert_int_equal(pending, 2);	 /* b computing, a's reply */
	assert_int_equal(incomplete, 2); /* b, c */
	qring_host_reset(&f->h);
	qring_host_counts(&f->h, &waiting, &pending, &incomplete);
	assert_int_equal(waiting + pending + incomplete, 0);
}

static void test_garbled_counters_give_nothing_and_a_full_queue(void **state)
{
	struct fx *f = *state;
	unsigned int waiting, pending, incomplete;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len;

	put(f, 1, "a");
	/* another epoch: a late write into a ring laid out again */
	f->r->req = (uint64_t)(EPOCH + 1) << 32 | 1;
	assert_false(qring_host_pending(&f->h));
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), -ENOENT);
	assert_int_equal(qring_status(f->r, &f->g), F);
	assert_int_equal(qring_put(f->r, &f->g, 2, "b", 1), -ENOSPC);
	/* far more requests than slots */
	f->r->req = (uint64_t)EPOCH << 32 | 1000;
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), -ENOENT);
	qring_host_counts(&f->h, &waiting, &pending, &incomplete);
	assert_int_equal(waiting, 0);
	/* a reset starts over from what apemud took */
	qring_host_reset(&f->h);
	f->r->req = (uint64_t)EPOCH << 32;
	assert_int_equal(qring_status(f->r, &f->g), E);
	/* a cons ahead of the replies */
	put(f, 3, "c");
	f->r->cons = (uint64_t)EPOCH << 32 | 5;
	assert_int_equal(qring_status(f->r, &f->g), F);
	assert_int_equal(qring_get(f->r, &f->g, buf, sizeof(buf), &psmid, &len), -ENOENT);
}

static void test_slot_length_beyond_the_slot_is_an_empty_message(void **state)
{
	struct fx *f = *state;
	char buf[SLOT];
	uint64_t psmid, gen;
	size_t len = 99;

	put(f, 5, "abc");
	qring_slot(f->r, &f->g, 0)->len = SLOT + 1;
	assert_int_equal(qring_host_take(&f->h, buf, sizeof(buf), &psmid, &len, &gen), 0);
	assert_int_equal(len, 0);
	assert_int_equal(psmid, 5);
	/* a reply is cut to the slot, and a partial dequeue's garbage `taken` too */
	assert_true(qring_host_complete(&f->h, gen, psmid, buf, sizeof(buf)));
	qring_slot(f->r, &f->g, 0)->taken = 1000;
	assert_int_equal(qring_get(f->r, &f->g, buf, sizeof(buf), &psmid, &len), 0);
	assert_int_equal(len, 0);
}

static void test_late_write_into_a_ring_laid_out_again_fails(void **state)
{
	struct fx *f = *state;
	struct qring_geom old = f->g;
	char buf[SLOT];
	uint64_t psmid;
	size_t residual;

	put(f, 1, "a");
	answer_one(f);
	qring_host_init(&f->h, f->r, APQN, NSLOTS, SLOT, 4096, EPOCH + 7);
	/* a guest that still has the old epoch publishes nothing */
	assert_int_equal(qring_put(f->r, &old, 2, "b", 1), -ENOSPC);
	assert_int_equal(f->r->req, (uint64_t)(EPOCH + 7) << 32);
	qring_host_init(&f->h, f->r, APQN, NSLOTS, SLOT, 4096, EPOCH + 8);
	assert_false(qring_host_pending(&f->h));
	assert_int_equal(qring_get(f->r, &old, buf, sizeof(buf), &psmid, &residual), -ENOENT);
}

static void test_host_flags_reach_the_guest(void **state)
{
	struct fx *f = *state;

	qring_host_set_state(&f->h, APEMU_QRING_REVOKED);
	assert_int_equal(f->r->state, APEMU_QRING_REVOKED);
	qring_host_set_need_wakeup(&f->h, true);
	assert_int_equal(f->r->need_wakeup, 1);
	qring_host_set_need_wakeup(&f->h, false);
	assert_int_equal(f->r->need_wakeup, 0);
	qring_host_set_irq(&f->h, true, 5, 0x300);
	assert_int_equal(f->r->irq, 1);
	assert_int_equal(f->h.isc, 5);
	assert_int_equal(f->h.nib, 0x300);
	qring_host_set_irq(&f->h, false, 5, 0x300);
	assert_int_equal(f->h.nib, 0);
	/* the guest's own irq word is only its view: apemud answers from h */
	f->r->irq = 1;
	assert_int_equal(qring_host_status(&f->h), E);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_layout_is_what_the_abi_says),
	    T(test_requests_come_back_in_order_with_their_psmid),
	    T(test_queue_holds_nslots_requests_and_replies),
	    T(test_adapter_waits_for_the_slot_of_an_undequeued_reply),
	    T(test_reset_discards_requests_without_room_too),
	    T(test_partial_dequeue_then_the_rest),
	    T(test_reset_discards_everything_and_the_reply_being_computed),
	    T(test_counts_for_sysfs),
	    T(test_garbled_counters_give_nothing_and_a_full_queue),
	    T(test_slot_length_beyond_the_slot_is_an_empty_message),
	    T(test_late_write_into_a_ring_laid_out_again_fails),
	    T(test_host_flags_reach_the_guest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
