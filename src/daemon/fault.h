/*
 * fault - injected faults: the control socket's fault-* events
 * (docs/apemu-cli.md, docs/control-socket.md).
 */
#ifndef APEMU_DAEMON_FAULT_H
#define APEMU_DAEMON_FAULT_H

#include <json-c/json.h>

#include "apemud.h"
#include "jfield.h"

/*
 * Apply fault event (fault-rc, fault-busy, fault-reset-pending,
 * fault-delay, fault-chkstop-busy, fault-clear) with the members of o.
 * Lock not held. 0, or -errno with the reason in jf or msg (512 bytes).
 */
int fault_apply(struct apemud *d, const char *event, struct json_object *o, struct jfield *jf,
		char *msg);

#endif
