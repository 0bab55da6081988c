/*
 * engine - one worker thread per adapter, consuming its queues' rings
 * (engine.h).
 *
 * A worker knows which of its adapter's domains have a binding from a
 * 256-bit map (`bound`, atomic words); it looks at each of them in turn,
 * taking the queue's mutex for the look. The binding (eq->h, eq->owner) is
 * read and written only under that mutex, so a queue revoked or forgotten
 * under it is never touched again by a worker; only the copied request
 * leaves the lock.
 */
#include "engine.h"

#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "efd.h"
#include "insn.h"
#include "type50.h"

/* Every adapter apemu models (CEX4 and later) takes keys up to 4096 bits. */
#define ENG_MAX_MODULUS_BYTES 512
#define NIB_PENDING	      0xffu
#define BOUND_WORDS	      (AP_DOMAINS / 64)
#define EPOLL_BATCH	      64

struct worker {
	struct engine *e;
	unsigned int apid;
	pthread_t thread;
	int epfd;
	int kick_fd;		     /* eventfd: engine_kick() and stop */
	uint32_t delay_ms;	     /* atomic: an injected delay before each reply */
	pthread_mutex_t db_mu;	     /* doorbell registrations; before a queue's mutex */
	uint32_t sleeping;	     /* atomic: in epoll_wait, or about to be */
	uint64_t bound[BOUND_WORDS]; /* atomic: domains with a binding */
	unsigned int next;	     /* the domain to look at first */
	bool stop;		     /* atomic */
};

struct eng_queue {
	pthread_mutex_t mu;
	unsigned int apqn;
	bool bound;
	bool live; /* the queue is in the owner's CRYCB: the worker takes requests */
	struct qring_host h;
	struct eng_owner owner;
	bool irq_due; /* an interruption whose eventfd signal waits (deliver()) */
	/* injected faults (engine_fault_*): the next fault_left instructions
	 * answer fault_rc; reset_armed arms rc 0x02 for that many after the
	 * next reset */
	uint8_t fault_rc;
	uint32_t fault_left;
	uint32_t reset_armed;
	/* what sysfs shows (engine_counters): published at every touch of
	 * the queue, request_count counted at every reply */
	struct ap_queue_counters cnt;
};

struct engine {
	const struct hwview *view;
	unsigned int nworkers;		    /* atomic */
	pthread_mutex_t workers_mu;	    /* starting workers */
	struct worker *workers[AP_DEVICES]; /* atomic pointers */
	struct eng_queue *queues[AP_APQNS]; /* atomic pointers, created on first use */
};

/* ---- queues ---- */

static struct eng_queue *queue_get(struct engine *e, unsigned int apqn, bool create)
{
	struct eng_queue *eq, *old = NULL;

	if (apqn >= AP_APQNS)
		return NULL;
	eq = __atomic_load_n(&e->queues[apqn], __ATOMIC_ACQUIRE);
	if (eq || !create)
		return eq;
	eq = calloc(1, sizeof(*eq));
	if (!eq)
		return NULL;
	pthread_mutex_init(&eq->mu, NULL);
	eq->apqn = apqn;
	eq->owner.irq_fd = eq->owner.doorbell_fd = -1;
	if (__atomic_compare_exchange_n(&e->queues[apqn], &old, eq, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return eq;
	/* another thread created it first */
	pthread_mutex_destroy(&eq->mu);
	free(eq);
	return old;
}

/* The ring's state into the queue's counters (lock held). */
static void publish(struct eng_queue *eq)
{
	unsigned int waiting = 0, pending = 0, incomplete = 0;

	if (eq->bound)
		qring_host_counts(&eq->h, &waiting, &pending, &incomplete);
	eq->cnt.requestq_count = waiting;
	eq->cnt.pendingq_count = pending;
	eq->cnt.load = incomplete;
}

/* What the ring tells its guest (lock held): a pending fault sends every
 * instruction to the trap path, where it is answered. */
static void show_state(struct eng_queue *eq)
{
	if (eq->bound)
		qring_host_set_state(&eq->h, eq->fault_left ? APEMU_QRING_FAULT
					     : eq->live	    ? APEMU_QRING_LIVE
							    : APEMU_QRING_REVOKED);
}

/* ---- workers ---- */

static void *worker_main(void *arg);

/* The worker of apid, started on first use. NULL without memory. */
static struct worker *worker_get(struct engine *e, unsigned int apid)
{
	struct worker *w = __atomic_load_n(&e->workers[apid], __ATOMIC_ACQUIRE);
	struct epoll_event ev = {.events = EPOLLIN};
	char name[16];

	if (w)
		return w;
	pthread_mutex_lock(&e->workers_mu);
	w = e->workers[apid];
	if (w)
		goto out;
	w = calloc(1, sizeof(*w));
	if (!w)
		goto out;
	w->e = e;
	w->apid = apid;
	pthread_mutex_init(&w->db_mu, NULL);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->epfd < 0 || w->kick_fd < 0 ||
	    epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->kick_fd, &ev) < 0 ||
	    pthread_create(&w->thread, NULL, worker_main, w)) {
		if (w->epfd >= 0)
			close(w->epfd);
		if (w->kick_fd >= 0)
			close(w->kick_fd);
		pthread_mutex_destroy(&w->db_mu);
		free(w);
		w = NULL;
		goto out;
	}
	snprintf(name, sizeof(name), "apemud-card%02x", apid); /* as in sysfs */
	pthread_setname_np(w->thread, name);
	__atomic_store_n(&e->workers[apid], w, __ATOMIC_RELEASE);
	__atomic_fetch_add(&e->nworkers, 1, __ATOMIC_RELAXED);
out:
	pthread_mutex_unlock(&e->workers_mu);
	return w;
}

static void wake(struct worker *w)
{
	static const uint64_t one = 1;

	if (__atomic_load_n(&w->sleeping, __ATOMIC_SEQ_CST) &&
	    write(w->kick_fd, &one, sizeof(one)) < 0) {
		/* a full counter wakes the worker all the same */
	}
}

static void bound_set(struct worker *w, unsigned int apqi, bool on)
{
	uint64_t bit = 1ull << (apqi % 64);

	if (on)
		__atomic_fetch_or(&w->bound[apqi / 64], bit, __ATOMIC_RELEASE);
	else
		__atomic_fetch_and(&w->bound[apqi / 64], ~bit, __ATOMIC_RELEASE);
}

/*
 * Signal a due interruption (queue lock held): at once with force (the
 * adapter is about to sleep), else only when the guest's queue holds at
 * most half its slots of requests the adapter can still take: a guest
 * whose adapter has that much work left loses nothing by hearing of its
 * replies a little later, and the adapter's thread is spared a cross-CPU
 * wake-up per reply, the price of which it would pay itself. The
 * notification byte, which a polling guest reads, is set at once anyway.
 */
static void deliver(struct eng_queue *eq, bool force)
{
	if (!eq->irq_due || !eq->h.irq)
		return;
	if (!force && qring_host_waiting(&eq->h) > eq->h.g.nslots / 2)
		return;
	eq->irq_due = false;
	/* never blocks, even on a client's full, blocking eventfd: the queue lock is held */
	efd_signal(eq->owner.irq_fd);
}

/*
 * An adapter interruption for the owner (queue lock held): the notification
 * byte becomes 0xff, and when it was not already set the owner's eventfd is
 * signalled. A byte still set means the guest has not looked since the last
 * interruption, which therefore still stands (one pending interruption per
 * byte, as on the machine).
 */
static void notify(struct eng_queue *eq)
{
	const struct eng_owner *o = &eq->owner;

	if (!eq->h.irq || !o->mem || eq->h.nib >= o->mem_size)
		return;
	if (__atomic_exchange_n(&o->mem[eq->h.nib], (uint8_t)NIB_PENDING, __ATOMIC_ACQ_REL) !=
	    NIB_PENDING)
		eq->irq_due = true;
	deliver(eq, false);
}

/* An injected reply delay (engine_fault_delay), slept without any lock. */
static void delay(struct engine *e, unsigned int apid)
{
	struct worker *w = __atomic_load_n(&e->workers[apid], __ATOMIC_ACQUIRE);
	uint32_t ms = w ? __atomic_load_n(&w->delay_ms, __ATOMIC_RELAXED) : 0;
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

	while (ms && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

struct scratch {
	uint8_t req[AP_MSG_MAX];
	uint8_t reply[T50_REPLY_MAX];
	struct t50_ctx *ctx;
};

/* Execute the oldest request of eq, if it has one. Returns whether it did. */
static bool run_one(struct engine *e, struct eng_queue *eq, struct scratch *s)
{
	uint64_t psmid, gen;
	size_t len, n;
	int r;

	pthread_mutex_lock(&eq->mu);
	r = eq->bound && eq->live
		? qring_host_take(&eq->h, s->req, sizeof(s->req), &psmid, &len, &gen)
		: -ENOENT;
	if (r == 0)
		publish(eq);
	pthread_mutex_unlock(&eq->mu);
	if (r < 0)
		return false;

	n = t50_execute(hwview_adapter_mode(e->view, AP_APQN_APID(eq->apqn)), ENG_MAX_MODULUS_BYTES,
			s->req, len, s->reply, sizeof(s->reply), s->ctx);
	delay(e, AP_APQN_APID(eq->apqn));

	pthread_mutex_lock(&eq->mu);
	/* a reset or revocation meanwhile discarded the request: the reply goes nowhere */
	if (eq->bound && qring_host_complete(&eq->h, gen, psmid, s->reply, n)) {
		eq->cnt.request_count++;
		notify(eq);
	}
	publish(eq);
	pthread_mutex_unlock(&eq->mu);
	return true;
}

/* One turn over the adapter's bound queues, one request each. */
static bool run_round(struct worker *w, struct scratch *s)
{
	struct engine *e = w->e;
	bool any = false;

	for (unsigned int i = 0; i < AP_DOMAINS; i++) {
		unsigned int apqi = (w->next + i) % AP_DOMAINS;
		struct eng_queue *eq;

		if (!(__atomic_load_n(&w->bound[apqi / 64], __ATOMIC_ACQUIRE) &
		      (1ull << (apqi % 64))))
			continue;
		eq = queue_get(e, AP_APQN(w->apid, apqi), false);
		if (eq && run_one(e, eq, s))
			any = true;
	}
	w->next = (w->next + 1) % AP_DOMAINS;
	return any;
}

/* Is a request waiting on a live binding? With need, also (un)set need_wakeup. */
static bool look(struct worker *w, int need)
{
	bool found = false;

	for (unsigned int wd = 0; wd < BOUND_WORDS; wd++) {
		uint64_t bits = __atomic_load_n(&w->bound[wd], __ATOMIC_ACQUIRE);

		while (bits) {
			unsigned int apqi = wd * 64 + (unsigned int)__builtin_ctzll(bits);
			struct eng_queue *eq = queue_get(w->e, AP_APQN(w->apid, apqi), false);

			bits &= bits - 1;
			if (!eq)
				continue;
			pthread_mutex_lock(&eq->mu);
			if (eq->bound) {
				if (need > 0)
					deliver(eq, true); /* nothing may wait for a sleeper */
				if (need >= 0)
					qring_host_set_need_wakeup(&eq->h, need);
				if (eq->live && qring_host_pending(&eq->h))
					found = true;
			}
			pthread_mutex_unlock(&eq->mu);
		}
	}
	return found;
}

/* Sleep until a guest's doorbell or a kick; need_wakeup tells the guests. */
static void sleep_until_work(struct worker *w)
{
	struct epoll_event ev[EPOLL_BATCH];
	uint64_t v;

	__atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
	/* set need_wakeup, then look once more: a request published before the
	 * guest could see the flag is found here */
	if (!look(w, 1) && !__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		int n = epoll_wait(w->epfd, ev, EPOLL_BATCH, -1);

		for (int i = 0; i < n; i++)
			if (ev[i].data.u64 == 0 && read(w->kick_fd, &v, sizeof(v)) < 0) {
				/* drained already */
			}
	}
	__atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
	look(w, 0);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct scratch *s = malloc(sizeof(*s));

	if (s)
		s->ctx = t50_ctx_new(); /* NULL: requests get 0x10 machine-failure replies */
	while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
		if (s && run_round(w, s))
			continue;
		sleep_until_work(w);
	}
	if (s) {
		t50_ctx_free(s->ctx);
		free(s);
	}
	return NULL;
}

/* ---- bindings ---- */

/* Is owner_id's doorbell still needed by another binding of this adapter? (db_mu held) */
static bool doorbell_used(struct engine *e, unsigned int apid, unsigned int except,
			  const void *owner_id)
{
	for (unsigned int apqi = 0; apqi < AP_DOMAINS; apqi++) {
		struct eng_queue *eq = queue_get(e, AP_APQN(apid, apqi), false);
		bool same;

		if (!eq || AP_APQN(apid, apqi) == except)
			continue;
		pthread_mutex_lock(&eq->mu);
		same = eq->bound && eq->owner.id == owner_id;
		pthread_mutex_unlock(&eq->mu);
		if (same)
			return true;
	}
	return false;
}

/* Drop eq's binding (lock held); returns its owner's doorbell, to deregister. */
static int drop(struct eng_queue *eq)
{
	int fd = eq->owner.doorbell_fd;

	qring_host_set_state(&eq->h, APEMU_QRING_REVOKED);
	qring_host_set_need_wakeup(&eq->h, false);
	eq->bound = eq->live = eq->irq_due = false;
	eq->owner = (struct eng_owner){.irq_fd = -1, .doorbell_fd = -1};
	publish(eq);
	return fd;
}

/* Deregister owner_id's doorbell from w unless another of its rings there needs it (db_mu held). */
static void doorbell_del(struct worker *w, unsigned int apqn, const void *owner_id, int fd)
{
	if (fd >= 0 && !doorbell_used(w->e, w->apid, apqn, owner_id))
		epoll_ctl(w->epfd, EPOLL_CTL_DEL, fd, NULL);
}

int engine_bind(struct engine *e, unsigned int apqn, const struct qring_host *h,
		const struct eng_owner *owner)
{
	struct eng_queue *eq = queue_get(e, apqn, true);
	struct worker *w = apqn < AP_APQNS ? worker_get(e, AP_APQN_APID(apqn)) : NULL;
	const void *old_id = NULL;
	int old_fd = -1;

	if (!eq || !w)
		return -ENOMEM;
	pthread_mutex_lock(&w->db_mu);
	if (owner->doorbell_fd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 1};

		if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, owner->doorbell_fd, &ev) < 0 &&
		    errno != EEXIST) {
			int r = -errno;

			pthread_mutex_unlock(&w->db_mu);
			return r;
		}
	}
	pthread_mutex_lock(&eq->mu);
	if (eq->bound && eq->owner.id != owner->id) {
		old_id = eq->owner.id;
		old_fd = drop(eq);
	}
	eq->h = *h;
	eq->owner = *owner;
	eq->bound = eq->live = true;
	show_state(eq);
	bound_set(w, AP_APQN_APQI(apqn), true);
	publish(eq);
	pthread_mutex_unlock(&eq->mu);
	if (old_id)
		doorbell_del(w, apqn, old_id, old_fd);
	pthread_mutex_unlock(&w->db_mu);
	wake(w);
	return 0;
}

const void *engine_unbind(struct engine *e, unsigned int apqn, const void *owner_id)
{
	struct eng_queue *eq = queue_get(e, apqn, false);
	struct worker *w;
	const void *had = NULL;
	int fd = -1;

	if (!eq)
		return NULL;
	/* a queue is bound only after its adapter's worker exists */
	w = __atomic_load_n(&e->workers[AP_APQN_APID(apqn)], __ATOMIC_ACQUIRE);
	if (!w)
		return NULL;
	pthread_mutex_lock(&w->db_mu);
	pthread_mutex_lock(&eq->mu);
	if (eq->bound && (!owner_id || eq->owner.id == owner_id)) {
		had = eq->owner.id;
		fd = drop(eq);
		bound_set(w, AP_APQN_APQI(apqn), false);
	}
	pthread_mutex_unlock(&eq->mu);
	if (had)
		doorbell_del(w, apqn, had, fd);
	pthread_mutex_unlock(&w->db_mu);
	return had;
}

void engine_forget(struct engine *e, const void *owner_id)
{
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++)
		if (__atomic_load_n(&e->queues[apqn], __ATOMIC_ACQUIRE))
			engine_unbind(e, apqn, owner_id);
}

void engine_set_state(struct engine *e, unsigned int apqn, const void *owner_id, uint32_t state)
{
	struct eng_queue *eq = queue_get(e, apqn, false);
	bool woke = false;

	if (!eq)
		return;
	pthread_mutex_lock(&eq->mu);
	if (eq->bound && eq->owner.id == owner_id) {
		woke = !eq->live && state == APEMU_QRING_LIVE;
		eq->live = state == APEMU_QRING_LIVE;
		show_state(eq);
	}
	pthread_mutex_unlock(&eq->mu);
	if (woke)
		engine_kick(e, apqn);
}

/* ---- the trap path ---- */

struct qring_host *engine_lock(struct engine *e, unsigned int apqn, const void *owner_id)
{
	struct eng_queue *eq = queue_get(e, apqn, false);

	if (!eq)
		return NULL;
	pthread_mutex_lock(&eq->mu);
	if (eq->bound && eq->owner.id == owner_id)
		return &eq->h;
	pthread_mutex_unlock(&eq->mu);
	return NULL;
}

void engine_unlock(struct engine *e, unsigned int apqn)
{
	struct eng_queue *eq = queue_get(e, apqn, false);

	publish(eq);
	pthread_mutex_unlock(&eq->mu);
}

void engine_kick(struct engine *e, unsigned int apqn)
{
	struct worker *w = apqn < AP_APQNS
			       ? __atomic_load_n(&e->workers[AP_APQN_APID(apqn)], __ATOMIC_ACQUIRE)
			       : NULL;

	if (w)
		wake(w);
}

/* ---- the configuration side ---- */

/* A reset with rc 0x02 armed: the next instructions see it in progress (lock held). */
static void engine_after_reset(struct eng_queue *eq)
{
	eq->irq_due = false; /* interruptions are off */
	if (!eq->reset_armed)
		return;
	eq->fault_rc = AP_RC_RESET_IN_PROGRESS;
	eq->fault_left = eq->reset_armed;
	eq->reset_armed = 0;
	show_state(eq);
}

void engine_queue_reset(struct engine *e, struct qring_host *h)
{
	struct eng_queue *eq = (struct eng_queue *)((uint8_t *)h - offsetof(struct eng_queue, h));

	(void)e;
	qring_host_reset(h);
	engine_after_reset(eq);
}

/* ---- faults ---- */

int engine_fault_rc(struct engine *e, unsigned int apqn, uint8_t rc, uint32_t count)
{
	struct eng_queue *eq = queue_get(e, apqn, true);

	if (!eq)
		return -ENOMEM;
	pthread_mutex_lock(&eq->mu);
	eq->fault_rc = rc;
	eq->fault_left = rc ? count : 0;
	show_state(eq);
	pthread_mutex_unlock(&eq->mu);
	return 0;
}

int engine_fault_reset_pending(struct engine *e, unsigned int apqn, uint32_t count)
{
	struct eng_queue *eq = queue_get(e, apqn, true);

	if (!eq)
		return -ENOMEM;
	pthread_mutex_lock(&eq->mu);
	eq->reset_armed = count;
	pthread_mutex_unlock(&eq->mu);
	return 0;
}

uint8_t engine_fault_take(struct engine *e, unsigned int apqn)
{
	struct eng_queue *eq = queue_get(e, apqn, false);
	uint8_t rc = 0;

	if (!eq)
		return 0;
	pthread_mutex_lock(&eq->mu);
	if (eq->fault_left) {
		rc = eq->fault_rc;
		if (--eq->fault_left == 0)
			show_state(eq);
	}
	pthread_mutex_unlock(&eq->mu);
	return rc;
}

int engine_fault_delay(struct engine *e, unsigned int apid, uint32_t ms)
{
	struct worker *w = apid < AP_DEVICES ? worker_get(e, apid) : NULL;

	if (!w)
		return -ENOMEM;
	__atomic_store_n(&w->delay_ms, ms, __ATOMIC_RELAXED);
	return 0;
}

bool engine_adapter_computing(struct engine *e, unsigned int apid)
{
	bool busy = false;

	for (unsigned int apqi = 0; apqi < AP_DOMAINS && !busy; apqi++) {
		struct eng_queue *eq = queue_get(e, AP_APQN(apid, apqi), false);

		if (!eq)
			continue;
		pthread_mutex_lock(&eq->mu);
		busy = eq->bound && eq->h.taken != eq->h.prod;
		pthread_mutex_unlock(&eq->mu);
	}
	return busy;
}

bool engine_audit(struct engine *e, unsigned int apqn, const void *owner_id, struct eng_audit *ret)
{
	struct eng_queue *eq = queue_get(e, apqn, false);
	bool mine = false;

	if (!eq)
		return false;
	pthread_mutex_lock(&eq->mu);
	if (eq->bound && eq->owner.id == owner_id) {
		mine = true;
		ret->live = eq->live;
		ret->taken = eq->h.taken;
		ret->prod = eq->h.prod;
		ret->base = eq->h.base;
		ret->irq = eq->h.irq;
	}
	pthread_mutex_unlock(&eq->mu);
	return mine;
}

void engine_reset(struct engine *e, unsigned int apqn)
{
	struct eng_queue *eq = queue_get(e, apqn, false);

	if (!eq)
		return;
	pthread_mutex_lock(&eq->mu);
	if (eq->bound)
		qring_host_reset(&eq->h);
	engine_after_reset(eq);
	publish(eq);
	pthread_mutex_unlock(&eq->mu);
}

/* ---- counters ---- */

void engine_counters(struct engine *e, unsigned int apqn, struct ap_queue_counters *ret)
{
	struct eng_queue *eq = queue_get(e, apqn, false);

	*ret = (struct ap_queue_counters){0};
	if (!eq)
		return;
	pthread_mutex_lock(&eq->mu);
	*ret = eq->cnt;
	pthread_mutex_unlock(&eq->mu);
}

void engine_reset_request_count(struct engine *e, unsigned int apqn)
{
	struct eng_queue *eq = queue_get(e, apqn, false);

	if (!eq)
		return;
	pthread_mutex_lock(&eq->mu);
	eq->cnt.request_count = 0;
	pthread_mutex_unlock(&eq->mu);
}

/* ---- life cycle ---- */

int engine_new(const struct hwview *view, struct engine **ret)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->view = view;
	pthread_mutex_init(&e->workers_mu, NULL);
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++)
		if (hwview_adapter_rc(view, apid) != AP_RC_Q_NOT_AVAIL && !worker_get(e, apid)) {
			engine_free(e);
			return -ENOMEM;
		}
	*ret = e;
	return 0;
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++) {
		struct worker *w = e->workers[apid];
		static const uint64_t one = 1;

		if (!w)
			continue;
		__atomic_store_n(&w->stop, true, __ATOMIC_RELEASE);
		if (write(w->kick_fd, &one, sizeof(one)) < 0) {
			/* the counter is set already: the worker wakes */
		}
		pthread_join(w->thread, NULL);
		close(w->epfd);
		close(w->kick_fd);
		pthread_mutex_destroy(&w->db_mu);
		free(w);
	}
	for (unsigned int apqn = 0; apqn < AP_APQNS; apqn++) {
		struct eng_queue *eq = e->queues[apqn];

		if (!eq)
			continue;
		pthread_mutex_destroy(&eq->mu);
		free(eq);
	}
	pthread_mutex_destroy(&e->workers_mu);
	free(e);
}

unsigned int engine_workers(struct engine *e)
{
	return __atomic_load_n(&e->nworkers, __ATOMIC_RELAXED);
}
