/*
 * fuse_baseline - the least a FUSE sysfs can cost: a minimal libfuse3
 * low-level filesystem serving a few small attribute files with the same
 * content and the same FUSE settings as apemu's tree, for sysfs_bench to
 * compare against in the same run. Not installed.
 *
 *   fuse_baseline [--ready-fd N] [--dir-entries N] MOUNTPOINT
 *
 * The tree (the same paths as in apemu's tree of the default machine):
 *   bus/ap/ap_domain                 "4\n"             (0644, writes accepted)
 *   bus/ap/apmask                    "0xff...ff\n"     (0644, writes accepted)
 *   bus/ap/devices/                  N listed names (default 65,792: card00..cardff
 *                                    and 00.0000..ff.00ff), readdir only
 *   devices/ap/card05/05.0004/online "1\n"             (0644, writes accepted)
 *
 * What matches apemu (src/sysfs): FUSE_USE_VERSION 312, the low-level API,
 * fuse_session_loop_mt with clone_fd 0, 64 threads at most and 8 idle; the
 * mount options fsname/subtype, allow_other, noexec; entry and attribute
 * timeouts of 3600 s (STATIC_TIMEOUT, what apemu gives static attribute
 * files); direct_io and no keep_cache on open; FUSE_CAP_ATOMIC_O_TRUNC
 * wanted, readdirplus and auto_inval_data off; a read at offset 0 copies
 * the text under a lock, a write stores the written bytes (one page at most)
 * under a lock and answers the full size.
 *
 * --ready-fd N gets "OK\n" once mounted (before the loop runs), like
 * apemud's. SIGTERM/SIGINT end the loop; the tree is then unmounted.
 */
#define FUSE_USE_VERSION 312

#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT	     3600.0 /* apemu's STATIC_TIMEOUT */
#define MAX_THREADS  64
#define IDLE_THREADS 8
#define PAGE	     4096
#define BIG_INO_BASE 1000 /* listed names of bus/ap/devices: ino 1000 + i */

enum { DIR_NODE, FILE_NODE, BIG_DIR };

struct bnode {
	const char *name;
	fuse_ino_t parent;
	int type;
	char text[PAGE + 1];
	size_t len;
};

/* Index = inode number; 1 is the root. */
static struct bnode nodes[] = {
    [0] = {NULL, 0, DIR_NODE, "", 0},
    [1] = {"", 1, DIR_NODE, "", 0},
    [2] = {"bus", 1, DIR_NODE, "", 0},
    [3] = {"ap", 2, DIR_NODE, "", 0},
    [4] = {"ap_domain", 3, FILE_NODE, "4\n", 2},
    [5] = {"apmask", 3, FILE_NODE,
	   "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff\n", 67},
    [6] = {"devices", 3, BIG_DIR, "", 0},
    [7] = {"devices", 1, DIR_NODE, "", 0},
    [8] = {"ap", 7, DIR_NODE, "", 0},
    [9] = {"card05", 8, DIR_NODE, "", 0},
    [10] = {"05.0004", 9, DIR_NODE, "", 0},
    [11] = {"online", 10, FILE_NODE, "1\n", 2},
};
#define N_NODES (sizeof(nodes) / sizeof(nodes[0]))

static pthread_mutex_t text_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long dir_entries = 65792;
static struct timespec born;

static bool valid_ino(fuse_ino_t ino)
{
	return ino >= 1 && ino < N_NODES;
}

static void fill_stat(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_blksize = PAGE;
	st->st_atim = st->st_mtim = st->st_ctim = born;
	if (nodes[ino].type == FILE_NODE) {
		st->st_mode = S_IFREG | 0644;
		st->st_nlink = 1;
		st->st_size = PAGE;
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
	conn->want &= ~(unsigned int)(FUSE_CAP_READDIRPLUS | FUSE_CAP_AUTO_INVAL_DATA);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_entry_param e;

	for (fuse_ino_t i = 2; i < N_NODES; i++) {
		if (nodes[i].parent != parent || strcmp(nodes[i].name, name))
			continue;
		memset(&e, 0, sizeof(e));
		fill_stat(i, &e.attr);
		e.ino = i;
		e.generation = 1;
		e.attr_timeout = TIMEOUT;
		e.entry_timeout = TIMEOUT;
		fuse_reply_entry(req, &e);
		return;
	}
	fuse_reply_err(req, ENOENT);
}

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
	struct stat st;

	(void)fi;
	if (!valid_ino(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, TIMEOUT);
}

/* Truncation and time updates succeed and change nothing (as in apemu). */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct stat st;

	(void)attr;
	(void)fi;
	if (!valid_ino(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fill_stat(ino, &st);
	fuse_reply_attr(req, &st, 0.0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!valid_ino(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (nodes[ino].type != FILE_NODE) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->fh = 0;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	char out[PAGE];
	size_t n = 0;

	(void)fi;
	pthread_mutex_lock(&text_lock);
	if (off >= 0 && (size_t)off < nodes[ino].len) {
		n = nodes[ino].len - (size_t)off;
		if (n > size)
			n = size;
		memcpy(out, nodes[ino].text + off, n);
	}
	pthread_mutex_unlock(&text_lock);
	fuse_reply_buf(req, out, n);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	size_t n = size < PAGE ? size : PAGE;

	(void)off;
	(void)fi;
	if (n) {
		pthread_mutex_lock(&text_lock);
		memcpy(nodes[ino].text, buf, n);
		nodes[ino].text[n] = '\0';
		nodes[ino].len = n;
		pthread_mutex_unlock(&text_lock);
	}
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
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static void op_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (!valid_ino(ino)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (nodes[ino].type == FILE_NODE) {
		fuse_reply_err(req, ENOTDIR);
		return;
	}
	fi->fh = 0;
	fuse_reply_open(req, fi);
}

/* Positions: 1 ".", 2 "..", then the children; each entry's offset is the next position. */
static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	char *buf = malloc(size ? size : 1);
	size_t used = 0;
	uint64_t pos = off > 0 ? (uint64_t)off : 1;

	(void)fi;
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (;; pos++) {
		struct stat st = {0};
		char name[32];
		size_t need;

		if (pos <= 2) {
			snprintf(name, sizeof(name), "%s", pos == 1 ? "." : "..");
			st.st_ino = pos == 1 ? ino : nodes[ino].parent;
			st.st_mode = S_IFDIR;
		} else if (nodes[ino].type == BIG_DIR) {
			uint64_t i = pos - 3;

			if (i >= dir_entries)
				break;
			if (i < 256)
				snprintf(name, sizeof(name), "card%02x", (unsigned int)i);
			else
				snprintf(name, sizeof(name), "%02x.%04x",
					 (unsigned int)((i - 256) >> 8) & 0xff,
					 (unsigned int)(i - 256) & 0xff);
			st.st_ino = BIG_INO_BASE + i;
			st.st_mode = S_IFLNK;
		} else {
			/* the (pos - 2)-th child of ino */
			uint64_t k = 0;
			fuse_ino_t c;

			for (c = 2; c < N_NODES; c++)
				if (nodes[c].parent == ino && ++k == pos - 2)
					break;
			if (c >= N_NODES)
				break;
			snprintf(name, sizeof(name), "%s", nodes[c].name);
			st.st_ino = c;
			st.st_mode = nodes[c].type == FILE_NODE ? S_IFREG : S_IFDIR;
		}
		need = fuse_add_direntry(req, buf + used, size - used, name, &st, (off_t)pos + 1);
		if (need > size - used)
			break;
		used += need;
	}
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);
}

static const struct fuse_lowlevel_ops ops = {
    .init = op_init,
    .lookup = op_lookup,
    .forget = op_forget,
    .forget_multi = op_forget_multi,
    .getattr = op_getattr,
    .setattr = op_setattr,
    .open = op_open,
    .read = op_read,
    .write = op_write,
    .flush = op_flush,
    .release = op_release,
    .opendir = op_opendir,
    .readdir = op_readdir,
    .releasedir = op_releasedir,
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: fuse_baseline [--ready-fd N] [--dir-entries N] MOUNTPOINT\n");
}

static struct fuse_session *mount_session(const char *mountpoint, const char *opts)
{
	char *argv[] = {"fuse_baseline", "-o", (char *)opts, NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);

	fuse_opt_free_args(&args);
	if (!se)
		return NULL;
	if (fuse_session_mount(se, mountpoint) != 0) {
		fuse_session_destroy(se);
		return NULL;
	}
	return se;
}

int main(int argc, char **argv)
{
	const char *mountpoint = NULL;
	struct fuse_loop_config *cfg;
	struct fuse_session *se;
	int ready_fd = -1, r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--ready-fd") && i + 1 < argc) {
			ready_fd = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--dir-entries") && i + 1 < argc) {
			dir_entries = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (argv[i][0] != '-' && !mountpoint) {
			mountpoint = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!mountpoint) {
		usage(stderr);
		return 2;
	}
	clock_gettime(CLOCK_REALTIME, &born);
	se = mount_session(mountpoint, "fsname=fuse_baseline,subtype=fuse_baseline,allow_other,"
				       "noexec");
	if (!se) /* allow_other needs root or user_allow_other in /etc/fuse.conf */
		se = mount_session(mountpoint, "fsname=fuse_baseline,subtype=fuse_baseline,noexec");
	if (!se) {
		fprintf(stderr, "fuse_baseline: cannot mount at %s\n", mountpoint);
		if (ready_fd >= 0 && write(ready_fd, "ERR cannot mount\n", 17) < 0)
			perror("fuse_baseline: ready descriptor");
		return 1;
	}
	if (fuse_set_signal_handlers(se) != 0) {
		fprintf(stderr, "fuse_baseline: cannot set signal handlers\n");
		fuse_session_unmount(se);
		fuse_session_destroy(se);
		return 1;
	}
	if (ready_fd >= 0) {
		if (write(ready_fd, "OK\n", 3) < 0)
			perror("fuse_baseline: ready descriptor");
		close(ready_fd);
	}
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		r = -ENOMEM;
	} else {
		fuse_loop_cfg_set_clone_fd(cfg, 0);
		fuse_loop_cfg_set_max_threads(cfg, MAX_THREADS);
		fuse_loop_cfg_set_idle_threads(cfg, IDLE_THREADS);
		r = fuse_session_loop_mt(se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	fuse_remove_signal_handlers(se);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	return r < 0 ? 1 : 0;
}
