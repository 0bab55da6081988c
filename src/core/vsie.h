/*
 * vsie - shadowing a nested guest's CRYCB (KVM's vSIE, facts 6).
 *
 * Guest 1 runs guest 2 with a SIE block whose CRYCB designation points into
 * guest 1's memory. The host builds a private shadow CRYCB from it whose
 * masks are only ever narrowed by guest 1's own, and whose wrapping-key masks
 * are XORed with guest 1's. Invalid blocks give a validity intercept to
 * guest 1 instead.
 */
#ifndef APEMU_CORE_VSIE_H
#define APEMU_CORE_VSIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crycb.h"

/* Validity intercept codes. */
#define VSIE_VIR_FORMAT	  0x0022 /* format combination not allowed */
#define VSIE_VIR_READ	  0x0035 /* guest 1 memory could not be read */
#define VSIE_VIR_NO_CRYCB 0x0039 /* designation without an origin */
#define VSIE_VIR_PAGE	  0x003c /* block crosses a page boundary */

/* SIE block bits that matter. */
#define VSIE_ECB3_AES 0x04
#define VSIE_ECB3_DEA 0x08
#define VSIE_ECD_ECC  0x00200000u
#define VSIE_ECD_HMAC 0x00004000u

/* Guest 1 as the host knows it. */
struct vsie_g1 {
	const struct crycb *crycb; /* guest 1's own CRYCB */
	unsigned int fmt;	   /* its format (0, 1 or 3) */
	bool apie;		   /* ECA_APIE: AP interpretation on */
	bool msax3;		   /* facility 76 available to guest 1 */
	uint8_t ecb3;
	uint32_t ecd;
};

/* Guest 2's SIE block fields as guest 1 wrote them. */
struct vsie_scb {
	uint32_t crycbd;
	bool apie;
	uint8_t ecb3;
	uint32_t ecd;
};

struct vsie_shadow {
	struct crycb crycb;
	uint32_t crycbd; /* 0: no CRYCB; else CRYCB_FORMAT2 (origin left to the caller) */
	bool apie;
	uint8_t ecb3;
	uint32_t ecd;
};

/* Read len bytes of guest 1 real memory at addr: 0, or -EFAULT. */
typedef int (*vsie_read_fn)(void *ctx, uint64_t addr, void *buf, size_t len);

/*
 * Build the shadow. Returns 0 (ret->crycbd says whether guest 2 has a CRYCB)
 * or a validity intercept code (VSIE_VIR_*), with *ret then all zero.
 */
int vsie_shadow_crycb(const struct vsie_g1 *g1, const struct vsie_scb *o, vsie_read_fn read,
		      void *ctx, struct vsie_shadow *ret);

#endif
