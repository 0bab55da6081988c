/*
 * hwview - what the machine tells an AP instruction, published for threads
 * that do not hold the configuration lock: which queues exist, each
 * adapter's response code (normal, deconfigured, check-stopped), mode,
 * maximum message size and TAPQ information word, and the highest ids.
 *
 * The owner of the configuration lock calls ap_view_update() after every
 * change; readers (the instruction path, the adapters' threads) read any
 * field at any time. Every field is written and read with atomic accesses,
 * one at a time: a reader racing an update sees each field either before or
 * after it, as a guest racing an SCLP command would on the real machine.
 */
#ifndef APEMU_CORE_HWVIEW_H
#define APEMU_CORE_HWVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "machine.h"
#include "system.h"

struct ap_view_adapter {
	uint8_t rc;   /* machine_queue_rc(): AP_RC_Q_NOT_AVAIL when absent */
	uint8_t mode; /* enum ap_mode */
	uint32_t max_msg_size;
	uint64_t tapq; /* the TAPQ GR2 information word, 0 when absent */
};

struct ap_view {
	uint64_t exists[AP_APQNS / 64]; /* bit apqn % 64 of word apqn / 64: a queue device */
	struct ap_view_adapter ad[AP_DEVICES];
	uint8_t max_apid, max_apqi;
	/* writer only: the topology generation the exists bitmap was built for */
	uint64_t topology;
	bool built;
};

/*
 * Publish s into v (configuration lock held). Cheap unless s->topology moved.
 * gone (may be NULL) is called for every APQN an instruction could reach
 * before (queue exists, adapter answers rc 0x00) and cannot now, once the
 * new state is visible: the caller discards again what such a queue holds,
 * since a reader that still saw the old state may have put a request on
 * it after the configuration change had emptied it.
 */
void ap_view_update(struct ap_view *v, const struct ap_system *s,
		    void (*gone)(void *ctx, unsigned int apqn), void *ctx);

bool ap_view_queue_exists(const struct ap_view *v, unsigned int apqn);
int ap_view_adapter_rc(const struct ap_view *v, unsigned int apid);
enum ap_mode ap_view_adapter_mode(const struct ap_view *v, unsigned int apid);
uint32_t ap_view_max_msg_size(const struct ap_view *v, unsigned int apid);
uint64_t ap_view_tapq(const struct ap_view *v, unsigned int apid);
unsigned int ap_view_max_apid(const struct ap_view *v);
unsigned int ap_view_max_apqi(const struct ap_view *v);

#endif
