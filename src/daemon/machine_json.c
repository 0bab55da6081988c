/*
 * machine_json - the machine description loader (see machine_json.h and
 * docs/machine-json.md).
 *
 * Everything is parsed into a scratch struct machine_json and copied out
 * only when the whole description is valid. The first mistake ends the
 * parse; its message names the file, the field path and the bad value.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <json-c/json.h>

#include "cleanup.h"
#include "jfield.h"
#include "machine_json.h"
#include "machine_json_card.h"
#include "vfio_module.h"

#define MACHINE_JSON_MAX_SIZE (4u << 20)

/* The vfio-ap documentation's example (adapters 5 and 6, domains 4, 0x47,
 * 0xab, 0xff) plus two accelerators and an EP11 coprocessor. */
const char machine_json_default[] =
    "{\n"
    "  \"abi\": \"cur\",\n"
    "  \"qci\": true, \"apft\": true, \"aqic\": true,\n"
    "  \"features\": [\"APSC\", \"APXA\", \"QACT\", \"RC8A\"],\n"
    "  \"max_adapter_id\": 255, \"max_domain_id\": 255,\n"
    "  \"usage_domains\": \"4,0x47,0xab,0xff\",\n"
    "  \"control_domains\": \"4,0x47,0xab,0xff\",\n"
    "  \"default_domain\": 4,\n"
    "  \"adapters\": [\n"
    "    {\"id\": \"0x05\", \"type\": \"CEX5C\", \"serial\": \"93AADFK7\"},\n"
    "    {\"id\": \"0x06\", \"type\": \"CEX5A\"},\n"
    "    {\"id\": \"0x07\", \"type\": \"CEX8A\"},\n"
    "    {\"id\": \"0x08\", \"type\": \"CEX8A\"},\n"
    "    {\"id\": \"0x0b\", \"type\": \"CEX8P\", \"api_ordinal\": 6, \"fw_version\": \"8.2\",\n"
    "     \"op_modes\": [\"FIPS2011\"]}\n"
    "  ]\n"
    "}\n";

/* The default machine's domains: what a description without domain lists
 * gets (those within its domain limit). */
static const unsigned int default_domains[] = {0x04, 0x47, 0xab, 0xff};

static const char *const top_fields[] = {
    "abi",
    "apxa",
    "features",
    "qci",
    "apft",
    "aqic",
    "max_adapter_id",
    "max_domain_id",
    "usage_domains",
    "control_domains",
    "default_domain",
    "adapters",
    "apmask",
    "aqmask",
    "max_instances",
    "vfio_ap",
    NULL,
};

static const char *const adapter_fields[] = {
    "id",	 "ids",		"type",	      "depth",	  "max_msg_size", "serial",
    "functions", "api_ordinal", "fw_version", "op_modes", "mkvps",	  NULL,
};

/* Parse state: the file name for messages and the scratch result. */
struct mj {
	struct jfield jf;
	const char *abi; /* NULL, or the ABI given apart that replaces "abi" */
	struct machine_json out;
	bool extended;	       /* QCI and APXA: the limits come from Na/Nd */
	unsigned int max_apid; /* the limits in force */
	unsigned int max_apqi;
	int defined_by[AP_DEVICES]; /* adapters[] index that defined each id, -1 */
};

static int parse_abi(struct mj *c, struct json_object *root)
{
	struct json_object *o;
	const char *s;

	c->out.abi = AP_ABI_CUR;
	if (c->abi) {
		c->out.abi = strcmp(c->abi, "v8") ? AP_ABI_CUR : AP_ABI_V8;
		return 0;
	}
	if (!json_object_object_get_ex(root, "abi", &o))
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return jfield_fail(&c->jf, "abi", "expected \"cur\" or \"v8\", got %s",
				   jfield_type_desc(o));
	s = json_object_get_string(o);
	if (!strcmp(s, "cur"))
		c->out.abi = AP_ABI_CUR;
	else if (!strcmp(s, "v8"))
		c->out.abi = AP_ABI_V8;
	else
		return jfield_fail(&c->jf, "abi", "unknown ABI \"%s\" (expected \"cur\" or \"v8\")",
				   s);
	return 0;
}

/* max_adapter_id / max_domain_id: up to 255 with APXA, else up to the architecture's limit. */
static int parse_max_id(struct mj *c, struct json_object *root, const char *key,
			unsigned int no_apxa_limit, uint8_t *ret)
{
	struct json_object *o;
	unsigned long v;
	int r;

	*ret = (uint8_t)(c->extended ? 255 : no_apxa_limit);
	if (!json_object_object_get_ex(root, key, &o))
		return 0;
	r = jfield_uint(&c->jf, o, key, 0, c->extended ? 255 : ULONG_MAX, &v);
	if (r < 0)
		return r;
	if (!c->extended && v > no_apxa_limit)
		return jfield_fail(&c->jf, key, "%lu above %u, the limit without APXA", v,
				   no_apxa_limit);
	*ret = (uint8_t)v;
	return 0;
}

/* The QCI facilities the bus's features file names, in the kernel's order. */
static const char *const feature_names[] = {"APSC", "APXA", "QACT", "RC8A", "APSB"};

static bool *feature_flag(struct ap_machine_info *info, size_t i)
{
	bool *flags[] = {&info->apsc, &info->apxa, &info->qact, &info->rc8a, &info->apsb};

	return flags[i];
}

static int parse_feature(struct mj *c, const char *path, const char *name, size_t len,
			 struct ap_machine_info *info)
{
	for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++)
		if (strlen(feature_names[i]) == len && !strncmp(feature_names[i], name, len)) {
			*feature_flag(info, i) = true;
			return 0;
		}
	return jfield_fail(&c->jf, path,
			   "unknown facility \"%.*s\" (expected APSC, APXA, QACT, RC8A or APSB)",
			   (int)len, name);
}

/* "features": an array of facility names, or one string of them separated by blanks. */
static int parse_features(struct mj *c, struct json_object *o, struct ap_machine_info *info)
{
	char path[48];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++)
		*feature_flag(info, i) = false;
	if (json_object_is_type(o, json_type_string)) {
		const char *p = json_object_get_string(o);

		while (*(p += strspn(p, " ")))
			if ((r = parse_feature(c, "features", p, strcspn(p, " "), info)) < 0)
				return r;
			else
				p += strcspn(p, " ");
		return 0;
	}
	if (!json_object_is_type(o, json_type_array))
		return jfield_fail(&c->jf, "features",
				   "expected an array of facility names, got %s",
				   jfield_type_desc(o));
	for (size_t i = 0; i < json_object_array_length(o); i++) {
		struct json_object *e = json_object_array_get_idx(o, i);

		snprintf(path, sizeof(path), "features[%zu]", i);
		if (!json_object_is_type(e, json_type_string))
			return jfield_fail(&c->jf, path, "expected a facility name, got %s",
					   jfield_type_desc(e));
		r = parse_feature(c, path, json_object_get_string(e),
				  strlen(json_object_get_string(e)), info);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * The QCI facility bits: "features" names them all (APXA included, which
 * "apxa" may repeat but not contradict); without it the built-in machine's
 * APSC, QACT and RC8A, and APXA as "apxa" says (default: with QCI).
 */
static int parse_qci_bits(struct mj *c, struct json_object *root, struct ap_machine_info *info)
{
	struct json_object *o, *a;
	bool apxa;
	int r;

	if (!json_object_object_get_ex(root, "features", &o)) {
		info->apsc = info->qact = info->rc8a = info->qci;
		info->apsb = false;
		return jfield_bool(&c->jf, root, "apxa", info->qci, &info->apxa);
	}
	if ((r = parse_features(c, o, info)) < 0)
		return r;
	if (!info->qci && (info->apsc || info->apxa || info->qact || info->rc8a || info->apsb))
		return jfield_fail(&c->jf, "features",
				   "the facilities are reported by QCI: they need \"qci\": true");
	if (json_object_object_get_ex(root, "apxa", &a)) {
		if ((r = jfield_bool(&c->jf, root, "apxa", false, &apxa)) < 0)
			return r;
		if (apxa != info->apxa)
			return jfield_fail(&c->jf, "apxa", "%s, but \"features\" %s APXA",
					   apxa ? "true" : "false", info->apxa ? "has" : "lacks");
	}
	return 0;
}

static int parse_facilities(struct mj *c, struct json_object *root, struct ap_machine_info *info)
{
	int r;

	if ((r = jfield_bool(&c->jf, root, "qci", true, &info->qci)) < 0 ||
	    (r = jfield_bool(&c->jf, root, "apft", true, &info->apft)) < 0 ||
	    (r = jfield_bool(&c->jf, root, "aqic", true, &info->aqic)) < 0 ||
	    (r = parse_qci_bits(c, root, info)) < 0)
		return r;
	if (info->apxa && !info->qci)
		return jfield_fail(&c->jf, "apxa",
				   "APXA is reported by QCI: it needs \"qci\": true");
	c->extended = info->qci && info->apxa;
	if ((r = parse_max_id(c, root, "max_adapter_id", AP_NO_APXA_MAX_APID, &info->na)) < 0 ||
	    (r = parse_max_id(c, root, "max_domain_id", AP_NO_APXA_MAX_APQI, &info->nd)) < 0)
		return r;
	c->max_apid = c->extended ? info->na : AP_NO_APXA_MAX_APID;
	c->max_apqi = c->extended ? info->nd : AP_NO_APXA_MAX_APQI;
	return 0;
}

static int parse_domains(struct mj *c, struct json_object *root, struct ap_machine_info *info)
{
	const struct jfield_ids spec = {"domain", "max_domain_id", c->max_apqi, c->extended};
	struct json_object *o;
	int r;

	ap_mask_zero(&info->usage_domains);
	if (json_object_object_get_ex(root, "usage_domains", &o)) {
		r = jfield_id_list(&c->jf, o, "usage_domains", &spec, &info->usage_domains);
		if (r < 0)
			return r;
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(default_domains); i++)
			if (default_domains[i] <= c->max_apqi)
				ap_mask_set(&info->usage_domains, default_domains[i]);
	}
	info->control_domains = info->usage_domains;
	if (json_object_object_get_ex(root, "control_domains", &o))
		return jfield_id_list(&c->jf, o, "control_domains", &spec, &info->control_domains);
	return 0;
}

static int parse_mask(struct mj *c, struct json_object *root, const char *key, bool *ret_have,
		      struct ap_mask *ret)
{
	struct ap_mask zero;
	struct json_object *o;
	const char *s;
	int len;

	*ret_have = false;
	if (!json_object_object_get_ex(root, key, &o))
		return 0;
	if (c->out.abi == AP_ABI_V8)
		return jfield_fail(&c->jf, key, "the v8 ABI has no %s", key);
	if (!json_object_is_type(o, json_type_string))
		return jfield_fail(&c->jf, key, "expected a mask string, got %s",
				   jfield_type_desc(o));
	s = json_object_get_string(o);
	len = json_object_get_string_len(o);
	ap_mask_zero(&zero);
	if (memchr(s, '\0', (size_t)len) || ap_mask_parse(s, (size_t)len, &zero, ret) < 0)
		return jfield_fail(
		    &c->jf, key,
		    "bad mask \"%s\" (expected the %s write syntax, e.g. \"0xffff\" or \"+0-15\")",
		    s, key);
	*ret_have = true;
	return 0;
}

static int parse_bus(struct mj *c, struct json_object *root)
{
	const struct jfield_ids spec = {"domain", "max_domain_id", c->max_apqi, c->extended};
	struct json_object *o;
	unsigned long v;
	int r;

	if ((r = parse_mask(c, root, "apmask", &c->out.have_apmask, &c->out.apmask)) < 0 ||
	    (r = parse_mask(c, root, "aqmask", &c->out.have_aqmask, &c->out.aqmask)) < 0)
		return r;
	if ((r = jfield_bool(&c->jf, root, "vfio_ap", true, &c->out.vfio_ap)) < 0)
		return r;
	c->out.max_instances = 0;
	if (json_object_object_get_ex(root, "max_instances", &o)) {
		r = jfield_uint(&c->jf, o, "max_instances", 1, 65536, &v);
		if (r < 0)
			return r;
		c->out.max_instances = (uint32_t)v;
	}
	c->out.default_domain = -1;
	if (!json_object_object_get_ex(root, "default_domain", &o))
		return 0;
	r = jfield_uint(&c->jf, o, "default_domain", 0, 255, &v);
	if (r < 0)
		return r;
	if (v > c->max_apqi)
		return jfield_fail_above(&c->jf, "default_domain", &spec, v);
	c->out.default_domain = (int)v;
	return 0;
}

int machine_json_parse_type(const char *s, unsigned int *ret_gen, enum ap_mode *ret_mode)
{
	if (strlen(s) != 5 || strncmp(s, "CEX", 3) || s[3] < '0' + AP_GEN_MIN ||
	    s[3] > '0' + AP_GEN_MAX || !strchr("ACP", s[4]))
		return -EINVAL;
	*ret_gen = (unsigned int)(s[3] - '0');
	*ret_mode = s[4] == 'A' ? AP_MODE_ACCEL : s[4] == 'C' ? AP_MODE_CCA : AP_MODE_EP11;
	return 0;
}

static int parse_type(struct mj *c, struct json_object *o, const char *path,
		      struct ap_adapter_desc *d)
{
	const char *s;

	if (!json_object_is_type(o, json_type_string))
		return jfield_fail(&c->jf, path, "expected an adapter type like \"CEX8A\", got %s",
				   jfield_type_desc(o));
	s = json_object_get_string(o);
	if (machine_json_parse_type(s, &d->gen, &d->mode) < 0)
		return jfield_fail(&c->jf, path,
				   "unknown adapter type \"%s\" (expected CEX4A..CEX8P)", s);
	return 0;
}

/* depth and max_msg_size of one adapters[] element. */
static int parse_adapter_opts(struct mj *c, struct json_object *o, const char *path,
			      struct ap_adapter_desc *d)
{
	struct json_object *v;
	char fpath[96];
	unsigned long n;
	int r;

	d->depth = -1;
	d->max_msg_size = -1;
	snprintf(fpath, sizeof(fpath), "%s.depth", path);
	if (json_object_object_get_ex(o, "depth", &v)) {
		if ((r = jfield_uint(&c->jf, v, fpath, 0, AP_QD_MAX, &n)) < 0)
			return r;
		d->depth = (int)n;
	}
	snprintf(fpath, sizeof(fpath), "%s.max_msg_size", path);
	if (json_object_object_get_ex(o, "max_msg_size", &v)) {
		if ((r = jfield_uint(&c->jf, v, fpath, AP_ML_UNIT, AP_MSG_MAX, &n)) < 0)
			return r;
		if (n % 4096)
			return jfield_fail(&c->jf, fpath, "%lu is not a multiple of 4096", n);
		d->max_msg_size = (long)n;
	}
	return 0;
}

/* The ids of one adapters[] element: "id" (one) or "ids" (a list). */
static int parse_adapter_ids(struct mj *c, struct json_object *o, const char *path,
			     struct ap_mask *ids, bool *ret_single)
{
	const struct jfield_ids spec = {"adapter", "max_adapter_id", c->max_apid, c->extended};
	struct json_object *id = NULL, *list = NULL;
	char fpath[96];
	unsigned long v;
	int r;

	json_object_object_get_ex(o, "id", &id);
	json_object_object_get_ex(o, "ids", &list);
	if (id && list)
		return jfield_fail(&c->jf, path, "give either \"id\" or \"ids\", not both");
	if (!id && !list)
		return jfield_fail(&c->jf, path, "missing \"id\" (or \"ids\")");
	*ret_single = id != NULL;
	ap_mask_zero(ids);
	if (list) {
		snprintf(fpath, sizeof(fpath), "%s.ids", path);
		return jfield_id_list(&c->jf, list, fpath, &spec, ids);
	}
	snprintf(fpath, sizeof(fpath), "%s.id", path);
	if ((r = jfield_uint(&c->jf, id, fpath, 0, 255, &v)) < 0)
		return r;
	if (v > c->max_apid)
		return jfield_fail_above(&c->jf, fpath, &spec, v);
	ap_mask_set(ids, (unsigned int)v);
	return 0;
}

static int parse_adapter(struct mj *c, struct json_object *o, size_t idx)
{
	struct ap_adapter_desc d = {0};
	struct machine_json_card_scratch scratch;
	struct json_object *type;
	struct ap_mask ids;
	char path[48], tpath[64];
	bool single = false;
	int id, r;

	snprintf(path, sizeof(path), "adapters[%zu]", idx);
	if (!json_object_is_type(o, json_type_object))
		return jfield_fail(&c->jf, path, "expected an object, got %s", jfield_type_desc(o));
	if ((r = jfield_check_known(&c->jf, o, path, adapter_fields)) < 0 ||
	    (r = parse_adapter_ids(c, o, path, &ids, &single)) < 0)
		return r;
	snprintf(tpath, sizeof(tpath), "%s.type", path);
	if (!json_object_object_get_ex(o, "type", &type))
		return jfield_fail(&c->jf, path, "missing \"type\" (CEX4A..CEX8P)");
	if ((r = parse_type(c, type, tpath, &d)) < 0 ||
	    (r = parse_adapter_opts(c, o, path, &d)) < 0 ||
	    (r = machine_json_card_parse(&c->jf, o, path, single, &d, &scratch)) < 0)
		return r;
	ap_mask_for_each (id, &ids) {
		if (c->defined_by[id] >= 0)
			return jfield_fail(&c->jf, path,
					   "adapter %d (0x%02x) already defined by adapters[%d]",
					   id, id, c->defined_by[id]);
		d.id = (unsigned int)id;
		r = machine_add_adapter(&c->out.hw, &d);
		if (r < 0)
			return jfield_fail(&c->jf, path, "adapter %d (0x%02x): %s", id, id,
					   strerror(-r));
		c->defined_by[id] = (int)idx;
	}
	return 0;
}

/*
 * No "adapters": the built-in machine's, those within the adapter limit.
 * The built-in description is known to be valid, so its elements are
 * parsed under their own path names.
 */
static int parse_default_adapters(struct mj *c)
{
	_cleanup_json_ struct json_object *root = NULL;
	struct json_object *list, *id;
	unsigned long v;
	int r;

	root = json_tokener_parse(machine_json_default);
	if (!root || !json_object_object_get_ex(root, "adapters", &list))
		return jfield_fail(&c->jf, NULL, "the built-in machine does not parse");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		const char *p;

		if (!json_object_object_get_ex(e, "id", &id))
			continue;
		p = json_object_get_string(id);
		if (jfield_parse_num(&p, &v) < 0 || v > c->max_apid)
			continue;
		if ((r = parse_adapter(c, e, i)) < 0)
			return r;
	}
	return 0;
}

static int parse_adapters(struct mj *c, struct json_object *root)
{
	struct json_object *list;
	int r;

	if (!json_object_object_get_ex(root, "adapters", &list))
		return parse_default_adapters(c);
	if (!json_object_is_type(list, json_type_array))
		return jfield_fail(&c->jf, "adapters", "expected an array, got %s",
				   jfield_type_desc(list));
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		r = parse_adapter(c, json_object_array_get_idx(list, i), i);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_root(struct mj *c, struct json_object *root)
{
	struct ap_machine_info info;
	int r;

	if (!json_object_is_type(root, json_type_object))
		return jfield_fail(&c->jf, NULL, "expected a JSON object at the top level, got %s",
				   jfield_type_desc(root));
	memset(&info, 0, sizeof(info));
	if ((r = jfield_check_known(&c->jf, root, NULL, top_fields)) < 0 ||
	    (r = parse_abi(c, root)) < 0 || (r = parse_facilities(c, root, &info)) < 0 ||
	    (r = parse_domains(c, root, &info)) < 0)
		return r;
	r = machine_init(&c->out.hw, &info);
	if (r < 0)
		return jfield_fail(&c->jf, NULL, "bad machine: %s", strerror(-r));
	if ((r = parse_bus(c, root)) < 0)
		return r;
	return parse_adapters(c, root);
}

static int parse_text(const char *name, const char *abi, const char *text, size_t len,
		      struct machine_json *ret, char *err, size_t errlen);

int machine_json_parse(const char *name, const char *text, size_t len, struct machine_json *ret,
		       char *err, size_t errlen)
{
	return parse_text(name, NULL, text, len, ret, err, errlen);
}

static int parse_text(const char *name, const char *abi, const char *text, size_t len,
		      struct machine_json *ret, char *err, size_t errlen)
{
	_cleanup_json_ struct json_object *root = NULL;
	_cleanup_free_ struct mj *c = calloc(1, sizeof(*c));
	int r;

	if (!c)
		return -ENOMEM;
	c->jf.name = name;
	c->abi = abi;
	c->jf.err = err;
	c->jf.errlen = errlen;
	for (size_t i = 0; i < AP_DEVICES; i++)
		c->defined_by[i] = -1;
	r = jfield_tokenize(&c->jf, text, len, &root);
	if (r < 0)
		return r;
	r = parse_root(c, root);
	if (r < 0)
		return r;
	*ret = c->out;
	return 0;
}

static int read_file(const char *path, char **ret_text, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	size_t len = 0;

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (st.st_size > (off_t)MACHINE_JSON_MAX_SIZE)
		return -EFBIG;
	buf = malloc(MACHINE_JSON_MAX_SIZE + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n = read(fd, buf + len, MACHINE_JSON_MAX_SIZE + 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > MACHINE_JSON_MAX_SIZE)
			return -EFBIG;
	}
	*ret_text = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int machine_json_load(const char *path, struct machine_json *ret, char *err, size_t errlen)
{
	return machine_json_load_abi(path, NULL, ret, err, errlen);
}

int machine_json_load_abi(const char *path, const char *abi, struct machine_json *ret, char *err,
			  size_t errlen)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (abi && strcmp(abi, "cur") && strcmp(abi, "v8")) {
		if (err && errlen)
			snprintf(err, errlen, "--abi: unknown ABI \"%s\" (expected cur or v8)",
				 abi);
		return -EINVAL;
	}
	if (!path)
		return parse_text(MACHINE_JSON_DEFAULT_NAME, abi, machine_json_default,
				  strlen(machine_json_default), ret, err, errlen);
	r = read_file(path, &text, &len);
	if (r < 0) {
		if (err && errlen)
			snprintf(err, errlen, "%s: cannot read: %s", path,
				 r == -EFBIG ? "file larger than 4 MiB" : strerror(-r));
		return r;
	}
	return parse_text(path, abi, text, len, ret, err, errlen);
}

int machine_json_system_new(const struct machine_json *mj, struct ap_system **ret_sys)
{
	struct ap_system *s = calloc(1, sizeof(*s));
	int r;

	if (!s)
		return -ENOMEM;
	r = ap_system_init(s, mj->abi, &mj->hw, mj->have_apmask ? &mj->apmask : NULL,
			   mj->have_aqmask ? &mj->aqmask : NULL, mj->default_domain,
			   mj->max_instances);
	if (r < 0) {
		free(s);
		return r;
	}
	if (!mj->vfio_ap)
		vfio_module_boot_absent(s);
	*ret_sys = s;
	return 0;
}

void machine_json_system_free(struct ap_system *s)
{
	if (!s)
		return;
	ap_system_clear(s);
	free(s);
}
