/*
 * guest - a guest of apemud: its memory (a sealed memfd), its ring, its
 * connection to the control socket, and the VFIO calls QEMU makes on the
 * vfio_ap mediated device (contract in include/apemu/guest.h).
 *
 * A trapped instruction: fill the ring's request, req_seq += 1, write the
 * trap doorbell unless apemud says it is polling; then FUTEX_WAIT (shared
 * futexes: apemud maps the same pages) on resp_seq until it equals
 * req_seq. Every 100 ms without an answer the connection is
 * checked: apemud gone means -ECONNRESET; after 30 s the request is
 * abandoned and the guest unusable. NQAP and DQAP run on the queue rings
 * in the data-plane area when they can (guest_dp.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ctlwire.h"
#include "guest_int.h"
#include "hexnum.h"
#include "vfio_abi.h"

#define POLL_NS	     100000000ll   /* then sleep on the futex, checking apemud meanwhile */
#define EXEC_TIMEOUT 30000000000ll /* give up on a request */
#define PAGE	     4096u

/* The message of a failed apemu_guest_new(), for apemu_guest_message(NULL). */
static _Thread_local char new_message[GUEST_MESSAGE_MAX];

/* ---- lifecycle ---- */

/* The library's pages at g->base: the ring, then the data-plane area from dp_off. */
static void lay_out(struct apemu_guest *g, size_t dp_off)
{
	g->ring = (struct apemu_ring *)(g->mem + g->base + APEMU_GUEST_RING_ADDR);
	g->ring->magic = APEMU_RING_MAGIC;
	g->ring->version = APEMU_RING_VERSION;
	g->ring->guest_waiting = APEMU_GUEST_RUNNING;
	if (dp_off) {
		g->dp_off = dp_off;
		g->dp_size = g->mem_size - dp_off;
		g->dp = (struct apemu_dp_area *)(g->mem + g->dp_off);
		g->dp->magic = APEMU_DP_MAGIC;
		g->dp->version = APEMU_DP_VERSION;
	}
}

/* A sealed memfd of size bytes, close-on-exec. */
static int new_memfd(size_t size, int *ret)
{
	int fd = memfd_create("apemu-guest", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -errno;
	/* apemud maps it too: it must never shrink under that mapping */
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = -errno;

		close(fd);
		return e;
	}
	*ret = fd;
	return 0;
}

static int make_memory(struct apemu_guest *g, size_t size)
{
	void *p;
	int r;

	if ((r = new_memfd(size, &g->memfd)) < 0)
		return r;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
	if (p == MAP_FAILED)
		return -errno;
	g->mem = p;
	g->mem_size = size;
	lay_out(g, size >= APEMU_GUEST_DP_MIN_MEMORY ? (size / 2) & ~(size_t)(PAGE - 1) : 0);
	return 0;
}

/*
 * The caller's memfd as [0, ram), the library's own pages (a memfd of
 * APEMU_GUEST_ADOPT_PAGES bytes) behind it, mapped end to end as apemud
 * maps them.
 */
static int adopt_memory(struct apemu_guest *g, int ramfd, size_t ram)
{
	size_t size = ram + APEMU_GUEST_ADOPT_PAGES;
	struct stat st;
	void *p;
	int r;

	if (fstat(ramfd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size < ram)
		return -EINVAL;
	if ((r = new_memfd(APEMU_GUEST_ADOPT_PAGES, &g->memfd)) < 0)
		return r;
	p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	g->mem = p;
	g->mem_size = size;
	if (mmap(p, ram, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ramfd, 0) == MAP_FAILED ||
	    mmap(g->mem + ram, APEMU_GUEST_ADOPT_PAGES, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, g->memfd, 0) == MAP_FAILED)
		return -errno;
	g->base = ram;
	g->ramfd = ramfd;
	lay_out(g, ram + APEMU_GUEST_USER_ADDR);
	return 0;
}

static struct json_object *cpu_json(const struct apemu_cpu *cpu)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ap", json_object_new_boolean(cpu->ap));
	json_object_object_add(o, "apqci", json_object_new_boolean(cpu->apqci));
	json_object_object_add(o, "apft", json_object_new_boolean(cpu->apft));
	json_object_object_add(o, "apqi", json_object_new_boolean(cpu->apqi));
	json_object_object_add(o, "msax3", json_object_new_boolean(cpu->msax3));
	json_object_object_add(o, "apxa", json_object_new_boolean(cpu->apxa));
	json_object_object_add(o, "sie", json_object_new_boolean(cpu->sie));
	return o;
}

static struct json_object *new_req(const char *op)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "op", json_object_new_string(op));
	return o;
}

/* A reply member as an unsigned number: a JSON integer or a string in C syntax. */
static int get_u64(struct json_object *reply, const char *name, uint64_t *ret)
{
	struct json_object *v;
	const char *s;
	char *end;

	if (!json_object_object_get_ex(reply, name, &v))
		return -EBADMSG;
	if (json_object_is_type(v, json_type_int)) {
		if (json_object_get_int64(v) < 0)
			return -EBADMSG;
		*ret = (uint64_t)json_object_get_int64(v);
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EBADMSG;
	s = json_object_get_string(v);
	errno = 0;
	*ret = strtoull(s, &end, 0);
	return !*s || *s == '-' || *end || errno ? -EBADMSG : 0;
}

static int get_u32(struct json_object *reply, const char *name, uint32_t *ret)
{
	uint64_t v;
	int r = get_u64(reply, name, &v);

	if (r < 0)
		return r;
	if (v > UINT32_MAX)
		return -EBADMSG;
	*ret = (uint32_t)v;
	return 0;
}

static int create(struct apemu_guest *g, const struct apemu_cpu *cpu)
{
	struct json_object *req = new_req("guest-create"), *reply = NULL;
	int fds[5], nfds = 0;
	uint32_t id, crycbd, format;
	int r;

	if (g->base)
		fds[nfds++] = g->ramfd;
	fds[nfds++] = g->memfd;
	fds[nfds++] = g->irqfd;
	fds[nfds++] = g->trapfd;
	fds[nfds++] = g->datafd;
	json_object_object_add(req, "cpu", cpu_json(cpu));
	json_object_object_add(req, "memory", json_object_new_int64((int64_t)g->mem_size));
	if (g->base)
		json_object_object_add(req, "ram", json_object_new_int64((int64_t)g->base));
	json_object_object_add(req, "ring",
			       json_object_new_int64((int64_t)(g->base + APEMU_GUEST_RING_ADDR)));
	json_object_object_add(req, "doorbells", json_object_new_boolean(1));
	if (g->dp) {
		struct json_object *dp = json_object_new_object();

		json_object_object_add(dp, "addr", json_object_new_int64((int64_t)g->dp_off));
		json_object_object_add(dp, "size", json_object_new_int64((int64_t)g->dp_size));
		json_object_object_add(req, "dataplane", dp);
	}
	r = guest_ctl_call(g, req, fds, (size_t)nfds, &reply);
	json_object_put(req);
	if (r < 0)
		return r;
	if (get_u32(reply, "guest", &id) < 0 || get_u32(reply, "crycbd", &crycbd) < 0 ||
	    get_u32(reply, "format", &format) < 0 || format > 2) {
		guest_set_message(g, "guest-create: unexpected reply %s",
				  json_object_to_json_string(reply));
		json_object_put(reply);
		return -EBADMSG;
	}
	json_object_put(reply);
	g->id = id;
	g->crycbd = crycbd;
	g->format = (int)format;
	return 0;
}

/* Eventfds, connection, guest-create: the rest of apemu_guest_new()/_adopt(). */
static int start(struct apemu_guest *g, const char *socket_path, const struct apemu_cpu *cpu)
{
	struct apemu_cpu def = apemu_cpu_default();
	int r;

	g->irqfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->trapfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	g->datafd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->irqfd < 0 || g->trapfd < 0 || g->datafd < 0) {
		r = -errno;
		guest_set_message(g, "eventfd: %s", strerror(-r));
		return r;
	}
	if (!socket_path)
		socket_path = APEMU_GUEST_DEFAULT_SOCKET;
	r = guest_ctl_connect(socket_path, &g->sock);
	if (r < 0) {
		guest_set_message(g, "cannot connect to %s: %s", socket_path,
				  r == -CTLWIRE_EFOREIGN ? "the process serving it is neither root "
							   "nor you: refusing to hand it the "
							   "guest's memory"
							 : strerror(-r));
		return r;
	}
	return create(g, cpu ? cpu : &def);
}

/*
 * The memory made (r 0) or not (r < 0, message recorded): start the guest
 * and hand it out, or keep its message for apemu_guest_message(NULL) and
 * free it.
 */
static int finish(struct apemu_guest *g, int r, const char *socket_path,
		  const struct apemu_cpu *cpu, struct apemu_guest **ret)
{
	if (r >= 0)
		r = start(g, socket_path, cpu);
	if (r < 0) {
		snprintf(new_message, sizeof(new_message), "%s", g->message);
		apemu_guest_free(g);
		return r;
	}
	*ret = g;
	return 0;
}

static struct apemu_guest *guest_alloc(void)
{
	struct apemu_guest *g = calloc(1, sizeof(*g));

	if (g)
		g->sock = g->memfd = g->ramfd = g->irqfd = g->trapfd = g->datafd = -1;
	return g;
}

APEMU_PUBLIC int apemu_guest_new(const char *socket_path, const struct apemu_cpu *cpu, size_t mem,
				 struct apemu_guest **ret)
{
	struct apemu_guest *g;
	int r;

	new_message[0] = '\0';
	if (!ret)
		return -EINVAL;
	if (mem == 0)
		mem = APEMU_GUEST_DEFAULT_MEMORY;
	if (mem < APEMU_GUEST_MIN_MEMORY || mem % PAGE || mem > (size_t)INT64_MAX) {
		snprintf(new_message, sizeof(new_message),
			 "guest memory of %zu bytes: expected a multiple of 4096, at least %u", mem,
			 APEMU_GUEST_MIN_MEMORY);
		return -EINVAL;
	}
	if (!(g = guest_alloc()))
		return -ENOMEM;
	r = make_memory(g, mem);
	if (r < 0)
		guest_set_message(g, "guest memory: %s", strerror(-r));
	return finish(g, r, socket_path, cpu, ret);
}

APEMU_PUBLIC int apemu_guest_adopt(const char *socket_path, const struct apemu_cpu *cpu, int memfd,
				   size_t ram, struct apemu_guest **ret)
{
	struct apemu_guest *g;
	int r;

	new_message[0] = '\0';
	if (!ret)
		return -EINVAL;
	if (memfd < 0 || ram == 0 || ram % PAGE || ram > (size_t)INT64_MAX / 2) {
		snprintf(new_message, sizeof(new_message),
			 "guest memory of %zu bytes: expected a memfd and a non-zero multiple of "
			 "4096",
			 ram);
		return -EINVAL;
	}
	if (!(g = guest_alloc()))
		return -ENOMEM;
	r = adopt_memory(g, memfd, ram);
	if (r < 0)
		guest_set_message(g, "guest memory of %zu bytes on descriptor %d: %s", ram, memfd,
				  strerror(-r));
	return finish(g, r, socket_path, cpu, ret);
}

APEMU_PUBLIC uint64_t apemu_guest_base(const struct apemu_guest *g)
{
	return g->base;
}

APEMU_PUBLIC void apemu_guest_free(struct apemu_guest *g)
{
	if (!g)
		return;
	/* the connection first: apemud releases the guest and stops using its memory */
	if (g->sock >= 0)
		close(g->sock);
	if (g->mem)
		munmap(g->mem, g->mem_size);
	if (g->memfd >= 0)
		close(g->memfd);
	if (g->irqfd >= 0)
		close(g->irqfd);
	if (g->trapfd >= 0)
		close(g->trapfd);
	if (g->datafd >= 0)
		close(g->datafd);
	free(g);
}

APEMU_PUBLIC unsigned int apemu_guest_id(const struct apemu_guest *g)
{
	return g->id;
}

APEMU_PUBLIC uint32_t apemu_guest_crycbd(const struct apemu_guest *g)
{
	return g->crycbd;
}

APEMU_PUBLIC int apemu_guest_format(const struct apemu_guest *g)
{
	return g->format;
}

void guest_set_message(struct apemu_guest *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->message, sizeof(g->message), fmt, ap);
	va_end(ap);
}

APEMU_PUBLIC const char *apemu_guest_message(const struct apemu_guest *g)
{
	return g ? g->message : new_message;
}

APEMU_PUBLIC void *apemu_guest_memory(struct apemu_guest *g, size_t *ret_size)
{
	if (ret_size)
		*ret_size = g->mem_size;
	return g->mem;
}

APEMU_PUBLIC int apemu_guest_irq_fd(const struct apemu_guest *g)
{
	return g->irqfd;
}

APEMU_PUBLIC void apemu_guest_set_problem_state(struct apemu_guest *g, bool on)
{
	g->problem_state = on;
}

APEMU_PUBLIC void apemu_guest_set_nested(struct apemu_guest *g, bool on, uint64_t scb)
{
	g->nested = on;
	g->scb = on ? scb : 0;
}

size_t guest_msg_area(const struct apemu_guest *g)
{
	size_t own = g->mem_size - g->base;
	size_t end = own < APEMU_GUEST_USER_ADDR ? own : APEMU_GUEST_USER_ADDR;

	return end - APEMU_GUEST_MSG_ADDR;
}

/* ---- the mediated device ---- */

/* A request without results: 0 or -errno. */
static int simple_call(struct apemu_guest *g, struct json_object *req)
{
	struct json_object *reply = NULL;
	int r = guest_ctl_call(g, req, NULL, 0, &reply);

	json_object_put(req);
	json_object_put(reply);
	return r;
}

APEMU_PUBLIC int apemu_guest_open(struct apemu_guest *g, const char *uuid)
{
	struct json_object *req, *reply = NULL, *v;
	int r;

	if (!uuid)
		return -EINVAL;
	req = new_req("mdev-open");
	json_object_object_add(req, "uuid", json_object_new_string(uuid));
	r = guest_ctl_call(g, req, NULL, 0, &reply);
	json_object_put(req);
	if (r < 0)
		return r;
	/* "attached": false only in the v8 ABI's silent cases */
	r = json_object_object_get_ex(reply, "attached", &v) &&
	    json_object_is_type(v, json_type_boolean) && !json_object_get_boolean(v);
	json_object_put(reply);
	return r;
}

APEMU_PUBLIC int apemu_guest_release_mdev(struct apemu_guest *g, const char *uuid)
{
	struct json_object *req = new_req("mdev-release");

	if (uuid)
		json_object_object_add(req, "uuid", json_object_new_string(uuid));
	return simple_call(g, req);
}

APEMU_PUBLIC int apemu_guest_release(struct apemu_guest *g)
{
	return apemu_guest_release_mdev(g, NULL);
}

static struct json_object *ioctl_req(const char *request, uint32_t argsz)
{
	struct json_object *req = new_req("vfio-ioctl");

	json_object_object_add(req, "request", json_object_new_string(request));
	if (argsz)
		json_object_object_add(req, "argsz", json_object_new_int64(argsz));
	return req;
}

APEMU_PUBLIC int apemu_guest_get_info(struct apemu_guest *g, struct apemu_vfio_info *ret)
{
	struct json_object *req = ioctl_req("GET_INFO", VFIO_DEVICE_INFO_MINSZ), *reply = NULL;
	struct apemu_vfio_info info;
	int r = guest_ctl_call(g, req, NULL, 0, &reply);

	json_object_put(req);
	if (r < 0)
		return r;
	if (get_u32(reply, "flags", &info.flags) < 0 ||
	    get_u32(reply, "num_regions", &info.num_regions) < 0 ||
	    get_u32(reply, "num_irqs", &info.num_irqs) < 0) {
		guest_set_message(g, "vfio-ioctl GET_INFO: unexpected reply %s",
				  json_object_to_json_string(reply));
		r = -EBADMSG;
	}
	json_object_put(reply);
	if (r == 0 && ret)
		*ret = info;
	return r;
}

APEMU_PUBLIC int apemu_guest_get_irq_info(struct apemu_guest *g, unsigned int index,
					  struct apemu_vfio_irq_info *ret)
{
	struct json_object *req = ioctl_req("GET_IRQ_INFO", VFIO_IRQ_INFO_MINSZ), *reply = NULL;
	struct apemu_vfio_irq_info info;
	int r;

	json_object_object_add(req, "index", json_object_new_int64(index));
	r = guest_ctl_call(g, req, NULL, 0, &reply);
	json_object_put(req);
	if (r < 0)
		return r;
	if (get_u32(reply, "index", &info.index) < 0 || get_u32(reply, "count", &info.count) < 0 ||
	    get_u32(reply, "flags", &info.flags) < 0) {
		guest_set_message(g, "vfio-ioctl GET_IRQ_INFO: unexpected reply %s",
				  json_object_to_json_string(reply));
		r = -EBADMSG;
	}
	json_object_put(reply);
	if (r == 0 && ret)
		*ret = info;
	return r;
}

APEMU_PUBLIC int apemu_guest_set_irq(struct apemu_guest *g, unsigned int index, int eventfd)
{
	struct json_object *req = ioctl_req("SET_IRQS", VFIO_IRQ_SET_ONE_FD_SZ), *reply = NULL;
	int r;

	if (eventfd < -1) {
		json_object_put(req);
		return -EINVAL;
	}
	json_object_object_add(
	    req, "flags",
	    json_object_new_int64(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER));
	json_object_object_add(req, "index", json_object_new_int64(index));
	json_object_object_add(req, "start", json_object_new_int64(0));
	json_object_object_add(req, "count", json_object_new_int64(1));
	if (eventfd < 0)
		json_object_object_add(req, "fd", json_object_new_int64(-1));
	r = guest_ctl_call(g, req, eventfd >= 0 ? &eventfd : NULL, eventfd >= 0 ? 1 : 0, &reply);
	json_object_put(req);
	json_object_put(reply);
	return r;
}

APEMU_PUBLIC int apemu_guest_reset(struct apemu_guest *g)
{
	return simple_call(g, ioctl_req("RESET", 0));
}

APEMU_PUBLIC int apemu_guest_crycb(struct apemu_guest *g, uint8_t out[256], uint32_t *ret_crycbd)
{
	struct json_object *req = new_req("crycb"), *reply = NULL, *bytes;
	uint8_t block[256];
	uint32_t crycbd = 0;
	const char *hex;
	int r = guest_ctl_call(g, req, NULL, 0, &reply);

	json_object_put(req);
	if (r < 0)
		return r;
	r = -EBADMSG;
	if (get_u32(reply, "crycbd", &crycbd) < 0 ||
	    !json_object_object_get_ex(reply, "bytes", &bytes) ||
	    !json_object_is_type(bytes, json_type_string) ||
	    json_object_get_string_len(bytes) != 2 * (int)sizeof(block))
		goto out;
	hex = json_object_get_string(bytes);
	if (hexnum_bytes(hex, 2 * sizeof(block), block) < 0)
		goto out;
	r = 0;
	memcpy(out, block, sizeof(block));
	if (ret_crycbd)
		*ret_crycbd = crycbd;
out:
	if (r < 0)
		guest_set_message(g, "crycb: unexpected reply %s",
				  json_object_to_json_string(reply));
	json_object_put(reply);
	return r;
}

/* ---- the ring ---- */

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Has apemud closed the connection (stopped, crashed)? */
static bool hung_up(const struct apemu_guest *g)
{
	struct pollfd pfd = {.fd = g->sock, .events = POLLRDHUP};

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Sleep on resp_seq until apemud answers, checking every POLL_NS that it is still there. */
static int wait_response(struct apemu_guest *g, uint32_t seq)
{
	struct apemu_ring *ring = g->ring;
	uint32_t *resp = &ring->resp_seq;
	long long start = now_ns();

	for (;;) {
		const struct timespec ts = {.tv_sec = 0, .tv_nsec = POLL_NS};
		uint32_t cur = __atomic_load_n(resp, __ATOMIC_ACQUIRE);
		long w;

		if (cur == seq)
			return 0;
		/* shared futex: apemud wakes it through its own mapping */
		__atomic_store_n(&ring->guest_waiting, (uint8_t)APEMU_GUEST_WAITING,
				 __ATOMIC_SEQ_CST);
		cur = __atomic_load_n(resp, __ATOMIC_SEQ_CST);
		w = cur == seq ? 0 : futex(resp, FUTEX_WAIT, cur, &ts);
		__atomic_store_n(&ring->guest_waiting, (uint8_t)APEMU_GUEST_RUNNING,
				 __ATOMIC_RELAXED);
		if (w == 0 || errno != ETIMEDOUT)
			continue;
		if (__atomic_load_n(resp, __ATOMIC_ACQUIRE) == seq)
			return 0;
		if (hung_up(g))
			return -ECONNRESET;
		if (now_ns() - start > EXEC_TIMEOUT)
			return -ETIMEDOUT;
	}
}

APEMU_PUBLIC int apemu_guest_exec(struct apemu_guest *g, uint16_t opcode, uint8_t r1, uint8_t r2,
				  uint32_t flags, uint64_t scb, uint64_t gr[16],
				  struct apemu_exec_result *res)
{
	struct apemu_ring *ring;
	uint32_t seq;
	int32_t err, pgm, validity, cc;
	bool polling;
	int r;

	if (!g || !gr || !res)
		return -EINVAL;
	g->message[0] = '\0';
	if (g->gone) {
		guest_set_message(g, "apemud closed the connection");
		return -ECONNRESET;
	}
	if (g->broken) {
		guest_set_message(g, "an earlier instruction got no answer");
		return -EIO;
	}
	ring = g->ring;
	ring->opcode = opcode;
	ring->flags = flags;
	ring->r1 = r1;
	ring->r2 = r2;
	ring->scb = scb;
	memcpy(ring->gr, gr, sizeof(ring->gr));
	ring->pgm = ring->cc = ring->validity = ring->error = 0;
	seq = g->seq + 1;
	__atomic_store_n(&ring->req_seq, seq, __ATOMIC_SEQ_CST);
	polling = __atomic_load_n(&ring->daemon_polling, __ATOMIC_SEQ_CST);
	if (!polling) {
		static const uint64_t one = 1;

		if (write(g->trapfd, &one, sizeof(one)) < 0) {
			/* a full counter: apemud has a wake-up pending already */
		}
	}
	r = wait_response(g, seq);
	if (r < 0) {
		if (r == -ECONNRESET)
			g->gone = true;
		else
			g->broken = true;
		guest_set_message(g, "no answer from apemud: %s", strerror(-r));
		return r;
	}
	g->seq = seq;
	err = ring->error;
	pgm = ring->pgm;
	cc = ring->cc;
	validity = ring->validity;
	if (err < 0) {
		guest_set_message(g, "apemud could not run the instruction: %s", strerror(-err));
		return err;
	}
	res->pgm = pgm;
	res->validity = validity;
	res->cc = pgm || validity ? 0 : cc;
	if (!pgm && !validity)
		memcpy(gr, ring->gr, sizeof(ring->gr));
	return 0;
}

int guest_exec(struct apemu_guest *g, uint16_t opcode, uint8_t r1, uint8_t r2, uint64_t gr[16],
	       struct apemu_exec_result *res)
{
	uint32_t flags =
	    (g->problem_state ? APEMU_RING_PROBLEM_STATE : 0) | (g->nested ? APEMU_RING_NESTED : 0);

	return apemu_guest_exec(g, opcode, r1, r2, flags, g->nested ? g->scb : 0, gr, res);
}
