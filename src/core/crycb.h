/*
 * crycb - the crypto control block as KVM lays it out: the designation
 * (origin | format), formats 0, 1 and 2 (encoded 3), APCB0 and APCB1 with
 * MSB-0 masks, and the DEA/AES wrapping-key masks.
 *
 * Byte offsets (facts 5.2): APCB0 at 0x00 (APM 8 bytes, AQM 8 with 16 bits
 * used, ADM 8 with 16 bits used, 8 reserved), DEA wrapping-key mask at 0x48
 * (24 bytes), AES wrapping-key mask at 0x60 (32 bytes), APCB1 at 0x80 (APM,
 * AQM, ADM 32 bytes each, 32 reserved). Total 256 bytes.
 */
#ifndef APEMU_CORE_CRYCB_H
#define APEMU_CORE_CRYCB_H

#include <stdbool.h>
#include <stdint.h>

#include "mask.h"

#define CRYCB_SIZE 256

#define CRYCB_APCB0	0x00
#define CRYCB_APCB0_APM 0x00
#define CRYCB_APCB0_AQM 0x08
#define CRYCB_APCB0_ADM 0x10
#define CRYCB_APCB0_LEN 32
#define CRYCB_DEA_WKVP	0x48
#define CRYCB_DEA_LEN	24
#define CRYCB_AES_WKVP	0x60
#define CRYCB_AES_LEN	32
#define CRYCB_APCB1	0x80
#define CRYCB_APCB1_APM 0x80
#define CRYCB_APCB1_AQM 0xa0
#define CRYCB_APCB1_ADM 0xc0
#define CRYCB_APCB1_LEN 128

/* The format bits of a designation. Format 2 is encoded as 3. */
#define CRYCB_FORMAT_MASK 0x3u
#define CRYCB_FORMAT0	  0x0u
#define CRYCB_FORMAT1	  0x1u
#define CRYCB_FORMAT2	  0x3u
/* The origin bits: a 31-bit, 8-byte aligned real address. */
#define CRYCB_ORIGIN_MASK 0x7ffffff8u

/* The bytes the machine reads of each format (vSIE's page-crossing checks). */
#define CRYCB_FORMAT0_LEN 32
#define CRYCB_FORMAT1_LEN 128
#define CRYCB_FORMAT2_LEN 256

/* Facility numbers of the CPU model that matter for AP (facts 9). */
#define FAC_APQCI 12
#define FAC_APFT  15
#define FAC_AQIC  65
#define FAC_MSAX3 76

struct crycb {
	uint8_t b[CRYCB_SIZE];
};

/*
 * The format KVM gives a guest: 0 without facility 76 (MSAX3); with it,
 * format 2 when the host has APXA, else format 1.
 */
unsigned int crycb_format_for(bool msax3, bool host_apxa);

/* Does a guest with this designation have APXA? (KVM: format bit 0x2 set) */
static inline bool crycb_has_apxa(uint32_t crycbd)
{
	return (crycbd & 0x2u) != 0;
}

/*
 * A new CRYCB as KVM sets it up at VM creation: all zero, and with MSAX3
 * the wrapping-key masks filled from the caller's random bytes.
 */
void crycb_init(struct crycb *c, bool msax3, const uint8_t dea[CRYCB_DEA_LEN],
		const uint8_t aes[CRYCB_AES_LEN]);

/*
 * Write the masks the way KVM's set-masks does: format 2 copies 32 bytes of
 * each into APCB1; formats 0 and 1 copy 8 bytes of APM and 2 bytes each of
 * AQM and ADM into APCB0. Nothing else is touched.
 */
void crycb_set_masks(struct crycb *c, unsigned int format, const struct ap_mask *apm,
		     const struct ap_mask *aqm, const struct ap_mask *adm);

/* Zero APCB0 and APCB1 (release, removal request). */
void crycb_clear_masks(struct crycb *c);

/* Read the masks back as the machine sees them for this format. */
void crycb_get_masks(const struct crycb *c, unsigned int format, struct ap_mask *ret_apm,
		     struct ap_mask *ret_aqm, struct ap_mask *ret_adm);

#endif
