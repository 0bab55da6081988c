/*
 * status - the "status" reply (see status.h and docs/control-socket.md).
 *
 * The queue list can hold 65536 entries; as json-c objects that would cost
 * tens of MiB, so it is a compact snapshot taken under the lock and written
 * straight into the reply text by a custom serializer after the lock is
 * released.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <json-c/printbuf.h>

#include "bus.h"
#include "cleanup.h"
#include "vmm.h"
#include "matrix.h"
#include "parse.h"
#include "status.h"

/* One queue as the snapshot keeps it. */
struct qrec {
	uint16_t apqn;
	uint8_t driver; /* enum ap_driver */
	uint8_t status; /* enum ap_queue_status, for vfio_ap queues */
	bool reserved;	/* for the host by apmask/aqmask */
	bool online;	/* cex4queue only */
	bool owned;	/* uuid is valid */
	uint8_t uuid[AP_UUID_LEN];
};

struct qsnap {
	size_t n;
	struct qrec rec[];
};

static const char *const qstatus_name[] = {
    [AP_QSTATUS_UNASSIGNED] = "unassigned",
    [AP_QSTATUS_ASSIGNED] = "assigned",
    [AP_QSTATUS_IN_USE] = "in use",
};

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

static struct json_object *mask_hex(const struct ap_mask *m)
{
	char hex[AP_MASK_HEX_LEN];

	ap_mask_format(m, hex);
	return json_object_new_string(hex);
}

static struct json_object *mask_ids(const struct ap_mask *m)
{
	struct json_object *a = json_object_new_array();
	int id;

	ap_mask_for_each (id, m)
		json_object_array_add(a, json_object_new_int(id));
	return a;
}

static struct json_object *driver_name(enum ap_driver drv)
{
	const char *name = apbus_driver_name(drv);

	return name ? json_object_new_string(name) : NULL;
}

static struct json_object *adapter_obj(const struct ap_system *s, unsigned int apid)
{
	const struct ap_adapter *a = &s->hw.adapter[apid];
	struct json_object *o = json_object_new_object();
	char buf[16];

	add(o, "id", json_object_new_int((int)apid));
	snprintf(buf, sizeof(buf), "card%02x", apid);
	add(o, "card", json_object_new_string(buf));
	machine_type_name(a, buf);
	add(o, "type", json_object_new_string(buf));
	add(o, "hwtype", json_object_new_int((int)machine_hwtype(a)));
	add(o, "mode", json_object_new_string(machine_mode_name(a->mode)));
	add(o, "depth", json_object_new_int(a->depth));
	add(o, "max_msg_size", json_object_new_int64(a->max_msg_size));
	add(o, "serial", json_object_new_string(a->serial));
	snprintf(buf, sizeof(buf), "0x%08X", machine_functions(&s->hw, a));
	add(o, "functions", json_object_new_string(buf));
	add(o, "config", json_object_new_boolean(a->configured));
	add(o, "chkstop", json_object_new_boolean(a->chkstop));
	add(o, "online", json_object_new_boolean(apbus_card_online(s, apid)));
	add(o, "driver", driver_name(s->bus.card[apid].driver));
	return o;
}

/* Per-adapter counts of its queues by holder, for summaries of big machines. */
static struct json_object *queue_counts(const struct ap_system *s, unsigned int apid)
{
	unsigned int n[AP_DRV_COUNT] = {0}, assigned = 0, in_use = 0, total = 0;
	struct json_object *o = json_object_new_object();

	for (unsigned int d = 0; d < AP_DOMAINS; d++) {
		unsigned int apqn = AP_APQN(apid, d);

		if (!apbus_queue_exists(s, apid, d))
			continue;
		total++;
		n[s->bus.queue[apqn].driver]++;
		if (s->bus.queue[apqn].driver != AP_DRV_VFIO_AP)
			continue;
		switch (matrix_queue_status(s, apqn)) {
		case AP_QSTATUS_ASSIGNED:
			assigned++;
			break;
		case AP_QSTATUS_IN_USE:
			in_use++;
			break;
		default:
			break;
		}
	}
	add(o, "total", json_object_new_int((int)total));
	add(o, "cex4queue", json_object_new_int((int)n[AP_DRV_CEX4QUEUE]));
	add(o, "vfio_ap", json_object_new_int((int)n[AP_DRV_VFIO_AP]));
	add(o, "unbound", json_object_new_int((int)n[AP_DRV_NONE]));
	add(o, "assigned", json_object_new_int((int)assigned));
	add(o, "in_use", json_object_new_int((int)in_use));
	return o;
}

static struct json_object *adapters_array(const struct ap_system *s)
{
	struct json_object *a = json_object_new_array();

	for (unsigned int apid = 0; apid < AP_DEVICES; apid++) {
		struct json_object *o;

		if (!apbus_card_exists(s, apid))
			continue;
		o = adapter_obj(s, apid);
		add(o, "queue_counts", queue_counts(s, apid));
		json_object_array_add(a, o);
	}
	return a;
}

static struct json_object *matrix_obj(const struct ap_mask *apm, const struct ap_mask *aqm,
				      const struct ap_mask *adm)
{
	struct json_object *o = json_object_new_object();

	add(o, "apm", mask_hex(apm));
	add(o, "aqm", mask_hex(aqm));
	add(o, "adm", mask_hex(adm));
	return o;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct ap_mdev *x = *(struct ap_mdev *const *)a, *y = *(struct ap_mdev *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The CRYCB of the guest an mdev is attached to, as hex, or null. */
static struct json_object *crycb_of(struct apemud *d, const struct ap_mdev *m)
{
	char hex[VMM_CRYCB_HEX_LEN];

	if (!m->guest || !vmm_crycb_hex(d, m->guest, hex))
		return NULL;
	return json_object_new_string(hex);
}

/* The mdevs in creation order. */
static struct json_object *mdevs_array(struct apemud *d)
{
	const struct ap_system *s = d->sys;
	_cleanup_free_ struct ap_mdev **list = calloc(s->matrix.count + 1, sizeof(*list));
	struct json_object *a = json_object_new_array();
	size_t n = 0;

	if (!list)
		return a;
	for (uint32_t slot = 0; slot < s->matrix.nslots && n < s->matrix.count; slot++)
		if (matrix_slot(s, slot))
			list[n++] = matrix_slot(s, slot);
	qsort(list, n, sizeof(*list), cmp_seq);
	for (size_t i = 0; i < n; i++) {
		const struct ap_mdev *m = list[i];
		struct json_object *o = json_object_new_object();
		char uuid[AP_UUID_STR_LEN + 1];

		ap_uuid_format(m->uuid, uuid);
		add(o, "uuid", json_object_new_string(uuid));
		add(o, "matrix", matrix_obj(&m->apm, &m->aqm, &m->adm));
		add(o, "guest_matrix", matrix_obj(&m->shadow_apm, &m->shadow_aqm, &m->shadow_adm));
		add(o, "adapters", mask_ids(&m->apm));
		add(o, "domains", mask_ids(&m->aqm));
		add(o, "control_domains", mask_ids(&m->adm));
		add(o, "guest", m->guest ? json_object_new_uint64(m->guest) : NULL);
		add(o, "remove_requested", json_object_new_boolean(m->remove_requested));
		add(o, "crycb", crycb_of(d, m));
		json_object_array_add(a, o);
	}
	return a;
}

static int queues_serialize(struct json_object *jso, struct printbuf *pb, int level, int flags)
{
	const struct qsnap *q = json_object_get_userdata(jso);

	(void)level;
	(void)flags;
	printbuf_strappend(pb, "[");
	for (size_t i = 0; q && i < q->n; i++) {
		const struct qrec *r = &q->rec[i];
		const char *drv = apbus_driver_name(r->driver);
		char uuid[AP_UUID_STR_LEN + 1];

		if (r->owned)
			ap_uuid_format(r->uuid, uuid);
		sprintbuf(pb, "%s{\"apqn\":\"%02x.%04x\",\"adapter\":%u,\"domain\":%u",
			  i ? "," : "", AP_APQN_APID(r->apqn), AP_APQN_APQI(r->apqn),
			  AP_APQN_APID(r->apqn), AP_APQN_APQI(r->apqn));
		sprintbuf(pb, ",\"driver\":%s%s%s,\"reserved\":%s", drv ? "\"" : "",
			  drv ? drv : "null", drv ? "\"" : "", r->reserved ? "true" : "false");
		sprintbuf(pb, ",\"online\":%s,\"mdev\":%s%s%s", r->online ? "true" : "false",
			  r->owned ? "\"" : "", r->owned ? uuid : "null", r->owned ? "\"" : "");
		if (r->driver == AP_DRV_VFIO_AP)
			sprintbuf(pb, ",\"status\":\"%s\"}", qstatus_name[r->status]);
		else
			printbuf_strappend(pb, ",\"status\":null}");
	}
	printbuf_strappend(pb, "]");
	return 0;
}

static void queues_free(struct json_object *jso, void *userdata)
{
	(void)jso;
	free(userdata);
}

/* Snapshot every existing queue in APQN order. */
static struct json_object *queues_array(const struct ap_system *s)
{
	struct json_object *a = json_object_new_array();
	struct qsnap *q = malloc(sizeof(*q) + AP_APQNS * sizeof(q->rec[0]));

	if (!q)
		return a;
	q->n = 0;
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++) {
		const struct ap_queue_dev *qd = &s->bus.queue[apqn];
		const struct ap_mdev *owner;
		struct qrec *r;

		if (!apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)))
			continue;
		r = &q->rec[q->n++];
		memset(r, 0, sizeof(*r));
		r->apqn = (uint16_t)apqn;
		r->driver = qd->driver;
		r->reserved = apbus_apqn_reserved(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn));
		r->online = qd->driver == AP_DRV_CEX4QUEUE && apbus_queue_online(s, apqn);
		if (qd->driver == AP_DRV_VFIO_AP)
			r->status = (uint8_t)matrix_queue_status(s, apqn);
		owner = matrix_apqn_owner(s, apqn);
		if (owner) {
			r->owned = true;
			memcpy(r->uuid, owner->uuid, AP_UUID_LEN);
		}
	}
	json_object_set_serializer(a, queues_serialize, q, queues_free);
	return a;
}

static struct json_object *facilities_obj(const struct ap_machine_info *info)
{
	struct json_object *o = json_object_new_object();

	add(o, "qci", json_object_new_boolean(info->qci));
	add(o, "apft", json_object_new_boolean(info->apft));
	add(o, "aqic", json_object_new_boolean(info->aqic));
	add(o, "apxa", json_object_new_boolean(info->apxa));
	return o;
}

static void add_bus(struct json_object *o, const struct ap_system *s)
{
	struct ap_mask apm;
	unsigned int bound, total;
	struct json_object *b = json_object_new_object();

	add(o, "max_adapter_id", json_object_new_int((int)machine_max_apid(&s->hw)));
	add(o, "max_domain_id", json_object_new_int((int)machine_max_apqi(&s->hw)));
	add(o, "ap_domain", json_object_new_int(s->bus.ap_domain));
	add(o, "apmask", apbus_has_masks(s) ? mask_hex(&s->bus.apmask) : NULL);
	add(o, "aqmask", apbus_has_masks(s) ? mask_hex(&s->bus.aqmask) : NULL);
	machine_adapter_mask(&s->hw, &apm);
	add(o, "adapter_mask", mask_hex(&apm));
	add(o, "usage_domain_mask", mask_hex(&s->hw.info.usage_domains));
	add(o, "control_domain_mask", mask_hex(&s->hw.info.control_domains));
	add(o, "usage_domains", mask_ids(&s->hw.info.usage_domains));
	add(o, "control_domains", mask_ids(&s->hw.info.control_domains));
	apbus_bindings(s, &bound, &total);
	add(b, "bound", json_object_new_int((int)bound));
	add(b, "total", json_object_new_int((int)total));
	add(o, "bindings", b);
}

struct json_object *status_build(struct apemud *d, bool with_queues)
{
	const struct ap_system *s = d->sys;
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	add(o, "ok", json_object_new_boolean(1));
	add(o, "pid", json_object_new_int((int)d->pid));
	add(o, "mount", json_object_new_string(d->paths.mount));
	add(o, "socket", json_object_new_string(d->paths.socket));
	add(o, "abi", json_object_new_string(s->abi == AP_ABI_V8 ? "v8" : "cur"));
	add(o, "facilities", facilities_obj(&s->hw.info));
	add_bus(o, s);
	add(o, "vfio_ap", json_object_new_boolean(s->vfio_ap));
	add(o, "max_instances", json_object_new_int64(s->matrix.max_instances));
	add(o, "available_instances", json_object_new_int64(matrix_available(s)));
	add(o, "adapters", adapters_array(s));
	if (with_queues)
		add(o, "queues", queues_array(s));
	add(o, "mdevs", mdevs_array(d));
	return o;
}
