/*
 * bench_cmd - `apemu bench`: the crypto data plane against baselines
 * measured in the same run (PERF-NOTES.md: these machines are shared and
 * noisy, so only ratios mean something).
 *
 * It starts a private apemud with two CEX8A accelerators, gives both (one
 * domain) to an mdev, opens it from a guest in this process, and measures:
 * - RSA-2048 CRT operations per second through guest -> ring -> adapter ->
 *   OpenSSL -> reply with one adapter, against raw OpenSSL (EVP, no padding)
 *   on one thread; the same with two adapters against two threads, and the
 *   scaling from one adapter to two;
 * - RSA-4096 CRT and a 1024-bit modular exponentiation (private exponent)
 *   on one adapter against one thread;
 * - the round trip NQAP + DQAP of the smallest request (a bare type 50
 *   header, answered with an error reply) against a raw shared-memory futex
 *   ping-pong between two processes.
 * Every reply is also checked against OpenSSL's result.
 */
#include "bench_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <apemu/guest.h>

#include "lifecycle.h"
#include "rsa_run.h"
#include "rsakey.h"

#define BENCH_UUID "b0b0b0b0-0000-4000-8000-00000000be4c"
#define APQN_A	   0x0406
#define APQN_B	   0x0506
#define MACHINE                                                                                    \
	"{\"adapters\": [{\"ids\": \"4-5\", \"type\": \"CEX8A\"}], \"usage_domains\": \"6\", "    \
	"\"control_domains\": \"6\", \"apmask\": \"\", \"aqmask\": \"\"}\n"

struct bench_opts {
	double seconds;
	bool json;
};

/* ---- raw OpenSSL ---- */

#define ROUNDS 4 /* each comparison alternates its sides this many times */

struct raw_job {
	const struct rsakey *key;
	bool crt;
	double seconds;
	uint64_t ops;
	int err;
};

/*
 * One thread of raw OpenSSL: its own copy of the key (OpenSSL's RSA blinding
 * would otherwise serialise the threads on a lock), with its CRT parameters
 * or with n, e, d only (then OpenSSL computes m^d mod n, as a MEB request
 * asks), EVP_PKEY_decrypt without padding in a loop.
 */
static void *raw_thread(void *arg)
{
	struct raw_job *j = arg;
	EVP_PKEY *k = rsakey_copy(j->key, j->crt);
	EVP_PKEY_CTX *c = k ? EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL) : NULL;
	size_t len = j->key->len, outlen;
	uint8_t in[512], out[512];
	double end;

	j->err = -EIO;
	if (!c || EVP_PKEY_decrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) != 1 || RAND_bytes(in, (int)len) != 1)
		goto out;
	in[0] = 0;
	end = rsa_now() + j->seconds;
	do {
		for (int i = 0; i < 8; i++) {
			outlen = len;
			if (EVP_PKEY_decrypt(c, out, &outlen, in, len) != 1)
				goto out;
			j->ops++;
		}
	} while (rsa_now() < end);
	j->err = 0;
out:
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(k);
	return NULL;
}

/* Operations of raw OpenSSL on nthreads threads in seconds, or -1. */
static double raw_ops(const struct rsakey *key, bool crt, unsigned int nthreads, double seconds)
{
	struct raw_job jobs[2];
	pthread_t t[2];
	unsigned int started = 0;
	double total = 0;

	for (unsigned int i = 0; i < nthreads; i++) {
		jobs[i] = (struct raw_job){.key = key, .crt = crt, .seconds = seconds};
		if (pthread_create(&t[i], NULL, raw_thread, &jobs[i]))
			break;
		started++;
	}
	if (started < nthreads)
		total = -1;
	for (unsigned int i = 0; i < started; i++) {
		pthread_join(t[i], NULL);
		if (jobs[i].err)
			total = -1;
		else if (total >= 0)
			total += (double)jobs[i].ops;
	}
	return total;
}

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
					       &res) < 0 || res.pgm)
					return -1;
			} while (res.cc == 3 &&
				 APEMU_AP_STATUS_RC(res.status) == APEMU_AP_RC_Q_FULL &&
				 !(res.status & APEMU_AP_STATUS_E));
			if (res.cc || psmid != n || len != c->reply_len || memcmp(buf, c->reply, len))
				(*ret_wrong)++;
			n++;
		}
	} while ((t = rsa_now()) - start < seconds);
	return (t - start) / (double)n;
}

/* ---- the emulator side ---- */

static int write_file(const char *mount, const char *rel, const char *text)
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
		r = write_file(mount, steps[i][0], steps[i][1]);
	return r;
}

struct measure {
	const char *name;
	unsigned int bits;
	enum rsa_kind kind;
};

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

static void line(const struct bench_opts *o, const char *what, double emu, double raw,
		 const char *unit, double ratio, const char *goal)
{
	if (o->json)
		printf("{\"measure\":\"%s\",\"apemu\":%.3f,\"baseline\":%.3f,\"unit\":\"%s\","
		       "\"ratio\":%.3f%s%s%s}\n",
		       what, emu, raw, unit, ratio, goal ? ",\"goal\":\"" : "", goal ? goal : "",
		       goal ? "\"" : "");
	else
		printf("%-34s apemu %10.1f %-5s baseline %10.1f %-5s ratio %5.2f%s%s\n", what, emu,
		       unit, raw, unit, ratio, goal ? "  goal " : "", goal ? goal : "");
	fflush(stdout);
}

/*
 * Sum of ops over ROUNDS rounds in which the sides take turns (machines
 * drift: a side measured in one block could meet other weather than the
 * other). Sides: raw 1 thread, apemu 1 adapter, and with two: raw 2
 * threads, apemu 2 adapters. -EIO when a side failed.
 */
struct sums {
	double raw1, emu1, raw2, emu2;
};

static int alternate(struct apemu_guest *g, const struct rsakey *key, bool crt,
		     const struct rsa_case *cases, unsigned int ncases, bool two, double seconds,
		     struct sums *ret, uint64_t *wrong)
{
	double t = seconds / ROUNDS;

	*ret = (struct sums){0};
	for (int r = 0; r < ROUNDS; r++) {
		double v[4] = {raw_ops(key, crt, 1, t), emu_ops(g, cases, ncases, 1, t, wrong),
			       two ? raw_ops(key, crt, 2, t) : 0,
			       two ? emu_ops(g, cases, ncases, 2, t, wrong) : 0};

		if (v[0] < 0 || v[1] < 0 || v[2] < 0 || v[3] < 0)
			return -EIO;
		ret->raw1 += v[0];
		ret->emu1 += v[1];
		ret->raw2 += v[2];
		ret->emu2 += v[3];
	}
	return 0;
}

static int run(const struct bench_opts *o, struct apemu_guest *g)
{
	static const struct measure ms[] = {
	    {"RSA-2048 CRT", 2048, RSA_CRT},
	    {"RSA-4096 CRT", 4096, RSA_CRT},
	    {"RSA-1024 ME", 1024, RSA_ME_PRIVATE},
	};
	uint64_t wrong = 0;
	struct rsa_case *smallest = NULL;
	double lat = 0, pp = 0, sec = o->seconds;
	char what[64];

	for (size_t i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
		struct rsa_case *cases = NULL;
		struct rsakey key;
		struct sums s;
		int r;

		if (rsa_cases_new(ms[i].bits, ms[i].kind, 2, 8, &cases) < 0)
			return -EIO;
		if (rsakey_generate(ms[i].bits, &key) < 0) {
			rsa_cases_free(cases, 8);
			return -EIO;
		}
		r = alternate(g, &key, ms[i].kind == RSA_CRT, cases, 8, i == 0, sec, &s, &wrong);
		rsakey_clear(&key);
		rsa_cases_free(cases, 8);
		if (r < 0)
			return r;
		snprintf(what, sizeof(what), "%s, 1 adapter / 1 thread", ms[i].name);
		line(o, what, s.emu1 / sec, s.raw1 / sec, "ops/s", s.emu1 / s.raw1,
		     i == 0 ? ">= 0.95" : NULL);
		if (i == 0) {
			snprintf(what, sizeof(what), "%s, 2 adapters / 2 threads", ms[i].name);
			line(o, what, s.emu2 / sec, s.raw2 / sec, "ops/s", s.emu2 / s.raw2, NULL);
			snprintf(what, sizeof(what), "%s, 1 -> 2 adapters", ms[i].name);
			line(o, what, s.emu2 / sec, s.emu1 / sec, "ops/s", s.emu2 / s.emu1,
			     ">= 1.85");
			snprintf(what, sizeof(what), "%s, raw 1 -> 2 threads", ms[i].name);
			line(o, what, s.raw2 / sec, s.raw1 / sec, "ops/s", s.raw2 / s.raw1, NULL);
		}
	}
	if (rsa_case_smallest(&smallest) < 0)
		return -ENOMEM;
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t w = 0;
		double p = pingpong(sec / ROUNDS);
		double l = apemu_round_trip(g, smallest, sec / ROUNDS, &w);

		wrong += w;
		if (p <= 0 || l <= 0) {
			rsa_cases_free(smallest, 1);
			return -EIO;
		}
		pp += p / ROUNDS;
		lat += l / ROUNDS;
	}
	rsa_cases_free(smallest, 1);
	line(o, "NQAP+DQAP round trip, 16 B request", lat * 1e6, pp * 1e6, "us", lat / pp,
	     "<= 2");
	if (wrong) {
		fprintf(stderr, "apemu bench: %llu replies differ from OpenSSL's\n",
			(unsigned long long)wrong);
		return -EIO;
	}
	return 0;
}

static int parse(int argc, char **argv, struct bench_opts *o)
{
	static const struct option longopts[] = {
	    {"seconds", required_argument, NULL, 's'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*o = (struct bench_opts){.seconds = 2.0};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->seconds = strtod(optarg, &end);
			if (*end || end == optarg || !(o->seconds >= 0.05 && o->seconds <= 600)) {
				fprintf(stderr,
					"apemu bench: bad --seconds \"%s\" (expected 0.05 to 600)\n",
					optarg);
				return 2;
			}
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			printf("Usage: apemu bench %s\n\n%s", BENCH_CMD_SYNOPSIS, BENCH_CMD_HELP);
			return -1;
		default:
			fprintf(stderr, "apemu bench: unknown option \"%s\" (see apemu bench --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "apemu bench: unexpected argument \"%s\"\n", argv[optind]);
		return 2;
	}
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
		inst.started = lifecycle_start(&inst.paths, inst.machine) == 0;
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

int bench_cmd_main(int argc, char **argv)
{
	static sigset_t set;
	struct bench_opts o;
	struct apemu_guest *g = NULL;
	int r = parse(argc, argv, &o), status = 1;
	pthread_t sigthread;
	FILE *f;

	if (r)
		return r < 0 ? 0 : r;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL) != 0 ||
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
	f = fopen(inst.machine, "w");
	r = f ? fputs(MACHINE, f) : EOF;
	if (f && fclose(f) != 0)
		r = EOF;
	if (r == EOF || client_paths_init(&inst.paths, inst.mount) < 0) {
		fprintf(stderr, "apemu bench: cannot write %s\n", inst.machine);
		clean_up(false);
		return 1;
	}
	lifecycle_quietly(true);
	if (!inst.started)
		goto out;
	r = make_mdev(inst.mount);
	if (r < 0) {
		fprintf(stderr, "apemu bench: cannot set up the mdev: %s\n", strerror(-r));
		goto out;
	}
	r = apemu_guest_new(inst.paths.socket, NULL, 0, &g);
	if (r == 0 && apemu_guest_open(g, BENCH_UUID) != 0)
		r = -EIO;
	if (r < 0) {
		fprintf(stderr, "apemu bench: cannot start the guest: %s\n", strerror(-r));
		goto out;
	}
	if (!o.json)
		printf("apemu bench: 2 CEX8A adapters, %ld CPUs, %.1f s per measurement; "
		       "baselines measured in the same run\n",
		       sysconf(_SC_NPROCESSORS_ONLN), o.seconds);
	r = run(&o, g);
	status = r < 0 ? 1 : 0;
out:
	apemu_guest_free(g);
	clean_up(status != 0);
	return status;
}
