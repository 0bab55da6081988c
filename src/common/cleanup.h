/*
 * cleanup - scope-based cleanup for the daemon and the CLI (front ends only;
 * the core has nothing to clean up).
 *
 * A variable declared with _cleanup_free_, _cleanup_close_ or
 * _cleanup_json_ is released when it goes out of scope; TAKE_PTR / TAKE_FD
 * hand ownership on and leave the variable empty. In one function use either
 * these or goto unwinding, never both.
 */
#ifndef APEMU_COMMON_CLEANUP_H
#define APEMU_COMMON_CLEANUP_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <json-c/json.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

/* Close *fd unless it is negative, keeping errno; reset it to -1. */
static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;

		close(*fd);
		errno = saved;
		*fd = -1;
	}
}

static inline void cleanup_json_putp(struct json_object **o)
{
	json_object_put(*o);
	*o = NULL;
}

static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
	*f = NULL;
}

#define _cleanup_free_	 _cleanup_(cleanup_freep)
#define _cleanup_close_	 _cleanup_(cleanup_closep)
#define _cleanup_json_	 _cleanup_(cleanup_json_putp)
#define _cleanup_fclose_ _cleanup_(cleanup_fclosep)

#define TAKE_PTR(p)                                                                                \
	({                                                                                         \
		__typeof__(p) _tmp = (p);                                                          \
		(p) = NULL;                                                                        \
		_tmp;                                                                              \
	})

#define TAKE_FD(fd)                                                                                \
	({                                                                                         \
		int _tmp = (fd);                                                                   \
		(fd) = -1;                                                                         \
		_tmp;                                                                              \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
