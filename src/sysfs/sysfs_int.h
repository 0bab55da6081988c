/*
 * sysfs_int - what the FUSE plumbing (fs.c), the tree (tree.c) and the
 * attribute tables (attrs_*.c) share.
 *
 * A node of the tree is named by a small value (struct node) that packs into
 * the 64-bit FUSE inode number, so the tree needs no per-node memory: the
 * kind says which directory (or dynamic link) it is, the ids say which card,
 * queue, driver or mediated device it belongs to, and idx > 0 selects the
 * idx-th static entry (file, static link) of that directory.
 *
 * Every function here that takes a struct sysfs_ctx runs with the
 * configuration lock held (fs->lock) unless it says otherwise.
 */
#ifndef APEMU_SYSFS_INT_H
#define APEMU_SYSFS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "bus.h"
#include "matrix.h"
#include "sysfs.h"
#include "uevent.h"

/* One page: what a show may produce (minus the NUL) and a store may get. */
#define SYSFS_PAGE 4096

/* Node kinds: directories first, then links whose name is dynamic. */
enum sysfs_kind {
	K_NONE = 0,
	K_ROOT,
	K_BUS,
	K_DEVICES,
	K_CLASS,
	K_KERNEL,
	K_BUS_AP,
	K_BUS_AP_DEVICES,
	K_BUS_AP_DRIVERS,
	K_AP_DRV, /* apid holds the enum ap_driver */
	K_BUS_MATRIX,
	K_BUS_MATRIX_DEVICES,
	K_BUS_MATRIX_DRIVERS,
	K_MATRIX_DRV,
	K_BUS_MDEV,
	K_BUS_MDEV_DEVICES,
	K_BUS_MDEV_DRIVERS,
	K_MDEV_DRV,
	K_AP_ROOT, /* devices/ap */
	K_CARD,
	K_QUEUE,
	K_VFIO_ROOT, /* devices/vfio_ap */
	K_MATRIX,
	K_TYPES,
	K_TYPE,
	K_TYPE_DEVICES,
	K_MDEV,
	K_POWER_AP,
	K_POWER_CARD,
	K_POWER_QUEUE,
	K_POWER_VFIO,
	K_POWER_MATRIX,
	K_POWER_MDEV,
	K_CLASS_MDEV_BUS,
	K_IOMMU_GROUPS,
	K_GROUP, /* one per mdev; its number is the mdev's slot */
	K_GROUP_DEVICES,
	K_DIR_LAST = K_GROUP_DEVICES,
	/* links with a dynamic name */
	K_LNK_DEV,	 /* bus/ap/devices/<card or queue> */
	K_LNK_DRV_DEV,	 /* bus/ap/drivers/<drv>/<card or queue> */
	K_LNK_MDEV_BUS,	 /* bus/mdev/devices/<uuid> */
	K_LNK_MDEV_DRV,	 /* bus/mdev/drivers/vfio_ap_mdev/<uuid> */
	K_LNK_TYPE_DEV,	 /* .../vfio_ap-passthrough/devices/<uuid> */
	K_LNK_GROUP_DEV, /* kernel/iommu_groups/<n>/devices/<uuid> */
	K_COUNT,
};

/* The decoded inode number. Unused fields are zero. */
struct node {
	uint8_t kind;
	uint8_t idx;  /* 0: the node of the kind itself; n: static entry n-1 */
	uint8_t apid; /* K_AP_DRV: the driver */
	uint8_t apqi;
	uint8_t drv;   /* driver-keyed entries and K_LNK_DRV_DEV: enum ap_driver */
	bool isq;      /* K_LNK_DEV, K_LNK_DRV_DEV: a queue, not a card */
	uint32_t slot; /* mdev kinds */
	uint32_t seq;  /* mdev kinds: the mdev's creation number, truncated */
};

#define NODE_SLOT_BITS 20
#define NODE_SEQ_BITS  28
#define NODE_SEQ_MASK  ((1u << NODE_SEQ_BITS) - 1)

uint64_t sysfs_node_encode(const struct node *n);
/* false for a number that no node can have */
bool sysfs_node_decode(uint64_t ino, struct node *ret);
bool sysfs_kind_is_mdev(unsigned int kind);

struct apemu_sysfs;

/* The node an operation works on, resolved against the model. */
struct sysfs_ctx {
	struct apemu_sysfs *fs;
	struct ap_system *s;
	struct node n;		     /* for an entry: its directory's node with idx */
	struct ap_mdev *m;	     /* mdev kinds: the live mdev */
	const struct sysfs_entry *e; /* idx > 0: the entry */
};

enum sysfs_ent_type {
	ENT_FILE = 1,
	ENT_LINK,
	ENT_DIR,
};

/* Which ABI an entry exists in. */
enum {
	AV_ALL = 0,
	AV_CUR, /* today's kernel only */
	AV_V8,	/* the v8 ABI only */
};

/*
 * show: write the text into buf (SYSFS_PAGE bytes) and return its length,
 *   or a negative errno for the read.
 * store: the bytes of one write (NUL-terminated, len <= SYSFS_PAGE); 0 or
 *   a negative errno for the write.
 * target: the link's target as a path from the root of the tree.
 * visible: a condition besides the ABI (NULL: always there). Entries with
 *   a condition are dynamic: the kernel gets no cache time for them.
 */
struct sysfs_entry {
	const char *name;
	uint8_t type;
	uint8_t avail;
	uint16_t mode;	/* ENT_FILE: 0444, 0644 or 0200 */
	uint8_t child;	/* ENT_DIR: the kind of the directory */
	uint8_t param;	/* ENT_DIR: copied to the child's apid (driver dirs) */
	bool drv_keyed; /* the current driver is part of the inode number */
	bool (*visible)(const struct sysfs_ctx *c);
	int (*show)(struct sysfs_ctx *c, char *buf);
	int (*store)(struct sysfs_ctx *c, const char *buf, size_t len);
	void (*target)(const struct sysfs_ctx *c, char *buf, size_t size);
};

/* A child of a directory whose name comes from the model. */
struct dyn_child {
	char name[48];
	struct node n;
};

struct sysfs_dir {
	const struct sysfs_entry *ents;
	const unsigned int *nents;
	/*
	 * The first dynamic child whose ordinal is >= *ord: true and *ord set
	 * to its ordinal, or false. Ordinals are stable names for positions,
	 * so that a directory listing can resume from an offset.
	 */
	bool (*dyn_next)(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
	bool (*dyn_lookup)(const struct sysfs_ctx *c, const char *name, struct node *ret);
	/* number of dynamic children that are directories (for st_nlink) */
	unsigned int (*dyn_subdirs)(const struct sysfs_ctx *c);
};

/* The directory table (tree.c) and the entry tables (attrs_*.c). */
extern const struct sysfs_dir sysfs_dirs[K_DIR_LAST + 1];
extern const struct sysfs_entry sysfs_root_ents[], sysfs_bus_ents[], sysfs_devices_ents[],
    sysfs_class_ents[], sysfs_kernel_ents[], sysfs_bus_ap_ents[], sysfs_bus_ap_drivers_ents[],
    sysfs_ap_drv_ents[], sysfs_bus_matrix_ents[], sysfs_bus_matrix_devices_ents[],
    sysfs_bus_matrix_drivers_ents[], sysfs_matrix_drv_ents[], sysfs_bus_mdev_ents[],
    sysfs_bus_mdev_drivers_ents[], sysfs_mdev_drv_ents[], sysfs_ap_root_ents[], sysfs_card_ents[],
    sysfs_queue_ents[], sysfs_vfio_root_ents[], sysfs_matrix_ents[], sysfs_types_ents[],
    sysfs_type_ents[], sysfs_mdev_ents[], sysfs_class_mdev_bus_ents[], sysfs_group_ents[];
extern const unsigned int sysfs_root_nents, sysfs_bus_nents, sysfs_devices_nents, sysfs_class_nents,
    sysfs_kernel_nents, sysfs_bus_ap_nents, sysfs_bus_ap_drivers_nents, sysfs_ap_drv_nents,
    sysfs_bus_matrix_nents, sysfs_bus_matrix_devices_nents, sysfs_bus_matrix_drivers_nents,
    sysfs_matrix_drv_nents, sysfs_bus_mdev_nents, sysfs_bus_mdev_drivers_nents,
    sysfs_mdev_drv_nents, sysfs_ap_root_nents, sysfs_card_nents, sysfs_queue_nents,
    sysfs_vfio_root_nents, sysfs_matrix_nents, sysfs_types_nents, sysfs_type_nents,
    sysfs_mdev_nents, sysfs_class_mdev_bus_nents, sysfs_group_nents;

/* Dynamic children (dyn.c). */
bool sysfs_dyn_bus_ap_devices(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
bool sysfs_dyn_ap_drv(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
bool sysfs_dyn_cards(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
bool sysfs_dyn_queues(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
bool sysfs_dyn_mdev_list(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
bool sysfs_dyn_group_devices(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret);
bool sysfs_lookup_bus_ap_devices(const struct sysfs_ctx *c, const char *name, struct node *ret);
bool sysfs_lookup_ap_drv(const struct sysfs_ctx *c, const char *name, struct node *ret);
bool sysfs_lookup_cards(const struct sysfs_ctx *c, const char *name, struct node *ret);
bool sysfs_lookup_queues(const struct sysfs_ctx *c, const char *name, struct node *ret);
bool sysfs_lookup_mdev_list(const struct sysfs_ctx *c, const char *name, struct node *ret);
bool sysfs_lookup_group_devices(const struct sysfs_ctx *c, const char *name, struct node *ret);
unsigned int sysfs_count_cards(const struct sysfs_ctx *c);
unsigned int sysfs_count_queues(const struct sysfs_ctx *c);
unsigned int sysfs_count_mdevs(const struct sysfs_ctx *c);

/*
 * Tree operations (tree.c). sysfs_ctx_resolve fills c->m / c->e for c->n and
 * tells whether the node exists now; c->fs and c->s must be set.
 */
bool sysfs_ctx_resolve(struct sysfs_ctx *c);
/* Stat a resolved node; *ret_static: its attributes never change. */
void sysfs_node_stat(const struct sysfs_ctx *c, struct stat *st, bool *ret_static);
/* Is the name of a resolved node fixed for the life of the mount? */
bool sysfs_node_name_static(const struct sysfs_ctx *c);
/*
 * Look name up in the resolved node dir and resolve it into *ret (same fs
 * and system): 0, -ENOTDIR when dir is not a directory, -ENOENT when
 * nothing of that name exists now.
 */
int sysfs_tree_lookup_child(const struct sysfs_ctx *dir, const char *name, struct sysfs_ctx *ret);
/*
 * The first listed child of the resolved directory c at position >= pos
 * (see DIRPOS_*): its name and node, and its position in *ret_pos.
 */
bool sysfs_tree_next(const struct sysfs_ctx *c, uint64_t pos, struct dyn_child *ret,
		     uint64_t *ret_pos);
/* The parent directory of a resolved directory (the root is its own). */
void sysfs_node_parent(const struct sysfs_ctx *c, struct node *ret);
/* The target of a resolved link, relative to the link's directory. */
void sysfs_node_readlink(const struct sysfs_ctx *c, char *buf, size_t size);
bool sysfs_node_is_dir(const struct node *n);
bool sysfs_node_is_link(const struct sysfs_ctx *c);
/* The driver a card or queue node is bound to now (AP_DRV_NONE otherwise). */
unsigned int sysfs_node_driver(const struct sysfs_ctx *c);

/*
 * Directory listing positions: 1 ".", 2 "..", 3.. the static entries in
 * table order, and DIRPOS_DYN + 1 + ordinal for the dynamic children.
 */
#define DIRPOS_STATIC 3
#define DIRPOS_DYN    1024

/* The path from the root of the tree of the directory c names (an entry: its directory). */
void sysfs_path_of_dir(const struct sysfs_ctx *c, char *buf, size_t size);
/* The link text that leads from directory dir to target (sysfs style). */
void sysfs_path_relative(const char *dir, const char *target, char *buf, size_t size);

/*
 * Show helpers. sysfs_emit: printf into a page, capped at SYSFS_PAGE - 1 bytes;
 * sysfs_emit_at: the same from offset at on, returning the bytes added.
 */
int sysfs_emit(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sysfs_emit_at(char *buf, int at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Any uevent file: what it shows (dev_uevent) and a write (a synthetic uevent). */
int sysfs_show_uevent(struct sysfs_ctx *c, char *buf);
int sysfs_store_uevent(struct sysfs_ctx *c, const char *buf, size_t len);

/* Is vfio_ap loaded (the visible condition of its entries)? (tree.c) */
bool sysfs_vfio_ap_loaded(const struct sysfs_ctx *c);

/* The daemon's state the tree needs (session.c). */
const struct apemu_sysfs_hooks *sysfs_hooks(const struct apemu_sysfs *fs);

/* Entry table helpers. */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NENTS(t)      const unsigned int t##_nents = ARRAY_SIZE(t##_ents)
#define DIR(n, k)                                                                                  \
	{                                                                                          \
		.name = (n), .type = ENT_DIR, .child = (k)                                         \
	}
#define RO(n, fn, av)                                                                              \
	{                                                                                          \
		.name = (n), .type = ENT_FILE, .mode = 0444, .avail = (av), .show = (fn)           \
	}
#define RW(n, fs, fst, av)                                                                         \
	{                                                                                          \
		.name = (n), .type = ENT_FILE, .mode = 0644, .avail = (av), .show = (fs),          \
		.store = (fst)                                                                     \
	}
#define WO(n, fn)                                                                                  \
	{                                                                                          \
		.name = (n), .type = ENT_FILE, .mode = 0200, .store = (fn)                         \
	}
#define LNK(n, fn)                                                                                 \
	{                                                                                          \
		.name = (n), .type = ENT_LINK, .target = (fn)                                      \
	}
/* A directory or link that exists while vfio_ap is loaded. */
#define VDIR(n, k)                                                                                 \
	{                                                                                          \
		.name = (n), .type = ENT_DIR, .child = (k), .visible = sysfs_vfio_ap_loaded        \
	}
#define VLNK(n, fn)                                                                                \
	{                                                                                          \
		.name = (n), .type = ENT_LINK, .target = (fn), .visible = sysfs_vfio_ap_loaded     \
	}

#endif
