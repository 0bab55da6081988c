/*
 * parse - the number, boolean and UUID readers behind the sysfs stores.
 *
 * Each reader reproduces one kernel helper as a store sees it: kstrtoul with
 * base 0 (assign/unassign files), the integer conversions of the kernel's
 * vsscanf (%i, %d, %llu), kstrtobool, and the mdev core's UUID check for
 * `create`. All of them work on a private cursor and write ret_* last.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "parse.h"
#include "textscan.h"

_Static_assert(sizeof(int) == 4, "the %i and %d readers truncate to 32 bits");

static void skip(struct cursor *c)
{
	if (c->p < c->end)
		c->p++;
}

/*
 * The kernel's isspace(): \t \n \v \f \r, space, and 0xa0 (its ctype table
 * is Latin-1, where 0xa0 is the no-break space).
 */
static bool is_space(int ch)
{
	return (ch >= '\t' && ch <= '\r') || ch == ' ' || ch == 0xa0;
}

static bool is_digit(int ch)
{
	return ch >= '0' && ch <= '9';
}

/*
 * Automatic base, as the kernel picks it: "0x"/"0X" followed by a hex digit
 * is hex (the prefix is skipped); any other leading '0' is octal, so "0x"
 * alone reads as the octal number 0 followed by an 'x'; else decimal.
 */
static unsigned int auto_base(struct cursor *c)
{
	if (peek(c, 0) != '0')
		return 10;
	if ((peek(c, 1) | 0x20) == 'x' && hexnum_digit(peek(c, 2)) < 16) {
		c->p += 2;
		return 16;
	}
	return 8;
}

struct number {
	uint64_t val; /* modulo 2^64 */
	unsigned int ndigits;
	bool overflow; /* the true value is above UINT64_MAX */
};

static void scan_digits(struct cursor *c, unsigned int base, struct number *n)
{
	unsigned int v;

	n->val = 0;
	n->ndigits = 0;
	n->overflow = false;
	while ((v = hexnum_digit(peek(c, 0))) < base) {
		if (n->val > (UINT64_MAX - v) / base)
			n->overflow = true;
		n->val = n->val * base + v;
		n->ndigits++;
		skip(c);
	}
}

/* -ERANGE is checked first: "99999999999999999999x" is out of range. */
int ap_parse_ulong(const char *buf, size_t len, unsigned long *ret_val)
{
	struct cursor c;
	struct number n;
	unsigned int base;

	cursor_init(&c, buf, len);
	if (peek(&c, 0) == '+')
		skip(&c);
	base = auto_base(&c);
	scan_digits(&c, base, &n);
	if (n.overflow)
		return -ERANGE;
	if (!n.ndigits)
		return -EINVAL;
	if (peek(&c, 0) == '\n')
		skip(&c);
	if (!at_end(&c))
		return -EINVAL;
	if ((unsigned long)n.val != n.val)
		return -ERANGE;

	*ret_val = (unsigned long)n.val;
	return 0;
}

/*
 * One integer conversion of the kernel's vsscanf: skip blanks; a signed
 * conversion takes one '-'; then a digit must follow. The kernel does not
 * take a '+' here (unlike glibc), so "+5" converts nothing: -EINVAL. base 0
 * means automatic. The value wraps modulo 2^64 and a '-' negates it.
 * Whatever follows the digits is left unread.
 */
static int scan_integer(const char *buf, size_t len, unsigned int base, bool is_signed,
			uint64_t *ret_val)
{
	struct cursor c;
	struct number n;
	bool neg = false;

	cursor_init(&c, buf, len);
	while (is_space(peek(&c, 0)))
		skip(&c);
	if (is_signed && peek(&c, 0) == '-') {
		neg = true;
		skip(&c);
	}
	if (!is_digit(peek(&c, 0)))
		return -EINVAL;
	if (!base)
		base = auto_base(&c);
	scan_digits(&c, base, &n);

	*ret_val = neg ? -n.val : n.val;
	return 0;
}

/* The low 32 bits as a two's complement int, as the kernel's store into an int. */
static int low32_as_int(uint64_t v)
{
	uint32_t u = (uint32_t)v;

	if (u <= INT32_MAX)
		return (int)u;
	return (int)(u - 0x80000000u) + INT32_MIN;
}

int ap_parse_int_auto(const char *buf, size_t len, int *ret_val)
{
	uint64_t v;
	int r;

	r = scan_integer(buf, len, 0, true, &v);
	if (r < 0)
		return r;
	*ret_val = low32_as_int(v);
	return 0;
}

int ap_parse_int_dec(const char *buf, size_t len, int *ret_val)
{
	uint64_t v;
	int r;

	r = scan_integer(buf, len, 10, true, &v);
	if (r < 0)
		return r;
	*ret_val = low32_as_int(v);
	return 0;
}

/* %llu is unsigned: a '-' is not a digit, so "-5" is -EINVAL. */
int ap_parse_ull_dec(const char *buf, size_t len, unsigned long long *ret_val)
{
	uint64_t v;
	int r;

	r = scan_integer(buf, len, 10, false, &v);
	if (r < 0)
		return r;
	*ret_val = v;
	return 0;
}

/* The second letter after an 'o': "on" or "off" in either case. */
static int parse_on_off(int ch, bool *ret_val)
{
	switch (ch) {
	case 'n':
	case 'N':
		*ret_val = true;
		return 0;
	case 'f':
	case 'F':
		*ret_val = false;
		return 0;
	default:
		return -EINVAL;
	}
}

/* t/T/f/F are today's kstrtobool (5.19+); 4.20 knew only y/n/1/0/on/off. */
int ap_parse_bool(const char *buf, size_t len, bool *ret_val)
{
	struct cursor c;

	cursor_init(&c, buf, len);
	switch (peek(&c, 0)) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*ret_val = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*ret_val = false;
		return 0;
	case 'o':
	case 'O':
		return parse_on_off(peek(&c, 1), ret_val);
	default:
		return -EINVAL;
	}
}

static bool uuid_dash_at(size_t i)
{
	return i == 8 || i == 13 || i == 18 || i == 23;
}

/*
 * s holds at least AP_UUID_STR_LEN bytes. A NUL among them fails the check,
 * which is what the C-string view of the store would give.
 */
static bool uuid_is_canonical(const char *s)
{
	size_t i;

	for (i = 0; i < AP_UUID_STR_LEN; i++) {
		if (uuid_dash_at(i) ? s[i] != '-' : hexnum_digit((unsigned char)s[i]) >= 16)
			return false;
	}
	return true;
}

/*
 * The length check comes first and uses the byte count of the write, as the
 * mdev core does, before the text is looked at.
 */
int ap_uuid_parse(const char *buf, size_t len, bool strict, uint8_t ret_uuid[AP_UUID_LEN])
{
	uint8_t tmp[AP_UUID_LEN];
	size_t i, pos = 0;

	if (len < AP_UUID_STR_LEN)
		return -EINVAL;
	if (strict && len > AP_UUID_STR_LEN + 1)
		return -EINVAL;
	if (!uuid_is_canonical(buf))
		return -EINVAL;

	for (i = 0; i < AP_UUID_LEN; i++) {
		if (buf[pos] == '-')
			pos++;
		tmp[i] = (uint8_t)(hexnum_digit((unsigned char)buf[pos]) << 4 |
				   hexnum_digit((unsigned char)buf[pos + 1]));
		pos += 2;
	}

	memcpy(ret_uuid, tmp, sizeof(tmp));
	return 0;
}

void ap_uuid_format(const uint8_t uuid[AP_UUID_LEN], char out[AP_UUID_STR_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	char *p = out;
	size_t i;

	for (i = 0; i < AP_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*p++ = '-';
		*p++ = digits[uuid[i] >> 4];
		*p++ = digits[uuid[i] & 0xf];
	}
	*p = '\0';
}
