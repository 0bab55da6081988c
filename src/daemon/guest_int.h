/*
 * guest_int - what guest.c, vfio.c and ring.c share: the guests of the
 * daemon, the mdevs they opened and the per-APQN message state.
 *
 * Locking: everything here is under the configuration lock (d->lock),
 * except what a guest's ring thread owns alone (its `resp` counter and the
 * mapping, which lives as long as the guest) and `stop`, an atomic. The
 * CRYCB and `attached` are also read by the ring thread, which holds the
 * guest's own insn_mu (never d->lock) for each instruction; whoever changes
 * them holds d->lock and then insn_mu, so that no instruction still runs
 * with the old masks once the change is made (KVM blocks the vCPUs the
 * same way while it rewrites a CRYCB). The AP queues
 * belong to the engine (src/engine), each with its own lock.
 * A guest is freed only after its ring thread was joined and the engine
 * forgot it.
 */
#ifndef APEMU_GUEST_INT_H
#define APEMU_GUEST_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <apemu/guest-abi.h>

#include "apemud.h"
#include "apqueue.h"
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

/* One guest: a process's memory, its CPU model, its CRYCB and ring thread. */
struct guest {
	struct guest *next;
	struct guests *gs;
	uint64_t id;
	struct ap_cpu_model cpu;
	uint8_t *mem; /* MAP_SHARED mapping of the memfd, guest address 0 .. mem_size - 1 */
	uint64_t mem_size;
	struct apemu_ring *ring; /* inside mem */
	int irq_fd;		 /* AQIC notification eventfd, or -1 */
	struct crycb crycb;	 /* what KVM would keep for the guest */
	uint32_t crycbd;	 /* fake origin | format bits */
	bool attached;		 /* an mdev is attached (the AQIC hook is installed) */
	pthread_mutex_t insn_mu; /* held by the ring thread for one instruction */
	/* ring thread */
	pthread_t thread;
	bool thread_running;
	int stop;      /* atomic: the thread must end */
	uint32_t resp; /* atomic: the last resp_seq written */
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
	struct engine *engine; /* the adapters and every queue's messages */
};

/* guest.c */
struct guest *guests_find(struct guests *gs, uint64_t id);
/* The connection's state, created on first use; NULL without memory. */
struct gconn *guest_conn(struct control_conn *conn);
/*
 * Member key of req as an integer in min..max (a JSON integer, or a string
 * in C syntax); absent: def when !required. -EINVAL with a message in jf.
 */
int guest_get_int(struct jfield *jf, struct json_object *req, const char *key, bool required,
		  int64_t def, int64_t min, int64_t max, int64_t *ret);
/* Write 1 to an eventfd (ignored when fd < 0). */
void guest_signal(int fd);
/* Is fd an eventfd? */
bool guest_is_eventfd(int fd);

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

/* ring.c */
/* Start the guest's ring thread. -errno. */
int ring_start(struct guest *g);
/* Stop and join it (lock NOT held). */
void ring_stop(struct guest *g);

#endif
