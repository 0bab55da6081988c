/*
 * gmem_test - a guest's memory is mapped so that no access can fault
 * (gmem.h).
 *
 * Invariants: gmem_map succeeds only on a shmem memfd that is sealed
 * against shrinking and at least as large as the mapping, and this holds
 * even while another thread (the hostile client) shrinks and regrows the
 * memfd as fast as it can: after a success the memfd is never smaller than
 * the mapping, and touching every page of it never raises SIGBUS.
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
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "gmem.h"

#define SIZE (64 * 4096)

static int memfd(unsigned int flags, off_t size)
{
	int fd = memfd_create("gmem-test", MFD_CLOEXEC | flags);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, size), 0);
	return fd;
}

static void test_maps_a_sealable_memfd_and_seals_it(void **state)
{
	int fd = memfd(MFD_ALLOW_SEALING, SIZE);
	char why[256] = "";
	void *p = NULL;

	(void)state;
	assert_int_equal(gmem_map(fd, SIZE, &p, why, sizeof(why)), 0);
	assert_non_null(p);
	assert_true(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK);
	assert_int_equal(ftruncate(fd, 0), -1);
	assert_int_equal(errno, EPERM);
	munmap(p, SIZE);
	close(fd);
}

static void test_refuses_what_could_fault(void **state)
{
	char why[256];
	void *p = (void *)1;
	int fd;

	(void)state;
	fd = memfd(0, SIZE); /* cannot be sealed */
	assert_int_equal(gmem_map(fd, SIZE, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "MFD_ALLOW_SEALING"));
	close(fd);
	fd = memfd(MFD_ALLOW_SEALING, SIZE / 2); /* too small */
	assert_int_equal(gmem_map(fd, SIZE, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "memory: "));
	close(fd);
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC); /* a file, not shmem */
	assert_true(fd >= 0);
	assert_int_equal(gmem_map(fd, 4096, &p, why, sizeof(why)), -EINVAL);
	close(fd);
	{
		int pfd[2];

		assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
		close(pfd[1]);
		fd = pfd[0];
	}
	assert_int_equal(gmem_map(fd, 4096, &p, why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "not a memfd"));
	close(fd);
	assert_ptr_equal(p, (void *)1); /* untouched on failure */
}

/* ---- the race of issue 12: a client shrinks its memfd while apemud maps it ---- */

static atomic_int race_fd = -1;
static atomic_bool race_stop;
static sigjmp_buf bus_jump;

static void on_sigbus(int signo)
{
	(void)signo;
	siglongjmp(bus_jump, 1);
}

static void *shrinker(void *arg)
{
	(void)arg;
	while (!atomic_load(&race_stop)) {
		int fd = atomic_load(&race_fd);

		if (fd >= 0 && ftruncate(fd, 0) == 0 && ftruncate(fd, SIZE) < 0)
			break;
	}
	return NULL;
}

/* Touch every page of the mapping; false if one raised SIGBUS. */
static bool every_page_readable(const volatile uint8_t *p)
{
	volatile unsigned int sum = 0;

	if (sigsetjmp(bus_jump, 1))
		return false;
	for (size_t off = 0; off < SIZE; off += 4096)
		sum += p[off];
	return true;
}

static void test_shrinking_during_the_map_never_leaves_a_short_mapping(void **state)
{
	struct sigaction sa = {.sa_handler = on_sigbus}, old;
	struct timespec t0, t;
	unsigned int mapped = 0, bad = 0;
	pthread_t th;

	(void)state;
	sigaction(SIGBUS, &sa, &old);
	assert_int_equal(pthread_create(&th, NULL, shrinker, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		int fd = memfd(MFD_ALLOW_SEALING, SIZE);
		char why[256];
		struct stat st;
		void *p;

		atomic_store(&race_fd, fd);
		if (gmem_map(fd, SIZE, &p, why, sizeof(why)) == 0) {
			mapped++;
			atomic_store(&race_fd, -1);
			if (fstat(fd, &st) < 0 || st.st_size < SIZE || !every_page_readable(p))
				bad++;
			munmap(p, SIZE);
		}
		atomic_store(&race_fd, -1);
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (t.tv_sec - t0.tv_sec < 2);
	atomic_store(&race_stop, true);
	pthread_join(th, NULL);
	sigaction(SIGBUS, &old, NULL);
	assert_true(mapped > 0);
	assert_int_equal(bad, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_maps_a_sealable_memfd_and_seals_it),
	    cmocka_unit_test(test_refuses_what_could_fault),
	    cmocka_unit_test(test_shrinking_during_the_map_never_leaves_a_short_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
