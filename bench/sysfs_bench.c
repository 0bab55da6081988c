/*
 * sysfs_bench - what apemu's FUSE tree costs, against a minimal FUSE
 * filesystem (fuse_baseline) measured in the same run. Not a test: it
 * prints rates and ratios (apemu / baseline) with the goals beside them;
 * the machines are noisy, so only the ratios mean something.
 *
 *   sysfs_bench [--apemud PATH] [--baseline PATH] [--duration SEC]
 *               [--startups N] [--no-big]
 *
 * Programs: --apemud and --baseline, else $APEMU_BUILD/src/daemon/apemud
 * and $APEMU_BUILD/bench/fuse_baseline, else the build tree this binary
 * sits in (<build>/bench/sysfs_bench: ../src/daemon/apemud, ./fuse_baseline).
 * Mount points, machine files and logs go to a fresh directory under
 * $TMPDIR (default /tmp), removed at the end (kept with the daemons' logs
 * when something failed; the path is printed). Every daemon started is
 * stopped (SIGTERM, waited for; unmounted if it left its mount behind),
 * also when the benchmark is interrupted with SIGINT/SIGTERM. Needs
 * /dev/fuse and permission to mount (root, or fusermount3 for users).
 *
 * What is measured:
 * 1. fuse_baseline (same FUSE settings as apemu: low-level API, mt loop,
 *    3600 s entry/attr timeouts for static files, direct_io) and apemud on
 *    the built-in machine run side by side. For each case, open+read+close
 *    (reads) or open+write+close (stores) as fast as possible from 1 or 2
 *    threads, for --duration seconds (default 2) per filesystem, split into
 *    two alternating halves (baseline, apemu, apemu, baseline) so that drift
 *    hits both alike. Files: bus/ap/ap_domain, bus/ap/apmask, a queue's
 *    online (devices/ap/card05/05.0004/online: same path in both trees);
 *    stores write back the current text of bus/ap/ap_domain ("4", the
 *    default machine's default domain) and bus/ap/apmask. Goal: apemu /
 *    baseline >= 0.80.
 * 2. A 256 x 256 machine (APXA, Na = Nd = 255, adapters 0-255 CEX8A, usage
 *    and control domains 0-255: 65,536 queues): the time from fork of
 *    apemud to its ready signal ("OK" on --ready-fd) and to the first
 *    successful stat of bus/ap/devices/ff.00ff (goal <= 0.2 s; median of
 *    --startups starts, default 3); then the time to list bus/ap/devices
 *    (65,792 entries) with readdir(3), against listing as many names from
 *    fuse_baseline's bus/ap/devices.
 * 3. Memory per queue: VmRSS of apemud on the 256 x 256 machine minus that
 *    on a 1 adapter x 1 domain machine (each after the same stat and
 *    listings), divided by 65,535; beside it the whole RSS / 65,536 as an
 *    upper bound. (State the core keeps for every possible APQN whatever
 *    the machine does not show up in the difference.)
 *
 * Exit status: 0 when everything could be measured (whatever the ratios),
 * 1 when something failed (message on stderr), 2 usage error.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READY_FD     100 /* the descriptor number the daemons get for --ready-fd */
#define WARMUP_OPS   200
#define LIST_REPS    5
#define GOAL_RATIO   0.80
#define GOAL_START_S 0.2
#define BIG_QUEUES   65536u
#define BIG_ENTRIES  (256u + BIG_QUEUES)

/* ---- options and paths ---- */

static struct {
	char apemud[PATH_MAX];
	char baseline[PATH_MAX];
	double secs;
	int startups;
	bool big;
} opt = {.secs = 2.0, .startups = 3, .big = true};

static char tmpdir[512]; /* realpath of the temporary directory */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* buf: 1024 bytes */
static void tpath(char *buf, const char *name)
{
	snprintf(buf, 1024, "%s/%.64s", tmpdir, name);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ---- daemons: start with a ready descriptor, stop by pid ---- */

struct daemon {
	const char *name;
	pid_t pid;
	char mount[1024];
	char log[1024];
	char sock[1100]; /* apemud's control socket: DIR.sock */
};

static struct daemon *all_daemons[4];
static int n_daemons;
static char big_path[1024], small_path[1024]; /* the machine files */

/*
 * Remove what we made; only async-signal-safe calls, so that on_signal can
 * use it. A mount point still in use stays. Returns how many could not go.
 */
static int remove_files(bool keep_logs)
{
	int left = 0;

	for (int i = 0; i < n_daemons; i++) {
		unlink(all_daemons[i]->sock);
		if (rmdir(all_daemons[i]->mount) < 0 && errno != ENOENT)
			left++;
		if (!keep_logs)
			unlink(all_daemons[i]->log);
	}
	unlink(big_path);
	unlink(small_path);
	if (!keep_logs && rmdir(tmpdir) < 0)
		left++;
	return left;
}

#define MAX_RUNNING 4
static struct daemon *volatile running[MAX_RUNNING];

static void track(struct daemon *d, bool on)
{
	for (int i = 0; i < MAX_RUNNING; i++) {
		if (on && !running[i]) {
			running[i] = d;
			return;
		}
		if (!on && running[i] == d) {
			running[i] = NULL;
			return;
		}
	}
}

static bool is_mounted(const char *path)
{
	char line[4096], mnt[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && !strcmp(mnt, path);
	fclose(f);
	return found;
}

/* Lazy unmount: umount2 as root, else fusermount3 -u -z. */
static void force_unmount(const char *path)
{
	pid_t pid;

	if (umount2(path, MNT_DETACH) == 0 || errno != EPERM)
		return;
	pid = fork();
	if (pid == 0) {
		execlp("fusermount3", "fusermount3", "-u", "-z", path, (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

/* SIGINT/SIGTERM while daemons run: stop them, unmount, leave. */
static void on_signal(int sig)
{
	(void)sig;
	for (int i = 0; i < MAX_RUNNING; i++)
		if (running[i] && running[i]->pid > 0)
			kill(running[i]->pid, SIGTERM);
	for (int n = 0; n < 200; n++) { /* up to 2 s */
		bool left = false;

		for (int i = 0; i < MAX_RUNNING; i++)
			if (running[i] && running[i]->pid > 0) {
				if (waitpid(running[i]->pid, NULL, WNOHANG) == running[i]->pid)
					running[i]->pid = 0;
				else
					left = true;
			}
		if (!left)
			break;
		struct timespec ts = {0, 10000000};
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < MAX_RUNNING; i++)
		if (running[i]) {
			umount2(running[i]->mount, MNT_DETACH);
			if (running[i]->pid > 0)
				kill(running[i]->pid, SIGKILL);
		}
	remove_files(false);
	_exit(130);
}

static bool wait_exit(pid_t pid, double timeout)
{
	double end = now() + timeout;

	do {
		pid_t r = waitpid(pid, NULL, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		sleep_s(0.001);
	} while (now() < end);
	return false;
}

/* SIGTERM, wait; unmount and kill only if it does not go. Returns the seconds it took. */
static double daemon_stop(struct daemon *d)
{
	double t0 = now();

	if (d->pid <= 0)
		return 0;
	kill(d->pid, SIGTERM);
	if (!wait_exit(d->pid, 10.0)) {
		fprintf(stderr, "sysfs_bench: %s (pid %d) did not stop in 10 s; unmounting\n",
			d->name, (int)d->pid);
		force_unmount(d->mount);
		if (!wait_exit(d->pid, 5.0)) {
			kill(d->pid, SIGKILL);
			waitpid(d->pid, NULL, 0);
		}
	}
	t0 = now() - t0;
	if (is_mounted(d->mount)) {
		fprintf(stderr, "sysfs_bench: %s left %s mounted; unmounting\n", d->name, d->mount);
		force_unmount(d->mount);
	}
	track(d, false);
	d->pid = 0;
	return t0;
}

static void show_log(const struct daemon *d)
{
	char line[1024];
	FILE *f = fopen(d->log, "re");

	if (!f)
		return;
	fprintf(stderr, "--- %s:\n", d->log);
	while (fgets(line, sizeof(line), f))
		fputs(line, stderr);
	fclose(f);
}

/*
 * Start argv[0] with READY_FD as its ready descriptor (argv must already
 * name it) and wait for its "OK". *ret_t0 is the time just before fork.
 */
static int daemon_start(struct daemon *d, char *const argv[], double *ret_t0)
{
	char buf[1100];
	size_t len = 0;
	int p[2], logfd;
	double end;

	logfd = open(d->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (logfd < 0 || pipe2(p, O_CLOEXEC) < 0) {
		fprintf(stderr, "sysfs_bench: %s: %s\n", d->log, strerror(errno));
		return -1;
	}
	*ret_t0 = now();
	d->pid = fork();
	if (d->pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (dup2(logfd, 1) < 0 || dup2(logfd, 2) < 0 || dup2(p[1], READY_FD) < 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	close(logfd);
	close(p[1]);
	if (d->pid < 0) {
		fprintf(stderr, "sysfs_bench: fork: %s\n", strerror(errno));
		close(p[0]);
		return -1;
	}
	track(d, true);
	end = now() + 60.0;
	for (;;) {
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		int left = (int)((end - now()) * 1000);
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = read(p[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		if (memchr(buf, '\n', len) || len == sizeof(buf) - 1)
			break;
	}
	close(p[0]);
	buf[len] = '\0';
	if (!strncmp(buf, "OK\n", 3))
		return 0;
	fprintf(stderr, "sysfs_bench: %s did not get ready: %s\n", d->name,
		len ? buf : "(no answer)\n");
	daemon_stop(d);
	show_log(d);
	return -1;
}

static int start_baseline(struct daemon *d, double *ret_ready)
{
	char fdarg[16];
	double t0;
	char *argv[] = {opt.baseline, "--ready-fd", fdarg, d->mount, NULL};

	snprintf(fdarg, sizeof(fdarg), "%d", READY_FD);
	if (daemon_start(d, argv, &t0) < 0)
		return -1;
	*ret_ready = now() - t0;
	return 0;
}

/* machine: a JSON file, or NULL for the built-in machine. */
static int start_apemud(struct daemon *d, const char *machine, double *ret_ready, double *ret_t0)
{
	char fdarg[16];
	double t0;
	char *argv[8] = {opt.apemud, "--mount", d->mount, "--ready-fd", fdarg};

	snprintf(fdarg, sizeof(fdarg), "%d", READY_FD);
	if (machine) {
		argv[5] = "--machine";
		argv[6] = (char *)machine;
	}
	if (daemon_start(d, argv, &t0) < 0)
		return -1;
	*ret_ready = now() - t0;
	if (ret_t0)
		*ret_t0 = t0;
	return 0;
}

static long rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* ---- open+read+close and open+write+close loops ---- */

struct job {
	char path[PATH_MAX];
	const char *wtext; /* NULL: read */
	size_t wlen;
};

struct worker {
	pthread_t t;
	const struct job *job;
	pthread_barrier_t *start;
	unsigned long ops;
	int err;
};

static atomic_bool stop_flag;

static int one_op(const struct job *j, char *buf)
{
	int fd = open(j->path, (j->wtext ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return errno;
	n = j->wtext ? write(fd, j->wtext, j->wlen) : read(fd, buf, 4096);
	if (n < 0)
		err = errno;
	else if (j->wtext ? (size_t)n != j->wlen : n == 0)
		err = EIO;
	if (close(fd) < 0 && !err)
		err = errno;
	return err;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char buf[4096];

	pthread_barrier_wait(w->start);
	while (!atomic_load_explicit(&stop_flag, memory_order_relaxed)) {
		int err = one_op(w->job, buf);

		if (err) {
			w->err = err;
			break;
		}
		w->ops++;
	}
	return NULL;
}

/* Run job from nthreads threads for secs; adds to *ops and *elapsed. */
static int run_job(const struct job *job, int nthreads, double secs, unsigned long *ops,
		   double *elapsed)
{
	struct worker w[8] = {0};
	pthread_barrier_t start;
	double t0;
	int err = 0;

	pthread_barrier_init(&start, NULL, (unsigned int)nthreads + 1);
	atomic_store(&stop_flag, false);
	for (int i = 0; i < nthreads; i++) {
		w[i].job = job;
		w[i].start = &start;
		if (pthread_create(&w[i].t, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "sysfs_bench: pthread_create failed\n");
			exit(1);
		}
	}
	pthread_barrier_wait(&start);
	t0 = now();
	sleep_s(secs);
	atomic_store(&stop_flag, true);
	for (int i = 0; i < nthreads; i++) {
		pthread_join(w[i].t, NULL);
		*ops += w[i].ops;
		if (w[i].err)
			err = w[i].err;
	}
	*elapsed += now() - t0;
	pthread_barrier_destroy(&start);
	if (err)
		fprintf(stderr, "sysfs_bench: %s %s: %s\n", job->wtext ? "write" : "read",
			job->path, strerror(err));
	return err ? -1 : 0;
}

static int warm(const struct job *j)
{
	char buf[4096];

	for (int i = 0; i < WARMUP_OPS; i++) {
		int err = one_op(j, buf);

		if (err) {
			fprintf(stderr, "sysfs_bench: %s %s: %s\n", j->wtext ? "write" : "read",
				j->path, strerror(err));
			return -1;
		}
	}
	return 0;
}

static const struct daemon *g_base, *g_apemu;
static int below_goal;

/* One case: rel under both mounts; wtext NULL for reads. */
static int compare(const char *label, const char *rel, const char *wtext, int nthreads)
{
	struct job jb = {.wtext = wtext, .wlen = wtext ? strlen(wtext) : 0}, ja = jb;
	unsigned long ops_b = 0, ops_a = 0;
	double el_b = 0, el_a = 0, rb, ra, ratio;

	snprintf(jb.path, sizeof(jb.path), "%s/%s", g_base->mount, rel);
	snprintf(ja.path, sizeof(ja.path), "%s/%s", g_apemu->mount, rel);
	if (warm(&jb) < 0 || warm(&ja) < 0)
		return -1;
	/* baseline, apemu, apemu, baseline */
	for (int half = 0; half < 2; half++) {
		const struct job *first = half ? &ja : &jb, *second = half ? &jb : &ja;
		unsigned long *o1 = half ? &ops_a : &ops_b, *o2 = half ? &ops_b : &ops_a;
		double *e1 = half ? &el_a : &el_b, *e2 = half ? &el_b : &el_a;

		if (run_job(first, nthreads, opt.secs / 2, o1, e1) < 0 ||
		    run_job(second, nthreads, opt.secs / 2, o2, e2) < 0)
			return -1;
	}
	rb = (double)ops_b / el_b;
	ra = (double)ops_a / el_a;
	ratio = ra / rb;
	if (ratio < GOAL_RATIO)
		below_goal++;
	printf("%s (%d thread%s): apemu %.0f/s, baseline %.0f/s, ratio %.2f (goal >= %.2f)%s\n",
	       label, nthreads, nthreads > 1 ? "s" : "", ra, rb, ratio, GOAL_RATIO,
	       ratio < GOAL_RATIO ? "  BELOW GOAL" : "");
	fflush(stdout);
	return 0;
}

/* The text of a file (at most size - 1 bytes), or -1. */
static int read_text(const char *mount, const char *rel, char *buf, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", mount, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "sysfs_bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0) {
		fprintf(stderr, "sysfs_bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	return 0;
}

/* ---- listing ---- */

/* Entries of a directory besides . and ..; -1 on error. */
static long list_dir(const char *path, double *ret_s)
{
	double t0 = now();
	struct dirent *de;
	long n = 0;
	DIR *d = opendir(path);

	if (!d) {
		fprintf(stderr, "sysfs_bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	errno = 0;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	if (errno) {
		fprintf(stderr, "sysfs_bench: readdir %s: %s\n", path, strerror(errno));
		n = -1;
	}
	closedir(d);
	*ret_s = now() - t0;
	return n;
}

/* ---- the parts ---- */

static const char big_json[] =
    "{\"abi\": \"cur\", \"qci\": true, \"apft\": true, \"aqic\": true, \"apxa\": true,\n"
    " \"max_adapter_id\": 255, \"max_domain_id\": 255,\n"
    " \"usage_domains\": \"0-255\", \"control_domains\": \"0-255\",\n"
    " \"adapters\": [{\"ids\": \"0-255\", \"type\": \"CEX8A\"}]}\n";
static const char small_json[] =
    "{\"abi\": \"cur\", \"qci\": true, \"apft\": true, \"aqic\": true, \"apxa\": true,\n"
    " \"max_adapter_id\": 255, \"max_domain_id\": 255,\n"
    " \"usage_domains\": \"0\", \"control_domains\": \"0\",\n"
    " \"adapters\": [{\"id\": \"0\", \"type\": \"CEX8A\"}]}\n";

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		fprintf(stderr, "sysfs_bench: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Part 1: the default machine against the baseline. */
static int part_ops(struct daemon *base, struct daemon *apemu)
{
	static const char *const files[][2] = {
	    {"read ap_domain", "bus/ap/ap_domain"},
	    {"read apmask", "bus/ap/apmask"},
	    {"read queue online", "devices/ap/card05/05.0004/online"},
	};
	char a[4200], b[4200], dom[64], mask[4200];
	double ready;

	if (start_apemud(apemu, NULL, &ready, NULL) < 0)
		return -1;
	printf("apemud (built-in machine) ready after %.1f ms\n", ready * 1e3);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (read_text(apemu->mount, files[i][1], a, sizeof(a)) < 0 ||
		    read_text(base->mount, files[i][1], b, sizeof(b)) < 0)
			return -1;
		if (strcmp(a, b))
			printf("note: %s differs: apemu \"%.*s\", baseline \"%.*s\"\n", files[i][1],
			       (int)strcspn(a, "\n"), a, (int)strcspn(b, "\n"), b);
	}
	/* stores that succeed: the current values, written back */
	if (read_text(apemu->mount, "bus/ap/ap_domain", dom, sizeof(dom)) < 0 ||
	    read_text(apemu->mount, "bus/ap/apmask", mask, sizeof(mask)) < 0)
		return -1;
	for (int t = 1; t <= 2; t++)
		for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
			if (compare(files[i][0], files[i][1], NULL, t) < 0)
				return -1;
	if (compare("store ap_domain", "bus/ap/ap_domain", dom, 1) < 0 ||
	    compare("store ap_domain", "bus/ap/ap_domain", dom, 2) < 0 ||
	    compare("store apmask", "bus/ap/apmask", mask, 1) < 0)
		return -1;
	daemon_stop(apemu);
	return 0;
}

/* The listing of bus/ap/devices: LIST_REPS times, the median; *ret_first the cold one. */
static int list_median(const char *mount, long want, double *ret_first, double *ret_median)
{
	char path[PATH_MAX];
	double t[LIST_REPS];

	snprintf(path, sizeof(path), "%s/bus/ap/devices", mount);
	for (int i = 0; i <= LIST_REPS; i++) {
		double s;
		long n = list_dir(path, &s);

		if (n < 0)
			return -1;
		if (n != want) {
			fprintf(stderr, "sysfs_bench: %s: %ld entries, expected %ld\n", path, n,
				want);
			return -1;
		}
		if (i == 0)
			*ret_first = s;
		else
			t[i - 1] = s;
	}
	*ret_median = median(t, LIST_REPS);
	return 0;
}

static int stat_probe(const char *mount, const char *rel, double t0, double *ret)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", mount, rel);
	if (stat(path, &st) < 0) {
		fprintf(stderr, "sysfs_bench: stat %s: %s\n", path, strerror(errno));
		return -1;
	}
	*ret = now() - t0;
	return 0;
}

/* Parts 2 and 3: the 256 x 256 machine; the 1 x 1 machine for memory. */
static int part_big(struct daemon *base, struct daemon *big, struct daemon *small)
{
	const char *bigf = big_path, *smallf = small_path;
	double ready[16], probe[16], stop[16], first, med, bfirst, bmed, t0, r1, p1;
	int n = opt.startups;
	long rss_big, rss_small;

	if (write_file(bigf, big_json) < 0 || write_file(smallf, small_json) < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		if (start_apemud(big, bigf, &ready[i], &t0) < 0 ||
		    stat_probe(big->mount, "bus/ap/devices/ff.00ff", t0, &probe[i]) < 0)
			return -1;
		if (i < n - 1)
			stop[i] = daemon_stop(big);
	}
	printf("256x256 machine (65536 queues), start to ready:");
	for (int i = 0; i < n; i++)
		printf(" %.1f", ready[i] * 1e3);
	printf(" ms; to first stat of bus/ap/devices/ff.00ff:");
	for (int i = 0; i < n; i++)
		printf(" %.1f", probe[i] * 1e3);
	printf(" ms\n");
	if (n > 1) {
		printf("256x256 machine, stop (SIGTERM to exit):");
		for (int i = 0; i < n - 1; i++)
			printf(" %.1f", stop[i] * 1e3);
		printf(" ms\n");
	}
	r1 = median(ready, n);
	p1 = median(probe, n);
	printf("start 256x256: ready %.1f ms, mounted (first stat) %.1f ms (median of %d; goal "
	       "<= %.0f ms)%s\n",
	       r1 * 1e3, p1 * 1e3, n, GOAL_START_S * 1e3, p1 > GOAL_START_S ? "  ABOVE GOAL" : "");
	if (p1 > GOAL_START_S)
		below_goal++;

	if (list_median(big->mount, BIG_ENTRIES, &first, &med) < 0 ||
	    list_median(base->mount, BIG_ENTRIES, &bfirst, &bmed) < 0)
		return -1;
	printf("list bus/ap/devices (%u entries): apemu %.1f ms (first %.1f ms), baseline %.1f ms "
	       "(first %.1f ms), ratio %.2f (baseline time / apemu time; median of %d)\n",
	       BIG_ENTRIES, med * 1e3, first * 1e3, bmed * 1e3, bfirst * 1e3, bmed / med,
	       LIST_REPS);
	rss_big = rss_kb(big->pid);
	daemon_stop(big);

	if (start_apemud(small, smallf, &ready[0], &t0) < 0 ||
	    stat_probe(small->mount, "bus/ap/devices/00.0000", t0, &probe[0]) < 0 ||
	    list_median(small->mount, 2, &first, &med) < 0)
		return -1;
	rss_small = rss_kb(small->pid);
	daemon_stop(small);
	printf("1x1 machine: start to ready %.1f ms, to first stat %.1f ms\n", ready[0] * 1e3,
	       probe[0] * 1e3);
	if (rss_big < 0 || rss_small < 0) {
		fprintf(stderr, "sysfs_bench: cannot read VmRSS\n");
		return -1;
	}
	printf("memory: VmRSS 256x256 %ld kB, 1x1 %ld kB: %.1f bytes/queue (difference / %u; "
	       "whole RSS / %u: %.1f bytes/queue)\n",
	       rss_big, rss_small, (double)(rss_big - rss_small) * 1024.0 / (BIG_QUEUES - 1),
	       BIG_QUEUES - 1, BIG_QUEUES, (double)rss_big * 1024.0 / BIG_QUEUES);
	return 0;
}

/* ---- setup ---- */

static void usage(FILE *f)
{
	fprintf(f, "Usage: sysfs_bench [--apemud PATH] [--baseline PATH] [--duration SEC]\n"
		   "                   [--startups N] [--no-big]\n"
		   "Programs default to $APEMU_BUILD/src/daemon/apemud and\n"
		   "$APEMU_BUILD/bench/fuse_baseline, else to the build tree of this binary.\n");
}

static int find_program(char *out, const char *given, const char *build_rel, const char *self_rel)
{
	const char *build = getenv("APEMU_BUILD");
	char self[PATH_MAX];
	ssize_t n;

	if (given) {
		n = snprintf(out, PATH_MAX, "%s", given);
	} else if (build && *build) {
		n = snprintf(out, PATH_MAX, "%s/%s", build, build_rel);
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n < 0)
			return -1;
		self[n] = '\0';
		*strrchr(self, '/') = '\0';
		n = snprintf(out, PATH_MAX, "%s/%s", self, self_rel);
	}
	if (n >= PATH_MAX) {
		fprintf(stderr, "sysfs_bench: path too long\n");
		return -1;
	}
	if (access(out, X_OK) < 0) {
		fprintf(stderr, "sysfs_bench: %s: %s (see --apemud, --baseline, APEMU_BUILD)\n",
			out, strerror(errno));
		return -1;
	}
	return 0;
}

static int parse_args(int argc, char **argv)
{
	const char *apemud = NULL, *baseline = NULL;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-big")) {
			opt.big = false;
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			exit(0);
		}
		if (!v) {
			usage(stderr);
			return -1;
		}
		i++;
		if (!strcmp(a, "--apemud"))
			apemud = v;
		else if (!strcmp(a, "--baseline"))
			baseline = v;
		else if (!strcmp(a, "--duration") && (opt.secs = atof(v)) > 0)
			;
		else if (!strcmp(a, "--startups") && (opt.startups = atoi(v)) >= 1 &&
			 opt.startups <= 16)
			;
		else {
			usage(stderr);
			return -1;
		}
	}
	if (find_program(opt.apemud, apemud, "src/daemon/apemud", "../src/daemon/apemud") < 0 ||
	    find_program(opt.baseline, baseline, "bench/fuse_baseline", "fuse_baseline") < 0)
		return -2;
	return 0;
}

static void init_daemon(struct daemon *d, const char *name, const char *mnt)
{
	char log[64];

	d->name = name;
	d->pid = 0;
	tpath(d->mount, mnt);
	snprintf(log, sizeof(log), "%s.log", mnt);
	tpath(d->log, log);
	snprintf(d->sock, sizeof(d->sock), "%s.sock", d->mount);
	mkdir(d->mount, 0755);
	all_daemons[n_daemons++] = d;
}

int main(int argc, char **argv)
{
	struct daemon base, apemu, big, small;
	struct daemon *const all[] = {&base, &apemu, &big, &small};
	const char *tmp = getenv("TMPDIR");
	struct sigaction sa = {.sa_handler = on_signal};
	struct utsname u;
	double ready;
	long nproc = sysconf(_SC_NPROCESSORS_ONLN);
	int r;

	r = parse_args(argc, argv);
	if (r < 0)
		return r == -1 ? 2 : 1;
	if (snprintf(tmpdir, sizeof(tmpdir), "%s/sysfs_bench.XXXXXX", tmp && *tmp ? tmp : "/tmp") >=
	    (int)sizeof(tmpdir)) {
		fprintf(stderr, "sysfs_bench: TMPDIR too long\n");
		return 1;
	}
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "sysfs_bench: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}
	{
		char *real = realpath(tmpdir, NULL); /* mountinfo shows real paths */

		if (real && strlen(real) < sizeof(tmpdir))
			strcpy(tmpdir, real);
		free(real);
	}
	init_daemon(&base, "fuse_baseline", "mnt-b");
	init_daemon(&apemu, "apemud", "mnt-a");
	init_daemon(&big, "apemud (256x256)", "mnt-big");
	init_daemon(&small, "apemud (1x1)", "mnt-sml");
	tpath(big_path, "big.json");
	tpath(small_path, "small.json");
	g_base = &base;
	g_apemu = &apemu;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	uname(&u);
	printf("sysfs_bench: %ld CPUs, %s %s; %.1f s per case and filesystem\n", nproc, u.sysname,
	       u.release, opt.secs);
	printf("apemud %s\nbaseline %s\n", opt.apemud, opt.baseline);
	r = start_baseline(&base, &ready);
	if (r == 0) {
		printf("fuse_baseline ready after %.1f ms\n", ready * 1e3);
		r = part_ops(&base, &apemu);
	}
	if (r == 0 && opt.big)
		r = part_big(&base, &big, &small);
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		daemon_stop(all[i]);
	if (remove_files(r < 0))
		fprintf(stderr, "sysfs_bench: could not remove everything in %s\n", tmpdir);
	if (r < 0) {
		fprintf(stderr, "sysfs_bench: logs kept in %s\n", tmpdir);
		return 1;
	}
	printf("%d result%s off goal\n", below_goal, below_goal == 1 ? "" : "s");
	return 0;
}
