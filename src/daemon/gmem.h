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
 * -errno and writes what was wrong to why (why_len bytes; a size that does
 * not fit starts with "memory: ", the request's member):
 * EINVAL not a memfd, not shmem, cannot be sealed (no MFD_ALLOW_SEALING),
 * smaller than size; or mmap's errno. *ret is set on success only.
 */
int gmem_map(int fd, uint64_t size, void **ret, char *why, size_t why_len);

#endif
