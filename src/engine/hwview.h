/*
 * hwview - what the machine tells an AP instruction (a snapshot of the
 * core's, hwsnap.h), published for the threads that do not hold the
 * configuration lock: the trap thread's instructions and the adapters'
 * workers.
 *
 * The owner of the configuration lock calls hwview_update() after every
 * change; readers read any field at any time and never block. Every field
 * is written and read with atomic accesses, one at a time: a reader racing
 * an update sees each field either before or after it, as a guest racing an
 * SCLP command would on the real machine. The core produces the snapshot
 * and says which queues became unreachable; the atomics are here.
 */
#ifndef APEMU_ENGINE_HWVIEW_H
#define APEMU_ENGINE_HWVIEW_H

#include <stdbool.h>
#include <stdint.h>

#include "hwsnap.h"
#include "insn.h"
#include "system.h"

/* All zero until the first update: no queue exists. */
struct hwview {
	struct hwsnap pub; /* what readers see: every field accessed atomically */
	/* the writer's (configuration lock): what pub holds, and what it held before */
	struct hwsnap now, was;
};

/*
 * Publish s into v (configuration lock held). Cheap unless s->topology
 * moved. Once the new state is visible, ret_lost (laid out as
 * hwsnap.exists) names every APQN an instruction could reach before (queue
 * exists, adapter answers rc 0x00) and cannot now; returns how many. The
 * caller discards again what such a queue holds, since a reader that still
 * saw the old state may have put a request on it after the configuration
 * change had emptied it. The first update names none.
 */
unsigned int hwview_update(struct hwview *v, const struct ap_system *s,
			   uint64_t ret_lost[HWSNAP_WORDS]);

/* Readers, from any thread, without the configuration lock. */
bool hwview_queue_exists(const struct hwview *v, unsigned int apqn);
int hwview_adapter_rc(const struct hwview *v, unsigned int apid);
enum ap_mode hwview_adapter_mode(const struct hwview *v, unsigned int apid);
uint32_t hwview_max_msg_size(const struct hwview *v, unsigned int apid);
uint64_t hwview_tapq(const struct hwview *v, unsigned int apid);

/* The instruction environment's reader (insn.h) over v: hw_ctx = v. */
extern const struct ap_hw_reader hwview_reader;

#endif
