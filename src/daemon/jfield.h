/*
 * jfield - typed access to the fields of a JSON document (json-c) with
 * messages naming the file, the field path and the bad value. Used by the
 * machine description loader; the control socket checks its requests with
 * the same helpers (a NULL err buffer only returns the errno).
 */
#ifndef APEMU_JFIELD_H
#define APEMU_JFIELD_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "mask.h"

/* Where messages go: "<name>: <path>: <what>" into err[0..errlen). */
struct jfield {
	const char *name;
	char *err;
	size_t errlen;
};

/* How ids of one kind are checked and named in messages. */
struct jfield_ids {
	const char *what;	 /* "adapter", "domain" */
	const char *limit_field; /* "max_adapter_id": names the limit with APXA */
	unsigned int limit;	 /* the highest valid id */
	bool extended;		 /* APXA: the limit is the field's value, else 63/15 */
};

int jfield_fail(struct jfield *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "domain 71 (0x47) above max_domain_id 15" or "... above 15, the limit without APXA". */
int jfield_fail_above(struct jfield *c, const char *path, const struct jfield_ids *spec,
		      unsigned long id);

/* "a number", "a string", "null", ... for "expected X, got Y" messages. */
const char *jfield_type_desc(struct json_object *o);

/* Fail on the first member of object o whose name is not in known (NULL-terminated);
 * the path is prefix.name. */
int jfield_check_known(struct jfield *c, struct json_object *o, const char *prefix,
		       const char *const *known);

/* A number in C syntax at *p (0x hex, 0 octal, decimal), no sign; *p moves past it. */
int jfield_parse_num(const char **p, unsigned long *ret);

/* min..max: a JSON integer or a string holding one number in C syntax. */
int jfield_uint(struct jfield *c, struct json_object *o, const char *path, unsigned long min,
		unsigned long max, unsigned long *ret);

/* Member key of root: true/false, or def when absent. */
int jfield_bool(struct jfield *c, struct json_object *root, const char *key, bool def, bool *ret);

/*
 * An id list: a string of comma-separated ids and ranges N-M ("4,0x47,0x10-0x1f",
 * blanks allowed around elements, "" for none) or an array of ids and such
 * strings. Every id must be <= spec->limit.
 */
int jfield_id_list(struct jfield *c, struct json_object *o, const char *path,
		   const struct jfield_ids *spec, struct ap_mask *ret);

/*
 * Parse text[0..len) as one JSON value (strict JSON, white space after it
 * allowed). Syntax errors: "<name>:<line>:<column>: JSON syntax error: <what>".
 */
int jfield_tokenize(struct jfield *c, const char *text, size_t len, struct json_object **ret);

#endif
