/*
 * crycb_test - golden byte vectors for the crypto control block (crycb.c).
 *
 * Invariant (facts 5.1, 5.2, 1.5): the 256-byte block is byte for byte what
 * KVM builds. A guest gets format 0 without MSAX3, else format 2 (encoded 3)
 * with host APXA and format 1 without. A new block is zero except, with
 * MSAX3, the DEA wrapping-key mask (24 bytes at 0x48) and the AES one (32
 * bytes at 0x60). Setting masks copies 8/2/2 bytes (APM/AQM/ADM) into APCB0
 * at 0x00/0x08/0x10 for formats 0 and 1, so adapters above 63 and domains
 * above 15 are dropped, and 32 bytes each into APCB1 at 0x80/0xa0/0xc0 for
 * format 2; no other byte changes. Clearing zeroes 0x00-0x1f and 0x80-0xff
 * only. Reading the masks back gives what was set, cut to the format's width.
 *
 * Every expected block below is a literal hex dump written from the facts,
 * one row of 16 bytes per line, not computed by crycb.c or mask.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "crycb.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 16 copies of one byte: a hex dump row. */
#define ROW(x) x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x
#define Z      ROW(0x00)
#define EE     ROW(0xee)

/*
 * Test wrapping-key masks: the byte at CRYCB offset o is o + 0x80, so that
 * a shifted or truncated copy shows up in the dump.
 */
static const uint8_t dea_key[CRYCB_DEA_LEN] = {
    0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3,
    0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
};

static const uint8_t aes_key[CRYCB_AES_LEN] = {
    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed, 0xee, 0xef,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff,
};

/* Rows 0x40-0x70 of a block holding dea_key and aes_key. */
#define KEY_ROWS                                                                                   \
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd, 0xce,  \
	    0xcf, /* 0x40: DEA from 0x48 */                                                        \
	    0xd0, 0xd1, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd,    \
	    0xde, 0xdf, /* 0x50 */                                                                 \
	    0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb, 0xec, 0xed,    \
	    0xee, 0xef, /* 0x60: AES */                                                            \
	    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd,    \
	    0xfe, 0xff /* 0x70 */

/* A new MSAX3 block: only the wrapping-key masks. */
static const uint8_t exp_init_msax3[CRYCB_SIZE] = {
    /* 0x00 */ Z,
    /* 0x10 */ Z,
    /* 0x20 */ Z,
    /* 0x30 */ Z,
    /* 0x40 */ KEY_ROWS,
    /* 0x80 */ Z,
    /* 0x90 */ Z,
    /* 0xa0 */ Z,
    /* 0xb0 */ Z,
    /* 0xc0 */ Z,
    /* 0xd0 */ Z,
    /* 0xe0 */ Z,
    /* 0xf0 */ Z,
};

/*
 * The edge vector: adapters {0, 63, 64, 255}, usage domains {0, 15, 16, 255},
 * control domains {1, 14, 17, 254} (different from the usage domains so a
 * swapped AQM/ADM shows).
 */
static const unsigned int edge_apm[] = {0, 63, 64, 255};
static const unsigned int edge_aqm[] = {0, 15, 16, 255};
static const unsigned int edge_adm[] = {1, 14, 17, 254};

/* Edge vector, format 0 or 1, over a block of 0xee. */
static const uint8_t exp_edge_fmt01_on_ee[CRYCB_SIZE] = {
    /* 0x00: APM 0 and 63 (64, 255 dropped) | AQM 0, 15 (16, 255 dropped), 6 bytes untouched */
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    0x80,
    0x01,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    /* 0x10: ADM 1, 14 (17, 254 dropped), 14 bytes untouched */
    0x40,
    0x02,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    0xee,
    /* 0x20 */ EE,
    /* 0x30 */ EE,
    /* 0x40 */ EE,
    /* 0x50 */ EE,
    /* 0x60 */ EE,
    /* 0x70 */ EE,
    /* 0x80 */ EE,
    /* 0x90 */ EE,
    /* 0xa0 */ EE,
    /* 0xb0 */ EE,
    /* 0xc0 */ EE,
    /* 0xd0 */ EE,
    /* 0xe0 */ EE,
    /* 0xf0 */ EE,
};

/* Edge vector, format 2, over a block of 0xee. */
static const uint8_t exp_edge_fmt2_on_ee[CRYCB_SIZE] = {
    /* 0x00 */ EE,
    /* 0x10 */ EE,
    /* 0x20 */ EE,
    /* 0x30 */ EE,
    /* 0x40 */ EE,
    /* 0x50 */ EE,
    /* 0x60 */ EE,
    /* 0x70 */ EE,
    /* 0x80: APM 0, 63, 64 */
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0x90: APM 255 */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    /* 0xa0: AQM 0, 15, 16 */
    0x80,
    0x01,
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0xb0: AQM 255 */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    /* 0xc0: ADM 1, 14, 17 */
    0x40,
    0x02,
    0x40,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0xd0: ADM 254 */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x02,
    /* 0xe0: reserved, untouched */ EE,
    /* 0xf0 */ EE,
};

/*
 * The doc vector on a new MSAX3 block: adapters {1, 2, 3, 4, 5, 7} (0x7d,
 * facts 1.5) plus 64 and 255, usage and control domains {0, 15, 16, 255}.
 */
static const unsigned int doc_apm[] = {1, 2, 3, 4, 5, 7, 64, 255};
static const unsigned int doc_dom[] = {0, 15, 16, 255};

static const uint8_t exp_doc_fmt01_keys[CRYCB_SIZE] = {
    /* 0x00: APM 0x7d | AQM 0, 15 */
    0x7d,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x80,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0x10: ADM 0, 15 */
    0x80,
    0x01,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0x20 */ Z,
    /* 0x30 */ Z,
    /* 0x40 */ KEY_ROWS,
    /* 0x80 */ Z,
    /* 0x90 */ Z,
    /* 0xa0 */ Z,
    /* 0xb0 */ Z,
    /* 0xc0 */ Z,
    /* 0xd0 */ Z,
    /* 0xe0 */ Z,
    /* 0xf0 */ Z,
};

static const uint8_t exp_doc_fmt2_keys[CRYCB_SIZE] = {
    /* 0x00 */ Z,
    /* 0x10 */ Z,
    /* 0x20 */ Z,
    /* 0x30 */ Z,
    /* 0x40 */ KEY_ROWS,
    /* 0x80: APM 0x7d, 64 */
    0x7d,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0x90: APM 255 */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    /* 0xa0: AQM 0, 15, 16 */
    0x80,
    0x01,
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0xb0: AQM 255 */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    /* 0xc0: ADM 0, 15, 16 */
    0x80,
    0x01,
    0x80,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    /* 0xd0: ADM 255 */
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x00,
    0x01,
    /* 0xe0 */ Z,
    /* 0xf0 */ Z,
};

/* A block of 0xee after clear: APCB0 and APCB1 zero, 0x20-0x7f untouched. */
static const uint8_t exp_cleared_ee[CRYCB_SIZE] = {
    /* 0x00 */ Z,
    /* 0x10 */ Z,
    /* 0x20 */ EE,
    /* 0x30 */ EE,
    /* 0x40 */ EE,
    /* 0x50 */ EE,
    /* 0x60 */ EE,
    /* 0x70 */ EE,
    /* 0x80 */ Z,
    /* 0x90 */ Z,
    /* 0xa0 */ Z,
    /* 0xb0 */ Z,
    /* 0xc0 */ Z,
    /* 0xd0 */ Z,
    /* 0xe0 */ Z,
    /* 0xf0 */ Z,
};

/* Masks as byte images, for the ones that read back (facts 1.5). */
static const uint8_t zero32[AP_MASK_BYTES];

static void make_mask(struct ap_mask *m, const unsigned int *ids, size_t n)
{
	ap_mask_zero(m);
	for (size_t i = 0; i < n; i++)
		ap_mask_set(m, ids[i]);
}

static void fill_block(struct crycb *c, uint8_t v)
{
	memset(c->b, v, sizeof(c->b));
}

static void set_edge(struct crycb *c, unsigned int fmt)
{
	struct ap_mask apm, aqm, adm;

	make_mask(&apm, edge_apm, ARRAY_SIZE(edge_apm));
	make_mask(&aqm, edge_aqm, ARRAY_SIZE(edge_aqm));
	make_mask(&adm, edge_adm, ARRAY_SIZE(edge_adm));
	crycb_set_masks(c, fmt, &apm, &aqm, &adm);
}

static void set_doc(struct crycb *c, unsigned int fmt)
{
	struct ap_mask apm, dom;

	make_mask(&apm, doc_apm, ARRAY_SIZE(doc_apm));
	make_mask(&dom, doc_dom, ARRAY_SIZE(doc_dom));
	crycb_set_masks(c, fmt, &apm, &dom, &dom);
}

static void set_all_ones(struct crycb *c, unsigned int fmt)
{
	struct ap_mask ones;

	memset(ones.b, 0xff, sizeof(ones.b));
	crycb_set_masks(c, fmt, &ones, &ones, &ones);
}

static void new_msax3_block(struct crycb *c)
{
	fill_block(c, 0x5a);
	crycb_init(c, true, dea_key, aes_key);
}

/* ---- format choice (facts 5.1) ---- */

static void test_format_is_0_without_msax3(void **state)
{
	(void)state;
	assert_int_equal(crycb_format_for(false, false), 0);
	assert_int_equal(crycb_format_for(false, true), 0);
}

static void test_format_is_2_encoded_3_with_msax3_and_host_apxa(void **state)
{
	(void)state;
	assert_int_equal(crycb_format_for(true, true), 3);
	assert_int_equal(CRYCB_FORMAT2, 3);
}

static void test_format_is_1_with_msax3_without_host_apxa(void **state)
{
	(void)state;
	assert_int_equal(crycb_format_for(true, false), 1);
}

static void test_apxa_is_format_bit_0x2_of_designation(void **state)
{
	(void)state;
	assert_false(crycb_has_apxa(0x00001000u | 0));
	assert_false(crycb_has_apxa(0x00001000u | 1));
	assert_true(crycb_has_apxa(0x00001000u | 3));
}

/* ---- init (facts 5.3) ---- */

static void test_init_without_msax3_is_all_zero(void **state)
{
	static const uint8_t exp[CRYCB_SIZE] = {0};
	struct crycb c;

	(void)state;
	fill_block(&c, 0x5a);
	crycb_init(&c, false, dea_key, aes_key);
	assert_memory_equal(c.b, exp, CRYCB_SIZE);
}

static void test_init_with_msax3_fills_only_wrapping_key_masks(void **state)
{
	struct crycb c;

	(void)state;
	new_msax3_block(&c);
	assert_memory_equal(c.b, exp_init_msax3, CRYCB_SIZE);
}

/* ---- set masks (facts 5.2, 1.5) ---- */

static void test_set_masks_doc_adapters_1_to_7_give_byte_0x7d(void **state)
{
	static const uint8_t exp01[CRYCB_SIZE] = {[0x00] = 0x7d};
	static const uint8_t exp2[CRYCB_SIZE] = {[0x80] = 0x7d};
	static const unsigned int ids[] = {1, 2, 3, 4, 5, 7};
	struct ap_mask apm, none;
	struct crycb c;

	(void)state;
	make_mask(&apm, ids, ARRAY_SIZE(ids));
	ap_mask_zero(&none);

	crycb_init(&c, false, dea_key, aes_key);
	crycb_set_masks(&c, CRYCB_FORMAT0, &apm, &none, &none);
	assert_memory_equal(c.b, exp01, CRYCB_SIZE);

	crycb_init(&c, false, dea_key, aes_key);
	crycb_set_masks(&c, CRYCB_FORMAT1, &apm, &none, &none);
	assert_memory_equal(c.b, exp01, CRYCB_SIZE);

	crycb_init(&c, false, dea_key, aes_key);
	crycb_set_masks(&c, CRYCB_FORMAT2, &apm, &none, &none);
	assert_memory_equal(c.b, exp2, CRYCB_SIZE);
}

static void test_set_masks_format0_copies_8_2_2_bytes_and_drops_high_ids(void **state)
{
	struct crycb c;

	(void)state;
	fill_block(&c, 0xee);
	set_edge(&c, CRYCB_FORMAT0);
	assert_memory_equal(c.b, exp_edge_fmt01_on_ee, CRYCB_SIZE);
}

static void test_set_masks_format1_copies_8_2_2_bytes_and_drops_high_ids(void **state)
{
	struct crycb c;

	(void)state;
	fill_block(&c, 0xee);
	set_edge(&c, CRYCB_FORMAT1);
	assert_memory_equal(c.b, exp_edge_fmt01_on_ee, CRYCB_SIZE);
}

static void test_set_masks_format2_copies_32_bytes_each_into_apcb1(void **state)
{
	struct crycb c;

	(void)state;
	fill_block(&c, 0xee);
	set_edge(&c, CRYCB_FORMAT2);
	assert_memory_equal(c.b, exp_edge_fmt2_on_ee, CRYCB_SIZE);
}

static void test_set_masks_replaces_previous_masks(void **state)
{
	struct crycb c;

	(void)state;
	fill_block(&c, 0xee);
	set_all_ones(&c, CRYCB_FORMAT0);
	set_edge(&c, CRYCB_FORMAT0);
	assert_memory_equal(c.b, exp_edge_fmt01_on_ee, CRYCB_SIZE);

	fill_block(&c, 0xee);
	set_all_ones(&c, CRYCB_FORMAT2);
	set_edge(&c, CRYCB_FORMAT2);
	assert_memory_equal(c.b, exp_edge_fmt2_on_ee, CRYCB_SIZE);
}

static void test_set_masks_format0_and_1_preserve_wrapping_keys(void **state)
{
	struct crycb c;

	(void)state;
	new_msax3_block(&c);
	set_doc(&c, CRYCB_FORMAT0);
	assert_memory_equal(c.b, exp_doc_fmt01_keys, CRYCB_SIZE);

	new_msax3_block(&c);
	set_doc(&c, CRYCB_FORMAT1);
	assert_memory_equal(c.b, exp_doc_fmt01_keys, CRYCB_SIZE);
}

static void test_set_masks_format2_preserves_wrapping_keys(void **state)
{
	struct crycb c;

	(void)state;
	new_msax3_block(&c);
	set_doc(&c, CRYCB_FORMAT2);
	assert_memory_equal(c.b, exp_doc_fmt2_keys, CRYCB_SIZE);
}

/* ---- clear masks (facts 5.2) ---- */

static void test_clear_masks_zeroes_only_apcb0_and_apcb1(void **state)
{
	struct crycb c;

	(void)state;
	fill_block(&c, 0xee);
	crycb_clear_masks(&c);
	assert_memory_equal(c.b, exp_cleared_ee, CRYCB_SIZE);
}

static void test_clear_masks_keeps_wrapping_keys(void **state)
{
	struct crycb c;

	(void)state;
	new_msax3_block(&c);
	set_all_ones(&c, CRYCB_FORMAT0);
	set_all_ones(&c, CRYCB_FORMAT2);
	crycb_clear_masks(&c);
	assert_memory_equal(c.b, exp_init_msax3, CRYCB_SIZE);
}

/* ---- get masks ---- */

static void poison_masks(struct ap_mask *a, struct ap_mask *b, struct ap_mask *c)
{
	memset(a->b, 0xa5, sizeof(a->b));
	memset(b->b, 0xa5, sizeof(b->b));
	memset(c->b, 0xa5, sizeof(c->b));
}

static void test_get_masks_format0_and_1_read_only_apcb0_widths(void **state)
{
	/* edge vector cut to 64/16/16 bits: APM {0, 63}, AQM {0, 15}, ADM {1, 14} */
	static const uint8_t exp_apm[AP_MASK_BYTES] = {0x80, 0, 0, 0, 0, 0, 0, 0x01};
	static const uint8_t exp_aqm[AP_MASK_BYTES] = {0x80, 0x01};
	static const uint8_t exp_adm[AP_MASK_BYTES] = {0x40, 0x02};
	const unsigned int fmts[] = {CRYCB_FORMAT0, CRYCB_FORMAT1};
	struct ap_mask apm, aqm, adm;
	struct crycb c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		/* 0xee around the masks must not leak into the result */
		fill_block(&c, 0xee);
		set_edge(&c, fmts[i]);
		poison_masks(&apm, &aqm, &adm);
		crycb_get_masks(&c, fmts[i], &apm, &aqm, &adm);
		assert_memory_equal(apm.b, exp_apm, AP_MASK_BYTES);
		assert_memory_equal(aqm.b, exp_aqm, AP_MASK_BYTES);
		assert_memory_equal(adm.b, exp_adm, AP_MASK_BYTES);
	}
}

static void test_get_masks_format2_reads_apcb1(void **state)
{
	struct ap_mask apm, aqm, adm;
	struct crycb c;

	(void)state;
	fill_block(&c, 0xee);
	set_edge(&c, CRYCB_FORMAT2);
	poison_masks(&apm, &aqm, &adm);
	crycb_get_masks(&c, CRYCB_FORMAT2, &apm, &aqm, &adm);
	assert_memory_equal(apm.b, exp_edge_fmt2_on_ee + 0x80, AP_MASK_BYTES);
	assert_memory_equal(aqm.b, exp_edge_fmt2_on_ee + 0xa0, AP_MASK_BYTES);
	assert_memory_equal(adm.b, exp_edge_fmt2_on_ee + 0xc0, AP_MASK_BYTES);
}

static void test_get_masks_of_new_block_are_empty(void **state)
{
	const unsigned int fmts[] = {CRYCB_FORMAT0, CRYCB_FORMAT1, CRYCB_FORMAT2};
	struct ap_mask apm, aqm, adm;
	struct crycb c;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		new_msax3_block(&c);
		poison_masks(&apm, &aqm, &adm);
		crycb_get_masks(&c, fmts[i], &apm, &aqm, &adm);
		assert_memory_equal(apm.b, zero32, AP_MASK_BYTES);
		assert_memory_equal(aqm.b, zero32, AP_MASK_BYTES);
		assert_memory_equal(adm.b, zero32, AP_MASK_BYTES);
	}
}

static uint64_t xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static void random_mask(struct ap_mask *m, uint64_t *rng)
{
	for (size_t i = 0; i < AP_MASK_BYTES; i++)
		m->b[i] = (uint8_t)xorshift64(rng);
}

/* Keep the first n bytes of a mask, zero the rest. */
static void cut(struct ap_mask *dst, const struct ap_mask *src, size_t n)
{
	memset(dst->b, 0, sizeof(dst->b));
	memcpy(dst->b, src->b, n);
}

static void test_get_masks_round_trips_set_masks_cut_to_format_width(void **state)
{
	const unsigned int fmts[] = {CRYCB_FORMAT0, CRYCB_FORMAT1, CRYCB_FORMAT2};
	uint64_t rng = 0x9e3779b97f4a7c15ull;

	(void)state;
	for (int iter = 0; iter < 1000; iter++) {
		for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
			bool f2 = fmts[i] == CRYCB_FORMAT2;
			struct ap_mask apm, aqm, adm, gapm, gaqm, gadm, want;
			struct crycb c;

			random_mask(&apm, &rng);
			random_mask(&aqm, &rng);
			random_mask(&adm, &rng);
			for (size_t k = 0; k < CRYCB_SIZE; k++)
				c.b[k] = (uint8_t)xorshift64(&rng);
			crycb_set_masks(&c, fmts[i], &apm, &aqm, &adm);
			poison_masks(&gapm, &gaqm, &gadm);
			crycb_get_masks(&c, fmts[i], &gapm, &gaqm, &gadm);

			cut(&want, &apm, f2 ? 32 : 8);
			assert_memory_equal(gapm.b, want.b, AP_MASK_BYTES);
			cut(&want, &aqm, f2 ? 32 : 2);
			assert_memory_equal(gaqm.b, want.b, AP_MASK_BYTES);
			cut(&want, &adm, f2 ? 32 : 2);
			assert_memory_equal(gadm.b, want.b, AP_MASK_BYTES);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_is_0_without_msax3),
	    cmocka_unit_test(test_format_is_2_encoded_3_with_msax3_and_host_apxa),
	    cmocka_unit_test(test_format_is_1_with_msax3_without_host_apxa),
	    cmocka_unit_test(test_apxa_is_format_bit_0x2_of_designation),
	    cmocka_unit_test(test_init_without_msax3_is_all_zero),
	    cmocka_unit_test(test_init_with_msax3_fills_only_wrapping_key_masks),
	    cmocka_unit_test(test_set_masks_doc_adapters_1_to_7_give_byte_0x7d),
	    cmocka_unit_test(test_set_masks_format0_copies_8_2_2_bytes_and_drops_high_ids),
	    cmocka_unit_test(test_set_masks_format1_copies_8_2_2_bytes_and_drops_high_ids),
	    cmocka_unit_test(test_set_masks_format2_copies_32_bytes_each_into_apcb1),
	    cmocka_unit_test(test_set_masks_replaces_previous_masks),
	    cmocka_unit_test(test_set_masks_format0_and_1_preserve_wrapping_keys),
	    cmocka_unit_test(test_set_masks_format2_preserves_wrapping_keys),
	    cmocka_unit_test(test_clear_masks_zeroes_only_apcb0_and_apcb1),
	    cmocka_unit_test(test_clear_masks_keeps_wrapping_keys),
	    cmocka_unit_test(test_get_masks_format0_and_1_read_only_apcb0_widths),
	    cmocka_unit_test(test_get_masks_format2_reads_apcb1),
	    cmocka_unit_test(test_get_masks_of_new_block_are_empty),
	    cmocka_unit_test(test_get_masks_round_trips_set_masks_cut_to_format_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
