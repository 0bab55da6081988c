/*
 * uevent - the kernel's uevents (see uevent.h and docs/uevents.md).
 *
 * An event's variables come in kobject_uevent_env()'s order: ACTION,
 * DEVPATH, SUBSYSTEM, the caller's, then the kset's uevent callback (for a
 * device dev_uevent(): DEVTYPE, DRIVER, then the bus's: ap_uevent() in
 * ap_bus.c), SEQNUM last. An unbind event loses MODALIAS (zap_modalias_env).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bus.h"
#include "uevent.h"

static const char *const action_names[AP_UEVENT_ACTIONS] = {
    "add", "remove", "change", "move", "online", "offline", "bind", "unbind",
};

static const char *const bus_names[AP_BUS_COUNT] = {"ap", "matrix", "mdev"};

const char *uevent_action_name(enum ap_uevent_action action)
{
	return action < AP_UEVENT_ACTIONS ? action_names[action] : "?";
}

/* ---- building an environment ---- */

/* add_uevent_var(): false when the buffer or the slots are full. */
static bool add_var(struct ap_uevent *ev, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static bool add_var(struct ap_uevent *ev, const char *fmt, ...)
{
	size_t room = sizeof(ev->buf) - ev->buflen;
	va_list ap;
	int n;

	if (ev->nvars >= AP_UEVENT_NVARS)
		return false;
	va_start(ap, fmt);
	n = vsnprintf(ev->buf + ev->buflen, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		return false;
	ev->var[ev->nvars++] = ev->buf + ev->buflen;
	ev->buflen += (size_t)n + 1;
	return true;
}

static const char *drvobj_name(unsigned int id, enum ap_bus_id *ret_bus)
{
	switch (id) {
	case AP_DRVOBJ_MATRIX:
		*ret_bus = AP_BUS_MATRIX;
		return "vfio_ap";
	case AP_DRVOBJ_MDEV:
		*ret_bus = AP_BUS_MDEV;
		return "vfio_ap_mdev";
	default:
		*ret_bus = AP_BUS_AP;
		return apbus_driver_name((enum ap_driver)id);
	}
}

/* DEVPATH and SUBSYSTEM of o; false for an object whose events are dropped. */
static bool obj_path(const struct ap_obj *o, char *path, size_t size, const char **ret_subsys)
{
	char uuid[AP_UUID_STR_LEN + 1];
	enum ap_bus_id bus;
	const char *name;

	switch (o->kind) {
	case AP_OBJ_AP_ROOT:
		snprintf(path, size, "/devices/ap");
		*ret_subsys = "ap";
		return true;
	case AP_OBJ_CARD:
		snprintf(path, size, "/devices/ap/card%02x", o->id & 0xff);
		*ret_subsys = "ap";
		return true;
	case AP_OBJ_QUEUE:
		snprintf(path, size, "/devices/ap/card%02x/%02x.%04x", AP_APQN_APID(o->id),
			 AP_APQN_APID(o->id), AP_APQN_APQI(o->id));
		*ret_subsys = "ap";
		return true;
	case AP_OBJ_MATRIX:
		snprintf(path, size, "/devices/vfio_ap/matrix");
		*ret_subsys = "matrix";
		return true;
	case AP_OBJ_MDEV:
		ap_uuid_format(o->mdev->uuid, uuid);
		snprintf(path, size, "/devices/vfio_ap/matrix/%s", uuid);
		*ret_subsys = "mdev";
		return true;
	case AP_OBJ_BUS:
		snprintf(path, size, "/bus/%s", bus_names[o->id % AP_BUS_COUNT]);
		*ret_subsys = "bus";
		return true;
	case AP_OBJ_DRIVER:
		name = drvobj_name(o->id, &bus);
		snprintf(path, size, "/bus/%s/drivers/%s", bus_names[bus], name ? name : "?");
		*ret_subsys = "drivers";
		return true;
	case AP_OBJ_MODULE:
		snprintf(path, size, "/module/vfio_ap");
		*ret_subsys = "module";
		return true;
	case AP_OBJ_VFIO_ROOT:
		break;
	}
	return false;
}

/*
 * dev_uevent() for o: DEVTYPE, DRIVER and the bus's variables.
 * ap_uevent(): a card has DEV_TYPE, MODALIAS and (today) MODE; a queue
 * today only MODE, in the 4.x era DEV_TYPE and MODALIAS like a card.
 */
static bool dev_vars(const struct ap_system *s, const struct ap_obj *o, struct ap_uevent *ev)
{
	const struct ap_adapter *a;
	unsigned int type, drv;
	bool card = o->kind == AP_OBJ_CARD, ok = true;

	switch (o->kind) {
	case AP_OBJ_CARD:
	case AP_OBJ_QUEUE:
		break;
	case AP_OBJ_MATRIX:
		return !s->matrix_bound || add_var(ev, "DRIVER=vfio_ap");
	case AP_OBJ_MDEV:
		return !o->mdev->bound || add_var(ev, "DRIVER=vfio_ap_mdev");
	default:
		return true;
	}
	a = &s->hw.adapter[card ? o->id & 0xff : AP_APQN_APID(o->id)];
	type = machine_hwtype(a);
	drv = card ? s->bus.card[o->id & 0xff].driver : s->bus.queue[o->id & 0xffff].driver;
	ok &= add_var(ev, "DEVTYPE=%s", card ? "ap_card" : "ap_queue");
	if (drv != AP_DRV_NONE)
		ok &= add_var(ev, "DRIVER=%s", apbus_driver_name((enum ap_driver)drv));
	if (card || s->abi == AP_ABI_V8) {
		ok &= add_var(ev, "DEV_TYPE=%04X", type);
		ok &= add_var(ev, "MODALIAS=ap:t%02X", type);
	}
	if (s->abi == AP_ABI_CUR)
		ok &= add_var(ev, "MODE=%s", machine_mode_name(a->mode));
	return ok;
}

size_t uevent_show(const struct ap_system *s, const struct ap_obj *o, char *out, size_t size)
{
	struct ap_uevent ev = {0};
	size_t n = 0;

	if (!size)
		return 0;
	out[0] = '\0';
	dev_vars(s, o, &ev);
	for (unsigned int i = 0; i < ev.nvars; i++) {
		int k = snprintf(out + n, size - n, "%s\n", ev.var[i]);

		if (k < 0 || (size_t)k >= size - n)
			return strlen(out);
		n += (size_t)k;
	}
	return n;
}

/* zap_modalias_env(): an unbind event does not name the module alias. */
static void zap_modalias(struct ap_uevent *ev)
{
	unsigned int j = 0;

	for (unsigned int i = 0; i < ev->nvars; i++)
		if (strncmp(ev->var[i], "MODALIAS=", 9))
			ev->var[j++] = ev->var[i];
	ev->nvars = j;
}

void uevent_send(struct ap_system *s, const struct ap_obj *o, enum ap_uevent_action action,
		 const char *const *extra)
{
	struct ap_uevent ev;
	char path[96];
	const char *subsys;
	bool ok = true;

	if (!obj_path(o, path, sizeof(path), &subsys))
		return;
	ev.action = action;
	ev.nvars = 0;
	ev.buflen = 0;
	ok &= add_var(&ev, "ACTION=%s", uevent_action_name(action));
	ok &= add_var(&ev, "DEVPATH=%s", path);
	ev.devpath = ev.var[ev.nvars - 1] + strlen("DEVPATH=");
	ok &= add_var(&ev, "SUBSYSTEM=%s", subsys);
	ev.subsystem = ev.var[ev.nvars - 1] + strlen("SUBSYSTEM=");
	for (size_t i = 0; extra && extra[i]; i++)
		ok &= add_var(&ev, "%s", extra[i]);
	ok &= dev_vars(s, o, &ev);
	if (action == AP_UEVENT_UNBIND)
		zap_modalias(&ev);
	/* the kernel drops an event that does not fit (-ENOMEM) */
	if (!ok)
		return;
	ev.seqnum = ++s->uevent_seqnum;
	if (!add_var(&ev, "SEQNUM=%llu", ev.seqnum))
		return;
	if (s->ops.uevent)
		s->ops.uevent(s->ops_ctx, &ev);
}

void uevent_card(struct ap_system *s, unsigned int apid, enum ap_uevent_action action,
		 const char *var)
{
	const struct ap_obj o = {.kind = AP_OBJ_CARD, .id = apid};
	const char *extra[] = {var, NULL};

	uevent_send(s, &o, action, extra);
}

void uevent_queue(struct ap_system *s, unsigned int apqn, enum ap_uevent_action action,
		  const char *var)
{
	const struct ap_obj o = {.kind = AP_OBJ_QUEUE, .id = apqn};
	const char *extra[] = {var, NULL};

	uevent_send(s, &o, action, extra);
}

void uevent_mdev(struct ap_system *s, const struct ap_mdev *m, enum ap_uevent_action action)
{
	const struct ap_obj o = {.kind = AP_OBJ_MDEV, .mdev = m};

	uevent_send(s, &o, action, NULL);
}

/* ---- synthetic uevents (kobject_synth_uevent) ---- */

static bool is_alnum(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

/* action_arg_word_end(): letters and digits up to delim or the end. */
static const char *word_end(const char *p, const char *end, char delim)
{
	const char *start = p;

	while (p < end && *p != delim)
		if (!is_alnum(*p++))
			return NULL;
	return p == start ? NULL : p;
}

/* "UUID[ KEY=VALUE]..." into SYNTH_UUID and SYNTH_ARG_KEY=VALUE (in ret->vars). */
static int synth_args(const char *p, size_t len, struct ap_uevent_synth *ret)
{
	uint8_t uuid[AP_UUID_LEN];
	const char *end, *key, *val;
	size_t n = 0;

	if (len && (p[len - 1] == '\n' || p[len - 1] == '\0'))
		len--;
	if (len < AP_UUID_STR_LEN || ap_uuid_parse(p, AP_UUID_STR_LEN, false, uuid) < 0)
		return -EINVAL;
	snprintf(ret->vars[n++], AP_SYNTH_VAR_LEN, "SYNTH_UUID=%.*s", AP_UUID_STR_LEN, p);
	end = p + len;
	p += AP_UUID_STR_LEN;
	while (p < end) {
		if (*p++ != ' ' || p >= end)
			return -EINVAL;
		key = p;
		p = word_end(p, end, '=');
		if (!p || p >= end || *p != '=' || ++p >= end)
			return -EINVAL;
		val = p;
		p = word_end(p, end, ' ');
		if (!p)
			return -EINVAL;
		if (n == AP_SYNTH_VARS)
			return -ENOMEM;
		snprintf(ret->vars[n++], AP_SYNTH_VAR_LEN, "SYNTH_ARG_%.*s%.*s", (int)(val - key),
			 key, (int)(p - val), val);
	}
	ret->nvars = n;
	return 0;
}

int uevent_synth_parse(const char *buf, size_t len, struct ap_uevent_synth *ret)
{
	struct ap_uevent_synth out;
	size_t n = len, first;
	const char *sp;
	int action = -1, r;

	if (n && (buf[n - 1] == '\n' || buf[n - 1] == '\0'))
		n--;
	if (!n)
		return -EINVAL;
	sp = memchr(buf, ' ', n);
	first = sp ? (size_t)(sp - buf) : n;
	for (int i = 0; i < AP_UEVENT_ACTIONS && action < 0; i++)
		if (strlen(action_names[i]) == first && !memcmp(action_names[i], buf, first))
			action = i;
	if (action < 0)
		return -EINVAL;
	out.action = (enum ap_uevent_action)action;
	if (!sp) {
		snprintf(out.vars[0], AP_SYNTH_VAR_LEN, "SYNTH_UUID=0");
		out.nvars = 1;
	} else {
		r = synth_args(sp + 1, len - first - 1, &out);
		if (r < 0)
			return r;
	}
	memcpy(ret, &out, sizeof(out));
	return 0;
}

int uevent_synth(struct ap_system *s, const struct ap_obj *o, const char *buf, size_t len)
{
	struct ap_uevent_synth syn;
	const char *extra[AP_SYNTH_VARS + 1];
	int r = uevent_synth_parse(buf, len, &syn);

	if (r < 0)
		return r;
	for (size_t i = 0; i < syn.nvars; i++)
		extra[i] = syn.vars[i];
	extra[syn.nvars] = NULL;
	uevent_send(s, o, syn.action, extra);
	return 0;
}
