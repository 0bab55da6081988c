/*
 * shell - apemu shell (see shell.h).
 *
 * As root the namespaces are a plain CLONE_NEWNS | CLONE_NEWNET. Other
 * users get a user namespace too (mapped to root inside), which is enough
 * for bind mounts of a FUSE tree they mounted themselves.
 *
 * The shell stays the command's parent: it holds the control connection
 * over which apemud got the namespace's netlink socket, and closing it
 * (when the command ends, or this process dies) tells apemud to let the
 * namespace go.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cleanup.h"
#include "ctlwire.h"
#include "shell.h"

#define ETC_MDEVCTL  "/etc/mdevctl.d"
#define RUN_UDEV     "/run/udev"
#define UDEV_CONTROL RUN_UDEV "/control"

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1;; p++) {
		bool last = *p == '\0';

		if (*p != '/' && !last)
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		if (last)
			return 0;
		*p = '/';
	}
}

/* The instance's private /etc/mdevctl.d, laid out as mdevctl expects it. */
static int prepare_mdevctl_dir(const struct client_paths *p)
{
	static const char *const subdirs[] = {"/scripts.d/callouts", "/scripts.d/notifiers"};
	char path[PATH_MAX];
	int r;

	for (size_t i = 0; i < ARRAY_SIZE(subdirs); i++) {
		if (snprintf(path, sizeof(path), "%s%s", p->mdevctl, subdirs[i]) >=
		    (int)sizeof(path))
			return -ENAMETOOLONG;
		r = mkdir_p(path, 0755);
		if (r < 0) {
			fprintf(stderr, "apemu shell: cannot create %s: %s\n", path, strerror(-r));
			return r;
		}
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	return n == (ssize_t)strlen(text) ? 0 : -(n < 0 ? errno : EIO);
}

/* A new mount namespace (and, without root, a user namespace mapping us to root). */
static int enter_namespace(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();
	char map[64];
	int r;

	if (uid == 0) {
		if (unshare(CLONE_NEWNS | CLONE_NEWNET) < 0)
			return -errno;
	} else {
		if (unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET) < 0)
			return -errno;
		if ((r = write_file("/proc/self/setgroups", "deny")) < 0)
			return r;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)uid);
		if ((r = write_file("/proc/self/uid_map", map)) < 0)
			return r;
		snprintf(map, sizeof(map), "0 %u 1", (unsigned int)gid);
		if ((r = write_file("/proc/self/gid_map", map)) < 0)
			return r;
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

/* Is the instance there: a live mount with the AP bus in it? */
static int check_tree(const struct client_paths *p)
{
	char path[PATH_MAX + 8];
	struct stat st;

	snprintf(path, sizeof(path), "%s/bus/ap", p->mount);
	if (stat(path, &st) < 0) {
		if (errno == ENOENT || errno == ENOTCONN)
			fprintf(stderr,
				"apemu shell: no emulated tree at %s (is apemud running? apemu "
				"start --mount %s)\n",
				p->mount, p->mount);
		else
			fprintf(stderr, "apemu shell: %s: %s\n", path, strerror(errno));
		return -ENOENT;
	}
	return 0;
}

static int bind_mounts(const struct client_paths *p)
{
	if (mount(p->mount, "/sys", NULL, MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "apemu shell: cannot bind-mount %s over /sys: %s\n", p->mount,
			strerror(errno));
		return -errno;
	}
	if (mount(p->mdevctl, ETC_MDEVCTL, NULL, MS_BIND | MS_REC, NULL) < 0) {
		fprintf(stderr, "apemu shell: cannot bind-mount %s over %s: %s\n", p->mdevctl,
			ETC_MDEVCTL, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The new network namespace's loopback, up (it starts down). */
static int loopback_up(void)
{
	_cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr = {0};

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	return ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/*
 * What a host with udevd running has: /run/udev/control, which libudev
 * and sd-device look for before they join the udev group. A tmpfs over
 * /run/udev in our namespace; the host keeps its own (or an empty
 * directory, the mount point, when it had none).
 */
static int udev_run_dir(void)
{
	_cleanup_close_ int fd = -1;

	if (mount("tmpfs", RUN_UDEV, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") < 0) {
		fprintf(stderr, "apemu shell: cannot mount a tmpfs on %s: %s\n", RUN_UDEV,
			strerror(errno));
		return -errno;
	}
	fd = open(UDEV_CONTROL, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "apemu shell: cannot create %s: %s\n", UDEV_CONTROL,
			strerror(errno));
		return -errno;
	}
	return 0;
}

/*
 * Hand apemud a netlink uevent socket of this namespace; *ret_conn: the
 * connection to keep open while the namespace should get events.
 */
static int uevent_listen(const struct client_paths *p, int *ret_conn)
{
	_cleanup_close_ int nl =
	    socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_KOBJECT_UEVENT);
	_cleanup_close_ int conn = -1;
	_cleanup_json_ struct json_object *req = json_object_new_object(), *reply = NULL;
	int r;

	if (nl < 0)
		return -errno;
	r = ctlwire_connect(p->socket, &conn, NULL);
	if (r < 0)
		return r;
	json_object_object_add(req, "op", json_object_new_string("uevent-listen"));
	r = ctlwire_call(conn, req, &nl, 1, CLIENT_TIMEOUT_MS, CTLWIRE_RESTART, &reply);
	if (r < 0)
		return r;
	if (!json_object_get_boolean(json_object_object_get(reply, "ok"))) {
		fprintf(stderr, "apemu shell: no uevents in this shell: %s\n",
			client_reply_message(reply));
		return -EPROTO;
	}
	*ret_conn = TAKE_FD(conn);
	return 0;
}

static volatile sig_atomic_t child_pid;

static void forward_signal(int sig)
{
	if (child_pid > 0)
		kill((pid_t)child_pid, sig);
}

/*
 * Run argv as our child and return its exit status (128 + signal when
 * killed). Like a shell waiting for its job, we leave the terminal's ^C and
 * ^\ to the child, and pass SIGTERM and SIGHUP on to it.
 */
static int run_child(char **argv)
{
	struct sigaction ign = {.sa_handler = SIG_IGN}, fwd = {.sa_handler = forward_signal};
	struct sigaction old_int, old_quit, old_term, old_hup;
	int status, err;
	pid_t pid;

	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "apemu shell: fork: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigaction(SIGTERM, &old_term, NULL);
		sigaction(SIGHUP, &old_hup, NULL);
		execvp(argv[0], argv);
		err = errno;
		fprintf(stderr, "apemu shell: cannot run \"%s\": %s\n", argv[0], strerror(err));
		_exit(err == ENOENT ? 127 : 126);
	}
	child_pid = pid;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int shell_run(const struct client_paths *p, char **argv)
{
	char *def[2] = {NULL, NULL};
	_cleanup_close_ int conn = -1;
	int r;

	if (check_tree(p) < 0 || prepare_mdevctl_dir(p) < 0)
		return 1;
	/* /etc/mdevctl.d must exist to be a mount point. The namespace shares
	 * the file system, so creating it here or inside makes no difference;
	 * it is an empty directory that mdevctl itself would create. */
	if (mkdir(ETC_MDEVCTL, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "apemu shell: cannot create %s: %s\n", ETC_MDEVCTL,
			strerror(errno));
		return 1;
	}
	/* the same for /run/udev: an empty directory, no control file in it */
	if (mkdir(RUN_UDEV, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "apemu shell: cannot create %s: %s\n", RUN_UDEV, strerror(errno));
		return 1;
	}
	r = enter_namespace();
	if (r < 0) {
		fprintf(stderr,
			"apemu shell: cannot create private mount and network namespaces: %s%s\n",
			strerror(-r),
			geteuid() ? " (run as root, or allow unprivileged user namespaces)" : "");
		return 1;
	}
	if (bind_mounts(p) < 0 || udev_run_dir() < 0)
		return 1;
	r = loopback_up();
	if (r < 0) {
		fprintf(stderr, "apemu shell: cannot bring up the loopback interface: %s\n",
			strerror(-r));
		return 1;
	}
	/* a shell without uevents is still a shell: say so, and go on */
	r = uevent_listen(p, &conn);
	if (r < 0 && r != -EPROTO)
		fprintf(stderr, "apemu shell: no uevents in this shell: %s\n", strerror(-r));
	if (setenv("SYSTEMD_DEVICE_VERIFY_SYSFS", "0", 1) < 0 ||
	    setenv("APEMU_MOUNT", p->mount, 1) < 0) {
		fprintf(stderr, "apemu shell: setenv: %s\n", strerror(errno));
		return 1;
	}
	if (!argv[0]) {
		def[0] = getenv("SHELL") && *getenv("SHELL") ? getenv("SHELL") : "/bin/sh";
		argv = def;
	}
	return run_child(argv);
}
