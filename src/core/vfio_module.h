/*
 * vfio_module - the vfio_ap module coming and going (modprobe / rmmod
 * vfio_ap): the matrix bus, device and driver, vfio_ap's queue driver on
 * the AP bus, the mdev driver and the mdev parent, with the uevents of
 * vfio_ap_init() and vfio_ap_exit() (drivers/s390/crypto/vfio_ap_drv.c) in
 * their order (docs/uevents.md).
 */
#ifndef APEMU_CORE_VFIO_MODULE_H
#define APEMU_CORE_VFIO_MODULE_H

#include "system.h"

/*
 * rmmod vfio_ap: its mdevs are removed, its queues lose their driver (they
 * stay without one), the matrix device and bus go. -ENOENT: not loaded;
 * -EAGAIN (EWOULDBLOCK): a guest has an mdev open, which holds the module
 * (the kernel's delete_module; rmmod says "Module vfio_ap is in use").
 */
int vfio_module_unload(struct ap_system *s);

/*
 * modprobe vfio_ap: the matrix device, its drivers, and with the AP bus's
 * drivers_autoprobe every free queue without a driver bound to vfio_ap.
 * -EEXIST: loaded already.
 */
int vfio_module_load(struct ap_system *s);

/* A machine that booted without vfio_ap: unload before anyone listens. */
void vfio_module_boot_absent(struct ap_system *s);

#endif
