/*
 * lifecycle - `apemu start` and `apemu stop`: run apemud detached for one
 * instance and wait until its tree is mounted; stop it and wait until it is
 * gone. Both print what happened; they return the exit status.
 */
#ifndef APEMU_LIFECYCLE_H
#define APEMU_LIFECYCLE_H

#include "client.h"

/*
 * machine: a description file or NULL for the built-in machine; abi: "cur",
 * "v8" (replacing the description's) or NULL; group: for apemud --group (who
 * may use the control socket besides root), or NULL. 0 or 1.
 */
int lifecycle_start(const struct client_paths *p, const char *machine, const char *abi,
		    const char *group);

/* 0, or 1 when no daemon runs there or it would not stop. */
int lifecycle_stop(const struct client_paths *p);

#endif
