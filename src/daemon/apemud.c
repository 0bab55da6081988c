/*
 * apemud - the apemu daemon: loads the machine description, mounts the
 * emulated sysfs tree (FUSE) and serves the control socket beside it.
 *
 *   apemud [--machine FILE] [--mount DIR] [--socket PATH] [--ready-fd N]
 *
 * Threads: main runs the FUSE loop (apemu_sysfs_run); the control thread
 * serves the socket and turns SIGTERM/SIGINT (blocked everywhere, read from
 * a signalfd) into a stop. Both share the one configuration lock.
 * --ready-fd N gets "OK\n" once the tree is mounted and the socket served,
 * or "ERR <message>\n" when the start failed (the exit status is then 1).
 * Under a service manager ($NOTIFY_SOCKET) it also sends READY=1 then, and
 * STOPPING=1 when it begins to stop (apemu@.service is Type=notify).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "apemud.h"
#include "cleanup.h"
#include "vmm.h"
#include "machine_json.h"
#include "matrix.h"
#include "request.h"
#include "sdnotify.h"
#include "sysfs.h"
#include "uevent.h"
#include "uevent_net.h"

#define ERR_LEN 1024

struct args {
	const char *machine;
	const char *abi;
	const char *mount;
	const char *socket;
	int ready_fd;
	gid_t group; /* --group: may use the control socket besides root; (gid_t)-1: none */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: apemud [--machine FILE] [--abi cur|v8] [--mount DIR] [--socket PATH]\n"
		"              [--group GROUP]\n"
		"              [--ready-fd N]\n"
		"\n"
		"Emulate the s390 AP bus and vfio_ap: mount the sysfs tree at DIR (default\n"
		"%s) and serve the control socket PATH (default DIR.sock).\n"
		"\n"
		"  -m, --machine FILE   machine description (JSON); default: the built-in machine\n"
		"  -a, --abi cur|v8     the machine's ABI, replacing the description's \"abi\"\n"
		"  -M, --mount DIR      where to mount the tree (created if missing)\n"
		"  -s, --socket PATH    control socket\n"
		"  -g, --group GROUP    let GROUP use the control socket too (default: root only)\n"
		"  -r, --ready-fd N     write \"OK\" (or \"ERR <message>\") to descriptor N when "
		"ready\n"
		"  -p, --print-default  print the built-in machine description and exit\n"
		"  -h, --help           this text\n",
		INSTPATH_DEFAULT_MOUNT);
}

/* 0: run; 1: exit 0 (help); -1: usage error (message printed). */
static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
	    {"machine", required_argument, NULL, 'm'},
	    {"abi", required_argument, NULL, 'a'},
	    {"mount", required_argument, NULL, 'M'},
	    {"socket", required_argument, NULL, 's'},
	    {"group", required_argument, NULL, 'g'},
	    {"ready-fd", required_argument, NULL, 'r'},
	    {"print-default", no_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	char *end;
	long n;
	int c;

	*a = (struct args){.mount = INSTPATH_DEFAULT_MOUNT, .ready_fd = -1, .group = (gid_t)-1};
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":m:a:M:s:g:r:ph", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			a->machine = optarg;
			break;
		case 'a':
			a->abi = optarg;
			break;
		case 'M':
			a->mount = optarg;
			break;
		case 's':
			a->socket = optarg;
			break;
		case 'g': {
			struct group *gr = getgrnam(optarg);

			if (!gr) {
				fprintf(stderr, "apemud: --group: no group \"%s\"\n", optarg);
				return -1;
			}
			a->group = gr->gr_gid;
			break;
		}
		case 'r':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || n < 0 || n > 65535 ||
			    fcntl((int)n, F_GETFD) < 0) {
				fprintf(stderr,
					"apemud: --ready-fd: \"%s\" is not an open descriptor\n",
					optarg);
				return -1;
			}
			a->ready_fd = (int)n;
			break;
		case 'p':
			fputs(machine_json_default, stdout);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		case ':':
			fprintf(stderr, "apemud: option \"%s\" needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "apemud: unknown option \"%s\"\n", argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "apemud: unexpected argument \"%s\"\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Tell whoever started us (apemu start) how it went; then the descriptor is closed. */
static void report_ready(int *fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void report_ready(int *fd, const char *fmt, ...)
{
	char buf[ERR_LEN + 8];
	va_list ap;
	int n;

	if (*fd < 0)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0 && write(*fd, buf, strlen(buf)) < 0)
		dlog_daemon(AP_LOG_WARNING, "cannot write to the ready descriptor: %s",
			    strerror(errno));
	cleanup_closep(fd);
}

/* Tell the service manager, if there is one (sdnotify.h); a failure is only logged. */
static void notify_manager(const char *state)
{
	int r = sdnotify(state);

	if (r < 0)
		dlog_daemon(AP_LOG_WARNING, "cannot notify the service manager (%s): %s; ignoring",
			    state, strerror(-r));
}

/*
 * sysfs hook: a `remove` store found a guest attached (cur). Take the
 * guest's masks away and ask its VMM to let go (the request eventfd), wait,
 * with the lock released, until the guest releases the mdev, then remove it.
 */
static int remove_wait(void *ctx, struct ap_mdev *mdev)
{
	struct apemud *d = ctx;
	uint8_t uuid[AP_UUID_LEN];

	memcpy(uuid, mdev->uuid, sizeof(uuid));
	vmm_remove_requested(d, mdev);
	for (;;) {
		struct ap_mdev *m = matrix_find(d->sys, uuid);

		if (!m)
			return 0;
		if (!m->guest) {
			matrix_destroy(d->sys, m);
			return 0;
		}
		if (d->stopping)
			return -EINTR;
		pthread_cond_wait(&d->released, &d->lock);
	}
}

/* Block the stop signals in every thread (FUSE's included: call this before
 * any thread exists); the control thread reads them from a signalfd. */
static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	errno = pthread_sigmask(SIG_BLOCK, &set, NULL);
	return errno ? -errno : 0;
}

static int open_signalfd(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	return fd < 0 ? -errno : fd;
}

/*
 * Every guest holds descriptors here (its connection, its memory, its
 * eventfds), so thousands of guests need more than the usual soft limit of
 * 1024: take what the hard limit allows. Not fatal (a message in the log).
 */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		dlog_daemon(AP_LOG_WARNING, "cannot raise RLIMIT_NOFILE to %llu, ignoring: %s",
			    (unsigned long long)rl.rlim_max, strerror(errno));
}

/* Refuse a live instance at these paths; clean what a dead one left. */
static int check_instance(const struct instance_paths *p, char *err)
{
	int r = instance_check_socket(p->socket);

	if (r == -EADDRINUSE) {
		snprintf(err, ERR_LEN,
			 "another apemud is serving %s (stop it with: apemu stop --mount %s)",
			 p->socket, p->mount);
		return r;
	}
	if (r == -ENOTSOCK || r == -EPERM) {
		snprintf(err, ERR_LEN,
			 "refusing %s: it is %s; remove it, or choose another --mount", p->socket,
			 r == -EPERM ? "a socket another user owns"
				     : "not a socket (a symbolic link or another file)");
		return r;
	}
	if (r < 0) {
		snprintf(err, ERR_LEN, "cannot check the control socket %s: %s", p->socket,
			 strerror(-r));
		return r;
	}
	r = instance_prepare_mount(p->mount);
	if (r == -EBUSY)
		snprintf(err, ERR_LEN,
			 "%s is already a mount point (another apemud? stop it with: apemu stop "
			 "--mount %s)",
			 p->mount, p->mount);
	else if (r < 0)
		snprintf(err, ERR_LEN, "cannot use %s as the mount point: %s", p->mount,
			 strerror(-r));
	return r;
}

/* A store through the tree may have changed the machine (a card's config). */
static void on_store(void *ctx)
{
	apemud_publish(ctx);
}

/* The core's kernel messages and uevents (ops.log, ops.uevent; lock held). */
static void kernel_log(void *ctx, enum ap_log_level level, const char *dev, const char *msg)
{
	struct apemud *d = ctx;

	dlog_kernel(d->log, level, dev, msg);
}

static void kernel_uevent(void *ctx, const struct ap_uevent *ev)
{
	struct apemud *d = ctx;

	if (!dlog_uevent(d->log, ev, NULL))
		dlog_daemon(AP_LOG_WARNING, "uevent %llu does not fit, ignoring it", ev->seqnum);
	uevent_net_send(d->unet, ev);
}

/* Build everything up to a served tree. On failure err says why. */
static int start(struct apemud *d, const struct args *a, char *err)
{
	const struct apemu_sysfs_hooks hooks = {
	    .remove_wait = remove_wait, .changed = on_store, .ctx = d};
	struct machine_json *mj = calloc(1, sizeof(*mj));
	struct control_handler h;
	int sigfd, r;

	if (!mj)
		return -ENOMEM;
	r = machine_json_load_abi(a->machine, a->abi, mj, err, ERR_LEN);
	if (r >= 0) {
		r = machine_json_system_new(mj, &d->sys);
		if (r < 0)
			snprintf(err, ERR_LEN, "cannot build the machine: %s", strerror(-r));
	}
	free(mj);
	if (r < 0)
		return r;
	r = instance_paths_init(&d->paths, a->mount, a->socket);
	if (r < 0) {
		snprintf(err, ERR_LEN, "bad mount point or socket \"%s\": %s", a->mount,
			 strerror(-r));
		return r;
	}
	if ((r = check_instance(&d->paths, err)) < 0)
		return r;
	if ((r = dlog_new(&d->log)) < 0 || (r = uevent_net_new(&d->unet)) < 0) {
		snprintf(err, ERR_LEN, "out of memory");
		return r;
	}
	d->sys->ops.log = kernel_log;
	d->sys->ops.uevent = kernel_uevent;
	d->sys->ops_ctx = d;
	apemud_publish(d);
	if ((r = vmm_init(d)) < 0) {
		snprintf(err, ERR_LEN, "cannot start the adapters: %s", strerror(-r));
		return r;
	}
	sigfd = open_signalfd();
	if (sigfd < 0) {
		snprintf(err, ERR_LEN, "signalfd: %s", strerror(-sigfd));
		return sigfd;
	}
	request_handler_init(d, &h);
	r = control_new(d->paths.socket, a->group, sigfd, &h, &d->ctl);
	if (r < 0) {
		close(sigfd);
		snprintf(err, ERR_LEN, "cannot listen on %s: %s", d->paths.socket, strerror(-r));
		return r;
	}
	r = apemu_sysfs_new(d->sys, &d->lock, d->paths.mount, &hooks, &d->fs);
	if (r < 0) {
		snprintf(err, ERR_LEN, "cannot mount the tree at %s: %s", d->paths.mount,
			 strerror(-r));
		return r;
	}
	r = control_start(d->ctl);
	if (r < 0)
		snprintf(err, ERR_LEN, "cannot start the control thread: %s", strerror(-r));
	return r;
}

/* Undo start(), in reverse: stop serving, unmount, remove the socket. */
static void teardown(struct apemud *d)
{
	control_stop(d->ctl);
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_broadcast(&d->released);
	pthread_mutex_unlock(&d->lock);
	apemu_sysfs_free(d->fs);
	d->fs = NULL;
	control_free(d->ctl);
	d->ctl = NULL;
	vmm_free(d);
	machine_json_system_free(d->sys);
	d->sys = NULL;
	dlog_free(d->log);
	d->log = NULL;
	uevent_net_free(d->unet);
	d->unet = NULL;
}

int main(int argc, char **argv)
{
	char err[ERR_LEN] = "";
	struct apemud *d;
	struct args a;
	bool stopping;
	int r = parse_args(argc, argv, &a);

	if (r)
		return r > 0 ? 0 : 2;
	if (a.ready_fd >= 0)
		fcntl(a.ready_fd, F_SETFD, FD_CLOEXEC);
	d = calloc(1, sizeof(*d));
	if (!d || setup_signals() < 0) {
		fprintf(stderr, "apemud: cannot set up: %s\n", strerror(errno));
		report_ready(&a.ready_fd, "ERR cannot set up: %s\n", strerror(errno));
		free(d);
		return 1;
	}
	raise_nofile();
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->released, NULL);
	d->pid = getpid();
	r = start(d, &a, err);
	if (r < 0) {
		fprintf(stderr, "apemud: %s\n", err[0] ? err : strerror(-r));
		report_ready(&a.ready_fd, "ERR %s\n", err[0] ? err : strerror(-r));
		teardown(d);
		free(d);
		return 1;
	}
	if (chdir("/") < 0)
		dlog_daemon(AP_LOG_WARNING, "chdir /: %s", strerror(errno));
	dlog_daemon(AP_LOG_NOTICE, "serving %s (control socket %s, pid %d)", d->paths.mount,
		    d->paths.socket, (int)d->pid);
	report_ready(&a.ready_fd, "OK\n");
	notify_manager("READY=1");
	pthread_mutex_lock(&d->lock);
	stopping = d->stopping;
	pthread_mutex_unlock(&d->lock);
	r = stopping ? 0 : apemu_sysfs_run(d->fs);
	if (r < 0)
		dlog_daemon(AP_LOG_ERR, "the FUSE loop failed: %s", strerror(-r));
	pthread_mutex_lock(&d->lock);
	stopping = d->stopping;
	pthread_mutex_unlock(&d->lock);
	if (!stopping && r >= 0)
		dlog_daemon(AP_LOG_NOTICE, "the tree at %s was unmounted; stopping",
			    d->paths.mount);
	notify_manager("STOPPING=1");
	teardown(d);
	dlog_daemon(AP_LOG_NOTICE, "stopped");
	pthread_cond_destroy(&d->released);
	pthread_mutex_destroy(&d->lock);
	free(d);
	return r < 0 ? 1 : 0;
}
