/*
 * status - the "status" reply: the whole machine as one JSON object (bus
 * masks, adapters, every queue with its driver and owner, mdevs with their
 * matrix and guest matrix). Read-only; call with the configuration lock held.
 */
#ifndef APEMU_STATUS_H
#define APEMU_STATUS_H

#include <stdbool.h>

#include <json-c/json.h>

#include "apemud.h"

/* A new object with "ok": true and the status (the queue list only
 * with_queues); NULL when out of memory. */
struct json_object *status_build(struct apemud *d, bool with_queues);

#endif
