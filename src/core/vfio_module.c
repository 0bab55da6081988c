/*
 * vfio_module - loading and unloading vfio_ap (see vfio_module.h).
 *
 * vfio_ap_init(): vfio_ap_matrix_dev_create() (root device, bus_register
 * of "matrix", device_register of the matrix device, driver_register of
 * its driver, which binds it), ap_driver_register() (driver_attach, then
 * the driver's add event), vfio_ap_mdev_register() (mdev_register_driver,
 * mdev_register_parent: MDEV_STATE=registered). vfio_ap_exit() undoes it
 * in reverse. The module's own kobject comes first and goes last.
 */
#include <errno.h>
#include <stdlib.h>

#include "bus.h"
#include "matrix.h"
#include "uevent.h"
#include "vfio_module.h"

static void obj_event(struct ap_system *s, enum ap_obj_kind kind, unsigned int id,
		      enum ap_uevent_action action)
{
	const struct ap_obj o = {.kind = kind, .id = id};

	uevent_send(s, &o, action, NULL);
}

static void mdev_state(struct ap_system *s, const char *var)
{
	const struct ap_obj o = {.kind = AP_OBJ_MATRIX};
	const char *extra[] = {var, NULL};

	/* mdev_register_parent's event came with Linux 5.3 */
	if (s->abi == AP_ABI_CUR)
		uevent_send(s, &o, AP_UEVENT_CHANGE, extra);
}

/* The oldest mdev (the matrix device's first child), or NULL. */
static struct ap_mdev *oldest_mdev(const struct ap_system *s)
{
	struct ap_mdev *best = NULL;

	for (uint32_t i = 0; i < s->matrix.nslots; i++) {
		struct ap_mdev *m = s->matrix.slots[i];

		if (m && (!best || m->seq < best->seq))
			best = m;
	}
	return best;
}

int vfio_module_unload(struct ap_system *s)
{
	struct ap_mdev *m;

	if (!s->vfio_ap)
		return -ENOENT;
	for (uint32_t i = 0; i < s->matrix.nslots; i++)
		if (s->matrix.slots[i] && s->matrix.slots[i]->guest)
			return -EAGAIN;
	/* mdev_unregister_parent: the children in the order they came */
	while ((m = oldest_mdev(s)))
		matrix_destroy(s, m);
	mdev_state(s, "MDEV_STATE=unregistered");
	if (s->abi == AP_ABI_CUR)
		obj_event(s, AP_OBJ_DRIVER, AP_DRVOBJ_MDEV, AP_UEVENT_REMOVE);
	/* ap_driver_unregister */
	apbus_driver_detach(s, AP_DRV_VFIO_AP);
	obj_event(s, AP_OBJ_DRIVER, AP_DRVOBJ_VFIO_AP, AP_UEVENT_REMOVE);
	/* vfio_ap_matrix_dev_destroy */
	s->matrix_bound = false;
	obj_event(s, AP_OBJ_MATRIX, 0, AP_UEVENT_UNBIND);
	obj_event(s, AP_OBJ_DRIVER, AP_DRVOBJ_MATRIX, AP_UEVENT_REMOVE);
	obj_event(s, AP_OBJ_MATRIX, 0, AP_UEVENT_REMOVE);
	obj_event(s, AP_OBJ_BUS, AP_BUS_MATRIX, AP_UEVENT_REMOVE);
	s->vfio_ap = false;
	s->topology++;
	obj_event(s, AP_OBJ_MODULE, 0, AP_UEVENT_REMOVE);
	return 0;
}

int vfio_module_load(struct ap_system *s)
{
	if (s->vfio_ap)
		return -EEXIST;
	obj_event(s, AP_OBJ_MODULE, 0, AP_UEVENT_ADD);
	s->vfio_ap = true;
	s->topology++;
	/* a new matrix bus starts with drivers_autoprobe on */
	s->bus.autoprobe[AP_BUS_MATRIX] = true;
	obj_event(s, AP_OBJ_BUS, AP_BUS_MATRIX, AP_UEVENT_ADD);
	s->matrix_bound = false;
	obj_event(s, AP_OBJ_MATRIX, 0, AP_UEVENT_ADD);
	/* driver_register: driver_attach binds the matrix, then the driver's add */
	s->matrix_bound = true;
	obj_event(s, AP_OBJ_MATRIX, 0, AP_UEVENT_BIND);
	obj_event(s, AP_OBJ_DRIVER, AP_DRVOBJ_MATRIX, AP_UEVENT_ADD);
	if (s->bus.autoprobe[AP_BUS_AP])
		apbus_driver_attach(s, AP_DRV_VFIO_AP);
	obj_event(s, AP_OBJ_DRIVER, AP_DRVOBJ_VFIO_AP, AP_UEVENT_ADD);
	if (s->abi == AP_ABI_CUR)
		obj_event(s, AP_OBJ_DRIVER, AP_DRVOBJ_MDEV, AP_UEVENT_ADD);
	mdev_state(s, "MDEV_STATE=registered");
	return 0;
}

void vfio_module_boot_absent(struct ap_system *s)
{
	unsigned int bound, total;

	vfio_module_unload(s);
	/* the boot never saw every queue bound */
	apbus_bindings(s, &bound, &total);
	if (bound != total) {
		s->bus.bindings_done = false;
		s->bus.bindings_count = 0;
	}
}
