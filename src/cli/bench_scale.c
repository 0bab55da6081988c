/*
 * bench_scale - `apemu bench --scale [N]`: what the number of guests costs
 * apemud. Design principle 7 (DESIGN.md): apemud's thread count follows its
 * adapters and CPUs, never its number of guests.
 *
 * The private apemud's machine has N or more accelerator APQNs (ceil(N /
 * 256) CEX8A adapters x up to 256 domains). Through its tree the bench
 * gives every queue to vfio_ap (apmask and aqmask to 0) and creates N
 * mdevs, mdev i with adapter i / D and domain i % D: one APQN each. Then
 * N guests (connections of this process, 8 KiB of memory each) each open
 * their own mdev, and each runs TAPQ + NQAP + DQAP (a 16-byte request the
 * adapter answers with an error reply, DQAP polled until it came) on its
 * queue.
 *
 * One vCPU thread drives the guests in turn, one loop each, so that the
 * single-guest figure and the N-guest figure have the same concurrency:
 * what differs is only how many guests apemud holds and serves (with N
 * vCPU threads on 2 CPUs every design would show N-deep queueing).
 * Phases: 1 guest (threads, memory, TAPQ latency); N guests (the same);
 * 1 guest again after the other N - 1 went away. The single-guest latency
 * is that of both single phases together, so that drift during the run
 * hits both sides alike.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bench_int.h"
#include "rsa_run.h"

#define ADAPTER0    0x10 /* the first adapter's id */
#define MAX_DOMAINS 256
#define GUEST_MEM   APEMU_GUEST_MIN_MEMORY
#define UUID_FMT    "5ca1e000-0000-4000-8000-%012x"
#define FDS_GUEST   3 /* in this process: connection, memfd, eventfd */

struct layout {
	unsigned int adapters, domains;
};

static struct layout layout_of(unsigned int n)
{
	struct layout l = {.adapters = (n + MAX_DOMAINS - 1) / MAX_DOMAINS};

	l.domains = (n + l.adapters - 1) / l.adapters;
	return l;
}

void bench_scale_machine(unsigned int n, char *buf, size_t len)
{
	struct layout l = layout_of(n);

	/* no apmask/aqmask: the host has every queue until the bench frees them */
	snprintf(buf, len,
		 "{\"adapters\": [{\"ids\": \"0x%02x-0x%02x\", \"type\": \"CEX8A\"}], "
		 "\"usage_domains\": \"0-%u\", \"control_domains\": \"0-%u\"}\n",
		 ADAPTER0, ADAPTER0 + l.adapters - 1, l.domains - 1, l.domains - 1);
}

static uint16_t apqn_of(const struct layout *l, unsigned int i)
{
	return (uint16_t)((ADAPTER0 + i / l->domains) << 8 | (i % l->domains));
}

/* Free every queue for vfio_ap, then mdev i with APQN apqn_of(i). */
static int make_mdevs(const char *mount, unsigned int n)
{
	struct layout l = layout_of(n);
	int r = bench_write(mount, "bus/ap/apmask", "0x0");

	if (!r)
		r = bench_write(mount, "bus/ap/aqmask", "0x0");
	for (unsigned int i = 0; i < n && !r; i++) {
		char uuid[40], rel[128], v[16];

		snprintf(uuid, sizeof(uuid), UUID_FMT, i);
		r = bench_write(mount,
				"devices/vfio_ap/matrix/mdev_supported_types/vfio_ap-passthrough/"
				"create",
				uuid);
		snprintf(rel, sizeof(rel), "devices/vfio_ap/matrix/%s/assign_adapter", uuid);
		snprintf(v, sizeof(v), "0x%x", apqn_of(&l, i) >> 8);
		if (!r)
			r = bench_write(mount, rel, v);
		snprintf(rel, sizeof(rel), "devices/vfio_ap/matrix/%s/assign_domain", uuid);
		snprintf(v, sizeof(v), "%u", apqn_of(&l, i) & 0xff);
		if (!r)
			r = bench_write(mount, rel, v);
	}
	return r;
}

/* ---- what /proc says of apemud ---- */

/* The number after "name:" in a /proc file, or -1. */
static long proc_field(pid_t pid, const char *file, const char *name)
{
	char path[64], line[256];
	size_t len = strlen(name);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':') {
			v = strtol(line + len + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

struct daemon_use {
	long threads;
	long private_kib; /* Private_Clean + Private_Dirty */
};

static int daemon_use(pid_t pid, struct daemon_use *ret)
{
	long clean = proc_field(pid, "smaps_rollup", "Private_Clean");
	long dirty = proc_field(pid, "smaps_rollup", "Private_Dirty");

	ret->threads = proc_field(pid, "status", "Threads");
	ret->private_kib = clean + dirty;
	return ret->threads > 0 && clean >= 0 && dirty >= 0 ? 0 : -EIO;
}

/* ---- the guests' loop ---- */

struct samples {
	uint32_t *ns; /* TAPQ round trips */
	size_t n, cap;
	uint64_t loops;
	double seconds;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int sample_add(struct samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 65536;
		uint32_t *p = realloc(s->ns, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->ns = p;
		s->cap = cap;
	}
	s->ns[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
	return 0;
}

/* TAPQ (timed), NQAP of the 16-byte request, DQAP until its reply is there. */
static int cycle(struct apemu_guest *g, uint16_t apqn, uint64_t psmid, const struct rsa_case *c,
		 struct samples *s)
{
	struct apemu_ap_result res;
	uint8_t buf[64];
	uint64_t t0 = now_ns(), got = 0;
	size_t len = 0;
	int r = apemu_tapq(g, apqn, false, &res, NULL);

	if (r < 0 || res.pgm || res.cc || (r = sample_add(s, now_ns() - t0)) < 0)
		return r < 0 ? r : -EIO;
	r = apemu_nqap(g, apqn, psmid, c->req, c->req_len, &res);
	if (r < 0 || res.pgm || res.cc)
		return r < 0 ? r : -EIO;
	do {
		r = apemu_dqap(g, apqn, &got, buf, sizeof(buf), &len, NULL, &res);
		if (r < 0 || res.pgm)
			return r < 0 ? r : -EIO;
	} while (res.cc == 3 && APEMU_AP_STATUS_RC(res.status) == APEMU_AP_RC_Q_FULL &&
		 !(res.status & APEMU_AP_STATUS_E));
	if (res.cc || got != psmid || len != c->reply_len || memcmp(buf, c->reply, len))
		return -EIO;
	s->loops++;
	return 0;
}

/* Guests g[0 .. n) in turn for seconds, and at least once each. */
static int drive(struct apemu_guest **g, unsigned int n, const struct layout *l,
		 const struct rsa_case *c, double seconds, struct samples *s)
{
	uint64_t start = now_ns(), end = start + (uint64_t)(seconds * 1e9), psmid = 1;
	unsigned int i = 0;
	bool pass = false;

	while (!pass || now_ns() < end) {
		int r = cycle(g[i], apqn_of(l, i), psmid++, c, s);

		if (r < 0) {
			fprintf(stderr, "apemu bench: guest %u on %02x.%04x: its loop failed: %s\n",
				i, apqn_of(l, i) >> 8, apqn_of(l, i) & 0xff, strerror(-r));
			return r;
		}
		if (++i == n) {
			i = 0;
			pass = true;
		}
	}
	s->seconds += (double)(now_ns() - start) / 1e9;
	return 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile in microseconds (samples sorted). */
static double pct_us(const struct samples *s, unsigned int p)
{
	size_t k = s->n * p / 100;

	return s->n ? (double)s->ns[k < s->n ? k : s->n - 1] / 1e3 : 0;
}

/* ---- the phases ---- */

struct scale {
	const struct bench_env *e;
	unsigned int n;
	struct layout l;
	struct apemu_guest **g;
	struct rsa_case *req;
	struct samples one, many;
	struct daemon_use use1, usen;
	double open_s;
};

static int open_guests(struct scale *sc, unsigned int from, unsigned int to)
{
	for (unsigned int i = from; i < to; i++) {
		char uuid[40];
		int r = apemu_guest_new(sc->e->socket, NULL, GUEST_MEM, &sc->g[i]);

		snprintf(uuid, sizeof(uuid), UUID_FMT, i);
		if (!r && apemu_guest_open(sc->g[i], uuid) != 0)
			r = -EIO;
		if (r < 0) {
			fprintf(stderr, "apemu bench: guest %u cannot open mdev %s: %s (%s)\n", i,
				uuid, strerror(-r), sc->g[i] ? apemu_guest_message(sc->g[i]) : "");
			return r;
		}
	}
	return 0;
}

/*
 * Descriptors: each guest holds FDS_GUEST here (apemud's limit it raises
 * itself); take the hard limit, and say so when even that is too low.
 */
static int enough_fds(unsigned int n)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)n * FDS_GUEST + 64;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < need && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur >= need)
		return 0;
	fprintf(stderr,
		"apemu bench: %u guests need %llu descriptors, RLIMIT_NOFILE allows %llu "
		"(raise the hard limit: ulimit -Hn)\n",
		n, (unsigned long long)need, (unsigned long long)rl.rlim_cur);
	return -EMFILE;
}

static int phases(struct scale *sc)
{
	double t = sc->e->o->seconds;
	uint64_t t0;
	int r;

	/* 1 guest */
	if ((r = open_guests(sc, 0, 1)) < 0 ||
	    (r = drive(sc->g, 1, &sc->l, sc->req, t, &sc->one)) < 0)
		return r;
	if ((r = daemon_use(sc->e->pid, &sc->use1)) < 0)
		goto proc;
	/* N guests */
	t0 = now_ns();
	if ((r = open_guests(sc, 1, sc->n)) < 0)
		return r;
	sc->open_s = (double)(now_ns() - t0) / 1e9;
	if ((r = drive(sc->g, sc->n, &sc->l, sc->req, t, &sc->many)) < 0)
		return r;
	if ((r = daemon_use(sc->e->pid, &sc->usen)) < 0)
		goto proc;
	/* 1 guest again */
	for (unsigned int i = 1; i < sc->n; i++) {
		apemu_guest_free(sc->g[i]);
		sc->g[i] = NULL;
	}
	return drive(sc->g, 1, &sc->l, sc->req, t, &sc->one);
proc:
	fprintf(stderr, "apemu bench: cannot read /proc/%d (apemud)\n", (int)sc->e->pid);
	return r;
}

static void report(const struct scale *sc)
{
	const struct bench_opts *o = sc->e->o;
	double per = (double)(sc->usen.private_kib - sc->use1.private_kib) / (sc->n - 1);
	double r1 = (double)sc->one.loops / sc->one.seconds;
	double rn = (double)sc->many.loops / sc->many.seconds;
	char what[96], formula[256];

	bench_note(o,
		   "apemu bench --scale %u: %u CEX8A x %u domains, %u mdevs of one APQN each, "
		   "%u guests (opened in %.2f s);\none vCPU thread drives the guests in turn "
		   "(TAPQ + NQAP + DQAP each), %.1f s per phase",
		   sc->n, sc->l.adapters, sc->l.domains, sc->n, sc->n, sc->open_s, o->seconds);
	snprintf(what, sizeof(what), "apemud threads, %u guests vs 1 guest", sc->n);
	bench_line(o, what, (double)sc->usen.threads, (double)sc->use1.threads, "thr",
		   (double)sc->usen.threads / (double)sc->use1.threads, "= 1.00");
	bench_note(
	    o,
	    "private memory per guest = ((Private_Clean + Private_Dirty of "
	    "/proc/PID/smaps_rollup) with %u guests\n  - the same with 1 guest) / %u = "
	    "(%ld KiB - %ld KiB) / %u; guest memory (memfds mapped by apemud and the guest)\n"
	    "  counts as Shared, so this is apemud's own memory per guest",
	    sc->n, sc->n - 1, sc->usen.private_kib, sc->use1.private_kib, sc->n - 1);
	snprintf(formula, sizeof(formula),
		 "((Private_Clean + Private_Dirty) of smaps_rollup with %u guests - with 1 guest) "
		 "/ %u = (%ld KiB - %ld KiB) / %u",
		 sc->n, sc->n - 1, sc->usen.private_kib, sc->use1.private_kib, sc->n - 1);
	bench_figure(o, "apemud private memory per guest", per, "KiB", "<= 64 KiB", formula);
	snprintf(what, sizeof(what), "TAPQ round trip p50, %u guests vs 1", sc->n);
	bench_line(o, what, pct_us(&sc->many, 50), pct_us(&sc->one, 50), "us",
		   pct_us(&sc->many, 50) / pct_us(&sc->one, 50), NULL);
	snprintf(what, sizeof(what), "TAPQ round trip p99, %u guests vs 1", sc->n);
	bench_line(o, what, pct_us(&sc->many, 99), pct_us(&sc->one, 99), "us",
		   pct_us(&sc->many, 99) / pct_us(&sc->one, 99), "<= 2");
	snprintf(what, sizeof(what), "TAPQ+NQAP+DQAP loops, %u guests vs 1", sc->n);
	bench_line(o, what, rn, r1, "1/s", rn / r1, NULL);
}

int bench_scale(const struct bench_env *e)
{
	struct scale sc = {.e = e, .n = e->o->scale, .l = layout_of(e->o->scale)};
	int r = enough_fds(sc.n);

	if (r < 0)
		return r;
	if (e->pid <= 0) {
		fprintf(stderr, "apemu bench: cannot tell apemud's pid\n");
		return -ESRCH;
	}
	r = make_mdevs(e->mount, sc.n);
	if (r < 0) {
		fprintf(stderr, "apemu bench: cannot set up %u mdevs: %s\n", sc.n, strerror(-r));
		return r;
	}
	sc.g = calloc(sc.n, sizeof(*sc.g));
	if (!sc.g || rsa_case_smallest(&sc.req) < 0) {
		free(sc.g);
		return -ENOMEM;
	}
	r = phases(&sc);
	if (!r) {
		qsort(sc.one.ns, sc.one.n, sizeof(*sc.one.ns), cmp_u32);
		qsort(sc.many.ns, sc.many.n, sizeof(*sc.many.ns), cmp_u32);
		report(&sc);
	}
	for (unsigned int i = 0; i < sc.n; i++)
		apemu_guest_free(sc.g[i]);
	free(sc.g);
	rsa_cases_free(sc.req, 1);
	free(sc.one.ns);
	free(sc.many.ns);
	return r;
}
