/*
 * tree - the shape of the emulated sysfs tree: inode numbers, which nodes
 * exist now, names, listing order, parents, paths and link targets.
 *
 * Nothing is allocated per node: a node is its inode number (sysfs_int.h),
 * checked against the model on every use, so a 256 x 256 machine costs
 * nothing to mount and a vanished card or mdev simply stops resolving.
 * Callers hold the configuration lock.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs_int.h"

/* ---- inode numbers ---- */

/*
 * Bits 63-56 kind, 55-48 idx, 47-0 payload: for mdev kinds the slot and
 * the low bits of the mdev's creation number (a reused slot gives new
 * numbers), else apqi, apid, the queue flag and a driver. The root must be
 * FUSE's root id 1; any other node has a kind above 0 in the top byte.
 * Every other number (another kind, a bit no field uses) names no node.
 */
uint64_t sysfs_node_encode(const struct node *n)
{
	uint64_t p;

	if (n->kind == K_ROOT && !n->idx)
		return 1;
	if (sysfs_kind_is_mdev(n->kind))
		p = (uint64_t)n->slot | (uint64_t)(n->seq & NODE_SEQ_MASK) << NODE_SLOT_BITS;
	else
		p = (uint64_t)n->apqi | (uint64_t)n->apid << 8 | (uint64_t)n->isq << 16 |
		    (uint64_t)(n->drv & 0xf) << 20;
	return (uint64_t)n->kind << 56 | (uint64_t)n->idx << 48 | p;
}

bool sysfs_node_decode(uint64_t ino, struct node *ret)
{
	struct node n = {0};
	uint64_t p = ino & ((1ull << 48) - 1);

	if (ino == 1) {
		n.kind = K_ROOT;
		*ret = n;
		return true;
	}
	n.kind = (uint8_t)(ino >> 56);
	n.idx = (uint8_t)(ino >> 48);
	if (n.kind <= K_NONE || n.kind >= K_COUNT)
		return false;
	if (sysfs_kind_is_mdev(n.kind)) {
		n.slot = (uint32_t)(p & ((1u << NODE_SLOT_BITS) - 1));
		n.seq = (uint32_t)(p >> NODE_SLOT_BITS) & NODE_SEQ_MASK;
	} else {
		n.apqi = (uint8_t)p;
		n.apid = (uint8_t)(p >> 8);
		n.isq = (p >> 16) & 1;
		n.drv = (uint8_t)((p >> 20) & 0xf);
	}
	/* one number per node: bits no field uses would make aliases */
	if (sysfs_node_encode(&n) != ino)
		return false;
	*ret = n;
	return true;
}

bool sysfs_kind_is_mdev(unsigned int kind)
{
	switch (kind) {
	case K_MDEV:
	case K_POWER_MDEV:
	case K_GROUP:
	case K_GROUP_DEVICES:
	case K_LNK_MDEV_BUS:
	case K_LNK_MDEV_DRV:
	case K_LNK_TYPE_DEV:
	case K_LNK_GROUP_DEV:
		return true;
	default:
		return false;
	}
}

/* ---- the directory table ---- */

const struct sysfs_dir sysfs_dirs[K_DIR_LAST + 1] = {
    [K_ROOT] = {sysfs_root_ents, &sysfs_root_nents},
    [K_BUS] = {sysfs_bus_ents, &sysfs_bus_nents},
    [K_DEVICES] = {sysfs_devices_ents, &sysfs_devices_nents},
    [K_CLASS] = {sysfs_class_ents, &sysfs_class_nents},
    [K_KERNEL] = {sysfs_kernel_ents, &sysfs_kernel_nents},
    [K_BUS_AP] = {sysfs_bus_ap_ents, &sysfs_bus_ap_nents},
    [K_BUS_AP_DEVICES] = {NULL, NULL, sysfs_dyn_bus_ap_devices, sysfs_lookup_bus_ap_devices},
    [K_BUS_AP_DRIVERS] = {sysfs_bus_ap_drivers_ents, &sysfs_bus_ap_drivers_nents},
    [K_AP_DRV] = {sysfs_ap_drv_ents, &sysfs_ap_drv_nents, sysfs_dyn_ap_drv, sysfs_lookup_ap_drv},
    [K_BUS_MATRIX] = {sysfs_bus_matrix_ents, &sysfs_bus_matrix_nents},
    [K_BUS_MATRIX_DEVICES] = {sysfs_bus_matrix_devices_ents, &sysfs_bus_matrix_devices_nents},
    [K_BUS_MATRIX_DRIVERS] = {sysfs_bus_matrix_drivers_ents, &sysfs_bus_matrix_drivers_nents},
    [K_MATRIX_DRV] = {sysfs_matrix_drv_ents, &sysfs_matrix_drv_nents},
    [K_BUS_MDEV] = {sysfs_bus_mdev_ents, &sysfs_bus_mdev_nents},
    [K_BUS_MDEV_DEVICES] = {NULL, NULL, sysfs_dyn_mdev_list, sysfs_lookup_mdev_list},
    [K_BUS_MDEV_DRIVERS] = {sysfs_bus_mdev_drivers_ents, &sysfs_bus_mdev_drivers_nents},
    [K_MDEV_DRV] = {sysfs_mdev_drv_ents, &sysfs_mdev_drv_nents, sysfs_dyn_mdev_list,
		    sysfs_lookup_mdev_list},
    [K_AP_ROOT] = {sysfs_ap_root_ents, &sysfs_ap_root_nents, sysfs_dyn_cards, sysfs_lookup_cards,
		   sysfs_count_cards},
    [K_CARD] = {sysfs_card_ents, &sysfs_card_nents, sysfs_dyn_queues, sysfs_lookup_queues,
		sysfs_count_queues},
    [K_QUEUE] = {sysfs_queue_ents, &sysfs_queue_nents},
    [K_VFIO_ROOT] = {sysfs_vfio_root_ents, &sysfs_vfio_root_nents},
    [K_MATRIX] = {sysfs_matrix_ents, &sysfs_matrix_nents, sysfs_dyn_mdev_list,
		  sysfs_lookup_mdev_list, sysfs_count_mdevs},
    [K_TYPES] = {sysfs_types_ents, &sysfs_types_nents},
    [K_TYPE] = {sysfs_type_ents, &sysfs_type_nents},
    [K_TYPE_DEVICES] = {NULL, NULL, sysfs_dyn_mdev_list, sysfs_lookup_mdev_list},
    [K_MDEV] = {sysfs_mdev_ents, &sysfs_mdev_nents},
    [K_POWER_AP] = {NULL, NULL},
    [K_POWER_CARD] = {NULL, NULL},
    [K_POWER_QUEUE] = {NULL, NULL},
    [K_POWER_VFIO] = {NULL, NULL},
    [K_POWER_MATRIX] = {NULL, NULL},
    [K_POWER_MDEV] = {NULL, NULL},
    [K_CLASS_MDEV_BUS] = {sysfs_class_mdev_bus_ents, &sysfs_class_mdev_bus_nents},
    [K_IOMMU_GROUPS] = {NULL, NULL, sysfs_dyn_mdev_list, sysfs_lookup_mdev_list, sysfs_count_mdevs},
    [K_GROUP] = {sysfs_group_ents, &sysfs_group_nents},
    [K_GROUP_DEVICES] = {NULL, NULL, sysfs_dyn_group_devices, sysfs_lookup_group_devices},
};

static unsigned int dir_nents(unsigned int kind)
{
	const unsigned int *n = sysfs_dirs[kind].nents;

	return n ? *n : 0;
}

bool sysfs_node_is_dir(const struct node *n)
{
	return !n->idx && n->kind >= K_ROOT && n->kind <= K_DIR_LAST;
}

bool sysfs_node_is_link(const struct sysfs_ctx *c)
{
	if (c->e)
		return c->e->type == ENT_LINK;
	return c->n.kind > K_DIR_LAST;
}

/* ---- existence ---- */

unsigned int sysfs_node_driver(const struct sysfs_ctx *c)
{
	if (c->n.kind == K_CARD)
		return c->s->bus.card[c->n.apid].driver;
	if (c->n.kind == K_QUEUE)
		return c->s->bus.queue[AP_APQN(c->n.apid, c->n.apqi)].driver;
	return AP_DRV_NONE;
}

static struct ap_mdev *live_mdev(const struct sysfs_ctx *c)
{
	struct ap_mdev *m;

	if (c->n.slot >= c->s->matrix.nslots)
		return NULL;
	m = matrix_slot(c->s, c->n.slot);
	if (!m || ((uint32_t)m->seq & NODE_SEQ_MASK) != c->n.seq)
		return NULL;
	return m;
}

static bool dev_link_exists(const struct sysfs_ctx *c)
{
	const struct node *n = &c->n;

	if (!n->isq)
		return apbus_card_exists(c->s, n->apid) && n->apqi == 0;
	return apbus_queue_exists(c->s, n->apid, n->apqi);
}

/* Nodes that exist only while the vfio_ap module is loaded. */
static bool kind_of_vfio_ap(const struct node *n)
{
	switch (n->kind) {
	case K_VFIO_ROOT:
	case K_MATRIX:
	case K_TYPES:
	case K_TYPE:
	case K_TYPE_DEVICES:
	case K_POWER_VFIO:
	case K_POWER_MATRIX:
	case K_BUS_MATRIX:
	case K_BUS_MATRIX_DEVICES:
	case K_BUS_MATRIX_DRIVERS:
	case K_MATRIX_DRV:
	case K_MDEV_DRV:
		return true;
	case K_AP_DRV:
		return n->apid == AP_DRV_VFIO_AP;
	default:
		return false;
	}
}

bool sysfs_vfio_ap_loaded(const struct sysfs_ctx *c)
{
	return c->s->vfio_ap;
}

/* Does the node of the kind itself (idx 0) exist? */
static bool kind_node_exists(struct sysfs_ctx *c)
{
	const struct node *n = &c->n;

	if (kind_of_vfio_ap(n) && !c->s->vfio_ap)
		return false;
	if (sysfs_kind_is_mdev(n->kind)) {
		c->m = live_mdev(c);
		return c->m != NULL;
	}
	switch (n->kind) {
	case K_AP_DRV:
		return n->apid > AP_DRV_NONE && n->apid < AP_DRV_COUNT;
	case K_CARD:
	case K_POWER_CARD:
		return apbus_card_exists(c->s, n->apid);
	case K_QUEUE:
	case K_POWER_QUEUE:
		return apbus_queue_exists(c->s, n->apid, n->apqi);
	case K_LNK_DEV:
		return dev_link_exists(c);
	case K_LNK_DRV_DEV:
		if (!dev_link_exists(c) || (n->drv == AP_DRV_CEX4CARD) == n->isq)
			return false;
		if (!n->isq)
			return c->s->bus.card[n->apid].driver == n->drv;
		return c->s->bus.queue[AP_APQN(n->apid, n->apqi)].driver == n->drv;
	default:
		return n->kind > K_NONE && n->kind < K_COUNT;
	}
}

static bool entry_visible(const struct sysfs_ctx *c, const struct sysfs_entry *e)
{
	if (e->avail == AV_CUR && c->s->abi != AP_ABI_CUR)
		return false;
	if (e->avail == AV_V8 && c->s->abi != AP_ABI_V8)
		return false;
	return !e->visible || e->visible(c);
}

bool sysfs_ctx_resolve(struct sysfs_ctx *c)
{
	const struct sysfs_entry *e;
	unsigned int idx = c->n.idx;

	c->m = NULL;
	c->e = NULL;
	if (!kind_node_exists(c))
		return false;
	if (!idx)
		return true;
	if (c->n.kind > K_DIR_LAST || idx > dir_nents(c->n.kind))
		return false;
	e = &sysfs_dirs[c->n.kind].ents[idx - 1];
	if (e->type == ENT_DIR || !entry_visible(c, e))
		return false;
	if (e->drv_keyed && c->n.drv != sysfs_node_driver(c))
		return false;
	c->e = e;
	return true;
}

/* ---- stat ---- */

static unsigned int static_subdirs(const struct sysfs_ctx *c)
{
	unsigned int i, count = 0, n = dir_nents(c->n.kind);

	for (i = 0; i < n; i++) {
		const struct sysfs_entry *e = &sysfs_dirs[c->n.kind].ents[i];

		if (e->type == ENT_DIR && entry_visible(c, e))
			count++;
	}
	return count;
}

void sysfs_node_stat(const struct sysfs_ctx *c, struct stat *st, bool *ret_static)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = sysfs_node_encode(&c->n);
	st->st_nlink = 1;
	st->st_blksize = SYSFS_PAGE;
	*ret_static = true;
	if (c->e && c->e->type == ENT_FILE) {
		st->st_mode = S_IFREG | c->e->mode;
		st->st_size = SYSFS_PAGE;
	} else if (sysfs_node_is_link(c)) {
		st->st_mode = S_IFLNK | 0777;
	} else {
		const struct sysfs_dir *d = &sysfs_dirs[c->n.kind];

		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2 + static_subdirs(c);
		if (d->dyn_subdirs) {
			st->st_nlink += d->dyn_subdirs(c);
			*ret_static = false;
		}
	}
}

bool sysfs_node_name_static(const struct sysfs_ctx *c)
{
	if (c->e)
		return !c->e->visible && !c->e->drv_keyed;
	if (kind_of_vfio_ap(&c->n))
		return false; /* the module may go */
	switch (c->n.kind) {
	case K_CARD:
	case K_QUEUE:
	case K_MDEV:
	case K_GROUP:
		return false;
	default:
		return c->n.kind <= K_DIR_LAST;
	}
}

/* ---- lookup ---- */

/* Look a directory's static entries up by name (first visible match). */
static const struct sysfs_entry *tree_find_entry(const struct sysfs_ctx *c, const char *name,
						 unsigned int *ret_idx)
{
	unsigned int i, n = dir_nents(c->n.kind);

	for (i = 0; i < n; i++) {
		const struct sysfs_entry *e = &sysfs_dirs[c->n.kind].ents[i];

		if (!strcmp(e->name, name) && entry_visible(c, e)) {
			*ret_idx = i;
			return e;
		}
	}
	return NULL;
}

/* The node of static entry i of the directory c. */
static void entry_node(const struct sysfs_ctx *c, unsigned int i, struct node *ret)
{
	const struct sysfs_entry *e = &sysfs_dirs[c->n.kind].ents[i];

	*ret = c->n;
	if (e->type == ENT_DIR) {
		ret->kind = e->child;
		ret->idx = 0;
		if (e->child == K_AP_DRV)
			ret->apid = e->param;
		return;
	}
	ret->idx = (uint8_t)(i + 1);
	ret->drv = e->drv_keyed ? (uint8_t)sysfs_node_driver(c) : 0;
}

/* Look a name up in the resolved directory c. */
static bool tree_lookup(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	const struct sysfs_dir *d = &sysfs_dirs[c->n.kind];
	unsigned int i;

	if (tree_find_entry(c, name, &i)) {
		entry_node(c, i, ret);
		return true;
	}
	return d->dyn_lookup && d->dyn_lookup(c, name, ret);
}

int sysfs_tree_lookup_child(const struct sysfs_ctx *dir, const char *name, struct sysfs_ctx *ret)
{
	if (!sysfs_node_is_dir(&dir->n))
		return -ENOTDIR;
	*ret = *dir;
	if (!tree_lookup(dir, name, &ret->n) || !sysfs_ctx_resolve(ret))
		return -ENOENT;
	return 0;
}

bool sysfs_tree_next(const struct sysfs_ctx *c, uint64_t pos, struct dyn_child *ret,
		     uint64_t *ret_pos)
{
	const struct sysfs_dir *d = &sysfs_dirs[c->n.kind];
	unsigned int n = dir_nents(c->n.kind);
	uint64_t ord;

	for (; pos < DIRPOS_STATIC + n; pos++) {
		const struct sysfs_entry *e;

		if (pos < DIRPOS_STATIC)
			continue;
		e = &d->ents[pos - DIRPOS_STATIC];
		if (!entry_visible(c, e))
			continue;
		snprintf(ret->name, sizeof(ret->name), "%s", e->name);
		entry_node(c, (unsigned int)(pos - DIRPOS_STATIC), &ret->n);
		*ret_pos = pos;
		return true;
	}
	if (!d->dyn_next)
		return false;
	ord = pos > DIRPOS_DYN ? pos - DIRPOS_DYN - 1 : 0;
	if (!d->dyn_next(c, &ord, ret))
		return false;
	*ret_pos = DIRPOS_DYN + 1 + ord;
	return true;
}

/* ---- parents ---- */

void sysfs_node_parent(const struct sysfs_ctx *c, struct node *ret)
{
	static const uint8_t parent_of[K_DIR_LAST + 1] = {
	    [K_ROOT] = K_ROOT,
	    [K_BUS] = K_ROOT,
	    [K_DEVICES] = K_ROOT,
	    [K_CLASS] = K_ROOT,
	    [K_KERNEL] = K_ROOT,
	    [K_BUS_AP] = K_BUS,
	    [K_BUS_AP_DEVICES] = K_BUS_AP,
	    [K_BUS_AP_DRIVERS] = K_BUS_AP,
	    [K_AP_DRV] = K_BUS_AP_DRIVERS,
	    [K_BUS_MATRIX] = K_BUS,
	    [K_BUS_MATRIX_DEVICES] = K_BUS_MATRIX,
	    [K_BUS_MATRIX_DRIVERS] = K_BUS_MATRIX,
	    [K_MATRIX_DRV] = K_BUS_MATRIX_DRIVERS,
	    [K_BUS_MDEV] = K_BUS,
	    [K_BUS_MDEV_DEVICES] = K_BUS_MDEV,
	    [K_BUS_MDEV_DRIVERS] = K_BUS_MDEV,
	    [K_MDEV_DRV] = K_BUS_MDEV_DRIVERS,
	    [K_AP_ROOT] = K_DEVICES,
	    [K_CARD] = K_AP_ROOT,
	    [K_QUEUE] = K_CARD,
	    [K_VFIO_ROOT] = K_DEVICES,
	    [K_MATRIX] = K_VFIO_ROOT,
	    [K_TYPES] = K_MATRIX,
	    [K_TYPE] = K_TYPES,
	    [K_TYPE_DEVICES] = K_TYPE,
	    [K_MDEV] = K_MATRIX,
	    [K_POWER_AP] = K_AP_ROOT,
	    [K_POWER_CARD] = K_CARD,
	    [K_POWER_QUEUE] = K_QUEUE,
	    [K_POWER_VFIO] = K_VFIO_ROOT,
	    [K_POWER_MATRIX] = K_MATRIX,
	    [K_POWER_MDEV] = K_MDEV,
	    [K_CLASS_MDEV_BUS] = K_CLASS,
	    [K_IOMMU_GROUPS] = K_KERNEL,
	    [K_GROUP] = K_IOMMU_GROUPS,
	    [K_GROUP_DEVICES] = K_GROUP,
	};
	unsigned int p = c->n.kind <= K_DIR_LAST ? parent_of[c->n.kind] : K_ROOT;

	memset(ret, 0, sizeof(*ret));
	ret->kind = (uint8_t)(p ? p : K_ROOT);
	if (ret->kind == K_CARD || ret->kind == K_QUEUE) {
		ret->apid = c->n.apid;
		ret->apqi = ret->kind == K_QUEUE ? c->n.apqi : 0;
	} else if (sysfs_kind_is_mdev(ret->kind)) {
		ret->slot = c->n.slot;
		ret->seq = c->n.seq;
	}
}

/* ---- paths and links ---- */

/* Paths from the root of the tree. */
static void path_card(char *buf, size_t size, unsigned int apid)
{
	snprintf(buf, size, "devices/ap/card%02x", apid);
}

static void path_queue(char *buf, size_t size, unsigned int apid, unsigned int apqi)
{
	snprintf(buf, size, "devices/ap/card%02x/%02x.%04x", apid, apid, apqi);
}

static void path_mdev(char *buf, size_t size, const struct ap_mdev *m)
{
	char uuid[AP_UUID_STR_LEN + 1];

	ap_uuid_format(m->uuid, uuid);
	snprintf(buf, size, "devices/vfio_ap/matrix/%s", uuid);
}

static const char *const fixed_dir_path[K_DIR_LAST + 1] = {
    [K_ROOT] = "",
    [K_BUS] = "bus",
    [K_DEVICES] = "devices",
    [K_CLASS] = "class",
    [K_KERNEL] = "kernel",
    [K_BUS_AP] = "bus/ap",
    [K_BUS_AP_DEVICES] = "bus/ap/devices",
    [K_BUS_AP_DRIVERS] = "bus/ap/drivers",
    [K_BUS_MATRIX] = "bus/matrix",
    [K_BUS_MATRIX_DEVICES] = "bus/matrix/devices",
    [K_BUS_MATRIX_DRIVERS] = "bus/matrix/drivers",
    [K_MATRIX_DRV] = "bus/matrix/drivers/vfio_ap",
    [K_BUS_MDEV] = "bus/mdev",
    [K_BUS_MDEV_DEVICES] = "bus/mdev/devices",
    [K_BUS_MDEV_DRIVERS] = "bus/mdev/drivers",
    [K_MDEV_DRV] = "bus/mdev/drivers/vfio_ap_mdev",
    [K_AP_ROOT] = "devices/ap",
    [K_VFIO_ROOT] = "devices/vfio_ap",
    [K_MATRIX] = "devices/vfio_ap/matrix",
    [K_TYPES] = "devices/vfio_ap/matrix/mdev_supported_types",
    [K_TYPE] = "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough",
    [K_TYPE_DEVICES] = "devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/devices",
    [K_POWER_AP] = "devices/ap/power",
    [K_POWER_VFIO] = "devices/vfio_ap/power",
    [K_POWER_MATRIX] = "devices/vfio_ap/matrix/power",
    [K_CLASS_MDEV_BUS] = "class/mdev_bus",
    [K_IOMMU_GROUPS] = "kernel/iommu_groups",
};

/* The path of the directory that c names (an entry: its directory). */
void sysfs_path_of_dir(const struct sysfs_ctx *c, char *buf, size_t size)
{
	const struct node *n = &c->n;
	char tmp[128];

	switch (n->kind) {
	case K_AP_DRV:
		snprintf(buf, size, "bus/ap/drivers/%s", apbus_driver_name(n->apid));
		return;
	case K_CARD:
	case K_POWER_CARD:
		path_card(tmp, sizeof(tmp), n->apid);
		break;
	case K_QUEUE:
	case K_POWER_QUEUE:
		path_queue(tmp, sizeof(tmp), n->apid, n->apqi);
		break;
	case K_MDEV:
	case K_POWER_MDEV:
		path_mdev(tmp, sizeof(tmp), c->m);
		break;
	case K_GROUP:
	case K_GROUP_DEVICES:
		snprintf(tmp, sizeof(tmp), "kernel/iommu_groups/%u", n->slot);
		break;
	default:
		snprintf(buf, size, "%s", n->kind <= K_DIR_LAST ? fixed_dir_path[n->kind] : "");
		return;
	}
	if (n->kind == K_POWER_CARD || n->kind == K_POWER_QUEUE || n->kind == K_POWER_MDEV)
		snprintf(buf, size, "%s/power", tmp);
	else if (n->kind == K_GROUP_DEVICES)
		snprintf(buf, size, "%s/devices", tmp);
	else
		snprintf(buf, size, "%s", tmp);
}

/*
 * sysfs writes a link as the way up from the link's directory to the
 * deepest directory it shares with the target, then down to the target.
 */
void sysfs_path_relative(const char *dir, const char *target, char *buf, size_t size)
{
	size_t len = 0;

	while (*dir && *target) {
		size_t dl = strcspn(dir, "/"), tl = strcspn(target, "/");

		if (dl != tl || memcmp(dir, target, dl))
			break;
		dir += dl + (dir[dl] == '/');
		target += tl + (target[tl] == '/');
	}
	buf[0] = '\0';
	while (*dir && len + 4 < size) {
		size_t dl = strcspn(dir, "/");

		memcpy(buf + len, "../", 4);
		len += 3;
		dir += dl + (dir[dl] == '/');
	}
	snprintf(buf + len, size - len, "%s", target);
}

static void dyn_link_paths(const struct sysfs_ctx *c, char *dir, char *tgt, size_t size)
{
	const struct node *n = &c->n;

	switch (n->kind) {
	case K_LNK_DEV:
	case K_LNK_DRV_DEV:
		if (n->kind == K_LNK_DEV)
			snprintf(dir, size, "bus/ap/devices");
		else
			snprintf(dir, size, "bus/ap/drivers/%s", apbus_driver_name(n->drv));
		if (n->isq)
			path_queue(tgt, size, n->apid, n->apqi);
		else
			path_card(tgt, size, n->apid);
		return;
	case K_LNK_MDEV_BUS:
		snprintf(dir, size, "bus/mdev/devices");
		break;
	case K_LNK_MDEV_DRV:
		snprintf(dir, size, "bus/mdev/drivers/vfio_ap_mdev");
		break;
	case K_LNK_TYPE_DEV:
		snprintf(dir, size, "%s", fixed_dir_path[K_TYPE_DEVICES]);
		break;
	default:
		snprintf(dir, size, "kernel/iommu_groups/%u/devices", n->slot);
		break;
	}
	path_mdev(tgt, size, c->m);
}

void sysfs_node_readlink(const struct sysfs_ctx *c, char *buf, size_t size)
{
	char dir[192], tgt[192];

	if (c->e) {
		sysfs_path_of_dir(c, dir, sizeof(dir));
		c->e->target(c, tgt, sizeof(tgt));
	} else {
		dyn_link_paths(c, dir, tgt, sizeof(dir));
	}
	sysfs_path_relative(dir, tgt, buf, size);
}

/* ---- show helpers ---- */

int sysfs_emit(char *buf, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, SYSFS_PAGE, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EIO;
	return n < SYSFS_PAGE ? n : SYSFS_PAGE - 1;
}

int sysfs_emit_at(char *buf, int at, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (at < 0 || at >= SYSFS_PAGE - 1)
		return 0;
	va_start(ap, fmt);
	n = vsnprintf(buf + at, (size_t)(SYSFS_PAGE - at), fmt, ap);
	va_end(ap);
	if (n < 0)
		return 0;
	return n < SYSFS_PAGE - at ? n : SYSFS_PAGE - 1 - at;
}
