/*
 * fs - the FUSE operations on names, attribute files and directories, each
 * of which decodes its inode number, resolves it against the model under
 * the configuration lock, and answers the way kernfs would.
 *
 * Caching: names and attributes that can never change (the fixed skeleton,
 * the attribute files of a device while it exists) are given to the kernel
 * for STATIC_TIMEOUT; names that come and go (cards, queues, mdevs, links,
 * files that depend on a driver) for DYN_TIMEOUT while namecache.c records
 * them, which takes them back before a topology change is reported, else
 * for 0: lookups and listings are never stale. File contents are never
 * cached (direct_io): every read at offset 0 runs the show function again.
 *
 * Permissions are checked here, not by the kernel (no default_permissions):
 * like kernfs, a file without read bits cannot be opened for reading and
 * one without write bits not for writing, even by root.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_int.h"

/* An open attribute: the page the last read at offset 0 produced. */
struct handle {
	pthread_mutex_t lock;
	bool valid;
	size_t len;
	char text[SYSFS_PAGE];
};

static void stat_times(const struct apemu_sysfs *fs, struct stat *st)
{
	st->st_atim = fs->born;
	st->st_mtim = fs->born;
	st->st_ctim = fs->born;
}

/* The caller holds the configuration lock (the topology is read under it). */
static void fill_entry(const struct sysfs_ctx *c, fuse_ino_t parent, const char *name,
		       struct fuse_entry_param *e)
{
	bool fixed;

	memset(e, 0, sizeof(*e));
	sysfs_node_stat(c, &e->attr, &fixed);
	stat_times(c->fs, &e->attr);
	e->ino = e->attr.st_ino;
	e->generation = 1;
	e->attr_timeout = fixed ? STATIC_TIMEOUT : 0.0;
	if (sysfs_node_name_static(c))
		e->entry_timeout = STATIC_TIMEOUT;
	else
		e->entry_timeout =
		    sysfs_namecache_record(c->fs, parent, name, c->fs->sys->topology);
}

/* ---- names ---- */

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c, child;
	struct fuse_entry_param e;
	int err = 0;

	/* apemu_sysfs_stop()'s wake-up call: answered without the lock */
	if (parent == FUSE_ROOT_ID && !strncmp(name, WAKEUP_NAME, strlen(WAKEUP_NAME))) {
		if (atomic_load(&fs->stopping))
			fuse_session_exit(fs->se);
		fuse_reply_err(req, ENOENT);
		return;
	}
	pthread_mutex_lock(fs->lock);
	if (!ctx_get(fs, parent, &c))
		err = ENOENT;
	else
		err = -sysfs_tree_lookup_child(&c, name, &child);
	if (!err)
		fill_entry(&child, parent, name, &e);
	pthread_mutex_unlock(fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_entry(req, &e);
}

/* Nodes hold no state, so the kernel's lookup counts need no bookkeeping. */
static void op_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	(void)ino;
	(void)nlookup;
	fuse_reply_none(req);
}

static void op_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	(void)count;
	(void)forgets;
	fuse_reply_none(req);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c;
	struct stat st;
	bool ok, fixed = false;

	(void)fi;
	pthread_mutex_lock(fs->lock);
	ok = ctx_get(fs, ino, &c);
	if (ok)
		sysfs_node_stat(&c, &st, &fixed);
	pthread_mutex_unlock(fs->lock);
	if (!ok) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	stat_times(fs, &st);
	fuse_reply_attr(req, &st, fixed ? STATIC_TIMEOUT : 0.0);
}

/* Times given by value (not "now") need ownership rather than write access. */
static bool explicit_times(int to_set)
{
	return ((to_set & FUSE_SET_ATTR_ATIME) && !(to_set & FUSE_SET_ATTR_ATIME_NOW)) ||
	       ((to_set & FUSE_SET_ATTR_MTIME) && !(to_set & FUSE_SET_ATTR_MTIME_NOW));
}

/*
 * Truncation (O_TRUNC, `echo x > file`) and time updates succeed and change
 * nothing. Ownership and mode are not modelled: refused. Users other than
 * root may not change a root-owned node at all.
 */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c;
	struct stat st;
	bool ok, fixed;
	int err = 0;

	(void)attr;
	(void)fi;
	pthread_mutex_lock(fs->lock);
	ok = ctx_get(fs, ino, &c);
	if (ok)
		sysfs_node_stat(&c, &st, &fixed);
	pthread_mutex_unlock(fs->lock);
	if (!ok)
		err = ENOENT;
	else if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID))
		err = EPERM;
	else if ((to_set & FUSE_SET_ATTR_SIZE) && S_ISDIR(st.st_mode))
		err = EISDIR;
	else if (!req_root(req))
		err = explicit_times(to_set) ? EPERM : EACCES;
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	stat_times(fs, &st);
	fuse_reply_attr(req, &st, 0.0);
}

static void op_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct apemu_sysfs *fs = req_fs(req);
	char target[PATH_MAX];
	struct sysfs_ctx c;
	int err = 0;

	pthread_mutex_lock(fs->lock);
	if (!ctx_get(fs, ino, &c))
		err = ENOENT;
	else if (!sysfs_node_is_link(&c))
		err = EINVAL;
	else
		sysfs_node_readlink(&c, target, sizeof(target));
	pthread_mutex_unlock(fs->lock);
	if (err)
		fuse_reply_err(req, err);
	else
		fuse_reply_readlink(req, target);
}

/* ---- attribute files ---- */

/* kernfs: no read bits, no reading; no write bits, no writing (root too). */
static int open_check(fuse_req_t req, mode_t mode, int flags)
{
	int acc = flags & O_ACCMODE;
	bool rd = acc == O_RDONLY || acc == O_RDWR, wr = acc == O_WRONLY || acc == O_RDWR;

	if ((rd && !(mode & 0444)) || (wr && !(mode & 0222)))
		return EACCES;
	if (!req_root(req) && ((rd && !(mode & S_IROTH)) || (wr && !(mode & S_IWOTH))))
		return EACCES;
	return 0;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c;
	struct handle *h;
	int err = 0;

	pthread_mutex_lock(fs->lock);
	if (!ctx_get(fs, ino, &c))
		err = ENOENT;
	else if (sysfs_node_is_dir(&c.n))
		err = EISDIR;
	else if (!c.e || c.e->type != ENT_FILE)
		err = ELOOP;
	else
		err = open_check(req, c.e->mode, fi->flags);
	pthread_mutex_unlock(fs->lock);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	h = calloc(1, sizeof(*h));
	if (!h) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_init(&h->lock, NULL);
	fi->fh = (uintptr_t)h;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	if (fuse_reply_open(req, fi) == -ENOENT) {
		/* the opener was interrupted: nobody will release this */
		pthread_mutex_destroy(&h->lock);
		free(h);
	}
}

/* Run the show function into h; the node may have gone (ENODEV, like kernfs). */
static int handle_fill(struct apemu_sysfs *fs, fuse_ino_t ino, struct handle *h)
{
	struct sysfs_ctx c;
	int n;

	pthread_mutex_lock(fs->lock);
	if (!ctx_get(fs, ino, &c) || !c.e || !c.e->show)
		n = -ENODEV;
	else
		n = c.e->show(&c, h->text);
	pthread_mutex_unlock(fs->lock);
	if (n < 0)
		return n;
	h->len = (size_t)n;
	h->valid = true;
	return 0;
}

/*
 * A read at offset 0 shows afresh; later offsets continue that page. The
 * reply is sent from a copy: once the reader has its data it may close
 * the file, and the release may free h before this thread is done.
 */
static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	char out[SYSFS_PAGE];
	size_t n = 0;
	int r = 0;

	pthread_mutex_lock(&h->lock);
	if (off == 0 || !h->valid)
		r = handle_fill(req_fs(req), ino, h);
	if (r == 0 && off >= 0 && (size_t)off < h->len) {
		n = h->len - (size_t)off;
		if (n > size)
			n = size;
		memcpy(out, h->text + off, n);
	}
	pthread_mutex_unlock(&h->lock);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, out, n);
}

/*
 * One write is one store with the write's bytes (at most a page, made a C
 * string), whatever the offset. A write of nothing stores nothing.
 */
static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;
	size_t n = size < SYSFS_PAGE ? size : SYSFS_PAGE;
	char page[SYSFS_PAGE + 1];
	struct sysfs_ctx c;
	int r;

	(void)off;
	if (!n) {
		fuse_reply_write(req, 0);
		return;
	}
	memcpy(page, buf, n);
	page[n] = '\0';
	pthread_mutex_lock(fs->lock);
	if (!ctx_get(fs, ino, &c) || !c.e)
		r = -ENODEV;
	else if (!c.e->store)
		r = -EACCES;
	else
		r = c.e->store(&c, page, n);
	if (!r && fs->hooks.changed)
		fs->hooks.changed(fs->hooks.ctx);
	pthread_mutex_unlock(fs->lock);
	pthread_mutex_lock(&h->lock);
	h->valid = false;
	pthread_mutex_unlock(&h->lock);
	/* names the store made go or change are taken back before it returns */
	if (!r)
		sysfs_namecache_sync(fs);
	if (r < 0)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, n);
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct handle *h = (struct handle *)(uintptr_t)fi->fh;

	(void)ino;
	if (h) {
		pthread_mutex_destroy(&h->lock);
		free(h);
	}
	fuse_reply_err(req, 0);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	(void)fi;
	fuse_reply_err(req, 0);
}

/* ---- directories ---- */

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c;
	int err = 0;

	pthread_mutex_lock(fs->lock);
	if (!ctx_get(fs, ino, &c))
		err = ENOENT;
	else if (!sysfs_node_is_dir(&c.n))
		err = ENOTDIR;
	pthread_mutex_unlock(fs->lock);
	if (err) {
		fuse_reply_err(req, err);
		return;
	}
	fi->fh = 0;
	fuse_reply_open(req, fi);
}

/* The file type bits of a listed node. */
static mode_t listed_type(const struct node *n)
{
	const struct sysfs_entry *e;

	if (sysfs_node_is_dir(n))
		return S_IFDIR;
	if (n->kind > K_DIR_LAST || !n->idx)
		return S_IFLNK;
	e = &sysfs_dirs[n->kind].ents[n->idx - 1];
	return e->type == ENT_LINK ? S_IFLNK : S_IFREG;
}

/*
 * Fill buf with the entries from position off on (see DIRPOS_*): each
 * entry carries the position after it, so the next call resumes there.
 */
static size_t list_dir(fuse_req_t req, const struct sysfs_ctx *c, char *buf, size_t size,
		       uint64_t pos)
{
	struct dyn_child child;
	size_t used = 0;

	for (;; pos++) {
		struct stat st = {0};
		const char *name;
		size_t need;

		if (pos <= 2) {
			struct node parent;

			sysfs_node_parent(c, &parent);
			name = pos == 1 ? "." : "..";
			st.st_ino =
			    pos == 1 ? sysfs_node_encode(&c->n) : sysfs_node_encode(&parent);
			st.st_mode = S_IFDIR;
		} else {
			if (!sysfs_tree_next(c, pos, &child, &pos))
				break;
			name = child.name;
			st.st_ino = sysfs_node_encode(&child.n);
			st.st_mode = listed_type(&child.n);
		}
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)pos + 1);
		if (need > size - used)
			break;
		used += need;
	}
	return used;
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c;
	size_t used = 0;
	char *buf;
	bool ok;

	(void)fi;
	buf = malloc(size ? size : 1);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	pthread_mutex_lock(fs->lock);
	ok = ctx_get(fs, ino, &c) && sysfs_node_is_dir(&c.n);
	if (ok)
		used = list_dir(req, &c, buf, size, off > 0 ? (uint64_t)off : 1);
	pthread_mutex_unlock(fs->lock);
	if (ok)
		fuse_reply_buf(req, buf, used);
	else
		fuse_reply_err(req, ENOENT);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

const struct fuse_lowlevel_ops sysfs_ops = {
    .init = sysfs_op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .readlink = op_readlink,
    .mknod = sysfs_op_mknod,
    .mkdir = sysfs_op_mkdir,
    .unlink = sysfs_op_unlink,
    .rmdir = sysfs_op_unlink,
    .symlink = sysfs_op_symlink,
    .rename = sysfs_op_rename,
    .link = sysfs_op_link,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .fsync = op_fsync,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
    .statfs = sysfs_op_statfs,
    .setxattr = sysfs_op_setxattr,
    .getxattr = sysfs_op_getxattr,
    .listxattr = sysfs_op_listxattr,
    .removexattr = sysfs_op_removexattr,
    .access = sysfs_op_access,
    .create = sysfs_op_create,
};
