/*
 * tree_test - the shape of the emulated tree (tree.c, dyn.c) without FUSE.
 *
 * Invariants:
 * - every node has exactly one inode number: sysfs_node_decode(sysfs_node_encode(n))
 *   gives n back for every kind and every valid field value, and a number
 *   no node can have (kind 0 or beyond the last, bits no field uses) is
 *   refused;
 * - a number resolves only while its node exists: a card or queue that is
 *   not there, an mdev slot reused by a newer mdev, a driver link or
 *   driver-keyed file of a driver the device left, an entry of the other
 *   ABI, an index past a directory's table, all give "no such node";
 * - the paths of the real tree resolve to the nodes the kernel has there,
 *   names are parsed strictly (lower-case hex, canonical UUIDs), and any
 *   other name gives ENOENT (ENOTDIR below a file);
 * - links read as the kernel writes them (relative, up to the common
 *   directory), and every link of the tree leads to a node that exists;
 * - listing and lookup agree: each listed child is found by its name with
 *   the same number, each directory's ".." is the directory above it and
 *   sysfs_path_of_dir() names the path it was reached by.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysfs_testfix.h"
#include "vfio_module.h"

#define UUID1 "62177883-f1bb-47f0-914d-32a22e3a8804"
#define UUID2 "b7e8f0a6-2d3c-4b47-8e1c-6a7e2c9d1f35"
#define TYPE  "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough"

/* ---- inode numbers ---- */

static void assert_node_equal(const struct node *a, const struct node *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->idx, b->idx);
	assert_int_equal(a->apid, b->apid);
	assert_int_equal(a->apqi, b->apqi);
	assert_int_equal(a->drv, b->drv);
	assert_int_equal(a->isq, b->isq);
	assert_int_equal(a->slot, b->slot);
	assert_int_equal(a->seq, b->seq);
}

static void assert_round_trip(const struct node *n)
{
	uint64_t ino = sysfs_node_encode(n);
	struct node back;

	/* 0 is no inode, 1 is FUSE's root: nobody else may have them */
	assert_true(ino > 1 || (ino == 1 && n->kind == K_ROOT && !n->idx));
	assert_true(sysfs_node_decode(ino, &back));
	assert_node_equal(&back, n);
}

static void test_encode_decode_round_trips_device_kinds(void **state)
{
	static const unsigned int idxs[] = {0, 1, 2, 0x7f, 0x80, 0xff};
	static const unsigned int apqis[] = {0, 1, 0x47, 0x80, 0xff};

	(void)state;
	for (unsigned int kind = K_ROOT; kind < K_COUNT; kind++) {
		if (sysfs_kind_is_mdev(kind))
			continue;
		for (size_t i = 0; i < sizeof(idxs) / sizeof(idxs[0]); i++) {
			for (unsigned int apid = 0; apid < 256; apid++) {
				for (size_t q = 0; q < sizeof(apqis) / sizeof(apqis[0]); q++) {
					/* every driver number (4 bits), card and queue */
					for (unsigned int bits = 0; bits < 32; bits++) {
						struct node n = {
						    .kind = (uint8_t)kind,
						    .idx = (uint8_t)idxs[i],
						    .apid = (uint8_t)apid,
						    .apqi = (uint8_t)apqis[q],
						    .drv = (uint8_t)(bits & 0xf),
						    .isq = bits >> 4,
						};

						if (kind == K_ROOT && !n.idx)
							n = (struct node){.kind = K_ROOT};
						assert_round_trip(&n);
					}
				}
			}
		}
	}
	/* every domain, for one kind of each shape */
	for (unsigned int apqi = 0; apqi < 256; apqi++) {
		assert_round_trip(
		    &(struct node){.kind = K_QUEUE, .apid = 0xff, .apqi = (uint8_t)apqi});
		assert_round_trip(&(struct node){.kind = K_LNK_DRV_DEV,
						 .apid = 0x05,
						 .apqi = (uint8_t)apqi,
						 .isq = true,
						 .drv = AP_DRV_VFIO_AP});
	}
}

static void test_encode_decode_round_trips_mdev_kinds(void **state)
{
	static const uint32_t slots[] = {0, 1, 2, 0x3ff, 0x12345, (1u << NODE_SLOT_BITS) - 1};
	static const uint32_t seqs[] = {0, 1, 2, 0xabcdef, NODE_SEQ_MASK - 1, NODE_SEQ_MASK};

	(void)state;
	for (unsigned int kind = K_ROOT; kind < K_COUNT; kind++) {
		if (!sysfs_kind_is_mdev(kind))
			continue;
		for (unsigned int idx = 0; idx < 256; idx++)
			for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++)
				for (size_t j = 0; j < sizeof(seqs) / sizeof(seqs[0]); j++) {
					struct node n = {.kind = (uint8_t)kind,
							 .idx = (uint8_t)idx,
							 .slot = slots[i],
							 .seq = seqs[j]};

					assert_round_trip(&n);
				}
	}
}

/* The mdev kinds are the ones whose nodes name an mdev, and only those. */
static void test_mdev_kinds_are_the_mdev_nodes(void **state)
{
	static const uint8_t mdev_kinds[] = {K_MDEV,	      K_POWER_MDEV,   K_GROUP,
					     K_GROUP_DEVICES, K_LNK_MDEV_BUS, K_LNK_MDEV_DRV,
					     K_LNK_TYPE_DEV,  K_LNK_GROUP_DEV};
	unsigned int count = 0;

	(void)state;
	for (unsigned int kind = 0; kind < 256; kind++)
		count += sysfs_kind_is_mdev(kind);
	assert_int_equal(count, sizeof(mdev_kinds));
	for (size_t i = 0; i < sizeof(mdev_kinds); i++)
		assert_true(sysfs_kind_is_mdev(mdev_kinds[i]));
}

static void test_decode_rejects_numbers_of_no_kind(void **state)
{
	const uint64_t bad[] = {
	    0,
	    2,
	    (uint64_t)K_NONE << 56 | 0x0547,
	    (uint64_t)K_NONE << 56 | 1ull << 48,
	    (uint64_t)K_COUNT << 56,
	    (uint64_t)K_COUNT << 56 | 1,
	    (uint64_t)0xff << 56,
	    UINT64_MAX,
	};
	struct node n = {.kind = 0x5a, .slot = 0x5a5a};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(sysfs_node_decode(bad[i], &n));
		assert_int_equal(n.kind, 0x5a); /* untouched */
		assert_int_equal(n.slot, 0x5a5a);
	}
}

/* Only sysfs_node_encode's own numbers decode: no two numbers name one node. */
static void test_decode_rejects_unused_bits(void **state)
{
	const uint64_t card05 = sysfs_node_encode(&(struct node){.kind = K_CARD, .apid = 0x05});
	const uint64_t bad[] = {
	    card05 | 1ull << 17, card05 | 1ull << 19,	 card05 | 1ull << 24,
	    card05 | 1ull << 47, (uint64_t)K_ROOT << 56, /* the root is 1, nothing else */
	};
	struct node n;

	(void)state;
	assert_true(sysfs_node_decode(card05, &n));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(sysfs_node_decode(bad[i], &n));
	/* each payload bit alone, for a kind of each shape */
	for (unsigned int bit = 0; bit < 48; bit++) {
		uint64_t dev = (uint64_t)K_QUEUE << 56 | 1ull << bit;
		uint64_t mdev = (uint64_t)K_MDEV << 56 | 1ull << bit;
		bool used = bit < 17 || (bit >= 20 && bit < 24);

		assert_int_equal(sysfs_node_decode(dev, &n), used);
		assert_true(sysfs_node_decode(mdev, &n)); /* slot and seq use all 48 */
	}
}

/* ---- which numbers resolve ---- */

static bool resolves(struct fix *f, const struct node *n)
{
	struct sysfs_ctx c;

	return ctx_get(&f->fs, sysfs_node_encode(n), &c);
}

static unsigned int entry_index(unsigned int kind, const char *name, unsigned int avail)
{
	for (unsigned int i = 0; i < *sysfs_dirs[kind].nents; i++) {
		const struct sysfs_entry *e = &sysfs_dirs[kind].ents[i];

		if (!strcmp(e->name, name) && e->avail == avail)
			return i + 1;
	}
	fail_msg("no entry %s", name);
	return 0;
}

static void test_resolve_needs_the_device(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);

	(void)state;
	assert_true(resolves(f, &(struct node){.kind = K_CARD, .apid = 0x05}));
	assert_false(resolves(f, &(struct node){.kind = K_CARD, .apid = 0x07}));
	assert_true(resolves(f, &(struct node){.kind = K_QUEUE, .apid = 0x05, .apqi = 0x47}));
	assert_false(resolves(f, &(struct node){.kind = K_QUEUE, .apid = 0x05, .apqi = 0x01}));
	assert_false(resolves(f, &(struct node){.kind = K_QUEUE, .apid = 0x07, .apqi = 0x47}));
	assert_false(resolves(f, &(struct node){.kind = K_POWER_CARD, .apid = 0x07}));
	/* a card's link names the card with domain 0 only */
	assert_true(resolves(f, &(struct node){.kind = K_LNK_DEV, .apid = 0x05}));
	assert_false(resolves(f, &(struct node){.kind = K_LNK_DEV, .apid = 0x05, .apqi = 4}));
	/* driver directories: the three real drivers only */
	assert_true(resolves(f, &(struct node){.kind = K_AP_DRV, .apid = AP_DRV_CEX4CARD}));
	assert_true(resolves(f, &(struct node){.kind = K_AP_DRV, .apid = AP_DRV_VFIO_AP}));
	assert_false(resolves(f, &(struct node){.kind = K_AP_DRV, .apid = AP_DRV_NONE}));
	assert_false(resolves(f, &(struct node){.kind = K_AP_DRV, .apid = AP_DRV_COUNT}));
	fix_free(f);
}

static void test_resolve_needs_the_binding(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);
	struct node card = {.kind = K_LNK_DRV_DEV, .apid = 0x05, .drv = AP_DRV_CEX4CARD};
	struct node q = {.kind = K_LNK_DRV_DEV,
			 .apid = 0x05,
			 .apqi = 0x47,
			 .isq = true,
			 .drv = AP_DRV_CEX4QUEUE};
	struct node drvlink = {.kind = K_CARD,
			       .apid = 0x05,
			       .idx = (uint8_t)entry_index(K_CARD, "driver", AV_ALL),
			       .drv = AP_DRV_CEX4CARD};

	(void)state;
	assert_true(resolves(f, &card));
	assert_true(resolves(f, &q));
	assert_true(resolves(f, &drvlink));
	/* a card never binds to a queue driver, a queue never to cex4card */
	card.drv = AP_DRV_CEX4QUEUE;
	assert_false(resolves(f, &card));
	q.drv = AP_DRV_CEX4CARD;
	assert_false(resolves(f, &q));
	q.drv = AP_DRV_VFIO_AP;
	assert_false(resolves(f, &q));
	q.apid = 0x0b;
	assert_true(resolves(f, &q));
	/* unbound: the driver link and the number keyed to the old driver go */
	assert_int_equal(fix_write(f, "/sys/bus/ap/drivers/cex4card/unbind", "card05"), 0);
	card.drv = AP_DRV_CEX4CARD;
	assert_false(resolves(f, &card));
	assert_false(resolves(f, &drvlink));
	drvlink.drv = AP_DRV_NONE;
	assert_false(resolves(f, &drvlink)); /* no driver, no link */
	/* rebound to another driver: the old number names nothing */
	drvlink = (struct node){.kind = K_QUEUE,
				.apid = 0x05,
				.apqi = 0x47,
				.idx = (uint8_t)entry_index(K_QUEUE, "driver", AV_ALL),
				.drv = AP_DRV_CEX4QUEUE};
	assert_true(resolves(f, &drvlink));
	assert_int_equal(fix_write(f, "/sys/bus/ap/apmask", "-0x05"), 0);
	assert_int_equal(sysfs_node_driver(&(struct sysfs_ctx){.s = f->s, .n = drvlink}),
			 AP_DRV_VFIO_AP);
	assert_false(resolves(f, &drvlink));
	drvlink.drv = AP_DRV_VFIO_AP;
	assert_true(resolves(f, &drvlink));
	fix_free(f);
}

static void test_resolve_checks_the_entry_index(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);
	unsigned int v8_reset = entry_index(K_QUEUE, "reset", AV_V8);
	unsigned int cur_reset = entry_index(K_QUEUE, "reset", AV_CUR);

	(void)state;
	assert_true(resolves(f, &(struct node){.kind = K_BUS_AP, .idx = 3}));
	/* past the table */
	assert_false(resolves(
	    f, &(struct node){.kind = K_BUS_AP, .idx = (uint8_t)(sysfs_bus_ap_nents + 1)}));
	assert_false(resolves(f, &(struct node){.kind = K_POWER_AP, .idx = 1}));
	/* a directory entry is a node of its own kind, never an index */
	assert_false(resolves(f, &(struct node){.kind = K_ROOT, .idx = 1}));
	/* links with a dynamic name have no entries */
	assert_false(resolves(f, &(struct node){.kind = K_LNK_DEV, .apid = 5, .idx = 1}));
	/* the other ABI's entry */
	assert_true(resolves(
	    f,
	    &(struct node){.kind = K_QUEUE, .apid = 5, .apqi = 0x47, .idx = (uint8_t)cur_reset}));
	assert_false(resolves(
	    f, &(struct node){.kind = K_QUEUE, .apid = 5, .apqi = 0x47, .idx = (uint8_t)v8_reset}));
	fix_free(f);
	f = fix_new(AP_ABI_V8);
	assert_true(resolves(
	    f, &(struct node){.kind = K_QUEUE, .apid = 5, .apqi = 0x47, .idx = (uint8_t)v8_reset}));
	assert_false(resolves(
	    f,
	    &(struct node){.kind = K_QUEUE, .apid = 5, .apqi = 0x47, .idx = (uint8_t)cur_reset}));
	fix_free(f);
}

static void test_resolve_refuses_a_reused_mdev_slot(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);
	struct sysfs_ctx c;
	struct node old;

	(void)state;
	fix_create_mdev(f, UUID1);
	assert_int_equal(fix_walk(f, "/sys/devices/vfio_ap/matrix/" UUID1, false, &c), 0);
	old = c.n;
	assert_int_equal(c.n.kind, K_MDEV);
	assert_true(resolves(f, &old));
	assert_int_equal(fix_write(f, "/sys/devices/vfio_ap/matrix/" UUID1 "/remove", "1"), 0);
	assert_false(resolves(f, &old));
	fix_create_mdev(f, UUID2);
	assert_int_equal(fix_walk(f, "/sys/devices/vfio_ap/matrix/" UUID2, false, &c), 0);
	assert_int_equal(c.n.slot, old.slot); /* the slot is reused ... */
	assert_int_not_equal(c.n.seq, old.seq);
	assert_false(resolves(f, &old)); /* ... under a new number */
	old.slot++;
	old.seq = c.n.seq;
	assert_false(resolves(f, &old)); /* a slot past the last */
	fix_free(f);
}

/* ---- paths ---- */

struct path_case {
	const char *path;
	int err;
	uint8_t kind; /* of the node found (not followed) */
	uint8_t apid, apqi;
	const char *entry; /* the entry's name, for a file or static link */
};

static void check_paths(struct fix *f, const struct path_case *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sysfs_ctx c;
		int r = fix_walk(f, t[i].path, false, &c);

		if (r != t[i].err)
			fail_msg("%s: %d, expected %d", t[i].path, r, t[i].err);
		if (r < 0)
			continue;
		if (c.n.kind != t[i].kind || c.n.apid != t[i].apid || c.n.apqi != t[i].apqi)
			fail_msg("%s: kind %u %02x.%04x", t[i].path, c.n.kind, c.n.apid, c.n.apqi);
		if (t[i].entry)
			assert_string_equal(c.e->name, t[i].entry);
		else
			assert_null(c.e);
	}
}

static void test_paths_of_the_real_tree(void **state)
{
	static const struct path_case t[] = {
	    {"/sys", 0, K_ROOT, 0, 0, NULL},
	    {"/sys/bus/ap", 0, K_BUS_AP, 0, 0, NULL},
	    {"/sys/bus/ap/apmask", 0, K_BUS_AP, 0, 0, "apmask"},
	    {"/sys/bus/ap/devices", 0, K_BUS_AP_DEVICES, 0, 0, NULL},
	    {"/sys/bus/ap/devices/card05", 0, K_LNK_DEV, 0x05, 0, NULL},
	    {"/sys/bus/ap/devices/05.0047", 0, K_LNK_DEV, 0x05, 0x47, NULL},
	    {"/sys/bus/ap/drivers/cex4card", 0, K_AP_DRV, AP_DRV_CEX4CARD, 0, NULL},
	    {"/sys/bus/ap/drivers/cex4card/card05", 0, K_LNK_DRV_DEV, 0x05, 0, NULL},
	    {"/sys/bus/ap/drivers/cex4queue/05.0047", 0, K_LNK_DRV_DEV, 0x05, 0x47, NULL},
	    {"/sys/bus/ap/drivers/vfio_ap/0b.00ab", 0, K_LNK_DRV_DEV, 0x0b, 0xab, NULL},
	    {"/sys/bus/ap/drivers/vfio_ap/bind", 0, K_AP_DRV, AP_DRV_VFIO_AP, 0, "bind"},
	    {"/sys/devices/ap", 0, K_AP_ROOT, 0, 0, NULL},
	    {"/sys/devices/ap/card05", 0, K_CARD, 0x05, 0, NULL},
	    {"/sys/devices/ap/card05/hwtype", 0, K_CARD, 0x05, 0, "hwtype"},
	    {"/sys/devices/ap/card05/driver", 0, K_CARD, 0x05, 0, "driver"},
	    {"/sys/devices/ap/card05/power", 0, K_POWER_CARD, 0x05, 0, NULL},
	    {"/sys/devices/ap/card05/05.0047", 0, K_QUEUE, 0x05, 0x47, NULL},
	    {"/sys/devices/ap/card05/05.0047/online", 0, K_QUEUE, 0x05, 0x47, "online"},
	    {"/sys/devices/ap/card05/05.0047/power", 0, K_POWER_QUEUE, 0x05, 0x47, NULL},
	    {"/sys/devices/ap/card0b/0b.00ff/status", 0, K_QUEUE, 0x0b, 0xff, "status"},
	    {"/sys/devices/vfio_ap/matrix", 0, K_MATRIX, 0, 0, NULL},
	    {"/sys/devices/vfio_ap/matrix/mdev_supported_types", 0, K_TYPES, 0, 0, NULL},
	    {TYPE, 0, K_TYPE, 0, 0, NULL},
	    {TYPE "/create", 0, K_TYPE, 0, 0, "create"},
	    {TYPE "/available_instances", 0, K_TYPE, 0, 0, "available_instances"},
	    {TYPE "/devices", 0, K_TYPE_DEVICES, 0, 0, NULL},
	    {"/sys/bus/matrix/devices/matrix", 0, K_BUS_MATRIX_DEVICES, 0, 0, "matrix"},
	    {"/sys/bus/mdev/drivers/vfio_ap_mdev", 0, K_MDEV_DRV, 0, 0, NULL},
	    {"/sys/class/mdev_bus/matrix", 0, K_CLASS_MDEV_BUS, 0, 0, "matrix"},
	    {"/sys/kernel/iommu_groups", 0, K_IOMMU_GROUPS, 0, 0, NULL},
	    {"/sys/kernel/uevent_seqnum", 0, K_KERNEL, 0, 0, "uevent_seqnum"},
	    /* through links */
	    {"/sys/bus/ap/devices/05.0047/online", 0, K_QUEUE, 0x05, 0x47, "online"},
	    {"/sys/class/mdev_bus/matrix/mdev_supported_types", 0, K_TYPES, 0, 0, NULL},
	    {"/sys/devices/ap/card05/05.0047/driver/bind", 0, K_AP_DRV, AP_DRV_CEX4QUEUE, 0,
	     "bind"},
	    {"/sys/devices/ap/card05/subsystem/apmask", 0, K_BUS_AP, 0, 0, "apmask"},
	    /* ".." after a link is the target's parent, not the link's directory */
	    {"/sys/bus/ap/devices/card05/../card04", 0, K_CARD, 0x04, 0, NULL},
	    {"/sys/bus/ap/devices/card05/../../../bus/ap/apmask", 0, K_BUS_AP, 0, 0, "apmask"},
	    {"/sys/bus/ap/devices/card05/../devices", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/..", 0, K_ROOT, 0, 0, NULL},
	    {"/sys/bus/ap/apmask/..", -ENOTDIR, 0, 0, 0, NULL},
	    /* nothing there */
	    {"/sys/nonexistent", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/nonexistent", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card07", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card5", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card005", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/CARD05", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card0B", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card05/05.47", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card05/05.0001", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card05/05.0100", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card05/04.0047", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card05/05.0047/status", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card04/serialnr", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/devices/05.00AB", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/drivers/vfio_ap/05.0047", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/drivers/cex4queue/card05", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/drivers/cex4card/05.0047", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/drivers/nonexistent", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/vfio_ap/matrix/" UUID1, -ENOENT, 0, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/0", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/apmask/x", -ENOTDIR, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card05/hwtype/x", -ENOTDIR, 0, 0, 0, NULL},
	};
	struct fix *f = fix_new(AP_ABI_CUR);

	(void)state;
	check_paths(f, t, sizeof(t) / sizeof(t[0]));
	fix_free(f);
}

static void test_paths_of_an_mdev(void **state)
{
	static const struct path_case t[] = {
	    {"/sys/devices/vfio_ap/matrix/" UUID1, 0, K_MDEV, 0, 0, NULL},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/assign_adapter", 0, K_MDEV, 0, 0,
	     "assign_adapter"},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/power", 0, K_POWER_MDEV, 0, 0, NULL},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/iommu_group", 0, K_MDEV, 0, 0, "iommu_group"},
	    {"/sys/bus/mdev/devices/" UUID1, 0, K_LNK_MDEV_BUS, 0, 0, NULL},
	    {"/sys/bus/mdev/drivers/vfio_ap_mdev/" UUID1, 0, K_LNK_MDEV_DRV, 0, 0, NULL},
	    {TYPE "/devices/" UUID1, 0, K_LNK_TYPE_DEV, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/0", 0, K_GROUP, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/0/type", 0, K_GROUP, 0, 0, "type"},
	    {"/sys/kernel/iommu_groups/0/devices", 0, K_GROUP_DEVICES, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/0/devices/" UUID1, 0, K_LNK_GROUP_DEV, 0, 0, NULL},
	    {"/sys/bus/mdev/devices/" UUID1 "/matrix", 0, K_MDEV, 0, 0, "matrix"},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/iommu_group/devices", 0, K_GROUP_DEVICES, 0, 0,
	     NULL},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/mdev_type/create", 0, K_TYPE, 0, 0, "create"},
	    /* strict names */
	    {"/sys/devices/vfio_ap/matrix/62177883-F1BB-47F0-914D-32A22E3A8804", -ENOENT, 0, 0, 0,
	     NULL},
	    {"/sys/devices/vfio_ap/matrix/62177883f1bb47f0914d32a22e3a8804", -ENOENT, 0, 0, 0,
	     NULL},
	    {"/sys/devices/vfio_ap/matrix/" UUID2, -ENOENT, 0, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/00", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/+0", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/1", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/kernel/iommu_groups/0/devices/" UUID2, -ENOENT, 0, 0, 0, NULL},
	};
	struct fix *f = fix_new(AP_ABI_CUR);

	(void)state;
	fix_create_mdev(f, UUID1);
	check_paths(f, t, sizeof(t) / sizeof(t[0]));
	assert_int_equal(fix_write(f, "/sys/bus/mdev/devices/" UUID1 "/remove", "1"), 0);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sysfs_ctx c;

		if (strstr(t[i].path, UUID1) || strstr(t[i].path, "iommu_groups/0"))
			assert_int_equal(fix_walk(f, t[i].path, false, &c), -ENOENT);
	}
	fix_free(f);
}

static void test_paths_without_vfio_ap(void **state)
{
	static const struct path_case t[] = {
	    {"/sys/devices/vfio_ap", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/matrix", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/ap/drivers/vfio_ap", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/mdev/drivers/vfio_ap_mdev", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/class/mdev_bus/matrix", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/devices/ap/card0b/0b.00ab/status", -ENOENT, 0, 0, 0, NULL},
	    {"/sys/bus/mdev/drivers", 0, K_BUS_MDEV_DRIVERS, 0, 0, NULL},
	    {"/sys/class/mdev_bus", 0, K_CLASS_MDEV_BUS, 0, 0, NULL},
	    {"/sys/bus/ap/drivers/cex4queue", 0, K_AP_DRV, AP_DRV_CEX4QUEUE, 0, NULL},
	};
	struct fix *f = fix_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(vfio_module_unload(f->s), 0);
	check_paths(f, t, sizeof(t) / sizeof(t[0]));
	fix_free(f);
}

/* ---- links ---- */

static void test_links_read_as_the_kernel_writes_them(void **state)
{
	static const struct {
		const char *path, *target;
	} t[] = {
	    {"/sys/bus/ap/devices/card05", "../../../devices/ap/card05"},
	    {"/sys/bus/ap/devices/05.0047", "../../../devices/ap/card05/05.0047"},
	    {"/sys/bus/ap/drivers/cex4card/card05", "../../../../devices/ap/card05"},
	    {"/sys/bus/ap/drivers/cex4queue/05.0047", "../../../../devices/ap/card05/05.0047"},
	    {"/sys/devices/ap/card05/driver", "../../../bus/ap/drivers/cex4card"},
	    {"/sys/devices/ap/card05/subsystem", "../../../bus/ap"},
	    {"/sys/devices/ap/card05/05.0047/driver", "../../../../bus/ap/drivers/cex4queue"},
	    {"/sys/devices/ap/card0b/0b.00ab/driver", "../../../../bus/ap/drivers/vfio_ap"},
	    {"/sys/devices/ap/card05/05.0047/subsystem", "../../../../bus/ap"},
	    {"/sys/devices/vfio_ap/matrix/driver", "../../../bus/matrix/drivers/vfio_ap"},
	    {"/sys/devices/vfio_ap/matrix/subsystem", "../../../bus/matrix"},
	    {"/sys/bus/matrix/devices/matrix", "../../../devices/vfio_ap/matrix"},
	    {"/sys/bus/matrix/drivers/vfio_ap/matrix", "../../../../devices/vfio_ap/matrix"},
	    {"/sys/class/mdev_bus/matrix", "../../devices/vfio_ap/matrix"},
	    {"/sys/bus/mdev/devices/" UUID1, "../../../devices/vfio_ap/matrix/" UUID1},
	    {"/sys/bus/mdev/drivers/vfio_ap_mdev/" UUID1,
	     "../../../../devices/vfio_ap/matrix/" UUID1},
	    {TYPE "/devices/" UUID1, "../../../" UUID1},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/mdev_type",
	     "../mdev_supported_types/vfio_ap-passthrough"},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/iommu_group",
	     "../../../../kernel/iommu_groups/0"},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/driver",
	     "../../../../bus/mdev/drivers/vfio_ap_mdev"},
	    {"/sys/devices/vfio_ap/matrix/" UUID1 "/subsystem", "../../../../bus/mdev"},
	    {"/sys/kernel/iommu_groups/0/devices/" UUID1,
	     "../../../../devices/vfio_ap/matrix/" UUID1},
	};
	struct fix *f = fix_new(AP_ABI_CUR);
	char target[PATH_MAX];

	(void)state;
	fix_create_mdev(f, UUID1);
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(fix_readlink(f, t[i].path, target, sizeof(target)), 0);
		if (strcmp(target, t[i].target))
			fail_msg("%s -> %s, expected %s", t[i].path, target, t[i].target);
	}
	assert_int_equal(fix_readlink(f, "/sys/bus/ap/apmask", target, sizeof(target)), -EINVAL);
	assert_int_equal(fix_readlink(f, "/sys/devices/ap", target, sizeof(target)), -EINVAL);
	fix_free(f);
}

static void test_path_relative(void **state)
{
	static const struct {
		const char *dir, *target, *want;
	} t[] = {
	    {"bus/ap/devices", "devices/ap/card05", "../../../devices/ap/card05"},
	    {"devices/vfio_ap/matrix/x", "devices/vfio_ap/matrix/mdev_supported_types/t",
	     "../mdev_supported_types/t"},
	    {"a/b", "a/b/c", "c"},
	    {"a/bc", "a/b/c", "../b/c"},
	    {"", "bus/ap", "bus/ap"},
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sysfs_path_relative(t[i].dir, t[i].target, buf, sizeof(buf));
		assert_string_equal(buf, t[i].want);
	}
	/* a buffer too small is cut, never overrun */
	memset(buf, 'x', sizeof(buf));
	sysfs_path_relative("a/b/c/d", "e/f", buf, 8);
	assert_true(strlen(buf) < 8);
	assert_int_equal(buf[9], 'x');
}

/* ---- the whole tree: listing, lookup, parents, links ---- */

struct walk_stats {
	unsigned int dirs, files, links;
};

static void check_node(struct fix *f, const struct sysfs_ctx *dir, const struct dyn_child *child,
		       const char *path, void *ctx)
{
	struct walk_stats *st = ctx;
	char target[PATH_MAX], where[PATH_MAX];
	struct sysfs_ctx c, end;
	struct node parent;

	/* the name leads to the very node listed */
	assert_int_equal(sysfs_tree_lookup_child(dir, child->name, &c), 0);
	if (sysfs_node_encode(&c.n) != sysfs_node_encode(&child->n))
		fail_msg("%s: listed and looked up as different nodes", path);
	if (sysfs_node_is_link(&c)) {
		st->links++;
		sysfs_node_readlink(&c, target, sizeof(target));
		assert_true(target[0] && target[0] != '/');
		if (fix_walk(f, path, true, &end) != 0)
			fail_msg("%s -> %s leads nowhere", path, target);
	} else if (sysfs_node_is_dir(&c.n)) {
		st->dirs++;
		sysfs_node_parent(&c, &parent);
		if (sysfs_node_encode(&parent) != sysfs_node_encode(&dir->n))
			fail_msg("%s: .. is not the directory above", path);
		sysfs_path_of_dir(&c, where, sizeof(where));
		if (strcmp(where, path))
			fail_msg("sysfs_path_of_dir %s, reached as %s", where, path);
	} else {
		st->files++;
		assert_true(c.e && c.e->type == ENT_FILE);
	}
}

static void walk_all(struct fix *f, struct walk_stats *st)
{
	struct sysfs_ctx root;
	struct node parent;

	memset(st, 0, sizeof(*st));
	fix_root(f, &root);
	sysfs_node_parent(&root, &parent);
	assert_int_equal(sysfs_node_encode(&parent), FUSE_ROOT_ID);
	fix_for_each(f, check_node, st);
}

static void test_every_listed_child_resolves(void **state)
{
	struct walk_stats cur, v8, bare, with_mdev, unloaded;
	struct fix *f;

	(void)state;
	f = fix_new(AP_ABI_CUR);
	walk_all(f, &cur);
	fix_create_mdev(f, UUID1);
	fix_create_mdev(f, UUID2);
	walk_all(f, &with_mdev);
	assert_int_equal(vfio_module_unload(f->s), 0); /* takes the mdevs along */
	walk_all(f, &unloaded);
	fix_free(f);
	f = fix_new(AP_ABI_V8);
	walk_all(f, &v8);
	fix_free(f);
	f = fix_new(AP_ABI_CUR);
	assert_int_equal(vfio_module_unload(f->s), 0);
	walk_all(f, &bare);
	fix_free(f);
	/* 4 cards and 16 queues, each a directory with a power directory */
	assert_true(cur.dirs >= 2 * (4 + 16));
	/* each mdev: its directory, power, a group and the group's devices */
	assert_int_equal(with_mdev.dirs, cur.dirs + 2 * 4);
	/* each mdev: 4 links in its directory, 4 links to it elsewhere */
	assert_int_equal(with_mdev.links, cur.links + 2 * 8);
	assert_true(v8.files < cur.files);
	assert_true(bare.dirs < cur.dirs && bare.links < cur.links);
	assert_memory_equal(&unloaded, &bare, sizeof(bare));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_decode_round_trips_device_kinds),
	    cmocka_unit_test(test_encode_decode_round_trips_mdev_kinds),
	    cmocka_unit_test(test_mdev_kinds_are_the_mdev_nodes),
	    cmocka_unit_test(test_decode_rejects_numbers_of_no_kind),
	    cmocka_unit_test(test_decode_rejects_unused_bits),
	    cmocka_unit_test(test_resolve_needs_the_device),
	    cmocka_unit_test(test_resolve_needs_the_binding),
	    cmocka_unit_test(test_resolve_checks_the_entry_index),
	    cmocka_unit_test(test_resolve_refuses_a_reused_mdev_slot),
	    cmocka_unit_test(test_paths_of_the_real_tree),
	    cmocka_unit_test(test_paths_of_an_mdev),
	    cmocka_unit_test(test_paths_without_vfio_ap),
	    cmocka_unit_test(test_links_read_as_the_kernel_writes_them),
	    cmocka_unit_test(test_path_relative),
	    cmocka_unit_test(test_every_listed_child_resolves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
