/*
 * random_test - a randomized differential test of the AP bus (bus.c) and the
 * vfio_ap matrix driver (matrix.c) against a deliberately naive reference
 * model written below from the facts file (vfio-ap-facts.md 2.3, 2.6, 3.2,
 * 3.4, 3.6-3.8, 3.10, 3.11), without any of the core's code: plain bool
 * arrays, the mdevs in a list, and the sharing check done the kernel's way
 * (walk every other mdev, test APM∩APM' and AQM∩AQM').
 *
 * cur follows 3.7/3.10; v8 ("strict" mode) the [4.20] rules of 3.6 plus 3.11
 * (no apmask/aqmask/ap_config: ENOENT; EBUSY while a guest is attached; the
 * guest gets the assigned matrix as it is). A mask change revises the
 * bindings of bound queues only; unbound queues stay unbound.
 *
 * Invariant: after every store, in both ABIs (cur and v8), the core and the
 * reference return the same value and hold the same state (each mdev's
 * matrix, guest matrix and show texts, the bus masks, every card's and
 * queue's driver, vfio_ap queue status, the available instances), and the
 * core's own state obeys:
 * no APQN is in two mdevs; the guest matrix lies within the matrix; (cur)
 * every guest-matrix APQN exists and is bound to vfio_ap, no assigned APQN is
 * reserved for the host, every bound queue sits on the driver its
 * reservation calls for; the owner index names exactly the mdev whose matrix
 * holds each APQN.
 *
 * A failure names the seed, ABI, step and operation, and the last operations
 * before it. Re-run one case with
 *   APEMU_RANDOM_SEED=<seed> APEMU_RANDOM_ABI=cur|v8 [APEMU_RANDOM_STEPS=<n>]
 * and APEMU_RANDOM_VERBOSE=1 for what the run exercised (successes, errnos).
 * The owner index is checked in full (all 65536 APQNs) at the start and end
 * of each run, and every FULL_SCAN steps with APEMU_RANDOM_EXHAUSTIVE=1 (set
 * in the plain build only: the scan needs no sanitizer, and once per CI run
 * is enough).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "machine.h"
#include "matrix.h"
#include "system.h"

#define NB	  256 /* ids per mask */
#define TEXT_MAX  640
#define PAGE	  4096
#define MAX_INST  6
#define NUUID	  9
#define HIST	  24
#define STEPS	  3000
#define FULL_SCAN 8 /* every mdev's show texts (and, exhaustive, the whole owner index) */
#define MAX_POOL  16

/* ------------------------------------------------------------------ */
/* The reference model                                                 */
/* ------------------------------------------------------------------ */

struct ref_mdev {
	struct ref_mdev *next;
	uint8_t uuid[AP_UUID_LEN];
	bool apm[NB], aqm[NB], adm[NB];	   /* assigned */
	bool sapm[NB], saqm[NB], sadm[NB]; /* guest matrix (shadow) */
	uint64_t guest;
	bool remove_requested;
};

struct ref {
	enum ap_abi abi;
	unsigned int max_apid, max_apqi;
	bool adapter[NB], usage[NB], control[NB]; /* host configuration (QCI) */
	bool apmask[NB], aqmask[NB];
	uint8_t card_drv[NB];
	uint8_t q_drv[NB][NB];	/* [apid][apqi] */
	struct ref_mdev *mdevs; /* in creation order */
	unsigned int count, max_instances;
};

/* What a store sees of a write: a C string of at most len bytes. */
static void cstr(const char *buf, size_t len, char *out)
{
	size_t n = 0;

	while (n < len && n < TEXT_MAX - 1 && buf[n]) {
		out[n] = buf[n];
		n++;
	}
	out[n] = '\0';
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Automatic base (3.4): "0x"/"0X" + a hex digit is hex, another leading 0 octal. */
static unsigned int auto_base(const char **ps)
{
	const char *s = *ps;

	if (s[0] != '0')
		return 10;
	if ((s[1] == 'x' || s[1] == 'X') && hexval(s[2]) >= 0) {
		*ps = s + 2;
		return 16;
	}
	return 8;
}

/* kstrtoul(s, 0) (3.4): '+', digits, one '\n'; -ERANGE beats trailing text. */
static int ref_kstrtoul(const char *s, unsigned long long *ret)
{
	unsigned long long v = 0;
	bool overflow = false;
	unsigned int base;
	int n = 0, d;

	if (*s == '+')
		s++;
	base = auto_base(&s);
	while ((d = hexval(*s)) >= 0 && (unsigned int)d < base) {
		if (v > (UINT64_MAX - (unsigned int)d) / base)
			overflow = true;
		v = v * base + (unsigned int)d;
		n++;
		s++;
	}
	if (overflow)
		return -ERANGE;
	if (!n)
		return -EINVAL;
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Absolute mask (2.3): optional "0x" or "x", <= 64 hex digits left-aligned, one '\n'. */
static int ref_parse_abs(const char *s, bool out[NB])
{
	bool m[NB] = {false};
	int i = 0;

	if (s[0] == '0' && s[1] == 'x')
		s++;
	if (*s == 'x')
		s++;
	for (; i < NB && hexval(*s) >= 0; s++, i += 4)
		for (int n = 0; n < 4; n++)
			m[i + n] = hexval(*s) & (8 >> n);
	if (*s == '\n')
		s++;
	if (*s)
		return -EINVAL;
	memcpy(out, m, sizeof(m));
	return 0;
}

/*
 * A number of the relative form: today's kernel reads it with simple_strtoul
 * into an unsigned long, so it wraps modulo 2^64 and only then is compared
 * with 256 (the facts file's "number >= 256" means the wrapped value).
 */
static bool ref_number(const char **ps, unsigned long *ret)
{
	const char *s = *ps;
	unsigned int base = auto_base(&s);
	unsigned long v = 0;
	bool any = false;
	int d;

	while ((d = hexval(*s)) >= 0 && (unsigned int)d < base) {
		v = v * base + (unsigned int)d;
		any = true;
		s++;
	}
	*ps = s;
	*ret = v;
	return any;
}

/* Relative mask (2.3): signed ids and ranges, runs of ',' '\n' between them. */
static int ref_parse_rel(const char *s, const bool cur[NB], bool out[NB])
{
	bool m[NB];

	memcpy(m, cur, sizeof(m));
	while (*s) {
		char sign = *s++;
		unsigned long first, last;

		if (sign != '+' && sign != '-')
			return -EINVAL;
		if (!ref_number(&s, &first) || first >= NB)
			return -EINVAL;
		last = first;
		if (*s == '-') {
			s++;
			if (!ref_number(&s, &last) || first > last || last >= NB)
				return -EINVAL;
		}
		for (unsigned long i = first; i <= last; i++)
			m[i] = sign == '+';
		while (*s == ',' || *s == '\n')
			s++;
	}
	memcpy(out, m, sizeof(m));
	return 0;
}

static int ref_parse_mask(const char *s, const bool cur[NB], bool out[NB])
{
	if (*s == '+' || *s == '-')
		return ref_parse_rel(s, cur, out);
	return ref_parse_abs(s, out);
}

/*
 * create (3.2): exactly 36 or 37 bytes, a canonical UUID in the first 36.
 * 3.2 says (mem) that the 4.20 core took any length >= 36; it did not: the
 * mdev core's create_store has refused count < 36 or > 37 since its first
 * version (uuid_le_to_bin era, and guid_parse from 4.20 on), so v8 is
 * checked like cur.
 */
static int ref_uuid_parse(const char *buf, size_t len, uint8_t out[AP_UUID_LEN])
{
	int j = 0;

	if (len < 36 || len > 37)
		return -EINVAL;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? buf[i] != '-' : hexval(buf[i]) < 0)
			return -EINVAL;
	}
	for (int i = 0; i < 36; i++) {
		if (buf[i] == '-')
			continue;
		if (j % 2 == 0)
			out[j / 2] = (uint8_t)(hexval(buf[i]) << 4);
		else
			out[j / 2] |= (uint8_t)hexval(buf[i]);
		j++;
	}
	return 0;
}

static bool any_common(const bool *x, const bool *y)
{
	for (int i = 0; i < NB; i++)
		if (x[i] && y[i])
			return true;
	return false;
}

static bool any_set(const bool *x)
{
	for (int i = 0; i < NB; i++)
		if (x[i])
			return true;
	return false;
}

static bool ref_queue_exists(const struct ref *r, unsigned int a, unsigned int d)
{
	return a < NB && d < NB && r->adapter[a] && r->usage[d];
}

static bool ref_bound_vfio(const struct ref *r, unsigned int a, unsigned int d)
{
	return ref_queue_exists(r, a, d) && r->q_drv[a][d] == AP_DRV_VFIO_AP;
}

/* 2.3 (cur): reserved iff both mask bits are set. v8 has no masks: all host's. */
static bool ref_reserved(const struct ref *r, unsigned int a, unsigned int d)
{
	return r->abi == AP_ABI_V8 || (r->apmask[a] && r->aqmask[d]);
}

/* 3.7 4a: some APQN of apm x aqm reserved for the host. */
static bool ref_matrix_reserved(const struct ref *r, const bool *apm, const bool *aqm)
{
	return any_common(apm, r->apmask) && any_common(aqm, r->aqmask);
}

/* The kernel's sharing check: walk every other mdev. */
static bool ref_shared(const struct ref *r, const struct ref_mdev *self, const bool *apm,
		       const bool *aqm)
{
	for (const struct ref_mdev *o = r->mdevs; o; o = o->next)
		if (o != self && any_common(o->apm, apm) && any_common(o->aqm, aqm))
			return true;
	return false;
}

static struct ref_mdev *ref_owner(const struct ref *r, unsigned int a, unsigned int d)
{
	for (struct ref_mdev *m = r->mdevs; m; m = m->next)
		if (m->apm[a] && m->aqm[d])
			return m;
	return NULL;
}

static void ref_filter_cdoms(const struct ref *r, struct ref_mdev *m)
{
	for (int d = 0; d < NB; d++)
		m->sadm[d] = m->adm[d] && (r->abi == AP_ABI_V8 || r->control[d]);
}

/*
 * The guest matrix from scratch (3.7 "Filtering"): host-configured ids only,
 * minus each adapter with a queue (for a guest domain) not bound to vfio_ap.
 * v8 (3.10 table): the guest gets the assigned matrix as it is.
 */
static void ref_filter(const struct ref *r, struct ref_mdev *m)
{
	ref_filter_cdoms(r, m);
	if (r->abi == AP_ABI_V8) {
		memcpy(m->sapm, m->apm, sizeof(m->apm));
		memcpy(m->saqm, m->aqm, sizeof(m->aqm));
		return;
	}
	for (int i = 0; i < NB; i++) {
		m->sapm[i] = m->apm[i] && r->adapter[i];
		m->saqm[i] = m->aqm[i] && r->usage[i];
	}
	for (unsigned int a = 0; a < NB; a++) {
		for (unsigned int d = 0; m->sapm[a] && d < NB; d++)
			if (m->saqm[d] && !ref_bound_vfio(r, a, d))
				m->sapm[a] = false;
	}
}

static unsigned int ref_max(const struct ref *r, enum ap_kind kind)
{
	return kind == AP_KIND_ADAPTER ? r->max_apid : r->max_apqi;
}

/* 3.6 step 4: the APQNs the assignment creates must be bound to vfio_ap. */
static bool ref_v8_bound_ok(const struct ref *r, const struct ref_mdev *m, enum ap_kind kind,
			    unsigned int id)
{
	const bool *other = kind == AP_KIND_ADAPTER ? m->aqm : m->apm;

	if (!any_set(other)) {
		for (unsigned int y = 0; y < NB; y++)
			if (kind == AP_KIND_ADAPTER ? ref_bound_vfio(r, id, y)
						    : ref_bound_vfio(r, y, id))
				return true;
		return false;
	}
	for (unsigned int y = 0; y < NB; y++) {
		if (!other[y])
			continue;
		if (!(kind == AP_KIND_ADAPTER ? ref_bound_vfio(r, id, y)
					      : ref_bound_vfio(r, y, id)))
			return false;
	}
	return true;
}

static bool *kind_bits(struct ref_mdev *m, enum ap_kind kind)
{
	return kind == AP_KIND_ADAPTER ? m->apm : kind == AP_KIND_DOMAIN ? m->aqm : m->adm;
}

/* assign_* (3.6 for v8, 3.7 for cur). */
static int ref_assign(struct ref *r, struct ref_mdev *m, enum ap_kind kind, const char *buf,
		      size_t len)
{
	char s[TEXT_MAX];
	unsigned long long id;
	bool apm[NB], aqm[NB];
	int rc;

	if (r->abi == AP_ABI_V8 && m->guest)
		return -EBUSY;
	cstr(buf, len, s);
	rc = ref_kstrtoul(s, &id);
	if (rc)
		return rc;
	if (id > ref_max(r, kind))
		return -ENODEV;
	if (kind == AP_KIND_CONTROL) {
		m->adm[id] = true;
		ref_filter_cdoms(r, m);
		return 0;
	}
	if (r->abi == AP_ABI_CUR && kind_bits(m, kind)[id])
		return 0;
	memcpy(apm, m->apm, sizeof(apm));
	memcpy(aqm, m->aqm, sizeof(aqm));
	(kind == AP_KIND_ADAPTER ? apm : aqm)[id] = true;
	if (r->abi == AP_ABI_CUR ? ref_matrix_reserved(r, apm, aqm)
				 : !ref_v8_bound_ok(r, m, kind, (unsigned int)id))
		return -EADDRNOTAVAIL;
	if (ref_shared(r, m, apm, aqm))
		return -EADDRINUSE;
	memcpy(m->apm, apm, sizeof(apm));
	memcpy(m->aqm, aqm, sizeof(aqm));
	ref_filter(r, m);
	return 0;
}

/* unassign_*: cur drops the id from the guest matrix only (no re-filtering). */
static int ref_unassign(struct ref *r, struct ref_mdev *m, enum ap_kind kind, const char *buf,
			size_t len)
{
	char s[TEXT_MAX];
	unsigned long long id;
	int rc;

	if (r->abi == AP_ABI_V8 && m->guest)
		return -EBUSY;
	cstr(buf, len, s);
	rc = ref_kstrtoul(s, &id);
	if (rc)
		return rc;
	if (id > ref_max(r, kind))
		return -ENODEV;
	if (!kind_bits(m, kind)[id])
		return 0;
	kind_bits(m, kind)[id] = false;
	if (r->abi == AP_ABI_V8) {
		ref_filter(r, m);
		return 0;
	}
	if (kind == AP_KIND_ADAPTER)
		m->sapm[id] = false;
	else if (kind == AP_KIND_DOMAIN)
		m->saqm[id] = false;
	else
		m->sadm[id] = false;
	return 0;
}

/* ap_config (3.7, cur only): 201 bytes, strsep on ",\n", three absolute masks. */
static int ref_ap_config(struct ref *r, struct ref_mdev *m, const char *buf, size_t len)
{
	char s[TEXT_MAX], *p = s;
	bool nm[3][NB];

	if (r->abi != AP_ABI_CUR)
		return -ENOENT;
	cstr(buf, len, s);
	if (strlen(s) > 201)
		s[201] = '\0';
	for (int i = 0; i < 3; i++) {
		char *e;

		if (!p)
			return -EINVAL;
		e = p + strcspn(p, ",\n");
		if (*e) {
			*e = '\0';
			e++;
		} else {
			e = NULL;
		}
		if (ref_parse_abs(p, nm[i]))
			return -EINVAL;
		p = e;
	}
	if (ref_matrix_reserved(r, nm[0], nm[1]))
		return -EADDRNOTAVAIL;
	if (ref_shared(r, m, nm[0], nm[1]))
		return -EADDRINUSE;
	for (unsigned int i = 0; i < NB; i++)
		if ((nm[0][i] && i > r->max_apid) || ((nm[1][i] || nm[2][i]) && i > r->max_apqi))
			return -ENODEV;
	memcpy(m->apm, nm[0], sizeof(m->apm));
	memcpy(m->aqm, nm[1], sizeof(m->aqm));
	memcpy(m->adm, nm[2], sizeof(m->adm));
	ref_filter(r, m);
	return 0;
}

static struct ref_mdev *ref_find(const struct ref *r, const uint8_t uuid[AP_UUID_LEN])
{
	for (struct ref_mdev *m = r->mdevs; m; m = m->next)
		if (!memcmp(m->uuid, uuid, AP_UUID_LEN))
			return m;
	return NULL;
}

static int ref_create(struct ref *r, const char *buf, size_t len)
{
	uint8_t uuid[AP_UUID_LEN];
	struct ref_mdev *m, **tail;

	if (ref_uuid_parse(buf, len, uuid))
		return -EINVAL;
	if (ref_find(r, uuid))
		return -EEXIST;
	if (r->count >= r->max_instances)
		return r->abi == AP_ABI_CUR ? -EUSERS : -EPERM;
	m = calloc(1, sizeof(*m));
	assert_non_null(m);
	memcpy(m->uuid, uuid, AP_UUID_LEN);
	for (tail = &r->mdevs; *tail; tail = &(*tail)->next)
		;
	*tail = m;
	r->count++;
	return 0;
}

static void ref_destroy(struct ref *r, struct ref_mdev *m)
{
	struct ref_mdev **pp;

	for (pp = &r->mdevs; *pp != m; pp = &(*pp)->next)
		;
	*pp = m->next;
	free(m);
	r->count--;
}

/* remove (3.8): any parse error is EINVAL; 0 does nothing. */
static int ref_remove(struct ref *r, struct ref_mdev *m, const char *buf, size_t len)
{
	char s[TEXT_MAX];
	unsigned long long v;

	cstr(buf, len, s);
	if (ref_kstrtoul(s, &v))
		return -EINVAL;
	if (!v)
		return 0;
	if (m->guest) {
		if (r->abi == AP_ABI_V8)
			return -EBUSY;
		m->remove_requested = true;
		return -EINPROGRESS;
	}
	ref_destroy(r, m);
	return 0;
}

/* Find a device by name, as sysfs_streq does: one trailing '\n' ignored. */
static int ref_lookup(const struct ref *r, const char *buf, size_t len, unsigned int *a,
		      unsigned int *d)
{
	char s[TEXT_MAX], name[16];
	size_t n;

	cstr(buf, len, s);
	n = strlen(s);
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	for (unsigned int x = 0; x < NB; x++) {
		if (!r->adapter[x])
			continue;
		snprintf(name, sizeof(name), "card%02x", x);
		if (!strcmp(name, s)) {
			*a = x;
			return 0;
		}
		for (unsigned int y = 0; y < NB; y++) {
			if (!ref_queue_exists(r, x, y))
				continue;
			snprintf(name, sizeof(name), "%02x.%04x", x, y);
			if (!strcmp(name, s)) {
				*a = x;
				*d = y;
				return 1;
			}
		}
	}
	return -ENODEV;
}

/* 3.10: a queue bound to vfio_ap re-filters the mdev holding it (cur). */
static void ref_probe_queue(struct ref *r, unsigned int a, unsigned int d, enum ap_driver drv)
{
	struct ref_mdev *m;

	r->q_drv[a][d] = (uint8_t)drv;
	if (drv != AP_DRV_VFIO_AP || r->abi != AP_ABI_CUR)
		return;
	m = ref_owner(r, a, d);
	if (m)
		ref_filter(r, m);
}

/* 3.10: a queue leaving vfio_ap takes its whole adapter out of the guest (cur). */
static void ref_remove_queue(struct ref *r, unsigned int a, unsigned int d)
{
	struct ref_mdev *m;

	if (r->q_drv[a][d] == AP_DRV_VFIO_AP && r->abi == AP_ABI_CUR) {
		m = ref_owner(r, a, d);
		if (m && m->sapm[a] && m->saqm[d])
			m->sapm[a] = false;
	}
	r->q_drv[a][d] = AP_DRV_NONE;
}

/* 2.3: a default driver for reserved queues, vfio_ap for the others. */
static bool ref_probe_allowed(const struct ref *r, unsigned int a, unsigned int d,
			      enum ap_driver drv)
{
	if (r->abi == AP_ABI_V8)
		return true;
	return ref_reserved(r, a, d) == (drv == AP_DRV_CEX4QUEUE);
}

/*
 * bind (2.6): no such device or no match -> ENODEV, a device that has a driver
 * -> EBUSY ("older: ENODEV": the 2018 kernels of v8 and 4.20 bound only a
 * driverless device and answered ENODEV otherwise), probe refuses -> ENODEV.
 */
static int ref_bind(struct ref *r, enum ap_driver drv, const char *buf, size_t len)
{
	unsigned int a = 0, d = 0;
	int kind = ref_lookup(r, buf, len, &a, &d);
	int busy = r->abi == AP_ABI_V8 ? -ENODEV : -EBUSY;

	if (kind < 0)
		return kind;
	if (kind == 0) {
		if (drv != AP_DRV_CEX4CARD)
			return -ENODEV;
		if (r->card_drv[a] != AP_DRV_NONE)
			return busy;
		r->card_drv[a] = AP_DRV_CEX4CARD;
		return 0;
	}
	if (drv == AP_DRV_CEX4CARD)
		return -ENODEV;
	if (r->q_drv[a][d] != AP_DRV_NONE)
		return busy;
	if (!ref_probe_allowed(r, a, d, drv))
		return -ENODEV;
	ref_probe_queue(r, a, d, drv);
	return 0;
}

static int ref_unbind(struct ref *r, enum ap_driver drv, const char *buf, size_t len)
{
	unsigned int a = 0, d = 0;
	int kind = ref_lookup(r, buf, len, &a, &d);

	if (kind < 0)
		return kind;
	if (kind == 0) {
		if (r->card_drv[a] != drv)
			return -ENODEV;
		r->card_drv[a] = AP_DRV_NONE;
		return 0;
	}
	if (r->q_drv[a][d] != drv)
		return -ENODEV;
	ref_remove_queue(r, a, d);
	return 0;
}

/*
 * apmask / aqmask (2.3): parse; same mask: nothing; newly reserved APQNs
 * assigned to an mdev: EBUSY; commit; re-probe every BOUND queue whose
 * driver no longer fits (unbound queues are left alone).
 */
static int ref_store_mask(struct ref *r, bool adapters, const char *buf, size_t len)
{
	char s[TEXT_MAX];
	bool *cur = adapters ? r->apmask : r->aqmask;
	bool nm[NB], added[NB];

	if (r->abi != AP_ABI_CUR)
		return -ENOENT;
	cstr(buf, len, s);
	if (ref_parse_mask(s, cur, nm))
		return -EINVAL;
	if (!memcmp(nm, cur, sizeof(nm)))
		return 0;
	for (int i = 0; i < NB; i++)
		added[i] = nm[i] && !cur[i];
	for (const struct ref_mdev *m = r->mdevs; m; m = m->next) {
		if (adapters && any_common(m->apm, added) && any_common(m->aqm, r->aqmask))
			return -EBUSY;
		if (!adapters && any_common(m->apm, r->apmask) && any_common(m->aqm, added))
			return -EBUSY;
	}
	memcpy(cur, nm, sizeof(nm));
	for (unsigned int a = 0; a < NB; a++) {
		for (unsigned int d = 0; d < NB; d++) {
			uint8_t drv = r->q_drv[a][d];

			if (!ref_queue_exists(r, a, d) || drv == AP_DRV_NONE)
				continue;
			if (ref_reserved(r, a, d) == (drv == AP_DRV_CEX4QUEUE))
				continue;
			ref_remove_queue(r, a, d);
			ref_probe_queue(r, a, d,
					ref_reserved(r, a, d) ? AP_DRV_CEX4QUEUE : AP_DRV_VFIO_AP);
		}
	}
	return 0;
}

/* Open with a guest (4.2): one mdev per guest (cur EPERM), one guest per mdev (EBUSY). */
static int ref_attach(struct ref *r, struct ref_mdev *m, uint64_t guest)
{
	if (!guest)
		return -EINVAL;
	if (m->guest)
		return -EBUSY;
	for (const struct ref_mdev *o = r->mdevs; o; o = o->next)
		if (o != m && o->guest == guest)
			return r->abi == AP_ABI_CUR ? -EPERM : 0;
	m->guest = guest;
	return 0;
}

/* A vfio_ap queue's status file (2.5, cur). */
static enum ap_queue_status ref_status(const struct ref *r, unsigned int a, unsigned int d)
{
	const struct ref_mdev *m = ref_owner(r, a, d);

	if (!m)
		return AP_QSTATUS_UNASSIGNED;
	if (m->guest && m->sapm[a] && m->saqm[d])
		return AP_QSTATUS_IN_USE;
	return AP_QSTATUS_ASSIGNED;
}

static void ref_free(struct ref *r)
{
	while (r->mdevs)
		ref_destroy(r, r->mdevs);
}

/* ------------------------------------------------------------------ */
/* The run: machine, random generators, operations                     */
/* ------------------------------------------------------------------ */

enum op_type {
	OP_CREATE,
	OP_REMOVE,
	OP_ASSIGN,
	OP_UNASSIGN,
	OP_AP_CONFIG,
	OP_BIND,
	OP_UNBIND,
	OP_APMASK,
	OP_AQMASK,
	OP_ATTACH,
	OP_DETACH,
};

struct text {
	char b[TEXT_MAX];
	size_t len;
};

struct run {
	enum ap_abi abi;
	uint64_t seed, rng;
	int step;
	struct ap_system *s;
	struct ref ref;
	unsigned int apids[MAX_POOL], napids; /* adapters the ops pick from */
	unsigned int apqis[MAX_POOL], napqis; /* domains the ops pick from */
	uint8_t uuids[NUUID][AP_UUID_LEN];
	char hist[HIST][TEXT_MAX * 4 + 256];
	bool seen_a[NB], seen_d[NB];		 /* ids some mdev's matrix held at some time */
	unsigned int stats[OP_DETACH + 1][3][2]; /* [op][kind][succeeded] */
	unsigned int errnos[OP_DETACH + 1][140]; /* [op][-rc] */
};

static uint64_t rnd64(struct run *rn)
{
	uint64_t z = (rn->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static unsigned int rnd(struct run *rn, unsigned int n)
{
	return (unsigned int)(rnd64(rn) % n);
}

static const char *abi_name(enum ap_abi abi)
{
	return abi == AP_ABI_CUR ? "cur" : "v8";
}

/* Printable form of a write for messages. */
static void escape(const struct text *t, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < t->len && o + 5 < size; i++) {
		unsigned char c = (unsigned char)t->b[i];

		if (c == '\n')
			o += (size_t)snprintf(out + o, size - o, "\\n");
		else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(out + o, size - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static void dump_history(const struct run *rn)
{
	fprintf(stderr, "# random_test: seed %" PRIu64 " abi %s, last operations:\n", rn->seed,
		abi_name(rn->abi));
	for (int i = rn->step - HIST + 1; i <= rn->step; i++)
		if (i >= 0 && rn->hist[i % HIST][0])
			fprintf(stderr, "#   step %d: %s\n", i, rn->hist[i % HIST]);
}

#define CHECK(rn, cond, ...)                                                                       \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			char msg_[512];                                                            \
			snprintf(msg_, sizeof(msg_), __VA_ARGS__);                                 \
			dump_history(rn);                                                          \
			fail_msg("seed %" PRIu64 " abi %s step %d (%s): %s", (rn)->seed,           \
				 abi_name((rn)->abi), (rn)->step, (rn)->hist[(rn)->step % HIST],   \
				 msg_);                                                            \
		}                                                                                  \
	} while (0)

static void set_mask(struct ap_mask *m, const bool *bits)
{
	memset(m, 0, sizeof(*m));
	for (int i = 0; i < NB; i++)
		if (bits[i])
			m->b[i / 8] |= (uint8_t)(0x80 >> (i % 8));
}

static bool mask_bit(const struct ap_mask *m, int i)
{
	return (m->b[i / 8] >> (7 - i % 8)) & 1;
}

static void pick_distinct(struct run *rn, unsigned int *out, unsigned int n, unsigned int max,
			  const bool *avoid)
{
	for (unsigned int i = 0; i < n; i++) {
		unsigned int x;
		bool dup;

		do {
			x = rnd(rn, max + 1);
			dup = avoid && avoid[x];
			for (unsigned int j = 0; j < i; j++)
				dup |= out[j] == x;
		} while (dup);
		out[i] = x;
	}
}

/*
 * A small machine so that collisions are frequent: APXA, 8 adapters spread
 * over 0..Na, 8 usage domains over 0..Nd, a few control domains, 6 instances.
 * cur starts from random apmask/aqmask, v8 with every queue on cex4queue.
 */
static void setup(struct run *rn, enum ap_abi abi, uint64_t seed)
{
	static const unsigned int nas[] = {255, 191, 127}, nds[] = {255, 84, 63};
	struct ap_machine_info info = {.qci = true, .apft = true, .aqic = true, .apxa = true};
	struct ap_machine hw;
	struct ref *r = &rn->ref;
	unsigned int ids[8];
	bool apmask[NB] = {false}, aqmask[NB] = {false}, taken[NB] = {false};
	struct ap_mask am, qm;
	int mode;

	memset(rn, 0, sizeof(*rn));
	rn->abi = abi;
	rn->seed = seed;
	rn->rng = seed;
	r->abi = abi;
	r->max_instances = MAX_INST;
	r->max_apid = nas[rnd(rn, 3)];
	r->max_apqi = nds[rnd(rn, 3)];
	info.na = (uint8_t)r->max_apid;
	info.nd = (uint8_t)r->max_apqi;

	pick_distinct(rn, ids, 8, r->max_apqi, NULL);
	for (int i = 0; i < 8; i++) {
		r->usage[ids[i]] = true;
		rn->apqis[rn->napqis++] = ids[i];
	}
	for (int i = 0; i < 6; i++)
		r->control[rnd(rn, 2) ? ids[rnd(rn, 8)] : rnd(rn, r->max_apqi + 1)] = true;
	pick_distinct(rn, ids, 4, r->max_apqi, r->usage); /* domains the host lacks */
	for (int i = 0; i < 4; i++)
		rn->apqis[rn->napqis++] = ids[i];
	set_mask(&info.usage_domains, r->usage);
	set_mask(&info.control_domains, r->control);
	assert_int_equal(machine_init(&hw, &info), 0);

	pick_distinct(rn, ids, 8, r->max_apid, NULL);
	for (int i = 0; i < 8; i++) {
		struct ap_adapter_desc d = {
		    .id = ids[i], .gen = 4 + rnd(rn, 5), .depth = -1, .max_msg_size = -1};

		d.mode = (enum ap_mode)rnd(rn, 3);
		assert_int_equal(machine_add_adapter(&hw, &d), 0);
		r->adapter[ids[i]] = true;
		taken[ids[i]] = true;
		rn->apids[rn->napids++] = ids[i];
	}
	pick_distinct(rn, ids, 4, r->max_apid, taken); /* adapters the host lacks */
	for (int i = 0; i < 4; i++)
		rn->apids[rn->napids++] = ids[i];

	/* cur: all ones, all zeros, or half of the pool reserved */
	mode = abi == AP_ABI_V8 ? 0 : (int)rnd(rn, 4);
	for (int i = 0; i < NB; i++) {
		apmask[i] = mode == 0 || (mode >= 2 && rnd(rn, 2));
		aqmask[i] = mode == 0 || (mode >= 2 && rnd(rn, 2));
	}
	memcpy(r->apmask, apmask, sizeof(apmask));
	memcpy(r->aqmask, aqmask, sizeof(aqmask));
	set_mask(&am, apmask);
	set_mask(&qm, aqmask);
	for (unsigned int a = 0; a < NB; a++) {
		if (!r->adapter[a])
			continue;
		r->card_drv[a] = AP_DRV_CEX4CARD;
		for (unsigned int d = 0; d < NB; d++)
			if (ref_queue_exists(r, a, d))
				r->q_drv[a][d] =
				    ref_reserved(r, a, d) ? AP_DRV_CEX4QUEUE : AP_DRV_VFIO_AP;
	}

	for (int i = 0; i < NUUID; i++)
		for (int j = 0; j < AP_UUID_LEN; j++)
			rn->uuids[i][j] = (uint8_t)rnd64(rn);

	rn->s = calloc(1, sizeof(*rn->s));
	assert_non_null(rn->s);
	assert_int_equal(ap_system_init(rn->s, abi, &hw, abi == AP_ABI_CUR ? &am : NULL,
					abi == AP_ABI_CUR ? &qm : NULL, -1, MAX_INST),
			 0);
}

/* Also for a run that failed half-way through setup. */
static void teardown(struct run *rn)
{
	if (rn->s)
		ap_system_clear(rn->s);
	free(rn->s);
	ref_free(&rn->ref);
}

static void tput(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void tput(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->b + t->len, sizeof(t->b) - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof(t->b) - t->len ? (size_t)n : sizeof(t->b) - t->len - 1;
}

/* A number in one of the forms a user might type. */
static void put_number(struct run *rn, struct text *t, unsigned long long v, bool plus)
{
	switch (rnd(rn, plus ? 6 : 4)) {
	case 0:
	case 1:
		tput(t, "%llu", v);
		break;
	case 2:
		tput(t, rnd(rn, 4) ? "0x%llx" : "0X%llX", v);
		break;
	case 3:
		tput(t, "0%llo", v);
		break;
	case 4:
		tput(t, "+%llu", v);
		break;
	default:
		tput(t, "+0x%llx", v);
		break;
	}
}

static unsigned int pool_id(struct run *rn, enum ap_kind kind)
{
	if (kind == AP_KIND_ADAPTER)
		return rn->apids[rnd(rn, rn->napids)];
	return rn->apqis[rnd(rn, rn->napqis)];
}

/* An id of this kind that some mdev has assigned, else one of the pool. */
static unsigned int held_id(struct run *rn, enum ap_kind kind)
{
	unsigned int ids[NB * MAX_INST], n = 0;

	for (struct ref_mdev *m = rn->ref.mdevs; m; m = m->next)
		for (unsigned int i = 0; i < NB; i++)
			if (kind_bits(m, kind)[i])
				ids[n++] = i;
	return n ? ids[rnd(rn, n)] : pool_id(rn, kind);
}

static void gen_id_text(struct run *rn, enum ap_kind kind, struct text *t)
{
	static const char *const junk[] = {
	    "",
	    "\n",
	    "abc",
	    "-1",
	    "5,6",
	    " 5",
	    "5 ",
	    "0x",
	    "08",
	    "0x1g",
	    "++5",
	    "+-5",
	    "5\n\n",
	    "\n5",
	    "1e3",
	    "+",
	    "0x1f",
	    "017",
	    "+5",
	    "5\n",
	    "0b101",
	    "99999999999999999999",
	    "0x10000000000000000",
	    "18446744073709551615",
	    "0xffffffffffffffff\n",
	    "4294967296",
	    "0256",
	    "0x0100",
	    "1\r\n",
	    "99999999999999999999x",
	    "0x10000000000000000\n",
	};
	unsigned int max = ref_max(&rn->ref, kind), r = rnd(rn, 100);

	t->len = 0;
	if (r < 20) {
		/* an id some mdev holds: sharing conflicts */
		put_number(rn, t, held_id(rn, kind), true);
	} else if (r < 60) {
		put_number(rn, t, pool_id(rn, kind), true);
	} else if (r < 78) {
		put_number(rn, t, rnd(rn, max + 1), true);
	} else if (r < 86) {
		put_number(rn, t, max + 1 + rnd(rn, 300), true);
	} else if (r < 88) {
		/* a NUL ends the text a store sees */
		put_number(rn, t, pool_id(rn, kind), false);
		memcpy(t->b + t->len, "\0junk", 5);
		t->len += 5;
		return;
	} else {
		tput(t, "%s", junk[rnd(rn, sizeof(junk) / sizeof(junk[0]))]);
		return;
	}
	if (rnd(rn, 2))
		tput(t, "\n");
}

static void gen_uuid_text(struct run *rn, struct text *t)
{
	const uint8_t *u = rn->uuids[rnd(rn, NUUID)];
	unsigned int r = rnd(rn, 100);

	t->len = 0;
	for (int i = 0; i < AP_UUID_LEN; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			tput(t, "-");
		tput(t, r < 8 ? "%02X" : "%02x", u[i]);
	}
	if (r < 55)
		return;
	if (r < 80) {
		tput(t, "\n");
	} else if (r < 84) {
		tput(t, "x"); /* a 37th byte is not looked at */
	} else if (r < 88) {
		tput(t, "\n\n"); /* 38 bytes: EINVAL */
	} else if (r < 91) {
		t->len = 35;
		t->b[35] = '\0';
	} else if (r < 94) {
		t->b[rnd(rn, 36)] = 'g';
	} else if (r < 96) {
		t->b[8] = '_';
	} else if (r < 98) {
		t->b[rnd(rn, 36)] = '\0';
	} else {
		t->len = 0;
	}
}

static void gen_remove_text(struct run *rn, struct text *t)
{
	static const char *const texts[] = {"1", "1\n", "1",  "1\n", "0",   "0\n",
					    "",	 "abc", "-1", "2",   "0x1", "99999999999999999999",
					    "1 "};

	t->len = 0;
	tput(t, "%s", texts[rnd(rn, sizeof(texts) / sizeof(texts[0]))]);
}

/* Hex text of a mask: a prefix, the digits (maybe trimmed), a suffix. */
static void put_hex_mask(struct run *rn, struct text *t, const bool *bits, bool allow_bad)
{
	static const char *const prefixes[] = {"0x", "0x", "0x", "x", "", "0X"};
	static const char *const bad_suffix[] = {" ", "\n\n", ",", "g"};
	char digits[70];
	int last = -1, n;

	for (int i = 0; i < 64; i++) {
		int v = (bits[4 * i] << 3) | (bits[4 * i + 1] << 2) | (bits[4 * i + 2] << 1) |
			bits[4 * i + 3];

		digits[i] = "0123456789abcdef"[v];
		if (v)
			last = i;
	}
	n = rnd(rn, 2) ? 64 : last + 1 + (int)rnd(rn, 3);
	if (n > 64)
		n = 64;
	if (allow_bad && !rnd(rn, 30))
		digits[n++] = '0'; /* 65 digits */
	digits[n] = '\0';
	if (rnd(rn, 5) == 0)
		for (int i = 0; i < n; i++)
			digits[i] = (char)(digits[i] >= 'a' ? digits[i] - 32 : digits[i]);
	tput(t, "%s%s", prefixes[rnd(rn, allow_bad ? 6 : 5)], digits);
	if (allow_bad && !rnd(rn, 25))
		tput(t, "%s", bad_suffix[rnd(rn, 4)]);
}

/* Some random ids, mostly from the pool, near the current bits. */
static void vary_bits(struct run *rn, bool *bits, enum ap_kind kind, int flips)
{
	unsigned int max = ref_max(&rn->ref, kind);

	for (int i = 0; i < flips; i++) {
		unsigned int r = rnd(rn, 100), id;

		if (r < 75)
			id = pool_id(rn, kind);
		else if (r < 93 || max == 255)
			id = rnd(rn, max + 1);
		else
			id = max + 1 + rnd(rn, 255 - max);
		bits[id] = !bits[id];
	}
}

static void gen_mask_text(struct run *rn, bool adapters, struct text *t)
{
	static const char *const junk[] = {
	    "",	      "\n",	  "+5,6",	 "+",
	    "-",      "+0x",	  "+5-3",	 "+256",
	    "-0-255", "+0-255",	  "0xzz",	 "+ 5",
	    "+5 ",    "+1+2",	  "+4294967297", "+18446744073709551617",
	    "+0x41",  "-0xff",	  "garbage",	 "+0,-6,+0x47,-0xf0",
	    "-0x100", "+0-0x100", "+08",	 "+0X1f\n,\n,-3",
	};
	enum ap_kind kind = adapters ? AP_KIND_ADAPTER : AP_KIND_DOMAIN;
	const bool *cur = adapters ? rn->ref.apmask : rn->ref.aqmask;
	unsigned int r = rnd(rn, 100);
	bool bits[NB];

	t->len = 0;
	if (r < 45) {
		int n = 1 + (int)rnd(rn, 4);

		for (int i = 0; i < n; i++) {
			unsigned int id = rnd(rn, 8) ? pool_id(rn, kind) : rnd(rn, NB);

			tput(t, "%c", rnd(rn, 2) ? '+' : '-');
			put_number(rn, t, id, false);
			if (!rnd(rn, 6)) {
				tput(t, "-");
				put_number(rn, t, id + rnd(rn, 6), false);
			}
			if (i + 1 < n) {
				static const char *const seps[] = {",", ",", "\n", ",\n", ""};

				tput(t, "%s", seps[rnd(rn, 5)]);
			}
		}
		if (rnd(rn, 2))
			tput(t, "\n");
	} else if (r < 88) {
		memcpy(bits, cur, sizeof(bits));
		if (!rnd(rn, 8))
			memset(bits, rnd(rn, 2), sizeof(bits));
		vary_bits(rn, bits, kind, 1 + (int)rnd(rn, 3));
		put_hex_mask(rn, t, bits, true);
		if (rnd(rn, 2))
			tput(t, "\n");
	} else if (r < 90) {
		tput(t, "+%u", pool_id(rn, kind));
		memcpy(t->b + t->len, "\0,+300", 7);
		t->len += 7;
	} else {
		tput(t, "%s", junk[rnd(rn, sizeof(junk) / sizeof(junk[0]))]);
	}
}

static void gen_ap_config_text(struct run *rn, const struct ref_mdev *m, struct text *t)
{
	static const char *const junk[] = {
	    "",	     "\n",	  ",",		",,",	   ",,\n",
	    "0x80",  "0x80,0x80", "0x80,0x80,", "a,b,c,d", "0x8,0x8,0x8 ",
	    "0xg,,", ",0x8\n\n,", "\n\n\n",
	};
	bool bits[3][NB];

	t->len = 0;
	if (!rnd(rn, 10)) {
		tput(t, "%s", junk[rnd(rn, sizeof(junk) / sizeof(junk[0]))]);
		return;
	}
	memcpy(bits[0], m->apm, sizeof(bits[0]));
	memcpy(bits[1], m->aqm, sizeof(bits[1]));
	memcpy(bits[2], m->adm, sizeof(bits[2]));
	for (int i = 0; i < 3; i++) {
		if (!rnd(rn, 6))
			memset(bits[i], 0, sizeof(bits[i]));
		vary_bits(rn, bits[i], i ? AP_KIND_DOMAIN : AP_KIND_ADAPTER, (int)rnd(rn, 3));
		put_hex_mask(rn, t, bits[i], !rnd(rn, 4));
		if (i < 2)
			tput(t, "%s", rnd(rn, 4) ? "," : "\n");
	}
	switch (rnd(rn, 6)) {
	case 0:
	case 1:
		tput(t, "\n");
		break;
	case 2:
		tput(t, ",ignored\n");
		break;
	case 3:
		tput(t, "\nmore");
		break;
	default:
		break;
	}
}

/* A device name for bind/unbind, mostly queues of the pool. */
static void gen_device_text(struct run *rn, struct text *t, unsigned int *ret_a,
			    unsigned int *ret_d, bool *ret_queue)
{
	/* the pools start with the adapters and usage domains the host has */
	unsigned int a = rnd(rn, 10) < 8 ? rn->apids[rnd(rn, 8)]
			 : rnd(rn, 2)	 ? pool_id(rn, AP_KIND_ADAPTER)
					 : rnd(rn, NB);
	unsigned int d = rnd(rn, 10) < 8 ? rn->apqis[rnd(rn, 8)] : pool_id(rn, AP_KIND_DOMAIN);
	unsigned int r = rnd(rn, 100);

	t->len = 0;
	*ret_a = a;
	*ret_d = d;
	*ret_queue = r < 75;
	if (r < 75) {
		tput(t, "%02x.%04x", a, d);
	} else if (r < 87) {
		tput(t, "card%02x", a);
	} else {
		switch (rnd(rn, 10)) {
		case 0:
			tput(t, "%02X.%04X", a, d);
			break;
		case 1:
			tput(t, "CARD%02x", a);
			break;
		case 2:
			tput(t, "%02x.%03x", a, d);
			break;
		case 3:
			tput(t, "%x.%04x", a, d);
			break;
		case 4:
			tput(t, "%02x.%04x\n\n", a, d);
			break;
		case 5:
			tput(t, " %02x.%04x", a, d);
			break;
		case 6:
			tput(t, "%02x.1%04x", a, d);
			break;
		case 7:
			tput(t, "card%x", a);
			break;
		case 8:
			/* a NUL ends the text a store sees */
			tput(t, "%02x.%04x", a, d);
			memcpy(t->b + t->len, "\0junk", 5);
			t->len += 5;
			break;
		default:
			tput(t, "%s", rnd(rn, 2) ? "" : "\n");
			break;
		}
		return;
	}
	if (rnd(rn, 2))
		tput(t, "\n");
}

struct op {
	enum op_type type;
	enum ap_kind kind;
	enum ap_driver drv;
	struct ref_mdev *m; /* the reference mdev the op targets */
	uint64_t guest;
	struct text t;
};

static const char *const kind_names[] = {"adapter", "domain", "control_domain"};
static const char *const drv_names[] = {"none", "cex4card", "cex4queue", "vfio_ap"};

static void describe(const struct op *op, char *out, size_t size)
{
	char text[TEXT_MAX * 4 + 8], uuid[AP_UUID_STR_LEN + 1] = "-";

	escape(&op->t, text, sizeof(text));
	if (op->m)
		ap_uuid_format(op->m->uuid, uuid);
	switch (op->type) {
	case OP_CREATE:
		snprintf(out, size, "create \"%s\"", text);
		break;
	case OP_REMOVE:
		snprintf(out, size, "%s/remove \"%s\"", uuid, text);
		break;
	case OP_ASSIGN:
	case OP_UNASSIGN:
		snprintf(out, size, "%s/%sassign_%s \"%s\"", uuid,
			 op->type == OP_ASSIGN ? "" : "un", kind_names[op->kind], text);
		break;
	case OP_AP_CONFIG:
		snprintf(out, size, "%s/ap_config \"%s\"", uuid, text);
		break;
	case OP_BIND:
	case OP_UNBIND:
		snprintf(out, size, "drivers/%s/%s \"%s\"", drv_names[op->drv],
			 op->type == OP_BIND ? "bind" : "unbind", text);
		break;
	case OP_APMASK:
	case OP_AQMASK:
		snprintf(out, size, "%s \"%s\"", op->type == OP_APMASK ? "apmask" : "aqmask", text);
		break;
	case OP_ATTACH:
		snprintf(out, size, "%s attach guest %" PRIu64, uuid, op->guest);
		break;
	case OP_DETACH:
		snprintf(out, size, "%s detach", uuid);
		break;
	}
}

/*
 * An mdev to work on: not one whose removal is pending (its files are going
 * away), except for the release that completes the removal.
 */
static struct ref_mdev *pick_mdev(struct run *rn, bool pending_too)
{
	struct ref_mdev *list[MAX_INST];
	unsigned int n = 0;

	for (struct ref_mdev *m = rn->ref.mdevs; m; m = m->next)
		if (pending_too || !m->remove_requested)
			list[n++] = m;
	return n ? list[rnd(rn, n)] : NULL;
}

static void gen_bind(struct run *rn, struct op *op)
{
	unsigned int a, d;
	bool queue;

	if (rnd(rn, 2)) {
		/*
		 * An existing queue, moved between cex4queue, vfio_ap and none;
		 * mostly one that can make the move towards vfio_ap, so that the
		 * v8 rules (every APQN bound to vfio_ap) let assignments through.
		 */
		for (int tries = 0; tries < 4; tries++) {
			a = rn->apids[rnd(rn, 8)];
			d = rn->apqis[rnd(rn, 8)];
			if (rn->ref.q_drv[a][d] ==
			    (op->type == OP_BIND ? AP_DRV_NONE : AP_DRV_CEX4QUEUE))
				break;
		}
		op->t.len = 0;
		tput(&op->t, rnd(rn, 2) ? "%02x.%04x" : "%02x.%04x\n", a, d);
		if (op->type == OP_UNBIND && rn->ref.q_drv[a][d] != AP_DRV_NONE)
			op->drv = (enum ap_driver)rn->ref.q_drv[a][d];
		else
			op->drv = rnd(rn, 4) ? AP_DRV_VFIO_AP : AP_DRV_CEX4QUEUE;
		return;
	}
	gen_device_text(rn, &op->t, &a, &d, &queue);
	if (op->type == OP_UNBIND && rnd(rn, 10) < 7) {
		/* mostly the driver the device has, so unbinding happens */
		op->drv = queue ? (enum ap_driver)rn->ref.q_drv[a][d]
				: (enum ap_driver)rn->ref.card_drv[a];
		if (op->drv == AP_DRV_NONE)
			op->drv = queue ? AP_DRV_VFIO_AP : AP_DRV_CEX4CARD;
		return;
	}
	if (rnd(rn, 100) < 15)
		op->drv = AP_DRV_CEX4CARD;
	else
		op->drv = rnd(rn, 100) < 60 ? AP_DRV_VFIO_AP : AP_DRV_CEX4QUEUE;
}

/* A guest number; v8 never opens a second mdev for one guest (see the report). */
static bool gen_guest(struct run *rn, struct op *op)
{
	op->guest = rnd(rn, 12) ? 1 + rnd(rn, 3) : 0;
	if (rn->abi != AP_ABI_V8 || !op->guest)
		return true;
	for (const struct ref_mdev *o = rn->ref.mdevs; o; o = o->next)
		if (o != op->m && o->guest == op->guest)
			return false;
	return true;
}

static void gen_op(struct run *rn, struct op *op)
{
	/* weight in cur, weight in v8 (which has no ap_config, apmask, aqmask) */
	static const struct {
		enum op_type type;
		int weight[2];
	} mix[] = {
	    {OP_CREATE, {7, 7}},     {OP_REMOVE, {3, 3}},    {OP_ASSIGN, {26, 32}},
	    {OP_UNASSIGN, {12, 12}}, {OP_AP_CONFIG, {7, 1}}, {OP_BIND, {12, 16}},
	    {OP_UNBIND, {10, 14}},   {OP_APMASK, {6, 1}},    {OP_AQMASK, {6, 1}},
	    {OP_ATTACH, {1, 1}},     {OP_DETACH, {4, 4}},
	};
	int v8 = rn->abi == AP_ABI_V8, total = 0, r;
	size_t i;

	for (i = 0; i < sizeof(mix) / sizeof(mix[0]); i++)
		total += mix[i].weight[v8];
	for (;;) {
		memset(op, 0, sizeof(*op));
		r = (int)rnd(rn, (unsigned int)total);
		for (i = 0; r >= mix[i].weight[v8]; i++)
			r -= mix[i].weight[v8];
		op->type = mix[i].type;
		if (op->type != OP_CREATE && op->type != OP_BIND && op->type != OP_UNBIND &&
		    op->type != OP_APMASK && op->type != OP_AQMASK) {
			op->m = pick_mdev(rn, op->type == OP_DETACH);
			if (!op->m)
				continue;
		}
		break;
	}
	op->kind = (enum ap_kind)(rnd(rn, 5) < 2 ? AP_KIND_ADAPTER
				  : rnd(rn, 3)	 ? AP_KIND_DOMAIN
						 : AP_KIND_CONTROL);
	switch (op->type) {
	case OP_CREATE:
		gen_uuid_text(rn, &op->t);
		break;
	case OP_REMOVE:
		gen_remove_text(rn, &op->t);
		break;
	case OP_ASSIGN:
	case OP_UNASSIGN:
		gen_id_text(rn, op->kind, &op->t);
		break;
	case OP_AP_CONFIG:
		gen_ap_config_text(rn, op->m, &op->t);
		break;
	case OP_BIND:
	case OP_UNBIND:
		gen_bind(rn, op);
		break;
	case OP_APMASK:
	case OP_AQMASK:
		gen_mask_text(rn, op->type == OP_APMASK, &op->t);
		break;
	case OP_ATTACH:
		if (!gen_guest(rn, op))
			op->type = OP_DETACH;
		break;
	case OP_DETACH:
		break;
	}
}

/* The edge's part of a pending removal: once the guest lets go, the mdev goes. */
static void finish_detach(struct run *rn, struct ref_mdev *m, struct ap_mdev *cm)
{
	m->guest = 0;
	if (cm)
		matrix_detach(rn->s, cm);
	if (m->remove_requested) {
		if (cm)
			matrix_destroy(rn->s, cm);
		ref_destroy(&rn->ref, m);
	}
}

static void apply(struct run *rn, struct op *op)
{
	struct ap_system *s = rn->s;
	struct ref *r = &rn->ref;
	struct ap_mdev *cm = op->m ? matrix_find(s, op->m->uuid) : NULL;
	const char *b = op->t.b;
	size_t n = op->t.len;
	int want = 0, got = 0;

	CHECK(rn, !op->m || cm, "the core has no mdev with this UUID");
	switch (op->type) {
	case OP_CREATE:
		want = ref_create(r, b, n);
		got = matrix_create(s, b, n, NULL);
		break;
	case OP_REMOVE:
		/* the core frees the mdev: decide on the reference first */
		got = matrix_remove_store(s, cm, b, n);
		want = ref_remove(r, op->m, b, n);
		break;
	case OP_ASSIGN:
		want = ref_assign(r, op->m, op->kind, b, n);
		got = matrix_assign(s, cm, op->kind, b, n);
		break;
	case OP_UNASSIGN:
		want = ref_unassign(r, op->m, op->kind, b, n);
		got = matrix_unassign(s, cm, op->kind, b, n);
		break;
	case OP_AP_CONFIG:
		want = ref_ap_config(r, op->m, b, n);
		got = matrix_ap_config_store(s, cm, b, n);
		break;
	case OP_BIND:
		want = ref_bind(r, op->drv, b, n);
		got = apbus_bind(s, op->drv, b, n);
		break;
	case OP_UNBIND:
		want = ref_unbind(r, op->drv, b, n);
		got = apbus_unbind(s, op->drv, b, n);
		break;
	case OP_APMASK:
	case OP_AQMASK:
		want = ref_store_mask(r, op->type == OP_APMASK, b, n);
		got = op->type == OP_APMASK ? apbus_store_apmask(s, b, n)
					    : apbus_store_aqmask(s, b, n);
		break;
	case OP_ATTACH:
		want = ref_attach(r, op->m, op->guest);
		got = matrix_attach(s, cm, op->guest);
		break;
	case OP_DETACH:
		finish_detach(rn, op->m, cm);
		break;
	}
	CHECK(rn, want == got, "returned %d (%s), reference says %d (%s)", got, strerror(-got),
	      want, strerror(-want));
	rn->stats[op->type][op->kind][got == 0]++;
	if (got < 0 && -got < 140)
		rn->errnos[op->type][-got]++;
}

/* ------------------------------------------------------------------ */
/* Comparing the two, and the core's invariants                        */
/* ------------------------------------------------------------------ */

static void check_mask(struct run *rn, const struct ap_mask *got, const bool *want,
		       const char *what, const struct ref_mdev *m)
{
	char uuid[AP_UUID_STR_LEN + 1] = "bus";

	if (m)
		ap_uuid_format(m->uuid, uuid);
	for (int i = 0; i < NB; i++)
		CHECK(rn, mask_bit(got, i) == want[i],
		      "%s %s: id %d is %s in the core, %s in the reference", uuid, what, i,
		      mask_bit(got, i) ? "set" : "clear", want[i] ? "set" : "clear");
}

/* matrix / guest_matrix (3.5), cut to one page as the core's show contract says. */
static void ref_show_apqns(const bool *apm, const bool *aqm, char *out)
{
	char all[PAGE + 32];
	bool adapters = any_set(apm), domains = any_set(aqm);
	size_t n = 0;

	all[0] = '\0';
	for (int a = 0; a < NB && n < PAGE; a++) {
		if (!apm[a])
			continue;
		if (domains) {
			for (int d = 0; d < NB && n < PAGE; d++)
				if (aqm[d])
					n += (size_t)sprintf(all + n, "%02x.%04x\n", a, d);
		} else {
			n += (size_t)sprintf(all + n, "%02x.\n", a);
		}
	}
	for (int d = 0; !adapters && d < NB && n < PAGE; d++)
		if (aqm[d])
			n += (size_t)sprintf(all + n, ".%04x\n", d);
	all[PAGE - 1] = '\0';
	memcpy(out, all, PAGE);
}

static void check_shows(struct run *rn, const struct ref_mdev *m, const struct ap_mdev *cm)
{
	char want[PAGE], got[PAGE], uuid[AP_UUID_STR_LEN + 1];
	size_t n;

	ap_uuid_format(m->uuid, uuid);
	ref_show_apqns(m->apm, m->aqm, want);
	matrix_show_matrix(cm, got, sizeof(got));
	CHECK(rn, !strcmp(want, got), "%s matrix shows \"%.60s...\", want \"%.60s...\"", uuid, got,
	      want);
	ref_show_apqns(m->sapm, m->saqm, want);
	matrix_show_guest_matrix(cm, got, sizeof(got));
	CHECK(rn, !strcmp(want, got), "%s guest_matrix shows \"%.60s...\", want \"%.60s...\"", uuid,
	      got, want);
	n = 0;
	want[0] = '\0';
	for (int d = 0; d < NB; d++)
		if (m->adm[d])
			n += (size_t)sprintf(want + n, "%04x\n", d);
	matrix_show_control_domains(cm, got, sizeof(got));
	CHECK(rn, !strcmp(want, got), "%s control_domains differ", uuid);
	n = 0;
	for (int k = 0; k < 3; k++) {
		const bool *bits = k == 0 ? m->apm : k == 1 ? m->aqm : m->adm;

		n += (size_t)sprintf(want + n, "0x");
		for (int i = 0; i < NB; i += 4)
			n += (size_t)sprintf(want + n, "%x",
					     bits[i] << 3 | bits[i + 1] << 2 | bits[i + 2] << 1 |
						 bits[i + 3]);
		n += (size_t)sprintf(want + n, k < 2 ? "," : "\n");
	}
	matrix_show_ap_config(cm, got, sizeof(got));
	CHECK(rn, !strcmp(want, got), "%s ap_config shows \"%.200s\", want \"%.200s\"", uuid, got,
	      want);
}

/* shows: the mdev the step touched (NULL: none), or all of them when all is set */
static void compare_state(struct run *rn, const struct ref_mdev *touched, bool all)
{
	const struct ap_system *s = rn->s;
	const struct ref *r = &rn->ref;

	CHECK(rn, s->matrix.count == r->count, "%u mdevs in the core, %u in the reference",
	      s->matrix.count, r->count);
	CHECK(rn, matrix_available(s) == r->max_instances - r->count,
	      "available_instances %u, want %u", matrix_available(s), r->max_instances - r->count);
	for (const struct ref_mdev *m = r->mdevs; m; m = m->next) {
		const struct ap_mdev *cm = matrix_find(s, m->uuid);

		CHECK(rn, cm, "an mdev of the reference is missing in the core");
		check_mask(rn, &cm->apm, m->apm, "APM", m);
		check_mask(rn, &cm->aqm, m->aqm, "AQM", m);
		check_mask(rn, &cm->adm, m->adm, "ADM", m);
		check_mask(rn, &cm->shadow_apm, m->sapm, "guest APM", m);
		check_mask(rn, &cm->shadow_aqm, m->saqm, "guest AQM", m);
		check_mask(rn, &cm->shadow_adm, m->sadm, "guest ADM", m);
		CHECK(rn, cm->guest == m->guest, "guest %" PRIu64 ", want %" PRIu64, cm->guest,
		      m->guest);
		CHECK(rn, cm->remove_requested == m->remove_requested, "remove_requested differs");
		if (all || m == touched)
			check_shows(rn, m, cm);
	}
	check_mask(rn, &s->bus.apmask, r->apmask, "apmask", NULL);
	check_mask(rn, &s->bus.aqmask, r->aqmask, "aqmask", NULL);
	for (unsigned int a = 0; a < NB; a++) {
		if (!r->adapter[a])
			continue;
		CHECK(rn, s->bus.card[a].driver == r->card_drv[a], "card%02x driver %s, want %s", a,
		      drv_names[s->bus.card[a].driver], drv_names[r->card_drv[a]]);
		for (unsigned int d = 0; d < NB; d++) {
			uint8_t got = s->bus.queue[AP_APQN(a, d)].driver;

			if (!ref_queue_exists(r, a, d))
				continue;
			CHECK(rn, got == r->q_drv[a][d], "%02x.%04x driver %s, want %s", a, d,
			      drv_names[got], drv_names[r->q_drv[a][d]]);
			if (r->abi == AP_ABI_CUR && got == AP_DRV_VFIO_AP)
				CHECK(rn,
				      matrix_queue_status(s, AP_APQN(a, d)) == ref_status(r, a, d),
				      "%02x.%04x status %d, want %d", a, d,
				      matrix_queue_status(s, AP_APQN(a, d)), ref_status(r, a, d));
		}
	}
}

static bool masks_meet(const struct ap_mask *x, const struct ap_mask *y)
{
	for (int i = 0; i < AP_MASK_BYTES; i++)
		if (x->b[i] & y->b[i])
			return true;
	return false;
}

static bool mask_within(const struct ap_mask *x, const struct ap_mask *y)
{
	for (int i = 0; i < AP_MASK_BYTES; i++)
		if (x->b[i] & ~y->b[i])
			return false;
	return true;
}

static bool holds(const struct ap_mdev *m, int a, int d)
{
	return mask_bit(&m->apm, a) && mask_bit(&m->aqm, d);
}

/* Per-mdev invariants, from the core's state alone. */
static void check_mdev_invariants(struct run *rn, const struct ap_mdev *m)
{
	const struct ap_system *s = rn->s;
	const struct ref *r = &rn->ref;

	CHECK(rn,
	      mask_within(&m->shadow_apm, &m->apm) && mask_within(&m->shadow_aqm, &m->aqm) &&
		  mask_within(&m->shadow_adm, &m->adm),
	      "mdev slot %u: guest matrix not within the matrix", m->slot);
	for (int a = 0; a < NB; a++) {
		CHECK(rn, !mask_bit(&m->apm, a) || (unsigned int)a <= r->max_apid,
		      "adapter %d above the limit assigned", a);
		CHECK(rn,
		      (!mask_bit(&m->aqm, a) && !mask_bit(&m->adm, a)) ||
			  (unsigned int)a <= r->max_apqi,
		      "domain %d above the limit assigned", a);
		for (int d = 0; mask_bit(&m->apm, a) && d < NB; d++) {
			if (!mask_bit(&m->aqm, d))
				continue;
			CHECK(rn, s->bus.queue[AP_APQN(a, d)].owner == m->slot + 1,
			      "owner of %02x.%04x is %u, want %u", a, d,
			      s->bus.queue[AP_APQN(a, d)].owner, m->slot + 1);
			CHECK(rn,
			      s->abi != AP_ABI_CUR ||
				  !(mask_bit(&s->bus.apmask, a) && mask_bit(&s->bus.aqmask, d)),
			      "%02x.%04x is assigned and reserved for the host", a, d);
			if (s->abi != AP_ABI_CUR || !mask_bit(&m->shadow_apm, a) ||
			    !mask_bit(&m->shadow_aqm, d))
				continue;
			CHECK(rn,
			      ref_queue_exists(r, (unsigned int)a, (unsigned int)d) &&
				  s->bus.queue[AP_APQN(a, d)].driver == AP_DRV_VFIO_AP,
			      "%02x.%04x is in a guest matrix but not a queue bound to vfio_ap", a,
			      d);
		}
	}
}

/*
 * No stale owner: an APQN the index gives to a slot is held by that slot.
 * Every step looks at the APQNs some matrix ever held (seen_a x seen_d; only
 * those can be stale), the full scan at all 65536.
 */
static void owner_reverse_check(struct run *rn, bool full)
{
	const struct ap_system *s = rn->s;

	for (unsigned int i = 0; i < s->matrix.nslots; i++) {
		const struct ap_mdev *m = s->matrix.slots[i];

		for (int x = 0; m && x < NB; x++) {
			rn->seen_a[x] |= mask_bit(&m->apm, x);
			rn->seen_d[x] |= mask_bit(&m->aqm, x);
		}
	}
	for (unsigned int a = 0; a < NB; a++) {
		for (unsigned int d = 0; (full || rn->seen_a[a]) && d < NB; d++) {
			uint32_t o = s->bus.queue[AP_APQN(a, d)].owner;

			if (!o || (!full && !rn->seen_d[d]))
				continue;
			CHECK(
			    rn,
			    o - 1 < s->matrix.nslots && s->matrix.slots[o - 1] &&
				holds(s->matrix.slots[o - 1], (int)a, (int)d),
			    "owner index says %02x.%04x belongs to slot %u, which does not hold it",
			    a, d, o - 1);
		}
	}
}

static void check_invariants(struct run *rn, bool owner_scan)
{
	const struct ap_system *s = rn->s;
	const struct ap_mdev *live[MAX_INST + 1];
	unsigned int n = 0;

	for (uint32_t i = 0; i < s->matrix.nslots; i++) {
		const struct ap_mdev *m = s->matrix.slots[i];

		if (!m)
			continue;
		CHECK(rn, n < MAX_INST && m->slot == i, "slot table broken at %u", i);
		live[n++] = m;
		check_mdev_invariants(rn, m);
	}
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = i + 1; j < n; j++)
			CHECK(rn,
			      !(masks_meet(&live[i]->apm, &live[j]->apm) &&
				masks_meet(&live[i]->aqm, &live[j]->aqm)),
			      "mdev slots %u and %u share an APQN", live[i]->slot, live[j]->slot);
	if (s->abi == AP_ABI_CUR) {
		for (unsigned int a = 0; a < NB; a++) {
			for (unsigned int d = 0; rn->ref.adapter[a] && d < NB; d++) {
				uint8_t drv = s->bus.queue[AP_APQN(a, d)].driver;
				bool res = mask_bit(&s->bus.apmask, (int)a) &&
					   mask_bit(&s->bus.aqmask, (int)d);

				if (ref_queue_exists(&rn->ref, a, d) && drv != AP_DRV_NONE)
					CHECK(rn, drv == (res ? AP_DRV_CEX4QUEUE : AP_DRV_VFIO_AP),
					      "%02x.%04x on %s against its reservation", a, d,
					      drv_names[drv]);
			}
		}
	}
	owner_reverse_check(rn, owner_scan);
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */
/* ------------------------------------------------------------------ */

struct run_cfg {
	enum ap_abi abi;
	uint64_t seed;
	struct run *rn; /* freed by the teardown, also after a failure */
};

/* What the run exercised: successes and errnos per operation. */
static void print_stats(const struct run *rn)
{
	static const char *const names[] = {"create",	 "remove", "assign", "unassign",
					    "ap_config", "bind",   "unbind", "apmask",
					    "aqmask",	 "attach", "detach"};

	for (int o = 0; o <= OP_DETACH; o++) {
		char line[512];
		int n = snprintf(line, sizeof(line), "%-9s", names[o]);
		unsigned int ok = 0, all = 0;

		for (int k = 0; k < 3; k++) {
			ok += rn->stats[o][k][1];
			all += rn->stats[o][k][0] + rn->stats[o][k][1];
			if (o == OP_ASSIGN || o == OP_UNASSIGN)
				n += snprintf(line + n, sizeof(line) - (size_t)n, " %s ok %u/%u",
					      kind_names[k], rn->stats[o][k][1],
					      rn->stats[o][k][0] + rn->stats[o][k][1]);
		}
		if (o != OP_ASSIGN && o != OP_UNASSIGN)
			n += snprintf(line + n, sizeof(line) - (size_t)n, " ok %u/%u", ok, all);
		for (int e = 1; e < 140; e++)
			if (rn->errnos[o][e])
				n += snprintf(line + n, sizeof(line) - (size_t)n, " %s:%u",
					      strerrorname_np(e), rn->errnos[o][e]);
		fprintf(stderr, "# %s seed %" PRIu64 ": %s\n", abi_name(rn->abi), rn->seed, line);
	}
}

static bool exhaustive; /* APEMU_RANDOM_EXHAUSTIVE */

static void run_one(struct run_cfg *cfg, int steps)
{
	struct run *rn = cfg->rn = calloc(1, sizeof(*rn));
	struct op op;

	assert_non_null(rn);
	setup(rn, cfg->abi, cfg->seed);
	compare_state(rn, NULL, true);
	check_invariants(rn, true);
	for (rn->step = 0; rn->step < steps; rn->step++) {
		gen_op(rn, &op);
		describe(&op, rn->hist[rn->step % HIST], sizeof(rn->hist[0]));
		apply(rn, &op);
		/* remove and detach may have freed op.m */
		compare_state(rn, op.type == OP_REMOVE || op.type == OP_DETACH ? NULL : op.m,
			      rn->step % FULL_SCAN == 0);
		check_invariants(rn, exhaustive && rn->step % FULL_SCAN == 0);
	}
	compare_state(rn, NULL, true);
	check_invariants(rn, true);
	if (getenv("APEMU_RANDOM_VERBOSE"))
		print_stats(rn);
}

static int free_run(void **state)
{
	struct run_cfg *cfg = *state;

	if (cfg->rn) {
		teardown(cfg->rn);
		free(cfg->rn);
		cfg->rn = NULL;
	}
	return 0;
}

static int env_steps(void)
{
	const char *e = getenv("APEMU_RANDOM_STEPS");

	return e ? atoi(e) : STEPS;
}

static void test_core_matches_reference_model(void **state)
{
	run_one(*state, env_steps());
}

static struct run_cfg cfgs[] = {
    {.abi = AP_ABI_CUR, .seed = 1},	   {.abi = AP_ABI_CUR, .seed = 0x5eed2024},
    {.abi = AP_ABI_CUR, .seed = 20181120}, {.abi = AP_ABI_CUR, .seed = 977},
    {.abi = AP_ABI_V8, .seed = 1},	   {.abi = AP_ABI_V8, .seed = 0x5eed2024},
    {.abi = AP_ABI_V8, .seed = 20181120},  {.abi = AP_ABI_V8, .seed = 977},
};

int main(void)
{
	const char *seed = getenv("APEMU_RANDOM_SEED");
	const char *abi = getenv("APEMU_RANDOM_ABI");
	static struct run_cfg one;
	static char names[sizeof(cfgs) / sizeof(cfgs[0])][64];
	struct CMUnitTest tests[sizeof(cfgs) / sizeof(cfgs[0])];
	size_t n = 0;

	exhaustive = getenv("APEMU_RANDOM_EXHAUSTIVE") != NULL;
	if (seed) {
		one.seed = strtoull(seed, NULL, 0);
		one.abi = abi && !strcmp(abi, "v8") ? AP_ABI_V8 : AP_ABI_CUR;
	}
	for (size_t i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]) && (!seed || !i); i++) {
		struct run_cfg *c = seed ? &one : &cfgs[i];

		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate_setup_teardown(
		    test_core_matches_reference_model, NULL, free_run, c);
		snprintf(names[n], sizeof(names[n]), "test_core_matches_reference_%s_seed_%" PRIu64,
			 abi_name(c->abi), c->seed);
		tests[n].name = names[n];
		n++;
	}
	return _cmocka_run_group_tests("random", tests, n, NULL, NULL);
}
