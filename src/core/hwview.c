/*
 * hwview - the machine's state as AP instructions see it, for lock-free
 * readers (see hwview.h). Per-adapter fields are rewritten on every
 * update (256 adapters); the bitmap of existing queues (65,536 bits) only
 * when the topology generation moved, since queue devices come and go
 * with nothing else.
 */
#include "hwview.h"

#include "bus.h"
#include "insn.h"

#define LOAD(p)	    __atomic_load_n((p), __ATOMIC_RELAXED)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

/* The queues of word w an instruction can reach (exists and rc 0x00). */
static uint64_t reachable(const struct ap_view *v, unsigned int w)
{
	unsigned int apid = w * 64 / AP_DOMAINS;

	return LOAD(&v->ad[apid].rc) == AP_RC_NORMAL ? LOAD(&v->exists[w]) : 0;
}

static void update_exists(struct ap_view *v, const struct ap_system *s)
{
	for (unsigned int w = 0; w < AP_APQNS / 64; w++) {
		uint64_t bits = 0;
		unsigned int apid = w * 64 / AP_DOMAINS;

		if (s->hw.adapter[apid].present) {
			for (unsigned int b = 0; b < 64; b++) {
				unsigned int apqn = w * 64 + b;

				if (apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)))
					bits |= 1ull << b;
			}
		}
		if (LOAD(&v->exists[w]) != bits)
			STORE(&v->exists[w], bits);
	}
	v->topology = s->topology;
}

void ap_view_update(struct ap_view *v, const struct ap_system *s,
		    void (*gone)(void *ctx, unsigned int apqn), void *ctx)
{
	uint64_t before[AP_APQNS / 64]; /* for gone(): what was reachable */
	bool track = gone && v->built;

	if (track)
		for (unsigned int w = 0; w < AP_APQNS / 64; w++)
			before[w] = reachable(v, w);
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++) {
		const struct ap_adapter *a = &s->hw.adapter[apid];
		struct ap_view_adapter *va = &v->ad[apid];

		STORE(&va->rc, (uint8_t)machine_queue_rc(a));
		STORE(&va->mode, (uint8_t)a->mode);
		STORE(&va->max_msg_size, a->present ? a->max_msg_size : 0);
		STORE(&va->tapq, ap_tapq_info(s, apid));
	}
	STORE(&v->max_apid, (uint8_t)machine_max_apid(&s->hw));
	STORE(&v->max_apqi, (uint8_t)machine_max_apqi(&s->hw));
	if (!v->built || v->topology != s->topology)
		update_exists(v, s);
	v->built = true;
	if (!track)
		return;
	for (unsigned int w = 0; w < AP_APQNS / 64; w++)
		for (uint64_t lost = before[w] & ~reachable(v, w), b = 0; lost; b++, lost >>= 1)
			if (lost & 1)
				gone(ctx, w * 64 + (unsigned int)b);
}

bool ap_view_queue_exists(const struct ap_view *v, unsigned int apqn)
{
	return apqn < AP_APQNS && (LOAD(&v->exists[apqn / 64]) >> (apqn % 64) & 1);
}

int ap_view_adapter_rc(const struct ap_view *v, unsigned int apid)
{
	return apid < AP_DEVICES ? LOAD(&v->ad[apid].rc) : AP_RC_Q_NOT_AVAIL;
}

enum ap_mode ap_view_adapter_mode(const struct ap_view *v, unsigned int apid)
{
	return apid < AP_DEVICES ? (enum ap_mode)LOAD(&v->ad[apid].mode) : AP_MODE_ACCEL;
}

uint32_t ap_view_max_msg_size(const struct ap_view *v, unsigned int apid)
{
	return apid < AP_DEVICES ? LOAD(&v->ad[apid].max_msg_size) : 0;
}

uint64_t ap_view_tapq(const struct ap_view *v, unsigned int apid)
{
	return apid < AP_DEVICES ? LOAD(&v->ad[apid].tapq) : 0;
}

unsigned int ap_view_max_apid(const struct ap_view *v)
{
	return LOAD(&v->max_apid);
}

unsigned int ap_view_max_apqi(const struct ap_view *v)
{
	return LOAD(&v->max_apqi);
}
