/*
 * session - the life of the mount: creating the FUSE session and mounting
 * it (refusing a stale or an occupied mountpoint), the multi-threaded
 * request loop, stopping it from any thread, and unmounting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_int.h"

const struct apemu_sysfs_hooks *sysfs_hooks(const struct apemu_sysfs *fs)
{
	return &fs->hooks;
}

/* Undo the octal escapes (\040 and friends) of /proc/self/mountinfo. */
static void unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 | (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

static bool is_mount_point(const char *path)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mount-point ... */
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		unescape(mnt);
		found = !strcmp(mnt, path);
	}
	fclose(f);
	return found;
}

/*
 * -ENOTCONN: a dead FUSE mount is there; -EBUSY: anything else is mounted.
 * The stat is forced past the kernel's attribute cache, which would still
 * answer for the root of a FUSE mount whose server is gone.
 */
static int check_mountpoint(const char *path, char **ret_real)
{
	struct statx stx;
	char *real;

	if (statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_TYPE, &stx) < 0)
		return -errno;
	if (!S_ISDIR(stx.stx_mode))
		return -ENOTDIR;
	real = realpath(path, NULL);
	if (!real)
		return -errno;
	if (is_mount_point(real)) {
		free(real);
		return -EBUSY;
	}
	*ret_real = real;
	return 0;
}

static int session_create(struct apemu_sysfs *fs)
{
	char *argv[] = {"apemu", "-o", "fsname=apemu,subtype=apemu,allow_other,noexec", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);

	fs->se = fuse_session_new(&args, &sysfs_ops, sizeof(sysfs_ops), fs);
	fuse_opt_free_args(&args);
	if (!fs->se)
		return -ENOMEM;
	if (fuse_session_mount(fs->se, fs->mountpoint) != 0)
		return -EIO;
	fs->mounted = true;
	return 0;
}

int apemu_sysfs_new(struct ap_system *sys, pthread_mutex_t *lock, const char *mountpoint,
		    const struct apemu_sysfs_hooks *hooks, struct apemu_sysfs **ret_fs)
{
	struct apemu_sysfs *fs;
	char *real = NULL;
	int r;

	if (!sys || !lock || !mountpoint || !ret_fs)
		return -EINVAL;
	r = check_mountpoint(mountpoint, &real);
	if (r < 0)
		return r;
	fs = calloc(1, sizeof(*fs));
	if (!fs) {
		free(real);
		return -ENOMEM;
	}
	fs->sys = sys;
	fs->cache_gen = sys->topology;
	fs->lock = lock;
	if (hooks)
		fs->hooks = *hooks;
	fs->mountpoint = real;
	clock_gettime(CLOCK_REALTIME, &fs->born);
	pthread_mutex_init(&fs->state, NULL);
	sysfs_namecache_init(fs);
	r = session_create(fs);
	if (r < 0) {
		apemu_sysfs_free(fs);
		return r;
	}
	*ret_fs = fs;
	return 0;
}

int apemu_sysfs_run(struct apemu_sysfs *fs)
{
	struct fuse_loop_config *cfg;
	int r;

	pthread_mutex_lock(&fs->state);
	if (atomic_load(&fs->stopping)) {
		pthread_mutex_unlock(&fs->state);
		return 0;
	}
	fs->running = true;
	pthread_mutex_unlock(&fs->state);
	cfg = fuse_loop_cfg_create();
	if (!cfg) {
		r = -ENOMEM;
	} else {
		fuse_loop_cfg_set_clone_fd(cfg, 0);
		fuse_loop_cfg_set_max_threads(cfg, MAX_THREADS);
		fuse_loop_cfg_set_idle_threads(cfg, IDLE_THREADS);
		r = fuse_session_loop_mt(fs->se, cfg);
		fuse_loop_cfg_destroy(cfg);
	}
	pthread_mutex_lock(&fs->state);
	fs->running = false;
	pthread_mutex_unlock(&fs->state);
	return r < 0 ? r : 0;
}

/*
 * The loop's workers sleep in read(2) on /dev/fuse and look at the exit
 * flag only after a request; a request read once the flag is set is
 * dropped unanswered. So the flag is set by the worker that answers our
 * own wake-up lookup (see op_lookup), which then ends, and the loop
 * cancels the other workers. The lookup is made once, only while the loop
 * runs (state is held, so it cannot end in between), and is answered
 * without the configuration lock, so a caller holding that lock is safe.
 * A stop before apemu_sysfs_run() makes it return at once.
 */
void apemu_sysfs_stop(struct apemu_sysfs *fs)
{
	char path[PATH_MAX + 64];
	struct stat st;

	if (!fs || !fs->se)
		return;
	pthread_mutex_lock(&fs->state);
	if (!atomic_exchange(&fs->stopping, true)) {
		if (fs->running && fs->mounted) {
			snprintf(path, sizeof(path), "%s/%s-%u", fs->mountpoint, WAKEUP_NAME,
				 atomic_fetch_add(&fs->wakeups, 1));
			(void)lstat(path, &st);
		} else {
			fuse_session_exit(fs->se);
		}
	}
	pthread_mutex_unlock(&fs->state);
}

void apemu_sysfs_free(struct apemu_sysfs *fs)
{
	if (!fs)
		return;
	if (fs->se) {
		if (fs->mounted)
			fuse_session_unmount(fs->se);
		fuse_session_destroy(fs->se);
	}
	pthread_mutex_destroy(&fs->state);
	sysfs_namecache_free(fs);
	free(fs->mountpoint);
	free(fs);
}
