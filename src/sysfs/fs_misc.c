/*
 * fs_misc - the FUSE operations that change nothing: what sysfs refuses
 * (creating, linking, renaming, removing), access(2), statfs and extended
 * attributes, and the connection setup.
 *
 * The errno of each refusal is what the VFS and kernfs give: for users
 * other than root the directory permission check fails first (EACCES);
 * for root, creating a file fails with EACCES (kernfs has no create), the
 * rest with EPERM (no such operation).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fs_int.h"

/* Creating is refused by the VFS with EACCES (no create operation). */
void sysfs_op_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
		     struct fuse_file_info *fi)
{
	(void)parent;
	(void)name;
	(void)mode;
	(void)fi;
	fuse_reply_err(req, EACCES);
}

/* mknod of a regular file is a create; other kinds need an operation sysfs lacks. */
void sysfs_op_mknod(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode, dev_t rdev)
{
	(void)parent;
	(void)name;
	(void)rdev;
	if (!req_root(req) || S_ISREG(mode) || !(mode & S_IFMT))
		fuse_reply_err(req, EACCES);
	else
		fuse_reply_err(req, EPERM);
}

/* The directory permission check comes first; then the missing operation. */
static void refuse(fuse_req_t req)
{
	fuse_reply_err(req, req_root(req) ? EPERM : EACCES);
}

void sysfs_op_mkdir(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode)
{
	(void)parent;
	(void)name;
	(void)mode;
	refuse(req);
}

void sysfs_op_unlink(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	(void)parent;
	(void)name;
	refuse(req);
}

void sysfs_op_symlink(fuse_req_t req, const char *link, fuse_ino_t parent, const char *name)
{
	(void)link;
	(void)parent;
	(void)name;
	refuse(req);
}

void sysfs_op_link(fuse_req_t req, fuse_ino_t ino, fuse_ino_t newparent, const char *newname)
{
	(void)ino;
	(void)newparent;
	(void)newname;
	refuse(req);
}

void sysfs_op_rename(fuse_req_t req, fuse_ino_t parent, const char *name, fuse_ino_t newparent,
		     const char *newname, unsigned int flags)
{
	(void)parent;
	(void)name;
	(void)newparent;
	(void)newname;
	if (req_root(req) && flags)
		fuse_reply_err(req, EINVAL);
	else
		refuse(req);
}

/*
 * access(2) as the kernel's generic check would answer for root-owned
 * nodes: root may read and write anything (open then applies kernfs's own
 * rule) and execute what has an x bit; others get the "other" bits.
 */
void sysfs_op_access(fuse_req_t req, fuse_ino_t ino, int mask)
{
	struct apemu_sysfs *fs = req_fs(req);
	struct sysfs_ctx c;
	struct stat st;
	bool ok, fixed;
	int err = 0;

	pthread_mutex_lock(fs->lock);
	ok = ctx_get(fs, ino, &c);
	if (ok)
		sysfs_node_stat(&c, &st, &fixed);
	pthread_mutex_unlock(fs->lock);
	if (!ok)
		err = ENOENT;
	else if (req_root(req))
		err = (mask & X_OK) && !(st.st_mode & 0111) ? EACCES : 0;
	else if (((mask & R_OK) && !(st.st_mode & S_IROTH)) ||
		 ((mask & W_OK) && !(st.st_mode & S_IWOTH)) ||
		 ((mask & X_OK) && !(st.st_mode & S_IXOTH)))
		err = EACCES;
	fuse_reply_err(req, err);
}

void sysfs_op_statfs(fuse_req_t req, fuse_ino_t ino)
{
	struct statvfs sv = {0};

	(void)ino;
	sv.f_bsize = SYSFS_PAGE;
	sv.f_frsize = SYSFS_PAGE;
	sv.f_namemax = 255;
	fuse_reply_statfs(req, &sv);
}

/* No extended attributes are stored. */
void sysfs_op_getxattr(fuse_req_t req, fuse_ino_t ino, const char *name, size_t size)
{
	(void)ino;
	(void)name;
	(void)size;
	fuse_reply_err(req, ENODATA);
}

void sysfs_op_listxattr(fuse_req_t req, fuse_ino_t ino, size_t size)
{
	(void)ino;
	if (!size)
		fuse_reply_xattr(req, 0);
	else
		fuse_reply_buf(req, NULL, 0);
}

void sysfs_op_setxattr(fuse_req_t req, fuse_ino_t ino, const char *name, const char *value,
		       size_t size, int flags)
{
	(void)ino;
	(void)name;
	(void)value;
	(void)size;
	(void)flags;
	fuse_reply_err(req, req_root(req) ? EOPNOTSUPP : EPERM);
}

void sysfs_op_removexattr(fuse_req_t req, fuse_ino_t ino, const char *name)
{
	(void)ino;
	(void)name;
	fuse_reply_err(req, req_root(req) ? ENODATA : EPERM);
}

/* O_TRUNC comes with open then, instead of as a separate truncation. */
void sysfs_op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~(unsigned int)(FUSE_CAP_READDIRPLUS | FUSE_CAP_AUTO_INVAL_DATA);
}
