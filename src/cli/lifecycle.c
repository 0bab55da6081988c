/*
 * lifecycle - apemu start / apemu stop (see lifecycle.h).
 *
 * start: apemud runs in its own session with stdout and stderr appended to
 * <mount>.log; it reports "OK" or "ERR <message>" on a pipe (--ready-fd)
 * once the tree is mounted, and start waits for that line.
 * stop: the "stop" request (SIGTERM when the daemon does not answer), then
 * wait for the process (a pidfd, so a reused pid cannot fool us) and for
 * the mount to be gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "lifecycle.h"

#define START_TIMEOUT_MS 30000
#define STOP_TIMEOUT_MS	 10000 /* from the request to the process gone */
#define STOP_REPLY_MS	 3000  /* then SIGTERM */

static bool executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Next to this program (or in the build tree beside it), then $APEMUD, then PATH. */
static int find_apemud(char out[PATH_MAX])
{
	char self[PATH_MAX], *dir, *path, *save = NULL;
	const char *env = getenv("APEMUD");
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		dir = dirname(self);
		snprintf(out, PATH_MAX, "%s/apemud", dir);
		if (executable(out))
			return 0;
		snprintf(out, PATH_MAX, "%s/../daemon/apemud", dir);
		if (executable(out))
			return 0;
	}
	if (env && *env) {
		snprintf(out, PATH_MAX, "%s", env);
		return executable(out) ? 0 : -ENOEXEC;
	}
	path = strdup(getenv("PATH") ? getenv("PATH") : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = path ? strtok_r(path, ":", &save) : NULL; d;
	     d = strtok_r(NULL, ":", &save)) {
		snprintf(out, PATH_MAX, "%s/apemud", *d ? d : ".");
		if (executable(out)) {
			free(path);
			return 0;
		}
	}
	free(path);
	return -ENOENT;
}

static int mkdir_parents(const char *path)
{
	char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* The child: a new session, output to the log, then apemud. Never returns. */
static void exec_daemon(const char *apemud, const struct client_paths *p, const char *machine,
			const char *abi, const char *group, int logfd, int wfd)
{
	char fdstr[16];
	const char *argv[13];
	int null = open("/dev/null", O_RDWR);
	sigset_t none;
	time_t now = time(NULL);
	int n = 0;

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	dup2(logfd, STDOUT_FILENO);
	dup2(logfd, STDERR_FILENO);
	fcntl(wfd, F_SETFD, 0);
	snprintf(fdstr, sizeof(fdstr), "%d", wfd);
	argv[n++] = "apemud";
	argv[n++] = "--mount";
	argv[n++] = p->mount;
	argv[n++] = "--ready-fd";
	argv[n++] = fdstr;
	if (machine) {
		argv[n++] = "--machine";
		argv[n++] = machine;
	}
	if (abi) {
		argv[n++] = "--abi";
		argv[n++] = abi;
	}
	if (group) {
		argv[n++] = "--group";
		argv[n++] = group;
	}
	argv[n] = NULL;
	dprintf(STDERR_FILENO, "apemu start: %s: %s --mount %s%s%s%s%s\n",
		strtok(ctime(&now), "\n"), apemud, p->mount, machine ? " --machine " : "",
		machine ? machine : "", abi ? " --abi " : "", abi ? abi : "");
	execv(apemud, (char *const *)argv);
	dprintf(wfd, "ERR cannot execute %s: %s\n", apemud, strerror(errno));
	_exit(127);
}

/* Read the daemon's one-line report; "" at EOF, -ETIMEDOUT. */
static int read_report(int rfd, char *buf, size_t size)
{
	size_t len = 0;
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	buf[0] = '\0';
	while (len < size - 1 && !memchr(buf, '\n', len)) {
		struct pollfd pfd = {.fd = rfd, .events = POLLIN};
		long waited;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited >= START_TIMEOUT_MS)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)(START_TIMEOUT_MS - waited)) < 0 && errno != EINTR)
			return -errno;
		n = read(rfd, buf + len, size - 1 - len);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void explain_exit(const struct client_paths *p, pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) < 0)
		fprintf(stderr, "apemu start: apemud (pid %d) failed; see %s\n", (int)pid, p->log);
	else if (WIFSIGNALED(status))
		fprintf(stderr, "apemu start: apemud was killed by signal %d (%s); see %s\n",
			WTERMSIG(status), strsignal(WTERMSIG(status)), p->log);
	else
		fprintf(stderr, "apemu start: apemud exited with status %d; see %s\n",
			WEXITSTATUS(status), p->log);
}

/*
 * Open DIR.log for apemud to append to, trusting nothing planted beside the
 * mount (its directory may be writable by others, e.g. /tmp): no symbolic
 * link (O_NOFOLLOW), no FIFO or device (O_NONBLOCK, so a FIFO cannot hang
 * the open, then the type is checked), a file of ours with one link.
 * Prints why and returns -1 on refusal.
 */
static int open_log(const char *path, int *ret_fd)
{
	_cleanup_close_ int fd = open(
	    path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
	    0644);
	const char *why = NULL;
	struct stat st;

	if (fd < 0) {
		if (errno == ELOOP)
			why = "it is a symbolic link";
		else if (errno == ENXIO)
			why = "it is a FIFO or a socket, not a file";
		else
			fprintf(stderr, "apemu start: cannot open the log %s: %s\n", path,
				strerror(errno));
	} else if (fstat(fd, &st) < 0) {
		fprintf(stderr, "apemu start: cannot stat the log %s: %s\n", path, strerror(errno));
		return -1;
	} else if (!S_ISREG(st.st_mode)) {
		why = "it is not a regular file";
	} else if (st.st_uid != geteuid()) {
		why = "another user owns it";
	} else if (st.st_nlink != 1) {
		why = "it has other hard links";
	} else if (fcntl(fd, F_SETFL, O_APPEND) < 0) {
		fprintf(stderr, "apemu start: the log %s: %s\n", path, strerror(errno));
		return -1;
	} else {
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
	if (why)
		fprintf(stderr,
			"apemu start: refusing the log %s: %s; remove it, or choose another "
			"--mount\n",
			path, why);
	return -1;
}

int lifecycle_start(const struct client_paths *p, const char *machine, const char *abi,
		    const char *group)
{
	char apemud[PATH_MAX], parent[PATH_MAX], report[1200];
	_cleanup_close_ int logfd = -1;
	int pipefd[2], r;
	pid_t pid;

	r = find_apemud(apemud);
	if (r < 0) {
		if (r == -ENOEXEC)
			fprintf(stderr, "apemu start: APEMUD=%s is not an executable file\n",
				apemud);
		else
			fprintf(stderr, "apemu start: cannot find apemud (looked next to apemu, in "
					"$APEMUD and in PATH)\n");
		return 1;
	}
	snprintf(parent, sizeof(parent), "%s", p->mount);
	r = mkdir_parents(dirname(parent));
	if (r < 0) {
		fprintf(stderr, "apemu start: cannot create the directory of %s: %s\n", p->mount,
			strerror(-r));
		return 1;
	}
	if (open_log(p->log, &logfd) < 0)
		return 1;
	if (pipe2(pipefd, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		fprintf(stderr, "apemu start: cannot start apemud: %s\n", strerror(errno));
		return 1;
	}
	if (pid == 0) {
		close(pipefd[0]);
		exec_daemon(apemud, p, machine, abi, group, logfd, pipefd[1]);
	}
	close(pipefd[1]);
	r = read_report(pipefd[0], report, sizeof(report));
	close(pipefd[0]);
	if (r == -ETIMEDOUT) {
		kill(pid, SIGTERM);
		fprintf(stderr,
			"apemu start: apemud (pid %d) did not get ready within %d s; stopped it, "
			"see %s\n",
			(int)pid, START_TIMEOUT_MS / 1000, p->log);
		return 1;
	}
	if (!strcmp(report, "OK")) {
		printf("apemu: the emulated sysfs is mounted at %s (apemud pid %d, control socket "
		       "%s, log %s)\n",
		       p->mount, (int)pid, p->socket, p->log);
		return 0;
	}
	if (!strncmp(report, "ERR ", 4)) {
		fprintf(stderr, "apemu start: %s\n", report + 4);
		waitpid(pid, NULL, 0);
		return 1;
	}
	explain_exit(p, pid);
	return 1;
}

/* Is path listed as a mount point in /proc/self/mountinfo (octal escapes decoded)? */
static bool is_mounted(const char *path)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;

	while (f && getline(&line, &cap, f) > 0) {
		char *save = NULL, *field = strtok_r(line, " ", &save), *w;

		for (int i = 0; field && i < 4; i++)
			field = strtok_r(NULL, " ", &save);
		if (!field)
			continue;
		w = field;
		for (char *r = field; *r; r++) {
			if (r[0] == '\\' && r[1] && r[2] && r[3]) {
				*w++ = (char)((r[1] - '0') << 6 | (r[2] - '0') << 3 | (r[3] - '0'));
				r += 3;
			} else {
				*w++ = *r;
			}
		}
		*w = '\0';
		if (!strcmp(field, path))
			return true;
	}
	return false;
}

/* Wait until the pidfd says the process is gone. */
static bool wait_exit(int pidfd, pid_t pid, int timeout_ms)
{
	struct pollfd pfd = {.fd = pidfd, .events = POLLIN};

	if (timeout_ms < 0)
		timeout_ms = 0;
	if (pidfd < 0) {
		for (int t = 0; t < timeout_ms; t += 50) {
			if (kill(pid, 0) < 0 && errno == ESRCH)
				return true;
			usleep(50000);
		}
		return false;
	}
	while (poll(&pfd, 1, timeout_ms) < 0)
		if (errno != EINTR)
			return false;
	return pfd.revents != 0;
}

/* Ask over the socket; true when the daemon accepted the stop. */
static bool request_stop(int fd)
{
	_cleanup_json_ struct json_object *req = json_object_new_object();
	_cleanup_json_ struct json_object *reply = NULL;

	json_object_object_add(req, "op", json_object_new_string("stop"));
	if (client_call_timeout(fd, req, STOP_REPLY_MS, &reply) < 0)
		return false;
	return json_object_get_boolean(json_object_object_get(reply, "ok"));
}

static int elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int)((t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000);
}

/*
 * No daemon answers: if one died (a crash, kill -9) its mount is dead
 * (ENOTCONN) and its socket refuses; clean both, as the next start would.
 * Returns whether there was something to clean.
 */
static bool clean_dead_instance(const struct client_paths *p, int connect_err)
{
	struct stat st;
	bool dead_mount = stat(p->mount, &st) < 0 && errno == ENOTCONN;

	if (!dead_mount)
		return false;
	if (umount2(p->mount, MNT_DETACH) < 0) {
		fprintf(stderr, "apemu stop: cannot unmount the dead mount %s: %s\n", p->mount,
			strerror(errno));
		return true;
	}
	/* a socket nobody listens on, of ours (never another user's: start checks too) */
	if (connect_err == -ECONNREFUSED && lstat(p->socket, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_uid == geteuid())
		unlink(p->socket);
	printf("apemu: apemud at %s is gone (it crashed or was killed); removed its dead "
	       "mount\n",
	       p->mount);
	return true;
}

int lifecycle_stop(const struct client_paths *p)
{
	_cleanup_close_ int fd = -1, pidfd = -1;
	struct timespec t0;
	pid_t pid = 0;
	int r = client_connect(p->socket, &fd, &pid);

	if (r < 0 && (r == -ECONNREFUSED || r == -ENOENT) && clean_dead_instance(p, r))
		return is_mounted(p->mount) ? 1 : 0;
	if (r < 0) {
		fprintf(stderr, "apemu stop: no apemud running at %s (%s: %s)\n", p->mount,
			p->socket, client_connect_error(r));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (pid > 0)
		pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (!request_stop(fd)) {
		if (pid <= 0) {
			fprintf(stderr,
				"apemu stop: apemud at %s does not answer and its pid is unknown\n",
				p->mount);
			return 1;
		}
		fprintf(stderr, "apemu stop: apemud (pid %d) does not answer; sending SIGTERM\n",
			(int)pid);
		if (kill(pid, SIGTERM) < 0 && errno != ESRCH) {
			fprintf(stderr, "apemu stop: kill %d: %s\n", (int)pid, strerror(errno));
			return 1;
		}
	}
	cleanup_closep(&fd);
	if (pid > 0 && !wait_exit(pidfd, pid, STOP_TIMEOUT_MS - elapsed_ms(&t0))) {
		fprintf(stderr, "apemu stop: apemud (pid %d) did not exit within %d s\n", (int)pid,
			STOP_TIMEOUT_MS / 1000);
		return 1;
	}
	if (is_mounted(p->mount) && umount2(p->mount, MNT_DETACH) < 0) {
		fprintf(stderr, "apemu stop: apemud exited but %s is still mounted: %s\n", p->mount,
			strerror(errno));
		return 1;
	}
	printf("apemu: stopped apemud (pid %d) at %s\n", (int)pid, p->mount);
	return 0;
}
