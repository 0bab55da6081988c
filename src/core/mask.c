/*
 * mask - set operations, hex formatting and the apmask/aqmask write parser
 * for 256-bit MSB-0 AP masks.
 *
 * The parser reproduces the AP bus rules (ap_parse_mask_str in the kernel's
 * ap_bus.c): a relative list of signed IDs and ranges applied to the current
 * mask, or an absolute, left-aligned hex string. Both parse into a scratch
 * mask that is copied to *ret only when the whole text was accepted.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "mask.h"
#include "textscan.h"

static int take(struct cursor *c)
{
	int ch = peek(c, 0);

	if (ch)
		c->p++;
	return ch;
}

void ap_mask_zero(struct ap_mask *m)
{
	memset(m->b, 0, sizeof(m->b));
}

/* The mask becomes exactly IDs 0..last: IDs above last are cleared. */
void ap_mask_fill(struct ap_mask *m, unsigned int last)
{
	unsigned int n;

	ap_mask_zero(m);
	if (last >= AP_MASK_BITS - 1) {
		memset(m->b, 0xff, sizeof(m->b));
		return;
	}
	memset(m->b, 0xff, last / 8);
	for (n = last / 8 * 8; n <= last; n++)
		ap_mask_set(m, n);
}

bool ap_mask_empty(const struct ap_mask *m)
{
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		if (m->b[i])
			return false;
	return true;
}

unsigned int ap_mask_count(const struct ap_mask *m)
{
	unsigned int count = 0;
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		count += (unsigned int)__builtin_popcount(m->b[i]);
	return count;
}

int ap_mask_next(const struct ap_mask *m, int from)
{
	unsigned int n = from < 0 ? 0 : (unsigned int)from;

	for (; n < AP_MASK_BITS; n++) {
		/* Skip whole empty bytes once aligned. */
		if (n % 8 == 0 && !m->b[n / 8]) {
			n += 7;
			continue;
		}
		if (ap_mask_test(m, n))
			return (int)n;
	}
	return -1;
}

int ap_mask_last(const struct ap_mask *m)
{
	int n;

	for (n = AP_MASK_BITS - 1; n >= 0; n--)
		if (ap_mask_test(m, (unsigned int)n))
			return n;
	return -1;
}

/* Byte by byte, so dst may alias a or b. */
void ap_mask_and(struct ap_mask *dst, const struct ap_mask *a, const struct ap_mask *b)
{
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		dst->b[i] = a->b[i] & b->b[i];
}

void ap_mask_or(struct ap_mask *dst, const struct ap_mask *a, const struct ap_mask *b)
{
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		dst->b[i] = a->b[i] | b->b[i];
}

void ap_mask_andnot(struct ap_mask *dst, const struct ap_mask *a, const struct ap_mask *b)
{
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		dst->b[i] = a->b[i] & (uint8_t)~b->b[i];
}

bool ap_mask_intersects(const struct ap_mask *a, const struct ap_mask *b)
{
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		if (a->b[i] & b->b[i])
			return true;
	return false;
}

bool ap_mask_subset(const struct ap_mask *a, const struct ap_mask *b)
{
	size_t i;

	for (i = 0; i < AP_MASK_BYTES; i++)
		if (a->b[i] & (uint8_t)~b->b[i])
			return false;
	return true;
}

bool ap_mask_equal(const struct ap_mask *a, const struct ap_mask *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) == 0;
}

bool ap_mask_any_above(const struct ap_mask *m, unsigned int max)
{
	return max < AP_MASK_BITS - 1 && ap_mask_next(m, (int)max + 1) >= 0;
}

size_t ap_mask_format(const struct ap_mask *m, char out[AP_MASK_HEX_LEN])
{
	static const char digits[] = "0123456789abcdef";
	char *p = out;
	size_t i;

	*p++ = '0';
	*p++ = 'x';
	for (i = 0; i < AP_MASK_BYTES; i++) {
		*p++ = digits[m->b[i] >> 4];
		*p++ = digits[m->b[i] & 0xf];
	}
	*p = '\0';
	return (size_t)(p - out);
}

/*
 * The absolute form: an optional "0x" (only a lower-case x: "0X" leaves the
 * '0' as a digit), or a bare "x"; then up to 64 hex digits, the first one
 * covering IDs 0-3; then at most one '\n' and the end of the text.
 */
static int parse_absolute(struct cursor *c, struct ap_mask *ret)
{
	struct ap_mask tmp = {{0}};
	unsigned int ndigits = 0;
	unsigned int v;

	if (peek(c, 0) == '0' && peek(c, 1) == 'x')
		take(c);
	if (peek(c, 0) == 'x')
		take(c);

	while (ndigits < 2 * AP_MASK_BYTES && (v = hexnum_digit(peek(c, 0))) < 16) {
		tmp.b[ndigits / 2] |= (uint8_t)(ndigits % 2 ? v : v << 4);
		ndigits++;
		take(c);
	}

	if (peek(c, 0) == '\n')
		take(c);
	if (!at_end(c))
		return -EINVAL;

	*ret = tmp;
	return 0;
}

/*
 * One number of the relative form, as simple_strtoul(.., 0) reads it: "0x" or
 * "0X" followed by a hex digit selects hex, another leading '0' octal, else
 * decimal. No sign, no blanks; the value wraps modulo 2^64. Returns false when
 * no digit was read.
 */
static bool scan_number(struct cursor *c, uint64_t *ret_val)
{
	unsigned int base = 10;
	uint64_t val = 0;
	bool any = false;
	unsigned int v;

	if (peek(c, 0) == '0') {
		base = 8;
		if ((peek(c, 1) | 0x20) == 'x' && hexnum_digit(peek(c, 2)) < 16) {
			base = 16;
			c->p += 2;
		}
	}

	while ((v = hexnum_digit(peek(c, 0))) < base) {
		val = val * base + v;
		any = true;
		take(c);
	}

	*ret_val = val;
	return any;
}

/*
 * One element of the relative form: a sign, an ID, optionally '-' and the
 * last ID of a range. Applied to *m at once; the caller throws *m away on
 * error.
 */
static int apply_element(struct cursor *c, struct ap_mask *m)
{
	int sign = take(c);
	uint64_t first, last, id;

	if (sign != '+' && sign != '-')
		return -EINVAL;
	if (!scan_number(c, &first) || first >= AP_MASK_BITS)
		return -EINVAL;

	last = first;
	if (peek(c, 0) == '-') {
		take(c);
		if (!scan_number(c, &last) || first > last || last >= AP_MASK_BITS)
			return -EINVAL;
	}

	for (id = first; id <= last; id++) {
		if (sign == '+')
			ap_mask_set(m, (unsigned int)id);
		else
			ap_mask_clear(m, (unsigned int)id);
	}
	return 0;
}

static int parse_relative(struct cursor *c, const struct ap_mask *cur, struct ap_mask *ret)
{
	struct ap_mask tmp;
	int r;

	if (!cur)
		return -EINVAL;

	tmp = *cur;
	while (!at_end(c)) {
		r = apply_element(c, &tmp);
		if (r < 0)
			return r;
		while (peek(c, 0) == ',' || peek(c, 0) == '\n')
			take(c);
	}

	*ret = tmp;
	return 0;
}

int ap_mask_parse(const char *buf, size_t len, const struct ap_mask *cur, struct ap_mask *ret)
{
	struct cursor c;

	cursor_init(&c, buf, len);
	if (peek(&c, 0) == '+' || peek(&c, 0) == '-')
		return parse_relative(&c, cur, ret);
	return parse_absolute(&c, ret);
}

int ap_mask_parse_abs(const char *buf, size_t len, struct ap_mask *ret)
{
	struct cursor c;

	cursor_init(&c, buf, len);
	return parse_absolute(&c, ret);
}
