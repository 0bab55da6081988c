/*
 * matrix - the vfio_ap matrix driver: mediated devices created and removed
 * by UUID, the assignment of adapters, domains and control domains with
 * every check and errno of the kernel, ap_config, and the guest matrix (the
 * filtered shadow APCB a guest gets).
 *
 * An owner index (ap_queue_dev.owner) records which mdev's matrix holds each
 * APQN, so checking an assignment against the other mdevs costs the same
 * whether there is one mdev or 65536.
 */
#ifndef APEMU_CORE_MATRIX_H
#define APEMU_CORE_MATRIX_H

#include <stddef.h>

#include "system.h"

#define AP_MATRIX_MAX_INSTANCES 65536u /* 256 x 256, the kernel's MAX_ZDEV_ENTRIES_EXT */

enum ap_kind {
	AP_KIND_ADAPTER = 0,
	AP_KIND_DOMAIN,
	AP_KIND_CONTROL,
};

enum ap_queue_status {
	AP_QSTATUS_UNASSIGNED = 0,
	AP_QSTATUS_ASSIGNED,
	AP_QSTATUS_IN_USE,
};

int matrix_init(struct ap_matrix *mx, uint32_t max_instances);
void matrix_clear(struct ap_matrix *mx);

/*
 * create: the UUID text of a write (36 or 37 bytes, in both ABIs). -EINVAL bad length or UUID;
 * -EEXIST UUID in use; no instances left: -EUSERS (cur), -EPERM (v8); -ENOMEM.
 */
int matrix_create(struct ap_system *s, const char *buf, size_t len, struct ap_mdev **ret_mdev);
int matrix_create_uuid(struct ap_system *s, const uint8_t uuid[AP_UUID_LEN],
		       struct ap_mdev **ret_mdev);

/*
 * remove: value parsed with kstrtoul (any parse error: -EINVAL); 0 does
 * nothing. With a guest attached: v8 -EBUSY; cur -EINPROGRESS after
 * marking the mdev: the edge then clears the guest's CRYCB masks, signals
 * the request eventfd, waits for the release and calls matrix_destroy.
 */
int matrix_remove_store(struct ap_system *s, struct ap_mdev *m, const char *buf, size_t len);
/* Remove the mdev now (no guest attached): unlink, reset its queues, free it. */
void matrix_destroy(struct ap_system *s, struct ap_mdev *m);

struct ap_mdev *matrix_find(const struct ap_system *s, const uint8_t uuid[AP_UUID_LEN]);
/* Look up by text: the 36-character UUID (any case). NULL when unknown. */
struct ap_mdev *matrix_find_str(const struct ap_system *s, const char *str);
/*
 * Look up by device name: the canonical lower-case UUID, compared exactly,
 * as the kernel compares device names (sysfs lookups, VFIO's
 * VFIO_GROUP_GET_DEVICE_FD). An upper-case spelling names nothing.
 */
struct ap_mdev *matrix_find_name(const struct ap_system *s, const char *name);
/* Live mdevs in creation order are not kept; iterate slots instead. */
static inline struct ap_mdev *matrix_slot(const struct ap_system *s, uint32_t slot)
{
	return slot < s->matrix.nslots ? s->matrix.slots[slot] : NULL;
}
/*
 * drivers_probe of the matrix and mdev buses: the matrix device and every
 * mdev always have their driver, so naming one is all it takes; -ENODEV
 * for any other name.
 */
int matrix_bus_drivers_probe(const struct ap_system *s, const char *buf, size_t len);
int matrix_mdev_drivers_probe(const struct ap_system *s, const char *buf, size_t len);
/*
 * bind and unbind of the vfio_ap_mdev driver: every mdev is bound to it
 * from its creation on, so a bind finds the device busy; unbinding an mdev
 * from its driver is not modelled and is refused as busy as well. -EBUSY
 * for an mdev's name (as drivers_probe takes it), -ENODEV for any other.
 */
int matrix_mdev_drv_bind(const struct ap_system *s, const char *buf, size_t len);
uint32_t matrix_available(const struct ap_system *s);

/* The mdevs' limits (from QCI, 1.3). */
unsigned int matrix_max(const struct ap_system *s, enum ap_kind kind);

/*
 * assign_* / unassign_* stores: kstrtoul text. Errors, cur: -EINVAL/-ERANGE
 * parse; -ENODEV above the limit; assign adapter/domain: -EADDRNOTAVAIL an
 * APQN reserved for the host, -EADDRINUSE an APQN in another mdev.
 * v8: -EBUSY first when a guest is attached; -EADDRNOTAVAIL when an APQN is
 * not bound to vfio_ap.
 */
int matrix_assign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, const char *buf,
		  size_t len);
int matrix_unassign(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, const char *buf,
		    size_t len);
/* The same with a number (no parsing), for callers that have one. */
int matrix_assign_id(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned long id);
int matrix_unassign_id(struct ap_system *s, struct ap_mdev *m, enum ap_kind kind, unsigned long id);

/*
 * ap_config store (cur): "APM,AQM,ADM" absolute masks. -EINVAL syntax,
 * then -EADDRNOTAVAIL, -EADDRINUSE, -ENODEV (a bit above the limits).
 */
int matrix_ap_config_store(struct ap_system *s, struct ap_mdev *m, const char *buf, size_t len);

/*
 * Show functions: write the attribute's text into out (at most size-1 bytes,
 * NUL-terminated, cut like the kernel's one-page buffer) and return its
 * length.
 */
size_t matrix_show_matrix(const struct ap_mdev *m, char *out, size_t size);
size_t matrix_show_guest_matrix(const struct ap_mdev *m, char *out, size_t size);
size_t matrix_show_control_domains(const struct ap_mdev *m, char *out, size_t size);
size_t matrix_show_ap_config(const struct ap_mdev *m, char *out, size_t size);

/* The status file of a queue bound to vfio_ap (cur). */
enum ap_queue_status matrix_queue_status(const struct ap_system *s, unsigned int apqn);
struct ap_mdev *matrix_apqn_owner(const struct ap_system *s, unsigned int apqn);

/*
 * AP bus callbacks (ap_bus -> vfio_ap).
 * in_use: is any APQN of apm x aqm assigned to an mdev? Logs each one.
 * queue_probe / queue_remove: a queue was bound to / unbound from vfio_ap.
 * config_changed: the host's configuration (QCI) changed.
 */
bool matrix_in_use(struct ap_system *s, const struct ap_mask *apm, const struct ap_mask *aqm);
void matrix_queue_probe(struct ap_system *s, unsigned int apqn);
void matrix_queue_remove(struct ap_system *s, unsigned int apqn);
void matrix_config_changed(struct ap_system *s);

/*
 * Guest attachment (open/release of the VFIO device with a KVM guest).
 * attach: the guest (a nonzero id) gets the mdev's guest matrix through
 * s->ops.guest_update. -EINVAL for guest 0, -EBUSY when this mdev is
 * already open; when the guest has another mdev attached already, -EPERM
 * (cur) or 0 with nothing attached (v8: 4.20 opened the device and
 * installed nothing).
 * detach: forgets the guest and zeroizes the mdev's queues that are bound
 * to vfio_ap. The guest's CRYCB is not the core's: the caller clears its
 * masks first, as KVM does.
 */
int matrix_attach(struct ap_system *s, struct ap_mdev *m, uint64_t guest);
void matrix_detach(struct ap_system *s, struct ap_mdev *m);

/*
 * May a VMM open m (VFIO's GET_DEVICE_FD, then vfio_ap's open_device)?
 * m is NULL when no device has the name. open: the device is open
 * already; kvm: the opener has a KVM guest. -ENODEV: no such mdev, or its
 * removal is under way; -EBUSY: open already; -EINVAL (cur): no KVM, which
 * vfio_ap needs to install the matrix (v8 opens and installs nothing).
 */
int matrix_open_check(const struct ap_system *s, const struct ap_mdev *m, bool open, bool kvm);

/*
 * VFIO_DEVICE_RESET: zeroize the mdev's queues. cur: every linked queue
 * (assigned and bound to vfio_ap), its response code recorded for the
 * guest matrix's filter; -EIO when any of them is not 0x00. v8 (4.20):
 * every APQN of APM x AQM; -EBUSY for rc 0x02 or 0x05, -EIO for any other
 * failure, the last failure deciding.
 */
int matrix_device_reset(struct ap_system *s, struct ap_mdev *m);

#endif
