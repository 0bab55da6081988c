/*
 * status_view - `apemu status`: the daemon's status object drawn for a
 * terminal: the bus masks, a grid of adapters x usage domains saying who
 * holds each APQN (host driver, vfio_ap, which mdev, a guest), the mdevs
 * and a legend. Machines with more than STATUS_GRID_MAX_DOMAINS usage
 * domains get a per-adapter summary instead of the grid.
 */
#ifndef APEMU_STATUS_VIEW_H
#define APEMU_STATUS_VIEW_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

#define STATUS_GRID_MAX_DOMAINS 32
#define STATUS_MAX_MDEVS_SHOWN	64

/* Does a status object (without queues) call for the grid (and so for the queue list)? */
bool status_view_wants_grid(struct json_object *st);

/* Print st (from {"op":"status"}; the grid needs its "queues") to out. */
void status_view_print(struct json_object *st, FILE *out);

#endif
