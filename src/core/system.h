/*
 * system - the whole emulated system as one value: the machine, the AP bus
 * with its devices and drivers, and the vfio_ap matrix driver with its
 * mediated devices.
 *
 * The AP bus (bus.c) and the matrix driver (matrix.c) call each other the way
 * the kernel's ap_bus and vfio_ap do (in_use, probe, remove), so their state
 * is declared together here. Nothing here locks: the caller holds the one
 * configuration lock around every call (DESIGN.md, principle 3).
 */
#ifndef APEMU_CORE_SYSTEM_H
#define APEMU_CORE_SYSTEM_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "machine.h"
#include "mask.h"
#include "parse.h"

/* Which kernel generation's ABI the system shows. */
enum ap_abi {
	AP_ABI_CUR = 0, /* today's kernel */
	AP_ABI_V8,	/* the seed series (v8), with the 4.20 errno values */
};

/* AP bus drivers. Cards bind only to cex4card, queues to cex4queue or vfio_ap. */
enum ap_driver {
	AP_DRV_NONE = 0,
	AP_DRV_CEX4CARD,
	AP_DRV_CEX4QUEUE,
	AP_DRV_VFIO_AP,
	AP_DRV_COUNT,
};

enum ap_log_level {
	AP_LOG_ERR = 3,
	AP_LOG_WARNING = 4,
	AP_LOG_NOTICE = 5,
	AP_LOG_INFO = 6,
	AP_LOG_DEBUG = 7,
};

struct ap_mdev;
struct ap_uevent;

/* kobject actions (include/linux/kobject.h), in the kernel's order. */
enum ap_uevent_action {
	AP_UEVENT_ADD = 0,
	AP_UEVENT_REMOVE,
	AP_UEVENT_CHANGE,
	AP_UEVENT_MOVE,
	AP_UEVENT_ONLINE,
	AP_UEVENT_OFFLINE,
	AP_UEVENT_BIND,
	AP_UEVENT_UNBIND,
	AP_UEVENT_ACTIONS,
};

/*
 * A queue's request counters (ap_queue.c's request_count, requestq_count,
 * pendingq_count; zcrypt's load). The adapters' threads own them, outside
 * the model: the core asks for them through ops.queue_counters.
 */
struct ap_queue_counters {
	uint64_t request_count;	 /* requests completed since the last write to request_count */
	uint32_t requestq_count; /* requests not started */
	uint32_t pendingq_count; /* the request being computed plus replies not dequeued */
	uint32_t load;		 /* requests the adapter has not completed */
};

/*
 * What the core tells its edges, and asks them. Every member may be NULL.
 * - log: a kernel message (dmesg), with the device it is about ("05.0047",
 *   a UUID, "ap"), already formatted.
 * - queue_reset: a queue was reset or zeroized (flush its requests).
 * - guest_update: an attached mdev's guest matrix changed: rewrite the
 *   guest's CRYCB from mdev->shadow_*.
 * - uevent: a uevent the kernel would send, complete with its sequence
 *   number (uevent.h); valid only during the call.
 * - queue_counters: a queue's counters as they are now (NULL: all zero).
 * - queue_count_reset: a write to request_count zeroes the queue's.
 * A reset (queue_reset) empties the queue, so its requestq_count,
 * pendingq_count and load read zero afterwards; request_count stays.
 */
struct ap_sys_ops {
	void (*log)(void *ctx, enum ap_log_level level, const char *dev, const char *msg);
	void (*queue_reset)(void *ctx, unsigned int apqn, bool zeroize);
	void (*guest_update)(void *ctx, struct ap_mdev *mdev);
	void (*uevent)(void *ctx, const struct ap_uevent *ev);
	void (*queue_counters)(void *ctx, unsigned int apqn, struct ap_queue_counters *ret);
	void (*queue_count_reset)(void *ctx, unsigned int apqn);
};

/* One AP card device (exists while the adapter is present). */
struct ap_card_dev {
	uint8_t driver; /* enum ap_driver: cex4card or none */
	bool online;	/* zcrypt's online flag (kept while unbound) */
};

/* One AP queue device: exists while its adapter is present and its domain is a usage domain. */
struct ap_queue_dev {
	uint8_t driver;	  /* enum ap_driver */
	bool online;	  /* zcrypt's online flag */
	bool irq;	  /* AQIC interrupts enabled */
	uint8_t reset_rc; /* vfio_ap: response code of the last reset */
	uint32_t
	    owner;    /* owner index: 1 + slot of the mdev whose matrix holds this APQN, 0: none */
	bool pending; /* during a scan: in the hardware, its device not added yet */
	uint32_t regseq;  /* when its device was added (the bus's list order) */
	uint32_t bindseq; /* when it was last bound (its driver's list order) */
};

struct ap_bus {
	struct ap_mask apmask;
	struct ap_mask aqmask;
	int ap_domain; /* default domain, -1: none */
	int config_time;
	bool poll_thread;
	unsigned long long poll_timeout;
	unsigned long long scans;
	/* drivers_autoprobe of the buses ap, matrix and mdev (enum ap_bus_id) */
	bool autoprobe[3];
	/* the bindings-complete uevent was sent since the last probe rearmed it */
	bool bindings_done;
	unsigned long long bindings_count; /* COMPLETECOUNT of the last one */
	uint32_t devseq;		   /* the last regseq or bindseq handed out */
	struct ap_card_dev card[AP_DEVICES];
	struct ap_queue_dev queue[AP_APQNS];
};

/* One mediated matrix device. */
struct ap_mdev {
	uint8_t uuid[AP_UUID_LEN];
	uint32_t slot; /* index in matrix.slots */
	uint64_t seq;  /* creation order */
	/* what the administrator assigned (matrix, control_domains, ap_config) */
	struct ap_mask apm, aqm, adm;
	/* what the guest gets (guest_matrix): the filtered shadow APCB */
	struct ap_mask shadow_apm, shadow_aqm, shadow_adm;
	/* attached guest: 0 none; set by open, cleared by release */
	uint64_t guest;
	bool remove_requested;
	bool bound; /* bound to vfio_ap_mdev (from creation until removal) */
};

struct ap_matrix {
	struct ap_mdev **slots; /* by slot; NULL for a free slot */
	uint32_t nslots;	/* slots in use or freed (high-water mark) */
	uint32_t cap;
	uint32_t *free_slots; /* stack of freed slots */
	uint32_t nfree;
	uint32_t count; /* live mdevs */
	uint32_t max_instances;
	uint64_t next_seq;
	/* UUID -> slot + 1, open addressing with linear probing */
	uint32_t *hash;
	uint32_t hash_cap; /* power of two */
};

struct ap_system {
	enum ap_abi abi;
	/*
	 * Goes up whenever a device, a driver binding or an mdev appears or
	 * goes: the names a sysfs tree shows depend on nothing else.
	 */
	uint64_t topology;
	struct ap_machine hw;
	struct ap_bus bus;
	struct ap_matrix matrix;
	unsigned long long uevent_seqnum; /* the last uevent's SEQNUM */
	/* the vfio_ap module is loaded: the matrix device, its bus and drivers exist */
	bool vfio_ap;
	bool matrix_bound; /* the matrix device is bound to its driver */
	struct ap_sys_ops ops;
	void *ops_ctx;
};

/*
 * Build a system: the machine as described, every card bound to cex4card,
 * every queue probed by the driver its reservation state calls for (cur: the
 * apmask/aqmask given; v8: cex4queue for all). apmask/aqmask NULL: all ones
 * (the kernel's default without ap.apmask/ap.aqmask). ap_domain: the default
 * domain, or -1 to let the bus pick the lowest usage domain.
 * max_instances: 0 means 65536. -ENOMEM.
 */
int ap_system_init(struct ap_system *s, enum ap_abi abi, const struct ap_machine *hw,
		   const struct ap_mask *apmask, const struct ap_mask *aqmask, int ap_domain,
		   uint32_t max_instances);
void ap_system_clear(struct ap_system *s);

/* Logging helper for the core: formats and hands the message to ops.log. */
void ap_log(const struct ap_system *s, enum ap_log_level level, const char *dev, const char *fmt,
	    ...) __attribute__((format(printf, 4, 5)));

static inline struct ap_queue_dev *ap_queue(struct ap_system *s, unsigned int apid,
					    unsigned int apqi)
{
	return &s->bus.queue[AP_APQN(apid, apqi)];
}

#endif
