/*
 * attrs_dev - the AP devices: /sys/devices/ap, its card devices cardXX and
 * their queue devices XX.YYYY.
 *
 * The bus's own attributes come from drivers/s390/crypto/ap_card.c and
 * ap_queue.c; a card bound to cex4card gains zcrypt_card.c's type, online
 * and load (plus serialnr for CCA and EP11 cards, zcrypt_cex4.c), a queue
 * bound to cex4queue gains zcrypt_queue.c's online and load, and a queue
 * bound to vfio_ap gains vfio_ap_ops.c's status. The uevent file lists
 * what dev_uevent() and ap_bus.c's ap_uevent() add.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sysfs_int.h"

static const struct ap_adapter *adapter(const struct sysfs_ctx *c)
{
	return &c->s->hw.adapter[c->n.apid];
}

static struct ap_queue_dev *queue(const struct sysfs_ctx *c)
{
	return &c->s->bus.queue[AP_APQN(c->n.apid, c->n.apqi)];
}

static unsigned int apqn(const struct sysfs_ctx *c)
{
	return AP_APQN(c->n.apid, c->n.apqi);
}

static bool card_bound(const struct sysfs_ctx *c)
{
	return c->s->bus.card[c->n.apid].driver == AP_DRV_CEX4CARD;
}

static bool card_has_serial(const struct sysfs_ctx *c)
{
	return card_bound(c) && adapter(c)->mode != AP_MODE_ACCEL;
}

static bool queue_zcrypt(const struct sysfs_ctx *c)
{
	return queue(c)->driver == AP_DRV_CEX4QUEUE;
}

static bool queue_vfio(const struct sysfs_ctx *c)
{
	return queue(c)->driver == AP_DRV_VFIO_AP;
}

static bool has_driver(const struct sysfs_ctx *c)
{
	return node_driver(c) != AP_DRV_NONE;
}

/* ---- shared by cards and queues ---- */

static void target_subsystem(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "bus/ap");
}

static void target_driver(const struct sysfs_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "bus/ap/drivers/%s", apbus_driver_name(node_driver(c)));
}

/* ---- card attributes ---- */

static int show_hwtype(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", (int)machine_hwtype(adapter(c)));
}

static int show_depth(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", adapter(c)->depth);
}

static int show_functions(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "0x%08X\n", machine_functions(&c->s->hw, adapter(c)));
}

static int show_card_request_count(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%llu\n", apbus_card_request_count(c->s, c->n.apid));
}

/* Any write zeroes the counters of the card's queues. */
static int store_card_request_count(struct sysfs_ctx *c, const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	apbus_card_reset_counts(c->s, c->n.apid);
	return 0;
}

static int show_card_requestq_count(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", (int)apbus_card_requestq_count(c->s, c->n.apid));
}

static int show_card_pendingq_count(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", (int)apbus_card_pendingq_count(c->s, c->n.apid));
}

static int show_modalias(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "ap:t%02X\n", machine_hwtype(adapter(c)));
}

static int show_config(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", adapter(c)->configured ? 1 : 0);
}

static int store_card_config(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_card_config(c->s, c->n.apid, buf, len);
}

static int show_chkstop(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", adapter(c)->chkstop ? 1 : 0);
}

static int show_max_msg_size(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%u\n", adapter(c)->max_msg_size);
}

static int show_card_type(struct sysfs_ctx *c, char *buf)
{
	char name[6];

	machine_type_name(adapter(c), name);
	return emit(buf, "%s\n", name);
}

static int show_card_online(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", apbus_card_online(c->s, c->n.apid) ? 1 : 0);
}

static int store_card_online(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_card_online(c->s, c->n.apid, buf, len);
}

/*
 * zcrypt's load is the weight of the requests in flight; apemu's adapters
 * count the guests' requests they have not completed (no weights).
 */
static int show_card_load(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", (int)apbus_card_load(c->s, c->n.apid));
}

static int show_queue_load(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", (int)apbus_queue_load(c->s, apqn(c)));
}

/* CCA reports 8 characters; EP11 pads to 16, and is empty without one. */
static int show_serialnr(struct sysfs_ctx *c, char *buf)
{
	const struct ap_adapter *a = adapter(c);

	if (a->mode == AP_MODE_CCA)
		return emit(buf, "%.8s\n", a->serial);
	if (!a->serial[0])
		return emit(buf, "\n");
	return emit(buf, "%16.16s\n", a->serial);
}

/* ---- queue attributes ---- */

/* Today's kernel shows "-" while no driver has initialised the queue. */
static int show_queue_request_count(struct sysfs_ctx *c, char *buf)
{
	if (c->s->abi == AP_ABI_CUR && !has_driver(c))
		return emit(buf, "-\n");
	return emit(buf, "%llu\n", apbus_queue_request_count(c->s, apqn(c)));
}

/* Any write zeroes the queue's counter. */
static int store_queue_request_count(struct sysfs_ctx *c, const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	apbus_queue_reset_count(c->s, apqn(c));
	return 0;
}

static int show_queue_requestq_count(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n",
		    has_driver(c) ? (int)apbus_queue_requestq_count(c->s, apqn(c)) : 0);
}

static int show_queue_pendingq_count(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n",
		    has_driver(c) ? (int)apbus_queue_pendingq_count(c->s, apqn(c)) : 0);
}

/* Resets complete at once here; a queue with requests has its timer armed. */
static int show_reset(struct sysfs_ctx *c, char *buf)
{
	if (apbus_queue_requestq_count(c->s, apqn(c)) ||
	    apbus_queue_pendingq_count(c->s, apqn(c)))
		return emit(buf, "Reset Timer armed.\n");
	return emit(buf, "No Reset Timer set.\n");
}

static int store_reset(struct sysfs_ctx *c, const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return apbus_store_queue_reset(c->s, apqn(c));
}

static int show_interrupt(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, queue(c)->irq ? "Interrupts enabled.\n" : "Interrupts disabled.\n");
}

static int show_queue_online(struct sysfs_ctx *c, char *buf)
{
	return emit(buf, "%d\n", apbus_queue_online(c->s, apqn(c)) ? 1 : 0);
}

static int store_queue_online(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_queue_online(c->s, apqn(c), buf, len);
}

static int show_status(struct sysfs_ctx *c, char *buf)
{
	switch (matrix_queue_status(c->s, apqn(c))) {
	case AP_QSTATUS_IN_USE:
		return emit(buf, "in use\n");
	case AP_QSTATUS_ASSIGNED:
		return emit(buf, "assigned\n");
	default:
		return emit(buf, "unassigned\n");
	}
}

/* ---- tables ---- */

#define DRV_RO(n, fn, vis)                                                                        \
	{.name = (n), .type = ENT_FILE, .mode = 0444, .visible = (vis), .show = (fn)}
#define DRV_RW(n, fn, fst, vis)                                                                   \
	{.name = (n), .type = ENT_FILE, .mode = 0644, .visible = (vis), .show = (fn), .store = (fst)}
#define DRIVER_LINK                                                                               \
	{.name = "driver", .type = ENT_LINK, .visible = has_driver, .drv_keyed = true,            \
	 .target = target_driver}

/* devices/ap: the AP bus makes itself the root device's bus, whose
 * ap_uevent adds nothing for it: an empty uevent file that sends events. */
const struct sysfs_entry ap_root_ents[] = {
	DIR("power", K_POWER_AP),
	RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

const struct sysfs_entry card_ents[] = {
	RO("ap_functions", show_functions, AV_ALL),
	RO("chkstop", show_chkstop, AV_CUR),
	RW("config", show_config, store_card_config, AV_CUR),
	RO("depth", show_depth, AV_ALL),
	RO("hwtype", show_hwtype, AV_ALL),
	RO("max_msg_size", show_max_msg_size, AV_CUR),
	RO("modalias", show_modalias, AV_ALL),
	RO("pendingq_count", show_card_pendingq_count, AV_ALL),
	RO("raw_hwtype", show_hwtype, AV_ALL),
	RW("request_count", show_card_request_count, store_card_request_count, AV_ALL),
	RO("requestq_count", show_card_requestq_count, AV_ALL),
	DRV_RO("load", show_card_load, card_bound),
	DRV_RW("online", show_card_online, store_card_online, card_bound),
	DRV_RO("serialnr", show_serialnr, card_has_serial),
	DRV_RO("type", show_card_type, card_bound),
	DRIVER_LINK,
	DIR("power", K_POWER_CARD),
	LNK("subsystem", target_subsystem),
	RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

const struct sysfs_entry queue_ents[] = {
	RO("ap_functions", show_functions, AV_CUR),
	RO("chkstop", show_chkstop, AV_CUR),
	RO("config", show_config, AV_CUR),
	RO("interrupt", show_interrupt, AV_ALL),
	RO("pendingq_count", show_queue_pendingq_count, AV_ALL),
	RW("request_count", show_queue_request_count, store_queue_request_count, AV_ALL),
	RO("requestq_count", show_queue_requestq_count, AV_ALL),
	RW("reset", show_reset, store_reset, AV_CUR),
	RO("reset", show_reset, AV_V8),
	DRV_RO("load", show_queue_load, queue_zcrypt),
	DRV_RW("online", show_queue_online, store_queue_online, queue_zcrypt),
	{.name = "status", .type = ENT_FILE, .mode = 0444, .avail = AV_CUR, .visible = queue_vfio,
	 .show = show_status},
	DRIVER_LINK,
	DIR("power", K_POWER_QUEUE),
	LNK("subsystem", target_subsystem),
	RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

NENTS(ap_root);
NENTS(card);
NENTS(queue);
