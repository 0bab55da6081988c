/*
 * status_view - the picture `apemu status` prints (see status_view.h).
 *
 * A grid cell is one character saying who holds the APQN, optionally
 * followed by '!' when an mdev has the APQN assigned but the queue is not
 * bound to vfio_ap (so the guest cannot get it):
 *   h  bound to the host's cex4queue driver     -  bound to vfio_ap, no mdev
 *   .  bound to no driver                       a  assigned to mdev a
 *   A  in use by the guest of mdev a
 * Mdevs are lettered a-z in creation order; later ones share '+' ('*' in use).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status_view.h"

static const char *str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static int num(struct json_object *o, const char *key, int def)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && v ? json_object_get_int(v) : def;
}

static bool flag(struct json_object *o, const char *key)
{
	return json_object_get_boolean(json_object_object_get(o, key));
}

static struct json_object *arr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* An array of ids as hex ranges: "04,47,ab-ad". */
static void print_ids(FILE *out, struct json_object *ids, const char *none)
{
	size_t n = ids ? json_object_array_length(ids) : 0;

	if (!n) {
		fputs(none, out);
		return;
	}
	for (size_t i = 0; i < n;) {
		int first = json_object_get_int(json_object_array_get_idx(ids, i)), last = first;
		size_t j = i + 1;

		while (j < n && json_object_get_int(json_object_array_get_idx(ids, j)) == last + 1)
			last++, j++;
		fprintf(out, "%s%02x", i ? "," : "", first);
		if (last > first)
			fprintf(out, "-%02x", last);
		i = j;
	}
}

/* An "apm"/"aqm" hex mask as an id array (for the guest matrix). */
static struct json_object *mask_to_ids(const char *hex)
{
	struct json_object *a = json_object_new_array();

	if (!hex || strncmp(hex, "0x", 2))
		return a;
	hex += 2;
	for (int i = 0; hex[i] && i < 64; i++) {
		char c[2] = {hex[i], 0};
		int v = (int)strtol(c, NULL, 16);

		for (int b = 0; b < 4; b++)
			if (v & (8 >> b))
				json_object_array_add(a, json_object_new_int(i * 4 + b));
	}
	return a;
}

static char mdev_letter(int idx, bool in_use)
{
	if (idx >= 26)
		return in_use ? '*' : '+';
	return (char)((in_use ? 'A' : 'a') + idx);
}

/* uuid -> position in the mdev list, so that a cell costs one hash lookup. */
static struct json_object *mdev_index_new(struct json_object *mdevs)
{
	struct json_object *idx = json_object_new_object();

	for (size_t i = 0; mdevs && i < json_object_array_length(mdevs); i++) {
		const char *uuid = str(json_object_array_get_idx(mdevs, i), "uuid");

		if (uuid)
			json_object_object_add(idx, uuid, json_object_new_int((int)i));
	}
	return idx;
}

static int mdev_index(struct json_object *idx, const char *uuid)
{
	struct json_object *v;

	return uuid && json_object_object_get_ex(idx, uuid, &v) ? json_object_get_int(v) : -1;
}

static void print_header(struct json_object *st, FILE *out)
{
	struct json_object *fac = json_object_object_get(st, "facilities");
	static const char *const facs[] = {"qci", "apft", "aqic", "apxa"};
	static const char *const fac_names[] = {"QCI", "APFT", "AQIC", "APXA"};
	const char *apmask = str(st, "apmask"), *aqmask = str(st, "aqmask");
	struct json_object *b = json_object_object_get(st, "bindings");

	fprintf(out, "apemu at %s: apemud pid %d, ABI %s\n", str(st, "mount"), num(st, "pid", 0),
		str(st, "abi"));
	fputs("facilities", out);
	for (size_t i = 0; i < 4; i++)
		if (flag(fac, facs[i]))
			fprintf(out, " %s", fac_names[i]);
	fprintf(out, "; max adapter/domain id %d/%d; ap_domain %d\n", num(st, "max_adapter_id", 0),
		num(st, "max_domain_id", 0), num(st, "ap_domain", -1));
	fprintf(out, "apmask %s\naqmask %s\n", apmask ? apmask : "(none: v8 ABI)",
		aqmask ? aqmask : "(none: v8 ABI)");
	fputs("usage domains ", out);
	print_ids(out, arr(st, "usage_domains"), "none");
	fputs("; control domains ", out);
	print_ids(out, arr(st, "control_domains"), "none");
	fprintf(out, "; bindings %d/%d\n\n", num(b, "bound", 0), num(b, "total", 0));
}

static const char *adapter_note(struct json_object *a)
{
	if (flag(a, "chkstop"))
		return "checkstopped";
	if (!flag(a, "config"))
		return "deconfigured";
	if (!str(a, "driver"))
		return "no card driver";
	if (!flag(a, "online"))
		return "offline";
	return "";
}

/* The one or two characters of a cell; *ret_mark: an mdev owns an unusable queue. */
static char cell_char(struct json_object *q, struct json_object *mdev_idx, bool *ret_mark)
{
	const char *drv = str(q, "driver"), *status = str(q, "status");
	int idx = mdev_index(mdev_idx, str(q, "mdev"));

	*ret_mark = false;
	if (idx >= 0) {
		*ret_mark = !drv || strcmp(drv, "vfio_ap");
		return mdev_letter(idx, status && !strcmp(status, "in use"));
	}
	if (!drv)
		return '.';
	return strcmp(drv, "vfio_ap") ? 'h' : '-';
}

/* One output line, printed without trailing blanks. */
struct line {
	char buf[1024];
	size_t len;
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, sizeof(l->buf) - l->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len =
		    l->len + (size_t)n < sizeof(l->buf) ? l->len + (size_t)n : sizeof(l->buf) - 1;
}

static void line_put(struct line *l, FILE *out)
{
	while (l->len && l->buf[l->len - 1] == ' ')
		l->len--;
	fprintf(out, "%.*s\n", (int)l->len, l->buf);
	l->len = 0;
}

/* Domain numbers over the columns: "04  47" for wide cells, two rows of hex digits for narrow. */
static void print_grid_header(struct json_object *doms, size_t nd, int w, FILE *out)
{
	struct line l = {.len = 0};

	if (w >= 3) {
		line_add(&l, "adapter   domain");
		line_put(&l, out);
		line_add(&l, "%-10s", "");
		for (size_t j = 0; j < nd; j++)
			line_add(&l, "%02x%*s",
				 json_object_get_int(json_object_array_get_idx(doms, j)), w - 2,
				 "");
		line_put(&l, out);
		return;
	}
	for (int digit = 0; digit < 2; digit++) {
		line_add(&l, "%-10s", digit ? "" : "domain");
		for (size_t j = 0; j < nd; j++)
			line_add(&l, "%x ",
				 (json_object_get_int(json_object_array_get_idx(doms, j)) >>
				  (digit ? 0 : 4)) &
				     0xf);
		line_put(&l, out);
	}
}

/* The queue (apid, apqi) of a list in APQN order, walked forward from *pos. */
static struct json_object *queue_at(struct json_object *queues, size_t *pos, int apid, int apqi)
{
	size_t n = queues ? json_object_array_length(queues) : 0;

	for (; *pos < n; ++*pos) {
		struct json_object *q = json_object_array_get_idx(queues, *pos);
		int key = num(q, "adapter", 0) * 256 + num(q, "domain", 0);

		if (key == apid * 256 + apqi)
			return q;
		if (key > apid * 256 + apqi)
			break;
	}
	return NULL;
}

static void print_grid(struct json_object *st, FILE *out)
{
	struct json_object *doms = arr(st, "usage_domains"), *ads = arr(st, "adapters");
	struct json_object *queues = arr(st, "queues");
	struct json_object *mdev_idx;
	size_t nd = doms ? json_object_array_length(doms) : 0, pos = 0;
	int w = nd <= 16 ? 4 : nd <= 22 ? 3 : 2;
	struct line l = {.len = 0};

	if (!ads || !json_object_array_length(ads)) {
		fputs("no adapters\n", out);
		return;
	}
	mdev_idx = mdev_index_new(arr(st, "mdevs"));
	print_grid_header(doms, nd, w, out);
	for (size_t i = 0; i < json_object_array_length(ads); i++) {
		struct json_object *a = json_object_array_get_idx(ads, i);
		int apid = num(a, "id", 0);

		line_add(&l, "%02x %-5s  ", apid, str(a, "type"));
		for (size_t j = 0; j < nd; j++) {
			int apqi = json_object_get_int(json_object_array_get_idx(doms, j));
			struct json_object *q = queue_at(queues, &pos, apid, apqi);
			bool mark = false;
			char c = q ? cell_char(q, mdev_idx, &mark) : ' ';

			line_add(&l, "%c%c%*s", c, mark ? '!' : ' ', w - 2, "");
		}
		line_add(&l, " %s", adapter_note(a));
		line_put(&l, out);
	}
	json_object_put(mdev_idx);
	fputs("\nlegend: h host (cex4queue)  - vfio_ap, free  . no driver\n"
	      "        a-z assigned to that mdev  A-Z in use by its guest\n"
	      "        a! assigned to that mdev, but not bound to vfio_ap\n",
	      out);
}

static void print_summary(struct json_object *st, FILE *out)
{
	struct json_object *ads = arr(st, "adapters");
	struct line l = {.len = 0};

	fprintf(out, "%zu usage domains: too many for a grid; queues per adapter:\n",
		json_object_array_length(arr(st, "usage_domains")));
	for (size_t i = 0; ads && i < json_object_array_length(ads); i++) {
		struct json_object *a = json_object_array_get_idx(ads, i);
		struct json_object *c = json_object_object_get(a, "queue_counts");

		line_add(
		    &l, "%02x %-5s  host %d  vfio_ap %d (assigned %d, in use %d)  no driver %d  %s",
		    num(a, "id", 0), str(a, "type"), num(c, "cex4queue", 0), num(c, "vfio_ap", 0),
		    num(c, "assigned", 0), num(c, "in_use", 0), num(c, "unbound", 0),
		    adapter_note(a));
		line_put(&l, out);
	}
}

static void print_matrix(const char *label, struct json_object *mx, FILE *out)
{
	struct json_object *apm = mask_to_ids(str(mx, "apm")), *aqm = mask_to_ids(str(mx, "aqm"));
	struct json_object *adm = mask_to_ids(str(mx, "adm"));

	fprintf(out, "     %-13s adapters ", label);
	print_ids(out, apm, "-");
	fputs("  domains ", out);
	print_ids(out, aqm, "-");
	fputs("  control ", out);
	print_ids(out, adm, "-");
	fputc('\n', out);
	json_object_put(apm);
	json_object_put(aqm);
	json_object_put(adm);
}

/* The attached guest's CRYCB (256 bytes as hex), 32 bytes a line with offsets. */
static void print_crycb(struct json_object *m, FILE *out)
{
	const char *hex = str(m, "crycb");
	size_t len = hex ? strlen(hex) : 0;

	if (!len)
		return;
	fputs("     crycb:\n", out);
	for (size_t off = 0; off < len; off += 64)
		fprintf(out, "       %03zx: %.64s\n", off / 2, hex + off);
}

static void print_mdevs(struct json_object *st, FILE *out)
{
	struct json_object *mdevs = arr(st, "mdevs");
	size_t n = mdevs ? json_object_array_length(mdevs) : 0;
	struct json_object *loaded = json_object_object_get(st, "vfio_ap");

	if (loaded && !json_object_get_boolean(loaded)) {
		fputs("\nmdevs: none, the vfio_ap module is not loaded\n", out);
		return;
	}
	fprintf(out, "\nmdevs: %zu (%d of %d instances available)\n", n,
		num(st, "available_instances", 0), num(st, "max_instances", 0));
	for (size_t i = 0; i < n && i < STATUS_MAX_MDEVS_SHOWN; i++) {
		struct json_object *m = json_object_array_get_idx(mdevs, i);
		struct json_object *g = json_object_object_get(m, "guest");

		fprintf(out, "  %c  %s", mdev_letter((int)i, false), str(m, "uuid"));
		if (g)
			fprintf(out, "  guest %s%s\n", json_object_get_string(g),
				flag(m, "remove_requested") ? " (remove pending)" : "");
		else
			fputs("  no guest\n", out);
		print_matrix("matrix:", json_object_object_get(m, "matrix"), out);
		print_matrix("guest matrix:", json_object_object_get(m, "guest_matrix"), out);
		print_crycb(m, out);
	}
	if (n > STATUS_MAX_MDEVS_SHOWN)
		fprintf(out, "  ... and %zu more (apemu status --json lists them all)\n",
			n - STATUS_MAX_MDEVS_SHOWN);
}

bool status_view_wants_grid(struct json_object *st)
{
	struct json_object *doms = arr(st, "usage_domains");

	return !doms || json_object_array_length(doms) <= STATUS_GRID_MAX_DOMAINS;
}

void status_view_print(struct json_object *st, FILE *out)
{
	print_header(st, out);
	if (status_view_wants_grid(st) && arr(st, "queues"))
		print_grid(st, out);
	else
		print_summary(st, out);
	print_mdevs(st, out);
}
