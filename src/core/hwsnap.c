/*
 * hwsnap - the machine's state as AP instructions see it, as plain data
 * (see hwsnap.h). Per-adapter fields are rewritten on every update (256
 * adapters); the bitmap of existing queues only when the topology
 * generation moved.
 */
#include "hwsnap.h"

#include "bus.h"

static void update_exists(struct hwsnap *snap, const struct ap_system *s)
{
	for (unsigned int w = 0; w < HWSNAP_WORDS; w++) {
		uint64_t bits = 0;
		unsigned int apid = w * 64 / AP_DOMAINS;

		if (s->hw.adapter[apid].present) {
			for (unsigned int b = 0; b < 64; b++) {
				unsigned int apqn = w * 64 + b;

				if (apbus_queue_exists(s, AP_APQN_APID(apqn), AP_APQN_APQI(apqn)))
					bits |= 1ull << b;
			}
		}
		snap->exists[w] = bits;
	}
	snap->topology = s->topology;
	snap->built = true;
}

void hwsnap_update(struct hwsnap *snap, const struct ap_system *s)
{
	for (unsigned int apid = 0; apid < AP_DEVICES; apid++) {
		const struct ap_adapter *a = &s->hw.adapter[apid];
		struct hwsnap_adapter *sa = &snap->ad[apid];

		sa->rc = (uint8_t)machine_queue_rc(a);
		sa->mode = (uint8_t)a->mode;
		sa->max_msg_size = a->present ? a->max_msg_size : 0;
		sa->tapq = ap_tapq_info(s, apid);
	}
	snap->max_apid = (uint8_t)machine_max_apid(&s->hw);
	snap->max_apqi = (uint8_t)machine_max_apqi(&s->hw);
	if (!snap->built || snap->topology != s->topology)
		update_exists(snap, s);
}

/* The queues of word w an instruction can reach (exists and rc 0x00). */
static uint64_t reachable(const struct hwsnap *snap, unsigned int w)
{
	unsigned int apid = w * 64 / AP_DOMAINS;

	return snap->ad[apid].rc == AP_RC_NORMAL ? snap->exists[w] : 0;
}

unsigned int hwsnap_lost(const struct hwsnap *before, const struct hwsnap *after,
			 uint64_t ret_lost[HWSNAP_WORDS])
{
	unsigned int n = 0;

	for (unsigned int w = 0; w < HWSNAP_WORDS; w++) {
		ret_lost[w] = reachable(before, w) & ~reachable(after, w);
		n += (unsigned int)__builtin_popcountll(ret_lost[w]);
	}
	return n;
}

bool hwsnap_queue_exists(const struct hwsnap *snap, unsigned int apqn)
{
	return apqn < AP_APQNS && (snap->exists[apqn / 64] >> (apqn % 64) & 1);
}

/* ---- the instruction environment's reader ---- */

static bool rd_queue_exists(const void *ctx, unsigned int apqn)
{
	return hwsnap_queue_exists(ctx, apqn);
}

static int rd_adapter_rc(const void *ctx, unsigned int apid)
{
	const struct hwsnap *snap = ctx;

	return apid < AP_DEVICES ? snap->ad[apid].rc : AP_RC_Q_NOT_AVAIL;
}

static uint32_t rd_max_msg_size(const void *ctx, unsigned int apid)
{
	const struct hwsnap *snap = ctx;

	return apid < AP_DEVICES ? snap->ad[apid].max_msg_size : 0;
}

static uint64_t rd_tapq(const void *ctx, unsigned int apid)
{
	const struct hwsnap *snap = ctx;

	return apid < AP_DEVICES ? snap->ad[apid].tapq : 0;
}

static unsigned int rd_max_apid(const void *ctx)
{
	return ((const struct hwsnap *)ctx)->max_apid;
}

static unsigned int rd_max_apqi(const void *ctx)
{
	return ((const struct hwsnap *)ctx)->max_apqi;
}

const struct ap_hw_reader hwsnap_reader = {
    .queue_exists = rd_queue_exists,
    .adapter_rc = rd_adapter_rc,
    .max_msg_size = rd_max_msg_size,
    .tapq = rd_tapq,
    .max_apid = rd_max_apid,
    .max_apqi = rd_max_apqi,
};
