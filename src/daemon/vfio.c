/*
 * vfio - the mediated device as a guest's VMM sees it: mdev-open (VFIO's
 * GET_DEVICE_FD and vfio_ap's open with the connection's guest as the KVM),
 * mdev-release (closing the device fd) and the device ioctls GET_INFO,
 * GET_IRQ_INFO, SET_IRQS and RESET (facts 4; docs/guest-protocol.md).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dlog.h"
#include "efd.h"
#include "vmm.h"
#include "vmm_int.h"
#include "matrix.h"
#include "vfio_abi.h"

#define MSG_LEN 512

static const struct {
	const char *name;
	int64_t nr;
} ioctls[] = {
    {"GET_INFO", VFIO_DEVICE_GET_INFO},
    {"GET_IRQ_INFO", VFIO_DEVICE_GET_IRQ_INFO},
    {"SET_IRQS", VFIO_DEVICE_SET_IRQS},
    {"RESET", VFIO_DEVICE_RESET},
};

static struct json_object *reply_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

struct gopen *vfio_find_open(struct guests *gs, const struct ap_mdev *m)
{
	for (struct gopen *o = gs->opens; o; o = o->next)
		if (o->seq == m->seq && !memcmp(o->uuid, m->uuid, AP_UUID_LEN))
			return o;
	return NULL;
}

/* The mdev an open refers to, or NULL when it was removed meanwhile. */
static struct ap_mdev *open_mdev(struct guests *gs, const struct gopen *o)
{
	struct ap_mdev *m = matrix_find(gs->d->sys, o->uuid);

	return m && m->seq == o->seq ? m : NULL;
}

/* Release/close (lock held): clear the CRYCB masks, detach (zeroizes the queues). */
static void release_open(struct guests *gs, struct gopen *o)
{
	struct ap_mdev *m = open_mdev(gs, o);
	struct gopen **pp = &gs->opens;
	char uuid[AP_UUID_STR_LEN + 1];

	if (o->attached && m) {
		struct guest *g = o->conn->guest;

		if (g) {
			pthread_mutex_lock(&g->insn_mu);
			crycb_clear_masks(&g->crycb);
			g->attached = false;
			dp_refresh(g);
			pthread_mutex_unlock(&g->insn_mu);
		}
		matrix_detach(gs->d->sys, m);
		pthread_cond_broadcast(&gs->d->released);
	}
	ap_uuid_format(o->uuid, uuid);
	dlog_daemon(AP_LOG_INFO, "mdev %s released", uuid);
	for (int i = 0; i < GUEST_NUM_IRQS; i++)
		if (o->irq_fd[i] >= 0)
			close(o->irq_fd[i]);
	while (*pp && *pp != o)
		pp = &(*pp)->next;
	if (*pp)
		*pp = o->next;
	free(o);
}

void vfio_release_all(struct guests *gs, struct gconn *gc)
{
	struct gopen *o = gs->opens;

	while (o) {
		struct gopen *next = o->next;

		if (o->conn == gc)
			release_open(gs, o);
		o = next;
	}
}

/*
 * The device a request is about (lock held): the one named by "uuid", or
 * the connection's only open device. -EBADF when there is none (no device
 * fd), -EINVAL when several are open and none is named.
 */
static int find_conn_open(struct guests *gs, struct gconn *gc, struct json_object *req, char *msg,
			  const char *op, struct gopen **ret)
{
	struct json_object *v = NULL;
	uint8_t uuid[AP_UUID_LEN];
	struct gopen *found = NULL;
	unsigned int n = 0;

	if (json_object_object_get_ex(req, "uuid", &v)) {
		const char *s = json_object_get_string(v);

		if (!json_object_is_type(v, json_type_string) || strlen(s) != AP_UUID_STR_LEN ||
		    ap_uuid_parse(s, AP_UUID_STR_LEN, true, uuid) < 0) {
			snprintf(msg, MSG_LEN, "%s: uuid: expected a UUID string", op);
			return -EINVAL;
		}
	}
	for (struct gopen *o = gs->opens; gc && o; o = o->next) {
		if (o->conn != gc || (v && memcmp(o->uuid, uuid, AP_UUID_LEN)))
			continue;
		found = o;
		n++;
	}
	if (!n) {
		snprintf(msg, MSG_LEN, "%s: no mdev%s%s open on this connection", op, v ? " " : "",
			 v ? json_object_get_string(v) : "");
		return -EBADF;
	}
	if (n > 1) {
		snprintf(msg, MSG_LEN,
			 "%s: %u mdevs are open on this connection: name one with "
			 "\"uuid\"",
			 op, n);
		return -EINVAL;
	}
	*ret = found;
	return 0;
}

/* ---- mdev-open ---- */

static int do_open(struct guests *gs, struct gconn *gc, const char *uuid, char *msg,
		   bool *ret_attached)
{
	struct ap_system *s = gs->d->sys;
	/* the device's name, exactly: VFIO compares names with strcmp */
	struct ap_mdev *m = matrix_find_name(s, uuid);
	struct guest *g = gc->guest;
	struct gopen *o;
	int e;

	e = matrix_open_check(s, m, m && vfio_find_open(gs, m), g != NULL);
	if (e == -ENODEV)
		snprintf(msg, MSG_LEN, "mdev-open: %s: no such mdev%s", uuid,
			 m ? " (being removed)" : "");
	else if (e == -EBUSY)
		snprintf(msg, MSG_LEN, "mdev-open: %s is open already", uuid);
	else if (e == -EINVAL)
		snprintf(msg, MSG_LEN,
			 "mdev-open: %s: no guest (KVM) on this connection: "
			 "guest-create first",
			 uuid);
	if (e < 0)
		return e;
	o = calloc(1, sizeof(*o));
	if (!o) {
		snprintf(msg, MSG_LEN, "out of memory");
		return -ENOMEM;
	}
	o->conn = gc;
	memcpy(o->uuid, m->uuid, AP_UUID_LEN);
	o->seq = m->seq;
	o->irq_fd[GUEST_IRQ_REQ] = o->irq_fd[GUEST_IRQ_CFG] = -1;
	/* listed first, so that the attach's guest_update finds the device */
	o->next = gs->opens;
	gs->opens = o;
	if (g) {
		e = matrix_attach(s, m, g->id);
		if (e < 0) {
			gs->opens = o->next;
			free(o);
			snprintf(msg, MSG_LEN,
				 "mdev-open: %s: guest %" PRIu64 " has another mdev "
				 "attached",
				 uuid, g->id);
			return e;
		}
		o->attached = m->guest == g->id;
		pthread_mutex_lock(&g->insn_mu);
		g->attached |= o->attached;
		pthread_mutex_unlock(&g->insn_mu);
	}
	*ret_attached = o->attached;
	return 0;
}

struct json_object *vfio_op_open(struct apemud *d, struct control_conn *conn,
				 struct json_object *req)
{
	static const char *const known[] = {"op", "tag", "uuid", NULL};
	char err[MSG_LEN] = "", msg[MSG_LEN] = "";
	struct jfield jf = {.name = "mdev-open", .err = err, .errlen = sizeof(err)};
	struct gconn *gc = vmm_conn(conn);
	struct json_object *v, *o;
	bool attached = false;
	int e;

	if (!gc)
		return control_error(ENOMEM, "out of memory");
	if (jfield_check_known(&jf, req, NULL, known) < 0)
		return control_error(EINVAL, "%s", err);
	if (!json_object_object_get_ex(req, "uuid", &v) ||
	    !json_object_is_type(v, json_type_string))
		return control_error(EINVAL, "mdev-open: expected \"uuid\", a string");
	pthread_mutex_lock(&d->lock);
	e = do_open(d->guests, gc, json_object_get_string(v), msg, &attached);
	apemud_audit(d);
	pthread_mutex_unlock(&d->lock);
	if (e < 0)
		return control_error(-e, "%s", msg);
	dlog_daemon(AP_LOG_INFO, "mdev %s opened by pid %d%s", json_object_get_string(v),
		    (int)conn->pid, attached ? "" : " (nothing attached)");
	o = reply_ok();
	json_object_object_add(o, "attached", json_object_new_boolean(attached));
	return o;
}

/* ---- mdev-release ---- */

struct json_object *vfio_op_release(struct apemud *d, struct control_conn *conn,
				    struct json_object *req)
{
	static const char *const known[] = {"op", "tag", "uuid", NULL};
	char err[MSG_LEN] = "", msg[MSG_LEN] = "";
	struct jfield jf = {.name = "mdev-release", .err = err, .errlen = sizeof(err)};
	struct gopen *o = NULL;
	int e;

	if (jfield_check_known(&jf, req, NULL, known) < 0)
		return control_error(EINVAL, "%s", err);
	pthread_mutex_lock(&d->lock);
	e = find_conn_open(d->guests, conn->data, req, msg, "mdev-release", &o);
	if (!e)
		release_open(d->guests, o);
	apemud_audit(d);
	pthread_mutex_unlock(&d->lock);
	return e < 0 ? control_error(-e, "%s", msg) : reply_ok();
}

/* ---- vfio-ioctl ---- */

struct ioctl_ctx {
	struct guests *gs;
	struct gopen *o;
	struct ap_mdev *m;
	struct json_object *req;
	struct control_fds *fds;
	struct jfield *jf;
	char *msg;
	struct json_object *reply;
};

static int ioctl_get_info(struct ioctl_ctx *c)
{
	bool v8 = c->gs->d->sys->abi == AP_ABI_V8;
	int64_t argsz;
	int e;

	if ((e = vmm_get_int(c->jf, c->req, "argsz", true, 0, 0, UINT32_MAX, &argsz)) < 0)
		return e;
	if (argsz < VFIO_DEVICE_INFO_MINSZ) {
		snprintf(c->msg, MSG_LEN, "GET_INFO: argsz %" PRId64 " below %d", argsz,
			 VFIO_DEVICE_INFO_MINSZ);
		return -EINVAL;
	}
	c->reply = reply_ok();
	json_object_object_add(c->reply, "flags",
			       json_object_new_int(VFIO_DEVICE_FLAGS_AP | VFIO_DEVICE_FLAGS_RESET));
	json_object_object_add(c->reply, "num_regions", json_object_new_int(0));
	json_object_object_add(c->reply, "num_irqs", json_object_new_int(v8 ? 0 : GUEST_NUM_IRQS));
	return 0;
}

static int ioctl_get_irq_info(struct ioctl_ctx *c)
{
	int64_t argsz, index;
	int e;

	if ((e = vmm_get_int(c->jf, c->req, "argsz", true, 0, 0, UINT32_MAX, &argsz)) < 0 ||
	    (e = vmm_get_int(c->jf, c->req, "index", true, 0, 0, UINT32_MAX, &index)) < 0)
		return e;
	if (argsz < VFIO_IRQ_INFO_MINSZ || index >= GUEST_NUM_IRQS) {
		snprintf(c->msg, MSG_LEN, "GET_IRQ_INFO: %s",
			 argsz < VFIO_IRQ_INFO_MINSZ ? "argsz below 16"
						     : "no such interrupt index");
		return -EINVAL;
	}
	c->reply = reply_ok();
	json_object_object_add(c->reply, "index", json_object_new_int((int)index));
	json_object_object_add(c->reply, "count", json_object_new_int(1));
	json_object_object_add(c->reply, "flags", json_object_new_int(VFIO_IRQ_INFO_EVENTFD));
	return 0;
}

static int set_irqs_fail(struct ioctl_ctx *c, int err, const char *what)
{
	snprintf(c->msg, MSG_LEN, "SET_IRQS: %s", what);
	return -err;
}

/* The eventfd of one interrupt: an fd attached registers it, "fd": -1 unregisters. */
static int ioctl_set_irqs(struct ioctl_ctx *c)
{
	const int64_t action = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	int64_t argsz, flags, index, start, count, fd;
	bool has_fd = json_object_object_get_ex(c->req, "fd", NULL);
	int e, newfd = -1;

	if ((e = vmm_get_int(c->jf, c->req, "argsz", true, 0, 0, UINT32_MAX, &argsz)) < 0 ||
	    (e = vmm_get_int(c->jf, c->req, "flags", true, 0, 0, UINT32_MAX, &flags)) < 0 ||
	    (e = vmm_get_int(c->jf, c->req, "index", true, 0, 0, UINT32_MAX, &index)) < 0 ||
	    (e = vmm_get_int(c->jf, c->req, "start", true, 0, 0, UINT32_MAX, &start)) < 0 ||
	    (e = vmm_get_int(c->jf, c->req, "count", true, 0, 0, UINT32_MAX, &count)) < 0 ||
	    (e = vmm_get_int(c->jf, c->req, "fd", false, 0, INT32_MIN, INT32_MAX, &fd)) < 0)
		return e;
	if (argsz < VFIO_IRQ_SET_MINSZ)
		return set_irqs_fail(c, EINVAL, "argsz below 20");
	if (flags != action)
		return set_irqs_fail(c, EINVAL,
				     "flags must be DATA_EVENTFD | ACTION_TRIGGER (0x24)");
	if (index >= GUEST_NUM_IRQS)
		return set_irqs_fail(c, EINVAL, "no such interrupt index");
	if (start != 0 || count != 1)
		return set_irqs_fail(c, EINVAL, "start must be 0 and count 1");
	if (argsz < VFIO_IRQ_SET_ONE_FD_SZ)
		return set_irqs_fail(c, EINVAL, "argsz too small for the data (one s32)");
	if (c->fds->n > 1)
		return set_irqs_fail(c, EINVAL, "more than one descriptor");
	if (c->fds->n == 1) {
		if (has_fd && fd < 0)
			return set_irqs_fail(c, EINVAL,
					     "\"fd\" is negative, yet a descriptor came");
		if (!vmm_is_eventfd(c->fds->fd[0]))
			return set_irqs_fail(c, EINVAL, "the descriptor is not an eventfd");
		newfd = c->fds->fd[0];
		c->fds->fd[0] = -1;
		efd_set_nonblocking(newfd); /* the client sees it too (efd.h) */
	} else if (!has_fd) {
		return set_irqs_fail(c, EINVAL, "no eventfd attached and no \"fd\": -1");
	} else if (fd < -1) {
		return set_irqs_fail(c, EINVAL, "\"fd\" below -1");
	} else if (fd >= 0) {
		return set_irqs_fail(c, EBADF, "\"fd\" given, but no descriptor attached");
	}
	if (c->o->irq_fd[index] >= 0)
		close(c->o->irq_fd[index]);
	c->o->irq_fd[index] = newfd;
	c->reply = reply_ok();
	return 0;
}

/* Zeroize the mdev's queues: the rules and errnos are matrix_device_reset()'s. */
static int ioctl_reset(struct ioctl_ctx *c)
{
	int e = matrix_device_reset(c->gs->d->sys, c->m);

	if (e < 0)
		snprintf(c->msg, MSG_LEN, "RESET: a queue could not be zeroized");
	else
		c->reply = reply_ok();
	return e;
}

/* The request: a name or a number; *ret_nr is the number. */
static int parse_request(struct jfield *jf, struct json_object *req, int64_t *ret_nr)
{
	struct json_object *v;

	if (!json_object_object_get_ex(req, "request", &v))
		return jfield_fail(jf, NULL, "missing \"request\"");
	if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v);

		for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
			if (!strcmp(ioctls[i].name, s)) {
				*ret_nr = ioctls[i].nr;
				return 0;
			}
		}
		if (s[0] < '0' || s[0] > '9')
			return jfield_fail(jf, "request",
					   "unknown request \"%s\" (expected GET_INFO, "
					   "GET_IRQ_INFO, SET_IRQS, RESET or a number)",
					   s);
	}
	return vmm_get_int(jf, req, "request", true, 0, 0, UINT32_MAX, ret_nr);
}

struct json_object *vfio_op_ioctl(struct apemud *d, struct control_conn *conn,
				  struct json_object *req, struct control_fds *fds)
{
	static const char *const known[] = {"op",    "tag",   "uuid",  "request", "argsz", "flags",
					    "index", "start", "count", "fd",	  NULL};
	char err[MSG_LEN] = "", msg[MSG_LEN] = "";
	struct jfield jf = {.name = "vfio-ioctl", .err = err, .errlen = sizeof(err)};
	struct ioctl_ctx c = {.gs = d->guests, .req = req, .fds = fds, .jf = &jf, .msg = msg};
	int64_t nr;
	int e;

	if ((e = jfield_check_known(&jf, req, NULL, known)) < 0 ||
	    (e = parse_request(&jf, req, &nr)) < 0)
		return control_error(-e, "%s", err);
	pthread_mutex_lock(&d->lock);
	e = find_conn_open(d->guests, conn->data, req, msg, "vfio-ioctl", &c.o);
	if (!e && !(c.m = open_mdev(d->guests, c.o))) {
		snprintf(msg, MSG_LEN, "vfio-ioctl: the mdev was removed");
		e = -ENODEV;
	}
	if (e < 0) {
		/* no device fd: nothing to report */
	} else if (nr == VFIO_DEVICE_GET_INFO) {
		e = ioctl_get_info(&c);
	} else if (nr == VFIO_DEVICE_RESET) {
		e = ioctl_reset(&c);
	} else if ((nr == VFIO_DEVICE_GET_IRQ_INFO || nr == VFIO_DEVICE_SET_IRQS) &&
		   d->sys->abi == AP_ABI_CUR) {
		e = nr == VFIO_DEVICE_SET_IRQS ? ioctl_set_irqs(&c) : ioctl_get_irq_info(&c);
	} else {
		snprintf(msg, MSG_LEN, "vfio-ioctl: request 0x%" PRIx64 " not supported", nr);
		e = -EOPNOTSUPP;
	}
	pthread_mutex_unlock(&d->lock);
	if (e < 0) {
		json_object_put(c.reply);
		return control_error(-e, "%s", msg[0] ? msg : err);
	}
	return c.reply;
}
