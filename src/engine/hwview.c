/*
 * hwview - the core's snapshot of the machine, published field by field
 * with relaxed atomic accesses for lock-free readers (see hwview.h). The
 * writer keeps plain copies of what it published, so it stores only what
 * changed and compares without reading the published fields back.
 */
#include "hwview.h"

#define LOAD(p)	    __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

static void publish_adapter(struct hwsnap_adapter *pub, const struct hwsnap_adapter *now,
			    const struct hwsnap_adapter *was)
{
	if (now->rc != was->rc)
		STORE(&pub->rc, now->rc);
	if (now->mode != was->mode)
		STORE(&pub->mode, now->mode);
	if (now->max_msg_size != was->max_msg_size)
		STORE(&pub->max_msg_size, now->max_msg_size);
	if (now->tapq != was->tapq)
		STORE(&pub->tapq, now->tapq);
}

unsigned int hwview_update(struct hwview *v, const struct ap_system *s,
			   uint64_t ret_lost[HWSNAP_WORDS])
{
	v->was = v->now;
	hwsnap_update(&v->now, s);
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++)
		publish_adapter(&v->pub.ad[apid], &v->now.ad[apid], &v->was.ad[apid]);
	STORE(&v->pub.max_apid, v->now.max_apid);
	STORE(&v->pub.max_apqi, v->now.max_apqi);
	for (unsigned int w = 0; w < HWSNAP_WORDS; w++)
		if (v->now.exists[w] != v->was.exists[w])
			STORE(&v->pub.exists[w], v->now.exists[w]);
	return hwsnap_lost(&v->was, &v->now, ret_lost);
}

bool hwview_queue_exists(const struct hwview *v, unsigned int apqn)
{
	return apqn < AP_APQNS && (LOAD(&v->pub.exists[apqn / 64]) >> (apqn % 64) & 1);
}

int hwview_adapter_rc(const struct hwview *v, unsigned int apid)
{
	return apid < AP_DEVICES ? LOAD(&v->pub.ad[apid].rc) : AP_RC_Q_NOT_AVAIL;
}

enum ap_mode hwview_adapter_mode(const struct hwview *v, unsigned int apid)
{
	return apid < AP_DEVICES ? (enum ap_mode)LOAD(&v->pub.ad[apid].mode) : AP_MODE_ACCEL;
}

uint32_t hwview_max_msg_size(const struct hwview *v, unsigned int apid)
{
	return apid < AP_DEVICES ? LOAD(&v->pub.ad[apid].max_msg_size) : 0;
}

uint64_t hwview_tapq(const struct hwview *v, unsigned int apid)
{
	return apid < AP_DEVICES ? LOAD(&v->pub.ad[apid].tapq) : 0;
}

/* ---- the instruction environment's reader ---- */

static bool rd_queue_exists(const void *ctx, unsigned int apqn)
{
	return hwview_queue_exists(ctx, apqn);
}

static int rd_adapter_rc(const void *ctx, unsigned int apid)
{
	return hwview_adapter_rc(ctx, apid);
}

static uint32_t rd_max_msg_size(const void *ctx, unsigned int apid)
{
	return hwview_max_msg_size(ctx, apid);
}

static uint64_t rd_tapq(const void *ctx, unsigned int apid)
{
	return hwview_tapq(ctx, apid);
}

static unsigned int rd_max_apid(const void *ctx)
{
	return LOAD(&((const struct hwview *)ctx)->pub.max_apid);
}

static unsigned int rd_max_apqi(const void *ctx)
{
	return LOAD(&((const struct hwview *)ctx)->pub.max_apqi);
}

const struct ap_hw_reader hwview_reader = {
    .queue_exists = rd_queue_exists,
    .adapter_rc = rd_adapter_rc,
    .max_msg_size = rd_max_msg_size,
    .tapq = rd_tapq,
    .max_apid = rd_max_apid,
    .max_apqi = rd_max_apqi,
};
