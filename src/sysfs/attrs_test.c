/*
 * attrs_test - the attribute tables (attrs_*.c) against the core, without
 * FUSE.
 *
 * Invariants:
 * - every entry is well formed: a file has one of the modes sysfs uses
 *   (0444, 0644, 0200) and exactly the handlers its mode promises (a show
 *   for read bits, a store for write bits), a link has a target, a
 *   directory names a directory kind whose parent is the table's own;
 * - names are unique in a directory within one ABI (an entry of today's
 *   kernel may share its name only with one of v8), and every directory
 *   kind is reachable from a table or a listing;
 * - every file that is visible reads as a sysfs page (shorter than a page,
 *   no NUL inside, empty or ending in a newline), in both ABIs;
 * - a show prints the core's value and a store returns exactly what the
 *   core returns for the same bytes (checked against a twin system that
 *   gets the core call directly), leaving the same state;
 * - which files exist follows the model: the card's mode and driver, the
 *   queue's driver, the ABI; a `remove` of an mdev in use waits through
 *   the daemon's hook, or is busy without one.
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

#define UUID1 "62177883-f1bb-47f0-914d-32a22e3a8804"
#define MDEV  "/sys/devices/vfio_ap/matrix/" UUID1
#define Q05   "/sys/devices/ap/card05/05.0047"

static const struct sysfs_entry *ents_of(unsigned int kind, unsigned int *ret_n)
{
	*ret_n = sysfs_dirs[kind].nents ? *sysfs_dirs[kind].nents : 0;
	return sysfs_dirs[kind].ents;
}

/* ---- the tables ---- */

static void check_file(unsigned int kind, const struct sysfs_entry *e)
{
	if (e->mode != 0444 && e->mode != 0644 && e->mode != 0200)
		fail_msg("%u/%s: mode %o", kind, e->name, e->mode);
	if (!(e->mode & 0444) != !e->show)
		fail_msg("%u/%s: mode %o with%s show", kind, e->name, e->mode,
			 e->show ? "" : "out");
	if (!(e->mode & 0222) != !e->store)
		fail_msg("%u/%s: mode %o with%s store", kind, e->name, e->mode,
			 e->store ? "" : "out");
	assert_null(e->target);
	assert_int_equal(e->child, 0);
}

static void check_dir_entry(unsigned int kind, const struct sysfs_entry *e)
{
	struct sysfs_ctx c = {.n = {.kind = e->child}};
	struct node parent;

	if (e->child <= K_ROOT || e->child > K_DIR_LAST)
		fail_msg("%u/%s: child kind %u", kind, e->name, e->child);
	sysfs_node_parent(&c, &parent);
	if (parent.kind != kind)
		fail_msg("%u/%s: its parent is kind %u", kind, e->name, parent.kind);
	assert_true(!e->show && !e->store && !e->target && !e->drv_keyed);
	assert_int_equal(e->mode, 0);
	/* only the driver directories carry a parameter: their driver */
	if (e->child == K_AP_DRV)
		assert_true(e->param > AP_DRV_NONE && e->param < AP_DRV_COUNT);
	else
		assert_int_equal(e->param, 0);
}

static void test_tables_are_well_formed(void **state)
{
	(void)state;
	for (unsigned int kind = K_ROOT; kind <= K_DIR_LAST; kind++) {
		const struct sysfs_dir *d = &sysfs_dirs[kind];
		unsigned int n;
		const struct sysfs_entry *ents = ents_of(kind, &n);

		assert_true(!d->ents == !d->nents);
		assert_true(!d->dyn_next == !d->dyn_lookup);
		assert_true(n < 256); /* an entry's index is a byte of the number */
		for (unsigned int i = 0; i < n; i++) {
			const struct sysfs_entry *e = &ents[i];

			assert_non_null(e->name);
			assert_true(e->name[0] && !strchr(e->name, '/') &&
				    strlen(e->name) < sizeof(((struct dyn_child *)0)->name));
			assert_true(strcmp(e->name, ".") && strcmp(e->name, ".."));
			assert_true(e->avail == AV_ALL || e->avail == AV_CUR || e->avail == AV_V8);
			/* the driver is in the number only of a device's entries */
			if (e->drv_keyed)
				assert_true(kind == K_CARD || kind == K_QUEUE);
			switch (e->type) {
			case ENT_FILE:
				check_file(kind, e);
				break;
			case ENT_LINK:
				assert_non_null(e->target);
				assert_true(!e->show && !e->store && e->mode == 0);
				break;
			case ENT_DIR:
				check_dir_entry(kind, e);
				break;
			default:
				fail_msg("%u/%s: type %u", kind, e->name, e->type);
			}
		}
	}
}

static bool same_abi(unsigned int a, unsigned int b)
{
	return a == AV_ALL || b == AV_ALL || a == b;
}

static void test_names_are_unique_per_directory_and_abi(void **state)
{
	(void)state;
	for (unsigned int kind = K_ROOT; kind <= K_DIR_LAST; kind++) {
		unsigned int n;
		const struct sysfs_entry *e = ents_of(kind, &n);

		for (unsigned int i = 0; i < n; i++)
			for (unsigned int j = i + 1; j < n; j++)
				if (!strcmp(e[i].name, e[j].name) &&
				    same_abi(e[i].avail, e[j].avail))
					fail_msg("kind %u: two entries %s", kind, e[i].name);
	}
}

static void test_every_directory_kind_is_reachable(void **state)
{
	/* the directories that are listed from the model, not from a table */
	static const uint8_t dynamic[] = {K_CARD, K_QUEUE, K_MDEV, K_GROUP};
	unsigned int seen[K_DIR_LAST + 1] = {0};

	(void)state;
	for (unsigned int kind = K_ROOT; kind <= K_DIR_LAST; kind++) {
		unsigned int n;
		const struct sysfs_entry *e = ents_of(kind, &n);

		for (unsigned int i = 0; i < n; i++)
			if (e[i].type == ENT_DIR && e[i].child != K_AP_DRV)
				seen[e[i].child]++;
	}
	for (size_t i = 0; i < sizeof(dynamic); i++)
		seen[dynamic[i]]++;
	seen[K_AP_DRV] = 1; /* one kind, three directories (checked above) */
	for (unsigned int kind = K_BUS; kind <= K_DIR_LAST; kind++)
		if (seen[kind] != 1)
			fail_msg("directory kind %u is reached %u times", kind, seen[kind]);
}

/* ---- what the files read ---- */

struct page_stats {
	unsigned int files, readable;
};

static void check_page(struct fix *f, const struct sysfs_ctx *dir, const struct dyn_child *child,
		       const char *path, void *ctx)
{
	struct page_stats *st = ctx;
	char buf[SYSFS_PAGE];
	struct sysfs_ctx c;
	int n;

	(void)f;
	if (sysfs_tree_lookup_child(dir, child->name, &c) < 0)
		fail_msg("%s: gone", path);
	if (!c.e || c.e->type != ENT_FILE)
		return;
	st->files++;
	if (!c.e->show)
		return;
	st->readable++;
	memset(buf, 0x5a, sizeof(buf));
	n = c.e->show(&c, buf);
	if (n < 0 || n >= SYSFS_PAGE)
		fail_msg("%s: show gave %d", path, n);
	if (memchr(buf, '\0', (size_t)n) || (n && buf[n - 1] != '\n'))
		fail_msg("%s: not a line: \"%.*s\"", path, n, buf);
}

static void test_every_visible_file_reads_a_page(void **state)
{
	struct page_stats cur = {0}, v8 = {0};
	struct fix *f;

	(void)state;
	f = fix_new(AP_ABI_CUR);
	fix_create_mdev(f, UUID1);
	assert_int_equal(fix_write(f, MDEV "/assign_adapter", "0x0b"), 0);
	assert_int_equal(fix_write(f, MDEV "/assign_domain", "0xab"), 0);
	assert_int_equal(fix_write(f, MDEV "/assign_control_domain", "0xab"), 0);
	fix_for_each(f, check_page, &cur);
	fix_free(f);
	f = fix_new(AP_ABI_V8);
	fix_create_mdev(f, UUID1);
	fix_for_each(f, check_page, &v8);
	fix_free(f);
	assert_true(cur.readable > 100 && cur.readable < cur.files);
	assert_true(v8.readable > 100 && v8.files < cur.files);
}

static void expect_read(struct fix *f, const char *path, const char *want)
{
	char buf[SYSFS_PAGE];
	int n = fix_read(f, path, buf);

	if (n < 0)
		fail_msg("%s: %d", path, n);
	if (strcmp(buf, want))
		fail_msg("%s: \"%s\", expected \"%s\"", path, buf, want);
}

static void test_shows_print_the_core_values(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);
	char want[SYSFS_PAGE], hex[AP_MASK_HEX_LEN];
	struct ap_mdev *m;

	(void)state;
	snprintf(want, sizeof(want), "%u\n", machine_max_apqi(&f->hw));
	expect_read(f, "/sys/bus/ap/ap_max_domain_id", want);
	snprintf(want, sizeof(want), "%u\n", machine_max_apid(&f->hw));
	expect_read(f, "/sys/bus/ap/ap_max_adapter_id", want);
	ap_mask_format(&f->s->bus.apmask, hex);
	snprintf(want, sizeof(want), "%s\n", hex);
	expect_read(f, "/sys/bus/ap/apmask", want);
	snprintf(want, sizeof(want), "%d\n", f->s->bus.ap_domain);
	expect_read(f, "/sys/bus/ap/ap_domain", want);
	snprintf(want, sizeof(want), "%u\n", machine_hwtype(&f->s->hw.adapter[5]));
	expect_read(f, "/sys/devices/ap/card05/hwtype", want);
	expect_read(f, "/sys/devices/ap/card05/raw_hwtype", want);
	snprintf(want, sizeof(want), "%d\n", f->s->hw.adapter[5].depth);
	expect_read(f, "/sys/devices/ap/card05/depth", want);
	snprintf(want, sizeof(want), "%u\n", matrix_available(f->s));
	expect_read(f,
		    "/sys/class/mdev_bus/matrix/mdev_supported_types/vfio_ap-passthrough/"
		    "available_instances",
		    want);
	expect_read(f, "/sys/devices/ap/card0b/0b.00ab/status", "unassigned\n");
	expect_read(f, "/sys/kernel/iommu_groups/../../bus/ap/poll_thread", "0\n");

	fix_create_mdev(f, UUID1);
	assert_int_equal(fix_write(f, MDEV "/assign_adapter", "0x0b"), 0);
	assert_int_equal(fix_write(f, MDEV "/assign_domain", "0xab"), 0);
	m = matrix_find_name(f->s, UUID1);
	assert_non_null(m);
	assert_true(matrix_show_matrix(m, want, sizeof(want)) > 0);
	expect_read(f, MDEV "/matrix", want);
	expect_read(f, MDEV "/matrix", "0b.00ab\n");
	expect_read(f, "/sys/devices/ap/card0b/0b.00ab/status", "assigned\n");
	snprintf(want, sizeof(want), "%llu\n", f->s->uevent_seqnum);
	expect_read(f, "/sys/kernel/uevent_seqnum", want);
	fix_free(f);
}

/* ---- what the stores do ---- */

static int core_ap_domain(struct ap_system *s, const char *t)
{
	return apbus_store_ap_domain(s, t, strlen(t));
}

static int core_poll_timeout(struct ap_system *s, const char *t)
{
	return apbus_store_poll_timeout(s, t, strlen(t));
}

static int core_apmask(struct ap_system *s, const char *t)
{
	return apbus_store_apmask(s, t, strlen(t));
}

static int core_autoprobe(struct ap_system *s, const char *t)
{
	return apbus_store_autoprobe(s, AP_BUS_AP, t, strlen(t));
}

static int core_card_online(struct ap_system *s, const char *t)
{
	return apbus_store_card_online(s, 0x05, t, strlen(t));
}

static int core_queue_online(struct ap_system *s, const char *t)
{
	return apbus_store_queue_online(s, AP_APQN(0x05, 0x47), t, strlen(t));
}

static int core_unbind(struct ap_system *s, const char *t)
{
	return apbus_unbind(s, AP_DRV_CEX4QUEUE, t, strlen(t));
}

static int core_create(struct ap_system *s, const char *t)
{
	return matrix_create(s, t, strlen(t), NULL);
}

static int core_assign_adapter(struct ap_system *s, const char *t)
{
	struct ap_mdev *m = matrix_find_name(s, UUID1);

	return m ? matrix_assign(s, m, AP_KIND_ADAPTER, t, strlen(t)) : -ENODEV;
}

static int core_assign_domain(struct ap_system *s, const char *t)
{
	struct ap_mdev *m = matrix_find_name(s, UUID1);

	return m ? matrix_assign(s, m, AP_KIND_DOMAIN, t, strlen(t)) : -ENODEV;
}

static int core_uevent(struct ap_system *s, const char *t)
{
	struct ap_obj o = {.kind = AP_OBJ_CARD, .id = 0x05};

	return uevent_synth(s, &o, t, strlen(t));
}

/*
 * Each write, made through the tree on one system and as the core call on a
 * twin, returns the same and leaves both systems alike.
 */
static void test_stores_are_the_core_stores(void **state)
{
	static const struct {
		const char *path, *text;
		int (*core)(struct ap_system *s, const char *text);
	} t[] = {
	    {"/sys/bus/ap/ap_domain", "0x47", core_ap_domain},
	    {"/sys/bus/ap/ap_domain", "0x100", core_ap_domain},
	    {"/sys/bus/ap/ap_domain", "zz", core_ap_domain},
	    {"/sys/bus/ap/poll_timeout", "250000", core_poll_timeout},
	    {"/sys/bus/ap/poll_timeout", "-1", core_poll_timeout},
	    {"/sys/bus/ap/apmask", "-0x04", core_apmask},
	    {"/sys/bus/ap/apmask", "0xgg", core_apmask},
	    {"/sys/bus/ap/drivers_autoprobe", "0", core_autoprobe},
	    {"/sys/bus/ap/drivers_autoprobe", "maybe", core_autoprobe},
	    {"/sys/devices/ap/card05/online", "0", core_card_online},
	    {"/sys/devices/ap/card05/online", "2", core_card_online},
	    {Q05 "/online", "0", core_queue_online},
	    {"/sys/devices/ap/card05/uevent", "change", core_uevent},
	    {"/sys/devices/ap/card05/uevent", "bogus", core_uevent},
	    {"/sys/bus/ap/drivers/cex4queue/unbind", "05.0047", core_unbind},
	    {"/sys/bus/ap/drivers/cex4queue/unbind", "05.0047", core_unbind},
	    {"/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", UUID1,
	     core_create},
	    {"/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", UUID1,
	     core_create},
	    {"/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create",
	     "not-a-uuid", core_create},
	    {MDEV "/assign_adapter", "0x0b", core_assign_adapter},
	    {MDEV "/assign_adapter", "0x05", core_assign_adapter},
	    {MDEV "/assign_adapter", "0x100", core_assign_adapter},
	    {MDEV "/assign_domain", "0xab", core_assign_domain},
	    {MDEV "/assign_domain", "ab", core_assign_domain},
	};
	struct fix *f = fix_new(AP_ABI_CUR), *twin = fix_new(AP_ABI_CUR);
	unsigned int errors = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = fix_write(f, t[i].path, t[i].text);
		int want = t[i].core(twin->s, t[i].text);

		if (got != want)
			fail_msg("%s < %s: %d, the core says %d", t[i].path, t[i].text, got, want);
		errors += got < 0;
		/* the state both see: bus, devices, the matrix */
		assert_memory_equal(&f->s->bus, &twin->s->bus, sizeof(f->s->bus));
		assert_int_equal(f->s->uevent_seqnum, twin->s->uevent_seqnum);
		assert_int_equal(matrix_available(f->s), matrix_available(twin->s));
	}
	assert_true(errors >= 8 && errors < sizeof(t) / sizeof(t[0]) - 8);
	fix_free(twin);
	fix_free(f);
}

static void test_stores_return_the_kernel_errno(void **state)
{
	static const struct {
		const char *path, *text;
		int err;
	} t[] = {
	    {"/sys/bus/ap/ap_domain", "0x47", 0},
	    {"/sys/bus/ap/ap_domain", "zz", -EINVAL},
	    {"/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", UUID1,
	     0},
	    {"/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", UUID1,
	     -EEXIST},
	    {MDEV "/assign_adapter", "0x0b", 0},
	    {MDEV "/assign_adapter", "0x100", -ENODEV},
	    {MDEV "/assign_domain", "0xab", 0},
	    {MDEV "/assign_domain", "qq", -EINVAL},
	    {"/sys/bus/mdev/drivers/vfio_ap_mdev/bind", UUID1, -EBUSY},
	    {"/sys/bus/mdev/drivers/vfio_ap_mdev/bind", "b7e8f0a6-2d3c-4b47-8e1c-6a7e2c9d1f35",
	     -ENODEV},
	    {"/sys/kernel/iommu_groups/0/type", "DMA", -EINVAL},
	    {MDEV "/remove", "1", 0},
	    {MDEV "/remove", "1", -ENOENT}, /* gone with its directory */
	};
	struct fix *f = fix_new(AP_ABI_CUR);

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int r = fix_write(f, t[i].path, t[i].text);

		if (r != t[i].err)
			fail_msg("%s < %s: %d, expected %d", t[i].path, t[i].text, r, t[i].err);
	}
	fix_free(f);
}

/* ---- which files there are ---- */

static bool exists(struct fix *f, const char *path)
{
	struct sysfs_ctx c;

	return fix_walk(f, path, false, &c) == 0;
}

static unsigned int mode_of(struct fix *f, const char *path)
{
	struct sysfs_ctx c;
	struct stat st;
	bool fixed;

	assert_int_equal(fix_walk(f, path, false, &c), 0);
	sysfs_node_stat(&c, &st, &fixed);
	return st.st_mode & 07777;
}

static void test_files_follow_mode_driver_and_abi(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);

	(void)state;
	/* zcrypt_cex4.c's groups: serial for CCA and EP11, the EP11 group for EP11 */
	assert_false(exists(f, "/sys/devices/ap/card04/serialnr"));
	assert_true(exists(f, "/sys/devices/ap/card05/serialnr"));
	assert_false(exists(f, "/sys/devices/ap/card05/API_ordinalnr"));
	assert_true(exists(f, "/sys/devices/ap/card06/API_ordinalnr"));
	assert_true(exists(f, "/sys/devices/ap/card06/FW_version"));
	assert_true(exists(f, "/sys/devices/ap/card06/op_modes"));
	assert_false(exists(f, "/sys/devices/ap/card04/04.0047/mkvps"));
	assert_true(exists(f, Q05 "/mkvps"));
	assert_true(exists(f, "/sys/devices/ap/card06/06.0047/op_modes"));
	assert_false(exists(f, Q05 "/op_modes"));
	/* vfio_ap's status on its queues; zcrypt's online on the others */
	assert_true(exists(f, "/sys/devices/ap/card0b/0b.0004/status"));
	assert_false(exists(f, "/sys/devices/ap/card0b/0b.0004/online"));
	assert_true(exists(f, Q05 "/online"));
	assert_int_equal(mode_of(f, Q05 "/reset"), 0644);
	assert_int_equal(mode_of(f, "/sys/bus/ap/apmask"), 0644);
	assert_int_equal(mode_of(f, "/sys/bus/ap/drivers/cex4card/bind"), 0200);
	assert_int_equal(mode_of(f, "/sys/devices/ap/card05/hwtype"), 0444);
	/* unbound, a card loses zcrypt's files and its driver link */
	assert_int_equal(fix_write(f, "/sys/bus/ap/drivers/cex4card/unbind", "card05"), 0);
	assert_false(exists(f, "/sys/devices/ap/card05/online"));
	assert_false(exists(f, "/sys/devices/ap/card05/type"));
	assert_false(exists(f, "/sys/devices/ap/card05/serialnr"));
	assert_false(exists(f, "/sys/devices/ap/card05/driver"));
	assert_true(exists(f, "/sys/devices/ap/card05/hwtype"));
	fix_free(f);

	f = fix_new(AP_ABI_V8);
	assert_int_equal(mode_of(f, Q05 "/reset"), 0444);
	assert_false(exists(f, "/sys/bus/ap/apmask"));
	assert_false(exists(f, "/sys/bus/ap/features"));
	assert_false(exists(f, "/sys/devices/ap/card05/chkstop"));
	assert_false(exists(f, "/sys/devices/vfio_ap/matrix/features"));
	assert_false(exists(f, "/sys/devices/ap/card0b/0b.0004/status"));
	fix_free(f);
}

/* ---- remove, with a guest ---- */

static unsigned int waits;

/* The daemon's hook, played: the guest lets go at once. */
static int release_now(void *ctx, struct ap_mdev *m)
{
	struct fix *f = ctx;

	waits++;
	matrix_detach(f->s, m);
	matrix_destroy(f->s, m);
	return 0;
}

static void test_remove_in_use_waits_through_the_hook(void **state)
{
	struct fix *f = fix_new(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	fix_create_mdev(f, UUID1);
	m = matrix_find_name(f->s, UUID1);
	assert_int_equal(matrix_attach(f->s, m, 1), 0);
	/* nobody to wait: busy, and the mdev stays */
	assert_int_equal(fix_write(f, MDEV "/remove", "1"), -EBUSY);
	assert_true(exists(f, MDEV));
	m->remove_requested = false;
	f->fs.hooks = (struct apemu_sysfs_hooks){.remove_wait = release_now, .ctx = f};
	waits = 0;
	assert_int_equal(fix_write(f, MDEV "/remove", "1"), 0);
	assert_int_equal(waits, 1);
	assert_false(exists(f, MDEV));
	/* not in use: removed at once, the hook is not called */
	fix_create_mdev(f, UUID1);
	assert_int_equal(fix_write(f, MDEV "/remove", "1"), 0);
	assert_int_equal(waits, 1);
	fix_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tables_are_well_formed),
	    cmocka_unit_test(test_names_are_unique_per_directory_and_abi),
	    cmocka_unit_test(test_every_directory_kind_is_reachable),
	    cmocka_unit_test(test_every_visible_file_reads_a_page),
	    cmocka_unit_test(test_shows_print_the_core_values),
	    cmocka_unit_test(test_stores_are_the_core_stores),
	    cmocka_unit_test(test_stores_return_the_kernel_errno),
	    cmocka_unit_test(test_files_follow_mode_driver_and_abi),
	    cmocka_unit_test(test_remove_in_use_waits_through_the_hook),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
