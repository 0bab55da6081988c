/*
 * machine - the emulated AP hardware (see machine.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "machine.h"

#define DEFAULT_DEPTH	     7
#define DEFAULT_MAX_MSG_SIZE 12288

unsigned int machine_max_apid(const struct ap_machine *m)
{
	return m->info.qci && m->info.apxa ? m->info.na : AP_NO_APXA_MAX_APID;
}

int machine_check_apid(const struct ap_machine *m, unsigned long apid)
{
	return apid > machine_max_apid(m) ? -EINVAL : 0;
}

unsigned int machine_max_apqi(const struct ap_machine *m)
{
	return m->info.qci && m->info.apxa ? m->info.nd : AP_NO_APXA_MAX_APQI;
}

int machine_init(struct ap_machine *m, const struct ap_machine_info *info)
{
	unsigned int max_apqi = info->qci && info->apxa ? info->nd : AP_NO_APXA_MAX_APQI;

	if (ap_mask_any_above(&info->usage_domains, max_apqi) ||
	    ap_mask_any_above(&info->control_domains, max_apqi))
		return -EINVAL;
	memset(m, 0, sizeof(*m));
	m->info = *info;
	return 0;
}

/* Illustrative EP11 card info where the description gives none. */
#define DEFAULT_EP11_API_ORDINAL 6
#define DEFAULT_EP11_FW_MINOR	 2
#define EP11_OPM_ALL                                                                               \
	(AP_EP11_OPM_FIPS2009 | AP_EP11_OPM_BSI2009 | AP_EP11_OPM_FIPS2011 | AP_EP11_OPM_BSI2011 | \
	 AP_EP11_OPM_BSICC2017)
#define FUNC_MODE_BITS (AP_FUNC_COPRO | AP_FUNC_ACCEL | AP_FUNC_EP11)

const char *machine_ep11_op_mode_name(unsigned int bit)
{
	static const char *const names[AP_EP11_OPM_BITS] = {
	    [0] = "FIPS2009", [1] = "BSI2009", [2] = "FIPS2011", [3] = "BSI2011", [6] = "BSICC2017",
	};

	return bit < AP_EP11_OPM_BITS ? names[bit] : NULL;
}

void machine_ep11_default(unsigned int gen, struct ap_ep11_info *ret)
{
	ret->api_ordinal = DEFAULT_EP11_API_ORDINAL;
	ret->fw_version = (uint16_t)(gen << 8 | DEFAULT_EP11_FW_MINOR);
	ret->op_modes = 0;
}

size_t machine_serial_len(enum ap_mode mode)
{
	switch (mode) {
	case AP_MODE_CCA:
		return 8;
	case AP_MODE_EP11:
		return 16;
	default:
		return 0;
	}
}

uint32_t machine_mode_function(enum ap_mode mode)
{
	switch (mode) {
	case AP_MODE_CCA:
		return AP_FUNC_COPRO;
	case AP_MODE_EP11:
		return AP_FUNC_EP11;
	default:
		return AP_FUNC_ACCEL;
	}
}

/* A pattern that looks random but is the same for an adapter id on every run. */
static uint64_t pattern(unsigned int id, unsigned int reg)
{
	uint64_t x = 0x9e3779b97f4a7c15ull * (id * 16u + reg + 1u);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* What a coprocessor domain shows when the description states nothing:
 * current master keys (CCA AES and APKA; EP11 wrapping key) set, nothing
 * new loaded, no old CCA keys; id tells the domains apart. */
static void default_mkvps(unsigned int id, struct ap_mkvps *k)
{
	memset(k, 0, sizeof(*k));
	k->cca_state[AP_CCA_AES_NEW] = AP_MK_EMPTY;
	k->cca_state[AP_CCA_AES_CUR] = AP_MK_VALID;
	k->cca_state[AP_CCA_AES_OLD] = AP_MK_INVALID;
	k->cca_state[AP_CCA_APKA_NEW] = AP_MK_EMPTY;
	k->cca_state[AP_CCA_APKA_CUR] = AP_MK_VALID;
	k->cca_state[AP_CCA_APKA_OLD] = AP_MK_INVALID;
	k->cca_vp[AP_CCA_AES_CUR] = pattern(id, 0);
	k->cca_vp[AP_CCA_APKA_CUR] = pattern(id, 1);
	k->ep11_state[AP_EP11_WK_CUR] = AP_MK_VALID;
	k->ep11_state[AP_EP11_WK_NEW] = AP_MK_EMPTY;
	for (unsigned int i = 0; i < AP_EP11_WKVP_LEN / 8; i++)
		for (unsigned int b = 0; b < 8; b++)
			k->ep11_vp[AP_EP11_WK_CUR][i * 8 + b] =
			    (uint8_t)(pattern(id, 2 + i) >> (56 - 8 * b));
}

static bool mk_state_ok(uint8_t st, bool new_reg, bool ep11)
{
	if (st == AP_MK_NONE)
		return true;
	if (ep11 && new_reg)
		return st == AP_MK_EMPTY || st == AP_MK_UNCOMMITTED || st == AP_MK_COMMITTED;
	if (ep11 || !new_reg)
		return st == AP_MK_INVALID || st == AP_MK_VALID;
	return st == AP_MK_EMPTY || st == AP_MK_PARTIAL || st == AP_MK_FULL;
}

static bool mkvps_ok(const struct ap_mkvps *k)
{
	for (unsigned int i = 0; i < AP_CCA_MK_REGS; i++)
		if (!mk_state_ok(k->cca_state[i], i == AP_CCA_AES_NEW || i == AP_CCA_APKA_NEW,
				 false))
			return false;
	for (unsigned int i = 0; i < AP_EP11_WK_REGS; i++)
		if (!mk_state_ok(k->ep11_state[i], i == AP_EP11_WK_NEW, true))
			return false;
	return true;
}

/* The card-kind specific parts: serial, functions, EP11 info, patterns. */
static int check_adapter_kind(const struct ap_adapter_desc *d)
{
	bool ep11 = d->mode == AP_MODE_EP11;

	if (d->serial && strlen(d->serial) > machine_serial_len(d->mode))
		return -EINVAL;
	if (d->functions && (d->functions & FUNC_MODE_BITS) != machine_mode_function(d->mode))
		return -EINVAL;
	if (d->ep11 && (!ep11 || (d->ep11->op_modes & ~(uint32_t)EP11_OPM_ALL)))
		return -EINVAL;
	if (d->mkvps && (d->mode == AP_MODE_ACCEL || !mkvps_ok(d->mkvps)))
		return -EINVAL;
	return 0;
}

static int check_adapter_desc(const struct ap_machine *m, const struct ap_adapter_desc *d)
{
	if (machine_check_apid(m, d->id) < 0)
		return -EINVAL;
	if (d->gen < AP_GEN_MIN || d->gen > AP_GEN_MAX)
		return -EINVAL;
	if (d->mode != AP_MODE_ACCEL && d->mode != AP_MODE_CCA && d->mode != AP_MODE_EP11)
		return -EINVAL;
	if (d->depth < -1 || d->depth > AP_QD_MAX)
		return -EINVAL;
	if (d->max_msg_size != -1 &&
	    (d->max_msg_size <= 0 || d->max_msg_size % 4096 || d->max_msg_size > (int)AP_MSG_MAX))
		return -EINVAL;
	if (check_adapter_kind(d) < 0)
		return -EINVAL;
	if (m->adapter[d->id].present)
		return -EEXIST;
	return 0;
}

int machine_add_adapter(struct ap_machine *m, const struct ap_adapter_desc *d)
{
	struct ap_adapter *a;
	int r = check_adapter_desc(m, d);

	if (r < 0)
		return r;
	a = &m->adapter[d->id];
	memset(a, 0, sizeof(*a));
	a->present = true;
	a->gen = (uint8_t)d->gen;
	a->mode = d->mode;
	a->depth = (uint8_t)(d->depth < 0 ? DEFAULT_DEPTH : d->depth);
	a->max_msg_size = (uint32_t)(d->max_msg_size < 0 ? DEFAULT_MAX_MSG_SIZE : d->max_msg_size);
	if (d->serial)
		snprintf(a->serial, sizeof(a->serial), "%s", d->serial);
	else if (d->mode == AP_MODE_CCA)
		snprintf(a->serial, sizeof(a->serial), "APEMU%03u", d->id);
	else if (d->mode == AP_MODE_EP11)
		snprintf(a->serial, sizeof(a->serial), "APEMU%03uEP11CARD", d->id);
	a->functions = d->functions;
	if (d->ep11)
		a->ep11 = *d->ep11;
	else if (d->mode == AP_MODE_EP11)
		machine_ep11_default(d->gen, &a->ep11);
	a->mkvps_given = d->mkvps != NULL;
	if (d->mkvps)
		a->mkvps = *d->mkvps;
	a->configured = true;
	ap_mask_set(&m->present, d->id);
	return 0;
}

void machine_queue_mkvps(const struct ap_adapter *a, unsigned int apid, unsigned int apqi,
			 struct ap_mkvps *ret)
{
	if (a->mkvps_given)
		*ret = a->mkvps;
	else
		default_mkvps(AP_APQN(apid, apqi), ret);
}

int machine_remove_adapter(struct ap_machine *m, unsigned int id)
{
	if (id >= AP_DEVICES || !ap_mask_test(&m->present, id))
		return -ENODEV;
	memset(&m->adapter[id], 0, sizeof(m->adapter[id]));
	ap_mask_clear(&m->present, id);
	return 0;
}

void machine_unconfigure_adapter(struct ap_machine *m, unsigned int id)
{
	if (id < AP_DEVICES) {
		m->adapter[id].present = false;
		ap_mask_clear(&m->present, id);
	}
}

void machine_adapter_mask(const struct ap_machine *m, struct ap_mask *ret)
{
	*ret = m->present;
}

bool machine_apqn_exists(const struct ap_machine *m, unsigned int apid, unsigned int apqi)
{
	return apid < AP_DEVICES && m->adapter[apid].present && apqi <= machine_max_apqi(m) &&
	       ap_mask_test(&m->info.usage_domains, apqi);
}

unsigned int machine_hwtype(const struct ap_adapter *a)
{
	return AP_HWTYPE_CEX4 + a->gen - AP_GEN_MIN;
}

uint32_t machine_functions(const struct ap_machine *m, const struct ap_adapter *a)
{
	uint32_t f = AP_FUNC_FULL;

	if (a->functions)
		return a->functions;
	switch (a->mode) {
	case AP_MODE_ACCEL:
		f |= AP_FUNC_MEX4K | AP_FUNC_CRT4K | AP_FUNC_ACCEL;
		break;
	case AP_MODE_CCA:
		f |= AP_FUNC_APSC | AP_FUNC_MEX4K | AP_FUNC_CRT4K | AP_FUNC_COPRO;
		break;
	case AP_MODE_EP11:
		f |= AP_FUNC_APSC | AP_FUNC_EP11;
		break;
	}
	if (m->info.qci && m->info.apxa)
		f |= AP_FUNC_APXA;
	return f;
}

const char *machine_mode_name(enum ap_mode mode)
{
	switch (mode) {
	case AP_MODE_ACCEL:
		return "accel";
	case AP_MODE_CCA:
		return "cca";
	case AP_MODE_EP11:
		return "ep11";
	}
	return "unknown";
}

void machine_type_name(const struct ap_adapter *a, char out[6])
{
	static const char letter[] = {
	    [AP_MODE_ACCEL] = 'A', [AP_MODE_CCA] = 'C', [AP_MODE_EP11] = 'P'};

	snprintf(out, 6, "CEX%u%c", (unsigned int)a->gen % 10, letter[a->mode]);
}

int machine_queue_rc(const struct ap_adapter *a)
{
	if (!a->present)
		return AP_RC_Q_NOT_AVAIL;
	if (a->chkstop)
		return AP_RC_CHECKSTOPPED;
	if (!a->configured)
		return AP_RC_DECONFIGURED;
	return AP_RC_NORMAL;
}
