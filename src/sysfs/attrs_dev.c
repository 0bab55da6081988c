/*
 * attrs_dev - the AP devices: /sys/devices/ap, its card devices cardXX and
 * their queue devices XX.YYYY.
 *
 * The bus's own attributes come from drivers/s390/crypto/ap_card.c and
 * ap_queue.c; a card bound to cex4card gains zcrypt_card.c's type, online
 * and load (plus zcrypt_cex4.c's serialnr for CCA and EP11 cards, and
 * API_ordinalnr, FW_version and op_modes for EP11), a queue bound to
 * cex4queue gains zcrypt_queue.c's online and load (plus zcrypt_cex4.c's
 * mkvps for CCA and EP11 queues, and op_modes for EP11), and a queue
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

/* zcrypt_cex4.c's EP11 card group: API_ordinalnr, FW_version, op_modes. */
static bool card_ep11(const struct sysfs_ctx *c)
{
	return card_bound(c) && adapter(c)->mode == AP_MODE_EP11;
}

static bool queue_zcrypt(const struct sysfs_ctx *c)
{
	return queue(c)->driver == AP_DRV_CEX4QUEUE;
}

/* zcrypt_cex4.c's CCA and EP11 queue groups: mkvps (and EP11's op_modes). */
static bool queue_copro(const struct sysfs_ctx *c)
{
	return queue_zcrypt(c) && adapter(c)->mode != AP_MODE_ACCEL;
}

static bool queue_ep11(const struct sysfs_ctx *c)
{
	return queue_zcrypt(c) && adapter(c)->mode == AP_MODE_EP11;
}

static bool queue_vfio(const struct sysfs_ctx *c)
{
	return queue(c)->driver == AP_DRV_VFIO_AP;
}

static bool has_driver(const struct sysfs_ctx *c)
{
	return sysfs_node_driver(c) != AP_DRV_NONE;
}

/* ---- shared by cards and queues ---- */

static void target_subsystem(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "bus/ap");
}

static void target_driver(const struct sysfs_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "bus/ap/drivers/%s", apbus_driver_name(sysfs_node_driver(c)));
}

/* ---- card attributes ---- */

static int show_hwtype(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)machine_hwtype(adapter(c)));
}

static int show_depth(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", adapter(c)->depth);
}

static int show_functions(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "0x%08X\n", machine_functions(&c->s->hw, adapter(c)));
}

static int show_card_request_count(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%llu\n", apbus_card_request_count(c->s, c->n.apid));
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
	return sysfs_emit(buf, "%d\n", (int)apbus_card_requestq_count(c->s, c->n.apid));
}

static int show_card_pendingq_count(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)apbus_card_pendingq_count(c->s, c->n.apid));
}

static int show_modalias(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "ap:t%02X\n", machine_hwtype(adapter(c)));
}

static int show_config(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", adapter(c)->configured ? 1 : 0);
}

static int store_card_config(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_card_config(c->s, c->n.apid, buf, len);
}

static int show_chkstop(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", adapter(c)->chkstop ? 1 : 0);
}

static int show_max_msg_size(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%u\n", adapter(c)->max_msg_size);
}

static int show_card_type(struct sysfs_ctx *c, char *buf)
{
	char name[6];

	machine_type_name(adapter(c), name);
	return sysfs_emit(buf, "%s\n", name);
}

static int show_card_online(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", apbus_card_online(c->s, c->n.apid) ? 1 : 0);
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
	return sysfs_emit(buf, "%d\n", (int)apbus_card_load(c->s, c->n.apid));
}

static int show_queue_load(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)apbus_queue_load(c->s, apqn(c)));
}

/*
 * CCA reports its 8 characters, read through the default domain: none
 * without one. EP11 pads to 16, and is empty without one.
 */
static int show_serialnr(struct sysfs_ctx *c, char *buf)
{
	const struct ap_adapter *a = adapter(c);

	if (a->mode == AP_MODE_CCA)
		return sysfs_emit(buf, "%.8s\n", c->s->bus.ap_domain >= 0 ? a->serial : "");
	if (!a->serial[0])
		return sysfs_emit(buf, "\n");
	return sysfs_emit(buf, "%16.16s\n", a->serial);
}

/* EP11 card info: a number or a version, or an empty line when there is none. */
static int show_api_ordinalnr(struct sysfs_ctx *c, char *buf)
{
	uint32_t n = adapter(c)->ep11.api_ordinal;

	return n ? sysfs_emit(buf, "%u\n", n) : sysfs_emit(buf, "\n");
}

static int show_fw_version(struct sysfs_ctx *c, char *buf)
{
	uint16_t v = adapter(c)->ep11.fw_version;

	return v ? sysfs_emit(buf, "%d.%d\n", v >> 8, v & 0xff) : sysfs_emit(buf, "\n");
}

/* The names of the set mode bits, blank separated, in the kernel's order. */
static int emit_op_modes(char *buf, uint32_t modes)
{
	int n = 0;

	for (unsigned int bit = 0; bit < AP_EP11_OPM_BITS; bit++) {
		const char *name = machine_ep11_op_mode_name(bit);

		if (name && (modes & (1u << bit)))
			n += sysfs_emit_at(buf, n, "%s%s", n ? " " : "", name);
	}
	return n + sysfs_emit_at(buf, n, "\n");
}

static int show_card_op_modes(struct sysfs_ctx *c, char *buf)
{
	return emit_op_modes(buf, adapter(c)->ep11.op_modes);
}

/* ---- queue attributes ---- */

/* A domain's EP11 info is only fetched while the queue is online. */
static int show_queue_op_modes(struct sysfs_ctx *c, char *buf)
{
	return emit_op_modes(buf,
			     apbus_queue_online(c->s, apqn(c)) ? adapter(c)->ep11.op_modes : 0);
}

static const char *mk_state_name(uint8_t st)
{
	static const char *const names[] = {
	    [AP_MK_EMPTY] = "empty",	     [AP_MK_PARTIAL] = "partial",
	    [AP_MK_FULL] = "full",	     [AP_MK_INVALID] = "invalid",
	    [AP_MK_VALID] = "valid",	     [AP_MK_UNCOMMITTED] = "uncommitted",
	    [AP_MK_COMMITTED] = "committed",
	};

	return st < sizeof(names) / sizeof(names[0]) && names[st] ? names[st] : "-";
}

/* CCA: six lines "AES NEW: full 0x...", a register not reported "- -". */
static int show_cca_mkvps(const struct ap_mkvps *k, char *buf)
{
	static const char *const label[AP_CCA_MK_REGS] = {"AES NEW",  "AES CUR",  "AES OLD",
							  "APKA NEW", "APKA CUR", "APKA OLD"};
	int n = 0;

	for (unsigned int i = 0; i < AP_CCA_MK_REGS; i++) {
		if (k->cca_state[i] == AP_MK_NONE)
			n += sysfs_emit_at(buf, n, "%s: - -\n", label[i]);
		else
			n += sysfs_emit_at(buf, n, "%s: %s 0x%016llx\n", label[i],
					   mk_state_name(k->cca_state[i]),
					   (unsigned long long)k->cca_vp[i]);
	}
	return n;
}

/* EP11: "WK CUR: valid 0x<32 bytes>", "WK NEW: empty -"; invalid and empty carry no pattern. */
static int show_ep11_mkvps(const struct ap_mkvps *k, bool online, char *buf)
{
	static const char *const label[AP_EP11_WK_REGS] = {"WK CUR", "WK NEW"};
	int n = 0;

	for (unsigned int i = 0; i < AP_EP11_WK_REGS; i++) {
		uint8_t st = online ? k->ep11_state[i] : AP_MK_NONE;

		if (st == AP_MK_NONE) {
			n += sysfs_emit_at(buf, n, "%s: - -\n", label[i]);
		} else if (st == AP_MK_INVALID || st == AP_MK_EMPTY) {
			n += sysfs_emit_at(buf, n, "%s: %s -\n", label[i], mk_state_name(st));
		} else {
			n += sysfs_emit_at(buf, n, "%s: %s 0x", label[i], mk_state_name(st));
			for (unsigned int b = 0; b < AP_EP11_WKVP_LEN; b++)
				n += sysfs_emit_at(buf, n, "%02x", k->ep11_vp[i][b]);
			n += sysfs_emit_at(buf, n, "\n");
		}
	}
	return n;
}

static int show_mkvps(struct sysfs_ctx *c, char *buf)
{
	const struct ap_adapter *a = adapter(c);
	struct ap_mkvps k;

	machine_queue_mkvps(a, c->n.apid, c->n.apqi, &k);
	if (a->mode == AP_MODE_EP11)
		return show_ep11_mkvps(&k, apbus_queue_online(c->s, apqn(c)), buf);
	return show_cca_mkvps(&k, buf);
}

/* Today's kernel shows "-" while no driver has initialised the queue. */
static int show_queue_request_count(struct sysfs_ctx *c, char *buf)
{
	if (c->s->abi == AP_ABI_CUR && !has_driver(c))
		return sysfs_emit(buf, "-\n");
	return sysfs_emit(buf, "%llu\n", apbus_queue_request_count(c->s, apqn(c)));
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
	return sysfs_emit(buf, "%d\n",
			  has_driver(c) ? (int)apbus_queue_requestq_count(c->s, apqn(c)) : 0);
}

static int show_queue_pendingq_count(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  has_driver(c) ? (int)apbus_queue_pendingq_count(c->s, apqn(c)) : 0);
}

/* Resets complete at once here; a queue with requests has its timer armed. */
static int show_reset(struct sysfs_ctx *c, char *buf)
{
	if (apbus_queue_requestq_count(c->s, apqn(c)) || apbus_queue_pendingq_count(c->s, apqn(c)))
		return sysfs_emit(buf, "Reset Timer armed.\n");
	return sysfs_emit(buf, "No Reset Timer set.\n");
}

static int store_reset(struct sysfs_ctx *c, const char *buf, size_t len)
{
	(void)buf;
	(void)len;
	return apbus_store_queue_reset(c->s, apqn(c));
}

static int show_interrupt(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, queue(c)->irq ? "Interrupts enabled.\n" : "Interrupts disabled.\n");
}

static int show_queue_online(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", apbus_queue_online(c->s, apqn(c)) ? 1 : 0);
}

static int store_queue_online(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_queue_online(c->s, apqn(c), buf, len);
}

static int show_status(struct sysfs_ctx *c, char *buf)
{
	switch (matrix_queue_status(c->s, apqn(c))) {
	case AP_QSTATUS_IN_USE:
		return sysfs_emit(buf, "in use\n");
	case AP_QSTATUS_ASSIGNED:
		return sysfs_emit(buf, "assigned\n");
	default:
		return sysfs_emit(buf, "unassigned\n");
	}
}

/* ---- tables ---- */

#define DRV_RO(n, fn, vis)                                                                         \
	{                                                                                          \
		.name = (n), .type = ENT_FILE, .mode = 0444, .visible = (vis), .show = (fn)        \
	}
#define DRV_RW(n, fn, fst, vis)                                                                    \
	{                                                                                          \
		.name = (n), .type = ENT_FILE, .mode = 0644, .visible = (vis), .show = (fn),       \
		.store = (fst)                                                                     \
	}
#define DRIVER_LINK                                                                                \
	{                                                                                          \
		.name = "driver", .type = ENT_LINK, .visible = has_driver, .drv_keyed = true,      \
		.target = target_driver                                                            \
	}

/* devices/ap: the AP bus makes itself the root device's bus, whose
 * ap_uevent adds nothing for it: an empty uevent file that sends events. */
const struct sysfs_entry sysfs_ap_root_ents[] = {
    DIR("power", K_POWER_AP),
    RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

const struct sysfs_entry sysfs_card_ents[] = {
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
    DRV_RO("API_ordinalnr", show_api_ordinalnr, card_ep11),
    DRV_RO("FW_version", show_fw_version, card_ep11),
    DRV_RO("load", show_card_load, card_bound),
    DRV_RW("online", show_card_online, store_card_online, card_bound),
    DRV_RO("op_modes", show_card_op_modes, card_ep11),
    DRV_RO("serialnr", show_serialnr, card_has_serial),
    DRV_RO("type", show_card_type, card_bound),
    DRIVER_LINK,
    DIR("power", K_POWER_CARD),
    LNK("subsystem", target_subsystem),
    RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

const struct sysfs_entry sysfs_queue_ents[] = {
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
    DRV_RO("mkvps", show_mkvps, queue_copro),
    DRV_RW("online", show_queue_online, store_queue_online, queue_zcrypt),
    DRV_RO("op_modes", show_queue_op_modes, queue_ep11),
    {.name = "status",
     .type = ENT_FILE,
     .mode = 0444,
     .avail = AV_CUR,
     .visible = queue_vfio,
     .show = show_status},
    DRIVER_LINK,
    DIR("power", K_POWER_QUEUE),
    LNK("subsystem", target_subsystem),
    RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

NENTS(sysfs_ap_root);
NENTS(sysfs_card);
NENTS(sysfs_queue);
