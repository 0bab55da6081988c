/*
 * hexnum - hex digits, fixed-width hex numbers and hex strings (see hexnum.h).
 */
#include <errno.h>

#include "hexnum.h"

size_t hexnum_span(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && hexnum_digit((unsigned char)s[n]) < 16)
		n++;
	return n;
}

int hexnum_fixed(const char *s, size_t ndigits, bool lower, unsigned int *ret_val)
{
	unsigned int v = 0;

	if (ndigits == 0 || ndigits > 2 * sizeof(v))
		return -ERANGE;
	for (size_t i = 0; i < ndigits; i++) {
		unsigned int d = hexnum_digit((unsigned char)s[i]);

		if (d >= 16 || (lower && s[i] >= 'A' && s[i] <= 'F'))
			return -EINVAL;
		v = v << 4 | d;
	}
	*ret_val = v;
	return 0;
}

int hexnum_bytes(const char *s, size_t len, uint8_t *out)
{
	if (len % 2)
		return -EINVAL;
	if (hexnum_span(s, len) != len)
		return -EILSEQ;
	for (size_t i = 0; i < len / 2; i++)
		out[i] = (uint8_t)(hexnum_digit((unsigned char)s[2 * i]) << 4 |
				   hexnum_digit((unsigned char)s[2 * i + 1]));
	return 0;
}
