/*
 * request - the control socket's operations (see request.h and
 * docs/control-socket.md).
 *
 * Every request is checked completely (known fields only, each of the right
 * type and range) before the configuration lock is taken; the model then
 * answers with the kernel's errno, which goes back unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "bus.h"
#include "cleanup.h"
#include "fault.h"
#include "vmm.h"
#include "jfield.h"
#include "machine_json.h"
#include "request.h"
#include "sysfs.h"
#include "status.h"
#include "uevent_net.h"
#include "vfio_module.h"

#define MSG_LEN 512

/* A checked request: its fields and where messages about them go. */
struct req {
	struct json_object *o;
	struct jfield jf;
	char err[MSG_LEN];
};

struct event_def {
	const char *name;
	const char *const *fields; /* allowed besides op, event and tag */
	int (*run)(struct apemud *d, struct req *r, char *msg);
};

static const char *const base_fields[] = {"op", "tag", NULL};

/* Fail on a field that neither base_fields nor extra (may be NULL) names. */
static int check_fields(struct req *r, const char *const *extra)
{
	json_object_object_foreach(r->o, key, val)
	{
		bool known = false;

		(void)val;
		for (const char *const *k = base_fields; *k && !known; k++)
			known = !strcmp(*k, key);
		for (const char *const *k = extra; k && *k && !known; k++)
			known = !strcmp(*k, key);
		if (!known)
			return jfield_fail(&r->jf, key, "unknown field");
	}
	return 0;
}

static int get_required(struct req *r, const char *key, struct json_object **ret)
{
	if (!json_object_object_get_ex(r->o, key, ret))
		return jfield_fail(&r->jf, NULL, "missing \"%s\"", key);
	return 0;
}

static int get_id(struct req *r, const char *key, unsigned long *ret)
{
	struct json_object *v;
	int e = get_required(r, key, &v);

	return e < 0 ? e : jfield_uint(&r->jf, v, key, 0, 255, ret);
}

static int get_on(struct req *r, bool *ret)
{
	struct json_object *v;
	int e = get_required(r, "on", &v);

	if (e < 0)
		return e;
	return jfield_bool(&r->jf, r->o, "on", false, ret);
}

/* ---- hardware events: each returns 0 or the core's -errno, msg for errors ---- */

static int ev_adapter_add(struct apemud *d, struct req *r, char *msg)
{
	struct ap_adapter_desc desc = {.depth = -1, .max_msg_size = -1};
	struct json_object *v;
	const char *type;
	unsigned long id, n;
	int e;

	if ((e = get_id(r, "id", &id)) < 0 || (e = get_required(r, "type", &v)) < 0)
		return e;
	type = json_object_get_string(v);
	if (!json_object_is_type(v, json_type_string) ||
	    machine_json_parse_type(type, &desc.gen, &desc.mode) < 0)
		return jfield_fail(&r->jf, "type",
				   "unknown adapter type %s (expected CEX4A..CEX8P)",
				   json_object_to_json_string(v));
	if (json_object_object_get_ex(r->o, "depth", &v)) {
		if ((e = jfield_uint(&r->jf, v, "depth", 0, AP_QD_MAX, &n)) < 0)
			return e;
		desc.depth = (int)n;
	}
	if (json_object_object_get_ex(r->o, "max_msg_size", &v)) {
		if ((e = jfield_uint(&r->jf, v, "max_msg_size", AP_ML_UNIT, AP_MSG_MAX, &n)) < 0)
			return e;
		if (n % 4096)
			return jfield_fail(&r->jf, "max_msg_size", "%lu is not a multiple of 4096",
					   n);
		desc.max_msg_size = (long)n;
	}
	if (json_object_object_get_ex(r->o, "serial", &v)) {
		size_t max = machine_serial_len(desc.mode);

		if (!max)
			return jfield_fail(&r->jf, "serial", "an accelerator has no serial number");
		if (!json_object_is_type(v, json_type_string) || !json_object_get_string_len(v) ||
		    (size_t)json_object_get_string_len(v) > max)
			return jfield_fail(&r->jf, "serial",
					   "expected a string of 1 to %zu characters (%s card)",
					   max, desc.mode == AP_MODE_CCA ? "a CCA" : "an EP11");
		desc.serial = json_object_get_string(v);
	}
	desc.id = (unsigned int)id;
	pthread_mutex_lock(&d->lock);
	e = apbus_add_adapter(d->sys, &desc);
	if (e == -EINVAL && machine_check_apid(&d->sys->hw, id) < 0)
		snprintf(msg, MSG_LEN,
			 "adapter-add: adapter %lu (0x%02lx) above the highest adapter id %u", id,
			 id, machine_max_apid(&d->sys->hw));
	else if (e == -EINVAL)
		snprintf(msg, MSG_LEN,
			 "adapter-add: the machine refuses adapter 0x%02lx as described", id);
	apemud_publish(d);
	pthread_mutex_unlock(&d->lock);
	if (e == -EEXIST)
		snprintf(msg, MSG_LEN, "adapter-add: adapter 0x%02lx already exists", id);
	return e;
}

/* adapter-remove, adapter-config and chkstop: an existing adapter. */
static int ev_adapter(struct apemud *d, struct req *r, char *msg)
{
	const char *ev = json_object_get_string(json_object_object_get(r->o, "event"));
	unsigned long id;
	bool on = false;
	int e;

	if ((e = get_id(r, "id", &id)) < 0)
		return e;
	if (strcmp(ev, "adapter-remove") && (e = get_on(r, &on)) < 0)
		return e;
	pthread_mutex_lock(&d->lock);
	if (!apbus_card_exists(d->sys, (unsigned int)id))
		e = -ENODEV;
	else if (!strcmp(ev, "adapter-remove"))
		e = apbus_remove_adapter(d->sys, (unsigned int)id);
	else if (!strcmp(ev, "adapter-config"))
		e = apbus_set_config(d->sys, (unsigned int)id, on);
	else
		e = apbus_set_chkstop(d->sys, (unsigned int)id, on);
	apemud_publish(d);
	pthread_mutex_unlock(&d->lock);
	if (e == -ENODEV)
		snprintf(msg, MSG_LEN, "%s: no adapter 0x%02lx", ev, id);
	return e;
}

/* domain-add/-remove (usage domains), control-domain-add/-remove. */
static int ev_domain(struct apemud *d, struct req *r, char *msg)
{
	const char *ev = json_object_get_string(json_object_object_get(r->o, "event"));
	bool control = !strncmp(ev, "control-", 8);
	bool on = strstr(ev, "-add") != NULL;
	unsigned long id;
	unsigned int max;
	int e;

	if ((e = get_id(r, "id", &id)) < 0)
		return e;
	pthread_mutex_lock(&d->lock);
	max = machine_max_apqi(&d->sys->hw);
	if (control)
		e = apbus_set_control_domain(d->sys, (unsigned int)id, on);
	else
		e = apbus_set_usage_domain(d->sys, (unsigned int)id, on);
	apemud_publish(d);
	pthread_mutex_unlock(&d->lock);
	if (e == -EINVAL)
		snprintf(msg, MSG_LEN, "%s: domain %lu (0x%02lx) above the highest domain id %u",
			 ev, id, id, max);
	return e;
}

/* vfio_ap load / unload: modprobe / rmmod of the module. */
static int ev_module(struct apemud *d, struct req *r, char *msg)
{
	struct json_object *v;
	const char *action;
	int e;

	if ((e = get_required(r, "action", &v)) < 0)
		return e;
	action = json_object_get_string(v);
	if (!json_object_is_type(v, json_type_string) ||
	    (strcmp(action, "load") && strcmp(action, "unload")))
		return jfield_fail(&r->jf, "action", "expected \"load\" or \"unload\", got %s",
				   json_object_to_json_string(v));
	pthread_mutex_lock(&d->lock);
	e = !strcmp(action, "load") ? vfio_module_load(d->sys) : vfio_module_unload(d->sys);
	apemud_publish(d);
	pthread_mutex_unlock(&d->lock);
	if (e == -EEXIST)
		snprintf(msg, MSG_LEN, "vfio_ap: the module is loaded already");
	else if (e == -ENOENT)
		snprintf(msg, MSG_LEN, "vfio_ap: the module is not loaded");
	else if (e == -EAGAIN)
		snprintf(msg, MSG_LEN, "vfio_ap: the module is in use (a guest has an mdev open)");
	return e;
}

/* fault-*: injected faults (fault.c). */
static int ev_fault(struct apemud *d, struct req *r, char *msg)
{
	const char *ev = json_object_get_string(json_object_object_get(r->o, "event"));

	return fault_apply(d, ev, r->o, &r->jf, msg);
}

static const char *const f_fault_q[] = {"event", "apqn", "count", NULL};
static const char *const f_fault_rc[] = {"event", "apqn", "rc", "count", NULL};
static const char *const f_fault_clear[] = {"event", "apqn", NULL};
static const char *const f_fault_delay[] = {"event", "id", "ms", NULL};
static const char *const f_fault_chk[] = {"event", "id", "wait_ms", NULL};

static const char *const f_add[] = {"event", "id", "type", "depth", "max_msg_size", "serial", NULL};
static const char *const f_id[] = {"event", "id", NULL};
static const char *const f_id_on[] = {"event", "id", "on", NULL};
static const char *const f_action[] = {"event", "action", NULL};

static const struct event_def events[] = {
    {"adapter-add", f_add, ev_adapter_add},
    {"adapter-remove", f_id, ev_adapter},
    {"adapter-config", f_id_on, ev_adapter},
    {"chkstop", f_id_on, ev_adapter},
    {"domain-add", f_id, ev_domain},
    {"domain-remove", f_id, ev_domain},
    {"control-domain-add", f_id, ev_domain},
    {"control-domain-remove", f_id, ev_domain},
    {"vfio_ap", f_action, ev_module},
    {"fault-rc", f_fault_rc, ev_fault},
    {"fault-busy", f_fault_q, ev_fault},
    {"fault-reset-pending", f_fault_q, ev_fault},
    {"fault-clear", f_fault_clear, ev_fault},
    {"fault-delay", f_fault_delay, ev_fault},
    {"fault-chkstop-busy", f_fault_chk, ev_fault},
};

static struct json_object *reply_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static struct json_object *bad_request(struct req *r)
{
	return control_error(EINVAL, "%s", r->err);
}

static struct json_object *op_event(struct apemud *d, struct req *r)
{
	struct json_object *v;
	const struct event_def *ev = NULL;
	char msg[MSG_LEN] = "";
	int e;

	if (get_required(r, "event", &v) < 0)
		return bad_request(r);
	for (size_t i = 0; i < ARRAY_SIZE(events) && json_object_is_type(v, json_type_string); i++)
		if (!strcmp(events[i].name, json_object_get_string(v)))
			ev = &events[i];
	if (!ev)
		return control_error(
		    EINVAL,
		    "unknown event %s (expected adapter-add, adapter-remove, "
		    "adapter-config, chkstop, domain-add, domain-remove, "
		    "control-domain-add, control-domain-remove, vfio_ap, fault-rc, "
		    "fault-busy, fault-reset-pending, fault-clear, fault-delay, "
		    "fault-chkstop-busy)",
		    json_object_to_json_string(v));
	r->jf.name = ev->name;
	if (check_fields(r, ev->fields) < 0)
		return bad_request(r);
	r->err[0] = '\0';
	e = ev->run(d, r, msg);
	/* names of devices that came or went are taken back before we answer */
	apemu_sysfs_sync(d->fs);
	if (e < 0)
		return control_error(-e, "%s", r->err[0] ? r->err : msg[0] ? msg : strerror(-e));
	dlog_daemon(AP_LOG_INFO, "event %s", json_object_to_json_string(r->o));
	return reply_ok();
}

static struct json_object *op_status(struct apemud *d, struct req *r)
{
	static const char *const fields[] = {"queues", NULL};
	struct json_object *o;
	bool queues;

	if (check_fields(r, fields) < 0 || jfield_bool(&r->jf, r->o, "queues", true, &queues) < 0)
		return bad_request(r);
	pthread_mutex_lock(&d->lock);
	o = status_build(d, queues);
	pthread_mutex_unlock(&d->lock);
	return o ? o : control_error(ENOMEM, "out of memory");
}

static void add_violation(void *ctx, const char *text)
{
	json_object_array_add(ctx, json_object_new_string(text));
}

/* The auditor (vmm_audit.c): every violation of the system's promises, now. */
static struct json_object *op_check(struct apemud *d, struct req *r)
{
	struct json_object *list = json_object_new_array(), *o;
	int n;

	if (check_fields(r, base_fields) < 0) {
		json_object_put(list);
		return bad_request(r);
	}
	pthread_mutex_lock(&d->lock);
	n = vmm_audit(d, add_violation, list);
	pthread_mutex_unlock(&d->lock);
	if (n < 0) {
		json_object_put(list);
		return control_error(-n, "check: %s", strerror(-n));
	}
	o = reply_ok();
	json_object_object_add(o, "violations", list);
	return o;
}

static void add_line(void *ctx, enum ap_log_level level, const char *line)
{
	(void)level;
	json_object_array_add(ctx, json_object_new_string(line));
}

static struct json_object *op_dmesg(struct apemud *d, struct req *r)
{
	struct json_object *o, *lines;

	if (check_fields(r, NULL) < 0)
		return bad_request(r);
	o = reply_ok();
	lines = json_object_new_array();
	dlog_for_each(d->log, add_line, lines);
	json_object_object_add(o, "lines", lines);
	return o;
}

/* One kept uevent as JSON: its number, time, action, path, subsystem, variables. */
static void add_uevent(void *ctx, const struct dlog_uevent *u)
{
	struct json_object *o = json_object_new_object(), *env = json_object_new_array();
	const char *p = u->msg, *end = u->msg + u->len;
	char stamp[32];

	snprintf(stamp, sizeof(stamp), "%ld.%06ld", u->sec, u->usec);
	json_object_object_add(o, "seqnum", json_object_new_uint64(u->seqnum));
	json_object_object_add(o, "time", json_object_new_string(stamp));
	json_object_object_add(o, "header", json_object_new_string(p));
	for (p += strlen(p) + 1; p < end; p += strlen(p) + 1)
		json_object_array_add(env, json_object_new_string(p));
	json_object_object_add(o, "env", env);
	json_object_array_add(ctx, o);
}

/* The uevents kept with a sequence number above "after" (default 0: all). */
static struct json_object *op_uevents(struct apemud *d, struct req *r)
{
	static const char *const fields[] = {"after", NULL};
	struct json_object *o, *list, *v;
	unsigned long long last;
	uint64_t after = 0;

	if (check_fields(r, fields) < 0)
		return bad_request(r);
	if (json_object_object_get_ex(r->o, "after", &v)) {
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
			return control_error(EINVAL, "uevents: after: expected a number >= 0");
		after = json_object_get_uint64(v);
	}
	o = reply_ok();
	list = json_object_new_array();
	last = dlog_uevents_since(d->log, after, add_uevent, list);
	json_object_object_add(o, "last", json_object_new_uint64(last));
	json_object_object_add(o, "uevents", list);
	return o;
}

/*
 * uevent-listen: the request's one descriptor, a netlink uevent socket that
 * `apemu shell` created in its own network namespace, gets every uevent
 * from now on, until this connection closes.
 */
static struct json_object *op_uevent_listen(struct apemud *d, struct control_conn *conn,
					    struct req *r, struct control_fds *fds)
{
	int e;

	if (check_fields(r, NULL) < 0)
		return bad_request(r);
	if (fds->n != 1)
		return control_error(EINVAL, "uevent-listen: expected one descriptor, got %zu",
				     fds->n);
	pthread_mutex_lock(&d->lock);
	e = uevent_net_add(d->unet, conn, fds->fd[0]);
	pthread_mutex_unlock(&d->lock);
	if (e == -EPERM)
		return control_error(EPERM, "uevent-listen: the socket is in apemud's own network "
					    "namespace; uevents go only into a shell's own");
	if (e < 0)
		return control_error(-e, "uevent-listen: %s", strerror(-e));
	fds->fd[0] = -1;
	return reply_ok();
}

static struct json_object *op_stop(struct apemud *d, struct req *r)
{
	struct json_object *o;

	if (check_fields(r, NULL) < 0)
		return bad_request(r);
	o = reply_ok();
	json_object_object_add(o, "pid", json_object_new_int((int)d->pid));
	return o;
}

static const struct {
	const char *name;
	struct json_object *(*run)(struct apemud *d, struct req *r);
} ops[] = {
    {"status", op_status}, {"dmesg", op_dmesg}, {"uevents", op_uevents},
    {"event", op_event},   {"stop", op_stop},	{"check", op_check},
};

static enum control_result handle(void *ctx, struct control_conn *conn, struct json_object *req,
				  struct control_fds *fds, struct json_object **ret_reply)
{
	struct apemud *d = ctx;
	struct req r = {.o = req, .jf = {.name = "request"}};
	struct json_object *op, *tag, *reply = NULL;
	enum control_result res = CONTROL_CONTINUE;

	r.jf.err = r.err;
	r.jf.errlen = sizeof(r.err);
	if (!json_object_object_get_ex(req, "op", &op)) {
		reply = control_error(EINVAL, "request: missing \"op\"");
		goto out;
	}
	if (!json_object_is_type(op, json_type_string)) {
		reply = control_error(EINVAL, "request: op: expected a string, got %s",
				      jfield_type_desc(op));
		goto out;
	}
	r.jf.name = json_object_get_string(op);
	if (vmm_handles(r.jf.name))
		reply = vmm_request(d, conn, r.jf.name, req, fds);
	else if (!strcmp(r.jf.name, "uevent-listen"))
		reply = op_uevent_listen(d, conn, &r, fds);
	for (size_t i = 0; i < ARRAY_SIZE(ops) && !reply; i++) {
		if (strcmp(ops[i].name, r.jf.name))
			continue;
		reply = ops[i].run(d, &r);
		if (ops[i].run == op_stop &&
		    json_object_get_boolean(json_object_object_get(reply, "ok")))
			res = CONTROL_STOP;
	}
	if (!reply)
		reply = control_error(EOPNOTSUPP,
				      "unknown op \"%s\" (expected status, dmesg, uevents, "
				      "uevent-listen, event, stop, "
				      "guest-create, mdev-open, mdev-release, vfio-ioctl or crycb)",
				      r.jf.name);
out:
	if (json_object_object_get_ex(req, "tag", &tag))
		json_object_object_add(reply, "tag", json_object_get(tag));
	*ret_reply = reply;
	return res;
}

static void disconnect(void *ctx, struct control_conn *conn)
{
	struct apemud *d = ctx;

	pthread_mutex_lock(&d->lock);
	uevent_net_drop(d->unet, conn);
	pthread_mutex_unlock(&d->lock);
	vmm_disconnect(ctx, conn);
}

static void stop(void *ctx, const char *why)
{
	struct apemud *d = ctx;

	dlog_daemon(AP_LOG_NOTICE, "stopping (%s)", why);
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_broadcast(&d->released);
	pthread_mutex_unlock(&d->lock);
	if (d->fs)
		apemu_sysfs_stop(d->fs);
}

void request_handler_init(struct apemud *d, struct control_handler *ret)
{
	*ret = (struct control_handler){
	    .request = handle,
	    .disconnect = disconnect,
	    .stop = stop,
	    .ctx = d,
	};
}
