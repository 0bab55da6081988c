/*
 * vsie_test - shadowing a guest-2 CRYCB (vsie.c) against facts 6 and 6.1.
 *
 * Invariant: the shadow never gives guest 2 more than guest 1 has. Its masks
 * are guest 2's ANDed with guest 1's over every bit (APCB1 with APCB1 for
 * 2/2; APCB0 into the first 64/16/16 bits of APCB1 for 1/2 and 0/2; APCB0
 * with APCB0 for 1/1, 0/0 and 0/1), its APIE is set only when both levels
 * set it, its wrapping-key masks are copied only when both levels' ECB3/ECD
 * key flags meet and are then XORed with guest 1's, and its designation is
 * always format 2. Without APIE and with no MSAX3 or a format-0 block there
 * is no shadow at all. Anything the host cannot shadow is a validity
 * intercept with the facts' code (0x0039 no origin, 0x003c page crossing,
 * 0x0022 format combination, 0x0035 unreadable guest-1 memory), and then
 * the shadow designation stays 0.
 *
 * Guest 1's memory is a 3-page byte array; reads outside it, or inside a
 * "hole" a test punches, fail with -EFAULT.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vsie.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define PAGE	 0x1000u
#define MEM_SIZE (3 * PAGE)
#define ORIGIN	 0x1000u /* a well-placed guest-2 CRYCB: start of page 1 */
#define NHOLES	 2

#define KEYS_OFF       CRYCB_DEA_WKVP		       /* 0x48 */
#define KEYS_LEN       (CRYCB_DEA_LEN + CRYCB_AES_LEN) /* 56 */
#define KEY_FLAGS_ECB3 (VSIE_ECB3_AES | VSIE_ECB3_DEA)
#define KEY_FLAGS_ECD  (VSIE_ECD_ECC | VSIE_ECD_HMAC)

/* 16 copies of one byte: a hex dump row. */
#define ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
#define Z      ROW(0x00)

/* ---- guest 1 memory ---- */

struct hole {
	uint64_t lo, hi; /* [lo, hi) faults; unused when lo == hi */
};

struct g1mem {
	uint8_t b[MEM_SIZE];
	struct hole hole[NHOLES];
	unsigned int nreads;
};

static int g1_read(void *ctx, uint64_t addr, void *buf, size_t len)
{
	struct g1mem *m = ctx;

	m->nreads++;
	if (addr > MEM_SIZE || len > MEM_SIZE - addr)
		return -EFAULT;
	for (int i = 0; i < NHOLES; i++) {
		const struct hole *h = &m->hole[i];

		if (h->lo < h->hi && addr < h->hi && addr + len > h->lo)
			return -EFAULT;
	}
	memcpy(buf, m->b + addr, len);
	return 0;
}

/* ---- the world of one nested run ---- */

struct world {
	struct g1mem mem;
	struct crycb g1cb;
	struct vsie_g1 g1;
	struct vsie_scb o;
	struct vsie_shadow sh;
};

/*
 * Guest 1 with format fmt_h, APIE and MSAX3; guest 2 with a format fmt_o
 * block at ORIGIN and APIE; no key flags; all memory and CRYCBs zero.
 */
static void world_init(struct world *w, unsigned int fmt_h, unsigned int fmt_o)
{
	memset(w, 0, sizeof(*w));
	w->g1.crycb = &w->g1cb;
	w->g1.fmt = fmt_h;
	w->g1.apie = true;
	w->g1.msax3 = true;
	w->o.crycbd = ORIGIN | fmt_o;
	w->o.apie = true;
}

static int run(struct world *w)
{
	memset(&w->sh, 0xa5, sizeof(w->sh));
	w->mem.nreads = 0;
	return vsie_shadow_crycb(&w->g1, &w->o, g1_read, &w->mem, &w->sh);
}

static uint64_t origin_of(const struct world *w)
{
	return w->o.crycbd & 0x7ffffff8u;
}

/* Guest 2's 256-byte CRYCB as it sits in guest-1 memory. */
static uint8_t *g2cb(struct world *w)
{
	return w->mem.b + origin_of(w);
}

static void punch(struct world *w, int i, uint64_t lo, uint64_t hi)
{
	w->mem.hole[i].lo = lo;
	w->mem.hole[i].hi = hi;
}

static void set_key_flags(struct world *w, uint8_t ecb3, uint32_t ecd)
{
	w->o.ecb3 = w->g1.ecb3 = ecb3;
	w->o.ecd = w->g1.ecd = ecd;
}

static void assert_validity(struct world *w, int code)
{
	int rc = run(w);

	if (rc != code)
		fail_msg("crycbd_o %#x fmt_h %u apie %d/%d: rc %#x, want %#x", w->o.crycbd,
			 w->g1.fmt, w->g1.apie, w->o.apie, rc, code);
	assert_int_equal(w->sh.crycbd, 0);
}

static void assert_shadowed(struct world *w)
{
	int rc = run(w);

	if (rc != 0)
		fail_msg("crycbd_o %#x fmt_h %u apie %d/%d: rc %#x, want 0", w->o.crycbd, w->g1.fmt,
			 w->g1.apie, w->o.apie, rc);
	assert_int_equal(w->sh.crycbd, CRYCB_FORMAT2);
}

static void assert_no_shadow(struct world *w)
{
	static const uint8_t zero[CRYCB_SIZE];

	assert_int_equal(run(w), 0);
	assert_int_equal(w->sh.crycbd, 0);
	assert_false(w->sh.apie);
	assert_int_equal(w->sh.ecb3, 0);
	assert_int_equal(w->sh.ecd, 0);
	assert_memory_equal(w->sh.crycb.b, zero, CRYCB_SIZE);
	assert_int_equal(w->mem.nreads, 0);
}

/* The combinations facts 6.1 accepts: {fmt_o, fmt_h}. */
struct combo {
	unsigned int fmt_o, fmt_h;
};

static const struct combo accepted[] = {
    {CRYCB_FORMAT2, CRYCB_FORMAT2}, /* "11" */
    {CRYCB_FORMAT1, CRYCB_FORMAT2}, /* "10" */
    {CRYCB_FORMAT0, CRYCB_FORMAT2}, /* "10" */
    {CRYCB_FORMAT1, CRYCB_FORMAT1}, /* "00" */
    {CRYCB_FORMAT0, CRYCB_FORMAT0}, /* "00" */
    {CRYCB_FORMAT0, CRYCB_FORMAT1}, /* "00" */
};

/* ---- step 3: nothing to shadow ---- */

static void test_no_shadow_when_apie_off_and_guest1_lacks_msax3(void **state)
{
	static const bool apie[][2] = {{false, false}, {false, true}, {true, false}};
	/* well placed, no origin, format-1 page crossing */
	static const uint32_t origins[] = {ORIGIN, 0, 2 * PAGE - 120};
	struct world w;

	(void)state;
	for (size_t a = 0; a < ARRAY_SIZE(apie); a++)
		for (unsigned int fmt_o = 0; fmt_o < 4; fmt_o++)
			for (size_t k = 0; k < ARRAY_SIZE(origins); k++) {
				world_init(&w, CRYCB_FORMAT2, fmt_o);
				memset(w.mem.b, 0xff, sizeof(w.mem.b));
				memset(w.g1cb.b, 0xff, sizeof(w.g1cb.b));
				w.g1.apie = apie[a][0];
				w.o.apie = apie[a][1];
				w.g1.msax3 = false;
				w.o.crycbd = origins[k] | fmt_o;
				set_key_flags(&w, 0xff, 0xffffffffu);
				assert_no_shadow(&w);
			}
}

static void test_no_shadow_when_apie_off_and_guest2_format0(void **state)
{
	static const bool apie[][2] = {{false, false}, {false, true}, {true, false}};
	/* well placed, no origin, format-0 page crossing */
	static const uint32_t origins[] = {ORIGIN, 0, 2 * PAGE - 24};
	struct world w;

	(void)state;
	for (size_t a = 0; a < ARRAY_SIZE(apie); a++)
		for (size_t k = 0; k < ARRAY_SIZE(origins); k++) {
			world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT0);
			memset(w.mem.b, 0xff, sizeof(w.mem.b));
			memset(w.g1cb.b, 0xff, sizeof(w.g1cb.b));
			w.g1.apie = apie[a][0];
			w.o.apie = apie[a][1];
			w.o.crycbd = origins[k] | CRYCB_FORMAT0;
			set_key_flags(&w, 0xff, 0xffffffffu);
			assert_no_shadow(&w);
		}
}

/* ---- step 4: no origin ---- */

static void test_designation_without_origin_gives_validity_0039(void **state)
{
	/* only bits 1-28 are the origin: 0x80000000 and 0x4 are not */
	static const uint32_t crycbds[] = {
	    0x00000000, 0x00000001, 0x00000002, 0x00000003, 0x00000007, 0x80000001, 0x80000007,
	};
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(crycbds); k++) {
		/* APIE on: any format */
		world_init(&w, CRYCB_FORMAT2, 0);
		w.o.crycbd = crycbds[k];
		assert_validity(&w, VSIE_VIR_NO_CRYCB);

		w.g1.msax3 = false;
		assert_validity(&w, VSIE_VIR_NO_CRYCB);

		/* keys only: MSAX3 and a format other than 0 */
		if ((crycbds[k] & 3) == 0)
			continue;
		world_init(&w, CRYCB_FORMAT2, 0);
		w.o.crycbd = crycbds[k];
		w.o.apie = false;
		assert_validity(&w, VSIE_VIR_NO_CRYCB);
	}
}

/* ---- page crossing (steps 5 and 6) ---- */

static void test_format1_block_reaching_next_page_gives_validity_003c(void **state)
{
	/* origin + 128: exactly the next page, inside it, at its end */
	static const uint32_t origins[] = {2 * PAGE - 128, 2 * PAGE - 120, 2 * PAGE - 8};
	static const unsigned int fmt_h[] = {CRYCB_FORMAT1, CRYCB_FORMAT2};
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(origins); k++)
		for (size_t h = 0; h < ARRAY_SIZE(fmt_h); h++) {
			world_init(&w, fmt_h[h], CRYCB_FORMAT1);
			w.o.crycbd = origins[k] | CRYCB_FORMAT1;
			assert_validity(&w, VSIE_VIR_PAGE);

			/* checked before APIE matters: keys-only shadowing too */
			w.o.apie = false;
			assert_validity(&w, VSIE_VIR_PAGE);
		}
}

static void test_format1_block_ending_before_page_end_is_accepted(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT1);
	w.o.crycbd = (2 * PAGE - 136) | CRYCB_FORMAT1;
	assert_shadowed(&w);

	w.o.apie = false;
	assert_shadowed(&w);
}

static void test_format2_block_reaching_next_page_gives_validity_003c(void **state)
{
	static const uint32_t origins[] = {2 * PAGE - 256, 2 * PAGE - 248, 2 * PAGE - 8};
	static const unsigned int fmt_h[] = {CRYCB_FORMAT0, CRYCB_FORMAT1, CRYCB_FORMAT2};
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(origins); k++)
		for (size_t h = 0; h < ARRAY_SIZE(fmt_h); h++) {
			/* for format-0/1 guest 1 the page check comes before 0x0022 */
			world_init(&w, fmt_h[h], CRYCB_FORMAT2);
			w.o.crycbd = origins[k] | CRYCB_FORMAT2;
			assert_validity(&w, VSIE_VIR_PAGE);
		}

	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT2);
	w.o.crycbd = (2 * PAGE - 264) | CRYCB_FORMAT2;
	assert_shadowed(&w);
}

static void test_format2_page_check_is_part_of_apcb_shadowing_only(void **state)
{
	struct world w;

	(void)state;
	/* keys only: no APCB to build, so no format-2 page check (facts 6 step 5/6) */
	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT2);
	w.o.crycbd = (2 * PAGE - 256) | CRYCB_FORMAT2;
	w.o.apie = false;
	set_key_flags(&w, VSIE_ECB3_AES, 0);
	assert_shadowed(&w);
	assert_int_equal(w.sh.ecb3, VSIE_ECB3_AES);
}

static void test_format0_block_reaching_next_page_gives_validity_003c(void **state)
{
	static const uint32_t origins[] = {2 * PAGE - 32, 2 * PAGE - 24, 2 * PAGE - 8};
	static const unsigned int fmt_h[] = {CRYCB_FORMAT0, CRYCB_FORMAT1, CRYCB_FORMAT2};
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(origins); k++)
		for (size_t h = 0; h < ARRAY_SIZE(fmt_h); h++) {
			world_init(&w, fmt_h[h], CRYCB_FORMAT0);
			w.o.crycbd = origins[k] | CRYCB_FORMAT0;
			assert_validity(&w, VSIE_VIR_PAGE);
		}

	for (size_t h = 0; h < ARRAY_SIZE(fmt_h); h++) {
		world_init(&w, fmt_h[h], CRYCB_FORMAT0);
		w.o.crycbd = (2 * PAGE - 40) | CRYCB_FORMAT0;
		assert_shadowed(&w);
	}
}

/* ---- format combinations ---- */

static void test_disallowed_format_combinations_give_validity_0022(void **state)
{
	static const struct combo refused[] = {
	    {CRYCB_FORMAT2, CRYCB_FORMAT0},
	    {CRYCB_FORMAT2, CRYCB_FORMAT1},
	    {CRYCB_FORMAT1, CRYCB_FORMAT0},
	    {2, CRYCB_FORMAT0},
	    {2, CRYCB_FORMAT1},
	    {2, CRYCB_FORMAT2},
	};
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(refused); k++) {
		world_init(&w, refused[k].fmt_h, refused[k].fmt_o);
		memset(w.mem.b, 0xff, sizeof(w.mem.b));
		assert_validity(&w, VSIE_VIR_FORMAT);

		set_key_flags(&w, VSIE_ECB3_AES, 0);
		assert_validity(&w, VSIE_VIR_FORMAT);
	}
}

static void test_unused_format_value_without_apie_shadows_keys_only(void **state)
{
	static const uint8_t zero[CRYCB_SIZE];
	struct world w;

	(void)state;
	world_init(&w, CRYCB_FORMAT2, 2);
	memset(w.mem.b, 0xff, sizeof(w.mem.b));
	memset(w.g1cb.b, 0xff, sizeof(w.g1cb.b));
	w.o.apie = false;
	assert_shadowed(&w);
	assert_false(w.sh.apie);
	assert_memory_equal(w.sh.crycb.b, zero, CRYCB_SIZE);
}

/* ---- unreadable guest-1 memory ---- */

/* Where each accepted combination reads guest 2's APCB, relative to origin. */
static void apcb_span(const struct combo *c, uint64_t *off, uint64_t *len)
{
	if (c->fmt_o == CRYCB_FORMAT2) {
		*off = CRYCB_APCB1;
		*len = CRYCB_APCB1_LEN;
	} else {
		*off = CRYCB_APCB0;
		*len = CRYCB_APCB0_LEN;
	}
}

static void test_unreadable_apcb_gives_validity_0035(void **state)
{
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(accepted); k++) {
		uint64_t off, len;

		/* a block outside guest-1 memory */
		world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
		w.o.crycbd = MEM_SIZE | accepted[k].fmt_o;
		assert_validity(&w, VSIE_VIR_READ);

		/* only the first or the last byte of the APCB unreadable */
		apcb_span(&accepted[k], &off, &len);
		world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
		punch(&w, 0, ORIGIN + off, ORIGIN + off + 1);
		assert_validity(&w, VSIE_VIR_READ);

		world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
		punch(&w, 0, ORIGIN + off + len - 1, ORIGIN + off + len);
		assert_validity(&w, VSIE_VIR_READ);
	}
}

static void test_shadow_reads_only_the_apcb_its_format_uses(void **state)
{
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(accepted); k++) {
		uint64_t off, len;

		apcb_span(&accepted[k], &off, &len);
		world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
		punch(&w, 0, 0, ORIGIN + off);
		punch(&w, 1, ORIGIN + off + len, MEM_SIZE);
		assert_shadowed(&w);
		assert_true(w.sh.apie);
	}
}

static void test_unreadable_wrapping_keys_give_validity_0035(void **state)
{
	/* first byte of the DEA mask, last byte of the AES mask */
	static const uint64_t bad[] = {KEYS_OFF, KEYS_OFF + KEYS_LEN - 1};
	struct world w;

	(void)state;
	for (size_t b = 0; b < ARRAY_SIZE(bad); b++) {
		for (size_t k = 0; k < ARRAY_SIZE(accepted); k++) {
			world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
			set_key_flags(&w, VSIE_ECB3_DEA, 0);
			punch(&w, 0, ORIGIN + bad[b], ORIGIN + bad[b] + 1);
			assert_validity(&w, VSIE_VIR_READ);
		}
		/* keys only */
		world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT1);
		w.o.apie = false;
		set_key_flags(&w, 0, VSIE_ECD_HMAC);
		punch(&w, 0, ORIGIN + bad[b], ORIGIN + bad[b] + 1);
		assert_validity(&w, VSIE_VIR_READ);
	}
}

static void test_wrapping_keys_read_only_the_56_bytes_at_0x48(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT1);
	w.o.apie = false;
	set_key_flags(&w, VSIE_ECB3_AES, 0);
	punch(&w, 0, 0, ORIGIN + KEYS_OFF);
	punch(&w, 1, ORIGIN + KEYS_OFF + KEYS_LEN, MEM_SIZE);
	assert_shadowed(&w);
	assert_int_equal(w.sh.ecb3, VSIE_ECB3_AES);
}

static void test_wrapping_keys_not_read_without_common_flag(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT2);
	w.o.ecb3 = VSIE_ECB3_AES;
	w.g1.ecb3 = VSIE_ECB3_DEA;
	w.o.ecd = VSIE_ECD_ECC;
	w.g1.ecd = VSIE_ECD_HMAC;
	punch(&w, 0, ORIGIN + KEYS_OFF, ORIGIN + KEYS_OFF + KEYS_LEN);
	assert_shadowed(&w);
	assert_int_equal(w.sh.ecb3, 0);
	assert_int_equal(w.sh.ecd, 0);
}

/* ---- accepted combinations: the shadow APCB ---- */

/*
 * 2/2 (May 2023 fix): guest 2 offers everything, guest 1 has adapters
 * {5, 200}, domains {6, 130}, control domains {7, 255} and one reserved bit.
 * Before the fix only the first 128 bits were ANDed, so 0x90-0xff would
 * have been guest 2's 0xff.
 */
static const uint8_t exp_22_narrowed[CRYCB_SIZE] = {
    [0x80] = 0x04,	/* APM 5 */
    [0x80 + 25] = 0x80, /* APM 200 */
    [0xa0] = 0x02,	/* AQM 6 */
    [0xa0 + 16] = 0x20, /* AQM 130 */
    [0xc0] = 0x01,	/* ADM 7 */
    [0xc0 + 31] = 0x01, /* ADM 255 */
    [0xff] = 0x01,	/* reserved word, ANDed too */
};

static void g1_apcb1_sparse(struct crycb *c)
{
	c->b[0x80] = 0x04;
	c->b[0x80 + 25] = 0x80;
	c->b[0xa0] = 0x02;
	c->b[0xa0 + 16] = 0x20;
	c->b[0xc0] = 0x01;
	c->b[0xc0 + 31] = 0x01;
	c->b[0xff] = 0x01;
}

static void test_format2_on_format2_ands_all_1024_bits_of_apcb1(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT2);
	memset(g2cb(&w), 0xff, CRYCB_SIZE);
	memset(w.g1cb.b, 0xff, CRYCB_APCB1); /* guest 1's APCB0 and keys: unused */
	g1_apcb1_sparse(&w.g1cb);
	assert_shadowed(&w);
	assert_true(w.sh.apie);
	assert_memory_equal(w.sh.crycb.b, exp_22_narrowed, CRYCB_SIZE);
}

static void test_format2_on_format2_takes_guest2_apcb1_from_origin_0x80(void **state)
{
	struct world w;

	(void)state;
	world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT2);
	memset(g2cb(&w), 0xff, CRYCB_APCB1); /* guest 2's APCB0 and keys: unused */
	g1_apcb1_sparse((struct crycb *)(void *)g2cb(&w));
	memset(w.g1cb.b, 0xff, CRYCB_SIZE);
	assert_shadowed(&w);
	assert_memory_equal(w.sh.crycb.b, exp_22_narrowed, CRYCB_SIZE);
}

/* "10", everything offered on both sides: 64/16/16 bits in APCB1. */
static const uint8_t exp_10_full[CRYCB_SIZE] = {
    /* 0x00 */ Z,
    Z,
    Z,
    Z,
    Z,
    Z,
    Z,
    Z,
    /* 0x80: APM word 0 */
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* 0x90 */ Z,
    /* 0xa0: AQM bits 0-15 */
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* 0xb0 */ Z,
    /* 0xc0: ADM bits 0-15 */
    0xff,
    0xff,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    /* 0xd0 */ Z,
    /* 0xe0 */ Z,
    /* 0xf0 */ Z,
};

/*
 * "10" with real masks. Guest 2's APCB0: APM {1,2,3,4,5,7,40,63} (0x7d ..),
 * AQM {0,3,15} plus bits 16-63 all set, ADM {1,15} plus bits 16-63 all set.
 * Guest 1's APCB1: APM {1,3,40,64,200}, AQM {0,15,16,100}, ADM {1,2,17}.
 * Shadow APCB1: APM {1,3,40}, AQM {0,15}, ADM {1}.
 */
static const uint8_t exp_10_masks[CRYCB_SIZE] = {
    [0x80] = 0x50, [0x85] = 0x80, /* APM 1, 3 | 40 */
    [0xa0] = 0x80, [0xa1] = 0x01, /* AQM 0 | 15 */
    [0xc0] = 0x40,		  /* ADM 1 */
};

static void put_10_masks(struct world *w)
{
	uint8_t *g2 = g2cb(w);
	uint8_t *h = w->g1cb.b;

	g2[0x00] = 0x7d;
	g2[0x05] = 0x80;
	g2[0x07] = 0x01;
	g2[0x08] = 0x90;
	g2[0x09] = 0x01;
	memset(g2 + 0x0a, 0xff, 6);
	g2[0x10] = 0x40;
	g2[0x11] = 0x01;
	memset(g2 + 0x12, 0xff, 6);
	memset(g2 + 0x18, 0xff, 8);	     /* reserved */
	memset(g2 + CRYCB_APCB1, 0xff, 128); /* guest 2's APCB1: unused */

	h[0x80] = 0x50;
	h[0x85] = 0x80;
	h[0x88] = 0x80;
	h[0x80 + 25] = 0x80;
	h[0xa0] = 0x80;
	h[0xa1] = 0x01;
	h[0xa2] = 0x80;
	h[0xa0 + 12] = 0x08;
	h[0xc0] = 0x60;
	h[0xc2] = 0x40;
	memset(h, 0xff, CRYCB_APCB0_LEN); /* guest 1's APCB0: unused */
}

static void check_10(unsigned int fmt_o)
{
	struct world w;

	world_init(&w, CRYCB_FORMAT2, fmt_o);
	memset(g2cb(&w), 0xff, CRYCB_SIZE);
	memset(w.g1cb.b + CRYCB_APCB1, 0xff, CRYCB_APCB1_LEN);
	assert_shadowed(&w);
	assert_true(w.sh.apie);
	assert_memory_equal(w.sh.crycb.b, exp_10_full, CRYCB_SIZE);

	world_init(&w, CRYCB_FORMAT2, fmt_o);
	put_10_masks(&w);
	assert_shadowed(&w);
	assert_memory_equal(w.sh.crycb.b, exp_10_masks, CRYCB_SIZE);
}

static void test_format1_on_format2_narrows_apcb0_into_first_64_bits_of_apcb1(void **state)
{
	(void)state;
	check_10(CRYCB_FORMAT1);
}

static void test_format0_on_format2_narrows_apcb0_into_first_64_bits_of_apcb1(void **state)
{
	(void)state;
	check_10(CRYCB_FORMAT0);
}

/*
 * "00": an APCB0 with a bit in every word and bits past the first 32 (the
 * pre-May-2023 code ANDed only those): APM {0, 33, 63}, AQM {1, 40},
 * ADM {2, 63}, reserved {7}.
 */
static const uint8_t apcb0_sparse[CRYCB_APCB0_LEN] = {
    0x80, 0, 0, 0, 0x40, 0,    0, 0x01, /* APM */
    0x40, 0, 0, 0, 0,	 0x80, 0, 0,	/* AQM */
    0x20, 0, 0, 0, 0,	 0,    0, 0x01, /* ADM */
    0x01, 0, 0, 0, 0,	 0,    0, 0,	/* reserved */
};

static void check_00(unsigned int fmt_o, unsigned int fmt_h)
{
	uint8_t exp[CRYCB_SIZE] = {0};
	struct world w;

	memcpy(exp, apcb0_sparse, sizeof(apcb0_sparse));

	/* guest 2 offers everything */
	world_init(&w, fmt_h, fmt_o);
	memset(g2cb(&w), 0xff, CRYCB_SIZE);
	memset(w.g1cb.b, 0xff, CRYCB_SIZE);
	memcpy(w.g1cb.b, apcb0_sparse, sizeof(apcb0_sparse));
	assert_shadowed(&w);
	assert_true(w.sh.apie);
	assert_memory_equal(w.sh.crycb.b, exp, CRYCB_SIZE);

	/* guest 1 has everything */
	world_init(&w, fmt_h, fmt_o);
	memset(g2cb(&w), 0xff, CRYCB_SIZE);
	memcpy(g2cb(&w), apcb0_sparse, sizeof(apcb0_sparse));
	memset(w.g1cb.b, 0xff, CRYCB_SIZE);
	assert_shadowed(&w);
	assert_memory_equal(w.sh.crycb.b, exp, CRYCB_SIZE);
}

static void test_format1_on_format1_ands_all_256_bits_of_apcb0(void **state)
{
	(void)state;
	check_00(CRYCB_FORMAT1, CRYCB_FORMAT1);
}

static void test_format0_on_format0_ands_all_256_bits_of_apcb0(void **state)
{
	(void)state;
	check_00(CRYCB_FORMAT0, CRYCB_FORMAT0);
}

static void test_format0_on_format1_ands_all_256_bits_of_apcb0(void **state)
{
	(void)state;
	check_00(CRYCB_FORMAT0, CRYCB_FORMAT1);
}

/* ---- designation and APIE ---- */

static void test_shadow_designation_is_always_format2(void **state)
{
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(accepted); k++) {
		world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
		assert_shadowed(&w);
		assert_int_equal(w.sh.crycbd, 3);
	}
	/* keys only, every format that gets that far */
	for (unsigned int fmt_o = 1; fmt_o < 4; fmt_o++) {
		world_init(&w, CRYCB_FORMAT1, fmt_o);
		w.o.apie = false;
		assert_shadowed(&w);
		assert_int_equal(w.sh.crycbd, 3);
	}
}

static void test_shadow_apie_set_only_when_both_apie_bits_set(void **state)
{
	static const uint8_t zero[CRYCB_SIZE];
	struct world w;

	(void)state;
	for (int a = 0; a < 4; a++) {
		bool h = a & 1, o = a & 2;

		world_init(&w, CRYCB_FORMAT2, CRYCB_FORMAT2);
		memset(g2cb(&w), 0xff, CRYCB_SIZE);
		memset(w.g1cb.b, 0xff, CRYCB_SIZE);
		w.g1.apie = h;
		w.o.apie = o;
		assert_shadowed(&w);
		assert_int_equal(w.sh.apie, h && o);
		if (h && o)
			assert_int_equal(w.sh.crycb.b[CRYCB_APCB1_APM], 0xff);
		else
			assert_memory_equal(w.sh.crycb.b, zero, CRYCB_SIZE);
	}
}

/* ---- wrapping keys ---- */

/*
 * Guest 2's key bytes are their offsets (0x48..0x7f), guest 1's all 0x80,
 * so the XOR is 0xc8..0xff, in place.
 */
static const uint8_t exp_keys_xored[CRYCB_SIZE] = {
    /* 0x00 */ Z,
    Z,
    Z,
    Z,
    /* 0x40 */ 0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0xc8,
    0xc9,
    0xca,
    0xcb,
    0xcc,
    0xcd,
    0xce,
    0xcf,
    /* 0x50 */ 0xd0,
    0xd1,
    0xd2,
    0xd3,
    0xd4,
    0xd5,
    0xd6,
    0xd7,
    0xd8,
    0xd9,
    0xda,
    0xdb,
    0xdc,
    0xdd,
    0xde,
    0xdf,
    /* 0x60 */ 0xe0,
    0xe1,
    0xe2,
    0xe3,
    0xe4,
    0xe5,
    0xe6,
    0xe7,
    0xe8,
    0xe9,
    0xea,
    0xeb,
    0xec,
    0xed,
    0xee,
    0xef,
    /* 0x70 */ 0xf0,
    0xf1,
    0xf2,
    0xf3,
    0xf4,
    0xf5,
    0xf6,
    0xf7,
    0xf8,
    0xf9,
    0xfa,
    0xfb,
    0xfc,
    0xfd,
    0xfe,
    0xff,
    /* 0x80 */ Z,
    Z,
    Z,
    Z,
    Z,
    Z,
    Z,
    Z,
};

/* A keys-only world: guest 2's block is its offsets, guest 1's is 0x80. */
static void keys_world(struct world *w)
{
	world_init(w, CRYCB_FORMAT2, CRYCB_FORMAT1);
	w->o.apie = false;
	for (unsigned int i = 0; i < CRYCB_SIZE; i++)
		g2cb(w)[i] = (uint8_t)i;
	memset(w->g1cb.b, 0x80, CRYCB_SIZE);
}

static void test_wrapping_keys_xored_with_guest1_keys_when_both_allow(void **state)
{
	struct world w;

	(void)state;
	keys_world(&w);
	set_key_flags(&w, VSIE_ECB3_AES | VSIE_ECB3_DEA, 0);
	assert_shadowed(&w);
	assert_memory_equal(w.sh.crycb.b, exp_keys_xored, CRYCB_SIZE);
	assert_int_equal(w.sh.ecb3, VSIE_ECB3_AES | VSIE_ECB3_DEA);
	assert_int_equal(w.sh.ecd, 0);
}

static void test_each_key_flag_alone_copies_all_56_bytes(void **state)
{
	static const struct {
		uint8_t ecb3;
		uint32_t ecd;
	} flags[] = {
	    {VSIE_ECB3_AES, 0},
	    {VSIE_ECB3_DEA, 0},
	    {0, VSIE_ECD_ECC},
	    {0, VSIE_ECD_HMAC},
	};
	struct world w;

	(void)state;
	assert_int_equal(VSIE_ECB3_AES, 0x04);
	assert_int_equal(VSIE_ECB3_DEA, 0x08);
	assert_int_equal(VSIE_ECD_ECC, 0x00200000);
	assert_int_equal(VSIE_ECD_HMAC, 0x00004000);
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
		keys_world(&w);
		set_key_flags(&w, flags[k].ecb3, flags[k].ecd);
		assert_shadowed(&w);
		assert_memory_equal(w.sh.crycb.b, exp_keys_xored, CRYCB_SIZE);
		assert_int_equal(w.sh.ecb3, flags[k].ecb3);
		assert_int_equal(w.sh.ecd, flags[k].ecd);
	}
}

static void test_wrapping_keys_not_copied_without_common_key_flag(void **state)
{
	static const struct {
		uint8_t ecb3_o, ecb3_h;
		uint32_t ecd_o, ecd_h;
	} flags[] = {
	    {VSIE_ECB3_AES, VSIE_ECB3_DEA, VSIE_ECD_ECC, VSIE_ECD_HMAC},
	    {VSIE_ECB3_AES | VSIE_ECB3_DEA, 0, VSIE_ECD_ECC | VSIE_ECD_HMAC, 0},
	    {0, VSIE_ECB3_AES | VSIE_ECB3_DEA, 0, VSIE_ECD_ECC | VSIE_ECD_HMAC},
	    /* common bits, but none of them a key flag */
	    {0xf3, 0xf3, ~KEY_FLAGS_ECD, ~KEY_FLAGS_ECD},
	};
	static const uint8_t zero[CRYCB_SIZE];
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(flags); k++) {
		keys_world(&w);
		w.o.ecb3 = flags[k].ecb3_o;
		w.g1.ecb3 = flags[k].ecb3_h;
		w.o.ecd = flags[k].ecd_o;
		w.g1.ecd = flags[k].ecd_h;
		assert_shadowed(&w);
		assert_memory_equal(w.sh.crycb.b, zero, CRYCB_SIZE);
		assert_int_equal(w.sh.ecb3, 0);
		assert_int_equal(w.sh.ecd, 0);
	}
}

static void test_shadow_key_flags_are_the_and_of_both_levels(void **state)
{
	struct world w;

	(void)state;
	keys_world(&w);
	w.o.ecb3 = 0xff;
	w.o.ecd = 0xffffffffu;
	w.g1.ecb3 = VSIE_ECB3_DEA;
	w.g1.ecd = VSIE_ECD_HMAC;
	assert_shadowed(&w);
	assert_int_equal(w.sh.ecb3, VSIE_ECB3_DEA);
	assert_int_equal(w.sh.ecd, VSIE_ECD_HMAC);

	keys_world(&w);
	w.o.ecb3 = VSIE_ECB3_AES;
	w.o.ecd = VSIE_ECD_ECC;
	w.g1.ecb3 = 0xff;
	w.g1.ecd = 0xffffffffu;
	assert_shadowed(&w);
	assert_int_equal(w.sh.ecb3, VSIE_ECB3_AES);
	assert_int_equal(w.sh.ecd, VSIE_ECD_ECC);

	/* everything on both sides: only the key flags reach the shadow */
	keys_world(&w);
	set_key_flags(&w, 0xff, 0xffffffffu);
	assert_shadowed(&w);
	assert_int_equal(w.sh.ecb3, KEY_FLAGS_ECB3);
	assert_int_equal(w.sh.ecd, KEY_FLAGS_ECD);
}

static void test_wrapping_keys_shadowed_next_to_masks_for_every_combination(void **state)
{
	struct world w;

	(void)state;
	for (size_t k = 0; k < ARRAY_SIZE(accepted); k++) {
		world_init(&w, accepted[k].fmt_h, accepted[k].fmt_o);
		for (unsigned int i = 0; i < CRYCB_SIZE; i++)
			g2cb(&w)[i] = (uint8_t)i;
		memset(w.g1cb.b, 0x80, CRYCB_SIZE);
		set_key_flags(&w, VSIE_ECB3_AES, VSIE_ECD_ECC);
		assert_shadowed(&w);
		assert_true(w.sh.apie);
		assert_memory_equal(w.sh.crycb.b + KEYS_OFF, exp_keys_xored + KEYS_OFF, KEYS_LEN);
		assert_int_equal(w.sh.ecb3, VSIE_ECB3_AES);
		assert_int_equal(w.sh.ecd, VSIE_ECD_ECC);
	}
}

/* ---- property: masks are only ever narrowed ---- */

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* The shadow bytes must lie within guest 1's and guest 2's and be exactly their AND. */
static void assert_narrowed(const uint8_t *sh, const uint8_t *g1, const uint8_t *g2, size_t n,
			    const char *what, unsigned int iter)
{
	for (size_t i = 0; i < n; i++) {
		if (sh[i] & ~g1[i])
			fail_msg("iter %u %s byte %zu: shadow %#x not within guest 1's %#x", iter,
				 what, i, sh[i], g1[i]);
		if (sh[i] & ~g2[i])
			fail_msg("iter %u %s byte %zu: shadow %#x not within guest 2's %#x", iter,
				 what, i, sh[i], g2[i]);
		/* and nothing both have is lost */
		if (sh[i] != (g1[i] & g2[i]))
			fail_msg("iter %u %s byte %zu: shadow %#x, want %#x", iter, what, i, sh[i],
				 g1[i] & g2[i]);
	}
}

static void assert_zero(const uint8_t *p, size_t n, const char *what, unsigned int iter)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fail_msg("iter %u %s byte %zu: %#x, want 0", iter, what, i, p[i]);
}

/* A random well-placed origin: the block neither crosses a page nor leaves memory. */
static uint32_t random_origin(uint64_t *rng, unsigned int fmt_o)
{
	unsigned int len = fmt_o == CRYCB_FORMAT2 ? 256 : fmt_o == CRYCB_FORMAT1 ? 128 : 32;
	unsigned int page = (unsigned int)(xorshift64(rng) % 3);
	unsigned int max = PAGE - len - 8; /* origin + len stays on the page */
	uint32_t origin;

	if (page == 2 && max > PAGE - CRYCB_SIZE)
		max = PAGE - CRYCB_SIZE; /* the whole 256-byte block in memory */
	do
		origin = page * PAGE + (uint32_t)(xorshift64(rng) % (max / 8 + 1)) * 8;
	while (origin == 0);
	return origin;
}

static void test_shadow_masks_are_never_wider_than_guest1_or_guest2(void **state)
{
	static struct world w;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	uint8_t g2[CRYCB_SIZE];

	(void)state;
	for (unsigned int iter = 0; iter < 3000; iter++) {
		const struct combo *c = &accepted[xorshift64(&rng) % ARRAY_SIZE(accepted)];
		const uint8_t *s = w.sh.crycb.b;
		const uint8_t *h = w.g1cb.b;
		bool keys;

		world_init(&w, c->fmt_h, c->fmt_o);
		w.o.crycbd = random_origin(&rng, c->fmt_o) | c->fmt_o;
		for (size_t i = 0; i < CRYCB_SIZE; i++) {
			g2[i] = (uint8_t)xorshift64(&rng);
			w.g1cb.b[i] = (uint8_t)xorshift64(&rng);
		}
		memcpy(g2cb(&w), g2, CRYCB_SIZE);
		w.o.ecb3 = (uint8_t)xorshift64(&rng);
		w.g1.ecb3 = (uint8_t)xorshift64(&rng);
		w.o.ecd = (uint32_t)xorshift64(&rng);
		w.g1.ecd = (uint32_t)xorshift64(&rng);

		if (run(&w) != 0)
			fail_msg("iter %u: crycbd_o %#x fmt_h %u refused", iter, w.o.crycbd,
				 c->fmt_h);
		assert_int_equal(w.sh.crycbd, CRYCB_FORMAT2);
		assert_true(w.sh.apie);

		if (c->fmt_o == CRYCB_FORMAT2) {
			assert_narrowed(s + CRYCB_APCB1, h + CRYCB_APCB1, g2 + CRYCB_APCB1, 128,
					"APCB1", iter);
			assert_zero(s, CRYCB_APCB0_LEN, "APCB0", iter);
		} else if (c->fmt_h == CRYCB_FORMAT2) {
			assert_narrowed(s + 0x80, h + 0x80, g2 + 0x00, 8, "APM", iter);
			assert_narrowed(s + 0xa0, h + 0xa0, g2 + 0x08, 2, "AQM", iter);
			assert_narrowed(s + 0xc0, h + 0xc0, g2 + 0x10, 2, "ADM", iter);
			assert_zero(s + 0x88, 24, "APM 64-255", iter);
			assert_zero(s + 0xa2, 30, "AQM 16-255", iter);
			assert_zero(s + 0xc2, 30, "ADM 16-255", iter);
			assert_zero(s + 0xe0, 32, "APCB1 reserved", iter);
			assert_zero(s, CRYCB_APCB0_LEN, "APCB0", iter);
		} else {
			assert_narrowed(s, h, g2, CRYCB_APCB0_LEN, "APCB0", iter);
			assert_zero(s + CRYCB_APCB1, CRYCB_APCB1_LEN, "APCB1", iter);
		}
		assert_zero(s + 0x20, KEYS_OFF - 0x20, "0x20-0x47", iter);

		keys =
		    (w.o.ecb3 & w.g1.ecb3 & KEY_FLAGS_ECB3) || (w.o.ecd & w.g1.ecd & KEY_FLAGS_ECD);
		assert_int_equal(w.sh.ecb3, w.o.ecb3 & w.g1.ecb3 & KEY_FLAGS_ECB3);
		assert_int_equal(w.sh.ecd, w.o.ecd & w.g1.ecd & KEY_FLAGS_ECD);
		for (size_t i = KEYS_OFF; i < KEYS_OFF + KEYS_LEN; i++) {
			uint8_t want = keys ? g2[i] ^ h[i] : 0;

			if (s[i] != want)
				fail_msg("iter %u key byte %#zx: %#x, want %#x", iter, i, s[i],
					 want);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_shadow_when_apie_off_and_guest1_lacks_msax3),
	    cmocka_unit_test(test_no_shadow_when_apie_off_and_guest2_format0),
	    cmocka_unit_test(test_designation_without_origin_gives_validity_0039),
	    cmocka_unit_test(test_format1_block_reaching_next_page_gives_validity_003c),
	    cmocka_unit_test(test_format1_block_ending_before_page_end_is_accepted),
	    cmocka_unit_test(test_format2_block_reaching_next_page_gives_validity_003c),
	    cmocka_unit_test(test_format2_page_check_is_part_of_apcb_shadowing_only),
	    cmocka_unit_test(test_format0_block_reaching_next_page_gives_validity_003c),
	    cmocka_unit_test(test_disallowed_format_combinations_give_validity_0022),
	    cmocka_unit_test(test_unused_format_value_without_apie_shadows_keys_only),
	    cmocka_unit_test(test_unreadable_apcb_gives_validity_0035),
	    cmocka_unit_test(test_shadow_reads_only_the_apcb_its_format_uses),
	    cmocka_unit_test(test_unreadable_wrapping_keys_give_validity_0035),
	    cmocka_unit_test(test_wrapping_keys_read_only_the_56_bytes_at_0x48),
	    cmocka_unit_test(test_wrapping_keys_not_read_without_common_flag),
	    cmocka_unit_test(test_format2_on_format2_ands_all_1024_bits_of_apcb1),
	    cmocka_unit_test(test_format2_on_format2_takes_guest2_apcb1_from_origin_0x80),
	    cmocka_unit_test(test_format1_on_format2_narrows_apcb0_into_first_64_bits_of_apcb1),
	    cmocka_unit_test(test_format0_on_format2_narrows_apcb0_into_first_64_bits_of_apcb1),
	    cmocka_unit_test(test_format1_on_format1_ands_all_256_bits_of_apcb0),
	    cmocka_unit_test(test_format0_on_format0_ands_all_256_bits_of_apcb0),
	    cmocka_unit_test(test_format0_on_format1_ands_all_256_bits_of_apcb0),
	    cmocka_unit_test(test_shadow_designation_is_always_format2),
	    cmocka_unit_test(test_shadow_apie_set_only_when_both_apie_bits_set),
	    cmocka_unit_test(test_wrapping_keys_xored_with_guest1_keys_when_both_allow),
	    cmocka_unit_test(test_each_key_flag_alone_copies_all_56_bytes),
	    cmocka_unit_test(test_wrapping_keys_not_copied_without_common_key_flag),
	    cmocka_unit_test(test_shadow_key_flags_are_the_and_of_both_levels),
	    cmocka_unit_test(test_wrapping_keys_shadowed_next_to_masks_for_every_combination),
	    cmocka_unit_test(test_shadow_masks_are_never_wider_than_guest1_or_guest2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
