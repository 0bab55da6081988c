/*
 * parse - the number, boolean and UUID parsers of the kernel's sysfs stores.
 *
 * Every function reads buf[0..len) as the kernel's store would see it: as a
 * C string, so the text ends at len or at the first NUL byte, whichever comes
 * first. Results go to ret_* only on success. Errors are negative errno.
 */
#ifndef APEMU_CORE_PARSE_H
#define APEMU_CORE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AP_UUID_LEN	16
#define AP_UUID_STR_LEN 36

/*
 * kstrtoul(buf, 0, ...): an optional '+', then "0x"/"0X" + hex digits, or a
 * leading 0 + octal digits, or decimal digits; at most one trailing '\n' and
 * nothing else. No digits, a '-', spaces or trailing text: -EINVAL. A value
 * above ULONG_MAX (64 bits): -ERANGE.
 */
int ap_parse_ulong(const char *buf, size_t len, unsigned long *ret_val);

/*
 * sscanf(buf, "%i", ...) as the kernel's vsscanf does it: leading white space
 * skipped, an optional '-' (the kernel takes no '+'), then a number in automatic base (0x hex,
 * 0 octal, decimal); anything after the number is ignored. No number:
 * -EINVAL. A value that does not fit an int: -ERANGE is never returned by
 * the kernel (it truncates); this truncates to 32 bits the same way.
 */
int ap_parse_int_auto(const char *buf, size_t len, int *ret_val);

/* sscanf "%d": like ap_parse_int_auto but base 10 only. */
int ap_parse_int_dec(const char *buf, size_t len, int *ret_val);

/* sscanf "%llu": white space, decimal digits (no sign); trailing text ignored. */
int ap_parse_ull_dec(const char *buf, size_t len, unsigned long long *ret_val);

/*
 * kstrtobool: decided by the first one or two characters: 1 y Y t T -> true,
 * 0 n N f F -> false, "on"/"of" (either case) -> true/false. Anything else,
 * including an empty string: -EINVAL.
 */
int ap_parse_bool(const char *buf, size_t len, bool *ret_val);

/*
 * The UUID of an mdev `create` write. strict (today's mdev core): the write
 * must be 36 or 37 bytes long (-EINVAL otherwise); the first 36 must be a
 * canonical UUID (8-4-4-4-12 hex digits, either case, with '-' at offsets
 * 8, 13, 18 and 23), the 37th byte is not looked at. Not strict (4.20 core):
 * at least 36 bytes, only the first 36 are looked at.
 */
int ap_uuid_parse(const char *buf, size_t len, bool strict, uint8_t ret_uuid[AP_UUID_LEN]);

/* Lower-case canonical form (the kernel's %pUl), NUL-terminated. */
void ap_uuid_format(const uint8_t uuid[AP_UUID_LEN], char out[AP_UUID_STR_LEN + 1]);

#endif
