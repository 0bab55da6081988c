/*
 * request_test - the control socket's operations called in-process: a
 * request object in, the reply object out, through the handler table the
 * control server calls (request_handler_init), against a small machine
 * and without a socket or a tree.
 *
 * Invariants:
 * - every request gets exactly one reply object; a refused one is
 *   {"ok": false, "errno": E, "error": strerror(E), "message": M} with the
 *   errno the model (or the request's shape) gives and a message naming
 *   the bad value, and the request's "tag" comes back either way;
 * - a request that fails changes nothing: no adapter, domain, module or
 *   guest state is left half made;
 * - the hardware events, faults, status, check and stop do what
 *   docs/control-socket.md says; guest-create refuses every malformed
 *   memory, ring or descriptor; the mdev operations follow VFIO (open once,
 *   the connection's guest as KVM, release, ioctls on an open device);
 *   closing the connection releases everything it held.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <apemu/guest-abi.h>

#include "apemud.h"
#include "bus.h"
#include "vmm.h"
#include "machine_json.h"
#include "matrix.h"
#include "request.h"
#include "uevent.h"
#include "uevent_net.h"

#define UUID1 "62177883-f1bb-47f0-914d-32a22e3a8804"
#define UUID2 "b7e8f0a6-2d3c-4b47-8e1c-6a7e2c9d1f35"

/* APXA, ids up to 15; a CCA card 5 for the host, an accelerator 6 for guests. */
static const char machine[] =
    "{\"abi\": \"cur\", \"max_adapter_id\": 15, \"max_domain_id\": 15,"
    " \"usage_domains\": \"4,5\", \"control_domains\": \"0-15\","
    " \"adapters\": [{\"id\": 5, \"type\": \"CEX7C\"}, {\"id\": 6, \"type\": \"CEX8A\"}],"
    " \"apmask\": \"+5\"}";

#define MEM_SIZE 16384u
#define RING_AT	 0x1000u

struct fixture {
	struct apemud d;
	struct control_handler h;
	struct control_conn conn;
};

static struct fixture *fx;

/* ---- the daemon without its socket and tree ---- */

static void on_log(void *ctx, enum ap_log_level level, const char *dev, const char *msg)
{
	struct apemud *d = ctx;

	dlog_kernel(d->log, level, dev, msg);
}

static void on_uevent(void *ctx, const struct ap_uevent *ev)
{
	struct apemud *d = ctx;

	dlog_uevent(d->log, ev, NULL);
}

static int setup(void **state)
{
	char err[MACHINE_JSON_ERR_LEN];
	struct machine_json *mj = calloc(1, sizeof(*mj));
	struct apemud *d;

	(void)state;
	fx = calloc(1, sizeof(*fx));
	assert_true(mj && fx);
	d = &fx->d;
	assert_int_equal(
	    machine_json_parse("test.json", machine, strlen(machine), mj, err, sizeof(err)), 0);
	assert_int_equal(machine_json_system_new(mj, &d->sys), 0);
	free(mj);
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->released, NULL);
	d->pid = getpid();
	snprintf(d->paths.mount, sizeof(d->paths.mount), "/test/sys");
	snprintf(d->paths.socket, sizeof(d->paths.socket), "/test/sys.sock");
	assert_int_equal(dlog_new(&d->log), 0);
	assert_int_equal(uevent_net_new(&d->unet), 0);
	d->sys->ops.log = on_log;
	d->sys->ops.uevent = on_uevent;
	d->sys->ops_ctx = d;
	apemud_publish(d);
	assert_int_equal(vmm_init(d), 0);
	request_handler_init(d, &fx->h);
	fx->conn = (struct control_conn){.fd = -1, .pid = getpid(), .uid = getuid()};
	return 0;
}

static void release_replies(void);

static int teardown(void **state)
{
	struct apemud *d = &fx->d;

	(void)state;
	release_replies();
	fx->h.disconnect(fx->h.ctx, &fx->conn);
	vmm_free(d);
	machine_json_system_free(d->sys);
	dlog_free(d->log);
	uevent_net_free(d->unet);
	pthread_cond_destroy(&d->released);
	pthread_mutex_destroy(&d->lock);
	free(fx);
	fx = NULL;
	return 0;
}

/* ---- requests and replies ---- */

static struct json_object *replies[256];
static size_t nreplies;

/*
 * One request on conn with descriptors (copies: the handler keeps what it
 * sets to -1, the rest is closed after the reply, as control.c does). The
 * reply as the client reads it; it lives until release_replies().
 */
static struct json_object *call_on(struct control_conn *conn, const char *text, const int *fds,
				   size_t nfds, enum control_result *ret_res)
{
	struct json_object *req = json_tokener_parse(text), *reply = NULL, *wire;
	struct control_fds cf = {.n = nfds};
	enum control_result res;

	assert_non_null(req);
	assert_true(nfds <= CONTROL_MAX_FDS);
	for (size_t i = 0; i < nfds; i++)
		cf.fd[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
	res = fx->h.request(fx->h.ctx, conn, req, &cf, &reply);
	for (size_t i = 0; i < nfds; i++)
		if (cf.fd[i] >= 0)
			close(cf.fd[i]);
	json_object_put(req);
	assert_non_null(reply);
	/* what goes on the wire (queues have a serializer of their own), read back */
	wire = json_tokener_parse(json_object_to_json_string_ext(reply, JSON_C_TO_STRING_PLAIN));
	json_object_put(reply);
	reply = wire;
	assert_true(json_object_is_type(reply, json_type_object));
	if (ret_res)
		*ret_res = res;
	else
		assert_int_equal(res, CONTROL_CONTINUE);
	if (nreplies == sizeof(replies) / sizeof(replies[0])) {
		for (size_t i = 0; i < nreplies; i++)
			json_object_put(replies[i]);
		nreplies = 0;
	}
	replies[nreplies++] = reply;
	return reply;
}

static struct json_object *call(const char *text)
{
	return call_on(&fx->conn, text, NULL, 0, NULL);
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		fail_msg("no \"%s\" in %s", key, json_object_to_json_string(o));
	return v;
}

static struct json_object *ok(struct json_object *reply)
{
	if (!json_object_get_boolean(member(reply, "ok")))
		fail_msg("refused: %s", json_object_to_json_string(reply));
	return reply;
}

/* A refusal with errno err whose message contains what. */
static void refused(struct json_object *reply, int err, const char *what)
{
	const char *msg;

	if (json_object_get_boolean(member(reply, "ok")) ||
	    json_object_get_int(member(reply, "errno")) != err)
		fail_msg("expected errno %d: %s", err, json_object_to_json_string(reply));
	assert_string_equal(json_object_get_string(member(reply, "error")), strerror(err));
	msg = json_object_get_string(member(reply, "message"));
	if (!strstr(msg, what))
		fail_msg("message \"%s\" lacks \"%s\"", msg, what);
}

static void expect_error(const char *text, int err, const char *what)
{
	refused(call(text), err, what);
}

static void release_replies(void)
{
	for (size_t i = 0; i < nreplies; i++)
		json_object_put(replies[i]);
	nreplies = 0;
}

/* ---- the envelope ---- */

static void test_requests_need_an_op(void **state)
{
	struct json_object *r;

	(void)state;
	expect_error("{}", EINVAL, "missing \"op\"");
	expect_error("{\"op\": 5}", EINVAL, "op: expected a string");
	r = call("{\"op\": \"bogus\", \"tag\": 7}");
	refused(r, EOPNOTSUPP, "unknown op \"bogus\"");
	assert_int_equal(json_object_get_int(member(r, "tag")), 7);
	r = call("{\"op\": \"status\", \"tag\": \"t1\", \"queues\": false}");
	assert_string_equal(json_object_get_string(member(ok(r), "tag")), "t1");
	r = call("{\"op\": \"{}\", \"tag\": [1]}");
	assert_true(json_object_is_type(member(r, "tag"), json_type_array));
	release_replies();
}

/* ---- status, check, stop, dmesg, uevents ---- */

static void test_status_reports_the_machine(void **state)
{
	struct json_object *r, *adapters, *a;

	(void)state;
	r = ok(call("{\"op\": \"status\"}"));
	assert_string_equal(json_object_get_string(member(r, "abi")), "cur");
	assert_int_equal(json_object_get_int(member(r, "max_adapter_id")), 15);
	assert_int_equal(json_object_get_int(member(r, "max_domain_id")), 15);
	assert_int_equal(json_object_get_int(member(r, "pid")), getpid());
	assert_string_equal(json_object_get_string(member(r, "mount")), "/test/sys");
	assert_true(json_object_get_boolean(member(r, "vfio_ap")));
	adapters = member(r, "adapters");
	assert_int_equal(json_object_array_length(adapters), 2);
	a = json_object_array_get_idx(adapters, 0);
	assert_int_equal(json_object_get_int(member(a, "id")), 5);
	assert_string_equal(json_object_get_string(member(a, "type")), "CEX7C");
	assert_int_equal(json_object_array_length(member(r, "queues")), 4);
	assert_int_equal(json_object_array_length(member(r, "mdevs")), 0);
	r = ok(call("{\"op\": \"status\", \"queues\": false}"));
	assert_false(json_object_object_get_ex(r, "queues", NULL));
	expect_error("{\"op\": \"status\", \"queues\": 1}", EINVAL, "queues");
	expect_error("{\"op\": \"status\", \"bogus\": 1}", EINVAL, "bogus: unknown field");
	release_replies();
}

static void test_check_finds_nothing_wrong(void **state)
{
	struct json_object *r;

	(void)state;
	r = ok(call("{\"op\": \"check\"}"));
	assert_int_equal(json_object_array_length(member(r, "violations")), 0);
	expect_error("{\"op\": \"check\", \"all\": true}", EINVAL, "all: unknown field");
	release_replies();
}

static void test_stop_answers_then_stops(void **state)
{
	enum control_result res;
	struct json_object *r;

	(void)state;
	r = call_on(&fx->conn, "{\"op\": \"stop\", \"now\": 1}", NULL, 0, &res);
	refused(r, EINVAL, "now: unknown field");
	assert_int_equal(res, CONTROL_CONTINUE);
	r = call_on(&fx->conn, "{\"op\": \"stop\"}", NULL, 0, &res);
	assert_int_equal(json_object_get_int(member(ok(r), "pid")), getpid());
	assert_int_equal(res, CONTROL_STOP);
	release_replies();
}

static void test_dmesg_and_uevents(void **state)
{
	struct json_object *r;
	int64_t last;
	char text[128];

	(void)state;
	assert_true(
	    json_object_is_type(member(ok(call("{\"op\": \"dmesg\"}")), "lines"), json_type_array));
	r = ok(call("{\"op\": \"uevents\"}"));
	last = json_object_get_int64(member(r, "last"));
	ok(call("{\"op\": \"event\", \"event\": \"adapter-add\", \"id\": 7, \"type\": \"CEX8A\"}"));
	snprintf(text, sizeof(text), "{\"op\": \"uevents\", \"after\": %lld}", (long long)last);
	r = ok(call(text));
	/* the card and its two queues came */
	assert_true(json_object_array_length(member(r, "uevents")) >= 3);
	assert_true(json_object_get_int64(member(r, "last")) > last);
	snprintf(text, sizeof(text), "{\"op\": \"uevents\", \"after\": %lld}",
		 (long long)json_object_get_int64(member(r, "last")));
	assert_int_equal(json_object_array_length(member(ok(call(text)), "uevents")), 0);
	expect_error("{\"op\": \"uevents\", \"after\": -1}", EINVAL, "after");
	expect_error("{\"op\": \"uevents\", \"after\": \"1\"}", EINVAL, "after");
	expect_error("{\"op\": \"dmesg\", \"level\": 3}", EINVAL, "level: unknown field");
	release_replies();
}

/* ---- hardware events ---- */

static void test_events_must_be_known(void **state)
{
	(void)state;
	expect_error("{\"op\": \"event\"}", EINVAL, "missing \"event\"");
	expect_error("{\"op\": \"event\", \"event\": 5}", EINVAL, "unknown event 5");
	expect_error("{\"op\": \"event\", \"event\": \"meltdown\"}", EINVAL, "unknown event");
	expect_error("{\"op\": \"event\", \"event\": \"adapter-remove\", \"id\": 5, \"type\": 1}",
		     EINVAL, "type: unknown field");
	assert_true(apbus_card_exists(fx->d.sys, 5));
	release_replies();
}

static void test_adapter_add(void **state)
{
	static const struct {
		const char *fields;
		int err; /* 0: added */
		const char *what;
	} t[] = {
	    {"\"id\": 7, \"type\": \"CEX8A\"", 0, ""},
	    {"\"id\": 7, \"type\": \"CEX8A\"", EEXIST, "adapter 0x07 already exists"},
	    {"\"id\": 16, \"type\": \"CEX8A\"", EINVAL, "above the highest adapter id 15"},
	    {"\"id\": 256, \"type\": \"CEX8A\"", EINVAL, "id"},
	    {"\"id\": -1, \"type\": \"CEX8A\"", EINVAL, "id"},
	    {"\"id\": 8", EINVAL, "missing \"type\""},
	    {"\"id\": 8, \"type\": \"CEX9A\"", EINVAL, "unknown adapter type \"CEX9A\""},
	    {"\"id\": 8, \"type\": 8", EINVAL, "unknown adapter type 8"},
	    {"\"id\": 8, \"type\": \"CEX8A\", \"depth\": 16", EINVAL, "depth"},
	    {"\"id\": 8, \"type\": \"CEX8A\", \"max_msg_size\": 5000", EINVAL,
	     "5000 is not a multiple of 4096"},
	    {"\"id\": 8, \"type\": \"CEX8A\", \"max_msg_size\": 2048", EINVAL, "max_msg_size"},
	    {"\"id\": 8, \"type\": \"CEX8A\", \"serial\": \"X\"", EINVAL,
	     "an accelerator has no serial number"},
	    {"\"id\": 8, \"type\": \"CEX8C\", \"serial\": \"\"", EINVAL,
	     "expected a string of 1 to 8 characters (a CCA card)"},
	    {"\"id\": 8, \"type\": \"CEX8P\", \"serial\": 12", EINVAL, "(an EP11 card)"},
	    {"\"id\": 8, \"type\": \"CEX8C\", \"depth\": 3, \"max_msg_size\": 8192, "
	     "\"serial\": \"ABCD1234\"",
	     0, ""},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char text[512];
		bool before = apbus_card_exists(fx->d.sys, 8);
		struct json_object *r;

		snprintf(text, sizeof(text), "{\"op\": \"event\", \"event\": \"adapter-add\", %s}",
			 t[i].fields);
		r = call(text);
		if (!t[i].err) {
			ok(r);
			continue;
		}
		refused(r, t[i].err, t[i].what);
		assert_int_equal(apbus_card_exists(fx->d.sys, 8), before);
	}
	assert_true(apbus_card_exists(fx->d.sys, 7));
	assert_true(apbus_card_exists(fx->d.sys, 8));
	assert_int_equal(fx->d.sys->hw.adapter[8].depth, 3);
	assert_int_equal(fx->d.sys->hw.adapter[8].max_msg_size, 8192);
	assert_string_equal(fx->d.sys->hw.adapter[8].serial, "ABCD1234");
	release_replies();
}

static void test_adapter_remove_config_and_chkstop(void **state)
{
	struct ap_system *s = fx->d.sys;

	(void)state;
	expect_error("{\"op\": \"event\", \"event\": \"adapter-remove\", \"id\": 7}", ENODEV,
		     "adapter-remove: no adapter 0x07");
	expect_error("{\"op\": \"event\", \"event\": \"adapter-config\", \"id\": 6}", EINVAL,
		     "missing \"on\"");
	expect_error("{\"op\": \"event\", \"event\": \"chkstop\", \"id\": 6, \"on\": \"yes\"}",
		     EINVAL, "on");
	expect_error("{\"op\": \"event\", \"event\": \"chkstop\", \"id\": 9, \"on\": true}", ENODEV,
		     "chkstop: no adapter 0x09");
	ok(call("{\"op\": \"event\", \"event\": \"adapter-config\", \"id\": 6, \"on\": false}"));
	assert_false(s->hw.adapter[6].configured);
	ok(call("{\"op\": \"event\", \"event\": \"adapter-config\", \"id\": 6, \"on\": true}"));
	assert_true(s->hw.adapter[6].configured);
	ok(call("{\"op\": \"event\", \"event\": \"chkstop\", \"id\": 6, \"on\": true}"));
	assert_true(s->hw.adapter[6].chkstop);
	ok(call("{\"op\": \"event\", \"event\": \"adapter-remove\", \"id\": 6}"));
	assert_false(apbus_card_exists(s, 6));
	assert_false(apbus_queue_exists(s, 6, 4));
	release_replies();
}

static void test_domain_events(void **state)
{
	struct ap_system *s = fx->d.sys;

	(void)state;
	expect_error("{\"op\": \"event\", \"event\": \"domain-add\", \"id\": 16}", EINVAL,
		     "domain-add: domain 16 (0x10) above the highest domain id 15");
	expect_error("{\"op\": \"event\", \"event\": \"domain-add\"}", EINVAL, "missing \"id\"");
	assert_false(ap_mask_test(&s->hw.info.usage_domains, 16));
	ok(call("{\"op\": \"event\", \"event\": \"domain-add\", \"id\": 7}"));
	assert_true(apbus_queue_exists(s, 5, 7) && apbus_queue_exists(s, 6, 7));
	ok(call("{\"op\": \"event\", \"event\": \"domain-remove\", \"id\": 7}"));
	assert_false(apbus_queue_exists(s, 5, 7));
	ok(call("{\"op\": \"event\", \"event\": \"control-domain-remove\", \"id\": 3}"));
	assert_false(ap_mask_test(&s->hw.info.control_domains, 3));
	ok(call("{\"op\": \"event\", \"event\": \"control-domain-add\", \"id\": 3}"));
	assert_true(ap_mask_test(&s->hw.info.control_domains, 3));
	release_replies();
}

static void test_vfio_ap_module(void **state)
{
	(void)state;
	expect_error("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"reload\"}", EINVAL,
		     "expected \"load\" or \"unload\", got \"reload\"");
	expect_error("{\"op\": \"event\", \"event\": \"vfio_ap\"}", EINVAL, "missing \"action\"");
	expect_error("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"load\"}", EEXIST,
		     "the module is loaded already");
	ok(call("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"unload\"}"));
	assert_false(fx->d.sys->vfio_ap);
	expect_error("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"unload\"}", ENOENT,
		     "the module is not loaded");
	ok(call("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"load\"}"));
	assert_true(fx->d.sys->vfio_ap);
	release_replies();
}

static void test_fault_events(void **state)
{
	(void)state;
	expect_error("{\"op\": \"event\", \"event\": \"fault-rc\", \"rc\": 3, \"count\": 1}",
		     EINVAL, "missing \"apqn\"");
	expect_error("{\"op\": \"event\", \"event\": \"fault-rc\", \"apqn\": 1540, \"rc\": 0, "
		     "\"count\": 1}",
		     EINVAL, "rc");
	expect_error("{\"op\": \"event\", \"event\": \"fault-busy\", \"apqn\": 1540, \"count\": 0}",
		     EINVAL, "count");
	expect_error("{\"op\": \"event\", \"event\": \"fault-busy\", \"apqn\": 65536, "
		     "\"count\": 1}",
		     EINVAL, "apqn");
	expect_error("{\"op\": \"event\", \"event\": \"fault-clear\", \"apqn\": 1540, \"rc\": 3}",
		     EINVAL, "rc: unknown field");
	ok(call("{\"op\": \"event\", \"event\": \"fault-rc\", \"apqn\": 1540, \"rc\": 3, "
		"\"count\": 2}"));
	ok(call("{\"op\": \"event\", \"event\": \"fault-reset-pending\", \"apqn\": 1540, "
		"\"count\": 1}"));
	ok(call("{\"op\": \"event\", \"event\": \"fault-clear\", \"apqn\": 1540}"));
	ok(call("{\"op\": \"event\", \"event\": \"fault-delay\", \"id\": 6, \"ms\": 0}"));
	expect_error("{\"op\": \"event\", \"event\": \"fault-delay\", \"id\": 6, \"ms\": 60001}",
		     EINVAL, "ms");
	expect_error("{\"op\": \"event\", \"event\": \"fault-chkstop-busy\", \"id\": 7}", ENODEV,
		     "fault-chkstop-busy: no adapter 0x07");
	/* an idle adapter never computes: the wait ends, nothing is stopped */
	expect_error("{\"op\": \"event\", \"event\": \"fault-chkstop-busy\", \"id\": 6, "
		     "\"wait_ms\": 0}",
		     ETIMEDOUT, "computed no request within 0 ms");
	assert_false(fx->d.sys->hw.adapter[6].chkstop);
	release_replies();
}

/* ---- guests ---- */

/* A guest's memory with a ring at RING_AT (ring false: garbage there). */
static int guest_memfd(unsigned int flags, size_t size, bool ring)
{
	int fd = memfd_create("guest", MFD_CLOEXEC | flags);
	struct apemu_ring *r;
	uint8_t *mem;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(mem != MAP_FAILED);
	r = (struct apemu_ring *)(mem + RING_AT);
	r->magic = ring ? APEMU_RING_MAGIC : 0x12345678u;
	r->version = APEMU_RING_VERSION;
	munmap(mem, size);
	return fd;
}

/* The read end of a pipe: a descriptor that is neither a memfd nor an eventfd. */
static int pipe_reader(void)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	return p[0];
}

/* Does the connection have a guest? Asked the way a client would. */
static bool has_guest(struct control_conn *conn)
{
	struct json_object *r = call_on(conn, "{\"op\": \"crycb\"}", NULL, 0, NULL);

	if (json_object_get_boolean(member(r, "ok")))
		return true;
	refused(r, EINVAL, "crycb: no guest on this connection (guest-create first)");
	return false;
}

#define CREATE "{\"op\": \"guest-create\", \"memory\": 16384, \"ring\": 4096"

static void test_guest_create_refuses_bad_requests(void **state)
{
	int mem = guest_memfd(MFD_ALLOW_SEALING, MEM_SIZE, true);
	int unsealable = guest_memfd(0, MEM_SIZE, true);
	int small = guest_memfd(MFD_ALLOW_SEALING, 8192, true);
	int noring = guest_memfd(MFD_ALLOW_SEALING, MEM_SIZE, false);
	int efd = eventfd(0, EFD_CLOEXEC), rd = pipe_reader();
	const struct {
		const char *text;
		int fds[3];
		size_t nfds;
		int err;
		const char *what;
	} t[] = {
	    {CREATE "}", {0}, 0, EINVAL, "expected the memfd"},
	    {"{\"op\": \"guest-create\", \"ring\": 4096}", {mem}, 1, EINVAL, "missing \"memory\""},
	    {"{\"op\": \"guest-create\", \"memory\": 4096, \"ring\": 0}",
	     {mem},
	     1,
	     EINVAL,
	     "memory"},
	    {"{\"op\": \"guest-create\", \"memory\": 10000, \"ring\": 0}",
	     {mem},
	     1,
	     EINVAL,
	     "10000 is not a multiple of 4096"},
	    {"{\"op\": \"guest-create\", \"memory\": 16384}", {mem}, 1, EINVAL, "missing \"ring\""},
	    {"{\"op\": \"guest-create\", \"memory\": 16384, \"ring\": 4097}",
	     {mem},
	     1,
	     EINVAL,
	     "not an 8-aligned address"},
	    {"{\"op\": \"guest-create\", \"memory\": 16384, \"ring\": 16384}",
	     {mem},
	     1,
	     EINVAL,
	     "inside the memory"},
	    {CREATE ", \"cpu\": true}", {mem}, 1, EINVAL, "cpu: expected an object"},
	    {CREATE ", \"cpu\": {\"apxa\": 1}}",
	     {mem},
	     1,
	     EINVAL,
	     "cpu.apxa: expected true or false"},
	    {CREATE ", \"cpu\": {\"vx\": true}}", {mem}, 1, EINVAL, "vx"},
	    {CREATE ", \"doorbells\": 1}", {mem}, 1, EINVAL, "doorbells: expected true or false"},
	    {CREATE ", \"dataplane\": {\"addr\": 8192, \"size\": 8192}}",
	     {mem},
	     1,
	     EINVAL,
	     "an area needs \"doorbells\": true"},
	    {CREATE ", \"dataplane\": {\"addr\": 0, \"size\": 8192}, \"doorbells\": true}",
	     {mem, efd, efd},
	     3,
	     EINVAL,
	     "overlaps the ring"},
	    {CREATE ", \"bogus\": 1}", {mem}, 1, EINVAL, "bogus: unknown field"},
	    {CREATE "}", {mem, efd, efd}, 3, EINVAL, "got 3 descriptors"},
	    {CREATE "}", {mem, rd}, 2, EINVAL, "descriptor 2 is not an eventfd"},
	    {CREATE "}", {rd}, 1, EINVAL, ""},
	    {CREATE "}", {unsealable}, 1, EINVAL, ""},
	    {CREATE "}", {small}, 1, EINVAL, "memory: "},
	    {CREATE "}", {noring}, 1, EINVAL, "ring: no ring at 0x1000"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		refused(call_on(&fx->conn, t[i].text, t[i].fds, t[i].nfds, NULL), t[i].err,
			t[i].what);
		assert_false(has_guest(&fx->conn));
	}
	/* nothing was made: the first good request gets guest 1 */
	assert_int_equal(
	    json_object_get_int(member(ok(call_on(&fx->conn, CREATE "}", &mem, 1, NULL)), "guest")),
	    1);
	close(rd);
	close(efd);
	close(mem);
	close(unsealable);
	close(small);
	close(noring);
	release_replies();
}

static void test_guest_create_and_crycb(void **state)
{
	struct control_conn other = {.fd = -1, .pid = getpid(), .uid = getuid()};
	int mem = guest_memfd(MFD_ALLOW_SEALING, MEM_SIZE, true);
	int mem2 = guest_memfd(MFD_ALLOW_SEALING, MEM_SIZE, true);
	int irq = eventfd(0, EFD_CLOEXEC);
	int fds[2] = {mem, irq};
	struct json_object *r;
	const char *crycbd;

	(void)state;
	r = ok(call_on(&fx->conn, CREATE ", \"cpu\": {\"apxa\": true}}", fds, 2, NULL));
	assert_int_equal(json_object_get_int(member(r, "guest")), 1);
	/* APXA and MSAX3: format 2, its designation names the format (3) */
	assert_int_equal(json_object_get_int(member(r, "format")), 2);
	crycbd = json_object_get_string(member(r, "crycbd"));
	assert_int_equal(strlen(crycbd), 10);
	assert_int_equal(strtoul(crycbd, NULL, 16) & 3, 3);
	refused(call_on(&fx->conn, CREATE "}", &mem2, 1, NULL), EINVAL,
		"this connection has guest 1 already");
	r = ok(call("{\"op\": \"crycb\"}"));
	assert_string_equal(json_object_get_string(member(r, "crycbd")), crycbd);
	assert_int_equal(strlen(json_object_get_string(member(r, "bytes"))), 2 * CRYCB_SIZE);
	expect_error("{\"op\": \"crycb\", \"format\": 1}", EINVAL, "format: unknown field");
	/* another connection, another guest; without APXA format 1 */
	assert_false(has_guest(&other));
	r = ok(call_on(&other, CREATE ", \"cpu\": {\"apxa\": false}}", &mem2, 1, NULL));
	assert_int_equal(json_object_get_int(member(r, "guest")), 2);
	assert_int_equal(json_object_get_int(member(r, "format")), 1);
	fx->h.disconnect(fx->h.ctx, &other);
	assert_null(other.data);
	close(mem);
	close(mem2);
	close(irq);
	release_replies();
}

/* mdev UUID1 with adapter 6 and domain 4 (bound to vfio_ap), made as a sysfs store would. */
static struct ap_mdev *make_mdev(void)
{
	struct ap_system *s = fx->d.sys;
	struct ap_mdev *m = NULL;

	pthread_mutex_lock(&fx->d.lock);
	assert_int_equal(matrix_create(s, UUID1, strlen(UUID1), &m), 0);
	assert_int_equal(matrix_assign(s, m, AP_KIND_ADAPTER, "6", 1), 0);
	assert_int_equal(matrix_assign(s, m, AP_KIND_DOMAIN, "4", 1), 0);
	apemud_publish(&fx->d);
	pthread_mutex_unlock(&fx->d.lock);
	return m;
}

static void test_mdev_open_ioctl_release(void **state)
{
	int mem = guest_memfd(MFD_ALLOW_SEALING, MEM_SIZE, true), efd = eventfd(0, EFD_CLOEXEC);
	struct ap_mdev *m = make_mdev();
	struct json_object *r;

	(void)state;
	expect_error("{\"op\": \"mdev-open\"}", EINVAL, "expected \"uuid\", a string");
	expect_error("{\"op\": \"mdev-open\", \"uuid\": \"" UUID1 "\"}", EINVAL,
		     "guest-create first");
	ok(call_on(&fx->conn, CREATE "}", &mem, 1, NULL));
	expect_error("{\"op\": \"mdev-open\", \"uuid\": \"" UUID2 "\"}", ENODEV,
		     UUID2 ": no such mdev");
	/* VFIO compares names: the upper-case spelling is another device */
	expect_error("{\"op\": \"mdev-open\", \"uuid\": \"62177883-F1BB-47F0-914D-32A22E3A8804\"}",
		     ENODEV, "no such mdev");
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": \"GET_INFO\", \"argsz\": 16}", EBADF,
		     "vfio-ioctl: no mdev open on this connection");
	r = ok(call("{\"op\": \"mdev-open\", \"uuid\": \"" UUID1 "\"}"));
	assert_true(json_object_get_boolean(member(r, "attached")));
	assert_int_equal(m->guest, 1);
	expect_error("{\"op\": \"mdev-open\", \"uuid\": \"" UUID1 "\"}", EBUSY,
		     UUID1 " is open already");
	/* the status shows the guest and its CRYCB */
	r = json_object_array_get_idx(member(ok(call("{\"op\": \"status\"}")), "mdevs"), 0);
	assert_int_equal(json_object_get_int(member(r, "guest")), 1);
	assert_true(json_object_is_type(member(r, "crycb"), json_type_string));

	r = ok(call("{\"op\": \"vfio-ioctl\", \"request\": \"GET_INFO\", \"argsz\": 16}"));
	assert_int_equal(json_object_get_int(member(r, "flags")), 0x21);
	assert_int_equal(json_object_get_int(member(r, "num_irqs")), 2);
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": \"GET_INFO\", \"argsz\": 8}", EINVAL,
		     "GET_INFO: argsz 8 below 16");
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": \"GET_IRQ_INFO\", \"argsz\": 16,"
		     " \"index\": 2}",
		     EINVAL, "no such interrupt index");
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": \"FOO\"}", EINVAL,
		     "unknown request \"FOO\"");
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": 15216}", EOPNOTSUPP,
		     "request 0x3b70 not supported");
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": \"SET_IRQS\", \"argsz\": 24, "
		     "\"flags\": 36, \"index\": 0, \"start\": 0, \"count\": 1}",
		     EINVAL, "no eventfd attached and no \"fd\": -1");
	refused(call_on(&fx->conn,
			"{\"op\": \"vfio-ioctl\", \"request\": \"SET_IRQS\", \"argsz\": 24, "
			"\"flags\": 36, \"index\": 1, \"start\": 0, \"count\": 1}",
			&mem, 1, NULL),
		EINVAL, "the descriptor is not an eventfd");
	ok(call_on(&fx->conn,
		   "{\"op\": \"vfio-ioctl\", \"request\": \"SET_IRQS\", \"argsz\": 24, "
		   "\"flags\": 36, \"index\": 1, \"start\": 0, \"count\": 1}",
		   &efd, 1, NULL));
	ok(call("{\"op\": \"vfio-ioctl\", \"request\": \"RESET\"}"));
	/* an open mdev holds the module */
	expect_error("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"unload\"}", EAGAIN,
		     "the module is in use");
	r = ok(call("{\"op\": \"check\"}"));
	assert_int_equal(json_object_array_length(member(r, "violations")), 0);

	expect_error("{\"op\": \"mdev-release\", \"uuid\": \"nope\"}", EINVAL,
		     "mdev-release: uuid: expected a UUID string");
	expect_error("{\"op\": \"mdev-release\", \"uuid\": \"" UUID2 "\"}", EBADF,
		     "no mdev " UUID2 " open");
	ok(call("{\"op\": \"mdev-release\", \"uuid\": \"" UUID1 "\"}"));
	assert_int_equal(m->guest, 0);
	expect_error("{\"op\": \"mdev-release\"}", EBADF, "no mdev open on this connection");
	expect_error("{\"op\": \"vfio-ioctl\", \"request\": \"RESET\"}", EBADF, "no mdev");
	close(mem);
	close(efd);
	release_replies();
}

/* Closing the connection (or a crash of the guest) lets go of everything. */
static void test_disconnect_releases_everything(void **state)
{
	int mem = guest_memfd(MFD_ALLOW_SEALING, MEM_SIZE, true);
	struct ap_mdev *m = make_mdev();
	struct json_object *r;

	(void)state;
	ok(call_on(&fx->conn, CREATE "}", &mem, 1, NULL));
	ok(call("{\"op\": \"mdev-open\", \"uuid\": \"" UUID1 "\"}"));
	assert_int_equal(m->guest, 1);
	fx->h.disconnect(fx->h.ctx, &fx->conn);
	assert_null(fx->conn.data);
	assert_int_equal(m->guest, 0);
	r = json_object_array_get_idx(member(ok(call("{\"op\": \"status\"}")), "mdevs"), 0);
	assert_true(json_object_is_type(member(r, "guest"), json_type_null));
	/* the module may go now, and the next guest is a new one */
	ok(call("{\"op\": \"event\", \"event\": \"vfio_ap\", \"action\": \"unload\"}"));
	assert_int_equal(
	    json_object_get_int(member(ok(call_on(&fx->conn, CREATE "}", &mem, 1, NULL)), "guest")),
	    2);
	close(mem);
	release_replies();
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_requests_need_an_op),
	    T(test_status_reports_the_machine),
	    T(test_check_finds_nothing_wrong),
	    T(test_stop_answers_then_stops),
	    T(test_dmesg_and_uevents),
	    T(test_events_must_be_known),
	    T(test_adapter_add),
	    T(test_adapter_remove_config_and_chkstop),
	    T(test_domain_events),
	    T(test_vfio_ap_module),
	    T(test_fault_events),
	    T(test_guest_create_refuses_bad_requests),
	    T(test_guest_create_and_crycb),
	    T(test_mdev_open_ioctl_release),
	    T(test_disconnect_releases_everything),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
