/*
 * mask - 256-bit AP masks (APM, AQM, ADM, apmask, aqmask) in MSB-0 order.
 *
 * ID n is bit 0x80 >> (n % 8) of byte n / 8: ID 0 is the leftmost bit, as
 * in the apmask/aqmask files, the QCI block and the CRYCB. The masks are kept
 * as byte arrays so that their hex text and CRYCB bytes are identical to
 * what an s390 (big-endian) machine shows, whatever the host's byte order.
 */
#ifndef APEMU_CORE_MASK_H
#define APEMU_CORE_MASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_MASK_BITS  256
#define AP_MASK_BYTES (AP_MASK_BITS / 8)
/* "0x" + 64 hex digits + NUL */
#define AP_MASK_HEX_LEN (2 + 2 * AP_MASK_BYTES + 1)

struct ap_mask {
	uint8_t b[AP_MASK_BYTES];
};

static inline bool ap_mask_test(const struct ap_mask *m, unsigned int n)
{
	return n < AP_MASK_BITS && (m->b[n / 8] & (0x80u >> (n % 8)));
}

static inline void ap_mask_set(struct ap_mask *m, unsigned int n)
{
	if (n < AP_MASK_BITS)
		m->b[n / 8] |= (uint8_t)(0x80u >> (n % 8));
}

static inline void ap_mask_clear(struct ap_mask *m, unsigned int n)
{
	if (n < AP_MASK_BITS)
		m->b[n / 8] &= (uint8_t) ~(0x80u >> (n % 8));
}

void ap_mask_zero(struct ap_mask *m);
/* Set IDs 0..last (inclusive); last >= 255 fills the whole mask. */
void ap_mask_fill(struct ap_mask *m, unsigned int last);
bool ap_mask_empty(const struct ap_mask *m);
unsigned int ap_mask_count(const struct ap_mask *m);
/* The lowest set ID >= from, or -1 when there is none. */
int ap_mask_next(const struct ap_mask *m, int from);
/* The highest set ID, or -1 for an empty mask. */
int ap_mask_last(const struct ap_mask *m);

#define ap_mask_for_each(n, m)                                                                     \
	for ((n) = ap_mask_next((m), 0); (n) >= 0; (n) = ap_mask_next((m), (n) + 1))

/* dst may alias a or b. */
void ap_mask_and(struct ap_mask *dst, const struct ap_mask *a, const struct ap_mask *b);
void ap_mask_or(struct ap_mask *dst, const struct ap_mask *a, const struct ap_mask *b);
void ap_mask_andnot(struct ap_mask *dst, const struct ap_mask *a, const struct ap_mask *b);
bool ap_mask_intersects(const struct ap_mask *a, const struct ap_mask *b);
/* true when every ID of a is in b */
bool ap_mask_subset(const struct ap_mask *a, const struct ap_mask *b);
bool ap_mask_equal(const struct ap_mask *a, const struct ap_mask *b);
/* true when some ID above max is set */
bool ap_mask_any_above(const struct ap_mask *m, unsigned int max);

/*
 * The read format of apmask, aqmask and ap_config: "0x" and 64 lower-case
 * hex digits, NUL-terminated, no newline. Returns the length (66).
 */
size_t ap_mask_format(const struct ap_mask *m, char out[AP_MASK_HEX_LEN]);

/*
 * Parse the apmask/aqmask write syntax (bus ap_parse_mask_str rules):
 * - relative: the first character is '+' or '-': a list of signed numbers
 *   or ranges N-M (base 0: 0x hex, leading 0 octal, else decimal), each
 *   element starting with its sign, separated by runs of ',' and '\n',
 *   applied to *cur;
 * - absolute: anything else: optional "0x" (or a bare "x"), at most 64 hex
 *   digits left-aligned (the first digit covers IDs 0-3), at most one
 *   trailing '\n'; an empty string gives an all-zero mask.
 * The text is buf[0..len) and stops early at a NUL byte (sysfs hands stores
 * a C string). Numbers >= 256, N > M, missing numbers, more than 64 digits
 * or trailing garbage: -EINVAL. *ret is written only on success; cur may be
 * NULL for the absolute form only (a relative string then gives -EINVAL).
 */
int ap_mask_parse(const char *buf, size_t len, const struct ap_mask *cur, struct ap_mask *ret);

/*
 * The absolute form alone, for one token of an ap_config write: optional
 * "0x"/"x", at most 64 hex digits, an optional single trailing '\n'.
 * An empty token is an all-zero mask. -EINVAL otherwise.
 */
int ap_mask_parse_abs(const char *buf, size_t len, struct ap_mask *ret);

#endif
