/*
 * insn - the machine's interpretation of a guest's AP instructions (PQAP
 * with TAPQ, RAPQ, ZAPQ, AQIC, QCI; NQAP; DQAP) against the guest's CRYCB,
 * its CPU model and the AP queues (facts 7 and 9).
 *
 * The caller hands over the guest's registers and memory; results come back
 * the way the machine gives them: a condition code and registers, or a
 * program interruption. Operands in guest memory (NQAP's message, DQAP's
 * buffer, QCI's block, AQIC's notification byte) are bounds-checked.
 */
#ifndef APEMU_CORE_INSN_H
#define APEMU_CORE_INSN_H

#include <stdbool.h>
#include <stdint.h>

#include "ap_arch.h"
#include "crycb.h"
#include "qring.h"
#include "system.h"

/* A guest CPU model's AP features (QEMU's names). */
struct ap_cpu_model {
	bool ap;    /* AP instructions interpreted for the guest (APIE) */
	bool apqci; /* facility 12: QCI */
	bool apft;  /* facility 15: TAPQ T bit */
	bool apqi;  /* facility 65: AQIC */
	bool msax3; /* facility 76: protected keys; CRYCB format 1 or 2 */
	bool apxa;  /* let the guest have APXA when the host does */
	bool sie;   /* the guest may run nested guests (vSIE) */
};

struct ap_regs {
	uint64_t gr[16];
};

struct ap_insn {
	uint16_t opcode; /* AP_OPC_* */
	uint8_t r1, r2;	 /* NQAP/DQAP register pairs (must be even) */
};

struct ap_insn_result {
	int pgm; /* 0, or an AP_PGM_* program interruption (registers unchanged) */
	int cc;	 /* condition code when pgm == 0 */
};

/*
 * What the machine tells an instruction (which queues exist, the adapters'
 * state, sizes and ids), for a caller that does not hold the configuration
 * lock: each reader gets the env's hw_ctx. Out-of-range ids answer as an
 * absent adapter or queue would. Implementations: a plain snapshot
 * (hwsnap.h), the engine's publication (src/engine/hwview.h).
 */
struct ap_hw_reader {
	bool (*queue_exists)(const void *ctx, unsigned int apqn);
	int (*adapter_rc)(const void *ctx, unsigned int apid); /* machine_queue_rc() */
	uint32_t (*max_msg_size)(const void *ctx, unsigned int apid);
	uint64_t (*tapq)(const void *ctx, unsigned int apid); /* ap_tapq_info() */
	unsigned int (*max_apid)(const void *ctx);
	unsigned int (*max_apqi)(const void *ctx);
};

/* Everything the machine consults for one guest. */
struct ap_insn_env {
	const struct ap_system *sys; /* adapters, their state and the queues that exist */
	/* when set, read through hw (with hw_ctx) instead of sys */
	const struct ap_hw_reader *hw;
	const void *hw_ctx;
	const struct ap_cpu_model *cpu;
	uint32_t crycbd;	   /* format bits of the CRYCB the guest runs with */
	const struct crycb *crycb; /* its masks (the shadow for a nested guest) */
	bool problem_state;
	bool aqic_hook; /* an mdev is attached: KVM's AQIC interception has its handler */
	uint8_t *mem;	/* guest memory, guest address 0 .. mem_size - 1 */
	uint64_t mem_size;
	/*
	 * The ring of an APQN that exists and that the guest reaches (qring.h),
	 * or NULL when it has none yet: an empty queue with interruptions off.
	 * With create, a ring is laid out when there is none (NQAP, AQIC);
	 * NULL then means none could be (the queue answers rc 0x01).
	 */
	struct qring_host *(*queue)(void *ctx, unsigned int apqn, bool create);
	/* a request was put on a queue (the executor runs it) */
	void (*submitted)(void *ctx, unsigned int apqn);
	/* RAPQ/ZAPQ of apqn, whose ring is q (NULL: it has none); when
	 * this is NULL, qring_host_reset(q) */
	void (*reset)(void *ctx, unsigned int apqn, struct qring_host *q);
	/* an injected fault: the response code this instruction on apqn gets
	 * instead of reaching the queue, or 0 (NULL: none) */
	uint8_t (*fault)(void *ctx, unsigned int apqn);
	void *ctx;
};

/*
 * Execute one instruction. Rules (facts 7.1-7.7):
 * - cpu->ap false: operation exception. Problem state: privileged-operation.
 * - An APQN whose adapter is not in the CRYCB's APM or domain not in its AQM
 *   (for format 0/1 only adapters 0-63 and domains 0-15 exist), or whose
 *   queue does not exist on the host: cc 3, rc 0x01. Adapter deconfigured:
 *   rc 0x03; check-stopped: rc 0x04.
 * - PQAP: reserved GR0 bits 42-47 set, an unknown function code, the T bit
 *   on anything but TAPQ or without APFT, the F bit on TAPQ/AQIC/QCI, QCI
 *   without APQCI, AQIC without APQI, QCI's block not doubleword aligned:
 *   specification exception. Without APXA (CRYCB format bit 0x2 clear) a
 *   TAPQ, RAPQ, ZAPQ, AQIC, NQAP or DQAP on APID >= 64 or APQI >= 16:
 *   specification. (AQIC takes KVM's checks, facts 7.7: there the T bit is
 *   refused only without APFT.) The full table: docs/ap-instructions.md.
 *   TAPQ: status in GR1 (E, R, F, I bits; rc); with T, GR2 = the adapter's
 *   info word (facilities, type, number of domains, ML, QD).
 *   RAPQ/ZAPQ: requests and replies discarded, interruptions off, cc 0.
 *   AQIC: GR1 bit 16 enables (GR2: notification byte address, non-zero and
 *   inside guest memory else rc 0x06; already enabled: rc 0x07) or disables (already
 *   disabled: rc 0x07); without aqic_hook rc 0x01.
 *   QCI: stores the 128-byte block at GR2 (outside memory: addressing
 *   exception): N bit when the guest has APXA, Na/Nd, and the guest's own
 *   APM/AQM/ADM from its CRYCB; cc 0.
 * - NQAP R1,R2: R1 or R2 odd, GR0 bits 32, 34, 35 or 40-47 set, or a
 *   length of 0 or above AP_MSG_MAX: specification; message outside
 *   memory: addressing. Above the adapter's
 *   max_msg_size: rc 0x15; queue full: rc 0x10. Else the whole message is
 *   queued with the PSMID from R1/R1+1, R2 advances by the length, R2+1
 *   becomes 0, cc 0.
 * - DQAP R1,R2: odd registers, GR0 bits 33-35 or 40-47 set, or a buffer
 *   length of 0 or 1 MiB and more: specification; buffer outside memory:
 *   addressing. No reply: cc 3, rc 0x10 (E/R bits tell what is pending).
 *   Else copies what fits, R2/R2+1 advance, GR2 = the bytes of this reply
 *   still to come; when the reply is complete R1/R1+1 receive its PSMID;
 *   cc 0.
 * A status word goes to GR1 bits 32-63 (high half zero) and cc 3 accompanies
 * every non-zero response code.
 */
void ap_insn_execute(struct ap_insn_env *env, const struct ap_insn *insn, struct ap_regs *regs,
		     struct ap_insn_result *ret);

/* The TAPQ GR2 information word of an adapter. */
uint64_t ap_tapq_info(const struct ap_system *sys, unsigned int apid);

#endif
