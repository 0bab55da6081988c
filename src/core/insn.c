/*
 * insn - the machine's (and, for AQIC, KVM's) interpretation of a guest's
 * AP instructions: PQAP (TAPQ, RAPQ, ZAPQ, AQIC, QCI), NQAP and DQAP
 * (facts 7.1-7.7, 9; contract in insn.h).
 *
 * Every handler works on a copy of the registers; ap_insn_execute() copies
 * them back only when no program interruption was recognised, so an
 * exception leaves the registers as they were. Guest memory is written only
 * after every check that can raise an exception has passed.
 *
 * Order of the checks, for every instruction: operation exception (no AP
 * instructions for the guest), privileged operation (problem state), the
 * instruction's specification checks, its operand addressing checks, then
 * the APQN: not in the guest's CRYCB or no such queue on the host (rc 0x01),
 * then the adapter's state (rc 0x03 deconfigured, 0x04 check-stopped).
 * PQAP(AQIC) follows KVM's interception order (facts 7.7) instead.
 */
#include "insn.h"

#include <errno.h>
#include <string.h>

#include "bus.h"
#include "gcopy.h"
#include "machine.h"

/* KVM: GR0 bits 41-47 must be zero for an intercepted AQIC (F bit included). */
#define AQIC_GR0_MBZ 0x007f0000u
/* Without APXA, an APID >= 64 or an APQI >= 16 (bits 48-49, 56-59 of GR0). */
#define GR0_APQN_NO_APXA 0xc0f0u
/*
 * NQAP GR0: bit 33 (L, last part) is the one bit Linux sets; bits 32, 34,
 * 35 and 40 must be zero (kvm-unit-tests' AP test), bit 41 (S, special
 * command) needs APSC, which apemu does not offer a guest, and bits 42-47
 * are reserved as for PQAP. Bits 36-39 are left alone (docs/ap-instructions.md).
 */
#define NQAP_GR0_MBZ 0xb0ff0000u
/* DQAP GR0: bit 32 is Linux's; bits 33-35 and 40-41 must be zero
 * (kvm-unit-tests), 42-47 reserved; 36-39 left alone as for NQAP. */
#define DQAP_GR0_MBZ 0x70ff0000u
/* DQAP's buffer length (R2+1): at least 1 and below 1 MiB. */
#define DQAP_LEN_LIMIT (1ull << 20)
/* QCI block (facts 7.5). */
#define QCI_FLAG_N 0x40 /* byte 0, bit 1: APXA */
#define QCI_NA	   4
#define QCI_ND	   5
#define QCI_APM	   16
#define QCI_AQM	   48
#define QCI_ADM	   80
#define QCI_ALIGN  8

/* TAPQ GR2: ND is 8 bits, ML (4 KiB units) and QD 4 bits each. */
#define TAPQ_ND_MAX 255u

/* ---- helpers ---- */

/* The machine's state: through the env's reader when it has one. */
static bool hw_queue_exists(const struct ap_insn_env *env, unsigned int apqn)
{
	if (env->hw)
		return env->hw->queue_exists(env->hw_ctx, apqn);
	return apbus_queue_exists(env->sys, AP_APQN_APID(apqn), AP_APQN_APQI(apqn));
}

static int hw_queue_rc(const struct ap_insn_env *env, unsigned int apid)
{
	if (env->hw)
		return env->hw->adapter_rc(env->hw_ctx, apid);
	return machine_queue_rc(&env->sys->hw.adapter[apid]);
}

static uint32_t hw_max_msg_size(const struct ap_insn_env *env, unsigned int apid)
{
	if (env->hw)
		return env->hw->max_msg_size(env->hw_ctx, apid);
	return env->sys->hw.adapter[apid].max_msg_size;
}

static uint64_t hw_tapq(const struct ap_insn_env *env, unsigned int apid)
{
	return env->hw ? env->hw->tapq(env->hw_ctx, apid) : ap_tapq_info(env->sys, apid);
}

static unsigned int hw_max_apid(const struct ap_insn_env *env)
{
	return env->hw ? env->hw->max_apid(env->hw_ctx) : machine_max_apid(&env->sys->hw);
}

static unsigned int hw_max_apqi(const struct ap_insn_env *env)
{
	return env->hw ? env->hw->max_apqi(env->hw_ctx) : machine_max_apqi(&env->sys->hw);
}

/* GR0 bits 32-39: the PQAP function code. */
static unsigned int gr0_fc(uint64_t gr0)
{
	return (unsigned int)(gr0 >> 24) & 0xffu;
}

/* GR0 bits 48-63: the APQN. */
static unsigned int gr0_apqn(uint64_t gr0)
{
	return (unsigned int)(gr0 & 0xffffu);
}

/* Without APXA (the guest's CRYCB format), only APIDs 0-63 and APQIs 0-15
 * can be named: any other APQN is a specification exception. */
static bool apqn_out_of_range(const struct ap_insn_env *env, uint64_t gr0)
{
	return !crycb_has_apxa(env->crycbd) && (gr0_apqn(gr0) & GR0_APQN_NO_APXA);
}

/* Is [addr, addr + len) inside guest memory? */
static bool mem_ok(const struct ap_insn_env *env, uint64_t addr, uint64_t len)
{
	if (len && !env->mem)
		return false;
	return addr <= env->mem_size && len <= env->mem_size - addr;
}

static uint8_t *guest_ptr(const struct ap_insn_env *env, uint64_t addr)
{
	return env->mem ? env->mem + addr : NULL;
}

/* An even register of a pair, inside the 16 general registers. */
static bool pair_ok(uint8_t r)
{
	return r % 2 == 0 && r < 16;
}

/* The queue's E, R, F and I bits; a queue without a ring is empty. */
static uint32_t queue_bits(const struct qring_host *q)
{
	return q ? qring_host_status(q) : AP_STATUS_E;
}

/*
 * Store a status word in GR1 bits 32-63 (high half zero); cc 3 with a
 * non-zero response code. A queue that was reached reports its E/R/F/I bits
 * with any response code (0x06, 0x07, 0x10, 0x15); an APQN that was not
 * (0x01, 0x03, 0x04) reports the response code alone.
 */
static int answer(struct ap_regs *r, uint32_t status, int *cc)
{
	r->gr[1] = status;
	*cc = (status & AP_STATUS_RC_MASK) ? 3 : 0;
	return 0;
}

/* The guest's masks, as the machine reads them for the CRYCB's format. */
static void guest_masks(const struct ap_insn_env *env, struct ap_mask *apm, struct ap_mask *aqm,
			struct ap_mask *adm)
{
	if (!env->crycb) {
		ap_mask_zero(apm);
		ap_mask_zero(aqm);
		ap_mask_zero(adm);
		return;
	}
	crycb_get_masks(env->crycb, env->crycbd & CRYCB_FORMAT_MASK, apm, aqm, adm);
}

/*
 * Resolve an APQN for the guest: AP_RC_NORMAL and *ret_q (NULL: the queue
 * has no ring yet, unless create asked for one), or the response code the
 * machine gives: 0x01 when the CRYCB does not authorise the APQN or the
 * host has no such queue (or no ring could be laid out for create),
 * 0x03/0x04 for a deconfigured/check-stopped adapter.
 */
static int reach_queue(const struct ap_insn_env *env, unsigned int apqn, bool create,
		       struct qring_host **ret_q)
{
	unsigned int apid = AP_APQN_APID(apqn), apqi = AP_APQN_APQI(apqn);
	struct ap_mask apm, aqm, adm;
	struct qring_host *q;
	int rc;

	guest_masks(env, &apm, &aqm, &adm);
	if (!ap_mask_test(&apm, apid) || !ap_mask_test(&aqm, apqi))
		return AP_RC_Q_NOT_AVAIL;
	if (!hw_queue_exists(env, apqn) || !env->queue)
		return AP_RC_Q_NOT_AVAIL;
	rc = hw_queue_rc(env, apid);
	if (rc == AP_RC_NORMAL && env->fault) {
		uint8_t frc = env->fault(env->ctx, apqn);

		if (frc)
			return frc;
	}
	q = env->queue(env->ctx, apqn, create && rc == AP_RC_NORMAL);
	if (!q && create && rc == AP_RC_NORMAL)
		return AP_RC_Q_NOT_AVAIL;
	*ret_q = q;
	return rc;
}

uint64_t ap_tapq_info(const struct ap_system *sys, unsigned int apid)
{
	const struct ap_adapter *a;
	uint32_t low;
	unsigned int nd;

	if (apid >= AP_DEVICES || !sys->hw.adapter[apid].present)
		return 0;
	a = &sys->hw.adapter[apid];
	/*
	 * ND: the number of domains, highest APQI + 1; 256 does not fit in 8
	 * bits and is given as 255. ML: max_msg_size in exact 4 KiB units
	 * (machine.c only allows multiples of 4096 up to 15 units), so ML is
	 * never the "0 = 12 KiB default" encoding.
	 */
	nd = machine_max_apqi(&sys->hw) + 1;
	if (nd > TAPQ_ND_MAX)
		nd = TAPQ_ND_MAX;
	low = (uint32_t)(machine_hwtype(a) & 0xffu) << 24 | (uint32_t)nd << 16 |
	      (uint32_t)((a->max_msg_size / AP_ML_UNIT) & 0xfu) << 8 | (uint32_t)(a->depth & 0xfu);
	return (uint64_t)machine_functions(&sys->hw, a) << 32 | low;
}

/* ---- PQAP ---- */

/* Specification checks of TAPQ, RAPQ, ZAPQ and QCI (AQIC: aqic_check). */
static int pqap_check(const struct ap_insn_env *env, uint64_t gr0)
{
	uint32_t bits = (uint32_t)gr0;

	if (bits & AP_GR0_RESERVED)
		return AP_PGM_SPECIFICATION;
	switch (gr0_fc(gr0)) {
	case AP_FC_TAPQ:
		if ((bits & AP_GR0_T_BIT) && !env->cpu->apft)
			return AP_PGM_SPECIFICATION;
		if (bits & AP_GR0_F_BIT)
			return AP_PGM_SPECIFICATION;
		return apqn_out_of_range(env, gr0) ? AP_PGM_SPECIFICATION : 0;
	case AP_FC_RAPQ:
	case AP_FC_ZAPQ:
		if (bits & AP_GR0_T_BIT)
			return AP_PGM_SPECIFICATION;
		return apqn_out_of_range(env, gr0) ? AP_PGM_SPECIFICATION : 0;
	case AP_FC_QCI:
		if (bits & (AP_GR0_T_BIT | AP_GR0_F_BIT))
			return AP_PGM_SPECIFICATION;
		return env->cpu->apqci ? 0 : AP_PGM_SPECIFICATION;
	default:
		return AP_PGM_SPECIFICATION;
	}
}

/*
 * TAPQ: the queue's status; with the T bit, GR2 = the adapter's information
 * word. Like the hardware (and Linux's ap_queue_info, which relies on it),
 * the information is also there for a deconfigured or check-stopped adapter.
 */
static int do_tapq(const struct ap_insn_env *env, struct ap_regs *r, int *cc)
{
	unsigned int apqn = gr0_apqn(r->gr[0]);
	struct qring_host *q = NULL;
	int rc = reach_queue(env, apqn, false, &q);

	if ((r->gr[0] & AP_GR0_T_BIT) &&
	    (rc == AP_RC_NORMAL || rc == AP_RC_DECONFIGURED || rc == AP_RC_CHECKSTOPPED))
		r->gr[2] = hw_tapq(env, AP_APQN_APID(apqn));
	if (rc != AP_RC_NORMAL)
		return answer(r, AP_STATUS_RC(rc), cc);
	return answer(r, queue_bits(q), cc);
}

/* RAPQ/ZAPQ: requests and replies discarded, interruptions off. */
static int do_reset(const struct ap_insn_env *env, struct ap_regs *r, int *cc)
{
	unsigned int apqn = gr0_apqn(r->gr[0]);
	struct qring_host *q = NULL;
	int rc = reach_queue(env, apqn, false, &q);

	if (rc != AP_RC_NORMAL)
		return answer(r, AP_STATUS_RC(rc), cc);
	if (env->reset)
		env->reset(env->ctx, apqn, q);
	else if (q)
		qring_host_reset(q);
	return answer(r, queue_bits(q), cc);
}

/*
 * QCI: the guest's configuration. N and Na/Nd follow the guest's CRYCB
 * format (KVM: format bit 0x2 = APXA); the masks are the guest's own, cut
 * to the format's width. GR1 is left as it was.
 */
static int do_qci(const struct ap_insn_env *env, struct ap_regs *r, int *cc)
{
	uint64_t addr = r->gr[2];
	uint8_t block[AP_QCI_LEN] = {0};
	struct ap_mask apm, aqm, adm;

	if (addr % QCI_ALIGN)
		return AP_PGM_SPECIFICATION;
	if (!mem_ok(env, addr, AP_QCI_LEN))
		return AP_PGM_ADDRESSING;
	if (crycb_has_apxa(env->crycbd)) {
		block[0] = QCI_FLAG_N;
		block[QCI_NA] = (uint8_t)hw_max_apid(env);
		block[QCI_ND] = (uint8_t)hw_max_apqi(env);
	} else {
		block[QCI_NA] = AP_NO_APXA_MAX_APID;
		block[QCI_ND] = AP_NO_APXA_MAX_APQI;
	}
	guest_masks(env, &apm, &aqm, &adm);
	memcpy(block + QCI_APM, apm.b, AP_MASK_BYTES);
	memcpy(block + QCI_AQM, aqm.b, AP_MASK_BYTES);
	memcpy(block + QCI_ADM, adm.b, AP_MASK_BYTES);
	gcopy(guest_ptr(env, addr), block, AP_QCI_LEN); /* guest memory: gcopy.h */
	*cc = 0;
	return 0;
}

/* KVM's checks of an intercepted AQIC, in its order (facts 7.7, steps 5-8). */
static int aqic_check(const struct ap_insn_env *env, uint64_t gr0)
{
	uint32_t bits = (uint32_t)gr0;

	if (bits & AQIC_GR0_MBZ)
		return AP_PGM_SPECIFICATION;
	if ((bits & AP_GR0_T_BIT) && !env->cpu->apft)
		return AP_PGM_SPECIFICATION;
	if (apqn_out_of_range(env, gr0))
		return AP_PGM_SPECIFICATION;
	if (!env->cpu->apqi)
		return AP_PGM_SPECIFICATION;
	return 0;
}

/*
 * Enable: the notification byte must be a non-zero guest address inside
 * memory (vfio_ap_validate_nib), else 0x06; already enabled: 0x07.
 */
static int aqic_enable(const struct ap_insn_env *env, struct qring_host *q, uint64_t gr1,
		       uint64_t nib)
{
	if (nib == 0 || !mem_ok(env, nib, 1))
		return AP_RC_INVALID_ADDRESS;
	if (q->irq)
		return AP_RC_OTHERWISE_CHANGED;
	qring_host_set_irq(q, true, (uint8_t)(gr1 & AP_AQIC_ISC), nib);
	return AP_RC_NORMAL;
}

static int aqic_disable(struct qring_host *q)
{
	if (!q || !q->irq)
		return AP_RC_OTHERWISE_CHANGED;
	qring_host_set_irq(q, false, 0, 0);
	return AP_RC_NORMAL;
}

static int do_aqic(const struct ap_insn_env *env, struct ap_regs *r, int *cc)
{
	struct qring_host *q = NULL;
	int pgm = aqic_check(env, r->gr[0]);
	bool enable = (r->gr[1] & AP_AQIC_IR) != 0;
	int rc;

	if (pgm)
		return pgm;
	/* no vfio_ap hook: KVM answers "not available" itself */
	if (!env->aqic_hook)
		return answer(r, AP_STATUS_RC(AP_RC_Q_NOT_AVAIL), cc);
	rc = reach_queue(env, gr0_apqn(r->gr[0]), enable, &q);
	if (rc != AP_RC_NORMAL)
		return answer(r, AP_STATUS_RC(rc), cc);
	if (enable)
		rc = aqic_enable(env, q, r->gr[1], r->gr[2]);
	else
		rc = aqic_disable(q);
	return answer(r, queue_bits(q) | AP_STATUS_RC(rc), cc);
}

static int do_pqap(const struct ap_insn_env *env, struct ap_regs *r, int *cc)
{
	unsigned int fc = gr0_fc(r->gr[0]);
	int pgm;

	if (fc == AP_FC_AQIC)
		return do_aqic(env, r, cc);
	pgm = pqap_check(env, r->gr[0]);
	if (pgm)
		return pgm;
	switch (fc) {
	case AP_FC_TAPQ:
		return do_tapq(env, r, cc);
	case AP_FC_RAPQ:
	case AP_FC_ZAPQ:
		return do_reset(env, r, cc);
	default: /* AP_FC_QCI: pqap_check let nothing else through */
		return do_qci(env, r, cc);
	}
}

/* ---- NQAP, DQAP ---- */

/*
 * NQAP: the whole message in one go. rc 0x15 (above the adapter's maximum
 * message size, or what the queue's ring can hold) is checked before 0x10
 * (queue full).
 */
static int do_nqap(const struct ap_insn_env *env, const struct ap_insn *insn, struct ap_regs *r,
		   int *cc)
{
	unsigned int apqn = gr0_apqn(r->gr[0]);
	uint64_t addr, len, psmid;
	struct qring_host *q = NULL;
	uint32_t status;
	int rc;

	if (!pair_ok(insn->r1) || !pair_ok(insn->r2))
		return AP_PGM_SPECIFICATION;
	if ((r->gr[0] & NQAP_GR0_MBZ) || apqn_out_of_range(env, r->gr[0]))
		return AP_PGM_SPECIFICATION;
	addr = r->gr[insn->r2];
	len = r->gr[insn->r2 + 1];
	if (len == 0 || len > AP_MSG_MAX)
		return AP_PGM_SPECIFICATION;
	if (!mem_ok(env, addr, len))
		return AP_PGM_ADDRESSING;
	rc = reach_queue(env, apqn, true, &q);
	if (rc != AP_RC_NORMAL)
		return answer(r, AP_STATUS_RC(rc), cc);
	if (len > hw_max_msg_size(env, AP_APQN_APID(apqn)) || len > q->g.slot_size)
		return answer(r, queue_bits(q) | AP_STATUS_RC(AP_RC_MESSAGE_TOO_BIG), cc);
	psmid = r->gr[insn->r1] << 32 | (r->gr[insn->r1 + 1] & 0xffffffffull);
	/* -ENOSPC, or -EAGAIN for a ring whose counters the guest garbled */
	if (qring_put(q->r, &q->g, psmid, guest_ptr(env, addr), (size_t)len) < 0)
		return answer(r, queue_bits(q) | AP_STATUS_RC(AP_RC_Q_FULL), cc);
	r->gr[insn->r2] = addr + len;
	r->gr[insn->r2 + 1] = 0;
	/* the status NQAP left, before an executor can move things on */
	status = queue_bits(q);
	if (env->submitted)
		env->submitted(env->ctx, apqn);
	return answer(r, status, cc);
}

/*
 * DQAP: copy what fits of the oldest reply. R2/R2+1 advance; GR2 (written
 * after the pairs) = the bytes of this reply still to come. Only when the
 * reply has been handed out completely do R1/R1+1 receive its PSMID. The
 * whole buffer R2..R2+R2+1 must lie in guest memory.
 */
static int do_dqap(const struct ap_insn_env *env, const struct ap_insn *insn, struct ap_regs *r,
		   int *cc)
{
	uint64_t addr, buflen, psmid = 0;
	struct qring_host *q = NULL;
	size_t residual = 0;
	long n;
	int rc;

	if (!pair_ok(insn->r1) || !pair_ok(insn->r2))
		return AP_PGM_SPECIFICATION;
	if ((r->gr[0] & DQAP_GR0_MBZ) || apqn_out_of_range(env, r->gr[0]))
		return AP_PGM_SPECIFICATION;
	addr = r->gr[insn->r2];
	buflen = r->gr[insn->r2 + 1];
	if (buflen == 0 || buflen >= DQAP_LEN_LIMIT)
		return AP_PGM_SPECIFICATION;
	if (!mem_ok(env, addr, buflen))
		return AP_PGM_ADDRESSING;
	rc = reach_queue(env, gr0_apqn(r->gr[0]), false, &q);
	if (rc != AP_RC_NORMAL)
		return answer(r, AP_STATUS_RC(rc), cc);
	n = q ? qring_get(q->r, &q->g, guest_ptr(env, addr), (size_t)buflen, &psmid, &residual)
	      : -ENOENT;
	if (n < 0)
		return answer(r, queue_bits(q) | AP_STATUS_RC(AP_RC_Q_FULL), cc);
	r->gr[insn->r2] = addr + (uint64_t)n;
	r->gr[insn->r2 + 1] = buflen - (uint64_t)n;
	if (residual == 0) {
		r->gr[insn->r1] = psmid >> 32;
		r->gr[insn->r1 + 1] = psmid & 0xffffffffull;
	}
	r->gr[2] = residual;
	return answer(r, queue_bits(q), cc);
}

void ap_insn_execute(struct ap_insn_env *env, const struct ap_insn *insn, struct ap_regs *regs,
		     struct ap_insn_result *ret)
{
	struct ap_regs r = *regs;
	int cc = 0;
	int pgm;

	if (!env->cpu || !env->cpu->ap)
		pgm = AP_PGM_OPERATION;
	else if (env->problem_state)
		pgm = AP_PGM_PRIVILEGED;
	else if (insn->opcode == AP_OPC_PQAP)
		pgm = do_pqap(env, &r, &cc);
	else if (insn->opcode == AP_OPC_NQAP)
		pgm = do_nqap(env, insn, &r, &cc);
	else if (insn->opcode == AP_OPC_DQAP)
		pgm = do_dqap(env, insn, &r, &cc);
	else
		pgm = AP_PGM_OPERATION;
	ret->pgm = pgm;
	ret->cc = pgm ? 0 : cc;
	if (!pgm)
		*regs = r;
}
