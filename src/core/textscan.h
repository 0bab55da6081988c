/*
 * textscan - a cursor over the text of one sysfs store, shared by the mask
 * and number parsers (private to the core).
 *
 * The kernel hands a store its bytes as a C string, so the text ends at the
 * first NUL byte or at the byte count, whichever comes first.
 */
#ifndef APEMU_CORE_TEXTSCAN_H
#define APEMU_CORE_TEXTSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "hexnum.h" /* hexnum_digit(), for the parsers using the cursor */

struct cursor {
	const char *p;
	const char *end;
};

static inline void cursor_init(struct cursor *c, const char *buf, size_t len)
{
	const char *nul;

	c->p = buf;
	c->end = buf;
	if (!len)
		return;
	nul = memchr(buf, '\0', len);
	c->end = nul ? nul : buf + len;
}

/* The character i places ahead, or 0 past the end (like reading a NUL). */
static inline int peek(const struct cursor *c, size_t i)
{
	if ((size_t)(c->end - c->p) <= i)
		return 0;
	return (unsigned char)c->p[i];
}

static inline bool at_end(const struct cursor *c)
{
	return c->p >= c->end;
}

#endif
