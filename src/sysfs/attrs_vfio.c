/*
 * attrs_vfio - the vfio_ap side: /sys/devices/vfio_ap, the matrix device,
 * its mdev type (drivers/vfio/mdev/mdev_sysfs.c) and the mediated devices
 * with the attributes of drivers/s390/crypto/vfio_ap_ops.c.
 *
 * The matrix device's uevent holds only DRIVER= (it has no device type and
 * the matrix bus adds nothing); an mdev's likewise (the mdev bus has no
 * uevent callback). Each mdev's IOMMU group is numbered by its slot, which
 * stays the same while the mdev lives.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sysfs_int.h"

/* ---- the matrix device ---- */

static int show_features(struct sysfs_ctx *c, char *buf)
{
	(void)c;
	return sysfs_emit(buf, "guest_matrix hotplug ap_config\n");
}

static void target_matrix_subsystem(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "bus/matrix");
}

static void target_matrix_driver(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "bus/matrix/drivers/vfio_ap");
}

/* ---- the mdev type ---- */

static int show_type_name(struct sysfs_ctx *c, char *buf)
{
	(void)c;
	return sysfs_emit(buf, "VFIO AP Passthrough Device\n");
}

static int show_device_api(struct sysfs_ctx *c, char *buf)
{
	(void)c;
	return sysfs_emit(buf, "vfio-ap\n");
}

static int show_available(struct sysfs_ctx *c, char *buf)
{
	return sysfs_emit(buf, "%u\n", matrix_available(c->s));
}

static int store_create(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return matrix_create(c->s, buf, len, NULL);
}

/* ---- a mediated device ---- */

static int store_assign(struct sysfs_ctx *c, enum ap_kind kind, const char *buf, size_t len)
{
	return matrix_assign(c->s, c->m, kind, buf, len);
}

static int store_unassign(struct sysfs_ctx *c, enum ap_kind kind, const char *buf, size_t len)
{
	return matrix_unassign(c->s, c->m, kind, buf, len);
}

static int store_assign_adapter(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return store_assign(c, AP_KIND_ADAPTER, buf, len);
}

static int store_assign_domain(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return store_assign(c, AP_KIND_DOMAIN, buf, len);
}

static int store_assign_control_domain(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return store_assign(c, AP_KIND_CONTROL, buf, len);
}

static int store_unassign_adapter(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return store_unassign(c, AP_KIND_ADAPTER, buf, len);
}

static int store_unassign_domain(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return store_unassign(c, AP_KIND_DOMAIN, buf, len);
}

static int store_unassign_control_domain(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return store_unassign(c, AP_KIND_CONTROL, buf, len);
}

static int show_control_domains(struct sysfs_ctx *c, char *buf)
{
	return (int)matrix_show_control_domains(c->m, buf, SYSFS_PAGE);
}

static int show_matrix(struct sysfs_ctx *c, char *buf)
{
	return (int)matrix_show_matrix(c->m, buf, SYSFS_PAGE);
}

static int show_guest_matrix(struct sysfs_ctx *c, char *buf)
{
	return (int)matrix_show_guest_matrix(c->m, buf, SYSFS_PAGE);
}

static int show_ap_config(struct sysfs_ctx *c, char *buf)
{
	return (int)matrix_show_ap_config(c->m, buf, SYSFS_PAGE);
}

static int store_ap_config(struct sysfs_ctx *c, const char *buf, size_t len)
{
	return matrix_ap_config_store(c->s, c->m, buf, len);
}

/*
 * With a guest attached, today's kernel makes the writer wait until the
 * guest lets the device go: the daemon's remove_wait hook does that (it
 * drops and retakes the lock). Without the hook nothing could wait, and
 * the device is reported busy. After the call the mdev may be gone: c->m
 * must not be used again.
 */
static int store_remove(struct sysfs_ctx *c, const char *buf, size_t len)
{
	const struct apemu_sysfs_hooks *h = sysfs_hooks(c->fs);
	struct ap_mdev *m = c->m;
	int r = matrix_remove_store(c->s, m, buf, len);

	c->m = NULL;
	if (r != -EINPROGRESS)
		return r;
	if (!h->remove_wait)
		return -EBUSY;
	return h->remove_wait(h->ctx, m);
}

static void target_mdev_type(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough");
}

static void target_iommu_group(const struct sysfs_ctx *c, char *buf, size_t size)
{
	snprintf(buf, size, "kernel/iommu_groups/%u", c->m->slot);
}

static void target_mdev_driver(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "bus/mdev/drivers/vfio_ap_mdev");
}

static void target_mdev_subsystem(const struct sysfs_ctx *c, char *buf, size_t size)
{
	(void)c;
	snprintf(buf, size, "bus/mdev");
}

/* ---- tables ---- */

/* devices/vfio_ap is a root device: no bus, so its uevent file is empty. */
const struct sysfs_entry sysfs_vfio_root_ents[] = {
    DIR("matrix", K_MATRIX),
    DIR("power", K_POWER_VFIO),
    RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

const struct sysfs_entry sysfs_matrix_ents[] = {
    LNK("driver", target_matrix_driver),
    RO("features", show_features, AV_CUR),
    DIR("mdev_supported_types", K_TYPES),
    DIR("power", K_POWER_MATRIX),
    LNK("subsystem", target_matrix_subsystem),
    RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
};

const struct sysfs_entry sysfs_types_ents[] = {
    DIR("vfio_ap-passthrough", K_TYPE),
};

const struct sysfs_entry sysfs_type_ents[] = {
    RO("available_instances", show_available, AV_ALL),
    WO("create", store_create),
    RO("device_api", show_device_api, AV_ALL),
    DIR("devices", K_TYPE_DEVICES),
    RO("name", show_type_name, AV_ALL),
};

const struct sysfs_entry sysfs_mdev_ents[] = {
    RW("ap_config", show_ap_config, store_ap_config, AV_CUR),
    WO("assign_adapter", store_assign_adapter),
    WO("assign_control_domain", store_assign_control_domain),
    WO("assign_domain", store_assign_domain),
    RO("control_domains", show_control_domains, AV_ALL),
    LNK("driver", target_mdev_driver),
    RO("guest_matrix", show_guest_matrix, AV_CUR),
    LNK("iommu_group", target_iommu_group),
    RO("matrix", show_matrix, AV_ALL),
    LNK("mdev_type", target_mdev_type),
    DIR("power", K_POWER_MDEV),
    WO("remove", store_remove),
    LNK("subsystem", target_mdev_subsystem),
    RW("uevent", sysfs_show_uevent, sysfs_store_uevent, AV_ALL),
    WO("unassign_adapter", store_unassign_adapter),
    WO("unassign_control_domain", store_unassign_control_domain),
    WO("unassign_domain", store_unassign_domain),
};

NENTS(sysfs_vfio_root);
NENTS(sysfs_matrix);
NENTS(sysfs_types);
NENTS(sysfs_type);
NENTS(sysfs_mdev);
