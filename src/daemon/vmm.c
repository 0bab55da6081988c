/*
 * vmm - the daemon as the guests' VMM: guest-create (the memory, the CPU
 * model, the CRYCB KVM would build), the crycb operation, the core's
 * callbacks that keep each CRYCB and the queues' message state current, and
 * the end of a connection (see vmm.h and docs/guest-protocol.md).
 * libapemu-guest (src/guest/) is the other side: the guest's.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "dlog.h"
#include "efd.h"
#include "gcopy.h"
#include "gmem.h"
#include "vmm.h"
#include "vmm_int.h"
#include "matrix.h"

#define MSG_LEN	      512
#define GUEST_MEM_MIN 8192u
#define GUEST_PAGE    4096u
/* The fake 31-bit origin of a guest's CRYCB: 0x00010000 + 0x100 * id. */
#define CRYCB_FAKE_BASE 0x00010000u
#define CRYCB_FAKE_STEP 0x100u
#define CRYCB_FAKE_IDS	((CRYCB_ORIGIN_MASK - CRYCB_FAKE_BASE) / CRYCB_FAKE_STEP)

/* ---- small helpers ---- */

struct guest *vmm_find_guest(struct guests *gs, uint64_t id)
{
	for (struct guest *g = gs->list; id && g; g = g->next)
		if (g->id == id)
			return g;
	return NULL;
}

struct gconn *vmm_conn(struct control_conn *conn)
{
	if (!conn->data)
		conn->data = calloc(1, sizeof(struct gconn));
	return conn->data;
}

/* Write 1 to an eventfd (ignored when fd < 0). */
static void signal_eventfd(int fd)
{
	int r = efd_signal(fd); /* never blocks: the configuration lock is held */

	if (r < 0)
		dlog_daemon(AP_LOG_DEBUG, "cannot signal eventfd %d: %s", fd, strerror(-r));
}

bool vmm_is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return !strcmp(target, "anon_inode:[eventfd]");
}

int vmm_get_int(struct jfield *jf, struct json_object *req, const char *key, bool required,
		int64_t def, int64_t min, int64_t max, int64_t *ret)
{
	struct json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(req, key, &v)) {
		if (required)
			return jfield_fail(jf, NULL, "missing \"%s\"", key);
		*ret = def;
		return 0;
	}
	if (json_object_is_type(v, json_type_int)) {
		x = json_object_get_int64(v);
	} else if (json_object_is_type(v, json_type_string)) {
		const char *s = json_object_get_string(v), *p = s + (*s == '-');
		unsigned long u;

		if (jfield_parse_num(&p, &u) < 0 || *p || u > INT64_MAX)
			return jfield_fail(jf, key, "bad number \"%s\"", s);
		x = *s == '-' ? -(int64_t)u : (int64_t)u;
	} else {
		return jfield_fail(jf, key, "expected an integer, got %s", jfield_type_desc(v));
	}
	if (x < min || x > max)
		return jfield_fail(jf, key, "%" PRId64 " out of range (%" PRId64 "..%" PRId64 ")",
				   x, min, max);
	*ret = x;
	return 0;
}

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 0xf];
	}
	out[2 * n] = '\0';
}

/* Format 0, 1 or 2 of a designation (format 2 is encoded 3). */
static int format_number(uint32_t crycbd)
{
	switch (crycbd & CRYCB_FORMAT_MASK) {
	case CRYCB_FORMAT2:
		return 2;
	case CRYCB_FORMAT1:
		return 1;
	default:
		return 0;
	}
}

static struct json_object *crycbd_json(uint32_t crycbd)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "0x%08x", crycbd);
	return json_object_new_string(buf);
}

/* ---- the core's callbacks, chained with those installed before ---- */

static void on_log(void *ctx, enum ap_log_level level, const char *dev, const char *msg)
{
	struct guests *gs = ctx;

	if (gs->prev_ops.log)
		gs->prev_ops.log(gs->prev_ctx, level, dev, msg);
}

static void on_uevent(void *ctx, const struct ap_uevent *ev)
{
	struct guests *gs = ctx;

	if (gs->prev_ops.uevent)
		gs->prev_ops.uevent(gs->prev_ctx, ev);
}

/* A queue was reset or zeroized: its requests and replies are gone. */
static void on_queue_reset(void *ctx, unsigned int apqn, bool zeroize)
{
	struct guests *gs = ctx;
	engine_reset(gs->engine, apqn);
	if (gs->prev_ops.queue_reset)
		gs->prev_ops.queue_reset(gs->prev_ctx, apqn, zeroize);
}

/* The queue's request counters: the engine owns them. */
static void on_queue_counters(void *ctx, unsigned int apqn, struct ap_queue_counters *ret)
{
	struct guests *gs = ctx;

	engine_counters(gs->engine, apqn, ret);
}

static void on_queue_count_reset(void *ctx, unsigned int apqn)
{
	struct guests *gs = ctx;

	engine_reset_request_count(gs->engine, apqn);
}

/*
 * An attached mdev's guest matrix changed (attach, hot plug/unplug,
 * filtering): KVM's set-masks, then the config-change eventfd. While a
 * removal is pending the masks stay cleared.
 */
static void on_guest_update(void *ctx, struct ap_mdev *m)
{
	struct guests *gs = ctx;
	struct guest *g = vmm_find_guest(gs, m->guest);

	if (g && !m->remove_requested) {
		struct gopen *o = vfio_find_open(gs, m);

		pthread_mutex_lock(&g->insn_mu);
		crycb_set_masks(&g->crycb, g->crycbd & CRYCB_FORMAT_MASK, &m->shadow_apm,
				&m->shadow_aqm, &m->shadow_adm);
		dp_refresh(g);
		pthread_mutex_unlock(&g->insn_mu);
		if (o)
			signal_eventfd(o->irq_fd[GUEST_IRQ_CFG]);
	}
	if (gs->prev_ops.guest_update)
		gs->prev_ops.guest_update(gs->prev_ctx, m);
}

int vmm_init(struct apemud *d)
{
	struct guests *gs = calloc(1, sizeof(*gs));
	int r;

	if (!gs)
		return -ENOMEM;
	gs->d = d;
	r = engine_new(&d->view, &gs->engine);
	if (r < 0) {
		free(gs);
		return r;
	}
	r = trap_new(gs, &gs->trap);
	if (r < 0) {
		engine_free(gs->engine);
		free(gs);
		return r;
	}
	dlog_daemon(AP_LOG_INFO, "%u adapter worker thread(s)", engine_workers(gs->engine));
	gs->next_id = 1;
	gs->prev_ops = d->sys->ops;
	gs->prev_ctx = d->sys->ops_ctx;
	d->sys->ops = (struct ap_sys_ops){
	    .log = on_log,
	    .queue_reset = on_queue_reset,
	    .guest_update = on_guest_update,
	    .uevent = on_uevent,
	    .queue_counters = on_queue_counters,
	    .queue_count_reset = on_queue_count_reset,
	};
	d->sys->ops_ctx = gs;
	d->guests = gs;
	return 0;
}

void vmm_free(struct apemud *d)
{
	struct guests *gs = d->guests;

	if (!gs)
		return;
	if (d->sys) {
		d->sys->ops = gs->prev_ops;
		d->sys->ops_ctx = gs->prev_ctx;
	}
	trap_free(gs->trap);
	engine_free(gs->engine);
	free(gs);
	d->guests = NULL;
}

/* ---- guest-create ---- */

struct create_args {
	struct ap_cpu_model cpu;
	uint64_t memory, ring;
	uint64_t ram; /* 0: one memfd; else the first holds [0, ram), a second the rest */
	uint64_t dp_addr, dp_size; /* dp_size 0: no data-plane area */
	bool doorbells;
};

static int parse_cpu(struct jfield *jf, struct json_object *req, struct ap_cpu_model *cpu)
{
	static const char *const names[] = {"ap",    "apqci", "apft", "apqi",
					    "msax3", "apxa",  "sie",  NULL};
	bool *const fields[] = {&cpu->ap,    &cpu->apqci, &cpu->apft, &cpu->apqi,
				&cpu->msax3, &cpu->apxa,  &cpu->sie};
	struct json_object *o, *v;
	int e;

	*cpu = (struct ap_cpu_model){true, true, true, true, true, true, false};
	if (!json_object_object_get_ex(req, "cpu", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return jfield_fail(jf, "cpu", "expected an object, got %s", jfield_type_desc(o));
	if ((e = jfield_check_known(jf, o, "cpu", names)) < 0)
		return e;
	for (size_t i = 0; names[i]; i++) {
		if (!json_object_object_get_ex(o, names[i], &v))
			continue;
		if (!json_object_is_type(v, json_type_boolean)) {
			char path[32];

			snprintf(path, sizeof(path), "cpu.%s", names[i]);
			return jfield_fail(jf, path, "expected true or false, got %s",
					   jfield_type_desc(v));
		}
		*fields[i] = json_object_get_boolean(v);
	}
	return 0;
}

/* "dataplane": {"addr": A, "size": S}: 4096-aligned, inside memory, clear of the ring. */
static int parse_dataplane(struct jfield *jf, struct json_object *req, struct create_args *a)
{
	static const char *const names[] = {"addr", "size", NULL};
	struct json_object *o;
	int64_t addr, size;
	int e;

	if (!json_object_object_get_ex(req, "dataplane", &o))
		return 0;
	if (!json_object_is_type(o, json_type_object))
		return jfield_fail(jf, "dataplane", "expected an object, got %s",
				   jfield_type_desc(o));
	if ((e = jfield_check_known(jf, o, "dataplane", names)) < 0 ||
	    (e = vmm_get_int(jf, o, "addr", true, 0, 0, INT64_MAX, &addr)) < 0 ||
	    (e = vmm_get_int(jf, o, "size", true, 0, APEMU_DP_RINGS_OFF + GUEST_PAGE, UINT32_MAX,
			     &size)) < 0)
		return e;
	if (addr % GUEST_PAGE || size % GUEST_PAGE || (uint64_t)addr > a->memory ||
	    (uint64_t)size > a->memory - (uint64_t)addr)
		return jfield_fail(jf, "dataplane",
				   "0x%" PRIx64 " + 0x%" PRIx64
				   " is not a 4096-aligned area inside "
				   "the memory",
				   addr, size);
	if ((uint64_t)addr < a->ring + sizeof(struct apemu_ring) &&
	    a->ring < (uint64_t)(addr + size))
		return jfield_fail(jf, "dataplane", "the area overlaps the ring at 0x%" PRIx64,
				   a->ring);
	a->dp_addr = (uint64_t)addr;
	a->dp_size = (uint64_t)size;
	return 0;
}

static int parse_create(struct jfield *jf, struct json_object *req, struct create_args *a)
{
	static const char *const known[] = {"op",   "tag",	 "cpu",	      "memory", "ram",
					    "ring", "dataplane", "doorbells", NULL};
	struct json_object *v_db;
	int64_t v;
	int e;

	if ((e = jfield_check_known(jf, req, NULL, known)) < 0 ||
	    (e = parse_cpu(jf, req, &a->cpu)) < 0)
		return e;
	if ((e = vmm_get_int(jf, req, "memory", true, 0, GUEST_MEM_MIN, INT64_MAX, &v)) < 0)
		return e;
	if (v % GUEST_PAGE)
		return jfield_fail(jf, "memory", "%" PRId64 " is not a multiple of 4096", v);
	a->memory = (uint64_t)v;
	a->ram = 0;
	if ((e = vmm_get_int(jf, req, "ram", false, 0, GUEST_PAGE, INT64_MAX, &v)) < 0)
		return e;
	if (v && (v % GUEST_PAGE || (uint64_t)v >= a->memory))
		return jfield_fail(jf, "ram",
				   "%" PRId64
				   " is not a multiple of 4096 below the memory (%" PRIu64 ")",
				   v, a->memory);
	a->ram = (uint64_t)v; /* 0: absent */
	if ((e = vmm_get_int(jf, req, "ring", true, 0, 0, INT64_MAX, &v)) < 0)
		return e;
	if (v % 8 || (uint64_t)v > a->memory - sizeof(struct apemu_ring))
		return jfield_fail(jf, "ring",
				   "0x%" PRIx64 " is not an 8-aligned address of a %zu-byte ring "
				   "inside the memory",
				   v, sizeof(struct apemu_ring));
	a->ring = (uint64_t)v;
	a->dp_addr = a->dp_size = 0;
	if ((e = parse_dataplane(jf, req, a)) < 0)
		return e;
	a->doorbells = false;
	if (json_object_object_get_ex(req, "doorbells", &v_db)) {
		if (!json_object_is_type(v_db, json_type_boolean))
			return jfield_fail(jf, "doorbells", "expected true or false, got %s",
					   jfield_type_desc(v_db));
		a->doorbells = json_object_get_boolean(v_db);
	}
	/* nothing else would wake an adapter that sleeps with requests on the area's rings */
	if (a->dp_size && !a->doorbells)
		return jfield_fail(jf, "dataplane", "an area needs \"doorbells\": true");
	return 0;
}

/*
 * Map the memfd (sealed against shrinking first, then measured: gmem.h)
 * and check the ring.
 */
static int map_memory(struct jfield *jf, const int *fd, const struct create_args *a, uint8_t **ret)
{
	char why[MSG_LEN];
	struct apemu_ring ring;
	void *p;
	int e;

	e = a->ram ? gmem_map2(fd[0], a->ram, fd[1], a->memory, &p, why, sizeof(why))
		   : gmem_map(fd[0], a->memory, &p, why, sizeof(why));
	if (e < 0) {
		jfield_fail(jf, NULL, "%s", why);
		return e;
	}
	gcopy(&ring, (uint8_t *)p + a->ring, sizeof(ring));
	if (ring.magic != APEMU_RING_MAGIC || ring.version != APEMU_RING_VERSION) {
		munmap(p, a->memory);
		return jfield_fail(jf, "ring",
				   "no ring at 0x%" PRIx64 " (magic 0x%08x, version %u; expected "
				   "0x%08x, %u)",
				   a->ring, ring.magic, ring.version, APEMU_RING_MAGIC,
				   APEMU_RING_VERSION);
	}
	if (a->dp_size) {
		struct apemu_dp_area *dp = (struct apemu_dp_area *)((uint8_t *)p + a->dp_addr);
		uint32_t magic = __atomic_load_n(&dp->magic, __ATOMIC_RELAXED);
		uint32_t version = __atomic_load_n(&dp->version, __ATOMIC_RELAXED);

		if (magic != APEMU_DP_MAGIC || version != APEMU_DP_VERSION) {
			munmap(p, a->memory);
			return jfield_fail(jf, "dataplane",
					   "no data-plane area at 0x%" PRIx64
					   " (magic 0x%08x, version %u; expected 0x%08x, %u)",
					   a->dp_addr, magic, version, APEMU_DP_MAGIC,
					   APEMU_DP_VERSION);
		}
		/* an empty directory: the guest's idea of it does not count */
		__atomic_store_n(&dp->nent, 0, __ATOMIC_RELAXED);
		gcopy_zero(dp->dir, sizeof(dp->dir));
		__atomic_store_n(&dp->dir_gen, 0, __ATOMIC_RELEASE);
	}
	*ret = p;
	return 0;
}

/* What KVM does at VM creation: the CRYCB, its format and designation. */
static void setup_crycb(struct ap_system *s, struct guest *g)
{
	uint8_t keys[CRYCB_DEA_LEN + CRYCB_AES_LEN] = {0};
	unsigned int fmt;

	if (g->cpu.msax3 && getrandom(keys, sizeof(keys), 0) != (ssize_t)sizeof(keys))
		dlog_daemon(AP_LOG_WARNING, "getrandom: %s; wrapping keys left zero",
			    strerror(errno));
	crycb_init(&g->crycb, g->cpu.msax3, keys, keys + CRYCB_DEA_LEN);
	fmt = crycb_format_for(g->cpu.msax3, s->hw.info.qci && s->hw.info.apxa && g->cpu.apxa);
	g->crycbd = ((CRYCB_FAKE_BASE + CRYCB_FAKE_STEP * (uint32_t)(g->id % CRYCB_FAKE_IDS)) &
		     CRYCB_ORIGIN_MASK) |
		    fmt;
}

static struct json_object *op_create(struct apemud *d, struct control_conn *conn,
				     struct json_object *req, struct control_fds *fds)
{
	char err[MSG_LEN] = "";
	struct jfield jf = {.name = "guest-create", .err = err, .errlen = sizeof(err)};
	struct gconn *gc = vmm_conn(conn);
	struct create_args a;
	struct guest *g;
	uint8_t *mem = NULL;
	size_t ndb, nmem;
	int e;

	if (!gc)
		return control_error(ENOMEM, "out of memory");
	if ((e = parse_create(&jf, req, &a)) < 0)
		return control_error(-e, "%s", err);
	if (gc->guest)
		return control_error(EINVAL,
				     "guest-create: this connection has guest %" PRIu64
				     " already (one guest per connection)",
				     gc->guest->id);
	ndb = a.doorbells ? 2 : 0;
	nmem = a.ram ? 2 : 1;
	if (fds->n < nmem + ndb || fds->n > nmem + 1 + ndb)
		return control_error(
		    EINVAL,
		    "guest-create: expected the memfd%s, optionally an eventfd for "
		    "interruptions%s, as SCM_RIGHTS, got %zu descriptors",
		    a.ram ? " of the ram and that of the rest" : "",
		    a.doorbells ? ", then the trap and data doorbells" : "", fds->n);
	for (size_t i = nmem; i < fds->n; i++)
		if (!vmm_is_eventfd(fds->fd[i]))
			return control_error(
			    EINVAL, "guest-create: descriptor %zu is not an eventfd", i + 1);
	if ((e = map_memory(&jf, fds->fd, &a, &mem)) < 0)
		return control_error(-e, "%s", err);
	g = calloc(1, sizeof(*g));
	if (!g) {
		munmap(mem, a.memory);
		return control_error(ENOMEM, "out of memory");
	}
	pthread_mutex_init(&g->insn_mu, NULL);
	g->gs = d->guests;
	g->cpu = a.cpu;
	g->mem = mem;
	g->mem_size = a.memory;
	g->ring = (struct apemu_ring *)(mem + a.ring);
	g->irq_fd = fds->n == nmem + 1 + ndb ? fds->fd[nmem] : -1;
	if (g->irq_fd >= 0)
		efd_set_nonblocking(g->irq_fd); /* the client sees it too (efd.h) */
	g->trap_fd = ndb ? fds->fd[fds->n - 2] : -1;
	g->data_fd = ndb ? fds->fd[fds->n - 1] : -1;
	g->dp = a.dp_size ? mem + a.dp_addr : NULL;
	g->dp_size = (uint32_t)a.dp_size;
	g->resp = __atomic_load_n(&g->ring->resp_seq, __ATOMIC_ACQUIRE);
	pthread_mutex_lock(&d->lock);
	g->id = d->guests->next_id++;
	setup_crycb(d->sys, g);
	g->next = d->guests->list;
	d->guests->list = g;
	pthread_mutex_unlock(&d->lock);
	if ((e = trap_add(d->guests->trap, g)) < 0) {
		pthread_mutex_lock(&d->lock);
		d->guests->list = g->next;
		pthread_mutex_unlock(&d->lock);
		munmap(mem, a.memory);
		pthread_mutex_destroy(&g->insn_mu);
		free(g);
		return control_error(-e, "guest-create: cannot serve the guest: %s", strerror(-e));
	}
	for (size_t i = nmem; i < fds->n; i++)
		fds->fd[i] = -1; /* kept as irq_fd, trap_fd, data_fd */
	gc->guest = g;
	dlog_daemon(AP_LOG_INFO,
		    "guest %" PRIu64 " created for pid %d (memory %" PRIu64 ", crycbd 0x%08x)",
		    g->id, (int)conn->pid, g->mem_size, g->crycbd);
	{
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "ok", json_object_new_boolean(1));
		json_object_object_add(o, "guest", json_object_new_uint64(g->id));
		json_object_object_add(o, "crycbd", crycbd_json(g->crycbd));
		json_object_object_add(o, "format", json_object_new_int(format_number(g->crycbd)));
		return o;
	}
}

/* ---- crycb ---- */

static struct json_object *op_crycb(struct apemud *d, struct control_conn *conn,
				    struct json_object *req)
{
	static const char *const known[] = {"op", "tag", NULL};
	char err[MSG_LEN] = "", hex[VMM_CRYCB_HEX_LEN];
	struct jfield jf = {.name = "crycb", .err = err, .errlen = sizeof(err)};
	struct gconn *gc = conn->data;
	struct json_object *o;
	uint32_t crycbd;

	if (jfield_check_known(&jf, req, NULL, known) < 0)
		return control_error(EINVAL, "%s", err);
	if (!gc || !gc->guest)
		return control_error(EINVAL,
				     "crycb: no guest on this connection (guest-create first)");
	pthread_mutex_lock(&d->lock);
	hex_of(gc->guest->crycb.b, CRYCB_SIZE, hex);
	crycbd = gc->guest->crycbd;
	pthread_mutex_unlock(&d->lock);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "crycbd", crycbd_json(crycbd));
	json_object_object_add(o, "format", json_object_new_int(format_number(crycbd)));
	json_object_object_add(o, "bytes", json_object_new_string(hex));
	return o;
}

/* ---- the entry points ---- */

static const char *const guest_ops[] = {"guest-create", "mdev-open", "mdev-release",
					"vfio-ioctl",	"crycb",     NULL};

bool vmm_handles(const char *op)
{
	for (const char *const *p = guest_ops; *p; p++)
		if (!strcmp(*p, op))
			return true;
	return false;
}

struct json_object *vmm_request(struct apemud *d, struct control_conn *conn, const char *op,
				struct json_object *req, struct control_fds *fds)
{
	if (!strcmp(op, "guest-create"))
		return op_create(d, conn, req, fds);
	if (!strcmp(op, "mdev-open"))
		return vfio_op_open(d, conn, req);
	if (!strcmp(op, "mdev-release"))
		return vfio_op_release(d, conn, req);
	if (!strcmp(op, "vfio-ioctl"))
		return vfio_op_ioctl(d, conn, req, fds);
	return op_crycb(d, conn, req);
}

void vmm_disconnect(struct apemud *d, struct control_conn *conn)
{
	struct gconn *gc = conn->data;
	struct guest *g;

	if (!gc)
		return;
	g = gc->guest;
	if (g)
		trap_remove(d->guests->trap, g);
	pthread_mutex_lock(&d->lock);
	vfio_release_all(d->guests, gc);
	if (g) {
		struct guest **pp = &d->guests->list;

		/* no adapter serves its rings or writes its notification byte any more */
		engine_forget(d->guests->engine, g);
		while (*pp && *pp != g)
			pp = &(*pp)->next;
		if (*pp)
			*pp = g->next;
	}
	apemud_audit(d);
	pthread_mutex_unlock(&d->lock);
	if (g) {
		dlog_daemon(AP_LOG_INFO, "guest %" PRIu64 " of pid %d gone", g->id, (int)conn->pid);
		dp_free(g);
		munmap(g->mem, g->mem_size);
		if (g->irq_fd >= 0)
			close(g->irq_fd);
		if (g->trap_fd >= 0)
			close(g->trap_fd);
		if (g->data_fd >= 0)
			close(g->data_fd);
		pthread_mutex_destroy(&g->insn_mu);
		free(g);
	}
	free(gc);
	conn->data = NULL;
}

void vmm_remove_requested(struct apemud *d, struct ap_mdev *m)
{
	struct guest *g = vmm_find_guest(d->guests, m->guest);
	struct gopen *o = vfio_find_open(d->guests, m);

	if (g) {
		pthread_mutex_lock(&g->insn_mu);
		crycb_clear_masks(&g->crycb);
		dp_refresh(g);
		pthread_mutex_unlock(&g->insn_mu);
	}
	if (o) {
		signal_eventfd(o->irq_fd[GUEST_IRQ_REQ]);
		signal_eventfd(o->irq_fd[GUEST_IRQ_CFG]);
	}
}

void vmm_queue_gone(struct apemud *d, unsigned int apqn)
{
	struct guest *g;

	if (!d->guests)
		return;
	/* the queue leaves its ring: one laid out later has the adapter's depth then */
	g = (struct guest *)engine_unbind(d->guests->engine, apqn, NULL);
	if (g) {
		pthread_mutex_lock(&g->insn_mu);
		dp_forget(g, apqn);
		pthread_mutex_unlock(&g->insn_mu);
	}
}

bool vmm_crycb_hex(struct apemud *d, uint64_t id, char hex[VMM_CRYCB_HEX_LEN])
{
	struct guest *g = d->guests ? vmm_find_guest(d->guests, id) : NULL;

	if (!g)
		return false;
	hex_of(g->crycb.b, CRYCB_SIZE, hex);
	return true;
}
