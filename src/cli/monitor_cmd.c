/*
 * monitor_cmd - `apemu monitor` (see monitor_cmd.h).
 *
 * apemud keeps the last uevents with their sequence numbers; the monitor
 * asks for those above the last one it printed, ten times a second, on one
 * connection. An event that scrolled out of apemud's ring between two
 * polls is missed, which the sequence numbers in --property show.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "client.h"
#include "monitor_cmd.h"

#define POLL_MS 100

struct monitor_opts {
	const char *mount;
	bool property, all;
	unsigned long count; /* 0: no limit */
	double timeout;	     /* 0: none */
};

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "apemu monitor: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see apemu monitor --help)\n");
	return -2;
}

static int parse_opts(int argc, char **argv, struct monitor_opts *o)
{
	static const struct option longopts[] = {
	    {"mount", required_argument, NULL, 'M'},
	    {"property", no_argument, NULL, 'p'},
	    {"all", no_argument, NULL, 'a'},
	    {"count", required_argument, NULL, 'n'},
	    {"timeout", required_argument, NULL, 't'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	char *end;
	int c;

	*o = (struct monitor_opts){.mount = INSTPATH_DEFAULT_MOUNT};
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'M':
			o->mount = optarg;
			break;
		case 'p':
			o->property = true;
			break;
		case 'a':
			o->all = true;
			break;
		case 'n':
			errno = 0;
			o->count = strtoul(optarg, &end, 10);
			if (errno || *end || !*optarg || *optarg == '-' || !o->count)
				return usage_error("bad --count \"%s\" (expected a number > 0)",
						   optarg);
			break;
		case 't':
			errno = 0;
			o->timeout = strtod(optarg, &end);
			if (errno || *end || !*optarg || !(o->timeout > 0))
				return usage_error("bad --timeout \"%s\" (expected seconds > 0)",
						   optarg);
			break;
		case 'h':
			printf("Usage: apemu monitor %s\n\n%s  --mount DIR  the instance (default "
			       "%s)\n",
			       MONITOR_CMD_SYNOPSIS, MONITOR_CMD_HELP, INSTPATH_DEFAULT_MOUNT);
			return 1;
		case ':':
			return usage_error("option \"%s\" needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	return 0;
}

/* One event as udevadm monitor prints a kernel event. */
static void print_event(struct json_object *ev, bool property)
{
	struct json_object *env = json_object_object_get(ev, "env");
	const char *action = "", *devpath = "", *subsystem = "";

	for (size_t i = 0; i < json_object_array_length(env); i++) {
		const char *v = json_object_get_string(json_object_array_get_idx(env, i));

		if (!strncmp(v, "ACTION=", 7))
			action = v + 7;
		else if (!strncmp(v, "DEVPATH=", 8))
			devpath = v + 8;
		else if (!strncmp(v, "SUBSYSTEM=", 10))
			subsystem = v + 10;
	}
	printf("KERNEL[%s] %-8s %s (%s)\n",
	       json_object_get_string(json_object_object_get(ev, "time")), action, devpath,
	       subsystem);
	for (size_t i = 0; property && i < json_object_array_length(env); i++)
		printf("%s\n", json_object_get_string(json_object_array_get_idx(env, i)));
	if (property)
		putchar('\n');
	fflush(stdout);
}

/* Ask for the events above *after; print them. 1: enough printed; -errno. */
static int poll_once(int fd, const struct monitor_opts *o, uint64_t *after, unsigned long *printed)
{
	_cleanup_json_ struct json_object *reply = NULL;
	struct json_object *req = json_object_new_object(), *list;
	int r;

	json_object_object_add(req, "op", json_object_new_string("uevents"));
	json_object_object_add(req, "after", json_object_new_int64((int64_t)*after));
	r = client_call(fd, req, &reply);
	json_object_put(req);
	if (r < 0)
		return r;
	if (!json_object_get_boolean(json_object_object_get(reply, "ok")))
		return -EPROTO;
	list = json_object_object_get(reply, "uevents");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		struct json_object *ev = json_object_array_get_idx(list, i);

		print_event(ev, o->property);
		*after = json_object_get_uint64(json_object_object_get(ev, "seqnum"));
		if (o->count && ++*printed >= o->count)
			return 1;
	}
	if (!json_object_array_length(list))
		*after = json_object_get_uint64(json_object_object_get(reply, "last"));
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int monitor_cmd_main(int argc, char **argv)
{
	struct monitor_opts o;
	struct client_paths p;
	_cleanup_close_ int fd = -1;
	uint64_t after;
	unsigned long printed = 0;
	double start = now_s();
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r > 0 ? 0 : 2;
	after = o.all ? 0 : (uint64_t)INT64_MAX;
	if (client_paths_init(&p, o.mount) < 0)
		return -usage_error("bad --mount \"%s\"", o.mount);
	r = client_connect(p.socket, &fd, NULL);
	if (r < 0) {
		fprintf(stderr, "apemu monitor: no apemud running at %s (%s)\n", p.mount,
			strerror(-r));
		return 1;
	}
	/* without --all: learn the last number first, print what follows */
	if (!o.all && (r = poll_once(fd, &o, &after, &printed)) < 0)
		goto gone;
	for (;;) {
		r = poll_once(fd, &o, &after, &printed);
		if (r < 0)
			goto gone;
		if (r > 0 || (o.timeout && now_s() - start >= o.timeout))
			return 0;
		usleep(POLL_MS * 1000);
	}
gone:
	fprintf(stderr, "apemu monitor: lost apemud at %s: %s\n", p.mount, strerror(-r));
	return 1;
}
