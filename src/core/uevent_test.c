/*
 * uevent_test - the uevents of the AP bus and vfio_ap (uevent.c, sent by
 * bus.c and matrix.c), one scenario per table row.
 *
 * Invariants (docs/uevents.md):
 * - each operation sends the kernel's events in the kernel's order, each
 *   with ACTION, DEVPATH, SUBSYSTEM, the sender's variables, DRIVER while
 *   the device has one, the bus's variables (a card: DEV_TYPE, MODALIAS,
 *   MODE; a queue: MODE), and SEQNUM last, one higher than the event before;
 * - an unbind event has no MODALIAS; a failed store sends nothing;
 * - assigning to an mdev, check-stop and guests send nothing;
 * - drivers_autoprobe 0 leaves new devices without a driver and without
 *   bind events until drivers_probe names them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "matrix.h"
#include "uevent.h"
#include "vfio_module.h"

#define UUID1 "0b6b1c4e-5d4a-4f2e-9a61-000000000001"
#define MDEV1 "/devices/vfio_ap/matrix/" UUID1
#define NEV   64
#define F62                                                                                        \
	"ffffffffffffffffffffffffffffffff"                                                         \
	"ffffffffffffffffffffffffffffff"

/* ---- recording: "action devpath subsystem VAR..." without SEQNUM ---- */

struct rec {
	unsigned int n;
	char ev[NEV][512];
	unsigned long long last_seq;
	bool seq_broken;
};

static void rec_uevent(void *ctx, const struct ap_uevent *ev)
{
	struct rec *r = ctx;
	char line[512];
	size_t n;

	if (r->last_seq && ev->seqnum != r->last_seq + 1)
		r->seq_broken = true;
	r->last_seq = ev->seqnum;
	if (strncmp(ev->var[ev->nvars - 1], "SEQNUM=", 7))
		r->seq_broken = true;
	n = (size_t)snprintf(line, sizeof(line), "%s %s %s", uevent_action_name(ev->action),
			     ev->devpath, ev->subsystem);
	for (unsigned int i = 3; i + 1 < ev->nvars && n < sizeof(line); i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, " %s", ev->var[i]);
	if (r->n < NEV)
		snprintf(r->ev[r->n], sizeof(r->ev[0]), "%s", line);
	r->n++;
}

static struct rec *rec_of(struct ap_system *s)
{
	return s->ops_ctx;
}

static void assert_events(struct ap_system *s, const char *const *want)
{
	struct rec *r = rec_of(s);
	unsigned int i = 0;

	for (; want[i]; i++) {
		if (i >= r->n)
			fail_msg("event %u missing: want \"%s\"", i, want[i]);
		if (strcmp(r->ev[i], want[i]))
			fail_msg("event %u:\n  got  \"%s\"\n  want \"%s\"", i, r->ev[i], want[i]);
	}
	if (r->n != i)
		fail_msg("%u events, want %u; next: \"%s\"", r->n, i, r->ev[i < NEV ? i : 0]);
	assert_false(r->seq_broken);
	r->n = 0;
}

/* ---- the machine: CEX5C 5, CEX5A 6, usage domains 4 and 0x47 ---- */

static void add_adapter(struct ap_machine *hw, unsigned int id, enum ap_mode mode)
{
	struct ap_adapter_desc d = {
	    .id = id, .gen = 5, .mode = mode, .depth = -1, .max_msg_size = -1};

	assert_int_equal(machine_add_adapter(hw, &d), 0);
}

static struct ap_system *sys_new(enum ap_abi abi)
{
	struct ap_machine_info info = {
	    .qci = true, .apft = true, .aqic = true, .apxa = true, .na = 255, .nd = 255};
	struct ap_system *s = calloc(1, sizeof(*s));
	struct ap_machine hw;

	assert_non_null(s);
	assert_int_equal(machine_init(&hw, &info), 0);
	add_adapter(&hw, 5, AP_MODE_CCA);
	add_adapter(&hw, 6, AP_MODE_ACCEL);
	ap_mask_set(&hw.info.usage_domains, 4);
	ap_mask_set(&hw.info.usage_domains, 0x47);
	assert_int_equal(ap_system_init(s, abi, &hw, NULL, NULL, -1, 0), 0);
	s->ops.uevent = rec_uevent;
	s->ops_ctx = calloc(1, sizeof(struct rec));
	assert_non_null(s->ops_ctx);
	return s;
}

static void sys_free(struct ap_system *s)
{
	free(s->ops_ctx);
	ap_system_clear(s);
	free(s);
}

static int put(int (*fn)(struct ap_system *, const char *, size_t), struct ap_system *s,
	       const char *text)
{
	return fn(s, text, strlen(text));
}

/* adapter 5's queues to vfio_ap and an mdev with adapter 5, domain 4 */
static struct ap_mdev *mdev_setup(struct ap_system *s)
{
	struct ap_mdev *m;

	assert_int_equal(put(apbus_store_apmask, s, "-5"), 0);
	assert_int_equal(matrix_create(s, UUID1, strlen(UUID1), &m), 0);
	rec_of(s)->n = 0;
	return m;
}

#define Q(a, d)	   "/devices/ap/card" a "/" a "." d " ap"
#define CARD(a)	   "/devices/ap/card" a " ap"
#define ROOT	   "/devices/ap ap"
#define CCA_CARD   " DEV_TYPE=000B MODALIAS=ap:t0B MODE=cca"
#define ACCEL_CARD " DEV_TYPE=000B MODALIAS=ap:t0B MODE=accel"

/* ---- mediated devices ---- */

static void test_mdev_create_assign_remove(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);
	struct ap_mdev *m;

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-5"), 0);
	rec_of(s)->n = 0;
	assert_int_equal(matrix_create(s, UUID1 "\n", strlen(UUID1) + 1, &m), 0);
	assert_events(s, (const char *const[]){"add " MDEV1 " mdev",
					       "bind " MDEV1 " mdev DRIVER=vfio_ap_mdev", NULL});
	/* vfio_ap_ops.c sends nothing for assignments */
	assert_int_equal(matrix_assign(s, m, AP_KIND_ADAPTER, "5", 1), 0);
	assert_int_equal(matrix_assign(s, m, AP_KIND_DOMAIN, "4", 1), 0);
	assert_int_equal(matrix_assign(s, m, AP_KIND_CONTROL, "4", 1), 0);
	assert_int_equal(matrix_unassign(s, m, AP_KIND_DOMAIN, "4", 1), 0);
	/* nor for a guest opening and closing it */
	assert_int_equal(matrix_attach(s, m, 7), 0);
	matrix_detach(s, m);
	assert_events(s, (const char *const[]){NULL});
	assert_int_equal(matrix_remove_store(s, m, "1", 1), 0);
	assert_events(
	    s, (const char *const[]){"unbind " MDEV1 " mdev", "remove " MDEV1 " mdev", NULL});
	sys_free(s);
}

static void test_failed_stores_send_nothing(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);
	struct ap_mdev *m = mdev_setup(s);

	(void)state;
	assert_int_equal(matrix_create(s, UUID1, strlen(UUID1), NULL), -EEXIST);
	assert_int_equal(matrix_assign(s, m, AP_KIND_DOMAIN, "4", 1), 0);
	assert_int_equal(matrix_assign(s, m, AP_KIND_ADAPTER, "6", 1), -EADDRNOTAVAIL);
	assert_int_equal(matrix_assign(s, m, AP_KIND_ADAPTER, "5", 1), 0);
	assert_int_equal(put(apbus_store_apmask, s, "+5"), -EBUSY);
	assert_int_equal(put(apbus_store_apmask, s, "+5-"), -EINVAL);
	assert_int_equal(apbus_store_card_config(s, 5, "2", 1), -EINVAL);
	assert_int_equal(apbus_store_card_online(s, 5, "9", 1), -EINVAL);
	assert_int_equal(put(apbus_drivers_probe, s, "card09"), -ENODEV);
	assert_events(s, (const char *const[]){NULL});
	sys_free(s);
}

/* ---- the bus: masks, config, online ---- */

static void test_apmask_moves_queues_then_announces_the_mask(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-6"), 0);
	assert_events(s, (const char *const[]){
			     "unbind " Q("06", "0004") " DEVTYPE=ap_queue MODE=accel",
			     "change " ROOT " BINDINGS=complete COMPLETECOUNT=2",
			     "bind " Q("06", "0004") " DEVTYPE=ap_queue DRIVER=vfio_ap MODE=accel",
			     "unbind " Q("06", "0047") " DEVTYPE=ap_queue MODE=accel",
			     "change " ROOT " BINDINGS=complete COMPLETECOUNT=3",
			     "bind " Q("06", "0047") " DEVTYPE=ap_queue DRIVER=vfio_ap MODE=accel",
			     "change " ROOT " APMASK=0xfd" F62 "\n", NULL});
	/* the same mask again: nothing changes, nothing is sent */
	assert_int_equal(put(apbus_store_apmask, s, "-6"), 0);
	assert_events(s, (const char *const[]){NULL});
	sys_free(s);
}

static void test_card_config_off_on(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(apbus_store_card_config(s, 5, "0\n", 2), 0);
	assert_events(
	    s, (const char *const[]){
		   "change " CARD("05") " CONFIG=0 DEVTYPE=ap_card DRIVER=cex4card" CCA_CARD,
		   "change " Q("05", "0004") " CONFIG=0 DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
		   "change " Q("05", "0047") " CONFIG=0 DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
		   NULL});
	/* config_store sends the card's event for every write; no scan follows */
	assert_int_equal(apbus_store_card_config(s, 5, "0", 1), 0);
	assert_events(
	    s,
	    (const char *const[]){
		"change " CARD("05") " CONFIG=0 DEVTYPE=ap_card DRIVER=cex4card" CCA_CARD, NULL});
	/* a configuration change from outside (SCLP) is seen by the scan only */
	assert_int_equal(apbus_set_config(s, 5, true), 0);
	assert_events(
	    s, (const char *const[]){
		   "change " CARD("05") " CONFIG=1 DEVTYPE=ap_card DRIVER=cex4card" CCA_CARD,
		   "change " Q("05", "0004") " CONFIG=1 DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
		   "change " Q("05", "0047") " CONFIG=1 DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
		   NULL});
	assert_int_equal(apbus_set_config(s, 5, true), 0);
	assert_int_equal(apbus_set_chkstop(s, 5, true), 0);
	assert_events(s, (const char *const[]){NULL});
	sys_free(s);
}

static void test_card_online_tells_card_then_changed_queues(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(apbus_store_queue_online(s, AP_APQN(6, 4), "0", 1), 0);
	assert_events(
	    s,
	    (const char *const[]){
		"change " Q("06", "0004") " ONLINE=0 DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel",
		NULL});
	assert_int_equal(apbus_store_card_online(s, 6, "0", 1), 0);
	assert_events(
	    s,
	    (const char *const[]){
		"change " CARD("06") " ONLINE=0 DEVTYPE=ap_card DRIVER=cex4card" ACCEL_CARD,
		"change " Q("06", "0047") " ONLINE=0 DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel",
		NULL});
	sys_free(s);
}

/* ---- devices appearing and going ---- */

static void test_adapter_add_and_remove(void **state)
{
	struct ap_adapter_desc d = {
	    .id = 7, .gen = 8, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(apbus_add_adapter(s, &d), 0);
	assert_events(
	    s, (const char *const[]){
		   "add " CARD("07") " DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=accel",
		   "change " ROOT " BINDINGS=complete COMPLETECOUNT=2",
		   "bind " CARD("07") " DEVTYPE=ap_card DRIVER=cex4card DEV_TYPE=000E "
				      "MODALIAS=ap:t0E MODE=accel",
		   "add " Q("07", "0004") " DEVTYPE=ap_queue MODE=accel",
		   "change " ROOT " BINDINGS=complete COMPLETECOUNT=3",
		   "bind " Q("07", "0004") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel",
		   "add " Q("07", "0047") " DEVTYPE=ap_queue MODE=accel",
		   "change " ROOT " BINDINGS=complete COMPLETECOUNT=4",
		   "bind " Q("07", "0047") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel", NULL});
	assert_int_equal(apbus_remove_adapter(s, 7), 0);
	assert_events(
	    s, (const char *const[]){
		   "unbind " Q("07", "0004") " DEVTYPE=ap_queue MODE=accel",
		   "remove " Q("07", "0004") " DEVTYPE=ap_queue MODE=accel",
		   "unbind " Q("07", "0047") " DEVTYPE=ap_queue MODE=accel",
		   "remove " Q("07", "0047") " DEVTYPE=ap_queue MODE=accel",
		   "unbind " CARD("07") " DEVTYPE=ap_card DEV_TYPE=000E MODE=accel",
		   "remove " CARD("07") " DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=accel",
		   NULL});
	sys_free(s);
}

static void test_domain_add_and_remove(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(apbus_set_usage_domain(s, 4, false), 0);
	assert_events(s, (const char *const[]){
			     "unbind " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca",
			     "remove " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca",
			     "unbind " Q("06", "0004") " DEVTYPE=ap_queue MODE=accel",
			     "remove " Q("06", "0004") " DEVTYPE=ap_queue MODE=accel", NULL});
	assert_int_equal(apbus_set_usage_domain(s, 4, true), 0);
	assert_events(
	    s, (const char *const[]){
		   "add " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca",
		   "change " ROOT " BINDINGS=complete COMPLETECOUNT=2",
		   "bind " Q("05", "0004") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
		   "add " Q("06", "0004") " DEVTYPE=ap_queue MODE=accel",
		   "change " ROOT " BINDINGS=complete COMPLETECOUNT=3",
		   "bind " Q("06", "0004") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel", NULL});
	sys_free(s);
}

/* drivers_autoprobe 0: new devices get no driver (the cex4card case). */
static void test_autoprobe_off_leaves_new_devices_unbound(void **state)
{
	struct ap_adapter_desc d = {
	    .id = 7, .gen = 8, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct ap_system *s = sys_new(AP_ABI_CUR);
	unsigned int bound, total;

	(void)state;
	assert_int_equal(apbus_store_autoprobe(s, AP_BUS_AP, "0\n", 2), 0);
	assert_false(s->bus.autoprobe[AP_BUS_AP]);
	assert_int_equal(apbus_add_adapter(s, &d), 0);
	assert_int_equal(s->bus.card[7].driver, AP_DRV_NONE);
	assert_int_equal(s->bus.queue[AP_APQN(7, 4)].driver, AP_DRV_NONE);
	apbus_bindings(s, &bound, &total);
	assert_int_equal(bound, 4);
	assert_int_equal(total, 6);
	assert_events(
	    s, (const char *const[]){
		   "add " CARD("07") " DEVTYPE=ap_card DEV_TYPE=000E MODALIAS=ap:t0E MODE=accel",
		   "add " Q("07", "0004") " DEVTYPE=ap_queue MODE=accel",
		   "add " Q("07", "0047") " DEVTYPE=ap_queue MODE=accel", NULL});
	/* drivers_probe attaches regardless of autoprobe */
	assert_int_equal(put(apbus_drivers_probe, s, "07.0004\n"), 0);
	assert_int_equal(put(apbus_drivers_probe, s, "07.0047"), 0);
	assert_int_equal(put(apbus_drivers_probe, s, "07.0047"), 0); /* bound: nothing */
	assert_events(
	    s, (const char *const[]){
		   "bind " Q("07", "0004") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel",
		   "change " ROOT " BINDINGS=complete COMPLETECOUNT=2",
		   "bind " Q("07", "0047") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=accel", NULL});
	/* anything but a leading '0' turns it on again */
	assert_int_equal(apbus_store_autoprobe(s, AP_BUS_AP, "x", 1), 0);
	assert_true(s->bus.autoprobe[AP_BUS_AP]);
	sys_free(s);
}

static void test_unbind_and_bind_by_hand(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(apbus_unbind(s, AP_DRV_CEX4CARD, "card05", 6), 0);
	assert_int_equal(apbus_unbind(s, AP_DRV_CEX4QUEUE, "05.0004", 7), 0);
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "05.0004", 7), -ENODEV);
	assert_int_equal(apbus_bind(s, AP_DRV_CEX4QUEUE, "05.0004", 7), 0);
	assert_events(s, (const char *const[]){
			     "unbind " CARD("05") " DEVTYPE=ap_card DEV_TYPE=000B MODE=cca",
			     "unbind " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca",
			     "change " ROOT " BINDINGS=complete COMPLETECOUNT=2",
			     "bind " Q("05", "0004") " DEVTYPE=ap_queue DRIVER=cex4queue MODE=cca",
			     NULL});
	sys_free(s);
}

/*
 * Devices added while running go to the end of the bus's list; the kernel
 * walks that list (apmask revisions, a card's removal), and a driver's
 * list in binding order (driver_detach: the last bound first).
 */
static void test_events_follow_the_bus_list_order(void **state)
{
	struct ap_adapter_desc d = {
	    .id = 4, .gen = 5, .mode = AP_MODE_ACCEL, .depth = -1, .max_msg_size = -1};
	struct ap_system *s = sys_new(AP_ABI_CUR);
	struct rec *r = rec_of(s);

	(void)state;
	assert_int_equal(apbus_set_usage_domain(s, 3, true), 0);
	assert_int_equal(apbus_add_adapter(s, &d), 0);
	r->n = 0;
	/* bus order: 05.0004 05.0047 06.0004 06.0047 05.0003 06.0003 card04's */
	assert_int_equal(put(apbus_store_aqmask, s, "-3,-4"), 0);
	assert_int_equal(r->n, 6 * 3 + 1);
	assert_string_equal(r->ev[0], "unbind " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca");
	assert_string_equal(r->ev[3], "unbind " Q("06", "0004") " DEVTYPE=ap_queue MODE=accel");
	assert_string_equal(r->ev[6], "unbind " Q("05", "0003") " DEVTYPE=ap_queue MODE=cca");
	assert_string_equal(r->ev[9], "unbind " Q("06", "0003") " DEVTYPE=ap_queue MODE=accel");
	assert_string_equal(r->ev[12], "unbind " Q("04", "0003") " DEVTYPE=ap_queue MODE=accel");
	assert_string_equal(r->ev[15], "unbind " Q("04", "0004") " DEVTYPE=ap_queue MODE=accel");
	r->n = 0;
	/* rmmod: vfio_ap lets go of the last bound first */
	assert_int_equal(vfio_module_unload(s), 0);
	assert_string_equal(r->ev[2], "unbind " Q("04", "0004") " DEVTYPE=ap_queue MODE=accel");
	assert_string_equal(r->ev[7], "unbind " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca");
	sys_free(s);
}

/* ---- synthetic events, the uevent file, the v8 ABI ---- */

/* kobject_synth_uevent's syntax, one case per rule (uevent_synth_parse). */
static void test_synth_parse_accepts_action_uuid_and_pairs(void **state)
{
	static const struct {
		const char *in;
		enum ap_uevent_action action;
		const char *vars[4];
	} ok[] = {
	    {"add", AP_UEVENT_ADD, {"SYNTH_UUID=0"}},
	    {"change\n", AP_UEVENT_CHANGE, {"SYNTH_UUID=0"}},
	    {"unbind", AP_UEVENT_UNBIND, {"SYNTH_UUID=0"}},
	    {"remove " UUID1, AP_UEVENT_REMOVE, {"SYNTH_UUID=" UUID1}},
	    {"online " UUID1 "\n", AP_UEVENT_ONLINE, {"SYNTH_UUID=" UUID1}},
	    {"add " UUID1 " A=1 b2=x",
	     AP_UEVENT_ADD,
	     {"SYNTH_UUID=" UUID1, "SYNTH_ARG_A=1", "SYNTH_ARG_b2=x"}},
	};
	struct ap_uevent_synth syn;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		size_t n = 0;

		assert_int_equal(uevent_synth_parse(ok[i].in, strlen(ok[i].in), &syn), 0);
		assert_int_equal(syn.action, ok[i].action);
		while (n < 4 && ok[i].vars[n])
			n++;
		assert_int_equal(syn.nvars, n);
		for (size_t v = 0; v < n; v++)
			assert_string_equal(syn.vars[v], ok[i].vars[v]);
	}
	/* a trailing NUL counts as the newline does */
	assert_int_equal(uevent_synth_parse("move", 5, &syn), 0);
	assert_int_equal(syn.action, AP_UEVENT_MOVE);
}

static void test_synth_parse_refuses_each_bad_write(void **state)
{
	static const struct {
		const char *in;
		int err;
	} bad[] = {
	    {"", -EINVAL},			    /* empty */
	    {"\n", -EINVAL},			    /* only the newline */
	    {"chang", -EINVAL},			    /* unknown action */
	    {"Add", -EINVAL},			    /* actions are lower case */
	    {" add", -EINVAL},			    /* no action before the space */
	    {"add ", -EINVAL},			    /* a space and no UUID */
	    {"add x", -EINVAL},			    /* not a UUID */
	    {"add " UUID1 "x", -EINVAL},	    /* no space after the UUID */
	    {"add " UUID1 " ", -EINVAL},	    /* a space and no pair */
	    {"add " UUID1 " A", -EINVAL},	    /* no '=' */
	    {"add " UUID1 " A=", -EINVAL},	    /* no value */
	    {"add " UUID1 " =1", -EINVAL},	    /* no key */
	    {"add " UUID1 " A-B=1", -EINVAL},	    /* key not alphanumeric */
	    {"add " UUID1 " A=1-2", -EINVAL},	    /* value not alphanumeric */
	    {"add " UUID1 "  A=1", -EINVAL},	    /* two spaces */
	    {"add " UUID1 " A=1 B=2\n\n", -EINVAL}, /* one newline only */
	    {"add " UUID1 " A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 J=1 K=1 L=1 M=1 N=1 O=1 P=1",
	     -ENOMEM}, /* a 16th pair */
	};
	struct ap_uevent_synth syn = {.action = AP_UEVENT_BIND, .nvars = 7};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(uevent_synth_parse(bad[i].in, strlen(bad[i].in), &syn),
				 bad[i].err);
		/* untouched on failure */
		assert_int_equal(syn.action, AP_UEVENT_BIND);
		assert_int_equal(syn.nvars, 7);
	}
	/* fifteen pairs fit */
	assert_int_equal(
	    uevent_synth_parse("add " UUID1 " A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 "
			       "J=1 K=1 L=1 M=1 N=1 O=1",
			       strlen("add " UUID1 " A=1 B=2 C=3 D=4 E=5 F=6 G=7 H=8 I=9 "
				      "J=1 K=1 L=1 M=1 N=1 O=1"),
			       &syn),
	    0);
	assert_int_equal(syn.nvars, AP_SYNTH_VARS);
	assert_string_equal(syn.vars[AP_SYNTH_VARS - 1], "SYNTH_ARG_O=1");
}

static void test_synthetic_uevents(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);
	struct ap_mdev *m = mdev_setup(s);
	const struct ap_obj card = {.kind = AP_OBJ_CARD, .id = 5};
	const struct ap_obj mdev = {.kind = AP_OBJ_MDEV, .mdev = m};
	const struct ap_obj vroot = {.kind = AP_OBJ_VFIO_ROOT};
	const struct ap_obj bus = {.kind = AP_OBJ_BUS, .id = AP_BUS_AP};
	const struct ap_obj drv = {.kind = AP_OBJ_DRIVER, .id = AP_DRVOBJ_MDEV};
	static const char *const bad[] = {"",
					  "\n",
					  "chang",
					  "add x",
					  "add " UUID1 " A",
					  "add " UUID1 " A=",
					  "add " UUID1 " A-B=1",
					  "add " UUID1 "  A=1"};

	(void)state;
	assert_int_equal(uevent_synth(s, &card, "change\n", 7), 0);
	assert_int_equal(
	    uevent_synth(s, &mdev, "add " UUID1 " A=1 b2=x\n", strlen("add " UUID1 " A=1 b2=x\n")),
	    0);
	assert_int_equal(uevent_synth(s, &vroot, "add", 3), 0);
	assert_int_equal(uevent_synth(s, &bus, "change", 6), 0);
	assert_int_equal(uevent_synth(s, &drv, "remove", 6), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(uevent_synth(s, &card, bad[i], strlen(bad[i])), -EINVAL);
	assert_events(
	    s, (const char *const[]){
		   "change " CARD("05") " SYNTH_UUID=0 DEVTYPE=ap_card DRIVER=cex4card" CCA_CARD,
		   "add " MDEV1 " mdev SYNTH_UUID=" UUID1
		   " SYNTH_ARG_A=1 SYNTH_ARG_b2=x DRIVER=vfio_ap_mdev",
		   "change /bus/ap bus SYNTH_UUID=0",
		   "remove /bus/mdev/drivers/vfio_ap_mdev drivers SYNTH_UUID=0", NULL});
	sys_free(s);
}

static void test_uevent_file_shows_what_dev_uevent_adds(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);
	struct ap_mdev *m = mdev_setup(s);
	const struct ap_obj card = {.kind = AP_OBJ_CARD, .id = 5};
	const struct ap_obj queue = {.kind = AP_OBJ_QUEUE, .id = AP_APQN(5, 4)};
	const struct ap_obj mdev = {.kind = AP_OBJ_MDEV, .mdev = m};
	const struct ap_obj root = {.kind = AP_OBJ_AP_ROOT};
	char buf[256];

	(void)state;
	uevent_show(s, &card, buf, sizeof(buf));
	assert_string_equal(buf, "DEVTYPE=ap_card\nDRIVER=cex4card\nDEV_TYPE=000B\n"
				 "MODALIAS=ap:t0B\nMODE=cca\n");
	uevent_show(s, &queue, buf, sizeof(buf));
	assert_string_equal(buf, "DEVTYPE=ap_queue\nDRIVER=vfio_ap\nMODE=cca\n");
	uevent_show(s, &mdev, buf, sizeof(buf));
	assert_string_equal(buf, "DRIVER=vfio_ap_mdev\n");
	assert_int_equal(uevent_show(s, &root, buf, sizeof(buf)), 0);
	assert_int_equal(uevent_show(s, &card, buf, 10), 9); /* cut like a page */
	sys_free(s);
}

/* The 4.x bus: DEV_TYPE and MODALIAS on queues too, no MODE, no change events. */
static void test_v8_keys(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_V8);

	(void)state;
	assert_int_equal(apbus_unbind(s, AP_DRV_CEX4QUEUE, "06.0004", 7), 0);
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "06.0004", 7), 0);
	assert_events(
	    s,
	    (const char *const[]){
		"unbind " Q("06", "0004") " DEVTYPE=ap_queue DEV_TYPE=000B",
		"bind " Q("06",
			  "0004") " DEVTYPE=ap_queue DRIVER=vfio_ap DEV_TYPE=000B MODALIAS=ap:t0B",
		NULL});
	sys_free(s);
}

/* ---- the vfio_ap module (vfio_ap_drv.c's init and exit) ---- */

static void test_module_unload_and_load(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);
	struct ap_mdev *m = mdev_setup(s);
	unsigned int bound, total;

	(void)state;
	assert_int_equal(vfio_module_load(s), -EEXIST);
	/* a guest's open mdev holds the module */
	assert_int_equal(matrix_attach(s, m, 7), 0);
	assert_int_equal(vfio_module_unload(s), -EAGAIN);
	assert_events(s, (const char *const[]){NULL});
	matrix_detach(s, m);
	assert_int_equal(vfio_module_unload(s), 0);
	assert_false(s->vfio_ap);
	assert_int_equal(s->matrix.count, 0);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].driver, AP_DRV_NONE);
	assert_events(
	    s,
	    (const char *const[]){
		"unbind " MDEV1 " mdev", "remove " MDEV1 " mdev",
		"change /devices/vfio_ap/matrix matrix MDEV_STATE=unregistered DRIVER=vfio_ap",
		"remove /bus/mdev/drivers/vfio_ap_mdev drivers",
		"unbind " Q("05", "0047") " DEVTYPE=ap_queue MODE=cca",
		"unbind " Q("05", "0004") " DEVTYPE=ap_queue MODE=cca",
		"remove /bus/ap/drivers/vfio_ap drivers", "unbind /devices/vfio_ap/matrix matrix",
		"remove /bus/matrix/drivers/vfio_ap drivers",
		"remove /devices/vfio_ap/matrix matrix", "remove /bus/matrix bus",
		"remove /module/vfio_ap module", NULL});
	assert_int_equal(vfio_module_unload(s), -ENOENT);
	/* without vfio_ap: no vfio_ap probe, no bind to it, free queues stay bare */
	assert_int_equal(apbus_bind(s, AP_DRV_VFIO_AP, "05.0004", 7), -ENODEV);
	assert_int_equal(apbus_set_usage_domain(s, 4, false), 0);
	assert_int_equal(apbus_set_usage_domain(s, 4, true), 0);
	assert_int_equal(s->bus.queue[AP_APQN(5, 4)].driver, AP_DRV_NONE);
	apbus_bindings(s, &bound, &total);
	assert_int_equal(total - bound, 2);
	rec_of(s)->n = 0;
	assert_int_equal(vfio_module_load(s), 0);
	assert_events(
	    s,
	    (const char *const[]){
		"add /module/vfio_ap module", "add /bus/matrix bus",
		"add /devices/vfio_ap/matrix matrix",
		"bind /devices/vfio_ap/matrix matrix DRIVER=vfio_ap",
		"add /bus/matrix/drivers/vfio_ap drivers",
		/* the bus's order: 05.0004 came back after 05.0047 with domain 4 */
		"bind " Q("05", "0047") " DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
		"change " ROOT " BINDINGS=complete COMPLETECOUNT=4",
		"bind " Q("05", "0004") " DEVTYPE=ap_queue DRIVER=vfio_ap MODE=cca",
		"add /bus/ap/drivers/vfio_ap drivers", "add /bus/mdev/drivers/vfio_ap_mdev drivers",
		"change /devices/vfio_ap/matrix matrix MDEV_STATE=registered DRIVER=vfio_ap",
		NULL});
	assert_true(s->vfio_ap);
	assert_int_equal(matrix_create(s, UUID1, strlen(UUID1), NULL), 0);
	sys_free(s);
}

/* A machine that boots without vfio_ap never completed its bindings. */
static void test_boot_without_vfio_ap(void **state)
{
	struct ap_system *s = sys_new(AP_ABI_CUR);

	(void)state;
	assert_int_equal(put(apbus_store_apmask, s, "-6"), 0);
	vfio_module_boot_absent(s);
	assert_false(s->vfio_ap);
	assert_int_equal(s->bus.bindings_count, 0);
	assert_false(s->bus.bindings_done);
	sys_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mdev_create_assign_remove),
	    cmocka_unit_test(test_failed_stores_send_nothing),
	    cmocka_unit_test(test_apmask_moves_queues_then_announces_the_mask),
	    cmocka_unit_test(test_card_config_off_on),
	    cmocka_unit_test(test_card_online_tells_card_then_changed_queues),
	    cmocka_unit_test(test_adapter_add_and_remove),
	    cmocka_unit_test(test_domain_add_and_remove),
	    cmocka_unit_test(test_autoprobe_off_leaves_new_devices_unbound),
	    cmocka_unit_test(test_unbind_and_bind_by_hand),
	    cmocka_unit_test(test_events_follow_the_bus_list_order),
	    cmocka_unit_test(test_synth_parse_accepts_action_uuid_and_pairs),
	    cmocka_unit_test(test_synth_parse_refuses_each_bad_write),
	    cmocka_unit_test(test_synthetic_uevents),
	    cmocka_unit_test(test_uevent_file_shows_what_dev_uevent_adds),
	    cmocka_unit_test(test_v8_keys),
	    cmocka_unit_test(test_module_unload_and_load),
	    cmocka_unit_test(test_boot_without_vfio_ap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
