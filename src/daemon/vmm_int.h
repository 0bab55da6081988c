/*
 * vmm_int - what vmm.c, vfio.c, trap.c, dp.c, fault.c and vmm_audit.c
 * share: the guests of the daemon, the mdevs they opened and the per-APQN
 * message state.
 *
 * Lock order (take them in this order, never the other way):
 *   1. d->lock, the configuration lock (sysfs stores, hardware events,
 *      the control socket's operations);
 *   2. trap.c's table lock, held by the trap thread while it serves one
 *      instruction, and by trap_add()/trap_remove();
 *   3. a guest's insn_mu: held for one instruction of the trap path, and by
 *      whoever changes the guest's CRYCB, `attached` or its rings (dp.c);
 *   4. one engine queue's mutex (src/engine), the worker's or the trap
 *      path's; never two at once.
 * Everything here is under d->lock except the trap path's state (`resp`,
 * `last_ns`, owned by the trap thread), the mapping (lives as long as the
 * guest) and what insn_mu guards: the CRYCB, `attached` and the data plane
 * (`rings`, the area's directory). Whoever changes the CRYCB holds d->lock
 * and then insn_mu, so that no instruction still runs with the old masks
 * once the change is made (KVM blocks the vCPUs the same way while it
 * rewrites a CRYCB), and then updates the rings' states (dp_refresh), so
 * that the guest's interpreted NQAP/DQAP stop at once too. A guest is freed
 * only after the trap thread let go of it and the engine forgot it, both
 * under d->lock.
 */
#ifndef APEMU_DAEMON_VMM_INT_H
#define APEMU_DAEMON_VMM_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <apemu/guest-abi.h>

#include "apemud.h"
#include "crycb.h"
#include "engine.h"
#include "insn.h"
#include "jfield.h"

/* VFIO interrupt indexes of vfio_ap (cur). */
#define GUEST_IRQ_REQ  0
#define GUEST_IRQ_CFG  1
#define GUEST_NUM_IRQS 2

struct guests;
struct gconn;

/* One queue ring a guest has (dp.c). */
struct gring {
	uint16_t apqn;
	int dir;      /* its directory entry in the area, or -1: private memory */
	uint32_t off; /* in the area */
	uint32_t size;
	void *priv; /* the private ring's memory */
};

/* One guest: a process's memory, its CPU model, its CRYCB and its rings. */
struct guest {
	struct guest *next;
	struct guests *gs;
	uint64_t id;
	struct ap_cpu_model cpu;
	uint8_t *mem; /* MAP_SHARED mapping of the memfd, guest address 0 .. mem_size - 1 */
	uint64_t mem_size;
	struct apemu_ring *ring; /* inside mem: the trap path's instruction ring */
	int irq_fd;		 /* AQIC notification eventfd, or -1 */
	int trap_fd;		 /* the trap doorbell (eventfd), or -1: a poller */
	int data_fd;		 /* the data doorbell (eventfd), or -1 */
	struct crycb crycb;	 /* what KVM would keep for the guest */
	uint32_t crycbd;	 /* fake origin | format bits */
	bool attached;		 /* an mdev is attached (the AQIC hook is installed) */
	pthread_mutex_t insn_mu; /* see the lock order above */
	/* the data plane (dp.c), under insn_mu */
	uint8_t *dp; /* the data-plane area in mem, or NULL */
	uint32_t dp_size;
	int dp_nent; /* directory entries in use (apemud's own count) */
	struct gring *rings;
	size_t nrings, rings_cap;
	uint32_t epoch; /* the last ring epoch given out */
	/* the trap path (trap.c), owned by the trap thread */
	uint32_t resp;	  /* the last resp_seq written */
	long last_ns;	  /* when the last instruction was served */
	size_t trap_slot; /* its place in the trap thread's table */
};

/* One opened mdev: the device fd of VFIO_GROUP_GET_DEVICE_FD. */
struct gopen {
	struct gopen *next;
	struct gconn *conn; /* the connection that opened it */
	uint8_t uuid[AP_UUID_LEN];
	uint64_t seq;  /* the mdev's creation number: a re-created UUID is another device */
	bool attached; /* matrix_attach installed conn's guest */
	int irq_fd[GUEST_NUM_IRQS]; /* SET_IRQS eventfds (request, config change), or -1 */
};

/* Per control connection. */
struct gconn {
	struct guest *guest; /* after guest-create */
};

struct guests {
	struct apemud *d;
	struct ap_sys_ops prev_ops; /* the handlers that were installed before ours */
	void *prev_ctx;
	struct guest *list;
	struct gopen *opens;
	uint64_t next_id;
	struct engine *engine; /* the adapters and every queue's binding */
	struct trap *trap;     /* the trap path's thread */
};

/* vmm.c */
struct guest *vmm_find_guest(struct guests *gs, uint64_t id);
/* The connection's state, created on first use; NULL without memory. */
struct gconn *vmm_conn(struct control_conn *conn);
/*
 * Member key of req as an integer in min..max (a JSON integer, or a string
 * in C syntax); absent: def when !required. -EINVAL with a message in jf.
 */
int vmm_get_int(struct jfield *jf, struct json_object *req, const char *key, bool required,
		int64_t def, int64_t min, int64_t max, int64_t *ret);
/* Is fd an eventfd? */
bool vmm_is_eventfd(int fd);

/* vfio.c: the mdev operations; called with the lock NOT held. */
struct json_object *vfio_op_open(struct apemud *d, struct control_conn *conn,
				 struct json_object *req);
struct json_object *vfio_op_release(struct apemud *d, struct control_conn *conn,
				    struct json_object *req);
struct json_object *vfio_op_ioctl(struct apemud *d, struct control_conn *conn,
				  struct json_object *req, struct control_fds *fds);
/* Release every device the connection opened (lock held). */
void vfio_release_all(struct guests *gs, struct gconn *gc);
/* The open of mdev m, or NULL (lock held). */
struct gopen *vfio_find_open(struct guests *gs, const struct ap_mdev *m);

/* trap.c: one thread serves every guest's instruction ring (struct apemu_ring). */
struct trap;
int trap_new(struct guests *gs, struct trap **ret);
/* Stop the thread (no guest left). Accepts NULL. */
void trap_free(struct trap *t);
/* Serve g from now on. -errno. */
int trap_add(struct trap *t, struct guest *g);
/* Serve g no more; returns once the thread let go of it. */
void trap_remove(struct trap *t, struct guest *g);

/* dp.c: the guest's queue rings, in its data-plane area or the daemon's memory. */
/* env->queue of the trap path (insn_mu held): apqn's ring, laid out when
 * create asks for one; returned locked (engine_lock), NULL when none. */
struct qring_host *dp_queue(struct guest *g, unsigned int apqn, bool create);
/* The CRYCB changed (insn_mu held): rings of queues still in it stay live, the others are revoked.
 */
void dp_refresh(struct guest *g);
/* apqn's ring left the engine (insn_mu held): give its memory back. */
void dp_forget(struct guest *g, unsigned int apqn);
/* Every ring gone (the engine forgot g). */
void dp_free(struct guest *g);

#endif
