/*
 * crycb - the crypto control block (see crycb.h).
 */
#include <string.h>

#include "crycb.h"

unsigned int crycb_format_for(bool msax3, bool host_apxa)
{
	if (!msax3)
		return CRYCB_FORMAT0;
	return host_apxa ? CRYCB_FORMAT2 : CRYCB_FORMAT1;
}

void crycb_init(struct crycb *c, bool msax3, const uint8_t dea[CRYCB_DEA_LEN],
		const uint8_t aes[CRYCB_AES_LEN])
{
	memset(c, 0, sizeof(*c));
	if (!msax3)
		return;
	memcpy(c->b + CRYCB_DEA_WKVP, dea, CRYCB_DEA_LEN);
	memcpy(c->b + CRYCB_AES_WKVP, aes, CRYCB_AES_LEN);
}

void crycb_set_masks(struct crycb *c, unsigned int format, const struct ap_mask *apm,
		     const struct ap_mask *aqm, const struct ap_mask *adm)
{
	if ((format & CRYCB_FORMAT_MASK) == CRYCB_FORMAT2) {
		memcpy(c->b + CRYCB_APCB1_APM, apm->b, AP_MASK_BYTES);
		memcpy(c->b + CRYCB_APCB1_AQM, aqm->b, AP_MASK_BYTES);
		memcpy(c->b + CRYCB_APCB1_ADM, adm->b, AP_MASK_BYTES);
		return;
	}
	memcpy(c->b + CRYCB_APCB0_APM, apm->b, 8);
	memcpy(c->b + CRYCB_APCB0_AQM, aqm->b, 2);
	memcpy(c->b + CRYCB_APCB0_ADM, adm->b, 2);
}

void crycb_clear_masks(struct crycb *c)
{
	memset(c->b + CRYCB_APCB0, 0, CRYCB_APCB0_LEN);
	memset(c->b + CRYCB_APCB1, 0, CRYCB_APCB1_LEN);
}

void crycb_get_masks(const struct crycb *c, unsigned int format, struct ap_mask *ret_apm,
		     struct ap_mask *ret_aqm, struct ap_mask *ret_adm)
{
	ap_mask_zero(ret_apm);
	ap_mask_zero(ret_aqm);
	ap_mask_zero(ret_adm);
	if ((format & CRYCB_FORMAT_MASK) == CRYCB_FORMAT2) {
		memcpy(ret_apm->b, c->b + CRYCB_APCB1_APM, AP_MASK_BYTES);
		memcpy(ret_aqm->b, c->b + CRYCB_APCB1_AQM, AP_MASK_BYTES);
		memcpy(ret_adm->b, c->b + CRYCB_APCB1_ADM, AP_MASK_BYTES);
		return;
	}
	memcpy(ret_apm->b, c->b + CRYCB_APCB0_APM, 8);
	memcpy(ret_aqm->b, c->b + CRYCB_APCB0_AQM, 2);
	memcpy(ret_adm->b, c->b + CRYCB_APCB0_ADM, 2);
}
