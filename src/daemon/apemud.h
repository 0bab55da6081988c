/*
 * apemud - the daemon's shared state: the model, the one configuration
 * lock, the log, the tree and the control socket.
 *
 * Lock order: d->lock (the configuration lock, taken by every sysfs
 * callback, every control request that reads or changes the model, and
 * guest open/release) before an AP queue's mutex (src/engine) before the log
 * ring's own mutex. Guest instructions and the adapters take no
 * configuration lock: they read d->view and a guest's published CRYCB.
 */
#ifndef APEMU_APEMUD_H
#define APEMU_APEMUD_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "control.h"
#include "dlog.h"
#include "hwview.h"
#include "instance.h"
#include "system.h"

struct apemu_sysfs;
struct guests;
struct uevent_net;

struct apemud {
	struct ap_system *sys;
	pthread_mutex_t lock;	 /* the configuration lock */
	pthread_cond_t released; /* broadcast when a guest releases an mdev (and on stop) */
	bool stopping;		 /* under lock: the daemon is shutting down */
	struct dlog *log;
	struct instance_paths paths;
	struct apemu_sysfs *fs;
	struct control *ctl;
	struct guests *guests;	 /* vmm.c: guests, opened mdevs, the adapters (engine) */
	struct uevent_net *unet; /* uevents on netlink in shells' namespaces (under lock) */
	/* The machine as the instruction path and the adapters see it, without
	 * the lock; apemud_publish() renews it after every change. */
	struct hwview view;
	pid_t pid;
};

/* Publish the machine's state to the lock-free readers (lock held); then apemud_audit(). */
void apemud_publish(struct apemud *d);
/* Built with -Daudit=true: check every invariant and log each violation as
 * an "AUDIT:" error (lock held). Otherwise nothing. */
void apemud_audit(struct apemud *d);

#endif
