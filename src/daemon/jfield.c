/*
 * jfield - typed access to the fields of a parsed JSON document, with
 * messages that name the file, the field path and the bad value:
 * "machine.json: adapters[2].type: unknown adapter type ..." and, for syntax
 * errors, "machine.json:3:16: JSON syntax error: ...".
 *
 * Every function that fails writes the message to the context (if it has a
 * buffer) and returns -EINVAL (-ENOMEM when out of memory); results go to
 * ret only on success.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jfield.h"

/* Write "<file>: <path>: <message>" (path NULL: "<file>: <message>") and return -EINVAL. */
/* Write "<file>: <path>: <message>" and return -EINVAL. */
int jfield_fail(struct jfield *c, const char *path, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	if (!c->err || !c->errlen)
		return -EINVAL;
	if (path)
		snprintf(c->err, c->errlen, "%s: %s: ", c->name, path);
	else
		snprintf(c->err, c->errlen, "%s: ", c->name);
	n = strlen(c->err);
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *jfield_type_desc(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a fractional number";
	case json_type_int:
		return "a number";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "something else";
}

int jfield_check_known(struct jfield *c, struct json_object *o, const char *prefix,
		       const char *const *known)
{
	char path[96];

	json_object_object_foreach(o, key, val)
	{
		const char *const *k;

		(void)val;
		for (k = known; *k && strcmp(*k, key); k++)
			;
		if (*k)
			continue;
		snprintf(path, sizeof(path), "%s%s%s", prefix ? prefix : "", prefix ? "." : "",
			 key);
		return jfield_fail(c, path, "unknown field");
	}
	return 0;
}

/* A number in C syntax at *p (0x hex, 0 octal, decimal), no sign. */
int jfield_parse_num(const char **p, unsigned long *ret)
{
	char *end;
	unsigned long v;

	if (**p < '0' || **p > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(*p, &end, 0);
	if (errno)
		return -ERANGE;
	*p = end;
	*ret = v;
	return 0;
}

/* A non-negative integer: a JSON integer or a string holding one number. */
int jfield_uint(struct jfield *c, struct json_object *o, const char *path, unsigned long min,
		unsigned long max, unsigned long *ret)
{
	unsigned long v;

	if (json_object_is_type(o, json_type_int)) {
		int64_t i = json_object_get_int64(o);

		if (i < 0 || (uint64_t)i < min || (uint64_t)i > max)
			return jfield_fail(c, path, "%lld out of range (%lu..%lu)", (long long)i,
					   min, max);
		v = (unsigned long)i;
	} else if (json_object_is_type(o, json_type_string)) {
		const char *s = json_object_get_string(o), *p = s;

		if (jfield_parse_num(&p, &v) < 0 || *p)
			return jfield_fail(c, path, "bad number \"%s\"", s);
		if (v < min || v > max)
			return jfield_fail(c, path, "%s out of range (%lu..%lu)", s, min, max);
	} else {
		return jfield_fail(c, path, "expected an integer, got %s", jfield_type_desc(o));
	}
	*ret = v;
	return 0;
}

int jfield_bool(struct jfield *c, struct json_object *root, const char *key, bool def, bool *ret)
{
	struct json_object *o;

	if (!json_object_object_get_ex(root, key, &o)) {
		*ret = def;
		return 0;
	}
	if (!json_object_is_type(o, json_type_boolean))
		return jfield_fail(c, key, "expected true or false, got %s", jfield_type_desc(o));
	*ret = json_object_get_boolean(o);
	return 0;
}

/* "domain 71 (0x47) above max_domain_id 15" and friends. */
int jfield_fail_above(struct jfield *c, const char *path, const struct jfield_ids *spec,
		      unsigned long id)
{
	if (spec->extended)
		return jfield_fail(c, path, "%s %lu (0x%02lx) above %s %u", spec->what, id, id,
				   spec->limit_field, spec->limit);
	return jfield_fail(c, path, "%s %lu (0x%02lx) above %u, the limit without APXA", spec->what,
			   id, id, spec->limit);
}

/* One element of an id list text: N or N-M. */
static int id_elem(struct jfield *c, const char *path, const char *elem,
		   const struct jfield_ids *spec, struct ap_mask *m)
{
	const char *p = elem;
	unsigned long a, b;

	if (jfield_parse_num(&p, &a) < 0)
		goto bad;
	b = a;
	if (*p == '-') {
		p++;
		if (jfield_parse_num(&p, &b) < 0)
			goto bad;
	}
	if (*p)
		goto bad;
	if (a > b)
		return jfield_fail(c, path, "bad range \"%s\" (start above end)", elem);
	if (b > spec->limit)
		return jfield_fail_above(c, path, spec, a > spec->limit ? a : b);
	for (unsigned long id = a; id <= b; id++)
		ap_mask_set(m, (unsigned int)id);
	return 0;
bad:
	return jfield_fail(
	    c, path, "bad id \"%s\" (expected a number or a range N-M, e.g. 4, 0x47, 0x10-0x1f)",
	    elem);
}

/* "4,0x47,0x10-0x1f": comma-separated ids and ranges; blanks around them are allowed. */
static int id_text(struct jfield *c, const char *path, const char *s, const struct jfield_ids *spec,
		   struct ap_mask *m)
{
	char elem[64];

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return 0;
	for (;;) {
		const char *end = strchr(s, ',');
		size_t n = end ? (size_t)(end - s) : strlen(s);
		int r;

		while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (!n)
			return jfield_fail(c, path, "empty element in id list");
		if (n >= sizeof(elem))
			return jfield_fail(c, path, "bad id \"%.*s...\" (too long)", 20, s);
		memcpy(elem, s, n);
		elem[n] = '\0';
		r = id_elem(c, path, elem, spec, m);
		if (r < 0)
			return r;
		if (!end)
			return 0;
		s = end + 1;
		while (*s == ' ' || *s == '\t')
			s++;
	}
}

/* An id list: a string (parse_id_text) or an array of numbers and such strings. */
int jfield_id_list(struct jfield *c, struct json_object *o, const char *path,
		   const struct jfield_ids *spec, struct ap_mask *ret)
{
	struct ap_mask m;
	char epath[96];
	int r = 0;

	ap_mask_zero(&m);
	if (json_object_is_type(o, json_type_string)) {
		r = id_text(c, path, json_object_get_string(o), spec, &m);
	} else if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);

		for (size_t i = 0; i < n && r >= 0; i++) {
			struct json_object *e = json_object_array_get_idx(o, i);
			unsigned long id;

			snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
			if (json_object_is_type(e, json_type_string)) {
				r = id_text(c, epath, json_object_get_string(e), spec, &m);
			} else if (json_object_is_type(e, json_type_int)) {
				r = jfield_uint(c, e, epath, 0, 255, &id);
				if (r >= 0 && id > spec->limit)
					r = jfield_fail_above(c, epath, spec, id);
				if (r >= 0)
					ap_mask_set(&m, (unsigned int)id);
			} else {
				r = jfield_fail(c, epath,
						"expected an id or a string of ids, got %s",
						jfield_type_desc(e));
			}
		}
	} else {
		r = jfield_fail(
		    c, path, "expected a string of ids (\"4,0x47,0x10-0x1f\") or an array, got %s",
		    jfield_type_desc(o));
	}
	if (r < 0)
		return r;
	*ret = m;
	return 0;
}

/* Line and column (from 1) of byte off. */
static void text_pos(const char *text, size_t off, unsigned int *line, unsigned int *col)
{
	size_t bol = 0;

	*line = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			bol = i + 1;
		}
	}
	*col = (unsigned int)(off - bol + 1);
}

static int syntax_error(struct jfield *c, const char *text, size_t off, const char *what)
{
	unsigned int line, col;

	text_pos(text, off, &line, &col);
	if (c->err && c->errlen)
		snprintf(c->err, c->errlen, "%s:%u:%u: JSON syntax error: %s", c->name, line, col,
			 what);
	return -EINVAL;
}

/* Tokenize strictly; on failure report the line and column. */
int jfield_tokenize(struct jfield *c, const char *text, size_t len, struct json_object **ret)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error jerr;
	const char *nul = memchr(text, '\0', len);
	size_t end;

	if (nul)
		return syntax_error(c, text, (size_t)(nul - text), "NUL byte in the text");
	if (len > INT_MAX)
		return syntax_error(c, text, 0, "file too large");
	tok = json_tokener_new();
	if (!tok)
		return -ENOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue || (jerr == json_tokener_success && !root && !len))
		return syntax_error(c, text, len, "unexpected end of file");
	if (jerr != json_tokener_success) {
		json_object_put(root);
		return syntax_error(c, text, end, json_tokener_error_desc(jerr));
	}
	/* text[0..len) need not be NUL-terminated (a fuzzer found strspn reading on) */
	while (end < len &&
	       (text[end] == ' ' || text[end] == '\t' || text[end] == '\r' || text[end] == '\n'))
		end++;
	if (end < len) {
		json_object_put(root);
		return syntax_error(c, text, end, "text after the end of the JSON object");
	}
	*ret = root;
	return 0;
}
