/*
 * namecache - lets the kernel cache the names that come and go (cards,
 * queues, mdevs, driver links, driver-dependent files) and takes them back
 * when the model's topology changes.
 *
 * A dynamic name is handed out with DYN_TIMEOUT only if it is recorded here
 * at the topology generation it was resolved under; when the generation
 * moves on, every recorded name is invalidated (notify_inval_entry) before
 * the change is reported to whoever made it, so nobody sees a stale name.
 * At most NAMECACHE_MAX names are recorded; past that, names go out
 * uncached (timeout 0), as they all did before.
 *
 * Lock order: the configuration lock is never held while invalidating (the
 * kernel may need a lookup, which needs it, to finish first); cache_lock is
 * innermost.
 */
#include <stdlib.h>

#include "fs_int.h"

#define NAMECACHE_MAX 8192

struct cached_name {
	fuse_ino_t parent;
	char name[NAME_MAX_SYSFS];
};

void sysfs_namecache_init(struct apemu_sysfs *fs)
{
	pthread_mutex_init(&fs->cache_lock, NULL);
}

void sysfs_namecache_free(struct apemu_sysfs *fs)
{
	free(fs->cache);
	fs->cache = NULL;
	pthread_mutex_destroy(&fs->cache_lock);
}

double sysfs_namecache_record(struct apemu_sysfs *fs, fuse_ino_t parent, const char *name,
			      uint64_t gen)
{
	struct cached_name *n;
	size_t len = strlen(name);
	double timeout = 0.0;

	if (len >= NAME_MAX_SYSFS)
		return 0.0;
	pthread_mutex_lock(&fs->cache_lock);
	if (gen != fs->cache_gen || fs->ncache >= NAMECACHE_MAX)
		goto out;
	if (fs->ncache == fs->cache_cap) {
		size_t cap = fs->cache_cap ? fs->cache_cap * 2 : 256;
		struct cached_name *c = realloc(fs->cache, cap * sizeof(*c));

		if (!c)
			goto out;
		fs->cache = c;
		fs->cache_cap = cap;
	}
	n = &fs->cache[fs->ncache++];
	n->parent = parent;
	memcpy(n->name, name, len + 1);
	timeout = DYN_TIMEOUT;
out:
	pthread_mutex_unlock(&fs->cache_lock);
	return timeout;
}

void sysfs_namecache_sync(struct apemu_sysfs *fs)
{
	struct cached_name *names;
	size_t count;
	uint64_t gen;

	pthread_mutex_lock(fs->lock);
	gen = fs->sys->topology;
	pthread_mutex_unlock(fs->lock);
	pthread_mutex_lock(&fs->cache_lock);
	if (gen == fs->cache_gen) {
		pthread_mutex_unlock(&fs->cache_lock);
		return;
	}
	names = fs->cache;
	count = fs->ncache;
	fs->cache = NULL;
	fs->ncache = fs->cache_cap = 0;
	fs->cache_gen = gen;
	pthread_mutex_unlock(&fs->cache_lock);
	/* a name the kernel has forgotten answers -ENOENT: nothing to do */
	for (size_t i = 0; i < count; i++)
		fuse_lowlevel_notify_inval_entry(fs->se, names[i].parent, names[i].name,
						 strlen(names[i].name));
	free(names);
}

void apemu_sysfs_sync(struct apemu_sysfs *fs)
{
	if (fs && fs->se)
		sysfs_namecache_sync(fs);
}
