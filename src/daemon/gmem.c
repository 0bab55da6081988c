/*
 * gmem - map a guest's memory so that no later access can fault (see
 * gmem.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "gmem.h"

#define GMEM_TMPFS_MAGIC 0x01021994 /* shmem: what memfd_create gives without MFD_HUGETLB */

/* why = "member: what": with two memfds (gmem_map2) it says which one was refused. */
static int gmem_fail(char *why, size_t why_len, int err, const char *member, const char *what)
{
	snprintf(why, why_len, "%s: %s", member, what);
	return -err;
}

/* Seal fd against shrinking unless it is already; the order matters (gmem.h). */
static int gmem_seal(int fd)
{
	int seals = fcntl(fd, F_GET_SEALS);

	if (seals < 0)
		return -errno;
	if (!(seals & F_SEAL_SHRINK) && fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0)
		return -errno;
	return 0;
}

/* Check and seal fd (gmem.h), then map [0, size) of it at addr (NULL: anywhere). */
static int gmem_map_at(int fd, uint64_t size, void *addr, const char *member, void **ret, char *why,
		       size_t why_len)
{
	struct statfs sfs;
	struct stat st;
	void *p;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return gmem_fail(why, why_len, EINVAL, member, "the descriptor is not a memfd");
	if (fstatfs(fd, &sfs) < 0 || sfs.f_type != GMEM_TMPFS_MAGIC)
		return gmem_fail(why, why_len, EINVAL, member,
				 "the memfd is not shmem (MFD_HUGETLB memory can fault: refused)");
	if (gmem_seal(fd) < 0)
		return gmem_fail(why, why_len, EINVAL, member,
				 "the memfd cannot be sealed against shrinking (create it with "
				 "MFD_ALLOW_SEALING)");
	/* sealed: from here on the size can only grow */
	if (fstat(fd, &st) < 0)
		return gmem_fail(why, why_len, errno, member, "cannot fstat the memfd");
	if ((uint64_t)st.st_size < size) {
		snprintf(why, why_len, "%s: %" PRIu64 " bytes, but the memfd has only %lld", member,
			 size, (long long)st.st_size);
		return -EINVAL;
	}
	p = mmap(addr, size, PROT_READ | PROT_WRITE, MAP_SHARED | (addr ? MAP_FIXED : 0), fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;

		snprintf(why, why_len, "%s: cannot map the memfd: %s", member, strerror(e));
		return -e;
	}
	*ret = p;
	return 0;
}

int gmem_map(int fd, uint64_t size, void **ret, char *why, size_t why_len)
{
	return gmem_map_at(fd, size, NULL, "memory", ret, why, why_len);
}

int gmem_map2(int ram_fd, uint64_t ram, int aux_fd, uint64_t size, void **ret, char *why,
	      size_t why_len)
{
	void *base, *p;
	int e;

	if (!ram || ram >= size || ram % 4096) {
		snprintf(why, why_len,
			 "ram: %" PRIu64
			 " is not a non-zero multiple of 4096 below the memory (%" PRIu64 ")",
			 ram, size);
		return -EINVAL;
	}
	/* one reservation, the two memfds mapped over it: freed by one munmap() */
	base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		e = errno;
		snprintf(why, why_len, "cannot reserve %" PRIu64 " bytes: %s", size, strerror(e));
		return -e;
	}
	if ((e = gmem_map_at(ram_fd, ram, base, "ram", &p, why, why_len)) < 0 ||
	    (e = gmem_map_at(aux_fd, size - ram, (uint8_t *)base + ram, "memory - ram", &p, why,
			     why_len)) < 0) {
		munmap(base, size);
		return e;
	}
	*ret = base;
	return 0;
}
