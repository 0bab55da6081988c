/*
 * fs_int - what the FUSE files share: the mount's state and the helpers
 * every operation starts with.
 */
#ifndef APEMU_SYSFS_FS_INT_H
#define APEMU_SYSFS_FS_INT_H

#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "sysfs_int.h"

#ifndef STATIC_TIMEOUT
#define STATIC_TIMEOUT 3600.0
#endif
#define DYN_TIMEOUT    3600.0 /* names that come and go, while recorded (namecache.c) */
#define NAME_MAX_SYSFS 48
#define MAX_THREADS    64
#define IDLE_THREADS   8
#define WAKEUP_NAME    ".apemu-wakeup" /* see apemu_sysfs_stop() */

struct apemu_sysfs {
	struct ap_system *sys;
	pthread_mutex_t *lock; /* the configuration lock */
	struct apemu_sysfs_hooks hooks;
	struct fuse_session *se;
	char *mountpoint;
	bool mounted;
	struct timespec born;  /* the time every node shows */
	pthread_mutex_t state; /* running; taken after the configuration lock, never before */
	bool running;
	atomic_bool stopping;
	atomic_uint wakeups;
	/* namecache.c: dynamic names the kernel may cache */
	pthread_mutex_t cache_lock;
	struct cached_name *cache;
	size_t ncache, cache_cap;
	uint64_t cache_gen; /* the topology they were resolved under */
};

void sysfs_namecache_init(struct apemu_sysfs *fs);
void sysfs_namecache_free(struct apemu_sysfs *fs);
/* The entry timeout for a dynamic name resolved at topology gen. */
double sysfs_namecache_record(struct apemu_sysfs *fs, fuse_ino_t parent, const char *name,
			      uint64_t gen);
/* Invalidate every recorded name if the topology moved on. Configuration lock NOT held. */
void sysfs_namecache_sync(struct apemu_sysfs *fs);

static inline struct apemu_sysfs *req_fs(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static inline bool req_root(fuse_req_t req)
{
	return fuse_req_ctx(req)->uid == 0;
}

/* Decode and resolve ino; the caller holds fs->lock. */
static inline bool ctx_get(struct apemu_sysfs *fs, fuse_ino_t ino, struct sysfs_ctx *c)
{
	memset(c, 0, sizeof(*c));
	c->fs = fs;
	c->s = fs->sys;
	return sysfs_node_decode(ino, &c->n) && sysfs_ctx_resolve(c);
}

/* The operations table (fs.c) and the operations of fs_misc.c. */
extern const struct fuse_lowlevel_ops sysfs_ops;
void sysfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     struct fuse_file_info *fi);
void sysfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev);
void sysfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode);
void sysfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name);
void sysfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name);
void sysfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname);
void sysfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		     const char *newname, unsigned int flags);
void sysfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask);
void sysfs_op_statfs(fuse_req_t req, fuse_ino_t ino);
void sysfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size);
void sysfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size);
void sysfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		       size_t size, int flags);
void sysfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name);
void sysfs_op_init(void *userdata, struct fuse_conn_info *conn);

#endif
