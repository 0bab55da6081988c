/*
 * dyn - the children of a directory that come and go with the model:
 * cards, queues, the device links of the AP bus and its drivers, mediated
 * devices and their links, IOMMU groups.
 *
 * Each child has an ordinal, a number that orders the listing and lets a
 * listing resume where it stopped (the directory offset holds it), so a
 * directory of 65,792 links is read in pieces without any saved state.
 * Names are parsed strictly: only the exact name the kernel would give
 * (lower-case hex, canonical UUID) resolves. Callers hold the lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs_int.h"

/* bus/ap/devices lists card XX (ordinal XX * 257) then its queues. */
#define DEV_ORDS_PER_CARD 257u

/* "cardXX" (apbus_parse_device_name()) */
static bool parse_card_name(const char *name, unsigned int *ret_apid)
{
	unsigned int apqi;

	return apbus_parse_device_name(name, strlen(name), ret_apid, &apqi) == AP_DEVNAME_CARD;
}

/* "XX.YYYY" with YYYY below 0x100 (apbus_parse_device_name()) */
static bool parse_queue_name(const char *name, unsigned int *ret_apid, unsigned int *ret_apqi)
{
	return apbus_parse_device_name(name, strlen(name), ret_apid, ret_apqi) == AP_DEVNAME_QUEUE;
}

static void dev_node(struct node *n, unsigned int kind, unsigned int apid, unsigned int apqi,
		     bool isq, unsigned int drv)
{
	memset(n, 0, sizeof(*n));
	n->kind = (uint8_t)kind;
	n->apid = (uint8_t)apid;
	n->apqi = (uint8_t)apqi;
	n->isq = isq;
	n->drv = (uint8_t)drv;
}

static void dev_name(char *buf, size_t size, bool isq, unsigned int apid, unsigned int apqi)
{
	if (isq)
		snprintf(buf, size, "%02x.%04x", apid, apqi);
	else
		snprintf(buf, size, "card%02x", apid);
}

/* ---- bus/ap/devices ---- */

bool sysfs_dyn_bus_ap_devices(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret)
{
	for (uint64_t o = *ord; o < AP_DEVICES * DEV_ORDS_PER_CARD; o++) {
		unsigned int apid = (unsigned int)(o / DEV_ORDS_PER_CARD);
		unsigned int sub = (unsigned int)(o % DEV_ORDS_PER_CARD);

		if (!apbus_card_exists(c->s, apid)) {
			o = (uint64_t)(apid + 1) * DEV_ORDS_PER_CARD - 1;
			continue;
		}
		if (sub && !apbus_queue_exists(c->s, apid, sub - 1))
			continue;
		dev_node(&ret->n, K_LNK_DEV, apid, sub ? sub - 1 : 0, sub != 0, 0);
		dev_name(ret->name, sizeof(ret->name), sub != 0, apid, sub ? sub - 1 : 0);
		*ord = o;
		return true;
	}
	return false;
}

bool sysfs_lookup_bus_ap_devices(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	unsigned int apid, apqi;

	if (parse_card_name(name, &apid) && apbus_card_exists(c->s, apid)) {
		dev_node(ret, K_LNK_DEV, apid, 0, false, 0);
		return true;
	}
	if (parse_queue_name(name, &apid, &apqi) && apbus_queue_exists(c->s, apid, apqi)) {
		dev_node(ret, K_LNK_DEV, apid, apqi, true, 0);
		return true;
	}
	return false;
}

/* ---- bus/ap/drivers/<drv>: one link per bound device ---- */

bool sysfs_dyn_ap_drv(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret)
{
	unsigned int drv = c->n.apid;
	bool cards = drv == AP_DRV_CEX4CARD;
	uint64_t end = cards ? AP_DEVICES : AP_APQNS;

	for (uint64_t o = *ord; o < end; o++) {
		unsigned int apid = cards ? (unsigned int)o : AP_APQN_APID(o);
		unsigned int apqi = cards ? 0 : AP_APQN_APQI(o);

		if (!apbus_card_exists(c->s, apid)) {
			if (!cards)
				o |= 0xff;
			continue;
		}
		if (cards && c->s->bus.card[apid].driver != drv)
			continue;
		if (!cards &&
		    (!apbus_queue_exists(c->s, apid, apqi) || c->s->bus.queue[o].driver != drv))
			continue;
		dev_node(&ret->n, K_LNK_DRV_DEV, apid, apqi, !cards, drv);
		dev_name(ret->name, sizeof(ret->name), !cards, apid, apqi);
		*ord = o;
		return true;
	}
	return false;
}

bool sysfs_lookup_ap_drv(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	unsigned int drv = c->n.apid, apid, apqi;

	if (drv == AP_DRV_CEX4CARD) {
		if (!parse_card_name(name, &apid) || !apbus_card_exists(c->s, apid) ||
		    c->s->bus.card[apid].driver != drv)
			return false;
		dev_node(ret, K_LNK_DRV_DEV, apid, 0, false, drv);
		return true;
	}
	if (!parse_queue_name(name, &apid, &apqi) || !apbus_queue_exists(c->s, apid, apqi) ||
	    c->s->bus.queue[AP_APQN(apid, apqi)].driver != drv)
		return false;
	dev_node(ret, K_LNK_DRV_DEV, apid, apqi, true, drv);
	return true;
}

/* ---- devices/ap/cardXX and devices/ap/cardXX/XX.YYYY ---- */

bool sysfs_dyn_cards(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret)
{
	for (uint64_t o = *ord; o < AP_DEVICES; o++) {
		if (!apbus_card_exists(c->s, (unsigned int)o))
			continue;
		dev_node(&ret->n, K_CARD, (unsigned int)o, 0, false, 0);
		dev_name(ret->name, sizeof(ret->name), false, (unsigned int)o, 0);
		*ord = o;
		return true;
	}
	return false;
}

bool sysfs_lookup_cards(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	unsigned int apid;

	if (!parse_card_name(name, &apid) || !apbus_card_exists(c->s, apid))
		return false;
	dev_node(ret, K_CARD, apid, 0, false, 0);
	return true;
}

unsigned int sysfs_count_cards(const struct sysfs_ctx *c)
{
	unsigned int n = 0;

	for (unsigned int a = 0; a < AP_DEVICES; a++)
		n += apbus_card_exists(c->s, a);
	return n;
}

bool sysfs_dyn_queues(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret)
{
	unsigned int apid = c->n.apid;

	for (uint64_t o = *ord; o < AP_DOMAINS; o++) {
		if (!apbus_queue_exists(c->s, apid, (unsigned int)o))
			continue;
		dev_node(&ret->n, K_QUEUE, apid, (unsigned int)o, false, 0);
		dev_name(ret->name, sizeof(ret->name), true, apid, (unsigned int)o);
		*ord = o;
		return true;
	}
	return false;
}

bool sysfs_lookup_queues(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	unsigned int apid, apqi;

	if (!parse_queue_name(name, &apid, &apqi) || apid != c->n.apid ||
	    !apbus_queue_exists(c->s, apid, apqi))
		return false;
	dev_node(ret, K_QUEUE, apid, apqi, false, 0);
	return true;
}

unsigned int sysfs_count_queues(const struct sysfs_ctx *c)
{
	unsigned int n = 0;

	for (unsigned int d = 0; d < AP_DOMAINS; d++)
		n += apbus_queue_exists(c->s, c->n.apid, d);
	return n;
}

/* ---- mediated devices ---- */

/* What a directory of mdev children holds: their kind. */
static unsigned int mdev_child_kind(unsigned int dir_kind)
{
	switch (dir_kind) {
	case K_MATRIX:
		return K_MDEV;
	case K_BUS_MDEV_DEVICES:
		return K_LNK_MDEV_BUS;
	case K_MDEV_DRV:
		return K_LNK_MDEV_DRV;
	case K_TYPE_DEVICES:
		return K_LNK_TYPE_DEV;
	default:
		return K_GROUP;
	}
}

static void mdev_child(const struct ap_mdev *m, unsigned int kind, struct dyn_child *ret)
{
	memset(&ret->n, 0, sizeof(ret->n));
	ret->n.kind = (uint8_t)kind;
	ret->n.slot = m->slot;
	ret->n.seq = (uint32_t)m->seq & NODE_SEQ_MASK;
	if (kind == K_GROUP)
		snprintf(ret->name, sizeof(ret->name), "%u", m->slot);
	else
		ap_uuid_format(m->uuid, ret->name);
}

/* Slots beyond what an inode number can hold are not shown. */
static uint32_t slot_limit(const struct sysfs_ctx *c)
{
	uint32_t n = c->s->matrix.nslots;

	return n < (1u << NODE_SLOT_BITS) ? n : (1u << NODE_SLOT_BITS);
}

bool sysfs_dyn_mdev_list(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret)
{
	uint32_t limit = slot_limit(c);

	for (uint64_t o = *ord; o < limit; o++) {
		const struct ap_mdev *m = matrix_slot(c->s, (uint32_t)o);

		if (!m)
			continue;
		mdev_child(m, mdev_child_kind(c->n.kind), ret);
		*ord = o;
		return true;
	}
	return false;
}

/* The mdev named by a canonical lower-case UUID. */
static const struct ap_mdev *mdev_by_name(const struct sysfs_ctx *c, const char *name)
{
	const struct ap_mdev *m = matrix_find_name(c->s, name);

	return m && m->slot < slot_limit(c) ? m : NULL;
}

bool sysfs_lookup_mdev_list(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	unsigned int kind = mdev_child_kind(c->n.kind);
	const struct ap_mdev *m = NULL;
	struct dyn_child child;

	if (kind == K_GROUP) {
		char *end;
		unsigned long slot;

		/* decimal without sign, blanks or leading zeros */
		if (name[0] < '0' || name[0] > '9' || (name[0] == '0' && name[1]))
			return false;
		slot = strtoul(name, &end, 10);
		if (*end || slot >= slot_limit(c))
			return false;
		m = matrix_slot(c->s, (uint32_t)slot);
	} else {
		m = mdev_by_name(c, name);
	}
	if (!m)
		return false;
	mdev_child(m, kind, &child);
	*ret = child.n;
	return true;
}

unsigned int sysfs_count_mdevs(const struct sysfs_ctx *c)
{
	uint32_t limit = slot_limit(c);
	unsigned int n = 0;

	for (uint32_t i = 0; i < limit; i++)
		n += matrix_slot(c->s, i) != NULL;
	return n;
}

/* kernel/iommu_groups/<n>/devices holds the one mdev of the group. */
bool sysfs_dyn_group_devices(const struct sysfs_ctx *c, uint64_t *ord, struct dyn_child *ret)
{
	if (*ord > 0)
		return false;
	mdev_child(c->m, K_LNK_GROUP_DEV, ret);
	return true;
}

bool sysfs_lookup_group_devices(const struct sysfs_ctx *c, const char *name, struct node *ret)
{
	struct dyn_child child;

	if (mdev_by_name(c, name) != c->m)
		return false;
	mdev_child(c->m, K_LNK_GROUP_DEV, &child);
	*ret = child.n;
	return true;
}
