/*
 * bus - the AP bus (see bus.h).
 *
 * Probe and remove follow the kernel's order: a queue probed by a driver
 * starts with a reset; a queue leaving its driver runs the driver's remove
 * first (vfio_ap unplugs it from a guest) and is then zeroized by the bus.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "busorder.h"
#include "hexnum.h"
#include "matrix.h"
#include "uevent.h"

#define CONFIG_TIME_DEFAULT  30
#define POLL_TIMEOUT_DEFAULT 250000ULL

static const char *const driver_names[AP_DRV_COUNT] = {
    [AP_DRV_CEX4CARD] = "cex4card",
    [AP_DRV_CEX4QUEUE] = "cex4queue",
    [AP_DRV_VFIO_AP] = "vfio_ap",
};

const char *apbus_driver_name(enum ap_driver drv)
{
	return drv > AP_DRV_NONE && drv < AP_DRV_COUNT ? driver_names[drv] : NULL;
}

int apbus_driver_by_name(const char *name)
{
	for (int d = AP_DRV_NONE + 1; d < AP_DRV_COUNT; d++)
		if (!strcmp(name, driver_names[d]))
			return d;
	return -1;
}

void ap_log(const struct ap_system *s, enum ap_log_level level, const char *dev, const char *fmt,
	    ...)
{
	char msg[256];
	va_list ap;

	if (!s->ops.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->ops.log(s->ops_ctx, level, dev, msg);
}

/*
 * ap_check_bindings_complete(): once every queue device has a driver, the
 * bus tells the root device so, once until a probe rearms it.
 */
static void bindings_check(struct ap_system *s)
{
	char count[40];
	const char *extra[] = {"BINDINGS=complete", count, NULL};
	const struct ap_obj root = {.kind = AP_OBJ_AP_ROOT};
	unsigned int bound, total;

	if (!apbus_has_masks(s) || s->bus.scans < 1 || s->bus.bindings_done)
		return;
	if (!apbus_bindings(s, &bound, &total))
		return;
	s->bus.bindings_done = true;
	snprintf(count, sizeof(count), "COMPLETECOUNT=%llu", ++s->bus.bindings_count);
	uevent_send(s, &root, AP_UEVENT_CHANGE, extra);
}

bool apbus_has_masks(const struct ap_system *s)
{
	return s->abi == AP_ABI_CUR;
}

bool apbus_card_exists(const struct ap_system *s, unsigned int apid)
{
	return apid < AP_DEVICES && s->hw.adapter[apid].present;
}

bool apbus_queue_exists(const struct ap_system *s, unsigned int apid, unsigned int apqi)
{
	return machine_apqn_exists(&s->hw, apid, apqi);
}

bool apbus_apqn_reserved(const struct ap_system *s, unsigned int apid, unsigned int apqi)
{
	if (!apbus_has_masks(s))
		return true;
	return ap_mask_test(&s->bus.apmask, apid) && ap_mask_test(&s->bus.aqmask, apqi);
}

/* ---- queue reset, probe and remove ---- */

/* Discard what the queue holds: requests, replies, the interruption state. */
static void queue_flush(struct ap_system *s, unsigned int apqn, bool zeroize)
{
	struct ap_queue_dev *q = &s->bus.queue[apqn];

	q->irq = false;
	if (s->ops.queue_reset)
		s->ops.queue_reset(s->ops_ctx, apqn, zeroize);
}

int apbus_queue_reset(struct ap_system *s, unsigned int apqn, bool zeroize)
{
	const struct ap_adapter *a = &s->hw.adapter[AP_APQN_APID(apqn)];
	int rc;

	if (!apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)))
		return AP_RC_Q_NOT_AVAIL;
	rc = machine_queue_rc(a);
	if (rc != AP_RC_NORMAL)
		return rc;
	queue_flush(s, apqn, zeroize);
	return AP_RC_NORMAL;
}

/* Does drv accept this queue? The kernel's ap_device_probe reservation check. */
static bool queue_probe_allowed(const struct ap_system *s, unsigned int apqn, enum ap_driver drv)
{
	bool reserved;

	if (!apbus_has_masks(s))
		return true;
	reserved = apbus_apqn_reserved(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn));
	return reserved == (drv == AP_DRV_CEX4QUEUE);
}

static int queue_probe(struct ap_system *s, unsigned int apqn, enum ap_driver drv)
{
	struct ap_queue_dev *q = &s->bus.queue[apqn];

	if (!queue_probe_allowed(s, apqn, drv))
		return -ENODEV;
	s->bus.bindings_done = false; /* ap_device_probe rearms the check */
	q->driver = (uint8_t)drv;
	q->bindseq = ++s->bus.devseq;
	s->topology++;
	apbus_queue_reset(s, apqn, false);
	if (drv == AP_DRV_CEX4QUEUE)
		q->online = true;
	else
		matrix_queue_probe(s, apqn);
	/* the bus's probe ends with the check, before the driver core's bind event */
	bindings_check(s);
	uevent_queue(s, apqn, AP_UEVENT_BIND, NULL);
	return 0;
}

static void queue_remove(struct ap_system *s, unsigned int apqn)
{
	struct ap_queue_dev *q = &s->bus.queue[apqn];
	enum ap_driver old = q->driver;

	if (old == AP_DRV_NONE)
		return;
	if (old == AP_DRV_VFIO_AP)
		matrix_queue_remove(s, apqn);
	q->driver = AP_DRV_NONE;
	s->topology++;
	/* the bus flushes the queue's requests whatever ZAPQ answers */
	if (apbus_queue_reset(s, apqn, true) != AP_RC_NORMAL)
		queue_flush(s, apqn, true);
	uevent_queue(s, apqn, AP_UEVENT_UNBIND, NULL);
}

/*
 * The driver core attaching a driverless queue (device_attach): the
 * drivers in the order they registered, cex4queue before vfio_ap.
 */
static void queue_attach(struct ap_system *s, unsigned int apqn)
{
	if (queue_probe(s, apqn, AP_DRV_CEX4QUEUE) < 0 && apbus_has_masks(s) && s->vfio_ap)
		queue_probe(s, apqn, AP_DRV_VFIO_AP);
}

static void card_probe(struct ap_system *s, unsigned int apid)
{
	s->bus.bindings_done = false;
	s->topology++;
	s->bus.card[apid].driver = AP_DRV_CEX4CARD;
	s->bus.card[apid].online = true;
	bindings_check(s);
	uevent_card(s, apid, AP_UEVENT_BIND, NULL);
}

static void card_remove(struct ap_system *s, unsigned int apid)
{
	if (s->bus.card[apid].driver == AP_DRV_NONE)
		return;
	s->bus.card[apid].driver = AP_DRV_NONE;
	s->topology++;
	uevent_card(s, apid, AP_UEVENT_UNBIND, NULL);
}

/* A queue device appearing: fresh state, but the owner index stays (an mdev
 * may hold an APQN that does not exist yet). */
static void queue_dev_fresh(struct ap_queue_dev *q)
{
	uint32_t owner = q->owner;

	memset(q, 0, sizeof(*q));
	q->owner = owner;
}

/* device_add() of a queue: the add event, then the bus probes it if it may. */
static void queue_dev_add(struct ap_system *s, unsigned int apqn)
{
	queue_dev_fresh(&s->bus.queue[apqn]);
	s->bus.queue[apqn].regseq = ++s->bus.devseq;
	s->topology++;
	uevent_queue(s, apqn, AP_UEVENT_ADD, NULL);
	if (s->bus.autoprobe[AP_BUS_AP])
		queue_attach(s, apqn);
}

/* device_unregister() of a queue: its driver goes first, then the device. */
static void queue_dev_del(struct ap_system *s, unsigned int apqn)
{
	queue_remove(s, apqn);
	s->topology++;
	uevent_queue(s, apqn, AP_UEVENT_REMOVE, NULL);
}

/* Create the devices of a new adapter and probe them (a bus scan finding it). */
static void adapter_devices_add(struct ap_system *s, unsigned int apid)
{
	unsigned int max = machine_max_apqi(&s->hw);

	/* the card comes first: its probe counts no queue of this adapter */
	for (unsigned int d = 0; d <= max; d++)
		if (apbus_queue_exists(s, apid, d))
			s->bus.queue[AP_APQN(apid, d)].pending = true;
	s->bus.card[apid].driver = AP_DRV_NONE;
	s->topology++;
	uevent_card(s, apid, AP_UEVENT_ADD, NULL);
	if (s->bus.autoprobe[AP_BUS_AP])
		card_probe(s, apid);
	for (unsigned int d = 0; d <= max; d++)
		if (apbus_queue_exists(s, apid, d))
			queue_dev_add(s, AP_APQN(apid, d));
}

/* ---- system setup ---- */

static int default_domain(const struct ap_system *s)
{
	unsigned int max = machine_max_apqi(&s->hw);

	for (unsigned int d = 0; d <= max; d++)
		if (ap_mask_test(&s->hw.info.usage_domains, d) &&
		    (!apbus_has_masks(s) || ap_mask_test(&s->bus.aqmask, d)))
			return (int)d;
	return -1;
}

int ap_system_init(struct ap_system *s, enum ap_abi abi, const struct ap_machine *hw,
		   const struct ap_mask *apmask, const struct ap_mask *aqmask, int ap_domain,
		   uint32_t max_instances)
{
	int r;

	memset(s, 0, sizeof(*s));
	s->abi = abi;
	s->hw = *hw;
	r = matrix_init(&s->matrix, max_instances ? max_instances : AP_MATRIX_MAX_INSTANCES);
	if (r < 0)
		return r;
	if (apmask)
		s->bus.apmask = *apmask;
	else
		ap_mask_fill(&s->bus.apmask, AP_DEVICES - 1);
	if (aqmask)
		s->bus.aqmask = *aqmask;
	else
		ap_mask_fill(&s->bus.aqmask, AP_DOMAINS - 1);
	s->vfio_ap = true;
	s->matrix_bound = true;
	s->bus.config_time = CONFIG_TIME_DEFAULT;
	for (unsigned int b = 0; b < AP_BUS_COUNT; b++)
		s->bus.autoprobe[b] = true;
	s->bus.poll_timeout = POLL_TIMEOUT_DEFAULT;
	s->bus.ap_domain = ap_domain >= 0 ? ap_domain : default_domain(s);
	for (unsigned int a = 0; a < AP_DEVICES; a++)
		if (s->hw.adapter[a].present)
			adapter_devices_add(s, a);
	/* the first scan is done: the boot's bindings-complete event */
	s->bus.scans = 1;
	bindings_check(s);
	return 0;
}

void ap_system_clear(struct ap_system *s)
{
	matrix_clear(&s->matrix);
}

/* ---- device names, bind and unbind ---- */

int apbus_parse_device_name(const char *name, size_t len, unsigned int *ret_apid,
			    unsigned int *ret_apqi)
{
	unsigned int apid, apqi;

	if (len == 6 && !strncmp(name, "card", 4) && !hexnum_fixed(name + 4, 2, true, &apid)) {
		*ret_apid = apid;
		return AP_DEVNAME_CARD;
	}
	if (len == 7 && name[2] == '.' && !hexnum_fixed(name, 2, true, &apid) &&
	    !hexnum_fixed(name + 3, 4, true, &apqi) && apqi < AP_DOMAINS) {
		*ret_apid = apid;
		*ret_apqi = apqi;
		return AP_DEVNAME_QUEUE;
	}
	return -EINVAL;
}

int apbus_lookup_device(const struct ap_system *s, const char *buf, size_t len,
			unsigned int *ret_id)
{
	unsigned int apid, apqi;
	size_t n = strnlen(buf, len);

	/* sysfs_streq: one trailing newline is ignored */
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	switch (apbus_parse_device_name(buf, n, &apid, &apqi)) {
	case AP_DEVNAME_CARD:
		if (!apbus_card_exists(s, apid))
			return -ENODEV;
		*ret_id = apid;
		return 0;
	case AP_DEVNAME_QUEUE:
		if (!apbus_queue_exists(s, apid, apqi))
			return -ENODEV;
		*ret_id = AP_APQN(apid, apqi);
		return 1;
	default:
		return -ENODEV;
	}
}

/* A device that has a driver: today's driver core says EBUSY, 4.x's ENODEV. */
static int bind_busy(const struct ap_system *s)
{
	return s->abi == AP_ABI_V8 ? -ENODEV : -EBUSY;
}

int apbus_bind(struct ap_system *s, enum ap_driver drv, const char *buf, size_t len)
{
	unsigned int id;
	int kind = apbus_lookup_device(s, buf, len, &id);

	if (kind < 0)
		return kind;
	if (kind == 0) {
		if (drv != AP_DRV_CEX4CARD)
			return -ENODEV;
		if (s->bus.card[id].driver != AP_DRV_NONE)
			return bind_busy(s);
		card_probe(s, id);
		return 0;
	}
	if (drv == AP_DRV_CEX4CARD || (drv == AP_DRV_VFIO_AP && !s->vfio_ap))
		return -ENODEV;
	if (s->bus.queue[id].driver != AP_DRV_NONE)
		return bind_busy(s);
	return queue_probe(s, id, drv);
}

/*
 * The queue devices of adapter apid (negative: all) in the driver core's
 * order key, last first with reverse: their APQNs into *ret (malloc'd) and
 * their number. Without memory for that, by APQN.
 */
static size_t queues_in_order(const struct ap_system *s, int apid, enum busorder_key key,
			      bool reverse, unsigned int **ret)
{
	size_t n = 0;
	unsigned int *q = busorder_queues(s, apid, key, &n);

	if (!q && (q = malloc(sizeof(*q) * AP_APQNS))) {
		for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++)
			if ((apid < 0 || AP_APQN_APID(apqn) == (unsigned int)apid) &&
			    apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)))
				q[n++] = apqn;
	}
	for (size_t i = 0; reverse && q && i < n / 2; i++) {
		unsigned int t = q[i];

		q[i] = q[n - 1 - i];
		q[n - 1 - i] = t;
	}
	*ret = q;
	return q ? n : 0;
}

void apbus_driver_attach(struct ap_system *s, enum ap_driver drv)
{
	unsigned int *q;
	size_t n = queues_in_order(s, -1, BUSORDER_REGISTERED, false, &q);

	for (size_t i = 0; i < n; i++)
		if (s->bus.queue[q[i]].driver == AP_DRV_NONE)
			queue_probe(s, q[i], drv);
	free(q);
}

void apbus_driver_detach(struct ap_system *s, enum ap_driver drv)
{
	unsigned int *q;
	size_t n = queues_in_order(s, -1, BUSORDER_BOUND, true, &q);

	for (size_t i = 0; i < n; i++)
		if (s->bus.queue[q[i]].driver == drv)
			queue_remove(s, q[i]);
	free(q);
}

int apbus_unbind(struct ap_system *s, enum ap_driver drv, const char *buf, size_t len)
{
	unsigned int id;
	int kind = apbus_lookup_device(s, buf, len, &id);

	if (kind < 0)
		return kind;
	if (kind == 0) {
		if (s->bus.card[id].driver != drv)
			return -ENODEV;
		card_remove(s, id);
		return 0;
	}
	if (s->bus.queue[id].driver != drv)
		return -ENODEV;
	queue_remove(s, id);
	return 0;
}

/*
 * drivers_probe (drivers/base/bus.c): the named device, if it has no
 * driver, is attached to the first driver that takes it; a device that
 * none takes, or one already bound, is no error. -ENODEV: no such device.
 */
int apbus_drivers_probe(struct ap_system *s, const char *buf, size_t len)
{
	unsigned int id;
	int kind = apbus_lookup_device(s, buf, len, &id);

	if (kind < 0)
		return kind;
	if (kind == 0) {
		if (s->bus.card[id].driver == AP_DRV_NONE)
			card_probe(s, id);
	} else if (s->bus.queue[id].driver == AP_DRV_NONE) {
		queue_attach(s, id);
	}
	return 0;
}

/* drivers_autoprobe: '0' as the first byte turns it off, anything else on. */
int apbus_store_autoprobe(struct ap_system *s, unsigned int bus, const char *buf, size_t len)
{
	if (bus >= AP_BUS_COUNT)
		return -EINVAL;
	s->bus.autoprobe[bus] = !(len && buf[0] == '0');
	return 0;
}

/* ---- apmask / aqmask ---- */

/*
 * Re-probe every bound queue whose driver no longer fits its reservation,
 * in the bus's order (ap_bus_revise_bindings: bus_for_each_dev).
 */
static void revise_bindings(struct ap_system *s)
{
	unsigned int *q;
	size_t n = queues_in_order(s, -1, BUSORDER_REGISTERED, false, &q);

	for (size_t i = 0; i < n; i++) {
		unsigned int apqn = q[i];
		enum ap_driver drv = s->bus.queue[apqn].driver;

		/* Unbound queues are left alone: the kernel's revision looks
		 * at the bound driver's flags only. */
		if (drv == AP_DRV_NONE ||
		    apbus_apqn_reserved(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)) ==
			(drv == AP_DRV_CEX4QUEUE))
			continue;
		queue_remove(s, apqn);
		queue_attach(s, apqn);
	}
	free(q);
}

static int store_mask(struct ap_system *s, bool adapters, const char *buf, size_t len)
{
	struct ap_mask *cur = adapters ? &s->bus.apmask : &s->bus.aqmask;
	const struct ap_obj root = {.kind = AP_OBJ_AP_ROOT};
	struct ap_mask new, added;
	char hex[AP_MASK_HEX_LEN], var[AP_MASK_HEX_LEN + 8];
	const char *extra[] = {var, NULL};
	int r;

	if (!apbus_has_masks(s))
		return -ENOENT;
	r = ap_mask_parse(buf, len, cur, &new);
	if (r < 0)
		return r;
	if (ap_mask_equal(&new, cur))
		return 0;
	ap_mask_andnot(&added, &new, cur);
	if (!ap_mask_empty(&added)) {
		bool busy = adapters ? matrix_in_use(s, &added, &s->bus.aqmask)
				     : matrix_in_use(s, &s->bus.apmask, &added);
		if (busy)
			return -EBUSY;
	}
	*cur = new;
	revise_bindings(s);
	ap_mask_format(&new, hex);
	/* ap_send_mask_changed_uevent() ends the value with a newline */
	snprintf(var, sizeof(var), "%s=%s\n", adapters ? "APMASK" : "AQMASK", hex);
	uevent_send(s, &root, AP_UEVENT_CHANGE, extra);
	return 0;
}

int apbus_store_apmask(struct ap_system *s, const char *buf, size_t len)
{
	return store_mask(s, true, buf, len);
}

int apbus_store_aqmask(struct ap_system *s, const char *buf, size_t len)
{
	return store_mask(s, false, buf, len);
}

bool apbus_bindings(const struct ap_system *s, unsigned int *ret_bound, unsigned int *ret_total)
{
	unsigned int bound = 0, total = 0;

	for (unsigned int a = 0; a < AP_DEVICES; a++) {
		if (!apbus_card_exists(s, a))
			continue;
		for (unsigned int d = 0; d < AP_DOMAINS; d++) {
			if (!apbus_queue_exists(s, a, d) || s->bus.queue[AP_APQN(a, d)].pending)
				continue;
			total++;
			if (s->bus.queue[AP_APQN(a, d)].driver != AP_DRV_NONE)
				bound++;
		}
	}
	*ret_bound = bound;
	*ret_total = total;
	return s->bus.scans >= 1 && bound == total;
}

/* ---- card and queue attributes ---- */

static int parse_01(const char *buf, size_t len, int *ret)
{
	int v;

	if (ap_parse_int_dec(buf, len, &v) < 0 || v < 0 || v > 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

/*
 * An adapter going to standby or into check-stop loses what its queues held:
 * every request and reply is discarded, interruptions go off.
 */
static void adapter_flush(struct ap_system *s, unsigned int apid)
{
	for (unsigned int d = 0; d < AP_DOMAINS; d++)
		if (apbus_queue_exists(s, apid, d))
			queue_flush(s, AP_APQN(apid, d), true);
}

/* Configuring or deconfiguring an adapter changes what its queues answer;
 * the next bus scan sees it, and vfio_ap re-filters its guests. */
/*
 * CONFIG= and ONLINE= change events came with today's kernel (the 4.x bus
 * of the v8 ABI told nobody).
 */
static void state_event_card(struct ap_system *s, unsigned int apid, const char *var)
{
	if (apbus_has_masks(s))
		uevent_card(s, apid, AP_UEVENT_CHANGE, var);
}

static void state_event_queue(struct ap_system *s, unsigned int apqn, const char *var)
{
	if (apbus_has_masks(s))
		uevent_queue(s, apqn, AP_UEVENT_CHANGE, var);
}

static const char *config_var(bool on)
{
	return on ? "CONFIG=1" : "CONFIG=0";
}

/* The scan after an adapter's configuration changed: each queue tells it. */
static void adapter_config_scan(struct ap_system *s, unsigned int apid)
{
	bool on = s->hw.adapter[apid].configured;

	s->bus.scans++;
	matrix_config_changed(s);
	for (unsigned int d = 0; d < AP_DOMAINS; d++)
		if (apbus_queue_exists(s, apid, d))
			state_event_queue(s, AP_APQN(apid, d), config_var(on));
}

/*
 * config_store (ap_card.c) sends the card's uevent for every accepted write;
 * the scan that follows a change sends one per queue (ap_scan_domains).
 */
int apbus_store_card_config(struct ap_system *s, unsigned int apid, const char *buf, size_t len)
{
	struct ap_adapter *a;
	int cfg, r = parse_01(buf, len, &cfg);
	bool changed;

	if (r < 0)
		return r;
	if (!apbus_card_exists(s, apid))
		return -ENODEV;
	a = &s->hw.adapter[apid];
	changed = a->configured != (cfg == 1);
	a->configured = cfg == 1;
	if (changed && !a->configured)
		adapter_flush(s, apid);
	state_event_card(s, apid, config_var(a->configured));
	if (changed)
		adapter_config_scan(s, apid);
	return 0;
}

int apbus_set_config(struct ap_system *s, unsigned int apid, bool on)
{
	struct ap_adapter *a;

	if (!apbus_card_exists(s, apid))
		return -ENODEV;
	a = &s->hw.adapter[apid];
	if (a->configured == on)
		return 0;
	a->configured = on;
	if (!on)
		adapter_flush(s, apid);
	/* the scan finds the card changed first (ap_scan_adapter), then its queues */
	state_event_card(s, apid, config_var(on));
	adapter_config_scan(s, apid);
	return 0;
}

bool apbus_card_online(const struct ap_system *s, unsigned int apid)
{
	const struct ap_adapter *a = &s->hw.adapter[apid];

	return a->configured && !a->chkstop && s->bus.card[apid].online;
}

bool apbus_queue_online(const struct ap_system *s, unsigned int apqn)
{
	const struct ap_adapter *a = &s->hw.adapter[AP_APQN_APID(apqn)];

	return a->configured && !a->chkstop && s->bus.queue[apqn].online;
}

/*
 * zcrypt_card.c's online_store: the card's uevent on every accepted write,
 * then one for each of its zcrypt queues whose online state changed.
 */
int apbus_store_card_online(struct ap_system *s, unsigned int apid, const char *buf, size_t len)
{
	const struct ap_adapter *a;
	bool changed[AP_DOMAINS] = {false};
	unsigned int *q;
	size_t n;
	int on, r = parse_01(buf, len, &on);

	if (r < 0)
		return r;
	if (!apbus_card_exists(s, apid) || s->bus.card[apid].driver != AP_DRV_CEX4CARD)
		return -ENODEV;
	a = &s->hw.adapter[apid];
	if (on && (!a->configured || a->chkstop))
		return -ENODEV;
	s->bus.card[apid].online = on == 1;
	for (unsigned int d = 0; d < AP_DOMAINS; d++) {
		struct ap_queue_dev *q = &s->bus.queue[AP_APQN(apid, d)];

		if (!apbus_queue_exists(s, apid, d) || q->driver != AP_DRV_CEX4QUEUE)
			continue;
		changed[d] = q->online != (on == 1);
		q->online = on == 1;
	}
	state_event_card(s, apid, on ? "ONLINE=1" : "ONLINE=0");
	/* zcrypt's queue list: in the order cex4queue took them */
	n = queues_in_order(s, (int)apid, BUSORDER_BOUND, false, &q);
	for (size_t i = 0; i < n; i++)
		if (changed[AP_APQN_APQI(q[i])])
			state_event_queue(s, q[i], on ? "ONLINE=1" : "ONLINE=0");
	free(q);
	return 0;
}

int apbus_store_queue_online(struct ap_system *s, unsigned int apqn, const char *buf, size_t len)
{
	unsigned int apid = AP_APQN_APID(apqn);
	const struct ap_adapter *a;
	int on, r = parse_01(buf, len, &on);

	if (r < 0)
		return r;
	if (!apbus_queue_exists(s, apid, AP_APQN_APQI(apqn)) ||
	    s->bus.queue[apqn].driver != AP_DRV_CEX4QUEUE)
		return -ENODEV;
	a = &s->hw.adapter[apid];
	if (on && (!a->configured || a->chkstop))
		return -ENODEV;
	if (on && !s->bus.card[apid].online)
		return -EINVAL;
	s->bus.queue[apqn].online = on == 1;
	state_event_queue(s, apqn, on ? "ONLINE=1" : "ONLINE=0");
	return 0;
}

/* The counters belong to the adapters' threads (system.h): ask for them. */
enum qcounter { QC_REQUEST, QC_REQUESTQ, QC_PENDINGQ, QC_LOAD };

static unsigned long long counter(const struct ap_system *s, unsigned int apqn, enum qcounter c)
{
	struct ap_queue_counters q = {0};

	if (s->ops.queue_counters)
		s->ops.queue_counters(s->ops_ctx, apqn, &q);
	switch (c) {
	case QC_REQUEST:
		return q.request_count;
	case QC_REQUESTQ:
		return q.requestq_count;
	case QC_PENDINGQ:
		return q.pendingq_count;
	default:
		return q.load;
	}
}

/* A card's counter: the sum over its queues. */
static unsigned long long card_sum(const struct ap_system *s, unsigned int apid, enum qcounter c)
{
	unsigned long long sum = 0;

	for (unsigned int d = 0; d < AP_DOMAINS; d++)
		if (apbus_queue_exists(s, apid, d))
			sum += counter(s, AP_APQN(apid, d), c);
	return sum;
}

unsigned long long apbus_queue_request_count(const struct ap_system *s, unsigned int apqn)
{
	return counter(s, apqn, QC_REQUEST);
}

unsigned int apbus_queue_requestq_count(const struct ap_system *s, unsigned int apqn)
{
	return (unsigned int)counter(s, apqn, QC_REQUESTQ);
}

unsigned int apbus_queue_pendingq_count(const struct ap_system *s, unsigned int apqn)
{
	return (unsigned int)counter(s, apqn, QC_PENDINGQ);
}

unsigned int apbus_queue_load(const struct ap_system *s, unsigned int apqn)
{
	return (unsigned int)counter(s, apqn, QC_LOAD);
}

void apbus_queue_reset_count(struct ap_system *s, unsigned int apqn)
{
	if (s->ops.queue_count_reset)
		s->ops.queue_count_reset(s->ops_ctx, apqn);
}

unsigned long long apbus_card_request_count(const struct ap_system *s, unsigned int apid)
{
	return card_sum(s, apid, QC_REQUEST);
}

unsigned int apbus_card_requestq_count(const struct ap_system *s, unsigned int apid)
{
	return (unsigned int)card_sum(s, apid, QC_REQUESTQ);
}

unsigned int apbus_card_pendingq_count(const struct ap_system *s, unsigned int apid)
{
	return (unsigned int)card_sum(s, apid, QC_PENDINGQ);
}

unsigned int apbus_card_load(const struct ap_system *s, unsigned int apid)
{
	return (unsigned int)card_sum(s, apid, QC_LOAD);
}

void apbus_card_reset_counts(struct ap_system *s, unsigned int apid)
{
	for (unsigned int d = 0; d < AP_DOMAINS; d++)
		if (apbus_queue_exists(s, apid, d))
			apbus_queue_reset_count(s, AP_APQN(apid, d));
}

int apbus_store_queue_reset(struct ap_system *s, unsigned int apqn)
{
	if (!apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)))
		return -ENODEV;
	apbus_queue_reset(s, apqn, false);
	return 0;
}

/* ---- hardware events ---- */

int apbus_add_adapter(struct ap_system *s, const struct ap_adapter_desc *d)
{
	int r = machine_add_adapter(&s->hw, d);

	if (r < 0)
		return r;
	adapter_devices_add(s, d->id);
	s->bus.scans++;
	matrix_config_changed(s);
	return 0;
}

/*
 * An adapter leaving the configuration: as in the kernel, vfio_ap hears of
 * the configuration change first (guests lose the adapter once), then the
 * bus removes the devices, whose queues no longer answer.
 */
int apbus_remove_adapter(struct ap_system *s, unsigned int apid)
{
	unsigned int *q;
	size_t n;

	if (!apbus_card_exists(s, apid))
		return -ENODEV;
	n = queues_in_order(s, (int)apid, BUSORDER_REGISTERED, false, &q);
	machine_unconfigure_adapter(&s->hw, apid);
	s->topology++;
	s->bus.scans++;
	matrix_config_changed(s);
	/* ap_scan_rm_card_dev_and_queue_devs(): the queues in the bus's order, then the card */
	for (size_t i = 0; i < n; i++)
		queue_dev_del(s, q[i]);
	free(q);
	card_remove(s, apid);
	uevent_card(s, apid, AP_UEVENT_REMOVE, NULL);
	memset(&s->hw.adapter[apid], 0, sizeof(s->hw.adapter[apid]));
	return 0;
}

int apbus_set_chkstop(struct ap_system *s, unsigned int apid, bool chkstop)
{
	if (!apbus_card_exists(s, apid))
		return -ENODEV;
	if (chkstop && !s->hw.adapter[apid].chkstop)
		adapter_flush(s, apid);
	s->hw.adapter[apid].chkstop = chkstop;
	s->bus.scans++;
	matrix_config_changed(s);
	return 0;
}

/* Like adapters: a domain leaving tells vfio_ap first, then its queues go. */
int apbus_set_usage_domain(struct ap_system *s, unsigned int apqi, bool on)
{
	if (apqi > machine_max_apqi(&s->hw))
		return -EINVAL;
	if (ap_mask_test(&s->hw.info.usage_domains, apqi) == on)
		return 0;
	s->topology++;
	s->bus.scans++;
	if (!on) {
		ap_mask_clear(&s->hw.info.usage_domains, apqi);
		matrix_config_changed(s);
		for (unsigned int a = 0; a < AP_DEVICES; a++)
			if (apbus_card_exists(s, a))
				queue_dev_del(s, AP_APQN(a, apqi));
		return 0;
	}
	ap_mask_set(&s->hw.info.usage_domains, apqi);
	for (unsigned int a = 0; a < AP_DEVICES; a++)
		if (apbus_queue_exists(s, a, apqi))
			s->bus.queue[AP_APQN(a, apqi)].pending = true;
	for (unsigned int a = 0; a < AP_DEVICES; a++)
		if (apbus_queue_exists(s, a, apqi))
			queue_dev_add(s, AP_APQN(a, apqi));
	matrix_config_changed(s);
	return 0;
}

int apbus_set_control_domain(struct ap_system *s, unsigned int apqi, bool on)
{
	if (apqi > machine_max_apqi(&s->hw))
		return -EINVAL;
	if (on)
		ap_mask_set(&s->hw.info.control_domains, apqi);
	else
		ap_mask_clear(&s->hw.info.control_domains, apqi);
	s->bus.scans++;
	matrix_config_changed(s);
	return 0;
}
