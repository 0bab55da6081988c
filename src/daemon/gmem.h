/*
 * gmem - map a guest's memory (a memfd the client gave apemud) so that no
 * later access can fault.
 *
 * A MAP_SHARED mapping of a file faults with SIGBUS where the file has
 * been shrunk below it, and a hugetlbfs file can fault when the huge page
 * pool runs out. gmem_map() therefore seals the memfd against shrinking
 * *first*, then reads its size, then maps: once the seal is in place the
 * size it reads can only grow, so there is no window between check and
 * use. It accepts shmem only (memfd_create without MFD_HUGETLB).
 */
#ifndef APEMU_GMEM_H
#define APEMU_GMEM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Map [0, size) of memfd fd read-write and shared. On failure returns
 * -errno and writes what was wrong to why (why_len bytes, starting with
 * "memory: ", the request's member):
 * EINVAL not a memfd, not shmem, cannot be sealed (no MFD_ALLOW_SEALING),
 * smaller than size; or mmap's errno. *ret is set on success only.
 */
int gmem_map(int fd, uint64_t size, void **ret, char *why, size_t why_len);

/*
 * Map a guest memory made of two memfds, end to end: [0, ram) is [0, ram)
 * of ram_fd (QEMU's guest RAM, say) and [ram, size) is [0, size - ram) of
 * aux_fd (the guest library's own pages: its ring, its data-plane area),
 * at one address, so that the rest of apemud sees one memory of size
 * bytes and frees it with one munmap(). Each memfd is checked and sealed as
 * gmem_map() does (why starts with "ram: " when the first is refused,
 * "memory - ram: " when the second is). ram must be a non-zero multiple of
 * 4096 below size (else -EINVAL, why starting with "ram: "). On failure
 * nothing stays mapped; a memfd sealed before the failure stays sealed.
 */
int gmem_map2(int ram_fd, uint64_t ram, int aux_fd, uint64_t size, void **ret, char *why,
	      size_t why_len);

#endif
