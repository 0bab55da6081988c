/*
 * uevent - the kernel's uevents for this system: which object sends one,
 * with which action and which environment, in the order and with the keys
 * lib/kobject_uevent.c gives them (ACTION, DEVPATH, SUBSYSTEM, the caller's
 * variables, the driver core's DRIVER, the bus's own variables, SEQNUM).
 *
 * The core builds each event completely, numbers it with the system's
 * sequence counter (the kernel's uevent_seqnum) and hands it to
 * ap_sys_ops.uevent; the edges only deliver it. docs/uevents.md lists every
 * event and where in the kernel it comes from.
 */
#ifndef APEMU_CORE_UEVENT_H
#define APEMU_CORE_UEVENT_H

#include <stddef.h>

#include "system.h"

#define AP_UEVENT_BUF	2048 /* the kernel's UEVENT_BUFFER_SIZE */
#define AP_UEVENT_NVARS 64   /* the kernel's UEVENT_NUM_ENVP */

struct ap_uevent {
	enum ap_uevent_action action;
	unsigned long long seqnum;
	const char *devpath;   /* the value of DEVPATH (points into buf) */
	const char *subsystem; /* the value of SUBSYSTEM */
	unsigned int nvars;
	const char *var[AP_UEVENT_NVARS]; /* "KEY=value", ACTION first, SEQNUM last */
	size_t buflen;
	char buf[AP_UEVENT_BUF];
};

/* The objects that send uevents. */
enum ap_obj_kind {
	AP_OBJ_AP_ROOT = 0, /* /devices/ap: bus ap once the bus set it */
	AP_OBJ_CARD,	    /* id: apid */
	AP_OBJ_QUEUE,	    /* id: apqn */
	AP_OBJ_VFIO_ROOT,   /* /devices/vfio_ap: no bus, filtered */
	AP_OBJ_MATRIX,	    /* /devices/vfio_ap/matrix */
	AP_OBJ_MDEV,	    /* mdev */
	AP_OBJ_BUS,	    /* id: enum ap_bus_id; /bus/<name>, subsystem "bus" */
	AP_OBJ_DRIVER,	    /* id: enum ap_drv_id; /bus/<bus>/drivers/<name> */
	AP_OBJ_MODULE,	    /* /module/vfio_ap */
};

enum ap_bus_id { AP_BUS_AP = 0, AP_BUS_MATRIX, AP_BUS_MDEV, AP_BUS_COUNT };

/* Drivers as kobjects: the AP bus's three, the matrix driver, vfio_ap_mdev. */
enum ap_drv_id {
	AP_DRVOBJ_CEX4CARD = AP_DRV_CEX4CARD,
	AP_DRVOBJ_CEX4QUEUE = AP_DRV_CEX4QUEUE,
	AP_DRVOBJ_VFIO_AP = AP_DRV_VFIO_AP,
	AP_DRVOBJ_MATRIX = AP_DRV_COUNT,
	AP_DRVOBJ_MDEV,
};

struct ap_obj {
	enum ap_obj_kind kind;
	unsigned int id;
	const struct ap_mdev *mdev;
};

const char *uevent_action_name(enum ap_uevent_action action);

/*
 * What the object's uevent file shows: the variables dev_uevent() adds for
 * it, one "KEY=value\n" each. Returns the length (cut at size - 1).
 */
size_t uevent_show(const struct ap_system *s, const struct ap_obj *o, char *out, size_t size);

/*
 * Send one uevent for o with the caller's variables extra (NULL-terminated,
 * may be NULL), as kobject_uevent_env() does. Objects without a bus or
 * class (the vfio_ap root) send nothing, as dev_uevent_filter() drops them.
 */
void uevent_send(struct ap_system *s, const struct ap_obj *o, enum ap_uevent_action action,
		 const char *const *extra);

/* A synthetic uevent's variables: SYNTH_UUID and up to 15 SYNTH_ARG_*. */
#define AP_SYNTH_VARS	 16
#define AP_SYNTH_VAR_LEN 160

struct ap_uevent_synth {
	enum ap_uevent_action action;
	size_t nvars;
	char vars[AP_SYNTH_VARS][AP_SYNTH_VAR_LEN]; /* "KEY=VALUE", SYNTH_UUID first */
};

/*
 * Parse a write to a uevent file (kobject_synth_uevent): "ACTION" or
 * "ACTION UUID [KEY=VALUE ...]", one trailing newline or NUL allowed;
 * KEY and VALUE are letters and digits, one space before each pair.
 * Without a UUID, SYNTH_UUID is "0". -EINVAL for an empty write, an
 * unknown action, a bad UUID or a bad pair; -ENOMEM for more pairs than
 * the environment holds. *ret is untouched on failure.
 */
int uevent_synth_parse(const char *buf, size_t len, struct ap_uevent_synth *ret);
/* A write to o's uevent file: parsed as above, then sent for o. */
int uevent_synth(struct ap_system *s, const struct ap_obj *o, const char *buf, size_t len);

/* The "kobj" helpers for bus.c and matrix.c. */
void uevent_card(struct ap_system *s, unsigned int apid, enum ap_uevent_action action,
		 const char *var);
void uevent_queue(struct ap_system *s, unsigned int apqn, enum ap_uevent_action action,
		  const char *var);
void uevent_mdev(struct ap_system *s, const struct ap_mdev *m, enum ap_uevent_action action);

#endif
