/*
 * guest_parse - the line language of `apemu guest` (see guest_parse.h).
 *
 * Each command has a table row: its word, how many arguments it takes and
 * a parser for them. Every error names the command and the token (or says
 * which one is missing), so a user can fix the line at a glance.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ap_arch.h"
#include "guest_parse.h"
#include "hexnum.h"

#define MAX_TOKENS	20 /* raw: the word, OPC, R1, R2 and 16 registers */
#define READ_MAX	65536u
#define IRQ_TIMEOUT_MAX 600000u

struct ctx {
	char **tok; /* tok[0] is the command word */
	int n;	    /* number of tokens */
	struct guest_line *l;
	char *err;
	size_t errlen;
	const char *usage;
};

static int fail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct ctx *c, const char *fmt, ...)
{
	size_t n;
	va_list ap;

	snprintf(c->err, c->errlen, "%s: ", c->tok[0]);
	n = strlen(c->err);
	va_start(ap, fmt);
	vsnprintf(c->err + n, c->errlen - n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* AA.DDDD: exactly two and four hex digits; the domain fits 8 bits. */
static int parse_apqn(struct ctx *c, const char *s)
{
	unsigned int apid, apqi;

	if (strlen(s) != 7 || s[2] != '.' || hexnum_fixed(s, 2, false, &apid) < 0 ||
	    hexnum_fixed(s + 3, 4, false, &apqi) < 0)
		goto bad;
	if (apqi > 0xff)
		return fail(c, "bad APQN \"%s\": domain 0x%x above 0xff", s, apqi);
	c->l->apqn = (uint16_t)(apid << 8 | apqi);
	return 0;
bad:
	return fail(c, "bad APQN \"%s\" (expected AA.DDDD in hex, e.g. 04.0005)", s);
}

/* An unsigned number in C syntax, at most max. */
static int parse_num(struct ctx *c, const char *what, const char *s, uint64_t max, uint64_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *s == '-' || *s == '+' || *s == ' ' || *s == '\t' || *end || errno)
		return fail(c, "bad %s \"%s\" (expected a number, e.g. 12 or 0x1f)", what, s);
	if (v > max)
		return fail(c, "bad %s \"%s\": above %llu", what, s, (unsigned long long)max);
	*ret = v;
	return 0;
}

/* An even number of hex digits into a new buffer. */
static int parse_hex(struct ctx *c, const char *what, const char *s)
{
	size_t len = strlen(s), good = hexnum_span(s, len);
	uint8_t *data;

	if (len % 2)
		return fail(c, "bad %s \"%s\": odd number of hex digits (%zu)", what, s, len);
	if (good < len)
		return fail(c, "bad %s \"%s\": '%c' is not a hex digit", what, s, s[good]);
	data = malloc(len / 2 ? len / 2 : 1);
	if (!data)
		return -ENOMEM;
	hexnum_bytes(s, len, data); /* cannot fail: checked above */
	c->l->data = data;
	c->l->data_len = len / 2;
	return 0;
}

static int parse_onoff(struct ctx *c, const char *s, bool *ret)
{
	static const char *const on[] = {"on", "1", "yes", "true"};
	static const char *const off[] = {"off", "0", "no", "false"};

	for (size_t i = 0; i < sizeof(on) / sizeof(on[0]); i++) {
		if (!strcmp(s, on[i]) || !strcmp(s, off[i])) {
			*ret = !strcmp(s, on[i]);
			return 0;
		}
	}
	return fail(c, "expected on or off, got \"%s\"", s);
}

/* An optional single-letter flag argument (tapq t, rapq f). */
static int parse_flag(struct ctx *c, const char *s, const char *flag)
{
	if (strcmp(s, flag))
		return fail(c, "unexpected argument \"%s\" (expected %s)", s, flag);
	c->l->on = true;
	return 0;
}

/* ---- per command (the argument counts are checked before) ---- */

static int p_none(struct ctx *c)
{
	(void)c;
	return 0;
}

static int p_apqn_flag(struct ctx *c)
{
	int r = parse_apqn(c, c->tok[1]);

	if (r == 0 && c->n > 2)
		r = parse_flag(c, c->tok[2], c->l->op == GUEST_TAPQ ? "t" : "f");
	return r;
}

static int p_aqic(struct ctx *c)
{
	uint64_t v;
	int r = parse_apqn(c, c->tok[1]);

	if (r == 0 && c->n < 3)
		return fail(c, "missing on or off (usage: %s)", c->usage);
	if (r == 0)
		r = parse_onoff(c, c->tok[2], &c->l->on);
	if (r == 0 && !c->l->on && c->n > 3)
		return fail(c, "unexpected argument \"%s\" (aqic ... off takes none)", c->tok[3]);
	if (r == 0 && c->n > 3) {
		r = parse_num(c, "ISC", c->tok[3], 7, &v);
		c->l->isc = (uint8_t)v;
		c->l->has_isc = true;
	}
	if (r == 0 && c->n > 4) {
		r = parse_num(c, "notification byte address", c->tok[4], UINT64_MAX, &c->l->addr);
		c->l->has_addr = true;
	}
	return r;
}

static int p_nqap(struct ctx *c)
{
	int r = parse_apqn(c, c->tok[1]);

	if (r == 0)
		r = parse_hex(c, "message", c->tok[2]);
	if (r == 0 && c->n > 3) {
		r = parse_num(c, "PSMID", c->tok[3], UINT64_MAX, &c->l->psmid);
		c->l->has_psmid = true;
	}
	return r;
}

static int p_dqap(struct ctx *c)
{
	int r = parse_apqn(c, c->tok[1]);

	if (r == 0 && c->n > 2) {
		r = parse_num(c, "buffer length", c->tok[2], UINT32_MAX, &c->l->len);
		c->l->has_len = true;
	}
	return r;
}

static int p_raw(struct ctx *c)
{
	static const struct {
		const char *name;
		uint16_t opc;
	} names[] = {{"pqap", AP_OPC_PQAP}, {"nqap", AP_OPC_NQAP}, {"dqap", AP_OPC_DQAP}};
	uint64_t v;
	int r = -EINVAL;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(c->tok[1], names[i].name)) {
			c->l->opcode = names[i].opc;
			r = 0;
		}
	if (r < 0) {
		r = parse_num(c, "opcode", c->tok[1], 0xffff, &v);
		c->l->opcode = (uint16_t)v;
	}
	if (r == 0)
		r = parse_num(c, "R1", c->tok[2], 15, &v);
	c->l->r1 = (uint8_t)v;
	if (r == 0)
		r = parse_num(c, "R2", c->tok[3], 15, &v);
	c->l->r2 = (uint8_t)v;
	for (int i = 4; r == 0 && i < c->n; i++) {
		char what[16];

		snprintf(what, sizeof(what), "GR%d", i - 4);
		r = parse_num(c, what, c->tok[i], UINT64_MAX, &c->l->gr[i - 4]);
	}
	return r;
}

static int p_onoff(struct ctx *c)
{
	return parse_onoff(c, c->tok[1], &c->l->on);
}

static int p_nested(struct ctx *c)
{
	bool on = true;

	if (parse_onoff(c, c->tok[1], &on) == 0 && !on)
		return 0;
	c->err[0] = '\0';
	c->l->on = true;
	return parse_num(c, "SCB address", c->tok[1], UINT64_MAX, &c->l->addr);
}

/* 8-4-4-4-12 hex digits; stored in lower case. */
static bool uuid_ok(const char *s, char out[GUEST_UUID_LEN + 1])
{
	if (strlen(s) != GUEST_UUID_LEN)
		return false;
	for (int i = 0; i < GUEST_UUID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? s[i] != '-' : hexnum_digit((unsigned char)s[i]) >= 16)
			return false;
		out[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
	}
	out[GUEST_UUID_LEN] = '\0';
	return true;
}

bool guest_parse_uuid(const char *s, char out[GUEST_UUID_LEN + 1])
{
	char tmp[GUEST_UUID_LEN + 1];

	if (!uuid_ok(s, tmp))
		return false;
	memcpy(out, tmp, sizeof(tmp));
	return true;
}

static int p_open(struct ctx *c)
{
	if (c->n < 2)
		return 0; /* release without a UUID: the only open mdev */
	if (!guest_parse_uuid(c->tok[1], c->l->uuid))
		return fail(c, "bad UUID \"%s\" (expected 8-4-4-4-12 hex digits)", c->tok[1]);
	return 0;
}

static int p_irq(struct ctx *c)
{
	if (c->n < 2)
		return 0;
	c->l->has_len = true;
	return parse_num(c, "timeout", c->tok[1], IRQ_TIMEOUT_MAX, &c->l->len);
}

static int p_read(struct ctx *c)
{
	int r = parse_num(c, "address", c->tok[1], UINT64_MAX, &c->l->addr);

	if (r == 0)
		r = parse_num(c, "length", c->tok[2], READ_MAX, &c->l->len);
	return r;
}

static int p_write(struct ctx *c)
{
	int r = parse_num(c, "address", c->tok[1], UINT64_MAX, &c->l->addr);

	if (r == 0)
		r = parse_hex(c, "data", c->tok[2]);
	return r;
}

static const struct command {
	const char *name;
	enum guest_op op;
	int min, max; /* arguments after the word */
	const char *usage;
	const char *first; /* what the first argument is, for "missing" */
	int (*parse)(struct ctx *c);
} commands[] = {
    {"tapq", GUEST_TAPQ, 1, 2, "tapq APQN [t]", "APQN", p_apqn_flag},
    {"rapq", GUEST_RAPQ, 1, 2, "rapq APQN [f]", "APQN", p_apqn_flag},
    {"zapq", GUEST_ZAPQ, 1, 2, "zapq APQN [f]", "APQN", p_apqn_flag},
    {"aqic", GUEST_AQIC, 1, 4, "aqic APQN on [ISC [NIB-ADDR]] | aqic APQN off", "APQN", p_aqic},
    {"qci", GUEST_QCI, 0, 0, "qci", NULL, p_none},
    {"nqap", GUEST_NQAP, 2, 3, "nqap APQN HEX-MESSAGE [PSMID]", "APQN", p_nqap},
    {"dqap", GUEST_DQAP, 1, 2, "dqap APQN [BUFLEN]", "APQN", p_dqap},
    {"poll", GUEST_POLL, 1, 2, "poll APQN [BUFLEN]", "APQN", p_dqap},
    {"raw", GUEST_RAW, 3, 19, "raw OPC R1 R2 [GR0 ... GR15]", "OPC", p_raw},
    {"crycb", GUEST_CRYCB, 0, 0, "crycb", NULL, p_none},
    {"info", GUEST_INFO, 0, 0, "info", NULL, p_none},
    {"reset", GUEST_RESET, 0, 0, "reset", NULL, p_none},
    {"problem", GUEST_PROBLEM, 1, 1, "problem on|off", "on or off", p_onoff},
    {"nested", GUEST_NESTED, 1, 1, "nested SCB-ADDR | nested off", "SCB-ADDR or off", p_nested},
    {"release", GUEST_RELEASE, 0, 1, "release [UUID]", NULL, p_open},
    {"open", GUEST_OPEN, 1, 1, "open UUID", "UUID", p_open},
    {"guest", GUEST_GUEST, 0, 0, "guest", NULL, p_none},
    {"irq", GUEST_IRQ, 0, 1, "irq [TIMEOUT-MS]", NULL, p_irq},
    {"read", GUEST_READ, 2, 2, "read ADDR LEN", "ADDR", p_read},
    {"write", GUEST_WRITE, 2, 2, "write ADDR HEX-DATA", "ADDR", p_write},
};

/* Split buf in place at blanks; -E2BIG past MAX_TOKENS (*ret_extra: the first one too many). */
static int tokenize(char *buf, char **tok, int *ret_n, char **ret_extra)
{
	int n = 0;

	for (char *p = buf;;) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (!*p)
			break;
		if (n == MAX_TOKENS) {
			*ret_extra = p;
			p[strcspn(p, " \t")] = '\0';
			return -E2BIG;
		}
		tok[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	*ret_n = n;
	return 0;
}

static int parse_tokens(struct ctx *c)
{
	const struct command *cmd = NULL;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]) && !cmd; i++)
		if (!strcmp(c->tok[0], commands[i].name))
			cmd = &commands[i];
	if (!cmd) {
		snprintf(c->err, c->errlen, "unknown instruction \"%s\"", c->tok[0]);
		return -EINVAL;
	}
	c->l->op = cmd->op;
	c->l->name = cmd->name;
	c->usage = cmd->usage;
	if (c->n - 1 < cmd->min) {
		if (c->n == 1 && cmd->first)
			return fail(c, "missing %s (usage: %s)", cmd->first, cmd->usage);
		return fail(c, "missing arguments after \"%s\" (usage: %s)", c->tok[c->n - 1],
			    cmd->usage);
	}
	if (c->n - 1 > cmd->max)
		return fail(c, "unexpected argument \"%s\" (usage: %s)", c->tok[cmd->max + 1],
			    cmd->usage);
	return cmd->parse(c);
}

int guest_parse_line(const char *line, struct guest_line *ret, char *err, size_t errlen)
{
	char *tok[MAX_TOKENS], *extra = NULL;
	struct ctx c = {.tok = tok, .l = ret, .err = err, .errlen = errlen};
	size_t len = strlen(line);
	char *buf;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (errlen)
		err[0] = '\0';
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	buf = strndup(line, len);
	if (!buf)
		return -ENOMEM;
	if (buf[strspn(buf, " \t")] == '#') {
		free(buf);
		return 0; /* a comment: GUEST_NOP */
	}
	r = tokenize(buf, tok, &c.n, &extra);
	if (r == -E2BIG)
		r = fail(&c, "unexpected argument \"%s\": too many arguments", extra);
	else if (c.n == 0)
		ret->op = GUEST_NOP;
	else
		r = parse_tokens(&c);
	free(buf);
	if (r < 0)
		guest_line_clear(ret);
	return r;
}

void guest_line_clear(struct guest_line *l)
{
	free(l->data);
	memset(l, 0, sizeof(*l));
}
