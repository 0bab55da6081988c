/*
 * guest_insn - kernel-shaped AP instruction helpers over the ring, the way
 * drivers/s390/crypto/ap_asm.h issues them: GR0 carries the function code
 * and the APQN, the status word comes back in GR1 bits 32-63, TAPQ's
 * information in GR2, QCI's block at the address in GR2. NQAP and DQAP use
 * the register pairs R1 = 4/5 (PSMID) and R2 = 6/7 (address, length); GR2
 * receives DQAP's residual count.
 */
#include <errno.h>
#include <string.h>

#include "ap_arch.h"
#include "guest_int.h"

#define PAIR_PSMID 4 /* R1: GR4 high word, GR5 low word */
#define PAIR_MSG   6 /* R2: GR6 address, GR7 length */

static void result(struct apemu_ap_result *ret, const struct apemu_exec_result *res,
		   const uint64_t gr[16], bool has_status)
{
	ret->pgm = res->pgm;
	ret->validity = res->validity;
	ret->cc = res->cc;
	ret->status = !res->pgm && !res->validity && has_status ? (uint32_t)gr[1] : 0;
}

/* A PQAP with GR0, GR1 and GR2 as given; *ret filled, gr updated. */
static int pqap(struct apemu_guest *g, uint64_t gr[16], bool has_status,
		struct apemu_ap_result *ret)
{
	struct apemu_exec_result res;
	int r;

	if (!ret)
		return -EINVAL;
	r = guest_exec(g, APEMU_OPC_PQAP, 0, 0, gr, &res);
	if (r < 0)
		return r;
	result(ret, &res, gr, has_status);
	return 0;
}

static int too_big(struct apemu_guest *g, const char *what, size_t len)
{
	guest_set_message(g, "%s of %zu bytes does not fit the message area (%zu bytes)", what, len,
			  guest_msg_area(g));
	return -EMSGSIZE;
}

static bool completed(const struct apemu_ap_result *ret)
{
	return !ret->pgm && !ret->validity;
}

APEMU_PUBLIC int apemu_tapq(struct apemu_guest *g, uint16_t apqn, bool t,
			    struct apemu_ap_result *ret, uint64_t *ret_info)
{
	uint64_t gr[16] = {AP_GR0_FC(AP_FC_TAPQ) | (t ? AP_GR0_T_BIT : 0) | apqn};
	int r = pqap(g, gr, true, ret);

	if (r == 0 && completed(ret) && t && ret_info)
		*ret_info = gr[2];
	return r;
}

APEMU_PUBLIC int apemu_rapq(struct apemu_guest *g, uint16_t apqn, bool fbit,
			    struct apemu_ap_result *ret)
{
	uint64_t gr[16] = {AP_GR0_FC(AP_FC_RAPQ) | (fbit ? AP_GR0_F_BIT : 0) | apqn};

	return pqap(g, gr, true, ret);
}

APEMU_PUBLIC int apemu_zapq(struct apemu_guest *g, uint16_t apqn, bool fbit,
			    struct apemu_ap_result *ret)
{
	uint64_t gr[16] = {AP_GR0_FC(AP_FC_ZAPQ) | (fbit ? AP_GR0_F_BIT : 0) | apqn};

	return pqap(g, gr, true, ret);
}

APEMU_PUBLIC int apemu_aqic(struct apemu_guest *g, uint16_t apqn, bool enable, uint8_t isc,
			    uint64_t nib_addr, struct apemu_ap_result *ret)
{
	uint64_t gr[16] = {AP_GR0_FC(AP_FC_AQIC) | apqn};

	if (enable) {
		gr[1] = AP_AQIC_IR | (isc & AP_AQIC_ISC);
		gr[2] = nib_addr;
	}
	return pqap(g, gr, true, ret);
}

APEMU_PUBLIC int apemu_qci(struct apemu_guest *g, uint8_t info[128], struct apemu_ap_result *ret)
{
	uint64_t gr[16] = {AP_GR0_FC(AP_FC_QCI)};
	int r;

	gr[2] = g->base + APEMU_GUEST_QCI_ADDR;
	r = pqap(g, gr, false, ret);
	if (r == 0 && completed(ret) && info)
		memcpy(info, g->mem + g->base + APEMU_GUEST_QCI_ADDR, AP_QCI_LEN);
	return r;
}

APEMU_PUBLIC int apemu_nqap(struct apemu_guest *g, uint16_t apqn, uint64_t psmid, const void *msg,
			    size_t len, struct apemu_ap_result *ret)
{
	uint64_t gr[16] = {AP_GR0_NQAP_LAST | apqn};
	struct apemu_exec_result res;
	int r;

	if (!ret || (len && !msg))
		return -EINVAL;
	if (len > guest_msg_area(g))
		return too_big(g, "NQAP message", len);
	if (guest_dp_nqap(g, apqn, psmid, msg, len, ret))
		return 0;
	if (len)
		memcpy(g->mem + g->base + APEMU_GUEST_MSG_ADDR, msg, len);
	gr[PAIR_PSMID] = psmid >> 32;
	gr[PAIR_PSMID + 1] = psmid & 0xffffffffull;
	gr[PAIR_MSG] = g->base + APEMU_GUEST_MSG_ADDR;
	gr[PAIR_MSG + 1] = len;
	r = guest_exec(g, APEMU_OPC_NQAP, PAIR_PSMID, PAIR_MSG, gr, &res);
	if (r < 0)
		return r;
	result(ret, &res, gr, true);
	return 0;
}

APEMU_PUBLIC int apemu_dqap(struct apemu_guest *g, uint16_t apqn, uint64_t *ret_psmid, void *buf,
			    size_t len, size_t *ret_len, size_t *ret_residual,
			    struct apemu_ap_result *ret)
{
	uint64_t gr[16] = {AP_GR0_DQAP_B32 | apqn};
	struct apemu_exec_result res;
	uint64_t got;
	int r;

	if (!ret || (len && !buf))
		return -EINVAL;
	if (len > guest_msg_area(g))
		return too_big(g, "DQAP buffer", len);
	if (guest_dp_dqap(g, apqn, ret_psmid, buf, len, ret_len, ret_residual, ret))
		return 0;
	gr[PAIR_MSG] = g->base + APEMU_GUEST_MSG_ADDR;
	gr[PAIR_MSG + 1] = len;
	r = guest_exec(g, APEMU_OPC_DQAP, PAIR_PSMID, PAIR_MSG, gr, &res);
	if (r < 0)
		return r;
	result(ret, &res, gr, true);
	if (!completed(ret))
		return 0;
	/* R2 advanced by what was stored; never trust it beyond the buffer */
	got = gr[PAIR_MSG] - (g->base + APEMU_GUEST_MSG_ADDR);
	if (gr[PAIR_MSG] < g->base + APEMU_GUEST_MSG_ADDR || got > len)
		got = 0;
	if (got)
		memcpy(buf, g->mem + g->base + APEMU_GUEST_MSG_ADDR, got);
	if (ret_len)
		*ret_len = (size_t)got;
	if (ret_residual)
		*ret_residual = ret->cc == 0 ? (size_t)gr[2] : 0;
	if (ret_psmid && ret->cc == 0 && gr[2] == 0)
		*ret_psmid = gr[PAIR_PSMID] << 32 | (gr[PAIR_PSMID + 1] & 0xffffffffull);
	return 0;
}
