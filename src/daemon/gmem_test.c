/*
 * gmem_test - a guest's memory is mapped so that no access can fault
 * (gmem.h).
 *
 * Invariants: gmem_map succeeds only on a shmem memfd that is sealed
 * against shrinking and at least as large as the mapping, and this holds
 * even while another thread (the hostile client) shrinks and regrows the
 * memfd as fast as it can: after a success the memfd is never smaller than
 * the mapping, and touching every page of it never raises SIGBUS.
 * gmem_map2 shows two memfds as one memory, [0, ram) the first and
 * [ram, size) the second, or refuses (saying which part was wrong) and
 * leaves nothing mapped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
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

/* ---- gmem_map2: two memfds end to end ---- */

#define RAM (16 * 4096) /* the first part; the second is SIZE - RAM */

/* The mapping (PROT_READ | PROT_WRITE, MAP_SHARED) of a part, as its owner has it. */
static uint8_t *own_map(int fd, size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

/*
 * What gmem could leave mapped: the lines of /proc/self/maps that are a
 * memfd of this test's or an anonymous PROT_NONE range (a reservation), the
 * bytes they span, and how many of them overlap [lo, hi). Other lines are
 * not counted: a sanitizer's runtime maps and unmaps its own memory while
 * the tests run. Read without malloc (a static buffer) so that nothing but
 * the code under test maps or unmaps between two looks.
 */
struct maps {
	size_t lines;
	uint64_t bytes;
	size_t in_range;
};

static struct maps maps_in(uint64_t range_lo, uint64_t range_hi)
{
	static char buf[1 << 20];
	struct maps m = {0, 0, 0};
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	while ((r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	assert_true(r == 0 && n < sizeof(buf) - 1);
	close(fd);
	buf[n] = '\0';
	for (char *line = buf; *line;) {
		char *end = strchr(line, '\n');
		uint64_t lo, hi, inode;
		char perms[5];
		int path = 0;

		if (end)
			*end = '\0';
		assert_int_equal(sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %*s %*s %" SCNu64 " %n",
					&lo, &hi, perms, &inode, &path),
				 4);
		if (strstr(line, "memfd:gmem-test") ||
		    (!strcmp(perms, "---p") && !inode && !line[path])) {
			m.lines++;
			m.bytes += hi - lo;
			if (lo < range_hi && hi > range_lo)
				m.in_range++;
		}
		if (!end)
			break;
		line = end + 1;
	}
	return m;
}

static struct maps maps_now(void)
{
	return maps_in(0, 0);
}

static void assert_maps_equal(struct maps a, struct maps b)
{
	assert_int_equal(a.lines, b.lines);
	assert_int_equal(a.bytes, b.bytes);
}

static void test_map2_shows_both_parts_at_one_address(void **state)
{
	int ram_fd = memfd(MFD_ALLOW_SEALING, RAM), aux_fd = memfd(MFD_ALLOW_SEALING, SIZE - RAM);
	uint8_t *ram = own_map(ram_fd, RAM), *aux = own_map(aux_fd, SIZE - RAM);
	struct maps before;
	char why[256] = "";
	uint8_t *g;
	void *p = NULL;

	(void)state;
	for (size_t i = 0; i < RAM; i++)
		ram[i] = (uint8_t)(i * 7 + 1);
	for (size_t i = 0; i < SIZE - RAM; i++)
		aux[i] = (uint8_t)(i * 13 + 5);
	before = maps_now();
	assert_int_equal(gmem_map2(ram_fd, RAM, aux_fd, SIZE, &p, why, sizeof(why)), 0);
	g = p;
	/* written through the parts' own mappings, read through gmem's */
	assert_memory_equal(g, ram, RAM);
	assert_memory_equal(g + RAM, aux, SIZE - RAM);
	/* and the other way: each side sees the other's stores at once */
	g[0] = 0xa0;
	g[RAM - 1] = 0xa1;
	g[RAM] = 0xa2;
	g[SIZE - 1] = 0xa3;
	assert_int_equal(ram[0], 0xa0);
	assert_int_equal(ram[RAM - 1], 0xa1);
	assert_int_equal(aux[0], 0xa2);
	assert_int_equal(aux[SIZE - RAM - 1], 0xa3);
	ram[100] = 0xb0;
	aux[100] = 0xb1;
	assert_int_equal(g[100], 0xb0);
	assert_int_equal(g[RAM + 100], 0xb1);
	/* both sealed against shrinking */
	assert_true(fcntl(ram_fd, F_GET_SEALS) & F_SEAL_SHRINK);
	assert_true(fcntl(aux_fd, F_GET_SEALS) & F_SEAL_SHRINK);
	/* one munmap() frees all of it: the reservation is [p, p + SIZE), the
	 * parts inside it, and nothing is left anywhere else */
	assert_int_equal(maps_in((uintptr_t)p, (uintptr_t)p + SIZE).in_range, 2);
	assert_int_equal(munmap(p, SIZE), 0);
	assert_int_equal(maps_in((uintptr_t)p, (uintptr_t)p + SIZE).in_range, 0);
	assert_maps_equal(maps_now(), before);
	munmap(ram, RAM);
	munmap(aux, SIZE - RAM);
	close(ram_fd);
	close(aux_fd);
}

static void test_map2_takes_larger_parts_from_their_start(void **state)
{
	/* each memfd may be larger than its part: the part is its first bytes */
	int ram_fd = memfd(MFD_ALLOW_SEALING, 2 * RAM), aux_fd = memfd(MFD_ALLOW_SEALING, SIZE);
	uint8_t *ram = own_map(ram_fd, 2 * RAM), *aux = own_map(aux_fd, SIZE);
	char why[256] = "";
	uint8_t *g;
	void *p = NULL;

	(void)state;
	ram[0] = 1;
	ram[RAM] = 2; /* beyond the part: not in the memory */
	aux[0] = 3;
	assert_int_equal(gmem_map2(ram_fd, RAM, aux_fd, SIZE, &p, why, sizeof(why)), 0);
	g = p;
	assert_int_equal(g[0], 1);
	assert_int_equal(g[RAM], 3);
	munmap(p, SIZE);
	munmap(ram, 2 * RAM);
	munmap(aux, SIZE);
	close(ram_fd);
	close(aux_fd);
}

static void test_map2_refuses_a_bad_ram(void **state)
{
	static const uint64_t bad[] = {
	    0, 1, 100, 4095, 4097, RAM + 2048, SIZE, SIZE + 4096, UINT64_MAX & ~(uint64_t)4095};
	int ram_fd = memfd(MFD_ALLOW_SEALING, SIZE), aux_fd = memfd(MFD_ALLOW_SEALING, SIZE);

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct maps before = maps_now();
		char why[256] = "", value[32];
		void *p = (void *)1;

		assert_int_equal(gmem_map2(ram_fd, bad[i], aux_fd, SIZE, &p, why, sizeof(why)),
				 -EINVAL);
		snprintf(value, sizeof(value), "ram: %" PRIu64 " ", bad[i]);
		assert_non_null(strstr(why, value));
		assert_ptr_equal(p, (void *)1);
		assert_maps_equal(maps_now(), before);
	}
	/* checked before anything: neither memfd was sealed */
	assert_false(fcntl(ram_fd, F_GET_SEALS) & F_SEAL_SHRINK);
	assert_false(fcntl(aux_fd, F_GET_SEALS) & F_SEAL_SHRINK);
	close(ram_fd);
	close(aux_fd);
}

/* A descriptor that is neither a memfd nor a file: an eventfd. */
static int an_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	assert_true(fd >= 0);
	return fd;
}

static void test_map2_refuses_a_bad_part_and_says_which(void **state)
{
	const struct {
		unsigned int ram_flags, aux_flags;
		off_t ram_size, aux_size;
		bool ram_efd, aux_efd;
		const char *why;  /* the start of why */
		const char *what; /* in why */
	} t[] = {
	    /* too small: the first by one page, the second by one page, both */
	    {MFD_ALLOW_SEALING, MFD_ALLOW_SEALING, RAM - 4096, SIZE - RAM, false, false,
	     "ram: ", "65536 bytes, but the memfd has only 61440"},
	    {MFD_ALLOW_SEALING, MFD_ALLOW_SEALING, RAM, SIZE - RAM - 4096, false, false,
	     "memory - ram: ", "196608 bytes, but the memfd has only 192512"},
	    {MFD_ALLOW_SEALING, MFD_ALLOW_SEALING, 0, 0, false, false, "ram: ", "has only 0"},
	    /* cannot be sealed */
	    {0, MFD_ALLOW_SEALING, RAM, SIZE - RAM, false, false, "ram: ", "MFD_ALLOW_SEALING"},
	    {MFD_ALLOW_SEALING, 0, RAM, SIZE - RAM, false, false,
	     "memory - ram: ", "MFD_ALLOW_SEALING"},
	    /* not a memfd */
	    {0, MFD_ALLOW_SEALING, 0, SIZE - RAM, true, false, "ram: ", "not a memfd"},
	    {MFD_ALLOW_SEALING, 0, RAM, 0, false, true, "memory - ram: ", "not a memfd"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int ram_fd = t[i].ram_efd ? an_eventfd() : memfd(t[i].ram_flags, t[i].ram_size);
		int aux_fd = t[i].aux_efd ? an_eventfd() : memfd(t[i].aux_flags, t[i].aux_size);
		struct maps before = maps_now();
		char why[256] = "";
		void *p = (void *)1;

		assert_int_equal(gmem_map2(ram_fd, RAM, aux_fd, SIZE, &p, why, sizeof(why)),
				 -EINVAL);
		assert_ptr_equal(p, (void *)1);
		assert_maps_equal(maps_now(), before); /* the reservation and any part: gone */
		if (strncmp(why, t[i].why, strlen(t[i].why)) || !strstr(why, t[i].what))
			fail_msg("case %zu: \"%s\", expected \"%s...%s...\"", i, why, t[i].why,
				 t[i].what);
		close(ram_fd);
		close(aux_fd);
	}
}

static void test_map_names_memory_in_every_refusal(void **state)
{
	char why[256] = "";
	void *p = (void *)1;
	int fd;

	(void)state;
	fd = memfd(0, SIZE);
	assert_int_equal(gmem_map(fd, SIZE, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(strncmp(why, "memory: ", 8), 0);
	close(fd);
	fd = an_eventfd();
	assert_int_equal(gmem_map(fd, SIZE, &p, why, sizeof(why)), -EINVAL);
	assert_int_equal(strncmp(why, "memory: ", 8), 0);
	close(fd);
	assert_ptr_equal(p, (void *)1);
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
	    cmocka_unit_test(test_map_names_memory_in_every_refusal),
	    cmocka_unit_test(test_map2_shows_both_parts_at_one_address),
	    cmocka_unit_test(test_map2_takes_larger_parts_from_their_start),
	    cmocka_unit_test(test_map2_refuses_a_bad_ram),
	    cmocka_unit_test(test_map2_refuses_a_bad_part_and_says_which),
	    cmocka_unit_test(test_shrinking_during_the_map_never_leaves_a_short_mapping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
