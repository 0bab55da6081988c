/*
 * busorder - the orders in which the driver core walks AP queue devices:
 * the bus's list (registration order: bus_for_each_dev, driver_attach) and
 * a driver's list (binding order: driver_detach, zcrypt's queue list).
 * The order of events depends on them once adapters or domains were added
 * while the system ran.
 */
#ifndef APEMU_CORE_BUSORDER_H
#define APEMU_CORE_BUSORDER_H

#include <stddef.h>

#include "system.h"

enum busorder_key {
	BUSORDER_REGISTERED = 0, /* the bus's list */
	BUSORDER_BOUND,		 /* a driver's list: the last bound last */
};

/*
 * The queue devices that exist (of adapter apid, or of every adapter when
 * apid is negative), sorted by key: a malloc'd array of *ret_n APQNs for
 * the caller to free. NULL when there is none or no memory; then the
 * caller walks them by APQN, which is the same order on a machine that
 * has not changed since it started.
 */
unsigned int *busorder_queues(const struct ap_system *s, int apid, enum busorder_key key,
			      size_t *ret_n);

#endif
