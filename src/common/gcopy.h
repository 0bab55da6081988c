/*
 * gcopy - copy to and from memory that another party may write at the same
 * time: a guest's memory, which apemud and the guest (any of its threads)
 * share.
 *
 * A memcpy from bytes another thread writes concurrently is a C11 data
 * race, undefined behaviour, and a guest can always arrange one with its
 * own memory. These copies use relaxed atomic loads and stores instead
 * (8 bytes at a time when both sides are 8-aligned, else byte by byte):
 * never a race, and on the machines apemu runs on, plain moves. What a
 * torn copy holds is the writer's own problem; every value read from guest
 * memory is checked after the copy, never before.
 */
#ifndef APEMU_GCOPY_H
#define APEMU_GCOPY_H

#include <stddef.h>
#include <stdint.h>

static inline void gcopy(void *dst, const void *src, size_t n)
{
	uint8_t *d = dst;
	const uint8_t *s = src;

	if (!(((uintptr_t)d | (uintptr_t)s) & 7)) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			__atomic_store_n(
			    (uint64_t *)(void *)d,
			    __atomic_load_n((const uint64_t *)(const void *)s, __ATOMIC_RELAXED),
			    __ATOMIC_RELAXED);
	}
	for (; n; n--, d++, s++)
		__atomic_store_n(d, __atomic_load_n(s, __ATOMIC_RELAXED), __ATOMIC_RELAXED);
}

static inline void gcopy_zero(void *dst, size_t n)
{
	uint8_t *d = dst;

	for (; n && ((uintptr_t)d & 7); n--, d++)
		__atomic_store_n(d, (uint8_t)0, __ATOMIC_RELAXED);
	for (; n >= 8; n -= 8, d += 8)
		__atomic_store_n((uint64_t *)(void *)d, (uint64_t)0, __ATOMIC_RELAXED);
	for (; n; n--, d++)
		__atomic_store_n(d, (uint8_t)0, __ATOMIC_RELAXED);
}

#endif
