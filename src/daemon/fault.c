/*
 * fault - injected faults for people testing their tools (the `fault-*`
 * events of the control socket, `apemu event fault-*`; docs/apemu-cli.md).
 * A guest sees what the architecture says (response codes, a check-stop
 * during a request, late replies); sysfs shows what the kernel shows (only
 * the check-stop changes the tree). The state lives in the engine
 * (engine.h); this file checks the request and applies it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "fault.h"
#include "vmm_int.h"

#define MSG_LEN		    512
#define COUNT_MAX	    1000000000ul
#define DELAY_MAX_MS	    60000ul
#define CHKSTOP_WAIT_DEF_MS 5000ul
#define CHKSTOP_LOOK_NS	    200000L /* look for a request in computation every 0.2 ms */

static int member(struct jfield *jf, struct json_object *o, const char *key, unsigned long min,
		  unsigned long max, bool required, unsigned long def, unsigned long *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v)) {
		if (required)
			return jfield_fail(jf, NULL, "missing \"%s\"", key);
		*ret = def;
		return 0;
	}
	return jfield_uint(jf, v, key, min, max, ret);
}

/* Wait until adapter apid computes a request, then check-stop it (lock not held). */
static int chkstop_busy(struct apemud *d, unsigned long apid, unsigned long wait_ms, char *msg)
{
	struct timespec look = {.tv_nsec = CHKSTOP_LOOK_NS};
	long waited = 0;
	int e;

	pthread_mutex_lock(&d->lock);
	e = apbus_card_exists(d->sys, (unsigned int)apid) ? 0 : -ENODEV;
	pthread_mutex_unlock(&d->lock);
	if (e) {
		snprintf(msg, MSG_LEN, "fault-chkstop-busy: no adapter 0x%02lx", apid);
		return e;
	}
	while (!engine_adapter_computing(d->guests->engine, (unsigned int)apid)) {
		if (waited >= (long)wait_ms * 1000000L) {
			snprintf(msg, MSG_LEN,
				 "fault-chkstop-busy: adapter 0x%02lx computed no request within "
				 "%lu ms",
				 apid, wait_ms);
			return -ETIMEDOUT;
		}
		nanosleep(&look, NULL);
		waited += CHKSTOP_LOOK_NS;
	}
	pthread_mutex_lock(&d->lock);
	e = apbus_set_chkstop(d->sys, (unsigned int)apid, true);
	apemud_publish(d);
	pthread_mutex_unlock(&d->lock);
	return e;
}

int fault_apply(struct apemud *d, const char *event, struct json_object *o, struct jfield *jf,
		char *msg)
{
	struct engine *e = d->guests->engine;
	unsigned long apqn = 0, id = 0, n = 0, rc = 0;
	int r;

	if (!strcmp(event, "fault-delay")) {
		if ((r = member(jf, o, "id", 0, 255, true, 0, &id)) < 0 ||
		    (r = member(jf, o, "ms", 0, DELAY_MAX_MS, true, 0, &n)) < 0)
			return r;
		return engine_fault_delay(e, (unsigned int)id, (uint32_t)n);
	}
	if (!strcmp(event, "fault-chkstop-busy")) {
		if ((r = member(jf, o, "id", 0, 255, true, 0, &id)) < 0 ||
		    (r = member(jf, o, "wait_ms", 0, DELAY_MAX_MS, false, CHKSTOP_WAIT_DEF_MS,
				&n)) < 0)
			return r;
		return chkstop_busy(d, id, n, msg);
	}
	if ((r = member(jf, o, "apqn", 0, AP_APQNS - 1, true, 0, &apqn)) < 0)
		return r;
	if (!strcmp(event, "fault-clear")) {
		r = engine_fault_rc(e, (unsigned int)apqn, 0, 0);
		return r < 0 ? r : engine_fault_reset_pending(e, (unsigned int)apqn, 0);
	}
	if (!strcmp(event, "fault-rc") && (r = member(jf, o, "rc", 1, 255, true, 0, &rc)) < 0)
		return r;
	if ((r = member(jf, o, "count", 1, COUNT_MAX, true, 0, &n)) < 0)
		return r;
	if (!strcmp(event, "fault-reset-pending"))
		return engine_fault_reset_pending(e, (unsigned int)apqn, (uint32_t)n);
	if (!strcmp(event, "fault-busy"))
		rc = AP_RC_BUSY;
	return engine_fault_rc(e, (unsigned int)apqn, (uint8_t)rc, (uint32_t)n);
}
