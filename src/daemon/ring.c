/*
 * ring - the machine side of a guest's AP instructions: one thread per
 * guest serves its struct apemu_ring (include/apemu/guest-abi.h) and runs
 * each instruction with the core's interpreter against the guest's CRYCB
 * (or, for a nested guest, the shadow CRYCB vSIE builds), the machine's
 * published view and the engine's queues; the adapters' threads (src/engine)
 * execute what NQAP put on a queue (docs/guest-protocol.md). No
 * configuration lock: the guest's own insn_mu and the one queue's lock.
 *
 * Nothing in guest memory is trusted: a request is copied out of the ring
 * once, before anything looks at it, and every operand address is checked
 * against the size of the mapping.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sched.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "dlog.h"
#include "guest.h"
#include "guest_int.h"
#include "vsie.h"

#define RING_FLAGS (APEMU_RING_PROBLEM_STATE | APEMU_RING_NESTED)
/*
 * The guest wakes the thread (FUTEX_WAKE on req_seq); one that does not
 * (a poller) is still served: the thread's waits end after RING_HOT_WAIT_NS
 * while the guest is busy (a request within RING_HOT_NS) and after
 * RING_IDLE_WAIT_NS otherwise. The same bound applies to the stop flag.
 */
#define RING_HOT_NS	  100000000L /* 100 ms */
#define RING_HOT_WAIT_NS  1000000L   /* 1 ms */
#define RING_IDLE_WAIT_NS 100000000L /* 100 ms */
/*
 * After an instruction the thread looks for the next one for RING_SPIN_NS,
 * yielding the CPU between looks, before it sleeps: a guest's driver
 * usually follows an NQAP with a DQAP at once. Not while the adapters keep
 * every CPU busy: then the spinning would slow them down.
 */
#define RING_SPIN_NS 30000L

/* Everything the instruction's callbacks need. */
struct exec {
	struct guest *g;
	const struct ap_insn_env *env;
	struct eng_queue *eq; /* the queue the instruction reached, locked */
};

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *timeout)
{
	return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

/* ---- the queues: the engine's, one lock each ---- */

/*
 * The instruction reached apqn (it is in the guest's CRYCB and exists):
 * lock its queue for the rest of the instruction. A new queue holds the
 * depth + 1 messages TAPQ tells of.
 */
static struct apq *env_queue(void *ctx, unsigned int apqn)
{
	struct exec *x = ctx;
	unsigned int capacity;

	if (!x->eq) {
		capacity = (unsigned int)(ap_view_tapq(x->env->view, AP_APQN_APID(apqn)) & 0xf) + 1;
		x->eq = engine_queue(x->g->gs->engine, apqn, capacity);
		if (!x->eq)
			return NULL;
		eng_queue_lock(x->eq);
		/* an adapter that came back (hot plug) may have another depth */
		eng_queue_apq(x->eq)->capacity = capacity;
	}
	return eng_queue_apq(x->eq);
}

/* NQAP put a request on the queue: its adapter takes it from here. */
static void env_submitted(void *ctx, unsigned int apqn)
{
	struct exec *x = ctx;

	(void)apqn;
	eng_queue_submit(x->eq);
}

/* After the instruction: AQIC enabled by this guest notifies this guest. */
static void queue_done(struct exec *x)
{
	struct guest *g = x->g;

	if (!x->eq)
		return;
	if (eng_queue_apq(x->eq)->irq && eng_queue_owner(x->eq) != g) {
		struct eng_owner o = {
		    .id = g, .mem = g->mem, .mem_size = g->mem_size, .irq_fd = g->irq_fd};

		eng_queue_set_owner(x->eq, &o);
	}
	eng_queue_unlock(x->eq);
	x->eq = NULL;
}

/* ---- nested guests (vSIE) ---- */

/* Guest 1 real memory, for vsie_shadow_crycb. */
static int read_g1(void *ctx, uint64_t addr, void *buf, size_t len)
{
	const struct guest *g = ctx;

	if (addr > g->mem_size || len > g->mem_size - addr)
		return -EFAULT;
	memcpy(buf, g->mem + addr, len);
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
	memcpy(&rq, ring, sizeof(rq));
	insn.opcode = rq.opcode <= 0xffff ? (uint16_t)rq.opcode : 0;
	insn.r1 = rq.r1;
	insn.r2 = rq.r2;
	memcpy(regs.gr, rq.gr, sizeof(regs.gr));
	if (rq.flags & ~RING_FLAGS) {
		error = -EINVAL;
	} else {
		struct exec x = {.g = g};
		struct ap_insn_env env = {
		    .view = &d->view,
		    .cpu = &g->cpu,
		    .problem_state = (rq.flags & APEMU_RING_PROBLEM_STATE) != 0,
		    .mem = g->mem,
		    .mem_size = g->mem_size,
		    .queue = env_queue,
		    .submitted = env_submitted,
		    .ctx = &x,
		};

		x.env = &env;
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
	memcpy(ring->gr, regs.gr, sizeof(regs.gr));
	ring->pgm = res.pgm;
	ring->cc = res.pgm ? 0 : res.cc;
	ring->validity = validity;
	ring->error = error;
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

static void *ring_thread(void *arg)
{
	struct guest *g = arg;
	uint32_t *req = &g->ring->req_seq;
	uint8_t *polling_hint = &g->ring->daemon_polling;
	bool polling = false;
	long last = 0;

	while (!__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE)) {
		uint32_t resp = __atomic_load_n(&g->resp, __ATOMIC_RELAXED);
		/* sequentially consistent: pairs with the guest's store of req_seq and
		 * load of daemon_polling (guest-abi.h) */
		uint32_t seq = __atomic_load_n(req, __ATOMIC_SEQ_CST);
		struct timespec wait = {.tv_nsec = RING_IDLE_WAIT_NS};

		if (seq != resp) {
			/* ring_stop's own bump of req_seq is no request */
			if (__atomic_load_n(&g->stop, __ATOMIC_ACQUIRE))
				break;
			serve(g, seq);
			last = now_ns();
			continue;
		}
		if (now_ns() - last < RING_SPIN_NS && engine_spin_ok(g->gs->engine)) {
			if (!polling) {
				/* the guest may now skip its FUTEX_WAKE and spin */
				polling = true;
				__atomic_store_n(polling_hint, 1, __ATOMIC_SEQ_CST);
			} else {
				sched_yield();
			}
			continue;
		}
		if (polling) {
			/* say so before sleeping, then look once more */
			polling = false;
			__atomic_store_n(polling_hint, 0, __ATOMIC_SEQ_CST);
			continue;
		}
		if (now_ns() - last < RING_HOT_NS)
			wait.tv_nsec = RING_HOT_WAIT_NS;
		if (futex(req, FUTEX_WAIT, resp, &wait) < 0 && errno != EAGAIN && errno != EINTR &&
		    errno != ETIMEDOUT) {
			dlog_daemon(AP_LOG_ERR, "guest %" PRIu64 ": futex: %s", g->id,
				    strerror(errno));
			nanosleep(&wait, NULL);
		}
	}
	return NULL;
}

int ring_start(struct guest *g)
{
	int r = pthread_create(&g->thread, NULL, ring_thread, g);

	if (r)
		return -r;
	pthread_setname_np(g->thread, "apemud-ring");
	g->thread_running = true;
	return 0;
}

/* Set the flag, make req_seq differ from resp_seq so that a wait in progress returns, wake. */
void ring_stop(struct guest *g)
{
	if (!g->thread_running)
		return;
	__atomic_store_n(&g->stop, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&g->ring->req_seq, __atomic_load_n(&g->resp, __ATOMIC_ACQUIRE) + 1,
			 __ATOMIC_SEQ_CST);
	futex(&g->ring->req_seq, FUTEX_WAKE, INT_MAX, NULL);
	pthread_join(g->thread, NULL);
	g->thread_running = false;
}
