/*
 * attrs_bus - the top of the tree and the buses: /sys/bus/ap with its
 * attributes and drivers, /sys/bus/matrix, /sys/bus/mdev, /sys/class,
 * /sys/kernel/iommu_groups and /sys/kernel/uevent_seqnum.
 *
 * Formats follow drivers/s390/crypto/ap_bus.c (bus attributes),
 * drivers/base/bus.c (bind, unbind, drivers_probe, drivers_autoprobe,
 * uevent) and drivers/iommu/iommu.c (group files). The rules of every
 * store are the core's, the driver core's generic files included; only
 * an IOMMU group's type, which the core does not model, is answered here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sysfs_int.h"

/* ---- generic uevent files ---- */

/* The kobject a node's uevent file belongs to. */
static void ctx_obj(const struct sysfs_ctx *c, struct ap_obj *ret)
{
	*ret = (struct ap_obj){.kind = AP_OBJ_VFIO_ROOT};
	switch (c->n.kind) {
	case K_AP_ROOT:
		ret->kind = AP_OBJ_AP_ROOT;
		break;
	case K_CARD:
		ret->kind = AP_OBJ_CARD;
		ret->id = c->n.apid;
		break;
	case K_QUEUE:
		ret->kind = AP_OBJ_QUEUE;
		ret->id = AP_APQN(c->n.apid, c->n.apqi);
		break;
	case K_MATRIX:
		ret->kind = AP_OBJ_MATRIX;
		break;
	case K_MDEV:
		ret->kind = AP_OBJ_MDEV;
		ret->mdev = c->m;
		break;
	case K_BUS_AP:
	case K_BUS_MATRIX:
	case K_BUS_MDEV:
		ret->kind = AP_OBJ_BUS;
		ret->id = c->n.kind == K_BUS_AP	      ? AP_BUS_AP
			  : c->n.kind == K_BUS_MATRIX ? AP_BUS_MATRIX
						      : AP_BUS_MDEV;
		break;
	case K_AP_DRV:
		ret->kind = AP_OBJ_DRIVER;
		ret->id = c->n.apid;
		break;
	case K_MATRIX_DRV:
		ret->kind = AP_OBJ_DRIVER;
		ret->id = AP_DRVOBJ_MATRIX;
		break;
	case K_MDEV_DRV:
		ret->kind = AP_OBJ_DRIVER;
		ret->id = AP_DRVOBJ_MDEV;
		break;
	default:
		break;
	}
}

int sysfs_show_uevent(struct sysfs_ctx *c, char *buf)
{
	struct ap_obj o;

	ctx_obj(c, &o);
	return (int)uevent_show(c->s, &o, buf, SYSFS_PAGE);
}

/* kobject_synth_uevent: the core checks the write and sends the event. */
int sysfs_store_uevent(struct sysfs_ctx *c, const char *buf, size_t len)
{
	struct ap_obj o;

	ctx_obj(c, &o);
	return uevent_synth(c->s, &o, buf, len);
}

/* ---- drivers_autoprobe, drivers_probe ---- */

static unsigned int bus_of(const struct sysfs_ctx *c)
{
	return c->n.kind == K_BUS_AP	   ? AP_BUS_AP
	       : c->n.kind == K_BUS_MATRIX ? AP_BUS_MATRIX
					   : AP_BUS_MDEV;
}

static int show_autoprobe(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", c->s->bus.autoprobe[bus_of(c)] ? 1 : 0);
}

static int store_autoprobe(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_autoprobe(c->s, bus_of(c), buf, len);
}

static int store_ap_drivers_probe(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_drivers_probe(c->s, buf, len);
}

static int store_matrix_drivers_probe(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return matrix_bus_drivers_probe(c->s, buf, len);
}

static int store_mdev_drivers_probe(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return matrix_mdev_drivers_probe(c->s, buf, len);
}

/* ---- bus/ap attributes ---- */

static int show_ap_domain(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", c->s->bus.ap_domain);
}

static int store_ap_domain(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_ap_domain(c->s, buf, len);
}

/* The QCI masks, printed as eight 32-bit words: the same digits as byte order. */
static int show_qci_mask(const struct sysfs_ctx *c, char *buf, const struct ap_mask *m)
{
	char hex[AP_MASK_HEX_LEN];

	if (!c->s->hw.info.qci)
		return sysfs_emit(buf, "not supported\n");
	ap_mask_format(m, hex);
	return sysfs_emit(buf, "%s\n", hex);
}

static int show_control_domain_mask(struct sysfs_ctx *c, char *buf)
{
	return show_qci_mask(c, buf, &c->s->hw.info.control_domains);
}

static int show_usage_domain_mask(struct sysfs_ctx *c, char *buf)
{
	return show_qci_mask(c, buf, &c->s->hw.info.usage_domains);
}

static int show_adapter_mask(struct sysfs_ctx *c, char *buf)
{
	struct ap_mask apm;

	machine_adapter_mask(&c->s->hw, &apm);
	return show_qci_mask(c, buf, &apm);
}

static int show_max_domain_id(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)machine_max_apqi(&c->s->hw));
}

static int show_max_adapter_id(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", (int)machine_max_apid(&c->s->hw));
}

static int show_interrupts(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", c->s->hw.info.aqic ? 1 : 0);
}

static int show_config_time(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", c->s->bus.config_time);
}

static int store_config_time(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_config_time(c->s, buf, len);
}

static int show_poll_thread(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%d\n", c->s->bus.poll_thread ? 1 : 0);
}

static int store_poll_thread(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_poll_thread(c->s, buf, len);
}

static int show_poll_timeout(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%llu\n", c->s->bus.poll_timeout);
}

static int store_poll_timeout(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_poll_timeout(c->s, buf, len);
}

static int show_mask(char *buf, const struct ap_mask *m)
{
	char hex[AP_MASK_HEX_LEN];

	ap_mask_format(m, hex);
	return sysfs_emit(buf, "%s\n", hex);
}

static int show_apmask(struct sysfs_ctx *c, char *buf)
{
	return show_mask(buf, &c->s->bus.apmask);
}

static int store_apmask(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_apmask(c->s, buf, len);
}

static int show_aqmask(struct sysfs_ctx *c, char *buf)
{
	return show_mask(buf, &c->s->bus.aqmask);
}

static int store_aqmask(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_aqmask(c->s, buf, len);
}

static int show_scans(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%llu\n", c->s->bus.scans);
}

static int store_scans(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_store_scans(c->s, buf, len);
}

static int show_bindings(struct sysfs_ctx *c, char *buf)
{
	unsigned int bound, total;

	if (apbus_bindings(c->s, &bound, &total))
		return sysfs_emit(buf, "%u/%u (complete)\n", bound, total);
	return sysfs_emit(buf, "%u/%u\n", bound, total);
}

/*
 * The QCI flags that are set, space separated. The kernel overwrites the
 * last space with the newline and returns the length with the space, so
 * no flag at all gives an empty file.
 */
static int show_features(struct sysfs_ctx *c, char *buf)
{
	const struct ap_machine_info *info = &c->s->hw.info;
	const struct {
		bool on;
		const char *name;
	} f[] = {{info->apsc, "APSC"},
		 {info->apxa, "APXA"},
		 {info->qact, "QACT"},
		 {info->rc8a, "RC8A"},
		 {info->apsb, "APSB"}};
	int n = 0;

	if (!info->qci)
		return sysfs_emit(buf, "-\n");
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (f[i].on)
			n += sysfs_emit_at(buf, n, "%s ", f[i].name);
	if (n)
		buf[n - 1] = '\n';
	return n;
}

/* ---- driver directories ---- */

static int store_bind(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_bind(c->s, c->n.apid, buf, len);
}

static int store_unbind(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return apbus_unbind(c->s, c->n.apid, buf, len);
}

static int store_mdev_bind(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return matrix_mdev_drv_bind(c->s, buf, len);
}

static void target_matrix(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "devices/vfio_ap/matrix");
}

/* ---- IOMMU groups ---- */

/* An emulated group has no default domain. */
static int show_group_type(struct sysfs_ctx *c, char *buf)
{
	(void)c;
	return sysfs_emit(buf, "unknown\n");
}

/* Nor reserved regions: the file is empty. */
static int show_group_reserved_regions(struct sysfs_ctx *c, char *buf)
{
	(void)c;
	buf[0] = '\0';
	return 0;
}

static int store_group_type(struct sysfs_ctx *c, const char *buf, size_t len)
{
	(void)c;
	(void)buf;
	(void)len;
	return -EINVAL;
}

/* kernel/uevent_seqnum (kernel/ksysfs.c): the last uevent's SEQNUM. */
static int show_uevent_seqnum(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%llu\n", c->s->uevent_seqnum);
}

/* ---- tables ---- */

const struct sysfs_entry sysfs_root_ents[] = {
    DIR("bus", K_BUS),
    DIR("class", K_CLASS),
    DIR("devices", K_DEVICES),
    DIR("kernel", K_KERNEL),
};
const struct sysfs_entry sysfs_bus_ents[] = {
    DIR("ap", K_BUS_AP),
    VDIR("matrix", K_BUS_MATRIX),
    DIR("mdev", K_BUS_MDEV),
};
const struct sysfs_entry sysfs_devices_ents[] = {
    DIR("ap", K_AP_ROOT),
    VDIR("vfio_ap", K_VFIO_ROOT),
};
const struct sysfs_entry sysfs_class_ents[] = {
    DIR("mdev_bus", K_CLASS_MDEV_BUS),
};
const struct sysfs_entry sysfs_kernel_ents[] = {
    DIR("iommu_groups", K_IOMMU_GROUPS),
    RO("uevent_seqnum", show_uevent_seqnum, AV_ALL),
};

const struct sysfs_entry sysfs_bus_ap_ents[] = {
    DIR("devices", K_BUS_AP_DEVICES),
    DIR("drivers", K_BUS_AP_DRIVERS),
    RW("drivers_autoprobe", show_autoprobe, store_autoprobe, AV_ALL),
    WO("drivers_probe", store_ap_drivers_probe),
    WO("uevent", sysfs_store_uevent),
    RW("ap_domain", show_ap_domain, store_ap_domain, AV_ALL),
    RO("ap_control_domain_mask", show_control_domain_mask, AV_ALL),
    RO("ap_usage_domain_mask", show_usage_domain_mask, AV_ALL),
    RO("ap_adapter_mask", show_adapter_mask, AV_CUR),
    RO("ap_max_domain_id", show_max_domain_id, AV_ALL),
    RO("ap_max_adapter_id", show_max_adapter_id, AV_CUR),
    RO("ap_interrupts", show_interrupts, AV_ALL),
    RW("config_time", show_config_time, store_config_time, AV_ALL),
    RW("poll_thread", show_poll_thread, store_poll_thread, AV_ALL),
    RW("poll_timeout", show_poll_timeout, store_poll_timeout, AV_ALL),
    RW("apmask", show_apmask, store_apmask, AV_CUR),
    RW("aqmask", show_aqmask, store_aqmask, AV_CUR),
    RW("scans", show_scans, store_scans, AV_CUR),
    RO("bindings", show_bindings, AV_CUR),
    RO("features", show_features, AV_CUR),
};
const struct sysfs_entry sysfs_bus_ap_drivers_ents[] = {
    {.name = "cex4card", .type = ENT_DIR, .child = K_AP_DRV, .param = AP_DRV_CEX4CARD},
    {.name = "cex4queue", .type = ENT_DIR, .child = K_AP_DRV, .param = AP_DRV_CEX4QUEUE},
    {.name = "vfio_ap",
     .type = ENT_DIR,
     .child = K_AP_DRV,
     .param = AP_DRV_VFIO_AP,
     .visible = sysfs_vfio_ap_loaded},
};
const struct sysfs_entry sysfs_ap_drv_ents[] = {
    WO("bind", store_bind),
    WO("uevent", sysfs_store_uevent),
    WO("unbind", store_unbind),
};

const struct sysfs_entry sysfs_bus_matrix_ents[] = {
    DIR("devices", K_BUS_MATRIX_DEVICES),
    DIR("drivers", K_BUS_MATRIX_DRIVERS),
    RW("drivers_autoprobe", show_autoprobe, store_autoprobe, AV_ALL),
    WO("drivers_probe", store_matrix_drivers_probe),
    WO("uevent", sysfs_store_uevent),
};
const struct sysfs_entry sysfs_bus_matrix_devices_ents[] = {
    LNK("matrix", target_matrix),
};
const struct sysfs_entry sysfs_bus_matrix_drivers_ents[] = {
    DIR("vfio_ap", K_MATRIX_DRV),
};
/* The matrix driver suppresses bind and unbind. */
const struct sysfs_entry sysfs_matrix_drv_ents[] = {
    LNK("matrix", target_matrix),
    WO("uevent", sysfs_store_uevent),
};

const struct sysfs_entry sysfs_bus_mdev_ents[] = {
    DIR("devices", K_BUS_MDEV_DEVICES),
    DIR("drivers", K_BUS_MDEV_DRIVERS),
    RW("drivers_autoprobe", show_autoprobe, store_autoprobe, AV_ALL),
    WO("drivers_probe", store_mdev_drivers_probe),
    WO("uevent", sysfs_store_uevent),
};
const struct sysfs_entry sysfs_bus_mdev_drivers_ents[] = {
    VDIR("vfio_ap_mdev", K_MDEV_DRV),
};
const struct sysfs_entry sysfs_mdev_drv_ents[] = {
    WO("bind", store_mdev_bind),
    WO("uevent", sysfs_store_uevent),
    WO("unbind", store_mdev_bind),
};

const struct sysfs_entry sysfs_class_mdev_bus_ents[] = {
    VLNK("matrix", target_matrix),
};

const struct sysfs_entry sysfs_group_ents[] = {
    DIR("devices", K_GROUP_DEVICES),
    RO("reserved_regions", show_group_reserved_regions, AV_ALL),
    RW("type", show_group_type, store_group_type, AV_ALL),
};

NENTS(sysfs_root);
NENTS(sysfs_bus);
NENTS(sysfs_devices);
NENTS(sysfs_class);
NENTS(sysfs_kernel);
NENTS(sysfs_bus_ap);
NENTS(sysfs_bus_ap_drivers);
NENTS(sysfs_ap_drv);
NENTS(sysfs_bus_matrix);
NENTS(sysfs_bus_matrix_devices);
NENTS(sysfs_bus_matrix_drivers);
NENTS(sysfs_matrix_drv);
NENTS(sysfs_bus_mdev);
NENTS(sysfs_bus_mdev_drivers);
NENTS(sysfs_mdev_drv);
NENTS(sysfs_class_mdev_bus);
NENTS(sysfs_group);
