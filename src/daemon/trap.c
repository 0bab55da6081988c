/*
 * trap - the machine side of the instructions a guest's CPU cannot
 * interpret itself: PQAP (TAPQ, RAPQ, ZAPQ, AQIC, QCI), and every NQAP or
 * DQAP its queue rings do not take (no live ring, a nested guest, ...).
 * They travel through each guest's struct apemu_ring
 * (include/apemu/guest-abi.h); ONE thread serves every guest, sleeping in
 * epoll_wait on their trap doorbells (eventfds, edge-triggered), so
 * apemud's thread count does not grow with its guests. A guest without a
 * doorbell (a poller) is looked at every RING_HOT_WAIT_NS while it is busy
 * and every RING_IDLE_WAIT_NS otherwise; every guest is looked at that
 * often too, so a lost doorbell write only delays.
 *
 * Each instruction runs with the core's interpreter against the guest's
 * CRYCB (or, for a nested guest, the shadow CRYCB vSIE builds), the
 * machine's published view and the queue's ring (dp.c, the engine); the
 * adapters' threads (src/engine) execute what NQAP put on a ring
 * (docs/guest-protocol.md). No configuration lock: the guest's own insn_mu
 * and the one queue's lock.
 *
 * Nothing in guest memory is trusted: a request is copied out of the ring
 * once, before anything looks at it, and every operand address is checked
 * against the size of the mapping.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dlog.h"
#include "gcopy.h"
#include "vmm.h"
#include "vmm_int.h"
#include "vsie.h"

#define RING_FLAGS (APEMU_RING_PROBLEM_STATE | APEMU_RING_NESTED)
/*
 * Pollers (and doorbell guests whose write got lost) are looked at every
 * RING_HOT_WAIT_NS while they are busy (an instruction within RING_HOT_NS),
 * and every RING_IDLE_WAIT_NS otherwise.
 */
#define RING_HOT_NS	  100000000L /* 100 ms */
#define RING_HOT_WAIT_MS  1
#define RING_IDLE_WAIT_MS 100
#define EPOLL_BATCH	  64
#define STOP_DATA	  UINT64_MAX

struct trap {
	struct guests *gs;
	pthread_t thread;
	int epfd;
	int stop_fd;
	bool stop; /* under mu */
	/* the guests: slot i holds guest[i] of generation gen[i]; an epoll
	 * event carries slot | gen << 32, so a stale one is recognised */
	pthread_mutex_t mu;
	struct guest **guest;
	uint32_t *gen;
	size_t n, cap;
	size_t pollers; /* guests without a doorbell */
};

/* Everything the instruction's callbacks need. */
struct exec {
	struct guest *g;
	int apqn; /* the queue the instruction locked, or -1 */
	bool submitted;
};

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *timeout)
{
	return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/*
 * The instruction reached apqn (it is in the guest's CRYCB and exists):
 * its ring, locked for the rest of the instruction.
 */
static struct qring_host *env_queue(void *ctx, unsigned int apqn, bool create)
{
	struct exec *x = ctx;
	struct qring_host *h = dp_queue(x->g, apqn, create);

	if (h)
		x->apqn = (int)apqn;
	return h;
}

/* NQAP put a request on the ring: its adapter takes it from here. */
static void env_submitted(void *ctx, unsigned int apqn)
{
	struct exec *x = ctx;

	(void)apqn;
	x->submitted = true;
}

/* RAPQ/ZAPQ, of a queue with a ring (locked) or without: an armed "reset
 * in progress" fault starts with it either way. */
static void env_reset(void *ctx, unsigned int apqn, struct qring_host *q)
{
	struct exec *x = ctx;

	if (q)
		engine_queue_reset(x->g->gs->engine, q);
	else
		engine_reset(x->g->gs->engine, apqn);
}

static uint8_t env_fault(void *ctx, unsigned int apqn)
{
	struct exec *x = ctx;

	return engine_fault_take(x->g->gs->engine, apqn);
}

static void queue_done(struct exec *x)
{
	struct engine *e = x->g->gs->engine;

	if (x->apqn < 0)
		return;
	engine_unlock(e, (unsigned int)x->apqn);
	if (x->submitted)
		engine_kick(e, (unsigned int)x->apqn);
	x->apqn = -1;
}

/* ---- nested guests (vSIE) ---- */

/* Guest 1 real memory, for vsie_shadow_crycb. */
static int read_g1(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct guest *g = ctx;

	if (addr > g->mem_size || len > g->mem_size - addr)
		return -EFAULT;
	gcopy(buf, g->mem + addr, len);
	return 0;
}

/*
 * Run the instruction in guest 2, whose SIE block fields guest 1 put at
 * scb: without SIE for guest 1 an operation exception; a block outside
 * memory an addressing exception; then KVM's shadowing, which may end in a
 * validity intercept (*ret_validity) or in a guest 2 without AP (operation
 * exception). Guest 2 runs with the shadow CRYCB (format 2); its AQIC has
 * no vfio_ap hook here (it would intercept to guest 1).
 */
static void run_nested(struct guest *g, struct ap_insn_env *env, const struct ap_insn *insn,
		       struct ap_regs *regs, uint64_t scb, struct ap_insn_result *res,
		       int *ret_validity)
{
	struct apemu_nested_scb o;
	struct vsie_g1 g1 = {
	    .crycb = &g->crycb,
	    .fmt = g->crycbd & CRYCB_FORMAT_MASK,
	    .apie = g->cpu.ap,
	    .msax3 = g->cpu.msax3,
	    .ecb3 = g->cpu.msax3 ? VSIE_ECB3_AES | VSIE_ECB3_DEA : 0,
	    .ecd = g->cpu.msax3 ? VSIE_ECD_ECC : 0,
	};
	struct vsie_scb so;
	struct vsie_shadow sh;
	struct ap_cpu_model cpu;

	if (!g->cpu.sie) {
		res->pgm = AP_PGM_OPERATION;
		return;
	}
	if (read_g1(g, scb, &o, sizeof(o)) < 0) {
		res->pgm = AP_PGM_ADDRESSING;
		return;
	}
	so = (struct vsie_scb){
	    .crycbd = o.crycbd,
	    .apie = (o.eca & APEMU_ECA_APIE) != 0,
	    .ecb3 = (uint8_t)o.ecb3,
	    .ecd = o.ecd,
	};
	*ret_validity = vsie_shadow_crycb(&g1, &so, read_g1, g, &sh);
	if (*ret_validity)
		return;
	if (!sh.crycbd) {
		res->pgm = AP_PGM_OPERATION;
		return;
	}
	cpu = g->cpu;
	cpu.ap = sh.apie;
	env->cpu = &cpu;
	env->crycb = &sh.crycb;
	env->crycbd = CRYCB_FORMAT2;
	env->aqic_hook = false;
	ap_insn_execute(env, insn, regs, res);
}

/* ---- serving the ring ---- */

static void serve(struct guest *g, uint32_t seq)
{
	struct apemud *d = g->gs->d;
	struct apemu_ring *ring = g->ring;
	struct apemu_ring rq;
	struct ap_insn_result res = {0};
	struct ap_regs regs;
	struct ap_insn insn;
	int validity = 0, error = 0;

	/* one copy of the request (after the acquire load of req_seq that
	 * brought us here): the guest may change the ring meanwhile */
	gcopy(&rq, ring, sizeof(rq));
	insn.opcode = rq.opcode <= 0xffff ? (uint16_t)rq.opcode : 0;
	insn.r1 = rq.r1;
	insn.r2 = rq.r2;
	memcpy(regs.gr, rq.gr, sizeof(regs.gr));
	if (rq.flags & ~RING_FLAGS) {
		error = -EINVAL;
	} else {
		struct exec x = {.g = g, .apqn = -1};
		struct ap_insn_env env = {
		    .hw = &hwview_reader,
		    .hw_ctx = &d->view,
		    .cpu = &g->cpu,
		    .problem_state = (rq.flags & APEMU_RING_PROBLEM_STATE) != 0,
		    .mem = g->mem,
		    .mem_size = g->mem_size,
		    .queue = env_queue,
		    .submitted = env_submitted,
		    .reset = env_reset,
		    .fault = env_fault,
		    .ctx = &x,
		};

		/* the guest's own lock, as a vCPU in SIE: no configuration lock */
		pthread_mutex_lock(&g->insn_mu);
		env.crycbd = g->crycbd;
		env.crycb = &g->crycb;
		env.aqic_hook = g->attached;
		if (rq.flags & APEMU_RING_NESTED)
			run_nested(g, &env, &insn, &regs, rq.scb, &res, &validity);
		else
			ap_insn_execute(&env, &insn, &regs, &res);
		queue_done(&x);
		pthread_mutex_unlock(&g->insn_mu);
	}
	/* the guest's memory: never plain stores (gcopy.h) */
	gcopy(ring->gr, regs.gr, sizeof(regs.gr));
	__atomic_store_n(&ring->pgm, res.pgm, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->cc, res.pgm ? 0 : res.cc, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->validity, validity, __ATOMIC_RELAXED);
	__atomic_store_n(&ring->error, error, __ATOMIC_RELAXED);
	__atomic_store_n(&g->resp, seq, __ATOMIC_RELEASE);
	__atomic_store_n(&ring->resp_seq, seq, __ATOMIC_SEQ_CST);
	/* a guest that says it does not wait on the futex needs no wake-up */
	if (__atomic_load_n(&ring->guest_waiting, __ATOMIC_SEQ_CST) != APEMU_GUEST_RUNNING)
		futex(&ring->resp_seq, FUTEX_WAKE, INT_MAX, NULL);
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Serve g's next instruction if there is one (table lock held). */
static void look(struct guest *g)
{
	/* sequentially consistent: pairs with the guest's store of req_seq
	 * and load of daemon_polling (guest-abi.h) */
	uint32_t seq = __atomic_load_n(&g->ring->req_seq, __ATOMIC_SEQ_CST);

	if (seq == g->resp)
		return;
	serve(g, seq);
	g->last_ns = now_ns();
}

/* How long to sleep: pollers that were busy lately are looked at soon. */
static int wait_ms(struct trap *t)
{
	long now = now_ns();

	for (size_t i = 0; t->pollers && i < t->n; i++) {
		struct guest *g = t->guest[i];

		if (g && g->trap_fd < 0 && now - g->last_ns < RING_HOT_NS)
			return RING_HOT_WAIT_MS;
	}
	return RING_IDLE_WAIT_MS;
}

static void *trap_main(void *arg)
{
	struct trap *t = arg;
	struct epoll_event ev[EPOLL_BATCH];
	int timeout = RING_IDLE_WAIT_MS;
	long swept = now_ns();

	for (;;) {
		int n = epoll_wait(t->epfd, ev, EPOLL_BATCH, timeout);
		long now;

		pthread_mutex_lock(&t->mu);
		if (t->stop) {
			pthread_mutex_unlock(&t->mu);
			break;
		}
		for (int i = 0; i < n; i++) {
			size_t slot = (size_t)(ev[i].data.u64 & 0xffffffffu);
			uint64_t v;

			if (ev[i].data.u64 == STOP_DATA && read(t->stop_fd, &v, sizeof(v)) < 0) {
				/* drained already */
			}
			if (ev[i].data.u64 != STOP_DATA && slot < t->n && t->guest[slot] &&
			    t->gen[slot] == (uint32_t)(ev[i].data.u64 >> 32))
				look(t->guest[slot]);
		}
		/* when the sweep is due, however busy the doorbells keep us:
		 * pollers, and anyone whose doorbell write got lost */
		now = now_ns();
		if (n <= 0 || now - swept >= (long)timeout * 1000000L) {
			swept = now;
			for (size_t i = 0; i < t->n; i++)
				if (t->guest[i])
					look(t->guest[i]);
		}
		timeout = wait_ms(t);
		pthread_mutex_unlock(&t->mu);
	}
	return NULL;
}

int trap_new(struct guests *gs, struct trap **ret)
{
	struct trap *t = calloc(1, sizeof(*t));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = STOP_DATA};
	int r;

	if (!t)
		return -ENOMEM;
	t->gs = gs;
	pthread_mutex_init(&t->mu, NULL);
	t->epfd = epoll_create1(EPOLL_CLOEXEC);
	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->epfd < 0 || t->stop_fd < 0 ||
	    epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->stop_fd, &ev) < 0) {
		r = -errno;
		goto fail;
	}
	r = -pthread_create(&t->thread, NULL, trap_main, t);
	if (r)
		goto fail;
	pthread_setname_np(t->thread, "apemud-trap");
	*ret = t;
	return 0;
fail:
	if (t->epfd >= 0)
		close(t->epfd);
	if (t->stop_fd >= 0)
		close(t->stop_fd);
	pthread_mutex_destroy(&t->mu);
	free(t);
	return r;
}

void trap_free(struct trap *t)
{
	static const uint64_t one = 1;

	if (!t)
		return;
	pthread_mutex_lock(&t->mu);
	t->stop = true;
	pthread_mutex_unlock(&t->mu);
	if (write(t->stop_fd, &one, sizeof(one)) < 0) {
		/* set already: the thread wakes */
	}
	pthread_join(t->thread, NULL);
	close(t->epfd);
	close(t->stop_fd);
	pthread_mutex_destroy(&t->mu);
	free(t->guest);
	free(t->gen);
	free(t);
}

int trap_add(struct trap *t, struct guest *g)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET};
	size_t slot;
	int r = 0;

	pthread_mutex_lock(&t->mu);
	for (slot = 0; slot < t->n && t->guest[slot]; slot++)
		;
	if (slot == t->n && t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		struct guest **gp = realloc(t->guest, cap * sizeof(*gp));
		uint32_t *genp = gp ? realloc(t->gen, cap * sizeof(*genp)) : NULL;

		if (gp)
			t->guest = gp;
		if (!gp || !genp) {
			r = -ENOMEM;
			goto out;
		}
		t->gen = genp;
		memset(t->gen + t->cap, 0, (cap - t->cap) * sizeof(*genp));
		t->cap = cap;
	}
	if (slot == t->n)
		t->n++;
	t->gen[slot]++;
	ev.data.u64 = (uint64_t)t->gen[slot] << 32 | slot;
	if (g->trap_fd >= 0 && epoll_ctl(t->epfd, EPOLL_CTL_ADD, g->trap_fd, &ev) < 0) {
		r = -errno;
		if (slot == t->n - 1)
			t->n--;
		goto out;
	}
	t->guest[slot] = g;
	g->trap_slot = slot;
	g->last_ns = now_ns();
	if (g->trap_fd < 0)
		t->pollers++;
out:
	pthread_mutex_unlock(&t->mu);
	/* a poller wants the shorter timeout at once */
	if (!r && g->trap_fd < 0) {
		static const uint64_t one = 1;

		if (write(t->stop_fd, &one, sizeof(one)) < 0) {
			/* set already */
		}
	}
	return r;
}

void trap_remove(struct trap *t, struct guest *g)
{
	pthread_mutex_lock(&t->mu);
	if (g->trap_slot < t->n && t->guest[g->trap_slot] == g) {
		if (g->trap_fd >= 0)
			epoll_ctl(t->epfd, EPOLL_CTL_DEL, g->trap_fd, NULL);
		else
			t->pollers--;
		t->guest[g->trap_slot] = NULL;
		t->gen[g->trap_slot]++;
	}
	pthread_mutex_unlock(&t->mu);
}
