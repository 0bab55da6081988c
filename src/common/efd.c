/*
 * efd - signal an eventfd that a client gave apemud, never blocking (see
 * efd.h).
 *
 * How a write can still be interrupted: each thread that signals owns a
 * POSIX timer aimed at itself (SIGEV_THREAD_ID) with an empty handler
 * installed without SA_RESTART. The timer is armed, periodic, around the
 * write; a write that sleeps on a full counter returns EINTR within one
 * period. It is periodic so that an expiry which lands before the thread
 * enters write(2) cannot leave the write asleep. The signal is unblocked in
 * each such thread (libfuse starts its workers with every signal blocked);
 * it only ever comes from the thread's own timer.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "efd.h"

#define EFD_TIMER_NS 1000000L /* one period: how long a hostile write may hold us */

static pthread_once_t efd_once = PTHREAD_ONCE_INIT;
static pthread_key_t efd_key;
static int efd_signo;
static int efd_init_err;

static _Thread_local bool efd_have_timer;
static _Thread_local timer_t efd_timer;

static void efd_nop(int signo)
{
	(void)signo;
}

static void efd_timer_free(void *p)
{
	(void)p;
	if (efd_have_timer) {
		timer_delete(efd_timer);
		efd_have_timer = false;
	}
}

static void efd_global_init(void)
{
	struct sigaction sa = {.sa_handler = efd_nop}; /* no SA_RESTART: EINTR */

	efd_signo = SIGRTMIN + 2;
	sigemptyset(&sa.sa_mask);
	if (sigaction(efd_signo, &sa, NULL) < 0)
		efd_init_err = -errno;
	else
		efd_init_err = -pthread_key_create(&efd_key, efd_timer_free);
}

/* This thread's timer, created on first use. */
static int efd_thread_timer(void)
{
	struct sigevent sev = {.sigev_notify = SIGEV_THREAD_ID};
	sigset_t set;

	pthread_once(&efd_once, efd_global_init);
	if (efd_init_err)
		return efd_init_err;
	if (efd_have_timer)
		return 0;
	sev.sigev_signo = efd_signo;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_MONOTONIC, &sev, &efd_timer) < 0)
		return -errno;
	efd_have_timer = true;
	/* a non-NULL value so that the key's destructor runs at thread exit */
	pthread_setspecific(efd_key, &efd_have_timer);
	sigemptyset(&set);
	sigaddset(&set, efd_signo);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

int efd_set_nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	if (!(fl & O_NONBLOCK) && fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int efd_signal(int fd)
{
	static const struct itimerspec arm = {.it_value = {0, EFD_TIMER_NS},
					      .it_interval = {0, EFD_TIMER_NS}};
	static const struct itimerspec disarm;
	const uint64_t one = 1;
	ssize_t n;
	int r, e;

	if (fd < 0)
		return 0;
	r = efd_thread_timer();
	if (r < 0) {
		/* no timer: the best we can do is the flag alone */
		if ((r = efd_set_nonblocking(fd)) < 0)
			return r;
	} else {
		timer_settime(efd_timer, 0, &arm, NULL);
	}
	n = write(fd, &one, sizeof(one));
	e = errno;
	if (efd_have_timer)
		timer_settime(efd_timer, 0, &disarm, NULL);
	if (n == (ssize_t)sizeof(one))
		return 0;
	if (n >= 0)
		return -EIO;
	if (e == EAGAIN)
		return 1; /* saturated, as eventfd_signal leaves it */
	if (e == EINTR) {
		/* the client made it blocking again: it stays saturated, and non-blocking */
		efd_set_nonblocking(fd);
		return 1;
	}
	return -e;
}
