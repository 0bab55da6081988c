/*
 * hexnum - the one hex decoder: a digit, a number of a fixed number of
 * digits (device names, APQNs), and a string of hex digits into bytes
 * (messages, CRYCB dumps, verification patterns). Pure: no errno, no
 * allocation; outputs are written only on success.
 */
#ifndef APEMU_COMMON_HEXNUM_H
#define APEMU_COMMON_HEXNUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The value of a hex digit (either case), or 16 for anything else, so that
 * `hexnum_digit(ch) < base` also serves bases 8 and 10. Inline: the sysfs
 * mask and number parsers call it per character.
 */
static inline unsigned int hexnum_digit(int ch)
{
	if (ch >= '0' && ch <= '9')
		return (unsigned int)(ch - '0');
	if (ch >= 'a' && ch <= 'f')
		return (unsigned int)(ch - 'a' + 10);
	if (ch >= 'A' && ch <= 'F')
		return (unsigned int)(ch - 'A' + 10);
	return 16;
}

/* How many of the first len characters of s are hex digits, from the start (like strspn). */
size_t hexnum_span(const char *s, size_t len);

/*
 * Exactly ndigits hex digits at s, nothing read beyond them. lower: only
 * 0-9 and a-f, the way the kernel prints a device name ("%02x.%04x"), so
 * "0A.0005" is not the name of a device. -EINVAL when one of them is not
 * such a digit (a NUL included), -ERANGE when ndigits is 0 or more than
 * an unsigned int holds.
 */
int hexnum_fixed(const char *s, size_t ndigits, bool lower, unsigned int *ret_val);

/*
 * len hex digits (either case) at s into len / 2 bytes at out. -EINVAL for
 * an odd len, -EILSEQ when a character is not a hex digit (hexnum_span()
 * finds which); out is left alone then.
 */
int hexnum_bytes(const char *s, size_t len, uint8_t *out);

#endif
