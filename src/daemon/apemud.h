/*
 * apemud - the daemon's shared state: the model, the one configuration
 * lock, the log, the tree and the control socket.
 *
 * Lock order: d->lock (the configuration lock, taken by every sysfs
 * callback, every control request that reads or changes the model, and
 * guest open/release and every guest instruction) before the log ring's
 * own mutex.
 */
#ifndef APEMU_APEMUD_H
#define APEMU_APEMUD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "control.h"
#include "dlog.h"
#include "instance.h"
#include "system.h"

struct apemu_sysfs;
struct guests;

struct apemud {
	struct ap_system *sys;
	pthread_mutex_t lock;	 /* the configuration lock */
	pthread_cond_t released; /* broadcast when a guest releases an mdev (and on stop) */
	bool stopping;		 /* under lock: the daemon is shutting down */
	struct dlog *log;
	struct instance_paths paths;
	struct apemu_sysfs *fs;
	struct control *ctl;
	struct guests *guests; /* guest.c: guests, opened mdevs, the queues' messages */
	pid_t pid;
};

#endif
