/*
 * vsie - shadowing a nested guest's CRYCB (see vsie.h).
 *
 * The page checks compare the page of the origin with the page of origin
 * plus the block length, exactly as KVM does (so a block that ends on a page
 * boundary is refused too).
 */
#include <errno.h>
#include <string.h>

#include "vsie.h"

#define PAGE_MASK_4K (~(uint64_t)0xfff)

static bool crosses_page(uint64_t addr, unsigned int len)
{
	return (addr & PAGE_MASK_4K) != ((addr + len) & PAGE_MASK_4K);
}

static void and_bytes(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] &= src[i];
}

/* "10": guest 2's APCB0 narrowed by guest 1's APCB1 into the shadow's APCB1. */
static int apcb_from_apcb0_to_apcb1(struct crycb *sh, const struct crycb *g1, uint64_t origin,
				    vsie_read_fn read, void *ctx)
{
	uint8_t apcb0[CRYCB_APCB0_LEN];

	if (read(ctx, origin, apcb0, sizeof(apcb0)) < 0)
		return VSIE_VIR_READ;
	for (int i = 0; i < 8; i++) {
		sh->b[CRYCB_APCB1_APM + i] =
		    g1->b[CRYCB_APCB1_APM + i] & apcb0[CRYCB_APCB0_APM + i];
		/* only domains 0-15 exist in a format 0/1 block */
		sh->b[CRYCB_APCB1_AQM + i] =
		    i < 2 ? g1->b[CRYCB_APCB1_AQM + i] & apcb0[CRYCB_APCB0_AQM + i] : 0;
		sh->b[CRYCB_APCB1_ADM + i] =
		    i < 2 ? g1->b[CRYCB_APCB1_ADM + i] & apcb0[CRYCB_APCB0_ADM + i] : 0;
	}
	return 0;
}

/* "00": guest 2's APCB0 narrowed by guest 1's APCB0 (all 256 bits). */
static int apcb_from_apcb0_to_apcb0(struct crycb *sh, const struct crycb *g1, uint64_t origin,
				    vsie_read_fn read, void *ctx)
{
	if (read(ctx, origin, sh->b + CRYCB_APCB0, CRYCB_APCB0_LEN) < 0)
		return VSIE_VIR_READ;
	and_bytes(sh->b + CRYCB_APCB0, g1->b + CRYCB_APCB0, CRYCB_APCB0_LEN);
	return 0;
}

/* The shadow APCB by the table of facts 6.1. */
static int setup_apcb(struct crycb *sh, const struct vsie_g1 *g1, uint64_t origin,
		      unsigned int fmt_o, vsie_read_fn read, void *ctx)
{
	switch (fmt_o) {
	case CRYCB_FORMAT2:
		if (crosses_page(origin, CRYCB_FORMAT2_LEN))
			return VSIE_VIR_PAGE;
		if (g1->fmt != CRYCB_FORMAT2)
			return VSIE_VIR_FORMAT;
		if (read(ctx, origin + CRYCB_APCB1, sh->b + CRYCB_APCB1, CRYCB_APCB1_LEN) < 0)
			return VSIE_VIR_READ;
		and_bytes(sh->b + CRYCB_APCB1, g1->crycb->b + CRYCB_APCB1, CRYCB_APCB1_LEN);
		return 0;
	case CRYCB_FORMAT1:
		if (g1->fmt == CRYCB_FORMAT2)
			return apcb_from_apcb0_to_apcb1(sh, g1->crycb, origin, read, ctx);
		if (g1->fmt == CRYCB_FORMAT1)
			return apcb_from_apcb0_to_apcb0(sh, g1->crycb, origin, read, ctx);
		return VSIE_VIR_FORMAT;
	case CRYCB_FORMAT0:
		if (crosses_page(origin, CRYCB_FORMAT0_LEN))
			return VSIE_VIR_PAGE;
		if (g1->fmt == CRYCB_FORMAT2)
			return apcb_from_apcb0_to_apcb1(sh, g1->crycb, origin, read, ctx);
		return apcb_from_apcb0_to_apcb0(sh, g1->crycb, origin, read, ctx);
	default:
		return VSIE_VIR_FORMAT;
	}
}

/* Copy guest 2's wrapping-key masks, XORed with guest 1's, when both allow it. */
static int shadow_keys(struct vsie_shadow *sh, const struct vsie_g1 *g1, const struct vsie_scb *o,
		       uint64_t origin, vsie_read_fn read, void *ctx)
{
	uint8_t ecb3 = o->ecb3 & g1->ecb3 & (VSIE_ECB3_AES | VSIE_ECB3_DEA);
	uint32_t ecd = o->ecd & g1->ecd & (VSIE_ECD_ECC | VSIE_ECD_HMAC);
	const unsigned int len = CRYCB_DEA_LEN + CRYCB_AES_LEN;

	if (!ecb3 && !ecd)
		return 0;
	if (read(ctx, origin + CRYCB_DEA_WKVP, sh->crycb.b + CRYCB_DEA_WKVP, len) < 0)
		return VSIE_VIR_READ;
	sh->ecb3 |= ecb3;
	sh->ecd |= ecd;
	for (unsigned int i = 0; i < len; i++)
		sh->crycb.b[CRYCB_DEA_WKVP + i] ^= g1->crycb->b[CRYCB_DEA_WKVP + i];
	return 0;
}

static int build_shadow(const struct vsie_g1 *g1, const struct vsie_scb *o, vsie_read_fn read,
			void *ctx, struct vsie_shadow *ret)
{
	uint64_t origin = o->crycbd & CRYCB_ORIGIN_MASK;
	unsigned int fmt_o = o->crycbd & CRYCB_FORMAT_MASK;
	bool apie_s = g1->apie && o->apie;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (!apie_s && (!g1->msax3 || fmt_o == CRYCB_FORMAT0))
		return 0;
	if (!origin)
		return VSIE_VIR_NO_CRYCB;
	if (fmt_o == CRYCB_FORMAT1 && crosses_page(origin, CRYCB_FORMAT1_LEN))
		return VSIE_VIR_PAGE;
	if (apie_s) {
		r = setup_apcb(&ret->crycb, g1, origin, fmt_o, read, ctx);
		if (r)
			return r;
		ret->apie = true;
	}
	r = shadow_keys(ret, g1, o, origin, read, ctx);
	if (r)
		return r;
	ret->crycbd = CRYCB_FORMAT2;
	return 0;
}

int vsie_shadow_crycb(const struct vsie_g1 *g1, const struct vsie_scb *o, vsie_read_fn read,
		      void *ctx, struct vsie_shadow *ret)
{
	int r = build_shadow(g1, o, read, ctx, ret);

	/* a guest 2 with a validity intercept does not run: nothing half-built is left */
	if (r)
		memset(ret, 0, sizeof(*ret));
	return r;
}
