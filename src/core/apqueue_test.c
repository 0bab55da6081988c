/*
 * apqueue_test - the message queue of one AP queue (apqueue.c).
 *
 * Invariants: a queue holds at most `capacity` messages, counting requests
 * not yet completed and replies not yet fully dequeued; requests complete
 * and replies leave in FIFO order, each reply keeping its request's PSMID;
 * a reply may be dequeued in parts, and leaves only when its last byte has
 * been handed out; apq_reset() discards everything, says how much, and
 * turns interruptions off. Failing calls change nothing, outputs included.
 * (Leaks show up under the address sanitizer build.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "apqueue.h"

#define SENTINEL_PSMID	  0x5555555555555555ull
#define SENTINEL_RESIDUAL ((size_t)0xabcdef)

static void enqueue_ok(struct apq *q, uint64_t psmid, const char *text)
{
	assert_int_equal(apq_enqueue(q, psmid, text, strlen(text)), 0);
}

static void complete_ok(struct apq *q, const char *text)
{
	assert_int_equal(apq_complete(q, text, strlen(text)), 0);
}

static void test_init_gives_an_empty_queue(void **state)
{
	struct apq q;

	(void)state;
	memset(&q, 0xa5, sizeof(q));
	apq_init(&q, 4);
	assert_int_equal(q.capacity, 4);
	assert_int_equal(q.nreq, 0);
	assert_int_equal(q.nrep, 0);
	assert_null(q.req_head);
	assert_null(q.rep_head);
	assert_false(q.irq);
	assert_int_equal(q.completed, 0);
	assert_false(apq_full(&q));
	assert_null(apq_next_request(&q));
}

static void test_enqueue_copies_the_message(void **state)
{
	char buf[] = "request";
	struct apq q;
	struct apq_msg *m;

	(void)state;
	apq_init(&q, 2);
	assert_int_equal(apq_enqueue(&q, 0x1122334455667788ull, buf, 7), 0);
	memset(buf, 'x', sizeof(buf));
	m = apq_next_request(&q);
	assert_non_null(m);
	assert_int_equal(m->psmid, 0x1122334455667788ull);
	assert_int_equal(m->len, 7);
	assert_int_equal(m->done, 0);
	assert_memory_equal(m->data, "request", 7);
	assert_int_equal(q.nreq, 1);
	apq_reset(&q);
}

static void test_enqueue_beyond_capacity_is_enospc(void **state)
{
	struct apq q;

	(void)state;
	apq_init(&q, 3);
	enqueue_ok(&q, 1, "a");
	enqueue_ok(&q, 2, "b");
	assert_false(apq_full(&q));
	enqueue_ok(&q, 3, "c");
	assert_true(apq_full(&q));
	assert_int_equal(apq_enqueue(&q, 4, "d", 1), -ENOSPC);
	assert_int_equal(q.nreq, 3);
	assert_int_equal(apq_reset(&q), 3);
}

static void test_replies_count_against_capacity(void **state)
{
	struct apq q;

	(void)state;
	apq_init(&q, 2);
	enqueue_ok(&q, 1, "a");
	enqueue_ok(&q, 2, "b");
	complete_ok(&q, "A");
	complete_ok(&q, "B");
	assert_int_equal(q.nreq, 0);
	assert_int_equal(q.nrep, 2);
	assert_true(apq_full(&q));
	assert_int_equal(apq_enqueue(&q, 3, "c", 1), -ENOSPC);
	apq_reset(&q);
}

static void test_zero_capacity_is_always_full(void **state)
{
	struct apq q;

	(void)state;
	apq_init(&q, 0);
	assert_true(apq_full(&q));
	assert_int_equal(apq_enqueue(&q, 1, "a", 1), -ENOSPC);
}

static void test_complete_without_request_is_enoent(void **state)
{
	struct apq q;

	(void)state;
	apq_init(&q, 2);
	assert_int_equal(apq_complete(&q, "x", 1), -ENOENT);
	assert_int_equal(q.nrep, 0);
	assert_int_equal(q.completed, 0);
}

static void test_complete_takes_oldest_request_and_keeps_its_psmid(void **state)
{
	struct apq q;

	(void)state;
	apq_init(&q, 4);
	enqueue_ok(&q, 0x10, "first");
	enqueue_ok(&q, 0x20, "second");
	complete_ok(&q, "reply-1");
	assert_int_equal(q.nreq, 1);
	assert_int_equal(q.nrep, 1);
	assert_int_equal(q.completed, 1);
	assert_int_equal(apq_next_request(&q)->psmid, 0x20);
	assert_int_equal(q.rep_head->psmid, 0x10);
	assert_int_equal(q.rep_head->len, 7);
	assert_memory_equal(q.rep_head->data, "reply-1", 7);
	complete_ok(&q, "reply-2");
	assert_null(apq_next_request(&q));
	assert_int_equal(q.rep_tail->psmid, 0x20);
	assert_int_equal(q.completed, 2);
	apq_reset(&q);
}

static void test_dequeue_without_reply_is_enoent_and_leaves_outputs(void **state)
{
	uint64_t psmid = SENTINEL_PSMID;
	size_t residual = SENTINEL_RESIDUAL;
	char buf[4] = "zzz";
	struct apq q;

	(void)state;
	apq_init(&q, 2);
	enqueue_ok(&q, 1, "pending");
	assert_int_equal(apq_dequeue(&q, buf, sizeof(buf), &psmid, &residual), -ENOENT);
	assert_int_equal(psmid, SENTINEL_PSMID);
	assert_int_equal(residual, SENTINEL_RESIDUAL);
	assert_string_equal(buf, "zzz");
	apq_reset(&q);
}

static void test_dequeue_returns_replies_in_order(void **state)
{
	uint64_t psmid;
	size_t residual;
	char buf[16];
	struct apq q;

	(void)state;
	apq_init(&q, 4);
	enqueue_ok(&q, 0xa, "r1");
	enqueue_ok(&q, 0xb, "r2");
	complete_ok(&q, "one");
	complete_ok(&q, "two!");
	assert_int_equal(apq_dequeue(&q, buf, sizeof(buf), &psmid, &residual), 3);
	assert_int_equal(psmid, 0xa);
	assert_int_equal(residual, 0);
	assert_memory_equal(buf, "one", 3);
	assert_int_equal(q.nrep, 1);
	assert_int_equal(apq_dequeue(&q, buf, sizeof(buf), &psmid, &residual), 4);
	assert_int_equal(psmid, 0xb);
	assert_memory_equal(buf, "two!", 4);
	assert_int_equal(q.nrep, 0);
	assert_null(q.rep_head);
	assert_null(q.rep_tail);
	assert_int_equal(apq_dequeue(&q, buf, sizeof(buf), &psmid, &residual), -ENOENT);
}

static void test_partial_dequeue_continues_the_same_reply(void **state)
{
	uint64_t psmid = 0;
	size_t residual = 0;
	char buf[16] = {0};
	struct apq q;

	(void)state;
	apq_init(&q, 2);
	enqueue_ok(&q, 0x77, "req");
	enqueue_ok(&q, 0x88, "req2");
	complete_ok(&q, "abcdefghij");
	complete_ok(&q, "next");
	assert_int_equal(apq_dequeue(&q, buf, 4, &psmid, &residual), 4);
	assert_memory_equal(buf, "abcd", 4);
	assert_int_equal(psmid, 0x77);
	assert_int_equal(residual, 6);
	assert_int_equal(q.rep_head->done, 4);
	assert_int_equal(q.nrep, 2);
	assert_true(apq_full(&q));
	assert_int_equal(apq_dequeue(&q, buf, 4, &psmid, &residual), 4);
	assert_memory_equal(buf, "efgh", 4);
	assert_int_equal(residual, 2);
	assert_int_equal(apq_dequeue(&q, buf, 4, &psmid, &residual), 2);
	assert_memory_equal(buf, "ij", 2);
	assert_int_equal(psmid, 0x77);
	assert_int_equal(residual, 0);
	assert_int_equal(q.nrep, 1);
	assert_int_equal(apq_dequeue(&q, buf, sizeof(buf), &psmid, &residual), 4);
	assert_int_equal(psmid, 0x88);
	assert_int_equal(q.nrep, 0);
}

static void test_dequeue_into_empty_buffer_keeps_the_reply(void **state)
{
	uint64_t psmid = 0;
	size_t residual = 0;
	struct apq q;

	(void)state;
	apq_init(&q, 1);
	enqueue_ok(&q, 5, "r");
	complete_ok(&q, "xyz");
	assert_int_equal(apq_dequeue(&q, NULL, 0, &psmid, &residual), 0);
	assert_int_equal(residual, 3);
	assert_int_equal(q.nrep, 1);
	apq_reset(&q);
}

static void test_empty_reply_leaves_at_once(void **state)
{
	uint64_t psmid = 0;
	size_t residual = 1;
	struct apq q;

	(void)state;
	apq_init(&q, 1);
	enqueue_ok(&q, 9, "r");
	assert_int_equal(apq_complete(&q, NULL, 0), 0);
	assert_int_equal(apq_dequeue(&q, NULL, 0, &psmid, &residual), 0);
	assert_int_equal(psmid, 9);
	assert_int_equal(residual, 0);
	assert_int_equal(q.nrep, 0);
}

static void test_reset_discards_everything_and_disables_interruptions(void **state)
{
	uint64_t psmid;
	size_t residual;
	char buf[2];
	struct apq q;

	(void)state;
	apq_init(&q, 8);
	enqueue_ok(&q, 1, "a");
	enqueue_ok(&q, 2, "b");
	enqueue_ok(&q, 3, "c");
	complete_ok(&q, "AAAA");
	assert_int_equal(apq_dequeue(&q, buf, 2, &psmid, &residual), 2);
	q.irq = true;
	q.isc = 3;
	q.nib = 0x1000;
	assert_int_equal(apq_reset(&q), 3);
	assert_int_equal(q.nreq, 0);
	assert_int_equal(q.nrep, 0);
	assert_null(q.req_head);
	assert_null(q.req_tail);
	assert_null(q.rep_head);
	assert_null(q.rep_tail);
	assert_false(q.irq);
	assert_int_equal(q.capacity, 8);
	assert_int_equal(q.completed, 1);
	assert_null(apq_next_request(&q));
	assert_int_equal(apq_dequeue(&q, buf, 2, &psmid, &residual), -ENOENT);
	enqueue_ok(&q, 4, "d");
	assert_int_equal(apq_next_request(&q)->psmid, 4);
	assert_int_equal(apq_reset(&q), 1);
	assert_int_equal(apq_reset(&q), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_gives_an_empty_queue),
	    cmocka_unit_test(test_enqueue_copies_the_message),
	    cmocka_unit_test(test_enqueue_beyond_capacity_is_enospc),
	    cmocka_unit_test(test_replies_count_against_capacity),
	    cmocka_unit_test(test_zero_capacity_is_always_full),
	    cmocka_unit_test(test_complete_without_request_is_enoent),
	    cmocka_unit_test(test_complete_takes_oldest_request_and_keeps_its_psmid),
	    cmocka_unit_test(test_dequeue_without_reply_is_enoent_and_leaves_outputs),
	    cmocka_unit_test(test_dequeue_returns_replies_in_order),
	    cmocka_unit_test(test_partial_dequeue_continues_the_same_reply),
	    cmocka_unit_test(test_dequeue_into_empty_buffer_keeps_the_reply),
	    cmocka_unit_test(test_empty_reply_leaves_at_once),
	    cmocka_unit_test(test_reset_discards_everything_and_disables_interruptions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
