/*
 * apemu - the command line front end of the emulator: start, stop, status,
 * dmesg, event, shell, guest. Every subcommand names its instance with
 * --mount DIR (default /run/apemu/sys), so several emulators can run side
 * by side.
 *
 * Exit status: 0 success; 1 the operation failed (message on stderr);
 * 2 usage error (unknown command or option, bad argument: the message
 * names it). `apemu shell` exits with its command's status.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "client.h"
#include "guest_cmd.h"
#include "bench_cmd.h"
#include "rsa_cmd.h"
#include "lifecycle.h"
#include "monitor_cmd.h"
#include "shell.h"
#include "status_view.h"

#define EXIT_USAGE 2

enum {
	OPT_MACHINE = 1 << 0, /* --machine FILE */
	OPT_JSON = 1 << 1,    /* --json */
	OPT_ARGS = 1 << 2,    /* positional arguments */
	OPT_STOP = 1 << 3,    /* stop at the first argument (shell: the command's own options) */
	OPT_OWN = 1 << 4,     /* the command parses its own options (guest: guest_cmd_main) */
	OPT_CHECK = 1 << 5,   /* --check */
	OPT_GROUP = 1 << 6,   /* --group GROUP */
};

struct cli {
	const struct cmd *cmd;
	struct client_paths paths;
	const char *machine;
	const char *abi; /* start --abi */
	const char *group;
	bool json;
	bool check;
	char **args; /* NULL-terminated */
	int nargs;
};

struct cmd {
	const char *name;
	const char *synopsis;
	const char *help;
	unsigned int opts;
	int (*run)(struct cli *c);
	int (*own_main)(int argc, char **argv); /* OPT_OWN */
};

static int cmd_start(struct cli *c);
static int cmd_stop(struct cli *c);
static int cmd_status(struct cli *c);
static int cmd_dmesg(struct cli *c);
static int cmd_event(struct cli *c);
static int cmd_shell(struct cli *c);

static const struct cmd cmds[] = {
    {"start", "[--machine FILE] [--abi cur|v8] [--mount DIR] [--group GROUP]",
     "Start apemud detached (log: DIR.log) and wait until the tree is mounted.\n"
     "  --machine FILE  machine description (JSON); default: the built-in machine\n"
     "  --abi cur|v8    the machine's ABI, replacing the description's \"abi\"\n"
     "  --group GROUP   members of GROUP may use the control socket too (default: root only)\n",
     OPT_MACHINE | OPT_GROUP, cmd_start, NULL},
    {"stop", "[--mount DIR]", "Stop the apemud serving DIR and wait until it has exited.\n", 0,
     cmd_stop, NULL},
    {"status", "[--mount DIR] [--json | --check]",
     "Show the machine: bus masks, who holds each APQN, the mdevs.\n"
     "  --json   print the daemon's status object\n"
     "  --check  verify every invariant of the live daemon; print each violation\n"
     "           and exit 1 if there is one\n",
     OPT_JSON | OPT_CHECK, cmd_status, NULL},
    {"dmesg", "[--mount DIR]", "Print the emulated kernel's messages.\n", 0, cmd_dmesg, NULL},
    {"event", "[--mount DIR] EVENT ARGS...",
     "Hardware events:\n"
     "  adapter-add ID TYPE [depth=N] [max_msg_size=N] [serial=S]  (TYPE CEX4A..CEX8P)\n"
     "  adapter-remove ID\n"
     "  adapter-config ID on|off   configure / deconfigure (like the card's config file)\n"
     "  chkstop ID on|off\n"
     "  domain-add ID, domain-remove ID                  usage domains\n"
     "  control-domain-add ID, control-domain-remove ID  control domains\n"
     "  vfio_ap unload|load        rmmod / modprobe the vfio_ap module\n"
     "Injected faults (a guest sees them; sysfs only the check-stop):\n"
     "  fault-busy APQN N          the next N instructions on APQN answer rc 0x05\n"
     "  fault-rc APQN RC N         ... answer response code RC\n"
     "  fault-reset-pending APQN N after APQN's next reset, N answer rc 0x02\n"
     "  fault-clear APQN           no more faults on APQN\n"
     "  fault-delay ID MS          adapter ID's replies come MS ms late (0: on time)\n"
     "  fault-chkstop-busy ID [WAIT_MS]  check-stop adapter ID while it computes a\n"
     "                             request (waiting up to WAIT_MS, default 5000)\n"
     "IDs and numbers in C syntax: 5, 0x0c, 012; APQN also as 05.0004.\n",
     OPT_ARGS, cmd_event, NULL},
    {"shell", "[--mount DIR] [-- CMD ARGS...]",
     "Run CMD (default: $SHELL) in a private mount namespace where the emulated tree\n"
     "is /sys and DIR.mdevctl.d is /etc/mdevctl.d, e.g. apemu shell -- mdevctl types.\n",
     OPT_ARGS | OPT_STOP, cmd_shell, NULL},
    {"monitor", MONITOR_CMD_SYNOPSIS, MONITOR_CMD_HELP, OPT_OWN, NULL, monitor_cmd_main},
    {"guest", GUEST_CMD_SYNOPSIS, GUEST_CMD_HELP, OPT_OWN, NULL, guest_cmd_main},
    {"rsa", RSA_CMD_SYNOPSIS, RSA_CMD_HELP, OPT_OWN, NULL, rsa_cmd_main},
    {"bench", BENCH_CMD_SYNOPSIS, BENCH_CMD_HELP, OPT_OWN, NULL, bench_cmd_main},
};

static void usage(FILE *f)
{
	fputs("Usage: apemu COMMAND [--mount DIR] [OPTIONS] [ARGS]\n\n"
	      "Emulated s390 AP bus and vfio_ap: control an apemud instance. DIR is where its\n"
	      "sysfs tree is mounted (default " INSTPATH_DEFAULT_MOUNT ").\n\nCommands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-7s %s\n", cmds[i].name, cmds[i].synopsis);
	fputs("\nSee apemu COMMAND --help.\n", f);
}

static void cmd_usage(const struct cmd *cmd, FILE *f)
{
	fprintf(f, "Usage: apemu %s %s\n\n%s  --mount DIR     the instance (default %s)\n",
		cmd->name, cmd->synopsis, cmd->help, INSTPATH_DEFAULT_MOUNT);
}

static int usage_error(const struct cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const struct cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "apemu %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see apemu %s --help)\n", cmd->name);
	return -EXIT_USAGE;
}

/* 0: run; 1: help printed; -EXIT_USAGE: bad usage (message printed). */
static int parse_opts(struct cli *c, int argc, char **argv)
{
	static const struct option all[] = {
	    {"mount", required_argument, NULL, 'M'}, {"machine", required_argument, NULL, 'm'},
	    {"abi", required_argument, NULL, 'a'},   {"group", required_argument, NULL, 'g'},
	    {"json", no_argument, NULL, 'j'},	     {"check", no_argument, NULL, 'c'},
	    {"help", no_argument, NULL, 'h'},
	};
	struct option opts[ARRAY_SIZE(all) + 1] = {{0}};
	const char *mount = INSTPATH_DEFAULT_MOUNT;
	size_t n = 0;
	int o, r;

	for (size_t i = 0; i < ARRAY_SIZE(all); i++)
		if (((all[i].val != 'm' && all[i].val != 'a') || (c->cmd->opts & OPT_MACHINE)) &&
		    (all[i].val != 'g' || (c->cmd->opts & OPT_GROUP)) &&
		    (all[i].val != 'j' || (c->cmd->opts & OPT_JSON)) &&
		    (all[i].val != 'c' || (c->cmd->opts & OPT_CHECK)))
			opts[n++] = all[i];
	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, c->cmd->opts & OPT_STOP ? "+:h" : ":h", opts, NULL)) !=
	       -1) {
		switch (o) {
		case 'M':
			mount = optarg;
			break;
		case 'm':
			c->machine = optarg;
			break;
		case 'a':
			c->abi = optarg;
			break;
		case 'g':
			c->group = optarg;
			break;
		case 'j':
			c->json = true;
			break;
		case 'c':
			c->check = true;
			break;
		case 'h':
			cmd_usage(c->cmd, stdout);
			return 1;
		case ':':
			return usage_error(c->cmd, "option \"%s\" needs a value", argv[optind - 1]);
		default:
			return usage_error(c->cmd, "unknown option \"%s\"",
					   optopt ? (char[]){'-', (char)optopt, 0}
						  : argv[optind - 1]);
		}
	}
	c->args = argv + optind;
	c->nargs = argc - optind;
	if (c->nargs && !(c->cmd->opts & OPT_ARGS))
		return usage_error(c->cmd, "unexpected argument \"%s\"", c->args[0]);
	r = client_paths_init(&c->paths, mount);
	if (r < 0)
		return usage_error(c->cmd, "bad --mount \"%s\": %s", mount,
				   r == -EINVAL ? "not a directory path" : strerror(-r));
	return 0;
}

static int cmd_start(struct cli *c)
{
	return lifecycle_start(&c->paths, c->machine, c->abi, c->group);
}

static int cmd_stop(struct cli *c)
{
	return lifecycle_stop(&c->paths);
}

/* Send {"op": op, ...extra} and print the daemon's refusal. NULL on failure. */
static struct json_object *call(struct cli *c, struct json_object *req)
{
	struct json_object *reply = NULL;
	char err[1024];

	if (client_request(&c->paths, req, &reply, err, sizeof(err)) < 0) {
		fprintf(stderr, "apemu %s: %s\n", c->cmd->name, err);
		json_object_put(req);
		return NULL;
	}
	json_object_put(req);
	return reply;
}

static struct json_object *new_req(const char *op)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

/* status --check: the auditor's violations, one a line; exit 1 if any. */
static int status_check(struct cli *c)
{
	_cleanup_json_ struct json_object *reply = call(c, new_req("check"));
	struct json_object *v;
	size_t n;

	if (!reply)
		return 1;
	if (!json_object_object_get_ex(reply, "violations", &v) ||
	    !json_object_is_type(v, json_type_array)) {
		fprintf(stderr, "apemu status: unexpected reply %s\n",
			json_object_to_json_string(reply));
		return 1;
	}
	n = json_object_array_length(v);
	for (size_t i = 0; i < n; i++)
		printf("violation: %s\n", json_object_get_string(json_object_array_get_idx(v, i)));
	if (!n)
		puts("every invariant holds");
	return n ? 1 : 0;
}

static int cmd_status(struct cli *c)
{
	_cleanup_json_ struct json_object *st = NULL;
	struct json_object *req;

	if (c->check && c->json)
		return -usage_error(c->cmd, "--check and --json exclude each other");
	if (c->check)
		return status_check(c);
	req = new_req("status");

	if (!c->json)
		json_object_object_add(req, "queues", json_object_new_boolean(0));
	st = call(c, req);
	if (!st)
		return 1;
	if (!c->json && status_view_wants_grid(st)) {
		json_object_put(st);
		st = call(c, new_req("status"));
		if (!st)
			return 1;
	}
	json_object_object_del(st, "ok");
	if (c->json)
		puts(json_object_to_json_string_ext(st, JSON_C_TO_STRING_PRETTY |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
	else
		status_view_print(st, stdout);
	return 0;
}

static int cmd_dmesg(struct cli *c)
{
	_cleanup_json_ struct json_object *reply = call(c, new_req("dmesg"));
	struct json_object *lines;

	if (!reply)
		return 1;
	lines = json_object_object_get(reply, "lines");
	for (size_t i = 0; lines && i < json_object_array_length(lines); i++)
		puts(json_object_get_string(json_object_array_get_idx(lines, i)));
	return 0;
}

static int parse_id(struct cli *c, const char *ev, const char *what, const char *s,
		    unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = s ? strtoul(s, &end, 0) : 0;
	if (!s || !*s || *s == '-' || *s == '+' || errno || *end || *ret > 255)
		return usage_error(c->cmd, "%s: bad %s id \"%s\" (expected 0-255, e.g. 5 or 0x0c)",
				   ev, what, s ? s : "");
	return 0;
}

static int parse_on(struct cli *c, const char *ev, const char *s, bool *ret)
{
	static const char *const on[] = {"on", "1", "yes", "true"}, *const off[] = {"off", "0",
										    "no", "false"};

	for (size_t i = 0; s && i < ARRAY_SIZE(on); i++) {
		if (!strcmp(s, on[i]) || !strcmp(s, off[i])) {
			*ret = !strcmp(s, on[i]);
			return 0;
		}
	}
	return usage_error(c->cmd, "%s: expected on or off, got \"%s\"", ev, s ? s : "");
}

/* adapter-add's optional key=value arguments. */
static int parse_add_opts(struct cli *c, struct json_object *req)
{
	for (int i = 3; i < c->nargs; i++) {
		const char *a = c->args[i], *eq = strchr(a, '=');
		unsigned long v;
		char *end;

		if (eq && !strncmp(a, "serial=", 7)) {
			json_object_object_add(req, "serial", json_object_new_string(eq + 1));
			continue;
		}
		if (!eq || (strncmp(a, "depth=", 6) && strncmp(a, "max_msg_size=", 13)))
			return usage_error(c->cmd,
					   "adapter-add: unknown argument \"%s\" (expected "
					   "depth=N, max_msg_size=N or serial=S)",
					   a);
		errno = 0;
		v = strtoul(eq + 1, &end, 0);
		if (errno || !eq[1] || *end || eq[1] == '-')
			return usage_error(c->cmd, "adapter-add: bad number in \"%s\"", a);
		json_object_object_add(req, a[0] == 'd' ? "depth" : "max_msg_size",
				       json_object_new_int64((int64_t)v));
	}
	return 0;
}

/* Events and their arguments after EVENT: an id, then a type (adapter-add,
 * which also takes key=value options) or on|off. */
static const struct {
	const char *name;
	int nargs;
} events[] = {
    {"adapter-add", 2},	       {"adapter-remove", 1},
    {"adapter-config", 2},     {"chkstop", 2},
    {"domain-add", 1},	       {"domain-remove", 1},
    {"control-domain-add", 1}, {"control-domain-remove", 1},
};

/* A number of at most max (C syntax). */
static int parse_num(struct cli *c, const char *ev, const char *what, const char *s,
		     unsigned long max, unsigned long *ret)
{
	char *end;

	errno = 0;
	*ret = s ? strtoul(s, &end, 0) : 0;
	if (!s || !*s || *s == '-' || *s == '+' || errno || *end || *ret > max)
		return usage_error(c->cmd, "%s: bad %s \"%s\" (expected 0-%lu)", ev, what,
				   s ? s : "", max);
	return 0;
}

/* An APQN as the kernel prints it (05.0004) or a number (0x0504). */
static int parse_apqn(struct cli *c, const char *ev, const char *s, unsigned long *ret)
{
	unsigned int a, d;
	int n = 0;

	if (s && sscanf(s, "%2x.%4x%n", &a, &d, &n) == 2 && !s[n] && n == 7 && d < 256) {
		*ret = a << 8 | d;
		return 0;
	}
	return parse_num(c, ev, "APQN", s, 0xffff, ret);
}

/*
 * Injected faults: fault-busy APQN COUNT, fault-rc APQN RC COUNT,
 * fault-reset-pending APQN COUNT, fault-clear APQN, fault-delay ID MS,
 * fault-chkstop-busy ID [WAIT_MS].
 */
static int event_fault(struct cli *c)
{
	static const struct {
		const char *name;
		int min, max;	     /* arguments after the event */
		const char *keys[3]; /* JSON members, in order */
		unsigned long maxv[3];
	} forms[] = {
	    {"fault-busy", 2, 2, {"apqn", "count"}, {0, 1000000000}},
	    {"fault-rc", 3, 3, {"apqn", "rc", "count"}, {0, 255, 1000000000}},
	    {"fault-reset-pending", 2, 2, {"apqn", "count"}, {0, 1000000000}},
	    {"fault-clear", 1, 1, {"apqn"}, {0}},
	    {"fault-delay", 2, 2, {"id", "ms"}, {255, 60000}},
	    {"fault-chkstop-busy", 1, 2, {"id", "wait_ms"}, {255, 60000}},
	};
	_cleanup_json_ struct json_object *req = NULL, *reply = NULL;
	const char *ev = c->args[0];
	int given = c->nargs - 1;
	size_t k = 0;

	while (k < ARRAY_SIZE(forms) && strcmp(ev, forms[k].name))
		k++;
	if (k == ARRAY_SIZE(forms))
		return -usage_error(c->cmd, "unknown event \"%s\"", ev);
	if (given < forms[k].min || given > forms[k].max)
		return -usage_error(c->cmd, "%s: expected %d argument%s, got %d", ev, forms[k].min,
				    forms[k].min > 1 ? "s" : "", given);
	req = new_req("event");
	json_object_object_add(req, "event", json_object_new_string(ev));
	for (int i = 0; i < given; i++) {
		const char *key = forms[k].keys[i];
		unsigned long v;
		int r = !strcmp(key, "apqn")
			    ? parse_apqn(c, ev, c->args[i + 1], &v)
			    : parse_num(c, ev, key, c->args[i + 1], forms[k].maxv[i], &v);

		if (r < 0)
			return EXIT_USAGE;
		json_object_object_add(req, key, json_object_new_int64((int64_t)v));
	}
	reply = call(c, TAKE_PTR(req));
	return reply ? 0 : 1;
}

/* vfio_ap unload|load */
static int event_module(struct cli *c)
{
	_cleanup_json_ struct json_object *reply = NULL;
	struct json_object *req;

	if (c->nargs != 2 || (strcmp(c->args[1], "load") && strcmp(c->args[1], "unload")))
		return -usage_error(c->cmd, "vfio_ap: expected load or unload");
	req = new_req("event");
	json_object_object_add(req, "event", json_object_new_string("vfio_ap"));
	json_object_object_add(req, "action", json_object_new_string(c->args[1]));
	reply = call(c, req);
	return reply ? 0 : 1;
}

static int cmd_event(struct cli *c)
{
	_cleanup_json_ struct json_object *req = NULL, *reply = NULL;
	const char *ev = c->nargs ? c->args[0] : NULL;
	int given = c->nargs - 1;
	unsigned long id;
	size_t k = 0;
	bool on = false;

	if (!ev)
		return -usage_error(c->cmd, "missing EVENT");
	while (k < ARRAY_SIZE(events) && strcmp(ev, events[k].name))
		k++;
	if (!strcmp(ev, "vfio_ap"))
		return event_module(c);
	if (!strncmp(ev, "fault-", 6))
		return event_fault(c);
	if (k == ARRAY_SIZE(events))
		return -usage_error(c->cmd, "unknown event \"%s\"", ev);
	if (given < events[k].nargs || (k != 0 && given > events[k].nargs))
		return -usage_error(c->cmd, "%s: expected %d argument%s, got %d", ev,
				    events[k].nargs, events[k].nargs > 1 ? "s" : "", given);
	if (parse_id(c, ev, strstr(ev, "domain") ? "domain" : "adapter", c->args[1], &id) < 0)
		return EXIT_USAGE;
	req = new_req("event");
	json_object_object_add(req, "event", json_object_new_string(ev));
	json_object_object_add(req, "id", json_object_new_int((int)id));
	if (k == 0) {
		json_object_object_add(req, "type", json_object_new_string(c->args[2]));
		if (parse_add_opts(c, req) < 0)
			return EXIT_USAGE;
	} else if (events[k].nargs == 2) {
		if (parse_on(c, ev, c->args[2], &on) < 0)
			return EXIT_USAGE;
		json_object_object_add(req, "on", json_object_new_boolean(on));
	}
	reply = call(c, TAKE_PTR(req));
	return reply ? 0 : 1;
}

static int cmd_shell(struct cli *c)
{
	return shell_run(&c->paths, c->args);
}

int main(int argc, char **argv)
{
	struct cli c = {0};
	int r;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds) && !c.cmd; i++)
		if (!strcmp(argv[1], cmds[i].name))
			c.cmd = &cmds[i];
	if (!c.cmd) {
		fprintf(stderr, "apemu: unknown %s \"%s\" (see apemu --help)\n",
			argv[1][0] == '-' ? "option" : "command", argv[1]);
		return EXIT_USAGE;
	}
	if (c.cmd->opts & OPT_OWN)
		return c.cmd->own_main(argc - 1, argv + 1);
	r = parse_opts(&c, argc - 1, argv + 1);
	if (r)
		return r > 0 ? 0 : EXIT_USAGE;
	return c.cmd->run(&c);
}
