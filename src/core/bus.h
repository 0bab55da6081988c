/*
 * bus - the AP bus: card and queue devices, the cex4card, cex4queue and
 * vfio_ap drivers, bind/unbind, the apmask/aqmask reservation of queues for
 * the host's default drivers, and the bus and device attributes' rules.
 *
 * Stores take the bytes of one write() as the kernel's store does and return
 * 0 or the kernel's negative errno; a failed store changes nothing.
 */
#ifndef APEMU_CORE_BUS_H
#define APEMU_CORE_BUS_H

#include <stddef.h>

#include "system.h"

/* "cex4card", "cex4queue", "vfio_ap"; NULL for AP_DRV_NONE. */
const char *apbus_driver_name(enum ap_driver drv);
/* -1 for an unknown name */
int apbus_driver_by_name(const char *name);

/* Does the card / queue device exist? */
bool apbus_card_exists(const struct ap_system *s, unsigned int apid);
bool apbus_queue_exists(const struct ap_system *s, unsigned int apid, unsigned int apqi);
/* Is the APQN reserved for the host's default drivers by apmask and aqmask? (v8: always) */
bool apbus_apqn_reserved(const struct ap_system *s, unsigned int apid, unsigned int apqi);
/* Does the ABI have apmask/aqmask? */
bool apbus_has_masks(const struct ap_system *s);

/*
 * The name of an AP device, exactly as the kernel names it: "card04"
 * (returns AP_DEVNAME_CARD, *ret_apid) or "04.0047" with a domain below
 * 0x100 (AP_DEVNAME_QUEUE, *ret_apid and *ret_apqi), in lower-case hex.
 * name is len bytes, without a terminating NUL or newline (a bind write's
 * newline is the caller's). Anything else: -EINVAL, outputs untouched.
 */
enum { AP_DEVNAME_CARD = 0, AP_DEVNAME_QUEUE = 1 };
int apbus_parse_device_name(const char *name, size_t len, unsigned int *ret_apid,
			    unsigned int *ret_apqi);

/*
 * Parse a device name as written to bind/unbind: "card04" or "04.0047"
 * (lower case, as the device is named), with an optional trailing '\n'.
 * Returns 0 for a card (*ret_id = apid) and 1 for a queue (*ret_id = apqn);
 * -ENODEV for any other name or a device that does not exist.
 */
int apbus_lookup_device(const struct ap_system *s, const char *buf, size_t len,
			unsigned int *ret_id);

/*
 * bind: -ENODEV for an unknown device, a device the driver does not match
 * (a card to a queue driver, a queue to cex4card) or a probe that refuses
 * the device (a queue whose reservation does not fit the driver); -EBUSY
 * for a device that already has a driver (v8: -ENODEV, as 4.x's driver core).
 * unbind: -ENODEV for an unknown device or one not bound to this driver.
 */
int apbus_bind(struct ap_system *s, enum ap_driver drv, const char *buf, size_t len);
int apbus_unbind(struct ap_system *s, enum ap_driver drv, const char *buf, size_t len);

/*
 * A queue driver registering (driver_attach: every queue without a driver
 * that drv accepts, by APQN) or going (driver_detach: every queue bound to
 * drv, the last bound first, as the driver core takes them).
 */
void apbus_driver_attach(struct ap_system *s, enum ap_driver drv);
void apbus_driver_detach(struct ap_system *s, enum ap_driver drv);

/*
 * apmask / aqmask stores (cur only; the v8 ABI has no such files).
 * -EINVAL for bad syntax; -EBUSY when a newly reserved APQN is assigned to
 * a mediated device (each such APQN is logged). On success the bindings of
 * every queue whose reservation changed are revised and a uevent is sent.
 */
int apbus_store_apmask(struct ap_system *s, const char *buf, size_t len);
int apbus_store_aqmask(struct ap_system *s, const char *buf, size_t len);

/* ap_domain: %i, 0..ap_max_domain_id, and (cur) reserved in aqmask, else -EINVAL. */
int apbus_store_ap_domain(struct ap_system *s, const char *buf, size_t len);
/* config_time: %d in 5..120, else -EINVAL. */
int apbus_store_config_time(struct ap_system *s, const char *buf, size_t len);
/* poll_thread: cur a kstrtobool; v8 an integer (non-zero on). -EINVAL. */
int apbus_store_poll_thread(struct ap_system *s, const char *buf, size_t len);
/* poll_timeout: cur kstrtoul (-EINVAL/-ERANGE) in 0..120000000000, else -EINVAL;
 * v8 %llu in 1..120000000000, else -EINVAL. */
int apbus_store_poll_timeout(struct ap_system *s, const char *buf, size_t len);
/* scans: any write rescans the bus (count goes up by one). */
int apbus_store_scans(struct ap_system *s, const char *buf, size_t len);

/*
 * drivers_probe: attach the named device if it has no driver (-ENODEV: no
 * such device). drivers_autoprobe of bus (enum ap_bus_id in uevent.h):
 * while off, devices that appear stay without a driver.
 */
int apbus_drivers_probe(struct ap_system *s, const char *buf, size_t len);
int apbus_store_autoprobe(struct ap_system *s, unsigned int bus, const char *buf, size_t len);

/*
 * bindings: bound queue devices and all queue devices. Returns whether the
 * bindings are complete: every queue device has a driver, after the first
 * scan (ap_bus.c's "(complete)").
 */
bool apbus_bindings(const struct ap_system *s, unsigned int *ret_bound, unsigned int *ret_total);

/* Card attributes. config: %d 0/1 else -EINVAL. online: %d 0/1 else -EINVAL;
 * 1 on a deconfigured or check-stopped card -ENODEV; needs cex4card (-ENODEV
 * when unbound, as the file is not there). */
int apbus_store_card_config(struct ap_system *s, unsigned int apid, const char *buf, size_t len);
int apbus_store_card_online(struct ap_system *s, unsigned int apid, const char *buf, size_t len);
/* What the card's / queue's online file shows. */
bool apbus_card_online(const struct ap_system *s, unsigned int apid);
bool apbus_queue_online(const struct ap_system *s, unsigned int apqn);
/* Queue online: %d 0/1 else -EINVAL; 1 with the adapter deconfigured or
 * check-stopped -ENODEV; 1 while the card is offline -EINVAL. */
int apbus_store_queue_online(struct ap_system *s, unsigned int apqn, const char *buf, size_t len);
/* request_count of a card (sum of its queues) or a queue; any write zeroes it. */
unsigned long long apbus_card_request_count(const struct ap_system *s, unsigned int apid);
void apbus_card_reset_counts(struct ap_system *s, unsigned int apid);
/* One queue's counters (ops.queue_counters: the adapters' threads own them). */
unsigned long long apbus_queue_request_count(const struct ap_system *s, unsigned int apqn);
unsigned int apbus_queue_requestq_count(const struct ap_system *s, unsigned int apqn);
unsigned int apbus_queue_pendingq_count(const struct ap_system *s, unsigned int apqn);
/* Requests the adapter has not completed: of one queue, of a card's queues. */
unsigned int apbus_queue_load(const struct ap_system *s, unsigned int apqn);
unsigned int apbus_card_load(const struct ap_system *s, unsigned int apid);
/* A write to the queue's request_count zeroes it. */
void apbus_queue_reset_count(struct ap_system *s, unsigned int apqn);
unsigned int apbus_card_requestq_count(const struct ap_system *s, unsigned int apid);
unsigned int apbus_card_pendingq_count(const struct ap_system *s, unsigned int apid);
/* Queue `reset` store (cur): flush and reset the queue. */
int apbus_store_queue_reset(struct ap_system *s, unsigned int apqn);

/*
 * Hardware events. Changing the configuration rescans the bus: devices
 * appear or go, new queues are probed, vfio_ap's guests are updated.
 * -ENODEV for an unknown adapter, -EEXIST/-EINVAL from machine_add_adapter
 * (-EINVAL also for an id machine_check_apid() refuses).
 */
int apbus_add_adapter(struct ap_system *s, const struct ap_adapter_desc *d);
int apbus_remove_adapter(struct ap_system *s, unsigned int apid);
/* A configuration change not made through the card's config file (SCLP). */
int apbus_set_config(struct ap_system *s, unsigned int apid, bool on);
int apbus_set_chkstop(struct ap_system *s, unsigned int apid, bool chkstop);
/* Add or remove a usage domain of the machine. -EINVAL above the limit. */
int apbus_set_usage_domain(struct ap_system *s, unsigned int apqi, bool on);
int apbus_set_control_domain(struct ap_system *s, unsigned int apqi, bool on);

/* Reset (RAPQ) or zeroize (ZAPQ) a queue as the hardware does; returns the response code. */
int apbus_queue_reset(struct ap_system *s, unsigned int apqn, bool zeroize);

#endif
