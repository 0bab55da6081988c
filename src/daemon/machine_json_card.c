/*
 * machine_json_card - the fields of an adapters[] element that depend on
 * the card kind: serial, functions, the EP11 card info (api_ordinal,
 * fw_version, op_modes) and the master-key verification patterns (mkvps).
 * See docs/machine-json.md; the rules themselves are machine.c's, this
 * file names the field when one is broken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexnum.h"
#include "machine_json_card.h"

static const char *const cca_regs[AP_CCA_MK_REGS] = {
    [AP_CCA_AES_NEW] = "aes_new",   [AP_CCA_AES_CUR] = "aes_cur",   [AP_CCA_AES_OLD] = "aes_old",
    [AP_CCA_APKA_NEW] = "apka_new", [AP_CCA_APKA_CUR] = "apka_cur", [AP_CCA_APKA_OLD] = "apka_old",
};

static const char *const ep11_regs[AP_EP11_WK_REGS] = {
    [AP_EP11_WK_CUR] = "wk_cur",
    [AP_EP11_WK_NEW] = "wk_new",
};

static const struct {
	const char *name;
	uint8_t state;
} mk_states[] = {
    {"empty", AP_MK_EMPTY},	    {"partial", AP_MK_PARTIAL}, {"full", AP_MK_FULL},
    {"invalid", AP_MK_INVALID},	    {"valid", AP_MK_VALID},	{"uncommitted", AP_MK_UNCOMMITTED},
    {"committed", AP_MK_COMMITTED},
};

/* The bit of a kernel operation mode name, -1 for none. */
static int op_mode_bit(const char *name)
{
	for (unsigned int bit = 0; bit < AP_EP11_OPM_BITS; bit++) {
		const char *n = machine_ep11_op_mode_name(bit);

		if (n && !strcmp(n, name))
			return (int)bit;
	}
	return -1;
}

static int get_string(struct jfield *jf, struct json_object *v, const char *path, const char **ret)
{
	*ret = "";
	if (!json_object_is_type(v, json_type_string))
		return jfield_fail(jf, path, "expected a string, got %s", jfield_type_desc(v));
	*ret = json_object_get_string(v);
	return 0;
}

static int parse_serial(struct jfield *jf, struct json_object *v, const char *path, bool single,
			struct ap_adapter_desc *d)
{
	size_t max = machine_serial_len(d->mode);
	const char *s;
	int r;

	if ((r = get_string(jf, v, path, &s)) < 0)
		return r;
	if (!single)
		return jfield_fail(jf, path, "a serial number needs a single \"id\", not \"ids\"");
	if (!max)
		return jfield_fail(jf, path, "an accelerator has no serial number");
	if (!*s || strlen(s) > max ||
	    strspn(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_.") !=
		strlen(s))
		return jfield_fail(jf, path,
				   "bad serial \"%s\" (1 to %zu letters and digits for %s)", s, max,
				   d->mode == AP_MODE_CCA ? "a CCA card" : "an EP11 card");
	d->serial = s;
	return 0;
}

static int parse_functions(struct jfield *jf, struct json_object *v, const char *path,
			   struct ap_adapter_desc *d)
{
	uint32_t want = machine_mode_function(d->mode);
	unsigned long n;
	int r;

	if ((r = jfield_uint(jf, v, path, 1, 0xffffffffu, &n)) < 0)
		return r;
	if ((n & (AP_FUNC_COPRO | AP_FUNC_ACCEL | AP_FUNC_EP11)) != want)
		return jfield_fail(jf, path,
				   "0x%08lx: of the mode bits 0x10000000 (CCA), 0x08000000 "
				   "(accelerator), 0x04000000 (EP11) it must have 0x%08x alone",
				   n, want);
	d->functions = (uint32_t)n;
	return 0;
}

/* "8.2": major.minor, each 0..255. */
static int parse_fw_version(struct jfield *jf, struct json_object *v, const char *path,
			    uint16_t *ret)
{
	unsigned int major, minor;
	const char *s;
	int n = 0, r;

	if ((r = get_string(jf, v, path, &s)) < 0)
		return r;
	if (sscanf(s, "%3u.%3u%n", &major, &minor, &n) != 2 || s[n] || major > 255 || minor > 255 ||
	    !(s[0] >= '0' && s[0] <= '9'))
		return jfield_fail(jf, path,
				   "bad firmware version \"%s\" (expected MAJOR.MINOR, "
				   "each 0..255, e.g. \"8.2\")",
				   s);
	*ret = (uint16_t)(major << 8 | minor);
	return 0;
}

static int parse_op_modes(struct jfield *jf, struct json_object *v, const char *path, uint32_t *ret)
{
	char epath[128];
	uint32_t m = 0;

	if (!json_object_is_type(v, json_type_array))
		return jfield_fail(jf, path, "expected an array of mode names, got %s",
				   jfield_type_desc(v));
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *s;
		int bit, r;

		snprintf(epath, sizeof(epath), "%s[%zu]", path, i);
		if ((r = get_string(jf, e, epath, &s)) < 0)
			return r;
		bit = op_mode_bit(s);
		if (bit < 0)
			return jfield_fail(jf, epath,
					   "unknown operation mode \"%s\" (expected FIPS2009, "
					   "BSI2009, FIPS2011, BSI2011 or BSICC2017)",
					   s);
		m |= 1u << bit;
	}
	*ret = m;
	return 0;
}

static int parse_ep11_info(struct jfield *jf, struct json_object *o, const char *path,
			   struct ap_adapter_desc *d, struct ap_ep11_info *info)
{
	static const char *const keys[] = {"api_ordinal", "fw_version", "op_modes"};
	struct json_object *v;
	char fpath[96];
	unsigned long n;
	bool any = false;
	int r = 0;

	machine_ep11_default(d->gen, info);
	for (size_t i = 0; i < 3; i++) {
		if (!json_object_object_get_ex(o, keys[i], &v))
			continue;
		snprintf(fpath, sizeof(fpath), "%s.%s", path, keys[i]);
		if (d->mode != AP_MODE_EP11)
			return jfield_fail(jf, fpath, "only an EP11 card (CEXnP) has %s", keys[i]);
		any = true;
		if (i == 0 && (r = jfield_uint(jf, v, fpath, 0, 0xffffffffu, &n)) >= 0)
			info->api_ordinal = (uint32_t)n;
		else if (i == 1)
			r = parse_fw_version(jf, v, fpath, &info->fw_version);
		else if (i == 2)
			r = parse_op_modes(jf, v, fpath, &info->op_modes);
		if (r < 0)
			return r;
	}
	if (any)
		d->ep11 = info;
	return 0;
}

/* "-", "STATE" or "STATE 0xHEX" with hexlen digits; which states fit is machine.c's rule. */
static int parse_mk_reg(struct jfield *jf, const char *path, const char *s, size_t hexlen,
			uint8_t *ret_state, uint8_t *ret_vp)
{
	const char *sp = strchr(s, ' '); /* s is set: get_string's contract */
	size_t wlen = sp ? (size_t)(sp - s) : strlen(s);

	if (!strcmp(s, "-")) {
		*ret_state = AP_MK_NONE;
		return 0;
	}
	for (size_t i = 0; i < sizeof(mk_states) / sizeof(mk_states[0]); i++) {
		if (strlen(mk_states[i].name) != wlen || strncmp(s, mk_states[i].name, wlen))
			continue;
		*ret_state = mk_states[i].state;
		memset(ret_vp, 0, hexlen / 2);
		if (!sp)
			return 0;
		if (strncmp(sp + 1, "0x", 2) || strlen(sp + 3) != hexlen ||
		    hexnum_bytes(sp + 3, hexlen, ret_vp) < 0)
			break;
		return 0;
	}
	return jfield_fail(jf, path,
			   "bad pattern \"%s\" (expected \"-\", a state, or a state and 0x with "
			   "%zu hex digits, e.g. \"valid 0x%.*s\")",
			   s, hexlen, (int)hexlen,
			   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
}

static int parse_mkvps(struct jfield *jf, struct json_object *o, const char *path,
		       struct ap_adapter_desc *d, struct ap_mkvps *k)
{
	bool ep11 = d->mode == AP_MODE_EP11;
	const char *const *regs = ep11 ? ep11_regs : cca_regs;
	size_t nregs = ep11 ? AP_EP11_WK_REGS : AP_CCA_MK_REGS;
	const char *known[AP_CCA_MK_REGS + 1] = {NULL};
	struct json_object *v;
	char fpath[128];
	int r;

	if (d->mode == AP_MODE_ACCEL)
		return jfield_fail(jf, path, "an accelerator has no master keys");
	if (!json_object_is_type(o, json_type_object))
		return jfield_fail(jf, path, "expected an object, got %s", jfield_type_desc(o));
	for (size_t i = 0; i < nregs; i++)
		known[i] = regs[i];
	if ((r = jfield_check_known(jf, o, path, known)) < 0)
		return r;
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < nregs; i++) {
		uint8_t vp[AP_EP11_WKVP_LEN], *state;
		const char *s;

		if (!json_object_object_get_ex(o, regs[i], &v))
			continue;
		snprintf(fpath, sizeof(fpath), "%s.%s", path, regs[i]);
		if ((r = get_string(jf, v, fpath, &s)) < 0)
			return r;
		state = ep11 ? &k->ep11_state[i] : &k->cca_state[i];
		if ((r = parse_mk_reg(jf, fpath, s, ep11 ? 2 * AP_EP11_WKVP_LEN : 16, state, vp)) <
		    0)
			return r;
		if (ep11) {
			memcpy(k->ep11_vp[i], vp, AP_EP11_WKVP_LEN);
		} else {
			k->cca_vp[i] = 0;
			for (size_t b = 0; b < 8; b++)
				k->cca_vp[i] = k->cca_vp[i] << 8 | vp[b];
		}
	}
	d->mkvps = k;
	return 0;
}

static int check_mkvps_states(struct jfield *jf, const char *path, const struct ap_adapter_desc *d)
{
	struct ap_adapter_desc probe = *d;
	struct ap_machine *m = calloc(1, sizeof(*m));
	struct ap_machine_info info = {.qci = true, .apxa = true, .na = 255, .nd = 255};
	int r;

	if (!m)
		return jfield_fail(jf, path, "out of memory");
	probe.id = 0;
	probe.serial = NULL;
	probe.functions = 0;
	probe.ep11 = NULL;
	r = machine_init(m, &info);
	if (r >= 0)
		r = machine_add_adapter(m, &probe);
	free(m);
	if (r < 0)
		return jfield_fail(
		    jf, path,
		    "a state that register cannot have (new: empty, partial, full for "
		    "CCA, empty, uncommitted, committed for EP11; current and old: "
		    "invalid, valid)");
	return 0;
}

int machine_json_card_parse(struct jfield *jf, struct json_object *o, const char *path, bool single,
			    struct ap_adapter_desc *d, struct machine_json_card_scratch *scratch)
{
	struct json_object *v;
	char fpath[96];
	int r;

	d->serial = NULL;
	d->functions = 0;
	d->ep11 = NULL;
	d->mkvps = NULL;
	snprintf(fpath, sizeof(fpath), "%s.serial", path);
	if (json_object_object_get_ex(o, "serial", &v) &&
	    (r = parse_serial(jf, v, fpath, single, d)) < 0)
		return r;
	snprintf(fpath, sizeof(fpath), "%s.functions", path);
	if (json_object_object_get_ex(o, "functions", &v) &&
	    (r = parse_functions(jf, v, fpath, d)) < 0)
		return r;
	if ((r = parse_ep11_info(jf, o, path, d, &scratch->ep11)) < 0)
		return r;
	snprintf(fpath, sizeof(fpath), "%s.mkvps", path);
	if (json_object_object_get_ex(o, "mkvps", &v)) {
		if ((r = parse_mkvps(jf, v, fpath, d, &scratch->mkvps)) < 0)
			return r;
		return check_mkvps_states(jf, fpath, d);
	}
	return 0;
}
