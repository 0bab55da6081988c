/*
 * vmm - the daemon's side of guests (docs/guest-protocol.md): what KVM
 * and the machine do for a guest process, the way a VMM does. A connection of the control
 * socket may create one guest (its memory is a memfd, its AP instructions
 * arrive on a ring inside it), open mdevs for it (vfio_ap's open with a KVM
 * guest: the guest's CRYCB gets the mdev's guest matrix), issue the VFIO
 * device ioctls and release the devices again; closing the connection
 * releases everything, as closing the VFIO device fd and ending the VM do.
 *
 * The guest state lives under the configuration lock; one trap thread
 * serves every guest's instruction ring, the adapters' threads their queue
 * rings (vmm_int.h has the lock order).
 */
#ifndef APEMU_DAEMON_VMM_H
#define APEMU_DAEMON_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "apemud.h"
#include "control.h"
#include "crycb.h"

/* Hex text of a CRYCB, NUL included. */
#define VMM_CRYCB_HEX_LEN (2 * CRYCB_SIZE + 1)

/*
 * Install the guest handlers into d->sys->ops (chained with those already
 * there: set ops.log before). Call before the tree or the socket serve.
 * -ENOMEM.
 */
int vmm_init(struct apemud *d);
/* After every connection is gone: restore the ops, free the queues' state. */
void vmm_free(struct apemud *d);

/* Is op one of the guest operations? */
bool vmm_handles(const char *op);

/* Run a guest operation (lock not held); always returns a reply object. */
struct json_object *vmm_request(struct apemud *d, struct control_conn *conn, const char *op,
				struct json_object *req, struct control_fds *fds);

/* The connection is going away: stop its guest, release its devices. Lock not held. */
void vmm_disconnect(struct apemud *d, struct control_conn *conn);

/*
 * sysfs `remove` of an mdev a guest holds (cur), lock held: clear the
 * guest's CRYCB masks and signal the device's request and config-change
 * eventfds. The caller then waits for the release.
 */
void vmm_remove_requested(struct apemud *d, struct ap_mdev *m);

/* Discard what queue apqn holds (lock held; before vmm_init: nothing). */
void vmm_queue_gone(struct apemud *d, unsigned int apqn);

/*
 * Check every promise of the system (vmm_audit.c), lock held:
 * report is called with one line per violation; returns how many, or
 * -ENOMEM.
 */
int vmm_audit(struct apemud *d, void (*report)(void *ctx, const char *text), void *ctx);

/* The CRYCB of guest id as hex (lock held); false when there is no such guest. */
bool vmm_crycb_hex(struct apemud *d, uint64_t id, char hex[VMM_CRYCB_HEX_LEN]);

#endif
