/*
 * matrix - the vfio_ap matrix driver (see matrix.h).
 *
 * Invariant: no APQN is in the matrix (APM x AQM) of two mdevs, and
 * queue[apqn].owner names the one mdev whose matrix holds apqn (0: none).
 * Every store checks a scratch matrix first and commits only on success.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "matrix.h"
#include "uevent.h"

/* ---- slots and the UUID hash ---- */

static uint32_t uuid_hash(const uint8_t u[AP_UUID_LEN])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < AP_UUID_LEN; i++)
		h = (h ^ u[i]) * 16777619u;
	return h;
}

static int hash_resize(struct ap_matrix *mx, uint32_t cap)
{
	uint32_t *old = mx->hash, old_cap = mx->hash_cap;
	uint32_t *h = calloc(cap, sizeof(*h));

	if (!h)
		return -ENOMEM;
	mx->hash = h;
	mx->hash_cap = cap;
	for (uint32_t i = 0; i < old_cap; i++) {
		uint32_t v = old[i], j;

		if (!v)
			continue;
		j = uuid_hash(mx->slots[v - 1]->uuid) & (cap - 1);
		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = v;
	}
	free(old);
	return 0;
}

/* Index in mx->hash of uuid's entry, or of the empty place where it would go. */
static uint32_t hash_pos(const struct ap_matrix *mx, const uint8_t uuid[AP_UUID_LEN])
{
	uint32_t j = uuid_hash(uuid) & (mx->hash_cap - 1);

	while (mx->hash[j] && memcmp(mx->slots[mx->hash[j] - 1]->uuid, uuid, AP_UUID_LEN))
		j = (j + 1) & (mx->hash_cap - 1);
	return j;
}

/* Linear probing deletion: shift later entries of the run back. */
static void hash_delete(struct ap_matrix *mx, uint32_t j)
{
	uint32_t mask = mx->hash_cap - 1, i = j;

	mx->hash[j] = 0;
	for (;;) {
		uint32_t home;

		i = (i + 1) & mask;
		if (!mx->hash[i])
			return;
		home = uuid_hash(mx->slots[mx->hash[i] - 1]->uuid) & mask;
		/* move entry i to the hole j if its home is not in (j, i] */
		if ((i > j && (home <= j || home > i)) || (i < j && home <= j && home > i)) {
			mx->hash[j] = mx->hash[i];
			mx->hash[i] = 0;
			j = i;
		}
	}
}

int matrix_init(struct ap_matrix *mx, uint32_t max_instances)
{
	memset(mx, 0, sizeof(*mx));
	mx->max_instances = max_instances;
	mx->hash_cap = 64;
	mx->hash = calloc(mx->hash_cap, sizeof(*mx->hash));
	return mx->hash ? 0 : -ENOMEM;
}

void matrix_clear(struct ap_matrix *mx)
{
	for (uint32_t i = 0; i < mx->nslots; i++)
		free(mx->slots[i]);
	free(mx->slots);
	free(mx->free_slots);
	free(mx->hash);
	memset(mx, 0, sizeof(*mx));
}

struct ap_mdev *matrix_find(const struct ap_system *s, const uint8_t uuid[AP_UUID_LEN])
{
	const struct ap_matrix *mx = &s->matrix;
	uint32_t v = mx->hash[hash_pos(mx, uuid)];

	return v ? mx->slots[v - 1] : NULL;
}

struct ap_mdev *matrix_find_str(const struct ap_system *s, const char *str)
{
	uint8_t uuid[AP_UUID_LEN];

	if (strlen(str) != AP_UUID_STR_LEN || ap_uuid_parse(str, AP_UUID_STR_LEN, true, uuid) < 0)
		return NULL;
	return matrix_find(s, uuid);
}

struct ap_mdev *matrix_find_name(const struct ap_system *s, const char *name)
{
	char canon[AP_UUID_STR_LEN + 1];
	struct ap_mdev *m = matrix_find_str(s, name);

	if (!m)
		return NULL;
	ap_uuid_format(m->uuid, canon);
	return strcmp(canon, name) ? NULL : m;
}

int matrix_bus_drivers_probe(const struct ap_system *s, const char *buf, size_t len)
{
	size_t n = strnlen(buf, len);

	(void)s;
	if (n && buf[n - 1] == '\n')
		n--;
	return n == 6 && !memcmp(buf, "matrix", 6) ? 0 : -ENODEV;
}

/* A write names an mdev: its exact name, plus one optional newline. */
int matrix_mdev_drivers_probe(const struct ap_system *s, const char *buf, size_t len)
{
	char name[AP_UUID_STR_LEN + 1];
	size_t n = strnlen(buf, len);

	if (n && buf[n - 1] == '\n')
		n--;
	if (n != AP_UUID_STR_LEN)
		return -ENODEV;
	memcpy(name, buf, n);
	name[n] = '\0';
	return matrix_find_name(s, name) ? 0 : -ENODEV;
}

int matrix_mdev_drv_bind(const struct ap_system *s, const char *buf, size_t len)
{
	return matrix_mdev_drivers_probe(s, buf, len) == 0 ? -EBUSY : -ENODEV;
}

uint32_t matrix_available(const struct ap_system *s)
{
	return s->matrix.max_instances - s->matrix.count;
}

/* Reserve room for one more mdev. */
static int slots_reserve(struct ap_matrix *mx)
{
	if (!mx->nfree && mx->nslots == mx->cap) {
		uint32_t cap = mx->cap ? mx->cap * 2 : 16;
		struct ap_mdev **slots = realloc(mx->slots, cap * sizeof(*slots));
		uint32_t *fs;

		if (!slots)
			return -ENOMEM;
		mx->slots = slots;
		fs = realloc(mx->free_slots, cap * sizeof(*fs));
		if (!fs)
			return -ENOMEM;
		mx->free_slots = fs;
		mx->cap = cap;
	}
	if ((mx->count + 1) * 2 > mx->hash_cap)
		return hash_resize(mx, mx->hash_cap * 2);
	return 0;
}

int matrix_create_uuid(struct ap_system *s, const uint8_t uuid[AP_UUID_LEN],
		       struct ap_mdev **ret_mdev)
{
	struct ap_matrix *mx = &s->matrix;
	struct ap_mdev *m;
	uint32_t slot;

	if (matrix_find(s, uuid))
		return -EEXIST;
	if (mx->count >= mx->max_instances)
		return s->abi == AP_ABI_V8 ? -EPERM : -EUSERS;
	if (slots_reserve(mx) < 0)
		return -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	slot = mx->nfree ? mx->free_slots[--mx->nfree] : mx->nslots++;
	memcpy(m->uuid, uuid, AP_UUID_LEN);
	m->slot = slot;
	m->seq = mx->next_seq++;
	mx->slots[slot] = m;
	mx->hash[hash_pos(mx, uuid)] = slot + 1;
	mx->count++;
	s->topology++;
	/* mdev_device_create(): device_add, then device_driver_attach */
	uevent_mdev(s, m, AP_UEVENT_ADD);
	m->bound = true;
	uevent_mdev(s, m, AP_UEVENT_BIND);
	if (ret_mdev)
		*ret_mdev = m;
	return 0;
}

int matrix_create(struct ap_system *s, const char *buf, size_t len, struct ap_mdev **ret_mdev)
{
	uint8_t uuid[AP_UUID_LEN];
	/* 36 or 37 bytes in every mdev core since 4.x (the reference's 4.20 note is wrong) */
	int r = ap_uuid_parse(buf, len, true, uuid);

	if (r < 0)
		return r;
	return matrix_create_uuid(s, uuid, ret_mdev);
}

unsigned int matrix_max(const struct ap_system *s, enum ap_kind kind)
{
	return kind == AP_KIND_ADAPTER ? machine_max_apid(&s->hw) : machine_max_apqi(&s->hw);
}

/* ---- the owner index ---- */

static void owner_fill(struct ap_system *s, const struct ap_mask *apm, const struct ap_mask *aqm,
		       uint32_t value)
{
	int a, d;

	ap_mask_for_each (a, apm)
		ap_mask_for_each (d, aqm)
			s->bus.queue[AP_APQN(a, d)].owner = value;
}

/*
 * The first APQN of apm x aqm held by an mdev other than the one whose owner
 * value is self (0: any holder counts): that holder, or NULL.
 */
static struct ap_mdev *owner_conflict(const struct ap_system *s, uint32_t self,
				      const struct ap_mask *apm, const struct ap_mask *aqm)
{
	int a, d;

	ap_mask_for_each (a, apm) {
		ap_mask_for_each (d, aqm) {
			uint32_t o = s->bus.queue[AP_APQN(a, d)].owner;

			if (o && o != self)
				return s->matrix.slots[o - 1];
		}
	}
	return NULL;
}

struct ap_mdev *matrix_apqn_owner(const struct ap_system *s, unsigned int apqn)
{
	uint32_t o = s->bus.queue[apqn & 0xffff].owner;

	return o ? s->matrix.slots[o - 1] : NULL;
}

static void log_sharing(const struct ap_system *s, const struct ap_mdev *m,
			const struct ap_mdev *other, const struct ap_mask *apm,
			const struct ap_mask *aqm)
{
	struct ap_mask sa, sd;
	char me[AP_UUID_STR_LEN + 1], them[AP_UUID_STR_LEN + 1];
	int a, d;

	ap_uuid_format(m->uuid, me);
	ap_uuid_format(other->uuid, them);
	ap_mask_and(&sa, apm, &other->apm);
	ap_mask_and(&sd, aqm, &other->aqm);
	ap_mask_for_each (a, &sa)
		ap_mask_for_each (d, &sd)
			ap_log(s, AP_LOG_WARNING, me,
			       "Userspace may not assign queue %02x.%04x to mdev: already assigned "
			       "to %s",
			       a, d, them);
}

/*
 * Check the APQNs that a matrix change adds (new_apm x new_aqm, a slice of
 * the new matrix apm x aqm) against the other mdevs: -EADDRINUSE.
 */
static int check_sharing(const struct ap_system *s, const struct ap_mdev *m,
			 const struct ap_mask *new_apm, const struct ap_mask *new_aqm,
			 const struct ap_mask *apm, const struct ap_mask *aqm)
{
	struct ap_mdev *other = owner_conflict(s, m->slot + 1, new_apm, new_aqm);

	if (!other)
		return 0;
	/* 4.20 refused silently; today's kernel names every shared APQN */
	if (s->abi == AP_ABI_CUR)
		log_sharing(s, m, other, apm, aqm);
	return -EADDRINUSE;
}

/* cur: an APQN reserved for the host by apmask x aqmask -> -EADDRNOTAVAIL. */
static int check_reserved_cur(const struct ap_system *s, const struct ap_mask *apm,
			      const struct ap_mask *aqm)
{
	if (ap_mask_intersects(apm, &s->bus.apmask) && ap_mask_intersects(aqm, &s->bus.aqmask))
		return -EADDRNOTAVAIL;
	return 0;
}

static bool bound_to_vfio(const struct ap_system *s, unsigned int a, unsigned int d)
{
	return apbus_queue_exists(s, a, d) && s->bus.queue[AP_APQN(a, d)].driver == AP_DRV_VFIO_AP;
}

/*
 * v8/4.20: every APQN an assignment creates must be bound to vfio_ap; with
 * nothing assigned on the other axis, some queue of the id must be.
 */
static int check_bound_v8(const struct ap_system *s, enum ap_kind kind, unsigned int id,
			  const struct ap_mask *other_axis)
{
	int x;

	if (ap_mask_empty(other_axis)) {
		for (unsigned int y = 0; y < AP_DOMAINS; y++)
			if (kind == AP_KIND_ADAPTER ? bound_to_vfio(s, id, y)
						    : bound_to_vfio(s, y, id))
				return 0;
		return -EADDRNOTAVAIL;
	}
	ap_mask_for_each (x, other_axis) {
		bool ok = kind == AP_KIND_ADAPTER ? bound_to_vfio(s, id, (unsigned int)x)
						  : bound_to_vfio(s, (unsigned int)x, id);
		if (!ok)
			return -EADDRNOTAVAIL;
	}
	return 0;
}

/* ---- queue resets and the guest matrix ---- */

static bool reset_passable(uint8_t rc)
{
	return rc == AP_RC_NORMAL || rc == AP_RC_DECONFIGURED || rc == AP_RC_CHECKSTOPPED;
}

/* vfio_ap zeroizes a queue it holds and records the response code. */
static void mdev_reset_queue(struct ap_system *s, unsigned int a, unsigned int d)
{
	if (!bound_to_vfio(s, a, d))
		return;
	s->bus.queue[AP_APQN(a, d)].reset_rc = (uint8_t)apbus_queue_reset(s, AP_APQN(a, d), true);
}

/* Reset the mdev's queues of the given adapters (those linked: assigned and bound). */
static void reset_adapters(struct ap_system *s, const struct ap_mdev *m,
			   const struct ap_mask *apids)
{
	int a, d;

	ap_mask_for_each (a, apids)
		ap_mask_for_each (d, &m->aqm)
			mdev_reset_queue(s, (unsigned int)a, (unsigned int)d);
}

static void guest_update(struct ap_system *s, struct ap_mdev *m)
{
	if (m->guest && s->ops.guest_update)
		s->ops.guest_update(s->ops_ctx, m);
}

static bool filter_cdoms(struct ap_system *s, struct ap_mdev *m)
{
	struct ap_mask adm;

	if (s->abi == AP_ABI_V8)
		adm = m->adm;
	else
		ap_mask_and(&adm, &m->adm, &s->hw.info.control_domains);
	if (ap_mask_equal(&adm, &m->shadow_adm))
		return false;
	m->shadow_adm = adm;
	return true;
}

/*
 * Compute the shadow APM/AQM (cur): the assigned ids the host has, minus
 * every adapter with a queue that is not bound to vfio_ap or whose last
 * reset did not pass. Adapters that leave the guest go to *ret_filtered.
 * v8 hands the guest the assigned matrix as it is. Returns true on change.
 */
static bool filter_matrix(struct ap_system *s, struct ap_mdev *m, struct ap_mask *ret_filtered)
{
	struct ap_mask host_apm, apm, aqm;
	bool changed;
	int a, d;

	ap_mask_zero(ret_filtered);
	if (s->abi == AP_ABI_V8) {
		apm = m->apm;
		aqm = m->aqm;
	} else {
		machine_adapter_mask(&s->hw, &host_apm);
		ap_mask_and(&apm, &m->apm, &host_apm);
		ap_mask_and(&aqm, &m->aqm, &s->hw.info.usage_domains);
		ap_mask_for_each (a, &apm) {
			ap_mask_for_each (d, &aqm) {
				const struct ap_queue_dev *q = &s->bus.queue[AP_APQN(a, d)];

				if (bound_to_vfio(s, a, d) && reset_passable(q->reset_rc))
					continue;
				ap_mask_clear(&apm, a);
				if (ap_mask_test(&m->shadow_apm, a))
					ap_mask_set(ret_filtered, a);
				break;
			}
		}
	}
	changed = !ap_mask_equal(&apm, &m->shadow_apm) || !ap_mask_equal(&aqm, &m->shadow_aqm);
	m->shadow_apm = apm;
	m->shadow_aqm = aqm;
	return changed;
}

/* Re-filter everything and push the result to an attached guest. */
static void refilter(struct ap_system *s, struct ap_mdev *m)
{
	struct ap_mask filtered;
	bool changed = filter_matrix(s, m, &filtered);

	changed |= filter_cdoms(s, m);
	if (!changed)
		return;
	guest_update(s, m);
	reset_adapters(s, m, &filtered);
}

/* ---- assign / unassign ---- */

static struct ap_mask *kind_mask(struct ap_mdev *m, enum ap_kind kind)
{
	return kind == AP_KIND_ADAPTER ? &m->apm : kind == AP_KIND_DOMAIN ? &m->aqm : &m->adm;
}

static int assign_queues(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned int id)
{
	struct ap_mask apm = m->apm, aqm = m->aqm, one;
	int r;

	ap_mask_zero(&one);
	ap_mask_set(&one, id);
	if (kind == AP_KIND_ADAPTER)
		ap_mask_set(&apm, id);
	else
		ap_mask_set(&aqm, id);
	if (s->abi == AP_ABI_V8)
		r = check_bound_v8(s, kind, id, kind == AP_KIND_ADAPTER ? &m->aqm : &m->apm);
	else
		r = check_reserved_cur(s, &apm, &aqm);
	if (r < 0)
		return r;
	if (kind == AP_KIND_ADAPTER)
		r = check_sharing(s, m, &one, &aqm, &apm, &aqm);
	else
		r = check_sharing(s, m, &apm, &one, &apm, &aqm);
	if (r < 0)
		return r;
	m->apm = apm;
	m->aqm = aqm;
	if (kind == AP_KIND_ADAPTER)
		owner_fill(s, &one, &aqm, m->slot + 1);
	else
		owner_fill(s, &apm, &one, m->slot + 1);
	refilter(s, m);
	return 0;
}

int matrix_assign_id(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned long id)
{
	if (s->abi == AP_ABI_V8 && m->guest)
		return -EBUSY;
	if (id > matrix_max(s, kind))
		return -ENODEV;
	/* cur: an id already assigned is accepted without any check */
	if (s->abi == AP_ABI_CUR && ap_mask_test(kind_mask(m, kind), (unsigned int)id))
		return 0;
	if (kind == AP_KIND_CONTROL) {
		ap_mask_set(&m->adm, (unsigned int)id);
		if (filter_cdoms(s, m))
			guest_update(s, m);
		return 0;
	}
	return assign_queues(s, m, kind, (unsigned int)id);
}

/* Take an adapter or domain out of the matrix, and out of the guest if it was there. */
static void unassign_queues(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind,
			    unsigned int id)
{
	struct ap_mask one, in_guest;
	bool was_in_guest;
	int x;

	ap_mask_zero(&one);
	ap_mask_set(&one, id);
	if (kind == AP_KIND_ADAPTER) {
		owner_fill(s, &one, &m->aqm, 0);
		was_in_guest = s->abi == AP_ABI_CUR && ap_mask_test(&m->shadow_apm, id);
		if (was_in_guest) {
			ap_mask_clear(&m->shadow_apm, id);
			guest_update(s, m);
			ap_mask_for_each (x, &m->shadow_aqm)
				mdev_reset_queue(s, id, (unsigned int)x);
		}
		ap_mask_clear(&m->apm, id);
		return;
	}
	owner_fill(s, &m->apm, &one, 0);
	was_in_guest = s->abi == AP_ABI_CUR && ap_mask_test(&m->shadow_aqm, id);
	in_guest = m->shadow_apm;
	if (was_in_guest) {
		ap_mask_clear(&m->shadow_aqm, id);
		guest_update(s, m);
		ap_mask_for_each (x, &in_guest)
			mdev_reset_queue(s, (unsigned int)x, id);
	}
	ap_mask_clear(&m->aqm, id);
}

int matrix_unassign_id(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned long id)
{
	if (s->abi == AP_ABI_V8 && m->guest)
		return -EBUSY;
	if (id > matrix_max(s, kind))
		return -ENODEV;
	if (!ap_mask_test(kind_mask(m, kind), (unsigned int)id))
		return 0;
	if (kind == AP_KIND_CONTROL) {
		ap_mask_clear(&m->adm, (unsigned int)id);
		if (filter_cdoms(s, m))
			guest_update(s, m);
		return 0;
	}
	unassign_queues(s, m, kind, (unsigned int)id);
	if (s->abi == AP_ABI_V8)
		refilter(s, m);
	return 0;
}

static int parse_assign(struct ap_system *s, struct ap_mdev *m, const char *buf, size_t len,
			unsigned long *ret_id)
{
	/* v8/4.20 refuse any change while a guest uses the mdev, before parsing */
	if (s->abi == AP_ABI_V8 && m->guest)
		return -EBUSY;
	return ap_parse_ulong(buf, len, ret_id);
}

int matrix_assign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, const char *buf,
		  size_t len)
{
	unsigned long id;
	int r = parse_assign(s, m, buf, len, &id);

	return r < 0 ? r : matrix_assign_id(s, m, kind, id);
}

int matrix_unassign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, const char *buf,
		    size_t len)
{
	unsigned long id;
	int r = parse_assign(s, m, buf, len, &id);

	return r < 0 ? r : matrix_unassign_id(s, m, kind, id);
}

/* ---- ap_config ---- */

/* The three comma/newline separated absolute masks of an ap_config write. */
static int parse_ap_config(const char *buf, size_t len, struct ap_mask ret[3])
{
	char tmp[3 * (AP_MASK_HEX_LEN - 1) + 3 + 1]; /* the kernel keeps 201 bytes */
	char *rest = tmp;
	size_t n = strnlen(buf, len);
	struct ap_mask m[3];

	if (n > sizeof(tmp) - 1)
		n = sizeof(tmp) - 1;
	memcpy(tmp, buf, n);
	tmp[n] = '\0';
	for (int i = 0; i < 3; i++) {
		char *tok = strsep(&rest, ",\n");

		if (!tok || ap_mask_parse_abs(tok, strlen(tok), &m[i]) < 0)
			return -EINVAL;
	}
	memcpy(ret, m, sizeof(m));
	return 0;
}

/* Unplug removed adapters and domains from the guest, resetting their queues. */
static void ap_config_unplug(struct ap_system *s, struct ap_mdev *m, const struct ap_mask *gone_apm,
			     const struct ap_mask *gone_aqm)
{
	struct ap_mask out_apm, out_aqm, keep_apm;
	int a, d;

	ap_mask_and(&out_apm, gone_apm, &m->shadow_apm);
	if (!ap_mask_empty(&out_apm)) {
		ap_mask_andnot(&m->shadow_apm, &m->shadow_apm, &out_apm);
		guest_update(s, m);
		ap_mask_for_each (a, &out_apm)
			ap_mask_for_each (d, &m->shadow_aqm)
				mdev_reset_queue(s, (unsigned int)a, (unsigned int)d);
	}
	ap_mask_and(&out_aqm, gone_aqm, &m->shadow_aqm);
	if (!ap_mask_empty(&out_aqm)) {
		ap_mask_andnot(&m->shadow_aqm, &m->shadow_aqm, &out_aqm);
		guest_update(s, m);
		keep_apm = m->shadow_apm;
		ap_mask_for_each (a, &keep_apm)
			ap_mask_for_each (d, &out_aqm)
				mdev_reset_queue(s, (unsigned int)a, (unsigned int)d);
	}
}

int matrix_ap_config_store(struct ap_system *s, struct ap_mdev *m, const char *buf, size_t len)
{
	struct ap_mask nm[3], gone_apm, gone_aqm;
	int r;

	if (s->abi != AP_ABI_CUR)
		return -ENOENT;
	r = parse_ap_config(buf, len, nm);
	if (r < 0)
		return r;
	r = check_reserved_cur(s, &nm[0], &nm[1]);
	if (r < 0)
		return r;
	r = check_sharing(s, m, &nm[0], &nm[1], &nm[0], &nm[1]);
	if (r < 0)
		return r;
	if (ap_mask_any_above(&nm[0], matrix_max(s, AP_KIND_ADAPTER)) ||
	    ap_mask_any_above(&nm[1], matrix_max(s, AP_KIND_DOMAIN)) ||
	    ap_mask_any_above(&nm[2], matrix_max(s, AP_KIND_CONTROL)))
		return -ENODEV;
	ap_mask_andnot(&gone_apm, &m->apm, &nm[0]);
	ap_mask_andnot(&gone_aqm, &m->aqm, &nm[1]);
	ap_config_unplug(s, m, &gone_apm, &gone_aqm);
	owner_fill(s, &m->apm, &m->aqm, 0);
	owner_fill(s, &nm[0], &nm[1], m->slot + 1);
	m->apm = nm[0];
	m->aqm = nm[1];
	m->adm = nm[2];
	refilter(s, m);
	return 0;
}

/* ---- AP bus callbacks ---- */

bool matrix_in_use(struct ap_system *s, const struct ap_mask *apm, const struct ap_mask *aqm)
{
	struct ap_mdev *o = owner_conflict(s, 0, apm, aqm);
	char dev[AP_UUID_STR_LEN + 1];
	struct ap_mask sa, sd;
	int a, d;

	if (!o)
		return false;
	ap_uuid_format(o->uuid, dev);
	ap_mask_and(&sa, apm, &o->apm);
	ap_mask_and(&sd, aqm, &o->aqm);
	ap_mask_for_each (a, &sa)
		ap_mask_for_each (d, &sd)
			ap_log(s, AP_LOG_WARNING, dev,
			       "Can not reserve queue %02x.%04x for host driver: in use by mdev", a,
			       d);
	return true;
}

void matrix_queue_probe(struct ap_system *s, unsigned int apqn)
{
	struct ap_mdev *m;

	if (s->abi != AP_ABI_CUR)
		return;
	s->bus.queue[apqn].reset_rc = AP_RC_NORMAL;
	m = matrix_apqn_owner(s, apqn);
	if (m)
		refilter(s, m);
}

void matrix_queue_remove(struct ap_system *s, unsigned int apqn)
{
	unsigned int a = AP_APQN_APID(apqn), d = AP_APQN_APQI(apqn);
	struct ap_mdev *m = matrix_apqn_owner(s, apqn);
	int x;

	if (s->abi != AP_ABI_CUR)
		return;
	if (m && ap_mask_test(&m->shadow_apm, a) && ap_mask_test(&m->shadow_aqm, d)) {
		/* one APQN cannot leave a guest alone: the whole adapter goes */
		ap_mask_clear(&m->shadow_apm, a);
		guest_update(s, m);
		ap_mask_for_each (x, &m->aqm)
			mdev_reset_queue(s, a, (unsigned int)x);
		return;
	}
	mdev_reset_queue(s, a, d);
}

void matrix_config_changed(struct ap_system *s)
{
	if (s->abi != AP_ABI_CUR)
		return;
	for (uint32_t i = 0; i < s->matrix.nslots; i++)
		if (s->matrix.slots[i])
			refilter(s, s->matrix.slots[i]);
}

/* ---- guests, remove ---- */

int matrix_attach(struct ap_system *s, struct ap_mdev *m, uint64_t guest)
{
	if (!guest)
		return -EINVAL;
	if (m->guest)
		return -EBUSY;
	for (uint32_t i = 0; i < s->matrix.nslots; i++) {
		const struct ap_mdev *o = s->matrix.slots[i];

		if (o && o != m && o->guest == guest)
			/* 4.20 opened the device but installed nothing */
			return s->abi == AP_ABI_CUR ? -EPERM : 0;
	}
	m->guest = guest;
	guest_update(s, m);
	return 0;
}

/*
 * Zeroize the mdev's queues that are bound to vfio_ap (APM x AQM, in both
 * ABIs; a queue another driver holds is not vfio_ap's to zeroize). Only
 * VFIO_DEVICE_RESET in v8 resets all of APM x AQM (matrix_device_reset).
 */
static void reset_all_queues(struct ap_system *s, const struct ap_mdev *m)
{
	reset_adapters(s, m, &m->apm);
}

void matrix_detach(struct ap_system *s, struct ap_mdev *m)
{
	if (!m->guest)
		return;
	m->guest = 0;
	reset_all_queues(s, m);
}

int matrix_open_check(const struct ap_system *s, const struct ap_mdev *m, bool open, bool kvm)
{
	if (!m || m->remove_requested)
		return -ENODEV;
	if (open)
		return -EBUSY;
	if (!kvm && s->abi == AP_ABI_CUR)
		return -EINVAL;
	return 0;
}

/* v8: the errno of one queue's reset response code (0 for 0x00). */
static int v8_reset_errno(int rc)
{
	if (rc == AP_RC_NORMAL)
		return 0;
	return rc == AP_RC_RESET_IN_PROGRESS || rc == AP_RC_BUSY ? -EBUSY : -EIO;
}

int matrix_device_reset(struct ap_system *s, struct ap_mdev *m)
{
	int a, d, e = 0;

	ap_mask_for_each (a, &m->apm) {
		ap_mask_for_each (d, &m->aqm) {
			unsigned int apqn = AP_APQN((unsigned int)a, (unsigned int)d);
			int r;

			if (s->abi == AP_ABI_V8) {
				r = v8_reset_errno(apbus_queue_reset(s, apqn, true));
				e = r ? r : e;
				continue;
			}
			if (!bound_to_vfio(s, (unsigned int)a, (unsigned int)d))
				continue;
			mdev_reset_queue(s, (unsigned int)a, (unsigned int)d);
			if (s->bus.queue[apqn].reset_rc != AP_RC_NORMAL)
				e = -EIO;
		}
	}
	return e;
}

void matrix_destroy(struct ap_system *s, struct ap_mdev *m)
{
	struct ap_matrix *mx = &s->matrix;

	reset_all_queues(s, m);
	owner_fill(s, &m->apm, &m->aqm, 0);
	/* device_del(): the driver is released first, then the device goes */
	m->bound = false;
	uevent_mdev(s, m, AP_UEVENT_UNBIND);
	uevent_mdev(s, m, AP_UEVENT_REMOVE);
	hash_delete(mx, hash_pos(mx, m->uuid));
	mx->slots[m->slot] = NULL;
	mx->free_slots[mx->nfree++] = m->slot;
	mx->count--;
	s->topology++;
	free(m);
}

int matrix_remove_store(struct ap_system *s, struct ap_mdev *m, const char *buf, size_t len)
{
	unsigned long v;

	if (ap_parse_ulong(buf, len, &v) < 0)
		return -EINVAL;
	if (!v)
		return 0;
	if (m->guest) {
		if (s->abi == AP_ABI_V8)
			return -EBUSY;
		m->remove_requested = true;
		return -EINPROGRESS;
	}
	matrix_destroy(s, m);
	return 0;
}
