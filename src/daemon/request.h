/*
 * request - the control socket's operations: status, dmesg, stop and the
 * hardware events (docs/control-socket.md). Each request is checked field
 * by field before anything changes; errors are the core's negative errno,
 * sent as {"ok":false,"errno":E,...} with a message naming the bad value.
 */
#ifndef APEMU_REQUEST_H
#define APEMU_REQUEST_H

#include "apemud.h"
#include "control.h"

/* The handler table the control server calls, bound to d. */
void request_handler_init(struct apemud *d, struct control_handler *ret);

#endif
