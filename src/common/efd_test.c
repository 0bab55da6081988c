/*
 * efd_test - signalling a client's eventfd never blocks (efd.h).
 *
 * Invariants: efd_signal adds 1 to a counter below its maximum; at the
 * maximum it returns at once and the counter stays full (the kernel's
 * eventfd_signal saturates), whether the descriptor is blocking or not, and
 * even while another thread keeps clearing O_NONBLOCK on the shared open
 * file description, as a hostile client can.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "efd.h"

#define EFD_MAX 0xfffffffffffffffeull /* the largest count write(2) may reach */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t drain(int fd)
{
	uint64_t v = 0;

	assert_int_equal(read(fd, &v, sizeof(v)), sizeof(v));
	return v;
}

static void fill(int fd)
{
	uint64_t v = EFD_MAX;

	assert_int_equal(write(fd, &v, sizeof(v)), sizeof(v));
}

static void test_signal_adds_one(void **state)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	assert_int_equal(efd_signal(fd), 0);
	assert_int_equal(efd_signal(fd), 0);
	assert_int_equal(drain(fd), 2);
	assert_int_equal(efd_signal(-1), 0);
	close(fd);
}

static void test_full_blocking_eventfd_saturates_without_waiting(void **state)
{
	int fd = eventfd(0, EFD_CLOEXEC); /* blocking, as a hostile client makes it */
	double t0;

	(void)state;
	fill(fd);
	t0 = now_s();
	for (int i = 0; i < 100; i++)
		assert_int_equal(efd_signal(fd), 1);
	assert_true(now_s() - t0 < 2.0);
	assert_true(drain(fd) == EFD_MAX);
	close(fd);
}

static void test_set_nonblocking_is_seen_on_the_descriptor(void **state)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	(void)state;
	assert_int_equal(efd_set_nonblocking(fd), 0);
	assert_true(fcntl(fd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(efd_set_nonblocking(-1), -EBADF);
	close(fd);
}

struct toggler {
	int fd;
	atomic_bool stop;
};

static void *toggle_blocking(void *arg)
{
	struct toggler *t = arg;

	while (!atomic_load(&t->stop))
		fcntl(t->fd, F_SETFL, 0);
	return NULL;
}

static void test_client_clearing_nonblock_cannot_hold_a_signaller(void **state)
{
	struct toggler t = {.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)};
	pthread_t th;
	double t0;

	(void)state;
	fill(t.fd);
	assert_int_equal(pthread_create(&th, NULL, toggle_blocking, &t), 0);
	t0 = now_s();
	for (int i = 0; i < 2000; i++)
		assert_int_equal(efd_signal(t.fd), 1);
	atomic_store(&t.stop, true);
	pthread_join(th, NULL);
	assert_true(now_s() - t0 < 10.0);
	close(t.fd);
}

static void *signal_in_thread(void *arg)
{
	int fd = *(int *)arg;

	for (int i = 0; i < 10; i++)
		if (efd_signal(fd) != 1)
			return (void *)1;
	return NULL;
}

static void test_threads_with_every_signal_blocked_are_protected(void **state)
{
	int fd = eventfd(0, EFD_CLOEXEC);
	sigset_t all, old;
	pthread_t th;
	void *res;

	(void)state;
	fill(fd);
	/* as libfuse starts its workers */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	assert_int_equal(pthread_create(&th, NULL, signal_in_thread, &fd), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_join(th, &res);
	assert_null(res);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_signal_adds_one),
	    cmocka_unit_test(test_full_blocking_eventfd_saturates_without_waiting),
	    cmocka_unit_test(test_set_nonblocking_is_seen_on_the_descriptor),
	    cmocka_unit_test(test_client_clearing_nonblock_cannot_hold_a_signaller),
	    cmocka_unit_test(test_threads_with_every_signal_blocked_are_protected),
	};

	alarm(60); /* a blocked write must fail the test, not hang it */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
