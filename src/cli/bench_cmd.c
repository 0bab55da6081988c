/*
 * bench_cmd - `apemu bench`: the crypto data plane against baselines
 * measured in the same run (PERF-NOTES.md: these machines are shared and
 * noisy, so only ratios mean something).
 *
 * Every mode starts a private apemud under /tmp and stops it at the end
 * (also on SIGINT, SIGTERM, SIGHUP). The default mode gives two CEX8A
 * accelerators (one domain) to an mdev, opens it from a guest in this
 * process, and measures:
 * - RSA-2048 CRT operations per second through guest -> ring -> adapter ->
 *   OpenSSL -> reply with one adapter, against what an adapter computes
 *   done directly on one thread (raw_rsa.h: constant-time CRT with
 *   BN_mod_exp_mont_consttime_x2, no blinding) and against
 *   EVP_PKEY_decrypt; the same with two adapters against two threads, and
 *   the scaling from one adapter to two;
 * - RSA-4096 CRT and a 1024-bit modular exponentiation (private exponent)
 *   on one adapter against one thread;
 * - the round trip NQAP + DQAP of the smallest request (a bare type 50
 *   header, answered with an error reply) against a raw shared-memory futex
 *   ping-pong between two processes.
 * Every reply is also checked against OpenSSL's result.
 * --fairness (bench_fair.c) and --scale (bench_scale.c) are the others.
 */
#include "bench_cmd.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <apemu/guest.h>

#include "bench_int.h"
#include "lifecycle.h"
#include "raw_rsa.h"
#include "rsa_run.h"
#include "rsakey.h"

#define BENCH_UUID "b0b0b0b0-0000-4000-8000-00000000be4c"
#define APQN_A	   0x0406
#define APQN_B	   0x0506
#define MACHINE                                                                                    \
	"{\"adapters\": [{\"ids\": \"4-5\", \"type\": \"CEX8A\"}], \"usage_domains\": \"6\", "     \
	"\"control_domains\": \"6\", \"apmask\": \"\", \"aqmask\": \"\"}\n"
/* --fairness: three accelerators, all for vfio_ap */
#define MACHINE_FAIR                                                                               \
	"{\"adapters\": [{\"ids\": \"4-6\", \"type\": \"CEX8A\"}], \"usage_domains\": \"6\", "     \
	"\"control_domains\": \"6\", \"apmask\": \"\", \"aqmask\": \"\"}\n"

/* ---- the raw futex ping-pong between two processes ---- */

static long futex(uint32_t *a, int op, uint32_t v)
{
	return syscall(SYS_futex, a, op, v, NULL, NULL, 0);
}

static void wait_for(uint32_t *w, uint32_t want)
{
	uint32_t cur;

	while ((cur = __atomic_load_n(w, __ATOMIC_ACQUIRE)) != want)
		futex(w, FUTEX_WAIT, cur);
}

/* Mean round trip in seconds: ping (parent -> child), pong (child -> parent). */
static double pingpong(double seconds)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint64_t n = 0;
	double start, t;
	pid_t pid;

	if (w == MAP_FAILED)
		return -1;
	w[0] = w[1] = 0;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		for (uint32_t i = 1;; i++) {
			wait_for(&w[0], i);
			if (__atomic_load_n(&w[2], __ATOMIC_ACQUIRE))
				_exit(0);
			__atomic_store_n(&w[1], i, __ATOMIC_RELEASE);
			futex(&w[1], FUTEX_WAKE, 1);
		}
	}
	start = rsa_now();
	do {
		for (int k = 0; k < 64; k++) {
			n++;
			__atomic_store_n(&w[0], (uint32_t)n, __ATOMIC_RELEASE);
			futex(&w[0], FUTEX_WAKE, 1);
			wait_for(&w[1], (uint32_t)n);
		}
	} while ((t = rsa_now()) - start < seconds);
	__atomic_store_n(&w[2], 1, __ATOMIC_RELEASE);
	__atomic_store_n(&w[0], (uint32_t)n + 1, __ATOMIC_RELEASE);
	futex(&w[0], FUTEX_WAKE, 1);
	waitpid(pid, NULL, 0);
	munmap(w, 4096);
	return (t - start) / (double)n;
}

/* NQAP + DQAP of the smallest request, one at a time, DQAP polled at once. */
static double apemu_round_trip(struct apemu_guest *g, const struct rsa_case *c, double seconds,
			       uint64_t *ret_wrong)
{
	uint8_t buf[64];
	uint64_t n = 0;
	double start = rsa_now(), t;

	*ret_wrong = 0;
	do {
		for (int k = 0; k < 64; k++) {
			struct apemu_ap_result res;
			uint64_t psmid = 0;
			size_t len = 0;

			if (apemu_nqap(g, APQN_A, n, c->req, c->req_len, &res) < 0 || res.cc)
				return -1;
			do {
				if (apemu_dqap(g, APQN_A, &psmid, buf, sizeof(buf), &len, NULL,
					       &res) < 0 ||
				    res.pgm)
					return -1;
			} while (res.cc == 3 &&
				 APEMU_AP_STATUS_RC(res.status) == APEMU_AP_RC_Q_FULL &&
				 !(res.status & APEMU_AP_STATUS_E));
			if (res.cc || psmid != n || len != c->reply_len ||
			    memcmp(buf, c->reply, len))
				(*ret_wrong)++;
			n++;
		}
	} while ((t = rsa_now()) - start < seconds);
	return (t - start) / (double)n;
}

/* ---- the emulator side ---- */

int bench_write(const char *mount, const char *rel, const char *text)
{
	char path[PATH_MAX + 128];
	FILE *f;
	int r;

	snprintf(path, sizeof(path), "%s/%s", mount, rel);
	f = fopen(path, "w");
	if (!f)
		return -errno;
	r = fputs(text, f) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && !r)
		r = -errno;
	return r;
}

/* The mdev holding both adapters' domain 6. */
static int make_mdev(const char *mount)
{
	static const char *const steps[][2] = {
	    {"devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", BENCH_UUID},
	    {"devices/vfio_ap/matrix/" BENCH_UUID "/assign_adapter", "4"},
	    {"devices/vfio_ap/matrix/" BENCH_UUID "/assign_adapter", "5"},
	    {"devices/vfio_ap/matrix/" BENCH_UUID "/assign_domain", "6"},
	};
	int r = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !r; i++)
		r = bench_write(mount, steps[i][0], steps[i][1]);
	return r;
}

/* Operations through the guest on nq adapters in seconds, or -1. */
static double emu_ops(struct apemu_guest *g, const struct rsa_case *cases, unsigned int n,
		      unsigned int nq, double seconds, uint64_t *wrong)
{
	static const uint16_t apqns[] = {APQN_A, APQN_B};
	struct rsa_result res;
	int r = rsa_run(&(struct rsa_run){.g = g,
					  .apqns = apqns,
					  .napqns = nq,
					  .cases = cases,
					  .ncases = n,
					  .seconds = seconds,
					  .irq = true},
			&res);

	if (r < 0) {
		fprintf(stderr, "apemu bench: %s\n", res.message[0] ? res.message : strerror(-r));
		return -1;
	}
	*wrong += res.wrong;
	return (double)res.done * seconds / res.seconds;
}

static void clean_up(bool keep_log);

/*
 * Every line goes out at once. SIGPIPE is ignored, so a reader that went
 * away (`apemu bench | head -3`) shows as EPIPE here: stop the private
 * daemon and end as SIGPIPE would have ended us, not leave it mounted.
 */
static void out_flush(void)
{
	if (fflush(stdout) == EOF && errno == EPIPE) {
		__fpurge(stdout); /* the clean-up's own messages go to stderr through it */
		clean_up(false);
		_exit(128 + SIGPIPE);
	}
}

void bench_line(const struct bench_opts *o, const char *what, double emu, double base,
		const char *unit, double ratio, const char *goal)
{
	if (o->json)
		printf("{\"measure\":\"%s\",\"apemu\":%.3f,\"baseline\":%.3f,\"unit\":\"%s\","
		       "\"ratio\":%.3f%s%s%s}\n",
		       what, emu, base, unit, ratio, goal ? ",\"goal\":\"" : "", goal ? goal : "",
		       goal ? "\"" : "");
	else
		printf("%-46s apemu %10.1f %-5s baseline %10.1f %-5s ratio %5.2f%s%s\n", what, emu,
		       unit, base, unit, ratio, goal ? "  goal " : "", goal ? goal : "");
	out_flush();
}

void bench_figure(const struct bench_opts *o, const char *what, double value, const char *unit,
		  const char *goal, const char *formula)
{
	if (o->json)
		printf("{\"measure\":\"%s\",\"value\":%.3f,\"unit\":\"%s\"%s%s%s%s%s%s}\n", what,
		       value, unit, goal ? ",\"goal\":\"" : "", goal ? goal : "", goal ? "\"" : "",
		       formula ? ",\"formula\":\"" : "", formula ? formula : "",
		       formula ? "\"" : "");
	else
		printf("%-46s       %10.1f %-5s%s%s\n", what, value, unit, goal ? "  goal " : "",
		       goal ? goal : "");
	out_flush();
}

void bench_note(const struct bench_opts *o, const char *fmt, ...)
{
	va_list ap;

	if (o->json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	out_flush();
}

/*
 * The sides of one comparison: raw constant-time RSA (raw_rsa.h), raw
 * EVP_PKEY_decrypt and apemu, on n threads / adapters each. In each of
 * RSA_ROUNDS rounds every side runs seconds / RSA_ROUNDS, in turn and in
 * the opposite order the next round (machines drift: a side measured in
 * one block could meet other weather than the others). The speed of a
 * vCPU here changes by 10-20 % within a quarter of a second, so the
 * rounds are short: 62 ms each with the default 2 s (bench/README.md,
 * "Rounds"); each side counts its operations over the time it really ran.
 *
 * The vCPUs of these machines also run at different speeds for seconds at
 * a time (a neighbour on the host's core: one was 17 % slower than the
 * other for 5 s while measured), so one thread on one vCPU against one
 * adapter on the other would compare the vCPUs. Every side is therefore
 * placed: the one-thread sides of a round run on one CPU, the same for all
 * of them (the raw thread, or the adapter's thread in apemud, found by its
 * name), while the guest (this thread) runs on another, the rounds taking
 * turns over the CPUs; the two-thread sides run one thread (raw thread or
 * adapter) on each of two CPUs, the guest where the scheduler puts it.
 */
#define RSA_ROUNDS 32

enum side_kind { SIDE_RAW, SIDE_EVP, SIDE_EMU };

/* Where the sides run, found once per run (none: placed false). */
struct placement {
	bool placed;
	pid_t adapter_tid[2]; /* the threads of APQN_A's and APQN_B's adapters */
	cpu_set_t all;	      /* where everything may run otherwise */
	int cpus[2];	      /* the first two CPUs of all */
};

struct side {
	enum side_kind kind;
	unsigned int n; /* threads or adapters */
	double ops;	/* summed over the rounds */
};

struct work {
	struct apemu_guest *g;
	const struct rsakey *key;
	bool crt;
	const struct rsa_case *cases;
	unsigned int ncases;
	uint64_t wrong;
	const struct placement *pl;
};

/* The thread of adapter apid in apemud (pid): named apemud-cardXX. 0: none. */
static pid_t adapter_thread(pid_t pid, unsigned int apid)
{
	char path[64], want[16], comm[32];
	pid_t found = 0;
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	snprintf(want, sizeof(want), "apemud-card%02x\n", apid);
	dir = opendir(path);
	while (dir && !found && (d = readdir(dir))) {
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/comm", (int)pid, d->d_name);
		f = fopen(path, "r");
		if (f && fgets(comm, sizeof(comm), f) && !strcmp(comm, want))
			found = (pid_t)atoi(d->d_name);
		if (f)
			fclose(f);
	}
	if (dir)
		closedir(dir);
	return found;
}

/* Run thread tid (0: this one) on cpu, or anywhere in pl->all with -1. */
static void place(const struct placement *pl, pid_t tid, int cpu)
{
	cpu_set_t one;

	CPU_ZERO(&one);
	if (cpu >= 0)
		CPU_SET(cpu, &one);
	if (sched_setaffinity(tid, sizeof(cpu_set_t), cpu >= 0 ? &one : &pl->all) < 0) {
		/* the thread ended (apemud gone): the side itself will say so */
	}
}

/*
 * One side for t seconds, in round r. One thread: on cpus[r / 2 % 2], the
 * guest on the other CPU; two threads: one on each CPU.
 */
static double side_ops(struct work *w, const struct side *s, double t, int r)
{
	const struct placement *pl = w->pl;
	int one = pl->cpus[r / 2 % 2], other = pl->cpus[1 - r / 2 % 2];
	const int *cpus = !pl->placed ? NULL : s->n == 1 ? &one : pl->cpus;
	double v;

	if (pl->placed && s->n == 1)
		place(pl, 0, other);
	switch (s->kind) {
	case SIDE_RAW:
		v = raw_rsa_ops(w->key, RAW_BN, w->crt, s->n, t, cpus);
		break;
	case SIDE_EVP:
		v = raw_rsa_ops(w->key, RAW_EVP, w->crt, s->n, t, cpus);
		break;
	default:
		for (unsigned int i = 0; cpus && i < s->n; i++)
			place(pl, pl->adapter_tid[i], cpus[i]);
		v = emu_ops(w->g, w->cases, w->ncases, s->n, t, &w->wrong);
		for (unsigned int i = 0; cpus && i < s->n; i++)
			place(pl, pl->adapter_tid[i], -1);
		break;
	}
	if (pl->placed && s->n == 1)
		place(pl, 0, -1);
	return v;
}

static int alternate(struct work *w, struct side *sides, size_t n, double seconds)
{
	double t = seconds / RSA_ROUNDS;

	for (int r = 0; r < RSA_ROUNDS; r++) {
		for (size_t k = 0; k < n; k++) {
			struct side *s = &sides[r % 2 ? n - 1 - k : k];
			double v = side_ops(w, s, t, r);

			if (v < 0)
				return -EIO;
			s->ops += v;
		}
	}
	return 0;
}

/*
 * Where the sides of this run go: the adapters' threads, and two CPUs to
 * run on. With fewer CPUs, or no threads of those names (an older apemud),
 * nothing is placed; bench_note says so.
 */
static void placement(const struct bench_env *env, struct placement *pl)
{
	const struct bench_opts *o = env->o;
	int ncpus = 0;

	if (sched_getaffinity(0, sizeof(pl->all), &pl->all) == 0)
		ncpus = raw_cpus(pl->cpus, 2);
	pl->adapter_tid[0] = adapter_thread(env->pid, APQN_A >> 8);
	pl->adapter_tid[1] = adapter_thread(env->pid, APQN_B >> 8);
	pl->placed = ncpus == 2 && pl->adapter_tid[0] && pl->adapter_tid[1];
	if (!pl->placed)
		bench_note(o, "apemu bench: %s: every side runs where the scheduler puts it",
			   ncpus < 2 ? "one CPU" : "no threads apemud-card04/05 in apemud");
}

struct measure {
	const char *name;
	unsigned int bits;
	enum rsa_kind kind;
	bool two; /* also on two adapters / threads */
};

static void report(const struct bench_opts *o, const struct measure *m, const struct side *s)
{
	double sec = o->seconds;
	char what[96];

	snprintf(what, sizeof(what), "%s, 1 adapter vs raw %s 1 thread", m->name,
		 m->kind == RSA_CRT ? "CRT" : "ME");
	bench_line(o, what, s[2].ops / sec, s[0].ops / sec, "ops/s", s[2].ops / s[0].ops,
		   m->two ? ">= 0.97" : NULL);
	snprintf(what, sizeof(what), "%s, 1 adapter vs EVP 1 thread", m->name);
	bench_line(o, what, s[2].ops / sec, s[1].ops / sec, "ops/s", s[2].ops / s[1].ops, NULL);
	if (!m->two)
		return;
	snprintf(what, sizeof(what), "%s, 2 adapters vs raw CRT 2 threads", m->name);
	bench_line(o, what, s[5].ops / sec, s[3].ops / sec, "ops/s", s[5].ops / s[3].ops,
		   ">= 0.95");
	snprintf(what, sizeof(what), "%s, 2 adapters vs EVP 2 threads", m->name);
	bench_line(o, what, s[5].ops / sec, s[4].ops / sec, "ops/s", s[5].ops / s[4].ops, NULL);
	snprintf(what, sizeof(what), "%s, 1 -> 2 adapters", m->name);
	bench_line(o, what, s[5].ops / sec, s[2].ops / sec, "ops/s", s[5].ops / s[2].ops,
		   ">= 1.85");
	snprintf(what, sizeof(what), "%s, raw CRT 1 -> 2 threads", m->name);
	bench_line(o, what, s[3].ops / sec, s[0].ops / sec, "ops/s", s[3].ops / s[0].ops, NULL);
}

static int measure_rsa(const struct bench_opts *o, struct apemu_guest *g,
		       const struct placement *pl, const struct measure *m, uint64_t *wrong)
{
	struct side s[] = {{SIDE_RAW, 1, 0}, {SIDE_EVP, 1, 0}, {SIDE_EMU, 1, 0},
			   {SIDE_RAW, 2, 0}, {SIDE_EVP, 2, 0}, {SIDE_EMU, 2, 0}};
	struct rsa_case *cases = NULL;
	struct rsakey key;
	struct work w;
	int r;

	if (rsa_cases_new(m->bits, m->kind, 2, 8, &cases) < 0)
		return -EIO;
	if (rsakey_generate(m->bits, &key) < 0) {
		rsa_cases_free(cases, 8);
		return -EIO;
	}
	w = (struct work){
	    .g = g, .key = &key, .crt = m->kind == RSA_CRT, .cases = cases, .ncases = 8, .pl = pl};
	r = alternate(&w, s, m->two ? 6 : 3, o->seconds);
	*wrong += w.wrong;
	rsakey_clear(&key);
	rsa_cases_free(cases, 8);
	if (r < 0) {
		fprintf(stderr, "apemu bench: %s failed\n", m->name);
		return r;
	}
	report(o, m, s);
	return 0;
}

static int run(const struct bench_env *env, struct apemu_guest *g)
{
	const struct bench_opts *o = env->o;
	static const struct measure ms[] = {
	    {"RSA-2048 CRT", 2048, RSA_CRT, true},
	    {"RSA-4096 CRT", 4096, RSA_CRT, false},
	    {"RSA-1024 ME", 1024, RSA_ME_PRIVATE, false},
	};
	uint64_t wrong = 0;
	struct rsa_case *smallest = NULL;
	double lat = 0, pp = 0, sec = o->seconds;
	struct placement pl;

	placement(env, &pl);
	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		int r = measure_rsa(o, g, &pl, &ms[i], &wrong);

		if (r < 0)
			return r;
	}
	if (rsa_case_smallest(&smallest) < 0)
		return -ENOMEM;
	for (int r = 0; r < BENCH_ROUNDS; r++) {
		uint64_t w = 0;
		double p = pingpong(sec / BENCH_ROUNDS);
		double l = apemu_round_trip(g, smallest, sec / BENCH_ROUNDS, &w);

		wrong += w;
		if (p <= 0 || l <= 0) {
			rsa_cases_free(smallest, 1);
			return -EIO;
		}
		pp += p / BENCH_ROUNDS;
		lat += l / BENCH_ROUNDS;
	}
	rsa_cases_free(smallest, 1);
	bench_line(o, "NQAP+DQAP round trip, 16 B request", lat * 1e6, pp * 1e6, "us", lat / pp,
		   "<= 1.0");
	if (wrong) {
		fprintf(stderr, "apemu bench: %llu replies differ from OpenSSL's\n",
			(unsigned long long)wrong);
		return -EIO;
	}
	return 0;
}

/* N of --scale [N] ("--scale=N", or N as the next argument). 0 or 2. */
static int parse_scale(const char *arg, struct bench_opts *o)
{
	unsigned long n;
	char *end;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (!*arg || *end || errno || !strchr("0123456789", *arg) || n < BENCH_SCALE_MIN ||
	    n > BENCH_SCALE_MAX) {
		fprintf(stderr, "apemu bench: bad --scale \"%s\" (expected %u to %u guests)\n", arg,
			BENCH_SCALE_MIN, BENCH_SCALE_MAX);
		return 2;
	}
	o->scale = (unsigned int)n;
	return 0;
}

static bool all_digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

static int parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
	    {"seconds", required_argument, NULL, 's'}, {"json", no_argument, NULL, 'j'},
	    {"fairness", no_argument, NULL, 'f'},      {"scale", optional_argument, NULL, 'S'},
	    {"help", no_argument, NULL, 'h'},	       {NULL, 0, NULL, 0},
	};
	bool fair = false, scale = false;
	char *end;
	int c;

	*o = (struct bench_opts){.seconds = 2.0, .scale = BENCH_SCALE_DEFAULT};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || end == optarg || !(o->seconds >= 0.05 && o->seconds <= 600)) {
				fprintf(
				    stderr,
				    "apemu bench: bad --seconds \"%s\" (expected 0.05 to 600)\n",
				    optarg);
				return 2;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'f':
			fair = true;
			break;
		case 'S':
			scale = true;
			if (!optarg && optind < argc && all_digits(argv[optind]))
				optarg = argv[optind++];
			if (optarg && parse_scale(optarg, o))
				return 2;
			break;
		case 'h':
			printf("Usage: apemu bench %s\n\n%s", BENCH_CMD_SYNOPSIS, BENCH_CMD_HELP);
			return -1;
		case ':':
			fprintf(stderr, "apemu bench: option \"%s\" needs a value\n",
				argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr,
				"apemu bench: unknown option \"%s\" (see apemu bench --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "apemu bench: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
	if (fair && scale) {
		fprintf(stderr, "apemu bench: --fairness and --scale exclude each other\n");
		return 2;
	}
	o->mode = fair ? BENCH_FAIRNESS : scale ? BENCH_SCALE : BENCH_DATA_PLANE;
	return 0;
}

/* The instance of this run, for the clean-up (also on a signal). */
static struct {
	char dir[32], machine[64], mount[64];
	struct client_paths paths;
	bool started;
	pthread_mutex_t lock; /* one clean-up: the main thread's or the signal thread's */
	bool cleaned;
} inst = {.dir = "/tmp/apemu-bench-XXXXXX", .lock = PTHREAD_MUTEX_INITIALIZER};

/* lifecycle's messages go to stderr: stdout is for the measurements */
static void lifecycle_quietly(bool start)
{
	int saved = dup(STDOUT_FILENO);

	fflush(stdout);
	if (saved >= 0)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	if (start)
		inst.started = lifecycle_start(&inst.paths, inst.machine, NULL, NULL) == 0;
	else
		lifecycle_stop(&inst.paths);
	fflush(stdout);
	if (saved >= 0) {
		dup2(saved, STDOUT_FILENO);
		close(saved);
	}
}

/* Stop the daemon and remove the directory; a failed run keeps the log. */
static void clean_up(bool keep_log)
{
	pthread_mutex_lock(&inst.lock);
	if (!inst.cleaned) {
		inst.cleaned = true;
		if (inst.started)
			lifecycle_quietly(false);
		unlink(inst.machine);
		rmdir(inst.mount);
		if (keep_log && inst.started)
			fprintf(stderr, "apemu bench: apemud's log is %s\n", inst.paths.log);
		else
			unlink(inst.paths.log);
		rmdir(inst.dir);
	}
	pthread_mutex_unlock(&inst.lock);
}

/* SIGINT, SIGTERM, SIGHUP: stop the private daemon, then end like the signal says. */
static void *signal_thread(void *arg)
{
	sigset_t *set = arg;
	int sig = 0;

	if (sigwait(set, &sig) == 0) {
		clean_up(false);
		_exit(128 + sig);
	}
	return NULL;
}

/* The default mode: one guest on an mdev with both adapters. */
static int data_plane(const struct bench_env *env)
{
	const struct bench_opts *o = env->o;
	struct apemu_guest *g = NULL;
	int r = make_mdev(env->mount);

	if (r < 0) {
		fprintf(stderr, "apemu bench: cannot set up the mdev: %s\n", strerror(-r));
		return r;
	}
	r = apemu_guest_new(env->socket, NULL, 0, &g);
	if (r == 0 && apemu_guest_open(g, BENCH_UUID) != 0)
		r = -EIO;
	if (r < 0) {
		fprintf(stderr, "apemu bench: cannot start the guest: %s\n", strerror(-r));
		apemu_guest_free(g);
		return r;
	}
	bench_note(o,
		   "apemu bench: 2 CEX8A adapters, %ld CPUs, %.1f s per measurement; "
		   "baselines measured in the same run",
		   sysconf(_SC_NPROCESSORS_ONLN), o->seconds);
	r = run(env, g);
	apemu_guest_free(g);
	return r;
}

/* The private instance's machine description, for the mode. */
static int write_machine(const struct bench_opts *o)
{
	char text[512];
	FILE *f = fopen(inst.machine, "w");
	int r;

	if (o->mode == BENCH_SCALE)
		bench_scale_machine(o->scale, text, sizeof(text));
	else
		snprintf(text, sizeof(text), "%s",
			 o->mode == BENCH_FAIRNESS ? MACHINE_FAIR : MACHINE);
	r = f ? fputs(text, f) : EOF;
	if (f && fclose(f) != 0)
		r = EOF;
	return r == EOF ? -EIO : 0;
}

/* apemud's pid, from the control socket (SO_PEERCRED). */
static pid_t daemon_pid(void)
{
	pid_t pid = 0;
	int fd = -1;

	if (client_connect(inst.paths.socket, &fd, &pid) < 0)
		return 0;
	close(fd);
	return pid;
}

int bench_cmd_main(int argc, char **argv)
{
	static sigset_t set;
	struct bench_opts o;
	struct bench_env env;
	int r = parse(argc, argv, &o), status = 1;
	pthread_t sigthread;

	if (r)
		return r < 0 ? 0 : r;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR || pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
	    pthread_create(&sigthread, NULL, signal_thread, &set) != 0) {
		fprintf(stderr, "apemu bench: cannot set up signal handling\n");
		return 1;
	}
	if (!mkdtemp(inst.dir)) {
		fprintf(stderr, "apemu bench: cannot make a directory in /tmp: %s\n",
			strerror(errno));
		return 1;
	}
	snprintf(inst.machine, sizeof(inst.machine), "%s/machine.json", inst.dir);
	snprintf(inst.mount, sizeof(inst.mount), "%s/sys", inst.dir);
	if (write_machine(&o) < 0 || client_paths_init(&inst.paths, inst.mount) < 0) {
		fprintf(stderr, "apemu bench: cannot write %s\n", inst.machine);
		clean_up(false);
		return 1;
	}
	lifecycle_quietly(true);
	if (!inst.started)
		goto out;
	env = (struct bench_env){
	    .o = &o, .mount = inst.mount, .socket = inst.paths.socket, .pid = daemon_pid()};
	switch (o.mode) {
	case BENCH_FAIRNESS:
		r = bench_fairness(&env);
		break;
	case BENCH_SCALE:
		r = bench_scale(&env);
		break;
	default:
		r = data_plane(&env);
		break;
	}
	status = r < 0 ? 1 : 0;
out:
	clean_up(status != 0);
	return status;
}
