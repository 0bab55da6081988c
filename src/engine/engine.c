/*
 * engine - adapter worker threads and the queues they serve (engine.h).
 *
 * A queue is on its worker's run list while `scheduled` is set: from the
 * NQAP that found it idle until a worker finds it without requests. Lock
 * order: a queue's mutex before its worker's mutex; a worker never holds
 * its own mutex while it takes a queue's.
 */
#include "engine.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "insn.h"
#include "type50.h"

/* Every adapter apemu models (CEX4 and later) takes keys up to 4096 bits. */
#define ENG_MAX_MODULUS_BYTES 512
#define NO_WORKER	      0xffu
#define NIB_PENDING	      0xffu
/*
 * A worker that ran out of work looks for more for this long before it
 * sleeps, yielding the CPU between looks, so that a guest that polls for
 * its reply and sends the next request at once finds the adapter awake;
 * but only while a CPU is left over (engine_spin_ok): on a machine whose
 * CPUs all compute, spinning would take time from the computing.
 */
#define WORKER_SPIN_NS 50000L

struct worker {
	struct engine *e;
	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct eng_queue *head, *tail; /* run list */
	bool stop;
};

struct eng_queue {
	pthread_mutex_t mu;
	struct engine *e;
	unsigned int apqn;
	struct apq q;
	bool scheduled;	       /* on a run list, or being worked on */
	bool executing;	       /* a worker computes the oldest request... */
	uint64_t exec_gen;     /* ...unless a reset (apq.gen) discarded it since */
	struct eng_queue *run; /* next on the run list */
	struct eng_owner owner;
};

struct engine {
	const struct ap_view *view;
	struct ap_queue_dev *counters;
	unsigned int nworkers;
	struct worker *workers;
	unsigned int next_worker; /* atomic: round robin of adapters to workers */
	unsigned int busy;	  /* atomic: workers computing a request now */
	unsigned int cpus;
	uint8_t wmap[AP_DEVICES]; /* atomic: adapter -> worker, NO_WORKER until first use */
	struct eng_queue *queues[AP_APQNS]; /* atomic pointers, created on first use */
};

/* ---- counters ---- */

static void publish(struct eng_queue *eq)
{
	struct ap_queue_dev *c;
	uint32_t waiting, pending;
	bool ex;

	if (!eq->e->counters)
		return;
	c = &eq->e->counters[eq->apqn];
	ex = eq->executing && eq->exec_gen == eq->q.gen;
	waiting = eq->q.nreq - (ex ? 1u : 0u);
	pending = eq->q.nrep + (ex ? 1u : 0u);
	__atomic_store_n(&c->requestq_count, waiting, __ATOMIC_RELAXED);
	__atomic_store_n(&c->pendingq_count, pending, __ATOMIC_RELAXED);
	__atomic_store_n(&c->load, eq->q.nreq, __ATOMIC_RELAXED);
}

static void count_completed(struct eng_queue *eq)
{
	if (eq->e->counters)
		__atomic_fetch_add(&eq->e->counters[eq->apqn].request_count, 1, __ATOMIC_RELAXED);
}

/* ---- queues ---- */

struct eng_queue *engine_queue(struct engine *e, unsigned int apqn, unsigned int capacity)
{
	struct eng_queue *eq, *old = NULL;

	if (apqn >= AP_APQNS)
		return NULL;
	eq = __atomic_load_n(&e->queues[apqn], __ATOMIC_ACQUIRE);
	if (eq)
		return eq;
	eq = calloc(1, sizeof(*eq));
	if (!eq)
		return NULL;
	pthread_mutex_init(&eq->mu, NULL);
	eq->e = e;
	eq->apqn = apqn;
	eq->owner.irq_fd = -1;
	apq_init(&eq->q, capacity);
	if (__atomic_compare_exchange_n(&e->queues[apqn], &old, eq, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return eq;
	/* another thread created it first */
	pthread_mutex_destroy(&eq->mu);
	free(eq);
	return old;
}

void eng_queue_lock(struct eng_queue *eq)
{
	pthread_mutex_lock(&eq->mu);
}

void eng_queue_unlock(struct eng_queue *eq)
{
	publish(eq);
	pthread_mutex_unlock(&eq->mu);
}

struct apq *eng_queue_apq(struct eng_queue *eq)
{
	return &eq->q;
}

void eng_queue_set_owner(struct eng_queue *eq, const struct eng_owner *owner)
{
	if (owner)
		eq->owner = *owner;
	else
		eq->owner = (struct eng_owner){.irq_fd = -1};
}

const void *eng_queue_owner(const struct eng_queue *eq)
{
	return eq->owner.id;
}

/* The worker of the queue's adapter, chosen round robin on first use. */
static struct worker *worker_of(struct engine *e, unsigned int apqn)
{
	unsigned int apid = AP_APQN_APID(apqn);
	uint8_t w = __atomic_load_n(&e->wmap[apid], __ATOMIC_ACQUIRE);

	if (w == NO_WORKER) {
		uint8_t mine = (uint8_t)(__atomic_fetch_add(&e->next_worker, 1, __ATOMIC_RELAXED) %
					 e->nworkers);

		w = NO_WORKER;
		if (__atomic_compare_exchange_n(&e->wmap[apid], &w, mine, false, __ATOMIC_ACQ_REL,
						__ATOMIC_ACQUIRE))
			w = mine;
	}
	return &e->workers[w];
}

/* Put the queue at the back of its worker's run list (queue lock held). */
static void run_append(struct eng_queue *eq)
{
	struct worker *w = worker_of(eq->e, eq->apqn);

	pthread_mutex_lock(&w->mu);
	eq->run = NULL;
	if (w->tail)
		w->tail->run = eq;
	else
		__atomic_store_n(&w->head, eq, __ATOMIC_RELEASE);
	w->tail = eq;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
}

void eng_queue_submit(struct eng_queue *eq)
{
	if (eq->scheduled)
		return;
	eq->scheduled = true;
	run_append(eq);
}

/* ---- the workers ---- */

/*
 * An adapter interruption for the guest that enabled it (queue lock held):
 * the notification byte becomes 0xff, and when it was not already set the
 * guest's eventfd is signalled. A byte still set means the guest has not
 * looked since the last interruption, which therefore still stands (one
 * pending interruption, as on the machine).
 */
static void notify(struct eng_queue *eq)
{
	const struct eng_owner *o = &eq->owner;
	static const uint64_t one = 1;

	if (!eq->q.irq || !o->id)
		return;
	if (o->mem && eq->q.nib < o->mem_size &&
	    __atomic_exchange_n(&o->mem[eq->q.nib], (uint8_t)NIB_PENDING, __ATOMIC_ACQ_REL) ==
		NIB_PENDING)
		return;
	if (o->irq_fd >= 0 && write(o->irq_fd, &one, sizeof(one)) < 0) {
		/* a full eventfd counter already tells the guest to look */
	}
}

static long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

bool engine_spin_ok(const struct engine *e)
{
	return __atomic_load_n(&e->busy, __ATOMIC_RELAXED) + 1 < e->cpus;
}

/* Work for w within WORKER_SPIN_NS? (without its lock; a hint only) */
static bool spin_for_work(struct worker *w)
{
	long end = mono_ns() + WORKER_SPIN_NS;

	do {
		if (!engine_spin_ok(w->e))
			return false;
		if (__atomic_load_n(&w->head, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&w->stop, __ATOMIC_ACQUIRE))
			return true;
		sched_yield();
	} while (mono_ns() < end);
	return false;
}

struct scratch {
	uint8_t req[AP_MSG_MAX];
	uint8_t reply[T50_REPLY_MAX];
	struct t50_ctx *ctx;
};

/* Execute the oldest request of eq, if it still has one. */
static void run_one(struct engine *e, struct eng_queue *eq, struct scratch *s)
{
	struct apq_msg *m;
	uint64_t gen;
	size_t len, n;

	pthread_mutex_lock(&eq->mu);
	m = apq_next_request(&eq->q);
	if (!m) {
		eq->scheduled = false;
		eng_queue_unlock(eq);
		return;
	}
	len = m->len;
	memcpy(s->req, m->data, len);
	gen = eq->q.gen;
	eq->executing = true;
	eq->exec_gen = gen;
	eng_queue_unlock(eq);

	__atomic_fetch_add(&e->busy, 1, __ATOMIC_RELAXED);
	n = t50_execute(ap_view_adapter_mode(e->view, AP_APQN_APID(eq->apqn)),
			ENG_MAX_MODULUS_BYTES, s->req, len, s->reply, sizeof(s->reply), s->ctx);
	__atomic_fetch_sub(&e->busy, 1, __ATOMIC_RELAXED);

	pthread_mutex_lock(&eq->mu);
	eq->executing = false;
	/* a reset meanwhile discarded the request: the reply goes nowhere */
	if (eq->q.gen == gen && apq_complete(&eq->q, s->reply, n) == 0) {
		count_completed(eq);
		notify(eq);
	}
	if (apq_next_request(&eq->q))
		run_append(eq);
	else
		eq->scheduled = false;
	eng_queue_unlock(eq);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct scratch *s = malloc(sizeof(*s));

	if (s)
		s->ctx = t50_ctx_new(); /* NULL: requests get 0x10 machine-failure replies */
	for (;;) {
		struct eng_queue *eq;

		if (!__atomic_load_n(&w->head, __ATOMIC_ACQUIRE))
			spin_for_work(w);
		pthread_mutex_lock(&w->mu);
		while (!w->head && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (w->stop) {
			pthread_mutex_unlock(&w->mu);
			break;
		}
		eq = w->head;
		__atomic_store_n(&w->head, eq->run, __ATOMIC_RELEASE);
		if (!w->head)
			w->tail = NULL;
		eq->run = NULL;
		pthread_mutex_unlock(&w->mu);
		if (s) {
			run_one(w->e, eq, s);
		} else {
			/* no scratch memory: nothing can execute; try again later */
			usleep(1000);
			pthread_mutex_lock(&eq->mu);
			run_append(eq);
			pthread_mutex_unlock(&eq->mu);
		}
	}
	if (s) {
		t50_ctx_free(s->ctx);
		free(s);
	}
	return NULL;
}

/* ---- the configuration side ---- */

void engine_reset(struct engine *e, unsigned int apqn, unsigned int capacity)
{
	struct eng_queue *eq;

	if (apqn >= AP_APQNS)
		return;
	eq = __atomic_load_n(&e->queues[apqn], __ATOMIC_ACQUIRE);
	if (!eq)
		return;
	pthread_mutex_lock(&eq->mu);
	apq_reset(&eq->q);
	if (capacity)
		eq->q.capacity = capacity;
	eng_queue_set_owner(eq, NULL);
	eng_queue_unlock(eq);
}

void engine_forget(struct engine *e, const void *owner_id)
{
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++) {
		struct eng_queue *eq = __atomic_load_n(&e->queues[apqn], __ATOMIC_ACQUIRE);

		if (!eq)
			continue;
		pthread_mutex_lock(&eq->mu);
		if (eq->owner.id == owner_id)
			eng_queue_set_owner(eq, NULL);
		pthread_mutex_unlock(&eq->mu);
	}
}

/* ---- life cycle ---- */

static unsigned int online_cpus(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1u : (unsigned int)cpus;
}

static unsigned int default_workers(const struct ap_view *view)
{
	unsigned int cpus = online_cpus(), adapters = 0;

	for (unsigned int apid = 0; apid < AP_DEVICES; apid++)
		if (ap_view_adapter_rc(view, apid) != AP_RC_Q_NOT_AVAIL)
			adapters++;
	if (adapters > cpus)
		adapters = cpus;
	return adapters ? adapters : 1;
}

int engine_new(const struct ap_view *view, struct ap_queue_dev *counters, unsigned int nworkers,
	       struct engine **ret)
{
	struct engine *e = calloc(1, sizeof(*e));
	int r = 0;

	if (!e)
		return -ENOMEM;
	e->view = view;
	e->counters = counters;
	e->cpus = online_cpus();
	e->nworkers = nworkers ? nworkers : default_workers(view);
	if (e->nworkers > AP_DEVICES)
		e->nworkers = AP_DEVICES;
	memset(e->wmap, NO_WORKER, sizeof(e->wmap));
	e->workers = calloc(e->nworkers, sizeof(*e->workers));
	if (!e->workers) {
		free(e);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];

		w->e = e;
		pthread_mutex_init(&w->mu, NULL);
		pthread_cond_init(&w->cv, NULL);
	}
	for (unsigned int i = 0; i < e->nworkers && !r; i++) {
		r = -pthread_create(&e->workers[i].thread, NULL, worker_main, &e->workers[i]);
		if (!r) {
			e->workers[i].started = true;
			pthread_setname_np(e->workers[i].thread, "apemud-adapter");
		}
	}
	if (r) {
		engine_free(e);
		return r;
	}
	*ret = e;
	return 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (unsigned int i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];

		pthread_mutex_lock(&w->mu);
		__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
		pthread_cond_broadcast(&w->cv);
		pthread_mutex_unlock(&w->mu);
	}
	for (unsigned int i = 0; i < e->nworkers; i++) {
		struct worker *w = &e->workers[i];

		if (w->started)
			pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
	}
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++) {
		struct eng_queue *eq = e->queues[apqn];

		if (!eq)
			continue;
		apq_reset(&eq->q);
		pthread_mutex_destroy(&eq->mu);
		free(eq);
	}
	free(e->workers);
	free(e);
}

unsigned int engine_workers(const struct engine *e)
{
	return e->nworkers;
}
