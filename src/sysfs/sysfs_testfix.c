/*
 * sysfs_testfix - the shared fixture of the tree's unit tests (see the
 * header).
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

#define MAX_COMPONENTS 32
#define MAX_HOPS       40 /* the VFS's limit of links in one walk */

static const unsigned int usage_domains[] = {0x04, 0x47, 0xab, 0xff};

static void add_adapter(struct ap_machine *hw, unsigned int id, unsigned int gen, enum ap_mode mode)
{
	struct ap_adapter_desc d = {
	    .id = id, .gen = gen, .mode = mode, .depth = -1, .max_msg_size = -1};

	assert_int_equal(machine_add_adapter(hw, &d), 0);
}

struct fix *fix_new(enum ap_abi abi)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = true, .na = 255, .nd = 255};
	struct fix *f = calloc(1, sizeof(*f));
	struct ap_mask apmask;

	assert_non_null(f);
	for (size_t i = 0; i < sizeof(usage_domains) / sizeof(usage_domains[0]); i++)
		ap_mask_set(&info.usage_domains, usage_domains[i]);
	ap_mask_fill(&info.control_domains, 15);
	ap_mask_or(&info.control_domains, &info.control_domains, &info.usage_domains);
	assert_int_equal(machine_init(&f->hw, &info), 0);
	add_adapter(&f->hw, 0x04, 8, AP_MODE_ACCEL);
	add_adapter(&f->hw, 0x05, 7, AP_MODE_CCA);
	add_adapter(&f->hw, 0x06, 8, AP_MODE_EP11);
	add_adapter(&f->hw, 0x0b, 8, AP_MODE_ACCEL);
	ap_mask_fill(&apmask, 255);
	ap_mask_clear(&apmask, 0x0b);
	f->s = calloc(1, sizeof(*f->s));
	assert_non_null(f->s);
	assert_int_equal(ap_system_init(f->s, abi, &f->hw, &apmask, NULL, -1, 0), 0);
	pthread_mutex_init(&f->lock, NULL);
	f->fs.sys = f->s;
	f->fs.lock = &f->lock;
	f->fs.cache_gen = f->s->topology;
	sysfs_namecache_init(&f->fs);
	return f;
}

void fix_free(struct fix *f)
{
	if (!f)
		return;
	sysfs_namecache_free(&f->fs);
	ap_system_clear(f->s);
	free(f->s);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void fix_root(struct fix *f, struct sysfs_ctx *ret)
{
	assert_true(ctx_get(&f->fs, FUSE_ROOT_ID, ret));
}

/* Split path into comp[], dropping "" and ".". */
static size_t split(char *path, char **comp)
{
	size_t n = 0;

	for (char *save = NULL, *t = strtok_r(path, "/", &save); t;
	     t = strtok_r(NULL, "/", &save)) {
		if (!strcmp(t, "."))
			continue;
		assert_true(n < MAX_COMPONENTS);
		comp[n++] = t;
	}
	return n;
}

/*
 * ".." of a resolved directory, as the VFS takes it: the directory's real
 * parent (sysfs_node_parent), whatever link led there.
 */
static void go_up(const struct sysfs_ctx *dir, struct sysfs_ctx *ret)
{
	*ret = *dir;
	sysfs_node_parent(dir, &ret->n);
	assert_true(sysfs_ctx_resolve(ret));
}

int fix_walk(struct fix *f, const char *path, bool follow, struct sysfs_ctx *ret)
{
	char buf[PATH_MAX], next[PATH_MAX], target[PATH_MAX], dir[PATH_MAX];

	if (!strncmp(path, "/sys", 4) && (path[4] == '/' || !path[4]))
		path += 4;
	snprintf(buf, sizeof(buf), "%s", path);
	for (int hops = 0; hops <= MAX_HOPS; hops++) {
		char *comp[MAX_COMPONENTS];
		size_t n = split(buf, comp), i, len;
		struct sysfs_ctx c, child;

		fix_root(f, &c);
		for (i = 0; i < n; i++) {
			int r;

			if (!strcmp(comp[i], "..")) {
				if (!sysfs_node_is_dir(&c.n))
					return -ENOTDIR;
				go_up(&c, &child);
			} else if ((r = sysfs_tree_lookup_child(&c, comp[i], &child)) < 0) {
				return r;
			}
			if (sysfs_node_is_link(&child) && (i + 1 < n || follow))
				break;
			c = child;
		}
		if (i == n) {
			*ret = c;
			return 0;
		}
		/* go on from the link's directory (a real path) with its target */
		sysfs_path_of_dir(&c, dir, sizeof(dir));
		sysfs_node_readlink(&child, target, sizeof(target));
		len = (size_t)snprintf(next, sizeof(next), "%s/%s", dir, target);
		for (size_t k = i + 1; k < n; k++)
			len += (size_t)snprintf(next + len, sizeof(next) - len, "/%s", comp[k]);
		assert_true(len < sizeof(next));
		memcpy(buf, next, sizeof(buf));
	}
	return -ELOOP;
}

int fix_read(struct fix *f, const char *path, char buf[SYSFS_PAGE])
{
	struct sysfs_ctx c;
	int r = fix_walk(f, path, true, &c);

	if (r < 0)
		return r;
	if (sysfs_node_is_dir(&c.n))
		return -EISDIR;
	if (!c.e->show)
		return -EACCES;
	memset(buf, 0, SYSFS_PAGE);
	return c.e->show(&c, buf);
}

int fix_write(struct fix *f, const char *path, const char *text)
{
	char page[SYSFS_PAGE + 1];
	struct sysfs_ctx c;
	size_t n = strlen(text);
	int r = fix_walk(f, path, true, &c);

	if (r < 0)
		return r;
	if (sysfs_node_is_dir(&c.n))
		return -EISDIR;
	if (!c.e->store)
		return -EACCES;
	assert_true(n > 0 && n <= SYSFS_PAGE);
	memcpy(page, text, n + 1);
	return c.e->store(&c, page, n);
}

int fix_readlink(struct fix *f, const char *path, char *buf, size_t size)
{
	struct sysfs_ctx c;
	int r = fix_walk(f, path, false, &c);

	if (r < 0)
		return r;
	if (!sysfs_node_is_link(&c))
		return -EINVAL;
	sysfs_node_readlink(&c, buf, size);
	return 0;
}

void fix_create_mdev(struct fix *f, const char *uuid)
{
	assert_int_equal(
	    fix_write(f,
		      "/sys/devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create",
		      uuid),
	    0);
}

static void visit_dir(struct fix *f, const struct sysfs_ctx *dir, const char *path,
		      fix_visit_fn *fn, void *ctx, unsigned int depth)
{
	struct dyn_child child;
	uint64_t pos = DIRPOS_STATIC;

	assert_true(depth < 16);
	while (sysfs_tree_next(dir, pos, &child, &pos)) {
		char sub[PATH_MAX];
		struct sysfs_ctx c;

		pos++;
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "/" : "", child.name);
		fn(f, dir, &child, sub, ctx);
		if (!sysfs_node_is_dir(&child.n))
			continue;
		memset(&c, 0, sizeof(c));
		c.fs = &f->fs;
		c.s = f->s;
		c.n = child.n;
		assert_true(sysfs_ctx_resolve(&c));
		visit_dir(f, &c, sub, fn, ctx, depth + 1);
	}
}

void fix_for_each(struct fix *f, fix_visit_fn *fn, void *ctx)
{
	struct sysfs_ctx root;

	fix_root(f, &root);
	visit_dir(f, &root, "", fn, ctx, 0);
}
