/*
 * guest-abi - the shared-memory contract between a guest (libapemu-guest)
 * and apemud, which plays KVM and the machine for it.
 *
 * A guest's memory is a memfd handed to apemud with the "guest-create"
 * operation of the control socket (docs/guest-protocol.md). Guest address A
 * is byte A of that memfd. The guest places one struct apemu_ring per vCPU
 * (one for now) at an address it names in "guest-create"; every AP
 * instruction travels through it:
 *
 *   guest: fill the request fields, then req_seq += 1 (release),
 *          FUTEX_WAKE(&req_seq), wait until resp_seq == req_seq
 *          (FUTEX_WAIT on resp_seq; shared futexes, not private ones);
 *   apemud: wait for req_seq != resp_seq, COPY the request out (the guest
 *          may change it meanwhile: nothing in guest memory is trusted),
 *          interpret it, write the result fields and then resp_seq =
 *          req_seq (release), FUTEX_WAKE(&resp_seq).
 *
 * Two hint bytes spare both sides system calls and idle spinning; a side
 * that ignores them (always wakes, never spins) works all the same:
 *   daemon_polling: apemud sets it while it looks for the next request
 *          without sleeping. A guest may then skip FUTEX_WAKE(&req_seq)
 *          (store req_seq, then load daemon_polling, both sequentially
 *          consistent), and it is worth spinning for the answer; while
 *          it is 0 the answer takes a wake-up, so the guest may sleep at
 *          once.
 *   guest_waiting: APEMU_GUEST_WAITING before FUTEX_WAIT on resp_seq,
 *          APEMU_GUEST_RUNNING after (and from the start); apemud skips
 *          FUTEX_WAKE(&resp_seq) only while it reads APEMU_GUEST_RUNNING
 *          (store resp_seq, then load guest_waiting, sequentially
 *          consistent; the guest stores guest_waiting, then loads
 *          resp_seq). 0, a guest that knows nothing of the hint, is
 *          always woken.
 *
 * All fields are in the host's byte order; registers are 64-bit values
 * numbered as on s390 (bit 0 = most significant).
 */
#ifndef APEMU_GUEST_ABI_H
#define APEMU_GUEST_ABI_H

#include <stdint.h>

#define APEMU_RING_MAGIC   0x4150454du /* "APEM" */
#define APEMU_RING_VERSION 1

/* Instructions (the opcodes of the machine; src/guest/abi_check.c pins them). */
#define APEMU_OPC_PQAP 0xb2af
#define APEMU_OPC_NQAP 0xb2ad
#define APEMU_OPC_DQAP 0xb2ae

/* Request flags. */
#define APEMU_RING_PROBLEM_STATE 0x1u /* the vCPU runs in problem state */
#define APEMU_RING_NESTED	 0x2u /* execute in the nested guest described at scb */

/*
 * The nested guest's SIE block fields that matter for AP, in guest memory at
 * `scb` when APEMU_RING_NESTED is set (what guest 1 wrote for guest 2).
 */
struct apemu_nested_scb {
	uint32_t crycbd; /* origin | format of guest 2's CRYCB, in guest 1 memory */
	uint32_t eca;	 /* ECA_APIE = 0x00000008 */
	uint32_t ecb3;	 /* ECB3_AES 0x04, ECB3_DEA 0x08 */
	uint32_t ecd;	 /* ECD_ECC 0x00200000, ECD_HMAC 0x00004000 */
};

#define APEMU_ECA_APIE 0x00000008u

/* Values of guest_waiting. */
#define APEMU_GUEST_WAITING 1u
#define APEMU_GUEST_RUNNING 2u

struct apemu_ring {
	uint32_t magic;	   /* APEMU_RING_MAGIC, set by the guest */
	uint32_t version;  /* APEMU_RING_VERSION */
	uint32_t req_seq;  /* futex: bumped by the guest per request */
	uint32_t resp_seq; /* futex: set by apemud to req_seq when done */
	/* request */
	uint32_t opcode;	/* APEMU_OPC_* */
	uint32_t flags;		/* APEMU_RING_* */
	uint8_t r1, r2;		/* NQAP/DQAP register pairs */
	uint8_t daemon_polling; /* hint, written by apemud (see above) */
	uint8_t guest_waiting;	/* hint, written by the guest (see above) */
	uint8_t pad[4];
	uint64_t scb; /* guest address of a struct apemu_nested_scb */
	/* registers: in with the request, out with the result */
	uint64_t gr[16];
	/* result */
	int32_t pgm;	  /* 0 or the program interruption code (registers unchanged) */
	int32_t cc;	  /* condition code when pgm == 0 and validity == 0 */
	int32_t validity; /* nested: the validity intercept code for guest 1, or 0 */
	int32_t error;	  /* 0, or a negative errno when apemud could not run it */
};

/*
 * ---- The data plane: per-queue rings (the machine's AP interpretation) ----
 *
 * NQAP and DQAP need no exit: the guest names a data-plane area in its
 * memory at guest-create ("dataplane"), and apemud lays out there one
 * struct apemu_qring for each AP queue of the guest's matrix the guest
 * reached, with a directory at the start of the area. The guest's NQAP
 * writes a request into a slot and publishes it; the adapter's worker
 * thread copies it out, computes, and writes the reply into the same slot;
 * the guest's DQAP reads it there. Everything else (PQAP, and every NQAP or
 * DQAP the ring cannot answer: a queue without a live ring, a message the
 * ring does not take, a nested guest) goes through struct apemu_ring above,
 * where apemud interprets it (the trap path). docs/guest-protocol.md gives
 * the rules byte by byte; src/common/qring.h implements them for both
 * sides.
 *
 * Who writes what: apemud writes the area header, the directory and every
 * ring field except `req`, `cons` and the slots' `taken` (the guest's);
 * the slots' psmid/len/data are the guest's for a request and apemud's for
 * the reply that replaces it. Nothing the guest writes is trusted.
 */
#define APEMU_DP_MAGIC	      0x41504450u /* "APDP" */
#define APEMU_DP_VERSION      1
#define APEMU_DP_DIR_MAX      256	  /* directory entries */
#define APEMU_DP_RINGS_OFF    4096u	  /* the first ring, from the start of the area */
#define APEMU_QRING_MAGIC     0x41505152u /* "APQR" */
#define APEMU_QRING_SLOTS_MAX 16	  /* depth + 1, QD being 4 bits */

/* One directory entry: the ring of apqn at offset (from the area's start); offset 0 = free. */
struct apemu_dp_ent {
	uint16_t apqn;
	uint16_t pad;
	uint32_t offset;
};

struct apemu_dp_area {
	uint32_t magic;	  /* APEMU_DP_MAGIC, set by the guest before guest-create */
	uint32_t version; /* APEMU_DP_VERSION, likewise */
	uint32_t dir_gen; /* apemud: odd while it rewrites the directory, then even again */
	uint32_t nent;	  /* apemud: entries in use (they may be anywhere in dir[]) */
	uint8_t pad[48];
	struct apemu_dp_ent dir[APEMU_DP_DIR_MAX];
};

/* Values of apemu_qring.state. */
#define APEMU_QRING_LIVE    0u /* NQAP and DQAP may use the ring */
#define APEMU_QRING_REVOKED 1u /* the queue left the guest's CRYCB: trap (rc 0x01) */
#define APEMU_QRING_FAULT   2u /* an injected fault answers the next instructions: trap */

/*
 * One AP queue's ring, 64-aligned. Counters are free-running 32-bit
 * numbers; request number k sits in slot k % nslots, and its reply
 * replaces it there (an adapter answers a queue's requests in order).
 * `req` and `cons` carry the ring's epoch in their high half and change
 * only by compare-and-swap, so that a guest's late write to a ring apemud
 * has laid out again fails instead of publishing.
 */
struct apemu_qring {
	/* apemud's line */
	uint32_t magic; /* APEMU_QRING_MAGIC */
	uint16_t apqn;
	uint8_t nslots; /* depth + 1 (TAPQ's QD + 1) */
	uint8_t pad0;
	uint32_t epoch;	      /* new whenever apemud lays the ring out */
	uint32_t state;	      /* APEMU_QRING_* */
	uint32_t max_msg;     /* the adapter's maximum message size (NQAP above: rc 0x15) */
	uint32_t slot_size;   /* data bytes of a slot */
	uint32_t irq;	      /* 1: interruptions enabled (status bit I) */
	uint32_t need_wakeup; /* 1: the adapter sleeps; write the data doorbell after publishing */
	uint64_t done;	      /* base << 32 | replies produced; base: requests before it were
			       * discarded by a reset */
	uint8_t pad1[24];
	/* the guest's line */
	uint64_t req;  /* epoch << 32 | requests enqueued (NQAP) */
	uint64_t cons; /* epoch << 32 | replies dequeued (DQAP) */
	uint8_t pad2[48];
	/* nslots slots follow, each APEMU_QSLOT_STRIDE(slot_size) bytes */
};

/* A flexible array member is C99 but only an extension in C++ (g++ and
 * clang++ have it, with the same layout); hush -pedantic there. */
#ifdef __cplusplus
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#endif
struct apemu_qslot {
	uint64_t psmid;
	uint32_t len;	/* bytes of the request, then of the reply */
	uint32_t taken; /* the guest's: bytes of the reply a partial DQAP handed out */
	uint8_t data[];
};
#ifdef __cplusplus
#pragma GCC diagnostic pop
#endif

#define APEMU_QSLOT_STRIDE(slot_size) ((16u + (uint32_t)(slot_size) + 63u) & ~63u)
#define APEMU_QRING_BYTES(nslots, slot_size)                                                       \
	(sizeof(struct apemu_qring) + (size_t)(nslots)*APEMU_QSLOT_STRIDE(slot_size))

#endif
