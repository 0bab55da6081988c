/*
 * guest_cmd - `apemu guest` (see guest_cmd.h): options, the guest's
 * lifetime, and one executor per line command turning libapemu-guest
 * results into one JSON object each.
 *
 * Output conventions: every object names its command ("insn"); an
 * instruction that completed has "cc" and, when it returns a status word,
 * "rc" and "status" {"E","R","F","I"}; one that raised a program
 * interruption has "exception" and "pgm" instead (a nested guest's
 * validity intercept: "validity"); a call apemud refused has "error" and
 * "errno"; a line that does not parse gives {"error": ...} alone.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <apemu/guest.h>

#include "cleanup.h"
#include "client.h"
#include "guest_cmd.h"
#include "guest_parse.h"

#define EXIT_USAGE 2
#define ERR_MAX	   512

struct session {
	struct apemu_guest *g;
	uint64_t psmid_next; /* default PSMIDs: pid << 32 | counter, as zcrypt makes them */
	uint64_t nib;	     /* the notification byte of the last successful AQIC on */
	size_t mem_size;
	bool problem_state;
	bool nested;
	uint64_t scb;
};

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("apemu guest: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see apemu guest --help)\n", stderr);
	return EXIT_USAGE;
}

/* ---- JSON helpers ---- */

static void add_str(struct json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s));
}

static void add_int(struct json_object *o, const char *key, int64_t v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

static void add_bool(struct json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

static void add_hex64(struct json_object *o, const char *key, uint64_t v, int digits)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%0*llx", digits, (unsigned long long)v);
	add_str(o, key, buf);
}

static void add_bytes(struct json_object *o, const char *key, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char *s = malloc(2 * len + 1);

	if (!s) {
		add_str(o, key, "");
		return;
	}
	for (size_t i = 0; i < len; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 0xf];
	}
	s[2 * len] = '\0';
	json_object_object_add(o, key, json_object_new_string_len(s, (int)(2 * len)));
	free(s);
}

/* The ids whose bits are set in an MSB-0 mask of nbits bits. */
static void add_mask(struct json_object *o, const char *key, const uint8_t *mask, unsigned nbits)
{
	struct json_object *a = json_object_new_array();

	for (unsigned int i = 0; i < nbits; i++)
		if (mask[i / 8] & (0x80u >> (i % 8)))
			json_object_array_add(a, json_object_new_int((int)i));
	json_object_object_add(o, key, a);
}

static struct json_object *new_out(const struct guest_line *l)
{
	struct json_object *o = json_object_new_object();

	add_str(o, "insn", l->name);
	return o;
}

static void add_apqn(struct json_object *o, uint16_t apqn)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%02x.%04x", apqn >> 8, apqn & 0xff);
	add_str(o, "apqn", buf);
}

/* A library call failed: its errno and apemud's (or the library's) reason. */
static void add_error(struct json_object *o, struct session *s, int r)
{
	const char *m = apemu_guest_message(s->g);

	add_str(o, "error", *m ? m : strerror(-r));
	add_int(o, "errno", -r);
}

static const char *pgm_name(int pgm)
{
	switch (pgm) {
	case APEMU_PGM_OPERATION:
		return "operation";
	case APEMU_PGM_PRIVILEGED:
		return "privileged-operation";
	case APEMU_PGM_ADDRESSING:
		return "addressing";
	case APEMU_PGM_SPECIFICATION:
		return "specification";
	default:
		return "program-interruption";
	}
}

/* The outcome of an instruction; true when it completed (cc and registers valid). */
static bool add_result(struct json_object *o, int pgm, int validity, int cc, uint32_t status,
		       bool has_status)
{
	struct json_object *st;

	if (pgm) {
		add_str(o, "exception", pgm_name(pgm));
		add_int(o, "pgm", pgm);
		return false;
	}
	if (validity) {
		add_int(o, "validity", validity);
		return false;
	}
	add_int(o, "cc", cc);
	if (!has_status)
		return true;
	add_int(o, "rc", APEMU_AP_STATUS_RC(status));
	st = json_object_new_object();
	add_bool(st, "E", status & APEMU_AP_STATUS_E);
	add_bool(st, "R", status & APEMU_AP_STATUS_R);
	add_bool(st, "F", status & APEMU_AP_STATUS_F);
	add_bool(st, "I", status & APEMU_AP_STATUS_I);
	json_object_object_add(o, "status", st);
	return true;
}

static bool add_ap(struct json_object *o, const struct apemu_ap_result *res)
{
	return add_result(o, res->pgm, res->validity, res->cc, res->status, true);
}

/* ---- instructions ---- */

static void do_tapq(struct session *s, const struct guest_line *l, struct json_object *o)
{
	struct apemu_ap_result res;
	uint64_t info = 0;
	int r;

	add_apqn(o, l->apqn);
	r = apemu_tapq(s->g, l->apqn, l->on, &res, &info);
	if (r < 0)
		return add_error(o, s, r);
	if (!add_ap(o, &res) || !l->on)
		return;
	/* GR2 (facts 7.4): functions in bits 0-31, AT 32-39, ND 40-47, ML 52-55, QD 60-63 */
	add_hex64(o, "info", info, 16);
	add_hex64(o, "functions", info >> 32, 8);
	add_int(o, "type", (int64_t)((info >> 24) & 0xff));
	add_int(o, "nd", (int64_t)((info >> 16) & 0xff));
	add_int(o, "ml", (int64_t)((info >> 8) & 0xf));
	add_int(o, "qd", (int64_t)(info & 0xf));
}

static void do_reset_queue(struct session *s, const struct guest_line *l, struct json_object *o)
{
	struct apemu_ap_result res;
	int r;

	add_apqn(o, l->apqn);
	r = l->op == GUEST_RAPQ ? apemu_rapq(s->g, l->apqn, l->on, &res)
				: apemu_zapq(s->g, l->apqn, l->on, &res);
	if (r < 0)
		return add_error(o, s, r);
	add_ap(o, &res);
}

static void do_aqic(struct session *s, const struct guest_line *l, struct json_object *o)
{
	uint64_t nib = l->has_addr ? l->addr : APEMU_GUEST_NIB_ADDR;
	struct apemu_ap_result res;
	int r;

	add_apqn(o, l->apqn);
	r = apemu_aqic(s->g, l->apqn, l->on, l->isc, nib, &res);
	if (r < 0)
		return add_error(o, s, r);
	if (add_ap(o, &res) && l->on && res.cc == 0)
		s->nib = nib;
	if (l->on) {
		add_int(o, "isc", l->isc);
		add_hex64(o, "nib", nib, 1);
	}
}

static void do_qci(struct session *s, const struct guest_line *l, struct json_object *o)
{
	struct apemu_ap_result res;
	uint8_t block[128];
	bool apxa;
	int r;

	(void)l;
	r = apemu_qci(s->g, block, &res);
	if (r < 0)
		return add_error(o, s, r);
	if (!add_result(o, res.pgm, res.validity, res.cc, 0, false))
		return;
	/* facts 7.5: byte 0 bit 1 N (APXA), Na at 4, Nd at 5, APM/AQM/ADM at 16/48/80 */
	apxa = block[0] & 0x40;
	add_bytes(o, "block", block, sizeof(block));
	add_bool(o, "apxa", apxa);
	add_int(o, "na", block[4]);
	add_int(o, "nd", block[5]);
	add_mask(o, "apm", block + 16, 256);
	add_mask(o, "aqm", block + 48, 256);
	add_mask(o, "adm", block + 80, 256);
}

static void do_nqap(struct session *s, const struct guest_line *l, struct json_object *o)
{
	uint64_t psmid = l->has_psmid ? l->psmid : s->psmid_next++;
	struct apemu_ap_result res;
	int r;

	add_apqn(o, l->apqn);
	r = apemu_nqap(s->g, l->apqn, psmid, l->data, l->data_len, &res);
	if (r < 0)
		return add_error(o, s, r);
	add_ap(o, &res);
	add_hex64(o, "psmid", psmid, 16);
	add_int(o, "length", (int64_t)l->data_len);
}

static size_t msg_area(const struct session *s)
{
	size_t end = s->mem_size < APEMU_GUEST_USER_ADDR ? s->mem_size : APEMU_GUEST_USER_ADDR;

	return end - APEMU_GUEST_MSG_ADDR;
}

/*
 * DQAP; for `poll`, again (every POLL_PAUSE_NS, for POLL_MAX_NS at most)
 * while it finds no reply but the queue is not empty: a request is still
 * with the adapter. That is how a guest's driver polls a queue without
 * interruptions.
 */
#define POLL_PAUSE_NS 100000L	   /* 100 us */
#define POLL_MAX_NS   10000000000L /* 10 s */

static int poll_dqap(struct session *s, const struct guest_line *l, uint64_t *psmid, uint8_t *buf,
		     size_t buflen, size_t *got, size_t *residual, struct apemu_ap_result *res)
{
	struct timespec pause = {.tv_nsec = POLL_PAUSE_NS};

	for (long waited = 0;; waited += POLL_PAUSE_NS) {
		int r = apemu_dqap(s->g, l->apqn, psmid, buf, buflen, got, residual, res);

		if (r < 0 || l->op != GUEST_POLL || res->pgm || res->validity || res->cc != 3 ||
		    APEMU_AP_STATUS_RC(res->status) != APEMU_AP_RC_Q_FULL ||
		    (res->status & APEMU_AP_STATUS_E) || waited >= POLL_MAX_NS)
			return r;
		nanosleep(&pause, NULL);
	}
}

static void do_dqap(struct session *s, const struct guest_line *l, struct json_object *o)
{
	size_t buflen = l->has_len ? (size_t)l->len : msg_area(s), got = 0, residual = 0;
	_cleanup_free_ uint8_t *buf = NULL;
	struct apemu_ap_result res;
	uint64_t psmid = 0;
	int r;

	add_apqn(o, l->apqn);
	if (buflen > msg_area(s)) {
		char m[128];

		snprintf(m, sizeof(m),
			 "DQAP buffer of %zu bytes does not fit the message area (%zu bytes)",
			 buflen, msg_area(s));
		add_str(o, "error", m);
		add_int(o, "errno", EMSGSIZE);
		return;
	}
	buf = malloc(buflen ? buflen : 1);
	if (!buf) {
		add_str(o, "error", strerror(ENOMEM));
		add_int(o, "errno", ENOMEM);
		return;
	}
	r = poll_dqap(s, l, &psmid, buf, buflen, &got, &residual, &res);
	if (r < 0)
		return add_error(o, s, r);
	if (!add_ap(o, &res) || res.cc != 0)
		return;
	if (residual == 0)
		add_hex64(o, "psmid", psmid, 16);
	add_bytes(o, "data", buf, got);
	add_int(o, "length", (int64_t)got);
	add_int(o, "residual", (int64_t)residual);
}

static void do_raw(struct session *s, const struct guest_line *l, struct json_object *o)
{
	struct json_object *gr;
	struct apemu_exec_result res;
	uint64_t regs[16];
	uint32_t flags =
	    (s->problem_state ? APEMU_RING_PROBLEM_STATE : 0) | (s->nested ? APEMU_RING_NESTED : 0);
	unsigned int fc = (unsigned int)(l->gr[0] >> 24) & 0xff;
	bool status;
	int r;

	memcpy(regs, l->gr, sizeof(regs));
	add_hex64(o, "opcode", l->opcode, 4);
	r = apemu_guest_exec(s->g, l->opcode, l->r1, l->r2, flags, s->scb, regs, &res);
	if (r < 0)
		return add_error(o, s, r);
	/* GR1 holds a status word after everything but PQAP(QCI) */
	status = l->opcode != APEMU_OPC_PQAP || fc != 0x04;
	if (!add_result(o, res.pgm, res.validity, res.cc, (uint32_t)regs[1], status))
		return;
	gr = json_object_new_array();
	for (int i = 0; i < 16; i++) {
		char buf[24];

		snprintf(buf, sizeof(buf), "0x%016llx", (unsigned long long)regs[i]);
		json_object_array_add(gr, json_object_new_string(buf));
	}
	json_object_object_add(o, "gr", gr);
}

/* ---- the device, the guest, its memory ---- */

static void do_crycb(struct session *s, const struct guest_line *l, struct json_object *o)
{
	uint8_t block[256];
	uint32_t crycbd = 0;
	int format, r;

	(void)l;
	r = apemu_guest_crycb(s->g, block, &crycbd);
	if (r < 0)
		return add_error(o, s, r);
	/* facts 5.1/5.2: format bits 0, 1, 3 (= format 2); APCB0 at 0, APCB1 at 0x80 */
	format = (crycbd & 3) == 3 ? 2 : (int)(crycbd & 3);
	add_hex64(o, "crycbd", crycbd, 8);
	add_int(o, "format", format);
	add_bytes(o, "bytes", block, sizeof(block));
	if (format == 2) {
		add_mask(o, "apm", block + 0x80, 256);
		add_mask(o, "aqm", block + 0xa0, 256);
		add_mask(o, "adm", block + 0xc0, 256);
	} else {
		add_mask(o, "apm", block + 0x00, 64);
		add_mask(o, "aqm", block + 0x08, 16);
		add_mask(o, "adm", block + 0x10, 16);
	}
}

static void do_info(struct session *s, const struct guest_line *l, struct json_object *o)
{
	struct apemu_vfio_info info;
	int r;

	(void)l;
	r = apemu_guest_get_info(s->g, &info);
	if (r < 0)
		return add_error(o, s, r);
	add_int(o, "flags", info.flags);
	add_int(o, "num_regions", info.num_regions);
	add_int(o, "num_irqs", info.num_irqs);
}

/* reset, release, open: apemud's answer is all there is. */
static void do_device(struct session *s, const struct guest_line *l, struct json_object *o)
{
	int r;

	if (l->uuid[0])
		add_str(o, "uuid", l->uuid);
	r = l->op == GUEST_RESET     ? apemu_guest_reset(s->g)
	    : l->op == GUEST_RELEASE ? apemu_guest_release_mdev(s->g, l->uuid[0] ? l->uuid : NULL)
				     : apemu_guest_open(s->g, l->uuid);
	if (r < 0)
		return add_error(o, s, r);
	add_bool(o, "ok", true);
	if (l->op == GUEST_OPEN)
		add_bool(o, "attached", r == 0);
}

static void do_state(struct session *s, const struct guest_line *l, struct json_object *o)
{
	if (l->op == GUEST_PROBLEM) {
		s->problem_state = l->on;
		apemu_guest_set_problem_state(s->g, l->on);
		add_bool(o, "on", l->on);
		return;
	}
	s->nested = l->on;
	s->scb = l->on ? l->addr : 0;
	apemu_guest_set_nested(s->g, l->on, s->scb);
	add_bool(o, "on", l->on);
	if (l->on)
		add_hex64(o, "scb", s->scb, 1);
}

static void do_guest(struct session *s, const struct guest_line *l, struct json_object *o)
{
	(void)l;
	add_int(o, "guest", apemu_guest_id(s->g));
	add_hex64(o, "crycbd", apemu_guest_crycbd(s->g), 8);
	add_int(o, "format", apemu_guest_format(s->g));
	add_int(o, "memory", (int64_t)s->mem_size);
}

/* Interruptions signalled since the last irq (waiting up to the timeout for
 * one); the notification byte is read and cleared. */
static void do_irq(struct session *s, const struct guest_line *l, struct json_object *o)
{
	struct pollfd pfd = {.fd = apemu_guest_irq_fd(s->g), .events = POLLIN};
	uint8_t *mem = apemu_guest_memory(s->g, NULL);
	uint64_t count = 0;
	int r;

	do
		r = poll(&pfd, 1, l->has_len ? (int)l->len : 0);
	while (r < 0 && errno == EINTR);
	if (r > 0 && read(pfd.fd, &count, sizeof(count)) != sizeof(count))
		count = 0;
	add_int(o, "count", (int64_t)count);
	if (s->nib && s->nib < s->mem_size) {
		add_hex64(o, "nib", s->nib, 1);
		add_int(o, "nib_value", __atomic_exchange_n(mem + s->nib, 0, __ATOMIC_SEQ_CST));
	}
}

static bool range_ok(const struct session *s, uint64_t addr, uint64_t len, struct json_object *o)
{
	char buf[160];

	if (addr <= s->mem_size && len <= s->mem_size - addr)
		return true;
	snprintf(buf, sizeof(buf), "0x%llx + %llu bytes is outside guest memory (%zu bytes)",
		 (unsigned long long)addr, (unsigned long long)len, s->mem_size);
	add_str(o, "error", buf);
	add_int(o, "errno", EFAULT);
	return false;
}

static void do_memory(struct session *s, const struct guest_line *l, struct json_object *o)
{
	uint8_t *mem = apemu_guest_memory(s->g, NULL);
	uint64_t len = l->op == GUEST_READ ? l->len : l->data_len;

	add_hex64(o, "addr", l->addr, 1);
	if (!range_ok(s, l->addr, len, o))
		return;
	if (l->op == GUEST_READ) {
		add_bytes(o, "data", mem + l->addr, (size_t)len);
		return;
	}
	memcpy(mem + l->addr, l->data, (size_t)len);
	add_int(o, "length", (int64_t)len);
}

static void (*const executors[])(struct session *, const struct guest_line *,
				 struct json_object *) = {
    [GUEST_TAPQ] = do_tapq,    [GUEST_RAPQ] = do_reset_queue, [GUEST_ZAPQ] = do_reset_queue,
    [GUEST_AQIC] = do_aqic,    [GUEST_QCI] = do_qci,	      [GUEST_NQAP] = do_nqap,
    [GUEST_DQAP] = do_dqap,    [GUEST_RAW] = do_raw,	      [GUEST_CRYCB] = do_crycb,
    [GUEST_INFO] = do_info,    [GUEST_RESET] = do_device,     [GUEST_PROBLEM] = do_state,
    [GUEST_NESTED] = do_state, [GUEST_RELEASE] = do_device,   [GUEST_OPEN] = do_device,
    [GUEST_GUEST] = do_guest,  [GUEST_IRQ] = do_irq,	      [GUEST_READ] = do_memory,
    [GUEST_WRITE] = do_memory, [GUEST_POLL] = do_dqap,
};

static void print(struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
}

/* Run one line. false: apemud is gone, stop. */
static bool run_line(struct session *s, const char *text)
{
	_cleanup_json_ struct json_object *o = NULL;
	struct guest_line l;
	char err[ERR_MAX];
	int r = guest_parse_line(text, &l, err, sizeof(err));

	if (r < 0) {
		o = json_object_new_object();
		add_str(o, "error", r == -EINVAL ? err : strerror(-r));
		print(o);
		return true;
	}
	if (l.op == GUEST_NOP)
		return true;
	o = new_out(&l);
	executors[l.op](s, &l, o);
	guest_line_clear(&l);
	print(o);
	return json_object_get_int(json_object_object_get(o, "errno")) != ECONNRESET;
}

/* ---- options and the guest's life ---- */

struct options {
	struct client_paths paths;
	char mdev[GUEST_UUID_LEN + 1];
	bool no_open;
	struct apemu_cpu cpu;
	size_t memory;
};

static int parse_cpu(const char *text, struct apemu_cpu *cpu)
{
	_cleanup_free_ char *copy = strdup(text);
	char *save = NULL;

	if (!copy)
		return usage_error("%s", strerror(ENOMEM));
	if (apemu_cpu_parse(text, cpu) == 0)
		return 0;
	/* name the element that is wrong */
	for (char *e = strtok_r(copy, ",", &save); e; e = strtok_r(NULL, ",", &save)) {
		struct apemu_cpu scratch = *cpu;

		if (apemu_cpu_parse(e, &scratch) < 0)
			return usage_error("--cpu: bad feature \"%s\" (expected NAME=on|off; "
					   "names: ap apqci apft apqi msax3 apxa sie)",
					   e);
	}
	return usage_error("--cpu: empty feature in \"%s\"", text);
}

static int parse_memory(const char *text, size_t *ret)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 0);
	if (!*text || *text == '-' || *end || errno || v < APEMU_GUEST_MIN_MEMORY || v % 4096 ||
	    v > (1ull << 40))
		return usage_error("bad --memory \"%s\" (expected bytes: a multiple of 4096, at "
				   "least %u)",
				   text, APEMU_GUEST_MIN_MEMORY);
	*ret = (size_t)v;
	return 0;
}

static void help(void)
{
	printf("Usage: apemu guest %s\n\n%s", GUEST_CMD_SYNOPSIS, GUEST_CMD_HELP);
}

/* 0: run; 1: help printed; EXIT_USAGE. */
static int parse_options(struct options *opt, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"mount", required_argument, NULL, 'M'},
	    {"mdev", required_argument, NULL, 'u'},
	    {"no-open", no_argument, NULL, 'n'},
	    {"cpu", required_argument, NULL, 'c'},
	    {"memory", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *mount = INSTPATH_DEFAULT_MOUNT;
	bool have_mdev = false;
	int o, r;

	opterr = 0;
	optind = 1;
	while ((o = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (o) {
		case 'M':
			mount = optarg;
			break;
		case 'u':
			if (!guest_parse_uuid(optarg, opt->mdev))
				return usage_error("bad --mdev \"%s\" (expected a UUID)", optarg);
			have_mdev = true;
			break;
		case 'n':
			opt->no_open = true;
			break;
		case 'c':
			if ((r = parse_cpu(optarg, &opt->cpu)))
				return r;
			break;
		case 'm':
			if ((r = parse_memory(optarg, &opt->memory)))
				return r;
			break;
		case 'h':
			help();
			return 1;
		case ':':
			return usage_error("option \"%s\" needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option \"%s\"",
					   optopt ? (char[]){'-', (char)optopt, 0}
						  : argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument \"%s\"", argv[optind]);
	if (have_mdev == opt->no_open)
		return usage_error(have_mdev ? "--mdev and --no-open exclude each other"
					     : "missing --mdev UUID (or --no-open)");
	r = client_paths_init(&opt->paths, mount);
	if (r < 0)
		return usage_error("bad --mount \"%s\": %s", mount,
				   r == -EINVAL ? "not a directory path" : strerror(-r));
	return 0;
}

static int start(const struct options *opt, struct session *s)
{
	int r = apemu_guest_new(opt->paths.socket, &opt->cpu, opt->memory, &s->g);

	if (r == -ENOENT || r == -ECONNREFUSED) {
		fprintf(stderr, "apemu guest: no apemud running at %s (%s: %s)\n", opt->paths.mount,
			opt->paths.socket, strerror(-r));
		return 1;
	}
	if (r < 0) {
		fprintf(stderr, "apemu guest: cannot create a guest: %s (%s)\n",
			apemu_guest_message(NULL), strerror(-r));
		return 1;
	}
	apemu_guest_memory(s->g, &s->mem_size);
	if (opt->no_open)
		return 0;
	r = apemu_guest_open(s->g, opt->mdev);
	if (r > 0)
		fprintf(stderr,
			"apemu guest: notice: mdev %s opened, but the guest is not attached\n",
			opt->mdev);
	if (r < 0) {
		fprintf(stderr, "apemu guest: cannot open mdev %s: %s (%s)\n", opt->mdev,
			apemu_guest_message(s->g), strerror(-r));
		return 1;
	}
	return 0;
}

int guest_cmd_main(int argc, char **argv)
{
	struct options opt = {.cpu = apemu_cpu_default()};
	struct session s = {.psmid_next = (uint64_t)getpid() << 32 | 1};
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	int r = parse_options(&opt, argc, argv);

	if (r)
		return r == 1 ? 0 : r;
	r = start(&opt, &s);
	while (r == 0 && getline(&line, &cap, stdin) >= 0)
		if (!run_line(&s, line))
			r = 1;
	apemu_guest_free(s.g);
	return r;
}
