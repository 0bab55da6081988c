/*
 * bench_fair - `apemu bench --fairness`: does a guest that floods its
 * adapters with long requests slow down another guest on another adapter?
 *
 * The private apemud has three CEX8A accelerators (04, 05, 06; domain 6).
 * Guest X opens an mdev with adapters 04 and 05 and keeps both queues full
 * (depth + 1 requests each) of RSA-4096 modular exponentiations with the
 * private exponent (type 50 MEB3, about 17 ms each on these machines).
 * Guest Y opens an mdev with adapter 06 and runs RSA-2048 CRT there, its
 * queue full too. Y's rate while X floods is compared with Y's rate alone,
 * in BENCH_ROUNDS rounds whose halves take turns. The guests are threads of
 * this process, each struct apemu_guest used by its own thread only.
 * On a real machine each adapter computes on its own; the goal is that Y
 * keeps at least a third of its rate (2 cores for 3 busy adapters).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bench_int.h"
#include "rsa_run.h"

#define UUID_X	"b0b0b0b0-0000-4000-8000-0000000fa1a0"
#define UUID_Y	"b0b0b0b0-0000-4000-8000-0000000fa1b0"
#define APQN_X0 0x0406
#define APQN_X1 0x0506
#define APQN_Y	0x0606
#define NCASES	8
/* X floods from LEAD_S before Y starts until TAIL_S after Y's time is up */
#define LEAD_S 0.15
#define TAIL_S 0.15

static int make_mdevs(const char *mount)
{
	static const char *const steps[][2] = {
	    {"devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", UUID_X},
	    {"devices/vfio_ap/matrix/" UUID_X "/assign_adapter", "4"},
	    {"devices/vfio_ap/matrix/" UUID_X "/assign_adapter", "5"},
	    {"devices/vfio_ap/matrix/" UUID_X "/assign_domain", "6"},
	    {"devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/create", UUID_Y},
	    {"devices/vfio_ap/matrix/" UUID_Y "/assign_adapter", "6"},
	    {"devices/vfio_ap/matrix/" UUID_Y "/assign_domain", "6"},
	};
	int r = 0;

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]) && !r; i++)
		r = bench_write(mount, steps[i][0], steps[i][1]);
	return r;
}

/* One guest's traffic: rsa_run on its queues, on a thread of its own or not. */
struct traffic {
	struct rsa_run run;
	struct rsa_result res;
	int err;
	pthread_t thread;
};

static void *traffic_thread(void *arg)
{
	struct traffic *t = arg;

	t->err = rsa_run(&t->run, &t->res);
	return NULL;
}

/* Operations per second of t for seconds, or -1 (message on stderr). */
static double traffic_rate(struct traffic *t, const char *who)
{
	if (t->err < 0) {
		fprintf(stderr, "apemu bench: guest %s: %s\n", who,
			t->res.message[0] ? t->res.message : strerror(-t->err));
		return -1;
	}
	if (t->res.wrong) {
		fprintf(stderr, "apemu bench: guest %s: %llu replies differ from OpenSSL's\n", who,
			(unsigned long long)t->res.wrong);
		return -1;
	}
	return (double)t->res.done / t->res.seconds;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s,
			      .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Y's rate for t seconds, alone or while X floods. */
static double y_rate(struct traffic *y, struct traffic *x, bool loaded, double t, double *x_rate)
{
	double rate;

	if (loaded) {
		x->run.seconds = LEAD_S + t + TAIL_S;
		if (pthread_create(&x->thread, NULL, traffic_thread, x) != 0)
			return -1;
		sleep_s(LEAD_S);
	}
	y->run.seconds = t;
	y->err = rsa_run(&y->run, &y->res);
	rate = traffic_rate(y, "Y");
	if (loaded) {
		double xr;

		pthread_join(x->thread, NULL);
		xr = traffic_rate(x, "X");
		if (xr < 0)
			return -1;
		*x_rate += xr;
	}
	return rate;
}

static int open_guest(const struct bench_env *e, const char *uuid, struct apemu_guest **ret)
{
	int r = apemu_guest_new(e->socket, NULL, 0, ret);

	if (r == 0 && apemu_guest_open(*ret, uuid) != 0)
		r = -EIO;
	if (r < 0)
		fprintf(stderr, "apemu bench: cannot open mdev %s for a guest: %s\n", uuid,
			strerror(-r));
	return r;
}

static int measure(const struct bench_env *e, struct apemu_guest *gx, struct apemu_guest *gy,
		   const struct rsa_case *xc, const struct rsa_case *yc)
{
	static const uint16_t xq[] = {APQN_X0, APQN_X1}, yq[] = {APQN_Y};
	struct traffic x = {
	    .run = {.g = gx, .apqns = xq, .napqns = 2, .cases = xc, .ncases = NCASES, .irq = true}};
	struct traffic y = {
	    .run = {.g = gy, .apqns = yq, .napqns = 1, .cases = yc, .ncases = NCASES, .irq = true}};
	double t = e->o->seconds / BENCH_ROUNDS, alone = 0, loaded = 0, xr = 0;

	for (int r = 0; r < BENCH_ROUNDS; r++) {
		/* the halves take turns: alone first in even rounds */
		for (int k = 0; k < 2; k++) {
			bool load = (r + k) % 2 == 1;
			double v = y_rate(&y, &x, load, t, &xr);

			if (v < 0)
				return -EIO;
			*(load ? &loaded : &alone) += v / BENCH_ROUNDS;
		}
	}
	bench_note(e->o,
		   "apemu bench --fairness: 3 CEX8A adapters; guest X keeps 04.0006 and 05.0006 "
		   "full of RSA-4096 ME (MEB3),\nguest Y runs RSA-2048 CRT on 06.0006; %.1f s per "
		   "side, %d alternating rounds",
		   e->o->seconds, BENCH_ROUNDS);
	bench_line(e->o, "Y RSA-2048 CRT, X flooding vs Y alone", loaded, alone, "ops/s",
		   loaded / alone, ">= 0.33");
	bench_figure(e->o, "X RSA-4096 ME on 2 adapters, while Y ran", xr / BENCH_ROUNDS, "ops/s",
		     NULL, NULL);
	return 0;
}

int bench_fairness(const struct bench_env *e)
{
	struct apemu_guest *gx = NULL, *gy = NULL;
	struct rsa_case *xc = NULL, *yc = NULL;
	int r = make_mdevs(e->mount);

	if (r < 0) {
		fprintf(stderr, "apemu bench: cannot set up the mdevs: %s\n", strerror(-r));
		return r;
	}
	r = open_guest(e, UUID_X, &gx);
	if (!r)
		r = open_guest(e, UUID_Y, &gy);
	if (!r && (rsa_cases_new(4096, RSA_ME_PRIVATE, 1, NCASES, &xc) < 0 ||
		   rsa_cases_new(2048, RSA_CRT, 2, NCASES, &yc) < 0)) {
		fprintf(stderr, "apemu bench: cannot make the RSA requests\n");
		r = -EIO;
	}
	if (!r)
		r = measure(e, gx, gy, xc, yc);
	rsa_cases_free(xc, NCASES);
	rsa_cases_free(yc, NCASES);
	apemu_guest_free(gx);
	apemu_guest_free(gy);
	return r;
}
