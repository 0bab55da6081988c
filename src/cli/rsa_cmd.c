/*
 * rsa_cmd - `apemu rsa`: a guest that opens an mdev and runs RSA on its
 * accelerator queues, checking every result against OpenSSL, with a
 * progress line and the measured throughput (docs/apemu-cli.md).
 */
#include "rsa_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apemu/guest.h>

#include "guest_parse.h"
#include "rsa_run.h"

#define MAX_APQNS     256
#define QCI_APM	      16
#define QCI_AQM	      48
#define FUNC_ACCEL    0x08000000u /* TAPQ GR2 bits 0-31: accelerator */
#define DEFAULT_COUNT 1000

struct rsa_opts {
	struct client_paths paths;
	char mdev[GUEST_UUID_LEN + 1];
	uint16_t apqns[MAX_APQNS];
	unsigned int napqns;
	unsigned int bits;
	enum rsa_kind kind;
	uint64_t count;
	double seconds;
	unsigned int keys;
	bool poll;
	bool json;
	bool quiet;
	bool keep_going;
};

static int usage_error(const char *fmt, const char *v)
{
	fputs("apemu rsa: ", stderr);
	fprintf(stderr, fmt, v);
	fputs(" (see apemu rsa --help)\n", stderr);
	return 2;
}

static int add_apqns(struct rsa_opts *o, const char *list)
{
	char *copy = strdup(list), *save = NULL;
	int r = 0;

	if (!copy)
		return 1;
	for (char *t = strtok_r(copy, ",", &save); t && !r; t = strtok_r(NULL, ",", &save)) {
		if (o->napqns == MAX_APQNS || !rsa_parse_apqn(t, &o->apqns[o->napqns]))
			r = usage_error("bad --apqn \"%s\" (expected AA.DDDD in hex, e.g. 04.0005)",
					t);
		else
			o->napqns++;
	}
	free(copy);
	return r;
}

static int parse_number(const char *opt, const char *v, double min, double max, double *ret)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(v, &end);
	if (errno || end == v || *end || d < min || d > max) {
		char m[96];

		snprintf(m, sizeof(m), "bad %s \"%%s\" (expected %g to %g)", opt, min, max);
		return usage_error(m, v);
	}
	*ret = d;
	return 0;
}

static int parse(int argc, char **argv, struct rsa_opts *o)
{
	static const struct option longopts[] = {
	    {"mount", required_argument, NULL, 'M'},
	    {"mdev", required_argument, NULL, 'u'},
	    {"apqn", required_argument, NULL, 'q'},
	    {"bits", required_argument, NULL, 'b'},
	    {"me", no_argument, NULL, 'e'},
	    {"me-public", no_argument, NULL, 'P'},
	    {"count", required_argument, NULL, 'n'},
	    {"seconds", required_argument, NULL, 's'},
	    {"keys", required_argument, NULL, 'k'},
	    {"poll", no_argument, NULL, 'p'},
	    {"json", no_argument, NULL, 'j'},
	    {"quiet", no_argument, NULL, 'Q'},
	    {"keep-going", no_argument, NULL, 'K'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *mount = INSTPATH_DEFAULT_MOUNT;
	double v;
	int c, r = 0;

	*o = (struct rsa_opts){.bits = 2048, .kind = RSA_CRT, .keys = 4};
	opterr = 0;
	optind = 1;
	while (!r && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'M':
			mount = optarg;
			break;
		case 'u':
			if (!guest_parse_uuid(optarg, o->mdev))
				r = usage_error("bad --mdev \"%s\" (expected a UUID)", optarg);
			break;
		case 'q':
			r = add_apqns(o, optarg);
			break;
		case 'b':
			r = parse_number("--bits", optarg, 512, 4096, &v);
			o->bits = (unsigned int)v;
			if (!r && (v != (double)o->bits || o->bits % 8))
				r = usage_error("bad --bits \"%s\" (expected a multiple of 8)",
						optarg);
			break;
		case 'e':
			o->kind = RSA_ME_PRIVATE;
			break;
		case 'P':
			o->kind = RSA_ME_PUBLIC;
			break;
		case 'n':
			r = parse_number("--count", optarg, 1, 1e12, &v);
			o->count = (uint64_t)v;
			break;
		case 's':
			r = parse_number("--seconds", optarg, 0.001, 86400, &o->seconds);
			break;
		case 'k':
			r = parse_number("--keys", optarg, 1, 64, &v);
			o->keys = (unsigned int)v;
			break;
		case 'p':
			o->poll = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'Q':
			o->quiet = true;
			break;
		case 'K':
			o->keep_going = true;
			break;
		case 'h':
			printf("Usage: apemu rsa %s\n\n%s", RSA_CMD_SYNOPSIS, RSA_CMD_HELP);
			return -1;
		case ':':
			r = usage_error("option %s needs a value", argv[optind - 1]);
			break;
		default:
			r = usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (r)
		return r;
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (!o->mdev[0])
		return usage_error("%s--mdev UUID is required", "");
	if (o->count && o->seconds > 0)
		return usage_error("%s--count and --seconds exclude each other", "");
	if (!o->count && !(o->seconds > 0))
		o->count = DEFAULT_COUNT;
	if (client_paths_init(&o->paths, mount) < 0)
		return usage_error("bad --mount \"%s\"", mount);
	return 0;
}

/* Every queue of the guest's configuration (QCI) on an accelerator. */
static int find_queues(struct apemu_guest *g, struct rsa_opts *o)
{
	struct apemu_ap_result res;
	uint8_t info[128];
	int r = apemu_qci(g, info, &res);

	if (r < 0 || res.pgm || res.cc)
		return -EIO;
	for (unsigned int a = 0; a < 256; a++) {
		if (!(info[QCI_APM + a / 8] & (0x80 >> (a % 8))))
			continue;
		for (unsigned int d = 0; d < 256 && o->napqns < MAX_APQNS; d++) {
			uint16_t q = (uint16_t)(a << 8 | d);
			uint64_t word = 0;

			if (!(info[QCI_AQM + d / 8] & (0x80 >> (d % 8))))
				continue;
			if (apemu_tapq(g, q, true, &res, &word) < 0 || res.pgm || res.cc)
				continue;
			if ((word >> 32) & FUNC_ACCEL) {
				o->apqns[o->napqns++] = q;
				break; /* one domain per adapter: the adapter is the engine */
			}
		}
	}
	return o->napqns ? 0 : -ENODEV;
}

/* Explicit queues: the guest's? (before minutes of key generation) */
static int check_queues(struct apemu_guest *g, const struct rsa_opts *o)
{
	char msg[160];

	for (unsigned int i = 0; i < o->napqns; i++) {
		int r = rsa_queue_probe(g, o->apqns[i], NULL, msg, sizeof(msg));

		if (r < 0) {
			fprintf(stderr, "apemu rsa: %s\n", msg);
			return r;
		}
	}
	return 0;
}

struct progress {
	const struct rsa_opts *o;
	bool tty;
};

static void show_progress(void *ctx, uint64_t done, double elapsed)
{
	struct progress *p = ctx;
	double rate = elapsed > 0 ? (double)done / elapsed : 0;

	if (p->o->quiet)
		return;
	if (p->o->count)
		fprintf(stderr, "%s  %llu/%llu operations, %.1f s, %.0f ops/s%s",
			p->tty ? "\r" : "", (unsigned long long)done,
			(unsigned long long)p->o->count, elapsed, rate, p->tty ? "" : "\n");
	else
		fprintf(stderr, "%s  %llu operations, %.1f/%.0f s, %.0f ops/s%s",
			p->tty ? "\r" : "", (unsigned long long)done, elapsed, p->o->seconds, rate,
			p->tty ? "" : "\n");
	fflush(stderr);
}

static const char *kind_name(enum rsa_kind k)
{
	return k == RSA_CRT ? "CRT" : k == RSA_ME_PRIVATE ? "ME" : "ME-public";
}

static void report(const struct rsa_opts *o, const struct rsa_result *res)
{
	double rate = res->seconds > 0 ? (double)res->done / res->seconds : 0;
	char queues[MAX_APQNS * 8 + 1] = "";

	for (unsigned int i = 0; i < o->napqns; i++)
		snprintf(queues + strlen(queues), sizeof(queues) - strlen(queues), "%s%02x.%04x",
			 i ? "," : "", o->apqns[i] >> 8, o->apqns[i] & 0xff);
	if (o->json) {
		printf("{\"bits\":%u,\"kind\":\"%s\",\"queues\":\"%s\",\"operations\":%llu,"
		       "\"wrong\":%llu,\"sent\":%llu,\"discarded\":%llu,\"seconds\":%.6f,"
		       "\"ops_per_second\":%.1f,\"irq\":%s}\n",
		       o->bits, kind_name(o->kind), queues, (unsigned long long)res->done,
		       (unsigned long long)res->wrong, (unsigned long long)res->sent,
		       (unsigned long long)res->discarded, res->seconds, rate,
		       o->poll ? "false" : "true");
		return;
	}
	printf("RSA-%u %s on %s: %llu operations in %.2f s = %.1f ops/s; %s\n", o->bits,
	       kind_name(o->kind), queues, (unsigned long long)res->done, res->seconds, rate,
	       res->wrong ? "SOME RESULTS DIFFER FROM OPENSSL'S" : "every result equals OpenSSL's");
	if (res->discarded)
		printf("%llu requests were discarded by resets (observed by the guest)\n",
		       (unsigned long long)res->discarded);
}

int rsa_cmd_main(int argc, char **argv)
{
	struct rsa_opts o;
	struct apemu_guest *g = NULL;
	struct rsa_case *cases = NULL;
	struct rsa_result res;
	struct progress p;
	unsigned int ncases;
	int r = parse(argc, argv, &o);

	if (r)
		return r < 0 ? 0 : r;
	ncases = o.keys * 4;
	r = apemu_guest_new(o.paths.socket, NULL, 0, &g);
	if (r < 0) {
		fprintf(stderr, "apemu rsa: cannot create a guest at %s: %s\n", o.paths.mount,
			r == -ENOENT || r == -ECONNREFUSED ? "no apemud running there"
							   : strerror(-r));
		return 1;
	}
	r = apemu_guest_open(g, o.mdev);
	if (r != 0) {
		fprintf(stderr, "apemu rsa: cannot open mdev %s: %s\n", o.mdev,
			r > 0 ? "it is not attached to the guest" : apemu_guest_message(g));
		apemu_guest_free(g);
		return 1;
	}
	if (o.napqns && check_queues(g, &o) < 0) {
		apemu_guest_free(g);
		return 1;
	}
	if (!o.napqns && find_queues(g, &o) < 0) {
		fprintf(stderr, "apemu rsa: mdev %s gives the guest no accelerator queue\n",
			o.mdev);
		apemu_guest_free(g);
		return 1;
	}
	if (!o.quiet)
		fprintf(stderr, "apemu rsa: %u OpenSSL key(s) of %u bits, %u requests (%s)...\n",
			o.keys, o.bits, ncases, kind_name(o.kind));
	r = rsa_cases_new(o.bits, o.kind, o.keys, ncases, &cases);
	if (r < 0) {
		fprintf(stderr, "apemu rsa: cannot prepare the requests: %s\n", strerror(-r));
		apemu_guest_free(g);
		return 1;
	}
	p = (struct progress){.o = &o, .tty = isatty(STDERR_FILENO) == 1};
	r = rsa_run(&(struct rsa_run){.g = g,
				      .apqns = o.apqns,
				      .napqns = o.napqns,
				      .cases = cases,
				      .ncases = ncases,
				      .count = o.count,
				      .seconds = o.seconds,
				      .irq = !o.poll,
				      .keep_going = o.keep_going,
				      .progress = show_progress,
				      .ctx = &p,
				      .progress_interval = p.tty ? 0.2 : 1.0},
		    &res);
	if (!o.quiet && p.tty)
		fputc('\n', stderr);
	rsa_cases_free(cases, ncases);
	apemu_guest_free(g);
	if (r < 0) {
		fprintf(stderr, "apemu rsa: %s\n", res.message[0] ? res.message : strerror(-r));
		return 1;
	}
	report(&o, &res);
	return res.wrong ? 1 : 0;
}
