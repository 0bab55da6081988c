/*
 * bench_int - what the modes of `apemu bench` share: the options, the
 * private apemud they run against, and the way a measurement is printed.
 * bench_cmd.c holds the data-plane mode and the private instance,
 * bench_fair.c the fairness mode, bench_scale.c the scale mode.
 */
#ifndef APEMU_BENCH_INT_H
#define APEMU_BENCH_INT_H

#include <stdbool.h>
#include <sys/types.h>

#include <apemu/guest.h>

enum bench_mode { BENCH_DATA_PLANE, BENCH_FAIRNESS, BENCH_SCALE };

#define BENCH_SCALE_DEFAULT 1024u
#define BENCH_SCALE_MIN	    2u
#define BENCH_SCALE_MAX	    8192u /* apemud's CONTROL_MAX_CONNS */

struct bench_opts {
	double seconds; /* per measurement */
	bool json;
	enum bench_mode mode;
	unsigned int scale; /* guests of --scale */
};

/* The private apemud of this run. */
struct bench_env {
	const struct bench_opts *o;
	const char *mount;  /* its tree */
	const char *socket; /* its control socket */
	pid_t pid;	    /* apemud's pid */
};

/* The round trip and --fairness alternate their sides this many times; the
 * RSA comparisons of the default mode, RSA_ROUNDS times (bench_cmd.c;
 * bench/README.md). */
#define BENCH_ROUNDS 8

/* One measurement against its baseline: a text line or a JSON object.
 * goal may be NULL. */
void bench_line(const struct bench_opts *o, const char *what, double emu, double base,
		const char *unit, double ratio, const char *goal);
/* One figure without a baseline, e.g. bytes per guest. goal may be NULL;
 * formula (JSON only, no '"' or '\\' in it; may be NULL): how it was computed. */
void bench_figure(const struct bench_opts *o, const char *what, double value, const char *unit,
		  const char *goal, const char *formula);
/* A line of explanation (text output only). */
void bench_note(const struct bench_opts *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Write text to a file of the tree, like echo TEXT > FILE. 0 or -errno. */
int bench_write(const char *mount, const char *rel, const char *text);

/* The modes besides the data plane's. 0, or -errno with a message on stderr. */
int bench_fairness(const struct bench_env *e);
int bench_scale(const struct bench_env *e);
/* The machine description of --scale N: N or more accelerator APQNs. */
void bench_scale_machine(unsigned int n, char *buf, size_t len);

#endif
