/*
 * hwsnap - a plain snapshot of what the machine tells an AP instruction:
 * which queues exist, each adapter's response code (normal, deconfigured,
 * check-stopped), mode, maximum message size and TAPQ information word,
 * and the highest ids.
 *
 * The core only produces it, from struct ap_system under the caller's
 * configuration lock, and compares two of them; it has no atomics and
 * knows no threads. Publishing it to threads that do not hold that lock is
 * the engine's (src/engine/hwview.h).
 */
#ifndef APEMU_CORE_HWSNAP_H
#define APEMU_CORE_HWSNAP_H

#include <stdbool.h>
#include <stdint.h>

#include "insn.h"
#include "machine.h"
#include "system.h"

#define HWSNAP_WORDS (AP_APQNS / 64)

struct hwsnap_adapter {
	uint8_t rc;	       /* machine_queue_rc(): AP_RC_Q_NOT_AVAIL when absent */
	uint8_t mode;	       /* enum ap_mode */
	uint32_t max_msg_size; /* 0 when absent */
	uint64_t tapq;	       /* the TAPQ GR2 information word, 0 when absent */
};

/* All zero: a machine where no instruction reaches anything. */
struct hwsnap {
	uint64_t exists[HWSNAP_WORDS]; /* bit apqn % 64 of word apqn / 64: a queue device */
	struct hwsnap_adapter ad[AP_DEVICES];
	uint8_t max_apid, max_apqi;
	bool built;	   /* exists was built (hwsnap_update() ran) */
	uint64_t topology; /* the topology generation exists was built for */
};

/*
 * Bring snap up to date with s (configuration lock held). Cheap unless
 * s->topology moved: the bitmap of existing queues (65,536 bits) is only
 * rebuilt then, since queue devices come and go with nothing else.
 */
void hwsnap_update(struct hwsnap *snap, const struct ap_system *s);

/*
 * The APQNs an instruction could reach in before (queue exists, adapter
 * answers rc 0x00) and cannot in after, as a bitmap laid out like exists.
 * Returns how many.
 */
unsigned int hwsnap_lost(const struct hwsnap *before, const struct hwsnap *after,
			 uint64_t ret_lost[HWSNAP_WORDS]);

bool hwsnap_queue_exists(const struct hwsnap *snap, unsigned int apqn);

/* The instruction environment's reader (insn.h) over a plain snapshot, for
 * a caller no other thread races; ctx is the const struct hwsnap. */
extern const struct ap_hw_reader hwsnap_reader;

#endif
